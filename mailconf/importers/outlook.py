r"""``mailconf import --from outlook accounts.reg`` reads Outlook's POP3 and IMAP accounts from a
registry export (``regedit`` > File > Export of
``HKEY_CURRENT_USER\Software\Microsoft\Office\16.0\Outlook\Profiles``, or a file written by
``mailconf render --target outlook``): UTF-16LE with a byte-order mark (as regedit writes it; UTF-16LE
that lost it is refused, saying so) or ASCII/UTF-8, starting with ``Windows Registry Editor Version 5.00``
or ``REGEDIT4``.

Each key with a POP3 or IMAP ``clsid`` is an account:

| registry value | account file |
|---|---|
| ``Account Name``, ``Display Name``, ``Email``, ``Organization`` | the account name, ``display_name``,
  ``address``, ``organization`` |
| ``POP3``/``IMAP Server``, ``User``, ``Port`` (absent: 110/143, 995/993 with SSL) | ``incoming`` host, username,
  port |
| ``POP3``/``IMAP Use SSL`` 1 / 0 | ``security: tls`` / ``none`` |
| ``POP3``/``IMAP Use SPA`` 1 | ``auth: ntlm`` (else ``password``) |
| ``Leave on Server`` bits 0x1, 0x2 and days << 16 | ``leave_on_server``, ``leave_days`` |
| ``SMTP Server``, ``SMTP Port`` (absent: 25) | ``outgoing`` host, port |
| ``SMTP Secure Connection`` 1 / 2 / 3 / 0 (or ``SMTP Use SSL``) | ``security: tls`` / ``starttls`` /
  ``starttls-optional`` (Auto: reported) / ``none`` |
| ``SMTP Use Auth`` 0; ``SMTP Auth Method`` 0 / 1 + ``SMTP User`` | ``auth: none``; the incoming login / ``password``
  with that user |

Text is read from ``"..."`` strings, ``hex(1):`` (REG_SZ) and ``hex:`` (REG_BINARY UTF-16LE, as Outlook
2002-2013 wrote it). A key given twice is one key, its values merged as regedit merges the file (a later
value of a name wins; key names are case-insensitive). Deletions are applied as regedit applies them, in file
order: ``"Name"=-`` deletes a value and ``[-HKEY_...\Key]`` a key and its subkeys (a later line giving them
again makes them anew). Stored passwords (``POP3 Password``...) are
DPAPI-encrypted and never imported: a comment says to set a ``password_command``. A file that is not a
registry export stops the import with its line (exit 2).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ..model import Location
from ..targets.outlook import CLSID
from . import Imported, ReadOptions, Unreadable
from ._base import Collector, read_bytes

NAME = "outlook"
TITLE = "Outlook: a .reg registry export"

_PROTOCOLS = {clsid.upper(): protocol.value for protocol, clsid in CLSID.items()}
_HEADERS = ("Windows Registry Editor Version 5.00", "REGEDIT4")
_VALUE = re.compile(r'^("(?:[^"\\]|\\.)*"|@)=(.*)$', re.DOTALL)
_PORTS = {("pop3", False): 110, ("pop3", True): 995, ("imap", False): 143, ("imap", True): 993}
_SECURE = {0: "none", 1: "tls", 2: "starttls", 3: "starttls-optional"}

Value = str | int | bytes


def read(paths: Sequence[str], options: ReadOptions) -> Imported:
    found = Collector()
    for path in paths:
        for key, where, values in _keys(path):
            clsid = _text(values["clsid"][0]) if "clsid" in values else None
            protocol = _PROTOCOLS.get(clsid.upper()) if clsid else None
            if protocol is not None:
                _account(protocol, key, where, values, found)
    return found.result()


def _decode(path: str) -> str:
    data = read_bytes(path, "a .reg file exported by regedit")
    if data.startswith(b"\xff\xfe"):
        try:
            return data[2:].decode("utf-16-le")
        except UnicodeDecodeError:
            raise Unreadable(Location(path, 1, 1), "not UTF-16LE text after its byte-order mark",
                             "export the key again with regedit") from None  # fmt: skip
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
    return text.removeprefix("\ufeff")


def _keys(path: str) -> list[tuple[str, Location, dict[str, tuple[Value, Location]]]]:
    text = _decode(path).replace("\r\n", "\n")
    lines = text.split("\n")
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
        line, number = _unwrapped(lines, number)
        stripped = line.strip()
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
        match = _VALUE.match(stripped)
        if match is None:
            raise Unreadable(where, "not a registry value line", 'write "name"=value, or export again')
        if current is None:
            if under_deleted:
                raise Unreadable(where, "a value after a deleted [-key]", "give the key as [key] before its values")
            raise Unreadable(where, "a value before any [key]", "export the key again")
        name = ("" if match.group(1) == "@" else _unquote(match.group(1))).lower()
        if match.group(2).strip() == "-":  # "name"=- deletes the value, as regedit applies it: a later line wins
            current.pop(name, None)
        else:
            current[name] = (_data(match.group(2), where), where)
    return [(name, where, values) for lower, (made, name, where, values) in named.items() if alive(lower, made)]


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


def _unwrapped(lines: list[str], number: int) -> tuple[str, int]:
    """The line at ``number`` joined with the lines after it while it ends with a backslash (a wrapped hex
    value), the backslash dropped; and the number of the line after it.

    The pieces are joined once at the end: joining as each line came was quadratic (400,000 wrapped lines
    took 17 s). Each piece is kept with where it ends now, as a backslash comes off its end."""
    pieces: list[list[Any]] = []  # [text, its length without the backslashes taken off]

    def add(text: str) -> None:
        if text:
            pieces.append([text, len(text)])

    add(lines[number])
    number += 1
    while pieces and pieces[-1][0][pieces[-1][1] - 1] == "\\" and number < len(lines):
        pieces[-1][1] -= 1
        if not pieces[-1][1]:
            pieces.pop()
        add(lines[number].strip())
        number += 1
    return "".join(text[:end] for text, end in pieces), number


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def _data(text: str, where: Location) -> Value:
    if text.startswith('"') and text.endswith('"') and len(text) >= 2:
        return _unquote(text)
    if text.lower().startswith("dword:"):
        digits = text[6:]
        if not re.fullmatch(r"[0-9A-Fa-f]{1,8}", digits):
            raise Unreadable(where, "a dword that is not 1-8 hex digits", "write dword:0000001e")
        return int(digits, 16)
    kind, colon, body = text.partition(":")
    if colon and re.fullmatch(r"hex(\([0-9a-fA-F]+\))?", kind):
        body = body.replace(" ", "").replace("\t", "")
        try:
            raw = bytes.fromhex(body.replace(",", "")) if body else b""
        except ValueError:
            raise Unreadable(where, "hex data that is not comma-separated byte pairs", "export again") from None
        return raw  # text (hex(1), hex(2), hex) is decoded where a value is read as text
    raise Unreadable(where, "a value of an unknown type", 'use "text", dword: or hex(...):')


def _text(value: Value) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes) and len(value) % 2 == 0:
        try:
            return value.decode("utf-16-le").split("\x00", 1)[0]
        except UnicodeDecodeError:
            return None
    return None


def _account(  # noqa: PLR0912
    protocol: str, key: str, where: Location, raw: dict[str, tuple[Value, Location]], found: Collector
) -> None:
    def text(name: str) -> str | None:
        return _text(raw[name.lower()][0]) if name.lower() in raw else None

    def dword(name: str) -> int | None:
        value = raw[name.lower()][0] if name.lower() in raw else None
        return value if isinstance(value, int) else None

    proto = "POP3" if protocol == "pop3" else "IMAP"
    ssl = dword(f"{proto} Use SSL") == 1
    incoming: dict[str, Any] = {"protocol": protocol, "host": text(f"{proto} Server") or ""}
    incoming["port"] = dword(f"{proto} Port") or _PORTS[(protocol, ssl)]
    incoming["security"] = "tls" if ssl else "none"
    incoming["auth"] = "ntlm" if dword(f"{proto} Use SPA") == 1 else "password"
    user = text(f"{proto} User")
    if user:
        incoming["username"] = user
    leave = dword("Leave on Server")
    if protocol == "pop3" and leave is not None:
        incoming["leave_on_server"] = bool(leave & 0x1)
        if leave & 0x1 and leave & 0x2:
            incoming["leave_days"] = leave >> 16
    account: dict[str, Any] = {"address": text("Email") or ""}
    for name, field in (("Display Name", "display_name"), ("Organization", "organization")):
        if text(name):
            account[field] = text(name)
    account["incoming"] = incoming
    lost: list[tuple[Location, str, str]] = []
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
