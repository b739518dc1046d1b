"""Interrupted runs: SIGINT / SIGTERM sent to a real ``coverage15 run`` while it writes.

After each signal the output folder must match its manifest (every listed file there with
that SHA-256, no unlisted file) and be either the previous complete set or the new complete
set, with no staging or backup folder left beside it.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coverage15.staging import MANIFEST, check_manifest
from test_cli import _run_config

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals")

ROOT = Path(__file__).resolve().parents[1]


def _start(config: Path, profile: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.Popen(
        [sys.executable, "-m", "coverage15", "run", str(config), "--profile", profile],
        cwd=config.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _visible(folder: Path) -> int:
    """Finished files in the staging folder (hidden ``.part`` files not counted)."""
    if not folder.is_dir():
        return -1
    try:
        return sum(1 for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    except FileNotFoundError:
        return -1


def _manifest(folder: Path) -> dict:
    return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))


def _interrupt(proc: subprocess.Popen, staging: Path, sig: int, when: tuple) -> str:
    """Send ``sig`` at the point ``when`` describes; return where it was sent."""
    kind, value = when
    t0 = time.monotonic()
    while proc.poll() is None and time.monotonic() - t0 < 120:
        if kind == "delay" and time.monotonic() - t0 >= value:
            break
        n = _visible(staging)
        if kind == "staging" and n >= 0:
            time.sleep(value)
            break
        if kind == "files" and n >= value:
            break
        if kind == "manifest" and (staging / MANIFEST).exists():
            break
        time.sleep(0.002)
    seen = _visible(staging)
    if proc.poll() is None:
        proc.send_signal(sig)
    return f"{kind}={value}: {seen} file(s) in staging"


def test_signals_while_writing_leave_a_complete_set(tmp_path: Path) -> None:
    config = _run_config(tmp_path)
    out = tmp_path / "out" / "run"
    staging = out.parent / ".run.c15-staging"
    backup = out.parent / ".run.c15-backup"
    first = _start(config, "leshan_2018")
    _, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    assert check_manifest(out) == []
    complete = {"leshan_2018": _manifest(out)["files"]}
    rng = random.Random(19)
    points = [
        ("staging", 0.0),
        ("files", 2),
        ("files", 5),
        ("manifest", 0),  # manifest.json written: the swap is under way
        ("staging", rng.uniform(0.0, 0.3)),
        ("delay", rng.uniform(0.5, 3.0)),
    ]
    interrupted = 0
    outcomes = []
    for i, when in enumerate(points * 2):
        sig = signal.SIGINT if i % 2 == 0 else signal.SIGTERM
        profile = ("gb50180_2018", "leshan_2018")[i % 2]
        before = _manifest(out)
        proc = _start(config, profile)
        where = _interrupt(proc, staging, sig, when)
        _, err = proc.communicate(timeout=300)
        # interrupted (130: the CLI's KeyboardInterrupt; SIGTERM before the staging step:
        # killed by the default action), or finished before the signal arrived
        assert proc.returncode in (0, 130, -signal.SIGTERM), (where, proc.returncode, err)
        if proc.returncode == 130:
            assert "interrupted" in err
        assert "Traceback" not in err, err
        assert check_manifest(out) == [], (where, proc.returncode)
        assert not staging.exists() and not backup.exists(), where
        now = _manifest(out)
        if proc.returncode == 0:
            assert now["profile"] == profile
            complete[profile] = now["files"]
        else:
            interrupted += 1
            if when[0] == "manifest" and now != before:  # held until the swap was done
                assert now["profile"] == profile
                complete[profile] = now["files"]
            else:
                assert now == before, where  # the previous set, untouched
        assert now["files"] == complete[now["profile"]]
        outcomes.append((signal.Signals(sig).name, where, proc.returncode))
    print(*outcomes, sep="\n")
    # the points were chosen inside the writing: most runs must really be interrupted
    assert interrupted >= len(outcomes) - 2, outcomes
    assert (out.parent / "cache").is_dir()  # the network cache beside it survives
