"""The phone / cigarette detector (models/detect/): data, split, augmentation, checkpoint, training."""

import json

import numpy as np
import pytest
import torch

from main import main
from models.detect.augment import DetectionAugment
from models.detect.checkpoint import DetectorMeta, load_detector_weights, save_detector
from models.detect.evaluate import average_precision, class_result
from models.detect.inference import Detection, Detector
from models.detect.letterbox import letterbox
from models.detect.net import FROZEN_BLOCKS, build_detector, losses_from_trunk, normalise
from models.detect.sources import (
    Picture,
    family,
    read_phone_images,
    read_smoking_images,
    read_statefarm,
    read_yolo_labels,
)
from models.detect.split import split_pictures
from models.errors import ModelInputError
from models.pretrained import imagenet_mobilenetv2_features, init_features_from_imagenet
from tests.conftest import SHARED

pytestmark = pytest.mark.usefixtures("torch_one_thread")
HELD_OUT_DRIVERS = ["p014", "p041", "p052", "p066"]  # the shipped classifier's validation drivers


def test_letterbox_keeps_the_picture_shape_and_maps_boxes_back():
    picture = np.zeros((720, 1280, 3), np.uint8)
    square, box = letterbox(picture, 320)
    assert square.shape == (320, 320, 3)
    assert (box.scale, box.left, box.top) == (0.25, 0, 70)
    assert tuple(square[0, 0]) == (104, 116, 124)  # padding, not picture
    boxes = np.array([[100.0, 200.0, 300.0, 400.0]])
    back = box.to_picture(box.to_square(boxes))
    np.testing.assert_allclose(back, boxes / [1280, 720, 1280, 720], atol=1e-9)
    with pytest.raises(ValueError, match="H x W x 3"):
        letterbox(np.zeros((10, 10), np.uint8), 320)


def test_augmented_box_still_encloses_the_object():
    """A white square on black: after crop, zoom, rotation and flip its box still holds it (photometry
    off, so the padding stays darker than the square)."""
    picture = np.zeros((480, 640, 3), np.uint8)
    picture[200:260, 300:380] = 255
    boxes = np.array([[300.0, 200.0, 380.0, 260.0]])
    augment = DetectionAugment(320, miss_share=0.0, grey_share=0.0, blur_share=0.0, colour_jitter=0.0)
    for seed in range(20):
        square, out, labels = augment(picture, boxes, np.array([1]), np.random.default_rng(seed))
        bright = square.max(axis=2) > 128
        assert square.shape == (320, 320, 3)
        if len(out) == 0:  # the window left the square out altogether
            continue
        assert labels.tolist() == [1]
        x0, y0, x1, y1 = out[0]
        inside = bright[max(0, int(y0) - 2): int(y1) + 3, max(0, int(x0) - 2): int(x1) + 3].sum()
        assert inside >= 0.95 * bright.sum() > 0


def test_a_missing_view_holds_no_box_and_no_object():
    """Views drawn to miss the object: the picture's own background as a picture without it."""
    picture = np.zeros((480, 640, 3), np.uint8)
    picture[200:260, 300:380] = 255
    augment = DetectionAugment(320, miss_share=1.0, grey_share=0.0, blur_share=0.0, colour_jitter=0.0)
    empty = 0
    for seed in range(10):
        square, out, _ = augment(picture, np.array([[300.0, 200.0, 380.0, 260.0]]), np.array([0]),
                                 np.random.default_rng(seed))
        if len(out) == 0:
            empty += 1
            assert (square.max(axis=2) > 200).sum() == 0
    assert empty >= 8


def test_yolo_labels_are_read_and_bad_lines_named(tmp_path):
    good = tmp_path / "a.txt"
    good.write_text("0 0.5 0.5 0.2 0.4\n2 0.5 0.5 0.9 0.9")  # class 2 (seat belt) is dropped
    assert read_yolo_labels(good, {0: "phone", 2: None}) == [("phone", (0.4, 0.3, 0.6, 0.7))]
    bad = tmp_path / "b.txt"
    bad.write_text("0 0.5 0.5\n")
    with pytest.raises(ModelInputError, match=r"b\.txt: line 1: expected 'class cx cy w h'"):
        read_yolo_labels(bad, {0: "phone"})
    bad.write_text("7 0.5 0.5 0.1 0.1\n")
    with pytest.raises(ModelInputError, match="class 7"):
        read_yolo_labels(bad, {0: "phone"})


def test_photo_families_keep_numbered_shoots_together():
    assert family("texting12304_jpg.rf.8f63298e13.jpg") == "texting"
    assert family("1286876kajfhkjdfh6_jpg.rf.d705.jpg") == "1286876kajfhkjdfh"
    assert family("10033_jpg.rf.22fe.jpg") == "10033"  # a bare number is its own picture


@pytest.fixture(scope="module")
def shared_split():
    pictures = (read_phone_images(SHARED / "phone_images") + read_smoking_images(SHARED / "smoking_images")
                + read_statefarm(SHARED / "statefarm_train"))
    return pictures, split_pictures(pictures, HELD_OUT_DRIVERS)


def test_the_split_is_by_source_and_group_never_by_frame(shared_split):
    pictures, split = shared_split
    parts = {part: getattr(split, part) for part in ("train", "val", "test")}
    groups = {part: {p.group for p in ps} for part, ps in parts.items()}
    assert not groups["train"] & groups["test"] and not groups["train"] & groups["val"]
    assert not groups["val"] & groups["test"]
    drama = [p for p in pictures if p.path.name.startswith("gadiskretek")]
    assert len(drama) > 600 and all(p in parts["test"] for p in drama)  # one drama: held out whole
    assert set(HELD_OUT_DRIVERS) <= groups["test"]
    assert not set(HELD_OUT_DRIVERS) & (groups["train"] | groups["val"])
    assert not any(p.unboxed for p in parts["train"])  # State Farm phones without a box never train
    for source in ("in-car phone photos", "smoking web pictures", "State Farm side view"):
        assert {source} <= {p.source for p in parts["train"]} & {p.source for p in parts["test"]}
    phone_boxes = [p for p in pictures if p.source == "in-car phone photos" and "phone" in p.labels]
    assert 150 < len(phone_boxes) < 200  # 174 pictures hold a phone box; the others only seat belts


def test_average_precision_of_ranked_hits():
    assert average_precision([0.9, 0.8, 0.7], [True, False, True], 2) == pytest.approx(0.5 + 0.5 * 2 / 3)
    assert average_precision([0.9], [True], 1) == 1.0
    assert average_precision([], [], 3) == 0.0
    assert average_precision([0.5], [False], 0) is None


def test_picture_level_finding_counts_pictures_with_and_without_the_object(tmp_path):
    with_box = Picture(tmp_path / "a.jpg", ((0.1, 0.1, 0.3, 0.3),), ("phone",), "s", "a")
    without = Picture(tmp_path / "b.jpg", (), (), "s", "b")
    unboxed = Picture(tmp_path / "c.jpg", (), (), "s", "c", unboxed=("phone",))
    hit = Detection("phone", 0.9, (0.1, 0.1, 0.3, 0.31))
    stray = Detection("phone", 0.8, (0.6, 0.6, 0.9, 0.9))
    r = class_result([with_box, without, unboxed], [[hit], [stray], []], "phone", 0.5)
    assert (r.pictures_with, r.pictures_without, r.boxes) == (2, 1, 1)
    assert (r.ap, r.box_precision, r.box_recall) == (1.0, 0.5, 1.0)  # the stray is on a boxed picture
    assert (r.found, r.false) == (0.5, 1.0)


def test_imagenet_weights_fill_the_detector_backbone():
    model = build_detector(2, 320)
    copied = init_features_from_imagenet(model.backbone.features)
    source = imagenet_mobilenetv2_features()
    assert copied == len([k for k in source if int(k.split(".")[1]) <= 17])
    state = model.backbone.features.state_dict()
    assert torch.equal(state["3.conv.0.0.weight"], source["features.3.conv.0.weight"])
    frozen = [p.requires_grad for p in model.backbone.features[:FROZEN_BLOCKS].parameters()]
    assert frozen and not any(frozen)
    assert all(p.requires_grad for p in model.backbone.features[FROZEN_BLOCKS:].parameters())


def test_trunk_cache_training_gives_the_full_models_loss():
    torch.manual_seed(0)
    model = build_detector(2, 128)
    model.train()
    images = torch.rand(2, 3, 128, 128)
    targets = [{"boxes": torch.tensor([[10.0, 20.0, 60.0, 90.0]]), "labels": torch.tensor([0])},
               {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)}]
    full = model(list(images), targets)
    s8, s16 = model.backbone.trunk(normalise(model, images))
    cached = losses_from_trunk(model, s8, s16, targets, 128)
    for key, value in full.items():
        assert float(cached[key].detach()) == pytest.approx(float(value.detach()), rel=1e-4)


def test_checkpoint_round_trip_with_weights_only(tmp_path):
    model = build_detector(2, 128)
    meta = DetectorMeta(["phone", "cigarette"], 128, 0.4, training={"terms": "research use only"})
    save_detector(tmp_path / "d.pth", model, meta)
    loaded, read = load_detector_weights(tmp_path / "d.pth")
    assert read == meta
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value)
    detector = Detector(loaded, read, threshold=0.0)
    found = detector.detect(np.zeros((90, 160, 3), np.uint8))
    assert all(d.label in ("phone", "cigarette") and 0 <= d.box[0] < d.box[2] <= 1 for d in found)
    torch.save({"format": "something else"}, tmp_path / "other.pth")
    with pytest.raises(ModelInputError, match="not a detector checkpoint"):
        load_detector_weights(tmp_path / "other.pth")
    (tmp_path / "cut.pth").write_bytes((tmp_path / "d.pth").read_bytes()[:1000])
    with pytest.raises(ModelInputError, match="cut.pth"):
        load_detector_weights(tmp_path / "cut.pth")


def test_train_detector_runs_end_to_end_on_a_tiny_subset(tmp_path):
    out = tmp_path / "run"
    code = main(["train-detector", "--max-per-source", "2", "--statefarm-val", "2", "--views", "1",
                 "--epochs", "1", "--batch-size", "4", "--input-size", "128", "--no-progress",
                 "--out", str(out)])
    assert code == 0
    _, meta = load_detector_weights(out / "detector.pth")
    assert meta.classes == ["phone", "cigarette"] and meta.input_size == 128
    assert "research use only" in meta.training["terms"]
    assert set(meta.training["split"]["test_drivers"]) == set(HELD_OUT_DRIVERS)
    assert meta.training["split"]["train"]["in-car phone photos"] == 2
    log = json.loads((out / "log.json").read_text())
    assert len(log["epochs"]) == 1 and np.isfinite(log["epochs"][0]["loss"])


def test_train_detector_refuses_a_file_as_output_folder(tmp_path, capsys):
    target = tmp_path / "file"
    target.write_text("x")
    assert main(["train-detector", "--out", str(target)]) == 2
    assert "is not a folder" in capsys.readouterr().err
