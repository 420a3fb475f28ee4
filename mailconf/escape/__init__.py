"""Escaping, one module per format, registered once as Jinja filters.

Every filter rejects what its format cannot carry safely (raising
:class:`UnsafeValue`) rather than dropping it, and quotes what it can. Targets
call these from Python too, so a value is escaped by exactly one function.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class UnsafeValue(ValueError):
    """A value that cannot be written safely in this format. The message never holds the value."""


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
