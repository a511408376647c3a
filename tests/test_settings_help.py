"""Every setting has a one-line explanation with its unit, from one owner (dms/core/settings_help.py):
the settings dialog's tooltips and `main.py --help-settings` show the same texts."""

from __future__ import annotations

import os
from dataclasses import fields

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PyQt5.QtWidgets import QFormLayout, QLabel  # noqa: E402

import main  # noqa: E402
from dms.core.config import BehaviourRule, FusionWeights, Settings  # noqa: E402
from dms.core.settings_help import (  # noqa: E402
    FUSION_FIELDS,
    RULE_FIELDS,
    SETTINGS,
    SHARING_FIELDS,
    label,
    missing,
    tooltip,
)
from ui.settings_dialog import SettingsDialog  # noqa: E402


def test_every_setting_has_a_text_and_a_unit_where_it_has_one():
    assert missing() == []
    for texts in (SETTINGS, RULE_FIELDS, FUSION_FIELDS):
        for key, (name, _unit, text) in texts.items():
            assert name and text and "_" not in name, key
    assert label(SETTINGS["speed_gate_kmh"]) == "speed gate (km/h)"
    assert tooltip(SHARING_FIELDS["total_s"]) == (
        "Visual time-sharing warns when glances away from the road add up to this (s).")
    assert SETTINGS["harsh_brake_ms2"][1] == "m/s²" and RULE_FIELDS["on"][1] == "score 0-1"


def test_help_settings_prints_every_key_its_default_and_meaning(capsys):
    assert main.main(["--help-settings"]) == 0
    out = capsys.readouterr().out
    for kind, texts in ((Settings, SETTINGS), (BehaviourRule, RULE_FIELDS), (FusionWeights, FUSION_FIELDS)):
        for f in fields(kind):
            assert f"  {f.name}" in out and tooltip(texts[f.name]) in out, f.name
    assert ("  harsh_brake_ms2 = 3.5: harsh braking\n"
            "      Deceleration beyond this is marked as harsh braking (m/s²).") in out


def test_help_settings_after_a_command_prints_the_same(capsys):
    """`replay --help-settings` was refused ("the following arguments are required: video")."""
    assert main.main(["--help-settings"]) == 0
    expected = capsys.readouterr().out
    for argv in (["replay", "--help-settings"], ["batch", "drives/", "--help-settings"]):
        assert main.main(argv) == 0
        assert capsys.readouterr().out == expected


def test_the_dialog_names_each_setting_in_words_with_its_unit_and_explains_it(qtbot):
    dialog = SettingsDialog(Settings(), None)
    qtbot.addWidget(dialog)
    for name, box in dialog.inputs.items():
        assert box.toolTip() == tooltip(SETTINGS[name]), name
        form = box.parentWidget().layout()
        assert isinstance(form, QFormLayout)
        row, _ = form.getWidgetPosition(box)
        shown = form.itemAt(row, QFormLayout.LabelRole).widget()
        assert isinstance(shown, QLabel) and shown.text() == label(SETTINGS[name])
    assert [label(SHARING_FIELDS["total_s"]), label(SETTINGS["harsh_brake_ms2"])] == [
        "time-sharing: total off road (s)", "harsh braking (m/s²)"]
    table = dialog.rules_table
    for c, name in enumerate(f.name for f in fields(BehaviourRule)):
        assert table.horizontalHeaderItem(c).toolTip() == tooltip(RULE_FIELDS[name])
    assert table.verticalHeaderItem(dialog.rule_names.index("eyes_off_road")).text() == "eyes off the road"
    for name, box in dialog.fusion_inputs.items():
        assert box.toolTip() == tooltip(FUSION_FIELDS[name]), name
