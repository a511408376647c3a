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
    "camera_degraded": "camera could not see the driver",
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


def behaviour_words(behaviour: str | None) -> str:
    """The behaviour (or event kind) in words; an unknown id with its underscores as spaces."""
    if behaviour is None:
        return "no distraction"
    return BEHAVIOUR_WORDS.get(behaviour, behaviour.replace("_", " "))


def source_words(source: str) -> str:
    return SOURCE_WORDS.get(source, source.replace("_", " "))


def cause_words(cause: str) -> str:
    return CAUSE_WORDS.get(cause, cause.replace("_", " "))
