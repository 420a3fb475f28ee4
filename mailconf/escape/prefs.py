"""Mozilla prefs files (``user.js``, ``prefs.js``) and the PSM ``cert_override.txt``.

Prefs: the parser accepts only ``\\" \\' \\\\ \\n \\r \\xHH \\uHHHH`` inside a string;
any other escape makes it log "prefs parse error", drop that pref and go on, and
a stray ``"`` ends the string early so the rest of the value can add its own
``user_pref(...)`` statements. A JSON string literal with ``ensure_ascii`` uses
only escapes the parser knows (``\\uHHHH`` for everything outside ASCII), so
after rejecting control characters every value is written as exactly one
string.

``cert_override.txt`` is tab-separated, one override per line, with no quoting at
all: a field may hold no whitespace and no control character.
"""

from __future__ import annotations

import json
import re

from . import UnsafeValue, register

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_INT32 = (-(2**31), 2**31 - 1)
_OVERRIDE_FIELD = re.compile(r"[A-Za-z0-9.:\[\]_-]+")


@register("prefs_string")
def prefs_string(value: str) -> str:
    """A prefs string literal: control characters rejected, then ``json.dumps(value, ensure_ascii=True)``."""
    if not isinstance(value, str):
        raise UnsafeValue(f"a prefs string must be text, not {type(value).__name__}")
    if _CONTROL.search(value):
        raise UnsafeValue("a control character cannot be written in a prefs file")
    quoted: str = json.dumps(value, ensure_ascii=True)
    return quoted


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
