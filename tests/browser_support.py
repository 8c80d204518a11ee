"""Helpers for real-browser tests: headless Chromium with every non-loopback host blocked."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


def require_browser() -> None:
    """Skip the calling module unless chromium, chromedriver and selenium are present."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} missing (bash scripts/install-system.sh)", allow_module_level=True)
    if not CHROMEDRIVER.exists():
        pytest.skip(f"{CHROMEDRIVER} missing (bash scripts/install-system.sh)", allow_module_level=True)
    pytest.importorskip("selenium", reason="selenium not installed (pip install -e '.[test]')")


# every host but loopback fails to resolve: a CDN request cannot succeed
BLOCK_RULES = "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"


def free_port(lo: int = 8500, hi: int = 8600) -> int:
    for port in range(lo, hi):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {lo}-{hi}")


def wait_http(url: str, timeout: float = 90.0) -> bytes:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                return r.read()
        except Exception as e:  # not up yet
            last = e
            time.sleep(0.5)
    raise TimeoutError(f"{url} not reachable after {timeout}s: {last}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


def make_driver(width: int = 1280, height: int = 900):
    """A headless Chromium webdriver that cannot reach any host but 127.0.0.1."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"  # never let selenium-manager download anything
    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--window-size={width},{height}",
        "--lang=zh-CN",
        f"--host-resolver-rules={BLOCK_RULES}",
    ):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    drv = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=opts)
    drv.set_page_load_timeout(60)
    return drv


def network(drv) -> tuple[list[str], list[str]]:
    """(requested URLs, failures as 'url: reason') since the last call."""
    requested: dict[str, str] = {}
    failed: list[str] = []
    for entry in drv.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        method, params = msg.get("method"), msg.get("params", {})
        if method == "Network.requestWillBeSent":
            requested[params["requestId"]] = params["request"]["url"]
        elif method == "Network.loadingFailed":
            url = requested.get(params["requestId"], "?")
            failed.append(f"{url}: {params.get('errorText')}")
        elif method == "Network.responseReceived":
            status = params["response"]["status"]
            if status >= 400:
                failed.append(f"{params['response']['url']}: HTTP {status}")
    return list(requested.values()), failed




@contextlib.contextmanager
def streamlit_app(log_dir: Path, env: dict[str, str] | None = None, *, drop: tuple[str, ...] = (),
                  ports: tuple[int, int] = (8600, 8900), timeout: float = 120.0) -> Iterator[tuple[str, Path]]:
    """Run ``streamlit run app.py`` headless on 127.0.0.1 and a free port; yields ``(url, log path)``.

    ``env`` adds variables (e.g. a temporary ``PARKMAP_HOME``), ``drop`` removes
    some; the process is stopped on exit.
    """
    port = free_port(*ports)
    full = dict(os.environ, **(env or {}))  # geo and layers come from the install
    for key in drop:
        full.pop(key, None)
    log_path = Path(log_dir) / "streamlit.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
             "--server.port", str(port), "--server.headless", "true", "--server.fileWatcherType", "none"],
            cwd=ROOT, env=full, stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            wait_http(f"http://127.0.0.1:{port}/_stcore/health", timeout=timeout)
            yield f"http://127.0.0.1:{port}", log_path
        finally:
            stop(proc)
