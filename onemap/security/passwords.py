"""Password hashing (Argon2id via pwdlib) and the password policy.

GB/T 22239-2019 8.1.4.1 a) asks that identity information be complex and changed regularly: at least
``password_min_length`` characters (8 by default), at least three of four character classes, not
containing the username, and not one of the common passwords of ``data/common_passwords.txt`` (a data
file: ``P@ssw0rd``, ``Admin@123``, ``Aa123456``, ``woaini1314`` … pass the class rule and are the first
an attacker tries).
"""

from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from onemap.errors import InputError, StandardsError
from onemap.security.settings import SecuritySettings, resolve_settings

COMMON_PASSWORDS = Path(__file__).parent / "data" / "common_passwords.txt"
MAX_LENGTH = 128  # Argon2 takes any length; the cap only stops absurd inputs.
_HASHER = PasswordHash((Argon2Hasher(),))
# Verified against when the account does not exist, so both paths cost one Argon2 verification.
_DUMMY_HASH = _HASHER.hash("onemap-dummy-password-for-timing")
_CLASSES = {
    "大写字母": lambda c: c in string.ascii_uppercase,
    "小写字母": lambda c: c in string.ascii_lowercase,
    "数字": str.isdigit,
    "特殊字符": lambda c: not c.isalnum() and not c.isspace(),
}


def hash_password(password: str) -> str:
    """The Argon2id hash of ``password`` (PHC string ``$argon2id$v=19$…``)."""
    return _HASHER.hash(password)


def verify_password(password: str, password_hash: str) -> tuple[bool, str | None]:
    """Whether ``password`` matches; and a new hash when the stored one uses outdated parameters."""
    return _HASHER.verify_and_update(password, password_hash)


def burn_verification(password: str) -> None:
    """Spend the time of one verification (for unknown or locked accounts, against timing probes)."""
    _HASHER.verify(password, _DUMMY_HASH)


@lru_cache
def common_passwords() -> frozenset[str]:
    """The common passwords the policy refuses, lower-cased (``data/common_passwords.txt``)."""
    try:
        lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise StandardsError(f"常见口令表读取失败:{COMMON_PASSWORDS.name}", f"cannot read {COMMON_PASSWORDS}: {exc}"
                             ) from exc
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def policy_failures(password: str, username: str, *, min_length: int = 8) -> list[str]:
    """The rules ``password`` breaks, in Chinese (empty when it is acceptable)."""
    failures = []
    if len(password) < min_length:
        failures.append(f"长度至少 {min_length} 位")
    if len(password) > MAX_LENGTH:
        failures.append(f"长度不超过 {MAX_LENGTH} 位")
    classes = [name for name, test in _CLASSES.items() if any(test(c) for c in password)]
    if len(classes) < 3:
        failures.append("至少包含大写字母、小写字母、数字、特殊字符中的三类")
    if username and username.lower() in password.lower():
        failures.append("不得包含用户名")
    if password.lower() in common_passwords():
        failures.append("不得使用常见口令(如 P@ssw0rd、Admin@123)")
    return failures


def check_policy(password: str, username: str, *, settings: SecuritySettings | None = None) -> None:
    """Raise :class:`~onemap.errors.InputError` listing every rule ``password`` breaks."""
    min_length = resolve_settings(settings).password_min_length
    failures = policy_failures(password, username, min_length=min_length)
    if failures:
        raise InputError("口令不符合安全策略:" + ";".join(failures),
                         f"password policy violated ({len(failures)} rules)")
