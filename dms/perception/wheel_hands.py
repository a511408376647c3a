"""Hands on the wheel from the hand landmarks and the pose's wrists and elbows.

The hand models are rarely found at the wheel rim (a hand gripping the rim is half hidden by it),
while the pose estimates both wrists and elbows on every frame, each with a visibility. A side
(the driver's left or right hand) is judged from, in order:

* a located hand (hand model, or the pose's visible hand points inside the picture;
  hands.locate_hands): on the wheel when its centre lies in the profile's wheel polygon;
* a hidden hand at the rim: the pose's elbow seen in the picture (visibility >= 0.5) and its wrist,
  not seen (the rim or the other hand covers it), estimated inside the picture and inside the
  wheel polygon: the forearm reaches the rim and the hand is behind it, on the wheel;
* otherwise the side is unknown: a wrist beyond the picture edge or without a visible elbow says
  nothing about the wheel.

The count is the number of sides on the wheel; it is unknown unless it can be told: a side on the
wheel makes the count at least 1 even with the other side unknown (hands_off_wheel is then
false), but one side off the wheel with the other unknown is unknown, never 0 ("unknown stays
unknown": nothing found is not "off").
"""

from __future__ import annotations

import numpy as np

from dms.core.profile import CameraProfile
from dms.core.types import NO_HAND, Cue
from dms.perception.hands import POSE_VISIBLE, HandPosition

ARMS = {"left": (13, 15), "right": (14, 16)}  # pose elbow, wrist


def hands_on_wheel(hands: list[HandPosition], pose: np.ndarray | None, profile: CameraProfile) -> Cue:
    """Cue(0, 1 or 2 hands on the wheel) from the located hands and the pose (rows x, y, z,
    visibility, normalised); unknown (no hand found) when the count cannot be told."""
    on_wheel: dict[str, bool] = {hand.side: profile.contains("wheel", *hand.centre) for hand in hands}
    for side, (elbow, wrist) in ARMS.items():
        if side not in on_wheel and pose is not None and _hidden_at_rim(pose[elbow], pose[wrist], profile):
            on_wheel[side] = True
    on = sum(on_wheel.values())
    if len(on_wheel) == 2:
        return Cue(float(on))
    if on:  # one side known on the wheel, the other unknown: at least one hand on it
        return Cue(1.0)
    return Cue.unknown(NO_HAND)


def _hidden_at_rim(elbow: np.ndarray, wrist: np.ndarray, profile: CameraProfile) -> bool:
    in_picture = bool(np.all((elbow[:2] >= 0) & (elbow[:2] <= 1) & (wrist[:2] >= 0) & (wrist[:2] <= 1)))
    return (
        in_picture
        and elbow[3] >= POSE_VISIBLE
        and wrist[3] < POSE_VISIBLE
        and profile.contains("wheel", float(wrist[0]), float(wrist[1]))
    )
