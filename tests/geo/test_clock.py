"""Every time geo/ writes is Beijing time with an explicit +08:00 offset."""

from __future__ import annotations

import datetime as dt
import importlib
import re
import shutil
import sys

import pytest
import shapely

from geo import clock
from geo.area import buffer_m

PLUS8 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+08:00$")


def test_now_iso_is_shanghai_time():
    text = clock.now_iso()
    assert PLUS8.match(text), text
    assert PLUS8.match(clock.now_iso("microseconds"))
    parsed = dt.datetime.fromisoformat(text)
    utc = dt.datetime.now(dt.timezone.utc)
    assert abs((parsed - utc).total_seconds()) < 5  # the same instant, shown at +08:00
    assert parsed.utcoffset() == dt.timedelta(hours=8)


def test_date_rolls_over_at_beijing_midnight():
    late_utc = dt.datetime(2026, 11, 28, 17, 30, tzinfo=dt.timezone.utc)  # 01:30 on the 29th in Beijing
    assert clock.to_shanghai(late_utc).date() == dt.date(2026, 11, 29)
    assert clock.to_shanghai(dt.datetime(2026, 11, 28, 15, 59)).date() == dt.date(2026, 11, 28)  # naive = UTC


def test_fixed_offset_fallback_without_tz_database(monkeypatch):
    monkeypatch.setitem(sys.modules, "zoneinfo", None)  # `from zoneinfo import ...` now fails
    try:
        fallback = importlib.reload(clock)
        assert fallback.SHANGHAI.utcoffset(None) == dt.timedelta(hours=8)
        assert fallback.now_iso().endswith("+08:00")
    finally:
        monkeypatch.undo()
        importlib.reload(clock)
    assert type(clock.SHANGHAI).__name__ == "ZoneInfo"


def test_check_override_and_workspace_times(tmp_path):
    from geo.check import Proposal, apply_override, check_proposal, default_index
    from geo.workspace import Workspace

    geom = buffer_m(shapely.Point(104.06, 30.60), 300)
    res = check_proposal(Proposal(geom, "G511040", name="时间测试"), default_index())
    assert PLUS8.match(res.checked_at) and res.to_dict()["checked_at"] == res.checked_at
    over = apply_override(res, "contiguity", "pass", "测试")
    assert PLUS8.match(over.rule("contiguity").overridden_at)
    ws = Workspace(tmp_path)
    pid = ws.save_proposal("时间测试", geom, "G511040")
    cid = ws.save_check(pid, res)
    ws.soft_delete(pid)
    p = ws.get_proposal(pid)
    assert PLUS8.match(p.created_at) and PLUS8.match(p.deleted_at)
    assert PLUS8.match(ws.get_check(cid).created_at)
    assert all(PLUS8.match(a) for a in ws.events()["at"])


def test_export_dates_are_beijing_dates(monkeypatch):
    from layers import export
    from geo.io.jzd_txt import format_jzd_text

    fixed = dt.datetime(2026, 11, 28, 17, 30, tzinfo=dt.timezone.utc).astimezone(clock.SHANGHAI)
    monkeypatch.setattr(clock, "now", lambda: fixed)
    assert export.today() == "2026-11-29"
    import geopandas as gpd

    gdf = gpd.GeoDataFrame({"name": ["a"]}, geometry=[buffer_m(shapely.Point(104.06, 30.6), 200)], crs=4490)
    assert "数据产生日期=2026-11-29" in format_jzd_text(gdf)


@pytest.mark.skipif(shutil.which("pdfinfo") is None, reason="pdfinfo not on PATH (poppler-utils; scripts/install-system.sh installs it)")
def test_pdf_creation_dates_are_plus_8(tmp_path):
    from layers.export import png_to_pdf

    from PIL import Image
    import io

    buf = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(buf, format="PNG")
    path = tmp_path / "m.pdf"
    path.write_bytes(png_to_pdf(buf.getvalue(), "A4L"))
    raw = path.read_bytes()
    assert re.search(rb"/CreationDate \(D:\d{14}\+08'00'\)", raw), raw[-600:]
