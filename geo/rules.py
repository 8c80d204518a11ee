"""The expansion-check rule set: loading and validating ``data/rules.yaml``.

The rules file holds every threshold, severity and citation used by
:mod:`geo.check`; a province may edit it.  :func:`load_rules` validates it and
raises :class:`~geo.errors.ParkmapError` (bilingual, one line) on any problem,
so a bad file never yields a silently wrong check.

Schema (see the comments at the top of ``data/rules.yaml``)::

    version: 1
    settings: {area_tolerance_m2: 0.01, max_hits_listed: 50}
    rules:
      - id: eco_redline            # one of RULE_IDS, each exactly once
        name_zh: 生态保护红线        # short name shown to planners (optional: built-in default)
        name_en: Ecological protection red line
        kind: spatial              # spatial | economic
        severity: fail             # fail | warn | info
        threshold: 0               # number ("1/3" allowed; "average" for revenue/tax)
        unit: m2
        threshold_source: seed     # or "configurable default — not in sources", or "interpretation"
        interpretation_zh/_en: ... # the reason, required with threshold_source: interpretation
        caveat_zh/_en: ...         # optional: what the check does not cover (e.g. lakes)
        text_zh: ..., text_en: ...
        citation: [{file, section, line, quote}, ...]   # file: a document of geo.sources.SOURCES,
                                   # or any file with its own `title` (and `doc_no`)
        note: ...                  # optional
        applies_to: {types: [expand, adjust], levels: [省级, 国家级]}   # optional
        enabled: true              # optional
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from geo import resources
from geo.errors import ParkmapError
from geo.sources import cite, cite_all, cite_quotes, cite_ref, source_for

#: Default rules file shipped with the repository.
DEFAULT_RULES_PATH: Path = resources.data_dir() / "rules.yaml"

#: Implemented checks, in the order rule rows are reported.
SPATIAL_RULE_IDS: tuple[str, ...] = (
    "eco_redline",
    "farmland",
    "urban_boundary",
    "river_1km",
    "other_parks",
    "in_sichuan",
    "contiguity",
    "adjust_balance",
)
ECONOMIC_RULE_IDS: tuple[str, ...] = (
    "land_dev_rate",
    "revenue_per_mu",
    "tax_per_mu",
    "bottom_third",
    "top10_priority",
)
RULE_IDS: tuple[str, ...] = SPATIAL_RULE_IDS + ECONOMIC_RULE_IDS

#: Default short names (中文, English) of the rules; ``name_zh``/``name_en`` in the rules file override them.
RULE_NAMES: dict[str, tuple[str, str]] = {
    "eco_redline": ("生态保护红线", "Ecological protection red line"),
    "farmland": ("永久基本农田", "Permanent basic farmland"),
    "urban_boundary": ("城镇开发边界", "Urban development boundary"),
    "river_1km": ("长江干支流岸线1公里", "Within 1 km of the Yangtze and its tributaries"),
    "other_parks": ("其他开发区园区", "Parks of other zones"),
    "in_sichuan": ("四川省行政区域", "Inside Sichuan province"),
    "contiguity": ("集中连片", "Contiguity with existing parks"),
    "adjust_balance": ("调区面积平衡", "Adjustment area balance"),
    "land_dev_rate": ("土地开发率", "Land development rate"),
    "revenue_per_mu": ("亩均营业收入", "Revenue per mu"),
    "tax_per_mu": ("亩均税收", "Tax revenue per mu"),
    "bottom_third": ("评价排名后1/3", "Bottom third of the land-use ranking"),
    "top10_priority": ("连续3年排名前10%", "Top 10% for 3 consecutive years"),
}


def rule_ids() -> tuple[str, ...]:
    """:data:`RULE_IDS`, then the ids of rules registered in :mod:`geo.rule_registry` beyond them.

    Read at call time, so a rule added with ``@rule("…")`` needs no edit of
    :data:`RULE_IDS` (its rules-file entry is still required).
    """
    from geo import rule_registry

    return RULE_IDS + tuple(r for r in rule_registry.registered() if r not in RULE_IDS)


def _rule_kind(rule_id: str) -> str:
    if rule_id in RULE_IDS:
        return "spatial" if rule_id in SPATIAL_RULE_IDS else "economic"
    from geo import rule_registry

    return rule_registry.kind_of(rule_id) or "spatial"


def _rule_names(rule_id: str) -> tuple[str, str]:
    pair = RULE_NAMES.get(rule_id)
    if pair is not None:
        return pair
    from geo.controls import layer_names

    zh, en = layer_names().get(rule_id, (rule_id, rule_id))
    return zh, en[:1].upper() + en[1:]


def rule_name(rule_id: str, lang: str = "zh") -> str:
    """Default short name of a rule (a registered control layer's name, else the id itself, for other rules)."""
    zh, en = _rule_names(rule_id)
    return en if str(lang).lower().startswith("en") else zh

SEVERITIES: tuple[str, ...] = ("fail", "warn", "info")
KINDS: tuple[str, ...] = ("spatial", "economic")
#: Proposal types: 扩区 (expand) and 调区/调位 (adjust).
PROPOSAL_TYPES: tuple[str, ...] = ("expand", "adjust")
ZONE_LEVELS: tuple[str, ...] = ("国家级", "省级")
#: ``seed``: the number or the zero tolerance is in the quoted source; ``configurable default — not in sources``:
#: our number where the source gives none; ``interpretation``: the rule as written is our reading of the source,
#: not its words (the reason is in ``interpretation_zh``/``interpretation_en``).
THRESHOLD_SOURCES: tuple[str, ...] = ("seed", "configurable default — not in sources", "interpretation")
COMPARE_WITHIN: tuple[str, ...] = ("zone_class", "all")

_REQUIRED = ("id", "kind", "severity", "threshold", "unit", "text_zh", "text_en", "citation", "threshold_source")
_OPTIONAL = ("name_zh", "name_en", "note", "applies_to", "enabled", "major_project_severity",
             "non_chemical_severity", "river_classes", "compare_within", "top_share",
             "interpretation_zh", "interpretation_en", "caveat_zh", "caveat_en")
_CITATION_KEYS = ("file", "section", "quote")
_CITATION_OPTIONAL = ("line", "title", "doc_no")


@dataclass(frozen=True)
class Citation:
    """Where a rule comes from: seed file, section, line and an exact short quote."""

    file: str
    section: str
    quote: str
    line: str = ""
    title: str = ""
    doc_no: str = ""

    def text(self) -> str:
        """Machine form (the pre-2026-11 citation text): ``file section Lnnn：“quote”``."""
        loc = f"{self.file} {self.section}" + (f" {self.line}" if self.line else "")
        return f"{loc}：“{self.quote}”"

    def readable(self, quote: bool = False) -> str:
        """As a planner reads it: ``《四川省开发区发展规划（2023—2027年）》第八章第一节“强化规划管控”…``."""
        return cite(self, quote=quote)

    def to_dict(self) -> dict[str, str]:
        d = {"file": self.file, "section": self.section, "line": self.line, "quote": self.quote}
        d.update({k: v for k, v in (("title", self.title), ("doc_no", self.doc_no)) if v})
        return d


@dataclass(frozen=True)
class Rule:
    """One validated rule of the rule set.

    ``threshold`` is a float, except ``"average"`` (revenue/tax rules: the
    comparison-group mean) and a :class:`fractions.Fraction` for
    ``bottom_third``.  ``params`` holds the rule-specific keys
    (``major_project_severity``, ``non_chemical_severity``,
    ``river_classes``, ``compare_within``, ``top_share``).
    """

    id: str
    kind: str
    severity: str
    threshold: Any
    unit: str
    text_zh: str
    text_en: str
    citations: tuple[Citation, ...]
    threshold_source: str
    name_zh: str = ""
    name_en: str = ""
    note: str = ""
    types: tuple[str, ...] = PROPOSAL_TYPES
    levels: tuple[str, ...] = ZONE_LEVELS
    enabled: bool = True
    params: dict[str, Any] = field(default_factory=dict)
    interpretation_zh: str = ""
    interpretation_en: str = ""
    caveat_zh: str = ""
    caveat_en: str = ""

    def remarks(self, lang: str = "zh") -> str:
        """Why the rule is our reading (``interpretation``) and what it does not cover (``caveat``), in ``lang``."""
        en = str(lang).lower().startswith("en")
        parts = [self.interpretation_en if en else self.interpretation_zh, self.caveat_en if en else self.caveat_zh]
        return ("; " if en else "；").join(p for p in parts if p)

    @property
    def citation(self) -> str:
        """All citations as planner text (document title, 文号, chapter), ``；``-separated."""
        return cite_all(self.citations)

    @property
    def citation_ref(self) -> str:
        """File and line of every citation (``seeds/002_….txt L1674；…``), for the audit trail."""
        return cite_ref(self.citations)

    @property
    def citation_quote(self) -> str:
        """The quoted seed words of every citation, each in “”."""
        return cite_quotes(self.citations)

    def name(self, lang: str = "zh") -> str:
        """Short name in ``lang`` (zh/en)."""
        return self.name_en if str(lang).lower().startswith("en") else self.name_zh

    @property
    def threshold_value(self) -> float | None:
        """The threshold as a plain number (None for computed thresholds)."""
        if isinstance(self.threshold, (int, float, Fraction)):
            return float(self.threshold)
        return None

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (thresholds as numbers or strings)."""
        thr = self.threshold
        if isinstance(thr, Fraction):
            thr = f"{thr.numerator}/{thr.denominator}"
        return {
            "id": self.id,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "kind": self.kind,
            "severity": self.severity,
            "threshold": thr,
            "unit": self.unit,
            "threshold_source": self.threshold_source,
            "text_zh": self.text_zh,
            "text_en": self.text_en,
            "citation": [c.to_dict() for c in self.citations],
            "note": self.note,
            "applies_to": {"types": list(self.types), "levels": list(self.levels)},
            "enabled": self.enabled,
            **{k: v for k, v in (("interpretation_zh", self.interpretation_zh), ("interpretation_en", self.interpretation_en),
                                 ("caveat_zh", self.caveat_zh), ("caveat_en", self.caveat_en)) if v},
            **{k: (list(v) if isinstance(v, tuple) else v) for k, v in sorted(self.params.items())},
        }


@dataclass(frozen=True)
class RuleSet:
    """A validated rule set.

    Attributes
    ----------
    version : int
    name : str
    rules : dict
        id → :class:`Rule`, in :data:`RULE_IDS` order.
    settings : dict
        ``area_tolerance_m2`` (float) and ``max_hits_listed`` (int).
    source : str
        File the rules were read from (or ``"<dict>"``).
    hash : str
        SHA-256 of the canonical JSON of the validated rules (independent of
        YAML formatting and comments); recorded with every check.
    """

    version: int
    name: str
    rules: dict[str, Rule]
    settings: dict[str, Any]
    source: str
    hash: str

    def __getitem__(self, rule_id: str) -> Rule:
        return self.rules[rule_id]

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "name": self.name,
            "settings": dict(self.settings),
            "rules": [r.to_dict() for r in self.rules.values()],
        }


def _bad(where: str, zh: str, en: str, source: str) -> ParkmapError:
    return ParkmapError(
        f"规则文件 {source} 有误：{where}{zh}",
        f"Rules file {source} is invalid: {where}{en}",
        "请对照 data/rules.yaml 的格式修改 / follow the format of data/rules.yaml",
        code="rules",
    )


def _number(value: Any, where: str, source: str, *, lo: float | None = 0.0, hi: float | None = None,
            open_lo: bool = False, open_hi: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _bad(where, f"应为数字，而不是 {value!r}", f"must be a number, not {value!r}", source)
    v = float(value)
    if lo is not None and (v < lo or (open_lo and v == lo)):
        raise _bad(where, f"数值 {v:g} 过小（下限 {lo:g}）", f"value {v:g} is below its range (min {lo:g})", source)
    if hi is not None and (v > hi or (open_hi and v == hi)):
        raise _bad(where, f"数值 {v:g} 过大（上限 {hi:g}）", f"value {v:g} is above its range (max {hi:g})", source)
    return v


def _fraction(value: Any, where: str, source: str) -> Fraction:
    try:
        if isinstance(value, bool):
            raise ValueError
        frac = Fraction(str(value).strip()) if isinstance(value, (str, int, float)) else None
    except (ValueError, ZeroDivisionError):
        frac = None
    if frac is None or not (0 < frac < 1):
        raise _bad(where, f"应为 0 到 1 之间的分数，如 1/3，而不是 {value!r}",
                   f"must be a fraction between 0 and 1 such as 1/3, not {value!r}", source)
    return frac


def _str_list(value: Any, allowed: tuple[str, ...] | None, where: str, source: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if isinstance(value, tuple):
        value = list(value)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise _bad(where, "应为非空字符串列表", "must be a non-empty list of strings", source)
    if allowed is not None:
        bad = [v for v in value if v not in allowed]
        if bad:
            raise _bad(where, f"取值 {bad} 无效（可选：{', '.join(allowed)}）",
                       f"invalid values {bad} (allowed: {', '.join(allowed)})", source)
    return tuple(value)


def _nonblank(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _citations(value: Any, where: str, source: str) -> tuple[Citation, ...]:
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not value:
        raise _bad(where, "缺少出处（citation）", "has no citation", source)
    out = []
    for i, c in enumerate(value):
        if not isinstance(c, dict):
            raise _bad(f"{where}citation[{i}] ", "应为含 file/section/quote 的映射", "must be a mapping with file/section/quote", source)
        missing = [k for k in _CITATION_KEYS if not _nonblank(c.get(k))]
        if missing:
            raise _bad(f"{where}citation[{i}] ", f"缺少 {', '.join(missing)}", f"lacks {', '.join(missing)}", source)
        unknown = sorted(set(c) - set(_CITATION_KEYS) - set(_CITATION_OPTIONAL))
        if unknown:
            raise _bad(f"{where}citation[{i}] ", f"未知字段 {', '.join(unknown)}", f"unknown keys {', '.join(unknown)}",
                       source)
        cit = Citation(file=c["file"].strip(), section=c["section"].strip(), quote=c["quote"].strip(),
                       line=str(c.get("line") or "").strip(), title=str(c.get("title") or "").strip(),
                       doc_no=str(c.get("doc_no") or "").strip())
        if not cit.title:
            try:
                source_for(cit.file)
            except ParkmapError:
                raise _bad(f"{where}citation[{i}] ", f"文件 {cit.file} 不在来源登记表中，请加 title（文件标题）",
                           f"file {cit.file} is not a registered source document; add its title", source) from None
        out.append(cit)
    return tuple(out)


def _validate_rule(raw: Any, pos: int, source: str) -> Rule:
    if not isinstance(raw, dict):
        raise _bad(f"rules[{pos}] ", "应为映射", "must be a mapping", source)
    rid = raw.get("id")
    where = f"规则 {rid!r} " if rid else f"rules[{pos}] "
    ids = rule_ids()
    if rid not in ids:
        raise _bad(where, f"id 未知（已实现：{', '.join(ids)}）", f"unknown id (implemented: {', '.join(ids)})", source)
    where = f"规则 {rid} / rule {rid}: "
    missing = [k for k in _REQUIRED if k not in raw]
    if missing:
        raise _bad(where, f"缺少字段 {', '.join(missing)}", f"missing keys {', '.join(missing)}", source)
    unknown = sorted(set(raw) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise _bad(where, f"未知字段 {', '.join(unknown)}", f"unknown keys {', '.join(unknown)}", source)
    expected_kind = _rule_kind(rid)
    if raw["kind"] != expected_kind:
        raise _bad(where, f"kind 应为 {expected_kind}", f"kind must be {expected_kind}", source)
    if raw["severity"] not in SEVERITIES:
        raise _bad(where, f"severity 应为 {'/'.join(SEVERITIES)}", f"severity must be one of {', '.join(SEVERITIES)}", source)
    for k in ("text_zh", "text_en", "unit"):
        if not isinstance(raw[k], str) or not raw[k].strip():
            raise _bad(where, f"{k} 不能为空", f"{k} must be a non-empty string", source)
    ts = raw["threshold_source"]
    if ts not in THRESHOLD_SOURCES:
        raise _bad(where, f"threshold_source 应为 {' 或 '.join(THRESHOLD_SOURCES)}",
                   f"threshold_source must be one of: {' | '.join(THRESHOLD_SOURCES)}", source)

    texts: dict[str, str] = {}
    for k in ("interpretation_zh", "interpretation_en", "caveat_zh", "caveat_en"):
        v = raw.get(k, "")
        if not isinstance(v, str):
            raise _bad(where, f"{k} 应为文本", f"{k} must be text", source)
        texts[k] = " ".join(v.split())
    if (ts == "interpretation") != bool(texts["interpretation_zh"] and texts["interpretation_en"]):
        raise _bad(where, "threshold_source: interpretation 须且仅须配 interpretation_zh 和 interpretation_en（理由）",
                   "threshold_source: interpretation needs interpretation_zh and interpretation_en (the reason), "
                   "and they belong to no other threshold_source", source)

    params: dict[str, Any] = {}
    thr_raw = raw["threshold"]
    if rid == "bottom_third":
        threshold: Any = _fraction(thr_raw, f"{where}threshold ", source)
    elif rid in ("revenue_per_mu", "tax_per_mu"):
        if thr_raw == "average":
            threshold = "average"
        else:
            threshold = _number(thr_raw, f"{where}threshold ", source)
        cw = raw.get("compare_within", "all")  # the seed: 全省平均水平; zone_class is our interpretation
        if cw not in COMPARE_WITHIN:
            raise _bad(where, f"compare_within 应为 {'/'.join(COMPARE_WITHIN)}",
                       f"compare_within must be one of {', '.join(COMPARE_WITHIN)}", source)
        params["compare_within"] = cw
    elif rid == "land_dev_rate":
        threshold = _number(thr_raw, f"{where}threshold ", source, lo=0.0, hi=1.0, open_lo=True)
    elif rid == "top10_priority":
        threshold = _number(thr_raw, f"{where}threshold ", source, lo=1.0)
        if threshold != int(threshold):
            raise _bad(where, "threshold（年数）应为整数", "threshold (years) must be a whole number", source)
        params["top_share"] = _number(raw.get("top_share", 0.10), f"{where}top_share ", source,
                                      lo=0.0, hi=1.0, open_lo=True, open_hi=True)
    else:
        threshold = _number(thr_raw, f"{where}threshold ", source, lo=0.0)
    if rid == "farmland":
        sev = raw.get("major_project_severity", "warn")
        if sev not in ("pass",) + SEVERITIES:
            raise _bad(where, "major_project_severity 应为 pass/fail/warn/info",
                       "major_project_severity must be pass, fail, warn or info", source)
        params["major_project_severity"] = sev
    if rid == "river_1km":
        sev = raw.get("non_chemical_severity", "warn")
        if sev not in ("pass",) + SEVERITIES:
            raise _bad(where, "non_chemical_severity 应为 pass/fail/warn/info",
                       "non_chemical_severity must be pass, fail, warn or info", source)
        params["non_chemical_severity"] = sev
        params["river_classes"] = _str_list(raw.get("river_classes", ["长江干流", "主要支流"]), None,
                                            f"{where}river_classes ", source)
    stray = [k for k in ("major_project_severity", "non_chemical_severity", "river_classes", "compare_within", "top_share")
             if k in raw and k not in params]
    if stray:
        raise _bad(where, f"字段 {', '.join(stray)} 不适用于此规则", f"keys {', '.join(stray)} do not apply to this rule", source)

    applies = raw.get("applies_to") or {}
    if not isinstance(applies, dict) or set(applies) - {"types", "levels"}:
        raise _bad(where, "applies_to 只能含 types、levels", "applies_to may only hold types and levels", source)
    types = _str_list(applies.get("types", list(PROPOSAL_TYPES)), PROPOSAL_TYPES, f"{where}applies_to.types ", source)
    levels = _str_list(applies.get("levels", list(ZONE_LEVELS)), ZONE_LEVELS, f"{where}applies_to.levels ", source)
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise _bad(where, "enabled 应为 true/false", "enabled must be true or false", source)
    note = raw.get("note") or ""
    if not isinstance(note, str):
        raise _bad(where, "note 应为文本", "note must be text", source)
    names = {}
    for k, default in zip(("name_zh", "name_en"), _rule_names(rid)):
        v = raw.get(k, default)
        if not isinstance(v, str) or not v.strip():
            raise _bad(where, f"{k} 应为非空文本", f"{k} must be a non-empty string", source)
        names[k] = " ".join(v.split())
    return Rule(
        id=rid, kind=raw["kind"], severity=raw["severity"], threshold=threshold, unit=raw["unit"].strip(),
        text_zh=raw["text_zh"].strip(), text_en=raw["text_en"].strip(),
        citations=_citations(raw["citation"], where, source), threshold_source=ts, **names,
        note=" ".join(note.split()), types=types, levels=levels, enabled=enabled, params=params, **texts,
    )


@lru_cache(maxsize=2)
def _default_rules(mtime_ns: int) -> RuleSet:
    """The shipped rule set, cached per file modification time."""
    del mtime_ns  # the cache key only
    return load_rules()


def rule_remarks(rule_id: str, lang: str = "zh", rules_hash: str = "") -> str:
    """The default rule set's :meth:`Rule.remarks` for ``rule_id`` (interpretation reason, what is not covered).

    A check result keeps its rule set only by hash; the remarks are those of the
    shipped ``data/rules.yaml`` and are returned only when ``rules_hash`` is
    empty or is that file's hash (a result checked with another rules file gets
    ``""``).
    """
    try:
        rs = _default_rules(DEFAULT_RULES_PATH.stat().st_mtime_ns)
    except (OSError, ParkmapError):
        return ""
    if rules_hash and rules_hash != rs.hash:
        return ""
    rule = rs.rules.get(rule_id)
    return rule.remarks(lang) if rule is not None else ""


def rules_from_dict(data: Any, source: str = "<dict>") -> RuleSet:
    """Validate an already-parsed rules document.

    Raises
    ------
    ParkmapError
        ``code="rules"`` with what is wrong and where.
    """
    if not isinstance(data, dict):
        raise _bad("", "顶层应为映射（version、rules）", "the top level must be a mapping (version, rules)", source)
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise _bad("version ", "应为正整数", "must be a positive integer", source)
    raw_rules = data.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise _bad("rules ", "应为非空列表", "must be a non-empty list", source)
    settings_raw = data.get("settings") or {}
    if not isinstance(settings_raw, dict):
        raise _bad("settings ", "应为映射", "must be a mapping", source)
    unknown = sorted(set(settings_raw) - {"area_tolerance_m2", "max_hits_listed"})
    if unknown:
        raise _bad("settings ", f"未知字段 {', '.join(unknown)}", f"unknown keys {', '.join(unknown)}", source)
    settings = {
        "area_tolerance_m2": _number(settings_raw.get("area_tolerance_m2", 0.01), "settings.area_tolerance_m2 ", source),
        "max_hits_listed": int(_number(settings_raw.get("max_hits_listed", 50), "settings.max_hits_listed ", source, lo=1)),
    }
    parsed: dict[str, Rule] = {}
    for pos, raw in enumerate(raw_rules):
        rule = _validate_rule(raw, pos, source)
        if rule.id in parsed:
            raise _bad(f"规则 {rule.id} / rule {rule.id}: ", "重复出现", "appears twice", source)
        parsed[rule.id] = rule
    ids = rule_ids()
    missing = [r for r in ids if r not in parsed]
    if missing:
        raise _bad("", f"缺少规则 {', '.join(missing)}（停用请写 enabled: false）",
                   f"missing rules {', '.join(missing)} (to switch one off, set enabled: false)", source)
    rules = {rid: parsed[rid] for rid in ids}
    name = data.get("name") or ""
    body = {"version": version, "name": str(name), "settings": settings, "rules": [r.to_dict() for r in rules.values()]}
    digest = hashlib.sha256(json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()
    return RuleSet(version=version, name=str(name), rules=rules, settings=settings, source=source, hash=digest)


def load_rules(path: str | Path | None = None) -> RuleSet:
    """Read and validate a rules file (default :data:`DEFAULT_RULES_PATH`).

    Raises
    ------
    ParkmapError
        File missing, not YAML, or failing validation (``code="rules"``).
    """
    p = Path(path) if path is not None else DEFAULT_RULES_PATH
    if not p.is_file():
        raise ParkmapError(f"规则文件不存在：{p}", f"Rules file not found: {p}", code="rules")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        detail = " ".join(str(exc).split())[:200]
        raise ParkmapError(f"规则文件 {p.name} 不是有效的 YAML：{detail}", f"Rules file {p.name} is not valid YAML: {detail}",
                           code="rules") from exc
    return rules_from_dict(data, source=str(p))


__all__ = [
    "DEFAULT_RULES_PATH",
    "ECONOMIC_RULE_IDS",
    "PROPOSAL_TYPES",
    "RULE_IDS",
    "RULE_NAMES",
    "SPATIAL_RULE_IDS",
    "Citation",
    "Rule",
    "RuleSet",
    "load_rules",
    "rule_ids",
    "rule_name",
    "rule_remarks",
    "rules_from_dict",
]
