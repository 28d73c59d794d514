"""批量审查: many projects on a few processes, each holding one preloaded :class:`ReviewContext`.

A batch (a job of the API, a county's yearly project list) pays the preload once per process (DLTB and
GHYDYH read whole, ≈1–1.5 GB each for a 300k county) and then reviews projects at a few ms each.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from onemap.review.compliance.service import ReviewContext, check_project
from onemap.store import Store, open_store

CHUNK = 50
_WORKER: dict[str, Any] = {}


def _start(store_url: str, rules: Path | str | None) -> None:
    store: Store = open_store(store_url)
    _WORKER.update(store=store, context=ReviewContext(store, rules, preload=True))


def _run(chunk: list[tuple[str | None, Any]]) -> list[dict[str, Any]]:
    store, context = _WORKER["store"], _WORKER["context"]
    return [check_project(store, boundary, project_id=pid, context=context) for pid, boundary in chunk]


def check_batch(store_url: str, boundaries: Sequence[Any], *, project_ids: Sequence[str | None] | None = None,
                rules: Path | str | None = None, workers: int = 2,
                progress: Callable[[str, float], None] | None = None) -> list[dict[str, Any]]:
    """Review many projects; the ``result.json`` dicts in input order.

    ``boundaries`` are anything :func:`~onemap.review.compliance.boundary.load_boundary` reads (picklable);
    ``workers`` processes each open the store and preload the layers once.
    """
    ids = list(project_ids) if project_ids is not None else [None] * len(boundaries)
    items = list(zip(ids, boundaries, strict=True))
    chunks = [items[i:i + CHUNK] for i in range(0, len(items), CHUNK)]
    results: list[dict[str, Any]] = []
    spawn = multiprocessing.get_context("spawn")  # no fork of a process holding threads and connections
    with ProcessPoolExecutor(workers, mp_context=spawn, initializer=_start, initargs=(store_url, rules)) as pool:
        for number, chunk_results in enumerate(pool.map(_run, chunks), start=1):
            results.extend(chunk_results)
            if progress:
                progress("批量审查", number / len(chunks))
    return results
