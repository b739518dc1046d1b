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
