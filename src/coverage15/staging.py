"""A run's outputs appear whole or not at all: staging folder, swap, ``manifest.json``.

Each file coverage15 writes is atomic on its own (:func:`coverage15._files.atomic_path`),
but a set of files is not: a rerun interrupted half way would leave the new
``district.csv`` beside the old workbook. :func:`staged_folder` therefore has a
run write into a hidden staging folder beside the target (same parent, so the same
file system and renames are atomic), writes ``manifest.json`` there last, and then
swaps it in:

1. the target's caches (a ``cache/`` subfolder, :data:`KEEP`) are moved into the staging
   folder, so a network cache kept inside the output folder survives the rerun;
2. target → ``.<name>.c15-backup``; staging → target; the backup is removed.

SIGINT and SIGTERM are held back during these renames (and delivered right after), so the
folder is always either the previous complete set or the new complete set. On any error,
Ctrl-C or SIGTERM before the swap, the staging folder is removed and the target is left
exactly as it was. A run killed outright (SIGKILL, power cut) is repaired at the start of
the next one: a backup without its target is put back, a stale staging folder removed.

The folder is owned by coverage15: after the swap it holds exactly the files listed in its
manifest, plus the caches. A target that holds files no manifest lists (a user's own files,
or an input) is refused rather than replaced.

``manifest.json``::

    {"files": [{"path": "communities.csv", "sha256": "…", "bytes": 1234}, …],
     "profile": "leshan_2018", "version": "0.1.0",
     "inputs": [{"path": "communities.geojson", "sha256": "…"}, …],
     "network": {…}, "created": "2026-01-01T00:00:00+00:00"}

``files`` lists every file of the folder (``/``-separated paths relative to it) except
the manifest itself and the caches; ``inputs`` gives input file names only (no folders, so
a manifest can be shared without revealing where data lives).

Examples
--------
>>> import tempfile, pathlib
>>> target = pathlib.Path(tempfile.mkdtemp()) / "out"
>>> with staged_folder(target, profile="gb50180_2018") as stage:
...     _ = (stage / "district.csv").write_text("a,b\\n1,2\\n")
>>> sorted(p.name for p in target.iterdir())
['district.csv', 'manifest.json']
>>> check_manifest(target)
[]
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import math
import os
import shutil
import signal
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from coverage15._errors import InputError

__all__ = ["KEEP", "MANIFEST", "check_manifest", "staged_folder", "write_manifest"]

MANIFEST = "manifest.json"
#: entries of an output folder carried over from one run to the next and left out of the
#: manifest (caches, not results)
KEEP: tuple[str, ...] = ("cache",)
_STAGING = ".{}.c15-staging"
_BACKUP = ".{}.c15-backup"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _listed(folder: Path, keep: Iterable[str]) -> list[Path]:
    """Every file under ``folder`` except the manifest and the kept entries, sorted."""
    keep = set(keep)
    out = []
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        if rel.parts[0] in keep or rel.as_posix() == MANIFEST or p.is_dir():
            continue
        out.append(p)
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and getattr(value, "shape", None) == ():  # numpy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    shape = getattr(value, "shape", None)
    if shape is not None and len(shape) > 0:  # frames, arrays: a summary, not the data
        return f"<{type(value).__name__} {'x'.join(str(n) for n in shape)}>"
    return str(value)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("coverage15")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        import coverage15

        return coverage15.__version__


def write_manifest(
    folder: str | os.PathLike,
    *,
    profile: str | None = None,
    inputs: Iterable[str | os.PathLike] = (),
    network: Mapping[str, Any] | None = None,
    keep: Iterable[str] = KEEP,
) -> dict[str, Any]:
    """Write ``manifest.json`` listing every file of ``folder`` with its SHA-256.

    Parameters
    ----------
    folder
        The folder whose files are listed (the manifest goes into it).
    profile
        The standard profile's key.
    inputs
        The input files; recorded by file name and SHA-256 (a missing file gets
        ``"sha256": null``).
    network
        What describes the walking network (e.g. an analysis's ``network_record``);
        values that are not JSON are written as text.
    keep
        Top-level entries left out of the listing (caches; default :data:`KEEP`).

    Returns
    -------
    dict
        The manifest as written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "a.txt").write_text("x")
    >>> m = write_manifest(d, profile="civil_affairs")
    >>> [f["path"] for f in m["files"]], m["files"][0]["sha256"][:12]
    (['a.txt'], '2d711642b726')
    """
    folder = Path(folder)
    files = [
        {
            "path": p.relative_to(folder).as_posix(),
            "sha256": _sha256(p),
            "bytes": p.stat().st_size,
        }
        for p in _listed(folder, keep)
    ]
    ins = []
    for p in inputs:
        p = Path(p)
        ins.append({"path": p.name, "sha256": _sha256(p) if p.is_file() else None})
    manifest = {
        "files": files,
        "profile": profile,
        "version": _version(),
        "inputs": ins,
        "network": _jsonable(dict(network or {})),
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
    }
    tmp = folder / f".{MANIFEST}.part"
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, folder / MANIFEST)
    return manifest


def check_manifest(folder: str | os.PathLike, *, keep: Iterable[str] = KEEP) -> list[str]:
    """Differences between a folder and its ``manifest.json`` (empty: they match).

    Parameters
    ----------
    folder
        An output folder.
    keep
        Top-level entries not checked (caches; default :data:`KEEP`).

    Returns
    -------
    list of str
        One line per problem: no manifest, a listed file missing or with another
        SHA-256, a file the manifest does not list.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = write_manifest(d)
    >>> _ = (d / "stray.csv").write_text("x")
    >>> check_manifest(d)
    ['stray.csv: not in the manifest']
    """
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.is_file():
        return [f"{path}: no manifest"]
    manifest = json.loads(path.read_text(encoding="utf-8"))
    problems = []
    listed = set()
    for f in manifest["files"]:
        listed.add(f["path"])
        p = folder / f["path"]
        if not p.is_file():
            problems.append(f"{f['path']}: listed but missing")
        elif _sha256(p) != f["sha256"]:
            problems.append(f"{f['path']}: SHA-256 differs from the manifest")
    for p in _listed(folder, keep):
        rel = p.relative_to(folder).as_posix()
        if rel not in listed:
            problems.append(f"{rel}: not in the manifest")
    return problems


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises KeyboardInterrupt (so cleanup runs) like Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)
    if previous not in (signal.SIG_DFL, None):  # someone else handles it: leave it alone
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt("terminated (SIGTERM)")

    signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT/SIGTERM back during the block; deliver them (KeyboardInterrupt) after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    for s in saved:
        signal.signal(s, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        for s, h in saved.items():
            signal.signal(s, h)
    if received:
        raise KeyboardInterrupt(f"signal {received[0]} received while swapping in the outputs")


def _move_kept(src: Path, dst: Path, keep: Iterable[str]) -> list[str]:
    moved = []
    for name in keep:
        if (src / name).exists() and not (dst / name).exists():
            os.replace(src / name, dst / name)
            moved.append(name)
    return moved


def _recover(target: Path, keep: Iterable[str]) -> None:
    """Repair what a run killed outright (SIGKILL, power cut) left beside ``target``."""
    staging = target.parent / _STAGING.format(target.name)
    backup = target.parent / _BACKUP.format(target.name)
    if backup.exists():
        if target.exists():  # the swap was done; only the backup's removal was lost
            shutil.rmtree(backup)
        else:  # killed between the two renames: the previous set comes back
            if staging.exists():
                _move_kept(staging, backup, keep)
            os.replace(backup, target)
    if staging.exists():
        if target.exists():
            _move_kept(staging, target, keep)
        shutil.rmtree(staging)


def _check_owned(target: Path, keep: Iterable[str]) -> None:
    """Refuse to replace a folder holding files that no coverage15 manifest lists."""
    if not target.exists():
        return
    if not target.is_dir():
        raise InputError("the output folder is a file; choose a folder", source=str(target))
    listed: set[str] = set()
    if (target / MANIFEST).is_file():
        try:
            manifest = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
            listed = {f["path"] for f in manifest["files"]}
        except (ValueError, KeyError, TypeError):
            listed = set()
    foreign = [
        p.relative_to(target).as_posix()
        for p in _listed(target, keep)
        if p.relative_to(target).as_posix() not in listed
    ]
    if foreign:
        more = f" (+{len(foreign) - 10} more)" if len(foreign) > 10 else ""
        shown = ", ".join(foreign[:10]) + more
        raise InputError(
            f"the output folder holds {len(foreign)} file(s) that no coverage15 manifest lists "
            f"({shown}); a run replaces its output folder whole, so these would be lost. Move "
            "them, or choose a new or empty output folder (outputs of a coverage15 version "
            "without manifest.json: delete the folder)",
            source=str(target),
        )


@contextlib.contextmanager
def staged_folder(
    target: str | os.PathLike,
    *,
    profile: str | None = None,
    inputs: Iterable[str | os.PathLike] = (),
    network: Mapping[str, Any] | None = None,
    keep: Iterable[str] = KEEP,
) -> Iterator[Path]:
    """Write a run's outputs into a staging folder, then swap it in for ``target`` whole.

    Parameters
    ----------
    target
        The output folder (created, with its parents, if missing).
    profile, inputs, network
        Recorded in ``manifest.json`` (see :func:`write_manifest`).
    keep
        Top-level entries of ``target`` carried over into the new folder and left out of
        the manifest (default :data:`KEEP`: ``cache``).

    Yields
    ------
    pathlib.Path
        The staging folder (``<parent>/.<name>.c15-staging``, empty) to write into.

    Raises
    ------
    InputError
        ``target`` is a file, or holds files no manifest lists (they would be lost).
    KeyboardInterrupt
        Ctrl-C or SIGTERM (turned into KeyboardInterrupt in the main thread while the block
        runs, unless a SIGTERM handler is installed already); the staging folder is removed
        first and ``target`` left as it was.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out"
    >>> with staged_folder(target) as stage:
    ...     _ = (stage / "a.csv").write_text("first run")
    >>> try:
    ...     with staged_folder(target) as stage:
    ...         _ = (stage / "a.csv").write_text("second run, half written")
    ...         raise RuntimeError("disk full")
    ... except RuntimeError:
    ...     pass
    >>> (target / "a.csv").read_text(), sorted(p.name for p in target.parent.iterdir())
    ('first run', ['out'])
    """
    target = Path(target).absolute()
    keep = tuple(keep)
    target.parent.mkdir(parents=True, exist_ok=True)
    _recover(target, keep)
    _check_owned(target, keep)
    staging = target.parent / _STAGING.format(target.name)
    backup = target.parent / _BACKUP.format(target.name)
    with _sigterm_as_interrupt():
        try:
            staging.mkdir()
            yield staging
            write_manifest(staging, profile=profile, inputs=inputs, network=network, keep=keep)
            with _signals_held():
                _swap(staging, target, backup, keep)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise


def _swap(staging: Path, target: Path, backup: Path, keep: tuple[str, ...]) -> None:
    """Caches into the staging folder, target -> backup, staging -> target, drop the backup."""
    try:
        if target.exists():
            moved = _move_kept(target, staging, keep)
            try:
                os.replace(target, backup)
            except BaseException:
                _move_kept(staging, target, moved)
                raise
        os.replace(staging, target)
    except BaseException:
        if backup.exists() and not target.exists():
            os.replace(backup, target)
            _move_kept(staging, target, keep)
        raise
    shutil.rmtree(backup, ignore_errors=True)
