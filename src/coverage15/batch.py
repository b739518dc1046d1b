"""Run one district from a config, or many in parallel (local processes or a Dask cluster).

Each district is one task: load its inputs, build (or load from the cache) the
walking network and cut it to the district's boundary buffered by ``buffer_m``
(so communities at the edge still reach facilities across it), analyse, write
its outputs. One failing district is reported and does not stop the others; a
combined ``summary.csv`` lists every district with its status.

Examples
--------
>>> from coverage15.batch import DistrictOutcome
>>> DistrictOutcome(name="x", ok=False, error="boom").ok
False
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import time
import traceback
import uuid
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from coverage15._errors import Coverage15Error, InputError, NetworkError
from coverage15.config import RunConfig, check_distinct, folder_name

if TYPE_CHECKING:
    from coverage15._types import AnalysisLike

DEFAULT_BUFFER_M = 1500.0
#: Tobler's downhill optimum is 1.19× the flat speed: a walk costed as d flat metres can
#: cover up to 1.19 d on the ground, so the district's buffer must be that much wider
_TOBLER_REACH = 1.2


@dataclass
class DistrictOutcome:
    """What one district run produced (small and picklable, for Dask).

    :func:`run_district` builds it; the parameters are kept as attributes of the same names.

    Parameters
    ----------
    name
        The district's name (``RunConfig.name``).
    ok
        Whether the district ran to the end and its outputs were written.
    error
        For a failed district, the error as ``"<ErrorType>: <message>"``;
        ``""`` when it ran.
    seconds
        Wall-clock seconds the district took (0.0 when unknown, e.g. its worker
        process crashed).
    output_folder
        The folder its outputs were written to (``""`` when it failed).
    indicators
        District indicator values by indicator name (``Analysis.district``'s
        ``indicator`` → ``value``; shares as fractions 0–1); empty when it failed.
    households, communities
        Number of households and of communities analysed (0 when it failed).
    network_from_cache
        Whether the walking network was read from the network cache.
    network_nodes
        Number of nodes of the district's (cut) walking network.
    warnings
        The warnings issued while it ran, each ``"<WarningType>: <message>"``,
        once each.
    traceback
        The formatted traceback of a failed district (``""`` otherwise).

    Examples
    --------
    >>> o = DistrictOutcome(name="市中区", ok=False, error="InputError: 设施.csv: file not found")
    >>> o.ok, o.indicators
    (False, {})
    """

    name: str
    ok: bool
    error: str = ""
    seconds: float = 0.0
    output_folder: str = ""
    indicators: dict[str, float] = field(default_factory=dict)
    households: int = 0
    communities: int = 0
    network_from_cache: bool = False
    network_nodes: int = 0
    warnings: list[str] = field(default_factory=list)
    traceback: str = ""


def _loader_options(run: RunConfig, key: str) -> dict[str, Any]:
    t = dict(run.inputs[key])
    path = t.pop("path")
    columns = t.pop("columns", {})
    return {"path": path, **columns, **t}


def load_inputs(run: RunConfig, report: Any = None) -> tuple[Any, Any, Any]:
    """Load a district's communities, facilities and buildings as its config says.

    Parameters
    ----------
    run
        The district's config (its ``[inputs]`` paths and column options, and
        the ``split_by`` filter of a batch).
    report
        A :class:`~coverage15.validation.ValidationReport` that collects every
        loader's findings (``validate`` uses one for all layers); None, the
        default, gives each layer its own.

    Returns
    -------
    tuple
        ``(communities, facilities, buildings)``; buildings is None when the
        config names none.

    Raises
    ------
    InputError
        A file is unreadable or a row is refused; the ``split_by`` column is
        missing.

    Examples
    --------
    >>> import tempfile
    >>> from coverage15.datasets import sample_run_config
    >>> communities, facilities, buildings = load_inputs(sample_run_config(tempfile.mkdtemp()))
    >>> len(communities), int(communities["households"].sum())
    (10, 25720)
    """
    from coverage15.io import load_buildings, load_communities, load_facilities

    communities = load_communities(**_loader_options(run, "communities"), report=report)
    if run.district_filter:
        col = run.district_filter["split_by"]
        if col not in communities.columns:
            raise InputError(
                f"split_by column '{col}' not in the communities layer; columns are "
                f"{[c for c in communities.columns if c != 'geometry']}",
                source=run.inputs["communities"]["path"],
                column=col,
            )
        if "value" not in run.district_filter:
            raise InputError(
                f"'{run.name}' is split by '{col}': run it with run_batch (or expand_runs first)",
                source=str(run.path or run.name),
            )
        keep = communities[col].astype(str) == str(run.district_filter["value"])
        if not keep.any():
            raise InputError(
                f"no community has {col} = {run.district_filter['value']!r}",
                source=run.inputs["communities"]["path"],
                column=col,
            )
        layer_report = communities.attrs.get("report")
        communities = communities[keep.to_numpy()].reset_index(drop=True)
        communities.attrs["report"] = layer_report
    facilities = load_facilities(
        **_loader_options(run, "facilities"), communities=communities, report=report
    )
    buildings = (
        load_buildings(**_loader_options(run, "buildings"), report=report)
        if "buildings" in run.inputs
        else None
    )
    return communities, facilities, buildings


def network_source(run: RunConfig) -> Any:
    """The ``source`` for :func:`coverage15.build_walk_network` of a run config.

    Parameters
    ----------
    run
        A run config whose ``[network]`` table has ``source`` (a file), ``place``
        (a place name) or ``bbox``, looked up in that order.

    Returns
    -------
    str or tuple
        The ``source`` or ``place`` string as given, or the ``bbox`` as a tuple.

    Examples
    --------
    >>> from coverage15.datasets import sample_run_config
    >>> network_source(sample_run_config("out")).endswith("walk_network.osm")
    True
    """
    net = run.network
    if "source" in net:
        return net["source"]
    if "place" in net:
        return net["place"]
    return tuple(net["bbox"])


def _build_options(run: RunConfig) -> dict[str, Any]:
    net = run.network
    keys = ("crs", "simplify", "retain_all", "source_crs", "node_intersections", "cache_dir")
    return {k: net[k] for k in keys if net.get(k) is not None}


def _cut(graph: Any, area: Any) -> Any:
    """Nodes in ``area``, and nodes outside it joined to one inside (osmnx's truncate_by_edge)."""
    import numpy as np
    import shapely

    nodes = list(graph.nodes)
    x = np.fromiter((graph.nodes[n]["x"] for n in nodes), float, len(nodes))
    y = np.fromiter((graph.nodes[n]["y"] for n in nodes), float, len(nodes))
    shapely.prepare(area)
    inside = {n for n, ok in zip(nodes, shapely.intersects_xy(area, x, y), strict=True) if ok}
    if len(inside) == len(nodes):
        return graph
    keep = set(inside)
    for n in inside:
        keep.update(graph.successors(n))
        keep.update(graph.predecessors(n))
    return graph.subgraph([n for n in nodes if n in keep]).copy()


def district_network(
    run: RunConfig,
    communities: Any,
    *,
    prepared: bool = True,
    progress: bool = False,
    min_buffer_m: float = 0.0,
) -> Any:
    """The walking network for a district: built or cached, then cut to the buffered boundary.

    Parameters
    ----------
    run
        The district's config; ``run.network`` gives the source, the build
        options, ``cache_dir`` and ``buffer_m`` (default 1500 m).
    communities
        The district's communities: the network keeps the streets within
        ``buffer_m`` of them (and the streets leaving that area, whole).
    prepared
        Return a :class:`~coverage15.access.WalkNetwork` (default) or the cut
        osmnx graph, whose ``graph["coverage15"]`` build record says whether it
        came from the cache (``from_cache``) and how it was cut (``cut_buffer_m``).
    progress
        Show a progress bar while the network is built.
    min_buffer_m
        Widen ``buffer_m`` to at least this (the longest walk the profile
        measures), so no walk is cut short at the district's edge.

    Returns
    -------
    WalkNetwork or networkx.MultiDiGraph

    Raises
    ------
    NetworkError
        The source cannot be built, or no street lies near the communities.

    Examples
    --------
    >>> import tempfile
    >>> from coverage15.io import load_communities
    >>> from coverage15.datasets import sample_path, sample_run_config
    >>> run = sample_run_config(tempfile.mkdtemp())
    >>> net = district_network(run, load_communities(sample_path("communities.geojson")))
    >>> net.n_nodes > 100
    True
    """
    from coverage15.network import build_walk_network

    source = network_source(run)
    graph = build_walk_network(source, progress=progress, **_build_options(run))
    buffer_m = max(float(run.network.get("buffer_m", DEFAULT_BUFFER_M)), float(min_buffer_m))
    cut = _cut(graph, _district_area(communities, graph.graph["crs"], buffer_m))
    if cut.number_of_nodes() == 0:
        raise NetworkError(
            f"{source}: no street of the walking network lies within {buffer_m:.0f} m of the "
            "communities; do the network and the communities cover the same place (check "
            "their CRS)?"
        )
    cut.graph["coverage15"] = {
        **graph.graph.get("coverage15", {}),
        "cut_buffer_m": buffer_m,
        "cut_nodes_removed": graph.number_of_nodes() - cut.number_of_nodes(),
    }
    if not prepared:
        return cut
    from coverage15.access import WalkNetwork

    return WalkNetwork.from_graph(cut)


def _district_area(communities: Any, crs: Any, buffer_m: float) -> Any:
    return communities.to_crs(crs).union_all().buffer(buffer_m)


def _within_reach(facilities: Any, communities: Any, crs: Any, buffer_m: float) -> Any:
    """Facilities in the district's buffered area; the others are listed in the report.

    A facility farther than the buffer (at least the longest walk measured) from
    every community cannot serve any of its households, and its street may not
    be in the cut network at all.
    """
    area = _district_area(communities, crs, buffer_m)
    inside = facilities.to_crs(crs).intersects(area).to_numpy()
    if inside.all():
        return facilities
    kept = facilities[inside]
    report = kept.attrs.get("report")
    if report is not None:
        ids = facilities["facility_id"] if "facility_id" in facilities else facilities.index
        report.add(
            "beyond_walking_reach",
            "info",
            rows=list(ids[~inside]),
            column="geometry",
            detail=f"more than {buffer_m:.0f} m from every community of the district: left "
            "out, no household can walk to them within the profile's distances",
        )
    return kept


def _network_changes(run: RunConfig) -> dict[str, Any]:
    """The config's slope, barrier and compound layers, loaded for :func:`prepare_network`."""
    from coverage15.io import read_layer

    out: dict[str, Any] = {}
    if run.dem:
        out["dem"] = run.dem
    if run.barriers:
        out["barriers"] = read_layer(run.barriers)
    if run.compounds == "osm":
        from coverage15.barriers import compounds_from_osm

        cache = run.network.get("cache_dir")  # compounds are cached beside the network
        out["compounds"], out["gates"] = compounds_from_osm(
            run.network["source"], cache_dir=cache or None
        )
    elif run.compounds:
        out["compounds"] = read_layer(run.compounds)
        if run.gates:
            out["gates"] = read_layer(run.gates)
    return out


def analyze_district(run: RunConfig, *, progress: bool = False) -> Any:
    """Load a district's inputs and network and analyse it (no files written).

    The network comes from the cache when ``run.network["cache_dir"]`` holds
    it (``result.network_record["from_cache"]`` then names the cache file),
    cut to the district's communities buffered by ``buffer_m`` (widened to the
    longest walk the profile measures). Facilities outside that buffer cannot
    serve the district and are left out (listed in the report as
    ``beyond_walking_reach``).

    Parameters
    ----------
    run
        The district's config.
    progress
        Show progress bars (network build, categories).

    Returns
    -------
    Analysis

    Examples
    --------
    >>> import tempfile
    >>> from coverage15.datasets import sample_run_config
    >>> run = sample_run_config(tempfile.mkdtemp())
    >>> run.network["cache_dir"] = tempfile.mkdtemp()
    >>> first, again = analyze_district(run), analyze_district(run)
    >>> "from_cache" in first.network_record, "from_cache" in again.network_record
    (False, True)
    """
    from coverage15.analysis import analyze, catchment_distance_m
    from coverage15.prepare import prepare_network
    from coverage15.standards import load_profile

    profile = load_profile(run.profile)
    communities, facilities, buildings = load_inputs(run)
    changes = _network_changes(run)
    reach = max(profile.max_threshold_m(run.group), catchment_distance_m(profile, run.group))
    graph = district_network(
        run,
        communities,
        prepared=False,
        progress=progress,
        min_buffer_m=reach * (_TOBLER_REACH if run.dem else 1.0),
    )
    record = graph.graph["coverage15"]
    facilities = _within_reach(facilities, communities, graph.graph["crs"], record["cut_buffer_m"])
    open_spaces = None
    if "open_spaces" in run.inputs:
        from coverage15.io import load_open_spaces

        open_spaces = load_open_spaces(**_loader_options(run, "open_spaces"))
    return analyze(
        communities,
        facilities,
        network=prepare_network(graph, progress=progress, **changes),
        buildings=buildings,
        open_spaces=open_spaces,
        profile=profile,
        group=run.group,
        progress=progress,
    )


def write_outputs(result: AnalysisLike, run: RunConfig, *, progress: bool = False) -> Path:
    """Write tables, layers, maps and the report of one district into its folder.

    What is written follows the config's ``[outputs]``: the tables and layers
    in ``formats``; with ``maps``, the PNG maps in ``maps/`` and the offline
    web map ``map.html``; with ``report``, ``report.html``. They are written into a
    staging folder beside the output folder and swapped in whole, with ``manifest.json``
    (:func:`coverage15.staging.staged_folder`): a failed or interrupted run leaves the
    previous outputs as they were. A ``cache/`` subfolder is carried over.

    Parameters
    ----------
    result
        The district's :class:`~coverage15.analysis.Analysis`.
    run
        The district's config (``output_folder``, ``lang``, ``formats``,
        ``maps``, ``report``).
    progress
        Show a progress bar over the maps.

    Returns
    -------
    pathlib.Path
        The output folder.

    Examples
    --------
    >>> import tempfile
    >>> from coverage15.datasets import sample_analysis, sample_run_config
    >>> folder = write_outputs(sample_analysis(), sample_run_config(tempfile.mkdtemp()))
    >>> (folder / "communities.csv").is_file()
    True
    """
    folder = Path(run.output_folder)
    write_deliverables(
        result,
        folder,
        lang=run.lang,
        formats=run.formats,
        maps=run.maps,
        report=run.report,
        progress=progress,
    )
    return folder


def write_deliverables(
    result: AnalysisLike,
    folder: str | os.PathLike[str],
    *,
    lang: str = "zh",
    formats: Sequence[str] | None = None,
    maps: bool = True,
    report: bool = True,
    progress: bool = False,
) -> list[Path]:
    """Write one district's whole set of outputs into ``folder``, swapped in whole.

    Everything is written into a staging folder beside ``folder`` and swapped
    in at the end with ``manifest.json`` (:func:`coverage15.staging.staged_folder`):
    an interrupted or failed run leaves the previous complete set as it was.
    Maps are drawn once: the reports embed the PNGs :func:`write_maps` wrote.

    Parameters
    ----------
    result
        The district's :class:`~coverage15.analysis.Analysis`.
    folder
        The output folder (its ``cache/`` subfolder is kept).
    lang
        ``"zh"`` (default) or ``"en"``.
    formats
        Table formats (:data:`coverage15.export.FORMATS`; None: all).
    maps
        PNG maps in ``maps/`` and the offline web map ``map.html``.
    report
        ``report.html``, ``report.docx`` and, where Chromium is installed,
        ``report.pdf``.
    progress
        Show a progress bar over the maps.

    Returns
    -------
    list of pathlib.Path
        The files written, relative to ``folder`` (``manifest.json`` last).

    Examples
    --------
    >>> import tempfile
    >>> from coverage15.datasets import sample_analysis
    >>> files = write_deliverables(sample_analysis(), tempfile.mkdtemp(), formats=["csv"],
    ...                            maps=False, report=False)
    >>> [str(f) for f in files][-1], "targets.csv" in [f.name for f in files]
    ('manifest.json', True)
    """
    import json

    from coverage15.export import FORMATS, strip_paths, write_results
    from coverage15.staging import staged_folder

    folder = Path(folder)
    # the manifest names files, never a machine's folders
    network = json.loads(strip_paths(json.dumps(result.network_record, default=str)))
    with staged_folder(
        folder,
        profile=result.profile.key,
        inputs=result.inputs,
        network=network,
    ) as stage:
        write_results(
            result, stage, lang=lang, formats=tuple(formats or FORMATS), inputs=result.inputs
        )
        maps_dir = None
        if maps:
            from coverage15.maps import write_maps
            from coverage15.webmap import write_webmap

            maps_dir = stage / "maps"
            write_maps(result, maps_dir, lang=lang, progress=progress)
            write_webmap(result, stage / "map.html", lang=lang)
        if report:
            from coverage15.report import write_report, write_report_pdf
            from coverage15.report_docx import write_report_docx

            page = write_report(
                result, stage / "report.html", lang=lang, maps=maps, maps_dir=maps_dir
            )
            write_report_docx(
                result, stage / "report.docx", lang=lang, maps=maps, maps_dir=maps_dir
            )
            write_report_pdf(page, stage / "report.pdf")  # None where Chromium is missing
        written = sorted(
            p.relative_to(stage)
            for p in stage.rglob("*")
            if p.is_file() and p.relative_to(stage).parts[0] != "cache"
        )
    return [*written, Path("manifest.json")]


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def run_district(
    run: RunConfig, *, progress: bool = False, raise_errors: bool = False
) -> DistrictOutcome:
    """Run one district end to end: :func:`analyze_district`, then :func:`write_outputs`.

    Parameters
    ----------
    run
        The district's config.
    progress
        Show progress bars.
    raise_errors
        Raise errors instead of returning them in the outcome (the command
        line's ``run --debug``).

    Returns
    -------
    DistrictOutcome
        ``ok`` False with ``error`` (and ``traceback``) when the district
        failed; errors are caught so one district never stops a batch.

    Examples
    --------
    >>> import dataclasses, tempfile
    >>> from coverage15.datasets import sample_run_config
    >>> run = sample_run_config(tempfile.mkdtemp())
    >>> o = run_district(run)
    >>> o.ok, o.communities, o.households
    (True, 10, 25720)
    >>> bad = dataclasses.replace(run, inputs={**run.inputs, "facilities": {"path": "nope.csv"}})
    >>> run_district(bad).error
    'InputError: nope.csv: file not found'
    """
    t0 = time.perf_counter()
    # warnings go with the district (to the summary) instead of a worker's log; the
    # filters are kept, so warnings that are errors still raise
    with warnings.catch_warnings(record=True) as caught:
        try:
            result = analyze_district(run, progress=progress)
            folder = write_outputs(result, run, progress=progress)
        except Exception as exc:  # one district must not stop the batch
            if raise_errors:
                raise
            return DistrictOutcome(
                name=run.name,
                ok=False,
                error=_describe(exc),
                seconds=time.perf_counter() - t0,
                warnings=_messages(caught),
                traceback=traceback.format_exc(),
            )
    indicators = {r["indicator"]: float(r["value"]) for _, r in result.district.iterrows()}
    return DistrictOutcome(
        name=run.name,
        ok=True,
        seconds=time.perf_counter() - t0,
        output_folder=str(folder),
        indicators=indicators,
        households=int(result.communities["households"].sum()),
        communities=len(result.communities),
        network_from_cache=bool(result.network_record.get("from_cache")),
        network_nodes=int(result.network.n_nodes),
        warnings=_messages(caught),
    )


def _messages(caught: Sequence[warnings.WarningMessage]) -> list[str]:
    out: list[str] = []
    for w in caught:
        text = f"{w.category.__name__}: {w.message}"
        if text not in out:
            out.append(text)
    return out


def expand_runs(runs: Sequence[RunConfig]) -> list[RunConfig]:
    """Split runs with ``[batch] split_by`` into one run per value of the column.

    Each value becomes a district named ``<name>-<value>`` writing to
    ``<output_folder>/<value>``. The column is one of the communities layer as
    loaded: a column of the file that the loader does not map (e.g. ``街道``),
    or a standard one (``kind``, ``community_id`` …). A run whose communities cannot be read is
    kept whole, so that :func:`run_batch` reports it as a failed district
    instead of stopping; a column the layer does not have is an error of the
    config, raised before any district runs.

    Parameters
    ----------
    runs
        Run configs; those without ``split_by`` (or already split, with a
        ``value``) are passed through unchanged.

    Returns
    -------
    list of RunConfig
        The runs in the given order, each split run replaced by its districts in
        the order of their values (sorted as text).

    Raises
    ------
    InputError
        The ``split_by`` column is not in the communities layer (the message
        names the config file, ``[batch] split_by`` and the layer's columns).

    Examples
    --------
    >>> from coverage15.datasets import sample_run_config
    >>> runs = [sample_run_config("out/a"), sample_run_config("out/b", name="b")]
    >>> [r.name for r in expand_runs(runs)]  # no split_by: unchanged
    ['sample', 'b']
    >>> split = sample_run_config("out/c", name="乐山")
    >>> split.district_filter = {"split_by": "kind"}  # urban / rural
    >>> [(r.name, r.output_folder.as_posix()) for r in expand_runs([split])]
    [('乐山-rural', 'out/c/rural'), ('乐山-urban', 'out/c/urban')]
    """
    from coverage15.io import load_communities

    out: list[RunConfig] = []
    for run in runs:
        if not run.district_filter or "value" in run.district_filter:
            out.append(run)
            continue
        col = run.district_filter["split_by"]
        try:
            communities = load_communities(**_loader_options(run, "communities"))
        except Coverage15Error:
            out.append(run)  # fails again, and is reported, when the district runs
            continue
        if col not in communities.columns:
            raise InputError(
                f"[batch] split_by column '{col}' is not in the communities layer "
                f"{run.inputs['communities']['path']}; its columns are "
                f"{[c for c in communities.columns if c != 'geometry']}",
                source=str(run.path or run.name),
            )
        for value in sorted(communities[col].dropna().astype(str).unique()):
            out.append(
                dataclasses.replace(
                    run,
                    name=f"{run.name}-{value}" if run.name else value,
                    output_folder=Path(run.output_folder) / folder_name(value),
                    district_filter={"split_by": col, "value": value},
                )
            )
    return out


def _warm_network_cache(runs: Sequence[RunConfig], *, progress: bool = False) -> None:
    """Build each distinct cached network once, before the districts run in parallel.

    Errors are left to the districts, which report them one by one.
    """
    from coverage15.network import build_walk_network

    seen = set()
    for run in runs:
        options = _build_options(run)
        if not options.get("cache_dir"):
            continue
        key = repr((network_source(run), sorted(options.items())))
        if key in seen:
            continue
        seen.add(key)
        try:
            build_walk_network(network_source(run), progress=progress, **options)
        except Exception:
            pass  # reported by each district that needs this network


def default_summary_path(runs: Sequence[RunConfig]) -> Path:
    """Where the combined summary goes by default: ``summary.csv`` above the district folders.

    Parameters
    ----------
    runs
        The run configs of the batch (at least one).

    Returns
    -------
    pathlib.Path
        ``summary.csv`` in the deepest folder containing the parents of all the
        runs' output folders; relative to the working directory when it lies
        below it.

    Examples
    --------
    >>> from coverage15.datasets import sample_run_config
    >>> runs = [sample_run_config("out/city/a"), sample_run_config("out/city/b", name="b")]
    >>> default_summary_path(runs).as_posix()
    'out/city/summary.csv'
    """
    parents = [os.path.abspath(Path(r.output_folder).parent) for r in runs]
    try:
        common = Path(os.path.commonpath(parents))
    except ValueError:  # different drives
        common = Path(parents[0])
    here = Path.cwd()
    if common.is_relative_to(here):
        common = common.relative_to(here)
    return common / "summary.csv"


def _process_context() -> Any:
    """Fresh worker processes (forkserver, else spawn): never fork a threaded parent."""
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        # import the heavy stack once in the server, not in every worker
        ctx.set_forkserver_preload(["coverage15.batch", "coverage15.analysis"])
        return ctx
    return multiprocessing.get_context("spawn")


def _failed(run: RunConfig, exc: BaseException) -> DistrictOutcome:
    return DistrictOutcome(name=run.name, ok=False, error=_describe(exc))


def run_batch(
    runs: Sequence[RunConfig],
    *,
    workers: int = 1,
    client: Any = None,
    scheduler: str | None = None,
    summary_path: str | Path | None = None,
    on_done: Callable[[DistrictOutcome], None] | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Run many districts; returns (and optionally writes) the combined summary.

    The shared networks are built (and cached) once first; then each district
    runs on its own — one task per district — and a failing district is
    reported without stopping the others.

    Parameters
    ----------
    runs
        From :func:`coverage15.config.load_batch_config` (``split_by`` runs are
        expanded here).
    workers
        Local worker processes when no Dask client/scheduler is given (1 runs in
        this process, in order).
    client
        A ``dask.distributed.Client``: each district is one task on the cluster
        (the workers need coverage15 and the input files at the same paths).
    scheduler
        Address of a Dask scheduler (``tcp://host:8786``) to connect a client
        to (closed again at the end).
    summary_path
        Where to write the combined summary CSV (UTF-8 with BOM).
    on_done
        Called with each :class:`DistrictOutcome` as it finishes.
    progress
        A progress bar over the districts (and, when they run in this process,
        over each district's steps).

    Returns
    -------
    pandas.DataFrame
        One row per district, in the order of ``runs``: ``district``, ``ok``,
        ``error``, ``seconds``, ``communities``, ``households``,
        ``network_from_cache``, ``output_folder``, ``warnings`` and one column
        per district indicator.

    Raises
    ------
    InputError
        Two districts share a name or an output folder, or a ``split_by``
        column is not in the communities layer (before any district runs).

    Examples
    --------
    >>> import tempfile
    >>> from coverage15.datasets import sample_run_config
    >>> runs = [sample_run_config(tempfile.mkdtemp(), profile=p, name=p)
    ...         for p in ("gb50180_2018", "leshan_2018")]
    >>> summary = run_batch(runs)
    >>> summary[["district", "ok", "households"]].values.tolist()
    [['gb50180_2018', True, 25720], ['leshan_2018', True, 25720]]
    """
    from coverage15._progress import progress_bar

    runs = expand_runs(runs)
    check_distinct(runs, "batch")
    outcomes: dict[int, DistrictOutcome] = {}
    own_client = _connect(scheduler) if client is None and scheduler is not None else None
    client = client if client is not None else own_client
    bar = None
    try:
        _warm_network_cache(runs, progress=progress)
        bar = progress_bar(total=len(runs), desc="districts", unit="district", disable=not progress)

        def done(i: int, o: DistrictOutcome) -> None:
            outcomes[i] = o
            bar.update()
            if on_done is not None:
                on_done(o)

        if client is not None:
            _run_dask(client, runs, done)
        elif workers > 1 and len(runs) > 1:
            _run_processes(runs, min(workers, len(runs)), done)
        else:
            for i, r in enumerate(runs):
                done(i, run_district(r, progress=progress))
    finally:
        if bar is not None:
            bar.close()
        if own_client is not None:
            own_client.close()
    summary = _summary([outcomes[i] for i in sorted(outcomes)])
    if summary_path is not None:
        Path(summary_path).parent.mkdir(parents=True, exist_ok=True)
        summary.to_csv(summary_path, index=False, encoding="utf-8-sig")
    return summary


def _connect(scheduler: str) -> Any:
    """A Dask client of the scheduler at this address (fails fast, before any work)."""
    try:
        from dask.distributed import Client
    except ImportError as exc:
        raise Coverage15Error(
            "a Dask scheduler needs Dask: pip install 'coverage15[batch]'"
        ) from exc
    try:
        return Client(scheduler)
    except (OSError, ValueError, TypeError) as exc:
        raise Coverage15Error(f"cannot connect to the Dask scheduler {scheduler}: {exc}") from exc


def _share_cores(workers: int) -> None:
    """In a pool process: snap with this process's share of the cores (unless set)."""
    if "COVERAGE15_THREADS" not in os.environ:
        from coverage15.snap import snap_threads

        os.environ["COVERAGE15_THREADS"] = str(max(1, snap_threads() // workers))


def _run_processes(runs: Sequence[RunConfig], workers: int, done: Callable) -> None:
    """Each district one task in a pool of fresh local processes."""
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=_process_context(),
        initializer=_share_cores,
        initargs=(workers,),
    ) as pool:
        futures = {pool.submit(run_district, r): i for i, r in enumerate(runs)}
        try:
            for fut in as_completed(futures):
                i = futures[fut]
                try:
                    done(i, fut.result())
                except Exception as exc:  # a crashed worker process
                    done(i, _failed(runs[i], exc))
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _run_dask(client: Any, runs: Sequence[RunConfig], done: Callable) -> None:
    """Each district one task; a task that dies (worker lost, killed) is a failed district."""
    from dask.distributed import as_completed as dask_completed

    token = uuid.uuid4().hex[:8]  # unique keys: the client may have run this batch before
    futures = {
        client.submit(run_district, r, pure=False, key=f"coverage15-district-{i}-{token}"): i
        for i, r in enumerate(runs)
    }
    try:
        for fut in dask_completed(list(futures)):
            i = futures[fut]
            try:
                done(i, fut.result())
            except Exception as exc:
                done(i, _failed(runs[i], exc))
    except BaseException:
        client.cancel(list(futures))
        raise


def _summary(outcomes: Sequence[DistrictOutcome]) -> pd.DataFrame:
    rows = []
    for o in outcomes:
        row: dict[str, Any] = {
            "district": o.name,
            "ok": o.ok,
            "error": o.error,
            "seconds": round(o.seconds, 2),
            "communities": o.communities if o.ok else None,
            "households": o.households if o.ok else None,
            "network_from_cache": o.network_from_cache if o.ok else None,
            "output_folder": o.output_folder,
            "warnings": " | ".join(o.warnings),
        }
        row.update(o.indicators)
        rows.append(row)
    summary = pd.DataFrame(rows)
    for col in ("communities", "households"):
        if col in summary:
            summary[col] = summary[col].astype("Int64")  # failed districts have none
    if "network_from_cache" in summary:
        summary["network_from_cache"] = summary["network_from_cache"].astype("boolean")
    return summary
