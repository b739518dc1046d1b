"""Loaders: column mapping, formats, and every error / repair path with its message."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from coverage15 import InputError
from coverage15.io import load_buildings, load_communities, load_facilities, read_layer

CRS = "EPSG:4547"  # CGCS2000 3-degree Gauss-Kruger CM 114E (metres)


def _communities(**overrides) -> gpd.GeoDataFrame:
    data = {
        "社区代码": ["511102001", "511102002", "511102003"],
        "社区名称": ["嘉州社区", "海棠社区", "青江村"],
        "户数": [1200, 800, 300],
        "人口": [3400, 2300, 900],
        "类型": ["城市社区", "城市社区", "农村社区"],
    }
    data.update(overrides)
    geoms = [
        shapely.box(0, 0, 100, 100),
        shapely.box(100, 0, 200, 100),
        shapely.box(200, 0, 300, 100),
    ]
    return gpd.GeoDataFrame(data, geometry=geoms, crs=CRS)


def _facilities(**overrides) -> gpd.GeoDataFrame:
    data = {
        "设施编号": ["F1", "F2", "F3", "F4"],
        "设施名称": ["嘉州幼儿园", "海棠农贸市场", "青江村卫生室", "嘉州社区服务站"],
        "类别": ["幼儿园", "农贸市场", "卫生室", "社区服务站"],
        "建筑面积": [1200.0, 800.0, 60.0, 400.0],
    }
    data.update(overrides)
    geoms = [
        shapely.Point(50, 50),
        shapely.Point(150, 50),
        shapely.Point(250, 50),
        shapely.Point(20, 20),
    ]
    return gpd.GeoDataFrame(data, geometry=geoms, crs=CRS)


# --------------------------------------------------------------------------- communities


def test_communities_chinese_columns_are_recognised(tmp_path: Path) -> None:
    path = tmp_path / "c.gpkg"
    _communities().to_file(path)
    c = load_communities(path)
    assert list(c.columns[:5]) == ["community_id", "name", "households", "population", "kind"]
    assert c["community_id"].tolist() == ["511102001", "511102002", "511102003"]
    assert c["households"].tolist() == [1200, 800, 300]
    assert c["households"].dtype == np.int64
    assert c["kind"].tolist() == ["urban", "urban", "rural"]
    assert c.crs.to_epsg() == 4547
    assert c.attrs["report"].findings == []


def test_communities_column_mapping_by_argument() -> None:
    g = _communities().rename(columns={"户数": "HH_2020", "社区代码": "code2"})
    with pytest.raises(InputError, match=r"missing required column\(s\) \['households'\]"):
        load_communities(g)
    c = load_communities(g, households="HH_2020", community_id="code2")
    assert c["households"].sum() == 2300


def test_communities_households_text_is_parsed_but_words_are_errors() -> None:
    c = load_communities(_communities(户数=["1,200", "800户", " 300 "]))
    assert c["households"].tolist() == [1200, 800, 300]
    with pytest.raises(InputError) as err:
        load_communities(_communities(户数=["1200", "many", "300"]))
    msg = str(err.value)
    assert "column '户数'" in msg and "row(s) 2" in msg and "not numbers" in msg and "many" in msg


def test_communities_negative_and_missing_households_are_errors() -> None:
    with pytest.raises(InputError, match=r"column '户数', row\(s\) 3: values are negative"):
        load_communities(_communities(户数=[1200, 800, -5]))
    with pytest.raises(InputError, match=r"row\(s\) 1: values are missing"):
        load_communities(_communities(户数=[np.nan, 800, 300]))


def test_communities_fractional_households_rounded_and_counted() -> None:
    c = load_communities(_communities(户数=[1200.4, 800, 299.6]))
    assert c["households"].tolist() == [1200, 800, 300]
    assert c.attrs["report"].rows("fractional_households") == [1, 3]


def test_communities_duplicate_ids_are_an_error_naming_rows() -> None:
    with pytest.raises(InputError, match=r"row\(s\) 1, 3: duplicate ids \['511102001'\]"):
        load_communities(_communities(社区代码=["511102001", "511102002", "511102001"]))


def test_communities_invalid_repaired_empty_dropped_and_counted() -> None:
    g = _communities()
    bowtie = shapely.Polygon([(200, 0), (300, 100), (300, 0), (200, 100)])
    g.loc[2, "geometry"] = bowtie
    g = pd.concat([g, _communities().iloc[[0]].assign(社区代码="X", geometry=[None])])
    c = load_communities(g.reset_index(drop=True))
    report = c.attrs["report"]
    assert report.rows("invalid_geometry") == [3]
    assert report.rows("empty_geometry") == [4]
    assert report.n_dropped == 1 and report.n_repaired == 1
    assert len(c) == 3
    assert c.geometry.is_valid.all()
    assert c.geometry.iloc[2].area == pytest.approx(5000.0)  # two triangles of 2500 m²
    assert "empty_geometry" in str(report)


def test_communities_kind_inferred_from_village_names_and_bad_values_rejected() -> None:
    c = load_communities(_communities().drop(columns=["类型"]))
    assert c["kind"].tolist() == ["urban", "urban", "rural"]
    assert any(f.kind == "kind_inferred" for f in c.attrs["report"].findings)
    with pytest.raises(InputError, match=r"row\(s\) 2: urban/rural values not recognised"):
        load_communities(_communities(类型=["城市社区", "半城市", "农村社区"]))


def _short_names(g: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Shapefile field names hold 10 bytes: 4 Chinese characters in GBK, 3 in UTF-8."""
    return g.rename(columns={"社区代码": "代码", "社区名称": "名称"})


def test_missing_crs_refused_unless_given(tmp_path: Path) -> None:
    path = tmp_path / "noprj.shp"
    _short_names(_communities()).to_file(path, encoding="UTF-8")
    path.with_suffix(".prj").unlink()
    with pytest.raises(InputError, match=r"noprj.shp: the layer has no coordinate reference"):
        load_communities(path)
    c = load_communities(path, crs=CRS)
    assert c.crs.to_epsg() == 4547


def test_shapefile_with_gbk_dbf_and_no_cpg(tmp_path: Path) -> None:
    path = tmp_path / "gbk.shp"
    _communities().to_file(path, encoding="GBK")  # 社区代码 is 8 bytes in GBK: fits
    cpg = path.with_suffix(".cpg")
    if cpg.exists():
        cpg.unlink()
    raw = path.with_suffix(".dbf").read_bytes()
    assert "嘉州社区".encode("gbk") in raw  # really GBK on disk
    c = load_communities(path)
    assert c["name"].tolist() == ["嘉州社区", "海棠社区", "青江村"]
    assert c["households"].tolist() == [1200, 800, 300]
    assert "read as GBK" in str(c.attrs["report"])


def test_missing_file_and_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope.gpkg: file not found"):
        load_communities(tmp_path / "nope.gpkg")
    bad = tmp_path / "broken.gpkg"
    bad.write_bytes(b"this is not a geopackage")
    with pytest.raises(InputError, match=r"broken.gpkg: cannot open as a GIS layer"):
        load_communities(bad)


# --------------------------------------------------------------------------- facilities


def test_facilities_aliases_map_to_catalogue_keys() -> None:
    f = load_facilities(_facilities())
    assert f["category"].tolist() == [
        "kindergarten",
        "wet_market",
        "health_station",
        "community_service_station",
    ]
    assert f["category_raw"].tolist()[1] == "农贸市场"
    assert f["floor_area_m2"].tolist() == [1200.0, 800.0, 60.0, 400.0]


def test_facilities_unknown_category_error_lists_values_and_hints() -> None:
    g = _facilities(类别=["幼儿园", "社区卫生站", "网吧", "社区服务站"])
    with pytest.raises(InputError) as err:
        load_facilities(g)
    msg = str(err.value)
    assert "column '类别'" in msg and "row(s) 2, 3" in msg
    assert "'社区卫生站' (nearest: 'health_station')" in msg
    assert "'网吧'" in msg


def test_facilities_unknown_category_drop_and_keep_are_counted() -> None:
    g = _facilities(类别=["幼儿园", "网吧", None, "社区服务站"])
    dropped = load_facilities(g, unknown_categories="drop")
    assert len(dropped) == 2
    rep = dropped.attrs["report"]
    assert rep.rows("unknown_category") == [2] and rep.rows("missing_category") == [3]
    assert rep.n_dropped == 2
    kept = load_facilities(g, unknown_categories="keep")
    assert len(kept) == 4 and kept["category"].isna().sum() == 2
    assert kept.attrs["report"].count("flagged") == 2
    mapped = load_facilities(g, categories={"网吧": "cultural_station"}, unknown_categories="drop")
    assert mapped["category"].tolist() == [
        "kindergarten",
        "cultural_station",
        "community_service_station",
    ]


def test_facilities_category_mapping_must_name_real_keys() -> None:
    with pytest.raises(
        InputError, match=r"'kindergarden' is not a category key; did you mean 'kindergarten'"
    ):
        load_facilities(_facilities(), categories={"幼儿园": "kindergarden"})


def test_facilities_outside_communities_kept_and_flagged() -> None:
    c = load_communities(_communities())
    g = _facilities()
    g.loc[3, "geometry"] = shapely.Point(500, 500)
    f = load_facilities(g, communities=c)
    assert f["community_id"].tolist()[:3] == ["511102001", "511102002", "511102003"]
    assert pd.isna(f["community_id"].iloc[3])
    assert f.attrs["report"].rows("outside_communities") == [4]
    assert len(f) == 4


def test_facilities_polygons_become_points_with_footprint_area() -> None:
    g = _facilities(建筑面积=[1200.0, None, 60.0, None])
    g.loc[1, "geometry"] = shapely.box(120, 20, 140, 40)  # 400 m² footprint, no floor area
    f = load_facilities(g)
    assert f.geometry.geom_type.eq("Point").all()
    assert f["floor_area_m2"].iloc[1] == pytest.approx(400.0, rel=1e-3)
    assert f["area_source"].tolist() == ["input", "footprint", "input", "missing"]
    rep = f.attrs["report"]
    assert rep.rows("floor_area_from_footprint") == [2]
    assert rep.rows("missing_floor_area") == [4]


def test_facilities_duplicate_ids_renamed_and_counted() -> None:
    f = load_facilities(_facilities(设施编号=["F1", "F1", "F3", None]))
    assert f["facility_id"].tolist() == ["F1", "F1#2", "F3", "F4"]
    rep = f.attrs["report"]
    assert rep.rows("duplicate_id") == [2] and rep.rows("missing_id") == [4]


def test_facilities_negative_area_is_an_error() -> None:
    with pytest.raises(InputError, match=r"column '建筑面积', row\(s\) 2: values are negative"):
        load_facilities(_facilities(建筑面积=[1.0, -3.0, 1.0, 1.0]))


def test_facilities_lines_are_dropped_and_counted() -> None:
    g = _facilities()
    g.loc[2, "geometry"] = shapely.LineString([(0, 0), (1, 1)])
    f = load_facilities(g)
    assert len(f) == 3 and f.attrs["report"].rows("wrong_geometry_type") == [3]


def test_csv_with_lon_lat_is_read_as_wgs84_and_said_so(tmp_path: Path) -> None:
    path = tmp_path / "poi.csv"
    path.write_text(
        "名称,类别,经度,纬度,建筑面积\n"
        "嘉州幼儿园,幼儿园,103.7612,29.5523,1300\n"
        "白塔药店,药店,103.7650,29.5540,\n"
        "无坐标药店,药店,,,80\n",
        encoding="utf-8",
    )
    f = load_facilities(path)
    assert f.crs.to_epsg() == 4326
    assert f.geometry.x.tolist() == [103.7612, 103.7650]
    rep = f.attrs["report"]
    assert rep.rows("missing_coordinates") == [3]
    assert "read as WGS84" in str(rep)


def test_csv_in_gbk_with_projected_xy_needs_crs(tmp_path: Path) -> None:
    path = tmp_path / "poi_gbk.csv"
    text = "设施名称,类别,x,y\n幼儿园一,幼儿园,38512345.1,3270123.4\n"
    path.write_bytes(text.encode("gbk"))
    with pytest.raises(
        InputError, match=r"poi_gbk.csv, column 'x/y': coordinates in 'x'/'y' have no"
    ):
        load_facilities(path)
    f = load_facilities(path, crs="EPSG:4522")
    assert f["name"].tolist() == ["幼儿园一"] and f.crs.to_epsg() == 4522


def test_csv_with_wkt(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(
        'name,households,wkt\n甲社区,100,"POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0))"\n'
        '乙社区,50,"POLYGON ((10 0, 20 0"\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="WKT geometry but no coordinate reference system"):
        load_communities(path)
    c = load_communities(path, crs=CRS)
    assert c["name"].tolist() == ["甲社区"]
    rep = c.attrs["report"]
    assert rep.rows("unreadable_wkt") == [2] and rep.rows("empty_geometry") == [2]


def test_read_layer_keeps_declared_crs_and_notes_ignored_argument(tmp_path: Path) -> None:
    path = tmp_path / "c.gpkg"
    _communities().to_file(path)
    from coverage15.validation import ValidationReport

    rep = ValidationReport()
    gdf = read_layer(path, crs="EPSG:4326", report=rep)
    assert gdf.crs.to_epsg() == 4547
    assert rep.findings[0].kind == "crs_ignored"


# --------------------------------------------------------------------------- buildings


def test_buildings_levels_default_and_residential_filter() -> None:
    g = gpd.GeoDataFrame(
        {"楼层": [10, None, 3, 0], "用途": ["住宅", "住宅", "商业", "住宅"]},
        geometry=[shapely.box(0, 0, 10, 20)] * 4,
        crs=CRS,
    )
    b = load_buildings(g, default_levels=4)
    assert b["levels"].tolist() == [10, 4, 4]
    assert b["footprint_m2"].tolist() == pytest.approx([200.0] * 3)
    assert b["floor_area_m2"].tolist() == pytest.approx([2000.0, 800.0, 800.0])
    rep = b.attrs["report"]
    assert rep.rows("missing_levels") == [2, 4]
    assert rep.rows("non_residential") == [3]


def test_buildings_levels_written_with_units() -> None:
    g = gpd.GeoDataFrame(
        {"楼层": ["6层", "18 层", "3"], "用途": ["住宅"] * 3},
        geometry=[shapely.box(0, 0, 10, 20)] * 3,
        crs=CRS,
    )
    assert load_buildings(g)["levels"].tolist() == [6, 18, 3]


def test_gcj02_csv_is_converted_to_wgs84(tmp_path: Path) -> None:
    from coverage15.crs import wgs84_to_gcj02

    lon, lat = wgs84_to_gcj02(103.7656, 29.5521)  # a point in Leshan as Amap gives it
    path = tmp_path / "amap.csv"
    path.write_text(f"名称,类别,经度,纬度\n药店,药店,{lon},{lat}\n", encoding="utf-8")
    f = load_facilities(path, crs="gcj02")
    assert f.crs.to_epsg() == 4326
    assert f.geometry.x[0] == pytest.approx(103.7656, abs=1e-7)
    assert f.geometry.y[0] == pytest.approx(29.5521, abs=1e-7)
    assert "converted from GCJ02 to WGS84" in str(f.attrs["report"])


def test_negative_coordinates_are_coordinates_not_counts(tmp_path):
    """West of Greenwich, south of the equator and negative projected metres all load."""
    from coverage15.io import load_facilities

    ll = tmp_path / "porto.csv"
    ll.write_text("name,category,lon,lat\nA,pharmacy,-8.61,41.15\nB,pharmacy,-8.60,-41.1\n")
    f = load_facilities(ll)
    assert f.geometry.x.round(2).tolist() == [-8.61, -8.6]
    assert f.geometry.y.round(2).tolist() == [41.15, -41.1]
    xy = tmp_path / "porto_3857.csv"
    xy.write_text("name,category,x,y\nA,pharmacy,-961000,5034000\n")
    assert load_facilities(xy, crs="EPSG:3857").geometry.x.tolist() == [-961000.0]


def test_unknown_categories_policy_is_checked(tmp_path):
    from coverage15.io import load_facilities

    path = tmp_path / "f.csv"
    path.write_text("name,category,lon,lat\nA,幼儿圆,103.76,29.55\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"f\.csv.*'raise', 'drop' or 'keep', got 'skip'"):
        load_facilities(path, unknown_categories="skip")
    with pytest.raises(InputError, match="--unknown-categories"):
        load_facilities(path)


# --------------------------------------------------------------------------- issue 19


def _csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_facilities_with_no_usable_record_are_refused_naming_the_file(tmp_path: Path) -> None:
    header = _csv(tmp_path / "设施.csv", "名称,类别,lon,lat\n")
    with pytest.raises(InputError, match="header only") as info:
        load_facilities(header)
    assert info.value.source == str(header)
    no_xy = _csv(tmp_path / "no_xy.csv", "名称,类别,lon,lat\n甲,幼儿园,,\n乙,药店,,\n")
    with pytest.raises(InputError, match="every record lacks coordinates") as info:
        load_facilities(no_xy)
    assert info.value.source == str(no_xy)
    null = gpd.GeoDataFrame({"类别": ["幼儿园", "药店"]}, geometry=[None, None], crs=CRS)
    null.to_file(tmp_path / "null.gpkg")
    with pytest.raises(InputError, match="no usable facilities") as info:
        load_facilities(tmp_path / "null.gpkg")
    assert "null.gpkg" in str(info.value) and "empty_geometry  2 row(s) [1, 2]" in str(info.value)


def test_required_category_without_facilities_is_a_loud_warning_and_a_finding() -> None:
    from coverage15._errors import MissingCategoryWarning
    from coverage15.standards import load_profile
    from coverage15.validation import ValidationReport, check_required_categories

    profile = load_profile("gb50180_2018")
    required = [k for k, r in profile.requirements.items() if r.required]
    f = load_facilities(_facilities())  # kindergarten, market, clinic, station only
    report = ValidationReport("设施.gpkg")
    with pytest.warns(MissingCategoryWarning, match="设施.gpkg: .* have no facility") as w:
        missing = check_required_categories(f, profile, report, source="设施.gpkg")
    present = set(f["category"])
    assert missing == [c for c in required if c not in present] and missing
    assert "kindergarten" not in missing and "kindergarten" in required
    assert report.findings[0].kind == "category_without_facilities"
    assert list(report.findings[0].rows) == missing
    assert len(w) == 1


def test_row_numbers_are_source_rows_after_drops(tmp_path: Path) -> None:
    # row 2 has no coordinates (dropped); the unknown category is in source row 3
    path = _csv(
        tmp_path / "f.csv",
        "名称,类别,lon,lat\n甲,幼儿园,103.76,29.55\n乙,药店,,\n丙,火星站,103.77,29.56\n",
    )
    with pytest.raises(InputError, match=r"row\(s\) 3:") as info:
        load_facilities(path)
    assert info.value.rows == [3]
    out = load_facilities(path, unknown_categories="keep")
    report = out.attrs["report"]
    assert report.rows("missing_coordinates") == [2]
    assert report.rows("unknown_category") == [3]
    # area errors too: row 3 of the file, although only 2 records are left
    bad_area = _csv(
        tmp_path / "a.csv",
        "名称,类别,建筑面积,lon,lat\n甲,幼儿园,100,103.76,29.55\n乙,药店,5,,\n丙,药店,-4,103.77,29.56\n",
    )
    with pytest.raises(InputError, match="negative") as info:
        load_facilities(bad_area)
    assert info.value.rows == [3]
    # communities: feature 1 has no geometry, feature 3 is outside-of-order duplicate
    c = _communities(社区代码=["511102001", "511102002", "511102002"])
    c.loc[0, "geometry"] = None
    with pytest.raises(InputError, match="duplicate") as info:
        load_communities(c)
    assert info.value.rows == [2, 3]
    # facilities outside communities: source rows, not positions after the drop
    f = _facilities()
    f.loc[0, "geometry"] = None
    f.loc[3, "geometry"] = shapely.Point(900, 900)
    out = load_facilities(f, communities=load_communities(_communities()))
    assert out.attrs["report"].rows("outside_communities") == [4]
    assert out.attrs["report"].rows("empty_geometry") == [1]


def test_dropped_communities_carry_their_households_into_report_and_repairs() -> None:
    c = _communities()
    c.loc[1, "geometry"] = None  # 海棠社区, 800 households, 2,300 residents
    out = load_communities(c)
    report = out.attrs["report"]
    finding = next(f for f in report.findings if f.kind == "empty_geometry")
    assert finding.rows == (2,) and finding.households == 800 and finding.population == 2300
    assert report.households("dropped") == 800
    assert int(out["households"].sum()) + 800 == 1200 + 800 + 300  # in = kept + dropped
    assert "800 households 户, 2,300 residents 人" in str(report)
    assert "dropped 删除 1 record(s) with 800 households 户 (2,300 residents 人)" in str(report)
    frame = report.to_frame()
    assert frame.loc[frame["kind"] == "empty_geometry", "households"].tolist() == [800.0]


def test_validate_exits_1_when_households_are_dropped_unless_allowed(
    tmp_path: Path, capsys
) -> None:
    from coverage15.cli import EXIT_ERROR, EXIT_OK, main

    c = _communities()
    c.loc[0, "geometry"] = shapely.Polygon()
    path = tmp_path / "c.gpkg"
    c.to_file(path)
    assert main(["validate", "--communities", str(path)]) == EXIT_ERROR
    captured = capsys.readouterr()
    assert "1,200 households were dropped" in captured.err and "--allow-drop" in captured.err
    assert "dropped 删除 1 record(s) with 1,200 households 户" in captured.out
    assert main(["validate", "--communities", str(path), "--allow-drop"]) == EXIT_OK
    good = tmp_path / "good.gpkg"
    _communities().to_file(good)
    assert main(["validate", "--communities", str(good)]) == EXIT_OK


def test_overlapping_communities_are_reported_and_double_counting_refused() -> None:
    c = _communities()
    # community 2 now covers half of community 1 (5,000 m² of 10,000 m²)
    c.loc[1, "geometry"] = shapely.box(50, 0, 200, 100)
    out = load_communities(c)
    report = out.attrs["report"]
    [finding] = [f for f in report.findings if f.kind == "overlapping_communities"]
    assert finding.rows == (1, 2) and finding.households == 1200 + 800
    assert "511102001 × 511102002: 5,000 m² (50% of the smaller)" in finding.detail
    pairs = out.attrs["overlaps"]
    assert pairs.values.tolist() == [["511102001", "511102002", 5000.0, 0.5]]
    # a facility in the overlap: ambiguous -> refused, or given to the deeper community
    f = _facilities()
    f.loc[0, "geometry"] = shapely.Point(60, 50)  # 10 m inside B's edge, 40 m inside A's
    with pytest.raises(InputError, match="communities overlap") as info:
        load_facilities(f, communities=out)
    assert info.value.rows == [1]
    ok = load_facilities(f, communities=out, overlaps="largest")
    assert ok["community_id"].tolist()[0] == "511102001"
    assert ok.attrs["report"].rows("assigned_in_overlap") == [1]
    # slivers below the tolerance are not overlaps
    s = _communities()
    s.loc[1, "geometry"] = shapely.box(99.5, 0, 200, 100)  # 50 m²: 0.5 %
    assert "overlapping_communities" not in {
        f.kind for f in load_communities(s).attrs["report"].findings
    }


def test_overlapping_communities_refuse_buildings_unless_largest() -> None:
    from coverage15.homes import homes_from_buildings

    c = _communities()
    c.loc[1, "geometry"] = shapely.box(50, 0, 200, 100)
    comm = load_communities(c)
    b = gpd.GeoDataFrame(
        {"building_id": ["b1", "b2"], "floor_area_m2": [3000.0, 3000.0]},
        # b1 (centre in the overlap) has 800 m² in A, 600 m² in B; b2 lies in B only
        geometry=[shapely.box(40, 40, 80, 60), shapely.box(150, 40, 170, 60)],
        crs=CRS,
    )
    with pytest.raises(InputError, match="lie where communities overlap") as info:
        homes_from_buildings(comm, b)
    assert info.value.rows == ["b1"]
    homes = homes_from_buildings(comm, b, overlaps="largest")
    assert homes.loc[homes["building_id"] == "b1", "community_id"].tolist() == ["511102001"]
    assert homes.attrs["report"].rows("building_in_overlap") == ["b1"]


def test_absurd_households_refused_or_flagged() -> None:
    with pytest.raises(InputError, match="far too large") as info:
        load_communities(_communities(户数=[1200, 1e19, 300]))
    assert info.value.rows == [2] and info.value.column == "户数"
    out = load_communities(_communities(户数=[1200, 1_000_000_000, 300], 人口=[3400, 2300, 900]))
    report = out.attrs["report"]
    assert report.rows("households_look_like_codes") == [2]
    assert report.rows("households_exceed_population") == [2]
    # 1 ha: 2,500 households is beyond the 2,000 per hectare threshold; 1,200 is not
    dense = load_communities(_communities(户数=[2500, 800, 300]))
    [f] = [f for f in dense.attrs["report"].findings if f.kind == "implausible_density"]
    assert f.rows == (1,) and f.households == 2500 and "2,500" in f.detail
    assert int(out["households"].iloc[1]) == 1_000_000_000  # flagged, not changed


def test_households_per_building_beyond_any_dwelling_are_flagged() -> None:
    from coverage15.homes import MIN_FLOOR_M2_PER_HOUSEHOLD, homes_from_buildings

    comm = load_communities(_communities(户数=[1200, 20, 300]))
    b = gpd.GeoDataFrame(
        {"building_id": ["b1", "b2"], "floor_area_m2": [6000.0, 2000.0]},
        geometry=[shapely.box(10, 10, 30, 30), shapely.box(110, 10, 130, 30)],
        crs=CRS,
    )
    homes = homes_from_buildings(comm, b)
    # b1: 6,000 m² for 1,200 households = 5 m² each (< 10); b2: 100 m² each
    [f] = [f for f in homes.attrs["report"].findings if f.kind.startswith("implausible")]
    assert f.rows == ("b1",) and f.households == 1200 and MIN_FLOOR_M2_PER_HOUSEHOLD == 10.0


def test_swapped_lat_lon_is_named_as_such(tmp_path: Path) -> None:
    # Chinese coordinates with the columns swapped: latitude 103 is impossible
    path = _csv(tmp_path / "s.csv", "名称,类别,lon,lat\n甲,幼儿园,29.55,103.76\n")
    with pytest.raises(InputError, match="look swapped") as info:
        load_facilities(path)
    assert info.value.rows == [1]
    # declared geometry with swapped axes
    g = gpd.GeoDataFrame(
        {"类别": ["幼儿园"]}, geometry=[shapely.Point(29.55, 103.76)], crs="EPSG:4326"
    )
    with pytest.raises(InputError, match="axes look swapped"):
        load_facilities(g)
    # both orders plausible (lon 30.2, lat 59.9 vs 59.9, 30.2): checked against communities
    comm = gpd.GeoDataFrame(
        {"户数": [100]}, geometry=[shapely.box(30.0, 59.8, 30.4, 60.0)], crs="EPSG:4326"
    )
    pts = gpd.GeoDataFrame(
        {"类别": ["幼儿园", "药店"]},
        geometry=[shapely.Point(59.9, 30.2), shapely.Point(59.85, 30.1)],
        crs="EPSG:4326",
    )
    with pytest.raises(InputError, match="outside the communities' extent") as info:
        load_facilities(pts, communities=load_communities(comm))
    assert info.value.rows == [1, 2]
    right = pts.set_geometry(gpd.points_from_xy([30.2, 30.1], [59.9, 59.85]), crs="EPSG:4326")
    assert len(load_facilities(right, communities=load_communities(comm))) == 2


def test_zero_byte_csv_and_empty_geojson_messages(tmp_path: Path) -> None:
    empty = tmp_path / "空.csv"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty \\(0 bytes\\)") as info:
        load_facilities(empty)
    assert info.value.source == str(empty)
    blank = _csv(tmp_path / "blank.csv", "\n\n")
    with pytest.raises(InputError, match="no table"):
        load_communities(blank)
    gj = _csv(tmp_path / "e.geojson", '{"type": "FeatureCollection", "features": []}')
    with pytest.raises(InputError, match="no features") as info:
        load_facilities(gj)
    assert "category" not in str(info.value)


def test_utf8_shapefile_with_cut_chinese_field_names(tmp_path: Path) -> None:
    import warnings

    g = gpd.GeoDataFrame(
        {"社区名称全称": ["嘉州社区"], "户数合计值": [1200]},
        geometry=[shapely.box(0, 0, 100, 100)],
        crs=CRS,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # GDAL: field names laundered
        g.to_file(tmp_path / "u.shp", encoding="UTF-8")
    for cpg in (True, False):
        if not cpg:
            (tmp_path / "u.cpg").unlink()
        out = load_communities(tmp_path / "u.shp", households="户数合", name="社区名")
        assert out["name"].tolist() == ["嘉州社区"]  # not GBK mojibake
        report = out.attrs["report"]
        assert next(f.kind for f in report.findings) == "field_names_cut"
        assert "GBK" not in str(report)


def test_tsv_is_read_with_tabs(tmp_path: Path) -> None:
    path = _csv(tmp_path / "f.tsv", "名称\t类别\tlon\tlat\n甲,东\t幼儿园\t103.76\t29.55\n")
    out = load_facilities(path)
    assert out["name"].tolist() == ["甲,东"] and out["category"].tolist() == ["kindergarten"]


def test_long_row_lists_say_where_to_see_them_all() -> None:
    err = InputError("bad", source="f.csv", rows=list(range(1, 31)), column="户数")
    assert "(+20 more; all 30 in the error's .rows)" in str(err)
    assert err.rows == list(range(1, 31))
    c = _communities(户数=[-1, -2, -3])
    with pytest.raises(InputError) as info:
        load_communities(c)
    assert info.value.rows == [1, 2, 3]


def test_snap_and_piece_records_carry_households() -> None:
    from coverage15.validation import ValidationReport

    homes = pd.DataFrame({"home_id": ["H1", "H2", "H3"], "households": [40, 25, 7]})
    report = ValidationReport("analysis")
    report.add_records(
        "home_no_facility_in_piece", "flagged", homes.iloc[[0, 2]], id_column="home_id"
    )
    fac = pd.DataFrame({"facility_id": ["F9"], "category": ["clinic"]})
    report.add_records("facility_beyond_snap_tolerance", "flagged", fac, id_column="facility_id")
    frame = report.to_frame()
    assert frame["rows"].tolist() == [["H1", "H3"], ["F9"]]
    assert frame["households"].tolist()[0] == 47.0 and pd.isna(frame["households"].tolist()[1])


def test_validate_config_fails_on_a_required_category_without_facilities(
    tmp_path: Path, capsys
) -> None:
    from coverage15.cli import EXIT_ERROR, EXIT_OK, main
    from coverage15.datasets import sample_path
    from test_cli import _run_config

    f = gpd.read_file(sample_path("facilities.geojson"))
    kept = f[load_facilities(f)["category"].to_numpy() != "kindergarten"]
    path = tmp_path / "no_kindergarten.geojson"
    kept.to_file(path, driver="GeoJSON")
    config = _run_config(tmp_path, profile="gb50180_2018")
    text = config.read_text(encoding="utf-8")
    text = text.replace(sample_path("facilities.geojson").as_posix(), path.as_posix())
    config.write_text(text, encoding="utf-8")
    import warnings

    from coverage15._errors import MissingCategoryWarning

    with warnings.catch_warnings():
        warnings.simplefilter("always", MissingCategoryWarning)  # printed, as on a terminal
        code = main(["validate", str(config)])
        err = capsys.readouterr().err
        assert code == EXIT_ERROR
        assert "warning: " in err and "have no facility at all" in err  # loud
        assert "required categories without any facility: kindergarten" in err
        assert main(["validate", str(config), "--allow-missing-categories"]) == EXIT_OK


def test_record_unreached_homes_per_category_with_households() -> None:
    from coverage15.validation import ValidationReport, record_unreached

    homes = pd.DataFrame(
        {
            "home_id": ["H1", "H2", "H3", "H4"],
            "households": [40, 25, 7, 3],
            "reach__clinic": ["reached", "no_path", "off_network", "no_path"],
            "reach__market": ["no_path", "beyond_bound", "off_network", "reached"],
        }
    )
    report = ValidationReport("analysis")
    got = record_unreached(homes, ["clinic", "market", "pharmacy"], report)
    assert got == {
        "home_no_facility_in_piece:clinic": 28,
        "home_no_facility_in_piece:market": 40,
        "home_off_network": 7,
    }
    frame = report.to_frame()
    assert frame["rows"].tolist() == [["H2", "H4"], ["H1"], ["H3"]]
    assert frame["column"].tolist() == ["reach__clinic", "reach__market", "geometry"]
    assert frame["households"].tolist() == [28.0, 40.0, 7.0]
    assert report.count("flagged") == 4  # beyond_bound is a distance, not a repair
