"""The search loop shared by every planner in this package: iterated ruin and recreate.

This module owns *how long* and *in which order* the planners search, not what a feasible plan
is. A model (the multi-day tour layer in ``tour.py``, or the TOPTW core of the benchmark in
benchmarks/toptw_core.py) exposes a
small protocol: ruin part of the current solution, recreate it greedily, report an objective
and how much work it did. The loop adds acceptance, best-solution tracking, restarts and a
budget.

Determinism: a wall clock never decides *what* the search does, only a counted work budget does.
``Budget`` converts the caller's seconds into work units at a fixed rate, so the same input,
seed and seconds give the same plan on any machine that is fast enough to spend the budget
before the wall-clock safety stop. ``SearchStats.stopped_by`` says which of the two ended it.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Protocol

# Work units per second of requested time. Calibrated on the 2-core reference machine so that
# the counted budget normally runs out a little before the wall clock (see ``Budget``).
WORK_UNITS_PER_SECOND = 30_000_000


class SearchModel(Protocol):
    """What a planner model must offer the loop."""

    work: int

    def objective(self) -> tuple[float, float]:
        """Larger is better: (collected value, minus travel)."""
        ...

    def snapshot(self) -> object: ...

    def restore(self, snap: object) -> None: ...

    def ruin(self, rng: random.Random, strength: int) -> None: ...

    def recreate(self, rng: random.Random) -> None: ...


@dataclass(frozen=True)
class Budget:
    """How much the loop may do: counted work units, with a wall-clock safety stop."""

    work_units: int
    wall_seconds: float

    @classmethod
    def from_seconds(
        cls, seconds: float, *, work_units: int | None = None, rate: int = WORK_UNITS_PER_SECOND
    ) -> Budget:
        # 85% of the nominal rate leaves room for set-up and answer building inside the limit.
        units = work_units if work_units is not None else int(seconds * rate * 0.85)
        # The clock stop keeps 5% back for building the answer (reasons, legs) afterwards.
        return cls(work_units=units, wall_seconds=seconds * 0.95)


@dataclass(frozen=True)
class SearchStats:
    iterations: int
    work: int
    seconds: float
    stopped_by: str  # "budget" (deterministic) or "time" (wall-clock safety stop)


def iterated_ruin_recreate(
    model: SearchModel,
    *,
    rng: random.Random,
    budget: Budget,
    max_strength: int = 12,
    threshold: float = 0.02,
    reset_after: int = 400,
    cycles: int = 1,
    restart_after: float | None = None,
) -> SearchStats:
    """Improve ``model`` in place and leave it holding the best solution found.

    Acceptance is a threshold that shrinks linearly to zero over the budget (record-to-record
    travel on the value), which lets the search cross plateaus early and converge late.
    """
    started = time.perf_counter()
    deadline = started + budget.wall_seconds
    model.recreate(rng)
    best_obj = model.objective()
    best = model.snapshot()
    current_obj = best_obj
    strength = 1
    since_best = 0
    iterations = 0
    stopped_by = "budget"
    start_work = model.work
    current_cycle = 0
    best_work = 0  # work spent when the best value was last raised (or the walk restarted)
    while model.work - start_work < budget.work_units:
        if time.perf_counter() > deadline:
            stopped_by = "time"
            break
        iterations += 1
        progress = (model.work - start_work) / max(1, budget.work_units)
        # The threshold falls to zero ``cycles`` times; each cycle starts again from the best.
        cycle = min(cycles - 1, int(progress * cycles))
        if cycle != current_cycle:
            current_cycle = cycle
            model.restore(best)
            current_obj = best_obj
        before = model.snapshot()
        model.ruin(rng, strength)
        model.recreate(rng)
        obj = model.objective()
        allowed = threshold * abs(best_obj[0]) * max(0.0, 1.0 - (progress * cycles - cycle))
        if obj > best_obj:
            # Only more value counts as progress; a shorter route with the same value is kept
            # as the best but does not reset the ruin size (else the search never grows it).
            if obj[0] > best_obj[0]:
                strength = 1
                since_best = 0
                best_work = model.work - start_work
            best_obj, best = obj, model.snapshot()
            current_obj = obj
            continue
        since_best += 1
        if obj >= current_obj or obj[0] >= best_obj[0] - allowed:
            current_obj = obj
        else:
            model.restore(before)
        # Grow the ruin while stuck; go back to the best solution after a long fruitless walk.
        if since_best % 20 == 0:
            strength = strength + 1 if strength < max_strength else 1
        if restart_after is not None and (
            model.work - start_work - best_work > restart_after * budget.work_units
        ):
            # Stuck in one basin for a good share of the budget: build a new solution from
            # scratch and walk from there (the best is kept), instead of going back to it.
            model.restart(rng)  # type: ignore[attr-defined]
            current_obj = model.objective()
            best_work = model.work - start_work
            since_best = 0
            strength = 1
        elif since_best % reset_after == 0:
            model.restore(best)
            current_obj = best_obj
    model.restore(best)
    return SearchStats(
        iterations=iterations,
        work=model.work - start_work,
        seconds=time.perf_counter() - started,
        stopped_by=stopped_by,
    )
