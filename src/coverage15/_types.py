"""Types shared across modules: what the output modules need of an analysis.

Maps, the web map, the report, the exports and siting take "an analysis": the
:class:`~coverage15.analysis.Analysis` that :func:`coverage15.analyze`
returns, or any object with the same tables (a test's small stand-in, a
result rebuilt from saved layers). :class:`AnalysisLike` names exactly what
they read, so mypy checks both sides without the output modules importing the
analysis module (the flow stays one-directional).

Examples
--------
>>> from coverage15.datasets import sample_analysis
>>> isinstance(sample_analysis(), AnalysisLike)
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from coverage15.access import WalkNetwork
    from coverage15.standards import Profile
    from coverage15.validation import ValidationReport

__all__ = ["AnalysisLike"]


@runtime_checkable
class AnalysisLike(Protocol):
    """The tables and provenance of one district's analysis, as outputs read them.

    Attributes
    ----------
    profile
        The planning standard analysed against.
    group
        ``"general"`` or ``"slow"``.
    homes, communities, facilities
        Per-home, per-community and facility tables (GeoDataFrames).
    district, worst
        District indicators and the weakest communities.
    targets
        One row per target of the profile (value, met, source, confidence).
    lacking
        Households lacking each category within its standard, per community
        (long table: ``community_id, category, households``).
    network
        The prepared walking network the distances were measured on.
    report
        Everything repaired, dropped or flagged.
    network_record
        How the network was built.
    inputs
        Resolved paths of the files read (writers never overwrite them).
    """

    profile: Profile
    group: str
    homes: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    district: pd.DataFrame
    worst: pd.DataFrame
    targets: pd.DataFrame
    lacking: pd.DataFrame
    network: WalkNetwork
    report: ValidationReport
    network_record: dict[str, Any]
    inputs: list[str]
