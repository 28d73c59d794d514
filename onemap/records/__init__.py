"""The application records database (业务记录库): accounts, sessions and the audit trail.

The layer store (:mod:`onemap.store`) keeps spatial data; this database keeps who may do what and
who did what. It is SQLite for an embedded node and PostgreSQL in production, with one schema
defined by SQLAlchemy Core tables and created by alembic migrations shipped in this package.
"""

from onemap.records.database import APP_ROLE, default_records_url, migrate, open_records, parse_records_url
from onemap.records.tables import audit_anchors, audit_log, grants, metadata, sessions, user_roles, users

__all__ = ["APP_ROLE", "audit_anchors", "audit_log", "default_records_url", "grants", "metadata", "migrate",
           "open_records", "parse_records_url", "sessions", "user_roles", "users"]
