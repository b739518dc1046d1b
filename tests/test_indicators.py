"""Indicators on hand-checked cases; 2SFCA against a plain-Python reference."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coverage15._errors import ConservationError
from coverage15.indicators import (
    community_indicators,
    district_facility_area,
    district_indicators,
    facility_levels,
    home_indicators,
    lacking_table,
    lacking_text,
    street_indicators,
    two_step_fca,
    worst_communities,
)
from coverage15.standards import Profile, load_profile

NAN = math.nan

PROFILE = """
[profile]
key = "hand"
name_zh = "手算"
name_en = "Hand"
source = "test"
confidence = "C1"
[profile.speed]
general_m_per_min = 60.0
slow_m_per_min = 50.0
source = "test"
confidence = "C1"
[tiers.5min]
name_zh = "五分钟"
name_en = "5 min"
max_distance_m = 300.0
source = "t"
confidence = "C1"
[tiers.10min]
name_zh = "十分钟"
name_en = "10 min"
max_distance_m = 500.0
source = "t"
confidence = "C1"
[categories.kindergarten]
tier = "5min"
source = "t"
confidence = "C1"
[categories.primary_school]
tier = "10min"
source = "t"
confidence = "C1"
[categories.community_service_station]
tier = "10min"
max_time_min = 10.0
required = false
min_floor_area_m2 = 9.5
source = "t"
confidence = "C1"
[targets.area_per_100_households_m2]
value = 30.0
unit = "m2 per 100 households"
source = "t"
confidence = "C2"
[targets.coverage_urban]
value = 1.0
source = "t"
confidence = "C2"
[targets.area_compliance_rate]
value = 0.9
source = "t"
confidence = "R"
"""


@pytest.fixture
def profile(tmp_path: Path) -> Profile:
    path = tmp_path / "hand.toml"
    path.write_text(PROFILE, encoding="utf-8")
    return load_profile(path)


@pytest.fixture
def case() -> dict:
    communities = pd.DataFrame(
        {"community_id": ["A", "B"], "households": [40, 25], "kind": ["urban", "rural"]}
    )
    homes = pd.DataFrame(
        {
            "home_id": ["A1", "A2", "B1", "B2"],
            "community_id": ["A", "A", "B", "B"],
            "households": [10, 30, 20, 5],
        }
    )
    access = pd.DataFrame(
        {
            "dist_m__kindergarten": [200.0, 350.0, NAN, NAN],
            "dist_m__primary_school": [400.0, 450.0, 600.0, NAN],
        }
    )
    snapped = pd.Series([True, True, True, False])
    facilities = pd.DataFrame(
        {
            "category": ["community_service_station", "community_service_station", "kindergarten"],
            "floor_area_m2": [10.0, 9.0, 500.0],
            "community_id": ["A", "B", "A"],
        }
    )
    return dict(
        communities=communities, homes=homes, access=access, snapped=snapped, facilities=facilities
    )


def test_home_indicators_by_hand(profile: Profile, case: dict) -> None:
    h = home_indicators(case["homes"], case["access"], profile, snapped=case["snapped"])
    # A1: kg 200 <= 300, ps 400 <= 500 -> both; A2: kg 350 > 300 -> lacks kg;
    # B1: kg none, ps 600 > 500 -> lacks both; B2 off the network.
    assert h["covered__kindergarten"].tolist() == [True, False, False, False]
    assert h["covered__primary_school"].tolist() == [True, True, False, False]
    assert h["missing"].tolist() == [
        "",
        "kindergarten",
        "kindergarten,primary_school",
        "kindergarten,primary_school",
    ]
    assert h["completeness"].tolist() == [1.0, 0.5, 0.0, 0.0]
    assert h["status"].tolist() == ["covered", "underserved", "underserved", "off_network"]
    # cumulative tiers: 10min needs kg (5min) and ps (10min)
    assert h["met__5min"].tolist() == [True, False, False, False]
    assert h["met__10min"].tolist() == [True, False, False, False]
    assert "covered__community_service_station" not in h  # optional category


def test_community_indicators_by_hand(profile: Profile, case: dict) -> None:
    h = home_indicators(case["homes"], case["access"], profile, snapped=case["snapped"])
    c = community_indicators(
        case["communities"], case["homes"], h, case["facilities"], profile
    ).set_index("community_id")
    # A: 40 hh; kg covered 10 (A1) -> 0.25; ps covered 40 -> 1.0; all: 10; underserved 30
    assert c.loc["A", "hh_covered__kindergarten"] == 10
    assert c.loc["A", "share__kindergarten"] == pytest.approx(0.25)
    assert c.loc["A", "share__primary_school"] == pytest.approx(1.0)
    assert (c.loc["A", "hh_covered_all"], c.loc["A", "hh_underserved"]) == (10, 30)
    assert c.loc["A", "lacking"] == "kindergarten: 30"
    # B: 25 hh; B1 (20) lacks both; B2 (5) off the network
    assert (c.loc["B", "hh_covered_all"], c.loc["B", "hh_underserved"]) == (0, 20)
    assert c.loc["B", "hh_off_network"] == 5
    assert c.loc["B", "lacking"] == "kindergarten: 20; primary_school: 20"
    assert c.loc["A", "hh_met__5min"] == 10 and c.loc["B", "hh_met__10min"] == 0
    # area per 100 households: A 10 m² / 40 hh * 100 = 25 < 30; B 9 / 25 * 100 = 36 >= 30
    assert c.loc["A", "area_per_100hh"] == pytest.approx(25.0)
    assert c.loc["B", "area_per_100hh"] == pytest.approx(36.0)
    assert c["area_pass"].tolist() == [False, True]
    assert c["has_community_facility"].tolist() == [True, True]
    # single-facility minimum 9.5 m²: A's 10 passes, B's 9 fails
    assert c["area_ok__community_service_station"].tolist() == [True, False]


def test_conservation_mismatch_is_an_error(profile: Profile, case: dict) -> None:
    communities = case["communities"].assign(households=[41, 25])
    h = home_indicators(case["homes"], case["access"], profile, snapped=case["snapped"])
    with pytest.raises(ConservationError, match=r"not conserved in 1 community.*A: 41 in"):
        community_indicators(communities, case["homes"], h, case["facilities"], profile)


def test_district_indicators_by_hand(profile: Profile, case: dict) -> None:
    h = home_indicators(case["homes"], case["access"], profile, snapped=case["snapped"])
    c = community_indicators(case["communities"], case["homes"], h, case["facilities"], profile)
    d = district_indicators(case["communities"], c, profile).set_index("indicator")
    assert d.loc["households", "value"] == 65
    assert d.loc["share_households_covered_all", "value"] == pytest.approx(10 / 65)
    assert d.loc["coverage_urban", "value"] == 1.0 and d.loc["coverage_urban", "passed"]
    assert "coverage_rural" not in d.index  # the profile sets no rural target: no row
    # 1 of 2 communities passes 30 m²/100 hh; target rate 0.9 -> fails
    assert d.loc["share_communities_area_pass", "value"] == 0.5
    assert not d.loc["share_communities_area_pass", "passed"]
    assert d.loc["share_communities_area_pass", "confidence"] == "R"
    # district area: (10 + 9) / 65 * 100 = 29.23 < 30
    assert d.loc["area_per_100hh", "value"] == pytest.approx(19 / 65 * 100)
    assert not d.loc["area_per_100hh", "passed"]
    w = worst_communities(c, 1)
    assert w["community_id"].tolist() == ["B"]
    # with the facilities: every comprehensive service facility of the district counts,
    # a street-level centre in A too: (10 + 9 + 21) / 65 × 100
    fac = pd.concat(
        [
            case["facilities"],
            pd.DataFrame(
                {
                    "category": ["community_service_centre"],
                    "floor_area_m2": [21.0],
                    "community_id": ["A"],
                }
            ),
        ],
        ignore_index=True,
    )
    d = district_indicators(case["communities"], c, profile, facilities=fac).set_index("indicator")
    assert d.loc["area_per_100hh", "value"] == pytest.approx(40 / 65 * 100)


def test_area_compliance_counts_the_communities_its_target_names(
    tmp_path: Path, case: dict
) -> None:
    head = "[targets.area_compliance_rate]\n"
    text = PROFILE.replace(head, head + 'among = "urban"\n')
    path = tmp_path / "urban.toml"
    path.write_text(text, encoding="utf-8")
    p = load_profile(path)
    h = home_indicators(case["homes"], case["access"], p, snapped=case["snapped"])
    c = community_indicators(case["communities"], case["homes"], h, case["facilities"], p)
    d = district_indicators(case["communities"], c, p).set_index("indicator")
    # only A is urban, and A (25 m² per 100 households) fails 30
    assert d.loc["share_communities_area_pass", "value"] == 0.0
    assert d.loc["share_communities_area_pass", "unit"] == "share of urban communities"


def test_lacking_long_table(profile: Profile, case: dict) -> None:
    h = home_indicators(case["homes"], case["access"], profile, snapped=case["snapped"])
    t = lacking_table(case["homes"], h, profile)
    # A2 (30 hh) lacks kindergarten; B1 (20) lacks both; B2 is off the network (not counted)
    assert list(t.columns) == ["community_id", "category", "households"]
    assert t.values.tolist() == [
        ["A", "kindergarten", 30],
        ["B", "kindergarten", 20],
        ["B", "primary_school", 20],
    ]
    assert lacking_text(t, pd.Series(["B", "A", "C"])) == [
        "kindergarten: 20; primary_school: 20",
        "kindergarten: 30",
        "",
    ]
    covered = h.assign(status="covered")
    assert lacking_table(case["homes"], covered, profile).empty


def test_street_centre_is_never_credited_to_its_host_community(
    profile: Profile, case: dict
) -> None:
    fac = pd.concat(
        [
            case["facilities"],
            pd.DataFrame(
                {
                    "category": ["community_service_centre"],
                    "floor_area_m2": [800.0],
                    "community_id": ["A"],
                }
            ),
        ],
        ignore_index=True,
    )
    assert facility_levels(fac["category"]).tolist() == ["community", "community", pd.NA, "street"]
    h = home_indicators(case["homes"], case["access"], profile, snapped=case["snapped"])
    c = community_indicators(case["communities"], case["homes"], h, fac, profile)
    c = c.set_index("community_id")
    # A keeps 10 m² / 40 hh × 100 = 25 (2025 with the centre credited)
    assert c.loc["A", "community_facility_m2"] == 10.0
    assert c.loc["A", "area_per_100hh"] == pytest.approx(25.0)
    # the 街道 counts it: S = A + B, (10 + 9 + 800) / 65 × 100
    comm = case["communities"].assign(street=["S", "S"])
    st = street_indicators(comm, fac).set_index("street")
    assert st.loc["S", "street_level_m2"] == 800 and st.loc["S", "community_level_m2"] == 19
    assert st.loc["S", "area_per_100hh"] == pytest.approx(819 / 65 * 100)
    assert st.loc["S", "n_centres"] == 1 and st.loc["S", "n__kindergarten"] == 1
    # and the district counts it
    assert district_facility_area(comm, fac)["per_100hh"] == pytest.approx(819 / 65 * 100)


def test_time_standard_uses_slow_speed(profile: Profile) -> None:
    # station: 10 min; general 60 m/min -> 600 m; slow 50 m/min -> 500 m
    assert profile.threshold_m("community_service_station") == 600
    assert profile.threshold_m("community_service_station", "slow") == 500


def _fca_reference(pairs, supply, demand, d0):
    """Plain-Python 2SFCA: loops over facilities then homes."""
    ratio = {}
    for j in range(len(supply)):
        load = sum(demand[i] for f, i, d in pairs if f == j and d <= d0)
        ratio[j] = (supply[j] / load) if load > 0 else 0.0
    return [sum(ratio[f] for f, i, d in pairs if i == h and d <= d0) for h in range(len(demand))]


def test_two_step_fca_against_plain_python() -> None:
    rng = np.random.default_rng(7)
    n_f, n_h = 6, 40
    pairs = [
        (f, h, float(rng.uniform(0, 1500)))
        for f in range(n_f)
        for h in range(n_h)
        if rng.random() < 0.4
    ]
    supply = rng.uniform(50, 800, n_f).round(1).tolist()
    demand = rng.integers(0, 60, n_h).tolist()
    expected = _fca_reference(pairs, supply, demand, 1000.0)
    frame = pd.DataFrame(pairs, columns=["facility", "home", "dist_m"])
    got = two_step_fca(frame, pd.Series(supply), pd.Series(demand), max_distance_m=1000.0)
    assert got.tolist() == pytest.approx(expected)
    # supply is conserved: every facility with demand in reach hands out all its area
    reached = {f for f, _h, d in pairs if d <= 1000.0 and demand[_h] > 0}
    assert float((got * pd.Series(demand)).sum()) == pytest.approx(sum(supply[f] for f in reached))
