"""Map pages: paper sizes, resolution, the page layout and the words on a page (shared by both renderers).

* :class:`PageSize`, :func:`parse_page_size`, :func:`check_dpi`: page sizes
  ``A4L``/``A4P``/``A3L``/``A3P`` (mm: A4 210×297, A3 297×420); pixel size =
  mm / 25.4 × dpi (A4L at 150 dpi = 1754 × 1240).
* :class:`Box`, :class:`PageLayout`, :func:`page_layout`, :func:`layout_for`:
  where title, map, legend panel and footer sit on a page (mm).
* :class:`PageText`, :func:`page_text`, :func:`sources_line`,
  :func:`default_title`, :func:`today`: title and date, legend rows, info
  lines, data sources and the illustrative-data notice.
* :class:`Snapshot` (a rendered page) and :func:`png_to_pdf` (a PNG placed
  full-page in a one-page PDF).

No Streamlit, no browser, no matplotlib figure here.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from geo import clock
from geo.area import geodesic_area_m2
from geo.errors import ParkmapError
from geo.units import fmt_area

if TYPE_CHECKING:  # pragma: no cover
    from layers.compose import MapView

#: Paper sizes in mm (width, height) in portrait.
PAPER_MM: dict[str, tuple[float, float]] = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}
DPI_CHOICES: tuple[int, ...] = (150, 300)


# ==========================================================================
# pages
# ==========================================================================
@dataclass(frozen=True)
class PageSize:
    """A paper size and orientation.

    Attributes
    ----------
    name : str
        ``A4L``, ``A4P``, ``A3L`` or ``A3P``.
    width_mm, height_mm : float
    """

    name: str
    width_mm: float
    height_mm: float

    @property
    def landscape(self) -> bool:
        return self.width_mm > self.height_mm

    def pixels(self, dpi: int) -> tuple[int, int]:
        """Pixel size at ``dpi``: ``round(mm / 25.4 × dpi)`` per side."""
        return round(self.width_mm / 25.4 * dpi), round(self.height_mm / 25.4 * dpi)


def parse_page_size(value: str | PageSize) -> PageSize:
    """``"A4L"``/``"a4p"``/``"A3-landscape"``/``"A4"`` (portrait) → :class:`PageSize`.

    Raises
    ------
    ParkmapError
        Unknown paper or orientation.
    """
    if isinstance(value, PageSize):
        return value
    text = str(value).strip().upper().replace("-", "").replace("_", "").replace(" ", "")
    text = text.replace("LANDSCAPE", "L").replace("PORTRAIT", "P")
    paper, orient = text[:2], text[2:] or "P"
    if paper not in PAPER_MM or orient not in ("L", "P"):
        raise ParkmapError(f"纸张大小应为 A4L、A4P、A3L 或 A3P，而不是 “{value}”",
                           f"The page size must be A4L, A4P, A3L or A3P, not '{value}'", code="usage")
    w, h = PAPER_MM[paper]
    if orient == "L":
        w, h = h, w
    return PageSize(paper + orient, w, h)


def check_dpi(dpi: Any) -> int:
    """Validate the resolution (72–600 dpi; 150 and 300 are the usual choices)."""
    try:
        value = int(dpi)
    except (TypeError, ValueError):
        value = -1
    if not 72 <= value <= 600:
        raise ParkmapError(f"分辨率应在 72–600 dpi 之间（常用 150 或 300），而不是 “{dpi}”",
                           f"The resolution must be 72–600 dpi (usually 150 or 300), not '{dpi}'", code="usage")
    return value


@dataclass(frozen=True)
class Box:
    """A rectangle on the page in mm from the top-left corner."""

    x: float
    y: float
    w: float
    h: float

    def css(self) -> str:
        return f"left:{self.x:.2f}mm;top:{self.y:.2f}mm;width:{self.w:.2f}mm;height:{self.h:.2f}mm"

    def fig(self, page: PageSize) -> tuple[float, float, float, float]:
        """``[left, bottom, width, height]`` as figure fractions (matplotlib)."""
        return (self.x / page.width_mm, 1 - (self.y + self.h) / page.height_mm,
                self.w / page.width_mm, self.h / page.height_mm)


@dataclass(frozen=True)
class PageLayout:
    """Where title, map, legend panel and footer sit on a page (mm); both renderers use it."""

    page: PageSize
    title: Box
    map: Box
    panel: Box
    footer: Box


MARGIN_MM = 7.0
TITLE_MM = 12.0
FOOTER_MM = 14.0
GAP_MM = 3.0


def legend_columns(page: PageSize) -> int:
    """Legend columns: one in the side panel (landscape), three (A4) or four (A3) below the map (portrait)."""
    return 1 if page.landscape else (3 if page.width_mm < 250 else 4)


LEGEND_ROW_MM = 4.6
INFO_ROW_MM = 4.3


def page_layout(page: PageSize, legend_rows: int = 12, info_rows: int = 4) -> PageLayout:
    """Layout of ``page``: legend panel on the right (landscape) or below the map (portrait).

    In portrait the panel is as tall as ``legend_rows`` (in :func:`legend_columns`
    columns) and ``info_rows`` lines need, within 22–45 % of the page.
    """
    m, w, h = MARGIN_MM, page.width_mm, page.height_mm
    title = Box(m, m, w - 2 * m, TITLE_MM)
    footer = Box(m, h - m - FOOTER_MM, w - 2 * m, FOOTER_MM)
    top = title.y + title.h + GAP_MM
    bottom = footer.y - GAP_MM
    if page.landscape:
        pw = 62.0 if w < 400 else 74.0
        panel = Box(w - m - pw, top, pw, bottom - top)
        mapbox = Box(m, top, w - 2 * m - pw - GAP_MM, bottom - top)
    else:
        rows = math.ceil(legend_rows / legend_columns(page))
        need = 8.0 + rows * LEGEND_ROW_MM + 5.0 + info_rows * INFO_ROW_MM + 2.0
        ph = min(max(need, 0.22 * h), 0.45 * h)
        panel = Box(m, bottom - ph, w - 2 * m, ph)
        mapbox = Box(m, top, w - 2 * m, bottom - ph - GAP_MM - top)
    return PageLayout(page, title, mapbox, panel, footer)


def layout_for(page: PageSize, text: PageText) -> PageLayout:
    """:func:`page_layout` sized for the legend and info lines of ``text``."""
    return page_layout(page, len(text.legend), len(text.info) + 1)


# ==========================================================================
# page texts (shared by both renderers)
# ==========================================================================
@dataclass
class PageText:
    """The words on a map page.

    Attributes
    ----------
    title, date : str
    legend : list of (kind, colour, label)
    info : list of str
        Lines under the legend (zone, proposal, CRS, basemap).
    sources : str
        Data sources line.
    notice : str
        Illustrative-data notice ("" when no illustrative layer is shown).
    """

    title: str
    date: str
    legend: list[tuple[str, str, str]]
    info: list[str]
    sources: str
    notice: str
    legend_title: str = "图例"
    tiles_note: str = ""


_L = {
    "title": ("四川开发区规划地图", "Sichuan development zones"),
    "date": ("制图日期", "Map date"),
    "sources": ("数据来源", "Data sources"),
    "crs": ("坐标系：CGCS2000（EPSG:4490），Web 墨卡托显示", "CRS: CGCS2000 (EPSG:4490), shown in Web Mercator"),
    "basemap": ("底图", "Basemap"),
    "zone": ("开发区", "Zone"),
    "proposal": ("方案", "Proposal"),
    "area": ("面积", "Area"),
    "tiles_off": ("底图服务不可达，未显示底图", "basemap tiles unreachable; drawn without tiles"),
    "tiles_static": ("静态渲染不绘制底图瓦片", "static renderer: basemap tiles not drawn"),
    "no_key": ("未配置天地图密钥，未显示底图", "no Tianditu key; drawn without tiles"),
    "illustrative": ("示意", "illustrative"),
}


def _l(key: str, lang: str) -> str:
    zh, en = _L[key]
    return en if lang == "en" else zh


def today() -> str:
    """Today's date in Beijing time (Asia/Shanghai) as ``YYYY-MM-DD``."""
    return clock.today().isoformat()


def _basemap_label(basemap: str, lang: str) -> str:
    from layers.i18n import t

    return t(f"basemap_{basemap.replace('tianditu', 'tdt')}", lang)


def sources_line(view: MapView, frames: Mapping[str, Any]) -> str:
    """Data sources of the visible layers (from the ``layer_sources`` table) and the basemap."""
    from geo.controls import control_layers
    from layers.render import BASEMAPS
    from layers.specs import SPEC_BY_ID

    lang = view.lang
    layers = [a for a in view.active if a in SPEC_BY_ID]
    if view.proposal is not None or view.overlaps:  # the layers it was checked against
        layers += [k for k in control_layers() if k in SPEC_BY_ID] + ["parks"]
    if "parks" in layers or "zones" in layers:
        layers += ["zones"]
    table = frames.get("layer_sources")
    src: dict[str, str] = {}
    if table is not None and "layer" in table.columns:
        src = {str(r["layer"]): str(r["source"]) for _, r in table.iterrows()}
    groups: dict[str, list[str]] = {}
    for lid in dict.fromkeys(layers):
        spec = SPEC_BY_ID.get(lid)
        title = spec.title(lang) if spec else lid
        groups.setdefault(src.get(lid, "parkmap"), []).append(title)
    parts = [f"{'、'.join(titles) if lang == 'zh' else ', '.join(titles)}: {s}" for s, titles in groups.items()]
    info = BASEMAPS.get(view.basemap, {})
    if info.get("tiles"):
        parts.append(f"{_l('basemap', lang)}: {info.get('attr', view.basemap)}")
    sep = "；" if lang == "zh" else "; "
    return f"{_l('sources', lang)}{'：' if lang == 'zh' else ': '}" + sep.join(parts)


def default_title(view: MapView, frames: Mapping[str, Any]) -> str:
    """``view.title`` or 四川开发区规划地图 · <zone short name>."""
    if view.title:
        return view.title
    title = _l("title", view.lang)
    if view.highlighted:
        z = frames["zones"]
        hit = z.loc[z["zone_id"] == view.highlighted, "short_name"]
        if len(hit):
            title += f" · {hit.iloc[0]}"
    return title


def page_text(view: MapView, frames: Mapping[str, Any], date: str | None = None,
              proposal_name: str = "") -> PageText:
    """Everything written on a map page for ``view``."""
    from layers.compose import plan_legend, shows_illustrative
    from layers.i18n import t

    lang = view.lang
    info: list[str] = []
    if view.highlighted:
        z = frames["zones"]
        hit = z[z["zone_id"] == view.highlighted]
        if len(hit):
            info.append(f"{_l('zone', lang)}: {hit['name'].iloc[0]} ({view.highlighted})")
    if view.proposal is not None and not view.proposal.is_empty:
        a = geodesic_area_m2(view.proposal)
        label = f"{_l('proposal', lang)}: {proposal_name}" if proposal_name else _l("proposal", lang)
        info.append(f"{label} — {_l('area', lang)} {fmt_area(a, lang)}")
    info.append(f"{_l('basemap', lang)}: {_basemap_label(view.basemap, lang)}")
    info.append(_l("crs", lang))
    return PageText(
        title=default_title(view, frames),
        date=f"{_l('date', lang)}{'：' if lang == 'zh' else ': '}{date or today()}",
        legend=plan_legend(view, frames),
        info=info,
        sources=sources_line(view, frames),
        notice=t("illustrative_notice", lang) if shows_illustrative(view) else "",
        legend_title=t("legend", lang),
    )



@dataclass
class Snapshot:
    """A rendered map page.

    Attributes
    ----------
    png : bytes
    renderer : {"browser", "static"}
    size : (width, height) in pixels
    tiles : dict
        Browser: tile layers / loaded / errors counts; static: ``{}``.
    missing_glyphs : list of str
        Characters the static renderer's fonts lack (should be empty: no tofu).
    """

    png: bytes
    renderer: str
    size: tuple[int, int]
    tiles: dict[str, int] = field(default_factory=dict)
    missing_glyphs: list[str] = field(default_factory=list)


def _exact_size(png: bytes, size: tuple[int, int]) -> bytes:
    """Crop (or pad with white) ``png`` to exactly ``size`` pixels."""
    from PIL import Image

    img = Image.open(io.BytesIO(png))
    if img.size == size and img.mode == "RGB":
        return png
    out = Image.new("RGB", size, "white")
    out.paste(img.convert("RGB").crop((0, 0, min(size[0], img.width), min(size[1], img.height))), (0, 0))
    buf = io.BytesIO()
    out.save(buf, format="PNG", optimize=False)
    return buf.getvalue()



def png_to_pdf(png: bytes, page: PageSize | str, *, title: str = "") -> bytes:
    """One-page PDF of ``page``'s size with ``png`` filling it."""
    from fpdf import FPDF

    page = parse_page_size(page)
    pdf = FPDF(orientation="L" if page.landscape else "P", unit="mm",
               format=(min(page.width_mm, page.height_mm), max(page.width_mm, page.height_mm)))
    pdf.set_creator("parkmap")
    if title:
        pdf.set_title(title)
    pdf.set_creation_date(clock.now())
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.image(io.BytesIO(png), x=0, y=0, w=page.width_mm, h=page.height_mm)
    return bytes(pdf.output())


__all__ = [
    "DPI_CHOICES", "PAPER_MM", "Box", "PageLayout", "PageSize", "PageText", "Snapshot", "check_dpi", "default_title",
    "layout_for", "legend_columns", "page_layout", "page_text", "parse_page_size", "png_to_pdf", "sources_line",
    "today",
]
