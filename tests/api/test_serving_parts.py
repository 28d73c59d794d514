"""The parts of the request path: session cache, store pool, tile validators."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from onemap.api.ogc.tile_http import etag, matches, status_of, tile_headers
from onemap.api.session_cache import SessionCache
from onemap.api.stores import StorePool
from onemap.security import User, clock
from onemap.security.sessions import Session


def _session(minutes: float = 60) -> Session:
    now = clock.now()
    user = User(id=1, username="ana", roles=("领导",), clearance="内部")
    return Session("k", user, now, now, now + timedelta(minutes=minutes), "")


def test_a_cached_session_lives_for_the_cache_time_only(tmp_path: Path, monkeypatch) -> None:
    cache = SessionCache(5, tmp_path / "records.epoch")
    cache.put("t", _session(), cache.epoch())
    assert cache.get("t") is not None and cache.get("other") is None
    import onemap.api.session_cache as module

    later = module.time.monotonic() + 6
    monkeypatch.setattr(module.time, "monotonic", lambda: later)
    assert cache.get("t") is None


def test_a_stamp_change_or_an_expired_session_drops_the_entry(tmp_path: Path) -> None:
    stamp = tmp_path / "records.epoch"
    cache = SessionCache(60, stamp)
    cache.put("t", _session(), cache.epoch())
    stamp.write_text(".")  # another process ended a session or changed an account
    assert cache.get("t") is None
    cache.put("old", _session(minutes=-1), cache.epoch())
    assert cache.get("old") is None
    off = SessionCache(0, stamp)
    off.put("t", _session(), off.epoch())
    assert off.get("t") is None


def test_the_pool_reuses_healthy_stores_and_closes_broken_ones(tmp_path: Path) -> None:
    pool = StorePool(f"gpkg://{tmp_path / 'store.gpkg'}", size=1)
    with pool.store() as first:
        pass
    with pool.store() as again:
        assert again is first
        with pool.store() as second:  # busy: a new one
            assert second is not first
    assert len(pool._idle) == 1  # one kept (size 1), the other closed
    with pool.store() as store:
        store._conn.execute("BEGIN")  # left inside a transaction: never handed out again
    with pool.store() as fresh:
        assert fresh is not store
    pool.close()


def test_tile_validators() -> None:
    data = b"\x1a\x02tile"
    headers = tile_headers(data, 3)
    assert headers["ETag"] == etag(data) != etag(data + b"x") and headers["X-Onemap-Version"] == "3"
    assert matches(f'W/{headers["ETag"]}, "x"', headers["ETag"]) and matches("*", headers["ETag"])
    assert status_of(data, headers["ETag"], headers) == 304
    assert status_of(data, None, headers) == 200
    assert status_of(b"", None, tile_headers(b"", 3)) == 204
