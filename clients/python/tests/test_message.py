"""The Pub/Sub message parser on its own (the live round trip is in test_board.py)."""

from __future__ import annotations

import pytest

from hunt_client import ClueUpdate, MessageError, channel, parse_message


def encode(kind: bytes, version: int, node: int | None, board: bytes, clue: bytes, payload: bytes) -> bytes:
    """The module's encoding, written out independently of the parser."""
    header = b"%s %d %s %d %d %d\n" % (
        kind, version, b"-" if node is None else b"%d" % node, len(board), len(clue), len(payload),
    )  # fmt: skip
    return header + board + clue + payload


def test_the_documented_example() -> None:
    assert parse_message(b"publish 7 42 4 2 8\ngamec1Go north") == ClueUpdate(
        board=b"game", id=b"c1", version=7, removed=False, payload=b"Go north", node=42
    )


def test_an_unpublish_has_no_payload_and_no_node() -> None:
    update = parse_message(b"unpublish 8 - 4 2 0\ngamec1")
    assert update == ClueUpdate(board=b"game", id=b"c1", version=8, removed=True, payload=None, node=None)
    assert update.kind == "unpublish"


@pytest.mark.parametrize(
    ("board", "clue", "payload"),
    [
        (b"b", b"c", b""),
        (b"with space", b"id\nwith newline", b"payload\n\nwith 2 newlines"),
        (b"\x00", b"\x00\x00", b"\x00" * 5),
        (b"publish 1 - 1 1 1\n", b"1 2 3\n", b"unpublish 9 - 0 0 0\n"),
        (bytes(range(256)), bytes(range(255, -1, -1)), bytes(range(256)) * 300),
        ("ключ".encode(), "🗝".encode(), "уліца".encode()),
    ],
)
def test_any_bytes_round_trip(board: bytes, clue: bytes, payload: bytes) -> None:
    for node in [None, 0, 2**63 - 1]:
        update = parse_message(encode(b"publish", 2**63 - 1, node, board, clue, payload))
        assert (update.board, update.id, update.payload, update.node) == (board, clue, payload, node)
    removal = parse_message(encode(b"unpublish", 3, None, board, clue, b""))
    assert (removal.board, removal.id, removal.removed) == (board, clue, True)


def test_bytearray_memoryview_and_text_inputs() -> None:
    raw = b"publish 7 42 4 2 8\ngamec1Go north"
    assert parse_message(bytearray(raw)) == parse_message(memoryview(raw)) == parse_message(raw.decode())


@pytest.mark.parametrize(
    "bad",
    [
        b"",
        b"publish 7 42 4 2 8",  # no newline
        b"publish 7 42 4 2\ngamec1",  # five fields
        b"publish 7 42 4 2 8 9\ngamec1Go north",  # seven fields
        b"publish 7 42 4 2 9\ngamec1Go north",  # lengths do not add up
        b"publish 7 42 4 2 7\ngamec1Go north",
        b"publish x 42 4 2 8\ngamec1Go north",
        b"publish -7 42 4 2 8\ngamec1Go north",
        b"publish +7 42 4 2 8\ngamec1Go north",
        b"publish 7 4x 4 2 8\ngamec1Go north",
        b"publish  7 42 4 2 8\ngamec1Go north",
        b"remove 7 42 4 2 8\ngamec1Go north",
        b"unpublish 7 42 4 2 0\ngamec1",  # an unpublish has no node
        b"unpublish 7 - 4 2 1\ngamec1x",  # nor a payload
    ],
)
def test_malformed_messages_are_refused(bad: bytes) -> None:
    with pytest.raises(MessageError):
        parse_message(bad)


def test_channel_names() -> None:
    assert channel("game") == b"hunt:game"
    assert channel(b"\x00{x}") == b"hunt:\x00{x}"
