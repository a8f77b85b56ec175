"""The generic team orienteering problem with time windows (TOPTW) core.

Owns the textbook problem: one depot, nodes with a score, a service time and one time window,
K identical routes that must be back at the depot by ``horizon``; maximise the collected score,
then minimise travel. It knows nothing about fellows, days or time zones; the benchmark feeds it
the published instances directly, and the tour layer (``tour.py``) reuses its search loop.

Times and distances are integers (the benchmark scales truncated distances by 10 or 100), so
feasibility is exact. Insertions are evaluated for every unrouted node and every position at
once with numpy, using the classic wait / max-shift bookkeeping of Vansteenwegen et al. (2009).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from scheduler.planning.search import Budget, SearchStats, iterated_ruin_recreate


@dataclass(frozen=True)
class ToptwInstance:
    """Node 0 is the depot; ``travel[i][j]`` is the integer travel time."""

    name: str
    travel: np.ndarray  # (n, n) int64
    service: np.ndarray  # (n,) int64
    score: np.ndarray  # (n,) int64
    open: np.ndarray  # earliest start of service, (n,)
    close: np.ndarray  # latest start of service, (n,)
    horizon: int  # every route back at the depot by this time
    routes: int

    @property
    def size(self) -> int:
        return int(self.score.shape[0])


@dataclass(frozen=True)
class ToptwSolution:
    routes: tuple[tuple[int, ...], ...]
    score: int
    travel: int
    stats: SearchStats | None = None


def parse_kul(text: str, *, routes: int, scale: int, name: str = "") -> ToptwInstance:
    """Read the KU Leuven text format (see shared/benchmarks/toptw/FORMAT.md).

    Distances are truncated Euclidean to ``log10(scale)`` decimals and kept in integer units
    of ``1/scale`` so that routes ending within a tenth of the horizon stay exact.
    """
    rows = [line.split() for line in text.splitlines() if line.strip()]
    n_customers = int(rows[0][2])
    vertices = rows[2 : 2 + n_customers + 1]
    xs = np.array([float(v[1]) for v in vertices])
    ys = np.array([float(v[2]) for v in vertices])
    service = np.array([round(float(v[3]) * scale) for v in vertices], dtype=np.int64)
    score = np.array([round(float(v[4])) for v in vertices], dtype=np.int64)
    opens = np.array([round(float(v[-2]) * scale) for v in vertices], dtype=np.int64)
    closes = np.array([round(float(v[-1]) * scale) for v in vertices], dtype=np.int64)
    dist = np.sqrt((xs[:, None] - xs[None, :]) ** 2 + (ys[:, None] - ys[None, :]) ** 2)
    travel = np.floor(dist * scale + 1e-9).astype(np.int64)
    return ToptwInstance(
        name=name,
        travel=travel,
        service=service,
        score=score,
        open=opens,
        close=closes,
        horizon=int(closes[0]),
        routes=routes,
    )


def route_schedule(inst: ToptwInstance, route: tuple[int, ...] | list[int]) -> list[int] | None:
    """Start-of-service times along ``route``, or None when the route breaks a window/horizon."""
    t = int(inst.open[0])
    prev = 0
    starts = []
    for v in route:
        t = max(t + int(inst.travel[prev, v]), int(inst.open[v]))
        if t > inst.close[v]:
            return None
        starts.append(t)
        t += int(inst.service[v])
        prev = v
    if t + int(inst.travel[prev, 0]) > inst.horizon:
        return None
    return starts


class ToptwModel:
    """Mutable TOPTW solution with vectorised best-insertion (a ``search.SearchModel``)."""

    def __init__(self, inst: ToptwInstance) -> None:
        self.inst = inst
        self.work = 0
        self.routes: list[list[int]] = [[] for _ in range(inst.routes)]
        n = inst.size
        # Nodes that cannot be served even alone on an empty route never enter the search.
        alone = [
            v for v in range(1, n) if route_schedule(inst, [v]) is not None and inst.score[v] > 0
        ]
        self.candidates = np.array(alone, dtype=np.int64)
        self.routed = np.zeros(n, dtype=bool)
        self._open = inst.open[self.candidates]
        self._close = inst.close[self.candidates]
        self._service = inst.service[self.candidates]
        self._gain = inst.score[self.candidates].astype(np.float64)
        self._removed_last: set[int] = set()

    # -- bookkeeping ------------------------------------------------------------------------
    def _route_positions(self, r: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(prev, next, departure from prev, allowed shift) for each insertion slot of route r."""
        inst = self.inst
        nodes = self.routes[r]
        starts = route_schedule(inst, nodes)
        assert starts is not None
        seq = [0, *nodes, 0]
        # times[i] is the start at seq[i]; the start depot "starts" when the depot opens.
        times = [int(inst.open[0]), *starts]
        k = len(nodes)
        dep = [times[i] + (int(inst.service[seq[i]]) if i > 0 else 0) for i in range(k + 1)]
        end_arr = dep[k] + int(inst.travel[seq[k], 0]) if k else int(inst.open[0])
        # Backward max-shift: how far each visit (and the end depot) may be pushed later.
        slack = [0] * (k + 1)
        maxshift = inst.horizon - end_arr
        slack[k] = maxshift
        for i in range(k - 1, -1, -1):
            v = nodes[i]
            wait = starts[i] - (dep[i] + int(inst.travel[seq[i], v]))
            maxshift = min(int(inst.close[v]) - starts[i], slack[i + 1])
            # Inserting before v may push it by its own wait plus its max-shift.
            slack[i] = wait + maxshift
        self.work += 40 * (k + 1)
        return (
            np.array(seq[:-1], dtype=np.int64),
            np.array(seq[1:], dtype=np.int64),
            np.array(dep, dtype=np.int64),
            np.array(slack, dtype=np.int64),
        )

    def _route_block(self, r: int) -> tuple[np.ndarray, np.ndarray]:
        """For every candidate node: its best ratio in route r (or -1) and the slot index."""
        inst = self.inst
        prev, nxt, dep, slack = self._route_positions(r)
        cands = self.candidates
        travel = inst.travel
        start = np.maximum(dep[:, None] + travel[np.ix_(prev, cands)], self._open[None, :])
        shift = (
            start
            - dep[:, None]
            + self._service[None, :]
            + travel[np.ix_(cands, nxt)].T
            - travel[prev, nxt][:, None]
        )
        ok = (start <= self._close[None, :]) & (shift <= slack[:, None])
        self.work += ok.size + 1000
        ratio = np.where(ok, self._gain[None, :] / (shift + 1.0), -1.0)
        slot = np.argmax(ratio, axis=0)
        return ratio[slot, np.arange(cands.size)], slot

    # -- SearchModel protocol ---------------------------------------------------------------
    def objective(self) -> tuple[float, float]:
        return float(self.score()), -float(self.travel())

    def score(self) -> int:
        return int(sum(int(self.inst.score[v]) for r in self.routes for v in r))

    def travel(self) -> int:
        total = 0
        for nodes in self.routes:
            seq = [0, *nodes, 0]
            total += sum(int(self.inst.travel[a, b]) for a, b in zip(seq, seq[1:], strict=False))
        return total

    def snapshot(self) -> object:
        return tuple(tuple(r) for r in self.routes)

    def restore(self, snap: object) -> None:
        assert isinstance(snap, tuple)
        self.routes = [list(r) for r in snap]
        self.routed[:] = False
        for r in self.routes:
            self.routed[r] = True

    def ruin(self, rng: random.Random, strength: int) -> None:
        removed: list[int] = []
        kind = rng.random()
        if kind < 0.5:
            # Vansteenwegen's shake: a consecutive stretch of each route.
            for nodes in self.routes:
                if not nodes:
                    continue
                length = min(len(nodes), rng.randint(1, strength + 1))
                start = rng.randrange(len(nodes))
                cut = nodes[start : start + length]
                removed.extend(cut)
                del nodes[start : start + length]
        elif kind < 0.8:
            # Related removal: a routed node and its nearest routed neighbours.
            routed = [v for r in self.routes for v in r]
            if routed:
                seed = rng.choice(routed)
                near = sorted(routed, key=lambda v: (int(self.inst.travel[seed, v]), v))
                removed = near[: min(len(near), 2 + strength)]
        else:
            routed = [v for r in self.routes for v in r]
            removed = rng.sample(routed, min(len(routed), 1 + strength))
        gone = set(removed)
        self.routes = [[v for v in r if v not in gone] for r in self.routes]
        for v in gone:
            self.routed[v] = False
        self._removed_last = gone

    def recreate(self, rng: random.Random) -> None:
        cands = self.candidates
        if cands.size == 0:
            return
        power = rng.choice((1.0, 2.0, 2.0, 3.0))
        noise_amp = rng.choice((0.0, 0.1, 0.3))
        noise = 1.0 + noise_amp * (np.array([rng.random() for _ in range(cands.size)]) - 0.5)
        self._gain = self.inst.score[cands].astype(np.float64) ** power * noise
        blocks = [self._route_block(r) for r in range(len(self.routes))]
        held = np.array([int(v) in self._removed_last for v in cands])
        # Nodes just ruined wait one round so that the search does not simply undo the ruin.
        for phase in (0, 1):
            while True:
                free = ~self.routed[cands]
                if phase == 0:
                    free &= ~held
                if not free.any():
                    break
                best = np.stack([b[0] for b in blocks])  # (routes, candidates)
                best = np.where(free[None, :], best, -1.0)
                flat = int(np.argmax(best))
                r, c = divmod(flat, cands.size)
                if best[r, c] < 0:
                    break
                v = int(cands[c])
                self.routes[r].insert(int(blocks[r][1][c]), v)
                self.routed[v] = True
                blocks[r] = self._route_block(r)
        self._removed_last = set()


def solve_toptw(
    inst: ToptwInstance, *, seconds: float, seed: int = 0, work_units: int | None = None
) -> ToptwSolution:
    """Best routes found for ``inst`` within the budget; same input and seed, same routes."""
    model = ToptwModel(inst)
    stats = iterated_ruin_recreate(
        model,
        rng=random.Random(seed),
        budget=Budget.from_seconds(seconds, work_units=work_units),
    )
    for nodes in model.routes:
        if route_schedule(inst, nodes) is None:  # pragma: no cover - guards the max-shift maths
            raise AssertionError("TOPTW search produced an infeasible route")
    return ToptwSolution(
        routes=tuple(tuple(r) for r in model.routes),
        score=model.score(),
        travel=model.travel(),
        stats=stats,
    )


def solution_is_feasible(inst: ToptwInstance, routes: tuple[tuple[int, ...], ...]) -> bool:
    seen: set[int] = set()
    for nodes in routes:
        if route_schedule(inst, nodes) is None or seen.intersection(nodes):
            return False
        seen.update(nodes)
    return len(routes) <= inst.routes and 0 not in seen
