"""PaddleVideo `.pdparams` files written as `paddle.save` writes them, for tests without Paddle.

`paddle.save(model.state_dict(), path)` (Paddle 3.3.1, checked on a ResNetTSM + TSMHead built with
ppvideo 2.3.1) pickles, protocol 4, a dict of name -> numpy float32 array with the key
`StructuredToParameterName@@` (structured name -> internal name); the pickle names exactly the globals
numpy.ndarray, numpy.dtype and numpy._core.multiarray._reconstruct.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import torch

from models.paddlevideo import STRUCTURE_KEY, project_name


def paddle_names(state: dict[str, torch.Tensor], arch: str) -> dict[str, np.ndarray]:
    """The inverse of `project_state` for a TSN state dict: the arrays as PaddleVideo names them."""
    out = {}
    for key in all_paddle_keys(arch):
        name = project_name(key, arch)
        target = next(k for k in state if k.removeprefix("base_model.").replace(".net.", ".") == name)
        value = state[target].detach().cpu().numpy()
        out[key] = np.ascontiguousarray(value.T) if key == "head.fc.weight" else value
    return out


def all_paddle_keys(arch: str) -> list[str]:
    """Every tensor name a PaddleVideo ResNet-50 (vd) TSM's state dict holds, in its order."""
    def layer(prefix: str, conv_only: bool = False) -> list[str]:
        params = ["_conv.weight"] + ([] if conv_only else [
            "_batch_norm.weight", "_batch_norm.bias", "_batch_norm._mean", "_batch_norm._variance"])
        return [f"{prefix}.{p}" for p in params]

    keys = []
    stems = ["backbone.conv"] if arch == "resnet50" else [f"backbone.conv1_{i}" for i in (1, 2, 3)]
    for stem in stems:
        keys += layer(stem)
    for stage, blocks in enumerate((3, 4, 6, 3)):
        for i in range(blocks):
            block = (f"backbone.res{stage + 2}{chr(97 + i)}" if arch == "resnet50"
                     else f"backbone.bb_{stage}_{i}")
            for part in ("conv0", "conv1", "conv2") + (("short",) if i == 0 else ()):
                keys += layer(f"{block}.{part}")
    return keys + ["head.fc.weight", "head.fc.bias"]


def save_pdparams(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write arrays as `paddle.save` writes a state dict (a protocol-4 pickle of name -> ndarray)."""
    structure = {k: k for k in arrays}
    with path.open("wb") as fh:
        pickle.dump({**arrays, STRUCTURE_KEY: structure}, fh, protocol=4)
