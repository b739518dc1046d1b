"""Exceptions raised by coverage15.

Every error about user input names the file, the row or feature and the column
involved, so a planner can find and fix the record in their GIS.
"""

from __future__ import annotations


class Coverage15Error(Exception):
    """Base class of all coverage15 errors."""


class InputError(Coverage15Error, ValueError):
    """A user's input file or table cannot be used as it is.

    Parameters
    ----------
    message
        What is wrong and how to fix it.
    source
        The file (or table name) the problem is in.
    rows
        Row / feature labels concerned (at most a few are shown).
    column
        The column concerned.
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
            more = f" (+{len(self.rows) - 10} more)" if len(self.rows) > 10 else ""
            parts.append(f"row(s) {shown}{more}")
        where = ": ".join([", ".join(parts)]) if parts else ""
        super().__init__(f"{where}: {message}" if where else message)


class NetworkError(Coverage15Error):
    """The walking network cannot be built, loaded or used."""


class ProfileError(Coverage15Error, ValueError):
    """A standard profile file is invalid."""


class OffsetWarning(UserWarning):
    """Points declared as WGS84 look shifted like GCJ-02 (Amap/Tencent) or BD-09 (Baidu) data."""


class ConservationError(Coverage15Error):
    """Households went missing or were counted twice between input, homes and results."""
