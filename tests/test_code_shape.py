"""The shape checks of issue #10 run with the test suite: ruff, mypy (strict on geo/), import contracts, no cycles.

Each runs the tool with the configuration in ``pyproject.toml`` and fails with
the tool's own report, so a violation turns CI red.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        found = shutil.which(name)
        if not found:
            pytest.fail(f"{name} is not installed: pip install -e '.[test]'")
        return found
    return str(path)


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), cwd=ROOT, capture_output=True, text=True, timeout=900)


def test_ruff():
    out = _run(_tool("ruff"), "check", ".")
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]


def test_mypy_strict_on_the_whole_engine():
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    assert config["strict"] is True and config["files"] == ["geo"]  # every module of geo/, not a hand-kept list
    out = _run(_tool("mypy"))
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]


def test_import_contracts():
    out = _run(_tool("lint-imports"))
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]


def test_no_import_cycles_in_the_engine():
    """No module of geo/ reaches itself again through its imports (lazy imports inside functions count)."""
    import grimp

    graph = grimp.build_graph("geo")
    cycles = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            if imported.startswith(importer + ".") or importer.startswith(imported + "."):
                continue  # a package and its own submodules (re-exports in __init__)
            if graph.chain_exists(importer=imported, imported=importer):
                chain = graph.find_shortest_chain(importer=imported, imported=importer)
                cycles.append(f"{importer} -> {imported} -> … -> {importer}: {' -> '.join(chain or [])}")
    assert not cycles, "\n".join(cycles[:20])
