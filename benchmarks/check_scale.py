"""Scale benchmark of the expansion checks (issue #4).

Generates a synthetic 永久基本农田 layer of ``--n`` small polygons spread over
Sichuan (default 10^6; ``--huge`` = 10^7), indexes it together with the
embedded eco red line, urban boundary, rivers, parks and province, checks
``--proposals`` random proposals of 1–20 km², and prints:

* index build time (and layer hashing time, reported separately);
* p50 / p95 per-proposal latency of the farmland rule alone and of all rules;
* memory: peak RSS (``resource.getrusage``) after each stage;
* the same farmland overlap done with ``geopandas.overlay`` for the same
  proposals in the same run (a subset: ``--overlay`` proposals, default 20),
  the latency ratio, and the largest relative area difference.

Targets at 10^6 polygons: p95 ≤ 5 ms for the farmland rule, ≤ 15 ms for all rules.

Usage::

    python -m benchmarks.check_scale                 # 10^6 polygons, 100 proposals
    python -m benchmarks.check_scale --n 20000       # quick run
    python -m benchmarks.check_scale --huge          # 10^7 polygons (needs ~10 GB RAM)

The farmland polygons are hexagons (radius 35–45 % of a grid cell, jittered)
one per grid cell, so they never overlap — like an official coverage.  No
wall-clock figure is asserted anywhere; this script only prints.
"""

from __future__ import annotations

import argparse
import gc
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np

import geopandas as gpd
import pandas as pd
import shapely

from geo.area import geodesic_area_m2
from geo.check import ControlIndex, Proposal, check_proposal
from geo.dataset import load_layer
from geo.rules import load_rules


def peak_mb() -> float:
    """Peak resident set size of this process so far (MB), from ``resource.getrusage``."""
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / 1024.0 if platform.system() != "Darwin" else r / 1024.0 / 1024.0


def rss_mb() -> str:
    """Current RSS (Linux ``/proc``) and peak RSS, as text."""
    cur = None
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                cur = int(line.split()[1]) / 1024.0
    except OSError:
        pass
    now = f"{cur:,.0f} MB now, " if cur is not None else ""
    return f"{now}{peak_mb():,.0f} MB peak"


def synthetic_farmland(province, n: int, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """``n`` non-overlapping small hexagons inside ``province`` (one per grid cell)."""
    x0, y0, x1, y1 = province.bounds
    shapely.prepare(province)
    # Share of the bbox inside the province, estimated on a sample.
    sx = rng.uniform(x0, x1, 200_000)
    sy = rng.uniform(y0, y1, 200_000)
    share = shapely.contains_xy(province, sx, sy).mean()
    cell = np.sqrt((x1 - x0) * (y1 - y0) * share / (n * 1.03))
    xs = np.arange(x0 + cell / 2, x1, cell)
    ys = np.arange(y0 + cell / 2, y1, cell)
    gx, gy = np.meshgrid(xs, ys)
    gx, gy = gx.ravel(), gy.ravel()
    inside = shapely.contains_xy(province, gx, gy)
    gx, gy = gx[inside], gy[inside]
    if len(gx) < n:  # rare: fall back to a slightly finer grid
        return synthetic_farmland(province, int(n * 1.05), rng).iloc[:n]
    pick = rng.choice(len(gx), size=n, replace=False)
    pick.sort()
    cx, cy = gx[pick], gy[pick]
    k = 6
    ang = np.linspace(0, 2 * np.pi, k, endpoint=False)[None, :] + rng.uniform(0, np.pi / 3, (n, 1))
    rad = cell * rng.uniform(0.35, 0.45, (n, 1)) * rng.uniform(0.85, 1.0, (n, k))
    px = cx[:, None] + rad * np.cos(ang)
    py = cy[:, None] + rad * np.sin(ang)
    ring = np.stack([np.concatenate([px, px[:, :1]], axis=1), np.concatenate([py, py[:, :1]], axis=1)], axis=2)
    geoms = shapely.polygons(ring)
    return gpd.GeoDataFrame({"farm_id": np.arange(n, dtype=np.int64)}, geometry=geoms, crs=4490)


def make_proposals(n: int, province, parks: gpd.GeoDataFrame, rng: np.random.Generator) -> list[Proposal]:
    """Irregular 16-gons of 1–20 km²: half next to a random zone's park, half anywhere in the province."""
    out: list[Proposal] = []
    x0, y0, x1, y1 = province.bounds
    park_pts = parks.geometry.representative_point()
    while len(out) < n:
        area_m2 = rng.uniform(1e6, 20e6)
        if len(out) % 2 == 0:
            i = int(rng.integers(len(parks)))
            zone = str(parks["zone_id"].iloc[i])
            c = park_pts.iloc[i]
            off = rng.uniform(1000, 5000)
            a = rng.uniform(0, 2 * np.pi)
            cx = c.x + off * np.cos(a) / (111320 * np.cos(np.radians(c.y)))
            cy = c.y + off * np.sin(a) / 110574
        else:
            zone = str(parks["zone_id"].iloc[int(rng.integers(len(parks)))])
            cx, cy = rng.uniform(x0, x1), rng.uniform(y0, y1)
            if not shapely.contains_xy(province, cx, cy):
                continue
        k = 16
        ang = np.sort(rng.uniform(0, 2 * np.pi, k))
        r = rng.uniform(0.75, 1.0, k)
        # Area of the star polygon with unit scale, then scale to the target.
        xs, ys = r * np.cos(ang), r * np.sin(ang)
        unit = 0.5 * abs(np.dot(xs, np.roll(ys, -1)) - np.dot(ys, np.roll(xs, -1)))
        s = np.sqrt(area_m2 / unit)
        lon = cx + s * xs / (111320 * np.cos(np.radians(cy)))
        lat = cy + s * ys / 110574
        g = shapely.Polygon(np.column_stack([lon, lat]))
        if not g.is_valid:
            continue
        out.append(Proposal(geometry=g, zone_id=zone, name=f"P{len(out) + 1}"))
    return out


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000.0, q))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="farmland polygons (default 10^6)")
    ap.add_argument("--huge", action="store_true", help="10^7 farmland polygons")
    ap.add_argument("--proposals", type=int, default=100, help="number of proposals (default 100)")
    ap.add_argument("--overlay", type=int, default=20,
                    help="proposals also run through geopandas.overlay (default 20; 0 = skip; -1 = all)")
    ap.add_argument("--seed", type=int, default=4)
    args = ap.parse_args(argv)
    n = 10_000_000 if args.huge else args.n
    rng = np.random.default_rng(args.seed)

    print(f"parkmap check benchmark — Python {platform.python_version()}, shapely {shapely.__version__}, "
          f"geopandas {gpd.__version__}, {platform.machine()}")
    print(f"farmland polygons: {n:,}; proposals: {args.proposals}")
    print(f"RSS at start: {rss_mb()}")

    province_gdf = load_layer("province")
    province = province_gdf.geometry.iloc[0]
    t = time.perf_counter()
    farmland = synthetic_farmland(province, n, rng)
    print(f"generated farmland in {time.perf_counter() - t:,.1f} s; RSS {rss_mb()}")

    frames = {k: load_layer(k) for k in ("eco_redline", "urban_boundary", "rivers", "parks")}
    zones = pd.DataFrame(load_layer("zones").drop(columns="geometry"))
    indicators = load_layer("indicators")
    rules = load_rules()

    gc.collect()
    t = time.perf_counter()
    index = ControlIndex.from_frames(zones=zones, indicators=indicators, farmland=farmland, province=province_gdf,
                                     **frames)
    build = time.perf_counter() - t
    print(f"\nindex build (all layers, {len(index.layers['farmland'].tiles):,} farmland tiles): {build:,.2f} s; "
          f"RSS {rss_mb()}")
    t = time.perf_counter()
    _ = index.layer_hashes
    print(f"layer content hashes (once per index, recorded with each check): {time.perf_counter() - t:,.2f} s")

    proposals = make_proposals(args.proposals, province, frames["parks"], rng)
    # Warm-up (GK projection caches, first-use costs) — not timed.
    check_proposal(proposals[0], index, rules)

    farm_t, all_t, farm_area, n_hits = [], [], [], []
    for p in proposals:
        t = time.perf_counter()
        r = check_proposal(p, index, rules, only=["farmland"])
        farm_t.append(time.perf_counter() - t)
        farm_area.append(r.overlaps.get("farmland", 0.0))
        n_hits.append(r.rule("farmland").details.get("hits_total", 0))
    for p in proposals:
        t = time.perf_counter()
        check_proposal(p, index, rules)
        all_t.append(time.perf_counter() - t)
    print(f"\nper-proposal latency over {len(proposals)} proposals (1–20 km², median {np.median(n_hits):.0f} farmland "
          f"polygons hit, max {max(n_hits)}):")
    print(f"  farmland rule : p50 {pct(farm_t, 50):6.2f} ms   p95 {pct(farm_t, 95):6.2f} ms   (target p95 ≤ 5 ms)")
    print(f"  all 13 rules  : p50 {pct(all_t, 50):6.2f} ms   p95 {pct(all_t, 95):6.2f} ms   (target p95 ≤ 15 ms)")
    print(f"RSS after checks: {rss_mb()}")

    k = len(proposals) if args.overlay < 0 else min(args.overlay, len(proposals))
    if k:
        sub = proposals[:k]
        t = time.perf_counter()
        _ = farmland.sindex  # built once by geopandas and cached on the frame
        sidx = time.perf_counter() - t
        ov_t, diffs = [], []
        for p, mine in zip(sub, farm_area):
            left = gpd.GeoDataFrame({"name": [p.name]}, geometry=[p.geometry], crs=4490)
            t = time.perf_counter()
            res = gpd.overlay(left, farmland, how="intersection", keep_geom_type=True)
            area = float(sum(geodesic_area_m2(g) for g in res.geometry))
            ov_t.append(time.perf_counter() - t)
            if max(area, mine) > 0:
                diffs.append(abs(area - mine) / max(area, mine))
        what = "all proposals" if k == len(proposals) else f"a subset of {k} of the {len(proposals)} proposals"
        print(f"\ngeopandas.overlay (how='intersection') + geodesic area, {what}; "
              f"farmland sindex built once beforehand in {sidx:,.2f} s:")
        print(f"  overlay       : p50 {pct(ov_t, 50):6.2f} ms   p95 {pct(ov_t, 95):6.2f} ms")
        ours = farm_t[:k]
        print(f"  ratio overlay / farmland rule on the same proposals: p50 ×{np.median(ov_t) / np.median(ours):,.1f}, "
              f"mean ×{np.mean(ov_t) / np.mean(ours):,.1f}")
        print(f"  largest relative difference of the overlap areas: {max(diffs) if diffs else 0.0:.2e}")
    print(f"\nRSS at the end: {rss_mb()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
