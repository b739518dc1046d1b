"""The planner notebook runs top to bottom offline, and what it prints is what analyze returns.

The notebook is committed without outputs; here it runs in a fresh kernel (the ``python3``
kernel of ipykernel, which starts the interpreter running these tests) with a temporary
working directory, so everything it writes lands in ``tmp_path``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest

import coverage15 as c15
from coverage15.datasets import sample_path

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "planner_walkthrough.ipynb"

# stderr lines a kernel may print that say nothing about the notebook itself:
# tqdm.auto falls back to text bars where ipywidgets is not installed, and maps warn
# once when the machine has no CJK font (CI installs one where apt allows).
HARMLESS_STDERR = ("TqdmWarning: IProgress not found", "CJKFontMissingWarning")


def _stream(nb: nbformat.NotebookNode, name: str) -> str:
    return "".join(
        o.get("text", "")
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "stream" and o.name == name
    )


def test_notebook_is_committed_clean() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "the notebook has no code cells"
    assert all(not c.outputs and c.execution_count is None for c in code), "strip the outputs"
    assert nb.metadata["kernelspec"]["name"] == "python3"


@pytest.fixture
def python3_kernel(monkeypatch: pytest.MonkeyPatch) -> str:
    """The ``python3`` kernel, resolved to this interpreter (the venv's), not a user-wide one."""
    from jupyter_client.kernelspec import KernelSpecManager

    # look in the venv's share/jupyter before ~/.local/share/jupyter
    monkeypatch.setenv("JUPYTER_PREFER_ENV_PATH", "1")
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    spec = KernelSpecManager().get_kernel_spec("python3")
    # jupyter_client starts a spec whose argv[0] is plain "python" with sys.executable
    assert spec.argv[0] in {"python", "python3", sys.executable}, spec.argv
    return "python3"


@pytest.mark.slow
def test_planner_notebook_runs_and_its_numbers_are_right(
    tmp_path: Path, python3_kernel: str
) -> None:
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        nb,
        timeout=600,
        kernel_name=python3_kernel,
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()

    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    errors = [o for o in outputs if o.output_type == "error"]
    assert not errors, errors[0].get("evalue")
    stderr = [
        line
        for line in _stream(nb, "stderr").splitlines()
        if line.strip() and not any(h in line for h in HARMLESS_STDERR)
    ]
    assert not [line for line in stderr if re.search(r"Warning|Error|Traceback", line)], stderr

    # the maps: two choropleths, walking times, service areas, the siting plan
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 5

    # what the notebook prints is what analyze returns (loaded here without column arguments,
    # so the explicit mapping in the notebook must give the same layers)
    result = c15.analyze(
        c15.load_communities(sample_path("communities.geojson")),
        c15.load_facilities(sample_path("facilities.geojson")),
        network=sample_path("walk_network.osm"),
        buildings=c15.load_buildings(sample_path("buildings.geojson")),
        profile="leshan_2018",
    )
    c = result.communities
    expected = float(c["hh_covered_all"].sum() / c["households"].sum())
    district = result.district.set_index("indicator")["value"]
    assert expected == pytest.approx(district["share_households_covered_all"])
    text = _stream(nb, "stdout")
    assert f"district share fully covered: {expected:.4f}" in text
    assert f"district table says:          {expected:.4f}" in text
    assert f"{len(c)} communities, {int(c['households'].sum())} households" in text

    # the edited copy of the profile loads from its path and changes what it should
    assert "my_leshan | health_station: 500.0 m [C2]" in text
    shares = dict(re.findall(r"^(leshan_2018|my_leshan)\s+health station ([\d.]+)%", text, re.M))
    assert float(shares["my_leshan"]) > float(shares["leshan_2018"])
    health = float(c["hh_covered__health_station"].sum() / c["households"].sum())
    assert shares["leshan_2018"] == f"{health:.1%}".rstrip("%")

    # exports landed in the notebook's own output folder, and nothing went online
    out = tmp_path / "output" / "walkthrough"
    for name in ("map.html", "report.html", "results/coverage15_results.gpkg", "my_leshan.toml"):
        assert (out / name).is_file(), name
    assert "offline: skipped the OpenStreetMap download" in text
