"""The time-window routing core: VRPTW instances, solutions in the SINTEF format, an independent feasibility
checker, the solver adapter (PyVRP), a cheapest-insertion baseline and the travel-time seam.  No database."""

from service_core.scheduling.routing.checker import CheckReport, Violation, ViolationKind, check_solution
from service_core.scheduling.routing.errors import RoutingInputError
from service_core.scheduling.routing.instances import (
    BestKnown,
    Site,
    VrptwInstance,
    parse_instance,
    read_best_known,
    read_instance,
)
from service_core.scheduling.routing.solution import (
    RoutingSolution,
    format_sintef,
    parse_sintef,
    read_sintef,
    write_sintef,
)
from service_core.scheduling.routing.travel import (
    EuclideanTravel,
    GeoPoint,
    GreatCircleTravel,
    PlanePoint,
    TravelTable,
    TravelTimes,
)

__all__ = [
    "BestKnown",
    "CheckReport",
    "EuclideanTravel",
    "GeoPoint",
    "GreatCircleTravel",
    "PlanePoint",
    "RoutingInputError",
    "RoutingSolution",
    "Site",
    "TravelTable",
    "TravelTimes",
    "Violation",
    "ViolationKind",
    "VrptwInstance",
    "check_solution",
    "format_sintef",
    "parse_instance",
    "parse_sintef",
    "read_best_known",
    "read_instance",
    "read_sintef",
    "write_sintef",
]
