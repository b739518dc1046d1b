"""The routing engine: walking distances from homes to facilities on a prepared network.

:class:`WalkNetwork` holds the expensive state, built once from a projected
osmnx walk graph: node and edge arrays, the CSR adjacency and its transpose
(scipy.sparse), weakly connected component labels and the street STRtree used
for snapping. Its queries are vectorised numpy around
:func:`scipy.sparse.csgraph.dijkstra`:

* :meth:`WalkNetwork.nearest_facilities`: per category, ONE bounded
  multi-source Dijkstra from all facilities of the category, on the reversed
  graph (so one-way streets count in the home → facility direction).
* :meth:`WalkNetwork.catchment_pairs`: every facility–home pair within a
  bound (for 2SFCA), from per-facility bounded searches in memory-capped
  chunks, kept sparse.

How a distance is measured: homes and facilities sit on edges (see
:mod:`coverage15.snap`). Each facility becomes a virtual node joined to its
edge's ends by ``leg + partial edge length`` (only in the directions its street
may be walked); a home's distance is its own leg plus the best of its edge's
usable ends (partial edge + node distance), or the direct distance along the
edge when home and facility are on the same street and the direction allows.
Both off-network legs are included. Beyond the bound, or unreachable, is NaN,
never a cap value.

Examples
--------
>>> import geopandas as gpd
>>> import networkx as nx
>>> import shapely
>>> G = nx.MultiDiGraph(crs="EPSG:32650")
>>> G.add_nodes_from((i, {"x": 100.0 * i, "y": 0.0}) for i in range(4))
>>> for i in range(3):
...     _ = G.add_edge(i, i + 1, length=100.0)
...     _ = G.add_edge(i + 1, i, length=100.0)
>>> net = WalkNetwork.from_graph(G)
>>> homes = gpd.GeoSeries(shapely.points([[10, 5], [290, 0]]), crs="EPSG:32650")
>>> shops = gpd.GeoDataFrame({"category": ["shop"], "facility_id": ["S1"]},
...                          geometry=shapely.points([[150, -2]]), crs="EPSG:32650")
>>> r = net.nearest_facilities(homes, shops, max_distance_m=1000)
>>> r["dist_m__shop"].tolist()  # 5 + 140 + 2 and 0 + 140 + 2
[147.0, 142.0]
>>> r["facility__shop"].tolist()
['S1', 'S1']
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components, dijkstra

from coverage15._errors import InputError, NetworkError
from coverage15.snap import (
    SNAP_COLUMNS,
    StreetIndex,
    gc_paused,
    points_and_xy,
    points_key,
    snap_array,
    snap_table,
    warn_unsnapped,
)

#: Bytes of one dense block of per-facility search results in catchment_pairs.
CHUNK_BYTES = 50_000_000
_NAN_UNLESS = np.array([np.nan, 0.0])  # indexed by "within the bound"
_SNAP_CACHE_SIZE = 8


@dataclass(frozen=True)
class _Placed:
    """Snapped points as arrays (only rows with ``ok`` are meaningful)."""

    ok: np.ndarray  # bool, snapped
    edge: np.ndarray  # representative edge (-1 when not snapped)
    u: np.ndarray  # node position of the edge's u
    v: np.ndarray  # node position of the edge's v
    leg: np.ndarray  # off-network leg, m
    frac: np.ndarray  # fraction along the edge from u
    len_f: np.ndarray  # length of the edge u -> v
    len_b: np.ndarray  # length of the reverse edge v -> u (NaN when one-way)

    @property
    def has_rev(self) -> np.ndarray:
        return np.isfinite(self.len_b)

    def exit_v(self) -> np.ndarray:
        """Point → v along the edge."""
        return (1.0 - self.frac) * self.len_f

    def exit_u(self) -> np.ndarray:
        """Point → u against the edge (inf when one-way)."""
        return np.where(self.has_rev, self.frac * self.len_b, np.inf)

    def entry_u(self) -> np.ndarray:
        """u → point along the edge."""
        return self.frac * self.len_f

    def entry_v(self) -> np.ndarray:
        """v → point against the edge (inf when one-way)."""
        return np.where(self.has_rev, (1.0 - self.frac) * self.len_b, np.inf)

    def take(self, idx: np.ndarray) -> _Placed:
        return _Placed(*(getattr(self, f)[idx] for f in self.__dataclass_fields__))


@dataclass
class _SnapEntry:
    """A cached snap: its columns and, once needed, its routing arrays."""

    cols: dict[str, Any]
    _placed: _Placed | None = None

    def placed(self, network: WalkNetwork) -> _Placed:
        if self._placed is None:
            self._placed = network._placed(self.cols)
        return self._placed


def _along(home: _Placed, hi: np.ndarray, fac: _Placed, fi: np.ndarray) -> np.ndarray:
    """Direct distance along a shared street from home ``hi`` to facility ``fi``."""
    fh = home.frac[hi]
    ff = fac.frac[fi]
    fwd = (ff - fh) * fac.len_f[fi]
    bwd = np.where(fac.has_rev[fi], (fh - ff) * fac.len_b[fi], np.inf)
    return np.where(ff >= fh, fwd, bwd)


def _same_street_pairs(home_edge: np.ndarray, fac_edge: np.ndarray) -> tuple[np.ndarray, ...]:
    """All (home, facility) position pairs snapped to the same street (vectorised join)."""
    cand = np.flatnonzero(np.isin(home_edge, fac_edge))
    order = np.argsort(fac_edge, kind="stable")
    sorted_edges = fac_edge[order]
    lo = np.searchsorted(sorted_edges, home_edge[cand], side="left")
    count = np.searchsorted(sorted_edges, home_edge[cand], side="right") - lo
    h = np.repeat(cand, count)
    start = np.repeat(lo - np.cumsum(count) + count, count)
    f = order[start + np.arange(len(h))]
    return h, f


def _concat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)


def _csr_from_pairs(u: np.ndarray, v: np.ndarray, w: np.ndarray, n: int) -> sparse.csr_array:
    """CSR adjacency (sorted indices) keeping the minimum weight over parallel (u, v) pairs."""
    key = u * np.int64(n) + v
    order = np.argsort(key)
    key = key[order]
    head = np.ones(len(key), dtype=bool)
    head[1:] = key[1:] != key[:-1]
    start = np.flatnonzero(head)
    w = np.minimum.reduceat(w[order], start) if len(start) else w[:0]
    key = key[start]
    itype = np.int32 if max(n, len(key)) < 2**31 - 1 else np.int64
    indptr = np.zeros(n + 1, dtype=itype)
    np.cumsum(np.bincount(key // n, minlength=n), out=indptr[1:])
    return sparse.csr_array((w.astype(np.float64), (key % n).astype(itype), indptr), shape=(n, n))


class WalkNetwork:
    """A walking network prepared for fast routing (like pandana's ``Network``).

    Build it once with :meth:`from_graph`; then snap and route as often as
    needed. Snaps are cached on the object by the points' coordinates, so a
    rerun with new facilities does not snap the homes again.

    Parameters
    ----------
    node_ids
        Node labels (e.g. OSM ids), one per node.
    x, y
        Node coordinates in a projected metric CRS.
    edge_u, edge_v
        Directed edges as positions into ``node_ids``.
    edge_length
        Edge lengths in metres (the walking cost).
    edge_geometry
        LineStrings oriented from ``u`` (None entries: straight lines).
    crs
        The CRS of the coordinates.
    edge_keys
        Optional edge keys (of a MultiDiGraph), for :attr:`edge_index`.

    Attributes
    ----------
    node_ids, node_x, node_y
        Node labels and coordinates (node arrays; positions index them).
    edge_u, edge_v, edge_length
        Directed edges: node positions of the ends and the length in metres
        (edge arrays; ``edge`` in snap tables indexes them).
    edge_geometry
        Edge LineStrings oriented from ``u`` (built on first use; alias
        ``edge_geometries``). ``street_geometries``: one per undirected street.
    csr
        ``scipy.sparse.csr_array`` (nodes × nodes), minimum length over parallel
        edges (self-loops left out).
    csr_reverse
        Its transpose (edges reversed), used to search towards facilities.
    component, n_components
        Weakly connected component label per node (computed on first use).
    streets
        The :class:`~coverage15.snap.StreetIndex` with the STRtree (built on first use).

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph(crs="EPSG:32650")
    >>> G.add_nodes_from([(1, {"x": 0.0, "y": 0.0}), (2, {"x": 50.0, "y": 0.0})])
    >>> _ = G.add_edge(1, 2, length=50.0)
    >>> net = WalkNetwork.from_graph(G)
    >>> net.n_nodes, net.n_edges, net.node_distances([1]).tolist()
    (2, 1, [0.0, 50.0])
    """

    def __init__(
        self,
        *,
        node_ids: Sequence[Hashable] | np.ndarray,
        x: np.ndarray,
        y: np.ndarray,
        edge_u: np.ndarray,
        edge_v: np.ndarray,
        edge_length: np.ndarray,
        edge_geometry: np.ndarray | None = None,
        crs: Any = None,
        edge_keys: np.ndarray | None = None,
    ) -> None:
        self.node_ids = np.asarray(node_ids)
        self.node_x = np.asarray(x, dtype=np.float64)
        self.node_y = np.asarray(y, dtype=np.float64)
        n = len(self.node_ids)
        self.edge_u = np.asarray(edge_u, dtype=np.int64)
        self.edge_v = np.asarray(edge_v, dtype=np.int64)
        self.edge_length = np.asarray(edge_length, dtype=np.float64)
        self.edge_keys = edge_keys
        self.crs = crs
        m = len(self.edge_u)
        if len(self.node_x) != n or len(self.node_y) != n:
            raise NetworkError("node coordinates and node ids differ in length")
        if len(self.edge_v) != m or len(self.edge_length) != m:
            raise NetworkError("edge arrays differ in length")
        if m and (
            self.edge_u.min() < 0
            or self.edge_v.min() < 0
            or max(self.edge_u.max(), self.edge_v.max()) >= n
        ):
            raise NetworkError("edge ends must be positions of existing nodes")
        bad = ~np.isfinite(self.edge_length) | (self.edge_length < 0)
        if bad.any():
            raise NetworkError(
                f"{int(bad.sum())} edge(s) have a missing, infinite or negative length, e.g. "
                f"edge {self._edge_label(int(np.flatnonzero(bad)[0]))}"
            )
        if not (np.isfinite(self.node_x).all() and np.isfinite(self.node_y).all()):
            raise NetworkError("some nodes have non-finite coordinates")
        self._raw_geometry = edge_geometry
        if self.node_ids.dtype == object or n == 0:
            self._node_index = pd.Index(list(self.node_ids), dtype=object)
        else:
            self._node_index = pd.Index(self.node_ids)
        if not self._node_index.is_unique:
            raise NetworkError("node ids are not unique")
        no_loop = self.edge_u != self.edge_v
        self.csr = _csr_from_pairs(
            self.edge_u[no_loop], self.edge_v[no_loop], self.edge_length[no_loop], n
        )
        self.csr_reverse = sparse.csr_array(self.csr.T.tocsr())
        self._snap_cache: OrderedDict[str, _SnapEntry] = OrderedDict()
        #: how the network was built and edited (:func:`coverage15.prepare_network`)
        self.record: dict[str, Any] = {}
        #: the :class:`~coverage15.barriers.CutReport` of each edit applied before preparing
        self.cuts: list[Any] = []

    # ------------------------------------------------------------------ building
    @classmethod
    def from_graph(cls, graph: nx.MultiDiGraph, *, weight: str = "length") -> WalkNetwork:
        """Prepare a networkx graph (as osmnx builds it, projected) for routing.

        Parameters
        ----------
        graph
            MultiDiGraph (or DiGraph) with node ``x``/``y`` in a projected metric
            CRS (``graph.graph["crs"]``), edge ``length`` in metres and optional
            ``geometry`` LineStrings. Edges are directed: a street walkable
            both ways needs both ``u → v`` and ``v → u`` (osmnx walk graphs have
            them). An undirected graph is made directed (both ways).
        weight
            Edge attribute with the walking cost in metres.

        Returns
        -------
        WalkNetwork

        Raises
        ------
        NetworkError
            Missing coordinates or lengths, negative lengths, non-line geometries.

        Examples
        --------
        >>> import networkx as nx
        >>> G = nx.MultiDiGraph(crs="EPSG:32650")
        >>> G.add_nodes_from([("a", {"x": 0.0, "y": 0.0}), ("b", {"x": 3.0, "y": 4.0})])
        >>> _ = G.add_edge("a", "b", length=5.0)
        >>> _ = G.add_edge("a", "b", length=7.0)  # a longer parallel edge
        >>> WalkNetwork.from_graph(G).csr.toarray().tolist()
        [[0.0, 5.0], [0.0, 0.0]]
        """
        if not graph.is_directed():
            graph = graph.to_directed()
        with gc_paused():  # millions of small tuples; see coverage15.snap.gc_paused
            ids, x, y, us, vs, keys, datas = _graph_arrays(graph)
        m = len(datas)
        length = np.fromiter((d.get(weight, np.nan) for d in datas), dtype=np.float64, count=m)
        if np.isnan(length).any():
            i = int(np.flatnonzero(np.isnan(length))[0])
            raise NetworkError(
                f"{int(np.isnan(length).sum())} edge(s) lack a numeric '{weight}' attribute, "
                f"e.g. ({us[i]!r}, {vs[i]!r})"
            )
        geometry = np.empty(m, dtype=object)
        geometry[:] = [d.get("geometry") for d in datas]
        index = pd.Index(ids) if len(ids) else pd.Index([], dtype=object)
        if m:
            if index.dtype.kind == "i":
                us, vs = np.asarray(us), np.asarray(vs)
            u = index.get_indexer(us)
            v = index.get_indexer(vs)
        else:
            u = v = np.empty(0, dtype=np.int64)
        node_ids = index.to_numpy()
        return cls(
            node_ids=node_ids,
            x=x,
            y=y,
            edge_u=u,
            edge_v=v,
            edge_length=length,
            edge_geometry=geometry,
            crs=graph.graph.get("crs"),
            edge_keys=keys,
        )

    def _edge_label(self, i: int) -> str:
        return f"({self.node_ids[self.edge_u[i]]!r}, {self.node_ids[self.edge_v[i]]!r})"

    # ------------------------------------------------------------ properties
    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_ids)

    @property
    def n_edges(self) -> int:
        """Number of directed edges."""
        return len(self.edge_u)

    @cached_property
    def edge_geometry(self) -> np.ndarray:
        """Edge LineStrings oriented from ``u`` (a two-way street appears twice)."""
        with gc_paused():
            return self.streets.edge_geometries(self.edge_u, self.edge_v, self.node_x, self.node_y)

    @property
    def edge_geometries(self) -> np.ndarray:
        """Alias of :attr:`edge_geometry`."""
        return self.edge_geometry

    @property
    def street_geometries(self) -> np.ndarray:
        """One LineString per undirected street (what points are snapped to)."""
        return self.streets.geometry

    @cached_property
    def _components(self) -> tuple[int, np.ndarray]:
        if not self.n_nodes:
            return 0, np.empty(0, dtype=np.int64)
        k, labels = connected_components(self.csr, directed=True, connection="weak")
        return int(k), labels.astype(np.int64)

    @property
    def component(self) -> np.ndarray:
        """Weakly connected component label per node (computed on first use)."""
        return self._components[1]

    @property
    def n_components(self) -> int:
        """Number of weakly connected components."""
        return self._components[0]

    @cached_property
    def streets(self) -> StreetIndex:
        """Undirected streets with their STRtree (built on first use)."""
        with gc_paused():
            streets = StreetIndex.from_edges(
                self.edge_u,
                self.edge_v,
                self.edge_length,
                self._raw_geometry,
                self.node_x,
                self.node_y,
            )
        self._raw_geometry = None
        return streets

    @property
    def edge_index(self) -> pd.MultiIndex:
        """Edge labels ``(u, v, key)`` (``(u, v)`` for a DiGraph), in edge-array order."""
        arrays = [self.node_ids[self.edge_u], self.node_ids[self.edge_v]]
        names = ["u", "v"]
        if self.edge_keys is not None:
            arrays.append(self.edge_keys)
            names.append("key")
        return pd.MultiIndex.from_arrays(arrays, names=names)

    def node_positions(self, nodes: Iterable[Hashable]) -> np.ndarray:
        """Positions of node labels in the node arrays.

        Parameters
        ----------
        nodes
            Node labels (e.g. OSM ids), as in :attr:`node_ids`; any iterable, in any order.

        Returns
        -------
        numpy.ndarray
            int64 positions into the node arrays (``node_ids``, ``node_x``, ``node_y``),
            one per label, in the order given.

        Raises
        ------
        InputError
            Unknown node labels.

        Examples
        --------
        >>> import networkx as nx
        >>> G = nx.MultiDiGraph()
        >>> G.add_nodes_from([(7, {"x": 0.0, "y": 0.0}), (9, {"x": 1.0, "y": 0.0})])
        >>> WalkNetwork.from_graph(G).node_positions([9, 7]).tolist()
        [1, 0]
        """
        labels = list(nodes)
        pos = self._node_index.get_indexer(pd.Index(labels, dtype=object)) if labels else []
        pos = np.asarray(pos, dtype=np.int64)
        if (pos < 0).any():
            raise InputError(
                "unknown node(s)",
                source="network",
                rows=[labels[i] for i in np.flatnonzero(pos < 0)],
            )
        return pos

    # --------------------------------------------------------------- snapping
    def snap(
        self,
        points: gpd.GeoSeries | gpd.GeoDataFrame,
        *,
        max_leg_m: float | None = 500.0,
        ids: str | None = None,
        source: str = "points",
    ) -> pd.DataFrame:
        """Snap points to their nearest street (cached by coordinates).

        Same as :func:`coverage15.snap.snap_points`, but snaps of the same
        coordinates are reused: calling again with the same homes costs only
        the validation.

        Parameters
        ----------
        points
            Point geometries in the network's CRS.
        max_leg_m
            Points farther than this from every street are not snapped and
            warned about (``None``: no limit).
        ids
            Column naming the points in the warning (default: the index labels).
        source
            Name of the input in messages (e.g. ``"homes"``).

        Returns
        -------
        pandas.DataFrame
            The snap table of :func:`coverage15.snap.snap_points`, index-aligned
            with ``points``.

        Examples
        --------
        >>> import geopandas as gpd
        >>> import networkx as nx
        >>> import shapely
        >>> G = nx.MultiDiGraph(crs="EPSG:32650")
        >>> G.add_nodes_from([(1, {"x": 0.0, "y": 0.0}), (2, {"x": 10.0, "y": 0.0})])
        >>> _ = G.add_edge(1, 2, length=10.0)
        >>> net = WalkNetwork.from_graph(G)
        >>> pts = gpd.GeoSeries([shapely.Point(4, 3)], crs="EPSG:32650")
        >>> net.snap(pts)[["edge", "leg_m", "pos_m"]].values.tolist()
        [[0.0, 3.0, 4.0]]
        """
        entry, unsnapped = self._snap_cols(points, max_leg_m=max_leg_m, ids=ids, source=source)
        return snap_table(entry.cols, points.index, unsnapped=unsnapped, max_leg_m=max_leg_m)

    def _snap_cols(
        self,
        points: gpd.GeoSeries | gpd.GeoDataFrame,
        *,
        max_leg_m: float | None,
        ids: str | None,
        source: str,
    ) -> tuple[_SnapEntry, list]:
        """Snap columns (cached by coordinates) and the labels of unsnapped points (warned)."""
        if max_leg_m is not None and not max_leg_m > 0:
            raise InputError(f"max_leg_m must be positive, got {max_leg_m}", source=source)
        arr, xy = points_and_xy(points, self.crs, source=source)
        key = points_key(xy, max_leg_m)
        entry = self._snap_cache.get(key)
        if entry is None:
            with gc_paused():
                entry = _SnapEntry(snap_array(self, arr, max_leg_m=max_leg_m, xy=xy))
            self._snap_cache[key] = entry
            if len(self._snap_cache) > _SNAP_CACHE_SIZE:
                self._snap_cache.popitem(last=False)
        else:
            self._snap_cache.move_to_end(key)
        cols = entry.cols
        if ids is not None and isinstance(points, gpd.GeoDataFrame) and ids in points.columns:
            labels = points[ids]
        else:
            labels = points.index
        unsnapped = warn_unsnapped(cols["snapped"], labels, source=source, max_leg_m=max_leg_m)
        return entry, unsnapped

    @cached_property
    def signature(self) -> str:
        """A digest of the network's nodes, edges and costs: snaps are valid only for it.

        Examples
        --------
        >>> G = nx.MultiDiGraph(crs="EPSG:32650")
        >>> G.add_nodes_from([(1, {"x": 0.0, "y": 0.0}), (2, {"x": 10.0, "y": 0.0})])
        >>> _ = G.add_edge(1, 2, length=10.0)
        >>> len(WalkNetwork.from_graph(G).signature)
        40
        """
        import hashlib

        h = hashlib.sha1()
        for a in (self.node_x, self.node_y, self.edge_u, self.edge_v, self.edge_length):
            h.update(np.ascontiguousarray(a).tobytes())
        return h.hexdigest()

    def save_snaps(self, path: str | Any) -> int:
        """Keep this network's cached snaps in a file, for the next run on the same network.

        A rerun with new facilities or another profile then loads the homes'
        snaps with :meth:`load_snaps` instead of snapping them again. The file is
        written to a temporary name first.

        Parameters
        ----------
        path
            File to write (a pickle, e.g. ``snaps.pkl``); replaced if it exists.

        Returns
        -------
        int
            The number of snap sets saved (one per distinct set of snapped points,
            at most the 8 most recently used).

        Examples
        --------
        >>> import tempfile, pathlib, shapely, geopandas as gpd
        >>> G = nx.MultiDiGraph(crs="EPSG:32650")
        >>> G.add_nodes_from([(1, {"x": 0.0, "y": 0.0}), (2, {"x": 10.0, "y": 0.0})])
        >>> _ = G.add_edge(1, 2, length=10.0)
        >>> net = WalkNetwork.from_graph(G)
        >>> _ = net.snap(gpd.GeoSeries([shapely.Point(4, 3)], crs="EPSG:32650"))
        >>> f = pathlib.Path(tempfile.mkdtemp()) / "snaps.pkl"
        >>> net.save_snaps(f), WalkNetwork.from_graph(G).load_snaps(f)
        (1, 1)
        """
        import pickle

        from coverage15._files import atomic_path

        payload = {
            "signature": self.signature,
            "snaps": {k: e.cols for k, e in self._snap_cache.items()},
        }
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            pickle.dump(payload, fh, protocol=pickle.HIGHEST_PROTOCOL)
        return len(payload["snaps"])

    def load_snaps(self, path: str | Any) -> int:
        """Load snaps saved by :meth:`save_snaps`; ignored (0) when they belong to another network.

        Parameters
        ----------
        path
            File written by :meth:`save_snaps`. A missing or unreadable file, or
            one saved for a network with another :attr:`signature`, is ignored.

        Returns
        -------
        int
            The number of snap sets read from the file into this network's snap
            cache (0 when the file was ignored).

        Examples
        --------
        >>> G = nx.MultiDiGraph(crs="EPSG:32650")
        >>> G.add_nodes_from([(1, {"x": 0.0, "y": 0.0}), (2, {"x": 10.0, "y": 0.0})])
        >>> _ = G.add_edge(1, 2, length=10.0)
        >>> WalkNetwork.from_graph(G).load_snaps("no/such/snaps.pkl")
        0
        """
        import pickle
        from pathlib import Path

        path = Path(path)
        if not path.is_file():
            return 0
        try:
            with open(path, "rb") as fh, gc_paused():
                payload = pickle.load(fh)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
            return 0
        if not isinstance(payload, dict) or payload.get("signature") != self.signature:
            return 0
        for key, cols in payload["snaps"].items():
            self._snap_cache.setdefault(key, _SnapEntry(cols))
        while len(self._snap_cache) > _SNAP_CACHE_SIZE:
            self._snap_cache.popitem(last=False)
        return len(payload["snaps"])

    def _placed(self, cols: Any) -> _Placed:
        """Arrays for routing from snap columns (a dict or a snap table)."""
        missing = set(SNAP_COLUMNS) - set(cols.keys())
        if missing:
            raise InputError(f"not a snap table, lacks {sorted(missing)}", source="snaps")
        edge = np.asarray(cols["edge"], dtype=np.int64)
        rev = np.asarray(cols["reverse_edge"], dtype=np.int64)
        ok = np.asarray(cols["snapped"], dtype=bool) & (edge >= 0)
        e = np.where(ok, edge, 0)
        if self.n_edges:
            len_f = self.edge_length[e]
            len_b = np.where(ok & (rev >= 0), self.edge_length[np.where(rev >= 0, rev, 0)], np.nan)
        else:
            len_f = len_b = np.full(len(e), np.nan)
        pos = np.asarray(cols["pos_m"], dtype=np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.clip(np.nan_to_num(pos / len_f), 0.0, 1.0)
        return _Placed(
            ok=ok,
            edge=np.where(ok, edge, -1),
            u=self.edge_u[e] if self.n_edges else e,
            v=self.edge_v[e] if self.n_edges else e,
            leg=np.where(ok, np.asarray(cols["leg_m"], dtype=np.float64), np.nan),
            frac=frac,
            len_f=len_f,
            len_b=len_b,
        )

    # ---------------------------------------------------------------- routing
    def node_distances(
        self,
        sources: Iterable[Hashable],
        *,
        limit: float = np.inf,
        reverse: bool = False,
    ) -> pd.Series:
        """Walking metres from the nearest of ``sources`` to every node.

        Parameters
        ----------
        sources
            Node labels.
        limit
            Search bound in metres; farther nodes are NaN.
        reverse
            Distances *to* the nearest source instead (edges reversed).

        Returns
        -------
        pandas.Series
            Indexed by node label; NaN beyond ``limit`` or unreachable.

        Examples
        --------
        >>> import networkx as nx
        >>> G = nx.MultiDiGraph()
        >>> G.add_nodes_from((i, {"x": float(i), "y": 0.0}) for i in range(3))
        >>> _ = G.add_edge(0, 1, length=1.0)
        >>> _ = G.add_edge(1, 2, length=1.0)
        >>> net = WalkNetwork.from_graph(G)
        >>> net.node_distances([1]).tolist(), net.node_distances([1], reverse=True).tolist()
        ([nan, 0.0, 1.0], [1.0, 0.0, nan])
        """
        pos = self.node_positions(sources)
        graph = self.csr_reverse if reverse else self.csr
        if len(pos) == 0:
            d = np.full(self.n_nodes, np.inf)
        else:
            d = dijkstra(graph, directed=True, indices=pos, limit=limit, min_only=True)
        d = np.where(np.isfinite(d), d, np.nan)
        return pd.Series(d, index=self._node_index, name="dist_m")

    def _augmented_reverse(self, fac: _Placed) -> tuple[sparse.csr_array, np.ndarray]:
        """Reversed CSR with one virtual node per facility (appended after the nodes).

        Virtual node ``n + j`` has arcs to facility ``j``'s edge ends weighted by
        leg + partial edge (reversed arcs of node → facility).
        """
        n, k = self.n_nodes, len(fac.ok)
        w_u = fac.leg + fac.entry_u()
        w_v = fac.leg + fac.entry_v()
        dst = np.column_stack([fac.u, fac.v]).ravel()
        w = np.column_stack([w_u, w_v]).ravel()
        use = np.isfinite(w)
        row = np.repeat(np.arange(k), 2)[use]
        dst, w = dst[use], w[use]
        base = self.csr_reverse
        itype = base.indices.dtype
        indptr = np.concatenate(
            [base.indptr, base.indptr[-1] + np.cumsum(np.bincount(row, minlength=k))]
        ).astype(itype)
        graph = sparse.csr_array(
            (
                np.concatenate([base.data, w]),
                np.concatenate([base.indices, dst.astype(itype)]),
                indptr,
            ),
            shape=(n + k, n + k),
        )
        return graph, n + np.arange(k)

    def nearest_facilities(
        self,
        homes: gpd.GeoSeries | gpd.GeoDataFrame,
        facilities: gpd.GeoDataFrame,
        *,
        category: str = "category",
        facility_id: str = "facility_id",
        max_distance_m: float = 1000.0,
        speed_m_per_min: float = 60.0,
        categories: Sequence[Hashable] | None = None,
        max_leg_m: float | None = 500.0,
        progress: bool = False,
    ) -> pd.DataFrame:
        """Walking distance and time from every home to the nearest facility of each category.

        One bounded multi-source Dijkstra per category, over all its facilities.

        Parameters
        ----------
        homes
            Home (demand) points in the network's CRS.
        facilities
            Facility points in the network's CRS with a category column.
        category
            Column of ``facilities`` with the category key.
        facility_id
            Column of ``facilities`` with the id reported in ``facility__<cat>``
            (the index labels when the column is absent).
        max_distance_m
            Search bound in metres (the largest threshold needed). Farther is NaN.
        speed_m_per_min
            Walking speed for ``time_min__<cat>``.
        categories
            Categories to report (default: all in ``facilities``, sorted). A
            category without facilities gives NaN columns.
        max_leg_m
            Snapping tolerance: points farther from every street are not snapped.
        progress
            Show a progress bar over categories.

        Returns
        -------
        pandas.DataFrame
            Index-aligned with ``homes``: ``snapped`` (bool), then per category
            ``dist_m__<cat>``, ``time_min__<cat>`` and ``facility__<cat>``
            (NaN / None when no facility is within the bound, the home is not
            snapped or cannot reach one). ``attrs``:

            ``counts``
                ``{category: {"within", "beyond_bound", "unreachable",
                "not_snapped", "facilities", "facilities_not_snapped"}}``;
                the first four add up to the number of homes. ``unreachable``:
                no facility of the category in the home's (weakly) connected
                component; ``beyond_bound``: NaN otherwise.
            ``max_distance_m``, ``speed_m_per_min``, ``n_homes_unsnapped``,
            ``n_facilities_unsnapped``.

        Examples
        --------
        >>> import geopandas as gpd
        >>> import networkx as nx
        >>> import shapely
        >>> G = nx.MultiDiGraph(crs="EPSG:32650")
        >>> G.add_nodes_from([(1, {"x": 0.0, "y": 0.0}), (2, {"x": 600.0, "y": 0.0})])
        >>> _ = G.add_edge(1, 2, length=600.0)
        >>> _ = G.add_edge(2, 1, length=600.0)
        >>> net = WalkNetwork.from_graph(G)
        >>> homes = gpd.GeoSeries(shapely.points([[0, 10], [600, 0]]), crs="EPSG:32650")
        >>> fac = gpd.GeoDataFrame({"category": ["clinic"], "facility_id": ["C"]},
        ...                        geometry=[shapely.Point(100, 0)], crs="EPSG:32650")
        >>> r = net.nearest_facilities(homes, fac, max_distance_m=300)
        >>> r["dist_m__clinic"].tolist(), r["time_min__clinic"].tolist()
        ([110.0, nan], [1.8333333333333333, nan])
        >>> r.attrs["counts"]["clinic"]["beyond_bound"]
        1
        """
        if not max_distance_m > 0:
            raise InputError(f"max_distance_m must be positive, got {max_distance_m}")
        if not (speed_m_per_min > 0 and math.isfinite(speed_m_per_min)):
            raise InputError(f"speed_m_per_min must be positive, got {speed_m_per_min}")
        if not isinstance(facilities, gpd.GeoDataFrame):
            raise InputError("facilities must be a GeoDataFrame", source="facilities")
        if category not in facilities.columns:
            raise InputError(
                "no such column; name the category column with category=...",
                source="facilities",
                column=category,
            )
        cats_all = facilities[category]
        if cats_all.isna().any():
            raise InputError(
                "facilities without a category",
                source="facilities",
                column=category,
                rows=list(facilities.index[cats_all.isna().to_numpy()]),
            )
        ids = pd.array(
            facilities[facility_id].to_numpy()
            if facility_id in facilities.columns
            else facilities.index.to_numpy()
        )
        padded_ids = pd.array([*ids, None], dtype=ids.dtype)
        home_snap, home_off = self._snap_cols(
            homes, max_leg_m=max_leg_m, ids="home_id", source="homes"
        )
        fac_snap, fac_off = self._snap_cols(
            facilities, max_leg_m=max_leg_m, ids=facility_id, source="facilities"
        )
        home = home_snap.placed(self)
        fac = fac_snap.placed(self)
        fac_cat = cats_all.to_numpy()
        if categories is None:
            categories = sorted(pd.unique(fac_cat).tolist(), key=str)
        categories = list(categories)
        if len(set(categories)) != len(categories):
            raise InputError("categories are repeated", column=category)

        n_h = len(home.ok)
        h_ok = np.flatnonzero(home.ok)
        all_ok = len(h_ok) == n_h
        hp = home if all_ok else home.take(h_ok)
        f_ok = np.flatnonzero(fac.ok)
        fp = fac.take(f_ok)
        f_cat = fac_cat[f_ok]
        limit = float(max_distance_m)
        # shared by all categories: exits of homes, the graph with one virtual
        # node per facility, and the homes sharing a street with a facility
        exit_v = hp.leg + hp.exit_v()
        exit_u = hp.leg + hp.exit_u()
        graph, virtual = self._augmented_reverse(fp)
        s_h, s_f = _same_street_pairs(hp.edge, fp.edge)
        s_d = hp.leg[s_h] + fp.leg[s_f] + _along(hp, s_h, fp, s_f)
        # homes per component, for telling "beyond the bound" from "unreachable"
        homes_in_comp = np.bincount(self.component.take(hp.u), minlength=self.n_components)
        comp_has = np.zeros(self.n_components, dtype=bool)

        columns: dict[str, Any] = {"snapped": home.ok.copy()}
        counts: dict[Hashable, dict[str, int]] = {}
        loop: Iterable[Hashable] = categories
        if progress:
            from coverage15._progress import progress_bar

            loop = progress_bar(categories, desc="categories", unit="cat")
        for cat in loop:
            sel = np.flatnonzero(f_cat == cat)  # positions in fp
            n_fac = int(np.count_nonzero(fac_cat == cat))
            if len(sel) and len(h_ok):
                best, who = self._nearest(
                    graph, virtual[sel], hp, exit_u, exit_v, s_h, s_f, s_d, sel, limit
                )
                kept = best <= limit
                n_lost = len(best) - int(np.count_nonzero(kept))
                best += _NAN_UNLESS.take(kept.view(np.uint8))  # NaN beyond the bound
                who = (f_ok.take(who, mode="clip") + 1) * kept - 1  # among all; -1 if none
                # NaN homes in a component without a facility of the category: unreachable
                comp_has[:] = False
                comp_has[self.component[fp.u[sel]]] = True
                unreachable = int(homes_in_comp[~comp_has].sum())
                beyond = n_lost - unreachable
            else:
                best = np.full(len(h_ok), np.nan)
                who = np.full(len(h_ok), -1, dtype=np.int64)
                n_lost, beyond, unreachable = len(h_ok), 0, len(h_ok)
            if all_ok:
                dist, fidx = best, who
            else:
                dist = np.full(n_h, np.nan)
                dist[h_ok] = best
                fidx = np.full(n_h, -1, dtype=np.int64)
                fidx[h_ok] = who
            columns[f"dist_m__{cat}"] = dist
            columns[f"time_min__{cat}"] = dist / speed_m_per_min
            columns[f"facility__{cat}"] = padded_ids.take(fidx)  # -1: the missing value
            counts[cat] = {
                "within": len(h_ok) - n_lost,
                "beyond_bound": beyond,
                "unreachable": unreachable,
                "not_snapped": n_h - len(h_ok),
                "facilities": n_fac,
                "facilities_not_snapped": n_fac - len(sel),
            }
        out = pd.DataFrame(columns, index=homes.index)
        out.attrs = {
            "counts": counts,
            "max_distance_m": limit,
            "speed_m_per_min": float(speed_m_per_min),
            "n_homes_unsnapped": len(home_off),
            "n_facilities_unsnapped": len(fac_off),
        }
        return out

    def _nearest(
        self,
        graph: sparse.csr_array,
        sources: np.ndarray,
        hp: _Placed,
        exit_u: np.ndarray,
        exit_v: np.ndarray,
        s_h: np.ndarray,
        s_f: np.ndarray,
        s_d: np.ndarray,
        sel: np.ndarray,
        limit: float,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per snapped home: distance to the nearest facility among ``sel`` and its position.

        ``sources`` are the virtual nodes of facilities ``sel`` (positions among
        the snapped facilities); ``s_h, s_f, s_d`` the same-street pairs of all
        snapped facilities with their direct distances.
        """
        n = self.n_nodes
        d, _, src = dijkstra(
            graph,
            directed=True,
            indices=sources,
            limit=limit,
            min_only=True,
            return_predecessors=True,
        )
        d, src = d[:n], src[:n] - n  # src: position among the snapped facilities, < 0 if none
        # branch-free on purpose: random boolean masks are slow on 1e5+ homes
        via_v = exit_v + d.take(hp.v)
        via_u = exit_u + d.take(hp.u)
        best = np.minimum(via_u, via_v)
        node = hp.v + (hp.u - hp.v) * (via_u < via_v)
        who = src.take(node)
        # home and facility on the same street: the direct way along it
        mine = np.isin(s_f, sel)
        if mine.any():
            hi, fi, dd = s_h[mine], s_f[mine], s_d[mine]
            order = np.lexsort((dd, hi))
            hi, fi, dd = hi[order], fi[order], dd[order]
            first = np.ones(len(hi), dtype=bool)
            first[1:] = hi[1:] != hi[:-1]
            hi, fi, dd = hi[first], fi[first], dd[first]
            better = dd < best[hi]
            best[hi[better]] = dd[better]
            who[hi[better]] = fi[better]
        return best, who

    def catchment_pairs(
        self,
        homes: gpd.GeoSeries | gpd.GeoDataFrame,
        facilities: gpd.GeoSeries | gpd.GeoDataFrame,
        *,
        max_distance_m: float,
        max_leg_m: float | None = 500.0,
        chunk_bytes: int = CHUNK_BYTES,
    ) -> pd.DataFrame:
        """Every facility–home pair within walking distance ``max_distance_m``.

        Per-facility bounded searches, run in chunks whose dense result stays
        under ``chunk_bytes`` and is made sparse at once, so no dense
        facilities × nodes matrix is ever held whole.

        Parameters
        ----------
        homes, facilities
            Points in the network's CRS.
        max_distance_m
            Catchment distance in metres (inclusive).
        max_leg_m
            Snapping tolerance.
        chunk_bytes
            Memory cap of one chunk of searches.

        Returns
        -------
        pandas.DataFrame
            Columns ``facility`` and ``home`` (0-based positions into
            ``facilities`` and ``homes``) and ``dist_m`` (home → facility,
            legs included), sorted by facility then home. Unsnapped points
            have no pairs. ``attrs``: ``max_distance_m``,
            ``n_homes_unsnapped``, ``n_facilities_unsnapped``.

        Examples
        --------
        >>> import geopandas as gpd
        >>> import networkx as nx
        >>> import shapely
        >>> G = nx.MultiDiGraph(crs="EPSG:32650")
        >>> G.add_nodes_from((i, {"x": 100.0 * i, "y": 0.0}) for i in range(3))
        >>> for a, b in [(0, 1), (1, 0), (1, 2), (2, 1)]:
        ...     _ = G.add_edge(a, b, length=100.0)
        >>> net = WalkNetwork.from_graph(G)
        >>> homes = gpd.GeoSeries(shapely.points([[0, 0], [200, 0]]), crs="EPSG:32650")
        >>> fac = gpd.GeoSeries(shapely.points([[50, 0]]), crs="EPSG:32650")
        >>> net.catchment_pairs(homes, fac, max_distance_m=100).values.tolist()
        [[0.0, 0.0, 50.0]]
        """
        if not max_distance_m > 0:
            raise InputError(f"max_distance_m must be positive, got {max_distance_m}")
        home_snap, home_off = self._snap_cols(
            homes, max_leg_m=max_leg_m, ids="home_id", source="homes"
        )
        fac_snap, fac_off = self._snap_cols(
            facilities, max_leg_m=max_leg_m, ids="facility_id", source="facilities"
        )
        home, fac = home_snap.placed(self), fac_snap.placed(self)
        limit = float(max_distance_m)
        n = self.n_nodes
        h_ok = np.flatnonzero(home.ok)
        f_ok = np.flatnonzero(fac.ok)
        hp, fp = home.take(h_ok), fac.take(f_ok)
        parts_f: list[np.ndarray] = []
        parts_h: list[np.ndarray] = []
        parts_d: list[np.ndarray] = []
        if len(h_ok) and len(f_ok):
            # home exits grouped by node: (node, home, leg + partial edge)
            ex_node = np.concatenate([hp.v, hp.u])
            ex_home = np.concatenate([np.arange(len(h_ok)), np.arange(len(h_ok))])
            ex_cost = np.concatenate([hp.leg + hp.exit_v(), hp.leg + hp.exit_u()])
            keep = ex_cost <= limit
            ex_node, ex_home, ex_cost = ex_node[keep], ex_home[keep], ex_cost[keep]
            order = np.argsort(ex_node, kind="stable")
            ex_home, ex_cost = ex_home[order], ex_cost[order]
            ex_ptr = np.zeros(n + 1, dtype=np.int64)
            np.cumsum(np.bincount(ex_node, minlength=n), out=ex_ptr[1:])
            # same-street direct pairs, all facilities at once
            s_h, s_f = _same_street_pairs(hp.edge, fp.edge)
            s_d = hp.leg[s_h] + fp.leg[s_f] + _along(hp, s_h, fp, s_f)
            graph, virtual = self._augmented_reverse(fp)
            rows = max(1, int(chunk_bytes // (8 * (n + len(f_ok)))))
            for start in range(0, len(f_ok), rows):
                chunk = virtual[start : start + rows]
                dense = dijkstra(graph, directed=True, indices=chunk, limit=limit)[:, :n]
                r, node = np.nonzero(np.isfinite(dense))
                dn = dense[r, node]
                del dense
                cnt = ex_ptr[node + 1] - ex_ptr[node]
                at = np.repeat(ex_ptr[node] - np.cumsum(cnt) + cnt, cnt) + np.arange(cnt.sum())
                f_c = np.repeat(r + start, cnt)
                h_c = ex_home[at]
                d_c = np.repeat(dn, cnt) + ex_cost[at]
                in_chunk = (s_f >= start) & (s_f < start + len(chunk))
                f_c = np.concatenate([f_c, s_f[in_chunk]])
                h_c = np.concatenate([h_c, s_h[in_chunk]])
                d_c = np.concatenate([d_c, s_d[in_chunk]])
                ok = d_c <= limit
                f_c, h_c, d_c = f_c[ok], h_c[ok], d_c[ok]
                order = np.lexsort((d_c, h_c, f_c))
                f_c, h_c, d_c = f_c[order], h_c[order], d_c[order]
                first = np.ones(len(f_c), dtype=bool)
                first[1:] = (f_c[1:] != f_c[:-1]) | (h_c[1:] != h_c[:-1])
                parts_f.append(f_ok[f_c[first]])
                parts_h.append(h_ok[h_c[first]])
                parts_d.append(d_c[first])
        out = pd.DataFrame(
            {
                "facility": _concat(parts_f).astype(np.int64),
                "home": _concat(parts_h).astype(np.int64),
                "dist_m": _concat(parts_d).astype(np.float64),
            }
        )
        out.attrs = {
            "max_distance_m": limit,
            "n_homes_unsnapped": len(home_off),
            "n_facilities_unsnapped": len(fac_off),
        }
        return out


def _graph_arrays(graph: nx.DiGraph) -> tuple[Any, ...]:
    """Node labels, coordinates and edge lists of a directed networkx graph."""
    # the raw dicts behind networkx's views: several times faster to walk than the views
    nodes = getattr(graph, "_node", None)
    if not isinstance(nodes, dict):
        nodes = dict(graph.nodes(data=True))
    ids = list(nodes)
    n = len(ids)
    try:
        x = np.fromiter((d["x"] for d in nodes.values()), dtype=np.float64, count=n)
        y = np.fromiter((d["y"] for d in nodes.values()), dtype=np.float64, count=n)
    except (KeyError, TypeError, ValueError) as exc:
        raise NetworkError(f"every node needs numeric 'x' and 'y' attributes ({exc!r})") from exc
    adj = getattr(graph, "_adj", None)
    if not isinstance(adj, dict):
        adj = {u: dict(nbrs) for u, nbrs in graph.adj.items()}
    keys: np.ndarray | None
    if graph.is_multigraph():
        recs = [
            (u, v, k, d) for u, nbrs in adj.items() for v, kd in nbrs.items() for k, d in kd.items()
        ]
        us, vs, ks, datas = zip(*recs, strict=True) if recs else ((), (), (), ())
        keys = np.empty(len(ks), dtype=object)
        keys[:] = ks
    else:
        recs3 = [(u, v, d) for u, nbrs in adj.items() for v, d in nbrs.items()]
        us, vs, datas = zip(*recs3, strict=True) if recs3 else ((), (), ())
        keys = None
    return ids, x, y, list(us), list(vs), keys, datas
