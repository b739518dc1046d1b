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
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from coverage15.config import RunConfig

DEFAULT_BUFFER_M = 1500.0


@dataclass
class DistrictOutcome:
    """What one district run produced (small and picklable, for Dask).

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


def _load_inputs(run: RunConfig) -> tuple[Any, Any, Any]:
    from coverage15.io import load_buildings, load_communities, load_facilities

    def opts(key: str) -> dict[str, Any]:
        t = dict(run.inputs[key])
        path = t.pop("path")
        columns = t.pop("columns", {})
        return {"path": path, **columns, **t}

    communities = load_communities(**opts("communities"))
    if run.district_filter and "value" in run.district_filter:
        col, value = run.district_filter["split_by"], run.district_filter["value"]
        if col not in communities.columns:
            from coverage15._errors import InputError

            raise InputError(
                f"split_by column '{col}' not in the communities layer",
                source=run.inputs["communities"]["path"],
                column=col,
            )
        keep = communities[col].astype(str) == str(value)
        report = communities.attrs.get("report")
        communities = communities[keep].reset_index(drop=True)
        communities.attrs["report"] = report
    facilities = load_facilities(**opts("facilities"), communities=communities)
    buildings = load_buildings(**opts("buildings")) if "buildings" in run.inputs else None
    return communities, facilities, buildings


def district_network(run: RunConfig, communities: Any, *, prepared: bool = True) -> Any:
    """The walking network for a district: built or cached, then cut to the buffered boundary.

    Examples
    --------
    >>> import tempfile
    >>> from coverage15.io import load_communities
    >>> from coverage15.sample import sample_path, sample_run_config
    >>> run = sample_run_config(tempfile.mkdtemp())
    >>> net = district_network(run, load_communities(sample_path("communities.geojson")))
    >>> net.n_nodes > 100
    True
    """
    import osmnx as ox

    from coverage15.access import WalkNetwork
    from coverage15.network import build_walk_network

    net = run.network
    if "source" in net:
        source: Any = net["source"]
    elif "place" in net:
        source = net["place"]
    else:
        source = tuple(net["bbox"])
    graph = build_walk_network(
        source,
        crs=net.get("crs"),
        simplify=net.get("simplify", True),
        cache_dir=net.get("cache_dir"),
    )
    buffer_m = float(net.get("buffer_m", DEFAULT_BUFFER_M))
    area = communities.to_crs(graph.graph["crs"]).union_all().buffer(buffer_m)
    cut = ox.truncate.truncate_graph_polygon(graph, area, truncate_by_edge=True)
    return WalkNetwork.from_graph(cut) if prepared else cut


def write_outputs(result: Any, run: RunConfig) -> Path:
    """Write tables, layers, maps and the report of one district into its folder.

    Examples
    --------
    >>> import tempfile
    >>> from coverage15.sample import sample_analysis, sample_run_config
    >>> folder = write_outputs(sample_analysis(), sample_run_config(tempfile.mkdtemp()))
    >>> (folder / "communities.csv").is_file()
    True
    """
    from coverage15.export import write_results

    folder = Path(run.output_folder)
    folder.mkdir(parents=True, exist_ok=True)
    write_results(result, folder, lang=run.lang, formats=run.formats, inputs=result.inputs)
    if run.maps:
        from coverage15.maps import write_maps
        from coverage15.webmap import write_webmap

        write_maps(result, folder / "maps", lang=run.lang)
        write_webmap(result, folder / "map.html", lang=run.lang)
    if run.report:
        from coverage15.report import write_report

        write_report(result, folder / "report.html", lang=run.lang, maps=run.maps)
    return folder


def _network_changes(run: RunConfig) -> dict[str, Any]:
    """The config's slope, barrier and compound layers, loaded for :func:`analyze`."""
    from coverage15.io import read_layer

    out: dict[str, Any] = {}
    if run.dem:
        out["dem"] = run.dem
    if run.barriers:
        out["barriers"] = read_layer(run.barriers)
    if run.compounds == "osm":
        from coverage15.barriers import compounds_from_osm

        out["compounds"], out["gates"] = compounds_from_osm(run.network["source"])
    elif run.compounds:
        out["compounds"] = read_layer(run.compounds)
        if run.gates:
            out["gates"] = read_layer(run.gates)
    return out


def run_district(run: RunConfig) -> DistrictOutcome:
    """Run one district end to end; errors are caught and returned, not raised.

    Examples
    --------
    >>> import dataclasses, tempfile
    >>> from coverage15.sample import sample_run_config
    >>> run = sample_run_config(tempfile.mkdtemp())
    >>> o = run_district(run)
    >>> o.ok, o.communities, o.households
    (True, 10, 25720)
    >>> bad = dataclasses.replace(run, inputs={**run.inputs, "facilities": {"path": "nope.csv"}})
    >>> run_district(bad).error
    'InputError: nope.csv: file not found'
    """
    from coverage15.analysis import analyze

    t0 = time.perf_counter()
    try:
        communities, facilities, buildings = _load_inputs(run)
        changes = _network_changes(run)
        network = district_network(run, communities, prepared=not changes)
        result = analyze(
            communities,
            facilities,
            network=network,
            buildings=buildings,
            profile=run.profile,
            group=run.group,
            **changes,
        )
        folder = write_outputs(result, run)
        indicators = {r["indicator"]: float(r["value"]) for _, r in result.district.iterrows()}
        return DistrictOutcome(
            name=run.name,
            ok=True,
            seconds=time.perf_counter() - t0,
            output_folder=str(folder),
            indicators=indicators,
            households=int(result.communities["households"].sum()),
            communities=len(result.communities),
        )
    except Exception as exc:  # one district must not stop the batch
        detail = f"{type(exc).__name__}: {exc}"
        return DistrictOutcome(
            name=run.name, ok=False, error=detail, seconds=time.perf_counter() - t0
        )


def expand_runs(runs: Sequence[RunConfig]) -> list[RunConfig]:
    """Split runs with ``[batch] split_by`` into one run per value of the column.

    Examples
    --------
    >>> from coverage15.sample import sample_run_config
    >>> runs = [sample_run_config("out/a"), sample_run_config("out/b", name="b")]
    >>> [r.name for r in expand_runs(runs)]  # no split_by: unchanged
    ['sample', 'b']
    """
    from coverage15.io import load_communities

    out: list[RunConfig] = []
    for run in runs:
        if not run.district_filter or "value" in run.district_filter:
            out.append(run)
            continue
        col = run.district_filter["split_by"]
        t = dict(run.inputs["communities"])
        communities = load_communities(t.pop("path"), **t.pop("columns", {}), **t)
        if col not in communities.columns:
            from coverage15._errors import InputError

            raise InputError(
                f"split_by column '{col}' not in the communities layer; columns are "
                f"{list(communities.columns)}",
                source=run.inputs["communities"]["path"],
                column=col,
            )
        for value in sorted(communities[col].dropna().astype(str).unique()):
            out.append(
                dataclasses.replace(
                    run,
                    name=f"{run.name}-{value}" if run.name else value,
                    output_folder=Path(run.output_folder) / value,
                    district_filter={"split_by": col, "value": value},
                )
            )
    return out


def _warm_network_cache(runs: Sequence[RunConfig]) -> None:
    """Build each distinct cached network once, before the districts run in parallel."""
    from coverage15.network import build_walk_network

    seen = set()
    for run in runs:
        net = run.network
        if "cache_dir" not in net or "source" not in net:
            continue
        key = (net["source"], net.get("crs"), net.get("simplify", True), net["cache_dir"])
        if key in seen:
            continue
        seen.add(key)
        build_walk_network(
            net["source"],
            crs=net.get("crs"),
            simplify=net.get("simplify", True),
            cache_dir=net["cache_dir"],
        )


def run_batch(
    runs: Sequence[RunConfig],
    *,
    workers: int = 1,
    client: Any = None,
    scheduler: str | None = None,
    summary_path: str | Path | None = None,
    on_done: Callable[[DistrictOutcome], None] | None = None,
) -> pd.DataFrame:
    """Run many districts; returns (and optionally writes) the combined summary.

    Parameters
    ----------
    runs
        From :func:`coverage15.config.load_batch_config` (``split_by`` runs are
        expanded here).
    workers
        Local worker processes when no Dask client/scheduler is given (1 runs in
        this process, in order).
    client
        A ``dask.distributed.Client``: each district is one task on the cluster.
    scheduler
        Address of a Dask scheduler (``tcp://host:8786``) to connect a client to.
    summary_path
        Where to write the combined summary CSV (UTF-8 with BOM).
    on_done
        Called with each :class:`DistrictOutcome` as it finishes.

    Returns
    -------
    pandas.DataFrame
        One row per district: ``district``, ``ok``, ``error``, ``seconds``,
        ``communities``, ``households``, ``output_folder`` and one column per
        district indicator.

    Examples
    --------
    >>> import tempfile
    >>> from coverage15.sample import sample_run_config
    >>> runs = [sample_run_config(tempfile.mkdtemp(), profile=p, name=p)
    ...         for p in ("gb50180_2018", "leshan_2018")]
    >>> summary = run_batch(runs)
    >>> summary[["district", "ok", "households"]].values.tolist()
    [['gb50180_2018', True, 25720], ['leshan_2018', True, 25720]]
    """
    runs = expand_runs(runs)
    _warm_network_cache(runs)
    outcomes: list[DistrictOutcome] = []

    def done(o: DistrictOutcome) -> None:
        outcomes.append(o)
        if on_done is not None:
            on_done(o)

    if client is None and scheduler is not None:
        from dask.distributed import Client

        client = Client(scheduler)
    if client is not None:
        from dask.distributed import as_completed

        futures = [
            client.submit(run_district, r, pure=False, key=f"district-{i}-{r.name}")
            for i, r in enumerate(runs)
        ]
        for fut in as_completed(futures):
            done(fut.result())
    elif workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for o in pool.map(run_district, runs):
                done(o)
    else:
        for r in runs:
            done(run_district(r))
    order = {r.name: i for i, r in enumerate(runs)}
    outcomes.sort(key=lambda o: order[o.name])
    rows = []
    for o in outcomes:
        row = {
            "district": o.name,
            "ok": o.ok,
            "error": o.error,
            "seconds": round(o.seconds, 2),
            "communities": o.communities,
            "households": o.households,
            "output_folder": o.output_folder,
        }
        row.update(o.indicators)
        rows.append(row)
    summary = pd.DataFrame(rows)
    for col in ("communities", "households"):
        if col in summary:
            summary[col] = summary[col].astype("Int64")  # failed districts have none
    if summary_path is not None:
        Path(summary_path).parent.mkdir(parents=True, exist_ok=True)
        summary.to_csv(summary_path, index=False, encoding="utf-8-sig")
    return summary
