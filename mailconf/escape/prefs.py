r"""Mozilla prefs files (``user.js``, ``prefs.js``) and the PSM ``cert_override.txt``.

Prefs: the parser accepts only ``\" \' \\ \n \r \xHH \uHHHH`` inside a string;
any other escape makes it log "prefs parse error", drop that pref and go on, and
a stray ``"`` ends the string early so the rest of the value can add its own
``user_pref(...)`` statements. A JSON string literal with ``ensure_ascii`` uses
only escapes the parser knows (``\uHHHH`` for everything outside ASCII), so
after rejecting control characters every value is written as exactly one
string.

A pref read with ``getCharPref`` comes back one byte per character, so a UTF-8
``\u00e9`` reads as two characters. For a pref whose reader must get the text
back so (marked :class:`CharPref`) every character up to U+00FF is written as
``\xHH``, which the parser stores as that one byte; a character above U+00FF
cannot be written at all. (Thunderbird reads an identity's ``useremail`` and an
SMTP server's ``username`` so, but sends their bytes as UTF-8: they stay UTF-8.)

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


class CharPref(str):
    """Text for a pref Thunderbird reads with ``getCharPref`` (one byte per character)."""

    __slots__ = ()


@register("prefs_char_string")
def prefs_char_string(value: str) -> str:
    """A prefs string literal read back one byte per character: ``\\xHH`` above ASCII, nothing above U+00FF."""
    if not value.isprintable():  # a printable value (nearly all) skips the call
        check_printable(value, "a control character cannot be written in a prefs file")
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    if escaped.isascii():
        return '"' + escaped + '"'
    if max(value) > "\xff":
        raise UnsafeValue("this pref is read one byte per character: nothing above U+00FF can be written")
    return '"' + "".join(c if ord(c) < 0x80 else f"\\x{ord(c):02x}" for c in escaped) + '"'


@register("prefs_value")
def prefs_value(value: str | int | bool) -> str:
    """A pref value of the type Python chose: string (:class:`CharPref` or text), 32-bit integer or boolean."""
    if isinstance(value, CharPref):
        char: str = prefs_char_string(value)
        return char
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
