"""Reading one telemetry CSV into a DataFrame, refusing files that are not CSV text.

Loggers write missing values as `-`, empty cells or NaN, pad names with spaces and some end every
row with a comma (carOBD); pandas would then take the first column as the index.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from dms.errors import InputError

MISSING_VALUES = ["-", "--", "", "NaN", "nan", "NA", "N/A", "null", "None"]
_SNIFF_BYTES = 8192


def read_log_csv(path: Path) -> pd.DataFrame:
    """The file's rows with stripped column names; InputError when it is not a usable CSV."""
    encoding = _text_encoding(path)
    try:
        frame = pd.read_csv(
            path,
            na_values=MISSING_VALUES,
            keep_default_na=True,
            skipinitialspace=True,
            index_col=False,
            encoding=encoding,
            low_memory=False,
        )
    except pd.errors.EmptyDataError:
        raise InputError(path, "empty file, no CSV header") from None
    except (pd.errors.ParserError, UnicodeDecodeError, csv.Error, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(path, f"not a readable CSV ({reason})") from None
    frame.columns = [str(name).strip() for name in frame.columns]
    if frame.empty:
        raise InputError(path, f"no data rows under the header ({describe_columns(frame.columns)})")
    return frame


def describe_columns(columns: object, limit: int = 12) -> str:
    """'columns seen: a, b, c ... (N in all)' for one-line error messages."""
    names = [str(name) for name in columns]
    shown = ", ".join(repr(name) for name in names[:limit])
    more = f" ... ({len(names)} in all)" if len(names) > limit else ""
    return f"columns seen: {shown}{more}"


def _text_encoding(path: Path) -> str:
    """utf-8 if the start decodes as such, else latin-1; binary data is refused."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except FileNotFoundError:
        raise InputError(path, "telemetry file not found") from None
    except OSError as exc:
        raise InputError(path, f"cannot read telemetry file ({exc.strerror})") from None
    if b"\x00" in head:
        raise InputError(path, "binary data, not a CSV text file")
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a multi-byte character cut at the sniff boundary
            text = head.decode("latin-1")
            unprintable = sum(1 for ch in text if not ch.isprintable() and ch not in "\r\n\t")
            if unprintable > 0.05 * len(text):
                raise InputError(path, "binary data, not a CSV text file") from None
            return "latin-1"
        return "utf-8"
