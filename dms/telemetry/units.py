"""Unit names as loggers write them, and the factors to the track's canonical units.

Canonical units: speed m/s, acceleration m/s², angles degrees. Each table maps a normalised unit
spelling to (canonical name, factor); a value in the logged unit times the factor is canonical.
Speeds and accelerations the tables do not list (`mi/h`, `m/sec`, `ft/s`, `km/hr`, ...) are read
by Pint's unit parser and accepted when their dimension fits the signal.
"""

from __future__ import annotations

import functools
import math
import re

import pint

STANDARD_GRAVITY_MS2 = 9.80665

SPEED_UNITS: dict[str, tuple[str, float]] = {
    "m/s": ("m/s", 1.0),
    "mps": ("m/s", 1.0),
    "meters/second": ("m/s", 1.0),
    "metres/second": ("m/s", 1.0),
    "km/h": ("km/h", 1 / 3.6),
    "kmh": ("km/h", 1 / 3.6),
    "kph": ("km/h", 1 / 3.6),
    "kmph": ("km/h", 1 / 3.6),
    "mph": ("mph", 0.44704),
    "knots": ("knots", 1852 / 3600),
    "kn": ("knots", 1852 / 3600),
    "kt": ("knots", 1852 / 3600),
}
ACCEL_UNITS: dict[str, tuple[str, float]] = {
    "m/s²": ("m/s²", 1.0),
    "m/s^2": ("m/s²", 1.0),
    "m/s2": ("m/s²", 1.0),
    "mps2": ("m/s²", 1.0),
    "ms2": ("m/s²", 1.0),
    "g": ("g", STANDARD_GRAVITY_MS2),
}
ANGLE_UNITS: dict[str, tuple[str, float]] = {
    "deg": ("deg", 1.0),
    "degrees": ("deg", 1.0),
    "degree": ("deg", 1.0),
    "°": ("deg", 1.0),
    "rad": ("rad", 180 / math.pi),
    "radians": ("rad", 180 / math.pi),
}

# Units used when a column names none: OBD-II reports vehicle speed in km/h (SAE J1979 PID 0x0D).
DEFAULT_UNITS: dict[str, str] = {
    "speed": "km/h",
    "accel_long": "m/s²",
    "accel_lat": "m/s²",
    "steering": "deg",
    "latitude": "deg",
    "longitude": "deg",
    "heading": "deg",
}
UNIT_TABLES: dict[str, dict[str, tuple[str, float]]] = {
    "speed": SPEED_UNITS,
    "accel_long": ACCEL_UNITS,
    "accel_lat": ACCEL_UNITS,
    "steering": ANGLE_UNITS,
    "latitude": ANGLE_UNITS,
    "longitude": ANGLE_UNITS,
    "heading": ANGLE_UNITS,
}


def normalise_unit(text: str) -> str:
    """Lower-case and without spaces, the form the unit tables are keyed by."""
    return re.sub(r"\s+", "", text.strip().lower())


# Pint dimensions of the signals whose units may come from Pint (angles are dimensionless there).
_PINT_CANONICAL = {"speed": "m/s", "accel_long": "m/s**2", "accel_lat": "m/s**2"}


def unit_factor(signal: str, unit: str) -> tuple[str, float] | None:
    """(canonical unit name, factor to canonical) for a unit spelling, or None if unknown."""
    known = UNIT_TABLES[signal].get(normalise_unit(unit))
    if known is not None or signal not in _PINT_CANONICAL:
        return known
    quantity = _pint_quantity(unit)
    canonical = _pint_quantity(_PINT_CANONICAL[signal])
    if quantity is None or quantity.dimensionality != canonical.dimensionality:
        return None
    return unit.strip(), float(quantity.to(canonical.units).magnitude)


def unit_dimension(text: str) -> str | None:
    """Pint's dimension of a unit text ('[length] / [time]'), '' if dimensionless, None if no unit."""
    quantity = _pint_quantity(text)
    return None if quantity is None else str(quantity.dimensionality).replace("dimensionless", "")


def bracketed_parts(name: str) -> list[str]:
    """The texts in round or square brackets of a column name, stripped, last first."""
    return [part.strip() for part in reversed(re.findall(r"[(\[]([^()\[\]]*)[)\]]", name))]


def unit_in_name(signal: str, name: str) -> str | None:
    """The unit a column name states, in a bracket or as a name part (`speed_mps`, `(km/h)`)."""
    table = UNIT_TABLES[signal]
    for bracketed in bracketed_parts(name):
        if bracketed and unit_factor(signal, bracketed) is not None:
            return bracketed
    for token in reversed(re.split(r"[^a-z0-9°²^/]+", name.lower())):
        if token in table:
            return token
    return None


@functools.cache
def _registry() -> pint.UnitRegistry:
    return pint.UnitRegistry()


def _pint_quantity(text: str) -> pint.Quantity | None:
    """The text parsed as a Pint unit, or None when Pint cannot read it as one."""
    if not text.strip() or not re.search(r"[a-zA-Z]", text):
        return None
    try:
        quantity = _registry().Quantity(1, text.strip())
    except Exception:  # noqa: BLE001 - Pint's parser raises many types for text that is no unit
        return None
    return quantity if isinstance(quantity, pint.Quantity) else None
