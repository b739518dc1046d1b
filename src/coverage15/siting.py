"""Where to build: new facility sites that close the coverage gap of a category.

From an :class:`~coverage15.analysis.Analysis`, for one category:

* **maximal covering** (MCLP): choose ``k`` new sites that bring the most
  currently *underserved* households within the category's walking threshold;
* **set covering**: the fewest sites that bring the share of households covered
  to a target (e.g. 1.0 for an urban district).

Coverage is the engine's: a candidate covers a home when the walk from the home
to the candidate, legs included, is within the threshold
(:meth:`~coverage15.access.WalkNetwork.catchment_pairs`), kept as a sparse
candidates × homes matrix, never dense.

Solvers
-------
greedy (default)
    Repeatedly take the candidate that newly covers the most households. For
    MCLP this is within a factor ``1 - 1/e ≈ 0.632`` of the optimum (Nemhauser,
    Wolsey & Fisher 1978; the objective is monotone submodular); for set
    covering it uses at most ``H(m) ≤ 1 + ln m`` times the fewest sites, ``m``
    the largest number of homes one candidate covers (Chvátal 1979).
exact (``exact=True``, MCLP only)
    PySAL spopt's ``MCLP`` solved with CBC (via PuLP, ``pulp[cbc]``). Homes that the same set
    of candidates covers are merged into one demand point first, so its cost
    matrix is (distinct coverage sets × candidates), far smaller than homes ×
    candidates.

Examples
--------
>>> from coverage15.datasets import sample_analysis
>>> result = sample_analysis("leshan_2018")  # analyze() on the bundled sample
>>> plan = recommend_sites(result, "health_station", k=3)
>>> len(plan.sites), plan.after_share > plan.before_share
(3, True)
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.spatial import cKDTree

from coverage15._errors import InputError

if TYPE_CHECKING:
    from coverage15._types import AnalysisLike

__all__ = ["SitingResult", "greedy_cover", "recommend_sites"]


@dataclass
class SitingResult:
    """New sites for one category and the coverage they bring.

    :func:`recommend_sites` builds it; the parameters are kept as attributes of the same
    names.

    Parameters
    ----------
    category, threshold_m
        The category key and its walking threshold in metres (walking-network
        distance from a home to the site).
    sites
        Chosen sites in order: ``rank``, ``candidate``, ``new_households`` (newly
        covered by this site, given the ones before it), ``cumulative_households``,
        ``cumulative_share`` (of all households), ``geometry``.
    communities
        Per community: ``households``, ``hh_covered_before``, ``hh_covered_after``,
        ``share_before``, ``share_after``, and for community comprehensive
        service facilities ``area_m2_needed`` to reach the per-100-household
        standard.
    before_share, after_share
        District share of households covered before and after (fractions 0–1).
    solver
        ``"greedy"`` or ``"spopt-mclp"``.
    covered_homes
        Home positions newly covered (integer positions into ``analysis.homes``).

    Examples
    --------
    >>> from coverage15.datasets import sample_analysis
    >>> plan = recommend_sites(sample_analysis("leshan_2018"), "outdoor_fitness", k=2)
    >>> plan.solver, len(plan.sites), bool(plan.after_share > plan.before_share)
    ('greedy', 2, True)
    """

    category: str
    threshold_m: float
    sites: gpd.GeoDataFrame
    communities: pd.DataFrame
    before_share: float
    after_share: float
    solver: str
    covered_homes: np.ndarray

    def to_table(self, lang: str = "zh") -> pd.DataFrame:
        """The chosen sites as a hand-over table with Chinese or English headers.

        Parameters
        ----------
        lang
            ``"zh"`` (default) for Chinese headers; anything else for English.

        Returns
        -------
        pandas.DataFrame
            One row per site, in rank order, without geometry: the columns of
            :attr:`sites` plus ``x``/``y`` (the sites' CRS, rounded to 0.1) and,
            when the CRS is known, longitude/latitude in WGS84 (6 decimals),
            all under translated headers.

        Examples
        --------
        >>> import geopandas as gpd, shapely
        >>> s = gpd.GeoDataFrame({"rank": [1], "candidate": ["n7"], "new_households": [120],
        ...     "cumulative_households": [900], "cumulative_share": [0.9]},
        ...     geometry=[shapely.Point(500000, 3270000)], crs="EPSG:32648")
        >>> r = SitingResult("pharmacy", 480.0, s, pd.DataFrame(), 0.8, 0.9, "greedy",
        ...                  np.array([]))
        >>> r.to_table("en").columns.tolist()[:3]
        ['rank', 'candidate site', 'households newly covered']
        """
        heads = {
            "rank": ("序号", "rank"),
            "candidate": ("候选点", "candidate site"),
            "new_households": ("新增覆盖户数", "households newly covered"),
            "cumulative_households": ("累计覆盖户数", "households covered (cumulative)"),
            "cumulative_share": ("累计覆盖率", "share covered (cumulative)"),
            "x": ("X坐标", "x"),
            "y": ("Y坐标", "y"),
            "lon": ("经度", "longitude"),
            "lat": ("纬度", "latitude"),
        }
        i = 0 if lang == "zh" else 1
        t = pd.DataFrame(self.sites.drop(columns="geometry"))
        t["x"], t["y"] = self.sites.geometry.x.round(1), self.sites.geometry.y.round(1)
        if self.sites.crs is not None and len(self.sites):
            wgs = self.sites.to_crs(4326).geometry
            t["lon"], t["lat"] = wgs.x.round(6), wgs.y.round(6)
        return t.rename(columns={k: v[i] for k, v in heads.items()})

    def plot(
        self, ax: Any = None, *, lang: str = "zh", analysis: AnalysisLike | None = None
    ) -> Any:
        """Map of the chosen sites over the communities and the homes they newly cover.

        Parameters
        ----------
        ax
            The matplotlib axes to draw on (default: a new 8 × 8 inch figure).
        lang
            ``"zh"`` (default) or ``"en"`` for the title and legend; Chinese falls
            back to English when no font with Chinese glyphs is installed.
        analysis
            The :class:`~coverage15.analysis.Analysis` the sites were chosen for:
            with it, the communities, the homes (covered before, newly covered,
            still not covered) and the existing facilities of the category are
            drawn under the sites; without it, the sites only.

        Returns
        -------
        matplotlib.axes.Axes
            The axes drawn on.

        Examples
        --------
        >>> import geopandas as gpd, shapely
        >>> from coverage15.maps import offscreen
        >>> s = gpd.GeoDataFrame({"rank": [1], "candidate": ["n7"], "new_households": [120],
        ...     "cumulative_households": [900], "cumulative_share": [0.9]},
        ...     geometry=[shapely.Point(0, 0)], crs="EPSG:32648")
        >>> r = SitingResult("pharmacy", 480.0, s, pd.DataFrame(), 0.8, 0.9, "greedy",
        ...                  np.array([]))
        >>> with offscreen():
        ...     ax = r.plot(lang="en")
        >>> ax.get_title()
        'New sites: Pharmacy (≤ 480 m), coverage 80.0% → 90.0%'
        """
        import matplotlib.pyplot as plt
        from matplotlib.text import Text

        from coverage15._fonts import font_families, resolve_lang
        from coverage15.labels import category_label

        lang = resolve_lang(lang)
        if ax is None:
            _, ax = plt.subplots(figsize=(8, 8))
        from coverage15.styles import SITING_COLORS as col

        if analysis is not None:
            from coverage15.maps import draw_streets

            analysis.communities.plot(ax=ax, facecolor="#f7f7f7", edgecolor="#777", lw=0.6)
            homes = analysis.homes
            draw_streets(ax, getattr(analysis, "network", None), homes.crs, zorder=1.5)
            dist = homes[f"dist_m__{self.category}"].to_numpy(dtype=float)
            before = dist <= self.threshold_m
            new = np.zeros(len(homes), dtype=bool)
            new[self.covered_homes] = True
            # colour-blind safe: grey / orange / blue differ in lightness as well as hue
            homes[before].plot(
                ax=ax, color=col["before"], markersize=2, label=_t("before", lang), zorder=2
            )
            homes[~before & ~new].plot(
                ax=ax, color=col["still"], markersize=4, label=_t("still", lang), zorder=3
            )
            fac = analysis.facilities
            fac = fac[fac["category"] == self.category].to_crs(homes.crs)
            if len(fac):
                fac.plot(
                    ax=ax,
                    color="#4d4d4d",
                    marker="P",
                    markersize=60,
                    edgecolor="white",
                    linewidth=0.5,
                    label=_t("existing", lang),
                    zorder=4,
                )
            if len(self.covered_homes):
                homes.iloc[self.covered_homes].plot(
                    ax=ax, color=col["new"], markersize=5, label=_t("new", lang), zorder=3
                )
        self.sites.plot(
            ax=ax,
            color=col["site"],
            marker="*",
            markersize=240,
            edgecolor="white",
            linewidth=0.8,
            zorder=5,
            label=_t("sites", lang),
        )
        for _, s in self.sites.iterrows():
            ax.annotate(
                str(s["rank"]),
                (s.geometry.x, s.geometry.y),
                xytext=(6, 6),
                textcoords="offset points",
                fontsize=11,
                weight="bold",
            )
        name = category_label(self.category, lang)
        ax.set_title(
            (
                f"新增{name}选址（≤ {self.threshold_m:.0f} 米），覆盖率 "
                if lang == "zh"
                else f"New sites: {name} (≤ {self.threshold_m:.0f} m), coverage "
            )
            + f"{self.before_share:.1%} → {self.after_share:.1%}"
        )
        ax.set_axis_off()
        if analysis is not None:  # below the map, never over it
            ax.legend(
                loc="upper center",
                bbox_to_anchor=(0.5, 0.0),
                ncol=2,
                frameon=False,
                markerscale=1.5,
            )
        families = font_families(lang)
        for t in ax.figure.findobj(Text):
            t.set_fontfamily(families)
        return ax


def _t(key: str, lang: str) -> str:
    text = {
        "before": ("已覆盖的住户点", "homes covered already"),
        "still": ("仍未覆盖的住户点", "homes still not covered"),
        "existing": ("现有设施", "existing facilities"),
        "new": ("新增覆盖的住户点", "homes newly covered"),
        "sites": ("建议新增设施（序号为优先次序）", "proposed sites (numbered by priority)"),
    }[key]
    return text[0] if lang == "zh" else text[1]


def greedy_cover(
    cover: sparse.csr_array,
    weights: np.ndarray,
    *,
    k: int | None = None,
    target: float | None = None,
) -> list[int]:
    """Greedy maximal covering (``k`` picks) or set covering (up to ``target`` weight).

    Parameters
    ----------
    cover
        Sparse boolean candidates × demand matrix (True: the candidate covers it).
    weights
        Demand weights (households).
    k
        Number of candidates to choose (MCLP). Stops early when no candidate adds
        anything.
    target
        Weight to reach (set covering); stops when reached or nothing more can be
        covered.

    Returns
    -------
    list of int
        Chosen candidate rows, in the order taken; ties go to the lowest row.

    Examples
    --------
    Three candidates over four homes of weight 1, 1, 1, 5:

    >>> A = sparse.csr_array(np.array([[1, 1, 1, 0], [0, 0, 1, 1], [1, 0, 0, 0]], bool))
    >>> greedy_cover(A, np.array([1, 1, 1, 5.0]), k=1)  # 6 beats 3
    [1]
    >>> greedy_cover(A, np.array([1, 1, 1, 5.0]), target=8)
    [1, 0]
    """
    if (k is None) == (target is None):
        raise InputError("give exactly one of k= (sites to place) and target= (weight to reach)")
    A = sparse.csr_array(cover, dtype=np.float64)
    left = np.asarray(weights, dtype=np.float64).copy()
    chosen: list[int] = []
    got = 0.0
    while True:
        if k is not None and len(chosen) >= k:
            break
        if target is not None and got >= target - 1e-9:
            break
        gains = A @ left
        best = int(np.argmax(gains)) if len(gains) else -1
        if best < 0 or gains[best] <= 0:
            break
        chosen.append(best)
        got += float(gains[best])
        row = A.indices[A.indptr[best] : A.indptr[best + 1]]
        left[row] = 0.0
    return chosen


def _candidate_points(
    analysis: AnalysisLike, candidates: Any, underserved_xy: np.ndarray, threshold: float
) -> gpd.GeoDataFrame:
    net = analysis.network
    crs = net.crs
    parts = []
    if isinstance(candidates, str) and candidates not in {"nodes", "both"}:
        raise InputError(
            f"candidates must be 'nodes', 'both' or a GeoDataFrame, got {candidates!r}"
        )
    if isinstance(candidates, str):
        xy = np.column_stack([net.node_x, net.node_y])
        # straight-line distance never exceeds the walk: nodes farther than the
        # threshold from every underserved home cannot cover any of them
        near = cKDTree(underserved_xy).query(xy, distance_upper_bound=threshold)[0]
        keep = np.isfinite(near)
        parts.append(
            gpd.GeoDataFrame(
                {"candidate": [f"node {n}" for n in net.node_ids[keep]]},
                geometry=shapely.points(xy[keep]),
                crs=crs,
            )
        )
    user = candidates if isinstance(candidates, gpd.GeoDataFrame) else None
    if isinstance(candidates, str) and candidates == "both":
        raise InputError("candidates='both' needs parcels=...: pass the parcel layer")
    if user is not None:
        if user.crs is None:
            raise InputError("the candidate layer has no CRS", source="candidates")
        u = user.to_crs(crs)
        label = u["name"].astype(str) if "name" in u else pd.Series(u.index.astype(str))
        parts.append(
            gpd.GeoDataFrame(
                {"candidate": label.to_numpy()},
                geometry=u.geometry.representative_point().to_numpy(),
                crs=crs,
            )
        )
    out = pd.concat(parts, ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=crs)


def recommend_sites(
    analysis: AnalysisLike,
    category: str,
    *,
    k: int | None = None,
    target_share: float | None = None,
    candidates: str | gpd.GeoDataFrame = "nodes",
    parcels: gpd.GeoDataFrame | None = None,
    exact: bool = False,
    group: str | None = None,
) -> SitingResult:
    """Choose new sites for ``category`` that cover the households it leaves underserved.

    Parameters
    ----------
    analysis
        From :func:`coverage15.analyze`.
    category
        Category key (e.g. ``"health_station"``).
    k
        Maximal covering: place this many sites.
    target_share
        Set covering: place the fewest sites that bring the district's share of
        households covered for this category to at least this (0–1).
    candidates
        ``"nodes"`` (street junctions within reach of an underserved home), a
        GeoDataFrame of available parcels or vacant buildings (points or
        polygons), or ``"both"`` with ``parcels=``.
    parcels
        The parcel layer for ``candidates="both"``.
    exact
        Solve MCLP exactly with PySAL spopt + CBC (needs ``k``).
    group
        Walking group for the threshold (default: the analysis's).

    Returns
    -------
    SitingResult

    Examples
    --------
    >>> from coverage15.datasets import sample_analysis
    >>> plan = recommend_sites(sample_analysis("leshan_2018"), "health_station", target_share=0.5)
    >>> plan.after_share >= 0.5, plan.sites["rank"].tolist()[:2]
    (True, [1, 2])
    """
    if (k is None) == (target_share is None):
        raise InputError("give exactly one of k= and target_share=")
    if k is not None and k < 1:
        raise InputError(f"k must be at least 1, got {k}")
    if target_share is not None and not 0 < target_share <= 1:
        raise InputError(f"target_share must be in (0, 1], got {target_share}")
    if exact and k is None:
        raise InputError("exact=True solves the maximal covering model: give k=")
    profile = analysis.profile
    group = group or analysis.group
    if category not in profile.categories:
        raise InputError(
            f"category '{category}' is not in profile {profile.key}; "
            f"its categories are {sorted(profile.categories)}"
        )
    threshold = float(profile.threshold_m(category, group))
    homes = analysis.homes
    hh = homes["households"].to_numpy(dtype=np.float64)
    dist = homes.get(f"dist_m__{category}")
    if dist is None:
        raise InputError(f"the analysis has no distances for '{category}'")
    covered = np.asarray(dist.to_numpy(dtype=np.float64) <= threshold)
    snapped = homes["snapped"].to_numpy(dtype=bool)
    under = np.flatnonzero(~covered & snapped)
    total = float(hh.sum())
    before = float(hh[covered].sum())
    if candidates == "both":
        if parcels is None:
            raise InputError("candidates='both' needs parcels=")
        cand = pd.concat(
            [
                _candidate_points(analysis, "nodes", _xy(homes, under), threshold),
                _candidate_points(analysis, parcels, _xy(homes, under), threshold),
            ],
            ignore_index=True,
        )
        cand = gpd.GeoDataFrame(cand, geometry="geometry", crs=analysis.network.crs)
    elif len(under):
        cand = _candidate_points(analysis, candidates, _xy(homes, under), threshold)
    else:
        cand = gpd.GeoDataFrame({"candidate": []}, geometry=[], crs=analysis.network.crs)
    if len(under) and len(cand):
        pairs = analysis.network.catchment_pairs(
            homes.geometry.iloc[under].reset_index(drop=True),
            cand.geometry,
            max_distance_m=threshold,
        )
        A = sparse.csr_array(
            (
                np.ones(len(pairs), dtype=bool),
                (pairs["facility"].to_numpy(), pairs["home"].to_numpy()),
            ),
            shape=(len(cand), len(under)),
        )
    else:
        A = sparse.csr_array((len(cand), len(under)), dtype=bool)
    w = hh[under]
    if exact and k is not None:  # exact=True without k was refused above
        chosen = _spopt_mclp(A, w, k)
        solver = "spopt-mclp"
    else:
        target = None if target_share is None else max(target_share * total - before, 0.0)
        chosen = greedy_cover(A, w, k=k, target=target)
        solver = "greedy"
    # households newly covered, site by site, in the order chosen
    left = np.ones(len(under), dtype=bool)
    new, newly = [], []
    for c in chosen:
        row = A.indices[A.indptr[c] : A.indptr[c + 1]]
        fresh = row[left[row]]
        left[fresh] = False
        new.append(float(w[fresh].sum()))
        newly.append(under[fresh])
    covered_homes = np.sort(np.concatenate(newly)) if newly else np.array([], dtype=np.int64)
    cum = before + np.cumsum(new) if new else np.array([])
    sites = gpd.GeoDataFrame(
        {
            "rank": np.arange(1, len(chosen) + 1),
            "candidate": cand["candidate"].to_numpy()[chosen] if chosen else [],
            "new_households": np.round(new).astype(np.int64),
            "cumulative_households": np.round(cum).astype(np.int64),
            "cumulative_share": cum / total if total else cum,
        },
        geometry=cand.geometry.to_numpy()[chosen] if chosen else [],
        crs=analysis.network.crs,
    )
    after_cov = covered.copy()
    after_cov[covered_homes] = True
    comm = _community_effect(analysis, category, covered, after_cov)
    return SitingResult(
        category=category,
        threshold_m=threshold,
        sites=sites,
        communities=comm,
        before_share=before / total if total else 0.0,
        after_share=float(hh[after_cov].sum()) / total if total else 0.0,
        solver=solver,
        covered_homes=covered_homes,
    )


def _xy(homes: gpd.GeoDataFrame, idx: np.ndarray) -> np.ndarray:
    g = homes.geometry.iloc[idx]
    return np.column_stack([g.x.to_numpy(), g.y.to_numpy()])


def _community_effect(
    analysis: AnalysisLike, category: str, before: np.ndarray, after: np.ndarray
) -> pd.DataFrame:
    homes = analysis.homes
    hh = homes["households"].to_numpy(dtype=np.float64)
    t = (
        pd.DataFrame(
            {
                "community_id": homes["community_id"].to_numpy(),
                "hh_covered_before": np.where(before, hh, 0.0),
                "hh_covered_after": np.where(after, hh, 0.0),
            }
        )
        .groupby("community_id", sort=False)[["hh_covered_before", "hh_covered_after"]]
        .sum()
    )
    c = analysis.communities.set_index("community_id")
    out = pd.DataFrame({"name": c.get("name"), "households": c["households"]})
    out = out.join(t).fillna({"hh_covered_before": 0.0, "hh_covered_after": 0.0})
    out["share_before"] = out["hh_covered_before"] / out["households"].where(out["households"] > 0)
    out["share_after"] = out["hh_covered_after"] / out["households"].where(out["households"] > 0)
    from coverage15.standards import category_catalogue

    cat = category_catalogue().get(category)
    if cat is not None and cat.community_facility and "area_target_per_100hh" in c:
        need = c["area_target_per_100hh"] * c["households"] / 100.0 - c["community_facility_m2"]
        out["area_m2_needed"] = need.clip(lower=0).round(1)
    return out.reset_index()


def _cbc_solver() -> Any:
    """CBC through PuLP: the ``cbcbox`` binary of ``pulp[cbc]``, else PuLP's bundled one."""
    import pulp

    try:
        import cbcbox
    except ImportError:  # older PuLP installs: the bundled CBC (deprecated in PuLP 3.3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return pulp.PULP_CBC_CMD(msg=False)
    return pulp.COIN_CMD(msg=False, path=cbcbox.cbc_bin_path())


def _spopt_mclp(A: sparse.csr_array, w: np.ndarray, k: int) -> list[int]:
    """Exact MCLP with spopt on demand groups (homes with the same covering candidates)."""
    from spopt.locate import MCLP

    n_cand, n_home = A.shape
    if n_cand == 0 or n_home == 0:
        return []
    cols = sparse.csc_array(A)
    keys = [tuple(cols.indices[cols.indptr[j] : cols.indptr[j + 1]]) for j in range(n_home)]
    groups: dict[tuple[int, ...], float] = {}
    for key, weight in zip(keys, w, strict=True):
        if key:  # homes no candidate reaches cannot be covered
            groups[key] = groups.get(key, 0.0) + float(weight)
    if not groups:
        return []
    cost = np.full((len(groups), n_cand), 2.0)
    for g, key in enumerate(groups):
        cost[g, list(key)] = 0.0
    model = MCLP.from_cost_matrix(
        cost, np.array(list(groups.values())), service_radius=1.0, p_facilities=min(k, n_cand)
    )
    model = model.solve(_cbc_solver(), results=False)
    chosen = [j for j, var in enumerate(model.fac_vars) if (var.value() or 0) > 0.5]
    # order like greedy: biggest new gain first
    order: list[int] = []
    left = w.copy()
    rest = set(chosen)
    while rest:
        gains = {j: float(left[A.indices[A.indptr[j] : A.indptr[j + 1]]].sum()) for j in rest}
        j = min(rest, key=lambda x: (-gains[x], x))
        order.append(j)
        left[A.indices[A.indptr[j] : A.indptr[j + 1]]] = 0.0
        rest.remove(j)
    return order
