"""Generate the coverage15 sample district (synthetic, placed in central Leshan).

This script is not part of the installed package: the files it writes are shipped as
package data and read through :mod:`coverage15.datasets`. It writes them by pure
arithmetic (no GDAL, no PROJ, a fixed-seed SplitMix64 generator), so the output is byte
for byte the same on every machine; ``tests/test_sample.py`` regenerates the sample into a
temporary folder and compares it with both committed copies.

The sample is **synthetic**: no OpenStreetMap or official data went into it. It is placed
at real coordinates in central Leshan, Sichuan (乐山市市中区, around 29.55 N, 103.76 E,
about 2.6 km × 2 km) so maps look right, and it is built to exercise every part of
coverage15: a walking network in OSM XML with ways the ``walk`` filter must drop, gated
residential compounds (小区) entered only through gates, a river (竹公溪) crossed by three
bridges only, a cul-de-sac cluster, a disconnected park, ten communities (社区) in two
街道 tiling the district (one rural village, one relocation settlement), residential
buildings with levels, service facilities with opening hours, public plazas, and deliberate
shortfalls documented in ``coverage15.datasets.SAMPLE_EXPECTATIONS``.

Usage (from the repository root)::

    python scripts/make_sample.py            # both copies: data/sample and the package's
    python scripts/make_sample.py OUT_DIR    # one folder
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

__all__ = ["SAMPLE_FILES", "generate_sample", "main"]

#: The repository's copy and the package-data copy, written by ``main()`` by default.
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DIRS: tuple[Path, ...] = (
    ROOT / "data" / "sample",
    ROOT / "src" / "coverage15" / "data" / "sample",
)

#: The data files of the sample, in the order :func:`generate_sample` writes them.
SAMPLE_FILES: tuple[str, ...] = (
    "walk_network.osm",
    "communities.geojson",
    "buildings.geojson",
    "facilities.geojson",
    "open_spaces.geojson",
)
SEED = 20180601

# Local metric frame: x east, y north, metres from the district's south-west corner.
# Degrees from metres by a fixed equirectangular scale (WGS 84 at 29.55 N): only
# IEEE-754 additions, multiplications and divisions, so identical on every machine.
LON0 = 103.747
LAT0 = 29.541
M_PER_DEG_LON = 96_919.0
M_PER_DEG_LAT = 110_845.0
DECIMALS = 7

Point = tuple[float, float]

# --------------------------------------------------------------------------- community table

_JZ, _HT, _LY, _BT, _ZJ = (
    "511102001001",
    "511102001002",
    "511102001003",
    "511102001004",
    "511102001005",
)
_BY, _CQ, _BH, _XC, _QJ = (
    "511102002001",
    "511102002002",
    "511102002003",
    "511102002004",
    "511102002201",
)

# code, name, households, persons per household, kind
_COMMUNITIES: tuple[tuple[str, str, int, float, str], ...] = (
    (_JZ, "嘉州社区", 3800, 2.80, "城市社区"),
    (_HT, "海棠社区", 3200, 2.75, "城市社区"),
    (_LY, "龙游社区", 2200, 2.90, "城市社区"),
    (_BT, "白塔社区", 2800, 2.70, "城市社区"),
    (_ZJ, "致江社区", 3500, 2.80, "城市社区"),
    (_BY, "柏杨社区", 3600, 2.85, "城市社区"),
    (_CQ, "长青社区", 2600, 2.80, "城市社区"),
    (_BH, "滨河社区", 1500, 2.70, "城市社区"),
    (_XC, "新村社区", 1900, 2.90, "城市社区"),
    (_QJ, "青江村", 620, 2.95, "农村社区"),
)
# 街道 (sub-district) of each community: the code's digits 7-9 (001 嘉州, 002 柏杨)
_STREETS: dict[str, str] = {"001": "嘉州街道", "002": "柏杨街道"}
# 易地扶贫搬迁集中安置社区 (relocation settlement): 新村社区, housing resettled households
_RELOCATION: frozenset[str] = frozenset({_XC})

# --------------------------------------------------------------------------- helpers


class _Rng:
    """SplitMix64: a tiny generator whose stream never changes between versions."""

    _MASK = (1 << 64) - 1

    def __init__(self, seed: int) -> None:
        self.state = seed & self._MASK

    def _next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & self._MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & self._MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & self._MASK
        return z ^ (z >> 31)

    def random(self) -> float:
        """Uniform in [0, 1)."""
        return (self._next() >> 11) / 9007199254740992.0

    def integers(self, low: int, high: int) -> int:
        """Uniform integer in [low, high] (both included)."""
        return low + self._next() % (high - low + 1)


# The river 竹公溪 as a piecewise-linear centre line, flowing east.
_RIVER: tuple[Point, ...] = ((-100.0, 1090.0), (700.0, 1010.0), (1600.0, 900.0), (2600.0, 780.0))
_BANK = 40.0  # riverside roads, metres from the centre line
_HALF_WIDTH = 15.0  # water surface


def _river_y(x: float) -> float:
    for (x0, y0), (x1, y1) in itertools.pairwise(_RIVER):
        if x0 <= x <= x1:
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    raise ValueError(f"x={x} outside the river")


def _river_line(x0: float, x1: float, offset: float = 0.0) -> list[Point]:
    """Points along the river (shifted north by ``offset``) from x0 to x1."""
    lo, hi = min(x0, x1), max(x0, x1)
    xs = [lo] + [x for x, _ in _RIVER if lo < x < hi] + [hi]
    if x0 > x1:
        xs.reverse()
    return [(x, _river_y(x) + offset) for x in xs]


def _ll(p: Point) -> tuple[float, float]:
    """(lon, lat) rounded to 7 decimals from local metres."""
    return (
        round(LON0 + p[0] / M_PER_DEG_LON, DECIMALS),
        round(LAT0 + p[1] / M_PER_DEG_LAT, DECIMALS),
    )


def _rect(x0: float, y0: float, x1: float, y1: float) -> list[Point]:
    """Closed counter-clockwise ring of an axis-aligned rectangle."""
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]


def _signed_area(ring: Sequence[Point]) -> float:
    return 0.5 * sum(a[0] * b[1] - b[0] * a[1] for a, b in itertools.pairwise(ring))


# Rotations by Pythagorean triples (cos, sin): exact in binary arithmetic.
_ROT: tuple[Point, ...] = ((1.0, 0.0), (0.96, 0.28), (12 / 13, 5 / 13), (0.96, -0.28))


@dataclass
class _Box:
    """A rectangle footprint centred at (cx, cy), possibly rotated."""

    cx: float
    cy: float
    w: float  # along the local x axis
    d: float  # along the local y axis
    rot: Point = (1.0, 0.0)

    def ring(self) -> list[Point]:
        c, s = self.rot
        hw, hd = self.w / 2, self.d / 2
        pts = [
            (self.cx + c * dx - s * dy, self.cy + s * dx + c * dy)
            for dx, dy in ((-hw, -hd), (hw, -hd), (hw, hd), (-hw, hd))
        ]
        return [*pts, pts[0]]

    def bbox(self) -> tuple[float, float, float, float]:
        pts = self.ring()
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        return min(xs), min(ys), max(xs), max(ys)


def _seg_dist(p: Point, a: Point, b: Point) -> float:
    """Distance from point p to segment ab."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    ll = dx * dx + dy * dy
    t = 0.0 if ll == 0 else max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / ll))
    qx, qy = a[0] + t * dx - p[0], a[1] + t * dy - p[1]
    return (qx * qx + qy * qy) ** 0.5


def _in_ring(p: Point, ring: Sequence[Point]) -> bool:
    inside = False
    for a, b in itertools.pairwise(ring):
        if (a[1] > p[1]) != (b[1] > p[1]):
            x = a[0] + (p[1] - a[1]) * (b[0] - a[0]) / (b[1] - a[1])
            if p[0] < x:
                inside = not inside
    return inside


# --------------------------------------------------------------------------- network


@dataclass
class _Way:
    pts: list[Point]
    tags: dict[str, str]

    @property
    def is_highway(self) -> bool:
        return "highway" in self.tags

    @property
    def is_bridge(self) -> bool:
        return self.tags.get("bridge") == "yes"


@dataclass
class _Sample:
    ways: list[_Way] = field(default_factory=list)
    node_tags: dict[Point, dict[str, str]] = field(default_factory=dict)
    buildings: list[tuple[_Box, int, str]] = field(default_factory=list)
    facilities: list[tuple[str, str, str, float | None, Point]] = field(default_factory=list)
    communities: list[tuple[tuple[str, str, int, float, str], list[Point]]] = field(
        default_factory=list
    )

    def way(self, pts: Iterable[Point], **tags: str) -> _Way:
        w = _Way([(float(x), float(y)) for x, y in pts], dict(tags))
        self.ways.append(w)
        return w


def _node_ways(ways: list[_Way]) -> None:
    """Insert a shared vertex wherever two highway ways cross or touch.

    Bridges only connect at their own end points. Pure arithmetic; a computed
    crossing within a micrometre of an existing vertex takes that vertex exactly.
    """
    cell = 100.0
    segs: list[tuple[int, int, Point, Point]] = []
    for wi, w in enumerate(ways):
        if not w.is_highway:
            continue
        for si, (a, b) in enumerate(zip(w.pts[:-1], w.pts[1:], strict=True)):
            segs.append((wi, si, a, b))
    grid: dict[tuple[int, int], list[int]] = {}
    for k, (_, _, a, b) in enumerate(segs):
        for gx in range(int(min(a[0], b[0]) // cell), int(max(a[0], b[0]) // cell) + 1):
            for gy in range(int(min(a[1], b[1]) // cell), int(max(a[1], b[1]) // cell) + 1):
                grid.setdefault((gx, gy), []).append(k)
    inserts: dict[tuple[int, int], list[Point]] = {}
    seen: set[tuple[int, int]] = set()
    eps = 1e-9
    for bucket in grid.values():
        for i, k1 in enumerate(bucket):
            for k2 in bucket[i + 1 :]:
                pair = (min(k1, k2), max(k1, k2))
                if pair in seen:
                    continue
                seen.add(pair)
                w1, s1, a, b = segs[k1]
                w2, s2, c, d = segs[k2]
                if w1 == w2 and abs(s1 - s2) <= 1:
                    continue
                rx, ry = b[0] - a[0], b[1] - a[1]
                sx, sy = d[0] - c[0], d[1] - c[1]
                den = rx * sy - ry * sx
                if abs(den) < 1e-12 * (abs(rx) + abs(ry)) * (abs(sx) + abs(sy)):
                    continue  # parallel: collinear ways only meet at shared end points
                qx, qy = c[0] - a[0], c[1] - a[1]
                t = (qx * sy - qy * sx) / den
                u = (qx * ry - qy * rx) / den
                if not (-eps <= t <= 1 + eps and -eps <= u <= 1 + eps):
                    continue
                p = (a[0] + t * rx, a[1] + t * ry)
                for v in (a, b, c, d):
                    if abs(v[0] - p[0]) < 1e-6 and abs(v[1] - p[1]) < 1e-6:
                        p = v
                        break
                ok = True
                for w in (w1, w2):
                    if ways[w].is_bridge and p not in (ways[w].pts[0], ways[w].pts[-1]):
                        ok = False
                if ok:
                    inserts.setdefault((w1, s1), []).append(p)
                    inserts.setdefault((w2, s2), []).append(p)
    for wi, w in enumerate(ways):
        if not w.is_highway:
            continue
        out: list[Point] = [w.pts[0]]
        for si, (a, b) in enumerate(zip(w.pts[:-1], w.pts[1:], strict=True)):
            extra = inserts.get((wi, si), [])
            dx, dy = b[0] - a[0], b[1] - a[1]
            extra = sorted(
                set(extra), key=lambda p, a=a, dx=dx, dy=dy: (p[0] - a[0]) * dx + (p[1] - a[1]) * dy
            )
            for p in extra:
                if p != a and p != b and p != out[-1]:
                    out.append(p)
            out.append(b)
        w.pts = out


# --------------------------------------------------------------------------- the district


def _streets(s: _Sample) -> None:
    """Arterials, riverside roads, bridges and the ways the walk filter must drop."""
    bank_n = {x: _river_y(x) + _BANK for x in range(0, 2501, 5)}  # 滨河北路 at x
    bank_s = {x: _river_y(x) - _BANK for x in range(0, 2501, 5)}  # 滨河南路 at x
    # east-west
    s.way([(-100, 1950), (2600, 1950)], highway="tertiary", name="凤凰路")
    s.way([(-100, 1600), (2600, 1600)], highway="primary", name="嘉州大道", lanes="6")
    s.way([(0, 1300), (2500, 1300)], highway="tertiary", name="白塔街")
    s.way(_river_line(-100, 2600, _BANK), highway="tertiary", name="滨河北路")
    s.way(_river_line(600, 2600, -_BANK), highway="tertiary", name="滨河南路")
    s.way([(-150, 400), (2600, 400)], highway="secondary", name="柏杨路", lanes="4")
    s.way([(600, 0), (2600, 0)], highway="tertiary", name="青衣路")
    # north-south; 长青路 and 龙游路 bridge the river, the others stop at the banks
    s.way([(0, bank_n[0]), (0, 1950)], highway="tertiary", name="通江路")
    s.way([(600, 0), (600, bank_s[600])], highway="secondary", name="长青路", lanes="4")
    s.way(
        [(600, bank_s[600]), (600, bank_n[600])],
        highway="secondary",
        name="长青路",
        bridge="yes",
        layer="1",
        **{"bridge:name": "长青桥"},
    )
    s.way([(600, bank_n[600]), (600, 1950)], highway="secondary", name="长青路", lanes="4")
    s.way([(1250, -100), (1250, bank_s[1250])], highway="primary", name="龙游路", lanes="6")
    s.way(
        [(1250, bank_s[1250]), (1250, bank_n[1250])],
        highway="primary",
        name="龙游路",
        bridge="yes",
        layer="1",
        **{"bridge:name": "龙游桥"},
    )
    s.way([(1250, bank_n[1250]), (1250, 1950)], highway="primary", name="龙游路", lanes="6")
    s.way([(1900, 0), (1900, bank_s[1900])], highway="secondary", name="致江路")
    s.way([(1900, bank_n[1900]), (1900, 1950)], highway="secondary", name="致江路")
    s.way([(2500, 0), (2500, bank_s[2500])], highway="tertiary", name="滨江路")
    s.way([(2500, bank_n[2500]), (2500, 1950)], highway="tertiary", name="滨江路")
    s.way(
        [(2150, bank_s[2150]), (2150, bank_n[2150])],
        highway="footway",
        name="竹公溪人行桥",
        bridge="yes",
        layer="1",
    )
    # residential streets
    s.way([(300, 1600), (300, 1950)], highway="residential", name="金桂街")
    s.way([(940, 1600), (940, 1950)], highway="residential", name="锦江街")
    s.way([(1575, 1600), (1575, 1950)], highway="residential", name="海棠街")
    s.way([(2200, 1600), (2200, 1950)], highway="residential", name="学府街")
    s.way([(200, bank_n[200]), (200, 1600)], highway="residential", name="龙游一街")
    s.way([(400, bank_n[400]), (400, 1600)], highway="residential", name="龙游二街")
    s.way([(0, 1450), (600, 1450)], highway="residential", name="龙游横街")
    s.way([(820, bank_n[820]), (820, 1600)], highway="residential", name="新华街")
    s.way([(1030, bank_n[1030]), (1030, 1600)], highway="residential", name="玉堂街")
    s.way([(600, 1150), (1250, 1150)], highway="residential", name="府街")
    s.way([(600, 1450), (1250, 1450)], highway="residential", name="土桥街")
    s.way([(1575, bank_n[1575]), (1575, 1600)], highway="residential", name="致江一街")
    s.way([(2200, bank_n[2200]), (2200, 1600)], highway="residential", name="桂花街")
    s.way([(930, 0), (930, bank_s[930])], highway="residential", name="柏杨街")
    s.way([(1575, 0), (1575, bank_s[1575])], highway="residential", name="长青街")
    s.way([(2200, 0), (2200, 400)], highway="residential", name="新村街")
    s.way([(1900, 200), (2500, 200)], highway="residential", name="新村横街")
    # the school just outside the district, north of 凤凰路
    s.way([(1400, 1950), (1400, 1995)], highway="footway", name="凤凰路中学通道")
    # the village 青江村
    s.way([(300, 400), (300, _river_y(300) - _BANK)], highway="unclassified", name="青江路")
    s.way(_river_line(100, 600, -_BANK), highway="path", name="竹公溪步道")
    s.way([(60, 850), (300, 850)], highway="track", name="青江村一组路")
    s.way([(60, 700), (300, 700)], highway="track", name="青江村二组路")
    s.way([(60, 550), (300, 550)], highway="track", name="青江村四组路")
    s.way([(300, 800), (450, 800)], highway="track", name="青江村五组路")
    s.way([(300, 600), (450, 600)], highway="track", name="青江村六组路")
    s.way([(200, 400), (200, 60), (450, 60)], highway="track", name="青江村三组路")
    # the cul-de-sac cluster 滨河新村: one street in from 柏杨路, six dead ends
    s.way([(2300, 400), (2300, 640)], highway="residential", name="滨河新村")
    for y in (480.0, 560.0, 640.0):
        s.way([(2300, y), (2180, y)], highway="residential", name="滨河新村")
        s.way([(2300, y), (2440, y)], highway="residential", name="滨河新村")
    # a park whose paths were mapped but never joined to the streets
    s.way(_rect(2255, 920, 2445, 1245), highway="footway", name="竹公溪公园环道")
    s.way([(2255, 1080), (2445, 1080)], highway="footway")
    s.way(_rect(2225, 890, 2475, 1275), leisure="park", name="竹公溪公园")
    # ways the walk filter must drop
    s.way([(-100, 2060), (2600, 2060)], highway="motorway", name="乐雅高速", oneway="no")
    s.way([(2560, 1600), (2560, 2060)], highway="trunk", name="乐峨快速通道", foot="no")
    s.way(_river_line(650, 1200, 25.0), highway="cycleway", name="竹公溪绿道")
    s.way(_rect(850, 1175, 1000, 1275), highway="pedestrian", area="yes", name="嘉州广场")
    s.way(
        _rect(640, 1480, 700, 1540),
        building="commercial",
        name="嘉州大厦",
        **{"building:levels": "24"},
    )
    s.way(_rect(1600, 25, 1875, 375), amenity="school", name="乐山市柏杨中学")
    s.way(_rect(1300, 1965, 1500, 2040), amenity="school", name="乐山市凤凰路中学")
    # the river
    s.way(_river_line(-100, 2600), waterway="river", name="竹公溪")
    water = _river_line(-100, 2600, -_HALF_WIDTH) + _river_line(2600, -100, _HALF_WIDTH)
    s.way([*water, water[0]], natural="water", water="river", name="竹公溪")


# name, fence rectangle, community, style, gates as (side, position, main?)
_COMPOUNDS: tuple[tuple[str, tuple[float, float, float, float], str, str, tuple], ...] = (
    ("翡翠苑", (25, 1625, 275, 1925), _JZ, "tower", (("E", 1780, True), ("S", 150, False))),
    ("金桂园", (325, 1625, 575, 1925), _JZ, "mid", (("N", 450, True),)),
    ("锦江华府", (625, 1625, 915, 1925), _JZ, "tower", (("S", 770, True), ("W", 1800, False))),
    ("嘉州花园", (965, 1625, 1225, 1925), _JZ, "mid", (("E", 1760, True),)),
    ("海棠苑", (1275, 1625, 1550, 1925), _HT, "mid", (("W", 1775, True), ("E", 1700, False))),
    ("凤凰城", (1600, 1625, 1875, 1925), _HT, "tower", (("N", 1740, True),)),
    ("江山名门", (1925, 1625, 2175, 1925), _HT, "tower", (("S", 2050, True), ("E", 1850, False))),
    ("学府名都", (2225, 1625, 2475, 1925), _HT, "mid", (("S", 2350, True),)),
    ("致江苑", (1275, 1325, 1550, 1575), _ZJ, "mid", (("N", 1410, True), ("W", 1450, False))),
    ("嘉定苑", (1600, 1325, 1875, 1575), _ZJ, "high", (("S", 1740, True),)),
    ("滨江花园", (1925, 1325, 2175, 1575), _ZJ, "tower", (("E", 1500, True), ("N", 2080, False))),
    ("锦绣江南", (2225, 1325, 2475, 1575), _ZJ, "mid", (("W", 1400, True),)),
    ("柏杨湾", (625, 425, 905, 880), _BY, "mid", (("S", 760, True), ("E", 720, False))),
    ("长青家园", (955, 425, 1225, 840), _BY, "tower", (("W", 600, True), ("S", 1150, False))),
    ("怡馨园", (1275, 425, 1550, 800), _CQ, "mid", (("S", 1400, True),)),
    ("绿洲花园", (1600, 425, 1875, 760), _CQ, "high", (("W", 600, True), ("E", 550, False))),
    ("龙湾半岛", (1925, 425, 2125, 720), _BH, "tower", (("W", 570, True), ("S", 2025, False))),
    ("阳光丽景", (625, 25, 905, 375), _BY, "mid", (("N", 740, True),)),
    ("南湖名都", (955, 25, 1225, 375), _BY, "mid", (("W", 260, True),)),
    ("南苑小区", (1275, 25, 1550, 375), _XC, "mid", (("N", 1420, True), ("E", 100, False))),
)
_RING = 18.0  # internal ring road, metres inside the fence
_STREET = 25.0  # street centre line, metres outside the fence
# footprint w × d, gaps between footprints, levels range, rotation
_STYLES: dict[str, tuple[float, float, float, float, int, int]] = {
    "tower": (24.0, 24.0, 30.0, 30.0, 18, 33),
    "high": (48.0, 15.0, 20.0, 34.0, 11, 18),
    "mid": (42.0, 13.0, 18.0, 24.0, 6, 11),
}


def _compounds(s: _Sample, rng: _Rng) -> list[tuple[_Box, int, str]]:
    """Gated compounds: fence, gates, internal paths and the buildings inside."""
    boxes: list[tuple[_Box, int, str]] = []
    for k, (name, (x0, y0, x1, y1), comm, style, gates) in enumerate(_COMPOUNDS):
        s.way(_rect(x0, y0, x1, y1), landuse="residential", name=name)
        rx0, ry0, rx1, ry1 = x0 + _RING, y0 + _RING, x1 - _RING, y1 - _RING
        s.way(_rect(rx0, ry0, rx1, ry1), highway="service")
        height = y1 - y0
        spines = [(y0 + y1) / 2] if height < 330 else [y0 + height / 3, y0 + 2 * height / 3]
        for ym in spines:
            s.way([(rx0, ym), (rx1, ym)], highway="footway")
        if k == 0:  # a residents-only garden path: the walk filter drops it
            s.way([(rx1, ry1), (rx1, y1 - 6)], highway="footway", access="private")
        fence = _rect(x0, y0, x1, y1)
        for side, pos, main in gates:
            gate, ring_pt, street_pt = {
                "S": ((pos, y0), (pos, ry0), (pos, y0 - _STREET)),
                "N": ((pos, y1), (pos, ry1), (pos, y1 + _STREET)),
                "W": ((x0, pos), (rx0, pos), (x0 - _STREET, pos)),
                "E": ((x1, pos), (rx1, pos), (x1 + _STREET, pos)),
            }[side]
            gate = (float(gate[0]), float(gate[1]))
            s.node_tags[gate] = {
                "barrier": "gate",
                "entrance": "main" if main else "yes",
                "name": f"{name}{'大门' if main else '侧门'}",
            }
            if main:
                s.way([street_pt, gate], highway="service", service="driveway")
                s.way([gate, ring_pt], highway="service")
            else:
                s.way([street_pt, gate], highway="footway")
                s.way([gate, ring_pt], highway="footway")
            # put the gate into the fence
            for i, (a, b) in enumerate(itertools.pairwise(fence)):
                if _seg_dist(gate, a, b) < 1e-9:
                    fence.insert(i + 1, gate)
                    break
        s.way(fence, barrier="fence")
        # buildings in the bands between ring and spines
        bw, bd, gx, gy, lv0, lv1 = _STYLES[style]
        rot = _ROT[1] if style == "tower" and k % 2 == 0 else _ROT[0]
        ext = bw * rot[0] + bd * abs(rot[1])  # extent of a rotated footprint
        exd = bw * abs(rot[1]) + bd * rot[0]
        clear = 9.0
        edges = [ry0, *spines, ry1]
        for b0, b1 in itertools.pairwise(edges):
            for cx in _fill(rx0 + clear, rx1 - clear, ext, gx):
                for cy in _fill(b0 + clear, b1 - clear, exd, gy):
                    boxes.append((_Box(cx, cy, bw, bd, rot), rng.integers(lv0, lv1), comm))
    return boxes


# Facilities inside compounds (配套设施), on the first internal footway. None of the
# 5-minute kinds sits in a compound near 龙游社区 or 青江村, whose gaps are deliberate.
_COMPOUND_AMENITIES: dict[str, tuple[str, ...]] = {
    "翡翠苑": ("fitness", "shop"),
    "金桂园": ("fitness",),
    "锦江华府": ("fitness", "health", "shop"),
    "嘉州花园": ("fitness", "elderly"),
    "海棠苑": ("fitness", "elderly", "shop"),
    "凤凰城": ("fitness", "kindergarten", "health"),
    "江山名门": ("fitness", "shop"),
    "学府名都": ("fitness", "kindergarten", "health"),
    "致江苑": ("fitness", "kindergarten", "shop"),
    "嘉定苑": ("fitness", "health", "elderly"),
    "滨江花园": ("fitness", "kindergarten"),
    "锦绣江南": ("fitness", "elderly", "shop"),
    "柏杨湾": ("shop",),
    "长青家园": ("fitness", "kindergarten", "elderly"),
    "怡馨园": ("fitness", "elderly", "health"),
    "绿洲花园": ("fitness", "kindergarten", "shop"),
    "龙湾半岛": ("fitness", "health", "elderly"),
    "阳光丽景": ("shop",),
    "南湖名都": ("fitness", "kindergarten", "elderly"),
    "南苑小区": ("fitness", "health", "kindergarten"),
}
# kind: name suffix, 类别, floor area
_AMENITY_KINDS: dict[str, tuple[str, str, float | None]] = {
    "fitness": ("健身点", "室外健身场地", None),
    "shop": ("便利店", "便利店", 60.0),
    "health": ("卫生服务站", "社区卫生服务站", 130.0),
    "elderly": ("日间照料站", "老年人日间照料中心", 360.0),
    "kindergarten": ("幼儿园", "幼儿园", 2100.0),
}
_SLOTS = (0.5, 0.2, 0.8)  # where along the footway each amenity of a compound goes


def _compound_facilities() -> list[tuple[str, str, str, float | None, Point]]:
    out: list[tuple[str, str, str, float | None, Point]] = []
    for name, (x0, y0, x1, y1), *_ in _COMPOUNDS:
        height = y1 - y0
        ym = (y0 + y1) / 2 if height < 330 else y0 + height / 3
        rx0, rx1 = x0 + _RING, x1 - _RING
        for slot, kind in zip(_SLOTS, _COMPOUND_AMENITIES[name], strict=False):
            suffix, category, area = _AMENITY_KINDS[kind]
            code = f"F{201 + len(out)}"
            out.append((code, name + suffix, category, area, (rx0 + slot * (rx1 - rx0), ym + 3)))
    return out


def _fill(lo: float, hi: float, size: float, gap: float) -> list[float]:
    """Centres of as many ``size`` items with ``gap`` between them as fit in [lo, hi]."""
    n = int((hi - lo + gap) // (size + gap))
    if n < 1:
        return []
    start = lo + (hi - lo - (n * size + (n - 1) * gap)) / 2 + size / 2
    return [start + i * (size + gap) for i in range(n)]


def _old_blocks(rng: _Rng) -> list[tuple[_Box, int, str]]:
    """Open (ungated) old blocks of 2–7 storeys between streets, and 滨河新村."""
    boxes: list[tuple[_Box, int, str]] = []
    c = 18.0  # clearance from street centre lines
    blocks: list[tuple[float, float, float, float, str]] = []
    for x0, x1 in ((0, 200), (200, 400), (400, 600)):  # 龙游社区
        for y0, y1 in ((_river_y(x0) + _BANK, 1300), (1300, 1450), (1450, 1600)):
            blocks.append((x0, y0, x1, y1, _LY))
    for x0, x1 in ((1250, 1575), (1575, 1900), (1900, 2200)):  # 致江社区, river side
        blocks.append((x0, _river_y(x0) + _BANK, x1, 1300, _ZJ))
    for x0, x1 in ((1900, 2200), (2200, 2500)):  # 新村社区
        for y0, y1 in ((0, 200), (200, 400)):
            blocks.append((x0, y0, x1, y1, _XC))
    for x0, y0, x1, y1, comm in blocks:
        for cy in _fill(y0 + c, y1 - c, 12.0, 14.0):
            for cx in _fill(x0 + c, x1 - c, 30.0, 12.0):
                if rng.random() < 0.2:
                    continue  # gaps: small shops, yards, demolished plots
                w = 24.0 + 6.0 * rng.integers(0, 1)
                boxes.append((_Box(cx, cy, w, 12.0), rng.integers(2, 7), comm))
    # 滨河新村: 1980s worker housing along the cul-de-sacs
    for y in (480.0, 560.0, 640.0):
        for cy in (y - 22.0, y + 22.0):
            for cx in (2196.0, 2232.0, 2268.0, 2332.0, 2368.0, 2404.0, 2440.0):
                boxes.append((_Box(cx, cy, 24.0, 12.0), rng.integers(4, 7), _BH))
    return boxes


def _village(rng: _Rng) -> list[tuple[_Box, int, str]]:
    """Village houses (2–3 storeys) strung along the lanes of 青江村."""
    boxes: list[tuple[_Box, int, str]] = []
    off = 18.0

    def house(cx: float, cy: float) -> None:
        if rng.random() < 0.2:
            return
        rot = _ROT[rng.integers(0, 3)]
        boxes.append((_Box(cx, cy, 13.0, 10.0, rot), rng.integers(2, 3), _QJ))

    # (orientation, lane position, from, to) of the lanes the houses line
    lanes = (
        ("v", 300.0, 430.0, 905.0),  # 青江路
        ("h", 850.0, 70.0, 280.0),  # 一组路
        ("h", 700.0, 70.0, 280.0),  # 二组路
        ("h", 550.0, 70.0, 280.0),  # 四组路
        ("h", 800.0, 322.0, 440.0),  # 五组路
        ("h", 600.0, 322.0, 440.0),  # 六组路
        ("h", 400.0, 40.0, 260.0),  # 柏杨路
        ("v", 200.0, 85.0, 375.0),  # 三组路, north-south
        ("h", 60.0, 224.0, 440.0),  # 三组路, east-west
    )
    for orient, at, lo, hi in lanes:
        t = lo
        while t <= hi:
            for side in (-off, off):
                if orient == "v":
                    house(at + side, t)
                else:
                    house(t, at + side)
            t += 22.0
    return boxes


# code, name, 类别 as written in the planner's file, 建筑面积 (None: open-air), (x, y)
_FACILITIES: tuple[tuple[str, str, str, float | None, Point], ...] = (
    # 嘉州社区
    ("F001", "嘉州社区服务站", "社区服务站", 1200.0, (720, 1612)),
    ("F002", "嘉州街道社区服务中心", "社区服务中心", 1500.0, (1150, 1612)),
    ("F003", "嘉州社区卫生服务站", "社区卫生服务站", 180.0, (312, 1720)),
    ("F004", "嘉州花园幼儿园", "幼儿园", 2600.0, (952, 1820)),
    ("F005", "锦江托育中心", "托育中心", 260.0, (928, 1700)),
    ("F006", "嘉州老年人日间照料中心", "老年人日间照料中心", 560.0, (1000, 1612)),
    ("F007", "金桂菜市场", "菜市场", 1100.0, (288, 1850)),
    ("F008", "嘉州生活超市", "综合超市", 2200.0, (588, 1780)),
    ("F009", "红旗连锁(金桂店)", "便利店", 80.0, (320, 1612)),
    ("F010", "红旗连锁(锦江店)", "便利店", 90.0, (1238, 1850)),
    ("F011", "嘉州社区文化活动站", "文化活动站", 320.0, (612, 1900)),
    ("F012", "翡翠苑健身广场", "室外健身场地", None, (150, 1938)),
    ("F013", "锦江健身点", "室外健身场地", None, (1100, 1938)),
    ("F014", "嘉州大药房", "药店", 150.0, (460, 1612)),
    ("F015", "乐山市嘉州小学", "小学", 6800.0, (1238, 1700)),
    ("F016", "金桂快递驿站", "快递驿站", 60.0, (312, 1900)),
    ("F017", "张记早餐店", "早餐店", 40.0, (952, 1650)),
    ("F018", "时尚美发店", "美容美发店", 50.0, (612, 1650)),
    # 海棠社区
    ("F020", "海棠社区服务站", "社区服务站", 1000.0, (1587, 1760)),
    ("F021", "海棠社区卫生服务站", "卫生服务站", 150.0, (1888, 1700)),
    ("F022", "海棠幼儿园", "幼儿园", 2200.0, (1563, 1850)),
    ("F023", "乐山市海棠小学", "小学", 7200.0, (2212, 1780)),
    ("F024", "凤凰城幼儿园", "幼儿园", 1800.0, (1912, 1850)),
    ("F025", "海棠社区日间照料中心", "日间照料中心", 420.0, (2188, 1650)),
    ("F026", "海棠生活超市", "综合超市", 2600.0, (1700, 1612)),
    ("F027", "海棠农贸市场", "农贸市场", 1300.0, (2212, 1612)),
    ("F028", "红旗连锁(海棠店)", "便利店", 80.0, (1262, 1850)),
    ("F029", "红旗连锁(学府店)", "便利店", 70.0, (2488, 1700)),
    ("F030", "海棠社区文化活动站", "文化活动站", 300.0, (1587, 1900)),
    ("F031", "海棠健身广场", "室外健身场地", None, (2050, 1938)),
    ("F033", "海棠药房", "药房", 100.0, (1888, 1612)),
    ("F034", "学府托儿所", "托儿所", 240.0, (2212, 1900)),
    ("F035", "海棠快递点", "快递点", 80.0, (1563, 1650)),
    # 龙游社区: no kindergarten, no elderly day care
    ("F040", "龙游社区服务站", "社区服务站", 700.0, (210, 1310)),
    ("F041", "龙游社区卫生服务站", "社区卫生服务站", 130.0, (410, 1460)),
    ("F042", "龙游农贸市场", "农贸市场", 900.0, (215, 1460)),
    ("F043", "红旗连锁(龙游店)", "便利店", 60.0, (390, 1310)),
    ("F044", "龙游社区文化活动室", "文化活动室", 220.0, (10, 1500)),
    ("F045", "龙游健身广场", "健身广场", None, (300, 1590)),
    ("F046", "龙游大药房", "药店", 90.0, (410, 1590)),
    ("F047", "龙游早餐店", "早餐店", 30.0, (190, 1200)),
    # 白塔社区: no residential buildings in the data; small station
    ("F050", "白塔社区服务站", "社区服务站", 450.0, (830, 1310)),
    ("F051", "嘉州街道社区卫生服务中心", "社区卫生服务中心", 2000.0, (1040, 1310)),
    ("F052", "白塔幼儿园", "幼儿园", 1600.0, (1040, 1160)),
    ("F053", "白塔托老所", "托老所", 380.0, (1040, 1460)),
    ("F054", "乐山市实验小学", "小学", 9000.0, (830, 1460)),
    ("F055", "白塔菜市场", "菜市场", 1000.0, (1020, 1140)),
    ("F056", "红旗连锁(白塔店)", "便利店", 70.0, (830, 1590)),
    ("F057", "白塔社区文化活动站", "文化活动站", 260.0, (1020, 1590)),
    ("F058", "嘉州广场健身点", "健身点", None, (925, 1290)),
    ("F059", "白塔大药房", "药店", 110.0, (1240, 1200)),
    ("F060", "白塔早餐店", "早餐店", 35.0, (610, 1200)),
    # 致江社区: small station
    ("F070", "致江社区服务站", "社区服务站", 600.0, (1585, 1310)),
    ("F071", "致江社区卫生服务站", "社区卫生服务站", 160.0, (1890, 1310)),
    ("F072", "致江幼儿园", "幼儿园", 1500.0, (1910, 1460)),
    ("F073", "致江老年人日间照料中心", "老年人日间照料中心", 400.0, (1565, 1200)),
    ("F074", "红旗连锁(致江店)", "便利店", 80.0, (2210, 1310)),
    ("F075", "致江菜市场", "菜市场", 1200.0, (1910, 1150)),
    ("F076", "致江社区文化活动站", "文化活动站", 350.0, (2190, 1460)),
    ("F077", "滨江健身广场", "室外健身场地", None, (2490, 1150)),
    ("F078", "致江大药房", "大药房", 120.0, (1260, 1100)),
    ("F080", "乐山市致江路小学", "小学", 6500.0, (1910, 1000)),
    ("F081", "致江快递驿站", "快递驿站", 70.0, (1585, 1000)),
    # 柏杨社区
    ("F090", "柏杨社区服务站", "社区服务站", 1100.0, (918, 412)),
    ("F091", "柏杨街道社区服务中心", "社区服务中心", 1200.0, (1240, 600)),
    ("F092", "柏杨社区卫生服务站", "社区卫生服务站", 200.0, (612, 300)),
    ("F093", "柏杨湾幼儿园", "幼儿园", 2000.0, (918, 650)),
    ("F094", "柏杨老年人日间照料中心", "老年人日间照料中心", 450.0, (942, 200)),
    ("F095", "乐山市柏杨小学", "小学", 7000.0, (1238, 200)),
    ("F096", "柏杨菜市场", "菜市场", 1400.0, (1100, 412)),
    ("F097", "柏杨生活超市", "综合超市", 2500.0, (1100, 12)),
    ("F098", "红旗连锁(柏杨店)", "便利店", 80.0, (700, 412)),
    ("F099", "柏杨社区文化活动站", "文化活动站", 300.0, (942, 850)),
    ("F100", "柏杨健身广场", "室外健身场地", None, (780, 388)),
    ("F101", "柏杨大药房", "药店", 130.0, (942, 300)),
    ("F102", "柏杨托儿所", "托儿所", 220.0, (1238, 750)),
    ("F103", "柏杨早餐店", "早餐店", 35.0, (612, 500)),
    # 长青社区
    ("F110", "长青社区服务站", "社区服务站", 800.0, (1587, 600)),
    ("F111", "长青社区卫生服务站", "社区卫生服务站", 140.0, (1262, 800)),
    ("F112", "怡馨园幼儿园", "幼儿园", 1900.0, (1563, 700)),
    ("F113", "长青老年人日间照料中心", "老年人日间照料中心", 380.0, (1888, 500)),
    ("F114", "红旗连锁(长青店)", "便利店", 60.0, (1700, 412)),
    ("F115", "长青社区文化活动站", "文化活动站", 280.0, (1587, 820)),
    ("F116", "长青健身广场", "室外健身场地", 400.0, (1450, 412)),
    ("F117", "长青药房", "药房", 100.0, (1888, 700)),
    # 滨河社区
    ("F120", "滨河社区服务站", "社区服务站", 520.0, (2312, 420)),
    ("F121", "滨河社区卫生服务站", "社区卫生服务站", 130.0, (1912, 480)),
    ("F122", "滨河幼儿园", "幼儿园", 1200.0, (2150, 412)),
    ("F123", "滨河农贸市场", "农贸市场", 800.0, (2488, 600)),
    ("F124", "红旗连锁(滨河店)", "便利店", 70.0, (2050, 412)),
    ("F125", "滨河健身点", "健身点", None, (2488, 700)),
    ("F126", "滨河快递驿站", "快递驿站", 50.0, (2488, 450)),
    # 新村社区: station between 20 and 30 m² per 100 households
    ("F130", "新村社区服务站", "社区服务站", 420.0, (2210, 212)),
    ("F131", "新村社区卫生服务站", "卫生服务站", 120.0, (1910, 212)),
    ("F132", "乐山市柏杨中学", "初中", 12000.0, (1590, 200)),
    ("F133", "新村幼儿园", "幼儿园", 1400.0, (1263, 300)),
    ("F134", "新村菜市场", "菜市场", 900.0, (2210, 388)),
    ("F135", "红旗连锁(新村店)", "便利店", 60.0, (2050, 188)),
    ("F136", "新村健身广场", "室外健身场地", None, (2350, 12)),
    ("F137", "新村理发店", "理发店", 40.0, (2350, 212)),
    # outside every community, north of 凤凰路: serves 嘉州 and 海棠 across the boundary
    ("F140", "乐山市凤凰路中学", "初中", 15000.0, (1412, 1985)),
    # 青江村: the village lacks most things
    ("F150", "青江村村委会", "村委会", 200.0, (312, 420)),
    ("F151", "青江村卫生室", "卫生室", 80.0, (292, 600)),
    ("F152", "青江村农家书屋", "农家书屋", 60.0, (288, 440)),
    ("F153", "青江村便民小卖部", "便利店", 40.0, (212, 120)),
)


# 社区体育健身站点 (sports stations) in six of the nine urban communities and the village;
# 龙游, 滨河 and 新村 have none. 儿童之家 (children's homes) beside nine of the ten
# community stations; 龙游社区 has none.
_NEW_FACILITIES: tuple[tuple[str, str, str, float | None, Point], ...] = (
    ("F160", "嘉州社区体育健身站点", "社区体育健身站点", None, (150, 1612)),
    ("F161", "海棠社区体育健身站点", "社区体育健身站点", 180.0, (2350, 1612)),
    ("F162", "白塔社区体育健身站点", "社区体育健身站点", None, (700, 1462)),
    ("F163", "致江社区体育健身站点", "社区体育健身站点", 150.0, (2350, 1312)),
    ("F164", "柏杨社区体育健身站点", "社区体育健身站点", None, (800, 412)),
    ("F165", "长青社区体育健身站点", "社区体育健身站点", None, (1470, 412)),
    ("F166", "青江村体育健身站点", "社区体育健身站点", None, (330, 812)),
    ("F170", "嘉州社区儿童之家", "儿童之家", 120.0, (740, 1612)),
    ("F171", "海棠社区儿童之家", "儿童之家", 100.0, (1587, 1780)),
    ("F172", "白塔社区儿童之家", "儿童之家", 80.0, (832, 1330)),
    ("F173", "致江社区儿童之家", "儿童之家", 90.0, (1585, 1330)),
    ("F174", "柏杨社区儿童之家", "儿童之家", 110.0, (940, 412)),
    ("F175", "长青社区儿童之家", "儿童之家", 80.0, (1587, 620)),
    ("F176", "滨河社区儿童之家", "儿童之家", 60.0, (2312, 440)),
    ("F177", "新村社区儿童之家", "儿童之家", 70.0, (2230, 212)),
    ("F178", "青江村儿童之家", "儿童之家", 50.0, (312, 460)),
)

# 开放时间 (opening hours) by 类别 as written in the planner's file; None: open air, no hours
_HOURS_BY_KIND: dict[str, str | None] = {
    "社区服务站": "8:30-17:30",
    "社区服务中心": "8:30-20:30",
    "村委会": "9:00-12:00",
    "社区卫生服务站": "08:00-12:00,14:00-18:00",
    "卫生服务站": "08:00-12:00,14:00-18:00",
    "卫生室": "8:30-12:00,14:00-17:00",
    "社区卫生服务中心": "8:00-20:00",
    "幼儿园": "7:30-17:30",
    "托育中心": "7:30-18:00",
    "托儿所": "7:30-17:30",
    "小学": "7:30-17:30",
    "初中": "7:00-18:00",
    "老年人日间照料中心": "8:30-17:30",
    "日间照料中心": "8:30-17:30",
    "托老所": "8:00-18:00",
    "菜市场": "6:00-19:00",
    "农贸市场": "6:00-19:00",
    "综合超市": "8:00-22:00",
    "便利店": "7:00-23:00",
    "文化活动站": "9:00-21:00",
    "文化活动室": "9:00-12:00,14:00-17:00",
    "农家书屋": "14:00-18:00",
    "药店": "8:00-22:00",
    "药房": "8:00-22:00",
    "大药房": "8:00-22:00",
    "快递驿站": "9:00-20:00",
    "快递点": "9:00-20:00",
    "早餐店": "6:00-10:00",
    "美容美发店": "9:00-21:00",
    "理发店": "9:00-21:00",
    "室外健身场地": None,
    "健身广场": None,
    "健身点": None,
    "社区体育健身站点": "6:30-21:30",
    "儿童之家": "9:00-17:00",
}
# facilities whose hours differ from their kind's: four community stations open less than
# 8 h a day (龙游 6 h, 致江 7 h, 滨河 7.5 h, 青江村 3 h), 海棠 exactly 8 h
_HOURS: dict[str, str] = {
    "F020": "08:00-12:00,14:00-18:00",
    "F040": "9:00-12:00,14:30-17:30",
    "F070": "08:30-12:00,14:00-17:30",
    "F090": "8:00-20:00",
    "F120": "8:30-12:00,14:00-18:00",
    "F130": "8:00-18:00",
    "F172": "14:00-18:00",
    "F176": "9:00-11:30,14:30-17:30",
    "F178": "14:00-18:00",
}

# Public plazas and open space (广场、公园): name, community, rectangle. Above 2.5 m² per
# resident in 龙游, 致江 (the park), 滨河 and 青江村; below in the other six (嘉州, 海棠 and
# 新村 have none at all).
_OPEN_SPACES: tuple[tuple[str, str, tuple[float, float, float, float]], ...] = (
    ("龙游广场", _LY, (218.0, 1468.0, 382.0, 1582.0)),
    ("嘉州广场", _BT, (850.0, 1175.0, 1000.0, 1275.0)),
    ("竹公溪公园", _ZJ, (2225.0, 890.0, 2475.0, 1275.0)),
    ("柏杨广场", _BY, (960.0, 850.0, 1200.0, 895.0)),
    ("怡馨广场", _CQ, (1290.0, 812.0, 1530.0, 850.0)),
    ("滨河公园", _BH, (2160.0, 672.0, 2470.0, 745.0)),
    ("青江村文化广场", _QJ, (330.0, 650.0, 430.0, 750.0)),
)


def _community_rings() -> dict[str, list[Point]]:
    """Community polygons (closed CCW rings) sharing their edges exactly."""
    r = _river_line
    rings: dict[str, list[Point]] = {
        _JZ: [(0, 1600), (1250, 1600), (1250, 1950), (0, 1950)],
        _HT: [(1250, 1600), (2500, 1600), (2500, 1950), (1250, 1950)],
        _LY: [*r(0, 600), (600, 1600), (0, 1600)],
        _BT: [*r(600, 1250), (1250, 1600), (600, 1600)],
        _ZJ: [*r(1250, 2500), (2500, 1600), (1250, 1600)],
        _BY: [(600, 0), (1250, 0), *r(1250, 600)],
        _CQ: [(1250, 400), (1900, 400), *r(1900, 1250)],
        _BH: [(1900, 400), (2500, 400), *r(2500, 1900)],
        _XC: [(1250, 0), (2500, 0), (2500, 400), (1250, 400)],
        _QJ: [
            *r(600, 0),
            (-40, 900),
            (10, 700),
            (-60, 480),
            (-20, 250),
            (-70, 60),
            (30, -50),
            (300, -30),
            (600, 0),
        ],
    }
    out: dict[str, list[Point]] = {}
    allpts = {(float(x), float(y)) for ring in rings.values() for x, y in ring}
    for code, pts in rings.items():
        ring = [(float(x), float(y)) for x, y in pts]
        ring.append(ring[0])
        full: list[Point] = [ring[0]]
        for a, b in itertools.pairwise(ring):
            # T-junctions: a neighbour's corner on this edge becomes a vertex here too
            on = [p for p in allpts if p not in (a, b) and _seg_dist(p, a, b) < 1e-6]
            dx, dy = b[0] - a[0], b[1] - a[1]
            on.sort(key=lambda p, a=a, dx=dx, dy=dy: (p[0] - a[0]) * dx + (p[1] - a[1]) * dy)
            full.extend(on)
            full.append(b)
        if _signed_area(full) < 0:
            full.reverse()
        out[code] = full
    return out


def _district_ring() -> list[Point]:
    """The district outline (closed CCW ring), the union of the communities."""
    return [
        (0.0, 1950.0),
        (0.0, 1600.0),
        (0.0, _river_y(0)),
        (-40.0, 900.0),
        (10.0, 700.0),
        (-60.0, 480.0),
        (-20.0, 250.0),
        (-70.0, 60.0),
        (30.0, -50.0),
        (300.0, -30.0),
        (600.0, 0.0),
        (1250.0, 0.0),
        (2500.0, 0.0),
        (2500.0, 400.0),
        (2500.0, _river_y(2500)),
        (2500.0, 1600.0),
        (2500.0, 1950.0),
        (1250.0, 1950.0),
        (0.0, 1950.0),
    ]


def _keep_building(
    box: _Box,
    placed: list[tuple[float, float, float, float]],
    segs: list[tuple[Point, Point]],
    points: list[Point],
    water: list[Point],
    plazas: list[list[Point]],
) -> bool:
    """A footprint clear of streets (5 m), water, plazas, facility points (6 m) and other
    buildings."""
    x0, y0, x1, y1 = box.bbox()
    for a0, b0, a1, b1 in placed:
        if x0 < a1 + 2 and a0 < x1 + 2 and y0 < b1 + 2 and b0 < y1 + 2:
            return False
    ring = box.ring()
    for p in points:
        if x0 - 6 < p[0] < x1 + 6 and y0 - 6 < p[1] < y1 + 6:
            if (
                _in_ring(p, ring)
                or min(_seg_dist(p, a, b) for a, b in itertools.pairwise(ring)) < 6
            ):
                return False
    for a, b in segs:
        if max(a[0], b[0]) < x0 - 5 or min(a[0], b[0]) > x1 + 5:
            continue
        if max(a[1], b[1]) < y0 - 5 or min(a[1], b[1]) > y1 + 5:
            continue
        if _in_ring(a, ring) or _in_ring(b, ring):
            return False
        if min(_seg_dist(c, a, b) for c in ring[:-1]) < 5:
            return False
        for c, d in itertools.pairwise(ring):
            if min(_seg_dist(a, c, d), _seg_dist(b, c, d)) < 5:
                return False
    for plaza in plazas:
        if any(_in_ring(c, plaza) for c in ring[:-1]) or any(_in_ring(c, ring) for c in plaza[:-1]):
            return False
    return not any(_in_ring(c, water) for c in ring[:-1])


def _build() -> _Sample:
    rng = _Rng(SEED)
    s = _Sample()
    _streets(s)
    boxes = _compounds(s, rng)
    _node_ways(s.ways)
    boxes += _old_blocks(rng)
    boxes += _village(rng)
    s.facilities = [
        (c, n, k, a, (float(p[0]), float(p[1])))
        for c, n, k, a, p in (*_FACILITIES, *_compound_facilities(), *_NEW_FACILITIES)
    ]
    segs = [
        (a, b)
        for w in s.ways
        if w.is_highway or "waterway" in w.tags
        for a, b in zip(w.pts[:-1], w.pts[1:], strict=True)
    ]
    water = next(w.pts for w in s.ways if w.tags.get("natural") == "water")
    points = [f[4] for f in s.facilities]
    plazas = [_rect(*rect) for _, _, rect in _OPEN_SPACES]
    placed: list[tuple[float, float, float, float]] = []
    for box, levels, comm in boxes:
        if _keep_building(box, placed, segs, points, water, plazas):
            placed.append(box.bbox())
            s.buildings.append((box, levels, comm))
    rings = _community_rings()
    s.communities = [(row, rings[row[0]]) for row in _COMMUNITIES]
    return s


# --------------------------------------------------------------------------- writers


def _osm_xml(s: _Sample) -> str:
    ids: dict[tuple[int, int], int] = {}
    coords: list[Point] = []
    tags_of: dict[int, dict[str, str]] = {}

    def node(p: Point) -> int:
        key = (round(p[0] * 1000), round(p[1] * 1000))
        if key not in ids:
            ids[key] = len(coords) + 1
            coords.append(p)
        return ids[key]

    way_nodes: list[list[int]] = []
    for w in s.ways:
        refs = [node(p) for p in w.pts]
        way_nodes.append([r for i, r in enumerate(refs) if i == 0 or r != refs[i - 1]])
    for p, tags in s.node_tags.items():
        tags_of[node(p)] = tags
    lls = [_ll(p) for p in coords]
    lons, lats = [ll[0] for ll in lls], [ll[1] for ll in lls]
    lines = [
        "<?xml version='1.0' encoding='UTF-8'?>",
        '<osm version="0.6" generator="coverage15.sample"'
        ' copyright="synthetic sample data of the coverage15 project, MIT licence;'
        ' no OpenStreetMap data">',
        f' <bounds minlat="{min(lats):.7f}" minlon="{min(lons):.7f}"'
        f' maxlat="{max(lats):.7f}" maxlon="{max(lons):.7f}"/>',
    ]
    for i, (lon, lat) in enumerate(lls, start=1):
        head = f' <node id="{i}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"'
        if i in tags_of:
            lines.append(head + ">")
            lines += [f"  <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags_of[i].items()]
            lines.append(" </node>")
        else:
            lines.append(head + "/>")
    for i, (w, refs) in enumerate(zip(s.ways, way_nodes, strict=True), start=1):
        lines.append(f' <way id="{i}" version="1">')
        lines += [f'  <nd ref="{r}"/>' for r in refs]
        lines += [f"  <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in w.tags.items()]
        lines.append(" </way>")
    lines.append("</osm>")
    return "\n".join(lines) + "\n"


def _geojson(name: str, features: list[tuple[dict[str, Any], dict[str, Any]]]) -> str:
    head = {
        "type": "FeatureCollection",
        "name": name,
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
    }
    text = json.dumps(head, ensure_ascii=False)[:-1] + ', "features": [\n'
    rows = [
        json.dumps({"type": "Feature", "properties": props, "geometry": geom}, ensure_ascii=False)
        for props, geom in features
    ]
    return text + ",\n".join(rows) + "\n]}\n"


def _polygon(ring: Sequence[Point]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[list(_ll(p)) for p in ring]]}


def _texts(s: _Sample) -> dict[str, str]:
    communities = [
        (
            {
                "社区代码": code,
                "社区名称": name,
                "街道": _STREETS[code[6:9]],
                "户数": hh,
                "人口": round(hh * ratio),
                "类型": kind,
                "易地扶贫搬迁": code in _RELOCATION,
            },
            _polygon(ring),
        )
        for (code, name, hh, ratio, kind), ring in s.communities
    ]
    buildings = [
        (
            {"建筑编号": f"B{i:04d}", "用途": "住宅", "楼层": levels},
            _polygon(box.ring()),
        )
        for i, (box, levels, _) in enumerate(s.buildings, start=1)
    ]
    facilities = [
        (
            {
                "设施编号": code,
                "设施名称": name,
                "类别": cat,
                "建筑面积": area,
                "开放时间": _HOURS.get(code, _HOURS_BY_KIND[cat]),
            },
            {"type": "Point", "coordinates": list(_ll(p))},
        )
        for code, name, cat, area, p in s.facilities
    ]
    open_spaces = [
        ({"name": name, "community_id": comm}, _polygon(_rect(*rect)))
        for name, comm, rect in _OPEN_SPACES
    ]
    return {
        "walk_network.osm": _osm_xml(s),
        "communities.geojson": _geojson("communities", communities),
        "buildings.geojson": _geojson("buildings", buildings),
        "facilities.geojson": _geojson("facilities", facilities),
        "open_spaces.geojson": _geojson("open_spaces", open_spaces),
    }


# --------------------------------------------------------------------------- public API


def generate_sample(out_dir: str | Path) -> dict[str, Path]:
    """Write the sample district's data files into a folder.

    The output is byte-for-byte the same on every machine and every run.

    Parameters
    ----------
    out_dir
        Folder to write into; created if missing. Existing files of the same
        names are replaced; the folder's ``README.md`` is left alone.

    Returns
    -------
    dict of str to pathlib.Path
        File name → path, for each of :data:`SAMPLE_FILES`.

    Examples
    --------
    >>> import tempfile
    >>> paths = generate_sample(tempfile.mkdtemp())
    >>> sorted(paths)
    ['buildings.geojson', 'communities.geojson', 'facilities.geojson', 'open_spaces.geojson',
     'walk_network.osm']
    >>> paths["communities.geojson"].read_text("utf-8").count('"Feature"')
    10
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for name, text in _texts(_build()).items():
        path = out / name
        with path.open("w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        paths[name] = path
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python scripts/make_sample.py [OUT_DIR]`` regenerates the sample.

    Parameters
    ----------
    argv
        Arguments (without the program name); ``sys.argv[1:]`` when None.

    Returns
    -------
    int
        Exit status, 0 on success.
    """
    parser = argparse.ArgumentParser(
        prog="python scripts/make_sample.py",
        description="Regenerate the coverage15 sample district (synthetic, placed in Leshan).",
    )
    parser.add_argument(
        "out_dir",
        nargs="?",
        help="folder to write into (default: data/sample and src/coverage15/data/sample)",
    )
    args = parser.parse_args(argv)
    folders = [Path(args.out_dir)] if args.out_dir else list(DEFAULT_DIRS)
    for folder in folders:
        for path in generate_sample(folder).values():
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
