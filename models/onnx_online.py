"""Run an exported online TSM step with onnxruntime, keeping the shift buffers between frames."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnxruntime as ort

from models.checkpoints import META_KEY, CheckpointMeta
from models.errors import ModelInputError


class OnnxOnlineTSM:
    """`step(frame (1,3,H,W) float32) -> logits (1, num_class)`, `reset()`; same contract as OnlineTSM."""

    def __init__(self, model: bytes | str | Path, threads: int | None = None):
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            # Idle pool threads spin by default: beside another busy stage that burns CPU it needs.
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        source = model if isinstance(model, bytes) else str(model)
        self.name = "ONNX model" if isinstance(model, bytes) else str(model)
        try:
            self.session = ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own types for unreadable models
            name = "ONNX model" if isinstance(model, bytes) else model
            raise ModelInputError(
                name, f"not a loadable ONNX model: {str(exc).splitlines()[0][:200]}"
            ) from None
        inputs = self.session.get_inputs()
        self.buffer_inputs = [i for i in inputs if i.name.startswith("buffer_in_")]
        self.output_names = [o.name for o in self.session.get_outputs()]
        self.buffers: list[np.ndarray] = []
        self.reset()

    def meta(self) -> CheckpointMeta | None:
        """The checkpoint metadata embedded at export, if any."""
        raw = self.session.get_modelmeta().custom_metadata_map.get(META_KEY)
        if raw is None:
            return None
        try:
            return CheckpointMeta.from_dict(json.loads(raw))
        except (TypeError, ValueError) as exc:
            raise ModelInputError(self.name, f"bad embedded metadata: {exc}") from None

    def step(self, frame: np.ndarray) -> np.ndarray:
        feeds = {"frame": np.ascontiguousarray(frame, dtype=np.float32)}
        feeds.update({spec.name: buf for spec, buf in zip(self.buffer_inputs, self.buffers, strict=True)})
        logits, *buffers = self.session.run(self.output_names, feeds)
        self.buffers = buffers
        return logits

    def reset(self) -> None:
        self.buffers = [np.zeros(spec.shape, np.float32) for spec in self.buffer_inputs]
