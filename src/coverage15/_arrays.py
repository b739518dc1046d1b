"""Small numpy idioms shared by the engine modules (private module, public names).

Each helper replaces an idiom that used to be written out inline in several
places (the "ragged arange", the first row of each run of sorted keys, CSR row
pointers from counts) and pausing the garbage collector while creating many
small objects.

Examples
--------
>>> import numpy as np
>>> ragged_arange(np.array([2, 0, 3]), np.array([10, 0, 5])).tolist()
[10, 11, 5, 6, 7]
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

__all__ = ["gc_paused", "offsets_from_counts", "ragged_arange", "run_starts"]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while creating many small objects.

    With a large networkx graph in memory, each automatic collection rescans
    millions of objects: creating 1e5 geometries can take 10× longer. The
    collector is enabled again on leaving the block (also on an error) if it was
    enabled before.

    Examples
    --------
    >>> import gc
    >>> with gc_paused():
    ...     inside = gc.isenabled()
    >>> inside, gc.isenabled()
    (False, True)
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def ragged_arange(counts: np.ndarray, starts: np.ndarray | None = None) -> np.ndarray:
    """Concatenated ranges ``starts[i], starts[i] + 1, …, starts[i] + counts[i] - 1``.

    The vectorised form of ``np.concatenate([np.arange(s, s + c) for s, c in
    zip(starts, counts)])``: ``np.repeat(starts - offsets, counts) + arange(total)``.

    Parameters
    ----------
    counts
        Length of each range (non-negative integers).
    starts
        First value of each range (default 0: positions within each group).

    Returns
    -------
    numpy.ndarray
        int64, ``counts.sum()`` values.

    Examples
    --------
    >>> import numpy as np
    >>> ragged_arange(np.array([3, 1, 2])).tolist()
    [0, 1, 2, 0, 0, 1]
    """
    counts = np.asarray(counts, dtype=np.int64)
    first = np.cumsum(counts) - counts  # where each range starts in the output
    base = -first if starts is None else np.asarray(starts, dtype=np.int64) - first
    return np.repeat(base, counts) + np.arange(int(counts.sum()), dtype=np.int64)


def offsets_from_counts(counts: np.ndarray) -> np.ndarray:
    """Row pointers (``len(counts) + 1``, starting at 0) of groups of the given sizes.

    Parameters
    ----------
    counts
        Size of each group, in order.

    Returns
    -------
    numpy.ndarray
        int64 ``[0, c0, c0 + c1, …]``: group ``i`` is ``[out[i], out[i + 1])``.

    Examples
    --------
    >>> import numpy as np
    >>> offsets_from_counts(np.array([2, 0, 3])).tolist()
    [0, 2, 2, 5]
    """
    out = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=out[1:])
    return out


def run_starts(*keys: np.ndarray) -> np.ndarray:
    """Boolean mask of the first row of each run of equal keys (rows already sorted).

    Parameters
    ----------
    *keys
        Equal-length arrays; a new run starts where any of them changes.

    Returns
    -------
    numpy.ndarray
        bool, True at the first row of each run (always at row 0).

    Examples
    --------
    >>> import numpy as np
    >>> run_starts(np.array([1, 1, 2, 2]), np.array([5, 6, 6, 6])).tolist()
    [True, True, True, False]
    """
    n = len(keys[0])
    first = np.ones(n, dtype=bool)
    if n > 1:
        change = np.zeros(n - 1, dtype=bool)
        for k in keys:
            change |= k[1:] != k[:-1]
        first[1:] = change
    return first
