"""Before/after benchmark of the check engine across two git revisions, in one run.

Checks out ``--baseline`` (a git revision, default: the commit before issue
#10's restructuring began) into a temporary worktree and measures, in fresh
subprocesses alternating between the baseline and the working tree:

* the cold ``import geo.check`` time;
* building the control index from the embedded GeoPackage;
* p50 / p95 of one proposal checked against all rules (``--proposals``
  deterministic proposals around the embedded parks).

It prints each figure for both and the ratio current / baseline (< 1: faster
now).  The measuring code uses only the API both revisions share
(``ControlIndex.from_dataset``, ``Proposal``, ``check_proposal``,
``load_rules``).  Nothing is asserted; the machine's load moves the absolute
numbers, so compare the ratios, and rerun when they look odd.

Usage::

    python -m benchmarks.compare_revisions                   # baseline 8ff52f7^
    python -m benchmarks.compare_revisions --baseline HEAD~5 --proposals 300 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent

#: The commit before issue #10 split geo/check.py (its first step was 8ff52f7).
DEFAULT_BASELINE = "8ff52f7^"

_MEASURE = r"""
import json, sys, time
t0 = time.perf_counter()
import geo.check as gc
t_import = time.perf_counter() - t0
import numpy as np
from shapely.geometry import box
from geo.dataset import load_layer
from geo.rules import load_rules
n = int(sys.argv[1])
t0 = time.perf_counter()
index = gc.ControlIndex.from_dataset()
t_index = time.perf_counter() - t0
rules = load_rules()
parks = load_layer("parks")
rng = np.random.default_rng(7)
rows = rng.integers(0, len(parks), n)
props = []
for r in rows:
    c = parks.geometry.iloc[int(r)].centroid
    dx, dy = rng.uniform(-0.03, 0.03, 2)
    w, h = rng.uniform(0.005, 0.03, 2)
    props.append(gc.Proposal(geometry=box(c.x + dx, c.y + dy, c.x + dx + w, c.y + dy + h),
                             zone_id=str(parks["zone_id"].iloc[int(r)]), chemical=bool(r % 3 == 0)))
for p in props[:5]:
    gc.check_proposal(p, index, rules)  # warm-up (projection caches)
lat = []
for p in props:
    t0 = time.perf_counter()
    gc.check_proposal(p, index, rules)
    lat.append(time.perf_counter() - t0)
lat = np.array(lat) * 1000
print(json.dumps({"import_s": t_import, "index_s": t_index, "p50_ms": float(np.percentile(lat, 50)),
                  "p95_ms": float(np.percentile(lat, 95))}))
"""


def measure(tree: Path, proposals: int) -> dict[str, float]:
    """One fresh-process measurement of the code in ``tree``."""
    out = subprocess.run([sys.executable, "-c", _MEASURE, str(proposals)], cwd=tree, capture_output=True, text=True,
                         env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin", "HOME": tempfile.gettempdir()},
                         check=True)
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", default=DEFAULT_BASELINE, help="git revision to compare with (default %(default)s)")
    ap.add_argument("--proposals", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=2, help="alternating runs per revision (medians are printed)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="parkmap-baseline-") as tmp:
        base = Path(tmp) / "tree"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(base), args.baseline], check=True)
        try:
            rev = subprocess.run(["git", "-C", str(base), "rev-parse", "--short", "HEAD"], capture_output=True,
                                 text=True, check=True).stdout.strip()
            runs: dict[str, list[dict[str, float]]] = {"baseline": [], "current": []}
            for _ in range(args.repeats):
                runs["baseline"].append(measure(base, args.proposals))
                runs["current"].append(measure(ROOT, args.proposals))
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)], check=False)
    print(f"baseline {args.baseline} ({rev}) vs working tree; {args.proposals} proposals, all rules; "
          f"medians of {args.repeats} alternating fresh-process runs")
    print(f"{'measure':<22}{'baseline':>12}{'current':>12}{'current/baseline':>18}")
    for key, label in (("import_s", "import geo.check (s)"), ("index_s", "build index (s)"),
                       ("p50_ms", "check p50 (ms)"), ("p95_ms", "check p95 (ms)")):
        b = median(r[key] for r in runs["baseline"])
        c = median(r[key] for r in runs["current"])
        print(f"{label:<22}{b:>12.3f}{c:>12.3f}{c / b:>18.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
