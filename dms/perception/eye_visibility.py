"""Can the eyes be seen at all? Sunglasses, a hand or hair over the eyes, glare on glasses.

MediaPipe's face mesh always places eyelids, also behind opaque lenses: on the round-3 fault
`ir_sunglasses.mp4` it read the eyes "open" on every frame and both real closures were missed.
So before the lids are read, each eye's region (the box around its corners, 1.4 eye widths wide
and 0.9 high: lids, lashes and the socket) is checked in the picture against the driver's own
skin (small patches on both cheeks, the nose tip and the forehead), which makes the measure
independent of exposure, camera and skin tone:

* **covered**: the region is much darker than the skin (median below `DARK_SHARE` of the skin's:
  a dark lens, with its reflections, or hair), or darker and flat (median below `DIM_SHARE` and
  the 10-90 % grey-level range below `FLAT_SHARE` of the skin level: a lighter, uniform lens).
  An eye in a shadowed socket is darker than the cheeks too (down to 0.49 of them on the dusk
  clip), but its sclera, iris and lid line keep a wide range of grey levels (0.17 or more there);
  a closed eye is skin coloured;
* **glare**: more than `GLARE_SHARE` of the region saturated (grey level >= 250), as an infrared
  illuminator's reflection on glasses;
* **hand**: a point of a hand the hand model found lies inside the region.

An eye that is covered, in glare or under a hand is hidden; its lids are not read. The limits
are set between the values measured on the shared clips where the eyes are visible (day, dusk,
infrared night, their closures included) and those behind lenses and glare (the round-3 fault,
lenses and glare drawn over the shared clips, and the real sunglasses of `side_montage_b`):
docs/perception.md, "Eyes not visible".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dms.core.types import Landmarks

DARK_SHARE = 0.4  # eye-region median / skin median below this: covered
DIM_SHARE = 0.55  # below this and flat: covered
FLAT_SHARE = 0.1  # eye-region 10-90 % grey-level range / skin median below this: flat
GLARE_SHARE = 0.3  # share of saturated pixels in the eye region above this: glare
SATURATED = 250
REGION_WIDTH = 1.4  # eye region, in eye widths (corner to corner), centred on the eye
REGION_HEIGHT = 0.9
SKIN_POINTS = (50, 280, 205, 425, 4, 151)  # face-mesh points on both cheeks (two each), nose tip, forehead
SKIN_PATCH = 0.04  # half-size of each skin patch, in face heights
# (outer corner, inner corner) of the driver's right and left eye in the 468/478-point mesh
EYE_CORNERS = ((33, 133), (263, 362))


@dataclass(frozen=True)
class EyeRegion:
    """One eye's region measured against the driver's skin: its median and 10-90 % grey-level
    range as shares of the skin's median grey level (None when no skin patch lies in the
    picture), the share of saturated pixels, and the region's box (x0, y0, x1, y1) in pixels."""

    median_share: float | None
    range_share: float | None
    saturated_share: float
    box: tuple[int, int, int, int]


@dataclass(frozen=True)
class EyeView:
    """What hides one eye, if anything: None, "covered", "glare" or "hand"."""

    hidden_by: str | None

    @property
    def visible(self) -> bool:
        return self.hidden_by is None


def eye_regions(gray: np.ndarray, face_px: np.ndarray) -> tuple[EyeRegion | None, EyeRegion | None]:
    """(right eye, left eye) regions of the driver; None for a region with too few pixels to say
    (the face size checks, person_size.py, judge such faces). `gray`: the picture the mesh was
    found on (uint8, H x W); `face_px`: the mesh in its pixels (N, >= 2)."""
    skin = _skin_level(gray, face_px)
    regions = []
    for outer, inner in EYE_CORNERS:
        box = _eye_box(face_px[outer, :2], face_px[inner, :2], gray.shape)
        x0, y0, x1, y1 = box
        region = gray[y0:y1, x0:x1]
        if region.size < 9:
            regions.append(None)
            continue
        low, median, high = (float(v) for v in np.percentile(region, (10, 50, 90)))
        known = skin is not None and skin > 0
        regions.append(EyeRegion(median / skin if known else None, (high - low) / skin if known else None,
                                 float((region >= SATURATED).mean()), box))
    return regions[0], regions[1]


def eye_views(gray: np.ndarray, face_px: np.ndarray, landmarks: Landmarks) -> tuple[EyeView, EyeView]:
    """(right eye, left eye) of the driver: whether each can be seen (arguments as `eye_regions`;
    `landmarks` for the hands, normalised)."""
    hands = [h[:, :2] * (gray.shape[1], gray.shape[0]) for h in (landmarks.left_hand, landmarks.right_hand)
             if h is not None]
    views = tuple(EyeView(_hidden_by(region, hands)) for region in eye_regions(gray, face_px))
    return views[0], views[1]


def _hidden_by(region: EyeRegion | None, hands: list[np.ndarray]) -> str | None:
    if region is None:
        return None
    x0, y0, x1, y1 = region.box
    for hand in hands:
        if ((hand[:, 0] >= x0) & (hand[:, 0] < x1) & (hand[:, 1] >= y0) & (hand[:, 1] < y1)).any():
            return "hand"
    if region.saturated_share > GLARE_SHARE:
        return "glare"
    if region.median_share is None:
        return None
    dim_and_flat = region.median_share < DIM_SHARE and region.range_share < FLAT_SHARE
    return "covered" if region.median_share < DARK_SHARE or dim_and_flat else None


def _eye_box(outer: np.ndarray, inner: np.ndarray, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    centre = (outer + inner) / 2.0
    width = float(np.linalg.norm(outer - inner))
    half_w, half_h = REGION_WIDTH * width / 2.0, REGION_HEIGHT * width / 2.0
    x0, x1 = int(max(0.0, centre[0] - half_w)), int(min(shape[1], centre[0] + half_w + 1))
    y0, y1 = int(max(0.0, centre[1] - half_h)), int(min(shape[0], centre[1] + half_h + 1))
    return x0, y0, max(x0, x1), max(y0, y1)


def _skin_level(gray: np.ndarray, face_px: np.ndarray) -> float | None:
    """Median grey level of the skin patches (None when none lies in the picture)."""
    face_height = float(np.linalg.norm(face_px[10, :2] - face_px[152, :2]))
    half = max(2, int(round(SKIN_PATCH * face_height)))
    levels = []
    for i in SKIN_POINTS:
        x, y = int(round(face_px[i, 0])), int(round(face_px[i, 1]))
        patch = gray[max(0, y - half):max(0, y + half + 1), max(0, x - half):max(0, x + half + 1)]
        if patch.size:
            levels.append(float(np.median(patch)))
    return float(np.median(levels)) if levels else None
