"""Static maps: classification, diverging scheme, scale bar, fonts, service areas, files."""

from __future__ import annotations

import math
import types
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

from coverage15 import _fonts, maps
from coverage15._fonts import CJKFontMissingWarning
from coverage15.standards import load_profile
from coverage15.validation import ValidationReport

matplotlib.use("Agg")
CRS = "EPSG:32648"  # UTM 48N, Leshan
X0, Y0 = 380_000.0, 3_270_000.0  # Leshan


# --------------------------------------------------------------------------- fixture


def grid_graph(n: int = 6, step: float = 200.0) -> nx.MultiDiGraph:
    """n × n street grid, two-way, in UTM 48N."""
    g = nx.MultiDiGraph(crs=CRS)
    for i in range(n):
        for j in range(n):
            g.add_node((i, j), x=X0 + i * step, y=Y0 + j * step)
    for i in range(n):
        for j in range(n):
            for di, dj in ((1, 0), (0, 1)):
                if i + di < n and j + dj < n:
                    a, b = (i, j), (i + di, j + dj)
                    g.add_edge(a, b, length=step)
                    g.add_edge(b, a, length=step)
    return g


def synthetic_analysis() -> types.SimpleNamespace:
    """A small analysis that follows the ``Analysis`` contract exactly (no engine)."""
    profile = load_profile("leshan_2018")
    cats = profile.required_categories
    names = ["嘉州社区", "白塔社区", "海棠社区", "苏稽村"]
    polys = [
        shapely.box(X0 + i * 500, Y0 + j * 500, X0 + (i + 1) * 500, Y0 + (j + 1) * 500)
        for j in range(2)
        for i in range(2)
    ]
    hh = np.array([1200, 800, 1500, 300])
    reach = [330.0, 520.0, 900.0, 1500.0]  # farthest facility per community: good … poor
    rng = np.random.default_rng(7)
    homes = []
    for k, poly in enumerate(polys):
        x0, y0, x1, y1 = poly.bounds
        for m in range(10):
            row = {
                "home_id": f"C{k + 1}-{m}",
                "community_id": f"C{k + 1}",
                "households": int(hh[k] // 10),
                "geometry": shapely.Point(
                    rng.uniform(x0 + 20, x1 - 20), rng.uniform(y0 + 20, y1 - 20)
                ),
            }
            for c in cats:
                d = float(rng.uniform(30, reach[k]))
                row[f"dist_m__{c}"] = d if d < 1000 else math.nan
                row[f"time_min__{c}"] = d / 60.0 if d < 1000 else math.nan
                row[f"facility__{c}"] = f"F-{c}" if d < 1000 else None
                row[f"covered__{c}"] = d <= profile.threshold_m(c)
            homes.append(row)
    homes = gpd.GeoDataFrame(homes, crs=CRS)
    cov = homes[[f"covered__{c}" for c in cats]].to_numpy()
    homes["n_required"] = len(cats)
    homes["n_covered"] = cov.sum(axis=1)
    homes["completeness"] = homes["n_covered"] / len(cats)
    homes["missing"] = [",".join(np.array(cats)[~r]) for r in cov]
    for tier in ("5min", "10min", "15min"):
        need = profile.required_up_to(tier)
        homes[f"met__{tier}"] = homes[[f"covered__{c}" for c in need]].all(axis=1)
    homes["status"] = np.where(cov.all(axis=1), "covered", "underserved")
    comm = gpd.GeoDataFrame(
        {
            "community_id": [f"C{k + 1}" for k in range(4)],
            "name": names,
            "households": hh,
            "population": hh * 3,
            "kind": ["urban", "urban", "urban", "rural"],
        },
        geometry=polys,
        crs=CRS,
    )
    by = homes.groupby("community_id")
    for c in cats:
        got = by.apply(lambda g, c=c: int(g["households"][g[f"covered__{c}"]].sum())).reindex(
            comm["community_id"]
        )
        comm[f"hh_covered__{c}"] = got.to_numpy()
        comm[f"share__{c}"] = got.to_numpy() / hh
    full = by.apply(lambda g: int(g["households"][g["status"] == "covered"].sum()))
    comm["hh_covered_all"] = full.reindex(comm["community_id"]).to_numpy()
    comm["share_covered_all"] = comm["hh_covered_all"] / hh
    comm["hh_underserved"] = hh - comm["hh_covered_all"]
    comm["hh_off_network"] = 0
    comm["lacking"] = ["kindergarten: 620; elderly_daycare: 300", "", "health_station: 1500", ""]
    for tier in ("5min", "10min", "15min"):
        comm[f"hh_met__{tier}"] = comm["hh_covered_all"]
    comm["community_facility_m2"] = [180.0, 400.0, 0.0, 120.0]
    comm["area_per_100hh"] = comm["community_facility_m2"] / hh * 100
    comm["area_target_per_100hh"] = 30.0
    comm["area_pass"] = comm["area_per_100hh"] >= 30
    comm["has_community_facility"] = comm["community_facility_m2"] > 0
    comm["accessible_area_per_100hh"] = [22.0, 41.0, 8.0, 35.0]
    fac_rows = []
    for n, c in enumerate(cats):
        for m in range(2):
            fac_rows.append(
                {
                    "facility_id": f"F{n}-{m}",
                    "name": f"设施{n}-{m}",
                    "category": c,
                    "floor_area_m2": 300.0 + 100 * m,
                    "community_id": f"C{1 + (n + m) % 4}",
                    "geometry": shapely.Point(X0 + 110 + 600 * m + 40 * n, Y0 + 90 + 700 * m),
                }
            )
    facilities = gpd.GeoDataFrame(fac_rows, crs=CRS)
    district = pd.DataFrame(
        {
            "indicator": [
                "households",
                "share_households_covered_all",
                "coverage_urban",
                "area_per_100hh",
            ],
            "value": [float(hh.sum()), 0.42, 0.67, 18.5],
            "target": [None, None, 1.0, 30.0],
            "passed": [None, None, False, False],
            "unit": [
                "households",
                "share of households",
                "share of urban communities",
                "m² per 100 households",
            ],
            "source": ["computed", "computed", "Leshan plan", "Leshan plan"],
            "confidence": ["", "", "R", "C2"],
        }
    )
    worst = comm.sort_values("share_covered_all")[
        ["community_id", "name", "households", "share_covered_all", "hh_underserved", "lacking"]
    ].reset_index(drop=True)
    return types.SimpleNamespace(
        profile=profile,
        group="general",
        homes=homes,
        communities=comm,
        district=district,
        worst=worst,
        facilities=facilities,
        network=grid_graph(),
        report=ValidationReport(source="test"),
    )


@pytest.fixture
def analysis() -> types.SimpleNamespace:
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
    c = maps.classify([1.0, 1.0, 1.0, 0.0, float("nan")], k=5, column="share__pharmacy")
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


def test_attribution_flag(analysis) -> None:
    ax = maps.plot_communities(analysis, "share_covered_all", lang="en")
    assert any("© OpenStreetMap contributors (ODbL)" in t.get_text() for t in ax.texts)
    ax = maps.plot_communities(analysis.communities, "share_covered_all", lang="en")
    assert not any("OpenStreetMap" in t.get_text() for t in ax.texts)
    ax = maps.plot_communities(analysis.communities, "share_covered_all", lang="en", osm=True)
    assert any("OpenStreetMap" in t.get_text() for t in ax.texts)


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
    assert "0 – 5 min" in texts and "> 15 min" in texts and "Community health station" in texts
    assert any(t.startswith("Walking service area ≤ 15") for t in texts)
    assert any("or unreachable" in t for t in texts)
    ax = maps.plot_walk_times(analysis, "health_station", lang="en", show="streets")
    assert "unreachable" in legend_texts(ax) or "0 – 5 min" in legend_texts(ax)
    with pytest.raises(ValueError, match="categories are"):
        maps.plot_walk_times(analysis, "gym")


def test_write_maps_and_pdf(analysis, tmp_path: Path) -> None:
    files = maps.write_maps(analysis, tmp_path, lang="en", dpi=40)
    names = sorted(p.name for p in files)
    assert "map_coverage_all.png" in names and "map_area_per_100hh.png" in names
    assert any(n.startswith("map_walk_time_") for n in names)
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
    pytest.importorskip("coverage15.access")
    from coverage15.access import WalkNetwork

    net = WalkNetwork.from_graph(grid_graph())
    fac = gpd.GeoSeries([shapely.Point(X0 + 500, Y0 + 500)], crs=CRS)
    a = maps.service_areas(net, fac, minutes=[5])
    b = maps.service_areas(grid_graph(), fac, minutes=[5])
    assert a.geometry.iloc[0].symmetric_difference(b.geometry.iloc[0]).area < 1.0
