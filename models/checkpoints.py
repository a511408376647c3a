"""Checkpoints: the project's own format (weights + metadata) and the official TSM formats.

Everything is read with `torch.load(weights_only=True)`, which refuses pickled code, so a hostile
file gives a `ModelInputError` and never runs anything. Plain data that training scripts commonly
save beside the weights (numpy scalars such as `best_acc`, dtypes, arrays) is on an allow-list
(`SAFE_NUMPY_GLOBALS`); a file storing anything else is refused with the refused types named.
These layouts are recognised:

* project (`format: "dms-tsm"`): the state dict of `models.tsm.TSN` plus a `CheckpointMeta`;
* official TSM offline (mit-han-lab/temporal-shift-module `main.py`): `{"state_dict": ...}` with
  `module.base_model.*` keys, `.net` inside shifted layers, `new_fc.*`; bi-directional shift;
* official online demo (`online_demo/mobilenet_v2_tsm.py`): a bare MobileNetV2 state dict
  (`features.N.conv.K.*`, `classifier.*`), uni-directional, 27 Jester gestures;
* PaddleVideo TSM ResNet-50 and PP-TSM ResNet-50-vd (`.pdparams`, a pickle read by a numpy-only
  unpickler: `models.paddlevideo`); bi-directional with PaddleVideo's fold order.
"""

from __future__ import annotations

import os
import re
import tempfile
import zipfile
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
import torch

from models import paddlevideo
from models.architecture import (
    DEFAULT_SEGMENTS,
    DEFAULT_SHIFT_DIV,
    DEFAULT_SHIFT_PLACE,
    DS_VARIANTS,
    SHIFT_ORDERS,
)
from models.augment import RESIZES
from models.errors import ModelInputError
from models.tsm import ARCHS, TSN

# numpy's pickle helpers and types: they build numbers and arrays, never run code. Under numpy 2
# the helpers are written as numpy._core.*; both spellings are allowed.
SAFE_NUMPY_GLOBALS: list = [
    np.dtype,
    np.ndarray,
    np.core.multiarray.scalar,
    (np.core.multiarray.scalar, "numpy._core.multiarray.scalar"),
    np.core.multiarray._reconstruct,
    (np.core.multiarray._reconstruct, "numpy._core.multiarray._reconstruct"),
    *(getattr(np.dtypes, name) for name in np.dtypes.__all__),
]
_TERMINAL_CODES = re.compile(r"\x1b\[[0-9;]*m")
VIEWS = ("frontal", "side")  # the camera views of dms.core.profile.CameraProfile
PROJECT_FORMAT = "dms-tsm"
PROJECT_VERSION = 1
META_KEY = "dms_meta"  # the ONNX metadata_props entry that carries the checkpoint metadata (JSON)
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]

# The 20BN-Jester gesture classes in the label order of the official online demo.
JESTER_CLASSES = [
    "Doing other things",
    "Drumming Fingers",
    "No gesture",
    "Pulling Hand In",
    "Pulling Two Fingers In",
    "Pushing Hand Away",
    "Pushing Two Fingers Away",
    "Rolling Hand Backward",
    "Rolling Hand Forward",
    "Shaking Hand",
    "Sliding Two Fingers Down",
    "Sliding Two Fingers Left",
    "Sliding Two Fingers Right",
    "Sliding Two Fingers Up",
    "Stop Sign",
    "Swiping Down",
    "Swiping Left",
    "Swiping Right",
    "Swiping Up",
    "Thumb Down",
    "Thumb Up",
    "Turning Hand Clockwise",
    "Turning Hand Counterclockwise",
    "Zooming In With Full Hand",
    "Zooming In With Two Fingers",
    "Zooming Out With Full Hand",
    "Zooming Out With Two Fingers",
]


@dataclass
class CheckpointMeta:
    """What the app needs to use a checkpoint without flags: architecture, classes, preprocessing.

    shift_mode "online" is the uni-directional (causal) shift, which runs online as it is;
    "bidirectional" weights are offline only. `frame_rate` is the rate (frames per second) the model
    saw consecutive frames at during training, None when unknown (TSN segment sampling).
    `source` names the file layout the weights came from ("dms", "tsm-official", "tsm-online-demo",
    "paddlevideo"); `shift_order` which fold of a bi-directional shift looks ahead.
    """

    arch: str
    num_class: int
    classes: list[str]
    class_to_behaviour: dict[str, str | None]
    n_segment: int = DEFAULT_SEGMENTS
    shift_div: int = DEFAULT_SHIFT_DIV
    shift_place: str = DEFAULT_SHIFT_PLACE
    shift_mode: str = "online"
    input_size: int = 224
    scale_size: int = 256
    mean: list[float] = field(default_factory=lambda: list(IMAGENET_MEAN))
    std: list[float] = field(default_factory=lambda: list(IMAGENET_STD))
    channel_order: str = "RGB"
    frame_rate: float | None = None
    source: str = "dms"
    training: dict = field(default_factory=dict)
    guessed: list[str] = field(default_factory=list)  # fields not in the file, e.g. ["n_segment"]
    resize: str = "centre-crop"  # or "frame": see models.preprocess
    aspect: float | None = None  # width/height the frame is cut to before a "frame" resize
    view: str | None = None  # camera view trained for ("side", "frontal"); None = not recorded
    ds: str | None = None  # DS attention variant (models.ds_attention), kernels sized for input_size
    ds_group_norm: bool = False
    ds_first_block: int = 0  # DS only in MobileNetV2 blocks from this one on (those trained)
    shift_order: str = "next-first"  # "previous-first": PaddleVideo's bi-directional shift

    def check(self) -> None:
        """Raise ValueError when the fields contradict each other."""
        if self.arch not in ARCHS:
            raise ValueError(f"unknown arch {self.arch!r}")
        if len(self.classes) != self.num_class or len(set(self.classes)) != self.num_class:
            raise ValueError(f"{len(self.classes)} distinct class names for num_class={self.num_class}")
        if set(self.class_to_behaviour) != set(self.classes):
            raise ValueError("class_to_behaviour must map exactly the classes")
        if self.channel_order not in ("RGB", "BGR"):
            raise ValueError(f"channel_order must be RGB or BGR, not {self.channel_order!r}")
        if len(self.mean) != 3 or len(self.std) != 3 or min(self.std) <= 0:
            raise ValueError("mean and std need three values, std positive")
        if self.scale_size < self.input_size:
            raise ValueError("scale_size must be at least input_size")
        if self.resize not in RESIZES:
            raise ValueError(f"resize must be one of {', '.join(RESIZES)}, not {self.resize!r}")
        if self.aspect is not None and not self.aspect > 0:
            raise ValueError("aspect must be positive")
        if self.ds not in (None, *DS_VARIANTS):
            raise ValueError(f"ds must be one of {', '.join(DS_VARIANTS)} or null, not {self.ds!r}")
        if self.shift_order not in SHIFT_ORDERS:
            raise ValueError(f"shift_order must be one of {', '.join(SHIFT_ORDERS)}, "
                             f"not {self.shift_order!r}")
        if self.view not in (None, *VIEWS):
            raise ValueError(f"view must be one of {', '.join(VIEWS)} or null, not {self.view!r}")

    @staticmethod
    def from_dict(data: dict) -> CheckpointMeta:
        known = {f.name for f in fields(CheckpointMeta)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown metadata field(s): {', '.join(sorted(unknown))}")
        meta = CheckpointMeta(**data)
        meta.check()
        return meta


def build_model(meta: CheckpointMeta) -> TSN:
    return TSN(
        meta.num_class,
        n_segment=meta.n_segment,
        base_model=meta.arch,
        shift_div=meta.shift_div,
        shift_place=meta.shift_place,
        shift_mode=meta.shift_mode,
        ds=meta.ds,
        ds_group_norm=meta.ds_group_norm,
        ds_first_block=meta.ds_first_block,
        input_size=meta.input_size,
        shift_order=meta.shift_order,
    )


def save_checkpoint(path: str | Path, model: TSN, meta: CheckpointMeta) -> None:
    """Write weights and metadata atomically (a temporary file renamed into place)."""
    meta.check()
    mine = (
        model.arch,
        model.num_class,
        model.n_segment,
        model.shift_div,
        model.shift_place,
        model.shift_mode,
        model.ds,
        model.ds_group_norm,
        model.ds_first_block,
        model.input_size if model.ds else None,
        model.shift_order,
    )
    said = (meta.arch, meta.num_class, meta.n_segment, meta.shift_div, meta.shift_place, meta.shift_mode,
            meta.ds, meta.ds_group_norm, meta.ds_first_block, meta.input_size if meta.ds else None,
            meta.shift_order)
    if mine != said:
        raise ValueError(f"metadata {said} does not describe the model {mine}")
    payload = {
        "format": PROJECT_FORMAT,
        "version": PROJECT_VERSION,
        "meta": asdict(meta),
        "state_dict": {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()},
    }
    write_payload(path, payload)


def write_payload(path: str | Path, payload: dict) -> None:
    """`torch.save` atomically: a temporary file beside `path`, renamed into place (readable by all
    the umask allows), so a crash never leaves half a checkpoint."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".part", dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would make a shared model unreadable to others
    try:
        torch.save(payload, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def read_meta(path: str | Path) -> CheckpointMeta:
    """The metadata of a checkpoint (.pth in any supported layout) or of an exported .onnx file,
    without building the network; bad files raise ModelInputError."""
    path = Path(path)
    if path.suffix.lower() == ".onnx":
        return _onnx_meta(path)
    if path.suffix.lower() == paddlevideo.SUFFIX:
        return paddle_parts(path)[0]
    payload = read_payload(path)
    if isinstance(payload, dict) and payload.get("format") == PROJECT_FORMAT:
        return project_parts(path, payload)[0]
    return describe_official(path, official_state_dict(path, payload))


def _onnx_meta(path: Path) -> CheckpointMeta:
    import json

    import onnx

    if not path.is_file():
        raise ModelInputError(path, "ONNX file not found")
    try:
        proto = onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # onnx raises protobuf's own types for unreadable files
        raise ModelInputError(path, f"not a loadable ONNX model: {str(exc).splitlines()[0][:200]}") from None
    raw = {p.key: p.value for p in proto.metadata_props}.get(META_KEY)
    if raw is None:
        raise ModelInputError(path, "ONNX model without DMS metadata (write it with `main.py export`)")
    try:
        return CheckpointMeta.from_dict(json.loads(raw))
    except (TypeError, ValueError) as exc:
        raise ModelInputError(path, f"bad embedded metadata: {exc}") from None


def load_checkpoint(path: str | Path, n_segment: int | None = None) -> tuple[TSN, CheckpointMeta]:
    """Load any supported checkpoint into an eval-mode TSN; bad files raise ModelInputError.

    `n_segment` sets the segment count (frames per clip) when the file does not state it (an
    official checkpoint whose name has no `segmentN`: 8 is then guessed and `meta.guessed` says so).
    """
    path = Path(path)
    if path.suffix.lower() == paddlevideo.SUFFIX:
        official = True
        meta, state, origin = paddle_parts(path)
    else:
        origin = None
        payload = read_payload(path)
        official = not (isinstance(payload, dict) and payload.get("format") == PROJECT_FORMAT)
        if official:
            state = official_state_dict(path, payload)
            meta = describe_official(path, state)
        else:
            meta, state = project_parts(path, payload)
    if n_segment is not None:
        if n_segment < 1:
            raise ModelInputError(path, f"segment count must be at least 1, not {n_segment}")
        meta.n_segment = int(n_segment)
        meta.guessed = [name for name in meta.guessed if name != "n_segment"]
        if meta.source == "paddlevideo":  # temporal_shift(x, num_seg, 1 / num_seg)
            meta.shift_div = meta.n_segment
    model = build_model(meta)
    load_weights(path, model, state, official, origin)
    return model.eval(), meta


def paddle_parts(path: Path) -> tuple[CheckpointMeta, dict[str, torch.Tensor], dict[str, str]]:
    """Metadata, project-named weights and their names in the file, of a PaddleVideo TSM / PP-TSM
    `.pdparams` file."""
    arrays = paddlevideo.read_pdparams(path)
    arch = paddlevideo.paddle_arch(path, arrays)
    state, origin = paddlevideo.project_state(path, arrays, arch)
    num_class = state["new_fc.weight"].shape[0]
    classes = class_names(num_class)
    meta = CheckpointMeta(
        arch=arch, num_class=num_class, classes=classes, class_to_behaviour=dict.fromkeys(classes),
        n_segment=paddlevideo.SEGMENTS, shift_div=paddlevideo.SEGMENTS, shift_place="blockres",
        shift_mode="bidirectional", shift_order="previous-first", input_size=paddlevideo.INPUT_SIZE,
        scale_size=paddlevideo.SCALE_SIZE, channel_order="RGB", source="paddlevideo", guessed=["n_segment"],
        training={"model": paddlevideo.MODELS[arch], "sampling": "segment",
                  "preprocessing": f"{paddlevideo.SEGMENTS} segments of one frame, short side "
                                   f"{paddlevideo.SCALE_SIZE}, centre crop {paddlevideo.INPUT_SIZE}, RGB, "
                                   "ImageNet mean/std (PaddleVideo's Kinetics-400 configs)"},
    )
    return meta, state, origin


def read_payload(path: Path) -> object:
    if not path.is_file():
        raise ModelInputError(path, "checkpoint file not found")
    try:
        with torch.serialization.safe_globals(SAFE_NUMPY_GLOBALS):
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # the safe loader raises many types for corrupt or hostile files
        refused = refused_types(path)
        if refused:
            raise ModelInputError(
                path,
                f"refused: it stores Python objects of types {', '.join(refused)}, which a checkpoint "
                "loaded safely may not hold (only tensors, numbers, strings, lists, dicts and numpy "
                "scalars, dtypes and arrays)",
            ) from None
        head = path.read_bytes()[:64]
        if not zipfile.is_zipfile(path) and not head.startswith(b"\x80"):  # zip, or a legacy pickle
            onnx = b"pytorch" in head or b"onnx" in head
            kind = " (it looks like an ONNX model: name it .onnx)" if onnx else ""
            raise ModelInputError(path, f"not a loadable checkpoint: truncated, corrupt or not written by "
                                        f"torch.save{kind}") from None
        text = _TERMINAL_CODES.sub("", str(exc)).strip()
        first = text.splitlines()[0] if text else type(exc).__name__
        first = first.split(" In PyTorch 2.6")[0][:200]  # never pass on advice to load unsafely
        raise ModelInputError(path, f"not a loadable checkpoint (truncated or corrupt): {first}") from None


def guess_note(meta: CheckpointMeta) -> str | None:
    """'segment count 8 guessed (...)' when metadata was guessed, for a warning line; else None."""
    if "n_segment" not in meta.guessed:
        return None
    return (f"segment count {meta.n_segment} guessed (the checkpoint and its file name do not state it); "
            "set it with --segments N")


def refused_types(path: Path) -> list[str]:
    """The globals a checkpoint's pickle names that the allow-list does not hold ([] if unreadable)."""
    allowed = {
        obj[1] if isinstance(obj, tuple) else f"{obj.__module__}.{obj.__qualname__}"
        for obj in SAFE_NUMPY_GLOBALS
    }
    try:
        names = torch.serialization.get_unsafe_globals_in_checkpoint(path)
    except Exception:  # noqa: BLE001 - a file that is not a zip checkpoint at all
        return []
    return [name for name in names if name not in allowed]


def project_parts(path: Path, payload: dict) -> tuple[CheckpointMeta, dict]:
    if payload.get("version") != PROJECT_VERSION:
        raise ModelInputError(path, f"unsupported {PROJECT_FORMAT} version {payload.get('version')!r}")
    try:
        meta = CheckpointMeta.from_dict(payload["meta"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelInputError(path, f"bad checkpoint metadata: {exc}") from None
    state = payload.get("state_dict")
    if not isinstance(state, dict):
        raise ModelInputError(path, "checkpoint has no state_dict")
    return meta, state


def official_state_dict(path: Path, payload: object) -> dict[str, torch.Tensor]:
    """The bare state dict of an official checkpoint, without the DataParallel `module.` prefix."""
    if isinstance(payload, dict) and isinstance(payload.get("state_dict"), dict):
        payload = payload["state_dict"]
    if not isinstance(payload, dict) or not payload:
        raise ModelInputError(path, "unrecognised checkpoint layout (no state dict found)")
    state = {}
    for key, value in payload.items():
        if not isinstance(key, str) or not isinstance(value, torch.Tensor):
            raise ModelInputError(path, f"unrecognised checkpoint layout (entry {key!r} is not a tensor)")
        state[key.removeprefix("module.")] = value
    return state


def describe_official(path: Path, state: dict[str, torch.Tensor]) -> CheckpointMeta:
    """Infer an official checkpoint's metadata from its keys (and its file name, as the repo names them)."""
    if "base_model.features.0.0.weight" in state or any(k.startswith("base_model.layer1.") for k in state):
        return describe_official_offline(path, state)
    if "features.0.0.weight" in state and "classifier.weight" in state:
        num_class = state["classifier.weight"].shape[0]
        classes = JESTER_CLASSES if num_class == len(JESTER_CLASSES) else class_names(num_class)
        return CheckpointMeta(
            arch="mobilenetv2",
            num_class=num_class,
            classes=list(classes),
            class_to_behaviour=dict.fromkeys(classes),
            shift_mode="online",
            channel_order="BGR",  # the demo feeds OpenCV's BGR frames to the network unchanged
            frame_rate=12.0,
            source="tsm-online-demo",
        )
    raise ModelInputError(
        path, "unrecognised checkpoint layout (neither the project's nor an official TSM one)"
    )


def describe_official_offline(path: Path, state: dict[str, torch.Tensor]) -> CheckpointMeta:
    fc = state.get(
        "new_fc.weight", state.get("base_model.fc.weight", state.get("base_model.classifier.weight"))
    )
    if fc is None or fc.dim() != 2:
        raise ModelInputError(path, "official TSM checkpoint without a classifier layer (new_fc)")
    if "base_model.features.0.0.weight" in state:
        arch = "mobilenetv2"
    elif any(re.match(r"base_model\.layer\d\.\d+\.(net\.)?conv3\.", k) for k in state):
        arch = "resnet50"
    else:
        arch = "resnet18"
    blocks = {m.group(1) for k in state if (m := re.match(r"base_model\.layer3\.(\d+)\.", k))}
    expected = {"resnet50": 6, "resnet18": 2}.get(arch)
    if expected is not None and len(blocks) != expected:
        raise ModelInputError(path, f"unsupported ResNet depth ({len(blocks)} blocks in layer3)")
    shifted = any(".net." in k for k in state)
    block_place = any(re.match(r"base_model\.layer\d\.\d+\.net\.", k) for k in state) or any(
        re.match(r"base_model\.features\.\d+\.net\.", k) for k in state
    )
    segment = re.search(r"segment(\d+)", path.name)
    shift_div = re.search(r"shift(\d+)", path.name)
    num_class = fc.shape[0]
    classes = class_names(num_class)
    guessed = [name for name, found in (("n_segment", segment), ("shift_div", shift_div)) if not found]
    return CheckpointMeta(
        arch=arch,
        num_class=num_class,
        classes=classes,
        class_to_behaviour=dict.fromkeys(classes),
        n_segment=int(segment.group(1)) if segment else DEFAULT_SEGMENTS,
        shift_div=int(shift_div.group(1)) if shift_div else DEFAULT_SHIFT_DIV,
        shift_place="block" if block_place else "blockres",
        shift_mode="bidirectional" if shifted else "none",
        source="tsm-official",
        guessed=guessed,
    )


def class_names(num_class: int) -> list[str]:
    return [f"class_{i:02d}" for i in range(num_class)]


# Official MobileNetV2 (archs/mobilenet_v2.py, online demo) keeps each block's layers in one flat
# Sequential; torchvision nests conv+BN(+ReLU) pairs. Flat index -> torchvision path, by block kind.
_MBV2_EXPANDED = {"0": "0.0", "1": "0.1", "3": "1.0", "4": "1.1", "6": "2", "7": "3"}
_MBV2_DEPTHWISE_FIRST = {"0": "0.0", "1": "0.1", "3": "1", "4": "2"}


def canonical_key(key: str, flat_mbv2: bool) -> str:
    """A key with prefixes and shift wrappers removed; `flat_mbv2` maps the official MobileNetV2 layout."""
    key = key.removeprefix("base_model.")
    key = key.replace(".net.", ".")
    key = re.sub(r"^(fc|classifier)\.", "new_fc.", key)
    match = re.match(r"features\.(\d+)\.conv\.(\d+)\.(\w+)$", key) if flat_mbv2 else None
    if match:
        block, layer, name = match.groups()
        table = _MBV2_DEPTHWISE_FIRST if block == "1" else _MBV2_EXPANDED
        if layer in table:
            return f"features.{block}.conv.{table[layer]}.{name}"
    return key


def load_weights(path: Path, model: TSN, state: dict[str, torch.Tensor], official: bool,
                 origin: dict[str, str] | None = None) -> None:
    """Copy `state` into `model` strictly: every key present, none left over, every shape equal.

    `official` keys are renamed from the official TSM layouts to this project's first; messages name
    a tensor as the file does (`origin`: state key -> the file's name, for renamed formats).
    """
    origin = origin or {}
    target = model.state_dict()
    by_canonical = {canonical_key(k, flat_mbv2=False): k for k in target}
    renamed: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        if not isinstance(value, torch.Tensor):
            raise ModelInputError(path, f"entry {key!r} is not a tensor")
        name = by_canonical.get(canonical_key(key, flat_mbv2=official)) if official else key
        name = name if name in target else None
        if name is None:
            raise ModelInputError(path, f"unexpected weight {key!r} for a {model.arch} TSM")
        if value.shape != target[name].shape:
            raise ModelInputError(
                path, f"weight {origin.get(key, key)!r} has shape {tuple(value.shape)}, the model needs "
                      f"{tuple(target[name].shape)}",
            )
        renamed[name] = value
    # Old checkpoints predate BatchNorm's num_batches_tracked counter, which inference never reads.
    missing = [k for k in target if k not in renamed and not k.endswith("num_batches_tracked")]
    if missing:
        raise ModelInputError(path, f"{len(missing)} weight(s) missing, e.g. {missing[0]!r}")
    for key in target:
        renamed.setdefault(key, target[key])
    model.load_state_dict(renamed)
