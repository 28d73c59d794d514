"""A tile cache on disk (瓦片缓存): tiles generated once per layer version, served as files after.

Tiles built on every request are 10–75× slower than stored ones (shared/PERFORMANCE.md). A key
holds the store, the layer, the *resolved* version, the tile matrix set, z/x/y and the variant
(properties or style), so a new version of a layer is simply new keys and old tiles are never
served for it. Files live under ``<root>/<store digest>/<layer>/<version>/<tms>/<z>/<x>/``; empty
tiles are cached too (zero-length files). Writes go to a temporary file renamed into place, so a
reader never sees half a tile. :meth:`TileCache.invalidate` drops a layer's tiles (all versions).
:meth:`TileCache.carry_over` hard-links a version's unchanged tiles into a newer version's folder
(the seeder's incremental path, see :mod:`.seed`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from onemap.config import get_settings
from onemap.services.tiles.features import Region, tile_window
from onemap.store.base import Store

log = logging.getLogger(__name__)
CACHE_FORMAT = 1  # bump when the encoders change what they write
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-]{0,100}$")


@dataclass(frozen=True)
class TileKey:
    """What identifies one cached tile."""

    store_url: str
    layer: str
    version: int
    tms_id: str
    z: int
    x: int
    y: int
    kind: str = "mvt"  # "mvt" or "png"
    variant: tuple[str, ...] | None = None  # the properties of a vector tile, the style of a raster tile


def _digest(value: object, length: int = 16) -> str:
    return hashlib.sha256(json.dumps(value, ensure_ascii=False).encode()).hexdigest()[:length]


def _folder_name(name: str) -> str:
    """``name`` if it is a safe folder name, else a digest of it (no path tricks, any script)."""
    return name if _SAFE_NAME.match(name) else f"_{_digest(name)}"


def _region_variant(region: Region | None) -> tuple[str, ...]:
    """The cache-key part of a region scope (tiles for different scopes never mix)."""
    return () if region is None else (f"region:{region.field}={region.prefix}",)


class TileCache:
    """Tiles on disk under ``root`` (default ``Settings.data_dir / "tiles"``)."""

    def __init__(self, root: Path | str | None = None) -> None:
        self.root = Path(root) if root is not None else get_settings().data_dir / "tiles"

    def _store_folder(self, store_url: str) -> Path:
        # A digest, not the URL: URLs may carry credentials and characters no filesystem likes.
        return self.root / _digest(["store", store_url])

    def path(self, key: TileKey) -> Path:
        """The file of ``key``."""
        variant = _digest([CACHE_FORMAT, key.kind, key.variant], 12)
        return (self._store_folder(key.store_url) / _folder_name(key.layer) / str(key.version)
                / _folder_name(key.tms_id) / str(key.z) / str(key.x) / f"{key.y}-{variant}.{key.kind}")

    def get(self, key: TileKey) -> bytes | None:
        """The cached bytes (``b""`` for a cached empty tile), or None on a miss."""
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            return None

    def put(self, key: TileKey, data: bytes) -> None:
        """Store ``data`` atomically; a failure is logged, never raised (the cache is an optimisation)."""
        target = self.path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
            try:
                with os.fdopen(handle, "wb") as stream:
                    stream.write(data)
                os.replace(temporary, target)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as exc:
            log.warning("tile cache: cannot write %s: %s", target, exc)

    def tms_folder(self, store_url: str, layer: str, version: int, tms_id: str) -> Path:
        """The folder of one layer version's tiles in one tile matrix set (``<z>/<x>/<y>-<variant>.<kind>``)."""
        return self._store_folder(store_url) / _folder_name(layer) / str(int(version)) / _folder_name(tms_id)

    def cached_versions(self, store_url: str, layer: str, tms_id: str) -> list[int]:
        """The versions of ``layer`` with any tile of ``tms_id`` in the cache, oldest first."""
        folder = self._store_folder(store_url) / _folder_name(layer)
        if not folder.is_dir():
            return []
        return sorted(int(p.name) for p in folder.iterdir()
                      if p.name.isdigit() and (p / _folder_name(tms_id)).is_dir())

    def carry_over(self, store_url: str, layer: str, tms_id: str, from_version: int, to_version: int, z: int,
                   changed: Callable[[int, int], bool]) -> int:
        """Hard-link level ``z``'s tiles of ``from_version`` into ``to_version`` where ``changed(x, y)`` is false.

        Every variant (properties, region scope, raster style) of an unchanged tile is carried over, as
        its content depends only on the features on the tile. Existing files are left alone; where the
        file system cannot link, the tile is copied. The number of files carried over.
        """
        source = self.tms_folder(store_url, layer, from_version, tms_id) / str(int(z))
        target = self.tms_folder(store_url, layer, to_version, tms_id) / str(int(z))
        if not source.is_dir():
            return 0
        count = 0
        for column in source.iterdir():
            if not column.name.isdigit():
                continue
            for tile in column.iterdir():
                row = tile.name.split("-", 1)[0]
                if not row.isdigit() or changed(int(column.name), int(row)):
                    continue
                count += _link(tile, target / column.name / tile.name)
        return count

    def invalidate(self, layer: str, *, store_url: str | None = None) -> int:
        """Remove every cached tile of ``layer`` (of one store, or of all); the number of files removed."""
        if not self.root.is_dir():
            return 0
        stores = [self._store_folder(store_url)] if store_url else [p for p in self.root.iterdir() if p.is_dir()]
        removed = 0
        for folder in stores:
            target = folder / _folder_name(layer)
            if not target.is_dir():
                continue
            # Rename first: writers still busy in the old folder cannot resurrect part of it.
            doomed = folder / f".deleting-{_digest([layer, os.getpid(), id(target)], 8)}"
            target.rename(doomed)
            removed += sum(1 for p in doomed.rglob("*") if p.is_file())
            shutil.rmtree(doomed, ignore_errors=True)
        return removed

    def vector_tile(self, store: Store, layer: str, tms_id: str, z: int, x: int, y: int, *,
                    version: int | None = None, as_of: date | datetime | None = None,
                    properties: list[str] | None = None, region: Region | None = None,
                    keyed: bool = True) -> bytes:
        """:func:`.mvt.vector_tile`, from the cache when it holds the tile."""
        from onemap.services.tiles.mvt import vector_tile

        tile_window(tms_id, z, x, y)  # an invalid tile is an error, never a cache entry
        number = store.resolve_version(layer, version, as_of)
        variant = None if properties is None and region is None and keyed else (
            *(("*",) if properties is None else properties), *_region_variant(region), *(() if keyed else ("-key",)))
        key = TileKey(store.url, layer, number, tms_id, z, x, y, "mvt", variant)
        data = self.get(key)
        if data is None:
            data = vector_tile(store, layer, tms_id, z, x, y, version=number, properties=properties, region=region,
                               keyed=keyed)
            self.put(key, data)
        return data

    def raster_tile(self, store: Store, layer: str, tms_id: str, z: int, x: int, y: int, *,
                    version: int | None = None, as_of: date | datetime | None = None,
                    style: str | None = None, region: Region | None = None) -> bytes:
        """:func:`.render.raster_tile`, from the cache when it holds the tile."""
        from onemap.services.tiles.render import raster_tile
        from onemap.services.tiles.styles import get_style

        tile_window(tms_id, z, x, y)
        number = store.resolve_version(layer, version, as_of)
        chosen = get_style(layer, style)
        key = TileKey(store.url, layer, number, tms_id, z, x, y, "png",
                      (chosen.id, chosen.fingerprint, *_region_variant(region)))
        data = self.get(key)
        if data is None:
            data = raster_tile(store, layer, tms_id, z, x, y, version=number, style=style, region=region)
            self.put(key, data)
        return data


def _link(source: Path, target: Path) -> int:
    """Hard-link ``source`` to ``target`` (a copy across file systems); 1 if a file was made, else 0."""
    if target.exists():
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except FileExistsError:
        return 0
    except OSError:
        shutil.copy2(source, target)
    return 1
