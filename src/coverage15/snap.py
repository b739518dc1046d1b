"""Snap homes and facilities onto the nearest street edge of a walking network.

Points are snapped to the nearest *edge* (not node): each keeps its
perpendicular off-network leg (``leg_m``) and its position along the edge
(``pos_m``), so the routing engine can measure ``leg + min over the edge ends``.

Walk graphs from osmnx hold every street twice (``u → v`` and ``v → u``). The
two directions are merged into one undirected *street* before the spatial
index is built, so a point is snapped to the street once and both directions
of travel stay usable (``reverse_edge`` is the ``v → u`` edge, or -1 on a
one-way street).

Positions along an edge are measured on its geometry and scaled to the edge's
``length`` attribute (osmnx measures ``length`` geodesically before
projection, so it can differ slightly from the projected geometry's length).

A point whose nearest street lies on an island (a small piece of the network)
is linked to the nearest other street instead (:func:`snap_avoiding_islands`),
and keeps the island link and the extra leg in its snap table. Snaps are kept
by the points' coordinates in a :class:`SnapCache`, which can be saved with the
network's signature and loaded on the next run.

Examples
--------
>>> import geopandas as gpd
>>> import networkx as nx
>>> import shapely
>>> from coverage15.access import snap_points
>>> G = nx.MultiDiGraph(crs="EPSG:32650")
>>> G.add_node(1, x=0.0, y=0.0)
>>> G.add_node(2, x=100.0, y=0.0)
>>> _ = G.add_edge(1, 2, length=100.0)
>>> _ = G.add_edge(2, 1, length=100.0)
>>> pts = gpd.GeoSeries([shapely.Point(30, 4)], crs="EPSG:32650")
>>> s = snap_points(G, pts)
>>> s.loc[0, ["leg_m", "pos_m", "edge_length_m"]].tolist()
[4.0, 30.0, 100.0]
>>> bool(s.loc[0, "reverse_edge"] >= 0)  # both directions usable
True
"""

from __future__ import annotations

import hashlib
import itertools
import os
import pickle
import warnings
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from coverage15._arrays import gc_paused, offsets_from_counts, ragged_arange, run_starts
from coverage15._errors import InputError, NetworkError
from coverage15._files import atomic_path

#: Columns of a snap table, in order.
SNAP_COLUMNS = (
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
)

#: Columns added by :func:`snap_avoiding_islands` (see :func:`~coverage15.access.snap_points`).
ISLAND_COLUMNS = ("on_island", "island_edge", "island_leg_m", "island_pos_m", "extra_leg_m")


#: STRtree node capacity: small nodes make nearest queries markedly faster.
_NODE_CAPACITY = 4


class UnsnappedWarning(UserWarning):
    """Some points are farther than ``max_leg_m`` from every street and were not snapped.

    Examples
    --------
    >>> import warnings, networkx as nx, geopandas as gpd, shapely
    >>> from coverage15.access import WalkNetwork, snap_points
    >>> G = nx.MultiDiGraph(crs="EPSG:32648")
    >>> G.add_nodes_from([(1, {"x": 0.0, "y": 0.0}), (2, {"x": 100.0, "y": 0.0})])
    >>> _ = G.add_edge(1, 2, length=100.0)
    >>> far = gpd.GeoSeries([shapely.Point(50, 900)], crs="EPSG:32648")
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     snapped = snap_points(WalkNetwork.from_graph(G), far, max_leg_m=500)["snapped"]
    >>> snapped.tolist(), w[0].category.__name__
    ([False], 'UnsnappedWarning')
    """


_K1 = np.uint64(0x9E3779B97F4A7C15)
_K2 = np.uint64(0xC2B2AE3D27D4EB4F)
_K3 = np.uint64(0x165667B19E3779F9)
_K4 = np.uint64(0xBF58476D1CE4E5B9)
_K5 = np.uint64(0x94D049BB133111EB)


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser (wrapping uint64 arithmetic)."""
    z = z ^ (z >> np.uint64(30))
    z = z * _K4
    z = z ^ (z >> np.uint64(27))
    z = z * _K5
    return z ^ (z >> np.uint64(31))


def _line_hashes(
    coords: np.ndarray, starts: np.ndarray, counts: np.ndarray, owner: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of each line's coordinate sequence, forwards and reversed."""
    bits = np.ascontiguousarray(coords).view(np.uint64)
    base = _mix(bits[:, 0] * _K1 ^ _mix(bits[:, 1] + _K2))
    j = (np.arange(len(owner)) - starts[owner]).astype(np.uint64)
    jr = (counts[owner] - 1).astype(np.uint64) - j
    with np.errstate(over="ignore"):
        hf = np.add.reduceat(_mix(base ^ (j + np.uint64(1)) * _K3), starts)
        hr = np.add.reduceat(_mix(base ^ (jr + np.uint64(1)) * _K3), starts)
    return hf, hr


def _canonical_vertices(
    edges: np.ndarray, backward: np.ndarray, e_start: np.ndarray, n_coord: np.ndarray
) -> np.ndarray:
    """Positions in ``coords`` of each edge's vertices, read backwards where ``backward``."""
    n = n_coord[edges]
    j = ragged_arange(n)
    rev = np.repeat(backward, n)
    return np.repeat(e_start[edges], n) + np.where(rev, np.repeat(n - 1, n) - j, j)


def _same_as_first_member(
    street: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    backward: np.ndarray,
    coords: np.ndarray,
    e_start: np.ndarray,
    n_coord: np.ndarray,
) -> bool:
    """Whether every edge has the same ends and canonical vertices as its street's first edge."""
    m = len(street)
    if not m:
        return True
    first = np.full(int(street.max()) + 1, -1, dtype=np.int64)
    first[street[::-1]] = np.arange(m)[::-1]
    r = first[street]
    if not ((a == a[r]) & (b == b[r]) & (n_coord == n_coord[r])).all():
        return False
    mine = coords[_canonical_vertices(np.arange(m), backward, e_start, n_coord)]
    theirs = coords[_canonical_vertices(r, backward[r], e_start, n_coord)]
    return bool((mine == theirs).all())


def _loop_runs_backward(coords: np.ndarray, start: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Per loop edge: its vertices read backwards sort lower (bytewise) than forwards."""
    out = np.zeros(len(start), dtype=bool)
    for k, (s0, c) in enumerate(zip(start.tolist(), count.tolist(), strict=True)):
        seq = coords[s0 : s0 + c]
        out[k] = seq[::-1].tobytes() < seq.tobytes()
    return out


def _streets_by_geometry(
    a: np.ndarray,
    b: np.ndarray,
    backward: np.ndarray,
    coords: np.ndarray,
    e_start: np.ndarray,
    n_coord: np.ndarray,
) -> np.ndarray:
    """Streets from the exact vertices (the hash-collision fallback).

    Edges with the same ends and the same vertices in canonical order (read
    backwards where ``backward``) are one street, numbered in order of first
    appearance like the hashed path. One Python step per edge, but only needed
    after a 64-bit hash collision.
    """
    keys = []
    for i in range(len(a)):
        c = coords[e_start[i] : e_start[i] + n_coord[i]]
        keys.append((int(a[i]), int(b[i]), (c[::-1] if backward[i] else c).tobytes()))
    return pd.factorize(pd.Series(keys, dtype=object))[0].astype(np.int64)


@dataclass(frozen=True)
class StreetIndex:
    """Undirected streets over a network's directed edges, with an STRtree.

    One street per distinct geometry between the same two nodes: the two
    directions of a bidirectional street are one street. Build it with
    :meth:`from_edges`; the parameters are kept as attributes of the same names.

    Parameters
    ----------
    edge
        Per street, the representative directed edge (travel along it is allowed).
    reverse_edge
        Per street, the shortest edge running the other way along the same
        geometry, or -1.
    geometry
        Per street, the representative edge's LineString (oriented from its ``u``).
    street_of_edge
        Per directed edge, its street.
    oriented
        Per directed edge, its own geometry oriented from ``u`` (None where the
        graph had none: a straight line between the nodes).
    coords, start, cum
        The streets' vertices (``coords[start[s]:start[s + 1]]`` for street
        ``s``) and the distance in metres along the street at each vertex.
    tree
        ``shapely.STRtree`` over ``geometry``.

    Examples
    --------
    >>> import networkx as nx
    >>> from coverage15.access import WalkNetwork
    >>> G = nx.MultiDiGraph(crs="EPSG:32648")
    >>> G.add_nodes_from([(1, {"x": 0.0, "y": 0.0}), (2, {"x": 100.0, "y": 0.0})])
    >>> _ = G.add_edge(1, 2, length=100.0); _ = G.add_edge(2, 1, length=100.0)
    >>> streets = WalkNetwork.from_graph(G).streets
    >>> len(streets.geometry)  # both directions are one street
    1
    """

    edge: np.ndarray
    reverse_edge: np.ndarray
    geometry: np.ndarray
    street_of_edge: np.ndarray
    oriented: np.ndarray
    coords: np.ndarray
    start: np.ndarray
    cum: np.ndarray
    tree: shapely.STRtree

    @classmethod
    def from_edges(
        cls,
        u: np.ndarray,
        v: np.ndarray,
        length: np.ndarray,
        geometry: np.ndarray | None,
        node_x: np.ndarray,
        node_y: np.ndarray,
    ) -> StreetIndex:
        """Group directed edges into undirected streets and index them.

        Parameters
        ----------
        u, v
            Node positions of each directed edge's ends.
        length
            Edge lengths in metres.
        geometry
            Edge LineStrings (None: a straight line between the nodes). A
            geometry stored from ``v`` to ``u`` is reversed.
        node_x, node_y
            Node coordinates.

        Returns
        -------
        StreetIndex

        Raises
        ------
        NetworkError
            A geometry that is not a LineString.

        Examples
        --------
        >>> import numpy as np
        >>> xy = np.array([0.0, 10.0, 20.0]), np.zeros(3)
        >>> s = StreetIndex.from_edges(np.array([0, 1, 1]), np.array([1, 0, 2]),
        ...                            np.array([10.0, 10.0, 10.0]), None, *xy)
        >>> s.edge.tolist(), s.reverse_edge.tolist(), s.cum.tolist()
        ([0, 2], [1, -1], [0.0, 10.0, 0.0, 10.0])
        """
        u = np.asarray(u, dtype=np.int64)
        v = np.asarray(v, dtype=np.int64)
        m = len(u)
        geoms = np.empty(m, dtype=object)
        if geometry is not None:
            geoms[:] = np.asarray(geometry, dtype=object)
        type_id = shapely.get_type_id(geoms)
        wrong = (type_id >= 0) & (type_id != shapely.GeometryType.LINESTRING)
        if wrong.any():
            i = int(np.flatnonzero(wrong)[0])
            raise NetworkError(
                f"edge geometries must be LineStrings; edge {i} is {geoms[i].geom_type}"
            )
        nc = shapely.get_num_coordinates(geoms)
        has = nc >= 2  # None and empty lines: straight lines between the nodes
        geoms[~has] = None
        hi = np.flatnonzero(has)
        # every edge's vertices: its geometry's, or its two nodes'
        n_coord = np.full(m, 2, dtype=np.int64)
        n_coord[hi] = nc[hi]
        e_start = offsets_from_counts(n_coord)[:-1]
        coords = np.empty((int(n_coord.sum()), 2))
        if len(hi):
            coords[ragged_arange(n_coord[hi], e_start[hi])] = shapely.get_coordinates(geoms[hi])
            # orient every geometry from u (some sources store it from v)
            first = coords[e_start[hi]]
            du = np.hypot(first[:, 0] - node_x[u[hi]], first[:, 1] - node_y[u[hi]])
            dv = np.hypot(first[:, 0] - node_x[v[hi]], first[:, 1] - node_y[v[hi]])
            flip = hi[(dv < du) & (u[hi] != v[hi])]
            if len(flip):
                geoms[flip] = shapely.reverse(geoms[flip])
                coords[ragged_arange(n_coord[flip], e_start[flip])] = coords[
                    _canonical_vertices(flip, np.ones(len(flip), dtype=bool), e_start, n_coord)
                ]
        mi = np.flatnonzero(~has)
        coords[e_start[mi]] = np.column_stack([node_x[u[mi]], node_y[u[mi]]])
        coords[e_start[mi] + 1] = np.column_stack([node_x[v[mi]], node_y[v[mi]]])
        if m:
            hf, hr = _line_hashes(coords, e_start, n_coord, np.repeat(np.arange(m), n_coord))
        else:
            hf = hr = np.empty(0, dtype=np.uint64)
        # canonical orientation: from the lower node position; a loop, the way its
        # vertices sort lower (bytewise), so both directions of a loop are one street
        backward = u > v
        loops = np.flatnonzero(u == v)
        backward[loops] = _loop_runs_backward(coords, e_start[loops], n_coord[loops])
        canon = np.where(backward, hr, hf)
        a, b = np.minimum(u, v), np.maximum(u, v)
        with np.errstate(over="ignore"):
            key = _mix(canon ^ _mix(a.astype(np.uint64) * _K1 + b.astype(np.uint64)))
        street = pd.factorize(key)[0].astype(np.int64)
        # a 64-bit hash collision is practically impossible, but check every street's
        # members exactly (same ends, same vertices in canonical order) all the same
        if not _same_as_first_member(street, a, b, backward, coords, e_start, n_coord):
            street = _streets_by_geometry(a, b, backward, coords, e_start, n_coord)
        n_streets = int(street.max()) + 1 if m else 0
        # shortest edge per (street, direction)
        slot = street * 2 + backward
        best = np.full(2 * n_streets, -1, dtype=np.int64)
        best[slot] = np.arange(m)  # one of the edges of each (street, direction) ...
        dup = np.bincount(slot, minlength=2 * n_streets) > 1
        if dup.any():  # ... and the shortest where a slot holds several
            cand = np.flatnonzero(dup[slot])
            order = cand[np.lexsort((cand, length[cand], slot[cand]))]
            first = run_starts(slot[order])
            best[slot[order[first]]] = order[first]
        pair = best.reshape(n_streets, 2)
        has_fwd = pair[:, 0] >= 0
        rep = np.where(has_fwd, pair[:, 0], pair[:, 1])
        rev = np.where(has_fwd, pair[:, 1], -1)
        # the streets' vertices and distances along them
        s_n = n_coord[rep]
        s_start = offsets_from_counts(s_n)
        s_coords = coords[ragged_arange(s_n, e_start[rep])]
        seg = np.zeros(len(s_coords))
        if len(seg) > 1:
            seg[1:] = np.hypot(*(s_coords[1:] - s_coords[:-1]).T)
        seg[s_start[:-1]] = 0.0
        cum = np.cumsum(seg)
        cum -= np.repeat(cum[s_start[:-1]], s_n)
        street_geoms = geoms[rep]
        straight = np.flatnonzero(~has[rep])
        if len(straight):
            ends = s_coords[s_start[straight][:, None] + np.arange(2)]
            street_geoms[straight] = shapely.linestrings(ends)
        return cls(
            edge=rep,
            reverse_edge=rev,
            geometry=street_geoms,
            street_of_edge=street,
            oriented=geoms,
            coords=s_coords,
            start=s_start,
            cum=cum,
            tree=shapely.STRtree(street_geoms, node_capacity=_NODE_CAPACITY),
        )

    def edge_geometries(self, u: np.ndarray, v: np.ndarray, node_x, node_y) -> np.ndarray:
        """Every directed edge's LineString from ``u`` (straight lines filled in).

        Parameters
        ----------
        u, v
            Node positions (indices into ``node_x``/``node_y``) of each directed
            edge's start and end.
        node_x, node_y
            Node coordinates by node position, in the network's CRS.

        Returns
        -------
        numpy.ndarray
            One shapely LineString per directed edge, oriented from ``u`` to
            ``v``; edges without a geometry get the straight line between their
            nodes.

        Examples
        --------
        >>> import networkx as nx
        >>> from coverage15.access import WalkNetwork
        >>> G = nx.MultiDiGraph(crs="EPSG:32648")
        >>> G.add_nodes_from([(1, {"x": 0.0, "y": 0.0}), (2, {"x": 3.0, "y": 4.0})])
        >>> _ = G.add_edge(1, 2, length=5.0); _ = G.add_edge(2, 1, length=5.0)
        >>> net = WalkNetwork.from_graph(G)
        >>> [g.wkt for g in net.edge_geometry]
        ['LINESTRING (0 0, 3 4)', 'LINESTRING (3 4, 0 0)']
        """
        out = self.oriented.copy()
        mi = np.flatnonzero(shapely.is_missing(out))
        if len(mi):
            ends = np.stack(
                [
                    np.column_stack([node_x[u[mi]], node_y[u[mi]]]),
                    np.column_stack([node_x[v[mi]], node_y[v[mi]]]),
                ],
                axis=1,
            )
            out[mi] = shapely.linestrings(ends)
        return out

    def locate(
        self, street: np.ndarray, xy: np.ndarray, *, chunk: int = 200_000
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Nearest location on given streets: (leg, fraction along the street, foot xy).

        Vectorised projection of each point on every segment of its street.

        Parameters
        ----------
        street
            Street index (into this index) for each point.
        xy
            Point coordinates, n × 2, in the network's CRS.
        chunk
            Points projected per batch (bounds the memory of the segment arrays).

        Returns
        -------
        tuple of numpy.ndarray
            ``leg`` (perpendicular distance in CRS units), ``frac`` (0–1 along
            the street from its first node) and ``foot`` (n × 2, the nearest
            location on the street).

        Examples
        --------
        >>> import numpy as np
        >>> s = StreetIndex.from_edges(np.array([0]), np.array([1]), np.array([10.0]), None,
        ...                            np.array([0.0, 10.0]), np.array([0.0, 0.0]))
        >>> leg, frac, foot = s.locate(np.array([0]), np.array([[4.0, 3.0]]))
        >>> leg.tolist(), frac.tolist(), foot.tolist()
        ([3.0], [0.4], [[4.0, 0.0]])
        """
        n = len(street)
        leg = np.empty(n)
        frac = np.empty(n)
        foot = np.empty((n, 2))
        for lo in range(0, n, chunk):
            sl = slice(lo, min(lo + chunk, n))
            leg[sl], frac[sl], foot[sl] = self._locate(street[sl], xy[sl])
        return leg, frac, foot

    def _locate(self, street: np.ndarray, xy: np.ndarray) -> tuple[np.ndarray, ...]:
        first = self.start[street]
        n_seg = self.start[street + 1] - first - 1
        pt = np.repeat(np.arange(len(street)), n_seg)
        k = ragged_arange(n_seg, first)  # the first vertex of every segment of each street
        a, b, p = self.coords[k], self.coords[k + 1], xy[pt]
        ab = b - a
        ab2 = np.einsum("ij,ij->i", ab, ab)
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.clip(np.einsum("ij,ij->i", p - a, ab) / ab2, 0.0, 1.0)
        t[ab2 == 0] = 0.0
        f = a + t[:, None] * ab
        d2 = np.einsum("ij,ij->i", p - f, p - f)
        # first segment with the smallest distance, per point (segments are grouped by point)
        seg0 = offsets_from_counts(n_seg)[:-1]
        is_min = d2 == np.repeat(np.minimum.reduceat(d2, seg0), n_seg)
        cand = np.flatnonzero(is_min)
        head = cand[np.searchsorted(cand, seg0)]
        along = self.cum[k[head]] + t[head] * np.sqrt(ab2[head])
        total = self.cum[self.start[street + 1] - 1]
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.where(total > 0, along / total, 0.0)
        return np.sqrt(d2[head]), np.clip(frac, 0.0, 1.0), f[head]


def point_array(
    points: gpd.GeoSeries | gpd.GeoDataFrame,
    crs: Any,
    *,
    source: str = "points",
) -> np.ndarray:
    """Validated point geometries of ``points`` as a shapely array.

    Parameters
    ----------
    points
        Points in the network's CRS.
    crs
        The network's CRS (``None`` skips the check).
    source
        Name of the input in error messages.

    Returns
    -------
    numpy.ndarray
        Shapely Points.

    Raises
    ------
    InputError
        Not a GeoSeries / GeoDataFrame, another CRS, missing, empty or
        non-point geometries, or non-finite coordinates.

    Examples
    --------
    >>> import geopandas as gpd
    >>> import shapely
    >>> point_array(gpd.GeoSeries([shapely.Point(1, 2)], crs=3857), "EPSG:3857").tolist()
    [<POINT (1 2)>]
    """
    return points_and_xy(points, crs, source=source)[0]


def points_and_xy(
    points: gpd.GeoSeries | gpd.GeoDataFrame,
    crs: Any,
    *,
    source: str = "points",
) -> tuple[np.ndarray, np.ndarray]:
    """Validated points (see :func:`point_array`) and their coordinates (n × 2).

    Parameters
    ----------
    points
        Points in the network's CRS.
    crs
        The network's CRS (``None`` skips the check).
    source
        Name of the input in error messages.

    Returns
    -------
    tuple of numpy.ndarray
        The shapely Points and their coordinates (n × 2 floats).

    Raises
    ------
    InputError
        As :func:`point_array`.

    Examples
    --------
    >>> import geopandas as gpd
    >>> import shapely
    >>> points_and_xy(gpd.GeoSeries([shapely.Point(1, 2)]), None)[1].tolist()
    [[1.0, 2.0]]
    """
    if isinstance(points, gpd.GeoDataFrame):
        geo = points.geometry
    elif isinstance(points, gpd.GeoSeries):
        geo = points
    else:
        raise InputError(
            f"expected a GeoSeries or GeoDataFrame of points, got {type(points).__name__}",
            source=source,
        )
    if crs is not None:
        if geo.crs is None:
            raise InputError(
                f"points have no CRS; set or reproject them to the network's CRS ({CRS(crs).name})",
                source=source,
            )
        if not CRS(geo.crs).equals(crs, ignore_axis_order=True):
            raise InputError(
                f"points are in {CRS(geo.crs).name}, the network in {CRS(crs).name}; "
                "reproject them first (GeoDataFrame.to_crs)",
                source=source,
            )
    arr = np.asarray(geo.array, dtype=object)
    type_id = shapely.get_type_id(arr)
    missing = type_id < 0
    if missing.any():
        raise InputError(
            f"{int(missing.sum())} point(s) have no geometry",
            source=source,
            rows=list(geo.index[missing]),
        )
    not_point = type_id != shapely.GeometryType.POINT
    if not_point.any():
        raise InputError(
            f"{int(not_point.sum())} geometr(y/ies) are not points; use representative points "
            "for polygons and multipart features",
            source=source,
            rows=list(geo.index[not_point]),
        )
    xy = shapely.get_coordinates(arr)
    if len(xy) != len(arr):
        empty = shapely.is_empty(arr)
        raise InputError(
            f"{int(empty.sum())} point(s) are empty", source=source, rows=list(geo.index[empty])
        )
    bad = ~np.isfinite(xy).all(axis=1)
    if bad.any():
        raise InputError("non-finite point coordinates", source=source, rows=list(geo.index[bad]))
    return arr, xy


def points_key(xy: np.ndarray, max_leg_m: float | None) -> str:
    """Content key of point coordinates and the snapping tolerance, for snap caches.

    Parameters
    ----------
    xy
        Point coordinates, n × 2.
    max_leg_m
        The snapping tolerance the snaps were made with (``None``: no limit).

    Returns
    -------
    str
        A hex digest (BLAKE2b, 128 bits): equal for the same coordinates in the
        same order and the same tolerance.

    Examples
    --------
    >>> import numpy as np
    >>> a = points_key(np.array([[0.0, 0.0], [1.0, 1.0]]), 500.0)
    >>> a == points_key(np.array([[0.0, 0.0], [1.0, 1.0]]), 500.0)
    True
    """
    h = hashlib.blake2b(digest_size=16)
    h.update(np.ascontiguousarray(xy, dtype=np.float64).tobytes())
    h.update(repr(None if max_leg_m is None else float(max_leg_m)).encode())
    return h.hexdigest()


def _node_labels(node_ids: np.ndarray, pos: np.ndarray, ok: np.ndarray) -> Any:
    """Node labels at ``pos`` (missing where not ``ok``): nullable Int64 or objects."""
    if np.issubdtype(node_ids.dtype, np.integer):
        vals = np.zeros(len(pos), dtype=np.int64)
        vals[ok] = node_ids[pos[ok]]
        return pd.arrays.IntegerArray(vals, ~ok)
    out = np.full(len(pos), None, dtype=object)
    out[ok] = node_ids[pos[ok]]
    return out


#: Points per thread below which snapping stays in one thread.
_MIN_POINTS_PER_THREAD = 10_000


def snap_threads() -> int:
    """Threads used to snap large point sets (the GEOS nearest query releases the GIL).

    The environment variable ``COVERAGE15_THREADS`` sets it (e.g. ``1`` inside
    a process pool that already fills every core); by default the cores this
    process may use, at most 8.

    Returns
    -------
    int
        At least 1.

    Examples
    --------
    >>> import os
    >>> os.environ["COVERAGE15_THREADS"] = "3"  # e.g. in each worker of a process pool
    >>> snap_threads()
    3
    >>> del os.environ["COVERAGE15_THREADS"]
    """
    env = os.environ.get("COVERAGE15_THREADS", "").strip()
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            raise InputError(f"COVERAGE15_THREADS must be a whole number, got {env!r}") from None
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8))


def _in_threads(work: Any, n: int) -> list[tuple[slice, Any]]:
    """Run ``work(slice)`` over contiguous slices of ``range(n)``, in threads when large."""
    k = max(1, min(snap_threads(), n // _MIN_POINTS_PER_THREAD))
    bounds = np.linspace(0, n, k + 1).astype(int)
    slices = [slice(int(a), int(b)) for a, b in itertools.pairwise(bounds.tolist())]
    if k == 1:
        return [(slices[0], work(slices[0]))]
    with ThreadPoolExecutor(max_workers=k) as pool:
        return list(zip(slices, pool.map(work, slices), strict=True))


def _nearest_streets(
    streets: StreetIndex,
    among: StreetSubset | None,
    arr: np.ndarray,
    xy: np.ndarray,
    max_leg_m: float | None,
) -> tuple[np.ndarray, ...]:
    """Nearest street of each point within ``max_leg_m``: (point, street, leg, frac, foot)."""
    tree = streets.tree if among is None else among.tree
    (i_q, i_st), dist = tree.query_nearest(arr, return_distance=True, all_matches=False)
    if max_leg_m is not None and np.isfinite(max_leg_m):
        near = dist <= max_leg_m
        i_q, i_st = i_q[near], i_st[near]
    if among is not None:
        i_st = among.street[i_st]
    leg, frac, foot = streets.locate(i_st, xy[i_q])
    return i_q, i_st, leg, frac, foot


@dataclass(frozen=True)
class StreetSubset:
    """Some of a :class:`StreetIndex`'s streets with their own STRtree (e.g. not on islands).

    Parameters
    ----------
    street
        Street positions (into the index) of the subset.
    tree
        ``shapely.STRtree`` over those streets' geometries, in the same order.

    Examples
    --------
    >>> import numpy as np
    >>> s = StreetIndex.from_edges(np.array([0, 1]), np.array([1, 2]), np.array([1.0, 1.0]),
    ...                            None, np.array([0.0, 1.0, 5.0]), np.zeros(3))
    >>> StreetSubset.of(s, np.array([False, True])).street.tolist()
    [1]
    """

    street: np.ndarray
    tree: shapely.STRtree

    @classmethod
    def of(cls, streets: StreetIndex, keep: np.ndarray) -> StreetSubset:
        """The streets where ``keep`` is True, indexed.

        Parameters
        ----------
        streets
            The full index.
        keep
            Boolean per street.

        Returns
        -------
        StreetSubset

        Examples
        --------
        >>> import numpy as np
        >>> s = StreetIndex.from_edges(np.array([0]), np.array([1]), np.array([1.0]), None,
        ...                            np.array([0.0, 1.0]), np.zeros(2))
        >>> len(StreetSubset.of(s, np.array([True])).street)
        1
        """
        ids = np.flatnonzero(keep)
        return cls(ids, shapely.STRtree(streets.geometry[ids], node_capacity=_NODE_CAPACITY))


@runtime_checkable
class Snappable(Protocol):
    """What :func:`snap_array` needs of a network (a :class:`~coverage15.access.WalkNetwork`).

    Examples
    --------
    >>> from coverage15.access import WalkNetwork
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph(crs="EPSG:32650")
    >>> G.add_nodes_from([(1, {"x": 0.0, "y": 0.0}), (2, {"x": 10.0, "y": 0.0})])
    >>> _ = G.add_edge(1, 2, length=10.0)
    >>> isinstance(WalkNetwork.from_graph(G), Snappable)
    True
    """

    node_ids: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_length: np.ndarray

    @property
    def streets(self) -> StreetIndex: ...


def snap_array(
    network: Snappable,
    arr: np.ndarray,
    *,
    max_leg_m: float | None = 500.0,
    xy: np.ndarray | None = None,
    among: StreetSubset | None = None,
) -> dict[str, np.ndarray]:
    """Snap a validated point array; the columns of a snap table as arrays (no warning).

    Parameters
    ----------
    network
        The prepared :class:`~coverage15.access.WalkNetwork`.
    arr
        Shapely Points in the network's CRS, validated (see :func:`point_array`).
    max_leg_m
        Points farther than this from every street are not snapped (``None``:
        no limit).
    xy
        The points' coordinates (n × 2), when already at hand.
    among
        Snap only to these streets (default: all).

    Returns
    -------
    dict of str to numpy.ndarray
        The first columns of :func:`~coverage15.access.snap_points`' table:
        ``edge``, ``reverse_edge``, ``u``, ``v``, ``leg_m``, ``pos_m``,
        ``edge_length_m``, ``snapped``, ``x``, ``y``.

    Examples
    --------
    >>> import networkx as nx
    >>> import shapely
    >>> from coverage15.access import WalkNetwork
    >>> G = nx.MultiDiGraph(crs="EPSG:32650")
    >>> G.add_nodes_from([(1, {"x": 0.0, "y": 0.0}), (2, {"x": 10.0, "y": 0.0})])
    >>> _ = G.add_edge(1, 2, length=10.0)
    >>> snap_array(WalkNetwork.from_graph(G), shapely.points([[2.0, 1.0]]))["pos_m"].tolist()
    [2.0]
    """
    n = len(arr)
    streets = network.streets
    if xy is None:
        xy = shapely.get_coordinates(arr)
    edge = np.full(n, -1, dtype=np.int64)
    rev = np.full(n, -1, dtype=np.int64)
    leg = np.full(n, np.nan)
    pos = np.full(n, np.nan)
    elen = np.full(n, np.nan)
    sx = np.full(n, np.nan)
    sy = np.full(n, np.nan)
    if n and len(streets.edge if among is None else among.street):
        # query in Hilbert order (tree locality: several times faster than input order);
        # without max_distance (an envelope pre-query there costs more than it saves)
        order = np.argsort(gpd.GeoSeries(arr).hilbert_distance().to_numpy(), kind="stable")
        parts = _in_threads(
            lambda sl: _nearest_streets(streets, among, arr[order[sl]], xy[order[sl]], max_leg_m),
            n,
        )
        i_q = np.concatenate([sl.start + p[0] for sl, p in parts])
        i_st, leg_i, frac, foot = (np.concatenate([p[j] for _, p in parts]) for j in range(1, 5))
        i_pt = order[i_q]
        e = streets.edge[i_st]
        length = network.edge_length[e]
        edge[i_pt] = e
        rev[i_pt] = streets.reverse_edge[i_st]
        leg[i_pt] = leg_i
        pos[i_pt] = frac * length
        elen[i_pt] = length
        sx[i_pt] = foot[:, 0]
        sy[i_pt] = foot[:, 1]
    ok = edge >= 0
    eu = np.zeros(n, dtype=np.int64)
    ev = np.zeros(n, dtype=np.int64)
    eu[ok] = network.edge_u[edge[ok]]
    ev[ok] = network.edge_v[edge[ok]]
    return {
        "edge": edge,
        "reverse_edge": rev,
        "u": _node_labels(network.node_ids, eu, ok),
        "v": _node_labels(network.node_ids, ev, ok),
        "leg_m": leg,
        "pos_m": pos,
        "edge_length_m": elen,
        "snapped": ok,
        "x": sx,
        "y": sy,
    }


def snap_avoiding_islands(
    network: Snappable,
    arr: np.ndarray,
    *,
    island_street: np.ndarray,
    mainland: StreetSubset | Callable[[], StreetSubset | None] | None,
    max_leg_m: float | None = 500.0,
    xy: np.ndarray | None = None,
    snap: Callable[..., dict[str, np.ndarray]] | None = None,
) -> dict[str, np.ndarray]:
    """Snap points to their nearest street, or off an island to the nearest other street.

    A point whose nearest street lies on an island is linked instead to the
    nearest street of the ``mainland`` streets within ``max_leg_m``; when there
    is none, it stays on the island.

    Parameters
    ----------
    network
        The prepared network.
    arr
        Validated points (see :func:`point_array`).
    island_street
        Boolean per street of ``network.streets``: on an island.
    mainland
        The streets not on islands, indexed (None when there are none), or a
        function returning them (called only when a point needs them).
    max_leg_m
        Snapping tolerance (``None``: no limit).
    xy
        The points' coordinates (n × 2), when already at hand.
    snap
        The snapping function (default :func:`snap_array`; its signature).

    Returns
    -------
    dict of str to numpy.ndarray
        The columns of :func:`snap_array` for the street each point is linked
        to, then ``on_island`` (the linked street is on an island),
        ``island_edge`` (the nearest street's edge when it was on an island
        and the point was linked elsewhere, else -1), ``island_leg_m`` and
        ``island_pos_m`` (leg and position on that nearest street, else NaN)
        and ``extra_leg_m`` (``leg_m - island_leg_m``: how much longer the
        leg is for avoiding the island, else NaN).

    Examples
    --------
    A 20 m fragment 2 m from the point, the main street 5 m from it:

    >>> import networkx as nx, shapely
    >>> from coverage15.access import WalkNetwork
    >>> G = nx.MultiDiGraph(crs="EPSG:32650")
    >>> G.add_nodes_from([(1, {"x": 0.0, "y": 0.0}), (2, {"x": 500.0, "y": 0.0}),
    ...                   (3, {"x": 0.0, "y": 7.0}), (4, {"x": 20.0, "y": 7.0})])
    >>> _ = G.add_edge(1, 2, length=500.0); _ = G.add_edge(3, 4, length=20.0)
    >>> net = WalkNetwork.from_graph(G, island_max_nodes=2)
    >>> cols = net.snap(gpd.GeoSeries(shapely.points([[10.0, 5.0]]), crs="EPSG:32650"))
    >>> cols[["leg_m", "on_island", "island_leg_m", "extra_leg_m"]].values.tolist()
    [[5.0, False, 2.0, 3.0]]
    """
    if xy is None:
        xy = shapely.get_coordinates(arr)
    if snap is None:
        snap = snap_array
    cols = snap(network, arr, max_leg_m=max_leg_m, xy=xy)
    n = len(arr)
    edge = cols["edge"]
    ok = edge >= 0
    street = network.streets.street_of_edge
    on = np.zeros(n, dtype=bool)
    on[ok] = island_street[street[edge[ok]]]
    cols["on_island"] = on
    cols["island_edge"] = np.full(n, -1, dtype=np.int64)
    for c in ("island_leg_m", "island_pos_m", "extra_leg_m"):
        cols[c] = np.full(n, np.nan)
    todo = np.flatnonzero(on)
    if len(todo) and callable(mainland):
        mainland = mainland()
    if len(todo) and isinstance(mainland, StreetSubset) and len(mainland.street):
        alt = snap(network, arr[todo], max_leg_m=max_leg_m, xy=xy[todo], among=mainland)
        moved = alt["snapped"]
        at = todo[moved]
        cols["island_edge"][at] = edge[at]
        cols["island_leg_m"][at] = cols["leg_m"][at]
        cols["island_pos_m"][at] = cols["pos_m"][at]
        for c in SNAP_COLUMNS:
            cols[c][at] = alt[c][moved]
        cols["extra_leg_m"][at] = cols["leg_m"][at] - cols["island_leg_m"][at]
        on[at] = False
    return cols


def warn_unsnapped(
    snapped: np.ndarray,
    labels: Any,
    *,
    source: str = "points",
    max_leg_m: float | None = 500.0,
    warn: bool = True,
) -> list:
    """Labels of the points not snapped; warns with :class:`UnsnappedWarning` when any.

    Parameters
    ----------
    snapped
        Boolean per point: snapped to a street.
    labels
        A label per point (ids or index labels), named in the warning.
    source
        Name of the input in the warning (e.g. ``"homes"``).
    max_leg_m
        The snapping tolerance, quoted in the warning.
    warn
        Warn (default) or only return the labels.

    Returns
    -------
    list
        Labels of the points that were not snapped (empty when all were).

    Warns
    -----
    UnsnappedWarning
        When some points are not snapped, naming up to ten of them.

    Examples
    --------
    >>> import numpy as np
    >>> warn_unsnapped(np.array([True, True]), ["a", "b"])
    []
    """
    off = ~np.asarray(snapped, dtype=bool)
    if not off.any():
        return []
    found = np.asarray(labels, dtype=object)[off].tolist()
    if warn:
        shown = ", ".join(str(x) for x in found[:10])
        more = f" (+{len(found) - 10} more)" if len(found) > 10 else ""
        warnings.warn(
            f"{len(found)} of {len(off)} {source} farther than {max_leg_m} m from every "
            f"walkable edge were not snapped (routing distances are NaN): {shown}{more}",
            UnsnappedWarning,
            stacklevel=4,
        )
    return found


def snap_table(
    cols: dict[str, Any], index: pd.Index, *, unsnapped: list, max_leg_m: float | None
) -> pd.DataFrame:
    """The public snap table from snap columns (see :func:`~coverage15.access.snap_points`).

    Parameters
    ----------
    cols
        Snap columns, as from :func:`snap_array`.
    index
        Index of the snapped points (the table is aligned with it).
    unsnapped
        Labels of the points that were not snapped.
    max_leg_m
        The snapping tolerance used.

    Returns
    -------
    pandas.DataFrame
        The columns, with ``attrs`` ``n_unsnapped``, ``unsnapped`` and ``max_leg_m``.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> t = snap_table({"snapped": np.array([True])}, pd.RangeIndex(1), unsnapped=[],
    ...                max_leg_m=500.0)
    >>> t.attrs["n_unsnapped"]
    0
    """
    table = pd.DataFrame(cols, index=index, copy=True)
    table.attrs = {
        "n_unsnapped": len(unsnapped),
        "unsnapped": list(unsnapped),
        "max_leg_m": max_leg_m,
    }
    return table


def network_signature(
    node_x: np.ndarray,
    node_y: np.ndarray,
    edge_u: np.ndarray,
    edge_v: np.ndarray,
    edge_length: np.ndarray,
) -> str:
    """A digest of a network's nodes, edges and costs: snaps are valid only for it.

    Parameters
    ----------
    node_x, node_y
        Node coordinates.
    edge_u, edge_v
        Node positions of each directed edge's ends.
    edge_length
        Edge costs in metres.

    Returns
    -------
    str
        SHA-1 hex digest (40 characters) of the arrays' bytes.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([0.0, 10.0])
    >>> a = network_signature(x, 0 * x, np.array([0]), np.array([1]), np.array([10.0]))
    >>> b = network_signature(x, 0 * x, np.array([0]), np.array([1]), np.array([11.0]))
    >>> len(a), a == b
    (40, False)
    """
    h = hashlib.sha1()
    for arr in (node_x, node_y, edge_u, edge_v, edge_length):
        h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()


@dataclass
class SnapEntry:
    """One cached snap: its columns (see :func:`snap_array`) and derived routing arrays.

    Parameters
    ----------
    cols
        The snap columns.
    derived
        Whatever the routing engine derives from ``cols`` once (filled on first use).

    Examples
    --------
    >>> import numpy as np
    >>> SnapEntry({"snapped": np.array([True])}).derived is None
    True
    """

    cols: dict[str, Any]
    derived: Any = None


class SnapCache:
    """Snaps of point sets on one network, kept by the points' coordinates (most recent first).

    Snapping a million homes costs seconds; a rerun with new facilities or
    another profile reuses the homes' snap. The cache is tied to the network
    by its signature (see :func:`network_signature`): :meth:`save` writes it
    with the signature and :meth:`load` reads only a file saved for the same
    network.

    Parameters
    ----------
    signature
        A function returning the network's signature (called when saving or
        loading, so a network that never saves does not compute it).
    size
        Point sets kept; the least recently used is dropped beyond it.

    Examples
    --------
    >>> import numpy as np
    >>> cache = SnapCache(lambda: "net-1", size=2)
    >>> key = points_key(np.array([[0.0, 0.0]]), 500.0)
    >>> cache.put(key, SnapEntry({"snapped": np.array([True])}))
    >>> cache.get(key).cols["snapped"].tolist(), len(cache)
    ([True], 1)
    """

    def __init__(self, signature: Callable[[], str], *, size: int = 8) -> None:
        self._signature = signature
        self.size = size
        self._entries: OrderedDict[str, SnapEntry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> SnapEntry | None:
        """The entry for a points key (marked most recently used), or None.

        Parameters
        ----------
        key
            From :func:`points_key`.

        Returns
        -------
        SnapEntry or None

        Examples
        --------
        >>> SnapCache(lambda: "x").get("no such key") is None
        True
        """
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def put(self, key: str, entry: SnapEntry) -> None:
        """Keep an entry (dropping the least recently used beyond :attr:`size`).

        Parameters
        ----------
        key
            From :func:`points_key`.
        entry
            The snap.

        Examples
        --------
        >>> import numpy as np
        >>> cache = SnapCache(lambda: "x", size=1)
        >>> cache.put("a", SnapEntry({})); cache.put("b", SnapEntry({}))
        >>> cache.get("a") is None, len(cache)
        (True, 1)
        """
        self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def snap(
        self,
        xy: np.ndarray,
        *,
        max_leg_m: float | None,
        make: Callable[[], dict[str, Any]],
    ) -> SnapEntry:
        """The cached snap of points with these coordinates, made by ``make()`` if new.

        Parameters
        ----------
        xy
            The points' coordinates (n × 2): with ``max_leg_m``, the key.
        max_leg_m
            Snapping tolerance.
        make
            Snaps the points (e.g. with :func:`snap_array`) when not cached.

        Returns
        -------
        SnapEntry

        Examples
        --------
        >>> import numpy as np
        >>> cache = SnapCache(lambda: "net-1")
        >>> calls = []
        >>> make = lambda: calls.append(1) or {"snapped": np.array([True])}
        >>> xy = np.array([[2.0, 1.0]])
        >>> a = cache.snap(xy, max_leg_m=500.0, make=make)
        >>> a is cache.snap(xy.copy(), max_leg_m=500.0, make=make), len(calls)
        (True, 1)
        """
        key = points_key(xy, max_leg_m)
        entry = self.get(key)
        if entry is None:
            with gc_paused():
                entry = SnapEntry(make())
            self.put(key, entry)
        return entry

    def save(self, path: str | os.PathLike) -> int:
        """Write the cached snaps and the network's signature to a file (atomically).

        Parameters
        ----------
        path
            File to write (a pickle, e.g. ``snaps.pkl``); replaced if it exists.

        Returns
        -------
        int
            The number of snap sets saved.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> f = pathlib.Path(tempfile.mkdtemp()) / "snaps.pkl"
        >>> cache = SnapCache(lambda: "net-1")
        >>> cache.put("k", SnapEntry({}))
        >>> cache.save(f), SnapCache(lambda: "net-1").load(f), SnapCache(lambda: "other").load(f)
        (1, 1, 0)
        """
        payload = {
            "signature": self._signature(),
            "snaps": {k: e.cols for k, e in self._entries.items()},
        }
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            pickle.dump(payload, fh, protocol=pickle.HIGHEST_PROTOCOL)
        return len(payload["snaps"])

    def load(self, path: str | os.PathLike) -> int:
        """Read snaps written by :meth:`save` for the same network; others are ignored (0).

        Parameters
        ----------
        path
            File written by :meth:`save`. A missing or unreadable file, or one
            saved for a network with another signature, is ignored.

        Returns
        -------
        int
            The number of snap sets read (0 when the file was ignored).

        Examples
        --------
        >>> SnapCache(lambda: "x").load("no/such/snaps.pkl")
        0
        """
        path = Path(path)
        if not path.is_file():
            return 0
        try:
            with open(path, "rb") as fh, gc_paused():
                payload = pickle.load(fh)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
            return 0
        if not isinstance(payload, dict) or payload.get("signature") != self._signature():
            return 0
        for key, cols in payload["snaps"].items():
            if key not in self._entries:
                self._entries[key] = SnapEntry(cols)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return len(payload["snaps"])
