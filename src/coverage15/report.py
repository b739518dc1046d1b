"""The district report, in Chinese or English throughout: HTML, PDF and Word.

:func:`report_content` gathers what a planning office reads, built from
``Analysis.targets`` (every target of the profile with its value, result,
source and confidence): a cover (district, profile, date), a summary of three
or four sentences generated from the numbers (what meets, what fails, by how
much, where), the targets table with honest confidence badges (C1 official
text, C2 secondary source, R unverified — never shown as confirmed), sharp
contrasts between indicators explained in words, walking access per category,
the maps, the communities with the lowest coverage and what they lack, siting
suggestions when given, and the method and data sources (network source and
date, the ODbL where OpenStreetMap is used, what the loaders repaired or
dropped — files named by file name only, never by a machine path).

:func:`write_report` writes it as one self-contained HTML file (page numbers
and a table of contents when printed), :func:`write_report_pdf` prints that file
to PDF with headless Chromium where it is installed, and
:func:`coverage15.report_docx.write_report_docx` writes an editable Word file.

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
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from coverage15.export import file_name, strip_paths
from coverage15.labels import (
    ATTRIBUTION,
    action_label,
    category_label,
    confidence_label,
    district_unit,
    finding_label,
    indicator_label,
    label,
    map_title,
    targets_frame,
    text,
    tier_label,
)

if TYPE_CHECKING:
    from coverage15._types import AnalysisLike

__all__ = [
    "ReportContent",
    "ReportTable",
    "fmt_value",
    "lacking_table",
    "report_content",
    "report_html",
    "targets_frame",
    "write_report",
    "write_report_pdf",
]

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


# --------------------------------------------------------------------------- numbers


def _missing(v: Any) -> bool:
    if v is None:
        return True
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _is_share_unit(unit_text: Any) -> bool:
    u = "" if _missing(unit_text) else str(unit_text)
    return u.startswith("share") or u in ("%", "fraction")


def fmt_value(value: Any, unit_text: str) -> str:
    """A value for people: shares in per cent, counts with separators.

    Parameters
    ----------
    value
        The value (a number, or anything else shown as text); None, NaN and
        infinity show as a dash.
    unit_text
        The value's unit as in ``Analysis.targets["unit"]`` or
        ``Analysis.district["unit"]``: ``"%"``, ``"share"`` and units starting
        with ``"share"`` are fractions 0–1 shown in per cent with one decimal;
        ``"households"`` and whole numbers of 100 or more get thousands
        separators and no decimals; others one decimal.

    Returns
    -------
    str
        The formatted value.

    Examples
    --------
    >>> fmt_value(30.0, "m² per 100 households"), fmt_value(None, "households")
    ('30.0', '—')
    """
    if _missing(value) or (isinstance(value, float) and not np.isfinite(value)):
        return "—"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if _is_share_unit(unit_text):
        return f"{v * 100:.1f}%"
    if unit_text == "households" or (v.is_integer() and abs(v) >= 100):
        return f"{v:,.0f}"
    return f"{v:,.1f}"


def _with_unit(value: Any, unit_text: Any, lang: str) -> str:
    shown = fmt_value(value, unit_text)
    u = district_unit(str(unit_text), lang) if not _missing(unit_text) else ""
    if shown != "—" and u and u != "%":
        shown += f" {u}"
    return shown


# --------------------------------------------------------------------------- tables in


def lacking_table(analysis: AnalysisLike) -> pd.DataFrame:
    """Households per community lacking each category within its standard (long table).

    ``Analysis.lacking`` when the analysis has it; else parsed from the
    communities' ``lacking`` text (``"<category>: <households>; …"``).

    Parameters
    ----------
    analysis
        An :class:`~coverage15.analysis.Analysis` (or an object with
        ``lacking`` or ``communities``).

    Returns
    -------
    pandas.DataFrame
        ``community_id``, ``category``, ``households`` (int), largest gaps first
        within each community.

    Examples
    --------
    >>> import types
    >>> c = pd.DataFrame({"community_id": ["A", "B"],
    ...                   "lacking": ["pharmacy: 12; kindergarten: 620", ""]})
    >>> lacking_table(types.SimpleNamespace(communities=c)).values.tolist()
    [['A', 'kindergarten', 620], ['A', 'pharmacy', 12]]
    """
    given = getattr(analysis, "lacking", None)
    needed = {"community_id", "category", "households"}
    if isinstance(given, pd.DataFrame) and needed <= set(given.columns):
        out = given[["community_id", "category", "households"]].copy()
    else:
        rows = []
        comm = getattr(analysis, "communities", None)
        if comm is not None and "lacking" in comm.columns:
            for cid, value in zip(comm["community_id"], comm["lacking"], strict=True):
                if not isinstance(value, str):
                    continue
                for part in value.split(";"):
                    key, _, n = part.strip().partition(":")
                    if key.strip() and n.strip():
                        rows.append((cid, key.strip(), int(float(n))))
        out = pd.DataFrame(rows, columns=["community_id", "category", "households"])
    out["households"] = pd.to_numeric(out["households"]).astype("int64")
    out = out[out["households"] > 0]
    order = out.sort_values(
        ["households", "category"], ascending=[False, True], kind="stable"
    ).index
    first = {cid: i for i, cid in enumerate(dict.fromkeys(out["community_id"]))}
    out = out.loc[order]
    out = out.iloc[np.argsort(out["community_id"].map(first).to_numpy(), kind="stable")]
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------- content


@dataclass
class ReportTable:
    """A table of the report, already in words: headers and text cells.

    Parameters
    ----------
    headers
        Column headings.
    rows
        Text cells, row by row.
    numeric
        Indices of right-aligned (number) columns.
    row_class
        Per row ``"pass"``, ``"fail"`` or ``""`` (colours the result column).
    code_cols
        Indices of columns holding names, codes or quoted sources (kept as
        given in any language).

    Examples
    --------
    >>> ReportTable(["a"], [["1"]]).rows
    [['1']]
    """

    headers: list[str]
    rows: list[list[str]]
    numeric: tuple[int, ...] = ()
    row_class: list[str] = field(default_factory=list)
    code_cols: tuple[int, ...] = ()


@dataclass
class ReportContent:
    """Everything the report says, in one language; rendered to HTML or Word.

    :func:`report_content` builds it.

    Parameters
    ----------
    lang
        ``"zh"`` or ``"en"``.
    title, district, profile, profile_key, date
        The cover.
    meta
        Further cover lines (walking group and speed, size of the district).
    abstract
        The summary's sentences.
    targets
        The targets table.
    contrasts
        Sentences explaining sharp contrasts between indicators.
    categories
        Walking access per category (None when the analysis has no per-category counts).
    maps
        ``(caption, PNG bytes)`` per map.
    maps_note
        A note on the maps (e.g. drawn in English for want of a Chinese font).
    worst
        The communities with the lowest coverage and what they lack.
    siting
        ``(sentence, table)`` per siting result.
    method
        Method and data-source sentences.
    sources
        Quoted sources among ``method`` (kept in their own language).
    repairs
        The loaders' repair/drop report (None when empty).
    osm
        Whether the OpenStreetMap attribution is due.
    version
        coverage15's version.

    Examples
    --------
    >>> from coverage15.datasets import sample_analysis
    >>> c = report_content(sample_analysis("leshan_2018"), lang="en", maps=False)
    >>> c.title, len(c.abstract) in (3, 4)
    ('15-minute living circle coverage report', True)
    """

    lang: str
    title: str
    district: str
    profile: str
    profile_key: str
    date: str
    meta: list[str]
    abstract: list[str]
    targets: ReportTable
    contrasts: list[str]
    categories: ReportTable | None
    maps: list[tuple[str, bytes]]
    maps_note: str | None
    worst: ReportTable | None
    siting: list[tuple[str, ReportTable]]
    method: list[str]
    sources: list[str]
    repairs: ReportTable | None
    osm: bool
    version: str

    def sections(self) -> list[tuple[str, str]]:
        """The numbered sections as ``(anchor, heading)``, in order (the table of contents).

        Returns
        -------
        list of tuple
            E.g. ``[("abstract", "一、摘要"), ...]``.

        Examples
        --------
        >>> from coverage15.datasets import sample_analysis
        >>> c = report_content(sample_analysis(), lang="zh", maps=False)
        >>> c.sections()[0]
        ('abstract', '一、摘要')
        """
        keys = ["abstract", "targets"]
        if self.categories is not None:
            keys.append("categories")
        keys.append("maps")
        if self.worst is not None:
            keys.append("worst")
        if self.siting:
            keys.append("siting")
        keys += ["method", "repairs"]
        numerals = "一二三四五六七八九十"
        out = []
        for i, k in enumerate(keys):
            head = text(f"sec_{k}", self.lang)
            out.append((k, f"{numerals[i]}、{head}" if self.lang == "zh" else f"{i + 1}. {head}"))
        return out


def _met_text(met: Any, confidence: Any, lang: str) -> tuple[str, str]:
    if _missing(met):
        return text("met_unknown", lang), ""
    ok = bool(met)
    words = text("pass" if ok else "fail", lang)
    if confidence == "R":  # recalled, unverified: never shown as confirmed
        words += text("target_unverified", lang)
    return words, "pass" if ok else "fail"


_CLAUSE = re.compile(r"[一二三四五六七八九十]+[（(][一二三四五六七八九十]+[)）]\d*")
_QUOTE = re.compile(r"“[^”]*”")
_PLAN_FILE = re.compile(r"\(([^()]+\.txt)\)")


def _source_text(source: Any, lang: str) -> str:
    """The source of a target as the report shows it.

    In Chinese a quoted source is shown as its clause, the plan's own words and
    the plan's file (the English prose around them is left to the English report
    and the targets table); other sources are shown as they are.
    """
    s = "" if _missing(source) else str(source)
    if s == "computed":
        return text("computed", lang)
    quotes = _QUOTE.findall(s)
    if lang != "zh" or not quotes:
        return s.replace("borrowed from", "借用自") if lang == "zh" else s
    clause = _CLAUSE.search(s)
    plan = _PLAN_FILE.search(s)
    parts = [clause.group(0) if clause else "", "；".join(quotes)]
    if plan:
        parts.append(f"（{plan.group(1)}）")
    return " ".join(p for p in parts if p)


def _targets_table(targets: pd.DataFrame, lang: str) -> ReportTable:
    rows, classes = [], []
    for _, r in targets.iterrows():
        name = r["label_zh"] if lang == "zh" else r["label_en"]
        name = name if isinstance(name, str) and name else indicator_label(str(r["key"]), lang)
        has_target = not _missing(r["target"])
        if has_target:
            met, css = _met_text(r["met"], r["confidence"], lang)
            tgt = _with_unit(r["target"], r["unit"], lang)
            if str(r["unit"]) not in ("m", "min"):  # the profiles' targets are minimums
                tgt = "≥ " + tgt
        else:
            met, css, tgt = text("no_target", lang), "", text("no_target", lang)
        conf = "" if _missing(r["confidence"]) else str(r["confidence"])
        badge = f"{conf} {confidence_label(conf, lang)}".strip()
        rows.append(
            [
                name,
                tgt,
                _with_unit(r["value"], r["unit"], lang),
                met,
                _source_text(r["source"], lang),
                badge,
            ]
        )
        classes.append(css)
    heads = ["col_indicator", "col_target", "col_value", "col_met", "col_source", "col_confidence"]
    return ReportTable(
        [text(h, lang) for h in heads], rows, numeric=(1, 2), row_class=classes, code_cols=(4,)
    )


def _category_rows(analysis: AnalysisLike) -> list[dict[str, Any]]:
    comm = analysis.communities
    profile = analysis.profile
    group = getattr(analysis, "group", "general")
    total = float(pd.to_numeric(comm["households"], errors="coerce").sum())
    out = []
    for cat in getattr(profile, "required_categories", []):
        col = f"hh_covered__{cat}"
        if col not in comm.columns:
            continue
        req = profile.requirements[cat]
        covered = float(comm[col].sum())
        out.append(
            {
                "category": cat,
                "tier": req.tier,
                "threshold": profile.threshold_m(cat, group),
                "covered": covered,
                "share": covered / total if total else float("nan"),
                "source": req.source,
                "confidence": req.confidence,
            }
        )
    return out


def _categories_table(cats: list[dict[str, Any]], lang: str) -> ReportTable | None:
    if not cats:
        return None
    rows, classes = [], []
    for c in cats:
        conf = "" if _missing(c["confidence"]) else str(c["confidence"])
        rows.append(
            [
                category_label(c["category"], lang),
                tier_label(c["tier"], lang),
                f"{c['threshold']:,.0f} {text('metres', lang)}",
                f"{c['covered']:,.0f}",
                fmt_value(c["share"], "share"),
                str(c["source"]),
                f"{conf} {confidence_label(conf, lang)}".strip(),
            ]
        )
        classes.append("pass" if c["share"] >= 0.999 else ("fail" if c["share"] < 0.8 else ""))
    heads = [
        "col_category",
        "col_tier",
        "col_threshold",
        "col_hh_covered",
        "col_share",
        "col_source",
        "col_confidence",
    ]
    return ReportTable(
        [text(h, lang) for h in heads], rows, numeric=(2, 3, 4), row_class=classes, code_cols=(5,)
    )


def _gap_text(value: float, target: float, unit_text: str, lang: str) -> str:
    if _is_share_unit(unit_text):
        return text("pp", lang, v=f"{abs(target - value) * 100:.1f}")
    return _with_unit(abs(target - value), unit_text, lang)


def _basis(key: str, unit_text: str) -> str | None:
    """What a share counts: communities with a facility, households within walking reach …"""
    k, u = str(key), str(unit_text)
    if k.startswith("coverage_"):
        return "community_facility"
    if k.startswith(("share_households", "share_covered")) or u == "share of households":
        return "household_walk"
    if "communities" in u or k.startswith("share_communities"):
        return "community"
    if "households" in u:
        return "household"
    return None


def _contrasts(targets: pd.DataFrame, lang: str) -> list[str]:
    """Sentences on pairs of shares far apart that count different things."""
    shares = []
    for _, r in targets.iterrows():
        if _is_share_unit(r["unit"]) and not _missing(r["value"]):
            basis = _basis(r["key"], r["unit"])
            if basis is not None:
                name = r["label_zh"] if lang == "zh" else r["label_en"]
                shares.append((float(r["value"]), basis, str(name), r["unit"]))
    out: list[str] = []
    used: set[Any] = set()
    for hi in sorted(shares, key=lambda s: -s[0]):
        for lo in sorted(shares, key=lambda s: s[0]):
            pair = (hi[1], lo[1])
            far = hi[0] >= 0.9 and hi[0] - lo[0] >= 0.5
            if hi[1] == lo[1] or not far or pair in used or hi[2] in used:
                continue
            out.append(
                text(
                    "contrast",
                    lang,
                    a=hi[2],
                    va=fmt_value(hi[0], "share"),
                    b=lo[2],
                    vb=fmt_value(lo[0], "share"),
                    basis_a=text(f"basis_{hi[1]}", lang),
                    basis_b=text(f"basis_{lo[1]}", lang),
                )
            )
            used |= {hi[2], lo[2], pair}
            break
        if len(out) == 2:
            break
    return out


def _abstract(
    analysis: AnalysisLike,
    targets: pd.DataFrame,
    cats: list[dict[str, Any]],
    lacking: pd.DataFrame,
    district: str,
    lang: str,
) -> list[str]:
    comm = analysis.communities
    profile = analysis.profile
    with_target = targets[~targets["target"].map(_missing)]
    met = with_target["met"].map(lambda m: (not _missing(m)) and bool(m))
    failed = with_target["met"].map(lambda m: (not _missing(m)) and not bool(m))
    unknown = len(with_target) - int(met.sum()) - int(failed.sum())
    sep = text("list_sep", lang)
    sentences = [
        text(
            "abs_overview" if district else "abs_overview_all",
            lang,
            district=district,
            n=len(comm),
            hh=f"{int(pd.to_numeric(comm['households']).sum()):,}",
            profile=profile.name_zh if lang == "zh" else profile.name_en,
            k=len(with_target),
            met=int(met.sum()),
            failed=int(failed.sum()),
            rest=text("abs_rest", lang, u=unknown) if unknown else "",
        )
    ]
    fails = with_target[failed.to_numpy()]
    if len(fails):
        gaps = []
        for _, r in fails.iterrows():
            v, t = float(r["value"]), float(r["target"])
            rel = abs(t - v) / abs(t) if t else 0.0
            gaps.append((rel, r))
        items = []
        for _, r in sorted(gaps, key=lambda g: -g[0])[:2]:
            items.append(
                text(
                    "abs_fail_item",
                    lang,
                    label=r["label_zh"] if lang == "zh" else r["label_en"],
                    value=_with_unit(r["value"], r["unit"], lang),
                    target=_with_unit(r["target"], r["unit"], lang),
                    gap=_gap_text(float(r["value"]), float(r["target"]), r["unit"], lang),
                )
            )
        sentences.append(text("abs_fail", lang, items=text("item_sep", lang).join(items)))
    elif int(met.sum()):
        sentences.append(text("abs_all_met", lang))
    if len(cats) >= 2:
        ordered = sorted(cats, key=lambda c: (c["share"], c["category"]))
        low, high = ordered[0], ordered[-1]
        sentences.append(
            text(
                "abs_categories",
                lang,
                low=category_label(low["category"], lang),
                low_share=fmt_value(low["share"], "share"),
                high=category_label(high["category"], lang),
                high_share=fmt_value(high["share"], "share"),
            )
        )
    worst = getattr(analysis, "worst", None)
    if worst is not None and len(worst) and "hh_underserved" in worst.columns:
        top = pd.DataFrame(worst).sort_values("hh_underserved", ascending=False, kind="stable")
        top = top[top["hh_underserved"] > 0].head(3)
        if len(top):
            names = sep.join(str(n) for n in top.get("name", top["community_id"]))
            gaps = lacking[lacking["community_id"].isin(top["community_id"])]
            by_cat = gaps.groupby("category")["households"].sum().sort_values(ascending=False)
            cats_text = sep.join(category_label(k, lang) for k in list(by_cat.index[:2]))
            if cats_text:
                sentences.append(text("abs_worst", lang, names=names, cats=cats_text))
    return sentences


def _worst_table(analysis: AnalysisLike, lacking: pd.DataFrame, lang: str) -> ReportTable | None:
    worst = getattr(analysis, "worst", None)
    if worst is None or not len(worst):
        return None
    worst = pd.DataFrame(worst)
    sep = text("item_sep", lang)
    rows = []
    for _, r in worst.iterrows():
        gaps = lacking[lacking["community_id"] == r["community_id"]].head(3)
        gap_text = sep.join(
            f"{category_label(c, lang)} {n:,}"
            for c, n in zip(gaps["category"], gaps["households"], strict=True)
        )
        name = r.get("name", r["community_id"])
        rows.append(
            [
                str(name if not _missing(name) else r["community_id"]),
                f"{int(r['households']):,}",
                fmt_value(r.get("share_covered_all"), "share"),
                f"{int(r.get('hh_underserved', 0)):,}",
                gap_text or "—",
            ]
        )
    heads = ["col_community", "col_households", "col_full", "col_underserved", "col_lacking"]
    return ReportTable([text(h, lang) for h in heads], rows, numeric=(1, 2, 3), code_cols=(0,))


def _siting_parts(siting: Any, lang: str) -> list[tuple[str, ReportTable]]:
    if siting is None:
        return []
    results = siting if isinstance(siting, list | tuple) else [siting]
    out = []
    for res in results:
        sites = res.sites
        ll = sites.to_crs(4326).geometry if sites.crs is not None else None
        rows = []
        for i, (_, s) in enumerate(sites.iterrows()):
            lon = f"{ll.iloc[i].x:.6f}" if ll is not None else "—"
            lat = f"{ll.iloc[i].y:.6f}" if ll is not None else "—"
            rows.append(
                [
                    str(int(s["rank"])),
                    f"{int(s['new_households']):,}",
                    fmt_value(s["cumulative_share"], "share"),
                    lon,
                    lat,
                ]
            )
        sentence = text(
            "siting_sentence",
            lang,
            cat=category_label(res.category, lang),
            k=len(sites),
            threshold=f"{res.threshold_m:,.0f}",
            before=fmt_value(res.before_share, "share"),
            after=fmt_value(res.after_share, "share"),
        )
        heads = ["col_rank", "col_new_hh", "col_cum_share", "col_lon", "col_lat"]
        out.append(
            (sentence, ReportTable([text(h, lang) for h in heads], rows, numeric=(0, 1, 2, 3, 4)))
        )
    return out


def _network_date(record: dict[str, Any], lang: str) -> str:
    for key in ("osm_timestamp", "data_date", "timestamp", "downloaded"):
        if record.get(key):
            return str(record[key])[:10]
    src = record.get("source")
    if src and record.get("kind") in ("osm", "lines"):
        try:
            mtime = Path(str(src)).stat().st_mtime
            return _dt.date.fromtimestamp(mtime).isoformat()
        except OSError:
            pass
    return text("date_unknown", lang)


def _method(analysis: AnalysisLike, lang: str, osm: bool) -> tuple[list[str], list[str]]:
    profile = analysis.profile
    group = getattr(analysis, "group", "general")
    record = dict(getattr(analysis, "network_record", {}) or {})
    net = getattr(analysis, "network", None)
    lines = []
    kind = record.get("kind")
    if kind:
        kind_key = {"osm": "osm", "lines": "lines"}.get(
            kind, "download" if kind in ("place", "polygon", "bbox") else "other"
        )
        lines.append(
            text(
                "method_network",
                lang,
                source=file_name(record.get("source")),
                kind=text(f"net_kind_{kind_key}", lang),
                date=_network_date(record, lang),
                nodes=f"{getattr(net, 'n_nodes', 0):,}",
                edges=f"{getattr(net, 'n_edges', 0):,}",
            )
        )
    else:
        lines.append(text("method_network_unknown", lang))
    if osm:
        lines.append(text("method_odbl", lang))
    lines.append(
        text(
            "method_walk",
            lang,
            speed=f"{profile.speed(group):g}",
            group=text(f"group_{group}" if group in ("general", "slow") else "group", lang),
        )
    )
    lines.append(text("method_tiers", lang))
    homes = getattr(analysis, "homes", None)
    if homes is not None and "home_source" in homes.columns:
        hh = pd.to_numeric(homes["households"]).groupby(homes["home_source"]).sum()
        if "input" in hh.index:
            lines.append(text("method_homes_input", lang, n=f"{int(hh['input']):,}"))
        else:
            on_buildings = int(hh.get("building", 0))
            lines.append(
                text(
                    "method_homes",
                    lang,
                    buildings=f"{on_buildings:,}",
                    streets=f"{int(hh.sum()) - on_buildings:,}",
                )
            )
    name = profile.name_zh if lang == "zh" else profile.name_en
    source = str(getattr(profile, "source", "") or "")
    lines.append(text("method_profile", lang, profile=name, source=source))
    files = [file_name(p) for p in getattr(analysis, "inputs", []) or []]
    if files:
        lines.append(text("method_inputs", lang, files=text("list_sep", lang).join(files)))
    net_file = file_name(record.get("source")) if kind in ("osm", "lines") else ""
    return lines, [s for s in [source, net_file, *files] if s]


def _repairs_table(analysis: AnalysisLike, lang: str) -> ReportTable | None:
    report = getattr(analysis, "report", None)
    findings = list(getattr(report, "findings", []) or [])
    if not findings:
        return None
    rows = []
    for f in findings:
        shown = ", ".join(str(r) for r in f.rows[:10]) + (" …" if f.n > 10 else "")
        row = [
            (text("analysis_stage", lang) if f.source == "analysis" else file_name(f.source))
            or "—",
            finding_label(f.kind, lang),
            action_label(f.action, lang),
            f"{f.n:,}",
            "" if f.column is None else label(str(f.column), lang),
            shown or "—",
        ]
        if lang != "zh":  # the loaders' details are English sentences
            row.append(strip_paths(f.detail))
        rows.append(row)
    heads = ["col_file", "col_problem", "col_action", "col_records", "col_column", "col_rows"]
    headers = [text(h, lang) for h in heads]
    if lang != "zh":
        headers.append(text("col_detail", lang))
    return ReportTable(headers, rows, numeric=(3,), code_cols=(0, 4, 5))


def _map_caption(name: str, lang: str) -> str | None:
    """The maps module's caption of a standard map when it has one, else the labels'."""
    from coverage15 import maps

    caption = getattr(maps, "map_caption", None)
    if callable(caption):
        found = caption(name, lang)
        if isinstance(found, str) and found and found != name:
            return found
    return map_title(name, lang)


def _map_images(
    analysis: AnalysisLike, lang: str, maps_dir: Any, dpi: int, osm: bool | None
) -> tuple[list[tuple[str, bytes]], str | None]:
    from coverage15._fonts import resolve_lang

    drawn_lang = resolve_lang(lang)
    note = text("maps_in_english", lang) if drawn_lang != lang else None
    files: list[Path] = []
    if maps_dir is not None and Path(maps_dir).is_dir():
        files = sorted(Path(maps_dir).glob("map_*.png"))
    images = []
    if files:
        images = [(f.stem.removeprefix("map_"), f.read_bytes()) for f in files]
    else:
        from coverage15.maps import write_maps

        with tempfile.TemporaryDirectory() as tmp:
            written = write_maps(analysis, tmp, lang=drawn_lang, dpi=dpi, osm=osm)
            images = [
                (Path(p).stem.removeprefix("map_"), Path(p).read_bytes())
                for p in written
                if str(p).endswith(".png")
            ]
    # the order write_maps documents; unknown names after, alphabetically
    order = [
        "missing_categories",
        "coverage_by_category",
        "underserved_households",
        "coverage_all",
        "area_per_100hh",
    ]

    def rank(name: str) -> tuple[int, str]:
        if name in order:
            return order.index(name), name
        return (len(order) + (0 if name.startswith("walk_time_") else 1)), name

    images.sort(key=lambda im: rank(im[0]))
    out = []
    for i, (name, png) in enumerate(images, start=1):
        fig = text("figure", lang, n=i)
        caption = _map_caption(name, lang)
        out.append((f"{fig}  {caption}" if caption else fig, png))
    return out, note


def report_content(
    analysis: AnalysisLike,
    *,
    lang: str = "zh",
    title: str | None = None,
    district: str | None = None,
    maps: bool = True,
    maps_dir: str | os.PathLike | None = None,
    siting: Any = None,
    dpi: int = 110,
    osm: bool | None = None,
) -> ReportContent:
    """What the report says, in one language (see the module's description).

    Parameters
    ----------
    analysis
        An :class:`~coverage15.analysis.Analysis` (its ``targets`` table, else its
        ``district`` table; the maps need a whole Analysis).
    lang
        ``"zh"`` (default) or ``"en"``.
    title
        Report title (default: 15分钟生活圈设施覆盖评估报告 /
        "15-minute living circle coverage report").
    district
        The district's name on the cover (default: the analysis's
        ``district_name`` attribute, else "N个社区").
    maps
        Include the maps (default True).
    maps_dir
        A folder holding the PNG maps :func:`coverage15.maps.write_maps` wrote
        (``map_*.png``): embedded as they are, so maps are drawn once. Without
        it (or when it holds none) the maps are drawn here.
    siting
        A :class:`~coverage15.siting.SitingResult` or a list of them: the
        suggested sites get their own section.
    dpi
        Resolution of maps drawn here.
    osm
        The OpenStreetMap attribution (default: :func:`coverage15.maps.uses_osm`).

    Returns
    -------
    ReportContent

    Raises
    ------
    ValueError
        ``lang`` is neither ``"zh"`` nor ``"en"``.

    Examples
    --------
    >>> from coverage15.datasets import sample_analysis
    >>> c = report_content(sample_analysis("leshan_2018"), lang="zh", maps=False)
    >>> c.targets.headers[:3], c.abstract[0][:8]
    (['指标', '目标', '现状值'], '本次评估共10个')
    """
    from coverage15 import __version__
    from coverage15.maps import uses_osm

    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    osm_due = uses_osm(analysis) if osm is None else osm
    profile = analysis.profile
    comm = analysis.communities
    group = getattr(analysis, "group", "general")
    targets = targets_frame(analysis)
    lacking = lacking_table(analysis)
    cats = _category_rows(analysis)
    named = district or getattr(analysis, "district_name", None)
    district = named or text("district_default", lang, n=len(comm))
    meta = [
        f"{text('group', lang)}{'：' if lang == 'zh' else ': '}"
        + text(f"group_{group}" if group in ("general", "slow") else "group", lang)
        + ("，" if lang == "zh" else ", ")
        + f"{text('speed', lang) if lang == 'zh' else text('speed', lang).lower()} "
        + f"{profile.speed(group):g} "
        + ("米/分钟" if lang == "zh" else "m/min"),
    ]
    images, note = _map_images(analysis, lang, maps_dir, dpi, osm) if maps else ([], None)
    method, sources = _method(analysis, lang, osm_due)
    return ReportContent(
        lang=lang,
        title=title or text("report_title", lang),
        district=str(district),
        profile=profile.name_zh if lang == "zh" else profile.name_en,
        profile_key=profile.key,
        date=_dt.date.today().isoformat(),
        meta=meta,
        abstract=_abstract(analysis, targets, cats, lacking, named or "", lang),
        targets=_targets_table(targets, lang),
        contrasts=_contrasts(targets, lang),
        categories=_categories_table(cats, lang),
        maps=images,
        maps_note=note,
        worst=_worst_table(analysis, lacking, lang),
        siting=_siting_parts(siting, lang),
        method=method,
        sources=sources,
        repairs=_repairs_table(analysis, lang),
        osm=osm_due,
        version=__version__,
    )


# --------------------------------------------------------------------------- HTML


#: headers of columns holding short labels (tier, action), kept on one line
_SHORT_HEADERS = frozenset(
    text(k, lang) for k in ("col_tier", "col_action") for lang in ("zh", "en")
)


def _html_table(t: ReportTable) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in t.headers)
    body = []
    for i, row in enumerate(t.rows):
        css = t.row_class[i] if i < len(t.row_class) else ""
        cells = []
        for j, cell in enumerate(row):
            cls = []
            if j in t.numeric:
                cls.append("num")
            if t.headers[j] in (text("col_met", "zh"), text("col_met", "en")):
                cls.append("result")
            if t.headers[j] in _SHORT_HEADERS:
                cls.append("short")  # a short label: never broken one character a line
            value = html.escape(cell)
            if t.headers[j] in (text("col_confidence", "zh"), text("col_confidence", "en")):
                code = cell.split(" ")[0] if cell else ""
                badge = {"C1": "c1", "C2": "c2", "R": "r"}.get(code, "calc")
                value = f'<span class="badge {badge}">{value}</span>'
            elif j in t.code_cols and cell:
                value = f"<cite>{value}</cite>"
            cells.append(f'<td class="{" ".join(cls)}">{value}</td>')
        body.append(f'<tr class="{css}">{"".join(cells)}</tr>')
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _quote_sources(sentence: str, sources: Sequence[str]) -> str:
    """Escape a sentence, marking quoted sources and file names as ``<cite>``."""
    out = html.escape(sentence)
    for s in sorted(set(sources), key=len, reverse=True):
        e = html.escape(s)
        if e and e in out:
            out = out.replace(e, f"<cite>{e}</cite>")
    return out


_CSS = """
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC",
  "WenQuanYi Micro Hei", "Helvetica Neue", Arial, sans-serif; margin: 24px auto; max-width: 1000px;
  color: #1a1a1a; padding: 0 16px; line-height: 1.55; }
.cover { min-height: 60vh; display: flex; flex-direction: column; justify-content: center; }
.cover h1 { font-size: 28px; margin-bottom: 24px; }
.cover p { font-size: 16px; margin: 4px 0; }
h2 { font-size: 19px; border-bottom: 2px solid #2166ac; padding-bottom: 3px; margin-top: 32px; }
h3 { font-size: 15px; margin-top: 18px; }
nav.toc ol { list-style: none; padding-left: 0; }
nav.toc a { color: #1a1a1a; text-decoration: none; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 8px 0; }
th, td { border: 1px solid #bbb; padding: 4px 7px; vertical-align: top; }
th { background: #eef2f7; text-align: left; }
td.num { text-align: right; white-space: nowrap; }
td:first-child { min-width: 11em; }
td.result { min-width: 6.5em; }
td.short { white-space: nowrap; }
figure img { width: 100%; }
cite { font-style: normal; }
tr.pass td.result { color: #1b7837; font-weight: bold; }
tr.fail td.result { color: #b2182b; font-weight: bold; }
.badge { display: inline-block; padding: 0 6px; border-radius: 3px; font-size: 12px;
  white-space: nowrap; }
.badge.c1 { background: #d9f0d3; } .badge.c2 { background: #e7f1fa; }
.badge.r { background: #fde0dd; color: #8c1d18; font-weight: bold; }
.badge.calc { background: #eee; }
figure { margin: 16px 0; break-inside: avoid; }
figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { font-size: 13px; color: #333; }
.note { font-size: 12px; color: #444; }
.abstract p { font-size: 15px; }
footer { margin-top: 32px; font-size: 12px; color: #555; border-top: 1px solid #ccc;
  padding-top: 8px; }
@page { size: A4; margin: 18mm 15mm 20mm 15mm;
  @bottom-center { content: PAGE_TEXT; font-size: 9pt; color: #555; } }
@page :first { @bottom-center { content: none; } }
@media print {
  body { margin: 0; max-width: none; padding: 0; }
  .cover { min-height: 240mm; break-after: page; }
  nav.toc { break-after: page; }
  h2 { break-after: avoid; }
  tr { break-inside: avoid; }
  figure img { width: auto; max-width: 100%; max-height: 112mm; }
}
"""


def _html(c: ReportContent) -> str:
    zh = c.lang == "zh"
    colon = "：" if zh else ": "
    secs = dict(c.sections())
    page_text = '"第 " counter(page) " 页"' if zh else '"Page " counter(page)'
    out = [
        '<section class="cover">',
        f"<h1>{html.escape(c.title)}</h1>",
        f"<p>{text('district', c.lang)}{colon}{html.escape(c.district)}</p>",
        f"<p>{text('profile', c.lang)}{colon}{html.escape(c.profile)}"
        f" <code>[{html.escape(c.profile_key)}]</code></p>",
        *[f"<p>{html.escape(m)}</p>" for m in c.meta],
        f"<p>{text('date', c.lang)}{colon}{c.date}</p>",
        "</section>",
        f'<nav class="toc"><h2>{text("toc", c.lang)}</h2><ol>',
        *[f'<li><a href="#{k}">{html.escape(h)}</a></li>' for k, h in c.sections()],
        "</ol></nav>",
        f'<h2 id="abstract">{secs["abstract"]}</h2><div class="abstract">',
        *[f"<p>{_quote_sources(s, [])}</p>" for s in c.abstract],
        "</div>",
        f'<h2 id="targets">{secs["targets"]}</h2>',
        _html_table(c.targets),
        *[f"<p>{html.escape(s)}</p>" for s in c.contrasts],
        f'<p class="note">{html.escape(text("confidence_note", c.lang))}</p>',
    ]
    if c.categories is not None:
        out += [f'<h2 id="categories">{secs["categories"]}</h2>', _html_table(c.categories)]
    out.append(f'<h2 id="maps">{secs["maps"]}</h2>')
    if c.maps_note:
        out.append(f'<p class="note">{html.escape(c.maps_note)}</p>')
    for caption, png in c.maps:
        data = base64.b64encode(png).decode("ascii")
        out.append(
            f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        )
    if not c.maps:
        out.append(f"<p>{text('no_maps', c.lang)}</p>")
    if c.worst is not None:
        out += [f'<h2 id="worst">{secs["worst"]}</h2>', _html_table(c.worst)]
    if c.siting:
        out.append(f'<h2 id="siting">{secs["siting"]}</h2>')
        for sentence, table in c.siting:
            out += [f"<p>{html.escape(sentence)}</p>", _html_table(table)]
    out.append(f'<h2 id="method">{secs["method"]}</h2>')
    out += [f"<p>{_quote_sources(s, c.sources)}</p>" for s in c.method]
    out.append(f'<h2 id="repairs">{secs["repairs"]}</h2>')
    out.append(
        _html_table(c.repairs) if c.repairs is not None else f"<p>{text('no_findings', c.lang)}</p>"
    )
    out.append(
        "<footer>"
        + (f"{html.escape(ATTRIBUTION)} · " if c.osm else "")
        + html.escape(text("made_with", c.lang, version=c.version))
        + "</footer>"
    )
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
            f"<title>{html.escape(c.title)} — {html.escape(c.district)}</title>",
            f"<style>{_CSS.replace('PAGE_TEXT', page_text)}</style>",
            "</head>",
            "<body>",
            *out,
            "</body>",
            "</html>",
        ]
    )


def report_html(
    analysis: AnalysisLike,
    *,
    lang: str = "zh",
    title: str | None = None,
    district: str | None = None,
    maps: bool = True,
    maps_dir: str | os.PathLike | None = None,
    siting: Any = None,
    dpi: int = 110,
    osm: bool | None = None,
) -> str:
    """The report as an HTML string (see :func:`write_report`).

    Parameters
    ----------
    analysis
        An :class:`~coverage15.analysis.Analysis`, or any object with its
        ``profile``, ``communities`` and ``targets`` or ``district`` (``group``,
        ``worst``, ``report``, ``network_record`` are used when present; the
        maps need a whole Analysis unless ``maps_dir`` holds them).
    lang
        ``"zh"`` (default) or ``"en"``: the whole report in that language.
    title, district, maps, maps_dir, siting, dpi, osm
        As for :func:`report_content`.

    Returns
    -------
    str
        A complete HTML document (UTF-8, inline CSS, maps as ``data:`` images),
        which loads nothing from elsewhere; printed, it has page numbers.

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
    content = report_content(
        analysis,
        lang=lang,
        title=title,
        district=district,
        maps=maps,
        maps_dir=maps_dir,
        siting=siting,
        dpi=dpi,
        osm=osm,
    )
    return _html(content)


def write_report(
    analysis: AnalysisLike,
    path: str | os.PathLike,
    *,
    lang: str = "zh",
    title: str | None = None,
    district: str | None = None,
    maps: bool = True,
    maps_dir: str | os.PathLike | None = None,
    siting: Any = None,
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
    title, district, maps, maps_dir, siting, dpi, osm
        As for :func:`report_content`; pass ``maps_dir`` (the folder
        :func:`coverage15.maps.write_maps` wrote) so the maps are drawn once.

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

    page = report_html(
        analysis,
        lang=lang,
        title=title,
        district=district,
        maps=maps,
        maps_dir=maps_dir,
        siting=siting,
        dpi=dpi,
        osm=osm,
    )
    path = Path(path)
    with atomic_path(path, protect=input_paths(analysis)) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return path


def find_chromium() -> str | None:
    """The Chromium (or Chrome) executable on this machine, or None.

    Returns
    -------
    str or None
        Its path, from the ``COVERAGE15_CHROMIUM`` environment variable when
        set, else the first of ``chromium``, ``chromium-browser``,
        ``google-chrome`` on the ``PATH``.

    Examples
    --------
    >>> found = find_chromium()
    >>> found is None or Path(found).name != ""
    True
    """
    given = os.environ.get("COVERAGE15_CHROMIUM")
    if given:
        return given if Path(given).is_file() else None
    for name in CHROMIUM_NAMES:
        hit = shutil.which(name)
        if hit:
            return hit
    return None


def write_report_pdf(
    html_path: str | os.PathLike, path: str | os.PathLike, *, timeout: float = 120.0
) -> Path | None:
    """Print the HTML report to PDF with headless Chromium, offline; None without Chromium.

    The page loads nothing from elsewhere (its content security policy forbids
    it), the browser's own header and footer (which would print the file's
    path) are off, and the report's CSS puts a page number at the foot of each
    page after the cover.

    Parameters
    ----------
    html_path
        The report written by :func:`write_report`.
    path
        The PDF to write (atomically).
    timeout
        Seconds to wait for Chromium.

    Returns
    -------
    pathlib.Path or None
        ``path``, or None when no Chromium is installed (nothing written);
        :func:`find_chromium` says where it looks.

    Raises
    ------
    RuntimeError
        Chromium ran but wrote no PDF (its error output is in the message).

    Examples
    --------
    >>> import tempfile
    >>> from coverage15.datasets import sample_analysis
    >>> folder = Path(tempfile.mkdtemp())
    >>> page = write_report(sample_analysis(), folder / "report.html", maps=False)
    >>> pdf = write_report_pdf(page, folder / "report.pdf")
    >>> pdf is None or pdf.read_bytes()[:5] == b"%PDF-"
    True
    """
    from coverage15._files import atomic_path

    exe = find_chromium()
    if exe is None:
        return None
    html_path = Path(html_path).resolve()
    path = Path(path)
    with (
        tempfile.TemporaryDirectory(prefix="coverage15-chromium-") as profile_dir,
        atomic_path(path) as tmp,
    ):
        cmd = [
            exe,
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--no-first-run",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-sync",
            "--no-pdf-header-footer",
            "--proxy-server=127.0.0.1:9",  # nothing may be fetched (the page asks for nothing)
            f"--user-data-dir={profile_dir}",
            f"--print-to-pdf={Path(tmp).resolve()}",
            html_path.as_uri(),
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        if not Path(tmp).is_file() or Path(tmp).stat().st_size == 0:
            raise RuntimeError(
                f"Chromium did not print {html_path.name} to PDF (exit {done.returncode}): "
                f"{done.stderr.strip()[-500:]}"
            )
    return path


def summary_text(analysis: AnalysisLike, lang: str = "en") -> str:
    """The district summary for a terminal, in one language, with aligned columns.

    What :meth:`Analysis.summary <coverage15.analysis.Analysis.summary>` prints:
    the profile, then one line per target of ``Analysis.targets`` (else the
    district table) with its label, value and, where there is a target, the
    target, its confidence and the result (R targets are marked unverified);
    last, the communities, households and the share of households reaching every
    required category within its walking standard (from the communities table,
    whether or not the profile's targets name it).

    Parameters
    ----------
    analysis
        An :class:`~coverage15.analysis.Analysis`.
    lang
        ``"zh"`` for Chinese; anything else, by default ``"en"``, for English.

    Returns
    -------
    str

    Examples
    --------
    >>> from coverage15.datasets import sample_analysis
    >>> print(summary_text(sample_analysis("leshan_2018"), "en"))  # doctest: +ELLIPSIS
    Profile: Leshan ... [leshan_2018]
      Urban communities with a community service facility 100.0% target ≥ 100.0% [C1]: pass
    ...
      Community service stations of at least 300 m² 90.0% target ≥ 100.0% [C1]: FAIL
    ...
      10 communities, 25,720 households; households reaching every required facility ...: 4.0%
    """
    from coverage15.labels import pad, text_table

    lang = "zh" if lang == "zh" else "en"
    profile = analysis.profile
    name = profile.name_zh if lang == "zh" else profile.name_en
    colon = ": "
    rows = []
    for _, r in targets_frame(analysis).iterrows():
        label_ = r["label_zh"] if lang == "zh" else r["label_en"]
        tail = ""
        if not _missing(r["target"]):
            if _missing(r["met"]):
                result = text("met_unknown", lang)
            else:
                result = text("pass" if bool(r["met"]) else "summary_fail", lang)
                if r["confidence"] == "R":
                    result += text("target_unverified", lang)
            conf = "" if _missing(r["confidence"]) else f" [{r['confidence']}]"
            tail = (
                f"{text('summary_target', lang)} ≥ {_with_unit(r['target'], r['unit'], lang)}"
                f"{conf}{colon}{result}"
            )
        rows.append(["", str(label_), _with_unit(r["value"], r["unit"], lang), tail])
    table = text_table(rows, ["", "", "", ""], align=["left", "left", "right", "left"], gap=1)
    body = table.splitlines()[1:]
    head = f"{text('summary_profile', lang)}{colon}{name} [{profile.key}]"
    lines = [head, *[pad("", 1) + line for line in body]]
    comm = analysis.communities
    if {"households", "hh_covered_all"} <= set(comm.columns):
        # the walking result every profile has, whether or not its targets name it
        hh = float(pd.to_numeric(comm["households"], errors="coerce").sum())
        covered = float(pd.to_numeric(comm["hh_covered_all"], errors="coerce").sum())
        share = fmt_value(covered / hh, "share") if hh else "—"
        lines.append(
            "  " + text("summary_households", lang, n=len(comm), hh=f"{hh:,.0f}", share=share)
        )
    return "\n".join(lines)
