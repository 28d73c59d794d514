"""``onemap config check``: placeholder secrets refused outside development mode, 等保 thresholds reported."""

from __future__ import annotations

import pytest

from onemap.security.deployment import assert_deployable, check_deployment
from onemap.security.errors import ConfigurationError
from onemap.security.settings import SecuritySettings, signing_key

GOOD_KEY = "x7Qm2Lr9Vt4Kp8Zs1Nd6Hc3Jf5Wb0Ya-Tg4"


def _by_title(settings: SecuritySettings) -> dict:
    return {check.title: check for check in check_deployment(settings)}


@pytest.mark.parametrize("secret", ["", "change-me", "CHANGEME", "secret", "please-change-this-key-now-0123456789",
                                    "tooshort"])
def test_placeholder_secret_is_an_error_outside_dev_mode(secret: str) -> None:
    settings = SecuritySettings(_env_file=None, secret_key=secret)
    check = _by_title(settings)["签名密钥"]
    assert not check.ok and check.severity == "error" and "ONEMAP_SECRET_KEY" in check.message
    with pytest.raises(ConfigurationError, match="安全配置不符合要求:签名密钥"):
        assert_deployable(settings)
    with pytest.raises(ConfigurationError, match="ONEMAP_SECRET_KEY"):
        signing_key(settings)


def test_dev_mode_tolerates_a_placeholder_with_warnings() -> None:
    settings = SecuritySettings(_env_file=None, secret_key="change-me", dev_mode=True)
    checks = _by_title(settings)
    assert checks["签名密钥"].severity == "warning" and checks["开发模式"].severity == "warning"
    assert_deployable(settings)
    assert len(signing_key(settings)) == 32  # a random key of this process, not the placeholder


def test_good_configuration_passes() -> None:
    settings = SecuritySettings(_env_file=None, secret_key=GOOD_KEY, require_totp_for_admins=True)
    assert [c.title for c in check_deployment(settings) if not c.ok] == []
    assert_deployable(settings)
    assert signing_key(settings) == GOOD_KEY.encode()


@pytest.mark.parametrize(("change", "title", "severity"), [
    ({"audit_retention_days": 90}, "审计日志保存期", "error"),
    ({"lockout_attempts": 20}, "登录失败处理", "error"),
    ({"password_min_length": 6}, "口令复杂度", "error"),
    ({"password_expiry_days": 0}, "口令有效期", "warning"),
    ({"session_idle_minutes": 120}, "会话超时", "warning"),
    ({"require_totp_for_admins": False}, "双因素认证", "warning"),
])
def test_thresholds(change: dict, title: str, severity: str) -> None:
    settings = SecuritySettings(_env_file=None, **{"secret_key": GOOD_KEY, "require_totp_for_admins": True, **change})
    check = _by_title(settings)[title]
    assert not check.ok and check.severity == severity


def test_environment_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONEMAP_EDITION", "internet")
    monkeypatch.setenv("ONEMAP_LOCKOUT_ATTEMPTS", "3")
    settings = SecuritySettings(_env_file=None)
    assert settings.edition == "internet" and settings.lockout_attempts == 3
    assert "互联网版" in _by_title(settings)["部署版本"].message
    monkeypatch.setenv("ONEMAP_EDITION", "intranet")
    with pytest.raises(ValueError):
        SecuritySettings(_env_file=None)
