"""App latency in a real headless Chromium: cold start and sidebar interactions, current tree vs a baseline ref.

For each version (the current working tree and ``--baseline REF``, checked out
with ``git worktree add --detach`` into a temporary folder and removed at the
end) the benchmark starts ``streamlit run app.py`` headless on 127.0.0.1 with
the same Python, ``PYTHONPATH`` set to that version's tree and a fresh
temporary ``PARKMAP_HOME``, drives it with Chromium and prints p50/p95 per
interaction, the ratio current/baseline of the p95 and the targets. It never
asserts times. Run from the repository root with the venv's Python:

    python -m benchmarks.app_latency [--runs 5] [--baseline 892a29f] [--only current|baseline|both] [--quick]

(run from the repository root: it imports ``tests.browser_support``.)

Interactions (timed from the final click to "redrawn"):

* cold start: ``streamlit run`` launched → the Leaflet map in a fresh browser
  (new profile, empty cache) draws at least ``min_zones`` zone markers
  (``--runs`` separate launches, baseline and current interleaved);
* layer toggle: the checkbox ``layer_checkbox`` off, then on;
* industry filter: the ``industry_select`` selectbox, two industries in turn;
* zone pick: the ``zone_select`` selectbox, two zones in turn;
* language switch: the ``English`` radio, then back to ``中文``.

Interactions use one server and browser per version, both up at once, with
the repetitions of the two versions interleaved: a warm-up repetition
(reported apart), then ``--runs`` repetitions; each repetition reloads the
page (fresh session) for the first four interactions and again for the
language pair. So each row has 2 × ``--runs`` samples, both directions mixed.
A step that makes the app raise (``stException``) is reported as an app error
and not timed; the exceptions in the streamlit log are summarised at the end.
A tag set in the map window before each click survives only an in-place
update, so the report also says how each interaction redrew (iframe rebuilt
or updated in place).

"Redrawn" means, in one poll, first the map iframe shows the expected state
(predicate below, evaluated on the live ``window.map`` of the only
``streamlit_folium`` iframe, so it works whether the app re-sends the iframe
or updates the map in place) and *then* the Streamlit run is over
(``stApp[data-test-script-state=notRunning]`` and no ``stStatusWidget``).
Reading the map first closes the race where the run had not started yet: the
map can only show the new state once the rerun began, so "not running" read
after it means that rerun ended. Before every action the predicate must be
false, otherwise the action is refused (nothing would be measured). Polling
every 20 ms; each poll costs a few WebDriver round trips (≈10-30 ms), which
bounds the timing resolution.

Predicates (on features drawn on the map: ``map.eachLayer`` with a feature and,
for SVG paths, the path still in the document):

* cold start: ≥ ``min_zones`` zone points (``properties.zone_id``, Point);
* layer toggle: features matching ``layer_feature_js`` == 0 (off) / > 0 (on);
* zone pick: a zone feature with that ``zone_id`` stroked in ``highlight``
  and no other highlighted zone;
* industry filter: the set of zone points filled in a role colour is non-empty
  and differs from the one before the pick;
* language: the text of a zone marker's tooltip (plus the legend, if the map
  has one) contains ``lang_en`` and not ``lang_zh``, or the reverse.

Labels and predicate parameters per version live in ``LABELS`` below.
"""

from __future__ import annotations

import argparse
import atexit
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from tests.browser_support import free_port, make_driver, stop

from benchmarks.app_latency_page import MAP_IFRAME, POLL_S, AppCrash, BenchError, Page  # noqa: F401

# --------------------------------------------------------------------------- per-version labels and predicates

_LABELS_892A29F = {
    # sidebar widgets, found by their visible label (exact text after trimming)
    "language_radio": "语言 / Language",
    "english": "English",
    "chinese": "中文",
    "layer_checkbox": "县（市、区）界",
    "zone_select": "选择开发区",
    # (visible option text, zone_id): the option equal to / starting with / containing the text is picked,
    # the zone_id is what the map must then highlight
    "zones": (("成都高新区", "G512045"), ("射洪经开区", "S517077")),
    "industry_select": "产业",
    "industries": ("电子信息产业", "食品轻纺产业"),
    # what the map shows (JS in the map iframe; ``p`` is a feature's properties)
    "layer_feature_js": "p.prefecture_name !== undefined",  # county polygons
    "highlight": "#ffd400",  # stroke of the selected zone (layers.specs.HIGHLIGHT)
    "role_colors": ("#b30000", "#fd8d3c"),  # zone fill when it hosts the industry (layers.specs.ROLE_COLORS)
    # language: text of a zone marker's tooltip (+ a legend inside the map, if any) must contain this
    "lang_zh": "核准面积",  # tooltip field 核准面积（公顷）
    "lang_en": "Approved (ha)",
    "legend_selector": ".parkmap-legend",
    "min_zones": 100,  # zone markers drawn = map ready (145 in the data)
}
LABELS: dict[str, dict] = {
    "baseline": dict(_LABELS_892A29F),
    "current": dict(_LABELS_892A29F),  # adapt here when the working tree renames a label
}

DEFAULT_BASELINE = "892a29f"
TARGETS = {"cold start": 3.0, "layer toggle": 1.0, "zone pick": 1.0, "industry filter": 1.0, "language switch": 1.0}
INTERACTIONS = tuple(TARGETS)

# --------------------------------------------------------------------------- cleanup of everything we start

_PROCS: list[subprocess.Popen] = []
_DIRS: list[Path] = []
_WORKTREES: list[Path] = []


def _kill(proc: subprocess.Popen) -> None:
    try:
        stop(proc)
    finally:
        try:  # the process group we created for it, in case it left children behind
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _cleanup() -> None:
    while _PROCS:
        _kill(_PROCS.pop())
    while _WORKTREES:
        wt = _WORKTREES.pop()
        r = subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(wt)],
                           capture_output=True, text=True)
        if r.returncode != 0:
            shutil.rmtree(wt, ignore_errors=True)
            subprocess.run(["git", "-C", str(ROOT), "worktree", "prune"], capture_output=True)
    while _DIRS:
        shutil.rmtree(_DIRS.pop(), ignore_errors=True)


def _on_signal(signum, _frame):
    raise SystemExit(128 + signum)


atexit.register(_cleanup)
for _sig in (signal.SIGTERM, signal.SIGHUP):
    signal.signal(_sig, _on_signal)


def _tmpdir(prefix: str) -> Path:
    d = Path(tempfile.mkdtemp(prefix=prefix))
    _DIRS.append(d)
    return d


# --------------------------------------------------------------------------- versions and app processes


@dataclass
class Version:
    name: str  # "baseline" or "current"
    root: Path
    desc: str
    labels: dict = field(default_factory=dict)


def git(*args: str) -> str:
    r = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise BenchError(f"git {' '.join(args)} failed: {r.stderr.strip()}")
    return r.stdout.strip()


def current_version() -> Version:
    dirty = " + uncommitted changes" if git("status", "--porcelain", "--untracked-files=no") else ""
    return Version("current", ROOT, f"working tree at {git('rev-parse', '--short', 'HEAD')}{dirty}", LABELS["current"])


def baseline_version(ref: str) -> Version:
    sha = git("rev-parse", "--verify", f"{ref}^{{commit}}")
    wt = _tmpdir("parkmap-baseline-") / "tree"
    git("worktree", "add", "--detach", str(wt), sha)
    _WORKTREES.append(wt)
    return Version("baseline", wt, f"{ref} = {sha[:9]} (worktree {wt})", LABELS["baseline"])


def app_env(v: Version, home: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(v.root), PARKMAP_HOME=str(home))
    env.pop("PARKMAP_DATA", None)  # each version reads its own data/
    return env


def prepare(v: Version) -> None:
    """Byte-compile ``v`` (a fresh worktree has no ``__pycache__``; that must not count against its cold
    start) and check that its app imports ``geo`` and ``layers`` from its own tree, not an installed copy."""
    home = _tmpdir("parkmap-home-")
    subprocess.run([sys.executable, "-m", "compileall", "-q", "geo", "layers"], cwd=v.root, env=app_env(v, home),
                   capture_output=True, timeout=300)
    r = subprocess.run([sys.executable, "-c", "import geo, layers; print(geo.__file__); print(layers.__file__)"],
                       cwd=v.root, env=app_env(v, home), capture_output=True, text=True, timeout=120)
    files = r.stdout.split()
    if r.returncode != 0 or len(files) != 2 or not all(Path(f).resolve().is_relative_to(v.root.resolve()) for f in files):
        raise BenchError(f"{v.name}: geo/layers not imported from {v.root}: {r.stdout.strip()} {r.stderr.strip()[-500:]}")


class App:
    """One ``streamlit run app.py`` of a version, with its own port, PARKMAP_HOME and log."""

    def __init__(self, v: Version):
        self.v = v
        self.port = free_port(8900, 9000)
        self.url = f"http://127.0.0.1:{self.port}"
        self.home = _tmpdir("parkmap-home-")
        self.log_path = self.home / "streamlit.log"
        self.proc: subprocess.Popen | None = None
        self.t_launch = 0.0

    def start(self) -> App:
        cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
               "--server.port", str(self.port), "--server.headless", "true", "--server.fileWatcherType", "none",
               "--browser.gatherUsageStats", "false"]
        with self.log_path.open("w") as log:
            self.t_launch = time.perf_counter()
            self.proc = subprocess.Popen(cmd, cwd=self.v.root, env=app_env(self.v, self.home), stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        _PROCS.append(self.proc)
        return self

    def wait_up(self, timeout: float) -> None:
        # like tests.browser_support.wait_http, but polling every 50 ms (its 0.5 s step would blur cold starts)
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise BenchError(f"{self.v.name}: streamlit exited with {self.proc.returncode}\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as r:
                    r.read()
                    return
            except Exception as e:  # not up yet
                last = e
                time.sleep(0.05)
        raise BenchError(f"{self.v.name}: server not answering after {timeout:.0f} s ({last})\n{self.log_tail()}")

    def log_tail(self, n: int = 25) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "  streamlit log: " + "\n  ".join(lines[-n:])

    def tracebacks(self) -> bool:
        try:
            return "Traceback" in self.log_path.read_text(errors="replace")
        except OSError:
            return False

    def exceptions(self) -> list[str]:
        """The final line of every traceback in the log (``KeyError: ...``), in order."""
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return []
        out, in_tb = [], False
        for line in lines:
            if line.lstrip().startswith("Traceback (most recent call last)"):
                in_tb = True
            elif in_tb and re.match(r"\s*[A-Za-z_][\w.]*(Error|Exception|Warning|Exit|Interrupt)\b.*", line) \
                    and not line.lstrip().startswith("File "):
                out.append(line.strip())
                in_tb = False
        return out

    def close(self) -> None:
        if self.proc is not None:
            _kill(self.proc)
            if self.proc in _PROCS:
                _PROCS.remove(self.proc)


# --------------------------------------------------------------------------- interactions


@dataclass
class Step:
    interaction: str
    kind: str
    label: str
    option: str
    pred: object  # callable(state, before_state) -> bool
    what: str


def sessions(lb: dict) -> list[list[Step]]:
    """One repetition: every interaction in both directions, in fresh sessions (page reloaded, defaults).

    The language pair gets a session of its own and nothing picks the "none"
    options, so that one app error does not hide the other interactions: in
    892a29f, 中文 → English → 中文 raises KeyError '（未选择）' in the zone
    selectbox's format_func. A step that makes the app raise is reported and
    ends its session only.
    """
    hl = lambda z: (lambda s, b: s["highlighted"] == [z])  # noqa: E731
    role_change = lambda s, b: bool(s["roles"]) and s["roles"] != b["roles"]  # noqa: E731
    (z1_text, z1), (z2_text, z2) = lb["zones"]
    i1, i2 = lb["industries"]
    return [
        [
            Step("layer toggle", "checkbox", lb["layer_checkbox"], "", lambda s, b: s["layer"] == 0,
                 f"layer {lb['layer_checkbox']!r} gone from the map"),
            Step("layer toggle", "checkbox", lb["layer_checkbox"], "", lambda s, b: s["layer"] > 0,
                 f"layer {lb['layer_checkbox']!r} back on the map"),
            Step("industry filter", "selectbox", lb["industry_select"], i1, role_change, f"hosts of {i1} coloured"),
            Step("industry filter", "selectbox", lb["industry_select"], i2, role_change, f"hosts of {i2} coloured"),
            Step("zone pick", "selectbox", lb["zone_select"], z1_text, hl(z1), f"zone {z1} highlighted"),
            Step("zone pick", "selectbox", lb["zone_select"], z2_text, hl(z2), f"zone {z2} highlighted"),
        ],
        [
            Step("language switch", "radio", lb["language_radio"], lb["english"],
                 lambda s, b: lb["lang_en"] in s["lang_text"] and lb["lang_zh"] not in s["lang_text"],
                 f"map text with {lb['lang_en']!r}"),
            Step("language switch", "radio", lb["language_radio"], lb["chinese"],
                 lambda s, b: lb["lang_zh"] in s["lang_text"] and lb["lang_en"] not in s["lang_text"],
                 f"map text with {lb['lang_zh']!r}"),
        ],
    ]


@dataclass
class Result:
    samples: dict = field(default_factory=lambda: {k: [] for k in INTERACTIONS})
    first: dict = field(default_factory=dict)  # warm-up (first time) seconds per interaction
    rebuilt: dict = field(default_factory=dict)  # interaction -> [iframe rebuilt count, total]
    errors: list = field(default_factory=list)
    crashes: dict = field(default_factory=dict)  # app exception during a step -> times seen
    log_errors: dict = field(default_factory=dict)  # exception line from the streamlit logs -> times seen


def ready(lb: dict):
    return lambda s: s["zones"] >= lb["min_zones"]


def _keep_log(app: App, res: Result) -> None:
    """Collect the exceptions the app logged (the log goes with its PARKMAP_HOME)."""
    for e in app.exceptions():
        res.log_errors[e] = res.log_errors.get(e, 0) + 1


def cold_start(v: Version, timeout: float, res: Result) -> float:
    """Seconds from launching ``streamlit run`` to the zone markers drawn in a fresh browser."""
    drv = make_driver(1600, 1000)  # not timed: the browser is up before the server is launched
    app = App(v)
    try:
        app.start()
        app.wait_up(timeout)
        drv.get(app.url + "/")
        page = Page(drv, app, timeout)
        t, _ = page.wait(ready(v.labels), f"map with ≥{v.labels['min_zones']} zone markers", idle=False)
        return t - app.t_launch
    finally:
        drv.quit()
        _keep_log(app, res)
        app.close()


class Runner:
    """The interaction phase of one version: its own server and browser, one repetition at a time."""

    def __init__(self, v: Version, timeout: float, res: Result):
        self.v, self.timeout, self.res = v, timeout, res
        self.app: App | None = None
        self.drv = None
        self.page: Page | None = None
        self.plan = sessions(v.labels)

    def start(self) -> None:
        self.drv = make_driver(1600, 1000)
        self.app = App(self.v).start()
        self.app.wait_up(self.timeout)
        self.page = Page(self.drv, self.app, self.timeout)

    def repetition(self, timed: bool) -> None:
        page, res, v = self.page, self.res, self.v
        for session in self.plan:
            self.drv.get(self.app.url + "/")  # a fresh session with the default state
            page.wait(ready(v.labels), "initial map")
            for step in session:
                before = page.map_state()
                if before is None or page.app_state()["exception"]:
                    raise BenchError(f"{v.name}: no map, or an exception shown, before {step.what}")
                if step.pred(before, before):
                    raise BenchError(f"{v.name}: map already shows '{step.what}' before the action; "
                                     "nothing to measure (adapt LABELS)")
                mark = page.set_mark()
                t0 = page.act(step.kind, step.label, step.option)
                try:
                    t1, after = page.wait(lambda s, b=before, p=step.pred: p(s, b), step.what)
                except AppCrash as e:
                    key = f"{step.interaction} ({step.label} → {step.option or 'click'}): {e}"
                    res.crashes[key] = res.crashes.get(key, 0) + 1
                    break  # the rest of this session cannot run; the next one starts fresh
                dt = t1 - t0
                if timed:
                    res.samples[step.interaction].append(dt)
                    rb = res.rebuilt.setdefault(step.interaction, [0, 0])
                    rb[0] += after.get("mark") != mark
                    rb[1] += 1
                else:
                    res.first.setdefault(step.interaction, dt)

    def close(self) -> None:
        if self.drv is not None:
            self.drv.quit()
            self.drv = None
        if self.app is not None:
            _keep_log(self.app, self.res)
            self.app.close()
            self.app = None


# --------------------------------------------------------------------------- report


def pct(xs: list[float], q: float) -> float:
    """Percentile with linear interpolation between order statistics."""
    s = sorted(xs)
    if len(s) == 1:
        return s[0]
    k = (len(s) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def fmt(xs: list[float]) -> str:
    return f"{statistics.median(xs):5.2f} / {pct(xs, 95):5.2f}" if xs else "    — /   —  "


def report(versions: list[Version], results: dict[str, Result]) -> None:
    names = [v.name for v in versions]
    print()
    for v in versions:
        print(f"{v.name:9s} {v.desc}")
    print()
    head = f"{'interaction':16s} {'n':>3s}  {'baseline p50/p95 s':>18s}  {'current p50/p95 s':>18s}  {'p95 ratio':>9s}  target p95"
    print(head)
    print("-" * len(head))
    for k in INTERACTIONS:
        b = results["baseline"].samples[k] if "baseline" in results else []
        c = results["current"].samples[k] if "current" in results else []
        n = max(len(b), len(c))
        ratio = f"{pct(c, 95) / pct(b, 95):9.2f}" if b and c else f"{'—':>9s}"
        print(f"{k:16s} {n:3d}  {fmt(b):>18s}  {fmt(c):>18s}  {ratio}  ≤ {TARGETS[k]:.0f} s")
    print()
    for name in names:
        r = results[name]
        if r.first:
            print(f"{name}: first time (warm-up, not in the table): "
                  + ", ".join(f"{k} {s:.2f} s" for k, s in r.first.items()))
        if r.rebuilt:
            print(f"{name}: map iframe rebuilt / updated in place: "
                  + ", ".join(f"{k} {a}/{t - a}" for k, (a, t) in r.rebuilt.items()))
        for e, n in r.crashes.items():
            print(f"{name}: APP ERROR ({n}×, step not timed) {e}")
        for e in dict.fromkeys(r.errors):
            n = r.errors.count(e)
            print(f"{name}: ERROR{f' ({n}×)' if n > 1 else ''} {e}")
        for e, n in r.log_errors.items():
            print(f"{name}: streamlit log ({n}×): {e}")


# --------------------------------------------------------------------------- main


def _short(e: Exception) -> str:
    """The message of a BenchError; type and first line of anything else (WebDriver stack traces are noise)."""
    if isinstance(e, BenchError):
        return str(e)
    return f"{type(e).__name__}: {(str(e).strip().splitlines() or [''])[0]}"


def _fail(r: Runner, e: Exception) -> None:
    msg = _short(e)
    r.res.errors.append(f"interactions stopped: {msg}")
    print(f"  {r.v.name}: interactions stopped: {msg}", file=sys.stderr, flush=True)
    r.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--baseline", default=DEFAULT_BASELINE, help=f"git ref to compare with (default {DEFAULT_BASELINE})")
    ap.add_argument("--runs", type=int, default=5, help="cold starts, and repetitions of each interaction (both directions)")
    ap.add_argument("--only", choices=("current", "baseline", "both"), default="both")
    ap.add_argument("--quick", action="store_true", help="1 cold start, 2 repetitions, no warm-up")
    ap.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for any one step")
    args = ap.parse_args(argv)
    runs = 2 if args.quick else max(1, args.runs)
    cold_runs = 1 if args.quick else runs

    versions: list[Version] = []
    results: dict[str, Result] = {}
    try:
        if args.only in ("baseline", "both"):
            versions.append(baseline_version(args.baseline))
        if args.only in ("current", "both"):
            versions.append(current_version())
        for v in versions:
            prepare(v)
            results[v.name] = Result()
        print(f"cold starts: {cold_runs} per version; interactions: {runs} repetitions"
              f"{' after a warm-up' if not args.quick else ''}; python {sys.executable}", flush=True)

        # cold starts interleaved (ABBA) so that load from elsewhere on the machine hits both alike
        for i in range(cold_runs):
            for v in versions if i % 2 == 0 else versions[::-1]:
                try:
                    s = cold_start(v, args.timeout, results[v.name])
                    results[v.name].samples["cold start"].append(s)
                    print(f"  {v.name}: cold start {i + 1}/{cold_runs}: {s:.2f} s", flush=True)
                except Exception as e:  # noqa: BLE001 - report and go on with the other runs
                    msg = _short(e)
                    results[v.name].errors.append(f"cold start: {msg}")
                    print(f"  {v.name}: cold start failed: {msg}", file=sys.stderr, flush=True)

        # interactions: both servers up, repetitions interleaved (ABBA) for the same reason
        runners: list[Runner] = []
        try:
            for v in versions:
                r = Runner(v, args.timeout, results[v.name])
                runners.append(r)
                try:
                    r.start()
                except Exception as e:  # noqa: BLE001 - report and go on with the other version
                    _fail(r, e)
            warmup = 0 if args.quick else 1  # one untimed repetition first
            for rep in range(runs + warmup):
                timed = rep >= warmup
                for r in runners if rep % 2 == 0 else runners[::-1]:
                    if r.app is None:
                        continue
                    try:
                        r.repetition(timed)
                        print(f"  {r.v.name}: {f'repetition {rep + 1 - warmup}/{runs}' if timed else 'warm-up'} done",
                              flush=True)
                    except Exception as e:  # noqa: BLE001
                        _fail(r, e)
        finally:
            for r in runners:
                r.close()
    except BenchError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    finally:
        _cleanup()
    report(versions, results)
    return 1 if any(r.errors or r.crashes for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
