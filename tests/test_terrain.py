"""Slope-aware walking (Tobler) on a synthetic DEM, and the slower group's coverage."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import rasterio
import shapely
from rasterio.transform import Affine

import coverage15 as c15
from coverage15.access import WalkNetwork
from coverage15.sample import sample_path
from coverage15.terrain import add_elevations, add_walk_cost, tobler_speed_kmh

CRS = "EPSG:32648"


def _plane(path: Path, slope: float, x0: float, y0: float, size: int = 400, cell: float = 10.0):
    """A DEM with z = slope · (x − x0): rises to the east, flat north–south; nodata at (0, 0)."""
    cols = np.arange(size) * cell + cell / 2  # cell-centre offsets from x0
    z = np.tile(slope * cols, (size, 1)).astype("float32")
    z[0, 0] = -9999
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=size,
        height=size,
        count=1,
        dtype="float32",
        crs=CRS,
        transform=Affine(cell, 0, x0, 0, -cell, y0 + size * cell),
        nodata=-9999,
    ) as dst:
        dst.write(z, 1)
    return path


def test_tobler_function_by_hand() -> None:
    # v = 6·exp(−3.5·|s + 0.05|): flat 6·e^−0.175 = 5.0368; +10 %: 6·e^−0.525 = 3.5493;
    # −5 %: 6 km/h (fastest); −10 %: same as flat
    assert tobler_speed_kmh(0.0) == pytest.approx(6 * math.exp(-0.175))
    assert tobler_speed_kmh(0.1) == pytest.approx(3.5493, abs=1e-4)
    assert tobler_speed_kmh(-0.05) == pytest.approx(6.0)
    assert tobler_speed_kmh(-0.1) == pytest.approx(tobler_speed_kmh(0.0))


def test_plane_elevations_grades_and_costs(tmp_path: Path) -> None:
    dem = _plane(tmp_path / "plane.tif", 0.1, 0.0, 0.0)
    G = nx.MultiDiGraph(crs=CRS)
    # A (100, 100) → B (300, 100): 200 m east, +20 m; C (300, 300): 200 m north, flat
    G.add_nodes_from(
        [
            ("A", {"x": 100.0, "y": 100.0}),
            ("B", {"x": 300.0, "y": 100.0}),
            ("C", {"x": 300.0, "y": 300.0}),
            ("far", {"x": 9e5, "y": 9e5}),
        ]
    )
    for a, b in [("A", "B"), ("B", "C")]:
        G.add_edge(a, b, length=200.0)
        G.add_edge(b, a, length=200.0)
    counts = add_elevations(G, dem)
    assert counts["nodes_without_elevation"] == 1  # "far" is outside the DEM, counted
    assert G.nodes["A"]["elevation"] == pytest.approx(10.0)  # 0.1 × 100
    assert G.nodes["B"]["elevation"] == pytest.approx(30.0)
    add_walk_cost(G)
    up = G.edges["A", "B", 0]["slope_length"]
    down = G.edges["B", "A", 0]["slope_length"]
    flat = G.edges["B", "C", 0]["slope_length"]
    # uphill +10 %: 200 × e^(0.525 − 0.175) = 200 × 1.41907 = 283.81 m; downhill −10 %: 200 m
    assert up == pytest.approx(200 * 6 * math.exp(-0.175) / (6 * math.exp(-0.525)), rel=1e-6)
    assert up == pytest.approx(283.81, abs=0.01)
    assert down == pytest.approx(200.0)
    assert flat == pytest.approx(200.0)
    # the engine routes on the cost, and agrees with networkx on it
    net = WalkNetwork.from_graph(G, weight="slope_length")
    d = net.node_distances(["A"])
    assert d["C"] == pytest.approx(
        nx.shortest_path_length(G, "A", "C", weight="slope_length")
    )
    # a home half-way along A–B walking west (downhill) to a shop at A: 100 m; east: uphill
    homes = gpd.GeoSeries(shapely.points([[200, 100]]), crs=CRS)
    shop_a = gpd.GeoDataFrame(
        {"category": ["s"], "facility_id": ["A"]}, geometry=[shapely.Point(100, 100)], crs=CRS
    )
    shop_b = gpd.GeoDataFrame(
        {"category": ["s"], "facility_id": ["B"]}, geometry=[shapely.Point(300, 100)], crs=CRS
    )
    to_a = net.nearest_facilities(homes, shop_a, max_distance_m=1000)["dist_m__s"].iloc[0]
    to_b = net.nearest_facilities(homes, shop_b, max_distance_m=1000)["dist_m__s"].iloc[0]
    assert to_a == pytest.approx(100.0)
    assert to_b == pytest.approx(up / 2)  # half the uphill edge


@pytest.fixture(scope="module")
def sample_layers():
    return (
        c15.load_communities(sample_path("communities.geojson")),
        c15.load_facilities(sample_path("facilities.geojson")),
        c15.load_buildings(sample_path("buildings.geojson")),
    )


def test_steep_district_has_less_coverage(tmp_path: Path, sample_layers) -> None:
    comm, fac, bld = sample_layers
    G = c15.build_walk_network(sample_path("walk_network.osm"))
    xs = [d["x"] for _, d in G.nodes(data=True)]
    ys = [d["y"] for _, d in G.nodes(data=True)]
    # a 20 % plane: uphill costs 2.0×, downhill 1.4× (|−0.2 + 0.05| = 0.15): all walks longer
    dem = _plane(tmp_path / "steep.tif", 0.2, min(xs) - 500, min(ys) - 500, size=500)
    flat = c15.analyze(comm, fac, network=G, buildings=bld, profile="leshan_2018")
    steep = c15.analyze(comm, fac, network=G, buildings=bld, profile="leshan_2018", dem=dem)
    assert steep.network_record["walk_cost"]["edges_flat_fallback"] == 0
    f, s = flat.communities, steep.communities
    assert (s["hh_covered_all"] <= f["hh_covered_all"]).all()
    assert s["hh_covered_all"].sum() < f["hh_covered_all"].sum()
    assert int(steep.homes["households"].sum()) == int(comm["households"].sum())


def test_slow_group_never_covers_more(sample_layers) -> None:
    comm, fac, bld = sample_layers
    net = sample_path("walk_network.osm")
    general = c15.analyze(comm, fac, network=net, buildings=bld, profile="gb50180_2018")
    slow = c15.analyze(comm, fac, network=net, buildings=bld, profile="gb50180_2018", group="slow")
    p = general.profile
    assert p.speed("slow") < p.speed("general")
    for cat in p.required_categories:
        col = f"hh_covered__{cat}"
        assert (slow.communities[col] <= general.communities[col]).all(), cat
