"""Durations honest at any analysis rate: an event spans the time its samples stand for, so the same
behaviour gives the same events at 10 Hz and at the native frame rate (within one sample interval)."""

from pathlib import Path

import pytest

from dms.core.config import Settings
from dms.core.profile import CameraProfile
from dms.core.types import BEHAVIOURS, Scores
from dms.events.tracker import EventTracker
from dms.pipeline.build import build_pipeline
from dms.sources.readers import open_source

IR_NIGHT = Path(__file__).resolve().parents[2] / "shared" / "data" / "video" / "ir_night_drowsy.mp4"


def closure_events(rate: float, start: float, end: float) -> list:
    """A closure from `start` to `end` s seen by frames at `rate` Hz (a frame is closed when its
    instant lies inside the closure)."""
    tracker = EventTracker(Settings())
    updates = []
    for i in range(int(3.0 * rate)):
        t = round(i / rate, 4)
        values = dict.fromkeys(BEHAVIOURS, 0.0)
        values["eyes_closed"] = 1.0 if start <= t < end else 0.0
        updates += tracker.step(Scores(i, t, values, {}, None, None))
    updates += tracker.finish(t)
    return [u.event for u in updates if u.kind == "close"]


@pytest.mark.parametrize("rate", [10.0, 25.0, 30.0])
def test_a_just_over_half_second_closure_is_a_microsleep_at_any_rate(rate):
    # 0.56 s from 1.03 s: at 10 Hz its closed frames are 1.1 ... 1.5 s, 0.4 s first to last, but
    # the five samples stand for 0.5 s, so it is kept (the Euro NCAP microsleep minimum is 0.5 s).
    events = closure_events(rate, 1.03, 1.59)
    assert len(events) == 1
    duration = events[0].end_s - events[0].start_s
    assert abs(duration - 0.56) <= 1.0 / rate + 1e-6
    assert events[0].evidence["rule"] == "microsleep"


def replay_events(rate: float) -> list:
    settings = Settings(analysis_fps=rate)
    pipeline, _ = build_pipeline(settings, CameraProfile.load())
    with open_source(IR_NIGHT, analysis_fps=rate) as source:
        summary = pipeline.run(source)
    pipeline.landmarks.close()
    return sorted(summary.events, key=lambda e: (e.behaviour, e.start_s))


@pytest.mark.slow
def test_the_same_clip_gives_the_same_events_at_10_hz_and_at_the_native_rate():
    ten, native = replay_events(10.0), replay_events(0.0)
    assert len([e for e in ten if e.behaviour == "eyes_closed"]) == 4  # the four labelled closures
    assert [e.behaviour for e in ten] == [e.behaviour for e in native]
    for a, b in zip(ten, native, strict=True):
        assert abs(a.start_s - b.start_s) <= 0.1 + 1e-6, (a, b)
        assert abs(a.end_s - b.end_s) <= 0.1 + 1e-6, (a, b)
