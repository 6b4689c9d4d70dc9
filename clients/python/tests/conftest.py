"""Fixtures: one real redis-server with the hunt module per test session, on a free 127.0.0.1
port, and a client on it for each protocol (every test that takes ``hunt`` runs on RESP2 and
on RESP3).

Environment: ``HUNT_MODULE`` (default ``target/release/libhunt.so`` of the repository),
``REDIS_SERVER`` (default ``/usr/bin/redis-server``).
"""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from hunt_client import Hunt
from hunt_client.dimacs import load_map

REPO = Path(__file__).resolve().parents[3]
ROME = REPO / "data" / "rome99.gr.gz"
ROME_KEY = "rome"


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    log: Path

    def client(self, protocol: int = 2) -> redis.Redis:
        return redis.Redis(host=self.host, port=self.port, protocol=protocol)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def module_path() -> Path:
    path = Path(os.environ.get("HUNT_MODULE", REPO / "target" / "release" / "libhunt.so"))
    if not path.is_file():
        pytest.fail(f"{path} not found: run `cargo build --release -p hunt` first, or set HUNT_MODULE", pytrace=False)
    return path


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp("redis")
    port = _free_port()
    log = directory / "redis.log"
    binary = os.environ.get("REDIS_SERVER", "/usr/bin/redis-server")
    command = [
        binary,
        "--bind", "127.0.0.1",
        "--port", str(port),
        "--dir", str(directory),
        "--save", "",
        "--appendonly", "no",
        "--logfile", str(log),
        "--loadmodule", str(module_path()),
    ]  # fmt: skip
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    started = Server("127.0.0.1", port, log)
    try:
        probe = started.client()
        deadline = time.monotonic() + 20
        while True:
            try:
                probe.ping()
                break
            except redis.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    text = log.read_text() if log.exists() else ""
                    stderr = process.stderr.read() if process.stderr is not None else b""
                    pytest.fail(f"redis-server did not start: {stderr!r}\n{text}", pytrace=False)
                time.sleep(0.05)
        probe.close()
        yield started
    finally:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def rome(server: Server) -> str:
    """The Rome map (DIMACS challenge 9), loaded once into key ``rome`` with the Python loader.
    Tests only read it."""
    hunt = Hunt(server.client())
    load_map(hunt, ROME_KEY, ROME, replace=True)
    hunt.close()
    return ROME_KEY


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def hunt(request: pytest.FixtureRequest, server: Server) -> Iterator[Hunt]:
    client = Hunt(server.client(protocol=request.param))
    yield client
    client.close()


@pytest.fixture
def admin(server: Server) -> Iterator[redis.Redis]:
    """A plain RESP2 client for CONFIG, CLIENT LIST/KILL and raw commands."""
    client = server.client()
    yield client
    client.close()


_counter = itertools.count()


@pytest.fixture
def fresh() -> Callable[[str], str]:
    """Unique key names, so that tests never see each other's keys on the shared server."""

    def name(kind: str = "k") -> str:
        return f"{kind}:{next(_counter)}"

    return name


@pytest.fixture
def city(hunt: Hunt, fresh: Callable[[str], str]) -> str:
    """The README's small map: 1->2 (10), 2->3 (15), 1->3 (40), 3->1 (20), 3->4 (5)."""
    key = fresh("city")
    assert hunt.add_edges(key, [(1, 2, 10), (2, 3, 15), (1, 3, 40), (3, 1, 20), (3, 4, 5)]) == 5
    return key
