"""Translations in one place: every text in both languages, display-width alignment, Jupyter."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pandas as pd
import pytest

from coverage15 import labels

SRC = Path(__file__).resolve().parents[1] / "src" / "coverage15"


def test_every_text_has_both_languages_and_the_same_fields() -> None:
    fmt = string.Formatter()
    # texts that exist in Chinese only: notes about Chinese fonts, shown only in a zh run
    zh_only = {"maps_in_english", "demo_no_font"}
    for key, (zh, en) in labels._TEXT.items():
        assert zh, key
        assert en or key in zh_only, key
        if en:
            fields_zh = {f for _, f, _, _ in fmt.parse(zh) if f}
            fields_en = {f for _, f, _, _ in fmt.parse(en) if f}
            assert fields_zh == fields_en, key


def test_chinese_texts_have_no_english_words() -> None:
    allowed = {"m", "m²", "GB", "OSM", "OpenStreetMap", "ODbL", "contributors", "coverage15",
               "Word", "LibreOffice", "CRS", "C1", "C2", "R", "make", "sysdeps", "apt", "get",
               "install", "fonts", "noto", "cjk", "dnf", "google", "sans", "Debian", "Ubuntu",
               "Fedora", "report", "pdf", "chromium"}  # fmt: skip
    for key, (zh, _) in labels._TEXT.items():
        words = set(re.findall(r"[A-Za-z][A-Za-z0-9²]*", re.sub(r"\{[a-z_]+\}", "", zh)))
        assert words <= allowed, (key, words - allowed)


def test_every_finding_kind_of_the_package_has_a_label() -> None:
    """Each kind passed to ValidationReport.add anywhere in the package is translated."""
    kinds = set()
    for path in SRC.glob("*.py"):
        code = path.read_text(encoding="utf-8")
        kinds |= set(re.findall(r"\.add(?:_records)?\(\s*\"([a-z_]+)\"", code))
        kinds |= set(re.findall(r"Finding\(\s*\"([a-z_]+)\"", code))
        # kinds built as f"{kind}_…" for homes and facilities alike (island links)
        for tail in re.findall(r"\.add\(\s*f\"\{kind\}_([a-z_]+)\"", code):
            kinds |= {f"home_{tail}", f"facility_{tail}"}
    kinds -= {"x", "y"}  # not findings: other .add() calls
    from coverage15.validation import UNREACHED_KINDS

    kinds |= set(UNREACHED_KINDS.values())  # recorded by record_unreached through a table
    assert kinds, "no finding kinds found: the pattern is stale"
    missing = sorted(k for k in kinds if k not in labels.FINDINGS)
    assert missing == []
    for k in kinds:
        assert labels.finding_label(k, "zh") != k


def test_display_width_and_pad() -> None:
    assert labels.display_width("社区卫生服务站") == 14
    assert labels.display_width("Pharmacy 药店") == 13
    assert labels.display_width("ｍ²") == 3  # a full-width m counts 2
    assert labels.display_width("e\u0301") == 1  # a combining accent takes no column
    assert labels.pad("药店", 6) == "药店  " and labels.pad("药店", 6, "right") == "  药店"
    assert labels.pad("社区卫生服务站", 4) == "社区卫生服务站"  # never cut


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_text_table_columns_line_up_in_a_terminal(lang: str) -> None:
    rows = [["社区卫生服务站", 300, "27.0%"], ["Pharmacy", 1000, "100.0%"], ["药店", 5, "5.0%"]]
    heads = ["类别", "距离", "比例"] if lang == "zh" else ["category", "distance", "share"]
    table = labels.text_table(rows, heads, align=["left", "right", "right"])
    lines = table.splitlines()
    assert len(lines) == 4
    # every right-aligned number column ends at the same display column on every line
    ends = []
    for line, row in zip(lines[1:], rows, strict=True):
        cut = re.search(rf"(?<![\d.]){row[1]}(?![\d.%])", line).end()
        ends.append(labels.display_width(line[:cut]))
    assert len(set(ends)) == 1
    assert len({labels.display_width(line) for line in lines}) == 1  # last column right-aligned


def test_map_titles() -> None:
    assert labels.map_title("walk_time_health_station", "zh") == "至社区卫生服务站的步行距离"
    assert labels.map_title("coverage_all", "en").startswith("Share of households")
    assert labels.map_title("walk_time_no_such_category", "zh") is None
    assert labels.map_title("something_new", "en") is None


def test_targets_html_and_analysis_repr() -> None:
    t = pd.DataFrame(
        {
            "key": ["coverage_urban", "households"],
            "label_zh": ["城市社区综合服务设施覆盖率", "总户数"],
            "label_en": ["Urban coverage", "Households"],
            "target": [1.0, None],
            "value": [0.8, 25720.0],
            "unit": ["share of urban communities", "households"],
            "met": pd.array([False, pd.NA], dtype="boolean"),
            "confidence": ["C1", ""],
            "source": ["民政部", "computed"],
        }
    )
    page = labels.targets_html(t, "zh")
    cells = re.findall(r"<td>(.*?)</td>", page)
    assert cells[:6] == [
        "城市社区综合服务设施覆盖率", "80.0%", "100.0%", "未达标", "C1 官方原文", "民政部",
    ]  # fmt: skip
    assert cells[6:10] == ["总户数", "25,720", "—", "无法判断"]
    from coverage15.datasets import sample_analysis

    a = sample_analysis("leshan_2018")
    text = labels.analysis_repr(a)
    assert text == (
        f"<Analysis leshan_2018 (general): 10 communities, 25,720 households, "
        f"{len(a.homes):,} homes, {len(a.facilities):,} facilities>"
    )
    html = labels.analysis_html(a, "zh")
    assert len(html) < 5000
    # one row per target of the profile, by its Chinese label (the Leshan plan's 12 targets,
    # every one quoted from the plan, so C1), plus the header row
    rows = re.findall(r"<tr>(.*?)</tr>", html)
    assert len(rows) == len(a.targets) + 1 == 13
    for label_zh, row in zip(a.targets["label_zh"], rows[1:], strict=True):
        assert row.startswith(f"<td>{label_zh}</td>") and "C1 官方原文" in row
    # a non-share target carries its unit: 37.7 m² per 100 households, in the sample
    # (6,990 m² in 10 community service stations + 2,700 m² in 2 street centres) / 25,720 hh
    # × 100 = 37.68, against the plan's 30
    area = next(r for r in rows if "每百户居民拥有社区服务设施面积" in r)
    assert "<td>37.7 m²/百户</td><td>30.0 m²/百户</td>" in area
