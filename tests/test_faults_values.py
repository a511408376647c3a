"""Issue 19, profiles and settings (faults/round3): a number or a pair of the wrong kind (text, true/false,
a list of the wrong length) is one `error:` line naming the file, the key and the problem, exit 2. The
keys are enumerated from the dataclasses, so a key added later is checked too."""

from __future__ import annotations

import json
from dataclasses import MISSING, fields

import pytest
from conftest import SHARED

import main
from dms.core.config import BehaviourRule, FusionWeights, Settings
from dms.core.errors import InputError
from dms.core.profile import PAIRS, WORDS, CameraProfile
from dms.core.settings_check import load_settings
from dms.rules import load_rule_set
from dms.rules.model import TimeSharing, Timing, Unresponsive

ROUND3 = SHARED / "faults" / "round3"
VIDEO = SHARED / "faults" / "base_day4.mp4"
GOOD_PROFILE = CameraProfile.load().to_dict()
# Values of the wrong kind for a pair of numbers, and for one number.
BAD_PAIRS = ["12", "-30, 30", True, 12.0, [], [12.0], [-30.0, 0.0, 30.0], ["-30", "30"], [True, 30.0],
             [None, 30.0], {"low": -30, "high": 30}]
BAD_NUMBERS = ["10", True, False, [10.0], [1.0, 2.0], None, {"value": 1}]
BAD_WORDS = [True, 1, ["left"], None, "sideways"]
BAD_POLYGONS = ["everywhere", True, 0.5, [[0.1, 0.2], [0.3, 0.4]],
                [["0.1", "0.2"], [0.3, 0.4], [0.3, 0.9]], [[True, 0.2], [0.3, 0.4], [0.3, 0.9]],
                [[0.1, 0.2, 0.3], [0.3, 0.4], [0.3, 0.9]], [[0.1], [0.3, 0.4], [0.3, 0.9]], [0.1, 0.2, 0.3]]


def test_the_handed_profile_with_a_pair_as_text_is_one_error_line(tmp_path, capsys):
    profile = ROUND3 / "road_yaw_string.json"
    out, db = tmp_path / "out", tmp_path / "db.sqlite"
    code = main.main(["replay", str(VIDEO), "--profile", str(profile), "--out", str(out), "--db", str(db),
                      "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert [line for line in err if line.startswith("error:")] == err[-1:]
    assert err[-1].startswith(f"error: {profile}: road_yaw_deg: must be two finite angles")
    assert '"12" (text)' in err[-1]
    assert not out.exists() and not db.exists()


def profile_problem(tmp_path, key, value) -> str:
    path = tmp_path / "profile.json"
    path.write_text(json.dumps({**GOOD_PROFILE, key: value}))
    with pytest.raises(InputError) as caught:
        CameraProfile.load(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: {key}: "), message
    assert "\n" not in message
    return message


def test_every_pair_of_the_profile_refuses_every_wrong_kind(tmp_path):
    assert set(PAIRS) == {f.name for f in fields(CameraProfile) if isinstance(f.default, tuple)}
    for key in PAIRS:
        for value in BAD_PAIRS:
            assert "must be two finite angles" in profile_problem(tmp_path, key, value), (key, value)


def test_every_polygon_and_word_of_the_profile_refuses_every_wrong_kind(tmp_path):
    required = [f.name for f in fields(CameraProfile) if f.default is MISSING]
    assert set(required) == {"name", "wheel", "console"}
    for key in ("wheel", "console"):
        for value in BAD_POLYGONS:
            profile_problem(tmp_path, key, value)
    assert set(WORDS) == {f.name for f in fields(CameraProfile) if isinstance(f.default, str)}
    for key, allowed in WORDS.items():
        for value in BAD_WORDS:
            assert " or ".join(repr(word) for word in allowed) in profile_problem(tmp_path, key, value)
    for value in (5, True, ["driver"]):
        assert "must be text" in profile_problem(tmp_path, "name", value)


def test_good_profiles_still_load_as_before(tmp_path):
    for path in (None, "data/profile_side.json"):
        profile = CameraProfile.load(path)
        again = tmp_path / "again.json"
        profile.save(again)
        assert CameraProfile.load(again) == profile
    assert CameraProfile.load().road_yaw_deg == (-30.0, 30.0)


def settings_problem(tmp_path, data: dict, key: str) -> str:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: "), message
    assert key in message and "\n" not in message, (key, message)
    return message


def bad_values(default: object) -> list:
    if isinstance(default, bool):
        return ["true", 1, 0, [True], None]
    if isinstance(default, str):
        return [5, True, ["euro-ncap"], None]
    return BAD_NUMBERS


def test_every_setting_refuses_every_wrong_kind(tmp_path):
    for f in fields(Settings):
        if f.name in ("rules", "fusion"):
            continue
        for value in bad_values(getattr(Settings(), f.name)):
            settings_problem(tmp_path, {f.name: value}, f.name)


def test_every_fusion_weight_and_rule_field_refuses_every_wrong_kind(tmp_path):
    for f in fields(FusionWeights):
        for value in BAD_NUMBERS:
            settings_problem(tmp_path, {"fusion": {f.name: value}}, f"fusion.{f.name}")
    for behaviour in Settings().rules:
        for f in fields(BehaviourRule):
            default = getattr(BehaviourRule(), f.name)
            nullable = f.name == "smooth_s"  # null: the general smoothing
            values = [v for v in bad_values(default) if not (v is None and nullable)]
            for value in values:
                key = f"rules.{behaviour}.{f.name}"
                settings_problem(tmp_path, {"rules": {behaviour: {f.name: value}}}, key)


def rule_set_problem(tmp_path, data: dict, key: str) -> str:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"base": "euro-ncap", **data}))
    with pytest.raises(InputError) as caught:
        load_rule_set(str(path))
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and key in message and "\n" not in message, (key, message)
    return message


def test_every_value_of_a_rule_set_file_refuses_every_wrong_kind(tmp_path):
    """A rule set file (--rules FILE, or the rules.json the settings dialog saves): every timing,
    time-sharing and unresponsive field and the zone, enumerated from the dataclasses (a timing given
    as text or a list raised a traceback; true was taken as 1 s)."""
    numbers = [v for v in BAD_NUMBERS if v is not None] + [-1.0]
    texts = [5, True, ["x"], None]
    for f in fields(Timing):
        key = f"timings.phone.{f.name}"
        if f.name == "bands":
            for value in ["20", True, [20.0, 6.0], [[20.0]], [["20", 6.0]], [[20.0, True]]]:
                rule_set_problem(tmp_path, {"timings": {"phone": {"warning_s": 2.0, "bands": value}}}, key)
            continue
        for value in texts if f.name in ("rule", "clause") else numbers:
            rule_set_problem(tmp_path, {"timings": {"phone": {"warning_s": 2.0, f.name: value}}}, key)
    for section, cls in (("time_sharing", TimeSharing), ("unresponsive", Unresponsive)):
        for f in fields(cls):
            for value in texts if f.name == "clause" else [*numbers, None]:
                rule_set_problem(tmp_path, {section: {f.name: value}}, f"{section}.{f.name}")
    for value in numbers:
        rule_set_problem(tmp_path, {"zone_yaw_deg": value}, "zone_yaw_deg")
    for key in ("name", "title", "source", "zone_clause", "base"):
        for value in [5, True, ["x"]]:
            rule_set_problem(tmp_path, {key: value}, key)
    rule_set_problem(tmp_path, {"timings": ["phone"]}, "timings")


def test_a_good_rule_set_file_still_loads(tmp_path):
    path = tmp_path / "fleet.json"
    path.write_text(json.dumps({"base": "euro-ncap", "name": "fleet", "zone_yaw_deg": 55,
                                "timings": {"phone": {"warning_s": 1, "critical_s": 3.0, "bands": [[20, 6]],
                                                      "clause": "policy 4.2"}},
                                "time_sharing": {"total_s": 8, "window_s": 30, "reset_s": 2},
                                "unresponsive": {"eyes_off_s": 6, "no_return_s": 3}}))
    rules = load_rule_set(str(path))
    phone = rules.timing("phone")
    assert (phone.warning_s, phone.critical_s, phone.bands[0].above_kmh, phone.clause) == (1.0, 3.0, 20.0,
                                                                                          "policy 4.2")
    assert rules.zone_yaw_deg == 55.0 and rules.time_sharing.total_s == 8.0 and rules.name == "fleet"
