#!/usr/bin/env python3
"""A treasure hunt on the Rome map, played by three players against a running hunt server.

A game master hides clues ("gold", "silver") on a board and keeps moving them. Each player
follows the board with ``follow()``, picks the nearest clue (``HUNT.MATRIX``), asks the way to it
(``HUNT.PATHTOCLUE``), walks the path one road at a time, and reroutes whenever a clue moves. A
player who reaches a clue claims it by hiding it elsewhere with ``IFVERSION``: if the clue moved
meanwhile, the claim fails with ``STALE`` and the player goes on. Everything stops after
``--seconds``.

Run it next to ``make run`` (which serves the Rome map as key ``rome`` on port 6379)::

    python3 -m venv target/venv && target/venv/bin/pip install ./clients/python
    target/venv/bin/python examples/demo_player.py --seconds 20

If the map key is missing it loads ``data/rome99.gr.gz`` into it first.
"""

from __future__ import annotations

import argparse
import queue
import random
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis

from hunt_client import ClueRoute, ClueUpdate, Hunt, HuntError, ModuleNotLoaded, NoSuchMap, StaleVersion
from hunt_client.dimacs import load_map

ROME_FILE = Path(__file__).resolve().parents[1] / "data" / "rome99.gr.gz"
PLAYER_NAMES = ["Ada", "Bruno", "Chiara", "Dario", "Elena", "Fabio"]
CLUE_NAMES = ["gold", "silver", "bronze", "amber", "jade", "onyx"]


@dataclass(frozen=True)
class Game:
    """What every thread of one game shares: where to play and how fast."""

    host: str
    port: int
    map: str
    board: str
    speed: float  # map cost units (metres on Rome) walked per second of the demo
    move_every: float  # seconds between two moves of the game master
    drift: int  # how far (map cost) the master moves a clue at most
    hide: int  # how far (map cost) a finder hides the clue again at most
    roads: dict[tuple[int, int], int]  # (from, to) -> weight, read once with HUNT.SCAN
    started: float
    stop: threading.Event
    output: threading.Lock = field(default_factory=threading.Lock)

    def connect(self) -> Hunt:
        return Hunt(redis.Redis(host=self.host, port=self.port))

    def say(self, who: str, text: str) -> None:
        with self.output:
            print(f"[{time.monotonic() - self.started:5.1f}s] {who:<7} {text}", flush=True)


def node_within(hunt: Hunt, game: Game, start: int, max_cost: int, rng: random.Random) -> int:
    """A random node at most ``max_cost`` from ``start``, preferably in the farther half (so a
    moved clue really moves)."""
    reached = hunt.reach(game.map, start, max_cost, limit=2000).nodes
    far = [node for node, cost in reached if cost * 2 >= max_cost] or [node for node, _ in reached]
    return rng.choice(far)


class GameMaster(threading.Thread):
    """Hides the clues, then moves one of them every ``move_every`` seconds, safely: read the
    clue, publish its new place with ``IFVERSION`` of what was read, and retry on ``STALE``."""

    def __init__(self, game: Game, clues: list[str], nodes: list[int], rng: random.Random) -> None:
        super().__init__(name="game master")
        self.game, self.clues, self.nodes, self.rng = game, clues, nodes, rng
        self.moves = 0

    def hide_all(self) -> None:
        hunt = self.game.connect()
        for clue in self.clues:
            node = self.rng.choice(self.nodes)
            version = hunt.publish(self.game.board, clue, f"{clue}, hidden by the master", node=node, if_version=0)
            self.game.say("master", f"hides {clue} at node {node} (v{version})")
        hunt.close()

    def run(self) -> None:
        hunt = self.game.connect()
        while not self.game.stop.wait(self.game.move_every):
            clue = self.rng.choice(self.clues)
            for _attempt in range(5):
                current = hunt.clue(self.game.board, clue)
                if current is None or current.node is None:
                    break
                target = node_within(hunt, self.game, current.node, self.game.drift, self.rng)
                try:
                    version = hunt.publish(
                        self.game.board, clue, f"{clue}, drifting", node=target, if_version=current.version
                    )
                except StaleVersion:
                    continue  # a player claimed it between our read and our write: read again
                self.moves += 1
                self.game.say("master", f"moves {clue} from node {current.node} to {target} (v{version})")
                break
        hunt.close()


class Player(threading.Thread):
    """Walks to the nearest clue, one road at a time, rerouting when the board changes."""

    def __init__(self, game: Game, name: str, start: int, pace: float, rng: random.Random) -> None:
        super().__init__(name=name)
        self.game, self.rng = game, rng
        self.speed = game.speed * pace
        self.position = start
        self.board: dict[bytes, ClueUpdate] = {}  # the clues as this player has followed them
        self.updates: queue.Queue[ClueUpdate] = queue.Queue()
        self.route: ClueRoute | None = None
        self.step = 0  # index in route.path of the node the player stands on
        self.found = self.steps = self.walked = self.reroutes = self.lost_claims = 0

    def follow_board(self) -> None:
        """The follower thread: every board change, in version order, into ``updates``."""
        hunt = self.game.connect()
        for update in hunt.follow(self.game.board, stop=self.game.stop, poll_interval=0.1):
            self.updates.put(update)
        hunt.close()

    def take_updates(self) -> list[ClueUpdate]:
        taken: list[ClueUpdate] = []
        while True:
            try:
                update = self.updates.get_nowait()
            except queue.Empty:
                return taken
            taken.append(update)
            if update.removed:
                self.board.pop(update.id, None)
            else:
                self.board[update.id] = update

    def plan(self, hunt: Hunt, changes: list[ClueUpdate]) -> None:
        """Picks the clue with the least cost from here (one ``HUNT.MATRIX`` row) and asks the
        way to it; the route carries the clue version it was computed for. A clue this player
        hid itself is left to the others."""
        mine = f"hidden by {self.name}".encode()
        placed = [u for u in self.board.values() if u.node is not None and u.payload and not u.payload.endswith(mine)]
        before = self.route.path[self.step :] if self.route is not None else None
        self.route, self.step = None, 0
        if not placed:
            return
        costs = hunt.matrix(self.game.map, [self.position], [u.node for u in placed if u.node is not None]).costs[0]
        reachable = [(cost, update) for cost, update in zip(costs, placed) if cost is not None]
        if not reachable:
            self.game.say(self.name, f"at node {self.position}: no clue can be reached from here")
            return
        _, nearest = min(reachable, key=lambda pair: pair[0])
        self.route = hunt.path_to_clue(self.game.map, self.game.board, self.position, nearest.id)
        if self.route is None or self.route.path == before:
            return  # nothing to say when the way stays the same
        if before is None:
            reason = "sets off"
        else:
            self.reroutes += 1
            moved = ", ".join(f"{u.id.decode()} {'removed' if u.removed else f'now at {u.node}'}" for u in changes)
            reason = f"reroutes ({moved})"
        clue, roads = self.route.clue, len(self.route.path) - 1
        self.game.say(
            self.name,
            f"{reason}: at node {self.position}, heading for {clue.id.decode()} at node {clue.node} "
            f"(v{clue.version}): {self.route.cost} m, {roads} road{'s' if roads != 1 else ''}",
        )

    def claim(self, hunt: Hunt, route: ClueRoute) -> None:
        """At the clue's node: hide it elsewhere, on the condition that it has not moved."""
        clue = route.clue
        hiding = node_within(hunt, self.game, self.position, self.game.hide, self.rng)
        name = clue.id.decode()
        payload = f"{name}, hidden by {self.name}".encode()
        try:
            version = hunt.publish(self.game.board, clue.id, payload, node=hiding, if_version=clue.version)
        except StaleVersion as stale:
            self.lost_claims += 1
            self.game.say(self.name, f"reaches node {self.position} but {name} moved on (it is at v{stale.version})")
            return
        self.found += 1
        # Known at once, before the follower delivers the same change: do not chase it.
        key = self.game.board.encode()
        self.board[clue.id] = ClueUpdate(key, clue.id, version, removed=False, payload=payload, node=hiding)
        self.game.say(self.name, f"FINDS {name} at node {self.position} and hides it at node {hiding} (v{version})")

    def run(self) -> None:
        follower = threading.Thread(target=self.follow_board, name=f"{self.name} follows")
        follower.start()
        hunt = self.game.connect()
        try:
            self.play(hunt)
        finally:
            hunt.close()
            follower.join()

    def play(self, hunt: Hunt) -> None:
        while not self.game.stop.is_set():
            changes = self.take_updates()
            if changes or self.route is None:
                self.plan(hunt, changes)
            route = self.route
            if route is None:
                self.game.stop.wait(0.1)
                continue
            if self.step == len(route.path) - 1:
                self.claim(hunt, route)
                self.route = None
                continue
            here, there = route.path[self.step], route.path[self.step + 1]
            cost = self.game.roads[(here, there)]
            if self.game.stop.wait(cost / self.speed):
                return
            self.step += 1
            self.position = there
            self.steps += 1
            self.walked += cost


def ensure_map(hunt: Hunt, key: str, path: Path) -> None:
    try:
        info = hunt.map_info(key)
    except NoSuchMap:
        added = load_map(hunt, key, path)
        print(f"loaded {path.name} into {key}: {added} edges")
        return
    print(f"map {key}: {info.nodes} nodes, {info.edges} edges, version {info.version}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=6379)
    parser.add_argument("--map", default="rome", help="the map key (loaded from --map-file when missing)")
    parser.add_argument("--map-file", type=Path, default=ROME_FILE)
    parser.add_argument("--board", default="rome:demo", help="the board key (replaced: a new game)")
    parser.add_argument("--players", type=int, default=3, choices=range(1, len(PLAYER_NAMES) + 1))
    parser.add_argument("--clues", type=int, default=2, choices=range(1, len(CLUE_NAMES) + 1))
    parser.add_argument("--seconds", type=float, default=30.0, help="how long the game lasts")
    parser.add_argument("--speed", type=float, default=4000.0, help="metres a player walks per second")
    parser.add_argument("--move-every", type=float, default=2.0, help="seconds between moves of a clue")
    parser.add_argument("--drift", type=int, default=2500, help="how far the master moves a clue (metres)")
    parser.add_argument("--hide", type=int, default=8000, help="how far a finder hides a clue (metres)")
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args(argv)

    hunt = Hunt(redis.Redis(host=options.host, port=options.port))
    try:
        ensure_map(hunt, options.map, options.map_file)
        hunt.redis.delete(options.board)
        scanned = list(hunt.scan_iter(options.map, count=1000))
    except redis.ConnectionError as error:
        print(f"cannot reach Redis at {options.host}:{options.port} ({error}): start it with `make run`", file=sys.stderr)
        return 1
    except ModuleNotLoaded:
        print(f"the server at {options.host}:{options.port} has no hunt module loaded", file=sys.stderr)
        return 1

    nodes = [node.id for node in scanned]
    roads = {(node.id, edge.to): edge.weight for node in scanned for edge in node.edges}
    rng = random.Random(options.seed)
    game = Game(
        host=options.host,
        port=options.port,
        map=options.map,
        board=options.board,
        speed=options.speed,
        move_every=options.move_every,
        drift=options.drift,
        hide=options.hide,
        roads=roads,
        started=time.monotonic(),
        stop=threading.Event(),
    )
    master = GameMaster(game, CLUE_NAMES[: options.clues], nodes, random.Random(rng.random()))
    master.hide_all()
    players = [
        # Paces 0.8, 1.0, 1.2, ...: players on the same way drift apart.
        Player(game, name, rng.choice(nodes), 0.8 + 0.2 * i, random.Random(rng.random()))
        for i, name in enumerate(PLAYER_NAMES[: options.players])
    ]
    threads: list[threading.Thread] = [master, *players]
    for thread in threads:
        thread.start()
    try:
        game.stop.wait(options.seconds)
    except KeyboardInterrupt:
        pass
    finally:
        game.stop.set()
        for thread in threads:
            thread.join()

    info = hunt.board_info(options.board)
    print(f"game over after {options.seconds:g}s: board {options.board} at version {info.version}, "
          f"the master moved clues {master.moves} times")
    for player in players:
        print(
            f"summary {player.name} (pace {player.speed / game.speed:.1f}): found {player.found}, "
            f"walked {player.walked} m in {player.steps} roads, "
            f"rerouted {player.reroutes} times, lost {player.lost_claims} claims, at node {player.position}"
        )
    hunt.close()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except HuntError as error:
        print(f"hunt error: {error}", file=sys.stderr)
        sys.exit(1)
