"""The layers warnings measure against (三条控制线 and the 行政区), held whole and indexed per process.

A patch is a few hundred square metres; the control layers are thousands of polygons. They are read
once from the store, indexed with an STRtree and read again when the catalog shows a new version
(checked at most every :data:`RECHECK_SECONDS`). Areas are 三调椭球面积 (onemap.geometry.area).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from onemap.geometry.area import ellipsoid_area
from onemap.geometry.crs import GEOGRAPHIC_EPSG, transformer
from onemap.standards.codes import security_rank
from onemap.store import open_store

RECHECK_SECONDS = 5.0
REGION_LAYER = "XZQ"
REGION_FIELD = "XZQDM"


@dataclass(frozen=True)
class HeldLayer:
    """One layer at one version: geometry in the layer CRS, keys, an index."""

    name: str
    version: int
    epsg: int
    security_level: str
    geometry: np.ndarray
    keys: np.ndarray
    tree: shapely.STRtree
    codes: np.ndarray | None = None  # the region codes of the 行政区 layer


def _to(epsg: int, geometry: BaseGeometry) -> BaseGeometry:
    if epsg == GEOGRAPHIC_EPSG:
        return geometry
    forward = transformer(GEOGRAPHIC_EPSG, epsg)
    return shapely.transform(geometry, lambda xy: np.column_stack(forward.transform(xy[:, 0], xy[:, 1])))


class ControlLayers:
    """The :class:`~onemap.monitoring.rules.Measures` of one store: overlaps, areas, regions, versions."""

    def __init__(self, store_url: str, layers: list[str]) -> None:
        self.store_url = store_url
        self.names = sorted(set(layers) | {REGION_LAYER})
        self._held: dict[str, HeldLayer | None] = {}
        self._checked = 0.0
        self._lock = threading.Lock()

    def _read(self, store, name: str) -> HeldLayer | None:
        if not store.has_layer(name):
            return None
        entry = store.entry(name)
        held = self._held.get(name)
        if held is not None and held.version == entry.current.version:
            return held
        columns = [REGION_FIELD] if name == REGION_LAYER and REGION_FIELD in store.columns(name) else []
        frame = store.read(name, columns=columns)
        geometry = shapely.make_valid(frame.geometry.to_numpy())
        codes = frame[REGION_FIELD].astype(str).to_numpy() if columns else None
        keys = frame["_key"].astype(str).to_numpy() if "_key" in frame else np.arange(len(frame)).astype(str)
        return HeldLayer(name, entry.current.version, entry.meta.epsg, entry.meta.security_level, geometry, keys,
                         shapely.STRtree(geometry), codes)

    def refresh(self, *, force: bool = False) -> None:
        """Read the layers whose version changed (at most every few seconds unless forced)."""
        with self._lock:
            if not force and time.monotonic() - self._checked < RECHECK_SECONDS:
                return
            with open_store(self.store_url) as store:
                self._held = {name: self._read(store, name) for name in self.names}
            self._checked = time.monotonic()

    def held(self, name: str) -> HeldLayer | None:
        self.refresh()
        return self._held.get(name)

    def overlap(self, layer: str, geometry: BaseGeometry) -> tuple[float, list[str]]:
        """Overlap area (m², ellipsoid) of a EPSG:4490 geometry with ``layer`` and the keys overlapped."""
        held = self.held(layer)
        if held is None:
            return 0.0, []
        local = _to(held.epsg, geometry)
        hits = held.tree.query(local, predicate="intersects")
        if len(hits) == 0:
            return 0.0, []
        pieces = shapely.intersection(held.geometry[hits], local)
        areas = ellipsoid_area(pieces, held.epsg, rounded=False)
        kept = areas > 0
        return float(areas[kept].sum()), [str(k) for k in held.keys[hits][kept]]

    def area(self, geometry: BaseGeometry) -> float:
        """三调 ellipsoid area (m²) of a EPSG:4490 geometry."""
        return float(ellipsoid_area(np.array([geometry], dtype=object), GEOGRAPHIC_EPSG, rounded=False)[0])

    def region_of(self, geometry: BaseGeometry) -> str:
        """The code of the 行政区 (XZQ feature) holding the patch's representative point, or ''."""
        held = self.held(REGION_LAYER)
        if held is None or held.codes is None:
            return ""
        point = _to(held.epsg, shapely.point_on_surface(geometry))
        hits = held.tree.query(point, predicate="intersects")
        return str(held.codes[hits[0]]) if len(hits) else ""

    def versions(self, layers: list[str]) -> dict[str, int]:
        """The versions of the named layers now held (the evidence a warning keeps)."""
        return {name: held.version for name in layers if (held := self.held(name)) is not None}

    def security_level(self, layers: list[str], floor: str) -> str:
        """The highest security level among ``floor`` and the named layers (a warning is as secret as them)."""
        found = [floor, *(held.security_level for name in layers if (held := self.held(name)) is not None)]
        return max(found, key=security_rank)

    def catalog_versions(self, layers: list[str]) -> dict[str, int]:
        """The current versions of any layers of the store (not only those held for the patch rules)."""
        with open_store(self.store_url) as store:
            return {name: store.entry(name).current.version for name in layers if store.has_layer(name)}

    def versions_level(self, versions: dict[str, int], floor: str) -> str:
        """The highest level among ``floor`` and the named layer versions, each on its own version's level."""
        found = [floor]
        with open_store(self.store_url) as store:
            for name, version in versions.items():
                if not store.has_layer(name):
                    continue
                entry = store.entry(name)
                read = next((v for v in [entry.current, *entry.history] if v.version == version), entry.current)
                found += [read.security_level, entry.meta.security_level]
        return max(found, key=security_rank)
