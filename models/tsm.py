"""TSN/TSM networks: a 2D backbone applied to each frame, temporal shifts inside it, averaged consensus.

Layout follows the official TSM code so its checkpoints map onto it: the backbone is `base_model`
(torchvision ResNet or MobileNetV2), its last layer becomes dropout, and a new classifier `new_fc`
follows. "blockres" shifts the input of the first convolution of each residual branch (the paper's
choice); "block" shifts the input of the whole block. `shift_mode="none"` is the plain 2D TSN.
`ds` adds the DS channel attention (`models.ds_attention`) after the last BN of every other
residual block of each stage; its kernels are sized for `input_size`.
"""

from __future__ import annotations

import torch
import torchvision
from torch import nn

from models.architecture import (
    ARCHS,
    DEFAULT_ARCH,
    DEFAULT_SEGMENTS,
    DEFAULT_SHIFT_DIV,
    DEFAULT_SHIFT_PLACE,
    SHIFT_MODES,
    SHIFT_ORDERS,
    SHIFT_PLACES,
)
from models.ds_attention import insert_ds
from models.temporal_shift import TemporalShift


def build_backbone(base_model: str, pretrained: bool) -> tuple[nn.Module, int]:
    """A torchvision backbone with its classifier replaced later; returns (model, feature dim)."""
    if base_model not in ARCHS:
        raise ValueError(f"unknown base_model {base_model!r}; expected one of {', '.join(ARCHS)}")
    if base_model == "mobilenetv2":
        weights = torchvision.models.MobileNet_V2_Weights.IMAGENET1K_V1 if pretrained else None
        net = torchvision.models.mobilenet_v2(weights=weights)
        return net, net.last_channel
    if base_model == "resnet50vd":
        if pretrained:
            raise ValueError("no ImageNet weights ship for resnet50vd")
        net = torchvision.models.resnet50()
        to_vd(net)
        return net, net.fc.in_features
    constructor = getattr(torchvision.models, base_model)
    weights = "IMAGENET1K_V1" if pretrained else None
    net = constructor(weights=weights)
    return net, net.fc.in_features


LEAKY_SLOPE = 0.01  # paddle.nn.functional.leaky_relu's default, which PP-TSM's backbone uses


def to_vd(net: torchvision.models.ResNet) -> None:
    """Turn a torchvision ResNet-50 into ResNet-50-vd as PP-TSM (PaddleVideo ResNetTweaksTSM) builds it.

    The 7x7 stem becomes three 3x3 convolutions (3->32 stride 2, 32->32, 32->64; `conv1.0/.3/.6`,
    the last one's BN stays `bn1`); a strided shortcut averages 2x2 (ceil mode) before its 1x1
    convolution, which then has stride 1 (`downsample.0` pool, `.1` conv, `.2` BN; layer1's first
    shortcut has no pool: `.0` is an identity); every ReLU is a leaky ReLU (slope 0.01).
    """
    def conv_bn(cin: int, cout: int, stride: int) -> list[nn.Module]:
        return [nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout),
                nn.LeakyReLU(LEAKY_SLOPE)]

    net.conv1 = nn.Sequential(*conv_bn(3, 32, 2), *conv_bn(32, 32, 1),
                              nn.Conv2d(32, 64, 3, 1, 1, bias=False))
    net.relu = nn.LeakyReLU(LEAKY_SLOPE)
    for stage_name in ("layer1", "layer2", "layer3", "layer4"):
        for block in getattr(net, stage_name):
            block.relu = nn.LeakyReLU(LEAKY_SLOPE)
            if block.downsample is None:
                continue
            conv, norm = block.downsample[0], block.downsample[1]
            strided = conv.stride != (1, 1)
            pool = nn.AvgPool2d(2, 2, ceil_mode=True, count_include_pad=False) if strided else nn.Identity()
            block.downsample = nn.Sequential(
                pool, nn.Conv2d(conv.in_channels, conv.out_channels, 1, 1, bias=False), norm)


def insert_shifts(
    net: nn.Module, base_model: str, n_segment: int, shift_div: int, place: str, mode: str,
    order: str = "next-first",
) -> int:
    """Wrap the layers named by `place` in TemporalShift; returns how many shifts were inserted."""
    count = 0
    if base_model == "mobilenetv2":
        for i, block in enumerate(net.features):
            # Residual inverted blocks with an expansion layer, as in the official code and online demo.
            if isinstance(block, torchvision.models.mobilenetv2.InvertedResidual) and block.use_res_connect:
                if len(block.conv) != 4:
                    continue
                if place == "blockres":
                    block.conv[0] = TemporalShift(block.conv[0], n_segment, shift_div, mode, order)
                else:
                    net.features[i] = TemporalShift(block, n_segment, shift_div, mode, order)
                count += 1
        return count
    for stage_name in ("layer1", "layer2", "layer3", "layer4"):
        stage = getattr(net, stage_name)
        for i, block in enumerate(stage):
            if place == "blockres":
                block.conv1 = TemporalShift(block.conv1, n_segment, shift_div, mode, order)
            else:
                stage[i] = TemporalShift(block, n_segment, shift_div, mode, order)
            count += 1
    return count


class TSN(nn.Module):
    """Temporal Segment Network with optional temporal shift (TSM).

    `forward(x)` takes a clip batch `(N*T, 3, H, W)` with T = n_segment and returns the
    consensus-averaged logits `(N, num_class)`; `forward_frames` returns per-frame logits.
    """

    def __init__(
        self,
        num_class: int,
        n_segment: int = DEFAULT_SEGMENTS,
        base_model: str = DEFAULT_ARCH,
        shift_div: int = DEFAULT_SHIFT_DIV,
        shift_place: str = DEFAULT_SHIFT_PLACE,
        shift_mode: str = "bidirectional",
        dropout: float = 0.5,
        partial_bn: bool = False,
        pretrained: bool = False,
        ds: str | None = None,
        ds_group_norm: bool = False,
        ds_first_block: int = 0,
        input_size: int = 224,
        shift_order: str = "next-first",
    ):
        super().__init__()
        if shift_mode not in SHIFT_MODES:
            raise ValueError(f"unknown shift_mode {shift_mode!r}; expected one of {', '.join(SHIFT_MODES)}")
        if shift_place not in SHIFT_PLACES:
            raise ValueError(
                f"unknown shift_place {shift_place!r}; expected one of {', '.join(SHIFT_PLACES)}"
            )
        if shift_order not in SHIFT_ORDERS:
            raise ValueError(f"unknown shift_order {shift_order!r}; expected {', '.join(SHIFT_ORDERS)}")
        self.shift_order = shift_order
        self.num_class = num_class
        self.n_segment = n_segment
        self.arch = base_model
        self.shift_div = shift_div
        self.shift_place = shift_place
        self.shift_mode = shift_mode
        self.dropout = dropout
        self.base_model, feature_dim = build_backbone(base_model, pretrained)
        self.ds, self.ds_group_norm, self.ds_first_block = ds, ds_group_norm, ds_first_block
        self.input_size = input_size
        self.ds_blocks = insert_ds(self.base_model, base_model, ds, input_size, ds_group_norm,
                                   ds_first_block) if ds else []
        if shift_mode != "none":
            insert_shifts(self.base_model, base_model, n_segment, shift_div, shift_place, shift_mode,
                          shift_order)
        last_layer = "classifier" if base_model == "mobilenetv2" else "fc"
        setattr(self.base_model, last_layer, nn.Dropout(p=dropout) if dropout > 0 else nn.Identity())
        self.new_fc = nn.Linear(feature_dim, num_class)
        nn.init.normal_(self.new_fc.weight, 0.0, 0.001)
        nn.init.zeros_(self.new_fc.bias)
        self._partial_bn = partial_bn
        self.trunk_blocks = 0
        self.steady = False  # set_steady: one frame a clip, the shift's steady state
        self.train(self.training)

    def config(self) -> dict:
        """The constructor's arguments that shape the network (for a copy with another shift mode)."""
        return {"num_class": self.num_class, "n_segment": self.n_segment, "base_model": self.arch,
                "shift_div": self.shift_div, "shift_place": self.shift_place, "shift_mode": self.shift_mode,
                "dropout": self.dropout, "ds": self.ds, "ds_group_norm": self.ds_group_norm,
                "ds_first_block": self.ds_first_block, "input_size": self.input_size,
                "shift_order": self.shift_order}

    def forward_frames(self, x: torch.Tensor) -> torch.Tensor:
        """Per-frame logits `(N*T, num_class)` before the consensus.

        With a frozen trunk (`freeze_trunk`), `x` may instead be the trunk's output
        `(N*T, C, h, w)`, recognised by its channel count, as `models.trunk.TrunkCache` gives it.
        """
        if self.trunk_blocks and x.shape[1] != 3:
            features = self.base_model.features[self.trunk_blocks:](x)
            pooled = torch.flatten(nn.functional.adaptive_avg_pool2d(features, 1), 1)
            return self.new_fc(self.base_model.classifier(pooled))
        return self.new_fc(self.base_model(x))

    def freeze_trunk(self, blocks: int) -> None:
        """Freeze the first `blocks` MobileNetV2 feature blocks (weights and BatchNorm statistics)."""
        if self.arch != "mobilenetv2":
            raise ValueError("a frozen trunk is implemented for mobilenetv2 only")
        if not 0 <= blocks < len(self.base_model.features):
            raise ValueError(f"freeze 0..{len(self.base_model.features) - 1} blocks, not {blocks}")
        self.trunk_blocks = blocks
        self.train(self.training)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        frames = self.forward_frames(x)
        return frames.reshape(-1, 1 if self.steady else self.n_segment, self.num_class).mean(dim=1)

    def set_steady(self, enable: bool) -> None:
        """Compute the steady state of the causal shift on a still scene: one frame per clip, no shift.

        On a clip of identical frames the causal shift's output equals its input from the k-th frame
        on at the k-th shifted block (the cached channels are then the current ones), so after
        `len(shift_modules())` frames the online network computes exactly this: a still seen long
        enough. Training on stills uses it (one forward per image instead of n_segment), and the
        equality is tested against `OnlineTSM` fed the same frame repeatedly. Only for the causal
        shift: the bi-directional one has no such meaning.
        """
        if enable and self.shift_mode == "bidirectional":
            raise ValueError("the steady state is defined for the causal (online) shift only")
        self.steady = enable and bool(self.shift_modules())
        for shift in self.shift_modules():
            shift.steady = enable

    def shift_modules(self) -> list[TemporalShift]:
        """The temporal shifts in forward order."""
        return [m for m in self.modules() if isinstance(m, TemporalShift)]

    def partial_bn(self, enable: bool) -> None:
        """Freeze every BatchNorm but the first while training (TSN's partial BN), or stop doing so."""
        self._partial_bn = enable
        self.train(self.training)

    def train(self, mode: bool = True) -> TSN:
        super().train(mode)
        norms = [m for m in self.base_model.modules() if isinstance(m, nn.BatchNorm2d)]
        for norm in norms[1:]:
            frozen = self._partial_bn and mode
            if frozen:
                norm.eval()
            norm.weight.requires_grad_(not frozen)
            norm.bias.requires_grad_(not frozen)
        if getattr(self, "trunk_blocks", 0):
            trunk = self.base_model.features[: self.trunk_blocks]
            trunk.eval()
            for param in trunk.parameters():
                param.requires_grad_(False)
        return self
