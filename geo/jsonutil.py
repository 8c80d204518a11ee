"""Plain-JSON values from pandas/numpy attribute values (shared by the engine and the CLI)."""

from __future__ import annotations

import datetime as _dt
import math
from typing import Any

import numpy as np


def json_value(value: Any) -> Any:
    """Convert a pandas/numpy attribute value to a plain JSON value.

    NaN/inf → None, numpy scalars → int/float/bool, dates → ISO text,
    bytes → hex, anything else unknown → ``str``.
    """
    if value is None:
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(value) or math.isinf(value) else float(value)
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if hasattr(value, "isoformat"):  # pandas Timestamp
        try:
            return value.isoformat()
        except ValueError:
            return None
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, (str, int)):
        return value
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


__all__ = ["json_value"]
