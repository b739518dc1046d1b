"""Snapping points onto street edges: legs, positions, directions, tolerance, errors.

Expected values are worked out by hand in the comments.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely

from coverage15 import InputError, NetworkError
from coverage15.access import WalkNetwork, snap_points
from coverage15.snap import StreetIndex, UnsnappedWarning

CRS = "EPSG:32650"  # UTM 50N, metres


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


def points(xy: list, index: list | None = None) -> gpd.GeoSeries:
    return gpd.GeoSeries(shapely.points(np.asarray(xy, dtype=float)), index=index, crs=CRS)


LINE = {1: (0, 0), 2: (100, 0)}


def test_leg_position_and_location():
    s = snap_points(graph(LINE, [(1, 2, 100)]), points([[30, 4]]))
    row = s.iloc[0]
    # perpendicular foot at (30, 0): leg 4, 30 m from node 1
    assert (row["leg_m"], row["pos_m"], row["edge_length_m"]) == (4.0, 30.0, 100.0)
    assert (row["x"], row["y"]) == (30.0, 0.0)
    assert row["snapped"]
    assert (row["u"], row["v"]) == (1, 2)
    assert list(s.columns) == [
        "edge",
        "reverse_edge",
        "u",
        "v",
        "leg_m",
        "pos_m",
        "edge_length_m",
        "snapped",
        "x",
        "y",
        "on_island",
        "island_edge",
        "island_leg_m",
        "island_pos_m",
        "extra_leg_m",
    ]


def test_position_scaled_to_edge_length():
    # geometry is 100 m long, osmnx's geodesic length says 110 m: 30 % along → 33 m
    s = snap_points(graph(LINE, [(1, 2, 110)]), points([[30, -1]]))
    assert s.loc[0, "pos_m"] == pytest.approx(33.0)
    assert s.loc[0, "edge_length_m"] == 110.0


def test_bidirectional_street_snapped_once_both_directions_usable():
    G = nx.MultiDiGraph(crs=CRS)
    G.add_node(1, x=0.0, y=0.0)
    G.add_node(2, x=100.0, y=0.0)
    G.add_edge(2, 1, length=100.0)  # edge 0 in edge order
    G.add_edge(1, 2, length=100.0)  # edge 1
    net = WalkNetwork.from_graph(G)
    assert len(net.streets.edge) == 1  # one undirected street
    s = net.snap(points([[30, 2], [70, -2]]))
    # whichever edge represents the street, pos_m is measured from that edge's u
    for _, row in s.iterrows():
        assert row["reverse_edge"] >= 0
        assert {row["edge"], row["reverse_edge"]} == {0, 1}
        x_u = G.nodes[row["u"]]["x"]
        assert row["pos_m"] == pytest.approx(abs(row["x"] - x_u))


def test_one_way_street_has_no_reverse_edge():
    s = snap_points(graph(LINE, [(1, 2, 100)], both=False), points([[50, 5]]))
    assert s.loc[0, "reverse_edge"] == -1
    assert s.loc[0, "edge"] == 0


def test_geometry_stored_from_v_is_reoriented():
    G = graph(LINE, [], both=False)
    G.add_edge(1, 2, length=100.0, geometry=shapely.LineString([(100, 0), (0, 0)]))
    # the point is 20 m from node 1 (u), whatever the stored orientation
    assert snap_points(G, points([[20, 3]])).loc[0, "pos_m"] == pytest.approx(20.0)


def test_curved_edge_position_along_geometry():
    bend = shapely.LineString([(0, 0), (100, 0), (100, 100)])
    G = graph({1: (0, 0), 2: (100, 100)}, [(1, 2, 200, bend)])
    s = snap_points(G, points([[104, 50]]))
    # foot at (100, 50): 100 m along the first leg + 50 m up the second = 150 m
    assert s.loc[0, "leg_m"] == pytest.approx(4.0)
    pos_from_1 = s.loc[0, "pos_m"] if s.loc[0, "u"] == 1 else 200 - s.loc[0, "pos_m"]
    assert pos_from_1 == pytest.approx(150.0)


def test_parallel_streets_with_different_geometries_are_distinct():
    curve = shapely.LineString([(0, 0), (50, 50), (100, 0)])
    G = graph(LINE, [(1, 2, 100), (1, 2, 141.42, curve)])
    net = WalkNetwork.from_graph(G)
    assert len(net.streets.edge) == 2
    s = net.snap(points([[50, 45], [50, 1]]))
    # (50, 45) is 5 m from the curve's apex, 45 m from the straight street
    # (50, 45) is 5 / sqrt(2) = 3.536 m from the curve segment y = x, 45 m from the straight one
    assert s.loc[0, "leg_m"] == pytest.approx(5 / np.sqrt(2))
    assert s.loc[0, "edge"] != s.loc[1, "edge"]
    assert s.loc[1, "leg_m"] == pytest.approx(1.0)


def test_self_loop_street_both_directions():
    ring = shapely.LineString([(0, 0), (50, 0), (50, 50), (0, 50), (0, 0)])
    G = graph({1: (0, 0)}, [(1, 1, 200, ring)])
    net = WalkNetwork.from_graph(G)
    assert len(net.streets.edge) == 1
    s = net.snap(points([[50, 25]]))
    assert s.loc[0, "reverse_edge"] >= 0
    # 75 m from the node one way round, 125 m the other
    assert min(s.loc[0, "pos_m"], 200 - s.loc[0, "pos_m"]) == pytest.approx(75.0)


def test_far_point_not_snapped_counted_and_warned():
    G = graph(LINE, [(1, 2, 100)])
    pts = gpd.GeoDataFrame(
        {"home_id": ["near", "far"]},
        geometry=shapely.points([[50, 10], [50, 600]]),
        index=[10, 20],
        crs=CRS,
    )
    with pytest.warns(UnsnappedWarning, match=r"1 of 2 .*: far"):
        s = snap_points(G, pts, max_leg_m=500, ids="home_id")
    assert s.index.tolist() == [10, 20]
    assert s["snapped"].tolist() == [True, False]
    assert np.isnan(s.loc[20, ["leg_m", "pos_m", "edge_length_m", "x", "y"]].astype(float)).all()
    assert s.loc[20, "edge"] == -1
    assert s.attrs["n_unsnapped"] == 1
    assert s.attrs["unsnapped"] == ["far"]
    # 590 m away: snapped once the tolerance allows it, never silently before
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert snap_points(G, pts, max_leg_m=600)["snapped"].all()
        assert snap_points(G, pts, max_leg_m=None)["snapped"].all()


def test_graph_and_network_give_the_same_snaps():
    G = graph({1: (0, 0), 2: (100, 0), 3: (100, 80)}, [(1, 2, 100), (2, 3, 80)])
    pts = points([[10, 3], [97, 40], [60, -7]], index=["a", "b", "c"])
    a = snap_points(G, pts)
    b = snap_points(WalkNetwork.from_graph(G), pts)
    assert a.equals(b)
    assert a.index.tolist() == ["a", "b", "c"]
    # (97, 40) is 3 m from the street 2-3, 40 m up from node 2
    assert a.loc["b", "leg_m"] == pytest.approx(3.0)
    assert a.loc["b", "pos_m"] == pytest.approx(40.0)


def test_network_snap_cache_reuses_coordinates():
    net = WalkNetwork.from_graph(graph(LINE, [(1, 2, 100)]))
    first = net.snap(points([[30, 4]], index=["x"]))
    again = net.snap(points([[30, 4]], index=["y"]))
    assert len(net.snap_cache) == 1
    assert again.index.tolist() == ["y"]
    assert first.reset_index(drop=True).equals(again.reset_index(drop=True))


@pytest.mark.parametrize(
    ("pts", "match"),
    [
        (gpd.GeoSeries([shapely.Point(1, 1)], crs="EPSG:4326"), "reproject"),
        (gpd.GeoSeries([shapely.Point(1, 1)]), "no CRS"),
        (gpd.GeoSeries([shapely.box(0, 0, 1, 1)], crs=CRS), "not points"),
        (gpd.GeoSeries([None, shapely.Point(1, 1)], crs=CRS), "no geometry"),
        ([shapely.Point(1, 1)], "GeoSeries"),
    ],
)
def test_bad_points_raise(pts, match):
    with pytest.raises(InputError, match=match):
        snap_points(graph(LINE, [(1, 2, 100)]), pts)


def test_non_line_edge_geometry_raises():
    G = graph(LINE, [(1, 2, 100, shapely.Point(0, 0))], both=False)
    with pytest.raises(NetworkError, match="LineString"):
        snap_points(G, points([[1, 1]]))


def test_street_index_keeps_shortest_parallel_duplicate():
    # two identical straight edges 0→1 (lengths 12 and 10) and one back 1→0
    s = StreetIndex.from_edges(
        np.array([0, 0, 1]),
        np.array([1, 1, 0]),
        np.array([12.0, 10.0, 11.0]),
        None,
        np.array([0.0, 10.0]),
        np.array([0.0, 0.0]),
    )
    assert s.edge.tolist() == [1]
    assert s.reverse_edge.tolist() == [2]
    assert s.street_of_edge.tolist() == [0, 0, 0]


def test_threaded_snapping_matches_one_thread_and_shapely(monkeypatch):
    """Chunks snapped in threads give the same table as one thread, and as shapely per point."""
    import coverage15.snap as snap_mod

    rng = np.random.default_rng(7)
    side = 12
    nodes = {i * side + j: (j * 80.0, i * 80.0) for i in range(side) for j in range(side)}
    edges = [(k, k + 1, 80.0) for k in nodes if k % side < side - 1]
    edges += [(k, k + side, 80.0) for k in nodes if k < side * (side - 1)]
    G = graph(nodes, edges)
    # one far point, so the tolerance is applied per chunk too
    xy = np.vstack([rng.uniform(-20, 900, (3000, 2)), [[5000.0, 5000.0]]])
    pts = points(xy)
    monkeypatch.setenv("COVERAGE15_THREADS", "1")
    with pytest.warns(UnsnappedWarning):
        one = snap_points(G, pts)
    monkeypatch.setattr(snap_mod, "_MIN_POINTS_PER_THREAD", 100)
    monkeypatch.setenv("COVERAGE15_THREADS", "3")
    assert snap_mod.snap_threads() == 3
    with pytest.warns(UnsnappedWarning):
        three = snap_points(G, pts)
    assert three.equals(one)
    assert three["snapped"].sum() == len(xy) - 1
    # independent reference: shapely distance to the union of all street lines
    lines = shapely.multilinestrings(
        [shapely.linestrings([nodes[u], nodes[v]]) for u, v, _ in edges]
    )
    ok = three["snapped"].to_numpy()
    ref = shapely.distance(shapely.points(xy[ok]), lines)
    np.testing.assert_allclose(three.loc[ok, "leg_m"].to_numpy(), ref, atol=1e-9)


def test_thread_setting_must_be_a_number(monkeypatch):
    from coverage15.snap import snap_threads

    monkeypatch.setenv("COVERAGE15_THREADS", "many")
    with pytest.raises(InputError, match="COVERAGE15_THREADS"):
        snap_threads()


def _tangled_graph() -> nx.MultiDiGraph:
    """Curved two-way streets, two different streets between the same nodes, a one-way
    street, a two-way loop and straight edges without geometry."""
    nodes = {1: (0, 0), 2: (100, 0), 3: (100, 100), 4: (0, 100)}
    curve = shapely.LineString([(0, 0), (50, -20), (100, 0)])
    other = shapely.LineString([(0, 0), (50, 30), (100, 0)])
    loop = shapely.LineString([(100, 100), (130, 120), (140, 90), (100, 100)])
    G = graph(nodes, [(1, 2, 110, curve), (1, 2, 115, other), (2, 3, 100), (3, 4, 100)])
    G.add_edge(4, 1, length=100.0)  # one-way, straight
    G.add_edge(3, 3, length=95.0, geometry=loop)
    G.add_edge(3, 3, length=95.0, geometry=shapely.reverse(loop))
    return G


def test_street_index_hash_collision_fallback_gives_the_same_streets(monkeypatch):
    import coverage15.snap as snap_mod

    G = _tangled_graph()
    normal = WalkNetwork.from_graph(G)
    a = normal.streets
    calls = []

    def colliding(z):  # every hash the same: every edge looks like one street at first
        calls.append(len(z))
        return np.zeros_like(z)

    fallback = []
    exact = snap_mod._streets_by_geometry

    def counted(*args):
        fallback.append(1)
        return exact(*args)

    monkeypatch.setattr(snap_mod, "_mix", colliding)
    monkeypatch.setattr(snap_mod, "_streets_by_geometry", counted)
    forced = WalkNetwork.from_graph(G)
    b = forced.streets
    assert calls and fallback == [1]  # the keys collided and the exact fallback ran
    monkeypatch.undo()
    # 6 streets: two between 1 and 2, 2-3, 3-4, the one-way 4 → 1, the loop
    assert len(a.edge) == 6
    for name in ("edge", "reverse_edge", "street_of_edge", "start", "coords", "cum"):
        np.testing.assert_array_equal(getattr(b, name), getattr(a, name), err_msg=name)
    assert [g.wkt for g in b.geometry] == [g.wkt for g in a.geometry]
    # and routing on it is the same
    homes = points([[50, -18], [50, 25], [120, 112], [2, 60]])
    fac = gpd.GeoDataFrame(
        {"category": ["x"], "facility_id": ["F"]}, geometry=[shapely.Point(100, 50)], crs=CRS
    )
    ra = normal.nearest_facilities(homes, fac)
    rb = forced.nearest_facilities(homes, fac)
    assert ra.equals(rb)
    assert ra["reach__x"].tolist() == ["reached"] * 4


def test_street_index_collision_check_is_exact():
    """Equal hashes alone never merge streets: the members' vertices are compared."""
    import coverage15.snap as snap_mod

    coords = np.array([[0.0, 0.0], [5.0, 1.0], [10.0, 0.0], [0.0, 0.0], [5.0, -1.0], [10.0, 0.0]])
    e_start, n_coord = np.array([0, 3]), np.array([3, 3])
    same = snap_mod._same_as_first_member(
        np.array([0, 0]),  # claimed one street (as after a collision)
        np.array([0, 0]),
        np.array([1, 1]),
        np.array([False, False]),
        coords,
        e_start,
        n_coord,
    )
    assert not same
    street = snap_mod._streets_by_geometry(
        np.array([0, 0]), np.array([1, 1]), np.array([False, False]), coords, e_start, n_coord
    )
    assert street.tolist() == [0, 1]
