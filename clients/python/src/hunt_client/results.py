"""Typed results of the HUNT commands, one dataclass per reply shape.

The fields follow the module's replies (see the project README): a reply that is a record
(a map under RESP3, a flat field/value list under RESP2) becomes one of these, whatever the
protocol. Clue ids and payloads are ``bytes``: they are binary-safe on the server.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NamedTuple


@dataclass(frozen=True, slots=True)
class Route:
    """A least-cost path (``HUNT.PATH``): its cost, the node ids from source to target, and
    the map version it was computed on."""

    cost: int
    path: list[int]
    version: int


@dataclass(frozen=True, slots=True)
class Clue:
    """A clue as it is now (``HUNT.CLUE``, and the clue a ``HUNT.PATHTOCLUE`` read)."""

    id: bytes
    version: int
    payload: bytes
    node: int | None


@dataclass(frozen=True, slots=True)
class ClueRoute(Route):
    """``HUNT.PATHTOCLUE``: the route to where ``clue`` sits, read in the same command as the
    clue, so ``clue.version`` is the version the path was computed for."""

    clue: Clue


@dataclass(frozen=True, slots=True)
class ClueUpdate:
    """One change of a board: a clue published (``removed`` false) or removed (``removed``
    true, ``payload`` and ``node`` None). It comes from a Pub/Sub message or from
    ``HUNT.CLUES``; ``follow()`` yields these."""

    board: bytes
    id: bytes
    version: int
    removed: bool
    payload: bytes | None
    node: int | None

    @property
    def kind(self) -> Literal["publish", "unpublish"]:
        """The kind as the Pub/Sub message names it."""
        return "unpublish" if self.removed else "publish"


@dataclass(frozen=True, slots=True)
class Clues:
    """``HUNT.CLUES``: the board version and the clues (or, with ``since``, the changes after
    that version, removals included), in version order."""

    version: int
    clues: list[ClueUpdate]


@dataclass(frozen=True, slots=True)
class MapInfo:
    """``HUNT.MAPINFO``."""

    nodes: int
    edges: int
    closed: int
    version: int
    memory: int
    located: int
    landmarks: int
    landmarks_valid: bool
    algo: str
    #: Shortest-path trees held for popular targets at this version (0 from servers before it).
    trees: int = 0


@dataclass(frozen=True, slots=True)
class BoardInfo:
    """``HUNT.BOARDINFO``: current clues, tombstones of removed ones, version, bytes."""

    clues: int
    removed: int
    version: int
    memory: int


class Reached(NamedTuple):
    """A node of a ``HUNT.REACH`` answer and its cost from the source."""

    node: int
    cost: int


@dataclass(frozen=True, slots=True)
class Reach:
    """``HUNT.REACH``: the nodes within the cost limit, nearest first (the source first)."""

    nodes: list[Reached]
    version: int


@dataclass(frozen=True, slots=True)
class Matrix:
    """``HUNT.MATRIX``: one row per source, one entry per target, None where unreachable."""

    costs: list[list[int | None]]
    version: int


@dataclass(frozen=True, slots=True)
class ScannedEdge:
    """An out-edge of a scanned node: its target, weight, class, and whether it is closed."""

    to: int
    weight: int
    edge_class: int
    closed: bool


@dataclass(frozen=True, slots=True)
class ScannedNode:
    """A node of a ``HUNT.SCAN`` page: its id, its coordinates in degrees (None without them;
    stored in 32 bits, good to about 1e-5 degree) and its out-edges as they were when the page
    was read."""

    id: int
    lon: float | None
    lat: float | None
    edges: list[ScannedEdge]


@dataclass(frozen=True, slots=True)
class ScanPage:
    """One ``HUNT.SCAN`` page: the cursor to pass next (0 when the scan is complete) and the
    nodes."""

    cursor: int
    nodes: list[ScannedNode]
