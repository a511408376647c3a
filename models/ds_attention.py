"""DS attention: a per-channel gate computed from the whole feature map, placed after a block's last BN.

For each channel a depthwise convolution whose kernel covers the whole feature map (a learned spatial
pooling, one value per channel), optionally group norm, then an SE-style bottleneck: two linear
layers without bias, reduction 16, ReLU between. The variants of the founding documents (issue 21,
UCF101 ResNet-50 TSM, 8 frames) differ in the gate: no1 sigmoid and multiply, no2 sigmoid and add,
no3 no gate and add, no4 ReLU6 and multiply. It acts within one frame, so the causal (online) TSM
stays exact when it streams frame by frame.

The kernel equals the feature map's size at the checkpoint's input size (`feature_size`); any other
size is refused with `ModelInputError`, since the learned pooling has no meaning there.
"""

from __future__ import annotations

import math

import torch
import torchvision
from torch import nn

from models.architecture import DS_REDUCTION, DS_VARIANTS
from models.errors import ModelInputError

GROUP_NORM_GROUPS = 16  # channel groups of the optional group norm (the channel counts here divide by 8)


class DSAttention(nn.Module):
    """`forward(x (N, C, k, k)) -> (N, C, k, k)`: x gated per channel by its variant.

    `kernel` is the feature map's side k; the pooling starts as the plain average (weights 1/k^2),
    so the block begins as squeeze-and-excitation and learns where to look.
    """

    def __init__(self, channels: int, kernel: int, variant: str, group_norm: bool = False,
                 input_size: int | None = None):
        super().__init__()
        if variant not in DS_VARIANTS:
            raise ValueError(f"unknown DS variant {variant!r}; expected one of {', '.join(DS_VARIANTS)}")
        self.variant = variant
        self.kernel = kernel
        self.input_size = input_size
        self.pool = nn.Conv2d(channels, channels, kernel, groups=channels, bias=False)
        nn.init.constant_(self.pool.weight, 1.0 / kernel**2)
        groups = math.gcd(GROUP_NORM_GROUPS, channels)
        self.norm = nn.GroupNorm(groups, channels) if group_norm else nn.Identity()
        hidden = max(1, channels // DS_REDUCTION)
        self.fc1 = nn.Linear(channels, hidden, bias=False)
        self.fc2 = nn.Linear(hidden, channels, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # An exported (traced) graph has the input size fixed; eager runs check it.
        if not torch.jit.is_tracing() and tuple(x.shape[-2:]) != (self.kernel, self.kernel):
            built = f" ({self.input_size} px input)" if self.input_size else ""
            raise ModelInputError(
                "network input", f"the DS attention was built for {self.kernel} x {self.kernel} feature maps"
                f"{built}, not {x.shape[-2]} x {x.shape[-1]}: feed frames at the checkpoint's input size")
        s = torch.flatten(self.norm(self.pool(x)), 1)
        s = self.fc2(torch.relu(self.fc1(s)))[:, :, None, None]
        if self.variant == "no1":
            return x * torch.sigmoid(s)
        if self.variant == "no2":
            return x + torch.sigmoid(s)
        if self.variant == "no3":
            return x + s
        return x * nn.functional.relu6(s)


class BatchNormDS(nn.BatchNorm2d):
    """A BatchNorm2d followed by DS attention. A subclass, so the BN keeps its tensors' names
    (`bn3.weight`, `conv.3.running_mean`) and ImageNet or official TSM weights load into a DS network."""

    def __init__(self, norm: nn.BatchNorm2d, ds: DSAttention):
        super().__init__(norm.num_features, norm.eps, norm.momentum, norm.affine, norm.track_running_stats)
        self.load_state_dict(norm.state_dict())
        self.ds = ds

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.ds(super().forward(x))


def _halve(size: int) -> int:
    # Every stride-2 layer of these backbones (3x3 pad 1, 7x7 pad 3, max-pool 3 pad 1) gives ceil(size / 2).
    return -(-size // 2)


def ds_places(net: nn.Module, base_model: str, input_size: int) -> list[tuple[str, nn.Module, int]]:
    """(name, residual block, feature-map side) for every other block of each stage: the 2nd, 4th, ...

    MobileNetV2: stages are runs of inverted-residual blocks of one width; the 2nd, 4th ... of a stage
    are residual (identity shortcut) blocks. ResNet: layer1..layer4, blocks 1, 3, 5.
    """
    places = []
    if base_model == "mobilenetv2":
        size = _halve(input_size)  # the stem's stride-2 convolution
        stage_width, position = None, 0
        for i, block in enumerate(net.features):
            if not isinstance(block, torchvision.models.mobilenetv2.InvertedResidual):
                continue
            if block.stride == 2:
                size = _halve(size)
            width = block.out_channels
            position = position + 1 if width == stage_width else 0
            stage_width = width
            if position % 2 == 1:
                places.append((f"features.{i}", block, size))
        return places
    size = _halve(_halve(input_size))  # stem convolution and max-pool
    for stage_name in ("layer1", "layer2", "layer3", "layer4"):
        stage = getattr(net, stage_name)
        if stage_name != "layer1":
            size = _halve(size)
        for i, block in enumerate(stage):
            if i % 2 == 1:
                places.append((f"{stage_name}.{i}", block, size))
    return places


def last_norm(block: nn.Module) -> tuple[nn.Module, str]:
    """(parent, attribute) of a residual block's last BatchNorm, before the shortcut is added."""
    if isinstance(block, torchvision.models.mobilenetv2.InvertedResidual):
        return block.conv, str(len(block.conv) - 1)
    return block, "bn3" if hasattr(block, "bn3") else "bn2"


def insert_ds(net: nn.Module, base_model: str, variant: str, input_size: int, group_norm: bool = False,
              first_block: int = 0) -> list[str]:
    """Put DS attention after the last BN of every other residual block of each stage; returns the blocks.

    `first_block` > 0 (MobileNetV2 with a frozen trunk) leaves out the blocks below it: a frozen block
    cannot learn its attention, and the frozen trunk stays the pure ImageNet function that is cached.
    """
    names = []
    for name, block, size in ds_places(net, base_model, input_size):
        if base_model == "mobilenetv2" and int(name.split(".")[1]) < first_block:
            continue
        parent, attr = last_norm(block)
        norm = getattr(parent, attr) if attr.isidentifier() else parent[int(attr)]
        ds = DSAttention(norm.num_features, size, variant, group_norm, input_size)
        wrapped = BatchNormDS(norm, ds)
        if attr.isidentifier():
            setattr(parent, attr, wrapped)
        else:
            parent[int(attr)] = wrapped
        names.append(name)
    return names
