"""Streaming TSM: one frame in, logits out, one cached shift buffer per shifted block.

Only a causal ("online", uni-directional) network can stream: its output on a frame depends on
the past alone, so caching the shifted channels of the previous frame reproduces the offline
network's output on the clip ending at that frame exactly.
"""

from __future__ import annotations

import torch
from torch import nn

from models.temporal_shift import ShiftStream
from models.tsm import TSN


class OnlineStep(nn.Module):
    """The network as a function (frame, buffers) -> (logits, new buffers): what ONNX exports."""

    def __init__(self, model: TSN):
        super().__init__()
        if model.shift_mode == "bidirectional":
            raise ValueError(
                "bi-directional (offline) TSM weights cannot run online: the shift looks at the next "
                "frame; fine-tune them with shift_mode='online' first"
            )
        self.model = model
        self.shifts = model.shift_modules()
        for slot, shift in enumerate(self.shifts):
            shift.slot = slot

    def forward(self, frame: torch.Tensor, *buffers: torch.Tensor) -> tuple[torch.Tensor, ...]:
        stream = ShiftStream(list(buffers) if buffers else [None] * len(self.shifts))
        for shift in self.shifts:
            shift.stream = stream
        try:
            logits = self.model.forward_frames(frame)
        finally:
            for shift in self.shifts:
                shift.stream = None
        return (logits, *stream.outputs)


class OnlineTSM:
    """Run a causal TSN frame by frame: `step(frame (1,3,H,W)) -> logits (1, num_class)`.

    Call `reset()` between clips: the buffers hold the previous frame's shifted channels.
    """

    def __init__(self, model: TSN):
        self.step_module = OnlineStep(model.eval())
        self.buffers: tuple[torch.Tensor, ...] = ()

    @property
    def num_buffers(self) -> int:
        return len(self.step_module.shifts)

    @torch.no_grad()
    def step(self, frame: torch.Tensor) -> torch.Tensor:
        logits, *buffers = self.step_module(frame, *self.buffers)
        self.buffers = tuple(buffers)
        return logits

    def reset(self) -> None:
        self.buffers = ()
