"""Units and numbers as planners read them — the one place for unit text.

Chinese first: areas in 平方米 with 亩 (the unit planners think in) and, where
asked, 公顷; lengths in 米; ratios as percentages; money per area in 万元/亩.
Numbers always have thousands separators and never scientific notation; from
10²⁴ on (an absurd value in a file, such as ``1e308``) they are written as a
power of ten, ``1×10³⁰⁸``, never as 300 digits.

>>> fmt_area(396248.2)
'396,248.2 平方米（594.37 亩）'
>>> fmt_area(396248.2, "en")
'396,248.2 m² (594.37 mu)'
>>> fmt_value(0.975, "ratio")
'97.5%'
>>> fmt_value(1.5e-7, "万元/亩")
'0.00000015 万元/亩'
"""

from __future__ import annotations

import math
from typing import Any

from geo.area import M2_PER_HECTARE, M2_PER_MU

#: unit (as written in data/rules.yaml and the data) → (中文, English).
UNIT_LABELS: dict[str, tuple[str, str]] = {
    "m2": ("平方米", "m²"),
    "m²": ("平方米", "m²"),
    "平方米": ("平方米", "m²"),
    "m": ("米", "m"),
    "米": ("米", "m"),
    "km": ("千米", "km"),
    "ha": ("公顷", "ha"),
    "公顷": ("公顷", "ha"),
    "mu": ("亩", "mu"),
    "亩": ("亩", "mu"),
    "ratio": ("%", "%"),
    "%": ("%", "%"),
    "rank share": ("%（排名位次）", "% (rank position)"),
    "万元/亩": ("万元/亩", "10k yuan/mu"),
    "万元": ("万元", "10k yuan"),
    "亿元": ("亿元", "100M yuan"),
    "years": ("年", "years"),
    "年": ("年", "years"),
}
_PERCENT_UNITS = ("ratio", "%", "rank share")
DASH = "—"
#: Magnitude from which :func:`fmt_number` writes a power of ten (``1.8×10³⁰⁸``) instead of every digit.
FULL_DIGITS_BELOW = 1e24
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _lang(lang: str) -> int:
    return 1 if str(lang).lower().startswith("en") else 0


def unit_label(unit: str, lang: str = "zh") -> str:
    """The unit as shown to a planner: ``m2`` → 平方米 / m², ``万元/亩`` → 万元/亩 / 10k yuan/mu.

    Unknown units are returned as written.
    """
    u = str(unit or "").strip()
    pair = UNIT_LABELS.get(u) or UNIT_LABELS.get(u.lower())
    return pair[_lang(lang)] if pair else u


def _finite(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def auto_decimals(x: float) -> int:
    """Sensible decimals for ``x``: 0 for whole numbers, 1 from 100, 2 from 1, three significant digits below 1."""
    a = abs(x)
    if a == 0 or a == int(a):
        return 0
    if a >= 100:
        return 1
    if a >= 1:
        return 2
    return min(12, -math.floor(math.log10(a)) + 2)


def fmt_power(x: Any) -> str:
    """``x`` as a power of ten with up to three significant digits: 1e308 → ``1×10³⁰⁸``, -2.5e30 → ``-2.5×10³⁰``.

    ``None``/NaN/inf → ``—``; 0 → ``0``.
    """
    v = _finite(x)
    if v is None:
        return DASH
    if v == 0:
        return "0"
    exp = math.floor(math.log10(abs(v)))
    mant = round(v / 10.0 ** exp, 2)
    if abs(mant) >= 10:  # 9.999 rounds up to 10.0
        mant, exp = mant / 10, exp + 1
    return f"{mant:.3g}×10{str(exp).translate(_SUPERSCRIPT)}"


def fmt_number(x: Any, decimals: int | None = None) -> str:
    """``x`` with thousands separators and fixed decimals (``auto_decimals`` when None); never ``1e+06``.

    ``None``/NaN/inf → ``—``.  From :data:`FULL_DIGITS_BELOW` (10²⁴) on, :func:`fmt_power`
    (``1×10³⁰⁸``), so no value prints as hundreds of digits.
    """
    v = _finite(x)
    if v is None:
        return DASH
    if abs(v) >= FULL_DIGITS_BELOW:
        return fmt_power(v)
    d = auto_decimals(v) if decimals is None else max(0, int(decimals))
    text = f"{v:,.{d}f}"
    if decimals is None and "." in text and abs(v) < 1:  # 0.00000015, not 0.000000150
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "-0.0") else text


def fmt_pct(x: Any, decimals: int = 1) -> str:
    """A ratio as a percentage: 0.975 → ``97.5%``."""
    v = _finite(x)
    text = DASH if v is None else fmt_number(100.0 * v, decimals)
    return DASH if text == DASH else f"{text}%"


def fmt_ha(m2: Any, lang: str = "zh") -> str:
    """An area (m²) in hectares: ``39.62 公顷`` / ``39.62 ha`` (4 decimals under 1 ha)."""
    v = _finite(m2)
    if v is None:
        return DASH
    ha = v / M2_PER_HECTARE
    return f"{fmt_number(ha, 2 if abs(ha) >= 1 or ha == 0 else 4)} {unit_label('ha', lang)}"


def fmt_mu(m2: Any, lang: str = "zh") -> str:
    """An area (m²) in 亩: ``594.37 亩`` / ``594.37 mu``."""
    v = _finite(m2)
    return DASH if v is None else f"{fmt_number(v / M2_PER_MU, 2)} {unit_label('mu', lang)}"


def fmt_area(m2: Any, lang: str = "zh", *, ha: bool = False) -> str:
    """An area given in m²: ``396,248.2 平方米（594.37 亩）`` / ``396,248.2 m² (594.37 mu)``.

    ``ha=True`` adds hectares: ``…（594.37 亩，39.62 公顷）``.  ``None`` → ``—``.
    """
    v = _finite(m2)
    if v is None:
        return DASH
    if v == 0:
        return f"0 {unit_label('m2', lang)}" + (" (0 mu)" if _lang(lang) else "（0 亩）")
    main = f"{fmt_number(v, 1)} {unit_label('m2', lang)}"
    extra = [fmt_mu(v, lang)] + ([fmt_ha(v, lang)] if ha else [])
    if _lang(lang):
        return f"{main} ({', '.join(extra)})"
    return f"{main}（{'，'.join(extra)}）"


def fmt_length(m: Any, lang: str = "zh") -> str:
    """A distance in metres: ``1,000 米`` / ``1,000 m`` (one decimal under 10 m)."""
    v = _finite(m)
    if v is None:
        return DASH
    return f"{fmt_number(v, 0 if abs(v) >= 10 or v == 0 else 1)} {unit_label('m', lang)}"


def fmt_value(value: Any, unit: str, lang: str = "zh") -> str:
    """A measured value or threshold in its unit, as a planner reads it.

    ``m2`` → :func:`fmt_area`; ``m`` → :func:`fmt_length`; ``ratio``/``rank share`` → percentage;
    ``years`` → ``3 年``; anything else → number (thousands separators) and :func:`unit_label`.
    ``None`` → ``—``.
    """
    v = _finite(value)
    if v is None:
        return DASH
    u = str(unit or "").strip()
    if u in ("m2", "m²", "平方米"):
        return fmt_area(v, lang)
    if u in ("m", "米"):
        return fmt_length(v, lang)
    if u in _PERCENT_UNITS:
        return fmt_pct(v)
    if u in ("ha", "公顷"):
        return f"{fmt_number(v, 2)} {unit_label(u, lang)}"
    if u in ("mu", "亩"):
        return f"{fmt_number(v, 2)} {unit_label(u, lang)}"
    label = unit_label(u, lang)
    return f"{fmt_number(v)} {label}".strip()


__all__ = ["FULL_DIGITS_BELOW", "UNIT_LABELS", "auto_decimals", "fmt_area", "fmt_ha", "fmt_length", "fmt_mu",
           "fmt_number", "fmt_pct", "fmt_power", "fmt_value", "unit_label"]
