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

Key rotation (``onemap audit rotate-key``): an ``audit.key_rotated`` row, signed with the outgoing key,
names the incoming key's fingerprint; rows after it are signed with the incoming key, and a checkpoint
signed with it seals the rotation row at once. Each checkpoint carries the fingerprint of the key active
after its row, so verification walks the chain with the node's keyring and switches keys exactly where
the chain says. Someone who later obtains a retired key cannot rewrite rows written under it: the first
row after the rotation and the rotation's checkpoint are signed with the newer key.
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
from onemap.security.audit_key import Keyring, audit_keyring, existing_keyring, key_for, key_id
from onemap.security.settings import SecuritySettings

GENESIS = "0" * 64
KEY_INTRODUCED = "audit.key_introduced"
KEY_ROTATED = "audit.key_rotated"

MESSAGES = {
    "ok": "审计日志完整",
    "row_altered": "审计日志被篡改:第 {id} 条记录与哈希链不符(被修改、删除、插入或伪造)",
    "wrong_key": "审计密钥与写入日志时所用的不同,无法校验(请检查 ONEMAP_AUDIT_KEY / 密钥文件;"
                 "轮换过密钥时旧密钥须保留在密钥文件或 ONEMAP_AUDIT_PREVIOUS_KEYS 中)",
    "rotated_key_missing": "第 {id} 条记录把审计密钥轮换为本节点没有的密钥,无法校验其后的记录"
                           "(请把新密钥放在密钥文件首行或 ONEMAP_AUDIT_KEY 中)",
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
    """Where a writer appends: the newest row's hash (None: no rows), the first keyed row, the last checkpoint
    and the fingerprint of the key it names (the key that signs the next row)."""

    last_hash: str | None
    keyed_from: int | None
    checkpoint_row: int | None
    key_id: str | None = None


_newest = audit_checkpoints.c.id == select(func.max(audit_checkpoints.c.id)).scalar_subquery()
_POSITION = select(
    select(audit_log.c.hash).order_by(audit_log.c.id.desc()).limit(1).scalar_subquery(),
    select(audit_checkpoints.c.keyed_from).where(_newest).scalar_subquery(),
    select(audit_checkpoints.c.row_id).where(_newest).scalar_subquery(),
    select(audit_checkpoints.c.key_id).where(_newest).scalar_subquery(),
)


def chain_position(conn: Connection) -> Position:
    """The chain's :class:`Position` in one round trip (the per-row cost of a write)."""
    last_hash, keyed, checkpoint_row, signing = conn.execute(_POSITION).one()
    if keyed is None and last_hash is not None:  # legacy rows, or every checkpoint gone: look for the seal
        keyed = conn.execute(select(func.min(audit_log.c.id)).where(audit_log.c.action == KEY_INTRODUCED)).scalar()
    return Position(last_hash, keyed, checkpoint_row, signing)


def signing_key(conn: Connection, wanted: str | None, settings: SecuritySettings | None = None) -> bytes:
    """The key that signs the next row: the one the newest checkpoint names, else the ring's newest.

    The ring's newest key takes over only through a rotation row; a ring that lost the chain's key signs
    with its newest, and verification then answers ``wrong_key``.
    """
    if wanted is not None:
        key = key_for(conn, wanted, settings)
        if key is not None:
            return key
    return audit_keyring(conn, settings).newest


# -- checkpoints -----------------------------------------------------------------------------------
def write_checkpoint(conn: Connection, *, row_id: int, head_hash: str, keyed: int,
                     settings: SecuritySettings | None = None, key: bytes | None = None) -> None:
    """Sign the head ``(row_id, head_hash)`` into ``audit_checkpoints`` (in the caller's transaction).

    ``key`` is the key active after that row: by default the one the newest checkpoint names.
    """
    previous = latest_checkpoint(conn)
    if key is None:
        key = signing_key(conn, previous.key_id if previous is not None else None, settings)
    elif previous is not None and previous.row_id == row_id and previous.head_hash == head_hash \
            and previous.key_id != key_id(key):
        previous = None  # the rotation's checkpoint: same head, signed with the incoming key
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


@dataclass
class _Signed:
    """The verified checkpoints: heads from ``start`` on (with the key each names), the newest
    ``keyed_from``, the key active at ``start``, or the failure reason."""

    heads: dict[int, set[tuple[str, str]]]
    keyed: int | None = None
    start_key: str | None = None
    problem: str | None = None


def _checkpoints(conn: Connection, ring: Keyring, start: int) -> _Signed:
    signed, earliest, before_start = _Signed({}), None, None
    for row in conn.execute(select(audit_checkpoints).order_by(audit_checkpoints.c.id)):
        key = ring.find(row.key_id)
        if key is None:
            return _Signed({}, problem="wrong_key")
        mac = _checkpoint_mac(key, row_id=row.row_id, count=row.count, head_hash=row.head_hash,
                              keyed_from=row.keyed_from, at=row.at)
        if not hmac.compare_digest(mac, row.mac):
            return _Signed({}, problem="checkpoint_forged")
        signed.keyed = row.keyed_from
        if earliest is None or row.row_id < earliest[0]:
            earliest = (row.row_id, row.key_id)
        if row.row_id < start and (before_start is None or row.row_id >= before_start[0]):
            before_start = (row.row_id, row.key_id)
        if row.row_id >= start:
            signed.heads.setdefault(row.row_id, set()).add((row.head_hash, row.key_id))
    chosen = before_start or earliest
    signed.start_key = chosen[1] if chosen is not None else None
    return signed


class _Walk:
    """The key in force while the chain is walked: it changes only at a verified rotation row."""

    def __init__(self, ring: Keyring | None, start_key: str | None) -> None:
        self.ring = ring
        self.key = None if ring is None else (ring.find(start_key) if start_key else ring.newest) or ring.newest

    @property
    def key_id(self) -> str | None:
        return key_id(self.key) if self.key is not None else None

    def rotate(self, row) -> bool:
        """Switch to the key a verified rotation row names; False if the ring does not hold it."""
        incoming = self.ring.find(_row_key_id(row) or "") if self.ring is not None else None
        if incoming is None:
            return False
        self.key = incoming
        return True


def verify(conn: Connection, *, anchor: Head | None = None, from_id: int | None = None, start_hash: str | None = None,
           checkpoint: bool = False, settings: SecuritySettings | None = None) -> VerifyResult:
    """Recompute the chain from the newest purge anchor (or the genesis) and check checkpoints and ``anchor``.

    With ``checkpoint``, a verified chain's head is signed into ``audit_checkpoints`` (the caller commits).
    """
    stored_hash, stored_first = anchor_row(conn)
    expected = start_hash if start_hash is not None else stored_hash
    start = from_id if from_id is not None else stored_first
    ring, keyed = existing_keyring(conn, settings), chain_state(conn)[0]
    if ring is None and keyed is not None:
        return _failure("key_missing", 0, None, None, expected)
    signed = _checkpoints(conn, ring, start) if ring is not None else _Signed({})
    if signed.problem is not None:
        return _failure(signed.problem, 0, None, None, expected)
    keyed = signed.keyed if signed.keyed is not None else keyed
    walk = _Walk(ring, signed.start_key)
    count, last_id, seen = 0, None, {}
    rows = conn.execute(select(audit_log).where(audit_log.c.id >= start).order_by(audit_log.c.id),
                        execution_options={"yield_per": 1000})
    for row in rows:
        problem = _check_row(row, walk, keyed, expected)
        if problem is None and row.id in signed.heads and not _sealed(signed.heads[row.id], walk.key_id):
            problem = "checkpoint_forged"  # a checkpoint signed with a key that was not in force there
        if problem is not None:
            rows.close()
            return _failure(problem, count, row.id, last_id, expected)
        if row.id in signed.heads or (anchor is not None and row.id == anchor.id):
            seen[row.id] = row.hash
        expected, last_id, count = row.hash, row.id, count + 1
    failure = _head_failure(signed.heads, seen, anchor, start)
    if failure is not None:
        return _failure(failure[0], count, failure[1], last_id, expected)
    result = VerifyResult(True, count, last_id=last_id, last_hash=expected, keyed_from=keyed)
    if checkpoint and last_id is not None and keyed is not None:
        write_checkpoint(conn, row_id=last_id, head_hash=expected, keyed=keyed, settings=settings, key=walk.key)
    return result


def _check_row(row, walk: _Walk, keyed: int | None, expected: str) -> str | None:
    """The failure reason of one row under the key in force (None if it holds); follows rotations."""
    is_keyed = keyed is not None and row.id >= keyed
    if is_keyed and row.action == KEY_INTRODUCED and _row_key_id(row) not in (None, walk.key_id):
        return "wrong_key"
    recomputed = chain_hash(row.prev_hash, key=walk.key if is_keyed else None, at=row.at, username=row.username,
                            ip=row.ip, action=row.action, object=row.object, result=row.result, detail=row.detail)
    if row.prev_hash != expected or not hmac.compare_digest(recomputed, row.hash) or (
            row.action == KEY_INTRODUCED and row.id != keyed) or (row.action == KEY_ROTATED and not is_keyed):
        return "row_altered"
    if row.action == KEY_ROTATED and not walk.rotate(row):
        return "rotated_key_missing"
    return None


def _sealed(heads: set[tuple[str, str]], in_force: str | None) -> bool:
    """Every checkpoint of this row names the key in force after it (a retired key cannot sign later heads)."""
    return all(fingerprint == in_force for _hash, fingerprint in heads)


def _row_key_id(row) -> str | None:
    try:
        return (json.loads(row.detail) or {}).get("key_id")
    except (TypeError, ValueError, AttributeError):
        return None


def _head_failure(heads: dict[int, set[tuple[str, str]]], seen: dict[int, str], anchor: Head | None,
                  start: int) -> tuple[str, int] | None:
    for row_id, signed in sorted(heads.items()):
        if any(seen.get(row_id) != head_hash for head_hash, _key in signed):
            return "truncated", row_id
    if anchor is not None:
        if anchor.id < start:
            return "anchor_purged", anchor.id
        if seen.get(anchor.id) != anchor.hash:
            return "anchor_missing", anchor.id
    return None
