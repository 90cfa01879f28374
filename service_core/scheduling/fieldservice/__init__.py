"""Field-service optimisation as a pure library (no database): plan a day of technicians and work orders with
PyVRP, insert an emergency or re-plan a sick technician with the least disruption, explain every assignment,
diagnose what cannot be scheduled, and verify any plan with an independent checker.

The service core calls `optimize_day`, `insert_emergency` and `replan_sick_technician` with a `FieldServiceDay`
it has built from its tables, and stores the returned `FieldServicePlan`.  Travel goes through
`routing.travel.TravelTimes` (great-circle by default; an OSRM adapter can replace it).
"""

from service_core.scheduling.fieldservice.checker import PlanCheck, PlanViolation, PlanViolationKind, check_plan
from service_core.scheduling.fieldservice.generator import GeneratorSettings, emergency_order, generate_day
from service_core.scheduling.fieldservice.model import (
    PROFICIENCY_FACTOR,
    Booking,
    BreakRule,
    FieldServiceDay,
    FieldServiceInputError,
    InProgressBooking,
    Interval,
    LockedBooking,
    Priority,
    Technician,
    WorkOrder,
    service_minutes,
)
from service_core.scheduling.fieldservice.optimizer import (
    OptimizerSettings,
    PlanResult,
    cheapest_insertion_day,
    optimize_day,
)
from service_core.scheduling.fieldservice.plan import (
    Disruption,
    Explanation,
    FieldServicePlan,
    PlannedStop,
    RejectedAlternative,
    StopKind,
    TechnicianRoute,
    Unscheduled,
    UnscheduledReason,
)
from service_core.scheduling.fieldservice.replan import (
    ReplanResult,
    ReplanSettings,
    insert_emergency,
    replan_sick_technician,
)

__all__ = [
    "PROFICIENCY_FACTOR",
    "Booking",
    "BreakRule",
    "Disruption",
    "Explanation",
    "FieldServiceDay",
    "FieldServiceInputError",
    "FieldServicePlan",
    "GeneratorSettings",
    "InProgressBooking",
    "Interval",
    "LockedBooking",
    "OptimizerSettings",
    "PlanCheck",
    "PlanResult",
    "PlanViolation",
    "PlanViolationKind",
    "PlannedStop",
    "Priority",
    "RejectedAlternative",
    "ReplanResult",
    "ReplanSettings",
    "StopKind",
    "Technician",
    "TechnicianRoute",
    "Unscheduled",
    "UnscheduledReason",
    "WorkOrder",
    "cheapest_insertion_day",
    "check_plan",
    "emergency_order",
    "generate_day",
    "insert_emergency",
    "optimize_day",
    "replan_sick_technician",
    "service_minutes",
]
