"""The 存量体检 tab with AppTest: scope, run (an audit event), tables, the pieces on the map, the Excel download."""

from __future__ import annotations

import io
import json

import pandas as pd

from geo.scan import SCAN_LAYERS
from geo.workspace import Workspace

ZONE = "S519056"  # 合江临港工业园: a chemical zone (专栏5) whose park lies within 1 km of the Yangtze


def _tables(at) -> dict[str, pd.DataFrame]:
    """The scan's three tables (per prefecture, per zone, per park), told apart by their columns."""
    out = {}
    for df in at.dataframe:
        cols = set(df.value.columns)
        if "管控线" not in cols:
            continue
        out["park" if "依据" in cols else "zone" if "编号" in cols else "pref"] = df.value
    return out


def _run_scan(at, scope, **picks):
    at.radio(key="scan_scope").set_value(scope).run()
    for key, value in picks.items():
        at.selectbox(key=key).set_value(value).run()
    at.button(key="scan_run").click().run()
    assert not at.exception, at.exception
    return at


def test_scan_zone_records_and_shows(at, tmp_path):
    _run_scan(at, "zone", scan_zone=ZONE)
    result = at.session_state["scan_result"]
    assert result.scope["value"] == ZONE
    assert result.totals()["river_1km"]["parks_in_conflict"] == 1
    tables = _tables(at)
    assert set(tables) == {"pref", "zone", "park"}
    pref = tables["pref"]
    assert {"面积（平方米）", "亩", "公顷", "占园区面积"} <= set(pref.columns)
    park = tables["park"]
    assert len(park) == 1 and "《四川省开发区发展规划（2023—2027年）》第九章第一节" in park["依据"].iloc[0]
    assert any("冲突图斑" in m.value for m in at.markdown)  # the map of the pieces is drawn
    # the audit event: who, when (+08:00), the layers and the totals
    ev = Workspace(tmp_path / "home").events()
    ev = ev[ev["action"] == "scan"]
    assert len(ev) == 1 and ev.iloc[0]["at"].endswith("+08:00") and ev.iloc[0]["user"]
    detail = json.loads(ev.iloc[0]["detail_json"])
    assert detail["scope"]["value"] == ZONE and detail["layers"]["farmland"]["hash"]
    # the download is the workbook: a summary and one sheet per layer
    data = result.excel_bytes()
    assert pd.ExcelFile(io.BytesIO(data)).sheet_names == ["汇总 summary", *SCAN_LAYERS]


def test_scan_prefecture_and_province_in_pinyin_order(at):
    _run_scan(at, "prefecture", scan_pref="510500")
    assert at.session_state["scan_result"].scope["label"] == "泸州市"
    _run_scan(at, "province")
    pref = _tables(at)["pref"]
    eco = pref[pref["管控线"] == "与生态保护红线重叠"]["市（州）"].tolist()
    assert eco[:3] == ["阿坝藏族羌族自治州", "巴中市", "成都市"] and len(eco) == 20  # the prefectures with parks


def test_scan_in_english(at):
    at.radio(key="lang").set_value("en").run()
    _run_scan(at, "zone", scan_zone=ZONE)
    pref = next(df.value for df in at.dataframe if "Control line" in df.value.columns and "Park" not in df.value.columns
                and "Id" not in df.value.columns)
    assert {"Prefecture", "Area (m²)", "mu", "ha", "Share of the parks"} <= set(pref.columns)
    assert any(b.label == "Run the health check" for b in at.button)
