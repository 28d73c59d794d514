"""版本对比: what changed in a layer between two of its versions, as a report (counts, keys, where)."""

from __future__ import annotations

from typing import Any

import numpy as np

from onemap.errors import InputError
from onemap.store.base import Store

KEY_LIMIT = 500  # keys listed per kind (the counts are always complete)


def _version_row(store: Store, name: str, version: int) -> dict[str, Any]:
    info = next((v for v in store.entry(name).history if v.version == version), None)
    if info is None:
        raise InputError(f"图层 {name} 没有版本 {version}", f"{name}: no version {version}")
    return {"version": info.version, "created": info.created.isoformat(timespec="seconds"),
            "valid_date": info.valid_date.isoformat() if info.valid_date else None,
            "features": info.feature_count, "source": info.source}


def version_diff(store: Store, name: str, v1: int, v2: int, limit: int = KEY_LIMIT) -> dict[str, Any]:
    """Features added, changed and removed from ``v1`` to a later ``v2`` (by key), and the extent of the
    changes in the layer's CRS (None when nothing changed)."""
    if v2 <= v1:
        raise InputError(f"对比的后一版本({v2})应晚于前一版本({v1})", f"{name}: v2 {v2} <= v1 {v1}")
    before, after = _version_row(store, name, v1), _version_row(store, name, v2)
    diff = store.diff(name, v1, v2)
    boxes = store.changed_bounds(name, v1, v2)
    boxes = boxes[np.isfinite(boxes).all(axis=1)] if len(boxes) else boxes
    extent = [float(boxes[:, 0].min()), float(boxes[:, 1].min()), float(boxes[:, 2].max()),
              float(boxes[:, 3].max())] if len(boxes) else None
    kinds = {"added": diff.added, "changed": diff.changed, "removed": diff.removed}
    return {"layer": name, "from": before, "to": after, "epsg": store.entry(name).meta.epsg, "extent": extent,
            **{kind: {"count": len(keys), "keys": keys[:limit], "truncated": len(keys) > limit}
               for kind, keys in kinds.items()}}
