"""Static maps: classification, diverging scheme, scale bar, fonts, service areas, files."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import geopandas as gpd
import mapclassify
import matplotlib
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from matplotlib.colors import to_rgb

from conftest import CRS, X0, Y0, grid_graph, synthetic_analysis
from coverage15 import _fonts, maps
from coverage15._fonts import CJKFontMissingWarning
from coverage15.styles import (
    MISSING_COLORS,
    REACH_CLASSES,
    SHARE_BREAKS,
    SITING_COLORS,
    STREET_COLOR,
)

matplotlib.use("Agg")


# --------------------------------------------------------------------------- fixture


@pytest.fixture
def analysis():
    return synthetic_analysis()


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def legend_texts(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


# --------------------------------------------------------------------------- classification


@pytest.mark.parametrize(
    ("scheme", "klass"),
    [
        ("quantiles", mapclassify.Quantiles),
        ("natural_breaks", mapclassify.FisherJenks),
        ("equal_interval", mapclassify.EqualInterval),
    ],
)
def test_classes_are_mapclassify_classes(scheme: str, klass: type) -> None:
    y = np.array([1, 2, 3, 4, 10, 11, 12, 30, 31, 35, 60, 61.0])
    c = maps.classify(y, scheme=scheme, k=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba notice of FisherJenks
        ref = klass(y, k=4)
    np.testing.assert_allclose(c.edges[1:], ref.bins)
    assert c.yb.tolist() == ref.yb.tolist()
    assert c.edges[0] == y.min() and c.k == 4 and len(c.labels) == 4


def test_classify_missing_values_and_few_distinct_values() -> None:
    c = maps.classify(
        [1.0, 1.0, 1.0, 0.0, float("nan")], k=5, column="share__pharmacy", scheme="quantiles"
    )
    assert c.k == 2  # only two distinct values: no empty classes, no warning
    assert c.yb.tolist() == [1, 1, 1, 0, -1]
    assert c.labels == ("0%", "100%")
    assert c.color_of()[-1] == maps.NO_DATA_COLOR


def test_diverging_scheme_is_centred_on_the_standard() -> None:
    values = [0.0, 6.0, 14.0, 29.9, 30.0, 33.0, 48.0, 75.0, 210.0]
    c = maps.classify(values, scheme="standard", standard=30.0)
    inner = np.array(c.edges[1:-1])
    # breaks symmetric around 30 with one round step
    np.testing.assert_allclose(inner - 30.0, -(inner[::-1] - 30.0))
    assert 30.0 in inner and np.allclose(np.diff(inner), 10.0)
    assert c.k == 6 and c.centre == 30.0
    # below the standard: red classes; at or above: blue classes
    for v, cls in zip(values, c.yb, strict=True):
        r, _, b = to_rgb(c.colors[cls])
        assert (r > b) == (v < 30.0), (v, c.colors[cls])
    assert c.yb[values.index(30.0)] == 3  # the standard itself meets it
    assert c.yb[values.index(0.0)] == 0 and c.yb[values.index(210.0)] == 5  # open end classes
    # darker further from the standard on both sides
    lum = [sum(to_rgb(col)) for col in c.colors]
    assert lum[0] < lum[1] < lum[2] and lum[5] < lum[4] < lum[3]
    # no negative area classes shown for non-negative data
    assert [c.labels[i] for i in c.shown] == [
        "< 10",
        "10 – 20",
        "20 – 30",
        "30 – 40",
        "40 – 50",
        "≥ 50",
    ]


def test_diverging_scheme_needs_a_standard() -> None:
    with pytest.raises(ValueError, match="standard"):
        maps.classify([1.0, 2.0], scheme="standard")


def test_area_map_defaults_to_the_diverging_scheme(analysis) -> None:
    ax = maps.plot_communities(analysis, "area_per_100hh", lang="en")
    texts = legend_texts(ax)
    assert texts[:3] == ["< 10", "10 – 20", "20 – 30"]
    assert "Standard 30" in ax.get_legend().get_title().get_text()
    colors = maps.classify(
        analysis.communities["area_per_100hh"], scheme="standard", standard=30
    ).color_of()
    below = analysis.communities["area_per_100hh"] < 30
    for col, is_below in zip(colors, below, strict=True):
        r, _, b = to_rgb(col)
        assert (r > b) == is_below


# --------------------------------------------------------------------------- furniture


@pytest.mark.parametrize("extent", [380.0, 2_100.0, 4_300.0, 12_000.0, 55_000.0])
def test_scale_bar_length_is_round_and_sensible(extent: float) -> None:
    length = maps.nice_scale_length(extent)
    assert 0.1 * extent <= length <= 0.3 * extent
    mantissa = length / 10 ** math.floor(math.log10(length))
    assert mantissa in (1.0, 2.0, 5.0)


def test_scale_bar_on_the_map_matches_the_extent(analysis) -> None:
    ax = maps.plot_communities(analysis, "share_covered_all", lang="en")
    width = ax.get_xlim()[1] - ax.get_xlim()[0]
    expected = maps.nice_scale_length(width)
    label = f"{expected / 1000:g} km" if expected >= 1000 else f"{expected:g} m"
    assert label in [t.get_text() for t in ax.texts]
    assert 0.1 * width <= expected <= 0.3 * width
    assert "N" in [t.get_text() for t in ax.texts]  # north arrow


def figure_texts(ax) -> list[str]:
    return [t.get_text() for t in ax.figure.findobj(matplotlib.text.Text)]


def test_attribution_flag(analysis) -> None:
    ax = maps.plot_communities(analysis, "share_covered_all", lang="en")
    assert any("© OpenStreetMap contributors (ODbL)" in t for t in figure_texts(ax))
    ax = maps.plot_communities(analysis.communities, "share_covered_all", lang="en")
    assert not any("OpenStreetMap" in t for t in figure_texts(ax))
    ax = maps.plot_communities(analysis.communities, "share_covered_all", lang="en", osm=True)
    assert any("OpenStreetMap" in t for t in figure_texts(ax))


# --------------------------------------------------------------------------- fonts


def test_font_fallback_warns_once_and_labels_in_english(analysis, monkeypatch) -> None:
    monkeypatch.setattr(_fonts, "find_cjk_font", lambda: None)
    monkeypatch.setattr(_fonts, "_warned", False)
    with pytest.warns(CJKFontMissingWarning, match="fonts-noto-cjk") as record:
        ax = maps.plot_communities(analysis, "hh_underserved", lang="zh")
        maps.plot_communities(analysis, "share_covered_all", lang="zh")
        maps.plot_walk_times(analysis, "health_station", lang="zh", areas=False)
    assert sum(issubclass(w.category, CJKFontMissingWarning) for w in record) == 1
    assert ax.get_legend().get_title().get_text().startswith("Underserved households")
    texts = [t.get_text() for t in ax.figure.findobj(matplotlib.text.Text)]
    assert not any(_fonts.has_cjk(t) for t in texts)  # community ids replace Chinese names
    assert "C1" in texts
    assert issubclass(CJKFontMissingWarning, UserWarning)


@pytest.mark.skipif(_fonts.find_cjk_font() is None, reason="no CJK font installed")
def test_chinese_labels_use_the_cjk_font(analysis) -> None:
    ax = maps.plot_communities(analysis, "hh_underserved", lang="zh")
    title = ax.get_legend().get_title()
    assert title.get_text().startswith("服务不足户数")
    assert title.get_fontfamily()[0] == _fonts.find_cjk_font()
    assert "嘉州社区" in [t.get_text() for t in ax.texts]


# --------------------------------------------------------------------------- files and layers


@pytest.mark.parametrize("suffix", ["png", "svg", "pdf"])
def test_saves_png_svg_pdf_atomically(analysis, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"map.{suffix}"
    maps.plot_communities(analysis, "share_covered_all", path=path, facilities=True, dpi=60)
    head = path.read_bytes()[:8]
    assert head.startswith({"png": b"\x89PNG", "svg": b"<?xml", "pdf": b"%PDF"}[suffix])
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_facility_points_have_a_category_legend(analysis) -> None:
    ax = maps.plot_communities(
        analysis,
        "share_covered_all",
        lang="en",
        facilities=True,
        categories=["health_station", "outdoor_fitness"],
    )
    legends = [a for a in ax.get_children() if isinstance(a, matplotlib.legend.Legend)]
    cat_legend = [lg for lg in legends if lg.get_title().get_text() == "Facilities"]
    assert len(cat_legend) == 1
    assert [t.get_text() for t in cat_legend[0].get_texts()] == [
        "Community health station",
        "Outdoor fitness ground",
    ]


def test_unknown_column_names_the_columns(analysis) -> None:
    with pytest.raises(ValueError, match="share_covered_all"):
        maps.plot_communities(analysis, "no_such_column")


def test_geographic_input_is_projected(analysis) -> None:
    wgs = analysis.communities.to_crs(4326)
    ax = maps.plot_communities(wgs, "share_covered_all", lang="en")
    assert ax.get_xlim()[1] - ax.get_xlim()[0] > 900  # metres, not degrees


def test_walk_time_maps(analysis, tmp_path: Path) -> None:
    ax = maps.plot_walk_times(
        analysis, "health_station", lang="en", path=tmp_path / "w.png", dpi=60
    )
    texts = legend_texts(ax)
    # health stations: 300 m in leshan_2018; the classes are tied to it, not to minutes
    assert ax.get_legend().get_title().get_text().endswith("Standard: within 300 m")
    assert any(t.startswith("Within the standard (≤ 300 m)") for t in texts)
    assert any(t.startswith("Beyond it, up to 1.5× (300–450 m)") for t in texts)
    assert "Community health station" in texts
    assert "Walking service area ≤ 300 m" in texts and "Walking service area ≤ 450 m" in texts
    assert not any("min" in t.split("(")[0] for t in texts)
    ax = maps.plot_walk_times(analysis, "health_station", lang="en", show="streets")
    assert any(t.startswith("Within the standard") for t in legend_texts(ax))
    with pytest.raises(ValueError, match="categories are"):
        maps.plot_walk_times(analysis, "gym")


STANDARD_MAPS = [
    "map_missing_categories.png",
    "map_coverage_by_category.png",
    "map_underserved_households.png",
    "map_coverage_all.png",
    "map_area_per_100hh.png",
]


def test_write_maps_and_pdf(analysis, tmp_path: Path) -> None:
    files = maps.write_maps(analysis, tmp_path, lang="en", dpi=40)
    names = [p.name for p in files]
    worst = maps.worst_category(analysis)
    assert names == [*STANDARD_MAPS, f"map_walk_time_{worst}.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)
    assert all(p.stat().st_size > 1000 for p in files)
    pdf = maps.write_map_pdf(analysis, tmp_path / "maps.pdf", lang="en")
    assert pdf.read_bytes()[:4] == b"%PDF"


# --------------------------------------------------------------------------- service areas


def river_graph() -> nx.MultiDiGraph:
    """Two streets along x, 100 m apart (a river between), joined only by a far bridge."""
    g = nx.MultiDiGraph(crs=CRS)
    for i in range(11):
        g.add_node(("s", i), x=X0 + i * 100.0, y=Y0)
        g.add_node(("n", i), x=X0 + i * 100.0, y=Y0 + 100.0)
    for i in range(10):
        for side in ("s", "n"):
            g.add_edge((side, i), (side, i + 1), length=100.0)
            g.add_edge((side, i + 1), (side, i), length=100.0)
    g.add_edge(("s", 10), ("n", 10), length=100.0)  # the bridge, 1 km east
    g.add_edge(("n", 10), ("s", 10), length=100.0)
    return g


def test_service_areas_follow_the_network_not_the_crow() -> None:
    fac = gpd.GeoSeries([shapely.Point(X0 + 50, Y0 - 5)], crs=CRS)
    sa = maps.service_areas(river_graph(), fac, minutes=[5, 10], speed_m_per_min=80, buffer_m=20)
    assert sa["minutes"].tolist() == [10.0, 5.0]
    five = sa.geometry.iloc[1]
    # 5 min = 400 m: along the south street to x ≈ 50 + 395 m (the 5 m leg counts) …
    assert five.contains(shapely.Point(X0 + 420, Y0))
    assert not five.contains(shapely.Point(X0 + 470, Y0))
    # … but not across the river, 100 m away as the crow flies
    assert not five.intersects(shapely.Point(X0 + 50, Y0 + 100))
    ten = sa.geometry.iloc[0]
    assert ten.contains(five.buffer(-1))
    assert not ten.intersects(shapely.Point(X0 + 50, Y0 + 100))  # the bridge is 1 km east


def test_service_areas_cut_edges_at_the_limit() -> None:
    g = nx.MultiDiGraph(crs=CRS)
    g.add_nodes_from([(0, {"x": X0, "y": Y0}), (1, {"x": X0 + 1000.0, "y": Y0})])
    g.add_edge(0, 1, length=1000.0)
    g.add_edge(1, 0, length=1000.0)  # two-way: one-way streets are tested in test_access
    fac = gpd.GeoDataFrame(geometry=[shapely.Point(X0 + 300, Y0)], crs=CRS)
    sa = maps.service_areas(g, fac, minutes=[2.5], speed_m_per_min=80, buffer_m=5)
    x0, _, x1, _ = sa.total_bounds
    assert x0 == pytest.approx(X0 + 100 - 5) and x1 == pytest.approx(X0 + 500 + 5)


def test_service_areas_accept_a_walknetwork_like_object() -> None:
    from coverage15.access import WalkNetwork

    net = WalkNetwork.from_graph(grid_graph())
    fac = gpd.GeoSeries([shapely.Point(X0 + 500, Y0 + 500)], crs=CRS)
    a = maps.service_areas(net, fac, minutes=[5])
    b = maps.service_areas(grid_graph(), fac, minutes=[5])
    assert a.geometry.iloc[0].symmetric_difference(b.geometry.iloc[0]).area < 1.0


# --------------------------------------------------------------------------- classes vs standard


def test_reach_classes_by_hand() -> None:
    # standard 300 m: ≤ 300 within, ≤ 450 up to 1.5×, farther beyond
    h = pd.DataFrame(
        {
            "dist_m__pharmacy": [0.0, 300.0, 360.0, 450.0, 450.5, 990.0, np.nan, np.nan, np.nan],
            "reach__pharmacy": ["reached"] * 6 + ["beyond_bound", "no_path", "off_network"],
        }
    )
    got = maps.reach_classes(h, "pharmacy", threshold_m=300.0)
    assert got.tolist() == [
        "within",
        "within",
        "near",  # 1.2 × the standard
        "near",  # exactly 1.5 ×
        "beyond",
        "beyond",
        "beyond",  # a facility in the same piece, beyond the search bound
        "no_path",
        "off_network",
    ]
    assert got.attrs["statuses"] is True
    bad = h.assign(reach__pharmacy=["reached"] * 8 + ["lost"])
    with pytest.raises(ValueError, match="lost"):
        maps.reach_classes(bad, "pharmacy", threshold_m=300.0)


def real_analysis():
    """A small analysis run by ``analyze`` on a street grid with an island street.

    Health stations (300 m in leshan_2018): one at the west end of the bottom
    street; homes on that street 200, 300, 360 (1.2×), 450 (1.5×) and 600 m from it
    along the street; one home by an island street without facilities; one home
    2 km off every street.
    """
    from coverage15.analysis import analyze

    g = grid_graph()
    g.add_node("i0", x=X0 + 1700.0, y=Y0)
    g.add_node("i1", x=X0 + 1700.0, y=Y0 + 400.0)
    g.add_edge("i0", "i1", length=400.0)
    g.add_edge("i1", "i0", length=400.0)
    along = [200.0, 300.0, 360.0, 450.0, 600.0]
    pts = [shapely.Point(X0 + 100 + d, Y0) for d in along]
    pts += [shapely.Point(X0 + 1700, Y0 + 200), shapely.Point(X0 + 1000, Y0 + 2000)]
    hh = [11, 12, 13, 14, 15, 16, 17]
    homes = gpd.GeoDataFrame(
        {"home_id": [f"h{i}" for i in range(7)], "community_id": "A", "households": hh},
        geometry=pts,
        crs=CRS,
    )
    comm = gpd.GeoDataFrame(
        {"community_id": ["A"], "name": ["A"], "households": [sum(hh)], "kind": ["urban"]},
        geometry=[shapely.box(X0 - 50, Y0 - 50, X0 + 1800, Y0 + 2050)],
        crs=CRS,
    )
    fac = gpd.GeoDataFrame(
        {
            "facility_id": ["F1", "F2"],
            "name": ["站", "场"],
            "category": ["health_station", "outdoor_fitness"],
            "floor_area_m2": [200.0, 100.0],
        },
        geometry=[shapely.Point(X0 + 100, Y0), shapely.Point(X0 + 500, Y0 + 500)],
        crs=CRS,
    )
    with pytest.warns(UserWarning, match="not snapped"):
        return analyze(comm, fac, network=g, homes=homes, profile="leshan_2018")


EXPECTED = ["within", "within", "near", "near", "beyond", "no_path", "off_network"]


def contract_statuses(a) -> None:
    """``reach__health_station`` as the engine's contract defines it (when it does not yet)."""
    if "reach__health_station" not in a.homes.columns:
        a.homes["reach__health_station"] = [
            "reached",
            "reached",
            "reached",
            "reached",
            "reached",
            "no_path",
            "off_network",
        ]


@pytest.mark.parametrize("statuses", [False, True])
def test_walk_classes_on_a_real_analysis(statuses: bool) -> None:
    a = real_analysis()
    np.testing.assert_allclose(
        a.homes["dist_m__health_station"].iloc[:5], [200, 300, 360, 450, 600], atol=1e-6
    )
    if statuses:
        contract_statuses(a)
    else:
        a.homes = a.homes.drop(columns=[c for c in a.homes.columns if c.startswith("reach__")])
    cls = maps.reach_classes(
        a.homes,
        "health_station",
        threshold_m=a.profile.threshold_m("health_station"),
        facilities=a.facilities,
    )
    expected = list(EXPECTED)
    if not statuses:
        expected[5] = "beyond"  # distance alone cannot tell "no path" from "too far"
    assert cls.tolist() == expected
    ax = maps.plot_walk_times(a, "health_station", lang="zh")
    texts = legend_texts(ax)
    assert ax.get_legend().get_title().get_text().endswith("标准：步行 300 米内")
    hh = a.homes["households"].to_numpy()
    labels = maps.reach_labels(300.0, "zh", statuses=statuses)
    for c in REACH_CLASSES:
        n = int(hh[np.array(expected) == c].sum())
        if n:
            assert f"{labels[c]}  {n:,} 户" in texts, (c, texts)
    assert "标准内（≤ 300 米）" in labels["within"]
    assert labels["near"] == "超出标准，1.5 倍内（300–450 米）"


def test_streets_gates_and_footer_on_every_map(analysis, tmp_path: Path) -> None:
    gates = gpd.GeoSeries([shapely.Point(X0 + 400, Y0 + 200)], crs=CRS)
    cuts = gpd.GeoDataFrame(geometry=[shapely.Point(X0 + 600, Y0 + 400)], crs=CRS)
    analysis.network_record = {"gates": gates, "cuts": cuts, "source": "/srv/data/walk.osm"}
    analysis.inputs = ["/home/planner/社区.geojson"]
    for name, spec in maps._standard_maps(analysis):
        ax = maps._draw(analysis, spec, lang="en", osm=True)
        texts = figure_texts(ax)
        footer = next(t for t in texts if t.startswith("Map date "))
        assert "Data: 社区.geojson, walk.osm" in footer, name
        assert "CRS: EPSG:32648 WGS 84 / UTM zone 48N" in footer, name
        assert "Standard: " + analysis.profile.name_en in footer, name
        assert "© OpenStreetMap contributors (ODbL)" in footer, name
        assert not any("/home/" in t or "/srv/" in t for t in texts), name
        street_lines = [
            c
            for c in ax.collections
            if isinstance(c, matplotlib.collections.LineCollection)
            and len(c.get_colors())
            and matplotlib.colors.to_hex(c.get_colors()[0]) == STREET_COLOR
        ]
        assert street_lines, f"no streets under {name}"
        if spec["kind"] != "grid":
            legends = [a for a in ax.get_children() if isinstance(a, matplotlib.legend.Legend)]
            texts = {t.get_text() for lg in legends for t in lg.get_texts()}
            assert {"Compound gate", "Crossing cut by a wall"} <= texts, name


# --------------------------------------------------------------------------- choropleth breaks


def test_no_quantiles_on_a_handful_of_communities(analysis) -> None:
    # 4 communities: counts in round steps from 0, shares on the fixed share breaks
    ax = maps.plot_communities(analysis, "hh_underserved", lang="en")
    c = maps.classify(analysis.communities["hh_underserved"], column="hh_underserved")
    assert c.scheme == "pretty" and c.edges[0] == 0
    steps = np.diff(c.edges)
    assert np.allclose(steps, steps[0]) and steps[0] in (100, 200, 250, 500, 1000)
    assert legend_texts(ax)[: c.k] == list(c.labels)
    c = maps.classify(analysis.communities["share__health_station"], column="share__health")
    assert c.scheme == "shares" and c.edges[1:-1] == SHARE_BREAKS
    # 30 communities: quantiles are fine
    rng = np.random.default_rng(3)
    assert maps.classify(rng.uniform(0, 500, 30), column="hh_underserved").scheme == "quantiles"
    assert maps.classify(rng.uniform(0, 500, 19), column="hh_underserved").scheme == "pretty"


def test_share_classes_by_hand() -> None:
    c = maps.classify([0.0, 0.19, 0.2, 0.5, 0.799, 0.85, 0.9, 0.999, 1.0], column="share__x")
    assert c.yb.tolist() == [0, 0, 1, 2, 2, 3, 4, 4, 5]
    assert c.labels[-1] == "100%" and c.labels[-2] == "90% – < 100%"
    w = maps.classify([0.0, 0.05, 0.1, 0.2, 0.3, 0.6, 0.9], column="share_underserved")
    assert w.yb.tolist() == [0, 1, 1, 2, 3, 4, 5]
    assert w.labels == ("0%", "> 0 – 10%", "10% – 25%", "25% – 50%", "50% – 75%", "> 75%")


def test_underserved_map_is_a_share_with_dots(analysis) -> None:
    ax = maps.plot_communities(analysis, "share_underserved", dots="underserved", lang="en")
    comm = analysis.communities
    share = comm["hh_underserved"] / comm["households"]
    c = maps.classify(share, column="share_underserved")
    fills = [matplotlib.colors.to_hex(f) for f in ax.collections[0].get_facecolors()]
    assert fills == c.color_of()
    texts = legend_texts(ax)
    n = int(analysis.homes.loc[analysis.homes["status"] == "underserved", "households"].sum())
    assert f"Underserved homes (size: households; {n:,} hh)" in texts


def test_missing_categories_map_counts(analysis) -> None:
    ax = maps.plot_missing_categories(analysis, lang="en")
    homes = analysis.homes
    k = homes["n_required"] - homes["n_covered"]
    hh = homes["households"]
    texts = legend_texts(ax)
    n_req = int(homes["n_required"].max())
    assert maps.missing_bins(n_req)[-1] == (n_req, n_req) or n_req > 4
    assert f"None lacking  {int(hh[k == 0].sum()):,} hh" in texts
    assert f"1 category lacking  {int(hh[k == 1].sum()):,} hh" in texts
    assert sum(int(t.split("  ")[1].removesuffix(" hh").replace(",", "")) for t in texts) == int(
        hh.sum()
    )


def test_missing_bins_cover_every_count_once() -> None:
    for n in range(1, 25):
        bins = maps.missing_bins(n)
        counts = [c for lo, hi in bins for c in range(lo, hi + 1)]
        assert counts == list(range(n + 1)), n
        assert len(bins) <= len(MISSING_COLORS)


def test_worst_category_skips_categories_without_facilities(analysis) -> None:
    worst = maps.worst_category(analysis)
    comm = analysis.communities
    cats = [c.removeprefix("hh_covered__") for c in comm.columns if c.startswith("hh_covered__")]
    shares = {c: comm[f"hh_covered__{c}"].sum() / comm["households"].sum() for c in cats}
    assert worst == min(sorted(shares), key=shares.get)
    # remove every facility of that category: the map must not pick it
    analysis.facilities = analysis.facilities[analysis.facilities["category"] != worst]
    second = maps.worst_category(analysis)
    assert second is not None and second != worst
    assert (analysis.facilities["category"] == second).any()
    names = [n for n, _ in maps._standard_maps(analysis)]
    assert f"walk_time_{second}" in names and f"walk_time_{worst}" not in names
    analysis.facilities = analysis.facilities.iloc[0:0]
    assert maps.worst_category(analysis) is None


# --------------------------------------------------------------------------- colour vision


# Machado, Oliveira & Fernandes (2009), severity 1.0, applied to linear sRGB
MACHADO = {
    "protanopia": np.array(
        [
            [0.152286, 1.052583, -0.204868],
            [0.114503, 0.786281, 0.099216],
            [-0.003882, -0.048116, 1.051998],
        ]
    ),
    "deuteranopia": np.array(
        [
            [0.367322, 0.860646, -0.227968],
            [0.280085, 0.672501, 0.047413],
            [-0.011820, 0.042940, 0.968881],
        ]
    ),
}
# CIEDE2000 thresholds: unordered classes (walking classes, siting, status) must stay clearly
# apart (≥ 15, about a "different colour" at a glance); neighbouring ordered classes of a
# sequential or diverging scheme at least 9 (ColorBrewer's 6-class sequential schemes fall
# to 6–7 under these simulations, hence viridis for the six share classes)
DISTINCT_DE00 = 15.0
ORDERED_DE00 = 9.0


def _lab(rgb: np.ndarray) -> np.ndarray:
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return _lab_of_linear(lin)


def _lab_of_linear(lin: np.ndarray) -> np.ndarray:
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    t = (m @ lin) / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def simulate(color: str, kind: str) -> np.ndarray:
    """CIELAB of ``color`` as seen with ``kind`` (or "normal")."""
    rgb = np.array(to_rgb(color))
    if kind == "normal":
        return _lab(rgb)
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return _lab_of_linear(np.clip(MACHADO[kind] @ lin, 0, 1))


def ciede2000(lab1: np.ndarray, lab2: np.ndarray) -> float:
    """CIEDE2000 colour difference (Sharma, Wu & Dalal 2005)."""
    L1, a1, b1 = lab1
    L2, a2, b2 = lab2
    cbar = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(cbar**7 / (cbar**7 + 25**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p = math.degrees(math.atan2(b1, a1p)) % 360
    h2p = math.degrees(math.atan2(b2, a2p)) % 360
    dl, dc = L2 - L1, c2p - c1p
    dh = 0.0 if c1p * c2p == 0 else h2p - h1p
    dh = dh - 360 if dh > 180 else dh + 360 if dh < -180 else dh
    dH = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(dh / 2))
    lbar, cbarp = (L1 + L2) / 2, (c1p + c2p) / 2
    if c1p * c2p == 0:
        hbar = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        hbar = (h1p + h2p) / 2
    else:
        hbar = (h1p + h2p + (360 if h1p + h2p < 360 else -360)) / 2
    cos = lambda deg: math.cos(math.radians(deg))  # noqa: E731
    t = 1 - 0.17 * cos(hbar - 30) + 0.24 * cos(2 * hbar) + 0.32 * cos(3 * hbar + 6)
    t -= 0.20 * cos(4 * hbar - 63)
    dtheta = 30 * math.exp(-(((hbar - 275) / 25) ** 2))
    rc = 2 * math.sqrt(cbarp**7 / (cbarp**7 + 25**7))
    sl = 1 + 0.015 * (lbar - 50) ** 2 / math.sqrt(20 + (lbar - 50) ** 2)
    sc, sh = 1 + 0.045 * cbarp, 1 + 0.015 * cbarp * t
    rt = -math.sin(math.radians(2 * dtheta)) * rc
    return math.sqrt((dl / sl) ** 2 + (dc / sc) ** 2 + (dH / sh) ** 2 + rt * (dc / sc) * (dH / sh))


def test_ciede2000_reference_pairs() -> None:
    # Sharma, Wu & Dalal (2005), table 1, pairs 1, 7 and 17
    assert ciede2000((50, 2.6772, -79.7751), (50, 0, -82.7485)) == pytest.approx(2.0425, abs=1e-4)
    assert ciede2000((50, 0, 0), (50, -1, 2)) == pytest.approx(2.3669, abs=1e-4)
    assert ciede2000((50, 2.5, 0), (73, 25, -18)) == pytest.approx(27.1492, abs=1e-4)


def min_difference(colors: list[str], *, adjacent: bool = False) -> tuple[float, str]:
    import itertools

    pairs = list(itertools.pairwise(colors) if adjacent else itertools.combinations(colors, 2))
    worst = (math.inf, "")
    for kind in ("normal", "deuteranopia", "protanopia"):
        for a, b in pairs:
            d = ciede2000(simulate(a, kind), simulate(b, kind))
            worst = min(worst, (d, f"{a} vs {b} ({kind})"))
    return worst


def test_colour_simulation_catches_the_old_red_green_palette() -> None:
    # the former walking bands (green … red) and the siting map's red/green: the
    # simulation must flag them, or the tests below prove nothing
    d, _ = min_difference(["#1a9850", "#91cf60", "#fee08b", "#d73027"])
    assert d < DISTINCT_DE00
    d, where = min_difference(["#d62728", "#2ca02c"])
    assert d < 6 and "deuteranopia" in where


def _rendered_colors(ax, labels: list[str]) -> dict[str, str]:
    leg = ax.get_legend()
    out = {}
    for h, t in zip(leg.legend_handles, leg.get_texts(), strict=True):
        for lab in labels:
            if t.get_text().startswith(lab):
                fc = h.get_markerfacecolor() if hasattr(h, "get_markerfacecolor") else None
                out[lab] = matplotlib.colors.to_hex(fc if fc is not None else h.get_facecolor())
    return out


def test_rendered_walk_classes_stay_distinguishable_with_colour_blindness() -> None:
    a = real_analysis()
    contract_statuses(a)
    ax = maps.plot_walk_times(a, "health_station", lang="en", areas=False)
    labels = list(maps.reach_labels(300.0, "en").values())
    rendered = _rendered_colors(ax, labels)
    assert len(rendered) == 5  # every class was drawn
    # the points on the map carry the legend's colours
    drawn = {
        matplotlib.colors.to_hex(c.get_facecolors()[0])
        for c in ax.collections
        if isinstance(c, matplotlib.collections.PathCollection) and len(c.get_offsets())
    }
    assert set(rendered.values()) <= drawn
    d, where = min_difference(list(rendered.values()))
    assert d >= DISTINCT_DE00, where


def test_missing_and_siting_colours_stay_distinguishable() -> None:
    # ordered classes apart from their neighbours; "none lacking" apart from all of them
    d, where = min_difference(list(MISSING_COLORS), adjacent=True)
    assert d >= ORDERED_DE00, where
    for other in MISSING_COLORS[1:]:
        d, where = min_difference([MISSING_COLORS[0], other])
        assert d >= DISTINCT_DE00, where
    siting = [SITING_COLORS[k] for k in ("before", "still", "new")]
    d, where = min_difference(siting)
    assert d >= DISTINCT_DE00, where


@pytest.mark.parametrize(
    ("values", "column", "standard"),
    [
        ([0.1, 0.3, 0.6, 0.85, 0.95, 1.0], "share__pharmacy", None),
        ([0.0, 0.05, 0.2, 0.4, 0.6, 0.9], "share_underserved", None),
        ([0.0, 5.0, 15.0, 25.0, 35.0, 45.0, 65.0], "area_per_100hh", 30.0),
        (list(range(0, 1000, 40)), "hh_underserved", None),
    ],
)
def test_choropleth_classes_stay_apart_with_colour_blindness(values, column, standard) -> None:
    c = maps.classify(values, column=column, standard=standard)
    shown = [c.colors[i] for i in (c.shown or range(c.k))]
    assert len(shown) >= 4
    d, where = min_difference(shown, adjacent=True)
    assert d >= ORDERED_DE00, where


def test_category_colours_are_the_okabe_ito_palette() -> None:
    from coverage15.styles import CATEGORY_COLORS, category_styles

    keys = ["pharmacy", "kindergarten", "health_station", "nursery"]
    styles = category_styles(keys)
    assert {c for c, _ in styles.values()} <= set(CATEGORY_COLORS)
    assert len({styles[k] for k in keys}) == len(keys)
    # a qualitative palette of eight: apart under both simulations (markers add redundancy)
    d, where = min_difference(list(CATEGORY_COLORS))
    assert d >= 10.0, where


def test_walk_map_of_a_category_without_facilities(analysis) -> None:
    cat = "health_station"
    analysis.facilities = analysis.facilities[analysis.facilities["category"] != cat]
    analysis.homes[f"dist_m__{cat}"] = np.nan
    analysis.homes[f"reach__{cat}"] = "no_path"  # as the engine reports a category without any
    ax = maps.plot_walk_times(analysis, cat, lang="en")
    n = int(analysis.homes["households"].sum())
    assert f"No path (no facility in the home's network piece)  {n:,} hh" in legend_texts(ax)
    assert any("No Community health station in the district" in t for t in figure_texts(ax))
