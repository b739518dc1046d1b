"""``coverage15 demo``: the whole job on the bundled sample district.

Loads the sample (synthetic, placed in Leshan), prints the inventory and the
repair/drop report, builds the walking network offline from the sample's OSM
XML, runs the analysis against a profile, prints the district summary and the
worst communities, and writes tables and layers to the output folder.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from coverage15._types import AnalysisLike


def worst_table(
    worst: pd.DataFrame, lang: str = "zh", top: int = 3, lacking: pd.DataFrame | None = None
) -> str:
    """The worst communities as a narrow text table, with their ``top`` largest gaps.

    Columns line up in a terminal whatever the script (display width, not characters).

    Parameters
    ----------
    worst
        Rows of :func:`coverage15.indicators.worst_communities` (``Analysis.worst``):
        ``community_id``, ``name``, ``households``, ``share_covered_all`` (a
        fraction 0–1), ``hh_underserved`` and ``area_per_100hh`` (m² per 100
        households; optional).
    lang
        ``"zh"`` (default) for Chinese headers and category names; anything else
        for English.
    top
        How many of each community's gaps to show, largest first; default 3.
    lacking
        Households lacking each category per community, the long table
        ``community_id, category, households`` (``Analysis.lacking``, or
        :func:`coverage15.report.lacking_table`); default: read from
        ``worst["lacking"]``.

    Returns
    -------
    str
        The table as plain text, one line per community.

    Examples
    --------
    >>> w = pd.DataFrame({"community_id": ["A"], "name": ["白塔社区"], "households": [2800],
    ...                   "share_covered_all": [0.1], "hh_underserved": [2520],
    ...                   "area_per_100hh": [16.07]})
    >>> gaps = pd.DataFrame({"community_id": ["A"], "category": ["pharmacy"],
    ...                      "households": [2589]})
    >>> print(worst_table(w, "en", lacking=gaps))
    community  households  fully covered  underserved  m²/100 hh  largest gaps (households)
    白塔社区         2,800          10.0%        2,520       16.1  Pharmacy 2,589
    """
    import types

    from coverage15.labels import category_label, text, text_table
    from coverage15.report import lacking_table

    lang = "zh" if lang == "zh" else "en"
    if lacking is None:
        lacking = lacking_table(types.SimpleNamespace(communities=worst))
    sep = text("list_sep", lang)
    rows = []
    for _, r in worst.iterrows():
        gaps = lacking[lacking["community_id"] == r["community_id"]].head(top)
        area = r.get("area_per_100hh")
        rows.append(
            [
                r.get("name", r["community_id"]),
                f"{int(r['households']):,}",
                f"{float(r['share_covered_all']):.1%}",
                f"{int(r['hh_underserved']):,}",
                "—" if area is None or pd.isna(area) else f"{float(area):.1f}",
                sep.join(
                    f"{category_label(c, lang)} {int(n):,}"
                    for c, n in zip(gaps["category"], gaps["households"], strict=True)
                ),
            ]
        )
    heads = [
        "col_community",
        "col_households",
        "col_full_short",
        "col_under_short",
        "col_area_100",
        "col_gaps_short",
    ]
    return text_table(
        rows,
        [text(h, lang).lower() if lang == "en" else text(h, lang) for h in heads],
        align=["left", "right", "right", "right", "right", "left"],
    )


def category_table(result: AnalysisLike, lang: str = "zh") -> str:
    """Share of households within the profile's walking distance, per required category.

    The planner's first question after "how many are fully served": which
    services are missing most. Rows run from the worst-covered category to
    the best; columns line up in a terminal (display width).

    Parameters
    ----------
    result
        An :class:`~coverage15.analysis.Analysis` (its ``communities``
        ``hh_covered__<category>`` counts, its profile and group).
    lang
        ``"zh"`` (default) for Chinese headers and category names; anything
        else for English.

    Returns
    -------
    str
        The table as plain text: category, walking distance (m), households
        within it and their share of all households.

    Examples
    --------
    >>> from coverage15.datasets import sample_analysis
    >>> t = category_table(sample_analysis("leshan_2018"), "en")
    >>> t.splitlines()[0].split()
    ['category', 'distance', 'm', 'households', 'share']
    >>> t.splitlines()[1].split()[-3:]  # the worst-covered category first
    ['300', '6827', '26.5%']
    """
    from coverage15.labels import category_label, text, text_table

    lang = "zh" if lang == "zh" else "en"
    comm = result.communities
    profile = result.profile
    total = float(comm["households"].sum())
    rows = []
    for cat in profile.required_categories:
        col = f"hh_covered__{cat}"
        if col not in comm:
            continue
        got = int(comm[col].sum())
        share = got / total if total else float("nan")
        distance = round(result.profile.threshold_m(cat, result.group))
        rows.append((share, [category_label(cat, lang), distance, got, f"{share:.1%}"]))
    rows.sort(key=lambda r: r[0])  # stable: profile order on ties
    heads = ["col_category_short", "col_distance_m", "col_hh", "col_ratio"]
    return text_table(
        [r for _, r in rows],
        [text(h, lang) for h in heads],
        align=["left", "right", "right", "right"],
    )


def findings_table(report: Any, lang: str = "zh") -> str:
    """A loader's repair/drop report as an aligned text table in ``lang``.

    Parameters
    ----------
    report
        A :class:`~coverage15.validation.ValidationReport`.
    lang
        ``"zh"`` (default) or ``"en"``.

    Returns
    -------
    str
        One line per finding: file name, problem, action, number of records,
        column; the report's own text when it has no findings.

    Examples
    --------
    >>> from coverage15.validation import ValidationReport
    >>> r = ValidationReport(source="/data/facilities.geojson")
    >>> r.add("missing_floor_area", "flagged", rows=[3, 7], column="建筑面积")
    >>> print(findings_table(r, "zh"))
    文件                问题          处理    记录数  字段
    facilities.geojson  缺少建筑面积  已标记       2  建筑面积
    """
    from coverage15.labels import action_label, finding_label, label, text, text_table

    findings = list(getattr(report, "findings", []) or [])
    if not findings:
        return text("no_findings", lang)
    rows = [
        [
            Path(str(f.source)).name if f.source else "—",
            finding_label(f.kind, lang),
            action_label(f.action, lang),
            f"{f.n:,}",
            label(str(f.column), lang) if f.column else "",
        ]
        for f in findings
    ]
    heads = ["col_file", "col_problem", "col_action", "col_records", "col_column"]
    return text_table(
        rows, [text(h, lang) for h in heads], align=["left", "left", "left", "right", "left"]
    )


def run_demo(
    *,
    out: Path | str = "output/demo",
    profile: str = "gb50180_2018",
    lang: str = "zh",
    maps: bool = True,
    progress: bool = False,
) -> Path:
    """Run the demo: print the sample's inventory and results, and write the outputs.

    Parameters
    ----------
    out
        Output folder (created; the network cache goes to ``out/cache``).
    profile
        Standard profile key (see ``coverage15 profiles``).
    lang
        ``"zh"`` or ``"en"`` for tables, maps and the report.
    maps
        Also draw the maps, the offline web map and the HTML report.
    progress
        Show progress bars.

    Returns
    -------
    pathlib.Path
        The output folder (``out``), holding the tables and layers (and, with
        ``maps``, the ``maps`` folder, ``map.html``, ``report.html``,
        ``report.docx`` and, where Chromium is installed, ``report.pdf``).

    Examples
    --------
    >>> import tempfile
    >>> folder = run_demo(out=tempfile.mkdtemp(), profile="civil_affairs", maps=False)
    coverage15 演示 ...
    >>> sorted(p.name for p in folder.iterdir())  # doctest: +ELLIPSIS
    [...'communities.csv', ...'coverage15_results.gpkg', ...]
    """
    from coverage15._fonts import find_cjk_font
    from coverage15.analysis import analyze
    from coverage15.batch import write_deliverables
    from coverage15.datasets import sample_path
    from coverage15.io import load_buildings, load_communities, load_facilities, load_open_spaces
    from coverage15.labels import category_label, text, text_table
    from coverage15.network import build_walk_network, network_summary
    from coverage15.prepare import prepare_network
    from coverage15.report import lacking_table

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    lang = "zh" if lang == "zh" else "en"
    t0 = time.perf_counter()
    if lang == "zh" and maps and find_cjk_font() is None:
        print(text("demo_no_font", lang))  # at the top, not buried under the tables
        print()
    print(text("demo_header", lang, path=sample_path()))
    communities = load_communities(sample_path("communities.geojson"))
    facilities = load_facilities(sample_path("facilities.geojson"), communities=communities)
    buildings = load_buildings(sample_path("buildings.geojson"))
    kinds = communities["kind"].value_counts()
    print()
    print(
        text(
            "demo_communities",
            lang,
            n=len(communities),
            urban=kinds.get("urban", 0),
            rural=kinds.get("rural", 0),
            hh=f"{int(communities['households'].sum()):,}",
            pop=f"{int(communities['population'].sum()):,}",
        )
    )
    print(text("demo_buildings", lang, n=f"{len(buildings):,}"))
    print(text("demo_facilities", lang, n=len(facilities)))
    counts = facilities["category"].value_counts()
    table = text_table(
        [[category_label(k, lang), n] for k, n in counts.items()], ["", ""], align=["left", "right"]
    )
    print("\n".join("  " + line for line in table.splitlines()[1:]))
    print()
    print(findings_table(facilities.attrs["report"], lang))
    graph = build_walk_network(
        sample_path("walk_network.osm"), cache_dir=out / "cache", progress=progress
    )
    s = network_summary(graph)
    print()
    print(
        text(
            "demo_network",
            lang,
            nodes=f"{s['nodes']:,}",
            edges=f"{s['edges']:,}",
            km=f"{s['street_km']:.1f}",
            components=s["components"],
            crs=s["crs"],
        )
    )
    result = analyze(
        communities,
        facilities,
        network=prepare_network(graph, progress=progress),
        buildings=buildings,
        open_spaces=load_open_spaces(sample_path("open_spaces.geojson")),
        profile=profile,
        progress=progress,
    )
    print()
    print(result.summary(lang))
    print("\n" + text("demo_by_category", lang))
    print(category_table(result, lang))
    print("\n" + text("demo_worst", lang) + ("：" if lang == "zh" else ":"))
    print(worst_table(result.worst, lang, lacking=lacking_table(result)))
    files = write_deliverables(result, out, lang=lang, maps=maps, report=maps, progress=progress)
    if maps and Path("report.pdf") not in files:
        print(text("demo_pdf_skipped", lang, reason="Chromium"))
    print()
    print(text("demo_wrote", lang, n=len(files), out=out))
    for f in files:
        print(f"  {f}")
    print(text("demo_done", lang, s=f"{time.perf_counter() - t0:.1f}"))
    return out
