"""The host is not a valid host name.

Condition: ``host`` has a scheme prefix (``imaps://``), a port (``host:993``), a
space, a character outside letters, digits, ``-`` and ``.``, an empty label, a
label that starts or ends with ``-`` or is over 63 characters, or is over 253
characters long; or its last label is all digits while it is no IPv4 address
(``999.999.999.999``, ``1.2.3.4.5``, the shorthand ``127.1``, ``0x7f.1``): RFC 1123
section 2.1 keeps the dotted-decimal form for addresses, so no host name ends in
an all-numeric label, and resolvers read such a name as an address in forms that
differ from client to client. The schema rejects these; this rule explains the
schema error precisely. It also catches a ``host:port`` that the schema lets
through because it looks like an IPv6 address (``192.0.2.1:993``); render refuses
such a host for every target (exit 1).

A name in another script (``bücher.example``) is written in its ASCII form, as
DNS holds it; the message gives that form (``xn--bcher-kva.example``), except
where the two IDNA standards differ (``ß``, ``ς`` and the zero-width joiners):
there the registrar's form is the only safe one, and no guess is offered. A host
with ``:`` that is no IPv6 address, or an IPv6 address with a zone (``%eth0``),
which no client takes in a host setting, says so. An address in brackets
(``[2001:db8::1]``, ``[192.0.2.1]:587``), the form a URL writes it in, is given back
without them.

Why: clients either fail to resolve the name or, worse, pass it to a shell or a
config file where the extra characters mean something else.

Fix: write the bare host name (RFC 1123) or IP address; put the port in
``port:``, and leave the scheme out (``security:`` and ``protocol:`` say it).

Failing::

    incoming: {protocol: imap, host: "imaps://imap.example.com:993"}
Passing::

    incoming: {protocol: imap, host: imap.example.com, port: 993}

Reference: RFC 1123 section 2.1; RFC 1035 section 2.3.4 (size limits).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

from ..errors import ascii_escaped, double_quoted
from ..hostnames import DEVIATIONS, idna_form
from ..model import Model, Severity
from ..schema import SchemaProblem
from . import Problem

ID = "MC703"
SLUG = "invalid-hostname"
SEVERITY = Severity.ERROR
TITLE = "Host is not a valid host name (RFC 1123)"

_SCHEME = re.compile(r"\A([A-Za-z][A-Za-z0-9+.-]*)://")
_PORT = re.compile(r"\A(?P<host>[^:\s]+):(?P<port>[0-9]+)\Z")
#: an address in brackets, as a URL (or an SMTP address literal) writes it, with or without a port after it
_BRACKETED = re.compile(r"\A\[(?P<address>[^\[\]]*)\](?::(?P<port>[0-9]+))?\Z")
_BAD_CHAR = re.compile(r"[^A-Za-z0-9.-]")


def _show(text: str, *, ascii_only: bool = False) -> str:
    shown = double_quoted(text)
    if ascii_only:  # the message says the name is not ASCII: "p\u0430ypal.com" shows which letter is not
        shown = ascii_escaped(shown)  # "B\u00fccher", not backslashreplace's "B\xfccher", a byte's spelling
    return shown if len(shown) <= 60 else shown[:56] + '..."'


def diagnose(host: str) -> str | None:  # noqa: PLR0911 - one return per diagnosis
    """What is wrong with a host name, or None when it is fine."""
    if scheme := _SCHEME.match(host):
        bare = host[scheme.end() :].split("/", 1)[0]
        bracketed = _BRACKETED.match(bare)
        bare = bracketed["address"] if bracketed else bare.rsplit(":", 1)[0]
        return f"host is a URL ({scheme.group(1)}://); write the host name only: host: {_show(bare)}"
    if (bracketed := _BRACKETED.match(host)) and _is_address(bracketed["address"]):
        and_port = f" and port: {bracketed['port']}" if bracketed["port"] else ""
        address = _show(bracketed["address"])
        return f"host is an address in brackets (a URL's form); write it without them: host: {address}{and_port}"
    if bracketed and "%" in bracketed["address"] and (zoned := _zone(bracketed["address"])):
        return zoned  # [fe80::1%eth0]: the zone is what is wrong, brackets or not
    if port := _PORT.match(host):
        return f"host includes a port; write host: {_show(port['host'])} and port: {port['port']}"
    if any(c.isspace() for c in host):
        return "host contains white space; remove it"
    if len(host) > 253:
        return f"host is {len(host)} characters long; a host name has at most 253 (RFC 1123)"
    if wrong := _wrong_label(host):
        return wrong
    if ":" in host:
        return _not_ipv6(host)
    if not host.isascii():
        return _not_ascii(host)
    if bad := _BAD_CHAR.search(host):
        return f"host contains {_show(bad.group())}; a host name has only letters, digits, '-' and '.' (RFC 1123)"
    if not host:
        return "host is empty; write the server's name"
    last = host.rstrip(".").rsplit(".", 1)[-1]
    if last.isascii() and last.isdigit() and not _is_ipv4(host):
        return (
            f"host {_show(host)} is neither an IPv4 address (four numbers 0-255 without leading zeros, "
            f"like 192.0.2.1) nor a host name (its last label {_show(last)} is all digits; RFC 1123 section 2.1); "
            "write the server's name or its full address"
        )
    return None


def _wrong_label(host: str) -> str | None:
    """What is wrong with the first label that is too long, empty or starts or ends with '-'."""
    for label in host.rstrip(".").split("."):
        if len(label) > 63:
            return f"label {_show(label[:20] + '...')} is {len(label)} characters long; a label has at most 63"
        if host and not label:
            return "host has an empty label (a leading dot or two dots in a row); remove the extra dot"
        if label.startswith("-") or label.endswith("-"):
            return f"label {_show(label)} starts or ends with '-'; a label may not (RFC 1123)"
    return None


def _not_ascii(host: str) -> str:
    """A name in another script: its ASCII (Punycode) form, when the IDNA standards agree on it."""
    advice = "write the name in its ASCII form (xn--...), as the domain's registrar shows it"
    if not DEVIATIONS.intersection(host):  # IDNA 2003 (Python's codec) and IDNA 2008 disagree: no guess
        ascii_form = idna_form(host)
        if ascii_form and diagnose(ascii_form) is None:
            advice = f"write its ASCII form: host: {_show(ascii_form)}"
    return f"host {_show(host, ascii_only=True)} is not ASCII; DNS and mail clients take a host name in ASCII: {advice}"


def _not_ipv6(host: str) -> str | None:
    """A host with ':' that is neither a URL nor host:port: an IPv6 address written wrong, or with a zone; None for
    an IPv6 address a host setting takes (``::1``, ``2001:db8::25``)."""
    try:
        ipaddress.IPv6Address(host)
    except ValueError:
        return f"host {_show(host)} has ':' but is no IPv6 address; write the server's name or its full IPv6 address"
    return _zone(host)


def _zone(host: str) -> str | None:
    """What is wrong with an IPv6 address with a zone (``fe80::1%eth0``), which no host setting carries; None for
    anything else."""
    try:
        address = ipaddress.IPv6Address(host)
    except ValueError:
        return None
    if address.scope_id is None:
        return None
    return (
        f"host {_show(host)} is an IPv6 address with a zone (%{_show(address.scope_id)[1:-1]}), which a host "
        f"setting cannot carry; write a global address, or the server's name"
    )


def _is_address(text: str) -> bool:
    """An IPv4 or IPv6 address without a zone: what a host may be instead of a name."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    return not (isinstance(address, ipaddress.IPv6Address) and address.scope_id is not None)


def _is_ipv4(host: str) -> bool:
    """Four numbers 0-255 without leading zeros (the only form every client reads alike)."""
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        return False
    return True


def check(model: Model) -> Iterator[Problem]:
    for _account, server in model.servers():
        if ":" in server.host and not server.is_ip_literal:
            message = diagnose(server.host) or "host is neither a host name nor an IP address"
            yield Problem.at(server, "host", message)


def refine(problem: SchemaProblem) -> SchemaProblem | None:
    value = problem.value
    if not problem.path or problem.path[-1] != "host" or not isinstance(value, str) or "@" in value:
        return None
    message = diagnose(value)
    return problem._replace(rule=ID, message=message) if message else None
