"""Issue 19, a picture inside black bars: a 4:3 camera pillarboxed in a 16:9 file (side_montage_a.mp4)
and the other members of the kind made here (letterbox, a logo burnt into a bar, a fade from black,
a cut between framings). The profile's regions are placed on the picture, not on the bars, in the
analysis and in the GUI's views."""

from __future__ import annotations

import av
import cv2
import numpy as np
import pytest
from conftest import SHARED, VIDEO
from PyQt5.QtCore import QPointF

from dms.core.config import Settings
from dms.core.profile import CameraProfile
from dms.core.types import Cues, Frame, FrameResult, PictureArea, Scores
from dms.perception.cues import LandmarkCues
from dms.perception.picture_area import PictureAreaFinder
from dms.sources.readers import open_source
from ui.calibration import CalibrationDialog
from ui.image import bgr_to_qimage
from ui.video_view import VideoView

SIDE = CameraProfile.load("data/profile_side.json")
PILLARBOX = PictureArea(0.125, 0.0, 0.875, 1.0)  # 4:3 in 16:9: 240 of 1920 px black on either side


@pytest.fixture(scope="module")
def picture():
    """A real 4:3 camera picture: the middle of base_day4.mp4's first frame, 480x360."""
    with av.open(str(SHARED / "faults" / "base_day4.mp4")) as container:
        image = next(container.decode(video=0)).to_ndarray(format="bgr24")
    return cv2.resize(np.ascontiguousarray(image[:, 160:1120]), (480, 360), interpolation=cv2.INTER_AREA)


def boxed(image, width, height):
    """The picture centred in a black frame of width x height (pillarbox or letterbox)."""
    frame = np.zeros((height, width, 3), np.uint8)
    top, left = (height - image.shape[0]) // 2, (width - image.shape[1]) // 2
    frame[top:top + image.shape[0], left:left + image.shape[1]] = image
    return frame


def area_of(*images) -> PictureArea:
    finder = PictureAreaFinder()
    for image in images:
        area = finder.update(image)
    return area


def assert_area(area, expected, abs_=0.005):
    assert (area.left, area.top, area.right, area.bottom) == pytest.approx(
        (expected.left, expected.top, expected.right, expected.bottom), abs=abs_)


def test_the_side_montages_are_found_pillarboxed():
    for clip in ("side_montage_a", "side_montage_b"):
        with open_source(VIDEO / f"{clip}.mp4", analysis_fps=2) as source:
            assert_area(area_of(*[f.image for f in source]), PILLARBOX)


def test_clips_without_bars_are_the_whole_frame():
    for clip in ("day_eating.mp4", "dusk_yawning.mp4", "ir_night_drowsy.mp4", "statefarm_slideshow.avi"):
        with open_source(VIDEO / clip, analysis_fps=1) as source:
            assert area_of(*[f.image for f in source]).whole_frame, clip


def test_every_member_of_the_kind(picture):
    assert_area(area_of(boxed(picture, 640, 360)), PILLARBOX)  # 4:3 in 16:9
    wide = cv2.resize(picture, (480, 270))
    assert_area(area_of(boxed(wide, 480, 360)), PictureArea(0.0, 0.125, 1.0, 0.875))  # 16:9 in 4:3
    both = boxed(cv2.resize(picture, (400, 300)), 480, 360)  # windowbox: bars on all four sides
    assert_area(area_of(both), PictureArea(40 / 480, 30 / 360, 440 / 480, 330 / 360))
    logo = boxed(picture, 640, 360)
    cv2.putText(logo, "videocandy.com", (430, 345), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 2)
    assert_area(area_of(logo), PILLARBOX)  # a logo burnt over the right bar


def test_dark_edges_that_are_not_a_pair_of_bars_are_the_whole_frame(picture):
    scene = cv2.resize(picture, (640, 360))
    one_side = scene.copy()
    one_side[:, :100] = 0  # a dark door pillar on one side only
    assert area_of(one_side).whole_frame
    thin = boxed(cv2.resize(picture, (628, 360)), 640, 360)  # 6 px each side: less than 2 %
    assert area_of(thin).whole_frame
    assert area_of(np.zeros((360, 640, 3), np.uint8)).whole_frame  # black: nothing to place on


def test_a_fade_from_black_finds_the_bars_once_the_picture_shows(picture):
    finder = PictureAreaFinder()
    assert finder.update(np.zeros((360, 640, 3), np.uint8)).whole_frame
    dim = (boxed(picture, 640, 360) * 0.3).astype(np.uint8)  # rising out of black: not all of it yet
    finder.update(dim)
    assert_area(finder.update(boxed(picture, 640, 360)), PILLARBOX)


def test_bars_are_found_again_after_a_cut(picture):
    finder = PictureAreaFinder()
    assert_area(finder.update(boxed(picture, 640, 360)), PILLARBOX)
    full = cv2.resize(picture, (640, 360))
    assert finder.update(full).whole_frame  # picture up to the edges: the bars are gone
    assert finder.update(boxed(picture, 640, 360)).whole_frame  # no cut: content was seen there
    assert_area(finder.update(boxed(picture, 640, 360), cut=True), PILLARBOX)


def test_the_profile_is_placed_on_the_picture():
    placed = SIDE.placed_on(PILLARBOX)
    assert placed.wheel[0] == pytest.approx((0.125 + 0.72 * 0.75, 0.12))
    assert placed.console[2] == pytest.approx((0.875, 1.0))
    assert SIDE.placed_on(PictureArea()) is SIDE
    x, y = PILLARBOX.to_picture(*PILLARBOX.to_frame(0.3, 0.7))
    assert (x, y) == pytest.approx((0.3, 0.7))


def test_hands_on_the_wheel_of_the_pillarboxed_side_montage_read_as_on():
    """Cuts 3 and 4 of side_montage_a (3-5 s): the right hand on the wheel, the left one on the phone
    (labels). Placed on the whole frame, the profile's wheel lay mostly on the right bar: the hands
    read as off or unknown on every frame (0 of 20 on; now 14 here, 18 in a whole replay)."""
    counts, areas = [], set()
    with open_source(VIDEO / "side_montage_a.mp4", analysis_fps=10) as source, \
            LandmarkCues(SIDE, Settings()) as landmarks:
        source.seek(3.0)
        for frame in source:
            if frame.t >= 5.0 - 1e-6:
                break
            cues = landmarks(frame)
            counts.append(cues.hands_on_wheel.value)
            areas.add((round(cues.picture.left, 3), round(cues.picture.right, 3)))
    assert areas == {(0.125, 0.875)}
    assert len(counts) == 20
    on, off = sum(c is not None and c >= 1 for c in counts), sum(c == 0 for c in counts)
    assert on >= len(counts) / 2 and on > 2 * off, counts
    assert landmarks.describe()["picture_area"] == pytest.approx([0.125, 0.0, 0.875, 1.0], abs=0.005)


def test_the_calibration_view_draws_and_saves_regions_on_the_picture(qtbot, tmp_path, picture):
    image = boxed(picture, 640, 360)
    dialog = CalibrationDialog(bgr_to_qimage(image), SIDE, area=area_of(image))
    qtbot.addWidget(dialog)
    dialog.resize(900, 560)
    dialog.show()
    editor = dialog.editor
    rect = editor.picture_rect()
    corner = editor.to_px(0.0, 0.0)  # the picture's top-left corner, right of the left bar
    assert corner.x() == pytest.approx(rect.x() + 0.125 * rect.width(), abs=1.0)
    assert editor.to_norm(editor.to_px(0.72, 0.12)) == pytest.approx([0.72, 0.12], abs=0.005)
    bar = QPointF(rect.x() + 0.05 * rect.width(), rect.y() + 0.5 * rect.height())
    assert editor.to_norm(bar) == pytest.approx([0.0, 0.5], abs=0.005)  # a click on a bar: the edge
    saved = dialog.save_to(tmp_path / "profile.json")
    assert CameraProfile.load(tmp_path / "profile.json").wheel == saved.wheel == SIDE.wheel


def test_the_video_view_draws_the_regions_on_the_picture(qtbot):
    image = boxed(np.full((360, 480, 3), 128, np.uint8), 640, 360)
    view = VideoView(SIDE)
    qtbot.addWidget(view)
    view.resize(640, 360)
    frame = Frame(0, 0.0, image)
    view.show_result(FrameResult(frame, Cues(picture=area_of(image)), None, Scores(0, 0.0, {}, {})))
    for name in ("landmarks", "head", "labels", "fps"):
        view.set_overlay(name, False)
    shot = view.grab().toImage()
    rect = view.picture_rect()

    def colour(x, y):
        c = shot.pixelColor(int(rect.x() + x * rect.width()), int(rect.y() + y * rect.height()))
        return c.red(), c.green(), c.blue()

    tinted = colour(0.73, 0.8)  # inside the console region placed on the picture (x 0.71-0.875)
    assert tinted[0] > tinted[2] + 20  # the orange fill over the grey picture
    assert colour(0.95, 0.8) == (0, 0, 0)  # the bar, where the region lay on the whole frame
