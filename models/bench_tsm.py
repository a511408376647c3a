"""`bench tsm`: the cost of one new frame: 2D network, online TSM (PyTorch, onnxruntime), offline TSM.

All variants run side by side in one process, interleaved repeat by repeat in a rotating order, so
load from other processes hurts them alike; the figures are medians in milliseconds per new frame.
The offline variant recomputes the whole `n_segment`-frame window for each new frame, which is what
a bi-directional TSM must do to follow a live camera. FLOPs count multiply-adds twice (torch's counter).
The online TSM also runs with DS attention (`--ds`, in every other residual block of each stage as
`train --ds` builds it without a frozen trunk), beside the same network without it.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from models.architecture import ARCHS, DEFAULT_ARCH, DEFAULT_SEGMENTS, DS_VARIANTS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--iters", type=int, default=30, help="timed repeats per variant (default 30)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed repeats first (default 5)")
    parser.add_argument("--size", type=int, default=224, help="input size in pixels (default 224)")
    parser.add_argument("--arch", choices=ARCHS, default=DEFAULT_ARCH,
                        help=f"backbone (default {DEFAULT_ARCH})")
    parser.add_argument("--segments", type=int, default=DEFAULT_SEGMENTS,
                        help=f"offline window in frames (default {DEFAULT_SEGMENTS})")
    parser.add_argument("--ds", choices=DS_VARIANTS, default="no1",
                        help="DS attention variant of the online TSM with DS (default no1)")
    parser.add_argument("--ds-first-block", type=int, default=0, metavar="N",
                        help="DS only in MobileNetV2 blocks from N on, as `train --ds` places it above "
                        "--freeze-blocks N (default 0: every other residual block of each stage)")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for torch and onnxruntime")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def count_flops(fn: Callable[[], object]) -> int:
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter:
        fn()
    return counter.get_total_flops()


def run(args: argparse.Namespace) -> dict:
    """Measure and return the figures; print them as a table unless --json (the caller prints the JSON)."""
    import torch
    from tqdm import tqdm

    from models.checkpoints import CheckpointMeta, class_names
    from models.online import OnlineTSM
    from models.onnx_export import online_onnx_bytes
    from models.onnx_online import OnnxOnlineTSM
    from models.tsm import TSN

    torch.set_num_threads(args.threads)
    num_class, size, segments = 10, args.size, args.segments
    torch.manual_seed(0)
    plain = TSN(num_class, n_segment=1, base_model=args.arch, shift_mode="none").eval()
    causal = TSN(num_class, n_segment=segments, base_model=args.arch, shift_mode="online").eval()
    offline = TSN(num_class, n_segment=segments, base_model=args.arch, shift_mode="bidirectional").eval()
    with_ds = TSN(num_class, n_segment=segments, base_model=args.arch, shift_mode="online", ds=args.ds,
                  input_size=size, ds_first_block=args.ds_first_block).eval()
    classes = class_names(num_class)
    meta = CheckpointMeta(
        arch=args.arch,
        num_class=num_class,
        classes=classes,
        class_to_behaviour=dict.fromkeys(classes),
        n_segment=segments,
        input_size=size,
        scale_size=size,
    )
    online = OnlineTSM(causal)
    online_ds = OnlineTSM(with_ds)
    onnx_online = OnnxOnlineTSM(online_onnx_bytes(causal, meta), threads=args.threads)
    frame = torch.randn(1, 3, size, size)
    frame_np = frame.numpy()
    window = torch.randn(segments, 3, size, size)

    def run_2d():
        with torch.no_grad():
            plain.forward_frames(frame)

    def run_window():
        with torch.no_grad():
            offline(window)

    variants: dict[str, Callable[[], object]] = {
        "2d": run_2d,
        "online_torch": lambda: online.step(frame),
        "online_torch_ds": lambda: online_ds.step(frame),
        "online_onnx": lambda: onnx_online.step(frame_np),
        "offline_window": run_window,
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    names = list(variants)
    for i in tqdm(range(args.warmup + args.iters), desc="bench tsm", unit="round", leave=False):
        for name in names[i % len(names) :] + names[: i % len(names)]:
            start = time.perf_counter()
            variants[name]()
            if i >= args.warmup:
                times[name].append((time.perf_counter() - start) * 1000)
    ms = {name: statistics.median(values) for name, values in times.items()}
    online.reset()
    online_ds.reset()
    result = {
        "arch": args.arch,
        "size": size,
        "threads": args.threads,
        "iters": args.iters,
        "segments": segments,
        "ms_2d": round(ms["2d"], 3),
        "ms_online_torch": round(ms["online_torch"], 3),
        "ms_online_onnx": round(ms["online_onnx"], 3),
        "ds": args.ds,
        "ms_online_torch_ds": round(ms["online_torch_ds"], 3),
        "ms_offline_window": round(ms["offline_window"], 3),
        "ratio_online_vs_2d": round(ms["online_torch"] / ms["2d"], 3),
        "ratio_window_vs_online": round(ms["offline_window"] / ms["online_torch"], 3),
        "flops": count_flops(lambda: online.step(frame)),
        "flops_ds": count_flops(lambda: online_ds.step(frame)),
        "flops_2d": count_flops(run_2d),
        "flops_offline_window": count_flops(run_window),
        "params": sum(p.numel() for p in causal.parameters()),
        "params_2d": sum(p.numel() for p in plain.parameters()),
        "params_ds": sum(p.numel() for p in with_ds.parameters()),
        "ds_blocks": len(with_ds.ds_blocks),
        "shift_buffers": online.num_buffers,
    }
    online.reset()
    online_ds.reset()
    if not args.json:
        print_figures(result)
    return result


def print_figures(r: dict) -> None:
    print(
        f"TSM benchmark: {r['arch']} at {r['size']} px, {r['threads']} threads, median of {r['iters']} rounds"
    )
    print(f"  2D network (no shift)        {r['ms_2d']:8.2f} ms/frame  {r['flops_2d'] / 1e9:6.3f} GFLOPs")
    print(
        f"  online TSM, PyTorch          {r['ms_online_torch']:8.2f} ms/frame  {r['flops'] / 1e9:6.3f} GFLOPs"
    )
    with_ds = f"online TSM + DS {r['ds']}, PyTorch"
    print(f"  {with_ds:<28} {r['ms_online_torch_ds']:8.2f} ms/frame  {r['flops_ds'] / 1e9:6.3f} GFLOPs  "
          f"({r['ds_blocks']} DS blocks, +{(r['flops_ds'] / r['flops'] - 1) * 100:.3f} % FLOPs, "
          f"+{r['params_ds'] - r['params']:,} parameters)")
    print(f"  online TSM, onnxruntime      {r['ms_online_onnx']:8.2f} ms/frame")
    window = f"offline TSM, {r['segments']}-frame window"
    window_gflops = r["flops_offline_window"] / 1e9
    print(f"  {window:<28} {r['ms_offline_window']:8.2f} ms/frame  {window_gflops:6.3f} GFLOPs")
    ratios = f"online / 2D = {r['ratio_online_vs_2d']:.2f}x"
    print(f"  {ratios}   window / online = {r['ratio_window_vs_online']:.2f}x")
    print(f"  parameters: {r['params']:,} (2D: {r['params_2d']:,}), {r['shift_buffers']} shift buffers")
