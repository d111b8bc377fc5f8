"""SQLite storage for the bot: users, classifications, feedback and digest deliveries.

The schema is versioned and migrated on open. Nothing here imports `telegram`.
"""

from storage.database import Database, ForeignDatabaseError, check_database_file
from storage.records import (
    CLASSIFICATION_STATUSES,
    DELIVERY_KINDS,
    DELIVERY_STATUSES,
    FEEDBACK_VERDICTS,
    ClassificationRecord,
    DeliveryRecord,
    FeedbackRow,
    Subscriber,
)
from storage.schema import SCHEMA_VERSION
from storage.style_summary import PeriodStyle, StyleSummary
from storage.timestamps import utc_now
from storage.trend_summary import TrendRow, TrendSummary

__all__ = [
    "CLASSIFICATION_STATUSES",
    "DELIVERY_KINDS",
    "DELIVERY_STATUSES",
    "FEEDBACK_VERDICTS",
    "SCHEMA_VERSION",
    "ClassificationRecord",
    "Database",
    "DeliveryRecord",
    "FeedbackRow",
    "ForeignDatabaseError",
    "PeriodStyle",
    "StyleSummary",
    "Subscriber",
    "TrendRow",
    "TrendSummary",
    "check_database_file",
    "utc_now",
]
