"""Load test of the running server with wrk (one command), printing req/s, p50 and p99 per scenario.

Usage: ``python benchmarks/bench_load.py [--stores postgis,gpkg] [--scenarios tiles,items] [--workers N]
[--duration 10] [--schema county300k] [--no-copy]``

For each store it starts the real server (``onemap serve``) twice: once on the shared 300k-parcel store
(read only: the server writes only its records database and tile cache, both in a private folder), and
once on a private copy in which ``YJJBNTBHTB`` is marked 内部 (PostGIS: schema ``serve_bench`` of the
bench database; GeoPackage: a copied file). It warms a set of distinct z14 tiles through HTTP, then runs
wrk (Debian package ``wrk``; a Lua script cycles through the tile URLs and sends the session cookie):

- cached tiles, anonymous, public layer DLTB;
- cached tiles, signed-in reader (领导, 内部 clearance), 内部 layer YJJBNTBHTB (each read is audited);
- items pages (limit 10, distinct cursors): anonymous on the public GHFQ (规划分区, large polygons), a
  signed-in reader on DLTB (parcels) and on the 内部 layer;
- a bare ASGI hello-world under the same uvicorn settings: the ceiling of this machine.

Targets (issue 6, 2 cores, PostGIS): ≥ 3,000 cached tiles/s with p99 < 500 ms; items ≥ 500/s. Figures on a
shared machine are noisy: the script also prints the server processes' CPU seconds per 1,000 requests.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import morecantile
import psycopg

SHARED_PG = "postgresql://postgres@127.0.0.1:5432/onemap_bench"
SHARED_SCHEMA = "county300k"
SHARED_GPKG = Path(__file__).parent / "out" / "store-300k.gpkg"
COPY_SCHEMA = "serve_bench"
PUBLIC_LAYER, INTERNAL_LAYER = "DLTB", "YJJBNTBHTB"
ITEMS_LAYER = "GHFQ"  # the public may read its features (policy.csv); DLTB only as tiles
WORK = Path(tempfile.gettempdir()) / "onemap-bench-load"
PASSWORD = "Yizhangtu#2024-bench"
TILES = 256
ONEMAP = [sys.executable, "-m", "onemap.cli.main"]
CHECKOUT = Path(__file__).resolve().parents[1]  # the server runs the onemap next to this script, wherever run from

LUA = r"""
local paths, counter = {}, 0
for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
local cookie = os.getenv("BENCH_COOKIE")
if cookie and #cookie > 0 then wrk.headers["Cookie"] = cookie end
function init(args) counter = math.random(#paths) end
function request()
  counter = counter % #paths + 1
  return wrk.format("GET", paths[counter])
end
function done(summary, latency, requests)
  io.write(string.format("RESULT %.1f %.2f %.2f %d %d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout))
end
"""

HELLO = """
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"hello"})
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str, headers: dict | None = None, data: bytes | None = None) -> bytes:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    with urllib.request.urlopen(request, timeout=120) as response:
        return response.read()


# -- private copies with a 内部 layer ---------------------------------------------------------------------
def postgis_copy() -> str:
    """Schema ``serve_bench``: the catalog and two layers of the shared store, YJJBNTBHTB marked 内部."""
    with psycopg.connect(SHARED_PG, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM information_schema.tables WHERE table_schema = %s AND table_name = %s",
                              (COPY_SCHEMA, INTERNAL_LAYER)).fetchone()
        if not exists:
            print(f"copying {PUBLIC_LAYER} and {INTERNAL_LAYER} into schema {COPY_SCHEMA} …", flush=True)
            conn.execute(f"DROP SCHEMA IF EXISTS {COPY_SCHEMA} CASCADE")
            conn.execute(f"CREATE SCHEMA {COPY_SCHEMA}")
            for table in ("om_layers", "om_versions", PUBLIC_LAYER, INTERNAL_LAYER):
                conn.execute(f'CREATE TABLE {COPY_SCHEMA}."{table}" (LIKE {SHARED_SCHEMA}."{table}" INCLUDING ALL)')
            conn.execute(f"INSERT INTO {COPY_SCHEMA}.om_layers SELECT * FROM {SHARED_SCHEMA}.om_layers "
                         "WHERE name IN (%s, %s)", (PUBLIC_LAYER, INTERNAL_LAYER))
            conn.execute(f"INSERT INTO {COPY_SCHEMA}.om_versions SELECT * FROM {SHARED_SCHEMA}.om_versions "
                         "WHERE layer IN (%s, %s)", (PUBLIC_LAYER, INTERNAL_LAYER))
            for table in (PUBLIC_LAYER, INTERNAL_LAYER):
                conn.execute(f'INSERT INTO {COPY_SCHEMA}."{table}" SELECT * FROM {SHARED_SCHEMA}."{table}"')
        for table in ("om_layers", "om_versions"):
            column = "name" if table == "om_layers" else "layer"
            conn.execute(f"UPDATE {COPY_SCHEMA}.{table} SET security_level = '内部' WHERE {column} = %s",
                         (INTERNAL_LAYER,))
    return f"{SHARED_PG}?schema={COPY_SCHEMA}"


def gpkg_copy() -> str:
    """A copied GeoPackage store with YJJBNTBHTB marked 内部."""
    import sqlite3

    target = WORK / "store-copy.gpkg"
    if not target.exists():
        shutil.copyfile(SHARED_GPKG, target)
    with sqlite3.connect(target) as conn:
        conn.execute("UPDATE om_layers SET security_level = '内部' WHERE name = ?", (INTERNAL_LAYER,))
        conn.execute("UPDATE om_versions SET security_level = '内部' WHERE layer = ?", (INTERNAL_LAYER,))
    return f"gpkg://{target}"


# -- the server --------------------------------------------------------------------------------------------
class Server:
    """``onemap serve`` in a subprocess with its own data folder (records database, tile cache)."""

    def __init__(self, store_url: str, folder: Path, workers: int | None) -> None:
        self.folder, self.port = folder, free_port()
        folder.mkdir(parents=True, exist_ok=True)
        # One load generator is one client with many connections: throughput, not the per-client bound, is measured.
        self.env = {"ONEMAP_MAX_IN_FLIGHT_PER_CLIENT": "0", **os.environ, "ONEMAP_DATA_DIR": str(folder),
                    "ONEMAP_SECRET_KEY": secrets.token_urlsafe(48),
                    "PYTHONPATH": os.pathsep.join(filter(None, [str(CHECKOUT), os.environ.get("PYTHONPATH")]))}
        command = [*ONEMAP, "serve", "--store", store_url, "--port", str(self.port),
                   "--records", f"sqlite:///{folder / 'records.sqlite'}"]
        if workers:
            command += ["--workers", str(workers)]
        self.log = (folder / "server.log").open("w")
        self.process = subprocess.Popen(command, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True, cwd=CHECKOUT)
        self.base = f"http://127.0.0.1:{self.port}"
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"server exited: see {self.folder / 'server.log'}")
            try:
                get(self.base + "/api/health")
                return
            except OSError:
                time.sleep(0.3)
        raise SystemExit("server did not start in 120 s")

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server's processes (the session's process group)."""
        total = 0.0
        ticks = os.sysconf("SC_CLK_TCK")
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == self.process.pid:  # process group id
                total += (int(fields[11]) + int(fields[12])) / ticks
        return total

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


def reader_cookie(server: Server) -> str:
    """Create a 领导 account cleared for 内部 in the server's records database and sign in."""
    from onemap.records import open_records
    from onemap.security.accounts import create_user

    engine = open_records(f"sqlite:///{server.folder / 'records.sqlite'}")
    username = f"reader{secrets.randbelow(10**6)}"
    with engine.begin() as conn:
        create_user(conn, actor=None, username=username, password=PASSWORD, roles=["领导"], clearance="内部",
                    must_change_password=False)
    engine.dispose()
    body = json.dumps({"username": username, "password": PASSWORD}).encode()
    answer = json.loads(get(server.base + "/api/auth/login", {"Content-Type": "application/json"}, body))
    return f"onemap_session={answer['token']}"


def tile_paths(server: Server, layer: str, cookie: str, zoom: int = 14) -> list[str]:
    """Up to TILES distinct WebMercatorQuad tiles inside the layer's extent, warmed into the cache."""
    headers = {"Cookie": cookie} if cookie else {}
    info = json.loads(get(f"{server.base}/ogc/collections/{layer}", headers))
    west, south, east, north = info["extent"]["spatial"]["bbox"][0]
    tiles = list(morecantile.tms.get("WebMercatorQuad").tiles(west, south, east, north, [zoom]))
    step = max(1, len(tiles) // TILES)
    paths = [f"/ogc/collections/{layer}/tiles/WebMercatorQuad/{t.z}/{t.y}/{t.x}" for t in tiles[::step][:TILES]]
    started = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda p: get(server.base + p, headers), paths))
    print(f"  warmed {len(paths)} z{zoom} tiles of {layer} in {time.monotonic() - started:.1f} s", flush=True)
    return paths


def item_paths(layer: str, count: int = 200, features: int = 30_000) -> list[str]:
    return [f"/ogc/collections/{layer}/items?limit=10&after={i * (features // count)}" for i in range(count)]


def wrk(server_base: str, paths: list[str], *, cookie: str = "", duration: int, connections: int) -> dict:
    """Run wrk against ``paths`` (cycled); req/s, p50 and p99 in ms, requests, errors."""
    script, listing = WORK / f"paths-{os.getpid()}.lua", WORK / f"paths-{os.getpid()}.txt"  # runs may overlap
    script.write_text(LUA)
    listing.write_text("\n".join(paths) + "\n")
    env = {**os.environ, "BENCH_PATHS": str(listing), "BENCH_COOKIE": cookie}
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "--latency", "-s", str(script),
               server_base]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT"))
    rate, p50, p99, requests, errors = line.split()[1:]
    return {"rps": float(rate), "p50": float(p50), "p99": float(p99), "requests": int(requests),
            "errors": int(errors)}


def warm(server: Server, paths: list[str], cookie: str, count: int = 24) -> None:
    """A few requests first: each fresh worker process and thread pays its imports and PROJ set-up once."""
    headers = {"Cookie": cookie} if cookie else {}
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda p: get(server.base + p, headers), paths[:count]))


def measure(label: str, server: Server, paths: list[str], args: argparse.Namespace, cookie: str = "") -> None:
    warm(server, paths, cookie)
    before = server.cpu_seconds()
    result = wrk(server.base, paths, cookie=cookie, duration=args.duration, connections=args.connections)
    cpu = server.cpu_seconds() - before
    per_k = 1000 * cpu / max(1, result["requests"])
    print(f"  {label:<52} {result['rps']:>8.0f} req/s  p50 {result['p50']:>7.1f} ms  p99 {result['p99']:>7.1f} ms"
          f"  errors {result['errors']}  server CPU {per_k:.2f} s/1k req", flush=True)


def ceiling(args: argparse.Namespace) -> None:
    """A bare ASGI hello-world under uvicorn with the same worker count: what this machine can do at best."""
    (WORK / "hello_app.py").write_text(HELLO)
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "hello_app:app", "--port", str(port), "--log-level", "warning",
               "--workers", str(args.workers or 1)]
    process = subprocess.Popen(command, cwd=WORK, start_new_session=True)
    try:
        for _ in range(100):
            try:
                get(f"http://127.0.0.1:{port}/")
                break
            except OSError:
                time.sleep(0.2)
        result = wrk(f"http://127.0.0.1:{port}", ["/"], duration=args.duration, connections=args.connections)
        print(f"  {'bare uvicorn hello-world (ceiling)':<48} {result['rps']:>8.0f} req/s  p50 {result['p50']:>7.1f} ms"
              f"  p99 {result['p99']:>7.1f} ms", flush=True)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)


def run_store(kind: str, args: argparse.Namespace) -> None:
    shared = f"{SHARED_PG}?schema={args.schema}" if kind == "postgis" else f"gpkg://{SHARED_GPKG.resolve()}"
    print(f"\n== {kind}: shared store (public layer, anonymous)", flush=True)
    server = Server(shared, WORK / f"{kind}-shared", args.workers)
    tiles, items = "tiles" in args.scenarios, "items" in args.scenarios
    try:
        if tiles:
            measure("cached z14 tiles, anonymous, 公开 DLTB", server, tile_paths(server, PUBLIC_LAYER, ""), args)
        if items:
            measure(f"items limit=10, anonymous, 公开 {ITEMS_LAYER} (large polygons)", server,
                    item_paths(ITEMS_LAYER, features=24_000), args)
            measure("items limit=10, reader cookie, 公开 DLTB", server, item_paths(PUBLIC_LAYER, features=300_000),
                    args, reader_cookie(server))
    finally:
        server.stop()
    if args.no_copy:
        return
    copy = postgis_copy() if kind == "postgis" else gpkg_copy()
    print(f"== {kind}: private copy (内部 layer, signed-in reader)", flush=True)
    server = Server(copy, WORK / f"{kind}-copy", args.workers)
    try:
        cookie = reader_cookie(server)
        if tiles:
            paths = tile_paths(server, INTERNAL_LAYER, cookie)
            measure("cached z14 tiles, reader cookie, 内部 YJJBNTBHTB", server, paths, args, cookie)
        if items:
            measure("items limit=10, reader cookie, 内部 YJJBNTBHTB", server,
                    item_paths(INTERNAL_LAYER, features=36_000), args, cookie)
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", default="postgis,gpkg")
    parser.add_argument("--scenarios", default="tiles,items", help="tiles, items or both (comma-separated)")
    parser.add_argument("--workers", type=int, default=None, help="onemap serve --workers (default: its own)")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--no-ceiling", action="store_true")
    parser.add_argument("--schema", default=SHARED_SCHEMA, help="schema of the shared PostGIS store (GHFQ, DLTB)")
    parser.add_argument("--no-copy", action="store_true", help="skip the private copy (内部 layer)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk (scripts/setup.sh installs it)")
    WORK.mkdir(parents=True, exist_ok=True)
    print(f"wrk -t2 -c{args.connections} -d{args.duration}s; {os.cpu_count()} CPUs; figures are noisy on a shared"
          " machine", flush=True)
    if not args.no_ceiling:
        ceiling(args)
    args.scenarios = {s.strip() for s in args.scenarios.split(",")}
    for kind in args.stores.split(","):
        run_store(kind.strip(), args)


if __name__ == "__main__":
    main()
