"""The shared neighbourhoods: what each ruin takes out and what each move does to a route."""

from __future__ import annotations

import random

from planner import neighbourhoods as n


def test_choose_ruin_splits_one_draw_by_the_shares():
    kinds = [n.choose_ruin(random.Random(seed), 0.5, 0.3) for seed in range(2000)]
    shares = {kind: kinds.count(kind) / len(kinds) for kind in (n.STRETCH, n.RELATED, n.RANDOM)}
    assert abs(shares[n.STRETCH] - 0.5) < 0.05
    assert abs(shares[n.RELATED] - 0.3) < 0.05
    assert abs(shares[n.RANDOM] - 0.2) < 0.05


def test_stretch_removal_takes_consecutive_visits():
    route = [7, 3, 9, 4, 1]
    for seed in range(50):
        cut = n.stretch_removal(random.Random(seed), route, 3)
        assert 1 <= len(cut) <= 3
        start = route.index(cut[0])
        assert route[start : start + len(cut)] == cut
    assert n.stretch_removal(random.Random(0), [], 3) == []


def test_related_removal_takes_a_seed_and_its_nearest():
    positions = {1: 0, 2: 1, 3: 2, 4: 50, 5: 51}
    cut = n.related_removal(
        random.Random(4), list(positions), lambda a, b: abs(positions[a] - positions[b]), 2
    )
    seed = cut[0]
    assert len(cut) == 2
    nearest = min(
        (v for v in positions if v != seed), key=lambda v: abs(positions[v] - positions[seed])
    )
    assert abs(positions[cut[1]] - positions[seed]) == abs(positions[nearest] - positions[seed])


def test_string_removal_cuts_one_string_around_each_nearest_route():
    routes = [[1, 2, 3, 4], [5, 6, 7], [8, 9]]
    nearest = [6, 2, 3, 9, 1]  # the seed 6 first, then by distance from it
    for seed in range(50):
        cut = n.string_removal(random.Random(seed), routes, nearest, 2, 3)
        first, second = [v for v in cut if v in routes[1]], [v for v in cut if v in routes[0]]
        # Two strings: one through the seed on its route, one through 2 on the next route.
        assert first and second and len(cut) == len(first) + len(second)
        assert 6 in first and 2 in second and len(first) <= 3 and len(second) <= 3
        for string, route in ((first, routes[1]), (second, routes[0])):
            start = route.index(string[0])
            assert route[start : start + len(string)] == string
    assert n.string_removal(random.Random(0), [[], []], [], 2, 3) == []


def test_random_removal_never_takes_more_than_there_is():
    assert sorted(n.random_removal(random.Random(1), [4, 5], 9)) == [4, 5]
    assert len(set(n.random_removal(random.Random(1), range(10), 3))) == 3


def test_moves_within_a_route():
    seq = [0, 1, 2, 3, 4, 0]
    assert n.reverse_segment(seq, 1, 3) == [0, 3, 2, 1, 4, 0]
    assert n.move_segment(seq, 1, 2, 3) == [0, 3, 1, 2, 4, 0]  # 1,2 after 3
    assert n.move_segment(seq, 3, 1, 0) == [0, 3, 1, 2, 4, 0]  # 3 to the front
    assert sorted(n.move_segment(seq, 2, 2, 4)) == sorted(seq)


def test_moves_between_two_routes():
    a, b = [0, 1, 2, 3, 0], [0, 7, 8, 0]
    assert n.exchange_tails(a, b, 1, 1) == ([0, 1, 8, 0], [0, 7, 2, 3, 0])
    assert n.relocate_segment(a, b, 2, 2, 1) == ([0, 1, 0], [0, 7, 2, 3, 8, 0])
