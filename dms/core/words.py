"""The words a person reads for the engine's ids: behaviours, evidence sources and alert causes.

One owner for these texts: the explanations (dms/rules/explain.py), the reports (dms/report) and
the GUI read them from here, so an id such as `eyes_off_road` or `head_down_hands_off` never
reaches a reader as it is spelled in the code.
"""

from __future__ import annotations

# Every event kind (dms.core.types.EVENT_KINDS) in words.
BEHAVIOUR_WORDS = {
    "phone": "phone use",
    "smoking": "smoking",
    "drinking": "drinking or eating",
    "looking_back": "looking back",
    "console": "reaching to the console",
    "hands_off_wheel": "hands off the wheel",
    "eyes_off_road": "eyes off the road",
    "eyes_closed": "eyes closed",
    "yawning": "yawning",
    "hand_at_mouth": "hand at the mouth",
    "unresponsive": "unresponsive driver",
    "camera_degraded": "driver not monitored",
    "normal_driving": "normal driving",
}

# What each fusion source means (dms/fusion/scores.py), in a reviewer's words.
SOURCE_WORDS = {
    "head_pose": "the head pose outside the road zone",
    "eyes_down": "eyes down (head pitched down, lids looking closed)",
    "face_lost": "the face lost with the head turned away (ears, nose and shoulders)",
    "head_yaw": "the head turned far to the side",
    "hands_on_wheel": "no hand seen on the wheel",
    "hand_at_ear": "a hand at the ear",
    "head_down_hands_off": "the head down with no hand on the wheel",
    "classifier": "the video classifier",
    "phone_at_ear": "a phone seen at the ear (object detector)",
    "phone_in_hand": "a phone seen in the hand (object detector)",
    "cigarette_at_mouth": "a cigarette seen at the mouth (object detector)",
    "cigarette_in_hand": "a cigarette seen in the hand (object detector)",
    "hand_in_console": "a hand in the console region",
    "hand_at_mouth": "a hand at the mouth",
    "eyes_closed": "closed eyes (eye opening below the driver's own baseline)",
    "mouth_open": "a wide-open mouth",
}

# What was looked for and not seen, so a cue stayed unexplained (dms.fusion.scores.NOT_SEEN).
NOT_SEEN_WORDS = {
    "no_phone_seen": "no phone was seen",
    "no_cigarette_seen": "no cigarette was seen (object detector)",
    "no_cup_seen": "no cup or food was seen (video classifier)",
}

# What made an event a warning or critical (evidence `warning_by` / `critical_by`).
CAUSE_WORDS = {
    "timer": "the duration timer",
    "speed_band": "the duration timer of a speed band",
    "critical_speed": "the vehicle's speed",
    "perclos": "PERCLOS (drowsiness)",
    "time_sharing": "visual time-sharing",
    "unresponsive_eyes_off": "eyes off the road or closed without a break",
    "unresponsive_no_return": "no return of the gaze after a warning",
}


# How a telemetry log's time column counts (dms.telemetry.timebase forms), in words.
TIME_FORM_WORDS = {
    "epoch_s": "seconds since 1970, UTC",
    "epoch_ms": "milliseconds since 1970, UTC",
    "epoch_us": "microseconds since 1970, UTC",
    "epoch_ns": "nanoseconds since 1970, UTC",
    "seconds_from_start": "seconds from the log's start",
    "seconds_from_boot": "seconds from the logger's boot",
    "ms_from_start": "milliseconds from the log's start",
    "nmea_hhmmss": "GPS time of day, hhmmss",
    "device_time": "the logging device's date and time",
    "android_time": "Android date and time with its time zone",
    "iso8601": "ISO 8601 date and time",
    "wall clock (UTC)": "date and time, UTC",
}


def behaviour_words(behaviour: str | None) -> str:
    """The behaviour (or event kind) in words; an unknown id with its underscores as spaces."""
    if behaviour is None:
        return "no distraction"
    return BEHAVIOUR_WORDS.get(behaviour, behaviour.replace("_", " "))


def source_words(source: str) -> str:
    return SOURCE_WORDS.get(source, source.replace("_", " "))


def cause_words(cause: str) -> str:
    return CAUSE_WORDS.get(cause, cause.replace("_", " "))


def alerted(severity: str | None, stationary: bool | None) -> bool:
    """Did the event alert the driver (a warning or critical, not logged as stationary)?"""
    return severity in ("warning", "critical") and not stationary


def alert_heading(event) -> str:
    """The heading over an event's explanation: "Why it alerted" only on an event that alerted.
    `event`: a dms.core.types.Event (or anything with `severity` and `stationary`)."""
    return "Why it alerted" if alerted(event.severity, event.stationary) else "Logged without an alert"


# What an event's rule id (evidence `rule`) means.
RULE_WORDS = {
    "microsleep": "microsleep (eyes closed 0.5 s or more)",
    "sleep": "sleep (eyes closed 3 s or more)",
    "long_distraction": "long distraction",
    "addw_distraction": "driver distraction warning (EU ADDW)",
    "visual_time_sharing": "visual time-sharing",
    "unresponsive_driver": "unresponsive driver",
    "camera_degraded": "driver not monitored",
}

# Evidence keys shown elsewhere (the explanation, its clause, the rule set in the summary).
SHOWN_ELSEWHERE = ("why", "clause", "rule_set")


def _time(value: object) -> str:
    return f"{value:.2f} s" if isinstance(value, int | float) else str(value)


def _shares(shares: dict, words=lambda k: str(k).replace("_", " "), of: str = "of frames") -> str:
    return ", ".join(
        f"{words(k)} {100 * v:.0f}% {of}" if isinstance(v, int | float) else f"{words(k)} {v}"
        for k, v in shares.items()
    )


def _plain(value: object) -> str:
    """Any other evidence value in words: lists joined, dicts as "key value" pairs, never JSON."""
    if isinstance(value, dict):
        return ", ".join(f"{str(k).replace('_', ' ')} {_plain(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def evidence_rows(evidence: dict) -> list[tuple[str, str]]:
    """An event's evidence as (what, value) rows a person reads: no keys as spelled in the code,
    no JSON. The explanation (`why`), its clause and the rule set are shown elsewhere."""
    evidence = evidence or {}
    rows: list[tuple[str, str]] = []
    for key, value in evidence.items():
        if key in SHOWN_ELSEWHERE or key in ("warning_by", "critical_by"):
            continue
        if key == "sources" and isinstance(value, dict):
            rows.append(("Supported by", _shares(value, source_words)))
        elif key == "frames":
            rows.append(("Analysed frames", str(value)))
        elif key == "rule":
            rows.append(("Rule", RULE_WORDS.get(str(value), str(value).replace("_", " "))))
        elif key in ("warning_at_s", "critical_at_s"):
            severity = key.removesuffix("_at_s")
            cause = evidence.get(f"{severity}_by")
            by = f", by {cause_words(cause)}" if cause else ""
            rows.append((f"{severity.capitalize()} at", f"{_time(value)}{by}"))
        elif key == "perclos":
            rows.append(("PERCLOS at the event's end", f"{value} (share of time with the eyes closed)"))
        elif key == "perclos_eyes_seen_s":
            rows.append(("Eyes seen in the PERCLOS window at the event's end", _time(value)))
        elif key == "off_road_s":
            rows.append(("Eyes off the road in the window", _time(value)))
        elif key == "thumbnail_s":
            rows.append(("Thumbnail", f"the frame at {_time(value)}"))
        elif key == "reason":
            rows.append(("Why not monitored", str(value)))
        elif key == "conditions" and isinstance(value, dict):
            rows.append(("Conditions", _shares(value, of="of the time")))
        else:
            rows.append((key.replace("_", " ").capitalize(), _plain(value)))
    return rows


def time_form_words(form: str | None) -> str:
    """How a telemetry time column counts, in words (an unknown form with its underscores as spaces)."""
    if not form:
        return "unknown"
    return TIME_FORM_WORDS.get(form, form.replace("_", " "))


def clock_words(clock: str | None) -> str:
    """A telemetry log's clock as dms.telemetry describes it ("COLUMN (FORM)", or the wall clock)
    in words: "column time_s, seconds from the log's start"."""
    if not clock:
        return "unknown"
    if clock in TIME_FORM_WORDS:
        return TIME_FORM_WORDS[clock]
    column, paren, form = clock.rpartition(" (")
    if paren and form.endswith(")"):
        return f"column {column}, {time_form_words(form[:-1])}"
    return clock
