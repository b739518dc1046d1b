"""Offline interactive map: one self-contained HTML file, checked in headless Chromium."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from conftest import synthetic_analysis
from coverage15 import maps, webmap
from coverage15._errors import InputError
from coverage15.styles import REACH_CLASSES

CHROMIUM = "/usr/bin/chromium"
# the only http(s) strings allowed in the page: the SVG XML namespace, and the text of
# Leaflet's default attribution link (replaced at run time by setPrefix; never fetched)
ALLOWED_URLS = {"http://www.w3.org/2000/svg", "https://leafletjs.com"}


class _Refs(HTMLParser):
    """Collect every attribute that could make a browser fetch something."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []
        self.csp: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        d = dict(attrs)
        for a in ("src", "href", "srcset", "data", "poster", "action", "background"):
            if d.get(a):
                self.refs.append((tag, a, d[a] or ""))
        if tag == "meta" and (d.get("http-equiv") or "").lower() == "content-security-policy":
            self.csp = d.get("content")


@pytest.fixture(scope="module")
def page_html() -> str:
    return webmap.webmap_html(synthetic_analysis(), lang="zh")


def test_no_external_references(page_html: str) -> None:
    refs = _Refs()
    refs.feed(page_html)
    assert all(v.startswith("data:") for _, _, v in refs.refs), refs.refs
    assert "<script src" not in page_html and "<link" not in page_html
    assert "@import" not in page_html
    assert not re.search(r"url\(\s*['\"]?(?!data:|#)", page_html)
    urls = set(re.findall(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}[^\s\"'<>)]*", page_html))
    urls = {u for u in urls if u.startswith("http")}
    assert urls <= ALLOWED_URLS, urls - ALLOWED_URLS
    assert "sourceMappingURL" not in page_html
    # and the browser is told not to load anything from elsewhere
    assert refs.csp is not None and "default-src 'none'" in refs.csp
    assert "http" not in refs.csp


def test_layers_popups_and_languages(page_html: str) -> None:
    assert "嘉州社区" in page_html
    assert "全部设施覆盖户数比例" in page_html and "服务不足的住户点" in page_html
    assert "© OpenStreetMap contributors (ODbL)" in page_html
    assert "Leaflet 1.9.4" in page_html
    en = webmap.webmap_html(synthetic_analysis(), lang="en", columns="hh_underserved")
    assert "Underserved households" in en and "Community health station" in en
    assert "全部设施覆盖户数比例" not in en


def test_popup_text_is_escaped() -> None:
    a = synthetic_analysis()
    a.communities.loc[0, "name"] = "<img src=x onerror=alert(1)>"
    page = webmap.webmap_html(a, lang="en")
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_tiles_are_optional_and_off_by_default(page_html: str) -> None:
    assert '"tiles":null' in page_html
    url = "https://{s}.tile.example.org/{z}/{x}/{y}.png"
    online = webmap.webmap_html(synthetic_analysis(), tiles=url, tiles_attribution="Example")
    assert url in online
    assert "img-src data: https://*.tile.example.org" in online


def test_write_webmap_is_atomic_and_self_contained(tmp_path: Path) -> None:
    path = webmap.write_webmap(synthetic_analysis(), tmp_path / "map.html", lang="en")
    assert [p.name for p in tmp_path.iterdir()] == ["map.html"]
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_unknown_column() -> None:
    with pytest.raises(InputError, match="no_such"):
        webmap.webmap_html(synthetic_analysis(), columns=["no_such"])


def page_data(page: str) -> dict:
    import json

    m = re.search(r"window\.COVERAGE15 = (.*?);</script>", page, re.S)
    assert m is not None
    return json.loads(m.group(1))


def test_streets_walk_and_service_area_layers() -> None:
    a = synthetic_analysis()
    # one category loses its facilities: no walk layer, no service area for it
    gone = a.profile.required_categories[0]
    a.facilities = a.facilities[a.facilities["category"] != gone]
    d = page_data(webmap.webmap_html(a, lang="zh"))
    with_fac = [
        c
        for c in a.profile.categories
        if f"dist_m__{c}" in a.homes.columns and (a.facilities["category"] == c).any()
    ]
    assert [w["key"] for w in d["walk"]] == with_fac and gone not in with_fac
    assert [s["key"] for s in d["service"]] == with_fac
    # home classes are those of the static maps, in the home order of homeXY
    assert len(d["homeXY"]) == 2 * len(a.homes)
    for w in d["walk"]:
        t = a.profile.threshold_m(w["key"])
        assert w["standard"] == t and w["near"] == 1.5 * t
        cls = maps.reach_classes(a.homes, w["key"], threshold_m=t, facilities=a.facilities)
        assert w["classes"] == "".join(str(REACH_CLASSES.index(c)) for c in cls)
        assert w["label"].endswith(f"（{t:,.0f} 米）")
    lat = d["homeXY"][0::2]
    wgs = a.homes.to_crs(4326).geometry
    assert max(abs(x - y) for x, y in zip(lat, wgs.y, strict=True)) < 1e-5  # 5 decimals
    # streets: each street once (two directed edges → one line), rounded to 5 decimals
    n_streets = len(a.network.street_geometries)
    assert len(d["streets"]) == n_streets
    assert all(
        len(f"{v:.10g}".split(".")[-1]) <= 5 for line in d["streets"] for p in line for v in p
    )
    # a service area ring lies around the category's facilities
    ring = d["service"][0]["rings"][0][0]
    assert ring[0] == ring[-1] and len(ring) >= 4
    # default indicators: the share underserved (not the count), full coverage, area
    assert [lg["column"] for lg in d["legends"]] == [
        "share_underserved",
        "share_covered_all",
        "area_per_100hh",
    ]
    share = a.communities["hh_underserved"] / a.communities["households"]
    colours = maps.classify(share, column="share_underserved").color_of()
    assert [f["properties"]["fill"]["share_underserved"] for f in d["communities"]["features"]] == (
        colours
    )
    en = page_data(webmap.webmap_html(a, lang="en", streets=False, walk=False, areas=False))
    assert en["streets"] == [] and en["walk"] == [] and en["service"] == []


def test_page_size_stays_sane() -> None:
    from coverage15.datasets import sample_analysis

    a = sample_analysis()
    full = len(webmap.webmap_html(a, lang="zh").encode())
    bare = len(webmap.webmap_html(a, lang="zh", streets=False, walk=False, areas=False).encode())
    # the sample: 1,065 homes, 15 categories with facilities, 343 streets; measured 779 kB
    # in all, of which streets, walk classes and service areas ≈ 213 kB
    assert full - bare < 300_000, (full, bare)
    assert full < 1_000_000


def _clear_point(a, i: int) -> tuple[float, float]:
    """Lat/lon inside community ``i`` farthest from every facility and home marker."""
    poly = a.communities.geometry.iloc[i]
    x0, y0, x1, y1 = poly.bounds
    grid = [
        shapely.Point(x0 + (x1 - x0) * fx / 20, y0 + (y1 - y0) * fy / 20)
        for fx in range(1, 20)
        for fy in range(1, 20)
    ]
    inside = [p for p in grid if poly.buffer(-20).contains(p)]
    markers = shapely.union_all([*a.facilities.geometry, *a.homes.geometry])
    best = max(inside, key=lambda p: p.distance(markers))
    ll = gpd.GeoSeries([best], crs=a.communities.crs).to_crs(4326).iloc[0]
    return ll.y, ll.x


@pytest.mark.skipif(
    shutil.which(CHROMIUM) is None,
    reason=f"{CHROMIUM} is missing (apt-get install chromium; `make sysdeps` does it)",
)
def test_offline_page_in_headless_chromium(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    a = synthetic_analysis()
    path = webmap.write_webmap(a, tmp_path / "map.html", lang="zh")
    n_comm = len(a.communities)
    n_fac = len(a.facilities)
    n_homes = int((a.homes["status"] == "underserved").sum())
    args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        "--host-resolver-rules=MAP * ~NOTFOUND",
    ]
    requests: list[str] = []
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 800})
            # block the network outright as well: any request but the file fails the test
            page.route(
                re.compile(r"^(?!file:|data:).*"),
                lambda route: (requests.append(route.request.url), route.abort())[1],
            )
            page.on("request", lambda r: requests.append(r.url))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(path.as_uri())
            page.wait_for_function("window.coverage15Map !== undefined", timeout=15_000)
            interactive = page.locator("path.leaflet-interactive")
            communities = page.locator("path.leaflet-interactive:not(.c15-facility):not(.c15-home)")
            assert communities.count() == n_comm
            assert page.locator("path.c15-facility").count() == n_fac
            assert page.locator("path.c15-home").count() == n_homes
            assert interactive.count() == n_comm + n_fac + n_homes
            assert page.locator(".leaflet-control-layers").count() == 1
            assert "服务不足户数比例" in page.locator(".legend").inner_text()
            # click inside the first community, at its point farthest from any marker
            lat, lon = _clear_point(a, 0)
            xy = page.evaluate(
                "([lat, lon]) => { const m = window.coverage15Map;"
                " const p = m.latLngToContainerPoint([lat, lon]);"
                " const r = m.getContainer().getBoundingClientRect();"
                " return [p.x + r.left, p.y + r.top]; }",
                [lat, lon],
            )
            page.mouse.click(*xy)
            popup = page.locator(".leaflet-popup-content h3")
            popup.wait_for(timeout=5_000)
            assert popup.inner_text() == a.communities.loc[0, "name"]
            assert "户数" in page.locator(".leaflet-popup-content").last.inner_text()
            # the layer control lists streets, walk classes and service areas per category
            control = page.locator(".leaflet-control-layers-overlays").inner_text()
            assert "步行路网" in control
            assert "步行距离：社区卫生服务站（300 米）" in control
            assert "服务范围：社区卫生服务站（300 米）" in control
            assert page.locator("path.c15-street").count() == 1  # one polyline, many parts
            assert page.locator("path.c15-area").count() == 0  # off until switched on
            n_walk = page.evaluate(
                "() => { const l = window.coverage15Layers['walk:health_station'];"
                " l.addTo(window.coverage15Map); return l.getLayers().length; }"
            )
            assert n_walk == len(a.homes)
            assert "住户点步行距离" in page.locator(".legend").inner_text()
            page.evaluate(
                "() => window.coverage15Layers['area:health_station'].addTo(window.coverage15Map)"
            )
            assert page.locator("path.c15-area").count() == 1
        finally:
            browser.close()
    assert errors == []
    assert all(u.startswith(("file:", "data:")) for u in requests), requests
