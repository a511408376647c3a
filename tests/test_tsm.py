"""Temporal shift, TSM networks and streaming inference."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from models.online import OnlineTSM
from models.temporal_shift import TemporalShift, shift_bidirectional, shift_causal
from models.tsm import TSN

pytestmark = pytest.mark.usefixtures("torch_one_thread")


def numbered_clip(n_segment: int = 4, channels: int = 8) -> torch.Tensor:
    """A clip whose value at (frame t, channel c) is 100*t + c + 1, so shifts are easy to read."""
    t = torch.arange(n_segment).view(n_segment, 1, 1, 1) * 100.0
    c = torch.arange(channels).view(1, channels, 1, 1) + 1.0
    return (t + c).expand(n_segment, channels, 2, 2).contiguous()


def test_bidirectional_shift_takes_next_and_previous_frames_with_zero_padding():
    out = shift_bidirectional(numbered_clip(), n_segment=4, shift_div=4)  # fold = 2 channels
    v = out[:, :, 0, 0]
    # channels 0-1 take frame t+1, zero at the last frame
    assert v[0, 0].item() == 101 and v[2, 1].item() == 302 and v[3, :2].tolist() == [0, 0]
    # channels 2-3 take frame t-1, zero at the first frame
    assert v[0, 2:4].tolist() == [0, 0] and v[1, 2].item() == 3 and v[3, 3].item() == 204
    # the rest stay
    assert torch.equal(v[:, 4:], numbered_clip()[:, 4:, 0, 0])


def test_causal_shift_takes_only_the_previous_frame():
    out = shift_causal(numbered_clip(), n_segment=4, shift_div=4)
    v = out[:, :, 0, 0]
    assert v[0, :2].tolist() == [0, 0]
    assert v[1, :2].tolist() == [1, 2] and v[3, :2].tolist() == [201, 202]
    assert torch.equal(v[:, 2:], numbered_clip()[:, 2:, 0, 0])


def test_shift_keeps_clips_of_a_batch_apart():
    clips = torch.cat([numbered_clip(), numbered_clip() + 1000])
    out = shift_bidirectional(clips, n_segment=4, shift_div=4)[:, :, 0, 0]
    assert out[3, 0].item() == 0  # last frame of clip 1 does not see the first frame of clip 2
    assert out[4, 2].item() == 0


def test_shift_traces_without_in_place_ops():
    module = TemporalShift(nn.Identity(), n_segment=4, shift_div=4)
    traced = torch.jit.trace(module, numbered_clip())
    assert torch.equal(traced(numbered_clip()), module(numbered_clip()))
    assert "copy_" not in str(traced.graph)


def test_shift_rejects_a_batch_that_is_not_whole_clips():
    with pytest.raises(ValueError, match="n_segment"):
        TemporalShift(nn.Identity(), n_segment=4)(torch.zeros(6, 8, 2, 2))


@pytest.mark.parametrize(
    ("arch", "shifts", "key"),
    [
        ("mobilenetv2", 10, "base_model.features.3.conv.0.net.0.weight"),
        ("resnet50", 16, "base_model.layer1.0.conv1.net.weight"),
        ("resnet18", 8, "base_model.layer4.1.conv1.net.weight"),
    ],
)
def test_tsm_inserts_shifts_in_residual_branches(arch, shifts, key):
    model = TSN(7, n_segment=4, base_model=arch)
    assert len(model.shift_modules()) == shifts
    keys = model.state_dict().keys()
    assert key in keys and "new_fc.weight" in keys
    out = model.eval()(torch.randn(8, 3, 64, 64))
    assert out.shape == (2, 7)


def test_block_place_wraps_whole_blocks():
    model = TSN(3, n_segment=2, base_model="resnet18", shift_place="block")
    assert "base_model.layer1.0.net.conv1.weight" in model.state_dict()
    assert len(model.shift_modules()) == 8


def test_consensus_is_the_mean_of_frame_logits():
    model = TSN(5, n_segment=4, base_model="mobilenetv2", dropout=0.0).eval()
    nn.init.normal_(model.new_fc.weight, 0, 0.1)
    x = torch.randn(8, 3, 64, 64)
    with torch.no_grad():
        frames = model.forward_frames(x)
        clips = model(x)
    assert frames.shape == (8, 5)
    assert torch.allclose(clips, frames.view(2, 4, 5).mean(1), atol=1e-6)


def test_no_shift_is_a_plain_2d_network():
    model = TSN(3, n_segment=4, shift_mode="none").eval()
    assert model.shift_modules() == []
    x = torch.randn(4, 3, 64, 64)
    with torch.no_grad():
        frames = model.forward_frames(x)
        alone = model.forward_frames(x[2:3])
    assert torch.allclose(frames[2:3], alone, atol=1e-5)


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="shift_mode"):
        TSN(3, shift_mode="sideways")
    with pytest.raises(ValueError, match="base_model"):
        TSN(3, base_model="vgg16")
    with pytest.raises(ValueError, match="shift_place"):
        TSN(3, shift_place="everywhere")


def test_partial_bn_freezes_all_batchnorm_but_the_first():
    model = TSN(3, n_segment=2, base_model="resnet18", partial_bn=True).train()
    norms = [m for m in model.base_model.modules() if isinstance(m, nn.BatchNorm2d)]
    assert norms[0].training and norms[0].weight.requires_grad
    assert all(not n.training and not n.weight.requires_grad for n in norms[1:])
    before = norms[1].running_mean.clone()
    model(torch.randn(2, 3, 64, 64))
    assert torch.equal(norms[1].running_mean, before)
    model.partial_bn(False)
    assert all(n.training and n.weight.requires_grad for n in norms)


def calibrated(model: TSN, clip: torch.Tensor) -> TSN:
    """Give BatchNorm statistics of real activations (as training would), so logits have a sane scale."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.momentum = None
    with torch.no_grad():
        model.train()(clip)
    nn.init.normal_(model.new_fc.weight, 0, 0.1)
    return model.eval()


@pytest.mark.parametrize(("arch", "size", "ds"), [
    ("mobilenetv2", 64, None), ("resnet50", 32, None),
    ("mobilenetv2", 64, "no1"), ("mobilenetv2", 64, "no2"), ("mobilenetv2", 64, "no4"),
    ("resnet50", 64, "no3"),
])
def test_online_steps_equal_the_causal_offline_network(arch, size, ds):
    """Streaming output on each frame == offline causal output for the clip ending there (< 1e-5),
    also with DS attention, which acts within a frame.

    Compared in float64: in float32 single-frame and batched convolutions round differently
    (about 1e-5 relative), which is arithmetic, not the shift logic under test.
    """
    torch.manual_seed(0)
    clip = torch.randn(16, 3, size, size)
    built = TSN(6, n_segment=16, base_model=arch, shift_mode="online", ds=ds, input_size=size)
    assert bool(built.ds_blocks) == bool(ds)
    model = calibrated(built, clip).double()
    clip = clip.double()
    with torch.no_grad():
        offline = model.forward_frames(clip)
    online = OnlineTSM(model)
    streamed = torch.cat([online.step(clip[i : i + 1]) for i in range(16)])
    assert offline.abs().max() > 1.0
    assert (streamed - offline).abs().max().item() < 1e-5
    # the clip ending at frame 5 alone gives the same logits for its last frame
    short = TSN(6, n_segment=6, base_model=arch, shift_mode="online", ds=ds, input_size=size).double().eval()
    short.load_state_dict(model.state_dict())
    with torch.no_grad():
        assert (short.forward_frames(clip[:6])[-1] - streamed[5]).abs().max().item() < 1e-5


def test_online_reset_forgets_the_past():
    torch.manual_seed(1)
    clip = torch.randn(4, 3, 32, 32)
    model = calibrated(TSN(3, n_segment=4, shift_mode="online"), clip)
    online = OnlineTSM(model)
    first = [online.step(clip[i : i + 1]) for i in range(4)]
    assert online.num_buffers == 10 and len(online.buffers) == 10
    online.reset()
    again = online.step(clip[:1])
    assert torch.equal(again, first[0])
    assert not torch.allclose(online.step(clip[:1]), first[0])  # the buffer now holds frame 0


def test_bidirectional_network_sees_the_future_and_is_refused_online():
    torch.manual_seed(2)
    clip = torch.randn(4, 3, 32, 32)
    changed = clip.clone()
    changed[3] = torch.randn(3, 32, 32)
    for mode, future_matters in (("bidirectional", True), ("online", False)):
        model = calibrated(TSN(3, n_segment=4, shift_mode=mode), clip)
        with torch.no_grad():
            a, b = model.forward_frames(clip)[:3], model.forward_frames(changed)[:3]
        assert (not torch.allclose(a, b, atol=1e-6)) == future_matters
    with pytest.raises(ValueError, match="bi-directional"):
        OnlineTSM(TSN(3, shift_mode="bidirectional"))
