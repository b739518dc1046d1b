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
* :meth:`WalkNetwork.service_area_pieces`: the parts of every street from
  which the nearest point can be walked to within a bound, in the same
  direction (the base of :func:`coverage15.maps.service_areas` and of every
  other distance a map shows).

Every home gets a status per category (``reach__<cat>``): reached, beyond the
bound, no path (no directed path to any facility of the category at any
distance: a breadth-first search on the reversed graph), or off network.
Points whose nearest street lies on an *island* (a small piece of the network,
see :class:`WalkNetwork`) are linked to the main network instead, and reported.

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

import hashlib
import math
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import breadth_first_order, connected_components, dijkstra

from coverage15._arrays import gc_paused, offsets_from_counts, ragged_arange, run_starts
from coverage15._errors import InputError, NetworkError
from coverage15.snap import (
    SNAP_COLUMNS,
    SnapCache,
    SnapEntry,
    StreetIndex,
    StreetSubset,
    network_signature,
    points_and_xy,
    snap_array,
    snap_avoiding_islands,
    snap_table,
    warn_unsnapped,
)

if TYPE_CHECKING:
    from coverage15._osm_arrays import WalkArrays

#: Bytes of one dense block of per-facility search results in catchment_pairs.
CHUNK_BYTES = 50_000_000
#: Default island size: a weakly connected piece with fewer nodes than this is an island
#: (R5's ``StreetLayer.MIN_SUBGRAPH_SIZE``, 40 vertices; OpenTripPlanner's
#: ``islandWithoutStopsMaxSize`` is 10).
ISLAND_MAX_NODES = 40
#: Default island length: a piece with less street than this (metres) is an island: it
#: cannot hold even the smallest walking circle of GB 50180-2018 (5-minute tier, 300 m).
ISLAND_MAX_M = 300.0
#: Access statuses of ``reach__<cat>``, in order.
REACH_STATUSES = ("reached", "beyond_bound", "no_path", "off_network")
#: The dtype of ``reach__<cat>`` columns.
REACH_DTYPE = pd.CategoricalDtype(list(REACH_STATUSES))


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


def _place_on_edges(
    edge: np.ndarray,
    rev: np.ndarray,
    snapped: np.ndarray,
    leg: np.ndarray,
    pos: np.ndarray,
    edge_u: np.ndarray,
    edge_v: np.ndarray,
    edge_length: np.ndarray,
) -> _Placed:
    """Routing arrays of points on edges (edge, reverse edge, leg and position in metres)."""
    edge = np.asarray(edge, dtype=np.int64)
    rev = np.asarray(rev, dtype=np.int64)
    ok = np.asarray(snapped, dtype=bool) & (edge >= 0)
    e = np.where(ok, edge, 0)
    if len(edge_u):
        len_f = edge_length[e]
        len_b = np.where(ok & (rev >= 0), edge_length[np.where(rev >= 0, rev, 0)], np.nan)
    else:
        len_f = len_b = np.full(len(e), np.nan)
    pos = np.asarray(pos, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.clip(np.nan_to_num(pos / len_f), 0.0, 1.0)
    return _Placed(
        ok=ok,
        edge=np.where(ok, edge, -1),
        u=edge_u[e] if len(edge_u) else e,
        v=edge_v[e] if len(edge_v) else e,
        leg=np.where(ok, np.asarray(leg, dtype=np.float64), np.nan),
        frac=frac,
        len_f=len_f,
        len_b=len_b,
    )


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
    return np.repeat(cand, count), order[ragged_arange(count, lo)]


def _concat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)


def _csr_min_weight(u: np.ndarray, v: np.ndarray, w: np.ndarray, n: int) -> sparse.csr_array:
    """CSR adjacency (sorted indices) keeping the minimum weight over parallel (u, v) pairs."""
    key = u * np.int64(n) + v
    order = np.argsort(key)
    key = key[order]
    start = np.flatnonzero(run_starts(key))
    w = np.minimum.reduceat(w[order], start) if len(start) else w[:0]
    key = key[start]
    itype = np.int32 if max(n, len(key)) < 2**31 - 1 else np.int64
    indptr = offsets_from_counts(np.bincount(key // n, minlength=n)).astype(itype)
    return sparse.csr_array((w.astype(np.float64), (key % n).astype(itype), indptr), shape=(n, n))


def _append_nodes(
    graph: sparse.csr_array, n_arcs: np.ndarray, dst: np.ndarray, weight: np.ndarray
) -> tuple[sparse.csr_array, np.ndarray]:
    """``graph`` with new nodes appended (no arcs into them): node ``j`` has ``n_arcs[j]``
    arcs, to the next ``n_arcs[j]`` entries of ``dst`` with ``weight``. Returns the new
    graph and the new nodes' positions."""
    m, k = graph.shape[0], len(n_arcs)
    itype = graph.indices.dtype
    indptr = np.concatenate([graph.indptr, graph.indptr[-1] + offsets_from_counts(n_arcs)[1:]])
    grown = sparse.csr_array(
        (
            np.concatenate([graph.data, weight]),
            np.concatenate([graph.indices, dst.astype(itype)]),
            indptr.astype(itype),
        ),
        shape=(m + k, m + k),
    )
    return grown, m + np.arange(k)


def _reverse_graph_with_sources(
    csr_reverse: sparse.csr_array, fac: _Placed
) -> tuple[sparse.csr_array, np.ndarray]:
    """Reversed CSR with one virtual node per point of ``fac`` (appended after the nodes).

    Virtual node ``n + j`` has arcs to point ``j``'s edge ends weighted by leg +
    partial edge (the reversed arcs of node → point), only in the directions
    its street may be walked.
    """
    k = len(fac.ok)
    w = np.column_stack([fac.leg + fac.entry_u(), fac.leg + fac.entry_v()]).ravel()
    dst = np.column_stack([fac.u, fac.v]).ravel()
    use = np.isfinite(w)
    row = np.repeat(np.arange(k), 2)[use]
    return _append_nodes(csr_reverse, np.bincount(row, minlength=k), dst[use], w[use])


def _nearest_source(
    graph: sparse.csr_array,
    n: int,
    sources: np.ndarray,
    hp: _Placed,
    same: tuple[np.ndarray, np.ndarray, np.ndarray],
    sel: np.ndarray,
    limit: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Per placed home: walking metres to the nearest point among ``sel``, and which one.

    ``graph`` is a reversed graph with virtual nodes (``sources``: those of the
    points ``sel``, positions among all placed points); ``same`` the home–point
    pairs on a shared street with their direct distances. Beyond ``limit`` the
    distance may be anything above it (callers compare with the bound).
    """
    d, _, src = dijkstra(
        graph,
        directed=True,
        indices=sources,
        limit=limit,
        min_only=True,
        return_predecessors=True,
    )
    d, src = d[:n], src[:n] - n  # src: position among the placed points, < 0 if none
    # branch-free on purpose: random boolean masks are slow on 1e5+ homes
    via_v = hp.leg + hp.exit_v() + d.take(hp.v)
    via_u = hp.leg + hp.exit_u() + d.take(hp.u)
    best = np.minimum(via_u, via_v)
    node = hp.v + (hp.u - hp.v) * (via_u < via_v)
    who = src.take(node)
    # home and point on the same street: the direct way along it
    s_h, s_f, s_d = same
    mine = np.isin(s_f, sel)
    if mine.any():
        hi, fi, dd = s_h[mine], s_f[mine], s_d[mine]
        order = np.lexsort((dd, hi))
        first = order[run_starts(hi[order])]
        hi, fi, dd = hi[first], fi[first], dd[first]
        better = dd < best[hi]
        best[hi[better]] = dd[better]
        who[hi[better]] = fi[better]
    return best, who


def _same_street(hp: _Placed, fp: _Placed) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Home–point pairs on a shared street and the direct walk between them (legs included)."""
    s_h, s_f = _same_street_pairs(hp.edge, fp.edge)
    return s_h, s_f, hp.leg[s_h] + fp.leg[s_f] + _along(hp, s_h, fp, s_f)


def _with_roots(
    graph: sparse.csr_array, groups: Sequence[np.ndarray]
) -> tuple[sparse.csr_array, np.ndarray]:
    """``graph`` with one root node per group of nodes appended, joined to each member."""
    sizes = np.array([len(g) for g in groups], dtype=np.int64)
    members = np.concatenate([np.asarray(g, dtype=np.int64) for g in [[], *groups]])
    return _append_nodes(graph, sizes, members, np.ones(len(members)))


def _reaches_any(
    rooted: sparse.csr_array,
    root: int,
    hp: _Placed,
    same: tuple[np.ndarray, np.ndarray, np.ndarray],
    sel: np.ndarray,
) -> np.ndarray:
    """Per placed home: whether a directed path leads to any point among ``sel`` (any length).

    A breadth-first search on the reversed graph ``rooted`` from ``root``, a
    node joined to the virtual nodes of the points ``sel`` (see
    :func:`_with_roots`); a home reaches a point when one of its usable edge
    ends was reached, or when they share a street and the direction allows
    the direct walk.
    """
    seen = np.zeros(rooted.shape[0], dtype=bool)
    seen[breadth_first_order(rooted, root, directed=True, return_predecessors=False)] = True
    ok = seen[hp.v] | (seen[hp.u] & hp.has_rev)
    s_h, s_f, s_d = same
    direct = np.isin(s_f, sel) & np.isfinite(s_d)
    ok[s_h[direct]] = True
    return ok


def _pairs_within(
    graph: sparse.csr_array,
    virtual: np.ndarray,
    n: int,
    hp: _Placed,
    fp: _Placed,
    limit: float,
    rows: int,
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Every (point, home, metres) within ``limit``, ``rows`` points' searches at a time.

    Positions among the placed points ``fp`` and homes ``hp``; each chunk's dense
    search result is made sparse at once. Sorted by point, then home.
    """
    # home exits grouped by node: (node, home, leg + partial edge)
    ex_node = np.concatenate([hp.v, hp.u])
    ex_home = np.concatenate([np.arange(len(hp.ok)), np.arange(len(hp.ok))])
    ex_cost = np.concatenate([hp.leg + hp.exit_v(), hp.leg + hp.exit_u()])
    keep = ex_cost <= limit
    ex_node, ex_home, ex_cost = ex_node[keep], ex_home[keep], ex_cost[keep]
    order = np.argsort(ex_node, kind="stable")
    ex_home, ex_cost = ex_home[order], ex_cost[order]
    ex_ptr = offsets_from_counts(np.bincount(ex_node, minlength=n))
    s_h, s_f, s_d = _same_street(hp, fp)  # same-street direct pairs, all points at once
    for start in range(0, len(virtual), rows):
        chunk = virtual[start : start + rows]
        dense = dijkstra(graph, directed=True, indices=chunk, limit=limit)[:, :n]
        r, node = np.nonzero(np.isfinite(dense))
        dn = dense[r, node]
        del dense
        cnt = ex_ptr[node + 1] - ex_ptr[node]
        at = ragged_arange(cnt, ex_ptr[node])  # the exits at each reached node
        in_chunk = (s_f >= start) & (s_f < start + len(chunk))
        f_c = np.concatenate([np.repeat(r + start, cnt), s_f[in_chunk]])
        h_c = np.concatenate([ex_home[at], s_h[in_chunk]])
        d_c = np.concatenate([np.repeat(dn, cnt) + ex_cost[at], s_d[in_chunk]])
        ok = d_c <= limit
        f_c, h_c, d_c = f_c[ok], h_c[ok], d_c[ok]
        order = np.lexsort((d_c, h_c, f_c))
        f_c, h_c, d_c = f_c[order], h_c[order], d_c[order]
        first = run_starts(f_c, h_c)
        yield f_c[first], h_c[first], d_c[first]


def _categories_and_ids(
    facilities: gpd.GeoDataFrame, category: str, facility_id: str
) -> tuple[np.ndarray, Any]:
    """Checked category per facility, and the ids with a missing value appended (for -1)."""
    if not isinstance(facilities, gpd.GeoDataFrame):
        raise InputError("facilities must be a GeoDataFrame", source="facilities")
    if category not in facilities.columns:
        raise InputError(
            "no such column; name the category column with category=...",
            source="facilities",
            column=category,
        )
    cats = facilities[category]
    if cats.isna().any():
        raise InputError(
            "facilities without a category",
            source="facilities",
            column=category,
            rows=list(facilities.index[cats.isna().to_numpy()]),
        )
    ids = pd.array(
        facilities[facility_id].to_numpy()
        if facility_id in facilities.columns
        else facilities.index.to_numpy()
    )
    return cats.to_numpy(), pd.array([*ids, None], dtype=ids.dtype)


def _island_ways(
    node_on_island: np.ndarray,
    csr_reverse: sparse.csr_array,
    home_isl: _Placed | None,
    h_ok: np.ndarray,
    fac_isl: _Placed | None,
    fp: _Placed,
    f_ok: np.ndarray,
) -> _IslandWays | None:
    """The walks along islands for homes linked off one (None when there are none).

    ``home_isl``/``fac_isl``: island links of all homes/facilities (see
    :meth:`WalkNetwork._placed`); ``h_ok``/``f_ok``: positions of the placed
    ones; ``fp``: the placed facilities' links. Facilities on islands are those
    linked off an island (their island link) and those that stayed on one.
    """
    if home_isl is None:
        return None
    hpos = np.flatnonzero(home_isl.ok[h_ok])  # positions among the placed homes
    if not len(hpos):
        return None
    hi = home_isl.take(h_ok[hpos])
    on_island = node_on_island[fp.u] & fp.ok
    fi = fp
    if fac_isl is not None:
        moved = fac_isl.ok[f_ok]
        fi = _Placed(
            *(
                np.where(moved, getattr(fac_isl, f)[f_ok], getattr(fp, f))
                for f in _Placed.__dataclass_fields__
            )
        )
        on_island |= moved
    fpos = np.flatnonzero(on_island)
    if not len(fpos):
        return None
    fi = fi.take(fpos)
    graph, virtual = _reverse_graph_with_sources(csr_reverse, fi)
    n = csr_reverse.shape[0]
    return _IslandWays(n, graph, virtual, hi, hpos, fi, fpos, _same_street(hi, fi))


@dataclass(frozen=True)
class _IslandWays:
    """Walks along islands for homes linked off one (see :func:`_island_ways`).

    ``hp``: the island links of those homes (``hpos``: their positions among the
    placed homes); ``graph``/``virtual``: the reversed graph with one virtual
    node per facility on an island (``fpos``: their positions among the placed
    facilities); ``same``: their shared-street pairs.
    """

    n: int
    graph: sparse.csr_array
    virtual: np.ndarray
    hp: _Placed
    hpos: np.ndarray
    fp: _Placed
    fpos: np.ndarray
    same: tuple[np.ndarray, np.ndarray, np.ndarray]

    def improve(
        self, best: np.ndarray, who: np.ndarray, sel: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """``best``/``who`` with the walk along the island where it is shorter."""
        mine = np.flatnonzero(np.isin(self.fpos, sel))
        if not len(mine):
            return best, who
        d, w = _nearest_source(
            self.graph, self.n, self.virtual[mine], self.hp, self.same, mine, np.inf
        )
        better = d < best[self.hpos]
        best, who = best.copy(), who.copy()
        best[self.hpos[better]] = d[better]
        who[self.hpos[better]] = self.fpos[w[better]]
        return best, who

    def reaches(self, sel: np.ndarray, n_homes: int) -> np.ndarray:
        """Per placed home: a facility among ``sel`` is reachable along its island."""
        out = np.zeros(n_homes, dtype=bool)
        mine = np.flatnonzero(np.isin(self.fpos, sel))
        if len(mine):
            rooted, roots = _with_roots(self.graph, [self.virtual[mine]])
            out[self.hpos] = _reaches_any(rooted, int(roots[0]), self.hp, self.same, mine)
        return out


@dataclass(frozen=True)
class ServiceAreaPieces:
    """Where one can walk to the nearest source point: see :meth:`WalkNetwork.service_area_pieces`.

    Parameters
    ----------
    anchors
        One row per (directed edge, anchor): ``edge`` (position in the edge
        arrays), ``anchor_m`` (metres from the edge's ``u`` where the walk
        leaves the edge: its length for the end ``v``, or a source point's
        position on it) and ``anchor_dist_m`` (walking metres from the anchor
        to the nearest source, the source's leg included). A place ``x``
        metres from ``u`` with ``x <= anchor_m`` reaches a source in
        ``anchor_dist_m + anchor_m - x`` metres.
    sources
        The source points' snap table (see :func:`snap_points`).
    max_distance_m
        The search bound the anchors were found with.

    Examples
    --------
    >>> import pandas as pd
    >>> p = ServiceAreaPieces(
    ...     anchors=pd.DataFrame({"edge": [0], "anchor_m": [100.0], "anchor_dist_m": [30.0]}),
    ...     sources=pd.DataFrame(), max_distance_m=200.0)
    >>> p.intervals(100.0).values.tolist()  # from 30 m to 100 m along edge 0
    [[0.0, 30.0, 100.0]]
    """

    anchors: pd.DataFrame
    sources: pd.DataFrame
    max_distance_m: float

    def intervals(self, limit_m: float) -> pd.DataFrame:
        """The parts of directed edges from which a source is within ``limit_m``.

        Parameters
        ----------
        limit_m
            Walking metres, at most :attr:`max_distance_m`.

        Returns
        -------
        pandas.DataFrame
            ``edge``, ``start_m``, ``end_m`` (metres from the edge's ``u``, in
            the edge's length units); overlapping parts are not merged.

        Raises
        ------
        InputError
            ``limit_m`` beyond the search bound.

        Examples
        --------
        >>> import pandas as pd
        >>> p = ServiceAreaPieces(
        ...     anchors=pd.DataFrame({"edge": [3], "anchor_m": [50.0], "anchor_dist_m": [0.0]}),
        ...     sources=pd.DataFrame(), max_distance_m=80.0)
        >>> p.intervals(80.0).values.tolist()  # the whole 50 m before the anchor
        [[3.0, 0.0, 50.0]]
        """
        if limit_m > self.max_distance_m:
            raise InputError(
                f"limit {limit_m} m is beyond the search bound {self.max_distance_m} m"
            )
        a = self.anchors
        sel = a["anchor_dist_m"].to_numpy() <= limit_m
        end = a["anchor_m"].to_numpy()[sel]
        start = np.maximum(end - (limit_m - a["anchor_dist_m"].to_numpy()[sel]), 0.0)
        return pd.DataFrame({"edge": a["edge"].to_numpy()[sel], "start_m": start, "end_m": end})

    def distance_at(self, edge: np.ndarray, at_m: np.ndarray) -> np.ndarray:
        """Walking metres to the nearest source from places on directed edges (inf if none).

        Parameters
        ----------
        edge
            Directed edge of each place.
        at_m
            Metres from the edge's ``u``.

        Returns
        -------
        numpy.ndarray
            Per place, the shortest ``anchor_dist_m + anchor_m - at_m`` over the
            edge's anchors with ``anchor_m >= at_m`` (inf beyond the bound).

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> p = ServiceAreaPieces(
        ...     anchors=pd.DataFrame({"edge": [0, 0], "anchor_m": [40.0, 100.0],
        ...                           "anchor_dist_m": [500.0, 10.0]}),
        ...     sources=pd.DataFrame(), max_distance_m=1000.0)
        >>> p.distance_at(np.array([0, 0, 1]), np.array([20.0, 50.0, 0.0])).tolist()
        [90.0, 60.0, inf]
        """
        edge = np.asarray(edge, dtype=np.int64)
        at_m = np.asarray(at_m, dtype=np.float64)
        out = np.full(len(edge), np.inf)
        a_edge = self.anchors["edge"].to_numpy()
        a_m = self.anchors["anchor_m"].to_numpy()
        a_d = self.anchors["anchor_dist_m"].to_numpy()
        lo = np.searchsorted(a_edge, edge, side="left")
        cnt = np.searchsorted(a_edge, edge, side="right") - lo
        place = np.repeat(np.arange(len(edge)), cnt)
        k = ragged_arange(cnt, lo)
        d = np.where(a_m[k] >= at_m[place], a_d[k] + a_m[k] - at_m[place], np.inf)
        np.minimum.at(out, place, d)
        return out


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
    island_max_nodes, island_max_m
        What counts as an *island*: a weakly connected piece of the network
        with fewer than ``island_max_nodes`` nodes or less than
        ``island_max_m`` metres of street (each street counted once, both
        directions together). Defaults: 40 nodes, the size below which R5
        (Conveyal) prunes a piece (``MIN_SUBGRAPH_SIZE``; OpenTripPlanner
        prunes pieces under 10 by default), and 300 m, the smallest walking
        threshold of GB 50180-2018 (5-minute tier): fragments of footpath and
        courtyard paths mapped without their connection. Homes and facilities
        whose nearest street is on an island are linked to the nearest street
        of a piece that is not an island (within ``max_leg_m``; else they stay
        on the island), and the snap table says so (``island_edge``,
        ``extra_leg_m``). The exception, like OpenTripPlanner keeping islands
        that hold stops: a home linked off an island still walks along that
        island to a facility whose nearest street is on the same island, when
        that walk is shorter than the one over the main network (per
        category; :meth:`nearest_facilities` only). Islands are never removed
        from the graph. ``island_max_nodes=0`` turns all this off (every point
        on its nearest street).

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

    # Set only by coverage15.network.walk_network_from_osm (the OSM-file fast path):
    # the arrays it came from. Absent on other networks, so readers use
    # getattr(network, "walk_arrays", None).
    walk_arrays: WalkArrays

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
        island_max_nodes: int = ISLAND_MAX_NODES,
        island_max_m: float = ISLAND_MAX_M,
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
        self.csr = _csr_min_weight(
            self.edge_u[no_loop], self.edge_v[no_loop], self.edge_length[no_loop], n
        )
        self.csr_reverse = sparse.csr_array(self.csr.T.tocsr())
        if not (island_max_nodes >= 0 and island_max_m >= 0):
            raise InputError(
                f"island_max_nodes and island_max_m must be >= 0, got {island_max_nodes} "
                f"and {island_max_m}"
            )
        self.island_max_nodes = int(island_max_nodes)
        self.island_max_m = float(island_max_m) if island_max_nodes else 0.0
        #: Snaps of point sets, kept by coordinates (see :class:`~coverage15.snap.SnapCache`).
        self.snap_cache = SnapCache(lambda: self.signature)
        #: how the network was built and edited (:func:`coverage15.prepare_network`)
        self.record: dict[str, Any] = {}
        #: the :class:`~coverage15.barriers.CutReport` of each edit applied before preparing
        self.cuts: list[Any] = []

    # ------------------------------------------------------------------ building
    @classmethod
    def from_graph(
        cls,
        graph: nx.MultiDiGraph,
        *,
        weight: str = "length",
        island_max_nodes: int = ISLAND_MAX_NODES,
        island_max_m: float = ISLAND_MAX_M,
    ) -> WalkNetwork:
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
        island_max_nodes, island_max_m
            What counts as an island (see :class:`WalkNetwork`).

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
        with gc_paused():  # millions of small tuples; see coverage15._arrays.gc_paused
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
            island_max_nodes=island_max_nodes,
            island_max_m=island_max_m,
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
    def islands(self) -> pd.DataFrame:
        """The network's pieces (weakly connected components) and which are islands.

        Returns
        -------
        pandas.DataFrame
            One row per component label: ``nodes``, ``street_m`` (metres of
            street, each street once) and ``island`` (fewer than
            ``island_max_nodes`` nodes or less than ``island_max_m`` metres).

        Examples
        --------
        >>> import networkx as nx
        >>> G = nx.MultiDiGraph(crs="EPSG:32650")
        >>> G.add_nodes_from((i, {"x": 100.0 * i, "y": 0.0}) for i in range(4))
        >>> _ = G.add_edge(0, 1, length=100.0); _ = G.add_edge(1, 0, length=100.0)
        >>> _ = G.add_edge(2, 3, length=300.0)
        >>> WalkNetwork.from_graph(G, island_max_nodes=2).islands.values.tolist()
        [[2, 100.0, True], [2, 300.0, False]]
        """
        k, comp = self._components
        streets = self.streets
        s_edge = streets.edge
        street_m = np.bincount(
            comp[self.edge_u[s_edge]], weights=self.edge_length[s_edge], minlength=k
        )
        nodes = np.bincount(comp, minlength=k)
        island = (nodes < self.island_max_nodes) | (street_m < self.island_max_m)
        if not self.island_max_nodes:
            island[:] = False
        return pd.DataFrame({"nodes": nodes, "street_m": street_m, "island": island})

    @cached_property
    def _island_streets(self) -> np.ndarray:
        """Per street: on an island."""
        s_edge = self.streets.edge
        return self.islands["island"].to_numpy()[self.component[self.edge_u[s_edge]]]

    @cached_property
    def _mainland(self) -> StreetSubset | None:
        """The streets not on islands with their own STRtree (None when all are on islands)."""
        on = self._island_streets
        return StreetSubset.of(self.streets, ~on) if not on.all() else None

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

    def island_links(
        self,
        points: gpd.GeoSeries | gpd.GeoDataFrame,
        *,
        max_leg_m: float | None = 500.0,
        ids: str | None = None,
        source: str = "points",
    ) -> pd.DataFrame:
        """The points whose nearest street lies on an island, and what linking them cost.

        Parameters
        ----------
        points
            Points in the network's CRS (as given to :meth:`nearest_facilities`).
        max_leg_m
            Snapping tolerance.
        ids
            Column naming the points (default: the index labels).
        source
            Name of the input in messages (e.g. ``"homes"``).

        Returns
        -------
        pandas.DataFrame
            One row per such point, indexed like ``points``: ``id`` (from
            ``ids``, else the index label), ``island_leg_m`` (the leg to the
            nearest street, on the island), ``leg_m`` (the leg used),
            ``extra_leg_m`` (their difference; NaN when the point stayed),
            ``linked`` (``"main network"``, or ``"island"`` when no other
            street was within ``max_leg_m``), ``island_nodes`` and
            ``island_street_m`` (the island's size).

        Examples
        --------
        >>> import geopandas as gpd, networkx as nx, shapely
        >>> G = nx.MultiDiGraph(crs="EPSG:32650")
        >>> G.add_nodes_from([(1, {"x": 0.0, "y": 0.0}), (2, {"x": 500.0, "y": 0.0}),
        ...                   (3, {"x": 0.0, "y": 7.0}), (4, {"x": 20.0, "y": 7.0})])
        >>> _ = G.add_edge(1, 2, length=500.0); _ = G.add_edge(3, 4, length=20.0)
        >>> net = WalkNetwork.from_graph(G, island_max_nodes=2)
        >>> pts = gpd.GeoSeries(shapely.points([[10.0, 5.0], [300.0, 1.0]]), crs="EPSG:32650")
        >>> net.island_links(pts)[["island_leg_m", "leg_m", "extra_leg_m", "linked"]]
           island_leg_m  leg_m  extra_leg_m        linked
        0           2.0    5.0          3.0  main network
        """
        entry, _ = self._snap_cols(points, max_leg_m=max_leg_m, ids=ids, source=source)
        return self._island_table(entry, points, ids)

    def _island_table(
        self, entry: SnapEntry, points: gpd.GeoSeries | gpd.GeoDataFrame, ids: str | None
    ) -> pd.DataFrame:
        cols = entry.cols
        moved = np.asarray(cols["island_edge"]) >= 0
        stayed = np.asarray(cols["on_island"], dtype=bool)
        rows = np.flatnonzero(moved | stayed)
        if ids is not None and isinstance(points, gpd.GeoDataFrame) and ids in points.columns:
            labels = points[ids].to_numpy()
        else:
            labels = points.index.to_numpy()
        edge = np.where(moved, cols["island_edge"], cols["edge"])[rows]
        comp = self.component[self.edge_u[edge]] if len(rows) else np.empty(0, dtype=np.int64)
        isl = self.islands
        return pd.DataFrame(
            {
                "id": labels[rows],
                "island_leg_m": np.where(moved, cols["island_leg_m"], cols["leg_m"])[rows],
                "leg_m": np.asarray(cols["leg_m"])[rows],
                "extra_leg_m": np.asarray(cols["extra_leg_m"])[rows],
                "linked": np.where(moved[rows], "main network", "island"),
                "island_nodes": isl["nodes"].to_numpy()[comp],
                "island_street_m": isl["street_m"].to_numpy()[comp],
            },
            index=points.index[rows],
        )

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

        Same as :func:`coverage15.access.snap_points`, but snaps of the same
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
            The snap table of :func:`coverage15.access.snap_points`, index-aligned
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
    ) -> tuple[SnapEntry, list]:
        """Snap columns (cached by coordinates) and the labels of unsnapped points (warned)."""
        if max_leg_m is not None and not max_leg_m > 0:
            raise InputError(f"max_leg_m must be positive, got {max_leg_m}", source=source)
        arr, xy = points_and_xy(points, self.crs, source=source)

        def make() -> dict[str, Any]:
            return snap_avoiding_islands(
                self,
                arr,
                island_street=self._island_streets,
                mainland=lambda: self._mainland,
                max_leg_m=max_leg_m,
                xy=xy,
                snap=snap_array,  # looked up here at call time
            )

        entry = self.snap_cache.snap(xy, max_leg_m=max_leg_m, make=make)
        cols = entry.cols
        if ids is not None and isinstance(points, gpd.GeoDataFrame) and ids in points.columns:
            labels = points[ids]
        else:
            labels = points.index
        unsnapped = warn_unsnapped(cols["snapped"], labels, source=source, max_leg_m=max_leg_m)
        return entry, unsnapped

    @cached_property
    def signature(self) -> str:
        """A digest of the network's nodes, edges, costs and island settings.

        Snaps are valid only for the network they were made on (see
        :func:`coverage15.snap.network_signature`).

        Examples
        --------
        >>> G = nx.MultiDiGraph(crs="EPSG:32650")
        >>> G.add_nodes_from([(1, {"x": 0.0, "y": 0.0}), (2, {"x": 10.0, "y": 0.0})])
        >>> _ = G.add_edge(1, 2, length=10.0)
        >>> len(WalkNetwork.from_graph(G).signature)
        40
        """
        base = network_signature(
            self.node_x, self.node_y, self.edge_u, self.edge_v, self.edge_length
        )
        if (self.island_max_nodes, self.island_max_m) == (0, 0.0):
            return base
        h = hashlib.sha1(base.encode())
        h.update(f"islands<{self.island_max_nodes},{self.island_max_m!r}".encode())
        return h.hexdigest()

    def save_snaps(self, path: str | Any) -> int:
        """Keep this network's cached snaps in a file, for the next run on the same network.

        A rerun with new facilities or another profile then loads the homes'
        snaps with :meth:`load_snaps` instead of snapping them again. The file is
        written to a temporary name first (see :meth:`coverage15.snap.SnapCache.save`).

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
        return self.snap_cache.save(path)

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
        return self.snap_cache.load(path)

    def _placed(self, entry: SnapEntry) -> tuple[_Placed, _Placed | None]:
        """Routing arrays of a snap (cached on the entry): the links used, and the island
        links of points linked off an island (None when there are none)."""
        if entry.derived is None:
            cols = entry.cols
            missing = set(SNAP_COLUMNS) - set(cols.keys())
            if missing:
                raise InputError(f"not a snap table, lacks {sorted(missing)}", source="snaps")
            arrays = (self.edge_u, self.edge_v, self.edge_length)
            main = _place_on_edges(
                cols["edge"],
                cols["reverse_edge"],
                cols["snapped"],
                cols["leg_m"],
                cols["pos_m"],
                *arrays,
            )
            island = None
            i_edge = np.asarray(cols.get("island_edge", ()), dtype=np.int64)
            if len(i_edge) and (i_edge >= 0).any():
                safe = np.where(i_edge >= 0, i_edge, 0)
                street = self.streets.street_of_edge[safe]
                island = _place_on_edges(
                    i_edge,
                    self.streets.reverse_edge[street],
                    i_edge >= 0,
                    cols["island_leg_m"],
                    cols["island_pos_m"],
                    *arrays,
                )
            entry.derived = (main, island)
        return entry.derived

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
        Homes linked off an island (see :class:`WalkNetwork`) also try the walk
        along their island to facilities linked from the same island, and keep
        the shorter.

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
            snapped or cannot reach one) and ``reach__<cat>``, a categorical
            of :data:`REACH_STATUSES`:

            ``"reached"``
                a facility within ``max_distance_m`` (the distance is given);
            ``"beyond_bound"``
                a facility of the category can be reached along the network
                (one-way streets honoured), but only farther than the bound;
            ``"no_path"``
                no directed path from the home to any facility of the category
                at any distance (another piece of the network, a one-way trap,
                or no such facility at all);
            ``"off_network"``
                the home is not snapped (farther than ``max_leg_m`` from every
                street).

            ``attrs``:

            ``counts``
                ``{category: {"within", "beyond_bound", "unreachable",
                "not_snapped", "facilities", "facilities_not_snapped"}}``;
                the first four count the four statuses in order
                (``unreachable`` = ``"no_path"``) and add up to the number of homes.
            ``max_distance_m``, ``speed_m_per_min``, ``n_homes_unsnapped``,
            ``n_facilities_unsnapped``; ``homes_on_islands`` and
            ``facilities_on_islands``: the tables of :meth:`island_links`
            (the points whose nearest street is on an island, with the extra
            leg linking them elsewhere cost).

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
        >>> r.attrs["counts"]["clinic"]["beyond_bound"], r["reach__clinic"].tolist()
        (1, ['reached', 'beyond_bound'])
        """
        if not max_distance_m > 0:
            raise InputError(f"max_distance_m must be positive, got {max_distance_m}")
        if not (speed_m_per_min > 0 and math.isfinite(speed_m_per_min)):
            raise InputError(f"speed_m_per_min must be positive, got {speed_m_per_min}")
        fac_cat, padded_ids = _categories_and_ids(facilities, category, facility_id)
        home_snap, home_off = self._snap_cols(
            homes, max_leg_m=max_leg_m, ids="home_id", source="homes"
        )
        fac_snap, fac_off = self._snap_cols(
            facilities, max_leg_m=max_leg_m, ids=facility_id, source="facilities"
        )
        home, home_isl = self._placed(home_snap)
        fac, fac_isl = self._placed(fac_snap)
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
        n = self.n_nodes
        # shared by all categories: the graph with one virtual node per facility and the
        # homes sharing a street with a facility
        graph, virtual = _reverse_graph_with_sources(self.csr_reverse, fp)
        same = _same_street(hp, fp)
        node_on_island = self.islands["island"].to_numpy()[self.component]
        islands = _island_ways(node_on_island, self.csr_reverse, home_isl, h_ok, fac_isl, fp, f_ok)

        columns: dict[str, Any] = {"snapped": home.ok.copy()}
        counts: dict[Hashable, dict[str, int]] = {}
        loop: Iterable[Hashable] = categories
        if progress:
            from coverage15._progress import progress_bar

            loop = progress_bar(categories, desc="categories", unit="cat")
        rooted: sparse.csr_array | None = None
        roots = np.empty(0, dtype=np.int64)
        for ci, cat in enumerate(loop):
            sel = np.flatnonzero(f_cat == cat)  # positions in fp
            n_fac = int(np.count_nonzero(fac_cat == cat))
            best = np.full(len(h_ok), np.inf)
            who = np.full(len(h_ok), -1, dtype=np.int64)
            path = np.zeros(len(h_ok), dtype=bool)
            if len(sel) and len(h_ok):
                best, who = _nearest_source(graph, n, virtual[sel], hp, same, sel, limit)
                if islands is not None:
                    best, who = islands.improve(best, who, sel)
                kept = best <= limit
                path[kept] = True
                if not kept.all():  # is a facility of the category reachable at all?
                    if rooted is None:  # one root per category, joined to its facilities
                        rooted, roots = _with_roots(
                            graph, [virtual[f_cat == c] for c in categories]
                        )
                    path |= _reaches_any(rooted, int(roots[ci]), hp, same, sel)
                    if islands is not None:
                        path |= islands.reaches(sel, len(h_ok))
            kept = best <= limit
            best = np.where(kept, best, np.nan)  # NaN beyond the bound
            if len(f_ok):  # positions among all facilities; -1 if none
                who = np.where(kept, f_ok.take(who, mode="clip"), -1)
            status = np.where(kept, 0, np.where(path, 1, 2)).astype(np.int8)
            dist = np.full(n_h, np.nan)
            dist[h_ok] = best
            fidx = np.full(n_h, -1, dtype=np.int64)
            fidx[h_ok] = who
            code = np.full(n_h, 3, dtype=np.int8)  # off network
            code[h_ok] = status
            columns[f"dist_m__{cat}"] = dist
            columns[f"time_min__{cat}"] = dist / speed_m_per_min
            columns[f"facility__{cat}"] = padded_ids.take(fidx)  # -1: the missing value
            columns[f"reach__{cat}"] = pd.Categorical.from_codes(code, dtype=REACH_DTYPE)
            tally = np.bincount(code, minlength=4)
            counts[cat] = {
                "within": int(tally[0]),
                "beyond_bound": int(tally[1]),
                "unreachable": int(tally[2]),
                "not_snapped": int(tally[3]),
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
            "homes_on_islands": self._island_table(home_snap, homes, "home_id"),
            "facilities_on_islands": self._island_table(fac_snap, facilities, facility_id),
        }
        return out

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
            legs included; for a home linked off an island, the shorter of the
            walks over the main network and along its island, as in
            :meth:`nearest_facilities`), sorted by facility then home. Unsnapped points
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
        home, home_isl = self._placed(home_snap)
        fac, fac_isl = self._placed(fac_snap)
        limit = float(max_distance_m)
        n = self.n_nodes
        h_ok = np.flatnonzero(home.ok)
        f_ok = np.flatnonzero(fac.ok)
        hp, fp = home.take(h_ok), fac.take(f_ok)
        parts_f: list[np.ndarray] = []
        parts_h: list[np.ndarray] = []
        parts_d: list[np.ndarray] = []
        if len(h_ok) and len(f_ok):
            graph, virtual = _reverse_graph_with_sources(self.csr_reverse, fp)
            rows = max(1, int(chunk_bytes // (8 * (n + len(f_ok)))))
            for f_c, h_c, d_c in _pairs_within(graph, virtual, n, hp, fp, limit, rows):
                parts_f.append(f_ok[f_c])
                parts_h.append(h_ok[h_c])
                parts_d.append(d_c)
            # homes linked off an island also walk along it to facilities there
            node_on_island = self.islands["island"].to_numpy()[self.component]
            ways = _island_ways(node_on_island, self.csr_reverse, home_isl, h_ok, fac_isl, fp, f_ok)
            if ways is not None:
                for f_c, h_c, d_c in _pairs_within(
                    ways.graph, ways.virtual, n, ways.hp, ways.fp, limit, rows
                ):
                    parts_f.append(f_ok[ways.fpos[f_c]])
                    parts_h.append(h_ok[ways.hpos[h_c]])
                    parts_d.append(d_c)
        f_all = _concat(parts_f).astype(np.int64)
        h_all = _concat(parts_h).astype(np.int64)
        d_all = _concat(parts_d).astype(np.float64)
        if len(parts_f) > 1:  # the shorter of the two ways per pair, sorted again
            order = np.lexsort((d_all, h_all, f_all))
            first = order[run_starts(f_all[order], h_all[order])]
            f_all, h_all, d_all = f_all[first], h_all[first], d_all[first]
        out = pd.DataFrame({"facility": f_all, "home": h_all, "dist_m": d_all})
        out.attrs = {
            "max_distance_m": limit,
            "n_homes_unsnapped": len(home_off),
            "n_facilities_unsnapped": len(fac_off),
        }
        return out

    def service_area_pieces(
        self,
        points: gpd.GeoSeries | gpd.GeoDataFrame,
        *,
        max_distance_m: float,
        max_leg_m: float | None = 500.0,
    ) -> ServiceAreaPieces:
        """Where on the network one can walk to the nearest of ``points`` within a distance.

        The direction is the one of :meth:`nearest_facilities`: from a place on
        a street *to* a point (home → facility), one-way streets honoured, the
        points snapped exactly as the engine snaps facilities (edge, partial
        edge, off-network leg, islands avoided). A place at ``x`` metres from
        ``u`` along a directed edge walks forward along it to an *anchor*: the
        edge's end ``v`` (then on to the nearest point), or a point on that
        edge; its walking distance is ``anchor_dist_m + (anchor_m - x)``.

        Parameters
        ----------
        points
            Source points (e.g. facilities) in the network's CRS.
        max_distance_m
            Search bound in metres (may be ``inf``); anchors farther are left out.
        max_leg_m
            Snapping tolerance of the points.

        Returns
        -------
        ServiceAreaPieces
            The anchors per directed edge and the points' snap table.

        Examples
        --------
        A one-way street 0 → 1 (1000 m) with a point at 300 m: only the
        100 m before it can walk to it within 200 m.

        >>> import geopandas as gpd, networkx as nx, shapely
        >>> G = nx.MultiDiGraph(crs="EPSG:32650")
        >>> G.add_nodes_from([(0, {"x": 0.0, "y": 0.0}), (1, {"x": 1000.0, "y": 0.0})])
        >>> _ = G.add_edge(0, 1, length=1000.0)
        >>> net = WalkNetwork.from_graph(G)
        >>> pts = gpd.GeoSeries([shapely.Point(300, 0)], crs="EPSG:32650")
        >>> net.service_area_pieces(pts, max_distance_m=200).intervals(200).values.tolist()
        [[0.0, 100.0, 300.0]]
        """
        if not max_distance_m > 0:
            raise InputError(f"max_distance_m must be positive, got {max_distance_m}")
        entry, _ = self._snap_cols(points, max_leg_m=max_leg_m, ids=None, source="points")
        src = self._placed(entry)[0]
        sp = src.take(np.flatnonzero(src.ok))
        limit = float(max_distance_m)
        n = self.n_nodes
        parts_e: list[np.ndarray] = []
        parts_a: list[np.ndarray] = []
        parts_d: list[np.ndarray] = []
        if len(sp.ok):
            graph, virtual = _reverse_graph_with_sources(self.csr_reverse, sp)
            d = dijkstra(graph, directed=True, indices=virtual, limit=limit, min_only=True)[:n]
            # every directed edge walks forward to its end v (self-loops too)
            dv = d[self.edge_v]
            near = np.flatnonzero(dv <= limit)
            parts_e.append(near)
            parts_a.append(self.edge_length[near])
            parts_d.append(dv[near])
            # each point's own street, walking along it to the point in each usable direction
            parts_e.append(sp.edge)
            parts_a.append(sp.frac * sp.len_f)
            parts_d.append(sp.leg)
            rev = self.streets.reverse_edge[self.streets.street_of_edge[sp.edge]]
            two = rev >= 0
            parts_e.append(rev[two])
            parts_a.append(((1.0 - sp.frac) * sp.len_b)[two])
            parts_d.append(sp.leg[two])
        edge = _concat(parts_e).astype(np.int64)
        anchor = np.concatenate(parts_a) if parts_a else np.empty(0)
        dist = np.concatenate(parts_d) if parts_d else np.empty(0)
        keep = dist <= limit
        anchors = pd.DataFrame(
            {"edge": edge[keep], "anchor_m": anchor[keep], "anchor_dist_m": dist[keep]}
        )
        anchors = anchors.sort_values(["edge", "anchor_m"], kind="stable", ignore_index=True)
        sources = snap_table(entry.cols, points.index, unsnapped=[], max_leg_m=max_leg_m)
        return ServiceAreaPieces(anchors=anchors, sources=sources, max_distance_m=limit)


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


def snap_points(
    network: WalkNetwork | nx.MultiDiGraph,
    points: gpd.GeoSeries | gpd.GeoDataFrame,
    *,
    max_leg_m: float | None = 500.0,
    ids: str | None = None,
    source: str = "points",
) -> pd.DataFrame:
    """Snap points to the nearest street edge of a walking network.

    Parameters
    ----------
    network
        A :class:`WalkNetwork` (its snap cache is used), or a projected
        networkx MultiDiGraph as osmnx builds it (then a WalkNetwork is built
        from it; build it once yourself when snapping more than once).
    points
        Point geometries in the network's CRS. Polygons and multipart features
        must be turned into representative points first.
    max_leg_m
        Points farther than this from every edge are not snapped (``None``: no limit).
    ids
        Column naming the points in the warning (default: the index labels).
    source
        Name of the input in messages (e.g. ``"homes"``).

    Returns
    -------
    pandas.DataFrame
        Index-aligned with ``points``:

        ``edge``
            Index of the edge in the network's edge arrays (-1 when not snapped).
        ``reverse_edge``
            The edge running ``v → u`` along the same street, or -1 (one-way
            street, or not snapped).
        ``u``, ``v``
            Node labels of ``edge``'s ends.
        ``leg_m``
            Perpendicular distance from the point to the edge.
        ``pos_m``
            Distance along the edge from ``u`` (fraction along the geometry ×
            the edge's ``length``).
        ``edge_length_m``
            The edge's ``length``.
        ``snapped``
            False for points farther than ``max_leg_m`` from every edge (their
            distances are NaN).
        ``x``, ``y``
            The snapped location on the edge.
        ``on_island``
            The edge is on an island (no other street within ``max_leg_m``).
        ``island_edge``, ``island_leg_m``, ``island_pos_m``
            For a point whose nearest street is on an island and that was
            linked to another street: that nearest street's edge, leg and
            position (else -1 / NaN).
        ``extra_leg_m``
            ``leg_m - island_leg_m``: the longer leg this cost (else NaN).

        ``attrs``: ``n_unsnapped``, ``unsnapped`` (ids), ``max_leg_m``.

    Warns
    -----
    UnsnappedWarning
        When some points are not snapped, naming how many and which.

    Raises
    ------
    InputError
        Points in another CRS, missing or non-point geometries.

    Examples
    --------
    >>> import geopandas as gpd
    >>> import networkx as nx
    >>> import shapely
    >>> G = nx.MultiDiGraph(crs="EPSG:32650")
    >>> G.add_nodes_from([(1, {"x": 0.0, "y": 0.0}), (2, {"x": 100.0, "y": 0.0})])
    >>> _ = G.add_edge(1, 2, length=101.0)  # geodesic length, a little longer
    >>> pts = gpd.GeoSeries(shapely.points([[50, -3], [50, 900]]), crs="EPSG:32650")
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     s = snap_points(G, pts)
    >>> s[["leg_m", "pos_m", "snapped"]].values.tolist()
    [[3.0, 50.5, True], [nan, nan, False]]
    >>> s.attrs["n_unsnapped"], len(w)
    (1, 1)
    """
    if not isinstance(network, WalkNetwork):
        network = WalkNetwork.from_graph(network)
    return network.snap(points, max_leg_m=max_leg_m, ids=ids, source=source)
