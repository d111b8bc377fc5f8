"""SQLite storage for the bot: users and classifications, with versioned migrations."""

from storage.database import SCHEMA_VERSION, ClassificationRecord, Database, utc_now

__all__ = ["SCHEMA_VERSION", "ClassificationRecord", "Database", "utc_now"]
