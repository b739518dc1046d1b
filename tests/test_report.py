"""The district report: one language throughout, built from the targets table, HTML/PDF/Word."""

from __future__ import annotations

import html as _html
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import synthetic_analysis
from coverage15 import report
from coverage15.targets import TARGET_COLUMNS
from coverage15.validation import ValidationReport


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def rows_of(page: str) -> list[str]:
    return re.findall(r"<tr[^>]*>(.*?)</tr>", page, flags=re.DOTALL)


def targets_fixture() -> pd.DataFrame:
    """``Analysis.targets`` exactly as the contract has it (columns and value types)."""
    return pd.DataFrame(
        {
            "key": [
                "coverage_urban",
                "share_households_covered_all",
                "area_per_100hh",
                "sports_station_rural",
                "households",
            ],
            "label_zh": [
                "城市社区综合服务设施覆盖率",
                "全部设施步行可达的户数比例",
                "每百户社区综合服务设施面积",
                "农村社区体育健身站点覆盖率",
                "总户数",
            ],
            "label_en": [
                "Urban communities with a community service facility",
                "Share of households reaching all required facilities",
                "Community facility area per 100 households",
                "Rural communities with a sports station",
                "Households",
            ],
            "target": [1.0, 0.9, 30.0, 0.6, np.nan],
            "value": [1.0, 0.25, 18.5, np.nan, 3800.0],
            "unit": [
                "share of urban communities",
                "share of households",
                "m² per 100 households",
                "share of rural communities",
                "households",
            ],
            "met": pd.array([True, False, False, pd.NA, pd.NA], dtype="boolean"),
            "confidence": ["C1", "C2", "R", "C1", ""],
            "source": ["民政部 2016 规划", "GB 50180-2018", "乐山规划", "乐山规划", "computed"],
            "reason": ["", "", "", "no rural sports station data", ""],
            "note": ["", "", "", "", ""],
        }
    )


def with_targets():
    a = synthetic_analysis()
    a.targets = targets_fixture()
    return a


# --------------------------------------------------------------------------- tables


def test_targets_table_from_analysis_targets() -> None:
    page = report.report_html(with_targets(), lang="zh", maps=False)
    rows = rows_of(page)
    urban = next(r for r in rows if "城市社区综合服务设施覆盖率" in r)
    assert "≥ 100.0%" in urban and "100.0%" in urban and ">达标<" in urban
    assert "C1 官方原文" in urban and 'class="badge c1"' in urban
    walk = next(r for r in rows if "全部设施步行可达的户数比例" in r and "≥" in r)
    assert "25.0%" in walk and "≥ 90.0%" in walk and ">未达标<" in walk and "C2 二手来源" in walk
    area = next(r for r in rows if "每百户社区综合服务设施面积" in r and "≥" in r)
    # an R target is shown as unverified, never as met or confirmed
    assert "未达标（目标未核实）" in area and "R 未核实" in area and 'class="badge r"' in area
    sports = next(r for r in rows if "农村社区体育健身站点覆盖率" in r)
    assert "无法判断" in sports and "— " not in sports.split("</td>")[2]
    households = next(r for r in rows if "总户数" in r)
    assert "3,800 户" in households and "计算值" in households


def test_district_table_fallback_while_targets_are_missing() -> None:
    a = synthetic_analysis()
    a.targets = pd.DataFrame()  # an analysis without a targets table (an older one)
    t = report.targets_frame(a)
    assert list(t.columns) == list(TARGET_COLUMNS)
    assert t["key"].tolist() == a.district["indicator"].tolist()
    # the district table of the synthetic district: households and the four household shares
    # have no target; urban coverage 2 of 3 (C2 has no station) < 100 %, rural 1 of 1 ≥ 50 %,
    # area pass 2 of 3 urban (C2 has 0 m²) < 90 %, area 53.2 m²/100 hh ≥ 30
    assert [None if v is pd.NA else v for v in t["met"].tolist()] == [
        None, None, None, None, None, False, True, False, True,
    ]  # fmt: skip
    # an unverified target is never shown as a plain result
    a.district.loc[a.district["indicator"] == "coverage_urban", "confidence"] = "R"
    urban = next(r for r in rows_of(report.report_html(a, maps=False)) if "城市社区" in r)
    assert "66.7%" in urban and "未达标（目标未核实）" in urban


def test_english_report_marks_unverified() -> None:
    page = report.report_html(with_targets(), lang="en", maps=False)
    area = next(r for r in rows_of(page) if "Community facility area per 100 households" in r)
    assert "fail (target unverified)" in area and "R unverified" in area
    assert "confirmed" not in page
    assert "© OpenStreetMap contributors (ODbL)" in page


def test_summary_sentences_come_from_the_numbers() -> None:
    c = report.report_content(with_targets(), lang="zh", maps=False, district="市中区")
    assert 3 <= len(c.abstract) <= 4
    # 4 targets: 1 met, 2 failed, 1 not assessable
    assert c.abstract[0].startswith("本次评估范围为市中区，共4个社区、3,800户")
    assert "检查4项指标：1项达标，2项未达标，1项无法判断" in c.abstract[0]
    # the largest relative gap first: 25 % vs 90 % (72 % short) before 18.5 vs 30 (38 % short)
    assert c.abstract[1] == (
        "差距最大的是全部设施步行可达的户数比例（现状25.0%，目标90.0%，差65.0个百分点）；"
        "每百户社区综合服务设施面积（现状18.5 m²/百户，目标30.0 m²/百户，差11.5 m²/百户）。"
    )
    a = with_targets()
    comm = a.communities
    shares = {
        c: comm[f"hh_covered__{c}"].sum() / comm["households"].sum()
        for c in a.profile.required_categories
    }
    low = min(shares, key=shares.get)
    from coverage15.labels import category_label

    assert f"最低的是{category_label(low, 'zh')}（{shares[low]:.1%}）" in c.abstract[2]
    worst_hh = comm.sort_values("hh_underserved", ascending=False)["name"].head(3)
    assert c.abstract[3].startswith("服务不足最集中的社区是" + "、".join(worst_hh))


def test_sharp_contrast_explained() -> None:
    c = report.report_content(with_targets(), lang="zh", maps=False)
    assert len(c.contrasts) == 1
    assert c.contrasts[0].startswith(
        "“城市社区综合服务设施覆盖率”为100.0%，而“全部设施步行可达的户数比例”为25.0%"
    )
    assert "不看步行距离" in c.contrasts[0] and "按户统计" in c.contrasts[0]
    # no contrast without a large gap between measures of different kinds
    calm = with_targets()
    calm.targets.loc[1, "value"] = 0.8
    assert report.report_content(calm, lang="zh", maps=False).contrasts == []


def test_worst_communities_with_what_they_lack() -> None:
    page = report.report_html(synthetic_analysis(), lang="zh", maps=False)
    assert "覆盖最差的社区" in page
    row = next(r for r in rows_of(page) if "嘉州社区" in r)
    # C1's ten homes hold 120 households each; five of them are farther than 300 m along the
    # grid (both street legs included) from both health stations (F3, F7), and five from every
    # fitness ground: 600 each; station and centre reach all. Checked by hand-coded grid
    # distances (Manhattan between street corners plus offsets along the block), with each
    # facility on the street the engine snapped it to: most conftest facilities lie exactly as
    # far from two streets (e.g. F3 at 10 m from x=200 and y=200), so the choice is a tie-break
    assert "社区卫生服务站 600；室外健身场地 600" in row
    # from the long table when the analysis has one (the contract of Analysis.lacking)
    a = synthetic_analysis()
    a.lacking = pd.DataFrame(
        {
            "community_id": ["C1", "C1"],
            "category": ["pharmacy", "kindergarten"],
            "households": [5, 9],
        }
    )
    row = next(r for r in rows_of(report.report_html(a, maps=False)) if "嘉州社区" in r)
    assert "幼儿园 9；药店 5" in row


def test_repairs_by_file_name_only(tmp_path: Path) -> None:
    a = synthetic_analysis()
    src = str(tmp_path / "inputs" / "communities.gpkg")
    a.report = ValidationReport(source=src)
    a.report.add("invalid_geometry", "repaired", rows=[3, 7], column="geometry",
                 detail=f"repaired with shapely.make_valid in {src}")  # fmt: skip
    for lang in ("zh", "en"):
        page = report.report_html(a, lang=lang, maps=False)
        assert str(tmp_path) not in page
        assert "communities.gpkg" in page
    zh = report.report_html(a, lang="zh", maps=False)
    row = next(r for r in rows_of(zh) if "communities.gpkg" in r)
    assert "几何无效" in row and "已修复" in row and "3, 7" in row
    clean = synthetic_analysis()
    clean.report = ValidationReport(source="x")
    assert "No records of the inputs were repaired" in report.report_html(
        clean, lang="en", maps=False
    )


# --------------------------------------------------------------------------- one language

# Latin words a Chinese report may contain outside <cite>/<code> (names, quoted sources, codes):
# units, confidence codes, the standard's code, the licence and attribution, the program.
ALLOWED_LATIN = {
    "m", "m²", "km", "min", "hh", "C1", "C2", "R", "GB", "ODbL", "OSM", "OpenStreetMap",
    "contributors", "coverage15", "EPSG", "CRS", "UTM",
}  # fmt: skip


def latin_words(page: str) -> set[str]:
    body = page.split("<body>", 1)[1]
    for tag in ("cite", "code"):  # quoted sources, file names, keys
        body = re.sub(rf"<{tag}>.*?</{tag}>", " ", body, flags=re.DOTALL)
    body = re.sub(r"<[^>]+>", " ", body)  # tags and their attributes (data: images)
    body = _html.unescape(body)
    return set(re.findall(r"[A-Za-z][A-Za-z0-9²]*", body))


def test_chinese_report_has_no_english_words() -> None:
    for a in (synthetic_analysis(), with_targets()):
        a.report.add("missing_floor_area", "flagged", rows=[1], column="建筑面积",
                     detail="no floor area: left out of area indicators")  # fmt: skip
        page = report.report_html(a, lang="zh", maps=False)
        assert latin_words(page) <= ALLOWED_LATIN, latin_words(page) - ALLOWED_LATIN


def test_chinese_report_on_the_sample_has_no_english_words() -> None:
    from coverage15.datasets import sample_analysis

    page = report.report_html(sample_analysis("leshan_2018"), lang="zh", maps=False)
    assert latin_words(page) <= ALLOWED_LATIN, latin_words(page) - ALLOWED_LATIN
    assert str(Path.cwd()) not in page and "/work/" not in page


# --------------------------------------------------------------------------- files


def fake_maps(folder: Path) -> dict[str, bytes]:
    """Two PNGs where write_maps puts them (1×1 pixel, different colours)."""
    from matplotlib.figure import Figure

    from coverage15.maps import figure_png

    folder.mkdir(parents=True)
    out = {}
    for name, colour in (("coverage_all", "red"), ("walk_time_kindergarten", "blue")):
        fig = Figure(figsize=(1, 1))
        fig.patch.set_facecolor(colour)
        out[name] = figure_png(fig, dpi=10)
        (folder / f"map_{name}.png").write_bytes(out[name])
    return out


def test_maps_embedded_from_write_maps_folder_not_redrawn(tmp_path: Path, monkeypatch) -> None:
    import base64

    from coverage15 import maps

    pngs = fake_maps(tmp_path / "maps")

    def no_drawing(*args, **kwargs):
        raise AssertionError("maps drawn again")

    monkeypatch.setattr(maps, "write_maps", no_drawing)
    page = report.report_html(synthetic_analysis(), lang="zh", maps_dir=tmp_path / "maps")
    images = re.findall(r'<img alt="([^"]*)" src="data:image/png;base64,([^"]+)"', page)
    alts = [alt for alt, _ in images]
    # captions from maps.map_caption, numbered in write_maps' order (coverage_all before walks)
    assert alts == ["图1  全部必配设施覆盖户数比例", "图2  至幼儿园的步行距离与标准"]
    assert [base64.b64decode(b) for _, b in images] == [
        pngs["coverage_all"],
        pngs["walk_time_kindergarten"],
    ]


def test_report_file_draws_maps_when_none_given_and_loads_nothing(tmp_path: Path) -> None:
    path = report.write_report(synthetic_analysis(), tmp_path / "report.html", lang="zh", dpi=40)
    page = path.read_text(encoding="utf-8")
    alts = re.findall(r'<img alt="([^"]*)" src="data:image/png;base64,', page)
    # what write_maps draws for the synthetic district, in its order: homes' missing
    # categories, coverage by category, underserved households; coverage of all categories
    # (C1 50 %, C3 40 % and C2, C4 0 % fall in two 20 % classes, so the map says something);
    # area per 100 households (the Leshan profile sets 30 m²); and the walk to the category
    # reaching the fewest households, the health station (1,200 of 3,800)
    assert alts == [
        "图1  住户缺少的设施类别数",
        "图2  各类设施步行覆盖率（按社区）",
        "图3  服务不足户数比例与服务不足住户点",
        "图4  全部必配设施覆盖户数比例",
        "图5  每百户社区服务设施面积与标准",
        "图6  至社区卫生服务站的步行距离与标准",
    ]
    assert not re.search(r"(src|href)=\"(?!data:|#)", page)
    assert not re.search(r"https?://(?!www\.w3)", page)
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]
    # table of contents linking to every numbered section; page numbers when printed
    sections = re.findall(r'<h2 id="([a-z]+)">', page)
    assert re.findall(r'<a href="#([a-z]+)">', page) == sections
    assert sections[:2] == ["abstract", "targets"] and sections[-2:] == ["method", "repairs"]
    assert '@bottom-center { content: "第 " counter(page) " 页"' in page


def docx_text(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))


def test_docx_opens_with_tables_pictures_toc_and_page_numbers(tmp_path: Path) -> None:
    docx = pytest.importorskip("docx", reason="python-docx (the maps extra) is not installed")
    from coverage15.report_docx import write_report_docx

    fake_maps(tmp_path / "maps")
    a = with_targets()
    a.report = ValidationReport(source=str(tmp_path / "facilities.geojson"))
    a.report.add("missing_floor_area", "flagged", rows=[1], column="建筑面积")
    path = write_report_docx(
        a, tmp_path / "report.docx", lang="zh", maps_dir=tmp_path / "maps", district="市中区"
    )
    doc = docx.Document(path)
    # targets, categories, worst communities, repairs
    assert len(doc.tables) == 4
    assert [c.text for c in doc.tables[0].rows[0].cells] == [
        "指标", "目标", "现状值", "结论", "依据", "可信度",
    ]  # fmt: skip
    assert len(doc.tables[0].rows) == 1 + len(a.targets)
    assert doc.tables[0].rows[3].cells[3].text == "未达标（目标未核实）"
    assert len(doc.inline_shapes) == 2  # the two maps of the maps folder
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert headings[0] == "一、摘要" and headings[-1] == "七、输入数据修复记录"
    assert doc.paragraphs[6].text == "15分钟生活圈设施覆盖评估报告"  # the cover
    assert "评估范围：市中区" in [p.text for p in doc.paragraphs]
    xml = docx_text(path)
    assert 'TOC \\o "1-2"' in xml and "<w:updateFields" in xml
    assert re.search(r"<w:instrText[^>]*> PAGE </w:instrText>", xml)
    assert str(tmp_path) not in xml and "facilities.geojson" in xml
    # one language: the visible text has no English words outside names, codes and sources
    visible = "\n".join(p.text for p in doc.paragraphs)
    names = {"依据", "社区", "文件", "字段", "记录（前十条）"}  # quoted sources, names, codes
    for t in doc.tables:
        keep = [j for j, c in enumerate(t.rows[0].cells) if c.text not in names]
        visible += "\n".join(r.cells[j].text for r in t.rows for j in keep)
    quoted = report.report_content(a, lang="zh", maps=False).sources
    for s in sorted(quoted, key=len, reverse=True):
        visible = visible.replace(s, " ")
    visible = re.sub(r"\S+\.(geojson|gpkg|osm)", " ", visible)  # file names
    words = set(re.findall(r"[A-Za-z][A-Za-z0-9²_]*", visible)) - ALLOWED_LATIN
    # the profile key on the cover; the programs named in the table of contents' placeholder
    assert words <= {"leshan_2018", "Word", "LibreOffice"}, words


def test_pdf_via_headless_chromium(tmp_path: Path, monkeypatch) -> None:
    page = report.write_report(synthetic_analysis(), tmp_path / "report.html", maps=False)
    monkeypatch.setenv("COVERAGE15_CHROMIUM", str(tmp_path / "no-such-browser"))
    assert report.write_report_pdf(page, tmp_path / "report.pdf") is None
    assert not (tmp_path / "report.pdf").exists()
    monkeypatch.delenv("COVERAGE15_CHROMIUM")
    if report.find_chromium() is None:
        pytest.skip("no Chromium here: the PDF is skipped with a note, as tested above")
    pdf = report.write_report_pdf(page, tmp_path / "report.pdf")
    data = pdf.read_bytes()
    assert data[:5] == b"%PDF-"
    assert len(re.findall(rb"/Type\s*/Page[^s]", data)) >= 3  # cover, contents, body
    assert str(tmp_path).encode() not in data  # no header/footer with the file's path


def test_siting_suggestions_when_asked() -> None:
    from coverage15.datasets import sample_analysis
    from coverage15.siting import recommend_sites

    a = sample_analysis("leshan_2018")
    plan = recommend_sites(a, "health_station", k=2)
    c = report.report_content(a, lang="zh", maps=False, siting=plan)
    assert [k for k, _ in c.sections()][5] == "siting"
    sentence, table = c.siting[0]
    assert sentence == (
        f"社区卫生服务站：新增2处设施（标准步行距离300米），步行可达户数比例可由"
        f"{plan.before_share:.1%}提高到{plan.after_share:.1%}。"
    )
    assert [r[1] for r in table.rows] == [f"{int(n):,}" for n in plan.sites["new_households"]]
    lon = plan.sites.to_crs(4326).geometry.x
    assert [r[3] for r in table.rows] == [f"{x:.6f}" for x in lon]
    assert report.report_content(a, lang="zh", maps=False).siting == []
