"""Chinese and English labels of result columns, categories, tiers and values.

Every map, report and table header coverage15 writes takes its wording from
here, so a column is called the same thing everywhere. Result tables keep
their stable English column names (for GIS and scripts); these labels are only
for people.

Columns with a suffix (``share__kindergarten``, ``time_min__pharmacy``,
``hh_met__15min``) are labelled from their prefix and the category or tier.

Examples
--------
>>> label("share_covered_all", "zh"), label("share_covered_all", "en")
('全部设施覆盖户数比例', 'Share of households reaching all facilities')
>>> label("share__kindergarten", "zh"), label("time_min__pharmacy", "en")
('幼儿园覆盖户数比例', 'Walking time to Pharmacy')
>>> unit("area_per_100hh", "zh"), unit("share__kindergarten", "en")
('m²/百户', '%')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

import numpy as np
import pandas as pd

from coverage15.standards import category_catalogue

Lang = Literal["zh", "en"]

ATTRIBUTION = "© OpenStreetMap contributors (ODbL)"
"""Attribution required wherever the walking network (or facilities) come from OSM."""

# column -> (Chinese, English)
COLUMNS: dict[str, tuple[str, str]] = {
    # communities
    "community_id": ("社区编号", "Community ID"),
    "name": ("名称", "Name"),
    "households": ("户数", "Households"),
    "population": ("人口", "Population"),
    "kind": ("类型", "Type"),
    "hh_covered_all": ("全部设施覆盖户数", "Households reaching all facilities"),
    "share_covered_all": ("全部设施覆盖户数比例", "Share of households reaching all facilities"),
    "hh_underserved": ("服务不足户数", "Underserved households"),
    "hh_off_network": ("未接入路网户数", "Households off the walking network"),
    "lacking": ("缺少的设施（户数）", "Missing facilities (households)"),
    "community_facility_m2": ("社区综合服务设施面积", "Community service facility floor area"),
    "area_per_100hh": ("每百户社区综合服务设施面积", "Community facility area per 100 households"),
    "area_target_per_100hh": ("每百户面积标准", "Area standard per 100 households"),
    "area_pass": ("面积达标", "Area standard met"),
    "has_community_facility": ("有社区综合服务设施", "Has a community service facility"),
    "accessible_area_per_100hh": (
        "步行可达每百户设施面积",
        "Walkable facility area per 100 households",
    ),
    # homes
    "home_id": ("住户点编号", "Home ID"),
    "n_required": ("应配设施类数", "Required categories"),
    "n_covered": ("已覆盖设施类数", "Categories covered"),
    "completeness": ("设施完备度", "Completeness"),
    "missing": ("缺少的设施", "Missing facilities"),
    "status": ("覆盖状态", "Status"),
    "snapped": ("已接入步行路网", "On the walking network"),
    "accessible_m2_per_hh": ("步行可达每户设施面积", "Walkable facility area per household"),
    # facilities
    "facility_id": ("设施编号", "Facility ID"),
    "category": ("设施类别", "Category"),
    "floor_area_m2": ("建筑面积", "Floor area"),
    # district table
    "indicator": ("指标", "Indicator"),
    "value": ("数值", "Value"),
    "target": ("目标", "Target"),
    "passed": ("是否达标", "Passed"),
    "unit": ("单位", "Unit"),
    "source": ("依据", "Source"),
    "confidence": ("可信度", "Confidence"),
    # validation report
    "action": ("处理", "Action"),
    "column": ("字段", "Column"),
    "n": ("记录数", "Records"),
    "rows": ("记录", "Rows"),
    "detail": ("说明", "Detail"),
    # walking maps
    "minutes": ("步行时间", "Walking time"),
}

# prefix -> (Chinese template, English template); {cat} / {tier} is filled in
PREFIXES: dict[str, tuple[str, str]] = {
    "share__": ("{cat}覆盖户数比例", "Share of households reaching {cat}"),
    "hh_covered__": ("{cat}覆盖户数", "Households reaching {cat}"),
    "dist_m__": ("至{cat}步行距离", "Walking distance to {cat}"),
    "time_min__": ("至{cat}步行时间", "Walking time to {cat}"),
    "facility__": ("最近的{cat}", "Nearest {cat}"),
    "covered__": ("{cat}已覆盖", "{cat} covered"),
    "max_area__": ("最大{cat}面积", "Largest {cat} floor area"),
    "area_ok__": ("{cat}面积达标", "{cat} floor area met"),
    "hh_met__": ("{tier}达标户数", "Households meeting the {tier}"),
    "met__": ("{tier}达标", "{tier} met"),
    "share_households_met__": ("{tier}达标户数比例", "Share of households meeting the {tier}"),
}

TIERS: dict[str, tuple[str, str]] = {
    "block": ("居住街坊", "residential block"),
    "5min": ("5分钟生活圈", "5-minute circle"),
    "10min": ("10分钟生活圈", "10-minute circle"),
    "15min": ("15分钟生活圈", "15-minute circle"),
}

# district indicators (``Analysis.district["indicator"]``)
INDICATORS: dict[str, tuple[str, str]] = {
    "households": ("总户数", "Households"),
    "share_households_covered_all": (
        "全部设施步行可达的户数比例",
        "Share of households reaching all required facilities",
    ),
    "coverage_urban": (
        "城市社区综合服务设施覆盖率",
        "Urban communities with a community service facility",
    ),
    "coverage_rural": (
        "农村社区综合服务设施覆盖率",
        "Rural communities with a community service facility",
    ),
    "share_communities_area_pass": (
        "用房面积达标社区比例",
        "Communities meeting the floor-area standard",
    ),
    "area_per_100hh": (
        "每百户社区综合服务设施面积",
        "Community facility area per 100 households",
    ),
}

# units of columns; share-like columns are shown in per cent
_UNITS: dict[str, tuple[str, str]] = {
    "households": ("户", "households"),
    "population": ("人", "people"),
    "hh_covered_all": ("户", "households"),
    "hh_underserved": ("户", "households"),
    "hh_off_network": ("户", "households"),
    "community_facility_m2": ("m²", "m²"),
    "area_per_100hh": ("m²/百户", "m²/100 hh"),
    "area_target_per_100hh": ("m²/百户", "m²/100 hh"),
    "accessible_area_per_100hh": ("m²/百户", "m²/100 hh"),
    "accessible_m2_per_hh": ("m²/户", "m²/hh"),
    "floor_area_m2": ("m²", "m²"),
    "completeness": ("%", "%"),
    "share_covered_all": ("%", "%"),
    "minutes": ("分钟", "min"),
}
_PREFIX_UNITS: dict[str, tuple[str, str]] = {
    "share__": ("%", "%"),
    "share_households_met__": ("%", "%"),
    "hh_covered__": ("户", "households"),
    "hh_met__": ("户", "households"),
    "dist_m__": ("米", "m"),
    "time_min__": ("分钟", "min"),
    "max_area__": ("m²", "m²"),
}
# units of ``Analysis.district["unit"]``
_DISTRICT_UNITS: dict[str, tuple[str, str]] = {
    "households": ("户", "households"),
    "share of households": ("%", "%"),
    "share of urban communities": ("%", "%"),
    "share of rural communities": ("%", "%"),
    "share of communities": ("%", "%"),
    "m² per 100 households": ("m²/百户", "m²/100 hh"),
}

VALUES: dict[str, dict[str, tuple[str, str]]] = {
    "kind": {"urban": ("城市", "urban"), "rural": ("农村", "rural")},
    "status": {
        "covered": ("全部覆盖", "covered"),
        "underserved": ("服务不足", "underserved"),
        "off_network": ("未接入路网", "off network"),
    },
}

CONFIDENCE: dict[str, tuple[str, str]] = {
    "C1": ("已核实（官方原文）", "confirmed (official text)"),
    "C2": ("已核实（二手来源）", "confirmed (secondary source)"),
    "R": ("未核实", "unverified"),
    "": ("计算值", "computed"),
}

_TEXT: dict[str, tuple[str, str]] = {
    "no_data": ("无数据", "No data"),
    "unreachable": ("不可达", "unreachable"),
    "standard": ("标准", "Standard"),
    "below": ("低于标准", "below standard"),
    "above": ("达到标准", "meets standard"),
    "facilities": ("服务设施", "Facilities"),
    "communities": ("社区", "Communities"),
    "underserved_homes": ("服务不足的住户点", "Underserved homes"),
    "homes": ("住户点", "Homes"),
    "service_area": ("步行服务范围", "Walking service area"),
    "north": ("北", "N"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "pass": ("达标", "pass"),
    "fail": ("未达标", "fail"),
    "minutes": ("分钟", "min"),
}


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "zh" else pair[1]


def text(key: str, lang: Lang | str = "zh") -> str:
    """A short interface word (legend entries, layer names) in ``lang``.

    Parameters
    ----------
    key
        The word's key (``"no_data"``, ``"yes"``, ``"no"``, ``"facilities"`` …).
    lang
        ``"zh"`` (default) or ``"en"``; any other value gives English.

    Returns
    -------
    str

    Examples
    --------
    >>> text("no_data", "zh"), text("no_data", "en")
    ('无数据', 'No data')
    """
    return _pick(_TEXT[key], lang)


def category_label(key: str, lang: Lang | str = "zh") -> str:
    """Name of a facility category (from ``categories.toml``); unknown keys are returned as is.

    Parameters
    ----------
    key
        A category key, e.g. ``"elderly_daycare"``.
    lang
        ``"zh"`` (default) or ``"en"``; any other value gives English.

    Returns
    -------
    str
        The Chinese or English name; ``key`` itself when the catalogue lacks it.

    Examples
    --------
    >>> category_label("elderly_daycare", "zh"), category_label("elderly_daycare", "en")
    ('老年人日间照料中心', 'Elderly day-care centre')
    """
    cat = category_catalogue().get(key)
    if cat is None:
        return key
    return cat.name_zh if lang == "zh" else cat.name_en


def tier_label(key: str, lang: Lang | str = "zh") -> str:
    """Name of a walking tier (``block``, ``5min``, ``10min``, ``15min``).

    Parameters
    ----------
    key
        A tier key.
    lang
        ``"zh"`` (default) or ``"en"``; any other value gives English.

    Returns
    -------
    str
        E.g. 15分钟生活圈 / "15-minute circle"; ``key`` itself when unknown.

    Examples
    --------
    >>> tier_label("15min", "zh"), tier_label("5min", "en")
    ('15分钟生活圈', '5-minute circle')
    """
    pair = TIERS.get(key)
    return _pick(pair, lang) if pair else key


def _split(column: str, prefixes: Iterable[str]) -> tuple[str, str] | None:
    for p in sorted(prefixes, key=len, reverse=True):
        if column.startswith(p):
            return p, column[len(p) :]
    return None


def label(column: str, lang: Lang | str = "zh") -> str:
    """Human label of a result column in ``lang``; unknown columns are returned as is.

    Parameters
    ----------
    column
        A column of a result table (``Analysis.homes``, ``.communities`` …);
        columns with a category or tier suffix (``share__kindergarten``,
        ``hh_met__15min``) are labelled from their prefix.
    lang
        ``"zh"`` (default) or ``"en"``; any other value gives English.

    Returns
    -------
    str

    Examples
    --------
    >>> label("hh_underserved", "zh")
    '服务不足户数'
    >>> label("hh_met__10min", "en")
    'Households meeting the 10-minute circle'
    >>> label("my_own_column", "zh")
    'my_own_column'
    """
    if column in COLUMNS:
        return _pick(COLUMNS[column], lang)
    hit = _split(column, PREFIXES)
    if hit is None:
        return column
    prefix, rest = hit
    template = _pick(PREFIXES[prefix], lang)
    if "{tier}" in template:
        return template.format(tier=tier_label(rest, lang))
    return template.format(cat=category_label(rest, lang))


def unit(column: str, lang: Lang | str = "zh") -> str:
    """Unit of a result column in ``lang`` ("" when it has none).

    Parameters
    ----------
    column
        A result column, as for :func:`label`.
    lang
        ``"zh"`` (default) or ``"en"``; any other value gives English.

    Returns
    -------
    str
        E.g. ``"户"`` / ``"households"``, ``"m"``, ``"%"`` for shares, or ``""``.

    Examples
    --------
    >>> unit("hh_underserved", "zh"), unit("dist_m__kindergarten", "en"), unit("name")
    ('户', 'm', '')
    """
    if column in _UNITS:
        return _pick(_UNITS[column], lang)
    hit = _split(column, _PREFIX_UNITS)
    return _pick(_PREFIX_UNITS[hit[0]], lang) if hit else ""


def is_share(column: str) -> bool:
    """True for 0–1 columns shown in per cent.

    Parameters
    ----------
    column
        A stable column name of a result table, e.g. ``"share__pharmacy"``.

    Returns
    -------
    bool
        Whether the column holds a share (a fraction 0–1) that tables and maps
        show as a percentage (its unit, :func:`unit`, is ``"%"``).

    Examples
    --------
    >>> is_share("share__pharmacy"), is_share("hh_underserved")
    (True, False)
    """
    return unit(column, "en") == "%"


def indicator_label(key: str, lang: Lang | str = "zh") -> str:
    """Label of a district indicator (``Analysis.district["indicator"]``).

    Parameters
    ----------
    key
        An indicator key, e.g. ``"coverage_urban"`` or
        ``"share_households_met__15min"``.
    lang
        ``"zh"`` (default) or ``"en"``; any other value gives English.

    Returns
    -------
    str

    Examples
    --------
    >>> indicator_label("coverage_urban", "zh")
    '城市社区综合服务设施覆盖率'
    >>> indicator_label("share_households_met__15min", "en")
    'Share of households meeting the 15-minute circle'
    """
    if key in INDICATORS:
        return _pick(INDICATORS[key], lang)
    return label(key, lang)


def district_unit(text_unit: str, lang: Lang | str = "zh") -> str:
    """The unit of a district row in ``lang`` (``"share of households"`` → ``"%"``).

    Parameters
    ----------
    text_unit
        The row's ``unit`` (English text, as in ``Analysis.district``).
    lang
        ``"zh"`` (default) or ``"en"``; any other value gives English.

    Returns
    -------
    str
        ``"%"`` for shares; the unit in ``lang`` when known; else ``text_unit``.

    Examples
    --------
    >>> district_unit("m² per 100 households", "zh")
    'm²/百户'
    """
    pair = _DISTRICT_UNITS.get(text_unit)
    if pair:
        return _pick(pair, lang)
    return "%" if str(text_unit).startswith("share") else str(text_unit)


def confidence_label(code: str | None, lang: Lang | str = "zh") -> str:
    """Readable confidence of a standard value; ``R`` is always "unverified".

    Parameters
    ----------
    code
        ``"C1"`` (official text), ``"C2"`` (secondary source), ``"R"``
        (recalled, unverified), or empty / None.
    lang
        ``"zh"`` (default) or ``"en"``; any other value gives English.

    Returns
    -------
    str
        The readable confidence; an unknown code is returned as is, None as ``""``.

    Examples
    --------
    >>> confidence_label("R", "zh"), confidence_label("C1", "en")
    ('未核实', 'confirmed (official text)')
    """
    code = "" if code is None or (isinstance(code, float) and pd.isna(code)) else str(code)
    pair = CONFIDENCE.get(code)
    return _pick(pair, lang) if pair else code


def value_label(column: str, value: object, lang: Lang | str = "zh") -> object:
    """A cell value in ``lang``: kinds, statuses, booleans and category-key lists.

    ``missing`` ("kindergarten,pharmacy") and ``lacking`` ("kindergarten: 620;
    …") are turned into category names; other values are returned unchanged.

    Parameters
    ----------
    column
        The column the value is in (``kind``, ``status``, ``missing``,
        ``lacking`` or a boolean column).
    value
        The cell value; missing values are returned unchanged.
    lang
        ``"zh"`` (default) or ``"en"``; any other value gives English.

    Returns
    -------
    object
        The translated value, or ``value`` unchanged.

    Examples
    --------
    >>> value_label("status", "underserved", "zh")
    '服务不足'
    >>> value_label("lacking", "kindergarten: 620; pharmacy: 12", "zh")
    '幼儿园: 620; 药店: 12'
    >>> value_label("missing", "kindergarten,pharmacy", "en")
    'Kindergarten, Pharmacy'
    """
    if value is None or (not isinstance(value, str | bool) and pd.isna(value)):  # type: ignore[arg-type]
        return value
    if column in VALUES and value in VALUES[column]:
        return _pick(VALUES[column][value], lang)
    if isinstance(value, bool):
        return text("yes" if value else "no", lang)
    if column == "missing" and isinstance(value, str):
        keys = [k for k in value.split(",") if k]
        return ("、" if lang == "zh" else ", ").join(category_label(k, lang) for k in keys)
    if column == "lacking" and isinstance(value, str):
        parts = []
        for part in value.split(";"):
            key, _, n = part.strip().partition(":")
            if key:
                parts.append(f"{category_label(key.strip(), lang)}:{n}" if n else key)
        return "; ".join(parts)
    return value


def _missing(v: object) -> bool:
    try:
        return v is None or bool(pd.isna(v))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def translate_frame(
    frame: pd.DataFrame,
    lang: Lang | str = "zh",
    *,
    values: bool = True,
    extra: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """A copy of ``frame`` with headers (and optionally values) in ``lang``.

    Headers stay unique: when two columns would get the same label, the stable
    column name is appended in brackets.

    Parameters
    ----------
    frame
        Any result table.
    lang
        ``"zh"`` or ``"en"``.
    values
        Also translate values of ``kind``, ``status``, ``missing``, ``lacking``
        and boolean columns.
    extra
        Labels of further columns, overriding the built-in ones.

    Returns
    -------
    pandas.DataFrame
        A plain table (any ``geometry`` column dropped), same rows and index,
        with translated headers and, with ``values``, translated values.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"community_id": ["A"], "kind": ["rural"], "area_pass": [True]})
    >>> translate_frame(df, "zh").to_dict("records")
    [{'社区编号': 'A', '类型': '农村', '面积达标': '是'}]
    """
    out = frame.copy()
    if "geometry" in out.columns:
        out = pd.DataFrame(out.drop(columns="geometry"))
    if values:
        for col in out.columns:
            s = out[col]
            if col in ("kind", "status", "missing", "lacking") or s.dtype == bool:
                out[col] = s.map(lambda v, c=col: value_label(c, v, lang)).astype(object)
            elif s.dtype == object or str(s.dtype) == "boolean":
                vals = s.dropna()
                if len(vals) and vals.map(lambda v: isinstance(v, bool | np.bool_)).all():
                    out[col] = s.map(
                        lambda v, c=col: None if _missing(v) else value_label(c, bool(v), lang)
                    ).astype(object)
    names = [(extra or {}).get(c) or label(c, lang) for c in out.columns]
    seen: dict[str, int] = {}
    for n in names:
        seen[n] = seen.get(n, 0) + 1
    out.columns = [
        f"{n} ({c})" if seen[n] > 1 else n for n, c in zip(names, out.columns, strict=True)
    ]
    return out
