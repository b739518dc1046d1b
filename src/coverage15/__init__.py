"""coverage15: the 15-minute living circle (15分钟生活圈) of communities on real walking networks.

The public API is imported lazily, so ``import coverage15`` stays fast and a
command such as ``coverage15 profiles`` does not pay for osmnx.

Examples
--------
>>> import coverage15 as c15
>>> "gb50180_2018" in c15.list_profiles()
True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: The package version: the one source (``pyproject.toml`` reads it from here).
__version__ = "0.1.0"

# public name -> module that defines it
_API: dict[str, str] = {
    "Coverage15Error": "coverage15._errors",
    "InputError": "coverage15._errors",
    "NetworkError": "coverage15._errors",
    "ProfileError": "coverage15._errors",
    "ValidationReport": "coverage15.validation",
    "read_layer": "coverage15.io",
    "load_communities": "coverage15.io",
    "load_facilities": "coverage15.io",
    "load_buildings": "coverage15.io",
    "load_facilities_osm": "coverage15.osm_features",
    "communities_from_osm": "coverage15.osm_features",
    "Profile": "coverage15.standards",
    "list_profiles": "coverage15.standards",
    "load_profile": "coverage15.standards",
    "profile_path": "coverage15.standards",
    "category_catalogue": "coverage15.standards",
    "build_walk_network": "coverage15.network",
    "network_summary": "coverage15.network",
    "save_network": "coverage15.network",
    "load_network": "coverage15.network",
    "prepare_network": "coverage15.prepare",
    "walk_network_from_osm": "coverage15.network",
    "to_networkx": "coverage15.network",
    "load_open_spaces": "coverage15.io",
    "recommend_sites": "coverage15.siting",
    "write_results": "coverage15.export",
    "write_maps": "coverage15.maps",
    "plot_communities": "coverage15.maps",
    "plot_walk_times": "coverage15.maps",
    "service_areas": "coverage15.maps",
    "write_webmap": "coverage15.webmap",
    "write_report": "coverage15.report",
    "WalkNetwork": "coverage15.access",
    "analyze": "coverage15.analysis",
    "Analysis": "coverage15.analysis",
    "to_wgs84": "coverage15.crs",
    "from_wgs84": "coverage15.crs",
    "metric_crs": "coverage15.crs",
    "cgcs2000_gk_crs": "coverage15.crs",
    "detect_offset": "coverage15.crs",
}

# kept equal to _API by tests/test_packaging.py (a literal, so tools see the re-exports)
__all__ = [
    "Analysis",
    "Coverage15Error",
    "InputError",
    "NetworkError",
    "Profile",
    "ProfileError",
    "ValidationReport",
    "WalkNetwork",
    "__version__",
    "analyze",
    "build_walk_network",
    "category_catalogue",
    "cgcs2000_gk_crs",
    "communities_from_osm",
    "detect_offset",
    "from_wgs84",
    "list_profiles",
    "load_buildings",
    "load_communities",
    "load_facilities",
    "load_facilities_osm",
    "load_network",
    "load_open_spaces",
    "load_profile",
    "metric_crs",
    "network_summary",
    "plot_communities",
    "plot_walk_times",
    "prepare_network",
    "profile_path",
    "read_layer",
    "recommend_sites",
    "save_network",
    "service_areas",
    "to_networkx",
    "to_wgs84",
    "walk_network_from_osm",
    "write_maps",
    "write_report",
    "write_results",
    "write_webmap",
]

if TYPE_CHECKING:  # what IDEs and mypy see; at run time __getattr__ imports lazily
    from coverage15._errors import Coverage15Error, InputError, NetworkError, ProfileError
    from coverage15.access import WalkNetwork
    from coverage15.analysis import Analysis, analyze
    from coverage15.crs import cgcs2000_gk_crs, detect_offset, from_wgs84, metric_crs, to_wgs84
    from coverage15.export import write_results
    from coverage15.io import (
        load_buildings,
        load_communities,
        load_facilities,
        load_open_spaces,
        read_layer,
    )
    from coverage15.maps import plot_communities, plot_walk_times, service_areas, write_maps
    from coverage15.network import (
        build_walk_network,
        load_network,
        network_summary,
        save_network,
        to_networkx,
        walk_network_from_osm,
    )
    from coverage15.osm_features import communities_from_osm, load_facilities_osm
    from coverage15.prepare import prepare_network
    from coverage15.report import write_report
    from coverage15.siting import recommend_sites
    from coverage15.standards import (
        Profile,
        category_catalogue,
        list_profiles,
        load_profile,
        profile_path,
    )
    from coverage15.validation import ValidationReport
    from coverage15.webmap import write_webmap


def __getattr__(name: str) -> Any:
    if name in _API:
        value = getattr(importlib.import_module(_API[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'coverage15' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
