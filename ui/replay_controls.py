"""Play/pause, frame steps, speed 0.25x to 8x and a seek slider for recordings."""

from __future__ import annotations

from PyQt5.QtCore import Qt, pyqtSignal
from PyQt5.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QSlider, QWidget

from ui.player import SPEEDS

SLIDER_STEPS_PER_S = 10


class ReplayControls(QWidget):
    play_requested = pyqtSignal()
    pause_requested = pyqtSignal()
    step_requested = pyqtSignal(int)  # +1 forward, -1 back
    speed_changed = pyqtSignal(float)
    seek_requested = pyqtSignal(float)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.playing = False
        self.duration = 0.0
        self.play_button = QPushButton("Play")
        self.play_button.clicked.connect(self.toggle)
        self.back_button = QPushButton("◀|")
        self.back_button.setToolTip("Step one analysed frame back")
        self.back_button.clicked.connect(lambda: self.step_requested.emit(-1))
        self.step_button = QPushButton("|▶")
        self.step_button.setToolTip("Step one analysed frame forward")
        self.step_button.clicked.connect(lambda: self.step_requested.emit(1))
        self.speed_box = QComboBox()
        self.speed_box.addItems([f"{s:g}x" for s in SPEEDS])
        self.speed_box.setCurrentIndex(SPEEDS.index(1.0))
        self.speed_box.currentIndexChanged.connect(lambda i: self.speed_changed.emit(SPEEDS[i]))
        self.slider = QSlider(Qt.Horizontal)
        self.slider.sliderReleased.connect(self._slider_seek)
        self.slider.sliderMoved.connect(lambda v: self._show_time(v / SLIDER_STEPS_PER_S))
        self.time_label = QLabel("0.0 / 0.0 s")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.play_button, self.back_button, self.step_button, self.speed_box):
            layout.addWidget(widget)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.time_label)

    def set_duration(self, duration: float | None) -> None:
        self.duration = float(duration or 0.0)
        self.slider.setRange(0, int(self.duration * SLIDER_STEPS_PER_S))
        self.set_seekable(self.duration > 0)

    def set_seekable(self, seekable: bool) -> None:
        for widget in (self.back_button, self.slider):
            widget.setEnabled(seekable)

    def set_position(self, t: float) -> None:
        if not self.slider.isSliderDown():
            self.slider.setValue(int(t * SLIDER_STEPS_PER_S))
            self._show_time(t)

    def set_playing(self, playing: bool) -> None:
        self.playing = playing
        self.play_button.setText("Pause" if playing else "Play")

    def toggle(self) -> None:
        if self.playing:
            self.pause_requested.emit()
        else:
            self.play_requested.emit()
        self.set_playing(not self.playing)

    def _slider_seek(self) -> None:
        self.seek_requested.emit(self.slider.value() / SLIDER_STEPS_PER_S)

    def _show_time(self, t: float) -> None:
        self.time_label.setText(f"{t:.1f} / {self.duration:.1f} s")
