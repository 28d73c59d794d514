"""出站推送: every new warning POSTed as JSON to the configured URLs, off the message path.

A background thread sends, so a slow or dead receiver never delays the consumer; each delivery is
tried a few times with growing pauses and then given up with a log line (the warning itself is kept).
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
import urllib.error
import urllib.request

log = logging.getLogger(__name__)
ATTEMPTS = 4
TIMEOUT_SECONDS = 10


def warning_payload(row: dict) -> dict:
    """What a receiver gets: the fields of ``GET /api/warnings`` (no geometry)."""
    keys = ("id", "rule", "level", "region", "subject_kind", "subject_id", "title", "message", "state")
    created = row["created_at"]
    return {**{k: row[k] for k in keys}, "created_at": created if isinstance(created, str) else created.isoformat()}


class Webhooks:
    """Sends warnings to ``urls`` from one daemon thread (started at the first warning)."""

    def __init__(self, urls: list[str], *, pause: float = 1.0) -> None:
        self.urls = list(urls)
        self.pause = pause
        self._queue: queue.Queue[dict] = queue.Queue(maxsize=10_000)
        self._thread: threading.Thread | None = None
        self.delivered = 0
        self.failed = 0

    def send(self, rows: list[dict]) -> None:
        """Queue new warnings (never blocks; drops with a log line when the receivers are far behind)."""
        if not self.urls:
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="onemap-webhooks", daemon=True)
            self._thread.start()
        for row in rows:
            try:
                self._queue.put_nowait(warning_payload(row))
            except queue.Full:
                log.error("webhook queue full: warning %s not pushed", row.get("id"))

    def _post(self, url: str, body: bytes) -> None:
        request = urllib.request.Request(url, data=body, method="POST",
                                         headers={"Content-Type": "application/json; charset=utf-8",
                                                  "User-Agent": "onemap-warnings"})
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310 - configured URLs
            answer.read()

    def _deliver(self, url: str, body: bytes) -> None:
        for attempt in range(ATTEMPTS):
            try:
                self._post(url, body)
                self.delivered += 1
                return
            except (urllib.error.URLError, OSError) as exc:
                if attempt == ATTEMPTS - 1:
                    self.failed += 1
                    log.error("webhook %s failed %d times: %s", url, ATTEMPTS, exc)
                    return
                time.sleep(self.pause * 2**attempt)

    def _run(self) -> None:
        while True:
            payload = self._queue.get()
            body = json.dumps({"type": "warning", "warning": payload}, ensure_ascii=False).encode("utf-8")
            for url in self.urls:
                self._deliver(url, body)
            self._queue.task_done()

    def wait(self, timeout: float = 10.0) -> bool:
        """Whether everything queued was handled within ``timeout`` seconds (tests and shutdown)."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.02)
        return not self._queue.unfinished_tasks
