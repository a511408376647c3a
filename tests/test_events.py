"""The event state machine and fusion rules on constructed score and cue streams."""

from dataclasses import replace

import numpy as np
import pytest

from dms.core.config import Settings
from dms.core.profile import CameraProfile
from dms.core.types import BEHAVIOURS, ClassProbs, Cue, Cues, Frame, Landmarks, Scores, VehicleState
from dms.events.tracker import EventTracker
from dms.fusion.scores import Fusion, PerclosMeter

FPS = 10.0


def scores_stream(behaviour: str, spans: list[tuple[float, float]], duration: float, speed=None):
    """Scores at 10 Hz: 1.0 for `behaviour` inside the spans, 0 elsewhere."""
    out = []
    for i in range(int(duration * FPS) + 1):
        t = round(i / FPS, 3)
        on = any(a <= t < b for a, b in spans)
        values = dict.fromkeys(BEHAVIOURS, 0.0)
        values[behaviour] = 1.0 if on else 0.0
        vehicle = None if speed is None else VehicleState(speed_kmh=speed, odometer_m=speed / 3.6 * t)
        out.append(Scores(i, t, values, {behaviour: ("test",)}, None, vehicle))
    return out


def run(settings: Settings, stream) -> tuple[list, list]:
    tracker = EventTracker(settings)
    updates = []
    for scores in stream:
        updates += tracker.step(scores)
    updates += tracker.finish(stream[-1].t)
    closed = [u.event for u in updates if u.kind == "close"]
    return closed, updates


def test_event_times_follow_the_behaviour_to_one_frame():
    closed, updates = run(Settings(), scores_stream("phone", [(2.0, 6.0)], 10))
    assert len(closed) == 1
    event = closed[0]
    assert event.behaviour == "phone"
    assert abs(event.start_s - 2.0) <= 1 / FPS and abs(event.end_s - 6.0) <= 1 / FPS
    assert [u.kind for u in updates if u.event.id == event.id] == ["open", "escalate", "close"]


def test_shorter_than_min_duration_is_no_event():
    closed, _ = run(Settings(), scores_stream("phone", [(2.0, 2.5)], 5))
    assert closed == []


def test_a_dip_shorter_than_the_gap_does_not_split_the_event():
    closed, _ = run(Settings(), scores_stream("phone", [(1.0, 3.0), (3.2, 5.0)], 8))
    assert len(closed) == 1
    closed, _ = run(Settings(), scores_stream("phone", [(1.0, 3.0), (4.5, 7.0)], 9))
    assert len(closed) == 2


def test_cooldown_suppresses_an_immediate_repeat():
    settings = Settings()
    rule = replace(settings.rule("phone"), gap_s=0.1, cooldown_s=3.0)
    settings = replace(settings, rules={**settings.rules, "phone": rule})
    closed, _ = run(settings, scores_stream("phone", [(1.0, 3.0), (3.5, 5.0)], 8))
    assert len(closed) == 1


def test_a_repeat_within_the_cooldown_opens_late_but_keeps_its_true_start():
    settings = Settings()
    rule = replace(settings.rule("phone"), gap_s=0.1, cooldown_s=3.0)
    settings = replace(settings, rules={**settings.rules, "phone": rule})
    closed, updates = run(settings, scores_stream("phone", [(1.0, 3.0), (3.5, 9.0)], 10))
    assert [round(e.start_s, 1) for e in closed] == [1.0, 3.5]
    second_open = [u for u in updates if u.kind == "open"][1]
    assert second_open.event.end_s >= 6.0  # announced once the cooldown after 3.0 s had passed


def test_closed_looking_eyes_with_the_head_down_are_eyes_off_road():
    fusion = Fusion(Settings(), CameraProfile.load())

    def closed_eyes(pitch):
        return Cues(eyes_closed=Cue(1.0), head_yaw=Cue(0.0), head_pitch=Cue(pitch))

    down, level = fusion.evidence(closed_eyes(-14.0), None), fusion.evidence(closed_eyes(3.0), None)
    assert down["eyes_closed"].value == 0.0 and down["eyes_off_road"].value == 1.0
    assert level["eyes_closed"].value == 1.0 and level["eyes_off_road"].value == 0.0


def test_eye_closure_severity_follows_euro_ncap_timings():
    closed, _ = run(Settings(), scores_stream("eyes_closed", [(1.0, 1.6), (3.0, 5.0), (7.0, 10.5)], 12))
    assert [e.severity for e in closed] == ["info", "warning", "critical"]
    assert closed[0].evidence["rule"] == "microsleep" and closed[2].evidence["rule"] == "sleep"


def test_escalation_is_announced_while_the_event_runs():
    _, updates = run(Settings(), scores_stream("eyes_off_road", [(1.0, 8.0)], 10))
    kinds = [(u.kind, u.event.severity) for u in updates]
    assert kinds[0] == ("open", "info")
    assert ("escalate", "warning") in kinds and ("escalate", "critical") in kinds
    long = [u.event for u in updates if u.kind == "close" and u.event.behaviour == "eyes_off_road"][0]
    assert long.evidence["rule"] == "long_distraction"


def test_below_the_speed_gate_events_are_logged_as_stationary_info():
    closed, updates = run(Settings(), scores_stream("phone", [(1.0, 8.0)], 10, speed=5.0))
    assert closed[0].stationary is True and closed[0].severity == "info"
    assert all(u.event.severity == "info" for u in updates)
    assert closed[0].speed_kmh == {"start": 5.0, "mean": 5.0, "max": 5.0}


def test_phone_above_critical_speed_is_critical_with_distance():
    closed, _ = run(Settings(), scores_stream("phone", [(1.0, 3.0)], 5, speed=72.0))
    event = closed[0]
    assert event.severity == "critical" and event.stationary is False
    assert event.distance_m == pytest.approx(20.0 * (event.end_s - event.start_s), abs=2.5)


def test_visual_time_sharing_needs_ten_seconds_within_thirty():
    # 1.8 s glances away with 1 s back on the road: never a long distraction, but 10 s adds up.
    spans = [(1.0 + k * 2.8, 2.8 + k * 2.8) for k in range(8)]
    closed, _ = run(Settings(), scores_stream("eyes_off_road", spans, 25))
    vats = [e for e in closed if e.evidence.get("rule") == "visual_time_sharing"]
    assert len(vats) == 1 and vats[0].severity == "warning"
    assert vats[0].evidence["off_road_s"] >= 10.0
    # The same glances with 2.5 s back on the road reset the count each time.
    spans = [(1.0 + k * 4.3, 2.8 + k * 4.3) for k in range(8)]
    closed, _ = run(Settings(), scores_stream("eyes_off_road", spans, 36))
    assert not [e for e in closed if e.evidence.get("rule") == "visual_time_sharing"]


def test_perclos_is_the_closed_share_of_the_window():
    meter = PerclosMeter(window_s=60, min_s=30)
    values = [meter.step(i / 10, (i % 10) < 2) for i in range(400)]
    assert values[100] is None  # 10 s seen: too little to say
    assert values[-1] == pytest.approx(0.2, abs=0.01)
    assert meter.step(40.0, None) == pytest.approx(0.2, abs=0.01)  # unknown eye state adds nothing


def frame(t: float) -> Frame:
    return Frame(int(t * FPS), t, np.zeros((4, 4, 3), np.uint8))


def test_unknown_cues_are_no_evidence_and_stop_supporting_after_the_hold():
    fusion = Fusion(Settings(), CameraProfile.load())
    closed = Cues(eyes_closed=Cue(1.0), face_visible=Cue(1.0))
    for i in range(5):
        scores = fusion.step(frame(i / FPS), closed, None, None)
    assert scores.values["eyes_closed"] == 1.0
    scores = fusion.step(frame(0.5), Cues(), None, None)
    assert scores.values["eyes_closed"] == 1.0  # held briefly
    scores = fusion.step(frame(1.5), Cues(), None, None)
    assert scores.values["eyes_closed"] == 0.0


def test_without_classifier_a_hand_at_mouth_is_not_smoking_or_drinking():
    fusion = Fusion(replace(Settings(), smoothing_s=0.0), CameraProfile.load())
    cues = Cues(hand_at_mouth=Cue(1.0))
    scores = fusion.step(frame(0.0), cues, None, None)
    assert scores.values["hand_at_mouth"] == 1.0
    assert scores.values["smoking"] == 0.0 and scores.values["drinking"] == 0.0
    probs = ClassProbs(("safe", "drinking"), np.array([0.1, 0.9]), {"drinking": 0.9})
    scores = fusion.step(frame(0.1), cues, probs, None)
    assert scores.values["drinking"] == pytest.approx(0.9)
    assert scores.values["hand_at_mouth"] == pytest.approx(0.1)
    assert "classifier" in scores.sources["drinking"] and "hand_at_mouth" in scores.sources["drinking"]


def test_head_pose_outside_the_road_zone_is_eyes_off_road_and_far_is_looking_back():
    fusion = Fusion(replace(Settings(), smoothing_s=0.0), CameraProfile.load())
    ahead = fusion.evidence(Cues(head_yaw=Cue(5.0), head_pitch=Cue(-3.0)), None)
    down = fusion.evidence(Cues(head_yaw=Cue(0.0), head_pitch=Cue(-35.0)), None)
    back = fusion.evidence(Cues(head_yaw=Cue(75.0), head_pitch=Cue(0.0)), None)
    turned = np.zeros((33, 4))  # the head turned away: nose hidden, one ear and the shoulders seen
    turned[:, :2], turned[:, 3] = (0.5, 0.4), 0.9
    turned[0, 3] = 0.1
    lost = fusion.evidence(Cues(face_visible=Cue(0.0), body_visible=Cue(1.0), head_turned_away=Cue(1.0),
                                landmarks=Landmarks(pose=turned)), None)
    assert ahead["eyes_off_road"].value == 0.0 and down["eyes_off_road"].value == 1.0
    assert down["looking_back"].value == 0.0 and back["looking_back"].value == 1.0
    assert lost["looking_back"].sources == ("face_lost",) and lost["looking_back"].value > 0.5
    assert Fusion(Settings(), CameraProfile.load()).evidence(Cues(), None)["eyes_off_road"].value is None


def test_the_last_sample_above_stands_until_the_next_sample():
    """A 25 fps file thinned to 10 Hz has 0.08 and 0.12 s intervals: a one-second behaviour (frames
    6.0 .. 6.88 above, 7.0 below) lasts 1.0 s, the drinking minimum, not 0.96 s."""
    times = [round(k * 0.4 + d, 2) for k in range(25) for d in (0.0, 0.08, 0.2, 0.28)]
    stream = []
    for i, t in enumerate(times):
        values = dict.fromkeys(BEHAVIOURS, 0.0)
        values["drinking"] = 0.8 if 6.0 <= t < 7.0 else 0.0
        stream.append(Scores(i, t, values, {"drinking": ("test",)}, None, None))
    closed, _ = run(Settings(), stream)
    assert [(e.start_s, e.end_s) for e in closed] == [(6.0, 7.0)]
