"""follow(board): every change exactly once, in version order, across killed connections."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from hunt_client import BoardReset, ClueUpdate, Hunt
from tests.conftest import Server

_names = itertools.count()

# A follower's generator ends when this event is set: a guard against a hang (a bug would
# otherwise block the suite forever), never a timing assertion.
HANG_GUARD_SECONDS = 120

# The kill test: how many times the subscription is killed, and how many clues are published
# right after each kill.
KILLS = 3
MISSED_PER_KILL = 5


@pytest.fixture
def stop() -> Iterator[threading.Event]:
    event = threading.Event()
    timer = threading.Timer(HANG_GUARD_SECONDS, event.set)
    timer.daemon = True
    timer.start()
    yield event
    timer.cancel()


@pytest.fixture(
    params=[(2, "redis-py"), (3, "redis-py"), (2, "follow"), (3, "follow")],
    ids=["resp2", "resp3", "resp2-no-retry", "resp3-no-retry"],
)
def follower(request: pytest.FixtureRequest, server: Server) -> Iterator[Hunt]:
    """A client whose connections carry a unique name (to find and kill them). "redis-py":
    redis-py's default retries reconnect a killed subscription by themselves; "follow": no
    retries, so follow()'s own loop reconnects."""
    protocol, reconnects = request.param
    name = f"follower-{next(_names)}"
    if reconnects == "follow":
        client = redis.Redis(
            host=server.host, port=server.port, protocol=protocol, client_name=name, retry=Retry(NoBackoff(), 0)
        )
    else:
        client = redis.Redis(host=server.host, port=server.port, protocol=protocol, client_name=name)
    yield Hunt(client)
    client.close()


def subscriptions(admin: redis.Redis, name: str) -> list[int]:
    """Ids of the connections named ``name`` that are subscribed to a channel."""
    return [int(c["id"]) for c in admin.client_list() if c.get("name") == name and int(c.get("sub", 0)) > 0]


def kill_subscriptions(admin: redis.Redis, name: str) -> list[int]:
    killed = subscriptions(admin, name)
    for client_id in killed:
        admin.client_kill_filter(_id=str(client_id))
    return killed


def name_of(hunt: Hunt) -> str:
    return str(hunt.redis.connection_pool.connection_kwargs["client_name"])


def test_follow_starts_with_the_current_clues_then_yields_changes(
    follower: Hunt, fresh: Callable[[str], str], stop: threading.Event
) -> None:
    board = fresh("board")
    key = board.encode()
    follower.publish(board, "c1", "one", node=1)
    follower.publish(board, "c2", "two")
    follower.unpublish(board, "c1")
    updates = follower.follow(board, stop=stop)
    assert next(updates) == ClueUpdate(key, b"c2", 2, removed=False, payload=b"two", node=None)
    follower.publish(board, "c3", b"three\x00", node=3)
    follower.unpublish(board, "c2")
    assert next(updates) == ClueUpdate(key, b"c3", 4, removed=False, payload=b"three\x00", node=3)
    assert next(updates) == ClueUpdate(key, b"c2", 5, removed=True, payload=None, node=None)
    updates.close()
    assert subscriptions(follower.redis, name_of(follower)) == []


def test_follow_since_resumes_with_removals(follower: Hunt, fresh: Callable[[str], str], stop: threading.Event) -> None:
    board = fresh("board")
    for version in range(1, 6):
        follower.publish(board, f"c{version}", f"p{version}")
    follower.unpublish(board, "c2")
    follower.publish(board, "c4", "p4 again")
    updates = follower.follow(board, since=3, stop=stop)
    seen = [(u.version, u.id, u.removed) for u in itertools.islice(updates, 3)]
    assert seen == [(5, b"c5", False), (6, b"c2", True), (7, b"c4", False)]
    follower.publish(board, "c6", "p6")
    assert next(updates).version == 8
    updates.close()


def test_every_version_arrives_once_in_order_while_the_connection_is_killed(
    follower: Hunt, server: Server, admin: redis.Redis, fresh: Callable[[str], str], stop: threading.Event
) -> None:
    board = fresh("board")
    name = name_of(follower)
    done = threading.Event()
    published = [0]

    def publish_until_done() -> None:
        publisher = Hunt(server.client())
        for i in range(1, 5001):
            publisher.publish(board, f"p{i}", f"payload {i}", node=i)
            published[0] = i
            if done.is_set():
                break
            time.sleep(0.001)
        publisher.close()

    thread = threading.Thread(target=publish_until_done)
    thread.start()
    versions: list[int] = []
    payloads: dict[bytes, bytes | None] = {}
    killed: list[int] = []
    next_kill = 20
    total: int | None = None
    try:
        for update in follower.follow(board, stop=stop):
            versions.append(update.version)
            payloads[update.id] = update.payload
            if len(killed) < KILLS and len(versions) >= next_kill:
                # Kill the subscription, then publish while the follower cannot hear: only
                # the catch-up after its reconnect can deliver these. Updates yielded from one
                # catch-up arrive while no subscription exists yet: then try at the next one.
                ids = kill_subscriptions(admin, name)
                if ids:
                    killed += ids
                    for j in range(MISSED_PER_KILL):
                        follower.publish(board, f"k{len(versions)}-{j}", f"missed {j}")
                    next_kill = len(versions) + 40
            if len(killed) == KILLS and len(versions) >= next_kill and total is None:
                done.set()
                thread.join()
                total = follower.board_info(board).version
            if total is not None and update.version >= total:
                break
    finally:
        done.set()
        thread.join()
    assert len(killed) == KILLS, "each kill found one subscription of the follower"
    assert total == published[0] + KILLS * MISSED_PER_KILL
    assert versions == list(range(1, total + 1))
    assert payloads == {u.id: u.payload for u in follower.clues(board).clues}
    assert subscriptions(admin, name) == []


def test_changes_made_while_disconnected_arrive_with_no_later_message(
    follower: Hunt, admin: redis.Redis, fresh: Callable[[str], str], stop: threading.Event
) -> None:
    """No message after the kill reveals a gap: only the catch-up on reconnect can deliver
    these (redis-py's own reconnect, or follow()'s)."""
    board = fresh("board")
    follower.publish(board, "before", "heard live")
    updates = follower.follow(board, stop=stop)
    assert next(updates).id == b"before"
    assert len(kill_subscriptions(admin, name_of(follower))) == 1
    follower.publish(board, "during", "while nobody listens", node=7)
    follower.unpublish(board, "before")
    seen = [(u.version, u.id, u.removed) for u in itertools.islice(updates, 2)]
    assert seen == [(2, b"during", False), (3, b"before", True)]
    assert len(subscriptions(admin, name_of(follower))) == 1
    updates.close()


def test_a_version_gap_triggers_a_catch_up(follower: Hunt, admin: redis.Redis, fresh: Callable[[str], str], stop: threading.Event) -> None:
    board, other = fresh("board"), fresh("board")
    follower.publish(board, "b1", "on the followed board")
    for i in range(1, 6):
        follower.publish(other, f"o{i}", f"other {i}")
    updates = follower.follow(board, stop=stop)
    assert next(updates).id == b"b1"
    admin.rename(other, board)  # no message: the next one skips versions 2 to 5
    follower.publish(board, "after", "the rename")
    seen = [(u.version, u.id) for u in itertools.islice(updates, 5)]
    assert seen == [(2, b"o2"), (3, b"o3"), (4, b"o4"), (5, b"o5"), (6, b"after")]
    updates.close()


def test_a_board_that_went_back_in_version_raises_board_reset(
    follower: Hunt, admin: redis.Redis, fresh: Callable[[str], str], stop: threading.Event
) -> None:
    board = fresh("board")
    follower.publish(board, "c1", "x")
    follower.publish(board, "c2", "y")
    updates = follower.follow(board, stop=stop)
    assert [u.version for u in itertools.islice(updates, 2)] == [1, 2]
    admin.delete(board)
    follower.publish(board, "c1", "new game")
    kill_subscriptions(admin, name_of(follower))
    with pytest.raises(BoardReset):
        next(updates)


def test_a_live_message_from_a_replaced_board_raises_board_reset(
    follower: Hunt, admin: redis.Redis, fresh: Callable[[str], str], stop: threading.Event
) -> None:
    board = fresh("board")
    for i in range(1, 4):
        follower.publish(board, f"c{i}", "old game")
    updates = follower.follow(board, stop=stop)
    assert [u.version for u in itertools.islice(updates, 3)] == [1, 2, 3]
    follower.publish(board, "c4", "heard live")
    assert next(updates).version == 4
    admin.delete(board)
    follower.publish(board, "c1", "new game")  # version 1 again, on the same subscription
    with pytest.raises(BoardReset, match="is at version 1, below 4"):
        next(updates)


def test_setting_stop_ends_the_generator(follower: Hunt, fresh: Callable[[str], str]) -> None:
    board = fresh("board")
    stop = threading.Event()
    seen: list[ClueUpdate] = []
    thread = threading.Thread(target=lambda: seen.extend(follower.follow(board, stop=stop, poll_interval=0.05)))
    thread.start()
    deadline = time.monotonic() + HANG_GUARD_SECONDS
    while not subscriptions(follower.redis, name_of(follower)) and time.monotonic() < deadline:
        time.sleep(0.01)
    stop.set()
    thread.join(HANG_GUARD_SECONDS)
    assert not thread.is_alive() and seen == []
    assert subscriptions(follower.redis, name_of(follower)) == []
