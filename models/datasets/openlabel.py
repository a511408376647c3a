"""ASAM OpenLABEL 1.0 (and its predecessor VCD, as the DMD data set writes it): the actions of one
annotation file, read once for every user (DMD training clips, the app's labels and its exports).

Only what actions carry is read: each action's type, its frame intervals (inclusive at both ends)
and its static action_data values ({"text"|"num"|"boolean"|"vec": [{"name", "val"}]}, flattened to
name -> value). Streams and metadata are kept as they are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from models.errors import ModelInputError


@dataclass(frozen=True)
class Action:
    uid: str
    type: str  # e.g. "driver_actions/drinking" (DMD) or "dms/phone" (this app's exports)
    intervals: tuple[tuple[int, int], ...]  # (first, last) frames, inclusive
    data: dict = field(default_factory=dict)  # action_data values by name
    name: str = ""


@dataclass(frozen=True)
class Annotation:
    path: Path
    metadata: dict
    streams: dict
    actions: tuple[Action, ...]


def read_openlabel(path: str | Path, what: str = "OpenLABEL annotation") -> Annotation:
    """Read `path`; ModelInputError names the file and the problem (`what` says what it was meant to be)."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
        root = doc["openlabel"] if "openlabel" in doc else doc["vcd"]
        streams, raw_actions = root.get("streams", {}), root.get("actions", {})
        metadata = root.get("metadata", {})
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelInputError(path, f"cannot read {what}: {exc}") from exc
    except (KeyError, TypeError, AttributeError) as exc:
        raise ModelInputError(path, f"not an OpenLABEL/VCD annotation (missing {exc})") from exc
    if not isinstance(raw_actions, dict) or not isinstance(streams, dict):
        raise ModelInputError(path, "not an OpenLABEL/VCD annotation (actions/streams are not objects)")
    actions = []
    for uid, action in raw_actions.items():
        if not isinstance(action, dict):
            raise ModelInputError(path, f"action {uid}: not an object")
        intervals = []
        for interval in action.get("frame_intervals", []):
            try:
                first, last = int(interval["frame_start"]), int(interval["frame_end"])
            except (KeyError, TypeError, ValueError):
                raise ModelInputError(path, f"action {uid}: bad frame interval {interval!r}") from None
            if last < first:
                raise ModelInputError(path, f"action {uid}: ends ({last}) before start ({first})")
            intervals.append((first, last))
        data = {}
        for values in (action.get("action_data") or {}).values():
            for item in values if isinstance(values, list) else []:
                if isinstance(item, dict) and "name" in item:
                    data[str(item["name"])] = item.get("val")
        actions.append(Action(str(uid), str(action.get("type", "")), tuple(intervals), data,
                              str(action.get("name", ""))))
    return Annotation(path, metadata if isinstance(metadata, dict) else {}, streams, tuple(actions))
