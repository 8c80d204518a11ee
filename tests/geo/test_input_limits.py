"""Input limits (issue 9): regular files only, bounded reads, feature/vertex caps, cleanup of
extraction folders, compact numbers, messages that name the user's file, safe upload names,
escaped snapshot titles."""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from shapely.geometry import box

from tests.geo import geo_builders as gb
from layers import cli
from geo.errors import ParkmapError
from geo.io import guard
from geo.io.archive import EXTRACT_PREFIX, ReadLimits, extraction_dir, safe_extract_zip, sweep_stale_extractions
from geo.io.read import read_vector
from geo.limits import (
    DEFAULT_MAX_FEATURES,
    DEFAULT_MAX_VERTICES,
    ENV_MAX_FEATURES,
    ENV_MAX_LAYER_FEATURES,
    ENV_MAX_VERTICES,
    CountCaps,
    env_int,
    layer_caps,
    proposal_caps,
)
from geo.units import fmt_area, fmt_number, fmt_pct, fmt_power, fmt_value

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX only (FIFOs, /dev/zero)")

LONG_DIGITS = re.compile(r"\d{30,}")  # what 1e308 printed with a fixed format looks like
ZONE = "G511040"


def bilingual_line(text: str) -> str:
    """The single line of a CLI error: Chinese, " / ", English, and a [hint]."""
    lines = text.strip("\n").split("\n")
    assert len(lines) == 1, text
    line = lines[0]
    assert "Traceback" not in line and " / " in line and line.endswith("]"), line
    assert re.search(r"[\u4e00-\u9fff]", line.split(" / ", 1)[0]), line  # Chinese first
    return line


def run_cli_timed(*args: str, env: dict[str, str] | None = None, timeout: float = 20) -> subprocess.CompletedProcess:
    """``python -m layers ARGS`` in a subprocess; a hang fails the test (TimeoutExpired) instead of hanging CI."""
    full = dict(os.environ, PYTHONIOENCODING="utf-8", **(env or {}))  # geo comes from the install
    return subprocess.run([sys.executable, "-m", "layers", *args], cwd=gb.REPO_ROOT, env=full, capture_output=True,
                          text=True, encoding="utf-8", timeout=timeout)


def make_fifo(path: Path) -> Path:
    """A FIFO with a watchdog: should anything wrongly open it for reading, it gets EOF after 5 s instead of hanging."""
    os.mkfifo(path)
    fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)  # on Linux O_RDWR never blocks; keeps a writer present
    timer = threading.Timer(5.0, lambda: os.close(fd))
    timer.daemon = True
    timer.start()
    return path


def parcel_file(tmp_path: Path, name: str) -> Path:
    """The two Chengdu parcels written in the format given by ``name``'s suffix."""
    gdf = gb.parcel_gdf()
    path = tmp_path / name
    suffix = path.suffix
    if suffix == ".shp":
        return gb.write_shapefile(gdf, path)
    if suffix == ".zip":
        shp = gb.write_shapefile(gdf, tmp_path / f"{path.stem}.shp")
        return gb.zip_files(path, gb.shapefile_parts(shp))
    if suffix == ".kml":
        return gb.write_text(path, gb.kml_text())
    if suffix == ".txt":
        return gb.write_text(path, gb.jzd_text())
    gdf.to_file(path, engine="pyogrio")
    return path


# ----------------------------------------------------------------------------- regular files only
@pytest.mark.parametrize("command", ["inspect", "check"])
@pytest.mark.parametrize("kind", ["dev-zero-link", "fifo"])
def test_cli_refuses_device_link_and_fifo_at_once(tmp_path, command, kind):
    if kind == "fifo":
        path = make_fifo(tmp_path / "y.geojson")
    else:
        path = tmp_path / "x.geojson"
        path.symlink_to("/dev/zero")
    extra = ["--zone", ZONE] if command == "check" else []
    started = time.monotonic()
    proc = run_cli_timed(command, str(path), *extra)
    assert time.monotonic() - started < 20
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    line = bilingual_line(proc.stderr)
    assert path.name in line and "not a regular file" in line
    assert ("FIFO" in line) if kind == "fifo" else ("character device" in line and "/dev/zero" in line)
    assert "不要用设备、管道" in line  # says what to do instead


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", ["a.geojson", "a.kml", "a.txt", "a.zip", "a.kmz", "a.gpkg", "a.shp"])
def test_read_vector_refuses_special_files_without_opening_them(tmp_path, name):
    fifo = make_fifo(tmp_path / name)
    with pytest.raises(ParkmapError) as ei:
        read_vector(fifo)
    assert ei.value.code == "not-regular" and name in str(ei.value)
    link = tmp_path / f"zero-{name}"
    link.symlink_to("/dev/zero")
    with pytest.raises(ParkmapError) as ei:
        read_vector(link)
    assert ei.value.code == "not-regular"
    folder = tmp_path / f"dir-{name}"
    folder.mkdir()
    with pytest.raises(ParkmapError) as ei:
        read_vector(folder)
    assert ei.value.code == "not-found" and "folder" in ei.value.en


@pytest.mark.timeout(60)
@pytest.mark.parametrize("sidecar", [".dbf", ".shx", ".prj", ".cpg"])
def test_shapefile_sidecar_fifo_is_refused(tmp_path, sidecar):
    shp = parcel_file(tmp_path, "p.shp")
    part = shp.with_suffix(sidecar)
    part.unlink(missing_ok=True)
    make_fifo(part)
    with pytest.raises(ParkmapError) as ei:
        read_vector(shp)
    assert ei.value.code == "not-regular" and part.name in str(ei.value)


@pytest.mark.timeout(60)
def test_gpkg_wal_fifo_is_refused(tmp_path):
    gpkg = parcel_file(tmp_path, "p.gpkg")
    make_fifo(tmp_path / "p.gpkg-wal")
    with pytest.raises(ParkmapError) as ei:
        read_vector(gpkg)
    assert ei.value.code == "not-regular" and "p.gpkg-wal" in str(ei.value)


def test_bounded_reads(tmp_path):
    f = tmp_path / "a.bin"
    f.write_bytes(b"x" * 100)
    assert guard.read_bytes_capped(f, 100) == b"x" * 100
    assert guard.read_head(f, 10) == b"x" * 10
    with pytest.raises(ParkmapError) as ei:
        guard.read_bytes_capped(f, 99)
    assert ei.value.code == "too-large"
    proc_file = Path("/proc/self/status")  # a regular file whose stat size (0) is wrong
    if proc_file.exists():
        assert proc_file.stat().st_size == 0
        with pytest.raises(ParkmapError) as ei:
            guard.read_bytes_capped(proc_file, 16)
        assert ei.value.code == "too-large"
    with pytest.raises(ParkmapError) as ei:
        guard.read_head("/dev/zero", 10)
    assert ei.value.code == "not-regular"


def test_official_layer_folder_refuses_special_file_named_like_a_layer(tmp_path):
    from geo.check import find_layer_files

    (tmp_path / "farmland.gpkg").symlink_to("/dev/zero")
    with pytest.raises(ParkmapError) as ei:
        find_layer_files(tmp_path)
    assert ei.value.code == "not-regular" and "farmland.gpkg" in ei.value.zh and "farmland.gpkg" in ei.value.en
    (tmp_path / "farmland.gpkg").unlink()
    (tmp_path / "rivers.shp").mkdir()  # a folder named like a layer file is not silently skipped either
    with pytest.raises(ParkmapError) as ei:
        find_layer_files(tmp_path)
    assert "rivers.shp" in ei.value.zh and "folder" in ei.value.en


# ----------------------------------------------------------------------------- caps
def test_env_caps_parsing():
    assert proposal_caps({}) == CountCaps(DEFAULT_MAX_FEATURES, DEFAULT_MAX_VERTICES)
    assert DEFAULT_MAX_FEATURES == 10_000 and DEFAULT_MAX_VERTICES == 2_000_000
    assert proposal_caps({ENV_MAX_FEATURES: "20_000", ENV_MAX_VERTICES: " 30000 "}).max_vertices == 30_000
    assert proposal_caps({ENV_MAX_FEATURES: "20_000"}).max_features == 20_000
    assert layer_caps({ENV_MAX_LAYER_FEATURES: "7"}).max_features == 7
    assert layer_caps({}).features_env == ENV_MAX_LAYER_FEATURES
    for bad in ("abc", "0", "-5", "1.5", "1e4"):
        with pytest.raises(ParkmapError) as ei:
            env_int(ENV_MAX_FEATURES, 10, {ENV_MAX_FEATURES: bad})
        assert ei.value.code == "config" and ENV_MAX_FEATURES in ei.value.en and ei.value.hint


def test_bad_env_value_is_one_clear_line(tmp_path, capsys, monkeypatch):
    path = parcel_file(tmp_path, "p.geojson")
    monkeypatch.setenv(ENV_MAX_VERTICES, "lots")
    assert cli.main(["inspect", str(path)]) == 2
    out, err = capsys.readouterr()
    line = bilingual_line(err)
    assert out == "" and f"{ENV_MAX_VERTICES}='lots'" in line and "positive whole number" in line


@pytest.mark.parametrize("name", ["p.gpkg", "p.geojson", "p.shp", "p.zip", "p.kml", "p.txt"])
def test_caps_from_environment_for_every_format(tmp_path, monkeypatch, name):
    path = parcel_file(tmp_path, name)
    features = 2
    monkeypatch.setenv(ENV_MAX_FEATURES, str(features))
    assert len(read_vector(path).gdf) == features  # at the cap: accepted
    monkeypatch.setenv(ENV_MAX_FEATURES, str(features - 1))
    with pytest.raises(ParkmapError) as ei:
        read_vector(path)
    err = ei.value
    assert err.code == "too-many-features"
    assert f"{features} features, more than the limit of {features - 1}" in err.en and ENV_MAX_FEATURES in err.hint
    monkeypatch.delenv(ENV_MAX_FEATURES)
    monkeypatch.setenv(ENV_MAX_VERTICES, "9")
    with pytest.raises(ParkmapError) as ei:
        read_vector(path)
    assert ei.value.code == "too-many-vertices" and "limit of 9" in ei.value.en and ENV_MAX_VERTICES in ei.value.hint


def test_txt_counted_before_parsing(tmp_path, monkeypatch):
    import geo.io.jzd_txt as jzd

    path = parcel_file(tmp_path, "p.txt")

    def must_not_run(*args, **kwargs):
        raise AssertionError("the TXT was parsed before its parcels and points were counted")

    monkeypatch.setattr(jzd, "parse_jzd_text", must_not_run)
    monkeypatch.setenv(ENV_MAX_FEATURES, "1")
    with pytest.raises(ParkmapError) as ei:
        read_vector(path)
    assert ei.value.code == "too-many-features" and "2 features" in ei.value.en
    monkeypatch.setenv(ENV_MAX_FEATURES, "2")
    monkeypatch.setenv(ENV_MAX_VERTICES, "14")  # 10 + 5 point lines
    with pytest.raises(ParkmapError) as ei:
        read_vector(path)
    assert ei.value.code == "too-many-vertices" and "15 vertices" in ei.value.en


def _many_features_geojson(path: Path, n: int) -> Path:
    x0, y0 = gb.LON0, gb.LAT0
    feats = [{"type": "Feature", "properties": {"i": i}, "geometry": box(x0 + i * 1e-5, y0, x0 + i * 1e-5 + 5e-6,
                                                                       y0 + 5e-6).__geo_interface__}
             for i in range(n)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")
    return path


def test_fifty_thousand_features_refused_before_reading_geometries(tmp_path, monkeypatch):
    import pyogrio

    path = _many_features_geojson(tmp_path / "many.geojson", 50_000)

    def must_not_run(*args, **kwargs):
        raise AssertionError("geometries were read before the feature count was checked")

    monkeypatch.setattr(pyogrio, "read_dataframe", must_not_run)
    started = time.monotonic()
    with pytest.raises(ParkmapError) as ei:
        read_vector(path)
    assert time.monotonic() - started < 15
    err = ei.value
    assert err.code == "too-many-features"
    assert "50,000" in err.en and "10,000" in err.en and "many.geojson" in err.en and ENV_MAX_FEATURES in err.hint


def test_official_layers_have_their_own_larger_caps(tmp_path, monkeypatch):
    from geo.check import read_control_layer

    layer = parcel_file(tmp_path, "farmland.gpkg")
    monkeypatch.setenv(ENV_MAX_FEATURES, "1")  # a proposal cap does not apply to official layers
    assert len(read_control_layer("farmland", layer).gdf) == 2
    monkeypatch.setenv(ENV_MAX_LAYER_FEATURES, "1")
    with pytest.raises(ParkmapError) as ei:
        read_control_layer("farmland", layer)
    assert ei.value.code == "too-many-features" and ENV_MAX_LAYER_FEATURES in ei.value.hint
    assert "farmland.gpkg" in ei.value.zh and "farmland.gpkg" in ei.value.en


# ----------------------------------------------------------------------------- cleanup
@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """tempfile.gettempdir() → a fresh folder, so the sweep sees only this test's folders."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _extraction_folders(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.startswith(EXTRACT_PREFIX))


def test_extraction_folder_removed_after_an_error(tmp_path, private_tmp):
    shp = parcel_file(tmp_path, "r.shp")
    z = gb.zip_files(tmp_path / "r.zip", [p for p in gb.shapefile_parts(shp) if p.suffix != ".shx"])
    with pytest.raises(ParkmapError):
        read_vector(z)
    kmz = tmp_path / "bad.kmz"
    with zipfile.ZipFile(kmz, "w") as zf:
        zf.writestr("doc.kml", "<kml><Placemark>")
    with pytest.raises(ParkmapError):
        read_vector(kmz)
    with pytest.raises(RuntimeError), extraction_dir("zip") as root:
        (root / "x.txt").write_text("x")
        raise RuntimeError("boom")
    assert _extraction_folders(private_tmp) == []
    assert len(read_vector(parcel_file(tmp_path, "ok.zip")).gdf) == 2
    assert _extraction_folders(private_tmp) == []


def test_folders_of_a_killed_process_are_swept_at_the_next_extraction(tmp_path, private_tmp):
    code = ("import os, signal\nfrom geo.io.archive import extraction_dir\n"
            "with extraction_dir('zip') as root:\n    (root / 'half.shp').write_bytes(b'x')\n"
            "    os.kill(os.getpid(), signal.SIGKILL)\n")
    env = dict(os.environ, TMPDIR=str(private_tmp))
    proc = subprocess.run([sys.executable, "-c", code], env=env, timeout=60, capture_output=True)
    assert proc.returncode == -signal.SIGKILL
    (left,) = _extraction_folders(private_tmp)
    assert (left / "half.shp").exists()
    dead_pid = int(left.name[len(EXTRACT_PREFIX):].split("-", 1)[0])
    assert dead_pid != os.getpid()
    young = private_tmp / f"{EXTRACT_PREFIX}{dead_pid}-zip-young"  # same dead process, but recent: kept
    mine = private_tmp / f"{EXTRACT_PREFIX}{os.getpid()}-zip-live"  # an old folder of a live process: kept
    other = private_tmp / "someone-elses-folder"
    for d in (young, mine, other):
        d.mkdir()
    hours_ago = time.time() - 2 * 3600
    for d in (left, mine, other):
        os.utime(d, (hours_ago, hours_ago))
    assert len(read_vector(parcel_file(tmp_path, "ok.zip")).gdf) == 2  # the next extraction sweeps
    assert not left.exists()
    assert young.exists() and mine.exists() and other.exists()
    assert sweep_stale_extractions(max_age_s=0) == [young]


# ----------------------------------------------------------------------------- messages
def test_huge_values_are_compact():
    assert fmt_number(1e308) == "1×10³⁰⁸" and fmt_power(-2.5e30) == "-2.5×10³⁰"
    assert fmt_number(1.7976931348623157e308) == "1.8×10³⁰⁸" and fmt_number(9.999e40) == "1×10⁴¹"
    assert fmt_number(1e21) == "1,000,000,000,000,000,000,000"  # below 10²⁴ every digit is kept
    for text in (fmt_value(1e308, "m2"), fmt_value(1e308, "万元/亩", "en"), fmt_area(-1e300), fmt_pct(1e308),
                 fmt_value(1e308, "ratio"), fmt_value(1e308, "m")):
        assert not LONG_DIGITS.search(text) and not re.search(r"\d[eE][+-]?\d", text), text


def _attribute_1e308(tmp_path: Path) -> Path:
    doc = json.loads(gb.parcel_gdf().to_json())
    doc["features"][0]["properties"]["big"] = 1e308
    path = tmp_path / "big.geojson"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def _coordinate_1e308(tmp_path: Path, suffix: str) -> Path:
    if suffix == ".txt":
        text = gb.jzd_text().splitlines()
        i = next(k for k, line in enumerate(text) if line.startswith("J2,1,"))
        text[i] = "J2,1,3378123.456,1e308"
        return gb.write_text(tmp_path / "bigc.txt", "\n".join(text) + "\n")
    doc = json.loads(gb.parcel_gdf().to_json())
    doc["features"][0]["geometry"]["coordinates"][0][1] = [1e308, gb.LAT0]
    path = tmp_path / "bigc.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.mark.parametrize("command", ["inspect", "check"])
def test_1e308_never_printed_as_300_digits(tmp_path, capsys, command):
    extra = ["--zone", ZONE] if command == "check" else []
    code = cli.main([command, str(_attribute_1e308(tmp_path)), *extra])
    out, err = capsys.readouterr()
    assert code in (0, 1), err
    assert not LONG_DIGITS.search(out + err)
    if command == "inspect":
        assert "big=1e+308" in out
    for suffix in (".geojson", ".txt"):
        path = _coordinate_1e308(tmp_path, suffix)
        assert cli.main([command, str(path), *extra]) == 2
        out, err = capsys.readouterr()
        line = bilingual_line(err)
        assert not LONG_DIGITS.search(out + err), line
        assert "1×10³⁰⁸" in line and path.name in line and "absurd coordinates" in line


def test_missing_shx_names_the_users_file(tmp_path, private_tmp):
    shp = parcel_file(tmp_path, "r.shp")
    z = gb.zip_files(tmp_path / "r.zip", [p for p in gb.shapefile_parts(shp) if p.suffix != ".shx"])
    with pytest.raises(ParkmapError) as ei:
        read_vector(z)
    msg = str(ei.value)
    assert ei.value.code == "shapefile-incomplete" and "r.zip/r.shp" in msg and ".shx" in msg
    assert str(private_tmp) not in msg and EXTRACT_PREFIX not in msg and "/tmp" not in msg
    shp.with_suffix(".shx").unlink()
    with pytest.raises(ParkmapError) as ei:
        read_vector(shp)
    assert "'r.shp' is missing its .shx file" in ei.value.en


def test_library_errors_never_show_temporary_paths(tmp_path):
    z = tmp_path / "g.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("sub/g.geojson", "{ not json")
    with pytest.raises(ParkmapError) as ei:
        read_vector(z)
    msg = str(ei.value)
    assert ei.value.code == "unreadable" and "g.zip" in msg
    assert "/vsimem/" not in msg and EXTRACT_PREFIX not in msg and tempfile.gettempdir() not in msg


def test_garbage_prj_warns(tmp_path, capsys):
    shp = parcel_file(tmp_path, "q.shp")
    shp.with_suffix(".prj").write_text("hello garbage ~~ random text 坐标系", encoding="utf-8")
    res = read_vector(shp)
    assert len(res.gdf) == 2 and res.source_crs.epsg == 4490  # inferred from the lon/lat numbers
    (warning,) = [w for w in res.warnings if ".prj" in w]
    assert "q.prj" in warning and "not a valid CRS definition" in warning and "--crs" in warning
    assert not [w for w in read_vector(parcel_file(tmp_path, "good.shp")).warnings if ".prj" in w]
    assert not [w for w in read_vector(shp, crs=4490).warnings if ".prj" in w]  # --crs: the .prj is not used
    assert cli.main(["inspect", str(shp)]) == 0
    out, err = capsys.readouterr()
    assert "not a valid CRS definition" in out and "Traceback" not in out + err


def test_official_layer_errors_name_the_layer_file(tmp_path):
    from geo.check import read_control_layer

    import geopandas as gpd

    outside = gpd.GeoDataFrame({"name": ["a", "b"]}, geometry=[box(0, 0, 1, 1), box(2, 2, 3, 3)], crs=4490)
    far = tmp_path / "farmland.geojson"
    outside.to_file(far, engine="pyogrio")
    with pytest.raises(ParkmapError) as ei:
        read_control_layer("farmland", far)
    assert ei.value.zh.startswith("管控图层文件 farmland.geojson：") and "Control layer file farmland.geojson" in ei.value.en
    bad = gb.write_text(tmp_path / "eco_redline.geojson", "garbage{")
    with pytest.raises(ParkmapError) as ei:
        read_control_layer("eco_redline", bad)
    assert "eco_redline.geojson" in ei.value.zh and "eco_redline.geojson" in ei.value.en
    assert "/vsimem/" not in str(ei.value)


# ----------------------------------------------------------------------------- safe names
@pytest.mark.parametrize("name", [".", "..", "", "   ", "/", "///", "a/..", "....", "a\\..\\..", "dir/", "x\x00.shp",
                                  "\u0007.shp", "a" * 252 + ".shp"])
def test_unsafe_upload_names_are_refused(name):
    with pytest.raises(ParkmapError) as ei:
        guard.safe_upload_name(name)
    err = ei.value
    assert err.code == "bad-name" and "rename the file" in err.hint and "\x00" not in str(err)
    assert re.search(r"[\u4e00-\u9fff]", err.zh) and "not valid" in err.en


@pytest.mark.parametrize("name, expected", [("p.shp", "p.shp"), ("dir/p.shp", "p.shp"),
                                            ("C:\\Users\\张\\方案.geojson", "方案.geojson"), ("../../x.zip", "x.zip"),
                                            (".hidden.kml", ".hidden.kml")])
def test_upload_names_keep_only_the_file_name(name, expected):
    assert guard.safe_upload_name(name) == expected


# ----------------------------------------------------------------------------- escaping
class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.scripts: list[str] = []
        self.titles: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.stack.append(tag)
        if tag == "script":
            self.scripts.append("")

    def handle_endtag(self, tag):
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()

    def handle_data(self, data):
        if self.stack and self.stack[-1] == "script":
            self.scripts[-1] += data
        if self.stack and self.stack[-1] == "title":
            self.titles.append(data)


def test_snapshot_title_is_escaped_everywhere(tmp_path, capsys):
    title = "</title><script>alert(1)</script><img src=x onerror=alert(2)>"
    out = tmp_path / "m.html"
    assert cli.main(["snapshot", "--title", title, "--bbox", "103.9,30.5,104.2,30.8", "--layers", "zones",
                     "--out", str(out)]) == 0
    capsys.readouterr()
    page = out.read_text(encoding="utf-8")
    assert "<script>alert" not in page and "<img src=x" not in page
    parsed = _Collect()
    parsed.feed(page)
    assert "".join(parsed.titles) == title  # the page <title> shows the text as typed
    assert not [s for s in parsed.scripts if "alert(" in s]
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 2  # <title> and the info box


def test_guards_return_at_once_on_a_fifo():
    # the guards never open a FIFO: they return at once (a wrong open would wait for the 5 s watchdog)
    with tempfile.TemporaryDirectory() as d:
        fifo = make_fifo(Path(d) / "z.geojson")
        started = time.monotonic()
        with pytest.raises(ParkmapError):
            guard.require_regular_file(fifo)
        assert stat.S_ISFIFO(os.stat(fifo).st_mode) and time.monotonic() - started < 1
        with pytest.raises(ParkmapError):
            guard.read_bytes_capped(fifo, 10)
        assert time.monotonic() - started < 1


def test_check_coordinates_and_counts_helpers():
    caps = CountCaps(2, 10)
    guard.check_feature_count(2, caps, "a")
    guard.check_feature_count(-1, caps, "a")  # unknown to the driver: checked after reading
    with pytest.raises(ParkmapError):
        guard.check_feature_count(3, caps, "a")
    assert guard.check_vertex_count(np.array([box(0, 0, 1, 1), None], dtype=object), caps, "a") == 5
    guard.check_coordinates(np.array([[104.0, 30.0], [35_512_345.0, 3_378_123.0]]), "a")
    for bad in (1e10, float("inf"), -1e308):
        with pytest.raises(ParkmapError) as ei:
            guard.check_coordinates(np.array([[104.0, bad]]), "a")
        assert ei.value.code == "bad-coordinates"
    with pytest.raises(ParkmapError) as ei:
        guard.check_vertex_count(np.array([box(0, 0, 1, 1)] * 3, dtype=object), caps, "f.shp")
    assert "15 vertices" in ei.value.en and "f.shp" in ei.value.zh
    assert ReadLimits(caps=caps).count_caps() is caps
    assert ReadLimits().count_caps() == proposal_caps()  # None: the environment's caps
    with pytest.raises(ParkmapError) as ei:
        safe_extract_zip(Path("/dev/zero"), Path(tempfile.gettempdir()))
    assert ei.value.code == "not-regular"
