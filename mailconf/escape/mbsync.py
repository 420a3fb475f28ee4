"""Escaping for mbsync's configuration file (``~/.mbsyncrc``, isync 1.4.4).

mbsync reads the file with ``fgets`` into a 1024-byte buffer (config.c
``load_config``/``getcline``) and splits each line into arguments
(``get_arg``): outside double quotes a blank ends an argument; a ``"`` toggles
quoting; a backslash makes the next character literal. So a value is written
in double quotes with ``\\`` as ``\\\\`` and ``"`` as ``\\"``; every other
character (``#``, ``$``, backticks, ``%``, non-ASCII) is literal inside the
quotes. Control characters are refused: a line break would end the line (an
empty line ends the section, another line adds a keyword such as ``Tunnel`` or
``PassCmd``, which mbsync runs through the shell).

A line longer than 1021 bytes is refused too: ``fgets`` would cut it, and the
rest would be read as a line of its own (at exactly 1022 bytes, the leftover
newline makes an empty line that ends the section).
"""

from __future__ import annotations

from . import UnsafeValue, check_printable, fits, register

#: The longest line mbsync 1.4.4 reads whole, in bytes, without its newline (buffer 1024, fgets 1023, newline 1).
MAX_LINE_BYTES = 1021


@register("mbsync_quote")
def mbsync_quote(value: str) -> str:
    """``"value"`` with ``\\`` -> ``\\\\`` and ``"`` -> ``\\"``; a control character cannot be written."""
    if not value.isprintable():  # a printable value (nearly all) skips the call
        check_printable(
            value, "mbsync reads one line per setting: a control character (line break, NUL) cannot be written"
        )
    if "\\" in value or '"' in value:
        value = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{value}"'


class LineTooLong(UnsafeValue):
    """A ``Keyword "value"`` line longer than :data:`MAX_LINE_BYTES`: a value mbsync cannot hold, not a hostile one
    (the target leaves the account out with a gap, where a control character stops the render)."""


def mbsync_line(keyword: str, value: str) -> str:
    """One ``Keyword "value"`` line, checked against mbsync's line limit (LineTooLong when over it)."""
    line = f"{keyword} {mbsync_quote(value)}"
    if not fits(line, MAX_LINE_BYTES):
        raise LineTooLong(f"the {keyword} line would exceed mbsync 1.4.4's limit of {MAX_LINE_BYTES} bytes")
    return line
