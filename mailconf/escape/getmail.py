r"""Escaping for getmail6's rc files (getmail 6.18.11, ``getmailrc``).

getmail reads an rc file with Python's ``configparser.RawConfigParser`` (no ``%``
interpolation; ``#`` and ``;`` start a comment only at the start of a line; a line
that starts with a blank continues the value above; the text after ``=`` is
stripped of blanks at both ends, ``str.strip``). It opens the file in text mode, so
``\r`` ends a line as well as ``\n``. Then each setting goes through a typed
check (getmailcore/baseclasses.py):

- strings (``server``, ``username``) are taken as they are: a value is written
  as is, and refused when it holds a control character (a line break would add a
  setting or a section) or starts or ends with a blank (it would be lost);
- file paths (``ca_certs``, ``certfile``, ``keyfile``, the Maildir ``path``) go
  through ``os.path.expandvars`` and ``expanduser``: a path holding ``$NAME``
  or ``${...}`` is refused too, since its meaning would depend on the
  environment getmail runs in (``$(`` and a lone ``$`` are left alone by it);
- tuples (``password_command``, ``ssl_fingerprints``) and integers go
  through **plain** ``eval()``. A tuple is therefore written as a Python tuple of
  string literals in which every character outside printable ASCII, and every
  ``\`` and ``'``, is a ``\x``/``\u``/``\U`` escape: the literal is made of
  printable ASCII only, so it can hold no line break, and it evaluates to
  exactly the strings given and to nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from . import UnsafeValue, check_printable, register

# check_printable refuses what ends a line for getmail (text mode: \r and \n) and the other control characters.

#: What os.path.expandvars (posixpath) replaces when the variable is set.
_VARIABLE = re.compile(r"\$(\w+|\{[^}]*\})", re.ASCII)
#: Characters written as themselves inside a '...' literal: printable ASCII except \ and '.
_PLAIN = frozenset(chr(c) for c in range(0x20, 0x7F)) - {"\\", "'"}

CONTROL_MESSAGE = "getmail reads one line per setting: a control character (line break, NUL) cannot be written"
BLANK_MESSAGE = (
    "getmail drops blanks at the start and end of a value: a value starting or ending with one cannot be written"
)
VARIABLE_MESSAGE = (
    "getmail expands $NAME and ${NAME} in file paths: a path holding one cannot be written exactly (rename the file)"
)
NUL_MESSAGE = "a command argument cannot hold a NUL character"


@register("getmail_value")
def getmail_value(value: str) -> str:
    """The value itself, when getmail reads it back unchanged after ``key = ``; UnsafeValue otherwise."""
    if not value.isprintable():  # a printable value (nearly all) skips the call
        check_printable(value, CONTROL_MESSAGE)
    if value != value.strip():
        raise UnsafeValue(BLANK_MESSAGE)
    return value


@register("getmail_path")
def getmail_path(value: str) -> str:
    """A file path getmail reads back unchanged (it expands variables in paths); UnsafeValue otherwise."""
    getmail_value(value)
    if "$" in value and _VARIABLE.search(value):
        raise UnsafeValue(VARIABLE_MESSAGE)
    return value


def python_str(value: str) -> str:
    """A single-quoted Python string literal of printable ASCII that evaluates to exactly ``value``."""
    if value.isascii() and value.isprintable() and "\\" not in value and "'" not in value:
        return f"'{value}'"  # the usual case: nothing to escape
    out = []
    for char in value:
        if char in _PLAIN:
            out.append(char)
            continue
        code = ord(char)
        if code < 0x100:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return "'" + "".join(out) + "'"


@register("getmail_tuple")
def getmail_tuple(values: Sequence[str]) -> str:
    """A Python tuple literal of string literals (``('a',)``, ``('a', 'b')``) that getmail's eval() reads back."""
    if any("\0" in v for v in values):
        raise UnsafeValue(NUL_MESSAGE)
    items = [python_str(v) for v in values]
    return "(" + items[0] + ",)" if len(items) == 1 else "(" + ", ".join(items) + ")"
