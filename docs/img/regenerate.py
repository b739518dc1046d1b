"""Regenerate the map images of the docs from the current code.

Run from the repository root::

    PYTHONPATH=src python docs/img/regenerate.py            # sample + Beijing CAU
    PYTHONPATH=src python docs/img/regenerate.py --sample   # the bundled sample only

The Beijing CAU images need ``../shared/data/osm/beijing_haidian_cau_2026.osm.bz2``
(© OpenStreetMap contributors, ODbL). On that extract the communities are the 11
``landuse=residential`` polygons, their households are *assumed* (100 households per
hectare, for illustration only) and the facilities are the OSM points and polygons whose
tags match a category's ``osm`` tags in ``profiles/categories.toml``; gated compounds
and their gates come from :func:`coverage15.barriers.compounds_from_osm`.
The web-map screenshot needs ``/usr/bin/chromium`` and playwright.
"""

from __future__ import annotations

import sys
import tempfile
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
CAU = HERE.parents[1] / ".." / "shared" / "data" / "osm" / "beijing_haidian_cau_2026.osm.bz2"
CHROMIUM = "/usr/bin/chromium"


def _tag_match(row: pd.Series, rule: str) -> bool:
    for part in rule.split("&"):
        key, _, value = part.partition("=")
        if key == "name_contains":
            if value not in str(row.get("name", "")):
                return False
            continue
        v = row.get(key)
        if not isinstance(v, str) or value not in v.split(";"):
            return False
    return True


def osm_facilities(path: Path) -> gpd.GeoDataFrame:
    """Facilities of the catalogue's categories found in an OSM XML file (by their tags)."""
    import osmnx as ox

    from coverage15.standards import category_catalogue

    cat = category_catalogue()
    keys = {r.split("&")[0].split("=")[0] for c in cat.values() for r in c.osm}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        f = ox.features_from_xml(path, tags={k: True for k in keys})
    rows = []
    for (_, osmid), row in f.iterrows():
        for key, c in cat.items():
            if any(_tag_match(row, r) for r in c.osm):
                rows.append(
                    {
                        "facility_id": f"osm{osmid}",
                        "name": row.get("name") if isinstance(row.get("name"), str) else "",
                        "category": key,
                        "floor_area_m2": np.nan,
                        "geometry": row.geometry.representative_point(),
                    }
                )
                break
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=f.crs)


def cau_analysis(profile: str = "gb50180_2018"):
    """An analysis of the Beijing CAU extract (see the module notes: households assumed)."""
    import osmnx as ox

    from coverage15.analysis import analyze
    from coverage15.barriers import compounds_from_osm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = ox.features_from_xml(CAU, tags={"landuse": "residential"})
    res = res[res.geom_type.isin(["Polygon", "MultiPolygon"])].reset_index(drop=True)
    utm = res.estimate_utm_crs()
    area = res.to_crs(utm).area
    names = [
        n if isinstance(n, str) and n else f"居住区{i + 1}" for i, n in enumerate(res.get("name"))
    ]
    comm = gpd.GeoDataFrame(
        {
            "community_id": [f"R{i + 1:02d}" for i in range(len(res))],
            "name": names,
            "households": np.maximum(1, np.round(area / 10_000 * 100)).astype(int),
            "kind": "urban",
        },
        geometry=res.geometry.to_numpy(),
        crs=res.crs,
    )
    fac = osm_facilities(CAU)
    compounds, gates = compounds_from_osm(CAU)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # off-network homes, facilities outside communities
        a = analyze(
            comm,
            fac,
            network=CAU,
            profile=profile,
            compounds=compounds if len(compounds) else None,
            gates=gates if len(compounds) else None,
        )
    return a, gates


def sample_images(out: Path) -> None:
    from coverage15 import maps
    from coverage15.datasets import sample_analysis

    with maps.offscreen():
        le = sample_analysis("leshan_2018")
        gb = sample_analysis("gb50180_2018")
        kw = {"dpi": 100, "osm": False}
        maps.plot_communities(
            le, "area_per_100hh", facilities=True, path=out / "area_per_100hh_zh.png", **kw
        )
        maps.plot_communities(
            gb,
            "share__kindergarten",
            facilities=True,
            categories=["kindergarten"],
            path=out / "choropleth_kindergarten_zh.png",
            **kw,
        )
        maps.plot_communities(
            le,
            "share_underserved",
            dots="underserved",
            lang="en",
            path=out / "underserved_en.png",
            **kw,
        )
        maps.plot_walk_times(gb, "kindergarten", path=out / "walk_time_kindergarten_zh.png", **kw)
        maps.plot_walk_times(
            gb,
            "primary_school",
            show="streets",
            lang="en",
            path=out / "walk_time_primary_school_streets_en.png",
            **kw,
        )
        maps.plot_missing_categories(gb, path=out / "missing_categories_zh.png", **kw)
        maps.plot_coverage_by_category(gb, path=out / "coverage_by_category_zh.png", **kw)
        from coverage15.siting import recommend_sites

        plan = recommend_sites(le, "health_station", k=4)
        ax = plan.plot(lang="zh", analysis=le)
        maps.save_figure(ax.figure, out / "siting_example.png", dpi=100)
        import matplotlib.pyplot as plt

        plt.close("all")
    from coverage15 import webmap

    html = webmap.write_webmap(le, Path(tempfile.mkdtemp()) / "webmap_sample.html", osm=False)
    screenshot(html, out / "webmap_zh.png", walk="health_station")


def cau_images(out: Path) -> None:
    from coverage15 import maps, webmap

    a, gates = cau_analysis()
    with maps.offscreen():
        maps.plot_walk_times(
            a, "kindergarten", gates=gates, dpi=100, path=out / "cau_walk_time_kindergarten_zh.png"
        )
        maps.plot_missing_categories(
            a, gates=gates, dpi=100, path=out / "cau_missing_categories_zh.png"
        )
        maps.plot_coverage_by_category(a, dpi=100, path=out / "cau_coverage_by_category_zh.png")
    html = webmap.write_webmap(a, Path(tempfile.mkdtemp()) / "webmap_cau.html")
    print(f"CAU web map: {html.stat().st_size / 1e6:.2f} MB")
    screenshot(html, out / "webmap_cau_zh.png", walk="kindergarten")


def screenshot(html: Path, png: Path, *, walk: str | None = None) -> None:
    """The web map in headless Chromium (network off), one walk layer switched on."""
    if not Path(CHROMIUM).exists():
        print(f"no {CHROMIUM}: {png.name} not regenerated")
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--host-resolver-rules=MAP * ~NOTFOUND"],
        )
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 800})
            page.goto(html.as_uri())
            page.wait_for_function("window.coverage15Map !== undefined", timeout=15_000)
            if walk:
                page.evaluate(
                    f"() => {{ window.coverage15Layers['walk:{walk}']"
                    ".addTo(window.coverage15Map); }"
                )
            page.hover(".leaflet-control-layers")
            page.wait_for_timeout(500)
            page.screenshot(path=str(png))
        finally:
            browser.close()


if __name__ == "__main__":
    HERE.mkdir(parents=True, exist_ok=True)
    sample_images(HERE)
    if "--sample" not in sys.argv and CAU.exists():
        cau_images(HERE)
