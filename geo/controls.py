"""The layers a proposal is checked against, named once.

Keys are the ones the check index, the rules file, the JSON documents and the
audit records use; planners read the Chinese name (English on the toggle).

:data:`CONTROL_LAYERS` is the registry of the control layers a planner may
replace with official files (三区三线 and the rivers): key, names, accepted
file stems, geometry kind and the labels the rule messages, the report and
the data export use.  Readers call :func:`control_layers` at call time, so an
entry added with :func:`registered` (tests) is seen everywhere.  Adding a
layer is one :class:`ControlLayer` entry plus its rule function
(:func:`geo.check.spatial.overlap_rule`).

>>> layer_name("eco_redline")
'生态保护红线'
>>> layer_name("urban_boundary", "en")
'urban development boundary'
>>> control_layers()["farmland"].stems[-1]
'yjjbnt'
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

#: Geometry kinds of a control layer.
LAYER_KINDS: tuple[str, ...] = ("polygon", "line")


@dataclass(frozen=True)
class ControlLayer:
    """One replaceable control layer.

    Attributes
    ----------
    key : str
        Layer key (index, rules file, JSON documents).
    zh, en : str
        Planner's names (:func:`layer_name`).
    stems : tuple of str
        File stems accepted in an official-layers folder (case-insensitive;
        the 三区三线 pinyin codes included).
    kind : {"polygon", "line"}
        Geometry kind (``line``: read through :func:`geo.validate.validate_lines`).
    message : (中文, English) or None
        Name used in rule messages (``与{zh}重叠`` / ``Overlaps {en}``).
    report_label : (中文, English) or None
        Row label of the report's overlap table.
    parcel_label : (中文, English) or None
        Column head of the report's per-parcel table.
    export_part : (part, 中文) or None
        Part name of the overlap pieces in the data export (polygon overlaps).
    style : dict
        Map style of the overlap pieces (Leaflet path options).
    """

    key: str
    zh: str
    en: str
    stems: tuple[str, ...]
    kind: str = "polygon"
    message: tuple[str, str] | None = None
    report_label: tuple[str, str] | None = None
    parcel_label: tuple[str, str] | None = None
    export_part: tuple[str, str] | None = None
    style: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in LAYER_KINDS:
            raise ValueError(f"control layer {self.key!r}: kind must be one of {LAYER_KINDS}, not {self.kind!r}")
        if not self.stems:
            raise ValueError(f"control layer {self.key!r}: no file stems")


_CONTROL_LAYERS: dict[str, ControlLayer] = {
    layer.key: layer for layer in (
        ControlLayer("eco_redline", "生态保护红线", "ecological protection red line",
                     ("eco_redline", "生态保护红线", "生态红线", "stbhhx"),
                     message=("生态保护红线", "the ecological protection red line"),
                     report_label=("生态保护红线", "Eco red line"),
                     parcel_label=("占生态保护红线", "Eco red line"),
                     export_part=("eco_redline overlap", "与生态保护红线重叠"),
                     style={"color": "#880e4f", "weight": 1.5, "fill": True, "fillColor": "#e91e63", "fillOpacity": 0.8}),
        ControlLayer("farmland", "永久基本农田", "permanent basic farmland",
                     ("farmland", "永久基本农田", "基本农田", "yjjbnt"),
                     message=("永久基本农田", "permanent basic farmland"),
                     report_label=("永久基本农田", "Permanent farmland"),
                     parcel_label=("占永久基本农田", "Farmland"),
                     export_part=("farmland overlap", "与永久基本农田重叠"),
                     style={"color": "#e65100", "weight": 1.5, "fill": True, "fillColor": "#ff6d00", "fillOpacity": 0.75}),
        ControlLayer("urban_boundary", "城镇开发边界", "urban development boundary",
                     ("urban_boundary", "城镇开发边界", "czkfbj"),
                     message=("城镇开发边界", "the urban development boundary"),
                     report_label=("城镇开发边界外", "Outside urban boundary"),
                     parcel_label=("城镇开发边界外", "Outside urban boundary")),
        ControlLayer("rivers", "长江干支流", "Yangtze main stream and tributaries",
                     ("rivers", "river", "河流", "水系"), kind="line"),
    )
}
#: The built-in control layers (key → :class:`ControlLayer`); read it through :func:`control_layers`.
CONTROL_LAYERS: dict[str, ControlLayer] = _CONTROL_LAYERS


#: Style of the proposal outline (Leaflet path options): the map's, and the KML export's
#: (:func:`geo.export_data.kml_document`), so it is kept here next to the control layers' styles.
PROPOSAL_STYLE: dict[str, Any] = {"color": "#0d0d0d", "weight": 3.0, "fill": True, "fillColor": "#00b8d4",
                                  "fillOpacity": 0.12}
#: Overlap pieces of a check (keys of :attr:`geo.check.CheckResult.geometries`):
#: style, legend kind and labels (中文, English). Drawn above the proposal.
OVERLAP_STYLES: dict[str, dict[str, Any]] = {
    "removed": {"style": {"color": "#616161", "weight": 2.0, "dashArray": "6 4", "fill": True, "fillColor": "#9e9e9e",
                          "fillOpacity": 0.25},
                "legend": "dash", "zh": "调出范围", "en": "Removed area"},
    "own_parks": {"style": {"color": "#455a64", "weight": 1.0, "fill": True, "fillColor": "#90a4ae", "fillOpacity": 0.55},
                  "legend": "fill", "zh": "与本开发区园区重叠", "en": "Overlap: own parks"},
    "urban_boundary_outside": {"style": {"color": "#b71c1c", "weight": 1.5, "dashArray": "4 3", "fill": True,
                                         "fillColor": "#ff8a80", "fillOpacity": 0.45},
                               "legend": "fill", "zh": "城镇开发边界外部分", "en": "Outside urban boundary"},
    "outside_province": {"style": {"color": "#000000", "weight": 1.5, "fill": True, "fillColor": "#424242",
                                   "fillOpacity": 0.6},
                         "legend": "fill", "zh": "省界外部分", "en": "Outside Sichuan"},
    "farmland": {"style": CONTROL_LAYERS["farmland"].style,
                 "legend": "fill", "zh": "与永久基本农田重叠", "en": "Overlap: permanent farmland"},
    "other_parks": {"style": {"color": "#4a148c", "weight": 1.5, "fill": True, "fillColor": "#8e24aa", "fillOpacity": 0.75},
                    "legend": "fill", "zh": "与其他开发区园区重叠", "en": "Overlap: other zones' parks"},
    "eco_redline": {"style": CONTROL_LAYERS["eco_redline"].style,
                    "legend": "fill", "zh": "与生态保护红线重叠", "en": "Overlap: eco red line"},
    "river_link": {"style": {"color": "#01579b", "weight": 2.5, "dashArray": "6 4"},
                   "legend": "dash", "zh": "至最近河流", "en": "To nearest river"},
    "park_link": {"style": {"color": "#6a3d9a", "weight": 2.5, "dashArray": "2 4"},
                  "legend": "dash", "zh": "至本开发区最近园区", "en": "To nearest own park"},
}

#: Style of a registered polygon layer's overlap pieces when its entry gives none.
DEFAULT_OVERLAP_STYLE: dict[str, Any] = {"color": "#bf360c", "weight": 1.5, "fill": True, "fillColor": "#ff7043",
                                         "fillOpacity": 0.7}


def overlap_styles() -> dict[str, dict[str, Any]]:
    """The overlap pieces a map, legend or KML draws: :data:`OVERLAP_STYLES` plus the registered layers.

    Every polygon control layer of :func:`control_layers` without its own
    entry gets one (its ``style``, else :data:`DEFAULT_OVERLAP_STYLE`;
    labels ``与{zh}重叠`` / ``Overlap: {en}``), placed before the link lines
    so that the links stay on top.

    Examples
    --------
    >>> layer = ControlLayer("geological_hazard", "地质灾害易发区", "geological hazard area", ("dzzh",))
    >>> with registered(layer):
    ...     overlap_styles()["geological_hazard"]["zh"]
    '与地质灾害易发区重叠'
    >>> "geological_hazard" in overlap_styles()
    False
    """
    links = {k: v for k, v in OVERLAP_STYLES.items() if k.endswith("_link")}
    out = {k: v for k, v in OVERLAP_STYLES.items() if k not in links}
    for key, layer in _CONTROL_LAYERS.items():
        if layer.kind == "polygon" and key not in out:
            out[key] = {"style": dict(layer.style or DEFAULT_OVERLAP_STYLE), "legend": "fill",
                        "zh": f"与{layer.zh}重叠", "en": f"Overlap: {layer.en}"}
    out.update(links)
    return out


def official_file_names(lang: str = "zh") -> str:
    """The accepted official-layer file names, one per layer: ``eco_redline / 生态保护红线、farmland / …``.

    Each layer is named by its key and its first Chinese file stem (its
    Chinese name when no stem is Chinese).

    Examples
    --------
    >>> official_file_names().split("、")[0]
    'eco_redline / 生态保护红线'
    >>> official_file_names("en").split(", ")[-1]
    'rivers / 河流'
    """
    names = []
    for key, layer in _CONTROL_LAYERS.items():
        zh = next((s for s in layer.stems if not s.isascii()), layer.zh)
        names.append(f"{key} / {zh}")
    return ("、" if lang != "en" else ", ").join(names)


def control_layers() -> dict[str, ControlLayer]:
    """The registered control layers, key → :class:`ControlLayer`, in registration order (a copy)."""
    return dict(_CONTROL_LAYERS)


@contextmanager
def registered(layer: ControlLayer) -> Iterator[ControlLayer]:
    """Register ``layer`` for the duration of the ``with`` block (tests).

    Raises
    ------
    ValueError
        A layer with that key exists already.
    """
    if layer.key in _CONTROL_LAYERS or layer.key in _OTHER_NAMES:
        raise ValueError(f"control layer {layer.key!r} exists already")
    _CONTROL_LAYERS[layer.key] = layer
    try:
        yield layer
    finally:
        _CONTROL_LAYERS.pop(layer.key, None)


#: Other layers a check measures (not replaceable by official files): key → (中文, English).
_OTHER_NAMES: dict[str, tuple[str, str]] = {
    "parks": ("开发区园区", "development-zone parks"),
    "own_parks": ("本开发区园区", "own parks"),
    "other_parks": ("其他开发区园区", "other zones' parks"),
    "province": ("四川省行政区域", "Sichuan province"),
}


def layer_names() -> dict[str, tuple[str, str]]:
    """Layer key → (中文, English): the control layers, then the parks and the province."""
    out = {k: (v.zh, v.en) for k, v in _CONTROL_LAYERS.items()}
    out.update(_OTHER_NAMES)
    return out


#: Layer key → (中文, English) of the built-in layers (see :func:`layer_names` for registered ones too).
LAYER_NAMES: dict[str, tuple[str, str]] = layer_names()


def layer_name(key: str, lang: str = "zh") -> str:
    """The planner's name of a control layer (the key itself when unknown)."""
    pair = layer_names().get(key)
    return key if pair is None else pair[1 if lang == "en" else 0]


__all__ = ["CONTROL_LAYERS", "DEFAULT_OVERLAP_STYLE", "LAYER_KINDS", "LAYER_NAMES", "OVERLAP_STYLES", "PROPOSAL_STYLE",
           "ControlLayer", "control_layers", "layer_name", "layer_names", "official_file_names", "overlap_styles",
           "registered"]
