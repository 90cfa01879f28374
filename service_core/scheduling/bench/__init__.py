"""`assetpulse bench schedule`: the routing core on published VRPTW instances, with a baseline in the same run."""

from service_core.scheduling.bench.report import InstanceOutcome, MethodOutcome, ScheduleBenchReport
from service_core.scheduling.bench.runner import (
    DEFAULT_INSTANCES_DIR,
    ScheduleBenchError,
    ScheduleBenchOptions,
    run_schedule_bench,
)

__all__ = [
    "DEFAULT_INSTANCES_DIR",
    "InstanceOutcome",
    "MethodOutcome",
    "ScheduleBenchError",
    "ScheduleBenchOptions",
    "ScheduleBenchReport",
    "run_schedule_bench",
]
