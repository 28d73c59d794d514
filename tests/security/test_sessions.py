"""Server-side sessions: signed token with only the session id, idle timeout, logout, tampering, CSRF."""

from __future__ import annotations

import base64
import json

import jwt
import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, select

from onemap.records import sessions
from onemap.security.accounts import lock_user
from onemap.security.authentication import change_password
from onemap.security.errors import AuthenticationError, ConfigurationError, PermissionDeniedError
from onemap.security.sessions import check_csrf, csrf_token, login, logout, resolve, resolve_session
from tests.records.fixtures import STRONG


@pytest.fixture
def alice(make_user):
    """A business account."""
    return make_user("alice", ["业务人员"], region_code="341123")


def _login(records: Engine, settings, username: str = "alice") -> str:
    return login(records, username=username, password=STRONG, ip="10.1.2.3", user_agent="pytest",
                 settings=settings).token


def _resolve(records: Engine, token: str, settings):
    with records.begin() as conn:
        return resolve(conn, token, settings=settings)


def _refused(records: Engine, token: str, settings) -> AuthenticationError:
    with pytest.raises(AuthenticationError) as caught:
        _resolve(records, token, settings)
    return caught.value


def test_token_holds_only_the_session_id(alice, records, settings) -> None:
    token = _login(records, settings)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert set(claims) == {"sid", "iat", "exp"}
    assert _resolve(records, token, settings).username == "alice"
    with records.connect() as conn:
        stored = conn.execute(select(sessions.c.id)).scalar_one()
    assert stored != claims["sid"] and len(stored) == 64  # only the hash is stored


def test_idle_timeout(alice, records, settings, clock) -> None:
    token = _login(records, settings)
    for _ in range(3):  # activity keeps the session alive well past 15 minutes in total
        clock.advance(minutes=14)
        assert _resolve(records, token, settings).username == "alice"
    clock.advance(minutes=16)
    refusal = _refused(records, token, settings)
    assert refusal.reason == "idle" and "超时" in refusal.message_zh


def test_absolute_lifetime(alice, records, settings, clock) -> None:
    patient = settings.model_copy(update={"session_idle_minutes": 24 * 60, "session_max_hours": 2})
    token = _login(records, patient)
    clock.advance(minutes=119)
    assert _resolve(records, token, patient)
    clock.advance(minutes=2)
    assert _refused(records, token, patient).reason == "expired"


def test_logout_revokes_on_the_server(alice, records, settings) -> None:
    token = _login(records, settings)
    other = _login(records, settings)
    with records.begin() as conn:
        logout(conn, token, settings=settings)
    jwt.decode(token, settings.secret_key.get_secret_value(), algorithms=["HS256"])  # signature still valid
    assert _refused(records, token, settings).reason == "revoked"
    assert _resolve(records, other, settings).username == "alice"  # other sessions live on
    with records.begin() as conn:
        logout(conn, token, settings=settings)  # twice is harmless


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sid"] = claims["sid"][::-1]
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return ".".join([header, forged, signature])


def _flip_signature(token: str) -> str:
    head, _, signature = token.rpartition(".")
    return f"{head}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"  # the first character carries 6 bits


def test_tampered_or_foreign_tokens_refused(alice, records, settings) -> None:
    token = _login(records, settings)
    sid = jwt.decode(token, options={"verify_signature": False})["sid"]
    forged = [
        _tamper(token),
        jwt.encode({"sid": sid, "exp": 4102444800}, "another-key-" * 4, algorithm="HS256"),
        jwt.encode({"sid": sid, "exp": 4102444800}, None, algorithm="none"),
        _flip_signature(token),
        "not-a-token",
    ]
    for bad in forged:
        assert _refused(records, bad, settings).reason == "bad_token"
    assert _resolve(records, token, settings).username == "alice"


def test_lock_and_password_change_end_sessions(alice, records, settings) -> None:
    token = _login(records, settings)
    change_password(records, username="alice", old_password=STRONG, new_password="Guihua@2036x", settings=settings)
    assert _refused(records, token, settings).reason == "revoked"
    token = login(records, username="alice", password="Guihua@2036x", settings=settings).token
    with records.begin() as conn:
        lock_user(conn, actor=None, username="alice")
    assert _refused(records, token, settings).reason == "revoked"


def test_csrf_token_bound_to_session(alice, records, settings) -> None:
    first, second = _login(records, settings), _login(records, settings)
    with records.begin() as conn:
        one, two = resolve_session(conn, first, settings=settings), resolve_session(conn, second, settings=settings)
    token = csrf_token(one, settings=settings)
    assert token == csrf_token(one, settings=settings) != csrf_token(two, settings=settings)
    check_csrf(one, token, settings=settings)
    flipped = token[:-1] + ("1" if token[-1] == "0" else "0")
    for wrong in (None, "", csrf_token(two, settings=settings), flipped):
        with pytest.raises(PermissionDeniedError, match="CSRF"):
            check_csrf(one, wrong, settings=settings)


def test_placeholder_secret_refused_outside_dev_mode(alice, records, settings) -> None:
    for placeholder in ("", "change-me", "short"):
        unsafe = settings.model_copy(update={"secret_key": SecretStr(placeholder)})
        with pytest.raises(ConfigurationError, match="ONEMAP_SECRET_KEY"):
            _login(records, unsafe)
    dev = settings.model_copy(update={"secret_key": SecretStr("change-me"), "dev_mode": True})
    assert _resolve(records, _login(records, dev), dev).username == "alice"
