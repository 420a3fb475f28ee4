"""Escaping for muttrc files (mutt and neomutt).

- ``mutt_quote``: a value as one single-quoted token. Inside '...' both clients
  take every character literally (no backslash escapes, no backticks, no $VAR);
  a ``'`` is written as ``'\\''`` (close, escaped quote, reopen).
- ``mutt_command``: a password command as a double-quoted backtick token, run by
  the client when it reads the file; its first output line is the value. Inside
  "`...`" mutt hands the text to sh raw, while neomutt first processes backslash
  escapes and ``$name``, so a command holding ` \\ or $ is wrapped as
  ``echo <base64> | base64 -d | sh``, which both clients run identically.
- ``mutt_word``: one token for commands that do not interpret quotes
  (``my_hdr``): every ASCII character that is not a letter or a digit is written
  as a three-digit octal escape (``\\072`` for ``:``). Not ``\\:``: a line that
  ends with a backslash continues on the next line, so a value ending in ``\\``
  would swallow the following command.

Control characters are refused everywhere: a newline would start a new command.
"""

from __future__ import annotations

import base64
import re

from . import UnsafeValue, register

#: Why a blank command is refused: it would run nothing, and the password would be empty.
EMPTY_COMMAND = "a blank command runs nothing (the password would be empty): write the command that prints it"
#: Characters that mean something inside "`...`" to one of the two clients.
_COMMAND_SPECIAL = frozenset("`\\$")


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def refuse_control(value: str, what: str = "a value") -> None:
    """Called for a value that is not str.isprintable(): that is False for every character _CONTROL
    matches (Unicode "Other" and "Separator" categories), so a printable value, nearly every one, is
    accepted without a regex search (or a call)."""
    if _CONTROL.search(value):
        raise UnsafeValue(f"{what} holds a control character, which a muttrc cannot carry safely")


@register("mutt_quote")
def mutt_quote(value: str) -> str:
    """One single-quoted muttrc token that both clients read back literally."""
    if not value.isprintable():
        refuse_control(value, "a value")
    return "'" + value.replace("'", "'\\''") + "'"


@register("mutt_command")
def mutt_command(command: str) -> str:
    """A double-quoted backtick token that runs `command` with sh when the client reads the file."""
    if not command.isprintable():
        refuse_control(command, "a command")
    if not command.strip():
        raise UnsafeValue(EMPTY_COMMAND)
    if _COMMAND_SPECIAL.isdisjoint(command):
        return '"`' + command + '`"'
    encoded = base64.b64encode(command.encode("utf-8")).decode("ascii")
    return '"`echo ' + encoded + ' | base64 -d | sh`"'


@register("mutt_word")
def mutt_word(value: str) -> str:
    """One token for a command that does not interpret quotes: every ASCII non-alphanumeric as octal."""
    if not value.isprintable():
        refuse_control(value, "a value")
    return "".join(f"\\{ord(c):03o}" if c.isascii() and not c.isalnum() else c for c in value)
