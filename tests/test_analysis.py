"""analyze() end to end on the sample: provenance, conservation, offset detection."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import coverage15 as c15
from coverage15._errors import OffsetWarning
from coverage15.access import WalkNetwork
from coverage15.analysis import analyze
from coverage15.crs import from_wgs84
from coverage15.datasets import sample_path
from coverage15.network import build_walk_network
from coverage15.prepare import prepare_network


@pytest.fixture(scope="module")
def graph():
    return build_walk_network(sample_path("walk_network.osm"))


@pytest.fixture(scope="module")
def layers():
    communities = c15.load_communities(sample_path("communities.geojson"))
    facilities = c15.load_facilities(sample_path("facilities.geojson"))
    buildings = c15.load_buildings(sample_path("buildings.geojson"))
    return communities, facilities, buildings


def test_analysis_records_provenance_and_conserves_households(graph, layers) -> None:
    communities, facilities, buildings = layers
    result = analyze(communities, facilities, network=graph, buildings=buildings)
    assert result.network_record["kind"] == "osm"
    assert result.osm is False  # the sample is synthetic: no ODbL line on its maps
    assert str(sample_path("communities.geojson").resolve()) in result.inputs
    total = int(communities["households"].sum())
    assert int(result.homes["households"].sum()) == total
    c = result.communities
    # every household is covered, underserved or off the network, in every community
    parts = c["hh_covered_all"] + c["hh_underserved"] + c["hh_off_network"]
    assert (parts == c["households"]).all()
    assert result.homes["snapped"].dtype == bool
    assert "snapped" in result.homes.columns


def test_prepared_network_and_graph_give_the_same_numbers(graph, layers) -> None:
    communities, facilities, buildings = layers
    a = analyze(communities, facilities, network=graph, buildings=buildings)
    b = analyze(communities, facilities, network=WalkNetwork.from_graph(graph), buildings=buildings)
    cols = ["hh_covered_all", "hh_underserved", "area_per_100hh"]
    assert a.communities[cols].equals(b.communities[cols])
    assert b.osm is True  # no build record: attribution kept, to be safe


def test_gcj02_facilities_declared_as_wgs84_are_flagged(graph, layers) -> None:
    communities, facilities, buildings = layers
    with warnings.catch_warnings():
        warnings.simplefilter("error", OffsetWarning)
        analyze(communities, facilities, network=graph, buildings=buildings)  # true WGS84: quiet
    # the same facilities as Amap would give them (≈ 300–500 m off), labelled EPSG:4326
    shifted = from_wgs84(facilities.to_crs(4326), "gcj02").set_crs(4326, allow_override=True)
    with pytest.warns(OffsetWarning, match="GCJ-02.*crs='gcj02'"):
        result = analyze(communities, shifted, network=graph, buildings=buildings)
    assert result.report.count(kind="coordinate_offset") == len(facilities)
    assert list(result.report.rows("coordinate_offset")) == list(range(1, len(facilities) + 1))
    shifted.attrs = facilities.attrs  # as loaded from a file: the warning names it
    with pytest.warns(OffsetWarning, match=r"facilities \(.*facilities\.geojson\) look like"):
        analyze(communities, shifted, network=graph, buildings=buildings)


def test_rerun_on_a_cached_network_reuses_the_snaps(tmp_path, layers, monkeypatch) -> None:
    import coverage15.access as access

    communities, facilities, buildings = layers
    G = build_walk_network(sample_path("walk_network.osm"), cache_dir=tmp_path)
    first = analyze(communities, facilities, network=G, buildings=buildings)
    snaps = list(tmp_path.glob("walk-*.snaps-*.pkl"))
    assert len(snaps) == 1
    calls = []
    real = access.snap_array

    def counting(network, points, **kw):
        calls.append(len(points))
        return real(network, points, **kw)

    monkeypatch.setattr(access, "snap_array", counting)
    again = build_walk_network(sample_path("walk_network.osm"), cache_dir=tmp_path)
    second = analyze(
        communities, facilities, network=again, buildings=buildings, profile="gb50180_2018"
    )
    assert calls == []  # homes and facilities came from the snap cache
    assert int(second.homes["households"].sum()) == int(first.homes["households"].sum())
    # another network (different content) never takes these snaps
    other = WalkNetwork.from_graph(
        build_walk_network(sample_path("walk_network.osm"), simplify=False)
    )
    assert other.load_snaps(snaps[0]) == 0


def test_conservation_mismatch_is_an_error(layers, monkeypatch) -> None:
    import coverage15.analysis as analysis_mod
    from coverage15._errors import ConservationError

    communities, facilities, buildings = layers
    real = analysis_mod.community_indicators

    def leaky(*args, **kw):
        out = real(*args, **kw)
        out.loc[0, "hh_underserved"] -= 1  # one household lost in the counting
        return out

    monkeypatch.setattr(analysis_mod, "community_indicators", leaky)
    with pytest.raises(ConservationError, match="not conserved"):
        analyze(
            communities, facilities, network=sample_path("walk_network.osm"), buildings=buildings
        )


def test_barriers_and_compounds_through_analyze(graph, layers) -> None:
    import geopandas as gpd

    from coverage15.barriers import compounds_from_osm

    communities, facilities, buildings = layers
    base = analyze(communities, facilities, network=graph, buildings=buildings)
    bridges = [d["geometry"] for _, _, d in graph.edges(data=True) if d.get("bridge") == "yes"]
    closed = gpd.GeoSeries(
        [bridges[0].interpolate(0.5, normalized=True).buffer(4)], crs=graph.graph["crs"]
    )
    shut = analyze(
        communities,
        facilities,
        network=prepare_network(graph, barriers=closed),
        buildings=buildings,
    )
    assert shut.network_record["barriers"]  # the cut is recorded
    assert shut.communities["hh_covered_all"].sum() <= base.communities["hh_covered_all"].sum()
    # homes in buildings keep their ids: none of them walks less with the bridge closed
    col = "dist_m__community_service_station"
    a = base.homes.dropna(subset=["building_id"]).set_index("building_id")[col]
    b = shut.homes.dropna(subset=["building_id"]).set_index("building_id")[col]
    both = a.index.intersection(b.index)
    assert (b[both].fillna(1e9) >= a[both].fillna(1e9) - 1e-6).all()
    compounds, gates = compounds_from_osm(sample_path("walk_network.osm"))
    gated = analyze(
        communities,
        facilities,
        network=prepare_network(sample_path("walk_network.osm"), compounds=compounds, gates=gates),
        buildings=buildings,
    )
    # the sample's compounds are already reached only through gates: nothing changes
    assert gated.communities["hh_covered_all"].equals(base.communities["hh_covered_all"])
    from coverage15._errors import InputError

    # the old keywords still work for one release, with a FutureWarning naming the new call
    with pytest.warns(FutureWarning, match=r"prepare_network\(source, barriers="):
        old = analyze(communities, facilities, network=graph, buildings=buildings, barriers=closed)
    pd.testing.assert_frame_equal(
        old.homes.drop(columns="geometry"), shut.homes.drop(columns="geometry")
    )
    with (
        pytest.warns(FutureWarning),
        pytest.raises(InputError, match="barriers need a network source"),
    ):
        analyze(
            communities,
            facilities,
            network=WalkNetwork.from_graph(graph),
            buildings=buildings,
            barriers=closed,
        )
    with pytest.raises(TypeError, match="dme"):
        analyze(communities, facilities, network=graph, dme="x.tif")


def test_analyze_refuses_frames_not_from_the_loaders(layers) -> None:
    """A raw read_file frame is pointed to the loader, not a KeyError deep inside."""
    import geopandas as gpd

    from coverage15._errors import InputError

    communities, facilities, _ = layers
    raw = gpd.read_file(sample_path("communities.geojson"))
    raw = raw.rename(columns={"community_id": "社区代码", "households": "户数"})
    with pytest.raises(InputError, match="load_communities") as err:
        analyze(raw, facilities, network=sample_path("walk_network.osm"))
    assert err.value.column == "community_id"
    with pytest.raises(InputError, match="load_facilities"):
        analyze(communities, facilities.drop(columns="category"), network="x.osm")
    with pytest.raises(InputError, match="GeoDataFrame"):
        analyze(communities, facilities.drop(columns="geometry"), network="x.osm")
    with pytest.raises(InputError, match="no CRS"):
        analyze(communities.set_crs(None, allow_override=True), facilities, network="x.osm")


def test_prepared_network_carries_its_record(graph, layers) -> None:
    """prepare_network → analyze: the record and the distances of the one-call path."""
    communities, facilities, buildings = layers
    net = prepare_network(graph)
    assert net.record["walk_cost"] == "length"
    assert net.cuts == []
    a = analyze(communities, facilities, network=net, buildings=buildings)
    b = analyze(communities, facilities, network=graph, buildings=buildings)
    pd.testing.assert_frame_equal(
        a.homes.drop(columns="geometry"), b.homes.drop(columns="geometry")
    )
    assert a.network_record == b.network_record
    a.network_record["x"] = 1  # an analysis's record is its own copy
    assert "x" not in net.record
    from coverage15._errors import InputError

    with pytest.raises(InputError, match="walk_cost='cost'"):
        prepare_network(graph, walk_cost="cost")
