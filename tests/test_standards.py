"""Standard profiles: values carried from standards.md with their confidence, and validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from coverage15 import ProfileError
from coverage15.standards import (
    CONFIDENCE,
    category_catalogue,
    list_profiles,
    load_profile,
    match_category,
    profile_path,
    suggest_category,
    suggest_profile,
)

GB = load_profile("gb50180_2018")


def test_shipped_profiles() -> None:
    assert set(list_profiles()) >= {
        "gb50180_2018",
        "civil_affairs",
        "civil_affairs_2011",
        "civil_affairs_2016",
        "leshan_2018",
        "mofcom_15min",
    }


@pytest.mark.parametrize("key", list_profiles())
def test_every_value_carries_source_and_confidence(key: str) -> None:
    p = load_profile(key)
    assert p.confidence in CONFIDENCE and p.source
    for r in p.requirements.values():
        assert r.confidence in CONFIDENCE and r.source.strip(), r.category
        assert p.threshold_m(r.category) > 0
    for t in p.tiers.values():
        assert t.confidence in CONFIDENCE and t.source.strip()
    for t in p.targets.values():
        assert t.confidence in CONFIDENCE and t.source.strip()


def test_gb50180_values_and_confidence_from_standards_md() -> None:
    # standards.md §8: 10-min tier 500 m [C1 zgbk]; 5-min 300 m [R]; App. C rows [R]
    assert GB.tiers["10min"].max_distance_m == 500 and GB.tiers["10min"].confidence == "C1"
    assert GB.tiers["5min"].max_distance_m == 300 and GB.tiers["5min"].confidence == "R"
    assert GB.tiers["15min"].max_distance_m == 1000 and GB.tiers["15min"].confidence == "C2"
    ks = GB.requirement("kindergarten")
    assert (ks.tier, ks.max_distance_m, ks.confidence) == ("5min", 300, "R")
    st = GB.requirement("community_service_station")
    assert st.min_floor_area_m2 == 600 and st.floor_area_range_m2 == (600, 1000)
    assert GB.requirement("middle_school").max_distance_m == 1000
    # no [R] value is shown as confirmed: every Appendix C row is R
    for r in GB.requirements.values():
        if "App. C" in r.source:
            assert r.confidence == "R", r.category


def test_civil_affairs_periods() -> None:
    p11 = load_profile("civil_affairs_2011")
    assert p11.target("area_per_100_households_m2").value == 20
    assert p11.target("area_per_100_households_m2").confidence == "C1"  # quoted from the plan
    assert p11.target("centre_every_street").among == "street"
    p16 = load_profile("civil_affairs_2016")
    assert p16.target("area_per_100_households_m2").value == 30
    assert p16.target("coverage_rural").value == 0.5
    assert p16.target("coverage_rural").confidence == "C1"
    p21 = load_profile("civil_affairs")
    assert p21.target("coverage_urban").value == 1.0
    assert p21.target("coverage_rural").value == 0.8
    # the 14th plan's indicator table is an image: 30 m² and rural 80 % stay C2
    assert p21.target("coverage_rural").confidence == "C2"
    assert p21.target("area_per_100_households_m2").confidence == "C2"
    assert p21.target("relocation_coverage").confidence == "C1"
    # the walking times are borrowed from later standards: never C1
    for p in (p11, p16, p21):
        station = p.requirement("community_service_station")
        assert station.confidence == "C2" and "borrowed" in station.source


def test_leshan_plan_values_are_quoted_and_borrowed_values_marked() -> None:
    p = load_profile("leshan_2018")
    assert p.requirement("community_service_station").min_floor_area_m2 == 300
    # the station's 500 m has no source: the category stays R though its area is quoted
    station = p.requirement("community_service_station")
    assert station.confidence == "R" and "no source" in station.source and station.quote
    assert p.target("centre_area_rate").threshold == 800
    assert p.target("station_area_rate").threshold == 300
    assert p.target("outdoor_plaza_m2_per_resident").confidence == "C1"
    assert p.target("area_compliance_rate").value == 0.9
    # the undefined 面积达标率: both readings, each saying which it is
    assert "Alternative reading" in p.target("area_compliance_rate_station").note
    assert p.target("sports_station_share_urban").note.startswith("普遍")
    for t in p.tiers.values():
        assert t.source.startswith("borrowed from GB 50180-2018")
    assert p.confidence == "R" and "R" in {r.confidence for r in p.requirements.values()}
    assert "Derived, not quoted" in p.speed_note
    assert "TD/T 1062" in p.requirement("health_station").note  # the radius conflict


def test_tiers_are_cumulative() -> None:
    five = GB.required_up_to("5min")
    fifteen = GB.required_up_to("15min")
    assert "kindergarten" in five and "convenience_store" in five
    assert "middle_school" not in five and "primary_school" not in five
    assert set(five) < set(fifteen)
    assert "middle_school" in fifteen and "kindergarten" in fifteen
    assert "nursery" not in fifteen  # optional
    assert GB.required_up_to("block") == ["convenience_store"]


def test_time_standards_use_the_group_speed() -> None:
    m = load_profile("mofcom_15min")
    # pharmacy: 8 min; 60 m/min general -> 480 m, 50 m/min slow -> 400 m
    assert m.threshold_m("pharmacy") == pytest.approx(480.0)
    assert m.threshold_m("pharmacy", "slow") == pytest.approx(400.0)
    # a distance standard holds for the general group; for the slow group its tier's minutes
    # at the slow speed bind too: 5-minute tier, 5 × 50 = 250 m < 300 m
    assert GB.threshold_m("kindergarten") == 300.0
    assert GB.threshold_m("kindergarten", "slow") == 250.0
    assert GB.max_threshold_m() == 1000.0
    with pytest.raises(ValueError, match="group must be one of"):
        GB.speed("teen")


def test_category_matching() -> None:
    assert match_category("社区卫生服务站") == "health_station"
    assert match_category(" 社区卫生服务站 ") == "health_station"  # spaces ignored
    assert match_category("托老所") == "elderly_daycare"
    assert match_category("Primary School") == "primary_school"
    assert match_category("网吧") is None
    assert suggest_category("幼儿园分园") == "kindergarten"
    assert all(c.name_zh and c.name_en for c in category_catalogue().values())


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mine.toml"
    path.write_text(text, encoding="utf-8")
    return path


HEAD = """
[profile]
key = "mine"
name_zh = "我的"
name_en = "Mine"
source = "test"
confidence = "C1"
[profile.speed]
general_m_per_min = 70.0
slow_m_per_min = 45.0
source = "test"
confidence = "R"
[tiers.5min]
name_zh = "五分钟"
name_en = "5 min"
max_distance_m = 300.0
source = "t"
confidence = "R"
"""


def test_user_profile_loads(tmp_path: Path) -> None:
    p = load_profile(
        _write(
            tmp_path, HEAD + '[categories.kindergarten]\ntier="5min"\nsource="s"\nconfidence="C2"\n'
        )
    )
    assert p.key == "mine" and p.threshold_m("kindergarten") == 300.0 and p.speed() == 70.0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            '[categories.kindergarden]\ntier="5min"\nsource="s"\nconfidence="C2"\n',
            r"\[categories.kindergarden\]: unknown category key; did you mean 'kindergarten'",
        ),
        (
            '[categories.kindergarten]\ntier="10min"\nsource="s"\nconfidence="C2"\n',
            r"tier '10min' is not one of this profile's \['5min'\]",
        ),
        (
            '[categories.kindergarten]\ntier="5min"\nsource="s"\nconfidence="sure"\n',
            r"confidence must be one of \['C1', 'C2', 'R'\], got 'sure'",
        ),
        (
            '[categories.kindergarten]\ntier="5min"\nconfidence="C2"\n',
            r"\[categories.kindergarten\]: missing text field 'source'",
        ),
        (
            '[categories.kindergarten]\ntier="5min"\nmax_distance_m=-1\nsource="s"\nconfidence="R"\n',
            r"max_distance_m: expected a non-negative number, got -1",
        ),
        ("", r"a profile needs at least one \[categories.KEY\] table"),
        ("[categories.kindergarten\n", r"not valid TOML"),
    ],
)
def test_invalid_profiles_name_file_and_field(tmp_path: Path, body: str, message: str) -> None:
    path = _write(tmp_path, HEAD + body)
    with pytest.raises(ProfileError, match=message) as err:
        load_profile(path)
    assert "mine.toml" in str(err.value)


def test_unknown_profile_name() -> None:
    with pytest.raises(ProfileError, match=r"no profile 'gb50180'.*gb50180_2018"):
        load_profile("gb50180")
    with pytest.raises(ProfileError, match=r"no profile 'leshan2018'.*did you mean 'leshan_2018'"):
        load_profile("leshan2018")
    assert suggest_profile("civil_affair") == "civil_affairs" and suggest_profile("zzz") is None


@pytest.mark.parametrize("key", list_profiles())
def test_every_shipped_profile_passes_the_strict_key_check(key: str) -> None:
    assert load_profile(key).key == key
    assert load_profile(profile_path(key)).key == key


CATEGORY = '[categories.health_station]\ntier="5min"\nsource="s"\nconfidence="C2"\n'


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'tier="5min"\n',
            'tier="5min"\nmax_distanse_m = 500.0\n',
            r"mine.toml \[categories.health_station\]: unknown key 'max_distanse_m'; "
            r"did you mean 'max_distance_m'\?",
        ),
        (
            'tier="5min"\n',
            'tier="5min"\nrequried = false\n',
            r"\[categories.health_station\]: unknown key 'requried'; did you mean 'required'",
        ),
        (
            'tier="5min"\n',
            'tier="5min"\nrequired = "false"\n',
            r"\[categories.health_station\]: required must be true or false, got 'false'",
        ),
        (
            'name_en = "Mine"\n',
            'name_en = "Mine"\ndescripton = "x"\n',
            r"mine.toml \[profile\]: unknown key 'descripton'; did you mean 'description'",
        ),
        (
            "slow_m_per_min = 45.0\n",
            "slow_m_per_min = 45.0\nslow_m_per_minute = 40.0\n",
            r"\[profile.speed\]: unknown key 'slow_m_per_minute'; did you mean 'slow_m_per_min'",
        ),
        (
            "max_distance_m = 300.0\n",
            "max_distance_m = 300.0\nmax_time_mins = 5.0\n",
            r"\[tiers.5min\]: unknown key 'max_time_mins'; did you mean 'max_time_min'",
        ),
        (
            "[tiers.5min]",
            "[tier.block]\nname_zh = 'x'\n[tiers.5min]",
            r"mine.toml: unknown table \[tier\]; did you mean \[tiers\]",
        ),
    ],
)
def test_misspelt_profile_keys_are_rejected(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    text = HEAD + CATEGORY
    assert old in text
    with pytest.raises(ProfileError, match=message):
        load_profile(_write(tmp_path, text.replace(old, new, 1)))


TARGET = '[targets.{key}]\nvalue = 1.0\nunit = "share"\nsource = "s"\nconfidence = "C2"\n'


def test_target_keys_near_a_known_one_are_typos(tmp_path: Path) -> None:
    bad = HEAD + CATEGORY + TARGET.format(key="coverage_urbn")
    with pytest.raises(
        ProfileError, match=r"\[targets.coverage_urbn\]: .*did you mean 'coverage_urban'"
    ):
        load_profile(_write(tmp_path, bad))
    typo = HEAD + CATEGORY + TARGET.format(key="coverage_urban").replace("unit", "units")
    with pytest.raises(ProfileError, match=r"unknown key 'units'; did you mean 'unit'"):
        load_profile(_write(tmp_path, typo))
    # a clearly different name is a target of its own: kept, listed without a measure
    own = HEAD + CATEGORY + TARGET.format(key="outdoor_plaza_m2_per_resident")
    p = load_profile(_write(tmp_path, own))
    assert p.target("outdoor_plaza_m2_per_resident").value == 1.0
    assert p.target("outdoor_plaza_m2_per_resident").measure == ""
    # a near-miss name with its own measure is intended
    near = HEAD + CATEGORY + TARGET.format(key="coverage_urbn") + 'measure = "coverage"\n'
    assert load_profile(_write(tmp_path, near)).target("coverage_urbn").among == "all"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('measure = "coverge"\n', r"unknown measure 'coverge'; did you mean 'coverage'"),
        ('measure = "coverage"\namong = "town"\n', r"among must be one of .*got 'town'"),
        (
            'measure = "category_share"\ncategories = ["kindergarden"]\n',
            r"unknown category 'kindergarden'; did you mean 'kindergarten'",
        ),
        ('measure = "tier_share"\ntier = "15min"\n', r"tier '15min' is not one of"),
        ('measure = "tier_share"\ntier = "5min"\nmode = "all"\n', r"mode must be"),
        ('quote = "x"\n', r"a quote needs the plan's file name"),
    ],
)
def test_target_fields_are_checked(tmp_path: Path, extra: str, message: str) -> None:
    text = HEAD + CATEGORY + TARGET.format(key="mine") + extra
    with pytest.raises(ProfileError, match=message) as err:
        load_profile(_write(tmp_path, text))
    assert "[targets.mine]" in str(err.value)


def test_category_levels() -> None:
    cat = category_catalogue()
    assert cat["community_service_centre"].level == "street"
    assert cat["community_service_station"].level == "community"
    assert {"sports_station", "children_home"} <= set(cat)
    assert match_category("体育健身站点") == "sports_station"
    assert match_category("儿童之家") == "children_home"


@pytest.mark.parametrize("key", list_profiles())
def test_profile_path_is_the_shipped_file(key: str) -> None:
    import coverage15 as c15

    path = profile_path(key)
    assert isinstance(path, Path) and path.is_file()
    assert path.name == f"{key}.toml" and path.parent.name == "profiles"
    assert load_profile(path).requirements == load_profile(key).requirements
    assert c15.profile_path is profile_path


def test_profile_path_of_an_unknown_key_lists_the_keys() -> None:
    with pytest.raises(ProfileError, match=r"no shipped profile 'gb50180'") as err:
        profile_path("gb50180")
    assert all(repr(k) in str(err.value) for k in list_profiles())
    with pytest.raises(ProfileError):
        profile_path("categories")  # the catalogue is not a profile
