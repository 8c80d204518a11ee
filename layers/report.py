"""PDF check report of one proposal (1–3 A4 pages; Chinese by default, English option).

Page 1: title, zone, proposal, the verdict (large, coloured), key figures
(area in 平方米 / 亩 / 公顷, overlap per layer; outside the 城镇开发边界 and the
province) and a map of the proposal with the overlap pieces highlighted (the
static renderer of :mod:`layers.export`, zoomed to the proposal, same styles as
the app).  Then: the rule table (rule name, status, value / threshold in
Chinese units, finding, the documents cited — title, 文号, chapter — and the
quoted words), for a multi-parcel proposal the per-parcel table (area and the
area rules' values per 地块), overrides with their reasons and original
status, the audit record (check id, Beijing-time timestamps, rules hash,
layer sources and content hashes) and the illustrative-data notice.

Written with fpdf2; Chinese text uses an embedded subset of the CJK font
found by :func:`layers.export.find_cjk_font` (Noto Sans CJK SC), so the PDF shows
the same glyphs everywhere and ``pdftotext`` extracts the text.  This module
says what each section shows; the document itself (font, footer, headings,
paragraphs, key/value tables), the report's fixed words and its colours are
:mod:`layers.report_pdf`.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from geo import clock
from geo import units
from geo.audit import AuditInfo
from geo.controls import control_layers, layer_name
from geo.errors import ParkmapError
from geo.rules import rule_remarks
from geo.sources import provenance_label
from layers.report_pdf import STATUS_COLORS, VERDICT_COLORS
from layers.report_pdf import STATUS_LABELS as _STATUS
from layers.report_pdf import ReportDocument as _Report
from layers.report_pdf import label as _t
from layers.specs import SPEC_BY_ID

#: Map layers drawn under the proposal: the counties, every control layer the map can draw (registry order), the parks
#: and zones.
REPORT_LAYERS: tuple[str, ...] = ("counties", *(k for k in control_layers() if k in SPEC_BY_ID), "parks", "zones")

#: Overlap rows of the figures table beyond the control layers (whose labels are in :mod:`geo.controls`).
_OTHER_OVERLAP_LABELS: dict[str, tuple[str, str]] = {
    "other_parks": ("其他开发区园区", "Other zones' parks"),
    "own_parks": ("本开发区现有园区", "Own parks"),
    "province": ("四川省界外", "Outside Sichuan"),
}


def _overlap_labels() -> dict[str, tuple[str, str]]:
    """Overlap key → (中文, English) of the figures table: the control layers, then parks and province."""
    out = {k: v.report_label for k, v in control_layers().items() if v.report_label is not None}
    out.update(_OTHER_OVERLAP_LABELS)
    return out


# --------------------------------------------------------------------------- formatting


def fmt_value(value: float | None, unit: str, lang: str = "zh") -> str:
    """A rule value in its unit, as planners read it (:func:`geo.units.fmt_value`)."""
    return units.fmt_value(value, unit, lang)


def fmt_area(m2: float | None, lang: str = "zh") -> str:
    """``396,248.2 平方米（594.37 亩，39.62 公顷）`` (:func:`geo.units.fmt_area` with hectares)."""
    return units.fmt_area(m2, lang, ha=True)


def report_view(result: Any, lang: str = "zh") -> Any:
    """The :class:`layers.compose.MapView` of the report map: zoomed to the proposal, overlaps on top."""
    from layers.compose import MapView, geometry_bounds

    geom = result.geometry
    return MapView(bounds=geometry_bounds(geom, pad=0.3, min_span=0.005), active=REPORT_LAYERS,
                   highlighted=(result.zone or {}).get("zone_id", ""), proposal=geom,
                   overlaps=dict(result.geometries), lang=lang, level="zone")


# --------------------------------------------------------------------------- the PDF


def _header(doc: _Report, result: Any, audit: AuditInfo | None) -> None:
    from geo.check import TYPE_NAMES
    from layers.specs import CLASS_EN, LEVEL_EN

    lang = doc.lang
    z = result.zone or {}
    doc.h1(_t("title_adjust" if result.type == "adjust" else "title_expand", lang))
    cls = CLASS_EN.get(z.get("zone_class", ""), z.get("zone_class", "")) if lang == "en" else z.get("zone_class", "")
    lvl = LEVEL_EN.get(z.get("level", ""), z.get("level", "")) if lang == "en" else z.get("level", "")
    flags = [_t("chemical", lang)] if result.chemical else []
    flags += [_t("major", lang)] if result.major_project else []
    tzh, ten = TYPE_NAMES.get(result.type, (result.type, result.type))
    audit_txt = f"{audit.check_id}" if audit and audit.check_id is not None else _t("not_recorded", lang)
    doc.kv([
        (_t("zone", lang), f"{z.get('name', '')}（{z.get('zone_id', '')}；{cls}，{lvl}）" if lang == "zh"
         else f"{z.get('name', '')} ({z.get('zone_id', '')}; {cls}, {lvl})"),
        (_t("proposal", lang), result.name or "—"),
        (_t("type", lang), (tzh if lang == "zh" else ten) + (f" · {'、'.join(flags) if lang == 'zh' else ', '.join(flags)}"
                                                               if flags else "")),
        (_t("audit_id", lang), audit_txt),
    ])


def _verdict(doc: _Report, result: Any) -> None:
    from geo.check import VERDICTS

    pdf, lang = doc.pdf, doc.lang
    zh, en = VERDICTS[result.verdict]
    color = VERDICT_COLORS.get(result.verdict, (60, 60, 60))
    pdf.ln(3)
    y = pdf.get_y()
    pdf.set_fill_color(*color)
    pdf.rect(pdf.l_margin, y, pdf.epw, 17, style="F")
    pdf.set_xy(pdf.l_margin + 4, y + 2.2)
    pdf.set_text_color(255, 255, 255)
    pdf.set_font("cjk", "", 9.5)
    pdf.cell(36, 12.5, _t("verdict", lang))
    pdf.set_font("cjk", "B", 24)
    text = f"{zh}  {en.upper()}" if lang == "zh" else f"{en.upper()}  {zh}"
    pdf.cell(0, 12.5, text)
    pdf.set_xy(pdf.l_margin, y + 17)
    if result.original_verdict and result.original_verdict != result.verdict:
        ozh, oen = VERDICTS[result.original_verdict]
        doc.para(f"{_t('verdict_before', lang)}：{ozh} {oen}" if lang == "zh"
                 else f"{_t('verdict_before', lang)}: {oen} ({ozh})", size=8.5, color=(90, 90, 90))
    pdf.ln(1)


def _figures(doc: _Report, result: Any) -> None:
    lang = doc.lang
    doc.h2(_t("figures", lang))
    rows = [(_t("area", lang), fmt_area(result.area_m2, lang))]
    if result.new_area_m2 is not None:
        rows.append((_t("new_area", lang), fmt_area(result.new_area_m2, lang)))
    if result.removed_area_m2 is not None:
        rows.append((_t("removed_area", lang), fmt_area(result.removed_area_m2, lang)))
    area = result.area_m2 or 0.0
    for key, (zh, en) in _overlap_labels().items():
        if key not in result.overlaps:
            continue
        v = float(result.overlaps[key] or 0.0)
        if key in ("urban_boundary", "province"):  # these overlaps are the part inside: show the part outside
            v = _outside_m2(result, "in_sichuan" if key == "province" else key, max(area - v, 0.0))
        share = units.fmt_pct(v / area) if area else "—"
        label = f"{_t('overlap', lang)}：{zh}" if lang == "zh" else f"{_t('overlap', lang)}: {en}"
        rows.append((label, f"{units.fmt_area(v, lang)}，{_t('share', lang)} {share}" if lang == "zh" else
                     f"{units.fmt_area(v, lang)}, {_t('share', lang)} {share}"))
    doc.kv(rows, key_w=62, size=8.5)


def _outside_m2(result: Any, rule_id: str, fallback: float) -> float:
    """The area outside (m²) as measured by the rule row (the violation), else ``fallback``."""
    try:
        row = result.rule(rule_id)
    except KeyError:
        return fallback
    return float(row.value) if row.value is not None and row.status != "not_applicable" else fallback


def _map(doc: _Report, result: Any, frames: Mapping[str, Any] | None, dpi: int) -> None:
    from layers.export import render_static_map
    from layers.compose import load_frames, plan_legend

    pdf, lang = doc.pdf, doc.lang
    if result.geometry is None:
        return
    frames = frames if frames is not None else load_frames()
    view = report_view(result, lang)
    doc.h2(_t("map", lang))
    legend = plan_legend(view, frames)
    rows = (len(legend) + 2) // 3
    avail = pdf.h - pdf.b_margin - pdf.get_y() - rows * 4.4 - 4
    h = max(min(avail, 118.0), 60.0)
    png = render_static_map(view, frames, pdf.epw, h, dpi=dpi)
    y = pdf.get_y()
    pdf.image(io.BytesIO(png), x=pdf.l_margin, y=y, w=pdf.epw, h=h)
    pdf.set_y(y + h + 1.5)
    _legend(doc, legend)


def _legend(doc: _Report, rows: list[tuple[str, str, str]]) -> None:
    from matplotlib.colors import to_rgb

    pdf = doc.pdf
    col_w = pdf.epw / 3
    pdf.set_font("cjk", "", 7.5)
    pdf.set_text_color(40, 40, 40)
    y0 = pdf.get_y()
    per_col = (len(rows) + 2) // 3
    for i, (kind, color, label) in enumerate(rows):
        c, r = divmod(i, per_col) if per_col else (0, i)
        x, y = pdf.l_margin + c * col_w, y0 + r * 4.4
        rgb = tuple(int(round(v * 255)) for v in to_rgb(color))
        pdf.set_fill_color(*rgb)
        pdf.set_draw_color(*rgb)
        if kind == "dot":
            pdf.ellipse(x + 0.3, y + 0.9, 2.6, 2.6, style="F")
        elif kind == "fill":
            pdf.set_draw_color(85, 85, 85)
            pdf.set_line_width(0.2)
            pdf.rect(x, y + 0.8, 4.2, 2.9, style="DF")
        else:
            pdf.set_line_width(0.7)
            if kind == "dash":
                pdf.set_dash_pattern(dash=1.2, gap=0.8)
            pdf.line(x, y + 2.2, x + 4.6, y + 2.2)
            pdf.set_dash_pattern()
        pdf.set_xy(x + 6, y)
        pdf.set_font("cjk", "", 7.5)
        width = pdf.get_string_width(label)
        if width > col_w - 7:  # shrink a long label to its column
            pdf.set_font("cjk", "", max(5.5, 7.5 * (col_w - 7) / width))
        pdf.cell(col_w - 6, 4.4, label)
    pdf.set_xy(pdf.l_margin, y0 + per_col * 4.4 + 1)


def _rule_table(doc: _Report, result: Any) -> None:
    from fpdf.fonts import FontFace

    pdf, lang = doc.pdf, doc.lang
    doc.h2(_t("rules", lang))
    heads = (_t("rule", lang), _t("status", lang), _t("value", lang), _t("finding", lang), _t("citation", lang))
    pdf.set_font("cjk", "", 7.2)
    pdf.set_text_color(30, 30, 30)
    head = FontFace(emphasis="BOLD", fill_color=(232, 232, 232))
    pdf.set_fill_color(255, 255, 255)
    with pdf.table(col_widths=(29, 17, 28, 48, 58), headings_style=head, line_height=3.3, padding=0.9,
                   text_align=("LEFT", "LEFT", "LEFT", "LEFT", "LEFT"), repeat_headings=1,
                   borders_layout="SINGLE_TOP_LINE") as table:
        row = table.row()
        for h in heads:
            row.cell(h)
        for r in result.rules:
            row = table.row()
            row.cell(r.name(lang))  # the rule by name; ids stay in the JSON
            label = _STATUS.get(r.status, (r.status, r.status))[1 if lang == "en" else 0]
            if r.original_status:
                label += "*"
            row.cell(label, style=FontFace(emphasis="BOLD", color=STATUS_COLORS.get(r.status, (0, 0, 0))))
            thr = fmt_value(r.threshold, r.unit, lang)
            row.cell(f"{fmt_value(r.value, r.unit, lang)}\n/ {thr}")
            src = f"\n[{provenance_label(r.value_source, lang)}]" if r.value_source else ""
            row.cell((r.message_en if lang == "en" else r.message_zh) + src)
            tsrc = (f"\n[{provenance_label(r.threshold_source, lang)}]"
                    if r.threshold_source and r.threshold_source != "seed" else "")
            remarks = r.remarks(lang) or rule_remarks(r.id, lang, result.rules_hash)  # interpretation, what is not checked
            tsrc += f"\n[{remarks}]" if remarks else ""
            quote = f"\n{r.citation_quote}" if r.citation_quote and lang == "zh" else ""
            row.cell(r.citation + quote + tsrc)


_OTHER_PARCEL_RULES: dict[str, tuple[str, str]] = {
    "other_parks": ("占其他开发区园区", "Other zones' parks"),
    "in_sichuan": ("四川省界外", "Outside Sichuan"),
}


def parcel_rules() -> dict[str, tuple[str, str]]:
    """Area rules broken down by parcel, with their column heads (outside rules show the part outside).

    The control layers' rules (rule id = layer key, :mod:`geo.controls`) first, then the others.
    """
    out = {k: v.parcel_label for k, v in control_layers().items() if v.parcel_label is not None}
    out.update(_OTHER_PARCEL_RULES)
    return out


#: The built-in layers' :func:`parcel_rules`.
PARCEL_RULES: dict[str, tuple[str, str]] = parcel_rules()


def parcel_rows(result: Any) -> tuple[list[str], list[list[float | None]]]:
    """(rule ids, one row per parcel: [area, value per rule]) for the report table; empty for one parcel."""
    parcels = list(getattr(result, "parcels", None) or [])
    if len(parcels) < 2:
        return [], []
    ids, by = [], {}
    heads = parcel_rules()
    for r in result.rules:
        vals = (r.details or {}).get("parcels") if r.id in heads and r.status != "not_applicable" else None
        if vals:
            ids.append(r.id)
            by[r.id] = {v["label"]: v["value"] for v in vals}
    rows = [[p.get("area_m2")] + [by[i].get(p["label"]) for i in ids] for p in parcels]
    return ids, rows


def _parcels(doc: _Report, result: Any) -> None:
    from fpdf.fonts import FontFace

    ids, rows = parcel_rows(result)
    if not rows:
        return
    pdf, lang = doc.pdf, doc.lang
    doc.h2(_t("parcels", lang))
    doc.para(_t("parcels_note", lang).format(n=len(rows)), size=8)
    pdf.set_font("cjk", "", 7)
    pdf.set_fill_color(255, 255, 255)
    n = len(ids) + 2
    first = 30.0
    widths = (first,) + ((pdf.epw - first) / (n - 1),) * (n - 1)
    heads = [_t("parcel", lang), _t("area", lang)] + [parcel_rules()[i][1 if lang == "en" else 0] for i in ids]
    with pdf.table(col_widths=widths, headings_style=FontFace(emphasis="BOLD", fill_color=(232, 232, 232)),
                   line_height=3.2, padding=0.8, borders_layout="SINGLE_TOP_LINE") as table:
        row = table.row()
        for h in heads:
            row.cell(h)
        for p, vals in zip(result.parcels, rows):
            row = table.row()
            row.cell(str(p["label"]))
            for j, v in enumerate(vals):
                bad = j > 0 and v
                row.cell(units.fmt_area(v, lang), style=FontFace(color=(198, 40, 40)) if bad else None)
        row = table.row()
        row.cell(_t("total", lang), style=FontFace(emphasis="BOLD"))
        row.cell(units.fmt_area(result.area_m2, lang), style=FontFace(emphasis="BOLD"))
        for i in ids:
            row.cell(units.fmt_area(result.rule(i).value, lang), style=FontFace(emphasis="BOLD"))


def _overrides(doc: _Report, result: Any) -> None:
    from fpdf.fonts import FontFace

    pdf, lang = doc.pdf, doc.lang
    doc.h2(_t("overrides", lang))
    rows = [r for r in result.rules if r.original_status]
    if not rows:
        doc.para(_t("no_overrides", lang), size=8.5)
        return
    pdf.set_font("cjk", "", 7.8)
    pdf.set_fill_color(255, 255, 255)
    with pdf.table(col_widths=(24, 20, 20, 86, 30), headings_style=FontFace(emphasis="BOLD", fill_color=(232, 232, 232)),
                   line_height=3.6, padding=0.9, borders_layout="SINGLE_TOP_LINE") as table:
        row = table.row()
        for h in ("rule", "original", "new", "reason", "at"):
            row.cell(_t(h, lang))
        for r in rows:
            row = table.row()
            st = lambda s: _STATUS.get(s, (s, s))[1 if lang == "en" else 0]  # noqa: E731
            for v in (r.name(lang), st(r.original_status), st(r.status), r.override_reason or "", r.overridden_at or ""):
                row.cell(str(v))


def _who(name: str, role: str, lang: str) -> str:
    from geo.auth import role_label

    return f"{name}（{role_label(role, lang)}）" if lang != "en" and role else \
        (f"{name} ({role_label(role, 'en')})" if role else name)


def _audit(doc: _Report, result: Any, audit: AuditInfo | None, generated: str) -> None:
    from fpdf.fonts import FontFace

    pdf, lang = doc.pdf, doc.lang
    doc.h2(_t("audit", lang))
    rows = [(_t("audit_id", lang), str(audit.check_id) if audit and audit.check_id is not None
             else _t("not_recorded", lang))]
    if audit and audit.proposal_id is not None:
        rows.append((_t("proposal_id", lang), str(audit.proposal_id)))
    if audit and audit.kind == "override" and audit.parent_check_id is not None:
        rows.append((_t("amends", lang), str(audit.parent_check_id)))
    rows += [(_t("checked_at", lang), result.checked_at or "—")]
    if audit and audit.recorded_at:
        rows.append((_t("recorded_at", lang), audit.recorded_at))
    if audit and audit.recorded_by:
        rows.append((_t("recorded_by", lang), _who(audit.recorded_by, audit.role, lang)))
    if audit and audit.report_by:
        rows.append((_t("report_by", lang), _who(audit.report_by, audit.report_role, lang)))
    if audit and audit.chain_head:
        rows.append((_t("chain_head", lang), audit.chain_head))
    rows += [(_t("report_at", lang), generated),
             (_t("rules_file", lang), f"v{result.rules_version} · {result.rules_hash}")]
    doc.kv(rows, key_w=52, size=8)
    pdf.ln(1.5)
    doc.para(_t("layers", lang), size=8.5, bold=True)
    pdf.set_font("cjk", "", 6.8)
    pdf.set_fill_color(255, 255, 255)
    with pdf.table(col_widths=(24, 40, 14, 14, 88), headings_style=FontFace(emphasis="BOLD", fill_color=(232, 232, 232)),
                   line_height=3.1, padding=0.7, borders_layout="SINGLE_TOP_LINE") as table:
        row = table.row()
        for h in ("layer", "source", "illustrative", "features", "hash"):
            row.cell(_t(h, lang))
        for key, info in (result.layers or {}).items():
            row = table.row()
            row.cell(layer_name(key, lang))
            row.cell(str(info.get("source", "")))
            row.cell(_t("yes" if info.get("illustrative") else "no", lang))
            row.cell(str(info.get("features", "")))
            row.cell(str(info.get("hash", "")))


def build_report(result: Any, *, lang: str = "zh", audit: AuditInfo | None = None,
                 frames: Mapping[str, Any] | None = None, generated: str | None = None, map_dpi: int = 200) -> bytes:
    """The PDF check report of ``result``.

    Parameters
    ----------
    result : geo.check.CheckResult
        With its geometries (a fresh check, or ``SavedCheck.to_result()``).
    lang : {"zh", "en"}
    audit : AuditInfo, optional
        The workspace record of the check (its id is the audit-record id).
    frames : dict, optional
        Map layers (:func:`layers.compose.load_frames`; loaded when omitted).
    generated : str, optional
        Timestamp printed as "report generated" (default now, Asia/Shanghai +08:00).
    map_dpi : int
        Resolution of the map image.

    Returns
    -------
    bytes
        PDF, 1–3 A4 pages.

    Raises
    ------
    ParkmapError
        No CJK font (``code="font"``), bad language.
    """
    if lang not in ("zh", "en"):
        raise ParkmapError(f"报告语言应为 zh 或 en，而不是 “{lang}”", f"The report language must be zh or en, not '{lang}'",
                           code="usage")
    from layers.i18n import t

    created = clock.now()
    generated = generated or created.isoformat(timespec="seconds")
    footer = f"parkmap · {result.name or ''} · {(result.zone or {}).get('zone_id', '')}"
    if audit and audit.check_id is not None:
        footer += f" · #{audit.check_id}"
    doc = _Report(lang, footer)
    pdf = doc.pdf
    pdf.set_title(_t("title_adjust" if result.type == "adjust" else "title_expand", lang) + f" — {result.name}")
    pdf.set_creation_date(created)
    pdf.add_page()
    _header(doc, result, audit)
    _verdict(doc, result)
    _figures(doc, result)
    _map(doc, result, frames, map_dpi)
    pdf.add_page()
    _rule_table(doc, result)
    _parcels(doc, result)
    _overrides(doc, result)
    _audit(doc, result, audit, generated)
    if result.warnings:
        doc.h2(_t("warnings", lang))
        for w in result.warnings:
            doc.para(f"· {w}", size=7.5)
    pdf.ln(2)
    doc.para(t("illustrative_notice", lang), size=8.5, color=(165, 15, 21), bold=True)
    return bytes(pdf.output())


def report_for_saved(workspace: Any, proposal_id: int, *, lang: str = "zh", frames: Mapping[str, Any] | None = None,
                     check_id: int | None = None, actor: Any = None, **kwargs: Any) -> bytes:
    """Report of a saved proposal's latest check (or ``check_id``), with its audit record.

    Producing it is itself an audit event (``report``, by ``actor``, needing
    the ``export`` permission); the report prints who recorded the check, who
    produced the report and the audit chain head after that event, so a
    printed copy can be checked later with ``parkmap audit verify --head``.

    Raises
    ------
    ParkmapError
        Unknown proposal, or a proposal that was never checked (``code="not-found"``).
    """
    import dataclasses

    from geo.audit import format_head

    workspace.get_proposal(proposal_id)  # raises for an unknown id
    if check_id is None:
        checks = workspace.checks_for(proposal_id)
        if not checks:
            raise ParkmapError(f"方案 {proposal_id} 还没有核查记录", f"Proposal {proposal_id} has no check yet",
                               "先运行 parkmap check --save / run parkmap check --save first", code="not-found")
        saved = checks[-1]
    else:
        saved = workspace.get_check(check_id)
    if saved.proposal_id != int(proposal_id):
        raise ParkmapError(f"核查记录 {saved.id} 不属于方案 {proposal_id}", f"Check {saved.id} is not of proposal {proposal_id}",
                           code="not-found")
    result = saved.to_result()
    who = workspace.actor_or_default(actor)
    workspace.record("report", actor=who, permission="export", proposal_id=saved.proposal_id, check_id=saved.id,
                     detail={"lang": lang})
    audit = dataclasses.replace(AuditInfo.from_saved(saved), report_by=who.name, report_role=who.role,
                                chain_head=format_head(workspace.head()))
    return build_report(result, lang=lang, audit=audit, frames=frames, **kwargs)


def report_unsaved(workspace: Any, result: Any, *, actor: Any = None, lang: str = "zh",
                   frames: Mapping[str, Any] | None = None, **kwargs: Any) -> bytes:
    """Report of a result that was not saved: still a ``report`` audit event (who, what verdict).

    The report says the check is not recorded and prints who produced it and
    the chain head after the event.
    """
    from geo.audit import format_head

    who = workspace.actor_or_default(actor)
    workspace.record("report", actor=who, permission="export",
                     detail={"saved": False, "name": result.name, "zone_id": (result.zone or {}).get("zone_id"),
                             "verdict": result.verdict, "lang": lang})
    audit = AuditInfo(report_by=who.name, report_role=who.role, chain_head=format_head(workspace.head()))
    return build_report(result, lang=lang, audit=audit, frames=frames, **kwargs)


__all__ = ["AuditInfo", "PARCEL_RULES", "REPORT_LAYERS", "build_report", "parcel_rows", "parcel_rules", "fmt_area", "fmt_value",
           "report_for_saved", "report_unsaved", "report_view"]
