"""Typed exceptions for the module's error replies.

Every exception here is a ``redis.exceptions.ResponseError`` (through ``HuntError``), so code
that already catches redis-py's errors keeps working; the subclasses say which error it was
and carry its details (the node, the edge, the clue, the limit).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from redis.exceptions import ResponseError


class HuntError(ResponseError):
    """An error reply to a HUNT command. ``str(error)`` is the server's text."""


class ModuleNotLoaded(HuntError):
    """The server does not know the command: the hunt module is not loaded there."""


class WrongType(HuntError):
    """The key holds a value of another type (Redis's ``WRONGTYPE``)."""


class InvalidArgument(HuntError):
    """Wrong number of arguments, a syntax error, a number that is not one or is out of range,
    an unknown ``ALGO``."""


class NotFound(HuntError):
    """Something the command needs does not exist."""


class NoSuchMap(NotFound):
    pass


class NoSuchBoard(NotFound):
    pass


class NoSuchNode(NotFound):
    def __init__(self, message: str, node: int) -> None:
        super().__init__(message)
        self.node = node


class NoSuchEdge(NotFound):
    def __init__(self, message: str, source: int, target: int) -> None:
        super().__init__(message)
        self.source = source
        self.target = target


class NoSuchClue(NotFound):
    def __init__(self, message: str, clue: bytes) -> None:
        super().__init__(message)
        self.clue = clue


class ClueWithoutNode(HuntError):
    """``HUNT.PATHTOCLUE`` for a clue that has no node."""

    def __init__(self, message: str, clue: bytes) -> None:
        super().__init__(message)
        self.clue = clue


class MethodUnavailable(HuntError):
    """``ALGO ASTAR`` without coordinates for every node, or ``ALGO ALT`` without valid
    landmarks."""


class StaleVersion(HuntError):
    """An ``IFVERSION`` condition failed: ``clue`` is at ``version`` (0: it does not exist).
    Nothing changed; read the clue again and retry."""

    def __init__(self, message: str, clue: bytes, version: int) -> None:
        super().__init__(message)
        self.clue = clue
        self.version = version


class LimitExceeded(HuntError):
    """A configured limit: items per call, map size, clue id or payload length, or the nodes one
    search may settle. ``limit`` is the limit when the reply names it."""

    def __init__(self, message: str, limit: int | None = None) -> None:
        super().__init__(message)
        self.limit = limit


class SearchCancelled(HuntError):
    """The search stopped because its client went away."""


class InternalError(HuntError):
    """A bug caught by the module's panic guard; nothing was changed and the server log has the
    cause."""


def _int(text: str) -> int:
    return int(text)


# (pattern on the text without its "ERR " prefix, how to build the exception from the match
# and the clue the call named). First match wins.
_Builder = Callable[[str, "re.Match[str]", bytes], HuntError]
_RULES: list[tuple[re.Pattern[str], _Builder]] = [
    (re.compile(r"^STALE clue .* is at version (\d+)$", re.S), lambda t, m, c: StaleVersion(t, c, _int(m[1]))),
    (re.compile(r"^no such map$"), lambda t, m, c: NoSuchMap(t)),
    (re.compile(r"^no such board$"), lambda t, m, c: NoSuchBoard(t)),
    (re.compile(r"^no such node (\d+)$"), lambda t, m, c: NoSuchNode(t, _int(m[1]))),
    (re.compile(r"^no such edge (\d+) (\d+)$"), lambda t, m, c: NoSuchEdge(t, _int(m[1]), _int(m[2]))),
    (re.compile(r"^no such clue ", re.S), lambda t, m, c: NoSuchClue(t, c)),
    (re.compile(r"^clue .* has no node$", re.S), lambda t, m, c: ClueWithoutNode(t, c)),
    (re.compile(r"^(ASTAR|ALT) needs "), lambda t, m, c: MethodUnavailable(t)),
    (re.compile(r"^too many items in one call \(the limit is (\d+)\)$"), lambda t, m, c: LimitExceeded(t, _int(m[1]))),
    (re.compile(r"^map would exceed (\d+) (nodes|edges)$"), lambda t, m, c: LimitExceeded(t, _int(m[1]))),
    (re.compile(r"^.* is longer than (\d+) bytes$", re.S), lambda t, m, c: LimitExceeded(t, _int(m[1]))),
    (re.compile(r"^search budget exceeded$"), lambda t, m, c: LimitExceeded(t)),
    (re.compile(r"^board version would overflow$"), lambda t, m, c: LimitExceeded(t)),
    (re.compile(r"^search cancelled$"), lambda t, m, c: SearchCancelled(t)),
    (re.compile(r"^internal error in hunt"), lambda t, m, c: InternalError(t)),
    (re.compile(r"^WRONGTYPE "), lambda t, m, c: WrongType(t)),
    (re.compile(r"^unknown command '(?i:hunt\.)"), lambda t, m, c: ModuleNotLoaded(t)),
    (
        re.compile(
            r"^(wrong number of arguments|syntax error|.* is not an integer or out of range|.* is not a number"
            r"|.* must be between |ALGO must be )",
            re.S,
        ),
        lambda t, m, c: InvalidArgument(t),
    ),
]


def translate(error: ResponseError, clue: bytes = b"") -> HuntError:
    """The typed exception for an error reply. ``clue`` is the clue id the command named (the
    server's text shows ids lossily decoded; the exception carries the exact bytes)."""
    if isinstance(error, HuntError):
        return error
    text = str(error)
    bare = text[4:] if text.startswith("ERR ") else text
    for pattern, build in _RULES:
        match = pattern.match(bare)
        if match is not None:
            return build(text, match, clue)
    return HuntError(text)
