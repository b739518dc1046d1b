"""Gated compounds (小区): how much walking only through gates lengthens real walks.

The sample's 20 compounds are fenced (``landuse=residential`` + ``barrier=fence``); their
internal paths meet the streets only at 31 gates. The counterfactual "open compound" adds a
walkable link from every internal junction to the nearest street junction outside the compound
when it is within 60 m (a side door through the fence). Adding links can only shorten walks, so
the gated distances are never shorter; the test measures by how much they are longer.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmium
import pytest
import shapely
from scipy.spatial import cKDTree

import coverage15 as c15
from coverage15.access import WalkNetwork
from coverage15.barriers import GATE_BARRIERS, BarrierWarning, compounds_from_osm, gated_compounds
from coverage15.datasets import sample_path
from coverage15.osm_features import read_osm


def _compounds(crs) -> gpd.GeoSeries:
    polys = []
    fp = osmium.FileProcessor(str(sample_path("walk_network.osm"))).with_locations()
    for w in fp:
        if w.is_way() and w.tags.get("landuse") == "residential":
            polys.append(shapely.Polygon([(n.lon, n.lat) for n in w.nodes]))
    return gpd.GeoSeries(polys, crs=4326).to_crs(crs)


def test_gates_lengthen_walks_from_compound_homes(capsys) -> None:
    G = c15.build_walk_network(sample_path("walk_network.osm"), simplify=False)
    assert sum(1 for _, d in G.nodes(data=True) if d.get("barrier") == "gate") == 31
    compounds = _compounds(G.graph["crs"])
    assert len(compounds) == 20
    nodes = list(G.nodes)
    xy = np.array([(G.nodes[n]["x"], G.nodes[n]["y"]) for n in nodes])
    inside = shapely.contains_xy(compounds.union_all(), xy[:, 0], xy[:, 1])
    outside_idx = np.flatnonzero(~inside)
    tree = cKDTree(xy[outside_idx])
    opened = G.copy()
    added = 0
    for i in np.flatnonzero(inside):
        d, j = tree.query(xy[i])
        if d <= 60:
            o = nodes[outside_idx[j]]
            opened.add_edge(nodes[i], o, length=float(d))
            opened.add_edge(o, nodes[i], length=float(d))
            added += 1
    assert added > 0

    comm = c15.load_communities(sample_path("communities.geojson"))
    fac = c15.load_facilities(sample_path("facilities.geojson"))
    bld = c15.load_buildings(sample_path("buildings.geojson"))
    gated = c15.analyze(comm, fac, network=G, buildings=bld, profile="leshan_2018")
    open_ = c15.analyze(
        comm,
        fac,
        network=WalkNetwork.from_graph(c15.network.prepare_graph(opened)),
        buildings=bld,
        profile="leshan_2018",
    )
    homes = gated.homes
    in_compound = shapely.contains_xy(
        compounds.union_all(), homes.geometry.x.to_numpy(), homes.geometry.y.to_numpy()
    )
    assert in_compound.sum() > 100
    cat = "community_service_station"
    a = gated.homes[f"dist_m__{cat}"].to_numpy()[in_compound]
    b = open_.homes[f"dist_m__{cat}"].to_numpy()[in_compound]
    both = np.isfinite(a) & np.isfinite(b)
    assert (a[both] >= b[both] - 1e-6).all()  # side doors never lengthen a walk
    extra = a[both] - b[both]
    assert extra.mean() > 20  # gates add tens of metres on average
    hh = gated.homes["households"].to_numpy()[in_compound]
    lost = open_.homes[f"covered__{cat}"].to_numpy()[in_compound].astype(bool) & ~gated.homes[
        f"covered__{cat}"
    ].to_numpy()[in_compound].astype(bool)
    with capsys.disabled():
        print(
            f"\ngated compounds: {in_compound.sum()} home points, {int(hh.sum())} households; "
            f"walk to the nearest community service station longer by {extra.mean():.0f} m on "
            f"average (median {np.median(extra):.0f} m, max {extra.max():.0f} m); "
            f"{int(hh[lost].sum())} households lose coverage only because of the fences"
        )
    assert hh[lost].sum() > 0
    assert gated.communities["hh_covered_all"].sum() <= open_.communities["hh_covered_all"].sum()


# --------------------------------------------------------------------------- Beijing CAU 2026

CAU = (
    Path(__file__).resolve().parents[1]
    / ".."
    / "shared"
    / "data"
    / "osm"
    / "beijing_haidian_cau_2026.osm.bz2"
)
cau = pytest.mark.skipif(not CAU.is_file(), reason="../shared/data/osm is absent")


@pytest.fixture(scope="module")
def cau_network():
    return c15.build_walk_network(CAU)


@pytest.fixture(scope="module")
def cau_homes(cau_network):
    """One home (1 household) per OSM building, at its representative point."""
    geoms = []
    wkb = osmium.geom.WKBFactory()
    for obj in osmium.FileProcessor(str(CAU)).with_areas():
        if obj.is_area() and "building" in obj.tags:
            geoms.append(shapely.from_wkb(wkb.create_multipolygon(obj)))
    pts = gpd.GeoSeries(geoms, crs=4326).representative_point()
    return gpd.GeoDataFrame(
        {"households": np.ones(len(pts), dtype=int)}, geometry=pts.values, crs=4326
    ).to_crs(cau_network.graph["crs"])


@cau
def test_cau_compound_that_sealed_its_homes_is_detected(cau_network, cau_homes) -> None:
    """Issue 15.4: the old gating (gate nodes within 5 m of the 2 compounds the old reader
    took) cut way/609225889's side of the network off and reported "0 sealed"."""
    compounds, _ = compounds_from_osm(CAU)
    old = compounds.loc[["way/595108678", "way/609225889"]]
    data = read_osm(CAU, node_keys=["barrier", "entrance"])
    gate_nodes = [
        shapely.Point(x, y)
        for x, y, t in data.nodes.values()
        if t.get("barrier") in GATE_BARRIERS or "entrance" in t
    ]
    gates = gpd.GeoSeries(gate_nodes, crs=4326)
    homes = cau_homes[cau_homes.within(compounds.to_crs(cau_homes.crs).union_all())]
    assert len(homes) == 105
    with pytest.warns(BarrierWarning, match=r"609225889; 132 node\(s\) \(29 home"):
        H, rep = gated_compounds(cau_network, old, gates, homes=homes, unmapped_gates="seal")
    row = rep.compounds.set_index("compound").loc["way/609225889"]
    # every node inside it and 99 outside it: 132 nodes, 29 of the homes
    assert (row["nodes_inside"], row["inside_nodes_cut_off"], row["nodes_cut_off"]) == (33, 33, 132)
    assert (row["homes_cut_off"], row["households_cut_off"]) == (29, 29)
    assert bool(row["sealed"]) and row["gate_status"] == "sealed"
    assert rep.summary["sealed_compounds"] == ["way/609225889"]
    # the default gives it its main access back: nothing is cut off any more
    with pytest.warns(BarrierWarning, match="gate not mapped"):
        H, rep = gated_compounds(cau_network, old, gates, homes=homes)
    assert rep.summary["still_sealed"] == [] and rep.summary["crossings_restored"] > 0
    assert rep.compounds.set_index("compound").loc["way/609225889", "gate_status"] == (
        "gate not mapped"
    )
    assert nx.number_weakly_connected_components(H) == nx.number_weakly_connected_components(
        cau_network
    )
    assert set(rep.gates["kind"]) == {"mapped gate", "gate not mapped"}
    assert rep.crossings["restored"].any() and (~rep.crossings["restored"]).any()


@cau
def test_cau_gating_with_the_gates_osm_maps(cau_network, cau_homes) -> None:
    compounds, gates = compounds_from_osm(CAU)
    with pytest.warns(BarrierWarning, match="gate not mapped"):
        H, rep = gated_compounds(cau_network, compounds, gates, homes=cau_homes)
    by = rep.compounds.set_index("compound")
    # the gate nodes on the ways into way/609225889 keep 8 crossings; 2 of its nodes (a
    # service road behind an unmapped entrance) and 2 nodes of 双泉嘉苑 were cut off
    assert by.loc["way/609225889", "crossings_at_gates"] == 8
    assert by.loc["way/609225889", "nodes_cut_off"] == 2
    assert by.loc["way/960760118", "nodes_cut_off"] == 2
    assert rep.summary["nodes_cut_off"] == 4 and rep.summary["homes_cut_off"] == 1
    assert rep.summary["gate_not_mapped"] == ["way/609225889", "双泉嘉苑"]
    assert rep.summary["still_sealed"] == [] and rep.summary["crossings_restored"] == 8
    assert nx.number_weakly_connected_components(H) == nx.number_weakly_connected_components(
        cau_network
    )
