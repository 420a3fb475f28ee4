"""What every importer shares: reading a file safely, account names, and collecting the result."""

from __future__ import annotations

import os
import re
import stat
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ..emit import KeyPath
from ..errors import double_quoted, printable
from ..loader import MAX_NUMBER_DIGITS
from ..model import Location
from . import Imported, Note, Unreadable

#: No client configuration comes near this; a huge file or a device named by mistake must not exhaust memory.
MAX_FILE_BYTES = 64 * 1024 * 1024


#: The path that names standard input (``mailconf import --from msmtp -``), shown as it is in messages, as lint does.
STDIN = "-"


def expand_home(path: str) -> str | None:
    """``os.path.expanduser(path)``; None where its leading ``~`` names no home directory: HOME unset and the user
    without a passwd entry (a container's random uid), or ``~name`` of no user. expanduser leaves those as they are,
    and ``~/x`` would have been read as a folder named ``~`` in the current one. :func:`no_home` says why. A NUL in
    ``~name`` is no user's name either (expanduser raised ValueError: an internal error)."""
    try:
        expanded = os.path.expanduser(path)
    except ValueError:  # embedded null byte: pwd refuses to look the name up
        return None
    return None if expanded == path and path.startswith("~") else expanded


def no_home(path: str) -> str:
    """Why :func:`expand_home` gave None for ``path``."""
    tilde = path.split("/", 1)[0]
    why = "HOME is not set and the user has no passwd entry" if tilde == "~" else "no such user"
    return f"{shown(tilde)} names no home directory here ({why})"


def read_bytes(path: str, what: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file (opened without blocking, at most ``limit``), or of standard input for
    ``-`` (at most ``limit`` too), or Unreadable."""
    where = path  # the file as a whole: `FILE: no such file`, as lint says it, with no line made up
    if path == STDIN:
        return _read_stdin(where, what, limit)
    return _read_file(path, where, what, limit)


def utf16le_after_bom(data: bytes, path: str, advice: str) -> str | None:
    """The text of a file that starts with UTF-16LE's byte-order mark (what Windows saves as "Unicode": regedit's
    exports, Outlook's profile files); None for a file without that mark. ``advice``: how to write the file again."""
    if not data.startswith(b"\xff\xfe"):
        return None
    try:
        return data[2:].decode("utf-16-le")
    except UnicodeDecodeError:
        raise Unreadable(Location(path, 1, 1), "not UTF-16LE text after its byte-order mark", advice) from None


def _read_file(path: str, where: str, what: str, limit: int) -> bytes:
    from ..document import NotRegular, ReadFailed, TooLarge, read_regular

    try:
        return read_regular(path, limit)
    except FileNotFoundError:
        raise Unreadable(where, "no such file", "check the path", unopened=True) from None
    except IsADirectoryError:
        raise Unreadable(where, "is a directory", f"name {what}", unopened=True) from None
    except PermissionError:
        raise Unreadable(where, "permission denied", "make the file readable", unopened=True) from None
    except OSError as exc:
        why = f"cannot be read ({exc.strerror or type(exc).__name__})"
        raise Unreadable(where, why, f"name {what}", unopened=True) from None
    except NotRegular as exc:
        if stat.S_ISDIR(exc.mode):
            raise Unreadable(where, "is a directory", f"name {what}", unopened=True) from None
        raise Unreadable(where, "not a regular file", f"name {what}") from None
    except TooLarge:
        raise Unreadable(where, f"larger than {limit >> 20} MiB", f"check the path: name {what}") from None
    except ReadFailed as exc:
        why = f"cannot be read ({exc.error.strerror or type(exc.error).__name__})"
        raise Unreadable(where, why, "check the file") from None


def _read_stdin(where: str, what: str, limit: int) -> bytes:
    import sys

    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # no standard input at all (closed, or a program's own stream without bytes)
        raise Unreadable(where, "standard input cannot be read", f"name {what}")
    try:
        data = stream.read(limit + 1)
    except OSError as exc:
        raise Unreadable(where, f"cannot be read ({exc.strerror or type(exc).__name__})", f"name {what}") from None
    if len(data) > limit:
        raise Unreadable(where, f"larger than {limit >> 20} MiB", f"name {what}")
    return bytes(data)


def read_text(path: str, what: str, encoding: str = "utf-8", *, refused_by: str = "", keep_bom: bool = False) -> str:
    """The file's text; a byte that is not ``encoding`` is located (line, column) and reported.

    A byte-order mark (U+FEFF) that starts it is skipped, as the parsers of Thunderbird, aerc and Python skip it;
    kept when ``keep_bom``; and Unreadable when the client ``refused_by`` reads it as part of the first line and
    refuses the file (msmtp: "unknown command \ufeffaccount"): its settings are not what the client uses."""
    data = read_bytes(path, what)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise Unreadable(
            Location(path, line, column), f"not {encoding.upper()} text", f"save the file as {encoding.upper()}"
        ) from None
    if not text.startswith("\ufeff") or keep_bom:
        return text
    if refused_by:
        raise Unreadable(
            Location(path, 1, 1),
            f"a byte-order mark (U+FEFF) starts the file: {refused_by} reads it as part of the first line and "
            "refuses the file",
            "save the file as UTF-8 without a byte-order mark",
        )
    return text[1:]


@contextmanager
def python_source() -> Iterator[None]:
    """Around ``ast.parse`` and ``ast.literal_eval`` of what a file holds: the compiler's warnings about it
    (SyntaxWarning "invalid decimal literal" for ``0x1for``, "invalid escape sequence" for ``'\\d'``) are not
    printed. The warnings module wrote them to standard error, a line that is not mailconf's
    (``<unknown>:1: SyntaxWarning: ...``), about code that is never run: the import says what it made of it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        warnings.simplefilter("ignore", DeprecationWarning)  # Python 3.11's category for an invalid escape
        yield


#: how many characters of a value read from a file a message quotes: a host name or a key fits, and a token of
#: megabytes (a file that is not what it is said to be) stays one readable line
QUOTE_LIMIT = 80

#: a password in a URL's user info (scheme://user:PASSWORD@host), or where the quote cuts it (no @ after it)
_URL_PASSWORD = re.compile(r"(://[^/?#@\s:]*:)[^/?#@\s]*(@|$)")


def shown(text: object, *, quotes: bool = False) -> str:
    """``text``, read from a file, as a message quotes it: at most QUOTE_LIMIT characters (then "…"), control
    characters escaped, a URL's password masked; in double quotes (:func:`~mailconf.errors.double_quoted`: ``"``
    written ``\\"``) when ``quotes``.

    Every importer message that quotes what a file says goes through here, so that none can be megabytes long,
    forge a line or show a password in a URL. A value known to be a secret is never passed at all."""
    full = str(text)
    head = _URL_PASSWORD.sub(r"\1***\2", full[:QUOTE_LIMIT])
    if len(full) > QUOTE_LIMIT:
        head += "…"
    return double_quoted(head) if quotes else printable(head)


#: how many kinds of what an importer does not import its warning names before "and N more"
LISTED_KINDS = 4


def named_kinds(names: Sequence[str]) -> str:
    """The kinds a file holds, each once, in file order (``bind, macro, color, send-hook and 2 more``), each shown."""
    kinds = list(dict.fromkeys(names))
    listed = ", ".join(shown(kind) for kind in kinds[:LISTED_KINDS])
    return listed + (f" and {len(kinds) - LISTED_KINDS} more" if len(kinds) > LISTED_KINDS else "")


#: what the output says about a literal password (never its value)
LITERAL_PASSWORD = (
    "the file holds a literal password (not imported): store it in a password manager and "
    "set password_command to the command that prints it"
)

_NAME_BAD = re.compile(r"[^A-Za-z0-9._-]+")


def account_name(wanted: str) -> str:
    """A name the schema accepts (letters, digits, '.', '_', '-'; 64 at most), as close to ``wanted`` as can be."""
    name = _NAME_BAD.sub("-", wanted).lstrip("._-")[:64]
    return name or "account"


#: what the schema accepts as an address (a simpler test; the schema has the last word)
_ADDRESS = re.compile(r"[^\s@<>()\[\]\\,;:\"]+@[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?")


def is_address(text: str | None) -> bool:
    return text is not None and _ADDRESS.fullmatch(text) is not None


def parse_sender(text: str) -> tuple[str, str]:
    """(display name, address) of a From value, as ``email.utils.parseaddr`` reads it on Python 3.13, on every Python.

    Python 3.13, and the security releases 3.12.6 and 3.11.10 (CVE-2023-27043), made parseaddr strict: a value that is
    not exactly one address (``Alice <a@example.com>, Bob <b@example.com>``, ``Alice <a@example.com> trailing``), whose
    parentheses do not balance, or whose address holds a ``[``, is ``('', '')``; earlier releases took the first address
    of the list. Which Python runs must not decide what is imported: earlier ones get the same checks here.
    """
    import email.utils

    if _too_nested(text):
        return ("", "")
    if getattr(email.utils, "supports_strict_parsing", False):
        return email.utils.parseaddr(text)
    if not _parentheses_balance(text):
        return ("", "")
    pairs = email.utils.getaddresses([text])  # before the strict releases: every address of the value
    return pairs[0] if len(pairs) == 1 and "[" not in pairs[0][1] else ("", "")


def sender_list(text: str) -> list[tuple[str, str]]:
    """Every (display name, address) of a From value, as ``email.utils.getaddresses`` reads it; none for a value
    :func:`parse_sender` finds too nested."""
    import email.utils

    return [] if _too_nested(text) else email.utils.getaddresses([text])


#: more colons or opening parentheses than this in a From value, and it is no address
MOST_NESTED = 100


def _too_nested(text: str) -> bool:
    """Whether a From value has more than :data:`MOST_NESTED` colons or opening parentheses. Python's address parser,
    on every release, recurses once per group (``g:``) and per nested comment (``((``): a thousand of them ran out
    of stack, a RecursionError (an internal error). Counting every one, not only the nested, keeps the test one
    pass; no address is written with more than a few."""
    return text.count(":") > MOST_NESTED or text.count("(") > MOST_NESTED


def _parentheses_balance(text: str) -> bool:
    """Python 3.13's email.utils._check_parenthesis: outside closed quoted strings, no ``)`` before its ``(`` and
    none left open (a backslash escapes the next character)."""
    unquoted: list[str] = []
    start, opened = 0, -1
    for pos, char in unescaped(text):
        if char == '"':
            if opened < 0:
                opened = pos
            else:
                unquoted.append(text[start:opened])
                start, opened = pos + 1, -1
    unquoted.append(text[start:])
    depth = 0
    for _pos, char in unescaped("".join(unquoted)):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def group_marks(text: str) -> str:
    """The ``:`` and ``;`` of a From value outside quoted strings, comments and angle brackets, in order, and an
    ``x`` for anything but white space and comments after a ``;``: where it is a group (``g: a@example.org;``), which
    Python's parser reads otherwise than the clients (aerc's Go, mutt's own)."""
    marks: list[str] = []
    quoted, depth, angle = False, 0, False
    for _pos, char in unescaped(text):
        if quoted:
            quoted = char != '"'
        elif depth:
            depth += {"(": 1, ")": -1}.get(char, 0)
        elif angle:
            angle = char != ">"
        elif char == "(":
            depth = 1
        elif char in ":;":
            marks.append(char)
        elif ";" in marks and char not in " \t":
            marks.append("x")
        else:
            quoted, angle = char == '"', char == "<"
    return "".join(marks)


def unescaped(text: str) -> Iterator[tuple[int, str]]:
    """(position, character) of ``text``, a backslash and the character it escapes given as one two-character item."""
    escape = False
    for pos, char in enumerate(text):
        if escape:
            yield pos, "\\" + char
            escape = False
        elif char == "\\":
            escape = True
        else:
            yield pos, char
    if escape:
        yield len(text) - 1, "\\"


def guess_address(user: str | None, name: str, host: str) -> str:
    """An address for a format that names none: the user when it is one, else USER@HOST (made valid)."""
    if user is not None and is_address(user):
        return user
    local = re.sub(r"[^A-Za-z0-9._+-]+", "", user or name).strip(".") or "user"
    domain = host.strip("[]").rstrip(".") if re.fullmatch(r"[A-Za-z0-9.-]+", host.rstrip(".")) else "localhost"
    return f"{local[:64]}@{domain}"


class Collector:
    """Accounts, comments and warnings, in file order; names made unique."""

    def __init__(self) -> None:
        self.accounts: dict[str, dict[str, Any]] = {}
        self.where: dict[str, Location] = {}
        #: the comments at each key path, joined with "; " by result() (joined here, many were quadratic)
        self.comments: dict[KeyPath, list[str]] = {}
        #: each warning once, in file order: a setting that several accounts inherit (msmtp's defaults, an account
        #: another one names as its parent) is found once per account, and said once, at its line
        self.warnings: dict[Note, None] = {}
        #: the last number given to each name taken twice (counted from 1 every time, N same names were quadratic)
        self._numbered: dict[str, int] = {}
        #: the account the client uses where none is named (Imported.default)
        self.default_account: str | None = None

    def add(self, wanted: str, data: dict[str, Any], where: Location) -> str:
        """Add an account under a free name near ``wanted``; returns the name used."""
        base = account_name(wanted)
        name, n = base, self._numbered.get(base, 1)
        while name in self.accounts:
            n += 1
            name = f"{base[:60]}-{n}"
        if n > 1:
            self._numbered[base] = n
        if name != wanted:
            # a name taken before is not a bad name: the numbered one says so (it said which characters are allowed)
            why = "another account has that name" if base == wanted else "names hold letters, digits, '.', '_', '-'"
            self.warn(where, f"account {shown(wanted, quotes=True)} is imported as {double_quoted(name)} ({why})")
        self.accounts[name] = data
        self.where[name] = where
        return name

    def default(self, name: str, *, first: bool = True) -> None:
        """The account ``name`` is the one the client uses where none is named: put it first (unless ``first`` is
        false: its name makes it the default wherever it is), as render writes the first account as the default."""
        if first:
            self.accounts = {name: self.accounts.pop(name), **self.accounts}
        self.default_account = name

    def comment(self, path: KeyPath, text: str) -> None:
        self.comments.setdefault(path, []).append(text)

    def warn(self, where: Location, message: str) -> None:
        self.warnings[Note(where, message)] = None

    def lost(self, where: Location, path: KeyPath, message: str) -> None:
        """What the file says that the account file cannot hold: a comment at ``path`` and a warning."""
        self.comment(path, f"{where.path}:{where.line}: {message}")
        self.warn(where, message)

    def literal_password(self, where: Location, path: KeyPath) -> None:
        """A password written in the file: never copied, never shown; the user is told to use a command."""
        self.lost(where, path, LITERAL_PASSWORD)

    def result(self) -> Imported:
        comments = {path: "; ".join(texts) for path, texts in self.comments.items()}
        return Imported(self.accounts, comments, tuple(self.warnings), self.where, self.default_account)


#: C's strtol over the whole text: white space, a sign, then decimal digits (base 10), or with base 0 also 0x
#: hexadecimal and 0 octal
_STRTOL = {
    10: re.compile(r"[ \t\n\v\f\r]*([+-]?)()()([0-9]+)"),
    0: re.compile(r"[ \t\n\v\f\r]*([+-]?)(?:0[xX]([0-9a-fA-F]+)|(0[0-7]*)|([1-9][0-9]*))"),
}
_LONG = 1 << 63


def strtol(text: str, base: int = 10) -> int | None:
    """What C's ``strtol(text, &end, base)`` gives when it reads the whole text (base 10, or 0: ``0x`` hexadecimal,
    ``0`` octal), held to a 64-bit long as strtol holds it (ERANGE); None when anything else is there. One reading
    for the C clients' numbers (msmtp's get_pos_int, mbsync's parse_int, fetchmail's atoi)."""
    match = _STRTOL[base].fullmatch(text)
    if match is None:
        return None
    sign, hexadecimal, octal, decimal = match.groups()
    digits, radix = (hexadecimal, 16) if hexadecimal else (octal, 8) if octal else (decimal, 10)
    digits = digits.lstrip("0")
    number = int(digits or "0", radix) if len(digits) <= 20 else _LONG  # past a long in any base: held to it below
    return max(-_LONG, -number) if sign == "-" else min(_LONG - 1, number)


def int32(number: int) -> int:
    """A C long cut to a 32-bit int, as C's conversion (and atoi) cuts it: 4294967326 is 30."""
    return (number + (1 << 31)) % (1 << 32) - (1 << 31)


def whole_number(text: str) -> Any:
    """``text`` as an int when it is ASCII digits (``"²".isdigit()`` holds, and int() refuses it), else as it is:
    the schema then says, at the account's line, why it is not a port or a timeout ("must be between 1 and 65535
    (got 99999999999)"; digits kept as text got "must be a whole number ... (remove the quotes)").

    More than MAX_NUMBER_DIGITS digits (int() refuses 4,300) give 10**MAX_NUMBER_DIGITS, which no setting takes:
    the account is left out as "a number of more than 100 digits"."""
    if not (text.isascii() and text.isdigit()):
        return text
    digits = text.lstrip("0") or "0"
    return int(digits) if len(digits) <= MAX_NUMBER_DIGITS else 10**MAX_NUMBER_DIGITS
