"""Benchmark the routing engine against its peers, on the same network and the same points.

Run with ``make bench`` (or ``.venv/bin/python benchmarks/bench_engine.py``). Each
measurement runs in its own child process, so its peak resident memory (VmHWM) is
its own. Printed: seconds, ratio to the engine, peak RSS; written: a JSON file.

Methods, per network (10 categories × 32 facilities, 1500 m bound):

engine
    ``WalkNetwork.from_graph`` (CSR) + snapping every home and facility to its
    nearest edge + ``nearest_facilities`` for the 10 categories.
bare
    What the engine is measured against: the CSR built from the edge arrays,
    facilities put on their nearest *node* (KD-tree), one scipy
    ``dijkstra(min_only=True, limit=1500)`` per category, plus the snapping a
    plain STRtree ``query_nearest`` of all homes and facilities costs.
pandana
    ``pandana.Network`` (its contraction hierarchy) + ``precompute`` +
    ``set_pois``/``nearest_pois`` per category; homes mapped with ``get_node_ids``.
networkx
    ``multi_source_dijkstra_path_length`` per category (facility nodes as sources).
notebook
    An ``ego_graph`` isochrone per facility, its convex hull, and a spatial join
    of the homes (small networks only); also how many node–category pairs it
    calls covered that are farther than the bound on the network.

Porto build (issue 16), each step in its own fresh process, no cache:

pyosmium
    The floor: one bare pyosmium pass reading every highway way with its node locations.
build
    ``walk_network_from_osm``: read + walk filter + split + lengths + simplify + project,
    prepared for routing (CSR); the street index snapping builds on first use is timed apart.
to_networkx
    ``build_walk_network``: the same plus the osmnx-compatible networkx graph.
e2e
    build + snapping 100 000 homes and 320 facilities + 10 categories + the table written,
    against ``osmnx.graph_from_xml`` + ``project_graph`` on the walk-filtered XML (osmnx).
simplify_choice
    the engine on the simplified and on the unsimplified network.
rerun
    a first run through the array cache (``walk_network_from_osm(cache_dir=...)``, snaps
    saved), and a rerun with new facilities in a fresh process.

Usage::

    python benchmarks/bench_engine.py                 # everything (≈15 min on 2 cores)
    python benchmarks/bench_engine.py --quick         # small networks and grids only
    python benchmarks/bench_engine.py --networks porto --methods engine,bare
    python benchmarks/bench_engine.py --build-only    # the Porto build figures alone
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OSM = ROOT / ".." / "shared" / "data" / "osm"
CACHE = ROOT / "output" / "bench-cache"
BOUND = 1500.0
N_CAT, N_FAC = 10, 32
NETWORKS = {
    "beijing": ("beijing_haidian_pku_2017.osm.bz2", 20_000),
    "helsinki": ("helsinki_centre_2019.osm.pbf", 20_000),
    "porto": ("porto_portugal.osm.pbf", 100_000),
}
SMALL = {"beijing", "helsinki"}
GRID_SIZES = [10_000, 100_000, 1_000_000]


# --------------------------------------------------------------------------- inputs


def peak_rss_mb() -> float:
    """Peak resident set size of this process (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def load_graph(name: str) -> Any:
    """The projected walk graph of a real extract (built once, then pickled)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    from coverage15.network import build_walk_network

    return build_walk_network(OSM / NETWORKS[name][0], cache_dir=CACHE)


def grid_arrays(n_nodes: int, seed: int = 0) -> dict[str, np.ndarray]:
    """A jittered square grid with ~80 m blocks; every street both ways."""
    rng = np.random.default_rng(seed)
    side = round(float(np.sqrt(n_nodes)))
    ii, jj = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    x = (jj * 80.0 + rng.uniform(-15, 15, ii.shape)).ravel() + 500_000.0
    y = (ii * 80.0 + rng.uniform(-15, 15, ii.shape)).ravel() + 3_270_000.0
    idx = np.arange(side * side).reshape(side, side)
    a = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    b = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    u, v = np.concatenate([a, b]), np.concatenate([b, a])
    return {"x": x, "y": y, "u": u, "v": v, "length": np.hypot(x[u] - x[v], y[u] - y[v])}


def arrays_of(name: str) -> tuple[dict[str, np.ndarray], Any]:
    """Node and edge arrays (and the graph for real networks)."""
    if name.startswith("grid"):
        return grid_arrays(int(name[4:])), None
    from coverage15.access import WalkNetwork

    G = load_graph(name)
    net = WalkNetwork.from_graph(G)
    arr = {
        "x": net.node_x,
        "y": net.node_y,
        "u": net.edge_u,
        "v": net.edge_v,
        "length": net.edge_length,
    }
    return arr, G


def points(arr: dict[str, np.ndarray], n_homes: int, seed: int = 1) -> dict[str, np.ndarray]:
    """Homes and facilities beside random streets (≤ 30 m off a random point of an edge)."""
    rng = np.random.default_rng(seed)

    def along(n: int) -> tuple[np.ndarray, np.ndarray]:
        e = rng.integers(0, len(arr["u"]), n)
        t = rng.uniform(0, 1, n)
        x = arr["x"][arr["u"][e]] * (1 - t) + arr["x"][arr["v"][e]] * t
        y = arr["y"][arr["u"][e]] * (1 - t) + arr["y"][arr["v"][e]] * t
        return x + rng.uniform(-30, 30, n), y + rng.uniform(-30, 30, n)

    hx, hy = along(n_homes)
    n_fac = N_CAT * N_FAC if n_homes <= 200_000 else N_CAT * 500
    fx, fy = along(n_fac)
    cat = np.repeat(np.arange(N_CAT), n_fac // N_CAT)
    return {"hx": hx, "hy": hy, "fx": fx, "fy": fy, "cat": cat}


def n_homes_of(name: str) -> int:
    if name.startswith("grid"):
        return int(name[4:])
    return NETWORKS[name][1]


# --------------------------------------------------------------------------- methods


def m_engine(name: str, arr: dict, G: Any, pts: dict) -> dict[str, Any]:
    import geopandas as gpd
    import shapely

    from coverage15.access import WalkNetwork

    crs = "EPSG:32648" if G is None else G.graph["crs"]
    homes = gpd.GeoSeries(shapely.points(pts["hx"], pts["hy"]), crs=crs)
    fac = gpd.GeoDataFrame(
        {"category": pts["cat"].astype(str), "facility_id": np.arange(len(pts["cat"]))},
        geometry=shapely.points(pts["fx"], pts["fy"]),
        crs=crs,
    )

    def from_arrays() -> WalkNetwork:
        """The network from the node and edge arrays (what pandana is handed)."""
        return WalkNetwork(
            node_ids=np.arange(len(arr["x"])),
            x=arr["x"],
            y=arr["y"],
            edge_u=arr["u"],
            edge_v=arr["v"],
            edge_length=arr["length"],
            crs=crs,
        )

    t0 = time.perf_counter()
    net = from_arrays() if G is None else WalkNetwork.from_graph(G)
    t1 = time.perf_counter()
    net.snap(homes, source="homes")
    net.snap(fac, source="facilities")
    t2 = time.perf_counter()
    r = net.nearest_facilities(homes, fac, max_distance_m=BOUND, speed_m_per_min=80.0)
    t3 = time.perf_counter()
    reached = float(np.isfinite(r[[c for c in r if c.startswith("dist_m__")]].to_numpy()).mean())
    # like for like with pandana, which is handed these arrays: the CSR from the same arrays
    t4 = time.perf_counter()
    from_arrays()
    t5 = time.perf_counter()
    from coverage15.snap import snap_threads

    return {
        "seconds": t3 - t0,
        "build_s": t1 - t0,
        "snap_s": t2 - t1,
        "query_s": t3 - t2,
        "csr_from_arrays_s": t5 - t4,
        "routing_s": (t5 - t4) + (t3 - t2),
        "snap_threads": snap_threads(),
        "reached_share": reached,
    }


def _csr(arr: dict) -> Any:
    from scipy import sparse

    n = len(arr["x"])
    keep = arr["u"] != arr["v"]
    m = sparse.coo_array(
        (arr["length"][keep], (arr["u"][keep], arr["v"][keep])), shape=(n, n)
    ).tocsr()  # duplicates summed: take the minimum instead, as the engine does
    if m.has_canonical_format is False or len(m.data) != keep.sum():
        order = np.lexsort((arr["length"][keep], arr["v"][keep], arr["u"][keep]))
        u, v, w = arr["u"][keep][order], arr["v"][keep][order], arr["length"][keep][order]
        first = np.ones(len(u), bool)
        first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
        m = sparse.csr_array((w[first], (u[first], v[first])), shape=(n, n))
    return m


def _fac_nodes(arr: dict, pts: dict) -> np.ndarray:
    from scipy.spatial import cKDTree

    tree = cKDTree(np.column_stack([arr["x"], arr["y"]]))
    return tree.query(np.column_stack([pts["fx"], pts["fy"]]))[1]


def m_bare(name: str, arr: dict, G: Any, pts: dict) -> dict[str, Any]:
    import shapely
    from scipy.sparse.csgraph import dijkstra

    t0 = time.perf_counter()
    csr_t = _csr(arr).T.tocsr()  # towards facilities, as the engine searches
    src = _fac_nodes(arr, pts)
    dist = []
    for c in range(N_CAT):
        d = dijkstra(csr_t, indices=np.unique(src[pts["cat"] == c]), min_only=True, limit=BOUND)
        dist.append(d)
    t1 = time.perf_counter()
    u, v = arr["u"], arr["v"]
    one = u < v  # one line per street, as the engine indexes streets
    u, v = u[one], v[one]
    lines = shapely.linestrings(
        np.stack(
            [
                np.column_stack([arr["x"][u], arr["y"][u]]),
                np.column_stack([arr["x"][v], arr["y"][v]]),
            ],
            axis=1,
        )
    )
    t2 = time.perf_counter()  # geometry creation is not charged: the graph has it
    tree = shapely.STRtree(lines)
    tree.query_nearest(shapely.points(pts["hx"], pts["hy"]), max_distance=500)
    tree.query_nearest(shapely.points(pts["fx"], pts["fy"]), max_distance=500)
    t3 = time.perf_counter()
    reached = float(np.mean([np.isfinite(d).mean() for d in dist]))
    return {
        "seconds": (t1 - t0) + (t3 - t2),
        "dijkstra_s": t1 - t0,
        "strtree_snap_s": t3 - t2,
        "node_reached_share": reached,
    }


def m_pandana(name: str, arr: dict, G: Any, pts: dict) -> dict[str, Any]:
    import pandana
    import pandas as pd

    t0 = time.perf_counter()
    n = len(arr["x"])
    nodes = pd.DataFrame({"x": arr["x"], "y": arr["y"]}, index=np.arange(n))
    w = pd.DataFrame({"length": arr["length"]})
    net = pandana.Network(
        nodes["x"], nodes["y"], pd.Series(arr["u"]), pd.Series(arr["v"]), w, twoway=False
    )
    net.precompute(BOUND)
    t1 = time.perf_counter()
    home_nodes = net.get_node_ids(pd.Series(pts["hx"]), pd.Series(pts["hy"]))
    for c in range(N_CAT):
        sel = pts["cat"] == c
        net.set_pois(f"c{c}", BOUND, 1, pd.Series(pts["fx"][sel]), pd.Series(pts["fy"][sel]))
        d = net.nearest_pois(BOUND, f"c{c}", num_pois=1)
        d.loc[home_nodes.to_numpy()]
    t2 = time.perf_counter()
    return {"seconds": t2 - t0, "setup_s": t1 - t0, "query_s": t2 - t1}


def _nx_graph(arr: dict, G: Any) -> Any:
    import networkx as nx

    if G is not None:
        return G
    H = nx.DiGraph()
    H.add_weighted_edges_from(
        zip(arr["u"].tolist(), arr["v"].tolist(), arr["length"].tolist(), strict=True),
        weight="length",
    )
    return H


def m_networkx(name: str, arr: dict, G: Any, pts: dict) -> dict[str, Any]:
    import networkx as nx

    from coverage15.access import WalkNetwork

    H = _nx_graph(arr, G)
    ids = WalkNetwork.from_graph(G).node_ids if G is not None else np.arange(len(arr["x"]))
    src = ids[_fac_nodes(arr, pts)]
    R = H.reverse(copy=False)
    t0 = time.perf_counter()
    out = []
    for c in range(N_CAT):
        out.append(
            nx.multi_source_dijkstra_path_length(
                R, set(src[pts["cat"] == c].tolist()), cutoff=BOUND, weight="length"
            )
        )
    t1 = time.perf_counter()
    # correctness: the same searches with scipy, node by node
    from scipy.sparse.csgraph import dijkstra

    csr_t = _csr(arr).T.tocsr()
    pos = {k: i for i, k in enumerate(ids.tolist())}
    worst = 0.0
    for c in range(N_CAT):
        sel = np.unique(_fac_nodes(arr, pts)[pts["cat"] == c])
        d = dijkstra(csr_t, indices=sel, min_only=True, limit=BOUND)
        for node, dn in out[c].items():
            worst = max(worst, abs(d[pos[node]] - dn))
        if sum(np.isfinite(d)) != len(out[c]):
            worst = float("inf")
    return {"seconds": t1 - t0, "max_abs_diff_vs_scipy_m": worst}


def m_notebook(name: str, arr: dict, G: Any, pts: dict) -> dict[str, Any]:
    """The notebook way: an ego-graph isochrone per facility, convex hull, spatial join."""
    import geopandas as gpd
    import networkx as nx
    import shapely
    from scipy.sparse.csgraph import dijkstra

    from coverage15.access import WalkNetwork

    H = _nx_graph(arr, G)
    ids = WalkNetwork.from_graph(G).node_ids if G is not None else np.arange(len(arr["x"]))
    fnodes = _fac_nodes(arr, pts)
    crs = G.graph["crs"] if G is not None else "EPSG:32648"
    homes = gpd.GeoDataFrame(geometry=shapely.points(pts["hx"], pts["hy"]), crs=crs)
    coords = zip(arr["x"].tolist(), arr["y"].tolist(), strict=True)
    xy = dict(zip(ids.tolist(), coords, strict=True))
    t0 = time.perf_counter()
    hulls = {}
    for c in range(N_CAT):
        polys = []
        for f in fnodes[pts["cat"] == c]:
            sub = nx.ego_graph(H, ids[f], radius=BOUND, distance="length")
            polys.append(shapely.MultiPoint([xy[n] for n in sub.nodes]).convex_hull)
        iso = gpd.GeoDataFrame(geometry=polys, crs=crs)
        gpd.sjoin(homes, iso, predicate="within", how="inner")
        hulls[c] = shapely.union_all(polys)
    t1 = time.perf_counter()
    # how often the hull calls a node covered that the network says is not
    csr = _csr(arr)
    false_pos = total_pos = 0
    for c in range(N_CAT):
        d = dijkstra(csr, indices=np.unique(fnodes[pts["cat"] == c]), min_only=True, limit=BOUND)
        inside = shapely.contains_xy(hulls[c], arr["x"], arr["y"])
        false_pos += int((inside & ~np.isfinite(d)).sum())
        total_pos += int(inside.sum())
    return {
        "seconds": t1 - t0,
        "wrongly_covered_share": false_pos / max(total_pos, 1),
    }


METHODS = {
    "engine": m_engine,
    "bare": m_bare,
    "pandana": m_pandana,
    "networkx": m_networkx,
    "notebook": m_notebook,
}


def run_case(name: str, method: str) -> dict[str, Any]:
    arr, G = arrays_of(name)
    pts = points(arr, n_homes_of(name))
    out = METHODS[method](name, arr, G, pts)
    out.update(
        network=name,
        method=method,
        nodes=len(arr["x"]),
        edges=len(arr["u"]),
        homes=len(pts["hx"]),
        facilities=len(pts["fx"]),
        peak_rss_mb=peak_rss_mb(),
    )
    return out


PORTO = OSM / "porto_portugal.osm.pbf"


def _warm_imports() -> None:
    """Import what a run imports anyway (the clock measures work, not imports)."""
    import geopandas  # noqa: F401
    import osmium  # noqa: F401
    import osmnx  # noqa: F401
    import pyproj
    import scipy.sparse.csgraph  # noqa: F401

    from coverage15 import access, network  # noqa: F401

    pyproj.Transformer.from_crs("EPSG:4326", "EPSG:32629", always_xy=True)


def b_pyosmium() -> dict[str, Any]:
    """The floor: one bare pyosmium pass reading every highway way with its node locations."""
    import osmium

    _warm_imports()
    t0 = time.perf_counter()
    n_ways = n_refs = 0
    fp = (
        osmium.FileProcessor(str(PORTO))
        .with_locations()
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    for obj in fp:
        if obj.is_way():
            n_ways += 1
            for r in obj.nodes:
                r.location  # noqa: B018 - reading the location is the work measured
                n_refs += 1
    return {"seconds": time.perf_counter() - t0, "ways": n_ways, "refs": n_refs}


def b_build() -> dict[str, Any]:
    """Build + prepare from the PBF, no cache: ``walk_network_from_osm`` (CSR ready)."""
    from coverage15.network import walk_network_from_osm

    _warm_imports()
    t0 = time.perf_counter()
    net = walk_network_from_osm(PORTO)
    t1 = time.perf_counter()
    net.streets  # noqa: B018 - the street index snapping needs, built on first use
    t2 = time.perf_counter()
    return {
        "seconds": t1 - t0,
        "street_index_s": t2 - t1,
        "nodes": net.n_nodes,
        "edges": net.n_edges,
    }


def b_to_networkx() -> dict[str, Any]:
    """The osmnx-compatible graph on request: arrays + ``to_networkx`` (``build_walk_network``)."""
    from coverage15.network import build_walk_network

    _warm_imports()
    t0 = time.perf_counter()
    G = build_walk_network(PORTO)
    return {"seconds": time.perf_counter() - t0, "nodes": G.number_of_nodes()}


def _porto_points(net: Any, seed: int) -> tuple[Any, Any]:
    import geopandas as gpd
    import shapely

    arr = {"x": net.node_x, "y": net.node_y, "u": net.edge_u, "v": net.edge_v}
    pts = points(arr, 100_000, seed=1)
    fac_pts = points(arr, 100_000, seed=seed)
    homes = gpd.GeoSeries(shapely.points(pts["hx"], pts["hy"]), crs=net.crs)
    fac = gpd.GeoDataFrame(
        {"category": fac_pts["cat"].astype(str), "facility_id": np.arange(len(fac_pts["cat"]))},
        geometry=shapely.points(fac_pts["fx"], fac_pts["fy"]),
        crs=net.crs,
    )
    return homes, fac


def b_e2e() -> dict[str, Any]:
    """PBF → network → snap 100k homes + 320 facilities → 10 categories → table written."""
    import tempfile

    import shapely

    from coverage15.network import walk_network_from_osm

    _warm_imports()
    # the homes and facilities are the user's input: made before the clock starts, placed
    # beside the streets of the same file (read once more, outside the clock)
    homes, fac = _porto_points(walk_network_from_osm(PORTO), seed=1)
    xy_h, xy_f = shapely.get_coordinates(homes.values), shapely.get_coordinates(fac.geometry)
    import geopandas as gpd

    homes = gpd.GeoSeries(shapely.points(xy_h), crs=homes.crs)
    fac = fac.set_geometry(shapely.points(xy_f))
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        net = walk_network_from_osm(PORTO)
        t1 = time.perf_counter()
        r = net.nearest_facilities(homes, fac, max_distance_m=BOUND)
        t2 = time.perf_counter()
        r.to_csv(Path(tmp) / "access.csv")
        t3 = time.perf_counter()
    return {
        "seconds": t3 - t0,
        "build_s": t1 - t0,
        "snap_query_s": t2 - t1,
        "write_s": t3 - t2,
        "peak_rss_mb": peak_rss_mb(),
    }


def b_simplify_choice() -> dict[str, Any]:
    """The engine (snap 100k homes + 10 categories) on the simplified and the raw network."""
    from coverage15.network import walk_network_from_osm

    _warm_imports()
    out: dict[str, Any] = {}
    homes = fac = None
    for simplify in (True, False):
        t0 = time.perf_counter()
        net = walk_network_from_osm(PORTO, simplify=simplify)
        t1 = time.perf_counter()
        if homes is None:  # the same homes and facilities on both networks
            homes, fac = _porto_points(net, seed=1)
        t2 = time.perf_counter()
        net.snap(homes, source="homes")
        net.snap(fac, source="facilities")
        t3 = time.perf_counter()
        r = net.nearest_facilities(homes, fac, max_distance_m=BOUND)
        t4 = time.perf_counter()
        tag = "simplified" if simplify else "raw"
        out[tag] = {
            "nodes": net.n_nodes,
            "edges": net.n_edges,
            "build_s": t1 - t0,
            "snap_s": t3 - t2,
            "query_s": t4 - t3,
            "engine_s": t4 - t2,
            "reached_share": float(
                np.isfinite(r[[c for c in r if c.startswith("dist_m__")]].to_numpy()).mean()
            ),
        }
    out["seconds"] = out["simplified"]["engine_s"]
    return out


def _porto_walk_xml(xml: Path) -> None:
    """The walk-filtered XML of Porto that ``osmnx.graph_from_xml`` is handed."""
    import osmium

    from coverage15.network import walkable

    ways, refs = [], set()
    for w in osmium.FileProcessor(str(PORTO), osmium.osm.WAY):
        if "highway" in w.tags and walkable(dict(w.tags)):
            ways.append((w.id, [n.ref for n in w.nodes], dict(w.tags)))
            refs.update(ways[-1][1])
    found = set()
    with open(xml, "w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n')
        for n in osmium.FileProcessor(str(PORTO), osmium.osm.NODE):
            if n.id in refs:
                found.add(n.id)
                loc = n.location
                fh.write(f'<node id="{n.id}" lat="{loc.lat}" lon="{loc.lon}"/>\n')
        for wid, nds, tags in ways:
            body = "".join(f'<nd ref="{r}"/>' for r in nds if r in found)
            body += "".join(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items())
            fh.write(f'<way id="{wid}">{body}</way>\n')
        fh.write("</osm>\n")


def b_osmnx() -> dict[str, Any]:
    """``osmnx.graph_from_xml`` + ``project_graph`` on the walk-filtered XML (graph build alone)."""
    import tempfile

    import osmnx as ox

    _warm_imports()
    with tempfile.TemporaryDirectory() as tmp:
        xml = Path(tmp) / "porto_walk.osm"
        _porto_walk_xml(xml)
        t0 = time.perf_counter()
        g = ox.graph_from_xml(xml, bidirectional=True, simplify=True, retain_all=True)
        g = ox.project_graph(g)
        t1 = time.perf_counter()
    return {"seconds": t1 - t0, "nodes": g.number_of_nodes(), "peak_rss_mb": peak_rss_mb()}


def _rerun_arrays(cache: str, snaps: str) -> dict[str, float]:
    """In a fresh process: the cached arrays, cached snaps, new facilities on the same homes."""
    from coverage15.network import walk_network_from_osm

    _warm_imports()
    t0 = time.perf_counter()
    net = walk_network_from_osm(PORTO, cache_dir=cache)
    t1 = time.perf_counter()
    assert "from_cache" in net.record
    homes, fac = _porto_points(net, seed=2)  # the user's input: before the clock
    t2 = time.perf_counter()
    net.load_snaps(snaps)
    net.nearest_facilities(homes, fac, max_distance_m=BOUND)
    t3 = time.perf_counter()
    return {"cached_load_s": t1 - t0, "rerun_s": (t1 - t0) + (t3 - t2)}


def b_rerun() -> dict[str, Any]:
    """A first run through the array cache, then a rerun with new facilities in a fresh process."""
    import multiprocessing
    import tempfile
    from concurrent.futures import ProcessPoolExecutor

    from coverage15.network import walk_network_from_osm

    _warm_imports()
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "cache"
        snaps = Path(tmp) / "porto.snaps.pkl"
        t0 = time.perf_counter()
        net = walk_network_from_osm(PORTO, cache_dir=cache)
        t1 = time.perf_counter()
        homes, fac = _porto_points(net, seed=1)
        t2 = time.perf_counter()
        net.nearest_facilities(homes, fac, max_distance_m=BOUND)
        net.save_snaps(snaps)
        t3 = time.perf_counter()
        first_run = (t1 - t0) + (t3 - t2)
        del net
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(1, mp_context=ctx) as pool:
            rerun = pool.submit(_rerun_arrays, str(cache), str(snaps)).result()
    return {
        "seconds": rerun["rerun_s"],
        "first_run_s": first_run,
        "cached_load_s": rerun["cached_load_s"],
        "rerun_share_of_first": rerun["rerun_s"] / first_run,
    }


BUILD_STEPS = {
    "pyosmium": b_pyosmium,
    "build": b_build,
    "to_networkx": b_to_networkx,
    "e2e": b_e2e,
    "osmnx": b_osmnx,
    "simplify_choice": b_simplify_choice,
    "rerun": b_rerun,
}


def run_build_bench(steps: list[str]) -> dict[str, Any]:
    """Each step in its own fresh process; the issue's ratios from this one run."""
    out: dict[str, Any] = {"network": "porto", "method": "build"}
    for step in steps:
        r = child("porto", f"b_{step}")
        out[step] = r
        print(f"  porto {step:<16} {json.dumps(r, default=float)[:300]}", flush=True)
    ok = {k: v for k, v in out.items() if isinstance(v, dict) and "error" not in v}
    if "pyosmium" in ok and "build" in ok:
        out["build_over_pyosmium"] = ok["build"]["seconds"] / ok["pyosmium"]["seconds"]
    if "osmnx" in ok and "e2e" in ok:
        out["osmnx_over_e2e"] = ok["osmnx"]["seconds"] / ok["e2e"]["seconds"]
    return out


# --------------------------------------------------------------------------- driver


def child(name: str, method: str) -> dict[str, Any]:
    """Run one measurement in a fresh process (own peak memory)."""
    cmd = [sys.executable, __file__, "--case", f"{name}:{method}"]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        return {"network": name, "method": method, "error": proc.stderr.strip()[-800:]}
    marked = [ln for ln in proc.stdout.splitlines() if ln.startswith("@@JSON ")]
    return json.loads(marked[-1][len("@@JSON ") :])


def versions() -> dict[str, str]:
    from importlib.metadata import version

    out = {"python": platform.python_version(), "cpus": str(os.cpu_count())}
    for pkg in ("coverage15", "osmnx", "networkx", "scipy", "shapely", "pandana", "numpy"):
        try:
            out[pkg] = version(pkg)
        except Exception:
            out[pkg] = "absent"
    return out


def build_summary(r: dict[str, Any]) -> str:
    """The Porto build figures of one run, side by side."""

    def sec(step: str, key: str = "seconds") -> str:
        v = r.get(step, {})
        return f"{v[key]:.2f} s" if key in v else "n/a"

    out = [
        "porto build (each step in a fresh process, no cache):",
        f"  bare pyosmium pass {sec('pyosmium')}; build + prepare (walk_network_from_osm) "
        f"{sec('build')} = {r.get('build_over_pyosmium', float('nan')):.2f}x the pass "
        f"(+ street index {sec('build', 'street_index_s')})",
        f"  osmnx graph on request (build_walk_network) {sec('to_networkx')}",
        f"  end to end (build + 100k homes, 10 categories, table) {sec('e2e')} vs osmnx "
        f"graph_from_xml + project_graph {sec('osmnx')} = "
        f"{r.get('osmnx_over_e2e', float('nan')):.2f}x faster; peak "
        f"{r.get('e2e', {}).get('peak_rss_mb', float('nan')):.0f} MB",
    ]
    choice = r.get("simplify_choice", {})
    for tag in ("simplified", "raw"):
        if tag in choice:
            c = choice[tag]
            out.append(
                f"  engine on the {tag} network ({c['nodes']} nodes): build {c['build_s']:.2f} s,"
                f" snap {c['snap_s']:.2f} s, query {c['query_s']:.3f} s"
            )
    if "rerun" in r and "first_run_s" in r["rerun"]:
        rr = r["rerun"]
        out.append(
            f"  with the network cache: first run {rr['first_run_s']:.1f} s, rerun "
            f"{rr['seconds']:.2f} s ({rr['rerun_share_of_first']:.1%})"
        )
    return "\n".join(out)


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        f"{'network':<14}{'method':<10}{'nodes':>10}{'homes':>10}{'seconds':>10}"
        f"{'× engine':>10}{'peak MB':>10}  notes"
    ]
    engine = {r["network"]: r["seconds"] for r in rows if r.get("method") == "engine"}
    for r in rows:
        if "error" in r:
            lines.append(f"{r['network']:<14}{r['method']:<10}  ERROR {r['error'][-200:]}")
            continue
        if r["method"] == "build":
            lines.append(build_summary(r))
            continue
        ratio = r["seconds"] / engine[r["network"]] if r["network"] in engine else float("nan")
        notes = {
            k: round(v, 4) if isinstance(v, float) else v
            for k, v in r.items()
            if k.endswith(("_s", "_share", "_m")) and k != "seconds"
        }
        lines.append(
            f"{r['network']:<14}{r['method']:<10}{r['nodes']:>10}{r['homes']:>10}"
            f"{r['seconds']:>10.3f}{ratio:>10.2f}{r['peak_rss_mb']:>10.0f}  {notes}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--case", help=argparse.SUPPRESS)
    p.add_argument("--quick", action="store_true", help="small networks and a 10k grid")
    p.add_argument("--networks", default="beijing,helsinki,porto,grid")
    p.add_argument("--methods", default="engine,bare,pandana,networkx,notebook")
    p.add_argument("--grid-sizes", default=",".join(map(str, GRID_SIZES)))
    p.add_argument("--no-e2e", action="store_true", help="skip the Porto build benchmark")
    p.add_argument(
        "--build-only", action="store_true", help="only the Porto build benchmark (no engines)"
    )
    p.add_argument("--build-steps", default=",".join(BUILD_STEPS))
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "performance-data.json")
    args = p.parse_args(argv)
    if args.case:
        name, method = args.case.split(":")
        if method.startswith("b_"):
            out = BUILD_STEPS[method[2:]]()
            out.setdefault("peak_rss_mb", peak_rss_mb())
        else:
            out = run_case(name, method)
        print("\n@@JSON " + json.dumps(out))
        return 0
    if not OSM.is_dir():
        print(f"note: {OSM} is absent; only synthetic grids are measured", file=sys.stderr)
    nets = [n for n in args.networks.split(",") if n != "grid" and OSM.is_dir()]
    sizes = [int(s) for s in args.grid_sizes.split(",")]
    if args.quick:
        nets = [n for n in nets if n in SMALL]
        sizes = [s for s in sizes if s <= 10_000]
    if "grid" in args.networks.split(","):
        nets += [f"grid{s}" for s in sizes]
    methods = args.methods.split(",")
    if args.build_only:
        nets, methods = [], []
        if args.out == ROOT / "docs" / "performance-data.json":
            args.out = ROOT / "docs" / "performance-build.json"
    rows: list[dict[str, Any]] = []
    for name in nets:
        if not name.startswith("grid"):
            with open(os.devnull, "w"):
                pickle.dumps(load_graph(name).graph)  # build the cache outside the timings
        for method in methods:
            if method == "notebook" and name not in SMALL:
                continue
            if method in {"pandana", "networkx"} and n_homes_of(name) > 100_000:
                continue
            if method == "pandana" and name.startswith("grid") and n_homes_of(name) > 10_000:
                continue  # its contraction hierarchy takes minutes on large grids
            rows.append(child(name, method))
            print(table(rows[-1:]).splitlines()[-1], flush=True)
    if OSM.is_dir() and (args.build_only or ("porto" in nets and not args.no_e2e)):
        if not args.quick:
            rows.append(run_build_bench(args.build_steps.split(",")))
    print()
    print(table(rows))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps({"versions": versions(), "rows": rows}, indent=1, default=float),
        encoding="utf-8",
    )
    print(f"\nraw figures: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
