"""开发区一览: the zone list as a table, its filters and the 亩均 comparison.

Pure pandas over the embedded layers (``zones``, ``prefectures``,
``indicators``); the app shows the frames these functions return and offers
them as CSV and Excel.  Rows are sorted by pinyin of the zone name.  Every
indicator value carries its provenance: values generated for illustration
are marked 示意 in the cell itself, so a copied table cannot lose the flag.

Examples
--------
>>> from geo.dataset import load_layer
>>> zones, pref, ind = load_layer("zones"), load_layer("prefectures"), load_layer("indicators")
>>> table = zone_table(zones, pref, ind, level="国家级")
>>> len(table) == int((zones["level"] == "国家级").sum())
True
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

import pandas as pd

from geo.zones import sort_by_pinyin

#: Column labels (中文, English) of the zone table, in order.
COLUMNS: dict[str, tuple[str, str]] = {
    "short_name": ("开发区", "Zone"),
    "prefecture": ("市（州）", "Prefecture"),
    "level": ("级别", "Level"),
    "zone_class": ("类型", "Class"),
    "approved_area_ha": ("核准面积（公顷）", "Approved area (ha)"),
    "n_parks": ("园区数", "Parks"),
    "main_industries": ("主导产业（目录）", "Main industries (catalogue)"),
    "revenue_per_mu": ("亩均营业收入（万元/亩）", "Revenue per mu (10k yuan/mu)"),
    "tax_per_mu": ("亩均税收（万元/亩）", "Tax per mu (10k yuan/mu)"),
    "land_dev_rate": ("土地开发率", "Land development rate"),
    "rank": ("同类排名", "Rank in class"),
    "indicator_source": ("指标来源", "Indicator source"),
}
#: English words for levels and classes (the same as the map's legend, layers.specs).
LEVEL_EN = {"国家级": "National", "省级": "Provincial"}
CLASS_EN = {"经开区": "Economic dev. zone", "高新区": "High-tech zone", "综保区": "Bonded zone",
            "其他产业园区": "Other industrial park"}
ILLUSTRATIVE = ("示意", "illustrative")


#: The plan's count of zones (《四川省开发区发展规划（2023—2027年）》第一章第一节): 145.
PLAN_TOTAL = 145


def count_differences(path: str | None = None) -> pd.DataFrame:
    """The known differences between the zone table and the plan's count, by class and level.

    ``data/zone_count_differences.csv``: per (class, level) the plan's count, the
    difference of the data (``delta``, negative = zones the sources do not name),
    a status, the reason in Chinese and English, and the sources.
    """
    from geo import resources

    frame = pd.read_csv(path or resources.data_dir() / "zone_count_differences.csv", dtype=str, keep_default_na=False)
    frame["plan_count"] = frame["plan_count"].astype(int)
    frame["delta"] = frame["delta"].astype(int)
    return frame


def unidentified_note(lang: str = "zh", path: str | None = None) -> str:
    """``1 个未识别（…）`` / ``1 zone not identified (…)``: the plan's zones the sources do not name, or ""."""
    diff = count_differences(path)
    missing = diff[diff["delta"] < 0]
    n = int(-missing["delta"].sum())
    if not n:
        return ""
    reasons = "；".join(missing["reason_zh"]) if lang != "en" else "; ".join(missing["reason_en"])
    if lang == "en":
        return f"{n} zone{'s' if n > 1 else ''} not identified (the plan counts {PLAN_TOTAL}): {reasons}"
    return f"{n} 个未识别（规划共 {PLAN_TOTAL} 个）：{reasons}"


def _flag(source: object, lang: str) -> str:
    """Provenance word of one indicator value: 示意 for generated values, else the source as given."""
    text = str(source or "")
    if text.startswith("illustrative"):
        return ILLUSTRATIVE[1] if lang == "en" else ILLUSTRATIVE[0]
    if text.startswith("derived"):
        return "derived" if lang == "en" else "推算"
    return text


def zone_table(zones: pd.DataFrame, prefectures: pd.DataFrame, indicators: pd.DataFrame, *,
               prefecture: str = "", level: str = "", zone_class: str = "",
               zone_ids: Iterable[str] | None = None, lang: str = "zh") -> pd.DataFrame:
    """The zone list, filtered and sorted by pinyin of the short name.

    Parameters
    ----------
    zones, prefectures, indicators : DataFrame
        The embedded layers of the same names.
    prefecture : str
        Host prefecture adcode (``""``: all).
    level : {"", "国家级", "省级"}
    zone_class : {"", "经开区", "高新区", "综保区", "其他产业园区"}
    zone_ids : iterable of str, optional
        Keep only these zones (the industry filter's hits).
    lang : {"zh", "en"}
        Level and class words; indicator provenance words.

    Returns
    -------
    DataFrame
        Index ``zone_id``; the columns of :data:`COLUMNS` (keys, not labels:
        :func:`labelled` renames them for display).
    """
    z = zones
    if prefecture:
        z = z[z["host_prefecture_adcode"] == prefecture]
    if level:
        z = z[z["level"] == level]
    if zone_class:
        z = z[z["zone_class"] == zone_class]
    if zone_ids is not None:
        z = z[z["zone_id"].isin(set(zone_ids))]
    pref = prefectures.set_index("adcode")["name"]
    ind = indicators.set_index("zone_id")
    out = pd.DataFrame({
        "short_name": z["short_name"].astype(str).values,
        "prefecture": z["host_prefecture_adcode"].map(pref).fillna("").values,
        "level": z["level"].map(LEVEL_EN).fillna(z["level"]).values if lang == "en" else z["level"].values,
        "zone_class": z["zone_class"].map(CLASS_EN).fillna(z["zone_class"]).values if lang == "en" else z["zone_class"].values,
        "approved_area_ha": pd.to_numeric(z["approved_area_ha"], errors="coerce").round(2).values,
        "n_parks": pd.to_numeric(z["n_parks"], errors="coerce").fillna(0).astype(int).values,
        "main_industries": z["main_industries"].fillna("").astype(str).str.replace("|", "、").values,
    }, index=pd.Index(z["zone_id"].values, name="zone_id"))
    r = ind.reindex(out.index)
    out["revenue_per_mu"] = pd.to_numeric(r["revenue_per_mu"], errors="coerce").round(1)
    out["tax_per_mu"] = pd.to_numeric(r["tax_per_mu"], errors="coerce").round(1)
    out["land_dev_rate"] = pd.to_numeric(r["land_dev_rate"], errors="coerce").round(3)
    out["rank"] = [f"{int(a)} / {int(b)}" if pd.notna(a) and pd.notna(b) else "" for a, b in
                   zip(r["rank_in_class"], r["n_in_class"])]
    out["indicator_source"] = [_flag(s, lang) for s in r["revenue_per_mu_source"]]
    order = sort_by_pinyin(out["short_name"])
    pos = {name: i for i, name in enumerate(order)}
    return out.iloc[sorted(range(len(out)), key=lambda i: (pos[out["short_name"].iloc[i]], out.index[i]))]


def labelled(table: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """``table`` with its column keys replaced by the labels of :data:`COLUMNS` (index dropped)."""
    i = 1 if lang == "en" else 0
    return table.rename(columns={k: v[i] for k, v in COLUMNS.items()}).reset_index(drop=True)


def compare_indicators(table: pd.DataFrame, zone_ids: Sequence[str], lang: str = "zh") -> pd.DataFrame:
    """The 亩均 indicators of ``zone_ids`` side by side: one column per zone, one row per indicator.

    Each value is text with its provenance, e.g. ``206.8（示意）``, so the flag
    travels with the number.
    """
    i = 1 if lang == "en" else 0
    rows = ("revenue_per_mu", "tax_per_mu", "land_dev_rate", "rank", "approved_area_ha", "level", "zone_class")
    cols: dict[str, list[str]] = {}
    for zid in zone_ids:
        if zid not in table.index:
            continue
        rec = table.loc[zid]
        flag = rec["indicator_source"]
        vals = []
        for key in rows:
            v = rec[key]
            if key == "land_dev_rate" and pd.notna(v):
                text = f"{float(v):.1%}"
            elif isinstance(v, float):
                text = "—" if pd.isna(v) else f"{v:,.1f}" if key != "approved_area_ha" else f"{v:,.2f}"
            else:
                text = str(v) or "—"
            if key in ("revenue_per_mu", "tax_per_mu", "land_dev_rate", "rank") and flag and text != "—":
                text += f"（{flag}）" if lang == "zh" else f" ({flag})"
            vals.append(text)
        name = str(rec["short_name"])
        cols[name if name not in cols else f"{name} ({zid})"] = vals
    return pd.DataFrame(cols, index=[COLUMNS[k][i] for k in rows])


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV in UTF-8 with a BOM, so Excel on a Chinese Windows opens it without garbling."""
    text: str = frame.to_csv(index=False)
    return text.encode("utf-8-sig")


def to_xlsx_bytes(frame: pd.DataFrame, sheet: str = "开发区一览") -> bytes:
    """An Excel workbook (openpyxl) of ``frame``; text cells stay text (no formula injection)."""
    buf = io.BytesIO()
    safe = frame.copy()
    for col in safe.columns:
        if pd.api.types.is_object_dtype(safe[col]) or pd.api.types.is_string_dtype(safe[col]):
            safe[col] = safe[col].map(lambda v: "'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v)
    with pd.ExcelWriter(buf, engine="openpyxl") as xl:
        safe.to_excel(xl, sheet_name=sheet[:31], index=False)
    return buf.getvalue()
