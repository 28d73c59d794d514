"""HTTP of one tile, shared by the tile route and the cached-tile fast path: ETag, 304, 204, caching."""

from __future__ import annotations

import zlib

CACHE_CONTROL = "private, max-age=300"


def etag(data: bytes) -> str:
    """A strong validator of the tile's bytes (the same on every path and every server process).

    Length, CRC-32 and Adler-32 (80 bits; ~10× cheaper than a cryptographic digest of an 85 kB tile): a
    validator only has to tell the versions of one URL apart, not resist forgery.
    """
    return f'"{len(data):x}-{zlib.crc32(data):08x}{zlib.adler32(data):08x}"'


def matches(if_none_match: str | None, tag: str) -> bool:
    """Whether the client's ``If-None-Match`` names ``tag`` (or ``*``)."""
    if not if_none_match:
        return False
    candidates = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return tag in candidates or "*" in candidates


def tile_headers(data: bytes, version: int) -> dict[str, str]:
    """Headers of a tile answer: client caching, the layer version, the validator."""
    return {"Cache-Control": CACHE_CONTROL, "X-Onemap-Version": str(version), "ETag": etag(data)}


def status_of(data: bytes, if_none_match: str | None, headers: dict[str, str]) -> int:
    """304 when the client holds these bytes, 204 for an empty tile, else 200."""
    if matches(if_none_match, headers["ETag"]):
        return 304
    return 200 if data else 204
