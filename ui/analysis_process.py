"""The analysis process: opens the source, builds the pipeline and plays it (no Qt here).

Messages to the window: ("opened", source.describe()), ("ready", AnalysisInfo), ("result", Shown)
per frame, ("done", RunSummary), or ("failed", one-line reason) at any point.

Analysis runs in its own process, not a thread, so that its Python work (landmark post-processing,
fusion, the store, clip writing) never competes with the GUI thread for the interpreter lock.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from dms.core.errors import InputError
from dms.pipeline.recipe import AnalysisRecipe
from ui.player import DISPLAY_MAX_W, Player

# The analysis yields the CPU to the window: on a busy machine the GUI stays responsive and the
# analysis (on a recording) just runs a little later; a live camera drops frames instead.
ANALYSIS_NICENESS = 10


@dataclass(frozen=True)
class AnalysisInfo:
    """Sent to the window once the pipeline is built."""

    session_id: str | None
    has_classifier: bool
    has_telemetry: bool
    classifier_note: str = ""


def analysis_main(spec: str | int | Path, recipe: AnalysisRecipe, commands, results,
                  speed: float, playing: bool) -> None:
    """Process entry point: every outcome, good or bad, is a message on `results`."""

    def send(message: tuple) -> None:
        results.send(message)

    os.nice(ANALYSIS_NICENESS)
    try:
        source = recipe.open_source(spec, display_max_side=DISPLAY_MAX_W)
        try:
            send(("opened", source.describe()))
            analysis = recipe.build(source)
            try:
                info = AnalysisInfo(analysis.session_id, analysis.has_classifier, analysis.has_telemetry,
                                    analysis.classifier_note)
                send(("ready", info))
                Player(analysis.pipeline, source, commands, send, speed, playing).run()
            finally:
                analysis.close()
        finally:
            source.close()
    except (BrokenPipeError, EOFError):  # the window went away: nothing left to tell
        return
    except InputError as exc:
        send(("failed", str(exc)))
    except Exception as exc:  # shown to the user; the process must not die silently
        send(("failed", f"{type(exc).__name__}: {exc}"))
    finally:
        results.close()
