"""审查上下文: the layers a review reads, at fixed versions, held between projects.

A :class:`ReviewContext` reads the catalog and the rules once and keeps the control layers whole and
indexed; API workers share one per audience for a few seconds (:func:`shared_context`), and the land-use
layers (DLTB, GHYDYH) are read whole on a background thread — at the first request, or as a server
process starts (:func:`warm_up_in_background`).
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path

import numpy as np

from onemap.config import get_settings
from onemap.review.compliance.overlay import (
    LayerData,
    cached_layer,
    layer_columns,
    peek_layer,
    read_layer,
    twin_index,
    twin_pairs,
)
from onemap.review.compliance.rules import LayerSpec, RuleSet, load_rules
from onemap.standards.codes import security_rank
from onemap.standards.registry import get_table
from onemap.store import CatalogEntry, Store
from onemap.store.base import LayerMeta

log = logging.getLogger(__name__)
CONTEXT_TTL = 5.0  # seconds an API worker reuses a review context before reading the catalog again
_SHARED: OrderedDict[tuple, tuple[float, ReviewContext]] = OrderedDict()
_SHARED_SIZE = 64
_SHARED_LOCK = threading.Lock()
WARM_LAND_USE = True  # API workers hold DLTB/GHYDYH whole after a background warm-up (≈1.2 GB for 300k 图斑)
_WARMING: set[tuple] = set()


def _lowest_level() -> str:
    return min(get_table("security_levels").frame["code"], key=security_rank)


class ReviewContext:
    """The layers a review reads, at fixed versions; control layers are read once, whole, and indexed.

    With ``preload`` the current and planned layers (DLTB, GHYDYH) are read whole too (a batch of many
    projects); with ``preload="cached"`` only if a warm-up already holds them whole (see :func:`shared_context`);
    otherwise each project reads only the features near it.
    """

    def __init__(self, store: Store, rules: RuleSet | Path | str | None = None, *, preload: bool | str = False,
                 visible: Callable[[LayerMeta], bool] | None = None, versions: dict[str, int] | None = None,
                 cache_features: int | None = None) -> None:
        """``visible`` hides layers (a user's clearance: hidden layers are reviewed as missing from the catalog);
        ``versions`` pins layer versions (re-rendering a stored result's report) instead of the current ones.
        A layer of more than ``cache_features`` features (default ``Settings.review_cache_features``) is never
        held whole: it is read near each project, or near each chunk of a batch.
        """
        self.store = store
        self.cache_features = get_settings().review_cache_features if cache_features is None else cache_features
        self.rules = rules if isinstance(rules, RuleSet) else load_rules(rules)
        self.preload = preload
        self.visible = visible
        self.pinned = versions
        self.refresh()

    def _entries(self) -> dict[str, CatalogEntry]:
        entries = {e.meta.name: e for e in self.store.catalog() if self.visible is None or self.visible(e.meta)}
        if self.pinned is not None:
            entries = {name: e for name, e in entries.items() if name in self.pinned}
        return entries

    def refresh(self) -> None:
        """Take the current version of every layer (call after an import to see new data)."""
        entries = self._entries()
        self.specs = [s for s in self.rules.layers if s.layer in entries]
        self.missing = {s.layer: s for s in self.rules.layers if s.layer not in entries}
        self.versions = {s.layer: (self.pinned or {}).get(s.layer) or entries[s.layer].current.version
                         for s in self.specs}
        self.epsg = {s.layer: entries[s.layer].meta.epsg for s in self.specs}
        levels = [entries[s.layer].meta.security_level for s in self.specs]
        self.security_level = max(levels, key=security_rank) if levels else _lowest_level()
        self.columns = {s.layer: layer_columns(self.store, s) for s in self.specs}
        stamps = {s.layer: entries[s.layer].current.created if self.pinned is None else None for s in self.specs}
        fits = {s.layer: entries[s.layer].current.feature_count <= self.cache_features for s in self.specs}
        self.whole = {s.layer: cached_layer(self.store, s, self.versions[s.layer], self.epsg[s.layer],
                                            self.columns[s.layer], stamps[s.layer], self.cache_features)
                      for s in self.specs
                      if fits[s.layer] and (self.preload is True or s.role in ("control", "extent"))}
        self.cold = []  # with preload="cached": the land-use layers not (yet) held whole
        if self.preload == "cached":
            for spec in self.specs:
                if spec.layer not in self.whole and fits[spec.layer]:
                    found = peek_layer(self.store, spec, self.versions[spec.layer], self.columns[spec.layer],
                                       stamps[spec.layer])
                    if found is None:
                        self.cold.append((spec, self.versions[spec.layer], self.epsg[spec.layer],
                                          self.columns[spec.layer], stamps[spec.layer], self.cache_features))
                    else:
                        self.whole[spec.layer] = found
        self.twins = self._twins()

    def _twins(self) -> dict[str, tuple[str, np.ndarray, np.ndarray]]:
        """Preloaded current/planned layers sharing geometries: layer → (twin source, source→layer map, skip mask)."""
        return twins_of(self.specs, self.whole, twin_index)

    def layer(self, spec: LayerSpec, near: tuple[float, float, float, float]) -> LayerData:
        """The layer's features (whole when cached, else those near the box ``near`` in the layer CRS)."""
        if spec.layer in self.whole:
            return self.whole[spec.layer]
        return read_layer(self.store, spec, self.versions[spec.layer], self.epsg[spec.layer],
                          self.columns[spec.layer], bbox=near)

    def bound(self, store: Store) -> ReviewContext:
        """This context reading through ``store`` (a copy: contexts are shared between request threads)."""
        other = copy.copy(self)
        other.store = store
        return other

    @property
    def store_version(self) -> str:
        """The versions read, e.g. ``DLTB@3;STBHHX@1``."""
        return ";".join(f"{name}@{version}" for name, version in sorted(self.versions.items()))


def twins_of(specs: list[LayerSpec], layers: dict[str, LayerData],
             match: Callable[[LayerData, LayerData], np.ndarray] = twin_pairs
             ) -> dict[str, tuple[str, np.ndarray, np.ndarray]]:
    """Current/planned layers among ``layers`` sharing geometries with the previous one (规划 drawn on the 三调
    base map): layer → (twin source, source→layer feature map, skip mask of the layer's twinned features).
    """
    twins: dict[str, tuple[str, np.ndarray, np.ndarray]] = {}
    land = [s.layer for s in specs if s.role in ("current", "planned") and s.layer in layers]
    for source, target in zip(land, land[1:], strict=False):
        a, b = layers[source], layers[target]
        if a.epsg == b.epsg and source not in twins:
            a_to_b = match(a, b)
            skip = np.zeros(len(b.geoms), dtype=bool)
            skip[a_to_b[a_to_b >= 0]] = True
            if skip.any():
                twins[target] = (source, a_to_b, skip)
    return twins


def shared_context(store: Store, *, audience: Hashable = None, visible: Callable[[LayerMeta], bool] | None = None,
                   ttl: float = CONTEXT_TTL, warm: bool = WARM_LAND_USE) -> ReviewContext:
    """A context shared by the requests of one ``audience`` (e.g. a user) on one store for ``ttl`` seconds.

    Reading the catalog and the rules costs more than reviewing a small project, so an API worker reuses the
    context; a new import is reviewed at most ``ttl`` seconds later (each result names the versions it read).
    With ``warm`` the land-use layers (DLTB, GHYDYH) are read whole once on a background thread: until then
    projects read the features near them, afterwards they are clipped in memory.
    """
    key = (getattr(store, "url", id(store)), getattr(store, "schema", None), audience)
    now = time.monotonic()
    with _SHARED_LOCK:
        hit = _SHARED.get(key)
    if hit is None or now - hit[0] >= ttl:
        context = ReviewContext(store, visible=visible, preload="cached" if warm else False)
        hit = (now, context)
        with _SHARED_LOCK:
            _SHARED[key] = hit
            _SHARED.move_to_end(key)
            while len(_SHARED) > _SHARED_SIZE:
                _SHARED.popitem(last=False)
        if context.cold:
            _warm_up(store.url, context.cold)
    return hit[1].bound(store)


def warm_up_in_background(store_url: str) -> threading.Thread:
    """Hold the layers a review reads whole, on a background thread, as the first request would.

    A server process calls this as it starts, so the first projects it reviews do not wait for the reads
    (with several worker processes each holds its own copy).
    """
    from onemap.store import open_store

    def run() -> None:
        try:
            with open_store(store_url) as store:
                cold = ReviewContext(store, preload="cached").cold
            if cold:
                _warm_up(store_url, cold)
        except Exception:  # the requests then read the layers as they come
            log.exception("review warm-up of %s at start failed", store_url)

    thread = threading.Thread(target=run, name="onemap-review-start", daemon=True)
    thread.start()
    return thread


def _warm_up(store_url: str, cold: list[tuple]) -> None:
    """Read the ``cold`` layers whole on one background thread (once per layer version at a time)."""
    from onemap.store import open_store

    wanted = [item for item in cold if (store_url, *item[:2]) not in _WARMING]
    if not wanted:
        return
    _WARMING.update((store_url, *item[:2]) for item in wanted)

    def load() -> None:
        try:
            with open_store(store_url) as own:
                loaded = [cached_layer(own, *item) for item in wanted]
            for a, b in zip(loaded, loaded[1:], strict=False):  # matched here, not in a request
                if a.epsg == b.epsg:
                    twin_index(a, b)
            log.info("review warm-up: %s held whole", ", ".join(item[0].layer for item in wanted))
            with _SHARED_LOCK:
                _SHARED.clear()  # the next request builds a context over the whole layers
        except Exception:  # a failed warm-up leaves the per-project reads in place
            log.exception("review warm-up of %s failed", store_url)
        finally:
            _WARMING.difference_update((store_url, *item[:2]) for item in wanted)

    threading.Thread(target=load, name="onemap-review-warm-up", daemon=True).start()
