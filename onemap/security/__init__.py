"""Security domain core (G1, 等保2.0 level 3): accounts, sign-in, sessions, permissions, clearance, audit.

Modules by concern: :mod:`settings` (ONEMAP_ security settings, editions), :mod:`passwords`
(Argon2, policy), :mod:`accounts` (lifecycle and administration), :mod:`authentication` (sign-in,
lockout, expiry), :mod:`totp` (second factor), :mod:`roles` (casbin permissions, 三员分立),
:mod:`clearance` (security levels × edition), :mod:`sessions` (server-side sessions, CSRF),
:mod:`audit` (hash-chained audit trail), :mod:`deployment` (``onemap config check``).
The web shell and the CLI call these functions; nothing here knows HTTP.
"""

from onemap.security.errors import (
    AuthenticationError,
    ConfigurationError,
    PasswordExpiredError,
    PermissionDeniedError,
    SecondFactorRequiredError,
)
from onemap.security.settings import SecuritySettings, get_security_settings
from onemap.security.users import User

__all__ = ["AuthenticationError", "ConfigurationError", "PasswordExpiredError", "PermissionDeniedError",
           "SecondFactorRequiredError", "SecuritySettings", "User", "get_security_settings"]
