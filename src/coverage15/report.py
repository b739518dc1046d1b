"""One self-contained HTML report per district, in Chinese or English.

:func:`write_report` writes a single ``.html`` file a planner can open offline,
print or send on: the district summary against the profile's targets (with the
source and confidence of each target — values recalled but not checked against
the printed standard, confidence ``R``, are marked *unverified*, never as
confirmed), coverage per facility category, the maps (embedded PNG), the
communities with the lowest coverage and what they lack, the data-repair
report of the loaders, and the OpenStreetMap attribution.

Examples
--------
>>> fmt_value(0.8734, "share of households"), fmt_value(5350.0, "households")
('87.3%', '5,350')
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coverage15.labels import (
    ATTRIBUTION,
    category_label,
    confidence_label,
    district_unit,
    indicator_label,
    label,
    tier_label,
    value_label,
)

__all__ = ["fmt_value", "report_html", "write_report"]

_T = {
    "title": ("15分钟生活圈设施覆盖评估报告", "15-minute living circle coverage report"),
    "summary": ("一、总体指标", "1. District summary"),
    "categories": ("二、各类设施步行可达情况", "2. Coverage by facility category"),
    "maps": ("三、专题地图", "3. Maps"),
    "worst": ("四、覆盖最差的社区", "4. Communities with the lowest coverage"),
    "repairs": ("五、输入数据修复记录", "5. Input data repairs"),
    "notes": ("六、说明", "6. Notes"),
    "indicator": ("指标", "Indicator"),
    "value": ("现状值", "Value"),
    "target": ("目标", "Target"),
    "result": ("结论", "Result"),
    "source": ("依据", "Source"),
    "confidence": ("可信度", "Confidence"),
    "category": ("设施类别", "Category"),
    "tier": ("层级", "Tier"),
    "threshold": ("步行距离标准", "Walking standard"),
    "hh_covered": ("可达户数", "Households within reach"),
    "share": ("可达户数比例", "Share of households"),
    "pass": ("达标", "pass"),
    "fail": ("未达标", "fail"),
    "unverified_target": ("（目标未核实）", " (target unverified)"),
    "no_target": ("—", "—"),
    "no_findings": (
        "输入数据未发现需要修复、剔除或标记的记录。",
        "No records of the inputs were repaired, dropped or flagged.",
    ),
    "profile": ("评估标准", "Standard profile"),
    "group": ("步行人群", "Walking group"),
    "speed": ("步行速度", "Walking speed"),
    "generated": ("生成时间", "Generated"),
    "communities": ("社区数", "Communities"),
    "households": ("户数", "Households"),
    "map_fig": ("图", "Figure"),
}
_GROUPS = {
    "general": ("一般人群", "general"),
    "slow": ("老人与儿童（慢速）", "elderly and children (slow)"),
}
_MAP_TITLES = {
    "coverage_all": (
        "全部设施步行可达户数比例",
        "Share of households reaching all required facilities",
    ),
    "underserved_households": ("服务不足户数", "Underserved households"),
    "area_per_100hh": (
        "每百户社区综合服务设施面积与标准",
        "Community facility area per 100 households vs the standard",
    ),
}


def _t(key: str, lang: str) -> str:
    return _T[key][0 if lang == "zh" else 1]


def fmt_value(value: Any, unit_text: str) -> str:
    """A district value for people: shares in per cent, counts with separators.

    Parameters
    ----------
    value
        The value (a number, or anything else shown as text); None, NaN and
        infinity show as a dash.
    unit_text
        The value's unit as in ``Analysis.district["unit"]``: units starting with
        ``"share"`` are fractions 0–1 shown in per cent with one decimal;
        ``"households"`` and whole numbers of 100 or more get thousands
        separators and no decimals; others one decimal.

    Returns
    -------
    str
        The formatted value, HTML-escaped when it is not a number.

    Examples
    --------
    >>> fmt_value(30.0, "m² per 100 households"), fmt_value(None, "households")
    ('30.0', '—')
    """
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "—"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return html.escape(str(value))
    if str(unit_text).startswith("share"):
        return f"{v * 100:.1f}%"
    if unit_text == "households" or (v.is_integer() and abs(v) >= 100):
        return f"{v:,.0f}"
    return f"{v:,.1f}"


def _source(source: Any, lang: str) -> str:
    s = "" if source is None else str(source)
    return ("计算" if lang == "zh" else "computed") if s == "computed" else s


def _badge(code: str, lang: str) -> str:
    code = "" if code is None or (isinstance(code, float) and np.isnan(code)) else str(code)
    text = confidence_label(code, lang)
    css = {"C1": "c1", "C2": "c2", "R": "r"}.get(code, "calc")
    shown = f"{code} {text}" if code else text
    return f'<span class="badge {css}">{html.escape(shown)}</span>'


def _summary_table(district: pd.DataFrame, lang: str) -> str:
    head = "".join(
        f"<th>{_t(k, lang)}</th>"
        for k in ("indicator", "value", "target", "result", "source", "confidence")
    )
    rows = []
    for _, r in district.iterrows():
        u = r.get("unit", "")
        target = r.get("target")
        has_target = target is not None and not (isinstance(target, float) and np.isnan(target))
        conf = r.get("confidence", "")
        passed = r.get("passed")
        if not has_target or passed is None or (isinstance(passed, float) and np.isnan(passed)):
            result, css = _t("no_target", lang), ""
        else:
            ok = bool(passed)
            result = _t("pass" if ok else "fail", lang)
            css = "pass" if ok else "fail"
            if conf == "R":
                result += _t("unverified_target", lang)
                css += " unverified"
        unit_shown = district_unit(u, lang)
        value = fmt_value(r.get("value"), u)
        if unit_shown and unit_shown != "%" and value != "—":
            value += f" {html.escape(unit_shown)}"
        tgt = fmt_value(target, u) if has_target else "—"
        if has_target and unit_shown and unit_shown != "%":
            tgt += f" {html.escape(unit_shown)}"
        if has_target:  # every target of the profiles is a minimum
            tgt = "≥ " + tgt
        rows.append(
            f'<tr class="{css}"><td>{html.escape(indicator_label(r["indicator"], lang))}</td>'
            f'<td class="num">{value}</td><td class="num">{tgt}</td>'
            f'<td class="result">{html.escape(result)}</td>'
            f"<td>{html.escape(_source(r.get('source', ''), lang))}</td>"
            f"<td>{_badge(conf, lang)}</td></tr>"
        )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _category_table(analysis: Any, lang: str) -> str:
    comm = analysis.communities
    profile = analysis.profile
    group = getattr(analysis, "group", "general")
    total = float(pd.to_numeric(comm["households"], errors="coerce").sum())
    head = "".join(
        f"<th>{_t(k, lang)}</th>"
        for k in ("category", "tier", "threshold", "hh_covered", "share", "source", "confidence")
    )
    rows = []
    for cat in getattr(profile, "required_categories", []):
        col = f"hh_covered__{cat}"
        if col not in comm.columns:
            continue
        req = profile.requirements[cat]
        covered = float(comm[col].sum())
        share = covered / total if total else float("nan")
        css = "pass" if share >= 0.999 else ("fail" if share < 0.8 else "")
        rows.append(
            f'<tr class="{css}"><td>{html.escape(category_label(cat, lang))}</td>'
            f"<td>{html.escape(tier_label(req.tier, lang))}</td>"
            f'<td class="num">{profile.threshold_m(cat, group):,.0f} '
            f"{'米' if lang == 'zh' else 'm'}</td>"
            f'<td class="num">{covered:,.0f}</td>'
            f'<td class="num share">{fmt_value(share, "share")}</td>'
            f"<td>{html.escape(req.source)}</td><td>{_badge(req.confidence, lang)}</td></tr>"
        )
    if not rows:
        return ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _frame_table(frame: pd.DataFrame, lang: str, *, limit: int = 200) -> str:
    if frame is None or not len(frame):
        return ""
    frame = frame.head(limit)
    cols = [c for c in frame.columns if c != "geometry"]
    head = "".join(f"<th>{html.escape(label(c, lang))}</th>" for c in cols)
    body = []
    for _, r in frame.iterrows():
        cells = []
        for c in cols:
            v = r[c]
            if c.startswith("share") and v is not None and not pd.isna(v):
                s, cls = f"{float(v) * 100:.1f}%", "num"
            elif isinstance(v, float | np.floating) and not pd.isna(v):
                s, cls = f"{float(v):,.1f}", "num"
            elif isinstance(v, int | np.integer) and not isinstance(v, bool):
                s, cls = f"{int(v):,}", "num"
            elif isinstance(v, list | tuple):
                shown = ", ".join(str(x) for x in v[:10]) + (" …" if len(v) > 10 else "")
                s, cls = shown, ""
            else:
                s = (
                    "—"
                    if v is None or (not isinstance(v, str) and pd.isna(v))
                    else str(value_label(c, v, lang))
                )
                cls = ""
            cells.append(f'<td class="{cls}">{html.escape(s)}</td>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _maps_html(analysis: Any, lang: str, dpi: int, osm: bool) -> str:
    from coverage15.maps import _draw, _standard_maps, figure_png, offscreen

    figures = []
    for i, (name, spec) in enumerate(_standard_maps(analysis), start=1):
        with offscreen():
            ax = _draw(analysis, spec, lang=lang, path=None, dpi=dpi, osm=osm)
        png = figure_png(ax, dpi=dpi)
        if name in _MAP_TITLES:
            caption = _MAP_TITLES[name][0 if lang == "zh" else 1]
        else:
            cat = spec.get("category", "")
            caption = (
                f"至{category_label(cat, lang)}的步行时间（覆盖率最低的设施类别）"
                if lang == "zh"
                else f"Walking time to {category_label(cat, lang)} (the least covered category)"
            )
        data = base64.b64encode(png).decode("ascii")
        figures.append(
            f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{_t('map_fig', lang)} {i}  {html.escape(caption)}</figcaption></figure>"
        )
    return "\n".join(figures)


_CSS = """
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC",
  "WenQuanYi Micro Hei", "Helvetica Neue", Arial, sans-serif; margin: 24px auto; max-width: 1100px;
  color: #1a1a1a; padding: 0 16px; }
h1 { font-size: 24px; margin-bottom: 4px; }
h2 { font-size: 18px; border-bottom: 2px solid #2166ac; padding-bottom: 3px; margin-top: 32px; }
.meta { color: #444; font-size: 13px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 8px 0; }
th, td { border: 1px solid #ccc; padding: 4px 7px; vertical-align: top; }
th { background: #f0f3f7; text-align: left; }
td.num { text-align: right; white-space: nowrap; }
tr.pass td.result, tr.pass td.share { color: #1b7837; font-weight: bold; }
tr.fail td.result, tr.fail td.share { color: #b2182b; font-weight: bold; }
tr.unverified td.result { font-style: italic; }
.badge { display: inline-block; padding: 0 6px; border-radius: 3px; font-size: 12px;
  white-space: nowrap; }
.badge.c1 { background: #d9f0d3; } .badge.c2 { background: #e7f1fa; }
.badge.r { background: #fde0dd; color: #8c1d18; font-weight: bold; }
.badge.calc { background: #eee; }
figure { margin: 16px 0; page-break-inside: avoid; }
figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { font-size: 13px; color: #333; }
.note { font-size: 12px; color: #444; }
footer { margin-top: 32px; font-size: 12px; color: #555; border-top: 1px solid #ccc;
  padding-top: 8px; }
@media print { body { margin: 0; max-width: none; } h2 { page-break-after: avoid; } }
"""


def report_html(
    analysis: Any,
    *,
    lang: str = "zh",
    title: str | None = None,
    maps: bool = True,
    dpi: int = 110,
    osm: bool | None = None,
) -> str:
    """The report as an HTML string (see :func:`write_report`).

    Parameters
    ----------
    analysis
        An :class:`~coverage15.analysis.Analysis`, or any object with its
        ``profile``, ``communities`` and ``district`` (``group``, ``worst`` and
        ``report`` are used when present; the maps need a whole Analysis).
    lang
        ``"zh"`` (default) or ``"en"``.
    title
        Report title (default: "15分钟生活圈设施覆盖评估报告", in English
        "15-minute living circle coverage report").
    maps
        Embed the standard maps as PNG images (default True).
    dpi
        Resolution of the embedded maps in dots per inch (default 110).
    osm
        Show the OpenStreetMap attribution (default: :func:`coverage15.maps.uses_osm`).

    Returns
    -------
    str
        A complete HTML document (UTF-8, inline CSS, maps as ``data:`` images),
        which loads nothing from elsewhere.

    Raises
    ------
    ValueError
        ``lang`` is neither ``"zh"`` nor ``"en"``.

    Examples
    --------
    >>> from coverage15.datasets import sample_analysis
    >>> page = report_html(sample_analysis(), lang="en", maps=False)
    >>> page.startswith("<!DOCTYPE html>"), "Communities with the lowest coverage" in page
    (True, True)
    """
    from coverage15 import __version__
    from coverage15._fonts import resolve_lang
    from coverage15.maps import uses_osm

    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    profile = analysis.profile
    comm = analysis.communities
    group = getattr(analysis, "group", "general")
    zh = lang == "zh"
    osm = uses_osm(analysis) if osm is None else osm
    heading = title or _t("title", lang)
    pname = profile.name_zh if zh else profile.name_en
    now = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    meta = [
        f"{_t('profile', lang)}：{html.escape(pname)} [{html.escape(profile.key)}]"
        if zh
        else f"{_t('profile', lang)}: {html.escape(pname)} [{html.escape(profile.key)}]",
        f"{_t('group', lang)}：{_GROUPS.get(group, (group, group))[0]}"
        f"，{_t('speed', lang)} {profile.speed(group):g} 米/分钟"
        if zh
        else f"{_t('group', lang)}: {_GROUPS.get(group, (group, group))[1]}, "
        f"{_t('speed', lang)} {profile.speed(group):g} m/min",
        f"{_t('communities', lang)} {len(comm)}，{_t('households', lang)} "
        f"{int(pd.to_numeric(comm['households']).sum()):,}"
        if zh
        else f"{_t('communities', lang)}: {len(comm)}, {_t('households', lang).lower()}: "
        f"{int(pd.to_numeric(comm['households']).sum()):,}",
        f"{_t('generated', lang)}{'：' if zh else ': '}{now} · coverage15 {__version__}",
    ]
    sections = [
        f"<h1>{html.escape(heading)}</h1>",
        '<div class="meta">' + "<br>".join(meta) + "</div>",
        f"<h2>{_t('summary', lang)}</h2>",
        _summary_table(pd.DataFrame(analysis.district), lang),
        '<p class="note">'
        + (
            "可信度：C1 = 已与官方原文核对；C2 = 来自二手资料；R = 凭记忆录入、未核实，"
            "请对照标准原文确认后再作为正式结论使用。"
            if zh
            else "Confidence: C1 = checked against the official text; C2 = from a secondary "
            "source; R = recalled and unverified — check against the printed standard before "
            "using it as a formal finding."
        )
        + "</p>",
    ]
    cat_table = _category_table(analysis, lang)
    if cat_table:
        sections += [f"<h2>{_t('categories', lang)}</h2>", cat_table]
    if maps:
        # labels in the maps follow the available fonts (English without a CJK font)
        sections += [
            f"<h2>{_t('maps', lang)}</h2>",
            _maps_html(analysis, resolve_lang(lang), dpi, osm),
        ]
    worst = getattr(analysis, "worst", None)
    if worst is not None and len(worst):
        sections += [f"<h2>{_t('worst', lang)}</h2>", _frame_table(pd.DataFrame(worst), lang)]
    report = getattr(analysis, "report", None)
    sections.append(f"<h2>{_t('repairs', lang)}</h2>")
    rep = report.to_frame() if report is not None and hasattr(report, "to_frame") else None
    if rep is not None and len(rep):
        sections.append(_frame_table(rep, lang))
    else:
        sections.append(f"<p>{_t('no_findings', lang)}</p>")
    sections += [
        f"<h2>{_t('notes', lang)}</h2>",
        '<p class="note">'
        + (
            "步行距离沿实际步行路网计算（含住户点、设施到最近道路的垂直距离）；"
            "各层级累计达标：15分钟生活圈需同时满足10分钟、5分钟生活圈及居住街坊的要求"
            "（GB 50180-2018 条文说明 5.0.2）。"
            if zh
            else "Walking distances follow the walking network (including each home's and "
            "facility's leg to the nearest street). Tiers are cumulative: the 15-minute circle "
            "also requires every 10-minute, 5-minute and block facility (GB 50180-2018, "
            "explanation of 5.0.2)."
        )
        + "</p>",
        "<footer>"
        + (f"{html.escape(ATTRIBUTION)} (openstreetmap.org/copyright) · " if osm else "")
        + ("由 coverage15 生成" if zh else "made with coverage15")
        + "</footer>",
    ]
    csp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    return "\n".join(
        [
            "<!DOCTYPE html>",
            f'<html lang="{"zh-CN" if zh else "en"}">',
            "<head>",
            '<meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{csp}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<meta name="generator" content="coverage15">',
            f"<title>{html.escape(heading)}</title>",
            f"<style>{_CSS}</style>",
            "</head>",
            "<body>",
            *sections,
            "</body>",
            "</html>",
        ]
    )


def write_report(
    analysis: Any,
    path: str | os.PathLike,
    *,
    lang: str = "zh",
    title: str | None = None,
    maps: bool = True,
    dpi: int = 110,
    osm: bool | None = None,
) -> Path:
    """Write the district report as one self-contained HTML file (atomically).

    Parameters
    ----------
    analysis
        An :class:`~coverage15.analysis.Analysis`.
    path
        The ``.html`` file.
    lang
        ``"zh"`` or ``"en"``.
    title
        Report title (default: "15分钟生活圈设施覆盖评估报告").
    maps
        Embed the standard maps (:func:`coverage15.maps.write_maps` set) as PNG.
    dpi
        Resolution of the embedded maps.
    osm
        Show "© OpenStreetMap contributors (ODbL)" in the report and maps
        (default: :func:`coverage15.maps.uses_osm`).

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import tempfile, pathlib, types
    >>> import geopandas as gpd, pandas as pd, shapely
    >>> from coverage15.standards import load_profile
    >>> comm = gpd.GeoDataFrame({"community_id": ["A"], "name": ["嘉州"], "households": [10],
    ...                          "share_covered_all": [0.5]},
    ...                         geometry=[shapely.box(0, 0, 9, 9)], crs="EPSG:32648")
    >>> district = pd.DataFrame({"indicator": ["coverage_urban"], "value": [0.8],
    ...     "target": [1.0], "passed": [False], "unit": ["share of urban communities"],
    ...     "source": ["民政部"], "confidence": ["R"]})
    >>> a = types.SimpleNamespace(communities=comm, district=district,
    ...                           profile=load_profile("civil_affairs"))
    >>> p = write_report(a, pathlib.Path(tempfile.mkdtemp()) / "report.html", maps=False)
    >>> page = p.read_text(encoding="utf-8")
    >>> "80.0%" in page, "未核实" in page, "© OpenStreetMap contributors (ODbL)" in page
    (True, True, True)
    """
    from coverage15._files import atomic_path
    from coverage15.export import input_paths

    page = report_html(analysis, lang=lang, title=title, maps=maps, dpi=dpi, osm=osm)
    path = Path(path)
    with atomic_path(path, protect=input_paths(analysis)) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return path
