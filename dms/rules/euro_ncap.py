"""`euro-ncap` (the default): Euro NCAP driver state monitoring, with fleet-practice timings for
the activities Euro NCAP does not time.

Source: Euro NCAP Assessment Protocol - Safety Assist, Safe Driving (version 10.4, 2024),
section 3.5 "Driver State Monitoring": distraction (long distraction: eyes off the forward road
for 3 s or more; visual attention time-sharing: more than 10 s of glances away within 30 s),
fatigue (microsleep, sleep) and the unresponsive driver. The Euro NCAP 2026 Safe Driving
protocol weighs driver state monitoring at 25 points. The numbers come from the settings, whose
defaults are these timings (`dms.core.config`), so a tuned setting is judged as tuned.
"""

from __future__ import annotations

from dms.core.config import Settings
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

# Behaviours timed by Euro NCAP itself, with their rule ids; the rest are fleet practice.
EURO_NCAP_RULES = {
    "eyes_off_road": ("long_distraction", DISTRACTION),
    "eyes_closed": ("microsleep", FATIGUE),
}


def rule_set(settings: Settings) -> RuleSet:
    timings = {}
    for behaviour, rule in settings.rules.items():
        if rule.warning_s is None and rule.critical_s is None:
            continue  # logged only (yawning, hand at mouth)
        rule_id, clause = EURO_NCAP_RULES.get(behaviour, ("", FLEET))
        timings[behaviour] = Timing(
            warning_s=rule.warning_s,
            critical_s=rule.critical_s,
            critical_from_kmh=settings.critical_speed_kmh if rule.speed_critical else None,
            rule=rule_id,
            clause=clause,
        )
    return RuleSet(
        name=NAME,
        title="Euro NCAP driver state monitoring",
        source=SOURCE,
        timings=timings,
        time_sharing=TimeSharing(
            settings.vats_total_s, settings.vats_window_s, settings.vats_reset_s, TIME_SHARING
        ),
        unresponsive=Unresponsive(6.0, 3.0, UNRESPONSIVE),
    )
