r"""Escaping for offlineimap3's ``.offlineimaprc`` and the Python helper file it loads.

offlineimap3 8.0.0 reads its file with ``CustomConfigParser``
(offlineimap/CustomConfig.py), a subclass of Python's ``SafeConfigParser``, that is
``ConfigParser`` with ``BasicInterpolation``, in Python's default dialect:

- a line ``key = value``: the key ends at the first ``=`` or ``:``; the value is the
  rest of the line with the white space around it removed (``str.strip``: every
  Unicode blank, no-break space included), so a value that starts or ends with a blank
  cannot be written;
- a line that starts with white space continues the value above; a line that starts
  with ``[`` opens a section; a line that starts with ``#`` or ``;`` is a comment
  (only at the start of a line: ``#`` and ``;`` inside a value are text); a line break
  is ``\n``, ``\r`` or ``\r\n`` (text mode);
- every value is interpolated when read (``get``): ``%%`` is one ``%``, and a single
  ``%`` starts a ``%(name)s`` reference (or is an error). There is no other escape.

So :func:`offlineimap_value` doubles every ``%`` and refuses what cannot be written:
control characters (C0, DEL, C1), the Unicode line and paragraph separators, lone
surrogates, and a blank at either end. Nothing can then start a line, so no value can
add a key or a section or continue another value.

File paths go further: offlineimap3 passes ``sslcacertfile``, ``sslclientcert``,
``sslclientkey`` and ``localfolders`` through ``os.path.expanduser`` and
``os.path.expandvars``, which replaces ``$NAME`` and ``${NAME}`` by the environment
variable and has no escape. :func:`offlineimap_path` refuses a path holding either.

Commands never go into the ``.offlineimaprc``: the helper file holds them as
:func:`python_literal` (``ascii()``: a Python string literal made only of printable
ASCII, which ``ast.literal_eval`` reads back as exactly the value and which can be
nothing but a string).
"""

from __future__ import annotations

import re

from . import UnsafeValue, check_printable, register

#: Every control character (C0, DEL, C1), U+2028/U+2029 and lone surrogates: each ends a line for some reader.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
#: What ``os.path.expandvars`` replaces (posixpath: ``\$(\w+|\{[^}]*\})`` with re.ASCII).
_VARIABLE = re.compile(r"\$(\w+|\{[^}]*\})", re.ASCII)

CONTROL = "offlineimap reads one line per setting: a control character or line break cannot be written"
BLANK_END = "offlineimap strips blanks around a value: a value that starts or ends with a blank cannot be written"
VARIABLE = (
    "offlineimap expands $NAME and ${NAME} in file paths (and has no escape for $): "
    "a path holding one cannot be written"
)


@register("offlineimap_value")
def offlineimap_value(value: str) -> str:
    """The text after ``key = `` that offlineimap3's ConfigParser reads back as exactly ``value``."""
    if not value.isprintable():  # a printable value (nearly all) skips the call
        check_printable(value, CONTROL, _UNSAFE)
    if value and (value[0].isspace() or value[-1].isspace()):
        raise UnsafeValue(BLANK_END)
    return value.replace("%", "%%") if "%" in value else value


@register("offlineimap_path")
def offlineimap_path(value: str) -> str:
    """A file path as a value: :func:`offlineimap_value`, and no ``$NAME`` that offlineimap would expand."""
    if "$" in value and _VARIABLE.search(value):
        raise UnsafeValue(VARIABLE)
    escaped: str = offlineimap_value(value)  # (registered filters are typed as returning Any)
    return escaped


@register("offlineimap_python")
def python_literal(value: str) -> str:
    """A Python string literal of printable ASCII that evaluates to exactly ``value`` (and to nothing else)."""
    return ascii(value)
