"""Rule sets: what a drive is judged by (`--rules NAME|FILE`, the settings dialog, each session).

`load_rule_set(name_or_path)` gives a `RuleSet`: `euro-ncap` (default), `eu-addw`,
`eu-ddaw`, or a user JSON file (dms/rules/user_file.py). See docs/rules.md.
"""

from __future__ import annotations

from pathlib import Path

from dms.core.errors import InputError
from dms.rules import eu_addw, eu_ddaw, euro_ncap
from dms.rules.model import RuleSet, SpeedBand, TimeSharing, Timing, Unresponsive
from dms.rules.user_file import load_user_rule_set, save_rule_set

DEFAULT_RULE_SET = euro_ncap.NAME
BUILT_IN = {module.NAME: module.rule_set for module in (euro_ncap, eu_addw, eu_ddaw)}
RULE_SET_NAMES: tuple[str, ...] = tuple(BUILT_IN)

__all__ = [
    "DEFAULT_RULE_SET",
    "RULE_SET_NAMES",
    "RuleSet",
    "SpeedBand",
    "TimeSharing",
    "Timing",
    "Unresponsive",
    "load_rule_set",
    "save_rule_set",
]


def load_rule_set(name: str | Path | None) -> RuleSet:
    """A built-in rule set by name (None: the default), or a user's JSON file (a path ending in
    .json). Raises InputError naming the rule set when it is neither."""
    name = str(name or DEFAULT_RULE_SET)
    if name in BUILT_IN:
        return BUILT_IN[name]()
    if name.lower().endswith(".json") or Path(name).is_file():
        return load_user_rule_set(name, lambda base: _built_in(base, name))
    raise InputError(name, f"unknown rule set (built in: {', '.join(RULE_SET_NAMES)}; or a JSON file)")


def _built_in(base: str, path: str) -> RuleSet:
    if base not in BUILT_IN:
        raise InputError(path, f"base {base!r} is not a built-in rule set ({', '.join(RULE_SET_NAMES)})")
    return BUILT_IN[base]()
