"""Tour planner: pure Python, no Django. Dataclasses in (``Problem``), dataclasses out (``Plan``).

``plan_tour`` plans, ``verify_plan`` checks any plan against the hard rules, ``toptw`` holds the
generic orienteering core used by the benchmark, ``travel`` the one travel-time model.
"""

from scheduler.planning.model import (
    REASONS,
    Commitment,
    CostModel,
    DayPlan,
    LeftOut,
    Location,
    LockedEvent,
    Plan,
    PlannedEvent,
    Problem,
    Request,
    RequestWindow,
    Team,
    TeamPlan,
    TravelLeg,
    Unavailability,
    ValueWeights,
)
from scheduler.planning.tour import plan_tour
from scheduler.planning.travel import TravelModel
from scheduler.planning.validate import ProblemError, check_problem
from scheduler.planning.verify import Violation, verify_plan

__all__ = [
    "REASONS",
    "Commitment",
    "CostModel",
    "DayPlan",
    "LeftOut",
    "Location",
    "LockedEvent",
    "Plan",
    "ProblemError",
    "PlannedEvent",
    "Problem",
    "Request",
    "RequestWindow",
    "Team",
    "TeamPlan",
    "TravelLeg",
    "TravelModel",
    "Unavailability",
    "ValueWeights",
    "check_problem",
    "Violation",
    "plan_tour",
    "verify_plan",
]
