"""Analysis configs: one TOML file describes a district run (inputs, network, profile, outputs).

Paths in a config are relative to the config file. A config with
``[[districts]]`` entries, or ``[batch] split_by = "<column>"``, describes a
batch of districts (see :mod:`coverage15.batch`).

Example config::

    [district]
    name = "市中区"

    [inputs.communities]
    path = "社区.gpkg"
    columns = { households = "户数" }

    [inputs.facilities]
    path = "设施.csv"
    crs = "EPSG:4326"
    unknown_categories = "drop"
    categories = { "卫生站" = "health_station" }

    [inputs.buildings]          # optional
    path = "建筑.gpkg"

    [network]
    source = "乐山.osm.pbf"     # or place = "市中区, 乐山市", or bbox = [w, s, e, n]
    cache_dir = "cache"

    [analysis]
    profile = "gb50180_2018"
    group = "general"
    # dem = "dem.tif"            # slope-aware walking (Tobler)
    # barriers = "closed.gpkg"   # lines/polygons the planner closes
    # compounds = "osm"          # gated compounds from the OSM file, or a polygon layer

    [outputs]
    folder = "output/市中区"
    lang = "zh"

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "run.toml").write_text('''
... [inputs.communities]
... path = "c.gpkg"
... [inputs.facilities]
... path = "f.gpkg"
... [network]
... source = "walk.osm"
... ''', encoding="utf-8")
>>> cfg = load_config(folder / "run.toml")
>>> cfg.network["source"] == str(folder / "walk.osm"), cfg.profile
(True, 'gb50180_2018')
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coverage15._errors import InputError

_INPUT_KEYS = {
    "communities": {"path", "layer", "crs", "encoding", "columns"},
    "facilities": {
        "path",
        "layer",
        "crs",
        "encoding",
        "columns",
        "categories",
        "unknown_categories",
        "x",
        "y",
        "wkt",
    },
    "buildings": {"path", "layer", "crs", "encoding", "columns", "default_levels"},
}
_NETWORK_KEYS = {"source", "place", "bbox", "crs", "cache_dir", "buffer_m", "simplify"}


@dataclass
class RunConfig:
    """One district run, with paths resolved against the config file's folder.

    Examples
    --------
    >>> from coverage15.sample import sample_run_config
    >>> run = sample_run_config("output/sample")
    >>> run.lang, run.group, run.maps
    ('zh', 'general', False)
    """

    name: str
    inputs: dict[str, dict[str, Any]]
    network: dict[str, Any]
    profile: str = "gb50180_2018"
    group: str = "general"
    output_folder: Path = Path("output")
    lang: str = "zh"
    formats: tuple[str, ...] = ("gpkg", "csv")
    maps: bool = True
    report: bool = True
    dem: str | None = None
    barriers: str | None = None
    compounds: str | None = None
    gates: str | None = None
    district_filter: dict[str, Any] | None = None
    path: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _resolve(base: Path, value: Any) -> Any:
    if isinstance(value, str) and value and not Path(value).is_absolute():
        return str(base / value)
    return value


def _check_keys(table: Mapping, allowed: set[str], where: str, source: str) -> None:
    unknown = set(table) - allowed
    if unknown:
        raise InputError(
            f"[{where}] has unknown key(s) {sorted(unknown)}; allowed: {sorted(allowed)}",
            source=source,
        )


def _parse_run(data: Mapping, base: Path, source: str, name: str) -> RunConfig:
    inputs_raw = data.get("inputs", {})
    for required in ("communities", "facilities"):
        if required not in inputs_raw or "path" not in inputs_raw[required]:
            raise InputError(f"missing [inputs.{required}] with a path", source=source)
    inputs: dict[str, dict[str, Any]] = {}
    for key, table in inputs_raw.items():
        if key not in _INPUT_KEYS:
            raise InputError(
                f"unknown input [inputs.{key}]; inputs are {sorted(_INPUT_KEYS)}", source=source
            )
        _check_keys(table, _INPUT_KEYS[key], f"inputs.{key}", source)
        t = dict(table)
        t["path"] = _resolve(base, t["path"])
        inputs[key] = t
    network = dict(data.get("network", {}))
    _check_keys(network, _NETWORK_KEYS, "network", source)
    if not ({"source", "place", "bbox"} & set(network)):
        raise InputError(
            "[network] needs source = an OSM file or road-line layer, place = a place name, "
            "or bbox = [west, south, east, north]",
            source=source,
        )
    for k in ("source", "cache_dir"):
        if k in network:
            network[k] = _resolve(base, network[k])
    analysis = data.get("analysis", {})
    _check_keys(
        analysis,
        {"profile", "group", "dem", "barriers", "compounds", "gates"},
        "analysis",
        source,
    )
    layers = {
        k: (analysis[k] if analysis[k] == "osm" else _resolve(base, analysis[k]))
        for k in ("dem", "barriers", "compounds", "gates")
        if k in analysis
    }
    profile = analysis.get("profile", "gb50180_2018")
    if isinstance(profile, str) and profile.endswith(".toml"):
        profile = _resolve(base, profile)
    outputs = data.get("outputs", {})
    _check_keys(outputs, {"folder", "lang", "formats", "maps", "report"}, "outputs", source)
    lang = outputs.get("lang", "zh")
    if lang not in ("zh", "en"):
        raise InputError(f"[outputs] lang must be 'zh' or 'en', got {lang!r}", source=source)
    return RunConfig(
        name=name,
        inputs=inputs,
        network=network,
        profile=profile,
        group=analysis.get("group", "general"),
        output_folder=Path(_resolve(base, outputs.get("folder", f"output/{name}"))),
        lang=lang,
        formats=tuple(outputs.get("formats", ("gpkg", "csv"))),
        maps=bool(outputs.get("maps", True)),
        report=bool(outputs.get("report", True)),
        **layers,
    )


def _merge(base: Mapping, over: Mapping) -> dict:
    out = copy.deepcopy(dict(base))
    for k, v in over.items():
        out[k] = (
            _merge(out[k], v) if isinstance(v, Mapping) and isinstance(out.get(k), Mapping) else v
        )
    return out


def load_config(path: str | Path) -> RunConfig:
    """Load a single-district run config.

    Raises
    ------
    InputError
        The file is missing, not TOML, or lacks a required table; the message
        names the file and the table.

    Examples
    --------
    >>> load_config("no/such.toml")
    Traceback (most recent call last):
    ...
    coverage15._errors.InputError: no/such.toml: config file not found
    """
    runs = load_batch_config(path)
    if len(runs) != 1:
        raise InputError(
            f"the config describes {len(runs)} districts: use `coverage15 batch`", source=str(path)
        )
    return runs[0]


def load_batch_config(path: str | Path) -> list[RunConfig]:
    """Load a config and return one :class:`RunConfig` per district.

    ``[[districts]]`` entries each override the top-level tables (``name`` is
    required); ``[batch] split_by = "<column>"`` splits the communities layer by a
    column's values, each value a district (its facilities are all facilities,
    its network the shared source clipped around it — see :mod:`coverage15.batch`).

    Examples
    --------
    >>> runs = load_batch_config("examples/sample_batch.toml")
    >>> [(r.name, r.profile) for r in runs]
    [('gb50180', 'gb50180_2018'), ('leshan', 'leshan_2018'), ('mofcom', 'mofcom_15min')]
    """
    path = Path(path)
    source = str(path)
    if not path.exists():
        raise InputError("config file not found", source=source)
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", source=source) from None
    base = path.parent
    top = {k: v for k, v in data.items() if k not in ("districts", "batch")}
    name = top.get("district", {}).get("name", path.stem)
    if "districts" in data:
        runs = []
        for i, d in enumerate(data["districts"], 1):
            if "name" not in d:
                raise InputError(f"[[districts]] entry {i} has no name", source=source)
            merged = _merge(top, {k: v for k, v in d.items() if k != "name"})
            runs.append(_parse_run(merged, base, source, d["name"]))
            runs[-1].path = path
        return runs
    run = _parse_run(top, base, source, name)
    run.path = path
    if "batch" in data:
        split_by = data["batch"].get("split_by")
        if not split_by:
            raise InputError("[batch] needs split_by = '<community column>'", source=source)
        run.district_filter = {"split_by": split_by}
    return [run]
