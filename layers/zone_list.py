"""The parkmap page's 开发区一览 tab: the filtered zone table, the industry summary, the 亩均 comparison, CSV and Excel.

Streamlit code (above the engine).  :func:`list_panel` is a fragment (its
filters rerun only the list), so it checks the session itself first.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo import catalog
from geo import zones as zq
from layers.i18n import t
from layers.page_data import zone_lookup
from layers.page_state import guarded
from layers.present import md_escape
from layers.session import require_session
from layers.specs import CLASS_EN, LEVEL_EN


@st.fragment
@guarded
def list_panel(data: dict, ui: dict) -> None:
    """开发区一览: the zone table (the industry filter's hit list), the 亩均 comparison, CSV and Excel."""
    require_session()
    lang = ui["lang"]
    pref = data["prefectures"]
    names = dict(zip(pref["adcode"], pref["name"]))
    c1, c2, c3 = st.columns(3)
    p = c1.selectbox(t("filter_prefecture", lang), [""] + [dict(zip(pref["name"], pref["adcode"]))[n]
                     for n in zq.sort_by_pinyin(pref["name"])], key="list_pref",
                     format_func=lambda a: names.get(a, t("filter_all", lang)))
    lvl = c2.selectbox(t("filter_level", lang), ["", "国家级", "省级"], key="list_level",
                       format_func=lambda v: (LEVEL_EN.get(v, v) if lang == "en" else v) or t("filter_all", lang))
    cls = c3.selectbox(t("filter_class", lang), ["", "经开区", "高新区", "综保区", "其他产业园区"], key="list_class",
                       format_func=lambda v: (CLASS_EN.get(v, v) if lang == "en" else v) or t("filter_all", lang))
    hits = list(ui["hosts"]["zone_id"]) if ui["industry"] else None
    if ui["industry"]:
        industry_summary(data, ui)
        st.caption(md_escape(t("industry_hits", lang)))
    table = catalog.zone_table(data["zones"], pref, data["indicators"], prefecture=p, level=lvl, zone_class=cls,
                               zone_ids=hits, lang=lang)
    shown = catalog.labelled(table, lang)
    st.caption(t("list_count", lang).format(n=len(table)))
    missing = catalog.unidentified_note(lang)  # the plan's zones no source names (data/zone_count_differences.csv)
    if missing:
        st.caption(md_escape(missing))
    st.dataframe(shown, hide_index=True, width="stretch", height=320)
    d1, d2 = st.columns(2)
    d1.download_button(t("download_csv", lang), lambda: catalog.to_csv_bytes(shown), file_name="开发区一览.csv",
                       mime="text/csv", key="list_csv", on_click="ignore")
    d2.download_button(t("download_xlsx", lang), lambda: catalog.to_xlsx_bytes(shown), file_name="开发区一览.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="list_xlsx",
                       on_click="ignore")
    short = zone_lookup()[0]
    picked = st.multiselect(t("compare_zones", lang), list(table.index), key="list_compare",
                            format_func=lambda z: short.get(z, z), max_selections=8, placeholder=t("choose", lang))
    if picked:
        st.dataframe(catalog.compare_indicators(table, picked, lang), width="stretch")
        st.caption(t("illustrative_values", lang))


def industry_summary(data: dict, ui: dict) -> None:
    """The industry filter: how many zones host it, by role and by prefecture, and the industry mix."""
    lang, hosts = ui["lang"], ui["hosts"]
    ind = data["industries"].set_index("id")
    name = ind.loc[ui["industry"], "name_en" if lang == "en" else "name_zh"]
    st.markdown(f"**{md_escape(name)}** · {t('zones_highlighted', lang)}: {len(hosts)}"
                f"（{t('role_key', lang)} {int((hosts['role'] == '重点依托').sum())}，"
                f"{t('role_dir', lang)} {int((hosts['role'] == '发展方向').sum())}）")
    counts = zq.count_by_prefecture(data["zones"], hosts["zone_id"])
    pref = data["prefectures"].set_index("adcode")["short_name"]
    by_pref = pd.DataFrame({t("count_by_pref", lang): counts.rename(index=pref)})
    st.bar_chart(by_pref.loc[zq.sort_by_pinyin(by_pref.index)], height=180)
    mix = zq.industry_mix(data["zone_industries"], data["industries"], hosts["zone_id"])
    if lang == "en":
        en = dict(zip(data["industries"]["name_zh"], data["industries"]["name_en"]))
        mix.index = [en.get(i, i) for i in mix.index]
    st.caption(t("industry_mix", lang))
    st.bar_chart(mix, height=200)
