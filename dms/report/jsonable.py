"""JSON for values that stages put into dicts (numpy scalars and arrays, paths, tuples).

NaN and infinities become null: JSON has no such numbers and readers of events.json should not
have to guess.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np


def plain(value: object) -> object:
    """`value` as plain JSON types, non-finite numbers as None."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Path):
        return str(value)
    if value is None or isinstance(value, str | int | bool):
        return value
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def to_json(value: object, indent: int | None = None) -> str:
    return json.dumps(plain(value), allow_nan=False, indent=indent)
