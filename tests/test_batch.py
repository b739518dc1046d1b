"""Batch runs: split by a column, local processes, a Dask LocalCluster, a failing district."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from coverage15.batch import run_batch
from coverage15.config import load_batch_config
from coverage15.sample import sample_path


@pytest.fixture(scope="module")
def batch_config(tmp_path_factory) -> Path:
    """The sample split into its two 街道 (street offices) by the community code."""
    folder = tmp_path_factory.mktemp("batch")
    comm = gpd.read_file(sample_path("communities.geojson"))
    comm["街道"] = "街道" + comm["社区代码"].astype(str).str[6:9]
    comm.to_file(folder / "communities.gpkg")
    s = sample_path
    (folder / "batch.toml").write_text(
        f"""
[inputs.communities]
path = "communities.gpkg"
[inputs.facilities]
path = "{s("facilities.geojson").as_posix()}"
[inputs.buildings]
path = "{s("buildings.geojson").as_posix()}"
[network]
source = "{s("walk_network.osm").as_posix()}"
cache_dir = "cache"
buffer_m = 1000
[analysis]
profile = "leshan_2018"
[outputs]
folder = "out/seq"
formats = ["csv"]
maps = false
report = false
[batch]
split_by = "街道"
""",
        encoding="utf-8",
    )
    return folder / "batch.toml"


def _indicators(summary: pd.DataFrame) -> pd.DataFrame:
    drop = ["seconds", "output_folder", "error"]
    return summary.drop(columns=drop).sort_values("district").reset_index(drop=True)


def _moved(runs, sub: str):
    return [
        dataclasses.replace(r, output_folder=Path(str(r.output_folder).replace("seq", sub)))
        for r in runs
    ]


def test_split_sequential_and_dask_agree(batch_config: Path) -> None:
    from dask.distributed import Client, LocalCluster

    runs = load_batch_config(batch_config)
    seq = run_batch(runs, summary_path=batch_config.parent / "summary.csv")
    assert seq["ok"].all(), seq["error"].tolist()
    assert sorted(seq["district"]) == ["batch-街道001", "batch-街道002"]
    assert seq["communities"].sum() == 10  # every community in exactly one district
    assert seq["households"].sum() == 25_720
    assert (batch_config.parent / "summary.csv").is_file()
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        par = run_batch(_moved(runs, "dask"), client=client)
    pd.testing.assert_frame_equal(_indicators(seq), _indicators(par))
    for district in ("街道001", "街道002"):
        a = pd.read_csv(batch_config.parent / "out/seq" / district / "communities.csv")
        b = pd.read_csv(batch_config.parent / "out/dask" / district / "communities.csv")
        pd.testing.assert_frame_equal(a, b)


def test_local_processes_and_a_failing_district(batch_config: Path) -> None:
    runs = load_batch_config(batch_config)
    runs = _moved(runs, "proc")
    broken = dataclasses.replace(
        runs[0],
        name="broken",
        district_filter=None,
        inputs={**runs[0].inputs, "facilities": {"path": str(batch_config.parent / "nope.csv")}},
        output_folder=batch_config.parent / "out" / "broken",
    )
    done = []
    summary = run_batch([*runs, broken], workers=2, on_done=done.append)
    assert len(done) == 3
    failed = summary[~summary["ok"]]
    assert failed["district"].tolist() == ["broken"]
    assert "nope.csv" in failed["error"].iloc[0]
    assert summary["ok"].sum() == 2  # the others ran
