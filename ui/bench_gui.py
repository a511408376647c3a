"""`python main.py bench-gui VIDEO`: how smoothly the GUI thread runs while a recording is analysed.

A 5 ms timer on the GUI thread ticks while the whole app plays the recording; the longest gap
between ticks is the worst stall a user would feel (the goal is under 50 ms: about three frames
at 60 Hz). The figure depends on the machine's load, so it is printed, never asserted in a test.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from dms.commands.common import add_common_arguments

GOAL_S = 0.050


class LoopMeter:
    """A 5 ms timer on the GUI thread; the longest gap between its ticks is the worst stall (s)."""

    def __init__(self):
        from PyQt5.QtCore import QTimer

        self.last = self.started = time.perf_counter()
        self.worst = 0.0
        self.ticks = 0
        self.long: list[tuple[float, float]] = []  # (when, gap) of gaps over 30 ms, for the report
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self.tick)

    def tick(self) -> None:
        now = time.perf_counter()
        if now - self.last > 0.030:
            self.long.append((round(now - self.started, 2), round(now - self.last, 3)))
        self.worst = max(self.worst, now - self.last)
        self.last = now
        self.ticks += 1

    def start(self) -> None:
        self.last = self.started = time.perf_counter()
        self.timer.start()

    def figures(self) -> dict:
        return {"worst_gap_ms": round(self.worst * 1000, 1), "ticks": self.ticks,
                "gaps_over_30ms": len(self.long), "goal_ms": GOAL_S * 1000}


def play_measured(qapp, window, path: Path | str, timeout_s: float = 120.0):
    """Open `path` in `window`, play it to its end while a LoopMeter runs; (summary or None, meter)."""
    settle = time.perf_counter() + 0.5  # the window's first layout and paint are not playback
    while time.perf_counter() < settle:
        qapp.processEvents()
        time.sleep(0.002)
    meter = LoopMeter()
    meter.start()
    window.open_source(path)
    done = []
    window.worker.analysis_done.connect(done.append)
    deadline = time.perf_counter() + timeout_s
    while not done and time.perf_counter() < deadline:
        qapp.processEvents()
        time.sleep(0.002)
    meter.timer.stop()
    qapp.processEvents()
    return (done[0] if done else None), meter


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("bench-gui", help="GUI thread stalls while the app plays a recording")
    parser.add_argument("video", type=Path)
    parser.add_argument("--speed", default="8x", help="playback speed as the app's box names it (8x)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    add_common_arguments(parser)
    parser.set_defaults(func=run, analysis_fps=4.0)


def run(args: argparse.Namespace) -> int:
    from dms.commands.common import recipe_from_args
    from dms.core.errors import InputError
    from dms.store import Store
    from ui.app import application
    from ui.main_window import MainWindow

    if not args.video.exists():
        raise InputError(args.video, "recording not found")
    recipe = recipe_from_args(args)
    qapp = application()
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "events.sqlite")
        window = MainWindow(recipe, store=store)
        window.show()
        window.controls.speed_box.setCurrentText(args.speed)
        summary, meter = play_measured(qapp, window, args.video)
        window.close()
        store.close()
    figures = {"video": str(args.video), "speed": args.speed, "frames": summary.frames if summary else None,
               **meter.figures()}
    if args.json:
        print(json.dumps(figures))
    else:
        print(f"GUI thread: worst gap {figures['worst_gap_ms']:.0f} ms (goal < {GOAL_S * 1000:.0f} ms) over "
              f"{meter.ticks} ticks of a 5 ms timer; {len(meter.long)} gaps over 30 ms; "
              f"{figures['frames']} frames analysed at {args.speed}")
    return 0
