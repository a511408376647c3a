"""The measurements behind the landmark trust limits (docs/perception.md, "How small a face" and
"Eyes not visible"), on the shared clips:

    .venv/bin/python scripts/measure_landmark_trust.py size ../shared/data   # a few minutes
    .venv/bin/python scripts/measure_landmark_trust.py eyes ../shared/data

`size`: every clip of DATA/video shrunk into a plain grey frame (scales 1 to 0.25, as the round-3
fault `smallface_center.mp4` is made); the pose's head yaw and the face-mesh yaw of each frame
against the same frame's face-mesh yaw at full size, binned by face size in pixels.
`eyes`: the eye region against the skin (dms/perception/eye_visibility.py) on clips with visible
eyes, the round-3 sunglasses fault, the real sunglasses of side_montage_b, and lenses and glare
drawn over the eyes of the clips where the clean frame's mesh places them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dms.core.config import Settings  # noqa: E402
from dms.perception.cuts import CutDetector  # noqa: E402
from dms.perception.eye_visibility import eye_regions, eye_views  # noqa: E402
from dms.perception.face_ratios import to_pixels  # noqa: E402
from dms.perception.head_pose import head_angles  # noqa: E402
from dms.perception.head_turn import pose_yaw  # noqa: E402
from dms.perception.person_size import mesh_face_px, pose_face_px  # noqa: E402
from dms.perception.runner import Detections, MediaPipeRunner  # noqa: E402
from dms.sources.readers import open_source  # noqa: E402

SCALES = (1.0, 0.6, 0.45, 0.35, 0.25)
POSE_BINS = (0, 10, 15, 20, 25, 30, 40, 60, 90, 10_000)
MESH_BINS = (0, 30, 40, 60, 10_000)
FIT_ERROR = 0.25  # as dms.perception.cues.MAX_FIT_ERROR
RELIABLE_YAW = 45.0  # truth only where the full-size mesh is reliable (head_turn.MESH_RELIABLE_DEG)
EYES_YAW = 50.0  # lids are read only within this yaw (cues.EYES_MEASURABLE_YAW_DEG)


def analysis_frames(path: Path) -> list:
    with open_source(path, analysis_fps=Settings.analysis_fps) as source:
        return list(source)


def landmarks_of(images: list[tuple[float, np.ndarray]]) -> list[Detections]:
    """MediaPipe on each picture in order, cuts through the still-image graphs, as the stage does."""
    runner, cuts, found = MediaPipeRunner(), CutDetector(), []
    for t, image in images:
        found.append(runner(image, continuous=not cuts.is_cut(image, t), t=t))
    runner.close()
    return found


def far_camera(image: np.ndarray, scale: float) -> np.ndarray:
    if scale >= 1.0:
        return image
    canvas = np.full_like(image, 128)
    small = cv2.resize(image, (int(image.shape[1] * scale), int(image.shape[0] * scale)),
                       interpolation=cv2.INTER_AREA)
    y0, x0 = (image.shape[0] - small.shape[0]) // 2, (image.shape[1] - small.shape[1]) // 2
    canvas[y0:y0 + small.shape[0], x0:x0 + small.shape[1]] = small
    return canvas


def mesh_yaw(found: Detections) -> float | None:
    if found.landmarks.face is None:
        return None
    angles = head_angles(found.landmarks.face, found.width, found.height)
    return None if angles is None or angles.error > FIT_ERROR else angles.yaw_deg


def measure_size(data: Path) -> None:
    pose_rows, mesh_rows = [], []  # (size px, error deg, yaw read)
    for clip in sorted((data / "video").glob("*.mp4")):
        frames = analysis_frames(clip)
        truth = None
        for scale in SCALES:
            found = landmarks_of([(f.t, far_camera(f.image, scale)) for f in frames])
            if truth is None:
                truth = [mesh_yaw(d) for d in found]
            for d, true_yaw in zip(found, truth, strict=True):
                if true_yaw is None or abs(true_yaw) >= RELIABLE_YAW:
                    continue
                turn = pose_yaw(d.landmarks.pose, d.width, d.height)
                size = pose_face_px(d.landmarks.pose, d.width, d.height) if turn is not None else None
                if size is not None:
                    pose_rows.append((size, turn - true_yaw, turn))
                yaw = mesh_yaw(d)
                if yaw is not None:
                    mesh_rows.append((mesh_face_px(d.landmarks.face, d.width, d.height), yaw - true_yaw, yaw))
            print(f"{clip.name} at {scale}: done", file=sys.stderr)
    table("face height the pose implies", pose_rows, POSE_BINS)
    table("face-mesh height", mesh_rows, MESH_BINS)


def table(title: str, rows: list[tuple[float, float, float]], bins: tuple[int, ...]) -> None:
    print(f"\n| {title} (px) | frames | yaw error median | p90 | error > 20 deg | read >= 60 deg |")
    print("| --- | --- | --- | --- | --- | --- |")
    data = np.array(rows, dtype=float).reshape(-1, 3)
    for low, high in zip(bins[:-1], bins[1:], strict=True):
        part = data[(data[:, 0] >= low) & (data[:, 0] < high)]
        if not len(part):
            continue
        error = np.abs(part[:, 1])
        print(f"| {low}-{high} | {len(part)} | {np.median(error):.1f} | {np.percentile(error, 90):.1f} | "
              f"{np.mean(error > 20) * 100:.0f} % | {int(np.sum(np.abs(part[:, 2]) >= 60))} |")


def lenses(image: np.ndarray, face_px: np.ndarray, kind: str) -> np.ndarray:
    """Black or tinted lenses (with a reflection), or a glare spot, where the mesh puts the eyes."""
    image = image.copy()
    for outer, inner in ((33, 133), (263, 362)):
        a, b = face_px[outer, :2], face_px[inner, :2]
        centre = tuple(int(v) for v in (a + b) / 2)
        width = float(np.linalg.norm(a - b))
        if kind == "glare":
            cv2.ellipse(image, centre, (int(width * 0.8), int(width * 0.5)), 0, 0, 360, (255, 255, 255), -1)
            continue
        colour = (0, 0, 0) if kind == "black" else (45, 40, 38)
        cv2.ellipse(image, centre, (int(width), int(width * 0.75)), 0, 0, 360, colour, -1)
        if kind == "tinted":
            cv2.ellipse(image, (centre[0] - int(width / 3), centre[1] - int(width / 4)),
                        (max(1, int(width / 5)), max(1, int(width / 6))), -20, 0, 360, (160, 160, 160), -1)
    return image


def measure_eyes(data: Path) -> None:
    cases = [
        ("video/day_eating.mp4", ("none", "tinted")),
        ("video/dusk_yawning.mp4", ("none", "tinted", "black")),
        ("video/ir_night_drowsy.mp4", ("none", "black", "glare")),
        ("video/side_montage_b.mp4", ("none",)),
        ("faults/round3/ir_sunglasses.mp4", ("none",)),
    ]
    print("| clip | drawn on | frames | region median / skin: min - median - max | both hidden | any |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, kinds in cases:
        frames = analysis_frames(data / name)
        clean = landmarks_of([(f.t, f.image) for f in frames])
        for kind in kinds:
            images = [(f.t, f.image) for f in frames]
            if kind != "none":
                images = [(f.t, lenses(f.image, to_pixels(d.landmarks.face, d.width, d.height), kind))
                          for f, d in zip(frames, clean, strict=True) if d.landmarks.face is not None]
            found = clean if kind == "none" else landmarks_of(images)
            shares, both, either = [], [], []
            for (_, image), d in zip(images, found, strict=True):
                yaw = mesh_yaw(d)
                if yaw is None or abs(yaw) > EYES_YAW:
                    continue
                gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
                face_px = to_pixels(d.landmarks.face, d.width, d.height)
                regions = eye_regions(gray, face_px)
                shares += [r.median_share for r in regions if r is not None and r.median_share is not None]
                hidden = [not v.visible for v in eye_views(gray, face_px, d.landmarks)]
                both.append(all(hidden))
                either.append(any(hidden))
            if shares:
                print(f"| {name} | {kind} | {len(both)} | {min(shares):.2f} - {np.median(shares):.2f} - "
                      f"{max(shares):.2f} | {np.mean(both) * 100:.0f} % | {np.mean(either) * 100:.0f} % |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("size", "eyes"))
    parser.add_argument("data", type=Path, help="the shared data folder (../shared/data)")
    args = parser.parse_args()
    (measure_size if args.what == "size" else measure_eyes)(args.data)


if __name__ == "__main__":
    main()
