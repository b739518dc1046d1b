"""Slope-aware walking: node elevations from a DEM, directed grades and Tobler's hiking function.

Hilly towns (Chongqing, Leshan, Panzhihua) walk slower uphill. Given a DEM
GeoTIFF (``pip install coverage15[terrain]`` for rasterio):

1. :func:`add_elevations` samples the DEM at every node (node coordinates are
   reprojected to the raster's CRS with pyproj; **bilinear** interpolation
   between the four surrounding cell centres by default, ``method="nearest"``
   for the cell under the node). Nodes outside the raster or on nodata get
   ``elevation = NaN`` and are counted and warned about
   (:class:`ElevationWarning`), never set to zero.
2. :func:`add_edge_grades` writes the **directed** grade of every edge,
   ``grade = (z_v − z_u) / length`` for ``u → v`` (the reverse edge gets the
   opposite sign), like :func:`osmnx.elevation.add_edge_grades`.
3. :func:`add_walk_cost` writes per directed edge a *flat-equivalent length*

   ``slope_length = length · v(0) / v(grade)``, with Tobler's hiking function
   ``v(s) = 6 · exp(−3.5 · |s + 0.05|)`` km/h (:func:`tobler_speed_kmh`).

   On flat ground it equals ``length``; +10 % costs 1.42×, −10 % 1.00×, −5 %
   (the fastest walk, 6 km/h) 0.84×.

Route with ``WalkNetwork.from_graph(G, weight="slope_length")``: distances are
flat-equivalent metres, so a time at the profile's speed (``dist / speed``) is
the Tobler-adjusted walking time, and the profile's distance thresholds mean
"as long a walk as that many metres on the flat". :func:`add_terrain` runs the
three steps at once.

Examples
--------
>>> round(float(tobler_speed_kmh(0.0)), 4), round(float(tobler_factor(0.1)), 4)
(5.0367, 1.4191)
"""

from __future__ import annotations

import math
import os
import warnings
from typing import Any

import networkx as nx
import numpy as np
import pyproj
import shapely

from coverage15._errors import InputError, NetworkError

__all__ = [
    "FLAT_SPEED_KMH",
    "ElevationWarning",
    "add_edge_grades",
    "add_elevations",
    "add_terrain",
    "add_walk_cost",
    "sample_dem",
    "tobler_factor",
    "tobler_speed_kmh",
]

#: Tobler's walking speed on flat ground, 6·exp(−0.175) ≈ 5.04 km/h.
FLAT_SPEED_KMH = 6.0 * math.exp(-3.5 * 0.05)

#: Status codes of :func:`sample_dem`.
OK, OUTSIDE, NODATA, NEAREST_FALLBACK = 0, 1, 2, 3

_METHODS = ("bilinear", "nearest")


class ElevationWarning(UserWarning):
    """Some nodes got no elevation (outside the DEM or on nodata cells).

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", ElevationWarning)  # when a partial DEM is expected
    ...     warnings.warn("3 of 10 nodes have no elevation", ElevationWarning)
    """


# --------------------------------------------------------------------------- Tobler


def tobler_speed_kmh(grade: Any) -> Any:
    """Tobler's hiking function: walking speed in km/h on a slope.

    ``v(s) = 6 · exp(−3.5 · |s + 0.05|)`` with ``s`` the grade (rise / run,
    positive uphill in the direction of travel). Fastest, 6 km/h, at
    ``s = −0.05``; ``v(0) ≈ 5.04`` km/h (:data:`FLAT_SPEED_KMH`).

    Parameters
    ----------
    grade
        A number or an array of grades (0.1 = 10 % uphill).

    Returns
    -------
    float or numpy.ndarray
        Speed(s) in km/h, same shape as ``grade``.

    Examples
    --------
    >>> tobler_speed_kmh(np.array([-0.1, -0.05, 0.0, 0.1])).round(4).tolist()
    [5.0367, 6.0, 5.0367, 3.5493]
    """
    g = np.asarray(grade, dtype=np.float64)
    v = 6.0 * np.exp(-3.5 * np.abs(g + 0.05))
    return float(v) if v.ndim == 0 else v


def tobler_factor(grade: Any) -> Any:
    """Cost factor of a slope relative to flat ground: ``v(0) / v(grade)``.

    ``= exp(3.5 · (|grade + 0.05| − 0.05))``: 1 on the flat, above 1 uphill
    and on steep descents, below 1 on gentle descents (0.839 at −5 %).

    Parameters
    ----------
    grade
        Slope(s) as rise / run in the walking direction (0.1 = 10 % uphill,
        negative downhill): a number or an array.

    Returns
    -------
    float or numpy.ndarray
        The factor(s) by which a walk on that slope takes longer than on flat
        ground: a float for a scalar ``grade``, else an array of its shape.

    Examples
    --------
    >>> tobler_factor(np.array([0.0, 0.1, -0.1, -0.05, 0.2])).round(4).tolist()
    [1.0, 1.4191, 1.0, 0.8395, 2.0138]
    """
    g = np.asarray(grade, dtype=np.float64)
    f = np.exp(3.5 * (np.abs(g + 0.05) - 0.05))
    return float(f) if f.ndim == 0 else f


# --------------------------------------------------------------------------- sampling


def sample_dem(
    dem_path: str | os.PathLike[str],
    x: Any,
    y: Any,
    *,
    crs: Any,
    band: int = 1,
    method: str = "bilinear",
    dem_crs: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    """DEM values at points, with why a point got none.

    Only the window of the raster around the points is read.

    Parameters
    ----------
    dem_path
        A raster rasterio reads (GeoTIFF); elevations in metres.
    x, y
        Point coordinates in ``crs``.
    crs
        CRS of the points (reprojected to the raster's CRS with pyproj).
    band
        Raster band (1-based).
    method
        ``"bilinear"``: interpolated between the four nearest cell centres
        (within half a cell of the raster's edge the edge cells are extended);
        where one of them is nodata, the value of the cell under the point is
        used instead (status 3). ``"nearest"``: the cell under the point.
    dem_crs
        CRS of a raster that has none (otherwise an error).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Values (float64, NaN where none) and a status per point: 0 sampled,
        1 outside the raster, 2 on a nodata cell, 3 bilinear fell back to the
        cell under the point (value present).

    Raises
    ------
    InputError
        Unknown method or band, a raster without CRS.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import rasterio
    >>> from rasterio.transform import Affine
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "ramp.tif"
    >>> z = np.tile(np.arange(10, dtype="float32"), (10, 1))  # +1 m per 10 m cell to the east
    >>> with rasterio.open(p, "w", driver="GTiff", width=10, height=10, count=1,
    ...                    dtype="float32", crs="EPSG:32648",
    ...                    transform=Affine(10, 0, 0, 0, -10, 100)) as dst:
    ...     dst.write(z, 1)
    >>> values, status = sample_dem(p, [5.0, 50.0, 52.0, 500.0], [50.0] * 4, crs="EPSG:32648")
    >>> values.tolist(), status.tolist()
    ([0.0, 4.5, 4.7, nan], [0, 0, 0, 1])
    >>> sample_dem(p, [52.0], [50.0], crs="EPSG:32648", method="nearest")[0].tolist()
    [5.0]
    """
    if method not in _METHODS:
        raise InputError(f"method must be one of {_METHODS}, got {method!r}", source="dem")
    try:
        import rasterio
        from rasterio.windows import Window
    except ImportError as exc:  # pragma: no cover - rasterio is the terrain extra
        raise ImportError(
            "reading a DEM needs rasterio: pip install 'coverage15[terrain]'"
        ) from exc
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    n = len(x)
    values = np.full(n, np.nan)
    status = np.full(n, OUTSIDE, dtype=np.int8)
    source = str(dem_path)
    with rasterio.open(dem_path) as src:
        if not 1 <= band <= src.count:
            raise InputError(f"the DEM has {src.count} band(s), not band {band}", source=source)
        raster_crs = src.crs if src.crs is not None else dem_crs
        if raster_crs is None:
            raise InputError("the DEM has no CRS; pass dem_crs=", source=source)
        if n == 0:
            return values, status
        from_crs = pyproj.CRS.from_user_input(crs)
        to_crs = pyproj.CRS.from_user_input(raster_crs)
        if from_crs != to_crs:
            tr = pyproj.Transformer.from_crs(from_crs, to_crs, always_xy=True)
            px, py = tr.transform(x, y)
            px, py = np.asarray(px, dtype=np.float64), np.asarray(py, dtype=np.float64)
        else:
            px, py = x, y
        # continuous pixel coordinates: (col, row) of the cell's corner; centres at +0.5
        t = src.transform
        det = t.a * t.e - t.b * t.d
        dx, dy = px - t.c, py - t.f
        col = (t.e * dx - t.b * dy) / det
        row = (-t.d * dx + t.a * dy) / det
        h, w = src.height, src.width
        with np.errstate(invalid="ignore"):
            inside = np.isfinite(col) & np.isfinite(row)
            inside &= (col >= 0) & (col < w) & (row >= 0) & (row < h)
        idx = np.flatnonzero(inside)
        if len(idx) == 0:
            return values, status
        col, row = col[idx], row[idx]
        # the window holding every cell a point may need (cells under and around it)
        r0 = max(int(np.floor(row.min() - 0.5)), 0)
        r1 = min(int(np.floor(row.max() - 0.5)) + 1, h - 1)
        c0 = max(int(np.floor(col.min() - 0.5)), 0)
        c1 = min(int(np.floor(col.max() - 0.5)) + 1, w - 1)
        r0, c0 = min(r0, int(row.min())), min(c0, int(col.min()))
        r1, c1 = max(r1, int(row.max())), max(c1, int(col.max()))
        win = Window(c0, r0, c1 - c0 + 1, r1 - r0 + 1)
        data = src.read(band, window=win, masked=True)
    z = np.ma.getdata(data).astype(np.float64)
    bad = np.ma.getmaskarray(data) | ~np.isfinite(z)
    # the cell under each point
    ri = np.minimum(row.astype(np.int64), h - 1) - r0
    ci = np.minimum(col.astype(np.int64), w - 1) - c0
    near = z[ri, ci]
    near_bad = bad[ri, ci]
    if method == "nearest":
        out = np.where(near_bad, np.nan, near)
        st = np.where(near_bad, NODATA, OK)
    else:
        fr, fc = row - 0.5, col - 0.5
        i0, j0 = np.floor(fr).astype(np.int64), np.floor(fc).astype(np.int64)
        ti, tj = fr - i0, fc - j0
        ia = np.clip(i0, 0, h - 1) - r0
        ib = np.clip(i0 + 1, 0, h - 1) - r0
        ja = np.clip(j0, 0, w - 1) - c0
        jb = np.clip(j0 + 1, 0, w - 1) - c0
        wts = ((1 - ti) * (1 - tj), (1 - ti) * tj, ti * (1 - tj), ti * tj)
        cells = ((ia, ja), (ia, jb), (ib, ja), (ib, jb))
        acc = np.zeros(len(idx))
        any_bad = np.zeros(len(idx), dtype=bool)
        for wt, (ii, jj) in zip(wts, cells, strict=True):
            b = bad[ii, jj] & (wt > 0)  # a neighbour of weight 0 does not matter
            any_bad |= b
            acc += np.where(b, 0.0, wt * np.where(bad[ii, jj], 0.0, z[ii, jj]))
        out = np.where(any_bad, np.where(near_bad, np.nan, near), acc)
        st = np.where(any_bad, np.where(near_bad, NODATA, NEAREST_FALLBACK), OK)
    values[idx] = out
    status[idx] = st
    return values, status


# --------------------------------------------------------------------------- graph steps


def _record(G: nx.MultiDiGraph) -> dict[str, Any]:
    rec = G.graph.get("coverage15")
    if not isinstance(rec, dict):
        rec = {}
        G.graph["coverage15"] = rec
    return rec


def _edge_geometries(G: nx.MultiDiGraph, edges: list[tuple[Any, Any, dict]]) -> np.ndarray:
    geoms = np.empty(len(edges), dtype=object)
    for i, (u, v, d) in enumerate(edges):
        g = d.get("geometry")
        if g is None:
            nu, nv = G.nodes[u], G.nodes[v]
            g = shapely.LineString([(nu["x"], nu["y"]), (nv["x"], nv["y"])])
        geoms[i] = g
    return geoms


def add_elevations(
    G: nx.MultiDiGraph,
    dem_path: str | os.PathLike[str],
    *,
    band: int = 1,
    method: str = "bilinear",
    dem_crs: Any = None,
    vertices: bool = False,
) -> dict[str, Any]:
    """Give every node an ``elevation`` (m) sampled from a DEM, in place.

    Node coordinates are reprojected from ``G.graph["crs"]`` to the DEM's CRS
    with pyproj. Bilinear by default (see :func:`sample_dem`).

    Parameters
    ----------
    G
        A projected walking network (nodes with ``x``/``y``).
    dem_path
        DEM raster (GeoTIFF), elevations in metres.
    band
        Raster band (1-based).
    method
        ``"bilinear"`` (default) or ``"nearest"``.
    dem_crs
        CRS of a DEM that has none.
    vertices
        Also sample every vertex of every edge geometry into an edge attribute
        ``elevations`` (an array, one value per vertex, in the edge's
        direction), so :func:`add_walk_cost` costs long edges segment by
        segment (a street over a hill between two junctions at the same
        height is not flat).

    Returns
    -------
    dict
        ``nodes``, ``nodes_with_elevation``, ``nodes_outside`` (outside the
        raster), ``nodes_nodata`` (on nodata cells), ``nodes_without_elevation``
        (the two together), ``nodes_nearest_fallback`` (bilinear fell back to
        the cell under the node), ``missing_nodes`` (their ids, at most 1000),
        ``dem``, ``band``, ``method``, ``dem_crs``; with ``vertices``:
        ``vertices`` and ``vertices_without_elevation``. Also stored in
        ``G.graph["coverage15"]["elevation"]``.

    Warns
    -----
    ElevationWarning
        When some nodes got no elevation (their ``elevation`` is NaN, and the
        edges at them are costed as flat by :func:`add_walk_cost`).

    Examples
    --------
    >>> import pathlib, tempfile, warnings
    >>> import rasterio
    >>> from rasterio.transform import Affine
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "ramp.tif"
    >>> z = np.tile(np.arange(30, dtype="float32"), (30, 1))  # z = 0.1·x at cell centres − 0.5
    >>> with rasterio.open(p, "w", driver="GTiff", width=30, height=30, count=1,
    ...                    dtype="float32", crs="EPSG:32648",
    ...                    transform=Affine(10, 0, 0, 0, -10, 300)) as dst:
    ...     dst.write(z, 1)
    >>> G = nx.MultiDiGraph(crs="EPSG:32648")
    >>> G.add_nodes_from([(1, {"x": 50.0, "y": 150.0}), (2, {"x": 150.0, "y": 150.0}),
    ...                   (3, {"x": 5000.0, "y": 150.0})])
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     rep = add_elevations(G, p)
    >>> G.nodes[1]["elevation"], G.nodes[2]["elevation"], rep["nodes_outside"]
    (4.5, 14.5, 1)
    >>> str(caught[0].message)
    '1 of 3 nodes have no elevation (1 outside the DEM, 0 on nodata cells): ...'
    """
    crs = G.graph.get("crs")
    if crs is None:
        raise NetworkError("the graph has no 'crs' attribute (set G.graph['crs'])")
    nodes = list(G.nodes)
    data = G.nodes
    x = np.fromiter((data[n]["x"] for n in nodes), dtype=np.float64, count=len(nodes))
    y = np.fromiter((data[n]["y"] for n in nodes), dtype=np.float64, count=len(nodes))
    z, st = sample_dem(dem_path, x, y, crs=crs, band=band, method=method, dem_crs=dem_crs)
    for n, zn in zip(nodes, z.tolist(), strict=True):
        data[n]["elevation"] = zn
    missing = np.flatnonzero(np.isnan(z))
    report: dict[str, Any] = {
        "dem": str(dem_path),
        "band": int(band),
        "method": method,
        "dem_crs": None if dem_crs is None else str(dem_crs),
        "nodes": len(nodes),
        "nodes_with_elevation": int(len(nodes) - len(missing)),
        "nodes_outside": int(np.count_nonzero(st == OUTSIDE)),
        "nodes_nodata": int(np.count_nonzero(st == NODATA)),
        "nodes_without_elevation": len(missing),
        "nodes_nearest_fallback": int(np.count_nonzero(st == NEAREST_FALLBACK)),
        "missing_nodes": [nodes[i] for i in missing[:1000]],
    }
    if vertices:
        edges = list(G.edges(data=True))
        geoms = _edge_geometries(G, edges)
        coords, owner = shapely.get_coordinates(geoms, return_index=True)
        zv, _ = sample_dem(
            dem_path,
            coords[:, 0],
            coords[:, 1],
            crs=crs,
            band=band,
            method=method,
            dem_crs=dem_crs,
        )
        parts = np.split(zv, np.searchsorted(owner, np.arange(1, len(edges))))
        for (_, _, d), part in zip(edges, parts, strict=True):
            d["elevations"] = part
        report["vertices"] = len(zv)
        report["vertices_without_elevation"] = int(np.isnan(zv).sum())
    _record(G)["elevation"] = report
    if len(missing):
        warnings.warn(
            f"{len(missing)} of {len(nodes)} nodes have no elevation "
            f"({report['nodes_outside']} outside the DEM, {report['nodes_nodata']} on nodata "
            f"cells): their elevation is NaN and walks on their edges are costed as flat; "
            f"e.g. node {nodes[missing[0]]!r}",
            ElevationWarning,
            stacklevel=2,
        )
    return report


def _edge_arrays(G: nx.MultiDiGraph) -> tuple[list[dict], np.ndarray, np.ndarray, np.ndarray]:
    """Edge data dicts, lengths and the elevations of their ``u`` and ``v`` ends."""
    datas: list[dict] = []
    zu: list[float] = []
    zv: list[float] = []
    nodes = G.nodes
    for u, v, d in G.edges(data=True):
        datas.append(d)
        zu.append(nodes[u].get("elevation", np.nan))
        zv.append(nodes[v].get("elevation", np.nan))
    length = np.fromiter((d.get("length", np.nan) for d in datas), np.float64, len(datas))
    if np.isnan(length).any():
        raise NetworkError("every edge needs a 'length' (metres)")
    za = np.asarray(zu, dtype=np.float64) if zu else np.empty(0)
    zb = np.asarray(zv, dtype=np.float64) if zv else np.empty(0)
    return datas, length, za, zb


def _grades(length: np.ndarray, zu: np.ndarray, zv: np.ndarray) -> np.ndarray:
    """Directed grade u → v; 0 for zero-length edges, NaN where an end lacks elevation."""
    with np.errstate(invalid="ignore", divide="ignore"):
        g = (zv - zu) / length
    return np.where(length > 0, g, np.where(np.isnan(zu) | np.isnan(zv), np.nan, 0.0))


def add_edge_grades(G: nx.MultiDiGraph, *, add_absolute: bool = True) -> dict[str, Any]:
    """Write the directed ``grade`` (rise / run from ``u`` to ``v``) of every edge, in place.

    ``grade = (elevation[v] − elevation[u]) / length``: an edge and its
    reverse get opposite signs, as Tobler's function needs. The same
    attributes as :func:`osmnx.elevation.add_edge_grades` (``grade``,
    ``grade_abs``), but NaN (not an error) where a node lacks an elevation,
    and 0 on zero-length edges.

    Parameters
    ----------
    G
        A graph whose nodes have ``elevation`` (:func:`add_elevations`) and
        whose edges have ``length``.
    add_absolute
        Also write ``grade_abs``.

    Returns
    -------
    dict
        ``edges``, ``edges_without_grade``, ``max_abs_grade`` (also stored in
        ``G.graph["coverage15"]["grades"]``).

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_nodes_from([(1, {"elevation": 10.0}), (2, {"elevation": 15.0})])
    >>> _ = G.add_edge(1, 2, length=50.0); _ = G.add_edge(2, 1, length=50.0)
    >>> add_edge_grades(G)["max_abs_grade"]
    0.1
    >>> G.edges[1, 2, 0]["grade"], G.edges[2, 1, 0]["grade"]
    (0.1, -0.1)
    """
    datas, length, zu, zv = _edge_arrays(G)
    g = _grades(length, zu, zv)
    for d, gi in zip(datas, g.tolist(), strict=True):
        d["grade"] = gi
        if add_absolute:
            d["grade_abs"] = abs(gi)
    finite = g[np.isfinite(g)]
    report = {
        "edges": len(datas),
        "edges_without_grade": int(np.isnan(g).sum()),
        "max_abs_grade": float(np.abs(finite).max()) if len(finite) else float("nan"),
    }
    _record(G)["grades"] = report
    return report


def _segment_costs(
    G: nx.MultiDiGraph,
    datas: list[dict],
    rows: np.ndarray,
    uv: list[tuple[Any, Any]],
    max_grade: float | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Cost factors of edges ``rows`` from their per-vertex ``elevations`` (NaN if unusable)."""
    factor = np.full(len(rows), np.nan)
    for j, i in enumerate(rows.tolist()):
        d = datas[i]
        z = np.asarray(d["elevations"], dtype=np.float64)
        g = d.get("geometry")
        if g is None:
            u, v = uv[i]
            nu, nv = G.nodes[u], G.nodes[v]
            xy = np.array([(nu["x"], nu["y"]), (nv["x"], nv["y"])])
        else:
            xy = shapely.get_coordinates(g)
        if len(z) != len(xy) or len(z) < 2 or np.isnan(z).any():
            continue
        run = np.hypot(*np.diff(xy, axis=0).T)
        total = run.sum()
        if not total > 0:
            factor[j] = 1.0
            continue
        with np.errstate(invalid="ignore", divide="ignore"):
            s = np.where(run > 0, np.diff(z) / run, 0.0)
        if max_grade is not None:
            s = np.clip(s, -max_grade, max_grade)
        factor[j] = float((run * tobler_factor(s)).sum() / total)
    return factor, rows


def add_walk_cost(
    G: nx.MultiDiGraph,
    *,
    speed_m_per_min: float | None = None,
    attr: str = "slope_length",
    max_grade: float | None = None,
    time_attr: str = "walk_time_min",
) -> dict[str, Any]:
    """Write the Tobler flat-equivalent length of every directed edge, in place.

    ``attr = length · v(0) / v(grade) = length · exp(3.5·(|grade + 0.05| − 0.05))``
    (:func:`tobler_factor`): equal to ``length`` on flat ground, so routing on
    ``attr`` gives flat-equivalent metres, and ``metres / speed`` is the
    Tobler-adjusted walking time at a profile's flat speed. Uses the edge's
    ``grade`` (:func:`add_edge_grades`; computed from the node elevations
    when missing); with per-vertex ``elevations`` (``add_elevations(...,
    vertices=True)``) each segment of the geometry is costed by its own grade.
    Edges without a grade (a node outside the DEM) cost their length.

    Parameters
    ----------
    G
        A walking network after :func:`add_elevations`.
    speed_m_per_min
        A flat walking speed (the profile's, e.g. 60 or 50 for the slow
        group): also write ``time_attr`` = ``attr / speed`` in minutes.
    attr
        Edge attribute for the flat-equivalent length (metres).
    max_grade
        Clip grades to ±``max_grade`` first (DEM noise on short edges, or
        steps); ``None``: no clipping.
    time_attr
        Edge attribute for the walking time when ``speed_m_per_min`` is given.

    Returns
    -------
    dict
        ``attr``, ``edges``, ``edges_flat_fallback`` (no grade: costed as
        flat), ``edges_by_segments``, ``mean_factor`` (total cost / total
        length), ``max_factor``, ``speed_m_per_min``; also stored in
        ``G.graph["coverage15"]["walk_cost"]``.

    Raises
    ------
    InputError
        No node has an elevation (run :func:`add_elevations` first), or a
        non-positive speed.

    Examples
    --------
    A street climbing 20 m over 200 m (10 %), walked both ways at 60 m/min:

    >>> G = nx.MultiDiGraph()
    >>> G.add_nodes_from([("A", {"elevation": 10.0}), ("B", {"elevation": 30.0})])
    >>> _ = G.add_edge("A", "B", length=200.0); _ = G.add_edge("B", "A", length=200.0)
    >>> rep = add_walk_cost(G, speed_m_per_min=60.0)
    >>> round(G.edges["A", "B", 0]["slope_length"], 2), G.edges["B", "A", 0]["slope_length"]
    (283.81, 200.0)
    >>> round(G.edges["A", "B", 0]["walk_time_min"], 3)  # 200 m at 60 m/min × 1.419
    4.73
    """
    if speed_m_per_min is not None and not (speed_m_per_min > 0 and math.isfinite(speed_m_per_min)):
        raise InputError(f"speed_m_per_min must be positive, got {speed_m_per_min}")
    if max_grade is not None and not max_grade > 0:
        raise InputError(f"max_grade must be positive, got {max_grade}")
    if G.number_of_edges() and not any(
        np.isfinite(d.get("elevation", np.nan)) for _, d in G.nodes(data=True)
    ):
        raise InputError("no node has an elevation: run add_elevations(G, dem) first")
    uv = [(u, v) for u, v in G.edges()]
    datas, length, zu, zv = _edge_arrays(G)
    grade = np.fromiter(
        (d.get("grade", np.nan) if d.get("grade") is not None else np.nan for d in datas),
        np.float64,
        len(datas),
    )
    computed = _grades(length, zu, zv)
    no_attr = np.fromiter((d.get("grade") is None for d in datas), bool, len(datas))
    grade = np.where(no_attr, computed, grade)
    if max_grade is not None:
        grade = np.clip(grade, -max_grade, max_grade)
    factor = tobler_factor(grade) if len(grade) else np.empty(0)
    factor = np.asarray(factor, dtype=np.float64)
    seg_rows = np.fromiter((d.get("elevations") is not None for d in datas), bool, len(datas))
    by_segments = 0
    if seg_rows.any():
        f_seg, rows = _segment_costs(G, datas, np.flatnonzero(seg_rows), uv, max_grade)
        ok = np.isfinite(f_seg)
        factor[rows[ok]] = f_seg[ok]
        by_segments = int(ok.sum())
    flat = ~np.isfinite(factor)
    factor[flat] = 1.0
    cost = length * factor
    for d, c in zip(datas, cost.tolist(), strict=True):
        d[attr] = c
        if speed_m_per_min is not None:
            d[time_attr] = c / speed_m_per_min
    total = float(length.sum())
    report = {
        "attr": attr,
        "edges": len(datas),
        "edges_flat_fallback": int(flat.sum()),
        "edges_by_segments": by_segments,
        "mean_factor": float(cost.sum() / total) if total > 0 else 1.0,
        "max_factor": float(factor.max()) if len(factor) else 1.0,
        "max_grade": max_grade,
        "speed_m_per_min": speed_m_per_min,
    }
    _record(G)["walk_cost"] = report
    return report


def add_terrain(
    G: nx.MultiDiGraph,
    dem_path: str | os.PathLike[str],
    *,
    band: int = 1,
    method: str = "bilinear",
    dem_crs: Any = None,
    vertices: bool = False,
    max_grade: float | None = None,
    speed_m_per_min: float | None = None,
    attr: str = "slope_length",
) -> dict[str, Any]:
    """Elevations, directed grades and Tobler costs in one call, in place.

    :func:`add_elevations` → :func:`add_edge_grades` → :func:`add_walk_cost`;
    then route with ``WalkNetwork.from_graph(G, weight=attr)``.

    Parameters
    ----------
    G
        A projected walking network (nodes with ``x``/``y``, edges with
        ``length`` in metres); changed in place.
    dem_path
        DEM raster (GeoTIFF), elevations in metres.
    band
        Raster band (1-based; default 1).
    method
        ``"bilinear"`` (default) or ``"nearest"`` sampling.
    dem_crs
        CRS of a DEM that has none.
    vertices
        Also sample every vertex of the edge geometries, so long edges are costed
        segment by segment (see :func:`add_elevations`); default False.
    max_grade
        Clip grades to ±``max_grade`` (rise / run, e.g. 0.3) before costing;
        None (default): no clipping.
    speed_m_per_min
        A flat walking speed in metres per minute: also write each edge's walking
        time in minutes (``walk_time_min``). None (default): no times.
    attr
        Edge attribute for the Tobler flat-equivalent length in metres (default
        ``"slope_length"``).

    Returns
    -------
    dict
        ``{"elevation": ..., "grades": ..., "walk_cost": ...}``, the three reports.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import rasterio
    >>> from rasterio.transform import Affine
    >>> from coverage15.access import WalkNetwork
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "ramp.tif"
    >>> z = np.tile(np.arange(30, dtype="float32"), (30, 1))  # 10 % up to the east
    >>> with rasterio.open(p, "w", driver="GTiff", width=30, height=30, count=1,
    ...                    dtype="float32", crs="EPSG:32648",
    ...                    transform=Affine(10, 0, 0, 0, -10, 300)) as dst:
    ...     dst.write(z, 1)
    >>> G = nx.MultiDiGraph(crs="EPSG:32648")
    >>> G.add_nodes_from([(1, {"x": 50.0, "y": 150.0}), (2, {"x": 150.0, "y": 150.0})])
    >>> _ = G.add_edge(1, 2, length=100.0); _ = G.add_edge(2, 1, length=100.0)
    >>> rep = add_terrain(G, p)
    >>> net = WalkNetwork.from_graph(G, weight="slope_length")
    >>> net.node_distances([1]).round(2).tolist(), net.node_distances([2]).round(2).tolist()
    ([0.0, 141.91], [100.0, 0.0])
    """
    rep_e = add_elevations(
        G, dem_path, band=band, method=method, dem_crs=dem_crs, vertices=vertices
    )
    rep_g = add_edge_grades(G)
    rep_c = add_walk_cost(G, speed_m_per_min=speed_m_per_min, attr=attr, max_grade=max_grade)
    return {"elevation": rep_e, "grades": rep_g, "walk_cost": rep_c}
