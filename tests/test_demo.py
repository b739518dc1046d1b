"""``coverage15 demo`` end to end with maps: every file written, households conserved."""

from __future__ import annotations

import contextlib
import io
import re
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
    assert {p.name for p in pngs} >= {
        "map_missing_categories.png",
        "map_underserved_households.png",
    }
    assert all(p.read_bytes()[:8] == PNG and p.stat().st_size > 10_000 for p in pngs)
    html = (out / "map.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "嘉州社区" in html
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "<title>" in report and "乐山" in report
    # the report embeds the very PNGs write_maps wrote (maps drawn once)
    import base64
    import re

    embedded = [base64.b64decode(b) for b in re.findall(r'base64,([^"]+)"', report)]
    assert embedded == [p.read_bytes() for p in sorted(pngs, key=_map_order)]
    assert "已写出" in printed and "map.html" in printed and "report.html" in printed
    assert "report.docx" in printed
    assert "覆盖最差的社区" in printed  # the worst communities, in Chinese by default
    import docx

    doc = docx.Document(out / "report.docx")
    assert len(doc.inline_shapes) == len(pngs) and len(doc.tables) == 4
    from coverage15.report import find_chromium

    if find_chromium() is not None:
        assert (out / "report.pdf").read_bytes()[:5] == b"%PDF-"
    else:
        assert "未生成 report.pdf" in printed


def _map_order(p: Path) -> tuple[int, str]:
    """The order write_maps documents (walk-time maps after the district maps)."""
    order = [
        "missing_categories",
        "coverage_by_category",
        "underserved_households",
        "coverage_all",
        "area_per_100hh",
    ]
    name = p.stem.removeprefix("map_")
    if name in order:
        return order.index(name), name
    return len(order) + (0 if name.startswith("walk_time_") else 1), name


def test_demo_outputs_carry_no_machine_path(demo) -> None:
    import zipfile

    from coverage15.datasets import sample_path

    out, _ = demo
    paths = {str(out), str(sample_path()), str(Path.cwd())}
    checked = 0
    for f in out.rglob("*"):
        if not f.is_file() or "cache" in f.parts:
            continue
        if f.suffix in (".xlsx", ".docx"):
            with zipfile.ZipFile(f) as z:
                data = b"".join(z.read(n) for n in z.namelist())
        else:
            data = f.read_bytes()
        for p in paths:
            assert p.encode() not in data, (f.name, p)
        checked += 1
    assert checked >= 20


def test_demo_tables_line_up(demo) -> None:
    """Every printed table has its columns at the same display positions (Chinese included)."""
    from coverage15.labels import display_width

    _, printed = demo
    block = printed.split("覆盖最差的社区：")[1].strip().split("\n\n")[0].splitlines()
    assert len(block) == 6  # header and five communities
    # the households column is right-aligned: its last digit at one display column
    ends = []
    for line in block[1:]:
        match = re.search(r"\d{1,3}(,\d{3})*(?=\s)", line)
        ends.append(display_width(line[: match.end()]))
    assert len(set(ends)) == 1
    header_end = display_width(block[0][: block[0].index("户数") + 2])
    assert ends[0] == header_end


def test_demo_without_cjk_font_says_so_at_the_top(tmp_path: Path, monkeypatch) -> None:
    from coverage15 import _fonts
    from coverage15.demo import run_demo

    class Stop(Exception):
        pass

    def stop(*args, **kwargs):
        raise Stop

    import coverage15.io

    monkeypatch.setattr(_fonts, "find_cjk_font", lambda: None)
    monkeypatch.setattr(coverage15.io, "load_communities", stop)  # stop once the notice is out
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), pytest.raises(Stop):
        run_demo(out=tmp_path / "demo", profile="civil_affairs", maps=True)
    first = buffer.getvalue().splitlines()[0]
    assert first.startswith("注意：本机没有中文字体，地图将以英文标注")
    assert "fonts-noto-cjk" in first


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
    # counts exactly; the area rounded to 0.1 m² per 100 households in the files
    pd.testing.assert_frame_equal(
        got, want, check_dtype=False, check_index_type=False, check_exact=False, atol=0.0501, rtol=0
    )
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
