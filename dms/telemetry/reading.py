"""Reading one telemetry CSV into a DataFrame, refusing files that are not CSV text.

Loggers write missing values as `-`, empty cells or NaN, pad names with spaces and some end every
row with a comma (carOBD); pandas would then take the first column as the index. The separator
(`,` `;` tab `|`) is found by the standard library's `csv.Sniffer`; a `;`, tab or `|` file whose
numbers are written `60,5` (European spreadsheets) is read with the decimal comma. The encoding is
the one a byte-order mark names, or UTF-16/32 told from its zero bytes (Excel's "Unicode Text"),
else UTF-8 or latin-1. pandas' own warnings (a trailing comma, mixed types) are not shown: what
matters reaches `describe()`.
"""

from __future__ import annotations

import csv
import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from dms.core.errors import InputError

MISSING_VALUES = ["-", "--", "", "NaN", "nan", "NA", "N/A", "null", "None"]
_SNIFF_BYTES = 8192
SEPARATORS = ",;\t|"
_DECIMAL_COMMA = re.compile(r"^\s*[+-]?\d+,\d+\s*$")
_DECIMAL_POINT = re.compile(r"^\s*[+-]?\d*\.\d+\s*$")


def read_log_csv(path: Path) -> pd.DataFrame:
    """The file's rows with stripped column names; InputError when it is not a usable CSV."""
    encoding = _text_encoding(path)
    separator, decimal = sniff_dialect(path, encoding)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", pd.errors.ParserWarning)
            warnings.simplefilter("ignore", pd.errors.DtypeWarning)
            frame = pd.read_csv(
                path,
                sep=separator,
                decimal=decimal,
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


def data_lines(path: Path) -> np.ndarray:
    """The file line (1-based) of each data row read_log_csv gives: the lines after the header that
    hold more than white space (pandas skips blank lines)."""
    with open(path, encoding=_text_encoding(path), errors="replace", newline="") as handle:
        numbers = [number for number, line in enumerate(handle, start=1) if line.strip()]
    return np.asarray(numbers[1:], dtype=int)


def sniff_dialect(path: Path, encoding: str) -> tuple[str, str]:
    """(separator, decimal mark) of a CSV text file from its first lines; (',', '.') when unsure."""
    with open(path, encoding=encoding, errors="replace", newline="") as handle:
        head = handle.read(_SNIFF_BYTES)
    lines = [line for line in head.splitlines()[:50] if line.strip()]
    if len(head) == _SNIFF_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut at the sniff boundary
    if not lines:
        return ",", "."
    try:
        separator = csv.Sniffer().sniff("\n".join(lines), delimiters=SEPARATORS).delimiter
    except csv.Error:
        separator = next((s for s in SEPARATORS if s in lines[0]), ",")
    if separator == ",":
        return separator, "."
    cells = [cell for line in lines[1:] for cell in line.split(separator)]
    commas = sum(bool(_DECIMAL_COMMA.match(cell)) for cell in cells)
    points = sum(bool(_DECIMAL_POINT.match(cell)) for cell in cells)
    return separator, "," if commas > points else "."


def describe_columns(columns: object, limit: int = 12) -> str:
    """'columns seen: a, b, c ... (N in all)' for one-line error messages."""
    names = [str(name) for name in columns]
    shown = ", ".join(repr(name) for name in names[:limit])
    more = f" ... ({len(names)} in all)" if len(names) > limit else ""
    return f"columns seen: {shown}{more}"


def _text_encoding(path: Path) -> str:
    """The file's text encoding; binary data is refused.

    A byte-order mark names UTF-8, UTF-16 or UTF-32 (LE/BE), and without one the zero bytes of a
    header's ASCII letters tell UTF-16/32 and their byte order (Excel's "Unicode Text" is UTF-16LE):
    the standard library's `json.detect_encoding` (RFC 8259 section 8.1, RFC 4627 section 3).
    Otherwise utf-8 if the start decodes as such, else latin-1 (a legacy code page).
    """
    try:
        with open(path, "rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except FileNotFoundError:
        raise InputError(path, "telemetry file not found") from None
    except OSError as exc:
        raise InputError(path, f"cannot read telemetry file ({exc.strerror})") from None
    encoding = json.detect_encoding(head) if head else "utf-8"
    if encoding.startswith(("utf-16", "utf-32")):
        return _wide_text(path, head, encoding)
    if b"\x00" in head:
        raise InputError(path, "binary data, not a CSV text file")
    try:
        head.decode(encoding)
        return encoding
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a multi-byte character cut at the sniff boundary
            text = head.decode("latin-1")
            if _unprintable(text) > 0.05 * len(text):
                raise InputError(path, "binary data, not a CSV text file") from None
            return "latin-1"
        return encoding


def _wide_text(path: Path, head: bytes, encoding: str) -> str:
    """`encoding` (UTF-16/32) if the start of the file is text in it; binary data is refused."""
    cut = len(head) - len(head) % 4  # whole code units; a surrogate pair cut at the end is dropped
    text = head[:cut].decode(encoding, errors="replace").rstrip("\ufffd")
    if not text or "\ufffd" in text or "\x00" in text or _unprintable(text) > 0.05 * len(text):
        raise InputError(path, "binary data, not a CSV text file")
    return encoding


def _unprintable(text: str) -> int:
    return sum(1 for ch in text if not ch.isprintable() and ch not in "\r\n\t\ufeff")
