"""Barriers: planners' closures, closed paths, gated compounds (小区) and the sample's river."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pandas as pd
import pyproj
import pytest
import shapely
from shapely.ops import substring

import coverage15 as c15
from conftest import ll, write_osm
from coverage15._errors import InputError, NetworkError
from coverage15.barriers import (
    BarrierWarning,
    apply_barriers,
    close_paths,
    compounds_from_osm,
    gated_compounds,
)
from coverage15.datasets import sample_path
from make_sample import LAT0, LON0, M_PER_DEG_LAT, M_PER_DEG_LON

CRS = "EPSG:32648"


def _graph(nodes: dict, streets: list[tuple], **attrs) -> nx.MultiDiGraph:
    """A two-way street per (a, b) pair; ``nodes``: id → (x, y)."""
    G = nx.MultiDiGraph(crs=CRS)
    for n, (x, y) in nodes.items():
        G.add_node(n, x=float(x), y=float(y))
    for i, (a, b, *extra) in enumerate(streets):
        d = dict(extra[0]) if extra else {}
        length = float(np.hypot(nodes[a][0] - nodes[b][0], nodes[a][1] - nodes[b][1]))
        G.add_edge(a, b, length=length, osmid=100 + i, **{**attrs, **d})
        G.add_edge(b, a, length=length, osmid=100 + i, **{**attrs, **d})
    return G


# --------------------------------------------------------------------------- apply_barriers


def test_barrier_lines_and_polygons_by_hand() -> None:
    #  1 ──── 2 ──── 3        a wall crosses 1–2; a site covers the middle of 4–5;
    #  4 ──── 5 ──── 6        a hoarding line runs along 2–3 (touching, not crossing)
    G = _graph(
        {1: (0, 100), 2: (100, 100), 3: (200, 100), 4: (0, 0), 5: (100, 0), 6: (200, 0)},
        [(1, 2), (2, 3), (4, 5), (5, 6)],
    )
    layer = gpd.GeoDataFrame(
        {"name": ["wall", "site", "ends on kerb"]},
        geometry=[
            shapely.LineString([(50, 90), (50, 110)]),
            shapely.box(20, -10, 60, 10),
            shapely.LineString([(150, 100), (150, 150)]),  # ends on the street 2–3
        ],
        index=["W", "S", "K"],
        crs=CRS,
    )
    H, rep = apply_barriers(G, layer)
    assert sorted(H.edges()) == [(2, 3), (3, 2), (5, 6), (6, 5)]
    assert rep.n_edges == 4 and rep.n_streets == 2 and rep.length_m == pytest.approx(200.0)
    assert sorted(rep.removed["barrier"]) == ["S", "S", "W", "W"]
    assert set(rep.removed.columns) >= {"u", "v", "key", "osmid", "reason", "geometry"}
    assert sorted(rep.removed["osmid"]) == [100, 100, 102, 102]
    assert rep.summary["barriers_without_effect"] == 1  # the line ending on the kerb
    assert G.number_of_edges() == 8  # the input is unchanged
    assert H.graph["coverage15"]["barriers"][-1]["edges_removed"] == 4
    assert set(H.nodes) == set(G.nodes)  # nodes stay (the engine ignores isolated ones)
    assert "4 directed edge(s) removed (2 street(s), 200 m)" in str(rep)


def test_barrier_edge_inside_polygon_and_without_geometry() -> None:
    # edges without geometry are straight lines: 1–4 lies inside the square, 1–2 leaves it,
    # 2–3 runs outside (x = 10 > 8)
    G = _graph({1: (0, 0), 2: (10, 0), 3: (10, 10), 4: (3, 3)}, [(1, 4), (1, 2), (2, 3)])
    H, rep = apply_barriers(G, [shapely.box(-5, -5, 8, 5)])
    assert sorted(H.edges()) == [(2, 3), (3, 2)]
    assert rep.n_edges == 4 and rep.removed["barrier"].tolist() == [0, 0, 0, 0]


def test_barrier_crs_and_in_place() -> None:
    G = _graph({1: (500_000, 3_270_000), 2: (500_100, 3_270_000)}, [(1, 2)])
    # the same wall given in WGS84 is reprojected to the network's CRS
    tr = pyproj.Transformer.from_crs(CRS, 4326, always_xy=True)
    a, b = tr.transform([500_050, 500_050], [3_269_990, 3_270_010])
    wall = gpd.GeoSeries([shapely.LineString(zip(a, b, strict=True))], crs=4326)
    H, rep = apply_barriers(G, wall, copy=False)
    assert H is G and G.number_of_edges() == 0 and rep.n_edges == 2
    # plain geometries take crs= (or the network's)
    G = _graph({1: (500_000, 3_270_000), 2: (500_100, 3_270_000)}, [(1, 2)])
    _, rep = apply_barriers(G, [shapely.LineString(zip(a, b, strict=True))], crs=4326)
    assert rep.n_edges == 2


def test_barrier_keeps_bridges_over_water() -> None:
    #  north bank 1 ─── 2, bridge 2–3 and a road line 4–5 drawn straight over the water
    G = _graph(
        {1: (0, 100), 2: (50, 100), 3: (50, 0), 4: (150, 100), 5: (150, 0)},
        [(1, 2), (2, 3, {"bridge": "yes"}), (4, 5)],
    )
    water = shapely.box(-10, 30, 200, 70)
    _, rep = apply_barriers(G, [water], keep_bridges=True)
    assert sorted(rep.removed["u"]) == [4, 5] and rep.summary["bridge_edges_kept"] == 2
    _, rep = apply_barriers(G, [water])
    assert rep.n_edges == 4


def test_barrier_bad_inputs() -> None:
    G = _graph({1: (0, 0), 2: (10, 0)}, [(1, 2)])
    with pytest.raises(InputError, match="points cannot close a path"):
        apply_barriers(G, [shapely.Point(5, 0)])
    with pytest.raises(InputError, match="GeoDataFrame, GeoSeries or shapely"):
        apply_barriers(G, ["not a geometry"])
    G.graph["crs"] = "EPSG:4326"
    with pytest.raises(NetworkError, match="project it first"):
        apply_barriers(G, [shapely.LineString([(5, -1), (5, 1)])])
    del G.graph["crs"]
    with pytest.raises(NetworkError, match="no 'crs'"):
        apply_barriers(G, [shapely.LineString([(5, -1), (5, 1)])])
    # an empty layer changes nothing
    G = _graph({1: (0, 0), 2: (10, 0)}, [(1, 2)])
    H, rep = apply_barriers(G, gpd.GeoSeries([], crs=CRS))
    assert H.number_of_edges() == 2 and rep.n_edges == 0


# --------------------------------------------------------------------------- close_paths


def test_close_paths_matches_overlap_not_crossings() -> None:
    #   1 ───────── 2 ───── 3   footpath 1–2 (200 m) closed, drawn 3 m off and shorter;
    #               │           2–4 meets it at a right angle; 5–6 crosses it
    #               4
    G = _graph(
        {1: (0, 0), 2: (200, 0), 3: (300, 0), 4: (200, -100), 5: (100, -50), 6: (100, 50)},
        [(1, 2), (2, 3), (2, 4), (5, 6)],
    )
    line = gpd.GeoDataFrame(
        {"name": ["竹林小径"]}, geometry=[shapely.LineString([(10, 3), (195, 3)])], crs=CRS
    )
    H, rep = close_paths(G, line)
    assert sorted(rep.removed[["u", "v"]].itertuples(index=False, name=None)) == [(1, 2), (2, 1)]
    # within 5 m of the line drawn from x = 10 to 195 at y = 3: x = 6 … 199 on the path
    # (√(5² − 3²) = 4 m beyond each end), 193 m of the 200 m edge
    assert rep.removed["reason"].iloc[0] == "runs along a closed path for 193 m"
    # 2–3 starts 1 m past the zone's end (x = 199) and 2–4 / 5–6 are perpendicular: open
    assert H.has_edge(2, 3) and H.has_edge(2, 4) and H.has_edge(5, 6)
    # too far off the path: nothing closed
    _, rep = close_paths(G, [shapely.LineString([(10, 8), (195, 8)])])
    assert rep.n_edges == 0 and rep.summary["lines_without_match"] == 1
    _, rep = close_paths(G, [shapely.LineString([(10, 8), (195, 8)])], tolerance_m=10)
    assert rep.n_edges == 2


def test_close_paths_short_edge_and_bad_input() -> None:
    # a 12 m edge fully along the closure: min(10, 6) = 6 m of overlap needed, 12 found
    G = _graph({1: (0, 0), 2: (12, 0), 3: (12, 12)}, [(1, 2), (2, 3)])
    H, rep = close_paths(G, [shapely.LineString([(0, 1), (12, 1)])])
    assert rep.n_edges == 2 and sorted(H.edges()) == [(2, 3), (3, 2)]
    with pytest.raises(InputError, match="use apply_barriers for polygons"):
        close_paths(G, [shapely.box(0, 0, 1, 1)])
    with pytest.raises(InputError, match="must be positive"):
        close_paths(G, [shapely.LineString([(0, 1), (12, 1)])], tolerance_m=0)


# --------------------------------------------------------------------------- gated_compounds


def _compound_graph() -> nx.MultiDiGraph:
    # compound: square (0, 0)–(100, 100), gate at (50, 0) on the south fence
    #   in ── s  through the gate (crossing in the edge's interior)   → kept
    #   in ── e  through the east fence, no gate                      → cut
    #   in ── w2 ── w  the way in ends at node w2 ON the west fence     → in–w2 cut
    #   n1 ── n2  a street along the north fence (touching only)      → kept
    #   in ── c   an internal path                                    → kept
    #   p1 ── p2  a primary road through the compound                 → exempt, kept
    #   e ── n2, w ── n1, n1 ── p1, s ── se ── e, p2 ── se: streets outside joining the ends
    return _graph(
        {
            "in": (50, 50),
            "s": (50, -20),
            "e": (130, 50),
            "w2": (0, 60),
            "w": (-30, 60),
            "n1": (0, 100),
            "n2": (100, 100),
            "c": (70, 70),
            "p1": (-20, 80),
            "p2": (120, 80),
            "se": (120, -20),
        },
        [
            ("in", "s"),
            ("in", "e"),
            ("in", "w2"),
            ("w2", "w"),
            ("n1", "n2"),
            ("in", "c"),
            ("p1", "p2", {"highway": "primary"}),
            ("e", "n2"),  # the outside ends join the streets (they touch fence corners only)
            ("w", "n1"),
            ("n1", "p1"),
            ("s", "se"),
            ("se", "e"),
            ("p2", "se"),
        ],
        highway="footway",
    )


def test_gated_compounds_by_hand() -> None:
    G = _compound_graph()
    compounds = gpd.GeoDataFrame(
        {"name": ["翡翠苑"]}, geometry=[shapely.box(0, 0, 100, 100)], crs=CRS
    )
    gates = gpd.GeoSeries([shapely.Point(50, 0), shapely.Point(500, 500)], crs=CRS)
    H, rep = gated_compounds(G, compounds, gates)
    cut = sorted(rep.removed[["u", "v"]].itertuples(index=False, name=None))
    assert cut == [("e", "in"), ("in", "e"), ("in", "w2"), ("w2", "in")]
    uv = zip(rep.removed["u"], rep.removed["v"], strict=True)
    reasons = dict(zip(uv, rep.removed["reason"], strict=True))
    assert (
        reasons[("in", "e")] == "crosses the boundary of 翡翠苑 away from a gate at (100.0, 50.0)"
    )
    assert reasons[("in", "w2")].startswith("enters 翡翠苑 at a node on its boundary")
    for kept in [("in", "s"), ("s", "in"), ("n1", "n2"), ("in", "c"), ("p1", "p2"), ("w2", "w")]:
        assert H.has_edge(*kept), kept
    row = rep.compounds.iloc[0]
    assert (row["name"], row["gates"], row["crossings_at_gates"], row["edges_cut"]) == (
        "翡翠苑",
        1,
        2,
        4,
    )
    assert not row["sealed"]
    assert rep.summary["exempt_crossings"] == 2  # the primary road, both ways
    # without the exemption the primary road is cut too
    _, rep = gated_compounds(G, compounds, gates, exempt_highways=())
    assert rep.n_edges == 6
    # a gate drawn 4 m beside the path still counts (tolerance 5 m), 6 m does not
    _, rep = gated_compounds(G, compounds, [shapely.Point(54, 0)])
    assert ("in", "s") not in set(zip(rep.removed["u"], rep.removed["v"], strict=True))
    # a gate 6 m off: nothing leads out; by default the part is given its main access
    # back ("gate not mapped"): all three ways in are footways, so all are restored
    with pytest.warns(BarrierWarning, match="cut parts of the network off.*gate not mapped"):
        H, rep = gated_compounds(G, compounds, [shapely.Point(56, 0)])
    row = rep.compounds.iloc[0]
    assert bool(row["sealed"]) and row["gate_status"] == "gate not mapped"
    assert (row["nodes_inside"], row["nodes_cut_off"], row["crossings_restored"]) == (2, 2, 6)
    assert rep.n_edges == 0 and H.has_edge("in", "e")
    with pytest.warns(BarrierWarning, match="become unreachable"):
        _, rep = gated_compounds(G, compounds, [shapely.Point(56, 0)], unmapped_gates="seal")
    assert rep.compounds["sealed"].tolist() == [True]
    assert rep.compounds["gate_status"].tolist() == ["sealed"]
    assert rep.summary["still_sealed"] == ["翡翠苑"] and rep.n_edges == 6
    with pytest.raises(InputError, match="unmapped_gates"):
        gated_compounds(G, compounds, gates, unmapped_gates="prison")


def test_gate_node_on_the_fence_and_gates_from_node_tags() -> None:
    # unsimplified OSM: the gate is a node on the fence, both ways in end there
    G = _graph(
        {
            "in": (50, 50),
            "g": (50, 0),
            "s": (50, -20),
            "x": (100, 50),
            "y": (130, 50),
            "sy": (130, -20),
        },
        [("in", "g"), ("g", "s"), ("in", "x"), ("x", "y"), ("y", "sy"), ("sy", "s")],
    )
    G.nodes["g"]["barrier"] = "gate"
    H, rep = gated_compounds(G, [shapely.box(0, 0, 100, 100)])  # gates from the node tags
    assert sorted(rep.removed[["u", "v"]].itertuples(index=False, name=None)) == [
        ("in", "x"),
        ("x", "in"),
    ]
    assert H.has_edge("in", "g") and H.has_edge("g", "s")
    assert rep.compounds["crossings_at_gates"].tolist() == [2]
    del G.nodes["g"]["barrier"]
    with pytest.raises(InputError, match="no gate nodes"):
        gated_compounds(G, [shapely.box(0, 0, 100, 100)])
    with pytest.warns(BarrierWarning, match="1 compound"):
        _, rep = gated_compounds(G, [shapely.box(0, 0, 100, 100)], [], unmapped_gates="seal")
    assert rep.n_edges == 4
    with pytest.raises(InputError, match="polygons"):
        gated_compounds(G, [shapely.LineString([(0, 0), (1, 1)])], [])
    with pytest.raises(InputError, match="points"):
        gated_compounds(G, [shapely.box(0, 0, 100, 100)], [shapely.box(0, 0, 1, 1)])


# --------------------------------------------------------------------------- the sample


@pytest.fixture(scope="module")
def sample_graph() -> nx.MultiDiGraph:
    # osmnx.graph_from_xml alone keeps every way (fences, landuse, the river, the motorway):
    # the sample's walking network is the one filtered by osmnx's walk rules
    return c15.build_walk_network(sample_path("walk_network.osm"))


@pytest.fixture(scope="module")
def sample_compounds():
    return compounds_from_osm(sample_path("walk_network.osm"))


def test_river_is_crossed_only_on_bridges(sample_graph) -> None:
    G = sample_graph
    water = ox.features_from_xml(sample_path("walk_network.osm"), tags={"natural": "water"})
    assert water["name"].tolist() == ["竹公溪"]
    river = water.to_crs(G.graph["crs"]).geometry.iloc[0]
    crossing = {
        (u, v, k)
        for u, v, k, d in G.edges(keys=True, data=True)
        if shapely.relate_pattern(d["geometry"], river, "T********")
    }
    bridges = {(u, v, k) for u, v, k, d in G.edges(keys=True, data=True) if d.get("bridge")}
    assert crossing == bridges
    assert {G.edges[e]["name"] for e in bridges} == {"长青路", "龙游路", "竹公溪人行桥"}
    # as a barrier layer: nothing to cut when bridges are kept; only the bridges otherwise
    _, rep = apply_barriers(G, water, keep_bridges=True)
    assert rep.n_edges == 0 and rep.summary["bridge_edges_kept"] == 6
    H, rep = apply_barriers(G, water)
    assert rep.n_edges == 6 and rep.n_streets == 3
    assert nx.number_weakly_connected_components(H) > nx.number_weakly_connected_components(G)


def test_sample_compounds_are_entered_only_through_gates(sample_graph, sample_compounds) -> None:
    compounds, gates = sample_compounds
    assert (len(compounds), len(gates)) == (20, 31)
    _, rep = gated_compounds(sample_graph, compounds, gates)
    # the sample is built gated: every way in passes a gate, nothing to cut
    assert rep.n_edges == 0
    assert rep.summary["crossings_at_gates"] == 62  # 31 gates, two directions
    assert (rep.compounds["crossings_at_gates"] == 2 * rep.compounds["gates"]).all()
    # the unsimplified graph keeps the gate nodes on the fences: same answer from node tags
    G2 = c15.build_walk_network(sample_path("walk_network.osm"), simplify=False)
    _, rep2 = gated_compounds(G2, compounds)
    assert rep2.n_edges == 0 and rep2.summary["crossings_at_gates"] == 62


def _node_at(G: nx.MultiDiGraph, pt: tuple[float, float]) -> object | None:
    """A node at ``pt``: an existing one within 0.5 m, else split the street under it (≤ 1 m)."""
    P = shapely.Point(pt)
    best = min(G.nodes, key=lambda n: P.distance(shapely.Point(G.nodes[n]["x"], G.nodes[n]["y"])))
    if P.distance(shapely.Point(G.nodes[best]["x"], G.nodes[best]["y"])) < 0.5:
        return best
    u, v, k, d = min(G.edges(keys=True, data=True), key=lambda e: e[3]["geometry"].distance(P))
    if d["geometry"].distance(P) > 1.0:
        return None
    g = d["geometry"]
    s = g.project(P)
    back = list(G[v].get(u, {}))[:1]
    n = max(G.nodes) + 1
    q = g.interpolate(s)
    G.add_node(n, x=q.x, y=q.y)
    G.remove_edge(u, v, k)
    for kk in back:
        G.remove_edge(v, u, kk)
    for a, b, part in [(u, n, substring(g, 0, s)), (n, v, substring(g, s, g.length))]:
        G.add_edge(a, b, **{**d, "geometry": part, "length": part.length})
        if back:
            G.add_edge(b, a, **{**d, "geometry": part.reverse(), "length": part.length})
    return n


def test_gates_lengthen_walks_on_the_sample(sample_graph, sample_compounds, capsys) -> None:
    """Open every compound on each side (a side door from the ring road straight to the
    street), then let gated_compounds close them again: how much farther do homes walk?"""
    compounds, gates = sample_compounds
    crs = sample_graph.graph["crs"]
    TOL = 4.0  # some side midpoints lie 2.5 m or exactly 5 m from a gate: keep clear of 5
    tr = pyproj.Transformer.from_crs(4326, crs, always_xy=True)

    def utm(x: float, y: float) -> tuple[float, float]:  # the sample's local metres → UTM
        return tr.transform(LON0 + x / M_PER_DEG_LON, LAT0 + y / M_PER_DEG_LAT)

    gate_pts = gates.to_crs(crs)
    opened = sample_graph.copy()
    doors = {}
    for name, (w, s, e, n) in zip(compounds["name"], compounds.bounds.to_numpy(), strict=True):
        x0, x1 = round((w - LON0) * M_PER_DEG_LON), round((e - LON0) * M_PER_DEG_LON)
        y0, y1 = round((s - LAT0) * M_PER_DEG_LAT), round((n - LAT0) * M_PER_DEG_LAT)
        xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
        # ring road 18 m inside the fence, street centre line 25 m outside (sample.py)
        sides = {
            "S": ((xm, y0 + 18), (xm, y0), (xm, y0 - 25)),
            "N": ((xm, y1 - 18), (xm, y1), (xm, y1 + 25)),
            "W": ((x0 + 18, ym), (x0, ym), (x0 - 25, ym)),
            "E": ((x1 - 18, ym), (x1, ym), (x1 + 25, ym)),
        }
        for side, (ring, fence, street) in sides.items():
            a, b = _node_at(opened, utm(*ring)), _node_at(opened, utm(*street))
            if a is None or b is None:
                continue  # no street outside this side (the river bank, the district edge)
            pa = (opened.nodes[a]["x"], opened.nodes[a]["y"])
            pb = (opened.nodes[b]["x"], opened.nodes[b]["y"])
            door = shapely.LineString([pa, pb])
            for p, q, g in [(a, b, door), (b, a, door.reverse())]:
                opened.add_edge(p, q, length=door.length, geometry=g, highway="footway")
            at_gate = float(gate_pts.distance(shapely.Point(utm(*fence))).min()) <= TOL
            doors[(name, side)] = (a, b, at_gate)
    n_doors = len(doors)
    n_at_gates = sum(at for *_, at in doors.values())
    assert (n_doors, n_at_gates) == (74, 12)  # 6 sides have no street outside

    gated, rep = gated_compounds(opened, compounds, gates, gate_tolerance_m=TOL)
    # exactly the side doors away from gates are cut, both directions; doors at gates stay
    assert rep.n_edges == 2 * (n_doors - n_at_gates)
    assert set(rep.removed["highway"]) == {"footway"}
    cut = sorted(tuple(sorted(uv)) for uv in zip(rep.removed["u"], rep.removed["v"], strict=True))
    assert cut == sorted(tuple(sorted(d[:2])) for d in doors.values() if not d[2] for _ in (0, 1))

    # by hand: 金桂园 (fence 325–575 × 1625–1925, one gate, north, at x = 450). From the south
    # side door's ring node (450, 1643) to 嘉州大道 at (450, 1600): open 43 m. Gated: ring west
    # 107 m (to x = 343) + north 264 m (to y = 1907) + east 107 m (to x = 450) + the gate path
    # 18 + 25 = 43 m to 凤凰路 (y = 1950) + 150 m west to 金桂街 (x = 300) + 350 m south to
    # 嘉州大道 + 150 m east = 1171 m (via 长青路 at x = 600 is as long).
    a, b, _ = doors[("金桂园", "S")]
    assert nx.shortest_path_length(opened, a, b, weight="length") == pytest.approx(43, abs=0.5)
    assert nx.shortest_path_length(gated, a, b, weight="length") == pytest.approx(1171, rel=2e-3)

    # all homes in compounds (building centroids → nearest node inside the compound)
    area = compounds.to_crs(crs).union_all()
    bld = gpd.read_file(sample_path("buildings.geojson")).to_crs(crs)
    homes = bld.centroid[bld.centroid.within(area)]
    nodes = np.array(list(opened.nodes), dtype=object)
    pts = shapely.points([(opened.nodes[n]["x"], opened.nodes[n]["y"]) for n in nodes])
    inside = shapely.within(pts, area)
    home_node = nodes[inside][shapely.STRtree(pts[inside]).nearest(homes.to_numpy())]
    street_nodes = list(nodes[~inside])
    fac = gpd.read_file(sample_path("facilities.geojson")).to_crs(crs)
    street_fac = fac[~fac.within(area)]  # the 105 along the streets
    fac_nodes = set(nodes[~inside][shapely.STRtree(pts[~inside]).nearest(street_fac.geometry)])

    def dist(G: nx.MultiDiGraph, sources) -> np.ndarray:
        d = nx.multi_source_dijkstra_path_length(G, set(sources), weight="length")
        return np.array([d[n] for n in home_node])

    out_open, out_gated = dist(opened, street_nodes), dist(gated, street_nodes)
    fac_open, fac_gated = dist(opened, fac_nodes), dist(gated, fac_nodes)
    assert (out_gated >= out_open - 1e-9).all() and (fac_gated >= fac_open - 1e-9).all()
    extra_out = out_gated - out_open
    extra_fac = fac_gated - fac_open
    with capsys.disabled():
        print(
            f"\n{len(homes)} homes in {len(compounds)} gated compounds, {n_doors} side doors "
            f"({n_at_gates} at gates), {rep.n_edges} edges cut:\n"
            f"  to the street outside: {out_open.mean():.0f} m open → {out_gated.mean():.0f} m "
            f"gated (+{extra_out.mean():.0f} m mean, median +{np.median(extra_out):.0f}, "
            f"max +{extra_out.max():.0f})\n"
            f"  to the nearest street facility: {fac_open.mean():.0f} m → {fac_gated.mean():.0f} m "
            f"(+{extra_fac.mean():.0f} m mean, median +{np.median(extra_fac):.0f}, "
            f"max +{extra_fac.max():.0f}; ×{fac_gated.sum() / fac_open.sum():.2f})"
        )
    # measured: 369 homes; street 72 → 226 m (+154 m); nearest street facility 134 → 287 m
    assert len(homes) == 369
    assert extra_out.mean() == pytest.approx(153.6, abs=1.0)
    assert extra_fac.mean() == pytest.approx(153.1, abs=1.0)
    assert extra_out.max() == pytest.approx(533, abs=2)


def test_barrier_tolerance_grows_the_barrier() -> None:
    # a wall drawn 2 m short of the street: no effect, unless grown by 3 m
    G = _graph({1: (0, 0), 2: (100, 0)}, [(1, 2)])
    wall = [shapely.LineString([(50, 2), (50, 30)])]
    assert apply_barriers(G, wall)[1].n_edges == 0
    H, rep = apply_barriers(G, wall, tolerance_m=3)
    assert rep.n_edges == 2 and rep.summary["tolerance_m"] == 3.0
    assert H.graph["coverage15"]["edges_removed_by_barriers"] == 2
    # reports accumulate over several layers
    H, _ = close_paths(H, [shapely.LineString([(0, 1), (100, 1)])])
    assert [r["kind"] for r in H.graph["coverage15"]["barriers"]] == ["barriers", "closed_paths"]
    with pytest.raises(InputError, match="non-negative"):
        apply_barriers(G, wall, tolerance_m=-1)


# --------------------------------------------------------------------------- sealed compounds


def _half_gated_graph() -> nx.MultiDiGraph:
    # compound (0, 0)–(100, 100); the gate (20, 0) leads only to the small west part a–b;
    # the main part m1–m2 leaves by a footway through the east fence (m1–e) and a service
    # road through the north fence (m2–n), neither at a gate. Outside: s1–se–e–ne–n.
    #
    #            n ───────── ne
    #            │ (service)  │
    #    ┌───────┼──────┐     │
    #    │  b    m2     │     │
    #    │  │    │      │     │
    #    │  │    m1 ────┼──── e      (footway)
    #    │  a           │     │
    #    └──┼───────────┘     │
    #      s1 ────────────── se
    return _graph(
        {
            "a": (20, 20),
            "b": (20, 50),
            "m1": (70, 50),
            "m2": (70, 80),
            "s1": (20, -20),
            "se": (130, -20),
            "e": (130, 50),
            "ne": (130, 130),
            "n": (70, 130),
        },
        [
            ("a", "b", {"highway": "footway"}),
            ("a", "s1", {"highway": "footway"}),
            ("m1", "m2", {"highway": "service"}),
            ("m1", "e", {"highway": "footway"}),
            ("m2", "n", {"highway": "service"}),
            ("s1", "se", {"highway": "residential"}),
            ("se", "e", {"highway": "residential"}),
            ("e", "ne", {"highway": "residential"}),
            ("ne", "n", {"highway": "residential"}),
        ],
    )


def test_sealed_part_of_a_compound_is_detected_and_given_its_main_access() -> None:
    G = _half_gated_graph()
    compound = gpd.GeoDataFrame(
        {"name": ["半封闭苑"]}, geometry=[shapely.box(0, 0, 100, 100)], crs=CRS
    )
    gate = [shapely.Point(20, 0)]
    homes = gpd.GeoDataFrame(
        {"households": [40, 10]},
        geometry=[shapely.Point(72, 65), shapely.Point(22, 35)],  # on m1–m2, on a–b
        crs=CRS,
    )
    # the old check saw a crossing kept at the gate and called the compound open
    with pytest.warns(BarrierWarning, match=r"半封闭苑; 2 node\(s\) \(1 home\(s\), 40 household"):
        H, rep = gated_compounds(G, compound, gate, homes=homes)
    row = rep.compounds.iloc[0]
    assert row["crossings_at_gates"] == 2  # a–s1 both ways
    # m1, m2 lost every way out (a, b did not): 2 of 4 inside nodes, the street m1–m2 both
    # ways; the home on m1–m2 with its 40 households
    assert (row["nodes_inside"], row["inside_nodes_cut_off"]) == (4, 2)
    assert (row["nodes_cut_off"], row["edges_cut_off"]) == (2, 2)
    assert (row["homes_cut_off"], row["households_cut_off"]) == (1, 40)
    assert not row["sealed"]  # a part, not the whole
    # main access: the service road m2–n (rank above the footway m1–e) is restored
    assert row["gate_status"] == "gate not mapped" and row["crossings_restored"] == 2
    assert H.has_edge("m2", "n") and H.has_edge("n", "m2")
    assert not H.has_edge("m1", "e") and rep.n_edges == 2
    assert nx.shortest_path_length(H, "m1", "e", weight="length") == pytest.approx(
        30 + 50 + 60 + 80  # m1 → m2 → n → ne → e
    )
    assert rep.summary["gate_not_mapped"] == ["半封闭苑"] and rep.summary["still_sealed"] == []
    assert rep.summary["households_cut_off"] == 40
    # the points to draw: the gate used and the unmapped gate; the cut crossings
    g = rep.gates.sort_values("kind")
    assert g["kind"].tolist() == ["gate not mapped", "mapped gate"]
    assert [(p.x, p.y) for p in g.geometry] == [(70.0, 100.0), (20.0, 0.0)]
    assert g["edges"].tolist() == [2, 2] and rep.gates.crs == G.graph["crs"]
    c = rep.crossings.sort_values("restored")
    assert c[["highway", "restored"]].values.tolist() == [["footway", False], ["service", True]]
    assert [(p.x, p.y) for p in c.geometry] == [(100.0, 50.0), (70.0, 100.0)]
    assert "1 with a gate not mapped (2 crossing(s) restored)" in str(rep)
    # the same points in the build record, as plain records
    rec = H.graph["coverage15"]["barriers"][-1]
    assert sorted((p["kind"], p["x"], p["y"]) for p in rec["gate_points"]) == [
        ("gate not mapped", 70.0, 100.0),
        ("mapped gate", 20.0, 0.0),
    ]
    assert sorted((p["restored"], p["highway"], p["x"], p["y"]) for p in rec["cut_crossings"]) == [
        (False, "footway", 100.0, 50.0),
        (True, "service", 70.0, 100.0),
    ]
    # homes without a households column count one household each; WGS84 homes are projected
    plain = gpd.GeoDataFrame(geometry=homes.geometry, crs=CRS).to_crs(4326)
    with pytest.warns(BarrierWarning):
        _, rep = gated_compounds(G, compound, gate, homes=plain)
    assert rep.compounds[["homes_cut_off", "households_cut_off"]].values.tolist() == [[1, 1]]
    # "all": every cut crossing of the part comes back
    with pytest.warns(BarrierWarning):
        H, rep = gated_compounds(G, compound, gate, unmapped_gates="all")
    assert rep.n_edges == 0 and rep.compounds["crossings_restored"].tolist() == [4]
    assert pd.isna(rep.compounds["homes_cut_off"].iloc[0])  # no homes given
    # "seal": kept cut, and reported as such
    with pytest.warns(BarrierWarning, match="unreachable"):
        H, rep = gated_compounds(G, compound, gate, unmapped_gates="seal")
    assert rep.n_edges == 4 and rep.compounds["gate_status"].tolist() == ["sealed"]
    assert not nx.has_path(H.to_undirected(), "m1", "e")
    # with the gate at the service road too, nothing is cut off and no warning
    H, rep = gated_compounds(G, compound, [*gate, shapely.Point(70, 100)])
    assert rep.compounds["nodes_cut_off"].tolist() == [0]
    assert rep.compounds["gate_status"].tolist() == ["gates mapped"]


def test_a_piece_that_was_an_island_before_is_not_blamed_on_the_gates() -> None:
    # p–q inside the compound was never connected to any street: not "cut off"
    G = _graph(
        {"p": (40, 40), "q": (60, 40), "x": (200, 0), "y": (300, 0)}, [("p", "q"), ("x", "y")]
    )
    _, rep = gated_compounds(G, [shapely.box(0, 0, 100, 100)], [])
    assert rep.compounds[["nodes_inside", "nodes_cut_off"]].values.tolist() == [[2, 0]]
    assert rep.summary["nodes_cut_off"] == 0
    assert rep.compounds["gate_status"].tolist() == ["gates mapped"]


# --------------------------------------------------------------------------- compounds_from_osm


def _compounds_osm(path) -> None:
    # A (甲园): square 0..100; a footway from (50, -30) into (50, 60) with a gate node 12 m
    #   inside the boundary (at y = 12): a gate on a way in, found although > 5 m away.
    # B (relation, unnamed): outer ring 200..300 × 0..100 from two open ways, a hole
    #   230..270 × 30..70; a private service road crosses its west side at y = 80.
    # C (丙园): 0..100 × 200..300; a foot=yes path crosses its south side: open, not gated.
    # D (丁园): 200..300 × 200..300, a gate node on its west side, on no way.
    # E (relation 戊园): one closed outer way 400..500 × 0..100 and a member way missing.
    nodes = {
        1: (0, 0),
        2: (100, 0),
        3: (100, 100),
        4: (0, 100),
        10: (50, -30),
        11: (50, 12, {"barrier": "gate"}),
        12: (50, 60),
        20: (200, 0),
        21: (300, 0),
        22: (300, 100),
        23: (200, 100),
        24: (230, 30),
        25: (270, 30),
        26: (270, 70),
        27: (230, 70),
        28: (150, 80),
        29: (250, 80),
        30: (0, 200),
        31: (100, 200),
        32: (100, 300),
        33: (0, 300),
        34: (50, 170),
        35: (50, 250),
        40: (200, 200),
        41: (300, 200),
        42: (300, 300),
        43: (200, 300),
        44: (200, 250, {"barrier": "lift_gate"}),
        50: (400, 0),
        51: (500, 0),
        52: (500, 100),
        53: (400, 100),
    }
    ways = [
        (100, [1, 2, 3, 4, 1], {"landuse": "residential", "name": "甲园"}),
        (101, [10, 11, 12], {"highway": "footway"}),
        (200, [20, 21, 22], {}),
        (201, [22, 23, 20], {}),
        (202, [24, 25, 26, 27, 24], {}),
        (203, [28, 29], {"highway": "service", "access": "private"}),
        (300, [30, 31, 32, 33, 30], {"landuse": "residential", "name": "丙园"}),
        (301, [34, 35], {"highway": "path", "foot": "yes"}),
        (400, [40, 41, 42, 43, 40], {"landuse": "residential", "name": "丁园"}),
        (500, [50, 51, 52, 53, 50], {}),
    ]
    relations = [
        (
            900,
            [("w", 200, "outer"), ("w", 201, "outer"), ("w", 202, "inner")],
            {"type": "multipolygon", "landuse": "residential"},
        ),
        (
            901,
            [("w", 500, "outer"), ("w", 599, "outer")],
            {"type": "multipolygon", "landuse": "residential", "name": "戊园"},
        ),
    ]
    write_osm(path, nodes, ways, relations)


def test_compounds_from_osm_by_hand(tmp_path) -> None:
    path = tmp_path / "compounds.osm"
    _compounds_osm(path)
    comp, gates = compounds_from_osm(path)
    assert comp.index.tolist() == ["way/100", "way/300", "way/400", "relation/900", "relation/901"]
    assert comp["name"].tolist() == ["甲园", "丙园", "丁园", "relation/900", "戊园"]
    assert comp["name_source"].tolist() == ["name", "name", "name", "osm id", "name"]
    assert comp["gated"].tolist() == [True, False, True, True, False]
    assert comp["gates_found"].tolist() == [
        "1 gate node(s) on ways in",
        "1 way(s) in open to walkers",
        "1 gate node(s) on the boundary",
        "1 private way(s) in",
        "no gate mapped",
    ]
    assert comp.loc["relation/901", "missing_members"] == "way/599"
    # the multipolygon: 100 × 100 minus the 40 × 40 hole, in m²
    area = comp.to_crs(comp.estimate_utm_crs()).area
    assert area["relation/900"] == pytest.approx(10_000 - 1_600, rel=2e-3)
    assert area["relation/901"] == pytest.approx(10_000, rel=2e-3)
    g = gates.set_index("compound")
    assert g.loc["way/100", "kind"] == "gate_node" and g.loc["way/100", "node"] == "node/11"
    assert g.loc["way/100", "offset_m"] == pytest.approx(12.0, abs=0.2)
    assert g.loc["way/100", "way"] == "way/101"
    # the gate is placed where the way crosses the boundary: (50, 0)
    pt = gates.set_index("compound").to_crs(comp.estimate_utm_crs()).geometry
    ref = gpd.GeoSeries([shapely.Point(ll(50, 0))], crs=4326).to_crs(pt.crs).iloc[0]
    assert pt["way/100"].distance(ref) < 0.05
    assert g.loc["relation/900", "kind"] == "private_way"
    assert g.loc["relation/900", "access"] == "private"
    assert g.loc["way/300", "kind"] == "open_way" and g.loc["way/300", "foot"] == "yes"
    assert g.loc["way/400", "kind"] == "boundary_gate"
    assert g.loc["way/400", "barrier"] == "lift_gate"
    assert comp.attrs["osm_compounds"]["without_gate_evidence"] == ["way/300", "relation/901"]
    # only the gated ones
    comp2, gates2 = compounds_from_osm(path, require_gate=True)
    assert comp2.index.tolist() == ["way/100", "way/400", "relation/900"]
    assert set(gates2["compound"]) == {"way/100", "way/400", "relation/900"}
    # the old 5 m rule: the gate node 12 m along the way is not found
    _, gates3 = compounds_from_osm(path, gate_search_m=5)
    assert "way/100" not in set(gates3["compound"])


def test_compounds_from_osm_cache(tmp_path, monkeypatch) -> None:
    path = tmp_path / "compounds.osm"
    _compounds_osm(path)
    cache = tmp_path / "cache"
    comp, gates = compounds_from_osm(path, cache_dir=cache)
    files = list(cache.glob("compounds-*.pkl"))
    assert len(files) == 1 and "from_cache" not in comp.attrs

    import coverage15.osm_features as of

    def no_read(*a, **k):
        raise AssertionError("the OSM file was read again")

    monkeypatch.setattr(of, "read_osm", no_read)
    comp2, gates2 = compounds_from_osm(path, cache_dir=cache)
    assert comp2.attrs["from_cache"] == str(files[0])
    assert comp2.drop(columns="geometry").equals(comp.drop(columns="geometry"))
    assert comp2.geometry.geom_equals(comp.geometry).all() and len(gates2) == len(gates)
    # other options, or another file content: another cache entry, read again
    monkeypatch.undo()
    compounds_from_osm(path, cache_dir=cache, gate_search_m=10)
    assert len(list(cache.glob("compounds-*.pkl"))) == 2


CAU = (
    Path(__file__).resolve().parents[1]
    / ".."
    / "shared"
    / "data"
    / "osm"
    / ("beijing_haidian_cau_2026.osm.bz2")
)


@pytest.mark.skipif(not CAU.is_file(), reason="../shared/data/osm is absent")
def test_compounds_from_osm_beijing_cau() -> None:
    """Issue 15.5: the old reader accepted 2 of the 10 closed ways (a gate node within 5 m of
    the boundary) and lost the multipolygon 双泉堡甲2号院 (a member missing from the clip)."""
    comp, gates = compounds_from_osm(CAU)
    assert len(comp) == 11  # 10 closed ways + 1 multipolygon relation
    assert comp.loc["relation/14400092", "name"] == "双泉堡甲2号院"
    assert comp.loc["relation/14400092", "missing_members"] == "way/960940776"
    assert comp.loc["way/609225889", "name"] == "way/609225889"  # unnamed: its OSM id
    assert comp.index[comp["gated"]].tolist() == [
        "way/595108678",
        "way/609225889",
        "way/1025016911",
    ]
    assert gates["kind"].value_counts().to_dict() == {"gate_node": 4, "boundary_gate": 4}
    assert comp.loc["way/609225889", "gates_found"] == (
        "3 gate node(s) on ways in; 2 gate node(s) on the boundary"
    )
    # 学士居's lift gate is 22 m along its way in from the landuse outline
    xs = gates.set_index("compound").loc["way/1025016911"]
    assert xs["barrier"] == "lift_gate" and xs["offset_m"] == pytest.approx(22.3, abs=0.1)
