"""The classifier the project ships (model card: docs/model_card.md).

An online (uni-directional shift) MobileNetV2 TSM trained from ImageNet weights on the State Farm
stills of 16 drivers (passenger-side camera, left-hand drive); `meta.view` is "side", and
`meta.training["val_drivers"]` names the four drivers kept for validation.
"""

from pathlib import Path

SHIPPED_CHECKPOINT = Path(__file__).resolve().parents[1] / "data" / "models" / "tsm_statefarm_side.pth"
# The one label map (models/labelmap.py): every data set's classes and the behaviour each maps to.
LABEL_MAP = Path(__file__).resolve().parents[1] / "data" / "labels.json"
# The phone / cigarette detector (models/detect/, model card: "Object detector").
SHIPPED_DETECTOR = Path(__file__).resolve().parents[1] / "data" / "models" / "detector_phone_cigarette.pth"
