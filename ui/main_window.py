"""The main window: video with overlays, alert banner, replay controls, timeline and event list.

It opens sources, starts an AnalysisWorker per source and only observes the results it hands over.
"""

from __future__ import annotations

import gc
from dataclasses import replace
from pathlib import Path

from PyQt5.QtCore import Qt, QTimer
from PyQt5.QtGui import QGuiApplication
from PyQt5.QtWidgets import (
    QAction,
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from dms.classifier.choice import NO_CLASSIFIER
from dms.core.config import Settings, analysis_rate
from dms.core.errors import InputError
from dms.core.profile import CameraProfile
from dms.pipeline.recipe import AnalysisRecipe
from dms.report.summary import headline
from dms.rules import RuleSet, load_rule_set, save_rule_set
from dms.sources.readers import VIDEO_SUFFIXES, list_cameras
from ui.alert_state import FINISHED, MODELS_LOADING, NO_CAMERA, NOT_OPENED, not_monitoring_reason
from ui.alerts import AlertBanner
from ui.analysis_process import AnalysisInfo
from ui.background import run_with_progress
from ui.calibration import CalibrationDialog
from ui.elided_label import ElidedLabel
from ui.event_list import THUMB, EventList
from ui.image import bgr_to_qimage
from ui.overlays import OVERLAYS
from ui.player import SPEEDS, Shown
from ui.replay_controls import ReplayControls
from ui.sessions import SessionsDialog
from ui.settings_dialog import SettingsDialog
from ui.timeline import TimelineWidget
from ui.video_view import VideoView
from ui.worker import STOP_WAIT_S, AnalysisWorker, analysis_context

EVENTS_MIN_W = 440
RULES_FILE = "rules.json"  # timings edited in the settings dialog, beside the settings file
EDITED = "-edited"  # a rule set whose timings were edited here is no longer the one it was
WINDOW_SIZE = (1280, 800)  # the window opens at this size, or the screen's if that is smaller
VIDEO_FILTER = "Videos ({})".format(" ".join(f"*{s}" for s in sorted(VIDEO_SUFFIXES)))


class WelcomePanel(QWidget):
    """Shown when nothing plays: why (e.g. no camera found) and the ways to open a source."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.message = QLabel("Open a camera, a recording or an image folder.")
        self.message.setAlignment(Qt.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.PlainText)
        self.recording_button = QPushButton("Open a recording…")
        self.folder_button = QPushButton("Open an image folder…")
        self.camera_button = QPushButton("Open a camera…")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.recording_button, self.folder_button, self.camera_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        layout.addStretch(1)


class MainWindow(QMainWindow):
    def __init__(
        self, recipe: AnalysisRecipe | None = None, *, store=None, settings_path: Path | None = None
    ):
        """`recipe` says how every source opened is analysed (the dialogs change it for the next
        source); `store` is the event log shown and written (its path replaces recipe.db_path)."""
        super().__init__()
        self.setWindowTitle("Driver monitoring")
        self.recipe = recipe or AnalysisRecipe()
        self.store = store
        self.settings_path = settings_path
        self.worker: AnalysisWorker | None = None
        self.session_id: str | None = None
        self.source_info: dict = {}
        self.retiring: set[AnalysisWorker] = set()  # stopped workers still finishing
        self.dialogs: list = []
        self.last_error: str | None = None  # why the last source could not be analysed
        self.loop: tuple[float, float] | None = None  # (start, end) s of the event span replayed
        self.loop_wrapping = False  # a seek back to the loop's start is on its way

        self.banner = AlertBanner()
        self.banner.sound.set_muted(not self.recipe.settings.sound)
        self.banner.mute_button.setChecked(not self.recipe.settings.sound)
        self.video = VideoView(self.recipe.profile)
        self.welcome = WelcomePanel()
        self.welcome.recording_button.clicked.connect(self.choose_recording)
        self.welcome.folder_button.clicked.connect(self.choose_folder)
        self.welcome.camera_button.clicked.connect(self.choose_camera)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.welcome)
        self.stack.addWidget(self.video)
        self.controls = ReplayControls()
        self.timeline = TimelineWidget()
        self.events = EventList()
        self.events.attach_store(store, None)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self.banner)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.controls)
        layout.addWidget(self.timeline)
        self.setCentralWidget(central)
        dock = QDockWidget("Events", self)
        dock.setObjectName("events")
        dock.setWidget(self.events)
        dock.setMinimumWidth(EVENTS_MIN_W)
        dock.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetFloatable)
        self.addDockWidget(Qt.RightDockWidgetArea, dock)
        self.status_label = ElidedLabel("")
        self.statusBar().addWidget(self.status_label, 1)
        self.monitor_label = QLabel("")  # whether the driver is monitored now, as the banner says
        self.statusBar().addPermanentWidget(self.monitor_label)
        self.set_monitoring(NO_CAMERA)

        self.controls.play_requested.connect(self.play)
        self.controls.pause_requested.connect(self.pause)
        self.controls.step_requested.connect(self.step)
        self.controls.speed_changed.connect(self.set_speed)
        self.controls.seek_requested.connect(self.seek)
        self.timeline.seek_requested.connect(self.seek)
        self.events.span_requested.connect(self.loop_span)
        self.events.review_requested.connect(self.store_review)
        self._build_menus()
        screen = QGuiApplication.primaryScreen().availableGeometry()
        self.resize(min(WINDOW_SIZE[0], screen.width()), min(WINDOW_SIZE[1], screen.height()))
        analysis_context()
        # Everything loaded so far lives as long as the app: freeze it out of the cyclic garbage
        # collector, whose full passes over this heap (Qt, numpy, torch, ...) took 30-70 ms and
        # stalled the event loop while playing.
        gc.collect()
        gc.freeze()

    # --- menus ---
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        for text, slot in (
            ("Open &camera…", self.choose_camera),
            ("Open &recording…", self.choose_recording),
            ("Open image &folder…", self.choose_folder),
            ("&Telemetry CSV…", self.choose_telemetry),
            ("Camera &profile…", self.choose_profile),
            ("&Sessions…", self.show_sessions),
            ("&Quit", self.close),
        ):
            action = QAction(text, self)
            action.triggered.connect(slot)
            file_menu.addAction(action)
        tools = self.menuBar().addMenu("&Tools")
        for text, slot in (("&Calibration…", self.show_calibration), ("S&ettings…", self.show_settings)):
            action = QAction(text, self)
            action.triggered.connect(slot)
            tools.addAction(action)
        view = self.menuBar().addMenu("&View")
        toolbar = self.addToolBar("Overlays")
        toolbar.setObjectName("overlays")
        self.overlay_actions: dict[str, QAction] = {}
        for name in OVERLAYS:
            action = QAction(name, self, checkable=True, checked=True)
            action.toggled.connect(lambda on, n=name: self.video.set_overlay(n, on))
            view.addAction(action)
            toolbar.addAction(action)
            self.overlay_actions[name] = action

    def say(self, text: str) -> None:
        self.status_label.setText(text)

    def set_monitoring(self, reason: str | None) -> None:
        """Banner and status bar: monitoring, or not and why (ui.alert_state's words)."""
        self.banner.set_not_monitoring(reason)
        self.monitor_label.setText("Monitoring" if reason is None else f"Not monitoring: {reason}")

    # --- opening ---
    def open_source(self, spec: str | int | Path) -> None:
        """Stop what plays and start analysing `spec`. Everything slow, opening the source included,
        happens in the analysis process; problems come back through `_failed`."""
        self.stop()
        self.last_error = None
        self.session_id = None
        self.source_info = {}
        self.banner.clear()
        self.events.clear()
        self.events.attach_store(self.store, None)
        self.timeline.reset(None)
        self.controls.set_duration(None)
        self.controls.set_playing(True)
        self.video.show_message(f"Opening {spec} …")
        self.stack.setCurrentWidget(self.video)
        self.say(f"{spec}: opening …")
        self.set_monitoring(MODELS_LOADING)
        recipe = replace(self.recipe, db_path=str(self.store.path) if self.store is not None else None)
        self.worker = AnalysisWorker(spec, recipe, speed=self._speed())
        self.worker.opened.connect(self._opened)
        self.worker.ready.connect(self._ready)
        self.worker.mail_arrived.connect(self._read_mail)
        self.worker.analysis_done.connect(self._analysis_done)
        self.worker.failed.connect(self._failed)
        self.worker.start()

    def _opened(self, info: dict) -> None:
        self.source_info = info
        live = info["live"]
        self.timeline.reset(None if live else info["duration_s"])
        self.controls.set_duration(None if live else info["duration_s"])
        self.controls.set_seekable(not live)
        self.video.show_message(f"Loading the models for {info['source']} …")
        self.say(f"{info['source']}: loading the models …")

    def _ready(self, analysis: AnalysisInfo) -> None:
        if self.worker is None:
            return
        source = self.source_info
        self.session_id = analysis.session_id
        self.events.attach_store(self.store, analysis.session_id)
        notes = [source["source"], "live" if source["live"] else f"{source['duration_s'] or 0:.1f} s"]
        notes.append(analysis.classifier_note or ("models on" if analysis.has_classifier else NO_CLASSIFIER))
        notes.append("telemetry on" if analysis.has_telemetry else "no telemetry")
        if analysis.session_id:
            notes.append(f"session {analysis.session_id}")
        self.say(" · ".join(notes))

    def show_welcome(self, message: str) -> None:
        self.welcome.message.setText(message)
        self.stack.setCurrentWidget(self.welcome)

    def open_default_camera(self, index: int = 0) -> None:
        """`python main.py`: the default camera; if it cannot be opened, `_failed` shows the welcome
        panel offering a recording."""
        self.open_source(index)

    def choose_recording(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a recording", "", f"{VIDEO_FILTER};;All files (*)")
        if path:
            self.open_source(Path(path))

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open an image folder")
        if folder:
            self.open_source(Path(folder))

    def choose_camera(self) -> None:
        """Probe the cameras in the background (opening each takes a while), then offer them."""
        found: list[int] = []
        self.camera_probe = run_with_progress(
            self, "Looking for cameras…", lambda: found.extend(list_cameras()),
            lambda error: self._offer_cameras(found, error),
        )

    def _offer_cameras(self, cameras: list[int], error: str | None) -> None:
        if error or not cameras:
            self.show_welcome("No camera found. Open a recording or an image folder instead.")
            return
        names = [f"camera {i}" for i in cameras]
        name, ok = QInputDialog.getItem(self, "Open a camera", "Camera:", names, 0, False)
        if ok:
            self.open_source(cameras[names.index(name)])

    def choose_telemetry(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Telemetry CSV", "", "CSV (*.csv);;All files (*)")
        if path:
            self.recipe = replace(self.recipe, telemetry=(path,))
            self.say(f"telemetry {path} is used from the next source opened")

    def choose_profile(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Camera profile", "", "JSON (*.json)")
        if path:
            self.set_profile_file(Path(path))

    def set_profile_file(self, path: Path) -> bool:
        try:
            self.set_profile(CameraProfile.load(path))
        except InputError as exc:
            self.say(f"error: {exc}")
            return False
        return True

    def set_profile(self, profile: CameraProfile) -> None:
        self.recipe = replace(self.recipe, profile=profile)
        self.video.profile = profile
        self.video.update()
        self.say(f"camera profile {profile.name}: used from the next source opened")

    # --- playing ---
    def _speed(self) -> float:
        return SPEEDS[self.controls.speed_box.currentIndex()]

    def play(self) -> None:
        if self.loop is not None and self.worker is not None and (
            self.worker.position + self._frame_interval() >= self.loop[1]
        ):
            self._seek(self.loop[0])
        if self.worker is not None:
            self.worker.play()
        self.controls.set_playing(self.worker is not None)

    def pause(self) -> None:
        if self.worker is not None:
            self.worker.pause()
        self.controls.set_playing(False)

    def step(self, direction: int) -> None:
        if self.worker is None:
            return
        self.pause()
        if direction > 0:
            self.worker.step()
        else:
            self.worker.seek(max(0.0, self.worker.position - self._frame_interval()))

    def _frame_interval(self) -> float:
        """Seconds between analysed frames (every frame: the source's own rate, else the default rate's)."""
        native = self.worker.source_fps or Settings.analysis_fps
        return 1.0 / analysis_rate(self.recipe.settings.analysis_fps, native)

    def set_speed(self, speed: float) -> None:
        if self.worker is not None:
            self.worker.set_speed(speed)

    def seek(self, t: float) -> None:
        """The user's seek (timeline, slider): it also leaves an event's loop."""
        if self.loop is not None:
            self.loop = None
            self.say("left the event's loop")
        self._seek(t)

    def _seek(self, t: float) -> None:
        if self.worker is not None and not self.worker.live:
            self.timeline.set_cursor(t)
            self.worker.seek(t)

    def loop_span(self, start: float, end: float) -> None:
        """An event was clicked: the playback leaves the analysis front and replays the event's span
        [start, end] s over and over (pause and play act on the loop; a seek leaves it)."""
        if self.worker is None or self.worker.live:
            return
        self.loop = (start, max(end, start + 0.5))
        self.loop_wrapping = True
        self._seek(start)
        self.play()
        self.say(f"replaying {start:.1f}-{self.loop[1]:.1f} s in a loop; click the timeline to leave it")

    def stop(self, wait: bool = False) -> None:
        """End the current analysis (its store session is closed as cancelled). Without `wait` the
        GUI does not block: the old worker finishes in the background, its messages ignored."""
        worker, self.worker = self.worker, None
        self.banner.clear()
        if worker is None:
            return
        worker.mail_arrived.disconnect()
        worker.stop()
        if wait:
            worker.finish()
            return
        self.retiring.add(worker)
        worker.finished.connect(lambda: self.retiring.discard(worker))
        QTimer.singleShot(int(STOP_WAIT_S * 1000), worker.terminate_if_running)

    def _read_mail(self) -> None:
        if self.worker is not None:
            self.worker.read_mail(self._show_results)

    def _show_results(self, batch: list[Shown]) -> None:
        """Apply every result's event updates and speed; paint only the newest picture."""
        for shown in batch:
            if not shown.fresh:
                continue
            result = shown.result
            self.timeline.add_result(result)
            opened = any(u.kind == "open" for u in result.updates)
            thumbnail = bgr_to_qimage(result.frame.image).scaled(
                THUMB, Qt.KeepAspectRatio, Qt.SmoothTransformation
            ) if opened else None
            self.events.apply_updates(result.updates, thumbnail)
            self.banner.apply(result.updates)
            self.events.advance(result.frame.t)
        last = batch[-1]
        t = last.result.frame.t
        if self.loop is not None:
            start, end = self.loop
            if self.loop_wrapping:
                self.loop_wrapping = not (start - 0.2 <= t < end)
            elif t + self._frame_interval() >= end:  # the span's last frame was shown
                self.loop_wrapping = True
                self._seek(start)
        self.set_monitoring(not_monitoring_reason(last.result.monitoring))
        if not last.fresh:  # the analysed moment shown: its time is the one events are stamped with
            analysed_t = last.result.scores.t
            covering = [e for e in self.timeline.events.values() if e.start_s <= analysed_t <= e.end_s]
            self.banner.show_review(covering)
        self.video.show_result(last.result)
        self.timeline.set_cursor(t)
        self.controls.set_position(t)

    def _analysis_done(self, summary) -> None:
        for update in summary.final_updates:
            self.events.apply_updates((update,))
            self.timeline.apply_updates((update,))
        self.banner.clear()
        self.set_monitoring(NO_CAMERA if self.worker is not None and self.worker.live else FINISHED)
        self.timeline.update()
        why = f" (stopped early: {summary.stopped_early})" if summary.stopped_early else ""
        if summary.dropped_frames:
            why += f"; {summary.dropped_frames} camera frames dropped (the analysis was slower)"
        self.say(
            f"analysis finished: {headline(summary.events)} {summary.frames} frames{why}; "
            "seek or click an event to review"
        )

    def _failed(self, message: str) -> None:
        self.last_error = message
        self.say(f"error: {message}")
        self.controls.set_playing(False)
        camera = self.worker is not None and isinstance(self.worker.spec, int)
        self.set_monitoring(NO_CAMERA if camera else NOT_OPENED)
        if self.video.result is not None:
            return
        if self.worker is not None and isinstance(self.worker.spec, int) and not self.source_info:
            self.show_welcome(f"No camera found ({message}). Open a recording or an image folder instead.")
        else:
            self.show_welcome(f"Cannot open: {message}")

    # --- dialogs ---
    def current_image(self):
        return self.video.image

    def show_calibration(self) -> CalibrationDialog:
        shown = self.video.result
        area = shown.cues.picture if shown is not None else None  # where the analysis placed the regions
        dialog = CalibrationDialog(self.current_image(), self.recipe.profile, self, area=area)
        dialog.finished.connect(lambda _: self._calibrated(dialog))
        self.dialogs.append(dialog)
        dialog.open()
        return dialog

    def _calibrated(self, dialog: CalibrationDialog) -> None:
        if dialog.saved_path is not None:
            self.set_profile(dialog.profile())

    def show_settings(self) -> SettingsDialog:
        checkpoint = Path(self.recipe.checkpoint) if self.recipe.checkpoint else None
        dialog = SettingsDialog(self.recipe.settings, checkpoint, self, rules=self.recipe.rules)
        dialog.accepted.connect(
            lambda: self.apply_settings(dialog.settings(), dialog.checkpoint(), dialog.rule_set())
        )
        self.dialogs.append(dialog)
        dialog.open()
        return dialog

    def apply_settings(
        self, settings: Settings, checkpoint: Path | None, rules: RuleSet | None = None
    ) -> None:
        """Carry the dialog's settings, checkpoint and rule set in the recipe and save them: timings
        edited in the dialog are saved as a rule set file beside the settings (RULES_FILE), which
        the settings then name, so the next start judges by them too."""
        rules = rules or load_rule_set(settings.rule_set)
        edited = rules != load_rule_set(settings.rule_set)
        if edited and not rules.name.endswith(EDITED):
            rules = replace(rules, name=rules.name + EDITED)
        if edited and self.settings_path is not None:
            try:
                rules = save_rule_set(rules, self.settings_path.with_name(RULES_FILE))
            except OSError as exc:
                self.say(f"error: {self.settings_path.with_name(RULES_FILE)}: rule set not saved "
                         f"({exc.strerror or exc})")
                return
            settings = replace(settings, rule_set=rules.origin)
        self.recipe = replace(
            self.recipe, settings=settings, rules=rules,
            checkpoint=str(checkpoint) if checkpoint is not None else None,
        )
        self.banner.sound.set_muted(not settings.sound or self.banner.mute_button.isChecked())
        if self.settings_path is None:
            self.say("settings apply from the next source opened")
            return
        try:
            settings.save(self.settings_path)
        except OSError as exc:
            self.say(f"error: {self.settings_path}: settings not saved ({exc.strerror or exc})")
            return
        self.say(f"settings saved to {self.settings_path}; they apply from the next source opened")

    def show_sessions(self) -> SessionsDialog | None:
        if self.store is None:
            self.say("no event log is open")
            return None
        dialog = SessionsDialog(self.store, self)
        dialog.review_requested.connect(self.review_session)
        self.dialogs.append(dialog)
        dialog.open()
        return dialog

    def store_review(self, event_id: str, review: str, relabel: str | None) -> None:
        """Write the reviewer's verdict on an event of the session the list shows into the event log."""
        try:
            self.store.set_review(event_id, review, relabel, session_id=self.events.session_id)
        except InputError as exc:  # e.g. the recorder has not committed this event yet
            self.events.review_refused(str(exc))
            return
        self.events.review_stored(event_id, review, relabel)

    def review_session(self, session_id: str) -> None:
        """Show a stored session's events for review (confirm/reject/relabel)."""
        record = self.store.session(session_id)
        events = self.store.events(session_id)
        self.events.set_events(events, self.store.media_dir(session_id))
        self.events.attach_store(self.store, session_id)
        duration = record.info.get("duration_s") or max((e.end_s for e in events), default=0.0)
        self.timeline.reset(duration)
        self.timeline.events.update({e.id: replace(e) for e in events})
        self.say(f"reviewing session {session_id} ({len(events)} events)")

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        self.stop(wait=True)
        for worker in list(self.retiring):
            worker.finish()
        super().closeEvent(event)
