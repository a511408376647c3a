"""What every setting means, in one line, with its unit: the one owner of these texts.

The settings dialog shows them as tooltips (ui/settings_dialog.py) and `python main.py
--help-settings` prints them; a setting of dms.core.config (Settings, BehaviourRule, FusionWeights)
without a text here fails tests/test_settings_help.py. Each entry: (label, unit, explanation);
the unit is "" for a switch or a name.
"""

from __future__ import annotations

from dataclasses import fields

from dms.core.config import BehaviourRule, FusionWeights, Settings

SETTINGS: dict[str, tuple[str, str, str]] = {
    "analysis_fps": ("analysis rate", "frames/s", "frames of the video analysed per second; 0 = every frame"),
    "smoothing_s": ("score smoothing", "s", "time constant of the exponential smoothing of behaviour scores"),
    "rules": ("behaviour rules", "", "per behaviour: thresholds, minimum duration, gap and cool-down"),
    "fusion": ("fusion weights", "", "how strongly each landmark cue supports a behaviour"),
    "perclos_window_s": ("PERCLOS window", "s", "how much recent eye state PERCLOS (share of time with eyes "
                                                "closed) is measured over"),
    "perclos_min_s": ("PERCLOS minimum", "s", "PERCLOS is reported once this much eye state has been seen"),
    "perclos_warning": ("PERCLOS warning", "share 0-1",
                        "an eye closure is a drowsiness warning while PERCLOS is at or above this"),
    "yaw_looking_back_deg": ("looking back: head turn", "degrees",
                             "head turned this far from straight ahead counts as looking back"),
    "eye_closed_ratio": ("eyes closed: opening", "share of own baseline",
                         "eyes count as closed below this share of the driver's own open-eye opening"),
    "yawn_mouth_ratio": ("yawn: mouth opening", "height / width",
                         "inner-lip height over mouth width from which the mouth counts as wide open"),
    "eyes_down_pitch_deg": ("head down", "degrees",
                            "head pitched below this (negative = down) counts as looking down"),
    "unknown_hold_s": ("unseen cue hold", "s",
                       "a cue not seen for longer than this stops supporting its behaviour"),
    "camera_degraded_s": ("camera degraded after", "s",
                          "the driver not monitorable this long raises a 'driver not monitored' event"),
    "speed_gate_kmh": ("speed gate", "km/h",
                       "below this speed events are logged as stationary, never alerted"),
    "harsh_brake_ms2": ("harsh braking", "m/s²", "deceleration beyond this is marked as harsh braking"),
    "harsh_accel_ms2": ("harsh acceleration", "m/s²", "acceleration beyond this is marked as harsh"),
    "pre_roll_s": ("clip pre-roll", "s", "each event's clip starts this long before the event"),
    "post_roll_s": ("clip post-roll", "s", "each event's clip ends this long after the event"),
    "blur_faces": ("blur faces", "", "blur the driver's face in thumbnails and clips"),
    "sound": ("sound", "", "play an alert tone on warnings and critical alerts (GUI)"),
    "rule_set": ("rule set", "name or file",
                 "what events are judged by: euro-ncap, eu-addw, eu-ddaw or a rule set JSON file"),
}

RULE_FIELDS: dict[str, tuple[str, str, str]] = {
    "on": ("on", "score 0-1", "the smoothed score at which the behaviour starts being seen"),
    "off": ("off", "score 0-1", "the score below which it stops being seen (hysteresis)"),
    "min_s": ("minimum", "s", "shortest stretch kept as an event"),
    "gap_s": ("gap", "s", "a drop below 'off' shorter than this does not end the event"),
    "cooldown_s": ("cool-down", "s", "after an event ends, a new one is not announced before this"),
    "smooth_s": ("smoothing", "s", "this behaviour's own score smoothing (none = the general one)"),
}

# The rule set's alert timings (dms.rules.model: Timing and TimeSharing), which the settings dialog
# edits for the rule set in force.
TIMING_FIELDS: dict[str, tuple[str, str, str]] = {
    "warning_s": ("warning after", "s", "duration at which the event becomes a warning (none = never)"),
    "critical_s": ("critical after", "s", "duration at which it becomes critical (none = never)"),
    "critical_from_kmh": ("critical from", "km/h", "at or above this speed it is critical at once (none = "
                                                   "never)"),
}
SHARING_FIELDS: dict[str, tuple[str, str, str]] = {
    "total_s": ("time-sharing: total off road", "s",
                "visual time-sharing warns when glances away from the road add up to this"),
    "window_s": ("time-sharing: window", "s", "the sliding window over which those glances are added up"),
    "reset_s": ("time-sharing: look back to reset", "s",
                "a look back at the road this long clears the glance count"),
}

FUSION_FIELDS: dict[str, tuple[str, str, str]] = {
    "hand_at_ear_phone": ("hand at ear -> phone", "score 0-1",
                          "support a hand at the ear alone gives phone use"),
    "head_down_hands_off_phone": ("head down, hands off -> phone", "score 0-1",
                                  "support the head down with no hand on the wheel gives phone use"),
    "face_lost_looking_back": ("face lost, head turned -> looking back", "score 0-1",
                               "support a face lost with the head turned away gives looking back"),
    "hand_in_console": ("hand in console", "score 0-1", "support a hand in the console region gives "
                                                        "reaching to the console"),
    "cue_present": ("cue present", "0-1", "where a 0-1 cue counts as observed true"),
    "source_named": ("source named", "score 0-1", "support from which a source is named in an explanation"),
    "explained_by_classifier": ("explained by classifier", "probability 0-1",
                                "how sure the classifier must be of another behaviour to explain a cue away"),
}

_GROUPS = ((Settings, SETTINGS), (BehaviourRule, RULE_FIELDS), (FusionWeights, FUSION_FIELDS))


def missing() -> list[str]:
    """Fields of the settings dataclasses without a text here (should be none)."""
    return [f"{kind.__name__}.{f.name}"
            for kind, texts in _GROUPS for f in fields(kind) if f.name not in texts]


def tooltip(entry: tuple[str, str, str]) -> str:
    """One line: the explanation and, where there is one, the unit."""
    label, unit, text = entry
    return f"{text[0].upper()}{text[1:]}" + (f" ({unit})." if unit else ".")


def label(entry: tuple[str, str, str]) -> str:
    """The name shown next to the input, with its unit: "speed gate (km/h)"."""
    name, unit, _ = entry
    return f"{name} ({unit})" if unit else name


def _lines(texts: dict[str, tuple[str, str, str]], values: object) -> list[str]:
    lines = []
    for key, entry in texts.items():
        value = getattr(values, key)
        shown = "" if key in ("rules", "fusion") else f" = {value}"
        lines.append(f"  {key}{shown}: {entry[0]}")
        lines.append(f"      {tooltip(entry)}")
    return lines


def help_text() -> str:
    """Every setting, its key in a settings file, default, unit and meaning (`--help-settings`)."""
    return "\n".join([
        "Settings (a settings JSON file: --settings FILE; key = default: name):", "",
        *_lines(SETTINGS, Settings()), "",
        'Behaviour rules ("rules": {"phone": {"min_s": 1.0}, ...}); the defaults of a rule:', "",
        *_lines(RULE_FIELDS, BehaviourRule()), "",
        'Fusion weights ("fusion": {"cue_present": 0.5, ...}):', "",
        *_lines(FUSION_FIELDS, FusionWeights()), "",
        "When an event warns or is critical (durations, critical speeds, visual time-sharing) is the",
        "rule set's: --rules NAME|FILE (docs/rules.md), or the app's settings dialog.",
    ])
