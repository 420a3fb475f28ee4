"""An inline suppression that matched nothing.

Raised by the suppression scanner (``mailconf/suppress.py``) after all rules ran:
for each rule named in a ``# mailconf: disable=...`` or ``disable-file=...``
comment that suppressed no finding, or that names no rule at all, and for a rule
named twice in one directive.

Not raised for a suppression of a known rule while the rules could not check the
whole file (a syntax error or a number too long to read stopped the loader, or an
account or server breaks the schema and is listed as not checked): the finding it
suppresses may be in what they could not read, and ``--fix`` would remove a comment
the file needs once it is mended.

Why: a stale suppression hides the next real finding on that line, and a typo
in a rule id suppresses nothing while looking as if it did.

Fix: remove the suppression, or correct the rule id. ``mailconf lint --fix``
removes an unused or repeated rule from the directive, and the whole comment when
no rule is left (a line that held only the comment goes too); a rule id that does
not exist is left for you to correct. A comment written after the directive and its
reason, from a ``#`` after white space (``# mailconf: disable=MC104 old  # ask IT``),
is yours and stays (``# ask IT``); ``# mailconf:`` comments right after the directive are
text (only the first directive of a comment counts) and go with it, and the whole comment
goes when a ``# mailconf:`` comes after your comment: kept, it would become a directive.

Failing::

    incoming:
      protocol: imap
      host: imap.example.com  # mailconf: disable=MC104 no IMAPS here
Passing::

    incoming:
      protocol: imap
      host: imap.example.com
      security: starttls  # mailconf: disable=MC104 no IMAPS at this provider

Reference: none (hygiene).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from ..model import Finding, Model, Severity
from . import Edit, Fixable, Problem

ID = "MC708"
SLUG = "unused-suppression"
SEVERITY = Severity.INFO
TITLE = "Inline suppression that matched nothing"
FIX = Fixable("safe", "removes the unused or repeated rule from the directive (the comment when none is left)")


def check(model: Model) -> Iterator[Problem]:
    return iter(())  # raised by mailconf/suppress.py


#: where a comment written after a directive's reason starts: a ``#`` after white space
_NEXT_COMMENT = re.compile(r"\s#")

_FIXABLE = re.compile(r"suppression of (\S+) (?:is unused \(it matched no finding\)|repeats \S+);")


def fix_text(text: str, findings: Sequence[Finding]) -> dict[Finding, tuple[Edit, ...]]:
    """One edit per directive, shared by its findings: the rules left, or no comment at all."""
    from ..catalogue import lookup
    from ..suppress import _DIRECTIVE, _LINE_BREAK

    # by line and column: the scan put each finding at its directive's "#", knowing where the scalars are
    groups: dict[tuple[int, int], list[Finding]] = {}
    for finding in findings:
        groups.setdefault((finding.location.line, finding.location.column), []).append(finding)
    # lines as the scan counts them: the first one after a byte-order mark, which stays when that line goes
    starts = [1 if text.startswith("\ufeff") else 0, *(m.end() for m in _LINE_BREAK.finditer(text))]
    starts.append(len(text))
    fixes: dict[Finding, tuple[Edit, ...]] = {}
    for (number, column), group in groups.items():
        drop = {m.group(1) for m in (_FIXABLE.match(f.message) for f in group) if m}
        if not drop or number > len(starts) - 1:
            continue
        line = text[starts[number - 1] : starts[number]].rstrip("\r\n")
        comment_at = column - 1
        match = _DIRECTIVE.match(line[comment_at:])
        if match is None:
            continue
        unused = {(lookup(n) or n) for n in drop if "repeats" not in _message_for(group, n)}
        kept: list[str] = []
        seen: set[object] = set()
        for name in (n for n in match.group(2).split(",") if n):
            rule = lookup(name) or name.upper()
            if rule in unused or rule in seen:
                continue
            seen.add(rule)
            kept.append(name)
        base = starts[number - 1] + comment_at
        after = _comment_after(match.group(3))
        if kept:
            edit = Edit(base + match.start(2), base + match.end(2), ",".join(kept))
        elif after is not None:  # a comment of the user's after it stays, as ruff keeps one after an unused noqa
            edit = Edit(base, base + match.start(3) + after, "")
        elif line[:comment_at].strip(" \t") == "":
            edit = _remove_line(text, starts, number)  # the line held only the comment
        else:
            # YAML's white space only: a no-break space (any other Unicode space) before the comment is the value's
            code_end = len(line[:comment_at].rstrip(" \t"))
            edit = Edit(starts[number - 1] + code_end, starts[number - 1] + len(line), "")
        for finding in group:
            if _FIXABLE.match(finding.message):
                fixes[finding] = (edit,)
    return fixes


def _comment_after(rest: str) -> int | None:
    """Where, in the text after a directive's rules, a comment of the user's starts: the first ``#`` after white space
    that starts no ``# mailconf:`` (those after the first directive are text, and go with it). None when there is
    none, or when a ``# mailconf:`` comes after it: kept, that text would become a directive."""
    from ..suppress import _ANY_DIRECTIVE

    at = 0
    while (found := _NEXT_COMMENT.search(rest, at)) is not None:
        if not _ANY_DIRECTIVE.match(rest, found.start()):
            return None if _ANY_DIRECTIVE.search(rest, found.start()) else found.end() - 1
        at = found.end()
    return None


def _remove_line(text: str, starts: Sequence[int], number: int) -> Edit:
    """Line ``number`` with its line end; the last line, with none, with the line end before it instead (the file
    gained a final line end), unless that one is a multi-line scalar's, which may hold it in its value."""
    if number == 1 or starts[number] != len(text) or text.endswith(("\n", "\r")):
        return Edit(starts[number - 1], starts[number], "")
    from ..loader import load

    # a directive last in a file without a final line end: rare enough to read the file again for it
    if any(last == number for _first, last, _column in load(text.encode("utf-8")).positions.multiline):
        return Edit(starts[number - 1], starts[number], "")
    previous = text[starts[number - 2] : starts[number - 1]]
    return Edit(starts[number - 2] + len(previous.rstrip("\r\n")), starts[number], "")


def _message_for(group: Sequence[Finding], name: str) -> str:
    return next((f.message for f in group if f.message.startswith(f"suppression of {name} ")), "")
