"""Scale benchmark of the checks: the embedded engine and PostGIS side by side (issues #4, #11).

Generates a synthetic 永久基本农田 layer of ``--n`` small polygons spread over
Sichuan (default 10^6; ``--huge`` = 10^7) and checks ``--proposals`` random
proposals of 1–20 km² against it with every rule, on each ``--backend``:

``embedded``
    The layer in memory (``ControlIndex``: STRtree over the tiles), built
    from the generated frame in a fresh process.
``postgis``
    The layer imported into PostGIS (``parkmap layers import``'s
    :func:`geo.db.layers.import_layer`, from a GeoPackage written first: the
    same reader and checks as an official file), then checked from a fresh
    process that holds only the embedded small layers and a connection:
    tiles fetched by ``geom && envelope`` and clipped in the process
    (``clip``), and the all-SQL variant (``sql``: ``ST_Intersection`` +
    ``ST_Area(geography)``), both measured.

It prints, per backend: import time (file reading and checks, then the
transaction: COPY and the GiST index), p50 / p95 per proposal of the farmland
rule and of all rules, the RSS of the checking process (peak, and after the
layer is ready; ``resource.getrusage`` / ``/proc``), the farmland overlap
against ``geopandas.overlay`` on the same proposals (``--overlay`` of them,
latency ratio and largest area difference), and the largest difference of the
overlap areas between the backends.

A throwaway PostgreSQL cluster is started for the run (``tests.pg_cluster``)
and removed afterwards, unless ``--url`` names a database (it must have the
parkmap schema: ``parkmap db init``).

Usage::

    python -m benchmarks.check_scale                       # 10^6 polygons, both backends
    python -m benchmarks.check_scale --n 20000             # quick run
    python -m benchmarks.check_scale --backend postgis --huge

The farmland polygons are hexagons (radius 35–45 % of a grid cell, jittered)
one per grid cell, so they never overlap — like an official coverage.  No
wall-clock figure is asserted anywhere; this script only prints.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

import geopandas as gpd
import pandas as pd
import shapely

from geo.area import geodesic_area_m2
from geo.check import ControlIndex, Proposal, check_proposal
from geo.dataset import load_layer


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


def _status_mb(field: str) -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return 0.0


def rss_now_mb() -> float:
    """Current RSS of this process (MB; 0 when /proc is missing)."""
    return _status_mb("VmRSS")


def hwm_mb() -> float:
    """Peak RSS of this process since its exec (``VmHWM``; ``ru_maxrss`` would carry the parent's over the exec)."""
    return _status_mb("VmHWM") or peak_mb()


def _layers() -> tuple[dict[str, gpd.GeoDataFrame], pd.DataFrame, pd.DataFrame, gpd.GeoDataFrame]:
    frames = {k: load_layer(k) for k in ("eco_redline", "urban_boundary", "rivers", "parks")}
    zones = pd.DataFrame(load_layer("zones").drop(columns="geometry"))
    return frames, zones, load_layer("indicators"), load_layer("province")


def _proposals(args: argparse.Namespace, province_gdf: gpd.GeoDataFrame, parks: gpd.GeoDataFrame) -> list[Proposal]:
    """The same proposals in every process (their own random stream, independent of the farmland's)."""
    return make_proposals(args.proposals, province_gdf.geometry.iloc[0], parks, np.random.default_rng(args.seed + 1000))


def child(args: argparse.Namespace) -> int:
    """One checking process: build (embedded) or connect (postgis), check, print one JSON line."""
    from geo.check import default_rules

    frames, zones, indicators, province_gdf = _layers()
    rules = default_rules()
    t = time.perf_counter()
    out: dict[str, Any] = {"backend": args.child}
    if args.child == "embedded":
        farmland = synthetic_farmland(province_gdf.geometry.iloc[0], args.n, np.random.default_rng(args.seed))
        index = ControlIndex.from_frames(zones=zones, indicators=indicators, farmland=farmland, province=province_gdf,
                                         **frames)
        del farmland
        _ = index.layer_hashes  # once per index, recorded with each check
    else:
        from geo.db.layer_query import with_database_layers

        base = ControlIndex.from_frames(zones=zones, indicators=indicators, province=province_gdf, **frames)
        index = with_database_layers(base, args.url, mode="sql" if args.child == "postgis-sql" else "clip")
        assert "farmland" in index.layers, "no farmland layer in the database"
        out["layer"] = index.layer_sources()["farmland"]
    gc.collect()
    out["ready_s"] = time.perf_counter() - t
    out["rss_ready_mb"] = rss_now_mb()
    proposals = _proposals(args, province_gdf, frames["parks"])
    check_proposal(proposals[0], index, rules)  # warm-up (GK projection caches, prepared statements): not timed
    farm_t, all_t, areas, hits = [], [], [], []
    for p in proposals:
        t = time.perf_counter()
        r = check_proposal(p, index, rules, only=["farmland"])
        farm_t.append(time.perf_counter() - t)
        areas.append(r.overlaps.get("farmland", 0.0))
        hits.append(int(r.rule("farmland").details.get("hits_total", 0)))
    for p in proposals:
        t = time.perf_counter()
        check_proposal(p, index, rules)
        all_t.append(time.perf_counter() - t)
    out.update(farm_t=farm_t, all_t=all_t, areas=areas, hits=hits, rss_end_mb=rss_now_mb(), rss_peak_mb=hwm_mb())
    print("RESULT " + json.dumps(out))
    return 0


def _run_child(args: argparse.Namespace, backend: str, url: str | None) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "benchmarks.check_scale", "--child", backend, "--n", str(args.n), "--seed",
           str(args.seed), "--proposals", str(args.proposals)]
    if url:
        cmd += ["--url", url]
    env = dict(os.environ, PYTHONHASHSEED="0")
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"{backend} process failed ({done.returncode}):\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(lines[-1][len("RESULT "):])
    return result


def _import(args: argparse.Namespace, farmland: gpd.GeoDataFrame, url: str, folder: Path) -> dict[str, float]:
    """Write the layer as a GeoPackage, then import it as ``parkmap layers import`` does (timed)."""
    from geo.auth import Actor
    from geo.db.layers import import_layer

    if args.bulk:
        import hashlib

        from geo.db.layers import import_frame

        label = f"synthetic farmland n={args.n} seed={args.seed} (benchmark, no file)"
        t = time.perf_counter()
        done = import_frame(url, "farmland", farmland, source_name=label, crs="EPSG:4490 (generated)",
                            sha256=hashlib.sha256(label.encode()).hexdigest(), actor=Actor("benchmark", "admin"),
                            replace=True)
        total = time.perf_counter() - t
        print(f"bulk import (import_frame: the generated frame, no file reading or checks): {total:,.1f} s, COPY of "
              f"{done.tiles:,} tiles + GiST + ANALYZE; version {done.version.version}; importing process RSS {rss_mb()}")
        return {"import_s": total, "read_s": 0.0, "write_s": done.seconds_write}
    path = folder / "farmland.gpkg"
    t = time.perf_counter()
    farmland.to_file(path, engine="pyogrio", driver="GPKG")
    written = time.perf_counter() - t
    print(f"wrote {path.name} ({path.stat().st_size / 1e6:,.0f} MB) in {written:,.1f} s (not part of the import)")
    os.environ.setdefault("PARKMAP_MAX_LAYER_FEATURES", str(max(args.n + 1, 500_000)))
    os.environ.setdefault("PARKMAP_MAX_LAYER_VERTICES", str(max(args.n * 8, 30_000_000)))
    t = time.perf_counter()
    done = import_layer(url, "farmland", path, actor=Actor("benchmark", "admin"), replace=True)
    total = time.perf_counter() - t
    print(f"import (parkmap layers import): {total:,.1f} s = read + checks {done.seconds_read:,.1f} s "
          f"+ transaction (COPY of {done.tiles:,} tiles, GiST) and ANALYZE {done.seconds_write:,.1f} s; "
          f"version {done.version.version}; importing process RSS {rss_mb()}")
    return {"import_s": total, "read_s": done.seconds_read, "write_s": done.seconds_write}


def _overlay(args: argparse.Namespace, farmland: gpd.GeoDataFrame, proposals: list[Proposal]) -> tuple[list[float], list[float]]:
    k = len(proposals) if args.overlay < 0 else min(args.overlay, len(proposals))
    _ = farmland.sindex  # built once by geopandas and cached on the frame
    times, areas = [], []
    for p in proposals[:k]:
        left = gpd.GeoDataFrame({"name": [p.name]}, geometry=[p.geometry], crs=4490)
        t = time.perf_counter()
        res = gpd.overlay(left, farmland, how="intersection", keep_geom_type=True)
        areas.append(float(sum(geodesic_area_m2(g) for g in res.geometry)))
        times.append(time.perf_counter() - t)
    return times, areas


def _max_rel(a: list[float], b: list[float]) -> float:
    out = 0.0
    for x, y in zip(a, b):
        if max(x, y) > 0:
            out = max(out, abs(x - y) / max(x, y))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="farmland polygons (default 10^6)")
    ap.add_argument("--huge", action="store_true", help="10^7 farmland polygons")
    ap.add_argument("--proposals", type=int, default=100, help="number of proposals (default 100)")
    ap.add_argument("--overlay", type=int, default=20,
                    help="proposals also run through geopandas.overlay (default 20; 0 = skip; -1 = all)")
    ap.add_argument("--backend", choices=("embedded", "postgis", "both"), default="both")
    ap.add_argument("--url", help="an existing database with the parkmap schema (default: a throwaway cluster)")
    ap.add_argument("--no-sql", action="store_true", help="skip the all-SQL PostGIS variant")
    ap.add_argument("--bulk", action="store_true",
                    help="import the generated frame directly (import_frame), without writing and reading a file: "
                         "for 10^7, where the file reader's copies do not fit in memory")
    ap.add_argument("--seed", type=int, default=4)
    ap.add_argument("--child", choices=("embedded", "postgis", "postgis-sql"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.huge:
        args.n = 10_000_000
    if args.child:
        return child(args)

    print(f"parkmap check benchmark — Python {platform.python_version()}, shapely {shapely.__version__}, "
          f"GEOS {shapely.geos_version_string}, geopandas {gpd.__version__}, {platform.machine()}, "
          f"{os.cpu_count()} cores")
    print(f"farmland polygons: {args.n:,}; proposals: {args.proposals}; backends: {args.backend}")
    frames, _zones, _ind, province_gdf = _layers()
    t = time.perf_counter()
    farmland = synthetic_farmland(province_gdf.geometry.iloc[0], args.n, np.random.default_rng(args.seed))
    print(f"generated farmland in {time.perf_counter() - t:,.1f} s")

    results: dict[str, dict[str, Any]] = {}
    imported: dict[str, float] = {}
    if args.backend in ("embedded", "both"):
        print("\nembedded: checking in a fresh process …", flush=True)
        results["embedded"] = _run_child(args, "embedded", None)
    if args.backend in ("postgis", "both"):
        cluster = None
        with tempfile.TemporaryDirectory(prefix="parkmap-bench-") as tmp:
            try:
                url = args.url
                if not url:
                    from geo.db.schema import init_db
                    from tests.pg_cluster import PgCluster

                    cluster = PgCluster().start()
                    import psycopg

                    with psycopg.connect(cluster.url(), autocommit=True) as con:
                        con.execute("CREATE DATABASE parkmap_bench")
                    url = cluster.url("parkmap_bench")
                    init_db(url)
                    print(f"\npostgis: throwaway cluster on port {cluster.port} (fsync off)")
                imported = _import(args, farmland, url, Path(tmp))
                for b in ("postgis", *(() if args.no_sql else ("postgis-sql",))):
                    print(f"{b}: checking in a fresh process …", flush=True)
                    results[b] = _run_child(args, b, url)
            finally:
                from geo.db.layer_query import close_layer_pools

                close_layer_pools()
                if cluster is not None:
                    cluster.stop()

    proposals = _proposals(args, province_gdf, frames["parks"])
    ov_t, ov_a = _overlay(args, farmland, proposals) if args.overlay else ([], [])
    hits = next(iter(results.values()))["hits"]
    print(f"\nper-proposal latency over {len(proposals)} proposals (1–20 km², median {np.median(hits):.0f} farmland "
          f"polygons hit, max {max(hits)}); RSS of the checking process:")
    print(f"  {'backend':<13} {'ready':>8} {'farmland p50/p95 ms':>20} {'all rules p50/p95 ms':>21} "
          f"{'RSS ready':>10} {'RSS peak':>9} {'overlay ratio':>14}")
    for name, r in results.items():
        ratio = ""
        if ov_t:
            ratio = f"×{np.median(ov_t) / np.median(r['farm_t'][:len(ov_t)]):,.0f}"
        print(f"  {name:<13} {r['ready_s']:7.1f}s {pct(r['farm_t'], 50):9.2f} / {pct(r['farm_t'], 95):7.2f} "
              f"{pct(r['all_t'], 50):10.2f} / {pct(r['all_t'], 95):7.2f} {r['rss_ready_mb']:8,.0f}MB "
              f"{r['rss_peak_mb']:7,.0f}MB {ratio:>14}")
    if imported:
        print(f"  postgis import: {imported['import_s']:,.1f} s (read + checks {imported['read_s']:,.1f} s, "
              f"transaction {imported['write_s']:,.1f} s); 'ready' = index build (embedded) or connect (postgis)")
    if ov_t:
        print(f"  geopandas.overlay (how='intersection') + geodesic area on {len(ov_t)} of the proposals: "
              f"p50 {pct(ov_t, 50):.2f} ms, p95 {pct(ov_t, 95):.2f} ms; ratio = overlay p50 / farmland-rule p50 "
              "on the same proposals")
    names = list(results)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            print(f"  largest relative difference of the farmland overlap, {a} vs {b}: "
                  f"{_max_rel(results[a]['areas'], results[b]['areas']):.2e}")
        if ov_a:
            print(f"  largest relative difference of the farmland overlap, {a} vs overlay: "
                  f"{_max_rel(results[a]['areas'][:len(ov_a)], ov_a):.2e}")
    if "postgis" in results:
        print(f"  postgis layer used: {results['postgis']['layer']['source']}, sha256 "
              f"{results['postgis']['layer']['sha256'][:16]}…")
    return 0


if __name__ == "__main__":
    sys.exit(main())
