"""The command line end to end on the sample (subprocesses, as a planner runs it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from coverage15 import cli
from coverage15.cli import EXIT_ERROR, EXIT_OK, EXIT_USAGE, main
from coverage15.config import load_batch_config, load_config
from coverage15.datasets import sample_path

ROOT = Path(__file__).resolve().parents[1]
PROGRESS_BAR = "%|"  # tqdm's bar


def cli_run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """``python -m coverage15 ...`` in a subprocess (stderr is not a terminal)."""
    return subprocess.run(
        [sys.executable, "-m", "coverage15", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
        timeout=300,
    )


def _run_config(folder: Path, *, profile: str = "leshan_2018", maps: bool = False) -> Path:
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
[analysis]
profile = "{profile}"
[outputs]
folder = "out/run"
formats = ["csv", "gpkg"]
maps = {str(maps).lower()}
report = true
"""
    path = folder / "run.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_help_and_usage_errors() -> None:
    r = cli_run("--help")
    assert r.returncode == EXIT_OK
    for line in ("exit codes", "0    done", "1    bad input", "2    wrong", "3    batch"):
        assert line in r.stdout
    for command in ("run", "batch", "demo", "profiles", "validate"):
        assert command in r.stdout
    usage = cli_run("frobnicate")
    assert usage.returncode == EXIT_USAGE and "usage:" in usage.stderr
    assert main([]) == EXIT_USAGE  # no command
    assert main(["batch", "x.toml", "--workers", "0"]) == EXIT_USAGE
    assert main(["validate"]) == EXIT_USAGE


def test_demo_without_maps(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    r = cli_run("--lang", "en", "demo", "--no-maps", "--out", str(out))
    assert r.returncode == EXIT_OK, r.stderr
    assert "Worst communities" in r.stdout and "households 25,720" in r.stdout
    assert "Traceback" not in r.stderr
    assert PROGRESS_BAR not in r.stderr  # not a terminal: no progress bars unless asked
    communities = pd.read_csv(out / "communities.csv", encoding="utf-8-sig")
    assert len(communities) == 10 and communities["households"].sum() == 25_720
    assert (out / "coverage15_results.gpkg").is_file()
    assert not (out / "maps").exists() and not (out / "report.html").exists()


def test_run_then_rerun_from_the_cache(tmp_path: Path, capsys) -> None:
    cfg = _run_config(tmp_path)
    r = cli_run("run", str(cfg))
    assert r.returncode == EXIT_OK, r.stderr
    assert "市中区样例: 10 communities, 25,720 households" in r.stdout
    assert "built and cached in" in r.stdout
    written = {p.name for p in (tmp_path / "out" / "run").iterdir()}
    assert {"communities.csv", "coverage15_results.gpkg", "report.html"} <= written
    assert "map.html" not in written  # maps = false
    cached = [p for p in (tmp_path / "out" / "cache").glob("walk-*.pkl") if "snaps" not in p.name]
    assert len(cached) == 1  # the default cache: <outputs.folder>/../cache
    # another profile, another folder, progress bars asked for: the network is not rebuilt
    code = main(
        ["--progress", "--lang", "en", "run", str(cfg), "--profile", "gb50180_2018",
         "--out", str(tmp_path / "out" / "gb")]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert code == EXIT_OK, captured.err
    assert f"loaded from the cache {cached[0]}" in captured.out
    assert "Profile: Standard for urban residential area planning" in captured.out
    assert "categories" in captured.err and PROGRESS_BAR in captured.err
    gb = pd.read_csv(tmp_path / "out" / "gb" / "district.csv", encoding="utf-8-sig")
    assert gb["indicator"].str.contains("met__block").any()  # gb50180 has a block tier


def test_validate_names_the_broken_file(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "社区.csv"
    bad.write_text("name,户数,lon,lat\n甲,abc,103.76,29.55\n", encoding="utf-8")
    r = cli_run("validate", "--communities", str(bad))
    assert r.returncode == EXIT_ERROR
    assert "社区.csv" in r.stderr and r.stderr.startswith("error: ")
    assert "Traceback" not in r.stderr
    ok = main(["validate", "--communities", str(sample_path("communities.geojson"))])
    assert ok == EXIT_OK
    assert "households 户数 25,720" in capsys.readouterr().out


def test_validate_a_config(tmp_path: Path, capsys) -> None:
    assert main(["validate", str(ROOT / "examples" / "sample_batch.toml")]) == EXIT_OK
    out = capsys.readouterr().out
    assert "3 district(s)" in out and "inputs: as above" in out
    cfg = _run_config(tmp_path)
    cfg.write_text(cfg.read_text("utf-8").replace("buildings.geojson", "no_buildings.gpkg"))
    assert main(["validate", str(cfg)]) == EXIT_ERROR
    assert "no_buildings.gpkg: file not found" in capsys.readouterr().err


def test_validate_checks_every_district(tmp_path: Path, capsys) -> None:
    cfg = _run_config(tmp_path)
    text = cfg.read_text("utf-8").replace('[district]\nname = "市中区样例"\n', "")
    text += (
        '[[districts]]\nname = "a"\ninputs.buildings.path = "no_a.gpkg"\n'
        '[[districts]]\nname = "b"\n'
        '[[districts]]\nname = "c"\ninputs.facilities.path = "no_c.gpkg"\n'
    )
    cfg.write_text(text, "utf-8")
    assert main(["validate", str(cfg)]) == EXIT_ERROR
    captured = capsys.readouterr()
    assert "error: [a] " in captured.err and "no_a.gpkg: file not found" in captured.err
    assert "error: [c] " in captured.err and "no_c.gpkg: file not found" in captured.err
    assert "2 of 3 district(s) failed: a, c" in captured.err
    assert "[b] profile leshan_2018" in captured.out and "households 户数 25,720" in captured.out


def test_example_configs_point_at_the_sample() -> None:
    run = load_config(ROOT / "examples" / "sample_run.toml")
    batch = load_batch_config(ROOT / "examples" / "sample_batch.toml")
    for r in [run, *batch]:
        assert all(Path(t["path"]).is_file() for t in r.inputs.values())
        assert Path(r.network["source"]).is_file()
        assert Path(r.network["cache_dir"]) == ROOT / "output" / "cache"
    assert run.maps and run.report and "gpkg" in run.formats


def test_profiles(capsys) -> None:
    r = cli_run("profiles")
    assert r.returncode == EXIT_OK
    for key in ("gb50180_2018", "civil_affairs", "leshan_2018", "mofcom_15min"):
        assert key in r.stdout
    assert main(["--lang", "zh", "profiles", "leshan_2018"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "乐山" in out and "leshan_2018.toml" in out
    assert main(["profiles", "no_such_profile"]) == EXIT_ERROR
    assert "no profile 'no_such_profile'" in capsys.readouterr().err


def test_global_options_before_or_after_the_command() -> None:
    parser = cli._parser()
    before = parser.parse_args(["--lang", "en", "--debug", "--no-progress", "profiles"])
    after = parser.parse_args(["profiles", "--lang", "en", "--debug", "--no-progress"])
    plain = parser.parse_args(["profiles"])
    assert (before.lang, before.debug, before.progress) == ("en", True, False)
    assert (after.lang, after.debug, after.progress) == ("en", True, False)
    assert (plain.lang, plain.debug, plain.progress) == (None, False, None)
    # given on both sides, the one after the command wins (argparse reads left to right)
    both = parser.parse_args(["--lang", "zh", "demo", "--lang", "en"])
    assert both.lang == "en"


def test_errors_without_tracebacks_unless_debug(tmp_path: Path, capsys, monkeypatch) -> None:
    assert main(["run", str(tmp_path / "nope.toml")]) == EXIT_ERROR
    err = capsys.readouterr().err
    assert "nope.toml" in err and "config file not found" in err and "Traceback" not in err
    with pytest.raises(Exception, match="config file not found"):
        main(["--debug", "run", str(tmp_path / "nope.toml")])

    def bug(args):
        raise RuntimeError("something unexpected")

    monkeypatch.setattr(cli, "_cmd_profiles", bug)
    assert main(["profiles"]) == EXIT_ERROR
    err = capsys.readouterr().err
    assert "error: RuntimeError: something unexpected" in err and "--debug" in err
    with pytest.raises(RuntimeError):
        main(["--debug", "profiles"])


def test_run_config_with_barriers_and_compounds(tmp_path: Path) -> None:
    import geopandas as gpd

    from coverage15.batch import run_district

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
