"""Analysis configs: one TOML file describes a district run (inputs, network, profile, outputs).

Paths in a config are relative to the config file. A config with
``[[districts]]`` entries, or ``[batch] split_by = "<column>"``, describes a
batch of districts (see :mod:`coverage15.batch`).

The walking network is cached (built once, then loaded): by default in a
``cache`` folder beside the output folder (``<outputs.folder>/../cache``), so a
rerun with another profile or other facilities does not build it again;
``[network] cache_dir`` puts it elsewhere (e.g. one cache for every district of
a city) and ``cache_dir = false`` switches caching off.

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

    [inputs.open_spaces]        # optional: plazas / open space (广场) for m² per resident
    path = "广场.gpkg"

    [network]
    source = "乐山.osm.pbf"     # or place = "市中区, 乐山市", or bbox = [w, s, e, n]
    cache_dir = "cache"         # default: <outputs.folder>/../cache; false: no cache
    buffer_m = 1500             # batch: each district's network = boundary + buffer

    [analysis]
    profile = "gb50180_2018"
    group = "general"
    # dem = "dem.tif"            # slope-aware walking (Tobler)
    # barriers = "closed.gpkg"   # lines/polygons the planner closes
    # compounds = "osm"          # gated compounds from the OSM file, or a polygon layer

    [outputs]
    folder = "output/市中区"
    lang = "zh"
    formats = ["gpkg", "csv"]   # also "xlsx", "geojson"
    maps = true                 # PNG maps and the offline map.html
    report = true               # report.html

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
... [outputs]
... folder = "out/市中区"
... ''', encoding="utf-8")
>>> cfg = load_config(folder / "run.toml")
>>> cfg.network["source"] == str(folder / "walk.osm"), cfg.profile
(True, 'gb50180_2018')
>>> cfg.network["cache_dir"] == str(folder / "out" / "cache")  # the default cache
True
"""

from __future__ import annotations

import copy
import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coverage15._errors import InputError
from coverage15.io import UNKNOWN_POLICIES

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
    "buildings": {
        "path",
        "layer",
        "crs",
        "encoding",
        "columns",
        "default_levels",
        "residential_only",
    },
    "open_spaces": {"path", "layer", "crs", "encoding", "columns"},
}
#: ``columns = {...}`` keys per input: the loader's field names
_COLUMN_KEYS = {
    "communities": {"community_id", "name", "households", "population", "kind"},
    "facilities": {"facility_id", "name", "category", "floor_area_m2"},
    "buildings": {"building_id", "levels", "use", "floor_area_m2"},
    "open_spaces": {"open_space_id", "name", "area_m2", "community_id"},
}
_NETWORK_KEYS = {
    "source",
    "place",
    "bbox",
    "crs",
    "cache_dir",
    "buffer_m",
    "simplify",
    "retain_all",
    "source_crs",
    "node_intersections",
}
_TOP_KEYS = {"district", "inputs", "network", "analysis", "outputs", "districts", "batch"}
_FORMATS = {"gpkg", "csv", "xlsx", "geojson"}
#: the type each scalar key must have, by table (``inputs.*`` keys are shared by the inputs)
_BOOL, _NUMBER, _TEXT, _CRS = (bool,), (int, float), (str,), (str, int)
_TYPES: dict[str, dict[str, tuple[type, ...]]] = {
    "inputs": {
        "path": _TEXT,
        "layer": (str, int),
        "crs": _CRS,
        "encoding": _TEXT,
        "unknown_categories": _TEXT,
        "x": _TEXT,
        "y": _TEXT,
        "wkt": _TEXT,
        "default_levels": (int,),
        "residential_only": _BOOL,
    },
    "network": {
        "source": _TEXT,
        "place": _TEXT,
        "crs": _CRS,
        "source_crs": _CRS,
        "buffer_m": _NUMBER,
        "simplify": _BOOL,
        "retain_all": _BOOL,
        "node_intersections": _BOOL,
    },
    "analysis": {
        "profile": _TEXT,
        "group": _TEXT,
        "dem": _TEXT,
        "barriers": _TEXT,
        "compounds": _TEXT,
        "gates": _TEXT,
    },
    "outputs": {"folder": _TEXT, "lang": _TEXT, "maps": _BOOL, "report": _BOOL},
}
_TYPE_WORDS: dict[tuple[type, ...], str] = {
    _BOOL: "true or false (without quotes)",
    _NUMBER: "a number",
    _TEXT: "text (in quotes)",
    _CRS: "text or a whole number (e.g. 'EPSG:4326' or 4326)",
    (int,): "a whole number",
}


@dataclass
class RunConfig:
    """One district run, with paths resolved against the config file's folder.

    :func:`load_config` and :func:`load_batch_config` build it from a TOML file; the
    parameters are kept as attributes of the same names.

    Parameters
    ----------
    name
        District name (summary rows, messages).
    inputs
        ``{"communities"|"facilities"|"buildings": {"path": ..., loader options}}``.
    network
        ``source``/``place``/``bbox`` and the build options; ``cache_dir`` (a
        folder, or ``None`` for no cache) and ``buffer_m`` (metres; the district's
        network is its boundary buffered by this, 1500 m when not given, see
        :func:`coverage15.batch.district_network`).
    profile, group
        Standard profile (key or ``.toml`` path; default ``"gb50180_2018"``) and
        walking group (``"general"``, the default, or ``"slow"``).
    output_folder, lang, formats, maps, report
        Where and what to write (:func:`coverage15.batch.write_outputs`): the
        folder (default ``output``), the language of labels (``"zh"``, the
        default, or ``"en"``), the table formats (any of ``"gpkg"``, ``"csv"``,
        ``"xlsx"``, ``"geojson"``; default gpkg and csv), whether to write the
        maps and web map, and whether to write the HTML report (both default True).
    dem, barriers, compounds, gates
        Optional terrain and barrier layers for :func:`coverage15.analyze`: file
        paths, or ``"osm"`` for compounds and gates taken from the OSM source;
        None (the default) for none.
    district_filter
        ``{"split_by": column}`` before a split, ``{"split_by": column,
        "value": v}`` for one district of it; None (the default) when the
        communities are not split.
    path
        The config file the run was loaded from (None for a run built in code).
    extra
        Further settings carried with the run; coverage15 does not read them.
        Empty by default.

    Examples
    --------
    >>> from coverage15.datasets import sample_run_config
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
        return os.path.normpath(base / value)
    return value


def _check_keys(table: Any, allowed: set[str], where: str, source: str) -> None:
    if not isinstance(table, Mapping):
        raise InputError(f"[{where}] must be a table, got {table!r}", source=source)
    unknown = sorted(set(table) - allowed)
    if unknown:
        hints = {
            k: hit[0]
            for k in unknown
            if (hit := difflib.get_close_matches(str(k), sorted(allowed), n=1, cutoff=0.6))
        }
        hint = "".join(f"; did you mean {h!r} for {k!r}?" for k, h in hints.items())
        raise InputError(
            f"[{where}] has unknown key(s) {unknown}{hint} (allowed: {sorted(allowed)})",
            source=source,
        )


def _check_types(table: Mapping, kind: str, where: str, source: str) -> None:
    """Raise when a scalar key has the wrong type, e.g. ``maps = "false"`` (text, not a boolean)."""
    for key, types in _TYPES[kind].items():
        if key not in table:
            continue
        value = table[key]
        # True is an int to Python: only a boolean key takes it
        ok = isinstance(value, types) and (bool in types or not isinstance(value, bool))
        if not ok:
            raise InputError(
                f"[{where}] {key} must be {_TYPE_WORDS[types]}, got {value!r}", source=source
            )


def folder_name(value: Any) -> str:
    """A safe folder name for a district (path separators and control characters replaced).

    Parameters
    ----------
    value
        A district name or a value of the ``split_by`` column (any type; made text).

    Returns
    -------
    str
        The text with ``\\ / : * ? " < > |`` and control characters replaced by
        ``_`` and surrounding spaces stripped; ``"_"`` when nothing usable is
        left (empty, ``.`` or ``..``).

    Examples
    --------
    >>> folder_name("嘉州街道"), folder_name("A/B: 1"), folder_name("..")
    ('嘉州街道', 'A_B_ 1', '_')
    """
    text = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", str(value)).strip()
    return "_" if text in {"", ".", ".."} else text


def _parse_run(data: Mapping, base: Path, source: str, name: str) -> RunConfig:
    inputs_raw = data.get("inputs", {})
    _check_keys(inputs_raw, set(_INPUT_KEYS), "inputs", source)
    for required in ("communities", "facilities"):
        if required not in inputs_raw or "path" not in inputs_raw[required]:
            raise InputError(f"missing [inputs.{required}] with a path", source=source)
    inputs: dict[str, dict[str, Any]] = {}
    for key, table in inputs_raw.items():
        _check_keys(table, _INPUT_KEYS[key], f"inputs.{key}", source)
        if "path" not in table:
            raise InputError(f"[inputs.{key}] needs a path", source=source)
        _check_types(table, "inputs", f"inputs.{key}", source)
        columns = table.get("columns", {})
        _check_keys(columns, _COLUMN_KEYS[key], f"inputs.{key}.columns", source)
        for field_name, column in columns.items():
            if not isinstance(column, str):
                raise InputError(
                    f"[inputs.{key}] columns.{field_name} must be a column name (text), "
                    f"got {column!r}",
                    source=source,
                )
        policy = table.get("unknown_categories", "raise")
        if policy not in UNKNOWN_POLICIES:
            raise InputError(
                f"[inputs.{key}] unknown_categories must be one of {list(UNKNOWN_POLICIES)}, "
                f"got {policy!r}",
                source=source,
            )
        categories = table.get("categories", {})
        if not isinstance(categories, Mapping) or not all(
            isinstance(v, str) for v in categories.values()
        ):
            raise InputError(
                f"[inputs.{key}] categories must be a table of name = category key, "
                f"got {categories!r}",
                source=source,
            )
        t = dict(table)
        t["path"] = _resolve(base, t["path"])
        inputs[key] = t
    network = dict(data.get("network", {}))
    _check_keys(network, _NETWORK_KEYS, "network", source)
    _check_types(network, "network", "network", source)
    given = [k for k in ("source", "place", "bbox") if k in network]
    if not given:
        raise InputError(
            "[network] needs source = an OSM file or road-line layer, place = a place name, "
            "or bbox = [west, south, east, north]",
            source=source,
        )
    if len(given) > 1:
        raise InputError(
            f"[network] has {' and '.join(given)}: give exactly one of source, place or bbox",
            source=source,
        )
    bbox = network.get("bbox")
    if bbox is not None and not (
        isinstance(bbox, list)
        and len(bbox) == 4
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in bbox)
    ):
        raise InputError(
            f"[network] bbox must be [west, south, east, north] (4 numbers), got {bbox!r}",
            source=source,
        )
    if "source" in network:
        network["source"] = _resolve(base, network["source"])
    if "buffer_m" in network:
        buffer_m = network["buffer_m"]
        if isinstance(buffer_m, bool) or not isinstance(buffer_m, int | float) or buffer_m < 0:
            raise InputError(
                f"[network] buffer_m must be a distance in metres >= 0, got {buffer_m!r}",
                source=source,
            )
    analysis = data.get("analysis", {})
    _check_keys(
        analysis,
        {"profile", "group", "dem", "barriers", "compounds", "gates"},
        "analysis",
        source,
    )
    _check_types(analysis, "analysis", "analysis", source)
    if analysis.get("group", "general") not in ("general", "slow"):
        raise InputError(
            f"[analysis] group must be 'general' or 'slow', got {analysis['group']!r}",
            source=source,
        )
    layers = {
        k: (analysis[k] if analysis[k] == "osm" else _resolve(base, analysis[k]))
        for k in ("dem", "barriers", "compounds", "gates")
        if k in analysis
    }
    if layers.get("compounds") == "osm" and "source" not in network:
        raise InputError(
            "[analysis] compounds = 'osm' needs [network] source = an OSM file", source=source
        )
    profile = analysis.get("profile", "gb50180_2018")
    if profile.endswith(".toml"):
        profile = _resolve(base, profile)  # a user's profile: loaded (and checked) by the run
    else:
        from coverage15.standards import list_profiles, suggest_profile

        if profile not in list_profiles():
            hint = suggest_profile(profile)
            raise InputError(
                f"[analysis] profile {profile!r} is not a shipped profile"
                + (f"; did you mean {hint!r}?" if hint else "")
                + f" Give one of {list_profiles()} or the path of a .toml profile file",
                source=source,
            )
    outputs = data.get("outputs", {})
    _check_keys(outputs, {"folder", "lang", "formats", "maps", "report"}, "outputs", source)
    _check_types(outputs, "outputs", "outputs", source)
    lang = outputs.get("lang", "zh")
    if lang not in ("zh", "en"):
        raise InputError(f"[outputs] lang must be 'zh' or 'en', got {lang!r}", source=source)
    formats = outputs.get("formats", ["gpkg", "csv"])
    if isinstance(formats, str):
        formats = [formats]
    if not isinstance(formats, list):
        raise InputError(
            f"[outputs] formats must be a list such as ['gpkg', 'csv'], got {formats!r}",
            source=source,
        )
    bad = [f for f in formats if f not in _FORMATS]
    if bad:
        raise InputError(
            f"[outputs] formats {bad} unknown; use any of {sorted(_FORMATS)}", source=source
        )
    output_folder = Path(_resolve(base, outputs.get("folder", f"output/{folder_name(name)}")))
    # the network cache: beside the outputs unless the config says where (or false: none)
    cache_dir = network.get("cache_dir", True)
    if cache_dir is True:
        network["cache_dir"] = os.path.normpath(output_folder.parent / "cache")
    elif cache_dir is False or cache_dir == "":
        network["cache_dir"] = None
    elif isinstance(cache_dir, str):
        network["cache_dir"] = _resolve(base, cache_dir)
    else:
        raise InputError(
            f"[network] cache_dir must be a folder or false, got {cache_dir!r}", source=source
        )
    return RunConfig(
        name=name,
        inputs=inputs,
        network=network,
        profile=profile,
        group=analysis.get("group", "general"),
        output_folder=output_folder,
        lang=lang,
        formats=tuple(formats),
        maps=outputs.get("maps", True),
        report=outputs.get("report", True),
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

    Parameters
    ----------
    path
        The config TOML file (UTF-8); relative paths in it are resolved against
        its folder.

    Returns
    -------
    RunConfig

    Raises
    ------
    InputError
        The file is missing, not TOML, lacks a required table, has an unknown
        key or a value of the wrong type (e.g. ``maps = "false"``), more than
        one of ``[network]`` ``source``/``place``/``bbox``, an unknown
        ``profile`` key or ``unknown_categories`` policy, or describes a batch
        (``[[districts]]`` or ``[batch]``); the message names the file, the
        table and the key.

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
    if runs[0].district_filter:
        raise InputError(
            f"the config splits the communities by '{runs[0].district_filter['split_by']}' "
            "([batch] split_by): use `coverage15 batch`",
            source=str(path),
        )
    return runs[0]


def load_batch_config(path: str | Path) -> list[RunConfig]:
    """Load a config and return one :class:`RunConfig` per district.

    ``[[districts]]`` entries each override the top-level tables (``name`` is
    required; a district without its own ``outputs.folder`` writes to
    ``<outputs.folder>/<name>``); ``[batch] split_by = "<column>"`` splits the
    communities layer by a column's values, each value a district (its
    facilities are all facilities, its network the shared source cut around it
    — see :mod:`coverage15.batch`). With both, every listed district is split.

    Parameters
    ----------
    path
        The config TOML file (UTF-8); relative paths in it are resolved against
        its folder.

    Returns
    -------
    list of RunConfig
        One per ``[[districts]]`` entry, in file order, or a single one when the
        file has none. Runs to be split carry ``district_filter =
        {"split_by": column}`` (split them with
        :func:`coverage15.batch.expand_runs`).

    Raises
    ------
    InputError
        As :func:`load_config`; also for repeated district names or two
        districts writing to one folder.

    Examples
    --------
    >>> runs = load_batch_config("examples/sample_batch.toml")
    >>> [(r.name, r.profile) for r in runs]
    [('gb50180', 'gb50180_2018'), ('leshan', 'leshan_2018'), ('mofcom', 'mofcom_15min')]
    >>> len({r.network["cache_dir"] for r in runs})  # one network cache for all
    1
    """
    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise InputError("config file not found", source=source)
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", source=source) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text: {exc}", source=source) from None
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise InputError(
            f"unknown table(s) {sorted(unknown)}; a config has {sorted(_TOP_KEYS)}", source=source
        )
    base = path.parent.absolute()  # Dask workers may start elsewhere
    top = {k: v for k, v in data.items() if k not in ("districts", "batch")}
    _check_keys(top.get("district", {}), {"name"}, "district", source)
    name = top.get("district", {}).get("name", path.stem)
    split_by = None
    if "batch" in data:
        _check_keys(data["batch"], {"split_by"}, "batch", source)
        split_by = data["batch"].get("split_by")
        if not split_by or not isinstance(split_by, str):
            raise InputError("[batch] needs split_by = '<community column>'", source=source)
    if "districts" in data:
        if not isinstance(data["districts"], list) or not data["districts"]:
            raise InputError("[[districts]] must be a list of tables", source=source)
        runs = []
        top_folder = top.get("outputs", {}).get("folder")
        for i, d in enumerate(data["districts"], 1):
            if not isinstance(d, Mapping) or "name" not in d:
                raise InputError(f"[[districts]] entry {i} has no name", source=source)
            over = {k: v for k, v in d.items() if k != "name"}
            unknown = set(over) - (_TOP_KEYS - {"districts", "batch", "district"})
            if unknown:
                raise InputError(
                    f"[[districts]] entry {i} ({d['name']}) has unknown key(s) {sorted(unknown)}",
                    source=source,
                )
            merged = _merge(top, over)
            if "folder" not in over.get("outputs", {}):
                folder = f"{top_folder or 'output'}/{folder_name(d['name'])}"
                merged.setdefault("outputs", {})["folder"] = folder
            runs.append(_parse_run(merged, base, source, str(d["name"])))
    else:
        runs = [_parse_run(top, base, source, name)]
    for run in runs:
        run.path = path
        if split_by:
            run.district_filter = {"split_by": split_by}
    check_distinct(runs, source)
    return runs


def check_distinct(runs: list[RunConfig], source: str) -> None:
    """Two districts must not share a name or an output folder.

    Parameters
    ----------
    runs
        The districts' configs.
    source
        The config file (or ``"batch"``), named in the error.

    Raises
    ------
    InputError
        Two runs share a name or write into the same folder.

    Examples
    --------
    >>> import tempfile
    >>> from coverage15.datasets import sample_run_config
    >>> run = sample_run_config(tempfile.mkdtemp())
    >>> check_distinct([run, run], "batch.toml")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    coverage15._errors.InputError: batch.toml: district name '...' is used twice
    """
    seen_names: set[str] = set()
    seen_folders: dict[str, str] = {}
    for run in runs:
        if run.name in seen_names:
            raise InputError(f"district name '{run.name}' is used twice", source=source)
        seen_names.add(run.name)
        folder = os.path.normcase(os.path.abspath(run.output_folder))
        if folder in seen_folders:
            raise InputError(
                f"districts '{seen_folders[folder]}' and '{run.name}' write to the same folder "
                f"{run.output_folder}; give each its own outputs.folder",
                source=source,
            )
        seen_folders[folder] = run.name
