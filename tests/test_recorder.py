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


def synthetic(n: int, evidence_at) -> list[FrameResult]:
    """n frames at 10 Hz, each a flat grey of its own index (so a written picture names its frame),
    with `evidence_at(t)` as the raw phone evidence and a smoothed score that lags it."""
    from dms.core.types import Frame

    results = []
    for i in range(n):
        t = round(i / 10, 3)
        image = np.full((120, 160, 3), 2 * i, np.uint8)
        raw = evidence_at(t)
        scores = Scores(i, t, {"phone": 0.0}, {}, evidence={"phone": raw})
        results.append(FrameResult(Frame(i, t, image), Cues(), None, scores))
    return results


def frame_index(path) -> int:
    return round(float(cv2.imread(str(path)).mean()) / 2)


def drive_recorder(tmp_path, frames, updates_at: dict, **kwargs):
    recorder = EventMediaRecorder(tmp_path, pre_roll_s=1.0, post_roll_s=0.5, fps=10, **kwargs)
    saved = []
    for result in frames:
        updates = tuple(updates_at.get(result.frame.index, ()))
        saved += recorder.on_frame(replace(result, updates=updates))
    saved += recorder.finish(frames[-1].frame.t)
    return saved


def test_the_thumbnail_is_the_peak_evidence_inside_the_span_and_the_pre_roll_precedes_the_start(tmp_path):
    # phone seen 1.0-3.0 s, strongest 1.4-1.6 s; announced late (at 3.0 s, as a 5 s hands-off or a
    # cool-down would), then the picture changes (the next cut) while the smoothed score lags
    frames = synthetic(60, lambda t: 1.0 if 1.4 <= t <= 1.6 else 0.7 if 1.0 <= t < 3.0 else 0.0)
    event = Event("ev", "phone", 1.0, 2.9, "info", 1.0, 1.0)
    updates = {30: [EventUpdate("open", event)], 36: [EventUpdate("close", replace(event, end_s=3.0))]}
    saved = drive_recorder(tmp_path, frames, updates, lookback_s=2.5)
    first = next(m for m in saved if m.thumbnail)
    assert first.thumbnail_s == pytest.approx(1.5)  # the middle of the peak, not the announcing frame
    assert frame_index(tmp_path / first.thumbnail) == 15
    clip = next(m.clip for m in saved if m.clip)
    with av.open(str(tmp_path / clip)) as container:
        decoded = list(container.decode(video=0))
    assert len(decoded) == 36  # 0.0 s (1 s before the start) to 3.5 s (0.5 s after the end)
    assert round(float(decoded[0].to_ndarray(format="bgr24").mean()) / 2) == 0
    # without the look-back the buffer would have started at 2.0 s: after the event's start
    short = drive_recorder(tmp_path / "short", frames, updates)
    assert next(m for m in short if m.thumbnail).thumbnail_s >= 2.0


def test_a_stronger_frame_later_in_the_span_replaces_the_thumbnail_but_not_one_after_the_end(tmp_path):
    # 0.6 from 1.0 s, 0.8 at 2.4-2.6 s; after the end (3.0 s) but before the close is known (3.5 s),
    # a 1.0 at 3.2-3.4 s (the score lags into the next cut): not the event's picture
    frames = synthetic(60, lambda t: 0.8 if 2.4 <= t <= 2.6 else 1.0 if 3.2 <= t <= 3.4 else
                       0.6 if 1.0 <= t < 3.0 else 0.0)
    event = Event("ev", "phone", 1.0, 2.0, "info", 1.0, 1.0)
    updates = {20: [EventUpdate("open", event)], 35: [EventUpdate("close", replace(event, end_s=3.0))]}
    saved = drive_recorder(tmp_path, frames, updates, lookback_s=2.5)
    shown = [m.thumbnail_s for m in saved if m.thumbnail_s is not None]
    assert shown[0] == pytest.approx(1.5)  # at the open: the middle of the 0.6 plateau 1.0-2.0 s
    assert shown[-1] == pytest.approx(2.4)  # at the end: the first frame of the stronger 2.4-2.6 s
    assert frame_index(tmp_path / saved[-1].thumbnail) == 24
