"""The search loop shared by every planner in this package: iterated ruin and recreate.

This module owns *how long* and *in which order* the planners search, not what a feasible plan
is. A model (the multi-day tour layer in ``tour.py``, or the TOPTW core of the benchmark in
benchmarks/toptw_core.py) exposes a
small protocol: ruin part of the current solution, recreate it greedily, report an objective
and how much work it did. The loop adds acceptance, best-solution tracking, restarts and a
budget.

How long: by default the search runs until the caller's wall-clock limit (less a small share
kept back for building the answer), so a faster or idler machine simply searches more. For
tests and reproducible benchmark rows a caller passes ``work_units`` instead: then a counted
work budget, not the clock, decides when to stop, and the same input, seed and budget give the
same answer on any machine (the clock stays a safety stop). ``SearchStats.stopped_by`` says
which ended it: "time" or "budget".
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Protocol


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
    """How long the loop may search.

    ``wall_seconds``: the clock stop, always in force. ``work_units``: ``None`` searches until
    the clock stop (the product's mode); a number stops after that much counted work, which
    makes the run reproducible (tests, benchmark rows under a stated budget).
    """

    wall_seconds: float
    work_units: int | None = None

    @classmethod
    def from_seconds(
        cls, seconds: float, *, work_units: int | None = None, keep_back: float = 0.05
    ) -> Budget:
        """A budget for a caller's limit of ``seconds``, keeping ``keep_back`` of it (a share,
        0 to 1) for what the caller does after the search (reasons, legs, checks)."""
        return cls(wall_seconds=seconds * (1.0 - keep_back), work_units=work_units)


@dataclass(frozen=True)
class SearchStats:
    iterations: int
    work: int
    seconds: float
    stopped_by: str  # "budget" (deterministic), "time" (wall-clock stop) or "converged"
    best_iteration: int = 0  # the iteration that last improved the best solution


STRENGTH_STEP = 20  # fruitless iterations before the ruin grows by one


def stalled_after(max_strength: int) -> int:
    """Iterations without a better solution after which the search has tried every ruin size
    (1 to ``max_strength``, ``STRENGTH_STEP`` iterations each) twice."""
    return 2 * STRENGTH_STEP * max_strength


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
    stop_when_stalled: bool = False,
) -> SearchStats:
    """Improve ``model`` in place and leave it holding the best solution found.

    Acceptance is a threshold that shrinks linearly to zero over the budget (record-to-record
    travel on the value), which lets the search cross plateaus early and converge late. The
    budget's progress (0 to 1) is counted work when ``budget.work_units`` is set, else elapsed
    time over the wall-clock limit.

    With ``stop_when_stalled`` the search also ends ("converged") once it has walked every ruin
    size twice (``stalled_after(max_strength)`` iterations) without improving the best
    solution: a small tour is answered in a fraction of its limit instead of waiting it out.
    The TOPTW benchmark keeps searching to its limit, as its baselines do.
    """
    started = time.perf_counter()
    deadline = started + budget.wall_seconds
    units = budget.work_units

    def progress_now() -> float:
        if units is not None:
            return (model.work - start_work) / max(1, units)
        return (time.perf_counter() - started) / max(1e-9, budget.wall_seconds)

    model.recreate(rng)
    best_obj = model.objective()
    best = model.snapshot()
    current_obj = best_obj
    strength = 1
    since_best = 0
    iterations = 0
    stopped_by = "time"
    start_work = model.work
    current_cycle = 0
    best_progress = 0.0  # progress when the best value was last raised (or the walk restarted)
    best_iteration = 0
    stall_limit = stalled_after(max_strength) if stop_when_stalled else None
    while True:
        if stall_limit is not None and iterations - best_iteration >= stall_limit:
            stopped_by = "converged"
            break
        if units is not None and model.work - start_work >= units:
            stopped_by = "budget"
            break
        if time.perf_counter() > deadline:
            stopped_by = "time"
            break
        iterations += 1
        progress = min(1.0, progress_now())
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
                best_progress = progress
            best_obj, best = obj, model.snapshot()
            best_iteration = iterations
            current_obj = obj
            continue
        since_best += 1
        if obj >= current_obj or obj[0] >= best_obj[0] - allowed:
            current_obj = obj
        else:
            model.restore(before)
        # Grow the ruin while stuck; go back to the best solution after a long fruitless walk.
        if since_best % STRENGTH_STEP == 0:
            strength = strength + 1 if strength < max_strength else 1
        if restart_after is not None and progress - best_progress > restart_after:
            # Stuck in one basin for a good share of the budget: build a new solution from
            # scratch and walk from there (the best is kept), instead of going back to it.
            model.restart(rng)  # type: ignore[attr-defined]
            current_obj = model.objective()
            best_progress = progress
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
        best_iteration=best_iteration,
    )
