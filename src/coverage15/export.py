"""Write results for GIS, spreadsheets and the web: GeoPackage, CSV, XLSX, GeoJSON.

:func:`write_results` writes every result layer of an
:class:`~coverage15.analysis.Analysis`:

* ``coverage15_results.gpkg`` — layers ``communities``, ``homes``,
  ``facilities`` (the network's projected CRS) and the non-spatial tables
  ``district``, ``worst`` and ``repairs``, with stable English column names;
  plus QGIS layer styles (a ``layer_styles`` table, as QGIS writes it) so the
  communities open as a choropleth of full coverage, homes by status and
  facilities by category, with Chinese (or English) field aliases.
* ``communities.csv``, ``homes.csv``, ``facilities.csv``, ``district.csv``,
  ``worst.csv``, ``repairs.csv`` — UTF-8 with a byte-order mark (Excel opens
  Chinese correctly), headers and coded values in Chinese or English.
* ``coverage15_results.xlsx`` — the same tables as sheets.
* ``communities.geojson``, ``homes.geojson``, ``facilities.geojson`` — WGS84
  (RFC 7946), stable column names, for web maps.

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
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import geopandas as gpd
import numpy as np
import pandas as pd

from coverage15._errors import InputError
from coverage15._files import atomic_path, same_file
from coverage15.labels import label, translate_frame

__all__ = ["FORMATS", "input_paths", "layer_style_qml", "write_results"]

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


def input_paths(analysis: Any) -> list[Path]:
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


def _tables(analysis: Any) -> dict[str, pd.DataFrame]:
    """The result tables by layer name (spatial ones are GeoDataFrames)."""
    tables: dict[str, pd.DataFrame] = {
        "communities": analysis.communities,
        "homes": analysis.homes,
        "facilities": analysis.facilities,
        "district": pd.DataFrame(analysis.district),
    }
    worst = getattr(analysis, "worst", None)
    if worst is not None:
        tables["worst"] = pd.DataFrame(worst).drop(columns="geometry", errors="ignore")
    report = getattr(analysis, "report", None)
    if report is not None and hasattr(report, "to_frame"):
        rep = report.to_frame()
        rep["rows"] = rep["rows"].map(_plain)
        tables["repairs"] = rep
    district = tables["district"].copy()
    for c in ("value", "target"):
        if c in district.columns:
            district[c] = pd.to_numeric(district[c], errors="coerce").astype("float64")
    tables["district"] = district
    return tables


def _for_people(name: str, frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A table for Excel: no geometry, lon/lat for points, headers and codes in ``lang``."""
    out = frame
    if isinstance(frame, gpd.GeoDataFrame):
        geom = frame.geometry
        out = pd.DataFrame(frame.drop(columns=frame.geometry.name))
        if len(geom) and (geom.geom_type == "Point").all() and frame.crs is not None:
            ll = geom.to_crs(4326)
            out["lon"] = ll.x.round(6).to_numpy()
            out["lat"] = ll.y.round(6).to_numpy()
    zh = lang == "zh"
    extra = {"lon": "经度" if zh else "Longitude", "lat": "纬度" if zh else "Latitude"}
    if name == "repairs":
        extra.update({"source": "文件" if zh else "File", "kind": "问题" if zh else "Problem"})
    if name == "district":
        from coverage15.labels import confidence_label, district_unit, indicator_label

        out = out.copy()
        share = out["unit"].astype(str).str.startswith("share")
        for c in ("value", "target"):  # shares in per cent, as the unit says
            v = pd.to_numeric(out[c], errors="coerce").astype("float64")
            out[c] = v.where(~share, v * 100.0).round(2)
        out["source"] = out["source"].replace({"computed": "计算" if lang == "zh" else "computed"})
        if "passed" in out.columns:
            from coverage15.labels import value_label

            suffix = "（目标未核实）" if lang == "zh" else " (target unverified)"
            out["passed"] = [
                None
                if p is None or (not isinstance(p, bool | np.bool_) and pd.isna(p))
                else str(value_label("passed", bool(p), lang)) + (suffix if c == "R" else "")
                for p, c in zip(out["passed"], out["confidence"], strict=True)
            ]
        out["indicator"] = out["indicator"].map(lambda k: indicator_label(k, lang))
        out["unit"] = out["unit"].map(lambda u: district_unit(u, lang))
        out["confidence"] = out["confidence"].map(
            lambda c: f"{c} {confidence_label(c, lang)}".strip()
        )
    if "category" in out.columns:
        from coverage15.labels import category_label

        out = out.copy()
        out["category"] = out["category"].map(
            lambda k: category_label(k, lang) if isinstance(k, str) else k
        )
    return translate_frame(out, lang, extra=extra)


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


def _symbol(name: str, kind: str, color: str, *, marker: str = "circle") -> str:
    if kind == "fill":
        cls = "SimpleFill"
        props = {
            "color": _rgba(color),
            "joinstyle": "bevel",
            "offset": "0,0",
            "offset_unit": "MM",
            "outline_color": "77,77,77,255",
            "outline_style": "solid",
            "outline_width": "0.26",
            "outline_width_unit": "MM",
            "style": "solid",
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


def _aliases(columns: Sequence[str], lang: str) -> str:
    # QGIS shows a GeoPackage's "fid" as field 0
    fid = "要素编号" if lang == "zh" else "Feature ID"
    rows = [f'    <alias field="fid" index="0" name={quoteattr(fid)}/>']
    rows += [
        f'    <alias field={quoteattr(c)} index="{i}" name={quoteattr(label(c, lang))}/>'
        for i, c in enumerate(columns, start=1)
    ]
    return "  <aliases>\n" + "\n".join(rows) + "\n  </aliases>"


_QML_HEAD = (
    "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
    '<qgis version="3.28.0-Firenze" styleCategories="AllStyleCategories" '
    'hasScaleBasedVisibilityFlag="0" minScale="100000000" maxScale="0">\n'
)


def layer_style_qml(
    layer: str,
    frame: pd.DataFrame,
    *,
    lang: str = "zh",
    column: str = "share_covered_all",
) -> str:
    """QGIS style (QML) for a result layer, with field aliases in ``lang``.

    ``communities``: a graduated choropleth of ``column`` with the classes of
    the static maps (:func:`coverage15.maps.classify`); ``homes``: categorised
    by ``status``; ``facilities``: categorised by ``category`` with the maps'
    colours. Other layers get aliases only.

    Parameters
    ----------
    layer
        The layer's name: ``"communities"``, ``"homes"``, ``"facilities"`` or
        any other (aliases only).
    frame
        The layer's table as written (its columns get aliases; its values set
        the classes and categories).
    lang
        ``"zh"`` (default) or ``"en"``: language of the field aliases and the
        legend labels.
    column
        For ``communities``, the column of the choropleth (default
        ``"share_covered_all"``; ignored when the table lacks it). Area columns
        (``area_per_100hh``, ``accessible_area_per_100hh``) are classed around the
        standard's ``area_target_per_100hh`` when present, others by quantiles.

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
    from coverage15.labels import category_label, value_label

    cols = [c for c in frame.columns if c != "geometry"]
    renderer = ""
    if layer == "communities" and column in frame.columns:
        from coverage15.styles import classify

        values = pd.to_numeric(frame[column], errors="coerce")
        method = "Quantile"
        centre = None
        scheme = "quantiles"
        if column in ("area_per_100hh", "accessible_area_per_100hh") and (
            "area_target_per_100hh" in frame.columns
        ):
            t = pd.to_numeric(frame["area_target_per_100hh"], errors="coerce").dropna()
            if len(t):
                centre, scheme, method = float(t.iloc[0]), "standard", "Pretty"
        cl = classify(values, scheme=scheme, standard=centre, column=column)
        finite = values.dropna()
        lo_all = float(finite.min()) if len(finite) else 0.0
        hi_all = float(finite.max()) if len(finite) else 0.0
        ranges, symbols = [], []
        for i in range(cl.k):
            lo, hi = cl.edges[i], cl.edges[i + 1]
            lo = min(lo_all, hi) if not np.isfinite(lo) else lo
            hi = max(hi_all, lo) if not np.isfinite(hi) else hi
            ranges.append(
                f'      <range lower="{lo:.6f}" upper="{hi:.6f}" symbol="{i}" '
                f'label={quoteattr(cl.labels[i])} render="true"/>'
            )
            symbols.append(_symbol(str(i), "fill", cl.colors[i]))
        renderer = (
            f'  <renderer-v2 type="graduatedSymbol" attr={quoteattr(column)} '
            'graduatedMethod="GraduatedColor" symbollevels="0" forceraster="0" '
            'enableorderby="0" referencescale="-1">\n'
            "    <ranges>\n" + "\n".join(ranges) + "\n    </ranges>\n"
            "    <symbols>\n" + "\n".join(symbols) + "\n    </symbols>\n"
            f'    <classificationMethod id="{method}"/>\n'
            "    <rotation/>\n    <sizescale/>\n"
            "  </renderer-v2>\n"
        )
    elif layer in ("homes", "facilities"):
        attr = "status" if layer == "homes" else "category"
        if attr in frame.columns:
            if layer == "homes":
                colors = {"covered": "#1a9850", "underserved": "#d73027", "off_network": "#6e6e6e"}
                names = {k: str(value_label("status", k, lang)) for k in colors}
                markers = dict.fromkeys(colors, "circle")
            else:
                from coverage15.styles import category_styles

                shape = {
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
                styles = category_styles(frame[attr].dropna().astype(str))
                colors = {k: c for k, (c, _) in styles.items()}
                markers = {k: shape.get(m, "circle") for k, (_, m) in styles.items()}
                names = {k: category_label(k, lang) for k in colors}
            cats, symbols = [], []
            for i, (k, color) in enumerate(colors.items()):
                cats.append(
                    f'      <category value={quoteattr(k)} symbol="{i}" '
                    f'label={quoteattr(names[k])} render="true"/>'
                )
                symbols.append(_symbol(str(i), "marker", color, marker=markers[k]))
            renderer = (
                f'  <renderer-v2 type="categorizedSymbol" attr={quoteattr(attr)} '
                'symbollevels="0" forceraster="0" enableorderby="0" referencescale="-1">\n'
                "    <categories>\n" + "\n".join(cats) + "\n    </categories>\n"
                "    <symbols>\n" + "\n".join(symbols) + "\n    </symbols>\n"
                "    <rotation/>\n    <sizescale/>\n"
                "  </renderer-v2>\n"
            )
    return _QML_HEAD + renderer + _aliases(cols, lang) + "\n</qgis>\n"


def _layer_styles(tables: dict[str, pd.DataFrame], lang: str) -> pd.DataFrame:
    now = _dt.datetime.now(_dt.UTC).replace(tzinfo=None, microsecond=0)
    rows = []
    for layer in ("communities", "homes", "facilities"):
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
                "styleSLD": "",
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
    "district": ("汇总", "District"),
    "communities": ("社区", "Communities"),
    "worst": ("覆盖最差社区", "Worst communities"),
    "facilities": ("设施", "Facilities"),
    "homes": ("住户点", "Homes"),
    "repairs": ("数据修复", "Data repairs"),
}


def _write_xlsx(
    tables: dict[str, pd.DataFrame],
    raw: dict[str, pd.DataFrame],
    path: Path,
    lang: str,
    protect: list[Path],
) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    from coverage15.labels import is_share

    with atomic_path(path, protect=protect) as tmp, pd.ExcelWriter(tmp, engine="openpyxl") as xw:
        for name, names in _SHEETS.items():
            if name not in tables:
                continue
            frame = tables[name]
            sheet = names[0 if lang == "zh" else 1]
            if len(frame) > EXCEL_MAX_ROWS:  # Excel's limit; the full table is in the CSV
                frame = frame.head(EXCEL_MAX_ROWS)
                sheet += "（部分）" if lang == "zh" else " (part)"
            frame.to_excel(xw, sheet_name=sheet[:31], index=False)
            ws = xw.sheets[sheet[:31]]
            ws.freeze_panes = "A2"
            for cell in ws[1]:
                cell.font = Font(bold=True)
            src_cols = [c for c in raw[name].columns if c != "geometry"]
            for j, header in enumerate(frame.columns, start=1):
                wide = 2 if lang == "zh" else 1
                ws.column_dimensions[get_column_letter(j)].width = min(
                    max(len(str(header)) * wide + 2, 10), 48
                )
                src = src_cols[j - 1] if j - 1 < len(src_cols) else ""
                if name != "district" and is_share(src):
                    for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                        cell.number_format = "0.0%"


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
    analysis: Any,
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
        Language of CSV/XLSX headers and coded values (kinds, statuses,
        category names) and of the QGIS field aliases: ``"zh"`` or ``"en"``.
        GeoPackage and GeoJSON keep the stable English column names and keys.
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
    ['communities.csv', 'homes.csv', 'facilities.csv', 'district.csv']
    >>> out["csv"][0].read_text(encoding="utf-8-sig").splitlines()[0]
    '社区编号,名称,户数,全部设施覆盖户数比例'
    """
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ValueError(f"unknown format(s) {sorted(unknown)}; formats are {list(FORMATS)}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    protect = [*input_paths(analysis), *(Path(p) for p in inputs)]
    tables = _tables(analysis)
    if crs is not None:
        tables = {n: _to_output_crs(t, crs) for n, t in tables.items()}
    written: dict[str, list[Path]] = {}
    # check every target before writing anything
    targets = []
    if "gpkg" in formats:
        targets.append(folder / GPKG_NAME)
    if "csv" in formats:
        targets += [folder / f"{n}.csv" for n in tables]
    if "xlsx" in formats:
        targets.append(folder / XLSX_NAME)
    if "geojson" in formats:
        targets += [
            folder / f"{n}.geojson" for n, t in tables.items() if isinstance(t, gpd.GeoDataFrame)
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
    people = None
    if "csv" in formats or "xlsx" in formats:
        people = {n: _for_people(n, t, lang) for n, t in tables.items()}
    if "csv" in formats and people is not None:
        written["csv"] = []
        for name, frame in people.items():
            p = folder / f"{name}.csv"
            _write_csv(frame, p, protect)
            written["csv"].append(p)
    if "xlsx" in formats and people is not None:
        _write_xlsx(people, tables, folder / XLSX_NAME, lang, protect)
        written["xlsx"] = [folder / XLSX_NAME]
    if "geojson" in formats:
        written["geojson"] = []
        for name, frame in tables.items():
            if isinstance(frame, gpd.GeoDataFrame):
                p = folder / f"{name}.geojson"
                _write_geojson(frame, p, protect)
                written["geojson"].append(p)
    return written
