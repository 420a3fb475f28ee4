"""POSIX extended regular expressions (ERE) matched in time linear in the text, for the hook patterns of a muttrc.

mutt and neomutt compile a hook's pattern with the C library's ``regcomp(REG_EXTENDED)``. Python's ``re`` is a
backtracking matcher: a hostile pattern such as ``(a+)+b`` against a mailbox URL of 36 ``a`` took it longer than
any deadline (an import of such a muttrc never ended). Here a pattern is compiled into a Thompson NFA and run
with every live state at once (Pike's VM without captures): each character of the text costs at most one step per
state, whatever the pattern.

What is read (POSIX ERE, as glibc reads it): literals; ``.``; bracket expressions (``[a-z]``, ``[^/]``,
``[]x]``, ``[[:alpha:]]``; a backslash in one is itself); ``*``, ``+``, ``?`` and intervals ``{m}``, ``{m,}``,
``{m,n}`` (n at most 255, RE_DUP_MAX); groups; ``|``; the anchors ``^`` and ``$`` anywhere; a backslash
before a character that is not a letter, a digit or one of ``<>`'`` takes it literally (``\\.``, ``\\/``), and
glibc's ``\\w``, ``\\W``, ``\\s`` and ``\\S`` are their classes. What is not (``\\b``, ``\\<``,
back-references, collating elements ``[.x.]``, a repetition of nothing or of an anchor alone) is
:class:`Unsupported`: the caller says the hook is not applied.

Every search draws on a :class:`Budget` of steps shared by one import, so that many hooks times many mailboxes
cannot take long either: when it is spent the search raises :class:`Spent`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

#: glibc's RE_DUP_MAX: the largest count an interval may give
DUP_MAX = 255
#: the most NFA states one pattern may compile to (an interval multiplies its atom); a pattern of a hook is short
MAX_STATES = 4096
#: groups nested this deep at most (each is a level of the parser's recursion)
MAX_DEPTH = 64
#: ranges and classes in one bracket expression at most (a character outside ASCII is tested against each)
MAX_RANGES = 64

_CLASSES: dict[str, Callable[[str], bool]] = {
    "alpha": str.isalpha,
    "digit": lambda c: "0" <= c <= "9",
    "alnum": str.isalnum,
    "upper": str.isupper,
    "lower": str.islower,
    "space": str.isspace,
    "blank": lambda c: c in " \t",
    "punct": lambda c: c.isascii() and c.isprintable() and not c.isalnum() and c != " ",
    "print": str.isprintable,
    "graph": lambda c: c.isprintable() and c != " ",
    "cntrl": lambda c: not c.isprintable(),
    "xdigit": lambda c: c in "0123456789abcdefABCDEF",
}
_WORD: Callable[[str], bool] = lambda c: c.isalnum() or c == "_"  # noqa: E731
_ESCAPED_CLASSES: dict[str, Callable[[str], bool]] = {
    "w": _WORD,
    "W": lambda c: not _WORD(c),
    "s": str.isspace,
    "S": lambda c: not c.isspace(),
}


class Unsupported(ValueError):
    """A pattern this module does not read, or that is not a valid ERE: the hook cannot be matched here."""


class Spent(RuntimeError):
    """The import's :class:`Budget` of matching steps is used up."""


class Budget:
    """Steps of matching left to one import (one step: one NFA state for one character of the text)."""

    __slots__ = ("left",)

    def __init__(self, steps: int) -> None:
        self.left = steps

    def spend(self, steps: int) -> None:
        self.left -= steps
        if self.left < 0:
            raise Spent


# --- the NFA ----------------------------------------------------------------------------------------------------


def _never(char: str) -> bool:
    return False


class _Instruction(NamedTuple):
    """One state: "char" (read a character that passes ``test``), "split" (go on at ``x`` and at ``y``), "jump"
    (to ``x``), "bol" and "eol" (the anchors), "match"."""

    kind: str
    x: int = 0
    y: int = 0
    test: Callable[[str], bool] = _never


class Pattern(NamedTuple):
    program: tuple[_Instruction, ...]
    literal: str | None  # the whole pattern when it is a plain string (no operator): a substring test


def compile_ere(pattern: str) -> Pattern:
    """``pattern`` compiled; Unsupported when it is not one this module reads (see the module's docstring)."""
    parser = _Parser(pattern)
    node = parser.alternation(0)
    if parser.at < len(pattern):  # a ")" without its "("
        raise Unsupported(f"unmatched ) at {parser.at + 1}")
    if isinstance(node, _String):
        return Pattern((), node.text)
    program: list[_Instruction] = []
    _emit(node, program)
    program.append(_Instruction("match"))
    return Pattern(tuple(program), None)


def search(pattern: Pattern, text: str, budget: Budget) -> bool:
    """Whether ``pattern`` matches somewhere in ``text`` (regexec without REG_NOTBOL/REG_NOTEOL)."""
    if pattern.literal is not None:
        budget.spend(1)
        return pattern.literal in text
    program = pattern.program
    end = len(text)
    current: list[int] = []
    for at in range(end + 1):
        live = _closure(program, [*current, 0], at, end)  # the start state at every position: a search
        budget.spend(len(live) + 1)
        if any(program[pc].kind == "match" for pc in live):
            return True
        if at == end:
            return False
        char = text[at]
        current = [pc + 1 for pc in live if program[pc].kind == "char" and program[pc].test(char)]
    return False


def _closure(program: tuple[_Instruction, ...], starts: list[int], at: int, end: int) -> list[int]:
    """The states reached from ``starts`` without reading a character (splits, jumps, anchors that hold here)."""
    seen: set[int] = set()
    live: list[int] = []
    stack = list(reversed(starts))
    while stack:
        pc = stack.pop()
        if pc in seen:
            continue
        seen.add(pc)
        op = program[pc]
        kind = op.kind
        if kind == "split":
            stack.append(op.y)
            stack.append(op.x)
        elif kind == "jump":
            stack.append(op.x)
        elif kind == "bol":
            if at == 0:
                stack.append(pc + 1)
        elif kind == "eol":
            if at == end:
                stack.append(pc + 1)
        else:
            live.append(pc)
    return live


# --- parsing into a tree ----------------------------------------------------------------------------------------


class _String(NamedTuple):
    text: str


class _Test(NamedTuple):
    test: Callable[[str], bool]


class _Cat(NamedTuple):
    items: tuple[_Node, ...]


class _Alt(NamedTuple):
    branches: tuple[_Node, ...]


class _Repeat(NamedTuple):
    node: _Node
    low: int
    high: int | None  # None: no limit


class _Anchor(NamedTuple):
    kind: str  # "bol" | "eol"


_Node = _String | _Test | _Cat | _Alt | _Repeat | _Anchor


#: the one-character atoms that are operators: any character, and the anchors
_OPERATORS: dict[str, _Node] = {".": _Test(lambda c: True), "^": _Anchor("bol"), "$": _Anchor("eol")}


class _Parser:
    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.at = 0
        self.states = 0

    def peek(self) -> str:
        return self.pattern[self.at] if self.at < len(self.pattern) else ""

    def alternation(self, depth: int) -> _Node:
        branches = [self.concatenation(depth)]
        while self.peek() == "|":
            self.at += 1
            branches.append(self.concatenation(depth))
        return branches[0] if len(branches) == 1 else _Alt(tuple(branches))

    def concatenation(self, depth: int) -> _Node:
        items: list[_Node] = []
        while self.peek() not in ("", "|", ")"):
            atom = self.atom(depth)
            atom = self.repetitions(atom)
            items.append(atom)
        if not items:
            raise Unsupported("an empty alternative")
        merged: list[_Node] = []  # runs of single characters: one string (a substring test when that is all)
        for item in items:
            last = merged[-1] if merged else None
            if isinstance(item, _String) and isinstance(last, _String):
                merged[-1] = _String(last.text + item.text)
            else:
                merged.append(item)
        return merged[0] if len(merged) == 1 else _Cat(tuple(merged))

    def atom(self, depth: int) -> _Node:
        char = self.peek()
        self.at += 1
        self.count(1)
        if char == "(":
            if depth >= MAX_DEPTH:
                raise Unsupported(f"groups nested deeper than {MAX_DEPTH}")
            inner = self.alternation(depth + 1)
            if self.peek() != ")":
                raise Unsupported("a ( without its )")
            self.at += 1
            return inner
        if char in _OPERATORS:
            return _OPERATORS[char]
        if char == "[":
            return _Test(self.bracket())
        if char in "*+?{":
            raise Unsupported(f"{char} repeats nothing")
        if char == "\\":
            return self.escape()
        return _String(char)

    def escape(self) -> _Node:
        char = self.peek()
        if not char:
            raise Unsupported("a \\ at the end")
        self.at += 1
        if char in _ESCAPED_CLASSES:
            return _Test(_ESCAPED_CLASSES[char])
        if char.isalnum() or char in "<>`'":  # a back-reference, or one of glibc's anchors (\b, \<, \`) ...
            raise Unsupported(f"\\{char}")
        return _String(char)

    def bracket(self) -> Callable[[str], bool]:
        negated = self.peek() == "^"
        if negated:
            self.at += 1
        chars: set[str] = set()
        ranges: list[tuple[str, str]] = []
        tests: list[Callable[[str], bool]] = []
        first = True
        while True:
            char = self.peek()
            if not char:
                raise Unsupported("a [ without its ]")
            if char == "]" and not first:
                self.at += 1
                break
            first = False
            if self.pattern.startswith(("[.", "[="), self.at):
                raise Unsupported("a collating element or class")
            if self.pattern.startswith("[:", self.at):
                close = self.pattern.find(":]", self.at + 2)
                name = self.pattern[self.at + 2 : close] if close >= 0 else ""
                if name not in _CLASSES:
                    raise Unsupported(f"[:{name}:]")
                tests.append(_CLASSES[name])
                self.at = close + 2
                continue
            self.at += 1
            if self.peek() == "-" and self.pattern[self.at + 1 : self.at + 2] not in ("]", ""):
                high = self.pattern[self.at + 1]
                if high < char:
                    raise Unsupported(f"the range {char}-{high}")
                ranges.append((char, high))
                self.at += 2
            else:
                chars.add(char)
        if len(ranges) + len(tests) > MAX_RANGES:
            raise Unsupported(f"a bracket expression of more than {MAX_RANGES} ranges and classes")
        members = frozenset(chars)

        def slow(c: str) -> bool:
            inside = c in members or any(low <= c <= high for low, high in ranges) or any(t(c) for t in tests)
            return inside != negated

        # a URL is nearly all ASCII: its characters are one set lookup, whatever the ranges and classes
        ascii_in = frozenset(c for c in map(chr, range(128)) if slow(c))
        return lambda c: c in ascii_in if c < "\x80" else slow(c)

    def repetitions(self, atom: _Node) -> _Node:
        while self.peek() in ("*", "+", "?", "{"):
            if isinstance(atom, _Anchor):
                raise Unsupported("a repeated anchor")
            char = self.peek()
            self.at += 1
            if char == "*":
                atom = _repeated(atom, 0, None)
            elif char == "+":
                atom = _repeated(atom, 1, None)
            elif char == "?":
                atom = _repeated(atom, 0, 1)
            else:
                atom = _Repeat(atom, *self.interval())
                self.count(_size(atom))
        return atom

    def interval(self) -> tuple[int, int | None]:
        close = self.pattern.find("}", self.at)
        body = self.pattern[self.at : close] if close >= 0 else ""
        low_text, comma, high_text = body.partition(",")
        if not low_text.isdigit() or not (high_text.isdigit() or not high_text) or not low_text.isascii():
            raise Unsupported("an interval that is not {m}, {m,} or {m,n}")
        low = int(low_text)
        high = None if comma and not high_text else int(high_text) if comma else low
        if low > DUP_MAX or (high is not None and (high > DUP_MAX or high < low)):
            raise Unsupported(f"the interval {{{body}}}")
        self.at = close + 1
        return low, high

    def count(self, states: int) -> None:
        self.states += states
        if self.states > MAX_STATES:
            raise Unsupported(f"more than {MAX_STATES} states")


def _repeated(atom: _Node, low: int, high: int | None) -> _Repeat:
    """``atom`` repeated ``*`` (0, None), ``+`` (1, None) or ``?`` (0, 1). A repetition of such a repetition (or of
    one of ``{1}``, ``{0,1}``, ``{1,}``) is one: ``x??`` matches where ``x?`` does, ``x+?`` and ``x?+`` where ``x*``
    does, as glibc finds them. Nested, a run of 2,000 ``?`` recursed 2,000 levels deep (a RecursionError, an internal
    error); a run of intervals is bounded by MAX_STATES."""
    while isinstance(atom, _Repeat) and atom.low <= 1 and atom.high in (1, None):
        low, high = atom.low * low, None if atom.high is None or high is None else 1
        atom = atom.node
    return _Repeat(atom, low, high)


def _size(node: _Node) -> int:
    """About how many states ``node`` compiles to (for MAX_STATES, before it is compiled)."""
    if isinstance(node, _String):
        return len(node.text)
    if isinstance(node, _Cat):
        return sum(map(_size, node.items)) + 1
    if isinstance(node, _Alt):
        return sum(map(_size, node.branches)) + 2 * len(node.branches)
    if isinstance(node, _Repeat):
        return (_size(node.node) + 2) * max(node.high if node.high is not None else node.low + 1, 1)
    return 1


def _emit(node: _Node, program: list[_Instruction]) -> None:
    if isinstance(node, _String):
        program.extend(_Instruction("char", test=char.__eq__) for char in node.text)
    elif isinstance(node, _Test):
        program.append(_Instruction("char", test=node.test))
    elif isinstance(node, _Anchor):
        program.append(_Instruction(node.kind))
    elif isinstance(node, _Cat):
        for item in node.items:
            _emit(item, program)
    elif isinstance(node, _Alt):
        jumps: list[int] = []
        for branch in node.branches[:-1]:
            split = len(program)
            program.append(_Instruction("split", split + 1, -1))
            _emit(branch, program)
            jumps.append(len(program))
            program.append(_Instruction("jump", -1))
            program[split] = _Instruction("split", split + 1, len(program))
        _emit(node.branches[-1], program)
        for jump in jumps:
            program[jump] = _Instruction("jump", len(program))
    else:
        _emit_repeat(node, program)


def _emit_repeat(node: _Repeat, program: list[_Instruction]) -> None:
    for _ in range(node.low):
        _emit(node.node, program)
    if node.high is None:  # then any more: split to the atom or past it, the atom jumping back to the split
        split = len(program)
        program.append(_Instruction("split", split + 1, -1))
        _emit(node.node, program)
        program.append(_Instruction("jump", split))
        program[split] = _Instruction("split", split + 1, len(program))
        return
    splits: list[int] = []
    for _ in range(node.high - node.low):  # each one more is optional
        splits.append(len(program))
        program.append(_Instruction("split", len(program) + 1, -1))
        _emit(node.node, program)
    for split in splits:
        program[split] = _Instruction("split", split + 1, len(program))
