"""Hostile input, property-based: every bad record gives a clear error or a counted repair.

For random layers and files (hypothesis), loading either raises an :class:`InputError`
that names the file, the column and the records' numbers in the SOURCE file (1-based data
rows), or returns a layer where kept + dropped = records in, with every dropped record
listed in the report and its households counted (households in = kept + dropped). No
internal exception (KeyError, TypeError, GEOSException …) may escape.

How each generated case ended is tallied in ``OUTCOMES`` and printed at the end of the
module (``pytest -s``).
"""

from __future__ import annotations

import math
import re
import sqlite3
from collections import Counter
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import coverage15 as c15
from coverage15._errors import Coverage15Error, InputError, NetworkError
from coverage15.homes import homes_from_points

CRS = "EPSG:4326"
OUTCOMES: Counter = Counter()


@pytest.fixture(scope="module", autouse=True)
def _tally():
    yield
    print(f"\nhostile cases: {sum(OUTCOMES.values())}")
    for key, n in sorted(OUTCOMES.items()):
        print(f"  {n:5d}  {key}")


_ERRORS = (
    ("far too large", "value beyond 2**53 refused"),
    ("not numbers", "values not numbers"),
    ("negative", "negative values"),
    ("infinite", "infinite values"),
    ("values are missing", "missing values"),
    ("look swapped", "axes swapped"),
    ("projected metres", "coordinates out of range (projected metres?)"),
    ("without a category", "facilities without a category"),
    ("unknown categories", "unknown categories"),
    ("lacks coordinates", "no record has coordinates"),
    ("no usable", "no usable record left"),
    ("no features", "empty layer"),
    ("header only", "header-only table"),
)


def _ended(test: str, exc: BaseException | None, out=None) -> None:
    if exc is None:
        report = out.attrs["report"]
        kinds = sorted({f.kind for f in report.findings if f.action in ("dropped", "repaired")})
        OUTCOMES[f"{test}: loaded; repaired/dropped: {', '.join(kinds) or 'nothing'}"] += 1
        return
    text = str(exc)
    label = next((name for key, name in _ERRORS if key in text), text[:50])
    OUTCOMES[f"{test}: InputError, {label}"] += 1


def _check_error(exc: InputError, n: int, source: str) -> None:
    """The error names the file; record errors name the column and source rows 1..n."""
    assert exc.source == source, (exc.source, source)
    if exc.rows:
        assert exc.column is not None, str(exc)
        assert all(1 <= r <= n for r in exc.rows), (exc.rows, n)
        assert len(set(exc.rows)) == len(exc.rows)
    else:  # about the whole layer: no usable record, no CRS ...
        assert re.search(r"no usable|no features|no data|coordinate reference|CRS", str(exc)), exc


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


def _number(h) -> float:
    """The households value as the loader reads it (NaN: missing)."""
    if h is None or (isinstance(h, str) and not h.strip()):
        return math.nan
    if isinstance(h, str):
        return float(h.replace(",", ""))
    return float(h)


def _check_report(out: gpd.GeoDataFrame, n_in: int, hh_in=None) -> None:
    report = out.attrs["report"]
    assert len(out) + report.n_dropped == n_in
    dropped_rows = [r for f in report.findings if f.action == "dropped" for r in f.rows]
    assert len(dropped_rows) == report.n_dropped
    assert len(set(dropped_rows)) == len(dropped_rows)
    assert all(1 <= r <= n_in for r in dropped_rows)
    if hh_in is not None:  # households in = kept + dropped (kept ones rounded)
        total = sum(0.0 if math.isnan(h) else h for h in hh_in)
        assert math.isclose(
            float(out["households"].sum()) + report.households("dropped"),
            total,
            rel_tol=1e-9,
            abs_tol=0.5 * len(out) + 1e-6,
        )
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
        _check_error(exc, len(rows), "communities")
        _ended("communities layer", exc)
        return
    _ended("communities layer", None, out)
    _check_report(out, len(rows), [_number(h) for _, h in rows])


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
        _check_error(exc, len(rows), "facilities")
        _ended("facilities layer", exc)
        return
    _ended("facilities layer", None, out)
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


# --------------------------------------------------------------------------- files


wkt_cells = st.one_of(
    st.integers(0, 20).map(lambda i: _square(i).wkt),
    st.just(""),  # no geometry
    st.just("POLYGON ((1 2, 3"),  # unreadable WKT
    st.just("POINT (103.76 29.55)"),  # wrong type
    st.just("POLYGON EMPTY"),
)
hh_cells = st.one_of(
    st.integers(0, 5000).map(str),
    st.sampled_from(["", "1,200", "1200户", "-5", "abc", "1e19", "1e9", "nan", "inf", "2.5"]),
)


@SETTINGS
@given(st.lists(st.tuples(wkt_cells, hh_cells), min_size=1, max_size=8))
def test_community_csv_files_hostile_rows(tmp_path_factory, rows) -> None:
    path = tmp_path_factory.mktemp("c") / "社区.csv"
    lines = ["名称,户数,wkt"] + [f'社区{i},"{h}","{w}"' for i, (w, h) in enumerate(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        out = c15.load_communities(path, crs=CRS)
    except InputError as exc:
        _check_error(exc, len(rows), str(path))
        _ended("communities CSV", exc)
        return
    _ended("communities CSV", None, out)
    values = []
    for _, h in rows:
        text = h.replace(",", "").replace("户", "")
        values.append(float(text) if text else math.nan)
    _check_report(out, len(rows), values)


located_cells = st.tuples(st.floats(103.7, 103.8), st.floats(29.5, 29.6)).map(
    lambda t: (f"{t[0]:.5f}", f"{t[1]:.5f}")
)
coords = st.integers(0, 9).flatmap(  # 1 in 10 not a number (it ends the case), 1 in 10 blank
    lambda k: st.just(("abc", "29.5")) if k == 0 else st.just(("", "")) if k == 1 else located_cells
)
csv_categories = st.sampled_from(["幼儿园", "药店", "社区卫生服务站", "", "火星站"])


@SETTINGS
@given(
    st.lists(st.tuples(csv_categories, coords), min_size=1, max_size=10),
    st.sampled_from(["raise", "keep"]),
)
def test_facility_csv_rows_are_source_rows(tmp_path_factory, rows, unknown) -> None:
    """Errors and findings name the record's data row in the file, after earlier drops."""
    from coverage15.standards import match_category

    path = tmp_path_factory.mktemp("f") / "设施.csv"
    lines = ["名称,类别,lon,lat"] + [f"设施{i},{c},{x},{y}" for i, (c, (x, y)) in enumerate(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    n = len(rows)
    not_number = [i + 1 for i, (_, (x, _y)) in enumerate(rows) if x == "abc"]
    located = [i + 1 for i, (_, (x, _y)) in enumerate(rows) if x not in ("", "abc")]
    empty = [r for r in located if rows[r - 1][0] == ""]
    unknown_rows = [r for r in located if rows[r - 1][0] and match_category(rows[r - 1][0]) is None]
    try:
        out = c15.load_facilities(path, unknown_categories=unknown)
    except InputError as exc:
        _check_error(exc, n, str(path))
        _ended("facilities CSV", exc)
        if not_number:
            assert exc.rows == not_number and exc.column == "lon"
        elif not located:
            assert "lacks coordinates" in str(exc)
        elif empty and unknown == "raise":
            assert exc.rows == empty and exc.column == "类别"
        elif unknown_rows and unknown == "raise":
            assert exc.rows == unknown_rows and exc.column == "类别"
        else:
            pytest.fail(f"unexpected error {exc}")
        return
    _ended("facilities CSV", None, out)
    assert not not_number and located
    report = out.attrs["report"]
    assert report.rows("missing_coordinates") == [r for r in range(1, n + 1) if r not in located]
    assert report.rows("missing_category") == empty
    assert report.rows("unknown_category") == unknown_rows
    assert len(out) == len(located)


bad_hh = st.sampled_from([-3, 2.5, None])
home_cells = st.tuples(
    st.sampled_from(["in_a", "in_b", "outside", "edge"]),
    st.integers(0, 11).flatmap(lambda k: bad_hh if k == 0 else st.integers(0, 500)),
    st.integers(0, 11).map(lambda k: "dup" if k == 0 else "none" if k == 1 else "own"),
)
_HOME_AT = {"in_a": (5, 5), "in_b": (15, 5), "outside": (50, 50), "edge": (10, 5)}


@SETTINGS
@given(st.lists(home_cells, min_size=1, max_size=8))
def test_home_points_hostile(rows) -> None:
    """Caller's ids kept; households in = kept + dropped (outside), or an error naming rows."""
    comm = gpd.GeoDataFrame(
        {"community_id": ["A", "B"], "households": [0, 0]},
        geometry=[shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10)],
        crs="EPSG:4547",
    )
    ids = [
        "门牌0" if kind == "dup" else None if kind == "none" else f"门牌{k}"
        for k, (_, _, kind) in enumerate(rows)
    ]
    rows = [(w, h, i) for (w, h, _), i in zip(rows, ids, strict=True)]
    pts = gpd.GeoDataFrame(
        {"hh": [h for _, h, _ in rows], "home_id": ids},
        geometry=[shapely.Point(_HOME_AT[w]) for w, _, _ in rows],
        crs="EPSG:4547",
    )
    try:
        homes = homes_from_points(pts, comm, households="hh")
    except InputError as exc:
        assert exc.source == "homes" and exc.column in ("hh", "home_id")
        assert exc.rows and all(1 <= r <= len(rows) for r in exc.rows)
        OUTCOMES[f"home points: InputError, column {exc.column}"] += 1
        return
    OUTCOMES["home points: loaded; outside points dropped with households"] += 1
    report = homes.attrs["report"]
    assert homes["home_id"].tolist() == [i for w, _, i in rows if w != "outside"]
    total = sum(h for _, h, _ in rows)
    assert int(homes["households"].sum()) + report.households("dropped") == total
    assert report.rows("home_outside_communities") == [
        k + 1 for k, (w, _, _) in enumerate(rows) if w == "outside"
    ]
    # a point on the shared edge goes to one community only
    assert len(homes) == sum(w != "outside" for w, _, _ in rows)
