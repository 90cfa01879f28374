"""`assetpulse bench detect`: a simulated fleet with injected faults through the real broker, ingestor, detector
and service core, scored against the simulator's ground truth (definitions in `detection.bench_score`).

1. setup: a scratch database, training units and the live fleet registered and linked to assets; the training
   units' simulated healthy history and the live units' commissioning history (the day their own baselines are
   learned from, before the run) written fast with the ingest writer;
2. train one model per asset type from that history (`detection.training.train`, as `detect train` does);
3. healthy fleet (`detection.bench_healthy`): many never-faulted units, each with a day of history for its own
   baseline and then `healthy_days` scored in memory by the detector's own code (`live.score_rows`), in parallel
   processes; every condition it raises counts as a false work order;
4. live: the scenario's fleet (faults included) publishes through MQTT, paced `speed` times faster than real
   time, into the real ingestor (a child process); the detector polls in a thread and opens work orders
   through the conditions service;
5. scoring, and a fixed-threshold z-score baseline over the same stored readings.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from detection import bench_score, live, training
from detection.bench_healthy import POLL_ROWS, run_healthy_fleet
from detection.bench_setup import Unit, register_with_assets, units_of, write_commissioning, write_history
from detection.features import frame_from_columns
from detection.model import UNIT_LEARNING_S, AssetTypeModel
from ingest.bench.database import bench_database
from ingest.bench.ingestor import IngestorProcess
from ingest.bench.services import start_services
from service_core.db.migrate import migrate
from simulators import SimulatorSettings, load_scenario, plan_fleet, run_fleet, with_overrides
from simulators.signals import ASSET_TYPES

log = logging.getLogger(__name__)

HISTORY_SEED_OFFSET = 101
HEALTHY_SEED_OFFSET = 202
COMMISSIONING_S = UNIT_LEARNING_S + 3600.0  # live units' history before the run: their own baseline
# The live run's devices start from the simulator's initial state, which does not continue their commissioning
# history (a real device's readings would): the run starts this long after that history ends, as if the devices
# had been offline, so the detector sees the join as the gap it is (`detection.drivers.GAP_STEPS`).
RESTART_GAP_S = 600.0


def _train_end(anchor: datetime) -> datetime:
    """Training history ends an hour before the live units' commissioning history starts (never overlapping)."""
    return anchor - timedelta(seconds=COMMISSIONING_S + 3600)


@dataclass(frozen=True, slots=True)
class DetectBenchOptions:
    scenario: str = "all_faults"
    speed: float = 240.0
    train_units: int = 4  # per asset type
    train_hours: float = 36.0
    healthy_units: int = 25  # per asset type
    healthy_days: float = 30.0  # 25 units x 4 types x 30 days: 3,000 asset-days, enough to show <= 1 per 1,000
    database_url: str | None = None
    mqtt_url: str | None = None
    poll_interval_s: float = 0.2
    drain_timeout_s: float = 60.0


def run_detect_bench(options: DetectBenchOptions) -> dict[str, Any]:
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        admin_url, mqtt_url = start_services(options.database_url, options.mqtt_url, stack)
        url = stack.enter_context(bench_database(admin_url))
        migrate(url, timescale="off")
        scenario = load_scenario(options.scenario)
        duration = float(scenario.duration_s or 14400.0)
        interval = scenario.sample_interval_s
        anchor = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=duration + RESTART_GAP_S)
        fleet = _setup(url, options, tenant=scenario.tenant, seed=scenario.seed, anchor=anchor, interval=interval)
        timings = {"setup_s": round(time.monotonic() - started, 1)}
        models = _train(url, now=_train_end(anchor), days=options.train_hours / 24)
        timings["train_s"] = round(time.monotonic() - started - timings["setup_s"], 1)
        healthy = _healthy_phase(models, options, seed=scenario.seed, end=anchor, interval=interval)
        timings["healthy_phase_s"] = healthy.pop("seconds")
        live_result = _live_phase(url, mqtt_url, options, scenario=scenario, fleet=fleet, models=models)
        timings["live_phase_s"] = live_result.pop("seconds")
        timings["total_s"] = round(time.monotonic() - started, 1)
        baseline_fleet = healthy["healthy_fleet"]
        live_result["baseline"]["false_work_orders_per_1000_asset_days"] = baseline_fleet.pop(
            "baseline_false_work_orders_per_1000_asset_days"
        )
        live_result["baseline"]["healthy_fleet_false_work_orders"] = baseline_fleet.pop("baseline_false_work_orders")
        return {**live_result, **healthy, "timings": timings, "models": _model_info(models), **_definitions(options)}
    raise AssertionError("unreachable")  # pragma: no cover


def _setup(
    url: str, options: DetectBenchOptions, *, tenant: str, seed: int, anchor: datetime, interval: float
) -> dict[str, dict[str, Unit]]:
    plan_keys = load_scenario(options.scenario).fleet.device_keys()
    from simulators.devices import DeviceSpec

    live_specs = [DeviceSpec(k, t, n) for k, t, n in plan_keys]
    train_specs = units_of("tr", options.train_units)
    fleet = {
        "live": register_with_assets(url, tenant=tenant, specs=live_specs),
        "tr": register_with_assets(url, tenant=tenant, specs=train_specs),
    }
    train_end = _train_end(anchor)
    train_start = train_end - timedelta(hours=options.train_hours)
    write_history(url, tenant=tenant, specs=train_specs, seed=seed + HISTORY_SEED_OFFSET, start=train_start,
                  interval_s=interval, samples=int(options.train_hours * 3600 / interval))  # fmt: skip
    write_commissioning(url, tenant=tenant, specs=live_specs, seed=seed, before=anchor, interval_s=interval,
                        run_s=float(load_scenario(options.scenario).duration_s or 14400.0),
                        seconds=COMMISSIONING_S)  # fmt: skip
    marks = {u.device_id: train_end for u in fleet["tr"].values()}
    marks |= {u.device_id: anchor for u in fleet["live"].values()}
    with psycopg.connect(url) as conn:
        from detection.state import save_high_water_marks

        save_high_water_marks(conn, marks=marks)
    return fleet


def _train(url: str, *, now: datetime, days: float) -> dict[str, AssetTypeModel]:
    from detection import store

    models = {}
    with psycopg.connect(url) as conn:
        for asset_type in ASSET_TYPES:
            training.train(conn, asset_type=asset_type, now=now, days=days)
            found = store.load_active(conn, asset_type=asset_type, kind=live.MODEL_KIND)
            assert found is not None
            models[asset_type] = found[1]
    return models


def _healthy_phase(
    models: dict[str, AssetTypeModel], options: DetectBenchOptions, *, seed: int, end: datetime, interval: float
) -> dict[str, Any]:
    began = time.monotonic()
    result = run_healthy_fleet(models, per_type=options.healthy_units, days=options.healthy_days,
                               seed=seed + HEALTHY_SEED_OFFSET, end=end, interval_s=interval)  # fmt: skip
    return {**result, "seconds": round(time.monotonic() - began, 1)}


def _live_phase(
    url: str, mqtt_url: str, options: DetectBenchOptions, *, scenario: Any, fleet: dict[str, dict[str, Unit]],
    models: dict[str, AssetTypeModel],
) -> dict[str, Any]:  # fmt: skip
    began = time.monotonic()
    duration = float(scenario.duration_s or 14400.0)
    stop = threading.Event()
    with IngestorProcess(database_url=url, mqtt_url=mqtt_url) as ingestor:
        ingestor.wait_subscribed(timeout=120)
        thread = threading.Thread(
            target=live.run, name="detector", daemon=True,
            kwargs={"url": url, "interval_s": options.poll_interval_s, "stop": stop},
        )  # fmt: skip
        thread.start()
        live_start = datetime.now(UTC).replace(microsecond=0) - timedelta(
            seconds=duration - duration / options.speed + 5
        )
        run = with_overrides(scenario, speed=options.speed, start=live_start)
        wall_t0 = time.time()
        report = run_fleet(SimulatorSettings(mqtt_url=mqtt_url, database_url=None), run, register=False)
        _drain(url, fleet["live"], report.end or live_start, options.drain_timeout_s, ingestor)
        stop.set()
        thread.join(timeout=30)
    run_end = report.end or live_start + timedelta(seconds=duration)

    def publish_wall(ts: datetime) -> float:
        return wall_t0 + (ts - live_start).total_seconds() / options.speed

    faults = [f for f in report.truth.faults if f.category in ("equipment", "sensor")]
    plan = plan_fleet(run)
    specs = {d.key: d for d in plan.devices}
    samples = int(duration / scenario.sample_interval_s)
    detectable = {
        i: bench_score.detectable_at(specs[f.device_key], plan.faults_for(f.device_key), f, seed=scenario.seed,
                                     start=live_start, interval_s=scenario.sample_interval_s, samples=samples)
        for i, f in enumerate(faults)
    }  # fmt: skip
    alarms = _alarms(url, fleet["live"])
    summary = bench_score.summarise(alarms, faults, run_end=run_end, detectable=detectable, publish_wall=publish_wall)
    baseline = _baseline(url, fleet, models, faults=faults, run_end=run_end, live_start=live_start, options=options)
    return {
        **summary,
        "baseline": baseline,
        "live": {
            "devices": len(fleet["live"]),
            "simulated_hours": round(duration / 3600, 2),
            "speed": options.speed,
            "readings_sent": report.total_sent,
            "faults": len(faults),
            "per_fault": bench_score.per_fault(alarms, faults, run_end=run_end, detectable=detectable),
        },
        "seconds": round(time.monotonic() - began, 1),
    }  # fmt: skip


def _drain(url: str, units: dict[str, Unit], last: datetime, timeout: float, ingestor: IngestorProcess) -> None:
    """Wait until the detector's marks reach the last reading of every live device that sent one."""
    deadline = time.monotonic() + timeout
    ids = [u.device_id for u in units.values()]
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            ingestor.check_alive()
            row = conn.execute(
                """
                SELECT count(*) FROM telemetry.latest l
                LEFT JOIN detection.high_water_marks h ON h.device_id = l.device_id
                WHERE l.device_id = ANY(%s) AND (h.last_ts IS NULL OR h.last_ts < l.ts)
                """,
                (ids,),
            ).fetchone()
            if row is not None and row[0] == 0:
                return
            time.sleep(0.5)
    log.warning("the detector had not caught up with every live device after %.0fs", timeout)


def _alarms(url: str, units: dict[str, Unit]) -> list[bench_score.Alarm]:
    keys = {u.asset_id: key for key, u in units.items()}
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT c.asset_id, c.failure_mode, c.raised_at, extract(epoch FROM w.created_at) "
            "FROM detection.conditions c JOIN work.work_orders w ON w.condition_id = c.id "
            "WHERE c.asset_id = ANY(%s) ORDER BY c.raised_at",
            (list(keys),),
        ).fetchall()
    return [bench_score.Alarm(keys[int(a)], str(m), r, float(w)) for a, m, r, w in rows]


def _baseline(
    url: str, fleet: dict[str, dict[str, Unit]], models: dict[str, AssetTypeModel], *, faults: list[Any],
    run_end: datetime, live_start: datetime, options: DetectBenchOptions,
) -> dict[str, Any]:  # fmt: skip
    config = live.DetectorConfig()
    alarms: list[bench_score.Alarm] = []
    by_id = {u.device_id: key for key, u in fleet["live"].items()}
    with psycopg.connect(url) as conn:
        for asset_type, model in models.items():
            history = training.history_columns(conn, asset_type=asset_type, start=live_start, end=run_end,
                                               healthy_only=False)  # fmt: skip
            for device_id, (ts, columns) in history.items():
                if device_id in by_id:
                    frame = frame_from_columns(ts, columns, model.signals)
                    alarms += bench_score.baseline_alarms(model, frame, by_id[device_id],
                                                          on_delay_s=bench_score.BASELINE_ON_DELAY_S,
                                                          off_delay_s=config.off_delay_s)  # fmt: skip
    summary = bench_score.summarise(alarms, faults, run_end=run_end, detectable={}, publish_wall=None)
    keep = ("recall", "precision", "work_orders", "degradations_caught_before_failure", "per_fault_kind")
    return {
        "detector": f"fixed threshold: any signal |z| > {bench_score.BASELINE_Z} (healthy mean/std of its type), "
        "same hysteresis; one work order per episode",
        **{k: summary[k] for k in keep},
    }


def _model_info(models: dict[str, AssetTypeModel]) -> dict[str, Any]:
    return {t: {"scorer": m.kind, "signals": len(m.signals), "limit": round(m.limit, 3)} for t, m in models.items()}


def _definitions(options: DetectBenchOptions) -> dict[str, Any]:
    return {
        "definitions": {
            "onset_to_work_order_s": "evidence lag + pipeline latency: from the fault's detectable point (first "
            f"reading where the faulty device differs from its fault-free simulator twin by > "
            f"{bench_score.DETECTABLE_SIGMAS} x the metric's short-term noise (robust scale of first differences / "
            "sqrt 2), no detector output used) to the "
            "reading that raised the condition, in device time (simulated seconds = real seconds on a real "
            "device), plus wall seconds from that reading's publication (reconstructed from the paced "
            "simulator's clock, conservative by its connect time) to the work order's creation",
            "recall": "faults (equipment and sensor; connectivity loss excluded) with a detector work order on "
            "their device raised between onset and end (failure for degradations) + 30 min",
            "precision": "detector work orders on the live fleet that match a fault",
            "false_work_orders_per_1000_asset_days": "conditions raised on the healthy fleet (never faulted; each "
            "counted as a work order), per 1000 simulated asset-days scored after each unit's day of learning; "
            "scored in memory by the live detector's code (model, checks, hysteresis), not sent through MQTT, in "
            f"accelerated simulated time: batches of {POLL_ROWS} new readings after the live detector's "
            f"{live.CONTEXT_ROWS} context readings (same readings, order and context as live); "
            "upper_95_per_1000_asset_days is the 95% Poisson upper bound of the rate",
            "unit_baseline": f"each unit is compared with its own first {UNIT_LEARNING_S / 3600:.0f} h of healthy "
            "history (the live units get it as commissioning history before the run); until then with its "
            f"asset type's, at {live.NEW_UNIT_FACTOR:g} x the limit and without drift checks",
        },
        "config": {
            "scenario": options.scenario,
            "speed": options.speed,
            "train_units_per_type": options.train_units,
            "train_hours": options.train_hours,
            "healthy_units_per_type": options.healthy_units,
            "healthy_days": options.healthy_days,
            "equipment_on_delays": [list(step) for step in live.DetectorConfig().on_delays],
        },
    }
