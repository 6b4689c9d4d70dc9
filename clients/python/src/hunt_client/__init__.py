"""A typed Python client for hunt, the Redis module for real-time treasure hunts.

>>> import redis
>>> from hunt_client import Hunt
>>> hunt = Hunt(redis.Redis())
>>> hunt.publish("game", "c1", "by the fountain", node=4)
1
>>> for update in hunt.follow("game"):
...     print(update.version, update.id, update.payload)
"""

from .client import Algo, Hunt, Key
from .errors import (
    ClueWithoutNode,
    HuntError,
    InternalError,
    InvalidArgument,
    LimitExceeded,
    MethodUnavailable,
    ModuleNotLoaded,
    NoSuchBoard,
    NoSuchClue,
    NoSuchEdge,
    NoSuchMap,
    NoSuchNode,
    NotFound,
    SearchCancelled,
    StaleVersion,
    WrongType,
)
from .follow import BoardReset, follow
from .message import MessageError, channel, parse_message
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

__all__ = [
    "Algo",
    "BoardInfo",
    "BoardReset",
    "Clue",
    "ClueRoute",
    "ClueUpdate",
    "ClueWithoutNode",
    "Clues",
    "Hunt",
    "HuntError",
    "InternalError",
    "InvalidArgument",
    "Key",
    "LimitExceeded",
    "MapInfo",
    "Matrix",
    "MessageError",
    "MethodUnavailable",
    "ModuleNotLoaded",
    "NoSuchBoard",
    "NoSuchClue",
    "NoSuchEdge",
    "NoSuchMap",
    "NoSuchNode",
    "NotFound",
    "Reach",
    "Reached",
    "Route",
    "ScanPage",
    "ScannedEdge",
    "ScannedNode",
    "SearchCancelled",
    "StaleVersion",
    "WrongType",
    "channel",
    "follow",
    "parse_message",
]

__version__ = "0.1.0"
