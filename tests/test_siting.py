"""Facility siting: greedy and exact maximal covering and set covering."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy import sparse

import coverage15 as c15
from coverage15._errors import InputError
from coverage15.siting import _spopt_mclp, greedy_cover, recommend_sites

# homes a b c d e f with weights 1 1 1 1 1.5 1.5; X covers a-d, Y covers a b e, Z covers c d f
W = np.array([1, 1, 1, 1, 1.5, 1.5])
A = sparse.csr_array(
    np.array(
        [
            [1, 1, 1, 1, 0, 0],  # X: 4
            [1, 1, 0, 0, 1, 0],  # Y: 3.5
            [0, 0, 1, 1, 0, 1],  # Z: 3.5
        ],
        dtype=bool,
    )
)


def test_greedy_takes_the_biggest_gain_first() -> None:
    assert greedy_cover(A, W, k=1) == [0]  # X covers 4 > 3.5
    # then Y adds e (1.5), Z adds f (1.5): tie, lowest row wins → 5.5 in all
    assert greedy_cover(A, W, k=2) == [0, 1]
    assert greedy_cover(A, W, k=5) == [0, 1, 2]  # stops when nothing more is added
    assert greedy_cover(A, W, target=7.0) == [0, 1, 2]
    assert greedy_cover(A, W, target=4.0) == [0]
    with pytest.raises(InputError):
        greedy_cover(A, W)


def test_exact_mclp_beats_greedy_where_greedy_is_suboptimal() -> None:
    # greedy k=2: X + Y = 4 + 1.5 = 5.5; optimum Y + Z = 3.5 + 3.5 = 7 (≥ (1 - 1/e)·7 ≈ 4.4)
    exact = _spopt_mclp(A, W, 2)
    assert sorted(exact) == [1, 2]
    covered = np.zeros(6, bool)
    for j in exact:
        covered[A.indices[A.indptr[j] : A.indptr[j + 1]]] = True
    assert W[covered].sum() == pytest.approx(7.0)


def _line_analysis():
    """A 1 km street with 11 homes every 100 m (10 households each), one pharmacy at 0 m.

    Pharmacy threshold (mofcom_15min) is 480 m: homes at 0…400 m are covered
    (50 households), homes at 500…1000 m (60 households) are not.
    """
    G = nx.MultiDiGraph(crs="EPSG:32648")
    for i in range(11):
        G.add_node(i, x=500_000.0 + 100 * i, y=3_270_000.0)
    for i in range(10):
        G.add_edge(i, i + 1, length=100.0)
        G.add_edge(i + 1, i, length=100.0)
    pts = shapely.points(np.column_stack([500_000.0 + 100 * np.arange(11), np.full(11, 3.27e6)]))
    comm = gpd.GeoDataFrame(
        {
            "community_id": ["L"],
            "name": ["线"],
            "households": [110],
            "population": [300],
            "kind": ["urban"],
        },
        geometry=[shapely.box(499_900, 3_269_900, 501_100, 3_270_100)],
        crs="EPSG:32648",
    )
    homes = gpd.GeoDataFrame(
        {"home_id": [f"h{i}" for i in range(11)], "community_id": "L", "households": 10},
        geometry=pts,
        crs="EPSG:32648",
    )
    fac = gpd.GeoDataFrame(
        {"facility_id": ["P"], "category": ["pharmacy"], "floor_area_m2": [80.0], "name": ["药店"]},
        geometry=[shapely.Point(500_000, 3_270_000)],
        crs="EPSG:32648",
    )
    return c15.analyze(comm, fac, network=G, homes=homes, profile="mofcom_15min")


def test_line_street_one_site_closes_the_gap() -> None:
    a = _line_analysis()
    plan = recommend_sites(a, "pharmacy", k=1)
    assert plan.before_share == pytest.approx(50 / 110)
    # one new pharmacy anywhere from 600 m to 900 m covers 500…1000 m (60 households);
    # the first such junction is node 6 (it covers 500 m … 1000 m: |x − 600| ≤ 480)
    assert plan.sites["new_households"].tolist() == [60]
    assert plan.after_share == pytest.approx(1.0)
    x = plan.sites.geometry.x.iloc[0] - 500_000
    assert 520 <= x <= 980
    assert plan.communities.loc[0, "share_after"] == pytest.approx(1.0)
    set_cover = recommend_sites(a, "pharmacy", target_share=1.0)
    assert len(set_cover.sites) == 1
    table = plan.to_table("zh")
    assert table.loc[0, "新增覆盖户数"] == 60


def test_bad_arguments() -> None:
    a = _line_analysis()
    with pytest.raises(InputError, match="exactly one"):
        recommend_sites(a, "pharmacy")
    with pytest.raises(InputError, match="not in profile"):
        recommend_sites(a, "kindergarten", k=1)
    with pytest.raises(InputError, match="give k="):
        recommend_sites(a, "pharmacy", target_share=0.9, exact=True)


@pytest.fixture(scope="module")
def sample_analysis():
    from coverage15.datasets import sample_path

    return c15.analyze(
        c15.load_communities(sample_path("communities.geojson")),
        c15.load_facilities(sample_path("facilities.geojson")),
        network=sample_path("walk_network.osm"),
        buildings=c15.load_buildings(sample_path("buildings.geojson")),
        profile="leshan_2018",
    )


def test_sample_gap_closed_and_checked_by_the_engine(sample_analysis) -> None:
    a = sample_analysis
    plan = recommend_sites(a, "health_station", target_share=1.0)
    hh = a.homes["households"]
    # homes whose every nearby junction is beyond 300 m (deep inside long blocks) stay out
    assert plan.before_share < 0.5 < 0.99 < plan.after_share
    assert plan.sites["new_households"].is_monotonic_decreasing
    # independent check: put the chosen sites in as facilities and ask the engine again
    fac = a.facilities[a.facilities["category"] == "health_station"][["category", "geometry"]]
    new = gpd.GeoDataFrame(
        {"category": ["health_station"] * len(plan.sites)},
        geometry=plan.sites.geometry.values,
        crs=plan.sites.crs,
    )
    both = gpd.GeoDataFrame(pd.concat([fac.to_crs(new.crs), new], ignore_index=True))
    both["facility_id"] = [f"f{i}" for i in range(len(both))]
    r = a.network.nearest_facilities(
        a.homes, both, max_distance_m=plan.threshold_m, categories=["health_station"]
    )
    reached = r["dist_m__health_station"] <= plan.threshold_m
    assert hh[reached].sum() / hh.sum() == pytest.approx(plan.after_share)
    # the exact model with as many sites as greedy needed does at least as well
    k = len(plan.sites)
    exact = recommend_sites(a, "health_station", k=max(1, k // 2), exact=True)
    greedy = recommend_sites(a, "health_station", k=max(1, k // 2))
    assert exact.after_share >= greedy.after_share - 1e-9
