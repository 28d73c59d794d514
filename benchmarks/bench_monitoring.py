"""Benchmark of 监测预警 (issue 14): patch published to the broker → warning in ``GET /api/warnings``.

Usage: python benchmarks/bench_monitoring.py [--rate 50] [--seconds 60] [--parcels 2000] [--provider gpkg|postgis]
Generates the sample county, imports its 行政区 and 三条控制线, starts ``onemap serve`` (one worker, subscribed to
the broker at ONEMAP_MQTT_URL, default the node's Mosquitto on 127.0.0.1:1883, under a throw-away node id),
publishes red-line patches (each with a new id, so each must raise one 红 warning) at ``--rate`` a second for
``--seconds``, and polls ``GET /api/warnings`` as a client would. Prints p50/p95/max latency from publish to
the warning's first appearance, and how many were lost or duplicated. Target: p95 ≤ 2 s at 50/s for 60 s.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ONEMAP_SECRET_KEY", uuid.uuid4().hex + uuid.uuid4().hex)  # a throw-away benchmark server
os.environ.setdefault("ONEMAP_DATA_DIR", tempfile.mkdtemp(prefix="onemap-bench-"))

from sqlalchemy import text  # noqa: E402

from benchmarks.http_timing import bench_store_url  # noqa: E402
from onemap.ingest.importer import ImportOptions, import_path  # noqa: E402
from onemap.monitoring.mqtt import Broker, publish  # noqa: E402
from onemap.records import open_records  # noqa: E402
from onemap.sample import generate_county  # noqa: E402
from onemap.sample.traffic import read_traffic  # noqa: E402
from onemap.security.accounts import create_user  # noqa: E402
from onemap.store import open_store  # noqa: E402
from tests.live import served  # noqa: E402

PASSWORD = "Yizhangtu#2024"


def _login(base: str) -> str:
    body = json.dumps({"username": "bench", "password": PASSWORD}).encode()
    request = urllib.request.Request(f"{base}/api/auth/login", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as answer:
        return json.load(answer)["token"]


def _poll(base: str, token: str, seen: dict[str, float], stop: threading.Event) -> None:
    """The newest 200 red warnings every 100 ms (5 arrive between polls at 50/s); the first time a subject shows
    is when a client sees it."""
    request = urllib.request.Request(f"{base}/api/warnings?rule=STBHHX_BUILD&limit=200",
                                     headers={"Authorization": f"Bearer {token}"})
    while not stop.is_set():
        with urllib.request.urlopen(request) as answer:
            now = time.monotonic()
            for item in json.load(answer)["items"]:
                seen.setdefault(item["subject_id"], now)
        stop.wait(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--parcels", type=int, default=2000)
    parser.add_argument("--provider", choices=["gpkg", "postgis"], default="gpkg")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="onemap-bench-monitoring-"))
    generate_county(folder / "sample", parcels=args.parcels, seed=1, formats=("gpkg",))
    store_url = bench_store_url(args.provider, folder)
    records_url = f"sqlite:///{folder / 'records.sqlite'}"
    with open_store(store_url) as store:
        for layer in ("XZQ", "STBHHX", "YJJBNTBHTB", "CZKFBJ"):
            import_path(folder / "sample" / "sample.gpkg", store, ImportOptions(layer=layer))
    with open_records(records_url).begin() as conn:
        create_user(conn, actor=None, username="bench", password=PASSWORD, roles=["业务人员"], clearance="内部",
                    must_change_password=False)
    template = next(line["message"] for line in read_traffic(folder / "sample" / "监测消息.jsonl")
                    if line["message"].get("properties", {}).get("id", "").startswith("JC2024STBHHX"))
    node = f"bench{uuid.uuid4().hex[:8]}"
    mqtt_url = os.environ.get("ONEMAP_MQTT_URL", "mqtt://127.0.0.1:1883")
    env = {**os.environ, "ONEMAP_MONITORING_SUBSCRIBE": "true", "ONEMAP_NODE_ID": node, "ONEMAP_MQTT_URL": mqtt_url,
           "ONEMAP_DATA_DIR": str(folder / "data")}
    count = int(args.rate * args.seconds)
    sent: dict[str, float] = {}

    def messages():
        for i in range(count):
            patch = copy.deepcopy(template)
            patch["properties"]["id"] = f"BENCH{i:06d}"
            sent[patch["properties"]["id"]] = time.monotonic()
            yield f"onemap/{node}/monitoring/patches", patch

    with served(store_url, records_url, env=env) as base:
        time.sleep(2)  # the consumer subscribes as the server starts
        token = _login(base)
        seen: dict[str, float] = {}
        stop = threading.Event()
        poller = threading.Thread(target=_poll, args=(base, token, seen, stop), daemon=True)
        poller.start()
        started = time.monotonic()
        publish(Broker.from_url(mqtt_url), messages(), rate=args.rate)
        published = time.monotonic() - started
        deadline = time.monotonic() + 30
        while len(seen) < count and time.monotonic() < deadline:
            time.sleep(0.2)
        stop.set()
        poller.join()
    latencies = sorted(seen[k] - sent[k] for k in sent if k in seen)
    with open_records(records_url).connect() as conn:
        rows = conn.execute(text("SELECT count(*), count(DISTINCT subject_id) FROM warnings "
                                 "WHERE rule = 'STBHHX_BUILD' AND subject_id LIKE 'BENCH%'")).one()
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan")
    print(f"published {count} patches in {published:.1f} s ({count / published:.1f}/s), store {args.provider}")
    print(f"warnings seen by the client: {len(latencies)}; lost {count - rows[1]}; duplicated {rows[0] - rows[1]}")
    if latencies:
        print(f"publish → GET /api/warnings: p50 {statistics.median(latencies) * 1000:.0f} ms, "
              f"p95 {p95 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms (target p95 ≤ 2000 ms)")


if __name__ == "__main__":
    main()
