r"""``mailconf import --from autoconfig config-v1.1.xml`` reads a Thunderbird autoconfig file
(clientConfig 1.1, as providers publish it and the ISPDB holds it): one account per
``emailProvider``, from its first ``incomingServer`` and first ``outgoingServer`` (the others are
alternatives, named in a comment).

| config-v1.1.xml | account file |
|---|---|
| ``emailProvider id``, first ``domain`` that names a domain (lower-cased, a final ``.`` dropped; none left: the
  provider is skipped) | the account name (the id as Thunderbird reads it: trimmed, lower-cased, a final ``.``
  dropped; the domain when the id is a placeholder or an IP address), the address's domain |
| ``incomingServer type="imap"``/``"pop3"``, ``outgoingServer type="smtp"`` | ``incoming``, ``outgoing`` |
| ``hostname``, ``port`` | ``host`` (trimmed, lower-cased, a final ``.`` dropped), ``port`` (none: the protocol's
  usual port for the security) |
| ``socketType`` SSL / STARTTLS / plain | ``security: tls`` / ``starttls`` / ``none`` |
| the first ``authentication`` of password-cleartext (plain), password-encrypted (secure) / OAuth2 / GSSAPI /
  NTLM / TLS-client-cert / none, and for an outgoing server client-IP-address and smtp-after-pop | ``auth:
  password`` (``mechanisms: [cram-md5]`` for password-encrypted) / ``oauth2`` / ``gssapi`` / ``ntlm`` /
  ``client-cert`` / ``none`` (``none`` too: the provider relays without a login) |
| ``username`` ``%EMAILADDRESS%`` / other | no ``username`` (the address) / that name, trimmed, with
  ``%EMAILADDRESS%``, ``%EMAILLOCALPART%`` and ``%EMAILDOMAIN%`` replaced wherever they are (``hostname`` too), as
  Thunderbird does (see below for the trimming) |
| ``password`` | never copied: a comment and a warning ask for a ``password_command`` |
| ``pop3/leaveMessagesOnServer``, ``daysToLeaveMessagesOnServer`` | ``leave_on_server`` (``true``/``false`` in
  any case; an empty element is true), ``leave_days`` (1-3650, unless mail is not left) |

Each server element is read by the reader ``mailconf discover`` uses too (``mailconf/clientconfig.py``), as
Thunderbird 153's readFromXML reads it, and a server left out is said in the same words. A server with no
``socketType``, or none of these (``TLS1.2``, ``ssl3``, and ``ssl``, ``TLS`` or `` SSL ``: Thunderbird matches the
values exactly, case and white space included, as the specification spells them; ``authentication`` too), is left out
with a warning, as Thunderbird leaves it out ("need proper <socketType> in XML"); the next server of its kind, if any,
is imported instead: reading it as ``security: none`` would send the password in the clear. So is a server with no
``authentication`` mailconf knows (an unknown one is skipped for the next, as Thunderbird skips it; it is not guessed to
be a password), a server with no ``hostname`` or one that is not a host name (or is read as ``false`` or the number 0:
``false`` in any case, ``0``, ``0x0``) or is empty (``<hostname/>``, which Thunderbird reads as the host ``true``:
the warning says so), an outgoing server with no ``port``, and a server whose ``port`` is no number
from 1 to 65535 as JavaScript reads one (``993abc`` is 993, with a warning; ``0x3e1`` and an empty element none). An
Exchange, EWS or JMAP server is left out with a warning (Thunderbird would take it). When no server is left, the error
names the first reason. A ``leaveMessagesOnServer`` that is neither true nor false (Thunderbird then reads neither
setting), and days outside 1-3650, are left out with a warning.

A ``username`` with white space around it is trimmed, with a warning: Thunderbird logs in with it as written.
This is a choice: a tab or line break around a name (pretty-printed XML) is no user name the account file can hold,
so keeping it would leave the account out, and a login with spaces around the name fails in Thunderbird too. An
empty ``<username/>`` or a blank one, which Thunderbird reads as the user names ``true`` and ``NaN``, gives no
``username`` (the address), with a warning. One Thunderbird reads as a number or a boolean (``0012345`` logs in as
``12345``, ``FALSE`` as ``false``) is kept as written, with a warning saying so. (``import --from autodiscover``
keeps a ``LoginName`` as written.)

The ``id`` is checked first, as Thunderbird reads it (readFromXML: a host name): a provider with none, or with one
that is blank, not a host name (``../x``, ``my provider``, 300 characters) or read as ``false`` or the number 0
(``0``, ``0x10``: the attribute is read as a value), is skipped with a warning, as Thunderbird refuses the whole file
(``mailconf discover`` refuses it too).

Each ``domain`` is checked as ``mailconf discover`` checks it, as Thunderbird does: one that is blank or not a host name
(or is read as ``false`` or the number 0) is left out with a warning (Thunderbird drops it too), and a provider with
none left is skipped (Thunderbird refuses the file). A placeholder (``%EMAILDOMAIN%``), an IP address and an empty
``<domain/>`` (which Thunderbird reads as ``true``) are left out with a warning too: they name no domain the address
could be in.

An autoconfig file describes a provider, not a person: the address is ``you@DOMAIN`` and a comment
asks you to put yours. The XML is parsed with defusedxml: a file with a DTD or entities (an "entity
bomb") is refused with its line and column (exit 2), like any XML that is not well-formed, or that
declares an encoding it cannot be read in (an unknown name, or a multi-byte one such as ``Shift_JIS``: save it as
UTF-8). A file in UTF-32 is refused at 1:1 (``the XML is in UTF-32 (it starts with a UTF-32 byte-order mark), which
cannot be read``, or ``its first character is padded with zero bytes`` without a BOM), whatever its declaration
says: the XML parser reads no UTF-32, and providers write UTF-8. UTF-16 is read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from xml.etree.ElementTree import Element

from ..clientconfig import Settings, Skipped, no_domain, read_domain, read_id, read_server
from ..hostnames import is_dns_host
from ..model import Location, Protocol
from . import Imported, ReadOptions, Unreadable
from ._base import Collector, shown
from ._xml import Parsed, parse

NAME = "autoconfig"
TITLE = "Thunderbird autoconfig: a config-v1.1.xml file"


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
    provider_id = read_id(provider)  # readFromXML reads it first, and refuses the file for it
    if isinstance(provider_id, Skipped) and provider_id.thunderbird:
        named = "" if provider.get("id") is None else f" {shown(provider.get('id'), quotes=True)}"
        found.warn(parsed.at(provider), f"emailProvider{named}: {provider_id.why}; skipped")
        return
    domain = _domain(parsed, provider, found)
    if domain is None:
        return
    address = f"you@{domain}"
    account: dict[str, Any] = {"address": address}
    display = provider.findtext("displayName")
    notes: list[tuple[str, str]] = []
    passwords: list[tuple[str, Element]] = []  # Thunderbird stores a <password> it is given: never copied here
    for side, tag in (("incoming", "incomingServer"), ("outgoing", "outgoingServer")):
        usable: list[tuple[Element, Settings]] = []
        for server in provider.findall(tag):
            read = read_server(server, address)
            if isinstance(read, Skipped):
                also = "; Thunderbird leaves such a server out too" if read.thunderbird else ""
                found.warn(parsed.at(server), f"{read}{also}")
                continue
            usable.append((server, read))
        if not usable:
            continue
        element, chosen = usable[0]
        account[side] = _data(chosen)
        pop3 = element.find("pop3")
        for note in chosen.dropped:  # a <pop3> setting's note at <pop3>, the port's at the server
            found.warn(parsed.at(pop3 if pop3 is not None and "MessagesOnServer" in note else element), note)
        passwords.extend((side, p) for p in element.findall("password"))
        if len(usable) > 1:
            others = shown(", ".join(f"{r.host}:{r.port}" if r.port else r.host for _, r in usable[1:]))
            notes.append((side, f"alternatives in the file, not imported: {others}"))
    if "incoming" not in account and "outgoing" not in account:
        found.warn(
            where, f"emailProvider {shown(provider.get('id'), quotes=True)}: no IMAP, POP3 or SMTP server; skipped"
        )
        return
    # an id that names no host (a placeholder, an IP address) names no account: the domain does
    name = found.add(provider_id if isinstance(provider_id, str) and is_dns_host(provider_id) else domain, account,
                     where)  # fmt: skip
    found.comment(
        ("accounts", name, "address"),
        f"an autoconfig file describes a provider ({shown(display or domain)}): put your own address here",
    )
    for side, note in notes:
        found.comment(("accounts", name, side), note)
    for side, element in passwords:
        found.literal_password(parsed.at(element), ("accounts", name, side))


def _domain(parsed: Parsed, provider: Element, found: Collector) -> str | None:
    """The provider's first domain, each left out said; None, said, when none is left (the address needs one: the
    import made up example.org once, and wrote you@%EMAILDOMAIN%)."""
    read = [(element, read_domain(element)) for element in provider.findall("domain")]
    dropped = [domain for _, domain in read if isinstance(domain, Skipped)]
    for element, skipped in read:
        if isinstance(skipped, Skipped):
            also = "; Thunderbird leaves it out too" if skipped.thunderbird else ""
            found.warn(parsed.at(element), f"{skipped}{also}")
    first = next((domain for _, domain in read if isinstance(domain, str)), None)
    if first is None:
        name = shown(provider.get("id"), quotes=True)
        found.warn(parsed.at(provider), f"emailProvider {name}: {no_domain(dropped)}; skipped")
    return first


def _data(read: Settings) -> dict[str, Any]:
    """The account file's server (an incoming one without a port is on its protocol's usual port)."""
    server: dict[str, Any] = {}
    if read.protocol is not Protocol.SMTP:
        server["protocol"] = read.protocol.value
    server["host"] = read.host
    if read.port is not None:
        server["port"] = read.port
    server["security"] = read.security.value
    server["auth"] = read.auth.value
    if read.mechanisms:
        server["mechanisms"] = list(read.mechanisms)
    if read.username is not None:
        server["username"] = read.username
    if read.leave_on_server is not None:
        server["leave_on_server"] = read.leave_on_server
    if read.leave_days is not None:
        server["leave_days"] = read.leave_days
    return server
