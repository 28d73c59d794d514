"""批量审查: many projects on a few processes, each holding one preloaded :class:`ReviewContext`.

A batch (a job of the API, a county's yearly project list) pays the preload once per process (DLTB and
GHYDYH read whole, ≈1–1.5 GB each for a 300k county, unless larger than ``Settings.review_cache_features``:
then read per chunk near its projects) and then reviews each chunk vectorised (:mod:`.many`). Projects are
put in spatial order first so a chunk covers a small area; the results come back in input order.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from onemap.review.compliance.boundary import ProjectBoundary
from onemap.review.compliance.context import ReviewContext
from onemap.review.compliance.many import CHUNK, check_projects, spatial_order
from onemap.review.compliance.phases import Phases
from onemap.store import Store, open_store

_WORKER: dict[str, Any] = {}


def _start(store_url: str, rules: Path | str | None, cache_features: int | None) -> None:
    loaded = Phases()
    with loaded("load"):
        store: Store = open_store(store_url)
        context = ReviewContext(store, rules, preload=True, cache_features=cache_features)
    _WORKER.update(store=store, context=context, loaded=loaded)


def _run(chunk: list[tuple[str | None, Any]]) -> tuple[list[dict[str, Any]], Phases]:
    # The worker's first chunk also reports the preload (phase "load").
    store, context, phases = _WORKER["store"], _WORKER["context"], _WORKER.pop("loaded", None) or Phases()
    results = check_projects(store, [b for _, b in chunk], project_ids=[pid for pid, _ in chunk], context=context,
                             chunk=len(chunk), phases=phases)
    return results, phases


def check_batch(store_url: str, boundaries: Sequence[Any], *, project_ids: Sequence[str | None] | None = None,
                rules: Path | str | None = None, workers: int = 2, chunk: int = CHUNK,
                cache_features: int | None = None, progress: Callable[[str, float], None] | None = None,
                phases: Phases | None = None) -> list[dict[str, Any]]:
    """Review many projects; the ``result.json`` dicts in input order.

    ``boundaries`` are anything :func:`~onemap.review.compliance.boundary.load_boundary` reads (picklable);
    ``workers`` processes each open the store and preload the layers once; ``phases`` receives the workers'
    time per phase (``load``: opening the store and preloading, once per worker).
    """
    ids = list(project_ids) if project_ids is not None else [None] * len(boundaries)
    items = list(zip(ids, boundaries, strict=True))
    order = list(range(len(items)))
    if items and all(isinstance(b, ProjectBoundary) for b in boundaries):
        order = spatial_order(list(boundaries)).tolist()
    chunks = [[items[i] for i in order[start:start + chunk]] for start in range(0, len(order), chunk)]
    ordered: list[dict[str, Any]] = []
    spawn = multiprocessing.get_context("spawn")  # no fork of a process holding threads and connections
    with ProcessPoolExecutor(workers, mp_context=spawn, initializer=_start,
                             initargs=(store_url, rules, cache_features)) as pool:
        for number, (chunk_results, chunk_phases) in enumerate(pool.map(_run, chunks), start=1):
            ordered.extend(chunk_results)
            if phases is not None:
                phases.merge(chunk_phases)
            if progress:
                progress("批量审查", number / len(chunks))
    results: list[dict[str, Any]] = [{}] * len(items)
    for position, result in zip(order, ordered, strict=True):
        results[position] = result
    return results
