"""`export CHECKPOINT --out model.onnx`: the online TSM step as an ONNX model (frame + buffers in/out)."""

from __future__ import annotations

import argparse


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("export", help="export a causal TSM checkpoint's online step to ONNX")
    parser.add_argument("checkpoint", help="checkpoint (.pth): project format or official TSM")
    parser.add_argument("--out", required=True, help="ONNX file to write")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from models.checkpoints import load_checkpoint
    from models.errors import ModelInputError
    from models.onnx_export import export_online_onnx

    model, meta = load_checkpoint(args.checkpoint)
    if meta.shift_mode == "bidirectional":
        raise ModelInputError(
            args.checkpoint,
            "bi-directional (offline) TSM weights cannot run online; fine-tune with the causal shift first",
        )
    out = export_online_onnx(model, meta, args.out)
    shifts = len(model.shift_modules())
    print(
        f"wrote {out}: {meta.arch}, {meta.num_class} classes, {shifts} shift buffers, {meta.input_size} px"
    )
    return 0
