"""PDF check report (pdftotext / pdfinfo) and the ``parkmap report`` / ``parkmap snapshot`` commands."""

from __future__ import annotations

import re
import shutil
import subprocess

import geopandas as gpd
import pytest
from PIL import Image
from tests.geo.test_export_data import example_result

from layers import cli
from geo.check import apply_override
from layers.report import AuditInfo, build_report, fmt_area, fmt_value, report_for_saved
from geo.workspace import Workspace
from layers.compose import load_frames

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext not on PATH (poppler-utils; scripts/install-system.sh installs it)")


@pytest.fixture(scope="module")
def frames():
    return load_frames()


@pytest.fixture(scope="module")
def result():
    return example_result()


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("PARKMAP_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def pdf_pages(path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def test_formatting():
    assert fmt_value(0.975, "ratio") == "97.5%"
    assert fmt_value(897359.29, "m2") == "897,359.3 平方米（1,346.04 亩）"
    assert fmt_value(897359.29, "m2", "en") == "897,359.3 m² (1,346.04 mu)"
    assert fmt_value(None, "m") == "—"
    assert fmt_area(666.6666667) == "666.7 平方米（1.00 亩，0.0667 公顷）"


def test_chinese_report(tmp_path, result, frames):
    res = apply_override(result, "urban_boundary", "warn", "城镇开发边界调整已获批复（测试理由）")
    pdf = build_report(res, audit=AuditInfo(42, 7, "2026-11-23T10:00:00+00:00", "override", 41), frames=frames)
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf)
    assert 1 <= pdf_pages(path) <= 3
    text = pdf_text(path)
    flat = re.sub(r"\s+", "", text)
    assert "不符合" in text and "FAIL" in text  # the verdict
    for r in res.rules:
        assert r.name_zh in flat, r.id  # every rule, by its Chinese name
    assert "eco_redline" not in flat and "urban_boundary" not in flat  # no engineer's ids
    assert "城镇开发边界调整已获批复" in flat and "人工改判" in text  # override with its reason
    assert "42" in text and res.rules_hash in flat  # audit id and rules hash
    for info in res.layers.values():
        assert info["hash"] in flat  # layer hashes
    assert "示意数据" in text and "石棉工业园扩区方案A" in text
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    assert "CJK" in fonts and " yes yes yes " in fonts  # embedded, subset, with ToUnicode


def test_english_report(tmp_path, result, frames):
    path = tmp_path / "r.pdf"
    path.write_bytes(build_report(result, lang="en", frames=frames))
    text = pdf_text(path)
    assert "Verdict" in text and "FAIL" in text and "Rule by rule" in text and "No overrides." in text
    assert "not saved to the workspace" in text
    assert 1 <= pdf_pages(path) <= 3


def test_report_pages_render_and_are_not_blank(tmp_path, result, frames):
    path = tmp_path / "r.pdf"
    path.write_bytes(build_report(result, frames=frames))
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(path), str(tmp_path / "p")], check=True)
    pages = sorted(tmp_path.glob("p-*.png"))
    assert len(pages) == pdf_pages(path)
    import numpy as np

    a = np.asarray(Image.open(pages[0]).convert("RGB")).astype(int)
    red = int(((a[..., 0] > 170) & (a[..., 1] < 70) & (a[..., 2] < 70)).sum())
    assert red > 500  # the verdict bar is red for 不符合


def test_report_for_saved_proposal_uses_latest_check(home, result, frames):
    ws = Workspace()
    pid = ws.save_proposal(result.name, result.geometry, "S519119")
    cid = ws.save_check(pid, result)
    oid = ws.save_override(cid, "eco_redline", "warn", "测试改判")
    pdf = report_for_saved(ws, pid, frames=frames)
    path = home / "r.pdf"
    path.write_bytes(pdf)
    text = re.sub(r"\s+", "", pdf_text(path))
    assert f"审计记录编号（核查编号）{oid}" in text and "测试改判" in text
    with pytest.raises(Exception):
        report_for_saved(ws, 999)


# ------------------------------------------------------------------------------------------------ CLI


def run(capsys, *args):
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def proposal_file(tmp_path_factory, result):
    path = tmp_path_factory.mktemp("prop") / "prop.geojson"
    gpd.GeoDataFrame({"name": [result.name]}, geometry=[result.geometry], crs=4490).to_file(path)
    return path


def test_cli_report_file_saves_and_exports_data(capsys, home, tmp_path, proposal_file):
    out = tmp_path / "report.pdf"
    code, stdout, err = run(capsys, "report", proposal_file, "--zone", "s519119", "--out", out,
                            "--data", tmp_path / "p.kml", "--data", tmp_path / "p.txt", "--gk-zone", "34")
    assert code == 0, err
    assert "audit #1" in stdout and out.exists() and (tmp_path / "p.kml").exists()
    assert "带号=34" in (tmp_path / "p.txt").read_text(encoding="utf-8")
    assert Workspace().checks_for(1)
    code, stdout, err = run(capsys, "report", "1", "--out", tmp_path / "again.pdf", "--lang", "en")
    assert code == 0 and "audit #1" in stdout
    assert "FAIL" in pdf_text(tmp_path / "again.pdf")


@pytest.mark.parametrize("args", [
    ["report", "{file}", "--out", "{tmp}/r.pdf"],  # no --zone for a file
    ["report", "{file}", "--zone", "NOPE", "--out", "{tmp}/r.pdf"],
    ["report", "{file}", "--zone", "S519119", "--out", "{tmp}/r.png"],
    ["report", "{file}", "--zone", "S519119", "--out", "{tmp}/missing/r.pdf"],
    ["report", "77", "--out", "{tmp}/r.pdf"],
    ["report", "{tmp}/nope.geojson", "--zone", "S519119", "--out", "{tmp}/r.pdf"],
    ["report", "{file}", "--zone", "S519119", "--out", "{tmp}/r.pdf", "--data", "{tmp}/x.shp"],
    ["snapshot", "--out", "{tmp}/m.gif"],
    ["snapshot", "--bbox", "1,2,3", "--out", "{tmp}/m.png"],
    ["snapshot", "--zone", "NOPE", "--out", "{tmp}/m.png"],
    ["snapshot", "--layers", "roads", "--out", "{tmp}/m.png"],
    ["snapshot", "--size", "B5", "--out", "{tmp}/m.png"],
    ["snapshot", "--dpi", "10", "--out", "{tmp}/m.png"],
    ["snapshot", "--basemap", "bing", "--out", "{tmp}/m.png"],
    ["snapshot", "--regions", "atlantis", "--out", "{tmp}/m.png"],
])
def test_cli_bad_input_is_one_bilingual_line_exit_2(capsys, home, tmp_path, proposal_file, args):
    args = [a.format(file=proposal_file, tmp=tmp_path) for a in args]
    code, out, err = run(capsys, *args)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and " / " in lines[0], err
    assert not list(tmp_path.glob("r.*")) and not list(tmp_path.glob("m.*"))


def test_cli_snapshot_static_png_and_html(capsys, tmp_path):
    png = tmp_path / "m.png"
    code, out, err = run(capsys, "snapshot", "--zone", "S519119", "--renderer", "static", "--size", "A4P",
                         "--out", png)
    assert code == 0, err
    assert Image.open(png).size == (1240, 1754) and "static" in out
    html = tmp_path / "m.html"
    code, out, err = run(capsys, "snapshot", "--bbox", "103.5,30.3,104.5,31.0", "--layers", "counties,parks,zones",
                         "--out", html)
    assert code == 0, err
    assert "<html>" in html.read_text(encoding="utf-8")[:200] and not list(tmp_path.glob(".*.tmp"))


def test_cli_snapshot_pdf_with_proposal(capsys, home, tmp_path, proposal_file):
    pdf = tmp_path / "m.pdf"
    code, out, err = run(capsys, "snapshot", "--proposal", proposal_file, "--zone", "S519119", "--renderer", "static",
                         "--out", pdf)
    assert code == 0, err
    assert pdf_pages(pdf) == 1


def test_report_reads_in_chinese_with_document_citations_and_beijing_time(tmp_path, result, frames):
    from geo.units import fmt_area

    path = tmp_path / "r.pdf"
    path.write_bytes(build_report(result, frames=frames))
    flat = re.sub(r"\s+", "", pdf_text(path))
    for r in result.rules:
        assert r.name_zh in flat, r.id  # 生态保护红线, 城镇开发边界 …
    assert "《四川省开发区发展规划（2023—2027年）》第八章第一节" in flat
    assert "（川府发〔2021〕28号）" in flat
    assert "seeds/" not in flat and ".txt" not in flat and "L1674" not in flat  # no file names or line refs
    ub = result.rule("urban_boundary")
    assert ub.status == "fail" and ub.value > 0
    assert re.sub(r"\s+", "", fmt_area(ub.value)) in flat  # the area OUTSIDE the boundary is the figure shown
    assert "平方米" in flat and "亩" in flat and "m²" not in flat
    assert re.search(r"报告生成\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", flat)
    info = subprocess.run(["pdfinfo", "-isodates", str(path)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"CreationDate:\s+\S+\+08(:00)?", info), info


def test_cli_report_of_a_multi_parcel_file_has_one_verdict_and_a_parcel_table(capsys, home, tmp_path, result):
    import shapely.affinity

    from geo.area import buffer_m
    from geo.check import Proposal, check_proposal, default_index
    from layers.report import parcel_rows

    south = shapely.affinity.translate(buffer_m(result.geometry.centroid, 300), xoff=0.03)  # a separate second parcel
    parcels = [{"label": "北地块", "geometry": result.geometry}, {"label": "南地块", "geometry": south}]
    two = check_proposal(Proposal(None, "S519119", parcels=parcels), default_index())
    ids, rows = parcel_rows(two)
    assert ids == ["eco_redline", "farmland", "urban_boundary", "other_parks", "in_sichuan"]
    eco = ids.index("eco_redline") + 1
    assert rows[0][0] == pytest.approx(result.area_m2, rel=1e-6)  # area column
    assert rows[0][eco] == pytest.approx(result.rule("eco_redline").value, rel=1e-4)
    assert sum(r[eco] for r in rows) == pytest.approx(two.rule("eco_redline").value, rel=1e-4)
    assert parcel_rows(result) == ([], [])  # one parcel: no table

    path = tmp_path / "two.geojson"
    gpd.GeoDataFrame({"地块名称": ["北地块", "南地块"]}, geometry=[result.geometry, south], crs=4490).to_file(path)
    out = tmp_path / "two.pdf"
    code, stdout, err = run(capsys, "report", path, "--zone", "S519119", "--out", out, "--no-save")
    assert code == 0, err
    assert "verdict fail" in stdout  # one verdict for the file
    flat = re.sub(r"\s+", "", pdf_text(out))
    assert "分地块核查" in flat and "北地块" in flat and "南地块" in flat and "合计（方案）" in flat
    assert 1 <= pdf_pages(out) <= 4
    # --feature still picks one parcel: no parcel table.
    one = tmp_path / "one.pdf"
    code, _, err = run(capsys, "report", path, "--zone", "S519119", "--feature", "2", "--out", one, "--no-save")
    assert code == 0, err
    flat1 = re.sub(r"\s+", "", pdf_text(one))
    assert "分地块核查" not in flat1 and "南地块" in flat1
