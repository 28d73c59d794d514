"""The audit chain's HMAC key (审计密钥), kept apart from the records database.

Whoever can write the records database must not be able to recompute the chain, so the key never lives
in it. In order of precedence: ``ONEMAP_AUDIT_KEY`` (the key itself), ``ONEMAP_AUDIT_KEY_FILE`` (a file
holding it), else ``audit.key`` beside the SQLite records file, or ``<ONEMAP_DATA_DIR>/audit.key`` for
PostgreSQL records. A missing default file is created on first use with mode 0600 (32 random bytes, hex).
The key is read once per process and location: every audit row needs it, a file read per row does not.
"""

from __future__ import annotations

import os
import secrets
import threading
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Connection

from onemap.config import get_settings
from onemap.security.errors import ConfigurationError
from onemap.security.settings import SecuritySettings, resolve_settings

KEY_FILENAME = "audit.key"
MIN_KEY_LENGTH = 32  # characters; 32 hex characters carry 128 bits

_cache: dict[str, bytes] = {}
_lock = threading.Lock()


def key_path(conn: Connection, settings: SecuritySettings | None = None) -> Path | None:
    """The key file of the records database behind ``conn`` (None when the key comes from the environment)."""
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


def audit_key(conn: Connection, settings: SecuritySettings | None = None) -> bytes:
    """The HMAC key of the audit chain of ``conn``'s records database (a key file is read once per process)."""
    key = existing_audit_key(conn, settings, create=True)
    assert key is not None
    return key


def existing_audit_key(conn: Connection, settings: SecuritySettings | None = None, *,
                       create: bool = False) -> bytes | None:
    """The key, or None if the default key file does not exist yet (verification never creates one)."""
    settings = resolve_settings(settings)
    path = key_path(conn, settings)
    if path is None:
        return _checked(settings.audit_key.get_secret_value(), "ONEMAP_AUDIT_KEY")
    where = str(path)
    key = _cache.get(where)
    if key is not None:
        return key
    if not create and settings.audit_key_file is None and not path.exists():
        return None
    with _lock:
        if where not in _cache:
            _cache[where] = _checked(_read_or_create(path, create=settings.audit_key_file is None), where)
        return _cache[where]


def forget_keys() -> None:
    """Drop the cached keys (tests; a process that rotated its key file)."""
    with _lock:
        _cache.clear()


def _read_or_create(path: Path, *, create: bool) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
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
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(value + "\n")
        # link() never replaces: two processes starting together agree on the first one's complete key.
        os.link(temporary, path)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigurationError(f"无法创建审计密钥文件:{path}", f"cannot create audit key {path}: {exc}") from exc
    finally:
        temporary.unlink(missing_ok=True)
    return value


def _checked(value: str, source: str) -> bytes:
    if len(value) < MIN_KEY_LENGTH:
        raise ConfigurationError(f"审计密钥过短({source}):至少 {MIN_KEY_LENGTH} 个字符",
                                 f"audit key from {source} shorter than {MIN_KEY_LENGTH}")
    return value.encode("utf-8")
