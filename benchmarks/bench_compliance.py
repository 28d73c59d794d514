"""Benchmark of 项目合规性审查 (issue 5): one project at a time through the API, in-process, and a batch.

Usage: python benchmarks/bench_compliance.py [--store URL] [--projects 200] [--batch 1000] [--seed 1] [--api-only]
       [--batch-only] [--pool-only] [--cache-features N] [--workers 2] [--server-workers 1] [--warm-up 45]
Without --store the 300k-parcel sample (benchmarks/out/county-300000/sample.gpkg) is imported once into
benchmarks/out/compliance-300000.gpkg (reused later); a --store lacking the layers (XZQ, STBHHX, YJJBNTBHTB,
CZKFBJ, DLTB, GHYDYH) gets them imported from the sample on the first run (≈ 50 s), later runs reuse them.

PostGIS (a database of its own with PostGIS, one schema per benchmark store)::

    createdb -h 127.0.0.1 -U postgres onemap_bench
    psql -h 127.0.0.1 -U postgres -d onemap_bench -c "CREATE EXTENSION IF NOT EXISTS postgis"
    STORE='postgresql://postgres@127.0.0.1:5432/onemap_bench?schema=compliance300k'
    python benchmarks/bench_compliance.py --store "$STORE" --batch-only --pool-only --batch 10000  # batch target
    python benchmarks/bench_compliance.py --store "$STORE" --api-only --projects 200               # API p95 target

Projects are random star-shaped polygons of ≤ 1 km² with 8–500 vertices inside the county. Prints p50/p95 per
project (a long-lived ReviewContext as an API worker keeps: control lines cached, DLTB/GHYDYH read near each
project), the seconds of a batch in one process (preloaded context, vectorised across projects: wall and CPU
time per phase) and of ``check_batch`` on --workers processes (the workers' CPU time per phase, ``load`` being
each worker's opening of the store and preload). The API figure drives a real ``onemap serve`` with
--server-workers processes (its own records database and data folder in a temporary directory, never the
store): sequential POSTs of ``/ogc/processes/compliance-review/execution`` with keep-alive, p50/p95 wall time
per request and the server's CPU time per request (all its processes, from /proc).
Targets: p95 ≤ 100 ms per project; 10,000 projects ≤ 60 s.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import shapely

from onemap.geometry.crs import accepted_crs
from onemap.review.compliance.batch import check_batch
from onemap.review.compliance.boundary import Parcel, ProjectBoundary
from onemap.review.compliance.context import ReviewContext
from onemap.review.compliance.many import check_projects, spatial_order
from onemap.review.compliance.phases import Phases
from onemap.review.compliance.service import check_project

OUT = Path(__file__).parent / "out"
LAYERS = ("XZQ", "STBHHX", "YJJBNTBHTB", "CZKFBJ", "DLTB", "GHYDYH")


def _store(url: str | None) -> str:
    from onemap.ingest.importer import ImportOptions, import_path
    from onemap.store import open_store

    sample = OUT / "county-300000" / "sample.gpkg"
    url = url or f"gpkg://{OUT / 'compliance-300000.gpkg'}"
    with open_store(url) as store:
        missing = [name for name in LAYERS if not store.has_layer(name)]
        started = time.perf_counter()
        for name in missing:
            import_path(sample, store, ImportOptions(layer=name))
        if missing:
            print(f"imported {missing}: {time.perf_counter() - started:.1f} s")
    return url


def projects(extent: tuple[float, float, float, float], count: int, seed: int) -> list[ProjectBoundary]:
    """Random star-shaped one-parcel projects of ≤ 1 km² (radius ≤ 560 m) and 8–500 vertices."""
    rng = np.random.default_rng(seed)
    xmin, ymin, xmax, ymax = extent
    crs = accepted_crs()[4527]
    result = []
    for number in range(count):
        vertices = int(rng.integers(8, 501))
        radius = rng.uniform(50, 560)
        angles = np.sort(rng.uniform(0, 2 * np.pi, vertices))
        radii = radius * rng.uniform(0.6, 1.0, vertices)
        cx, cy = rng.uniform(xmin + 600, xmax - 600), rng.uniform(ymin + 600, ymax - 600)
        polygon = shapely.Polygon(np.column_stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)]))
        result.append(ProjectBoundary([Parcel(str(number), f"项目{number}", polygon)], crs))
    return result


def _feature(boundary: ProjectBoundary) -> dict:
    geometry = json.loads(shapely.to_geojson(boundary.parcels[0].geometry))
    return {"type": "Feature", "properties": {}, "geometry": geometry,
            "crs": {"type": "name", "properties": {"name": f"EPSG:{boundary.crs.epsg}"}}}


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (None once the process is gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (``onemap serve`` runs its uvicorn workers as child processes)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        fields = _stat(int(entry.name)) if entry.name.isdigit() else None
        if fields:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        tree.append(todo.pop())
        todo.extend(children.get(tree[-1], []))
    return tree


def _server_cpu(pid: int) -> float:
    """User + system CPU seconds of the server: the process, its worker processes and their ended children."""
    ticks = 0
    for member in _process_tree(pid):
        fields = _stat(member)
        ticks += sum(int(v) for v in fields[11:15]) if fields else 0
    return ticks / os.sysconf("SC_CLK_TCK")


def _until_idle(pid: int, limit: float = 180.0) -> bool:
    """Wait until the server (all its processes) spends < 5 % of a CPU for a second (the warm-up is done)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = _server_cpu(pid)
        time.sleep(1.0)
        if _server_cpu(pid) - before < 0.05:
            return True
    return False


def _signed_in(records_url: str, base: str, client) -> dict[str, str]:
    from onemap.records import open_records
    from onemap.security.accounts import create_user

    password = "Lantu#" + uuid.uuid4().hex[:12]
    engine = open_records(records_url)
    with engine.begin() as conn:
        create_user(conn, actor=None, username="perf-user", password=password, roles=["业务人员"], clearance="内部",
                    must_change_password=False)
    engine.dispose()
    token = client.post(f"{base}/api/auth/login", json={"username": "perf-user", "password": password}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def api_latency(store_url: str, boundaries: list[ProjectBoundary], warm_up: float = 45.0, workers: int = 1) -> None:
    """p50/p95 of compliance-review executions through a real server, and the server's CPU per request.

    The server runs ``workers`` processes (default one): each process warms its own land-use layers on its first
    request, and a keep-alive connection closed during the warm-up pause may be reopened on a cold process.
    """
    import httpx

    with tempfile.TemporaryDirectory(prefix="onemap-bench-api-") as folder:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        records_url = f"sqlite:///{folder}/records.sqlite"
        checkout = Path(__file__).resolve().parents[1]  # the server runs the onemap next to this script
        env = {**os.environ, "ONEMAP_DATA_DIR": folder, "ONEMAP_SECRET_KEY": uuid.uuid4().hex * 2,
               "PYTHONPATH": os.pathsep.join(filter(None, [str(checkout), os.environ.get("PYTHONPATH")]))}
        server = subprocess.Popen([sys.executable, "-m", "onemap.cli.main", "serve", "--store", store_url,
                                   "--records", records_url, "--port", str(port), "--workers", str(workers)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=checkout)
        base = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(timeout=120) as client:
                for _ in range(600):
                    try:
                        client.get(f"{base}/api/health")
                        break
                    except httpx.TransportError:
                        time.sleep(0.1)
                headers = _signed_in(records_url, base, client)
                url = f"{base}/ogc/processes/compliance-review/execution"
                started = time.perf_counter()
                for boundary in boundaries[:2]:  # warm-up: control lines read and indexed once
                    client.post(url, json={"inputs": {"boundary": _feature(boundary)}}, headers=headers)
                time.sleep(warm_up)  # the server reads DLTB/GHYDYH whole on a background thread
                idle = _until_idle(server.pid)
                print(f"API warm-up (2 requests, control lines cached, DLTB/GHYDYH read whole in the background): "
                      f"{time.perf_counter() - started:.2f} s{'' if idle else ' (server still busy)'}")
                times, results, cpu = [], {}, _server_cpu(server.pid)
                for boundary in boundaries[2:]:
                    started = time.perf_counter()
                    response = client.post(url, json={"inputs": {"boundary": _feature(boundary)}}, headers=headers)
                    times.append(time.perf_counter() - started)
                    response.raise_for_status()
                    verdict = response.json()["result"]["result"]
                    results[verdict] = results.get(verdict, 0) + 1
                cpu = (_server_cpu(server.pid) - cpu) / len(times)
        finally:
            server.terminate()
            server.wait(20)
    p50, p95 = np.percentile(np.array(times) * 1000, [50, 95])
    print(f"through the API ({len(times)} sequential requests, {store_url.split(':')[0]}): p50 {p50:.1f} ms, "
          f"p95 {p95:.1f} ms, max {max(times) * 1000:.1f} ms; server CPU {cpu * 1000:.1f} ms per request; "
          f"results {results}")


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--store", default=None)
    parser.add_argument("--projects", type=int, default=200)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2, help="processes of the multi-process batch")
    parser.add_argument("--api-only", action="store_true", help="only the figure through the API")
    parser.add_argument("--batch-only", action="store_true", help="only the batch figures (no API, no single)")
    parser.add_argument("--pool-only", action="store_true", help="of the batches only check_batch (processes)")
    parser.add_argument("--cache-features", type=int, default=None,
                        help="Settings.review_cache_features for the batches (0: read every layer per chunk)")
    parser.add_argument("--warm-up", type=float, default=45.0, help="seconds to let the server hold DLTB/GHYDYH")
    parser.add_argument("--server-workers", type=int, default=1, help="processes of the API server (onemap serve)")
    args = parser.parse_args()
    from onemap.store import open_store

    url = _store(args.store)
    with open_store(url) as store:
        extent = store.entry("DLTB").current.extent
    if not args.batch_only:
        api_latency(url, projects(extent, args.projects + 2, args.seed), args.warm_up, args.server_workers)
        if args.api_only:
            return
        _single(url, extent, args)
    _batches(url, extent, args)


def _single(url: str, extent: tuple, args: argparse.Namespace) -> None:
    """p50/p95 per project with a long-lived context (control lines cached, land use read near each project)."""
    from onemap.store import open_store

    with open_store(url) as store:
        started = time.perf_counter()
        context = ReviewContext(store)
        print(f"context (control lines cached): {time.perf_counter() - started:.2f} s")
        check_project(store, projects(extent, 1, 99)[0], context=context)  # warm-up
        times, results = [], {}
        for boundary in projects(extent, args.projects, args.seed):
            started = time.perf_counter()
            result = check_project(store, boundary, context=context)
            times.append(time.perf_counter() - started)
            results[result["result"]] = results.get(result["result"], 0) + 1
        p50, p95 = np.percentile(np.array(times) * 1000, [50, 95])
        print(f"per project ({args.projects}, reading DLTB/GHYDYH near each): p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
              f"max {max(times) * 1000:.1f} ms; results {results}")


def _peak_mb(who: int) -> float:
    """Peak resident memory (MB) of this process or of its largest child process so far (Linux: kB)."""
    return resource.getrusage(who).ru_maxrss / 1024


def _batches(url: str, extent: tuple, args: argparse.Namespace) -> None:
    """A batch vectorised in this process (load, then per phase) and ``check_batch`` on --workers processes."""

    batch = projects(extent, args.batch, args.seed + 1)
    if not args.pool_only:
        _in_process(url, batch, args)
    phases = Phases()
    started = time.perf_counter()
    results = check_batch(url, batch, workers=args.workers, cache_features=args.cache_features, phases=phases)
    seconds = time.perf_counter() - started
    load = phases.cpu.get("load", 0.0)
    print(f"check_batch of {len(results)} on {args.workers} processes (load included): {seconds:.1f} s wall; "
          f"workers' CPU {load:.1f} s load + {sum(phases.cpu.values()) - load:.1f} s review; largest worker's peak "
          f"memory {_peak_mb(resource.RUSAGE_CHILDREN):.0f} MB")
    print(f"  per phase (both workers): {phases.summary()}")


def _in_process(url: str, batch: list[ProjectBoundary], args: argparse.Namespace) -> None:
    """The batch vectorised in this process: load, then wall and CPU per phase."""
    from onemap.store import open_store

    with open_store(url) as store:
        started, cpu = time.perf_counter(), time.process_time()
        context = ReviewContext(store, preload=True, cache_features=args.cache_features)
        loaded, load_cpu = time.perf_counter() - started, time.process_time() - cpu
        whole = ", ".join(sorted(context.whole)) or "none"
        phases = Phases()
        ordered = [batch[i] for i in spatial_order(batch)]
        started, cpu = time.perf_counter(), time.process_time()
        results = check_projects(store, ordered, context=context, phases=phases)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    verdicts: dict[str, int] = {}
    for result in results:
        verdicts[result["result"]] = verdicts.get(result["result"], 0) + 1
    print(f"batch of {args.batch} vectorised in one process (held whole: {whole}; load {loaded:.1f} s wall / "
          f"{load_cpu:.1f} s CPU): {seconds:.1f} s wall, {cpu:.1f} s CPU, {cpu / args.batch * 1000:.2f} ms CPU per "
          f"project; results {verdicts}; peak memory {_peak_mb(resource.RUSAGE_SELF):.0f} MB")
    print(f"  per phase: {phases.summary()}")


if __name__ == "__main__":
    main()
