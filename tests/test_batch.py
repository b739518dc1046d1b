"""Batch runs: the sample split by 街道, sequential vs a Dask LocalCluster, failing districts."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from coverage15 import InputError
from coverage15.batch import analyze_district, expand_runs, run_batch, run_district
from coverage15.cli import EXIT_SOME_FAILED, main
from coverage15.config import load_batch_config, load_config
from coverage15.datasets import sample_path

STREETS = ["嘉州街道", "柏杨街道", "青江镇"]
#: the 2SFCA measure counts the competing households of the district only (see docs/batch.md)
CATCHMENT = "步行可达每百户设施面积（m²/百户）"


def _street(row: pd.Series) -> str:
    """Street office (街道) from the community code; the village is its own township (镇)."""
    if str(row["社区名称"]).endswith("村"):
        return "青江镇"
    return {"001": "嘉州街道", "002": "柏杨街道"}[str(row["社区代码"])[6:9]]


def _toml(communities: str, out: str, tail: str = "") -> str:
    """A config on the sample; paths relative to the config's folder, or absolute."""
    s = sample_path
    return f"""
[inputs.communities]
path = "{communities}"
[inputs.facilities]
path = "{s("facilities.geojson").as_posix()}"
[inputs.buildings]
path = "{s("buildings.geojson").as_posix()}"
[network]
source = "{s("walk_network.osm").as_posix()}"
buffer_m = 1000
[analysis]
profile = "leshan_2018"
[outputs]
folder = "{out}"
formats = ["csv"]
maps = false
report = false
{tail}
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """communities.gpkg: the sample with a 街道 column (3 districts)."""
    folder = tmp_path_factory.mktemp("batch")
    comm = gpd.read_file(sample_path("communities.geojson"))
    comm["街道"] = comm.apply(_street, axis=1)
    comm.to_file(folder / "communities.gpkg")
    tail = '[district]\nname = "市中区"\n[batch]\nsplit_by = "街道"'
    (folder / "split.toml").write_text(_toml("communities.gpkg", "out/seq", tail), "utf-8")
    return folder


@pytest.fixture(scope="module")
def sequential(folder: Path) -> pd.DataFrame:
    runs = load_batch_config(folder / "split.toml")
    return run_batch(runs, summary_path=folder / "out" / "seq" / "summary.csv")


def _moved(runs, sub: str):
    return [
        dataclasses.replace(r, output_folder=Path(str(r.output_folder).replace("seq", sub)))
        for r in expand_runs(runs)
    ]


def _numbers(summary: pd.DataFrame) -> pd.DataFrame:
    return summary.drop(columns=["seconds", "output_folder"]).reset_index(drop=True)


def test_split_by_street_runs_every_district(folder: Path, sequential: pd.DataFrame) -> None:
    assert sequential["ok"].all(), sequential["error"].tolist()
    assert sequential["district"].tolist() == [f"市中区-{s}" for s in STREETS]
    assert sequential["communities"].tolist() == [5, 4, 1]
    assert sequential["households"].sum() == 25_720  # every community in exactly one district
    assert sequential["network_from_cache"].all()  # built once, before the districts
    assert (folder / "out" / "cache").is_dir()  # the default cache: beside the outputs
    summary = pd.read_csv(folder / "out" / "seq" / "summary.csv", encoding="utf-8-sig")
    assert summary["district"].tolist() == sequential["district"].tolist()
    for street in STREETS:
        assert (folder / "out" / "seq" / street / "communities.csv").is_file()


def test_split_districts_see_across_their_edges(folder: Path) -> None:
    """The network cut with buffer_m keeps every walk: per-community coverage as in one run."""
    whole_run = dataclasses.replace(
        load_batch_config(folder / "split.toml")[0],
        district_filter=None,
        output_folder=folder / "out" / "whole",
    )
    assert run_district(whole_run).ok
    whole = pd.read_csv(folder / "out" / "whole" / "communities.csv", encoding="utf-8-sig")
    parts = pd.concat(
        pd.read_csv(folder / "out" / "seq" / s / "communities.csv", encoding="utf-8-sig")
        for s in STREETS
    )
    key = whole.columns[0]
    whole = whole.set_index(key).sort_index().drop(columns=CATCHMENT)
    parts = parts.set_index(key).sort_index()[whole.columns]
    pd.testing.assert_frame_equal(whole, parts)


def test_dask_local_cluster_gives_identical_results(folder: Path, sequential) -> None:
    from dask.distributed import Client, LocalCluster

    runs = _moved(load_batch_config(folder / "split.toml"), "dask")
    done = []
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        par = run_batch(runs, client=client, on_done=done.append)
    assert sorted(o.name for o in done) == sorted(sequential["district"])
    pd.testing.assert_frame_equal(_numbers(sequential), _numbers(par))
    for street in STREETS:
        for table in ("communities.csv", "homes.csv"):
            a = pd.read_csv(folder / "out" / "seq" / street / table, encoding="utf-8-sig")
            b = pd.read_csv(folder / "out" / "dask" / street / table, encoding="utf-8-sig")
            pd.testing.assert_frame_equal(a, b)


def test_failing_districts_do_not_stop_the_others(folder: Path, capsys) -> None:
    """[[districts]] from subsets of the communities, one missing and one broken file."""
    comm = gpd.read_file(folder / "communities.gpkg")
    comm[comm["街道"] == "嘉州街道"].to_file(folder / "jiazhou.gpkg")
    comm[comm["街道"] == "柏杨街道"].to_file(folder / "baiyang.gpkg")
    (folder / "broken.geojson").write_text('{"type": "FeatureCollection", "feat', "utf-8")
    tail = """
[[districts]]
name = "嘉州"
inputs.communities.path = "jiazhou.gpkg"
[[districts]]
name = "柏杨"
inputs.communities.path = "baiyang.gpkg"
[[districts]]
name = "缺设施"
inputs.facilities.path = "no_such_facilities.csv"
[[districts]]
name = "坏文件"
inputs.communities.path = "broken.geojson"
"""
    cfg = folder / "districts.toml"
    cfg.write_text(_toml("jiazhou.gpkg", "out/d", tail), encoding="utf-8")
    code = main(["batch", str(cfg), "--workers", "2"])
    out = capsys.readouterr().out
    assert code == EXIT_SOME_FAILED
    assert "4 district(s), 2 ok, 2 failed" in out
    summary = pd.read_csv(folder / "out" / "d" / "summary.csv", encoding="utf-8-sig")
    assert summary["ok"].tolist() == [True, True, False, False]
    errors = summary.set_index("district")["error"]
    assert "no_such_facilities.csv" in errors["缺设施"] and "file not found" in errors["缺设施"]
    assert "broken.geojson" in errors["坏文件"]
    assert summary["communities"].iloc[:2].tolist() == [5, 4]
    for name in ("嘉州", "柏杨"):  # a district without its own folder: <outputs.folder>/<name>
        assert (folder / "out" / "d" / name / "communities.csv").is_file()


def test_rerun_with_new_profile_and_facilities_uses_the_cached_network(folder: Path) -> None:
    fac = gpd.read_file(sample_path("facilities.geojson"))
    fac.iloc[::2].to_file(folder / "fewer_facilities.gpkg")  # half the facilities
    cfg = folder / "rerun.toml"
    text = _toml(sample_path("communities.geojson").as_posix(), "rerun/first")
    cfg.write_text(text, "utf-8")
    first = analyze_district(load_config(cfg))
    assert "from_cache" not in first.network_record  # a new cache folder: built
    assert Path(first.network_record["cached_to"]).parent == folder / "rerun" / "cache"
    text = text.replace(sample_path("facilities.geojson").as_posix(), "fewer_facilities.gpkg")
    text = text.replace('profile = "leshan_2018"', 'profile = "gb50180_2018"')
    cfg.write_text(text.replace("rerun/first", "rerun/second"), "utf-8")
    again = analyze_district(load_config(cfg))
    assert again.network_record["from_cache"] == first.network_record["cached_to"]
    assert again.profile.key == "gb50180_2018" and len(again.facilities) < len(first.facilities)
    cached = (folder / "rerun" / "cache").glob("walk-*.pkl")
    assert len([p for p in cached if ".snaps-" not in p.name]) == 1  # one network, not rebuilt


def test_batch_config_errors(folder: Path) -> None:
    text = _toml(
        "communities.gpkg", "out/e", '[[districts]]\nname = "a"\n[[districts]]\nname = "a"'
    )
    (folder / "dup.toml").write_text(text, "utf-8")
    with pytest.raises(InputError, match="'a' is used twice"):
        load_batch_config(folder / "dup.toml")
    text = _toml("communities.gpkg", "out/e", '[batch]\nsplit_by = "no_such_column"')
    (folder / "nocol.toml").write_text(text, "utf-8")
    # a config error, before any district runs: not a failed district
    with pytest.raises(InputError, match=r"nocol.toml: \[batch\] split_by column 'no_such_column'"):
        run_batch(load_batch_config(folder / "nocol.toml"))
    assert not (folder / "out" / "e").exists()
    with pytest.raises(InputError, match="use `coverage15 batch`"):
        load_config(folder / "nocol.toml")


def test_batch_command_stops_on_a_missing_split_by_column(folder: Path, capsys) -> None:
    text = _toml("communities.gpkg", "out/nocol", '[batch]\nsplit_by = "街 道"')
    (folder / "nocol_cli.toml").write_text(text, "utf-8")
    assert main(["batch", str(folder / "nocol_cli.toml"), "--workers", "1"]) == 1
    err = capsys.readouterr().err
    assert "nocol_cli.toml" in err and "split_by column '街 道'" in err and "'街道'" in err
    assert not (folder / "out" / "nocol").exists()
    assert main(["validate", str(folder / "nocol_cli.toml")]) == 1
    assert "split_by column '街 道' not in the communities layer" in capsys.readouterr().err
