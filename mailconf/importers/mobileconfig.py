r"""``mailconf import --from mobileconfig work.mobileconfig`` reads an Apple configuration profile (iPhone,
iPad, Mac Mail), as a provider hands it out or ``mailconf render --target mobileconfig`` writes it:
one account per ``com.apple.mail.managed`` payload. The profile may be an XML or a binary
property list (both read by Python's ``plistlib``, which refuses entity declarations).

| com.apple.mail.managed | account file |
|---|---|
| ``EmailAccountDescription``, ``EmailAccountName``, ``EmailAddress`` | the account name, ``display_name``,
  ``address`` |
| ``EmailAccountType`` ``EmailTypeIMAP`` / ``EmailTypePOP`` | ``incoming.protocol: imap`` / ``pop3`` |
| ``IncomingMailServerHostName``, ``…PortNumber``, ``…Username`` (and ``OutgoingMailServer*``) | ``host``,
  ``port``, ``username`` |
| ``…UseSSL`` false / true | ``security: none`` / ``tls``, but ``starttls`` on the protocol's STARTTLS port |
| ``…Authentication`` ``EmailAuthPassword`` / ``EmailAuthCRAMMD5`` / ``EmailAuthNTLM`` / ``EmailAuthNone`` |
  ``auth: password`` / ``password`` + ``mechanisms: [cram-md5]`` / ``ntlm`` / ``none`` |

``UseSSL`` is one boolean: "use TLS", without saying whether TLS starts at once or after
STARTTLS, and Apple's clients decide by port. So ``UseSSL`` true is read as ``starttls`` when the
port is the protocol's STARTTLS port (IMAP 143, POP3 110, SMTP 587 or 25) and as ``tls`` on any
other port (993, 995, 465, or a port of the provider's own). A port left out is the protocol's
usual one: 993 / 995 with ``UseSSL`` (143 / 110 without), and 587 for SMTP.

A key read here whose value has another type than Apple's schema gives it (a ``PortNumber`` written
``<real>`` or ``<string>``, ``UseSSL`` as ``<string>true</string>`` or ``<integer>``, a host name as
``<data>``) is not guessed at: the account is not imported, and a warning names the key, its line and
the type to write. (Read as if the key were absent, ``<real>2993</real>`` gave port 993 and
``<string>true</string>`` no TLS.)

Another ``Authentication`` (``EmailAuthHTTPMD5``) is read as ``auth: password``, with a warning. A payload without
``IncomingMailServerHostName`` or ``OutgoingMailServerHostName`` (Apple's schema requires both: a device refuses it)
gives an account without that server, with a warning.
``OutgoingPasswordSameAsIncomingPassword`` only tells the device to ask once: it is not imported.

A password in the profile (``IncomingPassword``, ``OutgoingPassword``) is never copied and
never shown: a comment and a warning ask for a ``password_command``. Other payloads
(certificates, Wi-Fi ...) and the mail payload's other keys (``SMIME…``, ``PreventMove`` ...)
are reported and not imported. A signed profile (CMS, DER) is refused in one line: give the
unsigned one (``openssl smime -verify -noverify -inform der -in signed.mobileconfig -out
work.mobileconfig`` extracts it). An XML profile's warnings name the line and column of the key in its own
payload; a binary one's name the file. A ``PayloadContent`` item that is not a dictionary is reported.
"""

from __future__ import annotations

import plistlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from xml.parsers.expat import ExpatError

from ..model import Location
from . import Imported, ReadOptions, Unreadable
from ._base import Collector, guess_address, is_address, read_bytes, shown

NAME = "mobileconfig"
TITLE = "mobileconfig: an Apple configuration profile (com.apple.mail.managed payloads)"

PAYLOAD_TYPE = "com.apple.mail.managed"
#: pkcs7-signedData (1.2.840.113549.1.7.2), DER-encoded: what a signed profile starts with, after its SEQUENCE
_SIGNED_DATA = bytes.fromhex("06092a864886f70d010702")
_PROTOCOL = {"EmailTypeIMAP": "imap", "EmailTypePOP": "pop3"}
#: the port a client uses when the profile names none: (without UseSSL, with UseSSL)
_DEFAULT_PORT = {"imap": (143, 993), "pop3": (110, 995), "smtp": (587, 587)}
#: the ports on which UseSSL true means STARTTLS
STARTTLS_PORTS = {"imap": (143,), "pop3": (110,), "smtp": (587, 25)}
_AUTH: dict[str, tuple[str, list[str] | None]] = {
    "EmailAuthPassword": ("password", None),
    "EmailAuthCRAMMD5": ("password", ["cram-md5"]),
    "EmailAuthNTLM": ("ntlm", None),
    "EmailAuthNone": ("none", None),
}
_SERVER_KEYS = ("HostName", "PortNumber", "UseSSL", "Authentication", "Username", "Password")
#: read into the account, or derived from what is (the device asks once when the logins are the same)
_READ = frozenset(
    ["EmailAccountType", "EmailAccountDescription", "EmailAccountName", "EmailAddress",
     "OutgoingPasswordSameAsIncomingPassword"]
    + [f"{side}MailServer{key}" for side in ("Incoming", "Outgoing") for key in _SERVER_KEYS]
    + ["IncomingPassword", "OutgoingPassword"]
)  # fmt: skip


#: the type Apple's schema (com.apple.mail.managed.yaml) gives each key read: a value of another is not guessed at
_TYPES: dict[str, type] = {
    **dict.fromkeys(("EmailAccountType", "EmailAccountDescription", "EmailAccountName", "EmailAddress"), str),
    **{f"{side}MailServer{key}": kind for side in ("Incoming", "Outgoing")
       for key, kind in (("HostName", str), ("PortNumber", int), ("UseSSL", bool), ("Authentication", str),
                         ("Username", str))},
    "OutgoingPasswordSameAsIncomingPassword": bool,
}  # fmt: skip
#: a value's type as a property list writes it
_PLIST_TYPES = {str: "<string>", int: "<integer>", float: "<real>", bool: "<true/> or <false/>", bytes: "<data>",
                datetime: "<date>", dict: "<dict>", list: "<array>", plistlib.UID: "a UID"}  # fmt: skip


def read(paths: Sequence[str], options: ReadOptions) -> Imported:
    found = Collector()
    for path in paths:
        data = read_bytes(path, "an Apple configuration profile (.mobileconfig)")
        profile = _load(path, data)
        keys = _KeyLines(path, data)
        payloads, bare = _payloads(path, profile)
        index = -1  # of the dictionaries among the payloads, which are the payloads _KeyLines locates
        for payload in payloads:
            if not isinstance(payload, dict):  # it was skipped without a word
                said = _PLIST_TYPES.get(type(payload), type(payload).__name__)
                found.warn(Location(path, 1, 1), f"PayloadContent holds {said}, which is not a payload: not imported")
                continue
            index += 1
            where = keys.payload(index, bare)
            if payload.get("PayloadType") != PAYLOAD_TYPE:
                found.warn(
                    keys.at(where, "PayloadType"),
                    f"a {shown(payload.get('PayloadType', 'untyped'))} payload is not a mail account: not imported",
                )
                continue
            _account(payload, {key: keys.at(where, key) for key in payload}, keys.path, found)
    return found.result()


def _load(path: str, data: bytes) -> Any:
    where = Location(path, 1, 1)
    if data[:1] == b"\x30" and _SIGNED_DATA in data[:64]:
        raise Unreadable(
            where,
            "a signed profile (CMS) cannot be read",
            "give the unsigned .mobileconfig (openssl smime -verify -noverify -inform der -in FILE -out "
            "unsigned.mobileconfig extracts it)",
        )
    try:
        profile = plistlib.loads(data)
    except ExpatError as exc:
        raise Unreadable(
            Location(path, exc.lineno, exc.offset + 1), "not a well-formed XML property list", "fix the XML"
        ) from None
    except RecursionError:  # plistlib reads a binary list thousands deep recursively
        raise Unreadable(where, "not a property list (nested too deeply)", "give the profile as mailconf or Apple "
                         "Configurator writes it") from None  # fmt: skip
    except (plistlib.InvalidFileException, ValueError, TypeError, LookupError, OverflowError) as exc:
        what = str(exc).split("\n")[0][:100] if isinstance(exc, plistlib.InvalidFileException) else "malformed"
        entity = data.find(b"<!ENTITY")
        if "entity" in what and entity > -1:  # plistlib refuses entities (no billion laughs): say where
            line = data.count(b"\n", 0, entity) + 1
            where = Location(path, line, entity - (data.rfind(b"\n", 0, entity) + 1) + 1)
            return_fix = "remove the <!ENTITY> declarations"
        else:
            return_fix = "give the profile as an XML or binary property list"
        raise Unreadable(where, f"not a property list ({what})", return_fix) from None
    if not _string_keys(profile):  # a binary plist's dictionary may name a key by data or a number; XML cannot
        raise Unreadable(where, "not a property list (a dictionary key that is not a string)", "give the profile "
                         "as mailconf or Apple Configurator writes it")  # fmt: skip
    return profile


def _string_keys(value: Any) -> bool:
    """Whether every dictionary in ``value`` has strings for keys, as Apple's property lists do (plistlib writes
    no other). Looked through without recursion (plistlib reads thousands deep), each container once: a binary
    plist's objects may be shared, or hold themselves (plistlib makes a list that holds itself)."""
    pending, seen = [value], set()
    while pending:
        item = pending.pop()
        if not isinstance(item, (dict, list)) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, dict):
            if not all(isinstance(key, str) for key in item):
                return False
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return True


def _payloads(path: str, profile: Any) -> tuple[list[Any], bool]:
    """The payloads (what PayloadContent holds, dictionaries or not), and whether the profile is a bare payload."""
    if isinstance(profile, dict) and profile.get("PayloadType") == PAYLOAD_TYPE:
        return [profile], True  # a bare mail payload
    content = profile.get("PayloadContent") if isinstance(profile, dict) else None
    if not isinstance(content, list):
        raise Unreadable(
            Location(path, 1, 1),
            "not a configuration profile (no PayloadContent list)",
            "give the .mobileconfig file the provider hands out",
        )
    return content, False


class _KeyLines:
    """Where each payload's ``<key>`` elements are in an XML profile (line and column), read by expat beside
    plistlib: the payloads are the dictionaries of the top dictionary's ``PayloadContent`` array, or the top
    dictionary itself (a bare payload). A key given twice is where plistlib takes its value from: the last.

    (Counting the n-th ``<key>K</key>`` of the whole file put a payload's key on the line of another dictionary's:
    a top-level ``PayloadType`` before ``PayloadContent`` was said to be the first payload's.)"""

    def __init__(self, path: str, data: bytes) -> None:
        self.path = path
        self.top: dict[str, tuple[int, int]] = {}
        self.payloads: list[dict[str, tuple[int, int]]] = []
        if data.lstrip()[:1] == b"<":
            self._read(data)

    def _read(self, data: bytes) -> None:
        from xml.parsers.expat import ParserCreate

        parser = ParserCreate()
        elements: list[str] = []  # the open elements
        dicts: list[dict[str, tuple[int, int]]] = []  # the open <dict>s' keys
        last_key: list[str] = [""]  # the top dictionary's last key
        key: list[Any] = []  # the open <key>: where it starts, then its text

        def inside() -> list[str]:  # the open elements inside <plist> (plistlib reads a file without it too)
            return elements[1:] if elements[:1] == ["plist"] else elements

        def start(name: str, attributes: object) -> None:
            if name == "dict":
                keys: dict[str, tuple[int, int]] = {}
                if not inside():
                    self.top = keys
                elif inside() == ["dict", "array"] and last_key[0] == "PayloadContent":
                    self.payloads.append(keys)
                dicts.append(keys)
            elif name == "array" and inside() == ["dict"] and last_key[0] == "PayloadContent":
                self.payloads = []  # PayloadContent given again: plistlib keeps the last
            elif name == "key":
                key[:] = [(parser.CurrentLineNumber, parser.CurrentColumnNumber + 1)]
            elements.append(name)

        def end(name: str) -> None:
            elements.pop()
            if name == "dict":
                dicts.pop()
            elif name == "key" and key and dicts:
                text = "".join(key[1:])
                dicts[-1].pop(text, None)  # a key given again is where its value is read from: the last
                dicts[-1][text] = key[0]
                if inside() == ["dict"]:
                    last_key[0] = text
                key.clear()

        def text(data: str) -> None:
            if key:
                key.append(data)

        parser.StartElementHandler = start
        parser.EndElementHandler = end
        parser.CharacterDataHandler = text
        try:
            parser.Parse(data, True)  # plistlib has read it: well-formed, without entities
        except ExpatError:  # what plistlib reads and expat alone does not: the keys are then not located
            self.top, self.payloads = {}, []

    def payload(self, index: int, bare: bool) -> dict[str, Location]:
        """Where each key of the ``index``-th payload is; the top dictionary's when it is a bare payload."""
        keys = self.top if bare else self.payloads[index] if index < len(self.payloads) else {}
        return {key: Location(self.path, line, column) for key, (line, column) in keys.items()}

    def at(self, keys: dict[str, Location], key: str) -> Location:
        """Where ``key`` is among ``keys``; the file's start when the profile is binary (or the key is not there)."""
        return keys.get(key, Location(self.path, 1, 1))


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _account(payload: dict[str, Any], where: dict[str, Location], path: str, found: Collector) -> None:
    start = where.get("EmailAccountType", where.get("PayloadType", Location(path, 1, 1)))
    protocol = _PROTOCOL.get(str(payload.get("EmailAccountType")))
    if protocol is None:
        found.warn(start, "EmailAccountType is neither EmailTypeIMAP nor EmailTypePOP: not imported")
        return
    wrong = _wrong_type(payload)
    if wrong is not None:
        found.warn(where[wrong[0]], wrong[1])
        return
    lost: list[tuple[Location, str, str]] = []
    data: dict[str, Any] = {"address": _text(payload.get("EmailAddress")) or ""}
    display_name = _text(payload.get("EmailAccountName"))
    if display_name is not None:
        data["display_name"] = display_name
    for side, prefix, proto in (("incoming", "Incoming", protocol), ("outgoing", "Outgoing", "smtp")):
        server = _server(payload, prefix, proto, where, lost)
        if server is not None:
            data[side] = server
    wanted = _text(payload.get("EmailAccountDescription")) or data["address"].partition("@")[0] or "account"
    guessed = not is_address(data["address"])
    if guessed:
        incoming = data.get("incoming") or data.get("outgoing") or {"host": "localhost"}
        data["address"] = guess_address(incoming.get("username"), wanted, incoming["host"])
    name = found.add(wanted, data, start)
    account = ("accounts", name)
    if guessed:
        found.lost(where.get("EmailAddress", start), (*account, "address"),
                   "the profile names no address: this one is a guess, check it")  # fmt: skip
    for at, side, message in lost:
        if message == "":
            found.literal_password(at, (*account, side))
        else:
            found.lost(at, (*account, *([side] if side else [])), message)
    for key, at in where.items():
        if key not in _READ and not key.startswith("Payload"):
            found.lost(at, account, f"the mail payload's {shown(key)} has no place in an account file")


def _wrong_type(payload: dict[str, Any]) -> tuple[str, str] | None:
    """The first key read whose value has another type than Apple's schema gives it, and what to say; None if none.
    Such a value was read as if the key were absent: <real>2993</real> gave port 993, <string>true</string> no TLS."""
    for key, kind in _TYPES.items():
        if key in payload and type(payload[key]) is not kind:  # bool is an int: <true/> is no port
            said = _PLIST_TYPES.get(type(payload[key]), type(payload[key]).__name__)
            wanted = _PLIST_TYPES[kind]
            return key, (f"{key} is {said}, not {wanted} as Apple's profiles write it: the account is not imported; "
                         f"write it as {wanted}")  # fmt: skip
    return None


def _server(
    payload: dict[str, Any],
    prefix: str,
    protocol: str,
    where: dict[str, Location],
    lost: list[tuple[Location, str, str]],
) -> dict[str, Any] | None:
    def get(key: str) -> Any:
        return payload.get(f"{prefix}MailServer{key}")

    side = "incoming" if prefix == "Incoming" else "outgoing"
    host = _text(get("HostName"))
    if f"{prefix}Password" in payload:
        lost.append((where[f"{prefix}Password"], side, ""))
    if host is None:  # it was left out without a word, the other keys of its side with it
        missing = where.get(f"{prefix}MailServerHostName", where["EmailAccountType"])
        lost.append((missing, "", f"no {prefix}MailServerHostName, which Apple's schema requires (a device refuses the "
                     f"profile): the account has no {side} server"))  # fmt: skip
        return None
    server: dict[str, Any] = {"protocol": protocol} if protocol != "smtp" else {}
    use_ssl = get("UseSSL") is True
    port = get("PortNumber")
    if not isinstance(port, int) or isinstance(port, bool):
        port = _DEFAULT_PORT[protocol][use_ssl]
    server["host"] = host
    server["port"] = port
    server["security"] = ("starttls" if port in STARTTLS_PORTS[protocol] else "tls") if use_ssl else "none"
    method = str(get("Authentication") or "EmailAuthPassword")
    auth, mechanisms = _AUTH.get(method, ("password", None))
    if method not in _AUTH:
        at = where.get(f"{prefix}MailServerAuthentication", where.get(f"{prefix}MailServerHostName"))
        assert at is not None
        lost.append((at, side, f"{shown(method)} has no place in an account file: read as auth password"))
    server["auth"] = auth
    username = _text(get("Username"))
    if username is not None:
        server["username"] = username
    if mechanisms is not None:
        server["mechanisms"] = mechanisms
    return server
