"""The source documents, and citations a planner can read.

Every rule, zone attribute and industry link of parkmap cites a source.  Inside
the data a citation names a *file* (``seeds/002_b396a41d8a8b528f.txt``) and a
line (``L1674``); a planner needs the *document*: its official title, its 文号
and the chapter, e.g. ``《四川省开发区发展规划（2023—2027年）》第八章第一节“强化规划管控”``.

:data:`SOURCES` is the one registry of the documents (titles and 文号 from
``/work/shared/seeds/README.md`` and the documents' own headers).  Two seeds
have no official title: 000 (profiles of the 高新区 published by the 四川省科学技术厅)
and 003 (a 2024 news page on Chengdu's 立园满园 action); their ``title`` is a
description and is shown without 《》.

Functions
    :func:`source_for` — registry entry of a file name, path or key.
    :func:`cite` — one citation ``{file, section, line, quote}`` → planner text.
    :func:`cite_all` — several citations → ``"；"``-joined planner text.
    :func:`cite_ref` — the machine reference (file and line) kept for audit.
    :func:`humanize` — rewrite the source strings of the data tables
    (``catalogue_2018:G511040|seeds/002_….txt 第三章第一节``) as planner text.
    :func:`upgrade_citation` — an old check document's citation text
    (``seeds/002_….txt 第八章第一节 … L1674：“…”``) → (text, ref, quote).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from geo.errors import ParkmapError


@dataclass(frozen=True)
class SourceDoc:
    """One source document.

    Attributes
    ----------
    key : str
        Short key: ``"000"`` … ``"004"`` for the seeds, ``"catalogue_2018"``.
    file : str
        File name as cited in the data (``002_b396a41d8a8b528f.txt``).
    title : str
        Official title without 《》 (or a description when ``official`` is false).
    doc_no : str
        文号, e.g. ``川府发〔2021〕28号`` ("" when the document has none).
    status : str
        e.g. ``征求意见稿`` (draft for comment), shown after the title.
    issuer : str
    year : str
    official : bool
        False when ``title`` is a description (no official title exists).
    title_en : str
    """

    key: str
    file: str
    title: str
    doc_no: str = ""
    status: str = ""
    issuer: str = ""
    year: str = ""
    official: bool = True
    title_en: str = ""

    @property
    def label(self) -> str:
        """How the document is named to a planner: ``《标题》（文号）`` / ``《标题》（征求意见稿）`` / description."""
        text = f"《{self.title}》" if self.official else self.title
        for extra in (self.doc_no, self.status):
            if extra:
                text += f"（{extra}）"
        return text

    @property
    def label_en(self) -> str:
        text = self.title_en or self.title
        extra = ", ".join(x for x in (self.doc_no, self.status and "draft for comment") if x)
        return f"{text} ({extra})" if extra else text


#: Registry of the source documents, by key.
SOURCES: dict[str, SourceDoc] = {
    "000": SourceDoc(
        "000", "000_ae2907757837b27b.txt", "四川省高新区情况介绍（四川省科学技术厅、各高新区管委会，2020年）",
        issuer="四川省科学技术厅", year="2020", official=False,
        title_en="Profiles of Sichuan's high-tech zones (Sichuan Department of Science and Technology, 2020)"),
    "001": SourceDoc(
        "001", "001_e6a5a463a13aa8e2.txt", "关于促进高新技术产业开发(园)区高质量发展的实施意见",
        doc_no="川府发〔2021〕28号", issuer="四川省人民政府", year="2021",
        title_en="Implementing Opinions on Promoting the High-Quality Development of High-Tech Zones"),
    "002": SourceDoc(
        "002", "002_b396a41d8a8b528f.txt", "四川省开发区发展规划（2023—2027年）",
        issuer="四川省人民政府", year="2023",
        title_en="Sichuan Development Zone Plan (2023–2027)"),
    "003": SourceDoc(
        "003", "003_0b0c378a4ba9fc42.txt", "成都市“立园满园”行动新闻报道（2024年）",
        issuer="成都市", year="2024", official=False,
        title_en="News report on Chengdu's park development action (2024)"),
    "004": SourceDoc(
        "004", "004_51f6aadd2ca4b953.txt", '四川省"5+1"重点特色园区培育发展三年行动计划（2021—2023年）',
        status="征求意见稿", year="2021",
        title_en="Three-Year Action Plan for Sichuan's \"5+1\" Featured Parks (2021–2023)"),
    "land_law": SourceDoc(
        "land_law", "land_administration_law_2019", "中华人民共和国土地管理法",
        status="2019年修正", issuer="全国人民代表大会常务委员会", year="2019",
        title_en="Land Administration Law of the People's Republic of China (2019 amendment)"),
    "catalogue_2018": SourceDoc(
        "catalogue_2018", "catalogue_2018_sichuan.csv", "中国开发区审核公告目录",
        status="2018年版", issuer="国家发展改革委等六部门", year="2018",
        title_en="China Development Zone Audit Announcement Catalogue"),
}

_BY_FILE: dict[str, SourceDoc] = {d.file: d for d in SOURCES.values()}
_SEED_FILE = re.compile(r"(?:[\w./-]*/)?(\d{3}_[0-9a-f]{16}\.txt)")
_N = "[一二三四五六七八九十百零]+"
_LOCATOR = re.compile(rf"(?:第{_N}章)?(?:第{_N}节)?(?:[(（]{_N}[)）])?|专栏\s*\d+|{_N}[(（]{_N}[)）]|{_N}")


def source_for(ref: str) -> SourceDoc:
    """The registry entry of a file name, a path ending in it, or a key.

    Raises
    ------
    ParkmapError
        ``code="source"`` for a file that is not in the registry.
    """
    text = str(ref or "").strip()
    if text in SOURCES:
        return SOURCES[text]
    name = text.replace("\\", "/").rsplit("/", 1)[-1]
    if name in _BY_FILE:
        return _BY_FILE[name]
    if name.startswith("catalogue_2018"):
        return SOURCES["catalogue_2018"]
    raise ParkmapError(f"来源文件 {text!r} 不在来源登记表中（geo/sources.py）",
                       f"Source file {text!r} is not in the source registry (geo/sources.py)", code="source")


def _fw(text: str) -> str:
    """ASCII parentheses → full-width (Chinese text)."""
    return text.replace("(", "（").replace(")", "）")


def section_text(section: str) -> str:
    """A section as a planner reads it: ``第八章第一节 强化规划管控（强化空间管控）`` →
    ``第八章第一节“强化规划管控”（强化空间管控）``; ``二(三) 完善高新区规划`` → ``二（三）“完善高新区规划”``."""
    s = " ".join(str(section or "").split())
    if not s:
        return ""
    loc, _, rest = s.partition(" ")
    if not rest or not _LOCATOR.fullmatch(loc):
        return _fw(s)
    head, paren, tail = rest.partition("（") if "（" in rest else rest.partition("(")
    out = f"{_fw(loc)}“{head.strip()}”"
    if paren:
        out += f"（{_fw(tail)}" if tail.endswith(("）", ")")) else f"（{tail}"
    return _fw(out)


def cite(citation: Mapping[str, Any] | Any, *, quote: bool = False) -> str:
    """One citation as planner text, never a file name or hash.

    Parameters
    ----------
    citation : mapping or object
        With ``file`` and ``section`` (``line`` and ``quote`` optional), e.g. a
        :class:`geo.rules.Citation` or a rules.yaml entry.  A document that is
        not in :data:`SOURCES` is named by the citation's own ``title`` (and
        ``doc_no``).
    quote : bool
        Append the quoted words: ``…第八章第一节“强化规划管控”：“强化耕地……”``.

    Examples
    --------
    >>> cite({"file": "seeds/002_b396a41d8a8b528f.txt", "section": "第八章第一节 强化规划管控"})
    '《四川省开发区发展规划（2023—2027年）》第八章第一节“强化规划管控”'
    """
    get = citation.get if isinstance(citation, Mapping) else lambda k, d=None: getattr(citation, k, d)
    title = str(get("title", "") or "").strip()
    if title:  # a document outside the registry, named in the citation itself
        doc_no = str(get("doc_no", "") or "").strip()
        label = f"《{title.strip('《》')}》" + (f"（{doc_no}）" if doc_no else "")
    else:
        label = source_for(get("file", "")).label
    text = label + section_text(get("section", "") or "")
    q = str(get("quote", "") or "").strip()
    if quote and q:
        text += f"：“{q}”"
    return text


def cite_all(citations: Iterable[Any], *, quote: bool = False, sep: str = "；") -> str:
    """Several citations as planner text joined with ``；`` (the same document is named each time)."""
    return sep.join(dict.fromkeys(cite(c, quote=quote) for c in citations))


def cite_ref(citations: Iterable[Any], sep: str = "；") -> str:
    """The machine reference of citations: ``seeds/002_b396a41d8a8b528f.txt L1674；…`` (for the audit trail)."""
    out = []
    for c in citations:
        get = c.get if isinstance(c, Mapping) else lambda k, d=None, c=c: getattr(c, k, d)
        line = str(get("line", "") or "").strip()
        out.append(f"{get('file', '')}" + (f" {line}" if line else ""))
    return sep.join(dict.fromkeys(out))


def cite_quotes(citations: Iterable[Any], sep: str = "；") -> str:
    """The quoted words of citations, each in “”."""
    return sep.join(dict.fromkeys(f"“{q}”" for c in citations
                                  if (q := str((c.get("quote") if isinstance(c, Mapping) else getattr(c, "quote", "")) or "").strip())))


_OLD_PART = re.compile(r"^(?P<file>\S+\.txt)\s+(?P<section>.*?)(?:\s+(?P<line>L\d+))?：“(?P<quote>.*)”$")


def upgrade_citation(text: str) -> tuple[str, str, str]:
    """(readable, ref, quotes) from the citation text of an old check document.

    Old documents (before citations named the document) carry
    ``seeds/002_….txt 第八章第一节 强化规划管控（强化空间管控） L1674：“…”; seeds/001_…``.
    Text that is not in that form is returned unchanged (ref and quotes empty).
    """
    raw = str(text or "")
    if not _SEED_FILE.search(raw):
        return raw, "", ""
    parts = [p.strip() for p in re.split(r";\s+(?=\S+\.txt\s)", raw) if p.strip()]
    cits = []
    for p in parts:
        m = _OLD_PART.match(p)
        if m is None:
            return humanize(raw), "", ""
        cits.append({"file": m["file"], "section": m["section"], "line": m["line"] or "", "quote": m["quote"]})
    try:
        return cite_all(cits), cite_ref(cits), cite_quotes(cits)
    except ParkmapError:
        return raw, "", ""


_REF_IN_TEXT = re.compile(r"(?:[\w./-]*/)?(?P<file>\d{3}_[0-9a-f]{16}\.txt)(?P<section>[^«»|]*?)(?=\s*«|\s+and\s|\s*$)")


def _humanize_part(part: str) -> str:
    def repl(m: re.Match[str]) -> str:
        doc = _BY_FILE.get(m["file"])
        if doc is None:
            return str(m.group(0))
        return doc.label + section_text(m["section"].strip())

    text = _REF_IN_TEXT.sub(repl, part)
    text = re.sub(r"\s*«\s*", "：“", text).replace("»", "”")
    return re.sub(r"\s+and\s+", "；", text)


def humanize(text: str, sep: str = "；") -> str:
    """Source strings of the data tables as planner text.

    ``catalogue_2018:G511040|seeds/002_b396a41d8a8b528f.txt 第三章第一节`` →
    ``《中国开发区审核公告目录》（2018年版） G511040；《四川省开发区发展规划（2023—2027年）》第三章第一节``.
    Unknown files are left as they are; ``«…»`` quotes become ``：“…”``.
    """
    out = []
    for part in str(text or "").split("|"):
        part = part.strip()
        if not part:
            continue
        if part.startswith("catalogue_2018"):
            code = part.split(":", 1)[1].strip() if ":" in part else ""
            out.append(SOURCES["catalogue_2018"].label + (f" {code}" if code else ""))
            continue
        out.append(_humanize_part(part))
    return sep.join(out)


_VALUE_SOURCES: dict[str, tuple[str, str]] = {
    "illustrative": ("示意数据", "illustrative"),
    "official file": ("正式文件", "official file"),
    "derived": ("推算", "derived"),
    "computed": ("计算", "computed"),
    "missing": ("缺少数据", "missing"),
    "unknown": ("来源不明", "unknown"),
    "seed": ("来源文件规定", "stated by the source"),
    "configurable default — not in sources": ("可配置默认值，来源文件未规定", "configurable default — not in sources"),
    "interpretation": ("本工具的解读，非来源原文", "our interpretation, not the source's words"),
}


def provenance_label(text: str, lang: str = "zh") -> str:
    """A value or threshold source as a planner reads it.

    ``illustrative (sichuan.gpkg)`` → ``示意数据（sichuan.gpkg）``; ``configurable default — not in sources`` →
    ``可配置默认值，来源文件未规定``; ``derived`` → ``推算``.  English returns the text unchanged; unknown
    labels are returned as they are.
    """
    raw = str(text or "").strip()
    if str(lang).lower().startswith("en") or not raw:
        return raw
    head, paren, rest = raw.partition(" (")
    pair = _VALUE_SOURCES.get(head.strip())
    if pair is None:
        return raw
    return pair[0] + (f"（{rest.rstrip(')')}）" if paren else "")


__all__ = ["SOURCES", "SourceDoc", "cite", "cite_all", "cite_quotes", "cite_ref", "humanize", "provenance_label", "section_text",
           "source_for", "upgrade_citation"]
