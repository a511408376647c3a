"""Alert sounds generated with numpy and written as 16-bit mono WAV files (no bundled audio)."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

RATE = 22050


def chime(rate: int = RATE) -> np.ndarray:
    """Two soft descending notes with a decaying envelope: the warning sound."""
    parts = []
    for freq in (880.0, 660.0):
        t = np.arange(int(0.25 * rate)) / rate
        parts.append(np.sin(2 * np.pi * freq * t) * np.exp(-t * 10.0))
    return 0.6 * np.concatenate(parts)


def critical_tone(rate: int = RATE) -> np.ndarray:
    """Three short loud beeps and a pause; looped while a critical event lasts."""
    t = np.arange(int(0.12 * rate)) / rate
    beep = np.sign(np.sin(2 * np.pi * 1200.0 * t)) * 0.5
    ramp = np.minimum(1.0, np.minimum(t, t[::-1]) * 200.0)  # 5 ms fades avoid clicks
    gap = np.zeros(int(0.08 * rate))
    return np.concatenate([beep * ramp, gap] * 3 + [np.zeros(int(0.3 * rate))])


def write_wav(path: Path, samples: np.ndarray, rate: int = RATE) -> Path:
    """Write float samples in [-1, 1] as 16-bit PCM mono."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    return path
