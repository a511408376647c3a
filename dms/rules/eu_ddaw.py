"""`eu-ddaw`: the EU Driver Drowsiness and Attention Warning.

Source: Commission Delegated Regulation (EU) 2021/1341 of 23 April 2021 (supplementing Regulation
(EU) 2019/2144), Annex I: the system is active automatically above 70 km/h ("DDAW system
control") and warns at a drowsiness equivalent to 8 or more on the Karolinska Sleepiness Scale.
This program cannot measure KSS: eye closures (microsleep, sleep) and PERCLOS stand in for it,
with the microsleep and sleep durations of `euro-ncap`. Only drowsiness is regulated: other
behaviours are logged, never alerted.
"""

from __future__ import annotations

from dms.rules.euro_ncap import TIMINGS as EURO_NCAP_TIMINGS
from dms.rules.model import RuleSet, Timing

NAME = "eu-ddaw"
SOURCE = "Commission Delegated Regulation (EU) 2021/1341 (DDAW), Annex I"
ACTIVATION = "EU 2021/1341 Annex I, DDAW system control: active above 70 km/h (warning at KSS >= 8)"


def rule_set() -> RuleSet:
    closed = EURO_NCAP_TIMINGS["eyes_closed"]
    return RuleSet(
        name=NAME,
        title="EU Driver Drowsiness and Attention Warning",
        source=SOURCE,
        timings={
            "eyes_closed": Timing(
                warning_s=closed.warning_s,
                critical_s=closed.critical_s,
                active_above_kmh=70.0,
                rule="microsleep",
                clause=ACTIVATION,
            )
        },
    )
