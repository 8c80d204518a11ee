"""What the planner reads about a check: rule tables, status badges, saved-proposal lists.

Pure pandas and text (no Streamlit): the app shows these frames, the tests
read them.  Chinese first: rule names (生态保护红线, not ``eco_redline``),
statuses as words with a colour (never emoji, which render as empty boxes
without an emoji font), values with their units through :mod:`geo.units`,
citations as document title and section (:attr:`geo.check.RuleResult.citation`),
times in Beijing time as saved.
"""

from __future__ import annotations

import datetime as _dt
import html
from collections.abc import Mapping
from typing import Any

import pandas as pd

from geo.rules import rule_remarks
from geo.sources import provenance_label
from geo.units import fmt_area, fmt_value
from layers.i18n import t

#: Beijing time (UTC+08:00, no daylight saving), without needing tz data.
_BEIJING = _dt.timezone(_dt.timedelta(hours=8))

#: Status → (text colour, background) of its badge.
STATUS_COLORS: dict[str, tuple[str, str]] = {
    "pass": ("#1b5e20", "#e8f5e9"), "fail": ("#b71c1c", "#ffebee"), "warn": ("#8a5300", "#fff4e0"),
    "attention": ("#8a5300", "#fff4e0"), "info": ("#0d47a1", "#e3f2fd"), "not_applicable": ("#555555", "#f1f1f1"),
}


def status_text(status: str, lang: str) -> str:
    """符合 / 不符合 / 需关注 / 提示 / 不适用 (or English)."""
    return t(f"st_{status}", lang) if status != "attention" else t("verdict_attention", lang)


def badge_html(status: str, text: str) -> str:
    """A coloured text badge (escaped text)."""
    fg, bg = STATUS_COLORS.get(status, STATUS_COLORS["not_applicable"])
    return (f'<span class="pm-badge pm-badge-{html.escape(status)}" style="color:{fg};background:{bg};'
            f'border:1px solid {fg};border-radius:4px;padding:1px 8px;font-weight:600">{html.escape(text)}</span>')


def verdict_html(result: Any, lang: str) -> str:
    """The verdict line: badge, the original verdict when overridden, and the area."""
    word = t(f"verdict_{result.verdict}", lang)
    colon = ": " if lang == "en" else "："
    out = f"{html.escape(t('verdict', lang))}{colon}{badge_html(result.verdict, word)}"
    if result.original_verdict and result.original_verdict != result.verdict:
        out += (f" <span style='color:#555'>（{html.escape(t('overridden', lang))}，{html.escape(t('original', lang))}{colon}"
                f"{html.escape(t('verdict_' + result.original_verdict, lang))}）</span>")
    out += f"<br><span style='color:#444'>{html.escape(t('area', lang))}{colon}{html.escape(fmt_area(result.area_m2, lang))}</span>"
    return out


def _status_cell(r: Any, lang: str) -> str:
    text = status_text(r.status, lang)
    if r.original_status:
        text = (f"{text}（{t('overridden', lang)}，{t('original', lang)}：{status_text(r.original_status, lang)}；"
                f"{r.override_reason or ''}）")
    return text


def _parcels_cell(r: Any, lang: str) -> str:
    parts = (r.details or {}).get("parcels") or []
    if len(parts) < 2:
        return ""
    return "；".join(f"{p.get('label', '')}：{fmt_value(p.get('value'), r.unit, lang)}" for p in parts)


def rule_basis(r: Any, lang: str, rules_hash: str = "") -> str:
    """Where the rule's threshold comes from, with our interpretation's reason and what the check leaves out.

    ``来源文件规定`` / ``可配置默认值，来源文件未规定`` / ``本工具的解读，非来源原文：<reason>``, then, for the
    shipped rule set, the rule's caveat (e.g. lakes not checked by the river rule).
    """
    if lang == "en" and r.threshold_source == "interpretation":
        label = "our interpretation, not the source's words"
    else:
        label = provenance_label(r.threshold_source, lang) if r.threshold_source else "—"
    remarks = r.remarks(lang) or rule_remarks(r.id, lang, rules_hash)  # the check's own; older saved checks: the file's
    return f"{label}{'：' if lang != 'en' else ': '}{remarks}" if remarks else label


def rule_table(result: Any, lang: str) -> pd.DataFrame:
    """One row per rule: name, status, measured value and threshold with units, citation, message, value source.

    A hidden ``_status`` column keeps the status key for colouring
    (:func:`style_rule_table`).
    """
    rows = []
    for r in result.rules:
        name = (r.name_en if lang == "en" else r.name_zh) or r.id
        rows.append({
            t("rule_name", lang): name,
            t("status", lang): _status_cell(r, lang),
            t("measured", lang): fmt_value(r.value, r.unit, lang) if r.value is not None else "—",
            t("threshold", lang): fmt_value(r.threshold, r.unit, lang) if r.threshold is not None else "—",
            t("parcel_breakdown", lang): _parcels_cell(r, lang),
            t("message", lang): r.message_en if lang == "en" else r.message_zh,
            t("citation", lang): r.citation,
            t("rule_basis", lang): rule_basis(r, lang, getattr(result, "rules_hash", "")),
            t("value_source", lang): r.value_source or "—",
            "_status": r.status,
        })
    frame = pd.DataFrame(rows)
    if not frame.empty and not frame[t("parcel_breakdown", lang)].astype(bool).any():
        frame = frame.drop(columns=[t("parcel_breakdown", lang)])
    return frame


def style_rule_table(frame: pd.DataFrame, lang: str) -> Any:
    """A pandas Styler colouring the status cells as badges; ``_status`` hidden."""
    col = t("status", lang)
    statuses = frame["_status"].tolist()

    def colour(series: pd.Series) -> list[str]:
        if series.name != col:
            return [""] * len(series)
        return [f"color:{STATUS_COLORS.get(s, STATUS_COLORS['not_applicable'])[0]};"
                f"background-color:{STATUS_COLORS.get(s, STATUS_COLORS['not_applicable'])[1]};font-weight:600"
                for s in statuses]

    return frame.style.apply(colour, axis=0).hide(subset=["_status"], axis="columns")


def overlap_table(result: Any, lang: str) -> pd.DataFrame:
    """Overlap areas by layer in 平方米 and 亩 (layers named in Chinese)."""
    from geo.controls import layer_name

    inside = {"urban_boundary", "province"}  # these two hold the area inside the line
    rows = []
    for key, m2 in result.overlaps.items():
        name = layer_name(key, lang)
        if key in inside:
            name = f"{name}内" if lang == "zh" else f"inside the {name}"
        rows.append({t("layer", lang): name,
                     t("area", lang): fmt_area(float(m2 or 0.0), lang)})
    return pd.DataFrame(rows)


def saved_table(table: pd.DataFrame, zone_short: Mapping[str, str], lang: str) -> pd.DataFrame:
    """The saved-proposals list with Chinese headers, zone names, 亩 and words instead of codes."""
    from geo.area import M2_PER_MU

    def verdict(v: Any) -> str:
        return t(f"verdict_{v}", lang) if isinstance(v, str) and v else t("not_checked", lang)

    return pd.DataFrame({
        t("col_id", lang): table["id"].astype(int).values,
        t("prop_name", lang): table["name"].astype(str).values,
        t("col_zone", lang): [zone_short.get(z, z) for z in table["zone_id"]],
        t("col_area_mu", lang): (pd.to_numeric(table["area_m2"], errors="coerce") / M2_PER_MU).round(2).values,
        t("saved_at", lang): [format_time(v) for v in table["created_at"]],
        t("col_by", lang): [str(v or "") for v in table.get("created_by", pd.Series([""] * len(table)))],
        t("col_n_checks", lang): pd.to_numeric(table["n_checks"], errors="coerce").fillna(0).astype(int).values,
        t("col_last_verdict", lang): [verdict(v) for v in table["last_verdict"]],
        t("col_state", lang): [t("state_deleted" if bool(d) else "state_active", lang) for d in table["deleted"]],
    })


def compare_table(results: list[tuple[int, str, Any]], zone_short: Mapping[str, str], lang: str) -> pd.DataFrame:
    """Checks side by side: one column per (proposal id, name, result), one row per rule plus verdict and area."""
    cols: dict[str, list[str]] = {}
    index: list[str] = [t("col_zone", lang), t("verdict", lang), t("area", lang)]
    rule_names: dict[str, str] = {}
    for _, _, res in results:
        for r in res.rules:
            rule_names.setdefault(r.id, (r.name_en if lang == "en" else r.name_zh) or r.id)
    index += list(rule_names.values())
    for pid, name, res in results:
        verdict = t(f"verdict_{res.verdict}", lang)
        if res.original_verdict and res.original_verdict != res.verdict:
            verdict += f"（{t('overridden', lang)}，{t('original', lang)}：{t('verdict_' + res.original_verdict, lang)}）"
        by_id = {r.id: r for r in res.rules}
        vals = [zone_short.get(res.zone.get("zone_id", ""), res.zone.get("short_name", "")), verdict,
                fmt_area(res.area_m2, lang)]
        for rid in rule_names:
            r = by_id.get(rid)
            if r is None:
                vals.append("—")
                continue
            cell = _status_cell(r, lang)
            if r.value is not None and r.status != "not_applicable":
                cell += f" · {fmt_value(r.value, r.unit, lang)}"
            vals.append(cell)
        cols[f"#{pid} {name}"] = vals
    return pd.DataFrame(cols, index=index)


def format_time(value: Any) -> str:
    """An ISO time as ``2026-11-29 20:01（北京时间）`` style text; shown in Beijing time (+08:00)."""
    if value is None or value == "":
        return ""
    try:
        ts = pd.Timestamp(str(value))
    except ValueError:
        return str(value)
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    return ts.tz_convert(_BEIJING).strftime("%Y-%m-%d %H:%M")


_MD_SPECIAL = set("\\`*_{}[]()#+-.!|<>~$:=")


def md_escape(text: Any) -> str:
    """``text`` safe to put into Streamlit Markdown: every Markdown, HTML and directive character backslash-escaped.

    A file name such as ``[x](http://evil)`` or ``<img src=x>`` then shows as
    those characters, never as a link, image or tag.

    >>> md_escape("[a](b) <i>")
    '\\\\[a\\\\]\\\\(b\\\\) \\\\<i\\\\>'
    """
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in str(text)).replace("\n", " ")
