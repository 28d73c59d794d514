"""Second factor: TOTP enrolment and verification with pyotp codes, required for administrators when configured."""

from __future__ import annotations

import pyotp
import pytest
from sqlalchemy import Engine

from onemap.errors import ConflictError, InputError
from onemap.security.authentication import authenticate
from onemap.security.errors import AuthenticationError, PermissionDeniedError, SecondFactorRequiredError
from onemap.security.totp import confirm_totp, disable_totp, enable_totp
from tests.records.fixtures import STRONG


def _enrol(records: Engine, username: str, clock) -> pyotp.TOTP:
    with records.begin() as conn:
        setup = enable_totp(conn, actor=None, username=username)
    totp = pyotp.TOTP(setup.secret)
    assert setup.uri.startswith("otpauth://totp/") and username in setup.uri
    with records.begin() as conn:
        assert confirm_totp(conn, username=username, code=totp.at(clock())).totp_enabled
    clock.advance(seconds=30)  # the confirmation code is spent
    return totp


def _second_factor_refusal(records, settings, username: str, code: str | None) -> SecondFactorRequiredError:
    with pytest.raises(SecondFactorRequiredError) as caught:
        authenticate(records, username=username, password=STRONG, totp=code, settings=settings)
    return caught.value


def test_admins_need_totp_when_configured(make_user, records, settings, clock) -> None:
    required = settings.model_copy(update={"require_totp_for_admins": True})
    make_user("sys", ["系统管理员"])
    make_user("clerk", ["业务人员"])
    assert authenticate(records, username="sys", password=STRONG, settings=settings)  # not configured: fine
    refusal = _second_factor_refusal(records, required, "sys", None)
    assert refusal.reason == "totp_not_enrolled" and "动态口令" in refusal.message_zh
    assert authenticate(records, username="clerk", password=STRONG, settings=required)  # business roles unaffected
    totp = _enrol(records, "sys", clock)
    assert _second_factor_refusal(records, required, "sys", None).reason == "totp_missing"
    assert authenticate(records, username="sys", password=STRONG, totp=totp.at(clock()), settings=required)


def test_wrong_or_replayed_code_refused(make_user, records, settings, clock) -> None:
    make_user("alice", ["业务人员"])
    totp = _enrol(records, "alice", clock)
    code = totp.at(clock())
    wrong = str((int(code) + 1) % 1_000_000).zfill(6)
    assert _second_factor_refusal(records, settings, "alice", wrong).reason == "bad_totp"
    assert authenticate(records, username="alice", password=STRONG, totp=code, settings=settings)
    assert _second_factor_refusal(records, settings, "alice", code).reason == "bad_totp"  # replay
    clock.advance(seconds=30)  # the used code is now one step old, still inside the drift window
    assert totp.at(clock(), counter_offset=-1) == code
    assert _second_factor_refusal(records, settings, "alice", code).reason == "bad_totp"
    assert authenticate(records, username="alice", password=STRONG, totp=totp.at(clock()), settings=settings)


def test_code_from_previous_step_accepted_for_clock_drift(make_user, records, settings, clock) -> None:
    make_user("alice", ["业务人员"])
    totp = _enrol(records, "alice", clock)
    clock.advance(seconds=60)
    late = totp.at(clock(), counter_offset=-1)
    assert authenticate(records, username="alice", password=STRONG, totp=late, settings=settings)
    clock.advance(seconds=90)
    stale = totp.at(clock(), counter_offset=-3)
    assert _second_factor_refusal(records, settings, "alice", stale).reason == "bad_totp"


def test_wrong_codes_count_towards_lockout(make_user, records, settings, clock) -> None:
    make_user("alice", ["业务人员"])
    _enrol(records, "alice", clock)
    for _ in range(5):
        _second_factor_refusal(records, settings, "alice", "123x56")
    with pytest.raises(AuthenticationError) as caught:
        authenticate(records, username="alice", password=STRONG, totp="000000", settings=settings)
    assert caught.value.reason == "locked"


def test_enrolment_rules(make_user, records, clock) -> None:
    alice, bob = make_user("alice", ["业务人员"]), make_user("bob", ["系统管理员"])
    with records.begin() as conn, pytest.raises(PermissionDeniedError):
        enable_totp(conn, actor=alice, username="bob")
    with records.begin() as conn, pytest.raises(ConflictError):
        confirm_totp(conn, username="alice", code="123456")
    with records.begin() as conn:
        setup = enable_totp(conn, actor=alice, username="alice")
    with records.begin() as conn, pytest.raises(InputError, match="动态口令错误"):
        confirm_totp(conn, username="alice", code="12345")
    with records.begin() as conn:
        confirm_totp(conn, username="alice", code=pyotp.TOTP(setup.secret).at(clock()))
    with records.begin() as conn, pytest.raises(ConflictError, match="已启用"):
        enable_totp(conn, actor=alice, username="alice")
    with records.begin() as conn:
        assert not disable_totp(conn, actor=bob, username="alice").totp_enabled
