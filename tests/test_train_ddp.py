"""DistributedDataParallel on CPU: two gloo processes, as torchrun would start them, train in lock-step."""

from __future__ import annotations

import os
import socket

import torch
import torch.multiprocessing as mp

from models.augment import ClipTransform
from models.checkpoints import CheckpointMeta
from models.datasets.clip_dataset import ClipDataset
from models.datasets.rawframes import read_rawframes_list
from models.distributed import init_from_env, shutdown
from models.synthetic import noisy_brightness, write_rawframes_dataset
from models.train import TrainConfig, fit
from models.tsm import TSN

SIZE, SEGMENTS = 16, 4


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank: int, world: int, port: int, train_list: str, val_list: str, out_dir: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(world),
                      LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    ctx = init_from_env(prefer_cuda=False)
    torch.manual_seed(rank)  # different initial weights: DDP must broadcast rank 0's
    model = TSN(2, n_segment=SEGMENTS, base_model="resnet18", shift_mode="online", dropout=0.0)
    meta = CheckpointMeta(arch="resnet18", num_class=2, classes=["dark", "bright"],
                          class_to_behaviour={"dark": None, "bright": None}, n_segment=SEGMENTS,
                          input_size=SIZE, scale_size=SIZE)
    train_tf = ClipTransform(SIZE, True, SIZE, crop_scales=(1.0,), colour_jitter=0.0)
    train_set = ClipDataset(read_rawframes_list(train_list), SEGMENTS, train_tf, dense_stride=1)
    val_tf = ClipTransform(SIZE, False, SIZE)
    val_set = ClipDataset(read_rawframes_list(val_list), SEGMENTS, val_tf, dense_stride=1)
    cfg = TrainConfig(epochs=3, batch_size=4, lr=0.01, warmup_epochs=0.5, seed=0)
    result = fit(model, meta, train_set, val_set, cfg, out_dir, ctx=ctx, progress=False)
    params = {k: p.detach() for k, p in model.named_parameters()}
    losses = [h.train_loss for h in result.history]
    torch.save({"params": params, "train_loss": losses}, os.path.join(out_dir, f"rank{rank}.pt"))
    shutdown(ctx)


def test_two_gloo_ranks_end_with_identical_weights_and_the_loss_falls(tmp_path):
    train_list, val_list = write_rawframes_dataset(tmp_path / "data", noisy_brightness, n_train=24, n_val=8,
                                                   n_frames=6, size=SIZE)
    out = tmp_path / "run"
    out.mkdir()
    mp.spawn(_worker, args=(2, _free_port(), str(train_list), str(val_list), str(out)), nprocs=2, join=True)
    ranks = [torch.load(out / f"rank{r}.pt", weights_only=True) for r in range(2)]
    assert ranks[0]["params"].keys() == ranks[1]["params"].keys()
    for name, tensor in ranks[0]["params"].items():
        assert torch.equal(tensor, ranks[1]["params"][name]), name
    assert ranks[0]["train_loss"] == ranks[1]["train_loss"]  # all-reduced over both shards
    assert ranks[0]["train_loss"][-1] < ranks[0]["train_loss"][0]
    assert (out / "best.pth").is_file() and (out / "log.csv").is_file()
