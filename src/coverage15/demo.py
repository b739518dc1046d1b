"""``coverage15 demo``: the whole job on the bundled sample district.

Loads the sample (synthetic, placed in Leshan), prints the inventory and the
repair/drop report, builds the walking network offline from the sample's OSM
XML, runs the analysis against a profile, prints the district summary and the
worst communities, and writes tables and layers to the output folder.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pandas as pd

from coverage15.standards import category_catalogue


def worst_table(worst: pd.DataFrame, lang: str = "zh", top: int = 3) -> str:
    """The worst communities as a narrow text table, with their ``top`` largest gaps.

    Parameters
    ----------
    worst
        Rows of :func:`coverage15.indicators.worst_communities` (``Analysis.worst``):
        ``name`` (else ``community_id``), ``households``, ``share_covered_all``
        (a fraction 0–1), ``hh_underserved``, ``area_per_100hh`` (m² per 100
        households) and ``lacking`` (``"<category>: <households>; ..."``).
    lang
        ``"zh"`` (default) for Chinese headers and category names; anything else
        for English.
    top
        How many of each community's gaps (the first of ``lacking``) to show;
        default 3.

    Returns
    -------
    str
        The table as plain text, one line per community, without the index.

    Examples
    --------
    >>> w = pd.DataFrame({"name": ["白塔社区"], "households": [2800],
    ...                   "share_covered_all": [0.1], "hh_underserved": [2520],
    ...                   "lacking": ["pharmacy: 2589"],
    ...                   "area_per_100hh": [16.07]})
    >>> print(worst_table(w, "en"))
    community  households fully covered  underserved m²/100 hh ...
         白塔社区        2800         10.0%         2520      16.1 ...Pharmacy 2589
    """
    from coverage15.labels import category_label

    zh = lang == "zh"

    def gaps(text: object) -> str:
        if not isinstance(text, str) or not text:
            return ""
        parts = [p.split(":") for p in text.split(";") if ":" in p][:top]
        return ", ".join(f"{category_label(k.strip(), lang)} {n.strip()}" for k, n in parts)

    table = pd.DataFrame(
        {
            "社区" if zh else "community": worst.get("name", worst.get("community_id")),
            "户数" if zh else "households": worst["households"],
            "全覆盖" if zh else "fully covered": worst["share_covered_all"].map("{:.1%}".format),
            "未覆盖户数" if zh else "underserved": worst["hh_underserved"],
            "每百户面积" if zh else "m²/100 hh": worst["area_per_100hh"].map("{:.1f}".format),
            "主要缺项(户)" if zh else "largest gaps (households)": worst["lacking"].map(gaps),
        }
    )
    with pd.option_context("display.unicode.east_asian_width", True):
        return table.to_string(index=False)


def category_table(result: Any, lang: str = "zh") -> str:
    """Share of households within the profile's walking distance, per required category.

    The planner's first question after "how many are fully served": which
    services are missing most. Rows run from the worst-covered category to
    the best.

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
    from coverage15.labels import category_label

    zh = lang == "zh"
    comm = result.communities
    profile = result.profile
    total = float(comm["households"].sum())
    rows = []
    for cat in profile.required_categories:
        col = f"hh_covered__{cat}"
        if col not in comm:
            continue
        got = int(comm[col].sum())
        rows.append(
            {
                "类别" if zh else "category": category_label(cat, lang),
                "距离 m" if zh else "distance m": round(
                    result.profile.threshold_m(cat, result.group)
                ),
                "覆盖户数" if zh else "households": got,
                "比例" if zh else "share": got / total if total else float("nan"),
            }
        )
    table = pd.DataFrame(rows).sort_values("比例" if zh else "share", kind="stable")
    table["比例" if zh else "share"] = table["比例" if zh else "share"].map("{:.1%}".format)
    with pd.option_context("display.unicode.east_asian_width", True):
        return table.to_string(index=False)


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
        ``maps``, the ``maps`` folder, ``map.html`` and ``report.html``).

    Examples
    --------
    >>> import tempfile
    >>> folder = run_demo(out=tempfile.mkdtemp(), profile="civil_affairs", maps=False)
    coverage15 demo ...
    >>> sorted(p.name for p in folder.iterdir())  # doctest: +ELLIPSIS
    [...'communities.csv', ...'coverage15_results.gpkg', ...]
    """
    from coverage15.analysis import analyze
    from coverage15.datasets import sample_path
    from coverage15.export import write_results
    from coverage15.io import load_buildings, load_communities, load_facilities
    from coverage15.network import build_walk_network, network_summary

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    zh = lang == "zh"
    t0 = time.perf_counter()
    print(f"coverage15 demo — sample district {sample_path()}")
    communities = load_communities(sample_path("communities.geojson"))
    facilities = load_facilities(sample_path("facilities.geojson"), communities=communities)
    buildings = load_buildings(sample_path("buildings.geojson"))
    kinds = communities["kind"].value_counts()
    print(
        f"\ncommunities 社区: {len(communities)} "
        f"(urban {kinds.get('urban', 0)}, rural {kinds.get('rural', 0)}), "
        f"households 户数 {int(communities['households'].sum()):,}, "
        f"population 人口 {int(communities['population'].sum()):,}"
    )
    print(f"residential buildings 住宅建筑: {len(buildings)}")
    cat = category_catalogue()
    counts = facilities["category"].value_counts()
    print(f"facilities 服务设施: {len(facilities)}")
    for key, n in counts.items():
        label = f"{cat[key].name_zh} / {cat[key].name_en}"
        print(f"  {label:<40} {n}")
    print()
    print(facilities.attrs["report"])
    graph = build_walk_network(
        sample_path("walk_network.osm"), cache_dir=out / "cache", progress=progress
    )
    s = network_summary(graph)
    print(
        f"\nwalking network 步行网络: {s['nodes']:,} nodes, {s['edges']:,} edges, "
        f"{s['street_km']:.1f} km of streets, {s['components']} component(s), CRS {s['crs']}"
    )
    result = analyze(
        communities,
        facilities,
        network=graph,
        buildings=buildings,
        profile=profile,
        progress=progress,
    )
    print()
    print(result.summary(lang))
    print(
        "\n" + ("各类设施步行可达(户)" if zh else "Households within walking distance, by category")
    )
    print(category_table(result, lang))
    print("\n" + ("覆盖最差的社区" if zh else "Worst communities") + ":")
    print(worst_table(result.worst, lang))
    written = write_results(result, out, lang=lang, inputs=result.inputs)
    files = [p for paths in written.values() for p in paths]
    if maps:
        from coverage15.maps import write_maps
        from coverage15.report import write_report
        from coverage15.webmap import write_webmap

        files += write_maps(result, out / "maps", lang=lang, progress=progress)
        files.append(write_webmap(result, out / "map.html", lang=lang))
        files.append(write_report(result, out / "report.html", lang=lang))
    print(f"\nwrote {len(files)} file(s) to {out}/:")
    for f in files:
        print(f"  {Path(f).relative_to(out)}")
    print(f"done in {time.perf_counter() - t0:.1f} s")
    return out
