"""`bench paddle-parity VIDEO --paddle-python PY`: the project's network against PaddleVideo's own.

PaddleVideo runs in its own environment (`--paddle-python`, a Python with paddlepaddle 3.3.1 and
ppvideo 2.3.1; never the app's): `scripts/paddle_reference.py` builds TSM ResNet-50 and PP-TSM
ResNet-50-vd with PaddleVideo's classes, gives them random weights and the clip's BatchNorm
statistics, writes them as `.pdparams` and writes their logits on the clip. This side loads each
`.pdparams` with `models.load_checkpoint` (no Paddle) and compares its logits on the same clip:
8 frames, the centres of 8 equal segments of VIDEO, preprocessed as PaddleVideo's Kinetics-400
configs do (short side 256, centre crop 224, RGB, ImageNet mean/std). It takes a minute or two of
CPU per network, too long and too heavy an install for CI; the printed figure goes into the docs.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from models.errors import ModelInputError

REFERENCE = Path(__file__).resolve().parents[1] / "scripts" / "paddle_reference.py"
ARCHS = ("resnet50", "resnet50vd")
TOLERANCE = 1e-4  # max |logit difference| the issue asks for (issue 21)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("video", type=Path, help="video whose 8 segment-centre frames are the clip")
    parser.add_argument("--paddle-python", type=Path, required=True,
                        help="python of an environment with paddlepaddle==3.3.1 and ppvideo==2.3.1")
    parser.add_argument("--arch", choices=(*ARCHS, "both"), default="both", help="network(s) to compare")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def segment_clip(video: Path, segments: int) -> np.ndarray:
    """`(segments, 3, 224, 224)` float32: segment-centre frames, PaddleVideo's test preprocessing."""
    from models import paddlevideo
    from models.datasets.clip import Clip
    from models.datasets.frames import clip_length, load_frames
    from models.preprocess import Preprocess
    from models.sampling import segment_indices

    clip = Clip(video, "video", 0, None, 0)
    indices = segment_indices(clip_length(clip), segments, False, np.random.default_rng(0))
    prep = Preprocess(paddlevideo.INPUT_SIZE, paddlevideo.SCALE_SIZE)
    # load_frames gives RGB; Preprocess takes BGR as a camera gives it
    frames = load_frames(clip, indices)
    return np.concatenate([prep.array(np.ascontiguousarray(f[:, :, ::-1])) for f in frames])


def compare(arch: str, clip_path: Path, folder: Path, paddle_python: Path) -> dict:
    """Run PaddleVideo's network on the clip, load its .pdparams here, return the logit difference."""
    import torch

    from models import load_checkpoint

    params, logits_path = folder / f"{arch}.pdparams", folder / f"{arch}_logits.npy"
    began = time.monotonic()
    done = subprocess.run([str(paddle_python), str(REFERENCE), "--arch", arch, "--clip", str(clip_path),
                           "--params", str(params), "--logits", str(logits_path)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise ModelInputError(paddle_python, f"PaddleVideo's reference run ({arch}) failed: {tail}")
    paddle_seconds = time.monotonic() - began
    reference = np.load(logits_path)
    model, meta = load_checkpoint(params)
    with torch.no_grad():
        ours = model(torch.from_numpy(np.load(clip_path))).numpy()
    difference = float(np.abs(ours - reference).max())
    return {"arch": arch, "model": meta.training["model"], "classes": meta.num_class,
            "tensors": len(model.state_dict()), "max_abs_logit": float(np.abs(reference).max()),
            "max_abs_difference": difference, "within_tolerance": difference <= TOLERANCE,
            "paddle_seconds": round(paddle_seconds, 1)}


def run(args: argparse.Namespace) -> dict:
    """Compare each network; print a table unless --json. ModelInputError when Paddle cannot run."""
    from models import paddlevideo

    if not args.paddle_python.is_file():
        raise ModelInputError(args.paddle_python, "no such Python (of the environment with paddlepaddle "
                                                  "and ppvideo)")
    archs = ARCHS if args.arch == "both" else (args.arch,)
    with tempfile.TemporaryDirectory(prefix="paddle-parity-") as tmp:
        folder = Path(tmp)
        clip_path = folder / "clip.npy"
        np.save(clip_path, segment_clip(args.video, paddlevideo.SEGMENTS))
        results = [compare(arch, clip_path, folder, args.paddle_python) for arch in archs]
    summary = {"video": str(args.video), "segments": paddlevideo.SEGMENTS, "tolerance": TOLERANCE,
               "networks": results}
    if not args.json:
        print(f"PaddleVideo parity on {args.video.name} ({paddlevideo.SEGMENTS} segment-centre frames, "
              f"224 px), logits of PaddleVideo's code vs models.load_checkpoint of its .pdparams:")
        for r in results:
            verdict = "ok" if r["within_tolerance"] else f"ABOVE {TOLERANCE:g}"
            print(f"  {r['model']}: max |difference| {r['max_abs_difference']:.2e} "
                  f"(logits up to {r['max_abs_logit']:.3f}, {r['classes']} classes) {verdict}")
        sys.stdout.flush()
    return summary
