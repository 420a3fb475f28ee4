"""Inline suppressions, and the report of the ones that matched nothing (MC708).

Syntax, in a YAML comment::

    port: 143  # mailconf: disable=MC104 the provider has no IMAPS listener
    # mailconf: disable=MC104,MC705 a reason        <- applies to the next line
    # mailconf: disable-file=MC704 a reason         <- anywhere: the whole file

Rules are named by id or slug, separated by commas. A comment on a line applies to
findings on that line; a comment alone on its line applies to the next line too.
A comment is recognised where ``#`` starts a YAML comment: at the start of a line
or after white space, outside a quoted value (``"pass # mailconf: ..."`` is a value)
and outside the lines of a quoted or block scalar written over several lines (the
loader records where each one ends: ``Positions.multiline``).

Each suppression that matched no finding is reported as MC708 (info) at the
comment, and so is a rule named twice in one directive and a ``# mailconf:`` comment
that is not a directive (a typo such as ``disabel=`` would otherwise silently
suppress nothing). A suppression of a rule
that the settings turn off is not reported: it may matter to someone else's
settings. Nor is any suppression of a known rule while the rules could not check
the whole file (a syntax error or a number too long to read stopped the loader,
or an account or server breaks the schema: lint lists it as not checked): the
finding it suppresses may be in the part they could not read, and ``--fix``
would remove the comment the file needs once it is mended. A directive that is
no directive, a rule named twice and a rule that does not exist are still
reported: those are facts of the comment itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .model import Finding, Location
from .rules import mc708_unused_suppression as UNUSED

_DIRECTIVE = re.compile(r"(?:^|\s)#\s*mailconf:\s*(disable|disable-file)=([A-Za-z0-9_,-]+)(.*)$")
_LINE_BREAK = re.compile("\r\n|\r|\n")
_ANY_DIRECTIVE = re.compile(r"(?:^|\s)#\s*mailconf:")


@dataclass
class Directive:
    line: int
    column: int
    kind: str  # disable | disable-file
    rules: tuple[str, ...]  # as written
    applies_to: tuple[int, ...]
    used: set[str] = field(default_factory=set)


def scan(text: str, multiline: Sequence[tuple[int, int, int]] = ()) -> list[Directive]:
    """The directives in the comments of ``text``; ``multiline``: the loader's multi-line scalars
    (``Positions.multiline``), whose lines are text even where they look like a comment."""
    if "mailconf:" not in text:  # the common case costs one search
        return []
    resume = _outside_scalars(multiline)
    directives = []
    # columns count from after a byte-order mark, as the loader's do; and a directive right after one is a comment
    # (``\ufeff# mailconf: disable-file=...``, Notepad's first line: no white space before its "#"): it was ignored
    text = text.removeprefix("\ufeff")
    # YAML 1.2's line breaks only (str.splitlines would also split at NEL, LS and PS,
    # which YAML 1.2 keeps in comments, and shift every directive below them)
    for number, line in enumerate(_LINE_BREAK.split(text), start=1):
        if "mailconf:" not in line:
            continue
        start = resume.get(number, 0)
        if start is None:
            continue  # the whole line is inside a scalar
        comment_at = _comment_at(line, start)
        if comment_at is None:
            continue
        comment = line[comment_at:]
        match = _DIRECTIVE.search(comment)
        if match is None:
            loose = _ANY_DIRECTIVE.search(comment)
            if loose is not None:
                hash_at = comment_at + comment.index("#", loose.start())
                directives.append(Directive(number, hash_at + 1, "invalid", (), ()))
            continue
        hash_at = comment_at + comment.index("#", match.start())
        # a typo before the directive (``#mailconf:disabel= #mailconf:disable=MC104``) is reported as one alone is:
        # unreported, it appeared once lint --fix removed the unused directive after it
        loose = _ANY_DIRECTIVE.search(comment, 0, match.start() + 1)
        if loose is not None and comment_at + comment.index("#", loose.start()) < hash_at:
            directives.append(Directive(number, comment_at + comment.index("#", loose.start()) + 1, "invalid", (), ()))
        own_line = line[:comment_at].strip() == ""
        rules = tuple(r for r in match.group(2).split(",") if r)
        applies = (number, number + 1) if own_line else (number,)
        directives.append(Directive(number, hash_at + 1, match.group(1), rules, applies))
    return directives


def _outside_scalars(multiline: Sequence[tuple[int, int, int]]) -> dict[int, int | None]:
    """Line -> the 0-based column where a scalar that began on an earlier line ends on it (None: it
    goes on past the line). A line not in it starts outside every scalar."""
    resume: dict[int, int | None] = {}
    for first, last, end_column in multiline:
        for number in range(first + 1, last):
            resume[number] = None
        resume[last] = end_column - 1
    return resume


_OPENS_A_SCALAR = frozenset(":-?[{,")


def _comment_at(line: str, start: int = 0) -> int | None:
    """Where the YAML comment of ``line`` starts: a ``#`` at the start or after white space,
    outside a quoted scalar that starts on this line, at or after ``start`` (where the scalar
    that began on an earlier line ends). None when there is no comment."""
    quote = ""
    previous = ""  # the last character outside quotes that is not white space
    i = start
    while i < len(line):
        ch = line[i]
        if quote:
            if quote == '"' and ch == "\\":
                i += 2
                continue
            if ch == quote:
                if quote == "'" and line[i + 1 : i + 2] == "'":  # '' is a quote inside '...'
                    i += 2
                    continue
                quote, previous = "", ch
            i += 1
            continue
        if ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return i
        if ch in "'\"" and (previous == "" or previous in _OPENS_A_SCALAR) and (i == 0 or line[i - 1] in " \t[{,"):
            quote = ch
        elif not ch.isspace():
            previous = ch
        i += 1
    return None


def apply(
    findings: Iterable[Finding],
    directives: list[Directive],
    path: str,
    disabled: frozenset[str] = frozenset(),
    *,
    judged: bool = True,
) -> list[Finding]:
    """Drop suppressed findings; add MC708 for each directive entry that matched nothing.

    ``disabled``: rules the settings turn off; suppressing them is not reported as unused.
    ``judged``: whether the rules checked the whole file (Document.checked_everything). When they did not, a
    suppression of a known rule that matched nothing is not reported: the finding it is there for may be in
    what they could not read.
    """
    from .catalogue import closest_slug, lookup

    resolved: list[tuple[Directive, dict[str, str]]] = []
    repeated: list[Finding] = []
    for directive in directives:
        ids: dict[str, str] = {}
        said: set[str] = set()
        for name in directive.rules:
            rule = lookup(name)
            rule_id = rule.ID if rule else name.upper()
            if rule_id in ids:  # the same rule twice in one directive: the second one does nothing
                message = f"suppression of {name} repeats {ids[rule_id]}; remove it"
                if message not in said:  # a name written 3,000 times is one line to read (--fix drops every one)
                    said.add(message)
                    repeated.append(_unused(path, directive, message))
                continue
            ids[rule_id] = name
        resolved.append((directive, ids))
    kept = _kept(findings, resolved)
    for directive, ids in resolved:
        if directive.kind == "invalid":
            kept.append(
                Finding(
                    UNUSED.ID,
                    UNUSED.SLUG,
                    UNUSED.SEVERITY,
                    Location(path, directive.line, directive.column),
                    "`# mailconf:` comment is not a directive; write `# mailconf: disable=RULE reason` "
                    "or `# mailconf: disable-file=RULE reason`",
                )
            )
            continue
        for rule_id, written in ids.items():
            if rule_id in directive.used or rule_id in disabled:
                continue
            known = lookup(written) is not None
            if known and not judged:
                continue
            close = None if known else closest_slug(written)
            reason = "it matched no finding" if known else "no such rule"
            message = f"suppression of {written} is unused ({reason}); remove it"
            if close:  # a typo: the reason written beside it was meant for the rule it is close to
                message = (
                    f"suppression of {written} is unused ({reason}; did you mean {close}?); correct it or remove it"
                )
            kept.append(_unused(path, directive, message))
    return kept + repeated


def _kept(findings: Iterable[Finding], resolved: list[tuple[Directive, dict[str, str]]]) -> list[Finding]:
    """The findings no directive suppresses; each directive notes the rules it suppressed (``used``).

    The directives are looked up by rule (disable-file) and by rule and line (disable), not each one
    for each finding: that was quadratic on a file with a suppression per account (6,000: 5 s).
    """
    file_wide: dict[str, list[Directive]] = {}
    by_line: dict[tuple[str, int], list[Directive]] = {}
    for directive, ids in resolved:
        for rule_id in ids:
            if directive.kind == "disable-file":
                file_wide.setdefault(rule_id, []).append(directive)
            else:
                for line in directive.applies_to:
                    by_line.setdefault((rule_id, line), []).append(directive)
    kept = []
    used_file_wide: set[str] = set()
    for finding in findings:
        on_line = by_line.get((finding.rule, finding.location.line), [])
        for directive in on_line:
            directive.used.add(finding.rule)
        if finding.rule in file_wide:
            used_file_wide.add(finding.rule)
        elif not on_line:
            kept.append(finding)
    for rule_id in used_file_wide:
        for directive in file_wide[rule_id]:
            directive.used.add(rule_id)
    return kept


def _unused(path: str, directive: Directive, message: str) -> Finding:
    return Finding(UNUSED.ID, UNUSED.SLUG, UNUSED.SEVERITY, Location(path, directive.line, directive.column), message)
