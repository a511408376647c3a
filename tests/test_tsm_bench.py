"""`bench tsm` runs every variant and reports the contract's keys (the figures are measured, not tested)."""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import json

import pytest
import torch

from models import bench_tsm
from models.architecture import ARCHS
from models.checkpoints import CheckpointMeta
from models.commands import train
from models.temporal_shift import TemporalShift
from models.tsm import TSN


@pytest.fixture(autouse=True)
def keep_threads():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_bench_reports_every_variant_side_by_side(capsys):
    parser = argparse.ArgumentParser()
    bench_tsm.add_arguments(parser)
    args = parser.parse_args(["--json", "--iters", "2", "--warmup", "0", "--size", "64", "--threads", "1"])
    result = bench_tsm.run(args)
    assert capsys.readouterr().out == ""  # with --json the bench command prints the returned dict
    json.dumps(result)
    for key in ("ms_2d", "ms_online_torch", "ms_online_torch_ds", "ms_online_onnx", "ms_offline_window"):
        assert result[key] > 0
    assert result["ratio_online_vs_2d"] == pytest.approx(
        result["ms_online_torch"] / result["ms_2d"], rel=0.01
    )
    # The shift moves data and adds no arithmetic; the window does 8 frames' worth.
    assert result["flops"] == result["flops_2d"] > 0
    assert result["flops_offline_window"] == 8 * result["flops"]
    assert result["params"] == result["params_2d"] and result["shift_buffers"] == 10
    # DS adds a little arithmetic (pooling + two small linear layers in 6 blocks) and parameters.
    assert result["ds_blocks"] == 6 and result["params_ds"] > result["params"]
    assert result["flops"] < result["flops_ds"] < 1.01 * result["flops"]


def test_architecture_defaults_are_the_same_everywhere():
    """The network, the checkpoint metadata and the `train` and `bench tsm` command lines take their
    architecture choices from models/architecture.py: a literal written again in one of them shows."""
    bench = argparse.ArgumentParser()
    bench_tsm.add_arguments(bench)
    commands = argparse.ArgumentParser().add_subparsers()
    train.add_parser(commands)
    trainer = commands.choices["train"]
    network = inspect.signature(TSN).parameters
    meta = {f.name: f.default for f in dataclasses.fields(CheckpointMeta)}
    shift_div = inspect.signature(TemporalShift).parameters["shift_div"].default
    assert bench.get_default("arch") == trainer.get_default("arch") == network["base_model"].default
    assert bench.get_default("segments") == trainer.get_default("n_segment") == network["n_segment"].default
    assert network["n_segment"].default == meta["n_segment"]
    assert trainer.get_default("shift_div") == network["shift_div"].default == meta["shift_div"] == shift_div
    assert trainer.get_default("shift_place") == network["shift_place"].default == meta["shift_place"]
    choices = {a.dest: a.choices for a in bench._actions} | {a.dest: a.choices for a in trainer._actions}
    assert tuple(choices["arch"]) == ARCHS


def test_bench_prints_a_table_without_json(capsys):
    parser = argparse.ArgumentParser()
    bench_tsm.add_arguments(parser)
    bench_tsm.run(parser.parse_args(["--iters", "1", "--warmup", "0", "--size", "64", "--threads", "1"]))
    out = capsys.readouterr().out
    assert "online TSM, onnxruntime" in out and "window / online" in out
    assert "online TSM + DS no1, PyTorch" in out and "% FLOPs" in out
