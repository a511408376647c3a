"""`replay_drive`: analyse one recorded drive from a recipe and write its report folder.

The one headless path from a recording to a report: `replay` runs it in its own process, `batch`
once per drive in worker processes.
"""

from __future__ import annotations

import math
import sys
import threading
from dataclasses import dataclass, replace
from pathlib import Path

from tqdm import tqdm

from dms.core.config import Settings, analysis_rate
from dms.pipeline.recipe import AnalysisRecipe
from dms.sources.prefetch import Prefetched
from dms.sources.readers import FrameSource


@dataclass(frozen=True)
class ReplayResult:
    """How one drive's analysis went. `duration_s` is the media time analysed (seconds); `report`
    the report.html written; `stopped_early` why a damaged or cut recording ended early."""

    video: str
    session_id: str
    frames: int
    events: int
    duration_s: float
    wall_s: float
    stopped_early: str | None
    cancelled: bool
    report: Path
    has_classifier: bool
    classifier_note: str
    telemetry_warning: str | None
    headline: str = ""  # the drive in one line (dms.report.summary.headline)


def progress_bar(source: FrameSource, settings: Settings, disable: bool) -> tqdm:
    """A frame bar sized from the source's duration and the analysis rate (open-ended for live):
    one frame per 1/rate of media in [0, duration), so a 4.0 s clip at 10/s is 40 frames."""
    rate = analysis_rate(settings.analysis_fps, source.fps)
    total = math.ceil(source.duration_s * rate - 1e-6) if source.duration_s else None
    return tqdm(total=total, unit="frame", desc="analysing", disable=disable, file=sys.stderr, smoothing=0.1)


def replay_drive(
    recipe: AnalysisRecipe,
    video: str | Path,
    out: str | Path | None = None,
    *,
    progress: bool = False,
    stop: threading.Event | None = None,
) -> ReplayResult:
    """Analyse `video` (a file or image folder) as `recipe` says, log it and write the report.

    The session goes to `recipe.db_path` (the user's default event log when None); the report
    folder is `out`, or ./out/<session id>. `stop` ends the analysis early (what was analysed is
    logged and reported). Raises InputError on bad input, before any session is
    written for a source that does not open.
    """
    from dms.report import write_session_report
    from dms.report.summary import headline

    if recipe.db_path is None:
        from dms.store import default_db_path

        recipe = replace(recipe, db_path=str(default_db_path()))
    with recipe.open_source(str(video)) as source:
        if stop is not None:
            source.stop_with(stop)  # a live source blocked on a stalled stream still stops at once
        analysis = recipe.build(source)
        try:
            bar = progress_bar(source, recipe.settings, not progress)
            with bar:
                frames = source if source.is_live else Prefetched(source)  # decoding in its own thread
                summary = analysis.pipeline.run(
                    frames, progress=lambda result: bar.update(1), stop=stop,
                    stopped_early=lambda: source.stopped_early, dropped_frames=lambda: source.dropped,
                )
        except BaseException:
            analysis.close()
            raise
    with analysis:
        folder = Path(out) if out is not None else Path("out") / analysis.session_id
        written = write_session_report(analysis.store, analysis.session_id, folder, progress=progress)
    telemetry = analysis.telemetry.describe() if analysis.telemetry is not None else {}
    return ReplayResult(
        video=str(video),
        session_id=analysis.session_id,
        frames=summary.frames,
        events=len(summary.events),
        duration_s=summary.last_t,
        wall_s=summary.wall_s,
        stopped_early=summary.stopped_early,
        cancelled=summary.cancelled,
        report=written["report.html"],
        has_classifier=analysis.has_classifier,
        classifier_note=analysis.classifier_note,
        telemetry_warning=telemetry.get("warning"),
        headline=headline(summary.events),
    )
