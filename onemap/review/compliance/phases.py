"""Wall and CPU time per phase of a review (read, query, intersection, area, aggregate) for the benchmarks."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager


class Phases:
    """Accumulated seconds per phase: ``with phases("area"): ...``; :attr:`wall` and :attr:`cpu` by name.

    CPU time is the process's (all threads), so phases on parallel threads are counted together.
    """

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.wall[name] = self.wall.get(name, 0.0) + time.perf_counter() - wall
            self.cpu[name] = self.cpu.get(name, 0.0) + time.process_time() - cpu

    def merge(self, other: Phases) -> None:
        """Add the times of ``other`` (e.g. a worker process's)."""
        for mine, theirs in ((self.wall, other.wall), (self.cpu, other.cpu)):
            for name, seconds in theirs.items():
                mine[name] = mine.get(name, 0.0) + seconds

    def summary(self) -> str:
        """``area 1.2 s wall / 1.1 s CPU; …`` in the order the phases first ran."""
        return "; ".join(f"{name} {self.wall[name]:.1f} s wall / {self.cpu[name]:.1f} s CPU" for name in self.wall)
