"""The parkmap page's sidebar: language, login line, basemap, prefecture view, layers, regions, industry filter, zone search.

Streamlit code (above the engine).  :func:`sidebar` draws it and returns the
page's choices (``ui``) that the map and the panels are given; widget values
are language-independent keys, and :func:`relabel_on_language_switch` keeps
every choice across a switch of language.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo import zones as zq
from geo.auth import role_label
from layers import render
from layers.i18n import t
from layers.page_data import zone_label
from layers.page_state import on_zone_pick
from layers.present import md_escape
from layers.session import actor, logout, password_form
from layers.specs import GROUPS, SPECS

ss = st.session_state

#: Widgets whose option labels change with the language (their values never do).
RELABELLED = ("basemap", "view", "regions_pick", "color_by", "industry_mode", "industry", "chain", "zone_pick",
              "check_zone", "check_type", "ovr_rule", "ovr_status", "list_pref", "list_level", "list_class",
              "exp_renderer", "panel_tab", "sites_zone", "scan_scope", "scan_pref", "scan_zone")


def relabel_on_language_switch(lang: str) -> None:
    """After a language switch, hand every choice widget its own value again.

    The browser keeps a select box's choice as its label text; once the
    labels are translated that text matches no option, and the choice would be
    lost (the region list emptied) or go stale (“全省” left in English).
    Setting the value from session state makes Streamlit send it with the
    new label.
    """
    if ss.get("_lang_seen", lang) != lang:
        for key in list(ss.keys()):
            if isinstance(key, str) and (key in RELABELLED or key.startswith("parcel")) and key != "panel_tab":
                ss[key] = ss[key]
    ss["_lang_seen"] = lang


def sidebar(data: dict) -> dict:
    sb = st.sidebar
    lang = sb.radio(t("language"), ["zh", "en"], horizontal=True, key="lang", format_func=lambda k: t(f"lang_{k}"))
    relabel_on_language_switch(lang)
    sb.title(t("app_title", lang))
    who = actor()
    if who.via == "os":
        sb.caption(md_escape(t("single_user", lang).format(name=who.name)))
    else:
        sb.caption(md_escape(t("signed_in", lang).format(name=who.name, role=role_label(who.role, lang))))
        sb.button(t("logout", lang), key="logout", on_click=logout)
        if who.via == "account":
            password_form(sb, lang)
    basemap = sb.selectbox(t("basemap", lang), list(render.BASEMAPS), key="basemap",
                           format_func=lambda b: t(f"basemap_{b.replace('tianditu', 'tdt')}", lang))
    pref = data["prefectures"]
    names = dict(zip(pref["adcode"], pref["name"]))
    order = zq.sort_by_pinyin(pref["name"])
    by_name = dict(zip(pref["name"], pref["adcode"]))
    view = sb.selectbox(t("view", lang), [""] + [by_name[n] for n in order], key="view",
                        format_func=lambda a: names.get(a, t("view_province", lang)))

    sb.subheader(t("layers", lang))
    active: list[str] = []
    for group, (gzh, gen) in GROUPS.items():
        sb.caption(gen if lang == "en" else gzh)
        for s in SPECS:
            if s.group == group and sb.checkbox(s.title(lang), value=s.default_on, key=f"layer_{s.id}"):
                active.append(s.id)

    regions = data["regions"]
    kind_order = {"economic_region": 0, "metropolitan_area": 1, "twin_city_circle": 2, "economic_belt": 3,
                  "cooperation_platform": 4}
    reg_sorted = regions.assign(_k=regions["kind"].map(kind_order)).sort_values(["_k", "region_id"])
    reg_label = dict(zip(regions["region_id"], regions["name_en" if lang == "en" else "name_zh"]))
    # the five economic regions and all three economic belts are shown at start
    ss.setdefault("regions_pick", list(regions.loc[regions["kind"].isin(["economic_region", "economic_belt"]),
                                                   "region_id"]))
    picked = sb.multiselect(t("regions_pick", lang), list(reg_sorted["region_id"]), key="regions_pick",
                            format_func=lambda r: reg_label.get(r, r), placeholder=t("choose", lang))
    color_by = sb.radio(t("zone_color", lang), ["class", "level"], horizontal=True, key="color_by",
                        format_func=lambda c: t(f"by_{c}", lang))

    ind = data["industries"]
    mode = sb.radio(t("industry_mode", lang), ["advantage", "cluster", "fp1"], key="industry_mode",
                    format_func=lambda m: t(f"mode_{m}", lang))
    kinds = {"advantage": ["advantage_industry"], "cluster": ["emerging_cluster_national", "emerging_cluster_provincial"],
             "fp1": ["five_plus_one"]}[mode]
    pool = ind[ind["kind"].isin(kinds) & (ind["id"] != "fp1-system")]
    name_col = "name_en" if lang == "en" else "name_zh"
    inames = dict(zip(ind["id"], ind[name_col]))
    if ss.get("industry") not in [""] + list(pool["id"]):
        ss["industry"] = ""
    industry = sb.selectbox(t("industry", lang), [""] + list(pool["id"]), key="industry",
                            format_func=lambda i: inames.get(i, t("industry_none", lang)))
    chain = ""
    if industry and mode == "advantage":
        chains = ind[ind["parent"] == industry]
        if ss.get("chain") not in [""] + list(chains["id"]):
            ss["chain"] = ""
        chain = sb.selectbox(t("industry_detail", lang), [""] + list(chains["id"]), key="chain",
                             format_func=lambda i: inames.get(i, t("industry_all", lang)))

    sb.subheader(t("zone_search", lang))
    q = sb.text_input(t("zone_search", lang), key="zone_q", label_visibility="collapsed",
                      placeholder="成都高新 / cdgx / chengdu")
    matches = zq.search_zones(data["zones"], q)
    opts = [""] + list(matches["zone_id"])
    sel = ss.get("selected_zone", "")
    if sel and sel not in opts:
        opts.insert(1, sel)
    if ss.get("zone_pick") not in opts:
        ss["zone_pick"] = sel if sel in opts else ""
    sb.selectbox(t("zone_pick", lang), opts, key="zone_pick", on_change=on_zone_pick,
                 format_func=lambda z: zone_label(z, lang))
    ind_id = chain or industry
    hosts = zq.zones_for_industry(data["zone_industries"], data["industries"], ind_id) if ind_id \
        else pd.DataFrame(columns=["zone_id", "role", "citations"])
    return {"lang": lang, "basemap": basemap, "view": view, "active": active, "regions": picked,
            "color_by": color_by, "industry": ind_id, "industry_mode": mode, "hosts": hosts}
