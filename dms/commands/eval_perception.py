"""`eval-perception DATA_DIR [--profile JSON]`: the landmark cues against hand-labelled clips.

For every clip in DATA_DIR/video with a label file in DATA_DIR/labels (the layout of
`../shared/data`), one table of the share of labelled frames where each cue agrees with the label
(dms.scoring.perception_evaluation) and one of the milliseconds per analysed frame; the figures in
docs/perception.md come from it.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from dms.core.errors import InputError
from dms.core.profile import CameraProfile
from dms.scoring.labels import load_labels
from dms.scoring.perception_evaluation import Agreement, CueRun, agreements, run_cues


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("eval-perception", help="landmark cues against hand-labelled clips")
    parser.add_argument("data", type=Path, help="folder with video/ and labels/")
    parser.add_argument("--profile", help="camera profile JSON (default: the frontal profile)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Prints the tables; InputError (one error line, exit 2) for a folder without labelled clips."""
    profile = CameraProfile.load(args.profile)
    clips = {
        labels: videos[0]
        for labels in sorted((args.data / "labels").glob("*.csv"))
        if (videos := sorted((args.data / "video").glob(labels.stem + ".*")))
    }
    if not clips:
        raise InputError(args.data, "no clip in video/ with a label file in labels/")
    runs: dict[str, CueRun] = {}
    print("clip | behaviour (cue) | inside: agree/known | away: agree/known | unknown inside")
    for labels_path, video in clips.items():
        cue_run = runs[video.name] = run_cues(video, profile, progress=True)
        for a in agreements(cue_run, load_labels(labels_path), profile=profile):
            scores = f"{_pct(a.inside)} | {_pct(a.outside)} | {a.unknown_inside}"
            print(f"{video.name} | {a.behaviour} ({a.cue}) | {scores}")
    print("\nclip | frames | median ms/frame (wall) | median CPU ms/frame (all threads)")
    for name, cue_run in runs.items():
        print(f"{name} | {len(cue_run.ms)} | {cue_run.median_ms:.1f} | {cue_run.median_cpu_ms:.1f}")
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


def _pct(pair: tuple[int, int]) -> str:
    share = Agreement.share(pair)
    return "-" if share is None else f"{100 * share:.0f}% ({pair[0]}/{pair[1]})"
