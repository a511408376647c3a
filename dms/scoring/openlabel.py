"""ASAM OpenLABEL for this app: a session's events out (`report --format openlabel`), labels in
(DMD annotations, or an exported and reviewed session) for `score` and the conformance report.

Both directions go through the one reader, `models.datasets.openlabel.read_openlabel`, which also
reads DMD annotations for training. An exported event is an action of type `dms/<behaviour>`
over the frames it spans, with its id as the action name and its exact times, scores, severity,
review, relabel, rule and explanation as action_data; the metadata names the session, the rule
set and the frame rate used for the frame numbers.
"""

from __future__ import annotations

from pathlib import Path

from dms.core.config import Settings
from dms.core.errors import InputError, model_errors_as_input_errors
from dms.scoring.labels import Label
from models.datasets.dmd import stream_sync
from models.datasets.openlabel import Annotation, read_openlabel

SCHEMA_VERSION = "1.0.0"
TYPE_PREFIX = "dms/"
NORMAL_DRIVING = "normal_driving"  # a label: driving with none of the judged behaviours
# DMD action types (dmd_config_distraction.json) -> the DMS behaviour they label.
DMD_BEHAVIOURS = {
    "gaze_on_road/not_looking_road": "eyes_off_road",
    "driver_actions/texting_right": "phone",
    "driver_actions/texting_left": "phone",
    "driver_actions/phonecall_right": "phone",
    "driver_actions/phonecall_left": "phone",
    "driver_actions/drinking": "drinking",
    "driver_actions/radio": "console",
    "driver_actions/reach_backseat": "looking_back",
    "hands_using_wheel/none": "hands_off_wheel",
    "driver_actions/safe_drive": NORMAL_DRIVING,
}
TEXT_FIELDS = ("severity", "review", "relabel", "rule", "rule_set", "clause")
NUM_FIELDS = ("start_s", "end_s", "peak_score", "mean_score", "warning_at_s", "critical_at_s")


def _frame(t: float, fps: float) -> int:
    return max(0, round(t * fps))


def session_to_openlabel(session: dict, events: list[dict], fps: float) -> dict:
    """The OpenLABEL document of one session: `session` is the events.json session object,
    `events` its event records (dms.store.records.event_record), `fps` the frame numbering rate."""
    actions = {}
    last_frame = 0
    for uid, event in enumerate(events):
        evidence = event.get("evidence") or {}
        values = {
            **event,
            **{k: evidence.get(k) for k in ("rule", "rule_set", "clause", "warning_at_s", "critical_at_s")},
        }
        first, last = _frame(event["start_s"], fps), _frame(event["end_s"], fps)
        last_frame = max(last_frame, last)
        data: dict[str, list] = {
            "text": [{"name": k, "val": str(values[k])} for k in TEXT_FIELDS if values.get(k) is not None],
            "num": [{"name": k, "val": float(values[k])} for k in NUM_FIELDS if values.get(k) is not None],
        }
        if evidence.get("why"):
            data["text"].append({"name": "why", "val": "\n".join(evidence["why"])})
        if event.get("stationary") is not None:
            data["boolean"] = [{"name": "stationary", "val": bool(event["stationary"])}]
        actions[str(uid)] = {
            "name": event["id"],
            "type": TYPE_PREFIX + event["behavior"],
            "frame_intervals": [{"frame_start": first, "frame_end": max(first, last)}],
            "action_data": data,
        }
    duration = session.get("duration_s") or 0.0
    rules = session.get("rules") or {}
    return {
        "openlabel": {
            "metadata": {
                "schema_version": SCHEMA_VERSION,
                "name": str(session.get("id", "")),
                "annotator": "dms" + (f" (rule set {rules['name']})" if rules.get("name") else ""),
                "comment": f"events of a driver-monitoring session; frame numbers at {fps:g} frames/s",
                "frame_rate_hz": fps,
            },
            "streams": {
                "camera": {
                    "type": "camera",
                    "uri": str(session.get("source", "")),
                    "description": "in-cabin driver camera",
                }
            },
            "frame_intervals": [{"frame_start": 0, "frame_end": max(last_frame, _frame(duration, fps))}],
            "actions": actions,
        }
    }


def events_from_openlabel(annotation: Annotation) -> list[dict]:
    """The events of an exported session, as written (id, behavior, times, scores, severity,
    stationary, review, relabel, rule, rule_set, clause, warning/critical times, why)."""
    events = []
    for action in annotation.actions:
        if not action.type.startswith(TYPE_PREFIX):
            continue
        data = action.data
        event = {"id": action.name, "behavior": action.type[len(TYPE_PREFIX) :]}
        event.update({k: data.get(k) for k in NUM_FIELDS + TEXT_FIELDS})
        event["stationary"] = data.get("stationary")
        event["why"] = data["why"].split("\n") if data.get("why") else []
        events.append(event)
    return events


def labels_from_openlabel(path: str | Path, fps: float = 30.0, stream: str = "face_camera") -> list[Label]:
    """Labels for `score` and the conformance report from an OpenLABEL file.

    A DMD annotation: its actions mapped by DMD_BEHAVIOURS (`driver_actions/safe_drive` becomes
    NORMAL_DRIVING), frames of `stream` (its sync frame_shift applied) at `fps` (the annotation
    does not state the rate; DMD videos are about 30 frames/s). An exported session: its reviewed
    events; a confirmed event labels its behaviour (or its relabel), a rejected one with a relabel
    labels the relabel, a rejected one without is normal driving; unreviewed events are no labels
    (InputError when none is reviewed: scored against nothing, the whole drive would pass for
    normal driving).
    """
    with model_errors_as_input_errors():
        annotation = read_openlabel(path)
        exported = any(a.type.startswith(TYPE_PREFIX) for a in annotation.actions)
        if exported:
            labels = _reviewed_labels(annotation)
            if not labels:
                raise InputError(path, "an exported session labels only its reviewed events, and none is "
                                       "reviewed (confirm or reject events in the app, then export again)")
            return labels
        shift = stream_sync(annotation, stream)[0] if annotation.streams else 0
    labels = []
    for action in annotation.actions:
        behaviour = DMD_BEHAVIOURS.get(action.type)
        if behaviour is None:
            continue
        for first, last in action.intervals:
            start, end = (first - shift) / fps, (last - shift + 1) / fps
            if end > 0:
                labels.append(Label(behaviour, round(max(0.0, start), 3), round(end, 3), "high"))
    return sorted(labels, key=lambda lab: (lab.start_s, lab.behaviour))


def _reviewed_labels(annotation: Annotation) -> list[Label]:
    labels = []
    for event in events_from_openlabel(annotation):
        if event["review"] == "confirmed":
            behaviour = event["relabel"] or event["behavior"]
        elif event["review"] == "rejected":
            behaviour = event["relabel"] or NORMAL_DRIVING
        else:
            continue
        labels.append(Label(behaviour, event["start_s"], event["end_s"], "reviewed"))
    return sorted(labels, key=lambda lab: (lab.start_s, lab.behaviour))


def write_session_openlabel(store, session_id: str, out_dir: str | Path) -> Path:
    """Write `openlabel.json` for a logged session into out_dir; frame numbers at the video's rate
    (the analysed rate when the video's is unknown)."""
    from dms.store.records import event_record, session_record, to_json

    record = store.session(session_id)
    session = session_record(record)
    source = record.info.get("source") or {}
    fps = float(source.get("fps") or record.info.get("analysed_fps") or Settings.analysis_fps)
    document = session_to_openlabel(session, [event_record(e) for e in store.events(session_id)], fps)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "openlabel.json"
    staging = path.with_suffix(".json.partial")
    staging.write_text(to_json(document, indent=1), encoding="utf-8")
    staging.replace(path)
    return path
