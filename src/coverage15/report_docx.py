"""The district report as a Word document (``report.docx``) a planning office can edit.

The same content as the HTML report (:func:`coverage15.report.report_content`),
in one language throughout: a cover (district, profile, date), a table of
contents (a Word field: Word fills it in when the file is opened, LibreOffice
with Tools ▸ Update), the summary, the targets table with confidence badges,
walking access per category, the maps as pictures, the communities with the
lowest coverage, siting suggestions when given, method and data sources and the
repair report; page numbers in the footer. Needs ``python-docx`` (the ``maps``
extra: ``pip install coverage15[maps]``).

Examples
--------
>>> import tempfile, pathlib
>>> from coverage15.datasets import sample_analysis
>>> p = write_report_docx(sample_analysis(), pathlib.Path(tempfile.mkdtemp()) / "r.docx",
...                       maps=False)
>>> p.read_bytes()[:2]
b'PK'
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coverage15.labels import ATTRIBUTION, text
from coverage15.report import ReportContent, ReportTable, report_content

if TYPE_CHECKING:
    from coverage15._types import AnalysisLike

__all__ = ["content_docx", "write_report_docx"]

CJK_FONT = "宋体"  # SimSun: present on every Chinese Windows; others substitute a Song face
LATIN_FONT = "Calibri"
_COLOURS = {"pass": "1B7837", "fail": "B2182B"}
_BADGES = {"C1": "D9F0D3", "C2": "E7F1FA", "R": "FDE0DD"}


def _require_docx() -> Any:
    try:
        import docx
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ImportError(
            "report.docx needs python-docx: pip install python-docx "
            "(or pip install 'coverage15[maps]')"
        ) from exc
    return docx


def _set_fonts(style: Any, *, cjk: str = CJK_FONT, latin: str = LATIN_FONT) -> None:
    from docx.oxml.ns import qn

    style.font.name = latin
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), latin)
    fonts.set(qn("w:eastAsia"), cjk)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)


def _field(paragraph: Any, instruction: str, placeholder: str = "") -> None:
    """A complex Word field (``PAGE``, ``TOC …``) in ``paragraph``."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def char(kind: str) -> Any:
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        if kind == "begin":
            el.set(qn("w:dirty"), "true")  # Word recomputes it on opening
        run = paragraph.add_run()
        run._r.append(el)
        return run

    char("begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    paragraph.add_run()._r.append(instr)
    char("separate")
    paragraph.add_run(placeholder)
    char("end")


def _toc(doc: Any, headings: list[str], zh: bool) -> None:
    """A TOC field whose shown result lists the headings until Word fills in the pages."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def char(paragraph: Any, kind: str) -> None:
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        if kind == "begin":
            el.set(qn("w:dirty"), "true")
        paragraph.add_run()._r.append(el)

    first = doc.add_paragraph()
    char(first, "begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = ' TOC \\o "1-2" \\h \\z \\u '
    first.add_run()._r.append(instr)
    char(first, "separate")
    first.add_run(headings[0])
    last = first
    for h in headings[1:]:
        last = doc.add_paragraph(h)
    note = (
        "（页码：Word 打开时更新；LibreOffice：工具 ▸ 更新 ▸ 全部更新）"
        if zh
        else "(page numbers: Word updates them on opening; LibreOffice: Tools ▸ Update ▸ "
        "Update All)"
    )
    last = doc.add_paragraph()
    last.add_run(note).italic = True
    char(last, "end")


def _shade(cell: Any, hex_fill: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), hex_fill)
    cell._tc.get_or_add_tcPr().append(shd)


def _widths_cm(t: ReportTable, total: float = 17.0, font_pt: float = 9) -> list[float]:
    """Column widths: number columns as wide as their longest value (never wrapped), the
    rest of ``total`` shared by the text columns in proportion to their longest text."""
    from coverage15.labels import display_width

    unit = font_pt * 0.0353 * 0.55  # cm per display column (half an em)
    pad = 0.4
    longest = [
        max([display_width(t.headers[j])] + [display_width(r[j]) for r in t.rows])
        for j in range(len(t.headers))
    ]
    fixed = {j: longest[j] * unit + pad for j in t.numeric}
    fixed.update(
        {
            j: longest[j] * unit + pad
            for j in range(len(t.headers))
            if j not in fixed and longest[j] <= 10  # short texts: badges, tiers
        }
    )
    rest = total - sum(fixed.values())
    free = [j for j in range(len(t.headers)) if j not in fixed]
    weights = {j: min(max(longest[j], 6), 40) for j in free}
    out = []
    for j in range(len(t.headers)):
        if j in fixed:
            out.append(fixed[j])
        else:
            out.append(max(1.5, rest * weights[j] / sum(weights.values())))
    return [round(w, 2) for w in out]


def _table(doc: Any, t: ReportTable, *, font_pt: float = 9) -> Any:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt, RGBColor

    table = doc.add_table(rows=1, cols=len(t.headers))
    table.style = "Table Grid"
    table.autofit = False
    widths = _widths_cm(t)
    conf_heads = (text("col_confidence", "zh"), text("col_confidence", "en"))
    met_heads = (text("col_met", "zh"), text("col_met", "en"))
    for j, h in enumerate(t.headers):
        cell = table.rows[0].cells[j]
        cell.text = ""
        run = cell.paragraphs[0].add_run(h)
        run.bold = True
        run.font.size = Pt(font_pt)
        _shade(cell, "EEF2F7")
    # the header row repeats on every page
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    trpr = table.rows[0]._tr.get_or_add_trPr()
    head = OxmlElement("w:tblHeader")
    head.set(qn("w:val"), "true")
    trpr.append(head)
    for i, row in enumerate(t.rows):
        cells = table.add_row().cells
        css = t.row_class[i] if i < len(t.row_class) else ""
        for j, value in enumerate(row):
            para = cells[j].paragraphs[0]
            run = para.add_run(value)
            run.font.size = Pt(font_pt)
            if j in t.numeric:
                para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            if t.headers[j] in met_heads and css in _COLOURS:
                run.bold = True
                run.font.color.rgb = RGBColor.from_string(_COLOURS[css])
            if t.headers[j] in conf_heads:
                code = value.split(" ")[0] if value else ""
                if code in _BADGES:
                    _shade(cells[j], _BADGES[code])
                if code == "R":
                    run.bold = True
                    run.font.color.rgb = RGBColor.from_string("8C1D18")
    for j, col in enumerate(table.columns):  # the grid (LibreOffice) and each cell (Word)
        col.width = Cm(widths[j])
    for row in table.rows:
        for j, cell in enumerate(row.cells):
            cell.width = Cm(widths[j])
    doc.add_paragraph()  # air between the table and the next paragraph
    return table


def content_docx(content: ReportContent) -> Any:
    """A python-docx ``Document`` of the report content.

    Parameters
    ----------
    content
        From :func:`coverage15.report.report_content`.

    Returns
    -------
    docx.document.Document
        Not yet saved.

    Examples
    --------
    >>> from coverage15.datasets import sample_analysis
    >>> from coverage15.report import report_content
    >>> doc = content_docx(report_content(sample_analysis(), lang="en", maps=False))
    >>> next(p.text for p in doc.paragraphs if p.style.name == "Title")
    '15-minute living circle coverage report'
    """
    docx = _require_docx()
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    lang = content.lang
    zh = lang == "zh"
    doc = docx.Document()
    for name in ("Normal", "Title", "Heading 1", "Heading 2", "Caption"):
        _set_fonts(doc.styles[name])
    doc.styles["Normal"].font.size = Pt(10.5)
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)  # A4
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2.0))
    section.top_margin, section.bottom_margin = Cm(2.0), Cm(2.0)
    section.different_first_page_header_footer = True  # no page number on the cover
    foot = section.footer.paragraphs[0]
    foot.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if zh:
        foot.add_run("第 ")
        _field(foot, "PAGE", "1")
        foot.add_run(" 页")
    else:
        foot.add_run("Page ")
        _field(foot, "PAGE", "1")
    # Word updates the table of contents (and page fields) when it opens the file
    settings = doc.settings.element
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    settings.append(update)
    core = doc.core_properties
    core.title = f"{content.title} — {content.district}"
    core.author = "coverage15"
    core.language = "zh-CN" if zh else "en"

    # cover
    for _ in range(6):
        doc.add_paragraph()
    doc.add_paragraph(content.title, style="Title")
    colon = "：" if zh else ": "
    for line in (
        f"{text('district', lang)}{colon}{content.district}",
        f"{text('profile', lang)}{colon}{content.profile} [{content.profile_key}]",
        *content.meta,
        f"{text('date', lang)}{colon}{content.date}",
    ):
        p = doc.add_paragraph()
        p.add_run(line).font.size = Pt(13)
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    # table of contents
    toc_head = doc.add_paragraph()
    toc_run = toc_head.add_run(text("toc", lang))
    toc_run.bold = True
    toc_run.font.size = Pt(16)
    _toc(doc, [h for _, h in content.sections()], zh)
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    heads = dict(content.sections())
    doc.add_heading(heads["abstract"], level=1)
    for s in content.abstract:
        doc.add_paragraph(s)
    doc.add_heading(heads["targets"], level=1)
    _table(doc, content.targets)
    for s in content.contrasts:
        doc.add_paragraph(s)
    note = doc.add_paragraph()
    note.add_run(text("confidence_note", lang)).font.size = Pt(9)
    if content.categories is not None:
        doc.add_heading(heads["categories"], level=1)
        _table(doc, content.categories)
    doc.add_heading(heads["maps"], level=1)
    if content.maps_note:
        doc.add_paragraph(content.maps_note)
    for caption, png in content.maps:
        doc.add_picture(io.BytesIO(png), width=Cm(16.5))
        doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
        cap = doc.add_paragraph(caption, style="Caption")
        cap.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if not content.maps:
        doc.add_paragraph(text("no_maps", lang))
    if content.worst is not None:
        doc.add_heading(heads["worst"], level=1)
        _table(doc, content.worst)
    if content.siting:
        doc.add_heading(heads["siting"], level=1)
        for sentence, table in content.siting:
            doc.add_paragraph(sentence)
            _table(doc, table)
    doc.add_heading(heads["method"], level=1)
    for s in content.method:
        doc.add_paragraph(s)
    doc.add_heading(heads["repairs"], level=1)
    if content.repairs is not None:
        _table(doc, content.repairs, font_pt=8)
    else:
        doc.add_paragraph(text("no_findings", lang))
    tail = doc.add_paragraph()
    tail_run = tail.add_run(
        (f"{ATTRIBUTION} · " if content.osm else "")
        + text("made_with", lang, version=content.version)
    )
    tail_run.font.size = Pt(8)
    return doc


def write_report_docx(
    analysis: AnalysisLike,
    path: str | os.PathLike,
    *,
    lang: str = "zh",
    title: str | None = None,
    district: str | None = None,
    maps: bool = True,
    maps_dir: str | os.PathLike | None = None,
    siting: Any = None,
    dpi: int = 150,
    osm: bool | None = None,
) -> Path:
    """Write the district report as an editable Word file (atomically).

    Parameters
    ----------
    analysis
        An :class:`~coverage15.analysis.Analysis`.
    path
        The ``.docx`` file.
    lang
        ``"zh"`` (default) or ``"en"``: the whole document in that language.
    title, district, maps, maps_dir, siting, dpi, osm
        As for :func:`coverage15.report.report_content`; pass ``maps_dir`` (the
        folder :func:`coverage15.maps.write_maps` wrote) so the maps are drawn once.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ImportError
        python-docx is not installed.

    Examples
    --------
    >>> import tempfile, docx
    >>> from coverage15.datasets import sample_analysis
    >>> p = write_report_docx(sample_analysis(), Path(tempfile.mkdtemp()) / "report.docx",
    ...                       lang="en", maps=False)
    >>> doc = docx.Document(p)
    >>> len(doc.tables), doc.tables[0].rows[0].cells[0].text  # targets, categories, worst, repairs
    (4, 'Indicator')
    """
    from coverage15._files import atomic_path
    from coverage15.export import input_paths

    _require_docx()
    content = report_content(
        analysis,
        lang=lang,
        title=title,
        district=district,
        maps=maps,
        maps_dir=maps_dir,
        siting=siting,
        dpi=dpi,
        osm=osm,
    )
    doc = content_docx(content)
    path = Path(path)
    with atomic_path(path, protect=input_paths(analysis)) as tmp:
        doc.save(str(tmp))
    return path
