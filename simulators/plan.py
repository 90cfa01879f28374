"""From a scenario to the devices and faults of one run, and its ground truth (pure)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from simulators.devices import DeviceSpec, SimulatedDevice
from simulators.faults import FAULT_TYPES, Fault
from simulators.scenarios import FaultIn, Scenario, ScenarioError
from simulators.truth import DeviceRecord, GroundTruth

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FleetPlan:
    """The devices of a scenario and the fault entries aimed at each of them."""

    scenario: Scenario
    devices: list[DeviceSpec]
    fault_entries: dict[str, list[FaultIn]] = field(default_factory=dict)

    @property
    def tenant(self) -> str:
        return self.scenario.tenant

    def faults_for(self, device_key: str) -> list[Fault]:
        """Fresh fault objects for one run (some faults, such as `stuck`, keep state while they run)."""
        return [make_fault(entry, device_key) for entry in self.fault_entries.get(device_key, [])]

    def build_devices(self, start: datetime) -> list[SimulatedDevice]:
        return [
            SimulatedDevice(
                spec,
                self.faults_for(spec.key),
                seed=self.scenario.seed,
                start=start,
                interval_s=self.scenario.sample_interval_s,
            )
            for spec in self.devices
        ]

    def ground_truth(self, start: datetime) -> GroundTruth:
        records = [fault.record(start, spec.metrics) for spec in self.devices for fault in self.faults_for(spec.key)]
        records.sort(key=lambda r: (r.onset, r.device_key, r.kind))
        return GroundTruth(
            tenant=self.tenant,
            start=start,
            sample_interval_s=self.scenario.sample_interval_s,
            seed=self.scenario.seed,
            scenario=self.scenario.name,
            devices=[DeviceRecord(s.key, s.asset_type) for s in self.devices],
            faults=records,
        )


def plan_fleet(scenario: Scenario) -> FleetPlan:
    """Resolve device selectors; a fault that selects no device (after `--devices` shrank the fleet) is
    dropped with a warning, since the scenario file itself was checked when it was loaded."""
    devices = [DeviceSpec(key, asset_type, number) for key, asset_type, number in scenario.fleet.device_keys()]
    entries: dict[str, list[FaultIn]] = {}
    for index, entry in enumerate(scenario.faults):
        hit = [d for d in devices if entry.matches(d.key) and _has_metric(entry, d)]
        if not hit:
            log.warning(
                "fault %d (%s on %s) selects no device of this fleet; skipped",
                index,
                entry.kind,
                entry.device,
            )
        for device in hit:
            entries.setdefault(device.key, []).append(entry)
    return FleetPlan(scenario, devices, entries)


def make_fault(entry: FaultIn, device_key: str) -> Fault:
    fault_type = FAULT_TYPES[entry.kind]
    whole = {f.name for f in fields(fault_type) if str(f.type) == "int"}
    params = {k: int(v) if k in whole else v for k, v in entry.params.items()}
    arguments: dict[str, Any] = {"device_key": device_key, "onset_s": entry.onset_s, **params}
    if entry.time_to_failure_s is not None:
        arguments["time_to_failure_s"] = entry.time_to_failure_s
        arguments["repair_after_s"] = entry.repair_after_s
    else:
        arguments["duration_s"] = entry.duration_s
    try:
        return fault_type(**arguments)
    except (TypeError, ValueError) as exc:
        raise ScenarioError(f"fault {entry.kind} on {device_key}: {exc}") from exc


def _has_metric(entry: FaultIn, device: DeviceSpec) -> bool:
    metric = entry.params.get("metric")
    return metric is None or metric in device.metrics
