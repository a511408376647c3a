"""Head-pose calibration on real footage: a drive that opens with the driver turned away.

The clip is spliced in a temporary folder from the shared dusk clip: its two labelled head turns
(30-40 degrees to the driver's right, 9.05-10.40 s and 16.75-17.90 s) played forwards and
backwards make a 6 s opening turned away, followed by the first 8.8 s of the clip, where the
driver looks ahead. A reference learned from the first seconds (the old calibration) takes the
turn for straight ahead and never sees it; the calibration must flag the whole opening turn.
"""

from pathlib import Path

import av
import cv2
import pytest

from dms.core.config import Settings
from dms.core.profile import CameraProfile
from dms.pipeline.build import build_pipeline
from dms.sources.readers import open_source

DUSK = Path(__file__).resolve().parents[2] / "shared" / "data" / "video" / "dusk_yawning.mp4"
FPS = 25
TURNS = ((9.2, 10.3), (16.9, 17.8))  # inside the labelled turns, away from their edges
AHEAD = (0.0, 8.8)
# This camera sits about 20 degrees to the driver's left of straight ahead (the dusk clip's
# camera-relative yaw while the driver looks at the road is -20 to -25 degrees).
DUSK_PROFILE = {
    "name": "dusk clip mount",
    "wheel": [[0.1, 0.8], [0.9, 0.8], [0.9, 1.0], [0.1, 1.0]],
    "console": [[0.0, 0.9], [0.1, 0.9], [0.1, 1.0], [0.0, 1.0]],
    "forward_deg": [-20.0, 0.0],
    "forward_tolerance_deg": [20.0, 20.0],
}


def frames_between(path: Path, start: float, end: float) -> list:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        out = []
        for frame in container.decode(stream):
            t = float(frame.pts * stream.time_base)
            if start <= t < end:
                image = frame.to_ndarray(format="bgr24")
                out.append(cv2.resize(image, (640, 360), interpolation=cv2.INTER_AREA))
            elif t >= end:
                break
        return out


@pytest.fixture(scope="module")
def opening_turned(tmp_path_factory) -> tuple[Path, float]:
    """The spliced drive and the length of its turned opening (s)."""
    opening = []
    for start, end in TURNS:
        turn = frames_between(DUSK, start, end)
        opening += turn + turn[::-1] + turn + turn[::-1]
    ahead = frames_between(DUSK, *AHEAD)
    path = tmp_path_factory.mktemp("spliced") / "opening_turned.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = 640, 360, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "18"}
        for image in opening + ahead:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")))
        container.mux(stream.encode())
    return path, len(opening) / FPS


def replay(path: Path, profile: CameraProfile):
    settings = Settings()
    pipeline, _ = build_pipeline(settings, profile)
    with open_source(path, analysis_fps=settings.analysis_fps) as source:
        summary = pipeline.run(source)
    pipeline.landmarks.close()
    return summary


def test_a_drive_that_opens_turned_away_raises_eyes_off_road_for_the_turn(opening_turned):
    path, turned_s = opening_turned
    assert turned_s > 5.0
    summary = replay(path, CameraProfile.from_dict(DUSK_PROFILE))
    off_road = [e for e in summary.events if e.behaviour == "eyes_off_road"]
    covered = sum(max(0.0, min(e.end_s, turned_s) - e.start_s) for e in off_road)
    assert covered >= 0.8 * turned_s, [(e.start_s, e.end_s) for e in off_road]
    # looking ahead afterwards is on the road once the driver's own straight ahead is learned
    assert not [e for e in off_road if e.start_s > turned_s + 1.0], [(e.start_s, e.end_s) for e in off_road]
    head = summary.perception["head_reference"]
    assert head["reference"] == "driver" and head["camera_reference_s"] >= turned_s - 0.5
    assert head["straight_ahead_deg"][0] == pytest.approx(-22.0, abs=5.0)
