"""The snapshot entry points: a map page as PNG or PDF with the chosen renderer, or a self-contained HTML map.

* :func:`render_snapshot`, :func:`snapshot_png`, :func:`snapshot_pdf`:
  ``renderer="browser"`` (:mod:`layers.export.browser`), ``"static"``
  (:mod:`layers.export.static`) or ``"auto"`` (default: the browser when
  chromium, chromedriver and selenium are present, else static).
* :func:`snapshot_html`: the interactive map (layer control, tooltips) as one
  file with Leaflet and every asset inlined, plus a title/date/sources box.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from geo.errors import ParkmapError
from layers.export.browser import browser_available, render_browser
from layers.export.page import PageSize, Snapshot, default_title, page_text, png_to_pdf
from layers.export.static import render_static

if TYPE_CHECKING:  # pragma: no cover
    from layers.compose import MapView

RENDERERS: tuple[str, ...] = ("auto", "browser", "static")


def render_snapshot(view: MapView, frames: Mapping[str, Any], page: PageSize | str = "A4L", dpi: int = 150, *,
                    renderer: str = "auto", date: str | None = None, tile_timeout: float = 8.0,
                    offline: bool | None = None, proposal_name: str = "") -> Snapshot:
    """Render the map page with the chosen renderer (``auto``: browser if available, else static)."""
    if renderer not in RENDERERS:
        raise ParkmapError(f"渲染方式应为 auto、browser 或 static，而不是 “{renderer}”",
                           f"The renderer must be auto, browser or static, not '{renderer}'", code="usage")
    if renderer == "static" or (renderer == "auto" and not browser_available()):
        return render_static(view, frames, page, dpi, date=date, proposal_name=proposal_name)
    if not browser_available():
        raise ParkmapError("未找到 chromium / chromium-driver / selenium，无法用浏览器渲染",
                           "chromium, chromium-driver or selenium is missing; cannot render with the browser",
                           "运行 scripts/install-system.sh，或用 --renderer static / run scripts/install-system.sh or "
                           "use --renderer static", code="browser")
    return render_browser(view, frames, page, dpi, date=date, tile_timeout=tile_timeout, offline=offline,
                          proposal_name=proposal_name)


def snapshot_png(view: MapView, frames: Mapping[str, Any], page: PageSize | str = "A4L", dpi: int = 150,
                 **kwargs: Any) -> bytes:
    """PNG of the map page (exactly :meth:`PageSize.pixels` ``(dpi)``); see :func:`render_snapshot`."""
    return render_snapshot(view, frames, page, dpi, **kwargs).png


def snapshot_pdf(view: MapView, frames: Mapping[str, Any], page: PageSize | str = "A4L", dpi: int = 150,
                 **kwargs: Any) -> bytes:
    """The map page as a one-page PDF of the paper size (the PNG at ``dpi`` placed full-page)."""
    snap = render_snapshot(view, frames, page, dpi, **kwargs)
    return png_to_pdf(snap.png, page, title=default_title(view, frames))


_HTML_INFO = """<div class="pm-html-info" style="position:absolute;z-index:9998;left:10px;bottom:10px;max-width:60%;
background:rgba(255,255,255,.92);border:1px solid #999;border-radius:4px;padding:5px 8px;
font:11px/1.35 'Noto Sans CJK SC','Microsoft YaHei',sans-serif;color:#222"><b>{title}</b> · {date}<br>{sources}</div>"""


def snapshot_html(view: MapView, frames: Mapping[str, Any], *, date: str | None = None,
                  clip: bool | float = 1.0) -> bytes:
    """One self-contained interactive HTML map of ``view`` (Leaflet and assets inlined; opens offline).

    Features are kept within the view grown by ``clip`` × its span on each side
    (room to pan; ``False`` keeps the whole province, which at zone level is
    megabytes of full-detail control lines).  Tiles still need their server;
    with ``basemap="none"`` nothing is fetched.
    """
    from branca.element import Element

    from layers.assets import inline_assets
    from layers.compose import compose_map

    m = compose_map(view, frames, clip=clip)
    text = page_text(view, frames, date)
    box = _HTML_INFO.format(title=html.escape(text.title), date=html.escape(text.date),
                            sources=html.escape(text.sources))
    fig = m.get_root()
    fig.html.add_child(Element(box), name="pm_info")
    fig.title = html.escape(text.title)  # branca writes <title>{{ title }}</title> without escaping
    doc = fig.render()
    doc = doc.replace("<head>", f"<head>\n<title>{html.escape(text.title)}</title>", 1) if "<title>" not in doc else doc
    return inline_assets(doc, strict=True).encode("utf-8")


__all__ = ["RENDERERS", "render_snapshot", "snapshot_html", "snapshot_pdf", "snapshot_png"]
