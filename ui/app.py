"""Start the Qt application with the main window (used by the `gui` command).

DMS_GUI_SCREENSHOT=out.png saves a picture of the window DMS_GUI_SCREENSHOT_AFTER_S seconds
(default 8) after start and then quits: a real screenshot of the running app, e.g. under Xvfb.
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

from PyQt5.QtCore import QTimer
from PyQt5.QtWidgets import QApplication

from ui.main_window import MainWindow

SCREENSHOT_ENV = "DMS_GUI_SCREENSHOT"
SCREENSHOT_AFTER_ENV = "DMS_GUI_SCREENSHOT_AFTER_S"


def use_pyqt_plugins() -> None:
    """opencv-python points Qt at its own bundled plugins when cv2 is imported; those do not match
    PyQt5's Qt and the window fails to start on X11. Point Qt back at PyQt5's platform plugins."""
    for name in ("QT_QPA_PLATFORM_PLUGIN_PATH", "QT_QPA_FONTDIR"):
        if "cv2" in Path(os.environ.get(name, "")).parts:
            del os.environ[name]


def application() -> QApplication:
    use_pyqt_plugins()
    return QApplication.instance() or QApplication(sys.argv[:1])


def schedule_screenshot(window: MainWindow) -> None:
    target = os.environ.get(SCREENSHOT_ENV)
    if not target:
        return
    delay_s = float(os.environ.get(SCREENSHOT_AFTER_ENV, "8"))

    def shoot() -> None:
        window.grab().save(str(Path(target)))
        window.close()

    QTimer.singleShot(int(delay_s * 1000), shoot)


def report_unexpected(kind, value, tb) -> None:
    """A bug in a slot is printed, not fatal: PyQt aborts the app only under the default hook."""
    traceback.print_exception(kind, value, tb)


def run_window(app: QApplication, window: MainWindow) -> int:
    sys.excepthook = report_unexpected
    window.show()
    schedule_screenshot(window)
    return app.exec_()
