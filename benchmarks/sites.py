"""Benchmark of ``parkmap sites`` (可扩区用地, :func:`geo.sites.find_sites`), issue #13.

Two runs, each against a naive ``geopandas.overlay`` chain in the same process:

1. one zone on the embedded data (goal: p95 ≤ 2 s per search, candidates checked);
2. the same zone with the embedded 永久基本农田 replaced by ``--n`` synthetic
   farmland polygons (default 10^6, the hexagons of
   :func:`benchmarks.check_scale.synthetic_farmland`; goal ≤ 5 s per search).

The naive chain is what a GIS analyst would script: buffer the parks in the GK
zone, ``overlay(intersection)`` with 城镇开发边界, then ``overlay(difference)``
with the red line, the farmland and the parks, explode and keep the patches of
``--min-patch``; it produces the free land only (no ranking, no cut, no
check), so the ratio is against our free-land step and our whole search.  The
free-land areas of both are printed (they must agree).  Nothing is asserted.

Usage::

    python -m benchmarks.sites                    # S517077, 50 ha, 10^6 farmland polygons
    python -m benchmarks.sites --n 100000 --reps 5
"""

from __future__ import annotations

import argparse
import time

import geopandas as gpd
import numpy as np

from geo.area import geodesic_area_m2
from geo.check import ControlIndex, default_index, default_rules
from geo.crs import epsg_for_gk_zone, gk_zone_for_lon
from geo.dataset import load_layer
from geo.sites import SiteOptions, find_sites, free_land, parse_area


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def naive_chain(zone_id: str, layers: dict[str, gpd.GeoDataFrame], options: SiteOptions) -> float:
    """Free land by a geopandas.overlay chain; returns its geodesic area (m²)."""
    parks = layers["parks"]
    own = parks[parks["zone_id"] == zone_id]
    epsg = epsg_for_gk_zone(gk_zone_for_lon(own.union_all().centroid.x), False)
    ring = gpd.GeoDataFrame(geometry=[own.to_crs(epsg).union_all().buffer(options.within_m, quad_segs=16)],
                            crs=epsg).to_crs(4490)
    land = gpd.overlay(ring, layers["urban_boundary"][["geometry"]], how="intersection", keep_geom_type=True)
    for key in ("eco_redline", "farmland", "parks"):
        land = gpd.overlay(land, layers[key][["geometry"]], how="difference", keep_geom_type=True)
    parts = land.explode(index_parts=False)
    m2 = np.array([geodesic_area_m2(g) for g in parts.geometry])
    return float(m2[m2 >= options.min_patch_m2].sum())


def run(label: str, index: ControlIndex, layers: dict[str, gpd.GeoDataFrame], zone: str, options: SiteOptions,
        reps: int, naive_reps: int) -> None:
    rules = default_rules()
    zrow = index.resolve_zone(zone)
    find_sites(index, zone, options)  # warm (GK projections of the rivers, caches)
    t_free, t_all = [], []
    for _ in range(reps):
        t0 = time.perf_counter()
        free_land(index, zrow, options, rules)
        t_free.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        s = find_sites(index, zone, options)
        t_all.append(time.perf_counter() - t0)
    t_naive = []
    naive_m2 = 0.0
    for _ in range(naive_reps):
        t0 = time.perf_counter()
        naive_m2 = naive_chain(zone, layers, options)
        t_naive.append(time.perf_counter() - t0)
    ours_m2 = _patch_total(s, options)
    print(f"[{label}] zone {zone}, {options.area_m2 / 1e4:.0f} ha, within {options.within_m:.0f} m, "
          f"chemical={options.chemical}: {len(s.candidates)} candidates checked, {s.patches} patches")
    print(f"  find_sites (free land + rank + cut + check_proposal of each): p50 {pct(t_all, 50):.3f} s, "
          f"p95 {pct(t_all, 95):.3f} s over {reps}")
    print(f"  free land only: p50 {pct(t_free, 50):.3f} s, p95 {pct(t_free, 95):.3f} s")
    print(f"  naive geopandas.overlay chain (free land only): p50 {pct(t_naive, 50):.3f} s over {naive_reps}; "
          f"ratio naive/ours free land {pct(t_naive, 50) / pct(t_free, 50):.1f}x, naive/ours whole search "
          f"{pct(t_naive, 50) / pct(t_all, 50):.1f}x")
    print(f"  free land in patches ≥ min-patch: ours {ours_m2 / 1e4:,.2f} ha, naive {naive_m2 / 1e4:,.2f} ha "
          f"(difference {abs(ours_m2 - naive_m2) / max(naive_m2, 1):.2e} relative)")


def _patch_total(s, options: SiteOptions) -> float:
    from geo.area import polygon_parts

    m2 = [geodesic_area_m2(p) for p in polygon_parts(s.free)]
    return float(sum(a for a in m2 if a >= options.min_patch_m2))


def main(argv: list[str] | None = None) -> int:
    from benchmarks.check_scale import synthetic_farmland

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--zone", default="S517077")
    ap.add_argument("--area", default="50ha")
    ap.add_argument("--n", type=int, default=1_000_000, help="synthetic farmland polygons (0: skip)")
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--naive-reps", type=int, default=3)
    ap.add_argument("--chemical", action="store_true")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    options = SiteOptions(area_m2=parse_area(args.area), chemical=bool(args.chemical))
    layers = {k: load_layer(k) for k in ("eco_redline", "farmland", "urban_boundary", "parks")}
    run("embedded", default_index(), layers, args.zone, options, args.reps, args.naive_reps)
    if args.n:
        t0 = time.perf_counter()
        province = load_layer("province").geometry.iloc[0]
        farm = synthetic_farmland(province, args.n, np.random.default_rng(args.seed))
        t1 = time.perf_counter()
        base = default_index()
        big = ControlIndex.from_frames(
            zones=base.zones, indicators=base.indicators, farmland=farm,
            **{k: base.layers[k].frame for k in ("eco_redline", "urban_boundary", "rivers", "parks", "province")})  # type: ignore[union-attr]
        t2 = time.perf_counter()
        print(f"\n{args.n:,} synthetic farmland polygons: generated in {t1 - t0:.1f} s, indexed in {t2 - t1:.1f} s")
        run(f"farmland 10^{np.log10(args.n):.0f}", big, {**layers, "farmland": farm}, args.zone, options,
            max(3, args.reps // 4), 1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["main", "naive_chain", "run"]
