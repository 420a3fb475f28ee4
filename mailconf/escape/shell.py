"""POSIX shell quoting, for commands that a client runs through /bin/sh."""

from __future__ import annotations

import shlex

from . import UnsafeValue, register


@register("shell_quote")
def shell_quote(value: str) -> str:
    """One shell word, single-quoted when needed (``shlex.quote``)."""
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise UnsafeValue("a control character cannot be passed to the shell safely")
    return shlex.quote(value)
