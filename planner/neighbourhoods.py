"""The neighbourhoods both planners search: which visits a ruin takes out, and how a route
changes under the classic moves. Pure Python, no numpy, no planner state.

Used by the tour layer (``tour.py``: a team's days are its route, a request its visit) and by
the TOPTW core of the benchmark (benchmarks/toptw_core.py: vehicle routes of node numbers), so
the product and the benchmarked core search the same neighbourhoods.

Ruins (Schrimpf et al. 2000, "Record breaking optimization results using the ruin and
recreate principle"; the stretch is the "shake" of Vansteenwegen et al. 2009, ILS for the
TOPTW): ``stretch_removal`` takes consecutive visits of a route, ``related_removal`` a visit
and the visits nearest to it, ``random_removal`` any visits. ``choose_ruin`` picks one.

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
