"""Batch throughput with 1 and 2 local worker processes (``make bench`` runs it).

Runs the bundled sample district 8 and 16 times (four profiles, repeated; tables
only) through :func:`coverage15.batch.run_batch`, with ``workers=1`` and with
``workers=2``, after one warm-up run that fills the network cache (every run
uses that cache, as a real batch over the districts of one city does). Worker
processes start fresh (forkserver), a fixed cost per batch that larger batches
repay; prints the speed-up per batch size and writes the figures to JSON.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from coverage15.batch import run_batch
from coverage15.config import RunConfig
from coverage15.datasets import sample_path

PROFILES = ["gb50180_2018", "civil_affairs", "leshan_2018", "mofcom_15min"]


def runs(folder: Path, cache: Path, repeat: int = 2) -> list[RunConfig]:
    """Each profile ``repeat`` times, outputs under ``folder``, the network cache in ``cache``."""
    base = RunConfig(
        name="sample",
        inputs={
            "communities": {"path": str(sample_path("communities.geojson"))},
            "facilities": {"path": str(sample_path("facilities.geojson"))},
            "buildings": {"path": str(sample_path("buildings.geojson"))},
        },
        network={"source": str(sample_path("walk_network.osm")), "cache_dir": str(cache)},
        formats=("csv",),
        maps=False,
        report=False,
    )
    return [
        dataclasses.replace(base, name=f"{p}-{i}", profile=p, output_folder=folder / f"{p}-{i}")
        for i in range(repeat)
        for p in PROFILES
    ]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, default=Path("docs/performance-batch.json"))
    args = p.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cache = folder / "cache"
        run_batch(runs(folder / "warm", cache)[:1])  # warm-up: network cache, imports
        for workers in (1, 2):
            for repeat in (2, 4):
                t0 = time.perf_counter()
                batch = runs(folder / f"w{workers}-{repeat}", cache, repeat)
                summary = run_batch(batch, workers=workers)
                seconds = time.perf_counter() - t0
                assert summary["ok"].all(), summary["error"].tolist()
                rows.append(
                    {
                        "workers": workers,
                        "districts": len(summary),
                        "seconds": round(seconds, 2),
                        "districts_per_minute": round(60 * len(summary) / seconds, 2),
                    }
                )
                print(rows[-1], flush=True)
    speedup = {
        n: next(r for r in rows if r["workers"] == 1 and r["districts"] == n)["seconds"]
        / next(r for r in rows if r["workers"] == 2 and r["districts"] == n)["seconds"]
        for n in sorted({r["districts"] for r in rows})
    }
    for n, x in speedup.items():
        print(f"{n} districts: 2 workers on {os.cpu_count()} CPU(s) {x:.2f}× faster than 1")
    args.out.write_text(
        json.dumps({"rows": rows, "speedup_by_districts": speedup}, indent=1), "utf-8"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
