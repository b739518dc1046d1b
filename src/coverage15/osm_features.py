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
>>> from coverage15.datasets import sample_path
>>> f = load_facilities_osm(sample_path("walk_network.osm"))
>>> list(f.columns[:5])
['facility_id', 'name', 'category', 'category_raw', 'floor_area_m2']
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from coverage15._errors import InputError
from coverage15.validation import ValidationReport

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
    >>> from coverage15.datasets import sample_path
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
            sw, ne = box.bottom_left, box.top_right
            bounds = (sw.lon, sw.lat, ne.lon, ne.lat)
        if relation_filter is not None:
            rel: Any
            for rel in osmium.FileProcessor(source, osmium.osm.RELATION):
                tags = dict(rel.tags)
                if relation_filter(tags):
                    members = [(m.type, m.ref, m.role) for m in rel.members]
                    relations[rel.id] = (tags, members)
                    member_ways.update(ref for t, ref, _ in members if t == "w")
        nodes: dict[int, tuple[float, float, dict[str, str]]] = {}
        ways: dict[int, tuple[list[int], np.ndarray, dict[str, str]]] = {}
        obj: Any
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


def way_runs(xy: np.ndarray) -> list[np.ndarray]:
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
    side_uncertain: bool = False


def _metric(lonlat_bounds: tuple[float, float, float, float]) -> pyproj.Transformer:
    from coverage15.crs import metric_crs

    return pyproj.Transformer.from_crs(4326, metric_crs(lonlat_bounds), always_xy=True)


def _area_m2(geom: shapely.Geometry) -> float:
    """Area in square metres of a WGS84 polygon (local UTM)."""
    tr = _metric(shapely.bounds(geom).tolist())
    metric = shapely.transform(geom, lambda c: np.column_stack(tr.transform(c[:, 0], c[:, 1])))
    return float(metric.area)


def assemble_relation(
    rel_id: int,
    data: OsmData,
    *,
    clip_repair: bool = False,
) -> _Assembly:
    """Polygon of a multipolygon or boundary relation from its member ways.

    Member ways (roles ``outer``, ``inner`` or empty = outer) are merged end to end;
    closed rings become polygons, inner rings holes. With ``clip_repair`` rings left
    open by a clipped extract are closed along the clip edge (``data.bounds``):
    allowed only when every open end runs past the clip edge, or stops where the
    way's next node is missing from the file (the clip cut it; that end is then
    extended straight to the nearest point of the clip edge). The open lines cut
    the extract into faces; faces on either side of a line belong to opposite
    sides, so there are two candidate areas, and the smaller is taken (an admin
    level 9/10 area is much smaller than an extract around it); ``side_uncertain``
    says when the smaller side is at least a third of the other.

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
        the file), ``missing_nodes``, ``open_parts``, ``repair`` (what was done) and
        ``side_uncertain``.

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
    _, members = data.relations[rel_id]
    outer_lines: list[np.ndarray] = []
    inner_lines: list[np.ndarray] = []
    missing: list[int] = []
    missing_nodes = 0
    cut_ends: set[tuple[float, float]] = set()
    for t, ref, role in members:
        if t != "w" or role not in ("outer", "inner", ""):
            continue
        if ref not in data.ways:
            missing.append(ref)
            continue
        _, xy, _ = data.ways[ref]
        ok = np.isfinite(xy).all(axis=1)
        missing_nodes += int((~ok).sum())
        (inner_lines if role == "inner" else outer_lines).extend(way_runs(xy))
        # ends of a run where the way goes on to a node missing from the file (clipped)
        for i in np.flatnonzero(ok).tolist():
            if (i > 0 and not ok[i - 1]) or (i < len(ok) - 1 and not ok[i + 1]):
                cut_ends.add((float(xy[i, 0]), float(xy[i, 1])))

    def rings(lines: list[np.ndarray]) -> tuple[list[shapely.Polygon], list[shapely.LineString]]:
        if not lines:
            return [], []
        parts = [shapely.linestrings(x) for x in lines]
        merged = shapely.line_merge(shapely.multilinestrings(parts))
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
    uncertain = False
    if open_outer and clip_repair and data.bounds is not None:
        box = shapely.box(*data.bounds)
        closed, repair, uncertain = _close_along_clip(open_outer, box, cut_ends)
        if closed is not None:
            outers.append(closed)
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
        side_uncertain=uncertain,
    )


def _close_along_clip(
    lines: list[shapely.LineString],
    box: shapely.Polygon,
    cut_ends: set[tuple[float, float]],
) -> tuple[shapely.Geometry | None, str, bool]:
    """Close open rings along the clip edge: the smaller side, what was done, and whether the
    two sides are close enough in size (the smaller at least a third of the other) for the
    choice to be uncertain."""
    edge = box.boundary
    extended, n_ext = [], 0
    for line in lines:
        coords = list(line.coords)
        for at in (0, -1):
            p = shapely.Point(coords[at])
            if not box.contains(p):
                continue  # runs past the clip edge
            if (float(p.x), float(p.y)) not in cut_ends:
                return None, "", False  # an end inside the extract, not cut by the clip
            q = edge.interpolate(edge.project(p))
            n_ext += 1
            if at == 0:
                coords.insert(0, (q.x, q.y))
            else:
                coords.append((q.x, q.y))
        extended.append(shapely.LineString(coords))
    arcs = shapely.union_all([shapely.intersection(line, box) for line in extended])
    faces = [
        f for f in shapely.get_parts(shapely.polygonize([shapely.union(arcs, edge)])) if f.area > 0
    ]
    if len(faces) < 2:
        return None, "", False
    # two-colour the faces: neighbours across an arc are on opposite sides
    colour = [-1] * len(faces)
    colour[0] = 0
    todo = [0]
    while todo:
        i = todo.pop()
        for j in range(len(faces)):
            if colour[j] < 0:
                shared = shapely.intersection(faces[i].boundary, faces[j].boundary)
                if shared.length > 0 and not shapely.covers(edge, shared):
                    colour[j] = 1 - colour[i]
                    todo.append(j)
    sides = [[f for f, c in zip(faces, colour, strict=True) if c == k] for k in (0, 1)]
    if not sides[0] or not sides[1]:
        return None, "", False
    areas = [sum(_area_m2(f) for f in side) for side in sides]
    k = int(np.argmin(areas))
    ext = f", {n_ext} end(s) cut by the clip extended to it" if n_ext else ""
    text = (
        f"{len(lines)} ring(s) left open by the clipped extract closed along the clip edge"
        f"{ext}; the smaller side taken ({areas[k]:,.0f} m² against {areas[1 - k]:,.0f} m²)"
    )
    return shapely.union_all(sides[k]), text, areas[k] >= areas[1 - k] / 3


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


# --------------------------------------------------------------------------- OSM tag rules

_NAME_KEYS = ("name", "name:zh", "name:zh-Hans", "official_name")
_SPECIAL = {"name_contains", "name_excludes", "outside"}


def _values(value: str | None) -> set[str]:
    """An OSM tag value split at ``;`` (``shop=convenience;hairdresser`` is both)."""
    if value is None:
        return set()
    return {v.strip() for v in str(value).split(";") if v.strip()}


@dataclass(frozen=True)
class OsmRule:
    """One ``osm`` rule of a category in ``categories.toml``, parsed.

    :func:`parse_osm_rule` builds them; the parameters are kept as attributes.

    Parameters
    ----------
    category
        The category key the rule marks.
    text
        The rule as written, e.g. ``"amenity=school&name_contains=小学"``.
    conditions
        ``(key, op, values)`` with ``op`` one of ``"="``, ``"!="``,
        ``"name_contains"``, ``"name_excludes"``, ``"outside"``; ``values`` a
        tuple of alternatives (``("*",)``: any value).

    Examples
    --------
    >>> r = parse_osm_rule("amenity=school&name_contains=小学", "primary_school")
    >>> r.matches({"amenity": "school", "name": "北京市海淀区双榆树小学"}), r.specificity
    (True, 2)
    """

    category: str
    text: str
    conditions: tuple[tuple[str, str, tuple[str, ...]], ...]

    @property
    def specificity(self) -> int:
        """Number of positive conditions (``key=value`` and ``name_contains``).

        When a feature matches rules of several categories, the categories of the
        most specific rules win (``amenity=community_centre&community_centre=
        community_hall`` before ``amenity=community_centre``).
        """
        return sum(op in ("=", "name_contains") for _, op, _ in self.conditions)

    def matches(self, tags: Mapping[str, str], *, on_campus: bool = False) -> bool:
        """Whether a feature with these tags matches every condition.

        Parameters
        ----------
        tags
            The feature's OSM tags.
        on_campus
            Whether the feature lies inside the grounds of an ``amenity`` in
            :data:`CAMPUS_AMENITIES` (checked by ``outside=campus``).

        Returns
        -------
        bool

        Examples
        --------
        >>> r = parse_osm_rule("leisure=pitch&outside=campus", "outdoor_fitness")
        >>> r.matches({"leisure": "pitch"}), r.matches({"leisure": "pitch"}, on_campus=True)
        (True, False)
        """
        names = " ".join(str(tags[k]) for k in _NAME_KEYS if k in tags)
        for key, op, values in self.conditions:
            if op == "=":
                have = _values(tags.get(key))
                if not have or (values != ("*",) and not have & set(values)):
                    return False
            elif op == "!=":
                have = _values(tags.get(key))
                if have and (values == ("*",) or have & set(values)):
                    return False
            elif op == "name_contains":
                if not any(v in names for v in values):
                    return False
            elif op == "name_excludes":
                if any(v in names for v in values):
                    return False
            elif op == "outside" and on_campus:
                return False
        return True


def parse_osm_rule(text: str, category: str = "") -> OsmRule:
    """Parse one ``osm`` rule of ``categories.toml``.

    Conditions are joined by ``&`` and must all hold:

    * ``key=value``: the tag has the value (``a|b``: one of them; ``*``: any
      value); a value list ``a;b`` in OSM matches each of its parts;
    * ``key!=value``: the tag is absent or has none of the values (``key!=*``:
      absent);
    * ``name_contains=小学|…``: ``name`` (or ``name:zh``, ``official_name``)
      contains one of the texts; ``name_excludes=…``: contains none of them;
    * ``outside=campus``: not inside the grounds of a university, college or
      school (:data:`CAMPUS_AMENITIES`): their pitches serve students.

    Parameters
    ----------
    text
        The rule, e.g. ``"amenity=clinic|doctors&name_contains=卫生服务站"``.
    category
        The category key it belongs to (named in errors).

    Returns
    -------
    OsmRule

    Raises
    ------
    ProfileError
        A condition without ``=``, an empty key or value, or ``outside=`` other
        than ``campus``.

    Examples
    --------
    >>> parse_osm_rule("shop=convenience").conditions
    (('shop', '=', ('convenience',)),)
    >>> parse_osm_rule("access!=private|no").conditions
    (('access', '!=', ('private', 'no')),)
    """
    from coverage15._errors import ProfileError

    conds: list[tuple[str, str, tuple[str, ...]]] = []
    for part in str(text).split("&"):
        part = part.strip()
        where = f"categories.toml, category {category!r}, osm rule {text!r}"
        if "=" not in part:
            raise ProfileError(f"{where}: condition {part!r} needs key=value")
        key, value = part.split("=", 1)
        op = "="
        if key.endswith("!"):
            key, op = key[:-1], "!="
        key, value = key.strip(), value.strip()
        values = tuple(v.strip() for v in value.split("|") if v.strip())
        if not key or not values:
            raise ProfileError(f"{where}: condition {part!r} has an empty key or value")
        if key in _SPECIAL and op == "=":
            op = key
            if key == "outside" and values != ("campus",):
                raise ProfileError(f"{where}: only outside=campus is known")
        conds.append((key, op, values))
    return OsmRule(category=category, text=str(text), conditions=tuple(conds))


def _rules(categories: Iterable[str] | None) -> list[OsmRule]:
    from coverage15.standards import category_catalogue

    cat = category_catalogue()
    keys = list(cat) if categories is None else [k for k in cat if k in set(categories)]
    return [parse_osm_rule(r, k) for k in keys for r in cat[k].osm]


def _rule_keys(rules: Iterable[OsmRule]) -> set[str]:
    return {k for r in rules for k, op, _ in r.conditions if op == "="}


# --------------------------------------------------------------------------- facilities


@dataclass
class _Feature:
    osm_id: str
    tags: dict[str, str]
    geometry: shapely.Geometry  # WGS84
    note: str = ""


def _features_from_file(path: Path, keys: set[str]) -> tuple[list[_Feature], list[dict]]:
    """Tagged nodes, closed ways (polygons), open ways and multipolygons with any key."""
    keys = set(keys)
    data = read_osm(
        path,
        node_keys=keys,
        way_keys=keys,
        relation_filter=lambda t: t.get("type") == "multipolygon" and _has_key(t, keys),
    )
    feats: list[_Feature] = []
    dropped: list[dict] = []
    for nid, (lon, lat, tags) in data.nodes.items():
        feats.append(_Feature(osm_id("n", nid), tags, shapely.Point(lon, lat)))
    member_of = {ref for _, members in data.relations.values() for t, ref, _ in members if t == "w"}
    for wid, (refs, xy, tags) in data.ways.items():
        if not _has_key(tags, keys):
            continue  # an untagged member of a multipolygon
        if wid in member_of and not _has_key(tags, POI_KEYS):
            continue
        poly = way_polygon(xy, refs)
        if poly is not None:
            feats.append(_Feature(osm_id("w", wid), tags, poly))
            continue
        lines = way_runs(xy)
        if not lines:
            dropped.append({"osm_id": osm_id("w", wid), "reason": "no node in the file"})
            continue
        line = shapely.linestrings(max(lines, key=len))
        point = shapely.line_interpolate_point(line, 0.5, normalized=True)
        feats.append(_Feature(osm_id("w", wid), tags, point, note="open way: placed at its middle"))
    for rid, (tags, _) in data.relations.items():
        asm = assemble_relation(rid, data)
        if asm.geometry is None:
            dropped.append(
                {
                    "osm_id": osm_id("r", rid),
                    "reason": "multipolygon without a closed ring (members missing: "
                    f"{', '.join(osm_id('w', m) for m in asm.missing_members) or 'none'})",
                }
            )
            continue
        feats.append(_Feature(osm_id("r", rid), tags, asm.geometry))
    return feats, dropped


def _features_online(source: Any, keys: set[str]) -> list[_Feature]:
    """The same features through osmnx (Overpass, with osmnx's cache)."""
    import osmnx as ox

    tags: dict[str, bool | str | list[str]] = {k: True for k in sorted(keys)}
    try:
        if isinstance(source, str):
            gdf = ox.features_from_place(source, tags=tags)
        elif isinstance(source, shapely.Polygon | shapely.MultiPolygon):
            gdf = ox.features_from_polygon(source, tags=tags)
        else:
            west, south, east, north = (float(b) for b in source)
            gdf = ox.features_from_bbox((west, south, east, north), tags=tags)
    except ox._errors.InsufficientResponseError:
        return []
    except (ValueError, TypeError, OSError) as exc:
        raise InputError(f"OpenStreetMap download failed: {exc}", source=str(source)) from exc
    gdf = gdf.to_crs(4326) if gdf.crs is not None else gdf
    geom_col = gdf.geometry.name
    cols = [c for c in gdf.columns if c != geom_col]
    feats = []
    for idx, row in zip(gdf.index, gdf[cols].itertuples(index=False, name=None), strict=True):
        kind, ident = idx if isinstance(idx, tuple) else ("node", idx)
        t = {
            str(c): str(v)
            for c, v in zip(cols, row, strict=True)
            if not (v is None or (isinstance(v, float) and math.isnan(v)) or isinstance(v, list))
        }
        geom = gdf.geometry.loc[idx]
        if isinstance(geom, gpd.GeoSeries):
            geom = geom.iloc[0]
        note = ""
        if geom.geom_type in ("LineString", "MultiLineString"):
            geom = shapely.line_interpolate_point(shapely.line_merge(geom), 0.5, normalized=True)
            note = "open way: placed at its middle"
        feats.append(_Feature(osm_id(str(kind), int(ident)), t, geom, note))
    return feats


def _primary_tag(tags: Mapping[str, str], keys: Iterable[str]) -> str:
    for k in (*POI_KEYS, *sorted(keys)):
        if k in tags:
            return f"{k}={tags[k]}"
    return "(no POI tag)"


FACILITY_OSM_COLUMNS = [
    "facility_id",
    "name",
    "category",
    "floor_area_m2",
    "footprint_m2",
    "osm_id",
    "osm_tags",
    "osm_note",
]


def load_facilities_osm(
    source: Any,
    *,
    profile: Any = None,
    floor_area: str = "missing",
    crs: Any = None,
    communities: gpd.GeoDataFrame | None = None,
    report: ValidationReport | None = None,
) -> gpd.GeoDataFrame:
    """The facility layer (服务设施) from OpenStreetMap: an OSM file, or online.

    Every node, closed way and multipolygon relation with a point-of-interest tag
    (:data:`POI_KEYS`, and every key the rules use) is matched against the
    ``osm`` rules of the categories in ``profiles/categories.toml``
    (:func:`parse_osm_rule`). The mapping is conservative, reviewed for Chinese
    planning: a hospital is not a community health service centre (社区卫生服务
    中心 needs that name), a clinic is a 卫生服务站 only by name, a school's
    level comes from ``isced:level``/``school`` or its name (小学 / 初中 / 中学,
    not 高中), sports pitches, sports centres and libraries inside university,
    college or school grounds are not for residents, ``shop=chemist`` (a drugstore)
    is not a pharmacy, a fast-food chain is not a breakfast shop. When rules of
    several categories match, the most specific win (ties: one row per category,
    ids ``osm_id#category``). Areas become representative points with their
    footprint. A node lying in an area of the same category is the same facility
    mapped twice: the node is dropped (counted).

    Parameters
    ----------
    source
        An OSM file (``.osm``, ``.osm.bz2``, ``.osm.gz``, ``.osm.pbf``, read with
        pyosmium, offline); or, online through osmnx's features module (Overpass,
        cached by osmnx), a place name, a WGS84 shapely polygon or a ``(west,
        south, east, north)`` bbox.
    profile
        A profile key, path or :class:`~coverage15.standards.Profile`: only its
        categories are assigned (a feature matching another category is reported
        as ``category not in profile``). None (default): every category of the
        catalogue.
    floor_area
        ``"missing"`` (default): floor area is not in OSM, left NaN and flagged
        (area indicators leave these facilities out). ``"levels"``: for buildings
        with ``building:levels``, footprint × levels, an **estimate** (no
        deductions for walls, shared floors or other uses), flagged
        ``floor_area_estimated_from_levels`` and marked ``area_source =
        "osm_levels_estimate"``.
    crs
        Output CRS (default WGS84, as :func:`coverage15.load_facilities` keeps the
        input's).
    communities
        Passed to :func:`coverage15.load_facilities` (each facility gets the
        ``community_id`` it lies in).
    report
        A report to add the findings to (a new one by default).

    Returns
    -------
    geopandas.GeoDataFrame
        What :func:`coverage15.load_facilities` returns (``facility_id``,
        ``name``, ``category``, ``category_raw``, ``floor_area_m2``,
        ``area_source``, point ``geometry``) plus ``footprint_m2`` (NaN for
        nodes), ``osm_id`` (``"node/…"``, ``"way/…"``, ``"relation/…"``),
        ``osm_tags`` (the feature's tags as JSON text) and ``osm_note``. Unnamed
        features are named by their category and OSM id. ``attrs["osm_unmatched"]``
        counts the POIs that matched no category, by tag (``tag``, ``reason``,
        ``count``, ``examples``); ``attrs["report"]`` holds the findings.

    Raises
    ------
    InputError
        An unreadable file, a failed download, or another ``floor_area``.

    Examples
    --------
    >>> from coverage15.datasets import sample_path
    >>> f = load_facilities_osm(sample_path("walk_network.osm"))
    >>> f["name"].tolist(), f["category"].tolist(), f["area_source"].unique().tolist()
    (['乐山市柏杨中学', '乐山市凤凰路中学'], ['middle_school', 'middle_school'], ['missing'])
    """
    from coverage15.io import load_facilities
    from coverage15.network import is_osm_file
    from coverage15.standards import Profile, category_catalogue, load_profile

    if floor_area not in ("missing", "levels"):
        raise InputError(f"floor_area must be 'missing' or 'levels', got {floor_area!r}")
    if profile is None:
        allowed = None
    else:
        prof = profile if isinstance(profile, Profile) else load_profile(profile)
        allowed = set(prof.categories)
    rules = _rules(None)
    keys = set(POI_KEYS) | _rule_keys(rules)
    is_file = isinstance(source, os.PathLike) or (
        isinstance(source, str) and (Path(source).is_file() or is_osm_file(Path(source)))
    )
    label = str(source) if is_file else f"OpenStreetMap ({source!r})"
    report = report if report is not None else ValidationReport(source=label)
    if is_file:
        feats, dropped = _features_from_file(Path(source), keys)
    else:
        feats, dropped = _features_online(source, keys), []
    report.add(
        "osm_feature_not_placed",
        "dropped",
        rows=[d["osm_id"] for d in dropped],
        detail="; ".join(f"{d['osm_id']}: {d['reason']}" for d in dropped[:5]),
    )
    # candidates: features with a POI key, or the leading key of a rule (``healthcare=…``)
    lead = set(POI_KEYS) | {r.conditions[0][0] for r in rules if r.conditions[0][1] == "="}
    feats = [f for f in feats if _has_key(f.tags, lead)]
    campus = [
        f.geometry
        for f in feats
        if f.tags.get("amenity") in CAMPUS_AMENITIES and f.geometry.geom_type != "Point"
    ]
    campus_tree = shapely.STRtree(campus) if campus else None
    cat = category_catalogue()
    rows: list[dict[str, Any]] = []
    unmatched: list[tuple[str, str, str]] = []
    for f in feats:
        pt = f.geometry if f.geometry.geom_type == "Point" else shapely.point_on_surface(f.geometry)
        on_campus = False
        if campus_tree is not None:
            hits = campus_tree.query(pt, predicate="within")
            on_campus = any(campus[i] is not f.geometry for i in hits.tolist())
        hit = [r for r in rules if r.matches(f.tags, on_campus=on_campus)]
        name = next((f.tags[k] for k in _NAME_KEYS if k in f.tags), None)
        tag = _primary_tag(f.tags, keys)
        if not hit:
            reason = "no category"
            if on_campus and any(r.matches(f.tags) for r in rules):
                reason = "on a campus (not for residents)"
            unmatched.append((tag, reason, name or f.osm_id))
            continue
        best = max(r.specificity for r in hit)
        cats = list(dict.fromkeys(r.category for r in hit if r.specificity == best))
        if allowed is not None:
            outside = [c for c in cats if c not in allowed]
            cats = [c for c in cats if c in allowed]
            if not cats:
                unmatched.append(
                    (tag, f"category not in profile ({', '.join(outside)})", name or f.osm_id)
                )
                continue
        footprint = np.nan if f.geometry.geom_type == "Point" else _area_m2(f.geometry)
        area = np.nan
        levels = _levels(f.tags.get("building:levels"))
        if floor_area == "levels" and "building" in f.tags and levels and footprint == footprint:
            area = footprint * levels
        for c in cats:
            rows.append(
                {
                    "facility_id": f.osm_id if len(cats) == 1 else f"{f.osm_id}#{c}",
                    "name": name if name else f"{cat[c].name_zh}（{f.osm_id}）",
                    "category": c,
                    "floor_area_m2": area,
                    "footprint_m2": footprint,
                    "osm_id": f.osm_id,
                    "osm_tags": json.dumps(f.tags, ensure_ascii=False, sort_keys=True),
                    "osm_note": f.note,
                    "geometry": pt,
                    "_area": f.geometry if f.geometry.geom_type != "Point" else None,
                }
            )
    frame = pd.DataFrame(rows, columns=[*FACILITY_OSM_COLUMNS, "geometry", "_area"])
    # a node inside an area of the same category: the same facility mapped twice
    dup: list[int] = []
    if len(frame):
        is_node = frame["osm_id"].str.startswith("node/").to_numpy()
        areas = frame[frame["_area"].notna()]
        for i in np.flatnonzero(is_node).tolist():
            same = areas[areas["category"] == frame["category"].iat[i]]
            pt = frame["geometry"].iat[i]
            if len(same) and shapely.within(pt, same["_area"].to_numpy()).any():
                dup.append(i)
    report.add(
        "osm_duplicate_node_in_area",
        "dropped",
        rows=frame["facility_id"].iloc[dup].tolist(),
        column="geometry",
        detail="a node inside an area of the same category (the same facility mapped twice): "
        "the area is kept",
    )
    frame = frame.drop(index=frame.index[dup]).drop(columns="_area").reset_index(drop=True)
    gdf = gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326")
    out = load_facilities(
        gdf,
        unknown_categories="raise",
        communities=communities,
        report=report,
        crs=None,
    )
    if crs is not None:
        out = out.to_crs(crs)
    est = out["floor_area_m2"].notna().to_numpy()
    if est.any():
        out["area_source"] = out["area_source"].where(~est, "osm_levels_estimate")
        report.add(
            "floor_area_estimated_from_levels",
            "flagged",
            rows=out.loc[est, "facility_id"].tolist(),
            column="floor_area_m2",
            detail="floor area estimated as footprint × building:levels (not surveyed)",
        )
    table = (
        pd.DataFrame(unmatched, columns=["tag", "reason", "example"])
        .groupby(["tag", "reason"], sort=False)
        .agg(count=("example", "size"), examples=("example", lambda s: "; ".join(s.iloc[:3])))
        .reset_index()
        .sort_values(["count", "tag"], ascending=[False, True], kind="stable")
        .reset_index(drop=True)
    )
    if len(table):
        shown = list(zip(table["tag"], table["count"], strict=True))[:10]
        report.add(
            "osm_poi_unmatched",
            "info",
            detail=f"{int(table['count'].sum())} OSM feature(s) matched no category: "
            + ", ".join(f"{t} {n}" for t, n in shown),
        )
    out.attrs["osm_unmatched"] = table
    out.attrs["report"] = report
    return out


def _levels(value: Any) -> float | None:
    try:
        v = float(str(value).split(";")[0])
    except (TypeError, ValueError):
        return None
    return v if v > 0 and math.isfinite(v) else None


# --------------------------------------------------------------------------- communities


def communities_from_osm(
    path: str | os.PathLike[str],
    *,
    admin_levels: Iterable[int | str] = (9, 10),
    repair: bool = True,
    households: Mapping[Any, Any] | None = None,
    report: ValidationReport | None = None,
) -> gpd.GeoDataFrame:
    """Community boundaries (社区) from OSM ``boundary=administrative`` relations.

    In China admin level 9 is the 街道/乡镇 (sub-district) and 10 the 社区/村
    (residents' or villagers' committee). Each relation's rings are assembled
    from its member ways (:func:`assemble_relation`). An extract clipped from
    the planet often lacks some member ways, leaving a ring open: with
    ``repair`` (default) a ring whose open ends all run past the clip edge (the
    file's ``<bounds>``), or stop where the clip removed the way's next node, is
    closed along that edge and the smaller of the two sides it cuts the extract
    into is taken; the repair is reported (finding
    ``admin_ring_closed_along_clip_edge`` and the ``repair`` column) with the
    missing members, and flagged ``admin_ring_side_uncertain`` when the two sides
    are within a factor of 3 in area (a level-9 area larger than the rest of the
    extract would be taken wrongly: use an extract that holds the whole relation).
    Otherwise an :class:`~coverage15.InputError` names the relation and its
    missing members.

    Households (户数) are not in OpenStreetMap: give them with ``households``
    (or join them yourself) before :func:`coverage15.load_communities`.

    Parameters
    ----------
    path
        ``.osm``, ``.osm.bz2``, ``.osm.gz`` or ``.osm.pbf``.
    admin_levels
        The ``admin_level`` values to take (default 9 and 10).
    repair
        Close rings left open by the clip along the clip edge (see above).
    households
        Optional mapping from ``community_id`` (``"relation/…"``) or name to the
        number of households; every community must be in it.
    report
        A report to add the findings to (a new one by default).

    Returns
    -------
    geopandas.GeoDataFrame
        ``community_id`` (the relation's ``"relation/…"`` id), ``name``
        (``name:zh`` / ``name``, else the id), ``admin_level``, ``osm_id``,
        ``missing_members``, ``repair`` (what was done, ``""`` for none),
        ``households`` (only with ``households``) and the polygon, in WGS84;
        ``attrs["report"]`` holds the findings.

    Raises
    ------
    InputError
        No such relation in the file; a ring that cannot be closed (naming the
        relation and its missing member ways); a community missing from
        ``households``.

    Examples
    --------
    >>> from coverage15.datasets import sample_path
    >>> communities_from_osm(sample_path("walk_network.osm"))
    Traceback (most recent call last):
    ...
    coverage15._errors.InputError: ...: no boundary=administrative relation with admin_level ...
    """
    source = str(path)
    levels = {str(v) for v in admin_levels}
    shown_levels = "/".join(sorted(levels))
    report = report if report is not None else ValidationReport(source=source)
    data = read_osm(
        path,
        relation_filter=lambda t: (
            t.get("boundary") == "administrative" and t.get("admin_level") in levels
        ),
    )
    if not data.relations:
        raise InputError(
            f"no boundary=administrative relation with admin_level {shown_levels} in the file: "
            "give community boundaries as a layer (coverage15.load_communities)",
            source=source,
        )
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    bad_ids: list[str] = []
    for rid, (tags, _) in sorted(data.relations.items()):
        oid = osm_id("r", rid)
        name = tags.get("name:zh") or tags.get("name") or oid
        asm = assemble_relation(rid, data, clip_repair=repair)
        missing = [osm_id("w", m) for m in asm.missing_members]
        if asm.geometry is None or asm.open_parts:
            why = []
            if missing:
                why.append(f"member way(s) missing from the file: {', '.join(missing)}")
            if asm.open_parts:
                why.append(f"{asm.open_parts} ring(s) left open")
            if asm.missing_nodes:
                why.append(f"{asm.missing_nodes} node(s) missing")
            hint = (
                "the open ends do not both run past the clip edge, so it cannot be closed along it"
                if repair
                else "repair=True closes a ring along the clip edge"
            )
            problems.append(f"{oid} ({name}): {'; '.join(why) or 'no ring'} ({hint})")
            bad_ids.append(oid)
            continue
        rows.append(
            {
                "community_id": oid,
                "name": name,
                "admin_level": tags.get("admin_level"),
                "osm_id": oid,
                "missing_members": ", ".join(missing),
                "repair": asm.repair,
                "geometry": asm.geometry,
                "_uncertain": asm.side_uncertain,
            }
        )
    if problems:
        raise InputError(
            "cannot build a community boundary from "
            + "; ".join(problems)
            + ". Give community boundaries as a layer (coverage15.load_communities) or an "
            "extract that holds the whole relation",
            source=source,
            rows=bad_ids,
            column="members",
        )
    frame = pd.DataFrame(
        rows,
        columns=[
            "community_id",
            "name",
            "admin_level",
            "osm_id",
            "missing_members",
            "repair",
            "geometry",
            "_uncertain",
        ],
    )
    uncertain = frame.loc[frame["_uncertain"].astype(bool), "community_id"].tolist()
    out = gpd.GeoDataFrame(frame.drop(columns="_uncertain"), geometry="geometry", crs="EPSG:4326")
    report.add(
        "admin_ring_side_uncertain",
        "flagged",
        rows=uncertain,
        column="geometry",
        detail="closed along the clip edge, but the two sides differ by less than 3 times in "
        "area: check that the smaller one is the community (or use an extract that holds the "
        "whole relation)",
    )
    fixed = out["repair"] != ""
    report.add(
        "admin_ring_closed_along_clip_edge",
        "repaired",
        rows=out.loc[fixed, "community_id"].tolist(),
        column="members",
        detail="; ".join(
            f"{r.community_id} ({r.name}): {r.repair}; missing member way(s): "
            f"{r.missing_members or 'none'}"
            for r in out[fixed].itertuples()
        ),
    )
    part = (out["missing_members"] != "") & ~fixed
    report.add(
        "admin_members_missing",
        "flagged",
        rows=out.loc[part, "community_id"].tolist(),
        column="members",
        detail="built from the member ways in the file; missing: "
        + "; ".join(f"{r.community_id}: {r.missing_members}" for r in out[part].itertuples()),
    )
    if households is not None:
        hh = [
            households.get(c, households.get(n))
            for c, n in zip(out["community_id"], out["name"], strict=True)
        ]
        lacking = [c for c, v in zip(out["community_id"], hh, strict=True) if v is None]
        if lacking:
            raise InputError(
                "households are not in OpenStreetMap: give them for every community "
                "(by community_id or name)",
                source="households",
                rows=lacking,
                column="households",
            )
        out["households"] = hh
    out.attrs["report"] = report
    return out
