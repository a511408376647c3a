"""`euro-ncap` (the default): Euro NCAP driver state monitoring, with fleet-practice timings for
the activities Euro NCAP does not time.

Source: Euro NCAP Assessment Protocol - Safety Assist, Safe Driving (version 10.4, 2024),
section 3.5 "Driver State Monitoring": distraction (long distraction: eyes off the forward road
for 3 s or more; visual attention time-sharing: more than 10 s of glances away within 30 s),
fatigue (microsleep, sleep) and the unresponsive driver. The Euro NCAP 2026 Safe Driving
protocol weighs driver state monitoring at 25 points. The timings below are this rule set's own
(the one place they are written); a fleet that times alerts otherwise writes a rule set file with
`"base": "euro-ncap"` (dms/rules/user_file.py), or edits them in the app's settings dialog.
"""

from __future__ import annotations

from dms.rules.model import RuleSet, TimeSharing, Timing, Unresponsive

NAME = "euro-ncap"
SOURCE = (
    "Euro NCAP Assessment Protocol - Safety Assist, Safe Driving v10.4 (2024), 3.5 Driver State Monitoring"
)
DISTRACTION = "Euro NCAP Safe Driving 3.5, distraction: long distraction (eyes off road >= 3 s)"
TIME_SHARING = "Euro NCAP Safe Driving 3.5, distraction: visual attention time-sharing (> 10 s within 30 s)"
FATIGUE = "Euro NCAP Safe Driving 3.5, fatigue: microsleep / sleep"
UNRESPONSIVE = "Euro NCAP Safe Driving 3.5, unresponsive driver"
FLEET = "fleet practice (this project's default; Euro NCAP gives no time for this activity)"

CRITICAL_SPEED_KMH = 50.0  # fleet practice: phone use and looking back are critical at once from here


def _fleet(warning_s: float | None, critical_s: float | None = None, speed_critical: bool = False) -> Timing:
    return Timing(warning_s=warning_s, critical_s=critical_s, clause=FLEET,
                  critical_from_kmh=CRITICAL_SPEED_KMH if speed_critical else None)


# Warning and critical durations (s of the behaviour lasting); yawning and a hand at the mouth are
# logged only. Long distraction: eyes off road >= 3 s warns (Euro NCAP). Microsleep: eyes closed
# >= 1.5 s warns, >= 3 s is sleep (critical).
TIMINGS: dict[str, Timing] = {
    "phone": _fleet(2.0, 5.0, speed_critical=True),
    "smoking": _fleet(3.0),
    "drinking": _fleet(3.0),
    "looking_back": _fleet(1.5, 3.0, speed_critical=True),
    "console": _fleet(2.0, 4.0),
    "hands_off_wheel": _fleet(5.0, 10.0),
    "eyes_off_road": Timing(3.0, 6.0, rule="long_distraction", clause=DISTRACTION),
    "eyes_closed": Timing(1.5, 3.0, rule="microsleep", clause=FATIGUE),
}


def rule_set() -> RuleSet:
    return RuleSet(
        name=NAME,
        title="Euro NCAP driver state monitoring",
        source=SOURCE,
        timings=dict(TIMINGS),
        time_sharing=TimeSharing(10.0, 30.0, 2.0, TIME_SHARING),
        unresponsive=Unresponsive(6.0, 3.0, UNRESPONSIVE),
    )
