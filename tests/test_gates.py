"""Gated compounds (小区): how much walking only through gates lengthens real walks.

The sample's 20 compounds are fenced (``landuse=residential`` + ``barrier=fence``); their
internal paths meet the streets only at 31 gates. The counterfactual "open compound" adds a
walkable link from every internal junction to the nearest street junction outside the compound
when it is within 60 m (a side door through the fence). Adding links can only shorten walks, so
the gated distances are never shorter; the test measures by how much they are longer.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import osmium
import shapely
from scipy.spatial import cKDTree

import coverage15 as c15
from coverage15.access import WalkNetwork
from coverage15.datasets import sample_path


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
