r"""``mailconf import --from outlook accounts.reg`` reads Outlook's POP3 and IMAP accounts from a
registry export (``regedit`` > File > Export of
``HKEY_CURRENT_USER\Software\Microsoft\Office\16.0\Outlook\Profiles``, or a file written by
``mailconf render --target outlook``): UTF-16LE with a byte-order mark (as regedit writes it; UTF-16LE
that lost it is refused, saying so) or ASCII/UTF-8, starting with ``Windows Registry Editor Version 5.00``
or ``REGEDIT4``.

A ``REGEDIT4`` file (regedit's "Win9x/NT4 Registration Files") without a byte-order mark is written in the
ANSI code page of the Windows that exported it, and regedit reads it in its own: on a western Windows cp1252,
where "Müller" is the bytes ``4d fc 6c 6c 65 72``. mailconf reads it in cp1252, or in the code page
``--encoding`` names (``--encoding cp1251`` for a Russian Windows, ``cp1250`` Central European, ``cp932``
Japanese); the bytes of ``hex(1)``, ``hex(2)`` and ``hex(7)`` (text) values too, which regedit writes in that
code page there (UTF-16LE in a UTF-16LE file). A file whose non-ASCII bytes are all UTF-8 (an editor saved it
so) is read as UTF-8 unless ``--encoding`` says otherwise; ``--encoding`` refuses a codec that reads an ASCII
byte, alone or in a line, as anything else (utf-7's ``+``, shift_jis_2004's ``\``, raw_unicode_escape's ``\u0041``:
an address or key name would change), and one that cannot name a byte it has no character for (idna). A byte the
code page has no character for (0x81 in cp1252) stops the import at its line and column. (Before, such a file
stopped with "neither UTF-16LE (with a byte-order mark) nor UTF-8", and ``hex(2)`` bytes in the code page were
read as UTF-16LE: "ﱍ汬牥" for "Müller" without a word, or an error.)

Each key with a POP3 or IMAP ``clsid`` is an account:

| registry value | account file |
|---|---|
| ``Account Name``, ``Display Name``, ``Email``, ``Organization`` | the account name, ``display_name``,
  ``address``, ``organization`` |
| ``POP3``/``IMAP Server``, ``User``, ``Port`` (absent: 110/143, 995/993 with SSL) | ``incoming`` host, username,
  port |
| ``POP3``/``IMAP Use SSL`` 1 / 0 | ``security: tls`` / ``none`` |
| ``POP3``/``IMAP Use SPA`` 1 | ``auth: ntlm`` (else ``password``) |
| ``Leave on Server`` bits 0x1, 0x2 and days << 16 (another bit, as 0x4 "remove from the server when deleted
  from Deleted Items", is reported) | ``leave_on_server``, ``leave_days`` |
| ``SMTP Server``, ``SMTP Port`` (absent: 25) | ``outgoing`` host, port |
| ``SMTP Secure Connection`` 1 / 2 / 3 / 0 (or ``SMTP Use SSL``) | ``security: tls`` / ``starttls`` /
  ``starttls-optional`` (Auto: reported) / ``none`` |
| ``SMTP Use Auth`` 0; ``SMTP Auth Method`` 0 / 1 + ``SMTP User`` | ``auth: none``; the incoming login / ``password``
  with that user |

An encryption or authentication setting (``Use SSL``, ``Use SPA``, ``SMTP Secure Connection``, ``SMTP Use Auth``,
``SMTP Auth Method``) that is not one of the dwords Outlook writes for it (``SMTP Secure Connection`` 4, a string
``"1"``) stops the import at its line (exit 2): it used to be read as no encryption without a word. So does a port
or ``Leave on Server`` that is not a dword (it was read as absent: the default port). ``hex(4):`` with four bytes
is read as the dword it is (REG_DWORD, as regedit stores it).

Text is read from ``"..."`` strings, ``hex(1):`` (REG_SZ) and ``hex:`` (REG_BINARY UTF-16LE, as Outlook
2002-2013 wrote it). A key given twice is one key, its values merged as regedit merges the file (a later
value of a name wins; key names are case-insensitive). Deletions are applied as regedit applies them, in file
order: ``"Name"=-`` deletes a value and ``[-HKEY_...\Key]`` a key and its subkeys (a later line giving them
again makes them anew). Lines are read as regedit reads them: a CR, LF or CRLF ends a line; spaces and tabs may
surround ``=`` and a dword's digits; a ``;`` comment may follow a value; a string ends at its first unescaped quote;
only hex data goes on after a final ``\\`` (past blank and comment lines), its items 1 or more hex digits up to
``ff``. What regedit would skip or cut (text after a string's closing quote, a NUL, a line after ``\\`` that is not
hex data) and text that is not UTF-16LE (half a surrogate pair) stop the import with their line. Stored passwords
(``POP3 Password``...) are
DPAPI-encrypted and never imported: a comment says to set a ``password_command``. A file that is not a
registry export stops the import with its line (exit 2).
"""

from __future__ import annotations

import contextlib
import re
import string
from collections.abc import Sequence
from typing import Any

from ..model import Location
from ..targets.outlook import CLSID
from . import Imported, ReadOptions, Unreadable
from ._base import Collector, read_bytes, utf16le_after_bom

NAME = "outlook"
TITLE = "Outlook: a .reg registry export"

_PROTOCOLS = {clsid.upper(): protocol.value for protocol, clsid in CLSID.items()}
_HEADERS = ("Windows Registry Editor Version 5.00", "REGEDIT4")
_VALUE = re.compile(r'^("(?:[^"\\]|\\.)*"|@)=(.*)$', re.DOTALL)
_PORTS = {("pop3", False): 110, ("pop3", True): 995, ("imap", False): 143, ("imap", True): 993}
_SECURE = {0: "none", 1: "tls", 2: "starttls", 3: "starttls-optional"}
#: the DWORD values Outlook writes for its encryption and authentication settings, and what they mean: any other value
#: (``SMTP Secure Connection`` 4, ``IMAP Use SSL`` 2, a string "1") stops the import at its line, since what Outlook
#: makes of it is unknown and it was read as no encryption (``security: none``) without a word
_FLAGS = {
    "Use SSL": ((0, 1), "0 no encryption, 1 SSL/TLS"),
    "Use SPA": ((0, 1), "0 password, 1 Secure Password Authentication"),
    "SMTP Secure Connection": ((0, 1, 2, 3), "0 none, 1 SSL/TLS, 2 STARTTLS, 3 Auto"),
    "SMTP Use Auth": ((0, 1), "0 no authentication, 1 authentication"),
    "SMTP Auth Method": ((0, 1, 2), "0 as the incoming server, 1 its own user name, 2 log on to incoming first"),
}

#: the numbers read, and what they hold: a string or binary data there was read as absent (the protocol's default
#: port, nothing left on the server) without a word, where what Outlook makes of it is unknown
_NUMBERS = {
    "POP3 Port": "the port",
    "IMAP Port": "the port",
    "SMTP Port": "the port",
    "Leave on Server": "0x1 leave a copy, 0x2 remove after days, days << 16",
}

Value = str | int | bytes


def read(paths: Sequence[str], options: ReadOptions) -> Imported:
    found = Collector()
    for path in paths:
        for key, where, values in _keys(path, options.encoding):
            clsid = _text(values["clsid"][0]) if "clsid" in values else None
            protocol = _PROTOCOLS.get(clsid.upper()) if clsid else None
            if protocol is not None:
                _account(protocol, key, where, values, found)
    return found.result()


#: The code page of a ``REGEDIT4`` file without ``--encoding``: Windows' ANSI code page in western locales
ANSI = "cp1252"
#: ``REGEDIT4`` first, then a line end (regedit reads the header of a file without a byte-order mark from its bytes)
_REGEDIT4 = re.compile(rb"[ \t]*REGEDIT4[ \t]*(?:[\r\n]|$)")
#: the hex(N) types whose bytes are text: REG_SZ, REG_EXPAND_SZ, REG_MULTI_SZ (in the ANSI code page in an ANSI file)
_TEXT_TYPES = (1, 2, 7)
_NAME_IT = "name the code page of the Windows that exported it with --encoding"


def _decode(path: str, encoding: str | None) -> tuple[str, str | None]:
    """The file's text, and the code page its ``hex(1)``, ``hex(2)`` and ``hex(7)`` bytes are in (None: UTF-16LE).

    A ``REGEDIT4`` file without a byte-order mark is written in the ANSI code page of the Windows that exported it,
    and regedit reads it (and those hex bytes) in its own (MultiByteToWideChar(CP_ACP)): ``encoding``, else cp1252,
    unless the file holds non-ASCII bytes that are all UTF-8 (an editor saved it so): UTF-8."""
    data = read_bytes(path, "a .reg file exported by regedit")
    if (text := utf16le_after_bom(data, path, "export the key again with regedit")) is not None:
        return text, None
    if _REGEDIT4.match(data):
        return _ansi(data, path, encoding)
    if data[1:2] == b"\x00" and data[:1] not in (b"", b"\x00"):
        # "W\0i\0n\0...": UTF-16LE that lost its byte-order mark; NUL is UTF-8 too, so the header line was said
        # to be missing from a file an editor shows with it
        raise Unreadable(Location(path, 1, 1), "UTF-16LE text without a byte-order mark",
                         "export the key again with regedit, or save the file as UTF-16LE with a byte-order mark "
                         "or as UTF-8") from None  # fmt: skip
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise Unreadable(Location(path, 1, 1), "neither UTF-16LE (with a byte-order mark) nor UTF-8",
                         "export the key with regedit (File > Export)") from None  # fmt: skip
    return text.removeprefix("\ufeff"), None


def _ansi(data: bytes, path: str, encoding: str | None) -> tuple[str, str]:
    """A ``REGEDIT4`` file's text in ``encoding`` (see :func:`_decode`), and that code page."""
    if encoding is None:
        encoding = ANSI
        if not data.isascii():
            with contextlib.suppress(UnicodeDecodeError):
                data.decode("utf-8")
                encoding = "utf-8"
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError as bad:
        # in regedit's lines (a lone CR ends one) and in characters, as every other place in the file is given
        before = _LINE_END.split(data[: bad.start].decode(encoding, "replace"))
        where = Location(path, len(before), len(before[-1]) + 1)
        raise Unreadable(where, f"a byte (0x{data[bad.start]:02x}) that is not {encoding} text", _NAME_IT) from None


#: The line ends regedit reads: CRLF, LF and a lone CR (a CR inside a line ends it there, as the next line starts).
_LINE_END = re.compile(r"\r\n|\r|\n")
#: A value line's name and its ``=`` (regedit allows spaces and tabs around it).
_NAME = re.compile(r'(@|"[^"\\]*+(?:\\.[^"\\]*+)*+")[ \t]*=[ \t]*')
#: A "..." string to its first unescaped quote, then nothing but a comment.
_STRING = re.compile(r'"([^"\\]*+(?:\\.[^"\\]*+)*+)"[ \t]*(?:;.*)?', re.DOTALL)
_DWORD = re.compile(r"[ \t]*([0-9A-Fa-f]{1,8})[ \t]*(?:;.*)?", re.DOTALL)
_HEX_TYPE = re.compile(r"hex(?:\(([0-9A-Fa-f]+)\))?:")
#: REG_DWORD (REG_DWORD_LITTLE_ENDIAN): ``hex(4):`` with four bytes is the registry's dword, as ``dword:`` is
_REG_DWORD = 4
#: Hex data as regedit exports it (pairs, each with its comma), read with bytes.fromhex; anything else goes the slow
#: way, item by item.
_HEX_PAIRS = re.compile(r"(?:[0-9A-Fa-f]{2},)*(?:[0-9A-Fa-f]{2})?")
_HEX_ITEMS = re.compile(r"(?:[ \t]*[0-9A-Fa-f]+,)*(?:[ \t]*[0-9A-Fa-f]+)?")
_BLANK = " \t"  # what regedit skips around the parts of a line: spaces and tabs, no other white space


def _keys(path: str, encoding: str | None = None) -> list[tuple[str, Location, dict[str, tuple[Value, Location]]]]:
    text, ansi = _decode(path, encoding)
    lines = _LINE_END.split(text)
    if not lines or lines[0].strip() not in _HEADERS:
        raise Unreadable(
            Location(path, 1, 1),
            "not a registry export (the first line is not 'Windows Registry Editor Version 5.00')",
            "export the key with regedit (File > Export)",
        )
    #: lower-case key name -> (when it was made, its name, where, its values). A key given again adds its values to
    #: the first (a later value of a name wins), as regedit merges the file into the registry key by key; key names
    #: are case-insensitive there. Insertion order is file order.
    named: dict[str, tuple[int, str, Location, dict[str, tuple[Value, Location]]]] = {}
    #: the keys ``[-key]`` deleted with their subkeys: a key made before that is gone
    deleted = _Deleted()

    def alive(lower: str, made: int) -> bool:
        return deleted.last(lower) < made

    current: dict[str, tuple[Value, Location]] | None = None
    under_deleted = False  # after [-key]: regedit has no key to put a value in
    number = 1
    while number < len(lines):
        start = number + 1
        stripped = _line(lines[number], path, start)
        number += 1
        where = Location(path, start, 1)
        if not stripped or stripped.startswith(";"):
            continue
        if stripped.startswith("["):
            if not stripped.endswith("]"):
                raise Unreadable(where, "a key line without its closing ]", "fix the line or export again")
            if stripped.startswith("[-"):  # regedit deletes the key and its subkeys; a later [key] makes it anew
                deleted.add(stripped[2:-1].lower(), start)
                current, under_deleted = None, True
                continue
            lower = stripped[1:-1].lower()
            entry = named.get(lower)
            if entry is None or not alive(lower, entry[0]):
                named.pop(lower, None)  # made anew: it comes where it is made now, in file order
                entry = named[lower] = (start, stripped[1:-1], where, {})
            current, under_deleted = entry[3], False
            continue
        match = _NAME.match(stripped)
        if match is None:
            raise Unreadable(where, "not a registry value line", 'write "name"=value, or export again')
        if current is None:
            if under_deleted:
                raise Unreadable(where, "a value after a deleted [-key]", "give the key as [key] before its values")
            raise Unreadable(where, "a value before any [key]", "export the key again")
        name = ("" if match.group(1) == "@" else _unquote(match.group(1))).lower()
        text = stripped[match.end() :]
        if text.startswith("-"):  # "name"=- deletes the value, as regedit applies it: a later line wins
            if text[1:].lstrip(_BLANK)[:1] not in ("", ";"):
                raise Unreadable(where, "text after the - that deletes a value", 'write "name"=- alone')
            current.pop(name, None)
            continue
        data, number = _value(text, lines, number, where, ansi)
        current[name] = (data, where)
    return [(name, where, values) for lower, (made, name, where, values) in named.items() if alive(lower, made)]


def _value(text: str, lines: list[str], number: int, where: Location, ansi: str | None) -> tuple[Value, int]:
    """The data of the value at ``where`` (``text`` after its ``=``), and the number of the line after it. ``ansi``:
    the code page of the text types' hex bytes (a REGEDIT4 file), None for UTF-16LE."""
    hex_type = _HEX_TYPE.match(text)
    if hex_type is None:
        return _data(text, where), number
    data, number = _hex_value(text[hex_type.end() :], lines, number, where)
    kind = int(hex_type.group(1), 16) if hex_type.group(1) is not None else None
    if kind == _REG_DWORD and len(data) == 4:
        return int.from_bytes(data, "little"), number  # regedit stores it as the dword it is (hivex exports dword:)
    if kind in _TEXT_TYPES and ansi is not None:  # hex(1) "4d,fc,6c,..." was read as UTF-16LE: "ﱍ汬..."
        try:
            return data.decode(ansi).split("\x00", 1)[0], number
        except UnicodeDecodeError:
            raise Unreadable(where, f"text that is not {ansi} (the file's code page)", _NAME_IT) from None
    return data, number


def _hex_value(text: str, lines: list[str], number: int, where: Location) -> tuple[bytes, int]:
    """The bytes of a hex value whose data starts with ``text`` at ``where`` and, after a final ``\\``, goes on on the
    lines from ``number`` (regedit reads on past blank and comment lines); and the number of the line after it."""
    chunks: list[bytes] = []
    data, more = _hex_chunk(text, where)
    chunks.append(data)
    while more and number < len(lines):
        start = number + 1
        piece = _line(lines[number], where.path, start)
        number += 1
        if not piece or piece.startswith(";"):
            continue
        at = Location(where.path, start, 1)
        if piece[0] not in string.hexdigits:
            raise Unreadable(at, "the line after a hex value's final \\ does not go on with its hex data",
                             "remove the \\ or export again")  # fmt: skip
        data, more = _hex_chunk(piece, at)
        chunks.append(data)
    return b"".join(chunks), number


def _line(line: str, path: str, number: int) -> str:
    """The line without the spaces and tabs around it; a NUL in it is Unreadable (regedit stops reading the line
    there)."""
    nul = line.find("\x00")
    if nul >= 0:
        raise Unreadable(Location(path, number, nul + 1), "a NUL character (regedit ends the line there)",
                         "remove it, or export the key again")  # fmt: skip
    return line.strip(_BLANK)


def _hex_chunk(text: str, where: Location) -> tuple[bytes, bool]:
    """The bytes of one line of hex data, as regedit reads it: items of hex digits (00 to ff; ``a`` or ``000a`` too)
    each followed by a comma, spaces or tabs before an item, then a ``\\`` after a comma when the data goes on on
    the next line (the bool), and a ``;`` comment. Anything else is Unreadable."""
    body = text.partition(";")[0].rstrip(_BLANK)
    more = body.endswith("\\")
    if more:
        body = body[:-1].rstrip(_BLANK)
    if not (more and body and body[-1] != ","):
        if _HEX_PAIRS.fullmatch(body):  # as regedit exports it
            return bytes.fromhex(body.replace(",", "")), more
        if _HEX_ITEMS.fullmatch(body):
            try:
                return bytes([int(item, 16) for item in body.split(",") if item]), more
            except ValueError:  # an item above ff
                pass
    raise Unreadable(where, "hex data that is not comma-separated bytes (00 to ff)", "export again")


class _Deleted:
    """The keys ``[-key]`` deleted, as a tree of their names' parts (``a\\b`` under ``a``), each with the line that
    deleted it last.

    Looked up through a key's ancestors, so that deleting a key is not a walk over every key (quadratic); and down
    the tree, part by part, so that the lookup is not a name joined for each ancestor (quadratic in the key's
    depth: a 200 KB key line of backslashes took 20 s)."""

    def __init__(self) -> None:
        self.line = -1
        self.parts: dict[str, _Deleted] = {}

    def add(self, lower: str, line: int) -> None:
        node = self
        for part in lower.split("\\"):
            node = node.parts.setdefault(part, _Deleted())
        node.line = line

    def last(self, lower: str) -> int:
        """The last line that deleted the key or one of its ancestors; -1 if none did."""
        node, last = self, -1
        for part in lower.split("\\"):
            found = node.parts.get(part)
            if found is None:
                break
            node, last = found, max(last, found.line)
        return last


_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


def _unquote(text: str) -> str:
    """A "..." name or string without its quotes, each ``\\x`` read as ``x``. Split and joined, not re.sub with a
    template: 5,000,000 escapes took 8.5 s, now 1."""
    return "".join(_ESCAPE.split(text[1:-1]))


def _data(text: str, where: Location) -> Value:
    """A "..." string or a dword (hex data is read line by line in :func:`_keys`)."""
    if text.startswith('"'):
        quoted = _STRING.fullmatch(text)
        if quoted is None:  # regedit skips such a line: the value is not set
            raise Unreadable(where, "a string without its closing quote, or with text after it",
                             'escape a quote inside it as \\"')  # fmt: skip
        return _unquote(f'"{quoted.group(1)}"')
    if text.lower().startswith("dword:"):
        digits = _DWORD.fullmatch(text, 6)
        if digits is None:
            raise Unreadable(where, "a dword that is not 1-8 hex digits", "write dword:0000001e")
        return int(digits.group(1), 16)
    raise Unreadable(where, "a value of an unknown type", 'use "text", dword: or hex(...):')


def _text(value: Value, where: Location | None = None) -> str | None:
    """A value read as text: a string, or REG_SZ/REG_BINARY UTF-16LE bytes up to their first NUL. Bytes that are
    not UTF-16LE are None, or Unreadable at ``where`` when given (a value an account holds: read as absent, it was
    an empty host or address with no word of why)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        try:
            if len(value) % 2:
                raise UnicodeDecodeError("utf-16-le", value, len(value) - 1, len(value), "odd length")
            return value.decode("utf-16-le").split("\x00", 1)[0]
        except UnicodeDecodeError:
            if where is not None:
                raise Unreadable(where, "text that is not UTF-16LE (an odd number of bytes, or half a surrogate "
                                 "pair)", "retype the value in Outlook and export the key again") from None  # fmt: skip
    return None


#: the bits of ``Leave on Server``'s low word other than LEAVE_ON_SERVER (0x1) and REMOVE_AFTER (0x2)
_LEAVE_OTHER = 0xFFFC
#: REMOVE_ON_NUKE (Outlook's account management API, PROP_POP_LEAVE_ON_SERVER): remove a message from the server
#: when it is deleted from Deleted Items
_REMOVE_ON_NUKE = 0x4


def _leave(incoming: dict[str, Any], leave: tuple[Value, Location], lost: list[tuple[Location, str, str]]) -> None:
    """``leave_on_server`` and ``leave_days`` from ``Leave on Server`` (a dword: _check_flags), and a note in ``lost``
    for the bits no setting holds (REMOVE_ON_NUKE: it was dropped without a word)."""
    bits, at = leave
    assert isinstance(bits, int)
    incoming["leave_on_server"] = bool(bits & 0x1)
    if bits & 0x1 and bits & 0x2:
        incoming["leave_days"] = bits >> 16
    other = bits & _LEAVE_OTHER
    if bits & 0x1 and other:  # without a copy left, no bit removes anything
        said = "remove from the server when deleted from Deleted Items" if other == _REMOVE_ON_NUKE else "unknown"
        lost.append((at, "incoming", f"Leave on Server bit{'s' if other & (other - 1) else ''} 0x{other:x} ({said}) "
                     "not imported: an account file has no such setting"))  # fmt: skip


def _check_flags(raw: dict[str, tuple[Value, Location]], names: Sequence[str]) -> None:
    """Stop at an encryption or authentication value that is not one of the DWORDs Outlook writes (:data:`_FLAGS`),
    and at a number (:data:`_NUMBERS`) that is not a dword."""
    for name in names:
        if name.lower() not in raw:
            continue
        value, at = raw[name.lower()]
        allowed, meaning = _FLAGS.get(name) or _FLAGS.get(name.split(" ", 1)[1]) or (None, _NUMBERS[name])
        if isinstance(value, int) and (allowed is None or value in allowed):
            continue
        got = f"dword {value}" if isinstance(value, int) else "text" if isinstance(value, str) else "binary data"
        raise Unreadable(
            at,
            f"{name} is {got}, not a value Outlook writes (a dword: {meaning})",
            "set it in Outlook's account settings and export the key again",
        )


def _account(  # noqa: PLR0912
    protocol: str, key: str, where: Location, raw: dict[str, tuple[Value, Location]], found: Collector
) -> None:
    def text(name: str) -> str | None:
        return _text(*raw[name.lower()]) if name.lower() in raw else None

    def dword(name: str) -> int | None:
        value = raw[name.lower()][0] if name.lower() in raw else None
        return value if isinstance(value, int) else None

    proto = "POP3" if protocol == "pop3" else "IMAP"
    _check_flags(raw, (f"{proto} Use SSL", f"{proto} Use SPA", "SMTP Use SSL", *list(_FLAGS)[2:], f"{proto} Port",
                       "SMTP Port", *(["Leave on Server"] if protocol == "pop3" else [])))  # fmt: skip
    ssl = dword(f"{proto} Use SSL") == 1
    incoming: dict[str, Any] = {"protocol": protocol, "host": text(f"{proto} Server") or ""}
    incoming["port"] = dword(f"{proto} Port") or _PORTS[(protocol, ssl)]
    incoming["security"] = "tls" if ssl else "none"
    incoming["auth"] = "ntlm" if dword(f"{proto} Use SPA") == 1 else "password"
    user = text(f"{proto} User")
    if user:
        incoming["username"] = user
    lost: list[tuple[Location, str, str]] = []
    if protocol == "pop3" and dword("Leave on Server") is not None:
        _leave(incoming, raw["leave on server"], lost)
    account: dict[str, Any] = {"address": text("Email") or ""}
    for name, field in (("Display Name", "display_name"), ("Organization", "organization")):
        if text(name):
            account[field] = text(name)
    account["incoming"] = incoming
    if text("SMTP Server"):
        outgoing: dict[str, Any] = {"host": text("SMTP Server")}
        secure = dword("SMTP Secure Connection")
        security = _SECURE.get(secure, "none") if secure is not None else ("tls" if dword("SMTP Use SSL") else "none")
        outgoing["port"] = dword("SMTP Port") or 25
        outgoing["security"] = security
        if security == "starttls-optional":
            lost.append(
                (
                    raw["smtp secure connection"][1],
                    "outgoing",
                    "SMTP Secure Connection 3 (Auto): STARTTLS "
                    "only when offered, which render refuses; choose STARTTLS or SSL/TLS in Outlook",
                )
            )
        method = dword("SMTP Auth Method")
        if not dword("SMTP Use Auth"):
            outgoing["auth"] = "none"
        elif method == 1:
            outgoing["auth"] = "password"
            if text("SMTP User"):
                outgoing["username"] = text("SMTP User")
        else:
            outgoing["auth"] = incoming["auth"]
            if user:
                outgoing["username"] = user
            if method == 2:
                lost.append(
                    (
                        raw["smtp auth method"][1],
                        "outgoing",
                        "SMTP Auth Method 2 (log on to the incoming "
                        "server first) has no place in an account file; the incoming login is used",
                    )
                )
        account["outgoing"] = outgoing
    name = found.add(text("Account Name") or key.rsplit("\\", 1)[-1], account, where)
    for stored in (f"{proto} Password", "SMTP Password", f"{proto} Password2"):
        if stored.lower() in raw:
            side = "outgoing" if stored.startswith("SMTP") else "incoming"
            found.lost(
                raw[stored.lower()][1],
                ("accounts", name, side),
                "Outlook's stored password (DPAPI-encrypted) is not imported: set password_command",
            )
    for at, side, message in lost:
        found.lost(at, ("accounts", name, side), message)
