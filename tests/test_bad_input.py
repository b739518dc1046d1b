"""Hostile input, property-based: every bad record gives a clear error or a counted repair.

For random layers (hypothesis), loading either raises a coverage15 error that names the
source and column, or returns a layer where kept + dropped = records in, with every dropped
record listed in the report. No internal exception (KeyError, TypeError, GEOSException …)
may escape.
"""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import coverage15 as c15
from coverage15._errors import Coverage15Error, InputError, NetworkError

CRS = "EPSG:4326"
LON, LAT = 103.76, 29.55
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _square(i: int, size: float = 0.002) -> shapely.Polygon:
    x, y = LON + i * size, LAT
    return shapely.box(x, y, x + size, y + size)


geometries = st.one_of(
    st.integers(0, 20).map(_square),
    st.just(
        shapely.Polygon(
            [(LON, LAT), (LON + 0.01, LAT + 0.01), (LON + 0.01, LAT), (LON, LAT + 0.01)]
        )
    ),  # bow-tie: self-intersecting
    st.just(shapely.Polygon()),  # empty
    st.just(None),
    st.just(shapely.Point(LON, LAT)),  # wrong type
    st.just(shapely.LineString([(LON, LAT), (LON + 0.01, LAT)])),
    st.integers(0, 5).map(lambda i: shapely.MultiPolygon([_square(i), _square(i + 10)])),
    st.just(shapely.box(1e9, 1e9, 1e9 + 1, 1e9 + 1)),  # huge coordinates, out of range
)
households = st.one_of(
    st.integers(0, 5000),
    st.integers(-100, -1),
    st.just(float("nan")),
    st.floats(1e12, 1e18),
    st.floats(0, 5000),
    st.sampled_from(["abc", "", "1,200", "三百", None]),
)


def _check_report(out: gpd.GeoDataFrame, n_in: int) -> None:
    report = out.attrs["report"]
    assert len(out) + report.n_dropped == n_in
    dropped_rows = [r for f in report.findings if f.action == "dropped" for r in f.rows]
    assert len(dropped_rows) == report.n_dropped
    assert (
        set(out["households"].map(type)) <= {int, np.int64} or out["households"].dtype.kind in "iu"
    )
    assert (out["households"] >= 0).all()
    assert out.geometry.is_valid.all() and not out.geometry.is_empty.any()


@SETTINGS
@given(st.lists(st.tuples(geometries, households), min_size=1, max_size=8))
def test_communities_hostile_rows(rows) -> None:
    gdf = gpd.GeoDataFrame(
        {"名称": [f"社区{i}" for i in range(len(rows))], "户数": [h for _, h in rows]},
        geometry=[g for g, _ in rows],
        crs=CRS,
    )
    try:
        out = c15.load_communities(gdf, households="户数", name="名称")
    except Coverage15Error as exc:
        message = str(exc)
        assert message.strip()
        assert isinstance(exc, InputError)
        return
    _check_report(out, len(rows))


categories = st.one_of(
    st.sampled_from(["health_station", "社区卫生服务站", "pharmacy", "药店", "幼儿园"]),
    st.sampled_from(["", None, "unknown thing", "卫生站x", "  pharmacy  "]),
    st.text(max_size=6),
)
areas = st.one_of(
    st.floats(0, 5000),
    st.just(float("nan")),
    st.integers(-50, -1),
    st.sampled_from(["80", "八十", None]),
)


@SETTINGS
@given(
    st.lists(st.tuples(categories, areas), min_size=1, max_size=8),
    st.sampled_from(["raise", "drop", "keep"]),
)
def test_facilities_hostile_rows(rows, unknown) -> None:
    gdf = gpd.GeoDataFrame(
        {"类别": [c for c, _ in rows], "建筑面积": [a for _, a in rows]},
        geometry=[shapely.Point(LON + i * 1e-3, LAT) for i in range(len(rows))],
        crs=CRS,
    )
    try:
        out = c15.load_facilities(gdf, unknown_categories=unknown)
    except Coverage15Error as exc:
        assert isinstance(exc, InputError)
        assert exc.column is not None or "类别" in str(exc) or "建筑面积" in str(exc)
        return
    report = out.attrs["report"]
    assert len(out) + report.n_dropped == len(rows)
    if unknown == "drop":
        assert out["category"].notna().all()


def test_missing_and_wrong_crs(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame({"户数": [10]}, geometry=[_square(0)])  # no CRS
    with pytest.raises(InputError, match=r"CRS|coordinate reference system"):
        c15.load_communities(gdf)
    ok = c15.load_communities(gdf, crs=CRS)
    assert len(ok) == 1
    metres = gpd.GeoDataFrame(
        {"户数": [10]}, geometry=[shapely.box(5e5, 3.27e6, 5.01e5, 3.271e6)], crs=CRS
    )  # metres labelled as degrees
    with pytest.raises(InputError, match="out of range") as info:
        c15.load_communities(metres)
    assert info.value.column == "geometry"


def test_duplicate_ids_are_reported(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {"社区代码": ["A", "A", "B"], "户数": [10, 20, 30]},
        geometry=[_square(0), _square(1), _square(2)],
        crs=CRS,
    )
    try:
        out = c15.load_communities(gdf, community_id="社区代码")
    except InputError as exc:
        assert "社区代码" in str(exc) or exc.column == "社区代码"
        return
    assert len(out) + out.attrs["report"].n_dropped == 3
    assert out.attrs["report"].count(kind=None) >= 1


def test_corrupt_geopackage_and_empty_layers(tmp_path: Path) -> None:
    good = tmp_path / "c.gpkg"
    gpd.GeoDataFrame({"户数": [10]}, geometry=[_square(0)], crs=CRS).to_file(good)
    broken = tmp_path / "broken.gpkg"
    broken.write_bytes(good.read_bytes()[:2000])
    with pytest.raises(InputError, match=r"broken\.gpkg"):
        c15.load_communities(broken)
    not_gpkg = tmp_path / "text.gpkg"
    not_gpkg.write_text("hello")
    with pytest.raises(InputError, match=r"text\.gpkg"):
        c15.load_communities(not_gpkg)
    empty = gpd.GeoDataFrame({"户数": []}, geometry=[], crs=CRS)
    with pytest.raises(InputError):
        c15.load_communities(empty)
    assert sqlite3 and math  # modules used above


def test_truncated_osm_and_no_walkable_ways(tmp_path: Path) -> None:
    from coverage15.datasets import sample_path

    text = sample_path("walk_network.osm").read_text(encoding="utf-8")
    cut = tmp_path / "cut.osm"
    cut.write_text(text[: len(text) // 2], encoding="utf-8")
    try:
        G = c15.build_walk_network(cut)
    except NetworkError as exc:
        assert "cut.osm" in str(exc)
    else:  # a cut XML can still hold whole ways: then they are counted, not silently lost
        rec = G.graph["coverage15"]
        assert rec["walkable_ways"] > 0
    none = tmp_path / "none.osm"
    none.write_text('<?xml version="1.0"?><osm version="0.6"></osm>', encoding="utf-8")
    with pytest.raises(NetworkError, match="no walkable ways"):
        c15.build_walk_network(none)
