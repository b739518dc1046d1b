"""The network stage: build → edit → prepare a walking network for routing.

A planner's walking network goes through three steps, each public and each
usable on its own:

1. **build** (:func:`coverage15.network.build_walk_network`): an OSM file, a
   place name, a polygon or bbox (online), or a layer of road lines becomes a
   projected osmnx ``MultiDiGraph``;
2. **edit** (graph → graph): streets a planner closes
   (:func:`coverage15.barriers.apply_barriers`), gated compounds entered only
   at their gates (:func:`coverage15.barriers.gated_compounds`), slopes from a
   DEM (:func:`coverage15.terrain.add_terrain`);
3. **prepare** (:meth:`coverage15.access.WalkNetwork.from_graph`): arrays and
   sparse matrices for the routing engine.

:func:`prepare_network` runs all three with the planner's options and returns
the :class:`~coverage15.access.WalkNetwork` that :func:`coverage15.analyze`
consumes; its :attr:`~coverage15.access.WalkNetwork.record` says how it was
built and what each edit changed. Prepare once, analyse many times (new
facilities, another profile, the slow walking group).

Examples
--------
>>> import coverage15 as c15
>>> from coverage15.datasets import sample_path
>>> net = c15.prepare_network(sample_path("walk_network.osm"))
>>> net.n_nodes > 100, net.record["kind"], net.record["walk_cost"]
(True, 'osm', 'length')
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import networkx as nx

from coverage15._errors import InputError
from coverage15._progress import want_progress
from coverage15.access import WalkNetwork

__all__ = ["prepare_network"]


def prepare_network(
    source: Any,
    *,
    barriers: Any = None,
    compounds: Any = None,
    gates: Any = None,
    dem: str | os.PathLike[str] | None = None,
    walk_cost: str = "length",
    cache_dir: str | os.PathLike[str] | None = None,
    progress: bool | None = None,
) -> WalkNetwork:
    """Build, edit and prepare a walking network for :func:`coverage15.analyze`.

    Parameters
    ----------
    source
        Anything :func:`coverage15.build_walk_network` accepts (an OSM file, a
        place name, a polygon, a bbox, a road-line layer), or a projected osmnx
        ``MultiDiGraph`` (copied, never changed).
    barriers
        Lines or polygons a planner closes (walls, closed paths, construction):
        streets crossing them are removed
        (:func:`coverage15.barriers.apply_barriers`).
    compounds, gates
        Gated compound polygons (小区) and optionally their gate points: streets
        crossing a compound boundary away from a gate are removed
        (:func:`coverage15.barriers.gated_compounds`; gates default to the
        network's ``barrier=gate``/``entrance`` nodes).
    dem
        A DEM GeoTIFF: walks are costed by Tobler's hiking function
        (:func:`coverage15.terrain.add_terrain`), so distances become
        flat-equivalent metres. Replaces ``walk_cost``.
    walk_cost
        Edge attribute holding the walking cost in metres (default
        ``"length"``; e.g. a cost the planner computed).
    cache_dir
        Keep the built network here: the next run on the same file and options
        loads it instead of building it again.
    progress
        Show progress bars while building; None (the default) shows them in
        Jupyter notebooks only.

    Returns
    -------
    WalkNetwork
        Ready for routing. ``record`` holds the build record (source, kind,
        ``osm_data``, cache files …), what the edits appended to it
        (``barriers``: counts per cut; with a DEM, ``walk_cost``: the terrain
        summary, else the cost attribute's name); ``cuts`` holds the
        :class:`~coverage15.barriers.CutReport` of each edit (removed streets as
        a layer, and per compound its gates and whether it is sealed).

    Raises
    ------
    InputError
        ``walk_cost`` names no edge attribute of the graph.
    NetworkError
        The source cannot be built.

    Examples
    --------
    The sample's gated compounds, found in its OSM file: streets crossing a
    compound boundary away from a gate are cut, and the record says how many.

    >>> import coverage15 as c15
    >>> from coverage15.barriers import compounds_from_osm
    >>> from coverage15.datasets import sample_path
    >>> osm = sample_path("walk_network.osm")
    >>> compounds, gates = compounds_from_osm(osm)
    >>> net = c15.prepare_network(osm, compounds=compounds, gates=gates)
    >>> [cut.kind for cut in net.cuts]
    ['gated_compounds']
    """
    from coverage15.network import (
        build_walk_network,
        is_osm_file,
        prepare_graph,
        walk_network_from_osm,
    )

    progress = want_progress(progress)
    edits = barriers is not None or compounds is not None or dem is not None
    if (
        not edits
        and walk_cost == "length"
        and isinstance(source, str | os.PathLike)
        and is_osm_file(Path(source))
    ):
        # the fast path: OSM file → arrays → routing, no networkx graph on the way
        net = walk_network_from_osm(source, cache_dir=cache_dir, progress=progress)
        net.record["walk_cost"] = walk_cost
        return net
    if isinstance(source, WalkNetwork):
        raise InputError(
            "prepare_network takes a network source or a graph, not a WalkNetwork that is "
            "already prepared; pass it to analyze(network=...) as it is"
        )
    if isinstance(source, nx.MultiDiGraph):
        graph = prepare_graph(source)
    else:
        graph = build_walk_network(source, cache_dir=cache_dir, progress=progress)
    cuts = []
    if barriers is not None:
        from coverage15.barriers import apply_barriers

        graph, cut = apply_barriers(graph, barriers, copy=False)
        cuts.append(cut)
    if compounds is not None:
        from coverage15.barriers import gated_compounds

        graph, cut = gated_compounds(graph, compounds, gates, copy=False)
        cuts.append(cut)
    if dem is not None:
        from coverage15.terrain import add_terrain

        add_terrain(graph, dem, attr="slope_length")
        walk_cost = "slope_length"
    elif walk_cost != "length" and not any(walk_cost in d for _, _, d in graph.edges(data=True)):
        raise InputError(
            f"walk_cost={walk_cost!r} is not an edge attribute of the network",
            source="network",
            column=walk_cost,
        )
    # the build record, with what each edit appended to it (barriers, terrain)
    record: dict[str, Any] = dict(graph.graph.get("coverage15", {}))
    if dem is None:
        record["walk_cost"] = walk_cost
    net = WalkNetwork.from_graph(graph, weight=walk_cost)
    net.record = record
    net.cuts = cuts
    return net
