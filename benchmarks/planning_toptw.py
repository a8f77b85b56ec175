"""Run the planner's TOPTW core on the published orienteering benchmarks (not a test).

For every row of bks.csv (Solomon with one tour, Cordeau pr01-pr20 with one to four tours)
it prints our score, the best known, the gap in percent and seconds; in the same run it solves
the same instance with OR-Tools routing (prize-collecting via disjunctions, guided local search)
under the same time limit and prints our score over theirs.

    python benchmarks/planning_toptw.py [--seconds 10] [--only pr01,c101] [--tours 1,2]
                                        [--no-baseline] [--seed 0] [--work-units W]

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


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--only", default="", help="comma-separated instance names")
    parser.add_argument("--tours", default="", help="comma-separated numbers of tours")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-baseline", action="store_true", help="skip OR-Tools")
    parser.add_argument(
        "--work-units",
        type=int,
        default=None,
        help="fixed search budget (reproducible under any machine load; --seconds stays the "
        "wall-clock safety stop and OR-Tools' limit)",
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
    header = f"{'instance':<9}{'m':>2}{'score':>7}{'bks':>7}{'gap%':>7}{'sec':>6}{'stop':>7}"
    if not args.no_baseline:
        header += f"{'ortools':>9}{'ours/ort':>9}"
    print(header, flush=True)
    gaps, secs, ratios = [], [], []
    by_family: dict[str, list[float]] = {"Solomon": [], "Cordeau": []}
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
        by_family["Cordeau" if name.startswith("pr") else "Solomon"].append(gap)
        stop = sol.stats.stopped_by if sol.stats else "?"
        by_clock += stop == "time"
        line = f"{name:<9}{m:>2}{sol.score:>7}{bks:>7}{gap:>7.2f}{took:>6.1f}{stop:>7}"
        if not args.no_baseline:
            theirs = solve_ortools(inst, args.seconds, args.seed)
            ratio = sol.score / theirs if theirs else float("inf")
            ratios.append(ratio)
            line += f"{theirs:>9}{ratio:>9.3f}"
        print(line, flush=True)
    if gaps:
        print(
            f"rows {len(gaps)}  mean gap {sum(gaps) / len(gaps):.2f}%  "
            f"max gap {max(gaps):.2f}%  mean seconds {sum(secs) / len(secs):.1f}",
            end="",
        )
        finite = [r for r in ratios if r != float("inf")]
        if finite:
            print(f"  mean ours/ortools {sum(finite) / len(finite):.3f}", end="")
        print()
        for family, values in by_family.items():
            if values:
                print(f"{family}: rows {len(values)}  mean gap {sum(values) / len(values):.2f}%")
        print(f"stopped by the wall clock (not reproducible): {by_clock} of {len(gaps)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
