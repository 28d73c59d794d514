"""Sign-in: one message for every failure before the password is proven, lockout per account and address,
expiry, password change, the shared rate limit."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from onemap.errors import InputError, RateLimitedError
from onemap.records import audit_log
from onemap.records.tables import login_failures
from onemap.security.accounts import lock_user, reset_password, unlock_user
from onemap.security.authentication import WRONG_CREDENTIALS, authenticate, change_password
from onemap.security.errors import AuthenticationError, PasswordExpiredError
from onemap.security.settings import SecuritySettings
from tests.records.fixtures import STRONG

NEW = "Guihua@2036x"


def _refusal(records: Engine, settings, username: str, password: str, ip: str = "10.0.0.8") -> AuthenticationError:
    with pytest.raises(AuthenticationError) as caught:
        authenticate(records, username=username, password=password, ip=ip, settings=settings)
    return caught.value


def test_unknown_user_and_wrong_password_look_the_same(make_user, records: Engine, settings) -> None:
    make_user("alice", ["业务人员"])
    unknown, wrong = _refusal(records, settings, "nobody", STRONG), _refusal(records, settings, "alice", "Wrong#123")
    assert type(unknown) is type(wrong) is AuthenticationError
    assert unknown.message_zh == wrong.message_zh == WRONG_CREDENTIALS
    assert (unknown.reason, wrong.reason) == ("unknown_user", "bad_password")
    with records.connect() as conn:
        rows = conn.execute(select(audit_log.c.username, audit_log.c.ip, audit_log.c.result, audit_log.c.detail)
                            .where(audit_log.c.action == "auth.login")).all()
    assert [(r.username, r.ip, r.result) for r in rows] == [("nobody", "10.0.0.8", "failure"),
                                                            ("alice", "10.0.0.8", "failure")]
    assert "unknown_user" in rows[0].detail and "bad_password" in rows[1].detail


def test_lockout_after_five_failures_then_unlock_after_thirty_minutes(make_user, records, settings, clock) -> None:
    make_user("alice", ["业务人员"])
    for _ in range(4):
        assert _refusal(records, settings, "alice", "Wrong#123").reason == "bad_password"
    # the right password resets the count
    assert authenticate(records, username="alice", password=STRONG, ip="10.0.0.8", settings=settings)
    for _ in range(5):
        _refusal(records, settings, "alice", "Wrong#123")
    locked = _refusal(records, settings, "alice", STRONG)  # the right password is refused while locked
    assert locked.reason == "locked" and locked.message_zh == WRONG_CREDENTIALS
    clock.advance(minutes=29)
    assert _refusal(records, settings, "alice", STRONG).reason == "locked"
    clock.advance(minutes=2)
    assert authenticate(records, username="alice", password=STRONG, ip="10.0.0.8", settings=settings)
    with records.connect() as conn:
        lockouts = conn.execute(select(audit_log.c.id).where(audit_log.c.action == "auth.lockout")).all()
    assert len(lockouts) == 1


def test_lockout_thresholds_follow_settings(make_user, records, settings, clock) -> None:
    strict = settings.model_copy(update={"lockout_attempts": 3, "lockout_minutes": 10})
    make_user("alice", ["业务人员"])
    for _ in range(3):
        _refusal(records, strict, "alice", "Wrong#123")
    assert _refusal(records, strict, "alice", STRONG).reason == "locked"
    clock.advance(minutes=11)
    assert authenticate(records, username="alice", password=STRONG, ip="10.0.0.8", settings=strict)


def test_administrator_unlocks_early(make_user, records, settings, clock) -> None:
    make_user("alice", ["业务人员"])
    for _ in range(5):
        _refusal(records, settings, "alice", "Wrong#123")
    with records.begin() as conn:
        unlock_user(conn, actor=None, username="alice")
    assert authenticate(records, username="alice", password=STRONG, ip="10.0.0.8", settings=settings)


def test_password_set_by_administrator_must_be_changed(make_user, records, settings) -> None:
    make_user("alice", ["业务人员"], must_change_password=True)
    with pytest.raises(PasswordExpiredError, match="请先修改口令") as caught:
        authenticate(records, username="alice", password=STRONG, ip="10.0.0.8", settings=settings)
    assert caught.value.reason == "must_change_password"
    change_password(records, username="alice", old_password=STRONG, new_password=NEW, settings=settings)
    assert authenticate(records, username="alice", password=NEW, settings=settings)
    with records.begin() as conn:
        reset_password(conn, actor=None, username="alice", password=STRONG, settings=settings)
    with pytest.raises(PasswordExpiredError):
        authenticate(records, username="alice", password=STRONG, ip="10.0.0.8", settings=settings)


def test_password_expires_after_configured_days(make_user, records, settings, clock) -> None:
    make_user("alice", ["业务人员"])
    clock.advance(days=89)
    assert authenticate(records, username="alice", password=STRONG, ip="10.0.0.8", settings=settings)
    clock.advance(days=2)
    with pytest.raises(PasswordExpiredError, match="90 天") as caught:
        authenticate(records, username="alice", password=STRONG, ip="10.0.0.8", settings=settings)
    assert caught.value.reason == "password_expired"
    never = settings.model_copy(update={"password_expiry_days": 0})
    assert authenticate(records, username="alice", password=STRONG, settings=never)
    change_password(records, username="alice", old_password=STRONG, new_password=NEW, settings=settings)
    assert authenticate(records, username="alice", password=NEW, settings=settings)


def test_expired_password_with_wrong_password_is_just_wrong(make_user, records, settings, clock) -> None:
    make_user("alice", ["业务人员"])
    clock.advance(days=100)
    assert _refusal(records, settings, "alice", "Wrong#123").reason == "bad_password"


def test_change_password_rules(make_user, records, settings) -> None:
    make_user("alice", ["业务人员"])
    with pytest.raises(InputError, match="不得与原口令相同"):
        change_password(records, username="alice", old_password=STRONG, new_password=STRONG, settings=settings)
    with pytest.raises(InputError, match="不符合安全策略"):
        change_password(records, username="alice", old_password=STRONG, new_password="alice", settings=settings)
    with pytest.raises(AuthenticationError, match=WRONG_CREDENTIALS):
        change_password(records, username="alice", old_password="Wrong#123", new_password=NEW, settings=settings)
    assert authenticate(records, username="alice", password=STRONG, ip="10.0.0.8", settings=settings)


def test_wrong_old_password_counts_towards_lockout(make_user, records, settings) -> None:
    make_user("alice", ["业务人员"])
    for _ in range(5):
        with pytest.raises(AuthenticationError):
            change_password(records, username="alice", old_password="Wrong#123", new_password=NEW, ip="10.0.0.8",
                            settings=settings)
    assert _refusal(records, settings, "alice", STRONG).reason == "locked"
    with pytest.raises(AuthenticationError, match=WRONG_CREDENTIALS):  # the right old password, still locked
        change_password(records, username="alice", old_password=STRONG, new_password=NEW, ip="10.0.0.8",
                        settings=settings)


def test_failing_from_elsewhere_never_locks_the_owner_out(make_user, records, settings, clock) -> None:
    make_user("admin", ["系统管理员"])
    for _lock in range(3):  # an attacker keeps failing on purpose, lock after lock
        for _ in range(5):
            _refusal(records, settings, "admin", "Wrong#123", ip="203.0.113.9")
        assert _refusal(records, settings, "admin", STRONG, ip="203.0.113.9").reason == "locked"
        assert authenticate(records, username="admin", password=STRONG, ip="10.0.0.1", settings=settings)
        clock.advance(minutes=31)
    with records.connect() as conn:
        lockouts = conn.execute(select(audit_log.c.ip).where(audit_log.c.action == "auth.lockout")).all()
    assert [row.ip for row in lockouts] == ["203.0.113.9"] * 3


def test_console_unlock_lifts_every_address_lock_and_the_manual_lock(make_user, records, settings) -> None:
    make_user("admin", ["系统管理员"])
    for ip in ("10.0.0.1", "10.0.0.2"):
        for _ in range(5):
            _refusal(records, settings, "admin", "Wrong#123", ip=ip)
    with records.begin() as conn:
        lock_user(conn, actor=None, username="admin")
    assert _refusal(records, settings, "admin", STRONG, ip="10.0.0.3").reason == "locked"  # manual: everywhere
    with records.begin() as conn:
        unlock_user(conn, actor=None, username="admin")
        assert conn.execute(select(login_failures)).all() == []
    for ip in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        assert authenticate(records, username="admin", password=STRONG, ip=ip, settings=settings)


def test_failures_in_a_row_are_forgotten_after_the_lockout_time(make_user, records, settings, clock) -> None:
    make_user("alice", ["业务人员"])
    for _ in range(4):
        _refusal(records, settings, "alice", "Wrong#123")
    clock.advance(minutes=31)
    for _ in range(4):
        assert _refusal(records, settings, "alice", "Wrong#123").reason == "bad_password"
    assert authenticate(records, username="alice", password=STRONG, ip="10.0.0.8", settings=settings)


def test_rate_limit_is_shared_by_every_engine_on_the_records(records_url: str, records, settings, clock) -> None:
    """Two engines on one database stand for two worker processes: together they get the allowance once."""
    from onemap.records import open_records
    from onemap.security.login_guard import check_rate

    other = open_records(records_url)
    try:
        limited = settings.model_copy(update={"login_rate_attempts": 4, "login_rate_seconds": 60})
        for engine in (records, other, records, other):
            check_rate(engine, "10.0.0.8", settings=limited)
        for engine in (records, other):
            with pytest.raises(RateLimitedError, match="过于频繁"):
                check_rate(engine, "10.0.0.8", settings=limited)
        check_rate(other, "10.0.0.9", settings=limited)  # another address has its own allowance
        clock.advance(seconds=61)
        check_rate(records, "10.0.0.8", settings=limited)
    finally:
        other.dispose()


def test_settings_reject_nonsense() -> None:
    with pytest.raises(ValueError):
        SecuritySettings(_env_file=None, lockout_attempts=0)


def test_absurd_username_is_refused_and_audited_not_a_database_error(records, settings) -> None:
    refusal = _refusal(records, settings, "x" * 5000, STRONG)
    assert refusal.reason == "unknown_user"
    with records.connect() as conn:
        assert conn.execute(select(audit_log.c.username)).scalar_one() == "x" * 64
