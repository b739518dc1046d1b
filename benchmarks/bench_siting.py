"""Siting: greedy vs exact maximal covering (spopt MCLP + CBC), time and coverage reached.

Run with ``make bench`` (or ``.venv/bin/python benchmarks/bench_siting.py``). Two cases:
the sample district (health stations, ``leshan_2018``, candidates = junctions within
reach of an underserved home) and a synthetic 60 × 60 grid (80 m blocks, 3 600 junction
candidates, 8 000 homes with 1–20 households, 400 m threshold). Coverage is the engine's
sparse candidate × home matrix in both solvers.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from scipy import sparse

from coverage15.access import WalkNetwork
from coverage15.siting import _spopt_mclp, greedy_cover, recommend_sites


def _covered(A: sparse.csr_array, w: np.ndarray, chosen: list[int]) -> float:
    hit = np.zeros(A.shape[1], dtype=bool)
    for j in chosen:
        hit[A.indices[A.indptr[j] : A.indptr[j + 1]]] = True
    return float(w[hit].sum())


def grid_case(seed: int = 0) -> tuple[sparse.csr_array, np.ndarray]:
    rng = np.random.default_rng(seed)
    side = 60
    ii, jj = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    x = (jj * 80.0).ravel() + 500_000.0
    y = (ii * 80.0).ravel() + 3_270_000.0
    idx = np.arange(side * side).reshape(side, side)
    a = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    b = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    u, v = np.concatenate([a, b]), np.concatenate([b, a])
    net = WalkNetwork(
        node_ids=np.arange(len(x)),
        x=x,
        y=y,
        edge_u=u,
        edge_v=v,
        edge_length=np.hypot(x[u] - x[v], y[u] - y[v]),
        crs="EPSG:32648",
    )
    homes = gpd.GeoSeries(
        shapely.points(rng.uniform(x.min(), x.max(), 8000), rng.uniform(y.min(), y.max(), 8000)),
        crs="EPSG:32648",
    )
    cands = gpd.GeoSeries(shapely.points(x, y), crs="EPSG:32648")
    pairs = net.catchment_pairs(homes, cands, max_distance_m=400.0)
    A = sparse.csr_array(
        (np.ones(len(pairs), bool), (pairs["facility"], pairs["home"])),
        shape=(len(cands), len(homes)),
    )
    return A, rng.integers(1, 21, len(homes)).astype(float)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, default=Path("docs/performance-siting.json"))
    args = p.parse_args(argv)
    rows = []
    from coverage15.datasets import sample_analysis

    a = sample_analysis("leshan_2018")
    for k in (2, 4, 8):
        t0 = time.perf_counter()
        g = recommend_sites(a, "health_station", k=k)
        t1 = time.perf_counter()
        e = recommend_sites(a, "health_station", k=k, exact=True)
        t2 = time.perf_counter()
        rows.append(
            {
                "case": "sample health_station",
                "k": k,
                "greedy_s": t1 - t0,
                "exact_s": t2 - t1,
                "greedy_share": g.after_share,
                "exact_share": e.after_share,
            }
        )
        print(rows[-1], flush=True)
    A, w = grid_case()
    for k in (5, 10, 20):
        t0 = time.perf_counter()
        chosen = greedy_cover(A, w, k=k)
        t1 = time.perf_counter()
        exact = _spopt_mclp(A, w, k)
        t2 = time.perf_counter()
        rows.append(
            {
                "case": "grid 3600 candidates × 8000 homes",
                "k": k,
                "greedy_s": t1 - t0,
                "exact_s": t2 - t1,
                "greedy_households": _covered(A, w, chosen),
                "exact_households": _covered(A, w, exact),
            }
        )
        print(rows[-1], flush=True)
    args.out.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
