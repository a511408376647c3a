"""The detector's checkpoint: FCOS weights plus `DetectorMeta`, read with weights_only=True.

Layout: `{"format": "dms-detector", "version": 1, "meta": asdict(DetectorMeta), "state_dict": ...}`,
written atomically (models.checkpoints.write_payload) and read by models.checkpoints.read_payload,
which refuses pickled code and names the file in every error.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from torchvision.models.detection import FCOS

from models.checkpoints import read_payload, write_payload
from models.detect.net import build_detector
from models.errors import ModelInputError

DETECTOR_FORMAT = "dms-detector"
DETECTOR_VERSION = 1
TERMS = ("research use only: trained on State Farm competition stills (research and non-commercial "
         "use) and web pictures without a licence (stock and broadcast frames)")


@dataclass
class DetectorMeta:
    """What `load_detector` needs: the classes (label order of the network), the square input in px,
    the score threshold chosen at training (on validation pictures, never the held-out ones), and
    `training`: sources, split, recipe, results and `terms`."""

    classes: list[str]
    input_size: int = 320
    threshold: float = 0.5
    arch: str = "mobilenetv2-fcos"
    training: dict = field(default_factory=dict)

    def check(self) -> None:
        if not self.classes or len(set(self.classes)) != len(self.classes):
            raise ValueError("classes must be distinct names")
        if self.input_size < 64 or self.input_size % 32:
            raise ValueError(f"input_size must be a multiple of 32 from 64 px, not {self.input_size}")
        if not 0.0 < self.threshold < 1.0:
            raise ValueError(f"threshold must be in (0, 1), not {self.threshold}")
        if self.arch != "mobilenetv2-fcos":
            raise ValueError(f"unknown detector architecture {self.arch!r}")


def save_detector(path: str | Path, model: FCOS, meta: DetectorMeta) -> None:
    meta.check()
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    write_payload(path, {"format": DETECTOR_FORMAT, "version": DETECTOR_VERSION, "meta": asdict(meta),
                         "state_dict": state})


def load_detector_weights(path: str | Path) -> tuple[FCOS, DetectorMeta]:
    """An eval-mode FCOS and its metadata; a missing, foreign or damaged file raises ModelInputError."""
    path = Path(path)
    payload = read_payload(path)
    if not isinstance(payload, dict) or payload.get("format") != DETECTOR_FORMAT:
        raise ModelInputError(path, f"not a detector checkpoint (expected format {DETECTOR_FORMAT!r})")
    if payload.get("version") != DETECTOR_VERSION:
        raise ModelInputError(path, f"unsupported detector checkpoint version {payload.get('version')!r}")
    try:
        raw = dict(payload["meta"])
        unknown = set(raw) - {f.name for f in fields(DetectorMeta)}
        if unknown:
            raise ValueError(f"unknown metadata field(s): {', '.join(sorted(unknown))}")
        meta = DetectorMeta(**raw)
        meta.check()
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelInputError(path, f"bad detector metadata: {exc}") from None
    model = build_detector(len(meta.classes), meta.input_size)
    try:
        model.load_state_dict(payload["state_dict"])
    except (KeyError, RuntimeError) as exc:
        first = str(exc).splitlines()[0][:200]
        raise ModelInputError(path, f"weights do not fit the detector: {first}") from None
    return model.eval(), meta
