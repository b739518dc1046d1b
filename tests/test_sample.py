"""The bundled sample district: reproducible, shipped as package data, and built the way
SAMPLE_EXPECTATIONS says.

The generator is ``scripts/make_sample.py`` (not in the package; ``conftest.py`` puts
``scripts/`` on the import path)."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import networkx as nx
import osmnx as ox
import pandas as pd
import pytest
import shapely
from osmnx._overpass import _get_network_filter
from shapely.geometry import LineString, Point, Polygon

import make_sample
from coverage15 import datasets
from coverage15._errors import InputError
from coverage15.datasets import SAMPLE_EXPECTATIONS, SAMPLE_FILES, get_path, sample_path
from coverage15.standards import category_catalogue, match_category
from make_sample import generate_sample, main

EXP = SAMPLE_EXPECTATIONS
METRIC = EXP["metric_crs"]
ROOT = Path(__file__).resolve().parents[1]
REPO_SAMPLE = ROOT / "data" / "sample"
PACKAGE_SAMPLE = ROOT / "src" / "coverage15" / "data" / "sample"


# --------------------------------------------------------------------------- fixtures


@dataclass
class Osm:
    nodes: dict[int, tuple[float, float]]
    node_tags: dict[int, dict[str, str]]
    ways: dict[int, tuple[list[int], dict[str, str]]]
    walkable: set[int]

    def line(self, wid: int) -> LineString:
        return LineString([self.nodes[n] for n in self.ways[wid][0]])

    def polygon(self, wid: int) -> Polygon:
        return Polygon([self.nodes[n] for n in self.ways[wid][0]])

    def select(self, **tags: str) -> list[int]:
        return [w for w, (_, t) in self.ways.items() if all(t.get(k) == v for k, v in tags.items())]


def _walk_filter() -> list[tuple[str, str | None, str | None]]:
    """osmnx's own ``walk`` filter as (key, operator, regex) clauses."""
    clauses = re.findall(r'\["([^"]+)"(?:(!?~)"([^"]*)")?\]', _get_network_filter("walk"))
    assert clauses, "cannot read osmnx's walk filter"
    return [(k, op or None, rx or None) for k, op, rx in clauses]


def _is_walkable(tags: dict[str, str], clauses: list) -> bool:
    for key, op, rx in clauses:
        if op is None and key not in tags:
            return False
        if op == "!~" and key in tags and re.search(rx, tags[key]):
            return False
        if op == "~" and not (key in tags and re.search(rx, tags[key])):
            return False
    return True


@pytest.fixture(scope="module")
def osm() -> Osm:
    root = ET.parse(REPO_SAMPLE / "walk_network.osm").getroot()
    nodes, node_tags, ways = {}, {}, {}
    for n in root.iter("node"):
        i = int(n.get("id"))
        nodes[i] = (float(n.get("lon")), float(n.get("lat")))
        tags = {t.get("k"): t.get("v") for t in n.iter("tag")}
        if tags:
            node_tags[i] = tags
    for w in root.iter("way"):
        refs = [int(nd.get("ref")) for nd in w.iter("nd")]
        ways[int(w.get("id"))] = (refs, {t.get("k"): t.get("v") for t in w.iter("tag")})
    clauses = _walk_filter()
    walkable = {w for w, (_, tags) in ways.items() if _is_walkable(tags, clauses)}
    return Osm(nodes, node_tags, ways, walkable)


@pytest.fixture(scope="module")
def walk_lines(osm: Osm) -> gpd.GeoDataFrame:
    rows = [
        {"way": w, "bridge": osm.ways[w][1].get("bridge") == "yes", "geometry": osm.line(w)}
        for w in sorted(osm.walkable)
    ]
    return gpd.GeoDataFrame(rows, crs=4326).to_crs(METRIC)


@pytest.fixture(scope="module")
def water(osm: Osm) -> Polygon:
    (wid,) = osm.select(natural="water")
    return gpd.GeoSeries([osm.polygon(wid)], crs=4326).to_crs(METRIC).iloc[0]


@pytest.fixture(scope="module")
def communities() -> gpd.GeoDataFrame:
    return gpd.read_file(REPO_SAMPLE / "communities.geojson").to_crs(METRIC)


@pytest.fixture(scope="module")
def buildings(communities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    b = gpd.read_file(REPO_SAMPLE / "buildings.geojson").to_crs(METRIC)
    joined = gpd.sjoin(b, communities[["社区代码", "geometry"]], predicate="within")
    b["社区代码"] = joined["社区代码"]
    return b


@pytest.fixture(scope="module")
def facilities() -> gpd.GeoDataFrame:
    f = gpd.read_file(REPO_SAMPLE / "facilities.geojson").to_crs(METRIC)
    f["category"] = [match_category(c) for c in f["类别"]]
    return f


@pytest.fixture(scope="module")
def walk_graph(osm: Osm) -> nx.Graph:
    g = nx.Graph()
    for w in osm.walkable:
        refs = osm.ways[w][0]
        g.add_edges_from(itertools.pairwise(refs), way=w)
    return g


def _compounds(osm: Osm) -> Iterator[tuple[str, Polygon, set[int]]]:
    """(name, polygon in degrees, gate node ids) of every gated compound."""
    gates = {n for n, t in osm.node_tags.items() if t.get("barrier") == "gate"}
    for wid in osm.select(landuse="residential"):
        poly = osm.polygon(wid)
        on = {n for n in gates if poly.exterior.distance(Point(osm.nodes[n])) < 1e-9}
        yield osm.ways[wid][1]["name"], poly, on


# --------------------------------------------------------------------------- files


def test_regenerated_files_are_byte_identical(tmp_path: Path) -> None:
    paths = generate_sample(tmp_path)
    assert list(paths) == list(SAMPLE_FILES)
    assert make_sample.SAMPLE_FILES == SAMPLE_FILES
    for name, path in paths.items():
        new = path.read_bytes()
        for folder in (REPO_SAMPLE, PACKAGE_SAMPLE):
            old = (folder / name).read_bytes()
            assert new == old, f"{folder / name} differs from the generator's: run `make sample`"
        assert b"\r" not in new
        new.decode("utf-8")
    assert (REPO_SAMPLE / "README.md").is_file()


def test_the_package_copy_is_the_repository_copy() -> None:
    """data/sample (the repository's) and coverage15/data/sample (the package data) hold
    the same files, and nothing else but the README."""
    assert sorted(p.name for p in PACKAGE_SAMPLE.iterdir()) == sorted(SAMPLE_FILES)
    assert sorted(p.name for p in REPO_SAMPLE.iterdir()) == sorted([*SAMPLE_FILES, "README.md"])
    for name in SAMPLE_FILES:
        assert (PACKAGE_SAMPLE / name).read_bytes() == (REPO_SAMPLE / name).read_bytes(), name


def test_files_are_small() -> None:
    assert (REPO_SAMPLE / "walk_network.osm").stat().st_size < 1_500_000
    assert sum((REPO_SAMPLE / f).stat().st_size for f in SAMPLE_FILES) < 2_000_000


def test_get_path_finds_the_package_data() -> None:
    assert datasets.available() == list(SAMPLE_FILES)
    assert sample_path() == PACKAGE_SAMPLE
    for name in SAMPLE_FILES:
        assert get_path(name) == PACKAGE_SAMPLE / name
        assert get_path(name.split(".")[0]) == PACKAGE_SAMPLE / name
        assert sample_path(name) == PACKAGE_SAMPLE / name
    with pytest.raises(InputError, match=r"unknown sample file 'roads\.shp'") as err:
        get_path("roads.shp")
    assert all(name in str(err.value) for name in SAMPLE_FILES)  # lists what there is


def test_get_path_says_when_the_package_data_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(datasets, "_PACKAGE_DIR", tmp_path)
    with pytest.raises(FileNotFoundError, match="installed without its package data"):
        get_path("communities")


def test_sample_analysis_returns_a_fresh_object() -> None:
    a, b = datasets.sample_analysis("civil_affairs"), datasets.sample_analysis("civil_affairs")
    assert a is not b
    assert a.communities is not b.communities and a.homes is not b.homes
    a.communities["households"] = 0
    a.homes["households"] = 0
    c = datasets.sample_analysis("civil_affairs")
    assert int(c.communities["households"].sum()) == EXP["households"]
    assert int(c.homes["households"].sum()) == EXP["households"]
    assert c.profile.key == "civil_affairs"


def test_main_regenerates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "out")]) == 0
    assert "walk_network.osm" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(SAMPLE_FILES)


def test_the_generator_is_not_in_the_package() -> None:
    assert not (ROOT / "src" / "coverage15" / "sample.py").exists()
    with pytest.raises(ModuleNotFoundError):
        __import__("coverage15.sample")


# --------------------------------------------------------------------------- OSM XML


def test_osm_xml_is_plain_api_06() -> None:
    text = (REPO_SAMPLE / "walk_network.osm").read_text("utf-8")
    root = ET.fromstring(text)
    assert root.tag == "osm" and root.get("version") == "0.6"
    assert "timestamp" not in text and "OSMnx" not in text
    node_ids = [int(n.get("id")) for n in root.iter("node")]
    way_ids = [int(w.get("id")) for w in root.iter("way")]
    assert node_ids == sorted(set(node_ids)) and way_ids == sorted(set(way_ids))
    assert min(node_ids) > 0 and min(way_ids) > 0
    coord = re.compile(r"^-?\d+\.\d{7}$")
    assert all(coord.match(n.get("lat")) and coord.match(n.get("lon")) for n in root.iter("node"))
    refs = {int(nd.get("ref")) for nd in root.iter("nd")}
    assert refs <= set(node_ids)
    assert len(node_ids) < 5000


def test_osm_xml_reads_with_pyosmium(osm: Osm) -> None:
    osmium = pytest.importorskip("osmium")
    nodes = ways = 0
    for obj in osmium.FileProcessor(str(REPO_SAMPLE / "walk_network.osm")):
        nodes += obj.is_node()
        ways += obj.is_way()
    assert (nodes, ways) == (len(osm.nodes), len(osm.ways))


def test_walk_filter_drops_the_intended_ways(osm: Osm) -> None:
    dropped = [w for w in osm.ways if w not in osm.walkable]
    kinds = {
        "motorway": osm.select(highway="motorway"),
        "trunk foot=no": osm.select(highway="trunk", foot="no"),
        "cycleway": osm.select(highway="cycleway"),
        "pedestrian area": osm.select(highway="pedestrian", area="yes"),
        "private footway": osm.select(highway="footway", access="private"),
        "building": [w for w, (_, t) in osm.ways.items() if "building" in t],
        "landuse": osm.select(landuse="residential"),
        "fence": osm.select(barrier="fence"),
        "river": osm.select(waterway="river") + osm.select(natural="water"),
    }
    for kind, ids in kinds.items():
        assert ids, f"the sample has no {kind} way"
        assert set(ids) <= set(dropped), f"{kind} is not dropped by the walk filter"
    assert len(kinds["private footway"]) == EXP["dropped_ways"]["private_footway"]
    for key in ("motorway", "trunk_foot_no", "cycleway", "pedestrian_area"):
        assert osm.select(name=EXP["dropped_ways"][key])
    # every other highway is walkable: nothing else is lost by accident
    highways = {w for w, (_, t) in osm.ways.items() if "highway" in t}
    expected_dropped = set(itertools.chain(*(kinds[k] for k in list(kinds)[:5])))
    assert highways - osm.walkable == expected_dropped


def test_walk_graph_loads_with_osmnx(osm: Osm, tmp_path: Path) -> None:
    keep_nodes = sorted({n for w in osm.walkable for n in osm.ways[w][0]})
    lines = ["<?xml version='1.0' encoding='UTF-8'?>", '<osm version="0.6">']
    for n in keep_nodes:
        lon, lat = osm.nodes[n]
        lines.append(f' <node id="{n}" lat="{lat:.7f}" lon="{lon:.7f}"/>')
    for w in sorted(osm.walkable):
        refs, tags = osm.ways[w]
        lines.append(f' <way id="{w}">')
        lines += [f'  <nd ref="{r}"/>' for r in refs]
        lines += [f'  <tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append(" </way>")
    lines.append("</osm>")
    path = tmp_path / "walk.osm"
    path.write_text("\n".join(lines), encoding="utf-8")
    g = ox.graph_from_xml(path, bidirectional=True, retain_all=True)
    assert 0.3 * len(keep_nodes) < len(g) <= len(keep_nodes)
    comps = sorted(nx.weakly_connected_components(g), key=len, reverse=True)
    assert len(comps) == EXP["walk_components"]
    # the fragment is the park whose paths join nothing
    (park,) = osm.select(leisure="park", name=EXP["disconnected_fragment"]["name"])
    park_poly = osm.polygon(park)
    for comp in comps[1:]:
        assert all(park_poly.contains(Point(osm.nodes[n])) for n in comp)
    assert len(comps[0]) > 0.95 * len(g)


def test_crossing_walkable_ways_share_a_node(osm: Osm, walk_lines: gpd.GeoDataFrame) -> None:
    left, right = walk_lines.sindex.query(walk_lines.geometry, predicate="intersects")
    for i, j in zip(left, right, strict=True):
        if i >= j:
            continue
        a, b = walk_lines.iloc[i], walk_lines.iloc[j]
        shared = set(osm.ways[a["way"]][0]) & set(osm.ways[b["way"]][0])
        assert shared, f"ways {a['way']} and {b['way']} cross without a shared node"


def test_river_is_crossed_only_on_bridges(
    osm: Osm, walk_lines: gpd.GeoDataFrame, water: Polygon
) -> None:
    bridges = osm.select(bridge="yes")
    assert len(bridges) == EXP["bridges"]
    assert all(osm.ways[w][1].get("layer") == "1" for w in bridges)
    assert set(bridges) <= osm.walkable
    (river,) = osm.select(waterway="river")
    assert osm.ways[river][1]["name"] == EXP["river"]
    river_line = gpd.GeoSeries([osm.line(river)], crs=4326).to_crs(METRIC).iloc[0]
    crossing = walk_lines[walk_lines.intersects(water)]
    assert sorted(crossing["way"]) == sorted(bridges)
    assert crossing.intersects(river_line).all()
    # streets on both banks stop short of the water
    others = walk_lines[~walk_lines["bridge"]]
    assert others.distance(water).min() > 10


# --------------------------------------------------------------------------- compounds


def test_gates_and_fences(osm: Osm) -> None:
    gates = {n: t for n, t in osm.node_tags.items() if t.get("barrier") == "gate"}
    assert len(gates) == EXP["gates"]
    assert {t["entrance"] for t in gates.values()} <= {"main", "yes"}
    compounds = list(_compounds(osm))
    assert len(compounds) == EXP["compounds"]
    fences = [osm.polygon(w) for w in osm.select(barrier="fence")]
    assert len(fences) == len(compounds)
    found = set()
    for name, poly, on in compounds:
        assert name, "every compound (小区) has a name"
        assert 1 <= len(on) <= 2, name
        assert any(gates[n]["entrance"] == "main" for n in on), name
        assert any(f.equals(poly) for f in fences), f"{name} has no fence"
        found |= on
    assert found == set(gates)
    for w in osm.select(barrier="fence"):
        assert set(osm.ways[w][0]) >= {
            n for n in gates if osm.polygon(w).exterior.distance(Point(osm.nodes[n])) < 1e-9
        }


def test_compounds_are_entered_only_through_gates(osm: Osm, walk_graph: nx.Graph) -> None:
    for name, poly, gates in _compounds(osm):
        grown = poly.buffer(1e-9)
        inside = {
            w
            for w in osm.walkable
            if all(grown.covers(Point(osm.nodes[n])) for n in osm.ways[w][0])
        }
        assert inside, f"{name} has no internal paths"
        assert not any(osm.ways[w][1].get("access") == "private" for w in inside)
        inner_nodes = {n for w in inside for n in osm.ways[w][0]}
        outer_nodes = {n for w in osm.walkable - inside for n in osm.ways[w][0]}
        assert inner_nodes & outer_nodes == gates, name
        # no outside way enters the compound
        for w in osm.walkable - inside:
            assert not osm.line(w).intersects(shapely.Polygon(poly.exterior).buffer(-1e-7)), name
        # on the graph: without its gates, the compound is cut off
        g = walk_graph.copy()
        g.remove_nodes_from(gates)
        start = next(iter(inner_nodes - gates))
        assert nx.node_connected_component(g, start) <= inner_nodes, name


def test_dead_end_cluster(osm: Osm, walk_graph: nx.Graph) -> None:
    name = EXP["dead_end_cluster"]["name"]
    ways = osm.select(name=name)
    nodes = {n for w in ways for n in osm.ways[w][0]}
    dead = [n for n in nodes if walk_graph.degree(n) == 1]
    assert len(dead) == EXP["dead_end_cluster"]["dead_ends"]
    others = {n for w in osm.walkable - set(ways) for n in osm.ways[w][0]}
    assert len(nodes & others) == 1  # hangs off a single street


# --------------------------------------------------------------------------- communities


def test_community_table(communities: gpd.GeoDataFrame) -> None:
    assert list(communities.columns) == [
        "社区代码",
        "社区名称",
        "街道",
        "户数",
        "人口",
        "类型",
        "易地扶贫搬迁",
        "geometry",
    ]
    assert 8 <= len(communities) <= 12
    assert len(communities) == EXP["communities"]
    assert communities["社区代码"].is_unique
    assert communities["社区代码"].str.fullmatch(r"511102\d{6}").all()
    assert communities["户数"].between(600, 4000).all()
    assert int(communities["户数"].sum()) == EXP["households"]
    assert int(communities["人口"].sum()) == EXP["population"]
    ratio = communities["人口"] / communities["户数"]
    assert ratio.between(2.6, 3.0).all()
    assert set(communities["类型"]) == {"城市社区", "农村社区"}
    rural = communities[communities["类型"] == "农村社区"]
    assert dict(zip(rural["社区代码"], rural["社区名称"], strict=True)) == EXP["rural_communities"]
    assert rural["社区名称"].str.endswith("村").all()
    assert (communities["类型"] == "城市社区").sum() == EXP["urban_communities"]
    density = communities["户数"] / communities.area
    assert density.idxmin() == rural.index[0]
    assert rural["户数"].max() < communities.loc[communities["类型"] == "城市社区", "户数"].min()


def test_streets_and_relocation_settlement(communities: gpd.GeoDataFrame) -> None:
    streets = communities.groupby("街道")["社区代码"].apply(list).to_dict()
    assert streets == EXP["streets"]
    assert len(streets) >= 2
    for street, codes in streets.items():  # a 街道's communities share its code prefix
        assert len({c[:9] for c in codes}) == 1, street
    assert communities["易地扶贫搬迁"].dtype == bool
    reloc = communities[communities["易地扶贫搬迁"]]
    assert (
        dict(zip(reloc["社区代码"], reloc["社区名称"], strict=True))
        == EXP["relocation_communities"]
    )
    assert (reloc["类型"] == "城市社区").all()


def test_communities_tile_the_district(communities: gpd.GeoDataFrame) -> None:
    for a, b in itertools.combinations(communities.geometry, 2):
        assert a.intersection(b).area == pytest.approx(0.0, abs=1e-6)
    union = shapely.union_all(communities.geometry.to_numpy())
    assert union.geom_type == "Polygon" and not union.interiors
    outline = Polygon([make_sample._ll(p) for p in make_sample._district_ring()])
    outline = gpd.GeoSeries([outline], crs=4326).to_crs(METRIC).iloc[0]
    assert union.symmetric_difference(outline).area < 1.0
    assert union.area == pytest.approx(communities.area.sum(), rel=1e-9)
    assert 4.5e6 < union.area < 6e6  # about 2.6 km × 2 km


def test_community_edges_are_shared_exactly() -> None:
    raw = gpd.read_file(REPO_SAMPLE / "communities.geojson")
    verts = [set(map(tuple, shapely.get_coordinates(g).tolist())) for g in raw.geometry]
    for i, j in itertools.permutations(range(len(raw)), 2):
        border = raw.geometry[j].boundary
        on = {v for v in verts[i] if border.distance(Point(v)) < 1e-9}
        assert on <= verts[j], (raw["社区名称"][i], raw["社区名称"][j])
    for g in raw.geometry:
        assert g.exterior.is_ccw


# --------------------------------------------------------------------------- buildings


def test_buildings(
    buildings: gpd.GeoDataFrame,
    communities: gpd.GeoDataFrame,
    walk_lines: gpd.GeoDataFrame,
    water: Polygon,
    osm: Osm,
) -> None:
    assert list(buildings.columns[:3]) == ["建筑编号", "用途", "楼层"]
    assert buildings["建筑编号"].is_unique
    assert (buildings["用途"] == "住宅").all()
    assert buildings["社区代码"].notna().all(), "every building lies inside one community"
    # rectangles
    rect = buildings.geometry.apply(lambda g: g.minimum_rotated_rectangle.area)
    assert ((rect - buildings.area).abs() < 0.01 * buildings.area).all()
    assert shapely.get_num_coordinates(buildings.geometry.to_numpy()).max() == 5
    # none on a street, in the river, or on another building
    highways = [osm.line(w) for w, (_, t) in osm.ways.items() if "highway" in t]
    highways = gpd.GeoSeries(highways, crs=4326).to_crs(METRIC)
    near = buildings.sindex.query(highways.buffer(4.0), predicate="intersects")
    assert near.size == 0
    assert not buildings.intersects(water).any()
    left, right = buildings.sindex.query(buildings.geometry, predicate="intersects")
    assert (left == right).all()
    # one urban community without buildings, all others with
    per = buildings.groupby("社区代码").size()
    empty = set(communities["社区代码"]) - set(per.index)
    assert empty == {EXP["community_without_buildings"]["community_id"]}
    name = communities.set_index("社区代码").loc[next(iter(empty))]
    assert name["社区名称"] == EXP["community_without_buildings"]["name"]
    assert name["类型"] == "城市社区"
    # levels: compounds 6–33, old blocks 2–7, the village 2–3
    comp = [
        gpd.GeoSeries([poly], crs=4326).to_crs(METRIC).iloc[0] for _, poly, _ in _compounds(osm)
    ]
    in_comp = buildings.within(shapely.union_all(comp))
    rural = buildings["社区代码"].isin(list(EXP["rural_communities"]))
    assert buildings.loc[in_comp, "楼层"].between(6, 33).all()
    assert buildings.loc[rural, "楼层"].between(2, 3).all()
    assert buildings.loc[~in_comp & ~rural, "楼层"].between(2, 7).all()
    assert buildings.loc[in_comp, "楼层"].max() >= 30


# --------------------------------------------------------------------------- facilities


def test_facility_table(facilities: gpd.GeoDataFrame) -> None:
    assert list(facilities.columns[:4]) == ["设施编号", "设施名称", "类别", "建筑面积"]
    assert facilities["设施编号"].is_unique
    known = facilities["category"].notna() | facilities["类别"].isin(list(EXP["new_categories"]))
    assert known.all(), "every 类别 is a catalogue name or alias"
    assert facilities["建筑面积"].notna().mean() > 0.8
    cat = category_catalogue()
    for alias, key in EXP["alias_categories"].items():
        assert (facilities["类别"] == alias).any(), alias
        assert match_category(alias) == key
        assert alias != cat[key].name_zh
    names = {v.name_zh for v in cat.values()} | set(EXP["new_categories"])
    used_aliases = {c for c in facilities["类别"] if c not in names}
    assert used_aliases == set(EXP["alias_categories"])


def test_every_facility_is_near_a_walkable_way(
    facilities: gpd.GeoDataFrame, walk_lines: gpd.GeoDataFrame
) -> None:
    lines = shapely.union_all(walk_lines.geometry.to_numpy())
    assert facilities.distance(lines).max() <= 30.0


def test_one_station_per_community_and_the_area_shortfalls(
    facilities: gpd.GeoDataFrame, communities: gpd.GeoDataFrame
) -> None:
    stations = facilities[facilities["category"] == "community_service_station"]
    joined = gpd.sjoin(stations, communities, predicate="within")
    assert joined["社区代码"].value_counts().eq(1).all()
    assert set(joined["社区代码"]) == set(communities["社区代码"])
    area = joined.groupby("社区代码")["建筑面积"].sum()
    hh = communities.set_index("社区代码")["户数"]
    per100 = area / hh * 100
    names = communities.set_index("社区代码")["社区名称"]
    below30 = {c: names[c] for c in per100.index if per100[c] < 30}
    below20 = {c: names[c] for c in per100.index if per100[c] < 20}
    assert below30 == EXP["below_30_m2_per_100_households"]
    assert below20 == EXP["below_20_m2_per_100_households"]
    assert all(names[c].endswith("社区") for c in below30)
    # counting every 社区综合服务设施 (stations and centres) changes nothing
    cats = category_catalogue()
    comm_fac = facilities[[cats[c].community_facility for c in facilities["category"]]]
    joined = gpd.sjoin(comm_fac, communities, predicate="within")
    per100_all = joined.groupby("社区代码")["建筑面积"].sum() / hh * 100
    assert {c for c in per100_all.index if per100_all[c] < 30} == set(below30)


def test_lacking_categories(facilities: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame) -> None:
    for code, spec in EXP["lacking_within_distance"].items():
        homes = buildings[buildings["社区代码"] == code]
        assert len(homes) > 0, spec["name"]
        for category, dist in spec["categories"].items():
            fac = facilities[facilities["category"] == category]
            assert len(fac) > 0, f"no {category} anywhere: not a deliberate gap"
            nearest = homes.geometry.apply(lambda g, fac=fac: fac.distance(g).min())
            assert nearest.min() > dist + 5, (spec["name"], category, nearest.min())


def test_facility_outside_every_community(
    facilities: gpd.GeoDataFrame,
    communities: gpd.GeoDataFrame,
    walk_lines: gpd.GeoDataFrame,
    walk_graph: nx.Graph,
    osm: Osm,
) -> None:
    joined = gpd.sjoin(facilities, communities, how="left", predicate="intersects")
    outside = joined[joined["社区代码"].isna()]
    exp = EXP["facility_outside_communities"]
    assert list(outside["设施编号"]) == [exp["facility_id"]]
    row = outside.iloc[0]
    assert row["设施名称"] == exp["name"] and row["category"] == exp["category"]
    district = shapely.union_all(communities.geometry.to_numpy())
    assert 0 < district.distance(row.geometry) < 100
    # and it is on the main network, so homes inside the district can walk to it
    nearest = walk_lines.iloc[int(walk_lines.distance(row.geometry).to_numpy().argmin())]
    main_part = max(nx.connected_components(walk_graph), key=len)
    assert osm.ways[nearest["way"]][0][0] in main_part


def test_new_categories_are_in_the_catalogue() -> None:
    cat = category_catalogue()
    for name, key in EXP["new_categories"].items():
        assert match_category(name) == key
        assert cat[key].name_zh == name


def _hours(text: str) -> float:
    """Daily opening hours of '8:30-17:30' or '08:00-12:00,14:00-18:00' (plain reference)."""
    total = 0.0
    for span in text.split(","):
        start, end = span.split("-")
        (h0, m0), (h1, m1) = (map(int, t.split(":")) for t in (start, end))
        total += (h1 * 60 + m1 - h0 * 60 - m0) / 60
    return total


def test_hours_reference() -> None:
    assert _hours("8:30-17:30") == 9.0
    assert _hours("08:00-12:00,14:00-18:00") == 8.0
    assert _hours("9:00-11:30,14:30-17:30") == 5.5


def test_opening_hours(facilities: gpd.GeoDataFrame, communities: gpd.GeoDataFrame) -> None:
    hours = facilities["开放时间"]
    pattern = r"\d{1,2}:\d{2}-\d{1,2}:\d{2}(,\d{1,2}:\d{2}-\d{1,2}:\d{2})*"
    assert hours.dropna().str.fullmatch(pattern).all()
    assert hours.dropna().str.contains(",").any() and (~hours.dropna().str.contains(",")).any()
    # every facility with a building has hours; the open-air fitness grounds have none
    outdoor = facilities["category"] == "outdoor_fitness"
    assert hours[facilities["建筑面积"].notna() & ~outdoor].notna().all()
    assert hours[outdoor].isna().all()
    daily = hours.dropna().map(_hours)
    assert daily.between(3.0, 17.0).all()
    stations = facilities[facilities["category"] == "community_service_station"]
    joined = gpd.sjoin(stations, communities, predicate="within").set_index("社区代码")
    short = {c: _hours(h) for c, h in joined["开放时间"].items() if _hours(h) < 8}
    assert short == EXP["station_open_below_8_hours"]
    assert 8.0 in {_hours(h) for h in joined["开放时间"]}  # a station open exactly 8 h


def test_station_floor_areas(facilities: gpd.GeoDataFrame, communities: gpd.GeoDataFrame) -> None:
    stations = facilities[facilities["category"] == "community_service_station"]
    joined = gpd.sjoin(stations, communities, predicate="within")
    small = joined[joined["建筑面积"] < 300]
    assert (
        dict(zip(small["社区代码"], small["社区名称"], strict=True)) == EXP["station_below_300_m2"]
    )
    centres = facilities[facilities["category"] == "community_service_centre"]
    assert len(centres) == len(EXP["streets"])  # one street-level centre per 街道
    assert (centres["建筑面积"] >= 800).all()


@pytest.mark.parametrize(
    ("name", "key"),
    [("社区体育健身站点", "sports_station_communities"), ("儿童之家", "children_home_communities")],
)
def test_sports_stations_and_children_homes(
    facilities: gpd.GeoDataFrame, communities: gpd.GeoDataFrame, name: str, key: str
) -> None:
    these = facilities[facilities["类别"] == name]
    joined = gpd.sjoin(these, communities, how="left", predicate="within")
    assert joined["社区代码"].notna().all()
    assert joined["社区代码"].is_unique  # at most one per community
    assert dict(zip(joined["社区代码"], joined["社区名称"], strict=True)) == EXP[key]
    assert set(EXP[key]) < set(communities["社区代码"])  # some communities have none


def test_open_spaces(communities: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame) -> None:
    raw = gpd.read_file(REPO_SAMPLE / "open_spaces.geojson")
    assert list(raw.columns) == ["name", "community_id", "geometry"]
    assert len(raw) == EXP["open_spaces"] and raw["name"].is_unique
    spaces = raw.to_crs(METRIC)
    assert (spaces.geom_type == "Polygon").all() and spaces.is_valid.all()
    joined = gpd.sjoin(spaces, communities[["社区代码", "geometry"]], predicate="within")
    assert (joined["社区代码"] == joined["community_id"]).all() and len(joined) == len(raw)
    assert not buildings.intersects(shapely.union_all(spaces.geometry.to_numpy())).any()
    per_resident = (
        spaces.area.groupby(spaces["community_id"]).sum().reindex(communities["社区代码"])
        / communities.set_index("社区代码")["人口"]
    )
    names = communities.set_index("社区代码")["社区名称"]
    above = {c: names[c] for c, v in per_resident.items() if v >= 2.5}
    none = {c: names[c] for c, v in per_resident.items() if pd.isna(v)}
    assert above == EXP["open_space_at_least_2_5_m2_per_resident"]
    assert none == EXP["open_space_none"]
    some_below = per_resident.dropna()[per_resident.dropna() < 2.5]
    assert len(some_below) >= 2  # communities with a plaza too small for their residents
