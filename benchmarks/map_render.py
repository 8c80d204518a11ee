"""Map payload and build time: default province view and a zoomed prefecture view.

Prints, for each view, the HTML payload size and the layer build time with the
display simplification (``coverage_simplify`` by zoom, 6-decimal coordinates)
and, in the same run, against the unsimplified layers. Run:

    python -m benchmarks.map_render [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import pandas as pd

from geo.dataset import load_layer
from layers import render
from layers.specs import SPEC_BY_ID, SPECS

DEFAULT_LAYERS = [s.id for s in SPECS if s.default_on]


def layer_data(frames: dict, layer_id: str, view: str, simplified: bool) -> dict:
    spec = SPEC_BY_ID[layer_id]
    gdf = frames[spec.layer]
    if layer_id == "zones":
        gdf = render.zones_points(gdf)
    if layer_id == "regions":
        gdf = gdf[gdf["kind"] == "economic_region"]
    if simplified:
        gdf = render.simplify_frame(gdf, spec.simplify.get(view, 0.0), coverage=layer_id in ("counties", "prefectures"))
    cols = [p.column for p in spec.popup] + ["zone_id", "zone_class", "level", "region_id", "adcode"]
    if simplified:
        return render.to_geojson(gdf, cols)
    # baseline: full geometry, full float precision
    import json

    return json.loads(gdf[[c for c in dict.fromkeys(cols) if c in gdf.columns] + ["geometry"]].to_json())


def build(frames: dict, view: str, simplified: bool, bounds) -> tuple[int, float, float]:
    t0 = time.perf_counter()
    datas = {lid: layer_data(frames, lid, view, simplified) for lid in DEFAULT_LAYERS}
    t1 = time.perf_counter()
    m = render.new_map("none", bounds)
    for lid, d in datas.items():
        render.add_geojson_layer(m, SPEC_BY_ID[lid], d, "zh")
    render.add_notice(m, "zh")
    render.add_legend(m, render.legend_items(DEFAULT_LAYERS, "class", "zh"), "zh")
    html = m.get_root().render()
    t2 = time.perf_counter()
    return len(html.encode("utf-8")), t1 - t0, t2 - t1


def cold_start(timeout: float = 120.0) -> tuple[float, float]:
    """Seconds from ``streamlit run app.py`` to the server answering, and to the zone markers drawn in Chromium."""
    import subprocess

    from selenium.webdriver.common.by import By

    from tests.browser_support import free_port, make_driver, stop, wait_http

    root = Path(__file__).resolve().parents[1]
    port = free_port(8750, 8850)
    drv = make_driver(1600, 1000)
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
                             "--server.port", str(port), "--server.headless", "true"],
                            cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_http(f"http://127.0.0.1:{port}/_stcore/health", timeout=timeout)
        t_server = time.perf_counter() - t0
        drv.get(f"http://127.0.0.1:{port}/")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            frames = drv.find_elements(By.CSS_SELECTOR, 'iframe[title="streamlit_folium.st_folium"]')
            if frames:
                drv.switch_to.frame(frames[0])
                n = drv.execute_script("return window.L ? document.querySelectorAll('path.leaflet-interactive').length : 0")
                drv.switch_to.default_content()
                if n > 100:
                    break
            time.sleep(0.05)
        return t_server, time.perf_counter() - t0
    finally:
        drv.quit()
        stop(proc)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cold-start", action="store_true", help="also time streamlit run → map drawn in headless Chromium")
    args = ap.parse_args()
    t0 = time.perf_counter()
    frames = {n: load_layer(n) for n in ("prefectures", "counties", "regions", "rivers", "parks", "zones", "province")}
    load_s = time.perf_counter() - t0
    print(f"load layers from GeoPackage: {load_s:.2f} s")
    frames["parks"] = render.parks_display(frames["parks"], frames["zones"])
    pref = frames["prefectures"]
    views = {
        "province": tuple(frames["province"].total_bounds),
        "prefecture": tuple(pref[pref["adcode"] == "510100"].total_bounds),
    }
    rows = []
    for view, bounds in views.items():
        res = {}
        for simplified in (False, True):
            runs = [build(frames, view, simplified, bounds) for _ in range(args.repeat)]
            size = runs[0][0]
            prep = statistics.median(r[1] for r in runs)
            rend = statistics.median(r[2] for r in runs)
            res[simplified] = (size, prep, rend)
        base, opt = res[False], res[True]
        rows.append({
            "view": view,
            "payload_MB": round(opt[0] / 1e6, 3),
            "baseline_payload_MB": round(base[0] / 1e6, 3),
            "payload_ratio": round(opt[0] / base[0], 3),
            "prepare_s": round(opt[1], 3),
            "baseline_prepare_s": round(base[1], 3),
            "folium_render_s": round(opt[2], 3),
            "baseline_render_s": round(base[2], 3),
            "build_ratio": round((opt[1] + opt[2]) / (base[1] + base[2]), 3),
        })
    print(pd.DataFrame(rows).to_string(index=False))
    print("layers:", ", ".join(DEFAULT_LAYERS))
    if args.cold_start:
        runs = [cold_start() for _ in range(args.repeat)]
        server_s = statistics.median(r[0] for r in runs)
        drawn_s = statistics.median(r[1] for r in runs)
        print(f"cold start (median of {args.repeat}): server up {server_s:.2f} s, map drawn {drawn_s:.2f} s (target < 5 s)")


if __name__ == "__main__":
    main()
