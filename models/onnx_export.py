"""Export the online step of a causal TSM to ONNX: (frame, buffers) in, (logits, buffers) out.

The checkpoint's metadata travels inside the ONNX file (`metadata_props["dms_meta"]`, JSON), so a
runtime needs nothing else. Uses the TorchScript exporter (the dynamo exporter needs onnxscript).
"""

from __future__ import annotations

import copy
import io
import json
import os
import tempfile
import warnings
from dataclasses import asdict
from pathlib import Path

import onnx
import torch

from models.checkpoints import META_KEY, CheckpointMeta
from models.online import OnlineStep
from models.tsm import TSN

OPSET = 17


def buffer_shapes(step: OnlineStep, input_size: int) -> list[tuple[int, ...]]:
    """Shapes of the cached shift buffers for one frame of `input_size` pixels."""
    with torch.no_grad():
        _, *buffers = step(torch.zeros(1, 3, input_size, input_size))
    return [tuple(b.shape) for b in buffers]


def online_onnx_bytes(model: TSN, meta: CheckpointMeta) -> bytes:
    """The serialised ONNX model of the online step, with the metadata embedded.

    Exports a copy: tracing leaves the traced module slower to run eagerly afterwards.
    """
    step = OnlineStep(copy.deepcopy(model).eval())
    shapes = buffer_shapes(step, meta.input_size)
    frame = torch.zeros(1, 3, meta.input_size, meta.input_size)
    buffers = tuple(torch.zeros(s) for s in shapes)
    n = len(shapes)
    stream = io.BytesIO()
    with torch.no_grad(), warnings.catch_warnings():
        # The TorchScript exporter is deprecated in favour of the dynamo one, which needs onnxscript.
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            step,
            (frame, *buffers),
            stream,
            input_names=["frame", *[f"buffer_in_{i}" for i in range(n)]],
            output_names=["logits", *[f"buffer_out_{i}" for i in range(n)]],
            opset_version=OPSET,
            dynamo=False,
        )
    proto = onnx.load_from_string(stream.getvalue())
    entry = proto.metadata_props.add()
    entry.key, entry.value = META_KEY, json.dumps(asdict(meta))
    onnx.checker.check_model(proto)
    return proto.SerializeToString()


def export_online_onnx(model: TSN, meta: CheckpointMeta, out: str | Path) -> Path:
    """Write the ONNX file atomically; returns its path."""
    data = online_onnx_bytes(model, meta)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=out.name, suffix=".part", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return out
