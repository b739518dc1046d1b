"""Analysis.targets: every measure against a hand-worked case; plan quotes checked verbatim."""

from __future__ import annotations

import math
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from coverage15 import InputError
from coverage15.io import load_open_spaces
from coverage15.standards import list_profiles, load_profile
from coverage15.targets import (
    HOUSEHOLD_SIZE,
    TARGET_COLUMNS,
    build_targets,
    normalise_columns,
    parse_flag,
    parse_opening_hours,
    population,
    tier_explanation,
    tier_shares,
)

PLANS = Path("../shared/reference/plans")
CRS = 32648

HAND = """
[profile]
key = "hand"
name_zh = "手算"
name_en = "Hand"
source = "test"
confidence = "R"
[profile.speed]
general_m_per_min = 60.0
slow_m_per_min = 50.0
source = "t"
confidence = "C2"
[tiers.5min]
name_zh = "五分钟"
name_en = "5 min"
max_distance_m = 300.0
source = "t"
confidence = "R"
[tiers.15min]
name_zh = "十五分钟"
name_en = "15 min"
max_distance_m = 1000.0
source = "t"
confidence = "R"
[categories.kindergarten]
tier = "5min"
source = "t"
confidence = "R"
[categories.health_station]
tier = "5min"
source = "t"
confidence = "R"
[categories.middle_school]
tier = "15min"
source = "t"
confidence = "R"
[targets.coverage_urban]
value = 1.0
source = "t"
confidence = "C1"
[targets.coverage_rural]
value = 0.5
source = "t"
confidence = "C1"
[targets.relocation]
measure = "coverage"
among = "relocation"
value = 1.0
source = "t"
confidence = "C1"
[targets.area_per_100_households_m2]
value = 30.0
source = "t"
confidence = "C1"
[targets.area_compliance_rate]
value = 0.9
source = "t"
confidence = "C1"
[targets.community_area]
measure = "community_area"
among = "urban"
threshold = 25.0
value = 0.9
source = "t"
confidence = "C1"
[targets.station_area]
measure = "facility_area"
categories = ["community_service_station"]
threshold = 25.0
value = 1.0
source = "t"
confidence = "C1"
[targets.sports]
measure = "category_share"
among = "urban"
categories = ["sports_station"]
value = 0.5
source = "t"
confidence = "C1"
[targets.children]
measure = "category_share"
categories = ["children_home"]
value = 0.9
source = "t"
confidence = "C1"
[targets.centre_street]
measure = "category_share"
among = "street"
categories = ["community_service_centre"]
value = 1.0
source = "t"
confidence = "C1"
[targets.plaza]
measure = "plaza_per_resident"
value = 2.5
source = "t"
confidence = "C1"
[targets.hours]
measure = "opening_hours"
categories = ["community_service_station", "community_service_centre", "cultural_station"]
threshold = 8.0
value = 1.0
source = "t"
confidence = "C1"
[targets.tier15]
measure = "tier_share"
tier = "15min"
value = 1.0
source = "t"
confidence = "R"
[targets.tier15_own]
measure = "tier_share"
tier = "15min"
mode = "own"
value = 1.0
source = "t"
confidence = "R"
"""


@pytest.fixture
def hand(tmp_path: Path):
    path = tmp_path / "hand.toml"
    path.write_text(HAND, encoding="utf-8")
    return load_profile(path)


@pytest.fixture
def district() -> dict:
    # A, B urban in 街道 S1; C rural in S2 and a relocation settlement
    comm = gpd.GeoDataFrame(
        {
            "community_id": ["A", "B", "C"],
            "households": [200, 100, 50],
            "kind": ["urban", "urban", "rural"],
            "街道": ["S1", "S1", "S2"],
            "安置社区": ["否", "否", "是"],
            "population": [500.0, np.nan, np.nan],
        },
        geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100), box(0, 100, 100, 200)],
        crs=CRS,
    )
    fac = gpd.GeoDataFrame(
        {
            "facility_id": ["f1", "f2", "f3", "f4", "f5", "f6", "f7"],
            "category": [
                "community_service_station",
                "community_service_station",
                "community_service_centre",
                "community_service_station",
                "sports_station",
                "children_home",
                "cultural_station",
            ],
            "floor_area_m2": [60.0, 20.0, 900.0, 30.0, np.nan, np.nan, np.nan],
            "community_id": ["A", "B", "B", pd.NA, "A", "C", "C"],
            "开放时间": [
                "8:30-17:30",
                "08:00-12:00,14:00-17:00",
                "周一至周五 8:30-17:30",
                None,
                None,
                None,
                "预约开放",
            ],
        },
        geometry=[
            Point(50, 50),
            Point(150, 50),
            Point(160, 60),
            Point(220, 50),  # outside every community
            Point(20, 20),
            Point(50, 150),
            Point(60, 160),
        ],
        crs=CRS,
    )
    plazas = gpd.GeoDataFrame(
        {"name": ["p1", "p2", "p3"], "area_m2": [np.nan, 500.0, 800.0]},
        geometry=[box(10, 10, 40, 50), box(20, 120, 30, 130), box(300, 300, 340, 320)],
        crs=CRS,
    )
    homes = pd.DataFrame(
        {
            "households": [100, 100, 100, 50],
            "status": ["covered", "underserved", "underserved", "off_network"],
            "covered__kindergarten": [True, True, False, False],
            "covered__health_station": [True, False, True, False],
            "covered__middle_school": [True, True, True, False],
        }
    )
    return {"comm": comm, "fac": fac, "plazas": plazas, "homes": homes}


def _by_key(t: pd.DataFrame) -> pd.DataFrame:
    assert list(t.columns) == list(TARGET_COLUMNS)
    return t.set_index("key")


def test_every_measure_by_hand(hand, district) -> None:
    t = _by_key(
        build_targets(
            hand,
            district["comm"],
            district["fac"],
            homes=district["homes"],
            open_spaces=district["plazas"],
        )
    )
    v = t["value"]
    # coverage: A (f1) and B (f2) have a station; C has none (the centre f3 is street level)
    assert v["coverage_urban"] == 1.0 and v["coverage_rural"] == 0.0
    assert v["relocation"] == 0.0 and not t.loc["relocation", "met"]
    # district area: f1 60 + f2 20 + f3 900 inside, f4 outside → 980 / 350 × 100
    assert v["area_per_100_households_m2"] == pytest.approx(980 / 350 * 100)
    assert "1 outside the district not counted" in t.loc["area_per_100_households_m2", "note"]
    # per community, community level only: A 60/200×100 = 30 ✓, B 20/100×100 = 20 ✗
    # (B would be 920 with the centre credited), C 0 ✗ → 1 of 3
    assert v["area_compliance_rate"] == pytest.approx(1 / 3)
    # community area ≥ 25 m² among urban: A 60 ✓, B 20 ✗
    assert v["community_area"] == 0.5
    # stations ≥ 25 m² inside the district: f1 ✓, f2 ✗ (f4 outside)
    assert v["station_area"] == 0.5
    # sports station in A only, among urban → 0.5; 儿童之家 in C → 1 of 3
    assert v["sports"] == 0.5 and bool(t.loc["sports", "met"])
    assert v["children"] == pytest.approx(1 / 3)
    # 街道: S1 has the centre f3, S2 none
    assert v["centre_street"] == 0.5
    # plazas: p1 30 × 40 = 1200 m² (polygon), p2 500 m² (given), p3 outside;
    # residents 500 + 100 × 2.62 + 50 × 2.62 = 893
    assert v["plaza"] == pytest.approx(1700 / (500 + 150 * HOUSEHOLD_SIZE))
    assert "households × 2.62 for 2" in t.loc["plaza", "note"]
    # hours: f1 9 h ✓, f2 7 h ✗, f3 9 h ✓, f7 unparseable (counted apart)
    assert v["hours"] == pytest.approx(2 / 3)
    assert "1 with unparseable hours not counted" in t.loc["hours", "note"]
    # tiers: covered homes 100 (all three) of 350 households; own 15-min: middle school
    # reached by the three snapped homes (300)
    assert v["tier15"] == pytest.approx(100 / 350)
    assert v["tier15_own"] == pytest.approx(300 / 350)
    assert t["reason"].eq("").all()
    assert t.loc["coverage_urban", "met"] and not t.loc["hours", "met"]


def test_district_boundary_counts_facilities_outside_every_community(hand, district) -> None:
    whole = box(-50, -50, 250, 250)
    t = _by_key(build_targets(hand, district["comm"], district["fac"], boundary=whole))
    # f4 (30 m², in no community) is inside the district boundary: (980 + 30) / 350 × 100
    assert t.loc["area_per_100_households_m2", "value"] == pytest.approx(1010 / 350 * 100)
    assert (
        "1 inside the district but in no community" in t.loc["area_per_100_households_m2", "note"]
    )
    assert t.loc["station_area", "value"] == pytest.approx(2 / 3)  # f1 and f4 of f1, f2, f4


def test_missing_inputs_are_named(hand, district) -> None:
    comm = district["comm"].drop(columns=["街道", "安置社区", "kind"])
    fac = district["fac"].drop(columns=["开放时间"])
    t = _by_key(build_targets(hand, comm, fac))
    reasons = t["reason"]
    assert reasons["plaza"].startswith("no plaza layer")
    assert reasons["hours"].startswith("no opening_hours column")
    assert reasons["centre_street"].startswith("no street")
    assert reasons["relocation"].startswith("no relocation column")
    assert reasons["coverage_urban"].startswith("no kind")
    assert reasons["tier15"].startswith("no homes")
    t = _by_key(build_targets(hand, comm, fac, homes=district["homes"].iloc[:, :3]))
    assert t.loc["tier15", "reason"].startswith("homes lack covered__health_station")
    missing = t[t["reason"] != ""]
    assert missing["value"].isna().all() and missing["met"].isna().all()


@pytest.mark.parametrize("key", list_profiles())
def test_every_target_of_every_profile_has_a_row(key: str, district) -> None:
    p = load_profile(key)
    t = build_targets(p, district["comm"], district["fac"])
    assert t["key"].tolist() == list(p.targets)
    assert (t["label_zh"] != t["key"]).all() and (t["label_en"] != t["key"]).all()
    # a value or a reason, never neither
    assert (t["value"].notna() ^ (t["reason"] != "")).all()
    c1 = t[t["confidence"] == "C1"]
    assert c1["source"].str.contains("“").all()  # C1 rows carry their quote


def test_leshan_on_full_inputs_has_every_value(district) -> None:
    homes = district["homes"].copy()
    for c in load_profile("leshan_2018").required_categories:
        homes[f"covered__{c}"] = True
    t = build_targets(
        load_profile("leshan_2018"),
        district["comm"],
        district["fac"],
        homes=homes,
        open_spaces=district["plazas"],
    )
    assert t["value"].notna().all(), t.loc[t["value"].isna(), ["key", "reason"]]


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("8:30-17:30", 9.0),
        ("08:00-12:00,14:00-18:00", 8.0),
        ("8:30—17:30", 9.0),
        ("8：30－17：30", 9.0),
        ("上午8:30-12:00 下午14:00-17:30", 7.0),
        ("上午8:30-12:00 下午2:00-5:30", 7.0),
        ("8点30-17点", 8.5),
        ("Mo-Fr 08:00-18:00", 10.0),
        ("Mo-Fr 08:00-12:00,14:00-18:00; Sa 09:00-12:00", 8.0),
        ("周一至周五 8:30-17:30 周六 9:00-12:00", 9.0),
        ("工作日 9:00-17:00", 8.0),
        ("8:30-17:30（周末休息）", 9.0),
        ("22:00-02:00", 4.0),
        ("24/7", 24.0),
        ("全天", 24.0),
        ("Sa off", 0.0),
        ("sunrise-sunset", None),
        ("预约开放", None),
        ("by appointment", None),
        ("25:00-26:00", None),
        ("", None),
        (None, None),
        (math.nan, None),
    ],
)
def test_opening_hours(text, hours) -> None:
    assert parse_opening_hours(text) == hours


def test_population_column_or_households_times_size() -> None:
    c = pd.DataFrame({"households": [100, 200, 10], "population": [300, None, 0]})
    pop, note = population(c)
    # given 300; 200 × 2.62 = 524; 0 is not a population: 10 × 2.62 = 26.2
    assert pop.tolist() == pytest.approx([300.0, 524.0, 26.2])
    assert "given for 1" in note and "× 2.62 for 2" in note and "人口普查" in note
    pop, note = population(c.drop(columns="population"), household_size=3.0)
    assert pop.tolist() == [300.0, 600.0, 30.0] and "given by the user" in note
    assert population(c.iloc[:1])[1] == ""


def test_tier_shares_and_explanation(district) -> None:
    p = load_profile("gb50180_2018")
    h = pd.DataFrame({"households": [10, 30, 60], "status": ["covered"] * 3})
    for i, c in enumerate(p.required_categories):
        # every category reaches homes 1 and 2 (90 of 100) except kindergarten: home 0 only
        h[f"covered__{c}"] = [True, False, False] if c == "kindergarten" else [i % 2 == 0, 1, 1]
    ts = tier_shares(h, p).set_index("tier")
    # cumulative 15 min needs all 12: only home 0 has kindergarten, and it lacks the odd ones
    assert ts.loc["15min", "share_cumulative"] == 0.0
    assert ts.loc["15min", "weakest"] == "kindergarten"
    assert ts.loc["15min", "weakest_share"] == pytest.approx(0.1)
    zh, en = tier_explanation(ts.reset_index(), gap=0.05)
    assert (
        en == "0 % of households reach all 12 categories at once; the weakest is Kindergarten, 10 %"
    )
    assert zh.startswith("仅0%的户") and "幼儿园，10%" in zh
    assert tier_explanation(ts.reset_index()) is None  # 10 points apart: not sharp at 20


def test_optional_columns_and_flags() -> None:
    c = pd.DataFrame({"community_id": ["A", "B"], "乡镇": ["X镇", " "], "易地扶贫搬迁": [1, 0]})
    f = pd.DataFrame({"category": ["community_service_station"], "营业时间": ["9:00-17:00"]})
    c2, f2 = normalise_columns(c, f)
    assert c2["street"].tolist()[0] == "X镇" and pd.isna(c2["street"].tolist()[1])
    assert c2["relocation"].tolist() == [True, False]
    assert f2["opening_hours"].tolist() == ["9:00-17:00"]
    assert "street" not in c  # inputs untouched
    with pytest.raises(InputError, match=r"row\(s\) 2.*maybe"):
        parse_flag(pd.Series(["是", "maybe"]), column="安置社区")


def test_load_open_spaces_area_given_or_from_polygon() -> None:
    g = gpd.GeoDataFrame(
        {"广场名称": ["a", "b"], "面积": [None, "1,500"]},
        geometry=[box(0, 0, 20, 10), box(0, 0, 1, 1)],
        crs=CRS,
    )
    o = load_open_spaces(g)
    assert o["area_m2"].tolist() == [200.0, 1500.0]
    assert o["area_source"].tolist() == ["polygon", "input"]
    assert o["name"].tolist() == ["a", "b"] and o["community_id"].isna().all()


@pytest.mark.skipif(not PLANS.is_dir(), reason="reference plans not present")
@pytest.mark.parametrize("key", list_profiles())
def test_every_quote_occurs_verbatim_in_its_plan(key: str) -> None:
    p = load_profile(key)
    items = [*p.tiers.values(), *p.requirements.values(), *p.targets.values()]
    quoted = [i for i in items if i.quote]
    for item in quoted:
        text = (PLANS / item.plan).read_text("utf-8")
        # line breaks and spaces of the plain-text copy are layout, not words
        assert re.sub(r"\s+", "", item.quote) in re.sub(r"\s+", "", text), item
    # every C1 target quotes its plan
    for t in p.targets.values():
        if t.confidence == "C1" and t.measure != "tier_share":
            assert t.quote and (PLANS / t.plan).is_file(), t.key


@pytest.mark.parametrize("key", list_profiles())
def test_profile_confidence_is_its_lowest(key: str) -> None:
    p = load_profile(key)
    assert p.confidence == p.lowest_confidence()


def test_analysis_carries_targets_and_lacking() -> None:
    from coverage15.datasets import sample_analysis
    from coverage15.indicators import lacking_text

    a = sample_analysis("leshan_2018")
    assert a.targets["key"].tolist() == list(a.profile.targets)
    assert list(a.lacking.columns) == ["community_id", "category", "households"]
    assert (
        lacking_text(a.lacking, a.communities["community_id"]) == a.communities["lacking"].tolist()
    )
    under = a.homes["status"] == "underserved"
    for c in a.profile.required_categories:
        by_hand = int(a.homes.loc[under & ~a.homes[f"covered__{c}"], "households"].sum())
        assert int(a.lacking.loc[a.lacking["category"] == c, "households"].sum()) == by_hand
    # the district's area equals the targets' (both count every facility in the district)
    d = a.district.set_index("indicator").loc["area_per_100hh", "value"]
    assert a.targets.set_index("key").loc["area_per_100_households_m2", "value"] == d
