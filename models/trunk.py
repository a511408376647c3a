"""A frozen trunk for training on a CPU: the first MobileNetV2 blocks run once per augmented still.

Fine-tuning only the upper blocks of an ImageNet network keeps most of the gain of full
fine-tuning at a fraction of the cost. On stills in the causal shift's steady state (see
`TSN.set_steady`) the frozen blocks are a pure function of the image, so their output for a few
augmented views of every still is computed once (`TrunkCache`), kept in memory as float16, and every
epoch trains the upper blocks on one of those views. Memory: views x images x C x H x W x 2 bytes
(about 18 KB a view at 192 px with 11 frozen blocks: 64 x 12 x 12).

Runs that differ only above the trunk (another loss, an attention block in the trained blocks) can
share one cache: `TrunkCache.save` writes it with a key naming everything its content depends on
(the trunk's weights, the images and labels, the transform), and `TrunkCache.load` takes it back
only for the same key, so every such run trains on the very same augmented views.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import torch
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm

from models.errors import ModelInputError
from models.tsm import TSN


def cache_key(model: TSN, clips: list, transform: object, views: int) -> str:
    """A digest of what a trunk cache holds: the trunk's tensors, the clips, the transform, the views."""
    digest = hashlib.sha256()
    for name, tensor in model.base_model.features[: model.trunk_blocks].state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    described = [[str(c.source), c.kind, c.start, c.num_frames, c.label] for c in clips]
    digest.update(json.dumps([described, repr(transform), views]).encode())
    return digest.hexdigest()


class TrunkCache(Dataset):
    """Item i -> (trunk output `(1, C, H, W)` float32 of one cached view, label).

    `dataset` yields `(frames (1, 3, S, S), label)` (a ClipDataset over stills with one frame a clip);
    with a training transform each of the `views` passes draws another augmentation. Training picks
    a random view per item; `views=1` with a test transform is the deterministic validation set.
    """

    def __init__(self, model: TSN, dataset: Dataset | None, views: int, desc: str = "trunk",
                 batch_size: int = 32, workers: int = 0, progress: bool = True):
        self.views = views
        if dataset is None:  # filled by `load`
            return
        if model.trunk_blocks < 1:
            raise ValueError("the model has no frozen trunk (TSN.freeze_trunk)")
        outputs, labels = [], []
        trunk = model.base_model.features[: model.trunk_blocks]
        was_training = model.training
        model.eval()
        try:
            for view in range(views):
                loader = DataLoader(dataset, batch_size, shuffle=False, num_workers=workers)
                chunks, chunk_labels = [], []
                for clips, batch_labels in tqdm(loader, desc=f"{desc} view {view + 1}/{views}",
                                                disable=not progress, leave=False):
                    with torch.no_grad():
                        chunks.append(trunk(clips.flatten(0, 1)).to(torch.float16))
                    chunk_labels.append(batch_labels)
                outputs.append(torch.cat(chunks))
                labels = torch.cat(chunk_labels)
        finally:
            model.train(was_training)
        self.outputs = torch.stack(outputs)  # (views, N, C, H, W)
        self.labels = labels

    def __len__(self) -> int:
        return self.outputs.shape[1]

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        view = int(torch.randint(0, self.views, (1,)).item()) if self.views > 1 else 0
        return self.outputs[view, i].float()[None], int(self.labels[i])

    def nbytes(self) -> int:
        return self.outputs.numel() * self.outputs.element_size()

    def save(self, path: str | Path, key: str) -> None:
        """Write the cached views and labels with `key` (see `cache_key`), atomically."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        torch.save({"key": key, "views": self.views, "outputs": self.outputs, "labels": self.labels}, tmp)
        os.replace(tmp, path)

    @staticmethod
    def load(path: str | Path, key: str) -> TrunkCache | None:
        """The cache saved at `path` if it was made with `key`; None when there is none or another key."""
        path = Path(path)
        if not path.is_file():
            return None
        try:
            data = torch.load(path, map_location="cpu", weights_only=True)
            if data["key"] != key:
                return None
            cache = TrunkCache(None, None, int(data["views"]))  # type: ignore[arg-type]
            cache.outputs, cache.labels = data["outputs"], data["labels"]
        except (OSError, RuntimeError, KeyError, TypeError, ValueError) as exc:
            raise ModelInputError(path, f"not a readable trunk cache: {exc}") from None
        return cache
