"""Simulated devices for testing AssetPulse without hardware.

Python API (what `assetpulse demo` and tests call)::

    from simulators import SimulatorSettings, load_scenario, with_overrides, run_fleet

    settings = SimulatorSettings()                     # ASSETPULSE_MQTT_URL, ASSETPULSE_DATABASE_URL, ...
    scenario = load_scenario("default")                # a packaged name or a path to a YAML file
    scenario = with_overrides(scenario, devices=50, speed=600)
    stop = threading.Event()                           # set it from another thread to stop the fleet
    report = run_fleet(settings, scenario, stop, truth_path=Path("truth.json"))
    report.truth.faults                                # list[FaultRecord]: device, kind, category, onset,
                                                       # failure (degradations), end, metrics, params

`run_fleet(settings, scenario, stop_event=None, *, samples=None, truth_path=None, register=None,
drain_timeout_s=30.0) -> FleetReport` blocks until the scenario's duration is over (or `samples` readings per
device were taken, fast mode), `stop_event` is set or Ctrl-C; it registers the fleet first when a database URL
is set (or `register=True`).  `FleetReport`: `truth: GroundTruth`, `start`/`end` (simulated), `client_ids`,
`samples`, `readings_sent`, `undelivered` (per device), `interrupted`.  `GroundTruth.write(path)` writes JSON
(`*.json`) or CSV.  Call `plan_fleet(scenario).ground_truth(start)` for the truth without running anything.

`replay_file(settings, path, *, device_key, tenant, speed=1.0, fmt="auto", ...) -> ReplayReport` publishes a
SKAB or NAB CSV file as one device.

Modules:
    signals     physics of pumps, compressors, chillers and generators
    faults      injectable faults and the ground truth each leaves
    devices     a device: signals + faults + store-and-forward buffer
    scenarios   scenario YAML files (packaged ones in simulators/scenarios/), plan: what a scenario runs
    truth       ground truth as JSON or CSV
    fleet       the MQTT runner; link: one device's connection; mqtt_loop: one thread for many connections
    datasets    SKAB/NAB files; replay: publishing one as a device
    registry    registering devices; config: SimulatorSettings; cli: `assetpulse simulate`
"""

from simulators.config import SimulatorSettings
from simulators.faults import FaultKind, FaultRecord
from simulators.fleet import FleetReport, run_fleet
from simulators.plan import FleetPlan, plan_fleet
from simulators.replay import ReplayReport, replay_file
from simulators.scenarios import Scenario, ScenarioError, load_scenario, parse_scenario, with_overrides
from simulators.truth import GroundTruth

__all__ = [
    "FaultKind",
    "FaultRecord",
    "FleetPlan",
    "FleetReport",
    "GroundTruth",
    "ReplayReport",
    "Scenario",
    "ScenarioError",
    "SimulatorSettings",
    "load_scenario",
    "parse_scenario",
    "plan_fleet",
    "replay_file",
    "run_fleet",
    "with_overrides",
]
