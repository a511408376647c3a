"""Grad-CAM over the frames of a clip: where the TSM looks when it picks a class.

The maps come from the backbone's last convolutional stage (per frame, since a TSN runs the 2D
backbone on every frame), weighted by the gradient of the clip's consensus logit.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn

from models.tsm import TSN


def target_layer(model: TSN) -> nn.Module:
    """The last convolutional stage: ResNet layer4, MobileNetV2's final 1x1 conv block."""
    backbone = model.base_model
    return backbone.layer4 if hasattr(backbone, "layer4") else backbone.features[-1]


def gradcam(model: TSN, clip: torch.Tensor, target_class: int | None = None) -> tuple[np.ndarray, int]:
    """Heat maps (T, H, W) in [0, 1] for `clip` (T, 3, H, W), and the class explained (default: top one)."""
    layer = target_layer(model)
    store: dict[str, torch.Tensor] = {}

    def keep(_module, _inputs, output):
        output.retain_grad()
        store["maps"] = output

    handle = layer.register_forward_hook(keep)
    was_training = model.training
    model.eval()
    try:
        with torch.enable_grad():
            logits = model(clip.requires_grad_(False))
            chosen = int(logits[0].argmax()) if target_class is None else target_class
            model.zero_grad(set_to_none=True)
            logits[0, chosen].backward()
    finally:
        handle.remove()
        model.train(was_training)
    maps, grads = store["maps"].detach(), store["maps"].grad
    weights = grads.mean(dim=(2, 3), keepdim=True)
    cams = torch.relu((weights * maps).sum(dim=1)).numpy()
    height, width = clip.shape[-2:]
    out = np.stack([cv2.resize(c, (width, height), interpolation=cv2.INTER_LINEAR) for c in cams])
    peak = out.max()
    return (out / peak if peak > 0 else out), chosen


def overlay(frames: list[np.ndarray], cams: np.ndarray, alpha: float = 0.45) -> list[np.ndarray]:
    """Blend a JET colour map of each heat map onto its RGB frame."""
    out = []
    for frame, cam in zip(frames, cams, strict=True):
        colour = cv2.cvtColor(cv2.applyColorMap(np.uint8(255 * cam), cv2.COLORMAP_JET), cv2.COLOR_BGR2RGB)
        out.append(cv2.addWeighted(frame, 1 - alpha, colour, alpha, 0))
    return out


def save_heatmaps(frames: list[np.ndarray], path: str | Path, frame_ms: int = 250) -> Path:
    """Write overlaid frames as one PNG strip (.png) or an animated GIF (.gif)."""
    from PIL import Image

    path = Path(path)
    if path.suffix.lower() == ".gif":
        images = [Image.fromarray(f) for f in frames]
        images[0].save(path, save_all=True, append_images=images[1:], duration=frame_ms, loop=0)
    elif path.suffix.lower() == ".png":
        Image.fromarray(np.concatenate(frames, axis=1)).save(path)
    else:
        raise ValueError(f"heat maps are written as .png or .gif, not {path.suffix!r}")
    return path
