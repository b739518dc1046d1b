"""The command line end to end on the sample (subprocesses, as a planner runs it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from coverage15.cli import main
from coverage15.sample import sample_path

ROOT = Path(__file__).resolve().parents[1]


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "coverage15", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
        timeout=300,
    )


def _run_config(tmp_path: Path, profile: str = "leshan_2018", **extra: str) -> Path:
    s = sample_path
    text = f"""
[district]
name = "市中区样例"
[inputs.communities]
path = "{s("communities.geojson").as_posix()}"
[inputs.facilities]
path = "{s("facilities.geojson").as_posix()}"
[inputs.buildings]
path = "{s("buildings.geojson").as_posix()}"
[network]
source = "{s("walk_network.osm").as_posix()}"
cache_dir = "cache"
[analysis]
profile = "{profile}"
[outputs]
folder = "out"
formats = ["csv", "gpkg"]
maps = {extra.get("maps", "false")}
report = true
"""
    path = tmp_path / "run.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_demo_command_writes_tables(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    r = cli("--lang", "en", "demo", "--no-maps", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "Worst communities" in r.stdout
    communities = pd.read_csv(out / "communities.csv", encoding="utf-8-sig")
    assert communities.iloc[:, 0].size == 10
    assert "Traceback" not in r.stderr


def test_run_config_then_rerun_uses_the_network_cache(tmp_path: Path, capsys) -> None:
    cfg = _run_config(tmp_path)
    assert main(["run", str(cfg)]) == 0
    first = capsys.readouterr().out
    assert "市中区样例: 10 communities, 25,720 households" in first
    written = {p.name for p in (tmp_path / "out").iterdir()}
    assert {"communities.csv", "coverage15_results.gpkg", "report.html"} <= written
    assert len(list((tmp_path / "cache").glob("walk-*.pkl"))) == 1
    # a new profile: same network key, loaded from the cache, not rebuilt
    cfg2 = _run_config(tmp_path, profile="gb50180_2018")
    from coverage15.batch import district_network
    from coverage15.config import load_config
    from coverage15.io import load_communities

    run = load_config(cfg2)
    net = run.network
    from coverage15.network import build_walk_network

    G = build_walk_network(net["source"], cache_dir=net["cache_dir"])
    assert "from_cache" in G.graph["coverage15"]
    assert district_network(run, load_communities(sample_path("communities.geojson"))).n_nodes > 0


def test_validate_names_the_broken_file(tmp_path: Path) -> None:
    bad = tmp_path / "社区.csv"
    bad.write_text("name,户数,lon,lat\n甲,abc,103.76,29.55\n", encoding="utf-8")
    r = cli("validate", "--communities", str(bad))
    assert r.returncode == 1
    assert "社区.csv" in r.stderr
    assert "Traceback" not in r.stderr
    ok = cli("validate", "--communities", str(sample_path("communities.geojson")))
    assert ok.returncode == 0, ok.stderr


def test_profiles_and_usage_errors() -> None:
    r = cli("profiles")
    assert r.returncode == 0
    for key in ("gb50180_2018", "civil_affairs", "leshan_2018", "mofcom_15min"):
        assert key in r.stdout
    shown = cli("--lang", "zh", "profiles", "leshan_2018")
    assert shown.returncode == 0 and "乐山" in shown.stdout
    assert cli("profiles", "no_such_profile").returncode == 1
    assert cli("frobnicate").returncode == 2  # argparse usage error
    assert "exit codes" in cli("--help").stdout


def test_missing_config_is_a_clear_error(tmp_path: Path) -> None:
    r = cli("run", str(tmp_path / "nope.toml"))
    assert r.returncode == 1
    assert "nope.toml" in r.stderr and "config file not found" in r.stderr
    with pytest.raises(Exception, match="config file not found"):
        main(["--debug", "run", str(tmp_path / "nope.toml")])


def test_run_config_with_barriers_and_compounds(tmp_path: Path) -> None:
    import geopandas as gpd

    from coverage15.batch import run_district
    from coverage15.config import load_config

    comm = gpd.read_file(sample_path("communities.geojson"))
    site = comm.to_crs(32648).geometry.iloc[0].centroid.buffer(120)  # a construction site
    gpd.GeoSeries([site], crs=32648).to_crs(4326).to_file(tmp_path / "closed.geojson")
    cfg = _run_config(tmp_path)
    text = cfg.read_text(encoding="utf-8").replace(
        '[analysis]\nprofile = "leshan_2018"',
        '[analysis]\nprofile = "leshan_2018"\nbarriers = "closed.geojson"\ncompounds = "osm"',
    )
    cfg.write_text(text, encoding="utf-8")
    run = load_config(cfg)
    assert run.compounds == "osm" and run.barriers == str(tmp_path / "closed.geojson")
    outcome = run_district(run)
    assert outcome.ok, outcome.error
    assert outcome.households == 25_720
    plain_dir = tmp_path / "plain"
    plain_dir.mkdir()
    plain = run_district(load_config(_run_config(plain_dir)))
    key = "share_households_covered_all"
    assert outcome.indicators[key] <= plain.indicators[key]  # closing streets never helps
