"""Write results for GIS, spreadsheets and the web: GeoPackage, CSV, XLSX, GeoJSON.

:func:`write_results` writes every result layer of an
:class:`~coverage15.analysis.Analysis`:

* ``coverage15_results.gpkg`` — layers ``communities``, ``homes``,
  ``facilities``, ``service_areas`` (each required category's walking service
  area at its standard, from the routing engine) and ``walk_network`` (the
  streets), in the network's projected CRS, and the non-spatial tables
  ``targets``, ``district``, ``worst`` and ``repairs``; plus styles for every
  layer in a ``layer_styles`` table (as QGIS writes it): QML with Chinese (or
  English) field aliases for QGIS, and SLD for ArcGIS and GeoServer.
* ``communities.csv``, ``homes.csv``, … one per table, and
  ``data_dictionary.csv`` — UTF-8 with a byte-order mark (Excel opens Chinese
  correctly).
* ``coverage15_results.xlsx`` — the same tables as sheets, with number formats
  (shares as percentages, metres to 0.1), codes as text, autofilter, frozen
  header row and name column, and a data-dictionary sheet.
* ``communities.geojson``, ``homes.geojson``, ``facilities.geojson`` — WGS84
  (RFC 7946), for web maps.

One naming scheme: fields are the stable English snake_case names in every
format (``share_covered_all``, ``dist_m__pharmacy``); only with ``lang="zh"``
do CSV and XLSX get Chinese headers (with units), and the data dictionary maps
each field to its Chinese and English label and unit. Shares are stored as
fractions 0–1 everywhere (XLSX shows them as percentages by number format;
Chinese CSV headers say "0–1"); numbers are rounded to a meaningful precision
(metres, minutes and areas to 0.1, shares to 0.0001); codes (``community_id``
…) are text, so a 12-digit community code never becomes 5.11102E+11. Files
are named by file name only, never by a machine path.

Every file is written under a temporary name beside its final name and renamed
only when complete (:func:`atomic_path`), so a failed run never leaves a file
that looks finished; an output path that is one of the analysis's input files is
refused.

Examples
--------
>>> import tempfile, pathlib
>>> with atomic_path(pathlib.Path(tempfile.mkdtemp()) / "x.txt") as tmp:
...     _ = tmp.write_text("done")
>>> tmp.exists()
False
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import quoteattr

import geopandas as gpd
import numpy as np
import pandas as pd

from coverage15._errors import InputError
from coverage15._files import atomic_path, same_file
from coverage15.labels import label, translate_frame

if TYPE_CHECKING:
    from coverage15._types import AnalysisLike

__all__ = [
    "FORMATS",
    "column_kind",
    "data_dictionary",
    "file_name",
    "input_paths",
    "layer_style_qml",
    "layer_style_sld",
    "network_layer",
    "round_frame",
    "service_area_layer",
    "strip_paths",
    "write_results",
]

FORMATS = ("gpkg", "csv", "xlsx", "geojson")
GPKG_NAME = "coverage15_results.gpkg"
XLSX_NAME = "coverage15_results.xlsx"
EXCEL_MAX_ROWS = 1_048_575  # one row for the header


# --------------------------------------------------------------------------- safe writing


def _to_output_crs(frame: Any, crs: Any) -> Any:
    """A layer in the output CRS (offset systems GCJ-02/BD-09 included); tables unchanged.

    Examples
    --------
    >>> import shapely
    >>> g = gpd.GeoDataFrame(geometry=[shapely.Point(103.76, 29.55)], crs=4326)
    >>> moved = _to_output_crs(g, "gcj02").geometry.iloc[0]
    >>> 0.001 < moved.x - 103.76 < 0.01, str(_to_output_crs(g, "EPSG:4490").crs)
    (True, 'EPSG:4490')
    """
    if not isinstance(frame, gpd.GeoDataFrame) or frame.crs is None:
        return frame
    from coverage15.crs import OFFSET_SYSTEMS, from_wgs84, normalise_crs

    target = normalise_crs(crs) if isinstance(crs, str) else crs
    if isinstance(target, str) and target in OFFSET_SYSTEMS:
        return from_wgs84(frame, target)
    return frame.to_crs(target)


def input_paths(analysis: AnalysisLike) -> list[Path]:
    """Input files of an analysis, which outputs must never overwrite.

    Those named by the loaders' reports, by the layers' ``attrs["source"]`` and
    by an ``inputs`` attribute of the analysis (a list of paths), if any.

    Parameters
    ----------
    analysis
        An :class:`~coverage15.analysis.Analysis`, or any object with some of
        its attributes (``report``, ``communities``, ``facilities``, ``homes``,
        ``inputs``); missing ones are skipped.

    Returns
    -------
    list of pathlib.Path
        The existing files among them, each once, in the order found.

    Examples
    --------
    >>> import types
    >>> from coverage15.validation import ValidationReport
    >>> input_paths(types.SimpleNamespace(report=ValidationReport()))
    []
    """
    found: list[Path] = []
    report = getattr(analysis, "report", None)
    sources = [getattr(report, "source", None)]
    sources += [getattr(f, "source", None) for f in getattr(report, "findings", [])]
    for layer in ("communities", "facilities", "homes"):
        attrs = getattr(getattr(analysis, layer, None), "attrs", {}) or {}
        rep = attrs.get("report")
        sources.append(getattr(rep, "source", None))
        sources.append(attrs.get("source"))
    declared = getattr(analysis, "inputs", None)  # an optional list of input paths
    if isinstance(declared, list | tuple):
        sources += list(declared)
    for s in sources:
        if isinstance(s, str | os.PathLike) and s and Path(s).is_file():
            p = Path(s)
            if p not in found:
                found.append(p)
    return found


# --------------------------------------------------------------------------- tables


def _plain(value: Any) -> Any:
    if isinstance(value, list | tuple | set):
        return ", ".join(str(v) for v in value)
    return value


def _gis_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Column types every GIS reads: nullable booleans, floats, text."""
    out = frame.copy()
    for col in out.columns:
        if col == out.attrs.get("geometry_name", "geometry") and isinstance(out, gpd.GeoDataFrame):
            continue
        s = out[col]
        if isinstance(s.dtype, gpd.array.GeometryDtype):
            continue
        if s.dtype == object or str(s.dtype) in ("string", "str"):
            vals = s.dropna()
            if len(vals) and vals.map(lambda v: isinstance(v, bool | np.bool_)).all():
                out[col] = s.map(lambda v: None if pd.isna(v) else bool(v)).astype("boolean")
            elif (
                len(vals)
                and vals.map(
                    lambda v: isinstance(v, int | float | np.number) and not isinstance(v, bool)
                ).all()
            ):
                out[col] = pd.to_numeric(s, errors="coerce").astype("float64")
            else:
                out[col] = s.map(lambda v: None if _isna(v) else str(_plain(v))).astype(object)
    return out


def _isna(v: Any) -> bool:
    if isinstance(v, list | tuple | set | np.ndarray):
        return False
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def column_kind(column: str) -> str:
    """What a result column holds, which sets its rounding and number format.

    Parameters
    ----------
    column
        A stable column name.

    Returns
    -------
    str
        ``"code"`` (identifiers, kept as text), ``"share"`` (fraction 0–1),
        ``"metres"``, ``"minutes"``, ``"area"`` (m², m² per 100 households …),
        ``"count"`` (households, people, numbers of things), ``"lonlat"`` or
        ``"other"``.

    Examples
    --------
    >>> [column_kind(c) for c in ("community_id", "share__pharmacy", "dist_m__pharmacy",
    ...                            "area_per_100hh", "hh_underserved", "lon", "name")]
    ['code', 'share', 'metres', 'area', 'count', 'lonlat', 'other']
    """
    from coverage15.labels import is_share

    c = str(column)
    if c.endswith("_id") or c.startswith("facility__") or c in ("candidate", "key"):
        return "code"
    if is_share(c) or c.startswith("share"):
        return "share"
    if c.startswith("dist_m__") or c.endswith(("_m", "_metres")) or c in ("distance_m",):
        return "metres"
    if c.startswith("time_min__") or c in ("minutes",):
        return "minutes"
    if "area" in c or "m2" in c:
        return "area"
    if c in ("households", "population", "rank", "n") or c.startswith(("hh_", "n_")):
        return "count"
    if c in ("lon", "lat"):
        return "lonlat"
    return "other"


_DECIMALS = {"share": 4, "metres": 1, "minutes": 1, "area": 1, "lonlat": 6, "other": 3}


def round_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with numbers rounded to a meaningful precision and codes as text.

    Shares (fractions 0–1) to 4 decimals (0.01 %), metres, minutes and areas to
    0.1, longitude/latitude to 6 decimals (about 0.1 m), other floats to 3;
    integer counts unchanged; identifier columns (:func:`column_kind` ``"code"``)
    become text (``511102001004``, never ``5.11102E+11``).

    Parameters
    ----------
    frame
        A result table (the geometry column is left alone).

    Returns
    -------
    pandas.DataFrame
        Same class, rows and columns.

    Examples
    --------
    >>> df = pd.DataFrame({"community_id": [511102001004], "dist_m__pharmacy": [261.2148107],
    ...                    "share_covered_all": [0.348912]})
    >>> round_frame(df).to_dict("records")
    [{'community_id': '511102001004', 'dist_m__pharmacy': 261.2, 'share_covered_all': 0.3489}]
    """
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if isinstance(s.dtype, gpd.array.GeometryDtype):
            continue
        kind = column_kind(col)
        if kind == "code":
            if s.dtype != object or s.map(lambda v: isinstance(v, int | float | np.number)).any():
                out[col] = pd.Series(
                    [None if _isna(v) else _code_text(v) for v in s], index=s.index, dtype=object
                )
        elif kind == "count" and pd.api.types.is_float_dtype(s.dtype):
            finite = s.dropna()
            whole = bool(np.isfinite(finite).all() and (finite == finite.round()).all())
            out[col] = s.round().astype("Int64") if whole else s.round(1)
        elif pd.api.types.is_float_dtype(s.dtype):
            out[col] = s.round(_DECIMALS.get(kind, 3))
    return out


def _code_text(v: Any) -> str:
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))
    return str(v)


def file_name(value: Any) -> Any:
    """A path cut to its file name (outputs never carry a machine path); others unchanged.

    Parameters
    ----------
    value
        A path (``/`` or ``\\`` separated) or anything else.

    Returns
    -------
    object
        The file name for a path; ``value`` itself otherwise.

    Examples
    --------
    >>> file_name("/home/wang/data/设施.geojson"), file_name("analysis"), file_name(None)
    ('设施.geojson', 'analysis', None)
    """
    if not isinstance(value, str) or not value:
        return value
    return re.split(r"[\\/]", value)[-1]


_PATH = re.compile(r"(?:[A-Za-z]:)?(?:[\\/][^\s\\/:;,()'\"]+)+[\\/]([^\s\\/:;,()'\"]+)")


def strip_paths(text_: str) -> str:
    """Machine paths inside a sentence cut to their file names.

    Parameters
    ----------
    text_
        Any text, e.g. a repair report's detail.

    Returns
    -------
    str

    Examples
    --------
    >>> strip_paths("read /home/wang/data/社区.shp (3 rows)")
    'read 社区.shp (3 rows)'
    """
    return _PATH.sub(lambda m: m.group(1), text_)


def service_area_layer(analysis: AnalysisLike) -> gpd.GeoDataFrame | None:
    """Each required category's walking service area at its own standard (a GIS layer).

    Computed by :func:`coverage15.maps.service_areas` (the routing engine), from
    the facilities of the category, as far as the profile's walking distance
    for the category and the analysis's walking group.

    Parameters
    ----------
    analysis
        An :class:`~coverage15.analysis.Analysis` with its ``network``.

    Returns
    -------
    geopandas.GeoDataFrame or None
        ``category``, ``threshold_m``, ``minutes``, ``facilities`` (count),
        polygon geometry; None when the analysis has no network or no facility
        of a required category.

    Examples
    --------
    >>> from coverage15.datasets import sample_analysis
    >>> sa = service_area_layer(sample_analysis("leshan_2018"))
    >>> sa.columns.tolist()
    ['category', 'threshold_m', 'minutes', 'facilities', 'geometry']
    """
    net = getattr(analysis, "network", None)
    profile = getattr(analysis, "profile", None)
    if net is None or profile is None or not hasattr(net, "street_geometries"):
        return None
    from coverage15.maps import service_areas

    group = getattr(analysis, "group", "general")
    fac = analysis.facilities
    speed = profile.speed(group)
    rows = []
    for cat in profile.required_categories:
        these = fac[fac["category"] == cat]
        if not len(these):
            continue
        limit = float(profile.threshold_m(cat, group))
        sa = service_areas(net, these, minutes=[limit / speed], speed_m_per_min=speed)
        geom = sa.geometry.iloc[0] if len(sa) else None
        rows.append(
            {
                "category": cat,
                "threshold_m": limit,
                "minutes": limit / speed,
                "facilities": len(these),
                "geometry": geom,
            }
        )
    if not rows:
        return None
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=net.crs)


def network_layer(analysis: AnalysisLike) -> gpd.GeoDataFrame | None:
    """The walking network's streets as a line layer (``street_id``, ``length_m``).

    Parameters
    ----------
    analysis
        An :class:`~coverage15.analysis.Analysis` with its ``network``.

    Returns
    -------
    geopandas.GeoDataFrame or None
        One line per undirected street; None without a network.

    Examples
    --------
    >>> from coverage15.datasets import sample_analysis
    >>> streets = network_layer(sample_analysis())
    >>> streets.columns.tolist(), bool((streets["length_m"] > 0).all())
    (['street_id', 'length_m', 'geometry'], True)
    """
    net = getattr(analysis, "network", None)
    if net is None or not hasattr(net, "street_geometries"):
        return None
    geoms = np.asarray(net.street_geometries)
    lines = gpd.GeoSeries(geoms, crs=net.crs)
    return gpd.GeoDataFrame(
        {
            "street_id": [f"s{i}" for i in range(len(lines))],
            "length_m": lines.length.to_numpy(),
        },
        geometry=lines.to_numpy(),
        crs=net.crs,
    )


def _tables(analysis: AnalysisLike, *, layers: bool = False) -> dict[str, pd.DataFrame]:
    """The result tables by layer name (spatial ones are GeoDataFrames), rounded."""
    from coverage15.labels import targets_frame

    tables: dict[str, pd.DataFrame] = {
        "communities": analysis.communities,
        "homes": analysis.homes,
        "facilities": analysis.facilities,
        "targets": targets_frame(analysis),
        "district": pd.DataFrame(analysis.district),
    }
    worst = getattr(analysis, "worst", None)
    if worst is not None:
        tables["worst"] = pd.DataFrame(worst).drop(columns="geometry", errors="ignore")
    report = getattr(analysis, "report", None)
    if report is not None and hasattr(report, "to_frame"):
        rep = report.to_frame()
        rep["rows"] = rep["rows"].map(_plain)
        rep["source"] = rep["source"].map(file_name)  # never a machine path
        rep["detail"] = rep["detail"].map(lambda d: strip_paths(d) if isinstance(d, str) else d)
        tables["repairs"] = rep
    for name in ("district", "targets"):
        t = tables[name].copy()
        for c in ("value", "target"):
            if c in t.columns:
                t[c] = pd.to_numeric(t[c], errors="coerce").astype("float64").round(4)
        tables[name] = t
    targets = tables["targets"]
    targets["met"] = targets["met"].map(lambda v: None if _isna(v) else bool(v)).astype(object)
    if layers:
        for name, make in (("service_areas", service_area_layer), ("walk_network", network_layer)):
            layer = make(analysis)
            if layer is not None:
                tables[name] = layer
    return {n: round_frame(t) if n not in ("district", "targets") else t for n, t in tables.items()}


def _people_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """No geometry; longitude/latitude (WGS84) for point layers; lists as text."""
    out = frame
    if isinstance(frame, gpd.GeoDataFrame):
        geom = frame.geometry
        out = pd.DataFrame(frame.drop(columns=frame.geometry.name))
        if len(geom) and (geom.geom_type == "Point").all() and frame.crs is not None:
            ll = geom.to_crs(4326)
            out["lon"] = ll.x.round(6).to_numpy()
            out["lat"] = ll.y.round(6).to_numpy()
    out = out.copy()
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].map(_plain)
    return out


_EXTRA_COLUMNS = {
    "lon": ("经度", "Longitude"),
    "lat": ("纬度", "Latitude"),
    "key": ("指标代码", "Indicator key"),
    "label_zh": ("指标", "Indicator (Chinese)"),
    "label_en": ("指标（英文）", "Indicator"),
    "met": ("是否达标", "Met"),
    "reason": ("判定说明", "Reason"),
    "note": ("备注", "Note"),
    "street_id": ("路段编号", "Street ID"),
    "length_m": ("路段长度", "Street length"),
    "threshold_m": ("步行距离标准", "Walking standard"),
    "facilities": ("设施数", "Facilities"),
    "building_id": ("建筑编号", "Building ID"),
    "home_source": ("住户点来源", "Home source"),
    "category_raw": ("原始类别", "Category as given"),
    "area_source": ("面积来源", "Area source"),
}
_EXTRA_UNITS = {"length_m": ("米", "m"), "threshold_m": ("米", "m"), "minutes": ("分钟", "min")}


def field_label(column: str, lang: str, *, table: str = "") -> str:
    """The human label of a field of an output table in ``lang``.

    Parameters
    ----------
    column
        The stable field name.
    lang
        ``"zh"`` or ``"en"``.
    table
        The table it is in (``"repairs"`` names ``source``/``kind`` differently).

    Returns
    -------
    str

    Examples
    --------
    >>> field_label("lon", "zh"), field_label("share_covered_all", "en")
    ('经度', 'Share of households reaching all facilities')
    """
    zh = lang == "zh"
    if table == "repairs" and column in ("source", "kind"):
        return {"source": ("文件", "File"), "kind": ("问题", "Problem")}[column][0 if zh else 1]
    if table == "district" and column == "value":
        return "数值" if zh else "Value"
    if column in _EXTRA_COLUMNS:
        return _EXTRA_COLUMNS[column][0 if zh else 1]
    return label(column, lang)


def field_unit(column: str, lang: str) -> str:
    """The unit of a field in ``lang`` (``"0–1"`` for shares, ``""`` for none).

    Parameters
    ----------
    column
        The stable field name.
    lang
        ``"zh"`` or ``"en"``.

    Returns
    -------
    str

    Examples
    --------
    >>> field_unit("dist_m__pharmacy", "zh"), field_unit("share__pharmacy", "en")
    ('米', '0–1')
    """
    from coverage15.labels import unit

    if column_kind(column) == "share":
        return "0–1"
    if column in _EXTRA_UNITS:
        return _EXTRA_UNITS[column][0 if lang == "zh" else 1]
    return unit(column, lang)


def _zh_header(table: str, column: str, fmt: str) -> str:
    text_ = field_label(column, "zh", table=table)
    u = field_unit(column, "zh")
    if u == "0–1":
        return f"{text_}（0–1，显示为%）" if fmt == "xlsx" else f"{text_}（0–1）"
    if table in ("district", "targets") and column in ("value", "target"):
        return f"{text_}（比例为0–1）"
    if u and u not in ("户", "人", "%") and u not in text_:
        return f"{text_}（{u}）"
    return text_


def _for_people(name: str, frame: pd.DataFrame, lang: str, fmt: str = "csv") -> pd.DataFrame:
    """A table for CSV/XLSX: stable field names, or Chinese headers and values with ``zh``."""
    out = _people_frame(frame)
    if lang != "zh":
        return out
    from coverage15.labels import (
        category_label,
        confidence_label,
        district_unit,
        indicator_label,
        text,
        value_label,
    )

    out = out.copy()

    def verdict(p: Any, c: Any) -> Any:
        if p is None or (not isinstance(p, bool | np.bool_) and _isna(p)):
            return None
        return str(value_label("passed", bool(p), "zh")) + (
            text("target_unverified", "zh") if c == "R" else ""
        )

    if name in ("district", "targets"):
        flag = "passed" if name == "district" else "met"
        if flag in out.columns:
            out[flag] = [verdict(p, c) for p, c in zip(out[flag], out["confidence"], strict=True)]
        out["source"] = out["source"].replace({"computed": text("computed", "zh")})

        def unit_zh(u: Any) -> Any:
            if not isinstance(u, str):
                return u
            return "比例（0–1）" if u.startswith("share") or u == "%" else district_unit(u, "zh")

        out["unit"] = out["unit"].map(unit_zh)
        out["confidence"] = out["confidence"].map(
            lambda c: f"{c} {confidence_label(c, 'zh')}".strip() if isinstance(c, str) else c
        )
        if name == "district":
            out["indicator"] = out["indicator"].map(lambda k: indicator_label(k, "zh"))
    if name == "repairs":
        from coverage15.labels import action_label, finding_label

        out["kind"] = out["kind"].map(lambda k: finding_label(k, "zh"))
        out["action"] = out["action"].map(lambda a: action_label(a, "zh"))
    if "category" in out.columns:
        out["category"] = out["category"].map(
            lambda k: category_label(k, "zh") if isinstance(k, str) else k
        )
    for col in ("home_source", "area_source"):
        if col in out.columns:
            out[col] = out[col].map(lambda v, c=col: value_label(c, v, "zh"))
    extra = {c: _zh_header(name, c, fmt) for c in out.columns}
    return translate_frame(out, "zh", extra=extra)


def data_dictionary(tables: dict[str, pd.DataFrame], lang: str = "zh") -> pd.DataFrame:
    """Every field of the output tables with its Chinese and English label and unit.

    Parameters
    ----------
    tables
        Output tables by name (as written; point layers get ``lon``/``lat`` in
        CSV and XLSX).
    lang
        Language of the notes and headers: ``"zh"`` or ``"en"``.

    Returns
    -------
    pandas.DataFrame
        ``table``, ``field`` (the stable name, as in the GeoPackage and GeoJSON),
        ``label_zh`` (the Chinese header of ``--lang zh`` outputs), ``label_en``,
        ``unit_zh``, ``unit_en``, ``note`` (share and code conventions).

    Examples
    --------
    >>> d = data_dictionary({"communities": pd.DataFrame(columns=["community_id",
    ...                                                           "share_covered_all"])}, "en")
    >>> d[["field", "label_zh", "unit_en"]].values.tolist()
    [['community_id', '社区编号', ''], ['share_covered_all', '全部设施覆盖户数比例（0–1）', '0–1']]
    >>> d["note"].tolist()
    ['stored as text', 'stored as a fraction 0–1, shown as a percentage']
    """
    from coverage15.labels import text

    rows = []
    for name, frame in tables.items():
        cols = [c for c in frame.columns if c != "geometry"]
        if isinstance(frame, gpd.GeoDataFrame) and len(frame):
            if (frame.geometry.geom_type == "Point").all():
                cols += ["lon", "lat"]
        for c in cols:
            kind = column_kind(c)
            note = ""
            if kind == "share":
                note = text("dict_share_note", lang)
            elif kind == "code":
                note = text("dict_code_note", lang)
            rows.append(
                {
                    "table": name,
                    "field": c,
                    "label_zh": _zh_header(name, c, "csv"),
                    "label_en": field_label(c, "en", table=name),
                    "unit_zh": field_unit(c, "zh"),
                    "unit_en": field_unit(c, "en"),
                    "note": note,
                }
            )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- QGIS styles


def _rgba(hex_color: str, alpha: int = 255) -> str:
    h = hex_color.lstrip("#")
    return f"{int(h[0:2], 16)},{int(h[2:4], 16)},{int(h[4:6], 16)},{alpha}"


def _options(props: dict[str, str], indent: str) -> str:
    lines = [f'{indent}<Option type="Map">']
    lines += [
        f'{indent}  <Option type="QString" name={quoteattr(k)} value={quoteattr(v)}/>'
        for k, v in props.items()
    ]
    lines.append(f"{indent}</Option>")
    # legacy <prop> elements, read by QGIS versions before 3.26
    lines += [f"{indent}<prop k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in props.items()]
    return "\n".join(lines)


def _symbol(name: str, kind: str, color: str, *, marker: str = "circle", alpha: int = 255) -> str:
    if kind == "fill":
        cls = "SimpleFill"
        props = {
            "color": _rgba(color, alpha),
            "joinstyle": "bevel",
            "offset": "0,0",
            "offset_unit": "MM",
            "outline_color": "77,77,77,255" if alpha == 255 else _rgba(color),
            "outline_style": "solid",
            "outline_width": "0.26",
            "outline_width_unit": "MM",
            "style": "solid",
        }
    elif kind == "line":
        cls = "SimpleLine"
        props = {
            "capstyle": "round",
            "joinstyle": "round",
            "line_color": _rgba(color, alpha),
            "line_style": "solid",
            "line_width": "0.35",
            "line_width_unit": "MM",
        }
    else:
        cls = "SimpleMarker"
        props = {
            "angle": "0",
            "color": _rgba(color),
            "joinstyle": "bevel",
            "name": marker,
            "offset": "0,0",
            "offset_unit": "MM",
            "outline_color": "255,255,255,255",
            "outline_style": "solid",
            "outline_width": "0.2",
            "outline_width_unit": "MM",
            "scale_method": "diameter",
            "size": "2.4",
            "size_unit": "MM",
        }
    return (
        f'      <symbol type="{kind}" name={quoteattr(name)} alpha="1" clip_to_extent="1" '
        f'force_rhr="0">\n'
        f'        <layer class="{cls}" pass="0" enabled="1" locked="0">\n'
        f"{_options(props, '          ')}\n"
        f"        </layer>\n"
        f"      </symbol>"
    )


def _aliases(columns: Sequence[str], lang: str, layer: str = "") -> str:
    # QGIS shows a GeoPackage's "fid" as field 0
    fid = "要素编号" if lang == "zh" else "Feature ID"
    rows = [f'    <alias field="fid" index="0" name={quoteattr(fid)}/>']
    rows += [
        f'    <alias field={quoteattr(c)} index="{i}" '
        f"name={quoteattr(field_label(c, lang, table=layer))}/>"
        for i, c in enumerate(columns, start=1)
    ]
    return "  <aliases>\n" + "\n".join(rows) + "\n  </aliases>"


_QML_HEAD = (
    "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
    '<qgis version="3.28.0-Firenze" styleCategories="AllStyleCategories" '
    'hasScaleBasedVisibilityFlag="0" minScale="100000000" maxScale="0">\n'
)


@dataclass(frozen=True)
class StyleRule:
    """One class of a layer style: its legend label, colour and the values it takes.

    Parameters
    ----------
    label
        Legend text.
    color
        Hex colour.
    lower, upper
        For graduated styles: the class bounds (``lower <= v < upper``; the last
        class includes ``upper``); None otherwise.
    value
        For categorised styles: the attribute value; None otherwise.
    marker
        QGIS marker name for points (``circle``, ``square`` …).

    Examples
    --------
    >>> StyleRule("≥ 30", "#2166ac", lower=30.0, upper=50.0).value is None
    True
    """

    label: str
    color: str
    lower: float | None = None
    upper: float | None = None
    value: str | None = None
    marker: str = "circle"


_SHARE_EDGES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
_MARKERS = {
    "o": "circle",
    "s": "square",
    "^": "triangle",
    "D": "diamond",
    "v": "triangle",
    "P": "cross_fill",
    "X": "cross2",
    "p": "pentagon",
    "h": "hexagon",
    "*": "star",
    "<": "arrow",
    ">": "arrow",
}


def style_rules(
    layer: str, frame: pd.DataFrame, *, lang: str = "zh", column: str = "share_covered_all"
) -> tuple[str, str | None, str, list[StyleRule]]:
    """The classes of a layer's default style, shared by the QML and the SLD.

    Parameters
    ----------
    layer
        ``"communities"`` (graduated by ``column``: shares on fixed 20 % steps of
        0–100 %, never quantiles of a handful of communities; area columns on a
        diverging scale around the standard), ``"homes"`` (by ``status``),
        ``"facilities"`` and ``"service_areas"`` (by ``category``),
        ``"walk_network"`` (one line symbol); others get no rules.
    frame
        The layer's table as written.
    lang
        Language of the legend labels.
    column
        The communities' choropleth column.

    Returns
    -------
    tuple
        ``(mode, attribute, geometry kind, rules)``: mode ``"graduated"``,
        ``"categorized"``, ``"single"`` or ``"none"``; geometry kind ``"fill"``,
        ``"marker"`` or ``"line"``.

    Examples
    --------
    >>> mode, attr, kind, rules = style_rules(
    ...     "communities", pd.DataFrame({"share_covered_all": [0.1, 0.95]}))
    >>> mode, attr, [r.label for r in rules][:2]
    ('graduated', 'share_covered_all', ['0% – 20%', '20% – 40%'])
    """
    from coverage15.labels import category_label, value_label

    if layer == "communities" and column in frame.columns:
        from coverage15.styles import classify, sample_colors

        values = pd.to_numeric(frame[column], errors="coerce")
        if column_kind(column) == "share":
            colors = sample_colors("YlGnBu", len(_SHARE_EDGES) - 1)
            rules = [
                StyleRule(f"{lo:.0%} – {hi:.0%}", colors[i], lower=lo, upper=hi)
                for i, (lo, hi) in enumerate(pairwise(_SHARE_EDGES))
            ]
            return "graduated", column, "fill", rules
        centre, scheme = None, "natural_breaks"
        if column in ("area_per_100hh", "accessible_area_per_100hh") and (
            "area_target_per_100hh" in frame.columns
        ):
            t = pd.to_numeric(frame["area_target_per_100hh"], errors="coerce").dropna()
            if len(t):
                centre, scheme = float(t.iloc[0]), "standard"
        cl = classify(values, scheme=scheme, standard=centre, column=column)
        finite = values.dropna()
        lo_all = float(finite.min()) if len(finite) else 0.0
        hi_all = float(finite.max()) if len(finite) else 0.0
        rules = []
        for i in range(cl.k):
            lo, hi = cl.edges[i], cl.edges[i + 1]
            lo = min(lo_all, hi) if not np.isfinite(lo) else lo
            hi = max(hi_all, lo) if not np.isfinite(hi) else hi
            rules.append(StyleRule(cl.labels[i], cl.colors[i], lower=float(lo), upper=float(hi)))
        return "graduated", column, "fill", rules
    if layer == "homes" and "status" in frame.columns:
        status_colors = {"covered": "#1a9850", "underserved": "#d73027", "off_network": "#6e6e6e"}
        rules = [
            StyleRule(str(value_label("status", k, lang)), c, value=k)
            for k, c in status_colors.items()
        ]
        return "categorized", "status", "marker", rules
    if layer in ("facilities", "service_areas") and "category" in frame.columns:
        from coverage15.styles import category_styles

        styles = category_styles(frame["category"].dropna().astype(str))
        rules = [
            StyleRule(category_label(k, lang), c, value=k, marker=_MARKERS.get(m, "circle"))
            for k, (c, m) in styles.items()
        ]
        return "categorized", "category", "marker" if layer == "facilities" else "fill", rules
    if layer == "walk_network":
        return "single", None, "line", [StyleRule("", "#7f7f7f")]
    return "none", None, "", []


def layer_style_qml(
    layer: str,
    frame: pd.DataFrame,
    *,
    lang: str = "zh",
    column: str = "share_covered_all",
) -> str:
    """QGIS style (QML) for a result layer, with field aliases in ``lang``.

    The classes are those of :func:`style_rules` (communities graduated by
    ``column``, homes by status, facilities and service areas by category, the
    walking network as grey lines); other layers get aliases only.

    Parameters
    ----------
    layer
        The layer's name (``"communities"``, ``"homes"``, ``"facilities"``,
        ``"service_areas"``, ``"walk_network"`` or any other).
    frame
        The layer's table as written (its columns get aliases; its values set
        the classes and categories).
    lang
        ``"zh"`` (default) or ``"en"``: language of the field aliases and the
        legend labels.
    column
        For ``communities``, the column of the choropleth (default
        ``"share_covered_all"``; ignored when the table lacks it).

    Returns
    -------
    str
        The QML document (QGIS 3.28 style XML), to save beside the layer or in a
        GeoPackage's ``layer_styles`` table.

    Examples
    --------
    >>> import pandas as pd
    >>> qml = layer_style_qml("homes", pd.DataFrame({"status": ["covered", "underserved"]}))
    >>> '<renderer-v2 type="categorizedSymbol" attr="status"' in qml, "服务不足" in qml
    (True, True)
    """
    cols = [c for c in frame.columns if c != "geometry"]
    mode, attr, kind, rules = style_rules(layer, frame, lang=lang, column=column)
    alpha = 110 if layer == "service_areas" else 255
    renderer = ""
    symbols = [
        _symbol(str(i), kind, r.color, marker=r.marker, alpha=alpha) for i, r in enumerate(rules)
    ]
    tail = "    <rotation/>\n    <sizescale/>\n  </renderer-v2>\n"
    if mode == "graduated":
        ranges = [
            f'      <range lower="{r.lower:.6f}" upper="{r.upper:.6f}" symbol="{i}" '
            f'label={quoteattr(r.label)} render="true"/>'
            for i, r in enumerate(rules)
        ]
        renderer = (
            f'  <renderer-v2 type="graduatedSymbol" attr={quoteattr(str(attr))} '
            'graduatedMethod="GraduatedColor" symbollevels="0" forceraster="0" '
            'enableorderby="0" referencescale="-1">\n'
            "    <ranges>\n" + "\n".join(ranges) + "\n    </ranges>\n"
            "    <symbols>\n" + "\n".join(symbols) + "\n    </symbols>\n"
            '    <classificationMethod id="Fixed"/>\n' + tail
        )
    elif mode == "categorized":
        cats = [
            f'      <category value={quoteattr(str(r.value))} symbol="{i}" '
            f'label={quoteattr(r.label)} render="true"/>'
            for i, r in enumerate(rules)
        ]
        renderer = (
            f'  <renderer-v2 type="categorizedSymbol" attr={quoteattr(str(attr))} '
            'symbollevels="0" forceraster="0" enableorderby="0" referencescale="-1">\n'
            "    <categories>\n" + "\n".join(cats) + "\n    </categories>\n"
            "    <symbols>\n" + "\n".join(symbols) + "\n    </symbols>\n" + tail
        )
    elif mode == "single":
        renderer = (
            '  <renderer-v2 type="singleSymbol" symbollevels="0" forceraster="0" '
            'enableorderby="0" referencescale="-1">\n'
            "    <symbols>\n" + "\n".join(symbols) + "\n    </symbols>\n" + tail
        )
    return _QML_HEAD + renderer + _aliases(cols, lang, layer) + "\n</qgis>\n"


def _sld_symbolizer(kind: str, color: str, marker: str, alpha: float) -> str:
    if kind == "fill":
        return (
            "<se:PolygonSymbolizer><se:Fill>"
            f'<se:SvgParameter name="fill">{color}</se:SvgParameter>'
            f'<se:SvgParameter name="fill-opacity">{alpha:g}</se:SvgParameter>'
            "</se:Fill><se:Stroke>"
            '<se:SvgParameter name="stroke">#4d4d4d</se:SvgParameter>'
            '<se:SvgParameter name="stroke-width">0.5</se:SvgParameter>'
            "</se:Stroke></se:PolygonSymbolizer>"
        )
    if kind == "line":
        return (
            "<se:LineSymbolizer><se:Stroke>"
            f'<se:SvgParameter name="stroke">{color}</se:SvgParameter>'
            '<se:SvgParameter name="stroke-width">1</se:SvgParameter>'
            "</se:Stroke></se:LineSymbolizer>"
        )
    shape = marker if marker in ("circle", "square", "triangle", "star", "cross") else "circle"
    return (
        "<se:PointSymbolizer><se:Graphic><se:Mark>"
        f"<se:WellKnownName>{shape}</se:WellKnownName>"
        f'<se:Fill><se:SvgParameter name="fill">{color}</se:SvgParameter></se:Fill>'
        '<se:Stroke><se:SvgParameter name="stroke">#ffffff</se:SvgParameter></se:Stroke>'
        "</se:Mark><se:Size>8</se:Size></se:Graphic></se:PointSymbolizer>"
    )


def layer_style_sld(
    layer: str,
    frame: pd.DataFrame,
    *,
    lang: str = "zh",
    column: str = "share_covered_all",
) -> str:
    """The same style as :func:`layer_style_qml` as OGC SLD 1.1 (ArcGIS, GeoServer, QGIS).

    Parameters
    ----------
    layer, frame, lang, column
        As for :func:`layer_style_qml`.

    Returns
    -------
    str
        A ``StyledLayerDescriptor`` document with one rule per class (an OGC
        filter on the attribute); ``""`` for a layer without a style.

    Examples
    --------
    >>> sld = layer_style_sld("homes", pd.DataFrame({"status": ["covered"]}), lang="en")
    >>> "<ogc:PropertyName>status</ogc:PropertyName>" in sld, "underserved" in sld
    (True, True)
    """
    from xml.sax.saxutils import escape

    mode, attr, kind, rules = style_rules(layer, frame, lang=lang, column=column)
    if mode == "none":
        return ""
    alpha = 0.45 if layer == "service_areas" else 1.0
    prop = f"<ogc:PropertyName>{escape(str(attr))}</ogc:PropertyName>"
    out = []
    for i, r in enumerate(rules):
        if mode == "graduated":
            last = i == len(rules) - 1
            upper_op = "PropertyIsLessThanOrEqualTo" if last else "PropertyIsLessThan"
            filt = (
                "<ogc:Filter><ogc:And>"
                f"<ogc:PropertyIsGreaterThanOrEqualTo>{prop}<ogc:Literal>{r.lower}</ogc:Literal>"
                "</ogc:PropertyIsGreaterThanOrEqualTo>"
                f"<ogc:{upper_op}>{prop}<ogc:Literal>{r.upper}</ogc:Literal></ogc:{upper_op}>"
                "</ogc:And></ogc:Filter>"
            )
        elif mode == "categorized":
            filt = (
                f"<ogc:Filter><ogc:PropertyIsEqualTo>{prop}<ogc:Literal>"
                f"{escape(str(r.value))}</ogc:Literal></ogc:PropertyIsEqualTo></ogc:Filter>"
            )
        else:
            filt = ""
        title = escape(r.label or layer)
        out.append(
            f"<se:Rule><se:Name>{title}</se:Name><se:Description><se:Title>{title}</se:Title>"
            f"</se:Description>{filt}{_sld_symbolizer(kind, r.color, r.marker, alpha)}</se:Rule>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<StyledLayerDescriptor version="1.1.0" xmlns="http://www.opengis.net/sld" '
        'xmlns:se="http://www.opengis.net/se" xmlns:ogc="http://www.opengis.net/ogc" '
        'xmlns:xlink="http://www.w3.org/1999/xlink" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://www.opengis.net/sld '
        'http://schemas.opengis.net/sld/1.1.0/StyledLayerDescriptor.xsd">'
        f"<NamedLayer><se:Name>{escape(layer)}</se:Name><UserStyle>"
        f"<se:Name>coverage15 {escape(layer)}</se:Name><se:FeatureTypeStyle>"
        + "".join(out)
        + "</se:FeatureTypeStyle></UserStyle></NamedLayer></StyledLayerDescriptor>\n"
    )


def _layer_styles(tables: dict[str, pd.DataFrame], lang: str) -> pd.DataFrame:
    now = _dt.datetime.now(_dt.UTC).replace(tzinfo=None, microsecond=0)
    rows = []
    for layer in ("communities", "homes", "facilities", "service_areas", "walk_network"):
        if layer not in tables:
            continue
        rows.append(
            {
                "f_table_catalog": "",
                "f_table_schema": "",
                "f_table_name": layer,
                "f_geometry_column": "geom",
                "styleName": f"coverage15 {layer}"[:30],
                "styleQML": layer_style_qml(layer, tables[layer], lang=lang),
                "styleSLD": layer_style_sld(layer, tables[layer], lang=lang),
                "useAsDefault": True,
                "description": "coverage15 default style",
                "owner": "",
                "ui": "",
                "update_time": now,
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- writers


def _write_gpkg(
    tables: dict[str, pd.DataFrame], path: Path, lang: str, protect: list[Path]
) -> None:
    import pyogrio

    with atomic_path(path, protect=protect) as tmp:
        for name, frame in tables.items():
            data = _gis_ready(frame)
            if isinstance(frame, gpd.GeoDataFrame):
                data = gpd.GeoDataFrame(data, geometry=frame.geometry.name, crs=frame.crs)
                pyogrio.write_dataframe(data, tmp, layer=name, driver="GPKG")
            else:
                pyogrio.write_dataframe(pd.DataFrame(data), tmp, layer=name, driver="GPKG")
        styles = _layer_styles(tables, lang)
        if len(styles):
            pyogrio.write_dataframe(
                styles, tmp, layer="layer_styles", driver="GPKG", layer_options={"FID": "id"}
            )


def _write_csv(frame: pd.DataFrame, path: Path, protect: list[Path]) -> None:
    with atomic_path(path, protect=protect) as tmp:
        frame.to_csv(tmp, index=False, encoding="utf-8-sig")


_SHEETS = {
    "targets": ("指标达标", "targets"),
    "district": ("汇总", "district"),
    "communities": ("社区", "communities"),
    "worst": ("覆盖最差社区", "worst"),
    "facilities": ("设施", "facilities"),
    "homes": ("住户点", "homes"),
    "repairs": ("数据修复", "repairs"),
}
_FORMATS = {
    "share": "0.0%",
    "metres": "#,##0.0",
    "minutes": "0.0",
    "area": "#,##0.0",
    "count": "#,##0",
    "lonlat": "0.000000",
    "code": "@",
}


def _unit_format(unit_text: Any) -> str:
    u = str(unit_text)
    if u.startswith("share") or u in ("%", "fraction", "share"):
        return "0.0%"
    if u in ("households", "communities"):
        return "#,##0"
    return "#,##0.0"


def _write_xlsx(
    people: dict[str, pd.DataFrame],
    raw: dict[str, pd.DataFrame],
    dictionary: pd.DataFrame,
    path: Path,
    lang: str,
    protect: list[Path],
) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    from coverage15.labels import display_width, text

    zh = lang == "zh"
    with atomic_path(path, protect=protect) as tmp, pd.ExcelWriter(tmp, engine="openpyxl") as xw:
        sheets = [(n, people[n]) for n in _SHEETS if n in people]
        for name, frame in sheets:
            sheet = _SHEETS[name][0 if zh else 1]
            if len(frame) > EXCEL_MAX_ROWS:  # Excel's limit; the full table is in the CSV
                frame = frame.head(EXCEL_MAX_ROWS)
                sheet += "（部分）" if zh else " (part)"
            frame.to_excel(xw, sheet_name=sheet[:31], index=False)
            ws = xw.sheets[sheet[:31]]
            fields = list(_people_frame(raw[name].head(0)).columns)
            fields += [
                c
                for c in ("lon", "lat")
                if c in _people_frame(raw[name].head(1)).columns and c not in fields
            ]
            # freeze the header row and the columns up to the name (else the first column)
            name_col = fields.index("name") + 1 if "name" in fields else 1
            ws.freeze_panes = f"{get_column_letter(name_col + 1)}2"
            ws.auto_filter.ref = ws.dimensions
            for cell in ws[1]:
                cell.font = Font(bold=True)
            units = raw[name]["unit"].tolist() if name in ("district", "targets") else None
            raw_frame = _people_frame(raw[name])
            for j, header in enumerate(frame.columns, start=1):
                field_ = fields[j - 1] if j - 1 < len(fields) else ""
                kind = column_kind(field_)
                column = ws.iter_rows(min_row=2, min_col=j, max_col=j, max_row=len(frame) + 1)
                if units is not None and field_ in ("value", "target"):
                    for i, (cell,) in enumerate(column):
                        cell.number_format = _unit_format(units[i])
                elif kind in _FORMATS and (
                    kind == "code" or pd.api.types.is_numeric_dtype(raw_frame[field_].dtype)
                ):
                    fmt = _FORMATS[kind]
                    for (cell,) in column:
                        if kind == "code" and cell.value is not None:
                            cell.value = str(cell.value)
                        cell.number_format = fmt
                sample = [display_width(v) for v in frame.iloc[:200, j - 1].astype(str)]
                ws.column_dimensions[get_column_letter(j)].width = min(
                    max([display_width(header) + 2, 8, *[w + 2 for w in sample]]), 48
                )
        title = text("dict_sheet", lang)
        heads = (
            {
                "table": "表",
                "field": text("dict_field", "zh"),
                "label_zh": text("dict_label", "zh"),
                "label_en": "英文名称",
                "unit_zh": text("dict_unit", "zh"),
                "unit_en": "英文单位",
                "note": text("dict_note", "zh"),
            }
            if zh
            else None
        )
        shown = dictionary.rename(columns=heads) if heads else dictionary
        shown.to_excel(xw, sheet_name=title, index=False)
        ws = xw.sheets[title]
        ws.freeze_panes = "C2"
        ws.auto_filter.ref = ws.dimensions
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for j, col in enumerate(shown.columns, start=1):
            widths = [display_width(v) for v in shown[col].astype(str)] + [display_width(col)]
            ws.column_dimensions[get_column_letter(j)].width = min(max(widths) + 2, 60)


def _write_geojson(frame: gpd.GeoDataFrame, path: Path, protect: list[Path]) -> None:
    import pyogrio

    data = gpd.GeoDataFrame(_gis_ready(frame), geometry=frame.geometry.name, crs=frame.crs)
    if data.crs is not None:
        data = data.to_crs(4326)
    with atomic_path(path, protect=protect) as tmp:
        pyogrio.write_dataframe(
            data,
            tmp,
            driver="GeoJSON",
            layer=path.stem,
            layer_options={"RFC7946": "YES", "WRITE_NAME": "NO"},
        )


def write_results(
    analysis: AnalysisLike,
    folder: str | os.PathLike,
    *,
    lang: str = "zh",
    formats: Sequence[str] = FORMATS,
    inputs: Iterable[str | os.PathLike] = (),
    crs: Any = None,
) -> dict[str, list[Path]]:
    """Write the analysis tables and layers into ``folder``.

    Parameters
    ----------
    analysis
        An :class:`~coverage15.analysis.Analysis`.
    folder
        Output folder (created if needed). Existing outputs are replaced
        atomically; input files are never overwritten.
    lang
        ``"zh"``: CSV/XLSX get Chinese headers (with units) and coded values
        (kinds, statuses, category names); ``"en"``: they keep the stable
        snake_case field names and keys of the GeoPackage and GeoJSON. Also the
        language of the QGIS field aliases, legend labels and data dictionary.
    formats
        Any of ``"gpkg"``, ``"csv"``, ``"xlsx"``, ``"geojson"``.
    inputs
        Further files that must not be overwritten (the loaders' input files
        are protected already).
    crs
        Write the layers in this system instead of the analysis's metric CRS:
        any CRS pyproj knows (e.g. ``"EPSG:4490"``), or ``"gcj02"`` / ``"bd09"``
        to hand results back in the offset system the inputs came in (the
        coordinates are shifted; the files then say EPSG:4326, as Amap and Baidu
        data usually do).

    Returns
    -------
    dict
        Files written per format.

    Raises
    ------
    InputError
        An output would overwrite an input file.

    Examples
    --------
    >>> import tempfile, types
    >>> import geopandas as gpd, pandas as pd, shapely
    >>> comm = gpd.GeoDataFrame({"community_id": ["A"], "name": ["嘉州"], "households": [10],
    ...                          "share_covered_all": [0.5]},
    ...                         geometry=[shapely.box(0, 0, 100, 100)], crs="EPSG:32648")
    >>> homes = gpd.GeoDataFrame({"home_id": ["h1"], "community_id": ["A"], "households": [10],
    ...                           "status": ["covered"]},
    ...                          geometry=[shapely.Point(50, 50)], crs="EPSG:32648")
    >>> fac = gpd.GeoDataFrame({"facility_id": ["f"], "category": ["pharmacy"]},
    ...                        geometry=[shapely.Point(10, 10)], crs="EPSG:32648")
    >>> district = pd.DataFrame({"indicator": ["households"], "value": [10.0], "target": [None],
    ...     "passed": [None], "unit": ["households"], "source": ["computed"], "confidence": [""]})
    >>> a = types.SimpleNamespace(communities=comm, homes=homes, facilities=fac,
    ...                           district=district)
    >>> out = write_results(a, tempfile.mkdtemp(), formats=("csv",))
    >>> [p.name for p in out["csv"]]
    ['communities.csv', 'homes.csv', 'facilities.csv', 'targets.csv', 'district.csv',
     'data_dictionary.csv']
    >>> out["csv"][0].read_text(encoding="utf-8-sig").splitlines()[0]
    '社区编号,名称,户数,全部设施覆盖户数比例（0–1）'
    """
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ValueError(f"unknown format(s) {sorted(unknown)}; formats are {list(FORMATS)}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    protect = [*input_paths(analysis), *(Path(p) for p in inputs)]
    tables = _tables(analysis, layers="gpkg" in formats)
    if crs is not None:
        tables = {n: _to_output_crs(t, crs) for n, t in tables.items()}
    gis_only = ("service_areas", "walk_network")
    flat = {n: t for n, t in tables.items() if n not in gis_only}
    written: dict[str, list[Path]] = {}
    # check every target before writing anything
    targets = []
    if "gpkg" in formats:
        targets.append(folder / GPKG_NAME)
    if "csv" in formats:
        targets += [folder / f"{n}.csv" for n in flat] + [folder / "data_dictionary.csv"]
    if "xlsx" in formats:
        targets.append(folder / XLSX_NAME)
    if "geojson" in formats:
        targets += [
            folder / f"{n}.geojson" for n, t in flat.items() if isinstance(t, gpd.GeoDataFrame)
        ]
    for t in targets:
        for p in protect:
            if same_file(t, p):
                raise InputError(
                    "refusing to overwrite an input file; choose another output folder",
                    source=str(t),
                )
    if "gpkg" in formats:
        _write_gpkg(tables, folder / GPKG_NAME, lang, protect)
        written["gpkg"] = [folder / GPKG_NAME]
    dictionary = data_dictionary(tables, lang)
    if "csv" in formats:
        written["csv"] = []
        for name, frame in flat.items():
            p = folder / f"{name}.csv"
            _write_csv(_for_people(name, frame, lang, "csv"), p, protect)
            written["csv"].append(p)
        p = folder / "data_dictionary.csv"
        _write_csv(dictionary, p, protect)
        written["csv"].append(p)
    if "xlsx" in formats:
        people = {n: _for_people(n, t, lang, "xlsx") for n, t in flat.items()}
        _write_xlsx(people, flat, dictionary, folder / XLSX_NAME, lang, protect)
        written["xlsx"] = [folder / XLSX_NAME]
    if "geojson" in formats:
        written["geojson"] = []
        for name, frame in flat.items():
            if isinstance(frame, gpd.GeoDataFrame):
                p = folder / f"{name}.geojson"
                _write_geojson(frame, p, protect)
                written["geojson"].append(p)
    return written
