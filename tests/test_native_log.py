"""MediaPipe's and TFLite's own log lines go to the native log, not between the progress bar's frames."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import SHARED

ROOT = Path(__file__).resolve().parents[1]


def test_a_replay_shows_its_progress_and_messages_without_native_log_lines(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state")}
    proc = subprocess.run(
        [sys.executable, "main.py", "replay", str(SHARED / "faults" / "base_day4.mp4"), "--analysis-fps", "2",
         "--out", str(tmp_path / "out"), "--db", str(tmp_path / "db.sqlite")],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert "analysing:" in proc.stderr and "classifier not run" in proc.stderr  # ours: on the terminal
    for native in ("XNNPACK", "W0000", "absl::InitializeLog"):
        assert native not in proc.stderr
    logs = list((tmp_path / "state").rglob("native.log"))
    assert len(logs) == 1 and "XNNPACK" in logs[0].read_text()


def test_the_terminal_comes_back_after_the_block(tmp_path):
    script = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from dms.commands.native_log import native_log\n"
        f"with native_log(Path({str(tmp_path / 'n.log')!r})) as path:\n"
        "    os.write(2, b'native line\\n')\n"
        "    print('ours inside', file=sys.stderr)\n"
        "os.write(2, b'native after\\n')\n"
        "print('ours after', file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines() == ["ours inside", "native after", "ours after"]
    assert (tmp_path / "n.log").read_text() == "native line\n"
