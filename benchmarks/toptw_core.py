"""The generic team orienteering problem with time windows (TOPTW) core.

Owns the textbook problem: one depot, nodes with a score, a service time and one time window,
K identical routes that must be back at the depot by ``horizon``; maximise the collected score,
then minimise travel. It knows nothing about fellows, days or time zones; the benchmark feeds it
the published instances directly, and shares the search loop (planner/search.py) with the
tour layer.

Times and distances are integers (the benchmark scales truncated distances by 10 or 100), so
feasibility is exact. Insertions are evaluated for every unrouted node and every position at
once with numpy, using the classic wait / max-shift bookkeeping of Vansteenwegen et al. (2009).
The local search checks time windows in O(1) per move from each route's departures and latest
feasible starts (Savelsbergh 1992; Vidal et al. 2013), for all moves of a route pair at once,
and ruins are partly local string removals (SISR, Christiaens & Vanden Berghe 2020).

The search runs the shared loop's acceptance as a race of walks from their own constructions
(``race_search``): on the instances where iterations are many, several walks share the early
budget and the better half goes on at each stage.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

import numpy as np

from planner.neighbourhoods import (
    RELATED,
    STRETCH,
    choose_ruin,
    exchange_tails,
    move_segment,
    random_removal,
    related_removal,
    relocate_segment,
    reverse_segment,
    stretch_removal,
    string_removal,
)
from planner.search import STRENGTH_STEP, Budget, SearchStats


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
        # Plain lists: scalar access in the local search is much faster than numpy indexing.
        self._t = inst.travel.tolist()
        self._svc = inst.service.tolist()
        self._opn = inst.open.tolist()
        self._cls = inst.close.tolist()
        # Routes already known to be locally optimal (no improving 2-opt / or-opt move).
        self._ls_done: set[tuple[int, ...]] = set()
        self._pair_done: set[tuple[tuple[int, ...], tuple[int, ...], bool]] = set()
        self._timing_cache: dict[tuple[int, ...], tuple[np.ndarray, ...]] = {}
        self._block_cache: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    # -- bookkeeping ------------------------------------------------------------------------
    def _route_positions(self, r: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(prev, next, departure from prev, allowed shift) for each insertion slot of route r.

        The allowed shift of slot i is how much later than today the route may reach seq[i+1]:
        its latest feasible start less today's arrival (see ``_timing``); this equals the wait
        plus max-shift of Vansteenwegen et al. (2009).
        """
        seq, dep, latest, _opens = self._timing(self.routes[r])
        prev, nxt = seq[:-1], seq[1:]
        slack = latest[1:] - (dep[:-1] + self.inst.travel[prev, nxt])
        self.work += 4 * len(seq) + 100
        return prev, nxt, dep[:-1], slack

    def _route_block(self, r: int, only: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """For every candidate node: its best ratio in route r (or -1) and the slot index.

        Only nodes not yet routed are rated; routed ones get -1. A node's best slot is the one
        with the least shift (its gain is the same in every slot), so the cache keeps each
        route's least shifts, which do not depend on the gains a recreate draws: a route that a
        ruin left alone is rated again only for the nodes the ruin set free. With ``only`` (a
        mask over the candidates) the others are taken to fit nowhere: after an insertion into
        the route, a node that fitted nowhere before still fits nowhere (every later visit is
        as late or later, every earlier one has as little or less room; the new slots either
        side of the inserted visit take no less time than the old one, up to the rounding of
        the distances), so only the nodes that fitted are rated again.
        """
        key = tuple(self.routes[r])
        free = ~self.routed[self.candidates]
        cached = self._block_cache.get(key)
        if cached is not None:
            shift_best, slot_best, rated = cached
            todo = free & ~rated
        else:
            shift_best = np.full(self.candidates.size, np.inf)
            slot_best = np.zeros(self.candidates.size, dtype=np.int64)
            rated = np.zeros(self.candidates.size, dtype=bool)
            todo = free
            if only is not None:
                todo = free & only
                rated = free.copy()
        if todo.any():
            if cached is not None:
                shift_best, slot_best = shift_best.copy(), slot_best.copy()
            idx = np.flatnonzero(todo)
            prev, nxt, dep, slack = self._route_positions(r)
            cands = self.candidates[idx]
            travel = self.inst.travel
            start = np.maximum(
                dep[:, None] + travel[prev[:, None], cands[None, :]], self._open[idx]
            )
            shift = (
                start
                - dep[:, None]
                + self._service[idx]
                + travel[cands[None, :], nxt[:, None]]
                - travel[prev, nxt][:, None]
            )
            ok = (start <= self._close[idx]) & (shift <= slack[:, None])
            self.work += ok.size + 1000
            shift = np.where(ok, shift, np.iinfo(np.int64).max)
            slot = np.argmin(shift, axis=0)
            least = shift[slot, np.arange(idx.size)]
            shift_best[idx] = np.where(least == np.iinfo(np.int64).max, np.inf, least)
            slot_best[idx] = slot
            rated = rated | todo
            if len(self._block_cache) > 5_000:
                self._block_cache.clear()
            self._block_cache[key] = (shift_best, slot_best, rated)
        elif cached is None:
            self._block_cache[key] = (shift_best, slot_best, rated | free)
        ratio = np.where(free & np.isfinite(shift_best), self._gain / (shift_best + 1.0), -1.0)
        return ratio, slot_best

    # -- local search ------------------------------------------------------------------------
    def _feasible(self, nodes: list[int]) -> bool:
        """route_schedule on plain lists (the hot path of the local search)."""
        self.work += 2 * len(nodes) + 60
        t = self._opn[0]
        prev = 0
        travel, opn, cls, svc = self._t, self._opn, self._cls, self._svc
        for v in nodes:
            t = t + travel[prev][v]
            if t < opn[v]:
                t = opn[v]
            if t > cls[v]:
                return False
            t += svc[v]
            prev = v
        return t + travel[prev][0] <= self.inst.horizon

    def _intra_moves(self, nodes: list[int]) -> list[tuple[int, int, int, int]]:
        """Travel-reducing 2-opt and or-opt moves of one route, best first.

        A move is (delta, kind, i, j) over ``seq = [0, *nodes, 0]``: kind 0 reverses seq[i..j];
        kind L >= 1 moves the segment seq[i..i+L-1] between seq[j] and seq[j+1].
        """
        T = self.inst.travel
        seq = np.array([0, *nodes, 0], dtype=np.int64)
        k = len(nodes)
        out: list[tuple[int, int, int, int]] = []
        edge_f = T[seq[:-1], seq[1:]]  # seq[p] -> seq[p+1]
        edge_b = T[seq[1:], seq[:-1]]  # seq[p+1] -> seq[p]
        cf = np.concatenate(([0], np.cumsum(edge_f)))
        cb = np.concatenate(([0], np.cumsum(edge_b)))
        idx = np.arange(1, k + 1)
        if k >= 2:
            i = idx[:, None]
            j = idx[None, :]
            # Reverse seq[i..j]: inner path flips direction.
            delta = (
                T[seq[i - 1], seq[j]]
                + T[seq[i], seq[j + 1]]
                - T[seq[i - 1], seq[i]]
                - T[seq[j], seq[j + 1]]
                + (cb[j] - cb[i])
                - (cf[j] - cf[i])
            )
            valid = j > i
            ii, jj = np.nonzero(valid & (delta < 0))
            for a, b in zip(ii.tolist(), jj.tolist(), strict=True):
                out.append((int(delta[a, b]), 0, a + 1, b + 1))
        pos = np.arange(0, k + 1)  # insert between seq[j] and seq[j+1]
        base = T[seq[pos], seq[pos + 1]]
        for length in (1, 2, 3):
            if k < length + 1:
                break
            starts = np.arange(1, k - length + 2)
            s_node = seq[starts]
            e_node = seq[starts + length - 1]
            p_node = seq[starts - 1]
            q_node = seq[starts + length]
            gain = T[p_node, s_node] + T[e_node, q_node] - T[p_node, q_node]
            ins = T[seq[pos][None, :], s_node[:, None]] + T[e_node[:, None], seq[pos + 1][None, :]]
            delta = ins - base[None, :] - gain[:, None]
            jpos = pos[None, :]
            st = starts[:, None]
            valid = (jpos < st - 1) | (jpos > st + length - 1)
            ii, jj = np.nonzero(valid & (delta < 0))
            for a, b in zip(ii.tolist(), jj.tolist(), strict=True):
                out.append((int(delta[a, b]), length, int(starts[a]), b))
        self.work += 6 * (k + 1) * (k + 1) + 2000 + 4 * len(out)
        out.sort()
        return out

    @staticmethod
    def _apply_intra(nodes: list[int], kind: int, i: int, j: int) -> list[int]:
        seq = [0, *nodes, 0]
        if kind == 0:
            return reverse_segment(seq, i, j)[1:-1]
        return move_segment(seq, i, kind, j)[1:-1]

    def _improve_route(self, r: int, max_checks: int = 40) -> bool:
        """First-best descent with 2-opt and or-opt on route r; True if it got shorter.

        A candidate is checked for time windows only over the stretch it changes: from the
        departure before it, through the changed visits, to the latest feasible start of the
        first unchanged visit after it (``_timing``).
        """
        nodes = self.routes[r]
        changed = False
        travel, opn, cls, svc = self._t, self._opn, self._cls, self._svc
        while len(nodes) >= 2 and tuple(nodes) not in self._ls_done:
            moved = False
            _seq, dep, latest, opens = self._timing(nodes)
            for _, kind, i, j in self._intra_moves(nodes)[:max_checks]:
                cand = self._apply_intra(nodes, kind, i, j)
                if kind == 0:
                    lo, hi = i, j
                elif j < i:
                    lo, hi = j + 1, i + kind - 1
                else:
                    lo, hi = i, j
                new = [0, *cand, 0]
                t = int(dep[lo - 1])
                prev = new[lo - 1]
                ok = True
                for p in range(lo, hi + 1):
                    v = new[p]
                    t = t + travel[prev][v]
                    if t < opn[v]:
                        t = opn[v]
                    if t > cls[v]:
                        ok = False
                        break
                    t += svc[v]
                    prev = v
                self.work += 2 * (hi - lo) + 20
                if ok and max(t + travel[prev][new[hi + 1]], int(opens[hi + 1])) <= int(
                    latest[hi + 1]
                ):
                    nodes = cand
                    moved = changed = True
                    break
            if not moved:
                if len(self._ls_done) > 50_000:
                    self._ls_done.clear()
                self._ls_done.add(tuple(nodes))
        self.routes[r] = nodes
        return changed

    def _timing(self, nodes: list[int]) -> tuple[np.ndarray, ...]:
        """Forward and backward time bookkeeping of one route, cached by its visits.

        Over ``seq = [0, *nodes, 0]`` (positions 0..k+1): ``seq`` itself, ``dep[p]`` the
        departure from seq[p], ``latest[p]`` the latest start of service at seq[p] that keeps
        the rest of the route feasible (the end depot's is the horizon), and ``opens[p]`` the
        earliest start there. A route that takes any prefix ending at a departure time ``d``
        from node u and continues with this route's suffix from position p is feasible exactly
        when ``max(d + travel[u][seq[p]], opens[p]) <= latest[p]``: the O(1) concatenation
        test of Savelsbergh (1992) and Vidal et al. (2013), which lets the moves below be
        checked for every position at once.
        """
        key = tuple(nodes)
        cached = self._timing_cache.get(key)
        if cached is not None:
            return cached
        travel, opn, cls, svc = self._t, self._opn, self._cls, self._svc
        seq = [0, *nodes, 0]
        k = len(nodes)
        dep = [opn[0]] * (k + 2)
        t = opn[0]
        for p in range(1, k + 1):
            v = seq[p]
            t = t + travel[seq[p - 1]][v]
            if t < opn[v]:
                t = opn[v]
            t += svc[v]
            dep[p] = t
        dep[k + 1] = t + travel[seq[k]][0]
        latest = [0] * (k + 2)
        lt = self.inst.horizon
        latest[k + 1] = lt
        for p in range(k, -1, -1):
            v = seq[p]
            lt = lt - travel[v][seq[p + 1]] - svc[v]
            if p and cls[v] < lt:
                lt = cls[v]
            latest[p] = lt
        opens = [opn[v] for v in seq]
        opens[-1] = 0
        self.work += 12 * (k + 2) + 100
        out = (
            np.array(seq, dtype=np.int64),
            np.array(dep, dtype=np.int64),
            np.array(latest, dtype=np.int64),
            np.array(opens, dtype=np.int64),
        )
        if len(self._timing_cache) > 20_000:
            self._timing_cache.clear()
        self._timing_cache[key] = out
        return out

    def _best_inter_move(
        self, a: list[int], b: list[int], *, tails: bool = True
    ) -> tuple[int, int, int, int] | None:
        """The feasible move between two routes that shortens them most, or None.

        (delta, kind, i, j) over ``sa = [0, *a, 0]`` and ``sb = [0, *b, 0]``: kind 0 is 2-opt*
        (swap the tails after sa[i] and sb[j]); kind L in 1..3 moves sa[i..i+L-1] between sb[j]
        and sb[j+1]; kind -1 swaps sa[i] and sb[j]. Every candidate's time windows are checked
        at once with the routes' forward/backward bookkeeping (``_timing``).
        """
        T = self.inst.travel
        sa, da, la, oa = self._timing(a)
        sb, db, lb, ob = self._timing(b)
        ka, kb = len(a), len(b)
        opn, cls, svc = self.inst.open, self.inst.close, self.inst.service
        best: tuple[int, int, int, int] | None = None

        def consider(delta: np.ndarray, ok: np.ndarray, kind: int, offset: int) -> None:
            nonlocal best
            masked = np.where(ok, delta, 0)
            flat = int(np.argmin(masked))
            x, y = divmod(flat, masked.shape[1])
            value = int(masked[x, y])
            if value < 0 and (best is None or value < best[0]):
                best = (value, kind, x + offset, y)

        if tails:
            ia = np.arange(0, ka + 1)
            jb = np.arange(0, kb + 1)
            delta = (
                T[sa[ia][:, None], sb[jb + 1][None, :]]
                + T[sb[jb][None, :], sa[ia + 1][:, None]]
                - T[sa[ia], sa[ia + 1]][:, None]
                - T[sb[jb], sb[jb + 1]][None, :]
            )
            arr_b = da[ia][:, None] + T[sa[ia][:, None], sb[jb + 1][None, :]]
            arr_a = db[jb][None, :] + T[sb[jb][None, :], sa[ia + 1][:, None]]
            ok = (np.maximum(arr_b, ob[jb + 1][None, :]) <= lb[jb + 1][None, :]) & (
                np.maximum(arr_a, oa[ia + 1][:, None]) <= la[ia + 1][:, None]
            )
            # Exchanging both whole routes or nothing changes nothing.
            ok[0, 0] = False
            ok[ka, kb] = False
            consider(delta, ok, 0, 0)
        jb = np.arange(0, kb + 1)
        base = T[sb[jb], sb[jb + 1]]
        for length in (1, 2, 3):
            if ka < length:
                break
            starts = np.arange(1, ka - length + 2)
            s_node = sa[starts]
            e_node = sa[starts + length - 1]
            p_node = sa[starts - 1]
            q_node = sa[starts + length]
            gain = T[p_node, s_node] + T[e_node, q_node] - T[p_node, q_node]
            ins = T[sb[jb][None, :], s_node[:, None]] + T[e_node[:, None], sb[jb + 1][None, :]]
            delta = ins - base[None, :] - gain[:, None]
            # Route a without the segment.
            arr_q = da[starts - 1] + T[p_node, q_node]
            ok_a = np.maximum(arr_q, oa[starts + length]) <= la[starts + length]
            # Route b with the segment between sb[j] and sb[j+1].
            st = np.maximum(
                db[jb][None, :] + T[sb[jb][None, :], s_node[:, None]], opn[s_node][:, None]
            )
            ok = (st <= cls[s_node][:, None]) & ok_a[:, None]
            prev = s_node
            for step in range(1, length):
                node = sa[starts + step]
                st = np.maximum(st + (svc[prev] + T[prev, node])[:, None], opn[node][:, None])
                ok &= st <= cls[node][:, None]
                prev = node
            arr = st + (svc[e_node])[:, None] + T[e_node[:, None], sb[jb + 1][None, :]]
            ok &= np.maximum(arr, ob[jb + 1][None, :]) <= lb[jb + 1][None, :]
            consider(delta, ok, length, 1)
        if tails and ka and kb:
            # Swap sa[i] and sb[j] (i, j >= 1).
            pa, ua, qa = sa[:-2], sa[1:-1], sa[2:]
            pb, ub, qb = sb[:-2], sb[1:-1], sb[2:]
            delta = (
                T[pa[:, None], ub[None, :]]
                + T[ub[None, :], qa[:, None]]
                - T[pa, ua][:, None]
                - T[ua, qa][:, None]
                + T[pb[None, :], ua[:, None]]
                + T[ua[:, None], qb[None, :]]
                - T[pb, ub][None, :]
                - T[ub, qb][None, :]
            )
            # ub into a's slot.
            st = np.maximum(da[:-2][:, None] + T[pa[:, None], ub[None, :]], opn[ub][None, :])
            ok = st <= cls[ub][None, :]
            arr = st + svc[ub][None, :] + T[ub[None, :], qa[:, None]]
            ok &= np.maximum(arr, oa[2:][:, None]) <= la[2:][:, None]
            # ua into b's slot.
            st = np.maximum(db[:-2][None, :] + T[pb[None, :], ua[:, None]], opn[ua][:, None])
            ok &= st <= cls[ua][:, None]
            arr = st + svc[ua][:, None] + T[ua[:, None], qb[None, :]]
            ok &= np.maximum(arr, ob[2:][None, :]) <= lb[2:][None, :]
            consider(delta, ok, -1, 1)
        self.work += (6 if tails else 4) * (ka + 1) * (kb + 1) + 3000
        if best is not None and best[1] == -1:
            best = (best[0], -1, best[2], best[3] + 1)
        return best

    @staticmethod
    def _apply_inter(
        a: list[int], b: list[int], kind: int, i: int, j: int
    ) -> tuple[list[int], list[int]]:
        sa, sb = [0, *a, 0], [0, *b, 0]
        if kind == -1:
            na, nb = list(sa), list(sb)
            na[i], nb[j] = sb[j], sa[i]
        elif kind == 0:
            na, nb = exchange_tails(sa, sb, i, j)
        else:
            na, nb = relocate_segment(sa, sb, i, kind, j)
        return na[1:-1], nb[1:-1]

    def _improve_pair(self, ra: int, rb: int) -> bool:
        """Best-improvement descent with 2-opt*, swaps and segment relocation from route ra to
        route rb (every candidate checked for time windows at once)."""
        changed = False
        for _ in range(200):
            a, b = self.routes[ra], self.routes[rb]
            key = (tuple(a), tuple(b), ra < rb)
            if not a or key in self._pair_done:
                break
            move = self._best_inter_move(a, b, tails=key[2])
            if move is None:
                if len(self._pair_done) > 50_000:
                    self._pair_done.clear()
                self._pair_done.add(key)
                break
            _, kind, i, j = move
            na, nb = self._apply_inter(a, b, kind, i, j)
            self.routes[ra], self.routes[rb] = na, nb
            changed = True
        return changed

    def _replace_pass(self, held: np.ndarray, limit: int = 8) -> bool:
        """Swap routed visits for unrouted ones worth more that fit in their place.

        For the visit at position i of a route, an unrouted node u can take its place when u's
        window is met after the previous departure and the next visit's arrival is delayed by
        no more than its allowed shift. The best such exchange over all routes is applied, up
        to ``limit`` times; the visits put out may be inserted elsewhere afterwards.
        """
        inst = self.inst
        travel = inst.travel
        score = inst.score
        changed = False
        # Each route's best exchange, kept while the route and its incoming node stay as they
        # were (after an exchange only that route is evaluated again).
        per_route: dict[int, tuple[tuple[int, ...], tuple[float, int, int, int] | None]] = {}
        for _ in range(limit):
            free_mask = ~self.routed[self.candidates] & ~held
            free_idx = np.flatnonzero(free_mask)
            if free_idx.size == 0:
                break
            us = self.candidates[free_idx]
            best = None
            for r, nodes in enumerate(self.routes):
                k = len(nodes)
                if k == 0:
                    continue
                cached = per_route.get(r)
                if (
                    cached is not None
                    and cached[0] == tuple(nodes)
                    and (cached[1] is None or not self.routed[cached[1][3]])
                ):
                    found = cached[1]
                else:
                    prev, nxt, dep, slack = self._route_positions(r)
                    vs = nxt[:k]  # the visit at each position
                    p = prev[:k]
                    q = nxt[1:]
                    start = np.maximum(
                        dep[:k, None] + travel[p[:, None], us[None, :]], self._open[free_idx]
                    )
                    arr_q = start + self._service[free_idx] + travel[us[None, :], q[:, None]]
                    old_arr = (dep[1:] + travel[vs, q])[:, None]
                    delay = arr_q - old_arr
                    ok = (start <= self._close[free_idx]) & (delay <= slack[1:, None])
                    gain = score[us][None, :] - score[vs][:, None]
                    key = np.where(ok & (gain > 0), gain * 1e7 - delay, -np.inf)
                    self.work += key.size // 2 + 4000
                    flat = int(np.argmax(key))
                    i, c = divmod(flat, us.size)
                    found = (float(key[i, c]), r, i, int(us[c])) if key[i, c] > -np.inf else None
                    per_route[r] = (tuple(nodes), found)
                if found is not None and (best is None or found[0] > best[0]):
                    best = found
            if best is None:
                break
            _, r, i, u = best
            cand = list(self.routes[r])
            v = cand[i]
            cand[i] = u
            if not self._feasible(cand):  # pragma: no cover - guards the shift maths
                break
            self.routes[r] = cand
            self.routed[u] = True
            self.routed[v] = False
            changed = True
        return changed

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
        """Take visits out with one of the shared neighbourhoods (planner.neighbourhoods)."""
        removed: list[int] = []
        routed = [v for r in self.routes for v in r]
        if routed and rng.random() < 0.5:
            # Local ruin (SISR): strings from the routes passing nearest a random visit, so the
            # other routes, and their local-search results, stay as they were.
            seed = rng.choice(routed)
            order = np.argsort(self.inst.travel[seed, routed], kind="stable")
            nearest = [routed[int(x)] for x in order]
            strings = rng.randint(1, min(len(self.routes), 2 + strength // 4))
            removed = string_removal(rng, self.routes, nearest, strings, strength + 2)
            self._take_out(removed)
            return
        kind = choose_ruin(rng, stretch_share=0.5, related_share=0.3)
        routed = [v for r in self.routes for v in r]
        if kind == STRETCH:
            for nodes in self.routes:
                removed.extend(stretch_removal(rng, nodes, strength + 1))
        elif kind == RELATED:
            travel = self.inst.travel
            removed = related_removal(rng, routed, lambda a, b: int(travel[a, b]), 2 + strength)
        else:
            removed = random_removal(rng, routed, 1 + strength)
        self._take_out(removed)

    def _take_out(self, removed: list[int]) -> None:
        gone = set(removed)
        self.routes = [[v for v in r if v not in gone] for r in self.routes]
        for v in gone:
            self.routed[v] = False
        self._removed_last = gone

    def recreate(self, rng: random.Random, noise_amp: float | None = None) -> None:
        cands = self.candidates
        if cands.size == 0:
            return
        power = rng.choice((1.0, 2.0, 2.0, 3.0))
        if noise_amp is None:
            noise_amp = rng.choice((0.0, 0.1, 0.3))
        noise = 1.0 + noise_amp * (np.array([rng.random() for _ in range(cands.size)]) - 0.5)
        self._gain = self.inst.score[cands].astype(np.float64) ** power * noise
        held = np.array([int(v) in self._removed_last for v in cands])
        self._insert_all(held)
        # Shorten the routes (2-opt, or-opt) and fill the time this frees, until neither helps.
        for _ in range(4):
            improved = [self._improve_route(r) for r in range(len(self.routes))]
            m = len(self.routes)
            improved += [
                self._improve_pair(ra, rb) for ra in range(m) for rb in range(m) if ra != rb
            ]
            if any(improved[m:]):
                improved += [self._improve_route(r) for r in range(m)]
            improved.append(self._replace_pass(held))
            if not any(improved):
                break
            before = self.score()
            self._insert_all(held)
            if self.score() == before and not improved[-1]:
                break
        self._removed_last = set()

    def _insert_all(self, held: np.ndarray) -> None:
        cands = self.candidates
        blocks = [self._route_block(r) for r in range(len(self.routes))]
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
                blocks[r] = self._route_block(r, only=blocks[r][0] >= 0)


@dataclass
class _Walk:
    """One independent ruin-and-recreate walk of ``race_search``."""

    current: object = None
    current_obj: tuple[float, float] = (float("-inf"), float("-inf"))
    best: object = None
    best_obj: tuple[float, float] = (float("-inf"), float("-inf"))
    strength: int = 1
    since_best: int = 0


RACE_ITERATIONS = 1000


def race_stages(expected_iterations: float) -> tuple[tuple[int, float], ...]:
    """(walks, share of the budget at whose end the stage stops) for a run of about
    ``expected_iterations``: the walks double (up to 8) while each would still get at least
    ``2 * RACE_ITERATIONS`` iterations of the whole run, so slow (large, many-route) instances
    run one walk only."""
    walks = 1
    while walks < 8 and expected_iterations >= 2 * walks * RACE_ITERATIONS:
        walks *= 2
    if walks == 1:
        return ((1, 1.0),)
    ends = {2: (0.4, 1.0), 4: (0.3, 0.55, 1.0), 8: (0.25, 0.45, 0.65, 1.0)}[walks]
    return tuple((walks >> i, end) for i, end in enumerate(ends))


def race_search(
    model: ToptwModel,
    *,
    rng: random.Random,
    budget: Budget,
    calibrate: float = 0.03,
    max_strength: int = 12,
    threshold: float = 0.02,
    reset_after: int = 400,
) -> SearchStats:
    """Iterated ruin and recreate (the acceptance of planner.search.iterated_ruin_recreate) run
    as a race of independent walks with successive halving.

    On the large instances a single walk often settles in the basin of its first greedy
    construction: runs that differ only in the seed end several percent apart (pr18 with one
    route: 477 to 539 at 10 s). So the first walk runs for ``calibrate`` of the budget, its
    iteration rate sets the race (``race_stages``), and then every walk starts from its own
    construction and they share the first stage; at the end of each stage the better half (by
    best value found) go on, and the last stage runs one. The acceptance is the shared loop's:
    record-to-record travel on the value, the threshold falling to zero over the budget, a
    ruin that grows while stuck and a walk back to the walk's best after ``reset_after``
    fruitless iterations. The budget's progress is counted work with ``budget.work_units`` (the
    race is then reproducible), else the clock.
    """
    started = time.perf_counter()
    deadline = started + budget.wall_seconds
    units = budget.work_units
    start_work = model.work

    def progress() -> float:
        if units is not None:
            return (model.work - start_work) / max(1, units)
        return (time.perf_counter() - started) / max(1e-9, budget.wall_seconds)

    def out_of_budget() -> str | None:
        if units is not None and model.work - start_work >= units:
            return "budget"
        if time.perf_counter() > deadline:
            return "time"
        return None

    empty = tuple(() for _ in model.routes)
    walks: list[_Walk] = []
    iterations = 0
    best_iteration = 0
    overall: tuple[float, float] = (float("-inf"), float("-inf"))
    stopped_by: str | None = None
    stage_start = 0.0
    stages: tuple[tuple[int, float], ...] = ((1, calibrate),)
    calibrated = False
    while stages:
        count, stage_end = stages[0]
        stages = stages[1:]
        while len(walks) < count:
            walks.append(_Walk())
        walks.sort(key=lambda w: w.best_obj, reverse=True)
        walks = walks[:count]
        share = (stage_end - stage_start) / count
        for k, w in enumerate(walks):
            until = stage_start + (k + 1) * share
            if w.current is None:
                model.restore(empty)
                model.recreate(rng)
                w.current = w.best = model.snapshot()
                w.current_obj = w.best_obj = model.objective()
            else:
                model.restore(w.current)
            while progress() < until:
                stopped_by = out_of_budget()
                if stopped_by:
                    break
                iterations += 1
                before = model.snapshot()
                model.ruin(rng, w.strength)
                model.recreate(rng)
                obj = model.objective()
                allowed = threshold * abs(w.best_obj[0]) * max(0.0, 1.0 - min(1.0, progress()))
                if obj > w.best_obj:
                    if obj[0] > w.best_obj[0]:
                        w.strength = 1
                        w.since_best = 0
                    w.best_obj, w.best = obj, model.snapshot()
                    w.current_obj = obj
                    if obj > overall:
                        overall = obj
                        best_iteration = iterations
                    continue
                w.since_best += 1
                if obj >= w.current_obj or obj[0] >= w.best_obj[0] - allowed:
                    w.current_obj = obj
                else:
                    model.restore(before)
                if w.since_best % STRENGTH_STEP == 0:
                    w.strength = w.strength + 1 if w.strength < max_strength else 1
                if w.since_best % reset_after == 0:
                    model.restore(w.best)
                    w.current_obj = w.best_obj
            w.current = model.snapshot()
            if stopped_by:
                break
        if stopped_by:
            break
        if not calibrated:
            # The first walk's iterations over the calibration share set the race's size.
            calibrated = True
            stages = race_stages(iterations / max(1e-9, progress()))
            continue
        stage_start = stage_end
    winner = max((w for w in walks if w.best is not None), key=lambda w: w.best_obj)
    model.restore(winner.best)
    return SearchStats(
        iterations=iterations,
        work=model.work - start_work,
        seconds=time.perf_counter() - started,
        # The last stage ends where the budget's progress reaches 1: counted work or the clock.
        stopped_by=stopped_by or ("budget" if units is not None else "time"),
        best_iteration=best_iteration,
    )


def solve_toptw(
    inst: ToptwInstance, *, seconds: float, seed: int = 0, work_units: int | None = None
) -> ToptwSolution:
    """Best routes found for ``inst`` within ``seconds`` of wall clock; with ``work_units``, after
    that much counted work instead (then the same input and seed give the same routes)."""
    model = ToptwModel(inst)
    stats = race_search(
        model,
        rng=random.Random(seed),
        # Answer building is a copy of the routes: nearly the whole limit goes to the search.
        budget=Budget.from_seconds(seconds, work_units=work_units, keep_back=0.01),
        # The race keeps to one walk where iterations are few (the large many-route Cordeau
        # instances are still improving when the clock stops) and races several from their
        # own constructions where they are many.
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
