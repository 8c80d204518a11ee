"""docs/deploy.md's commands, run: scripts/deploy_smoke.sh on a throwaway cluster of its own.

DBA setup (owner, database, PostGIS, roles), ``parkmap db init``/``status`` as
the owner, accounts, ``layers import``, a check saved through the app's login
role, ``audit verify``, then ``pg_dump`` and a restore drill whose chain head
equals the original's.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.pg_cluster import PgCluster

ROOT = Path(__file__).resolve().parents[3]


def test_the_deployment_steps_run_end_to_end(tmp_path):
    cluster = PgCluster()
    try:
        cluster.start()
        env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}", PYTHONPATH=str(ROOT))
        env.pop("PARKMAP_DATABASE_URL", None)
        out = subprocess.run(["bash", str(ROOT / "scripts" / "deploy_smoke.sh"), cluster.url(), str(tmp_path / "w")],
                             env=env, cwd=ROOT, capture_output=True, text=True, timeout=900)
    finally:
        cluster.stop()
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    text = out.stdout
    assert text.rstrip().endswith("deploy smoke: ok")
    heads = [line.rsplit("head ", 1)[1] for line in text.splitlines() if "audit verified" in line]
    assert len(heads) == 2 and heads[0] == heads[1]  # the restored copy carries the same chain head
    assert "只追加保护完整 / append-only guard intact" in text and "farmland 第 1 版" in text
    assert "已保存 Saved: proposal 1, check 1" in text
