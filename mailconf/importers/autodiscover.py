r"""``mailconf import --from autodiscover autodiscover/alice@example.org.xml`` reads Outlook
Autodiscover (POX) responses, as a provider serves them and as ``mailconf render --target
autodiscover`` writes them: one account per file, from the ``Protocol`` elements of its
``Response/Account`` ([MS-OXDSCLI]; the ``Autodiscover`` root in
``http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006``, the ``Response`` in
``http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a``).

| Autodiscover response | account file |
|---|---|
| the file name ``ADDRESS.xml`` (``%25`` and ``%2F`` decoded, as the target writes them) | ``address``, and the
  account name (the address with ``@`` made ``-``) |
| ``User/DisplayName`` | ``display_name`` |
| the first ``Protocol`` of ``Type`` ``IMAP`` or ``POP3`` / ``SMTP`` | ``incoming`` (``protocol``) / ``outgoing``
  (the others are alternatives, named in a comment) |
| ``Server``, ``Port`` | ``host`` (read as autoconfig's ``hostname`` is, by the same check: trimmed, lower-cased, a
  final ``.`` dropped, as Thunderbird reads it; an IPv6 address is taken as it is, lower-cased, as Outlook takes it
  and the autodiscover target writes it), ``port`` (no ``Server`` or ``Port``, or a blank one, or a ``Server``
  that is not a host name or is read as ``false`` or the number 0: the ``Protocol`` is left out with a warning, as
  Thunderbird leaves it out, and the next of its kind is taken; an empty ``<Server/>`` too, which Thunderbird reads as
  the host ``true``) |
| ``Encryption`` ``SSL`` / ``TLS`` / ``None`` | ``security: tls`` / ``starttls`` (``TLS`` is Outlook's name for
  STARTTLS) / ``none`` |
| no ``Encryption`` (or ``Auto``): ``SSL`` ``off`` / ``on`` | ``security: none`` / read from the port as
  Thunderbird reads it: ``starttls`` on 143, 110, 25 and 587, else ``tls`` (a warning says so) |
| ``AuthRequired`` ``off`` / ``SPA`` ``on`` / else | ``auth: none`` / ``auth: ntlm`` (Secure Password
  Authentication is NTLM, or Kerberos that Windows negotiates) / ``auth: password`` |
| ``LoginName`` | ``username``, as written (absent: the address; blank: the ``Protocol`` is left out with a warning,
  as Thunderbird leaves it out, and the next of its kind is taken; an empty ``<LoginName/>`` too, which Thunderbird
  reads as the user name ``true``; ``0`` or ``false``, which Thunderbird reads as no value and leaves the ``Protocol``
  out for: kept, as Outlook reads it, with a warning; a number, which Thunderbird logs in with as JavaScript
  writes it, ``0012345`` as ``12345``, and ``TRUE`` (as ``true``): kept, with a warning) |

A ``Port`` that is not digits (``993abc``) leaves the account out, with a warning at its line: [MS-OXDSCLI] types
``Port`` as an integer and Outlook, the client these responses are for, could not be checked. Thunderbird's
``readAutoDiscoverXML`` differs (checked against Thunderbird 153): it takes JavaScript's ``parseInt`` of it (993),
with no range check (``-993`` and ``99999`` are taken too); the import does not follow it there.

``Encryption``, when present, overrides ``SSL`` ([MS-OXDSCLI] 2.2.4.1.1.2.6.22). A response that
redirects (``Action`` ``redirectAddr`` or ``redirectUrl``) is not followed: a warning names the
address or URL it points to. ``Protocol`` types other than IMAP, POP3 and SMTP (``EXCH``,
``EXPR``, ``WEB``: Exchange) are not imported, with a warning.

The address: a response holds no address of its own that every server writes, so it is taken
from the file name when that is an address (``autodiscover/alice@example.org.xml``, the name the
target gives each response); else from ``User/AutoDiscoverSMTPAddress`` when the response has
one; else from the first ``LoginName`` that is an address. When none is, the account is named
``autodiscover``, its address is a guess from the login and the server, and a comment and a
warning ask you to put yours. (No option names it: rename the file, or edit the result.)

What a response cannot say, an imported account does not have: no password or token command
(Outlook asks the user), no CA, pin, TLS version or timeout, no POP3 keep setting; ``--compare``
leaves those out too (the account file is compared as the responses it renders), and names each
account as the account file does, found by its address. The XML is
parsed with defusedxml: a file with a DTD or entities (an "entity bomb") is refused with its line
and column (exit 2), like XML that is not well-formed or declares an encoding it cannot be read in
(an unknown name, a multi-byte one such as ``Shift_JIS``, or UTF-32, refused as it is for ``--from autoconfig``:
UTF-16 is read), and a root element that is not an Autodiscover response.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from pathlib import PurePath
from typing import Any
from xml.etree.ElementTree import Element

from ..clientconfig import JS_SPACE, Skipped, js_text, no_value, quoted, read_host
from . import Imported, ReadOptions, Unreadable
from ._base import Collector, account_name, guess_address, is_address, shown
from ._xml import Parsed, parse

NAME = "autodiscover"
TITLE = "Outlook Autodiscover (POX): a response file (autodiscover/<address>.xml)"

#: [MS-OXDSCLI]: the response root, and the Outlook response schema of its Response element
NS_ROOT = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"
NS_RESPONSE = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
_ROOT = f"{{{NS_ROOT}}}Autodiscover"

_TYPES = {"IMAP": "imap", "POP3": "pop3", "SMTP": "smtp"}
#: Encryption (case as Outlook writes it is not guaranteed: compared lower-cased); "starttls" is not in
#: [MS-OXDSCLI] but some providers send it, meaning what it says
_ENCRYPTION = {"ssl": "tls", "tls": "starttls", "none": "none", "starttls": "starttls"}
#: the ports on which Thunderbird reads "SSL on" as STARTTLS (ExchangeAutoDiscover.sys.mjs, readAutoDiscoverXML)
_STARTTLS_PORTS = frozenset({143, 110, 25, 587})
_DECODE = re.compile(r"%(25|2F)", re.IGNORECASE)
_TOO = "; Thunderbird leaves such a server out too"


def read(paths: Sequence[str], options: ReadOptions) -> Imported:
    found = Collector()
    for path in paths:
        parsed = parse(path, "an Autodiscover response (autodiscover/ADDRESS.xml)")
        root = parsed.root
        if root.tag != _ROOT:
            raise Unreadable(
                parsed.at(root),
                f"the root element is <{shown(_local(root.tag))}>{_in(root.tag)}, not an Autodiscover response "
                f'(<Autodiscover xmlns="{NS_ROOT}">)',
                "name an Outlook Autodiscover (POX) response file",
            )
        _response(parsed, found)
    return found.result()


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _in(tag: str) -> str:
    return f" in {shown(tag[1:].partition('}')[0])}" if tag.startswith("{") else " (no namespace)"


def _account(parsed: Parsed) -> tuple[Element, Element]:
    """The Outlook Response and its Account, or Unreadable saying what the response is instead."""
    response = parsed.root.find(f"{{{NS_RESPONSE}}}Response")
    if response is None:
        error = parsed.root.find(f"{{{NS_ROOT}}}Response/{{{NS_ROOT}}}Error")
        if error is not None:
            code = (error.findtext(f"{{{NS_ROOT}}}ErrorCode") or "").strip()
            message = (error.findtext(f"{{{NS_ROOT}}}Message") or "").strip()
            said = " ".join(t for t in (code, message) if t) or "no code"
            raise Unreadable(parsed.at(error), f"the response is an error ({shown(said)})",
                             "save a response that holds the account's settings")  # fmt: skip
        raise Unreadable(
            parsed.at(parsed.root),
            f'no <Response xmlns="{NS_RESPONSE}"> (an Outlook response)',
            "save the response Outlook gets (the request's AcceptableResponseSchema is the Outlook one)",
        )
    account_x = response.find(_r("Account"))
    if account_x is None:
        raise Unreadable(parsed.at(response), "the Response has no <Account>", "save a response that holds one")
    return response, account_x


def _response(parsed: Parsed, found: Collector) -> None:
    response, account_x = _account(parsed)
    action = (account_x.findtext(_r("Action")) or "settings").strip()
    if action.lower() in ("redirectaddr", "redirecturl"):
        target = (account_x.findtext(_r("RedirectAddr")) or account_x.findtext(_r("RedirectUrl")) or "").strip()
        where = account_x.find(_r("Action"))
        found.warn(parsed.at(where if where is not None else account_x),
                   f"the response redirects ({shown(action)}) to {shown(target) or 'nothing'}: not followed; import "
                   "the response for that address instead")  # fmt: skip
    account: dict[str, Any] = {}
    display = response.findtext(f"{_r('User')}/{_r('DisplayName')}")
    if display:
        account["display_name"] = display
    sides: dict[str, list[tuple[dict[str, Any], Element]]] = {"incoming": [], "outgoing": []}
    for protocol in account_x.findall(_r("Protocol")):
        kind = (protocol.findtext(_r("Type")) or "").strip()
        if kind.upper() not in _TYPES:
            found.warn(parsed.at(protocol), f"Protocol Type {shown(kind) or '(none)'} is not imported: mailconf holds "
                       "IMAP, POP3 and SMTP servers")  # fmt: skip
            continue
        server = _server(parsed, protocol, _TYPES[kind.upper()], found)
        if server is None:
            continue
        sides["outgoing" if kind.upper() == "SMTP" else "incoming"].append((server, protocol))
    for side, servers in sides.items():
        if servers:
            account[side] = servers[0][0]
    if "incoming" not in account and "outgoing" not in account:
        found.warn(parsed.at(account_x), "no IMAP, POP3 or SMTP Protocol; nothing imported from this file")
        return
    address, how = _address(parsed, response, account)
    name = found.add("autodiscover" if how == "guess" else account_name(address), {"address": address, **account},
                     parsed.at(parsed.root))  # fmt: skip
    if how == "guess":
        found.lost(parsed.at(parsed.root), ("accounts", name, "address"),
                   f"neither the file name nor the response holds an address: {shown(address)} is a guess, put your "
                   "own address here")  # fmt: skip
    for side, servers in sides.items():
        if len(servers) > 1:
            others = ", ".join(f"{s['host']}:{s.get('port', '')}".rstrip(":") for s, _ in servers[1:])
            found.lost(parsed.at(servers[1][1]), ("accounts", name, side),
                       f"alternatives in the file, not imported: {shown(others)}")  # fmt: skip


def _r(tag: str) -> str:
    return f"{{{NS_RESPONSE}}}{tag}"


def _ipv6(given: Element | None) -> str | None:
    """A ``<Server>`` that holds only an IPv6 address: that address, in lower case; else None."""
    if given is None or len(given) or given.attrib:
        return None
    text = (given.text or "").strip(JS_SPACE)
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return None
    return text.lower()


def _server(parsed: Parsed, protocol: Element, kind: str, found: Collector) -> dict[str, Any] | None:
    """The account file's server, or None (said) where Thunderbird leaves the Protocol out for the next."""

    def text(tag: str) -> str | None:
        value = protocol.findtext(_r(tag))
        return None if value is None else value.strip()

    given = protocol.find(_r("Server"))
    # an IPv6 address as it is: Outlook takes one, the account file holds one, and mailconf's autodiscover target
    # writes one (with a gap for an incoming server, which Thunderbird cannot create an account for); else
    # InputSanitizer.hostname, as Thunderbird reads <Server> (and autoconfig's hostname)
    host = _ipv6(given) or read_host(given, None)
    if isinstance(host, Skipped):  # readAutoDiscoverXML throws, and takes the next Protocol
        why = "no <Server>" if host.why == "no hostname" else host.why
        found.warn(parsed.at(protocol if given is None else given),
                   f"{kind.upper()} Protocol left out: {why}{_TOO if host.thunderbird else ''}")  # fmt: skip
        return None
    server: dict[str, Any] = {}
    if kind != "smtp":
        server["protocol"] = kind
    server["host"] = host
    port_text = text("Port")
    if not port_text:  # readAutoDiscoverXML: InputSanitizer.integer of no <Port>, or a blank one, throws
        given = protocol.find(_r("Port"))
        said = f"{kind.upper()} {shown(host)} left out: no <Port>{_TOO}"
        found.warn(parsed.at(protocol if given is None else given), said)
        return None
    named = protocol.find(_r("LoginName"))
    refused = None if named is None else _no_login(named)
    if named is not None and refused is not None:
        found.warn(parsed.at(named), f"{kind.upper()} {shown(host)} left out: {refused}")
        return None
    if named is not None and (otherwise := _read_otherwise(named.text or "")) is not None:
        # kept: a string to [MS-OXDSCLI] and to Outlook, and what the autodiscover target writes for a login '0'
        kept = f"<LoginName> {quoted(named.text or '')} is kept as written (Outlook's user name)"
        found.warn(parsed.at(named), f"{kind.upper()} {shown(host)}: {kept}; {otherwise}")
    port = int(port_text) if _is_number(port_text) else None
    server["port"] = port if port is not None else port_text  # not a number: the schema says why
    encryption = (text("Encryption") or "").lower()
    if encryption in _ENCRYPTION:
        server["security"] = _ENCRYPTION[encryption]
    elif (text("SSL") or "on").lower() == "off":
        server["security"] = "none"
    else:
        server["security"] = "starttls" if port in _STARTTLS_PORTS else "tls"
        said = f"Encryption {text('Encryption')}" if encryption else "no Encryption"
        found.warn(
            parsed.at(protocol),
            f"{kind.upper()} {shown(host)}: {shown(said)} with SSL on does not say implicit TLS or STARTTLS: read as "
            f"{server['security']} from the port, as Thunderbird does; check it",
        )
    if (text("AuthRequired") or "on").lower() == "off":
        server["auth"] = "none"
    elif (text("SPA") or "off").lower() == "on":
        server["auth"] = "ntlm"
    else:
        server["auth"] = "password"
    if named is not None:
        server["username"] = named.text  # not stripped: a user name is taken as written
    return server


def _read_otherwise(text: str) -> str | None:
    """What Thunderbird does with a ``<LoginName>`` JXON reads as no value (``0``, ``false``) or as a number or
    boolean (``0012345``, ``TRUE``), which Outlook takes as written; None for any other."""
    if (read_as := no_value(text)) is not None:
        return f"Thunderbird reads it as {read_as} and leaves this Protocol out"
    if (login := js_text(text)) != text:
        return f"Thunderbird logs in as {quoted(login or '')}"
    return None


def _no_login(named: Element) -> str | None:
    """Why a ``<LoginName>`` leaves its Protocol out, or None: InputSanitizer.nonemptystring throws for a blank one
    (JXON's NaN), and JXON makes an empty one true, the user name 'true' to Thunderbird, which the import does not
    invent. Any other is kept as written, ``0`` and ``false`` too (Thunderbird's nonemptystring throws for what JXON
    makes of them, and it logs in as 12345 for ``0012345``: JXON's quirk, not the format's)."""
    if named.text is None and not len(named):
        return 'an empty <LoginName> (Thunderbird reads it as the user name "true")'
    if not (named.text or "").strip(JS_SPACE):
        return f"a blank <LoginName>{_TOO}"
    return None


def _is_number(text: str) -> bool:
    """ASCII digits only: str.isdigit() holds for "²", which int() refuses."""
    return text.isascii() and text.isdigit() and len(text) < 10


def _address(parsed: Parsed, response: Element, account: dict[str, Any]) -> tuple[str, str]:
    """The account's address and where it came from: "file" (its name), "response", "login" or "guess"."""
    stem = PurePath(parsed.path).name
    stem = stem[: -len(".xml")] if stem.lower().endswith(".xml") else stem
    decoded = _DECODE.sub(lambda m: "%" if m.group(1) == "25" else "/", stem)
    if is_address(decoded):
        return decoded, "file"
    smtp_address = (response.findtext(f"{_r('User')}/{_r('AutoDiscoverSMTPAddress')}") or "").strip()
    if is_address(smtp_address):
        return smtp_address, "response"
    servers = [account[side] for side in ("incoming", "outgoing") if side in account]
    for server in servers:
        if is_address(server.get("username")):
            return str(server["username"]), "login"
    first = servers[0]
    return guess_address(first.get("username"), "autodiscover", first["host"]), "guess"
