"""Running analysis steps on a few threads (GEOS, PROJ and NumPy release the GIL on large arrays)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np

WORKERS = 2  # the analysis server's cores (PERFORMANCE.md: 2)
CHUNK = 20_000

T = TypeVar("T")
R = TypeVar("R")


def chunked(function: Callable[[np.ndarray], np.ndarray], index: np.ndarray) -> np.ndarray:
    """``function`` over chunks of ``index`` on a few threads, results concatenated in order."""
    if len(index) <= CHUNK:
        return function(index)
    chunks = np.array_split(index, max(WORKERS, len(index) // CHUNK))
    with ThreadPoolExecutor(WORKERS) as pool:
        return np.concatenate(list(pool.map(function, chunks)))


def both(function: Callable[[T], R], first: T, second: T) -> tuple[R, R]:
    """``function`` of two arguments at once (one per layer, say), on two threads."""
    with ThreadPoolExecutor(2) as pool:
        one, two = pool.map(function, (first, second))
    return one, two
