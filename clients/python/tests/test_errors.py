"""Every error reply of the module raises its typed exception (a redis-py ResponseError too),
with the details it names."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import cast

import pytest
import redis
from redis.exceptions import ResponseError

from hunt_client import (
    ClueWithoutNode,
    Hunt,
    HuntError,
    InternalError,
    InvalidArgument,
    LimitExceeded,
    MethodUnavailable,
    ModuleNotLoaded,
    NoSuchBoard,
    NoSuchClue,
    NoSuchEdge,
    NoSuchMap,
    NoSuchNode,
    NotFound,
    SearchCancelled,
    StaleVersion,
    WrongType,
)
from hunt_client.errors import translate


@contextmanager
def config(admin: redis.Redis, name: str, value: int) -> Iterator[None]:
    """A module configuration changed for the block, restored after it."""
    before = admin.config_get(name)[name]
    assert before is not None
    admin.config_set(name, value)
    try:
        yield
    finally:
        admin.config_set(name, before)


def test_stale_version_carries_the_clue_and_its_version(hunt: Hunt, fresh: Callable[[str], str]) -> None:
    board = fresh("board")
    hunt.publish(board, "c1", "Go north", node=42)
    hunt.publish(board, "c1", "Go east", if_version=1)
    with pytest.raises(StaleVersion) as stale:
        hunt.publish(board, "c1", "Go west", if_version=1)
    assert (stale.value.clue, stale.value.version) == (b"c1", 2)
    assert str(stale.value) == "STALE clue c1 is at version 2"
    assert isinstance(stale.value, ResponseError)
    assert hunt.clue(board, "c1").payload == b"Go east"  # type: ignore[union-attr]
    with pytest.raises(StaleVersion) as exists:
        hunt.publish(board, "c1", "again", if_version=0)
    assert exists.value.version == 2
    with pytest.raises(StaleVersion) as unpublish:
        hunt.unpublish(board, "c1", if_version=7)
    assert unpublish.value.version == 2


def test_stale_version_keeps_a_binary_clue_id_exact(hunt: Hunt, fresh: Callable[[str], str]) -> None:
    board, clue = fresh("board"), b"\xff\x00id\n"
    hunt.publish(board, clue, "x")
    with pytest.raises(StaleVersion) as stale:
        hunt.publish(board, clue, "y", if_version=5)
    assert (stale.value.clue, stale.value.version) == (clue, 1)
    with pytest.raises(StaleVersion) as missing:
        hunt.unpublish(fresh("board"), clue, if_version=3)
    assert (missing.value.clue, missing.value.version) == (clue, 0)


def test_missing_things(hunt: Hunt, city: str, fresh: Callable[[str], str]) -> None:
    with pytest.raises(NoSuchMap):
        hunt.path(fresh("nomap"), 1, 2)
    with pytest.raises(NoSuchMap):
        hunt.set_weights(fresh("nomap"), [(1, 2, 3)])
    with pytest.raises(NoSuchBoard):
        hunt.board_info(fresh("noboard"))
    with pytest.raises(NoSuchNode) as node:
        hunt.path(city, 1, 9)
    assert node.value.node == 9 and isinstance(node.value, NotFound)
    with pytest.raises(NoSuchEdge) as edge:
        hunt.close_edges(city, [(1, 2), (4, 1)])
    assert (edge.value.source, edge.value.target) == (4, 1)
    assert hunt.map_info(city).closed == 0


def test_path_to_clue_errors(hunt: Hunt, city: str, fresh: Callable[[str], str]) -> None:
    board = fresh("board")
    with pytest.raises(NoSuchClue) as missing:
        hunt.path_to_clue(city, board, 1, b"gone\xff")
    assert missing.value.clue == b"gone\xff"
    hunt.publish(board, "nowhere", "no node")
    with pytest.raises(ClueWithoutNode) as nowhere:
        hunt.path_to_clue(city, board, 1, "nowhere")
    assert nowhere.value.clue == b"nowhere"
    hunt.publish(board, "far", "off the map", node=99)
    with pytest.raises(NoSuchNode) as off:
        hunt.path_to_clue(city, board, 1, "far")
    assert off.value.node == 99


def test_forced_methods_without_their_data(hunt: Hunt, city: str) -> None:
    with pytest.raises(MethodUnavailable, match="ASTAR needs coordinates"):
        hunt.path(city, 1, 4, algo="ASTAR")
    with pytest.raises(MethodUnavailable, match="ALT needs landmarks"):
        hunt.path(city, 1, 4, algo="ALT")


def test_wrong_type(hunt: Hunt, admin: redis.Redis, city: str, fresh: Callable[[str], str]) -> None:
    board, plain = fresh("board"), fresh("string")
    hunt.publish(board, "c1", "x")
    admin.set(plain, "v")
    with pytest.raises(WrongType):
        hunt.path(board, 1, 2)
    with pytest.raises(WrongType):
        hunt.publish(city, "c1", "x")
    with pytest.raises(WrongType):
        hunt.clues(plain)


def test_invalid_arguments(hunt: Hunt, city: str, fresh: Callable[[str], str]) -> None:
    with pytest.raises(InvalidArgument, match="ALGO must be"):
        hunt.path(city, 1, 4, algo="FASTEST")
    with pytest.raises(InvalidArgument, match="must be between"):
        hunt.add_edges(city, [(1, 2, 3)], edge_class=16)
    with pytest.raises(InvalidArgument, match="node id must be between 0 and"):
        hunt.path(city, 1, -4)
    with pytest.raises(InvalidArgument, match="node id is not an integer"):
        hunt.path(city, 1, cast(int, "four"))
    with pytest.raises(InvalidArgument, match="longitude must be between -180 and 180 degrees"):
        hunt.nodes(city, [(1, 200.0, 41.9)])
    with pytest.raises(InvalidArgument, match="not a number"):
        hunt.nodes(city, [(1, float("nan"), 41.9)])
    with pytest.raises(InvalidArgument, match="wrong number of arguments"):
        hunt.add_edges(fresh("map"), [])
    with pytest.raises(InvalidArgument, match="must be between"):
        hunt.reach(city, 1, 10, limit=2**40)


def test_limits(hunt: Hunt, admin: redis.Redis, city: str, fresh: Callable[[str], str]) -> None:
    board = fresh("board")
    with config(admin, "hunt.max-batch", 2):
        with pytest.raises(LimitExceeded) as items:
            hunt.add_edges(city, [(1, 2, 1), (2, 3, 1), (3, 4, 1)])
        assert items.value.limit == 2
    with config(admin, "hunt.max-payload", 4):
        with pytest.raises(LimitExceeded) as payload:
            hunt.publish(board, "c1", "12345")
        assert payload.value.limit == 4
    with config(admin, "hunt.max-clue-id", 3):
        with pytest.raises(LimitExceeded, match="clue id is longer than 3 bytes"):
            hunt.publish(board, "long", "x")
    with config(admin, "hunt.max-nodes", 4):
        with pytest.raises(LimitExceeded, match="map would exceed 4 nodes") as nodes:
            hunt.add_edges(city, [(4, 5, 1)])
        assert nodes.value.limit == 4
    with config(admin, "hunt.max-settled", 1):
        with pytest.raises(LimitExceeded, match="search budget exceeded"):
            hunt.path(city, 1, 4, algo="DIJKSTRA")
    assert hunt.clue(board, "c1") is None and hunt.map_info(city).nodes == 4


def test_every_typed_error_is_a_hunt_error_and_a_response_error() -> None:
    cases: list[tuple[str, type[HuntError]]] = [
        ("unknown command 'HUNT.PATH', with args beginning with: 'x' ", ModuleNotLoaded),
        ("internal error in hunt (logged); nothing was changed", InternalError),
        ("search cancelled", SearchCancelled),
        ("board version would overflow", LimitExceeded),
        ("map would exceed 4294967295 edges", LimitExceeded),
        ("something new", HuntError),
        ("ERR no such map", NoSuchMap),
        ("syntax error", InvalidArgument),
    ]
    for text, kind in cases:
        error = translate(ResponseError(text))
        assert type(error) is kind, text
        assert isinstance(error, ResponseError) and str(error) == text
