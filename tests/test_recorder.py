"""Event media: thumbnails and clips with pre/post-roll, and face blurring, on a real clip."""

from dataclasses import replace

import av
import cv2
import numpy as np
import pytest
from conftest import VIDEO

from dms.core.config import Settings
from dms.core.profile import CameraProfile
from dms.core.types import Cues, Event, EventUpdate, FrameResult, Scores
from dms.perception.cues import LandmarkCues
from dms.recorder.event_media import EventMediaRecorder, blur_faces
from dms.sources.readers import open_source


@pytest.fixture(scope="module")
def night_frames():
    """The first 6 s of the night clip at 10 Hz with their real landmark cues."""
    landmarks = LandmarkCues(CameraProfile.load(), Settings())
    with open_source(VIDEO / "ir_night_drowsy.mp4") as source, landmarks as cues:
        return [(frame, cues(frame)) for frame in source if frame.t < 6.0]


def face_box(image, cues: Cues):
    h, w = image.shape[:2]
    pts = cues.landmarks.face[:, :2]
    (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
    return int(x0 * w), int(y0 * h), int(x1 * w), int(y1 * h)


def sharpness(image) -> float:
    return float(cv2.Laplacian(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var())


def test_face_blur_smooths_the_face_and_leaves_the_rest(night_frames):
    frame, cues = night_frames[10]
    blurred = blur_faces(frame.image, cues.landmarks)
    x0, y0, x1, y1 = face_box(frame.image, cues)
    assert sharpness(blurred[y0:y1, x0:x1]) < 0.3 * sharpness(frame.image[y0:y1, x0:x1])
    assert np.array_equal(blurred[:, : max(1, x0 - 80)], frame.image[:, : max(1, x0 - 80)])
    assert blur_faces(frame.image, Cues().landmarks) is frame.image  # nothing found: unchanged


def run_recorder(tmp_path, frames, blur: bool):
    saved = {}

    def note(media) -> None:
        for item in media:
            thumb, clip = saved.get(item.event_id, (None, None))
            saved[item.event_id] = (item.thumbnail or thumb, item.clip or clip)

    recorder = EventMediaRecorder(tmp_path, pre_roll_s=1.0, post_roll_s=0.5, fps=10, blur=blur)
    event = Event("ev1", "eyes_closed", 3.0, 3.0, "info", 1.0, 1.0)
    for frame, cues in frames:
        updates = ()
        if frame.t == pytest.approx(3.0, abs=0.05):
            updates = (EventUpdate("open", event),)
        elif frame.t == pytest.approx(4.0, abs=0.05):
            updates = (EventUpdate("close", replace(event, end_s=4.0)),)
        note(recorder.on_frame(FrameResult(frame, cues, None, Scores(frame.index, frame.t, {}, {}), updates)))
    note(recorder.finish(frames[-1][0].t))
    assert not recorder.pending()
    return saved


def test_clip_covers_pre_roll_to_post_roll_and_thumbnail_is_written(tmp_path, night_frames):
    saved = run_recorder(tmp_path, night_frames, blur=False)
    thumb, clip = saved["ev1"]
    assert (tmp_path / thumb).stat().st_size > 1000
    with av.open(str(tmp_path / clip)) as container:
        frames = list(container.decode(video=0))
    assert 23 <= len(frames) <= 27  # from 1 s before the start (2.0 s) to 0.5 s after the end (4.5 s)
    assert frames[0].width == 450 and frames[0].format.name == "yuv420p"


def test_blurred_media_hide_the_face(tmp_path, night_frames):
    plain = run_recorder(tmp_path / "plain", night_frames, blur=False)["ev1"][0]
    blurred = run_recorder(tmp_path / "blur", night_frames, blur=True)["ev1"][0]
    a, b = cv2.imread(str(tmp_path / "plain" / plain)), cv2.imread(str(tmp_path / "blur" / blurred))
    frame, cues = [fc for fc in night_frames if fc[0].t == pytest.approx(3.0, abs=0.05)][0]
    x0, y0, x1, y1 = face_box(a, cues)
    assert sharpness(b[y0:y1, x0:x1]) < 0.3 * sharpness(a[y0:y1, x0:x1])
