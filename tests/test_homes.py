"""Homes from community totals: exact conservation and the fallbacks."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

from coverage15 import InputError
from coverage15.homes import homes_from_buildings, homes_from_points, largest_remainder

CRS = "EPSG:4547"


@given(
    total=st.integers(0, 10**6),
    weights=st.lists(st.floats(0, 1e5, allow_nan=False), min_size=1, max_size=50),
)
def test_largest_remainder_sums_exactly_and_stays_within_one(total, weights) -> None:
    w = np.array(weights)
    parts = largest_remainder(total, w)
    assert parts.sum() == total and (parts >= 0).all()
    ww = w if w.sum() > 0 else np.ones_like(w)
    quota = total * ww / ww.sum()
    assert (np.abs(parts - quota) < 1 + 1e-9).all()


def test_largest_remainder_by_hand() -> None:
    # quotas 3.5, 2.5, 1.0 (weights 7:5:2 of 7): floors 3,2,1 = 6; the one left goes to 3.5 (ties:
    # earlier first)
    assert largest_remainder(7, np.array([7.0, 5.0, 2.0])).tolist() == [4, 2, 1]
    with pytest.raises(ValueError):
        largest_remainder(3, np.array([-1.0]))


def _communities() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"community_id": ["A", "B", "C"], "households": [1001, 7, 3]},
        geometry=[
            shapely.box(0, 0, 100, 100),
            shapely.box(100, 0, 200, 100),
            shapely.box(200, 0, 300, 100),
        ],
        crs=CRS,
    )


def test_homes_spread_by_floor_area_and_conserved() -> None:
    b = gpd.GeoDataFrame(
        {"building_id": ["b1", "b2", "b3", "out"], "floor_area_m2": [3000.0, 1000.0, 1.0, 50.0]},
        geometry=[
            shapely.box(10, 10, 30, 30),
            shapely.box(50, 50, 70, 70),
            shapely.box(80, 80, 82, 82),
            shapely.box(500, 500, 510, 510),
        ],
        crs=CRS,
    )
    streets = gpd.GeoSeries([shapely.LineString([(100, 50), (200, 50)])], crs=CRS)
    h = homes_from_buildings(_communities(), b, streets=streets, spacing_m=20)
    per = h.groupby("community_id")["households"].sum()
    assert per.to_dict() == {"A": 1001, "B": 7, "C": 3}
    a = h[h["community_id"] == "A"].set_index("building_id")["households"]
    # 1001 * 3000/4001 = 750.56, 1001*1000/4001 = 250.19, 1001*1/4001 = 0.25
    # floors 750 + 250 + 0 = 1000; the 1 left goes to the largest remainder (0.56): b1
    assert a.to_dict() == {"b1": 751, "b2": 250, "b3": 0}
    bh = h[h["community_id"] == "B"]
    assert (bh["home_source"] == "street").all() and len(bh) == 5  # 100 m / 20 m
    assert bh["households"].tolist() == [2, 2, 1, 1, 1]
    ch = h[h["community_id"] == "C"]
    assert ch["home_source"].tolist() == ["centroid"] and ch["households"].tolist() == [3]
    report = h.attrs["report"]
    assert report.rows("homes_without_buildings") == ["B", "C"]
    assert report.rows("building_outside_communities") == [4]
    assert h["home_id"].is_unique


def test_homes_from_points() -> None:
    pts = gpd.GeoDataFrame(
        {"hh": [2, 5, 1]},
        geometry=[shapely.Point(5, 5), shapely.Point(150, 5), shapely.Point(-50, -50)],
        crs=CRS,
    )
    h = homes_from_points(pts, _communities(), households="hh")
    assert h["community_id"].tolist() == ["A", "B"] and h["households"].tolist() == [2, 5]
    assert h.attrs["report"].rows("home_outside_communities") == [3]
    with pytest.raises(InputError, match=r"column 'hh', row\(s\) 2: households must be whole"):
        homes_from_points(pts.assign(hh=[1, -1, 1]), _communities(), households="hh")


def test_homes_from_points_keeps_the_callers_ids_and_counts_dropped_households() -> None:
    c = gpd.GeoDataFrame(
        {"community_id": ["A"], "households": [0]},
        geometry=[shapely.box(0, 0, 100, 100)],
        crs=CRS,
    )
    pts = gpd.GeoDataFrame(
        {"home_id": ["门牌-12", "门牌-7", "门牌-3"], "hh": [4, 9, 2]},
        geometry=[shapely.Point(10, 10), shapely.Point(500, 500), shapely.Point(90, 90)],
        crs=CRS,
    )
    homes = homes_from_points(pts, c, households="hh")
    assert homes["home_id"].tolist() == ["门牌-12", "门牌-3"]  # not renumbered H1, H2
    report = homes.attrs["report"]
    [f] = report.findings
    assert f.kind == "home_outside_communities" and f.rows == (2,) and f.households == 9
    assert int(homes["households"].sum()) + 9 == 4 + 9 + 2
    # without an id column: ids from the source rows, stable when a point is dropped
    no_ids = pts.drop(columns="home_id")
    assert homes_from_points(no_ids, c, households="hh")["home_id"].tolist() == ["H1", "H3"]
    # another id column by name; missing or repeated ids are refused with their rows
    named = pts.rename(columns={"home_id": "编号"})
    assert homes_from_points(named, c, households="hh", home_id="编号")["home_id"].tolist() == [
        "门牌-12",
        "门牌-3",
    ]
    dup = pts.assign(home_id=["a", "b", "a"])
    with pytest.raises(InputError, match="repeated") as info:
        homes_from_points(dup, c, households="hh")
    assert info.value.rows == [1, 3] and info.value.column == "home_id"
