"""The periodic jobs: each is idempotent, runs in its own transaction, and is serialised across runners by an
advisory lock (a second runner skips a job another is running instead of waiting)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg

log = logging.getLogger(__name__)

ACTOR = "system:jobs"
LOCK_NAMESPACE = 0x41505A  # "APZ": advisory-lock space of the jobs


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    description: str
    run: Callable[[psycopg.Connection, datetime], str]


def _escalations(conn: psycopg.Connection, now: datetime) -> str:
    from service_core.policies import service as policies

    return f"{len(policies.run_escalations(conn, now=now))} escalation(s) fired"


def _preventive_work(conn: psycopg.Connection, now: datetime) -> str:
    from service_core.agreements import pm_service

    return f"{len(pm_service.generate_preventive_work(conn, today=now.date(), actor=ACTOR))} preventive work order(s)"


def _periodic_invoices(conn: psycopg.Connection, now: datetime) -> str:
    from service_core.billing import periodic

    result = periodic.run_periodic(conn, through=now.date(), actor=ACTOR, on=now.date())
    return _summary(result)


def _dunning(conn: psycopg.Connection, now: datetime) -> str:
    from service_core.receivables import dunning

    return _summary(dunning.run_dunning(conn, as_of=now.date(), actor=ACTOR))


def _credit_check(conn: psycopg.Connection, now: datetime) -> str:
    from service_core.receivables import credit

    return _summary(credit.run_credit_check(conn))


def _summary(result: Any) -> str:
    """A one-line account of a run result (a pydantic model or dataclass of counts and id lists)."""
    fields = result.model_dump() if hasattr(result, "model_dump") else vars(result)
    parts = [f"{k}={len(v) if isinstance(v, list) else v}" for k, v in fields.items()]
    return ", ".join(parts)


JOBS: tuple[Job, ...] = (
    Job("escalations", "fire SLA escalation rules that came due", _escalations),
    Job("preventive-work", "open preventive-maintenance work orders that came due", _preventive_work),
    Job("periodic-invoices", "invoice due lease charges and agreement fees", _periodic_invoices),
    Job("dunning", "send due dunning levels, charge fees and interest, settle promises", _dunning),
    Job("credit-check", "put accounts over their limit on credit hold, release the others", _credit_check),
)


@dataclass(frozen=True, slots=True)
class JobRun:
    name: str
    status: str  # 'done', 'skipped' (another runner holds it) or 'failed'
    detail: str
    seconds: float


def run_all(url: str, *, now: datetime | None = None, only: set[str] | None = None) -> list[JobRun]:
    """Run each job once; a failure is logged and reported, and the other jobs still run."""
    moment = now or datetime.now(UTC)
    runs = []
    for index, job in enumerate(JOBS):
        if only and job.name not in only:
            continue
        runs.append(_run_one(url, job, index, moment))
    return runs


def _run_one(url: str, job: Job, index: int, now: datetime) -> JobRun:
    started = time.perf_counter()
    try:
        with psycopg.connect(url, application_name=f"assetpulse-jobs-{job.name}") as conn:
            got = conn.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", (LOCK_NAMESPACE, index)).fetchone()
            if not (got and got[0]):
                return JobRun(job.name, "skipped", "another runner is running it", time.perf_counter() - started)
            detail = job.run(conn, now)
    except Exception as exc:  # one job's failure must not stop the others
        log.exception("job %s failed", job.name)
        return JobRun(job.name, "failed", f"{type(exc).__name__}: {exc}", time.perf_counter() - started)
    log.info("job %s: %s", job.name, detail)
    return JobRun(job.name, "done", detail, time.perf_counter() - started)
