"""Tour planner: pure Python, no Django. Dataclasses in (``Problem``), dataclasses out (``Plan``).

A top-level package so it reads on its own: ``plan_tour`` plans (``tour.py``), ``verify_plan``
checks any plan against the hard rules, ``check_reasons`` checks the left-out reasons, ``travel``
is the one travel-time model, ``days`` the one day rule, ``reasons`` the staff wording. The
generic TOPTW core that the benchmark compares with OR-Tools lives in benchmarks/toptw_core.py
(it needs numpy, which the product does not).
"""

from planner.model import (
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
    RoadStop,
    Team,
    TeamPlan,
    TravelLeg,
    Unavailability,
    ValueWeights,
)
from planner.tour import plan_tour
from planner.travel import TravelModel
from planner.validate import ProblemError, check_problem
from planner.verify import Violation, verify_plan

__all__ = [
    "REASONS",
    "Commitment",
    "CostModel",
    "DayPlan",
    "LeftOut",
    "Location",
    "RoadStop",
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
