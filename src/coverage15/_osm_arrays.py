"""Walk networks from OSM files as arrays, without networkx on the way.

The steps of :func:`coverage15.network.build_walk_network` for an OSM file,
each on numpy arrays:

1. read walkable ways with pyosmium (node references and fixed-point
   coordinates collected per way, osmnx's ``walk`` filter on the tags);
2. split ways where a referenced node is missing from the file (never bridged),
   drop repeated consecutive references, keep pieces of two or more nodes;
3. great-circle length of every way segment on the unprojected coordinates
   (osmnx's ``add_edge_lengths`` formula, so lengths equal osmnx's bit for bit);
4. optionally keep only the largest weakly connected piece;
5. simplify: merge chains of interstitial nodes into single edges by osmnx's
   rule (:func:`osmnx.simplify_graph`; an endpoint is a node with a self-loop,
   without in- or out-edges, or without exactly two neighbours and degree 2 or
   4), found by pointer jumping over half-edges; isolated rings (pieces without
   any endpoint) are kept as they are, as ``simplify_graph(remove_rings=False)``
   does;
6. project every node at once with a pyproj ``Transformer`` (local UTM zone by
   default, chosen from the bounds of the nodes kept, as osmnx does);
7. edge geometries in bulk with :func:`shapely.linestrings`, for merged edges
   only (straight edges need none: the engine draws them between their nodes).

Every walking direction is an edge (a walk network is bidirectional), so the
array pipeline reproduces osmnx's graph: same nodes, same edges and keys, same
lengths. :class:`WalkArrays` holds the result; it prepares a
:class:`~coverage15.access.WalkNetwork` and exports the osmnx-compatible
``MultiDiGraph`` on request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib.metadata import version as _pkg_version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyproj
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from coverage15._errors import NetworkError

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx

    from coverage15.access import WalkNetwork

#: osmnx's Earth radius for great-circle lengths (``osmnx.distance.EARTH_RADIUS_M``)
EARTH_RADIUS_M = 6_371_009.0
#: fixed-point coordinate precision of libosmium (``osmium::coordinate_precision``)
_OSM_PRECISION = 10_000_000

Rule = tuple[str, bool, "re.Pattern[str] | None"]


def great_circle(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    """Haversine distance in metres, the very arithmetic of ``osmnx.distance.great_circle``.

    Parameters
    ----------
    lat1, lon1, lat2, lon2
        Coordinates in decimal degrees (arrays of equal length).

    Returns
    -------
    numpy.ndarray
        Distances in metres (Earth radius 6 371 009 m).

    Examples
    --------
    >>> round(float(great_circle(np.array([0.0]), np.array([0.0]),
    ...                          np.array([0.0]), np.array([1.0]))[0]), 1)
    111195.1
    """
    y1 = np.deg2rad(lat1)
    y2 = np.deg2rad(lat2)
    delta_y = y2 - y1
    x1 = np.deg2rad(lon1)
    x2 = np.deg2rad(lon2)
    delta_x = x2 - x1
    h = np.sin(delta_y / 2) ** 2 + np.cos(y1) * np.cos(y2) * np.sin(delta_x / 2) ** 2
    h = np.minimum(1, h)
    dist = 2 * np.arcsin(np.sqrt(h)) * EARTH_RADIUS_M
    dist[np.isnan(dist)] = 0
    return dist


# --------------------------------------------------------------------------- reading


@dataclass
class RawWays:
    """What the pyosmium pass collects: walkable ways and the node references."""

    refs: np.ndarray  # int64 node id per reference, ways concatenated
    fx: np.ndarray  # int32-range fixed-point longitude per reference (invalid: out of range)
    fy: np.ndarray
    way_len: np.ndarray  # references per way
    way_id: np.ndarray
    way_tags: list[dict[str, str]]  # useful tags per way (osmnx's useful_tags_way)
    node_tags: dict[int, dict[str, str]]
    stats: dict[str, Any]


def check_rules(get: Any, rules: list[Rule]) -> bool:
    """osmnx's walk filter on a way, its tags read through ``get(key, default)``."""
    for key, negate, rx in rules:
        value = get(key, None)
        if rx is None:
            if value is None:
                return False
        elif negate:
            if value is not None and rx.search(value):
                return False
        elif value is None or not rx.search(value):
            return False
    return True


def read_ways(
    path: Path,
    *,
    rules: list[Rule],
    keep_tags: set[str],
    node_tags: tuple[str, ...],
    progress: bool = False,
) -> RawWays:
    """One pyosmium pass: walkable ways' node references with coordinates, tagged nodes.

    Parameters
    ----------
    path
        An OSM file (XML, compressed XML or PBF).
    rules
        The walk filter (:func:`coverage15.network.walk_filter`).
    keep_tags
        Way tags kept as edge attributes.
    node_tags
        Node tags kept (gates, entrances, crossings ...).
    progress
        Show a progress bar.

    Returns
    -------
    RawWays

    Examples
    --------
    >>> from coverage15.network import walk_filter, NODE_TAGS
    >>> from coverage15.datasets import sample_path
    >>> raw = read_ways(Path(sample_path("walk_network.osm")), rules=walk_filter(),
    ...                 keep_tags={"highway"}, node_tags=NODE_TAGS)
    >>> raw.stats["walkable_ways"] == len(raw.way_id) > 0
    True
    """
    import osmium

    from coverage15._progress import progress_bar

    try:
        reader = osmium.io.Reader(str(path), osmium.osm.osm_entity_bits.NOTHING)
        generator = reader.header().get("generator", "")
        reader.close()
    except RuntimeError as exc:
        raise NetworkError(f"{path}: not a readable OSM file ({exc})") from exc
    refs: list[int] = []
    fx: list[int] = []
    fy: list[int] = []
    way_len: list[int] = []
    way_id: list[int] = []
    way_tags: list[dict[str, str]] = []
    tagged: dict[int, dict[str, str]] = {}
    n_highway = 0
    n_excluded = 0
    ra, xa, ya = refs.append, fx.append, fy.append
    fp = (
        osmium.FileProcessor(str(path))
        .with_locations()
        .with_filter(osmium.filter.KeyFilter("highway", "barrier", "entrance"))
    )
    bar = progress_bar(desc="reading OSM", unit=" ways", disable=not progress, leave=False)
    # isinstance, as OSMObject.is_node/is_way do (and the type checker follows it)
    node_type, way_type = osmium.osm.Node, osmium.osm.Way
    try:
        for obj in fp:
            if isinstance(obj, node_type):
                t = obj.tags
                found = {k: t[k] for k in node_tags if k in t}
                if found:
                    tagged[obj.id] = found
                continue
            if not isinstance(obj, way_type):
                continue
            tags = obj.tags
            # the C lookup behind TagList.get, without its Python layer where it exists
            get = getattr(getattr(tags, "_pyosmium_data", None), "tags_get_value_by_key", None)
            if get is None:  # pragma: no cover - another pyosmium layout
                get = tags.get
            if get("highway", None) is None:
                continue
            n_highway += 1
            if progress:
                bar.update()
            if not check_rules(get, rules):
                n_excluded += 1
                continue
            nodes = obj.nodes
            # pyosmium's node list, read without its Python iterator when it has the
            # same internals as pyosmium 4 (twice as fast); else through the public API
            inner = getattr(nodes, "_list", None)
            data = getattr(nodes, "_pyosmium_data", None)
            if inner is not None and data is not None:
                at = inner.get
                n = inner.size(data)
                for i in range(n):
                    r = at(data, i)
                    loc = r.location
                    ra(r.ref)
                    xa(loc.x)
                    ya(loc.y)
            else:  # pragma: no cover - another pyosmium layout
                n = 0
                for r in nodes:
                    loc = r.location
                    ra(r.ref)
                    xa(loc.x)
                    ya(loc.y)
                    n += 1
            way_len.append(n)
            way_id.append(obj.id)
            way_tags.append({k: v for k in keep_tags if (v := get(k, None)) is not None})
    except RuntimeError as exc:
        raise NetworkError(f"{path}: not a readable OSM file ({exc})") from exc
    finally:
        bar.close()
    stats: dict[str, Any] = {
        "highway_ways": n_highway,
        "walkable_ways": len(way_id),
        "ways_excluded_by_walk_filter": n_excluded,
        "generator": generator,
        # data written by coverage15.sample is synthetic, not OpenStreetMap's
        "osm_data": not generator.startswith("coverage15.sample"),
    }
    return RawWays(
        refs=np.array(refs, dtype=np.int64),
        fx=np.array(fx, dtype=np.int64),
        fy=np.array(fy, dtype=np.int64),
        way_len=np.array(way_len, dtype=np.int64),
        way_id=np.array(way_id, dtype=np.int64),
        way_tags=way_tags,
        node_tags=tagged,
        stats=stats,
    )


# --------------------------------------------------------------------------- segments


@dataclass
class Segments:
    """Way segments between consecutive kept node references (one per walkable pair)."""

    node_ids: np.ndarray  # OSM ids of the nodes used, in order of first appearance
    lon: np.ndarray
    lat: np.ndarray
    a: np.ndarray  # node position of each segment's first node (way order)
    b: np.ndarray
    way: np.ndarray  # row of the segment's way in RawWays
    run: np.ndarray  # the way piece (between missing nodes) the segment belongs to
    length: np.ndarray  # great-circle metres


def split_ways(raw: RawWays) -> tuple[Segments, dict[str, int]]:
    """Ways cut at missing nodes into pieces, pieces into segments; counts of what was dropped.

    Parameters
    ----------
    raw
        From :func:`read_ways`.

    Returns
    -------
    tuple of (Segments, dict)
        The segments and the counts ``missing_node_refs``,
        ``ways_split_at_missing_nodes``, ``ways_dropped_missing_nodes``,
        ``ways_dropped_single_node`` and ``repeated_node_refs_dropped`` (a way
        through the same node twice in a row: the repeat adds no segment).

    Examples
    --------
    >>> raw = RawWays(refs=np.array([1, 2, 9, 4, 5]), fx=np.array([0, 1, 2**31 - 1, 3, 4]),
    ...               fy=np.zeros(5, np.int64), way_len=np.array([5]), way_id=np.array([7]),
    ...               way_tags=[{}], node_tags={}, stats={})
    >>> seg, counts = split_ways(raw)
    >>> seg.node_ids[seg.a].tolist(), seg.node_ids[seg.b].tolist(), counts["missing_node_refs"]
    ([1, 4], [2, 5], 1)
    """
    n_ways = len(raw.way_len)
    way_of = np.repeat(np.arange(n_ways), raw.way_len)
    valid = (np.abs(raw.fx) <= 180 * _OSM_PRECISION) & (np.abs(raw.fy) <= 90 * _OSM_PRECISION)
    first_of_way = np.zeros(len(raw.refs), dtype=bool)
    starts = np.cumsum(raw.way_len) - raw.way_len
    first_of_way[starts[raw.way_len > 0]] = True
    prev_invalid = np.zeros(len(raw.refs), dtype=bool)
    prev_invalid[1:] = ~valid[:-1]
    new_run = (first_of_way | prev_invalid)[valid]
    refs = raw.refs[valid]
    fx, fy = raw.fx[valid], raw.fy[valid]
    way = way_of[valid]
    run = np.cumsum(new_run) - 1
    # repeated consecutive references (a way through the same node twice in a row)
    dup = np.zeros(len(refs), dtype=bool)
    dup[1:] = (run[1:] == run[:-1]) & (refs[1:] == refs[:-1])
    refs, fx, fy, way, run = refs[~dup], fx[~dup], fy[~dup], way[~dup], run[~dup]
    n_runs = int(run[-1]) + 1 if len(run) else 0
    run_size = np.bincount(run, minlength=n_runs)
    kept_run = run_size >= 2
    keep = kept_run[run]
    refs, fx, fy, way, run = refs[keep], fx[keep], fy[keep], way[keep], run[keep]
    run_way = np.full(n_runs, -1, dtype=np.int64)
    run_way[run] = way
    runs_per_way = np.bincount(run_way[kept_run], minlength=n_ways)
    missing_per_way = np.bincount(way_of[~valid], minlength=n_ways)
    counts = {
        "missing_node_refs": int((~valid).sum()),
        "ways_split_at_missing_nodes": int((runs_per_way > 1).sum()),
        "ways_dropped_missing_nodes": int(((runs_per_way == 0) & (missing_per_way > 0)).sum()),
        "ways_dropped_single_node": int(((runs_per_way == 0) & (missing_per_way == 0)).sum()),
        "repeated_node_refs_dropped": int(dup.sum()),
    }
    # nodes in order of first appearance (as osmnx adds them)
    uniq, first, inverse = np.unique(refs, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    pos_of_uniq = np.empty(len(uniq), dtype=np.int64)
    pos_of_uniq[order] = np.arange(len(uniq))
    pos = pos_of_uniq[inverse.ravel()]
    node_first = first[order]
    lon = fx[node_first] / _OSM_PRECISION
    lat = fy[node_first] / _OSM_PRECISION
    pair = np.flatnonzero(run[1:] == run[:-1])
    a, b = pos[pair], pos[pair + 1]
    seg = Segments(
        node_ids=uniq[order],
        lon=lon,
        lat=lat,
        a=a,
        b=b,
        way=way[pair],
        run=run[pair],
        length=great_circle(lat[a], lon[a], lat[b], lon[b]),
    )
    return seg, counts


# --------------------------------------------------------------------------- simplification


def node_components(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """Connected-component label of each of ``n`` nodes, edges ``a``–``b`` undirected."""
    adj = sparse.coo_array((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n)).tocsr()
    return connected_components(adj, directed=False)[1]


def _cumcount(key: np.ndarray) -> np.ndarray:
    """Occurrence number of each value of ``key`` so far (0 for the first), in array order."""
    if not len(key):
        return np.empty(0, dtype=np.int64)
    order = np.argsort(key, kind="stable")
    k = key[order]
    head = np.ones(len(k), dtype=bool)
    head[1:] = k[1:] != k[:-1]
    start = np.maximum.accumulate(np.where(head, np.arange(len(k)), 0))
    out = np.empty(len(k), dtype=np.int64)
    out[order] = np.arange(len(k)) - start
    return out


@dataclass
class Edges:
    """Directed edges as paths of half-edges (half-edge ``2s``: segment ``s`` in way order,
    ``2s + 1``: against it)."""

    u: np.ndarray  # node positions (into Segments' node arrays)
    v: np.ndarray
    key: np.ndarray
    length: np.ndarray
    start: np.ndarray  # len m + 1: edge i's half-edges are path[start[i]:start[i + 1]]
    path: np.ndarray
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def merged(self) -> np.ndarray:
        """True for edges made of more than one way segment."""
        return np.diff(self.start) > 1


def _raw_order(seg: Segments) -> np.ndarray:
    """Half-edges in the order osmnx adds them: per way piece, forwards, then backwards."""
    m = len(seg.a)
    if not m:
        return np.empty(0, dtype=np.int64)
    s = np.arange(m)
    new = np.ones(m, dtype=bool)
    new[1:] = seg.run[1:] != seg.run[:-1]
    first = np.flatnonzero(new)
    size = np.diff(np.append(first, m))
    piece = np.cumsum(new) - 1
    base = 2 * first[piece]
    within = s - first[piece]
    out = np.empty(2 * m, dtype=np.int64)
    out[base + within] = 2 * s
    out[base + size[piece] + within] = 2 * s + 1
    return out


def _unique_counts(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values and their counts (a sort; faster than hashing here)."""
    k = np.sort(key)
    head = np.ones(len(k), dtype=bool)
    head[1:] = k[1:] != k[:-1]
    at = np.flatnonzero(head)
    return k[at], np.diff(np.append(at, len(k)))


def _pair_key(u: np.ndarray, v: np.ndarray, n: int) -> np.ndarray:
    return u.astype(np.int64) * np.int64(n) + v.astype(np.int64)


def raw_edges(seg: Segments) -> Edges:
    """Every half-edge as its own edge, keyed as osmnx keys them (unsimplified graph).

    Parameters
    ----------
    seg
        From :func:`split_ways`.

    Returns
    -------
    Edges

    Examples
    --------
    >>> seg = Segments(node_ids=np.array([1, 2]), lon=np.zeros(2), lat=np.zeros(2),
    ...                a=np.array([0, 0]), b=np.array([1, 1]), way=np.array([0, 1]),
    ...                run=np.array([0, 1]), length=np.array([5.0, 5.0]))
    >>> e = raw_edges(seg)
    >>> e.u.tolist(), e.v.tolist(), e.key.tolist()
    ([0, 1, 0, 1], [1, 0, 1, 0], [0, 0, 1, 1])
    """
    h = _raw_order(seg)
    s, back = h // 2, (h % 2).astype(bool)
    u = np.where(back, seg.b[s], seg.a[s])
    v = np.where(back, seg.a[s], seg.b[s])
    n = len(seg.node_ids)
    return Edges(
        u=u,
        v=v,
        key=_cumcount(_pair_key(u, v, n)),
        length=seg.length[s],
        start=np.arange(len(h) + 1),
        path=h,
    )


def simplify_edges(seg: Segments) -> tuple[Edges, np.ndarray]:
    """Merge chains of interstitial nodes, by osmnx's rule, keeping isolated rings.

    Parameters
    ----------
    seg
        From :func:`split_ways` (every segment walkable both ways).

    Returns
    -------
    tuple of (Edges, numpy.ndarray)
        The simplified edges and a boolean mask of the nodes kept.

    Examples
    --------
    >>> # a path 0-1-2 and a triangle 3-4-5 alone: 1 is merged, the ring is kept
    >>> seg = Segments(node_ids=np.arange(6), lon=np.zeros(6), lat=np.zeros(6),
    ...                a=np.array([0, 1, 3, 4, 5]), b=np.array([1, 2, 4, 5, 3]),
    ...                way=np.zeros(5, np.int64), run=np.array([0, 0, 1, 1, 1]),
    ...                length=np.ones(5))
    >>> e, kept = simplify_edges(seg)
    >>> kept.tolist(), len(e.u), sorted(e.length.tolist())[-2:]
    ([True, False, True, True, True, True], 8, [2.0, 2.0])
    """
    n = len(seg.node_ids)
    a, b = seg.a, seg.b
    m_seg = len(a)
    deg = np.bincount(a, minlength=n) + np.bincount(b, minlength=n)
    loop_node = np.zeros(n, dtype=bool)
    loop_node[a[a == b]] = True
    # osmnx: d = in + out = 2 deg; interstitial iff 2 neighbours, d in {2, 4}, no self-loop:
    # two segments (deg 2) to two different nodes
    cand = (deg == 2) & ~loop_node
    inc_node = np.concatenate([a, b])
    inc_seg = np.concatenate([np.arange(m_seg), np.arange(m_seg)])
    inc_far = np.concatenate([b, a])
    sel = np.flatnonzero(cand[inc_node])
    order = sel[np.argsort(inc_node[sel], kind="stable")]
    pair_node = inc_node[order][::2]
    pair_seg = inc_seg[order].reshape(-1, 2)
    pair_far = inc_far[order].reshape(-1, 2)
    inter = np.zeros(n, dtype=bool)
    inter[pair_node] = pair_far[:, 0] != pair_far[:, 1]
    comp = node_components(a, b, n)
    has_end = np.zeros(comp.max() + 1 if n else 0, dtype=bool)
    has_end[comp[~inter]] = True
    ring_node = ~has_end[comp]  # pieces without any endpoint: isolated rings, kept
    merge_node = inter & ~ring_node
    # the two segments at each node that is merged away
    other = np.full((n, 2), -1, dtype=np.int64)
    other[pair_node] = pair_seg
    # half-edges: h = 2s (a -> b) and 2s + 1 (b -> a)
    hs = np.arange(2 * m_seg)
    s = hs // 2
    back = (hs % 2).astype(bool)
    tail = np.where(back, b[s], a[s])
    head = np.where(back, a[s], b[s])
    # the half-edge before h along its chain: into tail(h) along tail's other segment
    is_root = ~merge_node[tail]
    t = tail[~is_root]
    o = np.where(other[t, 0] == s[~is_root], other[t, 1], other[t, 0])
    prev = hs.copy()
    # the other segment, oriented towards t: if its b is t it runs a -> b (2o), else 2o + 1
    prev[~is_root] = np.where(b[o] == t, 2 * o, 2 * o + 1)
    rank = (~is_root).astype(np.int64)
    ptr = prev
    live = np.flatnonzero(~is_root)  # half-edges whose pointer has not reached a root
    while len(live):
        p = ptr[live]
        rank[live] += rank[p]
        ptr[live] = ptr[p]
        live = live[~is_root[ptr[live]]]
    root = ptr
    order = np.lexsort((rank, root))
    chain_head = np.ones(len(order), dtype=bool)
    chain_head[1:] = root[order[1:]] != root[order[:-1]]
    start = np.flatnonzero(chain_head)
    n_edges = len(start)
    bounds = np.append(start, len(order))
    path = order
    first_h = path[bounds[:-1]]
    last_h = path[bounds[1:] - 1]
    u = tail[first_h]
    v = head[last_h]
    seg_len = seg.length[path // 2]
    length = np.add.reduceat(seg_len, start) if n_edges else seg_len[:0]
    single = np.diff(bounds) == 1
    # keys: unmerged edges keep their raw keys; merged ones follow the raw edges of the pair
    raw_h = _raw_order(seg)
    raw_rank = np.empty(2 * m_seg, dtype=np.int64)
    raw_rank[raw_h] = np.arange(2 * m_seg)
    direct = raw_h[~merge_node[tail[raw_h]] & ~merge_node[head[raw_h]]]  # endpoint to endpoint
    direct_pk = _pair_key(tail[direct], head[direct], n)
    raw_key_of_h = np.zeros(2 * m_seg, dtype=np.int64)
    raw_key_of_h[direct] = _cumcount(direct_pk)
    key = np.empty(n_edges, dtype=np.int64)
    key[single] = raw_key_of_h[first_h[single]]
    pk = _pair_key(u, v, n)
    raw_pairs, raw_count = _unique_counts(direct_pk)
    mi = np.flatnonzero(~single)
    raw_pairs = np.append(raw_pairs, -1)  # a sentinel: searchsorted may point past the end
    raw_count = np.append(raw_count, 0)
    at = np.minimum(np.searchsorted(raw_pairs[:-1], pk[mi]), len(raw_pairs) - 1)
    base = np.where(raw_pairs[at] == pk[mi], raw_count[at], 0)
    key[mi] = base + _cumcount(pk[mi])
    # unmerged edges in osmnx's raw order, then the merged ones
    edge_order = np.lexsort((np.where(single, raw_rank[first_h], 0), ~single))
    counts = np.diff(bounds)[edge_order]
    new_start = np.zeros(n_edges + 1, dtype=np.int64)
    np.cumsum(counts, out=new_start[1:])
    take = np.repeat(bounds[:-1][edge_order], counts) + (
        np.arange(int(new_start[-1])) - np.repeat(new_start[:-1], counts)
    )
    ring_pieces = len(np.unique(comp[ring_node])) if ring_node.any() else 0
    edges = Edges(
        u=u[edge_order],
        v=v[edge_order],
        key=key[edge_order],
        length=length[edge_order],
        start=new_start,
        path=path[take],
        counts={
            "nodes_merged_by_simplify": int(merge_node.sum()),
            "isolated_rings_kept": ring_pieces,
            "isolated_ring_nodes_kept": int(ring_node.sum()),
        },
    )
    return edges, ~merge_node


def largest_piece(seg: Segments) -> tuple[Segments, int]:
    """Only the segments of the largest weakly connected piece; and the nodes dropped.

    Parameters
    ----------
    seg
        From :func:`split_ways`.

    Returns
    -------
    tuple of (Segments, int)

    Examples
    --------
    >>> seg = Segments(node_ids=np.array([1, 2, 3, 4, 5]), lon=np.zeros(5), lat=np.zeros(5),
    ...                a=np.array([0, 1, 3]), b=np.array([1, 2, 4]), way=np.zeros(3, np.int64),
    ...                run=np.array([0, 0, 1]), length=np.ones(3))
    >>> kept, dropped = largest_piece(seg)
    >>> kept.node_ids.tolist(), dropped
    ([1, 2, 3], 2)
    """
    n = len(seg.node_ids)
    comp = node_components(seg.a, seg.b, n)
    size = np.bincount(comp)
    big = int(np.argmax(size))
    keep_node = comp == big
    new_pos = np.cumsum(keep_node) - 1
    keep_seg = keep_node[seg.a]
    out = Segments(
        node_ids=seg.node_ids[keep_node],
        lon=seg.lon[keep_node],
        lat=seg.lat[keep_node],
        a=new_pos[seg.a[keep_seg]],
        b=new_pos[seg.b[keep_seg]],
        way=seg.way[keep_seg],
        run=seg.run[keep_seg],
        length=seg.length[keep_seg],
    )
    return out, int(n - keep_node.sum())


# --------------------------------------------------------------------------- projection


def utm_crs(lon: np.ndarray, lat: np.ndarray) -> pyproj.CRS:
    """The local UTM zone of the nodes' bounds, as ``GeoSeries.estimate_utm_crs`` picks it.

    Parameters
    ----------
    lon, lat
        Node coordinates in degrees.

    Returns
    -------
    pyproj.CRS

    Examples
    --------
    >>> utm_crs(np.array([103.76, 103.77]), np.array([29.55, 29.56])).to_string()
    'EPSG:32648'
    """
    x = (float(lon.min()) + float(lon.max())) / 2
    y = (float(lat.min()) + float(lat.max())) / 2
    # the zone holding the bounds' centre (what estimate_utm_crs asks pyproj's database for),
    # by the 6-degree rule; near a zone edge, the equator or the poles ask the database itself
    edge = abs((x + 180.0) / 6.0 - round((x + 180.0) / 6.0)) < 1e-6
    if edge or abs(y) < 1e-6 or not (-80.0 < y < 84.0) or not (-180.0 <= x < 180.0):
        import geopandas as gpd

        box = shapely.box(lon.min(), lat.min(), lon.max(), lat.max())
        return gpd.GeoSeries([box], crs="EPSG:4326").estimate_utm_crs()
    zone = int((x + 180.0) // 6.0) + 1
    return pyproj.CRS.from_epsg((32600 if y > 0 else 32700) + zone)


def target_crs(crs: Any, lon: np.ndarray, lat: np.ndarray) -> pyproj.CRS:
    """The metric CRS asked for (checked), or the local UTM zone.

    Parameters
    ----------
    crs
        ``None`` or anything pyproj reads.
    lon, lat
        Node coordinates in degrees (for the UTM zone).

    Returns
    -------
    pyproj.CRS

    Raises
    ------
    NetworkError
        ``crs`` is not projected.

    Examples
    --------
    >>> target_crs("EPSG:4544", np.zeros(1), np.zeros(1)).to_string()
    'EPSG:4544'
    """
    if crs is None:
        return utm_crs(lon, lat)
    target = pyproj.CRS.from_user_input(crs)
    if not target.is_projected:
        raise NetworkError(f"crs={crs!r} is not a projected (metric) CRS")
    return target


# --------------------------------------------------------------------------- the result


@dataclass
class WalkArrays:
    """A walk network from an OSM file, as arrays (what :func:`build_arrays` returns).

    Node arrays cover every node a way piece uses (``kept`` marks those that are
    nodes of the network; the others are interstitial vertices of merged edges).
    Edges are directed, one per walking direction, each a path of half-edges
    over the way segments.

    Attributes
    ----------
    seg
        The way segments (unprojected node coordinates, lengths).
    x, y
        Projected coordinates of every node in ``seg``.
    kept
        Nodes of the network (not merged away).
    edges
        The directed edges.
    crs
        The projected CRS (text, e.g. ``'EPSG:32650'``).
    way_id, way_tags, node_tags
        OSM ids and kept tags of the ways (rows ``seg.way`` points at) and tags of nodes.
    record
        The build record (counts of everything read, excluded, split, dropped or merged).
    simplified
        Whether chains of interstitial nodes were merged.
    geographic
        Whether ``seg.lon``/``seg.lat`` are degrees (OSM); False for road lines,
        whose nodes have projected coordinates only.
    created_with
        The graph's ``created_with`` text (default: the OSM pipeline's).

    Examples
    --------
    >>> from coverage15.datasets import sample_path
    >>> from coverage15.network import walk_arrays_from_osm
    >>> arr = walk_arrays_from_osm(sample_path("walk_network.osm"))
    >>> arr.crs, int(arr.kept.sum()) == arr.walk_network().n_nodes
    ('EPSG:32648', True)
    """

    seg: Segments
    x: np.ndarray
    y: np.ndarray
    kept: np.ndarray
    edges: Edges
    crs: str
    way_id: np.ndarray
    way_tags: list[dict[str, str]]
    node_tags: dict[int, dict[str, str]]
    record: dict[str, Any]
    simplified: bool
    geographic: bool = True
    created_with: str = ""

    # ------------------------------------------------------------------ geometry
    def path_nodes(self, which: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Node positions along edges (``which``, default all) and the edge of each.

        Parameters
        ----------
        which
            Edge positions (default: every edge).

        Returns
        -------
        tuple of numpy.ndarray
            Node positions in travel order, edge by edge, and the position in
            ``which`` each belongs to.

        Examples
        --------
        >>> from coverage15.datasets import sample_path
        >>> from coverage15.network import walk_arrays_from_osm
        >>> arr = walk_arrays_from_osm(sample_path("walk_network.osm"))
        >>> nodes, owner = arr.path_nodes(np.array([0]))
        >>> bool(nodes[0] == arr.edges.u[0] and nodes[-1] == arr.edges.v[0])
        True
        """
        e = self.edges
        which = np.arange(len(e.u)) if which is None else np.asarray(which, dtype=np.int64)
        k = e.start[which + 1] - e.start[which]
        within = np.arange(int(k.sum())) - np.repeat(np.cumsum(k) - k, k)
        h = e.path[np.repeat(e.start[which], k) + within]
        s, back = h // 2, (h % 2).astype(bool)
        ends = np.where(back, self.seg.a[s], self.seg.b[s])
        firsts = e.u[which]
        n_each = k + 1
        out = np.empty(int(n_each.sum()), dtype=np.int64)
        first_at = np.cumsum(n_each) - n_each
        is_first = np.zeros(len(out), dtype=bool)
        is_first[first_at] = True
        out[is_first] = firsts
        out[~is_first] = ends
        return out, np.repeat(np.arange(len(which)), n_each)

    def geometries(self, which: np.ndarray | None = None) -> np.ndarray:
        """LineStrings of the edges (``which``, default all), oriented from ``u``, in bulk.

        Parameters
        ----------
        which
            Edge positions (default: every edge).

        Returns
        -------
        numpy.ndarray
            shapely LineStrings in the projected CRS.

        Examples
        --------
        >>> from coverage15.datasets import sample_path
        >>> from coverage15.network import walk_arrays_from_osm
        >>> arr = walk_arrays_from_osm(sample_path("walk_network.osm"))
        >>> arr.geometries()[0].geom_type
        'LineString'
        """
        nodes, owner = self.path_nodes(which)
        if not len(owner):
            return np.empty(0, dtype=object)
        return shapely.linestrings(self.x[nodes], self.y[nodes], indices=owner)

    # ------------------------------------------------------------------ outputs
    def walk_network(self) -> WalkNetwork:
        """The network prepared for routing (CSR, geometries of merged edges only).

        Returns
        -------
        coverage15.access.WalkNetwork
            Nodes are the kept nodes (OSM ids); straight edges carry no geometry
            (the engine draws them between their nodes).

        Examples
        --------
        >>> from coverage15.datasets import sample_path
        >>> from coverage15.network import walk_arrays_from_osm
        >>> net = walk_arrays_from_osm(sample_path("walk_network.osm")).walk_network()
        >>> net.crs, net.n_edges > net.n_nodes
        ('EPSG:32648', True)
        """
        from coverage15.access import WalkNetwork

        e = self.edges
        new_pos = np.cumsum(self.kept) - 1
        geometry = np.empty(len(e.u), dtype=object)
        mi = np.flatnonzero(e.merged)
        if len(mi):
            geometry[mi] = self.geometries(mi)
        keys = np.empty(len(e.key), dtype=object)
        keys[:] = e.key.tolist()
        return WalkNetwork(
            node_ids=self.seg.node_ids[self.kept],
            x=self.x[self.kept],
            y=self.y[self.kept],
            edge_u=new_pos[e.u],
            edge_v=new_pos[e.v],
            edge_length=e.length,
            edge_geometry=geometry,
            crs=self.crs,
            edge_keys=keys,
        )

    def street_count(self) -> np.ndarray:
        """Streets at each node, by osmnx's ``count_streets_per_node`` (a self-loop counts 2).

        Returns
        -------
        numpy.ndarray
            One count per node in ``seg`` (interstitial vertices get theirs too).

        Examples
        --------
        >>> from coverage15.datasets import sample_path
        >>> from coverage15.network import walk_arrays_from_osm
        >>> arr = walk_arrays_from_osm(sample_path("walk_network.osm"))
        >>> int(arr.street_count()[arr.kept].min()) >= 1
        True
        """
        e = self.edges
        n = len(self.seg.node_ids)
        loop = e.u == e.v
        lo, hi = np.minimum(e.u, e.v)[~loop], np.maximum(e.u, e.v)[~loop]
        key = np.unique(np.stack([lo, hi, e.key[~loop]], axis=1), axis=0)
        count = np.bincount(key[:, 0], minlength=n) + np.bincount(key[:, 1], minlength=n)
        count[np.unique(e.u[loop])] += 2
        return count

    def to_networkx(self) -> nx.MultiDiGraph:
        """The osmnx-compatible ``MultiDiGraph`` of this network.

        Node attributes: ``y``, ``x`` (projected), ``lon``, ``lat``,
        ``street_count`` and the node tags kept (``barrier``, ``entrance`` …);
        edge attributes as osmnx gives them (``osmid``, the way tags osmnx keeps
        such as ``highway`` and ``name``, ``oneway`` False, ``reversed``,
        ``length``) plus a projected ``geometry`` on every edge. Merged edges
        hold lists where their segments differ, and the summed ``length``, as
        :func:`osmnx.simplify_graph` makes them.

        Returns
        -------
        networkx.MultiDiGraph
            ``graph["crs"]`` is the projected CRS; ``graph["coverage15"]`` the
            build record; ``graph["simplified"]`` set when simplified.

        Examples
        --------
        >>> from coverage15.datasets import sample_path
        >>> from coverage15.network import walk_arrays_from_osm
        >>> G = walk_arrays_from_osm(sample_path("walk_network.osm")).to_networkx()
        >>> d = next(iter(G.edges(data=True)))[2]
        >>> sorted(k for k in ("osmid", "length", "geometry", "reversed") if k in d)
        ['geometry', 'length', 'osmid', 'reversed']
        """
        import networkx as nx

        from coverage15.snap import gc_paused

        e = self.edges
        seg = self.seg
        ids = seg.node_ids.tolist()
        G = nx.MultiDiGraph(
            crs=self.crs,
            created_with=self.created_with
            or f"coverage15 (pyosmium + arrays, OSMnx {_pkg_version('osmnx')} rules)",
        )
        if self.simplified:
            G.graph["simplified"] = True
        street_count = self.street_count()
        with gc_paused():
            kept = np.flatnonzero(self.kept)
            tags = self.node_tags
            if not self.geographic:
                G.add_nodes_from(
                    (ids[i], {"y": y, "x": x, "street_count": c})
                    for i, y, x, c in zip(
                        kept.tolist(),
                        self.y[kept].tolist(),
                        self.x[kept].tolist(),
                        street_count[kept].tolist(),
                        strict=True,
                    )
                )
            else:
                G.add_nodes_from(
                    (
                        ids[i],
                        {
                            "y": y,
                            "x": x,
                            "lon": lon,
                            "lat": lat,
                            "street_count": c,
                            **tags.get(ids[i], {}),
                        },
                    )
                    for i, y, x, lon, lat, c in zip(
                        kept.tolist(),
                        self.y[kept].tolist(),
                        self.x[kept].tolist(),
                        seg.lon[kept].tolist(),
                        seg.lat[kept].tolist(),
                        street_count[kept].tolist(),
                        strict=True,
                    )
                )
            geoms = self.geometries().tolist()
            way_ids = self.way_id.tolist()
            way_tags = self.way_tags
            path = e.path.tolist()
            start = e.start.tolist()
            seg_way = seg.way.tolist()
            edges = []
            for i, (u, v, k, length) in enumerate(
                zip(e.u.tolist(), e.v.tolist(), e.key.tolist(), e.length.tolist(), strict=True)
            ):
                hs = path[start[i] : start[i + 1]]
                if len(hs) == 1:
                    w = seg_way[hs[0] // 2]
                    d = {
                        "osmid": way_ids[w],
                        **way_tags[w],
                        "oneway": False,
                        "reversed": bool(hs[0] % 2),
                    }
                else:
                    d = _merged_attrs(hs, seg_way, way_ids, way_tags)
                d["length"] = length
                d["geometry"] = geoms[i]
                edges.append((ids[u], ids[v], k, d))
            G.add_edges_from(edges)
        G.graph["coverage15"] = dict(self.record)
        return G


def _merged_attrs(
    hs: list[int], seg_way: list[int], way_ids: list[int], way_tags: list[dict[str, str]]
) -> dict[str, Any]:
    """Attributes of a merged edge as osmnx aggregates them: one value, or the list of values."""
    values: dict[str, list[Any]] = {}
    for h in hs:
        w = seg_way[h // 2]
        d = {"osmid": way_ids[w], **way_tags[w], "oneway": False, "reversed": bool(h % 2)}
        for k, val in d.items():
            values.setdefault(k, []).append(val)
    out: dict[str, Any] = {}
    for k, vals in values.items():
        uniq = list(dict.fromkeys(vals))
        out[k] = uniq[0] if len(uniq) == 1 else uniq
    return out


def build_arrays(
    path: Path,
    *,
    rules: list[Rule],
    keep_tags: set[str],
    node_tags: tuple[str, ...],
    crs: Any = None,
    simplify: bool = True,
    retain_all: bool = True,
    progress: bool = False,
) -> WalkArrays:
    """Read, split, measure, simplify and project: the whole array pipeline.

    Parameters
    ----------
    path
        An OSM file.
    rules, keep_tags, node_tags
        As for :func:`read_ways`.
    crs
        Metric CRS of the result (default: local UTM zone).
    simplify
        Merge chains of interstitial nodes.
    retain_all
        Keep every piece (default); False keeps the largest weakly connected one.
    progress
        Show a progress bar while reading.

    Returns
    -------
    WalkArrays

    Raises
    ------
    NetworkError
        No walkable ways, a CRS that is not metric, coordinates that cannot be projected.

    Examples
    --------
    >>> from coverage15.network import walk_filter, NODE_TAGS
    >>> from coverage15.datasets import sample_path
    >>> arr = build_arrays(Path(sample_path("walk_network.osm")), rules=walk_filter(),
    ...                    keep_tags={"highway"}, node_tags=NODE_TAGS)
    >>> arr.record["simplified"], arr.record["isolated_rings_kept"] >= 0
    (True, True)
    """
    raw = read_ways(path, rules=rules, keep_tags=keep_tags, node_tags=node_tags, progress=progress)
    seg, counts = split_ways(raw)
    record: dict[str, Any] = {**raw.stats, **counts}
    if not len(seg.a):
        raise NetworkError(
            f"{path}: no walkable ways ({record['highway_ways']} ways with a highway tag, "
            f"{record['ways_excluded_by_walk_filter']} excluded by the walk filter, "
            f"{record['ways_dropped_missing_nodes']} dropped for missing nodes)"
        )
    if not retain_all:
        seg, dropped = largest_piece(seg)
        record["nodes_dropped_outside_largest_component"] = dropped
    if simplify:
        edges, kept = simplify_edges(seg)
        record.update(edges.counts)
    else:
        edges, kept = raw_edges(seg), np.ones(len(seg.node_ids), dtype=bool)
        record.update(nodes_merged_by_simplify=0, isolated_rings_kept=0, isolated_ring_nodes_kept=0)
    target = target_crs(crs, seg.lon[kept], seg.lat[kept])
    tr = pyproj.Transformer.from_crs("EPSG:4326", target, always_xy=True)
    x, y = tr.transform(seg.lon, seg.lat)
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise NetworkError(f"network coordinates cannot be projected to {target.to_string()}")
    record["simplified"] = bool(simplify)
    return WalkArrays(
        seg=seg,
        x=x,
        y=y,
        kept=kept,
        edges=edges,
        crs=target.to_string(),
        way_id=raw.way_id,
        way_tags=raw.way_tags,
        node_tags={k: v for k, v in raw.node_tags.items()},
        record=record,
        simplified=bool(simplify),
    )
