"""Tile seeding (瓦片预生成): seeded tiles equal tiles built on demand; a new version reseeds only what changed."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from typer.testing import CliRunner

from onemap.cli.main import app
from onemap.errors import InputError
from onemap.services.processes.builtin import TILE_SEED
from onemap.services.processes.model import RunContext
from onemap.services.tiles import TileCache, vector_tile
from onemap.services.tiles import mvt as mvt_module
from onemap.services.tiles.seed import seed_layer, touched_tiles
from onemap.store import Store
from tests.services.tiles.conftest import X0, Y0, commit, decode

SIDE = 16  # 16 × 16 parcels of 60 m: about 1 km, several z17 tiles


def grid(changed: str | None = None) -> gpd.GeoDataFrame:
    """A grid of 60 m parcels; ``changed`` (a BSM) gets another DLBM and a notch cut out."""
    rows = []
    for i in range(SIDE):
        for j in range(SIDE):
            box = shapely.box(X0 + i * 60, Y0 + j * 60, X0 + (i + 1) * 60, Y0 + (j + 1) * 60)
            rows.append({"BSM": f"G{i:02d}{j:02d}", "DLBM": "0101", "geometry": box})
    frame = gpd.GeoDataFrame(rows, crs=4527)
    if changed is not None:
        at = frame.index[frame["BSM"] == changed][0]
        frame.loc[at, "DLBM"] = "0102"
        frame.loc[at, "geometry"] = frame.geometry[at].difference(shapely.box(X0, Y0, X0 + 10, Y0 + 10))
    return frame


def cached_tiles(cache: TileCache, store: Store, version: int, tms_id: str) -> dict[tuple[int, int, int], Path]:
    folder = cache.tms_folder(store.url, "DLTB", version, tms_id)
    found = {}
    for path in folder.rglob("*.mvt"):
        z, x = int(path.parent.parent.name), int(path.parent.name)
        found[(z, x, int(path.name.split("-")[0]))] = path
    return found


@pytest.fixture
def cache(tmp_path: Path) -> TileCache:
    return TileCache(tmp_path / "tiles")


@pytest.mark.parametrize("tms_id", ["WebMercatorQuad", "CGCS2000Quad"])
def test_seeded_tiles_equal_tiles_built_on_demand(store: Store, cache: TileCache, tms_id: str, monkeypatch) -> None:
    commit(store, grid())
    report = seed_layer(store, "DLTB", tms_ids=[tms_id], max_zoom=18, cache=cache, block=3)
    tiles = cached_tiles(cache, store, 1, tms_id)
    assert report.built == len(tiles) > 20 and report.from_version is None
    non_empty = 0
    for (z, x, y), path in tiles.items():
        seeded = path.read_bytes()
        assert decode(seeded) == decode(vector_tile(store, "DLTB", tms_id, z, x, y)), (z, x, y)
        non_empty += bool(seeded)
    assert non_empty > 20
    # Served from the cache from now on: nothing is built on request.
    monkeypatch.setattr(mvt_module, "vector_tile", lambda *a, **k: pytest.fail("cache miss"))
    (z, x, y), path = max(tiles.items(), key=lambda item: item[1].stat().st_size)
    assert cache.vector_tile(store, "DLTB", tms_id, z, x, y) == path.read_bytes()


def test_a_new_version_reseeds_only_the_tiles_it_touched(store: Store, cache: TileCache) -> None:
    commit(store, grid())
    seed_layer(store, "DLTB", max_zoom=18, cache=cache)
    old = cached_tiles(cache, store, 1, "WebMercatorQuad")
    commit(store, grid(changed="G0000"))
    # Served fresh at once: before any reseed, the current version's tiles show the change.
    at = next(t for t, p in old.items() if t[0] == 18 and "G0000" in decode(p.read_bytes()))
    assert decode(cache.vector_tile(store, "DLTB", "WebMercatorQuad", *at))["G0000"]["properties"]["DLBM"] == "0102"

    report = seed_layer(store, "DLTB", max_zoom=18, cache=cache)
    new = cached_tiles(cache, store, 2, "WebMercatorQuad")
    assert report.from_version == 1 and set(new) == set(old)
    rebuilt = [t for t in new if new[t].stat().st_ino != old[t].stat().st_ino]
    carried = [t for t in new if new[t].stat().st_ino == old[t].stat().st_ino]
    assert report.carried == len(carried) > len(rebuilt) > 0
    assert min(z for z, _, _ in rebuilt) >= 12  # a 60 m parcel is drawn on no overview tile below z12
    for tile in rebuilt:  # each rebuilt tile is what the new version draws
        assert decode(new[tile].read_bytes()) == decode(vector_tile(store, "DLTB", "WebMercatorQuad", *tile))
    for tile in carried:  # the change is on none of the carried tiles
        assert "G0000" not in decode(new[tile].read_bytes())
        assert decode(new[tile].read_bytes()) == decode(vector_tile(store, "DLTB", "WebMercatorQuad", *tile))
    assert any("G0000" in decode(new[t].read_bytes()) for t in rebuilt)
    # The version-1 tiles are untouched, and version 1 still reads as it was (on PostGIS: its derived columns).
    assert decode(old[at].read_bytes())["G0000"]["properties"]["DLBM"] == "0101"
    past = decode(vector_tile(store, "DLTB", "WebMercatorQuad", *at, version=1))
    assert past == decode(old[at].read_bytes()) and past["G0000"]["properties"]["DLBM"] == "0101"


def test_an_incremental_seed_fills_tiles_the_older_version_lacked(store: Store, cache: TileCache) -> None:
    commit(store, grid())
    seed_layer(store, "DLTB", max_zoom=18, cache=cache)
    full = cached_tiles(cache, store, 1, "WebMercatorQuad")
    kept = next(t for t, p in full.items() if t[0] == 18 and p.stat().st_size and "G0000" not in decode(p.read_bytes()))
    for tile, path in full.items():  # as if version 1 had been cached by requests only: one z18 tile
        if tile != kept:
            path.unlink()
    commit(store, grid(changed="G0000"))
    report = seed_layer(store, "DLTB", max_zoom=18, cache=cache)
    new = cached_tiles(cache, store, 2, "WebMercatorQuad")
    assert set(new) == set(full) and report.carried == 1 and report.built == len(full) - 1
    assert new[kept].stat().st_ino == full[kept].stat().st_ino


def test_a_full_reseed_carries_nothing_over(store: Store, cache: TileCache) -> None:
    commit(store, grid())
    seed_layer(store, "DLTB", max_zoom=15, cache=cache)
    commit(store, grid(changed="G0000"))
    report = seed_layer(store, "DLTB", max_zoom=15, cache=cache, incremental=False)
    assert report.carried == 0 and report.from_version is None and report.built > 0


def test_touched_tiles_cover_the_change_and_its_buffer(store: Store) -> None:
    from onemap.services.tiles.features import layer_state, tile_window

    commit(store, grid())
    state = layer_state(store, "DLTB")
    box = (X0, Y0, X0 + 10, Y0 + 10)
    import numpy as np

    touched = touched_tiles(np.array([box]), state, "WebMercatorQuad", 18)
    assert 1 <= len(touched) <= 4
    assert touched_tiles(np.empty((0, 4)), state, "WebMercatorQuad", 18) == set()
    # the tile holding the box's centre is among them
    from onemap.services.tiles import get_tms
    from tests.services.tiles.conftest import Transformer

    lon, lat = Transformer.from_crs(4527, 4490, always_xy=True).transform(X0 + 5, Y0 + 5)
    tile = get_tms("WebMercatorQuad").tile(lon, lat, 18)
    assert (tile.x, tile.y) in touched and tile_window("WebMercatorQuad", 18, tile.x, tile.y)


def test_seeding_refuses_a_level_the_set_lacks(store: Store, cache: TileCache) -> None:
    commit(store, grid())
    with pytest.raises(InputError):
        seed_layer(store, "DLTB", tms_ids=["CGCS2000Quad"], max_zoom=40, cache=cache)


def test_the_command_line_seeds_a_layer(store_url: str, store: Store, tmp_path: Path) -> None:
    commit(store, grid())
    folder = tmp_path / "cli-tiles"
    args = ["tiles", "seed", "DLTB", "--store", store_url, "--tms", "WebMercatorQuad,CGCS2000Quad",
            "--max-zoom", "14", "--cache-dir", str(folder)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    count = len(list(folder.rglob("*.mvt")))
    assert count >= 15 + 14 and f"生成瓦片 {count} 个" in result.output  # levels 0–14 and 1–14, a tile or more
    assert "CGCS2000Quad" in result.output
    bad = CliRunner().invoke(app, ["tiles", "seed", "NOPE", "--store", store_url, "--cache-dir", str(folder)])
    assert bad.exit_code == 2 and "图层不存在" in bad.output


def test_the_tile_seed_process(store: Store, tmp_path: Path, monkeypatch) -> None:
    commit(store, grid())
    monkeypatch.setenv("ONEMAP_DATA_DIR", str(tmp_path / "data"))
    from onemap.config import get_settings

    get_settings.cache_clear()
    try:
        steps = []
        ctx = RunContext("job", tmp_path / "out", lambda percent, step: steps.append(percent))
        result = TILE_SEED.run(store, {"layer": "DLTB", "max_zoom": 12}, ctx)
        built = len(list((tmp_path / "data" / "tiles").rglob("*.mvt")))
        assert result["seed"]["built"] == built >= 13 and result["seed"]["version"] == 1 and steps
        with pytest.raises(InputError):
            TILE_SEED.run(store, {"layer": "DLTB", "tms": ["Nope"]}, ctx)
        assert TILE_SEED.permission == "node:admin"
        from onemap.services import processes as service

        assert service.get_process("tile-seed") is TILE_SEED
        assert {"layer", "tms", "max_zoom", "version", "full"} == set(TILE_SEED.description_document()["inputs"])
    finally:
        get_settings.cache_clear()


def test_low_zoom_tiles_drop_tiny_features_in_the_store_query(store: Store, cache: TileCache, monkeypatch) -> None:
    from onemap.services.tiles import get_tms
    from onemap.services.tiles.features import MIN_FEATURE_PIXELS, layer_state, min_feature_size, tile_window
    from tests.services.tiles.conftest import Transformer

    big = shapely.box(X0 - 3000, Y0 - 3000, X0 + 3000, Y0 + 3000)  # 6 km: dozens of z10 pixels
    specks = [shapely.box(X0 + 5000 + i * 100, Y0, X0 + 5030 + i * 100, Y0 + 30) for i in range(5)]  # 30 m
    frame = gpd.GeoDataFrame({"BSM": ["BIG", *(f"S{i}" for i in range(5))], "DLBM": ["0301"] * 6},
                             geometry=[big, *specks], crs=4527)
    commit(store, frame)
    lon, lat = Transformer.from_crs(4527, 4490, always_xy=True).transform(X0, Y0)
    tile = get_tms("WebMercatorQuad").tile(lon, lat, 10)
    window = tile_window("WebMercatorQuad", 10, tile.x, tile.y)
    minimum = min_feature_size(window, layer_state(store, "DLTB"))
    assert MIN_FEATURE_PIXELS * 100 < minimum < 6000  # a z10 pixel is about 130 m here
    asked = []
    read = type(store).read

    def recording(self, *args, **kwargs):
        asked.append(kwargs.get("min_size"))
        return read(self, *args, **kwargs)

    monkeypatch.setattr(type(store), "read", recording)
    on_demand = decode(vector_tile(store, "DLTB", "WebMercatorQuad", 10, tile.x, tile.y))
    assert set(on_demand) == {"BIG"}
    if asked:  # the embedded store's path reads through Store.read: the size filter went with the query
        assert asked == [pytest.approx(minimum)]
    seed_layer(store, "DLTB", max_zoom=16, cache=cache)
    seeded = cached_tiles(cache, store, 1, "WebMercatorQuad")
    assert set(decode(seeded[(10, tile.x, tile.y)].read_bytes())) == {"BIG"}
    detailed = [p for (z, _, _), p in seeded.items() if z == 16 and "S0" in decode(p.read_bytes())]
    assert detailed  # the specks are drawn where they are big enough


def test_parallel_seeding_writes_the_same_tiles(store: Store, tmp_path: Path) -> None:
    commit(store, grid())
    one, two = TileCache(tmp_path / "one"), TileCache(tmp_path / "two")
    first = seed_layer(store, "DLTB", max_zoom=17, cache=one, workers=1, block=2)
    second = seed_layer(store, "DLTB", max_zoom=17, cache=two, workers=2, block=2)
    assert first.built == second.built and first.levels == second.levels
    a, b = cached_tiles(one, store, 1, "WebMercatorQuad"), cached_tiles(two, store, 1, "WebMercatorQuad")
    assert set(a) == set(b)
    assert all(decode(a[t].read_bytes()) == decode(b[t].read_bytes()) for t in a)


def test_the_command_line_prepares_an_old_postgis_table(store_url: str, store: Store) -> None:
    from onemap.store.postgis import PostGISStore

    commit(store, grid())
    result = CliRunner().invoke(app, ["tiles", "prepare", "DLTB", "--store", store_url])
    assert result.exit_code == 0, result.output
    if not isinstance(store, PostGISStore):
        assert "无需派生列" in result.output
        return
    assert "派生列齐全" in result.output
    store._conn.execute(f'ALTER TABLE "{store.schema}"."DLTB" DROP COLUMN _geom_3857')
    result = CliRunner().invoke(app, ["tiles", "prepare", "DLTB", "--store", store_url])
    assert result.exit_code == 0 and "_geom_3857" in result.output
    assert "_geom_3857" in store.derived_columns("DLTB")
    assert CliRunner().invoke(app, ["tiles", "prepare", "NOPE", "--store", store_url]).exit_code == 2
