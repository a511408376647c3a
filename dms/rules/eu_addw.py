"""`eu-addw`: the EU Advanced Driver Distraction Warning (mandatory for new types from July 2024
and for every new vehicle from July 2026).

Source: Commission Delegated Regulation (EU) 2023/2590 of 13 July 2023 (supplementing Regulation
(EU) 2019/2144), Annex I Part 1. Its warning triggers (point 3.3.2): a distraction lasting 6 s
at speeds from 20 to 50 km/h, 3.5 s above 50 km/h. Its distraction zone (point 1, definitions):
beyond the vertical planes rotated 55 degrees left and right of the driver's straight-ahead view.
Only gaze distraction is regulated: other behaviours are logged, never alerted.
Head pose stands in for gaze here (docs/perception.md).
"""

from __future__ import annotations

from dms.rules.model import RuleSet, SpeedBand, Timing

NAME = "eu-addw"
SOURCE = "Commission Delegated Regulation (EU) 2023/2590 (ADDW), Annex I Part 1"
TRIGGERS = "EU 2023/2590 Annex I Part 1, 3.3.2 warning triggers (20-50 km/h: 6 s; above 50 km/h: 3.5 s)"
ZONE = "EU 2023/2590 Annex I Part 1, 1 definitions: distraction zone beyond +/-55 degrees"
BANDS = (SpeedBand(20.0, 6.0), SpeedBand(50.0, 3.5))
GAZE_BEHAVIOURS = ("eyes_off_road", "looking_back")


def rule_set() -> RuleSet:
    timing = Timing(
        warning_s=None, bands=BANDS, active_above_kmh=20.0, rule="addw_distraction", clause=TRIGGERS
    )
    return RuleSet(
        name=NAME,
        title="EU Advanced Driver Distraction Warning",
        source=SOURCE,
        timings=dict.fromkeys(GAZE_BEHAVIOURS, timing),
        zone_yaw_deg=55.0,
        zone_clause=ZONE,
    )
