"""The neighbourhoods both planners search: which visits a ruin takes out, and how a route
changes under the classic moves. Pure Python, no numpy, no planner state.

Used by the tour layer (``tour.py``: a team's days are its route, a request its visit) and by
the TOPTW core of the benchmark (benchmarks/toptw_core.py: vehicle routes of node numbers), so
the product and the benchmarked core search the same neighbourhoods.

Ruins (Schrimpf et al. 2000, "Record breaking optimization results using the ruin and
recreate principle"; the stretch is the "shake" of Vansteenwegen et al. 2009, ILS for the
TOPTW): ``stretch_removal`` takes consecutive visits of a route, ``related_removal`` a visit
and the visits nearest to it, ``random_removal`` any visits. ``choose_ruin`` picks one.
``string_removal`` is the adjacent string removal of SISR (Christiaens & Vanden Berghe 2020,
"Slack induction by string removals for vehicle routing problems"): strings of consecutive
visits cut from the few routes that pass nearest a random visit, so a ruin stays local.

Moves over a route written as ``seq = [depot, *visits, depot]`` (Croes 1958 2-opt, Or 1976
or-opt, Potvin & Rousseau 1995 2-opt*): ``reverse_segment``, ``move_segment`` within a route,
``exchange_tails`` and ``relocate_segment`` between two routes.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

STRETCH, RELATED, RANDOM = "stretch", "related", "random"


def choose_ruin(rng: random.Random, stretch_share: float, related_share: float) -> str:
    """One ruin kind: a stretch with probability ``stretch_share``, related visits with
    ``related_share``, random visits otherwise (one draw from ``rng``)."""
    draw = rng.random()
    if draw < stretch_share:
        return STRETCH
    if draw < stretch_share + related_share:
        return RELATED
    return RANDOM


def stretch_removal(rng: random.Random, route: Sequence[int], longest: int) -> list[int]:
    """A run of 1 to ``longest`` consecutive visits of ``route`` from a random position (at the
    end of the route the run may be shorter)."""
    if not route:
        return []
    length = min(len(route), rng.randint(1, longest))
    start = rng.randrange(len(route))
    return list(route[start : start + length])


def related_removal(
    rng: random.Random, visits: Sequence[int], distance: Callable[[int, int], float], count: int
) -> list[int]:
    """A random visit and the ``count - 1`` visits nearest to it (``distance(seed, visit)``;
    ties by number, so the result does not depend on the order of ``visits``)."""
    if not visits:
        return []
    seed = rng.choice(visits)
    return sorted(visits, key=lambda visit: (distance(seed, visit), visit))[:count]


def string_removal(
    rng: random.Random,
    routes: Sequence[Sequence[int]],
    nearest: Sequence[int],
    strings: int,
    longest: int,
) -> list[int]:
    """SISR's adjacent string removal: walk ``nearest`` (routed visits, the seed first, then
    by distance from it); for each visit on a route not cut yet, cut from that route a string
    of 1 to ``longest`` consecutive visits that contains it, until ``strings`` routes are cut.
    """
    where = {visit: r for r, route in enumerate(routes) for visit in route}
    cut: set[int] = set()
    removed: list[int] = []
    for visit in nearest:
        r = where.get(visit)
        if r is None or r in cut:
            continue
        route = routes[r]
        length = rng.randint(1, min(longest, len(route)))
        at = list(route).index(visit)
        # Every string of this length that contains the visit is equally likely.
        first = rng.randint(max(0, at - length + 1), min(at, len(route) - length))
        removed.extend(route[first : first + length])
        cut.add(r)
        if len(cut) >= strings:
            break
    return removed


def random_removal(rng: random.Random, visits: Sequence[int], count: int) -> list[int]:
    """``count`` visits drawn at random (all when there are fewer)."""
    return rng.sample(list(visits), min(count, len(visits)))


def reverse_segment(seq: list[int], first: int, last: int) -> list[int]:
    """2-opt: ``seq`` with ``seq[first..last]`` reversed."""
    return seq[:first] + seq[first : last + 1][::-1] + seq[last + 1 :]


def move_segment(seq: list[int], first: int, length: int, after: int) -> list[int]:
    """Or-opt: the ``length`` visits from ``seq[first]`` moved to sit between ``seq[after]``
    and ``seq[after + 1]`` (positions of the route before the move)."""
    segment = seq[first : first + length]
    rest = seq[:first] + seq[first + length :]
    at = after + 1 if after < first else after + 1 - length
    return rest[:at] + segment + rest[at:]


def exchange_tails(a: list[int], b: list[int], i: int, j: int) -> tuple[list[int], list[int]]:
    """2-opt*: route ``a`` keeps ``a[..i]`` and takes ``b``'s tail after ``b[j]``; ``b`` keeps
    ``b[..j]`` and takes ``a``'s tail after ``a[i]``."""
    return a[: i + 1] + b[j + 1 :], b[: j + 1] + a[i + 1 :]


def relocate_segment(
    a: list[int], b: list[int], first: int, length: int, after: int
) -> tuple[list[int], list[int]]:
    """The ``length`` visits from ``a[first]`` taken out of ``a`` and put into ``b`` between
    ``b[after]`` and ``b[after + 1]``."""
    segment = a[first : first + length]
    return a[:first] + a[first + length :], b[: after + 1] + segment + b[after + 1 :]
