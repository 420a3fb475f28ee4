r"""A reader of Mozilla prefs files (``prefs.js``, ``user.js``) by libpref's grammar. Nothing is evaluated.

The grammar (modules/libpref/parser/src/lib.rs)::

    pref-file    = pref*
    pref         = pref-spec "(" string "," value attrs ")" ";"
    pref-spec    = "user_pref" | "pref" | "sticky_pref"
    value        = string | "true" | "false" | sign? digits      (a signed 32-bit integer)
    attrs        = ("," ("sticky" | "locked"))*
    string       = '"' ... '"' | "'" ... "'"   escapes \" \' \\ \n \r \xHH \uHHHH (not 0; UTF-16 pairs)
    comments     = "#" or "//" to the end of the line (LF, CR or NUL), "/* ... */"

On an error the parser reports it and skips to the next ``;``, as libpref does; the
prefs before and after are kept. ``tests/importers/test_prefs_oracle.py`` checks this
reader against Thunderbird's own parser (``Services.prefs.parsePrefsFromBuffer``).
"""

from __future__ import annotations

import re
from typing import Generic, NamedTuple, TypeVar

PrefValue = str | int | bool


class Pref(NamedTuple):
    kind: str  # "user" | "default"
    name: str
    value: PrefValue
    line: int
    column: int
    sticky: bool = False
    locked: bool = False


class ParseError(NamedTuple):
    line: int
    column: int
    message: str


class Parsed(NamedTuple):
    prefs: tuple[Pref, ...]
    errors: tuple[ParseError, ...]


class _Error(Exception):
    def __init__(self, at: int, message: str) -> None:
        super().__init__(message)
        self.at = at
        self.message = message


_SPECS = {"pref": "default", "user_pref": "user", "sticky_pref": "default"}
_INT_MAX = 2**31 - 1
_BLANK = " \t\r\n\x0b\x0c"
#: where a comment ends: the first of these from the comment on (each terminator looked for to the end of the text,
#: for every comment, was quadratic: 10 MB of "/*/*/*..." or of "// lines" without a CR never finished)
_LINE_END = re.compile("[\n\r\x00]")
_COMMENT_END = re.compile("\\*/|\x00")


class _Parser:
    def __init__(self, text: str, *, attributes: bool = True) -> None:
        # libpref reads up to the first NUL: the buffer is NUL-terminated
        # libpref's buffer ends with a NUL: a NUL ends the input, except in a line comment, which it ends
        self.text = text[1:] if text.startswith("\ufeff") else text  # a byte-order mark is skipped
        self.i = 0
        #: whether ", sticky" / ", locked" may follow a value: not in prefs.js and user.js, which libpref reads as
        #: user pref files (Preferences.cpp openPrefFile with PrefValueKind::User; parser/src/lib.rs Parser::parse)
        self.attributes = attributes
        self.prefs: list[Pref] = []
        self.errors: list[ParseError] = []
        # position() counts lines on from where it last counted: a pref or an error each, in file order
        self._counted = self._lines = self._line_start = 0

    def position(self, at: int) -> tuple[int, int]:
        if at < self._counted:  # not asked in file order: count again from the start
            self._counted = self._lines = self._line_start = 0
        self._lines += self.text.count("\n", self._counted, at)
        newline = self.text.rfind("\n", self._counted, at)
        if newline >= 0:
            self._line_start = newline + 1
        self._counted = at
        return self._lines + 1, at - self._line_start + 1

    # -- tokens: ("kw", word) | ("str", text) | ("int", n) | ("char", c) | ("eof", "")
    def skip_blank(self) -> None:
        text = self.text
        while self.i < len(text):
            ch = text[self.i]
            if ch in _BLANK:
                self.i += 1
            elif ch == "#" or text.startswith("//", self.i):
                found = _LINE_END.search(text, self.i)
                self.i = len(text) if found is None else found.start() + (found.group() == "\x00")
            elif ch == "/" and not text.startswith("/*", self.i):
                start = self.i
                self.i += 2  # libpref's tokenizer takes the character after a lone '/' with it
                raise _Error(start, "expected '/' or '*' after '/'")
            elif text.startswith("/*", self.i):
                found = _COMMENT_END.search(text, self.i + 2)
                if found is None or found.group() == "\x00":
                    start = self.i
                    self.i = len(text) if found is None else found.end()  # a NUL ends the comment, taken with it
                    raise _Error(start, "unterminated /* comment")
                self.i = found.end()
            else:
                return

    def token(self) -> tuple[str, PrefValue, int]:
        self.last: tuple[str, str] = ("", "")
        self.skip_blank()
        text = self.text
        at = self.i
        if at >= len(text) or text[at] == "\x00":
            return "eof", "", at
        ch = text[at]
        if ch in "\"'":
            return "str", self.string(ch), at
        if ch.isascii() and (ch.isalpha() or ch == "_"):
            end = at
            while end < len(text) and text[end].isascii() and (text[end].isalnum() or text[end] == "_"):
                end += 1
            self.i = end
            return "kw", text[at:end], at
        if ch in "+-" or (ch.isascii() and ch.isdigit()):
            return "int", self.integer(), at
        self.i += 1
        self.last = ("char", ch)
        return "char", ch, at

    def integer(self) -> int:
        text = self.text
        start = self.i
        sign = 1
        if text[self.i] in "+-":
            sign = -1 if text[self.i] == "-" else 1
            self.i += 1
        digits_start = self.i
        while self.i < len(text) and text[self.i].isascii() and text[self.i].isdigit():
            self.i += 1
        if self.i == digits_start:
            raise _Error(start, "expected integer literal after sign")
        digits = text[digits_start : self.i].lstrip("0") or "0"
        # int() refuses more than 4,300 digits (a ValueError); eleven already overflow, as libpref finds digit by digit
        value = sign * int(digits) if len(digits) <= 10 else None
        if value is None or not -(2**31) <= value <= _INT_MAX:
            raise _Error(start, "integer literal overflowed")
        return value

    def string(self, quote: str) -> str:
        """A string literal. A bad escape is reported at the closing quote, as libpref does: the whole literal
        is consumed first, so the parser goes on after it."""
        text = self.text
        start = self.i
        self.i += 1
        out: list[str] = []
        error: _Error | None = None
        while True:
            if self.i >= len(text) or text[self.i] == "\x00":
                self.i += 1  # a NUL in a string is taken with it (the parser goes on after it)
                raise _Error(start, "unterminated string literal")
            ch = text[self.i]
            if ch == quote:
                self.i += 1
                if error is not None:
                    raise error
                return "".join(out)
            if ch != "\\":
                out.append(ch)
                self.i += 1
                continue
            try:
                out.append(self.escape())
            except _Error as exc:
                error = error or exc

    def escape(self) -> str:
        text = self.text
        at = self.i
        esc = text[self.i + 1 : self.i + 2]
        self.i += 2 if esc else 1
        if esc in ('"', "'", "\\"):
            return esc
        if esc == "n":
            return "\n"
        if esc == "r":
            return "\r"
        if esc == "x":
            return chr(self.hex(2, at))
        if esc == "u":
            unit = self.hex(4, at)
            if 0xD800 <= unit <= 0xDBFF:
                if text[self.i : self.i + 2] != "\\u":
                    raise _Error(at, "invalid escape sequence")
                self.i += 2
                low = self.hex(4, at)
                if not 0xDC00 <= low <= 0xDFFF:
                    raise _Error(at, "invalid escape sequence")
                unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
            elif 0xDC00 <= unit <= 0xDFFF:
                raise _Error(at, "invalid escape sequence")
            return chr(unit)
        raise _Error(at, "unexpected escape sequence")

    def hex(self, count: int, at: int) -> int:
        digits = self.text[self.i : self.i + count]
        if len(digits) != count or not all(c in "0123456789abcdefABCDEF" for c in digits):
            raise _Error(at, "malformed escape sequence")
        self.i += count
        value = int(digits, 16)
        if value == 0:
            raise _Error(at, "\\x00 and \\u0000 are not allowed")
        return value

    # -- statements
    def parse(self) -> Parsed:
        while True:
            try:
                if not self.statement():
                    break
            except _Error as exc:
                line, column = self.position(exc.at)
                self.errors.append(ParseError(line, column, exc.message))
                if not self.recover():
                    break
        return Parsed(tuple(self.prefs), tuple(self.errors))

    def recover(self) -> bool:
        """Skip to just after the next ``;`` (tokens, so a ';' inside a string does not count); when the
        token that was wrong is itself a ``;``, the parser goes on after it."""
        if self.last == ("char", ";"):
            return True
        while True:
            try:
                kind, value, _ = self.token()
            except _Error:
                continue
            if kind == "eof":
                return False
            if kind == "char" and value == ";":
                return True

    def expect(self, char: str) -> None:
        kind, value, at = self.token()
        if kind != "char" or value != char:
            raise _Error(at, f"expected '{char}'")

    def statement(self) -> bool:
        kind, word, at = self.token()
        start = at
        if kind == "eof":
            return False
        if kind != "kw" or word not in _SPECS:
            raise _Error(at, "expected pref specifier at start of pref definition")
        self.expect("(")
        kind, name, at = self.token()
        if kind != "str":
            raise _Error(at, "expected pref name after '('")
        self.expect(",")
        kind, value, at = self.token()
        if kind == "kw" and value in ("true", "false"):
            value = value == "true"
        elif kind not in ("str", "int"):
            raise _Error(at, "expected pref value after ','")
        sticky = word == "sticky_pref"
        locked = False
        kind, char, at = self.token()
        if not self.attributes and (kind != "char" or char != ")"):
            raise _Error(at, "expected ')' after pref value")
        while kind == "char" and char == ",":
            kind, attr, at = self.token()
            if kind != "kw" or attr not in ("sticky", "locked"):
                raise _Error(at, "expected pref attribute after ','")
            sticky = sticky or attr == "sticky"
            locked = locked or attr == "locked"
            kind, char, at = self.token()
        if kind != "char" or char != ")":
            raise _Error(at, "expected ',' or ')' after pref value")
        self.expect(";")
        line, column = self.position(start)
        self.prefs.append(Pref(_SPECS[word], str(name), value, line, column, sticky, locked))
        return True


def parse(text: str, *, attributes: bool = True) -> Parsed:
    """``attributes=False`` reads a user pref file (prefs.js, user.js): a ``sticky`` or ``locked`` is an error."""
    return _Parser(text, attributes=attributes).parse()


T = TypeVar("T")


class Slot(NamedTuple, Generic[T]):
    """One pref name as libpref holds it: its type, its default and user values, each with where it was set."""

    type: type
    default: tuple[PrefValue, T] | None = None
    user: tuple[PrefValue, T] | None = None

    @property
    def value(self) -> tuple[PrefValue, T]:
        """What Thunderbird reads: the user value when there is one, else the default (never both None)."""
        chosen = self.user or self.default
        assert chosen is not None  # set_pref() always sets one of them
        return chosen


def value_type(value: PrefValue) -> type:
    """The pref type of ``value``: bool, int or str."""
    return bool if isinstance(value, bool) else type(value)  # bool first: True is an int too


#: how a message names each pref type
TYPE_WORDS = {bool: "a boolean", int: "an integer", str: "a string"}


def set_pref(slot: Slot[T] | None, pref: Pref, where: T) -> Slot[T]:
    """``slot`` after libpref has read ``pref`` from prefs.js or user.js (Preferences.cpp ``pref_SetPref``,
    ``Pref::SetDefaultValue``, ``Pref::SetUserValue``; checked against Thunderbird 153 by
    tests/importers/test_prefs_resolve.py). A new name takes the type of its first value. Of two values of one
    kind the last wins, but a value equal to the one held keeps it (and where it was set). A default of another
    type than the pref's is ignored; so is a user value of another type once there is a default (without one,
    the user value changes the type). The user value wins over the default. ``locked`` and ``sticky`` never get
    here: they are syntax errors in these files, and sticky only keeps a user value equal to the default from
    being cleared, which reading a file never does (HandlePref passes aFromInit = true)."""
    kind = value_type(pref.value)
    current = slot if slot is not None else Slot[T](kind)
    if pref.kind == "default":
        if current.type is not kind or (current.default is not None and current.default[0] == pref.value):
            return current
        return current._replace(default=(pref.value, where))
    if current.default is not None and current.type is not kind:
        return current
    if current.user is not None and current.type is kind and current.user[0] == pref.value:
        return current
    return current._replace(type=kind, user=(pref.value, where))
