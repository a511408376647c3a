"""Where the event log lives by default: the user's data directory, overridable for tests."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir

DB_ENV = "DMS_DB"


def default_db_path() -> Path:
    """`$DMS_DB` if set, else e.g. ~/.local/share/dms/dms.sqlite."""
    override = os.environ.get(DB_ENV)
    if override:
        return Path(override).expanduser()
    return Path(user_data_dir("dms", appauthor=False)) / "dms.sqlite"
