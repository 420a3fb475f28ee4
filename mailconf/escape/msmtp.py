"""Escaping for msmtp's configuration file (msmtprc).

msmtp has no escapes: an argument is the rest of the line, trimmed, with one
outer pair of double quotes removed (conf.c). Quotes, backslashes and ``#``
inside it stay literal. So a value is safe exactly when it holds no line break
(a new line would be a new command, such as ``eval CMD``), and it is always
written quoted so that leading or trailing blanks survive. msmtp also refuses a
line of 500 bytes or more ("line longer than 500 characters").
"""

from __future__ import annotations

from . import UnsafeValue, check_printable, fits, register

#: The longest line msmtp 1.8.23 reads, in bytes, without its newline.
MAX_LINE_BYTES = 499


@register("msmtp_quote")
def msmtp_quote(value: str) -> str:
    """``"value"``; a control character (CR, LF, NUL...) cannot be written."""
    if not value.isprintable():  # a printable value (nearly all) skips the call
        check_printable(value, "msmtp has no escapes: a control character (line break, NUL) cannot be written")
    return f'"{value}"'


def msmtp_line(command: str, value: str) -> str:
    """One ``command "value"`` line, checked against msmtp's line limit."""
    line = f"{command} {msmtp_quote(value)}"
    if not fits(line, MAX_LINE_BYTES):
        raise UnsafeValue(f"the {command} line would exceed msmtp's limit of {MAX_LINE_BYTES} bytes")
    return line
