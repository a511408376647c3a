"""Reading one telemetry CSV into a DataFrame, refusing files that are not CSV text.

Loggers write missing values as `-`, empty cells or NaN, pad names with spaces and some end every
row with a comma (carOBD); pandas would then take the first column as the index. The separator
(`,` `;` tab `|`) is found by the standard library's `csv.Sniffer`; a `;`, tab or `|` file whose
numbers are written `60,5` (European spreadsheets) is read with the decimal comma. pandas' own
warnings (a trailing comma, mixed types) are not shown: what matters reaches `describe()`.
"""

from __future__ import annotations

import csv
import re
import warnings
from pathlib import Path

import pandas as pd

from dms.errors import InputError

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
