"""Exports of what the planner sees: PNG / PDF map pages, a self-contained HTML map, proposal data.

Every function returns ``bytes`` (the app offers them as downloads; the CLI
writes them atomically).  No Streamlit.

Map pages (:func:`snapshot_png`, :func:`snapshot_pdf`)
    A printed page of the current view (:class:`layers.compose.MapView`):
    title and date, the map, a panel with the legend, a scale bar, a north
    arrow, the data sources and the illustrative-data notice when it applies.
    Page sizes ``A4L``/``A4P``/``A3L``/``A3P`` (mm: A4 210×297, A3 297×420);
    pixel size = mm / 25.4 × dpi (A4L at 150 dpi = 1754 × 1240).

    * ``renderer="browser"``: the folium map of :func:`layers.compose.compose_map`
      inside a print-layout page (the layout boxes are in CSS mm), all assets
      inlined (no CDN), opened from ``file://`` in headless Chromium
      (Debian ``chromium`` + ``chromium-driver``, driven by selenium) with a
      device scale factor of dpi/96; the screenshot is the exact page.  With a
      basemap, tiles are waited for (``load`` events, ``tile_timeout`` seconds)
      and the page says so when they were unreachable.  With ``basemap="none"``
      every host is blocked: nothing leaves the machine.
    * ``renderer="static"``: matplotlib (Agg) with a CJK font (Noto Sans CJK
      SC from fonts-noto-cjk, found through matplotlib's font manager; a clear
      error when none is installed, never tofu).  It draws the same planned
      layers (:func:`layers.compose.plan_layers`) with the same Leaflet styles,
      in Web Mercator like the screen, the same legend rows and page layout;
      the scale bar is measured in the local Gauss–Krüger zone.  Tiles are not
      drawn (the page says so when a basemap was asked for).
    * ``renderer="auto"`` (default): the browser when chromium, chromedriver and
      selenium are present, else static.

HTML (:func:`snapshot_html`)
    The interactive map (layer control, tooltips) as one file with Leaflet and
    every asset inlined, plus a title/date/sources box.

Proposal data (:func:`export_proposal_data`)
    The proposal and its overlap pieces, one row each with a ``part``
    attribute (``proposal``, ``eco_redline overlap``...), as GeoPackage,
    GeoJSON, KML or 界址点 TXT (CGCS2000 3-degree GK zone of the user's choice,
    with or without the zone prefix).

Modules
    :mod:`layers.export.page` (page sizes, layout, page texts, PNG → PDF),
    :mod:`layers.export.browser` (Selenium/Chromium renderer),
    :mod:`layers.export.static` (matplotlib renderer, CJK fonts),
    :mod:`layers.export.snapshot` (the ``snapshot_*`` entry points) and, for the
    data, :mod:`geo.export_data` (KML writing itself is in :mod:`geo.io.kml`).
    This package re-exports their public names: ``from layers.export import X``
    works for every one of them; a test that patches a module-level name
    patches it on the module that reads it (e.g. ``layers.export.static.CJK_FILES``).
"""

from __future__ import annotations

from geo.crs import default_gk_zone
from layers.export.browser import CHROMEDRIVER, CHROMIUM, browser_available, print_page_html, render_browser, script_after
from layers.export.page import (
    DPI_CHOICES,
    PAPER_MM,
    Box,
    PageLayout,
    PageSize,
    PageText,
    Snapshot,
    check_dpi,
    default_title,
    layout_for,
    legend_columns,
    page_layout,
    page_text,
    parse_page_size,
    png_to_pdf,
    sources_line,
    today,
)
from layers.export.snapshot import RENDERERS, render_snapshot, snapshot_html, snapshot_pdf, snapshot_png
from layers.export.static import (
    CJK_FAMILIES,
    CJK_FILES,
    MAP_BACKGROUND,
    draw_labels_links,
    draw_layer,
    draw_map,
    draw_north_arrow,
    draw_page_furniture,
    draw_scale_bar,
    find_cjk_font,
    fit_extent,
    font_file,
    ground_m_per_merc,
    nice_length,
    render_static,
    render_static_map,
    text_width_mm,
    wrap_text,
)
from geo.export_data import DATA_FORMATS, DATA_SUFFIX, PART_NAMES, export_proposal_data, kml_document, proposal_parts

__all__ = [
    "CHROMEDRIVER", "CHROMIUM", "CJK_FAMILIES", "CJK_FILES", "DATA_FORMATS", "DATA_SUFFIX", "DPI_CHOICES",
    "MAP_BACKGROUND", "PAPER_MM", "PART_NAMES", "RENDERERS", "Box", "browser_available", "check_dpi",
    "default_gk_zone", "default_title", "draw_labels_links", "draw_layer", "draw_map", "draw_north_arrow",
    "draw_page_furniture", "draw_scale_bar", "export_proposal_data", "find_cjk_font", "fit_extent", "font_file",
    "ground_m_per_merc", "kml_document", "layout_for", "legend_columns", "nice_length", "page_layout", "page_text",
    "PageLayout", "PageSize", "PageText", "parse_page_size", "png_to_pdf", "print_page_html", "proposal_parts",
    "render_browser", "render_snapshot", "render_static", "render_static_map", "script_after", "Snapshot",
    "snapshot_html", "snapshot_pdf", "snapshot_png", "sources_line", "text_width_mm", "today", "wrap_text",
]
