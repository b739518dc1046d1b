"""Homes (demand points): where each community's households live.

When a planner has only community totals, each community's households are
spread over its residential buildings in proportion to floor area (footprint ×
levels); a community without buildings gets them spread evenly over points
along the walkable streets inside it, and one without streets gets a single
home at its representative point. Households are whole numbers and every
community's homes add up to its input total exactly (largest-remainder
rounding).

Examples
--------
>>> import geopandas as gpd, shapely
>>> c = gpd.GeoDataFrame({"community_id": ["A"], "households": [10]},
...                      geometry=[shapely.box(0, 0, 100, 100)], crs="EPSG:4547")
>>> b = gpd.GeoDataFrame({"building_id": ["b1", "b2"], "floor_area_m2": [300.0, 100.0]},
...                      geometry=[shapely.box(10, 10, 20, 20), shapely.box(50, 50, 60, 60)],
...                      crs="EPSG:4547")
>>> homes_from_buildings(c, b)["households"].tolist()
[8, 2]
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from coverage15._errors import InputError
from coverage15.validation import ValidationReport, check_conservation

#: fewer m² of floor per household than this is beyond any real dwelling (China's
#: smallest public-rental flats are ~30-40 m²; 10 m² is a dormitory bed space)
MIN_FLOOR_M2_PER_HOUSEHOLD = 10.0

HOME_COLUMNS = ["home_id", "community_id", "households", "home_source", "building_id", "geometry"]


def largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """Split the integer ``total`` in proportion to ``weights``; the parts sum to ``total``.

    Each part is the floor of its quota, and the units left over go to the
    largest fractional remainders (earlier items win ties).

    Parameters
    ----------
    total
        The whole number to split (e.g. a community's households), ≥ 0.
    weights
        One finite weight ≥ 0 per part (e.g. residential floor area in m²); all
        zero means equal parts. Must not be empty unless ``total`` is 0.

    Returns
    -------
    numpy.ndarray
        int64 parts, one per weight, summing to ``total``.

    Raises
    ------
    ValueError
        A negative total, a negative or non-finite weight, or a positive total
        with no weights.

    Examples
    --------
    >>> largest_remainder(10, np.array([1.0, 1.0, 1.0])).tolist()
    [4, 3, 3]
    >>> largest_remainder(7, np.array([0.0, 2.0])).tolist()
    [0, 7]
    """
    weights = np.asarray(weights, dtype="float64")
    if total < 0 or not np.isfinite(weights).all() or (weights < 0).any():
        raise ValueError("total must be >= 0 and weights finite and >= 0")
    if len(weights) == 0:
        if total:
            raise ValueError("cannot split a positive total over no items")
        return np.zeros(0, dtype="int64")
    wsum = weights.sum()
    if wsum == 0:
        weights = np.ones_like(weights)
        wsum = weights.sum()
    quota = total * weights / wsum
    base = np.floor(quota).astype("int64")
    left = int(total - base.sum())
    if left:
        order = np.lexsort((np.arange(len(quota)), -(quota - base)))
        base[order[:left]] += 1
    return base


def _spread(community_ids: np.ndarray, totals: dict[Any, int], weights: np.ndarray) -> np.ndarray:
    out = np.zeros(len(community_ids), dtype="int64")
    for cid in pd.unique(community_ids):
        idx = np.flatnonzero(community_ids == cid)
        out[idx] = largest_remainder(int(totals[cid]), weights[idx])
    return out


def _resolve_overlaps(
    joined: pd.DataFrame,
    several: pd.Index,
    buildings: gpd.GeoDataFrame,
    communities: gpd.GeoDataFrame,
    overlaps: str,
    report: ValidationReport,
) -> pd.DataFrame:
    """Buildings inside two or more communities: refuse, or keep the largest overlap."""
    from coverage15.io import OVERLAP_MIN_M2, OVERLAP_SHARE, community_overlaps

    if overlaps not in ("raise", "largest"):
        raise InputError(f"overlaps must be 'raise' or 'largest', got {overlaps!r}")
    pairs = community_overlaps(communities.geometry, communities["community_id"])
    big = set(zip(pairs["community_a"], pairs["community_b"], strict=True))
    big |= {(b, a) for a, b in big}
    ambiguous = [
        i
        for i in several
        if any(
            (a, c) in big
            for a in joined.loc[[i], "community_id"].astype(str)
            for c in joined.loc[[i], "community_id"].astype(str)
        )
    ]
    if not ambiguous:
        return joined
    ids = buildings["building_id"].to_numpy()
    if overlaps == "raise":
        raise InputError(
            f"{len(ambiguous)} residential building(s) lie where communities overlap (beyond "
            f"{OVERLAP_SHARE:.0%} of the smaller and {OVERLAP_MIN_M2:g} m²): their households "
            "would go to an arbitrary one. Fix the boundaries, or pass overlaps='largest' "
            "(each building to the community its footprint overlaps most)",
            source="buildings",
            rows=ids[ambiguous].tolist(),
            column="geometry",
        )
    polys = communities.set_index("community_id").geometry
    foot = buildings.to_crs(communities.crs).geometry.to_numpy()
    keep = []
    for i, part in joined.groupby(level=0, sort=False):
        if i in ambiguous:
            area = [
                shapely.area(shapely.intersection(foot[i], polys[c])) for c in part["community_id"]
            ]
            keep.append(part.iloc[[int(np.argmax(area))]])
        else:
            keep.append(part)
    report.add(
        "building_in_overlap",
        "flagged",
        rows=ids[ambiguous].tolist(),
        column="geometry",
        detail="in overlapping communities: given to the one its footprint overlaps most",
    )
    return pd.concat(keep)


def _street_points(
    community: shapely.Geometry, streets: np.ndarray, spacing_m: float
) -> np.ndarray:
    """Points every ``spacing_m`` along the street lines inside a community."""
    inside = shapely.intersection(streets, community)
    inside = inside[~shapely.is_empty(inside)]
    lines = shapely.get_parts(shapely.line_merge(shapely.union_all(inside))) if len(inside) else []
    pts: list[shapely.Point] = []
    for line in lines:
        if line.geom_type != "LineString" or line.length == 0:
            continue
        n = max(1, int(line.length // spacing_m))
        pts.extend(shapely.line_interpolate_point(line, (np.arange(n) + 0.5) / n, normalized=True))
    return np.array(pts, dtype=object)


def homes_from_buildings(
    communities: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame | None = None,
    *,
    streets: gpd.GeoSeries | None = None,
    spacing_m: float = 50.0,
    overlaps: str = "raise",
    report: ValidationReport | None = None,
) -> gpd.GeoDataFrame:
    """Spread each community's households over its residential buildings by floor area.

    A building whose representative point lies in two communities that overlap beyond
    the tolerance of :func:`coverage15.io.community_overlaps` would have its households
    counted for an arbitrary one: refused unless ``overlaps="largest"`` (the community
    its footprint overlaps most; flagged ``building_in_overlap``). Buildings left with
    less than :data:`MIN_FLOOR_M2_PER_HOUSEHOLD` m² of floor per household are flagged
    ``implausible_households_per_building``.

    Parameters
    ----------
    communities
        From :func:`coverage15.load_communities` (``community_id``,
        ``households``, polygons).
    buildings
        From :func:`coverage15.load_buildings` (``building_id``,
        ``floor_area_m2``, polygons); a building belongs to the community that
        contains its representative point.
    streets
        Walkable street lines (e.g. the network's edge geometries), used for
        communities with no buildings: households are spread evenly over points
        every ``spacing_m`` along the streets inside the community.
    spacing_m
        Spacing of street points, metres (in the communities' CRS units).
    overlaps
        ``"raise"`` (default) or ``"largest"``: see above.
    report
        Where to record the fallbacks used (an ``info`` per community).

    Returns
    -------
    geopandas.GeoDataFrame
        ``home_id``, ``community_id``, ``households`` (int), ``home_source``
        (``"building"``, ``"street"`` or ``"centroid"``), ``building_id``,
        point ``geometry`` in the communities' CRS. Households per community sum
        exactly to the input.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> c = gpd.GeoDataFrame({"community_id": ["A"], "households": [5]},
    ...                      geometry=[shapely.box(0, 0, 100, 100)], crs="EPSG:4547")
    >>> s = gpd.GeoSeries([shapely.LineString([(0, 50), (100, 50)])], crs="EPSG:4547")
    >>> h = homes_from_buildings(c, None, streets=s, spacing_m=25)
    >>> h["households"].tolist(), h["home_source"].iloc[0]
    ([2, 1, 1, 1], 'street')
    """
    report = report if report is not None else ValidationReport(source="homes")
    crs = communities.crs
    totals = dict(zip(communities["community_id"], communities["households"], strict=True))
    parts: list[gpd.GeoDataFrame] = []
    with_buildings: set = set()
    if buildings is not None and len(buildings):
        b = buildings.to_crs(crs)
        pts = gpd.GeoSeries(shapely.point_on_surface(b.geometry.to_numpy()), crs=crs)
        joined = gpd.sjoin(
            gpd.GeoDataFrame({"_b": np.arange(len(b))}, geometry=pts),
            communities[["community_id", communities.geometry.name]],
            how="left",
            predicate="within",
        )
        several = joined.index[joined.index.duplicated(keep=False)].unique()
        if len(several):
            joined = _resolve_overlaps(joined, several, b, communities, overlaps, report)
        joined = joined[~joined.index.duplicated(keep="first")].sort_index()
        cid = joined["community_id"].to_numpy()
        outside = pd.isna(cid)
        if outside.any():
            report.add(
                "building_outside_communities",
                "info",
                rows=(np.flatnonzero(outside) + 1).tolist(),
                detail="residential buildings outside every community get no households",
            )
        keep = ~outside
        if keep.any():
            weights = b["floor_area_m2"].to_numpy(dtype="float64")[keep]
            hh = _spread(cid[keep], totals, weights)
            with np.errstate(divide="ignore", invalid="ignore"):
                crowded = (hh > 0) & (weights / np.maximum(hh, 1) < MIN_FLOOR_M2_PER_HOUSEHOLD)
            if crowded.any():
                report.add(
                    "implausible_households_per_building",
                    "flagged",
                    rows=b["building_id"].to_numpy()[keep][crowded].tolist(),
                    column="households",
                    detail=f"less than {MIN_FLOOR_M2_PER_HOUSEHOLD:g} m² of floor per household "
                    "in these buildings: the community's households (or its buildings' floor "
                    "area) look wrong",
                    households=hh[crowded].sum(),
                )
            parts.append(
                gpd.GeoDataFrame(
                    {
                        "community_id": cid[keep],
                        "households": hh,
                        "home_source": "building",
                        "building_id": b["building_id"].to_numpy()[keep],
                    },
                    geometry=pts.to_numpy()[keep],
                    crs=crs,
                )
            )
            with_buildings = set(cid[keep])
    rest = communities[~communities["community_id"].isin(with_buildings)]
    street_lines = (
        streets.to_crs(crs).geometry.to_numpy() if streets is not None else np.array([], object)
    )
    for _, row in rest.iterrows():
        cid, geom = row["community_id"], row.geometry
        pts = _street_points(geom, street_lines, spacing_m) if len(street_lines) else []
        source = "street"
        if len(pts) == 0:
            pts, source = np.array([geom.representative_point()], dtype=object), "centroid"
        hh = largest_remainder(int(totals[cid]), np.ones(len(pts)))
        parts.append(
            gpd.GeoDataFrame(
                {"community_id": cid, "households": hh, "home_source": source, "building_id": None},
                geometry=list(pts),
                crs=crs,
            )
        )
        report.add(
            "homes_without_buildings",
            "info",
            rows=[cid],
            detail=(
                f"no residential buildings: {totals[cid]} households spread over {len(pts)} "
                + ("street points" if source == "street" else "representative point")
            ),
        )
    homes = (
        pd.concat(parts, ignore_index=True)
        if parts
        else gpd.GeoDataFrame(columns=HOME_COLUMNS, geometry="geometry", crs=crs)
    )
    homes = gpd.GeoDataFrame(homes, geometry="geometry", crs=crs)
    homes.insert(0, "home_id", [f"H{i + 1}" for i in range(len(homes))])
    homes["community_id"] = homes["community_id"].astype("string")
    homes["households"] = homes["households"].astype("int64")
    check_conservation(communities, homes)
    homes.attrs["report"] = report
    return homes[HOME_COLUMNS]


def homes_from_points(
    points: gpd.GeoDataFrame,
    communities: gpd.GeoDataFrame,
    *,
    households: str = "households",
    home_id: str | None = None,
    overlaps: str = "raise",
    report: ValidationReport | None = None,
) -> gpd.GeoDataFrame:
    """Use a planner's own home points (e.g. from a household survey or address layer).

    Each point is assigned to the community it lies in (see
    :func:`coverage15.io.assign_communities` for points in overlapping communities);
    points outside every community are dropped and counted with their households.
    ``households`` names the column with the households at each point (whole numbers
    ≥ 0). The caller's ids are kept.

    Parameters
    ----------
    points
        The home points, in any CRS (converted to the communities' CRS).
    communities
        Community polygons with ``community_id`` (e.g. from
        :func:`coverage15.load_communities`).
    households
        The column of ``points`` with the number of households at each point
        (default ``"households"``).
    home_id
        The column with the points' ids, kept as ``home_id`` (text). Default: the
        ``home_id`` column when there is one, else ids ``H<row>`` from each point's
        1-based row number (stable when other points are dropped).
    overlaps
        Points where communities overlap: ``"raise"`` (default) or ``"largest"``
        (see :func:`coverage15.io.assign_communities`).
    report
        Where to record the dropped points (``home_outside_communities``, by
        1-based row number, with their households); a new report named ``homes``
        when not given.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per point inside a community, in input order, in the
        communities' CRS: ``home_id`` (the caller's, else ``H<row>``), ``community_id``,
        ``households``, ``home_source`` (``"input"``), ``building_id`` (None) and
        the point geometry; the report is in ``attrs["report"]``.

    Raises
    ------
    InputError
        The ``households`` or ``home_id`` column is missing, households are not
        whole numbers ≥ 0, or ids are missing or repeated.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> c = gpd.GeoDataFrame({"community_id": ["A"], "households": [3]},
    ...                      geometry=[shapely.box(0, 0, 10, 10)], crs="EPSG:4547")
    >>> pts = [shapely.Point(1, 1), shapely.Point(5, 5), shapely.Point(50, 5)]
    >>> p = gpd.GeoDataFrame({"hh": [2, 1, 4]}, geometry=pts, crs="EPSG:4547")
    >>> homes_from_points(p, c, households="hh")["households"].tolist()
    [2, 1]
    >>> p["addr"] = ["a-7", "b-2", "c-9"]
    >>> homes_from_points(p, c, households="hh", home_id="addr")["home_id"].tolist()
    ['a-7', 'b-2']
    """
    report = report if report is not None else ValidationReport(source="homes")
    if households not in points.columns:
        raise InputError(
            f"no column '{households}'; columns are {list(points.columns)}",
            source="homes",
            column=households,
        )
    hh = pd.to_numeric(points[households], errors="coerce")
    bad = hh.isna() | (hh < 0) | (hh != hh.round())
    if bad.any():
        raise InputError(
            "households must be whole numbers >= 0",
            source="homes",
            rows=(np.flatnonzero(bad.to_numpy()) + 1).tolist(),
            column=households,
        )
    rowno = np.arange(1, len(points) + 1)
    if home_id is None and "home_id" in points.columns:
        home_id = "home_id"
    if home_id is not None:
        if home_id not in points.columns:
            raise InputError(
                f"no column '{home_id}'; columns are {list(points.columns)}",
                source="homes",
                column=home_id,
            )
        ids = points[home_id].astype("string").str.strip()
        missing = (ids.isna() | (ids == "")).to_numpy()
        dup = ids.duplicated(keep=False).to_numpy() & ~missing
        if missing.any() or dup.any():
            raise InputError(
                "home ids must be given and unique ("
                + (f"{int(missing.sum())} missing" if missing.any() else "")
                + (", " if missing.any() and dup.any() else "")
                + (f"{int(dup.sum())} repeated" if dup.any() else "")
                + ")",
                source="homes",
                rows=rowno[missing | dup].tolist(),
                column=home_id,
            )
        ids = ids.to_numpy()
    else:
        ids = np.array([f"H{r}" for r in rowno], dtype=object)
    from coverage15.io import assign_communities

    pts = points.to_crs(communities.crs)
    assigned = assign_communities(
        gpd.GeoDataFrame(geometry=pts.geometry.values, crs=pts.crs),
        communities,
        source="homes",
        overlaps=overlaps,  # type: ignore[arg-type]
    )
    cid = assigned["community_id"].to_numpy(dtype=object)
    outside = pd.isna(cid)
    report.add(
        "home_outside_communities",
        "dropped",
        rows=rowno[outside].tolist(),
        column="geometry",
        detail="home point outside every community",
        households=hh.to_numpy()[outside].sum(),
    )
    homes = gpd.GeoDataFrame(
        {
            "home_id": pd.array(ids[~outside], dtype="string"),
            "community_id": pd.array(cid[~outside], dtype="string"),
            "households": hh.to_numpy()[~outside].astype("int64"),
            "home_source": "input",
            "building_id": None,
        },
        geometry=pts.geometry.to_numpy()[~outside],
        crs=communities.crs,
    )
    homes.attrs["report"] = report
    return homes
