"""Map overlays of an expansion check: the proposal and what it hits, by layer."""

from __future__ import annotations

import html
from typing import Any

import folium
import shapely
from shapely.geometry import mapping

from geo.crs import transform_geometry_gcj02
from layers.render import round_coords

#: key in ``CheckResult.geometries`` → (colour, kind, zh, en)
OVERLAY_STYLES: dict[str, tuple[str, str, str, str]] = {
    "proposal": ("#e7298a", "line", "扩区方案", "Proposal"),
    "removed": ("#7f7f7f", "dash", "调出范围", "Area removed"),
    "eco_redline": ("#00441b", "fill", "占用生态保护红线", "Overlap: eco red line"),
    "farmland": ("#ff7f00", "fill", "占用永久基本农田", "Overlap: permanent farmland"),
    "urban_boundary_outside": ("#e31a1c", "fill", "城镇开发边界外", "Outside urban boundary"),
    "other_parks": ("#6a3d9a", "fill", "与其他开发区园区重叠", "Overlap: other zones' parks"),
    "own_parks": ("#a6cee3", "fill", "与本开发区园区重叠", "Overlap: own parks"),
    "outside_province": ("#000000", "fill", "省界外", "Outside Sichuan"),
    "river_link": ("#1f78b4", "dash", "至最近河流", "To nearest river"),
    "park_link": ("#525252", "dash", "至本区最近园区", "To nearest own park"),
}


def _shift(geom: Any, gcj02: bool) -> Any:
    g = transform_geometry_gcj02(geom, to_gcj=True) if gcj02 else geom
    return round_coords(g)


def add_proposal(m: folium.Map, geom: Any, lang: str, gcj02: bool = False, label: str = "") -> None:
    """The proposal outline (magenta, thick) with a tooltip."""
    color = OVERLAY_STYLES["proposal"][0]
    name = OVERLAY_STYLES["proposal"][3 if lang == "en" else 2]
    fg = folium.FeatureGroup(name=html.escape(name))
    folium.GeoJson(
        {"type": "Feature", "properties": {"name": html.escape(label or name)}, "geometry": mapping(_shift(geom, gcj02))},
        style_function=lambda _f: {"color": color, "weight": 3.5, "fillColor": color, "fillOpacity": 0.12},
        tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
    ).add_to(fg)
    fg.add_to(m)


def add_check_geometries(m: folium.Map, geometries: dict[str, Any], lang: str, gcj02: bool = False) -> list[tuple[str, str, str]]:
    """Draw every non-empty check geometry in its layer colour; returns legend rows (kind, colour, label)."""
    rows = []
    for key, geom in geometries.items():
        if key not in OVERLAY_STYLES or key == "proposal" or geom is None or geom.is_empty:
            continue
        color, kind, zh, en = OVERLAY_STYLES[key]
        label = en if lang == "en" else zh
        fg = folium.FeatureGroup(name=html.escape(label))
        if kind == "dash":
            style = {"color": color, "weight": 2.5, "dashArray": "6 5", "fillOpacity": 0.0}
        else:
            style = {"color": color, "weight": 1.5, "fillColor": color, "fillOpacity": 0.65}
        folium.GeoJson(
            {"type": "Feature", "properties": {"layer": html.escape(label)}, "geometry": mapping(_shift(geom, gcj02))},
            style_function=lambda _f, _s=style: _s,
            tooltip=folium.GeoJsonTooltip(fields=["layer"], labels=False),
        ).add_to(fg)
        fg.add_to(m)
        rows.append((kind, color, label))
    return rows


def proposal_bounds(geom: Any, pad_ratio: float = 0.8, min_pad: float = 0.01) -> tuple[float, float, float, float]:
    """Bounds around a proposal with some context."""
    w, s, e, n = shapely.bounds(geom)
    pad = max(e - w, n - s, min_pad) * pad_ratio
    return (w - pad, s - pad, e + pad, n + pad)
