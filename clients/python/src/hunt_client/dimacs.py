"""Reading DIMACS shortest-path files (``.gr`` arcs, ``.co`` coordinates), plain or gzip, and
loading them into a map, as ``hunt-load`` does: a node pair given more than once keeps its
smallest weight, and edges go in batches of ``HUNT.ADDEDGES``."""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator
from typing import IO

from .client import Hunt, Key


def _open(path: str | os.PathLike[str]) -> IO[str]:
    if os.fspath(path).endswith(".gz"):
        return gzip.open(path, "rt", encoding="ascii")
    return open(path, encoding="ascii")


def read_arcs(path: str | os.PathLike[str]) -> dict[tuple[int, int], int]:
    """The arcs of a ``.gr`` file (``a from to weight`` lines), the smallest weight of each pair."""
    arcs: dict[tuple[int, int], int] = {}
    with _open(path) as lines:
        for line in lines:
            if line.startswith("a "):
                _, source, target, weight = line.split()
                pair = (int(source), int(target))
                arcs[pair] = min(int(weight), arcs.get(pair, int(weight)))
    return arcs


def read_coordinates(path: str | os.PathLike[str]) -> Iterator[tuple[int, float, float]]:
    """(id, longitude, latitude) in degrees from a ``.co`` file (``v id x y`` lines, in
    millionths of a degree)."""
    with _open(path) as lines:
        for line in lines:
            if line.startswith("v "):
                _, node, x, y = line.split()
                yield int(node), int(x) / 1_000_000, int(y) / 1_000_000


def load_map(
    hunt: Hunt, key: Key, path: str | os.PathLike[str], *, batch: int = 20_000, replace: bool = False
) -> int:
    """Loads a ``.gr`` file into map ``key``; returns how many edges were new. ``replace``
    deletes the key first."""
    if replace:
        hunt.redis.delete(key)
    edges = [(source, target, weight) for (source, target), weight in read_arcs(path).items()]
    added = 0
    for start in range(0, len(edges), batch):
        added += hunt.add_edges(key, edges[start : start + batch])
    return added
