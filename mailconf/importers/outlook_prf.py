r"""``mailconf import --from outlook-prf outlook.prf`` reads the POP3 and IMAP accounts of an Outlook
profile file (PRF), as the Office Customization Tool or ``mailconf render --target outlook-prf``
writes it: each ``AccountN`` of ``[Internet Account List]``, its ``[AccountN]`` section read through
the Section 7 mapping it names (``I_Mail`` for POP3, ``IMAP_I_Mail`` for IMAP), as Outlook reads it:
a key means the property its mapping line gives (``IMAPServer=PT_UNICODE,0x0100``), whatever its name.

| property (the usual key) | account file |
|---|---|
| 0x0002 ``AccountName`` (absent: the section's name), 0x000B ``DisplayName``, 0x000C ``EmailAddress``,
  0x0107 ``Organization`` | the account name, ``display_name``, ``address``, ``organization`` |
| the mapping's ``AccountType`` ``POP3`` / ``IMAP`` | ``incoming.protocol`` |
| 0x0100 ``POP3Server``, 0x0101 ``POP3UserName``, 0x0104 ``POP3Port`` (absent: 110/143, 995/993 with SSL) |
  ``incoming`` host, username, port |
| 0x0105 ``POP3UseSSL`` 1 / 0, 0x0108 ``POP3UseSPA`` 1 | ``security: tls`` / ``none``; ``auth: ntlm`` (else
  ``password``) |
| 0x1000 ``LeaveOnServer`` bits 0x1, 0x2 and days << 16 (POP3) | ``leave_on_server``, ``leave_days`` |
| 0x0209 ``ServerTimeOut`` (seconds) | ``timeout`` on both servers (Outlook has one per account) |
| 0x0200 ``SMTPServer``, 0x0201 ``SMTPPort`` (absent: 25) | ``outgoing`` host, port |
| 0x020A ``SMTPSecureConnection`` 1 / 2 / 3 / 0 (absent: 0x0202 ``SMTPUseSSL`` 1 / 0) | ``security: tls`` /
  ``starttls`` / ``starttls-optional`` (Auto: reported) / ``none`` |
| 0x0203 ``SMTPUseAuth`` 0; 0x0208 ``SMTPAuthMethod`` 0 / 1 + 0x0204 ``SMTPUserName``; 0x0207 ``SMTPUseSPA`` 1 |
  ``auth: none``; the incoming login / its own login; ``auth: ntlm`` |

The file is read as Windows reads a PRF (``GetPrivateProfileString``): UTF-16LE when it starts with its
byte-order mark, else ASCII (8-bit text in the Windows code page is refused at its line: save the file as
UTF-16LE); a line ending in CR, LF or CRLF; ``;`` starts a comment line; a key ends at the first ``=``; spaces
and tabs around keys and values are dropped, and a pair of quotes around a value; section and key names are
case-insensitive, and of a section or a key given twice Windows reads the first (the other is reported). A
number (``PT_LONG``) is decimal or ``0x`` hexadecimal: anything else, and an encryption or authentication value
that is not one Outlook writes (``POP3UseSSL=2``), stops the import at its line (exit 2), as a section line
without ``]``, a listed account without its section, or a mapping that is missing or names another
``AccountType``.

What the import cannot hold is reported: the mapped properties an account file has no place for
(``ReplyEmailAddress``, ``CheckNewImap``, ``RootFolder``, ``ConnectionType``...), a key the mapping does not
name (Outlook ignores it), ``SMTPAuthMethod`` 2 (log on to the incoming server first) and the ``[Service List]``
services (Exchange, data files). A PRF holds no password; Outlook asks for each one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from ..model import Location
from . import Imported, ReadOptions, Unreadable
from ._base import Collector, read_bytes, shown, utf16le_after_bom
from .outlook import _PORTS, _SECURE, _leave

NAME = "outlook-prf"
TITLE = "Outlook: a profile file (PRF, outlook.exe /importprf)"

_LINE_END = re.compile(r"\r\n|\r|\n")
_BLANK = " \t"
_ACCOUNT_LIST = "internet account list"
_PROTOCOLS = {"POP3": "pop3", "IMAP": "imap"}
_NUMBER = re.compile(r"0[xX][0-9A-Fa-f]{1,8}|[0-9]{1,10}")

#: the properties read, by their id in the mapping: text ones, and PT_LONG ones with the values Outlook writes
#: (None: any number) and what those mean
_TEXT = {
    0x0002: "name", 0x000B: "display_name", 0x000C: "address", 0x0107: "organization", 0x0100: "server",
    0x0101: "user", 0x0200: "smtp_server", 0x0204: "smtp_user",
}  # fmt: skip
_LONG: dict[int, tuple[str, tuple[int, ...] | None, str]] = {
    0x0104: ("port", None, "the port"),
    0x0105: ("use_ssl", (0, 1), "0 no encryption, 1 SSL/TLS"),
    0x0108: ("use_spa", (0, 1), "0 password, 1 Secure Password Authentication"),
    0x1000: ("leave", None, "0x1 leave a copy, 0x2 remove after days, days << 16"),
    0x0209: ("timeout", None, "seconds"),
    0x0201: ("smtp_port", None, "the port"),
    0x0202: ("smtp_use_ssl", (0, 1), "0 no encryption, 1 SSL/TLS"),
    0x020A: ("smtp_secure", (0, 1, 2, 3), "0 none, 1 SSL/TLS, 2 STARTTLS, 3 Auto"),
    0x0203: ("smtp_use_auth", (0, 1), "0 no authentication, 1 authentication"),
    0x0208: ("smtp_auth_method", (0, 1, 2), "0 as the incoming server, 1 its own user name, 2 log on to incoming "
                                            "first"),
    0x0207: ("smtp_use_spa", (0, 1), "0 password, 1 Secure Password Authentication"),
}  # fmt: skip
#: keys of an account section that are no property: how the account is added
_NOT_PROPERTIES = frozenset({"uniqueservice"})


class _Section(NamedTuple):
    name: str
    where: Location
    #: lower-case key -> (its name, its value, where)
    keys: dict[str, tuple[str, str, Location]]


def read(paths: Sequence[str], options: ReadOptions) -> Imported:
    found = Collector()
    for path in paths:
        sections = _sections(path, found)
        listed = sections.get(_ACCOUNT_LIST)
        for section, mapping, where in listed.keys.values() if listed else ():
            _account(sections, section, mapping, where, found)
        services = sections.get("service list")
        for key, value, where in services.keys.values() if services else ():
            found.warn(where, f"service {shown(key)} ({shown(value)}) is not a POP3 or IMAP account: not imported")
    return found.result()


def _text(path: str) -> str:
    data = read_bytes(path, "an Outlook profile file (.prf)")
    if (text := utf16le_after_bom(data, path, "save the file as UTF-16LE again")) is not None:
        return text
    try:
        return data.decode("ascii")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        where = Location(path, before.count(b"\n") + 1, exc.start - (before.rfind(b"\n") + 1) + 1)
        raise Unreadable(where, "8-bit text that is not ASCII: Outlook reads it in the Windows code page, which the "
                         "file does not name", "save the file as UTF-16LE (Unicode) with a byte-order mark") \
            from None  # fmt: skip


def _sections(path: str, found: Collector) -> dict[str, _Section]:
    """The file's sections by lower-case name, as GetPrivateProfileString reads them: of a section or a key given
    twice, the first (the other is reported)."""
    sections: dict[str, _Section] = {}
    current: _Section | None = None
    for number, raw in enumerate(_LINE_END.split(_text(path)), 1):
        line = raw.strip(_BLANK)
        where = Location(path, number, len(raw) - len(raw.lstrip(_BLANK)) + 1)
        if not line or line.startswith(";"):
            continue
        if line.startswith("["):
            if "]" not in line:
                raise Unreadable(where, "a section line without its closing ]", "write [Name]")
            name = line[1 : line.index("]")].strip(_BLANK)
            current = _Section(name, where, {})
            if name.lower() in sections:
                first = sections[name.lower()].where
                found.warn(where, f"section [{shown(name)}] is given again (first at line {first.line}): Outlook "
                           "reads only the first; its keys are not imported")  # fmt: skip
                continue
            sections[name.lower()] = current
            continue
        key, equals, value = line.partition("=")
        if not equals:
            found.warn(where, f"{shown(line, quotes=True)} is not a key=value line: Outlook ignores it")
            continue
        key, value = key.rstrip(_BLANK), value.lstrip(_BLANK)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]  # Windows drops a pair of quotes around a value
        if current is None:
            found.warn(where, f"{shown(key)}= before any [section]: Outlook ignores it")
        elif key.lower() in current.keys:
            found.warn(where, f"{shown(key)} is given again in [{shown(current.name)}] (first at line "
                       f"{current.keys[key.lower()][2].line}): Outlook reads the first")  # fmt: skip
        else:
            current.keys[key.lower()] = (key, value, where)
    return sections


def _mapping(sections: Mapping[str, _Section], name: str, where: Location) -> tuple[str, dict[str, int]]:
    """The protocol of the Section 7 mapping ``name``, and the property id of each (lower-case) key it maps."""
    mapping = sections.get(name.lower())
    if mapping is None:
        raise Unreadable(where, f"the mapping section [{shown(name)}] is missing",
                         "keep the [I_Mail] / [IMAP_I_Mail] sections the Office Customization Tool writes")  # fmt: skip
    kind = mapping.keys.get("accounttype", ("", "", mapping.where))
    protocol = _PROTOCOLS.get(kind[1].upper())
    if protocol is None:
        raise Unreadable(kind[2], f"[{shown(mapping.name)}] has AccountType {shown(kind[1], quotes=True)}, not POP3 or "
                         "IMAP", "list only POP3 and IMAP accounts in [Internet Account List]")  # fmt: skip
    ids: dict[str, int] = {}
    for lower, (key, value, at) in mapping.keys.items():
        if lower == "accounttype":
            continue
        tag = re.fullmatch(r"PT_[A-Z0-9]+[ \t]*,[ \t]*0[xX]([0-9A-Fa-f]{1,4})", value)
        if tag is None:
            raise Unreadable(at, f"{shown(key)} in [{shown(mapping.name)}] is not a property (PT_TYPE,0xID)",
                             "keep the mapping lines the Office Customization Tool writes")  # fmt: skip
        ids[lower] = int(tag.group(1), 16)
    return protocol, ids


def _account(sections: Mapping[str, _Section], name: str, mapping: str, where: Location, found: Collector) -> None:
    section = sections.get(name.lower())
    if section is None:
        raise Unreadable(where, f"account {shown(name)} has no [{shown(name)}] section",
                         "add the section, or remove the line")  # fmt: skip
    protocol, ids = _mapping(sections, mapping, where)
    values: dict[str, tuple[Any, Location]] = {}
    lost: list[tuple[Location, str]] = []
    for lower, (key, value, at) in section.keys.items():
        prop = ids.get(lower)
        if lower in _NOT_PROPERTIES:
            continue
        if prop is None:
            found.warn(at, f"{shown(key)} is not in the [{shown(mapping)}] mapping: Outlook does not read it")
        elif prop in _TEXT:
            values[_TEXT[prop]] = (value, at)
        elif prop in _LONG:
            field, allowed, meaning = _LONG[prop]
            values[field] = (_long(key, value, at, allowed, meaning), at)
        else:
            lost.append((at, f"{shown(key)} has no place in an account file: not imported"))
    _build(protocol, section, values, lost, found)


def _long(key: str, value: str, at: Location, allowed: tuple[int, ...] | None, meaning: str) -> int:
    """A PT_LONG value: decimal or 0x hexadecimal, and one Outlook writes when ``allowed`` says which."""
    number = (int(value[2:], 16) if value[1:2] in ("x", "X") else int(value)) if _NUMBER.fullmatch(value) else None
    if number is not None and number <= 0xFFFFFFFF and (allowed is None or number in allowed):
        return number
    got = f"{number}" if number is not None and number <= 0xFFFFFFFF else shown(value, quotes=True)
    raise Unreadable(at, f"{shown(key)} is {got}, not a value Outlook writes (a number: {meaning})",
                     "set it in Outlook's account settings, or write the number") from None  # fmt: skip


def _build(
    protocol: str,
    section: _Section,
    values: dict[str, tuple[Any, Location]],
    lost: list[tuple[Location, str]],
    found: Collector,
) -> None:
    def get(field: str) -> Any:
        return values[field][0] if field in values else None

    ssl = get("use_ssl") == 1
    incoming: dict[str, Any] = {"protocol": protocol, "host": get("server") or ""}
    incoming["port"] = get("port") or _PORTS[(protocol, ssl)]
    incoming["security"] = "tls" if ssl else "none"
    incoming["auth"] = "ntlm" if get("use_spa") == 1 else "password"
    if get("user"):
        incoming["username"] = get("user")
    notes: list[tuple[Location, str, str]] = [(at, "", message) for at, message in lost]
    if protocol == "pop3" and "leave" in values:
        _leave(incoming, values["leave"], notes)
    if get("timeout"):
        incoming["timeout"] = get("timeout")
    account: dict[str, Any] = {"address": get("address") or ""}
    for field in ("display_name", "organization"):
        if get(field):
            account[field] = get(field)
    account["incoming"] = incoming
    if get("smtp_server"):
        account["outgoing"] = _outgoing(values, incoming, notes)
    name = found.add(get("name") or section.name, account, section.where)
    for at, side, message in notes:
        found.lost(at, ("accounts", name, *([side] if side else [])), message)


def _outgoing(
    values: dict[str, tuple[Any, Location]], incoming: dict[str, Any], notes: list[tuple[Location, str, str]]
) -> dict[str, Any]:
    def get(field: str) -> Any:
        return values[field][0] if field in values else None

    secure = get("smtp_secure")
    security = _SECURE[secure] if secure is not None else ("tls" if get("smtp_use_ssl") else "none")
    outgoing: dict[str, Any] = {"host": get("smtp_server"), "port": get("smtp_port") or 25, "security": security}
    if security == "starttls-optional":
        notes.append((values["smtp_secure"][1], "outgoing", "SMTPSecureConnection 3 (Auto): STARTTLS only when "
                      "offered, which render refuses; choose STARTTLS or SSL/TLS in Outlook"))  # fmt: skip
    method = get("smtp_auth_method")
    if not get("smtp_use_auth"):
        outgoing["auth"] = "none"
    else:
        outgoing["auth"] = "ntlm" if get("smtp_use_spa") == 1 else "password"
        user = get("smtp_user") if method == 1 else incoming.get("username")
        if user:
            outgoing["username"] = user
        if method == 2:
            notes.append((values["smtp_auth_method"][1], "outgoing", "SMTPAuthMethod 2 (log on to the incoming "
                          "server first) has no place in an account file; the incoming login is used"))  # fmt: skip
    if "timeout" in incoming:
        outgoing["timeout"] = incoming["timeout"]
    return outgoing
