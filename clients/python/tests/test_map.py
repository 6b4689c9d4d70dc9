"""The map commands and the queries, through the typed wrappers, on a real server."""

from __future__ import annotations

from collections.abc import Callable

from hunt_client import Hunt, MapInfo, Matrix, Reach, Reached, Route

README_ROME_PATH = [1, 22, 165, 166, 2970, 2973, 2978, 2979, 2980, 2999, 3000]


def test_the_rome_map_loads_and_answers_as_the_readme_shows(hunt: Hunt, rome: str) -> None:
    info = hunt.map_info(rome)
    assert (info.nodes, info.edges, info.closed) == (3353, 8859, 0)
    route = hunt.path(rome, 1, 3000)
    assert route is not None
    assert (route.cost, route.path) == (28376, README_ROME_PATH)


def test_add_edges_counts_new_edges_and_an_existing_edge_takes_the_new_weight(
    hunt: Hunt, fresh: Callable[[str], str]
) -> None:
    key = fresh("map")
    assert hunt.add_edges(key, [(1, 2, 10), (2, 3, 15), (1, 3, 40)]) == 3
    assert hunt.add_edges(key, [(1, 3, 20), (3, 4, 1)]) == 1
    assert hunt.path(key, 1, 3) == Route(cost=20, path=[1, 3], version=2)


def test_an_edge_class_is_honoured_by_mask(hunt: Hunt, city: str) -> None:
    assert hunt.add_edges(city, [(1, 3, 1)], edge_class=2) == 0
    route = hunt.path(city, 1, 3)
    assert route is not None and route.path == [1, 3]
    only_class_zero = hunt.path(city, 1, 3, mask=0b1)
    assert only_class_zero is not None and (only_class_zero.cost, only_class_zero.path) == (25, [1, 2, 3])


def test_path_returns_a_route_with_the_map_version(hunt: Hunt, city: str) -> None:
    assert hunt.path(city, 1, 3) == Route(cost=25, path=[1, 2, 3], version=1)
    assert hunt.path(city, 1, 1) == Route(cost=0, path=[1], version=1)


def test_path_is_none_when_unreachable_or_beyond_max_cost(hunt: Hunt, city: str) -> None:
    assert hunt.path(city, 4, 1) is None
    assert hunt.path(city, 1, 3, max_cost=20) is None
    assert hunt.path(city, 1, 3, max_cost=25) is not None


def test_avoid_keeps_the_path_out_of_the_given_nodes(hunt: Hunt, city: str) -> None:
    route = hunt.path(city, 1, 4, avoid=[2, 999])
    assert route is not None and (route.cost, route.path) == (45, [1, 3, 4])


def test_every_method_gives_the_same_cost(hunt: Hunt, city: str) -> None:
    assert hunt.nodes(city, [(1, 12.4964, 41.9028), (2, 12.4970, 41.9030), (3, 12.4980, 41.9040), (4, 12.4990, 41.905)]) == 4
    assert hunt.landmarks(city, 2) == 2
    costs = {algo: hunt.path(city, 1, 4, algo=algo) for algo in ["AUTO", "DIJKSTRA", "BIDIR", "ASTAR", "alt"]}
    assert {route.cost for route in costs.values() if route is not None} == {30}
    assert all(route is not None for route in costs.values())


def test_set_weights_changes_the_next_answer_and_the_version(hunt: Hunt, city: str) -> None:
    assert hunt.set_weights(city, [(1, 3, 12)]) == 1
    assert hunt.set_weights(city, [(1, 3, 12)]) == 0
    assert hunt.path(city, 1, 3) == Route(cost=12, path=[1, 3], version=3)


def test_close_and_open_edges(hunt: Hunt, city: str) -> None:
    assert hunt.close_edges(city, [(2, 3)]) == 1
    assert hunt.close_edges(city, [(2, 3)]) == 0
    assert hunt.map_info(city).closed == 1
    route = hunt.path(city, 1, 4)
    assert route is not None and (route.cost, route.path) == (45, [1, 3, 4])
    assert hunt.open_edges(city, [(2, 3)]) == 1
    assert hunt.map_info(city).closed == 0
    reopened = hunt.path(city, 1, 4)
    assert reopened is not None and reopened.cost == 30


def test_nodes_and_landmarks_show_in_map_info(hunt: Hunt, city: str) -> None:
    info = hunt.map_info(city)
    assert info.located == 0 and info.landmarks == 0 and info.algo == "bidir"
    coordinates = [(1, 12.4964, 41.9028), (2, 12.497, 41.903), (3, 12.498, 41.904), (4, 12.499, 41.905)]
    assert hunt.nodes(city, coordinates) == 4
    assert hunt.nodes(city, coordinates[:1]) == 0
    assert hunt.map_info(city).algo == "astar"
    assert hunt.landmarks(city, 2) == 2
    info = hunt.map_info(city)
    assert isinstance(info, MapInfo)
    assert (info.nodes, info.edges, info.located, info.landmarks, info.landmarks_valid, info.algo) == (
        4, 5, 4, 2, True, "alt",
    )  # fmt: skip
    # Versions: 1 the edges, 2 and 3 the two HUNT.NODES calls (the second only restores a
    # coordinate, but stores it: a change), 4 the landmarks.
    assert info.memory > 0 and info.version == 4
    assert info.trees == 0  # no target asked for often yet
    assert hunt.set_weights(city, [(1, 2, 1)]) == 1
    lowered = hunt.map_info(city)
    assert not lowered.landmarks_valid and lowered.algo == "astar"
    assert hunt.landmarks(city, 0) == 0


def test_reach_lists_nodes_nearest_first(hunt: Hunt, city: str) -> None:
    assert hunt.reach(city, 1, 30, limit=2) == Reach(nodes=[Reached(1, 0), Reached(2, 10)], version=1)
    everything = hunt.reach(city, 1, 1000)
    assert [(r.node, r.cost) for r in everything.nodes] == [(1, 0), (2, 10), (3, 25), (4, 30)]
    assert [r.node for r in hunt.reach(city, 1, 1000, avoid=[2]).nodes] == [1, 3, 4]
    assert [r.node for r in hunt.reach(city, 1, 24).nodes] == [1, 2]


def test_reach_on_rome_agrees_with_path(hunt: Hunt, rome: str) -> None:
    reached = hunt.reach(rome, 1, 2000, limit=50)
    assert reached.nodes[0] == Reached(1, 0)
    assert [r.cost for r in reached.nodes] == sorted(r.cost for r in reached.nodes)
    for node, cost in reached.nodes[-3:]:
        route = hunt.path(rome, 1, node)
        assert route is not None and route.cost == cost


def test_matrix_has_a_row_per_source_and_none_where_unreachable(hunt: Hunt, city: str) -> None:
    assert hunt.matrix(city, [1, 3], [3, 4]) == Matrix(costs=[[25, 30], [0, 5]], version=1)
    assert hunt.matrix(city, [4], [1, 4]) == Matrix(costs=[[None, 0]], version=1)
    assert hunt.matrix(city, [1], [4], max_cost=29).costs == [[None]]
    assert hunt.matrix(city, [1], [4], avoid=[2]).costs == [[45]]
    assert hunt.matrix(city, [1], [4], mask=0).costs == [[None]]
