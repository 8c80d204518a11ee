"""The PDF side of the check report: its words in both languages, its colours, and the fpdf2 document.

:class:`ReportDocument` is an A4 fpdf2 document with the embedded CJK font
(found by :func:`layers.export.find_cjk_font`), the page footer and the
report's typography: title, section headings that keep with what follows,
paragraphs and key/value tables.  :data:`TEXTS` and :func:`label` give every
fixed word of the report in Chinese and English.  What the report says, section
by section, is :mod:`layers.report`.
"""

from __future__ import annotations

import warnings

#: Verdict → colour (RGB) on the report.
VERDICT_COLORS: dict[str, tuple[int, int, int]] = {"pass": (46, 125, 50), "attention": (230, 81, 0),
                                                  "fail": (198, 40, 40)}
#: Rule status → colour (RGB) in the rule table.
STATUS_COLORS: dict[str, tuple[int, int, int]] = {"pass": (46, 125, 50), "fail": (198, 40, 40),
                                                 "warn": (230, 81, 0), "info": (21, 101, 192),
                                                 "not_applicable": (117, 117, 117)}

#: Fixed words of the report: key → (中文, English).
TEXTS: dict[str, tuple[str, str]] = {
    "title_expand": ("开发区扩区核查报告", "Development-zone expansion check report"),
    "title_adjust": ("开发区调区（调位）核查报告", "Development-zone adjustment check report"),
    "zone": ("开发区", "Zone"),
    "proposal": ("方案", "Proposal"),
    "type": ("类型", "Type"),
    "flags": ("属性", "Flags"),
    "chemical": ("化工园区/项目", "chemical"),
    "major": ("重点建设项目（土地管理法第三十五条）", "key project (Land Administration Law Art. 35)"),
    "none": ("无", "none"),
    "verdict": ("核查结论", "Verdict"),
    "verdict_before": ("人工改判前", "before override"),
    "figures": ("主要数据", "Key figures"),
    "area": ("方案面积", "Proposal area"),
    "new_area": ("新增面积（不含本区现有园区）", "New area (excl. own parks)"),
    "removed_area": ("调出面积", "Removed area"),
    "overlap": ("重叠 / 超出", "Overlap / outside"),
    "share": ("占方案面积", "Share of proposal"),
    "map": ("方案位置与重叠部分", "Proposal and overlaps"),
    "rules": ("逐条核查", "Rule by rule"),
    "rule": ("规则", "Rule"),
    "status": ("结果", "Status"),
    "value": ("数值 / 阈值", "Value / threshold"),
    "finding": ("核查情况", "Finding"),
    "citation": ("依据", "Citation"),
    "parcels": ("分地块核查", "By parcel"),
    "parcel": ("地块", "Parcel"),
    "parcels_note": ("方案由 {n}个地块组成，结论针对整个方案；下表为各地块的面积及各项面积类规则的数值。",
                     "The proposal has {n} parcels; the verdict is for the whole proposal. Areas and the values of "
                     "the area rules per parcel:"),
    "total": ("合计（方案）", "Total (proposal)"),
    "overrides": ("人工改判", "Overrides"),
    "no_overrides": ("无人工改判。", "No overrides."),
    "original": ("原结果", "Original"),
    "new": ("改判为", "New"),
    "reason": ("理由", "Reason"),
    "at": ("时间", "At"),
    "audit": ("审计记录", "Audit record"),
    "amends": ("人工改判，修订的核查编号", "Override of check id"),
    "audit_id": ("审计记录编号（核查编号）", "Audit record id (check id)"),
    "not_recorded": ("未保存到工作区（无审计记录）", "not saved to the workspace (no audit record)"),
    "proposal_id": ("方案编号", "Proposal id"),
    "checked_at": ("核查时间", "Checked at"),
    "recorded_at": ("记录时间", "Recorded at"),
    "recorded_by": ("记录人（角色）", "Recorded by (role)"),
    "report_by": ("报告生成人（角色）", "Report by (role)"),
    "chain_head": ("审计链头（可用 parkmap audit verify --head 核对）", "Audit chain head (check with parkmap audit verify --head)"),
    "report_at": ("报告生成", "Report generated"),
    "rules_file": ("规则版本 / 哈希", "Rules version / hash"),
    "layers": ("图层来源与内容哈希（SHA-256）", "Layer sources and content hashes (SHA-256)"),
    "layer": ("图层", "Layer"),
    "source": ("来源", "Source"),
    "features": ("要素数", "Features"),
    "hash": ("哈希", "Hash"),
    "warnings": ("提示", "Warnings"),
    "page": ("第 {i} 页 / 共 {n} 页", "Page {i} of {n}"),
    "illustrative": ("示意", "illustrative"),
    "official": ("正式", "official"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
}
#: Rule status → (中文, English) label in the tables.
STATUS_LABELS: dict[str, tuple[str, str]] = {"pass": ("✓ 符合", "✓ pass"), "fail": ("× 不符合", "× fail"),
                                             "warn": ("! 需关注", "! warn"), "info": ("i 提示", "i info"),
                                             "not_applicable": ("– 不适用", "– n/a")}


def label(key: str, lang: str) -> str:
    """The report's word ``key`` in ``lang`` (``"en"`` or Chinese)."""
    zh, en = TEXTS[key]
    return en if lang == "en" else zh


class ReportDocument:
    """fpdf2 document with the CJK font and the page footer."""

    def __init__(self, lang: str, footer: str) -> None:
        from fpdf import FPDF

        from layers.export import find_cjk_font, font_file

        fam = find_cjk_font()
        regular, bold = font_file(fam, False), font_file(fam, True)
        lang_ = lang

        class Doc(FPDF):
            def footer(self) -> None:  # noqa: D401 (fpdf2 hook)
                self.set_y(-12)
                self.set_font("cjk", "", 7.5)
                self.set_text_color(110, 110, 110)
                page = label("page", lang_).format(i=self.page_no(), n="{nb}")
                self.cell(0, 5, f"{footer}    {page}", align="C")

        pdf = Doc(orientation="P", unit="mm", format="A4")
        pdf.alias_nb_pages("{nb}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pdf.add_font("cjk", "", regular[0], collection_font_number=regular[1])
            pdf.add_font("cjk", "B", bold[0], collection_font_number=bold[1])
        pdf.set_margins(15, 14, 15)
        pdf.set_auto_page_break(True, margin=16)
        pdf.set_creator("parkmap")
        self.pdf = pdf
        self.lang = lang

    def h1(self, text: str) -> None:
        self.pdf.set_font("cjk", "B", 17)
        self.pdf.set_text_color(20, 20, 20)
        self.pdf.multi_cell(0, 8.5, text, new_x="LMARGIN", new_y="NEXT")

    def h2(self, text: str, keep_mm: float = 28.0) -> None:
        """Section heading; starts a new page when less than ``keep_mm`` would follow it."""
        pdf = self.pdf
        if pdf.get_y() + keep_mm > pdf.h - pdf.b_margin:
            pdf.add_page()
        pdf.ln(2.5)
        pdf.set_font("cjk", "B", 11.5)
        pdf.set_text_color(20, 20, 20)
        pdf.cell(0, 6.5, text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_draw_color(120, 120, 120)
        pdf.set_line_width(0.3)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        pdf.ln(1.5)

    def para(self, text: str, size: float = 9, color: tuple[int, int, int] = (30, 30, 30), bold: bool = False,
             h: float = 4.6) -> None:
        self.pdf.set_font("cjk", "B" if bold else "", size)
        self.pdf.set_text_color(*color)
        self.pdf.multi_cell(0, h, text, new_x="LMARGIN", new_y="NEXT")

    def kv(self, rows: list[tuple[str, str]], key_w: float = 52, size: float = 9) -> None:
        """Two-column key/value table (values wrap)."""
        from fpdf.fonts import FontFace

        pdf = self.pdf
        pdf.set_font("cjk", "", size)
        pdf.set_text_color(30, 30, 30)
        pdf.set_fill_color(255, 255, 255)
        with pdf.table(col_widths=(key_w, pdf.epw - key_w), first_row_as_headings=False, line_height=size * 0.5,
                       borders_layout="HORIZONTAL_LINES", padding=0.8,
                       text_align=("LEFT", "LEFT")) as table:
            for k, v in rows:
                row = table.row()
                row.cell(k, style=FontFace(emphasis="BOLD", color=(60, 60, 60)))
                row.cell(v)
