"""The records that flow between pipeline stages (see DESIGN.md, "Data flow").

Every stage takes the previous stage's record and returns its own; nothing flows backwards.
A cue that was not observed is `Cue.unknown()`, never a false value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

BEHAVIOURS: tuple[str, ...] = (
    "phone",
    "smoking",
    "drinking",
    "looking_back",
    "console",
    "hands_off_wheel",
    "eyes_off_road",
    "eyes_closed",
    "yawning",
    "hand_at_mouth",
)
# Every value an event's `behaviour` (events.json: `behavior`) takes: the behaviours, and the
# patterns a rule set raises as events of their own (dms/events/unresponsive.py).
EVENT_KINDS: tuple[str, ...] = (*BEHAVIOURS, "unresponsive", "camera_degraded")
SEVERITIES: tuple[str, ...] = ("info", "warning", "critical")


@dataclass(frozen=True)
class Frame:
    """One decoded picture. `t` is media time in seconds, never wall time during replay."""

    index: int
    t: float
    image: np.ndarray  # BGR uint8, H x W x 3: the analysis picture (dms.sources.picture)
    display: np.ndarray | None = None  # a larger copy for a window to show; the analysis never reads it


# Why a cue's evidence was not usable (`Cue.missing`), in the words the report and the GUI show.
NO_FACE = "no face found"
FACE_TOO_SMALL = "face too small"  # dms/perception/person_size.py
EYES_NOT_VISIBLE = "eyes not visible"  # dms/perception/eye_visibility.py
HEAD_TURNED = "head turned from the camera"
EYES_LEARNING = "open-eye baseline still being learned"
NO_HAND = "no hand found"
NO_BODY = "no body found"


@dataclass(frozen=True)
class Cue:
    """A landmark-derived measurement; `value is None` means unknown: its evidence was not usable
    (not seen, never "false"), and `missing` says why (one of the reasons above, or None)."""

    value: float | None
    missing: str | None = None

    @staticmethod
    def unknown(missing: str | None = None) -> Cue:
        return Cue(None, missing)

    @property
    def known(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class Landmarks:
    """Normalised (x, y, visibility-or-z) landmark arrays kept for overlays; None when not found."""

    pose: np.ndarray | None = None  # (33, 4): x, y, z, visibility
    face: np.ndarray | None = None  # (468 or 478, 3)
    left_hand: np.ndarray | None = None  # (21, 3), the driver's left hand
    right_hand: np.ndarray | None = None  # (21, 3), the driver's right hand


@dataclass(frozen=True)
class PictureArea:
    """Where the camera's picture lies in the frame, normalised (0..1, x right, y down): the whole
    frame, or the part inside black bars (a 4:3 picture pillarboxed in a 16:9 file). The camera
    profile's regions are drawn on the picture, so `to_frame` places a profile point in the frame
    and `to_picture` turns a frame point back into profile coordinates."""

    left: float = 0.0
    top: float = 0.0
    right: float = 1.0
    bottom: float = 1.0

    @property
    def whole_frame(self) -> bool:
        return (self.left, self.top, self.right, self.bottom) == (0.0, 0.0, 1.0, 1.0)

    def to_frame(self, x: float, y: float) -> tuple[float, float]:
        return self.left + x * (self.right - self.left), self.top + y * (self.bottom - self.top)

    def to_picture(self, x: float, y: float) -> tuple[float, float]:
        return (x - self.left) / (self.right - self.left), (y - self.top) / (self.bottom - self.top)


@dataclass(frozen=True)
class Cues:
    """What the landmark stage saw on one frame (DESIGN.md, `Cues`)."""

    hands_on_wheel: Cue = field(default_factory=Cue.unknown)  # 0, 1 or 2
    hand_at_ear: Cue = field(default_factory=Cue.unknown)  # 0/1
    hand_at_mouth: Cue = field(default_factory=Cue.unknown)  # 0/1
    hand_in_console: Cue = field(default_factory=Cue.unknown)  # 0/1
    # Head angles in degrees around the driver's own straight-ahead pose (learned on the fly).
    head_yaw: Cue = field(default_factory=Cue.unknown)  # + = the driver turns to the driver's right
    head_pitch: Cue = field(default_factory=Cue.unknown)  # + = head up, - = looking down
    eyes_closed: Cue = field(default_factory=Cue.unknown)  # 0/1
    eye_openness: Cue = field(default_factory=Cue.unknown)  # eye aspect ratio, both eyes averaged
    mouth_open: Cue = field(default_factory=Cue.unknown)  # mouth aspect ratio (inner lips)
    face_visible: Cue = field(default_factory=Cue.unknown)  # 0/1
    body_visible: Cue = field(default_factory=Cue.unknown)  # 0/1: pose (shoulders) found
    # 0/1: the face lost with the whole head in the picture turned away (dms.perception.face_lost)
    head_turned_away: Cue = field(default_factory=Cue.unknown)
    landmarks: Landmarks = field(default_factory=Landmarks)
    picture: PictureArea = field(default_factory=PictureArea)  # where the profile's regions were placed

    def as_dict(self) -> dict[str, float | None]:
        """Cue values by name (for the timeline), unknown as None."""
        return {
            name: getattr(self, name).value
            for name in CUE_NAMES
        }


CUE_NAMES: tuple[str, ...] = (
    "hands_on_wheel",
    "hand_at_ear",
    "hand_at_mouth",
    "hand_in_console",
    "head_yaw",
    "head_pitch",
    "eyes_closed",
    "eye_openness",
    "mouth_open",
    "face_visible",
    "body_visible",
    "head_turned_away",
)


@dataclass(frozen=True)
class ClassProbs:
    """The online classifier's output for one frame: per-class and per-behaviour probabilities."""

    classes: tuple[str, ...]
    probs: np.ndarray  # (len(classes),), sums to 1
    behaviours: dict[str, float]  # behaviour id -> probability mass of the classes mapped to it

    def top(self) -> tuple[str, float]:
        i = int(np.argmax(self.probs))
        return self.classes[i], float(self.probs[i])

    def top_behaviour(self) -> tuple[str | None, float]:
        """The behaviour with the most probability mass and that mass; None (no distraction) when
        the classes mapped to no behaviour (safe driving, ...) hold more."""
        best = max(self.behaviours.items(), key=lambda kv: kv[1], default=(None, 0.0))
        rest = 1.0 - sum(self.behaviours.values())
        return (None, rest) if rest > best[1] else best


# What the object detector looks for (models.detect.DETECTOR_CLASSES, the detector's boxes).
OBJECT_KINDS: tuple[str, ...] = ("phone", "cigarette")


@dataclass(frozen=True)
class ObjectBox:
    """One object the detector found on one frame.

    `kind` is one of OBJECT_KINDS; `score` in [0, 1]; `box` is (x0, y0, x1, y1) normalised to the
    analysis picture (0..1, x right, y down). A "phone" box holds the phone with the hand holding it
    (at the ear: phone, hand and ear), a "cigarette" box the cigarette alone (the detector's boxes).
    """

    kind: str
    score: float
    box: tuple[float, float, float, float]


@dataclass(frozen=True)
class Objects:
    """What the object detector saw on one frame: the boxes it found, and the kinds it looks for (a kind
    looked for and not found was not there, as far as the detector can tell)."""

    boxes: tuple[ObjectBox, ...]
    kinds: tuple[str, ...] = OBJECT_KINDS

    def of(self, kind: str) -> tuple[ObjectBox, ...]:
        return tuple(b for b in self.boxes if b.kind == kind)


@dataclass(frozen=True)
class ObjectTies:
    """The detector's objects where they matter to the driver (dms.perception.object_ties): the best
    score of a phone at an ear, a phone in a hand, a cigarette at the mouth, a cigarette in a hand,
    in [0, 1]. 0.0: the detector looked and saw none there. None: not looked for (no detector, or
    it does not detect that kind), or nowhere to tie it (a box was found but no ear, mouth or hand)."""

    phone_at_ear: float | None = None
    phone_in_hand: float | None = None
    cigarette_at_mouth: float | None = None
    cigarette_in_hand: float | None = None


@dataclass(frozen=True)
class VehicleState:
    """Telemetry interpolated to one frame's media time; None where the log has no coverage."""

    speed_kmh: float | None = None
    accel_long_ms2: float | None = None
    accel_lat_ms2: float | None = None
    steering_deg: float | None = None
    latitude: float | None = None
    longitude: float | None = None
    heading_deg: float | None = None
    odometer_m: float | None = None  # distance travelled since the log's start, integrated from speed


@dataclass(frozen=True)
class Scores:
    """Fusion's output: one smoothed score in [0, 1] per behaviour, and what supported each."""

    index: int
    t: float
    values: dict[str, float]
    sources: dict[str, tuple[str, ...]]
    perclos: float | None = None  # share of the last minute's seen eye time with the eyes closed
    vehicle: VehicleState | None = None
    classifier_top: str | None = None  # the classifier's most probable behaviour (None: none, or no model)
    # Each behaviour's raw (unsmoothed) support on this frame, None where nothing was observed: the
    # frame that shows a behaviour best (an event's thumbnail) is where this peaks, not where the
    # smoothed score, which lags the picture, does.
    evidence: dict[str, float | None] = field(default_factory=dict)
    perclos_seen_s: float | None = None  # seconds of the PERCLOS window with the eye state seen


@dataclass(frozen=True)
class Event:
    """A sustained behaviour, as logged and reported (DESIGN.md, `events.json`).

    An immutable snapshot: the tracker makes a new one whenever the event changes (dataclasses.replace),
    so whoever holds one (the GUI, the session writer) sees it as it was; its dicts are never edited.
    """

    id: str
    behaviour: str
    start_s: float
    end_s: float
    severity: str
    peak_score: float
    mean_score: float
    evidence: dict = field(default_factory=dict)
    speed_kmh: dict | None = None  # {"start", "mean", "max"}
    distance_m: float | None = None
    stationary: bool | None = None  # True when the vehicle was below the speed gate
    thumbnail: str | None = None
    clip: str | None = None
    review: str | None = None  # None, "confirmed" or "rejected" (set in the GUI)
    relabel: str | None = None

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True)
class EventUpdate:
    """What the tracker says about one event on one frame: it opened, escalated or closed."""

    kind: str  # "open", "escalate" or "close"
    event: Event


@dataclass(frozen=True)
class Monitoring:
    """Whether the driver was monitored on one frame (dms.events.camera_health decides).

    `not_monitored`: why not, in words ("face too small", "too dark", ...; None: monitored); the
    coverage counts the frame as not monitored and no behaviour is scored from it.
    `eyes_not_visible`: monitored, but the eyes cannot be seen (sunglasses, a hand, glare): eye
    closure and PERCLOS are not measured; head pose, hands and the classifier go on.
    """

    not_monitored: str | None = None
    eyes_not_visible: bool = False


@dataclass(frozen=True)
class FrameResult:
    """Everything the pipeline knows after one analysed frame; observers (GUI, store) read it."""

    frame: Frame
    cues: Cues
    probs: ClassProbs | None
    scores: Scores
    updates: tuple[EventUpdate, ...] = ()
    markers: tuple[str, ...] = ()  # e.g. "harsh_braking", from telemetry
    objects: Objects | None = None  # the object detector's boxes; None where no detector ran
    ties: ObjectTies = field(default_factory=ObjectTies)  # those boxes tied to ears, mouth, hands
    monitoring: Monitoring | None = None  # None: the pipeline has no camera health stage


@dataclass
class RunSummary:
    """How a run went: what was analysed, how fast, and whether it stopped early (and why)."""

    frames: int = 0
    last_t: float = 0.0
    wall_s: float = 0.0
    stopped_early: str | None = None
    cancelled: bool = False
    events: list = field(default_factory=list)  # closed Event objects, in order
    final_updates: tuple[EventUpdate, ...] = ()  # events closed by the end of the run itself
    gaps: list[tuple[float, float]] = field(default_factory=list)  # (last frame, next frame) media s
    coverage: dict | None = None  # share of the drive time the driver was monitored (CameraHealth)
    perception: dict = field(default_factory=dict)  # the landmark stage's describe(): calibration
    interrupted_by: str | None = None  # a signal that stopped the run ("Ctrl-C", "SIGTERM")
    dropped_frames: int = 0  # frames a live source skipped because the analysis was slower

    @property
    def analysed_fps(self) -> float:
        return self.frames / self.last_t if self.last_t > 0 else 0.0
