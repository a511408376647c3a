"""The fleet report's charts (matplotlib Agg, PNG bytes): events per hour by driver and behaviour
as a heat map, the weekly trend by severity, and distraction exposure by speed band.

Text is drawn in matplotlib's DejaVu Sans with a CJK font as fallback where the system has one
(Debian's fonts-noto-cjk, see README; registered by its file, as matplotlib's font cache may be
older than the font); a character that no chart font has is drawn as "?", never as a box.
"""

from __future__ import annotations

import functools
import io
from contextlib import contextmanager
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font

from dms.core.types import SEVERITIES
from dms.core.words import behaviour_words
from dms.report.chart import SEVERITY_COLOURS
from dms.report.fleet import BAND_LABELS, FleetFigures, duration

BAND_COLOURS = ("#9ccf9a", "#f0c050", "#f08030", "#c03020", "#bbbbbb")
BASE_FONT = "DejaVu Sans"  # matplotlib's own font: Latin, Greek, Cyrillic
# CJK fonts looked for, best first: Noto Sans CJK (Debian fonts-noto-cjk), Droid Sans Fallback.
CJK_FONT_FILES = ("NotoSansCJK-Regular.ttc", "NotoSansCJK-Regular.otf", "DroidSansFallbackFull.ttf",
                  "DroidSansFallback.ttf")


@functools.cache
def chart_fonts() -> tuple[tuple[str, ...], frozenset[int]]:
    """The font families chart text is drawn in (the base font, then a CJK one when found) and the
    code points they cover between them."""
    families = [BASE_FONT]
    covered = set(FT2Font(font_manager.findfont(BASE_FONT, fallback_to_default=False)).get_charmap())
    found = {Path(path).name: path for path in font_manager.findSystemFonts()}
    for name in CJK_FONT_FILES:
        if name in found:
            font_manager.fontManager.addfont(found[name])
            font = FT2Font(found[name])
            families.append(font.family_name)
            covered |= set(font.get_charmap())
            break
    return tuple(families), frozenset(covered)


def drawable(text: str) -> str:
    """`text` with each character that no chart font has replaced by "?" (spaces kept)."""
    covered = chart_fonts()[1]
    return "".join(c if c.isspace() or ord(c) in covered else "?" for c in text)


@contextmanager
def _chart_text():
    with matplotlib.rc_context({"font.family": list(chart_fonts()[0])}):
        yield


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _figure(width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _rate(rates, behaviour: str) -> float:
    return rates.per_hour(rates.by_behaviour[behaviour]) or 0.0


def heatmap_png(figures: FleetFigures) -> bytes | None:
    """Events per hour, one row per driver and one column per behaviour seen. A driver with less
    drive time than the minimum is a grey row with the event counts, marked too little data (a
    rate from a few minutes means nothing). None without events."""
    behaviours = list(figures.behaviour_severity)
    drivers = [d for d, r in figures.by_driver.items() if r.hours > 0]
    if not behaviours or not drivers:
        return None
    with _chart_text():
        few = [not figures.by_driver[d].enough_hours(figures.minimums) for d in drivers]
        rates = np.array([[np.nan if few[i] else _rate(figures.by_driver[d], b) for b in behaviours]
                          for i, d in enumerate(drivers)])
        figure = _figure(min(12, 3.5 + 0.9 * len(behaviours)), min(10, 1.6 + 0.45 * len(drivers)))
        ax = figure.subplots()
        cmap = matplotlib.colormaps["Reds"].copy()
        cmap.set_bad("#e8e8e8")
        top = float(np.nanmax(rates)) if not np.isnan(rates).all() else 0.0
        image = ax.imshow(np.ma.masked_invalid(rates), cmap=cmap, aspect="auto", vmin=0, vmax=top or 1.0)
        ax.set_xticks(range(len(behaviours)), [behaviour_words(b) for b in behaviours], rotation=30,
                      ha="right", fontsize=8)
        labels = [f"{drawable(d)}\n{duration(figures.by_driver[d].hours)}" for d in drivers]
        ax.set_yticks(range(len(drivers)), labels, fontsize=8)
        for i, d in enumerate(drivers):
            for j, b in enumerate(behaviours):
                if few[i]:
                    count = figures.by_driver[d].by_behaviour[b]
                    if count:
                        ax.text(j, i, f"{count} event{'s' if count > 1 else ''}", ha="center", va="center",
                                fontsize=7, color="#555555")
                elif rates[i, j]:
                    ax.text(j, i, f"{rates[i, j]:.1f}", ha="center", va="center", fontsize=7,
                            color="white" if rates[i, j] > 0.6 * top else "black")
        if top:
            figure.colorbar(image, ax=ax, label="events per hour", shrink=0.8)
        title = "Events per hour of drive, by driver and behaviour"
        if any(few):
            title += (f"\ngrey: less than {duration(figures.minimums.hours)} of drive, too little data for a "
                      "rate (event counts shown)")
        ax.set_title(title, fontsize=9)
        return _png(figure)


def _severity_rate(rates, severity: str) -> float:
    return rates.per_hour(rates.by_severity[severity]) or 0.0


def weekly_png(figures: FleetFigures) -> bytes | None:
    """Events per hour in each ISO week, stacked by severity, with the drive time above each bar
    (a week with less than the minimum has no bar, only its drive time and "too little data");
    None without dated drives."""
    weeks = list(figures.by_week)
    if not weeks:
        return None
    with _chart_text():
        figure = _figure(min(12, 3 + 0.9 * len(weeks)), 3.2)
        ax = figure.subplots()
        bottom = np.zeros(len(weeks))
        few = [not figures.by_week[w].enough_hours(figures.minimums) for w in weeks]
        for severity in SEVERITIES:
            values = np.array([0.0 if few[i] else _severity_rate(figures.by_week[w], severity)
                               for i, w in enumerate(weeks)])
            ax.bar(weeks, values, bottom=bottom, color=SEVERITY_COLOURS[severity], label=severity)
            bottom += values
        for x, week in enumerate(weeks):
            text = duration(figures.by_week[week].hours) + ("\ntoo little data" if few[x] else "")
            ax.annotate(text, (x, bottom[x]), ha="center", va="bottom", fontsize=7, color="#555555")
        ax.set_ylabel("events per hour", fontsize=8)
        ax.set_ylim(0, max(1.0, float(bottom.max()) * 1.3))
        ax.tick_params(axis="x", labelsize=8, rotation=30)
        ax.legend(fontsize=7, frameon=False, ncols=3, loc="upper left")
        ax.set_title("Weekly trend (drive time analysed above each bar)", fontsize=9)
        ax.grid(axis="y", alpha=0.3)
        return _png(figure)


def exposure_png(figures: FleetFigures) -> bytes | None:
    """Minutes of each behaviour's events per speed band; None when no drive had speed."""
    rows = {b: bands for b, bands in figures.exposure_s.items() if sum(bands.values()) > 0}
    if not rows:
        return None
    with _chart_text():
        names = sorted(rows, key=lambda b: sum(rows[b].values()))
        figure = _figure(9, 1.2 + 0.35 * len(names))
        ax = figure.subplots()
        left = np.zeros(len(names))
        for band, colour in zip(BAND_LABELS, BAND_COLOURS, strict=True):
            minutes = np.array([rows[b].get(band, 0.0) / 60 for b in names])
            label = f"{band} km/h" if band != "unknown" else "speed unknown"
            ax.barh([behaviour_words(b) for b in names], minutes, left=left, color=colour, label=label)
            left += minutes
        ax.set_xlabel("minutes of events", fontsize=8)
        ax.tick_params(axis="y", labelsize=8)
        ax.legend(fontsize=7, frameon=False, ncols=5, loc="lower right", bbox_to_anchor=(1.0, 1.0))
        ax.grid(axis="x", alpha=0.3)
        return _png(figure)
