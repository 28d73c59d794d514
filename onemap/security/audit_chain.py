"""The keyed audit chain (审计日志防篡改): row MACs, signed checkpoints, external anchors, verification.

Threat: someone who can write the records database (a DBA, a stolen backup restored elsewhere) rewrites
rows and recomputes the later hashes, appends forged rows, or drops the newest rows. Three things stop it:

1. **Keyed rows.** ``hash = HMAC-SHA256(key, prev_hash + canonical JSON)`` with a key kept outside the
   database (:mod:`onemap.security.audit_key`): without it no row can be recomputed or forged.
2. **Signed checkpoints** (``audit_checkpoints``): every ``ONEMAP_AUDIT_CHECKPOINT_ROWS`` rows and at
   each verification, the head (row id, count, hash) signed with the same key. A chain shorter than its
   latest checkpoint, or missing a checkpointed head, is a truncation.
3. **Anchors**: ``onemap audit head`` prints the head for the operator to keep outside the system;
   ``onemap audit verify --anchor`` checks the chain still holds it (catches a truncation that also
   removed the newest checkpoints).

Legacy rows: rows written before the key (plain ``sha256``) stay as they were. In a chain that has them,
the first keyed row is an ``audit.key_introduced`` row whose ``prev_hash`` is the last legacy hash, so the
whole legacy prefix is sealed by a MAC; a new chain is keyed from its first row. Either way a checkpoint
naming the first keyed row (``keyed_from``) is signed at once. Rows before it verify as SHA-256, rows
from it on as HMAC; a legacy row rewritten later breaks the seal, and a keyed chain recomputed as plain
SHA-256 fails against the checkpoints.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, func, insert, select

from onemap.errors import InputError
from onemap.records.tables import audit_anchors, audit_checkpoints, audit_log
from onemap.security import clock
from onemap.security.audit_key import audit_key, existing_audit_key
from onemap.security.settings import SecuritySettings

GENESIS = "0" * 64
KEY_INTRODUCED = "audit.key_introduced"

MESSAGES = {
    "ok": "审计日志完整",
    "row_altered": "审计日志被篡改:第 {id} 条记录与哈希链不符(被修改、删除、插入或伪造)",
    "wrong_key": "审计密钥与写入日志时所用的不同,无法校验(请检查 ONEMAP_AUDIT_KEY / 密钥文件)",
    "checkpoint_forged": "审计检查点签名无效:检查点被伪造或修改",
    "truncated": "审计日志被截断:检查点记录的第 {id} 条已不在哈希链中",
    "anchor_missing": "审计日志与外部保存的链头不符:第 {id} 条已不在哈希链中(日志被截断或改写)",
    "key_missing": "找不到审计密钥(默认为记录库旁或 ONEMAP_DATA_DIR 下的 audit.key),无法校验带密钥的审计日志",
    "anchor_purged": "外部保存的链头(第 {id} 条)已被归档清除,请改用清除后的新链头",
}


@dataclass(frozen=True)
class Head:
    """The head of the chain: the newest row's id and hash, and how many rows the chain holds."""

    id: int
    count: int
    hash: str

    def as_json(self) -> str:
        """The head as the JSON the operator keeps (``onemap audit head``)."""
        return json.dumps({"id": self.id, "count": self.count, "hash": self.hash})


def parse_head(text: str) -> Head:
    """A :class:`Head` from the JSON ``onemap audit head`` printed; InputError if it is not one."""
    try:
        data = json.loads(text)
        head = Head(int(data["id"]), int(data["count"]), str(data["hash"]))
    except (ValueError, TypeError, KeyError) as exc:
        raise InputError("链头应为 onemap audit head 输出的 JSON:{\"id\": …, \"count\": …, \"hash\": …}",
                         f"bad audit head: {exc}") from None
    if len(head.hash) != 64 or any(c not in "0123456789abcdef" for c in head.hash) or head.id < 1:
        raise InputError("链头的 id 应为正整数,hash 应为 64 位十六进制", f"bad audit head {head}")
    return head


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of :func:`verify`: ``ok``, a ``reason`` code, a Chinese ``message``, and the head reached."""

    ok: bool
    count: int
    reason: str = "ok"
    message: str = MESSAGES["ok"]
    first_bad_id: int | None = None
    last_id: int | None = None
    last_hash: str = GENESIS
    keyed_from: int | None = None

    @property
    def head(self) -> Head | None:
        """The verified head (None for an empty chain)."""
        return Head(self.last_id, self.count, self.last_hash) if self.last_id is not None else None


def _failure(reason: str, count: int, bad_id: int | None, last_id: int | None, last_hash: str) -> VerifyResult:
    return VerifyResult(False, count, reason, MESSAGES[reason].format(id=bad_id), bad_id, last_id, last_hash)


# -- hashing ---------------------------------------------------------------------------------------
def canonical_time(at: datetime) -> str:
    """UTC ISO time with microseconds: the same text on both backends."""
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return at.isoformat(timespec="microseconds")


def _payload(*, at: datetime, username: str, ip: str, action: str, object: str, result: str,
             detail: str | None) -> str:
    fields = {"at": canonical_time(at), "user": username, "ip": ip, "action": action, "object": object,
              "result": result, "detail": detail}
    return json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def chain_hash(prev_hash: str, *, key: bytes | None = None, **fields) -> str:
    """``HMAC-SHA256(key, prev_hash + canonical JSON)`` of one row; plain SHA-256 for legacy rows (no key)."""
    message = (prev_hash + _payload(**fields)).encode("utf-8")
    if key is None:
        return hashlib.sha256(message).hexdigest()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def key_id(key: bytes) -> str:
    """A short public fingerprint of the key (tells a wrong key from a forged row)."""
    return hmac.new(key, b"onemap audit key id", hashlib.sha256).hexdigest()[:16]


def _checkpoint_mac(key: bytes, *, row_id: int, count: int, head_hash: str, keyed_from: int, at: datetime) -> str:
    body = json.dumps({"row_id": row_id, "count": count, "head": head_hash, "keyed_from": keyed_from,
                       "at": canonical_time(at)}, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, body.encode("utf-8"), hashlib.sha256).hexdigest()


# -- where the chain stands ------------------------------------------------------------------------
# Read from the database on every write, never cached: a cached "keyed since row N" would outlive the
# rollback of the transaction that introduced the key. Both reads are primary-key/index lookups.
def latest_checkpoint(conn: Connection):
    """The newest checkpoint row (or None)."""
    return conn.execute(select(audit_checkpoints).order_by(audit_checkpoints.c.id.desc()).limit(1)).first()


def chain_state(conn: Connection) -> tuple[int | None, int | None]:
    """(id of the first keyed row or None while only legacy rows exist, row id of the newest checkpoint)."""
    position = chain_position(conn)
    return position.keyed_from, position.checkpoint_row


@dataclass(frozen=True)
class Position:
    """Where a writer appends: the newest row's hash (None: no rows), the first keyed row, the last checkpoint."""

    last_hash: str | None
    keyed_from: int | None
    checkpoint_row: int | None


_newest = audit_checkpoints.c.id == select(func.max(audit_checkpoints.c.id)).scalar_subquery()
_POSITION = select(
    select(audit_log.c.hash).order_by(audit_log.c.id.desc()).limit(1).scalar_subquery(),
    select(audit_checkpoints.c.keyed_from).where(_newest).scalar_subquery(),
    select(audit_checkpoints.c.row_id).where(_newest).scalar_subquery(),
)


def chain_position(conn: Connection) -> Position:
    """The chain's :class:`Position` in one round trip (the per-row cost of a write)."""
    last_hash, keyed, checkpoint_row = conn.execute(_POSITION).one()
    if keyed is None and last_hash is not None:  # legacy rows, or every checkpoint gone: look for the seal
        keyed = conn.execute(select(func.min(audit_log.c.id)).where(audit_log.c.action == KEY_INTRODUCED)).scalar()
    return Position(last_hash, keyed, checkpoint_row)


# -- checkpoints -----------------------------------------------------------------------------------
def write_checkpoint(conn: Connection, *, row_id: int, head_hash: str, keyed: int,
                     settings: SecuritySettings | None = None) -> None:
    """Sign the head ``(row_id, head_hash)`` into ``audit_checkpoints`` (in the caller's transaction)."""
    key = audit_key(conn, settings)
    previous = latest_checkpoint(conn)
    if previous is not None and previous.row_id == row_id and previous.head_hash == head_hash:
        return
    if previous is not None and previous.row_id < row_id:
        count = previous.count + conn.execute(select(func.count()).select_from(audit_log).where(
            audit_log.c.id > previous.row_id, audit_log.c.id <= row_id)).scalar_one()
    else:
        count = conn.execute(select(func.count()).select_from(audit_log).where(audit_log.c.id <= row_id)).scalar_one()
    at = clock.now().astimezone(UTC)
    conn.execute(insert(audit_checkpoints).values(
        at=at, row_id=row_id, count=count, head_hash=head_hash, keyed_from=keyed, key_id=key_id(key),
        mac=_checkpoint_mac(key, row_id=row_id, count=count, head_hash=head_hash, keyed_from=keyed, at=at)))


# -- verification ----------------------------------------------------------------------------------
def anchor_row(conn: Connection) -> tuple[str, int]:
    """The hash and first row id verification starts from (the newest purge anchor, or the genesis)."""
    row = conn.execute(select(audit_anchors.c.hash, audit_anchors.c.first_id)
                       .order_by(audit_anchors.c.id.desc()).limit(1)).first()
    return (row.hash, row.first_id) if row else (GENESIS, 0)


def _checkpoints(conn: Connection, key: bytes, start: int) -> tuple[dict[int, str], int | None, str | None]:
    """Checkpointed heads from ``start`` on, the newest ``keyed_from`` and a failure reason, if any."""
    heads, keyed, fingerprint = {}, None, key_id(key)
    for row in conn.execute(select(audit_checkpoints).order_by(audit_checkpoints.c.id)):
        if row.key_id != fingerprint:
            return {}, None, "wrong_key"
        mac = _checkpoint_mac(key, row_id=row.row_id, count=row.count, head_hash=row.head_hash,
                              keyed_from=row.keyed_from, at=row.at)
        if not hmac.compare_digest(mac, row.mac):
            return {}, None, "checkpoint_forged"
        keyed = row.keyed_from
        if row.row_id >= start:
            heads[row.row_id] = row.head_hash
    return heads, keyed, None


def verify(conn: Connection, *, anchor: Head | None = None, from_id: int | None = None, start_hash: str | None = None,
           checkpoint: bool = False, settings: SecuritySettings | None = None) -> VerifyResult:
    """Recompute the chain from the newest purge anchor (or the genesis) and check checkpoints and ``anchor``.

    With ``checkpoint``, a verified chain's head is signed into ``audit_checkpoints`` (the caller commits).
    """
    stored_hash, stored_first = anchor_row(conn)
    expected = start_hash if start_hash is not None else stored_hash
    start = from_id if from_id is not None else stored_first
    key, keyed = existing_audit_key(conn, settings), chain_state(conn)[0]
    if key is None and keyed is not None:
        return _failure("key_missing", 0, None, None, expected)
    heads, problem = {}, None
    if key is not None:
        heads, keyed_signed, problem = _checkpoints(conn, key, start)
        keyed = keyed_signed if keyed_signed is not None else keyed
    if problem is not None:
        return _failure(problem, 0, None, None, expected)
    count, last_id, seen = 0, None, {}
    rows = conn.execute(select(audit_log).where(audit_log.c.id >= start).order_by(audit_log.c.id),
                        execution_options={"yield_per": 1000})
    for row in rows:
        is_keyed = keyed is not None and row.id >= keyed
        if is_keyed and row.action == KEY_INTRODUCED and _row_key_id(row) not in (None, key_id(key)):
            rows.close()
            return _failure("wrong_key", count, row.id, last_id, expected)
        recomputed = chain_hash(row.prev_hash, key=key if is_keyed else None, at=row.at, username=row.username,
                                ip=row.ip, action=row.action, object=row.object, result=row.result,
                                detail=row.detail)
        if row.prev_hash != expected or not hmac.compare_digest(recomputed, row.hash) or (
                row.action == KEY_INTRODUCED and row.id != keyed):
            rows.close()
            return _failure("row_altered", count, row.id, last_id, expected)
        if row.id in heads or (anchor is not None and row.id == anchor.id):
            seen[row.id] = row.hash
        expected, last_id, count = row.hash, row.id, count + 1
    failure = _head_failure(heads, seen, anchor, start)
    if failure is not None:
        return _failure(failure[0], count, failure[1], last_id, expected)
    result = VerifyResult(True, count, last_id=last_id, last_hash=expected, keyed_from=keyed)
    if checkpoint and last_id is not None and keyed is not None:
        write_checkpoint(conn, row_id=last_id, head_hash=expected, keyed=keyed, settings=settings)
    return result


def _row_key_id(row) -> str | None:
    try:
        return (json.loads(row.detail) or {}).get("key_id")
    except (TypeError, ValueError, AttributeError):
        return None


def _head_failure(heads: dict[int, str], seen: dict[int, str], anchor: Head | None,
                  start: int) -> tuple[str, int] | None:
    for row_id, head_hash in sorted(heads.items()):
        if seen.get(row_id) != head_hash:
            return "truncated", row_id
    if anchor is not None:
        if anchor.id < start:
            return "anchor_purged", anchor.id
        if seen.get(anchor.id) != anchor.hash:
            return "anchor_missing", anchor.id
    return None
