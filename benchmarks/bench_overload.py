"""Overload: a burst of heavy pages against the real server, then how long until it answers normally again.

Usage: ``python benchmarks/bench_overload.py [--parcels 20000] [--connections 64] [--seconds 10]
[--limit N] [--workers 1]``

It generates a sample county once (``benchmarks/out/overload-<parcels>``), imports DLTB and GHFQ into a
GeoPackage store, starts ``onemap serve`` (``--limit`` sets ``ONEMAP_MAX_IN_FLIGHT``; a huge value shows the
server without load shedding), warms one cached tile, and then:

- burst: ``--connections`` clients ask for heavy pages (``GHFQ`` items, limit 2,000: the large planning
  polygons) back to back for ``--seconds`` (30 s client timeout), while a prober asks for ``/api/health`` and
  the cached tile four times a second (5 s timeout);
- recovery: from the moment the clients stop, the time until health, the cached tile and a light items page
  each answer within one second.

It prints the burst's answers (200 / 503 with Retry-After / other / timed out), the prober's latencies during
the burst, and the recovery time (target: under 2 s).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import morecantile

sys.path.insert(0, str(Path(__file__).parent))
from bench_load import Server  # noqa: E402  (the server helper of the load benchmark)

OUT = Path(__file__).parent / "out"
HEAVY = "/ogc/collections/GHFQ/items?limit=2000"
LIGHT = "/ogc/collections/GHFQ/items?limit=1"


def fetch(url: str, timeout: float) -> tuple[str, float]:
    """The outcome ("200", "503+retry", "503", "500", "timeout", …) and the seconds it took."""
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            answer.read()
            outcome = str(answer.status)
    except urllib.error.HTTPError as error:
        error.read()
        outcome = f"{error.code}+retry" if error.headers.get("Retry-After") else str(error.code)
    except (TimeoutError, urllib.error.URLError, ConnectionError) as error:
        outcome = "timeout" if "timed out" in str(error) else type(error).__name__
    return outcome, time.monotonic() - started


def store(parcels: int) -> str:
    """A GeoPackage store with the sample county's DLTB and GHFQ (made once)."""
    from onemap.ingest.importer import ImportOptions, import_path
    from onemap.sample import generate_county
    from onemap.store import open_store

    folder = OUT / f"overload-{parcels}"
    path = folder / "store.gpkg"
    if not path.exists():
        print(f"generating a {parcels}-parcel county and importing DLTB, GHFQ …", flush=True)
        generate_county(folder / "sample", parcels=parcels, seed=1, formats=("gpkg",))
        with open_store(f"gpkg://{path}") as opened:
            for layer in ("DLTB", "GHFQ"):
                import_path(folder / "sample" / "sample.gpkg", opened, ImportOptions(layer=layer,
                                                                                     security_level="公开"))
    return f"gpkg://{path}"


def cached_tile(base: str) -> str:
    info = json.loads(urllib.request.urlopen(f"{base}/ogc/collections/GHFQ", timeout=60).read())
    west, south, east, north = info["extent"]["spatial"]["bbox"][0]
    tile = morecantile.tms.get("WebMercatorQuad").tile((west + east) / 2, (south + north) / 2, 14)
    path = f"/ogc/collections/GHFQ/tiles/WebMercatorQuad/14/{tile.y}/{tile.x}"
    fetch(base + path, 60)  # generated and cached
    return path


def burst(base: str, tile: str, connections: int, seconds: float) -> tuple[dict, list[float], int, float]:
    """The burst's outcomes, the prober's latencies and failures, and the recovery time."""
    stop = threading.Event()
    outcomes: dict[str, int] = {}
    lock = threading.Lock()

    def client() -> None:
        while not stop.is_set():
            outcome, _ = fetch(base + HEAVY, 30)
            with lock:
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
            if outcome == "503+retry":
                time.sleep(0.05)  # an impatient client: it does not honour Retry-After

    latencies, failures = [], 0
    with ThreadPoolExecutor(connections) as pool:
        for _ in range(connections):
            pool.submit(client)
        ends = time.monotonic() + seconds
        while time.monotonic() < ends:
            for path in ("/api/health", tile):
                outcome, took = fetch(base + path, 5)
                latencies.append(took)
                failures += outcome != "200"
            time.sleep(0.25)
        stop.set()
        stopped = time.monotonic()
        recovery = recovered_after(base, tile, stopped)
    return outcomes, latencies, failures, recovery


def recovered_after(base: str, tile: str, since: float) -> float:
    """Seconds from ``since`` until health, the cached tile and a light page each answer within 1 s."""
    while True:
        results = [fetch(base + path, 1) for path in ("/api/health", tile, LIGHT)]
        if all(outcome == "200" and took < 1 for outcome, took in results):
            return time.monotonic() - since
        if time.monotonic() - since > 120:
            return float("inf")
        time.sleep(0.05)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=20_000)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--limit", type=int, help="ONEMAP_MAX_IN_FLIGHT (default: the setting's default)")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    url = store(args.parcels)
    if args.limit:
        os.environ["ONEMAP_MAX_IN_FLIGHT"] = str(args.limit)
    os.environ.setdefault("ONEMAP_MAX_IN_FLIGHT_PER_CLIENT", "0")  # the burst comes from one client: the 503 bound
    server = Server(url, OUT / f"overload-server-{os.getpid()}", args.workers)
    try:
        tile = cached_tile(server.base)
        fetch(server.base + HEAVY, 120)  # the first page reads the layer's types and statements
        outcomes, latencies, failures, recovery = burst(server.base, tile, args.connections, args.seconds)
    finally:
        server.stop()
    latencies.sort()
    limit = args.limit or "default"
    print(f"burst: {args.connections} connections × {args.seconds:.0f} s of {HEAVY} (in-flight limit {limit}, "
          f"{args.workers} worker): " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
    if latencies:
        print(f"health and cached tile during the burst: {len(latencies)} probes, {failures} failed, "
              f"p50 {latencies[len(latencies) // 2] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms")
    print(f"recovery after the burst: {recovery:.2f} s (target < 2 s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
