"""The shipped phone / cigarette detector on pictures it never trained on (held out by the split).

The pictures below were chosen among the held-out ones after training (the first held-out ones the
detector gets right / leaves empty, in file order): they show it works there, not how often; the
rates are in docs/model_card.md ("Object detector").
"""

import pytest
import torch
from torchvision.ops import box_iou

from main import main
from models.detect import DETECTOR_CLASSES, load_detector
from models.detect.cache import read_picture
from models.detect.sources import read_phone_images, read_smoking_images, read_statefarm
from models.detect.split import split_pictures
from models.shipped import SHIPPED_DETECTOR
from tests.conftest import SHARED

pytestmark = pytest.mark.usefixtures("torch_one_thread")
PHONE_PICTURE = "1000052-Copy_jpg.rf.044170059353ae49fedc"  # phone at the ear, in a car
CIGARETTE_PICTURE = "mendeleysmoke1007_jpg.rf.7ddd54e4417b2fe160a02ee62c5ceb9e"  # a web picture
# State Farm driver p014: c0 safe driving, c6 drinking (a cup at the mouth, a confuser of the cigarette)
NEITHER = ("img_1005.jpg", "img_100548.jpg")


@pytest.fixture(scope="module")
def detector():
    return load_detector()


@pytest.fixture(scope="module")
def held_out(detector):
    pictures = (read_phone_images(SHARED / "phone_images") + read_smoking_images(SHARED / "smoking_images")
                + read_statefarm(SHARED / "statefarm_train"))
    split = split_pictures(pictures, detector.meta.training["split"]["test_drivers"])
    return {p.path.name: p for p in split.test}


def _find(held_out, start):
    found = [p for name, p in held_out.items() if name.startswith(start)]
    assert len(found) == 1, f"{start} is not a held-out picture"
    return found[0]


def test_the_shipped_detector_loads_weights_only_with_its_terms(detector):
    payload = torch.load(SHIPPED_DETECTOR, map_location="cpu", weights_only=True)
    assert payload["format"] == "dms-detector"
    assert SHIPPED_DETECTOR.stat().st_size < 15 * 2**20
    meta = detector.meta
    assert tuple(meta.classes) == DETECTOR_CLASSES and meta.input_size == 320
    assert "research use only" in meta.training["terms"]
    split = meta.training["split"]
    assert set(split["test_drivers"]) == {"p014", "p041", "p052", "p066"}
    assert split["test"]["smoking drama frames"] == 634 and "smoking drama frames" not in split["train"]


@pytest.mark.parametrize(("start", "label"), [(PHONE_PICTURE, "phone"), (CIGARETTE_PICTURE, "cigarette")])
def test_it_finds_the_object_on_a_held_out_picture(detector, held_out, start, label):
    picture = _find(held_out, start)
    found = [d for d in detector.detect(read_picture(picture)) if d.label == label]
    assert found, f"no {label} found"
    truth = torch.tensor([b for b, k in zip(picture.boxes, picture.labels, strict=True) if k == label])
    assert float(box_iou(torch.tensor([d.box for d in found]), truth).max()) >= 0.5


@pytest.mark.parametrize("name", NEITHER)
def test_a_held_out_driver_without_phone_or_cigarette_gives_nothing(detector, held_out, name):
    picture = held_out[name]
    assert picture.group == "p014" and not picture.unboxed
    assert detector.detect(read_picture(picture)) == []


def test_eval_detector_on_clips_names_a_missing_video_before_any_work(capsys, tmp_path):
    assert main(["eval-detector", "--clips", str(SHARED / "video" / "day_eating.mp4"),
                 str(tmp_path / "missing.mp4")]) == 2
    out = capsys.readouterr()
    assert "missing.mp4: video not found" in out.err and "day_eating" not in out.out
