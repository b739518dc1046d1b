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
* area per 100 households: Σ floor area of community comprehensive service
  facilities (社区综合服务设施) inside the community ÷ households × 100.
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

import numpy as np
import pandas as pd

from coverage15._errors import Coverage15Error
from coverage15.standards import TIER_ORDER, Profile, category_catalogue

DIST = "dist_m__"


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
    for tier in sorted(profile.tiers, key=TIER_ORDER.get):
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
        ``lacking`` ("category: households; …"), ``hh_met__<tier>``,
        ``community_facility_m2``, ``area_per_100hh``, ``area_target_per_100hh``,
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
    total = out["hh_covered_all"] + out["hh_underserved"] + out["hh_off_network"]
    bad = out[total != out["households"]]
    if len(bad):
        row = bad.iloc[0]
        raise Coverage15Error(
            f"households not conserved in community {row['community_id']}: "
            f"{row['households']} in the input, {total[bad.index[0]]} covered + underserved "
            "+ off-network"
        )
    under = status == "underserved"
    lacking = []
    for c_id in out["community_id"]:
        mask = under & (cid == c_id)
        parts = []
        for c in req:
            n = int(hh[mask & ~home_ind[f"covered__{c}"]].sum())
            if n:
                parts.append((n, c))
        parts.sort(key=lambda t: (-t[0], t[1]))
        lacking.append("; ".join(f"{c}: {n}" for n, c in parts))
    out["lacking"] = lacking
    for tier in sorted(profile.tiers, key=TIER_ORDER.get):
        out[f"hh_met__{tier}"] = per_comm(
            hh.where(home_ind[f"met__{tier}"] & (status != "off_network"), 0)
        )
    # ---- floor area of community comprehensive service facilities (社区综合服务设施)
    catalogue = category_catalogue()
    fac = facilities[facilities["category"].notna()]
    is_cf = fac["category"].map(
        lambda k: catalogue[k].community_facility if k in catalogue else False
    )
    cf = fac[is_cf.astype(bool)]
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
          communities with a community comprehensive service facility inside;
        * ``share_communities_area_pass`` — share of communities meeting the
          per-100-household area (against ``area_compliance_rate`` when the
          profile sets it);
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
    for tier in sorted(profile.tiers, key=TIER_ORDER.get):
        col = f"hh_met__{tier}"
        add(
            f"share_households_met__{tier}",
            comm_ind[col].sum() / hh_total if hh_total else np.nan,
            "share of households",
        )
    for k in ("urban", "rural"):
        sel = kind == k
        if sel.any():
            add(
                f"coverage_{k}",
                comm_ind["has_community_facility"].to_numpy()[sel].mean(),
                f"share of {k} communities",
                f"coverage_{k}",
            )
    if profile.target("area_per_100_households_m2"):
        add(
            "share_communities_area_pass",
            comm_ind["area_pass"].astype(float).mean(),
            "share of communities",
            "area_compliance_rate",
        )
        add(
            "area_per_100hh",
            comm_ind["community_facility_m2"].sum() / hh_total * 100.0 if hh_total else np.nan,
            "m² per 100 households",
            "area_per_100_households_m2",
        )
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
