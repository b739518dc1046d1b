"""Walking networks from OSM files, road lines and osmnx (offline stand-ins only)."""

from __future__ import annotations

import bz2
import gzip
import math
import pickle
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path
from xml.sax.saxutils import quoteattr

import geopandas as gpd
import networkx as nx
import osmium
import osmnx as ox
import pytest
import shapely

from coverage15._errors import InputError, NetworkError
from coverage15.network import (
    _kind,
    build_walk_network,
    load_network,
    network_summary,
    prepare_graph,
    save_network,
    walkable,
)

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "osm"
realdata = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data/osm is absent")

# Five nodes on a line of latitude 29.55 N (Leshan), 0.001° of longitude apart
# (≈ 96.8 m each), node 6 north of 3, node 9 referenced but missing.
LAT = 29.55
NODES = {i: (103.760 + 0.001 * (i - 1), LAT) for i in range(1, 6)} | {6: (103.762, LAT + 0.001)}
WAYS = [
    (101, [1, 2, 3], {"highway": "residential", "oneway": "yes"}),  # walkable both ways
    (102, [3, 4, 9, 5], {"highway": "footway"}),  # 9 missing → split into 3-4 (and 5 alone)
    (103, [3, 6], {"highway": "motorway"}),  # not walkable
    (104, [2, 6], {"highway": "service", "access": "private"}),  # not walkable
    (105, [1, 6, 2, 1], {"building": "yes"}),  # not a highway
    (106, [5, 6], {"highway": "path", "foot": "no"}),  # not walkable
]


def _osm_xml(ways=WAYS, nodes=NODES, gate: int | None = 2) -> str:
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for i, (lon, lat) in nodes.items():
        tags = '<tag k="barrier" v="gate"/>' if i == gate else ""
        out.append(f'<node id="{i}" version="1" lat="{lat}" lon="{lon}">{tags}</node>')
    for wid, refs, tags in ways:
        body = "".join(f'<nd ref="{r}"/>' for r in refs)
        body += "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
        out.append(f'<way id="{wid}" version="1">{body}</way>')
    out.append("</osm>")
    return "\n".join(out)


@pytest.fixture
def osm_file(tmp_path: Path) -> Path:
    p = tmp_path / "hand.osm"
    p.write_text(_osm_xml(), encoding="utf-8")
    return p


@pytest.fixture
def clean_osm(tmp_path: Path) -> Path:
    """The hand file without the reference to the missing node (osmnx refuses those)."""
    ways = [(w, [r for r in refs if r != 9], tags) for w, refs, tags in WAYS]
    p = tmp_path / "clean.osm"
    p.write_text(_osm_xml(ways), encoding="utf-8")
    return p


def _haversine(a: tuple[float, float], b: tuple[float, float]) -> float:
    (lon1, lat1), (lon2, lat2) = a, b
    r = 6_371_009.0  # osmnx's EARTH_RADIUS_M
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))


def _edge_set(G: nx.MultiDiGraph) -> set[tuple[int, int]]:
    return {(u, v) for u, v in G.edges()}


def test_walk_filter_matches_osmnx_rules() -> None:
    assert walkable({"highway": "residential", "oneway": "yes"})
    assert walkable({"highway": "steps"})
    assert not walkable({"highway": "motorway_link"})  # "motor" matches unanchored, as Overpass
    assert not walkable({"highway": "cycleway"})
    assert not walkable({"highway": "footway", "area": "yes"})
    assert not walkable({"highway": "primary", "sidewalk": "separate"})
    assert not walkable({"highway": "track", "service": "private"})
    assert not walkable({"leisure": "park"})


def test_hand_osm_file_edges_lengths_and_counts(osm_file: Path) -> None:
    G = build_walk_network(osm_file, simplify=False)
    # way 101 both directions despite oneway (walking), way 102 only 3-4 (9 missing, 5 alone)
    assert _edge_set(G) == {(1, 2), (2, 1), (2, 3), (3, 2), (3, 4), (4, 3)}
    for u, v, d in G.edges(data=True):
        assert d["length"] == pytest.approx(_haversine(NODES[u], NODES[v]), abs=1e-3)
        assert d["geometry"].length == pytest.approx(d["length"], rel=2e-3)  # UTM ≈ great circle
    assert G.nodes[2]["barrier"] == "gate"  # gates kept for gated compounds
    rec = network_summary(G)
    assert rec["kind"] == "osm"
    assert rec["highway_ways"] == 5  # way 105 has no highway tag
    assert rec["walkable_ways"] == 2
    assert rec["ways_excluded_by_walk_filter"] == 3
    assert rec["missing_node_refs"] == 1
    assert rec["ways_split_at_missing_nodes"] == 0  # 3-4 kept; the piece "5" is a single node
    assert rec["crs"] == "EPSG:32648"  # UTM 48N at 103.76 E
    assert rec["osm_data"] is True


def test_way_split_at_missing_node_is_not_bridged(tmp_path: Path) -> None:
    ways = [(201, [1, 2, 9, 4, 5], {"highway": "footway"})]
    p = tmp_path / "gap.osm"
    p.write_text(_osm_xml(ways), encoding="utf-8")
    G = build_walk_network(p, simplify=False)
    assert _edge_set(G) == {(1, 2), (2, 1), (4, 5), (5, 4)}  # no 2-4 shortcut across the gap
    rec = G.graph["coverage15"]
    assert rec["missing_node_refs"] == 1
    assert rec["ways_split_at_missing_nodes"] == 1
    assert nx.number_weakly_connected_components(G) == 2


def test_simplify_keeps_distances(osm_file: Path) -> None:
    raw = build_walk_network(osm_file, simplify=False)
    simple = build_walk_network(osm_file)
    assert set(simple.nodes) == {1, 4}  # 2 and 3 are interstitial: one street 1 → 4
    d_raw = nx.shortest_path_length(raw, 1, 4, weight="length")
    d_simple = nx.shortest_path_length(simple, 1, 4, weight="length")
    assert d_simple == pytest.approx(d_raw, abs=1e-6)


def test_compressed_and_pbf_give_the_same_graph(osm_file: Path, tmp_path: Path) -> None:
    text = osm_file.read_bytes()
    (tmp_path / "hand.osm.bz2").write_bytes(bz2.compress(text))
    (tmp_path / "hand.osm.gz").write_bytes(gzip.compress(text))
    pbf = tmp_path / "hand.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(osm_file)):
            if obj.is_node():
                writer.add_node(obj)
            elif obj.is_way():
                writer.add_way(obj)
    base = build_walk_network(osm_file, simplify=False)
    for name in ("hand.osm.bz2", "hand.osm.gz", "hand.osm.pbf"):
        G = build_walk_network(tmp_path / name, simplify=False)
        assert _edge_set(G) == _edge_set(base), name
        lengths = {(u, v): d for u, v, d in G.edges(data="length")}
        for u, v, d in base.edges(data="length"):
            assert lengths[(u, v)] == pytest.approx(d, abs=1e-6)


def test_bad_files_raise_network_errors(tmp_path: Path) -> None:
    with pytest.raises(NetworkError, match="not found"):
        build_walk_network(tmp_path / "missing.osm")
    broken = tmp_path / "broken.osm.bz2"
    broken.write_bytes(bz2.compress(_osm_xml().encode())[:60])
    with pytest.raises(NetworkError, match=r"broken\.osm\.bz2.*decompress"):
        build_walk_network(broken)
    garbage = tmp_path / "garbage.osm"
    garbage.write_text("<osm><node id='1' lat='x'", encoding="utf-8")
    with pytest.raises(NetworkError, match=r"garbage\.osm"):
        build_walk_network(garbage)
    nothing = tmp_path / "buildings.osm"
    nothing.write_text(_osm_xml([(1, [1, 2, 6, 1], {"building": "yes"})]), encoding="utf-8")
    with pytest.raises(NetworkError, match="no walkable ways"):
        build_walk_network(nothing)
    with pytest.raises(NetworkError, match="unknown network file type"):
        (tmp_path / "roads.txt").write_text("x")
        build_walk_network(tmp_path / "roads.txt")
    with pytest.raises(NetworkError, match="cannot build"):
        build_walk_network(42)


@pytest.mark.parametrize(
    "place",
    [
        "St. Louis, Missouri, USA",
        "Washington, D.C., USA",
        "Mt. Vernon",
        "市中区, 乐山市, 四川省, 中国",
        "Trento/Trient, Italy",
    ],
)
def test_place_names_with_dots_are_not_files(place: str) -> None:
    assert _kind(place) == "place"  # classification only: nothing is downloaded


@pytest.mark.parametrize(
    "name", ["walk.osm", "乐山.osm.pbf", "x.osm.bz2", "x.OSM.GZ", "roads.gpkg", "r.shp", "a.pbf"]
)
def test_missing_file_with_a_network_suffix_is_not_found(tmp_path: Path, name: str) -> None:
    missing = tmp_path / name
    for source in (str(missing), missing):
        with pytest.raises(NetworkError, match=rf"{missing.name}: network source file not found"):
            _kind(source)


@pytest.mark.parametrize(
    "name", ["beijing.osm.bz", "roads.geojsn", "./walk", "../data/walk", "/no/such/net"]
)
def test_mistyped_file_names_are_missing_files_not_places(name: str) -> None:
    # never handed to the geocoder (which would go online and fail or find something else)
    with pytest.raises(NetworkError, match="network source file not found"):
        _kind(name)


def test_failed_download_is_a_network_error(monkeypatch) -> None:
    import requests

    def offline(*args, **kwargs):
        raise requests.ConnectionError("HTTPSConnectionPool(host='nominatim.openstreetmap.org')")

    monkeypatch.setattr(ox, "graph_from_place", offline)
    with pytest.raises(NetworkError, match="OpenStreetMap download for 'Leshan, China' failed"):
        build_walk_network("Leshan, China")


def test_existing_files_are_files_whatever_their_name(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("roads.geojson").write_text("{}")
    Path("St. Louis").write_text("x")  # a file on disk, though it reads like a place
    Path("Paris").mkdir()  # a folder is not a network file: Paris is still a place
    assert _kind("roads.geojson") == "lines"
    with pytest.raises(NetworkError, match="unknown network file type"):
        _kind("St. Louis")
    assert _kind("Paris") == "place"
    with pytest.raises(NetworkError, match="load_network"):
        Path("walk.graphml").write_text("<graphml/>")
        _kind("walk.graphml")


def _node_at(G: nx.MultiDiGraph, x: float, y: float) -> int:
    return next(n for n, d in G.nodes(data=True) if (d["x"], d["y"]) == (x, y))


def _dist(G: nx.MultiDiGraph, a: tuple[float, float], b: tuple[float, float]) -> float:
    try:
        return nx.shortest_path_length(G, _node_at(G, *a), _node_at(G, *b), weight="length")
    except nx.NetworkXNoPath:
        return math.inf


CROSS = [
    shapely.LineString([(0, 0), (200, 0)]),
    shapely.LineString([(100, -100), (100, 100)]),
    shapely.LineString([(200, 0), (200, 50)]),  # a spur touching the end of the first
]


def test_road_lines_join_at_shared_ends_not_where_they_cross(tmp_path: Path) -> None:
    # a cross without a shared vertex: two 200 m lines crossing at (100, 0), a 50 m spur
    lines = gpd.GeoDataFrame(
        {"name": ["east-west", "north-south", "spur", "bad"]},
        geometry=[*CROSS, shapely.Point(5, 5)],
        crs="EPSG:32648",
    )
    G = build_walk_network(lines, simplify=False)
    assert G.number_of_nodes() == 5  # the lines pass each other: no junction invented
    assert _dist(G, (100, -100), (200, 50)) == math.inf
    assert _dist(G, (0, 0), (200, 50)) == pytest.approx(250.0)  # joined at the shared end
    rec = G.graph["coverage15"]
    assert rec["source"] == "GeoDataFrame (4 lines)"  # not the frame's printout
    assert rec["line_features_not_lines_dropped"] == 1
    assert (rec["crossings_without_junction"], rec["crossings_between_levels"]) == (1, 0)
    assert rec["network_pieces"] == 2
    cross = G.graph["unjoined_crossings"]
    assert cross.crs == "EPSG:32648"
    assert [(p.x, p.y) for p in cross.geometry] == [(100.0, 0.0)]
    assert {cross["line_a"][0], cross["line_b"][0]} == {0, 1}  # the rows of the two lines
    assert cross["reason"][0] == "no_junction"
    # joining at crossings stays an option
    noded = build_walk_network(lines, simplify=False, node_intersections=True)
    assert noded.number_of_nodes() == 6
    assert noded.degree(_node_at(noded, 100.0, 0.0)) == 8  # 4 streets, both directions
    assert _dist(noded, (100, -100), (200, 50)) == pytest.approx(250.0)
    assert noded.graph["coverage15"]["crossings_without_junction"] == 0
    assert noded.graph["coverage15"]["network_pieces"] == 1

    # GeoJSON without a "crs" member is WGS84 by definition: metres there are out of range
    path = tmp_path / "roads.geojson"
    feature = '{"type": "Feature", "properties": {}, "geometry": GEOM}'
    feats = ",".join(feature.replace("GEOM", shapely.to_geojson(g)) for g in lines.geometry[:3])
    path.write_text('{"type": "FeatureCollection", "features": [FEATS]}'.replace("FEATS", feats))
    with pytest.raises(InputError, match=r"roads\.geojson"):
        build_walk_network(path)
    path = tmp_path / "roads.shp"  # a Shapefile without .prj has no CRS
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        lines.iloc[:3].set_crs(None, allow_override=True).to_file(path)
    with pytest.raises(InputError, match=r"no coordinate reference system; pass source_crs="):
        build_walk_network(path)
    G2 = build_walk_network(path, source_crs="EPSG:32648", simplify=False)
    assert G2.number_of_edges() == G.number_of_edges()
    assert G2.graph["coverage15"]["source"] == str(path)


def test_road_lines_join_at_shared_vertices_on_the_same_level() -> None:
    # both lines have a vertex at (100, 0): noded data, a junction ...
    ew = shapely.LineString([(0, 0), (100, 0), (200, 0)])
    ns = shapely.LineString([(100, -100), (100, 0), (100, 100)])
    flat = gpd.GeoDataFrame(geometry=[ew, ns, CROSS[2]], crs="EPSG:32648")
    G = build_walk_network(flat, simplify=False)
    assert _dist(G, (100, -100), (200, 50)) == pytest.approx(250.0)
    assert G.graph["coverage15"]["crossings_without_junction"] == 0
    # ... unless one of them is a bridge (or on another layer): never joined, even noded
    for cols in ({"bridge": ["yes", None, None]}, {"layer": [1, 0, 0]}, {"z": [5.0, 0, 0]}):
        bridge = flat.assign(**cols)
        for node_intersections in (False, True):
            B = build_walk_network(bridge, simplify=False, node_intersections=node_intersections)
            assert _dist(B, (100, -100), (200, 50)) == math.inf, (cols, node_intersections)
            assert _dist(B, (100, -100), (100, 100)) == pytest.approx(200.0)
            rec = B.graph["coverage15"]
            assert (rec["crossings_between_levels"], rec["crossings_without_junction"]) == (1, 0)
            assert B.graph["unjoined_crossings"]["reason_zh"][0] == "不同层（桥/隧道）"
    # a bridge's end on a street vertex joins the street (OSM: a shared node is a junction)
    ramp = gpd.GeoDataFrame(
        {"bridge": [None, "yes"]},
        geometry=[ew, shapely.LineString([(100, 0), (100, 80)])],
        crs="EPSG:32648",
    )
    R = build_walk_network(ramp, simplify=False)
    assert _dist(R, (0, 0), (100, 80)) == pytest.approx(180.0)
    with pytest.raises(InputError, match="column 'layer'"):
        build_walk_network(flat.assign(layer=["1", "upper", "0"]))


def test_road_line_ends_at_different_elevations_do_not_join() -> None:
    # 3D lines: the ramp ends 6 m above the street's end at the same x/y
    street = shapely.LineString([(0, 0, 0), (100, 0, 0)])
    above = shapely.LineString([(100, 0, 6), (100, 90, 6)])
    level = shapely.LineString([(100, 0, 0), (100, -90, 0)])
    G = build_walk_network(
        gpd.GeoDataFrame(geometry=[street, above, level], crs="EPSG:32648"), simplify=False
    )
    assert G.number_of_nodes() == 5
    assert nx.number_weakly_connected_components(G) == 2
    # the same with ArcGIS-style end elevation columns on 2D lines
    flat = gpd.GeoDataFrame(
        {"F_ELEV": [0, 1], "T_ELEV": [0, 1]},
        geometry=[shapely.LineString([(0, 0), (100, 0)]), shapely.LineString([(100, 0), (9, 9)])],
        crs="EPSG:32648",
    )
    H = build_walk_network(flat, simplify=False)
    assert nx.number_weakly_connected_components(H) == 2
    assert H.graph["coverage15"]["level_columns"] == ["F_ELEV", "T_ELEV"]
    joined = build_walk_network(flat.assign(F_ELEV=[0, 0]), simplify=False)
    assert nx.number_weakly_connected_components(joined) == 1


def test_fragmented_road_lines_warn_and_point_to_the_option() -> None:
    from coverage15._errors import FragmentedNetworkWarning

    # 30 east-west and 30 north-south lines drawn across each other, never split
    n = 30
    lines = [shapely.LineString([(0, 100 * i), (100 * (n - 1), 100 * i)]) for i in range(n)]
    lines += [shapely.LineString([(100 * i, 0), (100 * i, 100 * (n - 1))]) for i in range(n)]
    grid = gpd.GeoDataFrame(geometry=lines, crs="EPSG:32648")
    with pytest.warns(FragmentedNetworkWarning, match="node_intersections=True"):
        G = build_walk_network(grid)
    rec = G.graph["coverage15"]
    assert rec["network_pieces"] == 2 * n - 3  # the 4 outer lines share their corner ends
    assert rec["crossings_without_junction"] == (n - 2) ** 2 + 4 * (n - 2)  # corners share ends
    assert len(G.graph["unjoined_crossings"]) == rec["crossings_without_junction"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        noded = build_walk_network(grid, node_intersections=True)
    assert noded.graph["coverage15"]["network_pieces"] == 1


def test_cache_is_reused_and_keyed_by_options(osm_file: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = build_walk_network(osm_file, cache_dir=cache)
    assert "cached_to" in first.graph["coverage15"]
    again = build_walk_network(osm_file, cache_dir=cache)
    assert again.graph["coverage15"]["from_cache"] == first.graph["coverage15"]["cached_to"]
    assert _edge_set(again) == _edge_set(first)
    # every edge attribute comes back, geometries included (stored apart as one WKB array),
    # and writing the cache left the built graph's own geometries on its edges
    built = sorted(first.edges(keys=True, data=True), key=lambda e: e[:3])
    cached = sorted(again.edges(keys=True, data=True), key=lambda e: e[:3])
    assert [e[:3] for e in built] == [e[:3] for e in cached]
    for (_, _, _, a), (_, _, _, b) in zip(built, cached, strict=True):
        assert a.keys() == b.keys()
        assert "geometry" in a
        assert a["geometry"].equals_exact(b["geometry"], 0.0)
        assert {k: v for k, v in a.items() if k != "geometry"} == {
            k: v for k, v in b.items() if k != "geometry"
        }
    assert dict(again.nodes(data=True)) == dict(first.nodes(data=True))
    # a cache file loads as a network too
    assert _edge_set(load_network(first.graph["coverage15"]["cached_to"])) == _edge_set(first)
    # a cache in another layout (e.g. an older coverage15's plain pickle) is rebuilt
    only = next(cache.glob("walk-*.pkl"))
    only.write_bytes(pickle.dumps(first))
    assert "from_cache" not in build_walk_network(osm_file, cache_dir=cache).graph["coverage15"]
    other = build_walk_network(osm_file, cache_dir=cache, simplify=False)
    assert "from_cache" not in other.graph["coverage15"]
    assert len(list(cache.glob("walk-*.pkl"))) == 2
    # a changed file is a new key, even with the same name
    osm_file.write_text(_osm_xml(WAYS[:1]), encoding="utf-8")
    changed = build_walk_network(osm_file, cache_dir=cache)
    assert "from_cache" not in changed.graph["coverage15"]
    # a corrupt cache file is rebuilt, not trusted
    for f in cache.glob("walk-*.pkl"):
        f.write_bytes(b"not a pickle")
    rebuilt = build_walk_network(osm_file, cache_dir=cache)
    assert "from_cache" not in rebuilt.graph["coverage15"]


@pytest.mark.parametrize("suffix", [".graphml", ".gpkg", ".pkl"])
def test_save_and_load_round_trip(osm_file: Path, tmp_path: Path, suffix: str) -> None:
    G = build_walk_network(osm_file)
    p = save_network(G, tmp_path / f"net{suffix}")
    H = load_network(p)
    assert _edge_set(H) == _edge_set(G)
    assert H.graph["crs"] == G.graph["crs"]
    assert H.graph["coverage15"]["missing_node_refs"] == 1
    for u, v, k, d in G.edges(keys=True, data=True):
        assert H.edges[u, v, k]["length"] == pytest.approx(d["length"])
        assert H.edges[u, v, k]["geometry"].equals_exact(d["geometry"], 1e-6)
    with pytest.raises(NetworkError):
        save_network(G, tmp_path / "net.txt")


def test_gpkg_round_trip_of_the_sample_network(tmp_path: Path) -> None:
    from coverage15.datasets import sample_path

    G = build_walk_network(sample_path("walk_network.osm"))
    H = load_network(save_network(G, tmp_path / "walk.gpkg"))
    assert set(H.nodes) == set(G.nodes)
    assert all(type(n) is int for n in H.nodes)
    assert set(H.edges(keys=True)) == set(G.edges(keys=True))
    for u, v, k, length in G.edges(keys=True, data="length"):
        assert isinstance(H.edges[u, v, k]["length"], float)
        assert abs(H.edges[u, v, k]["length"] - length) <= 1e-9
    assert H.graph["crs"] == G.graph["crs"]
    assert H.graph["simplified"] is True
    assert H.graph["coverage15"] == G.graph["coverage15"]
    a = next(iter(G.edges(keys=True)))
    assert H.edges[a]["osmid"] == G.edges[a]["osmid"]
    assert H.edges[a]["oneway"] is G.edges[a]["oneway"]


def test_gpkg_not_saved_by_us_is_refused(tmp_path: Path) -> None:
    G = nx.MultiDiGraph(crs="EPSG:32648")
    G.add_nodes_from([(1, {"x": 0.0, "y": 0.0}), (2, {"x": 100.0, "y": 0.0})])
    G.add_edge(1, 2, length=100.0)
    G.add_edge(2, 1, length=100.0)
    ox.save_graph_geopackage(G, tmp_path / "osmnx.gpkg")  # one feature per street
    with pytest.raises(NetworkError, match="not saved by coverage15"):
        load_network(tmp_path / "osmnx.gpkg")
    gpd.GeoDataFrame(geometry=[shapely.Point(0, 0)], crs="EPSG:32648").to_file(
        tmp_path / "points.gpkg", layer="points"
    )
    with pytest.raises(NetworkError, match="'nodes' and 'edges' layers"):
        load_network(tmp_path / "points.gpkg")


def test_prepare_graph_projects_like_osmnx(clean_osm: Path) -> None:
    raw = ox.graph_from_xml(clean_osm, bidirectional=True, simplify=False)
    ours = prepare_graph(raw)
    theirs = ox.project_graph(raw)
    assert raw.graph["crs"] == "epsg:4326"  # the caller's graph is left alone
    assert ours.graph["crs"] == "EPSG:32648"
    for n, d in theirs.nodes(data=True):
        assert ours.nodes[n]["x"] == pytest.approx(d["x"], abs=1e-6)
        assert ours.nodes[n]["y"] == pytest.approx(d["y"], abs=1e-6)
    with pytest.raises(NetworkError, match="not a projected"):
        prepare_graph(raw, crs="EPSG:4490")


def test_online_sources_go_through_osmnx_walk(clean_osm: Path, monkeypatch) -> None:
    calls = []

    def stand_in(query, **kw):
        calls.append((query, kw))
        return ox.graph_from_xml(clean_osm, bidirectional=True, simplify=False)

    monkeypatch.setattr(ox, "graph_from_place", stand_in)
    monkeypatch.setattr(ox, "graph_from_bbox", stand_in)
    monkeypatch.setattr(ox, "graph_from_polygon", stand_in)
    G = build_walk_network("乐山市市中区, 四川省, 中国")
    assert calls[-1][0] == "乐山市市中区, 四川省, 中国"
    assert calls[-1][1]["network_type"] == "walk"
    assert G.graph["coverage15"]["kind"] == "place"
    assert G.graph["crs"] == "EPSG:32648"
    build_walk_network((103.75, 29.54, 103.77, 29.56))
    assert calls[-1][0] == (103.75, 29.54, 103.77, 29.56)
    build_walk_network(shapely.box(103.75, 29.54, 103.77, 29.56))
    assert calls[-1][0].geom_type == "Polygon"

    def fails(query, **kw):
        from osmnx._errors import InsufficientResponseError

        raise InsufficientResponseError("No data elements in server response.")

    monkeypatch.setattr(ox, "graph_from_place", fails)
    with pytest.raises(NetworkError, match="download"):
        build_walk_network("Nowhere at all")


def test_sample_network_is_marked_synthetic() -> None:
    from coverage15.datasets import sample_path

    rec = network_summary(build_walk_network(sample_path("walk_network.osm")))
    assert rec["generator"] == "coverage15.sample"
    assert rec["osm_data"] is False  # maps of the sample carry no ODbL line
    assert rec["components"] >= 2  # the sample's disconnected fragment


# --------------------------------------------------------------------------- real data


def _filtered_xml(src: Path, dst: Path) -> None:
    """The walkable ways of ``src`` and their nodes, as OSM XML for osmnx."""
    ways, refs = [], set()
    for w in osmium.FileProcessor(str(src), osmium.osm.WAY):
        if "highway" in w.tags and walkable(dict(w.tags)):
            ways.append((w.id, [n.ref for n in w.nodes], dict(w.tags)))
            refs.update(ways[-1][1])
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6">']
    found = set()
    for n in osmium.FileProcessor(str(src), osmium.osm.NODE):
        if n.id in refs:
            found.add(n.id)
            lines.append(f'<node id="{n.id}" lat="{n.location.lat}" lon="{n.location.lon}"/>')
    for wid, nds, tags in ways:
        body = "".join(f'<nd ref="{r}"/>' for r in nds if r in found)
        body += "".join(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items())
        lines.append(f'<way id="{wid}">{body}</way>')
    lines.append("</osm>")
    dst.write_text("\n".join(lines), encoding="utf-8")


@realdata
@pytest.mark.realdata
@pytest.mark.parametrize(
    ("name", "nodes", "edges"),
    [
        ("beijing_haidian_pku_2017.osm.bz2", 1885, 4360),
        ("shanghai_baoshan_shu_2021.osm.bz2", 888, 2012),
        # the README's 5,589 counts 6 nodes left alone where a clipped way lost its other
        # nodes; they carry no edge and are not kept
        ("helsinki_centre_2019.osm.pbf", 5583, 12800),
    ],
)
def test_real_extracts_match_osmnx_on_filtered_xml(
    name: str, nodes: int, edges: int, tmp_path: Path
) -> None:
    ours = build_walk_network(SHARED / name, simplify=False)
    assert (ours.number_of_nodes(), ours.number_of_edges()) == (nodes, edges)  # shared README
    assert nx.number_of_isolates(ours) == 0
    xml = tmp_path / "walk.osm"
    _filtered_xml(SHARED / name, xml)
    theirs = ox.graph_from_xml(xml, bidirectional=True, simplify=False, retain_all=True)
    theirs.remove_nodes_from(list(nx.isolates(theirs)))  # single-node remnants of clipped ways
    assert set(ours.nodes) == set(theirs.nodes)
    # the same edges with the same keys, lengths to the bit, osmnx's way attributes
    assert set(ours.edges(keys=True)) == set(theirs.edges(keys=True))
    for u, v, k, d in theirs.edges(keys=True, data=True):
        mine = ours.edges[u, v, k]
        assert mine["length"] == d["length"]
        assert (mine["osmid"], mine["reversed"], mine["oneway"]) == (
            d["osmid"],
            d["reversed"],
            d["oneway"],
        )
        assert mine.get("highway") == d.get("highway")
    simple = build_walk_network(SHARED / name)
    # osmnx's rule, isolated rings kept (its default would delete them)
    theirs_simple = ox.simplify_graph(theirs, remove_rings=False)
    assert set(simple.nodes) == set(theirs_simple.nodes)
    assert set(simple.edges(keys=True)) == set(theirs_simple.edges(keys=True))
    by_pair: dict[tuple[int, int], list[float]] = {}
    for u, v, d in theirs_simple.edges(data="length"):
        by_pair.setdefault((u, v), []).append(d)
    for (u, v), lengths in by_pair.items():
        mine = sorted(d["length"] for d in simple[u][v].values())
        assert mine == pytest.approx(sorted(lengths), abs=1e-9)
    rings = theirs_simple.number_of_nodes() - ox.simplify_graph(theirs).number_of_nodes()
    assert simple.graph["coverage15"]["isolated_ring_nodes_kept"] == rings
    assert simple.graph["coverage15"]["nodes_merged_by_simplify"] == (
        ours.number_of_nodes() - simple.number_of_nodes()
    )
    counts = ox.stats.count_streets_per_node(theirs_simple)
    assert {n: d["street_count"] for n, d in simple.nodes(data=True)} == counts


@realdata
@pytest.mark.realdata
def test_clipped_pbf_missing_nodes_are_counted() -> None:
    G = build_walk_network(SHARED / "helsinki_centre_2019.osm.pbf")
    rec = network_summary(G)
    assert rec["missing_node_refs"] > 0  # the trap the shared README warns about
    assert rec["ways_dropped_missing_nodes"] + rec["ways_split_at_missing_nodes"] > 0
    assert rec["crs"] == "EPSG:32635"
    assert all(d.get("geometry") is not None for _, _, d in G.edges(data=True))


# --------------------------------------------------------------------------- progress bars


def test_progress_bars_fall_back_to_text_without_ipywidgets(monkeypatch) -> None:
    import tqdm.auto
    import tqdm.std

    from coverage15 import _progress

    monkeypatch.setattr(_progress, "ipywidgets_available", lambda: False)
    assert _progress.tqdm_class() is tqdm.std.tqdm
    with _progress.progress_bar(total=2, disable=True) as bar:
        assert type(bar) is tqdm.std.tqdm
    monkeypatch.setattr(_progress, "ipywidgets_available", lambda: True)
    assert _progress.tqdm_class() is tqdm.auto.tqdm


def test_no_iprogress_warning_in_a_kernel_without_ipywidgets() -> None:
    """A Jupyter kernel without ipywidgets: network bars are text bars, and nothing warns."""
    script = textwrap.dedent(
        """
        import sys, types, warnings
        import IPython
        from tqdm.std import TqdmWarning

        # what tqdm.autonotebook takes for a Jupyter kernel, with ipywidgets not installed
        sys.modules["ipykernel.zmqshell"] = types.ModuleType("ipykernel.zmqshell")
        sys.modules["ipywidgets"] = None
        warnings.simplefilter("error", TqdmWarning)
        from coverage15.network import build_walk_network
        from coverage15.datasets import sample_path

        build_walk_network(sample_path("walk_network.osm"), progress=True)
        # the stand-in kernel is one where tqdm.auto itself does warn
        warnings.simplefilter("always", TqdmWarning)
        with warnings.catch_warnings(record=True) as caught:
            import tqdm.auto
        assert any("IProgress not found" in str(w.message) for w in caught), caught
        """
    )
    r = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=300
    )
    assert r.returncode == 0, r.stderr[-3000:]
    assert "TqdmWarning" not in r.stderr
    assert "walking network" in r.stderr  # the text bar itself


# --------------------------------------------------------------------------- array pipeline

# a street 1-2-3 with a loop path 3-7-8-3 hanging off its end, and a footpath ring 20-21-22-20
# alone (a courtyard loop): osmnx.simplify_graph's default would delete the ring
LOOP_NODES = NODES | {
    7: (103.763, LAT + 0.001),
    8: (103.764, LAT),
    20: (103.770, LAT),
    21: (103.771, LAT),
    22: (103.7705, LAT + 0.001),
}
LOOP_WAYS = [
    (301, [1, 2, 3], {"highway": "residential"}),
    (302, [3, 7, 8, 3], {"highway": "footway"}),
    (303, [20, 21, 22, 20], {"highway": "footway", "name": "庭院环路"}),
]


@pytest.fixture
def loop_osm(tmp_path: Path) -> Path:
    p = tmp_path / "loops.osm"
    p.write_text(_osm_xml(LOOP_WAYS, LOOP_NODES, gate=None), encoding="utf-8")
    return p


def test_simplify_keeps_isolated_rings_and_counts_what_it_merges(loop_osm: Path) -> None:
    raw = build_walk_network(loop_osm, simplify=False)
    G = build_walk_network(loop_osm)
    rec = G.graph["coverage15"]
    # 1 and 3 are endpoints (dead end; 3 has three streets); 2, 7, 8 are merged away
    assert set(G.nodes) == {1, 3, 20, 21, 22}
    assert rec["nodes_merged_by_simplify"] == 3 == raw.number_of_nodes() - G.number_of_nodes()
    assert (rec["isolated_rings_kept"], rec["isolated_ring_nodes_kept"]) == (1, 3)
    # the loop path is one street from 3 back to 3, walkable both ways: two self-loops
    assert len(G[3][3]) == 2
    assert [d["osmid"] for d in G[3][3].values()] == [302, 302]
    assert sorted(d["reversed"] for d in G[3][3].values()) == [False, True]
    loop_len = sum(_haversine(LOOP_NODES[a], LOOP_NODES[b]) for a, b in [(3, 7), (7, 8), (8, 3)])
    assert [d["length"] for d in G[3][3].values()] == [pytest.approx(loop_len)] * 2
    assert G.nodes[3]["street_count"] == 3  # the street, and the loop counted twice (osmnx)
    # street length: each street once, the loop too (both its directions are one street)
    ring_len = sum(
        _haversine(LOOP_NODES[a], LOOP_NODES[b]) for a, b in [(20, 21), (21, 22), (22, 20)]
    )
    street = _haversine(NODES[1], NODES[2]) + _haversine(NODES[2], NODES[3])
    expect_km = (street + loop_len + ring_len) / 1000
    assert network_summary(G)["street_km"] == pytest.approx(expect_km, abs=1e-3)
    assert network_summary(raw)["street_km"] == pytest.approx(expect_km, abs=1e-3)
    # retain_all=False keeps the largest piece and counts what it drops
    big = build_walk_network(loop_osm, retain_all=False, simplify=False)
    assert set(big.nodes) == set(ox.truncate.largest_component(raw).nodes) == {1, 2, 3, 7, 8}
    assert big.graph["coverage15"]["nodes_dropped_outside_largest_component"] == 3
    # the ring's own name and the merged loop's geometry from 3 back to 3
    assert G.edges[20, 21, 0]["name"] == "庭院环路"
    geom = G.edges[3, 3, 0]["geometry"]
    assert geom.coords[0] == geom.coords[-1] and len(geom.coords) == 4


def test_walk_network_from_osm_equals_the_graph_route(loop_osm: Path, osm_file: Path) -> None:
    from coverage15.access import WalkNetwork
    from coverage15.network import to_networkx, walk_network_from_osm

    for path in (loop_osm, osm_file):
        for simplify in (True, False):
            net = walk_network_from_osm(path, simplify=simplify)
            G = build_walk_network(path, simplify=simplify)
            ref = WalkNetwork.from_graph(G)
            assert net.crs == ref.crs
            assert set(net.node_ids.tolist()) == set(ref.node_ids.tolist())
            assert sorted(zip(net.edge_index, net.edge_length.tolist(), strict=True)) == sorted(
                zip(ref.edge_index, ref.edge_length.tolist(), strict=True)
            )
            assert net.record == {**G.graph["coverage15"]}
            H = to_networkx(net)  # the full osmnx graph back from the prepared network
            assert set(H.edges(keys=True)) == set(G.edges(keys=True))
            assert dict(H.nodes(data=True)) == dict(G.nodes(data=True))
            for u, v, k, d in G.edges(keys=True, data=True):
                h = H.edges[u, v, k]
                assert h.keys() == d.keys()
                assert h["geometry"].equals_exact(d["geometry"], 0.0)
    # a chosen CRS: CGCS2000 3-degree zone 35 (CM 105E) is projected; degrees are refused
    gk = walk_network_from_osm(osm_file, crs="EPSG:4544")
    assert gk.crs == "EPSG:4544"
    node1 = build_walk_network(osm_file, crs="EPSG:4544").nodes[1]
    i = gk.node_positions([1])[0]
    assert (gk.node_x[i], gk.node_y[i]) == (node1["x"], node1["y"])
    assert 300_000 < gk.node_x[i] < 500_000  # 1.24° west of CM 105°E (false easting 500 km)
    with pytest.raises(NetworkError, match="not a projected"):
        walk_network_from_osm(osm_file, crs="EPSG:4490")
    # any prepared network exports its nodes, edges, lengths and geometries
    plain = WalkNetwork.from_graph(build_walk_network(osm_file))
    P = to_networkx(plain)
    assert P.number_of_edges() == plain.n_edges
    assert P.graph["crs"] == plain.crs


def test_saved_gpkg_network_is_not_a_road_line_layer(osm_file: Path, tmp_path: Path) -> None:
    p = save_network(build_walk_network(osm_file), tmp_path / "walk.gpkg")
    with pytest.raises(NetworkError, match=r"walk\.gpkg: a saved network .*load_network"):
        build_walk_network(p)


def test_walk_network_from_osm_cache(osm_file: Path, tmp_path: Path) -> None:
    from coverage15.network import walk_network_from_osm

    cache = tmp_path / "cache"
    first = walk_network_from_osm(osm_file, cache_dir=cache)
    assert "cached_to" in first.record
    again = walk_network_from_osm(osm_file, cache_dir=cache)
    assert again.record["from_cache"] == first.record["cached_to"]
    assert again.signature == first.signature
    assert walk_network_from_osm(osm_file, cache_dir=cache, simplify=False).n_nodes == 4
    assert len(list(cache.glob("arrays-*.pkl"))) == 2
    for f in cache.glob("arrays-*.pkl"):
        f.write_bytes(b"not a pickle")
    rebuilt = walk_network_from_osm(osm_file, cache_dir=cache)
    assert "from_cache" not in rebuilt.record
    assert rebuilt.signature == first.signature
