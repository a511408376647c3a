"""Camera profile: where the wheel, the console and the road gaze zone are for one camera mount.

A small JSON file a user can write or edit (or draw in the GUI's calibration view). Regions are
polygons in normalised image coordinates (x right, y down, 0..1).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from dms.errors import InputError

DEFAULT_PROFILE_PATH = Path(__file__).resolve().parent.parent / "data" / "profile_frontal.json"


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

    def to_dict(self) -> dict:
        return asdict(self)

    def save(self, path: str | Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(self.to_dict(), indent=2))

    @staticmethod
    def from_dict(data: dict, origin: str = "profile") -> CameraProfile:
        # What the file leaves out keeps the dataclass default (written once, above).
        pairs = ("road_yaw_deg", "road_pitch_deg", "forward_deg", "forward_tolerance_deg")
        angles = {key: data[key] for key in pairs if key in data}
        words = {key: str(data[key]) for key in ("drive_side", "view") if key in data}
        try:
            optional = {**{key: tuple(float(v) for v in pair) for key, pair in angles.items()}, **words}
            profile = CameraProfile(
                name=str(data.get("name", origin)),
                wheel=_polygon(data["wheel"], "wheel"),
                console=_polygon(data["console"], "console"),
                **optional,
            )
        except KeyError as exc:
            raise InputError(origin, f"camera profile lacks the {exc.args[0]!r} polygon") from None
        except (TypeError, ValueError) as exc:
            raise InputError(origin, f"bad camera profile: {exc}") from None
        for key in ("road_yaw_deg", "road_pitch_deg"):
            pair = getattr(profile, key)
            if len(pair) != 2 or not all(np.isfinite(pair)):
                raise InputError(origin, f"{key}: must be two finite angles [low, high], not {list(pair)}")
            if not pair[0] < pair[1]:
                raise InputError(origin, f"{key}: low ({pair[0]:g}) must be below high ({pair[1]:g})")
        for key in ("forward_deg", "forward_tolerance_deg"):
            pair = getattr(profile, key)
            if len(pair) != 2 or not all(np.isfinite(pair)):
                raise InputError(origin, f"{key}: must be two finite angles [yaw, pitch], not {list(pair)}")
        if min(profile.forward_tolerance_deg) <= 0:
            raise InputError(origin, "forward_tolerance_deg: both angles must be positive")
        if profile.drive_side not in ("left", "right"):
            raise InputError(origin, "drive_side must be 'left' or 'right'")
        if profile.view not in ("frontal", "side"):
            raise InputError(origin, "view must be 'frontal' or 'side'")
        return profile

    @staticmethod
    def load(path: str | Path | None = None) -> CameraProfile:
        path = Path(path) if path else DEFAULT_PROFILE_PATH
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise InputError(path, "camera profile not found") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(path, f"camera profile is not valid JSON ({exc})") from None
        if not isinstance(data, dict):
            raise InputError(path, "camera profile must be a JSON object")
        return CameraProfile.from_dict(data, origin=str(path))


def _polygon(points, key: str) -> tuple[tuple[float, float], ...]:
    try:
        poly = tuple((float(x), float(y)) for x, y in points)
    except (TypeError, ValueError):
        raise ValueError(f"{key}: must be a list of [x, y] points, not {points!r}") from None
    if len(poly) < 3:
        raise ValueError(f"{key}: a region needs at least 3 points, not {len(poly)}")
    if not all(-0.5 <= v <= 1.5 for p in poly for v in p):
        raise ValueError(f"{key}: points must be finite normalised image coordinates (0..1)")
    return poly


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
