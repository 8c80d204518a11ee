"""The parkmap page's 开发区 tab: one zone's attributes with their sources, parks, industries and indicators.

Streamlit code (above the engine); every source is shown as a planner reads
it (document title and section, never a file name), illustrative values
flagged 示意.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from layers.i18n import t
from layers.present import md_escape
from layers.specs import CLASS_EN, LEVEL_EN


def source_text(ref: str, lang: str) -> str:
    """A data source as a planner reads it: document title and section, never a file name."""
    from geo.sources import humanize

    ref = str(ref or "")
    if ref.startswith("illustrative"):
        return t("illustrative", lang)
    return humanize(ref.split(":")[0] if ref.startswith("catalogue_2018:") else ref)


def zone_panel(data: dict, zone_id: str, lang: str) -> None:
    zones = data["zones"].set_index("zone_id")
    if zone_id not in zones.index:
        st.info(t("click_hint", lang))
        return
    z = zones.loc[zone_id]
    pref = data["prefectures"].set_index("adcode")["name"]
    cty = data["counties"].set_index("adcode")["name"]
    st.subheader(md_escape(z["short_name"]))
    st.caption(md_escape(z["name"]))
    parks = data["parks"][data["parks"]["zone_id"] == zone_id]
    c1, c2, c3 = st.columns(3)
    c1.metric(t("n_parks", lang), int(len(parks)))
    c2.metric(t("park_area", lang), f"{parks['area_m2'].sum() / 1e4:,.1f}")
    c3.metric(t("approved_area", lang), f"{float(z['approved_area_ha']):,.2f}")
    cls = CLASS_EN.get(z["zone_class"], z["zone_class"]) if lang == "en" else z["zone_class"]
    lvl = LEVEL_EN.get(z["level"], z["level"]) if lang == "en" else z["level"]
    cat = source_text("catalogue_2018", lang)
    first = source_text(z["sources"].split("|")[0], lang)
    rows = [
        (t("code", lang), z["catalogue_code"] or "—", cat if z["catalogue_code"] else first),
        (t("class", lang), cls, first), (t("level", lang), lvl, first),
        (t("approved_date", lang), z["approved_date"] or "—", cat if z["catalogue_code"] else "—"),
        (t("approved_area", lang), f"{float(z['approved_area_ha']):,.2f}", source_text(z["area_source"], lang)),
        (t("main_industries", lang), z["main_industries"].replace("|", "、") or "—", cat if z["catalogue_code"] else "—"),
        (t("prefecture", lang), pref.get(z["host_prefecture_adcode"], ""), ""),
        (t("county", lang), cty.get(z["host_county_adcode"], ""), z["location_note"] or ""),
        (t("owner", lang), pref.get(z["owner_prefecture_adcode"], ""), ""),
        (t("regions", lang), _region_names(data, z["regions"], lang), ""),
        (t("geometry_source", lang), t("illustrative", lang), "data/SOURCES.md"),
        (t("sources", lang), source_text(z["sources"], lang), ""),
    ]
    st.markdown(f"**{t('attributes', lang)}**")
    st.dataframe(pd.DataFrame(rows, columns=[t("field", lang), t("value", lang), t("source", lang)]),
                 hide_index=True, width="stretch")
    st.markdown(f"**{t('parks', lang)}**")
    st.dataframe(pd.DataFrame({t("name", lang): parks["name"], t("area_ha", lang): parks["area_ha"],
                               t("county", lang): parks["host_county_adcode"].map(cty),
                               t("geometry_source", lang): t("illustrative", lang)}), hide_index=True, width="stretch")
    links = data["zone_industries"]
    ind = data["industries"].set_index("id")
    zl = links[links["zone_id"] == zone_id]
    st.markdown(f"**{t('industries', lang)}**")
    if zl.empty:
        st.caption("—")
    else:
        st.dataframe(pd.DataFrame({t("industry", lang): zl["industry_id"].map(ind["name_en" if lang == "en" else "name_zh"]),
                                   t("role", lang): zl["role"].map({"重点依托": t("role_key", lang),
                                                                    "发展方向": t("role_dir", lang)}).fillna(zl["role"]),
                                   t("citation", lang): [source_text(c, lang) for c in zl["citation"]]}),
                     hide_index=True, width="stretch")
    st.markdown(f"**{t('indicators', lang)}**")
    ir = data["indicators"].set_index("zone_id").loc[zone_id]
    flag = lambda s: t(s, lang) if s in ("illustrative", "derived") else source_text(s, lang)  # noqa: E731
    st.dataframe(pd.DataFrame([
        (t("land_dev_rate", lang), f"{float(ir['land_dev_rate']):.1%}", flag(ir["land_dev_rate_source"])),
        (t("revenue_per_mu", lang), f"{float(ir['revenue_per_mu']):,.1f}", flag(ir["revenue_per_mu_source"])),
        (t("tax_per_mu", lang), f"{float(ir['tax_per_mu']):,.1f}", flag(ir["tax_per_mu_source"])),
        (t("rank_in_class", lang), f"{int(ir['rank_in_class'])} / {int(ir['n_in_class'])}", flag("illustrative")),
    ], columns=[t("field", lang), t("value", lang), t("provenance", lang)]), hide_index=True, width="stretch")


def _region_names(data: dict, ids: str, lang: str) -> str:
    reg = data["regions"].set_index("region_id")["name_en" if lang == "en" else "name_zh"]
    return "、".join(reg.get(r, r) for r in str(ids).split(",") if r) or "—"
