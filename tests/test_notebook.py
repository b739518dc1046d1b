"""The planner notebook runs top to bottom offline, and what it prints is what analyze returns."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import coverage15 as c15
from coverage15.sample import sample_path

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "planner_walkthrough.ipynb"


@pytest.mark.slow
def test_planner_notebook_runs_and_its_numbers_are_right(tmp_path: Path) -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")  # committed clean
    NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 4  # the maps and the siting plan
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    result = c15.analyze(
        c15.load_communities(sample_path("communities.geojson")),
        c15.load_facilities(sample_path("facilities.geojson")),
        network=sample_path("walk_network.osm"),
        buildings=c15.load_buildings(sample_path("buildings.geojson")),
        profile="leshan_2018",
    )
    c = result.communities
    expected = float(c["hh_covered_all"].sum() / c["households"].sum())
    assert f"district share fully covered: {expected:.4f}" in text
