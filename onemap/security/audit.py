"""The audit trail (全过程留痕): append-only, keyed hash chain, readable only by the 审计管理员.

Each row stores ``prev_hash`` and ``hash = HMAC-SHA256(key, prev_hash + canonical JSON of its fields)``
with a key kept outside the records database (:mod:`onemap.security.audit_key`), so a changed, deleted,
reordered or forged row breaks the chain at that row and :func:`verify` names it; signed checkpoints and
externally kept heads catch a truncation of the newest rows (:mod:`onemap.security.audit_chain`, which
also explains how rows from before the key still verify). The database refuses UPDATE and DELETE
(triggers; on PostgreSQL the application role is only granted SELECT and INSERT, see the records
migrations); the chain catches what a superuser does anyway.

Retention: the 网络安全法 (art. 21) asks for at least six months of logs. Purging older rows is a DBA
operation (:func:`purge_before`): the rows are first archived to a JSON-lines file, then a new anchor
(the last purged row's hash) is recorded, and verification starts from it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, insert, select, text
from sqlalchemy.exc import DBAPIError

from onemap.errors import InputError
from onemap.records.tables import audit_anchors, audit_log
from onemap.security import audit_chain, clock, session_epoch
from onemap.security.audit_chain import GENESIS, Head, VerifyResult, chain_hash  # noqa: F401 (re-exported)
from onemap.security.audit_key import add_key, audit_keyring, key_id
from onemap.security.audit_policy import ends_cached_sessions
from onemap.security.errors import PermissionDeniedError
from onemap.security.roles import AUDIT_ADMIN, can
from onemap.security.settings import SecuritySettings, resolve_settings
from onemap.security.users import User

RESULTS = ("success", "failure", "denied")
ANONYMOUS = "-"


@dataclass(frozen=True)
class AuditEntry:
    """One audit row."""

    id: int
    at: datetime
    username: str
    ip: str
    action: str
    object: str
    result: str
    detail: dict[str, Any] | None
    prev_hash: str
    hash: str


def _canonical_detail(detail: dict[str, Any] | None) -> str | None:
    if detail is None:
        return None
    return json.dumps(detail, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def _lock_chain(conn: Connection) -> None:
    """Serialise writers so two of them never read the same predecessor (PostgreSQL advisory lock)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.audit_log'))"))


def _anchor(conn: Connection) -> tuple[str, int]:
    """The hash and first row id verification starts from (the newest anchor, or the genesis)."""
    return audit_chain.anchor_row(conn)


def record(conn: Connection, *, user: User | str | None, ip: str, action: str, object: str, result: str,
           detail: dict[str, Any] | None = None, settings: SecuritySettings | None = None) -> AuditEntry:
    """Append one keyed row to the audit trail, in the caller's transaction (so it commits with the action)."""
    if result not in RESULTS:
        raise InputError(f"审计结果应为 {'、'.join(RESULTS)} 之一,收到“{result}”", f"bad audit result {result}")
    # Column widths bound what an unauthenticated caller can make us store (a 10 kB "username").
    username = (user.username if isinstance(user, User) else (user or ANONYMOUS))[:64]
    ip, action = (ip or "")[:64], action[:64]
    _lock_chain(conn)
    position = audit_chain.chain_position(conn)
    key = audit_chain.signing_key(conn, position.key_id, settings)
    prev = position.last_hash if position.last_hash is not None else _anchor(conn)[0]
    keyed, checkpointed = position.keyed_from, position.checkpoint_row
    if keyed is None and position.last_hash is not None:
        marker = _introduce_key(conn, key, prev, settings)
        keyed, checkpointed, prev = marker.id, marker.id, marker.hash
    entry = _append(conn, key, prev, username=username, ip=ip, action=action, object=object, result=result,
                    detail=detail)
    every = resolve_settings(settings).audit_checkpoint_rows
    if keyed is None or entry.id - (checkpointed or 0) >= every:  # a new chain is keyed from its first row
        audit_chain.write_checkpoint(conn, row_id=entry.id, head_hash=entry.hash,
                                     keyed=entry.id if keyed is None else keyed, settings=settings)
    if ends_cached_sessions(action):  # every account change is audited: the one place to invalidate caches
        session_epoch.bump(conn)
    return entry


def _append(conn: Connection, key: bytes, prev: str, *, username: str, ip: str, action: str, object: str,
            result: str, detail: dict[str, Any] | None) -> AuditEntry:
    at = clock.now().astimezone(UTC)
    detail_text = _canonical_detail(detail)
    fields = {"at": at, "username": username, "ip": ip, "action": action, "object": object,
              "result": result, "detail": detail_text}
    digest = chain_hash(prev, key=key, **fields)
    row_id = conn.execute(insert(audit_log).values(**fields, prev_hash=prev, hash=digest)
                          .returning(audit_log.c.id)).scalar_one()
    return AuditEntry(row_id, at, username, ip, action, object, result, detail, prev, digest)


def _introduce_key(conn: Connection, key: bytes, prev: str, settings: SecuritySettings | None) -> AuditEntry:
    """Seal the legacy (unkeyed) rows under the first keyed row and sign that head at once."""
    legacy = conn.execute(select(func.count()).select_from(audit_log)).scalar_one()
    entry = _append(conn, key, prev, username="system", ip="", action=audit_chain.KEY_INTRODUCED,
                    object="audit_log", result="success",
                    detail={"key_id": key_id(key), "legacy_rows": legacy})
    audit_chain.write_checkpoint(conn, row_id=entry.id, head_hash=entry.hash, keyed=entry.id, settings=settings)
    return entry


def rotate_key(conn: Connection, *, by: User | str, ip: str = "",
               settings: SecuritySettings | None = None) -> AuditEntry:
    """Rotate the audit key (密钥轮换): later rows are signed with the keyring's newest key.

    The chain must verify first. If the ring's newest key is the one in force, a new random key is put at
    the head of the key file (older keys stay: they verify the rows written under them). The rotation is an
    ``audit.key_rotated`` row signed with the outgoing key and naming the incoming one, sealed at once by a
    checkpoint signed with the incoming key — all in the caller's transaction. Interrupted after the file was
    written, the next rotation uses the key already added.
    """
    _lock_chain(conn)
    check = audit_chain.verify(conn, settings=settings)
    if not check.ok:
        raise InputError(f"{check.message};轮换审计密钥前须先调查",
                         f"refusing to rotate a broken chain: {check.reason}")
    position = audit_chain.chain_position(conn)
    if position.last_hash is None or position.keyed_from is None:
        raise InputError("审计日志尚无带密钥的记录,无须轮换密钥", "nothing keyed to rotate from")
    outgoing = audit_chain.signing_key(conn, position.key_id, settings)
    newest = audit_keyring(conn, settings).newest
    incoming = newest if key_id(newest) != key_id(outgoing) else add_key(conn, settings)
    username = (by.username if isinstance(by, User) else by)[:64]
    entry = _append(conn, outgoing, position.last_hash, username=username, ip=(ip or "")[:64],
                    action=audit_chain.KEY_ROTATED, object="audit_log", result="success",
                    detail={"key_id": key_id(incoming), "previous_key_id": key_id(outgoing)})
    audit_chain.write_checkpoint(conn, row_id=entry.id, head_hash=entry.hash, keyed=position.keyed_from,
                                 settings=settings, key=incoming)
    return entry


def verify(conn: Connection, *, anchor: Head | None = None, from_id: int | None = None,
           settings: SecuritySettings | None = None) -> VerifyResult:
    """Check the chain, its checkpoints and (optionally) an externally kept head; writes nothing."""
    return audit_chain.verify(conn, anchor=anchor, from_id=from_id, settings=settings)


def verify_and_checkpoint(conn: Connection, *, by: User | str, ip: str = "", anchor: Head | None = None,
                          settings: SecuritySettings | None = None) -> VerifyResult:
    """Verify, record the verification (the auditor is audited too) and, if it held, sign the new head.

    The result's head is the verification's own row: the head to keep outside the system.
    """
    result = audit_chain.verify(conn, anchor=anchor, settings=settings)
    detail = {"ok": result.ok, "reason": result.reason, "rows": result.count, "first_bad_id": result.first_bad_id,
              "anchor": anchor.id if anchor is not None else None}
    entry = record(conn, user=by, ip=ip, action="audit.verify", object="audit_log",
                   result="success" if result.ok else "failure", detail=detail, settings=settings)
    if not result.ok:
        return result
    keyed = audit_chain.chain_state(conn)[0]
    audit_chain.write_checkpoint(conn, row_id=entry.id, head_hash=entry.hash, keyed=keyed, settings=settings)
    return replace(result, count=result.count + _rows_after(conn, result.last_id), last_id=entry.id,
                   last_hash=entry.hash, keyed_from=keyed)


def _rows_after(conn: Connection, row_id: int | None) -> int:
    query = select(func.count()).select_from(audit_log)
    return conn.execute(query.where(audit_log.c.id > row_id) if row_id is not None else query).scalar_one()


def _entry(row) -> AuditEntry:
    detail = json.loads(row.detail) if row.detail else None
    return AuditEntry(row.id, row.at, row.username, row.ip, row.action, row.object, row.result, detail,
                      row.prev_hash, row.hash)


def require_auditor(user: User) -> None:
    """Only the 审计管理员 reads the audit trail (三员分立); everyone else is refused."""
    if not (user.has_role(AUDIT_ADMIN) and can(user, "audit:read")):
        raise PermissionDeniedError("只有审计管理员可以查看审计日志", f"{user.username} may not read the audit log")


def read(conn: Connection, *, reader: User, since: datetime | None = None, until: datetime | None = None,
         user: str | None = None, action: str | None = None, limit: int = 1000, ip: str = "",
         obj: str | None = None) -> list[AuditEntry]:
    """Audit rows, newest first, filtered by time window, username, action and object (审计管理员 only).

    ``obj`` matches any object containing it (``DLTB`` finds ``DLTB`` and ``layer:DLTB``; ``user:`` every account).

    The reading itself is recorded (the auditor is audited too).
    """
    require_auditor(reader)
    query = select(audit_log).order_by(audit_log.c.id.desc()).limit(max(1, min(limit, 100_000)))
    if since is not None:
        query = query.where(audit_log.c.at >= since)
    if until is not None:
        query = query.where(audit_log.c.at < until)
    if user is not None:
        query = query.where(audit_log.c.username == user)
    if action is not None:
        query = query.where(audit_log.c.action == action)
    if obj:
        query = query.where(audit_log.c.object.contains(obj, autoescape=True))
    entries = [_entry(row) for row in conn.execute(query)]
    record(conn, user=reader, ip=ip, action="audit.read", object="audit_log", result="success",
           detail={"since": since, "until": until, "user": user, "action": action, "object": obj,
                   "rows": len(entries)})
    return entries


@dataclass(frozen=True)
class PurgeResult:
    """What :func:`purge_before` archived and removed, and the new anchor."""

    archived: int
    archive: Path | None
    anchor_hash: str
    first_id: int


def purge_before(conn: Connection, *, by: User, before: datetime, archive: Path,
                 settings: SecuritySettings | None = None, note: str = "") -> PurgeResult:
    """Archive and delete audit rows older than ``before`` (a DBA operation, 审计管理员 as ``by``).

    Refuses anything younger than ``audit_retention_days`` and a chain that does not verify. Deleting
    bypasses the append-only protection, which needs the database owner: the SQLite file's owner, or a
    PostgreSQL superuser (``session_replication_role``); the application role cannot do it.
    """
    require_auditor(by)
    days = resolve_settings(settings).audit_retention_days
    if before > clock.now() - timedelta(days=days):
        raise InputError(f"审计日志至少保存 {days} 天,不能清除 {before:%Y-%m-%d} 之后的记录",
                         f"purge before {before} violates retention of {days} days")
    check = verify(conn)
    if not check.ok:
        raise InputError(f"审计日志链校验失败(第 {check.first_bad_id} 条),清除前须先调查",
                         f"refusing to purge a broken chain at {check.first_bad_id}")
    first_young = conn.execute(select(func.min(audit_log.c.id)).where(audit_log.c.at >= before)).scalar()
    old = select(audit_log).order_by(audit_log.c.id)
    if first_young is not None:
        old = old.where(audit_log.c.id < first_young)
    rows = [_entry(row) for row in conn.execute(old)]
    if not rows:
        anchor_hash, first_id = _anchor(conn)
        return PurgeResult(0, None, anchor_hash, first_id)
    _write_archive(archive, rows)
    last = rows[-1]
    conn.execute(insert(audit_anchors).values(at=clock.now(), first_id=last.id + 1, hash=last.hash,
                                              note=note or f"archived to {archive.name}"))
    _delete_bypassing_protection(conn, last.id)
    record(conn, user=by, ip="", action="audit.purge", object="audit_log", result="success",
           detail={"archived": len(rows), "last_id": last.id, "archive": archive.name})
    return PurgeResult(len(rows), archive, last.hash, last.id + 1)


def _write_archive(path: Path, rows: list[AuditEntry]) -> None:
    if path.exists():
        raise InputError(f"归档文件已存在:{path}", f"archive {path} exists")
    with path.open("x", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(asdict(row), ensure_ascii=False, default=str) + "\n")


def _delete_bypassing_protection(conn: Connection, last_id: int) -> None:
    delete = text("DELETE FROM audit_log WHERE id <= :last_id")
    if conn.dialect.name == "sqlite":  # DDL is transactional in SQLite: the trigger is back on commit
        conn.execute(text("DROP TRIGGER audit_log_no_delete"))
        conn.execute(delete, {"last_id": last_id})
        conn.execute(text("CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
                          "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused'); END"))
        return
    try:
        with conn.begin_nested():
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(delete, {"last_id": last_id})
            conn.execute(text("SET LOCAL session_replication_role = origin"))
    except DBAPIError as exc:
        raise PermissionDeniedError("清除审计日志须由数据库管理员(超级用户)执行",
                                    f"audit purge needs a superuser: {exc.orig}") from exc
