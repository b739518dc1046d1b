"""Exceptions raised by coverage15.

Every error about user input names the file, the row or feature and the column
involved, so a planner can find and fix the record in their GIS.
"""

from __future__ import annotations


class Coverage15Error(Exception):
    """Base class of all coverage15 errors.

    Catch it to handle any error coverage15 raises on purpose (bad input, network,
    profile); other exceptions are bugs or come from elsewhere.

    Examples
    --------
    >>> import coverage15 as c15
    >>> try:
    ...     c15.load_profile("no_such_profile")
    ... except c15.Coverage15Error as exc:
    ...     print(type(exc).__name__)
    ProfileError
    """


class InputError(Coverage15Error, ValueError):
    """A user's input file or table cannot be used as it is.

    Parameters
    ----------
    message
        What is wrong and how to fix it.
    source
        The file (or table name) the problem is in.
    rows
        Row / feature labels concerned: record numbers in the source file, 1-based
        (the first feature, or the first data line after a CSV header, is 1). At most
        10 are shown in the message, which then says so; all are kept in :attr:`rows`.
    column
        The column concerned.

    Examples
    --------
    >>> err = InputError("must be a whole number >= 0", source="社区.csv", rows=[3, 7],
    ...                  column="户数")
    >>> print(err)
    社区.csv, column '户数', row(s) 3, 7: must be a whole number >= 0
    >>> err.source, err.rows, err.column, isinstance(err, ValueError)
    ('社区.csv', [3, 7], '户数', True)
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        rows: list | None = None,
        column: str | None = None,
    ) -> None:
        self.source = source
        self.rows = list(rows) if rows is not None else []
        self.column = column
        parts = []
        if source:
            parts.append(f"{source}")
        if column:
            parts.append(f"column '{column}'")
        if self.rows:
            shown = ", ".join(str(r) for r in self.rows[:10])
            more = (
                f" (+{len(self.rows) - 10} more; all {len(self.rows)} in the error's .rows)"
                if len(self.rows) > 10
                else ""
            )
            parts.append(f"row(s) {shown}{more}")
        where = ": ".join([", ".join(parts)]) if parts else ""
        super().__init__(f"{where}: {message}" if where else message)


class NetworkError(Coverage15Error):
    """The walking network cannot be built, loaded or used.

    Examples
    --------
    >>> import coverage15 as c15
    >>> c15.load_network("no/such/file.graphml")
    Traceback (most recent call last):
    ...
    coverage15._errors.NetworkError: no/such/file.graphml: network file not found
    """


class ProfileError(Coverage15Error, ValueError):
    """A standard profile file is invalid, or no profile has the key asked for.

    The message names the file and the field (or lists the shipped profiles).

    Examples
    --------
    >>> import coverage15 as c15
    >>> c15.load_profile("gb50180")
    Traceback (most recent call last):
    ...
    coverage15._errors.ProfileError: no profile 'gb50180': give one of [...] or the path ...
    """


class OffsetWarning(UserWarning):
    """Points declared as WGS84 look shifted like GCJ-02 (Amap/Tencent) or BD-09 (Baidu) data.

    :func:`coverage15.analyze` warns with it (and flags ``coordinate_offset`` in the
    report) but still computes the numbers; reload the points with
    ``crs="gcj02"`` or ``crs="bd09"``. To stop a run instead, make it an error:

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("error", OffsetWarning)
    ...     warnings.warn("facilities look like GCJ-02 coordinates", OffsetWarning)
    Traceback (most recent call last):
    ...
    coverage15._errors.OffsetWarning: facilities look like GCJ-02 coordinates
    """


class ConservationError(Coverage15Error):
    """Households went missing or were counted twice between input, homes and results.

    Raised by :func:`coverage15.validation.check_conservation`, never a warning: a lost
    household is a wrong number in a planning report.

    Examples
    --------
    >>> import pandas as pd
    >>> from coverage15.validation import check_conservation
    >>> c = pd.DataFrame({"community_id": ["A"], "households": [10]})
    >>> reported = c.assign(hh_covered_all=[7], hh_underserved=[2], hh_off_network=[0])
    >>> check_conservation(c, c, reported)
    Traceback (most recent call last):
    ...
    coverage15._errors.ConservationError: households not conserved in 1 community(ies), e.g. A: ...
    """


class MissingCategoryWarning(UserWarning):
    """A category the standard profile requires has no facility at all.

    Every share of that category is then 0 %: usually facilities that were not loaded
    (a wrong category mapping, an empty layer), not a district without any. Raised by
    :func:`coverage15.validation.check_required_categories`, which also records the
    finding ``category_without_facilities`` in the report.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("error", MissingCategoryWarning)
    ...     warnings.warn("no facilities of: kindergarten", MissingCategoryWarning)
    Traceback (most recent call last):
    ...
    coverage15._errors.MissingCategoryWarning: no facilities of: kindergarten
    """


class FragmentedNetworkWarning(UserWarning):
    """A road-line network fell into many pieces because its lines are not split at junctions.

    :func:`coverage15.network.build_walk_network` joins road lines where they
    share an end point or (on the same level) a vertex, as GIS network datasets
    do. Lines drawn across each other without a shared vertex then stay apart;
    when that happens at most crossings and the network falls into many pieces,
    it warns with this class. Build with ``node_intersections=True`` if every
    crossing is a junction in reality (lines on different levels still do not join).

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("error", FragmentedNetworkWarning)
    ...     warnings.warn("120 pieces", FragmentedNetworkWarning)
    Traceback (most recent call last):
    ...
    coverage15._errors.FragmentedNetworkWarning: 120 pieces
    """
