"""The 预警巡检 schedule: a cron expression read in the node's time zone, one daemon thread running the sweep."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from croniter import croniter

from onemap.errors import InputError
from onemap.security import clock

log = logging.getLogger(__name__)


def next_run(cron: str, after: datetime, zone) -> datetime:
    """The next time the schedule fires after ``after`` (cron fields read in the node's time zone)."""
    if not croniter.is_valid(cron):
        raise InputError(f"预警巡检计划“{cron}”不是合法的 cron 表达式(如 30 2 * * *)", f"bad cron {cron!r}")
    return croniter(cron, after.astimezone(zone)).get_next(datetime)


class SweepSchedule:
    """A daemon thread running ``run`` at each time of a cron schedule until stopped."""

    def __init__(self, cron: str, run: Callable[[], object], zone) -> None:
        next_run(cron, clock.now(), zone)  # a bad schedule fails at start, in Chinese
        self.cron, self.run, self.zone = cron, run, zone
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> SweepSchedule:
        self._thread = threading.Thread(target=self._loop, name="onemap-warning-sweep", daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        while True:
            due = next_run(self.cron, clock.now(), self.zone)
            if self._stop.wait(max((due - clock.now()).total_seconds(), 0.0)):
                return
            try:
                self.run()
            except Exception:  # the next time of the schedule tries again
                log.exception("scheduled warning sweep failed")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
