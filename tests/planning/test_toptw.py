"""The TOPTW core on a published instance and on a tiny instance with a known optimum."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from scheduler.planning.toptw import (
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
