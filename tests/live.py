"""``onemap serve`` in its own process over real HTTP, for tests with outside clients (GDAL, OWSLib, a browser).

A separate process, not a thread: pyogrio holds the GIL while GDAL fetches pages, so a server thread in
the test process could never answer.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def served(store_url: str, records_url: str, *, env: dict[str, str] | None = None) -> Iterator[str]:
    """The base URL of ``onemap serve`` over the store and records database, stopped afterwards."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "onemap.cli.main", "serve", "--store", store_url,
                               "--records", records_url, "--port", str(port), "--workers", "1"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{base}/api/health", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(10)
