"""The command line against the same work through the Python API (issue 16 item 4).

On the Beijing CAU extract (``../shared/data/osm/beijing_haidian_cau_2026.osm.bz2``):
communities are the extract's residential compounds (households assumed at 100 per
hectare, as the docs' images do), facilities come from its OSM tags
(:func:`coverage15.load_facilities_osm`), the network from the file with its gated
compounds from OSM (``compounds = "osm"``), and the outputs are everything a run
writes (tables in every format, maps, web map, HTML/Word/PDF report).

Both sides run in fresh processes on a warm cache (one run first fills it):
``python -m coverage15 run CONFIG`` against a script that does the same through
the API (``load_config`` → ``analyze_district`` → ``write_outputs``). Prints both
and writes ``docs/performance-cli.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CAU = Path(__file__).resolve().parents[1] / "../shared/data/osm/beijing_haidian_cau_2026.osm.bz2"

API = """
import sys
from coverage15.batch import analyze_district, write_outputs
from coverage15.config import load_config
run = load_config(sys.argv[1])
write_outputs(analyze_district(run), run)
"""


def _inputs(folder: Path) -> Path:
    """Communities, facilities and a run config for the CAU extract; returns the config."""
    import coverage15 as c15
    from coverage15.barriers import compounds_from_osm

    compounds, _ = compounds_from_osm(CAU)
    metric = compounds.to_crs(compounds.estimate_utm_crs())
    communities = compounds[["geometry"]].copy()
    communities["community_id"] = [f"C{i + 1:02d}" for i in range(len(compounds))]
    communities["name"] = compounds["name"].astype(str).to_numpy()
    communities["households"] = (metric.area / 10_000 * 100).round().clip(lower=1).astype(int)
    communities.to_file(folder / "communities.gpkg")
    facilities = c15.load_facilities_osm(CAU)
    keep = ["facility_id", "name", "category", "floor_area_m2", "geometry"]
    facilities[keep].to_file(folder / "facilities.gpkg")
    config = folder / "run.toml"
    config.write_text(
        f"""
[inputs.communities]
path = "communities.gpkg"

[inputs.facilities]
path = "facilities.gpkg"

[network]
source = "{CAU.resolve()}"
cache_dir = "cache"

[analysis]
profile = "leshan_2018"
compounds = "osm"

[outputs]
folder = "out"
maps = true
report = true
""",
        encoding="utf-8",
    )
    return config


def _time(cmd: list[str], cwd: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, default=Path("docs/performance-cli.json"))
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args(argv)
    if not CAU.exists():
        print(f"skipped: {CAU} not found")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        config = _inputs(folder)
        script = folder / "api.py"
        script.write_text(API, encoding="utf-8")
        cli = [sys.executable, "-m", "coverage15", "--no-progress", "run", str(config)]
        api = [sys.executable, str(script), str(config)]
        first = _time(cli, folder)  # fills the network, compound and snap caches
        cli_s, api_s = [], []
        for _ in range(args.repeat):
            cli_s.append(_time(cli, folder))
            api_s.append(_time(api, folder))
    row = {
        "extract": CAU.name,
        "first_cli_run_s": round(first, 2),
        "cli_s": round(statistics.median(cli_s), 2),
        "api_s": round(statistics.median(api_s), 2),
        "ratio": round(statistics.median(cli_s) / statistics.median(api_s), 3),
        "repeat": args.repeat,
    }
    print(
        f"CAU, warm cache, median of {args.repeat}: CLI {row['cli_s']} s, API {row['api_s']} s "
        f"= {row['ratio']}x (first CLI run {row['first_cli_run_s']} s)"
    )
    args.out.write_text(json.dumps(row, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
