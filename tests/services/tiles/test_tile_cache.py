"""The tile cache: hits return the same bytes, a new version is a new key, invalidation removes files."""

from __future__ import annotations

from pathlib import Path

import pytest

from onemap.errors import NotFoundError
from onemap.services.tiles import TileCache, TileKey
from onemap.services.tiles import mvt as mvt_module
from onemap.store import Store
from tests.services.tiles.conftest import SHUITIAN, commit, decode, parcels, tile_at


@pytest.fixture
def cache(tmp_path: Path) -> TileCache:
    return TileCache(tmp_path / "tiles")


def files(cache: TileCache) -> list[Path]:
    return sorted(p for p in cache.root.rglob("*") if p.is_file())


def test_a_hit_returns_the_same_bytes_without_building(dltb_store: Store, cache: TileCache, monkeypatch) -> None:
    tile = tile_at("CGCS2000Quad", 16)
    first = cache.vector_tile(dltb_store, "DLTB", "CGCS2000Quad", tile.z, tile.x, tile.y)
    assert SHUITIAN in decode(first)
    monkeypatch.setattr(mvt_module, "vector_tile", lambda *a, **k: pytest.fail("cache miss"))
    assert cache.vector_tile(dltb_store, "DLTB", "CGCS2000Quad", tile.z, tile.x, tile.y) == first
    assert cache.vector_tile(dltb_store, "DLTB", "CGCS2000Quad", tile.z, tile.x, tile.y, version=1) == first
    assert [p.name.startswith(".tmp-") for p in files(cache)] == [False]


def test_a_new_version_uses_a_new_key(dltb_store: Store, cache: TileCache) -> None:
    tile = tile_at("WebMercatorQuad", 16)
    old = cache.vector_tile(dltb_store, "DLTB", "WebMercatorQuad", tile.z, tile.x, tile.y)
    commit(dltb_store, parcels(dlbm_of_shuitian="0102"))
    new = cache.vector_tile(dltb_store, "DLTB", "WebMercatorQuad", tile.z, tile.x, tile.y)
    assert decode(new)[SHUITIAN]["properties"]["DLBM"] == "0102"
    assert decode(old)[SHUITIAN]["properties"]["DLBM"] == "0101"
    keys = [TileKey(dltb_store.url, "DLTB", v, "WebMercatorQuad", tile.z, tile.x, tile.y) for v in (1, 2)]
    assert cache.path(keys[0]) != cache.path(keys[1])
    assert [cache.get(k) for k in keys] == [old, new]


def test_variants_and_empty_tiles_are_cached(dltb_store: Store, cache: TileCache) -> None:
    tile = tile_at("GK3Zone39Quad", 10)
    full = cache.vector_tile(dltb_store, "DLTB", "GK3Zone39Quad", tile.z, tile.x, tile.y)
    slim = cache.vector_tile(dltb_store, "DLTB", "GK3Zone39Quad", tile.z, tile.x, tile.y, properties=["DLBM"])
    assert full != slim and len(files(cache)) == 2
    assert cache.vector_tile(dltb_store, "DLTB", "GK3Zone39Quad", 10, 0, 0) == b""
    assert [p.stat().st_size for p in files(cache)].count(0) == 1
    png = cache.raster_tile(dltb_store, "DLTB", "GK3Zone39Quad", tile.z, tile.x, tile.y)
    assert png.startswith(b"\x89PNG") and len(files(cache)) == 4


def test_invalid_tiles_are_errors_not_entries(dltb_store: Store, cache: TileCache) -> None:
    with pytest.raises(NotFoundError):
        cache.vector_tile(dltb_store, "DLTB", "CGCS2000Quad", 0, 0, 0)
    assert files(cache) == []


def test_invalidate_removes_a_layers_tiles(dltb_store: Store, cache: TileCache) -> None:
    commit(dltb_store, parcels(), name="STBHHX")
    tile = tile_at("CGCS2000Quad", 16)
    for layer in ("DLTB", "STBHHX"):
        cache.vector_tile(dltb_store, layer, "CGCS2000Quad", tile.z, tile.x, tile.y)
    assert cache.invalidate("DLTB") == 1
    assert cache.invalidate("DLTB") == 0
    assert len(files(cache)) == 1
    assert cache.get(TileKey(dltb_store.url, "DLTB", 1, "CGCS2000Quad", tile.z, tile.x, tile.y)) is None
    assert cache.invalidate("STBHHX", store_url=dltb_store.url) == 1


def test_store_urls_and_odd_layer_names_stay_inside_the_root(cache: TileCache) -> None:
    key = TileKey("postgresql://user:secret@db/x", "../../etc/地类", 1, "WebMercatorQuad", 0, 0, 0)
    path = cache.path(key)
    assert path.is_relative_to(cache.root)
    assert "secret" not in str(path) and ".." not in path.parts
