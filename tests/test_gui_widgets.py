"""The GUI's widgets one by one, fed real frames and real dataclass records (pytest-qt, offscreen)."""

from __future__ import annotations

import os
import wave

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest
from conftest import DAY_CLIP
from PyQt5.QtCore import QEvent, QPoint, QPointF, Qt
from PyQt5.QtGui import QColor, QMouseEvent
from PyQt5.QtWidgets import QApplication, QDialog, QDialogButtonBox

from dms.core.config import Settings
from dms.core.profile import CameraProfile
from dms.core.settings_check import load_settings
from dms.core.types import Cue, Cues, Event, EventUpdate, Frame, FrameResult, Landmarks, Scores, VehicleState
from dms.sources.readers import open_source
from dms.store import Store
from ui.alerts import BANNER_COLOURS, AlertBanner, AlertSound
from ui.calibration import CalibrationDialog
from ui.elided_label import ElidedLabel
from ui.event_list import EventList
from ui.image import bgr_to_qimage
from ui.player import AnalysedHistory
from ui.replay_controls import ReplayControls
from ui.sessions import SessionsDialog
from ui.settings_dialog import RULE_FIELDS, SettingsDialog
from ui.timeline import SPEED_H, TimelineWidget, clock_text, tick_step
from ui.tones import RATE, chime, critical_tone, write_wav
from ui.video_view import VideoView
from ui.worker import Mailbox

CLIP = DAY_CLIP


@pytest.fixture(scope="module")
def frame() -> Frame:
    with open_source(CLIP, analysis_fps=1.0) as source:
        for f in source:
            if f.t >= 2.0:
                return f
    raise AssertionError("clip shorter than 2 s")


def event(eid="e1", behaviour="phone", start=1.0, end=3.0, severity="warning", speed=None) -> Event:
    return Event(eid, behaviour, start, end, severity, 0.9, 0.7, speed_kmh=speed)


def result_for(frame: Frame, updates=(), speed=None) -> FrameResult:
    pose = np.zeros((33, 4))
    pose[:, :2] = 0.5
    pose[:, 3] = 1.0
    pose[11, :2], pose[12, :2] = (0.35, 0.7), (0.65, 0.7)
    cues = Cues(
        head_yaw=Cue(20.0),
        head_pitch=Cue(-10.0),
        landmarks=Landmarks(pose=pose, left_hand=np.full((21, 3), 0.4)),
    )
    scores = Scores(frame.index, frame.t, {"phone": 0.8, "eyes_off_road": 0.3}, {},
                    vehicle=VehicleState(speed_kmh=speed))
    return FrameResult(frame, cues, None, scores, tuple(updates))


def drag_to(widget, pos: QPoint) -> None:
    """A mouse move with the left button held (QTest's mouseMove carries no buttons)."""
    move = QMouseEvent(QEvent.MouseMove, QPointF(pos), Qt.LeftButton, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(widget, move)


def test_tones_are_audible_wavs(tmp_path):
    for name, samples, seconds in (("chime", chime(), 0.5), ("critical", critical_tone(), 0.9)):
        path = write_wav(tmp_path / f"{name}.wav", samples)
        with wave.open(str(path)) as wav:
            assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, RATE)
            assert wav.getnframes() == pytest.approx(seconds * RATE, rel=0.01)
            pcm = np.frombuffer(wav.readframes(wav.getnframes()), "<i2")
        assert np.abs(pcm).max() > 10000


def test_banner_colour_and_sound_escalate_and_mute(qtbot):
    banner = AlertBanner(sound=AlertSound())
    qtbot.addWidget(banner)
    ev = event(severity="warning")
    banner.apply((EventUpdate("open", ev),))
    assert banner.level == "warning" and banner.sound.cue == "chime"
    assert BANNER_COLOURS["warning"][0] in banner.label.styleSheet()
    assert "phone use (warning)" in banner.label.text()
    critical = event(severity="critical")
    banner.apply((EventUpdate("escalate", critical),))
    assert banner.sound.cue == "critical"
    assert BANNER_COLOURS["critical"][0] in banner.label.styleSheet()
    qtbot.mouseClick(banner.mute_button, Qt.LeftButton)
    assert banner.sound.muted and banner.mute_button.text() == "Unmute"
    banner.apply((EventUpdate("close", critical),))
    assert banner.level is None and banner.sound.cue == "silent"
    assert banner.label.text() == "No alert"
    banner.show_review([critical])
    assert banner.label.text() == "replay: phone use (critical)" and banner.sound.cue == "silent"


def test_video_overlays_are_painted_and_toggle(qtbot, frame):
    view = VideoView(CameraProfile.load())
    qtbot.addWidget(view)
    view.resize(640, 360)
    view.show_result(result_for(frame))
    with_all = view.grab().toImage()
    view.set_overlay("regions", False)
    without_regions = view.grab().toImage()
    assert with_all != without_regions
    for name in ("landmarks", "head", "labels", "fps"):
        view.set_overlay(name, False)
    plain = view.grab().toImage()
    rect = view.picture_rect()
    expected = bgr_to_qimage(frame.image).scaled(int(rect.width()), int(rect.height()))
    # With every overlay off the picture is just the frame: compare one pixel in the middle.
    centre = QPoint(int(rect.width() / 2), int(rect.height() / 2))
    got = plain.pixelColor(centre + QPoint(int(rect.x()), int(rect.y())))
    want = expected.pixelColor(centre)
    assert abs(got.red() - want.red()) + abs(got.green() - want.green()) < 40


def test_the_frame_rate_is_written_inside_the_picture(qtbot, frame):
    """The yellow frames/s label sits inside the picture's top right corner (it ran off the right
    edge of a picture as wide as the view)."""
    view = VideoView(CameraProfile.load())
    qtbot.addWidget(view)
    view.resize(1000, 400)  # the picture is fitted to the height: dark bars left and right
    view.show_result(result_for(frame))
    for name in ("landmarks", "head", "labels", "regions"):
        view.set_overlay(name, False)
    image = view.grab().toImage()
    rect = view.picture_rect()

    def yellow_columns(x0: int, x1: int) -> int:
        return sum(
            any(
                (c := image.pixelColor(x, y)).red() > 200 and c.green() > 200 and c.blue() < 90
                for y in range(int(rect.top()), int(rect.top()) + 40)
            )
            for x in range(x0, x1)
        )

    assert yellow_columns(int(rect.left()), int(rect.right())) > 20  # the label is there
    assert yellow_columns(int(rect.right()) + 1, image.width()) == 0  # and all of it inside


def test_timeline_shows_events_and_speed_and_seeks_on_click(qtbot, frame):
    timeline = TimelineWidget()
    qtbot.addWidget(timeline)
    timeline.resize(700, timeline.sizeHint().height())
    timeline.reset(10.0)
    timeline.add_result(result_for(frame, (EventUpdate("open", event(start=2.0, end=4.0)),), speed=42.0))
    assert "e1" in timeline.events and timeline.speed == [(frame.t, 42.0)]
    with qtbot.waitSignal(timeline.seek_requested) as seek:
        qtbot.mouseClick(timeline, Qt.LeftButton, pos=QPoint(int(timeline.x_of(6.0)), 20))
    assert seek.args[0] == pytest.approx(6.0, abs=0.05)
    with qtbot.waitSignal(timeline.seek_requested) as dragged:
        drag_to(timeline, QPoint(int(timeline.x_of(8.0)), 20))
    assert dragged.args[0] == pytest.approx(8.0, abs=0.05) and timeline.cursor == dragged.args[0]
    image = timeline.grab().toImage()
    x = int((timeline.x_of(2.0) + timeline.x_of(4.0)) / 2)
    assert image.pixelColor(x, int(timeline.plot_rect().y()) + 2).name() == "#f9a825"


def test_event_list_jump_and_review_requests(qtbot, tmp_path, frame):
    """The list asks for a verdict to be stored and shows the answer; the window stores it
    (test_gui_app: the verdict reaches the event log)."""
    store = Store(tmp_path / "events.sqlite")
    session = store.create_session("clip.mp4", {})
    ev = event(speed={"start": 40.0, "mean": 45.0, "max": 50.0})
    events = EventList()
    qtbot.addWidget(events)
    events.attach_store(store, session)
    asked = []
    events.review_requested.connect(lambda *args: asked.append(args))
    events.apply_updates((EventUpdate("open", ev),), bgr_to_qimage(frame.image))
    assert not events.table.item(0, 0).icon().isNull()
    assert events.table.item(0, 5).text() == "45 km/h"
    events.table.selectRow(0)
    assert not events.review_selected("confirmed") and not asked  # still open: not reviewable yet
    events.apply_updates((EventUpdate("close", ev),))
    with qtbot.waitSignal(events.span_requested) as span:
        rect = events.table.visualItemRect(events.table.item(0, 2))
        qtbot.mouseClick(events.table.viewport(), Qt.LeftButton, pos=rect.center())
    assert span.args == [1.0, 3.0]
    qtbot.mouseClick(events.confirm_button, Qt.LeftButton)
    assert asked == [("e1", "confirmed", None)] and events.table.item(0, 6).text() == ""  # not stored yet
    events.relabel_box.setCurrentText("drinking or eating")
    qtbot.mouseClick(events.reject_button, Qt.LeftButton)
    assert asked[-1] == ("e1", "rejected", "drinking")
    events.review_stored(*asked[-1])
    assert events.table.item(0, 6).text() == "rejected as drinking or eating" and events.stored
    events.review_refused("ghost: no such event")
    assert events.status.text() == "Not stored: ghost: no such event" and not events.stored
    events.attach_store(None, None)
    assert not events.review_selected("confirmed")
    assert events.status.text() == "No event log is open: reviews cannot be stored."
    store.close()


def test_replay_controls_emit_play_speed_step_seek(qtbot):
    controls = ReplayControls()
    qtbot.addWidget(controls)
    controls.set_duration(20.0)
    with qtbot.waitSignal(controls.play_requested):
        qtbot.mouseClick(controls.play_button, Qt.LeftButton)
    assert controls.play_button.text() == "Pause"
    with qtbot.waitSignal(controls.pause_requested):
        qtbot.mouseClick(controls.play_button, Qt.LeftButton)
    with qtbot.waitSignal(controls.speed_changed) as speed:
        controls.speed_box.setCurrentText("8x")
    assert speed.args == [8.0]
    with qtbot.waitSignal(controls.step_requested) as step:
        qtbot.mouseClick(controls.step_button, Qt.LeftButton)
    assert step.args == [1]
    controls.slider.setValue(55)
    with qtbot.waitSignal(controls.seek_requested) as seek:
        controls.slider.sliderReleased.emit()
    assert seek.args == [5.5]


def test_calibration_drag_add_remove_and_save(qtbot, tmp_path, frame):
    profile = CameraProfile.load()
    dialog = CalibrationDialog(bgr_to_qimage(frame.image), profile)
    qtbot.addWidget(dialog)
    dialog.resize(900, 560)
    dialog.show()
    editor = dialog.editor
    start = editor.to_px(*profile.wheel[0]).toPoint()
    target = editor.to_px(0.2, 0.9).toPoint()
    qtbot.mousePress(editor, Qt.LeftButton, pos=start)
    drag_to(editor, target)
    qtbot.mouseRelease(editor, Qt.LeftButton, pos=target)
    assert editor.polygons["wheel"][0] == pytest.approx([0.2, 0.9], abs=0.01)
    dialog.region_box.setCurrentText("console")
    n = len(editor.polygons["console"])
    a, b = profile.console[0], profile.console[1]
    middle = editor.to_px((a[0] + b[0]) / 2, (a[1] + b[1]) / 2).toPoint()
    qtbot.mouseClick(editor, Qt.LeftButton, pos=middle)
    assert len(editor.polygons["console"]) == n + 1
    qtbot.mouseClick(editor, Qt.RightButton, pos=middle)
    assert len(editor.polygons["console"]) == n
    saved = dialog.save_to(tmp_path / "mine.json")
    loaded = CameraProfile.load(tmp_path / "mine.json")
    assert loaded == saved
    assert loaded.wheel[0] == pytest.approx((0.2, 0.9), abs=0.01)
    assert loaded.console == profile.console


def test_settings_dialog_edits_values_rules_and_checkpoint(qtbot, tmp_path):
    dialog = SettingsDialog(Settings(), None)
    qtbot.addWidget(dialog)
    dialog.inputs["speed_gate_kmh"].setValue(25.0)
    dialog.inputs["blur_faces"].setChecked(True)
    dialog.fusion_inputs["head_down_hands_off_phone"].setValue(0.5)
    row = dialog.rule_names.index("phone")
    column = RULE_FIELDS.index("critical_s")  # the rule set's timing, edited in the same table
    dialog.rules_table.item(row, column).setText("")
    dialog.checkpoint_edit.setText(str(tmp_path / "tsm.pth"))
    settings = dialog.settings()
    assert settings.speed_gate_kmh == 25.0 and settings.blur_faces
    assert settings.fusion.head_down_hands_off_phone == 0.5 and settings.fusion.hand_at_ear_phone == 0.8
    assert dialog.rule_set().timing("phone").critical_s is None
    assert dialog.checkpoint() == tmp_path / "tsm.pth"
    settings.save(tmp_path / "settings.json")
    assert load_settings(tmp_path / "settings.json") == settings
    dialog.rules_table.item(row, 0).setText("high")
    with pytest.raises(ValueError, match="phone use / on \\(score 0-1\\)"):
        dialog.settings()


def test_settings_dialog_refuses_a_checkpoint_that_is_not_there(qtbot, tmp_path):
    """OK with a mistyped checkpoint path says so in the dialog (it was accepted, and the next
    recording opened failed); empty (the shipped model) and `none` (off) are fine."""
    dialog = SettingsDialog(Settings(), None)
    qtbot.addWidget(dialog)
    missing = tmp_path / "tsm.pth"
    dialog.checkpoint_edit.setText(str(missing))
    dialog._accept()
    assert dialog.result() != QDialog.Accepted
    assert dialog.error_label.text() == f"classifier checkpoint: {missing}: no such file"
    for text in ("", "none"):
        dialog.checkpoint_edit.setText(text)
        dialog._accept()
        assert dialog.result() == QDialog.Accepted


def test_sessions_dialog_exports_the_report_in_the_background(qtbot, tmp_path, frame):
    store = Store(tmp_path / "events.sqlite")
    session = store.create_session(str(CLIP), {"duration_s": 14.9})
    ev = event()
    store.record(session, [{"frame": 1, "t": 1.0, "phone": 0.8}], [(ev, False)])
    store.finish_session(session, {"duration_s": 14.9})
    dialog = SessionsDialog(store)
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() == 1 and dialog.table.item(0, 5).text() == "1"
    with qtbot.waitSignal(dialog.review_requested) as review:
        dialog.table.selectRow(0)
        dialog._review()
    assert review.args == [session]
    out = tmp_path / "report"
    with qtbot.waitSignal(dialog.export_finished, timeout=60000) as done:
        dialog.export(session, out)
    assert done.args == [None]
    for name in ("events.json", "events.csv", "timeline.csv", "report.html"):
        assert (out / name).is_file(), name
    bad = tmp_path / "blocked"
    bad.write_text("a file where the folder should be")
    with qtbot.waitSignal(dialog.export_finished, timeout=60000) as failed:
        dialog.export(session, bad)
    assert failed.args[0] and "Export failed" in dialog.status.text()
    store.close()


def test_mailbox_wakes_once_and_history_replays_nearest(frame):
    mailbox = Mailbox()
    first, second = result_for(frame), result_for(Frame(frame.index + 3, frame.t + 0.3, frame.image))
    assert mailbox.put(b"first") is True
    assert mailbox.put(b"second") is False  # the GUI has not read yet: no second wake-up signal
    assert mailbox.take() == [b"first", b"second"] and mailbox.take() == []
    history = AnalysedHistory()
    history.add(first)
    history.add(second)
    assert history.frontier == second.frame.t
    assert history.results[0].frame.image.size == 3  # pictures are not kept
    probe = Frame(99, frame.t + 0.2, frame.image)
    replayed = history.at(probe)
    assert replayed.frame is probe and replayed.scores.t == second.frame.t


def test_event_details_say_why_it_alerted(qtbot):
    from dms.events.tracker import EventTracker
    from dms.rules import load_rule_set
    from dms.scoring.scripted import stream

    tracker = EventTracker(Settings(), load_rule_set("eu-addw"), has_telemetry=True)
    updates = [u for s in stream("eyes_off_road", 5.0, 80.0) for u in tracker.step(s)]
    events = EventList()
    qtbot.addWidget(events)
    events.apply_updates((updates[0],))  # opened, still info
    rect = events.table.visualItemRect(events.table.item(0, 2))
    qtbot.mouseClick(events.table.viewport(), Qt.LeftButton, pos=rect.center())
    opened = events.details.text()
    assert "at 1.0 s, info" in opened and "No alert: it did not last the 3.5 s warning threshold" in opened
    assert "Logged without an alert:" in opened and "Why it alerted" not in opened
    assert "band above 50 km/h" in opened
    events.apply_updates(tuple(updates[1:]))  # the selected event escalates: its details follow
    text = events.details.text()
    assert text.startswith("eyes off the road at 1.0 s, warning (rule set eu-addw)\nWhy it alerted:")
    assert "Warning at 4.5 s (80 km/h) by the speed band's timer" in text and "{" not in text


def test_settings_dialog_chooses_the_rule_set(qtbot, tmp_path):
    dialog = SettingsDialog(Settings(), None)
    qtbot.addWidget(dialog)
    assert dialog.rules_box.currentText() == "euro-ncap"
    dialog.rules_box.setCurrentText("eu-ddaw")
    assert dialog.settings().rule_set == "eu-ddaw"
    dialog.rules_box.setCurrentText(str(tmp_path / "missing.json"))
    with pytest.raises(ValueError, match="rule set: .*missing.json: rule set file not found"):
        dialog.settings()


def test_settings_dialog_checks_with_the_command_lines_checker_before_saving(qtbot, tmp_path):
    dialog = SettingsDialog(Settings(), None)
    qtbot.addWidget(dialog)
    assert dialog.settings() == Settings()  # every default survives its box (eyes_down_pitch_deg is -10)
    accepted = []
    dialog.accepted.connect(lambda: accepted.append(dialog.settings()))
    ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.Ok)
    dialog.sharing_inputs["total_s"].setValue(40.0)  # longer than its 30 s window: never reached
    qtbot.mouseClick(ok, Qt.LeftButton)
    assert not accepted and dialog.result() != QDialog.Accepted
    assert dialog.error_label.text().startswith("time-sharing: total off road 40 s exceeds its window")
    dialog.sharing_inputs["total_s"].setValue(10.0)
    row, column = dialog.rule_names.index("phone"), RULE_FIELDS.index("off")
    dialog.rules_table.item(row, column).setText("0.95")  # off above on
    qtbot.mouseClick(ok, Qt.LeftButton)
    assert not accepted and dialog.error_label.text().startswith("rules.phone.off: 0.95 is above on")
    dialog.rules_table.item(row, column).setText("0.3")
    qtbot.mouseClick(ok, Qt.LeftButton)
    assert len(accepted) == 1 and dialog.rule_set().time_sharing.total_s == 10.0
    accepted[0].save(tmp_path / "settings.json")
    assert load_settings(tmp_path / "settings.json") == accepted[0]  # what the dialog passes, the CLI takes


def test_event_list_rows_are_in_order_of_start_time(qtbot):
    """Events are announced once they have lasted their minimum, so a long-minimum event that started
    first is announced after a short one: the list still reads in time order."""
    from dms.events.shared import event_update

    events = EventList()
    qtbot.addWidget(events)
    events.apply_updates((event_update("open", event("a", "eyes_off_road", start=0.6, end=1.6)),))
    events.apply_updates((event_update("open", event("b", "hands_off_wheel", start=0.1, end=5.1)),))
    events.apply_updates((event_update("close", event("a", "eyes_off_road", start=0.6, end=2.0)),))
    assert [events.table.item(r, 1).text() for r in range(2)] == ["0.1 s", "0.6 s"]
    assert [e.id for e in events.events] == ["b", "a"] and events.table.item(1, 3).text() == "1.4 s"


def test_timeline_has_a_time_axis_a_readable_speed_trace_and_growing_open_events(qtbot, frame):
    timeline = TimelineWidget()
    qtbot.addWidget(timeline)
    timeline.resize(700, timeline.sizeHint().height())
    timeline.reset(125.0)
    assert tick_step(125.0, timeline.plot_rect().width()) == 15.0  # ticks >= 60 px apart
    assert [clock_text(t) for t in (0, 75, 3725)] == ["0:00", "1:15", "1:02:05"]
    assert SPEED_H >= 60
    update = EventUpdate("open", event(start=10.0, end=11.0))
    timeline.add_result(result_for(replace_t(frame, 20.0), (update,), speed=80.0))
    image = timeline.grab().toImage()
    rect = timeline.plot_rect()
    band_y = int(rect.y()) + 2
    assert image.pixelColor(int(timeline.x_of(18.0)), band_y).name() == "#f9a825"  # open: up to 20 s
    background = QColor(35, 35, 35).name()
    axis_y = int(rect.bottom()) + 8
    axis = [image.pixelColor(x, axis_y).name() for x in range(int(rect.left()), int(rect.right()))]
    assert sum(c != background for c in axis) > 20  # tick labels are drawn under the plot
    timeline.apply_updates((EventUpdate("close", event(start=10.0, end=11.0)),))
    image = timeline.grab().toImage()
    assert image.pixelColor(int(timeline.x_of(18.0)), band_y).name() != "#f9a825"  # closed at 11 s


def replace_t(frame: Frame, t: float) -> Frame:
    return Frame(frame.index, t, frame.image)


def test_open_event_duration_runs_with_the_analysis(qtbot):
    events = EventList()
    qtbot.addWidget(events)
    events.apply_updates((EventUpdate("open", event(start=1.0, end=2.0)),))
    events.advance(4.5)
    assert events.table.item(0, 3).text() == "3.5 s (open)"
    events.apply_updates((EventUpdate("close", event(start=1.0, end=4.0)),))
    events.advance(9.0)
    assert events.table.item(0, 3).text() == "3.0 s"


def test_elided_label_never_widens_and_tells_all_in_its_tooltip(qtbot):
    label = ElidedLabel()
    qtbot.addWidget(label)
    label.show()
    label.resize(120, 20)
    text = "side_montage_a.mp4 · 10.0 s · classifier on: online TSM (side view) · telemetry on · session 1"
    label.setText(text)
    assert label.minimumSizeHint().width() == 0
    assert label.full_text() == text and label.toolTip() == text
    assert label.text().endswith("…") and len(label.text()) < len(text)
    label.resize(2000, 20)
    assert label.text() == text


def test_an_ended_event_shows_the_recorders_thumbnail_not_the_frame_it_was_announced_on(qtbot, tmp_path):
    import cv2

    store = Store(tmp_path / "events.sqlite")
    session = store.create_session("clip.mp4", {})
    ev = event()
    events = EventList()
    qtbot.addWidget(events)
    events.attach_store(store, session)
    announced = np.zeros((90, 160, 3), np.uint8)  # the frame on which the event opened: black
    events.apply_updates((EventUpdate("open", ev),), bgr_to_qimage(announced))
    assert events.thumbs[ev.id].toImage().pixelColor(40, 20).name() == "#000000"
    thumbs = store.media_dir(session) / "thumbs"
    thumbs.mkdir(parents=True)
    cv2.imwrite(str(thumbs / f"{ev.id}.jpg"), np.full((90, 160, 3), (0, 0, 255), np.uint8))  # the peak: red
    events.apply_updates((EventUpdate("close", ev),))
    red = events.thumbs[ev.id].toImage().pixelColor(40, 20)
    assert red.red() > 200 and red.green() < 50 and red.blue() < 50
    store.close()
