"""Security errors, subclasses of the one hierarchy in :mod:`onemap.errors`.

The web shell maps them in its one table: AuthenticationError → 401, PermissionDeniedError → 403,
ConfigurationError → 500 (and refuses to start).
"""

from __future__ import annotations

from onemap.errors import OnemapError


class AuthenticationError(OnemapError):
    """Sign-in failed or the session is no longer valid.

    ``reason`` is a short English code for logs and the audit trail (``unknown_user``,
    ``bad_password``, ``locked`` …); the user only ever sees ``message_zh``.
    """

    def __init__(self, message_zh: str, log: str | None = None, *, reason: str = "") -> None:
        """Chinese message, English log message and the reason code."""
        super().__init__(message_zh, log)
        self.reason = reason


class PasswordExpiredError(AuthenticationError):
    """The password is right but expired (or was set by an administrator): it must be changed first."""


class SecondFactorRequiredError(AuthenticationError):
    """The password is right but a valid dynamic code (TOTP) is missing, wrong or not enrolled."""


class PermissionDeniedError(OnemapError):
    """The signed-in user may not do this (role, region, clearance or separation of duties)."""


class ConfigurationError(OnemapError):
    """The deployment's security configuration is unsafe (e.g. a placeholder secret key)."""
