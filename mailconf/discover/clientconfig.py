"""Thunderbird's ``clientConfig`` XML (autoconfig and the ISPDB) -> candidate servers.

The XML is untrusted: it is parsed by defusedxml, which refuses a DTD, entities
and external references (an entity bomb never expands). Servers come out in the
file's order (its first ``incomingServer`` is the provider's preference). What each
server element means, and why one is left out, is :mod:`mailconf.clientconfig`'s
(``import --from autoconfig`` reads the same elements through it); discover adds its
own limits for a file from the network: a host that only passes for a host name
(``0x7f000001``, ``127.1``, which a resolver reads as an address) and a username with
control characters are left out too, each with a note. Its ``<domain>`` elements are read
by :func:`mailconf.clientconfig.read_domain` too: a file with none that Thunderbird keeps
is refused, as Thunderbird refuses it; so is a file whose ``<emailProvider id>`` is no host name
(:func:`mailconf.clientconfig.read_id`), which Thunderbird reads first and refuses the file for.
"""

from __future__ import annotations

import re
from typing import NamedTuple
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from ..clientconfig import Skipped, no_domain, read_domain, read_id, read_server
from ..hostnames import is_dotted_quad, looks_like_address
from ..model import default_port
from ..utf32 import utf_32
from .values import Candidate, clipped, shown


class XmlError(Exception):
    """The file is not a usable clientConfig: one line, with the line and column when the parser knows them."""


#: the start of an HTML page, which a web server that answers every URL sends with status 200 (its home page, its
#: own "not found" page): its <!DOCTYPE html> read as a refused DTD, its <br> as `mismatched tag`. A comment ends at
#: its first ``-->`` and nowhere else: written ``<!--.*?-->``, each comment could also end at any later one, and a
#: document of 40 comments that was no page was tried in 2**40 ways (the process held for hours, past any deadline)
_HTML = re.compile(
    rb"(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*)?(?:<!--(?:[^-]|-(?!->))*-->\s*)*<(?:!doctype\s+html|html)[\s>]",
    re.IGNORECASE,
)
_SNIFF = 64 * 1024
_NOT_HTML = "the document is an HTML page, not <clientConfig>"


class Parsed(NamedTuple):
    servers: tuple[Candidate, ...]
    notes: tuple[str, ...]
    domains: tuple[str, ...]  # the <domain> elements: the domains this file is for (mailconf.clientconfig.read_domain)


def parse(data: bytes, address: str) -> Parsed:
    """The servers of a clientConfig document, for ``address``."""
    root = _root(data)
    if root.tag.rpartition("}")[2].lower() == "html":  # a well-formed page (XHTML, a login form): no parse error
        raise XmlError(_NOT_HTML)
    if root.tag != "clientConfig":
        raise XmlError(f"the document is <{clipped(root.tag)}>, not <clientConfig>")
    provider = root.find("emailProvider")
    if provider is None:
        raise XmlError("no <emailProvider> in <clientConfig>")
    provider_id = read_id(provider)  # readFromXML reads it first: a file Thunderbird refuses
    if isinstance(provider_id, Skipped) and provider_id.thunderbird:
        raise XmlError(f"{provider_id.what}: {provider_id.why}")
    domains, notes = _domains(provider)
    servers: list[Candidate] = []
    for element in provider:
        if element.tag in ("incomingServer", "outgoingServer"):
            server, said = _server(element, address)
            if server is not None:
                servers.append(server)
            notes.extend(said)
    return Parsed(tuple(servers), tuple(notes), tuple(dict.fromkeys(domains)))


def _root(data: bytes) -> Element:
    """The document's root element, or XmlError saying why there is none (an HTML page is named as one)."""
    wide = utf_32(data)  # expat takes it for UTF-16, and finds it "not well-formed" at 1:2
    if wide is not None:
        raise XmlError(f"the XML is in UTF-32 ({wide}), which cannot be read; UTF-8 is expected")
    try:
        root: Element = fromstring(data, forbid_dtd=True)
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
    return root


def _domains(provider: Element) -> tuple[list[str], list[str]]:
    """The domains the file is for, and the notes on those left out; refused as Thunderbird refuses it."""
    read = [read_domain(element) for element in provider.findall("domain")]
    domains = [domain for domain in read if isinstance(domain, str)]
    dropped = [domain for domain in read if isinstance(domain, Skipped)]
    if not domains and all(skipped.thunderbird for skipped in dropped):  # a placeholder: for any domain
        raise XmlError(f"{no_domain(dropped)}{f' ({dropped[0]})' if dropped else ''}")
    return domains, [str(skipped) for skipped in dropped]


def _defused(exc: DefusedXmlException) -> str:
    name = type(exc).__name__
    return {
        "DTDForbidden": "has a DTD (<!DOCTYPE>)",
        "EntitiesForbidden": "declares an entity",
        "ExternalReferenceForbidden": "refers to an external resource",
    }.get(name, f"uses a forbidden construct ({name})")


def _reason(exc: ParseError) -> str:
    return str(exc).split(":", 1)[0]


def _server(element: Element, address: str) -> tuple[Candidate | None, tuple[str, ...]]:
    """The candidate ``element`` describes, and the notes on what was left out (the server, or part of it)."""
    read = read_server(element, address)
    if isinstance(read, Skipped):
        return None, (str(read),)
    what = f"<{element.tag} type={shown(element.get('type', ''))}>"
    if looks_like_address(read.host) and not is_dotted_quad(read.host):  # a resolver reads 0x7f000001 as 127.0.0.1
        return None, (f"{what} left out: {shown(read.host)} is not a host name",)
    if read.username is not None and not read.username.isprintable():
        return None, (f"{what} {read.host} left out: the username holds control characters",)
    port = default_port(read.protocol, read.security) if read.port is None else read.port
    server = Candidate(read.protocol, read.host, port, read.security, read.auth, read.username, read.mechanisms)
    return server._replace(leave_on_server=read.leave_on_server, leave_days=read.leave_days), read.dropped
