r"""Escaping for aerc's ``accounts.conf`` (aerc 0.14, read by go-ini v1.63.2 with ``ini.Load``).

go-ini reads one line per key (it splits at ``\n`` only) and, for a value that is not
quoted, cuts it at the first ``#`` or ``;`` (an inline comment), trims blanks, joins a
line ending in ``\`` with the next one, and strips one pair of surrounding ``"`` or
``'``. A value that starts with a backquote is taken raw instead: everything between
that backquote and the **last** backquote on the line, with no escapes and nothing
cut (parser.go ``readValue``). So every value is written as ```value```: a backquote
inside the value is fine (the last one on the line closes it), and ``#``, ``;``,
quotes, backslashes, ``%``, ``$()`` and non-ASCII characters are literal.

What cannot be written: a line break (it would end the value, and the next line
could add a key such as ``source-cred-cmd``, which aerc 0.14 runs with ``sh -c``
while it loads the file), any other control character, and lone surrogates (not
UTF-8). They are refused; the message never holds the value.

URLs (``source``, ``outgoing``) are built by the target with the user name
percent-encoded by :func:`url_user`, so that Go's ``net/url`` gives back exactly the
user name written.
"""

from __future__ import annotations

import re
import string
from urllib.parse import quote

from . import check_printable, register

_UNWRITABLE = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")


@register("aerc_value")
def aerc_value(value: str) -> str:
    """```value```, which go-ini reads back exactly; a control character cannot be written."""
    if not value.isprintable():  # a printable value (nearly all) skips the call
        check_printable(
            value,
            "aerc reads one line per setting: a control character (line break, NUL) cannot be written",
            _UNWRITABLE,
        )
    return f"`{value}`"


_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
#: ASCII -> itself (unreserved) or %XX: str.translate encodes an ASCII user name in one C call
_ASCII_ESCAPES = {c: chr(c) if chr(c) in _UNRESERVED else f"%{c:02X}" for c in range(128)}


def url_user(user: str) -> str:
    """The user name percent-encoded for a URL: every byte but letters, digits and ``-._~`` (RFC 3986 unreserved).

    Go's ``url.Parse`` accepts ``%XX`` for any byte in the user info and decodes it, so the
    user name aerc logs in with is exactly this one (``@``, ``:``, ``/``, ``%``, blanks,
    non-ASCII included).
    """
    if user.isascii():
        return user.translate(_ASCII_ESCAPES)
    return quote(user, safe="-._~", encoding="utf-8", errors="strict")


def rfc5322_quoted(text: str) -> str:
    """``"text"`` as an RFC 5322 quoted-string (``\\`` and ``"`` escaped), as Go's ``net/mail`` reads it."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
