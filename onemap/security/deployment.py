"""``onemap config check``: is this deployment's security configuration fit for production?

Each check has a Chinese title and message and a severity: an ``error`` refuses the deployment
(outside development mode), a ``warning`` is reported. The thresholds cite GB/T 22239-2019 level 3
and the 网络安全法 where they come from.
"""

from __future__ import annotations

from dataclasses import dataclass

from onemap.errors import OnemapError
from onemap.security.errors import ConfigurationError
from onemap.security.settings import (
    MIN_SECRET_LENGTH,
    SecuritySettings,
    edition_info,
    is_placeholder_secret,
    resolve_settings,
)


@dataclass(frozen=True)
class Check:
    """One check of the deployment."""

    title: str
    ok: bool
    message: str
    severity: str = "error"  # error | warning


def _secret(s: SecuritySettings) -> Check:
    if not is_placeholder_secret(s.secret_key.get_secret_value()):
        return Check("签名密钥", True, "ONEMAP_SECRET_KEY 已设置")
    message = f"ONEMAP_SECRET_KEY 未设置或为占位值(至少 {MIN_SECRET_LENGTH} 个随机字符)"
    if s.dev_mode:
        return Check("签名密钥", False, message + ";开发模式下使用进程内随机密钥", "warning")
    return Check("签名密钥", False, message + ";生产部署必须设置")


def _checks(s: SecuritySettings) -> list[Check]:
    return [
        _secret(s),
        Check("开发模式", not s.dev_mode, "已开启开发模式,不得用于生产" if s.dev_mode else "未开启", "warning"),
        Check("登录失败处理", 1 <= s.lockout_attempts <= 10 and s.lockout_minutes >= 10,
              f"连续失败 {s.lockout_attempts} 次锁定 {s.lockout_minutes} 分钟(应不超过 10 次、不少于 10 分钟,"
              "GB/T 22239-2019 8.1.4.1 b)"),
        Check("会话超时", s.session_idle_minutes <= 30,
              f"空闲 {s.session_idle_minutes} 分钟后退出(建议不超过 30 分钟)", "warning"),
        Check("口令复杂度", s.password_min_length >= 8,
              f"口令至少 {s.password_min_length} 位且包含三类字符(应不少于 8 位,GB/T 22239-2019 8.1.4.1 a)"),
        Check("口令有效期", 0 < s.password_expiry_days <= 180,
              ("口令永不过期" if s.password_expiry_days == 0 else f"口令 {s.password_expiry_days} 天后须更换")
              + "(应定期更换,建议不超过 180 天)", "warning"),
        Check("双因素认证", s.require_totp_for_admins,
              "管理员须使用动态口令" if s.require_totp_for_admins else
              "未要求管理员使用动态口令(等保三级应采用两种或以上组合鉴别技术,GB/T 22239-2019 8.1.4.1 d)",
              "warning"),
        Check("审计日志保存期", s.audit_retention_days >= 180,
              f"审计日志至少保存 {s.audit_retention_days} 天(《网络安全法》第二十一条:不少于六个月)"),
        _edition(s),
        _policy(s),
    ]


def _edition(s: SecuritySettings) -> Check:
    try:
        info = edition_info(s)
    except OnemapError as exc:
        return Check("部署版本", False, exc.message_zh)
    return Check("部署版本", True, f"{info.name_zh}({info.network_zh}):最高存储和提供“{info.ceiling}”级数据")


def _policy(s: SecuritySettings) -> Check:
    from onemap.security.roles import load_policy

    try:
        rules = load_policy(tuple(s.extra_policy))
    except OnemapError as exc:
        return Check("权限策略", False, exc.message_zh)
    return Check("权限策略", True, f"{len(rules)} 条策略,三员分立检查通过")


def check_deployment(settings: SecuritySettings | None = None) -> list[Check]:
    """Every check of the security configuration (see :class:`Check`)."""
    return _checks(resolve_settings(settings))


def assert_deployable(settings: SecuritySettings | None = None) -> None:
    """Raise ConfigurationError when any error-level check fails (the web shell calls this on start)."""
    config = resolve_settings(settings)
    failed = [c for c in check_deployment(config) if not c.ok and c.severity == "error"]
    if failed and not config.dev_mode:
        raise ConfigurationError("安全配置不符合要求:" + ";".join(f"{c.title}:{c.message}" for c in failed),
                                 f"unsafe configuration: {[c.title for c in failed]}")
