"""Records database fixtures (both backends)."""

from tests.records.fixtures import clock, records, records_url, settings

__all__ = ["clock", "records", "records_url", "settings"]
