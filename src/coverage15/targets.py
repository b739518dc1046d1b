"""Every target of a planning profile, computed the way the plan means it: ``Analysis.targets``.

:func:`build_targets` returns one row per target of the profile (``[targets.KEY]`` in its
TOML), with the plan's figure, the computed value, whether it is met, the confidence and
source (for C1 values the verbatim quote and the plan's file), the reason a value is
missing (which input is absent) and a note on how the plan's words are read. The
formulas are in ``docs/indicators.md``; each measure is named by the target's
``measure`` (:data:`coverage15.standards.MEASURES`):

* ``coverage`` — share of communities (``among``: urban / rural / all / relocation)
  with a community-level comprehensive service facility (社区服务站) inside;
* ``area_per_100hh`` — every comprehensive service facility inside the district ÷
  households × 100 (:func:`coverage15.indicators.district_facility_area`);
* ``area_compliance`` — share of communities whose own community-level area per 100
  households reaches the threshold (default: the profile's area target);
* ``community_area`` — share of communities whose community-level facility area
  reaches ``threshold`` m²;
* ``facility_area`` — share of the facilities of ``categories`` in the district with
  floor area ≥ ``threshold`` m² (facilities without an area are counted apart);
* ``category_share`` — share of communities, or of 街道 (``among = "street"``), with a
  facility of ``categories`` inside;
* ``plaza_per_resident`` — public open space (plazas) inside the district ÷ residents
  (:func:`population`);
* ``opening_hours`` — share of the facilities of ``categories`` whose parsed opening
  hours (:func:`parse_opening_hours`) reach ``threshold`` hours on their longest day;
* ``tier_share`` — share of households meeting a tier, cumulative (the tier and all
  lower ones, GB 50180-2018 条文说明 5.0.2) or the tier's own categories.

Examples
--------
>>> parse_opening_hours("上午8:30-12:00 下午14:00-17:30")
7.0
"""

from __future__ import annotations

import re
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from coverage15._errors import InputError
from coverage15.indicators import (
    district_boundary,
    district_facility_area,
    facility_levels,
    inside_district,
    street_indicators,
)
from coverage15.io import COMMUNITY_OPTIONAL_COLUMNS, FACILITY_OPTIONAL_COLUMNS, find_column
from coverage15.standards import TIER_ORDER, Profile, Target, category_catalogue

#: columns of :func:`build_targets` (``Analysis.targets``)
TARGET_COLUMNS = (
    "key",
    "label_zh",
    "label_en",
    "target",
    "value",
    "unit",
    "met",
    "confidence",
    "source",
    "reason",
    "note",
)
#: persons per household when a community has no population: 第七次全国人口普查 (2020)
HOUSEHOLD_SIZE = 2.62
HOUSEHOLD_SIZE_SOURCE = (
    "第七次全国人口普查公报（第二号）, 国家统计局 2021: 平均每个家庭户的人口为2.62人"
)

# --------------------------------------------------------------------------- inputs

_TRUE = {"true", "1", "1.0", "yes", "y", "t", "是", "√", "✓", "有"}
_FALSE = {"false", "0", "0.0", "no", "n", "f", "否", "×", "无", ""}


def parse_flag(values: pd.Series, *, source: str = "communities", column: str = "") -> pd.Series:
    """Yes/no values (是/否, true/false, 1/0, √) as booleans; missing is False.

    Parameters
    ----------
    values
        The column's values.
    source, column
        Named in the error for a value that is neither yes nor no.

    Returns
    -------
    pandas.Series
        Booleans, same index.

    Raises
    ------
    InputError
        A value that is neither (naming the rows, 1-based, and the column).

    Examples
    --------
    >>> import pandas as pd
    >>> parse_flag(pd.Series(["是", "否", None, True, 1])).tolist()
    [True, False, False, True, True]
    """

    def one(v: Any) -> bool | None:
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            return False
        key = str(v).strip().lower()
        return True if key in _TRUE else False if key in _FALSE else None

    out = values.map(one)
    bad = out.isna().to_numpy()
    if bad.any():
        raise InputError(
            f"yes/no values not recognised: {sorted(set(values[bad].astype(str)))[:10]}; "
            "use 是/否, true/false or 1/0",
            source=source,
            rows=(np.flatnonzero(bad) + 1).tolist(),
            column=column or str(values.name),
        )
    return out.astype(bool)


def normalise_columns(
    communities: pd.DataFrame, facilities: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Find the optional columns the targets use and give them their normalised names.

    ``street`` (街道/乡镇), ``relocation`` (易地扶贫搬迁/安置社区, parsed by
    :func:`parse_flag`) on communities and ``opening_hours`` (营业时间/开放时间) on
    facilities, recognised by the names of
    :data:`coverage15.io.COMMUNITY_OPTIONAL_COLUMNS` and
    :data:`coverage15.io.FACILITY_OPTIONAL_COLUMNS` (case, spaces and brackets
    ignored). A column already under its normalised name is used as it is.

    Parameters
    ----------
    communities, facilities
        As loaded (the loaders keep these as the user's other columns).

    Returns
    -------
    tuple of (pandas.DataFrame, pandas.DataFrame)
        Copies with the columns renamed (the inputs are not changed).

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"community_id": ["A"], "街道": ["嘉州街道"], "安置社区": ["是"]})
    >>> f = pd.DataFrame({"category": ["community_service_station"], "开放时间": ["8:30-17:30"]})
    >>> c2, f2 = normalise_columns(c, f)
    >>> c2["street"].tolist(), c2["relocation"].tolist(), f2["opening_hours"].tolist()
    (['嘉州街道'], [True], ['8:30-17:30'])
    """
    comm, fac = communities.copy(), facilities.copy()
    for frame, table in ((comm, COMMUNITY_OPTIONAL_COLUMNS), (fac, FACILITY_OPTIONAL_COLUMNS)):
        cols = [c for c in frame.columns if isinstance(c, str) and c != "geometry"]
        for key, names in table.items():
            if key in frame.columns:
                continue
            hit = find_column(cols, names)
            if hit is not None:
                frame[key] = frame[hit]
    if "relocation" in comm:
        comm["relocation"] = parse_flag(comm["relocation"], column="relocation")
    if "street" in comm:
        st = comm["street"].astype("string").str.strip()
        comm["street"] = st.where(st != "")
    return comm, fac


def street_table(communities: pd.DataFrame, facilities: pd.DataFrame) -> pd.DataFrame:
    """Per 街道/乡镇 indicators, with the street column found under its Chinese names.

    :func:`normalise_columns` then :func:`coverage15.indicators.street_indicators`.

    Parameters
    ----------
    communities, facilities
        As loaded (e.g. ``Analysis.communities`` and ``Analysis.facilities``).

    Returns
    -------
    pandas.DataFrame
        One row per 街道 (see :func:`~coverage15.indicators.street_indicators`); empty
        (no columns) when the communities have no street column.

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"community_id": ["A"], "households": [100], "街道": ["S"]})
    >>> f = pd.DataFrame({"category": ["community_service_centre"], "floor_area_m2": [800.0],
    ...                   "community_id": ["A"]})
    >>> float(street_table(c, f).loc[0, "area_per_100hh"])
    800.0
    """
    comm, fac = normalise_columns(communities, facilities)
    if "street" not in comm:
        return pd.DataFrame()
    return street_indicators(comm, fac)


# --------------------------------------------------------------------------- population


def population(
    communities: pd.DataFrame, *, household_size: float | None = None
) -> tuple[pd.Series, str]:
    """Residents per community: the ``population`` column, else households × household size.

    Parameters
    ----------
    communities
        ``households`` and optionally ``population`` (missing or non-positive
        values are estimated).
    household_size
        Persons per household for the estimate (default :data:`HOUSEHOLD_SIZE`,
        2.62, the 2020 census's average family household).

    Returns
    -------
    tuple of (pandas.Series, str)
        Residents per community (float, same index) and a note saying how many
        were given and how many estimated with which household size ("" when all
        were given).

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"households": [100, 200], "population": [300, None]})
    >>> pop, note = population(c)
    >>> pop.tolist()
    [300.0, 524.0]
    >>> note  # doctest: +ELLIPSIS
    'population: given for 1 community(ies), households × 2.62 for 1 (第七次全国人口普查...)'
    """
    size = HOUSEHOLD_SIZE if household_size is None else float(household_size)
    hh = communities["households"].astype("float64")
    if "population" in communities:
        given = pd.to_numeric(communities["population"], errors="coerce").astype("float64")
        given = given.where(given > 0)
    else:
        given = pd.Series(np.nan, index=communities.index)
    est = given.isna()
    pop = given.where(~est, hh * size)
    if not est.any():
        return pop, ""
    src = HOUSEHOLD_SIZE_SOURCE if household_size is None else "given by the user"
    note = (
        f"population: given for {int((~est).sum())} community(ies), households × {size:g} "
        f"for {int(est.sum())} ({src})"
    )
    return pop, note


# --------------------------------------------------------------------------- opening hours

_DASH = re.compile(r"\s*(?:-|–|—|－|~|～|至|到)+\s*")
_FULLWIDTH = str.maketrans({"：": ":", "，": ",", "；": ";", "、": ",", "　": " "})
_DAY_ZH = r"(?:周|星期|礼拜)[一二三四五六日天]"
_DAY = (
    rf"(?:(?:Mo|Tu|We|Th|Fr|Sa|Su|PH|SH)(?:-(?:Mo|Tu|We|Th|Fr|Sa|Su))?"
    rf"|{_DAY_ZH}(?:-{_DAY_ZH})?|工作日|周末|节假日|法定节假日|每天|每日|全周)"
)
_RANGE = re.compile(
    r"(上午|早上|中午|下午|晚上)?\s*(\d{1,2}):(\d{2})-(上午|中午|下午|晚上)?\s*(\d{1,2}):(\d{2})"
)
_ALLDAY = re.compile(r"^(?:24/7|24小时|24h|全天|全天开放|全天24小时)$", re.IGNORECASE)
_FILLER = re.compile(
    r"(?:开放时间|营业时间|服务时间|办公时间|开放|营业|办公|时间|off|closed|休息|闭馆|[:,;\s()（）])",
    re.IGNORECASE,
)


def _clock(prefix: str | None, h: int, m: int) -> float:
    if prefix in ("下午", "晚上") and h < 12:
        h += 12
    if prefix == "中午" and h < 11:
        h += 12
    if h > 24 or m >= 60 or (h == 24 and m):
        raise ValueError
    return h + m / 60.0


def _rule_hours(rule: str) -> float:
    total = 0.0
    for m in _RANGE.finditer(rule):
        p1, h1, m1, p2, h2, m2 = m.groups()
        start = _clock(p1, int(h1), int(m1))
        end = _clock(p2 or (p1 if p1 in ("下午", "晚上") else None), int(h2), int(m2))
        if end < start and p2 is None and p1 in ("上午", "早上") and int(h2) < 12:
            end += 12  # 上午8:30-5:30 is 8:30 to 17:30
        total += end - start if end > start else end + 24.0 - start  # past midnight
    return total


def parse_opening_hours(text: Any) -> float | None:
    """Hours open on the longest day, from a Chinese or OSM opening-hours text.

    Understood: ``8:30-17:30``; ``08:00-12:00,14:00-18:00`` (ranges of a day add
    up); any dash (``- – — ~ 至 到``) and full-width ``：，；``; ``8点30`` for
    ``8:30``; 上午/下午/晚上 prefixes (``下午2:00-5:30`` is 14:00–17:30); day
    groups in Chinese (周一至周五, 工作日 …) or OSM (``Mo-Fr 08:00-18:00; Sa
    09:00-12:00``), each group its own day; ``24/7`` and 全天 / 24小时. Anything
    else left over (words, ``sunrise``, ``by appointment``) makes the text
    unparseable: None, never a guess.

    Parameters
    ----------
    text
        The opening hours (any type; None, NaN and ``""`` give None).

    Returns
    -------
    float or None
        Hours open on the longest day (0 for ``off``/``closed`` only), or None when
        the text cannot be read.

    Examples
    --------
    >>> [parse_opening_hours(t) for t in ["8:30-17:30", "08:00-12:00,14:00-18:00",
    ...  "8:30—17:30", "Mo-Fr 08:00-18:00; Sa 09:00-12:00", "24/7", "预约开放"]]
    [9.0, 8.0, 9.0, 10.0, 24.0, None]
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return None
    s = str(text).translate(_FULLWIDTH).strip()
    if not s:
        return None
    s = re.sub(r"(\d{1,2})[点时](\d{1,2})分?", r"\1:\2", s)
    s = re.sub(r"(\d{1,2})[点时]", r"\1:00", s)
    s = _DASH.sub("-", s)
    if _ALLDAY.match(s.replace(" ", "")):
        return 24.0
    # a rule per day group: split on ';' and before any day spec that follows a time
    rules: list[str] = []
    for part in s.split(";"):
        start = 0
        for m in re.finditer(_DAY, part):
            if re.search(r"\d:\d{2}", part[start : m.start()]):
                rules.append(part[start : m.start()])
                start = m.start()
        rules.append(part[start:])
    hours = []
    for rule in rules:
        rest = _RANGE.sub(" ", rule)
        rest = re.sub(_DAY, " ", rest)
        rest = _FILLER.sub("", rest)
        if rest.strip("-"):
            return None  # something we do not understand: never guess
        try:
            h = _rule_hours(rule)
        except ValueError:
            return None
        if h > 24.0:
            return None
        hours.append(h)
    return max(hours) if hours else None


# --------------------------------------------------------------------------- tiers


def tier_shares(homes: pd.DataFrame, profile: Profile) -> pd.DataFrame:
    """Cumulative and per-tier shares of households, with the weakest category of each.

    Parameters
    ----------
    homes
        Per home: ``households``, ``covered__<cat>`` for the required categories
        and ``status`` (``off_network`` homes count in the denominator only), as
        in ``Analysis.homes``.
    profile
        The standard profile.

    Returns
    -------
    pandas.DataFrame
        One row per tier of the profile (block → 15min): ``tier``, ``name_zh``,
        ``name_en``, ``n_cumulative`` / ``share_cumulative`` (households reaching
        every required category of the tier and all lower tiers, GB 50180-2018
        条文说明 5.0.2), ``n_own`` / ``share_own`` (the tier's own categories only;
        NaN when it has none), ``weakest`` (the cumulative categories' lowest
        single-category share: its key) and ``weakest_share``.

    Examples
    --------
    >>> import pandas as pd
    >>> from coverage15.standards import load_profile
    >>> p = load_profile("mofcom_15min")
    >>> h = pd.DataFrame({"households": [10, 30], "status": ["covered", "underserved"]})
    >>> for c in p.required_categories:
    ...     h[f"covered__{c}"] = [True, c != "pharmacy"]
    >>> t = tier_shares(h, p).set_index("tier")
    >>> float(t.loc["15min", "share_cumulative"]), t.loc["15min", "weakest"]
    (0.25, 'pharmacy')
    """
    hh = homes["households"].astype("float64").to_numpy()
    total = hh.sum()
    on = (homes["status"] != "off_network").to_numpy() if "status" in homes else True
    cat = category_catalogue()
    rows = []
    for tier in sorted(profile.tiers, key=TIER_ORDER.__getitem__):
        cum = profile.required_up_to(tier)
        own = [c for c in cum if profile.requirements[c].tier == tier]

        def reach(cats: list[str]) -> float:
            ok = np.ones(len(homes), dtype=bool) & on
            for c in cats:
                ok &= homes[f"covered__{c}"].to_numpy(dtype=bool)
            return float(hh[ok].sum())

        single = {c: reach([c]) for c in cum}
        weakest = min(cum, key=lambda c: (single[c], c)) if cum else None
        t = profile.tiers[tier]
        n_cum = reach(cum) if cum else float("nan")
        n_own = reach(own) if own else float("nan")
        rows.append(
            {
                "tier": tier,
                "name_zh": t.name_zh,
                "name_en": t.name_en,
                "n_required": len(cum),
                "n_cumulative": n_cum,
                "share_cumulative": n_cum / total if total else float("nan"),
                "n_own": n_own,
                "share_own": n_own / total if total else float("nan"),
                "weakest": weakest,
                "weakest_name_zh": cat[weakest].name_zh if weakest else None,
                "weakest_share": single[weakest] / total if weakest and total else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def tier_explanation(tiers: pd.DataFrame, *, gap: float = 0.2) -> tuple[str, str] | None:
    """One line explaining a low cumulative share, in Chinese and English.

    Cumulative tiers require every category at once: a district where each
    category reaches a fair share of households can still have almost nobody
    reaching all of them. When the top tier's cumulative share is ``gap`` (20
    points) or more below its weakest single category, this says so.

    Parameters
    ----------
    tiers
        From :func:`tier_shares`.
    gap
        How far (as a share, 0–1) the cumulative share must fall below the
        weakest category's share to be explained (default 0.2).

    Returns
    -------
    tuple of (str, str) or None
        ``(zh, en)``, or None when the shares do not differ sharply.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"tier": ["15min"], "n_required": [12], "share_cumulative": [0.0],
    ...                   "weakest": ["community_service_station"],
    ...                   "weakest_name_zh": ["社区服务站"], "weakest_share": [0.21]})
    >>> print(tier_explanation(t)[1])
    0 % of households reach all 12 categories at once; the weakest is Community service
    station, 21 %
    """
    if not len(tiers):
        return None
    top = tiers.iloc[-1]
    cum, weak = float(top["share_cumulative"]), float(top["weakest_share"])
    if np.isnan(cum) or np.isnan(weak) or weak - cum < gap:
        return None
    from coverage15.standards import category_catalogue

    n, name = int(top["n_required"]), top["weakest_name_zh"]
    entry = category_catalogue().get(str(top.get("weakest", "")))
    name_en = entry.name_en if entry is not None else name
    zh = f"仅{cum:.0%}的户能同时步行到达全部{n}类设施；最弱的一类是{name}，{weak:.0%}"
    en = (
        f"{cum:.0%} of households reach all {n} categories at once; "
        f"the weakest is {name_en}, {weak:.0%}"
    ).replace("%", " %")
    return zh, en


# --------------------------------------------------------------------------- targets


def _among(communities: pd.DataFrame, among: str) -> tuple[np.ndarray | None, str]:
    """Mask of the communities a rate counts, or (None, reason)."""
    n = len(communities)
    if among == "all":
        return np.ones(n, dtype=bool), ""
    if among in ("urban", "rural"):
        if "kind" not in communities:
            return None, "no kind (urban/rural) column（无城乡类型列）"
        sel = (communities["kind"].astype("string") == among).fillna(False).to_numpy()
        if not sel.any():
            zh = "城市" if among == "urban" else "农村"
            return None, f"no {among} communities（无{zh}社区）"
        return sel, ""
    if among == "relocation":
        if "relocation" not in communities:
            return None, "no relocation column（无易地扶贫搬迁安置社区列）"
        flag = communities["relocation"]
        sel = flag.astype("boolean").fillna(False).to_numpy(dtype=bool)
        if not sel.any():
            return None, "no relocation settlement among the communities（无安置社区）"
        return sel, ""
    raise ValueError(f"among={among!r} is not a community selection")


def _has(communities: pd.DataFrame, facilities: pd.DataFrame, mask: np.ndarray) -> np.ndarray:
    """Per community: whether a facility selected by ``mask`` lies inside it."""
    ids = facilities.loc[mask, "community_id"].dropna().astype("string")
    return communities["community_id"].astype("string").isin(set(ids)).to_numpy()


def _cats(t: Target, default: list[str]) -> list[str]:
    return list(t.categories) if t.categories else default


def _names(cats: list[str]) -> str:
    catalogue = category_catalogue()
    return "、".join(catalogue[c].name_zh for c in cats)


def _community_area(communities: pd.DataFrame, facilities: pd.DataFrame) -> np.ndarray:
    fac = facilities[facilities["category"].notna() & facilities["community_id"].notna()]
    lvl = (facility_levels(fac["category"]) == "community").fillna(False).to_numpy()
    f = fac[lvl]
    area = f["floor_area_m2"].astype("float64").fillna(0.0)
    per = area.groupby(f["community_id"].astype("string")).sum()
    ids = communities["community_id"].astype("string")
    return per.reindex(ids).fillna(0.0).to_numpy()


def _open_space_area(
    open_spaces: gpd.GeoDataFrame, communities: pd.DataFrame, boundary: Any
) -> tuple[float, int, int]:
    """Σ area of open spaces inside the district, how many counted / left out."""
    area = pd.Series(np.nan, index=open_spaces.index, dtype="float64")
    if "area_m2" in open_spaces:
        area = pd.to_numeric(open_spaces["area_m2"], errors="coerce").astype("float64")
    geom = open_spaces.geometry
    if geom.crs is not None and geom.crs.is_geographic:
        geom = geom.to_crs(geom.estimate_utm_crs())
    area = area.fillna(geom.area)
    if isinstance(communities, gpd.GeoDataFrame):
        d = district_boundary(communities, boundary)
        pts = open_spaces.geometry.representative_point()
        if open_spaces.crs is not None and communities.crs is not None:
            pts = pts.to_crs(communities.crs)
        inside = np.asarray(pts.covered_by(d), dtype=bool)
    elif "community_id" in open_spaces:
        inside = open_spaces["community_id"].notna().to_numpy()
    else:
        inside = np.ones(len(open_spaces), dtype=bool)
    return float(area[inside].sum()), int(inside.sum()), int((~inside).sum())


def _row(t: Target, value: float, reason: str = "", note: str = "") -> dict[str, Any]:
    met: Any = pd.NA
    if not reason and value is not None and not np.isnan(value):
        met = bool(value >= t.value - 1e-12)
    else:
        value = float("nan")
    source = t.source
    if t.quote:
        source = f"{t.source}; “{t.quote}” ({t.plan})"
    head = t.note.rstrip()
    sep = " " if head.endswith((".", "。")) else "; "
    notes = (head + sep + note if note else head) if head else note
    return {
        "key": t.key,
        "label_zh": t.label_zh,
        "label_en": t.label_en,
        "target": float(t.value),
        "value": float(value),
        "unit": t.unit,
        "met": met,
        "confidence": t.confidence,
        "source": source,
        "reason": reason,
        "note": notes,
    }


def build_targets(
    profile: Profile,
    communities: pd.DataFrame,
    facilities: pd.DataFrame,
    *,
    homes: pd.DataFrame | None = None,
    open_spaces: gpd.GeoDataFrame | None = None,
    boundary: Any = None,
    household_size: float | None = None,
) -> pd.DataFrame:
    """One row per target of the profile: the plan's figure, the computed value, met or not.

    Parameters
    ----------
    profile
        The standard profile; every ``[targets.KEY]`` gives a row, in file order.
    communities
        ``community_id``, ``households``, and as the targets need them ``kind``
        (urban/rural), ``street`` (街道/乡镇), ``relocation`` (易地扶贫搬迁集中安置社区,
        true/false), ``population``; polygons for the district boundary.
    facilities
        ``category``, ``floor_area_m2``, ``community_id`` (from
        :func:`coverage15.io.assign_communities`), ``opening_hours`` where
        given; points.
    homes
        Per home ``households``, ``status`` and ``covered__<cat>`` (``Analysis.homes``),
        for ``tier_share`` targets.
    open_spaces
        Public plazas / open space polygons (:func:`coverage15.io.load_open_spaces`),
        for ``plaza_per_resident``.
    boundary
        The district boundary; default the union of the communities.
    household_size
        Persons per household where a community has no population (default
        :data:`HOUSEHOLD_SIZE`).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TARGET_COLUMNS`: ``key``, ``label_zh``, ``label_en``,
        ``target`` (the plan's figure, in ``unit``; shares as 0–1), ``value``
        (computed; NaN when an input is missing), ``unit``, ``met`` (True / False /
        ``<NA>`` without a value), ``confidence``, ``source`` (with the quote and
        plan file for C1 values), ``reason`` (why ``value`` is missing: which
        input is absent), ``note`` (how the plan is read, assumptions, counts of
        records left out).

    Examples
    --------
    >>> import pandas as pd
    >>> from coverage15.standards import load_profile
    >>> c = pd.DataFrame({"community_id": ["A", "B"], "households": [300, 100],
    ...                   "kind": ["urban", "rural"]})
    >>> f = pd.DataFrame({"category": ["community_service_station"], "floor_area_m2": [120.0],
    ...                   "community_id": ["A"]})
    >>> t = build_targets(load_profile("civil_affairs_2016"), c, f).set_index("key")
    >>> float(t.loc["area_per_100_households_m2", "value"])
    30.0
    >>> float(t.loc["coverage_rural", "value"]), bool(t.loc["coverage_rural", "met"])
    (0.0, False)
    """
    rows = []
    communities, facilities = normalise_columns(communities, facilities)
    fac = facilities[facilities["category"].notna()]
    if "community_id" not in fac:
        fac = fac.assign(community_id=pd.NA)
    for t in profile.targets.values():
        rows.append(
            _compute(t, profile, communities, fac, homes, open_spaces, boundary, household_size)
        )
    out = pd.DataFrame(rows, columns=list(TARGET_COLUMNS))
    out["met"] = out["met"].astype("boolean")
    out["target"] = out["target"].astype("float64")
    out["value"] = out["value"].astype("float64")
    return out


def _compute(
    t: Target,
    profile: Profile,
    comm: pd.DataFrame,
    fac: pd.DataFrame,
    homes: pd.DataFrame | None,
    open_spaces: gpd.GeoDataFrame | None,
    boundary: Any,
    household_size: float | None,
) -> dict[str, Any]:
    m = t.measure
    nan = float("nan")
    if not m:
        return _row(t, nan, "no measure given for this target（未指定计算方法）")
    if m == "tier_share":
        if homes is None:
            return _row(t, nan, "no homes（无住户点）")
        need = [f"covered__{c}" for c in profile.required_up_to(t.tier)]
        lack = [c for c in [*need, "households"] if c not in homes]
        if lack:
            return _row(t, nan, f"homes lack {', '.join(lack)}（住户点缺少可达性列）")
        tiers = tier_shares(homes, profile).set_index("tier")
        col = "share_cumulative" if t.mode == "cumulative" else "share_own"
        value = float(tiers.loc[t.tier, col])
        if np.isnan(value):
            return _row(t, nan, f"no required category in tier {t.tier}（该层级无必配设施）")
        return _row(t, value)
    if m == "area_per_100hh":
        if "floor_area_m2" not in fac:
            return _row(t, nan, "no floor_area_m2 column（无建筑面积列）")
        d = district_facility_area(comm, fac, boundary=boundary)
        if d["households"] <= 0:
            return _row(t, nan, "no households（无户数）")
        notes = [f"{d['area_m2']:,.0f} m² in {d['n_inside']} facilities ÷ {d['households']:,} hh"]
        if d["n_outside_communities"]:
            notes.append(f"{d['n_outside_communities']} inside the district but in no community")
        if d["n_outside"]:
            notes.append(f"{d['n_outside']} outside the district not counted")
        if d["n_no_area"]:
            notes.append(f"{d['n_no_area']} without floor area counted as 0 m²")
        return _row(t, d["per_100hh"], note="; ".join(notes))
    if m == "plaza_per_resident":
        if open_spaces is None:
            return _row(t, nan, "no plaza layer（无室外活动广场图层）")
        area, n_in, n_out = _open_space_area(open_spaces, comm, boundary)
        pop, pnote = population(comm, household_size=household_size)
        total = float(pop.sum())
        if total <= 0:
            return _row(t, nan, "no residents（无人口）")
        note = f"{area:,.0f} m² in {n_in} open spaces ÷ {total:,.0f} residents"
        if n_out:
            note += f"; {n_out} outside the district not counted"
        return _row(t, area / total, note="; ".join(x for x in (note, pnote) if x))
    if m in ("facility_area", "opening_hours"):
        default = [k for k, c in category_catalogue().items() if c.community_facility]
        cats = _cats(t, default)
        sel = fac[fac["category"].isin(cats)]
        sel = sel[inside_district(sel, comm, boundary)] if len(sel) else sel
        if not len(sel):
            return _row(t, nan, f"no {'/'.join(cats)} facility in the district（无{_names(cats)}）")
        if m == "facility_area":
            if "floor_area_m2" not in sel:
                return _row(t, nan, "no floor_area_m2 column（无建筑面积列）")
            area = sel["floor_area_m2"].astype("float64")
            known = area.notna()
            if not known.any():
                return _row(t, nan, f"no floor area for any of {len(sel)} facilities（无建筑面积）")
            thr = t.threshold if t.threshold is not None else 0.0
            ok = int((area[known] >= thr).sum())
            note = f"{ok} of {int(known.sum())} reach {thr:g} m²"
            if (~known).any():
                note += f"; {int((~known).sum())} without floor area not counted"
            return _row(t, ok / int(known.sum()), note=note)
        if "opening_hours" not in sel:
            return _row(t, nan, "no opening_hours column（无开放时间列）")
        raw = sel["opening_hours"]
        given = raw.notna() & (raw.astype("string").str.strip() != "")
        hours = raw[given].map(parse_opening_hours)
        parsed = hours.notna()
        thr = t.threshold if t.threshold is not None else 8.0
        n_bad, n_none = int((~parsed).sum()), int((~given).sum())
        left = []
        if n_bad:
            examples = ", ".join(repr(str(v)) for v in raw[given][~parsed].head(3))
            left.append(f"{n_bad} with unparseable hours not counted (e.g. {examples})")
        if n_none:
            left.append(f"{n_none} without hours not counted")
        if not parsed.any():
            return _row(
                t,
                nan,
                f"no parseable opening hours（无可识别的开放时间）: {len(sel)} facilities",
                note="; ".join(left),
            )
        ok = int((hours[parsed] >= thr - 1e-9).sum())
        note = "; ".join([f"{ok} of {int(parsed.sum())} open ≥ {thr:g} h a day", *left])
        return _row(t, ok / int(parsed.sum()), note=note)
    if m in ("coverage", "area_compliance", "community_area", "category_share"):
        if t.among == "street":
            if m != "category_share":
                return _row(t, nan, f"measure {m} is per community, not per 街道")
            if "street" not in comm:
                return _row(t, nan, "no street (街道/乡镇) column（无街道列）")
            st = street_indicators(comm, fac)
            if not len(st):
                return _row(t, nan, "no community has a street（街道列为空）")
            cats = _cats(t, [])
            has = np.zeros(len(st), dtype=bool)
            for c in cats:
                if f"n__{c}" in st:
                    has |= st[f"n__{c}"].to_numpy() > 0
            note = f"{int(has.sum())} of {len(st)} 街道"
            if comm["street"].isna().any():
                note += f"; {int(comm['street'].isna().sum())} communities without a street"
            return _row(t, float(has.mean()), note=note)
        mask, reason = _among(comm, t.among)
        if mask is None:
            return _row(t, nan, reason)
        n = int(mask.sum())
        if m == "coverage":
            level = (facility_levels(fac["category"]) == "community").fillna(False).to_numpy()
            has = _has(comm, fac, level)[mask]
            return _row(t, float(has.mean()), note=f"{int(has.sum())} of {n} communities")
        if m == "category_share":
            cats = _cats(t, [])
            has = _has(comm, fac, fac["category"].isin(cats).to_numpy())[mask]
            return _row(t, float(has.mean()), note=f"{int(has.sum())} of {n} communities")
        if "floor_area_m2" not in fac:
            return _row(t, nan, "no floor_area_m2 column（无建筑面积列）")
        area = _community_area(comm, fac)[mask]
        if m == "community_area":
            thr = t.threshold if t.threshold is not None else 0.0
            ok = area >= thr
            return _row(t, float(ok.mean()), note=f"{int(ok.sum())} of {n} reach {thr:g} m²")
        thr_t = profile.target("area_per_100_households_m2")
        least = t.threshold if t.threshold is not None else (thr_t.value if thr_t else None)
        if least is None:
            return _row(t, nan, "no area_per_100_households_m2 target to compare with")
        hh = comm["households"].astype("float64").to_numpy()[mask]
        with np.errstate(divide="ignore", invalid="ignore"):
            per = np.where(hh > 0, area / hh * 100.0, np.nan)
        valid = ~np.isnan(per)
        if not valid.any():
            return _row(t, nan, "no households（无户数）")
        reach = per[valid] >= least
        note = f"{int(reach.sum())} of {int(valid.sum())} reach {least:g} m² per 100 households"
        return _row(t, float(reach.mean()), note=note)
    return _row(t, nan, f"measure {m} not computed")  # pragma: no cover - MEASURES is closed
