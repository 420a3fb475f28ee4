"""What the mutt and neomutt importers share: a muttrc lexer that runs nothing, and the account it describes.

The lexer follows mutt's token rules (parse.c ``mutt_extract_token``): blanks
separate words, ``;`` ends a command and ``#`` starts a comment outside quotes,
``'...'`` is literal, ``"..."`` and unquoted text take backslash escapes
(``\\n``, ``\\t``, three-digit octal ...); the rest of a ``my_hdr`` line is one
word, its quotes kept as text (parse_my_hdr). A backslash at the end of a line
continues it, joined before anything else is read, as mutt's ``mutt_read_line``
(``MUTT_CONT``; neomutt's ``MUTT_RL_CONT``) joins it: in quotes, in a backtick
command and in a comment too, whatever comes before it (``x\\\\`` at the end of
a line still continues); messages name the line of the file. Backticks (a command
substitution) and ``$name`` are kept as text and marked, never run: a ``*_pass``
that is exactly one backtick command becomes ``password_command``; anywhere else
it is reported. ``$name`` is expanded from the environment in a ``source`` path
(a file to read); in a ``set`` value, as the client expands it when it reads the
line (:func:`_expanded`): from the environment, a ``my_NAME`` or a variable of the
client's, as each client looks them up; a ``*_pass`` that is one ``$my_NAME``
alone is the setting ``my_NAME`` holds at that line (its backtick command, its text).
"""

from __future__ import annotations

import base64
import binascii
import bisect
import dataclasses
import os
import re
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from ..errors import counted, plural
from ..model import Location, Protocol
from ..targets._muttlike import OWNED, Dialect
from . import Imported, ReadOptions, Unreadable, _ere, _mutt_variables
from ._base import (
    LITERAL_PASSWORD,
    MAX_FILE_BYTES,
    Collector,
    expand_home,
    group_marks,
    guess_address,
    is_address,
    named_kinds,
    no_home,
    parse_sender,
    read_text,
    sender_list,
    shown,
)


class Word(NamedTuple):
    text: str
    #: the text of each backtick command in it (not run)
    commands: tuple[str, ...]
    #: the whole word is one backtick command ("`cmd`" or `cmd`)
    only_command: bool
    #: it names a variable ($name), which mutt would expand and mailconf does not
    expands: bool
    column: int
    #: where an unquoted "=" splits it (the position in text), or -1
    equals: int
    #: each ``$name`` / ``${name}`` mutt expands (unquoted or in double quotes): (start, end) in text, and the name
    variables: tuple[tuple[int, int, str], ...] = ()
    #: an environment variable's value is in it (expanded by :func:`_expanded`): no password the file holds
    environment: bool = False
    #: where an environment variable's value is in text: (start, end, the variable's name)
    environment_spans: tuple[tuple[int, int, str], ...] = ()
    #: the name of each ``$NAME`` set nowhere the client looks (expanded by :func:`_expanded`: mutt to nothing,
    #: neomutt as it is written)
    nowhere: tuple[str, ...] = ()
    #: where those are written when that is another set's line, the one place (``set my_u = "x$my_none"``, then
    #: ``set imap_user = $my_u``: my_u's): the client expands them there, and there the user can set them
    nowhere_at: Location | None = None


class Command(NamedTuple):
    words: tuple[Word, ...]
    location: Location
    #: it follows a ``;`` on the same line: mutt skips it when a command before it on the line fails
    joined: bool = False


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "e": "\x1b", "f": "\f"}
#: what the lexer takes as one run, not one character at a time (a character at a time, 4 MB of "a=b " took
#: seconds): blanks between words, and the characters a word (unquoted, or in double quotes) takes as they are,
#: none that ends it, quotes it, escapes or starts a $ reference
_BLANKS = re.compile(r"[ \t\r]+")
_WORD_CHARACTER = r"[^ \t\r\n;#'\"`\\$]"
_PLAIN = re.compile(_WORD_CHARACTER + "+")
_PLAIN_QUOTED = re.compile(r'[^"\n`\\$]+')
#: words of plain text only, each ended by blanks or by what ends a command (a word that goes on with a quote, an
#: escape or a $ is read by _Lexer.word)
_PLAIN_WORDS = re.compile(rf"(?:{_WORD_CHARACTER}+(?:[ \t\r]+|(?=[\n;#])|\Z))+")
#: a my_hdr command: its rest is one word, read as the client reads it (_Lexer.header)
_MY_HDR = re.compile(r"my_hdr[ \t]")
#: what a my_hdr header takes as it is: all but what ends it, an escape, a backtick or a $
_HEADER_TEXT = re.compile(r"[^\n;#\\`$]+")
#: a $name mutt expands: a letter, then letters, digits and _ (ASCII)
_NAME = re.compile("[A-Za-z][A-Za-z0-9_]*")


def join_continued(text: str) -> tuple[str, tuple[int, ...]]:
    """``text`` with each line that ends in a backslash joined to the next, as mutt reads its files
    (``mutt_read_line`` with ``MUTT_CONT``), and where each line of the file it joined starts in the result, for
    :meth:`_Lexer.where`. mutt reads a line onto what it holds, drops a ``\\r`` at the end, and while what it holds
    ends in a backslash, drops that and reads the next line: ``a\\\\``, then an empty line, continues twice."""
    if "\\\n" not in text and "\\\r\n" not in text:
        return text, ()
    out: list[str] = []  # the result, in pieces, none empty: the lines read, and what mutt holds of the next
    size = 0
    # each line joined: where it starts (True), and each length the result drops to (False); a line that held
    # nothing but what was dropped starts where the result ends up, the least length after it
    marks: list[tuple[int, bool]] = []
    lines = text.split("\n")
    for number, line in enumerate(lines):
        if line:
            out.append(line)
            size += len(line)
        if number == len(lines) - 1:  # no line break after it: the end of the file, as it is
            break
        dropped = size > 0 and out[-1].endswith("\r")  # (out ends with what mutt holds, or with a line break)
        if dropped:
            _drop_last(out)
            size -= 1
        continued = size > 0 and out[-1] != "\n" and out[-1].endswith("\\")
        if continued:
            _drop_last(out)
            size -= 1
            dropped = True
        if dropped:
            marks.append((size, False))
        if continued:
            marks.append((size, True))
        else:
            out.append("\n")
            size += 1
    joins: list[int] = []
    least = size
    for at, joined in reversed(marks):
        least = min(least, at)
        if joined:
            joins.append(least)
    joins.reverse()
    return "".join(out), tuple(joins)


def _drop_last(pieces: list[str]) -> None:
    """The last character of the last piece dropped, and the piece with it when nothing is left."""
    pieces[-1] = pieces[-1][:-1]
    if not pieces[-1]:
        pieces.pop()


class _Lexer:
    def __init__(self, path: str, text: str, joins: tuple[int, ...] = ()) -> None:
        self.path = path
        self.text = text
        #: where a line the file continued (with a backslash) starts in text: see join_continued
        self.joins = joins
        self.i = 0
        self.line = 1
        self.line_start = 0
        #: where the last ${ without a } stopped looking for it
        self.no_brace_until = 0

    def where(self, at: int | None = None) -> Location:
        at = self.i if at is None else at
        return Location(self.path, self.line + bisect.bisect_right(self.joins, at), self.column(at))

    def column(self, at: int) -> int:
        """The column of ``at`` in its line of the file (after the last line break, or the last joined line)."""
        start = self.line_start
        if self.joins:
            before = bisect.bisect_right(self.joins, at)
            if before:
                start = max(start, self.joins[before - 1])
        return at - start + 1

    def commands(self) -> Iterator[Command]:
        words: list[Word] = []
        start = self.where()
        text = self.text
        joined = False
        while self.i < len(text):
            ch = text[self.i]
            if ch in {"\n", ";"}:
                if words:
                    yield Command(tuple(words), start, joined)
                words = []
                joined = ch == ";"
                self.i += 1
                if ch == "\n":
                    self.line += 1
                    self.line_start = self.i
                start = self.where()
            elif ch in " \t\r":
                self.i = _end(_BLANKS.match(text, self.i))
            elif ch == "#":
                end = text.find("\n", self.i)
                self.i = len(text) if end < 0 else end
            elif not words and _MY_HDR.match(text, self.i):
                start = self.where()
                words.append(Word("my_hdr", (), False, False, self.column(self.i), -1))
                self.i += len("my_hdr")
                self.i = _end(_BLANKS.match(text, self.i))
                if self.i < len(text) and text[self.i] not in "\n;#":
                    words.append(self.header())
            else:
                if not words:
                    start = self.where()
                plain = _PLAIN_WORDS.match(text, self.i)
                if plain is None:
                    words.append(self.word())
                    continue
                # the common words, plain text each to its end, taken at once without word()'s pieces
                words.extend(
                    Word(run.group(), (), False, False, self.column(run.start()), run.group().find("="))
                    for run in _PLAIN.finditer(text, self.i, plain.end())
                )
                self.i = plain.end()
        if words:
            yield Command(tuple(words), start, joined)

    def word(self) -> Word:
        text = self.text
        column = self.column(self.i)
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
            elif ch == "$":
                self.dollar(" \t\r\n;#'\"`\\", out, variables, size)
                expands = True
            else:
                run = text[self.i : _end(_PLAIN.match(text, self.i))]
                if equals < 0 and "=" in run:
                    equals = size + run.index("=")
                out.append(run)
                self.i += len(run)
            size += len(out[-1])
        word = "".join(out)
        return Word(word, tuple(commands), only_command and pieces == 1, expands, column, equals, tuple(variables))

    def header(self) -> Word:
        """The rest of a ``my_hdr`` command as the client reads it (parse_my_hdr: ``MUTT_TOKEN_SPACE |
        MUTT_TOKEN_QUOTE``): one word up to a ``;``, a ``#`` or the end of the line, blanks and quotes kept as text
        (a quote quotes nothing: ``'$my_name'`` is expanded), backslash escapes, backticks and ``$NAME`` taken
        everywhere; checked with the header each client sends."""
        text = self.text
        column = self.column(self.i)
        out: list[str] = []
        commands: list[str] = []
        variables: list[tuple[int, int, str]] = []
        size = 0
        while self.i < len(text) and text[self.i] not in "\n;#":
            ch = text[self.i]
            if ch == "\\":
                out.append(self.escape())
            elif ch == "`":
                command = self.backtick()
                out.append(f"`{command}`")
                commands.append(command)
            elif ch == "$":
                self.dollar(" \t\r\n;#'\"`\\", out, variables, size)
            else:
                run = text[self.i : _end(_HEADER_TEXT.match(text, self.i))]
                out.append(run)
                self.i += len(run)
            size += len(out[-1])
        header = "".join(out)
        only = len(commands) == 1 and header == f"`{commands[0]}`"
        return Word(header, tuple(commands), only, bool(variables), column, -1, tuple(variables))

    def dollar(self, ends: str, out: list[str], variables: list[tuple[int, int, str]], size: int) -> None:
        """The ``$`` reference at the cursor (:meth:`variable`, which ``ends`` end) appended to ``out`` and recorded
        in ``variables`` at ``size``, the length of ``out`` so far; or the ``$`` alone, which mutt keeps."""
        reference = self.variable(ends)
        if reference is not None:
            variables.append((size, size + len(reference[0]), reference[1]))
            out.append(reference[0])
        else:
            out.append("$")
            self.i += 1

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
        name = _NAME.match(text, start + 1)
        if name is None:
            return None
        end = self.i = name.end()
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
            elif ch == "$":
                self.dollar('"\n`\\', out, variables, size)
                expands = True
            else:
                run = text[self.i : _end(_PLAIN_QUOTED.match(text, self.i))]
                out.append(run)
                self.i += len(run)
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
            # mutt_extract_token (neomutt's parse_extract_token alike): (toupper(byte) - '@') & 0x7f, on one byte:
            # \cA is ^A, but \c1 is "q" and \c? is DEL. A non-ASCII character is several bytes in UTF-8, of which
            # the client takes the first and keeps the rest, no longer UTF-8: no text holds that value
            control = text[self.i]
            if not control.isascii():
                raise Unreadable(
                    self.where(),
                    "\\c before a non-ASCII character: mutt would take its first byte alone",
                    "write the character itself, or the control character as \\NNN (octal)",
                )
            self.i += 1
            return chr((ord(control.upper()) - 0x40) & 0x7F)
        return _ESCAPES.get(nxt, nxt)


def _end(run: re.Match[str] | None) -> int:
    """Where a run ends; the lexer looks for one only at a character that starts it."""
    assert run is not None
    return run.end()


def lex(path: str, text: str) -> list[Command]:
    return list(_Lexer(path, *join_continued(text)).commands())


# --- commands -> one account --------------------------------------------------------------


class Setting(NamedTuple):
    word: Word | None  # None: a boolean set/unset without a value
    value: str  # the text ("yes"/"no" for a bare set/unset)
    location: Location


_RENAMED = {"real_name": "realname", "spool_file": "spoolfile"}
_SCHEMES = {
    "imap": (Protocol.IMAP, False), "imaps": (Protocol.IMAP, True), "pop": (Protocol.POP3, False),
    "pops": (Protocol.POP3, True), "smtp": (Protocol.SMTP, False), "smtps": (Protocol.SMTP, True),
}  # fmt: skip
_DEFAULT_PORTS = {"imap": 143, "imaps": 993, "pop": 110, "pops": 995, "smtp": 25, "smtps": 465}
_PREFIX = {Protocol.IMAP: "imap", Protocol.POP3: "pop", Protocol.SMTP: "smtp"}
_TLS_VARIABLES = {"ssl_use_tlsv1": "1.0", "ssl_use_tlsv1_1": "1.1", "ssl_use_tlsv1_2": "1.2", "ssl_use_tlsv1_3": "1.3"}
#: what mutt does when the file does not set a TLS version variable (1.0 and 1.1 off since mutt 2.0)
_TLS_DEFAULTS = {"1.0": False, "1.1": False, "1.2": True, "1.3": True}
_BASE64_WRAPPER = re.compile(r"echo ([A-Za-z0-9+/=]+) \| base64 -d \| sh")
#: the account variables that hold text (not a yes/no/ask): unset, they are empty
_TEXT_VARIABLES = frozenset(
    [
        "from", "realname", "folder", "spoolfile", "imap_user", "imap_login", "imap_pass", "imap_authenticators",
        "imap_oauth_refresh_command", "pop_host", "pop_user", "pop_pass", "pop_authenticators",
        "pop_oauth_refresh_command", "smtp_url", "smtp_user", "smtp_pass", "smtp_authenticators",
        "smtp_oauth_refresh_command", "ssl_ca_certificates_file", "ssl_client_cert", "certificate_file",
    ]
)  # fmt: skip
#: the account variables: every one an account file render writes owns, and what only the import reads (the
#: IMAP login name; the user's own store of accepted certificates, which render leaves alone)
_ACCOUNT_VARIABLES = frozenset(OWNED) | {"imap_login", "certificate_file"}


def read(paths: Sequence[str], options: ReadOptions, dialect: Dialect) -> Imported:
    found = Collector()
    for path in paths:
        reading = _Reading(options, dialect, found)
        _read_file(reading, path)
        _hook_accounts(path, reading)
    return found.result()


# --- folder-hook and account-hook: one account per mailbox URL ---------------------------------


_HOOKS = frozenset(("folder-hook", "account-hook"))
#: a hook pattern that names one mailbox (or account) URL: a regular expression of no special character but ``.``
#: (which matches itself too) and ``\x`` escapes, as ``imaps://alice@imap\.example\.com/``
_MAILBOX_PATTERN = re.compile(r"(?i)(imaps?|pops?)://(?:[^\\^$*+?()\[\]{}|]|\\[^A-Za-z0-9])+")
#: the first characters of a folder-hook pattern that mutt expands as a mailbox shortcut before it compiles it
_SHORTCUTS = tuple("=+~!<>-@")


class Hook(NamedTuple):
    kind: str  # "folder-hook" | "account-hook"
    negated: bool  # folder-hook !PATTERN: run for every mailbox the pattern does not match
    pattern: str
    commands: tuple[Command, ...]
    location: Location
    #: each ``$NAME`` the client expanded in the command as it read the hook's line (unquoted or in double quotes)
    #: to what the import does not write as text there (a command's output, a value not known, one set nowhere, which
    #: mutt expanded to nothing): the name it is written as in ``commands`` (``${\0mailconf:N}``), the name, and the
    #: setting it held there (None: none)
    early: tuple[tuple[str, str, Setting | _Nowhere | None], ...] = ()


def _hook(reading: _Reading, verb: str, args: Sequence[Word], where: Location) -> bool:
    """Keep one ``folder-hook [!]PATTERN COMMAND`` or ``account-hook``, as mutt's mutt_parse_hook keeps it (to run
    later, when a mailbox is opened); True when the client refuses it (an error: the rest of the line is skipped)."""
    found, dialect = reading.found, reading.dialect
    if args and (args[0].variables or args[0].commands):  # the client expands the pattern as it reads the line
        written = _expanded("hook", Setting(args[0], args[0].text, where), reading, dialect).word or args[0]
        if written.variables or written.commands:
            why = _UNKNOWN_COMMAND if written.commands else _UNKNOWN_VARIABLE
            found.warn(Location(where.path, where.line, args[0].column), f"{verb}: its pattern {why}: not imported")
            return False
        if written.nowhere:  # the pattern the client matches (mutt: $NAME as nothing; neomutt's $ matches no URL)
            said = _nowhere_said(f"{verb}: its pattern", written.nowhere, dialect)
            found.warn(Location(where.path, where.line, args[0].column), said)
        args = (written, *args[1:])
    negated = bool(args) and args[0].text.startswith("!")
    if args and args[0].text == "!":
        args = args[1:]
    if len(args) < 2:
        found.warn(where, f"{verb}: too few arguments: {dialect.name} refuses it ({_reads_on(dialect)}); write "
                   f"{verb} PATTERN COMMAND")  # fmt: skip
        return True
    pattern = args[0].text.removeprefix("!").lstrip(" \t") if negated else args[0].text
    if verb == "folder-hook" and pattern.startswith("^"):
        found.warn(
            Location(where.path, where.line, args[0].column),
            f"{verb} {shown(pattern)}: current mailbox shortcut '^' is unset: {dialect.name} refuses it when it reads "
            f"the file ({_reads_on(dialect)}); leave the ^ out (a URL pattern matches where it is found)",
        )
        return True
    # the command is the rest of the line (MUTT_TOKEN_SPACE), quotes taken off and each $NAME outside single quotes
    # expanded, read again when the hook runs: its messages name the hook's line, at the command's first column
    early: list[tuple[str, str, Setting | _Nowhere | None]] = []
    text = " ".join(_at_hook_line(word, reading, early) for word in args[1:])
    column = args[1].column
    commands = tuple(
        Command(tuple(w._replace(column=column) for w in inner.words), Location(where.path, where.line, column))
        for inner in lex(where.path, text.replace("\n", " "))
    )
    reading.hooks.append(Hook(verb, negated, pattern, commands, where, tuple(early)))
    return False


#: what a hook's ``$NAME`` the client expanded at the hook's line to a value not written as text is named (with a
#: number) in the command the import reads when the hook runs: a NUL, which no name of the client's holds
_PLACEHOLDER = "\0mailconf:"
_PLACEHOLDERS = re.compile(r"\$\{(\0mailconf:[0-9]+)\}")
#: whether the client keeps a ``$NAME`` it finds nowhere as it is written (neomutt: expanded again, when the hook's
#: command runs, to what it holds then) or expands it to nothing (mutt)
_KEEPS_UNSET = {"mutt": False, "neomutt": True}


def _at_hook_line(word: Word, reading: _Reading, early: list[tuple[str, str, Setting | _Nowhere | None]]) -> str:
    """A word of a hook's command as the client keeps it: each ``$NAME`` in it (unquoted or in double quotes: the
    client expands them as it reads the hook's line, those in single quotes when the hook runs; checked with both
    clients opening a mailbox) replaced by the text it holds there; one that holds a command's output, the
    environment's value or one not known is written ``${\0mailconf:N}`` and added to ``early``, what it held there,
    which :func:`_held` finds when the hook runs. neomutt keeps a ``$NAME`` set nowhere as it is written; mutt
    expands it to nothing there (a ``$my_NAME`` set after the hook's line too: checked with both clients logging in),
    written so, as the :class:`_Nowhere` it is, that its warning names it."""
    dialect = reading.dialect
    pieces: list[str] = []
    last = 0
    for start, end, name in word.variables:
        pieces.append(word.text[last:start])
        last = end
        held = _held(name, reading, dialect, password=False)
        if isinstance(held, str):
            pieces.append(held)
            continue
        if isinstance(held, _Nowhere) and _KEEPS_UNSET[dialect.name]:
            pieces.append(held.text(dialect))  # (without its braces)
            continue
        if (
            isinstance(held, Setting)
            and held.word is not None
            and not (held.word.commands or held.word.variables or held.word.environment or held.word.nowhere)
        ):
            pieces.append(held.value)
            continue
        placeholder = f"{_PLACEHOLDER}{len(early)}"
        early.append((placeholder, name, held if isinstance(held, (Setting, _Nowhere)) else None))
        pieces.append(f"${{{placeholder}}}")
    pieces.append(word.text[last:])
    return "".join(pieces)


def _as_written(text: str, reading: _Reading) -> str:
    """``text`` of a hook's command with each ``${\0mailconf:N}`` written back as the ``$NAME`` it stands for: a
    message shows what the file says, never the import's own names."""

    def written(match: re.Match[str]) -> str:
        name = reading.early[match.group(1)][0] if match.group(1) in reading.early else ""
        braces = re.match("[A-Za-z0-9_]", text[match.end() : match.end() + 1])  # ${my_dir}x, as it was written
        return f"${{{name}}}" if braces else f"${name}"

    return _PLACEHOLDERS.sub(written, text)


def _nowhere(name: str, reading: _Reading) -> bool:
    """Whether ``$NAME`` is set nowhere the client looks: none of its variables, no ``my_NAME`` set, no environment
    variable (one set to nothing is none to neomutt)."""
    mine = reading.settings.get(name)
    environment = os.environ.get(name)
    return (
        name not in _VARIABLES[reading.dialect.name]
        and (not name.startswith("my_") or mine is None or mine.word is None)
        and (environment is None or (environment == "" and not _EMPTY_IS_SET[reading.dialect.name]))
    )


def _mailbox(pattern: str) -> str | None:
    """The mailbox URL a hook pattern names (its ``\\.`` escapes taken off), or None when it is a pattern of
    several (``.``, ``imaps://.*@example\\.com``) or of a local folder."""
    if not _MAILBOX_PATTERN.fullmatch(pattern):
        return None
    return re.sub(r"\\(.)", r"\1", pattern)


def _mailbox_key(mailbox: str, user: str = "") -> tuple[str, str, str, str]:
    """What makes two mailbox URLs one account, as the client matches a connection (mutt_account_match): the scheme,
    the user (the URL's, else ``user``: the ``*_user`` the client logs in as), the host in any case and the port
    (absent: the scheme's)."""
    try:
        parsed = urllib.parse.urlsplit(mailbox)
    except ValueError:  # a "[" without its "]": not read as a server (_url says so), one of its own here
        return mailbox, "", "", ""
    scheme = parsed.scheme.lower()
    login, _at, server = parsed.netloc.rpartition("@")
    host, colon, port = server.lower().rpartition(":")
    if not colon or "]" in port:  # no port (an IPv6 address is in brackets)
        host, port = server.lower(), ""
    port = port.lstrip("0") or str(_DEFAULT_PORTS[scheme])
    return scheme, urllib.parse.unquote(login.partition(":")[0]) or user, host, port


def _account_url(mailbox: str, dialect: Dialect) -> str:
    """The text an account-hook pattern is matched against when the client connects for ``mailbox``: mutt's is
    :func:`_connection_url`; neomutt's is the mailbox URL itself (checked with both clients)."""
    return _connection_url(mailbox) if dialect.name == "mutt" else mailbox


def _connection_url(url: str) -> str:
    """``scheme://[user@]host[:port]/``, the text mutt_conn_find matches account-hooks against when it connects to
    the server ``url`` names (mutt_account_tourl): the scheme in lower case, the path and any password left out, the
    user with ``/``, ``:`` and ``%`` percent-encoded (an ``@`` is not), the host and port as written. Both clients
    match it for the SMTP server (smtp_url) they send through (checked by sending with each)."""
    parsed = urllib.parse.urlsplit(url)
    user = parsed.netloc.rpartition("@")[0].partition(":")[0]
    user = re.sub("[/:%]", lambda m: f"%{ord(m.group()):02X}", urllib.parse.unquote(user))
    host = parsed.netloc.rpartition("@")[2]
    return f"{parsed.scheme.lower()}://{user + '@' if user else ''}{host}/"


#: Steps of pattern matching one import may take (mailconf.importers._ere.Budget): about a second. A file's hooks
#: take a few thousand (20 hooks, 5 accounts, URLs of 60 characters: 18,000 at the most).
MATCH_STEPS = 2_000_000


def _pattern(hook: Hook) -> _ere.Pattern | None:
    """The hook's pattern as the client matches it, compiled; None when it is not matched here: a mailbox shortcut,
    or a pattern _ere does not read (said with the hooks not applied)."""
    pattern = hook.pattern
    if hook.kind == "folder-hook":
        if pattern.startswith(_SHORTCUTS):
            return None  # a mailbox shortcut, expanded by the client (=work: $folder/work): not read here
        # the client reads a URL pattern as a mailbox path, and writes its scheme lower-case (imap_expand_path)
        pattern = re.sub(r"^[A-Za-z]+://", lambda m: m.group().lower(), pattern)
    try:
        return _ere.compile_ere(pattern)
    except _ere.Unsupported:
        return None


def _matches(hook: Hook, pattern: _ere.Pattern | None, text: str, budget: _ere.Budget, mailboxes: int) -> bool:
    """Whether the client runs ``hook`` (its ``pattern``) for ``text``: matched in linear time (Python's re
    backtracks, and a hostile pattern such as (a+)+b never ended), within the import's ``budget``."""
    if pattern is None:
        return False
    try:
        return _ere.search(pattern, text, budget) != hook.negated
    except _ere.Spent:
        raise Unreadable(
            hook.location,
            f"the hooks' patterns take too long to match against the {mailboxes} mailboxes they name",
            "write each hook's pattern as the mailbox URL it is for (folder-hook imaps://USER@HOST/ 'set ...')",
        ) from None


def _hook_mailboxes(reading: _Reading) -> dict[tuple[str, str, str, str], tuple[str, Location]]:
    """Each mailbox URL a hook's pattern names that the client reads as one, by :func:`_mailbox_key`: the URL, and
    the hook's location."""
    found, dialect = reading.found, reading.dialect
    mailboxes: dict[tuple[str, str, str, str], tuple[str, Location]] = {}
    for hook in reading.hooks:
        mailbox = None if hook.negated else _mailbox(hook.pattern)
        refused = _not_read_as_url(mailbox, dialect) if mailbox is not None else ""
        if refused:  # no mailbox the client opens: no account
            found.warn(hook.location, f"{hook.kind}: {dialect.name} does not read its mailbox as a URL: {refused}")
        elif mailbox is not None:
            mailboxes.setdefault(_mailbox_key(mailbox), (mailbox, hook.location))
    return mailboxes


def _hook_accounts(path: str, reading: _Reading) -> None:
    """One account per mailbox URL a hook pattern names, as the client has it when that mailbox is the first one
    opened: the settings of the file, then each folder-hook that matches the mailbox, then each account-hook that
    matches the account, then each account-hook that matches its SMTP server (run when the client sends), in the
    order of the file. When no hook names a mailbox URL, the file's one account, with the hooks for its SMTP server."""
    found, dialect = reading.found, reading.dialect
    #: (scheme, user, host, port) -> the mailbox URL, and where it is named: the mailbox the file's own settings name
    #: first (the one the client opens at start), then each a hook names
    mailboxes = _hook_mailboxes(reading)
    applied: set[int] = set()
    patterns = [_pattern(hook) for hook in reading.hooks]
    budget = _ere.Budget(MATCH_STEPS)
    if not mailboxes:
        opened = _opened(reading)
        _sending_hooks(reading, opened, patterns, budget, applied)
        _hooks_not_applied(reading, applied)
        _account(path, opened.settings, opened.headers, dialect, found)
        return
    for variable in ("folder", "spoolfile", "pop_host"):
        setting = reading.settings.get(variable)
        if setting is None or _not_read_as_url(setting.value, dialect):  # (a local folder to the client: _account)
            continue
        if re.match(r"(?i)(imaps?|pops?)://", setting.value):
            # imaps://imap.example.com/ with imap_user = alice is the hook's imaps://alice@imap.example.com/: the
            # client logs in to the same server as the same user, on one connection; and it is the hook's
            # imaps://imap.example.com, the same URL, which the client opens running the same hooks
            user = reading.settings.get("pop_user" if setting.value[:3].lower() == "pop" else "imap_user")
            own = _mailbox_key(setting.value, user.value if user is not None else "")
            if own not in mailboxes and _mailbox_key(setting.value) not in mailboxes:
                mailboxes = {own: (setting.value, setting.location), **mailboxes}
            break
    named = len(mailboxes) > 1
    for mailbox, where in mailboxes.values():
        opened = _opened(reading)
        for number, hook in enumerate(reading.hooks):
            if hook.kind == "folder-hook" and _matches(hook, patterns[number], mailbox, budget, len(mailboxes)):
                applied.add(number)
                _run_hook(opened, hook)
        account = _account_url(mailbox, dialect)
        for number, hook in enumerate(reading.hooks):
            if hook.kind == "account-hook" and _matches(hook, patterns[number], account, budget, len(mailboxes)):
                applied.add(number)
                _run_hook(opened, hook)
        _sending_hooks(reading, opened, patterns, budget, applied, len(mailboxes))
        # what a hook run for one account says is not said again for the next: found.warnings keeps a warning once
        folder = Setting(None, mailbox, where)
        _account(path, opened.settings, opened.headers, dialect, found, opened=folder, by_address=named)
    _hooks_not_applied(reading, applied)


def _opened(reading: _Reading) -> _Reading:
    """What the file set, to run one account's hooks on."""
    return dataclasses.replace(
        reading, settings=dict(reading.settings), headers=list(reading.headers), seen=set(), in_hook=True
    )


def _sending_hooks(  # noqa: PLR0917
    reading: _Reading,
    opened: _Reading,
    patterns: Sequence[_ere.Pattern | None],
    budget: _ere.Budget,
    applied: set[int],
    mailboxes: int = 1,
) -> None:
    """Run on ``opened`` each account-hook that matches the SMTP server its smtp_url names: the client runs them when
    it connects to that server to send (mutt_smtp_send: mutt_conn_find), after the hooks of the mailbox."""
    setting = opened.settings.get("smtp_url")
    if setting is None or not re.match(r"(?i)smtps?://", setting.value) or _unknowable("smtp_url", setting):
        return
    if _not_read_as_url(setting.value, opened.dialect):  # the client sends through no server: _account says so
        return
    try:
        server = _connection_url(setting.value)
    except ValueError:  # a "[" without its "]": _account says so
        return
    for number, hook in enumerate(reading.hooks):
        if hook.kind == "account-hook" and _matches(hook, patterns[number], server, budget, mailboxes):
            applied.add(number)
            _run_hook(opened, hook)


#: an account-hook pattern for an SMTP server: the client runs it when it sends, never for a mailbox
_SMTP_PATTERN = re.compile(r"(?i)\^?smtps?://")


def _hooks_not_applied(reading: _Reading, applied: set[int]) -> None:
    left = [hook for number, hook in enumerate(reading.hooks) if number not in applied]
    sending = [hook for hook in left if hook.kind == "account-hook" and _SMTP_PATTERN.match(hook.pattern)]
    left = [hook for hook in left if hook not in sending]
    if sending:
        reading.found.warn(
            sending[0].location,
            f"{counted(len(sending), 'account-hook')} for an SMTP server that "
            f"{plural(len(sending), 'matches', 'match')} no account's smtp_url (the client runs one when it sends "
            "through the server it names) "
            f"{plural(len(sending), 'is', 'are')} not imported",
        )
    if left:
        reading.found.warn(
            left[0].location,
            f"{counted(len(left), 'hook')} that {plural(len(left), 'matches', 'match')} no mailbox URL of an account "
            f"(a hook's pattern names one: folder-hook imaps://USER@HOST/ 'set ...') {plural(len(left), 'is', 'are')}"
            " not imported",
        )


def _what(dialect: Dialect) -> str:
    return f"a {dialect.name} configuration file"


@dataclasses.dataclass
class _Reading:
    """One file read with the files its source commands name: what they set so far, and what was read."""

    options: ReadOptions
    dialect: Dialect
    found: Collector
    settings: dict[str, Setting] = dataclasses.field(default_factory=dict)
    #: the my_hdr headers: the text, where, and why the client's text is not known here ("" when it is)
    headers: list[tuple[str, Location, str]] = dataclasses.field(default_factory=list)
    #: the files being read: the one read now and the files that source it (mutt's MuttrcStack): one of them
    #: sourced again is a loop
    seen: set[str] = dataclasses.field(default_factory=set)
    #: what the source commands have read so far (files, characters), against the limits
    files: int = 0
    characters: int = 0
    spent: bool = False  # said once: every source command after it would say it again
    #: mutt's reading of a relative path from the folder it is started in, said (once, at the first)
    relative_said: bool = False
    #: the folder-hook and account-hook commands read, in order: run for each account (_hook_accounts), not here
    hooks: list[Hook] = dataclasses.field(default_factory=list)
    #: the commands read are a hook's, run for one account: a hook in them is not kept, other commands not counted
    in_hook: bool = False
    #: the hook run now: each ``$NAME`` the client expanded as it read the hook's line (Hook.early), by the name it is
    #: written as: the name, and the setting it held there
    early: dict[str, tuple[str, Setting | _Nowhere | None]] = dataclasses.field(default_factory=dict)


def _read_file(reading: _Reading, path: str, depth: int = 0, text: str | None = None) -> bool:
    """Read ``path`` (or its ``text``, when the source command that names it has read it); True when a ``source``
    in it failed, which makes the client's own ``source`` of it fail too."""
    if text is None:
        text = read_text(path, _what(reading.dialect), keep_bom=True)
    real = os.path.realpath(path)
    reading.seen.add(real)
    try:
        return _commands(reading, path, text, depth)
    finally:
        reading.seen.discard(real)  # read again when sourced again, from another place, as mutt does


def _commands(reading: _Reading, path: str, text: str, depth: int) -> bool:
    dialect, found = reading.dialect, reading.found
    commands = lex(path, text.removeprefix("\ufeff"))
    if text.startswith("\ufeff") and commands and commands[0].location.line == 1:
        # the client reads the mark as part of the first command's name: "\ufeffset: unknown command", and its
        # parse of the line stops there (a ; after it included)
        found.warn(
            Location(path, 1, 1),
            f"a byte-order mark (U+FEFF) starts the file: {dialect.name} reads the first command with it as an "
            "unknown command and skips line 1, which is not imported either; save the file as UTF-8 without it",
        )
        commands = [command for command in commands if command.location.line != 1]
    return _run(reading, path, commands, depth)


def _run_hook(opened: _Reading, hook: Hook) -> None:
    """Run ``hook``'s commands on ``opened``, each ``$NAME`` expanded when its line was read what it held there."""
    opened.early = {written: (name, held) for written, name, held in hook.early}
    try:
        _run(opened, hook.location.path, hook.commands, 0)
    finally:
        opened.early = {}


def _run(reading: _Reading, path: str, commands: Sequence[Command], depth: int) -> bool:
    """Apply ``commands`` (a file's, or a hook's) to what ``reading`` holds; True when a ``source`` in them failed."""
    dialect, headers, found = reading.dialect, reading.headers, reading.found
    #: the commands that are not account settings (bind, macro ...): their names, and where the first is
    other: list[str] = []
    first_other: Location | None = None
    #: a source failed: the client skips the rest of that line (mutt_parse_rc_line stops at the first error), and
    #: the source of this file fails in the file that sources it (source_rc: "source: errors in FILE")
    failed = failed_here = False
    for command in commands:
        if failed_here and command.joined:
            continue
        failed_here = False
        verb = command.words[0].text
        args = command.words[1:]
        if verb in ("set", "unset", "reset", "toggle"):
            failed_here = _set(verb, args, command.location, reading, dialect)
            failed = failed or failed_here
        elif verb == "my_hdr" and args:
            headers.append(_header(args, command.location, reading))
        elif verb == "unmy_hdr" and args:  # removes the headers of these fields (* all), as the client does
            gone = {w.text.lower() for w in args}
            headers[:] = [] if "*" in gone else [h for h in headers if h[0].partition(":")[0].lower() not in gone]
        elif verb == "source" and len(args) > 1 and not dialect.source_many:
            found.warn(
                command.location,
                f"source names {len(args)} files: {dialect.name} reads none of them (source: too many arguments: "
                f"{_reads_on(dialect)}); write one source line per file",
            )
            failed = failed_here = True
        elif verb == "source" and args:
            # neomutt sources every file the command names, in order, up to the first that fails
            failed_here = any(_source(reading, path, word, command.location, depth) for word in args)
            failed = failed or failed_here
        elif verb in _HOOKS and not reading.in_hook:
            failed_here = _hook(reading, verb, args, command.location)
            failed = failed or failed_here
        else:
            other.append(verb)
            first_other = first_other or command.location
    if first_other is not None and not reading.in_hook:  # a hook's: counted once, with the hooks (_hook_accounts)
        found.warn(
            first_other,
            f"{counted(len(other), 'command')} that "
            f"{plural(len(other), 'is not an account setting', 'are not account settings')} ({named_kinds(other)}) "
            f"{plural(len(other), 'is', 'are')} not imported",
        )
    return failed


def _reads_on(dialect: Dialect) -> str:
    """What the client does at an error in a file it reads: the rest of that line is skipped, and the ``source``
    of the file fails where it is sourced (source: errors in FILE), which skips the rest of that line too."""
    return f"{dialect.name} reports the error and reads on from the next line"


#: how many files deep ``source`` is followed (each file read is a stack frame; real configurations nest two or three)
MAX_SOURCE_DEPTH = 64
#: how many files the source commands of one file read in all, a file sourced from several places counted each
#: time: 64 files that each source the next twice would be read 2**64 times (mutt never finishes either)
MAX_SOURCED_FILES = 1000


def _source(reading: _Reading, path: str, word: Word, where: Location, depth: int) -> bool:  # noqa: PLR0911 - one per refusal
    """Follow one ``source``; True when the client's source fails there: the file cannot be opened (mutt reports
    it and reads on after that line), or a source in it failed."""
    options, dialect, found = reading.options, reading.dialect, reading.found
    target = _as_written(word.text.strip(), reading)
    if target.endswith("|") or word.commands:
        found.warn(where, "source of a command's output: not run, not imported")
        return False
    if not options.follow_source:
        found.warn(where, f"source {shown(target)}: not followed (use --follow-source to read it)")
        return False
    value = _source_path(reading, word, where, target)
    if value.commands:
        found.warn(where, f"source {shown(target)}: a variable in it holds a command's output: not run, not followed")
        return False
    unset = value.variables[0][2] if value.variables else ""
    unset = reading.early[unset][0] if unset in reading.early else unset  # (a hook's, named as it is written)
    expanded = value.text.partition("\0")[0]  # the client's path is a C string: "a\000b" is the file a
    home = expand_home(expanded.strip())
    if unset or home is None:  # not the file mutt would read: ~/x was read as a folder named ~ here
        why = (f"${shown(unset)} is not known here (set nowhere before this line, or a variable of {dialect.name}'s "
               "that the import does not hold)") if unset else no_home(expanded.strip())  # fmt: skip
        found.warn(where, f"source {shown(target)}: {why}: not followed")
        return False
    if expanded.strip().endswith("|"):  # the variable holds a command: mutt would run it
        found.warn(where, "source of a command's output: not run, not imported")
        return False
    beside = dialect.source_beside or os.path.isabs(home)
    # mutt opens the path as it is (source_rc), from the folder it is started in; neomutt from the sourcing file's
    full = os.path.join(os.path.dirname(path), home) if beside else os.path.abspath(home)
    if not beside and not reading.relative_said:
        reading.relative_said = True
        found.warn(
            where,
            f"source {shown(target)}: {dialect.name} reads a relative path from the folder it is started in, not "
            f"beside the file that names it: this and every relative source are read from the current folder, "
            f"{shown(os.getcwd())}",
        )
    if os.path.realpath(full) in reading.seen:
        # neomutt refuses a cyclic source; mutt sources the file again until it runs out of open files: in both, that
        # source fails, once the lines before it are read (again)
        found.warn(
            where,
            f"source {shown(target)}: a loop (it is being read, and sources this file): not read again "
            f"({_reads_on(dialect)}); remove one of the two source commands",
        )
        return True
    refused = _refusal(reading, full, target, depth)
    if refused is not None:
        if refused:
            found.warn(where, refused)
        return False
    try:
        text = read_text(full, _what(dialect), keep_bom=True)
    except Unreadable as exc:
        if exc.location is not None:
            raise  # a byte inside it that is not UTF-8: located there
        # said at the source command: the file named on the command line is the one the user knows
        said = f"{shown(target)} ({shown(full)})" if word.variables or not beside else shown(target)
        if not exc.unopened:  # a FIFO, a file over the limit: not what the client reads either
            raise Unreadable(where, f"source {said}: {exc.what}", exc.fix) from None
        # one the client cannot open (missing, a directory) it reports, and goes on: so does the import
        found.warn(where, f"source {said}: {exc.what}: not read ({_reads_on(dialect)}); {exc.fix}")
        return True
    reading.files += 1
    reading.characters += len(text)
    return _read_file(reading, full, depth + 1, text)


def _source_path(reading: _Reading, word: Word, where: Location, target: str) -> Word:
    """The path of a ``source`` (``target``, as written), each ``$NAME`` in it expanded as in a ``set``; one set nowhere
    as the client reads it (mutt: as nothing; neomutt: as it is written), said."""
    value = _expanded("source", Setting(word, word.text, where), reading, reading.dialect).word or word
    if value.nowhere:
        reading.found.warn(where, _nowhere_said(f"source {shown(target)}", value.nowhere, reading.dialect, "followed"))
    return value


def _refusal(reading: _Reading, full: str, target: str, depth: int) -> str | None:
    """Why the file ``full`` is not read (a chain too deep, too much read already: mailconf's limits, not the
    client's), or None to read it; "" when that was said already."""
    if depth >= MAX_SOURCE_DEPTH:
        return f"source {shown(target)}: more than {MAX_SOURCE_DEPTH} files sourced in a chain; not read"
    if reading.spent:
        return ""
    if reading.files >= MAX_SOURCED_FILES or reading.characters > MAX_FILE_BYTES:
        reading.spent = True
        return (
            f"source {shown(target)}: not read, nor any source after it: the source commands have read "
            f"{reading.files} files ({reading.characters} characters), the most that is read ({MAX_SOURCED_FILES} "
            f"files or {MAX_FILE_BYTES >> 20} MiB)"
        )
    return None


#: never a variable: mutt stops a set command at one ("unknown variable") and sets nothing after it on the line
_VERBS = frozenset(("set", "unset", "reset", "toggle"))
#: the variables each client knows (with their synonyms): any other name is an error there
_VARIABLES = {"mutt": _mutt_variables.MUTT, "neomutt": _mutt_variables.NEOMUTT}


def _variable(word: str) -> str:
    """The variable a set, unset, reset or toggle word names: without its value and without the one prefix mutt
    takes off it before it looks the name up (parse_set: ``?``, ``no``, ``inv`` or ``&``)."""
    name = word.partition("=")[0].strip()
    for prefix in ("?", "no", "inv", "&"):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def _unknown(name: str, verb: str, dialect: Dialect) -> bool:
    """Whether the client refuses ``name`` (unknown variable): neither one of its variables nor a user's my_NAME
    (``reset all`` resets them all)."""
    return name not in _VARIABLES[dialect.name] and not name.startswith("my_") and (verb, name) != ("reset", "all")


def _unknown_said(verb: str, word: str, dialect: Dialect) -> str:
    """What the import says of the unknown variable ``word`` names: a command's name (set set, a line cut at a
    carriage return) has a fix of its own."""
    written = word.partition("=")[0].strip()
    if written in _VERBS:
        return (f"{verb}: {shown(written)} is no variable: mutt stops the command here (unknown variable), and sets "
                "nothing after it on this line; begin a new line (a carriage return does not)")  # fmt: skip
    return (f"{verb} {shown(_variable(word))}: unknown variable: not imported, nor the rest of this line "
            f"({_reads_on(dialect)}); check the name")  # fmt: skip


def _after(word: Word, start: int) -> Word:
    """The value of a ``name=value`` word (``imap_pass="`pass show x`"``, written without blanks): its text from
    ``start``, a backtick command in it only when it is the whole value, as when the value is a word of its own (the
    client reads both the same). The name before it is a variable's (checked): no command nor ``$`` in it."""
    text = word.text[start:]
    return word._replace(
        text=text,
        only_command=len(word.commands) == 1 and text == f"`{word.commands[0]}`",
        variables=tuple((begin - start, end - start, name) for begin, end, name in word.variables if begin >= start),
    )


#: the variables whose value is a password (the client logs in with it)
_PASSWORDS = frozenset(("imap_pass", "pop_pass", "smtp_pass"))


#: the account variables each client holds as they are written (text it neither parses nor rewrites, unlike the
#: address ``from`` or the paths ``folder`` and ``spoolfile``: checked with ``-Q``): ``$NAME`` of one is that text;
#: never set, or unset, each is empty (realname is not: mutt's is the GECOS name from /etc/passwd)
_VERBATIM = frozenset(
    [
        "imap_user", "imap_login", "imap_pass", "imap_authenticators", "pop_host", "pop_user", "pop_pass",
        "pop_authenticators", "smtp_url", "smtp_user", "smtp_pass", "smtp_authenticators",
    ]
)  # fmt: skip


#: the mailbox variables ``$NAME`` of which is the URL they hold when the client holds it as written: it writes one
#: back (url_tostring) with its scheme in lower case, a path, and its %-escapes decoded (checked with ``-Q``)
_MAILBOXES = frozenset(("folder", "spoolfile"))
_WRITTEN_BACK = re.compile(r"(imaps?|pops?)://[^/%]+/[^%]*")
#: whether the client takes an environment variable set to nothing as set (mutt: getenv) or as not set (neomutt:
#: mutt_str_getenv, which keeps ``$NAME`` as it is written)
_EMPTY_IS_SET = {"mutt": True, "neomutt": False}


class _Environment(NamedTuple):
    """An environment variable's value, as ``$NAME`` expands to it."""

    text: str


class _Nowhere(NamedTuple):
    """A ``$NAME`` set nowhere the client looks (:func:`_nowhere`): mutt expands it to nothing, neomutt keeps it as
    it is written, without its braces (checked with both clients logging in: test_mutt_logins.py)."""

    name: str

    def text(self, dialect: Dialect) -> str:
        return f"${self.name}" if _KEEPS_UNSET[dialect.name] else ""


def _held(
    name: str, reading: _Reading, dialect: Dialect, *, password: bool
) -> Setting | _Environment | _Nowhere | str | None:
    """What ``$NAME`` is where the client reads it: an environment variable's text, the setting a ``my_NAME`` or a
    variable of :data:`_VERBATIM` holds (a backtick command's output is a command's, not text; "": one not set), or
    a :class:`_Nowhere`: a name set nowhere the client looks (outside a password: mutt expands it to nothing,
    neomutt keeps ``$NAME``); or None: not expanded here. That is a name not set, in a password, a
    variable whose value the import does not hold as the client does (a path, an address, a default such as
    ``$hostname``) or, in a password (``password``), the environment's, or a ``my_NAME`` that holds it: the file does
    not hold that password. mutt looks in the environment first, then its ``my_`` variables, then its own (parse.c
    ``mutt_extract_token``); neomutt at its own variables, then the ``my_`` ones, then the environment
    (``parse_extract_token``). In a hook's command, a ``$NAME`` the client expanded as it read the hook's line is
    what it held there (``reading.early``)."""
    settings: Mapping[str, Setting] = reading.settings
    nowhere = _set_nowhere(name, reading)
    if nowhere is not None:
        return None if password else nowhere
    if name in reading.early:  # the $NAME of a hook's command the client expanded at the hook's line
        name, setting = reading.early[name]
        settings = {_RENAMED.get(name, name): setting} if isinstance(setting, Setting) else {}
    environment = os.environ.get(name)
    if environment == "" and not _EMPTY_IS_SET[dialect.name]:
        environment = None
    if environment is not None and dialect.environment_first:
        return None if password else _Environment(environment)
    if name.startswith("my_"):
        mine = settings.get(name)
        if mine is not None and mine.word is not None:  # (unset my_NAME: a Setting of no word)
            return None if password and (mine.word.environment or mine.word.nowhere) else mine
    elif name in _VARIABLES[dialect.name]:
        return _own(_RENAMED.get(name, name), settings)
    if environment is not None:
        return None if password else _Environment(environment)
    return None


def _set_nowhere(name: str, reading: _Reading) -> _Nowhere | None:
    """The :class:`_Nowhere` ``$NAME`` is, set nowhere the client looks (:func:`_nowhere`); in a hook's command, the
    one mutt expanded to nothing at the hook's line (``reading.early``); None when it is set."""
    if name in reading.early:
        held = reading.early[name][1]
        return held if isinstance(held, _Nowhere) else None
    return _Nowhere(name) if _nowhere(name, reading) else None


def _own(name: str, settings: Mapping[str, Setting]) -> Setting | str | None:
    """What ``$NAME`` of the client's own variable ``name`` is: the setting of one of :data:`_VERBATIM` ("" when
    not set), of realname when the file sets it (checked with ``-Q``), or of :data:`_MAILBOXES` holding a URL as the
    client writes it back; None for any other."""
    held = settings.get(name)
    if name == "realname":  # as written when the file sets it (not set: mutt's is the name in /etc/passwd)
        return held
    if name in _MAILBOXES:
        return held if held is not None and _WRITTEN_BACK.fullmatch(held.value) else None
    if name in _VERBATIM:
        return "" if held is None else held
    return None


def _expanded(name: str, setting: Setting, reading: _Reading, dialect: Dialect) -> Setting:
    """What ``set NAME = VALUE`` sets, each ``$OTHER`` (or ``${OTHER}``) in it (unquoted or in double quotes: the
    lexer keeps none in single quotes) replaced by what :func:`_held` finds: the client expands them as it reads the
    line. A value that is one ``$OTHER`` alone is the setting OTHER holds, said where it was written (a literal
    password at its ``set my_pass`` line, a backtick command its own, run when it was read: ``password_command``);
    in other text, a command OTHER holds is a command of the value (not run; reported), and a ``$`` OTHER holds that
    the import did not expand stays one. A ``$OTHER`` not expanded stays in the value, reported as a variable not
    expanded. In a ``*_pass``, the environment's value is not taken: the file does not hold that password."""
    word = setting.word
    if word is not None and reading.early and _PLACEHOLDER in word.text:
        # a hook's ${\0mailconf:N} in single quotes in its command: the client wrote there what it expanded $NAME to
        # at the hook's line, and keeps that text when the hook runs: what $NAME held there, as one in double quotes
        inside = {start for start, _end, _name in word.variables}
        quoted = [
            (m.start(), m.end(), m.group(1)) for m in _PLACEHOLDERS.finditer(word.text) if m.start() not in inside
        ]
        word = word._replace(variables=tuple(sorted((*word.variables, *quoted))))
    if word is None or not word.variables:
        return setting
    found = [(start, end, variable, _held(variable, reading, dialect, password=name in _PASSWORDS))
             for start, end, variable in word.variables]  # fmt: skip
    alone = len(found) == 1 and (found[0][0], found[0][1]) == (0, len(word.text))
    if alone and (name in _PASSWORDS or name.startswith("my_")):
        held = found[0][3]
        if isinstance(held, Setting) and held.word is not None and not held.word.variables:
            return held
    pieces: list[str] = []
    commands = list(word.commands)
    variables: list[tuple[int, int, str]] = []
    environment = word.environment
    spans: list[tuple[int, int, str]] = []
    nowhere = list(word.nowhere)
    nowhere_at = {word.nowhere_at or setting.location} if word.nowhere else set()
    last = size = 0
    for start, end, variable, held in found:
        pieces.append(word.text[last:start])
        size += start - last
        last = end
        if held is None:
            text = word.text[start:end]
            variables.append((size, size + len(text), variable))
        elif isinstance(held, _Environment):
            text, environment = held.text, True
            spans.append((size, size + len(text), reading.early.get(variable, (variable, None))[0]))
        elif isinstance(held, str):
            text = held
        elif isinstance(held, _Nowhere):
            text = held.text(dialect)
            nowhere.append(held.name)
            nowhere_at.add(setting.location)
        else:
            text = held.value
            if held.word is not None:
                environment = environment or held.word.environment
                spans.extend((size + begin, size + stop, inner) for begin, stop, inner in held.word.environment_spans)
                commands.extend(held.word.commands)
                nowhere.extend(held.word.nowhere)
                nowhere_at.update([held.word.nowhere_at or held.location] if held.word.nowhere else [])
                variables.extend((size + begin, size + stop, inner) for begin, stop, inner in held.word.variables)
        pieces.append(text)
        size += len(text)
    pieces.append(word.text[last:])
    text = "".join(pieces)
    only = len(commands) == 1 and text == f"`{commands[0]}`"
    value = word._replace(
        text=text,
        commands=tuple(commands),
        only_command=only,
        variables=tuple(variables),
        environment=environment,
        environment_spans=tuple(spans),
        nowhere=tuple(nowhere),
        nowhere_at=next(iter(nowhere_at)) if len(nowhere_at) == 1 and setting.location not in nowhere_at else None,
    )
    return setting._replace(word=value, value=text)


def _refused_name(verb: str, word: Word, at: Location, reading: _Reading) -> bool | None:
    """Said, when the import reads no further in a set command at the variable ``word`` names: True when the client
    stops at it (an unknown variable), False when the import alone does (a name the client expanded at a hook's line
    to a value not known here: ``set $my_n = x`` in a hook's double quotes); None: read on."""
    name = word.text.partition("=")[0]
    if _PLACEHOLDER in name:
        reading.found.warn(
            at,
            f"{verb} {shown(_as_written(name.strip(), reading))}: the variable's name is what the client expanded "
            f"there at the hook's line, which is not known here: not imported, nor the rest of this {verb}",
        )
        return False
    if _unknown(_variable(word.text), verb, reading.dialect):
        reading.found.warn(at, _unknown_said(verb, word.text, reading.dialect))
        return True
    return None


def _no_value(name: str, word: Word, at: Location, reading: _Reading) -> Word | None:
    """The value of a ``set NAME =`` with nothing after it: empty text to both clients (checked with ``-Q``); None for
    an account variable of yes or no, or a number, which they refuse (said here: the client keeps the value before,
    and skips the rest of the line)."""
    if name in _ACCOUNT_VARIABLES and name not in _TEXT_VARIABLES:
        client = reading.dialect.name
        reading.found.warn(
            at,
            f"set {shown(name)} = has no value: {client} refuses it (a yes or no, or a number) and keeps the value "
            f"before, nor sets the rest of this line ({_reads_on(reading.dialect)})",
        )
        return None
    return Word("", (), False, False, word.column, -1)


#: the account's yes/no variables, and the quadoptions (yes, no, ask-yes, ask-no), whose other values the clients
#: refuse: the words each takes, in any case (checked with -Q: mutt 2.2.12 takes yes and no only, NeoMutt 20220429
#: also on, off, true, false, 1 and 0 for a yes/no variable, and no more than mutt for a quadoption)
_BOOLEANS = frozenset({"ssl_force_tls", "ssl_verify_host", *_TLS_VARIABLES})
_QUADOPTIONS = frozenset({"ssl_starttls", "pop_delete"})
_YES_NO = {"mutt": ("yes", "no"), "neomutt": ("yes", "no", "on", "off", "true", "false", "1", "0")}
_QUAD = ("yes", "no", "ask-yes", "ask-no")


def _refused_value(name: str, setting: Setting, reading: _Reading) -> bool:
    """Whether the client refuses this value of a yes/no variable or a quadoption (``set ssl_force_tls = maybe``):
    said here; it keeps the value before, and skips the rest of the line (checked with -Q)."""
    if name in _BOOLEANS:
        taken = _YES_NO[reading.dialect.name]
    elif name in _QUADOPTIONS:
        taken = _QUAD
    else:
        return False
    if _unknowable(name, setting) or setting.value.lower() in taken:
        return False
    client = reading.dialect.name
    reading.found.warn(
        setting.location,
        f"set {shown(name)} = {shown(setting.value)}: {client} refuses it (it takes {', '.join(taken[:-1])} or "
        f"{taken[-1]}) and keeps the value before, nor sets the rest of this line ({_reads_on(reading.dialect)})",
    )
    return True


def _set(verb: str, args: Sequence[Word], where: Location, reading: _Reading, dialect: Dialect) -> bool:
    """Apply one set, unset, reset or toggle command; True when the client stops at an unknown variable in it, and
    skips the rest of the line."""
    settings, found = reading.settings, reading.found
    i = 0
    while i < len(args):
        word = args[i]
        at = Location(where.path, where.line, word.column)
        refused = _refused_name(verb, word, at, reading)
        if refused is not None:
            return refused
        if word.equals >= 0 or (i + 1 < len(args) and args[i + 1].text.startswith("=") and args[i + 1].equals == 0):
            if word.equals >= 0:
                name, rest = word.text[: word.equals].strip(), word.text[word.equals + 1 :]
                value_word = _after(word, word.equals + 1) if rest else (args[i + 1] if i + 1 < len(args) else None)
                i += 1 if rest else 2
            else:
                name = word.text
                rest = args[i + 1].text[1:]
                value_word = _after(args[i + 1], 1) if rest else (args[i + 2] if i + 2 < len(args) else None)
                i += 2 if rest else 3
            name = _RENAMED.get(name, name)
            value_word = value_word or _no_value(name, word, at, reading)
            setting = (
                None
                if value_word is None
                else _expanded(name, Setting(value_word, value_word.text, at), reading, dialect)
            )
            if setting is None or _refused_value(name, setting, reading):
                return True
            settings[name] = setting
            continue
        name = word.text
        i += 1
        if name.startswith("?"):
            continue  # set ?name asks for the value: nothing changes
        if name.startswith("&"):  # set &name is reset name (parse_set)
            name, verb = name[1:], "reset"
        value = "yes"
        if verb == "unset" or name.startswith("no"):
            value = "no"
            name = name[2:] if verb != "unset" and name.startswith("no") else name
        elif name.startswith("inv") or verb == "toggle":
            found.warn(
                at,
                f"{verb} {shown(name)}: a toggled value is not imported; write set "
                f"{shown(name.removeprefix('inv'))} = yes or no",
            )
            continue
        written, name = name, _RENAMED.get(name, name)
        if value == "no" and verb == "set" and name in _TEXT_VARIABLES and not dialect.no_empties_text:
            found.warn(
                at,
                f"set no{shown(written)}: {dialect.name} takes no 'no' before a text variable and changes nothing "
                f"(a warning of its own); to empty it, write unset {shown(written)}",
            )
            continue
        if verb == "reset" or (value == "no" and name in _TEXT_VARIABLES):
            settings.pop(name, None)  # a text variable unset is empty, as if never set (it was the text "no")
            continue
        settings[name] = Setting(None, value, at)
    return False


def _account(  # noqa: PLR0912, PLR0915
    path: str,
    settings: Mapping[str, Setting],
    headers: Sequence[tuple[str, Location, str]],
    dialect: Dialect,
    found: Collector,
    *,
    opened: Setting | None = None,
    by_address: bool = False,
) -> None:
    """The account ``settings`` describe; ``opened``: the mailbox a hook names, open (its server is the incoming
    one); ``by_address``: one of several accounts of the file, named after its address, not after the file."""
    #: a value the client takes from a command's output or a variable, which the import cannot know: reported, and
    #: not read as the text it is written as (`whoami` as a user name, a `echo no` as ssl_starttls off)
    #: a my_ variable a password is (a command, text: _expanded) is said as the password, not as itself
    passwords = [settings[variable] for variable in _PASSWORDS if variable in settings]
    unknowable = {
        variable: why
        for variable, setting in settings.items()
        if setting not in passwords and (why := _unknowable(variable, setting))
    }
    written, settings = settings, {k: v for k, v in settings.items() if k not in unknowable}
    servers: list[tuple[str, dict[str, Any], Protocol, Setting]] = []
    #: side -> what could not be held (location, message): commented once the account has its name
    pending: dict[str, list[tuple[Location, str]]] = {}
    #: the spool file is the mailbox mail arrives in (mutt opens it at start): an IMAP or POP spool file is the
    #: incoming server as much as an IMAP folder is
    sources = (("folder", "incoming"), ("spoolfile", "incoming"), ("pop_host", "incoming"), ("smtp_url", "outgoing"))
    for variable, side in (("mailbox", "incoming"), *sources):
        setting = opened if variable == "mailbox" else settings.get(variable)
        if setting is None or not re.match(r"(?i)(imaps?|pops?|smtps?)://", setting.value):
            continue
        notes: list[tuple[Location, str]] = []
        server, protocol = _url(variable, setting, notes)  # (one Python does not split stops the import)
        refused = _not_read_as_url(setting.value, dialect)
        if refused:
            found.warn(setting.location, f"{variable}: {dialect.name} does not read it as a URL: {refused}")
            continue
        if _empty_user(setting.value, protocol, settings, dialect):
            server["username"] = ""  # the URL's: no *_user after it (_credentials takes it off)
            user = f"{_PREFIX[protocol]}_user"
            if dialect.name == "neomutt" and protocol is Protocol.IMAP:
                user += _EMPTY_COMMAND
            said = _EMPTY_USER.format(variable=variable, client=dialect.name, user=user)
            notes.append((setting.location, said))
        pending.setdefault(side, []).extend(notes)
        first = next((s for s in servers if s[0] == side), None)
        if first is not None:  # folder imaps://host/ and spoolfile imaps://host/INBOX: one server, said once
            if not _same_server(first[1], first[2], server, protocol):
                found.warn(setting.location, f"{variable}: a second incoming server; only the first is imported")
            continue
        servers.append((side, server, protocol, setting))
    if not servers:
        hidden = next((variable for variable, _side in sources if variable in unknowable), None)
        if hidden is not None:  # the only server is one a command or a variable names: "no account found" misleads
            raise Unreadable(
                written[hidden].location,
                f"{hidden} {unknowable[hidden]}, so the server it names is not known here, and the file names no other",
                "write the URL itself, as imaps://USER@HOST/ (a password command goes in imap_pass)",
            )
        unset = next((variable for variable, _side in sources if _nowhere_names(settings.get(variable))), None)
        if unset is not None:  # the client reads no URL there: "no server to import" misleads
            said = _nowhere_said(unset, _nowhere_names(settings.get(unset)), dialect, "read")
            word = settings[unset].word
            raise Unreadable(
                (word.nowhere_at if word is not None else None) or settings[unset].location,
                f"{said}: no server URL, and the file names no other",
                "write the URL itself, as imaps://USER@HOST/, or set the variable in the file before this line",
            )
        where = Location(path, 1, 1)
        found.warn(where, "no folder = imap(s)://..., pop_host or smtp_url: no server to import")
        return
    starttls = _flag(settings, "ssl_starttls", default=True)
    force = _flag(settings, "ssl_force_tls", default=True)
    tls: dict[str, Any] = {}
    if "ssl_ca_certificates_file" in settings:
        tls["ca_file"] = settings["ssl_ca_certificates_file"].value
    if "ssl_verify_host" in settings:
        tls["verify_hostname"] = _flag(settings, "ssl_verify_host", default=True)
    if "ssl_client_cert" in settings:
        tls["client_cert"] = settings["ssl_client_cert"].value
    versions = {v: _flag(settings, var, default=_TLS_DEFAULTS[v]) for var, v in _TLS_VARIABLES.items()}
    if any(var in settings for var in _TLS_VARIABLES):
        lowest = next((v for v in versions if all(versions[w] for w in versions if w >= v)), None)
        if lowest is not None:
            tls["min_version"] = lowest
    timeout: int | None = None
    if "connect_timeout" in settings:
        text = settings["connect_timeout"].value.strip()
        if re.fullmatch(r"-?[0-9]{1,6}", text):
            timeout = max(int(text), 0) if int(text) >= 0 else 0
    account: dict[str, Any] = {}
    address_setting = settings.get("from")
    address = address_setting.value if address_setting else None
    real_name = settings["realname"].value if "realname" in settings else None
    # blank is no name: what `mailconf render` writes for an account without one (neomutt: one space)
    display_name = real_name if real_name is not None and real_name.strip() else None
    named = display_name  # realname's, which the client gives a From of no name (from's, or my_hdr From's)
    if address is not None:
        # the client reads from as an address, and sends its name (a comment when there is no other: "a@b (Name)"),
        # realname only when it has none (checked with the From each client sends)
        # a group (g: a@example.org;): both clients send its name, MAIL FROM:<g> and From: <g>: (seen), no address
        grouped = ":" in group_marks(address)
        phrase, parsed = parse_sender(address) if not grouped else ("", "")
        listed = sender_list(address) if not parsed and not grouped else []
        if len(listed) > 1 and is_address(listed[0][1]):  # a list: the client sends its first address
            phrase, parsed = listed[0]
        if parsed:
            address = parsed
            display_name = phrase or display_name
    fields = _header_fields(headers)
    sender = fields.pop("from", None)
    if sender is not None and sender[3]:
        pending.setdefault("address", []).append(
            (sender[2], f"my_hdr From: {sender[3]}: not imported; the client sends it, this file has from's")
        )
    elif sender is not None and not sender[1].strip(" \t"):
        pending.setdefault("address", []).append(
            (sender[2], "my_hdr From: is blank: the client sends no From header at all, which an account cannot say; "
             "this file has from's")
        )  # fmt: skip
    elif sender is not None and is_address(parse_sender(sender[1])[1]):
        # my_hdr From: is the From of every message the client sends, in place of $from, and of $realname when it
        # has a name of its own (with none, realname's, not from's: checked with the From each client sends)
        phrase, address = parse_sender(sender[1])
        display_name = phrase or named
    elif sender is not None:
        pending.setdefault("address", []).append(
            (sender[2], f"my_hdr From: {shown(sender[1])} is no address; the client sends it, this file has from's")
        )
    authorization: str | None = None  # the user an imap_login not known here asks for the mail of
    for side, server, protocol, _setting in servers:
        prefix = _PREFIX[protocol]
        if server["security"] != "tls":
            server["security"] = "starttls" if force and starttls else "starttls-optional" if starttls else "none"
        _credentials(server, protocol, prefix, settings, dialect, pending.setdefault(side, []))
        if protocol is Protocol.IMAP and "imap_login" in unknowable and _sends_login(settings, dialect):
            # not imap_user's: the client authenticates as imap_login's value, not known here (_login_left_out), and
            # asks for imap_user's mail (its authorization identity)
            authorization = server.pop("username", None)
        if protocol is Protocol.POP3 and "pop_delete" in settings:
            delete = settings["pop_delete"].value
            if delete in ("yes", "no"):
                server["leave_on_server"] = delete == "no"
        if tls:
            server["tls"] = dict(tls)
        if timeout is not None:
            server["timeout"] = timeout
        account[side] = server
        if address is None and is_address(server.get("username")):
            address = server["username"]
    account_address = address or guess_address(servers[0][1].get("username"), "user", servers[0][1]["host"])
    data: dict[str, Any] = {"address": account_address}
    if display_name is not None:
        data["display_name"] = display_name
    organization = fields.pop("organization", None)
    if organization is not None and organization[3]:
        pending.setdefault("", []).append((organization[2], f"my_hdr Organization: {organization[3]}, not imported"))
    elif organization is not None:
        data["organization"] = organization[1]
    for field, _value, where, _why in fields.values():
        pending.setdefault("", []).append(
            (where, f"my_hdr {shown(field)}: a header of every message, which an account file does not hold")
        )
    data.update(account)
    base = os.path.basename(path)  # work.muttrc -> work (src.muttrc -> src); muttrc, .neomuttrc -> the address
    # NAME.muttrc is how render names an account's file: NAME as it is (0..muttrc is account "0."), and so is
    # NAME.neomuttrc; another name is made up from the file's: ml.rc -> ml, not "ml." (a final dot: MC711)
    suffix = next((s for s in (".muttrc", ".neomuttrc") if base.endswith(s) and base != s), None)
    stem = base.removesuffix(suffix) if suffix else base.removesuffix("rc").rstrip(".")
    by_file = stem.strip(".") not in ("mutt", "neomutt", "") and not by_address
    wanted = stem if by_file else account_address.split("@")[0]
    name = found.add(wanted, data, servers[0][3].location)
    if address is None:
        found.lost(
            servers[0][3].location,
            ("accounts", name, "address"),
            "the file sets no from address: this address is a guess, check it",
        )
    for side, notes in pending.items():
        for where, message in notes:
            found.lost(where, ("accounts", name, side) if side else ("accounts", name), message)
    for variable, setting in written.items():
        path_key = ("accounts", name)
        if variable in unknowable:
            left_out = (
                _login_left_out(settings, dialect, authorization)
                if variable == "imap_login" and "incoming" in account
                else ""
            )
            found.lost(setting.location, path_key, f"{variable} {unknowable[variable]}, not imported{left_out}")
        elif setting.word is not None and setting.word.variables and variable in _ACCOUNT_VARIABLES:
            found.lost(setting.location, path_key, f"{variable} names a variable ($...) that is not expanded")
        elif setting.word is not None and setting.word.nowhere and variable in _ACCOUNT_VARIABLES:
            where = setting.word.nowhere_at or setting.location
            found.lost(where, path_key, _nowhere_said(variable, setting.word.nowhere, dialect))
        elif variable == "certificate_file":
            found.lost(
                setting.location,
                path_key,
                "certificate_file holds certificates accepted once; pin a server with tls.fingerprint instead",
            )
        elif variable == "pop_delete" and setting.value not in ("yes", "no"):
            found.lost(
                setting.location,
                path_key,
                f"pop_delete {shown(setting.value)}: asks each time; leave_on_server is not set",
            )
    for sides in ("incoming", "outgoing"):
        declared = account.get(sides)
        if declared is not None and declared["security"] == "starttls-optional":
            found.lost(
                settings.get("ssl_force_tls", servers[0][3]).location,
                ("accounts", name, sides, "security"),
                "ssl_force_tls is not set: STARTTLS is used only when offered (starttls-optional, which render "
                "refuses); set ssl_force_tls = yes, or declare security starttls",
            )


def _nowhere_names(setting: Setting | None) -> tuple[str, ...]:
    """The names of the ``$NAME``s set nowhere that ``setting`` holds (:class:`_Nowhere`)."""
    return setting.word.nowhere if setting is not None and setting.word is not None else ()


def _nowhere_said(variable: str, names: Sequence[str], dialect: Dialect, done: str = "imported") -> str:
    """The warning of a value that holds a ``$NAME`` set nowhere: imported (or ``done``: a source path followed) as
    the client reads it, which depends on the environment the client runs in, not the one the import ran in."""
    listed = ", ".join(f"${name}" for name in dict.fromkeys(names))
    verb = "is" if len(set(names)) == 1 else "are"
    reads = "as nothing" if not _KEEPS_UNSET[dialect.name] else "as it is written"
    return (
        f"{variable}: {listed} {verb} not set where {dialect.name} reads this line (not by the file before it, nor in "
        f"the environment the import ran in): {done} as {dialect.name} reads it, {reads}"
    )


def _unknowable(variable: str, setting: Setting) -> str:
    """Why the client's value of ``variable`` is not the text the file writes ("VARIABLE WHY, ..."): a backtick
    command in it (outside a ``*_pass``, whose command is the password's: password_command), or a ``$name`` of an
    account variable; "" when it is. A ``*_oauth_refresh_command`` in backticks is one too: the client runs them
    once, as it reads the file, and takes their output as the command to run. A ``my_NAME`` is said where it is
    used (:func:`_expanded`), not where it is set."""
    word = setting.word
    if word is None or variable.endswith("_pass") or variable.startswith("my_"):
        return ""
    if word.commands:
        return _UNKNOWN_COMMAND
    if word.variables and variable in _ACCOUNT_VARIABLES:
        return _UNKNOWN_VARIABLE
    return ""


_UNKNOWN_COMMAND = "runs a command (backticks): not run"


def _authenticators(settings: Mapping[str, Setting]) -> list[str]:
    """The methods imap_authenticators lists, lower case ([]: none listed: the client picks)."""
    setting = settings.get("imap_authenticators")
    return [m.strip().lower() for m in setting.value.split(":") if m.strip()] if setting is not None else []


def _first_authenticator(settings: Mapping[str, Setting]) -> str:
    """The first method imap_authenticators lists, lower case ("": none listed: the client picks)."""
    return next(iter(_authenticators(settings)), "")


def _sends_login(settings: Mapping[str, Setting], dialect: Dialect) -> bool:
    """Whether the client logs in to IMAP as imap_login (else as imap_user: the user the URL names, or imap_user) in
    the common case: with the first method imap_authenticators lists, or the one it picks when none is (a server
    that offers AUTH=PLAIN). Checked with each client (mutt 2.2.12, neomutt 20220429) logging in to a local server
    (tests/importers/test_mutt_logins.py): SASL (mutt's PLAIN, SCRAM, neomutt's SCRAM) authenticates as imap_login;
    neomutt's own PLAIN, which it picks first, sends imap_user, and so does the LOGIN command of both clients, which
    ``login`` picks when the server offers no AUTH=LOGIN (when it does, both authenticate with SASL LOGIN as
    imap_login). So do OAUTHBEARER (its ``a=``) and XOAUTH2 (its ``user=``), which send that name alone
    (:func:`_asks_for_user`; checked with both clients over TLS)."""
    return _by_login(_first_authenticator(settings), dialect)


#: the methods that send the login name alone: no authorization identity besides it (OAUTHBEARER's a= is imap_login,
#: else imap_user; XOAUTH2's user= alike: checked with both clients over TLS)
_NAME_ALONE = frozenset(("oauthbearer", "xoauth2"))


def _asks_for_user(settings: Mapping[str, Setting], dialect: Dialect) -> bool:
    """Whether the client, logging in as imap_login in the common case (:func:`_sends_login`), asks for imap_user's
    mail as its SASL authorization identity: every SASL method but OAuth2's (:data:`_NAME_ALONE`)."""
    return _sends_login(settings, dialect) and _first_authenticator(settings) not in _NAME_ALONE


def _by_login(method: str, dialect: Dialect) -> bool:
    """Whether ``method`` ("": the client's pick) logs in as imap_login (:func:`_sends_login`)."""
    return method not in ("login", *(("", "plain") if dialect.name == "neomutt" else ()))


def _other_login(settings: Mapping[str, Setting], dialect: Dialect) -> str:
    """When the client logs in as the other of imap_user and imap_login than :func:`_sends_login` says, with a
    server that offers less or more: the words for it, "" when it never does. The client tries the methods listed in
    turn, going on where the server does not offer one: the first listed after the first that logs in as the other
    name is said."""
    names = _authenticators(settings)
    first = names[0] if names else ""
    if first == "login":
        return "with a server that offers AUTH=LOGIN it authenticates with SASL LOGIN as imap_login"
    if not first and dialect.name == "neomutt":
        return "with a server that offers no AUTH=PLAIN it authenticates with SASL (SCRAM, CRAM-MD5 ...) as imap_login"
    if not first:
        return "with a server that offers no SASL mechanism it sends imap_user in its LOGIN command"
    later = next((m for m in names[1:] if _by_login(m, dialect) != _by_login(first, dialect)), None)
    if later is None:
        return ""
    if later == "login":
        how = "sends imap_user in its LOGIN command"
    elif later == "plain" and dialect.name == "neomutt":
        how = "authenticates as imap_user with its own PLAIN"
    else:
        how = f"authenticates with SASL {later.upper()} as imap_login"
    listed = ", ".join(m.upper() for m in names[: names.index(later)])
    return f"with a server that offers none of {listed} it {how}"


def _how(settings: Mapping[str, Setting], dialect: Dialect) -> str:
    """How the client logs in to IMAP in the common case (:func:`_sends_login`), in words."""
    first = _first_authenticator(settings)
    if first == "login":
        return "sends imap_user in its LOGIN command"
    if first in ("", "plain") and dialect.name == "neomutt":
        return "authenticates as imap_user with its own PLAIN"
    return f"authenticates as imap_login with {'SASL' if first in ('', 'plain') else first.upper()}"


def _login_said(settings: Mapping[str, Setting], dialect: Dialect, user: str, login: str) -> str:
    """The warning of an imap_login (``login``) and a user (``user``) that differ: which one the username is; that
    SASL asks for the user's mail, as its authorization identity (mutt's PLAIN sends ``user\0login\0password``,
    SCRAM ``n,a=user,n=login``: checked with the clients logging in, tests/importers/test_mutt_logins.py), which an
    account cannot say (a client rendered from it asks for the login's own); and when the server decides, what the
    client sends then."""
    sends_login = _sends_login(settings, dialect)
    said = f"{dialect.name} {_how(settings, dialect)} ({login if sends_login else user}), the username imported"
    if _asks_for_user(settings, dialect):
        said += _asking_for(user)
    if other := _other_login(settings, dialect):
        said += f"; {other} ({user if sends_login else login})" + (
            "" if sends_login else ", which an account cannot say"
        )
    return said


def _asking_for(user: str) -> str:
    """What the warnings of an imap_login the client authenticates as with SASL say of ``user``, its authorization
    identity (:func:`_login_said`)."""
    return f", asking for imap_user's mail ({user}: its SASL authorization identity), which an account cannot say"


def _login_left_out(settings: Mapping[str, Setting], dialect: Dialect, authorization: str | None) -> str:
    """What the warning of an imap_login whose value is not known here adds: the IMAP username is left out when the
    client sends imap_login (:func:`_sends_login`), kept (imap_user's) when it sends imap_user; and, as
    :func:`_login_said` says, the user the client asks for the mail of (``authorization``, the user it would log in as
    without imap_login; None: none)."""
    how = _how(settings, dialect).replace("as imap_login", "as its value", 1)
    if authorization is not None and _asks_for_user(settings, dialect):
        how += _asking_for(authorization)
    other = _other_login(settings, dialect).replace("as imap_login", "as its value", 1)
    kept = "nor is the IMAP username" if _sends_login(settings, dialect) else "the IMAP username is imap_user's"
    return f"; {kept}: {dialect.name} {how}" + (f"; {other}" if other else "")


_UNKNOWN_VARIABLE = "names a variable ($...), which the client expands: not expanded"


def _same_server(
    first: Mapping[str, Any], first_protocol: Protocol, other: Mapping[str, Any], protocol: Protocol
) -> bool:
    """Whether two mailbox URLs name one server: the protocol, the host (any case), the port, and the same user or
    none in one of them, which the client logs in to as ``*_user``: a hook's ``imaps://alice@host/`` and the folder
    render writes for that account, ``imaps://host/`` with ``imap_user = alice``."""

    def endpoint(server: Mapping[str, Any], protocol: Protocol) -> tuple[object, ...]:
        return protocol, str(server["host"]).lower(), server["port"]

    if endpoint(first, first_protocol) != endpoint(other, protocol):
        return False
    users = (first.get("username"), other.get("username"))
    return None in users or users[0] == users[1]


def _header_fields(headers: Sequence[tuple[str, Location, str]]) -> dict[str, tuple[str, str, Location, str]]:
    """The my_hdr headers the client sends, by lower-cased field name: (the field, its value, where, why its value is
    not known); a field given again replaces the one before, as my_hdr does. A header without a colon the client
    refuses (invalid header field); one of a blank value it does not send (mutt_write_rfc822_header: "don't emit
    empty fields"; a blank From is kept: the client sends no From at all then; checked with the headers each client
    sends)."""
    fields: dict[str, tuple[str, str, Location, str]] = {}
    for value, where, why in headers:
        field, colon, rest = value.partition(":")
        if colon and field.strip():
            fields[field.strip().lower()] = (field.strip(), rest[1:] if rest.startswith(" ") else rest, where, why)
    return {key: field for key, field in fields.items() if field[1].strip(" \t") or field[3] or key == "from"}


def _header(args: Sequence[Word], where: Location, reading: _Reading) -> tuple[str, Location, str]:
    """One ``my_hdr`` header: its text, each ``$NAME`` in it expanded as in a ``set`` (:func:`_expanded`), where,
    and why the text the client sends is not known here ("" when it is): a variable not expanded, a command."""
    words = [
        _expanded("my_hdr", Setting(word, word.text, where), reading, reading.dialect).word or word for word in args
    ]
    why = next(
        (_UNKNOWN_COMMAND if word.commands else _UNKNOWN_VARIABLE for word in words if word.commands or word.variables),
        "",
    )
    text = _as_written(" ".join(word.text for word in words), reading)
    nowhere = [name for word in words for name in word.nowhere]
    if nowhere and not why:  # the header the client sends (mutt: $NAME as nothing; neomutt: as it is written)
        field = text.partition(":")[0].strip()
        reading.found.warn(where, _nowhere_said(f"my_hdr {shown(field)}", nowhere, reading.dialect))
    return text, where, why


def _url(variable: str, setting: Setting, pending: list[tuple[Location, str]]) -> tuple[dict[str, Any], Protocol]:
    # the URL is never quoted in a message: it may hold a password (imaps://user:secret@host/)
    try:
        parsed = urllib.parse.urlsplit(setting.value)
    except ValueError:  # a "[" without its "]"
        raise Unreadable(setting.location, f"{variable}: not a URL", "write SCHEME://USER@HOST:PORT/") from None
    scheme = parsed.scheme.lower()
    protocol, implicit = _SCHEMES[scheme]
    try:
        port = parsed.port
    except ValueError:
        raise Unreadable(setting.location, f"{variable}: the port is not a number", "write HOST:PORT") from None
    server: dict[str, Any] = {}
    if protocol is not Protocol.SMTP:
        server["protocol"] = protocol.value
    host = parsed.netloc.rpartition("@")[2]  # as written: urlsplit's hostname is lower-cased
    host = host[1 : host.index("]")] if host.startswith("[") and "]" in host else host.partition(":")[0]
    server["host"] = host
    server["port"] = port or _DEFAULT_PORTS[scheme]
    server["security"] = "tls" if implicit else "starttls"
    if parsed.username:
        server["username"] = urllib.parse.unquote(parsed.username)
    if parsed.password:
        pending.append((setting.location, _password_said(variable, setting)))
    return server, protocol


def _empty_user(url: str, protocol: Protocol, settings: Mapping[str, Setting], dialect: Dialect) -> bool:
    """Whether the client logs in with the empty user the URL names (nothing before its ``@``: ``imaps://@host/``,
    what mutt makes of ``imaps://$NAME@host/`` with NAME set nowhere), not with ``*_user``. mutt does (url_parse keeps
    it, and mutt_account_fromurl marks the user given), and to SMTP, where it authenticates then; so does neomutt to
    SMTP where smtp_user is not set (checked with each client logging in to a local IMAP and SMTP server; mutt's POP
    takes the URL's user the same way, mutt_account_getuser). neomutt, given an IMAP URL of an empty user, first sends
    an empty command (``a0000``, which Dovecot answers BAD), then logs in with that empty name too, imap_user set or
    not (checked against Dovecot: "Empty username"); its POP URLs are read as before, the user pop_user."""
    try:
        empty = urllib.parse.urlsplit(url).username == ""
    except ValueError:  # a "[" without its "]": _url says so
        return False
    if dialect.name == "mutt" or not empty or protocol is Protocol.IMAP:
        return empty
    user = settings.get("smtp_user")
    return protocol is Protocol.SMTP and (user is None or not user.value)


#: what neomutt sends before it logs in with an IMAP URL's empty user (said after the user it does not log in as)
_EMPTY_COMMAND = " (it first sends an empty command, a0000, which the server refuses)"
_EMPTY_USER = (
    "{variable}: {client} logs in with the empty user name the URL holds (nothing before its @), not {user}, which "
    "an account cannot say: no username imported; write the user in the URL, or leave out its @"
)


#: what a %-escape is to both clients' url_pct_decode: a % then two hexadecimal digits; any other % fails the URL
_BAD_ESCAPE = re.compile("%(?![0-9A-Fa-f]{2})")
#: the characters but letters and digits (of any script: neomutt is built with PCRE2, \p{L}\p{N}) that neomutt's URL
#: (prex.c PREX_URL, RFC 3986's unreserved, sub-delims and %) takes in a user, a password and a host name
_NEOMUTT_URL_CHARACTERS = frozenset("][._~%!$&'()*+,;=-")
_IPV6 = re.compile("[0-9A-Fa-f:.]+")
_QUERY = re.compile("[^&=#]+=[^&=#]+(?:&[^&=#]+=[^&=#]+)*")


def _neomutt_takes(text: str, also: str = "") -> str:
    """The first character of ``text`` neomutt's URL does not take there, or ""."""
    return next((c for c in text if not c.isalnum() and c not in _NEOMUTT_URL_CHARACTERS and c not in also), "")


def _not_read_as_url(value: str, dialect: Dialect) -> str:
    """Why the client does not read ``value``, a ``scheme://...`` URL, as the server it names ("" when it does; checked
    with each client logging in, or not, to a local server): a % not followed by two hexadecimal digits in the user or
    the password (both clients' url_pct_decode fails), or, for neomutt, a character its URL regular expression does not
    take (prex.c PREX_URL; its query is key=value pairs): neomutt then reads the value as a local folder's path (a
    blank) or as no mailbox (``<``). The password is never shown, nor a character of it."""
    rest = value.partition("://")[2]
    before, question, query = rest.partition("?")
    authority, _slash, path = before.partition("/")
    userinfo, _at, hostport = authority.rpartition("@")
    user, colon, password = userinfo.partition(":")
    if _BAD_ESCAPE.search(userinfo):
        return "a % in its user or password is not followed by two hexadecimal digits (write a % itself as %25)"
    if dialect.name != "neomutt":
        return ""
    if hostport.startswith("["):
        address, bracket, port = hostport[1:].partition("]")
        host = "" if bracket and _IPV6.fullmatch(address) else "["  # ([ is taken in a host name, not alone)
        port = port.removeprefix(":")  # (anything else after the ] is no port either)
    else:
        host, _colon, port = hostport.partition(":")
    odd = [
        ("user", _neomutt_takes(user, "@")),
        ("password", "a character" if colon and _neomutt_takes(password) else ""),
        ("host name", "[" if host == "[" else _neomutt_takes(host)),
        ("port", "a character" if port and not port.isdigit() else ""),
        ("path", _neomutt_takes(path, ":@/ ")),
        ("query", "a character" if question and not _QUERY.fullmatch(query) else ""),
    ]
    where, what = next(((part, c) for part, c in odd if c), ("", ""))
    if not where:
        return ""
    said = "a blank" if what == " " else what if what == "a character" else repr(what)
    return (
        f"its {where} holds {said}, which neomutt's URLs do not take there (neomutt reads the value as a local "
        "folder's path, or as no mailbox); write it %-escaped, as %20 for a blank"
    )


def _password_said(variable: str, setting: Setting) -> str:
    """What the import says of the password in the URL ``setting`` holds: a literal password, or one the client takes
    from the environment when it reads the file (``smtps://$USER:$MAILPASS@...``), which the file does not hold. The
    value is never said."""
    text = setting.value
    start = text.index("://") + 3
    userinfo = re.split("[/?#]", text[start:], maxsplit=1)[0].rpartition("@")[0]
    begin = start + userinfo.index(":") + 1
    end = start + len(userinfo)
    spans = setting.word.environment_spans if setting.word is not None else ()
    names = [name for first, last, name in spans if first < end and last > begin]
    if not names:
        return LITERAL_PASSWORD
    return (
        f"{variable}: the password in it is the environment's ({', '.join(dict.fromkeys(names))}) when the client "
        "reads the file, which the file does not hold: not imported; set password_command to a command that prints it"
    )


def _flag(settings: Mapping[str, Setting], name: str, *, default: bool) -> bool:
    setting = settings.get(name)
    if setting is None:
        return default
    return setting.value.lower() in ("yes", "on", "true", "1")


def _username(
    server: dict[str, Any],
    prefix: str,
    settings: Mapping[str, Setting],
    dialect: Dialect,
    pending: list[tuple[Location, str]],
) -> bool:
    """Set the server's username: the name the client logs in with; True when that is the URL's empty user."""
    user = settings.get(f"{prefix}_user")
    # the URL's empty user, which mutt logs in with (_empty_user): no name to import, and no *_user in its place
    empty = server.get("username") == ""
    if empty:
        del server["username"]
    # the URL's user comes first (mutt_account_getuser); an empty one is none: the client holds "" as not set
    if user is not None and user.value and "username" not in server and not empty:
        server["username"] = user.value
    login = settings.get("imap_login") if prefix == "imap" else None
    if login is not None and login.value:  # IMAP's login name: imap_login, else that user (mutt_account_getlogin)
        user_name = server.get("username")
        if user_name is None and not empty:  # (the URL's empty user the client does not ask for)
            pending.append((login.location, _NO_USER.format(client=dialect.name, login=login.value)))
        elif _sends_login(settings, dialect):
            server["username"] = login.value
        if (
            user_name is not None
            and user_name != login.value
            and (_asks_for_user(settings, dialect) or _other_login(settings, dialect))
        ):
            pending.append((login.location, f"imap_login: {_login_said(settings, dialect, user_name, login.value)}"))
    return empty


def _credentials(  # noqa: PLR0912, PLR0917
    server: dict[str, Any],
    protocol: Protocol,
    prefix: str,
    settings: Mapping[str, Setting],
    dialect: Dialect,
    pending: list[tuple[Location, str]],
) -> None:
    empty = _username(server, prefix, settings, dialect, pending)
    password = settings.get(f"{prefix}_pass")
    if password is not None:
        if password.word is not None and password.word.only_command:
            server["password_command"] = _unwrap(password.word.commands[0])
        elif password.word is not None and password.word.commands:
            pending.append((password.location, f"{prefix}_pass mixes text and a command: not run, not imported"))
        elif password.word is not None and password.word.variables:
            pass  # `$my_pass` (set from a sourced command, say) is no literal: reported as a variable not expanded
        elif password.value:
            pending.append((password.location, LITERAL_PASSWORD))
    token = settings.get(f"{prefix}_oauth_refresh_command")
    authenticators = settings.get(f"{prefix}_authenticators")
    names = [m.strip().lower() for m in authenticators.value.split(":") if m.strip()] if authenticators else []
    oauth = dialect.oauth[protocol]
    if (names and set(names) <= {"oauthbearer", "xoauth2"}) or (token is not None and not names):
        server["auth"] = "oauth2"
        if names and tuple(names) != oauth:
            server["mechanisms"] = names
    elif names == ["gssapi"]:
        server["auth"] = "gssapi"
    elif names == ["ntlm"]:
        server["auth"] = "ntlm"
    elif names == ["external"]:
        server["auth"] = "client-cert"
    elif names:
        server["auth"] = "password"
        server["mechanisms"] = names
    else:
        server["auth"] = "password" if protocol is not Protocol.SMTP or password or server.get("username") or empty \
            else "none"  # fmt: skip
    if token is not None:
        command = token.value
        if command[:1] == " " and command.lstrip(" ")[:1] in tuple(dialect.command_shortcuts):
            command = command[1:]  # mailconf's neomutt target writes such a command after one more space
        server["token_command"] = command
        if server.get("password_command") and server["auth"] == "oauth2":
            server.pop("password_command")


#: an imap_login without a user: both clients ask for the user at each start, before they log in (checked with each
#: client against a local server: no login made unattended), as a client rendered from an account without a username
#: asks for one; imap_login, the name one logs in with after, is not the account's username
_NO_USER = (
    "imap_login ({login}) is not imported: with no user (no imap_user, and none in the URL) {client} asks for one "
    "each time it connects, and never logs in unattended; the account has no username, as {client} asks for "
    "it: set imap_user (or the URL's user) to the name of the mailbox"
)


def _unwrap(command: str) -> str:
    """The command itself when mailconf wrapped it (``echo BASE64 | base64 -d | sh``), else the command."""
    match = _BASE64_WRAPPER.fullmatch(command)
    if match is None:
        return command
    try:
        return base64.b64decode(match.group(1), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return command
