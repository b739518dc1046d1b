"""Packaging: the public names, one version, the typing marker, the osmnx internals we call,
and a built wheel that runs ``coverage15 demo`` outside the repository."""

from __future__ import annotations

import ast
import importlib
import inspect
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import networkx as nx
import osmnx as ox
import pytest
from packaging.requirements import Requirement
from packaging.version import Version

import coverage15
from coverage15.datasets import SAMPLE_FILES

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))


def _type_checking_imports() -> dict[str, str]:
    """name -> module of the imports under ``if TYPE_CHECKING:`` in ``__init__.py``."""
    tree = ast.parse((ROOT / "src" / "coverage15" / "__init__.py").read_text("utf-8"))
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for imp in node.body:
                assert isinstance(imp, ast.ImportFrom) and imp.module
                for alias in imp.names:
                    found[alias.asname or alias.name] = imp.module
    return found


def test_lazy_api_names_agree() -> None:
    """_API (what __getattr__ imports), __all__ and the TYPE_CHECKING imports (what IDEs and
    mypy see) name the same objects from the same modules."""
    assert sorted(coverage15.__all__) == sorted(["__version__", *coverage15._API])
    assert _type_checking_imports() == coverage15._API
    for name, module in coverage15._API.items():
        assert getattr(coverage15, name) is getattr(importlib.import_module(module), name)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        coverage15.nope  # noqa: B018


def test_one_source_for_the_version(capsys: pytest.CaptureFixture[str]) -> None:
    project = PYPROJECT["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "coverage15.__version__"
    }
    assert Version(coverage15.__version__)  # a valid PEP 440 version
    from coverage15.cli import main

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.split() == ["coverage15", coverage15.__version__]


def test_typed_package_and_package_data() -> None:
    assert (ROOT / "src" / "coverage15" / "py.typed").is_file()
    data = PYPROJECT["tool"]["setuptools"]["package-data"]["coverage15"]
    assert {"py.typed", "data/sample/*", "profiles/*.toml"} <= set(data)
    mypy = PYPROJECT["tool"]["mypy"]
    assert mypy["ignore_missing_imports"] is True
    assert any(r.startswith("mypy") for r in PYPROJECT["project"]["optional-dependencies"]["dev"])


def test_osmnx_is_bounded_to_the_tested_minor_versions() -> None:
    (req,) = [Requirement(r) for r in PYPROJECT["project"]["dependencies"] if r.startswith("osmnx")]
    uppers = [s for s in req.specifier if s.operator == "<"]
    assert uppers, "osmnx needs an upper bound: network.py calls its private functions"
    assert Version(ox.__version__) in req.specifier, (ox.__version__, str(req.specifier))


def test_osmnx_private_functions_we_call_are_still_there() -> None:
    """network.py calls ``ox._overpass._get_network_filter`` and ``ox.graph._add_paths``:
    fail loudly (and say what to do) if an osmnx release moves or changes them."""
    hint = "osmnx moved a private function coverage15 uses: update network.py and the bound"
    get_filter = getattr(getattr(ox, "_overpass", None), "_get_network_filter", None)
    add_paths = getattr(getattr(ox, "graph", None), "_add_paths", None)
    assert callable(get_filter), hint
    assert callable(add_paths), hint
    assert list(inspect.signature(add_paths).parameters) == ["G", "paths", "bidirectional"], hint
    walk = get_filter("walk")
    assert walk.startswith('["highway"]') and '["foot"!~"no"]' in walk, hint
    # what network.py relies on: a way's node list becomes edges, both ways when bidirectional
    G = nx.MultiDiGraph(crs="epsg:4326")
    G.add_nodes_from((n, {"x": float(n), "y": 0.0}) for n in (1, 2, 3))
    add_paths(G, [{"osmid": 7, "nodes": [1, 2, 3], "highway": "footway"}], bidirectional=True)
    assert sorted((u, v) for u, v, _ in G.edges(keys=True)) == [(1, 2), (2, 1), (2, 3), (3, 2)]
    assert {d["osmid"] for _, _, d in G.edges(data=True)} == {7}


def _build_wheel(tmp: Path) -> Path:
    """Build the wheel from a copy of the sources (no build files left in the repository)."""
    src = tmp / "src-copy"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(
        ROOT / "src", src / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    out = tmp / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(src)],
        check=True,
        timeout=600,
    )
    (wheel,) = out.glob("coverage15-*.whl")
    return wheel


@pytest.mark.slow
def test_wheel_installs_and_runs_the_demo_outside_the_repository(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path)
    assert wheel.name.startswith(f"coverage15-{coverage15.__version__}-")
    names = set(zipfile.ZipFile(wheel).namelist())
    for f in SAMPLE_FILES:
        assert f"coverage15/data/sample/{f}" in names, f
    assert "coverage15/py.typed" in names
    assert "coverage15/profiles/categories.toml" in names
    assert not any(n.endswith(("sample.py", "make_sample.py")) for n in names)
    # install the wheel alone into a folder; its dependencies come from this environment
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--quiet",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        timeout=600,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target), "MPLBACKEND": "Agg"}
    where = subprocess.run(
        [sys.executable, "-c", "import coverage15; print(coverage15.__file__)"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(where.stdout.strip()).is_relative_to(target)  # not the repository's sources
    demo = subprocess.run(
        [sys.executable, "-m", "coverage15", "demo", "--out", str(elsewhere / "out")],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert demo.returncode == 0, demo.stderr[-3000:]
    assert str(target / "coverage15" / "data" / "sample") in demo.stdout  # the wheel's own data
    out = elsewhere / "out"
    assert (out / "communities.csv").is_file() and (out / "coverage15_results.gpkg").is_file()
    assert not (ROOT / "build").exists()
