"""Citations name the document (geo/sources.py), rules carry Chinese names, old check documents still load."""

from __future__ import annotations

import copy
import csv
import json
import re
import unicodedata
from pathlib import Path

import pytest
import yaml

from geo.check import CheckResult, RuleResult
from geo.errors import ParkmapError
from geo.rules import DEFAULT_RULES_PATH, RULE_IDS, RULE_NAMES, load_rules, rules_from_dict
from geo.sources import SOURCES, cite, cite_all, cite_quotes, cite_ref, humanize, section_text, source_for, upgrade_citation

REPO = Path(__file__).resolve().parents[2]
SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"  # the seed documents, beside the checkout


def _norm(text: str) -> str:
    """Seed text without spaces/line breaks, full-width digits and brackets folded (NFKC)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def test_every_cited_file_of_rules_yaml_is_registered():
    raw = yaml.safe_load(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    files = {c["file"] for r in raw["rules"] for c in r["citation"]}
    assert files  # the rules do cite seeds
    for f in files:
        doc = source_for(f)
        assert f.endswith(doc.file)


def test_every_source_string_of_the_data_tables_becomes_readable():
    texts = []
    for name, col in (("zones.csv", "sources"), ("parks.csv", None), ("zone_industries.csv", "citation")):
        with open(REPO / "data" / name, encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        cols = [col] if col else [c for c in rows[0] if "source" in c or "citation" in c]
        texts += [r[c] for r in rows for c in cols if r.get(c)]
    seedy = [t for t in texts if "seeds/" in t]
    assert len(seedy) > 300
    for t in seedy:
        out = humanize(t)
        assert "seeds/" not in out and ".txt" not in out, (t, out)
    assert humanize("catalogue_2018:G511040|seeds/002_b396a41d8a8b528f.txt 专栏3") == \
        "《中国开发区审核公告目录》（2018年版） G511040；《四川省开发区发展规划（2023—2027年）》专栏3"


def test_registry_titles_match_the_documents():
    assert SOURCES["002"].label == "《四川省开发区发展规划（2023—2027年）》"
    assert SOURCES["001"].label == "《关于促进高新技术产业开发(园)区高质量发展的实施意见》（川府发〔2021〕28号）"
    assert SOURCES["004"].label == '《四川省"5+1"重点特色园区培育发展三年行动计划（2021—2023年）》（征求意见稿）'
    assert SOURCES["catalogue_2018"].label == "《中国开发区审核公告目录》（2018年版）"
    assert "《" not in SOURCES["000"].label and "《" not in SOURCES["003"].label  # no official title: described


#: Verbatim excerpts of the seed documents (``../shared/seeds/``): each document's title block, or the line
#: naming its publisher / subject.  The registry is checked against these everywhere; where the seeds
#: are beside the checkout, :func:`test_seed_excerpts_are_verbatim_from_the_shared_seeds` checks the
#: excerpts against the documents themselves.
SEED_EXCERPTS = {
    "000": "　　数据来源：四川省科学技术厅、四川省各高新区管委会",
    "001": "四川省人民政府\n\n关于促进高新技术产业开发(园)区\n\n高质量发展的实施意见\n\n川府发〔2021〕28 号",
    "002": "四川省开发区发展规划(２０２３—２０２７ 年)",
    "003": "成都启动“立园满园”行动",
    "004": " 四川省“5+1”重点特色园区培育发展 \n三年行动计划（2021-2023年） \n（征求意见稿） ",
}


def test_registry_titles_match_the_seed_documents():
    head = {k: _norm(v) for k, v in SEED_EXCERPTS.items()}
    assert _norm(SOURCES["001"].title) in head["001"] and _norm(SOURCES["001"].doc_no) in head["001"]
    assert _norm(SOURCES["002"].title).replace("—", "") in head["002"].replace("—", "")
    assert _norm("重点特色园区培育发展三年行动计划") in head["004"] and SOURCES["004"].status in head["004"]
    assert "四川省科学技术厅" in head["000"] and "四川省科学技术厅" in SOURCES["000"].title
    assert "立园满园" in head["003"]


@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"needs ../shared/seeds/ ({SEEDS}), the project's shared seeds, absent in "
                    "this checkout; the registry is still checked against the excerpts in SEED_EXCERPTS")
def test_seed_excerpts_are_verbatim_from_the_shared_seeds():
    for key, excerpt in SEED_EXCERPTS.items():
        text = (SEEDS / SOURCES[key].file).read_text(encoding="utf-8")
        assert excerpt in text, key
        if key in ("001", "002", "004"):  # title blocks: at the head of the document
            assert text.index(excerpt) < 100, key


def test_citation_text_names_document_and_chapter():
    c = {"file": "seeds/002_b396a41d8a8b528f.txt", "section": "第八章第一节 强化规划管控（强化空间管控）",
         "line": "L1674", "quote": "强化耕地和永久基本农田"}
    assert cite(c) == "《四川省开发区发展规划（2023—2027年）》第八章第一节“强化规划管控”（强化空间管控）"
    assert cite(c, quote=True).endswith("：“强化耕地和永久基本农田”")
    assert section_text("二(三) 完善高新区规划") == "二（三）“完善高新区规划”"
    with pytest.raises(ParkmapError) as err:
        cite({"file": "seeds/999_0000000000000000.txt", "section": "x"})
    assert err.value.code == "source" and "registry" in err.value.en and "登记" in err.value.zh


def test_rule_citations_are_readable_with_refs_kept():
    for r in load_rules():
        assert r.citation.startswith("《") and "seeds/" not in r.citation and ".txt" not in r.citation, r.id
        assert len(r.citation.split("；")) == len({cite(c) for c in r.citations})
        assert all(f"{c.file} {c.line}".strip() in r.citation_ref for c in r.citations)
        assert all(c.quote in r.citation_quote for c in r.citations)
    two = load_rules()["eco_redline"]
    assert two.citation == cite_all(two.citations) and "（川府发〔2021〕28号）二（三）" in two.citation


def _raw():
    return yaml.safe_load(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))


def test_unregistered_document_needs_its_own_title():
    raw = _raw()
    eco = next(r for r in raw["rules"] if r["id"] == "eco_redline")
    eco["citation"] = [{"file": "docs/川自然资规〔2024〕1号.pdf", "section": "第三条", "quote": "不得占用"}]
    with pytest.raises(ParkmapError) as err:
        rules_from_dict(copy.deepcopy(raw), source="t.yaml")
    assert "title" in err.value.en and "Rules file" in err.value.en
    eco["citation"][0].update(title="关于加强生态保护红线管理的通知", doc_no="川自然资规〔2024〕1号")
    rule = rules_from_dict(raw)["eco_redline"]
    assert rule.citation == "《关于加强生态保护红线管理的通知》（川自然资规〔2024〕1号）第三条"
    eco["citation"][0]["page"] = 3
    with pytest.raises(ParkmapError, match="page"):
        rules_from_dict(raw)


def test_rule_names_from_the_rules_file():
    raw = _raw()
    assert [r["name_zh"] for r in raw["rules"]] == [RULE_NAMES[r["id"]][0] for r in raw["rules"]]
    rs = load_rules()
    assert rs["urban_boundary"].name("zh") == "城镇开发边界" and rs["river_1km"].name_zh == "长江干支流岸线1公里"
    assert all(r.name_zh and r.name_en for r in rs)
    changed = copy.deepcopy(raw)
    next(r for r in changed["rules"] if r["id"] == "farmland")["name_zh"] = "基本农田保护"
    assert rules_from_dict(changed)["farmland"].name_zh == "基本农田保护"
    next(r for r in changed["rules"] if r["id"] == "farmland")["name_zh"] = "  "
    with pytest.raises(ParkmapError, match="name_zh"):
        rules_from_dict(changed)
    missing = copy.deepcopy(raw)
    for r in missing["rules"]:
        r.pop("name_zh"), r.pop("name_en")
    assert rules_from_dict(missing)["farmland"].name_en == "Permanent basic farmland"  # built-in default


def _old_style(doc: dict) -> dict:
    """A check document as written before this change: file-form citations, no names or refs."""
    rules = load_rules()
    old = copy.deepcopy(doc)
    for r in old["rules"]:
        # documents of that time cited only the seeds (the land law citation of farmland came with issue 12)
        r["citation"] = "; ".join(c.text() for c in rules[r["id"]].citations if c.file.startswith("seeds/"))
        for k in ("name_zh", "name_en", "citation_ref", "citation_quote"):
            r.pop(k, None)
    old.pop("parcels", None)
    return old


def test_old_check_documents_load_with_readable_citations(tmp_path):
    from geo.check import Proposal, check_proposal, default_index
    from geo.area import buffer_m
    from geo.workspace import Workspace
    import shapely

    res = check_proposal(Proposal(buffer_m(shapely.Point(104.06, 30.6), 300), "G511040"), default_index())
    old = _old_style(res.to_dict(include_geometries=True))
    assert old["rules"][0]["citation"].startswith("seeds/002_b396a41d8a8b528f.txt 第八章第一节")
    back = CheckResult.from_dict(json.loads(json.dumps(old)))
    for new, was in zip(back.rules, res.rules):
        seeds = [c for c in load_rules()[was.id].citations if c.file.startswith("seeds/")]
        assert new.citation == cite_all(seeds) and new.citation_ref == cite_ref(seeds)
        assert new.citation_quote == cite_quotes(seeds) and new.name_zh == was.name_zh
    assert back.parcels == []  # old documents have no parcel list
    # The same through a workspace row holding the old document.
    ws = Workspace(tmp_path)
    pid = ws.save_proposal("旧方案", res.geometry, "G511040")
    cid = ws.save_check(pid, old)
    loaded = ws.get_check(cid).to_result()
    assert loaded.rule("eco_redline").citation.startswith("《四川省开发区发展规划（2023—2027年）》")
    # Unparseable text is kept as it was.
    assert upgrade_citation("见附件") == ("见附件", "", "")
    row = RuleResult.from_dict({"id": "x", "kind": "spatial", "severity": "fail", "status": "pass", "value": None,
                                "threshold": None, "unit": "", "citation": "见附件", "message_zh": "", "message_en": ""})
    assert row.citation == "见附件" and row.name("zh") == "x"
    assert set(RULE_IDS) == set(RULE_NAMES)


def test_provenance_labels_in_chinese():
    from geo.sources import provenance_label

    assert provenance_label("illustrative (sichuan.gpkg)") == "示意数据（sichuan.gpkg）"
    assert provenance_label("official file (永久基本农田.shp)") == "正式文件（永久基本农田.shp）"
    assert provenance_label("configurable default — not in sources") == "可配置默认值，来源文件未规定"
    assert provenance_label("derived", "en") == "derived" and provenance_label("other words") == "other words"


def test_rules_sources_table_matches_the_registry():
    text = (REPO / "data" / "rules_sources.md").read_text(encoding="utf-8")
    for key, doc in SOURCES.items():
        assert f"| {key} | {doc.label}" in text, key
