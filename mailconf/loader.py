"""YAML bytes -> plain data (dict, list, str, int, float, bool, None) + positions.

The fast path: ruamel.yaml's C parser (libyaml) produces events, and this
module builds the data from them iteratively, recording where every key and
value starts. No node tree and no round-trip structures are built, no Python
object is ever constructed from a tag, and hostile input meets explicit limits:

- tags other than the standard YAML ones (``!!python/object`` ...) are findings;
- aliases may expand to at most ``MAX_ALIAS_EXPANSION`` nodes ("billion laughs");
- nesting deeper than ``MAX_DEPTH`` is a finding, never a recursion error;
- duplicate keys are findings (MC701), the first value is kept;
- a byte-order mark, CRLF line ends, an empty file and bytes that are not UTF-8
  each give one located finding.

Scalars are resolved with the YAML 1.2 core schema (``yes``/``no`` stay strings,
as in ruamel.yaml), keys stay the text that was written.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from ruamel.yaml.cyaml import CBaseLoader as _Parser  # needs ruamel.yaml.clib, a declared dependency

from .model import YamlPath

MAX_DEPTH = 64
MAX_ALIAS_EXPANSION = 1_000_000


class LoadProblem(NamedTuple):
    rule: str  # MC001 yaml-syntax, MC003 ..., MC701 duplicate key
    line: int
    column: int
    message: str


#: key -> (key line, key column, value line, value column), all 1-based.
KeyMarks = dict[Any, tuple[int, int, int, int]]


@dataclass
class Positions:
    """Where things are. Containers are found by identity: keep the data alive."""

    by_container: dict[int, KeyMarks | list[tuple[int, int]]] = field(default_factory=dict)
    root: tuple[int, int] = (1, 1)

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


def resolve_plain(text: str) -> Any:
    """A plain (unquoted) scalar per the YAML 1.2 core schema."""
    if text in _NULLS:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if text[0] in _NUMERIC_START:
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
    value = resolve_plain(text) if text else None
    expected: dict[str, Callable[[Any], bool]] = {
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "bool": lambda v: isinstance(v, bool),
        "null": lambda v: v is None,
    }
    if not expected[kind](value):
        raise ValueError(f"{text!r} is not a valid !!{kind}")
    return float(value) if kind == "float" else value


_NO_KEY = object()


class LoadAbort(Exception):
    def __init__(self, problem: LoadProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def decode(raw: bytes) -> tuple[str, list[LoadProblem]]:
    """Bytes -> text, with located findings for a BOM and bytes that are not UTF-8."""
    problems: list[LoadProblem] = []
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise LoadAbort(
            LoadProblem("MC003", 1, 1, "file is UTF-16 (it starts with a UTF-16 byte-order mark); save it as UTF-8")
        )
    if raw.startswith(b"\xef\xbb\xbf"):
        problems.append(
            LoadProblem("MC004", 1, 1, "file starts with a UTF-8 byte-order mark; save it as UTF-8 without a BOM")
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
            LoadProblem("MC003", line, column, f"file is not valid UTF-8 (byte 0x{bad:02X}); save it as UTF-8")
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
        problems.append(LoadProblem("MC005", line, column, "CRLF line ends; convert the file to LF line ends"))
    try:
        data, positions, more = _build(text)
    except LoadAbort as abort:
        return Loaded(None, Positions(), [*problems, abort.problem])
    return Loaded(data, positions, problems + more)


def _syntax(exc: YAMLError) -> LoadProblem:
    if isinstance(exc, MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        what = exc.problem or "invalid YAML"
        context = f" ({exc.context})" if exc.context else ""
        return LoadProblem("MC001", mark.line + 1, mark.column + 1, f"YAML syntax error: {what}{context}")
    reason = getattr(exc, "reason", None) or str(exc).splitlines()[0]
    return LoadProblem("MC001", 1, 1, f"YAML syntax error: {reason}")


def _build(text: str) -> tuple[Any, Positions, list[LoadProblem]]:  # noqa: C901, PLR0912, PLR0915
    """One tight loop over the C parser's events (the hot path of ``mailconf lint``).

    The state of the innermost open container lives in locals; the stack holds
    the outer ones. ``nodes`` counts nodes as if aliases were expanded, which
    bounds the work of every later stage.
    """
    parser = _Parser(text)
    get_event = parser.get_event
    positions = Positions()
    by_container = positions.by_container
    problems: list[LoadProblem] = []
    anchors: dict[str, tuple[Any, int]] = {}
    # (container, marks, is_map, key, key_line, key_col, explicit, merges, anchor, start, nodes_at_start)
    stack: list[tuple[Any, ...]] = []
    container: Any = None
    marks: Any = None
    is_map = False
    key: Any = _NO_KEY
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

    def duplicate(k: Any, line: int, col: int, first: tuple[int, ...]) -> None:
        problems.append(
            LoadProblem(
                "MC701", line, col,
                f"duplicate key {k!r} (first defined at line {first[0]}); YAML keeps only one: remove or rename one",
            )  # fmt: skip
        )

    try:
        while True:
            event = get_event()
            cls = event.__class__
            mark = event.start_mark
            line = mark.line + 1
            col = mark.column + 1
            if cls is ScalarEvent:
                nodes += 1
                tag = event.tag
                if tag is not None and tag != "!" and tag not in scalar_tags:
                    raise LoadAbort(_bad_tag(tag, line, col))
                if is_map and key is _NO_KEY:  # a key: stays as written
                    key, key_line, key_col = event.value, line, col
                    if event.anchor is not None:
                        anchors[event.anchor] = (key, 1)
                    continue
                if tag is None:
                    value = resolve(event.value) if not event.style else event.value
                elif tag == "!":
                    value = event.value
                else:
                    try:
                        value = _resolve_tagged(tag, event.value)
                    except ValueError as exc:
                        raise LoadAbort(LoadProblem("MC001", line, col, f"{exc}; remove the tag or fix the value")) from None
                if event.anchor is not None:
                    anchors[event.anchor] = (value, 1)
            elif cls is MappingStartEvent or cls is SequenceStartEvent:
                tag = event.tag
                if tag is not None and tag not in _COLLECTION_TAGS:
                    raise LoadAbort(_bad_tag(tag, line, col))
                if is_map and key is _NO_KEY:
                    raise LoadAbort(
                        LoadProblem("MC001", line, col, "a mapping key must be a plain scalar, not a mapping or sequence")
                    )
                if len(stack) >= MAX_DEPTH:
                    raise LoadAbort(
                        LoadProblem(
                            "MC001", line, col,
                            f"nesting deeper than {MAX_DEPTH} levels; a mailconf file needs about 5",
                        )  # fmt: skip
                    )
                stack.append(
                    (container, marks, is_map, key, key_line, key_col, merges, anchor_open, start, nodes_at_start)
                )
                nodes += 1
                is_map = cls is MappingStartEvent
                container = {} if is_map else []
                marks = {} if is_map else []
                by_container[id(container)] = marks
                key = _NO_KEY
                merges = None
                anchor_open = event.anchor
                start = (line, col)
                nodes_at_start = nodes
                continue
            elif cls is MappingEndEvent or cls is SequenceEndEvent:
                value = container
                if merges:
                    _merge(value, marks, merges, by_container)
                if anchor_open is not None:
                    anchors[anchor_open] = (value, nodes - nodes_at_start + 1)
                line, col = start
                (container, marks, is_map, key, key_line, key_col, merges, anchor_open, start, nodes_at_start) = (
                    stack.pop()
                )
            elif cls is AliasEvent:
                target = anchors.get(event.anchor)
                if target is None:
                    raise LoadAbort(LoadProblem("MC001", line, col, f"unknown alias *{event.anchor}"))
                if is_map and key is _NO_KEY:
                    raise LoadAbort(LoadProblem("MC001", line, col, "an alias cannot be used as a mapping key"))
                value, size = target
                nodes += size
                expansion += size
                if expansion > MAX_ALIAS_EXPANSION:
                    raise LoadAbort(
                        LoadProblem(
                            "MC001", line, col,
                            f"aliases expand to more than {MAX_ALIAS_EXPANSION:,} nodes (a \"billion laughs\" file?); "
                            "use fewer nested aliases",
                        )  # fmt: skip
                    )
            elif cls is DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise LoadAbort(
                        LoadProblem("MC001", line, col, "more than one YAML document (---); keep one document per file")
                    )
                continue
            elif cls is StreamEndEvent:
                break
            else:
                continue
            # place `value`, which starts at (line, col), into the open container
            if is_map:
                if key == "<<":
                    if merges is None:
                        merges = []
                    merges.append((value, key_line, key_col))
                elif key in marks:
                    duplicate(key, key_line, key_col, marks[key])
                else:
                    container[key] = value
                    marks[key] = (key_line, key_col, line, col)
                key = _NO_KEY
            elif container is not None:
                container.append(value)
                marks.append((line, col))
            else:
                root, have_root = value, True
                positions.root = (line, col)
    except YAMLError as exc:
        raise LoadAbort(_syntax(exc)) from None
    if not have_root or root is None:
        raise LoadAbort(
            LoadProblem("MC002", 1, 1, "file is empty; write a mapping with `version: 1` and `accounts:`")
        )
    return root, positions, problems


def _bad_tag(tag: str, line: int, col: int) -> LoadProblem:
    shown = "!!" + tag[len(TAG_PREFIX) :] if tag.startswith(TAG_PREFIX) else tag
    return LoadProblem(
        "MC001", line, col,
        f"tag {shown} is not allowed (mailconf reads only standard YAML types and never constructs objects); remove it",
    )  # fmt: skip


def _merge(
    container: dict[Any, Any], marks: KeyMarks, merges: list[tuple[Any, int, int]], by_container: dict[int, Any]
) -> None:
    """YAML merge keys: explicit keys win; earlier merge sources win over later ones."""
    for value, kl, kc in merges:
        for source in value if isinstance(value, list) else [value]:
            if not isinstance(source, dict):
                raise LoadAbort(LoadProblem("MC001", kl, kc, "a merge key (<<) takes a mapping or a list of mappings"))
            source_marks = by_container.get(id(source), {})
            for key, item in source.items():
                if key not in container:
                    container[key] = item
                    if key in source_marks:
                        marks[key] = source_marks[key]
