"""Fusion: landmark cues and classifier probabilities -> one smoothed score per behaviour.

Each behaviour has a small rule saying which sources support it (DESIGN.md, "Behaviours"). An
unknown cue gives no evidence (it is held briefly, then stops supporting), never "false".

What a hand does is seen by a model, never by the landmarks alone (issue 18): a phone needs the
object detector's phone at an ear or in a hand (dms.perception.object_ties) or the whole-frame
classifier's phone; a hand at the ear, or the head down with no hand on the wheel, only supports a
phone seen so (a hand at the ear without a phone is explained away: no phone event).
The pipeline ties the boxes to the landmarks (`ObjectTies`) and hands them in. Smoking needs
the detector's cigarette at the mouth or in a hand. Drinking comes from the classifier (the detector
has no cup or food). A hand at the mouth that nothing explains is scored as `hand_at_mouth`, cause
unknown, and its sources say what was looked for and not seen. Where no model that sees the object
runs, the behaviour has no evidence at all (None: not monitored), never a zero.

Scores are exponentially smoothed with a per-behaviour time constant. The first frame of a drive,
after a gap without frames (`reset`) or after a cut in the footage (`restart`) has nothing to be
smoothed from: its scores are its own evidence, not a ramp up from zero.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from dms.core.config import Settings
from dms.core.profile import CameraProfile
from dms.core.types import BEHAVIOURS, ClassProbs, Cue, Cues, Frame, ObjectTies, Scores, VehicleState

# Source names that say what was looked for and not seen (an explained-away cue), not what raised it.
NOT_SEEN = ("no_phone_seen", "no_cigarette_seen", "no_cup_seen")


@dataclass(frozen=True)
class Evidence:
    """Raw (unsmoothed) support for one behaviour on one frame: None = nothing observed."""

    value: float | None
    sources: tuple[str, ...] = ()


class PerclosMeter:
    """PERCLOS: the share of time with the eyes closed over a sliding window, counted only over the
    time the eye state was seen (eyes visible and measurable: time with the eyes hidden behind
    sunglasses is neither open nor closed). `seen_s` is how much eye time the window holds; the
    share is None until `min_s` of it has been seen."""

    def __init__(self, window_s: float, min_s: float):
        self.window_s = window_s
        self.min_s = min_s
        self._samples: deque[tuple[float, bool, float]] = deque()  # (t, closed, seconds it stands for)
        self._last_t: float | None = None
        self.seen_s = 0.0
        self._closed_s = 0.0

    def step(self, t: float, closed: bool | None) -> float | None:
        dt = 0.0 if self._last_t is None else max(0.0, t - self._last_t)
        self._last_t = t
        if closed is not None:
            self._samples.append((t, closed, dt))
            self.seen_s += dt
            self._closed_s += dt * closed
        while self._samples and self._samples[0][0] < t - self.window_s:
            _, was_closed, seconds = self._samples.popleft()
            self.seen_s -= seconds
            self._closed_s -= seconds * was_closed
        if self.seen_s <= 0 or self.seen_s < min(self.min_s, self.window_s) - 1e-6:
            return None
        return min(1.0, max(0.0, self._closed_s / self.seen_s))


class Fusion:
    """Per-frame behaviour scores in [0, 1], exponentially smoothed with a time constant."""

    def __init__(self, settings: Settings, profile: CameraProfile):
        self.settings = settings
        self.weights = settings.fusion
        self.profile = profile
        self.reset()

    def _on(self, cue: Cue) -> bool:
        return cue.value is not None and cue.value >= self.weights.cue_present

    def _off(self, cue: Cue) -> bool:
        return cue.value is not None and cue.value < self.weights.cue_present

    def reset(self) -> None:
        """Start afresh (a new drive, after a gap without frames): scores and PERCLOS."""
        self.restart()
        self._perclos = PerclosMeter(self.settings.perclos_window_s, self.settings.perclos_min_s)

    def restart(self) -> None:
        """The next frame does not follow from the last (a cut in the footage): its scores start from
        its own evidence instead of being smoothed from an unrelated picture's. PERCLOS keeps its
        window: a false cut (leaving a tunnel) must not lose a minute of eye state."""
        self._score = dict.fromkeys(BEHAVIOURS, 0.0)
        self._last_seen: dict[str, float] = {}
        self._last_t: float | None = None

    def step(
        self, frame: Frame, cues: Cues, probs: ClassProbs | None, vehicle: VehicleState | None,
        ties: ObjectTies | None = None,
        monitored: bool = True,
    ) -> Scores:
        """This frame's smoothed scores; `ties` are the detector's boxes tied to the driver
        (dms.perception.object_ties; None: no detector ran). A frame on which the driver is not
        monitored (`monitored` False: the camera health stage's coverage counts it as not
        monitored) is evidence of nothing: every score is 0 there, so no event is raised from that
        time, and the next monitored frame starts afresh from its own evidence."""
        if not monitored:
            self.restart()
            perclos = self._perclos.step(frame.t, None)
            top = probs.top_behaviour()[0] if probs is not None else None
            return Scores(frame.index, frame.t, dict.fromkeys(BEHAVIOURS, 0.0), dict.fromkeys(BEHAVIOURS, ()),
                          perclos, vehicle, top, dict.fromkeys(BEHAVIOURS), round(self._perclos.seen_s, 2))
        fresh = self._last_t is None  # nothing to smooth from: the scores are this frame's evidence
        dt = 0.0 if fresh else max(0.0, frame.t - self._last_t)
        self._last_t = frame.t
        evidence = self.evidence(cues, probs, ties or ObjectTies())
        values: dict[str, float] = {}
        sources: dict[str, tuple[str, ...]] = {}
        for behaviour in BEHAVIOURS:
            ev = evidence[behaviour]
            if ev.value is None:
                held = frame.t - self._last_seen.get(behaviour, -math.inf) <= self.settings.unknown_hold_s
                target = self._score[behaviour] if held else 0.0
            else:
                self._last_seen[behaviour] = frame.t
                target = ev.value
            previous = self._score[behaviour]
            self._score[behaviour] = target if fresh else self._smooth(behaviour, previous, target, dt)
            values[behaviour] = round(self._score[behaviour], 4)
            sources[behaviour] = ev.sources
        closed = None if cues.eyes_closed.value is None else self._on(cues.eyes_closed)
        perclos = self._perclos.step(frame.t, closed)
        top = probs.top_behaviour()[0] if probs is not None else None
        raw = {behaviour: ev.value for behaviour, ev in evidence.items()}
        seen = round(self._perclos.seen_s, 2)
        return Scores(frame.index, frame.t, values, sources, perclos, vehicle, top, raw, seen)

    def _smooth(self, behaviour: str, previous: float, target: float, dt: float) -> float:
        tau = self.settings.rule(behaviour).smooth_s
        tau = self.settings.smoothing_s if tau is None else tau
        if tau <= 0:
            return target
        alpha = 1.0 - math.exp(-dt / tau)
        return previous + alpha * (target - previous)

    def evidence(
        self, cues: Cues, probs: ClassProbs | None, ties: ObjectTies | None = None
    ) -> dict[str, Evidence]:
        """The raw support for every behaviour from this frame's cues, classifier output and the
        detector's objects tied to the driver (`ties`; the default: no detector ran)."""
        clf = probs.behaviours if probs is not None else {}
        ties = ties or ObjectTies()
        pitch = cues.head_pitch.value
        head_down = pitch is not None and pitch < self.settings.eyes_down_pitch_deg
        lids_down = self._on(cues.eyes_closed) and head_down
        gaze_off = Evidence(1.0, ("head_pose", "eyes_down")) if lids_down else self._gaze_off_road(cues)
        ev = {
            "eyes_closed": Evidence(0.0, ("eyes_down",))
            if lids_down
            else self._cue(cues.eyes_closed, "eyes_closed"),
            "yawning": self._yawning(cues),
            "eyes_off_road": gaze_off,
            "looking_back": self._looking_back(cues, clf),
            "hands_off_wheel": self._hands_off_wheel(cues),
            "phone": self._phone(cues, clf, ties),
            "console": self._combine(
                clf, "console", cues.hand_in_console, self.weights.hand_in_console, "hand_in_console"
            ),
            "smoking": self._smoking(cues, clf, ties),
            "drinking": self._combine(clf, "drinking", cues.hand_at_mouth, 0.0, "hand_at_mouth"),
        }
        ev["hand_at_mouth"] = self._hand_at_mouth(cues, clf, ties)
        return ev

    def _yawning(self, cues: Cues) -> Evidence:
        mouth = cues.mouth_open.value
        if mouth is None:
            return Evidence(None)
        return Evidence(1.0 if mouth >= self.settings.yawn_mouth_ratio else 0.0, ("mouth_open",))

    def _gaze_off_road(self, cues: Cues) -> Evidence:
        yaw, pitch = cues.head_yaw.value, cues.head_pitch.value
        if yaw is not None:  # without a pitch (the pose measured a turn the face mesh lost)
            lo_yaw, hi_yaw = self.profile.road_yaw_deg  # only a yaw outside the zone tells
            lo_pitch, hi_pitch = self.profile.road_pitch_deg
            off = not lo_yaw <= yaw <= hi_yaw or (pitch is not None and not lo_pitch <= pitch <= hi_pitch)
            if off or pitch is not None:
                return Evidence(1.0 if off else 0.0, ("head_pose",))
            return Evidence(None)
        if self._face_turned_away(cues):
            return Evidence(self.weights.face_lost_looking_back, ("face_lost",))
        return Evidence(None)

    def _looking_back(self, cues: Cues, clf: dict[str, float]) -> Evidence:
        yaw = cues.head_yaw.value
        if yaw is not None:
            cue = Evidence(1.0 if abs(yaw) >= self.settings.yaw_looking_back_deg else 0.0, ("head_yaw",))
        elif self._face_turned_away(cues):
            cue = Evidence(self.weights.face_lost_looking_back, ("face_lost",))
        else:
            cue = Evidence(None)
        return self._with_classifier(clf, "looking_back", cue)

    def _hands_off_wheel(self, cues: Cues) -> Evidence:
        hands = cues.hands_on_wheel.value
        if hands is None:
            return Evidence(None)
        return Evidence(1.0 if hands < 0.5 else 0.0, ("hands_on_wheel",))

    def _phone(self, cues: Cues, clf: dict[str, float], ties: ObjectTies) -> Evidence:
        """A phone seen (the detector's phone at an ear or in a hand, the classifier's phone), raised
        to `hand_at_ear_phone` by a hand at the ear (`head_down_hands_off_phone` by the head down with
        no hand on the wheel) while one is seen. Those cues alone support nothing: a hand at the ear
        without a phone is explained away (sources: hand_at_ear, no_phone_seen; value 0)."""
        seen = _known([
            Evidence(clf.get("phone"), ("classifier",)),
            Evidence(_seen(ties.phone_at_ear), ("phone_at_ear",)),
            Evidence(_seen(ties.phone_in_hand), ("phone_in_hand",)),
        ])
        if not seen:
            return Evidence(None)  # nothing here can see a phone: not monitored
        named = self.weights.source_named
        value = max(p.value for p in seen)
        raised = tuple(s for p in seen if p.value >= named for s in p.sources)
        support = self._phone_support(cues, clf)
        if not raised:
            explained = tuple(name for name, _ in support) + ("no_phone_seen",) if support else ()
            return Evidence(value, explained)
        value = max([value, *(weight for _, weight in support)])
        return Evidence(value, raised + tuple(name for name, _ in support))

    def _phone_support(self, cues: Cues, clf: dict[str, float]) -> list[tuple[str, float]]:
        """The landmark cues that support a phone seen, with their weights; none while the classifier
        is sure of another distraction (a cup near the ear is not a phone)."""
        other = max((v for b, v in clf.items() if b != "phone"), default=0.0)
        if other >= self.weights.explained_by_classifier:
            return []
        support = []
        if self._on(cues.hand_at_ear):
            support.append(("hand_at_ear", self.weights.hand_at_ear_phone))
        pitch, hands = cues.head_pitch.value, cues.hands_on_wheel.value
        head_down = pitch is not None and pitch < self.settings.eyes_down_pitch_deg
        if head_down and hands is not None and hands < 0.5:
            support.append(("head_down_hands_off", self.weights.head_down_hands_off_phone))
        return support

    def _smoking(self, cues: Cues, clf: dict[str, float], ties: ObjectTies) -> Evidence:
        """The detector's cigarette at the mouth or in a hand; a hand at the mouth (and a classifier's
        smoking class, where it has one) only corroborate it: no cigarette, no smoking."""
        seen = _known([
            Evidence(_seen(ties.cigarette_at_mouth), ("cigarette_at_mouth",)),
            Evidence(_seen(ties.cigarette_in_hand), ("cigarette_in_hand",)),
        ])
        if not seen:
            return Evidence(None)
        named = self.weights.source_named
        value = max(p.value for p in seen)
        sources = tuple(s for p in seen if p.value >= named for s in p.sources)
        if sources:
            sources += ("hand_at_mouth",) if self._on(cues.hand_at_mouth) else ()
            sources += ("classifier",) if clf.get("smoking", 0.0) >= named else ()
        return Evidence(value, sources)

    def _hand_at_mouth(self, cues: Cues, clf: dict[str, float], ties: ObjectTies) -> Evidence:
        """A hand at the mouth, reported as such only while nothing explains it (a cigarette seen, or
        the classifier's smoking or drinking); unexplained, its sources say what was looked for and
        not seen (no_cigarette_seen: the detector ran; no_cup_seen: the classifier scores drinking)."""
        cue = self._cue(cues.hand_at_mouth, "hand_at_mouth")
        explainers = (clf.get("smoking"), clf.get("drinking"), _seen(ties.cigarette_at_mouth),
                      _seen(ties.cigarette_in_hand))
        known = [v for v in explainers if v is not None]
        if cue.value is None or not known:
            return cue
        explained = max(known)
        sources = cue.sources
        if cue.value > 0 and explained < self.weights.explained_by_classifier:
            sources += ("no_cigarette_seen",) if ties.cigarette_at_mouth is not None else ()
            sources += ("no_cup_seen",) if "drinking" in clf else ()
        return Evidence(cue.value * (1.0 - explained), sources)

    def _cue(self, cue: Cue, name: str) -> Evidence:
        if cue.value is None:
            return Evidence(None)
        return Evidence(1.0 if self._on(cue) else 0.0, (name,))

    def _face_turned_away(self, cues: Cues) -> bool:
        """The face lost with the whole head in the picture and the pose showing it turned
        (`Cues.head_turned_away`, dms.perception.face_lost, unknown for a person too small for it); a
        face cut by the image border is a camera-aim condition, no gaze evidence."""
        body_only = self._off(cues.face_visible) and self._on(cues.body_visible)
        return body_only and self._on(cues.head_turned_away)

    def _with_classifier(self, clf: dict[str, float], behaviour: str, cue: Evidence) -> Evidence:
        """Classifier and cue support the same behaviour: the stronger one wins, both are named.

        A landmark cue is geometry, the classifier sees what the hand holds: where the classifier is
        sure (>= weights.explained_by_classifier) of another distraction (a cup at the mouth near the
        ear, read as drinking), its probability explains the cue away, as `_hand_at_mouth` does. Below
        that (an unsure classifier, or one still holding the previous scene for a few frames after a
        change) the cue stands; mass on "no distraction" never discounts it (the classifier may have
        missed it).
        """
        if behaviour not in clf:
            return cue
        p = clf[behaviour]
        if cue.value is None:
            return Evidence(p, ("classifier",))
        other = max((v for b, v in clf.items() if b != behaviour), default=0.0)
        if other >= self.weights.explained_by_classifier:
            cue = Evidence(cue.value * (1.0 - other), cue.sources)
        named = self.weights.source_named
        sources = (("classifier",) if p >= named else ()) + (cue.sources if cue.value >= named else ())
        return Evidence(max(p, cue.value), sources)

    def _combine(self, clf: dict[str, float], behaviour: str, cue: Cue, weight: float, name: str) -> Evidence:
        """A behaviour the classifier scores and one cue supports (weight 0: the cue only corroborates)."""
        cue_ev = Evidence(None) if cue.value is None else Evidence(weight * self._on(cue), (name,))
        if behaviour not in clf:
            return cue_ev if weight > 0 else Evidence(None)
        p = clf[behaviour]
        if weight == 0:
            corroborated = self._on(cue) and p >= self.weights.source_named
            return Evidence(p, ("classifier",) + ((name,) if corroborated else ()))
        return self._with_classifier(clf, behaviour, cue_ev)


def _seen(score: float | None) -> float | None:
    """A detector box tied to the driver as evidence: the detector keeps only boxes at or above the
    score threshold chosen when it was trained (its operating point, docs/model_card.md), so a tied
    box is a phone or cigarette seen (1.0), none is 0.0, unknown stays None."""
    return None if score is None else float(score > 0)


def _known(parts: list[Evidence]) -> list[Evidence]:
    return [p for p in parts if p.value is not None]



