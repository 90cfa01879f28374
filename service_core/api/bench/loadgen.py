"""An open-loop HTTP load generator, run as its own process (`python -m service_core.api.bench.loadgen ...`).

Requests are started on a fixed schedule (the target rate), whether or not earlier ones have finished, and each
latency is measured from its scheduled start: a slow server shows up as latency, not as a politely lower rate
("coordinated omission" avoided).  Prints one JSON object with the figures per operation and overall.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from service_core.analytics.domain import percentile


@dataclass(frozen=True, slots=True)
class Operation:
    name: str
    weight: float
    request: Callable[[aiohttp.ClientSession, random.Random, dict[str, Any]], Any]


def _list_work_orders(client: aiohttp.ClientSession, rng: random.Random, ctx: dict[str, Any]) -> Any:
    params: dict[str, Any] = {"limit": 50}
    choice = rng.random()
    if choice < 0.4:
        params["status"] = rng.choice(["unscheduled", "scheduled", "in_progress"])
    elif choice < 0.7:
        params["account_id"] = rng.randint(1, ctx["accounts"])
    elif choice < 0.85:
        params["priority"] = rng.choice(["emergency", "high"])
    return client.get("/work-orders", params=params)


def _create_work_order(client: aiohttp.ClientSession, rng: random.Random, ctx: dict[str, Any]) -> Any:
    asset_id = rng.randint(1, ctx["assets"])
    body = {
        "account_id": 1 + asset_id % ctx["accounts"],
        "asset_id": asset_id,
        "work_type": rng.choice(["repair", "maintenance", "inspection"]),
        "priority": rng.choice(["normal", "high", "low"]),
        "summary": f"bench order for asset {asset_id}",
    }
    return client.post("/work-orders", json=body)


def _health(client: aiohttp.ClientSession, rng: random.Random, ctx: dict[str, Any]) -> Any:
    return client.get("/health")


BASELINES = {"health": Operation("health", 1.0, _health)}
OPERATIONS = {
    "list_work_orders": Operation("list_work_orders", 0.5, _list_work_orders),
    "create_work_order": Operation("create_work_order", 0.5, _create_work_order),
}


@dataclass(slots=True)
class Sample:
    operation: str
    latency_ms: float
    ok: bool
    status: int
    due_s: float  # when it was due, seconds after the measured part began


CONNECTIONS = 48  # concurrent requests at most: one keep-alive connection per worker, no queue inside the client


async def run(
    base_url: str,
    headers: dict[str, str],
    *,
    rate: float,
    seconds: float,
    warmup: float,
    ctx: dict[str, Any],
    seed: int,
    ops: list[Operation],
) -> dict[str, Any]:
    """Request i is due at start + i / rate; a pool of workers takes the due requests in order.  A request that
    starts late because every worker was busy still counts its latency from when it was due, so a server that
    falls behind shows it in the latencies (and a lower rps), not in a politely slowed schedule."""
    rng = random.Random(seed)
    weights = [op.weight for op in ops]
    total = int(rate * (warmup + seconds))
    plan = [rng.choices(ops, weights)[0] for _ in range(total)]
    samples: list[Sample] = []
    connector = aiohttp.TCPConnector(limit=CONNECTIONS)
    timeout = aiohttp.ClientTimeout(total=30.0)
    async with aiohttp.ClientSession(base_url, headers=headers, connector=connector, timeout=timeout) as client:
        start = time.perf_counter()
        cursor = iter(range(total))

        async def worker() -> None:
            for i in cursor:  # a shared iterator: each index is taken by exactly one worker
                due = start + i / rate
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                measured = i >= rate * warmup
                await _one(client, plan[i], rng, ctx, due, start + warmup, samples if measured else None)

        await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
        elapsed = time.perf_counter() - start - warmup
    return summarize(samples, elapsed)


async def _one(  # noqa: PLR0917
    client: aiohttp.ClientSession,
    op: Operation,
    rng: random.Random,
    ctx: dict[str, Any],
    scheduled: float,
    measured_from: float,
    samples: list[Sample] | None,
) -> None:
    try:
        async with op.request(client, rng, ctx) as response:
            await response.read()
            ok, status = response.status < 400, response.status
    except (aiohttp.ClientError, TimeoutError):
        ok, status = False, 0
    if samples is not None:
        latency = (time.perf_counter() - scheduled) * 1000
        samples.append(Sample(op.name, latency, ok, status, scheduled - measured_from))


def summarize(samples: list[Sample], elapsed: float) -> dict[str, Any]:
    """Overall and per-operation throughput, latency percentiles and errors."""
    by_op: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        by_op[s.operation].append(s)

    def figures(group: list[Sample]) -> dict[str, Any]:
        latencies = [s.latency_ms for s in group]
        errors = sum(1 for s in group if not s.ok)
        return {
            "requests": len(group),
            "rps": round(len(group) / elapsed, 1) if elapsed > 0 else 0.0,
            "p50_ms": round(percentile(latencies, 50) or 0.0, 2),
            "p95_ms": round(percentile(latencies, 95) or 0.0, 2),
            "p99_ms": round(percentile(latencies, 99) or 0.0, 2),
            "errors": errors,
            "statuses": dict(sorted(_count_statuses(group).items())),
        }

    return {
        **figures(samples),
        "seconds": round(elapsed, 2),
        "operations": {k: figures(v) for k, v in by_op.items()},
        "p95_ms_by_slice": p95_by_slice(samples, SLICE_SECONDS),
    }


SLICE_SECONDS = 5.0


def p95_by_slice(samples: list[Sample], width: float) -> list[float]:
    """The p95 latency of the requests due in each `width`-second slice of the measured part, in order: whether
    the tail is spread evenly or comes from a few bad moments (a checkpoint, a vacuum, a pause)."""
    slices: dict[int, list[float]] = defaultdict(list)
    for s in samples:
        slices[int(s.due_s // width)].append(s.latency_ms)
    return [round(percentile(slices[k], 95) or 0.0, 1) for k in sorted(slices)]


def _count_statuses(group: list[Sample]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for s in group:
        counts[str(s.status)] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--accounts", type=int, required=True)
    parser.add_argument("--assets", type=int, required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", choices=sorted(BASELINES), help="run a baseline operation instead of the mix")
    args = parser.parse_args()
    headers = {"Authorization": f"Bearer {args.token}"}
    ctx = {"accounts": args.accounts, "assets": args.assets}
    ops = [BASELINES[args.only]] if args.only else list(OPERATIONS.values())
    result = _event_loop_runner()(
        run(
            args.base_url,
            headers,
            rate=args.rate,
            seconds=args.seconds,
            warmup=args.warmup,
            ctx=ctx,
            seed=args.seed,
            ops=ops,
        )
    )
    print(json.dumps(result))


def _event_loop_runner() -> Callable[[Any], Any]:
    """uvloop's runner where it is installed (with uvicorn[standard], off Windows): the generator shares the
    machine with the server it measures, so the less CPU it takes per request the less it disturbs the figures."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run
    return uvloop.run


if __name__ == "__main__":
    main()
