"""INI files read by the Windows profile API (GetPrivateProfileString), such as Outlook's PRF.

How a line ``Key=value`` is read there (Microsoft's documentation of
GetPrivateProfileString, and Python's configparser, which agrees on these
points): the key ends at the first ``=``; the value is the rest of the line with
the surrounding white space removed; a line is a comment only when it *starts*
with ``;`` (``;``, ``#``, ``=``, ``[`` and ``]`` inside a value are plain text);
there are no escape sequences; and when the whole value is enclosed in a pair of
double (or single) quotation marks, the pair is discarded.

So the rule is:

- reject every character that ends or breaks a line (CR, LF, NUL, the other
  C0/C1 control characters, U+2028/U+2029...): nothing can start a new
  ``[Section]`` or ``Key=`` line;
- write the value as it is, except when it starts or ends with white space, or
  starts and ends with the same quotation mark: then wrap it in ``"..."``, which
  the reader removes again (``"x"`` is written ``""x""``; `` a `` as ``" a "``).

``%`` is written as is (neither reader interpolates; whether Outlook expands
``%VARIABLE%`` in every PRF value, as it does in PST paths, is unverified).
"""

from __future__ import annotations

import re

from . import check_printable, register

#: Every character that ends a line for some reader (CR, LF, VT, FF, FS, GS, RS, NEL, U+2028, U+2029: the
#: separators of str.splitlines), every other control character, and lone surrogates.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def needs_quotes(value: str) -> bool:
    """True when the reader would change the bare value (trimmed spaces, a stripped quote pair)."""
    if value != value.strip():
        return True
    return len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'"


@register("ini_value")
def ini_value(value: str) -> str:
    """The text after ``Key=`` that the profile API reads back as exactly ``value``."""
    if not value.isprintable():  # a printable value (nearly all) skips the call
        check_printable(value, "a control character or line break cannot be written in an INI value", _UNSAFE)
    return f'"{value}"' if needs_quotes(value) else value
