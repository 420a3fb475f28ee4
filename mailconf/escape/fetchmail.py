"""Escaping for fetchmail's run control file (.fetchmailrc).

fetchmail's lexer (rcfile_l.l) reads a quoted string as ``"[^"]*"``, so a raw
``"`` can never be inside one, and then processes backslash escapes in it
(``\\\\``, ``\\n``, ``\\xHH``, ``\\NNN``...). A value is therefore written in
double quotes with ``\\`` as ``\\\\`` and ``"`` as ``\\x22`` (at most two hex
digits are read, so a following hex digit stays literal). Control characters
are refused: an unescaped line break or quote would let a value add ``mda``,
``preconnect`` or ``plugin`` shell commands.
"""

from __future__ import annotations

from . import check_printable, register


@register("fetchmail_quote")
def fetchmail_quote(value: str) -> str:
    """``"value"`` with ``\\`` -> ``\\\\`` and ``"`` -> ``\\x22``."""
    if not value.isprintable():  # a printable value (nearly all) skips the call
        check_printable(value, "a control character cannot be written in a fetchmail run control file")
    return '"' + value.replace("\\", "\\\\").replace('"', "\\x22") + '"'
