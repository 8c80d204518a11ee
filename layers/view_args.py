"""A map view from the command line's words: ``--bbox W,S,E,N`` and ``--layers a,b,c``.

Used by ``parkmap snapshot`` (:mod:`layers.cli`); each parser raises one
bilingual :class:`geo.errors.ParkmapError` (``code="usage"``) naming what is
wrong and what would be right.  The layer ids and their drawing order are
:data:`layers.compose.MAP_LAYERS`.
"""

from __future__ import annotations

from collections.abc import Iterable

from layers.compose import MAP_LAYERS, Bounds


def parse_bbox(text: str) -> Bounds:
    """Parse ``"W,S,E,N"`` (lon/lat degrees).

    Raises
    ------
    ParkmapError
        Not four numbers, or west ≥ east / south ≥ north, or outside lon/lat range.
    """
    from geo.errors import ParkmapError

    try:
        vals = tuple(float(v) for v in str(text).replace("，", ",").split(","))
    except ValueError:
        vals = ()
    ok = len(vals) == 4 and vals[0] < vals[2] and vals[1] < vals[3] and \
        all(-180 <= v <= 180 for v in vals[::2]) and all(-90 <= v <= 90 for v in vals[1::2])
    if not ok:
        raise ParkmapError(f"范围应为 西,南,东,北 四个经纬度数字（西<东，南<北），而不是 “{text}”",
                           f"The bbox must be W,S,E,N in degrees (W<E, S<N), not '{text}'",
                           "例如 --bbox 103.5,30.3,104.5,31.0 / e.g. --bbox 103.5,30.3,104.5,31.0", code="usage")
    return vals  # type: ignore[return-value]


def parse_layers(text: str | Iterable[str]) -> tuple[str, ...]:
    """Parse ``"a,b,c"`` into spec layer ids (in drawing order).

    Raises
    ------
    ParkmapError
        Unknown layer ids.
    """
    from geo.errors import ParkmapError

    items = [s.strip() for s in (text.replace("，", ",").split(",") if isinstance(text, str) else text) if s.strip()]
    unknown = [s for s in items if s not in MAP_LAYERS]
    if unknown:
        raise ParkmapError(f"未知图层：{', '.join(unknown)}", f"Unknown layers: {', '.join(unknown)}",
                           f"可选 / choose from: {','.join(MAP_LAYERS)}", code="usage")
    return tuple(s for s in MAP_LAYERS if s in items)
