"""The static renderer: the map page drawn with matplotlib (Agg), no browser.

It draws the same planned layers (:func:`layers.compose.plan_layers`) with
the same Leaflet styles, in Web Mercator like the screen, the same legend
rows and page layout (:mod:`layers.export.page`); the scale bar is measured in
the local Gauss–Krüger zone.  Tiles are not drawn (the page says so when a
basemap was asked for).  Chinese text uses a CJK font (Noto Sans CJK SC from
fonts-noto-cjk, found through matplotlib's font manager: :func:`find_cjk_font`);
a clear error when none is installed, never tofu.

:func:`render_static` draws a whole page; :func:`render_static_map` just the
map (the PDF report of :mod:`layers.report` uses it).
"""

from __future__ import annotations

import functools
import io
import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geo.area import polygon_parts
from geo.crs import EPSG_CGCS2000, local_gk_crs, transformer
from geo.errors import ParkmapError
from layers.export.page import (
    INFO_ROW_MM,
    LEGEND_ROW_MM,
    PageLayout,
    PageSize,
    PageText,
    Snapshot,
    _exact_size,
    _l,
    check_dpi,
    layout_for,
    legend_columns,
    page_text,
    parse_page_size,
)

if TYPE_CHECKING:  # pragma: no cover
    from layers.compose import DrawLayer, MapView

#: Families tried, in order, for Chinese text in static renders.
CJK_FAMILIES: tuple[str, ...] = ("Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "WenQuanYi Zen Hei",
                                 "WenQuanYi Micro Hei", "Microsoft YaHei", "SimHei", "PingFang SC")
#: Font files tried when the font manager's cache does not know a CJK family yet.
CJK_FILES: tuple[str, ...] = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
                              "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
                              "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
MAP_BACKGROUND = "#f3f1ec"  # layers.render._Background
_PX_PT = 0.75  # one CSS px in points


@functools.lru_cache(maxsize=1)
def find_cjk_font() -> str:
    """Family name of an installed CJK font matplotlib can use (Noto Sans CJK SC preferred).

    Raises
    ------
    ParkmapError
        ``code="font"`` when no CJK font is installed (the render would show tofu).
    """
    from matplotlib import font_manager as fm

    def known() -> str | None:
        names = {e.name for e in fm.fontManager.ttflist}
        return next((f for f in CJK_FAMILIES if f in names), None)

    fam = known()
    if fam is None:
        for path in CJK_FILES:
            if Path(path).is_file():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    fm.fontManager.addfont(path)
        fam = known()
    if fam is None:
        raise ParkmapError("找不到中文字体，无法生成不缺字的地图图片",
                           "No CJK font found; the static map would show missing glyphs (tofu)",
                           "安装 fonts-noto-cjk（scripts/install-system.sh） / install fonts-noto-cjk", code="font")
    return fam


def font_file(family: str | None = None, bold: bool = False) -> tuple[str, int]:
    """(file, face index) of ``family`` (default :func:`find_cjk_font`) as matplotlib resolves it."""
    from matplotlib import font_manager as fm

    fam = family or find_cjk_font()
    for e in fm.fontManager.ttflist:
        if e.name == fam and (e.weight in ("bold", 700)) == bold:
            return e.fname, int(getattr(e, "index", 0) or 0)
    for e in fm.fontManager.ttflist:
        if e.name == fam:
            return e.fname, int(getattr(e, "index", 0) or 0)
    raise ParkmapError("找不到中文字体文件", "CJK font file not found", code="font")


def _mpl():
    import matplotlib

    if matplotlib.get_backend().lower() != "agg":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _rc(family: str) -> dict[str, Any]:
    return {"font.family": [family, "DejaVu Sans"], "axes.unicode_minus": False, "lines.scale_dashes": False,
            "pdf.fonttype": 42, "svg.fonttype": "none"}


_MERC = "EPSG:3857"


def _to_merc(geoms: Any) -> Any:
    t = transformer(EPSG_CGCS2000, 3857)

    def fn(xy: np.ndarray) -> np.ndarray:
        x, y = t.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, fn)


def fit_extent(bounds: Sequence[float], aspect: float) -> tuple[float, float, float, float]:
    """Web-Mercator extent (x0, y0, x1, y1) showing lon/lat ``bounds`` in a box of ``aspect`` = width/height.

    Like Leaflet's ``fitBounds`` with fractional zoom: the bounds' Mercator box,
    grown along one axis to the box's aspect, same centre.
    """
    w, s, e, n = bounds
    t = transformer(EPSG_CGCS2000, 3857)
    x0, y0 = t.transform(w, s)
    x1, y1 = t.transform(e, n)
    cx, cy, dx, dy = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0), (y1 - y0)
    if dx / dy > aspect:
        dy = dx / aspect
    else:
        dx = dy * aspect
    return cx - dx / 2, cy - dy / 2, cx + dx / 2, cy + dy / 2


def _rgba(color: str | None, alpha: float) -> tuple[float, float, float, float]:
    from matplotlib.colors import to_rgba

    return to_rgba(color or "#3388ff", max(0.0, min(1.0, float(alpha))))


def _dashes(dash: Any) -> Any:
    if not dash:
        return "solid"
    vals = [float(v) * _PX_PT for v in str(dash).replace(",", " ").split() if v]
    if len(vals) % 2:
        vals = vals * 2
    return (0, tuple(vals)) if vals else "solid"


def _polygon_path(geom: BaseGeometry):
    from matplotlib.path import Path as MPath

    verts: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    for poly in polygon_parts(geom):
        for ring in [poly.exterior, *poly.interiors]:
            xy = np.asarray(ring.coords)[:, :2]
            if len(xy) < 3:
                continue
            c = np.full(len(xy), MPath.LINETO, dtype=np.uint8)
            c[0], c[-1] = MPath.MOVETO, MPath.CLOSEPOLY
            verts.append(xy)
            codes.append(c)
    if not verts:
        return None
    return MPath(np.concatenate(verts), np.concatenate(codes))


def _line_parts(geom: BaseGeometry) -> list[np.ndarray]:
    if geom is None or geom.is_empty:
        return []
    if geom.geom_type == "LineString":
        return [np.asarray(geom.coords)[:, :2]]
    if geom.geom_type in ("MultiLineString", "GeometryCollection"):
        return [a for g in geom.geoms for a in _line_parts(g)]
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return [np.asarray(r.coords)[:, :2] for p in polygon_parts(geom) for r in [p.exterior, *p.interiors]]
    return []


def _props(frame: Any, columns: Iterable[str]) -> list[dict[str, Any]]:
    cols = [c for c in columns if c in frame.columns]
    return frame[cols].to_dict("records") if cols else [{} for _ in range(len(frame))]


def draw_layer(ax: Any, layer: DrawLayer, extent: tuple[float, float, float, float]) -> None:
    """Draw one planned layer on a Web-Mercator axes with its Leaflet styles (px → pt)."""
    from matplotlib.collections import LineCollection, PathCollection

    frame = layer.frame
    if frame is None or len(frame) == 0:
        return
    x0, y0, x1, y1 = extent
    geoms = np.asarray(frame.geometry.values, dtype=object)
    merc = _to_merc(geoms)
    box = shapely.box(x0 - (x1 - x0) * 0.05, y0 - (y1 - y0) * 0.05, x1 + (x1 - x0) * 0.05, y1 + (y1 - y0) * 0.05)
    keep = shapely.intersects(merc, box)
    styles = [layer.style(p) for p in _props(frame, layer.columns)]
    if layer.kind == "point":
        pts = [(g.x, g.y, s) for g, s, k in zip(merc, styles, keep) if k and g is not None and not g.is_empty]
        if pts:
            size = (2 * layer.radius * _PX_PT) ** 2
            ax.scatter([p[0] for p in pts], [p[1] for p in pts], s=size, zorder=3,
                       c=[_rgba(p[2].get("fillColor", p[2].get("color")), p[2].get("fillOpacity", 0.2)) for p in pts],
                       edgecolors=[_rgba(p[2].get("color"), p[2].get("opacity", 1.0)) for p in pts],
                       linewidths=[p[2].get("weight", 3) * _PX_PT for p in pts])
        return
    if layer.kind == "line":
        segs, cols, lws, lss = [], [], [], []
        for g, s, k in zip(merc, styles, keep):
            if not k:
                continue
            for part in _line_parts(g):
                segs.append(part)
                cols.append(_rgba(s.get("color"), s.get("opacity", 1.0)))
                lws.append(s.get("weight", 3) * _PX_PT)
                lss.append(_dashes(s.get("dashArray")))
        if segs:
            ax.add_collection(LineCollection(segs, colors=cols, linewidths=lws, linestyles=lss, capstyle="round",
                                             joinstyle="round", zorder=2))
        return
    paths, faces, edges, lws, lss = [], [], [], [], []
    for g, s, k in zip(merc, styles, keep):
        if not k:
            continue
        if g.geom_type.endswith("LineString"):
            continue
        path = _polygon_path(g)
        if path is None:
            continue
        fill = s.get("fill", True)
        paths.append(path)
        faces.append(_rgba(s.get("fillColor") or s.get("color"), s.get("fillOpacity", 0.2) if fill else 0.0))
        stroke = s.get("stroke", True)
        edges.append(_rgba(s.get("color"), s.get("opacity", 1.0) if stroke else 0.0))
        lws.append(s.get("weight", 3) * _PX_PT)
        lss.append(_dashes(s.get("dashArray")))
    if paths:
        ax.add_collection(PathCollection(paths, facecolors=faces, edgecolors=edges, linewidths=lws,
                                         linestyles=lss, joinstyle="round", capstyle="round", zorder=2))


def nice_length(max_m: float) -> float:
    """Largest 1/2/3/5 × 10^k metres not above ``max_m`` (Leaflet's scale control rounding)."""
    if max_m <= 0:
        return 0.0
    p = 10 ** math.floor(math.log10(max_m))
    return next(f * p for f in (10, 5, 3, 2, 1) if f * p <= max_m * (1 + 1e-9))


def ground_m_per_merc(extent: tuple[float, float, float, float]) -> float:
    """Ground metres per Web-Mercator unit along the map's horizontal centre line (measured in GK)."""
    x0, y0, x1, y1 = extent
    cy = (y0 + y1) / 2
    inv = transformer(3857, EPSG_CGCS2000)
    (la, lb), (pa, pb) = inv.transform([x0, x1], [cy, cy])
    gk = local_gk_crs(((la + lb) / 2, pa))
    fwd = transformer(EPSG_CGCS2000, gk.to_epsg())
    ex, ny = fwd.transform([la, lb], [pa, pb])
    return float(math.hypot(ex[1] - ex[0], ny[1] - ny[0]) / (x1 - x0))


def _fmt_len(m: float) -> str:
    return f"{m / 1000:g} km" if m >= 1000 else f"{m:g} m"


def draw_scale_bar(ax: Any, extent: tuple[float, float, float, float], width_mm: float, max_mm: float = 45.0) -> float:
    """Scale bar at the lower left of the map (Leaflet-like); returns its length in metres."""
    x0, y0, x1, y1 = extent
    m_per_unit = ground_m_per_merc(extent)
    mm_per_unit = width_mm / (x1 - x0)
    length = nice_length(min(width_mm * 0.3, max_mm) / mm_per_unit * m_per_unit)
    frac = length / m_per_unit / (x1 - x0)
    mm = 1.0 / width_mm
    left, bottom, h = 4 * mm, 4 * mm * ax.bbox.width / ax.bbox.height, 4.2 * mm * ax.bbox.width / ax.bbox.height
    from matplotlib.patches import Rectangle

    ax.add_patch(Rectangle((left, bottom), frac, h, transform=ax.transAxes, facecolor=(1, 1, 1, 0.8),
                           edgecolor="none", zorder=6))
    ax.plot([left, left, left + frac, left + frac], [bottom + h, bottom, bottom, bottom + h], transform=ax.transAxes,
            color="#222", linewidth=1.4, zorder=7, solid_joinstyle="miter")
    ax.text(left + 1.2 * mm, bottom + h / 2, _fmt_len(length), transform=ax.transAxes, fontsize=8, va="center",
            ha="left", color="#222", zorder=7)
    return length


def draw_north_arrow(ax: Any, width_mm: float, height_mm: float, lang: str) -> None:
    """North arrow (half-filled triangle and 北/N) in the top-right corner of the map."""
    from matplotlib.patches import Polygon as MPoly

    sx, sy = 1 / width_mm, 1 / height_mm
    # 9 × 13.5 mm box 4 mm from the corner; SVG viewBox 40 × 60
    ox, oy, w, h = 1 - (4 + 9) * sx, 1 - 4 * sy, 9 * sx, 13.5 * sy

    def pt(x: float, y: float) -> tuple[float, float]:
        return ox + x / 40 * w, oy - y / 60 * h

    ax.add_patch(MPoly([pt(20, 4), pt(33, 46), pt(20, 38)], closed=True, transform=ax.transAxes,
                       facecolor="#222", edgecolor="#222", linewidth=0.9, zorder=8))
    ax.add_patch(MPoly([pt(20, 4), pt(7, 46), pt(20, 38)], closed=True, transform=ax.transAxes,
                       facecolor="#fff", edgecolor="#222", linewidth=0.9, zorder=8))
    x, y = pt(20, 54)
    ax.text(x, y, "北" if lang == "zh" else "N", transform=ax.transAxes, ha="center", va="center", fontsize=10,
            fontweight="bold", color="#222", zorder=8)


def draw_labels_links(ax: Any, view: MapView, frames: Mapping[str, Any]) -> None:
    """County/prefecture labels and enclave links, as on the screen."""
    import matplotlib.patheffects as pe

    from layers.compose import plan_labels, plan_links

    t = transformer(EPSG_CGCS2000, 3857)
    for link in plan_links(view, frames):
        (xa, xb), (ya, yb) = t.transform([link.owner[1], link.host[1]], [link.owner[0], link.host[0]])
        ax.plot([xa, xb], [ya, yb], color="#6a3d9a", linewidth=2.5 * _PX_PT, linestyle=(0, (6, 4.5)), alpha=0.9,
                dash_capstyle="round", solid_capstyle="round", zorder=4)
        ax.scatter([xa], [ya], s=(8 * _PX_PT) ** 2, color="#6a3d9a", zorder=4)
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    halo = [pe.withStroke(linewidth=2.5, foreground="white")]
    for lb in plan_labels(view, frames):
        x, y = t.transform(lb.lon, lb.lat)
        if x0 <= x <= x1 and y0 <= y <= y1:
            ax.text(x, y, lb.text, fontsize=lb.size_px * _PX_PT, fontweight="bold", color="#333", ha="center",
                    va="center", path_effects=halo, zorder=5, clip_on=True)


def draw_map(ax: Any, view: MapView, frames: Mapping[str, Any], box_mm: tuple[float, float], *,
             scale_bar: bool = True, north: bool = True) -> tuple[float, float, float, float]:
    """Draw the planned layers of ``view`` on ``ax`` (Web Mercator); returns the extent."""
    from layers.compose import plan_layers, view_bounds

    extent = fit_extent(view_bounds(view, frames), box_mm[0] / box_mm[1])
    ax.set_xlim(extent[0], extent[2])
    ax.set_ylim(extent[1], extent[3])
    ax.set_aspect("auto")
    ax.set_facecolor(MAP_BACKGROUND)
    ax.set_xticks([])
    ax.set_yticks([])
    for sp in ax.spines.values():
        sp.set_linewidth(0.3 / 25.4 * 72)
        sp.set_edgecolor("#333")
    for layer in plan_layers(view, frames, clip=True):
        draw_layer(ax, layer, extent)
    draw_labels_links(ax, view, frames)
    if scale_bar:
        draw_scale_bar(ax, extent, box_mm[0])
    if north:
        draw_north_arrow(ax, box_mm[0], box_mm[1], view.lang)
    return extent


def text_width_mm(text: str, size_pt: float) -> float:
    """Rough printed width of ``text`` (CJK ≈ 1 em, Latin ≈ 0.55 em)."""
    em = size_pt / 72 * 25.4
    return sum(em if ord(ch) > 0x2E80 else 0.55 * em for ch in text)


_NO_LINE_START = set("，。；：、）》」』】！？,.;:)")


def wrap_text(text: str, width_mm: float, size_pt: float) -> list[str]:
    """Greedy wrap of mixed Chinese/Latin text to ``width_mm`` (breaks between words or CJK characters)."""
    lines: list[str] = []
    cur = ""
    tokens: list[str] = []
    word = ""
    for ch in text:
        if ch in _NO_LINE_START and (word or tokens):
            if word:
                word += ch
            else:
                tokens[-1] += ch
        elif ord(ch) > 0x2E80 or ch == " ":
            if word:
                tokens.append(word)
                word = ""
            tokens.append(ch)
        else:
            word += ch
    if word:
        tokens.append(word)
    for tok in tokens:
        if cur and text_width_mm(cur + tok, size_pt) > width_mm:
            lines.append(cur.rstrip())
            cur = tok.lstrip()
        else:
            cur += tok
    if cur.strip():
        lines.append(cur.rstrip())
    return lines


def _swatch(fig: Any, kind: str, color: str, x: float, y: float, page: PageSize) -> None:
    """A legend swatch at (x, y) mm (its vertical centre), like the HTML one."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Ellipse, Rectangle

    W, H = page.width_mm, page.height_mm

    def fx(v: float) -> float:
        return v / W

    def fy(v: float) -> float:
        return 1 - v / H

    if kind == "dot":
        fig.add_artist(Ellipse((fx(x + 1.5), fy(y)), 3 / W, 3 / H, transform=fig.transFigure,
                               facecolor=color, edgecolor="none"))
    elif kind == "fill":
        fig.add_artist(Rectangle((fx(x), fy(y + 1.6)), 4.5 / W, 3.2 / H, transform=fig.transFigure,
                                 facecolor=_rgba(color, 0.8), edgecolor=_rgba("#555", 0.8), linewidth=0.7))
    else:
        fig.add_artist(Line2D([fx(x), fx(x + 5)], [fy(y), fy(y)], transform=fig.transFigure, color=color,
                              linewidth=0.8 / 25.4 * 72, linestyle=(0, (4.5, 2.3)) if kind == "dash" else "solid"))


def draw_page_furniture(fig: Any, lay: PageLayout, text: PageText, tiles_note: str = "") -> None:
    """Title, date, legend panel, info lines, sources and notice (figure coordinates from mm)."""
    from matplotlib.lines import Line2D

    page = lay.page
    W, H = page.width_mm, page.height_mm

    def put(x: float, y: float, s: str, size: float, **kw: Any) -> None:
        fig.text(x / W, 1 - y / H, s, fontsize=size, transform=fig.transFigure, **kw)

    tb = lay.title
    put(tb.x, tb.y + tb.h - 1.6, text.title, 15, fontweight="bold", va="baseline", ha="left")
    put(tb.x + tb.w, tb.y + tb.h - 1.6, text.date, 9, va="baseline", ha="right")
    fig.add_artist(Line2D([tb.x / W, (tb.x + tb.w) / W], [1 - (tb.y + tb.h) / H] * 2, transform=fig.transFigure,
                          color="#333", linewidth=0.5 / 25.4 * 72))
    pb = lay.panel
    put(pb.x, pb.y + 4, text.legend_title, 10, fontweight="bold", va="baseline")
    cols = legend_columns(page)
    col_w = (pb.w - 4 * (cols - 1)) / cols
    per_col = math.ceil(len(text.legend) / cols) if text.legend else 0
    row_h = LEGEND_ROW_MM
    y_top = pb.y + 6.0
    for i, (kind, color, label) in enumerate(text.legend):
        c, r = (i // per_col, i % per_col) if per_col else (0, i)
        x, y = pb.x + c * (col_w + 4), y_top + r * row_h + row_h / 2
        _swatch(fig, kind, color, x, y, page)
        put(x + 6.5, y, label, 8.5, va="center_baseline")
    y = y_top + per_col * row_h + 2.5
    fig.add_artist(Line2D([pb.x / W, (pb.x + pb.w) / W], [1 - y / H] * 2, transform=fig.transFigure, color="#999",
                          linewidth=0.25 / 25.4 * 72))
    y += 1.5
    for line in text.info + ([tiles_note] if tiles_note else []):
        for sub in wrap_text(line, pb.w, 8.5):
            y += INFO_ROW_MM - 0.4
            if y > pb.y + pb.h:
                break
            put(pb.x, y, sub, 8.5, va="baseline", color="#333")
        y += 0.4
    fb = lay.footer
    fig.add_artist(Line2D([fb.x / W, (fb.x + fb.w) / W], [1 - fb.y / H] * 2, transform=fig.transFigure, color="#999",
                          linewidth=0.25 / 25.4 * 72))
    y = fb.y + 1.0
    for sub in wrap_text(text.sources, fb.w, 7.0):
        y += 3.1
        put(fb.x, y, sub, 7.0, va="baseline")
    for sub in wrap_text(text.notice, fb.w, 7.5) if text.notice else []:
        y += 3.4
        put(fb.x, y, sub, 7.5, va="baseline", color="#a50f15", fontweight="bold")


class _GlyphWatch(warnings.catch_warnings):
    """Collect matplotlib's "Glyph … missing from font(s)" warnings (tofu)."""

    def __init__(self) -> None:
        super().__init__(record=True)
        self.missing: list[str] = []

    def __enter__(self):  # type: ignore[override]
        self.log = super().__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, *exc: Any) -> None:
        super().__exit__(*exc)
        for w in self.log:
            msg = str(w.message)
            if "missing from" in msg and "Glyph" in msg:
                self.missing.append(msg)


def _save_png(fig: Any, dpi: int) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    return buf.getvalue()


def render_static(view: MapView, frames: Mapping[str, Any], page: PageSize | str = "A4L", dpi: int = 150, *,
                  date: str | None = None, proposal_name: str = "") -> Snapshot:
    """Render the map page of ``view`` with matplotlib (no browser).

    Same layers, styles, legend rows and layout as :func:`render_browser`.

    Raises
    ------
    ParkmapError
        ``code="font"`` when no CJK font is installed.
    """
    page = parse_page_size(page)
    dpi = check_dpi(dpi)
    size = page.pixels(dpi)
    fam = find_cjk_font()
    plt = _mpl()
    text = page_text(view, frames, date, proposal_name)
    lay = layout_for(page, text)
    tiles_note = ""
    if view.basemap != "none":
        tiles_note = f"{_l('basemap', view.lang)}: {_l('tiles_static', view.lang)}"
    import matplotlib

    with matplotlib.rc_context(_rc(fam)), _GlyphWatch() as watch:
        fig = plt.figure(figsize=(size[0] / dpi, size[1] / dpi), dpi=dpi)
        try:
            ax = fig.add_axes(lay.map.fig(page))
            draw_map(ax, view, frames, (lay.map.w, lay.map.h))
            draw_page_furniture(fig, lay, text, tiles_note)
            png = _save_png(fig, dpi)
        finally:
            plt.close(fig)
    return Snapshot(_exact_size(png, size), "static", size, {}, watch.missing)


def render_static_map(view: MapView, frames: Mapping[str, Any], width_mm: float, height_mm: float,
                      dpi: int = 200) -> bytes:
    """Just the map (layers, scale bar, north arrow, frame) as a PNG of ``width_mm`` × ``height_mm``."""
    fam = find_cjk_font()
    plt = _mpl()
    import matplotlib

    size = (round(width_mm / 25.4 * dpi), round(height_mm / 25.4 * dpi))
    with matplotlib.rc_context(_rc(fam)):
        fig = plt.figure(figsize=(size[0] / dpi, size[1] / dpi), dpi=dpi)
        try:
            ax = fig.add_axes((0, 0, 1, 1))
            draw_map(ax, view, frames, (width_mm, height_mm))
            png = _save_png(fig, dpi)
        finally:
            plt.close(fig)
    return _exact_size(png, size)


__all__ = [
    "CJK_FAMILIES", "CJK_FILES", "MAP_BACKGROUND", "draw_layer", "draw_labels_links", "draw_map", "draw_north_arrow",
    "draw_page_furniture", "draw_scale_bar", "find_cjk_font", "fit_extent", "font_file", "ground_m_per_merc",
    "nice_length", "render_static", "render_static_map", "text_width_mm", "wrap_text",
]
