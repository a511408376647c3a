"""The fleet report's charts (matplotlib Agg, PNG bytes): events per hour by driver and behaviour
as a heat map, the weekly trend by severity, and distraction exposure by speed band."""

from __future__ import annotations

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from dms.core.types import SEVERITIES
from dms.report.chart import SEVERITY_COLOURS
from dms.report.fleet import BAND_LABELS, FleetFigures

BAND_COLOURS = ("#9ccf9a", "#f0c050", "#f08030", "#c03020", "#bbbbbb")


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _figure(width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def heatmap_png(figures: FleetFigures) -> bytes | None:
    """Events per hour, one row per driver and one column per behaviour seen; None without events."""
    behaviours = list(figures.behaviour_severity)
    drivers = [d for d, r in figures.by_driver.items() if r.hours > 0]
    if not behaviours or not drivers:
        return None
    rates = np.array([[figures.by_driver[d].per_hour(figures.by_driver[d].by_behaviour[b]) or 0.0
                       for b in behaviours] for d in drivers])
    figure = _figure(min(12, 2.5 + 0.9 * len(behaviours)), min(10, 1.4 + 0.4 * len(drivers)))
    ax = figure.subplots()
    image = ax.imshow(rates, cmap="Reds", aspect="auto", vmin=0)
    ax.set_xticks(range(len(behaviours)), behaviours, rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(len(drivers)), drivers, fontsize=8)
    top = rates.max() or 1.0
    for (i, j), value in np.ndenumerate(rates):
        if value:
            ax.text(j, i, f"{value:.1f}", ha="center", va="center", fontsize=7,
                    color="white" if value > 0.6 * top else "black")
    figure.colorbar(image, ax=ax, label="events per hour", shrink=0.8)
    ax.set_title("Events per hour of drive, by driver and behaviour", fontsize=9)
    return _png(figure)


def weekly_png(figures: FleetFigures) -> bytes | None:
    """Events per hour in each ISO week, stacked by severity; None without dated drives."""
    weeks = list(figures.by_week)
    if not weeks:
        return None
    figure = _figure(min(12, 3 + 0.7 * len(weeks)), 3.2)
    ax = figure.subplots()
    bottom = np.zeros(len(weeks))
    for severity in SEVERITIES:
        values = np.array([figures.by_week[w].per_hour(figures.by_week[w].by_severity[severity]) or 0.0
                           for w in weeks])
        ax.bar(weeks, values, bottom=bottom, color=SEVERITY_COLOURS[severity], label=severity)
        bottom += values
    for x, week in enumerate(weeks):
        hours = figures.by_week[week].hours
        text = f"{60 * hours:.0f} min" if hours < 1 else f"{hours:.1f} h"
        ax.annotate(text, (x, bottom[x]), ha="center", va="bottom", fontsize=7, color="#555555")
    ax.set_ylabel("events per hour", fontsize=8)
    ax.set_ylim(0, max(1.0, float(bottom.max()) * 1.15))
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
    names = sorted(rows, key=lambda b: sum(rows[b].values()))
    figure = _figure(9, 1.2 + 0.35 * len(names))
    ax = figure.subplots()
    left = np.zeros(len(names))
    for band, colour in zip(BAND_LABELS, BAND_COLOURS, strict=True):
        minutes = np.array([rows[b].get(band, 0.0) / 60 for b in names])
        label = f"{band} km/h" if band != "unknown" else "speed unknown"
        ax.barh(names, minutes, left=left, color=colour, label=label)
        left += minutes
    ax.set_xlabel("minutes of events", fontsize=8)
    ax.tick_params(axis="y", labelsize=8)
    ax.legend(fontsize=7, frameon=False, ncols=5, loc="lower right", bbox_to_anchor=(1.0, 1.0))
    ax.grid(axis="x", alpha=0.3)
    return _png(figure)
