"""Shared test builders: a street grid and a small district analysed for real.

``synthetic_analysis()`` runs :func:`coverage15.analyze` on a 1 km × 1 km street grid (a real
:class:`~coverage15.access.WalkNetwork`) with four communities, 40 homes and two facilities of
every category of the Leshan profile, so every table and column an output module reads is the
one the engine produces. The analysis is computed once per session; every call returns a deep
copy, so a test may change what it gets.

``scripts/`` is put on the import path so tests can import the sample generator
(``make_sample``), which is not part of the installed package.
"""

from __future__ import annotations

import copy
import functools
import sys
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "scripts") not in sys.path:
    sys.path.insert(0, str(ROOT / "scripts"))

CRS = "EPSG:32648"  # UTM 48N, Leshan
X0, Y0 = 380_000.0, 3_270_000.0  # Leshan

#: the synthetic district's communities: id, name, households, kind
COMMUNITIES: tuple[tuple[str, str, int, str], ...] = (
    ("C1", "嘉州社区", 1200, "urban"),
    ("C2", "白塔社区", 800, "urban"),
    ("C3", "海棠社区", 1500, "urban"),
    ("C4", "苏稽村", 300, "rural"),
)


#: the facilities of the four categories the Leshan profile requires (walking thresholds:
#: health station and fitness 300 m, station 500 m, centre 1000 m): id, name, category, floor
#: area, (x, y) in metres from the grid's corner. C1 has everything; C2 no station and no
#: health station; C3 no centre of its own; C4 (the village) a small station and a fitness
#: ground only, its east side beyond 1000 m of any health station.
FACILITIES: tuple[tuple[str, str, str, float | None, tuple[float, float]], ...] = (
    ("F1", "嘉州社区服务站", "community_service_station", 400.0, (210.0, 110.0)),
    ("F2", "嘉州街道社区服务中心", "community_service_centre", 900.0, (390.0, 410.0)),
    ("F3", "嘉州社区卫生服务站", "health_station", 150.0, (210.0, 190.0)),
    ("F4", "嘉州健身广场", "outdoor_fitness", None, (190.0, 210.0)),
    ("F5", "白塔健身点", "outdoor_fitness", None, (810.0, 190.0)),
    ("F6", "海棠社区服务站", "community_service_station", 600.0, (210.0, 610.0)),
    ("F7", "海棠社区卫生服务站", "health_station", 120.0, (110.0, 890.0)),
    ("F8", "海棠健身点", "outdoor_fitness", None, (190.0, 790.0)),
    ("F9", "苏稽村村委会", "community_service_station", 120.0, (810.0, 790.0)),
    ("F10", "苏稽村健身点", "outdoor_fitness", None, (910.0, 590.0)),
)


def grid_graph(n: int = 6, step: float = 200.0) -> nx.MultiDiGraph:
    """n × n street grid, two-way, in UTM 48N, its south-west corner at (X0, Y0).

    Parameters
    ----------
    n
        Nodes per side.
    step
        Street spacing in metres (the ``length`` of every edge).

    Returns
    -------
    networkx.MultiDiGraph
        Nodes ``(i, j)`` at ``(X0 + i * step, Y0 + j * step)``; one edge each way per block side.
    """
    g = nx.MultiDiGraph(crs=CRS)
    for i in range(n):
        for j in range(n):
            g.add_node((i, j), x=X0 + i * step, y=Y0 + j * step)
    for i in range(n):
        for j in range(n):
            for di, dj in ((1, 0), (0, 1)):
                if i + di < n and j + dj < n:
                    a, b = (i, j), (i + di, j + dj)
                    g.add_edge(a, b, length=step)
                    g.add_edge(b, a, length=step)
    return g


def synthetic_layers() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Communities, facilities and homes of the synthetic district (normalised columns).

    Four 500 m squares in a 2 × 2 block (C1 south-west, C2 south-east, C3 north-west, C4
    north-east, the rural one), ten homes in each at fixed random points, and the
    facilities of :data:`FACILITIES`.

    Returns
    -------
    tuple of geopandas.GeoDataFrame
        Communities, facilities, homes; UTM 48N.
    """
    polys = [
        shapely.box(X0 + i * 500, Y0 + j * 500, X0 + (i + 1) * 500, Y0 + (j + 1) * 500)
        for j in range(2)
        for i in range(2)
    ]
    comm = gpd.GeoDataFrame(
        {
            "community_id": [c[0] for c in COMMUNITIES],
            "name": [c[1] for c in COMMUNITIES],
            "households": [c[2] for c in COMMUNITIES],
            "population": [c[2] * 3 for c in COMMUNITIES],
            "kind": [c[3] for c in COMMUNITIES],
        },
        geometry=polys,
        crs=CRS,
    )
    rng = np.random.default_rng(7)
    homes = []
    for (cid, _, hh, _), poly in zip(COMMUNITIES, polys, strict=True):
        x0, y0, x1, y1 = poly.bounds
        for m in range(10):
            homes.append(
                {
                    "home_id": f"{cid}-{m}",
                    "community_id": cid,
                    "households": hh // 10,
                    "geometry": shapely.Point(
                        rng.uniform(x0 + 20, x1 - 20), rng.uniform(y0 + 20, y1 - 20)
                    ),
                }
            )
    fac = [
        {
            "facility_id": fid,
            "name": name,
            "category": cat,
            "floor_area_m2": area,
            "geometry": shapely.Point(X0 + x, Y0 + y),
        }
        for fid, name, cat, area, (x, y) in FACILITIES
    ]
    return comm, gpd.GeoDataFrame(fac, crs=CRS), gpd.GeoDataFrame(homes, crs=CRS)


@functools.cache
def _analysed():
    from coverage15.access import WalkNetwork
    from coverage15.analysis import analyze

    comm, fac, homes = synthetic_layers()
    return analyze(
        comm,
        fac,
        network=WalkNetwork.from_graph(grid_graph()),
        homes=homes,
        profile="leshan_2018",
    )


def synthetic_analysis():
    """A real :class:`~coverage15.analysis.Analysis` of the synthetic district (a fresh copy).

    Returns
    -------
    coverage15.analysis.Analysis
        ``analyze(...)`` on :func:`synthetic_layers` over :func:`grid_graph`, profile
        ``leshan_2018``.
    """
    return copy.deepcopy(_analysed())


# --------------------------------------------------------------------------- OSM XML

LON_0, LAT_0 = 116.35, 40.0
M_LON = 111_320.0 * np.cos(np.radians(LAT_0))  # metres per degree of longitude here
M_LAT = 110_950.0


def ll(x: float, y: float) -> tuple[float, float]:
    """Lon/lat of a point ``x``, ``y`` metres east and north of (LON_0, LAT_0)."""
    return LON_0 + x / M_LON, LAT_0 + y / M_LAT


def write_osm(path, nodes: dict, ways: list, relations: list = (), bounds=None) -> None:
    """A small OSM XML file: nodes id → (x m, y m[, tags]); ways (id, refs, tags);
    relations (id, [(type, ref, role)], tags); bounds (x0, y0, x1, y1) in metres."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    if bounds is not None:
        (w, s), (e, n) = ll(*bounds[:2]), ll(*bounds[2:])
        out.append(f'<bounds minlat="{s:.7f}" minlon="{w:.7f}" maxlat="{n:.7f}" maxlon="{e:.7f}"/>')

    def tags(t: dict) -> str:
        return "".join(f'<tag k="{k}" v="{v}"/>' for k, v in t.items())

    for i, (x, y, *t) in nodes.items():
        lon, lat = ll(x, y)
        out.append(
            f'<node id="{i}" version="1" lat="{lat:.7f}" lon="{lon:.7f}">'
            f"{tags(t[0]) if t else ''}</node>"
        )
    for i, refs, t in ways:
        nds = "".join(f'<nd ref="{r}"/>' for r in refs)
        out.append(f'<way id="{i}" version="1">{nds}{tags(t)}</way>')
    for i, members, t in relations:
        ms = "".join(f'<member type="{ty}" ref="{r}" role="{ro}"/>' for ty, r, ro in members)
        out.append(f'<relation id="{i}" version="1">{ms}{tags(t)}</relation>')
    out.append("</osm>")
    path.write_text("\n".join(out), encoding="utf-8")
