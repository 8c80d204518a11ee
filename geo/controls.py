"""The layers a proposal is checked against, named once.

Keys are the ones the check index, the rules file, the JSON documents and the
audit records use; planners read the Chinese name (English on the toggle).

>>> layer_name("eco_redline")
'生态保护红线'
>>> layer_name("urban_boundary", "en")
'urban development boundary'
"""

from __future__ import annotations

#: Layer key → (中文, English).
LAYER_NAMES: dict[str, tuple[str, str]] = {
    "eco_redline": ("生态保护红线", "ecological protection red line"),
    "farmland": ("永久基本农田", "permanent basic farmland"),
    "urban_boundary": ("城镇开发边界", "urban development boundary"),
    "rivers": ("长江干支流", "Yangtze main stream and tributaries"),
    "parks": ("开发区园区", "development-zone parks"),
    "own_parks": ("本开发区园区", "own parks"),
    "other_parks": ("其他开发区园区", "other zones' parks"),
    "province": ("四川省行政区域", "Sichuan province"),
}


def layer_name(key: str, lang: str = "zh") -> str:
    """The planner's name of a control layer (the key itself when unknown)."""
    pair = LAYER_NAMES.get(key)
    return key if pair is None else pair[1 if lang == "en" else 0]
