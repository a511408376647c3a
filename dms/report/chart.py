"""The report's timeline chart: one band per behaviour with its events coloured by severity,
the speed trace under it when there is telemetry, and harsh braking/acceleration markers."""

from __future__ import annotations

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from dms.core.types import EVENT_KINDS, SEVERITIES, Event
from dms.core.words import behaviour_words
from dms.report.stats import column, has_speed, markers
from dms.telemetry.harsh import MARKER_WORDS

SEVERITY_COLOURS = {"info": "#4a90d9", "warning": "#f0a020", "critical": "#d0312d"}
SCORE_COLOUR = "#9ccf9a"
MAX_POINTS = 2000  # per trace: more than the chart has pixels across


def _block_max(t: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Thin a trace to at most MAX_POINTS by keeping each block's first time and largest value,
    so short score peaks stay visible on long drives."""
    step = -(-len(t) // MAX_POINTS)
    if step <= 1:
        return t, values
    starts = np.arange(0, len(t), step)
    return t[starts], np.fmax.reduceat(values, starts)


def _marker_style(name: str) -> tuple[str, str]:
    """(matplotlib marker, colour) for a telemetry marker name."""
    if "brak" in name:
        return "v", "#d0312d"
    if "accel" in name:
        return "^", "#2e8b57"
    return "o", "#555555"


def timeline_chart_png(events: list[Event], timeline: list[dict], duration_s: float) -> bytes:
    """Render the chart as PNG bytes (Agg canvas, no GUI backend involved)."""
    with_speed = has_speed(timeline)
    figure = Figure(figsize=(11, 4.6 if with_speed else 3.6), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    if with_speed:
        bands_ax, speed_ax = figure.subplots(2, 1, sharex=True, height_ratios=(3, 1.2))
    else:
        bands_ax, speed_ax = figure.subplots(1, 1), None
    t = column(timeline, "t")
    rows = {b: len(EVENT_KINDS) - 1 - i for i, b in enumerate(EVENT_KINDS)}
    for behaviour, y in rows.items():
        if y % 2:
            bands_ax.axhspan(y - 0.5, y + 0.5, color="#f4f4f4", lw=0)
        score = column(timeline, f"score_{behaviour}")
        if len(t) and not np.isnan(score).all():
            bt, bscore = _block_max(t, np.nan_to_num(score))
            bands_ax.fill_between(bt, y - 0.4, y - 0.4 + 0.8 * bscore, color=SCORE_COLOUR, lw=0)
    min_width = duration_s / 500 if duration_s > 0 else 0.05  # keep very short events visible
    spans: dict[tuple[int, str], list[tuple[float, float]]] = {}
    for event in events:
        if event.behaviour in rows:
            width = max(event.end_s - event.start_s, min_width)
            spans.setdefault((rows[event.behaviour], event.severity), []).append((event.start_s, width))
    for (y, severity), bars in spans.items():
        bands_ax.broken_barh(bars, (y - 0.35, 0.7), color=SEVERITY_COLOURS.get(severity, "#777777"))
    bands_ax.set_yticks(list(rows.values()), [behaviour_words(b) for b in rows], fontsize=8)
    bands_ax.set_ylim(-0.5, len(EVENT_KINDS) - 0.5)
    bands_ax.set_xlim(0, max(duration_s, float(np.nanmax(t)) if len(t) else 0.0, 1.0))
    bands_ax.grid(axis="x", alpha=0.3)
    legend = [Patch(color=SEVERITY_COLOURS[s], label=s) for s in SEVERITIES]
    legend.append(Patch(color=SCORE_COLOUR, label="score"))
    bands_ax.legend(handles=legend, loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize=7, ncols=4,
                    frameon=False)
    marker_ax = speed_ax if speed_ax is not None else bands_ax
    if speed_ax is not None:
        speed = column(timeline, "speed_kmh")
        speed_ax.plot(*_block_max(t, speed), color="#333333", lw=1)
        top = max(20.0, float(np.nanmax(speed)) * 1.1)
        speed_ax.set_ylim(min(0.0, float(np.nanmin(speed))) - 0.05 * top, top)
        speed_ax.set_ylabel("km/h", fontsize=8)
        speed_ax.grid(alpha=0.3)
    (speed_ax or bands_ax).set_xlabel("media time (s)", fontsize=8)
    _draw_markers(marker_ax, markers(timeline), timeline, t)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _draw_markers(ax, found: list[tuple[float, str]], timeline: list[dict], t: np.ndarray) -> None:
    if not found:
        return
    speed = column(timeline, "speed_kmh")
    labelled: set[str] = set()
    for when, name in found:
        symbol, colour = _marker_style(name)
        i = int(np.searchsorted(t, when).clip(0, len(t) - 1))
        y = speed[i] if not np.isnan(speed[i]) else ax.get_ylim()[1]
        ax.plot([when], [y], symbol, color=colour, ms=7,
                label=None if name in labelled else MARKER_WORDS.get(name, name))
        labelled.add(name)
    earlier = ax.get_legend()
    if earlier is not None:
        ax.add_artist(earlier)  # keep the severity legend beside the marker legend
    ax.legend(loc="upper left", fontsize=7)
