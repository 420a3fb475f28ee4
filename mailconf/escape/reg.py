"""Windows registry files (``regedit`` "Windows Registry Editor Version 5.00" format).

Every text value is written as ``hex(1):`` (REG_SZ as UTF-16LE bytes plus the
terminating ``00,00``), so the file stays pure ASCII and no character of a value
can end the line, the string or the key: nothing a value holds is ever parsed as
registry syntax. Only key path components (the Outlook profile name) appear as
text; :func:`reg_key_part` allows printable ASCII without ``\\``, ``[`` or ``]``.

Long hex lines are wrapped the way regedit itself exports them: at most 80
columns, ``,\\`` at the end, continuation lines indented by two spaces.
"""

from __future__ import annotations

import codecs
from functools import cache

from . import UnsafeValue, register

#: regedit's export width; continuation lines start with two spaces.
WIDTH = 80
DWORD_MAX = 0xFFFFFFFF


@cache
def reg_quote(text: str) -> str:
    """A "..." string for a value *name* (our constants): \\ and " escaped; printable ASCII only."""
    if not text or not all(0x20 <= ord(c) <= 0x7E for c in text):
        raise UnsafeValue("a registry value name must be non-empty printable ASCII")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@register("reg_key_part")
def reg_key_part(text: str) -> str:
    """One component of a key path, written as is: printable ASCII, no \\ [ ], no outer spaces."""
    if not text or len(text) > 255:
        raise UnsafeValue("a registry key name must have 1 to 255 characters")
    if not all(0x20 <= ord(c) <= 0x7E for c in text) or any(c in "\\[]" for c in text):
        raise UnsafeValue("a registry key name here must be printable ASCII without \\ [ or ]")
    if text != text.strip():
        raise UnsafeValue("a registry key name must not start or end with a space")
    return text


#: Bytes on a continuation line ("xx," each, after the two-space indent, with room for the final "\\"),
#: and the characters they take.
PER_LINE = (WIDTH - 3) // 3
_STEP = 3 * PER_LINE
#: str.encode("utf-16-le") without looking the codec up by name for every value.
_UTF16LE = codecs.getencoder("utf-16-le")


@cache
def _sz_prefix(name: str) -> tuple[str, int]:
    """``"name"=hex(1):`` and how many bytes fit after it on the first line (value names are our constants)."""
    prefix = reg_quote(name) + "=hex(1):"
    return prefix, max(1, (WIDTH - len(prefix) - 1) // 3)  # "xx," per byte, then "\\" on a line that continues


def _hex_line(prefix: str, first: int, data: bytes) -> str:
    """``prefix`` then the bytes as ``aa,bb,..``, wrapped like regedit's export (lines of at most 80 columns):
    ``first`` bytes on the first line, :data:`PER_LINE` on each continuation line.

    The bytes are written once (``bytes.hex``: three characters a byte, the comma after it) and the text is
    cut after the comma that ends each line's last byte.
    """
    text = data.hex(",")
    if len(data) <= first:
        return prefix + text
    cut = 3 * first
    lines = [prefix + text[:cut]]
    for start in range(cut, len(text), _STEP):
        lines.append(text[start : start + _STEP])
    return "\\\n  ".join(lines)


def reg_sz_bytes(value: str) -> bytes:
    """REG_SZ data: UTF-16LE plus the terminating NUL."""
    if "\0" in value:
        raise UnsafeValue("a registry string cannot hold a NUL character (it would end the string)")
    try:
        return _UTF16LE(value)[0] + b"\0\0"
    except UnicodeEncodeError:
        raise UnsafeValue("a registry string cannot hold an unpaired surrogate") from None


@register("reg_value")
def reg_value(data: str | int, name: str) -> str:
    """One value line: a str becomes REG_SZ as ``hex(1):``, an int a ``dword:``."""
    if type(data) is str:  # the common case, first (the name is checked first all the same)
        prefix, first = _sz_prefix(name)
        return _hex_line(prefix, first, reg_sz_bytes(data))
    prefix = reg_quote(name) + "="
    if isinstance(data, bool) or not isinstance(data, str | int):
        raise UnsafeValue("a registry value must be text or a DWORD number")
    if isinstance(data, int):
        if not 0 <= data <= DWORD_MAX:
            raise UnsafeValue("a DWORD must be between 0 and 0xFFFFFFFF")
        return f"{prefix}dword:{data:08x}"
    prefix, first = _sz_prefix(name)
    return _hex_line(prefix, first, reg_sz_bytes(data))
