"""The bundled sample district, shipped as package data (momepy's ``datasets`` pattern).

The sample is **synthetic**: no OpenStreetMap or official data went into it. It is
placed at real coordinates in central Leshan, Sichuan (乐山市市中区, around 29.55 N,
103.76 E, about 2.6 km × 2 km) so maps look right, and it exercises every part of
coverage15: a walking network in OSM XML with ways the ``walk`` filter must drop, gated
residential compounds (小区) entered only through gates, a river (竹公溪) crossed by three
bridges only, a disconnected park, ten communities (社区) in two 街道 (one rural village,
one relocation settlement 易地扶贫搬迁安置社区), residential buildings with levels, service
facilities with opening hours, public plazas, and deliberate shortfalls listed in
:data:`SAMPLE_EXPECTATIONS`.

The files live inside the installed package (``coverage15/data/sample``), so a wheel
installed anywhere finds them; the repository keeps the same files in ``data/sample/``.
They are written by ``scripts/make_sample.py`` (not part of the package), byte for byte
the same on every machine.

Examples
--------
>>> from coverage15.datasets import SAMPLE_EXPECTATIONS, get_path
>>> get_path("walk_network.osm").name
'walk_network.osm'
>>> get_path("communities").name  # the extension may be left out
'communities.geojson'
>>> SAMPLE_EXPECTATIONS["bridges"]
3
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coverage15._errors import InputError

if TYPE_CHECKING:
    from coverage15.analysis import Analysis
    from coverage15.config import RunConfig

__all__ = [
    "SAMPLE_EXPECTATIONS",
    "SAMPLE_FILES",
    "available",
    "get_path",
    "sample_analysis",
    "sample_path",
    "sample_run_config",
]

#: The data files of the sample, in the order ``scripts/make_sample.py`` writes them.
SAMPLE_FILES: tuple[str, ...] = (
    "walk_network.osm",
    "communities.geojson",
    "buildings.geojson",
    "facilities.geojson",
    "open_spaces.geojson",
)

#: Where the files are inside the installed package.
_PACKAGE_DIR = Path(__file__).resolve().parent / "data" / "sample"

#: What the sample is built to show, so tests of the analysis can check that it is
#: detected. Distances are walking-distance thresholds in metres; a category is
#: "lacking" when no facility of it lies within that straight-line distance of any
#: residential building of the community, so it cannot be reached on the network
#: either. Category keys are those of ``profiles/categories.toml``. Every figure is
#: checked against the files by ``tests/test_sample.py``.
_JZ, _HT, _LY, _BT, _ZJ = (
    "511102001001",
    "511102001002",
    "511102001003",
    "511102001004",
    "511102001005",
)
_BY, _CQ, _BH, _XC, _QJ = (
    "511102002001",
    "511102002002",
    "511102002003",
    "511102002004",
    "511102002201",
)
SAMPLE_EXPECTATIONS: dict[str, Any] = {
    "crs": "EPSG:4326",
    "metric_crs": "EPSG:32648",
    "communities": 10,
    "urban_communities": 9,
    "rural_communities": {_QJ: "青江村"},
    "households": 25_720,
    "population": 72_109,
    "streets": {
        "嘉州街道": [_JZ, _HT, _LY, _BT, _ZJ],
        "柏杨街道": [_BY, _CQ, _BH, _XC, _QJ],
    },
    "relocation_communities": {_XC: "新村社区"},
    "community_service_station_per_community": 1,
    "below_30_m2_per_100_households": {_BT: "白塔社区", _ZJ: "致江社区", _XC: "新村社区"},
    "below_20_m2_per_100_households": {_BT: "白塔社区", _ZJ: "致江社区"},
    "station_below_300_m2": {_QJ: "青江村"},
    # daily opening hours of the community service station, where below 8 h
    "station_open_below_8_hours": {_LY: 6.0, _ZJ: 7.0, _BH: 7.5, _QJ: 3.0},
    "sports_station_communities": {
        _JZ: "嘉州社区",
        _HT: "海棠社区",
        _BT: "白塔社区",
        _ZJ: "致江社区",
        _BY: "柏杨社区",
        _CQ: "长青社区",
        _QJ: "青江村",
    },
    "children_home_communities": {
        _JZ: "嘉州社区",
        _HT: "海棠社区",
        _BT: "白塔社区",
        _ZJ: "致江社区",
        _BY: "柏杨社区",
        _CQ: "长青社区",
        _BH: "滨河社区",
        _XC: "新村社区",
        _QJ: "青江村",
    },
    # public open space (plazas, the park) per resident, m²: communities at or above 2.5
    # and those with none at all; the others have some, below 2.5
    "open_space_at_least_2_5_m2_per_resident": {
        _LY: "龙游社区",
        _ZJ: "致江社区",
        _BH: "滨河社区",
        _QJ: "青江村",
    },
    "open_space_none": {_JZ: "嘉州社区", _HT: "海棠社区", _XC: "新村社区"},
    "open_spaces": 7,
    "lacking_within_distance": {
        _LY: {
            "name": "龙游社区",
            "categories": {"kindergarten": 300.0, "elderly_daycare": 300.0},
        },
        _QJ: {
            "name": "青江村",
            "categories": {
                "kindergarten": 300.0,
                "nursery": 300.0,
                "elderly_daycare": 300.0,
                "pharmacy": 300.0,
                "outdoor_fitness": 300.0,
                "primary_school": 500.0,
                "wet_market": 500.0,
                "supermarket": 500.0,
                "middle_school": 1000.0,
            },
        },
    },
    "community_without_buildings": {"community_id": _BT, "name": "白塔社区"},
    "facility_outside_communities": {
        "facility_id": "F140",
        "name": "乐山市凤凰路中学",
        "category": "middle_school",
    },
    "alias_categories": {
        "托育中心": "nursery",
        "快递驿站": "parcel_point",
        "卫生服务站": "health_station",
        "日间照料中心": "elderly_daycare",
        "农贸市场": "wet_market",
        "药房": "pharmacy",
        "文化活动室": "cultural_station",
        "健身广场": "outdoor_fitness",
        "健身点": "outdoor_fitness",
        "托老所": "elderly_daycare",
        "大药房": "pharmacy",
        "理发店": "hairdresser",
        "村委会": "community_service_station",
        "卫生室": "health_station",
        "农家书屋": "cultural_station",
    },
    # categories the sample uses that ``profiles/categories.toml`` must know
    "new_categories": {"社区体育健身站点": "sports_station", "儿童之家": "children_home"},
    "river": "竹公溪",
    "bridges": 3,
    "compounds": 20,
    "gates": 31,
    "walk_components": 2,
    "disconnected_fragment": {"name": "竹公溪公园", "community_id": _ZJ},
    "dead_end_cluster": {"name": "滨河新村", "community_id": _BH, "dead_ends": 6},
    "dropped_ways": {
        "motorway": "乐雅高速",
        "trunk_foot_no": "乐峨快速通道",
        "cycleway": "竹公溪绿道",
        "pedestrian_area": "嘉州广场",
        "private_footway": 1,
    },
}


def available() -> list[str]:
    """Names of the bundled sample's files.

    Returns
    -------
    list of str
        The file names :func:`get_path` accepts (with or without extension).

    Examples
    --------
    >>> available()[:2]
    ['walk_network.osm', 'communities.geojson']
    """
    return list(SAMPLE_FILES)


def get_path(name: str) -> Path:
    """Path of one file of the bundled sample district.

    Parameters
    ----------
    name
        A file name from :func:`available` (``"communities.geojson"``), or the same
        without its extension (``"communities"``).

    Returns
    -------
    pathlib.Path
        The file inside the installed package.

    Raises
    ------
    InputError
        If ``name`` is not a sample file; the message lists the available names.

    Examples
    --------
    >>> get_path("facilities").name
    'facilities.geojson'
    >>> get_path("roads")
    Traceback (most recent call last):
    ...
    coverage15._errors.InputError: coverage15.datasets: unknown sample file 'roads'; \
available: walk_network.osm, communities.geojson, buildings.geojson, facilities.geojson, \
open_spaces.geojson
    """
    stems = {f.split(".")[0]: f for f in SAMPLE_FILES}
    file = name if name in SAMPLE_FILES else stems.get(name)
    if file is None:
        raise InputError(
            f"unknown sample file {name!r}; available: {', '.join(SAMPLE_FILES)}",
            source="coverage15.datasets",
        )
    path = _PACKAGE_DIR / file
    if not path.is_file():  # a broken install, not a user error
        raise FileNotFoundError(
            f"{path} is missing: coverage15 was installed without its package data; "
            "reinstall it (pip install --force-reinstall coverage15)"
        )
    return path


def sample_path(name: str | None = None) -> Path:
    """Path of the bundled sample district: one of its files, or its folder.

    Parameters
    ----------
    name
        A file name as for :func:`get_path`; ``None`` for the folder.

    Returns
    -------
    pathlib.Path
        The file or the folder holding all of them.

    Examples
    --------
    >>> sample_path("communities.geojson").name
    'communities.geojson'
    >>> sorted(p.name for p in sample_path().iterdir()) == sorted(available())
    True
    """
    return _PACKAGE_DIR if name is None else get_path(name)


@functools.lru_cache(maxsize=8)
def _analysed(profile: str, group: str) -> Analysis:
    from coverage15.analysis import analyze
    from coverage15.io import load_buildings, load_communities, load_facilities, load_open_spaces

    communities = load_communities(get_path("communities.geojson"))
    return analyze(
        communities,
        load_facilities(get_path("facilities.geojson"), communities=communities),
        network=get_path("walk_network.osm"),
        buildings=load_buildings(get_path("buildings.geojson")),
        open_spaces=load_open_spaces(get_path("open_spaces.geojson")),
        profile=profile,
        group=group,
    )


def sample_analysis(profile: str = "leshan_2018", group: str = "general") -> Analysis:
    """The bundled sample district, analysed: a new object on every call.

    For examples, notebooks and quick experiments: loads the sample's layers, builds
    its network offline and runs :func:`coverage15.analyze`. The analysis of each
    profile and group is computed once per session; every call returns a deep copy,
    so changing the result never changes what the next call returns.

    Parameters
    ----------
    profile
        Standard profile key (default ``"leshan_2018"``).
    group
        ``"general"`` (default) or ``"slow"``.

    Returns
    -------
    Analysis
        The result of :func:`coverage15.analyze` on the sample.

    Examples
    --------
    >>> a = sample_analysis("leshan_2018")
    >>> int(a.communities["households"].sum()), len(a.communities)
    (25720, 10)
    >>> a.communities.loc[0, "households"] = 0  # a private copy: the next call is unchanged
    >>> int(sample_analysis("leshan_2018").communities["households"].sum())
    25720
    """
    return copy.deepcopy(_analysed(profile, group))


def sample_run_config(
    output_folder: str | Path, *, profile: str = "leshan_2018", name: str = "sample"
) -> RunConfig:
    """A :class:`~coverage15.config.RunConfig` of the sample district (tables only, no maps).

    Parameters
    ----------
    output_folder
        Where the run writes its outputs.
    profile
        Standard profile key (default ``"leshan_2018"``).
    name
        The district's name (default ``"sample"``).

    Returns
    -------
    RunConfig
        Inputs: the sample's communities, facilities and buildings; network: its
        OSM file (no network cache); outputs: CSV tables only, no maps and no
        report; group ``"general"``, language ``"zh"``.

    Examples
    --------
    >>> run = sample_run_config("output/x")
    >>> run.name, run.profile, run.formats
    ('sample', 'leshan_2018', ('csv',))
    """
    from coverage15.config import RunConfig

    return RunConfig(
        name=name,
        inputs={
            "communities": {"path": str(get_path("communities.geojson"))},
            "facilities": {"path": str(get_path("facilities.geojson"))},
            "buildings": {"path": str(get_path("buildings.geojson"))},
            "open_spaces": {"path": str(get_path("open_spaces.geojson"))},
        },
        network={"source": str(get_path("walk_network.osm"))},
        profile=profile,
        output_folder=Path(output_folder),
        formats=("csv",),
        maps=False,
        report=False,
    )
