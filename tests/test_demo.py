"""``coverage15 demo`` end to end with maps: every file written, households conserved."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest

from coverage15.cli import EXIT_OK, main
from coverage15.datasets import sample_analysis

PNG = b"\x89PNG\r\n\x1a\n"
HOUSEHOLDS = 25_720  # the sample's total (data/sample/README.md)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, str]:
    """The demo with maps, in this process (a subprocess runs it in test_cli.py)."""
    out = tmp_path_factory.mktemp("demo")
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(["--no-progress", "demo", "--out", str(out), "--profile", "leshan_2018"])
    assert code == EXIT_OK
    return out, buffer.getvalue()


def test_demo_writes_every_file(demo) -> None:
    out, printed = demo
    layers = dict(pyogrio.list_layers(out / "coverage15_results.gpkg"))
    assert {"communities", "homes", "facilities", "district", "worst", "repairs"} <= set(layers)
    assert layers["communities"] == "Polygon" and layers["homes"] == "Point"
    for name in ("communities", "homes", "facilities", "district", "worst", "repairs"):
        assert (out / f"{name}.csv").is_file(), name
    pngs = sorted((out / "maps").glob("*.png"))
    assert {p.name for p in pngs} >= {"map_coverage_all.png", "map_underserved_households.png"}
    assert all(p.read_bytes()[:8] == PNG and p.stat().st_size > 10_000 for p in pngs)
    html = (out / "map.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "嘉州社区" in html
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "<title>" in report and "乐山" in report
    assert "wrote" in printed and "map.html" in printed and "report.html" in printed
    assert "覆盖最差的社区" in printed  # the worst communities, in Chinese by default


def test_demo_conserves_households(demo) -> None:
    out, printed = demo
    gpkg = out / "coverage15_results.gpkg"
    comm = gpd.read_file(gpkg, layer="communities")
    homes = gpd.read_file(gpkg, layer="homes")
    assert len(comm) == 10 and comm["households"].sum() == HOUSEHOLDS
    assert homes["households"].sum() == HOUSEHOLDS
    per_community = homes.groupby("community_id")["households"].sum()
    assert per_community.to_dict() == comm.set_index("community_id")["households"].to_dict()
    parts = comm["hh_covered_all"] + comm["hh_underserved"] + comm["hh_off_network"]
    assert (parts == comm["households"]).all()
    district = pd.read_csv(out / "district.csv", encoding="utf-8-sig")
    assert district.iloc[0, 1] == HOUSEHOLDS  # first row: 户数
    assert f"{HOUSEHOLDS:,}" in printed


def test_demo_numbers_match_the_library(demo) -> None:
    """What the command wrote is what ``analyze`` computes on the sample."""
    out, _ = demo
    comm = gpd.read_file(out / "coverage15_results.gpkg", layer="communities")
    ref = sample_analysis("leshan_2018").communities
    cols = ["hh_covered_all", "hh_underserved", "hh_met__15min", "area_per_100hh"]
    got = comm.set_index("community_id")[cols].sort_index()
    want = pd.DataFrame(ref.set_index("community_id")[cols]).sort_index()
    pd.testing.assert_frame_equal(got, want, check_dtype=False, check_index_type=False)
    assert comm.set_index("name").loc["嘉州社区", "households"] == 3800  # as in the input


def test_demo_prints_coverage_by_category(demo) -> None:
    """The by-category lines agree with the homes' own distances (an independent count)."""
    out, printed = demo
    from coverage15.labels import category_label
    from coverage15.standards import load_profile

    profile = load_profile("leshan_2018")
    homes = gpd.read_file(out / "coverage15_results.gpkg", layer="homes")
    block = printed.split("各类设施步行可达(户)")[1].split("覆盖最差的社区")[0]
    lines = {ln.split()[0]: ln.split()[1:] for ln in block.strip().splitlines()[1:]}
    assert len(lines) == len(profile.required_categories) == 4
    shares = []
    for cat in profile.required_categories:
        limit = profile.threshold_m(cat)
        within = int(homes.loc[homes[f"dist_m__{cat}"] <= limit, "households"].sum())
        distance, households, share = lines[category_label(cat, "zh")]
        assert (int(distance), int(households)) == (round(limit), within), cat
        assert share == f"{within / HOUSEHOLDS:.1%}"
        shares.append(within)
    order = [lines[category_label(c, "zh")][1] for c in profile.required_categories]
    printed_order = [v[1] for v in lines.values()]
    assert [int(x) for x in printed_order] == sorted(int(x) for x in order)  # worst first
    assert 0 < min(shares) < max(shares) < HOUSEHOLDS  # the sample shows contrast
