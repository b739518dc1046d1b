"""Exports: one naming scheme, rounding, number formats, codes as text, GIS layers and styles."""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest

from conftest import synthetic_analysis
from coverage15 import InputError, export
from coverage15.validation import ValidationReport

TABLES = ("communities", "homes", "facilities", "targets", "district", "worst", "repairs")


@pytest.fixture
def analysis():
    a = synthetic_analysis()
    a.communities["community_id"] = [f"51110200100{i}" for i in range(1, 5)]  # 12-digit codes
    a.homes["community_id"] = a.homes["community_id"].map(
        dict(zip([f"C{i}" for i in range(1, 5)], a.communities["community_id"], strict=True))
    )
    a.worst["community_id"] = (
        a.communities.set_index("name").loc[a.worst["name"], "community_id"].to_numpy()
    )
    return a


@pytest.fixture(scope="module")
def sample():
    from coverage15.datasets import sample_analysis

    return sample_analysis("leshan_2018")


def test_geopackage_round_trip_with_stable_names_and_rounding(analysis, tmp_path: Path) -> None:
    gpkg = export.write_results(analysis, tmp_path, formats=("gpkg",))["gpkg"][0]
    layers = dict(pyogrio.list_layers(gpkg).tolist())
    assert layers == {
        "communities": "Polygon",
        "homes": "Point",
        "facilities": "Point",
        "targets": None,
        "district": None,
        "worst": None,
        "repairs": None,
        # the synthetic analysis has its walking network: one service area per required
        # category of the Leshan profile, and the 6 × 6 grid's 60 streets
        "service_areas": "MultiPolygon",
        "walk_network": "LineString",
        "layer_styles": None,
    }
    assert len(gpd.read_file(gpkg, layer="walk_network")) == 2 * 6 * 5
    for name in ("communities", "homes", "facilities"):
        back = gpd.read_file(gpkg, layer=name)
        original = getattr(analysis, name)
        # stable English names, same order (GDAL puts the geometry last)
        assert [c for c in back.columns if c != "geometry"] == [
            c for c in original.columns if c != "geometry"
        ]
        assert back.crs == original.crs and len(back) == len(original)
    comm = gpd.read_file(gpkg, layer="communities")
    want = analysis.communities["share_covered_all"].round(4)
    np.testing.assert_array_equal(comm["share_covered_all"].to_numpy(), want.to_numpy())
    assert comm["name"].tolist() == analysis.communities["name"].tolist()  # Chinese kept
    assert comm["community_id"].tolist() == analysis.communities["community_id"].tolist()
    assert comm["area_pass"].dtype == bool
    homes = gpd.read_file(gpkg, layer="homes")
    dist = homes["dist_m__health_station"].dropna()
    assert (dist == dist.round(1)).all() and not (dist == dist.round(0)).all()
    np.testing.assert_allclose(
        homes["dist_m__health_station"], analysis.homes["dist_m__health_station"], atol=0.05
    )
    district = pyogrio.read_dataframe(gpkg, layer="district")
    assert list(district.columns) == list(analysis.district.columns)
    # households and the four household shares are computed (no confidence); the four
    # Leshan targets of the district table are quoted from the plan (C1)
    assert district["confidence"].fillna("").tolist() == [""] * 5 + ["C1"] * 4
    targets = pyogrio.read_dataframe(gpkg, layer="targets")
    assert targets.columns.tolist() == [
        "key", "label_zh", "label_en", "target", "value", "unit", "met", "confidence",
        "source", "reason", "note",
    ]  # fmt: skip
    # shares stay fractions 0–1, rounded to 4 places: the area-compliance rate is 2 of 3
    # urban communities (C1 33.3 and C3 40 m²/100 hh pass 30; C2 has no station)
    assert targets.loc[2, "key"] == "area_compliance_rate"
    assert targets.loc[2, "value"] == 0.6667


def test_one_naming_scheme_across_formats(analysis, tmp_path: Path) -> None:
    export.write_results(analysis, tmp_path, formats=("gpkg", "csv", "xlsx", "geojson"), lang="en")
    gpkg = tmp_path / "coverage15_results.gpkg"
    for name in ("communities", "homes", "facilities"):
        gis = [c for c in gpd.read_file(gpkg, layer=name).columns if c != "geometry"]
        geojson = [c for c in gpd.read_file(tmp_path / f"{name}.geojson").columns]
        csv = pd.read_csv(tmp_path / f"{name}.csv", encoding="utf-8-sig").columns.tolist()
        xlsx = [c.value for c in openpyxl.load_workbook(tmp_path / "coverage15_results.xlsx")[
            name][1]]  # fmt: skip
        assert geojson[:-1] == gis  # GeoJSON has the geometry last
        extra = ["lon", "lat"] if name != "communities" else []
        assert csv == gis + extra and xlsx == gis + extra


def test_csv_chinese_headers_with_units_and_bom(analysis, tmp_path: Path) -> None:
    files = export.write_results(analysis, tmp_path, formats=("csv",), lang="zh")["csv"]
    assert sorted(p.name for p in files) == sorted(
        [f"{n}.csv" for n in TABLES] + ["data_dictionary.csv"]
    )
    raw = (tmp_path / "communities.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    comm = pd.read_csv(tmp_path / "communities.csv", encoding="utf-8-sig", dtype=str)
    assert list(comm.columns[:5]) == ["社区编号", "名称", "户数", "人口", "类型"]
    assert "全部设施覆盖户数比例（0–1）" in comm.columns  # the share convention in the header
    assert "每百户社区综合服务设施面积（m²/百户）" in comm.columns
    assert comm["社区编号"].tolist()[0] == "511102001001"
    assert comm["类型"].tolist() == ["城市", "城市", "城市", "农村"]
    # C1: five of its ten homes (120 households each) farther than 300 m along the grid from
    # both health stations, five from every fitness ground (see test_report)
    assert comm["缺少的设施（户数）"].iloc[0] == "社区卫生服务站: 600; 室外健身场地: 600"
    homes = pd.read_csv(tmp_path / "homes.csv", encoding="utf-8-sig")
    assert {"经度", "纬度", "覆盖状态", "至社区卫生服务站步行距离（米）"} <= set(homes.columns)
    assert homes["经度"].between(103, 104).all()  # Leshan
    district = pd.read_csv(tmp_path / "district.csv", encoding="utf-8-sig")
    urban = district[district["指标"] == "城市社区综合服务设施覆盖率"].iloc[0]
    # 2 of 3 urban communities have a community service facility (C2 none), target 100 %
    assert urban["数值（比例为0–1）"] == 0.6667 and urban["单位"] == "比例（0–1）"
    assert urban["是否达标"] == "否" and urban["可信度"] == "C1 官方原文"


def test_xlsx_number_formats_codes_filters_and_dictionary(analysis, tmp_path: Path) -> None:
    path = export.write_results(analysis, tmp_path, formats=("xlsx",), lang="zh")["xlsx"][0]
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [
        "指标达标", "汇总", "社区", "覆盖最差社区", "设施", "住户点", "数据修复", "数据字典",
    ]  # fmt: skip
    ws = wb["社区"]
    headers = [c.value for c in ws[1]]
    assert headers[:3] == ["社区编号", "名称", "户数"]
    code = ws.cell(row=2, column=1)
    assert code.value == "511102001001" and code.data_type == "s" and code.number_format == "@"
    share = ws.cell(row=2, column=headers.index("全部设施覆盖户数比例（0–1，显示为%）") + 1)
    assert share.number_format == "0.0%" and 0 <= share.value <= 1
    area = ws.cell(row=2, column=headers.index("每百户社区综合服务设施面积（m²/百户）") + 1)
    # C1: its station's 400 m² (the street centre is not counted) / 1,200 households × 100
    assert area.number_format == "#,##0.0" and area.value == pytest.approx(33.3)
    assert ws.cell(row=2, column=3).number_format == "#,##0"  # households
    assert ws.freeze_panes == "C2"  # header row and the id and name columns stay in view
    assert ws.auto_filter.ref == ws.dimensions
    homes = wb["住户点"]
    h = [c.value for c in homes[1]]
    dist = homes.cell(row=2, column=h.index("至社区卫生服务站步行距离（米）") + 1)
    assert dist.number_format == "#,##0.0" and dist.value == round(dist.value, 1)
    # district: shares are fractions shown as per cent, counts as whole numbers
    d = wb["汇总"]
    indicators = [d.cell(row=r, column=1).value for r in range(2, 11)]
    formats = [d.cell(row=r, column=2).number_format for r in range(2, 11)]
    # households; four household shares; urban, rural coverage and area pass; m²/100 hh
    assert formats == ["#,##0"] + ["0.0%"] * 7 + ["#,##0.0"], indicators
    dictionary = pd.DataFrame(wb["数据字典"].values)
    dictionary = dictionary.iloc[1:].set_axis(dictionary.iloc[0].tolist(), axis=1)
    field = (dictionary["表"] == "communities") & (dictionary["字段名"] == "share_covered_all")
    row = dictionary[field]
    assert row.iloc[0]["中文名称"] == "全部设施覆盖户数比例（0–1）"
    assert row.iloc[0]["说明"] == "比例以0–1的小数存储，表格中以百分比格式显示"
    assert set(dictionary["表"]) == set(TABLES)


def test_geopackage_styles_qml_and_sld(analysis, tmp_path: Path) -> None:
    gpkg = export.write_results(analysis, tmp_path, formats=("gpkg",), lang="zh")["gpkg"][0]
    with sqlite3.connect(gpkg) as con:
        kinds = dict(con.execute("select table_name, data_type from gpkg_contents").fetchall())
        styles = con.execute(
            "select f_table_name, f_geometry_column, styleQML, styleSLD, useAsDefault "
            "from layer_styles order by id"
        ).fetchall()
    assert kinds["layer_styles"] == "attributes" and kinds["district"] == "attributes"
    assert [s[0] for s in styles] == [
        "communities", "homes", "facilities", "service_areas", "walk_network",
    ]  # fmt: skip
    assert all(s[1] == "geom" and s[4] == 1 for s in styles)
    qml = ET.fromstring(styles[0][2].split("\n", 1)[1])
    renderer = qml.find("renderer-v2")
    assert renderer.get("type") == "graduatedSymbol"
    assert renderer.get("attr") == "share_covered_all"
    # fixed 20 % steps over 0–100 %, never quantiles of four communities
    ranges = [(float(r.get("lower")), float(r.get("upper"))) for r in renderer.iter("range")]
    assert ranges == [(0.0, 0.2), (0.2, 0.4), (0.4, 0.6), (0.6, 0.8), (0.8, 1.0)]
    aliases = {a.get("field"): a.get("name") for a in qml.findall("aliases/alias")}
    assert aliases["hh_underserved"] == "服务不足户数" and aliases["fid"] == "要素编号"
    ns = {"se": "http://www.opengis.net/se", "ogc": "http://www.opengis.net/ogc"}
    for layer, _, qml_text, sld, _ in styles:
        root = ET.fromstring(sld.split("\n", 1)[1])
        rules = root.findall(".//se:Rule", ns)
        q = ET.fromstring(qml_text.split("\n", 1)[1]).find("renderer-v2")
        n_qml = len(q.findall("ranges/range")) + len(q.findall("categories/category"))
        if q.get("type") == "singleSymbol":  # the street lines: one symbol, one rule
            assert layer == "walk_network"
            n_qml = 1
        assert len(rules) == n_qml > 0, layer  # one SLD rule per QGIS class
    homes_sld = ET.fromstring(styles[1][3].split("\n", 1)[1])
    values = [e.text for e in homes_sld.findall(".//ogc:Literal", ns)]
    assert values == ["covered", "underserved", "off_network"]
    titles = [e.text for e in homes_sld.findall(".//se:Rule/se:Name", ns)]
    assert titles == ["全部覆盖", "服务不足", "未接入路网"]


def test_service_areas_and_walk_network_layers(sample, tmp_path: Path) -> None:
    from coverage15.maps import service_areas

    gpkg = export.write_results(sample, tmp_path, formats=("gpkg",))["gpkg"][0]
    sa = gpd.read_file(gpkg, layer="service_areas")
    profile = sample.profile
    assert sa["category"].tolist() == list(profile.required_categories)
    for _, row in sa.iterrows():
        limit = profile.threshold_m(row["category"])
        assert row["threshold_m"] == limit
        fac = sample.facilities[sample.facilities["category"] == row["category"]]
        direct = service_areas(
            sample.network, fac, minutes=[limit / profile.speed()],
            speed_m_per_min=profile.speed(),
        )  # fmt: skip
        assert row.geometry.area == pytest.approx(direct.geometry.iloc[0].area, rel=1e-6)
        assert row["facilities"] == len(fac)
    streets = gpd.read_file(gpkg, layer="walk_network")
    assert len(streets) == len(sample.network.street_geometries)
    assert streets["length_m"].sum() == pytest.approx(streets.length.sum(), abs=0.05 * len(streets))
    with sqlite3.connect(gpkg) as con:
        named = [r[0] for r in con.execute("select f_table_name from layer_styles order by id")]
    assert named == ["communities", "homes", "facilities", "service_areas", "walk_network"]


def test_no_machine_path_in_any_output(sample, tmp_path: Path) -> None:
    out = tmp_path / "out"
    export.write_results(sample, out, formats=("gpkg", "csv", "xlsx", "geojson"), lang="zh")
    sources = {str(Path(p).parent) for p in sample.inputs} | {str(out), str(Path.cwd())}
    import zipfile

    for f in out.iterdir():
        if f.suffix == ".xlsx":
            with zipfile.ZipFile(f) as z:
                data = b"".join(z.read(n) for n in z.namelist())
        else:
            data = f.read_bytes()
        for s in sources:
            assert s.encode() not in data, (f.name, s)
    rep = pd.read_csv(out / "repairs.csv", encoding="utf-8-sig")
    assert rep["文件"].tolist()[:2] == ["facilities.geojson", "facilities.geojson"]


def test_geojson_is_wgs84(analysis, tmp_path: Path) -> None:
    files = export.write_results(analysis, tmp_path, formats=("geojson",))["geojson"]
    assert [p.name for p in files] == ["communities.geojson", "homes.geojson", "facilities.geojson"]
    comm = gpd.read_file(tmp_path / "communities.geojson")
    assert comm.crs.to_epsg() == 4326
    x0, y0, x1, y1 = comm.total_bounds
    assert 103 < x0 < x1 < 104 and 29 < y0 < y1 < 30
    assert "share_covered_all" in comm.columns and comm["name"].iloc[0] == "嘉州社区"


def test_round_frame_precision() -> None:
    df = pd.DataFrame(
        {
            "community_id": [511102001004.0, np.nan],
            "share__pharmacy": [0.123456, 1.0],
            "time_min__pharmacy": [4.34, 12.06],
            "population": [10640.0, np.nan],
            "lon": [103.7612345678, 103.0],
        }
    )
    out = export.round_frame(df)
    assert out["community_id"].tolist() == ["511102001004", None]
    assert out["share__pharmacy"].tolist() == [0.1235, 1.0]
    assert out["time_min__pharmacy"].tolist() == [4.3, 12.1]
    assert out["population"].tolist() == [10640, pd.NA]
    assert out["lon"].tolist() == [103.761235, 103.0]


def test_failed_write_leaves_no_file(analysis, tmp_path: Path, monkeypatch) -> None:
    calls = {"n": 0}
    real = pyogrio.write_dataframe

    def fail_on_third_layer(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(pyogrio, "write_dataframe", fail_on_third_layer)
    with pytest.raises(OSError, match="disk full"):
        export.write_results(analysis, tmp_path, formats=("gpkg",))
    assert list(tmp_path.iterdir()) == []  # neither the GeoPackage nor a temporary file


def test_failed_rewrite_keeps_the_previous_file(analysis, tmp_path: Path, monkeypatch) -> None:
    export.write_results(analysis, tmp_path, formats=("csv",))
    before = (tmp_path / "homes.csv").read_bytes()

    def half_written(self, path, *args, **kwargs):
        Path(path).write_text("社区编号,名")
        raise RuntimeError("killed")

    monkeypatch.setattr(pd.DataFrame, "to_csv", half_written)
    with pytest.raises(RuntimeError, match="killed"):
        export.write_results(analysis, tmp_path, formats=("csv",))
    assert (tmp_path / "homes.csv").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"{n}.csv" for n in TABLES] + ["data_dictionary.csv"]
    )


def test_never_overwrites_an_input_file(analysis, tmp_path: Path) -> None:
    source = tmp_path / "communities.geojson"
    source.write_text('{"type": "FeatureCollection", "features": []}')
    analysis.report = ValidationReport(source=str(source))
    with pytest.raises(InputError, match="input file"):
        export.write_results(analysis, tmp_path, formats=("csv", "geojson"))
    assert source.read_text() == '{"type": "FeatureCollection", "features": []}'
    assert [p.name for p in tmp_path.iterdir()] == ["communities.geojson"]  # nothing written
    out = export.write_results(analysis, tmp_path / "out", formats=("geojson",))
    assert out["geojson"][0].parent == tmp_path / "out"


def test_unknown_format(analysis, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="shp"):
        export.write_results(analysis, tmp_path, formats=("shp",))
