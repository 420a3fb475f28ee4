"""The muttrc lexer against the one it replaced, kept here verbatim: the old lexer read a file one character
at a time (about 9 s for 4 MB of ``a=b ``), the new one takes runs of ordinary characters at once. Both must
give the same commands (every word's text, commands, flags, column, ``=`` and ``$`` positions, and each
command's location) or the same error, for generated muttrc-like text: quotes, backslashes, octal and control
escapes, backticks, comments, ``$name`` and ``${name}``. A continued line is joined before the lexer reads
the text (``join_continued``, as mutt joins it; tests/importers/test_muttrc_lexer.py checks it against mutt), so
both read the text joined."""

from __future__ import annotations

import random
from collections.abc import Iterator
from functools import partial

from hypothesis import given, settings
from hypothesis import strategies as st

from mailconf.importers import Unreadable, _muttrc
from mailconf.importers._muttrc import Command, Word, join_continued, lex
from mailconf.model import Location
from tests._work import lines_run

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "e": "\x1b", "f": "\f"}

#: what muttrc text is made of, each piece something that changes how the lexer reads what follows
PIECES = (
    "a", "b", "set", "from", "=", " = ", "x_1", "0", "7", "9", "é", "\u00ff",
    " ", "  ", "\t", "\r", "\n", ";", "#", "# c\n", "'", "'q'", '"', '"d d"', "`", "`cmd`", "\\",
    "\\\n", "\\101", "\\08", "\\c", "\\C", "\\n", "\\\"", "$", "$A", "$a_1", "${", "${B}", "{", "}",
    "$1", "$$", "\x00",
)  # fmt: skip


class _OldLexer:
    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self.i = 0
        self.line = 1
        self.line_start = 0
        #: where the last ${ without a } stopped looking for it
        self.no_brace_until = 0

    def where(self, at: int | None = None) -> Location:
        return Location(self.path, self.line, (self.i if at is None else at) - self.line_start + 1)

    def commands(self) -> Iterator[Command]:
        words: list[Word] = []
        start = self.where()
        text = self.text
        while self.i < len(text):
            ch = text[self.i]
            if ch in {"\n", ";"}:
                if words:
                    yield Command(tuple(words), start)
                words = []
                self.i += 1
                if ch == "\n":
                    self.line += 1
                    self.line_start = self.i
                start = self.where()
            elif ch in " \t\r":
                self.i += 1
            elif ch == "#":
                end = text.find("\n", self.i)
                self.i = len(text) if end < 0 else end
            elif ch == "\\" and text.startswith("\n", self.i + 1):
                self.i += 2  # a continued line
                self.line += 1
                self.line_start = self.i
            else:
                if not words:
                    start = self.where()
                words.append(self.word())
        if words:
            yield Command(tuple(words), start)

    def word(self) -> Word:
        text = self.text
        column = self.i - self.line_start + 1
        out: list[str] = []
        commands: list[str] = []
        expands = False
        equals = -1
        pieces = 0
        only_command = False
        variables: list[tuple[int, int, str]] = []
        size = 0  # the length of out's text, kept as it grows (summed at each piece, a long word was quadratic)
        while self.i < len(text):
            ch = text[self.i]
            if ch in " \t\r\n;#":
                break
            pieces += 1
            if ch == "'":
                end = text.find("'", self.i + 1)
                if end < 0 or text.find("\n", self.i + 1, end) >= 0:  # bounded: a line of quotes stays linear
                    raise Unreadable(self.where(), "unbalanced single quote", "close it with ' on the same line")
                out.append(text[self.i + 1 : end])
                self.i = end + 1
            elif ch == '"':
                quoted, inner, expanded, found = self.double()
                variables.extend((size + start, size + end, name) for start, end, name in found)
                out.append(quoted)
                commands.extend(inner)
                expands = expands or expanded
                only_command = len(inner) == 1 and quoted == f"`{inner[0]}`"
            elif ch == "`":
                command = self.backtick()
                out.append(f"`{command}`")
                commands.append(command)
                only_command = True
            elif ch == "\\":
                out.append(self.escape())
            else:
                if ch == "=" and equals < 0:
                    equals = size
                expands = self.character(" \t\r\n;#'\"`\\", out, variables, size) or expands
            size += len(out[-1])
        word = "".join(out)
        return Word(word, tuple(commands), only_command and pieces == 1, expands, column, equals, tuple(variables))

    def character(self, ends: str, out: list[str], variables: list[tuple[int, int, str]], size: int) -> bool:
        """The character at the cursor appended to ``out``, or the ``$`` reference it starts (:meth:`variable`, which
        ``ends`` end), recorded in ``variables`` at ``size``, the length of ``out`` so far; whether it is a ``$``."""
        ch = self.text[self.i]
        reference = self.variable(ends) if ch == "$" else None
        if reference is not None:
            variables.append((size, size + len(reference[0]), reference[1]))
            out.append(reference[0])
        else:
            out.append(ch)
            self.i += 1
        return ch == "$"

    def variable(self, ends: str) -> tuple[str, str] | None:
        """At a ``$``: the reference mutt expands (parse.c mutt_extract_token: ``$`` then a letter, or ``${...}``)
        as (its text, the name), the lexer moved past it; None when mutt keeps the ``$`` as it is."""
        text = self.text
        start = self.i
        if text.startswith("{", start + 1):
            if start < self.no_brace_until:
                return None  # a ${ before it found no } in the word: neither will this one (a line of ${ is linear)
            end = start + 2
            while end < len(text) and text[end] != "}" and text[end] not in ends:
                end += 1
            if end >= len(text) or text[end] != "}":
                self.no_brace_until = end
                return None  # no closing brace in the word: kept as text (and reported as any other $)
            self.i = end + 1
            return text[start : end + 1], text[start + 2 : end]
        if not (start + 1 < len(text) and text[start + 1].isascii() and text[start + 1].isalpha()):
            return None
        end = start + 1
        while end < len(text) and text[end].isascii() and (text[end].isalnum() or text[end] == "_"):
            end += 1
        self.i = end
        return text[start:end], text[start + 1 : end]

    def double(self) -> tuple[str, list[str], bool, list[tuple[int, int, str]]]:
        text = self.text
        opening = self.where()
        self.i += 1
        out: list[str] = []
        commands: list[str] = []
        expands = False
        variables: list[tuple[int, int, str]] = []
        size = 0
        while True:
            if self.i >= len(text) or text[self.i] == "\n":
                raise Unreadable(opening, "unbalanced double quote", 'close it with " on the same line')
            ch = text[self.i]
            if ch == '"':
                self.i += 1
                return "".join(out), commands, expands, variables
            if ch == "\\":
                out.append(self.escape())
            elif ch == "`":
                command = self.backtick()
                out.append(f"`{command}`")
                commands.append(command)
            else:
                expands = self.character('"\n`\\', out, variables, size) or expands
            size += len(out[-1])

    def backtick(self) -> str:
        text = self.text
        end = text.find("`", self.i + 1)
        if end < 0 or text.find("\n", self.i + 1, end) >= 0:  # bounded: a line of commands stays linear
            raise Unreadable(self.where(), "unbalanced backtick", "close the command with ` on the same line")
        command = text[self.i + 1 : end]
        self.i = end + 1
        return command

    def escape(self) -> str:
        text = self.text
        nxt = text[self.i + 1 : self.i + 2]
        if not nxt or nxt == "\n":
            self.i += 1
            return ""
        octal = text[self.i + 1 : self.i + 4]
        if len(octal) == 3 and all(c in "01234567" for c in octal):
            self.i += 4
            return chr(int(octal, 8))
        self.i += 2
        if nxt in "cC" and self.i < len(text):
            control = text[self.i]
            if not control.isascii():  # as the lexer now refuses it (a TypeError for "ß" before)
                raise Unreadable(
                    self.where(),
                    "\\c before a non-ASCII character: mutt would take its first byte alone",
                    "write the character itself, or the control character as \\NNN (octal)",
                )
            self.i += 1
            return chr((ord(control.upper()) - 0x40) & 0x7F)  # as the lexer now computes it (mutt's formula)
        return _ESCAPES.get(nxt, nxt)


def _old(text: str) -> list[Command] | tuple[str, str]:
    try:
        return list(_OldLexer("f", join_continued(text)[0]).commands())
    except Exception as exc:  # noqa: BLE001 (any failure of the old lexer is one the new one must share)
        return type(exc).__name__, str(exc)


def _new(text: str) -> list[Command] | tuple[str, str]:
    try:
        # without `joined` (whether a ; starts it), which the old lexer did not give (tests/importers/test_import_cli.py
        # checks what it is for: the rest of a line after a source that fails)
        return [command._replace(joined=False) for command in lex("f", join_continued(text)[0])]
    except Exception as exc:  # noqa: BLE001 (as _old)
        return type(exc).__name__, str(exc)


def _texts(seed: int, count: int) -> Iterator[str]:
    generator = random.Random(seed)
    for _ in range(count):
        yield "".join(generator.choice(PIECES) for _ in range(generator.randint(0, 40)))


def test_the_lexer_reads_seeded_muttrc_like_text_as_the_old_one() -> None:
    for text in _texts(20261206, 20_000):
        assert _new(text) == _old(text), repr(text)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(PIECES) | st.text(max_size=3), max_size=40).map("".join))
def test_the_lexer_reads_generated_muttrc_like_text_as_the_old_one(text: str) -> None:
    assert _new(text) == _old(text)


def test_the_lexer_reads_long_words_and_blank_runs_as_the_old_one() -> None:
    for text in ("a=b " * 5000, "set x = " + "a" * 50_000, "\t" * 10_000 + "x", '"' + "q$x" * 5000 + '"'):
        assert _new(text) == _old(text)


def _lines_run(text: str) -> int:
    """How many lines of the lexer Python runs to read ``text``: its work, counted without a clock."""
    return lines_run(partial(lex, "f", text), _muttrc)


def test_the_lexer_reads_long_runs_of_ordinary_characters_at_once() -> None:
    # a character at a time, each of these 300,000 characters ran lines of its own (3.6 million in all)
    text = "set x = " + "a" * 100_000 + ' y = "' + "b" * 100_000 + '"' + " " * 100_000 + "\n"
    assert _lines_run(text) < 500
