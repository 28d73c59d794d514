"""A real ``onemap serve`` that a test may kill (SIGKILL) and restart, and plain-HTTP calls to it.

Unlike :func:`tests.live.served`, the server runs in its own process group (so a kill takes its workers
too), writes its log to a file the failing assertion shows, and takes extra environment settings.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.api.conftest import PASSWORD
from tests.live import free_port

PATIENCE = 180  # seconds: generous bounds on a shared 2-core machine; tests assert outcomes, not speed


@contextmanager
def server(store_url: str, records_url: str, log: Path,
           env: dict[str, str] | None = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """``onemap serve`` (one worker) answering /api/health: its base URL and process; killed afterwards."""
    port = free_port()
    with log.open("ab") as out:
        process = subprocess.Popen([sys.executable, "-m", "onemap.cli.main", "serve", "--store", store_url,
                                    "--records", records_url, "--port", str(port), "--workers", "1"],
                                   stdout=out, stderr=out, start_new_session=True, env={**os.environ, **(env or {})})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + PATIENCE
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/health", timeout=5)
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")
                time.sleep(0.1)
        yield base, process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(30)


def kill(process: subprocess.Popen) -> None:
    """SIGKILL the server and its workers, as a power cut or the OOM killer would."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(30)


def call(base: str, path: str, token: str = "", body: dict | None = None,
         prefer: str = "") -> tuple[int, dict, dict[str, str]]:
    """Status, JSON body and headers of a GET (or a POST of ``body``); HTTP errors are answers too."""
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    if prefer:
        headers["Prefer"] = prefer
    request = urllib.request.Request(base + path, data=None if body is None else json.dumps(body).encode(),
                                     headers=headers, method="GET" if body is None else "POST")
    try:
        with urllib.request.urlopen(request, timeout=PATIENCE) as answer:
            return answer.status, _json(answer.read()), {k.lower(): v for k, v in answer.headers.items()}
    except urllib.error.HTTPError as error:
        return error.code, _json(error.read()), {k.lower(): v for k, v in error.headers.items()}


def _json(data: bytes) -> dict:
    try:
        return json.loads(data or b"{}")
    except ValueError:
        return {"bytes": len(data)}


def login(base: str, username: str) -> str:
    """A Bearer token of ``username`` (password :data:`tests.api.conftest.PASSWORD`)."""
    status, body, _ = call(base, "/api/auth/login", body={"username": username, "password": PASSWORD})
    assert status == 200, body
    return body["token"]


def wait_for(check: Callable[[], bool], what: str) -> None:
    """Wait until ``check()`` holds (at most :data:`PATIENCE` seconds)."""
    deadline = time.monotonic() + PATIENCE
    while not check():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.2)
