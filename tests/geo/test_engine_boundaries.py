"""The engine (geo/) never pulls in the CLI, Streamlit or the map layers package."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd

from geo.jsonutil import json_value

REPO = __import__("pathlib").Path(__file__).resolve().parents[2]


def test_engine_imports_no_cli_streamlit_or_layers():
    code = (
        "import sys, json; import geo.check, geo.rules, geo.workspace, geo.zones;"
        "import pandas as pd; from geo.check import ControlIndex;"
        "ix = ControlIndex.from_frames(zones=pd.DataFrame([{'zone_id': 'Z1', 'name': '甲'}]));"
        "assert ix.resolve_zone('z1')['name'] == '甲';"
        "print(json.dumps(sorted(m for m in sys.modules if m == 'geo.cli' or m.startswith(('streamlit', 'layers')))))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == []


def test_json_value_is_shared_by_the_cli():
    from geo import cli

    assert cli.json_value is json_value
    assert json_value(np.int64(3)) == 3 and isinstance(json_value(np.int64(3)), int)
    assert json_value(float("nan")) is None and json_value(np.float32(1.5)) == 1.5
    assert json_value(pd.Timestamp("2026-11-29 10:00")) == "2026-11-29T10:00:00"
    assert json_value(b"\x01\xff") == "01ff" and json_value(pd.NA) is None
