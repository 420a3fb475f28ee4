r"""autoconfig: the Thunderbird / IETF ``config-v1.1.xml`` that a mail provider publishes, one per mail domain.

This target is for the people who run a mail domain, not for one user's client: from
the same linted file that renders every client's configuration, it writes the document
mail clients fetch to set themselves up (Thunderbird, K-9 / Thunderbird for Android,
Evolution, KMail and others read it), following the autoconfig specification
(draft-ietf-mailmaint-autoconfig, the format Thunderbird calls ``config-v1.1.xml``).

What is written: ``autoconfig/DOMAIN/config-v1.1.xml`` for every mail domain of the
file (the part of each address after ``@``, lower-cased), mode 0644 (it is public). Each
holds one ``emailProvider`` (``id`` and ``domain`` are the mail domain; ``displayName``
and ``displayShortName`` are the organization of the domain's accounts when those that
name one agree, else the domain, cut to the 60 and 20 characters the specification
allows), then:

- an ``incomingServer`` (``type`` imap or pop3) for each different incoming server that
  the domain's accounts declare, and an ``outgoingServer`` (``type`` smtp) for each
  different outgoing one, with ``hostname``, ``port``, ``socketType`` (``SSL`` for
  security ``tls``, ``STARTTLS`` for ``starttls``, ``plain`` for ``none``),
  ``username`` and ``authentication``; for POP3 ``pop3`` with
  ``leaveMessagesOnServer`` and ``daysToLeaveMessagesOnServer`` when declared;
- alternatives in preference order: implicit TLS first, then STARTTLS, then plain
  (as ISPDB reviewers ask), in file order within each; a client uses the first it
  supports and offers the others as alternatives. Host names ignore case (RFC 4343):
  ``IMAP.example.org`` and ``imap.example.org`` are one server, written as the first
  account of the domain spells it, never as two alternatives.
- ``username`` is a placeholder the client fills in for each user: ``%EMAILADDRESS%``
  when every account of the domain logs in with its address on that side,
  ``%EMAILLOCALPART%`` when every one logs in with the part before ``@``. A document
  serves everyone at the domain, so it never holds one user's name;
- ``authentication``, named as the specification names it: ``password-cleartext``
  (auth ``password``; the password travels inside the TLS connection), ``OAuth2``,
  ``GSSAPI``, ``NTLM``, ``TLS-client-cert``, and ``none`` (auth ``none``: on an
  outgoing server, a relay that accepts mail without login). Thunderbird 153 skips an
  incoming server whose authentication is ``TLS-client-cert`` or ``none``, and an
  ``OAuth2`` server unless it knows the provider's OAuth2 settings (its built-in list):
  its user then gets the next alternative, or must set the account up by hand.

Where it goes (publishing): serve the file at
``https://autoconfig.DOMAIN/mail/config-v1.1.xml`` (the address clients try first) and, if
you can, at ``https://DOMAIN/.well-known/autoconfig/mail/config-v1.1.xml``, as
``text/xml`` (``application/xml``); clients append ``?emailaddress=ADDRESS``, which a
static server ignores. ``mailconf serve FILE`` answers both from the account file itself.
``mailconf render --target autoconfig accounts.yaml -o /srv/www`` writes
``/srv/www/autoconfig/DOMAIN/config-v1.1.xml``: point the ``autoconfig.DOMAIN``
virtual host's ``/mail/`` at that folder.

What one document per domain cannot say (each is a warning, an error with ``--strict``):

- accounts of one domain that declare different servers (another host, port, security
  or auth): the document lists each as an alternative, but a client takes the first for
  every user; each account whose server is not the first gets a gap, which names the
  domain, both servers and the account whose server comes first when the account has
  its warning line to itself (the accounts of many such domains share one line, without
  them). Make the domain's accounts agree, or give the differing ones their client
  configuration directly;
- a username that is neither the address nor its local part, or a domain whose accounts
  use both forms: the document says ``%EMAILADDRESS%`` and names each account whose
  username differs (its user must correct it in the client);
- everything about the client rather than the server: ``password_command`` and
  ``token_command`` (the client asks the user, or runs its own OAuth2 sign-in),
  ``mechanisms`` (autoconfig names an authentication kind, not SASL mechanisms:
  published as ``password-cleartext``), ``tls.ca_file``, ``tls.fingerprint``,
  ``tls.verify: false``, ``tls.verify_hostname: false``, ``tls.client_cert`` /
  ``client_key``, ``tls.min_version`` and ``timeout``: autoconfig has no such element; a
  published server must hold a certificate that clients trust;
- a domain none of whose accounts has an incoming server: no document is written for it
  (the specification requires an ``incomingServer``); one none of whose accounts has an
  outgoing server: its document has no ``outgoingServer``, which Thunderbird 153 refuses
  whole (other clients take the incoming server). Each account of the domain gets the gap;
- a mail domain that Thunderbird 153's reader (JXON) turns into a number or into no value
  (``a@1e3`` is read as domain ``1000``; ``a@0x10`` and ``a@false`` make it refuse the whole
  document): each account of the domain gets the gap on its ``address``;
- an ``organization`` holding ``%EMAILADDRESS%``, ``%EMAILLOCALPART%``, ``%EMAILDOMAIN%`` or
  ``%REALNAME%``: it is written as declared, but Thunderbird fills in its user's own in the
  ``displayName``, as in the usernames (the specification lets any client do so in any field);
- accounts of one domain that name different ``organization`` texts (``Acme`` and ``ACME``,
  or one written composed and one decomposed, count as different): the document's
  ``displayName`` is the domain, and each account that names one gets the gap;
- an ``organization`` longer than 60 characters: the ``displayName`` holds its first 60 (the
  ``displayShortName`` its first 20, without a gap: a short name is what it is for);
- an ``organization`` that Thunderbird 153 reads as a number or a boolean: its reader (JXON, then
  ``String()``) shows ``007`` as ``7``, `` 42 `` as ``42``, ``1e3`` as ``1000``, ``0x10`` as ``0``,
  ``TRUE`` as ``true`` and a blank one as ``NaN``; it is written as declared (other clients take
  the text), and the gap names what Thunderbird shows;
- an incoming ``host`` that is an IPv6 address or ends in a number without being an IPv4
  address (``mail.1``): it is published, but Thunderbird 153 cannot create the account
  (its server URL does not parse); publish a host name;
- a ``host`` (incoming or outgoing) that Thunderbird 153's reader (JXON) turns into a number
  or into no value: ``1e3`` is read as ``1000`` and ``1.5e3`` as ``1500`` (Thunderbird connects
  there); ``0x10``, ``0b1`` and ``false`` (any case) are no value, and Thunderbird leaves the
  server out, refusing the whole document when it was the only one of its side. Other clients
  take the text.

Values are XML-escaped (``& < > " '``); a control character, or the noncharacter U+FFFE or
U+FFFF (which XML 1.0 lacks; a YAML ``"\uFFFE"`` gives one), is refused, naming the account
and the setting. Tested: every document validates with ``xmllint --relaxng`` against
mailconf's own RELAX NG transcription of the specification's element definitions
(tests/targets/data/autoconfig.rng), and Thunderbird 153's own reader
(``readFromXML``, run headless) reads back each host, port, socket type, username and
authentication.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import jinja2

from ..clientconfig import JS_SPACE, js_string, js_text, no_value
from ..errors import double_quoted
from ..escape import UnsafeValue
from ..escape.xml import xml_check
from ..model import Account, Auth, Model, Protocol, Security, Server
from . import Gap, Gaps, OwnFile, Rendered, RenderedFile, gap_rules, unsafe_in
from ._provider import domain_of, has_placeholder, not_text_host_gap, tls_gaps
from ._urlhost import url_host_ok

NAME = "autoconfig"
TITLE = "Thunderbird / IETF autoconfig, for providers: autoconfig/<domain>/config-v1.1.xml, one per mail domain"
OPTIONS: Mapping[str, str] = {}
TEMPLATE = "autoconfig/config-v1.1.xml.j2"
FILE_NAME = "config-v1.1.xml"
#: A domain's document: its header comment says who wrote it.
OWN_FILES: tuple[OwnFile, ...] = (
    OwnFile(f"autoconfig/*/{FILE_NAME}", b"<!-- Written by mailconf (target autoconfig)"),
)

CAPABILITIES: Mapping[str, str] = {
    "imap": 'yes: incomingServer type="imap"',
    "pop3": 'yes: incomingServer type="pop3"',
    "smtp": 'yes: outgoingServer type="smtp"',
    "security: tls": "yes: socketType SSL (listed first)",
    "security: starttls": "yes: socketType STARTTLS",
    "security: none": "yes: socketType plain",
    "auth: password": "yes: authentication password-cleartext",
    "auth: oauth2": "yes: authentication OAuth2 (the client must know the provider's OAuth2 settings)",
    "auth: gssapi": "yes: authentication GSSAPI",
    "auth: ntlm": "yes: authentication NTLM",
    "auth: client-cert": "yes: authentication TLS-client-cert (Thunderbird 153 skips such an incoming server)",
    "password_command": "no: a published document holds no client command; the client asks for the password",
    "token_command": "no: a published document holds no client command; the client signs in to OAuth2 itself",
    "mechanisms": "no: autoconfig names an authentication kind, not SASL mechanisms",
    "tls.ca_file": "no: autoconfig has no CA: publish a server whose certificate clients trust",
    "tls.fingerprint": "no: autoconfig has no certificate pin",
    "tls.verify: false": "no: autoconfig has no way to turn certificate checks off",
    "tls.min_version": "no: autoconfig has no TLS version setting",
    "timeout": "no: autoconfig has no timeout",
    "leave_on_server": "yes: pop3/leaveMessagesOnServer",
    "leave_days": "yes: pop3/daysToLeaveMessagesOnServer",
}

INSTEAD: Mapping[str, str] = {
    "password_command": "the published document names the server only; each user's client asks for the password",
    "token_command": "the published document names the server only; each user's client signs in to OAuth2 itself",
    "mechanisms": "autoconfig names an authentication kind, not SASL mechanisms: published as password-cleartext",
}
#: tls.verify_hostname: false and a client certificate: no row of the capability table, reported all the same
HOSTNAME_GAP = (
    "autoconfig has no such setting: clients check the host name; publish a server whose certificate holds it"
)
CLIENT_CERT_GAP = "autoconfig cannot hand out a client certificate: install it in each user's client"
#: A domain none of whose accounts has an incoming (or an outgoing) server: Thunderbird 153's readFromXML throws
#: "Need proper <incomingServer> in XML file" (or <outgoingServer>) and uses nothing of the document.
NO_INCOMING = (
    "no account of the domain has an incoming server, which an autoconfig document must have (the specification "
    "requires one; Thunderbird refuses the document): no document is written for the domain"
)
NO_OUTGOING = (
    "no account of the domain has an outgoing server: the document has none, and Thunderbird 153 refuses such a "
    "document whole (other clients take the incoming server); add the domain's SMTP server to its accounts"
)
#: an account of a domain whose accounts declare different servers, whose server is not the domain's first: the
#: gap's detail names the domain and both servers (said when the account has the line to itself; Gap.detail)
ALTERNATIVE = (
    "its domain's document lists its server as an alternative after another account's, which clients take first "
    "for every user: make the domain's accounts agree, or configure the account directly"
)
#: an organization that becomes the displayName, holding what Thunderbird 153 fills in (AccountConfig.replaceVariables
#: replaces them in the displayName it read, as in the usernames; the specification lets any client do so anywhere)
PLACEHOLDER_GAP = (
    "it is written as the document's displayName and displayShortName, but Thunderbird replaces %EMAILADDRESS%, "
    "%EMAILLOCALPART%, %EMAILDOMAIN% and %REALNAME% in the displayName with its user's own (the specification lets "
    "any client do so in any field), and XML has no escape for them: write the organization without them"
)
#: accounts of one domain naming different organizations (texts that differ in case or Unicode normalization too)
ORGANIZATIONS_DIFFER_GAP = (
    "the domain's accounts name different organizations (texts that differ only in case or in Unicode "
    "normalization differ here too), and its one document has one displayName: the domain is written instead; "
    "give them one organization"
)
#: an organization longer than the specification's displayName: the document holds its start (DISPLAY_NAME_MAX)
CUT_GAP = (
    "the specification caps the document's displayName at 60 characters (displayShortName at 20): the document "
    "holds the organization's first 60, which clients show instead; shorten the organization"
)
#: an organization (as written, cut to DISPLAY_NAME_MAX) that Thunderbird 153's readFromXML reads as a number or a
#: boolean: JXON's parseText, then String() (clientconfig.js_string); a blank one is parseFloat's NaN
NOT_TEXT_NAME_GAP = (
    "it is written as the document's displayName, but Thunderbird 153 reads {name} as a {kind} and shows "
    "{shown}: reword the organization (with a letter, as in the provider's name)"
)
#: a mail domain (the document's id and domain) that readFromXML reads as a number or as no value: JXON, as for hosts
NOT_TEXT_DOMAIN_GAP = (
    "Thunderbird 153 reads the document's mail domain {domain} (its id and domain) as {read_as}: {then}; "
    "other clients take it as written"
)
#: what readFromXML does with a server whose host it reads as no value (_provider.NOT_TEXT_HOST_GAP)
NOT_TEXT_HOST_LEFT_OUT = "it leaves the server out, and refuses the whole document when no other is left on its side"
#: an incoming host Thunderbird cannot build its server URL from (the thunderbird target's gap, for the same reason)
URL_HOST_GAP = (
    "Thunderbird 153 cannot create an IMAP/POP3 account whose host is an IPv6 address or ends in a number without "
    "being an IPv4 address (its server URL does not parse: NS_ERROR_MALFORMED_URI): publish a host name"
)
GAP_RULES = gap_rules(CAPABILITIES, INSTEAD)

SOCKET_TYPE: Mapping[Security, str] = {Security.TLS: "SSL", Security.STARTTLS: "STARTTLS", Security.NONE: "plain"}
AUTHENTICATION: Mapping[Auth, str] = {
    Auth.PASSWORD: "password-cleartext",
    Auth.OAUTH2: "OAuth2",
    Auth.GSSAPI: "GSSAPI",
    Auth.NTLM: "NTLM",
    Auth.CLIENT_CERT: "TLS-client-cert",
    Auth.NONE: "none",
}
#: Preference order of socket types: implicit TLS first (RFC 8314), then STARTTLS, then plain.
_RANK: Mapping[Security, int] = {Security.TLS: 0, Security.STARTTLS: 1, Security.NONE: 2}

EMAILADDRESS = "%EMAILADDRESS%"
EMAILLOCALPART = "%EMAILLOCALPART%"


class AutoconfigServer(NamedTuple):
    """One incomingServer or outgoingServer element, every value decided. The template escapes."""

    type: str  # imap | pop3 | smtp
    hostname: str
    port: int
    socket_type: str
    username: str  # a placeholder
    authentication: str
    leave_on_server: bool | None  # POP3 only
    leave_days: int | None  # POP3 only


#: The longest displayName and displayShortName the specification allows (characters; draft section 3.2.4).
DISPLAY_NAME_MAX = 60
DISPLAY_SHORT_NAME_MAX = 20


class AutoconfigDomain(NamedTuple):
    domain: str
    display_name: str  # at most DISPLAY_NAME_MAX characters
    display_short_name: str  # at most DISPLAY_SHORT_NAME_MAX characters
    incoming: tuple[AutoconfigServer, ...]
    outgoing: tuple[AutoconfigServer, ...]


#: A mail domain as the schema admits it (lower-cased): it names a folder, so nothing else is written.
_DOMAIN = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*")


def render(model: Model, env: jinja2.Environment, options: Mapping[str, str]) -> Rendered:
    domains: dict[str, list[Account]] = {}
    for account in model.accounts:
        domain = domain_of(account.address)
        if not _DOMAIN.fullmatch(domain):  # the schema refuses such an address: a loader bug or a future field
            raise UnsafeValue(f"account {account.name}: address: its domain is not a DNS name, and it names a folder")
        domains.setdefault(domain, []).append(account)
    layout = _layout(env)  # fetched once: the macro is called per domain, no Jinja context per document
    files: list[RenderedFile] = []
    gaps: list[Gap] = []
    for domain, accounts in domains.items():
        content, found = _document(accounts, domain, layout)
        if content is not None:
            files.append(RenderedFile(f"autoconfig/{domain}/{FILE_NAME}", content, 0o644))
        gaps.extend(found)
    return Rendered(tuple(files), in_file_order(gaps, model.accounts))


def in_file_order(gaps: Sequence[Gap], accounts: Sequence[Account]) -> tuple[Gap, ...]:
    """The gaps found domain by domain, in the order of the accounts they name (each account's own in the order
    found), as every other target reports them: a warning shared by many accounts names the file's first ones,
    not each domain's first (``render`` and ``serve`` alike)."""
    order = {account.name: n for n, account in enumerate(accounts)}
    return tuple(sorted(gaps, key=lambda gap: order[gap.account]))


def domain_document(
    accounts: Sequence[Account], domain: str, env: jinja2.Environment | None = None
) -> tuple[bytes | None, tuple[Gap, ...]]:
    """The config-v1.1.xml of one mail domain (``accounts``: every account whose address is @``domain``),
    and what it cannot express; None for the document when no account of the domain has an incoming server
    (the gaps say so). Pure: no file is read or written. UnsafeValue (naming the account and the setting) for
    a value XML cannot carry."""
    if env is None:
        from ..render import environment  # here: mailconf.render imports this package

        env = environment()
    return _document(accounts, domain, _layout(env))


def _layout(env: jinja2.Environment) -> jinja2.runtime.Macro:
    """The template's macro ``document(d)`` (the module is built once per template)."""
    return env.get_template(TEMPLATE).module.document  # type: ignore[attr-defined, no-any-return]


def _document(
    accounts: Sequence[Account], domain: str, layout: jinja2.runtime.Macro
) -> tuple[bytes | None, tuple[Gap, ...]]:
    decided = decide(accounts, domain)
    if not decided.domain_.incoming:  # the specification requires one; Thunderbird refuses the document
        # the domain is out of reach: why, and only that (docs/render.md, left-out accounts)
        return None, tuple(g for g in decided.gaps if g.instead == NO_INCOMING)
    text: str = layout(decided.domain_)
    return text.encode("utf-8"), decided.gaps


class Decided(NamedTuple):
    domain_: AutoconfigDomain
    gaps: tuple[Gap, ...]


def decide(accounts: Sequence[Account], domain: str) -> Decided:
    """Every value of the domain's document, and its gaps (the accounts' values checked for XML)."""
    gaps = Gaps()
    domain_gap = not_text_domain_gap(domain)
    for account in accounts:
        _checked(account, "address", account.address)
        _checked(account, "organization", account.organization)
        if domain_gap is not None:
            gaps.add(account, "address", domain_gap)
        for server in account.servers:
            gaps.unsupported(account, server, GAP_RULES)
            tls_gaps(gaps, account, server, hostname=HOSTNAME_GAP, client_cert=CLIENT_CERT_GAP)
            not_text = not_text_host_gap(server.host, "", NOT_TEXT_HOST_LEFT_OUT)
            if not_text is not None:
                gaps.server(account, server, "host", not_text)
            elif server.side == "incoming" and not url_host_ok(server.host):
                gaps.server(account, server, "host", URL_HOST_GAP)
            if not server.host.isprintable():  # the setting's name is built only for a text _checked may refuse
                _checked(account, f"{server.side}.host", server.host)
    organizations = {a.organization for a in accounts if a.organization}
    organization = organizations.pop() if len(organizations) == 1 else None
    if organization is not None:  # one: the displayName (a placeholder, a cut, a text Thunderbird reads otherwise)
        organization_gaps(gaps, accounts, organization)
    elif organizations:  # two or more: each account that names one is told the domain is written instead
        for account in accounts:
            if account.organization:
                gaps.add(account, "organization", ORGANIZATIONS_DIFFER_GAP)
    incoming = _side(accounts, domain, "incoming", gaps)
    outgoing = _side(accounts, domain, "outgoing", gaps)
    if not incoming or not outgoing:  # no account of the domain has one: each is told, none is left out silently
        for account in accounts:
            gaps.add(account, "outgoing" if incoming else "incoming", NO_OUTGOING if incoming else NO_INCOMING)
    name = organization or domain
    document = AutoconfigDomain(
        domain, name[:DISPLAY_NAME_MAX], name[:DISPLAY_SHORT_NAME_MAX], incoming, outgoing
    )  # a longer name is cut: the specification caps both (it is only shown to the user)
    return Decided(document, tuple(gaps.found))


def organization_gaps(gaps: Gaps, accounts: Sequence[Account], organization: str) -> None:
    """The gaps of the organization the domain's document names (each account that declares it gets them): a
    placeholder, a cut, a displayName Thunderbird reads as another text."""
    found = []
    written = organization[:DISPLAY_NAME_MAX]
    if has_placeholder(written):  # one the cut splits is no placeholder in the document
        found.append(PLACEHOLDER_GAP)
    if len(organization) > DISPLAY_NAME_MAX:
        found.append(CUT_GAP)
    shown = thunderbird_display_name(written)
    if shown != written:
        kind = "boolean" if shown in ("true", "false") else "number"
        found.append(NOT_TEXT_NAME_GAP.format(name=double_quoted(written), kind=kind, shown=double_quoted(shown)))
    for account in accounts:
        if account.organization == organization:
            for message in found:
                gaps.add(account, "organization", message)


def not_text_domain_gap(domain: str) -> str | None:
    """NOT_TEXT_DOMAIN_GAP for a mail domain Thunderbird 153 reads (as the document's id and domain) as a number or
    as no value; None for one it reads as written."""
    read = js_text(domain)
    if read == domain:
        return None
    if read is None:
        read_as, then = f"{no_value(domain)}, which it takes for no value", "it refuses the whole document"
    else:
        read_as, then = "a number", f"the document names the domain {double_quoted(read)} instead"
    return NOT_TEXT_DOMAIN_GAP.format(domain=double_quoted(domain), read_as=read_as, then=then)


def thunderbird_display_name(name: str) -> str:
    """What Thunderbird 153 shows for a document's displayName ``name``: readFromXML takes String() of what JXON
    read (clientconfig.js_string: ``007`` is ``7``, ``1e3`` is ``1000``, ``TRUE`` is ``true``), and a blank text is
    parseFloat's ``NaN``. Checked against Thunderbird 153 by tests/targets/test_autoconfig.py."""
    return "NaN" if not name.strip(JS_SPACE) else js_string(name)


def _checked(account: Account, setting: str, value: str | None) -> None:
    if value is None or value.isprintable():  # xml_check refuses only characters str.isprintable() is False for
        return
    try:
        xml_check(value)
    except UnsafeValue as exc:
        raise unsafe_in(account.name, setting, exc) from None


def _server_of(account: Account, side: str) -> Server | None:
    return account.incoming if side == "incoming" else account.outgoing


def username_placeholder(accounts: Sequence[Account], side: str, gaps: Gaps | None = None) -> str:
    """%EMAILLOCALPART% when every account logs in with its address's local part on this side, else
    %EMAILADDRESS% (with a gap for each account whose username is not its address)."""
    pairs = [(a, s) for a in accounts if (s := _server_of(a, side)) is not None]
    if pairs and all(s.username == a.address.rpartition("@")[0] for a, s in pairs):
        return EMAILLOCALPART
    if gaps is not None:
        for account, server in pairs:
            if server.username != account.address:
                gaps.server(
                    account,
                    server,
                    "username",
                    "autoconfig serves one document to everyone at the domain, so the username is written as "
                    f"{EMAILADDRESS} (or {EMAILLOCALPART} when every account logs in with it); the username "
                    "declared is neither the account's address nor, for all the domain's accounts, the local part: "
                    "the user must correct it in the client",
                )
    return EMAILADDRESS


def _side(accounts: Sequence[Account], domain: str, side: str, gaps: Gaps) -> tuple[AutoconfigServer, ...]:
    username = username_placeholder(accounts, side, gaps)
    found: dict[AutoconfigServer, list[Account]] = {}
    spelling: dict[str, str] = {}  # host names ignore case (RFC 4343): one server, spelled as first declared
    for account in accounts:
        server = _server_of(account, side)
        if server is None:
            continue
        pop3 = server.protocol is Protocol.POP3
        element = AutoconfigServer(
            type=server.protocol.value,
            hostname=spelling.setdefault(server.host.lower(), server.host),
            port=server.port,
            socket_type=SOCKET_TYPE[server.security],
            username=username,
            authentication=AUTHENTICATION[server.auth],
            leave_on_server=server.leave_on_server if pop3 else None,
            leave_days=server.leave_days if pop3 and server.leave_on_server is not False else None,
        )
        found.setdefault(element, []).append(account)
    rank = {v: k for k, v in SOCKET_TYPE.items()}
    ordered = sorted(found, key=lambda e: _RANK[rank[e.socket_type]])  # stable: file order within a rank
    if len(ordered) > 1:
        first = ordered[0]
        named = found[first][0].name
        for element in ordered[1:]:
            for account in found[element]:
                server = _server_of(account, side)
                assert server is not None
                gaps.server(
                    account,
                    server,
                    _differing(first, element),
                    ALTERNATIVE,
                    f"{domain}: {element.type} {element.hostname}:{element.port} {element.socket_type} is listed "
                    f"after account {named}'s {first.type} {first.hostname}:{first.port} {first.socket_type}",
                )
    return tuple(ordered)


#: The setting a server element differs in, by field, in the order a gap names the first.
_SETTINGS = (
    ("type", "protocol"),
    ("hostname", "host"),
    ("port", "port"),
    ("socket_type", "security"),
    ("authentication", "auth"),
    ("leave_on_server", "leave_on_server"),
    ("leave_days", "leave_days"),
)


def _differing(first: AutoconfigServer, other: AutoconfigServer) -> str:
    return next(setting for field, setting in _SETTINGS if getattr(first, field) != getattr(other, field))
