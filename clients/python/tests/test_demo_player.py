"""The demo player (examples/demo_player.py) runs a short game against the test server."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable, Iterator

import pytest

from hunt_client import Hunt
from tests.conftest import REPO, Server

DEMO = REPO / "examples" / "demo_player.py"


def run_demo(server: Server, *options: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(DEMO), "--host", server.host, "--port", str(server.port), *options]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture
def hunt(server: Server) -> Iterator[Hunt]:
    """One client (the demo is a slow test: run it once, not once per protocol)."""
    client = Hunt(server.client())
    yield client
    client.close()


def test_three_players_walk_to_moving_clues_and_reroute(
    server: Server, hunt: Hunt, rome: str, fresh: Callable[[str], str]
) -> None:
    board = fresh("demo")
    # Fast clue moves and a walking speed at which a route takes a second or more: every
    # player sets off, and moves while players walk force reroutes.
    done = run_demo(
        server, "--map", rome, "--board", board, "--seconds", "3", "--speed", "8000", "--move-every", "0.3"
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    for player in ["Ada", "Bruno", "Chiara"]:
        assert any(re.match(rf"\[ *[\d.]+s\] {player} +sets off: at node \d+, heading for ", line) for line in lines)
        assert any(line.startswith(f"summary {player} ") for line in lines), done.stdout
    assert any(" reroutes (" in line for line in lines), done.stdout
    assert sum(1 for line in lines if " master  moves " in line) >= 3, done.stdout
    # The board the game left: two clues, placed on nodes of the map, and every change counted.
    clues = hunt.clues(board)
    assert sorted(clue.id for clue in clues.clues) == [b"gold", b"silver"]
    assert all(clue.node is not None and hunt.path(rome, 1, clue.node) is not None for clue in clues.clues)
    [over] = [line for line in lines if line.startswith("game over")]
    assert f"at version {clues.version}," in over


def test_the_demo_loads_the_map_when_it_is_missing(server: Server, hunt: Hunt, fresh: Callable[[str], str]) -> None:
    key = fresh("rome")
    done = run_demo(server, "--map", key, "--board", fresh("demo"), "--seconds", "0.5", "--players", "1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"loaded rome99.gr.gz into {key}: 8859 edges\n")
    assert hunt.map_info(key).nodes == 3353


def test_the_demo_says_when_there_is_no_server(fresh: Callable[[str], str]) -> None:
    unused = Server("127.0.0.1", 1, REPO)  # port 1: nothing listens there
    done = run_demo(unused, "--seconds", "1")
    assert done.returncode == 1
    assert "start it with `make run`" in done.stderr
