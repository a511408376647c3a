"""Run one blocking job (a report export) in a thread, with a progress dialog, never on the GUI thread."""

from __future__ import annotations

from collections.abc import Callable

from PyQt5.QtCore import Qt, QThread, pyqtSignal
from PyQt5.QtWidgets import QProgressDialog, QWidget


class JobThread(QThread):
    """Calls `job()`; `done` carries None on success or the error's one-line message."""

    done = pyqtSignal(object)

    def __init__(self, job: Callable[[], object], parent=None):
        super().__init__(parent)
        self.job = job

    def run(self) -> None:
        try:
            self.job()
        except Exception as exc:  # reported to the user in the dialog, never lost
            self.done.emit(str(exc) or type(exc).__name__)
            return
        self.done.emit(None)


def run_with_progress(parent: QWidget, label: str, job: Callable[[], object], on_done) -> JobThread:
    """Start `job` in a thread behind a busy progress dialog; `on_done(error_or_None)` afterwards."""
    dialog = QProgressDialog(label, None, 0, 0, parent)
    dialog.setWindowModality(Qt.WindowModal)
    dialog.setMinimumDuration(0)
    thread = JobThread(job, parent)

    def finished(error) -> None:
        dialog.close()
        thread.wait()
        on_done(error)

    thread.done.connect(finished)
    thread.progress_dialog = dialog
    dialog.show()
    thread.start()
    return thread
