"""The file is not YAML that mailconf can read.

Raised by the loader, before any other rule, for: a YAML syntax error; a tag
other than the standard ones (``!!python/object`` and friends are never
constructed; the tag is shown in double quotes, ``tag "!!python/object" is not
allowed``), or a value its standard tag does not fit (``!!int one``: the value
is shown in double quotes, ``"one" is not a valid !!int``); aliases that expand
past a million nodes ("billion laughs"); nesting deeper than 64 levels; more than
one document in the file.

Why: nothing else can be checked in a file that does not parse, and a loader
that builds objects from tags or expands aliases without bound is an attack
surface.

Fix: correct the YAML at the position shown. For the mistakes of a file written
by hand the message says how: a tab where YAML takes spaces (or on a line
otherwise blank, which only needs emptying); a line indented unlike the line
above (how far each is); a key without its colon (shown at the key, not on the
next line, where the parser noticed it); a plain value holding a colon and a
space (quote it); a quote or a ``[``/``{`` never closed (shown where it opens,
not on the next line or at the end of the file); text after a closing quote
(``'O'Brien'``: inside single quotes a ``'`` is written ``''``); a value
starting with ``@``, a backquote or ``- `` (quote it); an alias of no anchor
defined above it (an anchor is defined before its aliases), with the anchor it
most likely means (``*outgoin``: did you mean ``*outgoing``?); a ``---`` left
at the end, with nothing after it (an empty second document: remove it). No
text of the file is quoted (it may be a password), only how far lines are
indented.

Failing::

    accounts:
      work: {address: alice@example.com
Passing::

    accounts:
      work: {address: alice@example.com}

Reference: YAML 1.2.2 (https://yaml.org/spec/1.2.2/).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..errors import DOUBLE_QUOTED, double_quoted, read_double_quoted
from ..model import Model, Severity
from . import Problem

ID = "MC001"
SLUG = "yaml-syntax"
SEVERITY = Severity.ERROR
TITLE = "The file is not valid YAML, or uses unsafe YAML features"


def check(model: Model) -> Iterator[Problem]:
    return iter(())


def not_valid(text: str, kind: str) -> str:
    """The message of a value its tag does not fit (``!!int one``): the value (as written) in double quotes
    (:func:`errors.double_quoted`)."""
    return f"{double_quoted(text)} is not a valid !!{kind}; remove the tag or fix the value"


def tag_refused(tag: str) -> str:
    """The message of a tag mailconf does not read (``!!python/object``, as YAML resolves it, ``%XX`` decoded): in
    double quotes (:func:`errors.double_quoted`), so that a tag written with ``%5C`` (a backslash) is not shown as one
    holding the character its escape names."""
    return (
        f"tag {double_quoted(tag)} is not allowed (mailconf reads only standard YAML types and never constructs "
        "objects); remove it"
    )


#: a :func:`tag_refused` message: the quoted tag, and the rest.
_TAG_REFUSED = re.compile(rf"tag ({DOUBLE_QUOTED})( is not allowed \(mailconf reads only .*)", re.DOTALL)

#: a :func:`not_valid` message: the quoted value, and the rest.
_NOT_VALID = re.compile(rf"({DOUBLE_QUOTED})( is not a valid !!\w+; remove the tag or fix the value)", re.DOTALL)


def repr_spelt(said: str) -> str | None:
    """``said`` (a :func:`not_valid` or :func:`tag_refused` message) with the text spelt as mailconf spelt it before:
    a value by Python's ``repr()`` (``'one' is not a valid !!int``), a tag as it is (``tag !x is not allowed``); None
    for another message.

    A baseline entry and a SARIF fingerprint hash the message of a finding without a subject: an entry written then
    still matches, and an alert keeps its fingerprint (see ``rules/__init__.py``, ``REPR_SPELT``).
    """
    tag = _TAG_REFUSED.fullmatch(said)
    if tag is not None:
        text = read_double_quoted(tag[1])
        return None if text is None else f"tag {text}{tag[2]}"
    parts = _NOT_VALID.fullmatch(said)
    if parts is None or (value := read_double_quoted(parts[1])) is None:
        return None
    return f"{value!r}{parts[2]}"
