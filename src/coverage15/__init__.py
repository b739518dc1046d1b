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
from typing import Any

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

__all__ = ["__version__", *sorted(_API)]


def __getattr__(name: str) -> Any:
    if name in _API:
        value = getattr(importlib.import_module(_API[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'coverage15' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
