"""PaddleVideo's own TSM / PP-TSM on a clip: the reference side of `main.py bench paddle-parity`.

Runs in a separate environment with `paddlepaddle==3.3.1` and `ppvideo==2.3.1` (never the app's):

    python scripts/paddle_reference.py --arch resnet50 --clip clip.npy --params out.pdparams --logits out.npy

Builds the network with PaddleVideo's classes (ResNetTSM + TSMHead for resnet50, ResNetTweaksTSM +
ppTSMHead for resnet50vd, as in its Kinetics-400 configs: depth 50, 8 segments, 400 classes), gives
every BatchNorm a random scale and shift and the statistics of the clip (one pass in training mode
with momentum 0), saves the state dict with `paddle.save` under the names PaddleVideo's
Recognizer2D gives it (`backbone.*`, `head.*`), and writes the eval-mode logits of the clip.

ppvideo's package `__init__` files import every model PaddleVideo has, some through `paddle.fluid`,
which Paddle 3 no longer has; the four modules needed are imported with those `__init__` files left
out (empty package modules pointing at the real folders), so the code run is PaddleVideo's own.
Its blocks ask `paddle.device.is_compiled_with_npu()` (gone in Paddle 3) to choose between a
hand-written shift for Huawei NPUs and `F.temporal_shift`; the answer on this CPU build is False.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
import types
from pathlib import Path

import numpy as np
import paddle


def import_paddlevideo() -> dict:
    spec = importlib.util.find_spec("ppvideo")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("error: ppvideo is not installed in this environment "
                         "(pip install --no-deps ppvideo==2.3.1)")
    root = Path(list(spec.submodule_search_locations)[0]) / "paddlevideo"
    for name, folder in (("paddlevideo", root), ("paddlevideo.modeling", root / "modeling"),
                         ("paddlevideo.modeling.backbones", root / "modeling" / "backbones"),
                         ("paddlevideo.modeling.heads", root / "modeling" / "heads"),
                         ("paddlevideo.modeling.losses", root / "modeling" / "losses")):
        package = types.ModuleType(name)
        package.__path__ = [str(folder)]
        sys.modules[name] = package
    importlib.import_module("paddlevideo.modeling.losses.cross_entropy_loss")  # the heads' default loss
    if not hasattr(paddle.device, "is_compiled_with_npu"):
        paddle.device.is_compiled_with_npu = lambda: False
    def find(module: str, name: str):
        return getattr(importlib.import_module(f"paddlevideo.modeling.{module}"), name)

    return {
        "resnet50": (find("backbones.resnet_tsm", "ResNetTSM"), find("heads.tsm_head", "TSMHead")),
        "resnet50vd": (find("backbones.resnet_tweaks_tsm", "ResNetTweaksTSM"),
                       find("heads.pptsm_head", "ppTSMHead")),
    }


class Recognizer(paddle.nn.Layer):
    """Backbone and head under the attribute names of PaddleVideo's Recognizer2D."""

    def __init__(self, backbone, head, num_seg: int):
        super().__init__()
        self.backbone, self.head, self.num_seg = backbone, head, num_seg

    def forward(self, clip):
        return self.head(self.backbone(clip), self.num_seg)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", choices=("resnet50", "resnet50vd"), required=True)
    parser.add_argument("--clip", type=Path, required=True, help="float32 (num_seg, 3, 224, 224), normalised")
    parser.add_argument("--params", type=Path, required=True, help=".pdparams to write")
    parser.add_argument("--logits", type=Path, required=True, help=".npy to write")
    parser.add_argument("--classes", type=int, default=400)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    paddle.set_device("cpu")
    paddle.seed(args.seed)
    rng = np.random.default_rng(args.seed)
    backbone_class, head_class = import_paddlevideo()[args.arch]
    clip = np.load(args.clip).astype(np.float32)
    num_seg = clip.shape[0]
    backbone = backbone_class(depth=50, num_seg=num_seg)
    backbone.init_weights()
    head = head_class(num_classes=args.classes, in_channels=2048, std=0.01)
    head.init_weights()
    model = Recognizer(backbone, head, num_seg)
    for layer in model.sublayers():
        if isinstance(layer, paddle.nn.BatchNorm2D):
            channels = layer.weight.shape[0]
            layer.weight.set_value(rng.uniform(0.5, 1.5, channels).astype(np.float32))
            layer.bias.set_value(rng.normal(0.0, 0.1, channels).astype(np.float32))
            layer._momentum = 0.0  # running statistics := this batch's
    x = paddle.to_tensor(clip)
    model.train()
    with paddle.no_grad():
        model.backbone(x)
    model.eval()
    with paddle.no_grad():
        logits = model(x).numpy()
    paddle.save(model.state_dict(), str(args.params))
    np.save(args.logits, logits)
    print(f"PaddleVideo {backbone_class.__name__} + {head_class.__name__}: logits {logits.shape}, "
          f"max |logit| {np.abs(logits).max():.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
