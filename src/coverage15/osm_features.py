"""Facilities, communities and the OSM reading behind compounds, straight from OSM files.

Three things a planner can take from OpenStreetMap besides the walking network:

* :func:`load_facilities_osm`: the facility layer (服务设施) from an OSM file (read
  with pyosmium: nodes, closed ways and multipolygon relations) or online (through
  :func:`osmnx.features.features_from_place` and friends), with every feature
  mapped to a category by the reviewed, conservative ``osm`` rules of
  ``profiles/categories.toml`` (see :func:`parse_osm_rule`), every POI that matched
  no category counted by tag, and floor area left missing unless mapped.
* :func:`communities_from_osm`: community boundaries (社区) from
  ``boundary=administrative`` relations of admin level 9/10, their rings assembled
  from the member ways; a ring a clipped extract leaves open is closed along the
  clip edge and the repair reported (or an :class:`~coverage15.InputError` names
  the relation and its missing members). Households are not in OSM: the caller
  gives them.
* :func:`read_osm`: the pyosmium reader both use, and
  :func:`coverage15.barriers.compounds_from_osm` too.

Examples
--------
>>> from coverage15.sample import sample_path
>>> f = load_facilities_osm(sample_path("walk_network.osm"))
>>> list(f.columns[:5])
['facility_id', 'name', 'category', 'category_raw', 'floor_area_m2']
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyproj
import shapely

from coverage15._errors import InputError

__all__ = [
    "CAMPUS_AMENITIES",
    "POI_KEYS",
    "OsmData",
    "OsmRule",
    "communities_from_osm",
    "load_facilities_osm",
    "parse_osm_rule",
    "read_osm",
]

#: tag keys that make an OSM feature a point of interest (a candidate facility)
POI_KEYS: tuple[str, ...] = (
    "amenity",
    "shop",
    "leisure",
    "healthcare",
    "office",
    "social_facility",
    "craft",
    "club",
)

#: ``amenity=*`` values whose grounds are a campus: sports pitches, sports centres and
#: libraries inside serve students, not residents (rule condition ``outside=campus``)
CAMPUS_AMENITIES: tuple[str, ...] = ("university", "college", "school")

#: OSM element type letters as pyosmium gives them → the names used in ``osm_id``
_TYPE_NAMES = {"n": "node", "w": "way", "r": "relation"}


# --------------------------------------------------------------------------- reading


@dataclass
class OsmData:
    """What :func:`read_osm` kept from an OSM file (WGS84 longitude/latitude).

    The parameters are kept as attributes of the same names.

    Parameters
    ----------
    source
        The file read.
    bounds
        ``(west, south, east, north)`` of the extract from the file header (the
        clip edge), or None when the file does not say.
    nodes
        Node id → ``(lon, lat, tags)`` for the tagged nodes kept.
    ways
        Way id → ``(node ids, (n, 2) lon/lat array with NaN rows for nodes
        missing from the file, tags)``.
    relations
        Relation id → ``(tags, [(type letter, member id, role), …])``.

    Examples
    --------
    >>> d = OsmData("x.osm", None, {1: (116.3, 40.0, {"barrier": "gate"})}, {}, {})
    >>> d.nodes[1][2]["barrier"]
    'gate'
    """

    source: str
    bounds: tuple[float, float, float, float] | None
    nodes: dict[int, tuple[float, float, dict[str, str]]] = field(default_factory=dict)
    ways: dict[int, tuple[list[int], np.ndarray, dict[str, str]]] = field(default_factory=dict)
    relations: dict[int, tuple[dict[str, str], list[tuple[str, int, str]]]] = field(
        default_factory=dict
    )


def _has_key(tags: Mapping[str, str], keys: Iterable[str]) -> bool:
    return any(k in tags for k in keys)


def read_osm(
    path: str | os.PathLike[str],
    *,
    node_keys: Iterable[str] = (),
    way_keys: Iterable[str] = (),
    relation_filter: Callable[[dict[str, str]], bool] | None = None,
) -> OsmData:
    """Read the tagged nodes, ways and relations of an OSM file with pyosmium.

    Two passes: the relations chosen by ``relation_filter`` first (to learn which
    member ways to keep, tagged or not), then nodes and ways with their node
    locations. Node references missing from a clipped extract become NaN rows in
    the way's coordinates (never dropped silently: the assemblers count them).

    Parameters
    ----------
    path
        ``.osm``, ``.osm.bz2``, ``.osm.gz`` or ``.osm.pbf``.
    node_keys
        Keep nodes with any of these tag keys.
    way_keys
        Keep ways with any of these tag keys (and every member way of a kept relation).
    relation_filter
        Keep relations whose tags (a dict) pass it; None keeps none.

    Returns
    -------
    OsmData

    Raises
    ------
    InputError
        The file is missing or not a readable OSM file.

    Examples
    --------
    >>> from coverage15.sample import sample_path
    >>> d = read_osm(sample_path("walk_network.osm"), node_keys=["barrier"])
    >>> sum(t.get("barrier") == "gate" for _, _, t in d.nodes.values())
    31
    """
    import osmium

    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise InputError("OSM file not found", source=source)
    node_keys, way_keys = tuple(node_keys), tuple(way_keys)
    bounds = None
    relations: dict[int, tuple[dict[str, str], list[tuple[str, int, str]]]] = {}
    member_ways: set[int] = set()
    try:
        reader = osmium.io.Reader(source, osmium.osm.osm_entity_bits.NOTHING)
        box = reader.header().box()
        reader.close()
        if box.valid():
            bounds = (box.bottom_left.lon, box.bottom_left.lat, box.top_right.lon, box.top_right.lat)
        if relation_filter is not None:
            for rel in osmium.FileProcessor(source, osmium.osm.RELATION):
                tags = dict(rel.tags)
                if relation_filter(tags):
                    members = [(m.type, m.ref, m.role) for m in rel.members]
                    relations[rel.id] = (tags, members)
                    member_ways.update(ref for t, ref, _ in members if t == "w")
        nodes: dict[int, tuple[float, float, dict[str, str]]] = {}
        ways: dict[int, tuple[list[int], np.ndarray, dict[str, str]]] = {}
        for obj in osmium.FileProcessor(source).with_locations():
            if obj.is_node():
                if node_keys and len(obj.tags) and _has_key(obj.tags, node_keys):
                    loc = obj.location
                    if loc.valid():
                        nodes[obj.id] = (loc.lon, loc.lat, dict(obj.tags))
            elif obj.is_way():
                if obj.id in member_ways or (
                    way_keys and len(obj.tags) and _has_key(obj.tags, way_keys)
                ):
                    refs = [n.ref for n in obj.nodes]
                    xy = np.array(
                        [
                            (n.location.lon, n.location.lat)
                            if n.location.valid()
                            else (math.nan, math.nan)
                            for n in obj.nodes
                        ],
                        dtype=np.float64,
                    ).reshape(-1, 2)
                    ways[obj.id] = (refs, xy, dict(obj.tags))
    except RuntimeError as exc:
        raise InputError(f"not a readable OSM file ({exc})", source=source) from exc
    return OsmData(source, bounds, nodes, ways, relations)


def _lines(xy: np.ndarray) -> list[np.ndarray]:
    """Runs of valid coordinates of a way (split where nodes are missing), ≥ 2 points each."""
    ok = np.isfinite(xy).all(axis=1)
    runs, cur = [], []
    for i in range(len(xy)):
        if ok[i]:
            cur.append(i)
        elif cur:
            runs.append(cur)
            cur = []
    if cur:
        runs.append(cur)
    return [xy[r] for r in runs if len(r) >= 2]


def way_polygon(xy: np.ndarray, refs: list[int]) -> shapely.Polygon | None:
    """The polygon of a closed way with all its nodes present, else None.

    Parameters
    ----------
    xy
        ``(n, 2)`` lon/lat of the way's nodes (NaN rows: missing nodes).
    refs
        The way's node ids (closed: first == last).

    Returns
    -------
    shapely.Polygon or None
        Made valid (a self-touching ring becomes its largest valid polygon);
        None for open or incomplete ways.

    Examples
    --------
    >>> import numpy as np
    >>> xy = np.array([(0, 0), (1, 0), (1, 1), (0, 0)], dtype=float)
    >>> way_polygon(xy, [1, 2, 3, 1]).area
    0.5
    >>> way_polygon(xy[:3], [1, 2, 3]) is None
    True
    """
    if len(refs) < 4 or refs[0] != refs[-1] or not np.isfinite(xy).all():
        return None
    poly = shapely.Polygon(xy)
    if not poly.is_valid:
        poly = _largest_polygon(shapely.make_valid(poly))
    return poly if poly is not None and not poly.is_empty else None


def _largest_polygon(g: shapely.Geometry) -> shapely.Polygon | shapely.MultiPolygon | None:
    parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return None
    return shapely.union_all(parts) if len(parts) > 1 else parts[0]


@dataclass
class _Assembly:
    geometry: shapely.Geometry | None
    missing_members: list[int]
    missing_nodes: int
    open_parts: int
    repair: str = ""


def _metric(lonlat_bounds: tuple[float, float, float, float]) -> pyproj.Transformer:
    from coverage15.crs import metric_crs

    return pyproj.Transformer.from_crs(4326, metric_crs(lonlat_bounds), always_xy=True)


def _area_m2(geom: shapely.Geometry) -> float:
    """Area in square metres of a WGS84 polygon (local UTM)."""
    tr = _metric(shapely.bounds(geom).tolist())
    return float(shapely.transform(geom, lambda c: np.column_stack(tr.transform(c[:, 0], c[:, 1]))).area)


def assemble_relation(
    rel_id: int,
    data: OsmData,
    *,
    clip_repair: bool = False,
) -> _Assembly:
    """Polygon of a multipolygon or boundary relation from its member ways.

    Member ways (roles ``outer``, ``inner`` or empty = outer) are merged end to end;
    closed rings become polygons, inner rings holes. With ``clip_repair`` a ring left
    open by a clipped extract is closed along the clip edge (``data.bounds``): the
    open lines are clipped to the extract, and of the faces they cut the extract
    into, the smallest is taken (an admin level 9/10 area is much smaller than an
    extract around it). Allowed only when every open line runs past the clip edge
    at both ends.

    Parameters
    ----------
    rel_id
        The relation's OSM id (in ``data.relations``).
    data
        From :func:`read_osm` with the relation kept.
    clip_repair
        Close open rings along the clip edge (see above).

    Returns
    -------
    _Assembly
        ``geometry`` (None when nothing closes), ``missing_members`` (way ids not in
        the file), ``missing_nodes``, ``open_parts`` and ``repair`` (what was done).

    Examples
    --------
    >>> import numpy as np
    >>> sq = np.array([(0, 0), (1, 0), (1, 1), (0, 1), (0, 0)], dtype=float)
    >>> d = OsmData("x", None, {}, {5: ([1, 2, 3, 4, 1], sq, {})},
    ...             {9: ({"type": "multipolygon"}, [("w", 5, "outer"), ("w", 6, "outer")])})
    >>> a = assemble_relation(9, d)
    >>> a.geometry.area, a.missing_members
    (1.0, [6])
    """
    tags, members = data.relations[rel_id]
    outer_lines: list[np.ndarray] = []
    inner_lines: list[np.ndarray] = []
    missing: list[int] = []
    missing_nodes = 0
    for t, ref, role in members:
        if t != "w" or role not in ("outer", "inner", ""):
            continue
        if ref not in data.ways:
            missing.append(ref)
            continue
        _, xy, _ = data.ways[ref]
        missing_nodes += int((~np.isfinite(xy).all(axis=1)).sum())
        (inner_lines if role == "inner" else outer_lines).extend(_lines(xy))

    def rings(lines: list[np.ndarray]) -> tuple[list[shapely.Polygon], list[shapely.LineString]]:
        if not lines:
            return [], []
        merged = shapely.line_merge(shapely.multilinestrings([shapely.linestrings(x) for x in lines]))
        polys, opens = [], []
        for part in shapely.get_parts(merged):
            if part.is_closed and len(part.coords) >= 4:
                p = shapely.Polygon(part.coords)
                p = p if p.is_valid else _largest_polygon(shapely.make_valid(p))
                if p is not None and not p.is_empty:
                    polys.append(p)
            else:
                opens.append(part)
        return polys, opens

    outers, open_outer = rings(outer_lines)
    inners, open_inner = rings(inner_lines)
    repair = ""
    if open_outer and clip_repair and data.bounds is not None:
        box = shapely.box(*data.bounds)
        ends = [shapely.Point(p) for line in open_outer for p in (line.coords[0], line.coords[-1])]
        if all(not box.contains(e) for e in ends):
            cut = shapely.union_all([shapely.intersection(line, box) for line in open_outer])
            faces = [
                f
                for f in shapely.get_parts(shapely.polygonize([shapely.union(cut, box.boundary)]))
                if f.area > 0
            ]
            if len(faces) >= 2:
                areas = [_area_m2(f) for f in faces]
                k = int(np.argmin(areas))
                outers.append(faces[k])
                others = ", ".join(f"{a:,.0f}" for i, a in enumerate(areas) if i != k)
                repair = (
                    f"ring left open by the clipped extract closed along the clip edge; the "
                    f"smaller side taken ({areas[k]:,.0f} m² against {others} m²)"
                )
                open_outer = []
    geom = None
    if outers:
        geom = shapely.union_all(outers)
        if inners:
            geom = shapely.difference(geom, shapely.union_all(inners))
        geom = _largest_polygon(shapely.make_valid(geom)) if not geom.is_valid else geom
    return _Assembly(
        geometry=geom,
        missing_members=missing,
        missing_nodes=missing_nodes,
        open_parts=len(open_outer) + len(open_inner),
        repair=repair,
    )


def osm_id(kind: str, ident: int) -> str:
    """The text id of an OSM element, ``"node/123"``, ``"way/…"`` or ``"relation/…"``.

    Parameters
    ----------
    kind
        ``"n"``/``"w"``/``"r"`` or ``"node"``/``"way"``/``"relation"``.
    ident
        The element's id.

    Returns
    -------
    str

    Examples
    --------
    >>> osm_id("w", 609225889)
    'way/609225889'
    """
    return f"{_TYPE_NAMES.get(kind, kind)}/{int(ident)}"
