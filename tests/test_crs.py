"""coverage15.crs: GCJ-02 / BD-09 offsets, CGCS2000 zones, metric CRS choice, offset detection.

Reference values
----------------
- wandergis/coordtransform, ``test/app.js`` (the widely copied JavaScript
  implementation), for input (116.404, 39.915):
  wgs84togcj02 -> (116.41024449916938, 39.91640428150164),
  gcj02tobd09 -> (116.41036949371029, 39.92133699351021),
  and its *one-step* inverses gcj02towgs84 -> (116.39775550083061, 39.91359571849836),
  bd09togcj02 -> (116.39762729119315, 39.90865673957631).
- googollee/eviltransform, ``python/test.py`` (WGS84 -> GCJ-02 pairs for Shanghai,
  Shenzhen and Beijing).
- Not used: hutool's ``CoordinateUtilTest`` gives 116.41033392216508 for the
  longitude above; its ``transLng`` reuses the latitude's sin(lat·π) terms, so its
  longitudes are off by ~8 m. The latitude agrees.

Besides these, every forward formula is checked against a plain-``math`` scalar
implementation written independently below.
"""

from __future__ import annotations

import bz2
import math
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import CRS, Geod, Transformer

from coverage15._errors import InputError
from coverage15.crs import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    cgcs2000_gk_crs,
    detect_offset,
    from_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    metric_crs,
    normalise_crs,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

GEOD = Geod(ellps="WGS84")
LESHAN = (103.7656, 29.5521)  # 乐山市中区, WGS84


# --------------------------------------------------------------------------- plain-Python reference


def ref_wgs_to_gcj(lon: float, lat: float) -> tuple[float, float]:
    """GCJ-02 forward, scalar, straight from the published formula."""
    if not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271):
        return lon, lat
    a = 6378245.0
    ee = 0.00669342162296594323
    pi = math.pi
    x, y = lon - 105.0, lat - 35.0

    t_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y**2 + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    t_lat += (20.0 * math.sin(6.0 * x * pi) + 20.0 * math.sin(2.0 * x * pi)) * 2.0 / 3.0
    t_lat += (20.0 * math.sin(y * pi) + 40.0 * math.sin(y / 3.0 * pi)) * 2.0 / 3.0
    t_lat += (160.0 * math.sin(y / 12.0 * pi) + 320.0 * math.sin(y * pi / 30.0)) * 2.0 / 3.0

    t_lon = 300.0 + x + 2.0 * y + 0.1 * x**2 + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    t_lon += (20.0 * math.sin(6.0 * x * pi) + 20.0 * math.sin(2.0 * x * pi)) * 2.0 / 3.0
    t_lon += (20.0 * math.sin(x * pi) + 40.0 * math.sin(x / 3.0 * pi)) * 2.0 / 3.0
    t_lon += (150.0 * math.sin(x / 12.0 * pi) + 300.0 * math.sin(x / 30.0 * pi)) * 2.0 / 3.0

    phi = math.radians(lat)
    w = 1.0 - ee * math.sin(phi) ** 2
    meridian_radius = a * (1.0 - ee) / (w * math.sqrt(w))  # M
    normal_radius = a / math.sqrt(w)  # N
    return (
        lon + math.degrees(t_lon / (normal_radius * math.cos(phi))),
        lat + math.degrees(t_lat / meridian_radius),
    )


def ref_gcj_to_bd(lon: float, lat: float) -> tuple[float, float]:
    """BD-09 forward, scalar (same China box as GCJ-02, like eviltransform)."""
    if not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271):
        return lon, lat
    k = math.pi * 3000.0 / 180.0
    z = math.hypot(lon, lat) + 0.00002 * math.sin(lat * k)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * k)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def dist_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Geodesic distance in metres (WGS84 ellipsoid)."""
    _, _, d = GEOD.inv(lon1, lat1, lon2, lat2)
    return np.asarray(d)


# keep away from the edges of the China box: the offset (≤ ~0.01°) must not cross them
china_lon = st.floats(72.1, 137.7, allow_nan=False)
china_lat = st.floats(1.0, 55.7, allow_nan=False)


# --------------------------------------------------------------------------- published values


def test_wgs84_to_gcj02_matches_coordtransform():
    lon, lat = wgs84_to_gcj02(116.404, 39.915)
    assert lon == pytest.approx(116.41024449916938, abs=1e-12)
    assert lat == pytest.approx(39.91640428150164, abs=1e-12)


@pytest.mark.parametrize(
    ("wgs_lat", "wgs_lon", "gcj_lat", "gcj_lon"),
    [
        (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
        (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
        (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
    ],
)
def test_wgs84_to_gcj02_matches_eviltransform(wgs_lat, wgs_lon, gcj_lat, gcj_lon):
    lon, lat = wgs84_to_gcj02(wgs_lon, wgs_lat)
    assert lon == pytest.approx(gcj_lon, abs=1e-12)
    assert lat == pytest.approx(gcj_lat, abs=1e-12)
    # and the exact inverse brings the published GCJ-02 value back within millimetres
    back = gcj02_to_wgs84(gcj_lon, gcj_lat)
    assert dist_m(*back, wgs_lon, wgs_lat) < 0.01


def test_gcj02_to_bd09_matches_coordtransform():
    lon, lat = gcj02_to_bd09(116.404, 39.915)
    assert lon == pytest.approx(116.41036949371029, abs=1e-12)
    assert lat == pytest.approx(39.92133699351021, abs=1e-12)


def test_exact_inverses_improve_on_published_one_step_inverses():
    # coordtransform's one-step inverses are approximate; ours are exact w.r.t. the forward
    one_step_wgs = (116.39775550083061, 39.91359571849836)
    wgs = gcj02_to_wgs84(116.404, 39.915)
    assert 0.05 < dist_m(*wgs, *one_step_wgs) < 5.0
    assert dist_m(*wgs84_to_gcj02(*wgs), 116.404, 39.915) < 0.01
    assert dist_m(*wgs84_to_gcj02(*one_step_wgs), 116.404, 39.915) > 0.05

    one_step_gcj = (116.39762729119315, 39.90865673957631)
    gcj = bd09_to_gcj02(116.404, 39.915)
    assert dist_m(*gcj, *one_step_gcj) < 1.0
    assert dist_m(*gcj02_to_bd09(*gcj), 116.404, 39.915) < 0.01


# --------------------------------------------------------------------------- against the reference


@settings(max_examples=300, deadline=None)
@given(lon=st.floats(60.0, 150.0), lat=st.floats(-5.0, 60.0))
def test_forward_formulas_match_plain_python(lon, lat):
    exp_lon, exp_lat = ref_wgs_to_gcj(lon, lat)
    got_lon, got_lat = wgs84_to_gcj02(lon, lat)
    assert got_lon == pytest.approx(exp_lon, abs=1e-11)
    assert got_lat == pytest.approx(exp_lat, abs=1e-11)

    exp_lon, exp_lat = ref_gcj_to_bd(lon, lat)
    got_lon, got_lat = gcj02_to_bd09(lon, lat)
    assert got_lon == pytest.approx(exp_lon, abs=1e-11)
    assert got_lat == pytest.approx(exp_lat, abs=1e-11)

    exp_lon, exp_lat = ref_gcj_to_bd(*ref_wgs_to_gcj(lon, lat))
    got_lon, got_lat = wgs84_to_bd09(lon, lat)
    assert got_lon == pytest.approx(exp_lon, abs=1e-11)
    assert got_lat == pytest.approx(exp_lat, abs=1e-11)


def test_vectorised_equals_scalar_on_a_grid():
    lon, lat = np.meshgrid(np.linspace(73, 135, 23), np.linspace(3, 54, 17))
    got_lon, got_lat = wgs84_to_gcj02(lon, lat)
    assert got_lon.shape == lon.shape
    for i, j in np.ndindex(lon.shape):
        exp = ref_wgs_to_gcj(float(lon[i, j]), float(lat[i, j]))
        assert got_lon[i, j] == pytest.approx(exp[0], abs=1e-11)
        assert got_lat[i, j] == pytest.approx(exp[1], abs=1e-11)


# --------------------------------------------------------------------------- round trips


def _china_grid(step: float) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = np.meshgrid(np.arange(72.1, 137.7, step), np.arange(1.0, 55.7, step))
    return lon.ravel(), lat.ravel()


def test_round_trips_under_half_a_metre_on_a_dense_grid_over_china():
    lon, lat = _china_grid(0.1)  # ~360 000 points over the whole offset box
    gcj = wgs84_to_gcj02(lon, lat)
    err_gcj = dist_m(lon, lat, *gcj02_to_wgs84(*gcj))
    bd = wgs84_to_bd09(lon, lat)
    err_bd = dist_m(lon, lat, *bd09_to_wgs84(*bd))
    err_bd_gcj = dist_m(*gcj, *bd09_to_gcj02(*gcj02_to_bd09(*gcj)))
    # the brief asks < 0.5 m; the iteration stops at tol_m = 1 cm, measured max ~1e-5 m
    assert err_gcj.max() < 0.01
    assert err_bd.max() < 0.01
    assert err_bd_gcj.max() < 0.01


def test_tighter_tolerance_is_honoured():
    lon, lat = _china_grid(1.0)
    gcj = wgs84_to_gcj02(lon, lat)
    back = gcj02_to_wgs84(*gcj, tol_m=1e-5)
    assert dist_m(lon, lat, *back).max() < 1e-4


@settings(max_examples=300, deadline=None)
@given(lon=china_lon, lat=china_lat)
def test_round_trips_hypothesis(lon, lat):
    assert dist_m(lon, lat, *gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))) < 0.5
    assert dist_m(lon, lat, *bd09_to_wgs84(*wgs84_to_bd09(lon, lat))) < 0.5
    # and the other way: GCJ-02 -> WGS84 -> GCJ-02
    assert dist_m(lon, lat, *wgs84_to_gcj02(*gcj02_to_wgs84(lon, lat))) < 0.5


# --------------------------------------------------------------------------- behaviour


@pytest.mark.parametrize(
    ("lon", "lat"),
    [(2.3522, 48.8566), (151.2093, -33.8688), (139.6917, 35.6895), (37.6173, 55.7558)],
    ids=["paris", "sydney", "tokyo", "moscow"],
)
def test_no_offset_outside_china(lon, lat):
    for func in (wgs84_to_gcj02, gcj02_to_wgs84, gcj02_to_bd09, bd09_to_gcj02):
        assert func(lon, lat) == (lon, lat)
    assert wgs84_to_bd09(lon, lat) == (lon, lat)
    assert bd09_to_wgs84(lon, lat) == (lon, lat)


def test_leshan_offset_is_a_few_hundred_metres():
    gcj = wgs84_to_gcj02(*LESHAN)
    assert 300 < dist_m(*LESHAN, *gcj) < 700
    bd = wgs84_to_bd09(*LESHAN)
    assert dist_m(*LESHAN, *bd) > dist_m(*LESHAN, *gcj)


def test_scalars_lists_arrays_and_nan():
    lon, lat = wgs84_to_gcj02(*LESHAN)
    assert type(lon) is float and type(lat) is float
    lon2, _ = wgs84_to_gcj02([LESHAN[0]] * 3, [LESHAN[1]] * 3)
    assert isinstance(lon2, np.ndarray) and lon2.shape == (3,)
    assert np.all(lon2 == lon)
    # broadcasting a scalar latitude
    lon3, _ = gcj02_to_wgs84(np.array([[103.7, 103.8]]), 29.5)
    assert lon3.shape == (1, 2)
    # NaN passes through without blocking convergence of the others
    lon4, lat4 = gcj02_to_wgs84([np.nan, LESHAN[0]], [np.nan, LESHAN[1]])
    assert np.isnan(lon4[0]) and np.isnan(lat4[0]) and np.isfinite(lon4[1])
    nan_lon, lat5 = bd09_to_wgs84(np.nan, 30.0)  # NaN is "outside China": left as is
    assert np.isnan(nan_lon) and lat5 == 30.0
    with pytest.raises(InputError, match="shapes"):
        wgs84_to_gcj02([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(InputError, match="tol_m"):
        gcj02_to_wgs84(*LESHAN, tol_m=0)


# --------------------------------------------------------------------------- CGCS2000 zones


def _central_meridian(crs: CRS) -> float:
    params = {p.name: p.value for p in crs.coordinate_operation.params}
    return params["Longitude of natural origin"]


def _false_easting(crs: CRS) -> float:
    params = {p.name: p.value for p in crs.coordinate_operation.params}
    return params["False easting"]


@pytest.mark.parametrize(
    ("lon", "cm3", "cm6"),
    [
        (73.6, 75, 75),  # westernmost Xinjiang
        (87.6, 87, 87),  # Ürümqi
        (91.1, 90, 93),  # Lhasa
        (103.7656, 105, 105),  # Leshan
        (104.07, 105, 105),  # Chengdu
        (113.26, 114, 111),  # Guangzhou
        (116.40, 117, 117),  # Beijing
        (121.47, 120, 123),  # Shanghai
        (126.53, 126, 129),  # Harbin
        (134.7, 135, 135),  # Fuyuan, easternmost
    ],
)
def test_cgcs2000_zone_central_meridian(lon, cm3, cm6):
    for prefix in (False, True):
        crs3 = cgcs2000_gk_crs(lon, zone_prefix=prefix)
        assert _central_meridian(crs3) == cm3
        assert abs(lon - cm3) <= 1.5
        crs6 = cgcs2000_gk_crs(lon, zone_width=6, zone_prefix=prefix)
        assert _central_meridian(crs6) == cm6
        assert abs(lon - cm6) <= 3.0
        assert "CGCS2000" in crs3.name and "CGCS2000" in crs6.name
    # zone-prefixed false easting = zone number × 1e6 + 500 km
    assert _false_easting(cgcs2000_gk_crs(lon, zone_prefix=True)) == cm3 / 3 * 1e6 + 500_000
    assert _false_easting(cgcs2000_gk_crs(lon)) == 500_000
    zone6 = (cm6 + 3) / 6
    assert _false_easting(cgcs2000_gk_crs(lon, zone_width=6, zone_prefix=True)) == (
        zone6 * 1e6 + 500_000
    )


def test_leshan_zone_codes():
    assert cgcs2000_gk_crs(LESHAN[0]).to_epsg() == 4544  # 3°, CM 105E
    assert cgcs2000_gk_crs(LESHAN[0], zone_prefix=True).to_epsg() == 4523  # 3° zone 35
    assert cgcs2000_gk_crs(LESHAN[0], zone_width=6).to_epsg() == 4507  # 6°, CM 105E
    assert cgcs2000_gk_crs(LESHAN[0], zone_width=6, zone_prefix=True).to_epsg() == 4496


def test_zone_edges_and_errors():
    assert _central_meridian(cgcs2000_gk_crs(76.5)) == 78  # halves go east
    assert _central_meridian(cgcs2000_gk_crs(76.4999)) == 75
    assert _central_meridian(cgcs2000_gk_crs(78.0, zone_width=6)) == 81
    for lon in (73.4, 136.6, 10.0, float("nan")):
        with pytest.raises(InputError):
            cgcs2000_gk_crs(lon)
    for lon in (71.9, 138.0):
        with pytest.raises(InputError):
            cgcs2000_gk_crs(lon, zone_width=6)
    with pytest.raises(InputError, match="zone_width"):
        cgcs2000_gk_crs(105.0, zone_width=4)  # type: ignore[arg-type]


def test_epsg4490_is_latitude_first_but_always_xy_lands_on_wgs84():
    cgcs = CRS.from_epsg(4490)
    assert [a.abbrev for a in cgcs.axis_info] == ["Lat", "Lon"]
    target = cgcs2000_gk_crs(LESHAN[0])
    from_cgcs = Transformer.from_crs(4490, target, always_xy=True).transform(*LESHAN)
    from_wgs = Transformer.from_crs(4326, target, always_xy=True).transform(*LESHAN)
    assert math.dist(from_cgcs, from_wgs) < 1.0
    assert 300_000 < from_cgcs[0] < 700_000  # easting first with always_xy
    assert 3_000_000 < from_cgcs[1] < 3_500_000
    # without always_xy, EPSG order is (lat, lon) in and (northing, easting) out
    northing, easting = Transformer.from_crs(4490, target).transform(LESHAN[1], LESHAN[0])
    assert math.dist((easting, northing), from_wgs) < 1.0
    # and geopandas (always_xy) agrees too
    pt = gpd.GeoSeries(shapely.points([LESHAN]), crs=4490).to_crs(target)
    assert math.dist((pt.x.iloc[0], pt.y.iloc[0]), from_wgs) < 1.0


# --------------------------------------------------------------------------- metric_crs


def test_metric_crs_from_bounds_and_frames():
    bounds = (103.70, 29.52, 103.82, 29.62)
    assert metric_crs(bounds).to_epsg() == 32648  # WGS 84 / UTM 48N
    assert metric_crs(bounds, kind="cgcs2000").to_epsg() == 4544
    pts = gpd.GeoSeries(shapely.points([(103.70, 29.52), (103.82, 29.62)]), crs=4326)
    assert metric_crs(pts).to_epsg() == 32648
    assert metric_crs(pts.to_frame("geometry"), kind="cgcs2000").to_epsg() == 4544
    # frames in a projected CRS are handled through their WGS84 bounds
    assert metric_crs(pts.to_crs(4544), kind="cgcs2000").to_epsg() == 4544
    assert metric_crs(pts.to_crs(4490)).to_epsg() == 32648
    # Beijing (116.4E) is UTM 50N and CGCS2000 CM 117E
    assert metric_crs((116.3, 39.8, 116.5, 40.0)).to_epsg() == 32650
    assert metric_crs((116.3, 39.8, 116.5, 40.0), kind="cgcs2000").to_epsg() == 4548


def test_metric_crs_errors():
    with pytest.raises(InputError, match="kind"):
        metric_crs((103.7, 29.5, 103.8, 29.6), kind="lambert")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="no geometries"):
        metric_crs(gpd.GeoSeries([], crs=4326))
    with pytest.raises(InputError, match="no CRS"):
        metric_crs(gpd.GeoSeries(shapely.points([(103.7, 29.5)])))
    with pytest.raises(InputError, match="longitude/latitude"):
        metric_crs((500_000, 3_200_000, 510_000, 3_210_000))
    with pytest.raises(InputError):
        metric_crs((103.7, 29.5))


# --------------------------------------------------------------------------- GeoDataFrames


def _mixed_frame() -> gpd.GeoDataFrame:
    """Facilities as an Amap user would have them: GCJ-02 coordinates labelled EPSG:4326."""
    x, y = LESHAN
    geoms = [
        shapely.Point(x, y),
        shapely.LineString([(x, y), (x + 0.01, y + 0.005), (x + 0.02, y)]),
        shapely.box(x, y, x + 0.01, y + 0.01),
        shapely.MultiPolygon(
            [
                shapely.box(x, y, x + 0.001, y + 0.001),
                shapely.box(x + 0.002, y, x + 0.003, y + 0.001),
            ]
        ),
        shapely.Polygon(
            shapely.box(x, y, x + 0.01, y + 0.01).exterior.coords,
            [shapely.box(x + 0.004, y + 0.004, x + 0.006, y + 0.006).exterior.coords],
        ),
        shapely.Point(x, y, 350.0),
        None,
        shapely.Point(),
    ]
    return gpd.GeoDataFrame(
        {"name": [f"设施{i}" for i in range(len(geoms))], "floor_area_m2": range(len(geoms))},
        geometry=geoms,
        crs=4326,
        index=[f"f{i}" for i in range(len(geoms))],
    )


def _check_every_coordinate(before, after, func):
    for g0, g1 in zip(before, after, strict=True):
        if g0 is None:
            assert g1 is None
            continue
        assert g1.geom_type == g0.geom_type
        assert g1.has_z == g0.has_z
        c0 = shapely.get_coordinates(g0, include_z=g0.has_z)
        c1 = shapely.get_coordinates(g1, include_z=g1.has_z)
        assert c0.shape == c1.shape
        if len(c0):
            exp_lon, exp_lat = func(c0[:, 0], c0[:, 1])
            np.testing.assert_allclose(c1[:, 0], exp_lon, rtol=0, atol=1e-12)
            np.testing.assert_allclose(c1[:, 1], exp_lat, rtol=0, atol=1e-12)
            if g0.has_z:
                np.testing.assert_array_equal(c1[:, 2], c0[:, 2])


@pytest.mark.parametrize(
    ("name", "inverse"),
    [
        ("gcj02", gcj02_to_wgs84),
        ("GCJ-02", gcj02_to_wgs84),
        ("Amap", gcj02_to_wgs84),
        ("tencent", gcj02_to_wgs84),
        ("高德", gcj02_to_wgs84),
        ("bd09", bd09_to_wgs84),
        ("BD-09", bd09_to_wgs84),
        ("baidu", bd09_to_wgs84),
    ],
)
def test_to_wgs84_transforms_every_coordinate(name, inverse):
    gdf = _mixed_frame()
    out = to_wgs84(gdf, name)
    assert out is not gdf
    assert out.crs.to_epsg() == 4326
    assert list(out.index) == list(gdf.index)
    assert list(out.columns) == list(gdf.columns)
    assert out["name"].tolist() == gdf["name"].tolist()
    _check_every_coordinate(gdf.geometry, out.geometry, inverse)
    # the input is untouched
    assert gdf.geometry.iloc[0].equals(shapely.Point(LESHAN))


def test_from_wgs84_writes_back_and_round_trips():
    wgs = _mixed_frame()
    for name, forward in (("gcj02", wgs84_to_gcj02), ("bd09", wgs84_to_bd09)):
        offset = from_wgs84(wgs, name)
        assert offset.crs.to_epsg() == 4326
        _check_every_coordinate(wgs.geometry, offset.geometry, forward)
        back = to_wgs84(offset, name)
        for g0, g1 in zip(wgs.geometry, back.geometry, strict=True):
            if g0 is None:
                continue
            c0, c1 = shapely.get_coordinates(g0), shapely.get_coordinates(g1)
            if len(c0):
                assert dist_m(c0[:, 0], c0[:, 1], c1[:, 0], c1[:, 1]).max() < 0.01
    # from a projected frame: brought to WGS84 first
    projected = wgs.to_crs(4544)
    offset = from_wgs84(projected, "gcj02")
    p = offset.geometry.iloc[0]
    assert dist_m(p.x, p.y, *wgs84_to_gcj02(*LESHAN)) < 0.01


def test_geoseries_and_pyproj_crs_paths():
    s = gpd.GeoSeries(shapely.points([LESHAN]), crs=4326, name="geom")
    out = to_wgs84(s, "gcj02")
    assert isinstance(out, gpd.GeoSeries) and out.name == "geom"
    # a real CRS: plain reprojection; the crs argument overrides the label
    projected = s.to_crs(4544)
    assert to_wgs84(projected).geom_equals_exact(s, tolerance=1e-9).all()
    mislabelled = projected.set_crs(4326, allow_override=True)
    assert to_wgs84(mislabelled, "EPSG:4544").geom_equals_exact(s, tolerance=1e-9).all()
    assert to_wgs84(mislabelled, 4544).crs.to_epsg() == 4326
    assert to_wgs84(s.to_crs(4490), "CGCS2000").geom_equals_exact(s, tolerance=1e-9).all()
    assert from_wgs84(s, "EPSG:4544").crs.to_epsg() == 4544
    assert from_wgs84(s.to_frame(), 4544).crs.to_epsg() == 4544


def test_crs_errors():
    s = gpd.GeoSeries(shapely.points([LESHAN]), crs=4326)
    with pytest.raises(InputError, match="not longitude/latitude"):
        to_wgs84(s.to_crs(4544), "gcj02")
    with pytest.raises(InputError, match="BD09MC"):
        to_wgs84(s, "bd09mc")
    with pytest.raises(InputError, match="neither an offset system"):
        to_wgs84(s, "mars-bar-2000")
    with pytest.raises(InputError, match="no coordinate reference system"):
        to_wgs84(gpd.GeoSeries(shapely.points([LESHAN])))
    with pytest.raises(InputError, match="no CRS"):
        from_wgs84(gpd.GeoSeries(shapely.points([LESHAN])), "gcj02")
    with pytest.raises(InputError, match="GeoDataFrame or GeoSeries"):
        to_wgs84([shapely.Point(LESHAN)], "gcj02")  # type: ignore[arg-type]


def test_normalise_crs():
    assert normalise_crs("GCJ_02") == "gcj02"
    assert normalise_crs(" Bd 09 ") == "bd09"
    assert normalise_crs("百度") == "bd09"
    assert normalise_crs("WGS84").to_epsg() == 4326
    assert normalise_crs(CRS.from_epsg(4547)).to_epsg() == 4547
    with pytest.raises(InputError):
        normalise_crs(None)


def test_empty_frames_convert():
    empty = gpd.GeoDataFrame({"name": []}, geometry=gpd.GeoSeries([], crs=4326), crs=4326)
    out = to_wgs84(empty, "gcj02")
    assert len(out) == 0 and out.crs.to_epsg() == 4326


# --------------------------------------------------------------------------- detect_offset


def _street_grid(spacing_m: float = 400.0, n: int = 12) -> gpd.GeoSeries:
    """An n × n street grid (spacing in metres) centred on Leshan, returned in WGS84."""
    metric = cgcs2000_gk_crs(LESHAN[0])
    x0, y0 = Transformer.from_crs(4326, metric, always_xy=True).transform(*LESHAN)
    half = spacing_m * n / 2
    ticks = np.arange(-half, half + 1, spacing_m)
    lines = [shapely.LineString([(x0 - half, y0 + t), (x0 + half, y0 + t)]) for t in ticks]
    lines += [shapely.LineString([(x0 + t, y0 - half), (x0 + t, y0 + half)]) for t in ticks]
    return gpd.GeoSeries(lines, crs=metric).to_crs(4326)


def _points_near(streets: gpd.GeoSeries, n: int = 600, jitter_m: float = 15.0) -> gpd.GeoSeries:
    """Points along the streets, off them by up to ``jitter_m`` (like real POIs)."""
    rng = np.random.default_rng(42)
    metric = streets.estimate_utm_crs()
    lines = streets.to_crs(metric).values
    which = rng.integers(0, len(lines), n)
    pos = rng.random(n)
    pts = shapely.line_interpolate_point(lines[which], pos, normalized=True)
    dx, dy = rng.uniform(-jitter_m, jitter_m, (2, n))
    pts = shapely.points(shapely.get_x(pts) + dx, shapely.get_y(pts) + dy)
    return gpd.GeoSeries(pts, crs=metric).to_crs(4326)


def _apply(points: gpd.GeoSeries, func) -> gpd.GeoSeries:
    lon, lat = func(points.x.to_numpy(), points.y.to_numpy())
    return gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=4326)


def test_detect_offset_true_wgs84_is_not_flagged():
    streets = _street_grid()
    result = detect_offset(_points_near(streets), streets)
    assert result["likely"] is None
    assert result["conclusive"]
    assert result["median_m_as_given"] < 15
    assert result["median_m_gcj02"] > result["median_m_as_given"]
    assert result["median_m_shifted"] > 40
    assert result["n_points"] == 600
    assert result["crs"] == "EPSG:32648"


def test_detect_offset_finds_gcj02_declared_as_wgs84():
    streets = _street_grid()
    amap = _apply(_points_near(streets), wgs84_to_gcj02)
    result = detect_offset(amap, streets)
    assert result["likely"] == "gcj02"
    assert result["conclusive"]
    assert result["median_m_converted"] == result["median_m_gcj02"] < 15
    assert result["median_m_as_given"] > 50


def test_detect_offset_dense_grid_is_inconclusive_not_wrong():
    # 200 m blocks: the Leshan offset (~214 m E, ~306 m S) aliases onto the grid, so the
    # shifted points are still near some street: no detection, but flagged inconclusive
    streets = _street_grid(200.0, n=24)
    points = _points_near(streets)
    amap = detect_offset(_apply(points, wgs84_to_gcj02), streets)
    assert amap["likely"] is None
    assert amap["median_m_gcj02"] < amap["median_m_as_given"]
    assert not amap["conclusive"]
    truth = detect_offset(points, streets)
    assert truth["likely"] is None and truth["conclusive"]


def test_detect_offset_finds_bd09_declared_as_wgs84():
    streets = _street_grid()
    baidu = _apply(_points_near(streets), wgs84_to_bd09)
    result = detect_offset(baidu.to_frame("geometry"), streets.to_frame("geometry"))
    assert result["likely"] == "bd09"
    assert result["conclusive"]
    assert result["median_m_converted"] == result["median_m_bd09"] < 15


def test_detect_offset_samples_and_validates():
    streets = _street_grid()
    amap = _apply(_points_near(streets), wgs84_to_gcj02)
    result = detect_offset(amap, streets, max_points=200)
    assert result["n_points"] == 200 and result["likely"] == "gcj02"
    # outside China nothing can be detected: the conversions are identities
    far = gpd.GeoSeries([shapely.LineString([(2.30, 48.85), (2.40, 48.85)])], crs=4326)  # Paris
    pts = gpd.GeoSeries(gpd.points_from_xy(np.linspace(2.3, 2.4, 50), [48.853] * 50), crs=4326)
    assert detect_offset(pts, far)["likely"] is None
    with pytest.raises(InputError, match="no geometries"):
        detect_offset(gpd.GeoSeries([], crs=4326), streets)
    with pytest.raises(InputError, match="no geometries"):
        detect_offset(amap, gpd.GeoSeries([], crs=4326))


# --------------------------------------------------------------------------- real OSM data

OSM_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "osm"


def _osm_pois_and_streets(name: str) -> tuple[gpd.GeoSeries, gpd.GeoSeries]:
    """POI nodes (amenity/shop/leisure) and highway ways of an OSM XML extract (true WGS84)."""
    path = OSM_DIR / name
    if not path.exists():
        pytest.skip(f"{path} not available")
    root = ET.fromstring(bz2.decompress(path.read_bytes()))
    nodes: dict[str, tuple[float, float]] = {}
    pois = []
    for el in root.iter("node"):
        xy = (float(el.get("lon")), float(el.get("lat")))
        nodes[el.get("id")] = xy
        if {t.get("k") for t in el.iter("tag")} & {"amenity", "shop", "leisure"}:
            pois.append(xy)
    lines = []
    for el in root.iter("way"):
        if any(t.get("k") == "highway" for t in el.iter("tag")):
            coords = [nodes[n.get("ref")] for n in el.iter("nd") if n.get("ref") in nodes]
            if len(coords) >= 2:
                lines.append(shapely.LineString(coords))
    return (
        gpd.GeoSeries(shapely.points(pois), crs=4326),
        gpd.GeoSeries(lines, crs=4326),
    )


@pytest.mark.realdata
def test_detect_offset_on_osm_pois_beijing_bupt():
    pois, streets = _osm_pois_and_streets("beijing_haidian_bupt_2025.osm.bz2")
    truth = detect_offset(pois, streets)
    assert truth["likely"] is None and truth["conclusive"]
    amap = detect_offset(_apply(pois, wgs84_to_gcj02), streets)
    assert amap["likely"] == "gcj02" and amap["conclusive"]
    baidu = detect_offset(_apply(pois, wgs84_to_bd09), streets)
    assert baidu["likely"] == "bd09" and baidu["conclusive"]


@pytest.mark.realdata
def test_detect_offset_on_osm_pois_dense_campus_is_inconclusive():
    # Peking University: every footway mapped, POIs inside buildings. Nearest-street distance
    # carries almost no signal here; the result must say so rather than claim WGS84.
    pois, streets = _osm_pois_and_streets("beijing_haidian_pku_2017.osm.bz2")
    truth = detect_offset(pois, streets)
    assert truth["likely"] is None and not truth["conclusive"]
    amap = detect_offset(_apply(pois, wgs84_to_gcj02), streets)
    assert amap["likely"] is None and not amap["conclusive"]
    assert amap["median_m_gcj02"] < amap["median_m_as_given"]


def test_swapped_axes_in_offset_coordinates_are_named(tmp_path) -> None:
    """GCJ-02 lon/lat columns given the wrong way round: 'swapped', not 'projected metres'."""
    from coverage15 import InputError
    from coverage15.io import load_facilities

    path = tmp_path / "amap.csv"
    path.write_text("名称,类别,lon,lat\n甲,幼儿园,29.5512,103.7634\n", encoding="utf-8")
    with pytest.raises(InputError, match="axes look swapped") as info:
        load_facilities(path, crs="gcj02")
    assert info.value.rows == [1] and "projected metres" not in str(info.value)
