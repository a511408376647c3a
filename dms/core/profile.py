"""Camera profile: where the wheel, the console and the road gaze zone are for one camera mount.

A small JSON file a user can write or edit (or draw in the GUI's calibration view). Regions are
polygons in normalised coordinates of the camera's picture (x right, y down, 0..1): of the whole
frame, or of the picture inside black bars when the frame has them (`placed_on`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from dms.core.errors import InputError, is_json_number, shown_value
from dms.core.types import PictureArea

DEFAULT_PROFILE_PATH = Path(__file__).resolve().parents[2] / "data" / "profile_frontal.json"
# The profile's pairs of angles and what their two numbers are; its words and their values.
PAIRS: dict[str, str] = {
    "road_yaw_deg": "[low, high]",
    "road_pitch_deg": "[low, high]",
    "forward_deg": "[yaw, pitch]",
    "forward_tolerance_deg": "[yaw, pitch]",
}
WORDS: dict[str, tuple[str, ...]] = {"drive_side": ("left", "right"), "view": ("frontal", "side")}
POINT_RANGE = (-0.5, 1.5)  # a corner may lie a little outside the picture (a wheel cut by its edge)


@dataclass(frozen=True)
class CameraProfile:
    name: str
    wheel: tuple[tuple[float, float], ...]
    console: tuple[tuple[float, float], ...]
    # Road gaze zone: head yaw/pitch (degrees) around the driver's own straight-ahead pose.
    road_yaw_deg: tuple[float, float] = (-30.0, 30.0)
    road_pitch_deg: tuple[float, float] = (-20.0, 20.0)
    # The driver's straight-ahead head pose expected for this mount, (yaw, pitch) in degrees
    # relative to the camera, and how far from it a pose may still be learned as straight ahead
    # (docs/perception.md, head_reference.py). A frontal camera sees straight ahead near (0, 0).
    forward_deg: tuple[float, float] = (0.0, 0.0)
    forward_tolerance_deg: tuple[float, float] = (30.0, 20.0)
    drive_side: str = "left"  # "left" = left-hand drive (driver sits on the left of the car)
    view: str = "frontal"  # "frontal" (camera faces the driver) or "side"

    def contains(self, region: str, x: float, y: float) -> bool:
        """Is the normalised point (x, y) inside the named polygon ("wheel" or "console")?"""
        return point_in_polygon(x, y, getattr(self, region))

    def placed_on(self, area: PictureArea) -> CameraProfile:
        """The profile with its regions moved from picture to frame coordinates: drawn on the camera's
        picture, they stay on it when the frame holds it inside black bars (perception/picture_area)."""
        if area.whole_frame:
            return self
        wheel = tuple(area.to_frame(x, y) for x, y in self.wheel)
        return replace(self, wheel=wheel, console=tuple(area.to_frame(x, y) for x, y in self.console))

    def to_dict(self) -> dict:
        return asdict(self)

    def save(self, path: str | Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(self.to_dict(), indent=2))

    @staticmethod
    def from_dict(data: dict, origin: str = "profile") -> CameraProfile:
        """The profile a JSON object describes; InputError(origin, 'key: problem') for the first
        value of the wrong kind (a pair written as text, a bool, a list of the wrong length, a
        point outside the picture), never a value read character by character."""
        for key in ("wheel", "console"):
            if key not in data:
                raise InputError(origin, f"camera profile lacks the {key!r} polygon")
        # What the file leaves out keeps the dataclass default (written once, above).
        pairs = {key: _pair(origin, key, data[key], labels) for key, labels in PAIRS.items() if key in data}
        words = {key: _word(origin, key, data[key], allowed) for key, allowed in WORDS.items() if key in data}
        name = data.get("name", origin)
        if not isinstance(name, str):
            raise InputError(origin, f"name: must be text, not {shown_value(name)}")
        profile = CameraProfile(
            name=name,
            wheel=_polygon(origin, "wheel", data["wheel"]),
            console=_polygon(origin, "console", data["console"]),
            **pairs,
            **words,
        )
        for key in ("road_yaw_deg", "road_pitch_deg"):
            low, high = getattr(profile, key)
            if not low < high:
                raise InputError(origin, f"{key}: low ({low:g}) must be below high ({high:g})")
        if min(profile.forward_tolerance_deg) <= 0:
            raise InputError(origin, "forward_tolerance_deg: both angles must be positive")
        return profile

    @staticmethod
    def load(path: str | Path | None = None) -> CameraProfile:
        path = Path(path) if path else DEFAULT_PROFILE_PATH
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except FileNotFoundError:
            raise InputError(path, "camera profile not found") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(path, f"camera profile is not valid JSON ({exc})") from None
        if not isinstance(data, dict):
            raise InputError(path, "camera profile must be a JSON object")
        return CameraProfile.from_dict(data, origin=str(path))


def _pair(origin: str, key: str, value: object, labels: str) -> tuple[float, float]:
    if not (isinstance(value, list | tuple) and len(value) == 2 and all(is_json_number(v) for v in value)):
        problem = f"must be two finite angles {labels} in degrees, not {shown_value(value)}"
        raise InputError(origin, f"{key}: {problem}")
    return float(value[0]), float(value[1])


def _word(origin: str, key: str, value: object, allowed: tuple[str, ...]) -> str:
    if value not in allowed or not isinstance(value, str):
        choices = " or ".join(repr(word) for word in allowed)
        raise InputError(origin, f"{key}: must be {choices}, not {shown_value(value)}")
    return value


def _polygon(origin: str, key: str, points: object) -> tuple[tuple[float, float], ...]:
    """At least 3 [x, y] points, each a pair of numbers in normalised picture coordinates."""
    if not isinstance(points, list | tuple):
        raise InputError(origin, f"{key}: must be a list of [x, y] points, not {shown_value(points)}")
    if len(points) < 3:
        raise InputError(origin, f"{key}: a region needs at least 3 points, not {len(points)}")
    for i, point in enumerate(points):
        pair = isinstance(point, list | tuple) and len(point) == 2
        if not (pair and all(is_json_number(v) for v in point)):
            problem = f"point {i + 1} must be two finite numbers [x, y], not {shown_value(point)}"
            raise InputError(origin, f"{key}: {problem}")
        if not all(POINT_RANGE[0] <= v <= POINT_RANGE[1] for v in point):
            raise InputError(origin, f"{key}: point {i + 1} {point} is outside the picture "
                                     "(normalised image coordinates, 0..1)")
    return tuple((float(x), float(y)) for x, y in points)


def point_in_polygon(x: float, y: float, poly) -> bool:
    """Even-odd rule; fine for the few small polygons of a profile."""
    pts = np.asarray(poly, dtype=float)
    inside = False
    j = len(pts) - 1
    for i in range(len(pts)):
        xi, yi = pts[i]
        xj, yj = pts[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside
