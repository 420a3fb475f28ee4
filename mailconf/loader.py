"""YAML bytes -> plain data (dict, list, str, int, float, bool, None) + positions.

The fast path: ruamel.yaml's C parser (libyaml) produces events, and this
module builds the data from them iteratively, recording where every key and
value starts. No node tree and no round-trip structures are built, no Python
object is ever constructed from a tag, and hostile input meets explicit limits:

- tags other than the standard YAML ones (``!!python/object`` ...) are findings;
- aliases may expand to at most ``MAX_ALIAS_EXPANSION`` nodes ("billion laughs");
- a value reached through an alias is placed where its anchor is written (a scalar's
  own position; a mapping's or list's keys and items keep theirs): one place, one finding;
- nesting deeper than ``MAX_DEPTH`` is a finding, never a recursion error;
- duplicate keys are findings (MC701), the first value is kept;
- a byte-order mark, CRLF line ends, an empty file and bytes that are not UTF-8
  each give one located finding;
- a whole number of more than ``MAX_NUMBER_DIGITS`` digits is a finding (MC002)
  at the value, never a conversion error;
- a bidirectional control or another format character (MC713) is found where it is
  written, in a key, a value (also as an escape) or a comment (see :class:`_Watch`);
- NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR are content, as in YAML 1.2 (libyaml
  would break lines there), and lines are counted by ``\n`` only.

Scalars are resolved with the YAML 1.2 core schema (``yes``/``no`` stay strings,
as in ruamel.yaml), keys stay the text that was written.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, NamedTuple

from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.reader import ReaderError

from . import _clib_events
from ._clib_events import ALIAS as _ALIAS
from ._clib_events import DOCUMENT as _DOCUMENT
from ._clib_events import END as _END
from ._clib_events import MAPPING as _MAPPING
from ._clib_events import SCALAR as _SCALAR
from ._clib_events import SEQUENCE as _SEQUENCE
from ._clib_events import STREAM_END as _STREAM_END
from ._clib_events import Event
from .model import Severity, YamlPath
from .rules import mc001_yaml_syntax as SYNTAX
from .rules import mc002_schema_violation as SCHEMA
from .rules import mc003_file_encoding as ENCODING
from .rules import mc004_byte_order_mark as BOM
from .rules import mc005_crlf_line_endings as CRLF
from .rules import mc701_duplicate_account as DUPLICATE
from .rules import mc713_bidi_or_invisible_character as INVISIBLE
from .schema import SECRET_KEYS
from .utf32 import utf_32

MAX_DEPTH = 64
MAX_ALIAS_EXPANSION = 1_000_000
#: No setting needs more than 5 digits. Far longer numbers are refused where they are
#: written: Python converts at most 4,300 decimal digits to an int (as few as 640 with
#: PYTHONINTMAXSTRDIGITS), and every later stage would have to print them.
MAX_NUMBER_DIGITS = 100


#: the problem of a file with no document (nothing, or only comments): what mailconf's settings take as the defaults
EMPTY_FILE = "file is empty; write a mapping with `version: 1` and `accounts:`"


class LoadProblem(NamedTuple):
    rule: str  # MC001 yaml-syntax, MC003 ..., MC701 duplicate key
    line: int
    column: int
    message: str
    #: the rule's default when None; MC713 is a warning for a character that hides and does not reorder
    severity: Severity | None = None


#: key -> (key line, key column, value line, value column), all 1-based.
KeyMarks = dict[Any, tuple[int, int, int, int]]


@dataclass
class Positions:
    """Where things are. Containers are found by identity: keep the data alive."""

    by_container: dict[int, KeyMarks | list[tuple[int, int]]] = field(default_factory=dict)
    root: tuple[int, int] = (1, 1)
    #: every quoted or block scalar written over more than one line: (first line, last line, the column
    #: just after it on its last line), 1-based. A ``#`` there is text, not a comment (see suppress.scan).
    multiline: list[tuple[int, int, int]] = field(default_factory=list)
    #: the keys (line, column) whose removal would bring another value in (see mailconf.fix): the first of a key
    #: written twice in its mapping (MC701: the loader keeps its value), and a key a merge key (``<<``) also gives
    shadowing: set[tuple[int, int]] = field(default_factory=set)

    def locate(self, data: Any, path: YamlPath, *, on_key: bool = False) -> tuple[int, int]:
        """Line and column of the value at ``path`` (or of its key, with ``on_key``).

        A path that goes further than the data (a missing key) resolves to the
        deepest part that exists, at its key where it has one.
        """
        here = self.root
        key_here = self.root
        node = data
        for step in path:
            marks = self.by_container.get(id(node))
            if isinstance(marks, dict) and step in marks:
                kl, kc, vl, vc = marks[step]
                here, key_here = (vl, vc), (kl, kc)
            elif isinstance(marks, list) and isinstance(step, int) and 0 <= step < len(marks):
                here = key_here = marks[step]
            else:
                return key_here
            node = node[step]
        return key_here if on_key else here


@dataclass
class Loaded:
    data: Any
    positions: Positions
    problems: list[LoadProblem]


_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
_TRUE = frozenset(("true", "True", "TRUE"))
_FALSE = frozenset(("false", "False", "FALSE"))
_INT = re.compile(r"[-+]?[0-9]+\Z")
_OCT = re.compile(r"0o[0-7]+\Z")
_HEX = re.compile(r"0x[0-9a-fA-F]+\Z")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_SPECIAL_FLOATS = {
    ".inf": float("inf"), ".Inf": float("inf"), ".INF": float("inf"),
    "+.inf": float("inf"), "+.Inf": float("inf"), "+.INF": float("inf"),
    "-.inf": float("-inf"), "-.Inf": float("-inf"), "-.INF": float("-inf"),
    ".nan": float("nan"), ".NaN": float("nan"), ".NAN": float("nan"),
}  # fmt: skip
_NUMERIC_START = frozenset("0123456789+-.")

TAG_PREFIX = "tag:yaml.org,2002:"
_SCALAR_TAGS = frozenset(TAG_PREFIX + t for t in ("str", "int", "float", "bool", "null"))
_COLLECTION_TAGS = frozenset((TAG_PREFIX + "map", TAG_PREFIX + "seq", "!"))


class NumberTooLong(Exception):
    """A YAML integer of more than MAX_NUMBER_DIGITS digits (not a ValueError: no tag hides it)."""

    def __init__(self, digits: int) -> None:
        super().__init__(digits)
        self.digits = digits


def resolve_plain(text: str) -> Any:  # noqa: PLR0911
    """A plain (unquoted) scalar per the YAML 1.2 core schema."""
    if text in _NULLS:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if text[0] in _NUMERIC_START:
        if len(text) > MAX_NUMBER_DIGITS and (_INT.match(text) or _OCT.match(text) or _HEX.match(text)):
            digits = len(text.lstrip("+-")) - (2 if text[1:2] in ("o", "x") else 0)
            if digits > MAX_NUMBER_DIGITS:
                raise NumberTooLong(digits)
        if _INT.match(text):
            return int(text)
        if _OCT.match(text):
            return int(text[2:], 8)
        if _HEX.match(text):
            return int(text[2:], 16)
        if _FLOAT.match(text):
            return float(text)
        if text in _SPECIAL_FLOATS:
            return _SPECIAL_FLOATS[text]
    return text


def _resolve_tagged(tag: str, text: str) -> Any:
    kind = tag[len(TAG_PREFIX) :]
    if kind == "str":
        return text
    value: Any = resolve_plain(text) if text else None
    expected: dict[str, Callable[[Any], bool]] = {
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "bool": lambda v: isinstance(v, bool),
        "null": lambda v: v is None,
    }
    if not expected[kind](value):
        raise ValueError(SYNTAX.not_valid(text, kind))
    return float(value) if kind == "float" else value


_NO_KEY = object()


class LoadAbort(Exception):
    def __init__(self, problem: LoadProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _wide_encoding(head: bytes) -> str | None:
    """UTF-16 or UTF-32, detected as YAML 1.2.2 section 5.2 does: by a BOM or by zero bytes."""
    how = utf_32(head)
    if how is not None:
        return f"UTF-32 ({how})"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16 (it starts with a UTF-16 byte-order mark)"
    if len(head) >= 2 and (head[0] == 0) != (head[1] == 0):
        return "UTF-16 (its first character is padded with a zero byte)"
    return None


def decode(raw: bytes) -> tuple[str, list[LoadProblem]]:
    """Bytes -> text, with located findings for a BOM and bytes that are not UTF-8."""
    problems: list[LoadProblem] = []
    wide = _wide_encoding(raw[:4])
    if wide is not None:
        raise LoadAbort(LoadProblem(ENCODING.ID, 1, 1, f"file is {wide}; save it as UTF-8"))
    if raw.startswith(b"\xef\xbb\xbf"):
        problems.append(
            LoadProblem(BOM.ID, 1, 1, "file starts with a UTF-8 byte-order mark; save it as UTF-8 without a BOM")
        )
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        line = raw.count(b"\n", 0, exc.start) + 1
        column = len(raw[line_start : exc.start].decode("utf-8", "replace")) + 1
        bad = raw[exc.start]
        raise LoadAbort(
            LoadProblem(ENCODING.ID, line, column, f"file is not valid UTF-8 (byte 0x{bad:02X}); save it as UTF-8")
        ) from None
    return text, problems


def load(raw: bytes) -> Loaded:
    """Decode and parse. Never raises for bad input: problems carry positions."""
    try:
        text, problems = decode(raw)
    except LoadAbort as abort:
        return Loaded(None, Positions(), [abort.problem])
    crlf = text.find("\r\n")
    if crlf >= 0:
        line = text.count("\n", 0, crlf) + 1
        column = crlf - (text.rfind("\n", 0, crlf) + 1) + 1
        problems.append(LoadProblem(CRLF.ID, line, column, "CRLF line ends; convert the file to LF line ends"))
    try:
        data, positions, more = _build(text)
    except LoadAbort as abort:
        return Loaded(None, Positions(), [*problems, abort.problem])
    return Loaded(data, positions, problems + more)


def _syntax(exc: YAMLError, text: str = "") -> LoadProblem:
    if isinstance(exc, ReaderError):
        # the C reader gives a byte offset into the UTF-8 text, not a mark
        offset = exc.position if isinstance(exc.position, int) else 0
        before = text.encode("utf-8")[:offset].decode("utf-8", "replace")
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1
        code = ord(exc.character) if isinstance(exc.character, str) and len(exc.character) == 1 else exc.character
        what = f"control character U+{code:04X}" if isinstance(code, int) else "a control character"
        return LoadProblem(SYNTAX.ID, line, column, f"YAML syntax error: {what} is not allowed in YAML; remove it")
    if isinstance(exc, MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        what = exc.problem or "invalid YAML"
        context = f" ({exc.context})" if exc.context else ""
        lines = text.split("\n", mark.line + 1)
        here = lines[mark.line][mark.column : mark.column + 1] if mark.line < len(lines) else ""
        if here == "\t" and not lines[mark.line].strip():
            hint = "; the line holds only blanks, among them a tab: empty it"
        elif here == "\t":
            hint = "; indent with spaces, YAML does not allow a tab there"
        else:
            mark, hint = _syntax_hint(exc, lines)
        return LoadProblem(SYNTAX.ID, mark.line + 1, mark.column + 1, f"YAML syntax error: {what}{context}{hint}")
    reason = getattr(exc, "reason", None) or str(exc).splitlines()[0]
    return LoadProblem(SYNTAX.ID, 1, 1, f"YAML syntax error: {reason}")


def _alias_hint(alias: str, anchors: Mapping[str, object]) -> str:
    """The anchor defined above that ``*alias`` most likely means, or that anchors are defined before use."""
    import difflib

    close = difflib.get_close_matches(alias, list(anchors), n=1)
    if close:
        return f"; did you mean *{close[0]}?"
    return "; define the anchor (&" + alias + ") above its first alias"


def _syntax_hint(exc: MarkedYAMLError, lines: list[str]) -> tuple[Any, str]:
    """Where a syntax error was made and how to fix it, for the mistakes of hand-written files; the parser's own
    place and no hint for the others. The parser notices a key without a colon, a quote or a bracket never closed
    only further on (the next line, the end of the file): the place is where the key, the quote or the bracket
    starts. A hint quotes no text of the file (a value may be a password), only how far lines are indented."""
    mark, problem, context = exc.problem_mark, exc.problem or "", exc.context or ""
    earlier = _started_earlier(problem, context)
    if earlier and exc.context_mark is not None:
        return exc.context_mark, earlier
    return mark, _hint_here(problem, context, lines, mark.line, mark.column)


def _started_earlier(problem: str, context: str) -> str:
    """The hint of an error the parser reports past where it was made (at its context mark)."""
    if problem == "could not find expected ':'" and context == "while scanning a simple key":
        return "; write a colon and a space after the key (key: value)"
    if context == "while scanning a quoted scalar" and problem.startswith("found unexpected end"):
        return "; the quote that starts here is never closed: close it"
    if problem.startswith("did not find expected ','") and context.startswith("while parsing a flow "):
        bracket, what = ("[", "list") if context.endswith("sequence") else ("{", "mapping")
        closing = "close it, or quote the value"
        return f"; the {bracket} that starts here is never closed: {closing} ({bracket} starts a {what})"
    return ""


def _hint_here(problem: str, context: str, lines: list[str], number: int, column: int) -> str:
    """The hint of an error the parser reports where it was made: line ``number``, ``column`` (0-based)."""
    line = lines[number] if number < len(lines) else ""
    if context == "while parsing a block mapping" and problem == "did not find expected key":
        if column > _indent(line) and any(quote in line[:column] for quote in "'\""):
            return "; text follows the closing quote: inside '...' write a ' as '', inside \"...\" a \" as \\\""
        return _indent_hint(lines, number)
    if problem.startswith("mapping values are not allowed"):
        return _value_hint(lines, number, column)
    if problem.startswith("block sequence entries are not allowed"):
        return "; put the value in quotes: a - and a space start a list item"
    if problem == "found character that cannot start any token" and line[column : column + 1] in ("@", "`"):
        return "; put the value in quotes: a value cannot start with @ or ` in YAML"
    return ""


def _value_hint(lines: list[str], number: int, column: int) -> str:
    """Why a colon at ``column`` of line ``number`` (0-based) cannot start a key there."""
    line = lines[number] if number < len(lines) else ""
    if ": " in line[:column].lstrip(" -"):
        return "; put the value in quotes: in a plain value, a colon and a space start a key"
    above = _line_above(lines, number)
    if above is not None and ":" not in above:
        return "; the line above has no colon: write a colon and a space after its key (key: value)"
    return _indent_hint(lines, number, " (the key above has a value already)")


def _indent_hint(lines: list[str], number: int, why: str = "") -> str:
    """How far line ``number`` (0-based) and the line above it (not blank, not a comment) are indented."""
    above = _line_above(lines, number)
    if above is None or number >= len(lines):
        return ""
    this, that = _indent(lines[number]), _indent(above)
    if this == that:
        return ""
    return f"; check the indentation: this line is indented {this} spaces, the line above {that}{why}"


def _line_above(lines: list[str], number: int) -> str | None:
    """The line above line ``number`` (0-based) that is neither blank nor a comment."""
    return next((line for line in reversed(lines[:number]) if line.strip() and not line.lstrip().startswith("#")), None)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


# --- events -------------------------------------------------------------------
#
# The C parser's events come as plain tuples (see mailconf/_clib_events.py, the
# one place that knows how).
#
# libyaml reads YAML 1.1, where NEL (U+0085), LINE SEPARATOR (U+2028) and
# PARAGRAPH SEPARATOR (U+2029) are line breaks; in YAML 1.2 (section 5.4) they
# are ordinary characters, allowed in comments and scalars. A file holding one
# is parsed with each of them replaced by a private-use character that the file
# does not hold (one code point for one, so every column stays), and the scalars
# get the original characters back. Lines are then counted as an editor counts
# them: by \n only.

_YAML11_BREAKS = "\x85\u2028\u2029"

#: the key "<<" written quoted or tagged: equal to "<<", but not the merge key (told apart by identity)
_QUOTED_MERGE_KEY = "".join(("<", "<"))


def _yaml12_text(text: str) -> tuple[str, dict[int, str] | None]:
    """``text`` for libyaml, and the translation that restores the scalars (None: nothing to do)."""
    if "\x85" not in text and "\u2028" not in text and "\u2029" not in text:
        return text, None
    lowered = text.lower()
    stand_ins: list[str] = []
    code = 0xE000  # the Private Use Area: printable for libyaml, no meaning in YAML
    while len(stand_ins) < len(_YAML11_BREAKS):
        # never a character the file holds, written or as an escape (\uE000) in a quoted scalar
        if chr(code) not in text and f"{code:04x}" not in lowered:
            stand_ins.append(chr(code))
        code += 1
    forward = str.maketrans(dict(zip(_YAML11_BREAKS, stand_ins, strict=True)))
    back = str.maketrans(dict(zip(stand_ins, _YAML11_BREAKS, strict=True)))
    return text.translate(forward), back


def _build(text: str) -> tuple[Any, Positions, list[LoadProblem]]:
    """Build from the C parser's events, with YAML 1.2's line breaks (see above), watching for MC713's characters
    in a file that may hold one."""
    parsed, back = _yaml12_text(text)
    watch = _Watch() if _may_hold_format(text) else None
    # a U+FEFF first (a file that starts with two byte-order marks: decode() took off one) is text, MC713's at 1:1,
    # but libyaml takes it for the stream's byte-order mark and counts from after it: every index, and line 1's
    # columns, one short
    skipped = parsed.startswith("\ufeff")
    consume: Callable[[_clib_events.GetEvent, Event], tuple[Any, Positions, list[LoadProblem]]] = _build_from
    if back is not None or watch is not None or skipped:
        consume = partial(_build_seeing, back, watch, skipped)
    try:
        data, positions, problems = _clib_events.parse(parsed, consume)
    except YAMLError as exc:
        if skipped and isinstance(exc, MarkedYAMLError) and exc.problem_mark is not None:
            exc.problem_mark = _after_bom(exc.problem_mark)
        problem = _syntax(exc, parsed)
        if back is None:
            raise LoadAbort(problem) from None
        raise LoadAbort(problem._replace(message=problem.message.translate(back))) from None
    except LoadAbort as abort:
        problem = _second_document(abort.problem, parsed)
        if back is None and problem is abort.problem:
            raise
        raise LoadAbort(problem._replace(message=problem.message.translate(back or {}))) from None
    if back is not None:
        problems = [p._replace(message=p.message.translate(back)) for p in problems]
    if watch is not None:
        problems += watch.problems(text)
    return data, positions, problems


_MORE_DOCUMENTS = "more than one YAML document (---); keep one document per file"


def _second_document(problem: LoadProblem, text: str) -> LoadProblem:
    """A second document that is empty (a ``---`` left at the end, with nothing but comments after it) is said to
    be one: there is nothing to move to another file."""
    if problem.message != _MORE_DOCUMENTS:
        return problem
    lines = text.split("\n")[problem.line - 1 :]
    rest = [lines[0][problem.column + 2 :], *lines[1:]]
    if any(line.strip() and not line.lstrip().startswith("#") for line in rest):
        return problem
    return problem._replace(message="a --- with nothing after it starts an empty second YAML document; remove it")


@dataclass(frozen=True, slots=True)
class _Mark:
    """A parser's mark, moved (:func:`_after_bom`)."""

    line: int
    column: int
    index: int


def _after_bom(mark: Any) -> _Mark:
    """Where ``mark`` is in a text whose first character, a U+FEFF, the parser skipped as a byte-order mark."""
    return _Mark(mark.line, mark.column + (mark.line == 0), mark.index + 1)


def _shifted(event: Event) -> Event:
    """``event`` with its marks :func:`_after_bom` (the mark items of each kind of event tuple, as _clib_events lays
    them out)."""
    kind = event[0]
    if kind == _SCALAR:
        return (*event[:5], _after_bom(event[5]), _after_bom(event[6]))
    if kind in (_MAPPING, _SEQUENCE):
        return (*event[:3], _after_bom(event[3]))
    if kind == _ALIAS:
        return (*event[:2], _after_bom(event[2]))
    if kind == _DOCUMENT:
        return (kind, _after_bom(event[1]))
    return event


def _build_seeing(
    back: dict[int, str] | None,
    watch: _Watch | None,
    skipped: bool,
    get_event: _clib_events.GetEvent,
    first: Event,
) -> tuple[Any, Positions, list[LoadProblem]]:
    """:func:`_build_from`, with the marks moved past a U+FEFF the parser skipped (``skipped``), the stand-ins in
    scalars, anchors and aliases turned back (``back``), and each event shown to ``watch``."""
    if skipped:
        unshifted, first = get_event, _shifted(first)
        get_event = lambda: _shifted(unshifted())  # noqa: E731
    if back is not None:
        translate = back

        def restore(event: Event) -> Event:
            kind = event[0]
            if kind == _SCALAR:
                _, value, style, tag, anchor, mark, end = event
                anchor = anchor.translate(translate) if anchor else anchor
                return (_SCALAR, value.translate(translate), style, tag, anchor, mark, end)
            if kind in (_MAPPING, _SEQUENCE) and event[2]:
                return (kind, event[1], event[2].translate(translate), event[3])
            if kind == _ALIAS:
                return (_ALIAS, event[1].translate(translate), event[2])
            return event

        restored, first = get_event, restore(first)
        get_event = lambda: restore(restored())  # noqa: E731
    if watch is not None:
        seen, first = get_event, watch.see(first)
        get_event = lambda: watch.see(seen())  # noqa: E731
    return _build_from(get_event, first)


# --- MC713: bidirectional controls and invisible characters --------------------

_FORMAT_BMP = re.compile(f"[{INVISIBLE.FORMAT_BMP}]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
#: an escape that writes a code point in a double-quoted scalar (YAML 1.2.2 section 5.7)
_HEX_ESCAPE = re.compile(r"\\(?:x([0-9A-Fa-f]{2})|u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8}))")


def _may_hold_format(text: str) -> bool:
    """Whether a file may hold a format character, written or as an escape: only such a file is watched (which
    makes its load about 1.8 times as long). An ASCII file is asked only for its escapes (``isascii`` and ``in`` take
    0.1 ms on a 1.5 MB file of 10,000 accounts); another is searched for the characters of the Basic Multilingual
    Plane, and for the others only when it holds a character beyond it (an emoji)."""
    if not text.isascii() and (_FORMAT_BMP.search(text) or (_ASTRAL.search(text) and INVISIBLE.FORMAT.search(text))):
        return True
    return "\\" in text and any(_escapes_format(match) for match in _HEX_ESCAPE.finditer(text))


def _escapes_format(match: re.Match[str]) -> bool:
    code = int(match.group(1) or match.group(2) or match.group(3), 16)
    return code <= 0x10FFFF and INVISIBLE.FORMAT.match(chr(code)) is not None


#: an escape of a double-quoted scalar (YAML 1.2.2 section 5.7), the ones that write a code point in groups
_ESCAPE = re.compile(r"\\(?:x([0-9A-Fa-f]{2})|u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|.)", re.DOTALL)
#: (offset in the text, the character, written as an escape)
_Occurrence = tuple[int, str, bool]


class _Scalar(NamedTuple):
    """A key or value that holds a format character: what it is, where it is written (offsets), and its path."""

    value: str
    path: YamlPath
    on_key: bool
    start: int  # where its content starts, after its anchor and tag
    end: int
    double_quoted: bool


class _Watch:
    """Sees the parser's events and keeps each key and value that holds a format character, with its path (keys
    and list indexes, followed here as the parser nests). Used only for a file that may hold one: the hot loop of
    :func:`_build_from` pays nothing for it."""

    def __init__(self) -> None:
        #: one per open container: [is a mapping, its current key (or the next item's index), a key comes next]
        self.frames: list[list[Any]] = []
        self.found: list[_Scalar] = []

    def see(self, event: Event) -> Event:
        kind = event[0]
        frames = self.frames
        if kind == _SCALAR:
            value = event[1]
            top = frames[-1] if frames else None
            on_key = top is not None and top[0] and top[2]
            if on_key:
                top[1], top[2] = value, False  # type: ignore[index]
            if isinstance(value, str) and INVISIBLE.FORMAT.search(value):
                self._keep(event, on_key)
            if not on_key:
                self._done()
        elif kind in (_MAPPING, _SEQUENCE):
            frames.append([kind == _MAPPING, None if kind == _MAPPING else 0, True])
        elif kind == _END:
            frames.pop()
            self._done()
        elif kind == _ALIAS:
            self._done()
        return event

    def _done(self) -> None:
        """A value is complete in the innermost container: a mapping waits for its next key, a list counts on."""
        if self.frames:
            top = self.frames[-1]
            if top[0]:
                top[2] = True
            else:
                top[1] += 1

    def _keep(self, event: Event, on_key: bool) -> None:
        value, style, mark, end = event[1], event[2], event[5], event[6]
        path = tuple(frame[1] for frame in self.frames)
        self.found.append(_Scalar(value, path, on_key, mark.index, end.index, style == '"'))

    def problems(self, text: str) -> list[LoadProblem]:
        """Each format character where it is written: in the keys and values kept, then elsewhere (comments)."""
        raw = [(m.start(), m.group(), False) for m in INVISIBLE.FORMAT.finditer(text)]
        offsets = [o[0] for o in raw]  # in order: each scalar's are found by bisection, not by a search of them all
        lines = _LineStarts(text)
        located: set[int] = set()
        problems = []
        for scalar in self.found:
            start = _content_start(text, scalar.start, scalar.end)
            inside = raw[bisect_left(offsets, start) : bisect_left(offsets, scalar.end)]
            if scalar.double_quoted:
                inside = sorted(inside + _escaped(text, start, scalar.end))
            # a literal password's characters are the secret (MC401 flags it); a command is a program to review
            secret = not scalar.on_key and bool(scalar.path) and scalar.path[-1] == "password"
            where = INVISIBLE.where(scalar.path, scalar.on_key)
            key = None if scalar.on_key or not scalar.path else scalar.path[-1]
            for index, occurrence in _paired(scalar.value, inside, scalar.start):
                located.add(occurrence[0])
                if secret or INVISIBLE.allowed(scalar.value, index, key):
                    continue
                problems.append(_invisible(lines, occurrence, where))
        for occurrence in raw:
            if occurrence[0] not in located:
                problems.append(_invisible(lines, occurrence, _outside(text, occurrence[0])))
        return sorted(problems, key=lambda p: (p.line, p.column))


def _content_start(text: str, start: int, end: int) -> int:
    """Where a scalar's own text starts: after its anchor (``&name``) and tag (``!!str``) and a comment after them,
    after a block scalar's header line (``|`` or ``>``, its indicators and comment), and after the opening quote."""
    at = start
    while at < end and text[at] in "&!#":
        if text[at] == "#":  # a comment: white space is before it (skipped below), and it runs to the line's end
            at = _line_end(text, at, end)
        while at < end and text[at] not in " \t\r\n":
            at += 1
        while at < end and text[at] in " \t\r\n":
            at += 1
    if at < end and text[at] in "|>":
        return min(_line_end(text, at, end) + 1, end)
    return at + 1 if at < end and text[at] in "'\"" else at


def _line_end(text: str, at: int, end: int) -> int:
    found = text.find("\n", at, end)
    return end if found < 0 else found


def _escaped(text: str, start: int, end: int) -> list[_Occurrence]:
    """The escapes in a double-quoted scalar's text that write a format character."""
    found = []
    for match in _ESCAPE.finditer(text, start, end):
        digits = match.group(1) or match.group(2) or match.group(3)
        if digits is not None and INVISIBLE.FORMAT.match(ch := chr(int(digits, 16))):
            found.append((match.start(), ch, True))
    return found


def _paired(value: str, inside: list[_Occurrence], start: int) -> list[tuple[int, _Occurrence]]:
    """Each format character of ``value`` (its index) with the place it is written, in order. One that is not found
    in the text (no case known) is placed at the scalar's start."""
    pairs = []
    pending = iter(inside)
    for match in INVISIBLE.FORMAT.finditer(value):
        ch = match.group()
        occurrence = next((o for o in pending if o[1] == ch), None)
        if occurrence is None:
            occurrence, pending = (start, ch, False), iter(())
        pairs.append((match.start(), occurrence))
    return pairs


class _LineStarts:
    """Line and column (1-based) of an offset, by bisection: a file with many findings is not counted through for
    each."""

    def __init__(self, text: str) -> None:
        self.starts = [0, *(m.end() for m in re.finditer("\n", text))]

    def of(self, offset: int) -> tuple[int, int]:
        line = bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1


def _invisible(lines: _LineStarts, occurrence: _Occurrence, where: str) -> LoadProblem:
    offset, ch, escaped = occurrence
    line, column = lines.of(offset)
    return LoadProblem(INVISIBLE.ID, line, column, INVISIBLE.message(ch, where, escaped), INVISIBLE.severity(ch))


def _outside(text: str, offset: int) -> str:
    """What holds a format character that is in no key or value: a comment, most often."""
    before = text[text.rfind("\n", 0, offset) + 1 : offset]
    return "a comment" if re.search(r"(?:\A|\s)#", before) else "the YAML around the keys and values"


def _build_from(get_event: Callable[[], Event], event: Event) -> tuple[Any, Positions, list[LoadProblem]]:  # noqa: PLR0912, PLR0915
    """One tight loop over the parser's events (the hot path of ``mailconf lint``).

    The state of the innermost open container lives in locals; the stack holds
    the outer ones. ``nodes`` counts nodes as if aliases were expanded, which
    bounds the work of every later stage. ``event`` is the first event.
    """
    positions = Positions()
    by_container = positions.by_container
    multiline = positions.multiline
    problems: list[LoadProblem] = []
    # anchor -> (value, its nodes, where a scalar is written: line, column; 0, 0 for a mapping or sequence)
    anchors: dict[str, tuple[Any, int, int, int]] = {}
    # (container, marks, is_map, key, key_line, key_col, merges, anchor, start, nodes_at_start)
    stack: list[tuple[Any, ...]] = []
    push = stack.append
    pop = stack.pop
    container: Any = None
    marks: Any = None
    is_map = False
    key: Any = _NO_KEY
    no_key = _NO_KEY
    key_line = key_col = 0
    merges: list[tuple[Any, int, int]] | None = None
    anchor_open: str | None = None
    start = (1, 1)
    nodes_at_start = 0
    root: Any = None
    have_root = False
    documents = 0
    nodes = 0
    expansion = 0
    resolve = resolve_plain
    scalar_tags = _SCALAR_TAGS
    SCALAR, MAPPING, SEQUENCE, END, ALIAS, DOCUMENT, STREAM_END = (  # locals, for speed
        _SCALAR,
        _MAPPING,
        _SEQUENCE,
        _END,
        _ALIAS,
        _DOCUMENT,
        _STREAM_END,
    )

    def duplicate(k: str, line: int, col: int, first: tuple[int, ...]) -> None:  # a key is its text (see above)
        positions.shadowing.add((first[0], first[1]))
        problems.append(LoadProblem(DUPLICATE.ID, line, col, DUPLICATE.message(k, first[0])))

    while True:
        kind = event[0]
        if kind == SCALAR:
            _, text, style, tag, anchor, mark, end = event
            nodes += 1
            if style and end.line != mark.line:  # a plain scalar ends at a comment: it holds no "#" to mistake
                multiline.append((mark.line + 1, end.line + 1, end.column + 1))
            if tag is not None and tag != "!" and tag not in scalar_tags:
                raise LoadAbort(_bad_tag(tag, mark.line + 1, mark.column + 1, _secret(key) if is_map else None))
            if key is no_key and is_map:  # a key: stays as written
                # only a plain << is YAML's merge key; a quoted or tagged "<<" is a key like any other
                key = _QUOTED_MERGE_KEY if text == "<<" and (style or tag is not None) else text
                key_line = mark.line + 1
                key_col = mark.column + 1
                if anchor is not None:
                    anchors[anchor] = (key, 1, key_line, key_col)
                event = get_event()
                continue
            line = mark.line + 1
            col = mark.column + 1
            try:
                if tag is None:
                    value = text if style else resolve(text)
                elif tag == "!":
                    value = text
                else:
                    try:
                        value = _resolve_tagged(tag, text)
                    except ValueError as exc:
                        secret = _secret(key) if is_map else None
                        said = f"`{secret}` is not a valid {_tag_name(tag)}; remove the tag or fix the value"
                        raise LoadAbort(LoadProblem(SYNTAX.ID, line, col, said if secret else str(exc))) from None
            except NumberTooLong as exc:
                raise LoadAbort(_too_long(exc.digits, key if is_map else no_key, line, col)) from None
            if anchor is not None:
                anchors[anchor] = (value, 1, line, col)
        elif kind == MAPPING or kind == SEQUENCE:  # noqa: PLR1714, SIM109 (no tuple built per event)
            _, tag, anchor, mark = event
            line = mark.line + 1
            col = mark.column + 1
            if tag is not None and tag not in _COLLECTION_TAGS:
                raise LoadAbort(_bad_tag(tag, line, col))
            if is_map and key is no_key:
                raise LoadAbort(
                    LoadProblem(SYNTAX.ID, line, col, "a mapping key must be a plain scalar, not a mapping or sequence")
                )
            if len(stack) >= MAX_DEPTH:
                raise LoadAbort(
                    LoadProblem(
                        SYNTAX.ID,
                        line,
                        col,
                        f"nesting deeper than {MAX_DEPTH} levels; a mailconf file needs about 5",
                    )
                )
            push((container, marks, is_map, key, key_line, key_col, merges, anchor_open, start, nodes_at_start))
            nodes += 1
            if kind == MAPPING:
                is_map = True
                container = {}
                marks = {}
            else:
                is_map = False
                container = []
                marks = []
            by_container[id(container)] = marks
            key = no_key
            merges = None
            anchor_open = anchor
            start = (line, col)
            nodes_at_start = nodes
            event = get_event()
            continue
        elif kind == END:
            value = container
            if merges:
                _merge(value, marks, merges, by_container, positions.shadowing)
            if anchor_open is not None:
                anchors[anchor_open] = (value, nodes - nodes_at_start + 1, 0, 0)
            line, col = start
            (container, marks, is_map, key, key_line, key_col, merges, anchor_open, start, nodes_at_start) = pop()
        elif kind == ALIAS:
            _, anchor, mark = event
            line = mark.line + 1
            col = mark.column + 1
            target = anchors.get(anchor)
            if target is None:
                secret = _secret(key) if is_map else None
                message = (
                    f"`{secret}` is an alias (a value starting with *), and no anchor of its name is defined before "
                    "it; quote the value"
                    if secret
                    else f"unknown alias *{anchor}{_alias_hint(anchor, anchors)}"
                )
                raise LoadAbort(LoadProblem(SYNTAX.ID, line, col, message))
            if is_map and key is no_key:
                raise LoadAbort(LoadProblem(SYNTAX.ID, line, col, "an alias cannot be used as a mapping key"))
            value, size, anchor_line, anchor_col = target
            nodes += size
            expansion += size
            if expansion > MAX_ALIAS_EXPANSION:
                raise LoadAbort(
                    LoadProblem(
                        SYNTAX.ID,
                        line,
                        col,
                        f'aliases expand to more than {MAX_ALIAS_EXPANSION:,} nodes (a "billion laughs" file?); '
                        "use fewer nested aliases",
                    )
                )
            if anchor_line:  # a scalar is where its anchor is written, as a mapping's keys are (one place, one finding)
                line, col = anchor_line, anchor_col
        elif kind == DOCUMENT:
            documents += 1
            if documents > 1:
                mark = event[1]
                raise LoadAbort(
                    LoadProblem(
                        SYNTAX.ID,
                        mark.line + 1,
                        mark.column + 1,
                        _MORE_DOCUMENTS,
                    )
                )
            event = get_event()
            continue
        elif kind == STREAM_END:
            break
        else:
            event = get_event()
            continue
        # place `value`, which starts at (line, col), into the open container
        if is_map:
            if key == "<<" and key is not _QUOTED_MERGE_KEY:
                if merges is None:
                    merges = []
                merges.append((value, key_line, key_col))
            elif key in marks:
                duplicate(key, key_line, key_col, marks[key])
            else:
                container[key] = value
                marks[key] = (key_line, key_col, line, col)
            key = no_key
        elif container is not None:
            container.append(value)
            marks.append((line, col))
        else:
            root, have_root = value, True
            positions.root = (line, col)
        event = get_event()
    if not have_root or root is None:
        raise LoadAbort(LoadProblem(SCHEMA.ID, 1, 1, EMPTY_FILE))
    return root, positions, problems


def _too_long(digits: int, key: Any, line: int, col: int) -> LoadProblem:
    """MC002: no setting takes such a number (the schema could not even be asked: it is no int yet)."""
    name = f"`{key}`" if isinstance(key, str) and key.isprintable() and len(key) <= 64 else "this value"
    return LoadProblem(
        SCHEMA.ID,
        line,
        col,
        f"{name} is a number of {digits:,} digits, far too large for any setting "
        f"(mailconf reads numbers of at most {MAX_NUMBER_DIGITS} digits); write the intended value",
    )


def _tag_name(tag: str) -> str:
    return "!!" + tag[len(TAG_PREFIX) :] if tag.startswith(TAG_PREFIX) else tag


def _secret(key: Any) -> str | None:
    """The key, when its value may hold a secret: an error about that value never shows what is written there
    (``password: !Hunter2`` is a tag, ``password: *Hunter2`` an alias, in YAML)."""
    return key if isinstance(key, str) and key in SECRET_KEYS else None


def _bad_tag(tag: str, line: int, col: int, secret: str | None = None) -> LoadProblem:
    if secret:
        return LoadProblem(
            SYNTAX.ID,
            line,
            col,
            f"`{secret}` has a tag (a value starting with !), which is not allowed (mailconf reads only standard "
            "YAML types and never constructs objects); quote the value",
        )
    return LoadProblem(SYNTAX.ID, line, col, SYNTAX.tag_refused(_tag_name(tag)))


def _merge(
    container: dict[Any, Any],
    marks: KeyMarks,
    merges: list[tuple[Any, int, int]],
    by_container: dict[int, Any],
    shadowing: set[tuple[int, int]],
) -> None:
    """YAML merge keys: explicit keys win (each one a source also gives goes in ``shadowing``); earlier merge
    sources win over later ones."""
    own = set(container)
    for value, kl, kc in merges:
        for source in value if isinstance(value, list) else [value]:
            if not isinstance(source, dict):
                raise LoadAbort(
                    LoadProblem(SYNTAX.ID, kl, kc, "a merge key (<<) takes a mapping or a list of mappings")
                )
            source_marks = by_container.get(id(source), {})
            for key, item in source.items():
                if key not in container:
                    container[key] = item
                    if key in source_marks:
                        marks[key] = source_marks[key]
                elif key in own:
                    shadowing.add((marks[key][0], marks[key][1]))
