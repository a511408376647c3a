"""Issue 11, settings and profiles: every bad value is one `error:` line naming the file, the key and
the problem, exit 2, before any analysis and with nothing written; the same for --out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SHARED

import main

VIDEO = SHARED / "faults" / "base_day4.mp4"


def replay(tmp_path, capsys, *extra):
    out, db = tmp_path / "out", tmp_path / "db.sqlite"
    code = main.main(["replay", str(VIDEO), "--out", str(out), "--db", str(db), "--no-progress", *extra])
    err = capsys.readouterr().err.strip().splitlines()
    return code, err, out, db


def assert_refused(code, err, out, db, *words):
    assert code == 2
    lines = [line for line in err if line.startswith("error:")]
    assert len(lines) == 1 and lines == err[-1:], err
    for word in words:
        assert word in lines[0], (word, lines[0])
    assert not out.exists() and not db.exists()  # nothing analysed, nothing written


@pytest.mark.parametrize(
    ("settings", "key", "problem"),
    [
        ('{"analysis_fps": "fast"}', "analysis_fps", "must be a number"),
        ('{"analysis_fps": -1}', "analysis_fps", "out of range"),
        ('{"smoothing_s": NaN}', "smoothing_s", "finite"),
        ('{"speed_gate_kmh": Infinity}', "speed_gate_kmh", "finite"),
        ('{"perclos_warning": 1.5}', "perclos_warning", "out of range"),
        ('{"blur_faces": "yes"}', "blur_faces", "true or false"),
        ('{"vats_total_s": 40}', "vats_total_s", "belong to the rule set"),
        ('{"rules": {"eyes_off_road": {"on": 0.3, "off": 0.5}}}', "rules.eyes_off_road.off", "above on"),
        ('{"rules": {"phone": {"warning_s": 5, "critical_s": 2}}}', "rule phone", "belong to the rule set"),
        ('{"rules": {"phone": {"min_s": -1}}}', "rules.phone.min_s", "out of range"),
        ('{"rules": {"phne": {"min_s": 1}}}', "rules.phne", "unknown behaviour"),
        ('{"rules": {"phone": 3}}', "rules.phone", "must be an object"),
        ('{"rules": []}', "rules", "must be an object"),
        ('{"rule_set": ""}', "rule_set", "must be a rule set"),
        ('[1, 2]', "settings", "JSON object"),
    ],
)
def test_bad_settings_are_one_line_before_any_analysis(tmp_path, capsys, settings, key, problem):
    path = tmp_path / "settings.json"
    path.write_text(settings)
    code, err, out, db = replay(tmp_path, capsys, "--settings", str(path))
    assert_refused(code, err, out, db, str(path), key, problem)


@pytest.mark.parametrize(
    ("rules", "key", "problem"),
    [
        ('{"base": "euro-ncap", "time_sharing": {"total_s": 40, "window_s": 30, "reset_s": 2}}',
         "time_sharing.total_s", "exceeds window_s"),
        ('{"base": "euro-ncap", "timings": {"phone": {"warning_s": 5, "critical_s": 2}}}',
         "timings.phone.critical_s", "below warning_s"),
    ],
)
def test_bad_rule_set_timings_are_one_line_before_any_analysis(tmp_path, capsys, rules, key, problem):
    """The alert timings are the rule set's: their ordered pairs are checked where they are written."""
    path = tmp_path / "rules.json"
    path.write_text(rules)
    code, err, out, db = replay(tmp_path, capsys, "--rules", str(path))
    assert_refused(code, err, out, db, str(path), key, problem)


def profile_with(tmp_path, **changes):
    data = {
        "name": "test", "view": "frontal", "drive_side": "left",
        "wheel": [[0.08, 0.62], [0.92, 0.62], [0.98, 1.0], [0.02, 1.0]],
        "console": [[0.0, 0.75], [0.12, 0.75], [0.12, 1.0], [0.0, 1.0]],
        "road_yaw_deg": [-30.0, 30.0], "road_pitch_deg": [-20.0, 20.0],
    }
    data.update(changes)
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(data, allow_nan=True))
    return path


@pytest.mark.parametrize(
    ("changes", "key", "problem"),
    [
        ({"road_yaw_deg": [30.0, -30.0]}, "road_yaw_deg", "low (30) must be below high (-30)"),
        ({"road_pitch_deg": [-20.0]}, "road_pitch_deg", "two finite angles"),
        ({"road_pitch_deg": [float("nan"), 20.0]}, "road_pitch_deg", "two finite angles"),
        ({"wheel": []}, "wheel", "at least 3 points"),
        ({"console": [[0.0, float("inf")], [0.1, 0.8], [0.1, 1.0]]}, "console", "two finite numbers"),
        ({"wheel": "everywhere"}, "wheel", "list of [x, y] points"),
    ],
)
def test_bad_profiles_are_one_line_before_any_analysis(tmp_path, capsys, changes, key, problem):
    path = profile_with(tmp_path, **changes)
    code, err, out, db = replay(tmp_path, capsys, "--profile", str(path))
    assert_refused(code, err, out, db, str(path), key, problem)


@pytest.mark.parametrize(
    ("option", "value", "problem"),
    [
        ("--analysis-fps", "-3", "analysis_fps: -3.0 is out of range"),
        ("--analysis-fps", "nan", "analysis_fps: must be a finite number"),
        ("--telemetry-offset", "nan", "must be a finite number, not nan"),
        ("--image-fps", "inf", "must be a finite number, not inf"),
    ],
)
def test_bad_numbers_on_the_command_line_are_one_line_before_any_analysis(
    tmp_path, capsys, option, value, problem
):
    """Options are checked as a settings file is (a negative rate was analysed as 'every frame', a
    NaN offset put the whole log at 'nan..nan s')."""
    code, err, out, db = replay(tmp_path, capsys, option, value)
    assert_refused(code, err, out, db, f"error: {option}: ", problem)



@pytest.mark.parametrize("option", ["--telemetry-map", "--telemetry-offset"])
def test_a_telemetry_option_without_a_log_is_refused(tmp_path, capsys, option):
    """A telemetry map or offset without --telemetry applied to nothing and said nothing: a
    user who forgot the log believed the speeds were mapped."""
    value = str(Path(main.__file__).resolve().parent / "data" / "telemetry_map.example.json") \
        if option == "--telemetry-map" else "2.5"
    code, err, out, db = replay(tmp_path, capsys, option, value)
    assert_refused(code, err, out, db, f"error: {option}: given without --telemetry")

def test_out_naming_an_existing_file_is_refused_at_start(tmp_path, capsys):
    target = tmp_path / "report.html"
    target.write_text("an older report")
    db = tmp_path / "db.sqlite"
    code = main.main(["replay", str(VIDEO), "--out", str(target), "--db", str(db), "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and err[-1].startswith(f"error: {target}: --out names an existing file")
    assert target.read_text() == "an older report" and not db.exists()


def test_out_under_a_folder_that_takes_no_files_is_refused_at_start(tmp_path, capsys):
    target = "/proc/self/dms-report"  # /proc takes no new files, whoever runs the test (root too)
    db = tmp_path / "db.sqlite"
    code = main.main(["replay", str(VIDEO), "--out", target, "--db", str(db), "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and err[-1].startswith(f"error: {target}: --out folder is not writable")
    assert not db.exists()


def test_json_files_saved_with_a_byte_order_mark_are_read(tmp_path):
    """Windows Notepad saves UTF-8 with a BOM: settings, profiles, rule sets and telemetry maps
    written so read as the same file without it (it was refused: "Unexpected UTF-8 BOM")."""
    from dms.core.profile import CameraProfile
    from dms.core.settings_check import load_settings
    from dms.rules import load_rule_set
    from dms.telemetry.mapping import load_mapping

    def bom(name: str, data: dict):
        path = tmp_path / name
        path.write_bytes(b"\xef\xbb\xbf" + json.dumps(data).encode("utf-8"))
        return path

    assert load_settings(bom("settings.json", {"analysis_fps": 5})).analysis_fps == 5
    data = Path(main.__file__).resolve().parent / "data"
    profile = json.loads((data / "profile_side.json").read_text())
    assert CameraProfile.load(bom("profile.json", profile)).view == "side"
    rules = load_rule_set(str(bom("rules.json", {"name": "fleet-bom", "base": "euro-ncap"})))
    assert rules.name == "fleet-bom"
    mapping = json.loads((data / "telemetry_map.example.json").read_text())
    assert load_mapping(bom("map.json", mapping)) == load_mapping(data / "telemetry_map.example.json")
    from models.datasets.openlabel import read_openlabel

    dmd = SHARED / "annotations" / "dmd_gA_1_s1_rgb_ann_distraction.json"
    with_bom = tmp_path / "dmd_bom.json"
    with_bom.write_bytes(b"\xef\xbb\xbf" + dmd.read_bytes())
    assert read_openlabel(with_bom).actions == read_openlabel(dmd).actions
