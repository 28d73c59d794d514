"""One error hierarchy for the domain core.

Each error carries a Chinese message for users (UI, reports, CLI) and an English message for logs.
The web shell maps the classes to HTTP status codes in one table; nothing below it knows HTTP.
"""

from __future__ import annotations


class OnemapError(Exception):
    """Base of every error the domain core raises on purpose."""

    def __init__(self, message_zh: str, log: str | None = None) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh
        self.log = log or message_zh

    def __str__(self) -> str:
        return self.message_zh


class InputError(OnemapError):
    """The user's input (file, parameter, geometry) is unacceptable."""


class UnsafeInputError(InputError):
    """The input looks hostile (zip slip, zip bomb, VRT, absurd geometry)."""


class CRSError(InputError):
    """The coordinate reference system is missing or not CGCS2000."""


class NotFoundError(OnemapError):
    """A layer, version or record does not exist (or is not visible to the caller)."""


class ConflictError(OnemapError):
    """The request conflicts with the stored state."""


class StoreError(OnemapError):
    """The store is unreachable or misconfigured."""


class StandardsError(OnemapError):
    """A standards data file is missing or malformed."""


class RateLimitedError(InputError):
    """Too many requests of one kind from one caller in a short time."""
