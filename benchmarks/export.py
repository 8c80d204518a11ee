"""Time per export kind, with ratios against a baseline measured in the same run.

Targets (issue #5): PNG A4 at 150 dpi under 6 s with the browser and under
3 s with the static renderer; PDF report under 5 s.  The map layers are
loaded once (as the app caches them) and reported separately; each export is
timed end to end from the loaded frames (for the report: from the check
result, map image included).  Run:

    python -m benchmarks.export [--repeat 3] [--view zone|province]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import shapely
from shapely.geometry import LineString
from shapely.ops import nearest_points

from layers import export
from geo.area import buffer_m
from geo.check import Proposal, check_proposal, default_index
from geo.dataset import load_layer
from layers.report import build_report
from layers.compose import DEFAULT_ACTIVE, MapView, load_frames

TARGETS = {"png browser A4L 150": 6.0, "png static A4L 150": 3.0, "pdf report": 5.0}


def example_result():
    """石棉工业园: a corridor from its park into the eco red line (fails eco_redline and urban_boundary).

    Shared by tests/geo/test_export_data.py, tests/geo/test_report.py and docs/examples/make_examples.py.
    """
    park = load_layer("parks").set_index("park_id").loc["S519119-P1", "geometry"]
    eco = load_layer("eco_redline")
    e = eco.geometry.iloc[shapely.STRtree(eco.geometry.values).nearest(park)]
    a, b = nearest_points(park, e)
    dx, dy = b.x - a.x, b.y - a.y
    geom = buffer_m(LineString([(a.x - 0.2 * dx, a.y - 0.2 * dy), (b.x + 0.5 * dx, b.y + 0.5 * dy)]), 700,
                    cap_style="flat")
    return check_proposal(Proposal(geom, "S519119", name="石棉工业园扩区方案A"), default_index())


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(median, min) seconds of ``repeat`` calls."""
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs), min(runs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--view", choices=("zone", "province"), default="province")
    args = ap.parse_args()

    t0 = time.perf_counter()
    frames = load_frames()
    result = example_result()
    print(f"load layers + check the example proposal: {time.perf_counter() - t0:.2f} s (not counted below)")
    regions = tuple(frames["regions"].loc[frames["regions"]["kind"] == "economic_region", "region_id"])
    if args.view == "province":
        view = MapView(active=DEFAULT_ACTIVE, regions=regions)
    else:
        view = MapView(active=DEFAULT_ACTIVE + ("eco_redline", "farmland", "urban_boundary"), regions=regions,
                       highlighted="S519119", proposal=result.geometry, overlaps=dict(result.geometries))
    kinds: dict[str, Callable[[], object]] = {
        "png static A4L 150": lambda: export.snapshot_png(view, frames, "A4L", 150, renderer="static"),
        "png static A4L 300": lambda: export.snapshot_png(view, frames, "A4L", 300, renderer="static"),
        "html (inlined)": lambda: export.snapshot_html(view, frames),
        "pdf report": lambda: build_report(result, frames=frames),
        "pdf report (en)": lambda: build_report(result, frames=frames, lang="en"),
        "data gpkg": lambda: export.export_proposal_data(result, "gpkg"),
        "data geojson": lambda: export.export_proposal_data(result, "geojson"),
        "data kml": lambda: export.export_proposal_data(result, "kml"),
        "data txt": lambda: export.export_proposal_data(result, "txt", zone=34),
    }
    if export.browser_available():
        kinds = {"png browser A4L 150": lambda: export.snapshot_png(view, frames, "A4L", 150, renderer="browser"),
                 "png browser A4L 300": lambda: export.snapshot_png(view, frames, "A4L", 300, renderer="browser"),
                 "pdf map page (browser)": lambda: export.snapshot_pdf(view, frames, "A4L", 150, renderer="browser"),
                 **kinds}
    else:
        print("chromium/chromedriver/selenium missing: browser rows skipped")
    baseline = "png browser A4L 150" if "png browser A4L 150" in kinds else "png static A4L 150"
    rows = []
    for name, fn in kinds.items():
        med, best = timed(fn, args.repeat)
        rows.append((name, med, best))
    base = dict((n, m) for n, m, _ in rows)[baseline]
    print(f"\nview: {args.view}; {args.repeat} runs each; ratio = median / median of '{baseline}'")
    print(f"{'export':<26}{'median s':>10}{'min s':>9}{'ratio':>8}  target")
    for name, med, best in rows:
        target = TARGETS.get(name)
        verdict = "" if target is None else f"< {target:g} s {'ok' if med < target else 'MISSED'}"
        print(f"{name:<26}{med:>10.2f}{best:>9.2f}{med / base:>8.2f}  {verdict}")


if __name__ == "__main__":
    main()
