"""Barriers on the walking network: planners' closures, walls and gated compounds (小区).

All functions take a projected walking network (an osmnx ``MultiDiGraph`` as
:func:`coverage15.build_walk_network` returns it: edges with ``length`` and
mostly a ``geometry``; an edge without geometry is the straight line between
its nodes), return a new graph without the cut edges, and a :class:`CutReport`
listing every removed directed edge by ``u``, ``v``, ``key`` and ``osmid``.

* :func:`apply_barriers`: a layer of lines (walls, fences, closed paths drawn
  across them) and polygons (construction sites, closed squares). Removes
  every edge that crosses a barrier line or runs inside a barrier polygon.
  Touching is not crossing: a street that runs along a site's hoarding, or a
  wall that ends on a street, leaves the street open.
* :func:`close_paths`: closed footpaths drawn *along* the path (they need
  not lie exactly on the OSM geometry): removes the edges that run along a
  closure line within a tolerance; streets that merely cross it stay open.
* :func:`gated_compounds`: compound polygons (``landuse=residential`` from
  OSM, see :func:`compounds_from_osm`, or the planner's own layer) and gate
  points (``barrier=gate`` / ``entrance=*``): removes every edge that passes
  between the inside and the outside of a compound anywhere but at a gate.

Rivers need no special case when the network is mapped well (ways stop at the
banks and only bridges cross), but ``apply_barriers(G, water,
keep_bridges=True)`` enforces it on road lines that cross water anywhere.

Examples
--------
>>> import networkx as nx, shapely
>>> G = nx.MultiDiGraph(crs="EPSG:32648")
>>> G.add_nodes_from([(1, {"x": 0.0, "y": 0.0}), (2, {"x": 100.0, "y": 0.0}),
...                   (3, {"x": 100.0, "y": 100.0})])
>>> for a, b in [(1, 2), (2, 1), (2, 3), (3, 2)]:
...     _ = G.add_edge(a, b, length=100.0, osmid=10 * a + b)
>>> H, report = apply_barriers(G, [shapely.LineString([(50, -10), (50, 10)])])
>>> sorted(H.edges()), report.n_edges, report.removed[["u", "v", "osmid"]].values.tolist()
([(2, 3), (3, 2)], 2, [[1, 2, 12], [2, 1, 21]])
"""

from __future__ import annotations

import math
import os
import pickle
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import shapely

from coverage15._errors import InputError, NetworkError

__all__ = [
    "ACCESS_RANK",
    "GATE_BARRIERS",
    "OPEN_ACCESS",
    "PRIVATE_ACCESS",
    "PUBLIC_HIGHWAYS",
    "UNMAPPED_GATE_POLICIES",
    "BarrierWarning",
    "CutReport",
    "apply_barriers",
    "close_paths",
    "compounds_from_osm",
    "gated_compounds",
]

#: ``barrier=*`` values of a node walkers pass through (an entrance of a compound).
GATE_BARRIERS: tuple[str, ...] = (
    "gate",
    "lift_gate",
    "swing_gate",
    "sliding_gate",
    "wicket_gate",
    "kissing_gate",
    "turnstile",
    "full-height_turnstile",
    "entrance",
    "hampshire_gate",
    "bump_gate",
)

#: Highway types :func:`gated_compounds` never cuts by default: public roads do not run
#: through a gated compound, so such a crossing means the polygon is not one.
PUBLIC_HIGHWAYS: tuple[str, ...] = (
    "trunk",
    "trunk_link",
    "primary",
    "primary_link",
    "secondary",
    "secondary_link",
    "tertiary",
    "tertiary_link",
)

_REMOVED_COLUMNS = ["u", "v", "key", "osmid", "name", "highway", "length", "barrier", "reason"]


class BarrierWarning(UserWarning):
    """A barrier layer cut the network in a way that is probably not meant.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warnings.warn("a compound is sealed", BarrierWarning)
    >>> caught[0].category.__name__
    'BarrierWarning'
    """


@dataclass
class CutReport:
    """What a barrier function removed.

    The barrier functions build it; the parameters are kept as attributes of the same names.

    Parameters
    ----------
    kind
        ``"barriers"``, ``"closed_paths"`` or ``"gated_compounds"``.
    removed
        GeoDataFrame, one row per removed *directed* edge: ``u``, ``v``,
        ``key``, ``osmid``, ``name``, ``highway``, ``length``, ``barrier``
        (label of the barrier feature that cut it), ``reason``, and the edge
        geometry (network CRS), ready to map or write to a GeoPackage.
    summary
        Counts: ``kind``, ``edges_removed``, ``streets_removed``,
        ``length_removed_m`` (metres, each street once) and the function's own
        counts (also appended to ``G.graph["coverage15"]["barriers"]``). Empty
        (``{}``) by default.
    compounds
        For :func:`gated_compounds`: one row per compound with ``gates`` (gate
        points on its boundary), ``crossings_at_gates`` (directed edges kept
        because they pass at a gate), ``edges_cut``, what lost every way out
        (``nodes_cut_off``, ``edges_cut_off``, ``homes_cut_off``,
        ``households_cut_off``), ``sealed`` and ``gate_status``. None (the
        default) for the other functions.
    gates
        For :func:`gated_compounds`: points where walks pass a compound's
        boundary, one row per street: ``compound``, ``name``, ``u``, ``v``,
        ``key``, ``osmid``, ``highway``, ``edges`` (directed edges),
        ``kind`` (``"mapped gate"`` or ``"gate not mapped"``). None by default.
    crossings
        For :func:`gated_compounds`: points where a crossing was cut, one row
        per street: the same columns, ``restored`` (True when it was put back
        as an unmapped gate) and ``reason``. None by default.

    Examples
    --------
    >>> import networkx as nx, shapely
    >>> G = nx.MultiDiGraph(crs="EPSG:32648")
    >>> G.add_nodes_from([(1, {"x": 0.0, "y": 0.0}), (2, {"x": 100.0, "y": 0.0})])
    >>> _ = G.add_edge(1, 2, length=100.0); _ = G.add_edge(2, 1, length=100.0)
    >>> _, report = apply_barriers(G, [shapely.LineString([(50, -5), (50, 5)])])
    >>> print(report)
    barriers: 2 directed edge(s) removed (1 street(s), 100 m)
    >>> report.n_edges, report.n_streets, report.length_m
    (2, 1, 100.0)
    """

    kind: str
    removed: gpd.GeoDataFrame
    summary: dict[str, Any] = field(default_factory=dict)
    compounds: pd.DataFrame | None = None
    gates: gpd.GeoDataFrame | None = None
    crossings: gpd.GeoDataFrame | None = None

    @property
    def n_edges(self) -> int:
        """Directed edges removed (a two-way street counts twice)."""
        return len(self.removed)

    @property
    def n_streets(self) -> int:
        """Streets removed (an edge and its reverse count once)."""
        return int(self.summary.get("streets_removed", 0))

    @property
    def length_m(self) -> float:
        """Length of the streets removed, metres (each street once)."""
        return float(self.summary.get("length_removed_m", 0.0))

    def __len__(self) -> int:
        return self.n_edges

    def __str__(self) -> str:
        s = self.summary
        text = (
            f"{self.kind}: {self.n_edges} directed edge(s) removed "
            f"({self.n_streets} street(s), {self.length_m:,.0f} m)"
        )
        if self.kind == "gated_compounds":
            text += (
                f"; {s.get('compounds', 0)} compound(s), {s.get('gates', 0)} gate(s), "
                f"{s.get('crossings_at_gates', 0)} crossing(s) kept at gates, "
                f"{len(s.get('sealed_compounds', []))} sealed, "
                f"{len(s.get('gate_not_mapped', []))} with a gate not mapped "
                f"({s.get('crossings_restored', 0)} crossing(s) restored)"
            )
        return text


# --------------------------------------------------------------------------- helpers


def _graph_crs(G: nx.MultiDiGraph) -> pyproj.CRS:
    crs = G.graph.get("crs")
    if crs is None:
        raise NetworkError("the graph has no 'crs' attribute (set G.graph['crs'])")
    crs = pyproj.CRS.from_user_input(crs)
    if crs.is_geographic:
        raise NetworkError(
            "the graph is in degrees: project it first (coverage15.network.prepare_graph)"
        )
    return crs


def _layer(
    layer: Any, target: pyproj.CRS, crs: Any, *, source: str
) -> tuple[np.ndarray, list[Any], list[Any]]:
    """Geometries of a layer in ``target``, with their labels and names (empty ones dropped)."""
    if isinstance(layer, gpd.GeoDataFrame | gpd.GeoSeries):
        gs = layer.geometry if isinstance(layer, gpd.GeoDataFrame) else layer
        if gs.crs is None:
            gs = gs.set_crs(crs if crs is not None else target)
        gs = gs.to_crs(target)
        geoms = np.asarray(gs.to_numpy(), dtype=object)
        labels = list(layer.index)
        if isinstance(layer, gpd.GeoDataFrame) and "name" in layer.columns:
            names = list(layer["name"])
        else:
            names = [None] * len(labels)
    else:
        if isinstance(layer, shapely.Geometry):
            layer = [layer]
        geoms = np.asarray(list(layer), dtype=object)
        if len(geoms) and not all(g is None or isinstance(g, shapely.Geometry) for g in geoms):
            raise InputError(
                "expected a GeoDataFrame, GeoSeries or shapely geometries", source=source
            )
        if crs is not None and len(geoms):
            tr = pyproj.Transformer.from_crs(
                pyproj.CRS.from_user_input(crs), target, always_xy=True
            )
            geoms = np.asarray(
                shapely.transform(geoms, lambda c: np.column_stack(tr.transform(c[:, 0], c[:, 1]))),
                dtype=object,
            )
        labels = list(range(len(geoms)))
        names = [None] * len(labels)
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms)) if len(geoms) else np.array([])
    keep = np.asarray(keep, dtype=bool)
    idx = np.flatnonzero(keep)
    return geoms[idx], [labels[i] for i in idx], [names[i] for i in idx]


def _edges(G: nx.MultiDiGraph) -> tuple[list[tuple[Any, Any, Any, dict]], np.ndarray]:
    """Every edge ``(u, v, key, data)`` and its geometry (straight line when missing)."""
    if G.is_multigraph():
        edges = list(G.edges(keys=True, data=True))
    else:
        edges = [(u, v, None, d) for u, v, d in G.edges(data=True)]
    geoms = np.empty(len(edges), dtype=object)
    geoms[:] = [d.get("geometry") for _, _, _, d in edges]
    missing = np.flatnonzero(shapely.is_missing(geoms)) if len(edges) else np.empty(0, int)
    if len(missing):
        nodes = G.nodes
        ends = np.array(
            [
                [
                    (nodes[edges[i][0]]["x"], nodes[edges[i][0]]["y"]),
                    (nodes[edges[i][1]]["x"], nodes[edges[i][1]]["y"]),
                ]
                for i in missing
            ],
            dtype=np.float64,
        )
        geoms[missing] = shapely.linestrings(ends)
    return edges, geoms


def _flag(value: Any) -> bool:
    """Whether an OSM tag value (possibly a list after simplification) says yes."""
    if isinstance(value, list | tuple | set):
        return any(_flag(v) for v in value)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    return str(value).lower() not in {"no", "false", "0", ""}


def _highways(value: Any) -> set[str]:
    if isinstance(value, list | tuple | set):
        return {str(v) for v in value}
    return set() if value is None else {str(value)}


def _finish(
    G: nx.MultiDiGraph,
    edges: list[tuple[Any, Any, Any, dict]],
    geoms: np.ndarray,
    cut: dict[int, tuple[Any, str]],
    *,
    kind: str,
    copy: bool,
    summary: dict[str, Any],
    compounds: pd.DataFrame | None = None,
) -> tuple[nx.MultiDiGraph, CutReport]:
    """Remove the edges in ``cut`` (edge position → (barrier label, reason)) and report."""
    H = G.copy() if copy else G
    order = sorted(cut)
    rows = []
    for i in order:
        u, v, k, d = edges[i]
        if H.is_multigraph():
            H.remove_edge(u, v, k)
        else:
            H.remove_edge(u, v)
        label, reason = cut[i]
        rows.append(
            {
                "u": u,
                "v": v,
                "key": k,
                "osmid": d.get("osmid"),
                "name": d.get("name"),
                "highway": d.get("highway"),
                "length": float(d.get("length", np.nan)),
                "barrier": label,
                "reason": reason,
            }
        )
    removed = gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=_REMOVED_COLUMNS),
        geometry=list(geoms[order]) if order else [],
        crs=G.graph.get("crs"),
    )
    streets: dict[tuple[Any, ...], float] = {}
    for r in rows:
        a, b = sorted((r["u"], r["v"]), key=repr)
        streets.setdefault((a, b, round(r["length"], 3)), r["length"])
    summary = {
        "kind": kind,
        "edges_removed": len(rows),
        "streets_removed": len(streets),
        "length_removed_m": float(sum(streets.values())),
        **summary,
    }
    rec = H.graph.get("coverage15")
    rec = dict(rec) if isinstance(rec, dict) else {}
    rec["barriers"] = [*rec.get("barriers", []), summary]
    rec["edges_removed_by_barriers"] = rec.get("edges_removed_by_barriers", 0) + len(rows)
    H.graph["coverage15"] = rec
    return H, CutReport(kind=kind, removed=removed, summary=summary, compounds=compounds)


# --------------------------------------------------------------------------- barriers


def apply_barriers(
    G: nx.MultiDiGraph,
    barriers: Any,
    *,
    crs: Any = None,
    keep_bridges: bool = False,
    tolerance_m: float = 0.0,
    copy: bool = True,
) -> tuple[nx.MultiDiGraph, CutReport]:
    """Remove every edge that crosses a barrier line or runs inside a barrier polygon.

    An edge is removed when the inside of its line meets the inside of a
    barrier (DE-9IM ``T********``): it crosses or overlaps a wall / closure
    line, or enters a construction polygon. Touching only (a street along a
    site's edge, a wall ending on the kerb) leaves it open.

    Parameters
    ----------
    G
        A projected walking network.
    barriers
        Lines and/or polygons: a GeoDataFrame / GeoSeries (converted to the
        network's CRS) or shapely geometries. Labels in the report are the
        layer's index labels (positions for plain geometries).
    crs
        CRS of ``barriers`` when they carry none (default: the network's).
    keep_bridges
        Never remove edges on a bridge or in a tunnel (``bridge`` / ``tunnel``
        tag other than ``no``): use with water polygons as barriers.
    tolerance_m
        Grow the barriers by this many metres first (a wall drawn just short
        of the street it closes). Then touching the grown barrier counts.
    copy
        Return a modified copy (default); with False, edit ``G`` in place.

    Returns
    -------
    (networkx.MultiDiGraph, CutReport)
        The network without the removed edges (nodes are kept), and the report.

    Raises
    ------
    InputError
        Points, or geometries that are not lines or polygons.
    NetworkError
        The network has no CRS or is not projected.

    Examples
    --------
    A construction site over the middle of a street; the street along its edge stays:

    >>> import networkx as nx, shapely
    >>> G = nx.MultiDiGraph(crs="EPSG:32648")
    >>> G.add_nodes_from([(1, {"x": 0.0, "y": 0.0}), (2, {"x": 100.0, "y": 0.0}),
    ...                   (3, {"x": 0.0, "y": 50.0}), (4, {"x": 100.0, "y": 50.0})])
    >>> _ = G.add_edge(1, 2, length=100.0); _ = G.add_edge(3, 4, length=100.0)
    >>> site = shapely.box(40, -10, 60, 50)  # its north side lies on the street 3–4
    >>> H, rep = apply_barriers(G, [site])
    >>> list(H.edges()), rep.removed["reason"].tolist()
    ([(3, 4)], ['crosses or lies inside a barrier'])
    """
    target = _graph_crs(G)
    geoms, labels, _ = _layer(barriers, target, crs, source="barriers")
    types = shapely.get_type_id(geoms)
    bad = ~np.isin(types, [1, 2, 3, 5, 6, 7])
    if bad.any():
        raise InputError(
            "barriers must be lines or polygons; points cannot close a path "
            "(buffer them into small polygons if they should)",
            source="barriers",
            rows=[labels[i] for i in np.flatnonzero(bad)],
        )
    if not tolerance_m >= 0:
        raise InputError(f"tolerance_m must be non-negative, got {tolerance_m}")
    if tolerance_m > 0 and len(geoms):
        geoms = shapely.buffer(geoms, tolerance_m)
    edges, egeoms = _edges(G)
    cut: dict[int, tuple[Any, str]] = {}
    kept_bridges = 0
    if len(geoms) and len(edges):
        tree = shapely.STRtree(egeoms)
        b_idx, e_idx = tree.query(geoms, predicate="intersects")
        hit = shapely.relate_pattern(egeoms[e_idx], geoms[b_idx], "T********")
        b_idx, e_idx = b_idx[hit], e_idx[hit]
        order = np.lexsort((b_idx, e_idx))
        for b, e in zip(b_idx[order].tolist(), e_idx[order].tolist(), strict=True):
            if e in cut:
                continue
            d = edges[e][3]
            if keep_bridges and (_flag(d.get("bridge")) or _flag(d.get("tunnel"))):
                kept_bridges += 1
                continue
            cut[e] = (labels[b], "crosses or lies inside a barrier")
    used = {lab for lab, _ in cut.values()}
    summary = {
        "barriers": len(geoms),
        "barriers_without_effect": len(geoms) - len(used),
        "bridge_edges_kept": kept_bridges,
        "tolerance_m": float(tolerance_m),
    }
    return _finish(G, edges, egeoms, cut, kind="barriers", copy=copy, summary=summary)


def _pieces(lines: np.ndarray, step: float) -> tuple[np.ndarray, ...]:
    """Short pieces of lines: owner, midpoint x/y, direction dx/dy, length."""
    dense = shapely.segmentize(lines, step)
    xy, owner = shapely.get_coordinates(dense, return_index=True)
    same = owner[1:] == owner[:-1]
    a, b = xy[:-1][same], xy[1:][same]
    d = b - a
    return owner[:-1][same], (a + b) / 2, d, np.hypot(d[:, 0], d[:, 1])


def close_paths(
    G: nx.MultiDiGraph,
    lines: Any,
    *,
    crs: Any = None,
    tolerance_m: float = 5.0,
    min_overlap_m: float = 10.0,
    max_angle_deg: float = 30.0,
    copy: bool = True,
) -> tuple[nx.MultiDiGraph, CutReport]:
    """Remove the edges that run along closed-path lines (matched by overlap).

    A planner draws the closed footpath (or street) as a line along it, from
    another base map, so it rarely lies exactly on the network's geometry.
    An edge is closed when the parts of it that lie within ``tolerance_m`` of
    a closure line *and* run parallel to it (within ``max_angle_deg``) add up
    to at least ``min(min_overlap_m, half the edge's length)``. Streets that
    cross or meet the closed path are not parallel to it and stay open.

    Parameters
    ----------
    G
        A projected walking network.
    lines
        Lines along the closed paths (GeoDataFrame, GeoSeries or shapely lines).
    crs
        CRS of ``lines`` when they carry none (default: the network's).
    tolerance_m
        How far a closure line may lie from the path it means.
    min_overlap_m
        Parallel overlap that closes an edge (edges shorter than twice this
        need half their length).
    max_angle_deg
        Largest angle between an edge piece and the closure line to count as
        running along it.
    copy
        Return a modified copy (default); with False, edit ``G`` in place.

    Returns
    -------
    (networkx.MultiDiGraph, CutReport)
        ``removed["barrier"]`` is the closure line's label; ``summary`` adds
        ``lines`` and ``lines_without_match``.

    Raises
    ------
    InputError
        Geometries that are not lines, or non-positive tolerances.

    Examples
    --------
    A footpath drawn 2 m off the network's line closes it; the street crossing it stays open:

    >>> import networkx as nx, shapely
    >>> G = nx.MultiDiGraph(crs="EPSG:32648")
    >>> G.add_nodes_from([(1, {"x": 0.0, "y": 0.0}), (2, {"x": 200.0, "y": 0.0}),
    ...                   (3, {"x": 100.0, "y": -50.0}), (4, {"x": 100.0, "y": 50.0})])
    >>> _ = G.add_edge(1, 2, length=200.0); _ = G.add_edge(3, 4, length=100.0)
    >>> H, rep = close_paths(G, [shapely.LineString([(20, 2), (180, 2)])])
    >>> list(H.edges()), rep.n_edges
    ([(3, 4)], 1)
    """
    if not (tolerance_m > 0 and min_overlap_m > 0 and 0 < max_angle_deg <= 90):
        raise InputError("tolerance_m and min_overlap_m must be positive, max_angle_deg in (0, 90]")
    target = _graph_crs(G)
    geoms, labels, _ = _layer(lines, target, crs, source="closed paths")
    types = shapely.get_type_id(geoms)
    bad = ~np.isin(types, [1, 2, 5])
    if bad.any():
        raise InputError(
            "closed paths must be lines drawn along the path (use apply_barriers for polygons)",
            source="closed paths",
            rows=[labels[i] for i in np.flatnonzero(bad)],
        )
    # closure lines as 2-point segments, indexed for nearest queries
    parts, part_of = shapely.get_parts(geoms, return_index=True)
    xy, owner = shapely.get_coordinates(parts, return_index=True)
    same = owner[1:] == owner[:-1]
    seg_a, seg_b = xy[:-1][same], xy[1:][same]
    seg_line = part_of[owner[:-1][same]]
    keep = np.hypot(*(seg_b - seg_a).T) > 0
    seg_a, seg_b, seg_line = seg_a[keep], seg_b[keep], seg_line[keep]
    edges, egeoms = _edges(G)
    cut: dict[int, tuple[Any, str]] = {}
    if len(seg_a) and len(edges):
        segs = shapely.linestrings(np.stack([seg_a, seg_b], axis=1))
        seg_tree = shapely.STRtree(segs)
        cand = np.unique(
            shapely.STRtree(egeoms).query(segs, predicate="dwithin", distance=tolerance_m)[1]
        )
        if len(cand):
            step = max(0.25, min(1.0, tolerance_m / 4))
            owner_e, mid, dirs, plen = _pieces(egeoms[cand], step)
            (q, s), _ = seg_tree.query_nearest(
                shapely.points(mid),
                max_distance=tolerance_m,
                return_distance=True,
                all_matches=False,
            )
            sd = seg_b[s] - seg_a[s]
            cosang = np.abs((dirs[q] * sd).sum(axis=1)) / (plen[q] * np.hypot(sd[:, 0], sd[:, 1]))
            along = cosang >= math.cos(math.radians(max_angle_deg))
            overlap = np.bincount(owner_e[q[along]], weights=plen[q[along]], minlength=len(cand))
            # the closure line that overlaps each edge most
            best_line = np.full(len(cand), -1)
            if along.any():
                frame = pd.DataFrame(
                    {"e": owner_e[q[along]], "line": seg_line[s[along]], "len": plen[q[along]]}
                )
                top = frame.groupby(["e", "line"])["len"].sum().reset_index()
                top = top.sort_values(["e", "len"], ascending=[True, False]).drop_duplicates("e")
                best_line[top["e"].to_numpy()] = top["line"].to_numpy()
            elen = shapely.length(egeoms[cand])
            closed = overlap >= np.minimum(min_overlap_m, 0.5 * elen) - 1e-9
            closed &= overlap > 0
            for j in np.flatnonzero(closed).tolist():
                cut[int(cand[j])] = (
                    labels[best_line[j]],
                    f"runs along a closed path for {overlap[j]:.0f} m",
                )
    used = {lab for lab, _ in cut.values()}
    summary = {"lines": len(geoms), "lines_without_match": len(geoms) - len(used)}
    return _finish(G, edges, egeoms, cut, kind="closed_paths", copy=copy, summary=summary)


# --------------------------------------------------------------------------- compounds


def _gates_from_graph(G: nx.MultiDiGraph) -> np.ndarray:
    pts = [
        shapely.Point(d["x"], d["y"])
        for _, d in G.nodes(data=True)
        if str(d.get("barrier")) in GATE_BARRIERS or _flag(d.get("entrance"))
    ]
    return np.asarray(pts, dtype=object)


def gated_compounds(
    G: nx.MultiDiGraph,
    compounds: Any,
    gates: Any = None,
    *,
    crs: Any = None,
    gate_tolerance_m: float = 5.0,
    exempt_highways: Iterable[str] = PUBLIC_HIGHWAYS,
    unmapped_gates: str = "main",
    homes: Any = None,
    copy: bool = True,
) -> tuple[nx.MultiDiGraph, CutReport]:
    """Let walks enter and leave gated compounds (小区) only through their gates.

    Every edge that passes between the inside and the outside of a compound
    polygon is removed unless it does so within ``gate_tolerance_m`` of a
    gate:

    * an edge whose line crosses the boundary (part inside, part outside)
      is kept only if every point where it meets the boundary is at a gate;
    * an edge inside that ends on the boundary, at a node where an edge
      outside also ends (the way in runs through a node on the fence), is
      removed unless that node is at a gate.

    Edges wholly inside (internal paths) or outside (streets, also those
    along the fence) are untouched.

    **Sealed compounds.** The network's pieces (weakly connected components)
    are compared before and after the cut. When the cut splits a piece, its
    largest part (most nodes) is the street network it belonged to; every
    other part has lost every path to it (a piece that was an island before is
    not blamed on the gates). Each compound reports the parts it cut off: those
    holding its inside nodes or bordered by crossings it cut. Such a part has
    no usable gate, and OSM usually just does not map it. By default
    (``unmapped_gates="main"``) it is treated as having one, flagged ``"gate
    not mapped"``: of the crossings cut around that part, those of the highest
    road class (:data:`ACCESS_RANK`) are restored (a ``service`` road before a
    ``footway``; all of them when several share that class), as the vehicle
    entrance is where a compound's gate usually is; repeated until no part is
    cut off. ``"all"`` restores every cut crossing of that part (an open
    compound); ``"seal"`` keeps them cut (a prison: its homes reach nothing).

    Parameters
    ----------
    G
        A projected walking network.
    compounds
        Compound polygons: a GeoDataFrame / GeoSeries (a ``name`` column is
        reported) or shapely polygons. From OSM: :func:`compounds_from_osm`.
    gates
        Gate points (GeoDataFrame, GeoSeries or shapely points). ``None``: the
        graph's nodes tagged ``barrier`` in :data:`GATE_BARRIERS` or
        ``entrance=*`` (kept by coverage15's OSM reader when the graph is not
        simplified); an error when there are none. ``[]``: no gates mapped
        (every compound is then handled by ``unmapped_gates``).
    crs
        CRS of ``compounds``, ``gates`` and ``homes`` when they carry none
        (default: the network's).
    gate_tolerance_m
        How far from a gate a crossing may be (gates drawn beside the path).
    exempt_highways
        Highway types never cut (default :data:`PUBLIC_HIGHWAYS`: public roads
        do not run through gated compounds, so a polygon they cross is not a
        fenced compound there). Pass ``()`` to cut them too.
    unmapped_gates
        ``"main"`` (default), ``"all"`` or ``"seal"``: what to do with a part of a
        compound left without a way out (see above).
    homes
        Optional home points (GeoDataFrame, network CRS or with a CRS) with a
        ``households`` column (1 per home when absent): they are snapped to the
        nearest edge of the cut network (:func:`coverage15.access.snap_points`)
        and those on a part that lost every way out are counted per compound.
    copy
        Return a modified copy (default); with False, edit ``G`` in place.

    Returns
    -------
    (networkx.MultiDiGraph, CutReport)
        ``report.compounds`` has one row per compound: ``compound``, ``name``,
        ``gates`` (gate points on its boundary), ``crossings_at_gates``,
        ``edges_cut`` (directed edges removed), ``nodes_inside``,
        ``inside_nodes_cut_off`` (its inside nodes that lost every path to the
        streets), ``nodes_cut_off`` / ``edges_cut_off`` (nodes and directed edges
        of the parts it cut off, inside or out, before any repair),
        ``homes_cut_off`` / ``households_cut_off`` (homes snapped onto those parts;
        missing without ``homes``), ``sealed`` (all its inside nodes in a split
        piece were cut off), ``gate_status`` (``"gates mapped"``, ``"gate not
        mapped"``, ``"sealed"``, ``"no paths inside"``)
        and ``crossings_restored`` (directed edges restored as unmapped gates).
        ``report.gates`` and ``report.crossings`` are point GeoDataFrames (network
        CRS), one row per street: where walks pass the boundary (``kind``
        ``"mapped gate"`` or ``"gate not mapped"``) and where a crossing was cut
        (``restored`` False) or cut then restored (True). The same points are in
        the summary (``gate_points``, ``cut_crossings``: records with ``x``/``y``),
        which is appended to ``G.graph["coverage15"]["barriers"]``.

    Warns
    -----
    BarrierWarning
        When gating cut a part of the network off the streets: restored as
        "gate not mapped", or left sealed with ``unmapped_gates="seal"``.

    Raises
    ------
    InputError
        Compounds that are not polygons, gates that are not points, or
        ``gates=None`` on a graph without gate nodes; another ``unmapped_gates``.

    Examples
    --------
    A 100 m square compound with a gate on its south side; a side path through the
    east fence is cut, the path through the gate stays:

    >>> import networkx as nx, shapely
    >>> G = nx.MultiDiGraph(crs="EPSG:32648")
    >>> xy = {"in": (50, 50), "s": (50, -20), "e": (120, 50), "se": (120, -20)}
    >>> G.add_nodes_from((n, {"x": float(x), "y": float(y)}) for n, (x, y) in xy.items())
    >>> for a, b in [("in", "s"), ("in", "e"), ("s", "se"), ("se", "e")]:
    ...     _ = G.add_edge(a, b, length=70.0); _ = G.add_edge(b, a, length=70.0)
    >>> H, rep = gated_compounds(G, [shapely.box(0, 0, 100, 100)], [shapely.Point(50, 0)])
    >>> rep.removed[["u", "v"]].values.tolist(), H.has_edge("in", "s")
    ([['in', 'e'], ['e', 'in']], True)
    >>> rep.compounds[["gates", "crossings_at_gates", "edges_cut", "sealed"]].values.tolist()
    [[1, 2, 2, False]]
    >>> rep.crossings[["u", "v", "restored"]].values.tolist(), rep.gates["kind"].tolist()
    ([['in', 'e', False]], ['mapped gate'])
    """
    if not gate_tolerance_m >= 0:
        raise InputError(f"gate_tolerance_m must be non-negative, got {gate_tolerance_m}")
    if unmapped_gates not in UNMAPPED_GATE_POLICIES:
        raise InputError(
            f"unmapped_gates must be one of {', '.join(UNMAPPED_GATE_POLICIES)}, "
            f"got {unmapped_gates!r}"
        )
    target = _graph_crs(G)
    polys, labels, names = _layer(compounds, target, crs, source="compounds")
    types = shapely.get_type_id(polys)
    bad = ~np.isin(types, [3, 6])
    if bad.any():
        raise InputError(
            "compounds must be polygons",
            source="compounds",
            rows=[labels[i] for i in np.flatnonzero(bad)],
        )
    if gates is None:
        gate_geoms = _gates_from_graph(G)
        if len(gate_geoms) == 0 and len(polys):
            raise InputError(
                "the graph has no gate nodes (barrier=gate / entrance=*; a simplified graph "
                "loses them): pass gates=, e.g. from compounds_from_osm(), or gates=[] when "
                "no gate is mapped",
                source="gates",
            )
    else:
        gate_geoms, gate_labels, _ = _layer(gates, target, crs, source="gates")
        gbad = shapely.get_type_id(gate_geoms) != 0
        if gbad.any():
            raise InputError(
                "gates must be points",
                source="gates",
                rows=[gate_labels[i] for i in np.flatnonzero(gbad)],
            )
    gate_all = shapely.multipoints(gate_geoms) if len(gate_geoms) else None
    tol = float(gate_tolerance_m)

    def at_gate(xy: np.ndarray) -> np.ndarray:
        if gate_all is None or len(xy) == 0:
            return np.zeros(len(xy), dtype=bool)
        return shapely.distance(shapely.points(xy), gate_all) <= tol + 1e-9

    exempt = set(exempt_highways)
    edges, egeoms = _edges(G)
    n_c = len(polys)
    bounds = shapely.boundary(polys)
    gates_per = np.zeros(n_c, dtype=np.int64)
    if gate_all is not None and n_c:
        _, c_idx = shapely.STRtree(bounds).query(gate_geoms, predicate="dwithin", distance=tol)
        gates_per = np.bincount(c_idx, minlength=n_c)
    kept_at_gate = np.zeros(n_c, dtype=np.int64)
    cut_per = np.zeros(n_c, dtype=np.int64)
    has_inside = np.zeros(n_c, dtype=bool)
    cut: dict[int, tuple[Any, str]] = {}
    # edge position -> (compound, x, y) where it passes the boundary
    cut_at: dict[int, tuple[int, float, float]] = {}
    kept_at: dict[int, tuple[int, float, float]] = {}
    exempt_crossings = 0

    def name_of(c: int) -> str:
        return str(names[c]) if names[c] is not None and names[c] == names[c] else str(labels[c])

    if n_c and len(edges):
        tree = shapely.STRtree(egeoms)
        c_idx, e_idx = tree.query(polys, predicate="intersects")
        rel = shapely.relate(egeoms[e_idx], polys[c_idx])
        ii = np.array([r[0] != "F" for r in rel], dtype=bool)
        ie = np.array([r[2] != "F" for r in rel], dtype=bool)
        has_inside[np.unique(c_idx[ii])] = True
        on_bound = shapely.intersects(egeoms[e_idx], bounds[c_idx])
        # node ends of each candidate edge, and which lie on the boundary
        u_xy = shapely.get_coordinates(shapely.get_point(egeoms[e_idx], 0))
        v_xy = shapely.get_coordinates(shapely.get_point(egeoms[e_idx], -1))
        u_on = shapely.distance(shapely.points(u_xy), bounds[c_idx]) <= 1e-6
        v_on = shapely.distance(shapely.points(v_xy), bounds[c_idx]) <= 1e-6
        # (node, compound) pairs where an outside edge ends on the boundary
        outside_at: set[tuple[Any, int]] = set()
        for j in np.flatnonzero(~ii & on_bound).tolist():
            u, v = edges[e_idx[j]][0], edges[e_idx[j]][1]
            if u_on[j]:
                outside_at.add((u, int(c_idx[j])))
            if v_on[j]:
                outside_at.add((v, int(c_idx[j])))
        # 1. crossings through the line
        cross = np.flatnonzero(ii & ie)
        if len(cross):
            contact = shapely.intersection(egeoms[e_idx[cross]], bounds[c_idx[cross]])
            cxy, cown = shapely.get_coordinates(contact, return_index=True)
            ok_pt = at_gate(cxy)
            all_ok = np.ones(len(cross), dtype=bool)
            np.logical_and.at(all_ok, cown, ok_pt)
            first_bad: dict[int, np.ndarray] = {}
            first_any: dict[int, np.ndarray] = {}
            for k in range(len(cown)):
                first_any.setdefault(int(cown[k]), cxy[k])
                if not ok_pt[k]:
                    first_bad.setdefault(int(cown[k]), cxy[k])
            for j, jj in enumerate(cross.tolist()):
                e, c = int(e_idx[jj]), int(c_idx[jj])
                if all_ok[j]:
                    kept_at_gate[c] += 1
                    x, y = first_any.get(j, (np.nan, np.nan))
                    kept_at.setdefault(e, (c, float(x), float(y)))
                    continue
                if _highways(edges[e][3].get("highway")) & exempt:
                    exempt_crossings += 1
                    continue
                if e not in cut:
                    x, y = first_bad.get(j, (np.nan, np.nan))
                    cut[e] = (
                        labels[c],
                        f"crosses the boundary of {name_of(c)} away from a gate "
                        f"at ({x:.1f}, {y:.1f})",
                    )
                    cut_at[e] = (c, float(x), float(y))
                    cut_per[c] += 1
        # 2. inside edges ending on the boundary where an outside edge also ends
        ends_in = np.flatnonzero(ii & ~ie & (u_on | v_on))
        for jj in ends_in.tolist():
            e, c = int(e_idx[jj]), int(c_idx[jj])
            u, v = edges[e][0], edges[e][1]
            passage = []
            if u_on[jj] and (u, c) in outside_at:
                passage.append(u_xy[jj])
            if v_on[jj] and (v, c) in outside_at:
                passage.append(v_xy[jj])
            if not passage:
                continue
            ok = at_gate(np.asarray(passage))
            if ok.all():
                kept_at_gate[c] += 1
                kept_at.setdefault(e, (c, float(passage[0][0]), float(passage[0][1])))
                continue
            if _highways(edges[e][3].get("highway")) & exempt:
                exempt_crossings += 1
                continue
            if e not in cut:
                x, y = np.asarray(passage)[~ok][0]
                cut[e] = (
                    labels[c],
                    f"enters {name_of(c)} at a node on its boundary away from a gate "
                    f"at ({x:.1f}, {y:.1f})",
                )
                cut_at[e] = (c, float(x), float(y))
                cut_per[c] += 1
    # ---- pieces before and after: which nodes lost every path to the streets
    seal = _SealCheck(G, edges, polys)
    lost0 = seal.lost(set(cut))
    ca0 = seal.comp_after.copy()
    cut_before_repair = set(cut)
    restored: dict[int, tuple[int, float, float]] = {}
    lost_after = lost0
    if unmapped_gates != "seal":
        for _ in range(len(cut) + 1):
            if not lost_after.any():
                break
            chosen = seal.repairs(lost_after, set(cut), edges, policy=unmapped_gates)
            if not chosen:
                break
            for e in chosen:
                del cut[e]
                restored[e] = cut_at[e]
                cut_per[cut_at[e][0]] -= 1
            lost_after = seal.lost(set(cut))
    owner = seal.owner  # node position -> compound (or -1)
    # the cut-off pieces of each compound: those holding its inside nodes, or bordered by
    # crossings it cut
    lost_pieces = set(np.unique(ca0[lost0]).tolist())
    pieces_of: list[set[int]] = [set() for _ in range(n_c)]
    for i in np.flatnonzero(lost0 & (owner >= 0)).tolist():
        pieces_of[owner[i]].add(int(ca0[i]))
    for e in cut_before_repair:
        for end in (seal.eu[e], seal.ev[e]):
            if int(ca0[end]) in lost_pieces:
                pieces_of[cut_at[e][0]].add(int(ca0[end]))
    intact = np.ones(len(edges), dtype=bool)
    intact[list(cut_before_repair)] = False
    if homes is not None:
        home_pos, home_hh = seal.home_nodes(homes, G, cut_before_repair, target, crs)
        home_piece = np.where(home_pos >= 0, ca0[np.maximum(home_pos, 0)], -1)
    nodes_cut_off = np.zeros(n_c, dtype=np.int64)
    edges_cut_off = np.zeros(n_c, dtype=np.int64)
    still = np.zeros(n_c, dtype=bool)
    homes_cut = pd.array([pd.NA] * n_c, dtype="Int64")
    hh_cut = pd.array([pd.NA] * n_c, dtype="Int64")
    for c in range(n_c):
        if not pieces_of[c]:
            if homes is not None:
                homes_cut[c], hh_cut[c] = 0, 0
            continue
        in_p = np.isin(ca0, list(pieces_of[c]))
        nodes_cut_off[c] = int(in_p.sum())
        edges_cut_off[c] = int((in_p[seal.eu] & in_p[seal.ev] & intact).sum())
        still[c] = bool((in_p & lost_after).any())
        if homes is not None:
            h = np.isin(home_piece, list(pieces_of[c]))
            homes_cut[c], hh_cut[c] = int(h.sum()), round(float(home_hh[h].sum()))
    inside_n = np.bincount(owner[owner >= 0], minlength=n_c).astype(np.int64)
    inside_lost = np.bincount(owner[lost0 & (owner >= 0)], minlength=n_c).astype(np.int64)
    split = np.isin(seal.comp_before, np.unique(seal.comp_before[lost0]))
    inside_split = np.bincount(owner[split & (owner >= 0)], minlength=n_c)
    sealed = (inside_lost > 0) & (inside_lost == inside_split)
    restored_per = np.bincount(
        np.asarray([c for c, _, _ in restored.values()], dtype=np.int64), minlength=n_c
    )
    status = np.where(
        still,
        "sealed",
        np.where(
            restored_per > 0,
            "gate not mapped",
            np.where(has_inside, "gates mapped", "no paths inside"),
        ),
    )
    table = pd.DataFrame(
        {
            "compound": labels,
            "name": names,
            "gates": gates_per.astype(np.int64),
            "crossings_at_gates": kept_at_gate,
            "edges_cut": cut_per,
            "nodes_inside": inside_n,
            "inside_nodes_cut_off": inside_lost,
            "nodes_cut_off": nodes_cut_off,
            "edges_cut_off": edges_cut_off,
            "homes_cut_off": homes_cut,
            "households_cut_off": hh_cut,
            "sealed": sealed,
            "gate_status": status,
            "crossings_restored": restored_per.astype(np.int64),
        }
    )
    gate_points, crossing_points = _gating_points(
        edges, kept_at, restored, cut_at, cut, labels, names, G.graph.get("crs")
    )
    sealed_names = [name_of(c) for c in np.flatnonzero(sealed).tolist()]
    unmapped_names = [name_of(c) for c in np.flatnonzero(restored_per > 0).tolist()]
    still_names = [name_of(c) for c in np.flatnonzero(still).tolist()]
    cut_off_names = [name_of(c) for c in np.flatnonzero(nodes_cut_off > 0).tolist()]
    summary: dict[str, Any] = {
        "compounds": n_c,
        "gates": len(gate_geoms),
        "gates_on_boundaries": int(gates_per.sum()),
        "crossings_at_gates": int(kept_at_gate.sum()),
        "exempt_crossings": exempt_crossings,
        "sealed_compounds": sealed_names,
        "compounds_cut_off": cut_off_names,
        "nodes_cut_off": int(lost0.sum()),
        "homes_cut_off": None
        if homes is None
        else int(np.isin(home_piece, list(lost_pieces)).sum()),
        "households_cut_off": None
        if homes is None
        else round(float(home_hh[np.isin(home_piece, list(lost_pieces))].sum())),
        "unmapped_gates": unmapped_gates,
        "gate_not_mapped": unmapped_names,
        "crossings_restored": len(restored),
        "still_sealed": still_names,
        # the same points as report.gates / report.crossings, plain records for the build
        # record (maps and repairs.csv can draw and list them from the network alone)
        "gate_points": _records(gate_points, ["compound", "name", "kind", "highway", "osmid"]),
        "cut_crossings": _records(
            crossing_points, ["compound", "name", "restored", "highway", "osmid", "reason"]
        ),
    }
    if cut_off_names:
        shown = ", ".join(cut_off_names[:5]) + (" …" if len(cut_off_names) > 5 else "")
        hh = (
            f" ({summary['homes_cut_off']} home(s), {summary['households_cut_off']} household(s))"
            if homes is not None
            else ""
        )
        if unmapped_gates == "seal":
            tail = "homes there become unreachable; check the gates"
        else:
            tail = (
                f"treated as having a gate that OSM does not map ('gate not mapped': "
                f"{len(restored)} crossing edge(s) restored, unmapped_gates={unmapped_gates!r})"
            )
            if still_names:
                tail += f"; still sealed, no crossing to restore: {', '.join(still_names)}"
        warnings.warn(
            f"gating {len(cut_off_names)} compound(s) cut parts of the network off the streets "
            f"({shown}; {int(lost0.sum())} node(s){hh}): {tail}",
            BarrierWarning,
            stacklevel=2,
        )
    H, report = _finish(
        G,
        edges,
        egeoms,
        cut,
        kind="gated_compounds",
        copy=copy,
        summary=summary,
        compounds=table,
    )
    report.gates = gate_points
    report.crossings = crossing_points
    return H, report


#: how :func:`gated_compounds` treats a part of a compound left without a way out
UNMAPPED_GATE_POLICIES: tuple[str, ...] = ("main", "all", "seal")

#: road classes, the main ones first: the crossing of the best class is taken as the
#: unmapped gate of a compound (the vehicle entrance is where its gate usually is)
ACCESS_RANK: tuple[str, ...] = (
    "trunk",
    "trunk_link",
    "primary",
    "primary_link",
    "secondary",
    "secondary_link",
    "tertiary",
    "tertiary_link",
    "unclassified",
    "residential",
    "living_street",
    "service",
    "road",
    "pedestrian",
    "track",
    "footway",
    "path",
    "cycleway",
    "bridleway",
    "steps",
    "corridor",
)


def _rank(value: Any) -> int:
    ranks = [ACCESS_RANK.index(h) for h in _highways(value) if h in ACCESS_RANK]
    return min(ranks) if ranks else len(ACCESS_RANK)


class _SealCheck:
    """Network pieces before and after a cut, and which nodes lose every path to the streets."""

    def __init__(self, G: nx.MultiDiGraph, edges: list, polys: np.ndarray) -> None:
        self._n_c = len(polys)
        self._edges = edges
        self.nodes = list(G.nodes)
        self.pos = {n: i for i, n in enumerate(self.nodes)}
        n = len(self.nodes)
        self.eu = np.fromiter((self.pos[e[0]] for e in edges), np.int64, len(edges))
        self.ev = np.fromiter((self.pos[e[1]] for e in edges), np.int64, len(edges))
        xy = np.array([(G.nodes[k]["x"], G.nodes[k]["y"]) for k in self.nodes], dtype=float)
        xy = xy.reshape(-1, 2)
        self.owner = np.full(n, -1, dtype=np.int64)
        if len(polys) and n:
            p_idx, c_idx = shapely.STRtree(polys).query(shapely.points(xy), predicate="within")
            order = np.argsort(c_idx, kind="stable")[::-1]  # the first compound wins
            self.owner[p_idx[order]] = c_idx[order]
        self.street = self.owner < 0
        self.comp_before = self._components(np.ones(len(edges), dtype=bool))
        self.comp_after = self.comp_before

    def _components(self, keep: np.ndarray) -> np.ndarray:
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        n = len(self.nodes)
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        a = coo_matrix(
            (np.ones(int(keep.sum())), (self.eu[keep], self.ev[keep])), shape=(n, n)
        ).tocsr()
        return connected_components(a, directed=True, connection="weak")[1]

    def lost(self, cut: set[int]) -> np.ndarray:
        """Nodes cut off: in a piece the cut splits, but not in the largest part of it.

        The largest part (most nodes; then most nodes outside every compound) is the
        street network the piece belonged to; the other parts lost every path to it.
        A piece the cut does not split (an island already) loses nothing.
        """
        keep = np.ones(len(self.eu), dtype=bool)
        keep[list(cut)] = False
        self.comp_after = ca = self._components(keep)
        if len(ca) == 0:
            return np.zeros(0, dtype=bool)
        frame = pd.DataFrame({"b": self.comp_before, "a": ca, "street": self.street})
        parts = frame.groupby(["b", "a"]).agg(n=("street", "size"), s=("street", "sum"))
        parts = parts.reset_index().sort_values(
            ["b", "n", "s", "a"], ascending=[True, False, False, True]
        )
        main = parts.drop_duplicates("b").set_index("b")["a"]
        return ca != main.reindex(self.comp_before).to_numpy()

    def repairs(self, lost: np.ndarray, cut: set[int], edges: list, *, policy: str) -> list[int]:
        """Cut edges to restore so that each piece that lost every way out gets one back."""
        comp = self.comp_after
        chosen: list[int] = []
        for piece in np.unique(comp[lost]).tolist():
            cand = [e for e in cut if (comp[self.eu[e]] == piece) != (comp[self.ev[e]] == piece)]
            if not cand:
                continue
            if policy == "main":
                best = min(_rank(edges[e][3].get("highway")) for e in cand)
                cand = [e for e in cand if _rank(edges[e][3].get("highway")) == best]
            # the same streets in the other direction too
            pairs = {frozenset((int(self.eu[e]), int(self.ev[e]))) for e in cand}
            chosen.extend(
                e
                for e in cut
                if frozenset((int(self.eu[e]), int(self.ev[e]))) in pairs and e not in chosen
            )
        return sorted(set(chosen))

    def home_nodes(
        self, homes: Any, G: nx.MultiDiGraph, cut: set[int], target: pyproj.CRS, crs: Any
    ) -> tuple[np.ndarray, np.ndarray]:
        """Node position (or -1) of each home snapped onto the cut network, and households."""
        from coverage15.access import WalkNetwork, snap_points

        pts = homes if isinstance(homes, gpd.GeoDataFrame) else gpd.GeoDataFrame(geometry=homes)
        if pts.crs is None:
            pts = pts.set_crs(crs if crs is not None else target)
        pts = pts.to_crs(target)
        hh = (
            pd.to_numeric(pts["households"], errors="coerce").fillna(0).to_numpy(dtype=float)
            if "households" in pts.columns
            else np.ones(len(pts))
        )
        H = G.copy()
        for i in cut:
            u, v, k, _ = self._edges[i]
            if H.is_multigraph():
                H.remove_edge(u, v, k)
            else:
                H.remove_edge(u, v)
        # by the nearest street as it is (no island relinking): a home whose nearest
        # street lies in a cut-off part is shut in, whatever routing would do next
        net = WalkNetwork.from_graph(H, island_max_nodes=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # homes far from every street: not this report's
            snapped = snap_points(net, pts.geometry, max_leg_m=None, source="homes")
        ok = snapped["snapped"].to_numpy(dtype=bool)
        u = np.array([self.pos.get(x, -1) for x in snapped["u"].to_numpy()], dtype=np.int64)
        return np.where(ok, u, -1), hh


def _records(points: gpd.GeoDataFrame, columns: list[str]) -> list[dict[str, Any]]:
    """Rows of a point layer as plain dicts with ``x``/``y`` (network CRS)."""
    out = []
    for row, geom in zip(
        points[columns].to_dict("records"), points.geometry.to_numpy(), strict=True
    ):
        out.append({**row, "x": float(geom.x), "y": float(geom.y)})
    return out


def _gating_points(
    edges: list,
    kept_at: dict[int, tuple[int, float, float]],
    restored: dict[int, tuple[int, float, float]],
    cut_at: dict[int, tuple[int, float, float]],
    cut: dict[int, tuple[Any, str]],
    labels: list,
    names: list,
    crs: Any,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Gates used and crossings cut, as points, one row per street (both directions once)."""

    def rows(items: dict[int, tuple[int, float, float]], extra: Any) -> list[dict[str, Any]]:
        out: dict[tuple[Any, ...], dict[str, Any]] = {}
        for e, (c, x, y) in sorted(items.items()):
            u, v, k, d = edges[e]
            key = (c, *sorted((repr(u), repr(v))), repr(k))
            if key in out:
                out[key]["edges"] += 1
                continue
            out[key] = {
                "compound": labels[c],
                "name": names[c] if names[c] is not None and names[c] == names[c] else labels[c],
                "u": u,
                "v": v,
                "key": k,
                "osmid": d.get("osmid"),
                "highway": d.get("highway"),
                "edges": 1,
                **extra(e),
                "x": x,
                "y": y,
            }
        return list(out.values())

    gate_rows = rows(kept_at, lambda e: {"kind": "mapped gate"}) + rows(
        restored, lambda e: {"kind": "gate not mapped"}
    )
    cut_rows = rows(
        cut_at,
        lambda e: {
            "restored": e not in cut,
            "reason": cut[e][1] if e in cut else "restored: gate not mapped",
        },
    )

    def frame(rs: list[dict[str, Any]], cols: list[str]) -> gpd.GeoDataFrame:
        df = pd.DataFrame(rs, columns=[*cols, "x", "y"])
        geom = shapely.points(df[["x", "y"]].to_numpy(dtype=float)) if len(df) else []
        return gpd.GeoDataFrame(df.drop(columns=["x", "y"]), geometry=list(geom), crs=crs)

    base = ["compound", "name", "u", "v", "key", "osmid", "highway", "edges"]
    return frame(gate_rows, [*base, "kind"]), frame(cut_rows, [*base, "restored", "reason"])


#: ``access``/``foot`` values of a way into a compound that make it a residents' entrance
PRIVATE_ACCESS: tuple[str, ...] = ("private", "no", "residents", "customers", "permit")
#: ``access``/``foot`` values of a way into a compound that open it to everyone
OPEN_ACCESS: tuple[str, ...] = ("yes", "designated", "permissive", "public")

_GATE_KINDS = {
    "gate_node": "gate node on a way in (门禁节点)",
    "boundary_gate": "gate node on the boundary (边界门禁)",
    "private_way": "private way in, access=private (私有通道)",
    "open_way": "way in open to walkers, foot=yes (开放通道)",
}
_GATE_COLUMNS = [
    "compound",
    "compound_name",
    "kind",
    "how",
    "node",
    "way",
    "barrier",
    "entrance",
    "access",
    "foot",
    "offset_m",
]
_COMPOUND_COLUMNS = [
    "osm_id",
    "name",
    "name_source",
    "gated",
    "gates",
    "gate_nodes",
    "boundary_gates",
    "private_ways",
    "open_ways",
    "gates_found",
    "missing_members",
]
_COMPOUNDS_CACHE_FORMAT = 1


def _is_gate_tags(tags: dict[str, str]) -> bool:
    return tags.get("barrier") in GATE_BARRIERS or (
        "entrance" in tags and _flag(tags.get("entrance"))
    )


def _access_class(tags: dict[str, str]) -> str | None:
    foot = tags.get("foot")
    access = tags.get("access")
    if foot in OPEN_ACCESS:
        return "open"
    if foot in PRIVATE_ACCESS or access in PRIVATE_ACCESS:
        return "private"
    if access in OPEN_ACCESS:
        return "open"
    return None


def _compounds_from_data(
    data: Any, *, require_gate: bool, gate_search_m: float, gate_tolerance_m: float
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, dict[str, Any]]:
    from coverage15.osm_features import assemble_relation, osm_id, way_polygon

    ids: list[str] = []
    names: list[str] = []
    name_src: list[str] = []
    polys: list[Any] = []
    missing_members: list[str] = []
    stats: dict[str, Any] = {
        "residential_ways": 0,
        "residential_relations": 0,
        "not_closed_or_incomplete": [],
        "relations_without_ring": [],
    }

    def add(oid: str, tags: dict[str, str], poly: Any, missing: str = "") -> None:
        ids.append(oid)
        nm = tags.get("name") or tags.get("name:zh")
        names.append(nm if nm else oid)
        name_src.append("name" if nm else "osm id")
        polys.append(poly)
        missing_members.append(missing)

    for wid, (refs, xy, tags) in data.ways.items():
        if tags.get("landuse") != "residential":
            continue
        stats["residential_ways"] += 1
        poly = way_polygon(xy, refs)
        if poly is None:
            stats["not_closed_or_incomplete"].append(osm_id("w", wid))
            continue
        add(osm_id("w", wid), tags, poly)
    for rid, (tags, _) in data.relations.items():
        if tags.get("landuse") != "residential":
            continue
        stats["residential_relations"] += 1
        asm = assemble_relation(rid, data)
        if asm.geometry is None:
            stats["relations_without_ring"].append(
                f"{osm_id('r', rid)} (missing member ways: "
                f"{', '.join(str(m) for m in asm.missing_members) or 'none'})"
            )
            continue
        add(
            osm_id("r", rid),
            tags,
            asm.geometry,
            ", ".join(osm_id("w", m) for m in asm.missing_members),
        )
    n_c = len(polys)
    gates_rows: list[dict[str, Any]] = []
    gate_pts: list[Any] = []
    geoms = np.asarray(polys, dtype=object)
    if n_c:
        from coverage15.crs import metric_crs

        lonlat = shapely.bounds(shapely.union_all(geoms)).tolist()
        target = metric_crs(tuple(lonlat))
        fwd = pyproj.Transformer.from_crs(4326, target, always_xy=True)
        back = pyproj.Transformer.from_crs(target, 4326, always_xy=True)

        def proj(g: Any) -> Any:
            return shapely.transform(g, lambda c: np.column_stack(fwd.transform(c[:, 0], c[:, 1])))

        mpolys = np.asarray(proj(geoms), dtype=object)
        bounds = shapely.boundary(mpolys)
        btree = shapely.STRtree(bounds)
        gate_nodes = {nid: t for nid, (_, _, t) in data.nodes.items() if _is_gate_tags(t)}
        used_nodes: set[int] = set()
        from coverage15.osm_features import way_runs

        # 1. highway ways that pass the boundary: a gate node on them near the crossing, or
        #    their access tags
        # every run of a highway way, projected in one go; only those near a boundary are
        # looked at one by one
        run_way: list[int] = []
        run_xy: list[np.ndarray] = []
        for wid, (_, xy, tags) in data.ways.items():
            if "highway" in tags:
                for r in way_runs(xy):
                    run_way.append(wid)
                    run_xy.append(r)
        runs = np.empty(0, dtype=object)
        if run_xy:
            allxy = np.concatenate(run_xy)
            px, py = fwd.transform(allxy[:, 0], allxy[:, 1])
            owner = np.repeat(np.arange(len(run_xy)), [len(r) for r in run_xy])
            runs = shapely.linestrings(np.column_stack([px, py]), indices=owner)
        near: Any = np.unique(btree.query(runs, predicate="intersects")[0]) if len(runs) else []
        by_way: dict[int, list[Any]] = {}
        for i in np.asarray(near, dtype=np.int64).tolist():
            if runs[i].length > 0:
                by_way.setdefault(run_way[i], []).append(runs[i])
        for wid, lines in by_way.items():
            refs, _, tags = data.ways[wid]
            on_way = [
                (n, shapely.Point(fwd.transform(*data.nodes[n][:2])))
                for n in dict.fromkeys(refs)
                if n in gate_nodes
            ]
            access = _access_class(tags)
            for line in lines:
                for c in btree.query(line, predicate="intersects").tolist():
                    rel = shapely.relate(line, mpolys[c])
                    if rel[0] == "F":  # no part inside: a street along or outside the fence
                        continue
                    contact = shapely.intersection(line, bounds[c])
                    pts = [p for p in shapely.get_parts(contact) if p.geom_type == "Point"]
                    for p in pts:
                        best = None
                        for n, q in on_way:
                            d = p.distance(q)
                            if d <= gate_search_m and (best is None or d < best[1]):
                                best = (n, d)
                        row: dict[str, Any] = {
                            "compound": ids[c],
                            "compound_name": names[c],
                            "way": osm_id("w", wid),
                            "access": tags.get("access"),
                            "foot": tags.get("foot"),
                        }
                        if best is not None:
                            t = gate_nodes[best[0]]
                            used_nodes.add(best[0])
                            row.update(
                                kind="gate_node",
                                node=osm_id("n", best[0]),
                                barrier=t.get("barrier"),
                                entrance=t.get("entrance"),
                                offset_m=round(float(best[1]), 2),
                            )
                        elif access is not None:
                            row.update(kind=f"{access}_way", offset_m=0.0)
                        else:
                            continue
                        gates_rows.append(row)
                        gate_pts.append(p)
        # 2. gate nodes on (within gate_tolerance_m of) a boundary not found on a way in
        for nid, t in gate_nodes.items():
            if nid in used_nodes:
                continue
            q = shapely.Point(fwd.transform(*data.nodes[nid][:2]))
            for c in btree.query(q, predicate="dwithin", distance=gate_tolerance_m).tolist():
                gates_rows.append(
                    {
                        "compound": ids[c],
                        "compound_name": names[c],
                        "kind": "boundary_gate",
                        "node": osm_id("n", nid),
                        "barrier": t.get("barrier"),
                        "entrance": t.get("entrance"),
                        "access": t.get("access"),
                        "foot": t.get("foot"),
                        "offset_m": round(float(q.distance(bounds[c])), 2),
                    }
                )
                gate_pts.append(q)
        gate_geoms = (
            shapely.transform(
                np.asarray(gate_pts, dtype=object),
                lambda c: np.column_stack(back.transform(c[:, 0], c[:, 1])),
            )
            if gate_pts
            else []
        )
    else:
        gate_geoms = []
    gates = pd.DataFrame(gates_rows, columns=[*_GATE_COLUMNS[:2], "kind", *_GATE_COLUMNS[4:]])
    gates.insert(3, "how", gates["kind"].map(_GATE_KINDS))
    gates = gpd.GeoDataFrame(gates, geometry=list(gate_geoms), crs="EPSG:4326")
    counts = (
        pd.crosstab(gates["compound"], gates["kind"]) if len(gates) else pd.DataFrame()
    ).reindex(index=ids, columns=list(_GATE_KINDS), fill_value=0)
    gated = (counts[["gate_node", "boundary_gate", "private_way"]].sum(axis=1) > 0).to_numpy()

    def how(row: pd.Series) -> str:
        parts = [
            f"{int(row[k])} {label}"
            for k, label in (
                ("gate_node", "gate node(s) on ways in"),
                ("boundary_gate", "gate node(s) on the boundary"),
                ("private_way", "private way(s) in"),
                ("open_way", "way(s) in open to walkers"),
            )
            if row[k]
        ]
        return "; ".join(parts) if parts else "no gate mapped"

    comp = gpd.GeoDataFrame(
        {
            "osm_id": ids,
            "name": names,
            "name_source": name_src,
            "gated": gated,
            "gates": counts.sum(axis=1).to_numpy(dtype=np.int64),
            "gate_nodes": counts["gate_node"].to_numpy(dtype=np.int64),
            "boundary_gates": counts["boundary_gate"].to_numpy(dtype=np.int64),
            "private_ways": counts["private_way"].to_numpy(dtype=np.int64),
            "open_ways": counts["open_way"].to_numpy(dtype=np.int64),
            "gates_found": [how(r) for _, r in counts.iterrows()],
            "missing_members": missing_members,
        },
        geometry=list(geoms),
        crs="EPSG:4326",
        index=pd.Index(ids, name="compound"),
    )
    stats["compounds"] = n_c
    stats["gated"] = int(gated.sum())
    stats["without_gate_evidence"] = comp.loc[~gated, "osm_id"].tolist()
    if require_gate:
        comp = comp[gated]
        gates = gates[gates["compound"].isin(comp.index)]
    return comp, gates.reset_index(drop=True), stats


def compounds_from_osm(
    path: str | os.PathLike[str],
    *,
    require_gate: bool = False,
    gate_search_m: float = 30.0,
    gate_tolerance_m: float = 5.0,
    cache_dir: str | os.PathLike[str] | None = None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Residential compounds (小区) and their gates from an OSM file (offline, pyosmium).

    Compounds are ``landuse=residential`` closed ways **and** multipolygon
    relations (rings assembled from the member ways; a member missing from a
    clipped extract is listed in ``missing_members``). Unnamed compounds are
    named by their OSM id (``"way/609225889"``). Gates are found where OSM maps
    them, for every highway way that passes the compound's boundary (part of it
    inside):

    * ``gate_node``: a node tagged ``barrier`` in :data:`GATE_BARRIERS` or
      ``entrance=*`` on that way within ``gate_search_m`` of where it crosses the
      boundary (fences are often drawn a little off the landuse outline). The
      gate is placed at the crossing, so :func:`gated_compounds` keeps exactly
      that way in; ``offset_m`` says how far the node is from it.
    * ``private_way``: the way has ``access``/``foot`` = ``private`` (or ``no``,
      ``residents`` …, :data:`PRIVATE_ACCESS`): a residents' entrance.
    * ``open_way``: the way has ``foot``/``access`` = ``yes`` (``designated``,
      ``permissive``, ``public``): open to walkers.
    * ``boundary_gate``: a gate node within ``gate_tolerance_m`` of the boundary
      not on any way in (kept where it is).

    A compound counts as ``gated`` when it has a gate node or a private way in.

    Parameters
    ----------
    path
        ``.osm``, ``.osm.bz2``, ``.osm.gz`` or ``.osm.pbf``.
    require_gate
        Return only compounds with a gate node or a private way in. Default
        False: every compound, with ``gated`` saying whether OSM maps a gate;
        :func:`gated_compounds` gives a compound (or a part of one) left without a
        way out its main access back, flagged "gate not mapped".
    gate_search_m
        How far along a way in a gate node may be from the boundary crossing.
    gate_tolerance_m
        How far from a boundary a gate node not on a way in may be.
    cache_dir
        Folder of the network cache: the result is stored there keyed by the
        file's content (SHA-256) and these options, and a rerun loads it instead
        of reading the OSM file again (``compounds.attrs["from_cache"]``).

    Returns
    -------
    (geopandas.GeoDataFrame, geopandas.GeoDataFrame)
        Compounds (index ``osm_id``; ``name``, ``name_source`` (``"name"`` or
        ``"osm id"``), ``gated``, ``gates``, counts per kind, ``gates_found``:
        how its gates were found, ``missing_members``, polygon) and gates
        (``compound``, ``compound_name``, ``kind``, ``how``, ``node``, ``way``,
        ``barrier``, ``entrance``, ``access``, ``foot``, ``offset_m``, point), both
        in WGS84. ``compounds.attrs["osm_compounds"]`` counts what was read and
        lists the polygons that could not be built or had no gate.

    Raises
    ------
    InputError
        Missing or unreadable file.

    Examples
    --------
    >>> from coverage15.datasets import sample_path
    >>> compounds, gates = compounds_from_osm(sample_path("walk_network.osm"))
    >>> len(compounds), len(gates), gates["kind"].unique().tolist()
    (20, 31, ['gate_node'])
    """
    from coverage15.osm_features import read_osm

    options = {
        "what": "compounds",
        "format": _COMPOUNDS_CACHE_FORMAT,
        "require_gate": require_gate,
        "gate_search_m": float(gate_search_m),
        "gate_tolerance_m": float(gate_tolerance_m),
    }
    cache_path = None
    if cache_dir is not None and os.path.isfile(path):
        from coverage15.network import cache_key  # (imports osmnx: only with a cache)

        cache_path = Path(cache_dir) / f"compounds-{cache_key(path, options)}.pkl"
        if cache_path.is_file():
            try:
                with open(cache_path, "rb") as fh:
                    comp, gates = pickle.load(fh)
                comp.attrs = {**comp.attrs, "from_cache": str(cache_path)}
                return comp, gates
            except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError):
                cache_path.unlink(missing_ok=True)  # unreadable cache: read the file again
    data = read_osm(
        path,
        node_keys=("barrier", "entrance"),
        way_keys=("landuse", "highway"),
        relation_filter=lambda t: (
            t.get("landuse") == "residential" and t.get("type") in ("multipolygon", "boundary")
        ),
    )
    comp, gates, stats = _compounds_from_data(
        data,
        require_gate=require_gate,
        gate_search_m=float(gate_search_m),
        gate_tolerance_m=float(gate_tolerance_m),
    )
    comp.attrs["osm_compounds"] = stats
    if cache_path is not None:
        from coverage15._files import atomic_pickle

        atomic_pickle((comp, gates), cache_path)
    return comp, gates
