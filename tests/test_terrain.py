"""Slope-aware walking (Tobler) on synthetic DEMs, and the slower group's coverage."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pandas.testing as pd_testing
import pyproj
import pytest
import rasterio
import shapely
from rasterio.transform import Affine

import coverage15 as c15
from coverage15._errors import InputError
from coverage15.access import WalkNetwork
from coverage15.datasets import sample_path
from coverage15.terrain import (
    FLAT_SPEED_KMH,
    ElevationWarning,
    add_edge_grades,
    add_elevations,
    add_terrain,
    add_walk_cost,
    sample_dem,
    tobler_factor,
    tobler_speed_kmh,
)

CRS = "EPSG:32648"  # UTM 48N (Leshan)
X0, Y0 = 300_000.0, 3_270_000.0  # south-west corner of the synthetic DEMs
CELL = 10.0


def _dem(
    path: Path,
    z_of_xy,
    *,
    size: int = 100,
    crs: str | None = CRS,
    x0: float = X0,
    y0: float = Y0,
    cell: float = CELL,
    nodata: float | None = -9999.0,
    holes: tuple[tuple[int, int], ...] = (),
) -> Path:
    """A float64 GeoTIFF whose cell centres hold ``z_of_xy(x, y)``; ``holes`` are nodata cells."""
    cols = x0 + (np.arange(size) + 0.5) * cell
    rows = y0 + size * cell - (np.arange(size) + 0.5) * cell  # north-up: row 0 is the top
    xx, yy = np.meshgrid(cols, rows)
    z = np.asarray(z_of_xy(xx, yy), dtype=np.float64)
    for r, c in holes:
        z[r, c] = nodata
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=size,
        height=size,
        count=1,
        dtype="float64",
        crs=crs,
        transform=Affine(cell, 0, x0, 0, -cell, y0 + size * cell),
        nodata=nodata,
    ) as dst:
        dst.write(z, 1)
    return path


def _plane(path: Path, gradient: float = 0.1, **kw) -> Path:
    """z = gradient · (x − X0): rises to the east, level north–south."""
    return _dem(path, lambda x, y: gradient * (x - X0), **kw)


def _two_way(G: nx.MultiDiGraph, a, b, **attrs) -> None:
    pa, pb = G.nodes[a], G.nodes[b]
    length = math.hypot(pa["x"] - pb["x"], pa["y"] - pb["y"])
    G.add_edge(a, b, length=length, **attrs)
    G.add_edge(b, a, length=length, **attrs)


# --------------------------------------------------------------------------- Tobler


def test_tobler_function_by_hand() -> None:
    # v = 6·exp(−3.5·|s + 0.05|) km/h
    # flat: 6·e^−0.175 = 5.0367; +10 %: 6·e^−0.525 = 3.5493; −5 %: 6·e^0 = 6 (the fastest);
    # −10 %: 6·e^−0.175 = flat again; +20 %: 6·e^−0.875 = 2.5011
    assert tobler_speed_kmh(0.0) == pytest.approx(6 * math.exp(-0.175)) == FLAT_SPEED_KMH
    assert tobler_speed_kmh(0.1) == pytest.approx(3.5493, abs=1e-4)
    assert tobler_speed_kmh(-0.05) == pytest.approx(6.0)
    assert tobler_speed_kmh(-0.1) == pytest.approx(FLAT_SPEED_KMH)
    assert tobler_speed_kmh(0.2) == pytest.approx(2.5011, abs=1e-4)
    # factor v(0)/v(s) = exp(3.5·(|s + 0.05| − 0.05)): +10 % e^0.35 = 1.4191, −5 % e^−0.175
    grades = np.array([0.0, 0.1, -0.1, -0.05, 0.2, -0.2])
    expect = [1.0, math.exp(0.35), 1.0, math.exp(-0.175), math.exp(0.7), math.exp(0.35)]
    assert tobler_factor(grades) == pytest.approx(expect)
    assert tobler_factor(grades) == pytest.approx(FLAT_SPEED_KMH / tobler_speed_kmh(grades))
    assert isinstance(tobler_speed_kmh(0.1), float) and isinstance(tobler_factor(0.1), float)


# --------------------------------------------------------------------------- a 10 % plane


@pytest.fixture
def plane_graph(tmp_path: Path) -> tuple[nx.MultiDiGraph, Path]:
    """A (x0+100, y0+300) → B 200 m east (+20 m) → C 200 m north (level), two-way."""
    dem = _plane(tmp_path / "plane.tif")
    G = nx.MultiDiGraph(crs=CRS)
    G.add_nodes_from(
        [
            ("A", {"x": X0 + 100, "y": Y0 + 300}),
            ("B", {"x": X0 + 300, "y": Y0 + 300}),
            ("C", {"x": X0 + 300, "y": Y0 + 500}),
        ]
    )
    _two_way(G, "A", "B")
    _two_way(G, "B", "C")
    return G, dem


def test_plane_elevations_grades_and_tobler_times(plane_graph) -> None:
    G, dem = plane_graph
    rep = add_elevations(G, dem)
    assert rep["nodes_without_elevation"] == 0 and rep["method"] == "bilinear"
    # bilinear interpolation is exact on a plane: z = 0.1 · (x − x0)
    assert G.nodes["A"]["elevation"] == pytest.approx(10.0, abs=1e-9)
    assert G.nodes["B"]["elevation"] == pytest.approx(30.0, abs=1e-9)
    assert G.nodes["C"]["elevation"] == pytest.approx(30.0, abs=1e-9)
    add_edge_grades(G)
    # directed: (30 − 10) / 200 = +0.1 eastwards, −0.1 back; level to the north
    assert G.edges["A", "B", 0]["grade"] == pytest.approx(0.1)
    assert G.edges["B", "A", 0]["grade"] == pytest.approx(-0.1)
    assert G.edges["B", "C", 0]["grade"] == pytest.approx(0.0, abs=1e-12)
    assert G.edges["B", "A", 0]["grade_abs"] == pytest.approx(0.1)
    # the same directed grades as osmnx's own function
    H = G.copy()
    ox.elevation.add_edge_grades(H)
    for u, v, k, d in H.edges(keys=True, data=True):
        assert G.edges[u, v, k]["grade"] == pytest.approx(d["grade"])

    speed = 60.0  # m/min, the general group's flat speed
    rep = add_walk_cost(G, speed_m_per_min=speed)
    assert rep["edges_flat_fallback"] == 0 and G.graph["coverage15"]["walk_cost"] == rep
    up, down = G.edges["A", "B", 0], G.edges["B", "A", 0]
    # uphill +10 %: 200 · e^(3.5·(0.15 − 0.05)) = 200 · e^0.35 = 200 · 1.41907 = 283.81 m
    assert up["slope_length"] == pytest.approx(283.81, abs=0.01)
    # downhill −10 %: 200 · e^(3.5·(0.05 − 0.05)) = 200 m, the same as on the flat
    assert down["slope_length"] == pytest.approx(200.0)
    assert G.edges["B", "C", 0]["slope_length"] == pytest.approx(200.0)
    # times at 60 m/min: up 283.81 / 60 = 4.730 min; down and flat 200 / 60 = 3.333 min.
    # the same from Tobler's speeds: 200 m / (60 m/min · 3.5493 / 5.0367) = 200 / 42.28 = 4.730
    assert up["walk_time_min"] == pytest.approx(200 / (speed * 3.5493 / 5.0367), rel=1e-4)
    assert up["walk_time_min"] == pytest.approx(4.730, abs=1e-3)
    assert down["walk_time_min"] == pytest.approx(200 / 60)
    assert up["walk_time_min"] > down["walk_time_min"]  # uphill is slower than downhill
    # mean factor over the four edges: (283.81 + 3 · 200) / 800 = 1.1048
    assert rep["mean_factor"] == pytest.approx((200 * math.exp(0.35) + 600) / 800)


def test_engine_routes_on_slope_length_with_partial_edges(plane_graph) -> None:
    G, dem = plane_graph
    add_terrain(G, dem)
    net = WalkNetwork.from_graph(G, weight="slope_length")
    up = 200 * math.exp(0.35)  # 283.81
    d = net.node_distances(["A"])
    assert d["B"] == pytest.approx(up) and d["C"] == pytest.approx(up + 200)
    assert d["C"] == pytest.approx(nx.shortest_path_length(G, "A", "C", weight="slope_length"))
    assert net.node_distances(["B"])["A"] == pytest.approx(200.0)
    # a home 5 m north of the middle of A–B: the leg is flat (5 m), the partial edge is half
    # of the directed edge's cost, uphill to B (283.81 / 2 = 141.90), downhill to A (100)
    homes = gpd.GeoSeries([shapely.Point(X0 + 200, Y0 + 305)], crs=CRS)

    def to(x: float, y: float) -> float:
        shop = gpd.GeoDataFrame(
            {"category": ["shop"], "facility_id": ["S"]},
            geometry=[shapely.Point(x, y)],
            crs=CRS,
        )
        r = net.nearest_facilities(homes, shop, max_distance_m=2000)
        return float(r["dist_m__shop"].iloc[0])

    assert to(X0 + 100, Y0 + 300) == pytest.approx(5 + 100)  # at A, downhill
    assert to(X0 + 300, Y0 + 300) == pytest.approx(5 + up / 2)  # at B, uphill
    # a shop 3 m south of the point 3/4 along A–B: same street, 50 m further east uphill
    assert to(X0 + 250, Y0 + 297) == pytest.approx(5 + up / 4 + 3)
    # a shop on B–C, 50 m north of B: up to B then level
    assert to(X0 + 300, Y0 + 350) == pytest.approx(5 + up / 2 + 50)
    # without the slope, the plain lengths
    flat = WalkNetwork.from_graph(G)
    shop = gpd.GeoDataFrame(
        {"category": ["shop"]}, geometry=[shapely.Point(X0 + 300, Y0 + 300)], crs=CRS
    )
    r = flat.nearest_facilities(homes, shop, max_distance_m=2000)
    assert r["dist_m__shop"].iloc[0] == pytest.approx(105.0)


def test_a_flat_dem_changes_nothing(plane_graph, tmp_path: Path) -> None:
    G, _ = plane_graph
    dem = _dem(tmp_path / "level.tif", lambda x, y: np.full_like(x, 350.0))
    rep = add_terrain(G, dem)
    assert rep["walk_cost"]["mean_factor"] == 1.0
    assert all(d["slope_length"] == d["length"] for *_, d in G.edges(data=True))


# --------------------------------------------------------------------------- sampling


def test_nearest_method_and_missing_nodes_are_counted(tmp_path: Path) -> None:
    # nodata in the cell (row 99, col 0) at the south-west corner, i.e. x0..x0+10, y0..y0+10
    dem = _plane(tmp_path / "holes.tif", holes=((99, 0),))
    G = nx.MultiDiGraph(crs=CRS)
    G.add_nodes_from(
        [
            ("in", {"x": X0 + 52, "y": Y0 + 500}),
            ("hole", {"x": X0 + 5, "y": Y0 + 5}),  # on the nodata cell
            ("near_hole", {"x": X0 + 14, "y": Y0 + 5}),  # its bilinear neighbour is nodata
            ("out", {"x": X0 - 50, "y": Y0 + 500}),  # west of the DEM
            ("far", {"x": X0 + 5e5, "y": Y0 + 500}),
        ]
    )
    _two_way(G, "in", "out")
    _two_way(G, "in", "hole")
    _two_way(G, "in", "near_hole")
    with pytest.warns(ElevationWarning, match=r"3 of 5 nodes have no elevation \(2 outside"):
        rep = add_elevations(G, dem)
    assert (rep["nodes_outside"], rep["nodes_nodata"], rep["nodes_without_elevation"]) == (2, 1, 3)
    assert rep["nodes_nearest_fallback"] == 1
    assert sorted(rep["missing_nodes"]) == ["far", "hole", "out"]
    assert G.graph["coverage15"]["elevation"] is rep
    # never zero: NaN where there is no elevation
    assert math.isnan(G.nodes["out"]["elevation"]) and math.isnan(G.nodes["hole"]["elevation"])
    assert G.nodes["in"]["elevation"] == pytest.approx(5.2)  # 0.1 · 52, bilinear
    assert G.nodes["near_hole"]["elevation"] == pytest.approx(1.5)  # the cell under it
    rep = add_edge_grades(G)
    assert rep["edges_without_grade"] == 4  # in–out and in–hole, both ways
    rep = add_walk_cost(G)
    assert rep["edges_flat_fallback"] == 4
    assert G.edges["in", "out", 0]["slope_length"] == G.edges["in", "out", 0]["length"]
    # nearest: the value of the cell under the point (x0 + 55 → 5.5 at the centre)
    z, status = sample_dem(
        dem, [X0 + 52, X0 + 5, X0 - 1], [Y0 + 500] * 2 + [Y0], crs=CRS, method="nearest"
    )
    assert z[0] == pytest.approx(5.5) and z[1] == pytest.approx(0.5) and math.isnan(z[2])
    assert status.tolist() == [0, 0, 1]


def test_dem_in_another_crs_is_reprojected(tmp_path: Path) -> None:
    # a DEM in WGS84 degrees around Leshan: z = 1000 · (lon − 103.7); bilinear is exact on it,
    # so each node's elevation is 1000 · (its longitude − 103.7) after reprojection
    dem = _dem(
        tmp_path / "wgs84.tif",
        lambda lon, lat: 1000.0 * (lon - 103.7),
        crs="EPSG:4326",
        x0=103.70,
        y0=29.50,
        cell=0.001,
    )
    tr = pyproj.Transformer.from_crs(4326, CRS, always_xy=True)
    lon = np.array([103.741, 103.752, 103.768])
    lat = np.array([29.531, 29.546, 29.559])
    x, y = tr.transform(lon, lat)
    G = nx.MultiDiGraph(crs=CRS)
    G.add_nodes_from((i, {"x": x[i], "y": y[i]}) for i in range(3))
    add_elevations(G, dem)
    got = [G.nodes[i]["elevation"] for i in range(3)]
    assert got == pytest.approx(1000.0 * (lon - 103.7), abs=1e-6)
    # a DEM without CRS needs dem_crs=
    bare = _plane(tmp_path / "bare.tif", crs=None)
    H = nx.MultiDiGraph(crs=CRS)
    H.add_node(1, x=X0 + 105, y=Y0 + 5)
    with pytest.raises(InputError, match="no CRS"):
        add_elevations(H, bare)
    add_elevations(H, bare, dem_crs=CRS)
    assert H.nodes[1]["elevation"] == pytest.approx(10.5)
    with pytest.raises(InputError, match="band"):
        add_elevations(H, bare, dem_crs=CRS, band=2)
    with pytest.raises(InputError, match="method"):
        add_elevations(H, bare, dem_crs=CRS, method="cubic")


def test_vertices_cost_a_hill_between_level_junctions(tmp_path: Path) -> None:
    # A and B are level (same x); the street between them goes 100 m east (up 10 %), 50 m
    # north (level) and 100 m west (down 10 %): by its end nodes it is flat (250 m), by its
    # segments 100 · e^0.35 + 50 + 100 · 1 = 291.91 m
    dem = _plane(tmp_path / "hill.tif")
    G = nx.MultiDiGraph(crs=CRS)
    G.add_nodes_from([("A", {"x": X0 + 100, "y": Y0 + 100}), ("B", {"x": X0 + 100, "y": Y0 + 150})])
    line = shapely.LineString(
        [(X0 + 100, Y0 + 100), (X0 + 200, Y0 + 100), (X0 + 200, Y0 + 150), (X0 + 100, Y0 + 150)]
    )
    G.add_edge("A", "B", length=250.0, geometry=line)
    G.add_edge("B", "A", length=250.0, geometry=line.reverse())
    add_terrain(G, dem)
    assert G.edges["A", "B", 0]["slope_length"] == pytest.approx(250.0)
    rep = add_terrain(G, dem, vertices=True)
    assert rep["walk_cost"]["edges_by_segments"] == 2
    assert G.edges["A", "B", 0]["elevations"] == pytest.approx([10, 20, 20, 10])
    assert G.edges["A", "B", 0]["slope_length"] == pytest.approx(100 * math.exp(0.35) + 150)
    assert G.edges["B", "A", 0]["slope_length"] == pytest.approx(100 * math.exp(0.35) + 150)
    # clipping grades at ±5 %: 100 · e^(3.5·0.05) + 50 + 100 · e^(3.5·(0 − 0.05)) = 298.07
    add_walk_cost(G, max_grade=0.05)
    assert G.edges["A", "B", 0]["slope_length"] == pytest.approx(
        100 * math.exp(0.175) + 50 + 100 * math.exp(-0.175)
    )


def test_walk_cost_needs_elevations() -> None:
    G = nx.MultiDiGraph(crs=CRS)
    G.add_nodes_from([(1, {"x": 0.0, "y": 0.0}), (2, {"x": 10.0, "y": 0.0})])
    G.add_edge(1, 2, length=10.0)
    with pytest.raises(InputError, match="add_elevations"):
        add_walk_cost(G)
    nx.set_node_attributes(G, 0.0, "elevation")
    with pytest.raises(InputError, match="speed"):
        add_walk_cost(G, speed_m_per_min=0)


# --------------------------------------------------------------------------- the sample


@pytest.fixture(scope="module")
def sample_inputs():
    G = c15.build_walk_network(sample_path("walk_network.osm"))
    return (
        G,
        c15.load_communities(sample_path("communities.geojson")),
        c15.load_facilities(sample_path("facilities.geojson")),
        c15.load_buildings(sample_path("buildings.geojson")),
    )


def _covered_households(result, cat: str) -> float:
    """Households within the profile's (group's) threshold of ``cat``."""
    h = result.homes
    limit = result.profile.threshold_m(cat, result.group)
    return float(h["households"].where(h[f"dist_m__{cat}"] <= limit, 0).sum())


def test_slow_group_never_covers_more(sample_inputs, capsys) -> None:
    G, comm, fac, bld = sample_inputs
    net = WalkNetwork.from_graph(G)
    lines = []
    for key in ("gb50180_2018", "mofcom_15min"):
        general = c15.analyze(comm, fac, network=net, buildings=bld, profile=key)
        slow = c15.analyze(comm, fac, network=net, buildings=bld, profile=key, group="slow")
        p = general.profile
        assert p.speed("slow") < p.speed("general")
        assert slow.group == "slow"
        fewer = 0
        for cat in p.categories:
            g_hh, s_hh = _covered_households(general, cat), _covered_households(slow, cat)
            assert s_hh <= g_hh, (key, cat)
            col = f"hh_covered__{cat}"
            if col in general.communities:
                assert (slow.communities[col] <= general.communities[col]).all(), (key, cat)
            fewer += s_hh < g_hh
        g_all = general.communities["share_covered_all"]
        assert (slow.communities["share_covered_all"] <= g_all).all()
        lines.append(f"{key}: {fewer} of {len(p.categories)} categories reach fewer households")
        if key == "gb50180_2018":
            # GB 50180-2018 rows are distances; for the slow group their tier's minutes at
            # 50 m/min bind (300 → 250 m, 500 → 500 m, 1000 → 750 m): most categories shrink
            assert fewer > 0
        else:
            # 一刻钟便民生活圈 rows are in minutes: 50 instead of 60 m/min shrinks them by 1/6
            assert fewer > 0
    with capsys.disabled():
        print("\n" + "\n".join(lines))


def test_a_steep_dem_lowers_coverage_on_the_sample(sample_inputs, tmp_path: Path, capsys) -> None:
    G, comm, fac, bld = sample_inputs
    xs = [d["x"] for _, d in G.nodes(data=True)]
    ys = [d["y"] for _, d in G.nodes(data=True)]
    x0, y0 = math.floor(min(xs)) - 200, math.floor(min(ys)) - 200
    # 15 % rising to the east over the whole district: east-west streets cost 1.76× eastwards
    # (e^(3.5·0.15)) and 1.19× westwards (e^(3.5·0.05)), north-south ones 1.00×
    dem = _plane(tmp_path / "steep.tif", gradient=0.15, x0=x0, y0=y0, size=350)
    H = G.copy()
    rep = add_terrain(H, dem)
    assert rep["elevation"]["nodes_without_elevation"] == 0
    assert rep["walk_cost"]["mean_factor"] > 1.2
    flat = c15.analyze(
        comm, fac, network=WalkNetwork.from_graph(G), buildings=bld, profile="leshan_2018"
    )
    steep = c15.analyze(
        comm,
        fac,
        network=WalkNetwork.from_graph(H, weight="slope_length"),
        buildings=bld,
        profile="leshan_2018",
    )
    # prepare_network(dem=...) does the same in one call
    via_dem = c15.analyze(
        comm, fac, network=c15.prepare_network(G, dem=dem), buildings=bld, profile="leshan_2018"
    )
    assert via_dem.network_record["walk_cost"]["edges_flat_fallback"] == 0
    cats = flat.profile.categories
    for c in cats:
        pd_testing.assert_series_equal(via_dem.homes[f"dist_m__{c}"], steep.homes[f"dist_m__{c}"])
    before = sum(_covered_households(flat, c) for c in cats)
    after = sum(_covered_households(steep, c) for c in cats)
    assert after < before
    assert int(steep.homes["households"].sum()) == int(comm["households"].sum())
    share = flat.district.set_index("indicator")["value"]
    share_steep = steep.district.set_index("indicator")["value"]
    with capsys.disabled():
        print(
            f"\n15 % plane: mean cost factor {rep['walk_cost']['mean_factor']:.3f}; household-"
            f"category pairs within reach {before:,.0f} → {after:,.0f} "
            f"({after / before - 1:+.1%}); households in the full circle "
            f"{share['share_households_covered_all']:.1%} → "
            f"{share_steep['share_households_covered_all']:.1%}"
        )
