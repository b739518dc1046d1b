"""The array pipeline (OSM file → WalkNetwork without networkx) against osmnx, on real extracts."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmium
import osmnx as ox
import pandas as pd
import pytest
import shapely

from coverage15._osm_arrays import Segments, great_circle, simplify_edges, split_ways
from coverage15.access import WalkNetwork
from coverage15.network import (
    build_walk_network,
    prepare_graph,
    walk_network_from_osm,
)

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "osm"
realdata = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data/osm is absent")
# every extract; Porto (300k nodes: osmnx needs about a minute and 1.7 GB for it) is slow
EXTRACTS = [
    "beijing_haidian_pku_2017.osm.bz2",
    "beijing_haidian_cau_2026.osm.bz2",
    "beijing_chaoyang_wangjing_2020.osm.bz2",
    "shanghai_baoshan_shu_2021.osm.bz2",
    "beijing_haidian_bupt_2025.osm.bz2",
    "helsinki_centre_2019.osm.pbf",
    pytest.param("porto_portugal.osm.pbf", marks=pytest.mark.slow),
]
CATEGORIES = ("clinic", "school", "market")


def _points(net: WalkNetwork, n: int, seed: int) -> np.ndarray:
    """Points up to 40 m beside random points of random edges."""
    rng = np.random.default_rng(seed)
    e = rng.integers(0, net.n_edges, n)
    t = rng.uniform(0, 1, n)
    x = net.node_x[net.edge_u[e]] * (1 - t) + net.node_x[net.edge_v[e]] * t
    y = net.node_y[net.edge_u[e]] * (1 - t) + net.node_y[net.edge_v[e]] * t
    return np.column_stack([x + rng.uniform(-40, 40, n), y + rng.uniform(-40, 40, n)])


def _osmnx_network(src: Path, tmp: Path) -> nx.MultiDiGraph:
    """The reference: osmnx's graph of the walk-filtered XML, simplified, rings kept."""
    from test_network import _filtered_xml

    xml = tmp / "walk.osm"
    _filtered_xml(src, xml)
    G = ox.graph_from_xml(xml, bidirectional=True, simplify=False, retain_all=True)
    G.remove_nodes_from(list(nx.isolates(G)))  # single-node remnants of clipped ways
    return prepare_graph(ox.simplify_graph(G, remove_rings=False), copy=False)


@realdata
@pytest.mark.realdata
@pytest.mark.parametrize("name", EXTRACTS)
def test_nearest_facilities_equal_the_osmnx_pipeline(name: str, tmp_path: Path) -> None:
    new = walk_network_from_osm(SHARED / name)
    ref = WalkNetwork.from_graph(_osmnx_network(SHARED / name, tmp_path))
    assert new.crs == ref.crs
    assert (new.n_nodes, new.n_edges) == (ref.n_nodes, ref.n_edges)
    homes_xy = _points(ref, 400, seed=1)
    fac_xy = _points(ref, 15, seed=2)
    homes = gpd.GeoSeries(shapely.points(homes_xy), crs=ref.crs)
    fac = gpd.GeoDataFrame(
        {"category": np.repeat(CATEGORIES, 5), "facility_id": [f"F{i}" for i in range(15)]},
        geometry=shapely.points(fac_xy),
        crs=ref.crs,
    )
    a = new.nearest_facilities(homes, fac, max_distance_m=1500.0)
    b = ref.nearest_facilities(homes, fac, max_distance_m=1500.0)
    reached_any = 0
    for cat in CATEGORIES:
        da, db = a[f"dist_m__{cat}"].to_numpy(), b[f"dist_m__{cat}"].to_numpy()
        assert np.array_equal(np.isnan(da), np.isnan(db)), cat  # the same reached set
        ok = ~np.isnan(db)
        assert np.abs(da[ok] - db[ok]).max(initial=0.0) <= 0.01, cat
        reached_any += int(ok.sum())
        col = f"reach__{cat}"
        if col in a.columns and col in b.columns:
            assert a[col].tolist() == b[col].tolist()
    assert reached_any > 0  # the comparison compared distances


@realdata
@pytest.mark.realdata
@pytest.mark.parametrize(
    "name", ["beijing_haidian_pku_2017.osm.bz2", "beijing_haidian_cau_2026.osm.bz2"]
)
def test_road_lines_from_osm_give_the_distances_of_the_osm_file(name: str) -> None:
    """Streets of an OSM extract written as road lines (with layer/bridge/tunnel) route alike."""
    G = build_walk_network(SHARED / name)
    layer_of = {
        w.id: w.tags.get("layer")
        for w in osmium.FileProcessor(str(SHARED / name), osmium.osm.WAY)
        if "highway" in w.tags
    }
    rows = []
    seen: set[tuple[int, int, bytes]] = set()
    for u, v, d in G.edges(data=True):
        g = d["geometry"]
        wkb = shapely.to_wkb(shapely.normalize(g)) if u == v else b""
        key = (min(u, v), max(u, v), wkb or shapely.to_wkb(g if u < v else g.reverse()))
        if key in seen:  # one line per street, not per walking direction
            continue
        seen.add(key)
        osmids = d["osmid"] if isinstance(d["osmid"], list) else [d["osmid"]]
        layers = {layer_of.get(i) for i in osmids} - {None}

        def tag(k: str, d: dict = d) -> str | None:
            value = d.get(k)
            return ",".join(value) if isinstance(value, list) else value

        rows.append(
            {
                "layer": layers.pop() if len(layers) == 1 else None,
                "bridge": tag("bridge"),
                "tunnel": tag("tunnel"),
                "geometry": g,
            }
        )
    lines = gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=G.graph["crs"])
    assert lines["bridge"].notna().any()  # the extract has bridges crossing streets
    L = build_walk_network(lines)
    rec = L.graph["coverage15"]
    assert rec["network_pieces"] == nx.number_weakly_connected_components(G)
    # the OSM lengths are great-circle, the lines' planar in the projected CRS: compare
    # routes on the same planar lengths
    for _, _, d in G.edges(data=True):
        d["length"] = d["geometry"].length
    ref = WalkNetwork.from_graph(G)
    net = WalkNetwork.from_graph(L)
    homes = gpd.GeoSeries(shapely.points(_points(ref, 400, seed=3)), crs=ref.crs)
    fac = gpd.GeoDataFrame(
        {"category": np.repeat(CATEGORIES, 5), "facility_id": [f"F{i}" for i in range(15)]},
        geometry=shapely.points(_points(ref, 15, seed=4)),
        crs=ref.crs,
    )
    a = net.nearest_facilities(homes, fac, max_distance_m=1500.0)
    b = ref.nearest_facilities(homes, fac, max_distance_m=1500.0)
    for cat in CATEGORIES:
        da, db = a[f"dist_m__{cat}"].to_numpy(), b[f"dist_m__{cat}"].to_numpy()
        assert np.array_equal(np.isnan(da), np.isnan(db)), cat
        ok = ~np.isnan(db)
        assert ok.any()
        assert np.abs(da[ok] - db[ok]).max() <= 1e-6, cat
    # joining at every crossing instead routes over bridges onto the streets below
    assert rec["crossings_between_levels"] > 0


# --------------------------------------------------------------------------- hand-checked


def test_great_circle_is_osmnx_arithmetic() -> None:
    rng = np.random.default_rng(0)
    lat1, lat2 = rng.uniform(-60, 60, (2, 50))
    lon1, lon2 = rng.uniform(-170, 170, (2, 50))
    ours = great_circle(lat1, lon1, lat2, lon2)
    assert np.array_equal(ours, ox.distance.great_circle(lat1, lon1, lat2, lon2))
    assert np.array_equal(ours, great_circle(lat2, lon2, lat1, lon1))  # both directions alike


def test_split_counts_missing_repeated_and_single_node_references() -> None:
    from coverage15._osm_arrays import RawWays

    bad = 2**31 - 1  # libosmium's undefined coordinate
    raw = RawWays(
        # way 7: 1 2 2 [9] 4 5 -> pieces 1-2 and 4-5 (repeated 2 dropped)
        # way 8: [9] 6 -> dropped for a missing node; way 11: 3 alone -> single node
        refs=np.array([1, 2, 2, 9, 4, 5, 9, 6, 3]),
        fx=np.array([0, 10, 10, bad, 30, 40, bad, 50, 60]),
        fy=np.zeros(9, np.int64),
        way_len=np.array([6, 2, 1]),
        way_id=np.array([7, 8, 11]),
        way_tags=[{}, {}, {}],
        node_tags={},
        stats={},
    )
    seg, counts = split_ways(raw)
    assert seg.node_ids.tolist() == [1, 2, 4, 5]
    assert seg.node_ids[seg.a].tolist() == [1, 4]
    assert seg.node_ids[seg.b].tolist() == [2, 5]
    assert seg.run.tolist() == [0, 1]
    assert counts == {
        "missing_node_refs": 2,
        "ways_split_at_missing_nodes": 1,
        "ways_dropped_missing_nodes": 1,
        "ways_dropped_single_node": 1,
        "repeated_node_refs_dropped": 1,
    }
    assert seg.lon.tolist() == [0.0, 1e-6, 3e-6, 4e-6]


def test_simplify_matches_osmnx_on_a_hand_graph() -> None:
    """Chains, a dead end, parallel streets, a lollipop loop and a lone ring, against osmnx."""
    # node positions 0..10; segments as way pieces
    pieces = [
        [0, 1, 2, 3],  # a chain 0 .. 3 (1, 2 interstitial)
        [3, 4],  # 3-4 dead end
        [3, 5, 6, 3],  # a loop back to 3
        [0, 7, 3],  # a second street between 0 and 3 (parallel chain)
        [0, 3],  # and a direct one
        [8, 9, 10, 8],  # a lone ring
    ]
    a, b, run = [], [], []
    for r, p in enumerate(pieces):
        a += p[:-1]
        b += p[1:]
        run += [r] * (len(p) - 1)
    n = 11
    seg = Segments(
        node_ids=np.arange(100, 100 + n),
        lon=np.zeros(n),
        lat=np.zeros(n),
        a=np.array(a),
        b=np.array(b),
        way=np.array(run),
        run=np.array(run),
        length=np.arange(1.0, len(a) + 1),
    )
    edges, kept = simplify_edges(seg)
    G = nx.MultiDiGraph()
    for i in range(n):
        G.add_node(i, x=float(i), y=0.0)
    for r in range(len(pieces)):
        idx = [s for s in range(len(a)) if run[s] == r]
        G.add_edges_from((a[s], b[s], {"length": seg.length[s]}) for s in idx)
        G.add_edges_from((b[s], a[s], {"length": seg.length[s]}) for s in idx)
    S = ox.simplify_graph(G, remove_rings=False)
    assert set(np.flatnonzero(kept).tolist()) == set(S.nodes)
    ours = sorted(
        zip(edges.u.tolist(), edges.v.tolist(), edges.key.tolist(), edges.length, strict=True)
    )
    theirs = sorted((u, v, k, d["length"]) for u, v, k, d in S.edges(keys=True, data=True))
    assert [e[:2] for e in ours] == [e[:2] for e in theirs]
    assert [e[3] for e in ours] == pytest.approx([e[3] for e in theirs])
    assert sorted(e[:3] for e in ours) == sorted(e[:3] for e in theirs)  # same keys
    assert edges.counts == {
        "nodes_merged_by_simplify": 5,  # 1, 2, 5, 6, 7
        "isolated_rings_kept": 1,
        "isolated_ring_nodes_kept": 3,
    }


def test_utm_zone_is_the_one_geopandas_estimates() -> None:
    from coverage15._osm_arrays import utm_crs

    rng = np.random.default_rng(5)
    centres = [(103.76, 29.55), (-8.6, 41.15), (24.94, 60.17), (116.3, 39.99), (-70.6, -33.4)]
    centres += list(zip(rng.uniform(-179, 179, 40), rng.uniform(-79, 83, 40), strict=True))
    centres += [(0.0, 45.0), (6.0, 10.0), (-179.995, 5.0), (10.0, 0.0), (20.0, 83.99)]  # edges
    for x, y in centres:
        lon, lat = np.array([x - 0.01, x + 0.01]), np.array([y - 0.01, y + 0.01])
        box = shapely.box(lon[0], lat[0], lon[1], lat[1])
        expected = gpd.GeoSeries([box], crs="EPSG:4326").estimate_utm_crs()
        assert utm_crs(lon, lat) == expected, (x, y)
