"""The audit chain's HMAC keys (审计密钥), kept apart from the records database, and their rotation.

Whoever can write the records database must not be able to recompute the chain, so no key lives in it.
A node holds a **keyring**: the newest key first, then the keys it rotated away from (each still needed
to verify the rows written under it). In order of precedence:

- ``ONEMAP_AUDIT_KEY`` (the newest key) with ``ONEMAP_AUDIT_PREVIOUS_KEYS`` (earlier keys, comma-separated);
- ``ONEMAP_AUDIT_KEY_FILE``, a file with one key per line, newest first (``#`` comments allowed);
- else ``audit.key`` beside the SQLite records file, or ``<ONEMAP_DATA_DIR>/audit.key`` for PostgreSQL
  records. A missing default file is created on first use with mode 0600 (32 random bytes, hex).

The ring is read once per process and location (every audit row needs a key; a file read per row does
not), and read again when the chain names a key the cached ring lacks (another process rotated it).
Which key signs the next row is the chain's business (:mod:`onemap.security.audit_chain`): the ring's
newest key only takes over through a rotation row (:func:`onemap.security.audit.rotate_key`).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Connection

from onemap.config import get_settings
from onemap.security.errors import ConfigurationError
from onemap.security.settings import SecuritySettings, resolve_settings

KEY_FILENAME = "audit.key"
MIN_KEY_LENGTH = 32  # characters; 32 hex characters carry 128 bits
ENVIRONMENT = "ONEMAP_AUDIT_KEY"

_cache: dict[str, Keyring] = {}
_lock = threading.Lock()


def key_id(key: bytes) -> str:
    """A short public fingerprint of a key (names it in rows and checkpoints without revealing it)."""
    return hmac.new(key, b"onemap audit key id", hashlib.sha256).hexdigest()[:16]


@dataclass(frozen=True)
class Keyring:
    """The node's audit keys, newest first, and where they came from (a file path or the environment)."""

    keys: tuple[bytes, ...]
    source: str

    @property
    def newest(self) -> bytes:
        return self.keys[0]

    def find(self, wanted: str) -> bytes | None:
        """The key whose :func:`key_id` is ``wanted`` (None if the ring does not hold it)."""
        return next((key for key in self.keys if key_id(key) == wanted), None)


def key_path(conn: Connection, settings: SecuritySettings | None = None) -> Path | None:
    """The key file of the records database behind ``conn`` (None when the keys come from the environment)."""
    settings = resolve_settings(settings)
    if settings.audit_key.get_secret_value():
        return None
    if settings.audit_key_file is not None:
        return settings.audit_key_file
    return _default_path(conn.engine.url.database if conn.dialect.name == "sqlite" else None,
                         get_settings().data_dir)


@lru_cache(maxsize=64)
def _default_path(database: str | None, data_dir: Path) -> Path:
    # Cached: resolving the path costs system calls, and every audit row asks.
    if database and database != ":memory:":
        return Path(database).resolve().parent / KEY_FILENAME
    return data_dir.resolve() / KEY_FILENAME


def audit_keyring(conn: Connection, settings: SecuritySettings | None = None) -> Keyring:
    """The keyring of ``conn``'s records database (the default key file is created if missing)."""
    ring = existing_keyring(conn, settings, create=True)
    assert ring is not None
    return ring


def existing_keyring(conn: Connection, settings: SecuritySettings | None = None, *, create: bool = False,
                     reload: bool = False) -> Keyring | None:
    """The keyring, or None if the default key file does not exist yet (verification never creates one)."""
    settings = resolve_settings(settings)
    path = key_path(conn, settings)
    if path is None:
        return _environment_ring(settings)
    where = str(path)
    ring = None if reload else _cache.get(where)
    if ring is not None:
        return ring
    if not create and settings.audit_key_file is None and not path.exists():
        return None
    with _lock:
        if reload or where not in _cache:
            _cache[where] = _ring(_read_or_create(path, create=settings.audit_key_file is None), where)
        return _cache[where]


def key_for(conn: Connection, wanted: str, settings: SecuritySettings | None = None) -> bytes | None:
    """The key named ``wanted``, reading the ring again once if the cached one lacks it (rotated elsewhere)."""
    ring = existing_keyring(conn, settings)
    key = ring.find(wanted) if ring is not None else None
    if key is None and ring is not None and key_path(conn, settings) is not None:
        ring = existing_keyring(conn, settings, reload=True)
        key = ring.find(wanted) if ring is not None else None
    return key


def add_key(conn: Connection, settings: SecuritySettings | None = None) -> bytes:
    """Put a new random key at the head of the ring's file (the older keys stay after it) and return it.

    Keys from the environment cannot be written here: the operator sets the new ``ONEMAP_AUDIT_KEY`` and moves
    the old one into ``ONEMAP_AUDIT_PREVIOUS_KEYS`` before rotating.
    """
    settings = resolve_settings(settings)
    path = key_path(conn, settings)
    if path is None:
        raise ConfigurationError(
            "审计密钥来自环境变量 ONEMAP_AUDIT_KEY,本命令不能改写:请把新密钥设为 ONEMAP_AUDIT_KEY、"
            "旧密钥移入 ONEMAP_AUDIT_PREVIOUS_KEYS,再执行 onemap audit rotate-key",
            "audit key from the environment: set the new key there before rotating")
    ring = audit_keyring(conn, settings)
    value = secrets.token_hex(32)
    lines = [value] + [key.decode("utf-8") for key in ring.keys]
    _replace_file(path, "# onemap 审计密钥:第一行为最新密钥,其后为轮换前的旧密钥(校验旧记录需要,勿删)\n"
                  + "\n".join(lines) + "\n")
    with _lock:
        _cache[str(path)] = _ring("\n".join(lines), str(path))
    return value.encode("utf-8")


def forget_keys() -> None:
    """Drop the cached keyrings (tests; a process that rotated its key file)."""
    with _lock:
        _cache.clear()


def _environment_ring(settings: SecuritySettings) -> Keyring:
    newest = _checked(settings.audit_key.get_secret_value(), ENVIRONMENT)
    previous = [_checked(value.strip(), "ONEMAP_AUDIT_PREVIOUS_KEYS")
                for value in settings.audit_previous_keys.get_secret_value().split(",") if value.strip()]
    return Keyring((newest, *previous), ENVIRONMENT)


def _ring(text: str, source: str) -> Keyring:
    values = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not values:
        raise ConfigurationError(f"审计密钥文件为空:{source}", f"audit key file {source} is empty")
    return Keyring(tuple(_checked(value, source) for value in values), source)


def _read_or_create(path: Path, *, create: bool) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if not create:
            raise ConfigurationError(f"审计密钥文件不存在:{path}(ONEMAP_AUDIT_KEY_FILE)",
                                     f"audit key file {path} missing") from None
    except OSError as exc:
        raise ConfigurationError(f"审计密钥文件无法读取:{path}", f"cannot read audit key {path}: {exc}") from exc
    return _create(path)


def _create(path: Path) -> str:
    value = secrets.token_hex(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = _private_file(path, value + "\n")
    try:
        # link() never replaces: two processes starting together agree on the first one's complete key.
        os.link(temporary, path)
    except FileExistsError:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"无法创建审计密钥文件:{path}", f"cannot create audit key {path}: {exc}") from exc
    finally:
        temporary.unlink(missing_ok=True)
    return value


def _replace_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (a reader sees the old ring or the new one, never half of one)."""
    temporary = _private_file(path, text)
    try:
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise ConfigurationError(f"无法写入审计密钥文件:{path}", f"cannot write audit key {path}: {exc}") from exc


def _private_file(beside: Path, text: str) -> Path:
    """A new mode-0600 file holding ``text`` next to ``beside``, flushed to disk."""
    temporary = beside.with_name(f".{beside.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise ConfigurationError(f"无法写入审计密钥文件:{beside}", f"cannot write beside {beside}: {exc}") from exc
    return temporary


def _checked(value: str, source: str) -> bytes:
    if len(value) < MIN_KEY_LENGTH:
        raise ConfigurationError(f"审计密钥过短({source}):至少 {MIN_KEY_LENGTH} 个字符",
                                 f"audit key from {source} shorter than {MIN_KEY_LENGTH}")
    return value.encode("utf-8")
