"""Export file names: 区名_方案名_日期.ext, safe on Windows and Linux, Chinese kept."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from geo import clock
from geo.errors import ParkmapError
from geo.naming import clean_part, export_filename

WINDOWS_ILLEGAL = set('<>:"/\\|?*')


def test_the_planners_name():
    assert export_filename("成都高新区", "扩区方案", "pdf", date=dt.date(2026, 11, 29)) == "成都高新区_扩区方案_20261129.pdf"
    assert export_filename("成都高新区", "扩区方案", ".GeoJSON", date="2026-11-29") == "成都高新区_扩区方案_20261129.geojson"
    late = dt.datetime(2026, 11, 28, 17, 30, tzinfo=dt.timezone.utc)  # already the 29th in Beijing
    assert export_filename("甲", "乙", "png", date=late) == "甲_乙_20261129.png"
    assert export_filename("甲", "乙", "txt", date="20261129") == "甲_乙_20261129.txt"


def test_default_date_is_today_in_beijing(monkeypatch):
    fixed = dt.datetime(2026, 11, 28, 17, 30, tzinfo=dt.timezone.utc).astimezone(clock.SHANGHAI)
    monkeypatch.setattr(clock, "now", lambda: fixed)
    assert export_filename("成都高新区", "扩区方案", "pdf") == "成都高新区_扩区方案_20261129.pdf"


@pytest.mark.parametrize("zone, name, expected", [
    ("../x", "", "x_20261129.pdf"),
    ("a/b\\c:*?", "", "abc_20261129.pdf"),
    ("", "", "20261129.pdf"),
    ("..", "../../etc/passwd", "etcpasswd_20261129.pdf"),
    ("成都高新区", "  东区  一期 ", "成都高新区_东区-一期_20261129.pdf"),
    ("CON", "nul", "_CON__nul_20261129.pdf"),
    ("成都\x00高新\n区", "方案<1>|\"2\"", "成都高新区_方案12_20261129.pdf"),
    ("区_名", "方案", "区-名_方案_20261129.pdf"),
    (None, "扩区方案", "扩区方案_20261129.pdf"),
])
def test_hostile_names(zone, name, expected):
    out = export_filename(zone, name, "pdf", date="2026-11-29")
    assert out == expected
    assert not (set(out) & WINDOWS_ILLEGAL) and ".." not in out and not out.startswith((".", "-", " "))
    assert all(ord(ch) >= 32 for ch in out)


def test_long_names_are_cut_and_stay_under_255_bytes():
    out = export_filename("很" * 300, "长" * 300, "geojson", date="2026-11-29")
    assert len(out.encode("utf-8")) < 255 and out.endswith("_20261129.geojson")
    assert re.fullmatch(r"很{36}_长{36}_20261129\.geojson", out)
    assert clean_part(" .hidden. ") == "hidden"


@pytest.mark.parametrize("ext", ["", ".", "p/df", "../pdf", "toolongextension"])
def test_bad_extension_is_a_bilingual_error(ext):
    with pytest.raises(ParkmapError) as err:
        export_filename("甲", "乙", ext)
    assert "扩展名" in err.value.zh and "extension" in err.value.en


def test_bad_date_is_a_bilingual_error():
    with pytest.raises(ParkmapError) as err:
        export_filename("甲", "乙", "pdf", date="tomorrow")
    assert "日期" in err.value.zh and "date" in err.value.en
    with pytest.raises(ParkmapError):
        export_filename("甲", "乙", "pdf", date="2026-13-45")
