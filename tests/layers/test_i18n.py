"""layers/i18n.py: every label in both languages, Chinese labels in Chinese, and t()'s fallbacks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from layers.i18n import COMPUTED, LANGS, TEXT, t

CJK = re.compile(r"[\u3400-\u9fff]")
PLACEHOLDER = re.compile(r"\{(\w*)\}")
#: zh values that are rightly not Chinese: a brand name, a language's own name, a pure format string.
NOT_CHINESE = {"basemap_osm", "lang_en", "zone_label"}


@pytest.mark.parametrize("key", sorted(TEXT))
def test_every_key_has_both_languages(key):
    zh, en = TEXT[key]
    assert zh.strip() and en.strip(), key
    assert sorted(PLACEHOLDER.findall(zh)) == sorted(PLACEHOLDER.findall(en)), key  # same fields to format


def test_zh_column_is_chinese():
    missing = [k for k, (zh, _) in TEXT.items() if not CJK.search(zh) and k not in NOT_CHINESE]
    assert missing == [], f"zh text without a Chinese character: {missing}"
    assert all(k in TEXT for k in NOT_CHINESE)  # the exceptions stay real keys


def test_en_column_is_english():
    # a language's own name (中文) and a pure format string are the same in both columns
    not_english = [k for k, (_, en) in TEXT.items() if not re.search(r"[A-Za-z]", PLACEHOLDER.sub("", en))]
    assert sorted(not_english) == ["lang_zh", "zone_label"], not_english


def test_t_picks_the_language_and_falls_back():
    assert LANGS == ("zh", "en")
    assert t("app_title") == TEXT["app_title"][0]  # Chinese by default
    assert t("app_title", "en") == TEXT["app_title"][1]
    assert t("app_title", "fr") == TEXT["app_title"][0]  # unknown language: Chinese
    assert t("no_such_key") == "no_such_key" and t("no_such_key", "en") == "no_such_key"  # shows the key
    assert t("saved_new", "en").format(pid=7).startswith("Saved as new proposal #7")


# --------------------------------------------------------------------------- the keys the UI asks for
REPO = Path(__file__).resolve().parents[2]
#: ``t("key", …)`` / ``t('key')`` with a literal key (not a prefix: ``t("verdict_" + v)`` is a family, below).
LITERAL_KEY = re.compile(r"""(?<![\w.])t\(\s*["']([a-z0-9_]+)["'](?!\s*\+)""")


def _ui_sources() -> list[Path]:
    return [REPO / "app.py", *sorted((REPO / "layers").rglob("*.py"))]


def test_every_literal_key_the_ui_asks_for_exists():
    # t() shows an unknown key as itself, so a typo or a forgotten entry would put "zone_serch" on the page
    used: dict[str, list[str]] = {}
    for path in _ui_sources():
        for key in LITERAL_KEY.findall(path.read_text(encoding="utf-8")):
            used.setdefault(key, []).append(path.relative_to(REPO).as_posix())
    assert len(used) > 100, "the scan found almost no t() calls: the pattern no longer matches the code"
    missing = {k: files for k, files in used.items() if k not in TEXT}
    assert missing == {}, f"keys used in the UI without a TEXT entry: {missing}"


def test_every_key_built_at_run_time_exists():
    # keys the UI assembles from the engine's and the renderers' own vocabularies (st_{status}, verdict_{v}, …)
    from geo.check.model import STATUSES, TYPE_NAMES, VERDICTS
    from layers.export.snapshot import RENDERERS
    from layers.render import BASEMAPS

    families = {
        "st_": STATUSES,  # layers.present.status_text, the override box
        "verdict_": tuple(VERDICTS),  # layers.present.verdict_html, saved / compare tables
        "type_": tuple(TYPE_NAMES),  # the check panel's type radio
        "renderer_": RENDERERS,  # the export panel
        "basemap_": tuple(b.replace("tianditu", "tdt") for b in BASEMAPS),  # sidebar, legend, page text
        "lang_": LANGS,  # the language radio
        "by_": ("class", "level"),  # the zone colouring radio
        "mode_": ("advantage", "cluster", "fp1"),  # the industry-system radio
        "src_label_": ("drawn", "upload", "saved"),  # the proposal source line
    }
    missing = [prefix + k for prefix, keys in families.items() for k in keys if prefix + k not in TEXT]
    assert missing == []


def test_verdict_words_are_the_engines():
    # the app's verdict badge and the check documents / reports use one wording
    from geo.check.model import VERDICTS

    for verdict, (zh, en) in VERDICTS.items():
        assert TEXT[f"verdict_{verdict}"][0] == zh, verdict
        assert TEXT[f"verdict_{verdict}"][1].casefold() == en.casefold(), verdict


@pytest.mark.parametrize("key", sorted(k for k, pair in TEXT.items()
                                       if any(PLACEHOLDER.search(s) for s in pair) and k not in COMPUTED))
def test_templates_format_in_both_languages(key):
    for lang in LANGS:
        text = t(key, lang)
        filled = text.format(**{name: "«X»" for name in PLACEHOLDER.findall(text)})
        assert "{" not in filled and "}" not in filled and "«X»" in filled, (key, lang)


def test_the_official_layers_hint_names_every_registered_layer():
    from geo.controls import ControlLayer, control_layers, registered

    for lang in LANGS:
        text = t("official_hint", lang)
        assert "{" not in text and all(key in text for key in control_layers()), lang
    assert "河流" in t("official_hint", "en")  # the Chinese file stem, also in English
    with registered(ControlLayer("geological_hazard", "地质灾害易发区", "geological hazard area", ("dzzh", "地质灾害"))):
        assert "geological_hazard / 地质灾害" in t("official_hint")
    assert "geological_hazard" not in t("official_hint")
