r"""``mailconf import --from autoconfig config-v1.1.xml`` reads a Thunderbird autoconfig file
(clientConfig 1.1, as providers publish it and the ISPDB holds it): one account per
``emailProvider``, from its first ``incomingServer`` and first ``outgoingServer`` (the others are
alternatives, named in a comment).

| config-v1.1.xml | account file |
|---|---|
| ``emailProvider id``, first ``domain`` (none: the provider is skipped, as Thunderbird refuses it) | the
  account name, the address's domain |
| ``incomingServer type="imap"``/``"pop3"``, ``outgoingServer type="smtp"`` | ``incoming``, ``outgoing`` |
| ``hostname``, ``port`` | ``host``, ``port`` |
| ``socketType`` SSL / STARTTLS / plain | ``security: tls`` / ``starttls`` / ``none`` |
| the first ``authentication`` of password-cleartext (plain), password-encrypted (secure) / OAuth2 / GSSAPI /
  NTLM / TLS-client-cert / none, and for an outgoing server client-IP-address and smtp-after-pop | ``auth:
  password`` (``mechanisms: [cram-md5]`` for password-encrypted) / ``oauth2`` / ``gssapi`` / ``ntlm`` /
  ``client-cert`` / ``none`` (``none`` too: the provider relays without a login) |
| ``username`` ``%EMAILADDRESS%`` / other | no ``username`` (the address) / that name, with ``%EMAILADDRESS%``,
  ``%EMAILLOCALPART%`` and ``%EMAILDOMAIN%`` replaced wherever they are (``hostname`` too), as Thunderbird does |
| ``password`` | never copied: a comment and a warning ask for a ``password_command`` |
| ``pop3/leaveMessagesOnServer``, ``daysToLeaveMessagesOnServer`` | ``leave_on_server``, ``leave_days`` |

A server with no ``socketType``, or none of these (``TLS1.2``, ``ssl3``, and ``ssl``, ``TLS`` or `` SSL ``: Thunderbird
matches the values exactly, case and white space included, as the specification spells them, and so does the
import; ``authentication`` too), is left out with a warning, as
Thunderbird leaves it out ("need proper <socketType> in XML"); the next server of its kind, if any, is
imported instead: reading it as ``security: none`` would send the password in the clear. So is a server
with no ``authentication`` mailconf knows (an unknown one is skipped for the next, as Thunderbird skips it;
it is not guessed to be a password), a server with no ``hostname``, an outgoing server with no ``port`` (an
incoming one without it is on the protocol's usual port) and a server with an empty ``port``. When no server is
left, the error names the first reason.

A ``port`` is read as Thunderbird's readFromXML reads it (checked against Thunderbird 153): a text JavaScript's
``Number()`` reads as a finite number is that number, truncated (`` 993 ``, ``+993``, ``993.7`` and ``1e3`` are 993,
993, 993 and 1000); any other text gets ``parseInt``'s leading digits (``993abc`` is 993, ``1e400`` is 1). Such a
port that is not plain digits is imported as Thunderbird takes it, with a warning; one that is not a whole number
from 1 to 65535 then (``abc``, ``0x3e1``, which parseFloat reads as 0, ``-993``, ``99999``) leaves the server out, as
Thunderbird leaves it out, for the next one of its kind.

An autoconfig file describes a provider, not a person: the address is ``you@DOMAIN`` and a comment
asks you to put yours. The XML is parsed with defusedxml: a file with a DTD or entities (an "entity
bomb") is refused with its line and column (exit 2), like any XML that is not well-formed, or that
declares an encoding it cannot be read in (``UTF-32``, an unknown name: save it as UTF-8).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any
from xml.etree.ElementTree import Element

from ..model import Location
from . import Imported, ReadOptions, Unreadable
from ._base import Collector, shown, whole_number
from ._xml import Parsed, parse

NAME = "autoconfig"
TITLE = "Thunderbird autoconfig: a config-v1.1.xml file"

#: the values as Thunderbird matches them (InputSanitizer.translate: exactly, case and white space included, as the
#: specification spells them): "ssl", "TLS" or " SSL " made it leave the server out, where they were read as TLS
_SECURITY = {"SSL": "tls", "STARTTLS": "starttls", "plain": "none"}
_AUTH = {
    "password-cleartext": "password", "plain": "password", "password-encrypted": "password", "secure": "password",
    "OAuth2": "oauth2", "GSSAPI": "gssapi", "NTLM": "ntlm", "TLS-client-cert": "client-cert", "none": "none",
}  # fmt: skip
#: what Thunderbird knows only for an outgoing server: the provider relays for its own network's addresses
_AUTH_OUTGOING = {**_AUTH, "client-IP-address": "none", "smtp-after-pop": "none"}
#: the placeholders Thunderbird replaces anywhere in a username or hostname (AccountConfig.replaceVariables)
_PLACEHOLDER = re.compile("%(EMAILADDRESS|EMAILLOCALPART|EMAILDOMAIN)%")


def read(paths: Sequence[str], options: ReadOptions) -> Imported:
    found = Collector()
    for path in paths:
        parsed = parse(path, "an autoconfig XML file (config-v1.1.xml)")
        root = parsed.root
        if root.tag != "clientConfig":
            raise Unreadable(
                Location(path, 1, 1),
                f"the root element is <{shown(root.tag)}>, not <clientConfig>",
                "name a Thunderbird autoconfig file (config-v1.1.xml)",
            )
        for provider in root.findall("emailProvider"):
            _provider(parsed, provider, found)
    return found.result()


def _provider(parsed: Parsed, provider: Element, found: Collector) -> None:
    path = parsed.path
    where = Location(path, 1, 1)
    domains = [text for element in provider.findall("domain") if (text := (element.text or "").strip())]
    if not domains:  # readFromXML: "need proper <domain> in XML"; example.org was made up, %EMAILDOMAIN% hosts too
        found.warn(parsed.at(provider), f"emailProvider {shown(provider.get('id'), quotes=True)}: no <domain>: "
                   "Thunderbird refuses the file; skipped")  # fmt: skip
        return
    domain = domains[0]
    address = f"you@{domain}"
    account: dict[str, Any] = {"address": address}
    display = provider.findtext("displayName")
    notes: list[tuple[str, str]] = []
    passwords: list[tuple[str, Element]] = []  # Thunderbird stores a <password> it is given: never copied here
    for side, tag in (("incoming", "incomingServer"), ("outgoing", "outgoingServer")):
        servers = provider.findall(tag)
        usable = []
        for server in servers:
            if server.get("type") not in (("imap", "pop3") if side == "incoming" else ("smtp",)):
                continue
            why = _refused(server, side)
            if why is None:
                usable.append(server)
                continue
            host = (server.findtext("hostname") or "").strip()
            found.warn(parsed.at(server), f"<{tag}>{' ' + shown(host) if host else ''} left out: {why}; "
                       "Thunderbird leaves such a server out too")  # fmt: skip
        if not usable:
            continue
        account[side] = _server(parsed, usable[0], address, found)
        passwords.extend((side, p) for s in usable[:1] for p in s.findall("password"))
        if len(usable) > 1:
            others = shown(", ".join(f"{s.findtext('hostname')}:{s.findtext('port')}" for s in usable[1:]))
            notes.append((side, f"alternatives in the file, not imported: {others}"))
    if "incoming" not in account and "outgoing" not in account:
        found.warn(
            where, f"emailProvider {shown(provider.get('id'), quotes=True)}: no IMAP, POP3 or SMTP server; skipped"
        )
        return
    name = found.add(provider.get("id") or domain, account, where)
    found.comment(
        ("accounts", name, "address"),
        f"an autoconfig file describes a provider ({shown(display or domain)}): put your own address here",
    )
    for side, note in notes:
        found.comment(("accounts", name, side), note)
    for side, element in passwords:
        found.literal_password(parsed.at(element), ("accounts", name, side))


def _refused(server: Element, side: str) -> str | None:
    """Why Thunderbird leaves ``server`` out (no hostname, no socketType or authentication it knows, an outgoing
    server without a port, an empty port), or None."""
    if not (server.findtext("hostname") or "").strip():  # readFromXML: InputSanitizer.hostname of it throws
        return "no hostname"
    why = _port_refused(server.find("port"), side)
    if why is not None:
        return why
    if _security(server) is None:
        said = [shown(s.text or "", quotes=True) for s in server.findall("socketType")]
        return f"socketType {', '.join(said)} is none of SSL, STARTTLS, plain" if said else "no socketType"
    if _auth(server, side) is None:
        said = [shown(a.text or "", quotes=True) for a in server.findall("authentication")]
        return f"authentication {', '.join(said)} is none mailconf knows" if said else "no authentication"
    return None


def _port_refused(port: Element | None, side: str) -> str | None:
    """Why readFromXML leaves a server with this ``<port>`` out, or None."""
    if port is None and side == "outgoing":  # readFromXML: integerRange(undefined) throws; the incoming one may
        return "no port"
    if port is not None and not (port.text or "").strip(_JS_SPACE):  # JXON: an empty element is true, no number
        return "an empty port"
    if port is not None and port_as_thunderbird(port.text or "") is None:
        return f"port {shown(port.text, quotes=True)} is no whole number from 1 to 65535 as Thunderbird reads it"
    return None


def _auth(server: Element, side: str) -> str | None:
    """The first authentication that Thunderbird (and mailconf) knows for the side, spelt exactly as they know it;
    None when none is (an unknown one is skipped, as Thunderbird skips it, not read as a password)."""
    known = _AUTH if side == "incoming" else _AUTH_OUTGOING
    for element in server.findall("authentication"):
        method = element.text or ""
        if method in known:
            return method
    return None


def _security(element: Element) -> str | None:
    """The first socketType that is one of SSL, STARTTLS, plain, as Thunderbird takes it; None when none is."""
    for socket in element.findall("socketType"):
        security = _SECURITY.get(socket.text or "")
        if security is not None:
            return security
    return None


#: JavaScript's white space and line terminators, which Number(), parseFloat() and parseInt() skip
_JS_SPACE = (
    "\t\n\v\f\r \u00a0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
#: a decimal StrNumericLiteral (what Number() reads as itself, and parseFloat() too), and the 0x / 0o / 0b ones
_JS_DECIMAL = re.compile(r"[+-]?(?:Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)")
_JS_RADIX = re.compile(r"0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+")
_PARSE_INT = {16: re.compile(r"[0-9a-fA-F]*"), 10: re.compile(r"[0-9]*")}


def port_as_thunderbird(text: str) -> int | None:
    """The port readFromXML takes from a ``<port>`` holding ``text``, or None where it leaves the server out
    (checked against Thunderbird 153: tests/importers/test_formats.py). JXON's parseText makes ``true`` / ``false``
    a boolean and a text Number() reads as finite a number (parseFloat of it: 0 for ``0x3e1``, 993.7 for
    ``993.7``); InputSanitizer.integerRange(1, 65535) truncates a number and gives anything else to parseInt,
    which takes the leading digits (993 of ``993abc``, 1 of ``1e400``)."""
    stripped = text.strip(_JS_SPACE)  # "true" and "false" (JXON's booleans) are NaN for parseInt too
    number: float | None = None
    if _JS_DECIMAL.fullmatch(stripped) and math.isfinite(value := float(stripped.replace("Infinity", "inf"))):
        number = value
    elif _JS_RADIX.fullmatch(stripped):
        number = 0  # parseFloat reads the leading 0 only
    elif stripped:  # not a finite number: a string, given to parseInt (an empty or blank text is NaN)
        number = _parse_int(stripped)
    port = None if number is None else math.trunc(number)
    return port if port is not None and 1 <= port <= 65535 else None


def _parse_int(text: str) -> int | None:
    """JavaScript's parseInt(text) without a radix, for a text without leading white space; None for NaN."""
    sign = -1 if text[:1] == "-" else 1
    text = text[1:] if text[:1] in "+-" else text
    radix = 16 if text[:2] in ("0x", "0X") else 10
    digits = _PARSE_INT[radix].match(text[2:] if radix == 16 else text)
    assert digits is not None  # the patterns match the empty string
    return sign * int(digits.group(), radix) if digits.group() else None


def _server(parsed: Parsed, element: Element, address: str, found: Collector) -> dict[str, Any]:
    server: dict[str, Any] = {}
    if element.get("type") != "smtp":
        server["protocol"] = element.get("type")
    server["host"] = _placeholders((element.findtext("hostname") or "").strip(), address)
    text = element.findtext("port")
    port = None if text is None else port_as_thunderbird(text)
    if text is not None and port is not None:  # _refused() left out a server with a port Thunderbird refuses
        server["port"] = port
        if not (text.strip().isascii() and text.strip().isdigit()):
            found.warn(
                parsed.at(element),
                f"<{element.tag}> {shown(server['host'])}: port {shown(text, quotes=True)} is read as {port} by "
                f"Thunderbird (JavaScript's parseInt), and so by this import; write {port}",
            )
    server["security"] = _security(element)
    side = "outgoing" if element.get("type") == "smtp" else "incoming"
    method = _auth(element, side)
    assert method is not None  # _refused() left such a server out
    server["auth"] = _AUTH_OUTGOING[method]
    if method in ("password-encrypted", "secure"):
        server["mechanisms"] = ["cram-md5"]
    username = _placeholders((element.findtext("username") or "%EMAILADDRESS%").strip(), address)
    if username != address:
        server["username"] = username
    pop3 = element.find("pop3")
    if pop3 is not None and element.get("type") == "pop3":
        leave = (pop3.findtext("leaveMessagesOnServer") or "").strip().lower()
        if leave in ("true", "false"):
            server["leave_on_server"] = leave == "true"
        days = (pop3.findtext("daysToLeaveMessagesOnServer") or "").strip()
        if days.isascii() and days.isdigit() and leave == "true":
            server["leave_days"] = whole_number(days)  # int() of over 4,300 digits raises
    return server


def _placeholders(text: str, address: str) -> str:
    """``text`` with %EMAILADDRESS%, %EMAILLOCALPART% and %EMAILDOMAIN% replaced wherever they are, as Thunderbird
    replaces them in a username and a hostname (``%EMAILLOCALPART%@example.org``, ``mail.%EMAILDOMAIN%``)."""
    local, _, domain = address.partition("@")
    values = {"EMAILADDRESS": address, "EMAILLOCALPART": local, "EMAILDOMAIN": domain}
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], text)
