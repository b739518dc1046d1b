"""Batch throughput with 1 and 2 local worker processes (``make bench`` runs it).

Runs the bundled sample district four times (four profiles, tables only) through
:func:`coverage15.batch.run_batch`, once with ``workers=1`` and once with
``workers=2``, after one warm-up run that fills the network cache. Prints
districts per minute and the speed-up; appends the figures to the JSON file.
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
from coverage15.sample import sample_path

PROFILES = ["gb50180_2018", "civil_affairs", "leshan_2018", "mofcom_15min"]


def runs(folder: Path) -> list[RunConfig]:
    base = RunConfig(
        name="sample",
        inputs={
            "communities": {"path": str(sample_path("communities.geojson"))},
            "facilities": {"path": str(sample_path("facilities.geojson"))},
            "buildings": {"path": str(sample_path("buildings.geojson"))},
        },
        network={"source": str(sample_path("walk_network.osm")), "cache_dir": str(folder)},
        formats=("csv",),
        maps=False,
        report=False,
    )
    return [
        dataclasses.replace(base, name=p, profile=p, output_folder=folder / p) for p in PROFILES
    ]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, default=Path("docs/performance-batch.json"))
    args = p.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        run_batch(runs(folder)[:1])  # warm-up: network cache, imports
        for workers in (1, 2):
            t0 = time.perf_counter()
            summary = run_batch(runs(folder / f"w{workers}"), workers=workers)
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
    speedup = rows[0]["seconds"] / rows[1]["seconds"]
    print(f"speed-up with 2 workers: {speedup:.2f}× on {os.cpu_count()} CPU(s)")
    args.out.write_text(json.dumps({"rows": rows, "speedup": speedup}, indent=1), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
