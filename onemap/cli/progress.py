"""The CLI's output streams, its rich progress bar, and where library warnings go.

Results — tables, listings, JSON, the summary of what a command did — go to **stdout** (:data:`out`, or
``typer.echo``), so ``onemap layers | grep DLTB`` and ``onemap layers --json | jq`` work. Progress bars,
notes, warnings and errors go to **stderr** (:data:`console`). Warnings of the libraries underneath (GDAL
through pyogrio, pandas, shapely) are English and may name temporary paths: they are written to a log file
(:func:`capture_library_warnings`) and the command ends with one Chinese line saying how many and where.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

# Piped or captured output (logs, CI, tests) is not cut to 80 columns: tables keep whole codes and names.
_WIDE = 160
out = Console(width=None if sys.stdout.isatty() else _WIDE)
console = Console(stderr=True, width=None if sys.stderr.isatty() else _WIDE)


@contextmanager
def progress_bar(title: str) -> Iterator[Callable[[str, float], None]]:
    """Yield a callback that moves one progress bar (on stderr); the bar closes with the block."""
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                  TimeElapsedColumn(), console=console, transient=False) as bar:
        task = bar.add_task(title, total=1.0)

        def update(step: str, fraction: float) -> None:
            bar.update(task, description=f"{title}:{step}", completed=max(0.0, min(1.0, fraction)))

        yield update
        bar.update(task, completed=1.0)


class LibraryWarnings(logging.Handler):
    """Python warnings of one command (GDAL's become RuntimeWarnings in pyogrio), appended to ``path``."""

    def __init__(self, path: Path) -> None:
        super().__init__(logging.WARNING)
        self.path, self.count = Path(path), 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as log:
                log.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(record.getMessage().split())}\n")
        except OSError:  # an unwritable log must not fail the command
            pass


def capture_library_warnings(path: Path) -> LibraryWarnings:
    """From now on Python warnings go to the log file ``path`` instead of stderr (see the module docstring)."""
    logging.captureWarnings(False)  # again from the start: a test runner may have put its own hook back meanwhile
    logging.captureWarnings(True)
    logger = logging.getLogger("py.warnings")
    logger.propagate = False
    for old in [h for h in logger.handlers if isinstance(h, LibraryWarnings)]:
        logger.removeHandler(old)
    handler = LibraryWarnings(path)
    logger.addHandler(handler)
    return handler


def report_library_warnings(handler: LibraryWarnings) -> None:
    """One Chinese line on stderr when the command's libraries warned."""
    if handler.count:
        console.print(f"[dim]另有 {handler.count} 条底层库(GDAL 等)的英文提示未显示,已记入 {handler.path}[/dim]")
