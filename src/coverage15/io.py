"""Loaders for planners' own files: communities, facilities and buildings.

Each loader reads GeoPackage, Shapefile (GBK-encoded ``.dbf`` included),
GeoJSON, or CSV / Excel with lon/lat or WKT columns; maps the user's column
names onto coverage15's data model (common Chinese and English names are
recognised, any name can be given by argument, e.g. ``households="户数"``);
validates and repairs; and returns a GeoDataFrame whose
``attrs["report"]`` is a :class:`~coverage15.validation.ValidationReport`
listing every record repaired, dropped or flagged.

Rows in messages are record numbers counted from 1 (the first feature, or the
first data line after a CSV header).

Examples
--------
>>> from coverage15.datasets import sample_path
>>> communities = load_communities(sample_path("communities.geojson"))
>>> list(communities.columns[:5])
['community_id', 'name', 'households', 'population', 'kind']
>>> int(communities["households"].sum())
25720
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, get_args

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from coverage15._errors import InputError
from coverage15.standards import category_catalogue, match_category, suggest_category
from coverage15.validation import ValidationReport

PathLike = str | Path

# Normalised column -> names recognised automatically (compared case-insensitively,
# ignoring spaces, underscores and brackets). First match wins.
COMMUNITY_COLUMNS: dict[str, tuple[str, ...]] = {
    "community_id": (
        "community_id",
        "社区代码",
        "社区编码",
        "社区编号",
        "村代码",
        "区划代码",
        "code",
        "id",
        "代码",
        "编码",
        "编号",
    ),
    "name": ("name", "社区名称", "社区名", "村名", "村名称", "名称", "community", "社区"),
    "households": ("households", "户数", "总户数", "住户数", "家庭户数", "常住户数", "hh", "户"),
    "population": (
        "population",
        "人口",
        "总人口",
        "常住人口",
        "人口数",
        "户籍人口",
        "pop",
        "residents",
    ),
    "kind": ("kind", "类型", "社区类型", "城乡类型", "城乡属性", "城乡", "urban_rural", "type"),
}
FACILITY_COLUMNS: dict[str, tuple[str, ...]] = {
    "facility_id": ("facility_id", "设施编号", "设施代码", "编号", "代码", "poi_id", "id", "fid"),
    "name": ("name", "设施名称", "名称", "poi名称", "title"),
    "category": (
        "category",
        "类别",
        "设施类别",
        "设施类型",
        "分类",
        "类型",
        "type",
        "class",
        "kind",
    ),
    "floor_area_m2": (
        "floor_area_m2",
        "建筑面积",
        "面积",
        "建筑面积m2",
        "使用面积",
        "floor_area",
        "area",
    ),
}
BUILDING_COLUMNS: dict[str, tuple[str, ...]] = {
    "building_id": ("building_id", "建筑编号", "楼栋编号", "编号", "osm_id", "id"),
    "levels": ("levels", "楼层", "层数", "楼层数", "地上层数", "building:levels", "floors"),
    "use": ("use", "用途", "建筑用途", "性质", "building", "类型", "type"),
    "floor_area_m2": ("floor_area_m2", "建筑面积", "总建筑面积", "floor_area"),
}
#: optional columns the targets use (``coverage15.targets.normalise_columns`` finds them by
#: these names; the loaders keep them as the user's other columns)
COMMUNITY_OPTIONAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "street": (
        "street",
        "街道",
        "乡镇",
        "街道名称",
        "乡镇名称",
        "街道乡镇",
        "乡镇街道",
        "所属街道",
        "所属乡镇",
        "街道办事处",
        "township",
        "subdistrict",
    ),
    "relocation": (
        "relocation",
        "易地扶贫搬迁",
        "安置社区",
        "易地扶贫搬迁安置社区",
        "易地扶贫搬迁集中安置社区",
        "是否安置社区",
        "安置点",
        "relocation_settlement",
    ),
}
FACILITY_OPTIONAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "opening_hours": (
        "opening_hours",
        "营业时间",
        "开放时间",
        "服务时间",
        "办公时间",
        "开放时段",
        "hours",
    ),
}
OPEN_SPACE_COLUMNS: dict[str, tuple[str, ...]] = {
    "open_space_id": ("open_space_id", "编号", "代码", "id", "fid", "osm_id"),
    "name": ("name", "名称", "广场名称", "场地名称"),
    "area_m2": ("area_m2", "面积", "广场面积", "占地面积", "场地面积", "area"),
    "community_id": ("community_id", "社区代码", "社区编码", "社区编号"),
}
LON_NAMES = ("lon", "lng", "long", "longitude", "经度", "x坐标", "x")
LAT_NAMES = ("lat", "latitude", "纬度", "y坐标", "y")
WKT_NAMES = ("wkt", "geometry", "geom", "the_geom", "几何", "shape")

URBAN_WORDS = (
    "urban",
    "城市",
    "城市社区",
    "城镇",
    "城镇社区",
    "社区",
    "居委会",
    "居民委员会",
    "街道",
)
RURAL_WORDS = ("rural", "农村", "农村社区", "乡村", "村", "村委会", "村民委员会", "行政村", "乡镇")
RESIDENTIAL_USES = (
    "住宅",
    "居住",
    "residential",
    "apartments",
    "house",
    "detached",
    "terrace",
    "dormitory",
    "宿舍",
    "商住",
    "yes",
)
DEFAULT_LEVELS = 3

UnknownPolicy = Literal["raise", "drop", "keep"]
OverlapPolicy = Literal["raise", "largest"]
#: the values of ``unknown_categories`` (checked by the loader and by run configs)
UNKNOWN_POLICIES: tuple[str, ...] = get_args(UnknownPolicy)


def _key(name: Any) -> str:
    return re.sub(r"[\s_()（）\[\]【】:：²]+", "", str(name)).lower()


# --------------------------------------------------------------------------- reading


def _dbf_parts(path: Path) -> tuple[list[bytes], bytes] | None:
    """The raw field names and the record bytes of a Shapefile's .dbf (None: no .dbf)."""
    dbf = path.with_suffix(".dbf")
    if not dbf.exists():
        return None
    raw = dbf.read_bytes()
    if len(raw) < 32:
        return [], raw
    header_len = int.from_bytes(raw[8:10], "little")
    names = []
    for start in range(32, min(header_len, len(raw)) - 1, 32):
        if raw[start] == 0x0D:
            break
        names.append(raw[start : start + 11].split(b"\0", 1)[0])
    return names, raw[header_len:]


def _utf8_cut(name: bytes) -> bool | None:
    """True: UTF-8 cut mid-character at the end; False: whole UTF-8; None: not UTF-8."""
    try:
        name.decode("utf-8")
        return False
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data" and exc.start >= len(name) - 3:
            try:
                name[: exc.start].decode("utf-8")
                return True
            except UnicodeDecodeError:
                return None
        return None


def _dbf_encoding(path: Path) -> str | None:
    """Encoding of a Shapefile's .dbf: from its .cpg, else UTF-8 if it decodes, else GBK.

    Field names cut at 10 bytes in the middle of a UTF-8 character still count as UTF-8.
    """
    cpg = path.with_suffix(".cpg")
    if cpg.exists():
        return None  # GDAL reads the .cpg itself
    parts = _dbf_parts(path)
    if parts is None:
        return None
    names, records = parts
    try:
        records.decode("utf-8")
    except UnicodeDecodeError:
        return "GBK"
    if any(_utf8_cut(n) is None for n in names):
        return "GBK"
    return "UTF-8"


def _read_cut_names(path: Path, layer: str | int | None, report: ValidationReport) -> Any:
    """Read a UTF-8 Shapefile whose field names were cut mid-character (10-byte limit).

    GDAL refuses to decode such names, so the file is read byte for byte (ISO-8859-1),
    turned back into UTF-8, and the broken last character of each cut name dropped.
    """
    gdf = pyogrio.read_dataframe(path, layer=layer, encoding="ISO-8859-1", on_invalid="ignore")

    def back(text: Any) -> Any:
        if not isinstance(text, str):
            return text
        return text.encode("latin-1").decode("utf-8", errors="ignore")

    geom = gdf.geometry.name
    renamed = {c: back(c) for c in gdf.columns if c != geom}
    cut = [f"{renamed[c]}…" for c in renamed if _utf8_cut(c.encode("latin-1"))]
    gdf = gdf.rename(columns=renamed)
    for c in gdf.columns:
        if c != geom and (
            pd.api.types.is_object_dtype(gdf[c]) or pd.api.types.is_string_dtype(gdf[c])
        ):
            gdf[c] = gdf[c].map(back)
    report.add(
        "field_names_cut",
        "info",
        detail=f"UTF-8 field names cut at 10 bytes mid-character, read without the broken "
        f"character: {', '.join(cut)}. Name columns by argument if needed; GeoPackage keeps "
        "whole names",
    )
    return gdf


def _separator(path: Path) -> str:
    """``\\t`` for ``.tsv`` (and a ``.txt`` whose first line has tabs but no commas), else ``,``."""
    if path.suffix.lower() == ".tsv":
        return "\t"
    if path.suffix.lower() == ".txt":
        with open(path, "rb") as f:
            first = f.readline()
        if b"\t" in first and b"," not in first:
            return "\t"
    return ","


def _read_text_table(path: Path, encoding: str | None) -> tuple[pd.DataFrame, str]:
    if path.stat().st_size == 0:
        raise InputError("the file is empty (0 bytes)", source=str(path))
    if path.suffix.lower() in (".xlsx", ".xls"):
        return pd.read_excel(path, dtype=object), "xlsx"
    encodings = [encoding] if encoding else ["utf-8-sig", "gb18030"]
    sep = _separator(path)
    last: Exception | None = None
    for enc in encodings:
        try:
            return (
                pd.read_csv(path, dtype=object, encoding=enc, skipinitialspace=True, sep=sep),
                enc,
            )
        except pd.errors.EmptyDataError:
            raise InputError(
                "the file holds no table (blank lines only)", source=str(path)
            ) from None
        except UnicodeDecodeError as exc:
            last = exc
    raise InputError(
        f"cannot decode the file as {' or '.join(encodings)}: {last}; pass encoding=",
        source=str(path),
    )


def find_column(columns: Sequence[str], names: Sequence[str]) -> str | None:
    """The first of ``columns`` that matches one of ``names`` (case, width and spaces ignored).

    Parameters
    ----------
    columns
        The layer's column names.
    names
        Accepted names, most specific first (e.g. ``["街道", "乡镇", "street"]``).

    Returns
    -------
    str or None
        The matching column as the layer spells it, or None.

    Examples
    --------
    >>> find_column(["社区名称", "Street "], ["街道", "street"])
    'Street '
    """
    lookup = {_key(c): c for c in columns}
    for n in names:
        if _key(n) in lookup:
            return lookup[_key(n)]
    return None


def _table_to_geo(
    df: pd.DataFrame,
    *,
    source: str,
    crs: Any,
    x: str | None,
    y: str | None,
    wkt: str | None,
    report: ValidationReport,
) -> gpd.GeoDataFrame:
    """Geometry from lon/lat (x/y) columns or a WKT column of a plain table."""
    cols = list(df.columns)
    if wkt is None and x is None and y is None:
        x, y = find_column(cols, LON_NAMES), find_column(cols, LAT_NAMES)
        if x is None or y is None:
            x = y = None
            wkt = find_column(cols, WKT_NAMES)
    if wkt is not None:
        if wkt not in df.columns:
            raise InputError(f"no WKT column '{wkt}'; columns are {cols}", source=source)
        text = df[wkt].astype("string")
        geoms = np.empty(len(df), dtype=object)
        bad = []
        for i, t in enumerate(text):
            if pd.isna(t) or not str(t).strip():
                geoms[i] = None
                continue
            try:
                geoms[i] = shapely.from_wkt(str(t))
            except shapely.errors.GEOSException:
                geoms[i] = None
                bad.append(int(df["_row"].iloc[i]))
        report.add(  # counted as dropped once, with their households, as empty_geometry
            "unreadable_wkt",
            "info",
            rows=bad,
            column=wkt,
            detail="WKT text could not be parsed: dropped (see empty_geometry)",
        )
        geometry = gpd.GeoSeries(geoms, index=df.index)
        out = gpd.GeoDataFrame(df.drop(columns=[wkt]), geometry=geometry)
        if crs is None:
            raise InputError(
                "the table has a WKT geometry but no coordinate reference system; "
                "pass crs= (e.g. crs='EPSG:4326' or crs='EPSG:4547')",
                source=source,
                column=wkt,
            )
        return out.set_crs(crs)
    if x is None or y is None:
        raise InputError(
            "found no geometry: the table needs lon/lat columns (经度/纬度, lon/lat, x/y) "
            f"or a WKT column; columns are {cols}. Name them with x=, y= or wkt=",
            source=source,
        )
    for c in (x, y):
        if c not in df.columns:
            raise InputError(f"no column '{c}'; columns are {cols}", source=source, column=c)
    rows = df["_row"]
    xs = _to_number(
        df[x], source=source, column=x, allow_missing=True, allow_negative=True, rows=rows
    )
    ys = _to_number(
        df[y], source=source, column=y, allow_missing=True, allow_negative=True, rows=rows
    )
    report.add(
        "missing_coordinates",
        "dropped",
        rows=rows[xs.isna() | ys.isna()].tolist(),
        column=f"{x}/{y}",
        detail="no coordinates",
    )
    keep = ~(xs.isna() | ys.isna())
    df = df.loc[keep].drop(columns=[x, y])
    geometry = gpd.points_from_xy(xs[keep], ys[keep])
    out = gpd.GeoDataFrame(df, geometry=geometry)
    if crs is None:
        geographic = xs[keep].between(-180, 180).all() and ys[keep].between(-90, 90).all()
        named = {_key(n) for n in LON_NAMES[:5] + LAT_NAMES[:3]}
        if not geographic and _key(x) in named and _key(y) in named:
            _refuse_swapped(xs[keep], ys[keep], rows[keep], source=source, column=f"{x}/{y}")
        if _key(x) in {_key(n) for n in LON_NAMES[:5]} and geographic:
            report.add(
                "crs_assumed",
                "info",
                column=f"{x}/{y}",
                detail="longitude/latitude columns without crs=: read as WGS84 (EPSG:4326). "
                "Amap/Tencent (GCJ-02) or Baidu (BD-09) coordinates: load them with crs='gcj02' or "
                "crs='bd09' (converted to WGS84 on loading).",
            )
            crs = "EPSG:4326"
        else:
            raise InputError(
                f"coordinates in '{x}'/'{y}' have no coordinate reference system; pass crs= "
                "(e.g. crs='EPSG:4326' for longitude/latitude, crs='EPSG:4547' for "
                "CGCS2000 3-degree Gauss-Kruger CM 114E)",
                source=source,
                column=f"{x}/{y}",
            )
    return out.set_crs(crs)


def read_layer(
    path: PathLike | gpd.GeoDataFrame,
    *,
    layer: str | int | None = None,
    crs: Any = None,
    encoding: str | None = None,
    x: str | None = None,
    y: str | None = None,
    wkt: str | None = None,
    report: ValidationReport | None = None,
) -> gpd.GeoDataFrame:
    """Read any vector layer a planner has into a GeoDataFrame with a CRS.

    Parameters
    ----------
    path
        GeoPackage, Shapefile, GeoJSON, FlatGeobuf, CSV/TXT or Excel file; or a
        GeoDataFrame (returned as a copy after the CRS check).
    layer
        Layer name or index for multi-layer files (GeoPackage).
    crs
        CRS of the data when the file does not say (Shapefile without ``.prj``,
        CSV). A file that has a CRS is never overridden (use ``to_crs``), except
        by ``"gcj02"`` / ``"bd09"`` (Amap/Tencent, Baidu; see
        :mod:`coverage15.crs`): such data is usually labelled WGS84 but offset,
        and is converted to real WGS84.
    encoding
        Text encoding of a Shapefile ``.dbf`` or a CSV. By default the ``.cpg``
        is honoured, else UTF-8 is tried and GBK (GB18030 for CSV) used when the
        bytes are not UTF-8.
    x, y, wkt
        Coordinate or WKT columns of a CSV/Excel table (found automatically when
        named lon/lat, 经度/纬度, x/y or wkt/geometry).
    report
        A report to add findings to.

    Returns
    -------
    geopandas.GeoDataFrame
        Index 0..n-1; geometry may contain None for unreadable records (the
        callers count and drop them).

    Raises
    ------
    InputError
        Missing file, unknown format, no CRS and no ``crs=``, no geometry.

    Examples
    --------
    >>> from coverage15.datasets import sample_path
    >>> gdf = read_layer(sample_path("facilities.geojson"))
    >>> gdf.crs.to_epsg()
    4326
    """
    return _read(
        path, layer=layer, crs=crs, encoding=encoding, x=x, y=y, wkt=wkt, report=report
    ).drop(columns="_row")


def _read(
    path: PathLike | gpd.GeoDataFrame,
    *,
    layer: str | int | None = None,
    crs: Any = None,
    encoding: str | None = None,
    x: str | None = None,
    y: str | None = None,
    wkt: str | None = None,
    report: ValidationReport | None = None,
) -> gpd.GeoDataFrame:
    """:func:`read_layer` with a ``_row`` column: each record's number in the source file.

    The number is 1-based and counts data records (features; CSV lines after the header)
    before anything is dropped, so every message can point at the record in the file.
    """
    report = report if report is not None else ValidationReport()
    from coverage15.crs import OFFSET_SYSTEMS, normalise_crs, to_wgs84

    offset = None
    if isinstance(crs, str) and crs.strip():
        try:
            resolved = normalise_crs(crs)
        except InputError:
            resolved = None
        if isinstance(resolved, str) and resolved in OFFSET_SYSTEMS:
            offset, crs = resolved, "EPSG:4326"
    gdf = _read_layer(
        path,
        layer=layer,
        crs=crs,
        encoding=encoding,
        x=x,
        y=y,
        wkt=wkt,
        report=report,
        keep_declared=offset is None,
    )
    _check_degrees(gdf, source=report.source or str(path))
    if len(gdf) == 0:
        raise InputError(
            "no usable records: every record lacks coordinates (see the report)"
            if report.count("dropped")
            else "no features: the layer is empty (a header without data rows?)",
            source=report.source or str(path),
        )
    if offset is not None:
        gdf = to_wgs84(gdf, offset)
        report.add(
            "crs_converted",
            "info",
            detail=f"coordinates converted from {offset.upper()} to WGS84 (iterative inverse, "
            "< 0.5 m)",
        )
    return gdf


def _check_degrees(gdf: gpd.GeoDataFrame, *, source: str) -> None:
    """Refuse coordinates that cannot be degrees in a geographic CRS (metres labelled WGS84)."""
    if gdf.crs is None or not gdf.crs.is_geographic or len(gdf) == 0:
        return
    geoms = gdf.geometry.to_numpy()
    ok = ~(pd.isna(geoms) | shapely.is_empty(geoms))
    if not ok.any():
        return
    b = shapely.bounds(geoms[ok])
    bad = (np.abs(b[:, [0, 2]]) > 180).any(axis=1) | (np.abs(b[:, [1, 3]]) > 90).any(axis=1)
    if bad.any():
        src_rows = gdf["_row"].to_numpy() if "_row" in gdf.columns else np.arange(1, len(gdf) + 1)
        rows = src_rows[np.flatnonzero(ok)[bad]].tolist()
        swapped_ok = (np.abs(b[:, [0, 2]]) <= 90).all() & (np.abs(b[:, [1, 3]]) <= 180).all()
        if swapped_ok:
            raise InputError(
                "the axes look swapped: the first coordinate holds latitudes (|value| <= 90) "
                "and the second longitudes beyond ±90°, e.g. "
                f"{b[bad][0, :2].round(4).tolist()}. Give longitude first (x = 经度, y = 纬度), "
                "or swap the lon/lat columns",
                source=source,
                rows=rows,
                column="geometry",
            )
        raise InputError(
            f"coordinates out of range for {gdf.crs.to_string()} (longitude ±180°, latitude "
            f"±90°), e.g. {b[bad][0, :2].round(1).tolist()}: these look like projected metres. "
            "Declare the layer's real CRS (e.g. crs='EPSG:4547' for CGCS2000 3-degree "
            "Gauss-Kruger CM 114E; coverage15.cgcs2000_gk_crs(lon) gives the zone of a longitude)",
            source=source,
            rows=rows,
            column="geometry",
        )


def _read_layer(
    path: PathLike | gpd.GeoDataFrame,
    *,
    layer: str | int | None,
    crs: Any,
    encoding: str | None,
    x: str | None,
    y: str | None,
    wkt: str | None,
    report: ValidationReport,
    keep_declared: bool,
) -> gpd.GeoDataFrame:
    if isinstance(path, gpd.GeoDataFrame):
        source = report.source or "GeoDataFrame"
        gdf = path.copy().reset_index(drop=True)
        gdf["_row"] = np.arange(1, len(gdf) + 1)
        if gdf.crs is None:
            if crs is None:
                raise InputError("the GeoDataFrame has no CRS; pass crs=", source=source)
            gdf = gdf.set_crs(crs)
        return gdf
    path = Path(path)
    source = str(path)
    if not path.exists():
        raise InputError("file not found", source=source)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv", ".xlsx", ".xls"):
        df, used = _read_text_table(path, encoding)
        df = df.reset_index(drop=True)
        if len(df) == 0:
            raise InputError(
                f"no data rows: the table has a header only (columns {list(df.columns)})",
                source=source,
            )
        df["_row"] = np.arange(1, len(df) + 1)
        if used not in ("utf-8-sig", "xlsx"):
            report.add("encoding", "info", detail=f"read as {used}")
        gdf = _table_to_geo(df, source=source, crs=crs, x=x, y=y, wkt=wkt, report=report)
        return gdf.reset_index(drop=True)
    if suffix == ".shp" and encoding is None:
        encoding = _dbf_encoding(path)
        if encoding == "GBK":
            report.add("encoding", "info", detail=".dbf has no .cpg and is not UTF-8: read as GBK")
    cut_names = suffix == ".shp" and encoding in (None, "UTF-8", "utf-8", "UTF8", "utf8")
    cut_names = cut_names and any(_utf8_cut(n) for n in (_dbf_parts(path) or ([], b""))[0])
    try:
        if cut_names:
            gdf = _read_cut_names(path, layer, report)
        else:
            gdf = pyogrio.read_dataframe(path, layer=layer, encoding=encoding, on_invalid="ignore")
    except pyogrio.errors.DataSourceError as exc:
        raise InputError(f"cannot open as a GIS layer: {exc}", source=source) from None
    except pyogrio.errors.DataLayerError as exc:
        raise InputError(f"cannot read layer {layer!r}: {exc}", source=source) from None
    except UnicodeDecodeError as exc:
        raise InputError(
            f"text in the file is not valid {encoding or 'UTF-8'} ({exc.reason}); pass the "
            "file's real encoding (encoding='GBK' for most Chinese files without a .cpg)",
            source=source,
        ) from None
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns:
        raise InputError("the layer has no geometry column", source=source)
    if len(gdf) == 0:
        raise InputError("no features: the layer is empty", source=source)
    gdf["_row"] = np.arange(1, len(gdf) + 1)
    if gdf.crs is None:
        if crs is None:
            raise InputError(
                "the layer has no coordinate reference system (a Shapefile without .prj?); "
                "pass crs=, e.g. crs='EPSG:4326' or crs='EPSG:4547'",
                source=source,
            )
        gdf = gdf.set_crs(crs)
    elif crs is not None and keep_declared:
        try:
            same = CRS.from_user_input(crs) == gdf.crs
        except CRSError as exc:
            raise InputError(f"crs={crs!r} is not a valid CRS: {exc}", source=source) from None
        if not same:
            report.add(
                "crs_ignored",
                "info",
                detail=f"the file declares {gdf.crs.to_string()}; crs={crs!r} was not applied",
            )
    return gdf.reset_index(drop=True)


# --------------------------------------------------------------------------- validation


def _resolve_columns(
    gdf: pd.DataFrame,
    wanted: Mapping[str, tuple[str, ...]],
    given: Mapping[str, str | None],
    *,
    source: str,
    required: Sequence[str],
) -> dict[str, str]:
    """Map normalised column names onto the user's columns."""
    cols = [c for c in gdf.columns if c not in (gdf.geometry.name, "_row")]
    found: dict[str, str] = {}
    used: set[str] = set()
    for target in wanted:
        g = given.get(target)
        if g is not None:
            if g not in gdf.columns:
                raise InputError(
                    f"{target}={g!r} was given but there is no such column; columns are {cols}",
                    source=source,
                    column=g,
                )
            found[target] = g
            used.add(g)
    for target, names in wanted.items():
        if target in found:
            continue
        hit = find_column([c for c in cols if c not in used], names)
        if hit is not None:
            found[target] = hit
            used.add(hit)
    missing = [t for t in required if t not in found]
    if missing:
        hints = ", ".join(f"{m}= (e.g. {wanted[m][1]!r})" for m in missing)
        raise InputError(
            f"missing required column(s) {missing}; columns are {cols}. "
            f"Name the column by argument: {hints}",
            source=source,
            column=missing[0],
        )
    return found


#: the largest count or area accepted: beyond it a float no longer holds every whole number
#: (2**53), and a value like 1e19 would overflow the int64 households column
MAX_NUMBER = float(2**53)


def _to_number(
    s: pd.Series,
    *,
    source: str,
    column: str,
    allow_missing: bool,
    allow_negative: bool = False,
    rows: pd.Series | np.ndarray | None = None,
) -> pd.Series:
    """Numbers from a column that may hold text like '1,234' or '1234户'; errors name rows.

    Counts and areas may not be negative; coordinates (``allow_negative``) may. Values
    beyond :data:`MAX_NUMBER` are refused (they cannot be counts). ``rows`` gives each
    value's record number in the source file (default: position + 1).
    """
    src = np.asarray(rows) if rows is not None else np.arange(1, len(s) + 1)

    def where(mask: pd.Series) -> list[int]:
        return [int(r) for r in src[np.asarray(mask, dtype=bool)]]

    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        out = s.astype("float64")
    else:
        text = s.astype("string").str.strip()
        text = text.str.replace(r"[,，\s]|户|人|层|楼|m2|㎡|平方米|平米", "", regex=True)
        text = text.replace("", pd.NA)
        out = pd.to_numeric(text, errors="coerce").astype("float64")
        bad = out.isna() & text.notna()
        if bad.any():
            values = s[bad].astype(str).tolist()[:5]
            raise InputError(
                f"values are not numbers (e.g. {values})",
                source=source,
                rows=where(bad),
                column=column,
            )
    if not allow_missing and out.isna().any():
        raise InputError("values are missing", source=source, rows=where(out.isna()), column=column)
    if not np.isfinite(out.dropna()).all():
        raise InputError(
            "values are infinite",
            source=source,
            rows=where(~np.isfinite(out.fillna(0))),
            column=column,
        )
    negative = out < 0
    if negative.any() and not allow_negative:
        raise InputError(
            f"values are negative (e.g. {out[negative].tolist()[:5]})",
            source=source,
            rows=where(negative),
            column=column,
        )
    huge = out.abs() > MAX_NUMBER
    if huge.any() and not allow_negative:  # counts and areas (coordinates are checked later)
        raise InputError(
            f"values are far too large (e.g. {out[huge].tolist()[:3]}; above 2**53 = "
            f"{MAX_NUMBER:,.0f}): not a count or an area; check the column",
            source=source,
            rows=where(huge),
            column=column,
        )
    return out


def _refuse_swapped(
    xs: pd.Series, ys: pd.Series, rows: pd.Series, *, source: str, column: str
) -> None:
    """Raise when lon/lat columns only make sense the other way round."""
    swapped = xs.between(-90, 90).all() and ys.between(-180, 180).all()
    if swapped:
        bad = ~ys.between(-90, 90)
        raise InputError(
            "the longitude/latitude columns look swapped: the latitude column holds values "
            f"beyond ±90° (e.g. {ys[bad].tolist()[:3]}) and the longitude column values within "
            "±90°. Swap the columns (x= for longitude 经度, y= for latitude 纬度)",
            source=source,
            rows=rows[bad].tolist(),
            column=column,
        )


def _clean_geometry(
    gdf: gpd.GeoDataFrame,
    *,
    kind: Literal["polygon", "point"],
    report: ValidationReport,
    counts: pd.DataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Drop empty/missing geometry, repair invalid ones, enforce the geometry type.

    ``counts`` (``households``, optional ``population``, aligned with ``gdf``) puts the
    households and residents of every dropped record into its finding.
    """

    def dropped(kind_: str, rows_mask: np.ndarray, frame: pd.DataFrame, detail: str) -> None:
        extra: dict[str, Any] = {}
        if counts is not None and rows_mask.any():
            part = counts.loc[frame.index[rows_mask]]
            extra["households"] = part["households"].sum()
            if "population" in part.columns and part["population"].notna().any():
                extra["population"] = part["population"].sum()
        report.add(
            kind_,
            "dropped",
            rows=rowno[rows_mask].tolist(),
            column="geometry",
            detail=detail,
            **extra,
        )

    geom = gdf.geometry
    rowno = gdf["_row"].to_numpy() if "_row" in gdf.columns else np.arange(1, len(gdf) + 1)
    empty = geom.isna().to_numpy() | geom.is_empty.to_numpy()
    dropped("empty_geometry", empty, gdf, "missing, unreadable or empty geometry")
    gdf = gdf.loc[~empty].copy()
    rowno = rowno[~empty]
    geom = gdf.geometry
    invalid = ~geom.is_valid.to_numpy()
    if invalid.any():
        fixed = shapely.make_valid(geom.to_numpy()[invalid])
        if kind == "polygon":
            fixed = np.array([_polygonal_part(g) for g in fixed], dtype=object)
        values = geom.to_numpy().copy()
        values[invalid] = fixed
        gdf = gdf.set_geometry(gpd.GeoSeries(values, index=gdf.index, crs=gdf.crs))
        report.add(
            "invalid_geometry",
            "repaired",
            rows=rowno[invalid].tolist(),
            column="geometry",
            detail="repaired with shapely.make_valid",
        )
        now_empty = gdf.geometry.isna().to_numpy() | gdf.geometry.is_empty.to_numpy()
        dropped("invalid_geometry_unrepairable", now_empty, gdf, "nothing left after make_valid")
        gdf = gdf.loc[~now_empty]
        rowno = rowno[~now_empty]
    types = gdf.geometry.geom_type.to_numpy()
    if kind == "polygon":
        wrong = ~np.isin(types, ["Polygon", "MultiPolygon"])
        found = sorted(set(types[wrong]))
        dropped("wrong_geometry_type", wrong, gdf, f"expected polygons, found {found}")
        gdf = gdf.loc[~wrong]
        rowno = rowno[~wrong]
    gdf = gdf.copy()
    gdf["_row"] = rowno
    return gdf


def _metric(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """The geometries in metres: as they are when projected, else in their local UTM zone."""
    if geoms.crs.is_projected:
        return geoms
    return geoms.to_crs(geoms.estimate_utm_crs())


def _polygonal_part(g: shapely.Geometry) -> shapely.Geometry:
    if g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    parts = [p for p in getattr(g, "geoms", [g]) if p.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return shapely.Polygon()
    return shapely.union_all(parts)


def _ids(
    gdf: gpd.GeoDataFrame,
    col: str | None,
    *,
    prefix: str,
    source: str,
    report: ValidationReport,
    on_duplicate: Literal["raise", "repair"],
) -> pd.Series:
    """Stable string ids: the user's where given, generated (and counted) where not."""
    rows = gdf["_row"].to_numpy()
    if col is None:
        report.add(
            "id_generated",
            "info",
            detail=f"no id column: ids {prefix}1..{prefix}{len(gdf)} generated from record numbers",
        )
        return pd.Series([f"{prefix}{r}" for r in rows], index=gdf.index, dtype="string")
    raw = gdf[col]
    ids = raw.astype("string").str.strip()
    # integers read as floats (e.g. 511102001.0) keep their integer text
    if pd.api.types.is_float_dtype(raw):
        whole = raw.notna() & (raw == raw.round())
        ids[whole] = raw[whole].astype("int64").astype("string")
    missing = ids.isna() | (ids == "")
    if missing.any():
        ids[missing] = [f"{prefix}{r}" for r in rows[missing.to_numpy()]]
        report.add(
            "missing_id",
            "repaired",
            rows=rows[missing.to_numpy()].tolist(),
            column=col,
            detail=f"id generated as {prefix}<record number>",
        )
    dup = ids.duplicated(keep=False)
    if dup.any():
        dup_rows = rows[dup.to_numpy()].tolist()
        if on_duplicate == "raise":
            raise InputError(
                f"duplicate ids {sorted(set(ids[dup]))[:10]}: each record needs its own id",
                source=source,
                rows=dup_rows,
                column=col,
            )
        later = ids.duplicated(keep="first")
        ids[later] = [f"{v}#{r}" for v, r in zip(ids[later], rows[later.to_numpy()], strict=True)]
        report.add(
            "duplicate_id",
            "repaired",
            rows=rows[later.to_numpy()].tolist(),
            column=col,
            detail="later duplicates renamed to <id>#<record number>",
        )
    return ids


def _finish(
    gdf: gpd.GeoDataFrame, normal: pd.DataFrame, found: Mapping[str, str], report: ValidationReport
) -> gpd.GeoDataFrame:
    extra = [
        c for c in gdf.columns if c not in found.values() and c not in (gdf.geometry.name, "_row")
    ]
    extra = [c for c in extra if c not in normal.columns]
    out = gpd.GeoDataFrame(
        pd.concat([normal, gdf[extra]], axis=1),
        geometry=gdf.geometry.values,
        crs=gdf.crs,
    )
    out = out.rename_geometry("geometry") if out.geometry.name != "geometry" else out
    out = out.reset_index(drop=True)
    out.attrs["report"] = report
    return out


def load_communities(
    path: PathLike | gpd.GeoDataFrame,
    *,
    community_id: str | None = None,
    name: str | None = None,
    households: str | None = None,
    population: str | None = None,
    kind: str | None = None,
    layer: str | int | None = None,
    crs: Any = None,
    encoding: str | None = None,
    report: ValidationReport | None = None,
) -> gpd.GeoDataFrame:
    """Load community boundaries (社区边界) with households (户数).

    Parameters
    ----------
    path
        A vector file or a GeoDataFrame of polygons.
    community_id, name, households, population, kind
        The user's column for each field, when not recognised automatically
        (e.g. ``households="户数"``). ``households`` is required; ``kind``
        (urban 城市社区 / rural 农村社区) is inferred from names ending in 村 when
        absent.
    layer, crs, encoding
        Passed to :func:`read_layer`.
    report
        A report to add findings to (a new one by default).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``community_id`` (str), ``name``, ``households`` (int),
        ``population`` (float, NaN when unknown), ``kind`` ('urban'/'rural'),
        the user's other columns, and ``geometry`` (polygons, repaired);
        ``attrs["report"]`` lists what was repaired, dropped or flagged.

    Raises
    ------
    InputError
        Missing households column, households not numbers, negative or missing,
        duplicate community ids, no CRS.

    Examples
    --------
    >>> from coverage15.datasets import sample_path
    >>> c = load_communities(sample_path("communities.geojson"))
    >>> sorted(c["kind"].unique())
    ['rural', 'urban']
    """
    source = str(path) if not isinstance(path, gpd.GeoDataFrame) else "communities"
    report = report if report is not None else ValidationReport(source=source)
    sub = ValidationReport(source=source)
    gdf = _read(path, layer=layer, crs=crs, encoding=encoding, report=sub)
    found = _resolve_columns(
        gdf,
        COMMUNITY_COLUMNS,
        {
            "community_id": community_id,
            "name": name,
            "households": households,
            "population": population,
            "kind": kind,
        },
        source=source,
        required=["households"],
    )
    # households (and residents) of every record, so the dropped ones are counted too
    counts = pd.DataFrame(index=gdf.index)
    counts["households"] = _to_number(
        gdf[found["households"]],
        source=source,
        column=found["households"],
        allow_missing=True,
        rows=gdf["_row"],
    )
    if "population" in found:
        counts["population"] = _to_number(
            gdf[found["population"]],
            source=source,
            column=found["population"],
            allow_missing=True,
            rows=gdf["_row"],
        )
    gdf = _clean_geometry(gdf, kind="polygon", report=sub, counts=counts)
    if len(gdf) == 0:
        raise InputError(
            f"no usable communities: every record was dropped ({sub.n_dropped}):\n{sub}",
            source=source,
        )
    normal = pd.DataFrame(index=gdf.index)
    normal["community_id"] = _ids(
        gdf, found.get("community_id"), prefix="C", source=source, report=sub, on_duplicate="raise"
    )
    normal["name"] = (
        gdf[found["name"]].astype("string") if "name" in found else normal["community_id"]
    )
    hh = counts.loc[gdf.index, "households"]
    if hh.isna().any():
        raise InputError(
            "values are missing",
            source=source,
            rows=gdf.loc[hh.isna(), "_row"].tolist(),
            column=found["households"],
        )
    frac = hh != hh.round()
    sub.add(
        "fractional_households",
        "repaired",
        rows=gdf.loc[frac, "_row"].tolist(),
        column=found["households"],
        detail="rounded to whole households",
    )
    normal["households"] = hh.round().astype("int64")
    sub.add(
        "zero_households",
        "flagged",
        rows=gdf.loc[normal["households"] == 0, "_row"].tolist(),
        column=found["households"],
        detail="community has no households",
    )
    if "population" in found:
        normal["population"] = counts.loc[gdf.index, "population"]
    else:
        normal["population"] = np.nan
    normal["kind"] = _kinds(gdf, found.get("kind"), normal["name"], source=source, report=sub)
    _check_plausible(gdf, normal, found, source=source, report=sub)
    overlaps = community_overlaps(gdf.geometry, normal["community_id"])
    if len(overlaps):
        involved = sorted(set(overlaps["community_a"]) | set(overlaps["community_b"]))
        pairs = "; ".join(
            f"{r.community_a} × {r.community_b}: {r.area_m2:,.0f} m² "
            f"({r.share_of_smaller:.0%} of the smaller)"
            for r in overlaps.head(10).itertuples()
        )
        more = f"; … {len(overlaps) - 10} more pairs" if len(overlaps) > 10 else ""
        mask = normal["community_id"].isin(involved).to_numpy()
        sub.add(
            "overlapping_communities",
            "flagged",
            rows=gdf.loc[mask, "_row"].tolist(),
            column="geometry",
            detail=f"{len(overlaps)} pair(s) of communities overlap beyond the tolerance "
            f"({OVERLAP_SHARE:.0%} of the smaller and {OVERLAP_MIN_M2:g} m²): {pairs}{more}. "
            "Facilities and buildings in an overlap are refused unless overlaps='largest'",
            households=normal.loc[mask, "households"].sum(),
        )
    out = _finish(gdf, normal, found, sub)
    out.attrs["overlaps"] = overlaps
    report.extend(sub)
    if len(out) == 0:
        raise InputError(
            f"no usable communities: every record was dropped ({report.n_dropped}):\n{report}",
            source=source,
        )
    out.attrs["report"] = report
    out.attrs["overlaps"] = overlaps
    return out


#: an overlap between two communities counts when its area is above both this share of
#: the smaller community and :data:`OVERLAP_MIN_M2` (digitising slivers along a shared
#: boundary stay below: a 1 m wobble along a 500 m edge of a 10 ha community is 0.5 %)
OVERLAP_SHARE = 0.01
OVERLAP_MIN_M2 = 100.0
#: flag a community with more households per hectare of its whole area than this. The
#: densest residential land GB 50180-2018 (table 4.0.2) allows is FAR 3.1-3.3 (26-33
#: storeys): ~31,000 m² of floor per hectare, ~350-600 households at 50-90 m² each; the
#: densest real districts (Mong Kok, ~130,000 residents/km², ~450 hh/ha) stay far below.
#: Only the Kowloon Walled City (~33,000 residents on 2.6 ha) ever exceeded it.
MAX_HOUSEHOLDS_PER_HA = 2000.0
#: flag households that look like administrative codes (9 digits and more:
#: township codes have 9, village/community codes 12)
CODE_LIKE = 1e8


def _check_plausible(
    gdf: gpd.GeoDataFrame,
    normal: pd.DataFrame,
    found: Mapping[str, str],
    *,
    source: str,
    report: ValidationReport,
) -> None:
    """Flag households far beyond any real community (kept, listed for checking)."""
    col = found["households"]
    hh = normal["households"].astype("float64")
    rows = gdf["_row"]
    codes = hh >= CODE_LIKE
    report.add(
        "households_look_like_codes",
        "flagged",
        rows=rows[codes].tolist(),
        column=col,
        detail=f"households >= {CODE_LIKE:,.0f}: looks like an administrative code, not a count",
        households=hh[codes].sum(),
    )
    area_ha = _metric(gdf.geometry).area.to_numpy() / 10_000.0
    with np.errstate(divide="ignore", invalid="ignore"):
        density = hh.to_numpy() / area_ha
    dense = (density > MAX_HOUSEHOLDS_PER_HA) & ~codes.to_numpy()
    if dense.any():
        worst = float(np.nanmax(np.where(dense, density, np.nan)))
        report.add(
            "implausible_density",
            "flagged",
            rows=rows[dense].tolist(),
            column=col,
            detail=f"more than {MAX_HOUSEHOLDS_PER_HA:,.0f} households per hectare (up to "
            f"{worst:,.0f}): beyond any real community; is the column population, or the "
            "boundary too small?",
            households=hh[dense].sum(),
        )
    if "population" in found:
        pop = normal["population"]
        more = (pop.notna() & (hh > pop) & (pop > 0)).to_numpy()
        report.add(
            "households_exceed_population",
            "flagged",
            rows=rows[more].tolist(),
            column=col,
            detail=f"more households than residents ('{found['population']}'): are the two "
            "columns swapped?",
            households=hh[more].sum(),
        )


def community_overlaps(
    geometry: gpd.GeoSeries, community_id: pd.Series | Sequence[str]
) -> pd.DataFrame:
    """Pairs of communities overlapping beyond the tolerance, with the overlap area.

    Parameters
    ----------
    geometry
        Community polygons (any CRS with a CRS set; areas are taken in metres).
    community_id
        Their ids, aligned with ``geometry``.

    Returns
    -------
    pandas.DataFrame
        ``community_a``, ``community_b``, ``area_m2`` (overlap) and
        ``share_of_smaller`` (overlap / area of the smaller community), largest
        first; only pairs above :data:`OVERLAP_SHARE` and :data:`OVERLAP_MIN_M2`.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> g = gpd.GeoSeries([shapely.box(0, 0, 100, 100), shapely.box(50, 0, 150, 100),
    ...                    shapely.box(150.5, 0, 250, 100)], crs="EPSG:4547")
    >>> community_overlaps(g, ["A", "B", "C"]).values.tolist()
    [['A', 'B', 5000.0, 0.5]]
    """
    ids = np.asarray(pd.Series(community_id).astype(str))
    metric = _metric(gpd.GeoSeries(geometry).reset_index(drop=True))
    geoms = metric.to_numpy()
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    pair = left < right
    left, right = left[pair], right[pair]
    columns = ["community_a", "community_b", "area_m2", "share_of_smaller"]
    if len(left) == 0:
        return pd.DataFrame(columns=columns)
    area = shapely.area(shapely.intersection(geoms[left], geoms[right]))
    smaller = np.minimum(shapely.area(geoms[left]), shapely.area(geoms[right]))
    share = np.divide(area, smaller, out=np.zeros_like(area), where=smaller > 0)
    big = (share > OVERLAP_SHARE) & (area > OVERLAP_MIN_M2)
    out = pd.DataFrame(
        {
            "community_a": ids[left[big]],
            "community_b": ids[right[big]],
            "area_m2": area[big].round(1),
            "share_of_smaller": share[big].round(4),
        },
        columns=columns,
    )
    return out.sort_values("area_m2", ascending=False, ignore_index=True)


def _kinds(
    gdf: pd.DataFrame, col: str | None, names: pd.Series, *, source: str, report: ValidationReport
) -> pd.Series:
    if col is None:
        rural = names.astype("string").str.strip().str.endswith("村").fillna(False)
        report.add(
            "kind_inferred",
            "info",
            detail=f"no urban/rural column: {int(rural.sum())} name(s) ending in 村 taken as "
            "rural, the rest as urban; pass kind= to use a column",
        )
        return pd.Series(np.where(rural, "rural", "urban"), index=gdf.index, dtype="string")
    urban = {_key(w) for w in URBAN_WORDS}
    rural = {_key(w) for w in RURAL_WORDS}
    values = gdf[col].astype("string").map(lambda v: _key(v) if pd.notna(v) else "")
    kind = pd.Series(pd.NA, index=gdf.index, dtype="string")
    kind[values.isin(urban)] = "urban"
    kind[values.isin(rural)] = "rural"
    bad = kind.isna()
    if bad.any():
        values = sorted(set(gdf.loc[bad, col].astype(str)))[:10]
        raise InputError(
            f"urban/rural values not recognised: {values}; use 城市社区/urban or 农村社区/rural",
            source=source,
            rows=gdf.loc[bad, "_row"].tolist(),
            column=col,
        )
    return kind


def load_facilities(
    path: PathLike | gpd.GeoDataFrame,
    *,
    facility_id: str | None = None,
    name: str | None = None,
    category: str | None = None,
    floor_area_m2: str | None = None,
    categories: Mapping[str, str] | None = None,
    unknown_categories: UnknownPolicy = "raise",
    communities: gpd.GeoDataFrame | None = None,
    overlaps: OverlapPolicy = "raise",
    layer: str | int | None = None,
    crs: Any = None,
    encoding: str | None = None,
    x: str | None = None,
    y: str | None = None,
    wkt: str | None = None,
    report: ValidationReport | None = None,
) -> gpd.GeoDataFrame:
    """Load service facilities (服务设施) with category (类别) and floor area (建筑面积).

    Parameters
    ----------
    path
        A vector file, CSV with lon/lat or WKT, or a GeoDataFrame. Polygons
        (building footprints) are turned into representative points.
    facility_id, name, category, floor_area_m2
        The user's column for each field when not recognised automatically.
    categories
        Extra mapping from the user's category values to category keys
        (``{"卫生站": "health_station"}``); the catalogue's Chinese and English
        names and aliases are recognised without it.
    unknown_categories
        ``"raise"`` (default) lists every unknown value with the nearest known
        key; ``"drop"`` drops those facilities (counted); ``"keep"`` keeps them
        with their raw value (flagged; the analysis ignores them).
    communities
        Loaded communities: each facility gets the ``community_id`` it lies in;
        facilities outside every community are kept and flagged. Coordinates whose
        axes look swapped against the communities' extent are refused.
    overlaps
        Facilities inside an overlap of two communities (see
        :func:`community_overlaps`): ``"raise"`` (default) refuses them, ``"largest"``
        gives each to the community it lies deepest inside (flagged).
    layer, crs, encoding, x, y, wkt
        Passed to :func:`read_layer`.
    report
        A report to add findings to.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``facility_id``, ``name``, ``category`` (a catalogue key),
        ``category_raw``, ``floor_area_m2`` (NaN when unknown), ``area_source``
        (``"input"``, ``"footprint"`` or ``"missing"``), ``community_id`` (when
        ``communities`` is given), the user's other columns, point ``geometry``.

    Examples
    --------
    >>> from coverage15.datasets import sample_path
    >>> f = load_facilities(sample_path("facilities.geojson"))
    >>> "kindergarten" in set(f["category"])
    True
    """
    source = str(path) if not isinstance(path, gpd.GeoDataFrame) else "facilities"
    if unknown_categories not in UNKNOWN_POLICIES:
        raise InputError(
            f"unknown_categories must be 'raise', 'drop' or 'keep', got {unknown_categories!r}",
            source=source,
        )
    report = report if report is not None else ValidationReport(source=source)
    sub = ValidationReport(source=source)
    gdf = _read(path, layer=layer, crs=crs, encoding=encoding, x=x, y=y, wkt=wkt, report=sub)
    found = _resolve_columns(
        gdf,
        FACILITY_COLUMNS,
        {
            "facility_id": facility_id,
            "name": name,
            "category": category,
            "floor_area_m2": floor_area_m2,
        },
        source=source,
        required=["category"],
    )
    gdf = _clean_geometry(gdf, kind="point", report=sub)
    normal = pd.DataFrame(index=gdf.index)
    normal["facility_id"] = _ids(
        gdf, found.get("facility_id"), prefix="F", source=source, report=sub, on_duplicate="repair"
    )
    normal["name"] = (
        gdf[found["name"]].astype("string") if "name" in found else normal["facility_id"]
    )
    raw = gdf[found["category"]].astype("string").str.strip()
    normal["category"], normal["category_raw"] = _categories(
        raw,
        gdf["_row"],
        categories or {},
        unknown_categories,
        source=source,
        column=found["category"],
        report=sub,
    )
    if "floor_area_m2" in found:
        area = _to_number(
            gdf[found["floor_area_m2"]],
            source=source,
            column=found["floor_area_m2"],
            allow_missing=True,
            rows=gdf["_row"],
        )
    else:
        area = pd.Series(np.nan, index=gdf.index)
    area_source = pd.Series(np.where(area.notna(), "input", "missing"), index=gdf.index)
    # polygons -> representative points; footprint area stands in for a missing floor area
    types = gdf.geometry.geom_type
    poly = types.isin(["Polygon", "MultiPolygon"]).to_numpy()
    if poly.any():
        metric = _metric(gdf.geometry[poly])
        use_fp = poly & area.isna().to_numpy()
        fp_area = pd.Series(np.nan, index=gdf.index)
        fp_area[poly] = metric.area.to_numpy()
        area[use_fp] = fp_area[use_fp]
        area_source[use_fp] = "footprint"
        sub.add(
            "polygon_to_point",
            "repaired",
            rows=gdf.loc[poly, "_row"].tolist(),
            column="geometry",
            detail="polygon facility placed at its representative point",
        )
        sub.add(
            "floor_area_from_footprint",
            "repaired",
            rows=gdf.loc[use_fp, "_row"].tolist(),
            column=found.get("floor_area_m2", "floor_area_m2"),
            detail="floor area missing: footprint area used (one storey assumed)",
        )
        pts = gdf.geometry.to_numpy().copy()
        pts[poly] = shapely.point_on_surface(pts[poly])
        gdf = gdf.set_geometry(gpd.GeoSeries(pts, index=gdf.index, crs=gdf.crs))
    types = gdf.geometry.geom_type.to_numpy()
    multi = types == "MultiPoint"
    if multi.any():
        pts = gdf.geometry.to_numpy().copy()
        pts[multi] = shapely.centroid(pts[multi])
        gdf = gdf.set_geometry(gpd.GeoSeries(pts, index=gdf.index, crs=gdf.crs))
        sub.add(
            "multipoint_to_point",
            "repaired",
            rows=gdf.loc[multi, "_row"].tolist(),
            column="geometry",
            detail="multipoint replaced by its centroid",
        )
    wrong = gdf.geometry.geom_type.to_numpy() != "Point"
    sub.add(
        "wrong_geometry_type",
        "dropped",
        rows=gdf.loc[wrong, "_row"].tolist(),
        column="geometry",
        detail="expected points or polygons (lines cannot be placed)",
    )
    keep = ~wrong
    gdf, normal, area, area_source = gdf[keep], normal[keep], area[keep], area_source[keep]
    sub.add(
        "missing_floor_area",
        "flagged",
        rows=gdf.loc[(area_source == "missing").to_numpy(), "_row"].tolist(),
        column=found.get("floor_area_m2", "floor_area_m2"),
        detail="no floor area: left out of area indicators",
    )
    normal["floor_area_m2"] = area.astype("float64")
    normal["area_source"] = area_source.astype("string")
    if unknown_categories == "drop":
        drop = normal["category"].isna()
        gdf, normal = gdf[~drop], normal[~drop]
    rows = gdf["_row"].to_numpy()
    out = _finish(gdf, normal, found, sub)
    if len(out) == 0:
        raise InputError(
            f"no usable facilities: every record was dropped ({sub.n_dropped}):\n{sub}",
            source=source,
        )
    if communities is not None:
        _check_axes_against(out, communities, rows, source=source)
        out = assign_communities(
            out, communities, report=sub, source=source, rows=rows, overlaps=overlaps
        )
    report.extend(sub)
    out.attrs["report"] = report
    return out


def _categories(
    raw: pd.Series,
    rows: pd.Series,
    extra: Mapping[str, str],
    policy: UnknownPolicy,
    *,
    source: str,
    column: str,
    report: ValidationReport,
) -> tuple[pd.Series, pd.Series]:
    catalogue = category_catalogue()
    for value, key in extra.items():
        if key not in catalogue:
            hint = suggest_category(key)
            raise InputError(
                f"categories={{{value!r}: {key!r}}}: {key!r} is not a category key"
                + (f"; did you mean {hint!r}?" if hint else ""),
                source=source,
                column=column,
            )
    extra_norm = {_key(k): v for k, v in extra.items()}
    keys = raw.map(
        lambda v: (extra_norm.get(_key(v)) or match_category(v)) if pd.notna(v) else None
    ).astype("string")
    empty = raw.isna() | (raw == "")
    unknown = keys.isna() & ~empty
    if empty.any():
        if policy == "raise":
            raise InputError(
                "facilities without a category; fill them in or pass unknown_categories='drop'",
                source=source,
                rows=rows[empty].tolist(),
                column=column,
            )
        report.add(
            "missing_category",
            "dropped" if policy == "drop" else "flagged",
            rows=rows[empty].tolist(),
            column=column,
            detail="no category",
        )
    if unknown.any():
        values = sorted(set(raw[unknown]))
        hints = []
        for v in values:
            h = suggest_category(v)
            hints.append(f"{v!r} (nearest: {h!r})" if h else f"{v!r}")
        text = "; ".join(hints[:20]) + (f"; … {len(hints) - 20} more" if len(hints) > 20 else "")
        if policy == "raise":
            raise InputError(
                f"unknown categories: {text}. Map them with categories={{value: key}} "
                "([inputs.facilities] categories = {...} in a config) or pass "
                "unknown_categories='drop' or 'keep' (--unknown-categories on the command line)",
                source=source,
                rows=rows[unknown].tolist(),
                column=column,
            )
        report.add(
            "unknown_category",
            "dropped" if policy == "drop" else "flagged",
            rows=rows[unknown].tolist(),
            column=column,
            detail=f"unknown categories: {text}",
        )
    return keys, raw


def assign_communities(
    facilities: gpd.GeoDataFrame,
    communities: gpd.GeoDataFrame,
    *,
    report: ValidationReport | None = None,
    source: str = "facilities",
    rows: Sequence[int] | np.ndarray | None = None,
    overlaps: OverlapPolicy = "raise",
) -> gpd.GeoDataFrame:
    """Add ``community_id`` (the community each point lies in) and flag points outside all.

    A point in two or more communities goes to the one it lies deepest inside (the
    largest distance to the boundary; on a shared boundary: the first by order).
    Where the communities overlap beyond the tolerance of :func:`community_overlaps`,
    that choice would be arbitrary, so such points are refused unless
    ``overlaps="largest"``. Points outside every community keep
    ``community_id = <NA>`` and are flagged in the report, never dropped.

    Parameters
    ----------
    facilities
        Points (facilities, homes ...) in any CRS; the communities are converted
        to it.
    communities
        Community polygons with ``community_id``.
    report
        Where to flag the points outside every community (``outside_communities``,
        by 1-based row number); nothing is recorded when None (the default).
    source
        Name of the input layer (default ``"facilities"``), for messages.
    rows
        Each point's record number in its source file (default: position + 1).
    overlaps
        ``"raise"`` (default) or ``"largest"`` (see above; flagged
        ``assigned_in_overlap``).

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``facilities`` (same rows, index and ``attrs``) with a string
        column ``community_id``.

    Examples
    --------
    >>> from coverage15.datasets import sample_path
    >>> c = load_communities(sample_path("communities.geojson"))
    >>> f = assign_communities(load_facilities(sample_path("facilities.geojson")), c)
    >>> bool(f["community_id"].notna().any())
    True
    """
    if overlaps not in ("raise", "largest"):
        raise InputError(f"overlaps must be 'raise' or 'largest', got {overlaps!r}", source=source)
    src = np.asarray(rows) if rows is not None else np.arange(1, len(facilities) + 1)
    comm = communities[["community_id", communities.geometry.name]].to_crs(facilities.crs)
    pts = facilities.geometry.to_numpy()
    polys = comm.geometry.to_numpy()
    pi, ci = shapely.STRtree(polys).query(pts, predicate="intersects")
    order = np.lexsort((ci, pi))
    pi, ci = pi[order], ci[order]
    chosen = np.full(len(pts), -1, dtype="int64")
    if len(pi):
        depth = shapely.distance(pts[pi], shapely.boundary(polys[ci]))
        # per point: the community it lies deepest inside (first by order on ties)
        best = np.lexsort((ci, -depth, pi))
        first = np.unique(pi[best], return_index=True)[1]
        chosen[pi[best][first]] = ci[best][first]
        multi = np.flatnonzero(np.bincount(pi, minlength=len(pts)) > 1)
        if len(multi):
            pairs = community_overlaps(comm.geometry, comm["community_id"])
            big = set(zip(pairs["community_a"], pairs["community_b"], strict=True))
            ids = comm["community_id"].astype(str).to_numpy()
            in_big = []
            for p in multi:
                cs = ids[ci[pi == p]]
                if any((a, b) in big or (b, a) in big for a in cs for b in cs if a != b):
                    in_big.append(p)
            if in_big and overlaps == "raise":
                raise InputError(
                    f"{len(in_big)} point(s) lie where communities overlap (beyond "
                    f"{OVERLAP_SHARE:.0%} of the smaller and {OVERLAP_MIN_M2:g} m²), e.g. in "
                    f"{sorted(set(ids[ci[pi == in_big[0]]]))}: which community they belong to "
                    "is ambiguous. Fix the boundaries, or pass overlaps='largest' (each point "
                    "to the community it lies deepest inside)",
                    source=source,
                    rows=src[in_big].tolist(),
                    column="geometry",
                )
            if report is not None:
                report.add(
                    "assigned_in_overlap",
                    "flagged",
                    rows=src[in_big].tolist(),
                    column="geometry",
                    detail="in overlapping communities: given to the one it lies deepest inside",
                )
    out = facilities.copy()
    cid = comm["community_id"].astype("string").to_numpy()
    out["community_id"] = pd.array([cid[c] if c >= 0 else pd.NA for c in chosen], dtype="string")
    outside = chosen < 0
    if report is not None:
        report.add(
            "outside_communities",
            "flagged",
            rows=src[outside].tolist(),
            column="geometry",
            detail="facility lies outside every community (kept: it still serves nearby homes)",
        )
    out.attrs = facilities.attrs
    return out


def _check_axes_against(
    points: gpd.GeoDataFrame, communities: gpd.GeoDataFrame, rows: np.ndarray, *, source: str
) -> None:
    """Refuse geographic points whose axes look swapped against the communities' extent.

    Where both orders are plausible degrees (e.g. 30, 60), the points are checked against
    the communities: fewer than half inside their extent (padded by half its size), but
    at least 90 % inside once swapped, means the axes are swapped.
    """
    if points.crs is None or not points.crs.is_geographic or len(points) == 0:
        return
    xy = shapely.get_coordinates(points.geometry.to_numpy())
    if len(xy) != len(points):
        return
    x0, y0, x1, y1 = communities.to_crs(points.crs).total_bounds
    pad_x, pad_y = max((x1 - x0) / 2, 0.01), max((y1 - y0) / 2, 0.01)

    def inside(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return (x >= x0 - pad_x) & (x <= x1 + pad_x) & (y >= y0 - pad_y) & (y <= y1 + pad_y)

    now = inside(xy[:, 0], xy[:, 1])
    swapped = inside(xy[:, 1], xy[:, 0])
    if now.mean() < 0.5 and swapped.mean() >= 0.9:
        raise InputError(
            f"the axes look swapped: {int((~now).sum())} of {len(xy)} point(s) lie outside "
            "the communities' extent, but inside it with x and y exchanged (e.g. "
            f"{xy[~now][0].round(5).tolist()}). Give longitude first (x = 经度, y = 纬度)",
            source=source,
            rows=np.asarray(rows)[~now].tolist(),
            column="geometry",
        )


def load_buildings(
    path: PathLike | gpd.GeoDataFrame,
    *,
    building_id: str | None = None,
    levels: str | None = None,
    use: str | None = None,
    floor_area_m2: str | None = None,
    default_levels: int = DEFAULT_LEVELS,
    residential_only: bool = True,
    layer: str | int | None = None,
    crs: Any = None,
    encoding: str | None = None,
    report: ValidationReport | None = None,
) -> gpd.GeoDataFrame:
    """Load building footprints with levels (楼层), for spreading households.

    Parameters
    ----------
    path
        A vector file or GeoDataFrame of building polygons.
    building_id, levels, use, floor_area_m2
        The user's columns when not recognised automatically.
    default_levels
        Levels assumed where the value is missing (counted in the report).
    residential_only
        Keep only residential buildings (住宅, residential, apartments, house …)
        when a use column exists; the others are dropped and counted.
    layer, crs, encoding
        Passed to :func:`read_layer`.
    report
        A report to add findings to.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``building_id``, ``levels`` (int), ``use``, ``footprint_m2``,
        ``floor_area_m2`` (given, else footprint × levels), the user's other
        columns and polygon ``geometry``.

    Examples
    --------
    >>> from coverage15.datasets import sample_path
    >>> b = load_buildings(sample_path("buildings.geojson"))
    >>> bool((b["floor_area_m2"] >= b["footprint_m2"]).all())
    True
    """
    source = str(path) if not isinstance(path, gpd.GeoDataFrame) else "buildings"
    report = report if report is not None else ValidationReport(source=source)
    sub = ValidationReport(source=source)
    gdf = _read(path, layer=layer, crs=crs, encoding=encoding, report=sub)
    found = _resolve_columns(
        gdf,
        BUILDING_COLUMNS,
        {"building_id": building_id, "levels": levels, "use": use, "floor_area_m2": floor_area_m2},
        source=source,
        required=[],
    )
    gdf = _clean_geometry(gdf, kind="polygon", report=sub)
    normal = pd.DataFrame(index=gdf.index)
    normal["building_id"] = _ids(
        gdf, found.get("building_id"), prefix="B", source=source, report=sub, on_duplicate="repair"
    )
    if "levels" in found:
        lv = _to_number(
            gdf[found["levels"]],
            source=source,
            column=found["levels"],
            allow_missing=True,
            rows=gdf["_row"],
        )
    else:
        lv = pd.Series(np.nan, index=gdf.index)
    sub.add(
        "missing_levels",
        "repaired",
        rows=gdf.loc[lv.isna() | (lv == 0), "_row"].tolist(),
        column=found.get("levels", "levels"),
        detail=f"levels missing or 0: {default_levels} assumed",
    )
    lv = lv.where(lv.notna() & (lv > 0), default_levels)
    normal["levels"] = lv.round().clip(lower=1).astype("int64")
    normal["use"] = gdf[found["use"]].astype("string") if "use" in found else pd.NA
    normal["footprint_m2"] = _metric(gdf.geometry).area.to_numpy()
    given = (
        _to_number(
            gdf[found["floor_area_m2"]],
            source=source,
            column=found["floor_area_m2"],
            allow_missing=True,
            rows=gdf["_row"],
        )
        if "floor_area_m2" in found
        else pd.Series(np.nan, index=gdf.index)
    )
    normal["floor_area_m2"] = given.fillna(normal["footprint_m2"] * normal["levels"])
    if residential_only and "use" in found:
        res = {_key(u) for u in RESIDENTIAL_USES}
        is_res = normal["use"].map(lambda v: pd.isna(v) or _key(v) in res).astype(bool)
        sub.add(
            "non_residential",
            "dropped",
            rows=gdf.loc[~is_res, "_row"].tolist(),
            column=found["use"],
            detail="not a residential building (residential_only=True)",
        )
        gdf, normal = gdf[is_res], normal[is_res]
    out = _finish(gdf, normal, found, sub)
    report.extend(sub)
    out.attrs["report"] = report
    return out


def load_open_spaces(
    path: PathLike | gpd.GeoDataFrame,
    *,
    open_space_id: str | None = None,
    name: str | None = None,
    area_m2: str | None = None,
    community_id: str | None = None,
    layer: str | int | None = None,
    crs: Any = None,
    encoding: str | None = None,
    report: ValidationReport | None = None,
) -> gpd.GeoDataFrame:
    """Load public plazas / open spaces (室外活动广场, 公共活动场地) as polygons.

    Used by the plaza-per-resident target (Leshan: 室外活动广场不低于人均 2.5 平方米).

    Parameters
    ----------
    path
        A vector file or GeoDataFrame of polygons.
    open_space_id, name, area_m2, community_id
        The user's columns when not recognised automatically (``area_m2`` e.g.
        ``"面积"``; optional: the polygon's own area in metres stands in).
    layer, crs, encoding
        Passed to :func:`read_layer`.
    report
        A report to add findings to.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``open_space_id``, ``name``, ``area_m2`` (given, else the polygon
        area in m²), ``area_source`` (``"input"`` / ``"polygon"``), ``community_id``
        (``<NA>`` when not given), the user's other columns and polygon
        ``geometry``. Repaired or dropped records are in ``attrs["report"]``.

    Raises
    ------
    InputError
        An area that is not a number (naming the rows and column), no CRS.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame({"名称": ["嘉州广场"]}, geometry=[box(0, 0, 50, 40)], crs=32648)
    >>> o = load_open_spaces(g)
    >>> o.loc[0, "name"], float(o.loc[0, "area_m2"]), o.loc[0, "area_source"]
    ('嘉州广场', 2000.0, 'polygon')
    """
    source = str(path) if not isinstance(path, gpd.GeoDataFrame) else "open_spaces"
    report = report if report is not None else ValidationReport(source=source)
    sub = ValidationReport(source=source)
    gdf = read_layer(path, layer=layer, crs=crs, encoding=encoding, report=sub)
    found = _resolve_columns(
        gdf,
        OPEN_SPACE_COLUMNS,
        {
            "open_space_id": open_space_id,
            "name": name,
            "area_m2": area_m2,
            "community_id": community_id,
        },
        source=source,
        required=[],
    )
    gdf = _clean_geometry(gdf, kind="polygon", report=sub)
    normal = pd.DataFrame(index=gdf.index)
    normal["open_space_id"] = _ids(
        gdf,
        found.get("open_space_id"),
        prefix="O",
        source=source,
        report=sub,
        on_duplicate="repair",
    )
    normal["name"] = (
        gdf[found["name"]].astype("string") if "name" in found else normal["open_space_id"]
    )
    given = (
        _to_number(
            gdf[found["area_m2"]], source=source, column=found["area_m2"], allow_missing=True
        )
        if "area_m2" in found
        else pd.Series(np.nan, index=gdf.index)
    )
    polygon = pd.Series(_metric(gdf.geometry).area.to_numpy(), index=gdf.index)
    sub.add(
        "open_space_area_from_polygon",
        "repaired",
        rows=gdf.loc[given.isna(), "_row"].tolist() if "area_m2" in found else [],
        column=found.get("area_m2", "area_m2"),
        detail="area missing: the polygon's own area used",
    )
    normal["area_m2"] = given.fillna(polygon).astype("float64")
    normal["area_source"] = np.where(given.notna(), "input", "polygon")
    normal["community_id"] = (
        gdf[found["community_id"]].astype("string")
        if "community_id" in found
        else pd.Series(pd.NA, index=gdf.index, dtype="string")
    )
    out = _finish(gdf, normal, found, sub)
    report.extend(sub)
    out.attrs["report"] = report
    return out
