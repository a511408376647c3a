"""Object-level cue: a small single-stage detector (MobileNetV2 + FCOS) for the phone and the cigarette.

`load_detector(path) -> Detector`; `Detector.detect(bgr) -> list[Detection]`. Training:
`python main.py train-detector`; measuring: `python main.py eval-detector` (docs/model_card.md).
"""

from models.detect.inference import Detection, Detector, load_detector
from models.detect.sources import CIGARETTE, PHONE

DETECTOR_CLASSES = (PHONE, CIGARETTE)

__all__ = ["DETECTOR_CLASSES", "Detection", "Detector", "load_detector"]
