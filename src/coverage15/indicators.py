"""Indicators per home, per community and per district, against a standard profile.

Inputs are plain tables, so each formula can be checked by hand:

* ``access``: one row per home, ``dist_m__<category>`` walking metres to the
  nearest facility of each category (NaN = none within the search bound or
  unreachable), as returned by :meth:`coverage15.access.WalkNetwork.nearest_facilities`.
* ``homes``: ``home_id``, ``community_id``, ``households``.
* ``communities`` and ``facilities`` from the loaders.

Formulas (documented in ``docs/indicators.md``):

* covered: ``dist_m <= profile.threshold_m(category, group)``.
* completeness of a home: covered required categories ÷ required categories.
* tier ``T`` met: every required category of ``T`` and of every lower tier is
  covered (GB 50180-2018 条文说明 5.0.2: tiers are cumulative).
* households: covered (all required categories) + underserved (snapped, some
  missing) + off-network (not snapped) = the community's households; a
  mismatch raises.
* area per 100 households, the plans' way: per community, Σ floor area of the
  community-level comprehensive service facilities (社区综合服务设施 of level
  ``community``) inside it ÷ households × 100; street-level centres (街道/乡镇社区服务
  中心) count for their 街道 (:func:`street_indicators`) and the district
  (:func:`district_facility_area`), never for the one community they stand in; the
  district counts every facility inside its boundary (the union of the communities
  unless a boundary is given).
* 2SFCA accessible area per 100 households: each facility's floor area is
  shared among the households within its catchment distance
  (``R_j = S_j / Σ_{i: d_ij <= d0} h_i``); a home's accessible area is
  ``A_i = Σ_{j: d_ij <= d0} R_j``; a community's value is the household-weighted
  mean of ``A_i`` × 100.

Examples
--------
>>> import pandas as pd
>>> from coverage15.standards import load_profile
>>> access = pd.DataFrame({"dist_m__kindergarten": [100.0, 450.0, float("nan")]})
>>> covered_table(access, load_profile("gb50180_2018"), ["kindergarten"])["kindergarten"].tolist()
[True, False, False]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from coverage15._errors import InputError
from coverage15.standards import TIER_ORDER, Profile, category_catalogue
from coverage15.validation import check_conservation

DIST = "dist_m__"
#: columns of :func:`lacking_table` (``Analysis.lacking``)
LACKING_COLUMNS = ("community_id", "category", "households")


def facility_levels(categories: pd.Series) -> pd.Series:
    """Level of each facility as a comprehensive service facility (社区综合服务设施).

    Parameters
    ----------
    categories
        Category keys of facilities.

    Returns
    -------
    pandas.Series
        ``"community"`` (社区服务站 …), ``"street"`` (街道/乡镇社区服务中心) or ``<NA>``
        for categories that are not comprehensive service facilities; same index.

    Examples
    --------
    >>> import pandas as pd
    >>> facility_levels(pd.Series(["community_service_station", "community_service_centre",
    ...                            "kindergarten"])).tolist()
    ['community', 'street', <NA>]
    """
    catalogue = category_catalogue()

    def level(k: Any) -> Any:
        c = catalogue.get(k) if isinstance(k, str) else None
        return c.level if c is not None and c.community_facility else pd.NA

    return categories.map(level).astype("string")


def _dist(access: pd.DataFrame, cat: str) -> pd.Series:
    col = DIST + cat
    if col not in access.columns:
        # no facility of this category at all: nobody is covered
        return pd.Series(np.nan, index=access.index)
    return access[col].astype("float64")


def covered_table(
    access: pd.DataFrame, profile: Profile, categories: list[str], group: str = "general"
) -> pd.DataFrame:
    """Boolean table (homes × categories): covered within the profile's threshold.

    Parameters
    ----------
    access
        ``dist_m__<category>`` columns (walking metres; NaN = not reached).
    profile
        The standard profile; its :meth:`~coverage15.standards.Profile.threshold_m`
        decides.
    categories
        Category keys to test; a category without a ``dist_m__`` column is
        covered nowhere.
    group
        ``"general"`` or ``"slow"`` (elderly and young children).

    Returns
    -------
    pandas.DataFrame
        One boolean column per category, index-aligned with ``access``:
        ``dist_m__<category> <= threshold_m(category, group)`` (NaN is False).

    Examples
    --------
    >>> import pandas as pd
    >>> from coverage15.standards import load_profile
    >>> a = pd.DataFrame({"dist_m__pharmacy": [400.0, 450.0]})
    >>> m = load_profile("mofcom_15min")  # pharmacy: 8 min; 480 m general, 400 m slow
    >>> covered_table(a, m, ["pharmacy"], "slow")["pharmacy"].tolist()
    [True, False]
    """
    return pd.DataFrame(
        {c: (_dist(access, c) <= profile.threshold_m(c, group)).to_numpy() for c in categories},
        index=access.index,
    )


def home_indicators(
    homes: pd.DataFrame,
    access: pd.DataFrame,
    profile: Profile,
    *,
    group: str = "general",
    snapped: pd.Series | None = None,
) -> pd.DataFrame:
    """Per-home coverage: which required categories are covered, what is missing.

    Parameters
    ----------
    homes
        ``home_id``, ``community_id``, ``households``; index aligned with ``access``.
    access
        ``dist_m__<category>`` columns.
    profile
        The standard profile.
    group
        ``"general"`` or ``"slow"`` (elderly and young children): time standards
        use that group's walking speed.
    snapped
        Boolean per home: on the network (default: all True).

    Returns
    -------
    pandas.DataFrame
        ``covered__<cat>`` per required category, ``n_required``, ``n_covered``,
        ``completeness`` (0–1), ``missing`` (comma-separated keys), ``met__<tier>``
        per tier, ``status`` (``"covered"``, ``"underserved"``, ``"off_network"``).

    Examples
    --------
    >>> import pandas as pd
    >>> from coverage15.standards import load_profile
    >>> p = load_profile("leshan_2018")
    >>> h = pd.DataFrame({"home_id": ["h"], "community_id": ["A"], "households": [3]})
    >>> a = pd.DataFrame({"dist_m__health_station": [250.0], "dist_m__outdoor_fitness": [310.0],
    ...                   "dist_m__community_service_station": [480.0],
    ...                   "dist_m__community_service_centre": [900.0]})
    >>> r = home_indicators(h, a, p)
    >>> r.loc[0, "missing"], float(r.loc[0, "completeness"]), r.loc[0, "status"]
    ('outdoor_fitness', 0.75, 'underserved')
    """
    req = profile.required_categories
    cov = covered_table(access, profile, req, group)
    out = pd.DataFrame(index=homes.index)
    for c in req:
        out[f"covered__{c}"] = cov[c].to_numpy()
    out["n_required"] = len(req)
    out["n_covered"] = cov.sum(axis=1).astype("int64")
    out["completeness"] = out["n_covered"] / max(len(req), 1)
    names = np.array(req, dtype=object)
    out["missing"] = [",".join(names[~row]) for row in cov.to_numpy()]
    for tier in sorted(profile.tiers, key=TIER_ORDER.__getitem__):
        need = profile.required_up_to(tier)
        out[f"met__{tier}"] = cov[need].all(axis=1).to_numpy() if need else True
    on = pd.Series(True, index=homes.index) if snapped is None else snapped.astype(bool)
    complete = out["n_covered"] == len(req)
    out["status"] = np.where(~on, "off_network", np.where(complete, "covered", "underserved"))
    return out


def community_indicators(
    communities: pd.DataFrame,
    homes: pd.DataFrame,
    home_ind: pd.DataFrame,
    facilities: pd.DataFrame,
    profile: Profile,
    *,
    accessible_area: pd.Series | None = None,
) -> pd.DataFrame:
    """Per-community coverage, underserved households and floor-area indicators.

    Parameters
    ----------
    communities
        ``community_id``, ``households``, ``kind``.
    homes, home_ind
        Homes and their :func:`home_indicators`, index-aligned.
    facilities
        ``category``, ``floor_area_m2``, ``community_id`` (from
        :func:`coverage15.io.assign_communities`).
    profile
        The standard profile.
    accessible_area
        Per home, 2SFCA accessible floor area in m² per household (from
        :func:`two_step_fca`); summarised as ``accessible_area_per_100hh``.

    Returns
    -------
    pandas.DataFrame
        One row per community (same order), with ``households``,
        ``hh_covered__<cat>``, ``share__<cat>``, ``hh_covered_all``,
        ``share_covered_all``, ``hh_underserved``, ``hh_off_network``,
        ``lacking`` ("category: households; …", built from :func:`lacking_table`),
        ``hh_met__<tier>``, ``community_facility_m2`` (community-level facilities
        only), ``area_per_100hh``, ``area_target_per_100hh``,
        ``area_pass``, ``has_community_facility``, ``max_area__<cat>`` and
        ``area_ok__<cat>`` for categories with a minimum floor area, and
        ``accessible_area_per_100hh``.

    Examples
    --------
    Recomputed from an analysis of the sample (hand-checked cases are in
    ``tests/test_indicators.py``):

    >>> from coverage15.datasets import sample_analysis
    >>> a = sample_analysis("leshan_2018")
    >>> base = a.communities[["community_id", "name", "households", "kind", "geometry"]]
    >>> ci = community_indicators(base, a.homes, a.homes, a.facilities, a.profile)
    >>> int(ci["hh_covered_all"].sum()) == int(a.communities["hh_covered_all"].sum())
    True
    """
    req = profile.required_categories
    cid = homes["community_id"].astype("string")
    hh = homes["households"].astype("int64")
    out = pd.DataFrame({"community_id": communities["community_id"].astype("string").to_numpy()})
    out["households"] = communities["households"].astype("int64").to_numpy()
    idx = pd.Index(out["community_id"])

    def per_comm(values: pd.Series) -> np.ndarray:
        return values.groupby(cid).sum().reindex(idx, fill_value=0).to_numpy()

    for c in req:
        got = per_comm(hh.where(home_ind[f"covered__{c}"], 0))
        out[f"hh_covered__{c}"] = got
        out[f"share__{c}"] = _share(got, out["households"])
    status = home_ind["status"]
    out["hh_covered_all"] = per_comm(hh.where(status == "covered", 0))
    out["share_covered_all"] = _share(out["hh_covered_all"], out["households"])
    out["hh_underserved"] = per_comm(hh.where(status == "underserved", 0))
    out["hh_off_network"] = per_comm(hh.where(status == "off_network", 0))
    check_conservation(communities, homes, out)
    out["lacking"] = lacking_text(lacking_table(homes, home_ind, profile), out["community_id"])
    for tier in sorted(profile.tiers, key=TIER_ORDER.__getitem__):
        out[f"hh_met__{tier}"] = per_comm(
            hh.where(home_ind[f"met__{tier}"] & (status != "off_network"), 0)
        )
    # ---- floor area of community-level comprehensive service facilities (社区综合服务设施);
    # street-level centres count for their 街道 and the district, not their host community
    fac = facilities[facilities["category"].notna()]
    cf = fac[(facility_levels(fac["category"]) == "community").fillna(False).to_numpy()]
    area = cf.groupby(cf["community_id"].astype("string"))["floor_area_m2"].sum(min_count=1)
    out["community_facility_m2"] = area.reindex(idx).fillna(0.0).to_numpy()
    out["has_community_facility"] = (
        cf["community_id"].astype("string").value_counts().reindex(idx, fill_value=0).to_numpy() > 0
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        per100 = out["community_facility_m2"] / out["households"] * 100.0
    out["area_per_100hh"] = per100.where(out["households"] > 0)
    target = profile.target("area_per_100_households_m2")
    out["area_target_per_100hh"] = target.value if target else np.nan
    out["area_pass"] = (out["area_per_100hh"] >= target.value) if target else pd.NA
    # ---- minimum floor area of single facilities (station ≥ …, centre ≥ …)
    for c in profile.categories:
        minimum = profile.requirements[c].min_floor_area_m2
        if minimum is None:
            continue
        f = fac[fac["category"] == c]
        biggest = f.groupby(f["community_id"].astype("string"))["floor_area_m2"].max()
        out[f"max_area__{c}"] = biggest.reindex(idx).to_numpy()
        out[f"area_ok__{c}"] = out[f"max_area__{c}"] >= minimum
    if accessible_area is not None:
        w = (accessible_area.fillna(0.0) * hh).groupby(cid).sum().reindex(idx, fill_value=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            out["accessible_area_per_100hh"] = (w.to_numpy() / out["households"] * 100.0).where(
                out["households"] > 0
            )
    return out


def _share(part: pd.Series | np.ndarray, whole: pd.Series) -> pd.Series:
    whole = pd.Series(whole).astype("float64")
    return (pd.Series(np.asarray(part, dtype="float64"), index=whole.index) / whole).where(
        whole > 0
    )


def two_step_fca(
    pairs: pd.DataFrame,
    supply: pd.Series,
    demand: pd.Series,
    *,
    max_distance_m: float,
) -> pd.Series:
    """Two-step floating catchment: accessible supply per unit of demand, per home.

    Parameters
    ----------
    pairs
        Facility–home pairs with columns ``facility`` and ``home`` (positions,
        0-based, into ``supply`` and ``demand``) and ``dist_m``, as from
        :meth:`coverage15.access.WalkNetwork.catchment_pairs`.
    supply
        Floor area per facility (NaN counts as 0).
    demand
        Households per home.
    max_distance_m
        Catchment distance ``d0``; pairs farther are ignored.

    Returns
    -------
    pandas.Series
        Per home (index of ``demand``): ``A_i = Σ_j R_j`` over facilities
        within ``d0``, with ``R_j = S_j / Σ_i h_i`` over homes within ``d0`` of
        ``j``. Units: supply per household (m² per household).

    Examples
    --------
    >>> import pandas as pd
    >>> pairs = pd.DataFrame({"facility": [0, 0, 1], "home": [0, 1, 1],
    ...                       "dist_m": [100.0, 200.0, 50.0]})
    >>> two_step_fca(pairs, pd.Series([300.0, 100.0]), pd.Series([10, 20]),
    ...              max_distance_m=1000).round(3).tolist()
    [10.0, 15.0]
    """
    p = pairs[pairs["dist_m"] <= max_distance_m]
    f = p["facility"].to_numpy()
    h = p["home"].to_numpy()
    d = demand.to_numpy(dtype="float64")
    s = supply.fillna(0.0).to_numpy(dtype="float64")
    load = np.bincount(f, weights=d[h], minlength=len(s))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(load > 0, s / load, 0.0)
    acc = np.bincount(h, weights=ratio[f], minlength=len(d))
    return pd.Series(acc, index=demand.index)


@dataclass(frozen=True)
class DistrictRow:
    """One line of the district summary.

    :func:`district_indicators` builds the rows; the parameters are kept as attributes of
    the same names (and become the columns of its table).

    Parameters
    ----------
    indicator
        The indicator's key, e.g. ``"coverage_urban"`` or ``"share_households_met__5min"``.
    value
        Its value: a share as a fraction 0–1, a count of households, or m² per
        100 households, as ``unit`` says (NaN when it cannot be computed).
    target
        The profile's target for it (same unit), or None when the profile sets none.
    passed
        Whether ``value`` reaches ``target`` (None without a target or a value).
    unit
        The unit in words, e.g. ``"share of communities"``, ``"households"``,
        ``"m² per 100 households"``.
    source
        Where the target comes from (the standard and clause), or ``"computed"``
        for an indicator without a target.
    confidence
        The target's confidence: ``"C1"`` official text, ``"C2"`` secondary
        source, ``"R"`` recalled and unverified; ``""`` without a target.

    Examples
    --------
    >>> DistrictRow("coverage_urban", 1.0, 1.0, True, "share of communities", "computed", "C2")
    ... # doctest: +ELLIPSIS
    DistrictRow(indicator='coverage_urban', value=1.0, target=1.0, passed=True, ...)
    """

    indicator: str
    value: float
    target: float | None
    passed: bool | None
    unit: str
    source: str
    confidence: str


def district_indicators(
    communities: pd.DataFrame,
    comm_ind: pd.DataFrame,
    profile: Profile,
    *,
    facilities: pd.DataFrame | None = None,
    boundary: Any = None,
) -> pd.DataFrame:
    """District summary: coverage rates, area compliance, households in the full circle.

    Parameters
    ----------
    communities
        Communities with ``kind`` (``"urban"`` / ``"rural"``), in the order of
        ``comm_ind``.
    comm_ind
        Their :func:`community_indicators`.
    profile
        The standard profile: its targets give ``target``, ``passed``,
        ``source`` and ``confidence``.
    facilities
        All facilities (``category``, ``floor_area_m2``, geometry or
        ``community_id``): the district area counts every comprehensive service
        facility inside the district (:func:`district_facility_area`). Without
        them, the sum of the communities' ``community_facility_m2`` (community-level
        facilities only) is used.
    boundary
        The district boundary (default: the union of the communities).

    Returns
    -------
    pandas.DataFrame
        Columns ``indicator``, ``value``, ``target``, ``passed``, ``unit``,
        ``source``, ``confidence``; one row per indicator:

        * ``households`` — total households;
        * ``share_households_covered_all`` — households whose home reaches every
          required category, ÷ all households;
        * ``share_households_met__<tier>`` — the same for each cumulative tier;
        * ``coverage_urban`` / ``coverage_rural`` — share of urban / rural
          communities with a community-level comprehensive service facility
          inside (only when the profile sets that target);
        * ``share_communities_area_pass`` — share of communities meeting the
          per-100-household area (against ``area_compliance_rate`` when the
          profile sets it, among the communities that target names: Leshan's
          counts urban communities);
        * ``area_per_100hh`` — district total facility area ÷ households × 100.

    Examples
    --------
    >>> from coverage15.datasets import sample_analysis
    >>> a = sample_analysis("leshan_2018")
    >>> d = district_indicators(a.communities, a.communities, a.profile)
    >>> d.loc[d["indicator"] == "households", "value"].item()
    25720.0
    """
    kind = communities["kind"].astype("string").to_numpy()
    hh_total = int(comm_ind["households"].sum())
    rows: list[DistrictRow] = []

    def add(key: str, value: float, unit: str, target_key: str | None = None) -> None:
        t = profile.target(target_key) if target_key else None
        rows.append(
            DistrictRow(
                indicator=key,
                value=float(value),
                target=t.value if t else None,
                passed=(bool(value >= t.value) if t and not np.isnan(value) else None),
                unit=unit,
                source=t.source if t else "computed",
                confidence=t.confidence if t else "",
            )
        )

    add("households", hh_total, "households")
    add(
        "share_households_covered_all",
        comm_ind["hh_covered_all"].sum() / hh_total if hh_total else np.nan,
        "share of households",
    )
    for tier in sorted(profile.tiers, key=TIER_ORDER.__getitem__):
        col = f"hh_met__{tier}"
        add(
            f"share_households_met__{tier}",
            comm_ind[col].sum() / hh_total if hh_total else np.nan,
            "share of households",
        )
    for k in ("urban", "rural"):
        sel = kind == k
        # only the profile's own targets: GB 50180 defines no urban/rural coverage rate
        if sel.any() and profile.target(f"coverage_{k}") is not None:
            add(
                f"coverage_{k}",
                comm_ind["has_community_facility"].to_numpy()[sel].mean(),
                f"share of {k} communities",
                f"coverage_{k}",
            )
    if profile.target("area_per_100_households_m2"):
        rate = profile.target("area_compliance_rate")
        among = rate.among if rate is not None else "all"
        sel = kind == among if among in ("urban", "rural") else np.ones(len(kind), dtype=bool)
        add(
            "share_communities_area_pass",
            comm_ind["area_pass"].astype(float).to_numpy()[sel].mean() if sel.any() else np.nan,
            "share of communities"
            if among not in ("urban", "rural")
            else f"share of {among} communities",
            "area_compliance_rate",
        )
        if facilities is not None:
            per100 = district_facility_area(communities, facilities, boundary=boundary)["per_100hh"]
        else:
            area = comm_ind["community_facility_m2"].sum()
            per100 = area / hh_total * 100.0 if hh_total else np.nan
        add("area_per_100hh", per100, "m² per 100 households", "area_per_100_households_m2")
    return pd.DataFrame([r.__dict__ for r in rows])


def worst_communities(comm_ind: pd.DataFrame, n: int = 5) -> pd.DataFrame:
    """The ``n`` communities with the lowest share of fully covered households.

    Ties are broken by more underserved households first.

    Parameters
    ----------
    comm_ind
        Community indicators with ``share_covered_all`` and ``hh_underserved``
        (e.g. ``Analysis.communities``).
    n
        How many communities.

    Returns
    -------
    pandas.DataFrame
        ``community_id``, ``name``, ``kind``, ``households``,
        ``share_covered_all``, ``hh_underserved``, ``hh_off_network``,
        ``lacking``, ``area_per_100hh``, ``area_pass`` (those present), worst
        first, index 0..n-1.

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"community_id": ["A", "B", "C"], "share_covered_all": [0.5, 0.2, 0.5],
    ...                   "hh_underserved": [10, 5, 30], "lacking": ["", "", ""]})
    >>> worst_communities(c, 2)["community_id"].tolist()
    ['B', 'C']
    """
    cols = [
        c
        for c in comm_ind.columns
        if c
        in (
            "community_id",
            "name",
            "kind",
            "households",
            "share_covered_all",
            "hh_underserved",
            "hh_off_network",
            "lacking",
            "area_per_100hh",
            "area_pass",
        )
    ]
    ranked = comm_ind.sort_values(
        ["share_covered_all", "hh_underserved"], ascending=[True, False], kind="stable"
    )
    return ranked[cols].head(n).reset_index(drop=True)


def lacking_table(homes: pd.DataFrame, home_ind: pd.DataFrame, profile: Profile) -> pd.DataFrame:
    """Households lacking each required category, per community (``Analysis.lacking``).

    Parameters
    ----------
    homes
        ``community_id`` and ``households`` per home.
    home_ind
        Their :func:`home_indicators` (index-aligned): ``status`` and ``covered__<cat>``.
    profile
        The standard profile; its required categories are checked.

    Returns
    -------
    pandas.DataFrame
        Long table ``community_id``, ``category``, ``households``: for the
        underserved homes (snapped, some category missing) of each community,
        Σ households whose home does not reach ``category`` within its standard;
        only rows with households > 0, by community (first appearance), then
        households (most first), then category. Off-network homes are not
        counted (they are ``hh_off_network``).

    Examples
    --------
    >>> import pandas as pd
    >>> from coverage15.standards import load_profile
    >>> p = load_profile("gb50180_2018")
    >>> h = pd.DataFrame({"community_id": ["A", "A"], "households": [10, 30]})
    >>> a = pd.DataFrame({"dist_m__kindergarten": [200.0, 350.0]})
    >>> hi = home_indicators(h, a, p)
    >>> t = lacking_table(h, hi, p)
    >>> t[t["category"] == "kindergarten"]["households"].tolist()
    [30]
    """
    req = profile.required_categories
    under = (home_ind["status"] == "underserved").to_numpy()
    cid = homes["community_id"].astype("string").to_numpy()[under]
    hh = homes["households"].astype("int64").to_numpy()[under]
    order = {c: i for i, c in enumerate(pd.unique(homes["community_id"].astype("string")))}
    parts = []
    for c in req:
        lack = ~home_ind[f"covered__{c}"].to_numpy(dtype=bool)[under]
        if lack.any():
            g = pd.Series(hh[lack]).groupby(cid[lack]).sum()
            parts.append(pd.DataFrame({"community_id": g.index, "category": c, "households": g}))
    if not parts:
        return pd.DataFrame(
            {
                "community_id": pd.Series(dtype="string"),
                "category": pd.Series(dtype="string"),
                "households": pd.Series(dtype="int64"),
            }
        )
    out = pd.concat(parts, ignore_index=True)
    out = out[out["households"] > 0]
    out["_o"] = out["community_id"].map(order)
    out = out.sort_values(["_o", "households", "category"], ascending=[True, False, True])
    out = out.drop(columns="_o").reset_index(drop=True)
    out["community_id"] = out["community_id"].astype("string")
    out["category"] = out["category"].astype("string")
    out["households"] = out["households"].astype("int64")
    return out


def lacking_text(lacking: pd.DataFrame, community_ids: pd.Series) -> list[str]:
    """The human-readable ``lacking`` column ("cat: households; …") from :func:`lacking_table`.

    Parameters
    ----------
    lacking
        The long table (``community_id``, ``category``, ``households``), in its order.
    community_ids
        The communities to describe, in the order wanted.

    Returns
    -------
    list of str
        One string per community, ``""`` when nothing is lacking.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"community_id": ["A", "A"], "category": ["pharmacy", "nursery"],
    ...                   "households": [30, 12]})
    >>> lacking_text(t, pd.Series(["A", "B"]))
    ['pharmacy: 30; nursery: 12', '']
    """
    text: dict[str, list[str]] = {}
    for c_id, cat, n in lacking[list(LACKING_COLUMNS)].itertuples(index=False):
        text.setdefault(str(c_id), []).append(f"{cat}: {int(n)}")
    return ["; ".join(text.get(str(c), [])) for c in community_ids]


def _metric(gdf: gpd.GeoDataFrame | gpd.GeoSeries) -> Any:
    if gdf.crs is not None and gdf.crs.is_geographic:
        return gdf.to_crs(gdf.estimate_utm_crs())
    return gdf


def district_boundary(communities: gpd.GeoDataFrame, boundary: Any = None) -> Any:
    """The district's area: ``boundary`` when given, else the union of the communities.

    Parameters
    ----------
    communities
        Community polygons.
    boundary
        A district boundary (GeoDataFrame/GeoSeries, in any CRS, or a shapely
        geometry in the communities' CRS), or None.

    Returns
    -------
    shapely.Geometry
        One (multi)polygon in the communities' CRS.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> c = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=3857)
    >>> district_boundary(c).area
    2.0
    """
    if boundary is None:
        return communities.geometry.union_all()
    if isinstance(boundary, gpd.GeoDataFrame | gpd.GeoSeries):
        b = boundary.to_crs(communities.crs) if boundary.crs is not None else boundary
        return b.geometry.union_all() if isinstance(b, gpd.GeoDataFrame) else b.union_all()
    return boundary


def inside_district(
    facilities: pd.DataFrame, communities: pd.DataFrame, boundary: Any = None
) -> np.ndarray:
    """Which facilities lie inside the district (its boundary, else the communities' union).

    Parameters
    ----------
    facilities
        Facility points; without geometry, a facility is inside when it has a
        ``community_id``.
    communities
        Community polygons (a plain table without geometry is accepted with
        plain facilities).
    boundary
        A district boundary (see :func:`district_boundary`), or None.

    Returns
    -------
    numpy.ndarray
        Boolean per facility (points on the boundary count as inside).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point, box
    >>> c = gpd.GeoDataFrame({"community_id": ["A"]}, geometry=[box(0, 0, 10, 10)], crs=3857)
    >>> f = gpd.GeoDataFrame(geometry=[Point(5, 5), Point(15, 5)], crs=3857)
    >>> inside_district(f, c).tolist(), inside_district(f, c, box(0, 0, 20, 10)).tolist()
    ([True, False], [True, True])
    """
    if not isinstance(facilities, gpd.GeoDataFrame) or not isinstance(
        communities, gpd.GeoDataFrame
    ):
        if boundary is not None:
            raise ValueError("a district boundary needs facilities and communities with geometry")
        return facilities["community_id"].notna().to_numpy()
    area = district_boundary(communities, boundary)
    pts = facilities.geometry
    if facilities.crs is not None and communities.crs is not None:
        pts = pts.to_crs(communities.crs)
    return np.asarray(pts.covered_by(area), dtype=bool)


def district_facility_area(
    communities: pd.DataFrame,
    facilities: pd.DataFrame,
    *,
    boundary: Any = None,
) -> dict[str, Any]:
    """District per-100-household area of comprehensive service facilities, the plans' way.

    Every comprehensive service facility (community- and street-level) inside
    the district counts, including those outside every community.

    Parameters
    ----------
    communities
        ``households`` per community (and geometry for the boundary test).
    facilities
        ``category``, ``floor_area_m2`` and geometry (or ``community_id``).
    boundary
        A district boundary; default the union of the communities.

    Returns
    -------
    dict
        ``area_m2`` (Σ floor area inside), ``households``, ``per_100hh``
        (``area_m2 ÷ households × 100``, NaN without households), ``n_inside``,
        ``n_outside`` (facilities outside the district, not counted),
        ``n_outside_communities`` (inside the district but in no community),
        ``n_no_area`` (inside, without floor area: counted as 0).

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"community_id": ["A"], "households": [200]})
    >>> f = pd.DataFrame({"category": ["community_service_station", "community_service_centre"],
    ...                   "floor_area_m2": [40.0, 20.0], "community_id": ["A", "A"]})
    >>> district_facility_area(c, f)["per_100hh"]
    30.0
    """
    fac = facilities[facilities["category"].notna()]
    cf = fac[facility_levels(fac["category"]).notna().to_numpy()]
    inside = inside_district(cf, communities, boundary)
    area = cf["floor_area_m2"] if "floor_area_m2" in cf else pd.Series(np.nan, index=cf.index)
    area = area.astype("float64")
    total = float(area[inside].fillna(0.0).sum())
    hh = int(communities["households"].sum())
    no_comm = (
        cf["community_id"].isna().to_numpy() if "community_id" in cf else np.zeros(len(cf), bool)
    )
    return {
        "area_m2": total,
        "households": hh,
        "per_100hh": total / hh * 100.0 if hh > 0 else float("nan"),
        "n_inside": int(inside.sum()),
        "n_outside": int((~inside).sum()),
        "n_outside_communities": int((inside & no_comm).sum()),
        "n_no_area": int((inside & area.isna().to_numpy()).sum()),
    }


def street_indicators(communities: pd.DataFrame, facilities: pd.DataFrame) -> pd.DataFrame:
    """Per 街道/乡镇: households, facilities and area per 100 households.

    A street's area is the union of its communities: a facility counts for the
    street of the community it lies in (``community_id``). Street-level centres
    are counted here, never in a community's own area.

    Parameters
    ----------
    communities
        ``community_id``, ``households`` and ``street`` (街道/乡镇 name).
    facilities
        ``category``, ``floor_area_m2``, ``community_id``.

    Returns
    -------
    pandas.DataFrame
        One row per street (first appearance order; communities without a
        street are left out): ``street``, ``communities``, ``households``,
        ``community_level_m2``, ``street_level_m2``, ``facility_m2`` (their sum),
        ``area_per_100hh`` (``facility_m2 ÷ households × 100``), ``n_centres``
        (street-level comprehensive service facilities), and ``n__<category>``
        (facilities per category).

    Raises
    ------
    KeyError
        ``communities`` has no ``street`` column.

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"community_id": ["A", "B"], "households": [100, 300],
    ...                   "street": ["S", "S"]})
    >>> f = pd.DataFrame({"category": ["community_service_station", "community_service_centre"],
    ...                   "floor_area_m2": [40.0, 800.0], "community_id": ["A", "B"]})
    >>> r = street_indicators(c, f).iloc[0]
    >>> r["street"], float(r["area_per_100hh"]), int(r["n_centres"])
    ('S', 210.0, 1)
    """
    if "street" not in communities:
        raise InputError(
            "communities have no 'street' (街道/乡镇) column", source="communities", column="street"
        )
    comm = communities[communities["street"].notna()]
    street_of = dict(
        zip(comm["community_id"].astype("string"), comm["street"].astype("string"), strict=True)
    )
    fac = facilities[facilities["category"].notna() & facilities["community_id"].notna()]
    fstreet = fac["community_id"].astype("string").map(street_of)
    level = facility_levels(fac["category"])
    area = (
        fac["floor_area_m2"].astype("float64").fillna(0.0)
        if "floor_area_m2" in fac
        else pd.Series(0.0, index=fac.index)
    )
    streets = pd.unique(comm["street"].astype("string"))
    out = pd.DataFrame({"street": pd.array(streets, dtype="string")})
    g = comm.groupby(comm["street"].astype("string"))
    out["communities"] = g.size().reindex(streets).to_numpy()
    out["households"] = g["households"].sum().reindex(streets).astype("int64").to_numpy()
    for lvl in ("community", "street"):
        m = (level == lvl).fillna(False).to_numpy()
        per = area[m].groupby(fstreet[m]).sum().reindex(streets).fillna(0.0)
        out[f"{lvl}_level_m2"] = per.to_numpy()
    out["facility_m2"] = out["community_level_m2"] + out["street_level_m2"]
    hh = out["households"].astype("float64")
    out["area_per_100hh"] = (out["facility_m2"] / hh * 100.0).where(hh > 0)
    centre = (level == "street").fillna(False).to_numpy()
    out["n_centres"] = fstreet[centre].value_counts().reindex(streets, fill_value=0).to_numpy()
    for cat in sorted(fac["category"].unique()):
        m = (fac["category"] == cat).to_numpy()
        out[f"n__{cat}"] = fstreet[m].value_counts().reindex(streets, fill_value=0).to_numpy()
    return out
