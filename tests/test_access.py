"""The routing engine against hand-worked answers and independent networkx references.

Hand-built graphs use metres in EPSG:32650; every expected distance is worked
out in a comment. The real-data tests compare with networkx on the Beijing
extracts in ``../shared/data/osm`` and with an independent split-edge
reference (each point inserted as a node splitting its street).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from coverage15 import InputError
from coverage15.access import WalkNetwork
from coverage15.snap import UnsnappedWarning

CRS = "EPSG:32650"
OSM = Path(__file__).parents[1].parent / "shared" / "data" / "osm"


# ----------------------------------------------------------------------------- helpers
def graph(nodes: dict, edges: list, *, both: bool = True) -> nx.MultiDiGraph:
    """MultiDiGraph from {id: (x, y)} and [(u, v, length[, geometry])]."""
    G = nx.MultiDiGraph(crs=CRS)
    for node, (x, y) in nodes.items():
        G.add_node(node, x=float(x), y=float(y))
    for u, v, length, *geom in edges:
        attrs = {"length": float(length)}
        if geom:
            attrs["geometry"] = geom[0]
        G.add_edge(u, v, **attrs)
        if both:
            back = dict(attrs)
            if geom:
                back["geometry"] = shapely.reverse(geom[0])
            G.add_edge(v, u, **back)
    return G


def homes_at(xy: list, index: list | None = None) -> gpd.GeoSeries:
    return gpd.GeoSeries(shapely.points(np.asarray(xy, dtype=float)), index=index, crs=CRS)


def facilities_at(xy: list, cats: list | None = None, ids: list | None = None) -> gpd.GeoDataFrame:
    n = len(xy)
    return gpd.GeoDataFrame(
        {
            "category": cats or ["shop"] * n,
            "facility_id": ids or [f"F{i}" for i in range(n)],
        },
        geometry=shapely.points(np.asarray(xy, dtype=float).reshape(-1, 2)),
        crs=CRS,
    )


def nearest(G, homes, facilities, **kw) -> pd.DataFrame:
    return WalkNetwork.from_graph(G).nearest_facilities(homes, facilities, **kw)


# a straight street of 5 nodes, 100 m apart: 0 —— 1 —— 2 —— 3 —— 4
LINE = {i: (100 * i, 0) for i in range(5)}
LINE_EDGES = [(i, i + 1, 100) for i in range(4)]


# ------------------------------------------------------------------- hand-worked cases
def test_straight_line_both_legs_and_partial_edges():
    G = graph(LINE, LINE_EDGES)
    homes = homes_at([[10, 5], [400, 0]])
    fac = facilities_at([[250, -3]])
    r = nearest(G, homes, fac, max_distance_m=1000)
    # home 0: leg 5 + 90 to node 1 + 100 to node 2 + 50 to the foot + leg 3 = 248
    # home 1: at node 4; 100 to node 3 + 50 + leg 3 = 153
    assert r["dist_m__shop"].tolist() == pytest.approx([248.0, 153.0])
    assert r["time_min__shop"].tolist() == pytest.approx([248 / 60, 153 / 60])
    assert r["facility__shop"].tolist() == ["F0", "F0"]
    assert r["snapped"].all()


def test_square_takes_the_shorter_way_round():
    sq = {0: (0, 0), 1: (100, 0), 2: (100, 100), 3: (0, 100)}
    G = graph(sq, [(0, 1, 100), (1, 2, 100), (2, 3, 100), (3, 0, 100)])
    # home 2 m west of the west side at y=50; facility on the east side at y=30
    r = nearest(G, homes_at([[-2, 50]]), facilities_at([[100, 30]]), max_distance_m=1000)
    # south: 2 + 50 + 100 + 30 = 182; north: 2 + 50 + 100 + 70 = 222
    assert r.loc[0, "dist_m__shop"] == pytest.approx(182.0)


def test_home_and_facility_on_the_same_edge_go_directly():
    G = graph(LINE, LINE_EDGES)
    # home at x=40 (leg 1), facility at x=10 (leg 2), both on edge 0-1
    r = nearest(G, homes_at([[40, 1]]), facilities_at([[10, -2]]), max_distance_m=1000)
    # directly: 1 + 30 + 2 = 33 (via node 0 it would be 1 + 40 + 10 + 2 = 53)
    assert r.loc[0, "dist_m__shop"] == pytest.approx(33.0)


def test_same_street_but_the_node_route_is_shorter_elsewhere():
    # facilities on the home's street far away and a nearer one past the node
    G = graph(LINE, LINE_EDGES)
    fac = facilities_at([[95, 0], [105, 0]], ids=["same", "next"])
    r = nearest(G, homes_at([[99, 0]]), fac, max_distance_m=1000)
    # same street: 4 m; next street via node 1: 1 + 5 = 6 m
    assert r.loc[0, "dist_m__shop"] == pytest.approx(4.0)
    assert r.loc[0, "facility__shop"] == "same"


def test_one_way_street_distances_differ_by_direction():
    # one-way street 0 → 1 (100 m) and a two-way detour 0 – 2 – 1 (150 + 150 m)
    nodes = {0: (0, 0), 1: (100, 0), 2: (50, 100)}
    G = graph(nodes, [(0, 1, 100)], both=False)
    for u, v in [(0, 2), (2, 1)]:
        G.add_edge(u, v, length=150.0)
        G.add_edge(v, u, length=150.0)
    net = WalkNetwork.from_graph(G)
    at20, at80 = [[20, 0]], [[80, 0]]
    # home at 20, facility at 80: along the one-way street, 60 m
    r = net.nearest_facilities(homes_at(at20), facilities_at(at80), max_distance_m=1000)
    assert r.loc[0, "dist_m__shop"] == pytest.approx(60.0)
    # home at 80, facility at 20: forward to node 1 (20), detour 1→2→0 (300), 0→20 (20) = 340
    r = net.nearest_facilities(homes_at(at80), facilities_at(at20), max_distance_m=1000)
    assert r.loc[0, "dist_m__shop"] == pytest.approx(340.0)
    # node level: 0 → 1 is 100 m, 1 → 0 is 300 m
    assert net.node_distances([0])[1] == 100.0
    assert net.node_distances([1])[0] == 300.0
    assert net.node_distances([0], reverse=True)[1] == 300.0


def test_one_way_street_home_cannot_walk_back_to_its_start_node():
    # only 0 → 1 exists: a home on it reaches node 1, never node 0
    G = graph({0: (0, 0), 1: (100, 0)}, [(0, 1, 100)], both=False)
    r = nearest(G, homes_at([[30, 0]]), facilities_at([[0, 0]]), max_distance_m=1000)
    assert np.isnan(r.loc[0, "dist_m__shop"])
    # the facility at node 0 sits at the street's start: 30 m back is against the one-way
    # same weak component, but no directed path at any distance: "no_path", not "too far"
    assert r.attrs["counts"]["shop"]["unreachable"] == 1
    assert r.loc[0, "reach__shop"] == "no_path"


def test_disconnected_component_is_nan_and_counted_unreachable():
    nodes = {**LINE, 10: (0, 5000), 11: (100, 5000)}
    G = graph(nodes, [*LINE_EDGES, (10, 11, 100)])
    homes = homes_at([[50, 0], [50, 5000]], index=["main", "island"])
    r = nearest(G, homes, facilities_at([[300, 0]]), max_distance_m=10_000)
    assert r.loc["main", "dist_m__shop"] == pytest.approx(250.0)
    assert np.isnan(r.loc["island", "dist_m__shop"])
    assert pd.isna(r.loc["island", "facility__shop"])
    c = r.attrs["counts"]["shop"]
    assert (c["within"], c["beyond_bound"], c["unreachable"], c["not_snapped"]) == (1, 0, 1, 0)


def test_beyond_the_bound_is_nan_never_a_cap_and_the_bound_is_inclusive():
    G = graph(LINE, LINE_EDGES)
    homes = homes_at([[0, 0], [300, 0], [400, 0]])
    r = nearest(G, homes, facilities_at([[100, 0]]), max_distance_m=200)
    # 100 m, exactly 200 m (kept), 300 m (beyond)
    assert r["dist_m__shop"].tolist()[:2] == [100.0, 200.0]
    assert np.isnan(r["dist_m__shop"].iloc[2])
    assert np.isnan(r["time_min__shop"].iloc[2])
    c = r.attrs["counts"]["shop"]
    assert (c["within"], c["beyond_bound"], c["unreachable"]) == (2, 1, 0)


def test_home_beyond_max_leg_is_not_snapped_and_reported():
    G = graph(LINE, LINE_EDGES)
    homes = gpd.GeoDataFrame(
        {"home_id": ["H1", "H2"]}, geometry=shapely.points([[50, 0], [50, 800]]), crs=CRS
    )
    with pytest.warns(UnsnappedWarning, match=r"1 of 2 homes .*H2"):
        r = nearest(G, homes, facilities_at([[0, 0]]), max_distance_m=1000, max_leg_m=500)
    assert r["snapped"].tolist() == [True, False]
    assert r["dist_m__shop"].iloc[0] == 50.0
    assert np.isnan(r["dist_m__shop"].iloc[1])
    c = r.attrs["counts"]["shop"]
    assert (c["within"], c["not_snapped"]) == (1, 1)
    assert r.attrs["n_homes_unsnapped"] == 1


def test_unsnapped_facility_is_left_out_and_counted():
    G = graph(LINE, LINE_EDGES)
    fac = facilities_at([[0, 900], [400, 0]], ids=["far", "ok"])
    with pytest.warns(UnsnappedWarning, match="far"):
        r = nearest(G, homes_at([[0, 0]]), fac, max_distance_m=1000)
    assert r.loc[0, "facility__shop"] == "ok"
    assert r.loc[0, "dist_m__shop"] == 400.0
    assert r.attrs["counts"]["shop"]["facilities_not_snapped"] == 1


def test_parallel_edges_the_shorter_counts():
    # two identical straight edges 1 → 2 of 100 m and 80 m, plus 0 – 1 and 2 → 1
    G = graph({0: (0, 0), 1: (100, 0), 2: (200, 0)}, [(0, 1, 100)])
    G.add_edge(1, 2, length=100.0)
    G.add_edge(1, 2, length=80.0)
    G.add_edge(2, 1, length=100.0)
    net = WalkNetwork.from_graph(G)
    assert net.csr[1, 2] == 80.0
    # home at node 0, facility at node 2: 100 + 80 = 180
    r = net.nearest_facilities(homes_at([[0, 0]]), facilities_at([[200, 0]]), max_distance_m=1000)
    assert r.loc[0, "dist_m__shop"] == pytest.approx(180.0)
    # a facility half way along that street: 100 + 0.5 × 80 = 140
    r = net.nearest_facilities(homes_at([[0, 0]]), facilities_at([[150, 0]]), max_distance_m=1000)
    assert r.loc[0, "dist_m__shop"] == pytest.approx(140.0)


def test_parallel_streets_with_different_geometries():
    # straight 1 – 2 of 100 m and a bent one of 190 m between the same nodes
    bend = shapely.LineString([(100, 0), (150, 80), (200, 0)])
    G = graph({0: (0, 0), 1: (100, 0), 2: (200, 0)}, [(0, 1, 100), (1, 2, 100), (1, 2, 190, bend)])
    # facility at node 2: from node 0, 100 + 100 = 200 (the straight street counts)
    r = nearest(G, homes_at([[0, 0]]), facilities_at([[200, 0]]), max_distance_m=1000)
    assert r.loc[0, "dist_m__shop"] == pytest.approx(200.0)


def test_facility_exactly_at_a_node():
    G = graph(LINE, LINE_EDGES)
    # facility on node 2 where two streets meet; homes either side
    r = nearest(G, homes_at([[130, 0], [260, 0], [200, 0]]), facilities_at([[200, 0]]))
    assert r["dist_m__shop"].tolist() == pytest.approx([70.0, 60.0, 0.0])


def test_several_categories_and_the_nearest_one_of_each():
    G = graph(LINE, LINE_EDGES)
    fac = facilities_at(
        [[0, 0], [400, 0], [150, 0]],
        cats=["school", "school", "clinic"],
        ids=["S-west", "S-east", "C"],
    )
    r = nearest(G, homes_at([[100, 0], [350, 0]]), fac, max_distance_m=1000)
    assert r["dist_m__school"].tolist() == [100.0, 50.0]
    assert r["facility__school"].tolist() == ["S-west", "S-east"]
    assert r["dist_m__clinic"].tolist() == [50.0, 200.0]
    assert list(r.columns) == [
        "snapped",
        "dist_m__clinic",
        "time_min__clinic",
        "facility__clinic",
        "reach__clinic",
        "dist_m__school",
        "time_min__school",
        "facility__school",
        "reach__school",
    ]


def test_requested_category_without_facilities_is_all_nan():
    G = graph(LINE, LINE_EDGES)
    r = nearest(
        G,
        homes_at([[0, 0]]),
        facilities_at([[100, 0]]),
        categories=["shop", "pharmacy"],
        speed_m_per_min=50,
    )
    assert r.loc[0, "time_min__shop"] == 2.0
    assert np.isnan(r.loc[0, "dist_m__pharmacy"])
    assert r.attrs["counts"]["pharmacy"]["facilities"] == 0
    assert r.attrs["counts"]["pharmacy"]["unreachable"] == 1


def test_no_facilities_at_all():
    G = graph(LINE, LINE_EDGES)
    r = nearest(G, homes_at([[0, 0]]), facilities_at([]), categories=["shop"])
    assert np.isnan(r.loc[0, "dist_m__shop"])
    pairs = WalkNetwork.from_graph(G).catchment_pairs(
        homes_at([[0, 0]]), facilities_at([]), max_distance_m=100
    )
    assert len(pairs) == 0
    assert list(pairs.columns) == ["facility", "home", "dist_m"]


def test_counts_add_up_and_index_is_kept():
    G = graph(LINE, LINE_EDGES)
    homes = homes_at([[0, 0], [400, 0], [50, 700]], index=["a", "b", "c"])
    with pytest.warns(UnsnappedWarning):
        r = nearest(G, homes, facilities_at([[0, 0]]), max_distance_m=300)
    assert r.index.tolist() == ["a", "b", "c"]
    c = r.attrs["counts"]["shop"]
    assert c["within"] + c["beyond_bound"] + c["unreachable"] + c["not_snapped"] == 3
    assert (c["within"], c["beyond_bound"], c["not_snapped"]) == (1, 1, 1)


def test_homes_are_snapped_once_for_new_facilities(monkeypatch):
    import coverage15.access as access

    calls = []
    real = access.snap_array

    def counting(network, arr, **kw):
        calls.append(len(arr))
        return real(network, arr, **kw)

    monkeypatch.setattr(access, "snap_array", counting)
    net = WalkNetwork.from_graph(graph(LINE, LINE_EDGES))
    homes = homes_at([[0, 0], [10, 0], [20, 0]])
    net.nearest_facilities(homes, facilities_at([[100, 0]]))
    net.nearest_facilities(homes.copy(), facilities_at([[200, 0]]))
    assert calls == [3, 1, 1]  # homes once, each new facility set once


def test_input_errors():
    net = WalkNetwork.from_graph(graph(LINE, LINE_EDGES))
    homes = homes_at([[0, 0]])
    with pytest.raises(InputError, match="category"):
        net.nearest_facilities(homes, facilities_at([[0, 0]]), category="类别")
    with pytest.raises(InputError, match="positive"):
        net.nearest_facilities(homes, facilities_at([[0, 0]]), max_distance_m=0)
    with pytest.raises(InputError, match="reproject"):
        net.nearest_facilities(
            homes.set_crs("EPSG:4547", allow_override=True), facilities_at([[0, 0]])
        )
    with pytest.raises(InputError, match="unknown node"):
        net.node_distances([99])


# ------------------------------------------------------------------ independent references
def _oriented_geometry(G: nx.MultiDiGraph, u, v, data) -> shapely.LineString:
    g = data.get("geometry")
    if g is None:
        g = shapely.LineString(
            [(G.nodes[u]["x"], G.nodes[u]["y"]), (G.nodes[v]["x"], G.nodes[v]["y"])]
        )
    start = shapely.Point(g.coords[0])
    if start.distance(shapely.Point(G.nodes[u]["x"], G.nodes[u]["y"])) > start.distance(
        shapely.Point(G.nodes[v]["x"], G.nodes[v]["y"])
    ):
        g = shapely.reverse(g)
    return g


def split_edge_reference(G, homes_xy, fac_xy, limit):
    """Plain networkx: snap by brute force, split streets at every point, run Dijkstra.

    Returns the matrix dist[home, facility] (home → facility, NaN beyond ``limit``).
    """
    edges = [(u, v, d) for u, v, d in G.edges(data=True)]
    geoms = [_oriented_geometry(G, u, v, d) for u, v, d in edges]
    by_ends: dict = {}
    for j, (u, v, _) in enumerate(edges):
        by_ends.setdefault((u, v), []).append(j)

    def lengths(a, b, geom):  # edges a → b along exactly this geometry
        return [
            edges[j][2]["length"]
            for j in by_ends.get((a, b), [])
            if shapely.equals_exact(geoms[j], geom, 1e-9)
        ]

    pts = shapely.points(np.vstack([homes_xy, fac_xy]))
    dist = shapely.distance(np.array(geoms, dtype=object)[None, :], pts[:, None])
    H = nx.MultiDiGraph()
    H.add_edges_from((u, v, {"length": d["length"]}) for u, v, d in edges)
    streets: dict = {}
    for i, j in enumerate(dist.argmin(axis=1)):
        u, v, _ = edges[j]
        g = geoms[j]
        f = shapely.line_locate_point(g, pts[i], normalized=True)
        # one street per geometry, whichever direction the nearest edge ran
        here, there = (u, v, shapely.to_wkb(g)), (v, u, shapely.to_wkb(shapely.reverse(g)))
        if there < here:
            u, v, g, f = v, u, shapely.reverse(g), 1 - f
        key = (u, v, shapely.to_wkb(g))
        if key not in streets:
            streets[key] = (
                u,
                v,
                min(lengths(u, v, g), default=None),
                min(lengths(v, u, shapely.reverse(g)), default=None),
                [],
            )
        streets[key][4].append((f, i, dist[i, j]))
    for u, v, fwd_len, rev_len, on in streets.values():
        on.sort()
        chain = [u, *[("p", i) for _, i, _ in on], v]
        fr = [0.0, *[f for f, _, _ in on], 1.0]
        for a in range(len(chain) - 1):
            if fwd_len is not None:
                H.add_edge(chain[a], chain[a + 1], length=(fr[a + 1] - fr[a]) * fwd_len)
            if rev_len is not None:
                H.add_edge(chain[a + 1], chain[a], length=(fr[a + 1] - fr[a]) * rev_len)
        for _, i, leg in on:
            if i < len(homes_xy):
                H.add_edge(("h", i), ("p", i), length=leg)
            else:
                H.add_edge(("p", i), ("f", i - len(homes_xy)), length=leg)
    R = H.reverse(copy=False)
    out = np.full((len(homes_xy), len(fac_xy)), np.nan)
    for j in range(len(fac_xy)):
        reach = nx.single_source_dijkstra_path_length(R, ("f", j), cutoff=limit, weight="length")
        for i in range(len(homes_xy)):
            if ("h", i) in reach:
                out[i, j] = reach[("h", i)]
    return out


def _points_near_streets(G, k, rng, spread=20.0):
    edges = list(G.edges(data=True))
    pick = rng.choice(len(edges), k)
    out = []
    for j in pick:
        u, v, d = edges[j]
        g = _oriented_geometry(G, u, v, d)
        p = g.interpolate(rng.uniform(0, 1), normalized=True)
        out.append([p.x + rng.normal(0, spread), p.y + rng.normal(0, spread)])
    return np.array(out)


def _small_grid() -> nx.MultiDiGraph:
    # 4 × 4 grid, 100 m spacing, a few one-way streets, a bent street and an island
    nodes = {(i, j): (100 * i, 100 * j) for i in range(4) for j in range(4)}
    nodes.update({"a": (1000, 1000), "b": (1100, 1000)})
    edges = []
    for (i, j), _ in list(nodes.items())[:16]:
        if i < 3:
            edges.append(((i, j), (i + 1, j), 100 + 3 * j))
        if j < 3:
            edges.append(((i, j), (i, j + 1), 100 + 2 * i))
    G = nx.MultiDiGraph(crs=CRS)
    for nd, (x, y) in nodes.items():
        G.add_node(nd, x=float(x), y=float(y))
    for n, (u, v, length) in enumerate(edges):
        G.add_edge(u, v, length=float(length))
        if n % 5 != 2:  # every fifth street is one-way
            G.add_edge(v, u, length=float(length))
    bend = shapely.LineString([(0, 0), (-40, 150), (0, 300)])
    G.add_edge((0, 0), (0, 3), length=320.0, geometry=bend)
    G.add_edge((0, 3), (0, 0), length=320.0, geometry=shapely.reverse(bend))
    G.add_edge("a", "b", length=100.0)
    G.add_edge("b", "a", length=100.0)
    # relabel to ints, as osmnx has them
    return nx.convert_node_labels_to_integers(G)


def test_catchment_pairs_match_the_split_edge_reference():
    G = _small_grid()
    rng = np.random.default_rng(7)
    homes_xy = _points_near_streets(G, 60, rng, spread=8)
    fac_xy = _points_near_streets(G, 7, rng, spread=8)
    homes_xy[0] = fac_xy[0] + [0.5, 0.5]  # a home right next to a facility
    net = WalkNetwork.from_graph(G)
    homes, fac = homes_at(homes_xy.tolist()), facilities_at(fac_xy.tolist())
    limit = 250.0
    ref = split_edge_reference(G, homes_xy, fac_xy, limit)
    want = {(j, i): ref[i, j] for i, j in zip(*np.nonzero(np.isfinite(ref)), strict=True)}
    for chunk_bytes in (50_000_000, 1):  # one chunk, and one facility per chunk
        got = net.catchment_pairs(homes, fac, max_distance_m=limit, chunk_bytes=chunk_bytes)
        pairs = dict(
            zip(zip(got["facility"], got["home"], strict=True), got["dist_m"], strict=True)
        )
        assert set(pairs) == set(want)
        for key, d in want.items():
            assert pairs[key] == pytest.approx(d, abs=1e-6)
    assert len(want) > 20  # the test has teeth
    # and nearest_facilities agrees with the minimum over the same reference
    r = net.nearest_facilities(homes, fac, max_distance_m=limit)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.nanmin(ref, axis=1)
    np.testing.assert_allclose(r["dist_m__shop"].to_numpy(), expected, atol=1e-6)


# ------------------------------------------------------------------------ real data
BEIJING = ["beijing_haidian_bupt_2025", "beijing_chaoyang_wangjing_2020"]


@pytest.fixture(scope="module", params=BEIJING)
def beijing(request) -> nx.MultiDiGraph:
    path = OSM / f"{request.param}.osm.bz2"
    if not path.exists():
        pytest.skip(f"{path} not available")
    import osmnx as ox

    G = ox.graph_from_xml(path, bidirectional=True, retain_all=True)
    return ox.project_graph(G)


@pytest.mark.realdata
def test_node_distances_match_networkx(beijing):
    G = beijing
    net = WalkNetwork.from_graph(G)
    rng = np.random.default_rng(3)
    nodes = list(G.nodes)
    for limit in (800.0, np.inf):
        sources = [nodes[i] for i in rng.choice(len(nodes), 5, replace=False)]
        for reverse in (False, True):
            ref = nx.multi_source_dijkstra_path_length(
                G.reverse(copy=False) if reverse else G,
                sources,
                cutoff=None if np.isinf(limit) else limit,
                weight="length",
            )
            got = net.node_distances(sources, limit=limit, reverse=reverse).dropna()
            assert set(got.index) == set(ref)
            np.testing.assert_allclose(got.to_numpy(), [ref[k] for k in got.index], atol=0.01)


@pytest.mark.realdata
def test_snapped_points_match_the_split_edge_reference(beijing):
    G = beijing
    rng = np.random.default_rng(11)
    homes_xy = _points_near_streets(G, 150, rng)
    fac_xy = _points_near_streets(G, 12, rng)
    cats = ["a"] * 6 + ["b"] * 6
    # the reference snaps every point to its nearest street, islands included
    net = WalkNetwork.from_graph(G, island_max_nodes=0)
    homes = homes_at(homes_xy.tolist())
    fac = facilities_at(fac_xy.tolist(), cats=cats)
    limit = 1200.0
    ref = split_edge_reference(G, homes_xy, fac_xy, limit)
    unbounded = split_edge_reference(G, homes_xy, fac_xy, np.inf)
    r = net.nearest_facilities(homes, fac, max_distance_m=limit)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for cat in ("a", "b"):
            cols = [j for j, c in enumerate(cats) if c == cat]
            expected = np.nanmin(ref[:, cols], axis=1)
            np.testing.assert_allclose(r[f"dist_m__{cat}"].to_numpy(), expected, atol=0.01)
            assert np.isfinite(expected).sum() > 50
            # the status at 300 m: too far when a path exists at any distance, else no path
            near = net.nearest_facilities(homes, fac, max_distance_m=300.0)
            anywhere = np.isfinite(np.nanmin(unbounded[:, cols], axis=1))
            want = np.where(
                expected <= 300.0, "reached", np.where(anywhere, "beyond_bound", "no_path")
            )
            assert near[f"reach__{cat}"].astype(str).tolist() == want.tolist()
            assert (want == "beyond_bound").any()
    # catchment pairs of the first three facilities
    pairs = net.catchment_pairs(homes, fac.iloc[:3], max_distance_m=600)
    sub = ref[:, :3]
    want = {(j, i) for i, j in zip(*np.nonzero(sub <= 600), strict=True)}
    got = set(zip(pairs["facility"], pairs["home"], strict=True))
    assert got == want
    np.testing.assert_allclose(
        pairs["dist_m"].to_numpy(), sub[pairs["home"], pairs["facility"]], atol=0.01
    )


def test_catchment_pairs_positions_skip_unsnapped_points():
    G = graph(LINE, LINE_EDGES)
    homes = homes_at([[0, 0], [200, 900], [300, 0]])  # the middle home is 900 m off
    fac = facilities_at([[0, 900], [100, 0]])  # the first facility too
    with pytest.warns(UnsnappedWarning):
        pairs = WalkNetwork.from_graph(G).catchment_pairs(homes, fac, max_distance_m=200)
    # facility 1 (x=100): home 0 at 100 m, home 2 at 200 m (inclusive)
    assert pairs.values.tolist() == [[1, 0, 100.0], [1, 2, 200.0]]
    assert (pairs.attrs["n_homes_unsnapped"], pairs.attrs["n_facilities_unsnapped"]) == (1, 1)


def test_undirected_graph_and_progress_bar():
    G = nx.MultiGraph(crs=CRS)
    for node, (x, y) in LINE.items():
        G.add_node(node, x=float(x), y=float(y))
    for u, v, length in LINE_EDGES:
        G.add_edge(u, v, length=float(length))
    net = WalkNetwork.from_graph(G)
    assert net.n_edges == 8  # both directions
    r = net.nearest_facilities(homes_at([[400, 0]]), facilities_at([[50, 0]]), progress=True)
    assert r.loc[0, "dist_m__shop"] == 350.0


# ------------------------------------------------------------------ reach statuses (15.6)
# 0 ⇄ 1 → 2 → 3 along y = 0 (100 m each; 1 → 2 → 3 one-way), and a separate
# two-way street 4 ⇄ 5 at y = 500. The one-way spur is in the same *weak*
# component as node 0, but nothing on it can walk back.
REACH_NODES = {0: (0, 0), 1: (100, 0), 2: (200, 0), 3: (300, 0), 4: (0, 500), 5: (100, 500)}


def reach_graph() -> nx.MultiDiGraph:
    G = graph(REACH_NODES, [(0, 1, 100), (4, 5, 100)])
    G.add_edge(1, 2, length=100.0)
    G.add_edge(2, 3, length=100.0)
    return G


def test_reach_status_honours_one_way_streets():
    net = WalkNetwork.from_graph(reach_graph(), island_max_nodes=0)
    homes = homes_at([[50, 0], [250, 0], [50, 500], [50, 2000]], index=list("abcd"))
    fac = facilities_at([[0, 0], [300, 0]], cats=["shop", "park"])
    with pytest.warns(UnsnappedWarning):
        r = net.nearest_facilities(homes, fac, max_distance_m=120)
    # shop at node 0: a walks 50 m; b is on 2 → 3 and can only go on to the dead end 3;
    # c is on the other street; d is 1500 m from every street
    assert r["dist_m__shop"].tolist()[:2] == [50.0, pytest.approx(np.nan, nan_ok=True)]
    assert r["reach__shop"].tolist() == ["reached", "no_path", "no_path", "off_network"]
    # park at node 3: a walks 50 + 100 + 100 = 250 m (> 120: beyond the bound); b 50 m
    assert r["reach__park"].tolist() == ["beyond_bound", "reached", "no_path", "off_network"]
    assert r.loc["b", "dist_m__park"] == 50.0
    c = r.attrs["counts"]
    assert (c["park"]["within"], c["park"]["beyond_bound"]) == (1, 1)
    assert (c["shop"]["unreachable"], c["shop"]["not_snapped"]) == (2, 1)
    # a weak component holds a and b with both facilities: weak pieces alone would say
    # "beyond the bound" for b; with the bound lifted a reaches the park at 250 m
    assert net.component[net.node_positions([0])][0] == net.component[net.node_positions([3])][0]
    with pytest.warns(UnsnappedWarning):
        far = net.nearest_facilities(homes, fac, max_distance_m=1000)
    assert far.loc["a", "dist_m__park"] == 250.0
    assert far["reach__shop"].tolist() == ["reached", "no_path", "no_path", "off_network"]


def test_reach_status_without_facilities_of_a_category():
    net = WalkNetwork.from_graph(reach_graph(), island_max_nodes=0)
    r = net.nearest_facilities(
        homes_at([[50, 0]]), facilities_at([[0, 0]]), categories=["shop", "school"]
    )
    assert r["reach__school"].tolist() == ["no_path"]
    assert list(r["reach__shop"].cat.categories) == [
        "reached",
        "beyond_bound",
        "no_path",
        "off_network",
    ]


# ------------------------------------------------------------------------- islands (15.3)
# the main street: 41 nodes 0 … 40 along y = 0, 100 m apart (4 km, two-way: not an
# island with the defaults, 40 nodes and 300 m); a 20 m fragment 500 → 520 at y = 6
# (two nodes: an island)
MAIN = {i: (100 * i, 0) for i in range(41)}
ISLAND_NODES = {**MAIN, "i0": (500, 6), "i1": (520, 6)}
ISLAND_EDGES = [(i, i + 1, 100) for i in range(40)] + [("i0", "i1", 20)]


def test_home_nearest_to_an_island_is_linked_to_the_main_network():
    G = graph(ISLAND_NODES, ISLAND_EDGES)
    home = homes_at([[510, 4]], index=["h"])  # 2 m from the fragment, 4 m from the main street
    shop = facilities_at([[800, 0]])
    net = WalkNetwork.from_graph(G)
    assert net.islands["island"].tolist() == [False, True]  # 41 nodes / 2 nodes
    r = net.nearest_facilities(home, shop)
    assert r.loc["h", "dist_m__shop"] == 4 + 290  # leg to the main street + 290 m along it
    table = r.attrs["homes_on_islands"]
    assert table.index.tolist() == ["h"]
    assert table.loc["h", ["island_leg_m", "leg_m", "extra_leg_m"]].tolist() == [2.0, 4.0, 2.0]
    assert table.loc["h", "linked"] == "main network"
    assert table.loc["h", ["island_nodes", "island_street_m"]].tolist() == [2, 20.0]
    assert len(r.attrs["facilities_on_islands"]) == 0
    # the old behaviour, every point on its nearest street: the home reaches nothing
    old = WalkNetwork.from_graph(G, island_max_nodes=0).nearest_facilities(home, shop)
    assert old.loc["h", "reach__shop"] == "no_path"
    # the thresholds are settable: with fewer than 2 nodes and 10 m, no island here
    small = WalkNetwork.from_graph(G, island_max_nodes=2, island_max_m=10)
    assert small.nearest_facilities(home, shop).loc["h", "reach__shop"] == "no_path"


def test_island_by_length_and_staying_when_nothing_else_is_near():
    G = graph(ISLAND_NODES, ISLAND_EDGES)
    net = WalkNetwork.from_graph(G, island_max_nodes=1, island_max_m=25.0)  # 20 m < 25 m
    assert net.islands["island"].tolist() == [False, True]
    home = homes_at([[510, 4]], index=["h"])
    # no other street within 3 m: the home stays on the island and says so
    s = net.snap(home, max_leg_m=3.0)
    assert (s.loc["h", "on_island"], s.loc["h", "leg_m"], s.loc["h", "island_edge"]) == (
        True,
        2.0,
        -1,
    )
    links = net.island_links(home, max_leg_m=3.0)
    assert links.loc["h", "linked"] == "island" and np.isnan(links.loc["h", "extra_leg_m"])
    r = net.nearest_facilities(home, facilities_at([[800, 0]]), max_leg_m=3.0)
    assert r.loc["h", "reach__shop"] == "no_path"


def test_a_facility_on_the_same_island_is_walked_to_along_it():
    G = graph(ISLAND_NODES, ISLAND_EDGES)
    net = WalkNetwork.from_graph(G)
    homes = homes_at([[510, 4], [100, -3]], index=["h", "m"])
    # the kiosk is 1 m from the fragment and 7 m from the main street
    kiosk = facilities_at([[505, 7]], cats=["kiosk"], ids=["K"])
    r = net.nearest_facilities(homes, kiosk)
    # h: along the island, 2 m leg + 5 m back along the fragment + 1 m leg = 8 m
    #    (over the main street it would be 4 + 5 + 7 = 16 m)
    assert r.loc["h", "dist_m__kiosk"] == 8.0
    # m, on the main street, reaches the kiosk through its main-street link:
    # 3 m leg + 405 m along the street + 7 m leg
    assert r.loc["m", "dist_m__kiosk"] == 3 + 405 + 7
    assert r["facility__kiosk"].tolist() == ["K", "K"]
    fac_table = r.attrs["facilities_on_islands"]
    assert fac_table["id"].tolist() == ["K"] and fac_table["extra_leg_m"].tolist() == [6.0]
    # with a bound below the main-street walk, only the island walk counts
    near = net.nearest_facilities(homes, kiosk, max_distance_m=10)
    assert near["reach__kiosk"].tolist() == ["reached", "beyond_bound"]
    # catchment pairs measure the same way
    pairs = net.catchment_pairs(homes, kiosk, max_distance_m=1000)
    assert pairs.values.tolist() == [[0, 0, 8.0], [0, 1, 415.0]]
    assert net.catchment_pairs(homes, kiosk, max_distance_m=10).values.tolist() == [[0, 0, 8.0]]


def test_islands_never_leave_the_graph_and_settings_are_checked():
    G = graph(ISLAND_NODES, ISLAND_EDGES)
    net = WalkNetwork.from_graph(G)
    assert net.n_nodes == len(ISLAND_NODES) and net.n_edges == 2 * len(ISLAND_EDGES)
    with pytest.raises(InputError, match="island"):
        WalkNetwork.from_graph(G, island_max_nodes=-1)
    # island settings are part of the signature: saved snaps do not mix
    assert net.signature != WalkNetwork.from_graph(G, island_max_nodes=0).signature


@pytest.mark.realdata
def test_beijing_cau_homes_on_fragments_are_linked_to_the_main_network():
    """Regression (issue 15.3): homes whose nearest street is a 2–10-node fragment."""
    path = OSM / "beijing_haidian_cau_2026.osm.bz2"
    if not path.exists():
        pytest.skip(f"{path} not available")
    import osmnx as ox

    from coverage15.network import build_walk_network

    G = build_walk_network(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        b = ox.features_from_xml(path, tags={"building": True})
    b = b[b.geometry.geom_type.isin(["Polygon", "MultiPolygon"])].to_crs(G.graph["crs"])
    homes = gpd.GeoSeries(b.representative_point().to_numpy(), crs=G.graph["crs"])
    old = WalkNetwork.from_graph(G, island_max_nodes=0)
    new = WalkNetwork.from_graph(G)
    main = int(new.islands["nodes"].idxmax())
    assert (
        not new.islands.loc[main, "island"] and new.islands["island"].sum() == len(new.islands) - 1
    )

    def pieces(net):
        s = net.snap(homes)
        assert s["snapped"].all()
        return net.component[net.edge_u[s["edge"].to_numpy()]]

    comp_old = pieces(old)
    off_old = comp_old != main
    sizes = new.islands["nodes"].to_numpy()[comp_old[off_old]]
    assert off_old.sum() > 0 and sizes.min() >= 2 and sizes.max() <= 10
    comp_new = pieces(new)
    assert (comp_new == main).all()
    links = new.island_links(homes)
    assert links.index.tolist() == list(np.flatnonzero(off_old))
    assert (links["linked"] == "main network").all()
    np.testing.assert_allclose(links["extra_leg_m"], links["leg_m"] - links["island_leg_m"])
    assert (links["extra_leg_m"] >= 0).all()
    # routed to facilities on the main piece: no_path before, a distance after
    fac = gpd.GeoDataFrame(
        {"category": ["x"] * 5, "facility_id": list("abcde")},
        geometry=homes[np.flatnonzero(~off_old)[:5]].to_numpy(),
        crs=G.graph["crs"],
    )
    before = old.nearest_facilities(homes, fac, max_distance_m=5000)
    after = new.nearest_facilities(homes, fac, max_distance_m=5000)
    assert (before["reach__x"][off_old] == "no_path").all()
    assert (after["reach__x"] == "reached").all()


# ------------------------------------------------------------------ service areas (14.2)
# 0 ⇄ 1 two-way (0 → 400 m), then 1 → 2 one-way (400 → 800 m); a facility at 600 m
SA_NODES = {0: (0, 0), 1: (400, 0), 2: (800, 0)}


def one_way_tail() -> nx.MultiDiGraph:
    G = graph(SA_NODES, [(0, 1, 400)])
    G.add_edge(1, 2, length=400.0)
    return G


def test_service_area_pieces_by_hand():
    net = WalkNetwork.from_graph(one_way_tail(), island_max_nodes=0)
    pieces = net.service_area_pieces(facilities_at([[600, 0]]), max_distance_m=300)
    iv = pieces.intervals(300)
    got = {
        (int(net.node_ids[net.edge_u[e]]), int(net.node_ids[net.edge_v[e]]), a, b)
        for e, a, b in iv.itertuples(index=False)
    }
    # towards the facility: the last 100 m of 0 → 1 (400 - (300 - 200)), 200 m of 1 → 2
    # before it; nothing of 1 → 0 (it walks away from 1) nor past the facility
    assert got == {(0, 1, 300.0, 400.0), (1, 2, 0.0, 200.0)}
    one_two = net.edge_index.get_loc((1, 2, 0))
    assert pieces.intervals(150).values.tolist() == [[one_two, 50.0, 200.0]]
    d = pieces.distance_at(np.array([net.edge_index.get_loc((0, 1, 0))]), np.array([350.0]))
    assert d.tolist() == [250.0]
    with pytest.raises(InputError, match="beyond the search bound"):
        pieces.intervals(301)


def test_one_way_street_changes_the_service_area_as_it_changes_nearest_facilities():
    from coverage15.maps import service_areas

    G = one_way_tail()
    net = WalkNetwork.from_graph(G)
    fac = facilities_at([[600, 0]])
    # homes on the street every 10 m (5, 15, …, 795), none on a cut
    xs = np.arange(5.0, 800.0, 10.0)
    homes = homes_at(np.column_stack([xs, np.zeros_like(xs)]).tolist())
    limit = 300.0
    r = net.nearest_facilities(homes, fac, max_distance_m=limit)
    inside_by_distance = (r["dist_m__shop"] <= limit).to_numpy()
    for network in (net, G):
        sa = service_areas(
            network, fac, minutes=[limit / 60], speed_m_per_min=60, buffer_m=1, fill_holes_m2=0
        )
        area = sa.geometry.iloc[0]
        inside_area = shapely.contains(area, shapely.points(np.column_stack([xs, 0 * xs])))
        assert inside_area.tolist() == inside_by_distance.tolist()
    # by hand: 305 … 595 m reach the facility (600 - x ≤ 300 on the way there); past it,
    # the one-way street leads away for good (an undirected search would add 605 … 895)
    assert xs[inside_by_distance].min() == 305 and xs[inside_by_distance].max() == 595
    assert (r["reach__shop"][xs > 600] == "no_path").all()
    # made two-way, the street past the facility joins both
    G.add_edge(2, 1, length=400.0)
    both = WalkNetwork.from_graph(G).nearest_facilities(homes, fac, max_distance_m=limit)
    assert xs[(both["dist_m__shop"] <= limit).to_numpy()].max() == 795  # the street's end


def test_service_area_holds_every_home_that_reaches_the_facility_in_time():
    from coverage15.maps import service_areas

    net = WalkNetwork.from_graph(one_way_tail())
    fac = facilities_at([[600, 0]])
    # off the street: 20 m and 40 m legs (the leg counts as walking)
    homes = homes_at([[350, 20], [350, -40], [700, 20], [250, 5]], index=list("abcd"))
    r = net.nearest_facilities(homes, fac, max_distance_m=1000)
    # a: 20 + 250 = 270; b: 40 + 250 = 290; c: past the facility on the one-way: no path;
    # d: 5 + 350 = 355
    assert r["dist_m__shop"].tolist()[:2] == [270.0, 290.0]
    assert r["reach__shop"].tolist() == ["reached", "reached", "no_path", "reached"]
    gdf = gpd.GeoDataFrame({"dist_m__shop": r["dist_m__shop"]}, geometry=homes, crs=CRS)
    sa = service_areas(
        net,
        fac,
        minutes=[5],
        speed_m_per_min=60,
        buffer_m=1,
        fill_holes_m2=0,
        homes=gdf,
        distance_column="dist_m__shop",
    )
    area = sa.geometry.iloc[0]
    inside = [area.contains(p) for p in homes]
    assert inside == [True, True, False, False]  # within 300 m: a and b only
