"""One call that runs the whole analysis for a planner: :func:`analyze`.

load (already done by the caller) → network → homes → snap → access →
indicators, returning an :class:`Analysis` with ``.homes``, ``.communities``,
``.district`` and ``.worst``.

Examples
--------
>>> import coverage15 as c15
>>> from coverage15.datasets import sample_path
>>> result = c15.analyze(
...     c15.load_communities(sample_path("communities.geojson")),
...     c15.load_facilities(sample_path("facilities.geojson")),
...     network=sample_path("walk_network.osm"),
...     buildings=c15.load_buildings(sample_path("buildings.geojson")),
...     profile="gb50180_2018",
... )
>>> int(result.homes["households"].sum()) == int(result.communities["households"].sum())
True
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from coverage15._errors import (
    InputError,
    MissingCategoryWarning,
    OffsetWarning,
)
from coverage15._progress import want_progress
from coverage15.access import WalkNetwork
from coverage15.homes import homes_from_buildings
from coverage15.indicators import (
    community_indicators,
    district_indicators,
    home_indicators,
    lacking_table,
    two_step_fca,
    worst_communities,
)
from coverage15.io import assign_communities
from coverage15.prepare import prepare_network
from coverage15.standards import Profile, category_catalogue, load_profile
from coverage15.targets import build_targets
from coverage15.validation import (
    ValidationReport,
    check_conservation,
    check_required_categories,
    record_unreached,
)


@dataclass(repr=False)
class Analysis:
    """Results of :func:`analyze`; every table has stable, documented column names.

    :func:`analyze` builds it; the parameters are kept as attributes of the same names.

    Parameters
    ----------
    profile
        The :class:`~coverage15.standards.Profile` (planning standard) analysed against.
    group
        The population group whose walking speed was used: ``"general"`` or
        ``"slow"`` (elderly and young children).
    homes
        One row per home: ``home_id``, ``community_id``, ``households``,
        ``dist_m__<cat>``, ``time_min__<cat>``, ``facility__<cat>``,
        ``covered__<cat>``, ``completeness``, ``missing``, ``met__<tier>``,
        ``status``; point geometry.
    communities
        The input communities with the indicators of
        :func:`coverage15.indicators.community_indicators`.
    district
        District summary rows (indicator, value, target, passed, unit, source,
        confidence).
    worst
        The communities with the lowest full coverage.
    facilities
        Facilities used, with ``community_id``.
    network
        The :class:`~coverage15.access.WalkNetwork` the walking distances were
        measured on (with its cached snaps).
    report
        The :class:`~coverage15.validation.ValidationReport` of the loaders and of
        the analysis (off-network homes, coordinate offsets ...); empty by default.
    network_record
        How the network was built (``graph.graph["coverage15"]``: source, kind,
        ``osm_data``, cache files ...) plus ``walk_cost``; empty (``{}``) for a
        network passed in prepared.
    inputs
        Resolved paths of the files the analysis read; writers refuse to
        overwrite them. Empty by default.
    targets
        Every target of the profile, one row each
        (:func:`coverage15.targets.build_targets`): ``key``, ``label_zh``,
        ``label_en``, ``target``, ``value``, ``unit``, ``met``, ``confidence``,
        ``source``, ``reason``, ``note``. Empty by default.
    lacking
        Households lacking each category per community, long
        (:func:`coverage15.indicators.lacking_table`): ``community_id``,
        ``category``, ``households``. Empty by default.

    Examples
    --------
    >>> from coverage15.datasets import sample_analysis
    >>> a = sample_analysis("leshan_2018")
    >>> a.profile.key, a.group, int(a.homes["households"].sum())
    ('leshan_2018', 'general', 25720)
    """

    profile: Profile
    group: str
    homes: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame
    district: pd.DataFrame
    worst: pd.DataFrame
    facilities: gpd.GeoDataFrame
    network: WalkNetwork
    report: ValidationReport = field(default_factory=ValidationReport)
    network_record: dict[str, Any] = field(default_factory=dict)
    inputs: list[str] = field(default_factory=list)
    targets: pd.DataFrame = field(default_factory=pd.DataFrame)
    lacking: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def osm(self) -> bool:
        """Whether the walking network is OpenStreetMap data (maps then carry the ODbL line).

        True unless the network's build record says otherwise (road lines of the
        planner's own, the synthetic sample); a network passed in prepared has no
        record and is taken as OSM, since a missing attribution breaks the ODbL.
        """
        return bool(self.network_record.get("osm_data", True))

    def summary(self, lang: str = "en") -> str:
        """A short text summary: every target of the profile, computed or explained.

        Built from :attr:`targets` (:func:`coverage15.report.summary_text`), with
        the households dropped on load and the contrast between tiers, if any.

        Parameters
        ----------
        lang
            ``"zh"`` for Chinese; anything else, by default ``"en"``, for English.

        Returns
        -------
        str
            One line naming the profile, then one line per target with its value
            and, where the plan sets one, the target, its confidence and
            pass/FAIL (an unverified [R] target is marked so, never as confirmed).

        Examples
        --------
        >>> from coverage15.datasets import sample_analysis
        >>> print(sample_analysis("leshan_2018").summary("en"))  # doctest: +ELLIPSIS
        Profile: Leshan ... [leshan_2018]
          Urban communities with a community service facility ... [C1]: pass
        ...
        """
        from coverage15.labels import category_label, text
        from coverage15.report import summary_text
        from coverage15.targets import tier_explanation, tier_shares

        lines = [summary_text(self, lang)]
        explained = tier_explanation(tier_shares(self.homes, self.profile))
        if explained is not None:
            lines.append("  " + explained[0 if lang == "zh" else 1])
        recorded = {  # by analyze, through validation.check_required_categories
            c
            for f in self.report.findings
            if f.kind == "category_without_facilities"
            for c in f.rows
        }
        none = [c for c in self.profile.required_categories if c in recorded]
        if none:
            names = "、".join(category_label(c, lang) for c in none)
            lines.append("  " + text("summary_missing_categories", lang, categories=names))
        dropped = self.report.households("dropped")
        if dropped:
            lines.append(
                "  " + text("summary_dropped_households", lang, households=f"{dropped:,.0f}")
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        from coverage15.labels import analysis_repr

        return analysis_repr(self)

    def _repr_html_(self) -> str:
        from coverage15.labels import analysis_html

        return analysis_html(self)


#: ``analyze`` searches this many times the profile's longest walk, so that
#: ``dist_m__*`` also holds the walks that miss a standard by up to half of it
#: (maps show "up to 1.5× the standard"); coverage still compares each walk
#: with its category's own threshold.
SEARCH_FACTOR = 1.5

#: network edits ``analyze`` used to take; now options of :func:`prepare_network`
_NETWORK_EDITS = ("dem", "walk_cost", "barriers", "compounds", "gates")


def _network(network: Any, progress: bool, edits: dict[str, Any]) -> WalkNetwork:
    """The prepared network ``analyze`` runs on (deprecated edit keywords applied)."""
    unknown = sorted(set(edits) - set(_NETWORK_EDITS))
    if unknown:
        raise TypeError(f"analyze() got unexpected keyword argument(s) {unknown}")
    if edits:
        names = ", ".join(f"{k}=" for k in edits)
        warnings.warn(
            f"analyze({names}) is deprecated and will be removed in the next release: prepare "
            f"the network first, net = coverage15.prepare_network(source, {names}...), then "
            "analyze(..., network=net)",
            FutureWarning,
            stacklevel=3,
        )
    if isinstance(network, WalkNetwork):
        if edits:
            raise InputError(
                f"{', '.join(edits)} need a network source or graph, not a prepared "
                "WalkNetwork: pass them to coverage15.prepare_network(source, ...)"
            )
        return network
    return prepare_network(network, progress=progress, **edits)


def _check_inputs(communities: Any, facilities: Any) -> gpd.GeoDataFrame:
    """Refuse frames that did not come through the loaders, naming the loader to use.

    Returns the facilities with a ``floor_area_m2`` column (NaN when absent).
    """
    needs = {
        "communities": (communities, ("community_id", "households"), "load_communities"),
        "facilities": (facilities, ("facility_id", "category"), "load_facilities"),
    }
    for name, (frame, columns, loader) in needs.items():
        if not isinstance(frame, gpd.GeoDataFrame):
            raise InputError(
                f"{name} must be a GeoDataFrame from coverage15.{loader}(...), got "
                f"{type(frame).__name__}",
                source=name,
            )
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise InputError(
                f"{name} lack the normalised column(s) {missing}; load them with "
                f"coverage15.{loader}(path, ...), which maps your column names (e.g. 户数, "
                "类别) onto these and checks every row",
                source=name,
                column=missing[0],
            )
        if frame.crs is None:
            raise InputError(
                f"{name} have no CRS; load them with coverage15.{loader}(path, crs=...)",
                source=name,
            )
    if len(communities) == 0:
        raise InputError("no communities to analyse", source="communities")
    if "floor_area_m2" not in facilities.columns:
        facilities = facilities.assign(floor_area_m2=np.nan)
    return facilities


def check_offset(
    facilities: gpd.GeoDataFrame,
    net: WalkNetwork,
    record: dict[str, Any],
    report: ValidationReport,
) -> dict[str, Any] | None:
    """Warn when facilities look like GCJ-02/BD-09 data declared as WGS84.

    Only against a network drawn from WGS84 map data (OSM files or downloads),
    never against the planner's own road lines, which may carry the same
    offset. Uses :func:`coverage15.crs.detect_offset`; a conclusive finding is
    flagged in the report and warned with :class:`OffsetWarning` (the numbers
    are still computed: a 300–500 m shift is a planner's call to fix, with
    ``load_facilities(..., crs="gcj02")``).

    Parameters
    ----------
    facilities
        Facility points in the network's CRS (with ``facility_id``, used to name
        them in the report; the index otherwise).
    net
        The walking network they are checked against.
    record
        The network's build record (``graph.graph["coverage15"]``); its ``kind``
        tells whether the network comes from WGS84 map data (``"osm"``,
        ``"place"``, ``"polygon"``, ``"bbox"``).
    report
        Findings are added here: ``coordinate_offset`` (flagged) when conclusive.

    Returns
    -------
    dict or None
        The result of :func:`coverage15.crs.detect_offset` (``likely``,
        ``conclusive``, medians in metres ...), or None when the check does not
        apply: the network is not WGS84 map data, or there are fewer than 10
        facilities.

    Warns
    -----
    OffsetWarning
        When the facilities conclusively look shifted.

    Examples
    --------
    >>> import coverage15 as c15
    >>> from coverage15.datasets import sample_path
    >>> from coverage15.access import WalkNetwork
    >>> G = c15.build_walk_network(sample_path("walk_network.osm"))
    >>> fac = c15.load_facilities(sample_path("facilities.geojson"))
    >>> rep = ValidationReport()
    >>> check_offset(fac, WalkNetwork.from_graph(G), G.graph["coverage15"], rep)["likely"] is None
    True
    """
    if record.get("kind") not in {"osm", "place", "polygon", "bbox"} or len(facilities) < 10:
        return None
    from coverage15.crs import detect_offset

    streets = gpd.GeoSeries(net.edge_geometries, crs=net.crs).to_crs(4326)
    # facilities sit on or beside streets; in a dense network the whole median may be a few
    # tens of metres, so the absolute drop asked for is small and the relative tests decide
    found = detect_offset(facilities.to_crs(4326), streets, min_drop_m=5.0)
    if found["likely"] is not None and found["conclusive"]:
        system = {"gcj02": "GCJ-02 (Amap/Tencent 高德/腾讯)", "bd09": "BD-09 (Baidu 百度)"}[
            found["likely"]
        ]
        rep = facilities.attrs.get("report")
        src = getattr(rep, "source", None)
        named = f"facilities ({src})" if src and src != "facilities" else "facilities"
        detail = (
            f"{named} look like {system} coordinates declared as WGS84: their median distance "
            f"to the nearest street is {found['median_m_as_given']:.0f} m as given and "
            f"{found['median_m_converted']:.0f} m after undoing the offset; reload them with "
            f"crs='{found['likely']}'"
        )
        # rows are record numbers from 1, as everywhere in the report
        rows = np.arange(1, len(facilities) + 1).tolist()
        report.add("coordinate_offset", "flagged", rows=rows, column="geometry", detail=detail)
        warnings.warn(detail, OffsetWarning, stacklevel=3)
    return found


def _snap_file(record: dict[str, Any], net: WalkNetwork) -> Path | None:
    """Where the snaps of a cached network live: beside its cache file, named by the
    network's signature (a district cut from the cached network has its own file)."""
    cached = record.get("from_cache") or record.get("cached_to")
    if not cached:
        return None
    return Path(str(cached)).with_suffix(f".snaps-{net.signature[:16]}.pkl")


def _input_paths(layers: list[Any], record: dict[str, Any]) -> list[str]:
    """Files the analysis read (writers refuse to overwrite them)."""
    sources: list[Any] = []
    for layer in layers:
        rep = getattr(layer, "attrs", {}).get("report") if layer is not None else None
        sources.append(getattr(rep, "source", None))
    if record.get("kind") in {"osm", "lines"}:
        sources.append(record.get("source"))
    return sorted({str(Path(s).resolve()) for s in sources if s is not None and _is_file(s)})


def _is_file(source: Any) -> bool:
    """A source that names an existing file (a frame's text or a place name does not)."""
    if not isinstance(source, str | os.PathLike) or not str(source):
        return False
    try:
        return Path(source).is_file()
    except (OSError, ValueError):  # too long for a path, embedded NUL ...
        return False


def _record_network_findings(
    report: ValidationReport,
    homes: pd.DataFrame,
    facilities: pd.DataFrame,
    access: pd.DataFrame,
    profile: Profile,
    net: WalkNetwork,
) -> None:
    """What the network could not take, with households: into the report and repairs.csv.

    Homes off the network or with no facility of a category on their piece of
    the network (:func:`~coverage15.validation.record_unreached`), facilities
    beyond the snapping tolerance, and homes and facilities whose nearest street
    was an island and that were linked to the main network (with the extra leg).
    """
    record_unreached(homes, profile.required_categories, report)
    fsnap = net.snap(facilities, ids="facility_id", source="facilities")
    far = facilities[~fsnap["snapped"].to_numpy(dtype=bool)]
    if len(far):
        report.add_records(
            "facility_beyond_snap_tolerance",
            "flagged",
            far,
            id_column="facility_id",
            column="geometry",
            detail=f"{len(far)} facility(ies) farther than the snapping tolerance from every "
            "walkable street: no home reaches them",
        )
    for kind, key in (("home", "homes_on_islands"), ("facility", "facilities_on_islands")):
        table = access.attrs.get(key)
        if table is None or not len(table):
            continue
        moved = table[table["linked"] == "main network"]
        if len(moved):
            report.add(
                f"{kind}_linked_off_island",
                "repaired",
                rows=moved["id"].tolist(),
                detail=f"{len(moved)} {kind}(s) whose nearest street lies on an island of the "
                f"network (< {net.island_max_nodes} nodes or < {net.island_max_m:g} m of street)"
                f" linked to the nearest street of the main network: extra leg median "
                f"{moved['extra_leg_m'].median():.1f} m, max {moved['extra_leg_m'].max():.1f} m",
            )
        stayed = table[table["linked"] == "island"]
        if len(stayed):
            report.add(
                f"{kind}_on_island",
                "flagged",
                rows=stayed["id"].tolist(),
                detail=f"{len(stayed)} {kind}(s) on an island of the network with no main "
                "street within reach: they reach only what lies on their island",
            )


def catchment_distance_m(profile: Profile, group: str = "general") -> float:
    """Catchment of the 2SFCA area measure: the 15-minute walk of the profile.

    The 15-minute tier's distance when the profile sets one, else 15 minutes at
    the group's walking speed.

    Parameters
    ----------
    profile
        The planning standard.
    group
        ``"general"`` (default) or ``"slow"``: whose walking speed (metres per
        minute, :meth:`~coverage15.standards.Profile.speed`) converts 15 minutes
        into metres when the profile sets no 15-minute distance.

    Returns
    -------
    float
        The catchment distance in metres.

    Examples
    --------
    >>> from coverage15.standards import load_profile
    >>> catchment_distance_m(load_profile("gb50180_2018")), catchment_distance_m(
    ...     load_profile("civil_affairs"), "slow")
    (1000.0, 750.0)
    """
    tier = profile.tiers.get("15min")
    if tier is not None and tier.max_distance_m is not None:
        return float(tier.max_distance_m)
    return 15.0 * profile.speed(group)


def analyze(
    communities: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    *,
    network: Any,
    buildings: gpd.GeoDataFrame | None = None,
    homes: gpd.GeoDataFrame | None = None,
    profile: str | Path | Profile = "gb50180_2018",
    group: str = "general",
    open_spaces: gpd.GeoDataFrame | None = None,
    progress: bool | None = None,
    **deprecated: Any,
) -> Analysis:
    """Run the 15-minute living-circle analysis for one district.

    Parameters
    ----------
    communities
        From :func:`coverage15.load_communities`.
    facilities
        From :func:`coverage15.load_facilities`.
    network
        A :class:`~coverage15.access.WalkNetwork` from
        :func:`coverage15.prepare_network` (build → barriers, gated compounds,
        slopes → prepare), or a projected osmnx graph or any source
        :func:`coverage15.build_walk_network` accepts (an OSM file, a place
        name, a polygon, a road-line layer), prepared here with defaults.
    buildings
        From :func:`coverage15.load_buildings`; households are spread over them
        by floor area. Without buildings (or for communities without any), over
        points along the walkable streets.
    homes
        A planner's own home points with ``community_id`` and ``households``
        (e.g. from :func:`coverage15.homes.homes_from_points`); replaces
        ``buildings``.
    profile
        A profile key, a path to a profile TOML, or a :class:`Profile`.
    group
        ``"general"`` or ``"slow"`` (elderly and young children).
    open_spaces
        Public plazas / open space polygons (:func:`coverage15.io.load_open_spaces`)
        for the plaza-per-resident target.
    progress
        Show progress bars; None (the default) shows them in Jupyter notebooks
        only.
    **deprecated
        ``dem``, ``walk_cost``, ``barriers``, ``compounds``, ``gates``: still
        accepted for one release with a :class:`FutureWarning`; pass them to
        :func:`coverage15.prepare_network` instead.

    Returns
    -------
    Analysis

    Raises
    ------
    InputError
        A frame did not come through the loaders (a raw ``geopandas.read_file``
        frame lacks the normalised columns), or homes lack their columns.

    Examples
    --------
    >>> from coverage15.datasets import sample_path
    >>> from coverage15.io import load_communities, load_facilities
    >>> r = analyze(load_communities(sample_path("communities.geojson")),
    ...             load_facilities(sample_path("facilities.geojson")),
    ...             network=sample_path("walk_network.osm"), profile="civil_affairs")
    >>> r.profile.key, len(r.communities), r.osm
    ('civil_affairs', 10, False)
    """
    profile = profile if isinstance(profile, Profile) else load_profile(profile)
    facilities = _check_inputs(communities, facilities)
    progress = want_progress(progress)
    report = ValidationReport(source="analysis")
    for layer in (communities, facilities, buildings, homes):
        if layer is not None and "report" in layer.attrs:
            report.extend(layer.attrs["report"])
    net = _network(network, progress, deprecated)
    record = dict(net.record)
    crs = net.crs
    comm = communities.to_crs(crs)
    fac = facilities.to_crs(crs)
    check_offset(fac, net, record, report)
    if "community_id" not in fac.columns:
        fac = assign_communities(fac, comm, report=report)
    if homes is None:
        streets = gpd.GeoSeries(net.edge_geometries, crs=crs)
        homes = homes_from_buildings(
            comm,
            buildings.to_crs(crs) if buildings is not None else None,
            streets=streets,
            report=report,
        )
    else:
        missing = {"community_id", "households"} - set(homes.columns)
        if missing:
            raise InputError(f"homes lack columns {sorted(missing)}", source="homes")
        homes = homes.to_crs(crs)
    homes = homes.reset_index(drop=True)
    snap_file = _snap_file(record, net)
    if snap_file is not None:
        net.load_snaps(snap_file)  # a rerun on a cached network does not snap homes again
    used = fac[fac["category"].isin(profile.categories)].reset_index(drop=True)
    with warnings.catch_warnings():  # the summary and the report carry it, once
        warnings.simplefilter("ignore", MissingCategoryWarning)
        check_required_categories(used, profile, report, source="facilities")
    access = net.nearest_facilities(
        homes,
        used,
        category="category",
        facility_id="facility_id",
        max_distance_m=profile.max_threshold_m(group) * SEARCH_FACTOR,
        speed_m_per_min=profile.speed(group),
        categories=profile.categories,
        progress=progress,
    )
    snapped = access["snapped"].astype(bool)
    home_ind = home_indicators(homes, access, profile, group=group, snapped=snapped)
    # 2SFCA over community comprehensive service facilities
    catalogue = category_catalogue()
    is_cf = used["category"].map(lambda k: catalogue[k].community_facility).astype(bool)
    cf = used[is_cf].reset_index(drop=True)
    d0 = catchment_distance_m(profile, group)
    accessible = None
    if len(cf):
        pairs = net.catchment_pairs(homes, cf, max_distance_m=d0)
        accessible = two_step_fca(
            pairs, cf["floor_area_m2"], homes["households"], max_distance_m=d0
        )
    if snap_file is not None:
        try:
            net.save_snaps(snap_file)
        except OSError as exc:  # a read-only cache must not fail the analysis
            report.add("snap_cache", "info", detail=f"snaps not cached: {exc}")
    comm_ind = community_indicators(comm, homes, home_ind, fac, profile, accessible_area=accessible)
    check_conservation(comm, homes, comm_ind)
    extra = [c for c in comm_ind.columns if c not in ("community_id", "households")]
    communities_out = comm.reset_index(drop=True).join(comm_ind[extra])
    homes_out = homes.join(access).join(home_ind)
    if accessible is not None:
        homes_out["accessible_m2_per_hh"] = accessible.to_numpy()
    district = district_indicators(comm, comm_ind, profile, facilities=fac)
    targets = build_targets(profile, communities_out, fac, homes=homes_out, open_spaces=open_spaces)
    worst = worst_communities(communities_out, n=min(5, len(communities_out)))
    _record_network_findings(report, homes_out, used, access, profile, net)
    return Analysis(
        profile=profile,
        group=group,
        homes=homes_out,
        communities=communities_out,
        district=district,
        worst=worst,
        facilities=fac,
        network=net,
        report=report,
        network_record=record,
        inputs=_input_paths([communities, facilities, buildings, homes], record),
        targets=targets,
        lacking=lacking_table(homes, home_ind, profile),
    )
