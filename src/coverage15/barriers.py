"""Barriers a planner adds: closed paths, walls, construction sites, new fences.

:func:`apply_barriers` removes every edge of a walking network that crosses a
barrier line or enters a barrier polygon, and reports which (``u``, ``v``,
``key``, ``osmid``). Rivers, railways and expressways need no barrier: the
network crosses them only where a bridge or underpass is mapped.

Examples
--------
>>> import geopandas as gpd, networkx as nx, shapely
>>> G = nx.MultiDiGraph(crs="EPSG:32648")
>>> G.add_nodes_from([(1, {"x": 0.0, "y": 0.0}), (2, {"x": 100.0, "y": 0.0}),
...                   (3, {"x": 100.0, "y": 100.0})])
>>> for a, b in [(1, 2), (2, 1), (2, 3), (3, 2)]:
...     _ = G.add_edge(a, b, length=100.0)
>>> wall = gpd.GeoSeries([shapely.LineString([(50, -10), (50, 10)])], crs="EPSG:32648")
>>> H, cut = apply_barriers(G, wall)
>>> sorted(H.edges()), len(cut)
([(2, 3), (3, 2)], 2)
"""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from coverage15._errors import InputError

__all__ = ["apply_barriers"]


def apply_barriers(
    G: nx.MultiDiGraph, barriers: gpd.GeoDataFrame | gpd.GeoSeries, *, tolerance_m: float = 0.0
) -> tuple[nx.MultiDiGraph, pd.DataFrame]:
    """A copy of ``G`` without the edges that cross or enter a barrier.

    Parameters
    ----------
    G
        A projected walking network (:func:`coverage15.build_walk_network`).
    barriers
        Lines (closed paths, walls, fences) and/or polygons (construction
        sites, closed squares) with a CRS; converted to the network's CRS.
    tolerance_m
        Grow the barriers by this many metres first (for lines drawn slightly
        off the street they close).

    Returns
    -------
    (networkx.MultiDiGraph, pandas.DataFrame)
        The new graph, and one row per removed edge: ``u``, ``v``, ``key``,
        ``osmid``, ``barrier`` (position of the barrier feature). Nodes left
        without edges are removed too.

    Raises
    ------
    InputError
        The barrier layer has no CRS or no line/polygon geometry.

    Examples
    --------
    >>> G = nx.MultiDiGraph(crs="EPSG:32648")
    >>> G.add_nodes_from([(1, {"x": 0.0, "y": 0.0}), (2, {"x": 100.0, "y": 0.0})])
    >>> _ = G.add_edge(1, 2, length=100.0, osmid=7); _ = G.add_edge(2, 1, length=100.0, osmid=7)
    >>> site = gpd.GeoSeries([shapely.box(40, -5, 60, 5)], crs="EPSG:32648")
    >>> H, cut = apply_barriers(G, site)
    >>> H.number_of_edges(), cut["osmid"].tolist()
    (0, [7, 7])
    """
    if barriers.crs is None:
        raise InputError("the barrier layer has no CRS", source="barriers")
    geoms = barriers.to_crs(G.graph["crs"]).geometry.to_numpy()
    ok = ~(shapely.is_empty(geoms) | pd.isna(geoms))
    kinds = shapely.get_type_id(geoms[ok])
    if not np.isin(kinds, [1, 2, 3, 5, 6, 7]).all() or not ok.any():
        raise InputError(
            "barriers must be lines or polygons (points cannot close a path)", source="barriers"
        )
    index = np.flatnonzero(ok)
    geoms = geoms[ok]
    if tolerance_m > 0:
        geoms = shapely.buffer(geoms, tolerance_m)
    tree = shapely.STRtree(geoms)
    edges = list(G.edges(keys=True, data=True))
    lines = np.array(
        [
            d.get("geometry")
            or shapely.LineString(
                [(G.nodes[u]["x"], G.nodes[u]["y"]), (G.nodes[v]["x"], G.nodes[v]["y"])]
            )
            for u, v, _, d in edges
        ],
        dtype=object,
    )
    e_idx, b_idx = tree.query(lines, predicate="intersects")
    H = G.copy()
    rows = []
    seen: set[int] = set()
    for e, b in zip(e_idx.tolist(), b_idx.tolist(), strict=True):
        if e in seen:
            continue
        seen.add(e)
        u, v, k, d = edges[e]
        H.remove_edge(u, v, k)
        rows.append({"u": u, "v": v, "key": k, "osmid": d.get("osmid"), "barrier": int(index[b])})
    H.remove_nodes_from([n for n in list(H.nodes) if H.degree(n) == 0])
    cut = pd.DataFrame(rows, columns=["u", "v", "key", "osmid", "barrier"])
    H.graph.setdefault("coverage15", {})
    H.graph["coverage15"] = {**H.graph["coverage15"], "edges_removed_by_barriers": len(cut)}
    return H, cut
