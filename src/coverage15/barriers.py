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
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import shapely

from coverage15._errors import InputError, NetworkError

__all__ = [
    "GATE_BARRIERS",
    "PUBLIC_HIGHWAYS",
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
        because they pass at a gate), ``edges_cut`` and ``sealed`` (it has
        paths inside but no way out is left). None (the default) for the other
        functions.

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
                f"{len(s.get('sealed_compounds', []))} sealed"
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
        simplified); an error when there are none. ``[]``: no gates, every
        compound sealed.
    crs
        CRS of ``compounds`` and ``gates`` when they carry none (default: the
        network's).
    gate_tolerance_m
        How far from a gate a crossing may be (gates drawn beside the path).
    exempt_highways
        Highway types never cut (default :data:`PUBLIC_HIGHWAYS`: public roads
        do not run through gated compounds, so a polygon they cross is not a
        fenced compound there). Pass ``()`` to cut them too.
    copy
        Return a modified copy (default); with False, edit ``G`` in place.

    Returns
    -------
    (networkx.MultiDiGraph, CutReport)
        ``report.compounds`` has one row per compound (``compound``, ``name``,
        ``gates``, ``crossings_at_gates``, ``edges_cut``, ``sealed``);
        ``summary`` has ``compounds``, ``gates``, ``crossings_at_gates``,
        ``exempt_crossings`` and ``sealed_compounds``.

    Warns
    -----
    BarrierWarning
        When a compound with paths inside is left without a way out (homes
        there become unreachable): check its gates.

    Raises
    ------
    InputError
        Compounds that are not polygons, gates that are not points, or
        ``gates=None`` on a graph without gate nodes.

    Examples
    --------
    A 100 m square compound with a gate on its south side; a side path through the
    east fence is cut, the path through the gate stays:

    >>> import networkx as nx, shapely
    >>> G = nx.MultiDiGraph(crs="EPSG:32648")
    >>> G.add_nodes_from([("in", {"x": 50.0, "y": 50.0}), ("s", {"x": 50.0, "y": -20.0}),
    ...                   ("e", {"x": 120.0, "y": 50.0})])
    >>> for a, b in [("in", "s"), ("s", "in"), ("in", "e"), ("e", "in")]:
    ...     _ = G.add_edge(a, b, length=70.0)
    >>> H, rep = gated_compounds(G, [shapely.box(0, 0, 100, 100)], [shapely.Point(50, 0)])
    >>> sorted(H.edges()), rep.n_edges
    ([('in', 's'), ('s', 'in')], 2)
    >>> rep.compounds[["gates", "crossings_at_gates", "edges_cut", "sealed"]].values.tolist()
    [[1, 2, 2, False]]
    """
    if not gate_tolerance_m >= 0:
        raise InputError(f"gate_tolerance_m must be non-negative, got {gate_tolerance_m}")
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
                "loses them): pass gates=, e.g. from compounds_from_osm(), or gates=[] to "
                "seal every compound",
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
            first_bad = {}
            for k in np.flatnonzero(~ok_pt).tolist():
                first_bad.setdefault(int(cown[k]), cxy[k])
            for j, jj in enumerate(cross.tolist()):
                e, c = int(e_idx[jj]), int(c_idx[jj])
                if all_ok[j]:
                    kept_at_gate[c] += 1
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
                cut_per[c] += 1
    sealed = has_inside & (kept_at_gate == 0)
    table = pd.DataFrame(
        {
            "compound": labels,
            "name": names,
            "gates": gates_per.astype(np.int64),
            "crossings_at_gates": kept_at_gate,
            "edges_cut": cut_per,
            "sealed": sealed,
        }
    )
    sealed_names = [name_of(c) for c in np.flatnonzero(sealed)]
    summary = {
        "compounds": n_c,
        "gates": len(gate_geoms),
        "gates_on_boundaries": int(gates_per.sum()),
        "crossings_at_gates": int(kept_at_gate.sum()),
        "exempt_crossings": exempt_crossings,
        "sealed_compounds": sealed_names,
    }
    if sealed_names:
        shown = ", ".join(sealed_names[:5]) + (" …" if len(sealed_names) > 5 else "")
        warnings.warn(
            f"{len(sealed_names)} compound(s) have paths inside but no way out through a gate "
            f"({shown}): homes there become unreachable; check the gates",
            BarrierWarning,
            stacklevel=2,
        )
    return _finish(
        G,
        edges,
        egeoms,
        cut,
        kind="gated_compounds",
        copy=copy,
        summary=summary,
        compounds=table,
    )


def compounds_from_osm(
    path: str | os.PathLike[str],
    *,
    require_gate: bool = True,
    gate_tolerance_m: float = 5.0,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Compound polygons and gate points from an OSM XML file (offline, osmnx).

    Compounds are ``landuse=residential`` polygons; gates are nodes tagged
    ``barrier`` in :data:`GATE_BARRIERS` or ``entrance=*``. In real OSM data
    ``landuse=residential`` also covers open neighbourhoods, so by default
    only polygons with a gate on their boundary are taken as gated.

    Parameters
    ----------
    path
        ``.osm`` or ``.osm.bz2`` (read with :func:`osmnx.features_from_xml`).
    require_gate
        Keep only polygons with at least one gate within ``gate_tolerance_m``
        of their boundary.
    gate_tolerance_m
        Distance for ``require_gate``.

    Returns
    -------
    (geopandas.GeoDataFrame, geopandas.GeoDataFrame)
        Compounds (``name``, polygon) and gates (``name``, ``barrier``,
        ``entrance``, point), both in WGS84, indexed by OSM element.

    Examples
    --------
    >>> from coverage15.datasets import sample_path
    >>> compounds, gates = compounds_from_osm(sample_path("walk_network.osm"))
    >>> len(compounds), len(gates)
    (20, 31)
    """
    import osmnx as ox

    tags: dict[str, Any] = {
        "landuse": "residential",
        "barrier": list(GATE_BARRIERS),
        "entrance": True,
    }
    try:
        f = ox.features_from_xml(path, tags=tags)
    except ox._errors.InsufficientResponseError:  # nothing matched
        f = gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
    for col in ("landuse", "barrier", "entrance", "name"):
        if col not in f.columns:
            f[col] = None
    poly = f.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    is_res = (f["landuse"] == "residential").to_numpy()
    comp = f.loc[poly & is_res, ["name", "geometry"]]
    is_gate = (f["barrier"].isin(GATE_BARRIERS) | f["entrance"].notna()).to_numpy()
    gates = f.loc[
        (f.geom_type == "Point").to_numpy() & is_gate, ["name", "barrier", "entrance", "geometry"]
    ]
    comp = gpd.GeoDataFrame(comp, geometry="geometry", crs=f.crs)
    gates = gpd.GeoDataFrame(gates, geometry="geometry", crs=f.crs)
    if require_gate and len(comp):
        if len(gates):
            metric = comp.estimate_utm_crs()
            b = comp.to_crs(metric).boundary
            g = gates.to_crs(metric)
            near = b.apply(lambda line: bool((g.distance(line) <= gate_tolerance_m).any()))
            comp = comp[near.to_numpy()]
        else:
            comp = comp.iloc[:0]
    return comp, gates
