"""The record of everything a loader repaired, dropped or flagged.

Nothing coverage15 reads is lost silently: each repair, drop or flag is one
:class:`Finding` in a :class:`ValidationReport`, with the file, the column, the
number of records and their row labels.

Examples
--------
>>> report = ValidationReport(source="communities.gpkg")
>>> report.add("invalid_geometry", "repaired", rows=[3, 7], column="geometry",
...            detail="repaired with shapely.make_valid")
>>> report.count("repaired")
2
>>> print(report)  # doctest: +NORMALIZE_WHITESPACE
communities.gpkg: 1 finding(s)
  repaired  invalid_geometry  2 row(s) [3, 7]  column 'geometry'  repaired with shapely.make_valid
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from coverage15._errors import ConservationError

Action = Literal["repaired", "dropped", "flagged", "info"]
_ACTIONS = ("repaired", "dropped", "flagged", "info")


@dataclass(frozen=True)
class Finding:
    """One kind of problem found in one input, and what was done about it.

    :meth:`ValidationReport.add` records them; the parameters are kept as attributes of the
    same names.

    Parameters
    ----------
    kind
        What the problem is, a stable key such as ``"duplicate_id"`` or
        ``"invalid_geometry"``.
    action
        What was done: ``"repaired"``, ``"dropped"``, ``"flagged"`` (kept, to be
        checked) or ``"info"`` (a note about the input as a whole).
    rows
        Labels of the records concerned: the loaders give 1-based row (feature)
        numbers of the input, the analysis ids such as ``home_id``.
    column
        The column concerned, as named in the input (None: not about one column).
    detail
        A sentence on the problem or the repair (default ``""``).
    source
        The file or layer the finding is about (None when unknown).
    households
        Households of the records concerned, summed (None: not about households, or
        unknown). Every dropped community, home or point the network could not take
        carries its households, so a report can say what went missing.
    population
        Residents of the records concerned, summed (None when unknown).

    Examples
    --------
    >>> f = Finding("duplicate_id", "dropped", (4, 9), column="社区代码", detail="kept the first")
    >>> f.n
    2
    >>> Finding("empty_geometry", "dropped", (2,), households=3800).households
    3800
    """

    kind: str
    action: Action
    rows: tuple
    column: str | None = None
    detail: str = ""
    source: str | None = None
    households: float | None = None
    population: float | None = None

    @property
    def n(self) -> int:
        """Number of records concerned."""
        return len(self.rows)

    def __str__(self) -> str:
        shown = ", ".join(str(r) for r in self.rows[:8])
        more = f", … +{self.n - 8}" if self.n > 8 else ""
        col = f"  column '{self.column}'" if self.column else ""
        rows = f"  {self.n} row(s) [{shown}{more}]" if self.n else ""  # whole-layer notes
        hh = ""
        if self.households is not None:
            hh = f"  {_count(self.households)} households 户"
            if self.population is not None:
                hh += f", {_count(self.population)} residents 人"
        return f"{self.action:<9} {self.kind}{rows}{col}{hh}  {self.detail}"


def _count(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


@dataclass
class ValidationReport:
    """Findings of one or more loaders; printable, and convertible to a table.

    Parameters
    ----------
    source
        The file or layer the findings are about (shown in messages); None
        (default) shows as "input".
    findings
        Findings to start with (:class:`Finding`); empty by default. Add more
        with :meth:`add` and :meth:`extend`.

    Examples
    --------
    >>> r = ValidationReport(source="社区.gpkg")
    >>> r.add("negative_households", "dropped", rows=[3, 7], column="户数", detail="< 0")
    >>> r.add("invalid_geometry", "repaired", rows=[2], column="geometry")
    >>> r.n_dropped, r.n_repaired, r.count(kind="invalid_geometry"), r.rows("negative_households")
    (2, 1, 1, [3, 7])
    >>> print(r)
    社区.gpkg: 2 finding(s)
      dropped   negative_households  2 row(s) [3, 7]  column '户数'  < 0
      repaired  invalid_geometry  1 row(s) [2]  column 'geometry'
    """

    source: str | None = None
    findings: list[Finding] = field(default_factory=list)

    def add(
        self,
        kind: str,
        action: Action,
        *,
        rows: Iterable = (),
        column: str | None = None,
        detail: str = "",
        households: float | None = None,
        population: float | None = None,
    ) -> None:
        """Record a finding; a finding about no rows is ignored (except ``"info"``).

        The finding takes the report's :attr:`source`.

        Parameters
        ----------
        kind
            What the problem is, a stable key such as ``"duplicate_id"``.
        action
            ``"repaired"``, ``"dropped"``, ``"flagged"`` or ``"info"``.
        rows
            Labels of the records concerned (1-based row numbers or ids); any
            iterable, empty by default.
        column
            The column concerned, as named in the input (default None).
        detail
            A sentence on the problem or the repair (default ``""``).
        households, population
            Households and residents of the records concerned, summed (default None:
            not about households). Give them for every dropped community or home.

        Raises
        ------
        ValueError
            Another action.

        Examples
        --------
        >>> r = ValidationReport()
        >>> r.add("unknown_category", "dropped", rows=[])  # nothing happened: not recorded
        >>> r.add("crs_assumed", "info", detail="read as WGS84")
        >>> len(r.findings)
        1
        """
        if action not in _ACTIONS:
            raise ValueError(f"action must be one of {_ACTIONS}, got {action!r}")
        rows = tuple(rows)
        if not rows and action != "info":
            return
        hh = None if households is None or pd.isna(households) else float(households)
        pop = None if population is None or pd.isna(population) else float(population)
        self.findings.append(Finding(kind, action, rows, column, detail, self.source, hh, pop))

    def add_records(
        self,
        kind: str,
        action: Action,
        records: pd.DataFrame,
        *,
        id_column: str,
        column: str | None = None,
        detail: str = "",
    ) -> None:
        """Record a finding about some records of a table, with their households.

        For the analysis side: facilities farther from the network than the snapping
        tolerance (kind ``"facility_beyond_snap_tolerance"``), homes on a piece of the
        network with no facility of a category (``"home_no_facility_in_piece"``), homes
        off the network. The finding lists the records' ids and the sum of their
        ``households`` (and ``population``) column when they have one, so the report and
        ``repairs.csv`` say how many households it concerns.

        Parameters
        ----------
        kind
            What the problem is (a stable key).
        action
            ``"repaired"``, ``"dropped"``, ``"flagged"`` or ``"info"``.
        records
            The records concerned (only these rows); nothing is recorded when empty.
        id_column
            The column with their ids (e.g. ``"home_id"``, ``"facility_id"``).
        column
            The column the problem is about (default None).
        detail
            A sentence on the problem (default ``""``).

        Examples
        --------
        >>> import pandas as pd
        >>> homes = pd.DataFrame({"home_id": ["H1", "H2", "H3"], "households": [40, 25, 7]})
        >>> r = ValidationReport("analysis")
        >>> r.add_records("home_no_facility_in_piece", "flagged", homes[homes.households > 10],
        ...               id_column="home_id", detail="no clinic on this piece of network")
        >>> r.findings[0].rows, r.findings[0].households
        (('H1', 'H2'), 65.0)
        """
        hh = records["households"].sum() if "households" in records.columns else None
        pop = records["population"].sum() if "population" in records.columns else None
        self.add(
            kind,
            action,
            rows=records[id_column].tolist(),
            column=column,
            detail=detail,
            households=hh,
            population=pop,
        )

    def extend(self, other: ValidationReport) -> None:
        """Append the findings of another report (keeping their sources).

        Parameters
        ----------
        other
            The report whose findings are appended (it is not changed).

        Examples
        --------
        >>> a, b = ValidationReport("a.csv"), ValidationReport("b.csv")
        >>> b.add("empty_geometry", "dropped", rows=[1])
        >>> a.extend(b)
        >>> a.findings[0].source
        'b.csv'
        """
        self.findings.extend(other.findings)

    def count(self, action: Action | None = None, kind: str | None = None) -> int:
        """Number of records with a given action and/or kind.

        Parameters
        ----------
        action
            Count only findings with this action (``"repaired"``, ``"dropped"``,
            ``"flagged"``, ``"info"``); None (default): any.
        kind
            Count only findings of this kind; None (default): any.

        Returns
        -------
        int
            The number of rows of the matching findings, summed (a record in two
            findings counts twice).

        Examples
        --------
        >>> r = ValidationReport()
        >>> r.add("x", "dropped", rows=[1, 2]); r.add("y", "flagged", rows=[5])
        >>> r.count(), r.count("dropped"), r.count(kind="y")
        (3, 2, 1)
        """
        return sum(
            f.n
            for f in self.findings
            if (action is None or f.action == action) and (kind is None or f.kind == kind)
        )

    def rows(self, kind: str) -> list:
        """Row labels of all findings of ``kind``.

        Parameters
        ----------
        kind
            The kind of finding, e.g. ``"duplicate_id"``.

        Returns
        -------
        list
            The row labels of every finding of that kind, in the order recorded
            (empty when there is none).

        Examples
        --------
        >>> r = ValidationReport()
        >>> r.add("x", "dropped", rows=[1, 2]); r.add("x", "flagged", rows=[5])
        >>> r.rows("x")
        [1, 2, 5]
        """
        return [r for f in self.findings if f.kind == kind for r in f.rows]

    @property
    def n_dropped(self) -> int:
        """Records dropped."""
        return self.count("dropped")

    @property
    def n_repaired(self) -> int:
        """Records repaired."""
        return self.count("repaired")

    def households(self, action: Action = "dropped") -> float:
        """Households of the records of findings with ``action``, summed.

        Parameters
        ----------
        action
            ``"dropped"`` (default): the households that went missing with dropped
            records; or another action.

        Returns
        -------
        float
            The sum over the findings that carry households (0 when none does).

        Examples
        --------
        >>> r = ValidationReport()
        >>> r.add("empty_geometry", "dropped", rows=[2], households=3800, population=9500)
        >>> r.add("home_outside_communities", "dropped", rows=[5, 6], households=12)
        >>> r.households(), r.population()
        (3812.0, 9500.0)
        """
        return float(
            sum(f.households for f in self.findings if f.action == action and f.households)
        )

    def population(self, action: Action = "dropped") -> float:
        """Residents of the records of findings with ``action``, summed (see :meth:`households`).

        Parameters
        ----------
        action
            ``"dropped"`` (default) or another action.

        Returns
        -------
        float
            The sum over the findings that carry a population (0 when none does).

        Examples
        --------
        >>> r = ValidationReport()
        >>> r.add("empty_geometry", "dropped", rows=[2], households=3, population=8)
        >>> r.population()
        8.0
        """
        return float(
            sum(f.population for f in self.findings if f.action == action and f.population)
        )

    def summary(self) -> str:
        """One line: records repaired, dropped (with their households and residents), flagged.

        Returns
        -------
        str
            Bilingual, e.g. ``"dropped 删除 1 record(s) with 3,800 households 户 …"``.

        Examples
        --------
        >>> r = ValidationReport()
        >>> r.add("empty_geometry", "dropped", rows=[2], households=3800)
        >>> print(r.summary())
        repaired 修复 0, dropped 删除 1 record(s) with 3,800 households 户, flagged 待核 0
        """
        dropped = f"dropped 删除 {self.n_dropped} record(s)"
        hh = self.households("dropped")
        if hh:
            dropped += f" with {_count(hh)} households 户"
            pop = self.population("dropped")
            if pop:
                dropped += f" ({_count(pop)} residents 人)"
        return f"repaired 修复 {self.n_repaired}, {dropped}, flagged 待核 {self.count('flagged')}"

    def to_frame(self) -> pd.DataFrame:
        """One row per finding: source, action, kind, column, n, households, rows, detail.

        Returns
        -------
        pandas.DataFrame
            Columns ``source, action, kind, column, n, households, population, rows,
            detail``, in the order recorded; ``n`` is the number of rows concerned,
            ``households`` / ``population`` theirs (NaN when not about households) and
            ``rows`` their labels as a list. Empty, with these columns, when
            there are no findings.

        Examples
        --------
        >>> r = ValidationReport("f.csv")
        >>> r.add("x", "dropped", rows=[1, 2], column="户数")
        >>> r.to_frame()[["action", "kind", "column", "n"]].values.tolist()
        [['dropped', 'x', '户数', 2]]
        """
        return pd.DataFrame(
            [
                {
                    "source": f.source,
                    "action": f.action,
                    "kind": f.kind,
                    "column": f.column,
                    "n": f.n,
                    "households": f.households,
                    "population": f.population,
                    "rows": list(f.rows),
                    "detail": f.detail,
                }
                for f in self.findings
            ],
            columns=[
                "source",
                "action",
                "kind",
                "column",
                "n",
                "households",
                "population",
                "rows",
                "detail",
            ],
        )

    def __str__(self) -> str:
        head = f"{self.source or 'input'}: {len(self.findings)} finding(s)"
        if not self.findings:
            return f"{self.source or 'input'}: no problems found"
        lines = [head]
        for f in self.findings:
            prefix = f"[{f.source}] " if f.source and f.source != self.source else ""
            lines.append(f"  {prefix}{f}")
        if self.households("dropped"):
            lines.append(f"  {self.summary()}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:  # Jupyter
        return f"<b>{self.source or 'input'}</b>" + self.to_frame().to_html(index=False)


def check_required_categories(
    facilities: pd.DataFrame,
    categories: Iterable[str] | Any,
    report: ValidationReport | None = None,
    *,
    source: str | None = None,
) -> list[str]:
    """Warn (loudly) about required categories that have no facility, and record them.

    Parameters
    ----------
    facilities
        Loaded facilities with a ``category`` column.
    categories
        A :class:`~coverage15.standards.Profile` (its categories with ``required =
        true``), or the category keys to check.
    report
        Where to record the finding ``category_without_facilities`` (an ``info`` about
        the whole layer, with the keys in ``rows``); nothing recorded when None.
    source
        The facilities' file, for the warning.

    Returns
    -------
    list of str
        The required category keys without any facility (empty: all present).

    Warns
    -----
    MissingCategoryWarning
        When any is missing.

    Examples
    --------
    >>> import warnings
    >>> import pandas as pd
    >>> f = pd.DataFrame({"category": ["kindergarten"]})
    >>> r = ValidationReport("facilities.csv")
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     check_required_categories(f, ["kindergarten", "clinic"], r)
    ['clinic']
    >>> w[0].category.__name__, r.findings[0].kind, r.findings[0].rows
    ('MissingCategoryWarning', 'category_without_facilities', ('clinic',))
    """
    import warnings

    from coverage15._errors import MissingCategoryWarning

    requirements = getattr(categories, "requirements", None)
    if requirements is not None:
        categories = [k for k, r in requirements.items() if r.required]
    present = set(facilities["category"].dropna().astype(str)) if len(facilities) else set()
    missing = [c for c in categories if c not in present]
    if missing:
        text = (
            f"{len(missing)} required categor(ies) have no facility at all, so every share "
            f"of them is 0 %: {', '.join(missing)}. Check the category mapping and the "
            "facility layer (缺少设施类别)"
        )
        if report is not None:
            report.findings.append(
                Finding(
                    "category_without_facilities",
                    "flagged",
                    tuple(missing),
                    "category",
                    text,
                    source or report.source,
                )
            )
        where = f"{source}: " if source else ""
        warnings.warn(where + text, MissingCategoryWarning, stacklevel=2)
    return missing


#: ``reach__<category>`` statuses (from the engine) recorded by :func:`record_unreached`,
#: with the finding kind each becomes
UNREACHED_KINDS: dict[str, str] = {
    "no_path": "home_no_facility_in_piece",
    "off_network": "home_off_network",
}


def record_unreached(
    homes: pd.DataFrame,
    categories: Iterable[str],
    report: ValidationReport,
    *,
    id_column: str = "home_id",
) -> dict[str, int]:
    """Record the homes the network could not connect to a category, with their households.

    For each category, homes whose ``reach__<category>`` is ``"no_path"`` (no facility of
    the category on the home's piece of the network, or none at all) become a flagged
    finding ``home_no_facility_in_piece`` and homes ``"off_network"`` (not snapped) one
    finding ``home_off_network`` (once, not per category), each with the homes' ids and
    their households summed; they reach the report and ``repairs.csv``.

    Parameters
    ----------
    homes
        The homes with ``id_column``, ``households`` and ``reach__<category>`` columns.
    categories
        The category keys to check (a missing ``reach__`` column is skipped).
    report
        Where to add the findings.
    id_column
        The homes' id column (default ``"home_id"``).

    Returns
    -------
    dict
        Households per finding, keyed ``"<kind>"`` or ``"<kind>:<category>"``.

    Examples
    --------
    >>> import pandas as pd
    >>> homes = pd.DataFrame({"home_id": ["H1", "H2", "H3"], "households": [40, 25, 7],
    ...                       "reach__clinic": ["reached", "no_path", "off_network"]})
    >>> r = ValidationReport("analysis")
    >>> record_unreached(homes, ["clinic"], r)
    {'home_no_facility_in_piece:clinic': 25, 'home_off_network': 7}
    >>> [(f.kind, f.rows, f.households) for f in r.findings]
    [('home_no_facility_in_piece', ('H2',), 25.0), ('home_off_network', ('H3',), 7.0)]
    """
    out: dict[str, int] = {}
    off = pd.Series(False, index=homes.index)
    for cat in categories:
        col = f"reach__{cat}"
        if col not in homes.columns:
            continue
        status = homes[col].astype("string")
        off |= (status == "off_network").fillna(False).to_numpy()
        none = homes[(status == "no_path").fillna(False).to_numpy()]
        if len(none):
            report.add_records(
                UNREACHED_KINDS["no_path"],
                "flagged",
                none,
                id_column=id_column,
                column=col,
                detail=f"no facility of '{cat}' on the piece of the walking network these "
                "homes are on (or none at all): counted as not covered",
            )
            out[f"{UNREACHED_KINDS['no_path']}:{cat}"] = int(none["households"].sum())
    if off.any():
        report.add_records(
            UNREACHED_KINDS["off_network"],
            "flagged",
            homes[off.to_numpy()],
            id_column=id_column,
            column="geometry",
            detail="home could not be placed on the walking network: counted as not covered",
        )
        out[UNREACHED_KINDS["off_network"]] = int(homes.loc[off.to_numpy(), "households"].sum())
    return out


def check_conservation(
    communities: pd.DataFrame, homes: pd.DataFrame, comm_ind: pd.DataFrame | None = None
) -> None:
    """Households in = households on homes = covered + underserved + off the network.

    The one invariant check of the package, run at each stage that moves
    households: after spreading them over homes (:mod:`coverage15.homes`), after
    counting them per community (:mod:`coverage15.indicators`) and at the end of
    :func:`coverage15.analyze`. Per community and in total; any difference raises
    :class:`~coverage15.ConservationError` (never a warning: a lost household is
    a wrong number in a planning report).

    Parameters
    ----------
    communities
        The input communities, with ``community_id`` and ``households``.
    homes
        The homes the households were spread over, with ``community_id`` and
        ``households``.
    comm_ind
        Community indicators with ``community_id``, ``hh_covered_all``,
        ``hh_underserved`` and ``hh_off_network`` (missing counts are taken as 0);
        None (the default) checks the homes only.

    Raises
    ------
    ConservationError
        When a community's households in, on homes and reported differ, or the
        totals do.

    Examples
    --------
    >>> c = pd.DataFrame({"community_id": ["A"], "households": [10]})
    >>> h = pd.DataFrame({"community_id": ["A", "A"], "households": [6, 4]})
    >>> ok = pd.DataFrame({"community_id": ["A"], "households": [10], "hh_covered_all": [7],
    ...                    "hh_underserved": [3], "hh_off_network": [0]})
    >>> check_conservation(c, h, ok)
    >>> check_conservation(c, h.assign(households=[6, 3]))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    coverage15._errors.ConservationError: ... e.g. A: 10 in, 9 on homes
    >>> check_conservation(c, h, ok.assign(hh_underserved=[2]))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    coverage15._errors.ConservationError: ... e.g. A: 10 in, 10 on homes, 9 reported ...
    """
    inn = communities.set_index("community_id")["households"].astype("int64")
    on_homes = homes.groupby("community_id")["households"].sum().reindex(inn.index, fill_value=0)
    columns = ["hh_covered_all", "hh_underserved", "hh_off_network"]
    if comm_ind is None:
        parts = pd.DataFrame(0, index=inn.index, columns=columns)
        reported = inn
    else:
        ci = comm_ind.set_index("community_id").reindex(inn.index)
        parts = ci[columns].fillna(0).astype("int64")
        reported = parts.sum(axis=1)
    bad = (on_homes != inn) | (reported != inn)
    if bad.any() or int(homes["households"].sum()) != int(inn.sum()):
        cid = bad[bad].index[0] if bad.any() else inn.index[0]
        p = parts.loc[cid]
        counted = (
            ""
            if comm_ind is None
            else f", {reported[cid]} reported ({p['hh_covered_all']} covered + "
            f"{p['hh_underserved']} underserved + {p['hh_off_network']} off the network)"
        )
        where = "" if bad.any() else " (homes outside every community)"
        raise ConservationError(
            f"households not conserved in {int(bad.sum())} community(ies){where}, e.g. {cid}: "
            f"{inn[cid]} in, {on_homes[cid]} on homes{counted}"
        )
