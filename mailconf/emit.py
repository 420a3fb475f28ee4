"""Account data -> the text of an account file, with comments: what ``discover`` and ``import`` write.

The output is block-style YAML in the key order given, every string either a plain
scalar that can only mean itself (letters, digits and a few safe punctuation
marks, never a YAML keyword or a number) or a double-quoted scalar spelt as a
message quotes a value (:func:`mailconf.errors.double_quoted`: every character
``str.isprintable()`` is False for, a bidirectional control or a no-break space
as much as a line break, written as an escape), so no value can change the
document's structure or hide in it. A comment belongs to a key path and is
written after that key (or, for the path ``()``, above the document); comments
are one line each, control characters escaped. ``tests/test_emit.py`` proves
that whatever goes in is read back by mailconf's own loader exactly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from .errors import double_quoted, escape_controls

#: a key path into the data: ("accounts", "work", "incoming", "host")
KeyPath = tuple[str, ...]

_PLAIN = re.compile(r"[A-Za-z0-9_./][A-Za-z0-9_./@+~-]*(?:[ :][A-Za-z0-9_./@+~-]+)*")
#: plain scalars YAML 1.1 or 1.2 would read as something other than a string (booleans, null, numbers, and YAML 1.1's
#: timestamps: PyYAML's safe_load reads ``2001-12-14`` as a date; ``.5_0`` and ``.5e+3`` are floats to both)
_KEYWORDS = re.compile(
    r"(?i:y|n|yes|no|true|false|on|off|null|~|\.nan|\.inf|-\.inf|\+\.inf)"
    r"|[-+]?(?:0[xob][0-9a-fA-F_]+|[0-9][0-9_]*(?::[0-5]?[0-9])*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?|\.[0-9_]+(?:[eE][-+]?[0-9]+)?)"
    r"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
    r"(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)?"
)


def scalar(value: Any, *, flow: bool = False) -> str:
    """One value as a YAML scalar (or flow sequence) that reads back as exactly ``value``.

    ``flow``: an item of a flow sequence, where libyaml (YAML 1.1, the loader's parser) refuses a
    ``:`` anywhere in a plain scalar (``[host:imap]``), so such an item is quoted.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        plain = _PLAIN.fullmatch(value) and not _KEYWORDS.fullmatch(value) and ": " not in value
        return value if plain and not (flow and ":" in value) else double_quoted(value)
    if isinstance(value, Sequence):
        return "[" + ", ".join(scalar(item, flow=True) for item in value) + "]"
    raise TypeError(f"cannot write a {type(value).__name__} into an account file")


def comment(text: str) -> str:
    """``text`` as one comment line's body: no line break can end the comment early."""
    return escape_controls(" ".join(text.split()))


def dump(data: Mapping[str, Any], comments: Mapping[KeyPath, str] | None = None) -> str:
    """The YAML text of ``data`` (mappings, lists of scalars, strings, ints, bools), with ``comments``."""
    notes = comments or {}
    lines = [f"# {comment(line)}" for line in notes.get((), "").splitlines() if line.strip()]
    _mapping(data, (), 0, notes, lines)
    return "\n".join(lines) + "\n"


def _mapping(
    data: Mapping[str, Any], path: KeyPath, depth: int, notes: Mapping[KeyPath, str], lines: list[str]
) -> None:
    indent = "  " * depth
    for key, value in data.items():
        here = (*path, key)
        note = f"  # {comment(notes[here])}" if here in notes else ""
        name = scalar(key)
        if isinstance(value, Mapping):
            lines.append(f"{indent}{name}:{note}" if value else f"{indent}{name}: {{}}{note}")
            _mapping(value, here, depth + 1, notes, lines)
        else:
            lines.append(f"{indent}{name}: {scalar(value)}{note}")


def account_file(accounts: Mapping[str, Mapping[str, Any]], comments: Mapping[KeyPath, str] | None = None) -> str:
    """A whole account file: ``version: 1`` and ``accounts:``; comment paths start with ``("accounts", NAME)``."""
    return dump({"version": 1, "accounts": dict(accounts)}, comments)
