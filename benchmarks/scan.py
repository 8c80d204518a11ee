"""存量体检 timings: all parks on the embedded data, then with 10^6 synthetic farmland polygons.

Run from the repository root: ``python -m benchmarks.scan [--n 1000000] [--repeats 5] [--overlay-parks 20]``.

1. **Embedded data.** :func:`geo.scan.scan_parks` over every park (all four
   layers), ``--repeats`` times on one index; then the naive way in the same
   run: ``geopandas.overlay`` per park against the red line, the farmland
   (intersection) and the urban boundary (difference), and the chemical
   parks against a GK buffer of the rivers.  Prints p50/max, the ratio, and
   the largest difference of the totals.
2. **10^6 farmland polygons** (:func:`benchmarks.check_scale.synthetic_farmland`,
   the same generator as the check's scale benchmark): generation, index
   build, one scan of every park; the naive overlay on the farmland for
   ``--overlay-parks`` parks, compared per park with the scan's farmland time
   per park (the scan of those parks alone).

Goals (issue #13): all parks on the embedded data ≤ 5 s; with 10^6 farmland
polygons ≤ 15 s.  Times are printed, never asserted.
"""

from __future__ import annotations

import argparse
import statistics
import time

import geopandas as gpd
import numpy as np
import pandas as pd

from benchmarks.check_scale import peak_mb, synthetic_farmland
from geo.area import geodesic_area_m2
from geo.check import ControlIndex, default_index
from geo.dataset import load_layer
from geo.rules import load_rules
from geo.scan import SCAN_LAYERS, scan_parks


def naive(parks: gpd.GeoDataFrame, frames: dict[str, gpd.GeoDataFrame], chemical: set[str],
          keys: tuple[str, ...] = SCAN_LAYERS) -> dict[str, float]:
    """Totals per layer by geopandas.overlay, park by park."""
    out = dict.fromkeys(keys, 0.0)
    rules = load_rules()
    rivers = frames.get("rivers")
    band = None
    if rivers is not None and "river_1km" in keys:
        reg = rivers[rivers["river_class"].isin(rules["river_1km"].params["river_classes"])]
        band = gpd.GeoDataFrame(geometry=reg.to_crs(4544).buffer(1000.0, quad_segs=16), crs=4544)
    for _, park in parks.iterrows():
        one = gpd.GeoDataFrame({"park_id": [park["park_id"]]}, geometry=[park.geometry], crs=4490)
        for key in ("eco_redline", "farmland"):
            if key in keys:
                ov = gpd.overlay(one, frames[key], how="intersection", keep_geom_type=True)
                out[key] += sum(geodesic_area_m2(g) for g in ov.geometry)
        if "urban_boundary" in keys:
            diff = gpd.overlay(one, frames["urban_boundary"], how="difference", keep_geom_type=True)
            out["urban_boundary"] += sum(geodesic_area_m2(g) for g in diff.geometry)
        if band is not None and park["zone_id"] in chemical:
            ov = gpd.overlay(one.to_crs(4544), band, how="intersection", keep_geom_type=True).to_crs(4490)
            out["river_1km"] += float(ov.geometry.map(geodesic_area_m2).sum()) if len(ov) else 0.0
    return out


def _rel(a: dict[str, float], b: dict[str, float]) -> float:
    return max(abs(a[k] - b[k]) / max(abs(b[k]), 1.0) for k in a)


def embedded(repeats: int) -> None:
    t = time.perf_counter()
    index = default_index()
    index.layer_hashes  # noqa: B018  (hashed once, as the first scan of a process does)
    print(f"embedded: index + hashes {time.perf_counter() - t:.2f} s")
    times = []
    result = None
    for _ in range(repeats):
        t = time.perf_counter()
        result = scan_parks(index)
        times.append(time.perf_counter() - t)
    assert result is not None
    n = result.parks["park_id"].nunique()
    print(f"embedded: scan of all {n} parks, {repeats} runs: p50 {statistics.median(times):.3f} s, "
          f"max {max(times):.3f} s (goal ≤ 5 s)")
    frames = {k: load_layer(k) for k in ("eco_redline", "farmland", "urban_boundary", "rivers")}
    parks = load_layer("parks")
    t = time.perf_counter()
    ref = naive(parks, frames, set(result.chemical))
    t_naive = time.perf_counter() - t
    got = {k: v["conflict_m2"] for k, v in result.totals().items()}
    print(f"embedded: naive geopandas.overlay per park {t_naive:.2f} s, ratio naive/scan "
          f"{t_naive / statistics.median(times):,.0f}×; largest relative difference of the totals {_rel(got, ref):.1e}")
    print("embedded totals (m²): " + ", ".join(f"{k} {got[k]:,.1f}" for k in SCAN_LAYERS))


def scale(n: int, overlay_parks: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    province = load_layer("province")
    t = time.perf_counter()
    farmland = synthetic_farmland(province.geometry.iloc[0], n, rng)
    t_gen = time.perf_counter() - t
    parks = load_layer("parks")
    frames = {k: load_layer(k) for k in ("eco_redline", "urban_boundary", "rivers")}
    zones = pd.DataFrame(load_layer("zones").drop(columns="geometry"))
    t = time.perf_counter()
    index = ControlIndex.from_frames(zones=zones, farmland=farmland, parks=parks, **frames)
    index.layer_hashes  # noqa: B018
    t_index = time.perf_counter() - t
    t = time.perf_counter()
    result = scan_parks(index)
    t_scan = time.perf_counter() - t
    hit = result.totals()["farmland"]
    print(f"10^{np.log10(n):.0f} farmland: generate {t_gen:.1f} s, index + hashes {t_index:.1f} s, scan of all "
          f"{result.parks['park_id'].nunique()} parks {t_scan:.2f} s (goal ≤ 15 s); {hit['parks_in_conflict']} parks on "
          f"farmland, {hit['conflict_m2']:,.0f} m²; peak {peak_mb():,.0f} MB")
    sub = parks.sample(min(overlay_parks, len(parks)), random_state=seed).sort_values("park_id")
    sub_index = ControlIndex.from_frames(zones=zones, parks=sub.reset_index(drop=True))
    sub_index.layers["farmland"] = index.layers["farmland"]  # the same farmland index, only fewer parks
    t = time.perf_counter()
    sub_scan = scan_parks(sub_index)
    t_sub = time.perf_counter() - t
    _ = farmland.sindex
    t = time.perf_counter()
    ref = naive(sub, {"farmland": farmland}, set(), keys=("farmland",))
    t_naive = time.perf_counter() - t
    got = sub_scan.totals()["farmland"]["conflict_m2"]
    print(f"10^{np.log10(n):.0f} farmland, {len(sub)} parks: scan {t_sub:.3f} s, naive geopandas.overlay {t_naive:.2f} s, "
          f"ratio {t_naive / t_sub:,.0f}×; farmland totals {got:,.1f} vs {ref['farmland']:,.1f} m²")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="synthetic farmland polygons (default 10^6; 0 skips)")
    ap.add_argument("--repeats", type=int, default=5, help="scans of the embedded data (default 5)")
    ap.add_argument("--overlay-parks", type=int, default=20, help="parks for the naive overlay at scale (default 20)")
    ap.add_argument("--seed", type=int, default=4)
    args = ap.parse_args(argv)
    embedded(args.repeats)
    if args.n:
        scale(args.n, args.overlay_parks, args.seed)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
