"""The TSM/mmaction list formats: `frame_dir num_frames label` (rawframes) and `path label` (videos)."""

from __future__ import annotations

from pathlib import Path

from models.datasets.clip import FRAME_TEMPLATE, Clip
from models.errors import ModelInputError

__all__ = ["FRAME_TEMPLATE", "int_label", "list_lines", "media_path", "read_rawframes_list",
           "read_video_list", "write_rawframes_list"]


def list_lines(list_path: Path) -> list[tuple[int, str]]:
    try:
        text = list_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelInputError(list_path, f"cannot read list file: {exc}") from exc
    return [(n, line.strip()) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]


def int_label(list_path: Path, n: int, text: str, num_class: int | None) -> int:
    try:
        label = int(text)
    except ValueError:
        raise ModelInputError(list_path, f"line {n}: label {text!r} is not an integer") from None
    if label < 0 or (num_class is not None and label >= num_class):
        raise ModelInputError(list_path, f"line {n}: label {label} is outside 0..{(num_class or 1) - 1}")
    return label


def media_path(root: Path | None, list_path: Path, name: str) -> Path:
    path = Path(name)
    return path if path.is_absolute() else (root or list_path.parent) / path


def read_rawframes_list(list_path: str | Path, root: str | Path | None = None,
                        num_class: int | None = None) -> list[Clip]:
    """Parse `frame_dir num_frames label` lines; relative dirs are under `root` (default: list's folder)."""
    list_path = Path(list_path)
    root = Path(root) if root else None
    clips = []
    for n, line in list_lines(list_path):
        parts = line.rsplit(maxsplit=2)
        if len(parts) != 3:
            raise ModelInputError(list_path, f"line {n}: expected 'frame_dir num_frames label', got {line!r}")
        frame_dir, count, label = parts
        if not count.isdigit() or int(count) < 1:
            raise ModelInputError(list_path, f"line {n}: frame count {count!r} is not a positive integer")
        source = media_path(root, list_path, frame_dir)
        label_index = int_label(list_path, n, label, num_class)
        clips.append(Clip(source, "rawframes", 0, int(count), label_index, source.name))
    if not clips:
        raise ModelInputError(list_path, "list file has no entries")
    return clips


def read_video_list(list_path: str | Path, root: str | Path | None = None,
                    num_class: int | None = None) -> list[Clip]:
    """Parse `path label` lines, one whole video per line."""
    list_path = Path(list_path)
    root = Path(root) if root else None
    clips = []
    for n, line in list_lines(list_path):
        parts = line.rsplit(maxsplit=1)
        if len(parts) != 2:
            raise ModelInputError(list_path, f"line {n}: expected 'path label', got {line!r}")
        source = media_path(root, list_path, parts[0])
        label = int_label(list_path, n, parts[1], num_class)
        clips.append(Clip(source, "video", 0, None, label, source.stem))
    if not clips:
        raise ModelInputError(list_path, "list file has no entries")
    return clips


def write_rawframes_list(list_path: str | Path, entries: list[tuple[str, int, int]]) -> None:
    """Write `frame_dir num_frames label` lines (the inverse of read_rawframes_list)."""
    Path(list_path).write_text("".join(f"{d} {n} {label}\n" for d, n, label in entries), encoding="utf-8")
