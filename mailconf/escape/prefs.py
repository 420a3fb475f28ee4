r"""Mozilla prefs files (``user.js``, ``prefs.js``) and the PSM ``cert_override.txt``.

Prefs: the parser accepts only ``\" \' \\ \n \r \xHH \uHHHH`` inside a string;
any other escape makes it log "prefs parse error", drop that pref and go on, and
a stray ``"`` ends the string early so the rest of the value can add its own
``user_pref(...)`` statements. A JSON string literal with ``ensure_ascii`` uses
only escapes the parser knows (``\uHHHH`` for everything outside ASCII), so
after rejecting control characters every value is written as exactly one
string.

Thunderbird reads a few prefs with ``getCharPref`` (one byte per character: an identity's
``useremail``, an SMTP server's ``username``) but sends their bytes as they are, so those too are
written in UTF-8, like every other string: what goes on the wire is the declared text (a ``\xHH``
byte made ``josé`` go out as ``jos\ufffd``).

``cert_override.txt`` is tab-separated, one override per line, with no quoting at
all: a field may hold no whitespace and no control character.
"""

from __future__ import annotations

import re
from json.encoder import encode_basestring_ascii

from . import UnsafeValue, check_printable, register

# check_printable refuses C0 controls and DEL: the parser rejects most of their escapes (\t, \b...). C1
# controls and U+2028/9 are written as \uHHHH (or \xHH) like any other non-ASCII character, and read back exactly.
_INT32 = (-(2**31), 2**31 - 1)
_OVERRIDE_FIELD = re.compile(r"[A-Za-z0-9.:\[\]_-]+")


@register("prefs_string")
def prefs_string(value: str) -> str:
    """A prefs string literal: control characters rejected, then ``json.dumps(value, ensure_ascii=True)``.

    (``encode_basestring_ascii`` is the function ``json.dumps`` calls for a string with ``ensure_ascii``; a
    printable string holds no control character, so only the others are searched.)
    """
    if not isinstance(value, str):
        raise UnsafeValue(f"a prefs string must be text, not {type(value).__name__}")
    if not value.isprintable():  # a printable value (nearly all) skips the call
        check_printable(value, "a control character cannot be written in a prefs file")
    quoted: str = encode_basestring_ascii(value)
    return quoted


class PrefNames:
    """The string literals of the pref names ``base + suffix`` for a fixed list of suffixes.

    ``PrefNames(suffixes)(base)`` is ``[prefs_string(base + s) for s in suffixes]``, with each suffix escaped
    once (here) and ``base`` once per call: :func:`prefs_string` escapes (and rejects) character by character,
    so the literal of ``base + suffix`` is the literal of ``base`` without its closing quote followed by the
    literal of ``suffix`` without its opening one. Thunderbird's pref names are an account's key
    (``mail.server.server12``) followed by one of a few fixed suffixes (``.hostname``).
    """

    __slots__ = ("_tails",)

    def __init__(self, suffixes: tuple[str, ...]) -> None:
        self._tails = tuple(prefs_string(suffix)[1:] for suffix in suffixes)

    def __call__(self, base: str) -> list[str]:
        head = prefs_string(base)[:-1]
        return [head + tail for tail in self._tails]


@register("prefs_value")
def prefs_value(value: str | int | bool) -> str:
    """A pref value of the type Python chose: string, 32-bit integer or boolean."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if not _INT32[0] <= value <= _INT32[1]:
            raise UnsafeValue("an integer pref must fit in 32 bits")
        return str(value)
    quoted: str = prefs_string(value)  # register() erases the signature
    return quoted


@register("cert_override_field")
def cert_override_field(value: str) -> str:
    """One field of a ``cert_override.txt`` line (host:port, OID, fingerprint): no whitespace, no quoting."""
    if not _OVERRIDE_FIELD.fullmatch(value):
        raise UnsafeValue("a cert_override.txt field holds only letters, digits and . : [ ] _ -")
    return value
