"""The TSM architecture choices and their defaults, written once for the network, the checkpoint
metadata and every command line (`train`, `bench-tsm`). No torch here, so `--help` needs none.

Defaults follow the TSM paper (Lin, Gan & Han, ICCV 2019): 8 segments, 1/8 of the channels shifted,
the shift inside the residual branch ("blockres"); MobileNetV2 is the backbone the paper runs
online, frame by frame, on edge devices.
"""

# resnet50vd: ResNet-50-vd as PaddleVideo's PP-TSM builds it (three 3x3 stem convolutions, an
# average pool before the strided shortcut convolution, leaky ReLU).
ARCHS = ("mobilenetv2", "resnet50", "resnet18", "resnet50vd")
SHIFT_PLACES = ("blockres", "block")  # inside the residual branch, or before the whole block
SHIFT_MODES = ("bidirectional", "online", "none")  # offline TSM, causal (online) TSM, plain TSN
# Which fold of the bi-directional shift looks ahead: the official TSM code's first fold takes the
# next frame; PaddleVideo's `paddle.nn.functional.temporal_shift` takes the previous one first.
SHIFT_ORDERS = ("next-first", "previous-first")

DEFAULT_ARCH = "mobilenetv2"
DEFAULT_SEGMENTS = 8
DEFAULT_SHIFT_DIV = 8
DEFAULT_SHIFT_PLACE = "blockres"

# The DS channel attention on TSM (the project's founding documents, issue 21): the gate and how it
# is applied. no1: sigmoid, multiply; no2: sigmoid, add; no3: no gate, add; no4: ReLU6, multiply.
DS_VARIANTS = ("no1", "no2", "no3", "no4")
DS_REDUCTION = 16  # the SE-style bottleneck's reduction, as in squeeze-and-excitation
