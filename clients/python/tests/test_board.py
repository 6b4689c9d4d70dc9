"""The board commands and HUNT.PATHTOCLUE, through the typed wrappers, on a real server."""

from __future__ import annotations

from collections.abc import Callable

from typing import cast

import redis

from hunt_client import BoardInfo, Clue, ClueRoute, Clues, ClueUpdate, Hunt, channel, parse_message

BINARY_ID = b"c\n1 \x00\xff"
BINARY_PAYLOAD = bytes(range(256)) + b"\npublish 1 - 1 1 1\n"


def test_publish_gives_versions_and_clue_reads_them_back(hunt: Hunt, fresh: Callable[[str], str]) -> None:
    board = fresh("board")
    assert hunt.publish(board, "c1", "Go north", node=42) == 1
    assert hunt.publish(board, "c2", "Go east") == 2
    assert hunt.clue(board, "c1") == Clue(id=b"c1", version=1, payload=b"Go north", node=42)
    assert hunt.clue(board, "c2") == Clue(id=b"c2", version=2, payload=b"Go east", node=None)
    assert hunt.clue(board, "c3") is None
    assert hunt.clue(fresh("missing"), "c1") is None


def test_if_version_applies_only_at_that_version(hunt: Hunt, fresh: Callable[[str], str]) -> None:
    board = fresh("board")
    assert hunt.publish(board, "c1", "first", if_version=0) == 1
    assert hunt.publish(board, "c1", "second", if_version=1) == 2
    assert hunt.unpublish(board, "c1", if_version=2) == 3
    assert hunt.clue(board, "c1") is None


def test_unpublish_of_a_missing_clue_replies_zero_and_changes_nothing(hunt: Hunt, fresh: Callable[[str], str]) -> None:
    board = fresh("board")
    assert hunt.unpublish(board, "nothing") == 0
    assert hunt.publish(board, "c1", "x") == 1
    assert hunt.unpublish(board, "nothing") == 0
    assert hunt.board_info(board).version == 1


def test_clues_lists_current_clues_and_since_lists_changes_with_removals(
    hunt: Hunt, fresh: Callable[[str], str]
) -> None:
    board = fresh("board")
    key = board.encode()
    hunt.publish(board, "c1", "Go north", node=42)
    hunt.publish(board, "c1", "Go east", node=42)
    assert hunt.unpublish(board, "c1") == 3
    hunt.publish(board, "c2", "Under the bridge", node=7)
    assert hunt.clues(board) == Clues(
        version=4, clues=[ClueUpdate(key, b"c2", 4, removed=False, payload=b"Under the bridge", node=7)]
    )
    since = hunt.clues(board, since=2)
    assert since == Clues(
        version=4,
        clues=[
            ClueUpdate(key, b"c1", 3, removed=True, payload=None, node=None),
            ClueUpdate(key, b"c2", 4, removed=False, payload=b"Under the bridge", node=7),
        ],
    )
    assert since.clues[0].kind == "unpublish" and since.clues[1].kind == "publish"
    assert hunt.clues(board, since=4) == Clues(version=4, clues=[])
    assert hunt.clues(fresh("missing")) == Clues(version=0, clues=[])


def test_board_info_counts_clues_and_tombstones(hunt: Hunt, fresh: Callable[[str], str]) -> None:
    board = fresh("board")
    hunt.publish(board, "c1", "a")
    hunt.publish(board, "c2", "b")
    hunt.unpublish(board, "c1")
    info = hunt.board_info(board)
    assert isinstance(info, BoardInfo)
    assert (info.clues, info.removed, info.version) == (1, 1, 3)
    assert info.memory > 0


def test_ids_and_payloads_are_binary_safe(hunt: Hunt, fresh: Callable[[str], str]) -> None:
    board = fresh("board")
    assert hunt.publish(board, BINARY_ID, BINARY_PAYLOAD, node=5) == 1
    assert hunt.clue(board, BINARY_ID) == Clue(id=BINARY_ID, version=1, payload=BINARY_PAYLOAD, node=5)
    [listed] = hunt.clues(board).clues
    assert (listed.id, listed.payload) == (BINARY_ID, BINARY_PAYLOAD)
    assert hunt.unpublish(board, BINARY_ID) == 2


def test_a_published_message_parses_to_the_same_update_as_clues_since(
    hunt: Hunt, fresh: Callable[[str], str]
) -> None:
    board = fresh("board\n\x00")
    pubsub = hunt.redis.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(channel(board))
    try:
        assert pubsub.get_message(timeout=10) is None  # the subscription confirmation, ignored
        hunt.publish(board, BINARY_ID, BINARY_PAYLOAD, node=5)
        hunt.unpublish(board, BINARY_ID)
        received = [_next_message(pubsub) for _ in range(2)]
    finally:
        pubsub.close()
    parsed = [parse_message(message["data"]) for message in received]
    assert parsed[0] == ClueUpdate(board.encode(), BINARY_ID, 1, removed=False, payload=BINARY_PAYLOAD, node=5)
    assert parsed[1] == ClueUpdate(board.encode(), BINARY_ID, 2, removed=True, payload=None, node=None)
    assert parsed[1] == hunt.clues(board, since=1).clues[0]


def _next_message(pubsub: redis.client.PubSub) -> dict[str, bytes]:
    while True:
        message = pubsub.get_message(ignore_subscribe_messages=True, timeout=10)
        if message is not None and message["type"] in ("message", b"message"):
            return cast(dict[str, bytes], message)


def test_path_to_clue_follows_the_clue_and_reports_the_version_read(hunt: Hunt, city: str, fresh: Callable[[str], str]) -> None:
    board = fresh("board")
    hunt.publish(board, "c1", "by the fountain", node=4)
    route = hunt.path_to_clue(city, board, 1, "c1")
    assert route == ClueRoute(
        cost=30,
        path=[1, 2, 3, 4],
        version=1,
        clue=Clue(id=b"c1", version=1, payload=b"by the fountain", node=4),
    )
    hunt.publish(board, "c1", "moved", node=3)
    moved = hunt.path_to_clue(city, board, 1, "c1", avoid=[2])
    assert moved is not None and (moved.cost, moved.path, moved.clue.version) == (40, [1, 3], 2)
    assert hunt.path_to_clue(city, board, 1, "c1", max_cost=10) is None
    assert hunt.path_to_clue(city, board, 4, "c1") is None


def test_path_to_clue_on_rome_matches_path(hunt: Hunt, rome: str, fresh: Callable[[str], str]) -> None:
    board = fresh("board")
    hunt.publish(board, "treasure", "at the end", node=3000)
    route = hunt.path_to_clue(rome, board, 1, "treasure", algo="DIJKSTRA")
    direct = hunt.path(rome, 1, 3000)
    assert route is not None and direct is not None
    assert (route.cost, route.path, route.version) == (direct.cost, direct.path, direct.version)
