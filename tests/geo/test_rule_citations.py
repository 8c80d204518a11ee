"""Rule texts say what their sources say (issue 12): cited lines, quotes, interpretations, the law, the lakes."""

from __future__ import annotations

import copy
import re
import unicodedata
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from geo.errors import ParkmapError
from geo.rules import DEFAULT_RULES_PATH, load_rules, rule_remarks, rules_from_dict

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO.parent / "shared" / "seeds"  # the seed documents, beside the checkout

#: PDF-extraction quirks of seed 002 (shared/seeds/README.md).
_QUIRKS = {"\ua3ac": "，", "\ua3ae": "。", "\ua3bb": "；", "\U001001b0": "."}
_PAGE_NUMBER = re.compile(r"\s*[—-]\s*[0-9０-９]+\s*[—-]\s*")


def _seed_index(text: str) -> tuple[str, list[int]]:
    """The seed as one normalised string (quirks mapped, NFKC, no whitespace, no page numbers), with each
    character's 1-based line number in the raw file."""
    chars: list[str] = []
    lines: list[int] = []
    for number, line in enumerate(text.split("\n"), 1):
        if _PAGE_NUMBER.fullmatch(line):
            continue
        for c in line:
            for k in unicodedata.normalize("NFKC", _QUIRKS.get(c, c)):
                if not k.isspace():
                    chars.append(k)
                    lines.append(number)
    return "".join(chars), lines


def _norm(text: str) -> str:
    return "".join(k for k in unicodedata.normalize("NFKC", text) if not k.isspace())


def quote_start_lines(seed_text: str, quote: str) -> list[int]:
    """Lines of the seed on which an occurrence of ``quote`` begins."""
    flat, lines = _seed_index(seed_text)
    q = _norm(quote)
    return [lines[m.start()] for m in re.finditer(re.escape(q), flat)]


def _seed_citations() -> list[tuple[str, dict]]:
    raw = yaml.safe_load(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    return [(r["id"], c) for r in raw["rules"] for c in r["citation"] if str(c["file"]).startswith("seeds/")]


#: The cited lines of the seeds (each with 3 lines before and 15 after, numbered as in the raw file), so the
#: line checks run where ../shared/seeds is absent (CI's clean clone); verified against the seeds when present.
EXCERPTS_PATH = Path(__file__).with_name("seed_cited_lines.json")


def write_excerpts() -> None:
    """Regenerate :data:`EXCERPTS_PATH` from ../shared/seeds after a citation changes
    (``python -m tests.geo.test_rule_citations``)."""
    import json

    out: dict[str, dict[str, str]] = {}
    for _rule, c in _seed_citations():
        name = Path(c["file"]).name
        lines = (SEEDS / name).read_text(encoding="utf-8").split("\n")
        n = int(str(c["line"]).lstrip("L"))
        for k in range(max(1, n - 3), min(len(lines), n + 15) + 1):
            out.setdefault(name, {})[str(k)] = lines[k - 1]
    data = {k: dict(sorted(v.items(), key=lambda kv: int(kv[0]))) for k, v in sorted(out.items())}
    EXCERPTS_PATH.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def _excerpts() -> dict[str, dict[str, str]]:
    import json

    return json.loads(EXCERPTS_PATH.read_text(encoding="utf-8"))


def _seed_text(name: str) -> str:
    """The seed file, or (without ../shared) the excerpts with every other line empty, numbered as the file."""
    if SEEDS.is_dir():
        return (SEEDS / name).read_text(encoding="utf-8")
    lines = _excerpts()[name]
    return "\n".join(lines.get(str(i), "") for i in range(1, max(int(k) for k in lines) + 1))


@pytest.mark.parametrize("rule_id,citation", _seed_citations(), ids=lambda v: v if isinstance(v, str) else v["line"])
def test_every_cited_line_is_where_the_quote_begins(rule_id, citation):
    name = Path(citation["file"]).name
    assert str(int(str(citation["line"]).lstrip("L"))) in _excerpts().get(name, {}), \
        f"{rule_id}: the cited line is not in {EXCERPTS_PATH.name}; run python -m tests.geo.test_rule_citations"
    text = _seed_text(name)
    number = int(str(citation["line"]).lstrip("L"))
    starts = quote_start_lines(text, citation["quote"])
    assert starts, (rule_id, "quote not in the seed")
    assert number in starts, (rule_id, citation["line"], [f"L{s}" for s in starts])
    # and the cited line itself holds the quote's first characters
    line = _norm("".join(_QUIRKS.get(c, c) for c in text.split("\n")[number - 1]))
    head = _norm(citation["quote"])[:2]
    assert head in line, (rule_id, citation["line"], line)


def test_the_line_check_can_fail():
    text = "第一行没有\n严禁开发区在长江\n干支流岸线"
    assert quote_start_lines(text, "严禁开发区在长江干支流") == [2]
    assert 1 not in quote_start_lines(text, "严禁开发区在长江干支流")


def test_river_rule_cites_the_line_of_its_quote():
    rule = load_rules()["river_1km"]
    assert "L1754" in rule.citation_ref and "L1752" not in rule.citation_ref


def test_per_mu_rules_quote_the_seed_and_default_to_the_province():
    rs = load_rules()
    for rid in ("revenue_per_mu", "tax_per_mu"):
        r = rs[rid]
        assert "全省平均水平" in r.text_zh and "同类" not in r.text_zh, rid
        assert "全省平均水平" in r.citation_quote and "同类" not in r.citation_quote, rid
        assert r.params["compare_within"] == "all" and r.threshold_source == "seed", rid
    # comparing within the class is still available, as a configurable interpretation
    raw = yaml.safe_load(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    del next(r for r in raw["rules"] if r["id"] == "tax_per_mu")["compare_within"]
    assert rules_from_dict(raw)["tax_per_mu"].params["compare_within"] == "all"  # the default
    next(r for r in raw["rules"] if r["id"] == "tax_per_mu")["compare_within"] = "zone_class"
    assert rules_from_dict(raw)["tax_per_mu"].params["compare_within"] == "zone_class"


def test_farmland_exception_quotes_the_land_law_and_stays_a_warning():
    rule = load_rules()["farmland"]
    law = [c for c in rule.citations if c.file == "land_administration_law_2019"]
    assert len(law) == 1 and law[0].section == "第三十五条"
    assert "《中华人民共和国土地管理法》（2019年修正）第三十五条" in rule.citation
    assert "国家能源、交通、水利、军事设施等重点建设项目" in law[0].quote and "国务院批准" in law[0].quote
    # the article text is kept with the other rule sources
    sources = (REPO / "data" / "rules_sources.md").read_text(encoding="utf-8")
    assert "第三十五条" in sources and law[0].quote in sources
    # limited to the project types the article names; never a pass
    for words in ("能源", "交通", "水利", "军事设施", "国务院批准"):
        assert words in rule.text_zh, words
    assert rule.params["major_project_severity"] == "warn"
    assert "不视为符合" in rule.text_zh and "never a pass" in rule.text_en


#: Rules whose wording is our reading of the sources (issue 12), with a word of the reason.
INTERPRETATIONS = {"eco_redline": "刚性约束", "farmland": "刚性约束", "urban_boundary": "城镇开发边界", "in_sichuan": "省"}


def test_interpretations_are_marked_with_their_reason():
    rs = load_rules()
    marked = {r.id for r in rs if r.threshold_source == "interpretation"}
    assert marked == set(INTERPRETATIONS)
    for rid, word in INTERPRETATIONS.items():
        r = rs[rid]
        assert word in r.interpretation_zh and r.interpretation_en, rid
        assert "解读" in r.text_zh and "interpretation" in r.text_en, rid
        assert r.interpretation_zh in rule_remarks(rid, "zh") and r.interpretation_en in rule_remarks(rid, "en")
    assert rule_remarks("bottom_third") == ""  # a seed rule has no remarks


def test_interpretation_needs_a_reason_and_only_there():
    raw = yaml.safe_load(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    bad = copy.deepcopy(raw)
    eco = next(r for r in bad["rules"] if r["id"] == "eco_redline")
    del eco["interpretation_zh"]
    with pytest.raises(ParkmapError, match="interpretation"):
        rules_from_dict(bad)
    bad = copy.deepcopy(raw)
    seedy = next(r for r in bad["rules"] if r["id"] == "bottom_third")
    seedy.update(interpretation_zh="x", interpretation_en="x")
    with pytest.raises(ParkmapError, match="interpretation"):
        rules_from_dict(bad)


def test_lakes_not_covered_is_said_on_the_rule_row_and_in_the_report():
    from layers.present import rule_basis, rule_table

    rule = load_rules()["river_1km"]
    assert "重要湖泊" in rule.citation_quote  # the seed names lakes
    assert "湖泊" in rule.caveat_zh and "lakes" in rule.caveat_en
    assert "重要湖泊未纳入核查" in rule.text_zh
    row = SimpleNamespace(id="river_1km", threshold_source="seed", name_zh="长江", name_en="Yangtze", status="pass",
                          value=1500.0, threshold=1000.0, unit="m", details={}, message_zh="", message_en="",
                          citation=rule.citation, value_source="", original_status=None, override_reason=None,
                          remarks=lambda lang: "")  # a check saved before results carried their remarks
    assert "湖泊" in rule_basis(row, "zh") and "lakes" in rule_basis(row, "en")
    result = SimpleNamespace(rules=[row], rules_hash=load_rules().hash)
    table = rule_table(result, "zh")
    assert table["规则依据"].str.contains("湖泊").all()
    # a result checked with another rules file gets no remarks from the shipped one
    assert rule_remarks("river_1km", "zh", "0" * 64) == ""
    # the PDF report says it too (the result carries its rules' remarks)
    import shutil
    import subprocess

    from geo.check import default_index, Proposal, check_proposal
    from geo.dataset import load_layer
    from layers.report import build_report

    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is needed (poppler-utils; scripts/install-system.sh installs it)")
    park = load_layer("parks").geometry.iloc[0]
    res = check_proposal(Proposal(park.buffer(0.005).difference(park), str(load_layer("parks")["zone_id"].iloc[0]),
                                  chemical=True), default_index())
    assert "湖泊" in res.rule("river_1km").remarks("zh")
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "r.pdf"
        pdf.write_bytes(build_report(res))
        text = "".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                                      check=True).stdout.split())
    assert "重要湖泊" in text and "未纳入" in text


def test_interpretation_label_in_the_rule_table():
    from layers.present import rule_basis

    row = SimpleNamespace(id="eco_redline", threshold_source="interpretation", remarks=lambda lang: "")
    text = rule_basis(row, "zh")
    assert text.startswith("本工具的解读") and "刚性约束" in text
    assert rule_basis(row, "en").startswith("our interpretation")


@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"needs ../shared/seeds/ ({SEEDS}), the project's seeds, absent in "
                    "this checkout; the line checks above ran on the excerpts")
def test_the_excerpts_are_verbatim_lines_of_the_seeds():
    for name, lines in _excerpts().items():
        raw = (SEEDS / name).read_text(encoding="utf-8").split("\n")
        for number, text in lines.items():
            assert raw[int(number) - 1] == text, (name, number)


if __name__ == "__main__":
    write_excerpts()


def test_a_check_carries_the_remarks_of_the_rules_it_ran_with(tmp_path):
    """A custom rules file's interpretation reason reaches the result (and so the table and the report)."""
    import geopandas as gpd
    import pandas as pd
    from shapely.geometry import box

    from geo.check import ControlIndex, Proposal, check_proposal
    from geo.check.model import CheckResult

    raw = yaml.safe_load(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    for r in raw["rules"]:
        if r["id"] == "eco_redline":
            r["interpretation_zh"], r["interpretation_en"] = "本局的解读（测试）", "this bureau's reading (test)"
    rules = rules_from_dict(raw)
    zones = pd.DataFrame([{"zone_id": "Z1", "catalogue_code": "S999001", "name": "甲", "zone_class": "经开区",
                           "level": "省级"}])
    eco = gpd.GeoDataFrame({"eco_id": ["E1"]}, geometry=[box(104.0, 30.0, 104.01, 30.01)], crs=4490)
    result = check_proposal(Proposal(box(104.005, 30.0, 104.02, 30.01), "Z1"), ControlIndex.from_frames(zones=zones,
                                                                                                     eco_redline=eco), rules)
    row = result.rule("eco_redline")
    assert "本局的解读（测试）" in row.remarks("zh") and "this bureau's reading" in row.remarks("en")
    back = CheckResult.from_dict(result.to_dict()).rule("eco_redline")  # saved and reopened
    assert back.remarks("zh") == row.remarks("zh")
    from layers.present import rule_table

    assert any("本局的解读（测试）" in str(v) for v in rule_table(result, "zh").to_numpy().ravel())
