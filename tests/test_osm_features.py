"""Facilities and communities from OSM files (and online through a stand-in for osmnx)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import coverage15 as c15
from conftest import ll, write_osm
from coverage15._errors import InputError, ProfileError
from coverage15.osm_features import (
    communities_from_osm,
    load_facilities_osm,
    parse_osm_rule,
    read_osm,
)

CAU = (
    Path(__file__).resolve().parents[1]
    / ".."
    / "shared"
    / "data"
    / "osm"
    / ("beijing_haidian_cau_2026.osm.bz2")
)
cau = pytest.mark.skipif(not CAU.is_file(), reason="../shared/data/osm is absent")


def _square(first: int, x0: float, y0: float, x1: float, y1: float) -> dict:
    return {first: (x0, y0), first + 1: (x1, y0), first + 2: (x1, y1), first + 3: (x0, y1)}


# --------------------------------------------------------------------------- rules


def test_parse_osm_rule() -> None:
    r = parse_osm_rule("amenity=clinic|doctors&name_contains=卫生服务站&access!=private", "h")
    assert r.conditions == (
        ("amenity", "=", ("clinic", "doctors")),
        ("name_contains", "name_contains", ("卫生服务站",)),
        ("access", "!=", ("private",)),
    )
    assert r.specificity == 2  # negative conditions do not count
    assert r.matches({"amenity": "doctors", "name": "学院路社区卫生服务站"})
    assert not r.matches({"amenity": "doctors", "name": "学院路诊所"})
    assert not r.matches({"amenity": "clinic", "name": "卫生服务站", "access": "private"})
    # OSM value lists: shop=convenience;hairdresser is both
    assert parse_osm_rule("shop=hairdresser").matches({"shop": "convenience;hairdresser"})
    assert parse_osm_rule("shop=*").matches({"shop": "x"})
    assert not parse_osm_rule("shop!=*").matches({"shop": "x"})
    assert parse_osm_rule("amenity=school&name_excludes=高中").matches(
        {"amenity": "school", "name:zh": "一零一中学"}
    )
    with pytest.raises(ProfileError, match="needs key=value"):
        parse_osm_rule("amenity", "x")
    with pytest.raises(ProfileError, match="outside=campus"):
        parse_osm_rule("leisure=pitch&outside=park", "x")
    with pytest.raises(ProfileError, match="empty key or value"):
        parse_osm_rule("amenity=", "x")


def test_every_catalogue_rule_parses() -> None:
    for key, cat in c15.category_catalogue().items():
        for text in cat.osm:
            assert parse_osm_rule(text, key).category == key


# --------------------------------------------------------------------------- facilities


def _facilities_osm(path) -> None:
    nodes = {
        1: (0, 500, {"amenity": "hospital", "name": "海淀医院"}),
        2: (20, 500, {"amenity": "clinic", "name": "学院路社区卫生服务站"}),
        3: (40, 500, {"amenity": "school", "name": "双榆树小学"}),
        4: (60, 500, {"amenity": "school", "name": "人大附中", "isced:level": "2"}),
        5: (80, 500, {"amenity": "school", "name": "北京一零一中学"}),
        6: (100, 500, {"amenity": "school", "name": "北京市第二高级中学"}),
        7: (120, 500, {"amenity": "community_centre", "community_centre": "community_hall"}),
        8: (140, 500, {"amenity": "community_centre", "name": "学院路街道社区服务中心"}),
        9: (160, 500, {"shop": "convenience;hairdresser"}),
        10: (180, 500, {"shop": "chemist", "name": "屈臣氏"}),
        11: (720, 20, {"amenity": "kindergarten", "name": "小太阳幼儿园"}),
        12: (200, 500, {"amenity": "restaurant"}),
        **_square(100, 0, 0, 40, 50),  # the community health centre building
        **_square(200, 0, 100, 200, 300),  # a university campus
        **_square(300, 50, 150, 70, 170),  # a pitch on it
        **_square(400, 300, 0, 330, 20),  # a pitch in the neighbourhood
        **_square(500, 700, 0, 740, 40),  # the kindergarten's grounds
        **_square(600, 900, 0, 960, 50),  # a market (multipolygon of two ways)
    }
    ways = [
        (
            1000,
            [100, 101, 102, 103, 100],
            {
                "amenity": "clinic",
                "name": "学院路社区卫生服务中心",
                "building": "yes",
                "building:levels": "3",
            },
        ),
        (1001, [200, 201, 202, 203, 200], {"amenity": "university", "name": "某大学"}),
        (1002, [300, 301, 302, 303, 300], {"leisure": "pitch", "sport": "basketball"}),
        (1003, [400, 401, 402, 403, 400], {"leisure": "pitch", "sport": "basketball"}),
        (1004, [500, 501, 502, 503, 500], {"amenity": "kindergarten", "name": "小太阳幼儿园"}),
        (1005, [600, 601, 602], {}),
        (1006, [602, 603, 600], {}),
    ]
    relations = [
        (
            2000,
            [("w", 1005, "outer"), ("w", 1006, "outer")],
            {"type": "multipolygon", "amenity": "marketplace", "name": "学清路菜市场"},
        ),
    ]
    write_osm(path, nodes, ways, relations)


def test_load_facilities_osm_by_hand(tmp_path) -> None:
    path = tmp_path / "poi.osm"
    _facilities_osm(path)
    f = load_facilities_osm(path)
    got = dict(zip(f["facility_id"], f["category"], strict=True))
    assert got == {
        "node/2": "health_station",  # a clinic named 卫生服务站
        "node/3": "primary_school",  # 小学 in the name
        "node/4": "middle_school",  # isced:level=2
        "node/5": "middle_school",  # 中学 in the name
        "node/7": "community_service_station",  # the more specific rule wins
        "node/8": "community_service_centre",
        "node/9#convenience_store": "convenience_store",  # both shops: a row for each
        "node/9#hairdresser": "hairdresser",
        "way/1000": "health_centre",  # named 社区卫生服务中心 (a clinic by its tags)
        "way/1003": "outdoor_fitness",  # the pitch off campus
        "way/1004": "kindergarten",
        "relation/2000": "wet_market",
    }
    by = f.set_index("facility_id")
    # footprints in m² (a 40 × 50 building, a 30 × 20 pitch, a 60 × 50 market); nodes: none
    assert by.loc["way/1000", "footprint_m2"] == pytest.approx(2000, rel=2e-3)
    assert by.loc["way/1003", "footprint_m2"] == pytest.approx(600, rel=2e-3)
    assert by.loc["relation/2000", "footprint_m2"] == pytest.approx(3000, rel=2e-3)
    assert np.isnan(by.loc["node/2", "footprint_m2"])
    # floor area is not in OSM: missing and flagged for every facility
    assert f["floor_area_m2"].isna().all() and set(f["area_source"]) == {"missing"}
    assert f.attrs["report"].count(kind="missing_floor_area") == 12
    # the area is placed at a point inside it; unnamed features named by category + id
    assert f.geom_type.unique().tolist() == ["Point"] and f.crs == "EPSG:4326"
    assert by.loc["way/1003", "name"] == "室外健身场地（way/1003）"
    assert json.loads(by.loc["node/4", "osm_tags"])["isced:level"] == "2"
    assert by.loc["relation/2000", "osm_id"] == "relation/2000"
    # the kindergarten node inside its own grounds is the same facility: dropped, counted
    assert f.attrs["report"].rows("osm_duplicate_node_in_area") == ["node/11"]
    # what matched nothing, by tag
    un = f.attrs["osm_unmatched"].set_index("tag")
    assert un["count"].to_dict() == {
        "amenity=hospital": 1,  # a hospital is not a community health service centre
        "amenity=restaurant": 1,
        "amenity=school": 1,  # 高级中学: a senior high school
        "amenity=university": 1,
        "leisure=pitch": 1,
        "shop=chemist": 1,  # a drugstore, not a pharmacy
    }
    assert un.loc["leisure=pitch", "reason"] == "on a campus (not for residents)"
    assert un.loc["amenity=hospital", "examples"] == "海淀医院"
    assert "6 OSM feature(s) matched no category" in str(f.attrs["report"])


def test_load_facilities_osm_options(tmp_path) -> None:
    path = tmp_path / "poi.osm"
    _facilities_osm(path)
    # building:levels × footprint, an estimate, flagged
    f = load_facilities_osm(path, floor_area="levels")
    by = f.set_index("facility_id")
    assert by.loc["way/1000", "floor_area_m2"] == pytest.approx(3 * 2000, rel=2e-3)
    assert by.loc["way/1000", "area_source"] == "osm_levels_estimate"
    assert f.attrs["report"].rows("floor_area_estimated_from_levels") == ["way/1000"]
    assert by["floor_area_m2"].notna().sum() == 1  # no levels, or no building: missing
    # a profile's categories only; the rest reported
    f = load_facilities_osm(path, profile="leshan_2018")
    assert sorted(f["category"]) == [
        "community_service_centre",
        "community_service_station",
        "health_station",
        "outdoor_fitness",
    ]
    un = f.attrs["osm_unmatched"]
    other = un[un["reason"].str.startswith("category not in profile")]
    # schools 3, kindergartens 2 (grounds and node), the centre, the shop, the market
    assert other["count"].sum() == 8
    assert "category not in profile (convenience_store, hairdresser)" in set(other["reason"])
    # projected, and through load_facilities' community join
    comm = gpd.GeoDataFrame(
        {"community_id": ["C1"], "name": ["学院路"], "households": [100]},
        geometry=[shapely.Polygon([ll(-10, -10), ll(100, -10), ll(100, 600), ll(-10, 600)])],
        crs=4326,
    )
    comm = c15.load_communities(comm)
    f = load_facilities_osm(path, crs="EPSG:32650", communities=comm)
    assert f.crs == "EPSG:32650"
    assert f.set_index("facility_id").loc["node/2", "community_id"] == "C1"
    with pytest.raises(InputError, match="floor_area"):
        load_facilities_osm(path, floor_area="guess")
    with pytest.raises(InputError, match="not found"):
        load_facilities_osm(tmp_path / "missing.osm")


def test_load_facilities_osm_online_through_osmnx(tmp_path, monkeypatch) -> None:
    """The online path: osmnx.features_from_place stands in (no internet in tests)."""
    import osmnx as ox

    calls = []

    def fake(place, tags):
        calls.append((place, tags))
        idx = pd.MultiIndex.from_tuples(
            [("node", 2), ("node", 6), ("way", 1001), ("way", 1002), ("way", 1003)],
            names=["element", "id"],
        )
        campus = shapely.Polygon([ll(0, 100), ll(200, 100), ll(200, 300), ll(0, 300)])
        return gpd.GeoDataFrame(
            {
                "amenity": ["clinic", "school", "university", None, None],
                "name": ["学院路社区卫生服务站", "北京市第二高级中学", "某大学", None, None],
                "leisure": [None, None, None, "pitch", "pitch"],
            },
            geometry=[
                shapely.Point(ll(20, 500)),
                shapely.Point(ll(100, 500)),
                campus,
                shapely.box(*ll(50, 150), *ll(70, 170)),
                shapely.box(*ll(300, 0), *ll(330, 20)),
            ],
            index=idx,
            crs=4326,
        )

    monkeypatch.setattr(ox, "features_from_place", fake)
    f = load_facilities_osm("海淀区学院路街道")
    assert calls[0][0] == "海淀区学院路街道"
    assert {"amenity", "shop", "leisure", "healthcare"} <= set(calls[0][1])
    assert dict(zip(f["facility_id"], f["category"], strict=True)) == {
        "node/2": "health_station",
        "way/1003": "outdoor_fitness",
    }
    assert f.set_index("facility_id").loc["way/1003", "footprint_m2"] == pytest.approx(
        600, rel=5e-3
    )
    un = f.attrs["osm_unmatched"].set_index("tag")
    assert un.loc["leisure=pitch", "reason"] == "on a campus (not for residents)"
    assert un["count"].sum() == 3


@cau
def test_load_facilities_osm_beijing_cau() -> None:
    f = load_facilities_osm(CAU)
    counts = f["category"].value_counts().to_dict()
    assert counts == {
        "convenience_store": 18,
        "hairdresser": 6,
        "wet_market": 3,
        "kindergarten": 2,
        "pharmacy": 2,
        "supermarket": 2,
        "primary_school": 2,
        "gym": 2,
        "laundry": 1,
        "cultural_station": 1,
        "parcel_point": 1,
        "health_centre": 1,
        "middle_school": 1,
        "outdoor_fitness": 2,
    }
    by = f.set_index("osm_id")
    assert by.loc["way/167169164", "name"] == "中国农业大学东区社区卫生服务中心"
    assert by.loc["way/595098640", "category"] == "outdoor_fitness"  # 社区健身器材
    un = f.attrs["osm_unmatched"]
    campus = un[un["reason"] == "on a campus (not for residents)"].set_index("tag")["count"]
    assert campus.to_dict() == {
        "leisure=pitch": 14,
        "amenity=library": 1,
        "leisure=fitness_centre": 1,
        "leisure=sports_centre": 1,
    }
    plain = un[un["reason"] == "no category"].set_index("tag")["count"]
    assert plain["amenity=hospital"] == 1 and plain["amenity=restaurant"] == 33
    assert int(un["count"].sum()) == 203


# --------------------------------------------------------------------------- communities

ADMIN = {"type": "boundary", "boundary": "administrative"}


def _admin_osm(path, *, broken: bool = False) -> None:
    # the extract's clip edge: 0..1000 × 0..1000 m
    # R1 甲社区 (level 10): a 200 × 200 square from two open ways
    # R2 乙社区 (level 10): one way from (-50, 600) east to (200, 600) and north past the top
    #    edge to (200, 1050); its other member is missing from the clip. Closed along the
    #    clip edge: the north-west corner 200 × 400 (the other side is 1 000 000 − 80 000).
    # R3 丙街道 (level 9): a closed 400 × 400 way
    # broken: R4 with an open way whose ends lie inside the extract, a member missing
    nodes = {
        1: (100, 100),
        2: (300, 100),
        3: (300, 300),
        4: (100, 300),
        5: (-50, 600),
        6: (200, 600),
        7: (200, 1050),
        8: (550, 50),
        9: (950, 50),
        10: (950, 450),
        11: (550, 450),
        12: (400, 700),
        13: (600, 700),
        14: (600, 900),
    }
    ways = [
        (10, [1, 2, 3], {}),
        (11, [3, 4, 1], {}),
        (20, [5, 6, 7], {}),
        (30, [8, 9, 10, 11, 8], {}),
        (40, [12, 13, 14], {}),
    ]
    rels = [
        (
            1,
            [("w", 10, "outer"), ("w", 11, "outer")],
            {**ADMIN, "admin_level": "10", "name": "甲社区"},
        ),
        (
            2,
            [("w", 20, "outer"), ("w", 21, "outer")],
            {**ADMIN, "admin_level": "10", "name": "乙社区"},
        ),
        (3, [("w", 30, "outer")], {**ADMIN, "admin_level": "9", "name": "丙街道"}),
    ]
    if broken:
        rels.append(
            (
                4,
                [("w", 40, "outer"), ("w", 41, "outer")],
                {**ADMIN, "admin_level": "10", "name": "丁社区"},
            )
        )
    write_osm(path, nodes, ways, rels, bounds=(0, 0, 1000, 1000))


def test_communities_from_osm_by_hand(tmp_path) -> None:
    path = tmp_path / "admin.osm"
    _admin_osm(path)
    c = communities_from_osm(path)
    assert c["community_id"].tolist() == ["relation/1", "relation/2", "relation/3"]
    assert c["name"].tolist() == ["甲社区", "乙社区", "丙街道"]
    assert c["admin_level"].tolist() == ["10", "10", "9"]
    area = c.to_crs(c.estimate_utm_crs()).area.to_numpy()
    assert area == pytest.approx([40_000, 80_000, 160_000], rel=2e-3)
    assert c["repair"].iloc[0] == "" and c["repair"].iloc[2] == ""
    assert c["repair"].iloc[1].startswith("1 ring(s) left open by the clipped extract closed")
    sides = [float(v.replace(",", "")) for v in re.findall(r"([\d,]+) m²", c["repair"].iloc[1])]
    assert sides == pytest.approx([80_000, 920_000], rel=3e-3)
    assert c["missing_members"].tolist() == ["", "way/21", ""]
    rep = c.attrs["report"]
    assert rep.rows("admin_ring_closed_along_clip_edge") == ["relation/2"]
    assert "missing member way(s): way/21" in str(rep)
    assert list(c.columns) == [
        "community_id",
        "name",
        "admin_level",
        "osm_id",
        "missing_members",
        "repair",
        "geometry",
    ]
    # level 10 only
    assert communities_from_osm(path, admin_levels=[10])["name"].tolist() == ["甲社区", "乙社区"]
    # without the repair, the open ring is an error naming the relation and the member
    with pytest.raises(
        InputError,
        match=r"relation/2 \(乙社区\): member way\(s\) missing from the "
        r"file: way/21; 1 ring\(s\) left open",
    ) as err:
        communities_from_osm(path, repair=False)
    assert err.value.rows == ["relation/2"] and err.value.column == "members"
    # households are the caller's: by id or by name, every community
    c = communities_from_osm(path, households={"relation/1": 500, "乙社区": 300, "丙街道": 9000})
    assert c["households"].tolist() == [500, 300, 9000]
    loaded = c15.load_communities(c)
    assert loaded["households"].sum() == 9800
    with pytest.raises(InputError, match="households are not in OpenStreetMap") as err:
        communities_from_osm(path, households={"relation/1": 500})
    assert err.value.rows == ["relation/2", "relation/3"]


def test_communities_from_osm_clipped_ways_and_two_arcs(tmp_path) -> None:
    # clip edge 0..1000 × 0..1000 m
    # R6: a ring 400..1400 × 300..700 whose east nodes (1400, ·) are missing from the file
    #     (a clipped PBF drops them): its ends at x = 800 stop where the next node is
    #     missing, and are extended east to the clip edge. Inside: 600 × 400 = 240 000 m².
    # R7: a band y = 400..600 across the extract; only its two long sides are in the file,
    #     both running past the west and east edges. Three faces: the band (200 000 m²)
    #     between two faces on the other side (400 000 m² each).
    nodes = {
        1: (800, 300),
        2: (400, 300),
        3: (400, 700),
        4: (800, 700),
        10: (-200, 400),
        11: (1200, 400),
        12: (1200, 600),
        13: (-200, 600),
    }
    ways = [(60, [1, 2, 3, 4, 5, 6, 1], {}), (70, [10, 11], {}), (71, [12, 13], {})]
    rels = [
        (6, [("w", 60, "outer")], {**ADMIN, "admin_level": "10", "name": "己社区"}),
        (
            7,
            [("w", 70, "outer"), ("w", 71, "outer"), ("w", 72, "outer")],
            {**ADMIN, "admin_level": "10", "name": "庚社区"},
        ),
    ]
    path = tmp_path / "clipped.osm"
    write_osm(path, nodes, ways, rels, bounds=(0, 0, 1000, 1000))
    c = communities_from_osm(path)
    area = c.to_crs(c.estimate_utm_crs()).area.to_numpy()
    assert area == pytest.approx([240_000, 200_000], rel=3e-3)
    assert "1 ring(s) left open" in c["repair"].iloc[0]
    assert "2 end(s) cut by the clip extended to it" in c["repair"].iloc[0]
    assert "2 ring(s) left open" in c["repair"].iloc[1]
    sides = [float(v.replace(",", "")) for v in re.findall(r"([\d,]+) m²", c["repair"].iloc[1])]
    assert sides == pytest.approx([200_000, 800_000], rel=3e-3)
    assert c["missing_members"].tolist() == ["", "way/72"]
    assert c.attrs["report"].rows("admin_ring_closed_along_clip_edge") == [
        "relation/6",
        "relation/7",
    ]
    # 240 000 against 760 000 m² is more than 3 times: sure; 200 000 against 800 000 too
    assert c.attrs["report"].rows("admin_ring_side_uncertain") == []
    # a ring cutting the extract nearly in half: taken, but flagged
    nodes = {1: (-100, -100), 2: (450, -100), 3: (450, 1100), 4: (-100, 1100)}
    path = tmp_path / "half.osm"
    write_osm(
        path,
        nodes,
        [(80, [1, 2, 3, 4], {})],
        [
            (
                8,
                [("w", 80, "outer"), ("w", 81, "outer")],
                {**ADMIN, "admin_level": "9", "name": "辛街道"},
            )
        ],
        bounds=(0, 0, 1000, 1000),
    )
    c = communities_from_osm(path)
    assert float(c.to_crs(c.estimate_utm_crs()).area.iloc[0]) == pytest.approx(450_000, rel=3e-3)
    assert c.attrs["report"].rows("admin_ring_side_uncertain") == ["relation/8"]


def test_communities_from_osm_errors(tmp_path) -> None:
    path = tmp_path / "admin.osm"
    _admin_osm(path, broken=True)
    # its ends lie inside the extract: no closing along the clip edge
    with pytest.raises(
        InputError,
        match=r"relation/4 \(丁社区\): member way\(s\) missing from "
        r"the file: way/41.*do not both run past the clip edge",
    ):
        communities_from_osm(path)
    none = tmp_path / "none.osm"
    write_osm(none, {1: (0, 0)}, [])
    with pytest.raises(InputError, match="no boundary=administrative relation with admin_level"):
        communities_from_osm(none)


@cau
def test_communities_from_osm_beijing_cau() -> None:
    """Issue 15.8: the 社区居委会 relation has a member missing from the clip, the other open."""
    c = communities_from_osm(CAU)
    assert c["name"].tolist() == ["矿业大学社区居委会"]
    assert c["community_id"].tolist() == ["relation/15972224"]
    assert c["missing_members"].tolist() == ["way/888309029"]
    area = float(c.to_crs(c.estimate_utm_crs()).area.iloc[0])
    assert area == pytest.approx(11_551, abs=5)  # the corner of the extract it covers
    assert c.attrs["report"].rows("admin_ring_closed_along_clip_edge") == ["relation/15972224"]
    with pytest.raises(InputError, match=r"relation/15972224.*way/888309029"):
        communities_from_osm(CAU, repair=False)


def test_read_osm_missing_and_bad_file(tmp_path) -> None:
    with pytest.raises(InputError, match="OSM file not found"):
        read_osm(tmp_path / "none.osm")
    bad = tmp_path / "bad.osm"
    bad.write_text("not xml at all")
    with pytest.raises(InputError, match="not a readable OSM file"):
        read_osm(bad, node_keys=["amenity"])
