"""layers/i18n.py: every label in both languages, Chinese labels in Chinese, and t()'s fallbacks."""

from __future__ import annotations

import re

import pytest

from layers.i18n import LANGS, TEXT, t

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
