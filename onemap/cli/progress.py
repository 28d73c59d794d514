"""A rich progress bar fed by the core's ``progress(step, fraction)`` callbacks."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

# Piped or captured output (logs, CI, tests) is not cut to 80 columns: tables keep whole codes and names.
console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)


@contextmanager
def progress_bar(title: str) -> Iterator[Callable[[str, float], None]]:
    """Yield a callback that moves one progress bar; the bar closes with the block."""
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                  TimeElapsedColumn(), console=console, transient=False) as bar:
        task = bar.add_task(title, total=1.0)

        def update(step: str, fraction: float) -> None:
            bar.update(task, description=f"{title}:{step}", completed=max(0.0, min(1.0, fraction)))

        yield update
        bar.update(task, completed=1.0)
