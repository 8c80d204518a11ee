"""Regenerate the export examples in this folder (one per export kind).

    python -m docs.examples.make_examples      # from the repository root

Uses the embedded data and the example proposal of benchmarks/export.py
(石棉工业园: a corridor from its park into the illustrative eco red line).
The workspace is a temporary folder; the audit id printed is that of the run.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from benchmarks.export import example_result
from layers import export
from geo.io.write import write_bytes_atomic
from layers.report import AuditInfo, build_report
from geo.workspace import Workspace
from layers.compose import DEFAULT_ACTIVE, MapView, load_frames

HERE = Path(__file__).resolve().parent

DATE = "2026-11-23"


def main() -> None:
    frames = load_frames()
    result = example_result()
    regions = tuple(frames["regions"].loc[frames["regions"]["kind"] == "economic_region", "region_id"])
    province = MapView(active=DEFAULT_ACTIVE, regions=regions)
    proposal = MapView(active=("counties", "eco_redline", "farmland", "urban_boundary", "rivers", "parks", "zones"),
                       highlighted="S519119", proposal=result.geometry, overlaps=dict(result.geometries))
    out = {
        "snapshot_province_A4L_browser.png": lambda: export.snapshot_png(province, frames, "A4L", 150,
                                                                         renderer="browser", date=DATE),
        "snapshot_proposal_A4P_static.png": lambda: export.snapshot_png(proposal, frames, "A4P", 150,
                                                                        renderer="static", date=DATE,
                                                                        proposal_name=result.name),
        "map_shimian.html": lambda: export.snapshot_html(MapView(active=DEFAULT_ACTIVE, regions=regions,
                                                                 highlighted="S519119"), frames, date=DATE),
        "proposal.gpkg": lambda: export.export_proposal_data(result, "gpkg"),
        "proposal.geojson": lambda: export.export_proposal_data(result, "geojson"),
        "proposal.kml": lambda: export.export_proposal_data(result, "kml"),
        "proposal_zone34.txt": lambda: export.export_proposal_data(result, "txt", zone=34),
    }
    with tempfile.TemporaryDirectory() as home:
        os.environ["PARKMAP_HOME"] = home
        ws = Workspace()
        pid = ws.save_proposal(result.name, result.geometry, "S519119", source="docs/examples")
        saved = ws.get_check(ws.save_check(pid, result))
        out["report_zh.pdf"] = lambda: build_report(saved.to_result(), audit=AuditInfo.from_saved(saved), frames=frames)
        for name, make in out.items():
            write_bytes_atomic(HERE / name, make())
            print(f"{name}: {(HERE / name).stat().st_size / 1024:,.0f} KiB")


if __name__ == "__main__":
    main()
