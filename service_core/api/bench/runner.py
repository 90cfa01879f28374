"""Run the API benchmark: a seeded database, the API in its own processes, the load from another process."""

from __future__ import annotations

import json
import logging
import secrets
import subprocess
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from service_core.api.bench.seed import SeedSize, seed
from service_core.api.serve import api_command, api_env, server_process
from service_core.auth import security
from service_core.auth import service as auth_service
from service_core.auth.domain import Role
from service_core.auth.schemas import UserCreate
from service_core.db.connection import scratch_database
from service_core.db.embedded import admin_server
from service_core.db.migrate import migrate
from service_core.exceptions import ServiceUnavailable

log = logging.getLogger(__name__)

TARGET_RPS = 500.0
TARGET_P95_MS = 50.0


@dataclass(frozen=True, slots=True)
class ApiBenchConfig:
    size: SeedSize
    rate: float = TARGET_RPS
    seconds: float = 20.0
    warmup: float = 3.0
    workers: int = 2
    admin_url: str | None = None  # a server where we may CREATE DATABASE; None: an embedded PostgreSQL


def run_api_bench(config: ApiBenchConfig) -> dict[str, Any]:
    """Seed, serve, load; the figures of the work-order endpoints and of /health (the baseline) at the same rate."""
    with (
        admin_server(config.admin_url, prefix="assetpulse-bench-api-") as admin_url,
        scratch_database(admin_url, f"ap_bench_api_{uuid.uuid4().hex[:8]}") as url,
    ):
        migrate(url, timescale="off")
        seeded = seed(url, config.size)
        secret = secrets.token_urlsafe(48)
        token = _dispatcher_token(url, secret)
        with server_process(
            api_command(workers=config.workers), env=api_env(url, secret=secret, pool_min=4, pool_max=16)
        ) as base_url:
            baseline = _load(base_url, token, config, operation_filter="health")
            loaded_from = datetime.now(UTC)
            result = _load(base_url, token, config, operation_filter=None)
        result["created"] = _created_since(url, loaded_from)
    return _report(result, baseline, seeded, config)


def _created_since(url: str, since: datetime) -> dict[str, int]:
    """The work orders the run created, and how many of them the intake gave SLA due times (so the figures are
    of the whole intake, the business-calendar arithmetic included)."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*), count(resolution_due_at) FROM work.work_orders WHERE created_at >= %s", (since,)
        ).fetchone()
    total, timed = row if row else (0, 0)
    return {"work_orders": int(total), "with_sla_due_times": int(timed)}


def _report(
    result: dict[str, Any], baseline: dict[str, Any], seeded: dict[str, float], config: ApiBenchConfig
) -> dict[str, Any]:
    return {
        "rps": result["rps"],
        "p50_ms": result["p50_ms"],
        "p95_ms": result["p95_ms"],
        "p99_ms": result["p99_ms"],
        "errors": result["errors"],
        "requests": result["requests"],
        "target_rps": config.rate,
        "targets_met": result["rps"] >= TARGET_RPS * 0.98
        and result["p95_ms"] < TARGET_P95_MS
        and result["errors"] == 0,
        "operations": result["operations"],
        "p95_ms_by_slice": result["p95_ms_by_slice"],
        "created_during_run": result["created"],
        "baseline_health": {k: baseline[k] for k in ("rps", "p50_ms", "p95_ms", "errors")},
        "p95_ratio_to_health": round(result["p95_ms"] / baseline["p95_ms"], 2) if baseline["p95_ms"] else None,
        "database": {k: int(v) if k != "seed_seconds" else v for k, v in seeded.items()},
        "api_workers": config.workers,
        "seconds": result["seconds"],
    }


def _dispatcher_token(url: str, secret: str) -> str:
    with psycopg.connect(url) as conn:
        user = auth_service.create_user(
            conn,
            user_in=UserCreate(email="bench@example.com", password=secrets.token_urlsafe(16), role=Role.DISPATCHER),
        )
    return security.issue_access_token(
        user_id=user.id, role=Role.DISPATCHER, secret=secret, now=datetime.now(UTC), lifetime=timedelta(hours=2)
    )


def _load(base_url: str, token: str, config: ApiBenchConfig, *, operation_filter: str | None) -> dict[str, Any]:
    command = [sys.executable, "-m", "service_core.api.bench.loadgen", "--base-url", base_url, "--token", token,
               "--rate", str(config.rate), "--seconds", str(config.seconds), "--warmup", str(config.warmup),
               "--accounts", str(config.size.accounts), "--assets", str(config.size.assets)]  # fmt: skip
    if operation_filter:
        command += ["--only", operation_filter]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ServiceUnavailable(f"the load generator failed: {done.stderr.strip()[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result
