"""Safe file writing: a file is either complete or untouched.

Examples
--------
>>> import tempfile, pathlib
>>> target = pathlib.Path(tempfile.mkdtemp()) / "note.txt"
>>> with atomic_path(target) as tmp:
...     _ = tmp.write_text("done")
>>> target.read_text()
'done'
"""

from __future__ import annotations

import contextlib
import os
import pickle
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from coverage15._errors import InputError

__all__ = ["atomic_path", "atomic_pickle", "same_file"]


def same_file(a: Path, b: Path) -> bool:
    """Whether two paths name the same file (resolved paths when either is missing).

    Parameters
    ----------
    a, b
        The two paths.

    Returns
    -------
    bool
        True when both exist and are the same file, or when their resolved
        paths are equal.

    Examples
    --------
    >>> from pathlib import Path
    >>> same_file(Path("a/../b.csv"), Path("b.csv"))
    True
    """
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:  # pragma: no cover - permissions
        pass
    return a.resolve() == b.resolve()


@contextlib.contextmanager
def atomic_path(
    path: str | os.PathLike, *, protect: Iterable[str | os.PathLike] = ()
) -> Iterator[Path]:
    """A temporary path beside ``path``, renamed onto it when the block succeeds.

    On any error in the block the temporary file (and SQLite side files) is
    removed and ``path`` is left as it was: a complete older file or nothing.

    Parameters
    ----------
    path
        The final file.
    protect
        Files that must never be overwritten (the inputs): ``path`` being one
        of them raises :class:`~coverage15.InputError`.

    Yields
    ------
    pathlib.Path
        The temporary path to write to: hidden (``.<stem>.<random>.part<suffix>``),
        in ``path``'s folder (created if needed), with ``path``'s suffix, and not
        yet existing. The block must create it, else :class:`OSError` is raised.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "table.csv"
    >>> try:
    ...     with atomic_path(target) as tmp:
    ...         _ = tmp.write_text("half a tab")
    ...         raise RuntimeError("disk full")
    ... except RuntimeError:
    ...     pass
    >>> target.exists(), list(target.parent.iterdir())
    (False, [])
    """
    path = Path(path)
    for p in protect:
        if same_file(path, Path(p)):
            raise InputError(
                "refusing to overwrite an input file; choose another output folder",
                source=str(path),
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    # hidden, marked as partial, but with the final suffix (GDAL checks it)
    fd, name = tempfile.mkstemp(
        prefix=f".{path.stem}.", suffix=f".part{path.suffix}", dir=path.parent
    )
    os.close(fd)
    os.unlink(name)  # writers create it themselves (GDAL refuses an existing empty file)
    tmp = Path(name)
    try:
        yield tmp
        if not tmp.exists():
            raise OSError(f"nothing was written to {path}")
        os.replace(tmp, path)
    finally:
        for leftover in (tmp, *(Path(f"{tmp}{s}") for s in ("-journal", "-wal", "-shm"))):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


def atomic_pickle(obj: object, path: str | os.PathLike[str]) -> None:
    """Pickle ``obj`` to ``path`` atomically (a cache file is whole or absent).

    Parameters
    ----------
    obj
        Anything picklable.
    path
        The file to write.

    Examples
    --------
    >>> import pickle, tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "x.pkl"
    >>> atomic_pickle({"a": 1}, target)
    >>> pickle.loads(target.read_bytes())
    {'a': 1}
    """
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        pickle.dump(obj, fh, protocol=pickle.HIGHEST_PROTOCOL)
