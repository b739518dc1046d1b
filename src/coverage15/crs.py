"""Coordinate systems: GCJ-02 / BD-09 offsets, CGCS2000 Gauss–Krüger zones, metric CRS choice.

Most Chinese POI data (Amap/高德, Tencent/腾讯, Baidu/百度) is not in WGS84 but in
one of two deliberately offset systems:

- **GCJ-02** (国测局坐标, "Mars coordinates"): WGS84 plus a smooth, published
  pseudo-random offset of typically 300–700 m; used by Amap, Tencent and Google
  China.
- **BD-09** (百度坐标): Baidu's further distortion on top of GCJ-02.

Both are labelled EPSG:4326 by most tools, so a facility layer downloaded from
Amap sits several hundred metres off a WGS84 walking network — the same order as
the 300 m five-minute tier. Convert with :func:`to_wgs84` before any analysis,
and back with :func:`from_wgs84` to hand results to people working on Amap or
Baidu base maps. :func:`detect_offset` warns when offset data was declared as
WGS84.

The forward formulas are the published ones (Krasovsky ellipsoid a = 6378245 m,
e² = 0.00669342162296594323), applied only inside the rough box
lon 72.004–137.8347, lat 0.8293–55.8271 as eviltransform does (the box also
covers Korea and western Japan, which do not use GCJ-02). The inverses
(GCJ-02 → WGS84, BD-09 → GCJ-02) have no closed form; they are solved here by
fixed-point iteration on the forward formulas, to ``tol_m`` (1 cm by default), so
a round trip is exact to well under a millimetre. The inverse is exact with
respect to the formula; the formula itself matches real Amap/Baidu tiles only to
a few metres.

For metric work, :func:`metric_crs` picks a local UTM zone or the CGCS2000
3° Gauss–Krüger zone (China's official grid, EPSG:4513–4554) and
:func:`cgcs2000_gk_crs` returns the Gauss–Krüger zone for a longitude.
CGCS2000 geographic (EPSG:4490) has **latitude-first** axis order in EPSG; every
transformation here uses ``always_xy=True`` (x = longitude / easting).

Examples
--------
>>> lon, lat = wgs84_to_gcj02(103.7656, 29.5521)   # Leshan
>>> back = gcj02_to_wgs84(lon, lat)
>>> [round(v, 7) for v in back]
[103.7656, 29.5521]
>>> cgcs2000_gk_crs(103.7656).to_epsg()
4544
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any, Literal, TypeAlias

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import ArrayLike
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from coverage15._errors import InputError

__all__ = [
    "OFFSET_SYSTEMS",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "cgcs2000_gk_crs",
    "detect_offset",
    "from_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "metric_crs",
    "normalise_crs",
    "to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

# --------------------------------------------------------------------------- constants

#: Krasovsky 1940 semi-major axis used by the GCJ-02 formula (m).
GCJ_A = 6378245.0
#: Krasovsky 1940 first eccentricity squared used by the GCJ-02 formula.
GCJ_EE = 0.00669342162296594323
#: Box outside which GCJ-02 / BD-09 apply no offset: (lon_min, lat_min, lon_max, lat_max).
CHINA_BOX = (72.004, 0.8293, 137.8347, 55.8271)
_X_PI = math.pi * 3000.0 / 180.0
# metres per degree of arc on a sphere of radius 6378137 m (only used for tolerances)
_M_PER_DEG = 6378137.0 * math.pi / 180.0

#: Offset systems recognised by :func:`to_wgs84` / :func:`from_wgs84` and their aliases
#: (compared case-insensitively, ignoring spaces, ``-`` and ``_``).
OFFSET_SYSTEMS: dict[str, tuple[str, ...]] = {
    "gcj02": (
        "gcj02",
        "gcj",
        "amap",
        "gaode",
        "autonavi",
        "tencent",
        "qq",
        "soso",
        "mars",
        "火星",
        "火星坐标",
        "国测局",
        "国测局坐标",
        "高德",
        "腾讯",
    ),
    "bd09": ("bd09", "bd09ll", "baidu", "bd", "百度", "百度坐标", "百度经纬度"),
}
_ALIASES = {alias: key for key, names in OFFSET_SYSTEMS.items() for alias in names}
# names pyproj does not know that planners type
_EXTRA_CRS = {"cgcs2000": "EPSG:4490", "wgs84": "EPSG:4326"}

FloatOrArray = float | np.ndarray


# --------------------------------------------------------------------------- array helpers


def _as_float_arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    try:
        x, y = np.broadcast_arrays(x, y)
    except ValueError:
        raise InputError(
            f"longitude and latitude have different shapes {x.shape} and {y.shape}"
        ) from None
    return x, y


def _out(x: np.ndarray, y: np.ndarray) -> tuple[FloatOrArray, FloatOrArray]:
    """Return Python floats for scalar input, arrays otherwise."""
    if x.ndim == 0:
        return float(x), float(y)
    return x, y


def _in_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    lon_min, lat_min, lon_max, lat_max = CHINA_BOX
    return (lon >= lon_min) & (lon <= lon_max) & (lat >= lat_min) & (lat <= lat_max)


def _gcj_delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 offset (degrees of lon, lat) at WGS84 ``lon``, ``lat`` (no box test)."""
    x = lon - 105.0
    y = lat - 35.0
    xpi = x * math.pi
    ypi = y * math.pi
    common = (20.0 * np.sin(6.0 * xpi) + 20.0 * np.sin(2.0 * xpi)) * 2.0 / 3.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x
    dlat = dlat + common
    dlat = dlat + (20.0 * np.sin(ypi) + 40.0 * np.sin(ypi / 3.0)) * 2.0 / 3.0
    dlat = dlat + (160.0 * np.sin(ypi / 12.0) + 320.0 * np.sin(ypi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x
    dlon = dlon + common
    dlon = dlon + (20.0 * np.sin(xpi) + 40.0 * np.sin(xpi / 3.0)) * 2.0 / 3.0
    dlon = dlon + (150.0 * np.sin(xpi / 12.0) + 300.0 * np.sin(xpi / 30.0)) * 2.0 / 3.0
    radlat = lat / 180.0 * math.pi
    magic = 1.0 - GCJ_EE * np.sin(radlat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = dlat * 180.0 / ((GCJ_A * (1.0 - GCJ_EE)) / (magic * sqrt_magic) * math.pi)
    dlon = dlon * 180.0 / (GCJ_A / sqrt_magic * np.cos(radlat) * math.pi)
    return dlon, dlat


def _wgs_to_gcj(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    inside = _in_china(lon, lat)
    dlon, dlat = _gcj_delta(lon, lat)
    return np.where(inside, lon + dlon, lon), np.where(inside, lat + dlat, lat)


def _gcj_to_bd(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    inside = _in_china(lon, lat)
    z = np.hypot(lon, lat) + 2e-5 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 3e-6 * np.cos(lon * _X_PI)
    bd_lon = z * np.cos(theta) + 0.0065
    bd_lat = z * np.sin(theta) + 0.006
    return np.where(inside, bd_lon, lon), np.where(inside, bd_lat, lat)


def _bd_to_gcj_approx(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The usual one-step BD-09 → GCJ-02 formula (a start value for the iteration)."""
    inside = _in_china(lon, lat)
    x = lon - 0.0065
    y = lat - 0.006
    z = np.hypot(x, y) - 2e-5 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 3e-6 * np.cos(x * _X_PI)
    return np.where(inside, z * np.cos(theta), lon), np.where(inside, z * np.sin(theta), lat)


def _invert(
    forward: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
    lon: np.ndarray,
    lat: np.ndarray,
    start: tuple[np.ndarray, np.ndarray],
    *,
    tol_m: float,
    max_iter: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Solve ``forward(x, y) == (lon, lat)`` by fixed-point iteration.

    Both offsets are smooth and vary by far less than a metre per metre, so
    ``p <- p - (forward(p) - target)`` contracts by a factor of about 1/100 per step.
    """
    if tol_m <= 0:
        raise InputError(f"tol_m must be positive, got {tol_m!r}")
    if max_iter < 1:
        raise InputError(f"max_iter must be at least 1, got {max_iter!r}")
    x, y = (np.array(a, dtype=float, copy=True) for a in start)
    cos_lat = np.cos(np.radians(np.clip(lat, -89.9, 89.9)))
    for _ in range(max_iter):
        fx, fy = forward(x, y)
        ex = fx - lon
        ey = fy - lat
        x = x - ex
        y = y - ey
        err_m = np.hypot(ex * cos_lat, ey) * _M_PER_DEG
        if not np.any(err_m > tol_m):  # NaN input never blocks convergence
            break
    return x, y


# --------------------------------------------------------------------------- point functions


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatOrArray, FloatOrArray]:
    """Convert WGS84 longitude/latitude to GCJ-02 (Amap, Tencent).

    Parameters
    ----------
    lon, lat
        WGS84 degrees; scalars or arrays of any (broadcastable) shape.

    Returns
    -------
    tuple
        ``(lon, lat)`` in GCJ-02: floats for scalar input, else float arrays.
        Points outside the rough China box (lon 72.004–137.8347,
        lat 0.8293–55.8271) are returned unchanged.

    See Also
    --------
    gcj02_to_wgs84 : The inverse.

    Examples
    --------
    >>> wgs84_to_gcj02(116.404, 39.915)
    (116.410244499..., 39.916404281...)
    >>> lon, lat = wgs84_to_gcj02([2.35, 116.404], [48.85, 39.915])  # Paris: no offset
    >>> lon.round(6).tolist(), lat.round(6).tolist()
    ([2.35, 116.410244], [48.85, 39.916404])
    """
    x, y = _as_float_arrays(lon, lat)
    return _out(*_wgs_to_gcj(x, y))


def gcj02_to_wgs84(
    lon: ArrayLike, lat: ArrayLike, *, tol_m: float = 0.01, max_iter: int = 30
) -> tuple[FloatOrArray, FloatOrArray]:
    """Convert GCJ-02 longitude/latitude (Amap, Tencent) to WGS84.

    The exact inverse of :func:`wgs84_to_gcj02`, found by iterating on the
    forward formula from the usual one-step approximation (which alone is
    1–2 m off) until the forward image of the result is within ``tol_m`` of
    the input.

    Parameters
    ----------
    lon, lat
        GCJ-02 degrees; scalars or arrays.
    tol_m
        Stop when every point's forward image is within this many metres of
        its input.
    max_iter
        Upper bound on iterations (two or three are normally enough).

    Returns
    -------
    tuple
        ``(lon, lat)`` in WGS84: floats for scalar input, else float arrays.
        Input outside the China box is returned unchanged (so are the rare
        points within ~700 m outside its edges whose WGS84 position would be
        inside; no place in China is near those edges).

    Examples
    --------
    >>> lon, lat = gcj02_to_wgs84(116.410244499, 39.916404282)
    >>> round(lon, 6), round(lat, 6)
    (116.404, 39.915)
    """
    x, y = _as_float_arrays(lon, lat)
    inside = _in_china(x, y)
    dx, dy = _gcj_delta(x, y)
    start = (np.where(inside, x - dx, x), np.where(inside, y - dy, y))
    return _out(*_invert(_wgs_to_gcj, x, y, start, tol_m=tol_m, max_iter=max_iter))


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatOrArray, FloatOrArray]:
    """Convert GCJ-02 longitude/latitude to Baidu BD-09.

    Parameters
    ----------
    lon, lat
        GCJ-02 degrees; scalars or arrays.

    Returns
    -------
    tuple
        ``(lon, lat)`` in BD-09; points outside the China box are unchanged.

    Examples
    --------
    >>> gcj02_to_bd09(116.404, 39.915)
    (116.410369493..., 39.921336993...)
    """
    x, y = _as_float_arrays(lon, lat)
    return _out(*_gcj_to_bd(x, y))


def bd09_to_gcj02(
    lon: ArrayLike, lat: ArrayLike, *, tol_m: float = 0.01, max_iter: int = 30
) -> tuple[FloatOrArray, FloatOrArray]:
    """Convert Baidu BD-09 longitude/latitude to GCJ-02.

    The exact inverse of :func:`gcj02_to_bd09` (the usual closed-form inverse
    is refined by iteration on the forward formula).

    Parameters
    ----------
    lon, lat
        BD-09 degrees; scalars or arrays.
    tol_m, max_iter
        Convergence tolerance in metres and iteration bound.

    Returns
    -------
    tuple
        ``(lon, lat)`` in GCJ-02.

    Examples
    --------
    >>> lon, lat = bd09_to_gcj02(*gcj02_to_bd09(116.404, 39.915))
    >>> round(lon, 7), round(lat, 7)
    (116.404, 39.915)
    """
    x, y = _as_float_arrays(lon, lat)
    start = _bd_to_gcj_approx(x, y)
    return _out(*_invert(_gcj_to_bd, x, y, start, tol_m=tol_m, max_iter=max_iter))


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatOrArray, FloatOrArray]:
    """Convert WGS84 longitude/latitude to Baidu BD-09 (via GCJ-02).

    Parameters
    ----------
    lon, lat
        WGS84 degrees; scalars or arrays.

    Returns
    -------
    tuple
        ``(lon, lat)`` in BD-09.

    Examples
    --------
    >>> wgs84_to_bd09(116.404, 39.915)
    (116.416627243..., 39.922699552...)
    """
    x, y = _as_float_arrays(lon, lat)
    return _out(*_gcj_to_bd(*_wgs_to_gcj(x, y)))


def bd09_to_wgs84(
    lon: ArrayLike, lat: ArrayLike, *, tol_m: float = 0.01, max_iter: int = 30
) -> tuple[FloatOrArray, FloatOrArray]:
    """Convert Baidu BD-09 longitude/latitude to WGS84 (via GCJ-02, both steps exact).

    Parameters
    ----------
    lon, lat
        BD-09 degrees; scalars or arrays.
    tol_m, max_iter
        Convergence tolerance in metres and iteration bound for each step.

    Returns
    -------
    tuple
        ``(lon, lat)`` in WGS84.

    Examples
    --------
    >>> lon, lat = bd09_to_wgs84(*wgs84_to_bd09(103.7656, 29.5521))
    >>> round(lon, 7), round(lat, 7)
    (103.7656, 29.5521)
    """
    gx, gy = bd09_to_gcj02(lon, lat, tol_m=tol_m, max_iter=max_iter)
    return gcj02_to_wgs84(gx, gy, tol_m=tol_m, max_iter=max_iter)


# --------------------------------------------------------------------------- GeoDataFrames

Geo: TypeAlias = gpd.GeoDataFrame | gpd.GeoSeries


def normalise_crs(crs: Any) -> str | CRS:
    """Resolve a user's CRS: an offset system name or a :class:`pyproj.CRS`.

    Parameters
    ----------
    crs
        ``"gcj02"`` / ``"bd09"`` or an alias (``"GCJ-02"``, ``"amap"``,
        ``"tencent"``, ``"高德"``, ``"BD-09"``, ``"baidu"``, ``"百度"`` …,
        case-insensitive), ``"CGCS2000"``, or anything :class:`pyproj.CRS`
        accepts (``"EPSG:4326"``, ``4547``, a WKT string, a CRS object).

    Returns
    -------
    str or pyproj.CRS
        ``"gcj02"``, ``"bd09"`` or a CRS.

    Raises
    ------
    InputError
        When the value is neither (Baidu Mercator metres, BD09MC, is named
        explicitly as unsupported).

    Examples
    --------
    >>> normalise_crs("GCJ-02"), normalise_crs("Baidu")
    ('gcj02', 'bd09')
    >>> normalise_crs("epsg:4547").to_epsg()
    4547
    """
    if isinstance(crs, str):
        key = re.sub(r"[\s_\-]", "", crs).lower()
        if key in _ALIASES:
            return _ALIASES[key]
        if key in ("bd09mc", "bdmc", "baidumercator"):
            raise InputError(
                f"crs={crs!r}: Baidu Mercator metres (BD09MC) are not supported; "
                "export BD-09 longitude/latitude (bd09ll) from Baidu instead"
            )
        crs = _EXTRA_CRS.get(key, crs)
    if crs is None:
        raise InputError("no coordinate reference system given (crs=None)")
    try:
        return CRS.from_user_input(crs)
    except CRSError as exc:
        known = ", ".join(sorted(OFFSET_SYSTEMS))
        raise InputError(
            f"crs={crs!r} is neither an offset system ({known}) nor a CRS pyproj knows: {exc}"
        ) from None


def _geoseries(data: Geo, name: str) -> gpd.GeoSeries:
    if isinstance(data, gpd.GeoDataFrame):
        return data.geometry
    if isinstance(data, gpd.GeoSeries):
        return data
    raise InputError(f"{name} must be a GeoDataFrame or GeoSeries, got {type(data).__name__}")


def _replace_geometry(data: Geo, geoms: np.ndarray, crs: Any) -> Geo:
    if isinstance(data, gpd.GeoDataFrame):
        out = data.copy()
        col = out.geometry.name
        out[col] = gpd.GeoSeries(geoms, index=out.index, crs=crs)
        return out.set_crs(crs, allow_override=True)
    return gpd.GeoSeries(geoms, index=data.index, crs=crs, name=data.name)


def _apply_lonlat(
    geoms: np.ndarray, func: Callable[[np.ndarray, np.ndarray], tuple[Any, Any]]
) -> np.ndarray:
    def _coords(xyz: np.ndarray) -> np.ndarray:
        out = np.array(xyz, dtype=float, copy=True)
        if len(out):
            lon, lat = func(out[:, 0], out[:, 1])
            out[:, 0] = lon
            out[:, 1] = lat
        return out

    # include_z=None keeps Z where a geometry has one (elevations pass through untouched)
    return shapely.transform(geoms, _coords, include_z=None)


def _check_lonlat(series: gpd.GeoSeries, system: str) -> None:
    if series.is_empty.all() or series.isna().all():
        return
    minx, miny, maxx, maxy = series.total_bounds
    if not (-180 <= minx and maxx <= 180 and -90 <= miny and maxy <= 90):
        raise InputError(
            f"coordinates span x {minx:.6g}..{maxx:.6g}, y {miny:.6g}..{maxy:.6g}, which is not "
            f"longitude/latitude; {system} data must be in degrees (did you swap x and y, or "
            "give projected metres?)"
        )


def to_wgs84(data: Geo, crs: Any = None) -> Geo:
    """Return data in WGS84 (EPSG:4326), undoing a GCJ-02 or BD-09 offset if needed.

    Parameters
    ----------
    data
        A GeoDataFrame or GeoSeries of any geometry types (points, lines,
        polygons, multi-parts, collections; Z values are kept).
    crs
        The system the coordinates are *really* in. It overrides ``data.crs``
        because offset data usually arrives labelled EPSG:4326. ``"gcj02"``
        (aliases ``"GCJ-02"``, ``"amap"``, ``"tencent"``, ``"高德"`` …) or
        ``"bd09"`` (``"BD-09"``, ``"baidu"``, ``"百度"`` …), case-insensitive;
        or anything pyproj accepts. ``None`` uses ``data.crs``.

    Returns
    -------
    GeoDataFrame or GeoSeries
        A copy, same index and columns, CRS EPSG:4326.

    Raises
    ------
    InputError
        Unknown ``crs``; no CRS at all; offset data whose coordinates are not
        longitude/latitude.

    See Also
    --------
    from_wgs84 : The inverse, to write results back for Amap/Baidu users.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> amap = gpd.GeoDataFrame({"name": ["卫生站"]},
    ...                         geometry=[Point(116.410244499, 39.916404282)], crs=4326)
    >>> wgs = to_wgs84(amap, "GCJ-02")
    >>> round(float(wgs.geometry.x[0]), 6), round(float(wgs.geometry.y[0]), 6)
    (116.404, 39.915)
    >>> wgs.crs.to_epsg()
    4326
    """
    series = _geoseries(data, "data")
    system = normalise_crs(crs if crs is not None else series.crs)
    if isinstance(system, CRS):
        if isinstance(data, gpd.GeoDataFrame):
            return data.set_crs(system, allow_override=True).to_crs(4326)
        return series.set_crs(system, allow_override=True).to_crs(4326)
    _check_lonlat(series, system)
    inverse = gcj02_to_wgs84 if system == "gcj02" else bd09_to_wgs84
    return _replace_geometry(data, _apply_lonlat(series.values, inverse), 4326)


def from_wgs84(data: Geo, crs: Any) -> Geo:
    """Return data converted into ``crs``, which may be GCJ-02 or BD-09.

    Parameters
    ----------
    data
        A GeoDataFrame or GeoSeries with a CRS (any; it is first brought to
        EPSG:4326).
    crs
        Target: ``"gcj02"`` / ``"bd09"`` (and aliases, see :func:`to_wgs84`) or
        anything pyproj accepts.

    Returns
    -------
    GeoDataFrame or GeoSeries
        A copy. For GCJ-02 / BD-09 the coordinates are offset degrees labelled
        EPSG:4326, because neither system has an EPSG code and this is what
        Amap/Baidu tools expect.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> wgs = gpd.GeoSeries([Point(116.404, 39.915)], crs=4326)
    >>> amap = from_wgs84(wgs, "amap")
    >>> round(float(amap.x[0]), 6), round(float(amap.y[0]), 6)
    (116.410244, 39.916404)
    >>> back = to_wgs84(amap, "amap")
    >>> round(float(back.x[0]), 9), round(float(back.y[0]), 9)
    (116.404, 39.915)
    """
    series = _geoseries(data, "data")
    if series.crs is None:
        raise InputError("the data have no CRS; set one (e.g. .set_crs(4326)) first")
    system = normalise_crs(crs)
    if isinstance(system, CRS):
        return data.to_crs(system)
    wgs = series.to_crs(4326)
    forward = wgs84_to_gcj02 if system == "gcj02" else wgs84_to_bd09
    return _replace_geometry(data, _apply_lonlat(wgs.values, forward), 4326)


# --------------------------------------------------------------------------- CGCS2000 zones

_GK = {
    # zone_width: (zone range, EPSG with zone prefix at first zone, EPSG without at first zone)
    3: (range(25, 46), 4513, 4534),
    6: (range(13, 24), 4491, 4502),
}


def cgcs2000_gk_crs(lon: float, *, zone_width: Literal[3, 6] = 3, zone_prefix: bool = False) -> CRS:
    """CGCS2000 Gauss–Krüger CRS (EPSG:4491–4554) of the zone containing ``lon``.

    3° zones: n = round(lon / 3) (halves go east), central meridian 3n,
    zones 25–45 (CM 75°E–135°E, lon 73.5–136.5). 6° zones: n = floor(lon / 6) + 1,
    CM = 6n − 3, zones 13–23 (lon 72–138).

    Parameters
    ----------
    lon
        Longitude in degrees east (WGS84 / CGCS2000).
    zone_width
        3 (large-scale planning and cadastre, the usual choice) or 6.
    zone_prefix
        True for the codes whose false easting carries the zone number
        (e.g. 35 500 000 m), False for the "CM" codes with false easting 500 000 m.

    Returns
    -------
    pyproj.CRS
        Axes are northing, easting in EPSG; use ``always_xy=True`` (geopandas does).

    Raises
    ------
    InputError
        For longitudes outside China's zones or an unknown ``zone_width``.

    Examples
    --------
    >>> cgcs2000_gk_crs(103.7656).name       # Leshan
    'CGCS2000 / 3-degree Gauss-Kruger CM 105E'
    >>> cgcs2000_gk_crs(103.7656, zone_prefix=True).to_epsg()
    4523
    >>> cgcs2000_gk_crs(103.7656, zone_width=6).to_epsg()
    4507
    """
    if zone_width not in _GK:
        raise InputError(f"zone_width must be 3 or 6, got {zone_width!r}")
    try:
        lon_f = float(lon)
    except (TypeError, ValueError):
        raise InputError(f"longitude must be a number, got {lon!r}") from None
    if not math.isfinite(lon_f):
        raise InputError(f"longitude must be a finite number, got {lon!r}")
    if zone_width == 3:
        zone = math.floor(lon_f / 3.0 + 0.5)
    else:
        zone = math.floor(lon_f / 6.0) + 1
    zones, with_prefix, without_prefix = _GK[zone_width]
    if zone not in zones:
        lo = zones[0] * zone_width - (1.5 if zone_width == 3 else 6)
        hi = zones[-1] * zone_width + (1.5 if zone_width == 3 else 0)
        raise InputError(
            f"longitude {lon_f:g} is outside China's CGCS2000 {zone_width}° Gauss-Krüger zones "
            f"({lo:g}–{hi:g}°E); use metric_crs(kind='utm') instead"
        )
    first = with_prefix if zone_prefix else without_prefix
    return CRS.from_epsg(first + zone - zones[0])


# --------------------------------------------------------------------------- metric CRS

Bounds: TypeAlias = Sequence[float]


def _wgs84_bounds(data: Geo | Bounds) -> tuple[float, float, float, float]:
    if isinstance(data, gpd.GeoDataFrame | gpd.GeoSeries):
        series = _geoseries(data, "data")
        if series.crs is None:
            raise InputError("the data have no CRS; set one first")
        valid = series[~(series.isna() | series.is_empty)]
        if valid.empty:
            raise InputError("the data have no geometries to choose a CRS from")
        x0, y0, x1, y1 = (float(v) for v in valid.total_bounds)
        bounds: tuple[float, ...] = (x0, y0, x1, y1)
        crs = CRS.from_user_input(series.crs)
        if not (crs.is_geographic and crs.equals(CRS.from_epsg(4326), ignore_axis_order=True)):
            tr = Transformer.from_crs(crs, 4326, always_xy=True)
            bounds = tuple(float(v) for v in tr.transform_bounds(x0, y0, x1, y1, densify_pts=21))
    else:
        try:
            bounds = tuple(float(v) for v in data)
        except (TypeError, ValueError):
            raise InputError(
                "expected a GeoDataFrame, GeoSeries or WGS84 bounds (minx, miny, maxx, maxy)"
            ) from None
        if len(bounds) != 4:
            raise InputError(f"bounds must be (minx, miny, maxx, maxy), got {len(bounds)} values")
    minx, miny, maxx, maxy = bounds
    if not all(map(math.isfinite, bounds)) or not (
        -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90
    ):
        raise InputError(f"bounds {bounds} are not WGS84 longitude/latitude")
    return minx, miny, maxx, maxy


def metric_crs(data: Geo | Bounds, *, kind: Literal["utm", "cgcs2000"] = "utm") -> CRS:
    """A metric CRS for the data's area: local UTM or the CGCS2000 3° Gauss–Krüger zone.

    Parameters
    ----------
    data
        A GeoDataFrame / GeoSeries with a CRS, or WGS84 bounds
        ``(minx, miny, maxx, maxy)`` in degrees.
    kind
        ``"utm"``: the WGS84 UTM zone of the data's centre (geopandas'
        ``estimate_utm_crs``). ``"cgcs2000"``: the CGCS2000 3° Gauss–Krüger
        zone without prefix (EPSG:4534–4554) of the centre longitude, the
        grid most Chinese planning offices use.

    Returns
    -------
    pyproj.CRS

    Examples
    --------
    >>> leshan = (103.70, 29.52, 103.82, 29.62)
    >>> metric_crs(leshan).to_epsg()
    32648
    >>> metric_crs(leshan, kind="cgcs2000").to_epsg()
    4544
    """
    minx, miny, maxx, maxy = _wgs84_bounds(data)
    if kind == "utm":
        box = gpd.GeoSeries([shapely.box(minx, miny, maxx, maxy)], crs=4326)
        return box.estimate_utm_crs()
    if kind == "cgcs2000":
        return cgcs2000_gk_crs((minx + maxx) / 2.0, zone_width=3, zone_prefix=False)
    raise InputError(f"kind must be 'utm' or 'cgcs2000', got {kind!r}")


# --------------------------------------------------------------------------- detection


def _points_lonlat(data: Geo, name: str) -> tuple[np.ndarray, np.ndarray]:
    series = _geoseries(data, name)
    series = series[~(series.isna() | series.is_empty)]
    if series.empty:
        raise InputError(f"{name} has no geometries")
    if series.crs is None:
        series = series.set_crs(4326)
    else:
        series = series.to_crs(4326)
    geoms = series.values
    not_point = shapely.get_type_id(geoms) != 0
    if not_point.any():
        geoms = geoms.copy()
        geoms[not_point] = shapely.point_on_surface(geoms[not_point])
    return shapely.get_x(geoms), shapely.get_y(geoms)


def detect_offset(
    points_wgs84: Geo,
    streets_wgs84: Geo,
    *,
    min_drop_frac: float = 0.4,
    min_drop_m: float = 30.0,
    max_points: int | None = 20_000,
) -> dict[str, Any]:
    """Guess whether points declared as WGS84 are really GCJ-02 or BD-09.

    Compares the median distance from the points to the nearest street as
    given with the median after undoing a GCJ-02 or a BD-09 offset. Points
    tied to streets (addresses, entrances, bus stops, homes placed along
    edges) are closest to them in their true position, so the right system is
    the one that brings them markedly closer: the median must drop by more
    than ``min_drop_frac`` *and* by more than ``min_drop_m`` metres.

    To tell "these are WGS84" from "cannot tell", the median at the best of
    the three positions is also compared with the medians after moving the
    points from there by the size of the GCJ-02 offset in eight directions
    (``median_m_shifted``, the median of those eight). The answer is
    ``conclusive`` only when the best position is the one reported (as given
    for ``likely=None``) and its median is below ``median_m_shifted`` by
    ``min_drop_frac``. In a dense network (every footway and service road
    mapped) any point is within 20–40 m of some street wherever it is moved,
    and POIs that sit inside buildings are not especially close to streets:
    on OpenStreetMap POIs in central Beijing the test is inconclusive, so
    ``likely=None`` is not proof of WGS84.

    Parameters
    ----------
    points_wgs84
        Points (other geometries use a point on their surface) declared as WGS84;
        any declared CRS is converted to EPSG:4326 first, no CRS means EPSG:4326.
    streets_wgs84
        The street lines (e.g. the walking network's edges), truly WGS84.
    min_drop_frac, min_drop_m
        Thresholds on the drop of the median distance.
    max_points
        Use a fixed random sample (seed 0) of at most this many points.

    Returns
    -------
    dict
        ``likely`` (``"gcj02"``, ``"bd09"`` or None), ``median_m_as_given``,
        ``median_m_converted`` (after the likely conversion, or the better of
        the two when ``likely`` is None), ``median_m_gcj02``,
        ``median_m_bd09``, ``median_m_shifted``, ``conclusive`` (bool),
        ``n_points`` (points used) and ``crs`` (the metric CRS of the
        measurements, as ``"EPSG:…"``, the local UTM zone).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import LineString, Point
    >>> streets = gpd.GeoSeries([LineString([(103.70, 29.55), (103.80, 29.55)])], crs=4326)
    >>> on_street = gpd.GeoSeries([Point(103.70 + i / 1000, 29.55) for i in range(100)],
    ...                           crs=4326)
    >>> result = detect_offset(on_street, streets)
    >>> result["likely"] is None, result["conclusive"]
    (True, True)
    >>> lon, lat = wgs84_to_gcj02(on_street.x.values, on_street.y.values)
    >>> detect_offset(gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=4326),
    ...               streets)["likely"]
    'gcj02'
    """
    lon, lat = _points_lonlat(points_wgs84, "points_wgs84")
    streets = _geoseries(streets_wgs84, "streets_wgs84")
    streets = streets[~(streets.isna() | streets.is_empty)]
    if streets.empty:
        raise InputError("streets_wgs84 has no geometries")
    streets = streets.set_crs(4326) if streets.crs is None else streets.to_crs(4326)
    if max_points is not None and len(lon) > max_points:
        keep = np.sort(np.random.default_rng(0).choice(len(lon), size=max_points, replace=False))
        lon, lat = lon[keep], lat[keep]
    metric = metric_crs(streets)
    tree = shapely.STRtree(streets.to_crs(metric).values)
    to_metric = Transformer.from_crs(4326, metric, always_xy=True)

    def median_distance(
        xy: tuple[np.ndarray, np.ndarray], dx: float = 0.0, dy: float = 0.0
    ) -> float:
        pts = shapely.points(xy[0] + dx, xy[1] + dy)
        _, dist = tree.query_nearest(pts, return_distance=True, all_matches=False)
        return float(np.median(dist))

    positions = {
        None: to_metric.transform(lon, lat),
        "gcj02": to_metric.transform(*gcj02_to_wgs84(lon, lat)),
        "bd09": to_metric.transform(*bd09_to_wgs84(lon, lat)),
    }
    medians = {key: median_distance(xy) for key, xy in positions.items()}
    as_given = medians.pop(None)
    candidates = [
        key
        for key, med in medians.items()
        if as_given - med > min_drop_m and as_given - med > min_drop_frac * as_given
    ]
    likely = min(candidates, key=medians.__getitem__) if candidates else None
    best = likely if likely is not None else min(medians, key=medians.__getitem__)

    # control: the points moved from the best of the three positions as far as the
    # GCJ-02 offset, in eight directions
    overall = {None: as_given, **medians}
    home = min(overall, key=overall.__getitem__)
    shift = np.hypot(*(np.subtract(positions["gcj02"], positions[None])))
    radius = float(np.nanmedian(shift)) if np.isfinite(shift).any() else 0.0
    radius = radius if radius > 1.0 else 400.0  # outside China: a typical offset
    shifted = float(
        np.median(
            [
                median_distance(positions[home], radius * math.cos(a), radius * math.sin(a))
                for a in np.radians(np.arange(0, 360, 45))
            ]
        )
    )
    conclusive = home == likely and overall[home] <= (1.0 - min_drop_frac) * shifted
    return {
        "likely": likely,
        "median_m_as_given": as_given,
        "median_m_converted": medians[best],
        "median_m_gcj02": medians["gcj02"],
        "median_m_bd09": medians["bd09"],
        "median_m_shifted": shifted,
        "conclusive": bool(conclusive),
        "n_points": len(lon),
        "crs": metric.to_string(),
    }
