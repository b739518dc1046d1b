"""The district HTML report: table values against targets, unverified targets, maps, repairs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import synthetic_analysis
from coverage15 import report


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def rows_of(page: str) -> list[str]:
    return re.findall(r"<tr[^>]*>(.*?)</tr>", page, flags=re.DOTALL)


def test_summary_table_values_targets_source_confidence() -> None:
    page = report.report_html(synthetic_analysis(), lang="zh", maps=False)
    rows = rows_of(page)
    households = next(r for r in rows if "总户数" in r)
    assert "3,800 户" in households
    urban = next(r for r in rows if "城市社区综合服务设施覆盖率" in r)
    assert "66.7%" in urban and "≥ 100.0%" in urban and "Leshan plan" in urban
    # an R target is shown as unverified, never as confirmed
    assert "未达标（目标未核实）" in urban and "R 未核实" in urban and "已核实" not in urban
    area = next(r for r in rows if "每百户社区综合服务设施面积" in r and "≥" in r)
    assert "53.2 m²/百户" in area and "≥ 30.0 m²/百户" in area
    assert "C2 已核实（二手来源）" in area and "未核实" not in area.replace("已核实", "")
    assert "© OpenStreetMap contributors (ODbL)" in page


def test_english_report_marks_unverified() -> None:
    page = report.report_html(synthetic_analysis(), lang="en", maps=False)
    urban = next(r for r in rows_of(page) if "Urban communities" in r)
    assert "fail (target unverified)" in urban and "R unverified" in urban
    assert "confirmed" not in urban
    assert "© OpenStreetMap contributors (ODbL)" in page


def test_worst_communities_and_missing_categories() -> None:
    page = report.report_html(synthetic_analysis(), lang="zh", maps=False)
    assert "覆盖最差的社区" in page
    assert "社区卫生服务站: 800; 社区服务站: 720; 室外健身场地: 480; 社区服务中心: 80" in page
    per_category = next(r for r in rows_of(page) if "社区卫生服务站" in r and "米" in r)
    assert "300 米" in per_category


def test_repair_report_section() -> None:
    a = synthetic_analysis()
    a.report.add(
        "invalid_geometry",
        "repaired",
        rows=[3, 7],
        column="geometry",
        detail="repaired with shapely.make_valid",
    )
    page = report.report_html(a, lang="en", maps=False)
    assert "invalid_geometry" in page and "repaired with shapely.make_valid" in page
    clean = report.report_html(synthetic_analysis(), lang="en", maps=False)
    assert "No records of the inputs were repaired" in clean


def test_report_file_embeds_maps_and_loads_nothing(tmp_path: Path) -> None:
    path = report.write_report(synthetic_analysis(), tmp_path / "report.html", lang="zh", dpi=40)
    page = path.read_text(encoding="utf-8")
    images = re.findall(r'<img alt="[^"]*" src="data:image/png;base64,', page)
    assert len(images) == 4
    assert not re.search(r"(src|href)=\"(?!data:)", page)
    assert not re.search(r"https?://", page)
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]
