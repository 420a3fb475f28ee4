"""Escaping, one module per format, registered once as Jinja filters.

Every filter rejects what its format cannot carry safely (raising
:class:`UnsafeValue`) rather than dropping it, and quotes what it can. Targets
call these from Python too, so a value is escaped by exactly one function.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any


class UnsafeValue(ValueError):
    """A value that cannot be written safely in this format. The message never holds the value."""


#: C0 controls and DEL: a line break, NUL or other control that no line-based file can carry.
CONTROL = re.compile("[\x00-\x1f\x7f]")


def check_printable(value: str, message: str, refused: re.Pattern[str] = CONTROL) -> None:
    """UnsafeValue(message) when ``value`` holds a character ``refused`` matches. ``refused`` names only characters
    str.isprintable() is False for, so a printable value (the usual case) needs no regex search; the hottest escapers
    test ``value.isprintable()`` themselves before calling (10-15% of a filter's time is the call)."""
    if not value.isprintable() and refused.search(value):
        raise UnsafeValue(message)


def fits(line: str, max_bytes: int) -> bool:
    """Whether ``line`` is at most ``max_bytes`` long in UTF-8. A character is at most 4 bytes: a line of at most
    ``max_bytes // 4`` characters fits unmeasured."""
    return len(line) <= max_bytes // 4 or len(line.encode("utf-8")) <= max_bytes


FILTERS: dict[str, Callable[..., Any]] = {}


def register(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def wrap(func: Callable[..., Any]) -> Callable[..., Any]:
        if name in FILTERS:
            raise RuntimeError(f"filter {name} registered twice")
        FILTERS[name] = func
        return func

    return wrap


# One import per format module (each registers its filters).
from . import aerc, fetchmail, getmail, ini, mbsync, msmtp, mutt, offlineimap, prefs, reg, shell, xml  # noqa: E402,F401
