"""Security settings of a deployment (pydantic-settings, ``ONEMAP_`` prefix) and the edition table.

Defaults follow GB/T 22239-2019 level 3 where it names a value and common practice where it does not;
``onemap config check`` (:func:`onemap.security.deployment.check_deployment`) reports each one.
"""

from __future__ import annotations

import csv
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from onemap.errors import StandardsError
from onemap.security.errors import ConfigurationError

DATA = Path(__file__).parent / "data"
Edition = Literal["internet", "government", "classified"]
# Values people leave in .env files; an HS256 key should carry at least 256 bits (RFC 7518 3.2).
PLACEHOLDER_SECRETS = frozenset({"", "change-me", "changeme", "change_me", "secret", "password", "onemap",
                                 "dev", "test", "example", "your-secret-key", "please-change"})
MIN_SECRET_LENGTH = 32


class SecuritySettings(BaseSettings):
    """Authentication, session, audit and edition settings of one node."""

    model_config = SettingsConfigDict(env_prefix="ONEMAP_", env_file=".env", extra="ignore")

    dev_mode: bool = Field(False, description="开发模式:允许占位密钥,不得用于生产")
    secret_key: SecretStr = Field(SecretStr(""), description="会话令牌和 CSRF 令牌的签名密钥(至少 32 个字符)")
    edition: Edition = Field("government",
                             description="版本:internet 互联网版 | government 政务网版 | classified 涉密版")
    session_idle_minutes: int = Field(15, ge=1, description="会话空闲超时(分钟)")
    session_max_hours: int = Field(12, ge=1, description="会话最长有效期(小时)")
    token_max_days: int = Field(90, ge=1, description="个人访问令牌最长有效期(天)")
    lockout_attempts: int = Field(5, ge=1, description="连续登录失败多少次后锁定")
    lockout_minutes: int = Field(30, ge=1, description="锁定时长(分钟)")
    login_rate_attempts: int = Field(10, ge=1, description="同一地址每个时间窗内最多的登录(含修改口令)请求数")
    login_rate_seconds: int = Field(60, ge=1, description="登录限速时间窗(秒),各服务进程共用(业务记录库)")
    password_expiry_days: int = Field(90, ge=0, description="口令有效期(天),0 表示不过期")
    password_min_length: int = Field(8, ge=1, description="口令最小长度")
    require_totp_for_admins: bool = Field(False, description="管理员账号必须使用动态口令(TOTP)")
    audit_retention_days: int = Field(180, ge=1, description="审计日志最短保存期(天)")
    audit_key: SecretStr = Field(SecretStr(""), description="审计日志链的 HMAC 密钥(留空则读密钥文件)")
    audit_key_file: Path | None = Field(None, description="审计密钥文件;默认为记录库旁的 audit.key")
    audit_previous_keys: SecretStr = Field(
        SecretStr(""), description="轮换前用过的审计密钥(逗号分隔),与 ONEMAP_AUDIT_KEY 同用,用于校验旧记录")
    audit_checkpoint_rows: int = Field(100, ge=1, description="每写入多少条审计记录签一个检查点")
    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = Field("HS256", description="会话令牌签名算法")
    extra_policy: list[Path] = Field(default_factory=list, description="省市扩展的权限策略 CSV,追加到内置策略")


@lru_cache
def get_security_settings() -> SecuritySettings:
    """The process-wide security settings (read once from the environment)."""
    return SecuritySettings()


def resolve_settings(settings: SecuritySettings | None) -> SecuritySettings:
    """``settings`` or the process-wide ones."""
    return settings if settings is not None else get_security_settings()


def is_placeholder_secret(value: str) -> bool:
    """Whether ``value`` is empty, a known placeholder or too short to sign tokens."""
    return value.strip().lower() in PLACEHOLDER_SECRETS or "change" in value.lower() or len(value) < MIN_SECRET_LENGTH


_DEV_KEY = secrets.token_bytes(32)


def signing_key(settings: SecuritySettings) -> bytes:
    """The key that signs session and CSRF tokens; a placeholder is refused outside development mode.

    In development mode a placeholder is replaced by a random key of this process, so tokens die with it.
    """
    value = settings.secret_key.get_secret_value()
    if not is_placeholder_secret(value):
        return value.encode("utf-8")
    if settings.dev_mode:
        return _DEV_KEY
    raise ConfigurationError(
        f"ONEMAP_SECRET_KEY 未设置或为占位值(至少 {MIN_SECRET_LENGTH} 个随机字符);"
        "请用 `python -c \"import secrets; print(secrets.token_urlsafe(48))\"` 生成后配置,"
        "或仅在开发环境设置 ONEMAP_DEV_MODE=true",
        "secret key missing or placeholder outside dev mode")


@dataclass(frozen=True)
class EditionInfo:
    """One edition of the platform and the highest security level it may store and serve."""

    edition: str
    name_zh: str
    ceiling: str
    network_zh: str
    description_zh: str


@lru_cache
def editions() -> dict[str, EditionInfo]:
    """The editions table (``data/editions.csv``)."""
    path = DATA / "editions.csv"
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        return {row["edition"]: EditionInfo(row["edition"], row["name_zh"], row["ceiling"], row["network_zh"],
                                            row["description_zh"]) for row in rows}
    except (OSError, KeyError) as exc:
        raise StandardsError(f"版本表读取失败:{path}({exc})", f"cannot read {path}: {exc}") from exc


def edition_info(settings: SecuritySettings) -> EditionInfo:
    """The edition of ``settings``."""
    try:
        return editions()[settings.edition]
    except KeyError:
        raise StandardsError(f"版本表中没有“{settings.edition}”", f"edition {settings.edition} not in table") from None
