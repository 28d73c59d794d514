"""The per-client bound of the load shedder: one client's burst answers 429 while other clients are served."""

from __future__ import annotations

import asyncio

import httpx

from onemap.api.overload import LoadShedding, client_key


class HeldApp:
    """An ASGI app whose requests wait until the test lets them finish (no clock involved)."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.entered = 0

    async def __call__(self, scope, receive, send) -> None:
        self.entered += 1
        await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})


async def _burst() -> tuple[list[int], int, int, str, list[int]]:
    inner = HeldApp()
    app = LoadShedding(inner, limit=10, retry_after=3, client_limit=2)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        alice = {"Authorization": "Bearer alice"}
        held = [asyncio.create_task(client.get("/ogc/collections", headers=alice)) for _ in range(2)]
        while inner.entered < 2:
            await asyncio.sleep(0)
        refused = await client.get("/ogc/collections", headers=alice)  # her third request, others still held
        bob = asyncio.create_task(client.get("/ogc/collections", headers={"Authorization": "Bearer bob"}))
        while inner.entered < 3:
            await asyncio.sleep(0)
        body = refused.json()
        inner.release.set()
        statuses = [r.status_code for r in await asyncio.gather(*held, bob)]
        again = await client.get("/ogc/collections", headers=alice)
        return ([refused.status_code, again.status_code], int(refused.headers["Retry-After"]), len(app.by_client),
                body["detail"], statuses)


def test_a_clients_burst_is_answered_429_and_others_are_served() -> None:
    (refused, again), retry, left, detail, held = asyncio.run(_burst())
    assert refused == 429 and retry == 3 and "请 3 秒后重试" in detail
    assert held == [200, 200, 200]  # alice's two and bob's, admitted beside her refused third
    assert again == 200 and left == 0  # counters return to zero: nothing leaks per client


def test_clients_are_told_apart_by_address_and_credentials() -> None:
    scope = {"client": ("10.0.0.1", 5000), "headers": [(b"authorization", b"Bearer a")]}
    assert client_key(scope) != client_key({**scope, "headers": [(b"authorization", b"Bearer b")]})
    assert client_key(scope) != client_key({**scope, "client": ("10.0.0.2", 5000)})
    assert client_key({"client": ("10.0.0.1", 1), "headers": []}) == "10.0.0.1"
    assert "Bearer" not in client_key(scope)  # the credentials are kept as a digest only
