"""The event log: one SQLite file with sessions, events and timeline rows (DESIGN.md, "Files")."""

from dms.store.database import SCHEMA_VERSION, Store
from dms.store.paths import default_db_path
from dms.store.session_writer import SessionWriter

__all__ = ["SCHEMA_VERSION", "Store", "SessionWriter", "default_db_path"]
