"""PaddleVideo TSM checkpoints (`.pdparams`), read without Paddle.

`paddle.save(model.state_dict(), path)` writes a pickle (protocol 4) of a dict: parameter name ->
numpy array, plus `"StructuredToParameterName@@"` (structured name -> Paddle's internal name).
It is read with an unpickler that builds only numpy arrays, dtypes and scalars (`SAFE_GLOBALS`):
anything else a pickle names (a function to call, a class to build) is refused before it is
imported, so a hostile file runs nothing, as `torch.load(weights_only=True)` guarantees for `.pth`.

Two PaddleVideo networks are recognised, from the names of their tensors:

* TSM ResNet-50 (`paddlevideo/modeling/backbones/resnet_tsm.py`, ResNetTSM; head TSMHead):
  `backbone.conv` stem, blocks `backbone.res2a` ... `backbone.res5c`;
* PP-TSM ResNet-50-vd (`resnet_tweaks_tsm.py`, ResNetTweaksTSM; head ppTSMHead): stem
  `backbone.conv1_1..3`, blocks `backbone.bb_0_0` ... `backbone.bb_3_2`.

In a block, `conv0/conv1/conv2` (1x1, 3x3 with the stride, 1x1) and `short` are ConvBNLayers with
`_conv` and `_batch_norm` (`_mean`, `_variance` the running statistics); the head's `fc.weight` is
stored (in, out), the transpose of torch's. Both shift the block input before `conv0` with
`paddle.nn.functional.temporal_shift(x, num_seg, 1 / num_seg)`: the first 1/num_seg of the channels
from the previous frame, the next 1/num_seg from the next frame (`shift_order="previous-first"`).
The preprocessing is that of PaddleVideo's TSM and PP-TSM Kinetics-400 configs (`tsm_k400_frames.yaml`,
`pptsm_k400_frames_uniform.yaml`): 8 segments, one frame each, short side 256, centre crop 224,
RGB, ImageNet mean and std.
"""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import numpy as np
import torch

from models.errors import ModelInputError

SUFFIX = ".pdparams"
STRUCTURE_KEY = "StructuredToParameterName@@"
SEGMENTS = 8  # num_seg of PaddleVideo's TSM / PP-TSM Kinetics-400 configs; not in the file
INPUT_SIZE, SCALE_SIZE = 224, 256  # CenterCrop target_size, Scale short_size of those configs
MODELS = {"resnet50": "TSM ResNet-50 (PaddleVideo ResNetTSM + TSMHead)",
          "resnet50vd": "PP-TSM ResNet-50-vd (PaddleVideo ResNetTweaksTSM + ppTSMHead)"}


def _numpy_globals() -> dict[tuple[str, str], object]:
    core = np.core.multiarray
    allowed = {("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype}
    for module in ("numpy.core.multiarray", "numpy._core.multiarray"):  # numpy 1 and 2 spellings
        allowed[(module, "_reconstruct")] = core._reconstruct
        allowed[(module, "scalar")] = core.scalar
    for name in np.dtypes.__all__:
        allowed[("numpy.dtypes", name)] = getattr(np.dtypes, name)
    return allowed


SAFE_GLOBALS = _numpy_globals()


class _ArraysOnly(pickle.Unpickler):
    """Resolve only SAFE_GLOBALS; remember what else the file asked for."""

    def __init__(self, file):
        super().__init__(file)
        self.refused: list[str] = []

    def find_class(self, module: str, name: str) -> object:
        found = SAFE_GLOBALS.get((module, name))
        if found is None:
            self.refused.append(f"{module}.{name}")
            raise pickle.UnpicklingError(f"refused global {module}.{name}")
        return found

    def persistent_load(self, pid: object) -> object:
        self.refused.append("a persistent reference")
        raise pickle.UnpicklingError("refused persistent reference")


def read_pdparams(path: Path) -> dict[str, np.ndarray]:
    """The arrays of a `.pdparams` file by name; ModelInputError for a missing, corrupt or hostile file."""
    if not path.is_file():
        raise ModelInputError(path, "checkpoint file not found")
    with path.open("rb") as fh:
        unpickler = _ArraysOnly(fh)
        try:
            payload = unpickler.load()
        except Exception as exc:  # pickle raises many types for corrupt input
            if unpickler.refused:
                raise ModelInputError(
                    path, f"refused: it stores Python objects of types {', '.join(unpickler.refused)}, "
                          "which a checkpoint loaded safely may not hold (only numpy arrays, dtypes and "
                          "scalars)") from None
            raise ModelInputError(path, f"not a loadable .pdparams file (truncated or corrupt): "
                                        f"{type(exc).__name__}") from None
    if not isinstance(payload, dict):
        raise ModelInputError(path, "not a PaddlePaddle state dict (no name -> array mapping)")
    arrays = {}
    for key, value in payload.items():
        if key == STRUCTURE_KEY:
            continue
        if not isinstance(key, str) or not isinstance(value, np.ndarray):
            raise ModelInputError(path, f"entry {key!r} is not an array")
        arrays[key] = value
    if not arrays:
        raise ModelInputError(path, "no weights in this .pdparams file")
    return arrays


def paddle_arch(path: Path, arrays: dict[str, np.ndarray]) -> str:
    """"resnet50" (TSM) or "resnet50vd" (PP-TSM) from the tensor names; else ModelInputError."""
    if "backbone.conv1_1._conv.weight" in arrays:
        arch = "resnet50vd"
        blocks = {m.group(1) for k in arrays if (m := re.match(r"backbone\.bb_2_(\d+)\.", k))}
    elif "backbone.conv._conv.weight" in arrays:
        arch = "resnet50"
        blocks = {m.group(1) for k in arrays if (m := re.match(r"backbone\.res4([a-z])\.", k))}
    else:
        raise ModelInputError(path, "unrecognised PaddleVideo model (neither TSM ResNet nor PP-TSM "
                                    "ResNet-vd tensor names)")
    if len(blocks) != 6 or "head.fc.weight" not in arrays:
        raise ModelInputError(path, f"unsupported PaddleVideo network ({len(blocks)} blocks in the third "
                                    "stage, ResNet-50 has 6; or no head.fc)")
    return arch


_BLOCK_LAYERS = {"conv0": ("conv1", "bn1"), "conv1": ("conv2", "bn2"), "conv2": ("conv3", "bn3")}
_STEM_VD = {"1": ("conv1.0", "conv1.1"), "2": ("conv1.3", "conv1.4"), "3": ("conv1.6", "bn1")}
_PARAMS = {"weight": "weight", "bias": "bias", "_mean": "running_mean", "_variance": "running_var"}


def project_name(key: str, arch: str) -> str | None:
    """The project's TSN name (shift wrappers and `base_model.` left out) of a PaddleVideo tensor."""
    if key in ("head.fc.weight", "head.fc.bias"):
        return "new_fc." + key.rsplit(".", 1)[1]
    match = re.fullmatch(r"backbone\.(.+)\._(conv|batch_norm)\.(weight|bias|_mean|_variance)", key)
    if not match:
        return None
    layer, kind, param = match.groups()
    index = 0 if kind == "conv" else 1
    if param not in _PARAMS or (kind == "conv" and param != "weight"):
        return None
    if arch == "resnet50" and layer == "conv":
        return ("conv1", "bn1")[index] + "." + _PARAMS[param]
    stem = re.fullmatch(r"conv1_([123])", layer)
    if arch == "resnet50vd" and stem:
        return _STEM_VD[stem.group(1)][index] + "." + _PARAMS[param]
    if arch == "resnet50":
        block = re.fullmatch(r"res([2-5])([a-f])\.(conv[012]|short)", layer)
        stage, position = (int(block.group(1)) - 1, ord(block.group(2)) - 97) if block else (0, 0)
    else:
        block = re.fullmatch(r"bb_([0-3])_([0-5])\.(conv[012]|short)", layer)
        stage, position = (int(block.group(1)) + 1, int(block.group(2))) if block else (0, 0)
    if not block:
        return None
    part = block.group(3)
    if part == "short":
        first = 0 if arch == "resnet50" else 1  # vd: downsample.0 is the average pool
        name = f"downsample.{first + index}"
    else:
        name = _BLOCK_LAYERS[part][index]
    return f"layer{stage}.{position}.{name}.{_PARAMS[param]}"


def project_state(path: Path, arrays: dict[str, np.ndarray],
                  arch: str) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Every PaddleVideo tensor under its project name (the head transposed), and project name ->
    the file's name (for messages); an unknown name is an error."""
    state, origin = {}, {}
    for key, value in arrays.items():
        name = project_name(key, arch)
        if name is None:
            raise ModelInputError(path, f"unexpected weight {key!r} for a PaddleVideo {MODELS[arch]}")
        tensor = torch.from_numpy(np.ascontiguousarray(value.T if key == "head.fc.weight" else value))
        state[name], origin[name] = tensor.float(), key
    return state, origin
