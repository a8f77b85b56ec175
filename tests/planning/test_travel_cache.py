"""Travel legs are remembered per planner run, never in a table that lives with the process."""

from __future__ import annotations

import planner.travel as travel
from planner.travel import TravelCache, TravelModel
from tests.planning.helpers import CAMDEN, DENVER, PHILLY


def test_the_travel_model_keeps_no_process_wide_cache():
    assert not hasattr(travel._leg, "cache_info")
    assert not hasattr(TravelModel.leg, "cache_info")


def test_a_run_cache_holds_only_the_legs_it_was_asked_for():
    run = TravelCache()
    first = run.leg(PHILLY, CAMDEN)
    assert run.leg(PHILLY, CAMDEN) is first
    run.leg(PHILLY, DENVER)
    assert len(run) == 2
    # A new run starts empty and gets the same numbers from the one model.
    assert len(TravelCache()) == 0
    assert TravelCache().leg(PHILLY, CAMDEN) == first == TravelModel().leg(PHILLY, CAMDEN)
    assert run.leg(PHILLY, DENVER).mode == "flight"
