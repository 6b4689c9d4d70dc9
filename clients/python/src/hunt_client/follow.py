"""``follow(board)``: every change of a board, in version order, exactly once, across
disconnects.

How: subscribe to ``hunt:<board>``; on every subscription confirmation (the first one, and the
one that follows each reconnect, whether redis-py reconnected by itself or this loop did), read
``HUNT.CLUES board SINCE <last version yielded>`` and yield what it returns; then yield
messages, skipping any whose version is not above the last one yielded. Because the read
happens after the server confirmed the subscription, a change is either in the read or in a
later message (or both: the version check drops the copy). A message whose version leaves a
gap (which a live subscription never delivers) triggers the same catch-up.

``HUNT.CLUES SINCE`` reports each clue's latest change only, so after a catch-up the versions
yielded may skip numbers: the intermediate versions were superseded by the ones yielded.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any

from redis.exceptions import ConnectionError, TimeoutError

from .message import channel, parse_message
from .results import ClueUpdate

if TYPE_CHECKING:
    from .client import Hunt, Key


class BoardReset(RuntimeError):
    """The board's version went backwards (the key was deleted or replaced): the versions
    already yielded no longer describe it. Start a new ``follow`` (without ``since``)."""


def _message_type(message: dict[str, Any]) -> str:
    kind = message["type"]
    return kind.decode() if isinstance(kind, bytes) else str(kind)


def follow(
    hunt: Hunt,
    board: Key,
    *,
    since: int | None = None,
    stop: threading.Event | None = None,
    poll_interval: float = 0.5,
    reconnect_delay: float = 0.1,
    max_reconnect_delay: float = 5.0,
) -> Generator[ClueUpdate, None, None]:
    """Yields the board's changes (``ClueUpdate``, removals included) strictly in version
    order, without duplicates, reconnecting when the connection drops.

    ``since=None`` starts with the board's current clues (``HUNT.CLUES board``), then every
    change after them; ``since=v`` starts with every change after version ``v`` (pass the
    version of the last update you handled to resume where you stopped).

    The generator runs until ``stop`` is set (checked every ``poll_interval`` seconds) or the
    caller closes it (``break`` out of the loop, ``close()``); the subscription is closed then.
    While the server cannot be reached it retries, waiting from ``reconnect_delay`` up to
    ``max_reconnect_delay`` seconds between tries. Raises ``BoardReset`` when the board's
    version is found below the last one yielded (the key was deleted or replaced): at a
    catch-up, or when a live message repeats a version. A board replaced by one that is
    already past that version cannot be told from the old one.
    """
    key = board.encode() if isinstance(board, str) else bytes(board)
    subject = channel(key)
    last = since
    # True after a catch-up until a newer message arrives: messages queued before the read
    # repeat versions it delivered. Outside it, a live subscription never repeats a version.
    overlap = False
    delay = reconnect_delay

    def stopped() -> bool:
        return stop is not None and stop.is_set()

    def catch_up() -> Iterator[ClueUpdate]:
        nonlocal last, overlap
        read = hunt.clues(key, since=last)
        if last is not None and read.version < last:
            raise BoardReset(f"board {key!r} is at version {read.version}, below {last} already followed")
        for update in read.clues:
            if last is None or update.version > last:
                last = update.version
                yield update
        last = read.version if last is None else max(last, read.version)
        overlap = True

    while not stopped():
        pubsub = hunt.redis.pubsub()
        try:
            pubsub.subscribe(subject)
            while not stopped():
                message = pubsub.get_message(timeout=poll_interval)
                if message is None:
                    continue
                kind = _message_type(message)
                if kind == "subscribe":
                    yield from catch_up()
                    delay = reconnect_delay
                elif kind == "message" and last is not None:
                    update = parse_message(message["data"])
                    if update.version <= last and overlap:
                        continue  # a copy of a change the catch-up delivered
                    if update.version <= last:
                        # The board's versions went back (deleted or replaced): the catch-up
                        # read sees it and raises BoardReset.
                        yield from catch_up()
                        continue
                    overlap = False
                    if update.version == last + 1:
                        last = update.version
                        yield update
                    else:
                        yield from catch_up()
        except (ConnectionError, TimeoutError, OSError):
            # The connection dropped and redis-py gave up reconnecting (or the catch-up read
            # failed): start over with a new subscription after a pause.
            pass
        finally:
            pubsub.close()
        if stopped():
            break
        deadline = time.monotonic() + delay
        while not stopped() and time.monotonic() < deadline:
            time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
        delay = min(delay * 2, max_reconnect_delay)
