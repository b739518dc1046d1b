"""Exports: GeoPackage round trip with QGIS styles, CSV/XLSX headers, GeoJSON, atomic writes."""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import pytest

from conftest import synthetic_analysis
from coverage15 import InputError, export
from coverage15.validation import ValidationReport


@pytest.fixture
def analysis():
    return synthetic_analysis()


def test_geopackage_round_trip(analysis, tmp_path: Path) -> None:
    out = export.write_results(analysis, tmp_path, formats=("gpkg",))
    gpkg = out["gpkg"][0]
    layers = dict(pyogrio.list_layers(gpkg).tolist())
    assert layers == {
        "communities": "Polygon",
        "homes": "Point",
        "facilities": "Point",
        "district": None,
        "worst": None,
        "repairs": None,
        "layer_styles": None,
    }
    for name in ("communities", "homes", "facilities"):
        back = gpd.read_file(gpkg, layer=name)
        original = getattr(analysis, name)
        # stable English names, same order (GDAL puts the geometry last)
        assert [c for c in back.columns if c != "geometry"] == [
            c for c in original.columns if c != "geometry"
        ]
        assert back.crs == original.crs and len(back) == len(original)
    comm = gpd.read_file(gpkg, layer="communities")
    pd.testing.assert_series_equal(
        comm["share_covered_all"], analysis.communities["share_covered_all"], check_names=False
    )
    assert comm["name"].tolist() == analysis.communities["name"].tolist()  # Chinese kept
    assert comm["area_pass"].dtype == bool
    district = pyogrio.read_dataframe(gpkg, layer="district")
    assert list(district.columns) == list(analysis.district.columns)
    assert district["confidence"].tolist() == analysis.district["confidence"].tolist()


def test_geopackage_has_qgis_layer_styles(analysis, tmp_path: Path) -> None:
    gpkg = export.write_results(analysis, tmp_path, formats=("gpkg",), lang="zh")["gpkg"][0]
    with sqlite3.connect(gpkg) as con:
        kinds = dict(con.execute("select table_name, data_type from gpkg_contents").fetchall())
        styles = con.execute(
            "select f_table_name, f_geometry_column, styleName, styleQML, useAsDefault "
            "from layer_styles order by id"
        ).fetchall()
    assert kinds["layer_styles"] == "attributes" and kinds["district"] == "attributes"
    assert [s[0] for s in styles] == ["communities", "homes", "facilities"]
    assert all(s[1] == "geom" and s[4] == 1 for s in styles)
    qml = ET.fromstring(styles[0][3].split("\n", 1)[1])
    renderer = qml.find("renderer-v2")
    assert renderer.get("type") == "graduatedSymbol"
    assert renderer.get("attr") == "share_covered_all"
    assert len(renderer.findall("ranges/range")) == len(renderer.findall("symbols/symbol")) >= 3
    aliases = {a.get("field"): a.get("name") for a in qml.findall("aliases/alias")}
    assert aliases["hh_underserved"] == "服务不足户数" and aliases["fid"] == "要素编号"
    homes = ET.fromstring(styles[1][3].split("\n", 1)[1]).find("renderer-v2")
    assert homes.get("type") == "categorizedSymbol" and homes.get("attr") == "status"


def test_csv_chinese_headers_with_bom(analysis, tmp_path: Path) -> None:
    files = export.write_results(analysis, tmp_path, formats=("csv",), lang="zh")["csv"]
    assert sorted(p.name for p in files) == sorted(
        f"{n}.csv" for n in ("communities", "homes", "facilities", "district", "worst", "repairs")
    )
    raw = (tmp_path / "communities.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    comm = pd.read_csv(tmp_path / "communities.csv", encoding="utf-8-sig")
    assert list(comm.columns[:5]) == ["社区编号", "名称", "户数", "人口", "类型"]
    assert "服务不足户数" in comm.columns and "每百户社区综合服务设施面积" in comm.columns
    assert comm["类型"].tolist() == ["城市", "城市", "城市", "农村"]
    assert comm["缺少的设施（户数）"].iloc[0] == "社区卫生服务站: 600; 室外健身场地: 600"
    homes = pd.read_csv(tmp_path / "homes.csv", encoding="utf-8-sig")
    assert {"经度", "纬度", "覆盖状态"} <= set(homes.columns)
    assert homes["经度"].between(103, 104).all()  # Leshan
    district = pd.read_csv(tmp_path / "district.csv", encoding="utf-8-sig")
    urban = district[district["指标"] == "城市社区综合服务设施覆盖率"].iloc[0]
    assert urban["数值"] == pytest.approx(66.67) and urban["单位"] == "%"  # 2 of 3, 2 decimals
    assert urban["是否达标"] == "否（目标未核实）" and urban["可信度"] == "R 未核实"


def test_csv_and_xlsx_english_headers(analysis, tmp_path: Path) -> None:
    export.write_results(analysis, tmp_path, formats=("csv", "xlsx"), lang="en")
    comm = pd.read_csv(tmp_path / "communities.csv", encoding="utf-8-sig")
    assert list(comm.columns[:3]) == ["Community ID", "Name", "Households"]
    wb = openpyxl.load_workbook(tmp_path / "coverage15_results.xlsx", read_only=True)
    assert wb.sheetnames == [
        "District",
        "Communities",
        "Worst communities",
        "Facilities",
        "Homes",
        "Data repairs",
    ]


def test_xlsx_chinese_sheets_and_headers(analysis, tmp_path: Path) -> None:
    path = export.write_results(analysis, tmp_path, formats=("xlsx",), lang="zh")["xlsx"][0]
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["汇总", "社区", "覆盖最差社区", "设施", "住户点", "数据修复"]
    ws = wb["社区"]
    headers = [c.value for c in ws[1]]
    assert headers[:3] == ["社区编号", "名称", "户数"]
    share_col = headers.index("全部设施覆盖户数比例") + 1
    assert ws.cell(row=2, column=share_col).number_format == "0.0%"
    assert ws.cell(row=2, column=2).value == "嘉州社区"


def test_geojson_is_wgs84(analysis, tmp_path: Path) -> None:
    files = export.write_results(analysis, tmp_path, formats=("geojson",))["geojson"]
    assert [p.name for p in files] == ["communities.geojson", "homes.geojson", "facilities.geojson"]
    comm = gpd.read_file(tmp_path / "communities.geojson")
    assert comm.crs.to_epsg() == 4326
    x0, y0, x1, y1 = comm.total_bounds
    assert 103 < x0 < x1 < 104 and 29 < y0 < y1 < 30
    assert "share_covered_all" in comm.columns and comm["name"].iloc[0] == "嘉州社区"


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
        f"{n}.csv" for n in ("communities", "homes", "facilities", "district", "worst", "repairs")
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
