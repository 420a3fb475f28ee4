"""Fixes: findings -> text edits -> a verified new text. Used by ``lint --fix``, ``--diff``
and by the json and sarif reports (which carry each fix as edits).

How an edit is made, and why not by dumping a ruamel.yaml round-trip tree
------------------------------------------------------------------------
A fix must keep comments, key order, quoting, anchors and aliases, flow style,
indentation and blank lines outside the edited values byte for byte. ruamel.yaml's
round-trip *dumper* keeps most of that but not all of it: it re-indents sequences
and mappings to one style per file, re-wraps long flow collections, normalises the
spaces inside ``{ a: 1 }`` and after ``-``, and may re-quote scalars it re-emits.
So mailconf never re-emits the document. It edits the text at exact positions:

1. the loader already records where every value starts (line and column, from the
   C parser's marks); a rule's fix names settings by YAML path, and
   :func:`_locate` walks that path through the recorded marks. A value that is
   not written at its own path (taken from a merge key ``<<:`` or reached
   through an alias, so that editing it would change other settings too) is
   refused, as are anchored, tagged and block scalars;
2. the extent of the scalar token is scanned from its start (plain, single- or
   double-quoted), and the token is checked with **ruamel.yaml's round-trip
   loader** (``YAML(typ="rt")``): it must read back as the value the loader
   holds, and the replacement token, written in the same quoting style, must
   read back as the new value. Tokens repeat (``993``, ``starttls``), so these
   checks are cached and cost little even for 10,000 edits;
   A list item or a mapping key to remove goes with its whole line in a block
   collection (a comment after it too), or with one comma in a flow one; a key
   whose value is on a line of its own, or any other layout, is left as it is;
3. the edits are applied in one pass, and the whole result is verified: it is
   parsed again, must have no syntax or schema problem it did not have, and its
   data must equal the old data with exactly the fixed settings changed. Anything
   else and nothing is written.

Then lint runs again on the new text, and fixes that became possible are applied
too (a second ``--fix`` changes nothing), at most :data:`MAX_PASSES` times. An unused
suppression (MC708) is removed in a pass of its own, once nothing else is left to fix:
another fix can make it used.

A fix never writes a secret-carrying value (:data:`mailconf.schema.SECRET_KEYS`),
never touches a file with YAML syntax or encoding errors (MC001, MC003), and the
file is replaced atomically (a temporary file beside it, same mode, ``os.replace``), and only while
it still holds the bytes read (:func:`write_atomically`).
"""

from __future__ import annotations

import bisect
import difflib
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, NamedTuple

from .document import Document, _read_at_most, gc_paused, load_document, read_bytes
from .errors import InputError, InternalError, MailconfError
from .files import STDIN
from .lint import Detail, LintedFile, details_by_finding, lint_detailed, read_stdin
from .loader import resolve_plain
from .model import Finding
from .replace import NotLocked, ReadOnly, Refused, locked_file, replace
from .rules import DELETE, FIXES, RULES, Change, Edit
from .rules import mc001_yaml_syntax as SYNTAX
from .rules import mc002_schema_violation as SCHEMA
from .rules import mc003_file_encoding as ENCODING
from .rules import mc708_unused_suppression as UNUSED
from .schema import SECRET_KEYS
from .settings import Policy, PolicyFinder

MAX_PASSES = 5
#: How long ``lint --fix`` waits, in all, for a file's lock (held by another ``lint --fix``, or ``flock FILE cmd``).
LOCK_WAIT = 30.0
#: How many times the lock is taken, each time on the file then at the path, when the file is replaced while
#: ``--fix`` waits (see replace.locked_file); replaced every time means something keeps replacing it: refused, not
#: waited on.
LOCK_ATTEMPTS = 4
#: rules whose findings mean the text cannot be trusted: such a file is never touched
_UNREADABLE = frozenset((SYNTAX.ID, ENCODING.ID))


class Position(NamedTuple):
    line: int  # 1-based
    column: int  # 1-based, in characters of the file as stored (a BOM is the first one)


class TextEdit(NamedTuple):
    """An edit as reports show it: replace ``start`` up to (not including) ``end``."""

    start: Position
    end: Position
    replacement: str


class Fix(NamedTuple):
    safety: str  # safe | unsafe
    summary: str
    edits: tuple[TextEdit, ...]


@dataclass(frozen=True)
class FixedResult:
    """A lint result with the fix of each finding that has one (json and sarif carry them)."""

    path: str
    findings: tuple[Finding, ...]
    fixes: Mapping[Finding, Fix]


class Outcome(NamedTuple):
    """What --fix did, or would do, to one file."""

    path: str
    before: str
    after: str
    #: the findings fixed (over every pass), and the findings left (of the final text)
    fixed: tuple[Finding, ...]
    result: LintedFile
    #: fixable findings left because their fix is unsafe and --unsafe-fixes was not given
    unsafe_left: int
    #: why the file was not changed at all, when it has fixes that were not applied
    refused: str | None = None
    #: every setting changed, over every pass (the text-only fixes change none)
    changes: tuple[Change, ...] = ()
    #: the bytes read: the file is written only while it still holds them (see write_atomically)
    read: bytes = b""

    @property
    def changed(self) -> bool:
        return self.after != self.before


# --- proposing -----------------------------------------------------------------


def proposals(
    doc: Document, findings: Sequence[Finding], details: Mapping[Finding, Detail], *, unsafe: bool
) -> dict[Finding, tuple[Edit, ...]]:
    """The edits of each finding that has a fix allowed at this safety level (in finding order)."""
    out: dict[Finding, tuple[Edit, ...]] = {}
    text_rules: dict[str, list[Finding]] = {}
    locator: _Locator | None = None
    for finding in findings:
        declared = FIXES.get(finding.rule)
        if declared is None or (declared.safety == "unsafe" and not unsafe):
            continue
        module: Any = RULES[finding.rule]
        if hasattr(module, "fix_text"):
            text_rules.setdefault(finding.rule, []).append(finding)
            continue
        detail = details.get(finding)
        if detail is None or not detail.fix:
            continue
        locator = locator or _Locator(doc)
        edits = locator.edits(detail.fix)
        if edits:
            out[finding] = edits
    for rule_id, group in text_rules.items():
        module = RULES[rule_id]
        for finding, edits in module.fix_text(doc.text, group).items():
            if edits:
                out[finding] = edits
    return out


class _Locator:
    """Settings (YAML paths) -> exact text spans of their values."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.text = doc.text
        self.bom = 1 if doc.text.startswith("\ufeff") else 0
        self.starts = line_starts(doc.text)
        self._ends: dict[int, int] | None = None  # a multi-line scalar's last line -> its first
        self._directed: frozenset[int] | None = None  # the lines a directive alone on the line before applies to

    def edits(self, changes: Iterable[Change]) -> tuple[Edit, ...]:
        """All the edits, or () when any change cannot be made exactly."""
        out = []
        for path, value in changes:
            edit = self.edit(path, value)
            if edit is None:
                return ()
            out.append(edit)
        return tuple(out)

    def edit(self, path: tuple[str | int, ...], value: Any) -> Edit | None:  # noqa: PLR0911 - one refusal each
        if any(step in SECRET_KEYS for step in path):
            return None  # never written, never even looked at
        found = self._walk(path)
        if found is None:
            return None
        old, line, column, key = found
        if isinstance(old, (dict, list)):
            return None
        offset = self._offset(line, column)
        token_end = _token_end(self.text, offset)
        if token_end is None:
            return None
        token = self.text[offset:token_end]
        if not _reads_as(token, old):
            return None
        if value is DELETE and key is not None:
            if key in self.doc.positions.shadowing:
                return None  # written again (MC701) or merged (<<) too: the other value would take this one's place
            after_block, directed = self._after_block(key[0]), self._is_directed(key[0])
            return _delete_entry(
                self.text, self._offset(*key), token_end, self.starts, key[0], lead="", after_block=after_block,
                directed=directed,
            )  # fmt: skip
        if value is DELETE:
            after_block, directed = self._after_block(line), self._is_directed(line)
            return _delete_entry(
                self.text, offset, token_end, self.starts, line, lead="-", after_block=after_block, directed=directed
            )
        new = _render(value, token)
        if new is None or not _reads_as(new, value):
            return None
        return Edit(offset, token_end, new)

    def _after_block(self, line: int) -> bool:
        """Does a block scalar end where ``line`` starts, with the line end before it in its value (not ``|-``)?"""
        if self._ends is None:
            self._ends = {last: first for first, last, _column in self.doc.positions.multiline}
        first = self._ends.get(line)
        if first is None:
            return False
        header = _BLOCK_HEADER.search(self.text, self.starts[first - 1], self.starts[first])
        return header is not None and "-" not in header.group(1)

    def _is_directed(self, line: int) -> bool:
        """Does a ``# mailconf: disable=`` alone on the line before apply to ``line``? It applies to the next line,
        whichever that is: with ``line`` removed, it hid the findings of the line after (MC708 turned off, nothing
        removed the directive: a finding reported before the fix was gone after it)."""
        if self._directed is None:
            from .suppress import scan

            directives = scan(self.text, self.doc.positions.multiline)
            # disable-file applies to the whole file, wherever it is written
            self._directed = frozenset(
                n for d in directives if d.kind == "disable" for n in d.applies_to if n != d.line
            )
        return line in self._directed

    def _offset(self, line: int, column: int) -> int:
        return self.starts[line - 1] + column - 1 + (self.bom if line == 1 else 0)

    def _walk(self, path: tuple[str | int, ...]) -> tuple[Any, int, int, tuple[int, int] | None] | None:
        """The value at ``path``, where it starts and where its key does (None for a list item), if it is written
        at that very path."""
        positions = self.doc.positions
        node: Any = self.doc.data
        start = positions.root
        line = column = 0
        key: tuple[int, int] | None = None
        for step in path:
            marks = positions.by_container.get(id(node))
            if isinstance(marks, dict) and isinstance(node, dict) and step in marks and step in node:
                key_line, key_col, line, column = marks[step]
                key = (key_line, key_col)
                if key < start:
                    return None  # from a merge key or an alias: defined elsewhere, shared
            elif isinstance(marks, list) and isinstance(step, int) and 0 <= step < len(marks):
                line, column = marks[step]
                key = None
                if (line, column) < start:
                    return None
            else:
                return None
            node = node[step]
            if isinstance(node, (dict, list)) and _ANCHORED.match(self.text, self._offset(line, column)):
                return None  # inside an anchored mapping or list: its aliases and merge keys would change too
            start = (line, column)
        return node, line, column, key


#: a node's properties that name an anchor: ``&a``, or a tag then ``&a`` (``!!map &a``: either order is YAML), the
#: two apart by spaces, line breaks and whole-line comments (each comment ends at its line break: no backtracking)
_ANCHORED = re.compile(r"(?:![^\s]*\s+(?:#[^\r\n]*(?:\r\n|\r|\n)\s*)*)?&")

#: a block scalar's header, at the end of its first line: ``|`` or ``>``, its indicators (``-`` strips the last line
#: end, ``+`` keeps the blank lines after it too), a comment
_BLOCK_HEADER = re.compile(r"[|>]([1-9]?[+-]?|[+-][1-9])[ \t]*(?:#[^\r\n]*)?(?:\r\n|\r|\n)")

#: YAML's line breaks, as the parser counts lines (a lone CR too); not NEL, LS or PS (YAML 1.2)
_LINE_BREAK = re.compile("\r\n|\r|\n")


def line_starts(text: str) -> list[int]:
    starts = [0]
    starts.extend(m.end() for m in _LINE_BREAK.finditer(text))
    return starts


#: where a plain scalar stops: a comment, a flow indicator, a line end (the spaces before it are stripped after: a
#: `` *$`` here tried every space of a long run to its end, from each space: minutes for 200,000 before a comment)
_PLAIN_STOP = re.compile(r"\s#|[,\]}\n\r]")


def _token_end(text: str, offset: int) -> int | None:
    """Where the scalar token starting at ``offset`` ends; None for kinds never edited."""
    first = text[offset : offset + 1]
    if first in ("", "&", "!", "*", "|", ">", "[", "{"):
        return None  # anchored, tagged, aliased, block scalars and collections stay as they are
    if first == '"':
        i = offset + 1
        while i < len(text):
            ch = text[i]
            if ch == "\\":
                i += 2
                continue
            if ch == '"':
                return i + 1
            i += 1
        return None
    if first == "'":
        i = offset + 1
        while i < len(text):
            if text[i] == "'":
                if text[i + 1 : i + 2] == "'":
                    i += 2
                    continue
                return i + 1
            i += 1
        return None
    stop = _PLAIN_STOP.search(text, offset)
    end = stop.start() if stop else len(text)
    return offset + len(text[offset:end].rstrip())


@lru_cache(maxsize=1)
def _round_trip() -> Any:
    from ruamel.yaml import YAML

    return YAML(typ="rt", pure=True)


@lru_cache(maxsize=4096)
def _rt_value(token: str) -> tuple[str, Any]:
    """A token as ruamel.yaml's round-trip loader reads it: (type name, plain value)."""
    try:
        value = _round_trip().load(f"k: {token}\n")["k"]
    except Exception:  # noqa: BLE001 - a token it cannot read is a token we do not edit
        return ("error", None)
    if isinstance(value, bool):
        return ("bool", bool(value))
    if isinstance(value, int):
        return ("int", int(value))
    if isinstance(value, float):
        return ("float", float(value))
    if isinstance(value, str):
        return ("str", str(value))
    return (type(value).__name__, None)


def _reads_as(token: str, value: Any) -> bool:
    """Does ``token`` read back as exactly ``value`` (type included: True is not 1)?"""
    if "\n" in token or "\r" in token:
        return False  # a multi-line scalar: folding rules make a span edit a guess
    kind, read = _rt_value(token)
    expected = (
        "bool"
        if isinstance(value, bool)
        else "int"
        if isinstance(value, int)
        else "float"
        if isinstance(value, float)
        else "str"
    )
    return kind == expected and read == value


_SAFE_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*\Z")


def _render(value: Any, old_token: str) -> str | None:
    """The new value as a token in the style of the old one (quotes, the case of true/false)."""
    if isinstance(value, bool):
        word = "true" if value else "false"
        if old_token[:1].isupper():
            word = word.capitalize() if not old_token.isupper() else word.upper()
        return word
    if isinstance(value, int):
        return str(value)
    if not isinstance(value, str):
        return None
    if old_token.startswith("'"):
        return "'" + value.replace("'", "''") + "'"
    if old_token.startswith('"') or not (_SAFE_PLAIN.match(value) and resolve_plain(value) == value):
        return json.dumps(value, ensure_ascii=False)
    return value


def _delete_entry(
    text: str, start: int, end: int, starts: list[int], line: int, *, lead: str, after_block: bool, directed: bool
) -> Edit | None:
    """Remove what ``start:end`` holds on ``line`` (a sequence item, ``lead`` ``-``; or a mapping key and its value,
    on the key's line): the whole line when only ``lead`` comes before it and only a comment after it; else the
    entry and one comma of its flow collection. ``after_block``: a block scalar ends where ``line`` starts, and the
    line end before it is part of its value. ``directed``: a directive alone on the line before applies to
    ``line``; the line is then not removed (the directive would apply to the line after it)."""
    line_start = starts[line - 1]
    line_end = starts[line] if line < len(starts) else len(text)
    if end > line_end:
        return None  # a value on a line of its own: a layout not recognised
    before = text[line_start:start]
    after = text[end:line_end].rstrip("\r\n")
    # a directed line is left, with its finding, until the directive goes (MC708's fix) or is moved by hand: a line
    # of a block collection has no comma, so the flow case below leaves it too
    if not directed and before.strip() == lead and (after.strip() == "" or after.lstrip().startswith("#")):
        if line_end == len(text) and not text.endswith(("\n", "\r")) and line > 1 and not after_block:
            # the last line, with no line end: the line end before it goes instead, or the file would gain one
            # (not a block scalar's that its value holds: the file then ends with it, as the value must)
            return Edit(starts[line - 2] + len(text[starts[line - 2] : line_start].rstrip("\r\n")), line_end, "")
        return Edit(line_start, line_end, "")  # the entry's line, with the comment that is about it
    back = start - 1
    while back >= 0 and text[back] in " \t":
        back -= 1
    if back >= 0 and text[back] == ",":
        return Edit(back, end, "")
    ahead = end
    while ahead < len(text) and text[ahead] in " \t":
        ahead += 1
    if ahead < len(text) and text[ahead] == ",":
        ahead += 1
        comma = ahead
        while ahead < len(text) and text[ahead] in " \t":
            ahead += 1
        # a comment after the comma keeps the space before it: `[cram-md5, # old` becomes `[ # old`, not `[# old`
        # (YAML wants white space before a comment; libyaml is lenient, other parsers and yamllint are not)
        return Edit(start, comma if text[ahead : ahead + 1] == "#" else ahead, "")
    return None  # the only item, or a layout not recognised: leave it


# --- applying ------------------------------------------------------------------


def apply(text: str, proposed: Mapping[Finding, tuple[Edit, ...]]) -> tuple[str, list[Finding]]:
    """The new text, and the findings whose edits went in.

    A finding's edits go in together or not at all; one that overlaps an earlier
    finding's edit waits for the next pass (identical edits are one edit).
    """
    tagged = sorted(
        ((edit, index) for index, edits in enumerate(proposed.values()) for edit in edits),
        key=lambda pair: (pair[0].start, pair[0].end, pair[1]),
    )
    dropped: set[int] = set()
    while True:  # dropping a finding frees the spans of its other edits: look again
        kept = _kept(tagged, dropped)
        clashing = {index for _edit, index, clash in kept if clash}
        if not clashing:
            break
        dropped |= clashing
    pieces: list[str] = []
    at = 0
    for edit, _index, _clash in kept:
        pieces.append(text[at : edit.start])
        pieces.append(edit.replacement)
        at = edit.end
    pieces.append(text[at:])
    applied = [finding for index, finding in enumerate(proposed) if index not in dropped]
    return "".join(pieces), applied


def _kept(tagged: list[tuple[Edit, int]], dropped: set[int]) -> list[tuple[Edit, int, bool]]:
    """The edits in order, identical ones once, each marked when it overlaps the one before."""
    kept: list[tuple[Edit, int, bool]] = []
    end = -1
    last: Edit | None = None
    for edit, index in tagged:
        if index in dropped or edit == last:
            continue
        if edit.start < end:
            kept.append((edit, index, True))
            continue
        kept.append((edit, index, False))
        last, end = edit, edit.end
    return kept


def _expected(data: Any, changes: Iterable[Change]) -> Any:
    """``data`` with the changes made (in place: the old document is not used again)."""
    deletions: dict[int, tuple[list[Any], list[int]]] = {}
    for path, value in changes:
        node = data
        for step in path[:-1]:
            node = node[step]
        if value is DELETE and isinstance(node, dict):
            node.pop(path[-1], None)
        elif value is DELETE:
            deletions.setdefault(id(node), (node, []))[1].append(int(path[-1]))
        else:
            node[path[-1]] = value
    for container, indexes in deletions.values():
        for index in sorted(set(indexes), reverse=True):
            del container[index]
    return data


# --- the passes ----------------------------------------------------------------


#: the findings of a file that a baseline hides (:func:`mailconf.baseline.accepted`): never fixed
Accepted = Callable[[LintedFile], Collection[Finding]]


def fix_text(path: str, raw: bytes, policy: Policy, *, unsafe: bool, accepted: Accepted | None = None) -> Outcome:
    """Fix one file's bytes as far as the policy and safety allow, leaving the findings ``accepted`` (a baseline)
    gives. Never writes."""
    # Two documents are loaded and linted: with the collector running, it walked them again and again
    # (0.54 s of CPU on 10,000 accounts, 280 collections); paused, it walks the kept one once at the end.
    with gc_paused():
        return _fix_text(path, raw, policy, unsafe=unsafe, accepted=accepted)


def _fix_text(path: str, raw: bytes, policy: Policy, *, unsafe: bool, accepted: Accepted | None) -> Outcome:
    #: the findings about the text a baseline hid in the file as read, by rule and message: their entries hash the
    #: text at their place, which a fix may edit (a value on the line of an accepted byte-order mark, in a
    #: one-line flow document, or of an accepted unused suppression, under an older baseline's entry of the whole
    #: line): they stay accepted in the later passes, and are not fixed then
    kept: Counter[tuple[str, str]] | None = None

    def fixable(doc: Document, findings: list[Finding], details: dict[Finding, Detail]) -> list[Finding]:
        """The findings to fix: those a baseline hides are left as they are (and reported to it, as found)."""
        nonlocal kept
        if accepted is None:
            return findings
        hidden = accepted(_result(doc, findings, details, policy))
        if kept is None:
            kept = Counter(_about_text(f) for f in hidden if details[f].path is None)
        left = kept - Counter(_about_text(f) for f in hidden if details[f].path is None)
        out = []
        for finding in findings:
            if finding in hidden:
                continue
            if details[finding].path is None and left[_about_text(finding)] > 0:
                left[_about_text(finding)] -= 1
                continue
            out.append(finding)
        return out

    doc = load_document(path, raw)
    findings, details = _lint(doc, policy)
    before = doc.text
    fixed: list[Finding] = []
    made: list[Change] = []
    text = before
    for _ in range(MAX_PASSES):
        if any(i.rule in _UNREADABLE for i in doc.issues):
            result = _result(doc, findings, details, policy)
            reason = "it has YAML syntax or encoding errors; fix those first" if not fixed else None
            return Outcome(path, before, text, tuple(fixed), result, 0, reason, tuple(made), raw)
        proposed = _unused_last(proposals(doc, fixable(doc, findings, details), details, unsafe=unsafe))
        if not proposed:
            break
        new_text, applied = apply(text, proposed)
        if not applied or new_text == text:
            break
        changes = [c for f in applied if not hasattr(RULES[f.rule], "fix_text") for c in details[f].fix]
        new_doc = load_document(path, new_text.encode("utf-8"))
        new_findings, new_details = _lint(new_doc, policy)
        problem = _verify(doc, new_doc, changes)
        if problem is not None:  # _verify changed doc.data: report the file as it is, read afresh
            original = load_document(path, raw)
            result = _result(original, *_lint(original, policy), policy)
            return Outcome(path, before, before, (), result, 0, problem, (), raw)
        fixed.extend(applied)
        made.extend(changes)
        text, doc, findings, details = new_text, new_doc, new_findings, new_details
    unsafe_left = 0
    if not unsafe:
        held_back = proposals(doc, fixable(doc, findings, details), details, unsafe=True)
        unsafe_left = sum(FIXES[f.rule].safety == "unsafe" for f in held_back)
    result = _result(doc, findings, details, policy)
    return Outcome(path, before, text, tuple(fixed), result, unsafe_left, None, tuple(made), raw)


def _about_text(finding: Finding) -> tuple[str, str]:
    return finding.rule, finding.placeless_message


def _unused_last(proposed: dict[Finding, tuple[Edit, ...]]) -> dict[Finding, tuple[Edit, ...]]:
    """The edits of this pass: a suppression found unused (MC708) goes only once nothing else is to fix. Another fix
    can make it used (port 993 with starttls becomes 143: then MC104 applies, which it suppresses), and with it gone
    in the same pass the user's directive and reason were lost and, with --unsafe-fixes, MC104's fix applied."""
    if all(f.rule == UNUSED.ID for f in proposed):
        return proposed
    return {f: edits for f, edits in proposed.items() if f.rule != UNUSED.ID}


def _lint(doc: Document, policy: Policy) -> tuple[list[Finding], dict[Finding, Detail]]:
    findings, details = lint_detailed(doc, policy)
    return findings, details_by_finding(findings, details)


def _result(doc: Document, findings: list[Finding], details: Mapping[Finding, Detail], policy: Policy) -> LintedFile:
    """The file's result, failed at its settings' fail level as lint's is: without it, --fix of a file left with a
    warning under ``--fail-level warning`` exited 0."""
    return LintedFile(doc.path, tuple(findings), None, tuple(doc.not_checked), details, doc, policy.fail_level)


def _verify(old: Document, new: Document, changes: Sequence[Change]) -> str | None:
    """None when the new text holds exactly the old data with the changes made."""
    broken = {SYNTAX.ID, SCHEMA.ID, ENCODING.ID}
    if sum(i.rule in broken for i in new.issues) > sum(i.rule in broken for i in old.issues):
        return "the fixes would make the file invalid; nothing written (please report this as a bug)"
    if new.data != _expected(old.data, changes):
        return "the fixes would change other values; nothing written (please report this as a bug)"
    return None


def fix_paths(
    paths: Sequence[str],
    policies: PolicyFinder,
    *,
    unsafe: bool,
    stdin_name: str | None = None,
    accepted: Accepted | None = None,
) -> Iterator[Outcome | LintedFile]:
    """Each file fixed in memory, under its own settings (an unreadable file gives its LintedFile with the error),
    but for the findings ``accepted`` (the baselines) gives; one at a time, each read when the one before is done
    with (20,000 files' outcomes held at once took 311 MB).

    ``-`` is standard input, named ``stdin_name`` (``--stdin-filename``) in its outcome and under that name's
    settings, as lint names it.
    """
    for path in paths:
        name = (stdin_name or STDIN) if path == STDIN else path
        try:
            raw = read_stdin(name) if path == STDIN else read_bytes(path)
            outcome: Outcome | LintedFile = fix_text(
                name, raw, policies.for_file(name), unsafe=unsafe, accepted=accepted
            )
        except MailconfError as exc:
            outcome = LintedFile(name, (), exc)
        except Exception as exc:  # noqa: BLE001 - one line naming the file, never a traceback
            outcome = LintedFile(name, (), InternalError.wrap(name, "fixing", exc))
        yield outcome


class Unwritable(InputError):
    """The file cannot be written, and holds what was read: its findings are those of the text read."""


def write_atomically(path: str, text: str, read: bytes) -> bool:
    """Replace the file (the target of a symbolic link) with ``text`` in one step (:func:`mailconf.replace.replace`:
    what the user set on it is kept), if it still holds the bytes ``read``: an editor that saved it meanwhile is
    never overwritten.

    Returns False, writing nothing, when it already holds ``text`` (another ``lint --fix`` wrote the same fixes).
    The check and the rename hold an exclusive ``flock`` on the file (waited for :data:`LOCK_WAIT` seconds at
    most), so two ``lint --fix`` on one file take turns and the second sees the first's result; a program that takes
    no lock can still save in the moment between the check and the rename, never before the check.
    """
    target = Path(os.path.realpath(path))
    new = text.encode("utf-8")
    try:
        held, info = locked_file(target, LOCK_WAIT, LOCK_ATTEMPTS, "--fix")
    except NotLocked as busy:
        raise InputError(f"{path}: {busy}; nothing written, run --fix again") from None
    except OSError as exc:
        raise Unwritable(f"{path}: cannot be fixed ({exc.strerror or type(exc).__name__}); nothing written") from None
    try:
        current = _read_at_most(held, max(len(read), len(new)) + 1)
        if current != read:
            if current == new:
                return False
            raise InputError(f"{path}: changed on disk while it was being fixed; nothing written, run --fix again")
        replace(target, new, info)
    except Refused as refused:
        hint = "make it writable to fix it" if isinstance(refused, ReadOnly) else "run --fix as its owner"
        raise Unwritable(f"{path}: {refused}; nothing written, {hint}") from None
    except OSError as exc:
        raise Unwritable(f"{path}: cannot be written ({exc.strerror or type(exc).__name__}); nothing written") from None
    finally:
        os.close(held)  # the lock goes with it
    return True


def unified_diff(outcome: Outcome, context: int = 3) -> str:
    """A unified diff (``patch -p0`` applies it), with the "no newline at end of file" marker.

    The lines are aligned by :func:`_opcodes`, not by difflib's matcher: that one is
    quadratic on a large file whose lines repeat (10,000 accounts: minutes, not
    milliseconds). difflib only groups the hunks.
    """
    before, after = _patch_lines(outcome.before), _patch_lines(outcome.after)
    groups = list(_KnownOpcodes(_opcodes(before, after)).get_grouped_opcodes(context))
    if not groups:
        return ""
    name = _header_name(_written(outcome.path))
    out = [f"--- {name}\n", f"+++ {name}\n"]
    for group in groups:
        first, last = group[0], group[-1]
        out.append(f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@\n")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out.extend(" " + line for line in before[i1:i2])
                continue
            out.extend("-" + line for line in before[i1:i2])
            out.extend("+" + line for line in after[j1:j2])
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in out)


def _written(path: str) -> str:
    """The file --fix writes for ``path``: a symbolic link's target (patch and ``git apply`` refuse to patch a
    link: "not a regular file", "patch does not apply"), relative to here when ``path`` is."""
    if not os.path.islink(path):
        return path
    target = os.path.realpath(path)
    return target if os.path.isabs(path) else os.path.relpath(target)


_C_ESCAPES = {ord("\\"): "\\\\", ord('"'): '\\"', ord("\t"): "\\t", ord("\n"): "\\n", ord("\r"): "\\r"}


def _header_name(path: str) -> str:
    """The file's name in the ``---``/``+++`` lines, as GNU patch and ``git apply`` read it (and git writes it).

    As it is, but for a space (patch ends the name there unless a tab follows it) and for what would end the line or
    be taken for quoting: a line break or other control character, a quote or a backslash. Then the name is
    C-quoted, each byte that is not printable ASCII as an octal escape (``"a\\nb.yaml"``).
    """
    raw = os.fsencode(path)
    if not any(byte < 0x20 or byte == 0x7F or byte in b'"\\' for byte in raw):
        return path + "\t" if " " in path else path
    quoted = "".join(_C_ESCAPES.get(byte) or (chr(byte) if 0x20 <= byte < 0x7F else f"\\{byte:03o}") for byte in raw)
    return f'"{quoted}"'


def _patch_lines(text: str) -> list[str]:
    """The lines as patch and git count them: ended by \\n only (str.splitlines also ends one at a CR, a NEL,
    LS or PS, which YAML 1.2 keeps in comments and scalars: the hunk would not apply)."""
    lines = text.split("\n")
    return [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])


def _range(start: int, stop: int) -> str:
    """difflib's unified range: "start,length" (1-based; an empty range names the line before)."""
    length = stop - start
    if length == 1:
        return str(start + 1)
    return f"{start if not length else start + 1},{length}"


_Tag = Literal["replace", "delete", "insert", "equal"]
_Opcode = tuple[_Tag, int, int, int, int]


class _KnownOpcodes(difflib.SequenceMatcher[str]):
    """difflib's hunk grouping over opcodes computed elsewhere."""

    def __init__(self, opcodes: list[_Opcode]) -> None:
        super().__init__(None, [], [])
        self.known = opcodes

    def get_opcodes(self) -> list[_Opcode]:
        return self.known


_WINDOW = 64  # how many lines a fix may add or remove in one place, at most (it removes one)
_SYNC = 3  # lines that must agree to align again


def _opcodes(a: list[str], b: list[str]) -> list[_Opcode]:
    """Opcodes for two texts that differ by local edits: equal runs, and the nearest point
    where ``_SYNC`` lines (else one line) agree again after each difference (every alignment
    it finds is a correct diff; a far one falls back to difflib for the rest). Equal runs side
    by side are one, as difflib gives them (its hunks show ``context`` lines of each run)."""
    merged: list[_Opcode] = []
    for op in _aligned(a, b):
        last = merged[-1] if merged else None
        if last is not None and last[0] == op[0] == "equal":
            merged[-1] = ("equal", last[1], op[2], last[3], op[4])
        else:
            merged.append(op)
    return merged


def _aligned(a: list[str], b: list[str]) -> list[_Opcode]:
    ops: list[_Opcode] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start_i, start_j = i, j
        while i < len(a) and j < len(b) and a[i] == b[j]:
            i, j = i + 1, j + 1
        if i > start_i:
            ops.append(("equal", start_i, i, start_j, j))
        if i == len(a) or j == len(b):
            break
        skip = _resync(a, b, i, j)
        if skip is None:
            rest = difflib.SequenceMatcher(None, a[i:], b[j:], autojunk=False).get_opcodes()
            ops.extend((tag, i + i1, i + i2, j + j1, j + j2) for tag, i1, i2, j1, j2 in rest)
            return ops
        da, db = skip
        if da > 1 and db > 1:
            # a block of at most 2 * _WINDOW lines, where a line or two may be alike (the lines between two values
            # a line or two apart, a comment between a key and its value): aligned line by line, or they were shown
            # removed and added again
            inner = difflib.SequenceMatcher(None, a[i : i + da], b[j : j + db], autojunk=False).get_opcodes()
            ops.extend((tag, i + i1, i + i2, j + j1, j + j2) for tag, i1, i2, j1, j2 in inner)
        else:
            tag: _Tag = "replace" if da and db else "delete" if da else "insert"
            ops.append((tag, i, i + da, j, j + db))
        i, j = i + da, j + db
    if i < len(a) or j < len(b):
        last: _Tag = "replace" if i < len(a) and j < len(b) else "delete" if i < len(a) else "insert"
        ops.append((last, i, len(a), j, len(b)))
    return ops


def _resync(a: list[str], b: list[str], i: int, j: int) -> tuple[int, int] | None:
    # fixes a line or two apart (a flow mapping per server) never leave _SYNC lines alike: then the nearest
    # point where one line agrees, once no _SYNC lines agree a little further on (the whole window, for every
    # fix, was 1 ms each, and difflib after it quadratic: 2,000 fixes took 200 s)
    near: tuple[int, int] | None = None
    for total in range(1, 2 * _WINDOW):
        if near is not None and total > sum(near) + 2 * _SYNC:
            return near
        for da in range(max(0, total - _WINDOW), min(total, _WINDOW) + 1):
            db = total - da
            ahead_a, ahead_b = a[i + da : i + da + _SYNC], b[j + db : j + db + _SYNC]
            at_end = i + da + len(ahead_a) == len(a) and j + db + len(ahead_b) == len(b)
            if ahead_a == ahead_b and len(ahead_a) == _SYNC:
                return da, db
            if ahead_a == ahead_b and at_end:
                # the files end alike, in fewer than _SYNC lines: a nearer line alike aligns first, else an unchanged
                # line between two fixed ones near the end (a server's password_command) was shown removed and added
                return near if near is not None and sum(near) < total else (da, db)
            if near is None and ahead_a[:1] == ahead_b[:1]:
                near = da, db
    return near


# --- for reports -----------------------------------------------------------------


def with_fixes(results: Sequence[LintedFile]) -> list[FixedResult]:
    """Each finding's fix (safe and unsafe) as edits by line and column, for json and sarif; an unused suppression's
    (MC708) only when nothing else is to fix, as ``--fix`` removes it (:func:`_unused_last`): an editor applying every
    edit at once must not remove a directive another fix makes used."""
    out = []
    for result in results:
        doc = result.document
        if doc is None or any(i.rule in _UNREADABLE for i in doc.issues):
            out.append(FixedResult(result.path, result.findings, {}))
            continue
        proposed = _unused_last(proposals(doc, result.findings, result.details, unsafe=True))
        starts = line_starts(doc.text)
        fixes = {
            finding: Fix(
                FIXES[finding.rule].safety,
                FIXES[finding.rule].summary,
                tuple(TextEdit(_position(starts, e.start), _position(starts, e.end), e.replacement) for e in edits),
            )
            for finding, edits in proposed.items()
        }
        out.append(FixedResult(result.path, result.findings, fixes))
    return out


def _position(starts: list[int], offset: int) -> Position:
    line = bisect.bisect_right(starts, offset)
    return Position(line, offset - starts[line - 1] + 1)
