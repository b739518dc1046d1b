"""Analysis configs: paths resolved, errors named, batch entries expanded."""

from __future__ import annotations

from pathlib import Path

import pytest

from coverage15 import InputError
from coverage15.config import load_batch_config, load_config

BASE = """
[inputs.communities]
path = "c.gpkg"
columns = { households = "户数" }
[inputs.facilities]
path = "data/f.csv"
crs = "EPSG:4326"
unknown_categories = "drop"
[network]
source = "walk.osm"
cache_dir = "cache"
[analysis]
profile = "civil_affairs"
group = "slow"
[outputs]
folder = "out"
lang = "en"
"""


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "run.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_single_run_resolves_paths(tmp_path: Path) -> None:
    run = load_config(_write(tmp_path, BASE))
    assert run.inputs["communities"]["path"] == str(tmp_path / "c.gpkg")
    assert run.inputs["communities"]["columns"] == {"households": "户数"}
    assert run.inputs["facilities"]["path"] == str(tmp_path / "data" / "f.csv")
    assert run.network["source"] == str(tmp_path / "walk.osm")
    assert run.network["cache_dir"] == str(tmp_path / "cache")
    assert (run.profile, run.group, run.lang) == ("civil_affairs", "slow", "en")
    assert run.output_folder == tmp_path / "out"
    assert run.name == "run"


def test_districts_override_top_level(tmp_path: Path) -> None:
    text = (
        BASE
        + """
[[districts]]
name = "市中区"
inputs.communities.path = "a.gpkg"
outputs.folder = "out/a"

[[districts]]
name = "五通桥区"
analysis.profile = "leshan_2018"
"""
    )
    runs = load_batch_config(_write(tmp_path, text))
    assert [r.name for r in runs] == ["市中区", "五通桥区"]
    assert runs[0].inputs["communities"]["path"] == str(tmp_path / "a.gpkg")
    assert runs[0].inputs["communities"]["columns"] == {"households": "户数"}  # kept
    assert runs[0].output_folder == tmp_path / "out" / "a"
    assert runs[1].profile == "leshan_2018" and runs[0].profile == "civil_affairs"
    with pytest.raises(InputError, match="describes 2 districts"):
        load_config(_write(tmp_path, text))


def test_split_by(tmp_path: Path) -> None:
    runs = load_batch_config(_write(tmp_path, BASE + '[batch]\nsplit_by = "街道"\n'))
    assert runs[0].district_filter == {"split_by": "街道"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            BASE.replace('[inputs.facilities]\npath = "data/f.csv"', "[inputs.facilities]"),
            r"missing \[inputs.facilities\] with a path",
        ),
        (
            BASE.replace('source = "walk.osm"', 'sourse = "walk.osm"'),
            r"\[network\] has unknown key\(s\) \['sourse'\]",
        ),
        (BASE.replace('lang = "en"', 'lang = "fr"'), "lang must be 'zh' or 'en'"),
        (BASE + "[[districts]]\nprofile = 1\n", r"\[\[districts\]\] entry 1 has no name"),
        ("[inputs\n", "not valid TOML"),
    ],
)
def test_config_errors_name_the_file(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as err:
        load_batch_config(_write(tmp_path, text))
    assert "run.toml" in str(err.value)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('lang = "en"', 'lang = "en"\nmaps = "false"', r"\[outputs\] maps must be true or false"),
        (
            'lang = "en"',
            "lang = \"en\"\nreport = 'no'",
            r"\[outputs\] report must be true or false",
        ),
        ('lang = "en"', 'lang = "en"\nmaps = 0', r"\[outputs\] maps must be true or false"),
        (
            'cache_dir = "cache"',
            'cache_dir = "cache"\nsimplify = "false"',
            r"\[network\] simplify must be true or false .*, got 'false'",
        ),
        (
            'cache_dir = "cache"',
            'cache_dir = "cache"\nbuffer_m = "1500"',
            r"\[network\] buffer_m must be a number, got '1500'",
        ),
        (
            'path = "c.gpkg"',
            'path = "c.gpkg"\n[inputs.buildings]\npath = "b.gpkg"\nresidential_only = "yes"',
            r"\[inputs.buildings\] residential_only must be true or false .*, got 'yes'",
        ),
        ('path = "c.gpkg"', "path = 3", r"\[inputs.communities\] path must be text"),
        ('group = "slow"', 'group = "slow"\ndem = true', r"\[analysis\] dem must be text"),
        ('folder = "out"', "folder = 1", r"\[outputs\] folder must be text"),
        ('lang = "en"', 'lang = "en"\nformats = 3', r"\[outputs\] formats must be a list"),
        (
            'households = "户数"',
            "households = 3",
            r"\[inputs.communities\] columns.households must be a column name",
        ),
    ],
)
def test_config_values_are_type_checked(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in BASE
    with pytest.raises(InputError, match=message) as err:
        load_batch_config(_write(tmp_path, BASE.replace(old, new, 1)))
    assert "run.toml" in str(err.value)


def test_booleans_are_kept_as_given(tmp_path: Path) -> None:
    run = load_config(_write(tmp_path, BASE.replace('lang = "en"', "maps = false\nreport = true")))
    assert run.maps is False and run.report is True


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('place = "市中区, 乐山市"', r"\[network\] has source and place: give exactly one"),
        ("bbox = [103.7, 29.5, 103.8, 29.6]", r"\[network\] has source and bbox: give exactly one"),
    ],
)
def test_network_takes_exactly_one_source(tmp_path: Path, extra: str, message: str) -> None:
    text = BASE.replace('source = "walk.osm"', f'source = "walk.osm"\n{extra}')
    with pytest.raises(InputError, match=message) as err:
        load_batch_config(_write(tmp_path, text))
    assert "run.toml" in str(err.value)
    text = BASE.replace('source = "walk.osm"', "bbox = [1, 2, 3]")
    with pytest.raises(InputError, match=r"bbox must be \[west, south, east, north\]"):
        load_batch_config(_write(tmp_path, text))
    run = load_config(_write(tmp_path, BASE.replace('source = "walk.osm"', 'place = "乐山市"')))
    assert run.network["place"] == "乐山市" and "source" not in run.network


def test_unknown_profile_names_the_config_and_suggests(tmp_path: Path) -> None:
    text = BASE.replace('profile = "civil_affairs"', 'profile = "leshan2018"')
    with pytest.raises(
        InputError,
        match=r"run.toml: \[analysis\] profile 'leshan2018' .*did you mean 'leshan_2018'",
    ):
        load_batch_config(_write(tmp_path, text))
    text = BASE + '[[districts]]\nname = "a"\n[[districts]]\nname = "b"\nanalysis.profile = "x"\n'
    with pytest.raises(InputError, match=r"\[analysis\] profile 'x' is not a shipped profile"):
        load_batch_config(_write(tmp_path, text))
    # a user's profile file is resolved against the config, and checked when it is loaded
    text = BASE.replace('profile = "civil_affairs"', 'profile = "mine.toml"')
    assert load_config(_write(tmp_path, text)).profile == str(tmp_path / "mine.toml")


def test_unknown_categories_policy_is_checked(tmp_path: Path) -> None:
    text = BASE.replace('unknown_categories = "drop"', 'unknown_categories = "skip"')
    with pytest.raises(
        InputError,
        match=r"run.toml: \[inputs.facilities\] unknown_categories must be one of "
        r"\['raise', 'drop', 'keep'\], got 'skip'",
    ):
        load_batch_config(_write(tmp_path, text))
    for policy in ("raise", "drop", "keep"):
        text = BASE.replace('unknown_categories = "drop"', f'unknown_categories = "{policy}"')
        assert load_config(_write(tmp_path, text)).inputs["facilities"]["unknown_categories"] == (
            policy
        )


def test_unknown_keys_get_a_hint(tmp_path: Path) -> None:
    text = BASE.replace('lang = "en"', 'lang = "en"\nmap = false')
    with pytest.raises(InputError, match=r"\['map'\]; did you mean 'maps' for 'map'\?"):
        load_batch_config(_write(tmp_path, text))
