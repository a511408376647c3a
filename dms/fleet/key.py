"""The resume key of a drive's analysis: a SHA-256 over the video's content and every input that
changes the result (settings, camera profile, classifier checkpoint and runtime, telemetry logs
and their mapping and offset). Renaming or moving a video keeps its key; changing a threshold,
the profile or the model changes every key, so the drive is analysed again."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from dms.store.content import file_sha256


def hash_files(paths: list[Path], threads: int = 4, progress: Callable[[Path], None] | None = None
                ) -> dict[Path, str]:
    """SHA-256 of each distinct file, a few in parallel (the work is I/O and C code);
    `progress` is called with each file once it is hashed."""
    unique = list(dict.fromkeys(paths))
    hashes: dict[Path, str] = {}
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        futures = {pool.submit(file_sha256, path): path for path in unique}
        for future in as_completed(futures):
            hashes[futures[future]] = future.result()
            if progress is not None:
                progress(futures[future])
    return hashes


def drive_key(video_sha256: str, recipe_fingerprint: dict, telemetry_sha256: list[str],
              telemetry_offset_s: float | None) -> str:
    """Hex SHA-256 of one drive's analysis inputs: the video content, the recipe fingerprint (a
    JSON-able dict, see dms.fleet.analyse.recipe_fingerprint) and its telemetry logs' contents."""
    payload = {
        "video": video_sha256,
        "recipe": recipe_fingerprint,
        "telemetry": telemetry_sha256,
        "telemetry_offset_s": telemetry_offset_s,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
