"""pathspec's gitignore patterns, matched without exponential backtracking.

pathspec turns a pattern into one regular expression, and Python's ``re`` backtracks: with a
few wildcards a name that almost matches takes seconds to minutes (``*a*a*a*a*a*b`` against a
name of 60 ``a``; ``a/**/a/**/a/**/b`` against a tree 2,000 folders deep), so a hostile
``include`` or ``.gitignore`` hung ``mailconf lint .``. :func:`linear` rewrites pathspec's
expression into an equivalent one, as ``fnmatch.translate`` does for ``*``, so that a match costs
at most about the path's length times the pattern's (both cases above: under a millisecond):

- inside a name, ``*`` followed by fixed text and another ``*`` takes the first place that text
  occurs (an atomic group): the next ``*`` takes whatever lies between, so no match is lost;
- ``**/`` and ``/**/`` followed by whole names and another ``**`` take the first folder where
  those names occur whole, for the same reason (``(?=/)``: ``*x`` must not stop inside the name
  ``xb``, or ``a/**/*x/**/c`` would miss ``a/xb/zx/c``);
- the last ``*`` of a name and the last ``**`` stay as they were: what follows them is anchored
  (the end of the name, the end of the path or the folder mark pathspec's priority rules read);
- a bracket expression never matches ``/``, as in git (pathspec's ``a[!b]c`` matched ``a/c``),
  so names are split at each ``/`` alone.

The shapes are pathspec 1.x's (pyproject.toml asks for 1.0 or later: 0.12 ended each expression otherwise). An
expression of a shape not known here (a later pathspec) is left as pathspec made it: matched the same, but not
safe from backtracking, and tests/test_globs.py then fails, which is how a new shape is noticed.
"""

from __future__ import annotations

import re
from itertools import pairwise
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec

_LEAD, _MID, _STAR, _ONE = "(?:.+/)?", "(?:/.+)?", "[^/]*", "[^/]"
_TAILS = ("(?:(?P<ps_d>/)|$)", "(?P<ps_d>/)")


def linear_spec(spec: GitIgnoreSpec) -> GitIgnoreSpec:
    """``spec`` with each pattern's expression rewritten (in place: its backend reads the patterns)."""
    for pattern in spec.patterns:
        regex = getattr(pattern, "regex", None)
        rewritten = linear(regex.pattern) if isinstance(regex, re.Pattern) and isinstance(regex.pattern, str) else None
        if rewritten is not None:
            pattern.regex = re.compile(rewritten)
    return spec


def linear(regex: str) -> str | None:
    """The same match without the backtracking (see the module docstring); None for a shape not known here."""
    tokens = _tokens(regex[1:]) if regex.startswith("^") else None
    if tokens is None:
        return None
    tail = tokens.pop() if tokens and tokens[-1] in _TAILS else ""
    lead = bool(tokens) and tokens[0] == _LEAD
    blocks: list[list[str]] = [[]]
    for token in tokens[lead:]:
        if token == _MID:
            blocks.append([])
        else:
            blocks[-1].append(token)
    out = "^"
    for i, block in enumerate(blocks):
        names = _names(block)
        if i == len(blocks) - 1:  # the last: what follows is anchored
            out += (_LEAD if lead and i == 0 else _MID if i else "") + names
        elif i == 0:
            out += f"(?>(?:.+?/)??{names}(?=/))" if lead else names
        else:
            out += f"(?>(?:/.+?)??{names}(?=/))"
    return out + tail


def _tokens(regex: str) -> list[str] | None:
    """The pieces pathspec builds an expression of, each bracket expression kept from matching ``/``."""
    out: list[str] = []
    i = 0
    while i < len(regex):
        known = next((p for p in (_LEAD, _MID, _STAR, _ONE, *_TAILS) if regex.startswith(p, i)), None)
        if known is not None and (known not in _TAILS or i + len(known) == len(regex)):
            out.append(known)
            i += len(known)
        elif regex[i] == "\\" and i + 1 < len(regex):
            out.append(regex[i : i + 2])
            i += 2
        elif regex[i] == "[":
            end = _bracket_end(regex, i)
            if end is None:
                return None
            out.append(f"(?:(?!/){regex[i:end]})")
            i = end
        elif regex[i] in "()|?*+.{}$^":
            return None
        else:
            out.append(regex[i])
            i += 1
    return out


def _bracket_end(regex: str, start: int) -> int | None:
    """One past the ``]`` that closes the bracket expression at ``start`` (``[]a]``, ``[^]]`` hold a first ``]``)."""
    j = start + 1
    j += regex.startswith("^", j)
    j += regex.startswith("]", j)
    while j < len(regex) and regex[j] != "]":
        j += 2 if regex[j] == "\\" else 1
    return j + 1 if j < len(regex) else None


def _names(tokens: list[str]) -> str:
    names: list[list[str]] = [[]]
    for token in tokens:
        if token == "/":
            names.append([])
        else:
            names[-1].append(token)
    return "/".join(_name(name) for name in names)


def _name(tokens: list[str]) -> str:
    """One name's glob, each ``*`` but the last taking the first place the fixed text after it occurs."""
    pieces: list[str] = []
    for token in tokens:
        if not (token == _STAR and pieces and pieces[-1] == _STAR):  # `**` inside a name is `*`
            pieces.append(token)
    stars = [i for i, token in enumerate(pieces) if token == _STAR]
    if len(stars) < 2:
        return "".join(pieces)
    out = "".join(pieces[: stars[0]])
    for star, following in pairwise(stars):
        out += f"(?>[^/]*?{''.join(pieces[star + 1 : following])})"
    return out + "".join(pieces[stars[-1] :])
