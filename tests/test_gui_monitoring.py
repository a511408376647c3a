"""Issue 19, point 4: the window never says "No alert" while it is not monitoring. Each reason is a
state of its own (grey, not green), named by the alert banner and the status bar (pytest-qt,
offscreen)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest
from conftest import DAY_CLIP

from dms.core.config import Settings
from dms.core.types import Cues, Event, EventUpdate, Frame, FrameResult, Monitoring, Scores
from dms.pipeline.recipe import AnalysisRecipe
from ui.alerts import BANNER_COLOURS
from ui.main_window import MainWindow
from ui.player import Shown

GREEN, GREY = BANNER_COLOURS[None][0], BANNER_COLOURS["not_monitoring"][0]


@pytest.fixture
def window(qtbot):
    window = MainWindow(AnalysisRecipe(Settings()))
    qtbot.addWidget(window)
    yield window
    window.close()


def shown(monitoring: Monitoring, t: float = 1.0, updates=()) -> Shown:
    frame = Frame(10, t, np.zeros((36, 64, 3), np.uint8))
    scores = Scores(frame.index, t, {}, {})
    return Shown(FrameResult(frame, Cues(), None, scores, tuple(updates), monitoring=monitoring), True)


def says(window: MainWindow, reason: str) -> bool:
    banner = window.banner.label
    return (banner.text() == f"Not monitoring: {reason}" and GREY in banner.styleSheet()
            and GREEN not in banner.styleSheet()
            and window.monitor_label.text() == f"Not monitoring: {reason}")


def test_no_camera_before_anything_is_opened(window):
    assert says(window, "no camera")


def test_no_camera_when_the_camera_does_not_open(window, qtbot):
    window.open_default_camera(9)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.welcome, timeout=30000)
    assert says(window, "no camera")


def test_models_loading_while_the_analysis_starts(window):
    window.open_source(DAY_CLIP)
    assert says(window, "models loading")  # at once, before the analysis process answers


@pytest.mark.parametrize(
    ("monitoring", "reason"),
    [
        (Monitoring("no face while driving"), "driver not in view"),
        (Monitoring("face out of frame"), "driver not in view"),
        (Monitoring("driver not in view while driving"), "driver not in view"),
        (Monitoring("face too small"), "face too small"),
        (Monitoring(None, eyes_not_visible=True), "eyes not visible"),
        (Monitoring("too dark"), "camera degraded (too dark)"),
        (Monitoring("frozen"), "camera degraded (frozen)"),
    ],
)
def test_each_frame_reason_is_named_by_banner_and_status_bar(window, monitoring, reason):
    window._show_results([shown(monitoring)])
    assert says(window, reason)
    window._show_results([shown(Monitoring(), t=1.1)])  # monitored again: all clear
    assert window.banner.label.text() == "No alert" and GREEN in window.banner.label.styleSheet()
    assert window.monitor_label.text() == "Monitoring"


def test_an_open_alert_is_shown_with_the_reason_in_its_own_colour(window):
    event = Event("e1", "camera_degraded", 0.0, 3.0, "warning", 1.0, 1.0, evidence={"reason": "too dark"})
    window._show_results([shown(Monitoring("too dark"), updates=(EventUpdate("open", event),))])
    text = window.banner.label.text()
    assert text.startswith("Not monitoring: camera degraded (too dark)")
    assert "driver not monitored: too dark (warning)" in text
    assert BANNER_COLOURS["warning"][0] in window.banner.label.styleSheet()
