"""The soak, phase by phase:

1. services: a PostgreSQL cluster and a Mosquitto of its own, in a temporary folder, on free loopback ports;
2. database: schema, fleet with assets, detector models, a dispatcher for the API load (`simulators.soak.setup`);
3. processes: two ingestors sharing a subscription, the detector, the API and its steady load;
4. load: the publisher shards start; the outage schedule runs (an ingestor SIGKILLed and replaced, PostgreSQL
   and the broker restarted); the RSS of every process is sampled every few seconds;
5. drain: the publishers flush and stop, the soak waits (bounded) until the store holds every reading sent
   and the detector has caught up;
6. counting and the report (`simulators.soak.report`).
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import psycopg

from detection import bench_score
from service_core.exceptions import ServiceUnavailable
from simulators.plan import plan_fleet
from simulators.scenarios import Scenario
from simulators.soak import counting, processes, report
from simulators.soak.broker import OwnBroker
from simulators.soak.options import SoakOptions
from simulators.soak.postgres import OwnPostgres
from simulators.soak.schedule import PlannedOutage, outage_schedule, shard_scenarios
from simulators.soak.setup import SoakDatabase, prepare_database

log = logging.getLogger(__name__)

SUBSCRIBED_MARK = "subscribed; ingesting"
CONNECTED_MARK = "connected to mqtt://"
DETECTOR_READY_MARK = "active models:"
RECOVERY_S = 10.0  # API requests this long after a restart still count to its window
SETTLE_S = 10.0  # a process started during the run is measured from this long after its start
STABLE_POLLS = 3


class SoakFailed(ServiceUnavailable):
    """The soak could not run to the end (a process died, a service never came up)."""


@dataclass
class Outage:
    name: str
    at_s: float
    detail: str = ""
    down_s: float = 0.0
    window: tuple[float, float] = (0.0, 0.0)  # wall epoch seconds: down .. up + recovery
    facts: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "at_s": round(self.at_s, 1), "detail": self.detail, "down_s": round(self.down_s, 2),
                **self.facts}  # fmt: skip


class Soak:
    def __init__(self, options: SoakOptions, workdir: Path) -> None:
        self.options = options
        self.workdir = workdir
        self.logs = workdir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.pg = OwnPostgres(workdir / "pg")
        self.broker = OwnBroker(workdir / "mosquitto")
        self.ingestors: dict[int, processes.Child] = {}
        self.generation = {1: 1, 2: 1}
        self.detector: processes.Child | None = None
        self.api: processes.ApiServer | None = None
        self.load: processes.Child | None = None
        self.publishers: list[processes.Child] = []
        self.outages: list[Outage] = []
        self.timings: dict[str, float] = {}
        self.t0 = 0.0
        self.statement_stats = False
        self.top_statements: list[dict[str, Any]] = []

    # -- the run -----------------------------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        began = time.monotonic()
        o = self.options
        self.pg.init().start()
        self.broker.start()
        scenarios = self._scenarios()
        db = prepare_database(self.pg.url, scenarios, train_units=o.train_units, train_hours=o.train_hours,
                              train_interval_s=o.training_interval_s,
                              commissioning_interval_s=o.commissioning_interval_s, run_s=o.duration_s)  # fmt: skip
        self.timings |= db.timings
        self._start_pipeline(db)
        self.timings["setup_s"] = round(time.monotonic() - began, 1)
        self.statement_stats = self.pg.reset_statement_stats()
        sampler = processes.RssSampler(self._rss_targets, t0=time.time(), interval_s=self._rss_interval())
        self._start_publishers()
        sampler.t0 = self.t0
        sampler.start()
        self._run_schedule(outage_schedule(o.duration_s))
        sampler.sample_now()  # the 'end' sample: the last moment under full load
        sampler.stop()
        load_stopped = time.time()
        api_records = self._stop_load()
        shards = self._wait_publishers()
        sent = sum(int(s["readings_sent"]) for s in shards)
        device_ids = [u.device_id for u in db.units.values()]
        since = min(datetime.fromisoformat(str(s["start"]).replace("Z", "+00:00")) for s in shards)
        drained = self._drain(device_ids, since, sent)
        detector_caught_up = self._wait_detector(db, timeout=60.0)
        drain_s = time.time() - load_stopped
        stored = counting.stored_counts(self.pg.url, device_ids, since)
        work_orders = counting.detector_work_orders(self.pg.url, {u.asset_id: k for k, u in db.units.items()})
        faults = self._faults_with_truth(scenarios, shards)
        self.top_statements = self.pg.top_statements()
        self.timings["total_s"] = round(time.monotonic() - began, 1)
        return self._report(
            shards=shards, stored=stored, drained=drained, detector_caught_up=detector_caught_up, faults=faults,
            work_orders=work_orders, api_records=api_records, rss=sampler.samples, drain_s=drain_s,
        )  # fmt: skip

    def close(self) -> None:
        children = [*self.publishers, self.load, self.api.child if self.api else None, self.detector,
                    *self.ingestors.values()]  # fmt: skip
        for child in children:
            if child is not None:
                with contextlib.suppress(Exception):
                    child.stop(timeout=20)
        self.broker.stop()
        self.pg.close()

    # -- phases ------------------------------------------------------------------------------------------------
    def _scenarios(self) -> list[Scenario]:
        o = self.options
        documents = shard_scenarios(devices=o.devices, shards=o.shards, duration_s=o.duration_s, seed=o.seed,
                                    tenant=o.tenant, fault_fraction=o.fault_fraction,
                                    sample_interval_s=o.sample_interval_s)  # fmt: skip
        scenarios = []
        for i, document in enumerate(documents):
            (self.workdir / f"shard-{i}.json").write_bytes(orjson.dumps(document))
            scenarios.append(Scenario.model_validate(document))
        return scenarios

    def _start_pipeline(self, db: SoakDatabase) -> None:
        for n in (1, 2):
            self.ingestors[n] = self._ingestor(n).start()
        for child in self.ingestors.values():
            self._wait_log(child, SUBSCRIBED_MARK, timeout=90)
        self.detector = processes.detector(database_url=self.pg.url, log_dir=self.logs,
                                           interval_s=self.options.detector_interval_s).start()  # fmt: skip
        self.api = processes.ApiServer.start(database_url=self.pg.url, secret=db.api_secret, log_dir=self.logs)
        self._open_manual_work_orders(db)
        self._wait_log(self.detector, DETECTOR_READY_MARK, timeout=120)
        self.load = processes.api_load(base_url=self.api.base_url, token=db.api_token, rate=self.options.api_rate,
                                       out=self.workdir / "api-load.json", log_dir=self.logs).start()  # fmt: skip

    def _ingestor(self, n: int) -> processes.Child:
        return processes.ingestor(n, database_url=self.pg.url, mqtt_url=self.broker.url, group="soak",
                                  log_dir=self.logs, generation=self.generation[n])  # fmt: skip

    def _open_manual_work_orders(self, db: SoakDatabase) -> None:
        """A few work orders opened through the API, so the load's work-order reads have something to read."""
        assert self.api is not None
        headers = {"Authorization": f"Bearer {db.api_token}"}
        with psycopg.connect(self.pg.url) as conn:
            rows = conn.execute(
                "SELECT a.id, a.account_id FROM assets.assets a WHERE a.id = ANY(%s) ORDER BY a.id LIMIT 10",
                ([u.asset_id for u in db.units.values()],),
            ).fetchall()
        with httpx.Client(base_url=self.api.base_url, headers=headers, timeout=10) as client:
            for asset_id, account_id in rows:
                body = {"account_id": account_id, "asset_id": asset_id, "work_type": "inspection",
                        "summary": f"soak: routine inspection of asset {asset_id}"}  # fmt: skip
                response = client.post("/work-orders", json=body)
                if response.status_code != 201:
                    raise SoakFailed(f"the API refused a work order: {response.status_code} {response.text[:300]}")

    def _start_publishers(self) -> None:
        self.t0 = time.time()
        for i in range(self.options.shards):
            child = processes.publisher(i, scenario_file=self.workdir / f"shard-{i}.json", mqtt_url=self.broker.url,
                                        out=self.workdir / f"shard-{i}.out.json", drain_s=120.0,
                                        log_dir=self.logs)  # fmt: skip
            self.publishers.append(child.start())

    def _run_schedule(self, schedule: list[PlannedOutage]) -> None:
        actions = {"kill_ingestor": self._kill_ingestor, "restart_postgres": self._restart_postgres,
                   "restart_broker": self._restart_broker}  # fmt: skip
        pending = list(schedule)
        while time.time() - self.t0 < self.options.duration_s:
            if pending and time.time() - self.t0 >= pending[0].at_s:
                planned = pending.pop(0)
                log.warning("soak: %s at %.0fs", planned.name, time.time() - self.t0)
                self.outages.append(actions[planned.name](Outage(planned.name, time.time() - self.t0)))
            self._check_alive()
            time.sleep(0.2)

    def _kill_ingestor(self, outage: Outage) -> Outage:
        victim = self.ingestors[1]
        old_pid = victim.pid
        began = time.time()
        victim.kill()
        self.generation[1] += 1
        replacement = self._ingestor(1).start()
        self.ingestors[1] = replacement
        # connected = its persistent session (with the shared subscription) resumed; the SUBACK may come much later
        # when the broker first delivers the backlog it kept for the session (the ingestor's inbox is full meanwhile)
        self._wait_log(replacement, CONNECTED_MARK, timeout=60)
        up = time.time()
        outage.down_s = up - began
        outage.window = (began, up + RECOVERY_S)
        outage.detail = (f"ingestor-1 (pid {old_pid}) killed with SIGKILL; replacement pid {replacement.pid} "
                         f"(same client id, so the same persistent session) connected")  # fmt: skip
        outage.facts = {"killed_pid": old_pid, "replacement_pid": replacement.pid}
        return outage

    def _restart_postgres(self, outage: Outage) -> Outage:
        before_time, before_pid = self.pg.start_time(), self.pg.postmaster_pid()
        began = time.time()
        self.pg.stop("fast")
        time.sleep(self.options.outage_s)
        self.pg.start()
        up = time.time()
        after_time, after_pid = self.pg.start_time(), self.pg.postmaster_pid()
        outage.down_s = up - began
        outage.window = (began, up + RECOVERY_S)
        outage.detail = (
            f"pg_ctl stop -m fast, down {self.options.outage_s:g}s, start (postmaster {before_pid} -> {after_pid})"
        )
        outage.facts = {
            "postmaster_pid_before": before_pid,
            "postmaster_pid_after": after_pid,
            "postmaster_start_before": before_time.isoformat() if before_time else None,
            "postmaster_start_after": after_time.isoformat() if after_time else None,
        }
        return outage

    def _restart_broker(self, outage: Outage) -> Outage:
        before_pid = self.broker.pid()
        began = time.time()
        self.broker.stop()
        persistence_mib = self.broker.persistence_mib()  # a large file: messages queued for slow consumers
        time.sleep(self.options.outage_s)
        self.broker.start()
        up = time.time()
        outage.down_s = up - began
        outage.window = (began, up + RECOVERY_S)
        outage.detail = (f"Mosquitto stopped (SIGTERM: persistence saved), down {self.options.outage_s:g}s, "
                         f"started on the same port (pid {before_pid} -> {self.broker.pid()}), "
                         f"persistence {persistence_mib:g} MiB")  # fmt: skip
        outage.facts = {"broker_pid_before": before_pid, "broker_pid_after": self.broker.pid(),
                        "broker_starts": self.broker.starts, "persistence_mib": persistence_mib}  # fmt: skip
        return outage

    def _check_alive(self) -> None:
        for child in [*self.ingestors.values(), self.detector, self.api.child if self.api else None, self.load]:
            if child is not None and not child.alive():
                raise SoakFailed(f"{child.name} exited unexpectedly; its log ends:\n{child.log_tail()}")

    def _stop_load(self) -> list[report.ApiRecord]:
        assert self.load is not None
        self.load.stop(timeout=30)
        out = self.workdir / "api-load.json"
        if not out.exists():
            raise SoakFailed(f"the API load wrote no result; its log ends:\n{self.load.log_tail()}")
        return [
            (float(t), str(op), int(status), float(ms))
            for t, op, status, ms in orjson.loads(out.read_bytes())["records"]
        ]

    def _wait_publishers(self) -> list[dict[str, Any]]:
        results = []
        for i, child in enumerate(self.publishers):
            child.wait(timeout=180.0)
            out = self.workdir / f"shard-{i}.out.json"
            if not out.exists():
                child.stop(timeout=30)
            if not out.exists():
                raise SoakFailed(f"{child.name} wrote no result; its log ends:\n{child.log_tail()}")
            results.append(orjson.loads(out.read_bytes()))
        return results

    def _drain(self, device_ids: list[int], since: datetime, sent: int) -> bool:
        """Wait until every reading sent is stored (checked exactly once the cheap figure stops moving), at most
        `drain_timeout_s`; True when they are all there."""
        deadline = time.monotonic() + self.options.drain_timeout_s
        last, stable = -1, 0
        while time.monotonic() < deadline:
            with contextlib.suppress(psycopg.Error):
                now = counting.metric_values_since(self.pg.url, device_ids, since)
                stable = stable + 1 if now == last else 0
                last = now
                if stable >= STABLE_POLLS:
                    if counting.stored_counts(self.pg.url, device_ids, since).readings >= sent:
                        return True
                    stable = 0
            time.sleep(2.0)
        log.warning("soak: the store did not catch up with the publishers within %.0fs", self.options.drain_timeout_s)
        return False

    def _wait_detector(self, db: SoakDatabase, timeout: float) -> bool:
        """Wait until the detector's high-water marks reach the newest reading of every live device."""
        ids = [u.device_id for u in db.units.values()]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(psycopg.Error), psycopg.connect(self.pg.url, autocommit=True) as conn:
                row = conn.execute(
                    """
                    SELECT count(*) FROM telemetry.latest l
                    LEFT JOIN detection.high_water_marks h ON h.device_id = l.device_id
                    WHERE l.device_id = ANY(%s) AND (h.last_ts IS NULL OR h.last_ts < l.ts)
                    """,
                    (ids,),
                ).fetchone()
                if row is not None and row[0] == 0:
                    return True
            time.sleep(1.0)
        return False

    def _faults_with_truth(self, scenarios: list[Scenario], shards: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The ground truth of every shard, with the moment each fault became detectable (its simulated twin)."""
        out = []
        for scenario, shard in zip(scenarios, shards, strict=True):
            plan = plan_fleet(scenario)
            specs = {d.key: d for d in plan.devices}
            start = _parse(shard["start"])
            end = _parse(shard["end"]) if shard.get("end") else start
            samples = int((end - start).total_seconds() / scenario.sample_interval_s) + 1
            for fault in shard["faults"]:
                record = _record(fault)
                detectable = None
                if record.category in report.COUNTED_CATEGORIES:
                    detectable = bench_score.detectable_at(
                        specs[record.device_key], plan.faults_for(record.device_key), record, seed=scenario.seed,
                        start=start, interval_s=scenario.sample_interval_s, samples=samples,
                    )  # fmt: skip
                out.append({**fault, "onset": record.onset, "failure": record.failure, "end": record.end,
                            "detectable_at": detectable})  # fmt: skip
        return out

    # -- helpers -----------------------------------------------------------------------------------------------
    def _rss_targets(self) -> dict[str, list[int]]:
        targets: dict[str, list[int]] = {}
        for n, child in self.ingestors.items():
            targets[f"ingestor-{n}"] = [child.pid] if child.alive() and child.pid else []
        others = {"detector": self.detector, "api": self.api.child if self.api else None, "api-load": self.load}
        for name, other in others.items():
            targets[name] = [other.pid] if other is not None and other.alive() and other.pid else []
        for child in self.publishers:
            targets[child.name] = [child.pid] if child.alive() and child.pid else []
        broker = self.broker.pid()
        targets["mosquitto"] = [broker] if broker else []
        targets["postgres"] = processes.process_tree(self.pg.postmaster_pid())
        return targets

    def _rss_interval(self) -> float:
        return max(2.0, min(10.0, self.options.duration_s / 30))

    @staticmethod
    def _wait_log(child: processes.Child, mark: str, *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not child.log_contains(mark):
            if not child.alive():
                raise SoakFailed(f"{child.name} exited while starting; its log ends:\n{child.log_tail()}")
            if time.monotonic() > deadline:
                raise SoakFailed(f"{child.name} was not ready after {timeout:.0f}s; its log ends:\n{child.log_tail()}")
            time.sleep(0.2)

    # -- the report --------------------------------------------------------------------------------------------
    def _report(
        self, *, shards: list[dict[str, Any]], stored: counting.StoredCounts, drained: bool, detector_caught_up: bool,
        faults: list[dict[str, Any]], work_orders: list[dict[str, Any]], api_records: list[report.ApiRecord],
        rss: dict[str, list[report.RssSample]], drain_s: float,
    ) -> dict[str, Any]:  # fmt: skip
        o = self.options
        sent = sum(int(s["readings_sent"]) for s in shards)
        readings = report.readings_figures(
            sent=sent, stored=stored.readings, undelivered=sum(int(s["undelivered"]) for s in shards),
            backlog_dropped=sum(int(s["backlog_dropped"]) for s in shards),
        )  # fmt: skip
        run_end = max(_parse(s["end"]) for s in shards if s.get("end"))
        detection = report.match_faults(faults, work_orders, run_end=run_end)
        windows = [(f"{x.name} (+{RECOVERY_S:g}s)", *x.window) for x in self.outages]
        api = report.api_figures(api_records, windows)
        first_outage = min((x.window[0] for x in self.outages), default=self.t0 + o.duration_s)
        baseline_records = [r for r in api_records if self.t0 + o.warmup_s <= r[0] < first_outage]
        baseline = report.api_figures(baseline_records, [])
        rss_figures = report.rss_figures(rss, warmup_s=o.warmup_s, settle_s=SETTLE_S)
        watched = ["ingestor-1", "ingestor-2", "detector", "api", "api-load", *(p.name for p in self.publishers)]
        worst_name, worst = report.worst_growth(rss_figures, watched, min_span_s=o.duration_s * 0.4)
        target_rate = o.devices / o.sample_interval_s
        achieved = sent / o.duration_s
        return {
            "readings_sent": sent,
            "readings_stored": stored.readings,
            "faults_injected": detection["faults_injected"],
            "work_orders_opened": detection["work_orders_opened"],
            "api_error_rate": api["error_rate"],
            "rss_growth_pct": worst,
            "rss_worst_process": worst_name,
            **{k: v for k, v in readings.items() if k not in ("readings_sent", "readings_stored")},
            "metric_values_stored": stored.metric_values,
            "rollup_values": stored.rollup_values,
            "quarantined": stored.quarantined,
            "dead_letters": stored.dead_letters,
            "drained": drained,
            "detector_caught_up": detector_caught_up,
            "faults_detectable_during_run": detection["faults_detectable_during_run"],
            "faults_caught": detection["faults_caught"],
            "detection": detection,
            "devices": o.devices,
            "minutes": o.minutes,
            "rate_per_device_hz": round(1 / o.sample_interval_s, 3),
            "publisher_shards": o.shards,
            "target_readings_per_s": round(target_rate, 1),
            "achieved_readings_per_s": round(achieved, 1),
            "achieved_ratio": report.ratio(achieved, target_rate),
            "publishers": [{k: v for k, v in s.items() if k != "faults"} for s in shards],
            "api": api,
            "baseline": {
                "window": f"from the warm-up ({o.warmup_s:g}s) to the first outage",
                "api_requests": baseline["requests"],
                "api_error_rate": baseline["error_rate"],
                "api_p95_ms": baseline["p95_ms"],
                "p95_ratio_to_baseline": report.ratio(api["p95_ms"], baseline["p95_ms"], 2),
            },
            "outages": [x.as_dict() for x in self.outages],
            "rss": rss_figures,
            "database": {
                "statement_stats": self.statement_stats,  # False: the server has no pg_stat_statements
                "top_statements": self.top_statements,  # by total execution time, the run and its drain
            },
            "drain_s": round(drain_s, 1),
            "timings": self.timings,
            "config": {
                "api_rate": o.api_rate,
                "fault_fraction": o.fault_fraction,
                "seed": o.seed,
                "outage_s": o.outage_s,
                "unit_baselines": o.commissioning_interval_s is not None,
                "training": {
                    "units_per_type": o.train_units,
                    "hours": o.train_hours,
                    "interval_s": o.training_interval_s,
                },
                "warmup_s": o.warmup_s,
            },
        }


def _parse(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)


def _record(fault: dict[str, Any]) -> Any:
    from simulators.faults import FaultRecord

    return FaultRecord(
        device_key=fault["device_key"],
        kind=fault["kind"],
        category=fault["category"],
        onset=_parse(fault["onset"]),
        failure=_parse(fault["failure"]) if fault.get("failure") else None,
        end=_parse(fault["end"]) if fault.get("end") else None,
        metrics=tuple(fault.get("metrics", ())),
    )


def run_soak(options: SoakOptions) -> dict[str, Any]:
    """Run the soak and return its report; everything it started is stopped, its folder removed (unless kept)."""
    options.check()
    workdir = Path(tempfile.mkdtemp(prefix="assetpulse-soak-"))
    workdir.chmod(0o755)
    soak = Soak(options, workdir)
    try:
        result = soak.run()
        if options.keep_dir:
            result["workdir"] = str(workdir)
        return result
    finally:
        soak.close()
        if options.keep_dir:
            log.warning("soak files kept in %s", workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
