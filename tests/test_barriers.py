"""Planner-drawn barriers: closing a bridge of the sample lengthens walks across the river."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import pytest
import shapely

import coverage15 as c15
from coverage15._errors import InputError
from coverage15.barriers import apply_barriers
from coverage15.sample import sample_path


@pytest.fixture(scope="module")
def graph():
    return c15.build_walk_network(sample_path("walk_network.osm"), simplify=False)


def _bridges(G):
    return [(u, v, k) for u, v, k, d in G.edges(keys=True, data=True) if d.get("bridge") == "yes"]


def test_closing_a_bridge(graph) -> None:
    bridges = _bridges(graph)
    names = {graph.edges[e].get("name") for e in bridges}
    assert len(names) == 3  # the sample's three bridges
    u, v, k = bridges[0]
    mid = graph.edges[u, v, k]["geometry"].interpolate(0.5, normalized=True)
    closed_name = graph.edges[u, v, k].get("name")
    # a short line across the bridge deck, perpendicular enough to cross it
    wall = gpd.GeoSeries([mid.buffer(3).exterior], crs=graph.graph["crs"])
    H, cut = apply_barriers(graph, wall)
    assert len(cut) >= 2  # both directions
    assert set(cut["u"]) | set(cut["v"]) >= {u, v}
    assert all(graph.edges[r.u, r.v, r.key].get("name") == closed_name for r in cut.itertuples())
    assert H.number_of_edges() == graph.number_of_edges() - len(cut)
    # walking from one end of the closed bridge to the other now takes the detour
    before = nx.shortest_path_length(graph, u, v, weight="length")
    if u in H and v in H and nx.has_path(H, u, v):
        after = nx.shortest_path_length(H, u, v, weight="length")
        assert after > before
    assert H.graph["coverage15"]["edges_removed_by_barriers"] == len(cut)
    assert graph.number_of_edges() == H.number_of_edges() + len(cut)  # the input is unchanged


def test_barrier_polygon_and_bad_layers(graph) -> None:
    xs = [d["x"] for _, d in graph.nodes(data=True)]
    ys = [d["y"] for _, d in graph.nodes(data=True)]
    cx, cy = sorted(xs)[len(xs) // 2], sorted(ys)[len(ys) // 2]
    site = shapely.box(cx - 100, cy - 100, cx + 100, cy + 100)  # a construction site
    H, cut = apply_barriers(graph, gpd.GeoSeries([site], crs=graph.graph["crs"]))
    inside = [n for n, d in graph.nodes(data=True) if site.contains(shapely.Point(d["x"], d["y"]))]
    assert all(n not in H or H.degree(n) == 0 for n in inside)
    assert len(cut) > 0
    with pytest.raises(InputError, match="no CRS"):
        apply_barriers(graph, gpd.GeoSeries([site]))
    with pytest.raises(InputError, match="lines or polygons"):
        apply_barriers(graph, gpd.GeoSeries([shapely.Point(0, 0)], crs=graph.graph["crs"]))
