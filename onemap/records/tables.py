"""The application records tables (SQLAlchemy Core): accounts, sessions and the audit trail.

These definitions are what the code queries; the alembic scripts in ``migrations/versions`` are what
creates them. ``tests/records`` checks that the two never drift apart.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)

metadata = MetaData()


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python, whatever the database keeps.

    SQLite has no time zone type, so values are stored there as naive UTC and made aware on reading.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert to UTC (naive values are taken as UTC); strip the zone for SQLite."""
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return an aware UTC datetime."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(100), nullable=False, server_default=""),
    Column("password_hash", Text, nullable=False),
    # NULL: the password was set by an administrator and must be changed at the next sign-in.
    Column("password_changed_at", UTCDateTime),
    Column("region_code", String(12), nullable=False, server_default=""),
    Column("clearance", String(8), nullable=False),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("failed_logins", Integer, nullable=False, server_default="0"),
    Column("locked_until", UTCDateTime),
    Column("totp_secret", String(64)),
    Column("totp_enabled", Boolean, nullable=False, server_default="0"),
    Column("totp_last_step", Integer),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_login_at", UTCDateTime),
)

user_roles = Table(
    "user_roles", metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("role", String(32), primary_key=True),
)

# Grants to one account beyond its roles, e.g. ``layer:export`` on the object ``DLTB``.
grants = Table(
    "grants", metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("action", String(64), primary_key=True),
    Column("object", String(128), primary_key=True),
)

sessions = Table(
    "sessions", metadata,
    # sha256 of the random session id carried in the token: a copy of this table cannot sign anyone in.
    Column("id", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    Column("ip", String(64), nullable=False, server_default=""),
    Column("user_agent", String(256), nullable=False, server_default=""),
)

# 全过程留痕: append-only and hash-chained (see onemap.security.audit).
audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("username", String(64), nullable=False),
    Column("ip", String(64), nullable=False),
    Column("action", String(64), nullable=False, index=True),
    Column("object", Text, nullable=False),
    Column("result", String(16), nullable=False),
    Column("detail", Text),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    # One successor per row: two writers racing for the same predecessor can never fork the chain.
    UniqueConstraint("prev_hash", name="uq_audit_log_prev_hash"),
)

# Where verification starts after older rows were archived and purged by a DBA.
audit_anchors = Table(
    "audit_anchors", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("first_id", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
    Column("note", Text, nullable=False, server_default=""),
)

# Signed heads of the audit chain (onemap.security.audit_chain): a truncation of the newest rows shows.
audit_checkpoints = Table(
    "audit_checkpoints", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("row_id", Integer, nullable=False),
    Column("count", Integer, nullable=False),
    Column("head_hash", String(64), nullable=False),
    Column("keyed_from", Integer, nullable=False),
    Column("key_id", String(16), nullable=False),
    Column("mac", String(64), nullable=False),
)

# OGC API Processes jobs (onemap.services.processes): one row per execution, kept across restarts.
jobs = Table(
    "jobs", metadata,
    Column("id", String(36), primary_key=True),  # uuid4 text
    Column("process", String(64), nullable=False),
    Column("status", String(16), nullable=False, index=True),  # accepted|running|successful|failed|dismissed
    Column("progress", Integer, nullable=False, server_default="0"),
    Column("message", Text, nullable=False, server_default=""),
    Column("inputs", Text, nullable=False),  # JSON
    Column("outputs", Text),  # JSON
    Column("owner", String(64), nullable=False, index=True),
    Column("created", UTCDateTime, nullable=False),
    Column("started", UTCDateTime),
    Column("finished", UTCDateTime),
    Column("updated", UTCDateTime, nullable=False),
)

# 项目合规性审查 (onemap.review.compliance.records): a project by its id, every review run, and its history
# (the reviews plus the feedback other systems post: 审批、登记、执法).
projects = Table(
    "projects", metadata,
    Column("id", String(64), primary_key=True),  # 项目编号
    Column("name", String(200), nullable=False, server_default=""),
    Column("region", String(12), nullable=False, server_default=""),  # 行政区划代码 the project lies in
    Column("created", UTCDateTime, nullable=False),
    Column("updated", UTCDateTime, nullable=False),
    Column("latest_result_id", Integer),
)

project_results = Table(
    "project_results", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", String(64), ForeignKey("projects.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created", UTCDateTime, nullable=False),
    Column("result", String(8), nullable=False),  # 符合|需说明|不符合|无效几何
    Column("security_level", String(8), nullable=False),  # the highest level of the layers read
    Column("store_version", Text, nullable=False),
    Column("source", String(16), nullable=False),  # cli|api|batch
    Column("actor", String(64), nullable=False),
    Column("job_id", String(36)),
    Column("boundary", Text, nullable=False),  # GeoJSON FeatureCollection in the boundary CRS
    Column("document", Text, nullable=False),  # result.json
    Column("report_dir", Text),  # where report.pdf/report.docx were written (else rendered on demand)
)

project_events = Table(
    "project_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", String(64), ForeignKey("projects.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("at", UTCDateTime, nullable=False),
    Column("kind", String(16), nullable=False),  # 审查|审批|登记|执法
    Column("result", String(64), nullable=False),
    Column("event_date", Date),  # the date of the decision (feedback)
    Column("document_number", String(100), nullable=False, server_default=""),  # 文号
    Column("note", Text, nullable=False, server_default=""),
    Column("actor", String(64), nullable=False),
    Column("result_id", Integer, ForeignKey("project_results.id", ondelete="CASCADE")),
)

# 专题图模板 (onemap.cartography.tasklog): an owner's templates, optionally shared with every map maker.
map_templates = Table(
    "map_templates", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    Column("owner", String(64), nullable=False, index=True),
    Column("shared", Boolean, nullable=False, server_default="0"),
    Column("body", Text, nullable=False),  # the template JSON
    Column("created", UTCDateTime, nullable=False),
    Column("updated", UTCDateTime, nullable=False),
)

# 制图任务日志: every run of a template, with the template as it was, so that any run can be re-run.
map_runs = Table(
    "map_runs", metadata,
    Column("id", String(36), primary_key=True),  # uuid4 text
    Column("template_id", Integer, ForeignKey("map_templates.id", ondelete="SET NULL")),
    Column("owner", String(64), nullable=False, index=True),
    Column("created", UTCDateTime, nullable=False),
    Column("finished", UTCDateTime),
    Column("status", String(16), nullable=False),  # running|successful|failed
    Column("template", Text, nullable=False),  # JSON snapshot
    Column("region", String(19), nullable=False, server_default=""),
    Column("versions", Text, nullable=False, server_default="{}"),  # JSON layer → version
    Column("as_of", String(10)),
    Column("job_id", String(36)),  # set when the run went through the job runner
    Column("rerun_of", String(36)),
    Column("outputs", Text),  # JSON: files, legend, scale, layers read
    Column("message", Text, nullable=False, server_default=""),
)

# 规划成果文档 (onemap.documents): the plan's text, drawings and indicator tables attached to a catalog entry.
documents = Table(
    "documents", metadata,
    Column("id", String(36), primary_key=True),  # uuid4 text; the file is documents/<id><suffix>
    Column("layer", String(128), nullable=False, index=True),
    Column("title", String(200), nullable=False),
    Column("filename", String(255), nullable=False),
    Column("media_type", String(100), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("owner", String(64), nullable=False),
    Column("created", UTCDateTime, nullable=False),
)

# Sign-in limits shared by every server process (onemap.security.login_guard): one fixed-window counter per
# key (the client address), and failed sign-ins per account *and* address, so that failing from one address
# locks that address out of the account, never the account's owner working elsewhere.
login_rate = Table(
    "login_rate", metadata,
    Column("key", String(128), primary_key=True),
    Column("window_start", UTCDateTime, nullable=False, index=True),
    Column("hits", Integer, nullable=False),
)

login_failures = Table(
    "login_failures", metadata,
    Column("username", String(64), primary_key=True),
    Column("ip", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_at", UTCDateTime, nullable=False),
    Column("locked_until", UTCDateTime),
)

# Personal access tokens (个人访问令牌) for desktop clients: only the sha256 of the random token is kept.
access_tokens = Table(
    "access_tokens", metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("scope", String(16), nullable=False, server_default="read"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime),
    Column("revoked_at", UTCDateTime),
)

# 指标管理 (onemap.indicators): every value, target and edited formula is a new row; the latest row of a key is
# current, the earlier ones are its history (who changed what, when, from which layer versions).
indicator_values = Table(
    "indicator_values", metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(32), nullable=False),
    Column("region", String(19), nullable=False),
    Column("period", Integer, nullable=False),  # the year
    Column("value", Float(53), nullable=False),
    Column("unit", String(32), nullable=False, server_default=""),
    Column("status", String(16), nullable=False),  # computed | reported | confirmed
    Column("formula_version", Integer),
    Column("provenance", Text, nullable=False, server_default="{}"),  # JSON: layers and versions, inputs
    Column("actor", String(64), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("note", Text, nullable=False, server_default=""),
    Index("ix_indicator_values_key", "code", "region", "period"),
)

indicator_targets = Table(
    "indicator_targets", metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(32), nullable=False),
    Column("region", String(19), nullable=False),
    Column("period", Integer, nullable=False),  # the target year (规划目标年)
    Column("value", Float(53), nullable=False),
    Column("unit", String(32), nullable=False, server_default=""),
    Column("actor", String(64), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("note", Text, nullable=False, server_default=""),
    Index("ix_indicator_targets_key", "code", "region", "period"),
)

indicator_formulas = Table(
    "indicator_formulas", metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(32), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("formula", Text, nullable=False),  # JSON of the formula without its version
    Column("actor", String(64), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    UniqueConstraint("code", "version", name="uq_indicator_formulas_code_version"),
)

# 监测预警 (onemap.monitoring): every message processed once (its sender's id), the change patches, what could not
# be processed (with the Chinese reason), and the warnings with their lifecycle.
monitoring_messages = Table(
    "monitoring_messages", metadata,
    Column("id", String(64), primary_key=True),  # the sender's id: a second delivery is a duplicate
    Column("kind", String(8), nullable=False),  # patch|event|value
    Column("channel", String(8), nullable=False),  # mqtt|http|file
    Column("topic", String(200), nullable=False, server_default=""),
    Column("received_at", UTCDateTime, nullable=False, index=True),
)

monitoring_patches = Table(
    "monitoring_patches", metadata,
    Column("id", String(64), ForeignKey("monitoring_messages.id", ondelete="CASCADE"), primary_key=True),
    Column("observed_at", Date, nullable=False, index=True),
    Column("before", String(16), nullable=False),
    Column("after", String(16), nullable=False),
    Column("classification", String(8), nullable=False),  # sandiao|ydyh
    Column("source", String(100), nullable=False),
    Column("region", String(12), nullable=False, server_default="", index=True),
    Column("area_m2", Float, nullable=False),
    Column("geometry", Text, nullable=False),  # GeoJSON geometry, EPSG:4490 (lon, lat)
    Column("received_at", UTCDateTime, nullable=False),
)

dead_letters = Table(
    "dead_letters", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("channel", String(8), nullable=False),
    Column("topic", String(200), nullable=False, server_default=""),
    Column("message_id", String(64)),
    Column("reason", Text, nullable=False),  # Chinese, for the 监测预警 page
    Column("payload", Text, nullable=False),  # the first 64 kB as received
)

warnings = Table(
    "warnings", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("rule", String(64), nullable=False, index=True),
    Column("level", String(4), nullable=False, index=True),  # 蓝|黄|橙|红
    Column("region", String(12), nullable=False, server_default="", index=True),
    Column("subject_kind", String(16), nullable=False),  # patch|indicator
    Column("subject_id", String(128), nullable=False),
    Column("title", String(200), nullable=False),
    Column("message", Text, nullable=False),
    Column("evidence", Text, nullable=False),  # JSON: measures, layer versions, values
    Column("security_level", String(8), nullable=False),  # the highest level of the layers read
    Column("state", String(8), nullable=False, index=True),  # 新发|已核实|处置中|已销号
    Column("created_at", UTCDateTime, nullable=False, index=True),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("rule", "subject_kind", "subject_id", name="uq_warnings_subject"),
)

warning_events = Table(
    "warning_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("warning_id", Integer, ForeignKey("warnings.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("from_state", String(8), nullable=False),
    Column("to_state", String(8), nullable=False),
    Column("opinion", Text, nullable=False, server_default=""),
    Column("attachment", String(255), nullable=False, server_default=""),  # file name under warnings/<id>/
)

# 承载能力监测预警 (onemap.carrying): every evaluation of a region and period is a new row (the history), and the
# measures taken for a region with their progress notes (each status change or note is a row).
carrying_evaluations = Table(
    "carrying_evaluations", metadata,
    Column("id", Integer, primary_key=True),
    Column("run", String(36), nullable=False, index=True),  # one evaluation of several regions
    Column("region", String(19), nullable=False),
    Column("region_name", String(100), nullable=False, server_default=""),
    Column("period", Integer, nullable=False),
    Column("grade", String(8), nullable=False),  # 超载 | 临界超载 | 不超载 | 数据不足
    Column("result", Text, nullable=False),  # JSON: factors with values, terms and provenance; dimensions
    Column("definition_version", String(32), nullable=False, server_default=""),
    Column("actor", String(64), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index("ix_carrying_evaluations_key", "region", "period"),
)

carrying_measures = Table(
    "carrying_measures", metadata,
    Column("id", Integer, primary_key=True),
    Column("region", String(19), nullable=False, index=True),
    Column("title", String(200), nullable=False),
    Column("department", String(100), nullable=False),
    Column("factor", String(64), nullable=False, server_default=""),  # the factor id the measure addresses
    Column("start", Date, nullable=False),
    Column("due", Date, nullable=False),
    Column("status", String(8), nullable=False),  # 未开始 | 实施中 | 已完成
    Column("created_by", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

carrying_measure_notes = Table(
    "carrying_measure_notes", metadata,
    Column("id", Integer, primary_key=True),
    Column("measure_id", Integer, ForeignKey("carrying_measures.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("from_status", String(8), nullable=False, server_default=""),
    Column("to_status", String(8), nullable=False),
    Column("note", Text, nullable=False, server_default=""),
)
