"""``Hunt``: every public HUNT command as a typed method on top of a redis-py client."""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal

import redis
from redis.exceptions import ResponseError

from .errors import translate
from .follow import follow as _follow
from .results import (
    BoardInfo,
    Clue,
    ClueRoute,
    Clues,
    ClueUpdate,
    MapInfo,
    Matrix,
    Reach,
    Reached,
    Route,
    ScannedEdge,
    ScannedNode,
    ScanPage,
)

Key = str | bytes
"""A map or board key, or a clue id: text (sent as UTF-8) or any bytes."""

Algo = Literal["AUTO", "DIJKSTRA", "BIDIR", "ASTAR", "ALT"]


def as_bytes(value: Key) -> bytes:
    return value.encode() if isinstance(value, str) else bytes(value)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def fields(reply: Any) -> dict[str, Any]:
    """A record reply as a dict of field name to value: a map under RESP3, a flat
    field/value list under RESP2."""
    if isinstance(reply, Mapping):
        return {_text(name): value for name, value in reply.items()}
    if isinstance(reply, list | tuple) and len(reply) % 2 == 0:
        items = iter(reply)
        return {_text(name): value for name, value in zip(items, items, strict=True)}
    raise TypeError(f"not a record reply: {reply!r}")


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _route(reply: dict[str, Any]) -> Route:
    return Route(cost=int(reply["cost"]), path=[int(n) for n in reply["path"]], version=int(reply["version"]))


def _optional_degrees(value: Any) -> float | None:
    return None if value is None else float(value)


def _scanned_node(reply: Any) -> ScannedNode:
    node, lon, lat, edges = reply
    return ScannedNode(
        id=int(node),
        lon=_optional_degrees(lon),
        lat=_optional_degrees(lat),
        edges=[
            ScannedEdge(to=int(to), weight=int(weight), edge_class=int(edge_class), closed=bool(closed))
            for to, weight, edge_class, closed in edges
        ],
    )


def _update(board: bytes, reply: Any) -> ClueUpdate:
    entry = fields(reply)
    return ClueUpdate(
        board=board,
        id=bytes(entry["id"]),
        version=int(entry["version"]),
        removed=bool(entry["removed"]),
        payload=None if entry["payload"] is None else bytes(entry["payload"]),
        node=_optional_int(entry["node"]),
    )


class Hunt:
    """The hunt module's commands on a redis-py client.

    >>> hunt = Hunt(redis.Redis(port=6379))
    >>> hunt.path("rome", 1, 3000)
    Route(cost=28376, path=[1, 22, ..., 3000], version=1)

    The client must return bytes (``decode_responses=False``, redis-py's default): ids and
    payloads are binary-safe. It may speak RESP2 or RESP3 (``protocol=3``); results are the
    same. Error replies raise the exceptions of ``hunt_client.errors``.
    """

    def __init__(self, client: redis.Redis) -> None:
        if client.connection_pool.connection_kwargs.get("decode_responses"):
            raise ValueError("Hunt needs a redis.Redis with decode_responses=False: clue ids and payloads are bytes")
        self.redis = client

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> Hunt:
        """``Hunt.from_url("redis://127.0.0.1:6379/0")``; keyword arguments go to redis-py."""
        return cls(redis.Redis.from_url(url, **kwargs))

    def close(self) -> None:
        """Closes the underlying client's connections."""
        self.redis.close()

    def _call(self, *args: Any, clue: bytes = b"") -> Any:
        # redis-py leaves execute_command unannotated; the replies are parsed here anyway.
        execute: Callable[..., Any] = self.redis.execute_command
        try:
            return execute(*args)
        except ResponseError as error:
            raise translate(error, clue) from error

    # The map.

    def add_edges(self, map: Key, edges: Iterable[tuple[int, int, int]], *, edge_class: int | None = None) -> int:
        """``HUNT.ADDEDGES``: adds (from, to, weight) edges, creating the map; an existing edge
        takes the new weight (and class). Returns how many edges were new."""
        args: list[Any] = ["HUNT.ADDEDGES", map]
        if edge_class is not None:
            args += ["CLASS", edge_class]
        for source, target, weight in edges:
            args += [source, target, weight]
        return int(self._call(*args))

    def set_weights(self, map: Key, edges: Iterable[tuple[int, int, int]]) -> int:
        """``HUNT.SETWEIGHTS``: new weights of existing (from, to, weight) edges. Returns how
        many weights changed value."""
        args: list[Any] = ["HUNT.SETWEIGHTS", map]
        for source, target, weight in edges:
            args += [source, target, weight]
        return int(self._call(*args))

    def _pairs(self, command: str, map: Key, edges: Iterable[tuple[int, int]]) -> int:
        args: list[Any] = [command, map]
        for source, target in edges:
            args += [source, target]
        return int(self._call(*args))

    def close_edges(self, map: Key, edges: Iterable[tuple[int, int]]) -> int:
        """``HUNT.CLOSE``: closes existing (from, to) edges. Returns how many changed state."""
        return self._pairs("HUNT.CLOSE", map, edges)

    def open_edges(self, map: Key, edges: Iterable[tuple[int, int]]) -> int:
        """``HUNT.OPEN``: reopens closed (from, to) edges. Returns how many changed state."""
        return self._pairs("HUNT.OPEN", map, edges)

    def nodes(self, map: Key, coordinates: Iterable[tuple[int, float, float]]) -> int:
        """``HUNT.NODES``: (id, longitude, latitude) of existing nodes, in degrees. Returns how
        many nodes got their first coordinates."""
        args: list[Any] = ["HUNT.NODES", map]
        for node, lon, lat in coordinates:
            args += [node, repr(float(lon)), repr(float(lat))]
        return int(self._call(*args))

    def landmarks(self, map: Key, count: int) -> int:
        """``HUNT.LANDMARKS``: picks ``count`` landmarks for ALT (0 removes them)."""
        return int(self._call("HUNT.LANDMARKS", map, count))

    def map_info(self, map: Key) -> MapInfo:
        """``HUNT.MAPINFO``."""
        info = fields(self._call("HUNT.MAPINFO", map))
        return MapInfo(
            nodes=int(info["nodes"]),
            edges=int(info["edges"]),
            closed=int(info["closed"]),
            version=int(info["version"]),
            memory=int(info["memory"]),
            located=int(info["located"]),
            landmarks=int(info["landmarks"]),
            landmarks_valid=bool(info["landmarks_valid"]),
            algo=_text(info["algo"]),
            trees=int(info.get("trees", 0)),
        )

    def scan(self, map: Key, cursor: int = 0, *, count: int | None = None) -> ScanPage:
        """``HUNT.SCAN``: one page of at most ``count`` nodes (server default 100) with their
        coordinates and out-edges, starting at ``cursor`` (0 to begin). Pass the page's
        ``cursor`` back until it is 0. A missing map is an empty scan."""
        args: list[Any] = ["HUNT.SCAN", map, cursor]
        if count is not None:
            args += ["COUNT", count]
        next_cursor, nodes = self._call(*args)
        return ScanPage(cursor=int(next_cursor), nodes=[_scanned_node(node) for node in nodes])

    def scan_iter(self, map: Key, *, count: int | None = None) -> Iterator[ScannedNode]:
        """Every node of the map once (each node that existed when the scan started), page by
        page with ``HUNT.SCAN``."""
        cursor = 0
        while True:
            page = self.scan(map, cursor, count=count)
            yield from page.nodes
            cursor = page.cursor
            if cursor == 0:
                return

    # Queries.

    @staticmethod
    def _options(
        mask: int | None = None,
        avoid: Iterable[int] | None = None,
        max_cost: int | None = None,
        algo: Algo | str | None = None,
    ) -> list[Any]:
        options: list[Any] = []
        if mask is not None:
            options += ["MASK", mask]
        if avoid is not None:
            nodes = list(avoid)
            options += ["AVOID", len(nodes), *nodes]
        if max_cost is not None:
            options += ["MAXCOST", max_cost]
        if algo is not None:
            options += ["ALGO", algo.upper()]
        return options

    def path(
        self,
        map: Key,
        source: int,
        target: int,
        *,
        mask: int | None = None,
        avoid: Iterable[int] | None = None,
        max_cost: int | None = None,
        algo: Algo | str | None = None,
    ) -> Route | None:
        """``HUNT.PATH``: the least-cost route, or None when ``target`` cannot be reached
        (within ``max_cost``, on edges of the ``mask`` classes, not entering ``avoid``)."""
        reply = self._call("HUNT.PATH", map, source, target, *self._options(mask, avoid, max_cost, algo))
        return None if reply is None else _route(fields(reply))

    def path_to_clue(
        self,
        map: Key,
        board: Key,
        source: int,
        clue: Key,
        *,
        mask: int | None = None,
        avoid: Iterable[int] | None = None,
        max_cost: int | None = None,
        algo: Algo | str | None = None,
    ) -> ClueRoute | None:
        """``HUNT.PATHTOCLUE``: the route to where ``clue`` sits now, with the clue read in the
        same command; None when its node cannot be reached."""
        options = self._options(mask, avoid, max_cost, algo)
        reply = self._call("HUNT.PATHTOCLUE", map, board, source, clue, *options, clue=as_bytes(clue))
        if reply is None:
            return None
        route = fields(reply)
        read = fields(route["clue"])
        found = Clue(
            id=bytes(read["id"]),
            version=int(read["version"]),
            payload=bytes(read["payload"]),
            node=_optional_int(read["node"]),
        )
        base = _route(route)
        return ClueRoute(cost=base.cost, path=base.path, version=base.version, clue=found)

    def reach(
        self,
        map: Key,
        source: int,
        max_cost: int,
        *,
        limit: int | None = None,
        mask: int | None = None,
        avoid: Iterable[int] | None = None,
    ) -> Reach:
        """``HUNT.REACH``: every node within ``max_cost`` of ``source``, nearest first, at most
        ``limit``."""
        args: list[Any] = ["HUNT.REACH", map, source, max_cost]
        if limit is not None:
            args += ["LIMIT", limit]
        reply = fields(self._call(*args, *self._options(mask, avoid)))
        nodes = [Reached(int(node), int(cost)) for node, cost in reply["nodes"]]
        return Reach(nodes=nodes, version=int(reply["version"]))

    def matrix(
        self,
        map: Key,
        sources: Sequence[int],
        targets: Sequence[int],
        *,
        mask: int | None = None,
        avoid: Iterable[int] | None = None,
        max_cost: int | None = None,
    ) -> Matrix:
        """``HUNT.MATRIX``: ``costs[i][j]`` from ``sources[i]`` to ``targets[j]``, None where
        unreachable."""
        args: list[Any] = ["HUNT.MATRIX", map, "FROM", len(sources), *sources, "TO", len(targets), *targets]
        reply = fields(self._call(*args, *self._options(mask, avoid, max_cost)))
        costs = [[_optional_int(cost) for cost in row] for row in reply["costs"]]
        return Matrix(costs=costs, version=int(reply["version"]))

    # The board.

    def publish(
        self, board: Key, clue: Key, payload: Key, *, node: int | None = None, if_version: int | None = None
    ) -> int:
        """``HUNT.PUBLISH``: stores and publishes the clue; returns its new version. With
        ``if_version`` it applies only if the clue is at that version (0: must not exist),
        else raises ``StaleVersion``."""
        args: list[Any] = ["HUNT.PUBLISH", board, clue, payload]
        if node is not None:
            args += ["AT", node]
        if if_version is not None:
            args += ["IFVERSION", if_version]
        return int(self._call(*args, clue=as_bytes(clue)))

    def unpublish(self, board: Key, clue: Key, *, if_version: int | None = None) -> int:
        """``HUNT.UNPUBLISH``: removes the clue; returns the new board version, or 0 when there
        was no such clue. ``if_version`` as for ``publish``."""
        args: list[Any] = ["HUNT.UNPUBLISH", board, clue]
        if if_version is not None:
            args += ["IFVERSION", if_version]
        return int(self._call(*args, clue=as_bytes(clue)))

    def clue(self, board: Key, clue: Key) -> Clue | None:
        """``HUNT.CLUE``: the clue, or None when there is no such clue or board."""
        reply = self._call("HUNT.CLUE", board, clue, clue=as_bytes(clue))
        if reply is None:
            return None
        read = fields(reply)
        return Clue(
            id=as_bytes(clue),
            version=int(read["version"]),
            payload=bytes(read["payload"]),
            node=_optional_int(read["node"]),
        )

    def clues(self, board: Key, *, since: int | None = None) -> Clues:
        """``HUNT.CLUES``: the board version and its clues in version order; with ``since``,
        every change after that version, removals included."""
        args: list[Any] = ["HUNT.CLUES", board]
        if since is not None:
            args += ["SINCE", since]
        reply = fields(self._call(*args))
        key = as_bytes(board)
        return Clues(version=int(reply["version"]), clues=[_update(key, entry) for entry in reply["clues"]])

    def board_info(self, board: Key) -> BoardInfo:
        """``HUNT.BOARDINFO``."""
        info = fields(self._call("HUNT.BOARDINFO", board))
        return BoardInfo(
            clues=int(info["clues"]),
            removed=int(info["removed"]),
            version=int(info["version"]),
            memory=int(info["memory"]),
        )

    def follow(
        self,
        board: Key,
        *,
        since: int | None = None,
        stop: threading.Event | None = None,
        poll_interval: float = 0.5,
        reconnect_delay: float = 0.1,
        max_reconnect_delay: float = 5.0,
    ) -> Generator[ClueUpdate, None, None]:
        """Every change of ``board``, in version order, exactly once, across reconnects: see
        ``hunt_client.follow.follow``."""
        return _follow(
            self,
            board,
            since=since,
            stop=stop,
            poll_interval=poll_interval,
            reconnect_delay=reconnect_delay,
            max_reconnect_delay=max_reconnect_delay,
        )
