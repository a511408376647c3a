"""A small synthetic drive built from the real stage records (FrameResult, Event, EventUpdate) for the
store and report tests: 10 Hz, a phone event that opens, escalates and closes, an eye closure still
open at the end, a speed ramp with one harsh braking marker. No tests here."""

from __future__ import annotations

import dataclasses

import numpy as np

from dms.core.types import (
    BEHAVIOURS,
    ClassProbs,
    Cue,
    Cues,
    Event,
    EventUpdate,
    Frame,
    FrameResult,
    RunSummary,
    Scores,
    VehicleState,
)

FPS = 10.0
IMAGE = np.zeros((48, 64, 3), dtype=np.uint8)
CLASSES = ("safe", "phone_right", "drinking")


def speed_at(t: float) -> float:
    """A speed ramp: 0 km/h at t=0, +10 km/h per second."""
    return 10.0 * t


def frame_result(
    index: int,
    updates: tuple[EventUpdate, ...] = (),
    telemetry: bool = True,
    classifier: bool = True,
    markers: tuple[str, ...] = (),
) -> FrameResult:
    t = index / FPS
    phone = 0.9 if 2.0 <= t < 5.0 else 0.1
    cues = Cues(
        hands_on_wheel=Cue(1.0 if phone > 0.5 else 2.0),
        hand_at_ear=Cue(1.0 if phone > 0.5 else 0.0),
        head_yaw=Cue(5.0 + index % 3),
        eyes_closed=Cue(1.0 if t >= 7.0 else 0.0),
        face_visible=Cue(1.0),
    )
    values = {b: 0.05 for b in BEHAVIOURS} | {"phone": phone, "eyes_closed": 0.95 if t >= 7.0 else 0.0}
    vehicle = VehicleState(speed_kmh=speed_at(t), accel_long_ms2=2.78, latitude=48.1, longitude=11.5)
    scores = Scores(
        index, t, values, {"phone": ("hand_at_ear", "clf:phone_right")},
        perclos=min(t / 100.0, 1.0), vehicle=vehicle if telemetry else None,
    )
    probs = None
    if classifier:
        p = np.array([1 - phone, phone * 0.9, phone * 0.1], dtype=np.float32)
        probs = ClassProbs(CLASSES, p / p.sum(), {"phone": float(phone)})
    return FrameResult(Frame(index, t, IMAGE), cues, probs, scores, updates, markers)


def phone_event(**changes) -> Event:
    base = Event(
        id="e0001", behaviour="phone", start_s=2.0, end_s=2.0, severity="info", peak_score=0.9,
        mean_score=0.9, evidence={"cues": ["hand_at_ear"], "classes": {"phone_right": 0.81}},
        speed_kmh={"start": 20.0, "mean": 20.0, "max": 20.0}, distance_m=0.0, stationary=False,
    )
    return dataclasses.replace(base, **changes)


def drive(frames: int = 100, telemetry: bool = True, classifier: bool = True):
    """(frame results, run summary) of the synthetic drive; the eye-closure event opened at 7.0 s
    is closed by the summary's final updates."""
    closure = Event(
        id="e0002", behaviour="eyes_closed", start_s=7.0, end_s=7.0, severity="info", peak_score=0.95,
        mean_score=0.95, evidence={"cues": ["eyes_closed"]},
    )
    updates: dict[int, tuple[EventUpdate, ...]] = {
        20: (EventUpdate("open", phone_event()),),
        40: (EventUpdate("escalate", phone_event(end_s=4.0, severity="warning", mean_score=0.88)),),
        50: (EventUpdate("close", phone_event(
            end_s=5.0, severity="warning", mean_score=0.87,
            speed_kmh={"start": 20.0, "mean": 35.0, "max": 50.0}, distance_m=29.2,
        )),),
        70: (EventUpdate("open", closure),),
    }
    results = [
        frame_result(
            i, updates.get(i, ()), telemetry, classifier,
            markers=("harsh_braking",) if i == 60 and telemetry else (),
        )
        for i in range(frames)
    ]
    last_t = (frames - 1) / FPS
    final = EventUpdate("close", dataclasses.replace(closure, end_s=last_t, severity="critical"))
    summary = RunSummary(
        frames=frames, last_t=last_t, wall_s=1.0, events=[updates[50][0].event, final.event],
        final_updates=(final,),
    )
    return results, summary
