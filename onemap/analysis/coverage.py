"""Which features of a layer read for analysis may break its coverage (an overlay pairs them one by one).

The check of a whole layer version is recorded with the version (:mod:`onemap.geometry.coverage`); a
version imported before the check existed is checked on its first complete read and the result
recorded then. Features changed on reading (made valid, cut by a region polygon) are always counted:
the stored check does not describe their new shape. A layer reprojected on reading is checked as read.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from onemap.analysis.layers import ALTERED, LayerFrame
from onemap.analysis.parallel import both
from onemap.errors import OnemapError
from onemap.geometry.coverage import FACT, CoverageDefects, coverage_defects
from onemap.store import Store
from onemap.store.base import KEY

log = logging.getLogger(__name__)


@dataclass
class CoverageFlags:
    """Per feature read: may break the coverage; and how many of them are defects of the data itself."""

    flags: np.ndarray
    defects: int  # overlapping, unmatched or invalid (not counting features merely cut by the region)


def stored_defects(store: Store, layer: LayerFrame) -> CoverageDefects | None:
    """The recorded check of the version read (None when unknown or not applicable to what was read)."""
    if layer.epsg != store.entry(layer.name).meta.epsg:
        return None
    value = store.version_fact(layer.name, layer.version, FACT)
    return None if value is None else CoverageDefects.from_json(value)


def coverage_flags(store: Store, *layers: LayerFrame) -> list[CoverageFlags]:
    """For each layer, the features to intersect pair by pair; the rest of it is a coverage.

    The store is asked in turn (one connection); the layers not yet checked are checked on two threads.
    """
    known = [stored_defects(store, layer) for layer in layers]
    missing = [layer for layer, found in zip(layers, known, strict=True) if found is None]
    checked = iter(both(_check, *missing) if len(missing) == 2 else [_check(layer) for layer in missing])
    flags = []
    for layer, found in zip(layers, known, strict=True):
        keys = layer.frame[KEY].to_numpy()
        if found is None:
            defects = next(checked)
            if layer.complete:
                _remember(store, layer, CoverageDefects.of(keys, defects))
        else:
            defects = found.flags(keys)
        flags.append(CoverageFlags(defects | layer.frame[ALTERED].to_numpy(dtype=bool), int(defects.sum())))
    return flags


def _check(layer: LayerFrame) -> np.ndarray:
    """The check of the features as read, as the import does it: features changed on reading are left out
    of it (they go to GEOS anyway); in a whole version those are the invalid ones, which count as defects."""
    altered = layer.frame[ALTERED].to_numpy(dtype=bool)
    geoms = np.where(altered, None, np.asarray(layer.frame.geometry.array))
    return coverage_defects(geoms) | (altered & layer.complete)


def _remember(store: Store, layer: LayerFrame, found: CoverageDefects) -> None:
    """Record the check of a whole version (a read-only store just checks again next time)."""
    try:
        store.record_version_fact(layer.name, layer.version, FACT, found.to_json())
    except OnemapError as exc:
        log.warning("coverage check of %s v%s not recorded: %s", layer.name, layer.version, exc)
