"""Unusable logs and mapping files: each gives one InputError line naming the file and the problem."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import SHARED

from dms.core.errors import InputError
from dms.telemetry import load_track

LOGS = SHARED / "telemetry"
CAN = LOGS / "comma2k19_can_speed_steering.csv"


def _error(paths, **kwargs) -> str:
    with pytest.raises(InputError) as caught:
        load_track(paths, **kwargs)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.csv"
    assert _error([path]) == f"{path}: telemetry file not found"


def test_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    assert _error([path]) == f"{path}: empty file, no CSV header"


def test_header_without_rows(tmp_path):
    path = tmp_path / "header.csv"
    path.write_text("timestamp,speed_kmh\n")
    assert _error([path]) == f"{path}: no data rows under the header (columns seen: 'timestamp', 'speed_kmh')"


def test_binary_junk_is_not_a_csv(tmp_path):
    path = tmp_path / "junk.csv"
    path.write_bytes(bytes(range(256)) * 40)
    assert _error([path]) == f"{path}: binary data, not a CSV text file"
    picture = tmp_path / "photo.csv"
    shutil.copy(SHARED / "images" / "dmd" / "eyes_closed.jpg", picture)  # a real JPEG renamed
    assert _error([picture]) == f"{picture}: binary data, not a CSV text file"


def test_text_that_is_not_a_csv(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("This is a trip diary.\nWe drove to the coast and back; it rained.\n")
    message = _error([path])
    assert message.startswith(f"{path}: no time column")
    assert "'This is a trip diary.'" in message


def test_no_time_column_lists_the_columns(tmp_path):
    path = tmp_path / "notime.csv"
    path.write_text("speed_kmh,rpm\n10,900\n12,950\n")
    message = _error([path])
    assert message.startswith(f"{path}: no time column")
    assert "columns seen: 'speed_kmh', 'rpm'" in message
    assert "--telemetry-map" in message


def test_no_usable_signal_lists_the_columns(tmp_path):
    path = tmp_path / "engine.csv"
    path.write_text("timestamp,rpm,coolant_c\n1700000000,900,80\n1700000001,950,81\n")
    message = _error([path])
    assert message.startswith(f"{path}: no usable signal")
    assert "columns seen: 'timestamp', 'rpm', 'coolant_c'" in message


def test_signal_columns_with_only_missing_values(tmp_path):
    path = tmp_path / "dashes.csv"
    path.write_text("time_s,speed_kmh\n0,-\n1,-\n2,-\n")
    assert _error([path]).startswith(f"{path}: no usable signal")


def test_files_that_share_no_clock(tmp_path):
    other = tmp_path / "phone.csv"
    other.write_text("elapsed_time,speed_kmh\n0,10\n1,11\n2,12\n")
    message = _error([CAN, other])
    assert message.startswith(f"{other}: shares no clock with {CAN.name}")


def test_bad_mapping_files(tmp_path):
    mapping = tmp_path / "map.json"
    mapping.write_text("{not json")
    assert _error([CAN], mapping_path=mapping).startswith(f"{mapping}: telemetry map is not readable JSON")
    mapping.write_text(json.dumps({"signals": {"speed": {"column": "speed_mps", "unit": "furlongs"}}}))
    unknown_unit = f"{mapping}: unit 'furlongs' of 'speed' is not known"
    assert _error([CAN], mapping_path=mapping).startswith(unknown_unit)
    mapping.write_text(json.dumps({"signals": {"velocity": {"column": "speed_mps"}}}))
    assert _error([CAN], mapping_path=mapping).startswith(f"{mapping}: unknown signal 'velocity'")
    mapping.write_text(json.dumps({"time": {"column": "boot_time_s", "form": "stardate"}}))
    assert _error([CAN], mapping_path=mapping).startswith(f"{mapping}: time form 'stardate' is not one of")
    mapping.write_text(json.dumps({"signals": {"speed": {"column": "sped_mps"}}}))
    assert _error([CAN], mapping_path=mapping) == (
        f"{mapping}: mapped columns ['sped_mps'] are in none of the telemetry files"
    )
    absent = tmp_path / "absent.json"
    assert _error([CAN], mapping_path=absent) == f"{absent}: telemetry map not found"
    for rate in (True, "10", [10], 0):  # true was taken as 1 Hz
        mapping.write_text(json.dumps({"sample_rate_hz": rate}))
        said = _error([CAN], mapping_path=mapping)
        assert said.startswith(f"{mapping}: sample_rate_hz must be a positive number"), said


def test_mapped_time_column_that_is_not_time(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("when,speed_kmh\nmonday,10\ntuesday,12\n")
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"time": {"column": "when", "form": "iso8601"}}))
    assert _error([path], mapping_path=mapping) == f"{path}: time column 'when' cannot be read as iso8601"


def test_no_files_given():
    assert _error([]) == "--telemetry: no telemetry file given"
