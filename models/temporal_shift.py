"""The temporal shift of TSM (Lin, Gan & Han, ICCV 2019): zero-FLOP temporal mixing by moving channels.

Offline (bi-directional): the first `c // shift_div` channels take the next frame's values and the next
`c // shift_div` the previous frame's, zero at the clip ends. Online (uni-directional, causal): the first
`c // shift_div` channels take the previous frame's values, so a frame never sees the future and the
network can run one frame at a time with a cached buffer. Built from slices and `torch.cat`, never
in-place slice assignment, so the same code traces and exports to ONNX.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from models.architecture import DEFAULT_SHIFT_DIV


def shift_bidirectional(x: torch.Tensor, n_segment: int, shift_div: int,
                        order: str = "next-first") -> torch.Tensor:
    """Shift a clip batch `(N*T, C, H, W)`: channels [0, f) from t+1, [f, 2f) from t-1, zero-padded;
    `order="previous-first"` (PaddleVideo's temporal_shift) takes [0, f) from t-1 and [f, 2f) from t+1."""
    nt, c, h, w = x.shape
    clip = x.reshape(nt // n_segment, n_segment, c, h, w)
    fold = c // shift_div
    first, second = clip[:, :, :fold], clip[:, :, fold : 2 * fold]
    zero_first, zero_second = torch.zeros_like(first[:, :1]), torch.zeros_like(second[:, :1])
    if order == "next-first":
        first = torch.cat((first[:, 1:], zero_first), dim=1)
        second = torch.cat((zero_second, second[:, :-1]), dim=1)
    else:
        first = torch.cat((zero_first, first[:, :-1]), dim=1)
        second = torch.cat((second[:, 1:], zero_second), dim=1)
    return torch.cat((first, second, clip[:, :, 2 * fold :]), dim=2).reshape(nt, c, h, w)


def shift_causal(x: torch.Tensor, n_segment: int, shift_div: int) -> torch.Tensor:
    """Shift a clip batch `(N*T, C, H, W)`: channels [0, f) from t-1 (zero at the first frame)."""
    nt, c, h, w = x.shape
    clip = x.reshape(nt // n_segment, n_segment, c, h, w)
    fold = c // shift_div
    from_prev = torch.cat((torch.zeros_like(clip[:, :1, :fold]), clip[:, :-1, :fold]), dim=1)
    return torch.cat((from_prev, clip[:, :, fold:]), dim=2).reshape(nt, c, h, w)


@dataclass
class ShiftStream:
    """Per-step buffers for streaming: `inputs[i]` is what shifted block i cached at the previous frame.

    While a stream is attached, every `TemporalShift` reads its slot from `inputs` and writes the
    channels the next frame will need into `outputs`.
    """

    inputs: list[torch.Tensor | None]
    outputs: list[torch.Tensor | None] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.outputs = [None] * len(self.inputs)


class TemporalShift(nn.Module):
    """Shift the input of the wrapped layer in time, then apply it. The wrapped layer is `.net`.

    The `.net` attribute name gives the state-dict keys of the official TSM code
    (e.g. `layer1.0.conv1.net.weight`), so its checkpoints load without renaming.
    """

    def __init__(
        self, net: nn.Module, n_segment: int, shift_div: int = DEFAULT_SHIFT_DIV, mode: str = "bidirectional",
        order: str = "next-first",
    ):
        super().__init__()
        if mode not in ("bidirectional", "online"):
            raise ValueError(f"unknown shift mode {mode!r}")
        self.net = net
        self.n_segment = n_segment
        self.shift_div = shift_div
        self.mode = mode
        self.order = order
        self.stream: ShiftStream | None = None
        self.slot = -1
        self.steady = False  # see TSN.set_steady: the shift of an endless still clip is the identity

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stream is not None:
            return self.net(self._shift_streaming(x))
        if self.steady:
            return self.net(x)
        if x.shape[0] % self.n_segment:
            raise ValueError(f"batch of {x.shape[0]} frames is not a multiple of n_segment={self.n_segment}")
        if self.mode == "online":
            return self.net(shift_causal(x, self.n_segment, self.shift_div))
        return self.net(shift_bidirectional(x, self.n_segment, self.shift_div, self.order))

    def _shift_streaming(self, x: torch.Tensor) -> torch.Tensor:
        """One new frame: the cached channels of the previous frame replace the first fold."""
        fold = x.shape[1] // self.shift_div
        cached = self.stream.inputs[self.slot]
        if cached is None:
            cached = torch.zeros_like(x[:, :fold])
        self.stream.outputs[self.slot] = x[:, :fold]
        return torch.cat((cached, x[:, fold:]), dim=1)

    def extra_repr(self) -> str:
        return f"n_segment={self.n_segment}, shift_div={self.shift_div}, mode={self.mode}"
