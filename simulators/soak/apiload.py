"""Child process: a steady, open-loop API load for the soak until SIGTERM (or `--seconds`), then every request's
outcome as JSON (wall start time, operation, HTTP status or 0 for a failed request, latency):

    python -m simulators.soak.apiload --base-url URL --token JWT --rate 30 --out requests.json

Requests start on a fixed schedule whether or not earlier ones finished (a slow or failing server shows up as
latency and errors, not as a politely lower rate).  The mix: work-order lists, work-order reads (ids taken from
the lists) and the fleet-health read.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import signal
import time
from pathlib import Path
from typing import Any

import aiohttp
import orjson

CONNECTIONS = 32
TIMEOUT_S = 10.0
OPERATIONS = (("list_work_orders", 0.4), ("get_work_order", 0.4), ("fleet_health", 0.2))


class Load:
    def __init__(self, base_url: str, token: str, *, rate: float, seed: int) -> None:
        self.base_url = base_url
        self.headers = {"Authorization": f"Bearer {token}"}
        self.rate = rate
        self.rng = random.Random(seed)
        self.ids: list[int] = []
        self.records: list[tuple[float, str, int, float]] = []  # (wall start, operation, status, latency ms)
        self.stop = asyncio.Event()

    async def run(self, seconds: float | None) -> None:
        connector = aiohttp.TCPConnector(limit=CONNECTIONS)
        timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
        async with aiohttp.ClientSession(self.base_url, headers=self.headers, connector=connector,
                                         timeout=timeout) as client:  # fmt: skip
            start = time.perf_counter()
            pending: set[asyncio.Task[None]] = set()
            i = 0
            while not self.stop.is_set() and (seconds is None or i / self.rate < seconds):
                due = start + i / self.rate
                delay = due - time.perf_counter()
                if delay > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.stop.wait(), delay)
                    if self.stop.is_set():
                        break
                task = asyncio.create_task(self._one(client, due))
                pending.add(task)
                task.add_done_callback(pending.discard)
                i += 1
            if pending:
                await asyncio.wait(pending, timeout=TIMEOUT_S + 1)

    async def _one(self, client: aiohttp.ClientSession, due: float) -> None:
        names = [name for name, _ in OPERATIONS]
        name = self.rng.choices(names, [w for _, w in OPERATIONS])[0]
        if name == "get_work_order" and not self.ids:
            name = "list_work_orders"
        wall = time.time() - (time.perf_counter() - due)
        try:
            async with self._request(client, name) as response:
                body = await response.read()
                status = response.status
            if name == "list_work_orders" and status == 200:
                self._remember(body)
        except (aiohttp.ClientError, TimeoutError, OSError):
            status = 0
        self.records.append((round(wall, 3), name, status, round((time.perf_counter() - due) * 1000, 2)))

    def _request(self, client: aiohttp.ClientSession, name: str) -> Any:
        if name == "get_work_order":
            return client.get(f"/work-orders/{self.rng.choice(self.ids)}")
        if name == "fleet_health":
            return client.get("/assets/fleet-health", params={"limit": 50})
        params: dict[str, Any] = {"limit": 20}
        if self.rng.random() < 0.5:
            params["status"] = self.rng.choice(["unscheduled", "scheduled", "in_progress"])
        return client.get("/work-orders", params=params)

    def _remember(self, body: bytes) -> None:
        with contextlib.suppress(ValueError, KeyError, TypeError):
            items = orjson.loads(body)["items"]
            fresh = [int(item["id"]) for item in items]
            self.ids = (fresh + [i for i in self.ids if i not in fresh])[:200]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    load = Load(args.base_url, args.token, rate=args.rate, seed=args.seed)

    async def go() -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, load.stop.set)
        loop.add_signal_handler(signal.SIGINT, load.stop.set)
        await load.run(args.seconds)

    asyncio.run(go())
    tmp = args.out.with_suffix(".tmp")
    tmp.write_bytes(orjson.dumps({"records": load.records}))
    tmp.replace(args.out)


if __name__ == "__main__":
    main()
