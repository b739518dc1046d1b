"""Slope-aware walking: elevations from a DEM and Tobler's hiking function.

Hilly cities (Chongqing, Leshan) walk slower uphill. With a DEM GeoTIFF:

1. :func:`add_elevations` samples the DEM (bilinear) at every node and along
   every edge geometry (each vertex), reprojecting coordinates to the raster's
   CRS with pyproj. Points outside the raster or on nodata are counted, never
   silently set to zero.
2. :func:`add_walk_cost` writes, per directed edge, a *flat-equivalent length*:
   each segment of the edge's geometry costs ``length × v(0) / v(grade)``
   with Tobler's hiking function ``v(s) = 6·exp(−3.5·|s + 0.05|)`` km/h
   (:func:`tobler_speed_kmh`), ``s`` the segment's rise over run in the
   direction of travel. On flat ground the cost equals the length; going up a
   10 % slope costs 1.42× (v = 3.55 km/h), going down it 1.00× (v(−0.1) = v(0)),
   and the fastest walk (6 km/h, 0.84×) is 5 % downhill.
3. Analyse with ``analyze(..., walk_cost="slope_length")``: distances are
   flat-equivalent metres, so the profile's distance and time thresholds keep
   their meaning — a home counts as within 300 m when the walk takes as long as
   300 m on the flat. Segments without elevation cost their length.

Examples
--------
>>> [round(float(tobler_speed_kmh(s)), 3) for s in (0.0, 0.1, -0.05)]
[5.037, 3.549, 6.0]
"""

from __future__ import annotations

import os
from typing import Any

import networkx as nx
import numpy as np
import pyproj
import shapely

from coverage15._errors import InputError

__all__ = ["add_elevations", "add_walk_cost", "sample_dem", "tobler_speed_kmh"]

FLAT_KMH = 6.0 * np.exp(-3.5 * 0.05)  # Tobler's speed on flat ground, ≈ 5.04 km/h


def tobler_speed_kmh(grade: Any) -> Any:
    """Tobler's hiking function: walking speed (km/h) on a slope ``grade`` (rise / run).

    Fastest (6 km/h) slightly downhill (grade −0.05); symmetric around it.

    Examples
    --------
    >>> tobler_speed_kmh(np.array([-0.1, 0.0, 0.1])).round(3).tolist()
    [5.037, 5.037, 3.549]
    """
    return 6.0 * np.exp(-3.5 * np.abs(np.asarray(grade, dtype=np.float64) + 0.05))


def sample_dem(
    dem_path: str | os.PathLike[str], x: np.ndarray, y: np.ndarray, crs: Any, *, band: int = 1
) -> np.ndarray:
    """Bilinear DEM values at points (NaN outside the raster or where a neighbour is nodata).

    Parameters
    ----------
    dem_path
        A GeoTIFF (or any raster rasterio reads) with a CRS.
    x, y
        Point coordinates in ``crs``.
    crs
        CRS of the points.
    band
        Raster band with the elevations.

    Examples
    --------
    >>> import tempfile, pathlib, rasterio
    >>> from rasterio.transform import Affine
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "plane.tif"
    >>> z = np.tile(np.arange(10, dtype="float32") * 10, (10, 1))  # 10 m per 10 m cell in x
    >>> with rasterio.open(p, "w", driver="GTiff", width=10, height=10, count=1, dtype="float32",
    ...                    crs="EPSG:32648", transform=Affine(10, 0, 0, 0, -10, 100)) as dst:
    ...     dst.write(z, 1)
    >>> sample_dem(p, np.array([5.0, 50.0, 500.0]), np.array([50.0, 50.0, 50.0]), "EPSG:32648")
    array([ 0., 45., nan])
    """
    import rasterio

    with rasterio.open(dem_path) as src:
        if src.crs is None:
            raise InputError("the DEM has no CRS", source=str(dem_path))
        if band < 1 or band > src.count:
            raise InputError(f"the DEM has {src.count} band(s), not {band}", source=str(dem_path))
        data = src.read(band, masked=True).astype(np.float64)
        inv = ~src.transform
        tr = pyproj.Transformer.from_crs(pyproj.CRS.from_user_input(crs), src.crs, always_xy=True)
    values = data.filled(np.nan)
    px, py = tr.transform(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    col, row = inv @ (px, py)
    # cell centres are at +0.5: interpolate between the four centres around the point
    c, r = np.asarray(col) - 0.5, np.asarray(row) - 0.5
    h, w = values.shape
    c0, r0 = np.floor(c).astype(np.int64), np.floor(r).astype(np.int64)
    fc, fr = c - c0, r - r0
    # points within half a cell of the edge use the edge cells (clamped)
    inside = (c >= -0.5) & (c <= w - 0.5) & (r >= -0.5) & (r <= h - 0.5)
    c0c, c1c = np.clip(c0, 0, w - 1), np.clip(c0 + 1, 0, w - 1)
    r0c, r1c = np.clip(r0, 0, h - 1), np.clip(r0 + 1, 0, h - 1)
    z = (
        values[r0c, c0c] * (1 - fc) * (1 - fr)
        + values[r0c, c1c] * fc * (1 - fr)
        + values[r1c, c0c] * (1 - fc) * fr
        + values[r1c, c1c] * fc * fr
    )
    return np.where(inside, z, np.nan)


def add_elevations(
    G: nx.MultiDiGraph, dem_path: str | os.PathLike[str], *, band: int = 1
) -> dict[str, int]:
    """Give nodes an ``elevation`` and edges ``elevations`` (one per geometry vertex), in place.

    Returns the counts ``nodes``, ``nodes_without_elevation``, ``vertices``,
    ``vertices_without_elevation`` (outside the DEM or on nodata); they are also
    stored in ``G.graph["coverage15"]["elevation"]``.

    Examples
    --------
    >>> import tempfile, pathlib, rasterio
    >>> from rasterio.transform import Affine
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "flat.tif"
    >>> with rasterio.open(p, "w", driver="GTiff", width=4, height=4, count=1, dtype="float32",
    ...                    crs="EPSG:32648", transform=Affine(10, 0, 0, 0, -10, 40)) as dst:
    ...     dst.write(np.full((4, 4), 360.0, dtype="float32"), 1)
    >>> G = nx.MultiDiGraph(crs="EPSG:32648")
    >>> G.add_nodes_from([(1, {"x": 5.0, "y": 5.0}), (2, {"x": 500.0, "y": 5.0})])
    >>> _ = G.add_edge(1, 2, length=495.0)
    >>> add_elevations(G, p)
    {'nodes': 2, 'nodes_without_elevation': 1, 'vertices': 2, 'vertices_without_elevation': 1}
    >>> G.nodes[1]["elevation"]
    360.0
    """
    crs = G.graph.get("crs")
    if crs is None:
        raise InputError("the graph has no CRS")
    nodes = list(G.nodes)
    x = np.fromiter((G.nodes[n]["x"] for n in nodes), float, len(nodes))
    y = np.fromiter((G.nodes[n]["y"] for n in nodes), float, len(nodes))
    z = sample_dem(dem_path, x, y, crs, band=band)
    for n, zn in zip(nodes, z.tolist(), strict=True):
        G.nodes[n]["elevation"] = zn
    edges = [(u, v, d) for u, v, d in G.edges(data=True)]
    geoms = [
        d.get("geometry")
        or shapely.LineString(
            [(G.nodes[u]["x"], G.nodes[u]["y"]), (G.nodes[v]["x"], G.nodes[v]["y"])]
        )
        for u, v, d in edges
    ]
    coords, idx = shapely.get_coordinates(np.array(geoms, dtype=object), return_index=True)
    zv = sample_dem(dem_path, coords[:, 0], coords[:, 1], crs, band=band)
    splits = np.searchsorted(idx, np.arange(1, len(edges)))
    for (_, _, d), part in zip(edges, np.split(zv, splits), strict=True):
        d["elevations"] = part
    counts = {
        "nodes": len(nodes),
        "nodes_without_elevation": int(np.isnan(z).sum()),
        "vertices": len(zv),
        "vertices_without_elevation": int(np.isnan(zv).sum()),
    }
    G.graph.setdefault("coverage15", {})["elevation"] = counts
    return counts


def add_walk_cost(G: nx.MultiDiGraph, *, attr: str = "slope_length") -> dict[str, float]:
    """Write the Tobler flat-equivalent length of every directed edge to ``attr``, in place.

    Each geometry segment costs ``segment length × v(0) / v(rise / run)`` in the
    edge's direction; segments lacking an elevation at either end cost their
    length. The segment lengths are scaled so the edge's cost on flat ground is
    exactly its ``length``.

    Returns
    -------
    dict
        ``edges``, ``edges_flat_fallback`` (some segment without elevation) and
        ``mean_factor`` (cost / length over all edges).

    Examples
    --------
    A street climbing 10 m over 100 m (10 %), walked both ways:

    >>> import tempfile, pathlib, rasterio
    >>> from rasterio.transform import Affine
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "ramp.tif"
    >>> z = np.tile(np.arange(30, dtype="float32") * 1.0, (30, 1))  # +1 m per 10 m cell east
    >>> with rasterio.open(p, "w", driver="GTiff", width=30, height=30, count=1, dtype="float32",
    ...                    crs="EPSG:32648", transform=Affine(10, 0, 0, 0, -10, 300)) as dst:
    ...     dst.write(z, 1)
    >>> G = nx.MultiDiGraph(crs="EPSG:32648")
    >>> G.add_nodes_from([(1, {"x": 50.0, "y": 150.0}), (2, {"x": 150.0, "y": 150.0})])
    >>> _ = G.add_edge(1, 2, length=100.0); _ = G.add_edge(2, 1, length=100.0)
    >>> add_elevations(G, p)["nodes_without_elevation"]
    0
    >>> _ = add_walk_cost(G)
    >>> round(G.edges[1, 2, 0]["slope_length"], 1), round(G.edges[2, 1, 0]["slope_length"], 1)
    (141.9, 100.0)
    """
    n = fallback = 0
    total_len = total_cost = 0.0
    for u, v, d in G.edges(data=True):
        length = float(d["length"])
        geom = d.get("geometry") or shapely.LineString(
            [(G.nodes[u]["x"], G.nodes[u]["y"]), (G.nodes[v]["x"], G.nodes[v]["y"])]
        )
        xy = shapely.get_coordinates(geom)
        z = np.asarray(
            d.get("elevations", [G.nodes[u].get("elevation"), G.nodes[v].get("elevation")]),
            dtype=np.float64,
        )
        if len(z) != len(xy):
            z = np.array([G.nodes[u].get("elevation", np.nan), G.nodes[v].get("elevation", np.nan)])
            xy = xy[[0, -1]]
        run = np.hypot(*np.diff(xy, axis=0).T)
        rise = np.diff(z)
        with np.errstate(invalid="ignore", divide="ignore"):
            factor = FLAT_KMH / tobler_speed_kmh(np.where(run > 0, rise / run, 0.0))
        bad = ~np.isfinite(factor)
        if bad.any():
            fallback += 1
            factor[bad] = 1.0
        scale = length / run.sum() if run.sum() > 0 else 0.0  # geometry → recorded length
        cost = float((run * scale * factor).sum()) if run.sum() > 0 else length
        d[attr] = cost
        n += 1
        total_len += length
        total_cost += cost
    out = {
        "edges": n,
        "edges_flat_fallback": fallback,
        "mean_factor": total_cost / total_len if total_len else 1.0,
    }
    G.graph.setdefault("coverage15", {})["walk_cost"] = {"attr": attr, **out}
    return out
