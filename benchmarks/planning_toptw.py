"""Run the planner's TOPTW core on the published orienteering benchmarks (not a test).

For every row of bks.csv (Solomon with one tour, Cordeau pr01-pr20 with one to four tours)
it prints our score, the best known, the gap in percent and seconds; in the same run it solves
the same instance with the baselines under the same wall-clock limit and prints our score over
theirs: PyVRP (hybrid genetic search, prize-collecting: optional clients with a prize) and
OR-Tools routing (prize-collecting via disjunctions, guided local search). At the end: the mean
gap to best known (ours and each baseline's) and ours ÷ PyVRP per group (family × tours).

    python benchmarks/planning_toptw.py [--seconds 10] [--only pr01,c101] [--tours 1,2]
                                        [--baselines pyvrp,ortools] [--seed 0] [--work-units W]

PyVRP comes with the ``bench`` extra (``pip install -e '.[bench]'``), OR-Tools with ``test``.

Instances are read from ../shared/benchmarks/toptw next to the repository, or from
$TOPTW_DIR. Distances follow FORMAT.md: truncated to 1 decimal (Solomon) or 2 (Cordeau),
kept as integers.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.toptw_core import (  # noqa: E402
    ToptwInstance,
    parse_kul,
    solution_is_feasible,
    solve_toptw,
)


def data_dir() -> Path:
    return Path(os.environ.get("TOPTW_DIR", REPO.parent / "shared" / "benchmarks" / "toptw"))


def instance_path(root: Path, name: str) -> tuple[Path, int]:
    if name.startswith("pr"):
        return root / "instances" / "pr01_pr20" / f"{name}.txt", 100
    folder = "c_r_rc_200_100" if name[-3] == "2" else "c_r_rc_100_100"
    return root / "instances" / folder / f"{name}.txt", 10


def solve_ortools(inst: ToptwInstance, seconds: float, seed: int) -> int:
    """OR-Tools baseline: one disjunction per node with penalty = score, time dimension."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    n = inst.size
    manager = pywrapcp.RoutingIndexManager(n, inst.routes, 0)
    routing = pywrapcp.RoutingModel(manager)
    travel = inst.travel.tolist()
    service = inst.service.tolist()
    transit = [[service[i] + travel[i][j] for j in range(n)] for i in range(n)]
    cb = routing.RegisterTransitMatrix(transit)
    # Arc cost is the travel; prizes are scaled far above any route cost so value dominates.
    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(travel))
    big = int(inst.horizon) * inst.routes + 1
    for v in range(1, n):
        routing.AddDisjunction([manager.NodeToIndex(v)], int(inst.score[v]) * big)
    routing.AddDimension(cb, int(inst.horizon), int(inst.horizon), False, "Time")
    dim = routing.GetDimensionOrDie("Time")
    for v in range(1, n):
        dim.CumulVar(manager.NodeToIndex(v)).SetRange(int(inst.open[v]), int(inst.close[v]))
    for k in range(inst.routes):
        dim.CumulVar(routing.Start(k)).SetRange(int(inst.open[0]), int(inst.open[0]))
        dim.CumulVar(routing.End(k)).SetRange(0, int(inst.horizon))
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(int(seconds * 1000))
    del seed  # OR-Tools routing search is deterministic given the model
    solution = routing.SolveWithParameters(params)
    if solution is None:
        return 0
    score = 0
    for k in range(inst.routes):
        index = routing.Start(k)
        while not routing.IsEnd(index):
            node = manager.IndexToNode(index)
            score += int(inst.score[node])
            index = solution.Value(routing.NextVar(index))
    return score


def solve_pyvrp(inst: ToptwInstance, seconds: float, seed: int) -> int:
    """PyVRP baseline: every customer optional with a prize far above any route's length, so
    the search maximises the score first and the travel second, as ours does."""
    from pyvrp import Model
    from pyvrp.stop import MaxRuntime

    n = inst.size
    travel = inst.travel.tolist()
    big = int(inst.horizon) * inst.routes + 1
    model = Model()
    locations = [model.add_location(x=0, y=0) for _ in range(n)]
    depot = model.add_depot(locations[0], tw_early=int(inst.open[0]), tw_late=int(inst.horizon))
    model.add_vehicle_type(
        num_available=inst.routes,
        start_depot=depot,
        end_depot=depot,
        tw_early=int(inst.open[0]),
        tw_late=int(inst.horizon),
    )
    for v in range(1, n):
        model.add_client(
            locations[v],
            service_duration=int(inst.service[v]),
            tw_early=int(inst.open[v]),
            tw_late=int(inst.close[v]),
            prize=int(inst.score[v]) * big,
            required=False,
        )
    for i in range(n):
        for j in range(n):
            model.add_edge(locations[i], locations[j], distance=travel[i][j], duration=travel[i][j])
    result = model.solve(stop=MaxRuntime(seconds), seed=seed, display=False)
    if not result.is_feasible():
        return 0
    # Prizes are whole multiples of ``big``, so the collected score is their sum over ``big``.
    return sum(route.prizes() for route in result.best.routes()) // big


BASELINES = {"pyvrp": solve_pyvrp, "ortools": solve_ortools}


def group_of(name: str, tours: int) -> str:
    return f"{'Cordeau' if name.startswith('pr') else 'Solomon'} m={tours}"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--only", default="", help="comma-separated instance names")
    parser.add_argument("--tours", default="", help="comma-separated numbers of tours")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--baselines",
        default="pyvrp,ortools",
        help="comma-separated, from: pyvrp, ortools; empty for none",
    )
    parser.add_argument(
        "--work-units",
        type=int,
        default=None,
        help="fixed search budget (reproducible under any machine load; --seconds stays the "
        "wall-clock safety stop and the baselines' limit)",
    )
    args = parser.parse_args()
    root = data_dir()
    only = {x for x in args.only.split(",") if x}
    tours = {int(x) for x in args.tours.split(",") if x}
    rows = list(csv.DictReader((root / "bks.csv").open()))
    rows = [
        r
        for r in rows
        if (not only or r["instance"] in only) and (not tours or int(r["tours"]) in tours)
    ]
    baselines = [b for b in args.baselines.split(",") if b]
    unknown = set(baselines) - set(BASELINES)
    if unknown:
        parser.error(f"unknown baseline(s): {', '.join(sorted(unknown))}")
    header = f"{'instance':<9}{'m':>2}{'score':>7}{'bks':>7}{'gap%':>7}{'sec':>6}{'stop':>7}"
    for baseline in baselines:
        header += f"{baseline:>9}{'ours/' + baseline[:3]:>9}"
    print(header, flush=True)
    gaps, secs = [], []
    their_gaps: dict[str, list[float]] = {b: [] for b in baselines}
    ratios: dict[str, list[float]] = {b: [] for b in baselines}
    by_group: dict[str, list[tuple[float, float | None]]] = {}  # group -> (gap, ours/pyvrp)
    by_clock = 0
    for row in rows:
        name, m, bks = row["instance"], int(row["tours"]), int(row["bks"])
        path, scale = instance_path(root, name)
        inst = parse_kul(path.read_text(), routes=m, scale=scale, name=name)
        started = time.perf_counter()
        sol = solve_toptw(inst, seconds=args.seconds, seed=args.seed, work_units=args.work_units)
        took = time.perf_counter() - started
        assert solution_is_feasible(inst, sol.routes), name
        gap = 100.0 * (bks - sol.score) / bks
        gaps.append(gap)
        secs.append(took)
        stop = sol.stats.stopped_by if sol.stats else "?"
        by_clock += stop == "time"
        line = f"{name:<9}{m:>2}{sol.score:>7}{bks:>7}{gap:>7.2f}{took:>6.1f}{stop:>7}"
        versus_pyvrp = None
        for baseline in baselines:
            theirs = BASELINES[baseline](inst, args.seconds, args.seed)
            ratio = sol.score / theirs if theirs else float("inf")
            their_gaps[baseline].append(100.0 * (bks - theirs) / bks)
            if theirs:
                ratios[baseline].append(ratio)
            if baseline == "pyvrp" and theirs:
                versus_pyvrp = ratio
            line += f"{theirs:>9}{ratio:>9.3f}"
        by_group.setdefault(group_of(name, m), []).append((gap, versus_pyvrp))
        print(line, flush=True)
    if not gaps:
        return 0
    summary = (
        f"rows {len(gaps)}  mean gap {sum(gaps) / len(gaps):.2f}%  "
        f"max gap {max(gaps):.2f}%  mean seconds {sum(secs) / len(secs):.1f}"
    )
    for baseline in baselines:
        values = their_gaps[baseline]
        summary += f"  {baseline} mean gap {sum(values) / len(values):.2f}%"
        if ratios[baseline]:
            summary += f"  mean ours/{baseline} {sum(ratios[baseline]) / len(ratios[baseline]):.3f}"
    print(summary)
    for group, values in sorted(by_group.items()):
        mean_gap = sum(g for g, _ in values) / len(values)
        line = f"{group:<12} rows {len(values):>3}  mean gap {mean_gap:.2f}%"
        versus = [r for _g, r in values if r is not None]
        if versus:
            line += f"  ours/pyvrp {sum(versus) / len(versus):.4f}"
        print(line)
    print(f"stopped by the wall clock: {by_clock} of {len(gaps)} (by a counted budget: the rest)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
