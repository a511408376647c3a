"""The settings dialog: every number and switch of dms.core.config.Settings, the rule set events are
judged by, the per-behaviour rules (detection thresholds from the settings; warning, critical and
critical-speed timings and visual time-sharing from the rule set in force, which the dialog edits),
and the classifier checkpoint. Built from the dataclass fields, so a new setting appears here
without changes. OK checks the edited settings with the command line's checker
(dms.core.settings_check) and the edited timings as a rule set file's are checked, and shows the
error in the dialog instead of closing, so bad settings are never saved."""

from __future__ import annotations

from dataclasses import fields, replace
from pathlib import Path

from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from dms.core.config import BehaviourRule, FusionWeights, Settings
from dms.core.errors import InputError
from dms.core.settings_check import RANGES, check_settings
from dms.core.settings_help import FUSION_FIELDS, SHARING_FIELDS, TIMING_FIELDS, label, tooltip
from dms.core.settings_help import RULE_FIELDS as RULE_TEXTS
from dms.core.settings_help import SETTINGS as SETTING_TEXTS
from dms.core.words import behaviour_words
from dms.rules import RULE_SET_NAMES, RuleSet, TimeSharing, Timing, load_rule_set

EDITED_CLAUSE = "set in the app's settings dialog"
# The table's columns: the settings' detection fields, then the rule set's timings (TIMING_FIELDS).
RULE_FIELDS = tuple(f.name for f in fields(BehaviourRule)) + tuple(TIMING_FIELDS)
COLUMN_TEXTS = {**RULE_TEXTS, **TIMING_FIELDS}
OPTIONAL_RULE_FIELDS = {f.name for f in fields(BehaviourRule) if "None" in str(f.type)}
BOOL_RULE_FIELDS = {f.name for f in fields(BehaviourRule) if str(f.type) in ("bool", "<class 'bool'>")}


def _row(form: QFormLayout, entry: tuple[str, str, str], widget) -> None:
    """A form row named in words with its unit; the explanation as the tooltip of both."""
    name = QLabel(label(entry))
    for w in (name, widget):
        w.setToolTip(tooltip(entry))
    form.addRow(name, widget)


class SettingsDialog(QDialog):
    """`settings()` and `rule_set()` give what was edited; `rules` is the rule set in force (None:
    the one `settings.rule_set` names)."""

    def __init__(self, settings: Settings, checkpoint: Path | None = None, parent=None,
                 rules: RuleSet | None = None):
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.base = settings
        self.shown_rules = rules or load_rule_set(settings.rule_set)
        self.inputs: dict[str, QDoubleSpinBox | QCheckBox] = {}
        general = QWidget()
        form = QFormLayout(general)
        for f in fields(Settings):
            value = getattr(settings, f.name)
            if isinstance(value, bool):
                box = QCheckBox()
                box.setChecked(value)
            elif isinstance(value, int | float):
                box = QDoubleSpinBox()
                low, high, _ = RANGES.get(f.name, (None, None, True))
                box.setRange(-1000.0 if low is None else low, 1000.0 if high is None else high)
                box.setDecimals(2)
                box.setSingleStep(0.05 if value <= 1 else 1.0)
                box.setValue(float(value))
            else:
                continue
            self.inputs[f.name] = box
            _row(form, SETTING_TEXTS[f.name], box)
        self.rules_box = QComboBox()
        self.rules_box.setEditable(True)  # a built-in name, or the path of a rule set JSON file
        self.rules_box.addItems(RULE_SET_NAMES)
        self.rules_box.setCurrentText(settings.rule_set)
        self.rules_box.setToolTip(tooltip(SETTING_TEXTS["rule_set"]) + (
            " euro-ncap: Euro NCAP driver state monitoring (timings below); eu-addw: EU 2023/2590 "
            "distraction warning; eu-ddaw: EU 2021/1341 drowsiness warning; a file: docs/rules.md."
        ))
        self.rules_box.currentTextChanged.connect(self._rule_set_chosen)
        browse_rules = QPushButton("File…")
        browse_rules.clicked.connect(self._browse_rules)
        rules_row = QHBoxLayout()
        rules_row.addWidget(self.rules_box, 1)
        rules_row.addWidget(browse_rules)
        form.addRow(label(SETTING_TEXTS["rule_set"]), rules_row)
        self.sharing_inputs: dict[str, QDoubleSpinBox] = {}
        for name in SHARING_FIELDS:
            box = QDoubleSpinBox()
            box.setRange(0.0, 1000.0)
            box.setDecimals(2)
            self.sharing_inputs[name] = box
            _row(form, SHARING_FIELDS[name], box)
        self.checkpoint_edit = QLineEdit(str(checkpoint) if checkpoint else "")
        self.checkpoint_edit.setPlaceholderText("empty: the shipped model (side-view profiles); none: off")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.checkpoint_edit, 1)
        row.addWidget(browse)
        form.addRow("classifier checkpoint", row)

        names = sorted(settings.rules)
        self.rules_table = QTableWidget(len(names), len(RULE_FIELDS))
        self.rules_table.setHorizontalHeaderLabels([label(COLUMN_TEXTS[n]) for n in RULE_FIELDS])
        for c, n in enumerate(RULE_FIELDS):
            self.rules_table.horizontalHeaderItem(c).setToolTip(tooltip(COLUMN_TEXTS[n]))
        self.rules_table.setVerticalHeaderLabels([behaviour_words(n) for n in names])
        for r, name in enumerate(names):
            rule = settings.rules[name]
            for c, field_name in enumerate(RULE_FIELDS):
                if field_name in TIMING_FIELDS:
                    continue
                value = getattr(rule, field_name)
                if field_name in BOOL_RULE_FIELDS:
                    item = QTableWidgetItem()
                    item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
                    item.setCheckState(Qt.Checked if value else Qt.Unchecked)
                else:
                    item = QTableWidgetItem("" if value is None else f"{value:g}")
                self.rules_table.setItem(r, c, item)
        self.rule_names = names
        self._show_timings(self.shown_rules)

        fusion = QWidget()
        fusion_form = QFormLayout(fusion)
        self.fusion_inputs: dict[str, QDoubleSpinBox] = {}
        for f in fields(FusionWeights):
            box = QDoubleSpinBox()
            box.setRange(0.0, 1.0)
            box.setDecimals(2)
            box.setSingleStep(0.05)
            box.setValue(float(getattr(settings.fusion, f.name)))
            self.fusion_inputs[f.name] = box
            _row(fusion_form, FUSION_FIELDS[f.name], box)

        tabs = QTabWidget()
        tabs.addTab(general, "General")
        tabs.addTab(self.rules_table, "Behaviour rules")
        tabs.addTab(fusion, "Fusion")
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        self.error_label = QLineEdit()
        self.error_label.setReadOnly(True)
        self.error_label.setFrame(False)
        layout = QVBoxLayout(self)
        layout.addWidget(tabs, 1)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)

    def settings(self) -> Settings:
        """The edited settings; ValueError names the rule cell that is not a number, the setting that
        dms.core.settings_check refuses (`key: problem`, as the command line says it), or the rule set
        that cannot be loaded."""
        values = {}
        for name, box in self.inputs.items():
            default = getattr(self.base, name)
            if isinstance(box, QCheckBox):
                values[name] = box.isChecked()
            else:
                values[name] = type(default)(box.value())
        rules = {}
        for r, name in enumerate(self.rule_names):
            cells = {}
            for c, field_name in enumerate(RULE_FIELDS):
                if field_name in TIMING_FIELDS:
                    continue
                item = self.rules_table.item(r, c)
                if field_name in BOOL_RULE_FIELDS:
                    cells[field_name] = item.checkState() == Qt.Checked
                    continue
                text = item.text().strip()
                if not text and field_name in OPTIONAL_RULE_FIELDS:
                    cells[field_name] = None
                    continue
                try:
                    cells[field_name] = float(text)
                except ValueError:
                    where = f"{behaviour_words(name)} / {label(RULE_TEXTS[field_name])}"
                    raise ValueError(f"{where}: {text!r} is not a number") from None
            rules[name] = BehaviourRule(**cells)
        fusion = FusionWeights(**{name: box.value() for name, box in self.fusion_inputs.items()})
        rule_set = self.rules_box.currentText().strip()
        settings = replace(self.base, rules=rules, fusion=fusion, rule_set=rule_set, **values)
        try:
            check_settings(settings, "settings")
        except InputError as exc:
            raise ValueError(exc.problem) from None
        try:
            load_rule_set(settings.rule_set)
        except InputError as exc:
            raise ValueError(f"rule set: {exc}") from None
        return settings

    def rule_set(self) -> RuleSet:
        """The rule set in force with the timings as edited (the one chosen above when it was
        changed); ValueError names the cell or box that is not sound, as a rule set file's check
        would. Unchanged, it is the rule set as loaded."""
        base = self.shown_rules
        timings = dict(base.timings)
        for r, name in enumerate(self.rule_names):
            cells = {f: self._timing_cell(r, name, f) for f in TIMING_FIELDS}
            old = base.timing(name)
            if old is None and all(v is None for v in cells.values()):
                continue
            timing = replace(old or Timing(None, clause=EDITED_CLAUSE), **cells)
            if timing.warning_s is not None and timing.critical_s is not None \
                    and timing.critical_s < timing.warning_s:
                raise ValueError(f"{behaviour_words(name)} / critical after: {timing.critical_s:g} s is "
                                 f"below the warning's {timing.warning_s:g} s")
            if timing.warning_s is None and timing.critical_s is None and not timing.needs_speed:
                timings.pop(name, None)  # logged only
            else:
                timings[name] = timing
        sharing = base.time_sharing
        if sharing is not None:
            sharing = replace(sharing, **{f: box.value() for f, box in self.sharing_inputs.items()})
            if sharing.total_s > sharing.window_s:
                raise ValueError(f"time-sharing: total off road {sharing.total_s:g} s exceeds its window "
                                 f"({sharing.window_s:g} s); it can never be reached")
        edited = replace(base, timings=timings, time_sharing=sharing)
        return base if edited == base else edited

    def _timing_cell(self, row: int, behaviour: str, field_name: str) -> float | None:
        text = self.rules_table.item(row, RULE_FIELDS.index(field_name)).text().strip()
        where = f"{behaviour_words(behaviour)} / {label(TIMING_FIELDS[field_name])}"
        if not text:
            return None
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{where}: {text!r} is not a number") from None
        if value < 0:
            raise ValueError(f"{where}: {value:g} must not be negative")
        return value

    def _show_timings(self, rules: RuleSet) -> None:
        """Fill the timing cells and the time-sharing boxes from `rules` (empty: none)."""
        self.shown_rules = rules
        for r, name in enumerate(self.rule_names):
            timing = rules.timing(name)
            for field_name in TIMING_FIELDS:
                value = getattr(timing, field_name) if timing is not None else None
                item = QTableWidgetItem("" if value is None else f"{value:g}")
                self.rules_table.setItem(r, RULE_FIELDS.index(field_name), item)
        sharing = rules.time_sharing or TimeSharing()
        for name, box in self.sharing_inputs.items():
            box.setValue(float(getattr(sharing, name)))
            box.setEnabled(rules.time_sharing is not None)

    def _rule_set_chosen(self, name: str) -> None:
        """Another rule set chosen: its own timings are shown (a bad name is said on OK)."""
        try:
            self._show_timings(load_rule_set(name.strip()))
        except InputError:
            return

    def checkpoint(self) -> Path | None:
        text = self.checkpoint_edit.text().strip()
        return Path(text) if text else None

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Classifier checkpoint", "", "Checkpoints (*.pth *.pt *.onnx *.pdparams)"
        )
        if path:
            self.checkpoint_edit.setText(path)

    def _browse_rules(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Rule set", "", "Rule sets (*.json)")
        if path:
            self.rules_box.setCurrentText(path)

    def _accept(self) -> None:
        try:
            self.settings()
            self.rule_set()
        except ValueError as exc:
            self.error_label.setText(str(exc))
            return
        checkpoint = self.checkpoint()
        if checkpoint is not None and str(checkpoint).lower() != "none" and not checkpoint.is_file():
            self.error_label.setText(f"classifier checkpoint: {checkpoint}: no such file")
            return
        self.accept()
