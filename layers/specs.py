"""Declarative map-layer specs: where each layer's data come from, its style, popup and group.

A spec is data only; :mod:`layers.render` turns it into folium objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Zone class colours (经开区 / 高新区 / 综保区 / 其他产业园区).
CLASS_COLORS: dict[str, str] = {
    "经开区": "#1f5fbf",
    "高新区": "#d62728",
    "综保区": "#8e44ad",
    "其他产业园区": "#e67e22",
}
LEVEL_COLORS: dict[str, str] = {"国家级": "#b2182b", "省级": "#2166ac"}
ROLE_COLORS: dict[str, str] = {"重点依托": "#b30000", "发展方向": "#fd8d3c"}
MUTED = "#9e9e9e"
HIGHLIGHT = "#ffd400"
REGION_COLORS: tuple[str, ...] = (
    "#8dd3c7", "#bebada", "#fb8072", "#80b1d3", "#fdb462", "#b3de69", "#fccde5",
    "#bc80bd", "#ccebc5", "#ffed6f", "#a6cee3", "#b2df8a", "#cab2d6", "#fdbf6f", "#d9d9d9",
)
from geo.catalog import CLASS_EN, LEVEL_EN  # noqa: E402,F401  (re-exported: one wording for the map, panels and list)


@dataclass(frozen=True)
class PopupField:
    """One attribute shown in a tooltip/popup: the column and its Chinese and English labels."""

    column: str
    zh: str
    en: str


@dataclass(frozen=True)
class LayerSpec:
    """A map layer, declared.

    Attributes
    ----------
    id : str
        Layer id, also the GeoPackage layer it reads (``source``) unless given.
    title_zh, title_en : str
        Names in the layer list and legend.
    group : str
        Sidebar group key: ``admin``, ``regions``, ``zones``, ``control``.
    kind : str
        ``polygon`` or ``line``.
    style : dict
        Leaflet path options (color, weight, fillColor, fillOpacity, dashArray).
    popup : tuple of PopupField
        Fields in the hover tooltip.
    id_field : str
        Column identifying a feature (returned on click).
    illustrative : bool
        Generated data: the map carries a notice while the layer is on.
    default_on : bool
        Visible at start.
    simplify : dict
        Vertex tolerance in degrees per view (``province`` / ``prefecture`` / ``zone``).
    """

    id: str
    title_zh: str
    title_en: str
    group: str
    kind: str = "polygon"
    source: str | None = None
    style: dict = field(default_factory=dict)
    popup: tuple[PopupField, ...] = ()
    id_field: str | None = None
    illustrative: bool = False
    default_on: bool = False
    simplify: dict = field(default_factory=lambda: {"province": 0.0, "prefecture": 0.0, "zone": 0.0})

    @property
    def layer(self) -> str:
        return self.source or self.id

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_zh


GROUPS: dict[str, tuple[str, str]] = {
    "admin": ("行政区划", "Administrative"),
    "regions": ("经济区与经济带", "Regions and belts"),
    "zones": ("开发区与园区", "Zones and parks"),
    "control": ("管控线（示意）", "Control lines (illustrative)"),
}

SPECS: tuple[LayerSpec, ...] = (
    LayerSpec(
        "prefectures", "市（州）界", "Prefectures", "admin",
        style={"color": "#4d4d4d", "weight": 1.6, "fillOpacity": 0.0},
        popup=(PopupField("name", "市（州）", "Prefecture"), PopupField("adcode", "行政区划代码", "Adcode")),
        id_field="adcode", default_on=True,
        simplify={"province": 0.02, "prefecture": 0.005, "zone": 0.001},
    ),
    LayerSpec(
        "counties", "县（市、区）界", "Counties", "admin",
        style={"color": "#9a9a9a", "weight": 0.6, "fillOpacity": 0.0},
        popup=(PopupField("name", "县（市、区）", "County"), PopupField("prefecture_name", "所属市（州）", "Prefecture"),
               PopupField("adcode", "行政区划代码", "Adcode")),
        id_field="adcode", default_on=True,
        simplify={"province": 0.02, "prefecture": 0.005, "zone": 0.001},
    ),
    LayerSpec(
        "regions", "经济区与经济带", "Regions and belts", "regions",
        style={"weight": 1.2, "fillOpacity": 0.18, "dashArray": "4 4"},
        popup=(PopupField("name_zh", "区域", "Region"), PopupField("name_en", "English", "English"),
               PopupField("citation", "出处", "Citation")),
        id_field="region_id", default_on=True,
        simplify={"province": 0.02, "prefecture": 0.005, "zone": 0.002},
    ),
    LayerSpec(
        "eco_redline", "生态保护红线（示意）", "Eco red line (illustrative)", "control",
        style={"color": "#1b7837", "weight": 0.6, "fillColor": "#5aae61", "fillOpacity": 0.35},
        popup=(PopupField("eco_id", "编号", "ID"), PopupField("function_class", "功能类型", "Function"),
               PopupField("county_name", "县", "County")),
        id_field="eco_id", illustrative=True,
        simplify={"province": 0.01, "prefecture": 0.002, "zone": 0.0},
    ),
    LayerSpec(
        "farmland", "永久基本农田（示意）", "Permanent farmland (illustrative)", "control",
        style={"color": "#b8860b", "weight": 0.3, "fillColor": "#f1c40f", "fillOpacity": 0.55},
        popup=(PopupField("farm_id", "图斑编号", "Patch"), PopupField("county_name", "县", "County")),
        id_field="farm_id", illustrative=True,
        simplify={"province": 0.004, "prefecture": 0.0005, "zone": 0.0},
    ),
    LayerSpec(
        "urban_boundary", "城镇开发边界（示意）", "Urban development boundary (illustrative)", "control",
        style={"color": "#c0392b", "weight": 1.0, "fillColor": "#e74c3c", "fillOpacity": 0.06, "dashArray": "5 3"},
        popup=(PopupField("name", "名称", "Name"),),
        id_field="ub_id", illustrative=True,
        simplify={"province": 0.003, "prefecture": 0.0005, "zone": 0.0},
    ),
    LayerSpec(
        "rivers", "长江干流及主要支流", "Yangtze mainstem and main tributaries", "control", kind="line",
        style={"color": "#1f78b4", "weight": 2.2, "opacity": 0.9},
        popup=(PopupField("name_zh", "河流", "River"), PopupField("river_class", "等级", "Class")),
        id_field="river_id", illustrative=True, default_on=True,
        simplify={"province": 0.005, "prefecture": 0.001, "zone": 0.0},
    ),
    LayerSpec(
        "parks", "园区（一区多园）", "Parks (one zone, several parks)", "zones",
        style={"weight": 1.2, "fillOpacity": 0.55},
        popup=(PopupField("name", "园区", "Park"), PopupField("zone_short_name", "所属开发区", "Zone"),
               PopupField("zone_class", "类型", "Class"), PopupField("area_ha", "面积（公顷）", "Area (ha)")),
        id_field="zone_id", illustrative=True, default_on=True,
    ),
    LayerSpec(
        "zones", "开发区", "Development zones", "zones",
        style={"weight": 1.0, "fillOpacity": 0.9, "radius": 5},
        popup=(PopupField("short_name", "开发区", "Zone"), PopupField("zone_class", "类型", "Class"),
               PopupField("level", "级别", "Level"), PopupField("approved_area_ha", "核准面积（公顷）", "Approved (ha)")),
        id_field="zone_id", default_on=True, kind="point",
    ),
)

SPEC_BY_ID: dict[str, LayerSpec] = {s.id: s for s in SPECS}


def spec(layer_id: str) -> LayerSpec:
    """The spec of ``layer_id``."""
    return SPEC_BY_ID[layer_id]
