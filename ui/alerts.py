"""The alert banner (colour follows severity) and the escalating sound with a one-click mute."""

from __future__ import annotations

import tempfile
from pathlib import Path

from PyQt5.QtCore import QUrl
from PyQt5.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from dms.core.types import EventUpdate
from ui.alert_state import ActiveAlerts
from ui.tones import chime, critical_tone, write_wav

BANNER_COLOURS = {
    None: ("#2e7d32", "white"),
    "not_monitoring": ("#616161", "white"),  # grey: neither "all clear" nor an alert
    "info": ("#1565c0", "white"),
    "warning": ("#f9a825", "black"),
    "critical": ("#c62828", "white"),
}


def _sound_effect_class():
    """QSoundEffect, or None when QtMultimedia (or its audio libraries) cannot be loaded."""
    try:
        from PyQt5.QtMultimedia import QSoundEffect
    except ImportError:
        return None
    return QSoundEffect


class AlertSound:
    """Plays a chime when a warning starts and loops a tone while anything is critical.

    `cue` is what the sound should be doing ("silent", "chime" or "critical"); it is tracked even
    when there is no audio device, so the app keeps working silently.
    """

    def __init__(self, muted: bool = False):
        self.muted = muted
        self.cue = "silent"
        self._dir = tempfile.TemporaryDirectory(prefix="dms-tones-")
        folder = Path(self._dir.name)
        self.chime_path = write_wav(folder / "chime.wav", chime())
        self.critical_path = write_wav(folder / "critical.wav", critical_tone())
        effect = _sound_effect_class()
        self.available = effect is not None
        self._chime = self._critical = None
        if effect is not None:
            self._chime = effect()
            self._chime.setSource(QUrl.fromLocalFile(str(self.chime_path)))
            self._critical = effect()
            self._critical.setSource(QUrl.fromLocalFile(str(self.critical_path)))
            self._critical.setLoopCount(effect.Infinite)

    def follow(self, previous: str | None, level: str | None) -> None:
        """Escalate or stop according to the change of the alert level."""
        if level == "critical":
            if self.cue != "critical":
                self.cue = "critical"
                self._play(self._critical)
            return
        self._stop(self._critical)
        if level == "warning" and previous not in ("warning", "critical"):
            self.cue = "chime"
            self._play(self._chime)
        elif level is None or level == "info":
            self.cue = "silent"

    def set_muted(self, muted: bool) -> None:
        self.muted = muted
        if muted:
            self._stop(self._critical)
            self._stop(self._chime)
        elif self.cue == "critical":
            self._play(self._critical)

    def _play(self, effect) -> None:
        if effect is not None and not self.muted:
            effect.play()

    def _stop(self, effect) -> None:
        if effect is not None:
            effect.stop()


class AlertBanner(QWidget):
    """A strip above the video: what is happening now, coloured by the highest severity.

    "No alert" (green) only while the driver is monitored: otherwise it says "Not monitoring:" and
    why (`set_not_monitoring`), grey, or in the colour of the events still open."""

    def __init__(self, parent=None, sound: AlertSound | None = None):
        super().__init__(parent)
        self.alerts = ActiveAlerts()
        self.not_monitoring: str | None = None  # the window says why (set_not_monitoring)
        self.sound = sound if sound is not None else AlertSound()
        self.label = QLabel("No alert")
        self.label.setMinimumHeight(28)
        self.mute_button = QPushButton("Mute")
        self.mute_button.setCheckable(True)
        self.mute_button.toggled.connect(self._on_mute)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.mute_button)
        self._show(None)

    @property
    def level(self) -> str | None:
        return self.alerts.level

    def apply(self, updates) -> None:
        """Take one frame's event updates; redraw and re-sound only when something changed."""
        if not updates:
            return
        previous = self.alerts.level
        self.alerts.apply(updates)
        self.sound.follow(previous, self.alerts.level)
        self._show(self.alerts.level)

    def clear(self) -> None:
        previous = self.alerts.level
        self.alerts.clear()
        self.sound.follow(previous, None)
        self._show(None)

    def set_not_monitoring(self, reason: str | None) -> None:
        """Why the driver is not monitored now (alert_state's words), or None once monitored."""
        if reason != self.not_monitoring:
            self.not_monitoring = reason
            self._show(self.alerts.level)

    def show_review(self, events: list) -> None:
        """While replaying analysed moments: show the events that covered that moment, silently."""
        self.alerts.clear()
        self.alerts.apply([EventUpdate("open", e) for e in events])
        self.sound.follow("critical", None)
        self._show(self.alerts.level, prefix="replay: ")

    def _show(self, level: str | None, prefix: str = "") -> None:
        text = self.alerts.summary()
        if self.not_monitoring is not None:
            state = f"Not monitoring: {self.not_monitoring}"
            text = f"{state}   {text}" if text else state
        background, foreground = BANNER_COLOURS[
            "not_monitoring" if level is None and self.not_monitoring is not None else level
        ]
        self.label.setText(prefix + (text or "No alert"))
        self.label.setStyleSheet(
            f"background:{background}; color:{foreground}; font-weight:bold; padding:4px;"
        )

    def _on_mute(self, muted: bool) -> None:
        self.sound.set_muted(muted)
        self.mute_button.setText("Unmute" if muted else "Mute")
