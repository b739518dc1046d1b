"""Results handed back in the planner's coordinate system (CGCS2000, GCJ-02)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np

from coverage15.crs import to_wgs84
from coverage15.datasets import sample_analysis
from coverage15.export import write_results


def test_results_written_back_in_gcj02_and_cgcs2000(tmp_path) -> None:
    a = sample_analysis("leshan_2018")
    write_results(a, tmp_path / "gcj", formats=("gpkg",), crs="gcj02")
    write_results(a, tmp_path / "cgcs", formats=("gpkg",), crs="EPSG:4490")
    truth = a.facilities.to_crs(4326).geometry
    gcj = gpd.read_file(tmp_path / "gcj" / "coverage15_results.gpkg", layer="facilities")
    back = to_wgs84(gcj.set_crs(4326, allow_override=True), "gcj02").geometry
    shift = gcj.to_crs(a.facilities.crs).distance(a.facilities.geometry.reset_index(drop=True))
    assert shift.min() > 100  # really moved into GCJ-02 (hundreds of metres in Leshan)
    # and the iterative inverse brings them back to within 0.5 m
    err = (
        back.to_crs(a.facilities.crs)
        .reset_index(drop=True)
        .distance(truth.to_crs(a.facilities.crs).reset_index(drop=True))
    )
    assert float(np.max(err)) < 0.5
    cg = gpd.read_file(tmp_path / "cgcs" / "coverage15_results.gpkg", layer="communities")
    assert cg.crs.to_epsg() == 4490
