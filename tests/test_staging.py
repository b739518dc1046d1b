"""Staged output folders: swapped in whole, manifest.json, caches kept, failures leave no trace."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import signal
from pathlib import Path

import numpy as np
import pytest

from coverage15._errors import InputError
from coverage15.staging import MANIFEST, check_manifest, staged_folder, write_manifest


def _write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")


def _contents(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _siblings(target: Path) -> list[str]:
    return sorted(p.name for p in target.parent.iterdir())


def test_manifest_lists_every_file_with_its_hash(tmp_path: Path) -> None:
    data = tmp_path / "in" / "社区.geojson"
    data.parent.mkdir()
    data.write_bytes(b'{"type": "FeatureCollection", "features": []}')
    target = tmp_path / "out"
    with staged_folder(
        target,
        profile="leshan_2018",
        inputs=[data],
        network={"nodes": np.int64(12), "path": data, "slope": float("nan"), "t": np.zeros(3)},
    ) as stage:
        _write(stage, {"district.csv": "a\n1\n", "maps/基本.png": "png"})
    m = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    assert [f["path"] for f in m["files"]] == ["district.csv", "maps/基本.png"]
    assert m["files"][0]["sha256"] == hashlib.sha256(b"a\n1\n").hexdigest()
    assert m["files"][0]["bytes"] == 4
    assert m["inputs"] == [
        {"path": "社区.geojson", "sha256": hashlib.sha256(data.read_bytes()).hexdigest()}
    ]  # the file name only, never its folder
    assert m["profile"] == "leshan_2018"
    assert m["network"] == {"nodes": 12, "path": str(data), "slope": None, "t": "<ndarray 3>"}
    import coverage15

    assert m["version"] == coverage15.__version__
    created = dt.datetime.fromisoformat(m["created"])
    assert abs((dt.datetime.now(dt.UTC) - created).total_seconds()) < 60
    assert check_manifest(target) == []
    assert _siblings(target) == ["in", "out"]  # no staging or backup left


def test_check_manifest_finds_every_difference(tmp_path: Path) -> None:
    _write(tmp_path, {"a.csv": "1", "b.csv": "2", "cache/net.pkl": "x"})
    write_manifest(tmp_path)
    assert check_manifest(tmp_path) == []  # the cache is not listed and not checked
    (tmp_path / "a.csv").write_text("changed")
    (tmp_path / "b.csv").unlink()
    (tmp_path / "c.csv").write_text("3")
    assert check_manifest(tmp_path) == [
        "a.csv: SHA-256 differs from the manifest",
        "b.csv: listed but missing",
        "c.csv: not in the manifest",
    ]
    (tmp_path / MANIFEST).unlink()
    assert check_manifest(tmp_path)[0].endswith("no manifest")


def test_rerun_replaces_the_set_whole_and_keeps_the_cache(tmp_path: Path) -> None:
    target = tmp_path / "out"
    with staged_folder(target, profile="gb50180_2018") as stage:
        _write(stage, {"district.csv": "old", "maps/a.png": "old map"})
    _write(target, {"cache/walk.pkl": "network"})  # a network cache kept inside
    with staged_folder(target, profile="civil_affairs") as stage:
        _write(stage, {"district.csv": "new", "report.html": "new"})
    files = _contents(target)
    files.pop(MANIFEST)
    # the old map is gone (it belonged to the old set), the cache is carried over
    assert files == {"cache/walk.pkl": "network", "district.csv": "new", "report.html": "new"}
    assert json.loads((target / MANIFEST).read_text())["profile"] == "civil_affairs"
    assert check_manifest(target) == []
    assert _siblings(target) == ["out"]


@pytest.mark.parametrize("error", [RuntimeError("disk full"), KeyboardInterrupt()])
def test_a_failed_run_leaves_the_previous_set(tmp_path: Path, error: BaseException) -> None:
    target = tmp_path / "out"
    with staged_folder(target, profile="p1") as stage:
        _write(stage, {"district.csv": "old", "homes.csv": "old"})
    before = _contents(target)
    with pytest.raises(type(error)), staged_folder(target, profile="p2") as stage:
        _write(stage, {"district.csv": "new"})
        raise error
    assert _contents(target) == before
    assert _siblings(target) == ["out"]


def test_sigterm_in_the_block_cleans_up_like_ctrl_c(tmp_path: Path) -> None:
    target = tmp_path / "out"
    with staged_folder(target) as stage:
        _write(stage, {"a.csv": "old"})
    with pytest.raises(KeyboardInterrupt, match="SIGTERM"), staged_folder(target) as stage:
        _write(stage, {"a.csv": "new"})
        os.kill(os.getpid(), signal.SIGTERM)
    assert (target / "a.csv").read_text() == "old"
    assert _siblings(target) == ["out"]
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # handler restored


def test_a_signal_during_the_swap_is_delivered_after_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out"
    with staged_folder(target) as stage:
        _write(stage, {"a.csv": "old"})
    real = os.replace
    calls = []

    def replace(src, dst):  # Ctrl-C between "target -> backup" and "staging -> target"
        calls.append(Path(dst).name)
        if Path(dst).name == ".out.c15-backup":
            os.kill(os.getpid(), signal.SIGINT)
        return real(src, dst)

    monkeypatch.setattr("coverage15.staging.os.replace", replace)
    with pytest.raises(KeyboardInterrupt), staged_folder(target) as stage:
        _write(stage, {"a.csv": "new"})
    assert calls == [MANIFEST, ".out.c15-backup", "out"]  # both renames ran
    assert (target / "a.csv").read_text() == "new"  # the new complete set
    assert check_manifest(target) == []
    assert _siblings(target) == ["out"]


def test_a_run_killed_between_the_renames_is_repaired_next_time(tmp_path: Path) -> None:
    target = tmp_path / "out"
    with staged_folder(target, profile="p1") as stage:
        _write(stage, {"a.csv": "complete"})
    # SIGKILL after "target -> backup", before "staging -> target"
    os.replace(target, tmp_path / ".out.c15-backup")
    (tmp_path / ".out.c15-staging").mkdir()
    (tmp_path / ".out.c15-staging" / "a.csv").write_text("half")
    with pytest.raises(RuntimeError), staged_folder(target, profile="p2"):
        raise RuntimeError("fails again")
    assert _contents(target)["a.csv"] == "complete"
    assert check_manifest(target) == []
    assert _siblings(target) == ["out"]


def test_files_no_manifest_lists_are_never_deleted(tmp_path: Path) -> None:
    mine = tmp_path / "project"
    _write(mine, {"社区.geojson": "{}", "run.toml": "x"})
    with pytest.raises(InputError, match=r"2 file\(s\) that no coverage15 manifest lists"):
        with staged_folder(mine) as stage:
            _write(stage, {"a.csv": "1"})
    assert _contents(mine) == {"社区.geojson": "{}", "run.toml": "x"}
    assert _siblings(mine) == ["project"]
    out = tmp_path / "out"
    with staged_folder(out) as stage:
        _write(stage, {"a.csv": "1"})
    (out / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match=r"notes\.txt"), staged_folder(out):
        pass
    assert (out / "notes.txt").read_text() == "mine"
    (out / "notes.txt").unlink()
    with staged_folder(out):  # an empty new set is fine
        pass
    assert _contents(out).keys() == {MANIFEST}


def test_write_outputs_stages_the_cli_run(tmp_path: Path) -> None:
    from coverage15.batch import write_outputs
    from coverage15.datasets import sample_analysis, sample_run_config

    result = sample_analysis()
    run = sample_run_config(tmp_path / "out")
    folder = write_outputs(result, run)
    m = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    names = {f["path"] for f in m["files"]}
    assert {"communities.csv", "district.csv", "repairs.csv"} <= names
    assert names == {p.name for p in folder.iterdir() if p.name != MANIFEST}
    assert {i["path"] for i in m["inputs"]} >= {"communities.geojson", "facilities.geojson"}
    assert m["profile"] == result.profile.key
    assert check_manifest(folder) == []
    assert _siblings(folder) == ["out"]
