"""The Pub/Sub message a board change publishes on channel ``hunt:<board key>``::

    <kind> <version> <node> <key length> <id length> <payload length>\\n<key><id><payload>

``kind`` is ``publish`` or ``unpublish``, ``node`` a node id or ``-``; the lengths are byte
counts, so keys, ids and payloads may hold any bytes, newlines and NULs included.
"""

from __future__ import annotations

from .results import ClueUpdate

CHANNEL_PREFIX = b"hunt:"


class MessageError(ValueError):
    """The bytes are not a hunt message."""


def channel(board: str | bytes) -> bytes:
    """The channel on which the board's changes are published."""
    return CHANNEL_PREFIX + _bytes(board)


def _bytes(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else bytes(value)


def _count(field: bytes, what: str) -> int:
    # int() would accept "+1", " 1", "1_0": the format has plain decimal digits only.
    if not field.isdigit():
        raise MessageError(f"{what} is not a decimal number: {field!r}")
    return int(field)


def parse_message(data: bytes | bytearray | memoryview | str) -> ClueUpdate:
    """Parses one message. A ``str`` (from a client with ``decode_responses=True``) is taken
    as UTF-8, which is right only for text keys, ids and payloads: prefer bytes."""
    raw = _bytes(data) if isinstance(data, str) else bytes(data)
    newline = raw.find(b"\n")
    if newline < 0:
        raise MessageError("no header line")
    fields = raw[:newline].split(b" ")
    if len(fields) != 6:
        raise MessageError(f"the header has {len(fields)} fields, not 6")
    kind, version_field, node_field, key_field, id_field, payload_field = fields
    version = _count(version_field, "version")
    node = None if node_field == b"-" else _count(node_field, "node")
    key_len, id_len, payload_len = (
        _count(key_field, "key length"),
        _count(id_field, "id length"),
        _count(payload_field, "payload length"),
    )
    body = raw[newline + 1 :]
    if key_len + id_len + payload_len != len(body):
        raise MessageError(f"the header announces {key_len + id_len + payload_len} bytes, the body has {len(body)}")
    board = body[:key_len]
    clue_id = body[key_len : key_len + id_len]
    payload = body[key_len + id_len :]
    if kind == b"publish":
        return ClueUpdate(board=board, id=clue_id, version=version, removed=False, payload=payload, node=node)
    if kind == b"unpublish":
        if payload or node is not None:
            raise MessageError("an unpublish carries no payload and no node")
        return ClueUpdate(board=board, id=clue_id, version=version, removed=True, payload=None, node=None)
    raise MessageError(f"unknown kind {kind!r}")
