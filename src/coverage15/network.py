"""Walking networks: from OSM files, OpenStreetMap online, or a planner's own road lines.

:func:`build_walk_network` is the one entry point. It returns a projected
(metric) osmnx ``MultiDiGraph`` in which every street can be walked both ways,
every edge has ``length`` (m) and a ``geometry`` LineString, and
``G.graph["coverage15"]`` records where the graph came from and everything that
was dropped or repaired on the way (read it with :func:`network_summary`).

Sources
-------
* a local OSM file, ``.osm``, ``.osm.bz2``, ``.osm.gz`` or ``.osm.pbf``: read
  with pyosmium, filtered to walkable ways by the same rules as osmnx's
  ``network_type="walk"`` (parsed from osmnx itself, so the two never drift
  apart). References to nodes missing from a clipped extract are dropped and
  counted; a way is split where its nodes are missing, never bridged by a
  straight line across the gap. The whole build runs on arrays
  (:mod:`coverage15._osm_arrays`); :func:`walk_network_from_osm` returns the
  prepared routing network without making a networkx graph at all, and
  :func:`to_networkx` makes the osmnx graph from it on request.
* a place name (``"乐山市市中区"``), a shapely polygon in WGS84 or a
  ``(west, south, east, north)`` bbox: downloaded by osmnx (which caches every
  Overpass response in ``osmnx.settings.cache_folder``).
* a line layer (GeoPackage, Shapefile, GeoJSON, or a GeoDataFrame) of the
  planner's own roads: joined where lines share an end point, or an inner
  vertex on the same level (``layer``/``bridge``/``tunnel``/``z`` columns), never
  merely where they cross (crossings without a junction are reported; see
  ``node_intersections``), then simplified like an OSM graph.
* an existing ``networkx.MultiDiGraph`` (e.g. from osmnx): projected and
  completed.

Examples
--------
>>> from coverage15.network import build_walk_network, network_summary
>>> from coverage15.datasets import sample_path
>>> G = build_walk_network(sample_path("walk_network.osm"))
>>> s = network_summary(G)
>>> s["nodes"] > 100, s["crs"]
(True, 'EPSG:32648')
"""

from __future__ import annotations

import ast
import bz2
import gzip
import hashlib
import json
import os
import pickle
import re
import warnings
from collections.abc import Iterable
from importlib.metadata import version as _pkg_version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pandas as pd
import pyproj
import shapely

from coverage15 import _osm_arrays
from coverage15._arrays import gc_paused
from coverage15._errors import FragmentedNetworkWarning, InputError, NetworkError
from coverage15._files import atomic_pickle
from coverage15._osm_arrays import WalkArrays, build_arrays
from coverage15._progress import progress_bar

if TYPE_CHECKING:  # pragma: no cover
    from coverage15.access import WalkNetwork

__all__ = [
    "OSM_SUFFIXES",
    "WalkArrays",
    "build_walk_network",
    "edges_frame",
    "load_network",
    "network_summary",
    "prepare_graph",
    "save_network",
    "to_networkx",
    "walk_arrays_from_osm",
    "walk_filter",
    "walk_network_from_osm",
    "walkable",
]

OSM_SUFFIXES = (".osm", ".osm.bz2", ".osm.gz", ".osm.pbf", ".pbf", ".xml")
LINE_SUFFIXES = (".gpkg", ".shp", ".geojson", ".json", ".fgb", ".zip")
#: networks written by :func:`save_network`, read by :func:`load_network`
SAVED_SUFFIXES = (".graphml", ".pkl")
#: text ending with one of these is a file path (which must exist), never a place name
FILE_SUFFIXES = OSM_SUFFIXES + LINE_SUFFIXES + SAVED_SUFFIXES
#: node tags kept on graph nodes (gates and entrances matter for compounds)
NODE_TAGS = ("highway", "barrier", "entrance", "access", "crossing", "junction", "railway", "ref")
_CACHE_FORMAT = 2


# --------------------------------------------------------------------------- filter


def walk_filter() -> list[tuple[str, bool, re.Pattern[str] | None]]:
    """osmnx's ``walk`` network filter as ``(key, negate, regex)`` rules.

    Parsed from :func:`osmnx._overpass._get_network_filter` so that the offline
    path uses exactly the rules osmnx sends to Overpass. ``regex`` is ``None``
    for a bare ``["key"]`` (the key must exist); ``negate`` is True for ``!~``.

    Returns
    -------
    list of tuple

    Examples
    --------
    >>> rules = walk_filter()
    >>> rules[0]
    ('highway', False, None)
    >>> any(k == "foot" and neg for k, neg, _ in rules)
    True
    """
    text = ox._overpass._get_network_filter("walk")
    rules: list[tuple[str, bool, re.Pattern[str] | None]] = []
    for m in re.finditer(r'\["([^"]+)"(?:(!?~)"([^"]*)")?\]', text):
        key, op, pattern = m.group(1), m.group(2), m.group(3)
        if op is None:
            rules.append((key, False, None))
        else:
            rules.append((key, op == "!~", re.compile(pattern)))
    if not rules or rules[0][0] != "highway":  # pragma: no cover - osmnx changed its format
        raise NetworkError(f"cannot parse osmnx's walk filter: {text!r}")
    return rules


_RULES: list[tuple[str, bool, re.Pattern[str] | None]] | None = None


def walkable(tags: dict[str, str]) -> bool:
    """True when a way with these tags is in osmnx's ``walk`` network.

    Overpass regex matches are unanchored searches, as here.

    Parameters
    ----------
    tags
        The OSM tags of a way, key → value (e.g. ``{"highway": "footway"}``).

    Returns
    -------
    bool
        Whether the way passes every rule of osmnx's ``walk`` filter
        (:func:`walk_filter`): it has a ``highway`` tag and none of the excluded
        values, such as ``highway=motorway``, ``access=private``, ``foot=no`` or
        ``sidewalk=separate``.

    Examples
    --------
    >>> walkable({"highway": "footway"}), walkable({"highway": "motorway"})
    (True, False)
    >>> walkable({"highway": "service", "access": "private"})
    False
    >>> walkable({"building": "yes"})
    False
    """
    global _RULES
    if _RULES is None:
        _RULES = walk_filter()
    return _osm_arrays.check_rules(tags.get, _RULES)


# --------------------------------------------------------------------------- OSM files


def is_osm_file(path: Path) -> bool:
    """Whether ``path`` names an OSM file by its suffix (``.osm``, ``.osm.bz2``, ``.osm.pbf`` ...).

    Parameters
    ----------
    path
        A file path (it need not exist).

    Returns
    -------
    bool

    Examples
    --------
    >>> from pathlib import Path
    >>> is_osm_file(Path("乐山.osm.pbf")), is_osm_file(Path("roads.gpkg"))
    (True, False)
    """
    name = path.name.lower()
    return any(name.endswith(s) for s in OSM_SUFFIXES)


def _check_readable(path: Path) -> None:
    """Fail early, with the file named, on compressed files that are truncated or corrupt."""
    name = path.name.lower()
    opener = bz2.open if name.endswith(".bz2") else gzip.open if name.endswith(".gz") else None
    if opener is None:
        return
    try:
        with opener(path, "rb") as fh:
            while fh.read(1 << 20):
                pass
    except (OSError, EOFError, ValueError) as exc:
        raise NetworkError(f"{path}: cannot decompress the OSM file ({exc})") from exc


def walk_arrays_from_osm(
    path: str | os.PathLike[str],
    *,
    crs: Any = None,
    simplify: bool = True,
    retain_all: bool = True,
    progress: bool = False,
) -> WalkArrays:
    """Read an OSM file into a walk network held as arrays (no networkx on the way).

    The ways are filtered by osmnx's ``walk`` rules (:func:`walkable`), split
    where a referenced node is missing from the file, measured on the sphere as
    osmnx measures them, simplified by osmnx's rule with isolated rings kept,
    and projected; see :mod:`coverage15._osm_arrays` for each step.

    Parameters
    ----------
    path
        ``.osm``, ``.osm.bz2``, ``.osm.gz`` or ``.osm.pbf``.
    crs
        Metric CRS of the result; default the local UTM zone.
    simplify
        Merge chains of interstitial nodes into single edges (default).
    retain_all
        Keep every piece (default); False keeps only the largest weakly
        connected piece and counts the nodes dropped.
    progress
        Show a progress bar while reading.

    Returns
    -------
    WalkArrays
        With :meth:`~coverage15._osm_arrays.WalkArrays.walk_network` (the
        prepared engine network), :meth:`~coverage15._osm_arrays.WalkArrays.to_networkx`
        (osmnx's graph) and ``record`` (the build record).

    Raises
    ------
    NetworkError
        Missing, corrupt or unreadable file; no walkable ways; a CRS that is not metric.

    Examples
    --------
    >>> from coverage15.datasets import sample_path
    >>> arr = walk_arrays_from_osm(sample_path("walk_network.osm"))
    >>> arr.record["missing_node_refs"], arr.crs
    (0, 'EPSG:32648')
    """
    path = Path(path)
    if not path.is_file():
        raise NetworkError(f"{path}: network source file not found")
    _check_readable(path)
    global _RULES
    if _RULES is None:
        _RULES = walk_filter()
    return build_arrays(
        path,
        rules=_RULES,
        keep_tags=set(ox.settings.useful_tags_way),
        node_tags=NODE_TAGS,
        crs=crs,
        simplify=simplify,
        retain_all=retain_all,
        progress=progress,
    )


def walk_network_from_osm(
    path: str | os.PathLike[str],
    *,
    crs: Any = None,
    simplify: bool = True,
    retain_all: bool = True,
    cache_dir: str | os.PathLike[str] | None = None,
    progress: bool = False,
) -> WalkNetwork:
    """A prepared routing network straight from an OSM file, without networkx.

    The fast path of :func:`build_walk_network` for OSM files: the same nodes,
    edges and lengths, prepared for the engine. The network keeps its build
    record in ``record`` and its arrays in ``walk_arrays`` (so
    :func:`to_networkx` gives the full osmnx graph back).

    Parameters
    ----------
    path
        ``.osm``, ``.osm.bz2``, ``.osm.gz`` or ``.osm.pbf``.
    crs
        Metric CRS of the result; default the local UTM zone.
    simplify
        Merge chains of interstitial nodes into single edges (default).
    retain_all
        Keep every piece (default); False keeps the largest weakly connected one.
    cache_dir
        Folder for a cache of the arrays, keyed by the file's content and these
        options (``arrays-<key>.pkl``); a rerun loads it instead of reading the
        file, and the build record then says ``from_cache``.
    progress
        Show a progress bar while reading.

    Returns
    -------
    coverage15.access.WalkNetwork

    Raises
    ------
    NetworkError
        As :func:`walk_arrays_from_osm`.

    Examples
    --------
    >>> from coverage15.datasets import sample_path
    >>> net = walk_network_from_osm(sample_path("walk_network.osm"))
    >>> net.crs, net.record["kind"]
    ('EPSG:32648', 'osm')
    """
    arr = None
    cache_path = None
    if cache_dir is not None:
        path = Path(path)
        if not path.is_file():
            raise NetworkError(f"{path}: network source file not found")
        options = {"crs": crs, "simplify": simplify, "retain_all": retain_all, "form": "arrays"}
        cache_path = Path(cache_dir) / f"arrays-{cache_key(path, options)}.pkl"
        if cache_path.is_file():
            try:
                with open(cache_path, "rb") as fh, gc_paused():
                    arr = pickle.load(fh)
                if not isinstance(arr, WalkArrays):
                    raise TypeError(type(arr).__name__)
                arr.record = {**arr.record, "from_cache": str(cache_path)}
            except (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError):
                arr = None
                cache_path.unlink(missing_ok=True)  # unreadable cache: rebuild it
    if arr is None:
        arr = walk_arrays_from_osm(
            path, crs=crs, simplify=simplify, retain_all=retain_all, progress=progress
        )
        arr.record = {"kind": "osm", "source": str(path), **arr.record}
        if cache_path is not None:
            with gc_paused():
                atomic_pickle(arr, cache_path)
            arr.record["cached_to"] = str(cache_path)
    net = arr.walk_network()
    net.record = dict(arr.record)
    net.walk_arrays = arr
    return net


def to_networkx(network: WalkArrays | WalkNetwork) -> nx.MultiDiGraph:
    """The osmnx-compatible ``MultiDiGraph`` of a network built from arrays.

    Parameters
    ----------
    network
        :class:`WalkArrays`, or a :class:`~coverage15.access.WalkNetwork` (from
        :func:`walk_network_from_osm`: the OSM attributes come back; any other:
        nodes with ``x``/``y`` and edges with ``length`` and ``geometry``).

    Returns
    -------
    networkx.MultiDiGraph
        Projected, every edge with ``length`` and ``geometry``; OSM networks
        also with osmnx's node and edge attributes (``osmid``, ``highway``,
        ``name``, ``oneway``, ``reversed`` …, ``street_count``, ``lon``/``lat``)
        and the build record in ``graph["coverage15"]``.

    Examples
    --------
    >>> from coverage15.datasets import sample_path
    >>> net = walk_network_from_osm(sample_path("walk_network.osm"))
    >>> G = to_networkx(net)
    >>> (G.number_of_nodes(), G.number_of_edges()) == (net.n_nodes, net.n_edges)
    True
    """
    if isinstance(network, WalkArrays):
        return network.to_networkx()
    arrays = getattr(network, "walk_arrays", None)
    if isinstance(arrays, WalkArrays):
        G = arrays.to_networkx()
        G.graph["coverage15"] = dict(network.record or arrays.record)
        return G
    G = nx.MultiDiGraph(crs=network.crs)
    ids = network.node_ids.tolist()
    G.add_nodes_from(
        (n, {"x": x, "y": y})
        for n, x, y in zip(ids, network.node_x.tolist(), network.node_y.tolist(), strict=True)
    )
    keys = network.edge_keys.tolist() if network.edge_keys is not None else [None] * network.n_edges
    G.add_edges_from(
        (ids[u], ids[v], k, {"length": w, "geometry": g})
        for u, v, k, w, g in zip(
            network.edge_u.tolist(),
            network.edge_v.tolist(),
            keys,
            network.edge_length.tolist(),
            network.edge_geometry.tolist(),
            strict=True,
        )
    )
    if network.record:
        G.graph["coverage15"] = dict(network.record)
    return G


# --------------------------------------------------------------------------- road lines


#: road-line columns read as the level of a whole line (lines on different levels never
#: join at a crossing): OSM's ``layer``, ``bridge`` and ``tunnel``, and a z / elevation value
LEVEL_COLUMNS = ("layer", "bridge", "tunnel", "z", "z_level", "zlevel", "elevation")
#: columns with the elevation of a line's first and last vertex (ArcGIS F_ELEV / T_ELEV)
END_ELEVATION_COLUMNS = (("f_elev", "t_elev"), ("z_from", "z_to"), ("from_z", "to_z"))
_NO = {"", "no", "false", "0", "none", "nan"}
#: a road-line network is "badly fragmented" with at least this many pieces ...
FRAGMENTED_PIECES = 50
# ... and more crossings of lines on the same level without a junction than junctions


def _column(frame: pd.DataFrame, name: str) -> str | None:
    """The frame's column called ``name`` in any case, or None."""
    for col in frame.columns:
        if isinstance(col, str) and col.lower() == name:
            return col
    return None


def _line_levels(lines: gpd.GeoDataFrame, source: str) -> tuple[np.ndarray, list[str]]:
    """A level code per line from its level columns (0 everywhere without any)."""
    used: list[str] = []
    parts: list[np.ndarray] = []
    for name in LEVEL_COLUMNS:
        col = _column(lines, name)
        if col is None:
            continue
        used.append(col)
        values = lines[col]
        if name in {"bridge", "tunnel"}:
            text = values.astype(object).where(values.notna(), "").astype(str).str.lower()
            parts.append((~text.str.strip().isin(_NO)).to_numpy().astype(np.float64))
        else:
            num = pd.to_numeric(values, errors="coerce")
            bad = num.isna() & values.notna() & (values.astype(str).str.strip() != "")
            if bad.any():
                raise InputError(
                    f"level values must be numbers (e.g. layer=-1, 0, 1); "
                    f"found {values[bad].iloc[0]!r}",
                    source=source,
                    rows=list(lines.index[bad.to_numpy()]),
                    column=col,
                )
            parts.append(num.fillna(0.0).to_numpy(np.float64))
    if not parts:
        return np.zeros(len(lines), dtype=np.int64), used
    table = pd.DataFrame(np.column_stack(parts))
    return table.groupby(list(table.columns), sort=True).ngroup().to_numpy(np.int64), used


def _end_elevations(lines: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray, list[str]] | None:
    for a, b in END_ELEVATION_COLUMNS:
        ca, cb = _column(lines, a), _column(lines, b)
        if ca is not None and cb is not None:
            za = pd.to_numeric(lines[ca], errors="coerce").fillna(0.0).to_numpy(np.float64)
            zb = pd.to_numeric(lines[cb], errors="coerce").fillna(0.0).to_numpy(np.float64)
            return za, zb, [ca, cb]
    return None


def _graph_from_lines(
    lines: gpd.GeoDataFrame,
    *,
    crs: Any,
    node_intersections: bool,
    source: str,
    simplify: bool = True,
    retain_all: bool = True,
) -> tuple[nx.MultiDiGraph, dict[str, Any]]:
    """A walk graph from a planner's road lines, joined where the data says.

    Lines join where they share an end point (a line's end on another line's
    end or vertex; with z coordinates or end-elevation columns only at the same
    elevation), and where two lines share an inner vertex on the same level
    (``layer``/``bridge``/``tunnel``/``z`` columns). With ``node_intersections``
    lines of the same level are also split where they cross. Crossings without
    a junction are reported in ``G.graph["unjoined_crossings"]``.
    """
    if lines.crs is None:
        raise InputError("the road-line layer has no CRS; pass source_crs=...", source=source)
    stats: dict[str, Any] = {"line_features": len(lines)}
    geoms = lines.geometry.to_numpy()
    gtype = shapely.get_type_id(geoms)
    is_line = np.isin(gtype, [1, 2, 5])  # LineString, LinearRing, MultiLineString
    empty = shapely.is_empty(geoms) | pd.isna(geoms)
    bad = ~is_line | empty
    stats["line_features_not_lines_dropped"] = int((~is_line & ~empty).sum())
    stats["line_features_empty_dropped"] = int(empty.sum())
    if bad.all():
        raise NetworkError(f"{source}: no line features to build a walking network from")
    kept = lines.loc[~bad]
    target = crs if crs is not None else kept.estimate_utm_crs()
    if kept.crs.is_geographic or crs is not None:
        kept = kept.to_crs(target)
    level_of_line, level_cols = _line_levels(kept, source)
    ends = None if node_intersections else _end_elevations(kept)
    stats["level_columns"] = level_cols + (ends[2] if ends else [])
    parts, line_of_part = shapely.get_parts(kept.geometry.to_numpy(), return_index=True)
    has_z = bool(shapely.has_z(parts).any())
    bad_xy = ~np.isfinite(shapely.get_coordinates(parts)).all(axis=1)
    if bad_xy.any():
        raise InputError(
            f"{int(bad_xy.sum())} road-line vertices cannot be placed in {target} — are the "
            f"coordinates in the CRS the layer declares ({lines.crs})? Use source_crs=... for "
            "a layer without CRS, or fix the file's CRS",
            source=source,
        )
    level = level_of_line[line_of_part]
    if node_intersections:  # split where lines of the same level cross
        noded, noded_line, noded_level = [], [], []
        for lev in np.unique(level):
            sel = np.flatnonzero(level == lev)
            pieces = shapely.get_parts(shapely.node(shapely.multilinestrings(parts[sel])))
            # the line each piece came from: the nearest original part of this level
            tree = shapely.STRtree(parts[sel])
            near = tree.query_nearest(shapely.line_interpolate_point(pieces, 0.5, normalized=True))
            owner = np.empty(len(pieces), dtype=np.int64)
            owner[near[0]] = line_of_part[sel][near[1]]
            noded.append(pieces)
            noded_line.append(owner)
            noded_level.append(np.full(len(pieces), lev))
        parts = np.concatenate(noded)
        line_of_part = np.concatenate(noded_line)
        level = np.concatenate(noded_level)
    coords, idx = shapely.get_coordinates(parts, include_z=has_z, return_index=True)
    n_coord = np.bincount(idx, minlength=len(parts))
    first = np.cumsum(n_coord) - n_coord
    last = first + n_coord - 1
    is_end = np.zeros(len(coords), dtype=bool)
    is_end[first] = True
    is_end[last] = True
    z = np.zeros(len(coords))
    if has_z:
        z = np.nan_to_num(coords[:, 2])
    if ends is not None:
        z[first] = ends[0][line_of_part]
        z[last] = ends[1][line_of_part]
    # node identity: coordinates (and elevation) rounded to the millimetre; inner vertices
    # only join on the same level, ends join whatever lies at their point
    key = pd.DataFrame(
        {
            "x": np.round(coords[:, 0], 3),
            "y": np.round(coords[:, 1], 3),
            "z": np.round(z, 3),
        }
    )
    where = key.groupby(["x", "y", "z"], sort=False).ngroup().to_numpy(np.int64)
    end_at = np.bincount(where, weights=is_end).astype(bool)
    lev_key = np.where(end_at[where], -1, level[idx])
    node_of = pd.DataFrame({"w": where, "l": lev_key}).groupby(["w", "l"], sort=False).ngroup()
    node_of = node_of.to_numpy(np.int64)
    n_nodes = int(node_of.max()) + 1
    node_xy = np.zeros((n_nodes, 2))
    node_xy[node_of[::-1]] = coords[::-1, :2]  # a node sits at its first vertex
    same_part = np.flatnonzero(idx[1:] == idx[:-1])
    u = node_of[same_part]
    v = node_of[same_part + 1]
    seg_line = line_of_part[idx[same_part]]
    part_of_seg = idx[same_part]
    keep = u != v
    stats["zero_length_segments_dropped"] = int((~keep).sum())
    # lengths from the vertices as drawn (not the rounded node positions)
    length = np.hypot(*(coords[same_part + 1, :2] - coords[same_part, :2]).T)[keep]
    u, v, seg_line, part_of_seg = u[keep], v[keep], seg_line[keep], part_of_seg[keep]
    # the rest on arrays, as for OSM files: one segment per walkable pair of vertices
    labels = kept.index.to_numpy()
    used, inv = np.unique(np.concatenate([u, v]), return_inverse=True)
    su, sv = inv[: len(u)], inv[len(u) :]
    stats["segments"] = len(u)
    stats["node_intersections"] = bool(node_intersections)
    crossings = _unjoined_crossings(parts, idx, node_of, coords, level, line_of_part, labels)
    crossings = crossings.set_crs(kept.crs)
    stats["crossings_without_junction"] = int((crossings["reason"] == "no_junction").sum())
    stats["crossings_between_levels"] = int((crossings["reason"] == "different_levels").sum())
    stats["network_pieces"] = len(np.unique(_osm_arrays.node_components(su, sv, len(used))))
    seg = _osm_arrays.Segments(
        node_ids=used,
        lon=node_xy[used, 0],
        lat=node_xy[used, 1],
        a=su,
        b=sv,
        way=seg_line,
        run=part_of_seg,
        length=length,
    )
    deg = np.bincount(su, minlength=len(used)) + np.bincount(sv, minlength=len(used))
    junctions = int((deg >= 3).sum())
    if not retain_all:
        seg, dropped = _osm_arrays.largest_piece(seg)
        stats["nodes_dropped_outside_largest_component"] = dropped
    if simplify:
        edges, keep_node = _osm_arrays.simplify_edges(seg)
        stats.update(edges.counts)
    else:
        edges, keep_node = _osm_arrays.raw_edges(seg), np.ones(len(seg.node_ids), dtype=bool)
    arrays = WalkArrays(
        seg=seg,
        x=seg.lon,
        y=seg.lat,
        kept=keep_node,
        edges=edges,
        crs=pyproj.CRS.from_user_input(kept.crs).to_string(),
        way_id=np.zeros(len(labels), dtype=np.int64),
        way_tags=[{"highway": "road_line", "line": r} for r in labels.tolist()],
        node_tags={},
        record={},
        simplified=bool(simplify),
        geographic=False,
        created_with="coverage15 (road lines)",
    )
    G = arrays.to_networkx()
    G.graph.pop("coverage15", None)
    G.graph["unjoined_crossings"] = crossings
    if (
        stats["network_pieces"] >= FRAGMENTED_PIECES
        and stats["crossings_without_junction"] > junctions
    ):
        warnings.warn(
            f"{source}: the road lines fall into {stats['network_pieces']} pieces and "
            f"{stats['crossings_without_junction']} crossings of lines on the same level have "
            f"no junction (against {junctions} junctions): the lines are probably not split "
            "where streets meet. If every crossing is a junction in reality, build with "
            "node_intersections=True (levels are still respected); the crossings are in "
            'G.graph["unjoined_crossings"]. / 路网破碎：同层相交处无交点，可用 '
            "node_intersections=True 在交叉处打断",
            FragmentedNetworkWarning,
            stacklevel=3,
        )
    return G, stats


def _unjoined_crossings(
    parts: np.ndarray,
    idx: np.ndarray,
    node_of: np.ndarray,
    coords: np.ndarray,
    level: np.ndarray,
    line_of_part: np.ndarray,
    labels: np.ndarray,
) -> gpd.GeoDataFrame:
    """Points where two lines meet or cross without sharing a network node there."""
    columns = ["line_a", "line_b", "level_a", "level_b", "reason", "reason_zh"]
    empty = gpd.GeoDataFrame({c: [] for c in columns}, geometry=[])
    if len(parts) < 2:
        return empty
    tree = shapely.STRtree(parts)
    i, j = tree.query(parts, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    if not len(i):
        return empty
    inter = shapely.intersection(parts[i], parts[j])
    pts, which = shapely.get_parts(inter, return_index=True)
    point = shapely.get_type_id(pts) == 0
    pts, which = pts[point], which[point]
    if not len(pts):
        return empty
    pa, pb = i[which], j[which]
    pxy = np.round(shapely.get_coordinates(pts), 3)
    # the node each part has at a point (if the point is one of its vertices)
    vert = pd.DataFrame(
        {
            "part": idx,
            "x": np.round(coords[:, 0], 3),
            "y": np.round(coords[:, 1], 3),
            "node": node_of,
        }
    ).drop_duplicates(["part", "x", "y"])
    q = pd.DataFrame({"x": pxy[:, 0], "y": pxy[:, 1], "a": pa, "b": pb})
    na = q.merge(vert, left_on=["a", "x", "y"], right_on=["part", "x", "y"], how="left")["node"]
    nb = q.merge(vert, left_on=["b", "x", "y"], right_on=["part", "x", "y"], how="left")["node"]
    joined = (na.to_numpy() == nb.to_numpy()) & na.notna().to_numpy()
    same_line = line_of_part[pa] == line_of_part[pb]
    sel = ~joined & ~same_line
    q = q.loc[sel].drop_duplicates(["x", "y", "a", "b"])
    if not len(q):
        return empty
    la, lb = level[q["a"].to_numpy()], level[q["b"].to_numpy()]
    reason = np.where(la == lb, "no_junction", "different_levels")
    return gpd.GeoDataFrame(
        {
            "line_a": labels[line_of_part[q["a"].to_numpy()]],
            "line_b": labels[line_of_part[q["b"].to_numpy()]],
            "level_a": la,
            "level_b": lb,
            "reason": reason,
            "reason_zh": np.where(la == lb, "同层相交无交点", "不同层（桥/隧道）"),
        },
        geometry=shapely.points(q[["x", "y"]].to_numpy()),
    ).reset_index(drop=True)


# --------------------------------------------------------------------------- finishing


def prepare_graph(G: nx.MultiDiGraph, *, crs: Any = None, copy: bool = True) -> nx.MultiDiGraph:
    """Project a graph to a metric CRS and give every edge a LineString geometry.

    Parameters
    ----------
    G
        An osmnx-style MultiDiGraph (nodes with ``x``/``y``, edges with ``length``).
    crs
        Target CRS; default: the local UTM zone when ``G`` is geographic,
        otherwise ``G``'s own projected CRS.
    copy
        Work on a copy (default), leaving ``G`` as it was.

    Returns
    -------
    networkx.MultiDiGraph
        Projected; edges without ``geometry`` get the straight line between
        their nodes.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph(crs="epsg:4326")
    >>> G.add_nodes_from([(1, {"x": 103.76, "y": 29.55}), (2, {"x": 103.761, "y": 29.55})])
    >>> _ = G.add_edge(1, 2, length=96.8)
    >>> P = prepare_graph(G)
    >>> str(P.graph["crs"]), P.edges[1, 2, 0]["geometry"].geom_type
    ('EPSG:32648', 'LineString')
    """
    if G.number_of_nodes() == 0:
        raise NetworkError("the walking network is empty")
    if "crs" not in G.graph:
        raise NetworkError("the graph has no 'crs' attribute (set G.graph['crs'])")
    if copy:
        G = G.copy()
    graph_crs = pyproj.CRS.from_user_input(G.graph["crs"])
    if crs is not None or graph_crs.is_geographic:
        G = _project(G, graph_crs, crs)
    xs = nx.get_node_attributes(G, "x")
    ys = nx.get_node_attributes(G, "y")
    for u, v, d in G.edges(data=True):
        if d.get("geometry") is None:
            d["geometry"] = shapely.LineString([(xs[u], ys[u]), (xs[v], ys[v])])
    G.graph["crs"] = pyproj.CRS.from_user_input(G.graph["crs"]).to_string()
    return G


def _project(G: nx.MultiDiGraph, from_crs: pyproj.CRS, to_crs: Any) -> nx.MultiDiGraph:
    """Project node coordinates and edge geometries in place, vectorised with pyproj.

    Same result as :func:`osmnx.project_graph` (local UTM zone by default),
    without the round trip through GeoDataFrames that dominates its run time.
    """
    nodes = list(G.nodes)
    x = np.fromiter((G.nodes[n]["x"] for n in nodes), float, len(nodes))
    y = np.fromiter((G.nodes[n]["y"] for n in nodes), float, len(nodes))
    if to_crs is None:
        if not from_crs.is_geographic:
            return G
        bounds = shapely.box(x.min(), y.min(), x.max(), y.max())
        target = gpd.GeoSeries([bounds], crs=from_crs).estimate_utm_crs()
    else:
        target = pyproj.CRS.from_user_input(to_crs)
        if not target.is_projected:
            raise NetworkError(f"crs={to_crs!r} is not a projected (metric) CRS")
    tr = pyproj.Transformer.from_crs(from_crs, target, always_xy=True)
    px, py = tr.transform(x, y)
    if not (np.isfinite(px).all() and np.isfinite(py).all()):
        raise NetworkError(f"network coordinates cannot be projected to {target.to_string()}")
    for n, a, b in zip(nodes, px.tolist(), py.tolist(), strict=True):
        d = G.nodes[n]
        d["x"], d["y"] = a, b
    datas = [d for _, _, d in G.edges(data=True) if d.get("geometry") is not None]
    if datas:
        geoms = shapely.transform(
            np.array([d["geometry"] for d in datas], dtype=object),
            lambda c: np.column_stack(tr.transform(c[:, 0], c[:, 1])),
        )
        for d, g in zip(datas, geoms, strict=True):
            d["geometry"] = g
    G.graph["crs"] = target.to_string()
    return G


def _finish(
    G: nx.MultiDiGraph,
    *,
    crs: Any,
    simplify: bool,
    retain_all: bool,
    stats: dict[str, Any],
    bar: Any,
) -> nx.MultiDiGraph:
    if not retain_all:
        n0 = G.number_of_nodes()
        G = ox.truncate.largest_component(G, strongly=False)
        stats["nodes_dropped_outside_largest_component"] = n0 - G.number_of_nodes()
    if simplify and not G.graph.get("simplified"):
        n0 = G.number_of_nodes()
        with gc_paused():
            # isolated rings (a footpath loop alone) are kept: nothing is deleted
            G = ox.simplify_graph(G, remove_rings=False)
        stats["nodes_merged_by_simplify"] = n0 - G.number_of_nodes()
    bar.update()
    G = prepare_graph(G, crs=crs, copy=False)
    bar.update()
    stats["simplified"] = bool(simplify)
    G.graph["coverage15"] = stats
    return G


# --------------------------------------------------------------------------- cache


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _source_identity(source: Any) -> str:
    if isinstance(source, (str, os.PathLike)) and Path(source).is_file():
        return "file:" + _file_digest(Path(source))
    if isinstance(source, gpd.GeoDataFrame | gpd.GeoSeries):
        g = source.geometry if isinstance(source, gpd.GeoDataFrame) else source
        h = hashlib.sha256(str(g.crs).encode())
        for b in shapely.to_wkb(g.to_numpy()):
            h.update(b or b"")
        return "gdf:" + h.hexdigest()
    if isinstance(source, shapely.Geometry):
        return "geom:" + hashlib.sha256(shapely.to_wkb(source)).hexdigest()
    return "text:" + repr(source)


def cache_key(source: Any, options: dict[str, Any]) -> str:
    """The name under which something derived from ``source`` is cached.

    A hash of the source's identity (a file's path, size and content digest; a
    place name; a layer's contents), the options, the cache format and the
    versions of coverage15 and osmnx: a changed file, option or version never
    reads a stale cache.

    Parameters
    ----------
    source
        The network source (a path, a place name, a layer ...).
    options
        The options that change what is derived (e.g. ``simplify``).

    Returns
    -------
    str
        24 hexadecimal characters.

    Examples
    --------
    >>> cache_key("乐山市中区", {"simplify": True}) == cache_key("乐山市中区", {"simplify": True})
    True
    >>> cache_key("乐山市中区", {"simplify": True}) == cache_key("乐山市中区", {"simplify": False})
    False
    """
    payload = {
        "format": _CACHE_FORMAT,
        "coverage15": _pkg_version("coverage15"),
        "osmnx": _pkg_version("osmnx"),
        "source": _source_identity(source),
        "options": {k: repr(v) for k, v in sorted(options.items())},
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:24]


def _write_cache(G: nx.MultiDiGraph, path: Path) -> None:
    """Pickle a network for the cache, its edge geometries as one WKB array.

    Shapely pickles every geometry on its own; one vectorised WKB array loads
    about twice as fast, which is most of a rerun on a cached network. The
    geometries are taken off the edges while pickling and put back after.
    """
    datas = [d for _, _, d in G.edges(data=True)]
    geoms = np.empty(len(datas), dtype=object)
    with gc_paused():
        geoms[:] = [d.pop("geometry", None) for d in datas]
        try:
            atomic_pickle(
                {"format": _CACHE_FORMAT, "graph": G, "geometry_wkb": shapely.to_wkb(geoms)},
                path,
            )
        finally:
            for d, g in zip(datas, geoms.tolist(), strict=True):
                if g is not None:
                    d["geometry"] = g


def _read_cache(path: Path) -> nx.MultiDiGraph:
    """A network written by :func:`_write_cache` (KeyError/TypeError: not one of ours)."""
    with open(path, "rb") as fh, gc_paused():
        return _unbox(pickle.load(fh))


def _unbox(box: Any) -> nx.MultiDiGraph:
    """The graph of an unpickled cache payload, its geometries put back on the edges."""
    with gc_paused():
        if box["format"] != _CACHE_FORMAT:
            raise KeyError("format")
        G = box["graph"]
        geoms = shapely.from_wkb(box["geometry_wkb"])
        for (_, _, d), g in zip(G.edges(data=True), geoms.tolist(), strict=True):
            if g is not None:
                d["geometry"] = g
    return G


# --------------------------------------------------------------------------- entry point


def _is_file_source(source: str) -> bool:
    """True when text names a file rather than a place for the geocoder.

    A file: one on disk, a network-file suffix, an extension-like ending without
    a comma before it (``"roads.geojsn"``, ``"x.osm.bz"``: a mistyped file name is
    reported as a missing file, never sent to Nominatim), or a path start
    (``/``, ``./``, ``../``, ``~``, ``C:\\``). Anything else is a place name, dots
    and slashes included (``"St. Louis, Missouri, USA"``, ``"Washington, D.C."``,
    ``"Trento/Trient, Italy"``).
    """
    name = source.strip().lower()
    if Path(source).is_file() or name.endswith(FILE_SUFFIXES):
        return True
    # a mistyped file name is still a file, never a geocoder query: an extension-like
    # ending ("roads.geojsn", "x.osm.bz") or a path start ("/data", "./", "~", "C:\\")
    if re.search(r"\.[a-z0-9]{1,8}$", name) and "," not in name:
        return True
    return name.startswith(("/", "./", "../", "~", "\\")) or bool(re.match(r"[a-z]:[\\/]", name))


def _kind(source: Any) -> str:
    if isinstance(source, nx.MultiDiGraph):
        return "graph"
    if isinstance(source, gpd.GeoDataFrame | gpd.GeoSeries):
        return "lines"
    if isinstance(source, shapely.Polygon | shapely.MultiPolygon):
        return "polygon"
    if isinstance(source, tuple | list) and len(source) == 4:
        return "bbox"
    if isinstance(source, os.PathLike) or (isinstance(source, str) and _is_file_source(source)):
        path = Path(source)
        if not path.exists():
            raise NetworkError(f"{path}: network source file not found")
        if is_osm_file(path):
            return "osm"
        if path.name.lower().endswith(".gpkg") and _saved_gpkg(path):
            raise NetworkError(
                f"{path}: a saved network (layers 'nodes' and 'edges'); load it with "
                "load_network() and pass the graph"
            )
        if path.name.lower().endswith(LINE_SUFFIXES):
            return "lines"
        if path.name.lower().endswith(SAVED_SUFFIXES):
            raise NetworkError(
                f"{path}: a saved network; load it with load_network() and pass the graph"
            )
        raise NetworkError(
            f"{path}: unknown network file type; use an OSM file ({', '.join(OSM_SUFFIXES)}) "
            f"or a road-line layer ({', '.join(LINE_SUFFIXES)})"
        )
    if isinstance(source, str):
        return "place"
    raise NetworkError(
        f"cannot build a walking network from {type(source).__name__}; give an OSM file, a "
        "place name, a WGS84 polygon, a (west, south, east, north) bbox or a road-line layer"
    )


def _describe(source: Any, kind: str) -> str:
    """A short text naming the source for the build record (never a frame's printout)."""
    if isinstance(source, gpd.GeoDataFrame | gpd.GeoSeries):
        return f"{type(source).__name__} ({len(source)} lines)"
    if kind in {"osm", "place", "lines"}:
        return str(source)
    return kind


def _saved_gpkg(path: Path) -> bool:
    """True for a GeoPackage holding a network saved by :func:`save_network` (or osmnx)."""
    import pyogrio

    try:
        layers = {str(name) for name, _ in pyogrio.list_layers(path)}
    except Exception:
        return False
    return {"nodes", "edges"} <= layers


def _download(kind: str, source: Any, *, retain_all: bool) -> nx.MultiDiGraph:
    from osmnx._errors import InsufficientResponseError

    try:
        if kind == "place":
            return ox.graph_from_place(
                source, network_type="walk", simplify=False, retain_all=retain_all
            )
        if kind == "polygon":
            return ox.graph_from_polygon(
                source, network_type="walk", simplify=False, retain_all=retain_all
            )
        west, south, east, north = (float(b) for b in source)
        return ox.graph_from_bbox(
            (west, south, east, north), network_type="walk", simplify=False, retain_all=retain_all
        )
    except (InsufficientResponseError, ValueError, TypeError, OSError) as exc:
        # OSError covers requests' ConnectionError and timeouts (no network, blocked host)
        raise NetworkError(f"OpenStreetMap download for {source!r} failed: {exc}") from exc


def build_walk_network(
    source: Any,
    *,
    crs: Any = None,
    simplify: bool = True,
    retain_all: bool = True,
    source_crs: Any = None,
    node_intersections: bool = False,
    cache_dir: str | os.PathLike[str] | None = None,
    progress: bool = False,
) -> nx.MultiDiGraph:
    """Build a projected walking network from an OSM file, OSM online or road lines.

    Parameters
    ----------
    source
        A path to ``.osm``/``.osm.bz2``/``.osm.gz``/``.osm.pbf``; a place name
        for osmnx's geocoder; a shapely (Multi)Polygon in WGS84; a
        ``(west, south, east, north)`` bbox in degrees; a line layer path
        (``.gpkg``, ``.shp``, ``.geojson``) or GeoDataFrame of the planner's
        own roads; or an existing MultiDiGraph.
    crs
        Metric CRS of the result (e.g. ``"EPSG:4544"`` for CGCS2000 3° zone
        35). Default: the local UTM zone.
    simplify
        Merge chains of interstitial nodes into single edges (osmnx's
        ``simplify_graph`` rule); distances are unchanged, nothing is deleted
        (isolated rings, which osmnx would remove by default, are kept and
        counted: ``isolated_rings_kept``; merged nodes: ``nodes_merged_by_simplify``).
    retain_all
        Keep every connected piece (default). With False only the largest
        weakly connected component is kept, and the dropped nodes are counted.
    source_crs
        CRS of a road-line layer that has none.
    node_intersections
        Road lines only. By default (False) lines join where the data says, as
        network datasets in GIS do: where they share an end point (a line's end
        on another line's end or vertex; with z coordinates or ``f_elev``/``t_elev``
        columns only at the same elevation) and where two lines share an inner
        vertex on the same level (``layer``, ``bridge``, ``tunnel``, ``z``
        columns). Crossings without a junction are counted in the build record
        and mapped in ``G.graph["unjoined_crossings"]`` (a GeoDataFrame of
        points). True also splits lines of the same level where they cross,
        making every such crossing a junction; lines on different levels (a
        bridge over a street) still never join.
    cache_dir
        Folder for a cache of built networks keyed by the source's content and
        these options; a rerun with the same inputs loads the cache.
    progress
        Show progress bars.

    Returns
    -------
    networkx.MultiDiGraph
        Every edge has ``length`` (m) and ``geometry``; ``G.graph["crs"]`` is
        metric and ``G.graph["coverage15"]`` holds the build record (source,
        counts of excluded ways, missing node references, split or dropped
        ways, merged nodes, kept rings, cache use; for road lines also dropped
        features, unjoined crossings and ``network_pieces``). For an OSM file
        the graph is made from arrays (:func:`walk_arrays_from_osm`, then
        :meth:`WalkArrays.to_networkx`); :func:`walk_network_from_osm` skips
        the graph when only routing is needed.

    Raises
    ------
    NetworkError
        Missing or unreadable file, no walkable ways, failed download.

    Examples
    --------
    >>> from coverage15.datasets import sample_path
    >>> G = build_walk_network(sample_path("walk_network.osm"))
    >>> rec = G.graph["coverage15"]
    >>> rec["kind"], rec["missing_node_refs"]
    ('osm', 0)
    >>> all("geometry" in d for _, _, d in G.edges(data=True))
    True
    """
    kind = _kind(source)
    options = {
        "crs": crs,
        "simplify": simplify,
        "retain_all": retain_all,
        "source_crs": source_crs,
        "node_intersections": node_intersections,
    }
    cache_path = None
    if cache_dir is not None and kind != "graph":
        cache_path = Path(cache_dir) / f"walk-{cache_key(source, options)}.pkl"
        if cache_path.is_file():
            try:
                G = _read_cache(cache_path)
                G.graph["coverage15"] = {**G.graph["coverage15"], "from_cache": str(cache_path)}
                return G
            except (
                OSError,
                pickle.UnpicklingError,
                EOFError,
                AttributeError,
                KeyError,
                TypeError,
                ValueError,
                shapely.errors.GEOSException,
            ):
                cache_path.unlink(missing_ok=True)  # unreadable cache: rebuild it
    stats: dict[str, Any] = {
        "kind": kind,
        "osm_data": kind in {"osm", "place", "polygon", "bbox"},
        "source": _describe(source, kind),
    }
    with progress_bar(total=3, desc="walking network", disable=not progress, leave=False) as bar:
        if kind == "osm":
            arrays = walk_arrays_from_osm(
                source, crs=crs, simplify=simplify, retain_all=retain_all, progress=progress
            )
            bar.update(2)
            G = arrays.to_networkx()
            bar.update()
            stats.update(arrays.record)
            G.graph["coverage15"] = stats
        elif kind in {"place", "polygon", "bbox"}:
            G = _download(kind, source, retain_all=True)
        elif kind == "lines":
            if isinstance(source, gpd.GeoDataFrame):
                layer = source
                name = stats["source"]
            elif isinstance(source, gpd.GeoSeries):
                layer = gpd.GeoDataFrame(geometry=source, crs=source.crs)
                name = stats["source"]
            else:
                from coverage15.io import read_layer

                try:
                    layer = read_layer(source, crs=source_crs)
                except InputError as exc:
                    if "crs=" not in str(exc) or source_crs is not None:
                        raise
                    # build_walk_network's crs= is the output projection: name its input one
                    raise InputError(
                        "the road-line layer has no coordinate reference system; "
                        "pass source_crs= (e.g. source_crs='EPSG:4547' for CGCS2000 "
                        "3-degree Gauss-Kruger CM 114E). crs= sets the projection of the result.",
                        source=str(source),
                    ) from exc
                name = str(source)
            if layer.crs is None and source_crs is not None:
                layer = layer.set_crs(source_crs)
            G, line_stats = _graph_from_lines(
                layer,
                crs=crs,
                node_intersections=node_intersections,
                source=name,
                simplify=simplify,
                retain_all=retain_all,
            )
            stats.update(line_stats)
            stats["simplified"] = bool(simplify)
            G.graph["coverage15"] = stats
            G = prepare_graph(G, copy=False)  # built on arrays: only the CRS text to settle
        else:
            G = source.copy()  # never change the caller's graph
        if kind not in {"osm", "lines"}:
            bar.update()
            G = _finish(G, crs=crs, simplify=simplify, retain_all=retain_all, stats=stats, bar=bar)
    if cache_path is not None:
        _write_cache(G, cache_path)
        G.graph["coverage15"] = {**G.graph["coverage15"], "cached_to": str(cache_path)}
    return G


# --------------------------------------------------------------------------- save / load


def save_network(G: nx.MultiDiGraph, path: str | os.PathLike[str]) -> Path:
    """Save a walking network as GraphML (``.graphml``), GeoPackage (``.gpkg``) or pickle.

    GraphML and GeoPackage open in other tools (QGIS, Gephi); the pickle
    (``.pkl``) is the fastest to load again. All three load back with
    :func:`load_network`. The GeoPackage has osmnx's ``nodes`` and ``edges``
    layers, with one edge feature per walking direction and the graph
    attributes (CRS, build record) as metadata. Writes go to a temporary file
    first, so a failed save never leaves a half-written network behind.

    Parameters
    ----------
    G
        A walking network (e.g. from :func:`build_walk_network`); its build
        record ``G.graph["coverage15"]`` is saved with it.
    path
        The file to write; the suffix (``.graphml``, ``.gpkg`` or ``.pkl``, any
        case) chooses the format. The folder is created if needed.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    NetworkError
        Another suffix.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from coverage15.datasets import sample_path
    >>> G = build_walk_network(sample_path("walk_network.osm"))
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = save_network(G, pathlib.Path(d) / "walk.graphml")
    ...     H = load_network(p)
    >>> H.number_of_edges() == G.number_of_edges()
    True
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".pkl":
        atomic_pickle(G, path)
        return path
    if suffix not in {".graphml", ".gpkg"}:
        raise NetworkError(f"{path}: save as .graphml, .gpkg or .pkl")
    from coverage15._files import atomic_path

    H = G.copy()
    H.graph.pop("coverage15", None)
    H.graph.pop("unjoined_crossings", None)  # a GeoDataFrame: rebuilt with the network
    H.graph["coverage15_record"] = json.dumps(G.graph.get("coverage15", {}), default=str)
    with atomic_path(path) as tmp:
        if suffix == ".graphml":
            ox.save_graphml(H, tmp)
        else:
            _save_gpkg(H, tmp)
    return path


#: GeoPackage metadata item holding the graph attributes (crs, build record …) as JSON
_GPKG_GRAPH_KEY = "coverage15_graph"
#: attribute types restored on load, as :func:`osmnx.load_graphml` restores them
_GPKG_NODE_TYPES: dict[str, Any] = {"osmid": int, "street_count": int, "elevation": float}
_GPKG_EDGE_TYPES: dict[str, Any] = {"osmid": int, "length": float, "grade": float}


def _stringify(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Non-numeric columns as text, missing values as "" (osmnx's GeoPackage layout)."""
    for col in gdf.columns:
        if col != gdf.geometry.name and not pd.api.types.is_numeric_dtype(gdf[col]):
            gdf[col] = gdf[col].fillna("").astype(str)
    return gdf


def _save_gpkg(G: nx.MultiDiGraph, path: Path) -> None:
    """osmnx's ``nodes`` and ``edges`` layers, every directed edge, graph attributes as metadata.

    Unlike :func:`osmnx.save_graph_geopackage` (one feature per street), each
    direction is its own feature, so the graph loads back exactly.
    """
    nodes, edges = ox.graph_to_gdfs(G)
    graph_attrs = json.dumps({k: str(v) if k == "crs" else v for k, v in G.graph.items()})
    _stringify(nodes).to_file(
        path,
        layer="nodes",
        driver="GPKG",
        index=True,
        encoding="utf-8",
        dataset_metadata={_GPKG_GRAPH_KEY: graph_attrs},
    )
    _stringify(edges).to_file(path, layer="edges", driver="GPKG", index=True, encoding="utf-8")


def _unstringify(frame: pd.DataFrame, types: dict[str, Any]) -> pd.DataFrame:
    """Undo :func:`_stringify`: "" is missing, "[…]" a list, "True"/"False" a bool."""

    def parse(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if value == "":
            return np.nan
        if value in {"True", "False"}:
            return value == "True"
        if (value[:1], value[-1:]) in {("[", "]"), ("{", "}")}:
            try:
                return ast.literal_eval(value)
            except (SyntaxError, ValueError):
                return value
        return value

    frame = frame.copy()
    for col in frame.columns:
        if col == "geometry":
            continue
        if frame[col].dtype == object or pd.api.types.is_string_dtype(frame[col]):
            frame[col] = frame[col].astype(object).map(parse)
        if col in types:
            kind = types[col]
            frame[col] = frame[col].map(
                lambda v, kind=kind: v if isinstance(v, list) or pd.isna(v) else kind(v)
            )
    return frame


def _load_gpkg(path: Path) -> nx.MultiDiGraph:
    """A network saved by :func:`save_network` as GeoPackage, rebuilt by osmnx's way."""
    import pyogrio

    try:
        layers = {str(name) for name, _ in pyogrio.list_layers(path)}
    except pyogrio.errors.DataSourceError as exc:
        raise NetworkError(f"{path}: not a readable GeoPackage ({exc})") from exc
    if not {"nodes", "edges"} <= layers:
        raise NetworkError(
            f"{path}: a saved network has 'nodes' and 'edges' layers; this file has "
            f"{sorted(layers)}"
        )
    meta = pyogrio.read_info(path, layer="nodes").get("dataset_metadata") or {}
    if _GPKG_GRAPH_KEY not in meta:
        raise NetworkError(
            f"{path}: not saved by coverage15's save_network (no graph attributes); "
            "a GeoPackage from osmnx.save_graph_geopackage holds each street once, not "
            "each walking direction"
        )
    graph_attrs = json.loads(meta[_GPKG_GRAPH_KEY])
    nodes = gpd.read_file(path, layer="nodes", engine="pyogrio")
    edges = gpd.read_file(path, layer="edges", engine="pyogrio")
    nodes = _unstringify(nodes, _GPKG_NODE_TYPES)
    edges = _unstringify(edges, _GPKG_EDGE_TYPES)
    for col in ("u", "v", "key"):
        edges[col] = edges[col].astype("int64")
    nodes = nodes.set_index(nodes["osmid"].astype("int64").rename("osmid")).drop(columns="osmid")
    edges = edges.set_index(["u", "v", "key"])
    graph_attrs.setdefault("crs", edges.crs.to_string() if edges.crs else None)
    G = ox.convert.graph_from_gdfs(nodes, edges, graph_attrs=graph_attrs)
    return nx.relabel_nodes(G, {n: int(n) for n in G.nodes}, copy=False)


def load_network(path: str | os.PathLike[str]) -> nx.MultiDiGraph:
    """Load a network saved by :func:`save_network` (``.graphml``, ``.gpkg`` or ``.pkl``).

    Parameters
    ----------
    path
        The saved file; its suffix says how it was written.

    Returns
    -------
    networkx.MultiDiGraph
        The graph as it was saved: same nodes, edges (with keys), lengths,
        geometries, ``crs`` and build record (``G.graph["coverage15"]``).

    Raises
    ------
    NetworkError
        The file is missing, of another type, or not a saved network.

    Examples
    --------
    >>> load_network("no/such/file.graphml")
    Traceback (most recent call last):
    ...
    coverage15._errors.NetworkError: no/such/file.graphml: network file not found
    """
    path = Path(path)
    if not path.is_file():
        raise NetworkError(f"{path}: network file not found")
    suffix = path.suffix.lower()
    if suffix == ".pkl":
        with open(path, "rb") as fh, gc_paused():
            G = pickle.load(fh)
        if isinstance(G, dict) and "geometry_wkb" in G:  # a file of the network cache
            G = _unbox(G)
    elif suffix in {".graphml", ".gpkg"}:
        G = ox.load_graphml(path) if suffix == ".graphml" else _load_gpkg(path)
        record = G.graph.pop("coverage15_record", "{}")
        G.graph["coverage15"] = json.loads(record)
    else:
        raise NetworkError(f"{path}: load a .graphml, .gpkg or .pkl network")
    if not isinstance(G, nx.MultiDiGraph):
        raise NetworkError(f"{path}: does not hold a MultiDiGraph")
    return prepare_graph(G, copy=False)


# --------------------------------------------------------------------------- summary


def _undirected_length_m(G: nx.MultiDiGraph) -> float:
    """Metres of street, each street once whichever ways it can be walked.

    A street is what the engine snaps to (:class:`~coverage15.snap.StreetIndex`):
    the edges between the same two nodes along the same line, in either
    direction; so the two directions of a loop street are one street.
    """
    from coverage15.access import WalkNetwork

    if G.number_of_edges() == 0:
        return 0.0
    try:
        net = WalkNetwork.from_graph(G)
        return float(net.edge_length[net.streets.edge].sum())
    except NetworkError:  # no coordinates or lengths to tell streets apart: pairs of nodes
        seen: set[tuple[Any, Any, Any]] = set()
        total = 0.0
        for u, v, k, d in G.edges(keys=True, data="length"):
            key = (*sorted((u, v), key=repr), k)
            if key not in seen:
                seen.add(key)
                total += float(d or 0.0)
        return total


def network_summary(G: nx.MultiDiGraph) -> dict[str, Any]:
    """Size and provenance of a walking network, as a flat dict.

    Keys: ``nodes``, ``edges`` (directed), ``street_km`` (each street once),
    ``components`` (weakly connected), ``crs``, then the build record
    (``kind``, ``source``, counts of excluded ways and missing nodes …).

    Parameters
    ----------
    G
        A walking network with edge ``length`` in metres (e.g. from
        :func:`build_walk_network`).

    Returns
    -------
    dict
        The keys above; ``street_km`` is in kilometres, rounded to metres.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph(crs="EPSG:32648")
    >>> G.add_nodes_from([(1, {"x": 0, "y": 0}), (2, {"x": 100, "y": 0}), (3, {"x": 0, "y": 9})])
    >>> _ = G.add_edge(1, 2, length=100.0); _ = G.add_edge(2, 1, length=100.0)
    >>> s = network_summary(G)
    >>> s["nodes"], s["edges"], s["street_km"], s["components"]
    (3, 2, 0.1, 2)
    """
    out: dict[str, Any] = {
        "nodes": G.number_of_nodes(),
        "edges": G.number_of_edges(),
        "street_km": round(_undirected_length_m(G) / 1000.0, 3),
        "components": nx.number_weakly_connected_components(G),
        "crs": str(G.graph.get("crs")),
    }
    out.update(G.graph.get("coverage15", {}))
    return out


def edges_frame(
    G: nx.MultiDiGraph, columns: Iterable[str] = ("length", "highway")
) -> gpd.GeoDataFrame:
    """The network's edges as a GeoDataFrame (u, v, key index) with the chosen columns.

    Parameters
    ----------
    G
        A walking network whose nodes have ``x``/``y`` and whose graph has a
        ``crs`` (as osmnx builds it).
    columns
        Edge attributes to keep, in this order; those no edge has are left out.
        Default ``("length", "highway")``.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per directed edge, indexed by ``(u, v, key)``, with the columns
        kept and the edge geometry, in the network's CRS.

    Examples
    --------
    >>> from coverage15.datasets import sample_path
    >>> e = edges_frame(build_walk_network(sample_path("walk_network.osm")))
    >>> e.crs.to_string(), "length" in e.columns
    ('EPSG:32648', True)
    """
    edges = ox.graph_to_gdfs(G, nodes=False)
    keep = [c for c in columns if c in edges.columns]
    return edges[[*keep, "geometry"]]
