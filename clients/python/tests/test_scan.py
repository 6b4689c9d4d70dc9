"""HUNT.SCAN through the typed wrapper: pages, cursors, coordinates, edges, on a real server."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hunt_client import Hunt, InvalidArgument, ScannedEdge, ScannedNode, ScanPage, WrongType


def test_the_readme_example(hunt: Hunt, fresh: Callable[[str], str]) -> None:
    key = fresh("map")
    assert hunt.add_edges(key, [(1, 2, 4), (2, 3, 5), (3, 4, 1), (1, 3, 20), (2, 4, 12)]) == 5
    assert hunt.close_edges(key, [(2, 3)]) == 1
    assert hunt.nodes(key, [(1, 12.4964, 41.9028)]) == 1
    first = hunt.scan(key, 0, count=2)
    assert first.cursor == 2
    # Coordinates are stored in 32 bits: 41.9028 comes back as 41.902799.
    assert first.nodes[0].lon == pytest.approx(12.4964, abs=1e-5)
    assert first.nodes[0].lat == pytest.approx(41.9028, abs=1e-5)
    assert first.nodes[0].edges == [ScannedEdge(2, 4, 0, False), ScannedEdge(3, 20, 0, False)]
    assert first.nodes[1] == ScannedNode(2, None, None, [ScannedEdge(3, 5, 0, True), ScannedEdge(4, 12, 0, False)])
    second = hunt.scan(key, first.cursor, count=2)
    assert second == ScanPage(
        cursor=0,
        nodes=[ScannedNode(3, None, None, [ScannedEdge(4, 1, 0, False)]), ScannedNode(4, None, None, [])],
    )


def test_edge_classes_show_and_a_missing_map_is_an_empty_scan(hunt: Hunt, fresh: Callable[[str], str]) -> None:
    key = fresh("map")
    hunt.add_edges(key, [(10, 20, 7)], edge_class=15)
    assert hunt.scan(key) == ScanPage(0, [ScannedNode(10, None, None, [ScannedEdge(20, 7, 15, False)]), ScannedNode(20, None, None, [])])
    assert hunt.scan(fresh("missing")) == ScanPage(0, [])
    assert list(hunt.scan_iter(fresh("missing"))) == []


def test_scan_iter_returns_every_rome_node_once_with_every_edge(hunt: Hunt, rome: str) -> None:
    nodes = list(hunt.scan_iter(rome, count=500))
    info = hunt.map_info(rome)
    assert len(nodes) == info.nodes == len({node.id for node in nodes})
    assert sum(len(node.edges) for node in nodes) == info.edges
    assert all(node.lon is None and node.lat is None for node in nodes)  # rome99 has no .co file
    by_id = {node.id: node for node in nodes}
    route = hunt.path(rome, 1, 3000)
    assert route is not None
    # The path's cost is the sum of the scanned weights along it (the cheapest parallel arc).
    total = 0
    for source, target in zip(route.path, route.path[1:]):
        total += min(edge.weight for edge in by_id[source].edges if edge.to == target)
    assert total == route.cost


def test_scan_errors(hunt: Hunt, fresh: Callable[[str], str]) -> None:
    key, board = fresh("map"), fresh("board")
    hunt.add_edges(key, [(1, 2, 3)])
    hunt.publish(board, "c1", "x")
    with pytest.raises(InvalidArgument, match="count must be between 1 and"):
        hunt.scan(key, count=0)
    with pytest.raises(InvalidArgument, match="cursor must be between 0 and"):
        hunt.scan(key, -1)
    with pytest.raises(WrongType):
        hunt.scan(board)
