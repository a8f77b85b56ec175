"""The TOPTW core on a published instance and on a tiny instance with a known optimum."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from benchmarks.toptw_core import (
    ToptwInstance,
    parse_kul,
    route_schedule,
    solution_is_feasible,
    solve_toptw,
)

DATA = Path(
    os.environ.get(
        "TOPTW_DIR", Path(__file__).resolve().parents[3] / "shared" / "benchmarks" / "toptw"
    )
)


def tiny() -> ToptwInstance:
    # Depot plus 4 nodes on a line at 10, 20, 30, 40, service 5 each, horizon 95. Going out to
    # the far node (worth 9) and back costs 80, leaving room for two of the near ones (4 each).
    xs = np.array([0, 10, 20, 30, 40])
    travel = np.abs(xs[:, None] - xs[None, :]).astype(np.int64)
    return ToptwInstance(
        name="tiny",
        travel=travel,
        service=np.array([0, 5, 5, 5, 5], dtype=np.int64),
        score=np.array([0, 4, 4, 4, 9], dtype=np.int64),
        open=np.array([0, 0, 0, 0, 0], dtype=np.int64),
        close=np.array([95, 95, 95, 95, 95], dtype=np.int64),
        horizon=95,
        routes=1,
    )


def test_tiny_instance_reaches_its_optimum():
    # All four would need 80 + 20 > 95; the far node plus two near ones (9 + 4 + 4) is optimal.
    sol = solve_toptw(tiny(), seconds=5, seed=0, work_units=200_000)
    assert sol.score == 17
    assert solution_is_feasible(tiny(), sol.routes)


def test_same_seed_same_routes():
    a = solve_toptw(tiny(), seconds=5, seed=3, work_units=100_000)
    b = solve_toptw(tiny(), seconds=5, seed=3, work_units=100_000)
    assert a.routes == b.routes


def test_time_window_is_respected():
    inst = tiny()
    assert route_schedule(inst, [4, 1]) is not None
    closed = ToptwInstance(**{**inst.__dict__, "close": np.array([95, 95, 95, 95, 20])})
    assert route_schedule(closed, [4]) is None


@pytest.mark.skipif(not (DATA / "bks.csv").exists(), reason="shared benchmark data not present")
def test_c101_single_tour_reaches_the_proven_optimum():
    text = (DATA / "instances" / "c_r_rc_100_100" / "c101.txt").read_text()
    inst = parse_kul(text, routes=1, scale=10, name="c101")
    sol = solve_toptw(inst, seconds=20, seed=0, work_units=6_000_000)
    assert solution_is_feasible(inst, sol.routes)
    assert sol.score >= 0.97 * 320


def _ring(n: int = 12, routes: int = 2) -> ToptwInstance:
    # Nodes on a circle of radius 100 around the depot, wide windows: any order is feasible,
    # so a scrambled route can only get shorter under 2-opt / or-opt.
    angles = np.arange(n) * 2 * np.pi / n
    xs = np.concatenate(([0.0], 100 * np.cos(angles)))
    ys = np.concatenate(([0.0], 100 * np.sin(angles)))
    dist = np.sqrt((xs[:, None] - xs[None, :]) ** 2 + (ys[:, None] - ys[None, :]) ** 2)
    size = n + 1
    return ToptwInstance(
        name="ring",
        travel=np.floor(dist).astype(np.int64),
        service=np.full(size, 5, dtype=np.int64),
        score=np.concatenate(([0], np.arange(1, size))).astype(np.int64),
        open=np.zeros(size, dtype=np.int64),
        close=np.full(size, 10_000, dtype=np.int64),
        horizon=10_000,
        routes=routes,
    )


def test_route_local_search_shortens_and_keeps_feasibility():
    from benchmarks.toptw_core import ToptwModel

    inst = _ring()
    model = ToptwModel(inst)
    model.routes = [[1, 7, 3, 9, 5, 11], [2, 8, 4, 10, 6, 12]]
    for r in model.routes:
        model.routed[r] = True
    before = model.travel()
    for r in range(2):
        model._improve_route(r)
    model._improve_pair(0, 1)
    model._improve_pair(1, 0)
    assert model.travel() < before
    assert sorted(v for r in model.routes for v in r) == list(range(1, 13))
    assert solution_is_feasible(inst, tuple(tuple(r) for r in model.routes))


def test_replace_swaps_a_visit_for_a_better_unrouted_node():
    from benchmarks.toptw_core import ToptwModel

    # One route; 1 and 4 together take 90 > 88, so node 4 (worth 9) should replace node 1 (4).
    inst = ToptwInstance(**{**tiny().__dict__, "horizon": 88, "close": np.full(5, 88)})
    model = ToptwModel(inst)
    model.routes = [[1]]
    model.routed[1] = True
    assert model._replace_pass(np.zeros(model.candidates.size, dtype=bool))
    assert model.routes == [[4]]
    assert solution_is_feasible(inst, ((4,),))


def test_multi_route_search_is_reproducible_with_a_work_budget():
    inst = _ring(n=20, routes=3)
    inst = ToptwInstance(**{**inst.__dict__, "horizon": 600, "close": np.full(21, 600)})
    a = solve_toptw(inst, seconds=30, seed=5, work_units=3_000_000)
    b = solve_toptw(inst, seconds=30, seed=5, work_units=3_000_000)
    assert a.routes == b.routes and a.stats is not None and a.stats.stopped_by == "budget"
    assert solution_is_feasible(inst, a.routes)
