"""Child process: one shard of the soak's fleet, paced at real time, through `simulators.fleet.FleetRunner`
(one MQTT connection per device, store-and-forward).  Writes what it did as JSON when its run is over:

    python -m simulators.soak.publisher SCENARIO.json MQTT_URL OUT.json [DRAIN_TIMEOUT_S]

SIGTERM stops it early (what was sent so far is still written)."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from service_core.logging import configure_logging
from simulators.config import SimulatorSettings
from simulators.fleet import FleetRunner, resolve_start
from simulators.plan import plan_fleet
from simulators.scenarios import Scenario

log = logging.getLogger(__name__)


def run_shard(scenario: Scenario, mqtt_url: str, *, stop: threading.Event, drain_timeout_s: float) -> dict[str, Any]:
    plan = plan_fleet(scenario)
    start = resolve_start(scenario, samples=None, now=datetime.now(UTC))
    truth = plan.ground_truth(start)
    settings = SimulatorSettings(mqtt_url=mqtt_url, database_url=None)
    runner = FleetRunner(settings, plan, start=start, samples=None, stop_event=stop)
    report = runner.run(truth, drain_timeout_s=drain_timeout_s)
    links = runner.links
    return {
        "scenario": scenario.name,
        "devices": len(links),
        "start": start,
        "end": report.end,
        "readings_sent": report.total_sent,
        "samples_taken": sum(report.samples.values()),
        "undelivered": sum(report.undelivered.values()),
        "backlog_dropped": sum(link.backlog.dropped for link in links),
        "connections": sum(link.stats.connections for link in links),
        "batches_sent": sum(link.stats.batches_sent for link in links),
        "network_drops_by_fault": sum(link.stats.dropped_by_fault for link in links),
        "requeued_no_subscribers": sum(link.stats.requeued_no_subscribers for link in links),
        "interrupted": report.interrupted,
        "faults": [
            {
                "device_key": f.device_key,
                "kind": f.kind,
                "category": f.category,
                "onset": f.onset,
                "failure": f.failure,
                "end": f.end,
                "metrics": list(f.metrics),
            }
            for f in report.truth.faults
        ],
    }


def main(argv: list[str]) -> None:
    if len(argv) not in (3, 4):
        raise SystemExit("usage: python -m simulators.soak.publisher SCENARIO.json MQTT_URL OUT.json [DRAIN_S]")
    configure_logging("WARNING")
    scenario = Scenario.model_validate(orjson.loads(Path(argv[0]).read_bytes()))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda _s, _f: stop.set())
    drain = float(argv[3]) if len(argv) == 4 else 60.0
    result = run_shard(scenario, argv[1], stop=stop, drain_timeout_s=drain)
    out = Path(argv[2])
    tmp = out.with_suffix(".tmp")
    tmp.write_bytes(orjson.dumps(result, option=orjson.OPT_UTC_Z))
    tmp.replace(out)


if __name__ == "__main__":
    main(sys.argv[1:])
