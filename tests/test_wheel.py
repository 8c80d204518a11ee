"""A built wheel installs like a library and works from any directory (issue #10).

The wheel is built from this checkout without build isolation (offline, with
the test venv's setuptools), installed with ``--no-deps`` into a fresh venv
whose only other packages are this venv's (a ``.pth`` line; its editable
``parkmap`` hook is not run), then ``parkmap inspect`` and ``parkmap check``
run from a temporary folder.  They must import ``geo`` from the new venv and
find the GeoPackage, the rules and the map assets as package data.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import geopandas as gpd
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
    dist = tmp / "dist"
    # Build from a copy of the tracked files: setuptools writes build/ and *.egg-info next to the sources,
    # which must not be left in the checkout (and a stale build/ would leak old modules into the wheel).
    src = tmp / "src"
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.split(b"\0")
    for name in filter(None, (f.decode() for f in files)):
        target = src / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if (ROOT / name).is_file():
            shutil.copy2(ROOT / name, target)
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w",
                            str(dist), str(src)], capture_output=True, text=True, timeout=600, cwd=tmp)
    assert build.returncode == 0, build.stderr[-2000:]
    [wheel] = list(dist.glob("parkmap-*.whl"))
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    py = venv / "bin" / "python"
    site = Path(subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "_deps_from_test_venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    inst = subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
                          capture_output=True, text=True, timeout=600)
    assert inst.returncode == 0, inst.stderr[-2000:]
    return venv


def _run(venv: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PARKMAP_DATA", "PARKMAP_VENDOR_DIR")}
    env["PARKMAP_HOME"] = str(cwd / "home")
    return subprocess.run([str(venv / "bin" / "parkmap"), *args], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=600)


def test_the_wheel_carries_its_data_and_runs_from_anywhere(installed, tmp_path):
    probe = subprocess.run([str(installed / "bin" / "python"), "-c",
                            "import geo, geo.dataset, geo.rules, layers.assets as a; "
                            "print(geo.__file__); print(geo.dataset.gpkg_path()); print(geo.rules.DEFAULT_RULES_PATH); "
                            "print(a.vendor_dir() / 'MANIFEST.json')"],
                           capture_output=True, text=True, cwd=tmp_path, env={"PATH": os.environ.get("PATH", "")})
    assert probe.returncode == 0, probe.stderr[-2000:]
    paths = [Path(p) for p in probe.stdout.split()]
    assert all(str(installed) in str(p) for p in paths), paths  # nothing from the checkout
    assert all(p.exists() for p in paths[1:]), paths
    from geo.dataset import load_layer

    park = load_layer("parks").query("zone_id == 'S517077'").geometry.iloc[0]
    f = tmp_path / "plan.geojson"
    gpd.GeoDataFrame({"name": ["东扩"]}, geometry=[park.buffer(0.004).difference(park)], crs=4490).to_file(f)
    out = _run(installed, tmp_path, "inspect", str(f), "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["feature_count"] == 1
    out = _run(installed, tmp_path, "check", str(f), "--zone", "S517077", "--json")
    assert out.returncode in (0, 1), out.stderr
    doc = json.loads(out.stdout)
    assert doc["proposals"][0]["verdict"] in ("pass", "fail", "attention") and str(installed) in doc["rules_file"]
