"""User-facing text: Chinese first, English on the toggle.

Every label the app shows comes from :data:`TEXT`; ``t(key, lang)`` picks one.
"""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    "app_title": ("四川开发区规划地图", "Sichuan development zones planning map"),
    "language": ("语言 / Language", "语言 / Language"),
    "basemap": ("底图", "Basemap"),
    "basemap_none": ("无底图（离线）", "None (offline)"),
    "basemap_osm": ("OpenStreetMap", "OpenStreetMap"),
    "basemap_tdt_vec": ("天地图 矢量", "Tianditu vector"),
    "basemap_tdt_img": ("天地图 影像", "Tianditu imagery"),
    "basemap_gaode": ("高德（GCJ-02）", "Gaode (GCJ-02)"),
    "tdt_no_key": (
        "未配置天地图密钥：请设置环境变量 TIANDITU_TOKEN 或 .streamlit/secrets.toml 中的 tianditu_token。",
        "No Tianditu key: set TIANDITU_TOKEN or tianditu_token in .streamlit/secrets.toml.",
    ),
    "gcj_note": (
        "高德底图为 GCJ-02 坐标，所有图层已偏移显示以对齐；数据本身仍为 CGCS2000。",
        "Gaode tiles are GCJ-02: every layer is shifted for display to line up; the data stay CGCS2000.",
    ),
    "layers": ("图层", "Layers"),
    "view": ("视图范围", "View"),
    "view_province": ("全省", "Whole province"),
    "regions_pick": ("经济区 / 经济带", "Regions and belts"),
    "zone_color": ("开发区着色", "Colour zones by"),
    "by_class": ("类型", "Class"),
    "by_level": ("级别", "Level"),
    "industry": ("产业", "Industry"),
    "industry_none": ("（不筛选）", "(no filter)"),
    "industry_detail": ("产业链 / 集群", "Chain / cluster"),
    "industry_all": ("（整个产业）", "(whole industry)"),
    "industry_mode": ("产业体系", "Industry system"),
    "mode_advantage": ("六大优势产业", "Six advantage industries"),
    "mode_cluster": ("战略性新兴产业集群", "Strategic emerging clusters"),
    "mode_fp1": ("“5+1”现代产业体系", "“5+1” industrial system"),
    "zone_search": ("搜索开发区（中文或拼音）", "Search zones (Chinese or pinyin)"),
    "zone_pick": ("选择开发区", "Pick a zone"),
    "no_zone": ("（未选择）", "(none)"),
    "illustrative_notice": (
        "⚠ 示意数据：园区边界、生态保护红线、永久基本农田、城镇开发边界和河流为生成的示意图层，非官方数据，不得作为审批依据。",
        "⚠ Illustrative data: park outlines, eco red line, farmland, urban boundaries and rivers are generated, not official, and must not be used for approval.",
    ),
    "legend": ("图例", "Legend"),
    "zone_panel": ("开发区信息", "Zone panel"),
    "attributes": ("属性", "Attributes"),
    "industries": ("产业定位", "Industry specialisations"),
    "indicators": ("评价指标", "Indicators"),
    "provenance": ("数据来源标记", "Provenance"),
    "parks": ("园区", "Parks"),
    "n_parks": ("园区数", "Parks"),
    "park_area": ("园区总面积（公顷）", "Total park area (ha)"),
    "approved_area": ("核准面积（公顷）", "Approved area (ha)"),
    "count_by_pref": ("各市（州）开发区数", "Zones per prefecture"),
    "industry_mix": ("产业构成（开发区数）", "Industry mix (zones)"),
    "role_key": ("重点依托", "Primary host (重点依托)"),
    "role_dir": ("发展方向", "Development direction (发展方向)"),
    "enclave_link": ("飞地：管理市（州）→ 所在地", "Enclave: owner prefecture → host site"),
    "source": ("来源", "Source"),
    "click_hint": ("点击地图上的开发区，或在侧栏搜索，查看详情。", "Click a zone on the map, or search in the sidebar, to see details."),
    "field": ("字段", "Field"),
    "value": ("值", "Value"),
    "role": ("角色", "Role"),
    "citation": ("出处", "Citation"),
    "name": ("名称", "Name"),
    "area_ha": ("面积（公顷）", "Area (ha)"),
    "county": ("所在县（市、区）", "Host county"),
    "prefecture": ("所在市（州）", "Host prefecture"),
    "owner": ("管理市（州）", "Owner prefecture"),
    "regions": ("所属区域", "Regions"),
    "class": ("类型", "Class"),
    "level": ("级别", "Level"),
    "code": ("目录代码", "Catalogue code"),
    "approved_date": ("批准时间", "Approved"),
    "main_industries": ("主导产业（目录）", "Main industries (catalogue)"),
    "location_confidence": ("位置精度", "Location confidence"),
    "location_note": ("位置说明", "Location note"),
    "geometry_source": ("几何来源", "Geometry source"),
    "sources": ("来源", "Sources"),
    "illustrative": ("示意", "illustrative"),
    "derived": ("推算", "derived"),
    "land_dev_rate": ("土地开发率", "Land development rate"),
    "revenue_per_mu": ("亩均营业收入（万元/亩）", "Revenue per mu (10k yuan/mu)"),
    "tax_per_mu": ("亩均税收（万元/亩）", "Tax per mu (10k yuan/mu)"),
    "rank_in_class": ("同类排名", "Rank in class"),
    "zones_highlighted": ("高亮开发区", "Zones highlighted"),
}

LANGS = ("zh", "en")


def t(key: str, lang: str = "zh") -> str:
    """The label ``key`` in ``lang`` (``"zh"`` or ``"en"``); unknown keys come back as themselves."""
    pair = TEXT.get(key)
    if pair is None:
        return key
    return pair[1] if lang == "en" else pair[0]
