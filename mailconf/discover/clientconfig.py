"""Thunderbird's ``clientConfig`` XML (autoconfig and the ISPDB) -> candidate servers.

The XML is untrusted: it is parsed by defusedxml, which refuses a DTD, entities
and external references (an entity bomb never expands). Servers come out in the
file's order (its first ``incomingServer`` is the provider's preference).
Placeholders ``%EMAILADDRESS%``, ``%EMAILLOCALPART%`` and ``%EMAILDOMAIN%`` are
filled in, and a POP3 server's ``<pop3>`` leaving of mail on the server is kept; a
server this file cannot describe safely (an Exchange or JMAP server, a host that is
not a host name, or only passes for one, ``0x7f000001``, a port out of range) is left
out with a note.
"""

from __future__ import annotations

import ipaddress
import re
from typing import NamedTuple
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from ..model import Auth, Protocol, Security
from .values import Candidate, clipped, listed, shown


class XmlError(Exception):
    """The file is not a usable clientConfig: one line, with the line and column when the parser knows them."""


#: RFC 1123 host names (a label may not start or end with '-'), as the schema allows them
_HOST = re.compile(
    r"(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
)
_PROTOCOLS = {"imap": Protocol.IMAP, "pop3": Protocol.POP3, "smtp": Protocol.SMTP}
_SOCKETS = {"SSL": Security.TLS, "STARTTLS": Security.STARTTLS, "plain": Security.NONE}
#: Thunderbird's authentication names (and their old spellings) -> auth, and mechanisms when it fixes them
_AUTH: dict[str, tuple[Auth, tuple[str, ...]]] = {
    "password-cleartext": (Auth.PASSWORD, ()),
    "plain": (Auth.PASSWORD, ()),
    "password-encrypted": (Auth.PASSWORD, ("cram-md5",)),
    "secure": (Auth.PASSWORD, ("cram-md5",)),
    "OAuth2": (Auth.OAUTH2, ()),
    "NTLM": (Auth.NTLM, ()),
    "GSSAPI": (Auth.GSSAPI, ()),
    "TLS-client-cert": (Auth.CLIENT_CERT, ()),
    "client-IP-address": (Auth.NONE, ()),
    "none": (Auth.NONE, ()),
}
#: what only an outgoing server may say: SMTP after POP is no login, as Thunderbird reads it (the server lets in an
#: address that has just fetched mail)
_OUTGOING_AUTH = {**_AUTH, "smtp-after-pop": (Auth.NONE, ())}


#: the start of an HTML page, which a web server that answers every URL sends with status 200 (its home page, its
#: own "not found" page): its <!DOCTYPE html> read as a refused DTD, its <br> as `mismatched tag`
_HTML = re.compile(
    rb"(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)[\s>]",
    re.IGNORECASE | re.DOTALL,
)
_SNIFF = 64 * 1024
_NOT_HTML = "the document is an HTML page, not <clientConfig>"


class Parsed(NamedTuple):
    servers: tuple[Candidate, ...]
    notes: tuple[str, ...]
    domains: tuple[str, ...]  # the <domain> elements: the domains this file is for


def parse(data: bytes, address: str) -> Parsed:
    """The servers of a clientConfig document, for ``address``."""
    try:
        root = fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        if _HTML.match(data, 0, _SNIFF):  # <!DOCTYPE html>: no attack, a web page
            raise XmlError(_NOT_HTML) from None
        raise XmlError(f"refused: the XML {_defused(exc)} (not allowed in a configuration file)") from None
    except ParseError as exc:
        if _HTML.match(data, 0, _SNIFF):
            raise XmlError(_NOT_HTML) from None
        line, column = exc.position
        raise XmlError(f"line {line}:{column + 1}: not well-formed XML ({_reason(exc)})") from None
    except (LookupError, ValueError) as exc:  # expat on the declared encoding: unknown (LookupError) or multi-byte
        why = clipped(str(exc))  # names the encoding the document declared, of any length
        raise XmlError(f"the XML declares an encoding that cannot be read ({why}); UTF-8 is expected") from None
    if root.tag != "clientConfig":
        raise XmlError(f"the document is <{clipped(root.tag)}>, not <clientConfig>")
    provider = root.find("emailProvider")
    if provider is None:
        raise XmlError("no <emailProvider> in <clientConfig>")
    servers: list[Candidate] = []
    notes: list[str] = []
    for element in provider:
        if element.tag in ("incomingServer", "outgoingServer"):
            server, note = _server(element, address)
            if server is not None:
                servers.append(server)
            if note:
                notes.append(note)
    domains = tuple(_fill((d.text or "").strip(), address).lower() for d in provider.findall("domain"))
    return Parsed(tuple(servers), tuple(notes), domains)


def is_host_name(text: str) -> bool:
    """Whether ``text`` is a host name the account file can hold (RFC 1123)."""
    return _HOST.fullmatch(text) is not None


def is_dns_host(name: str) -> bool:
    """Whether a name DNS gave as a host (an SRV target, an MX host) is a host name, not what passes for an address.

    A DNS label holds any byte: ``dead:beef.`` or ``192.0.2.1.`` is a name there, yet the account file (and a
    client) would read it as an IP address and connect straight to it.
    """
    return is_host_name(name) and not looks_like_address(name)


def looks_like_address(name: str) -> bool:
    """Whether a client would read ``name`` as an IP address: an IPv6 literal, or a last label that does not begin
    with a letter, as every top-level domain does. The system's resolver (inet_aton) reads ``192.0.2.1``, but also
    ``127.1``, ``2130706433`` and ``0x7f000001``, as addresses (the last three all as 127.0.0.1)."""
    last = name.rstrip(".").rpartition(".")[2]
    return ":" in name or not (last[:1].isascii() and last[:1].isalpha())


def _dotted_quad(text: str) -> bool:
    """Whether ``text`` is an IPv4 address as the account file writes one (``192.0.2.1``), not a form only a resolver
    reads as one (``0x7f000001``, ``127.1``): a provider may name its server by address."""
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


def _defused(exc: DefusedXmlException) -> str:
    name = type(exc).__name__
    return {
        "DTDForbidden": "has a DTD (<!DOCTYPE>)",
        "EntitiesForbidden": "declares an entity",
        "ExternalReferenceForbidden": "refers to an external resource",
    }.get(name, f"uses a forbidden construct ({name})")


def _reason(exc: ParseError) -> str:
    return str(exc).split(":", 1)[0]


def _text(element: Element, tag: str) -> str:
    child = element.find(tag)
    return (child.text or "").strip() if child is not None else ""


_PLACEHOLDER = re.compile("%(EMAILADDRESS|EMAILLOCALPART|EMAILDOMAIN)%")


def _fill(text: str, address: str) -> str:
    """The placeholders filled in, in one pass: a local part may hold '%' ("a%EMAILDOMAIN%"), kept as it is."""
    local, _, domain = address.rpartition("@")
    values = {"EMAILADDRESS": address, "EMAILLOCALPART": local, "EMAILDOMAIN": domain}
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


def _server(element: Element, address: str) -> tuple[Candidate | None, str | None]:  # noqa: PLR0911 - one return per reason
    kind = element.get("type", "")
    protocol = _PROTOCOLS.get(kind)
    what = f"<{element.tag} type={shown(kind)}>"
    if protocol is None or (protocol is Protocol.SMTP) != (element.tag == "outgoingServer"):
        return None, f"{what} left out: mailconf holds IMAP, POP3 and SMTP servers only"
    host = _fill(_text(element, "hostname"), address)
    if not (is_dns_host(host) or _dotted_quad(host)):
        return None, f"{what} left out: {shown(host)} is not a host name"
    port = _text(element, "port")
    if not (port.isascii() and port.isdigit() and len(port) <= 5) or not 0 < int(port) < 65536:  # not "²"
        return None, f"{what} {host} left out: {shown(port)} is not a port"
    # socketType and authentication as Thunderbird's readFromXML reads them (and import --from autoconfig, checked
    # against it): spelt exactly, not trimmed (" SSL " is none), the first one it knows of several
    sockets = [s.text or "" for s in element.findall("socketType")]
    socket = next((s for s in sockets if s in _SOCKETS), None)
    if socket is None:
        return None, f"{what} {host} left out: unknown socketType {listed(sockets) if sockets else shown('')}"
    table = _OUTGOING_AUTH if protocol is Protocol.SMTP else _AUTH
    methods = [a.text or "" for a in element.findall("authentication")]
    known = [m for m in methods if m in table]
    if methods and not known:
        return None, f"{what} {host} left out: unknown authentication {listed(methods)}"
    auth, mechanisms = table[known[0]] if known else (Auth.PASSWORD, ())
    username = _fill(_text(element, "username"), address) or None
    if username == address:
        username = None
    if username is not None and not username.isprintable():
        return None, f"{what} {host} left out: the username holds control characters"
    leave, days = _pop3(element) if protocol is Protocol.POP3 else (None, None)
    server = Candidate(protocol, host.lower(), int(port), _SOCKETS[socket], auth, username, mechanisms)
    return server._replace(leave_on_server=leave, leave_days=days), None


#: Thunderbird's sanitize.boolean: these two words, nothing else
_BOOLEANS = {"true": True, "false": False}


def _pop3(element: Element) -> tuple[bool | None, int | None]:
    """What ``<pop3>`` says of leaving mail on the server (``leaveMessagesOnServer``, and
    ``daysToLeaveMessagesOnServer`` unless mail is not left); None where it says nothing usable."""
    pop3 = element.find("pop3")
    if pop3 is None:
        return None, None
    leave = _BOOLEANS.get(_text(pop3, "leaveMessagesOnServer"))
    days = _text(pop3, "daysToLeaveMessagesOnServer")
    usable = days.isascii() and days.isdigit() and len(days) <= 4 and 1 <= int(days) <= 3650  # the schema's range
    return leave, int(days) if usable and leave is not False else None
