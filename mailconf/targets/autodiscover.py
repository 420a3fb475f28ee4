r"""autodiscover: the Outlook Autodiscover (POX) response for each account, as a provider publishes it.

Outlook (and Thunderbird, which asks Autodiscover alongside autoconfig) POSTs a request
holding the user's address to ``https://autodiscover.DOMAIN/autodiscover/autodiscover.xml``
(or ``https://DOMAIN/autodiscover/autodiscover.xml``) and reads the mail servers from the
answer. This target writes that answer for each account of the file, from the same
linted file that renders every client's configuration.

What is written: ``autodiscover/ADDRESS.xml`` per account (``%`` and ``/`` in the address
written ``%25`` and ``%2F``), mode 0644: an ``Autodiscover`` document in the namespace
``http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006`` whose
``Response`` is in ``http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a``
([MS-OXDSCLI]), with ``User/DisplayName`` (the display name, when declared) and one
``Account`` (``AccountType`` email, ``Action`` settings) holding a ``Protocol`` per server:

- ``Type`` ``IMAP``, ``POP3`` or ``SMTP``; ``Server``; ``Port``;
- ``DomainRequired`` off and ``LoginName`` the username (written whole: no domain is added);
- ``SPA`` (Secure Password Authentication): ``on`` for auth ``ntlm`` and ``gssapi``
  (Windows negotiates NTLM or Kerberos), ``off`` otherwise;
- ``SSL`` and ``Encryption``: security ``tls`` is ``SSL on`` with ``Encryption SSL``
  (implicit TLS), ``starttls`` is ``SSL on`` with ``Encryption TLS`` (in Outlook's
  terms ``TLS`` means STARTTLS), ``none`` is ``SSL off`` with ``Encryption None``.
  ``Encryption``, when present, overrides ``SSL`` ([MS-OXDSCLI] 2.2.4.1.1.2.6.22), so both
  always say the same; a response that sends ``TLS`` for port 993 or 465 makes Outlook
  try STARTTLS on an implicit-TLS port and fail;
- ``AuthRequired`` on, or off for auth ``none``.

Where it goes (publishing): a static file cannot answer Autodiscover, because the client
POSTs its address and expects the answer for that address. ``mailconf serve FILE``
answers ``POST /autodiscover/autodiscover.xml`` (any case of the path) with exactly these
documents; put it behind the TLS virtual host of ``autodiscover.DOMAIN``. The rendered
files show what it answers, and suit a server of your own that maps each address to its
file.

What the POX format cannot say (each is a warning, an error with ``--strict``):
``auth: oauth2`` and ``auth: client-cert`` (POX has only SPA on or off: Outlook would
try a password), ``password_command`` and ``token_command`` (Outlook asks the user),
``mechanisms``, every ``tls.*`` setting other than the mode, ``timeout``, and POP3's
``leave_on_server`` / ``leave_days``. A username holding ``%EMAILADDRESS%``,
``%EMAILLOCALPART%``, ``%EMAILDOMAIN%`` or ``%REALNAME%`` is written as declared, with a
warning: Thunderbird replaces those in the login name it reads with its user's own. So is a
blank username (lint: MC712): Thunderbird, and ``import --from autodiscover``, leave a
``Protocol`` with a blank ``LoginName`` out. So is a username Thunderbird's reader (JXON)
turns into something else: ``false`` (any case), ``0`` or ``0x10`` leave the server out there,
a number is read as one (``0012345`` logs in as ``12345``, ``1e3`` as ``1000``) and ``TRUE`` as
``true`` (Outlook takes each as written). So is an
account without an incoming server (its response has the SMTP ``Protocol`` only):
Thunderbird uses no response without one (without an outgoing server it takes its user's
default SMTP server). So is an incoming host that is
an IPv6 address or ends in a number without being an IPv4 address: Thunderbird cannot
create such an account. So is a host (on either side) that Thunderbird's reader turns into a
number (``1e3`` into ``1000``, ``1.5e3`` into ``1500``: Thunderbird connects there) or into no
value (``0x10``, ``0b1``, ``false`` in any case: it leaves the server out); Outlook takes each
as written.

Values are XML-escaped (``& < > " '``); a control character, or the noncharacter U+FFFE
or U+FFFF (which XML 1.0 lacks), is refused, naming the account and the setting. So is
an address whose file name would be over the 255 bytes a file system takes (``.xml``
makes 252 characters too many; ``%`` and ``/`` are written in three, a non-ASCII letter
in two to four): ``mailconf serve`` answers it without a file. Two accounts with the
same address (``a@example.org`` and ``a@Example.ORG`` are the same) are refused too
(exit 1), naming both: each would need the one response file of that address. Tested:
Thunderbird 153's own Autodiscover reader (``readAutoDiscoverXML``, run headless) reads
back each server's type, host, port and login name, and the ``SSL``/``Encryption`` pair
is checked against the published meaning for every security mode (Thunderbird itself
guesses STARTTLS or TLS from the port and cannot tell).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import jinja2

from ..clientconfig import JS_SPACE, js_text, no_value
from ..errors import double_quoted
from ..escape import UnsafeValue
from ..escape.xml import xml_check
from ..model import Account, Auth, Model, Protocol, Security
from . import FileNames, Gaps, OwnFile, Rendered, RenderedFile, built, gap_rules, unsafe_in
from ._provider import address_file_name, has_placeholder, not_text_host_gap, tls_gaps
from ._urlhost import url_host_ok

NAME = "autodiscover"
TITLE = "Outlook Autodiscover (POX), for providers: autodiscover/<address>.xml, the response per account"
OPTIONS: Mapping[str, str] = {}
TEMPLATE = "autodiscover/autodiscover.xml.j2"
#: An address's response. The format has no header comment of mailconf's: its name (an address) in this folder and
#: the response's first element, as mailconf writes it, say it is one.
OWN_FILES: tuple[OwnFile, ...] = (
    OwnFile(
        "autodiscover/*@*.xml",
        b"",
        b'<?xml version="1.0" encoding="utf-8"?>\n<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/'
        b'responseschema/2006">',
    ),
)

#: [MS-OXDSCLI] namespaces (the response root, and the Outlook response schema of its Response element).
NS_ROOT = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"
NS_RESPONSE = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"

CAPABILITIES: Mapping[str, str] = {
    "imap": "yes: Protocol Type IMAP",
    "pop3": "yes: Protocol Type POP3",
    "smtp": "yes: Protocol Type SMTP",
    "security: tls": "yes: SSL on, Encryption SSL",
    "security: starttls": "yes: SSL on, Encryption TLS (Outlook's name for STARTTLS)",
    "security: none": "yes: SSL off, Encryption None",
    "auth: password": "yes: SPA off",
    "auth: oauth2": "no: POX has no OAuth2 (SPA on or off only)",
    "auth: gssapi": "yes: SPA on (Windows negotiates Kerberos or NTLM)",
    "auth: ntlm": "yes: SPA on",
    "auth: client-cert": "no: POX has no client certificate login",
    "password_command": "no: Outlook asks the user for the password",
    "token_command": "no: POX has no OAuth2",
    "mechanisms": "no: POX has SPA on or off only",
    "tls.ca_file": "no: POX has no CA: publish a server whose certificate clients trust",
    "tls.fingerprint": "no: POX has no certificate pin",
    "tls.verify: false": "no: POX has no way to turn certificate checks off",
    "tls.min_version": "no: POX has no TLS version setting",
    "timeout": "no: POX has no timeout",
    "leave_on_server": "no: POX has no POP3 keep setting",
    "leave_days": "no: POX has no POP3 keep setting",
}
#: tls.verify_hostname: false and a client certificate: no row of the capability table, reported all the same
HOSTNAME_GAP = "POX has no such setting: Outlook checks the host name; publish a server whose certificate holds it"
CLIENT_CERT_GAP = "POX cannot hand out a client certificate: install it on each user's machine"
GAP_RULES = gap_rules(CAPABILITIES)
#: Thunderbird replaces its placeholders in every username it finds, an Autodiscover LoginName included
#: (AccountConfig's replaceVariables, run by its account wizard on each configuration found)
PLACEHOLDER_GAP = (
    "the LoginName is written as declared, but Thunderbird, which reads Autodiscover too, replaces %EMAILADDRESS%, "
    "%EMAILLOCALPART%, %EMAILDOMAIN% and %REALNAME% in it with its user's own, and XML has no escape for them: "
    "a Thunderbird user must correct the username by hand"
)
#: a blank username (lint: MC712), written as declared: Thunderbird's readAutoDiscoverXML throws for a blank
#: LoginName (InputSanitizer.nonemptystring) and leaves the Protocol out, and so does ``import --from autodiscover``
BLANK_LOGIN_GAP = (
    "the LoginName is written as declared, blank, which logs in as nobody (lint: MC712); Thunderbird 153, which "
    "reads Autodiscover too, leaves such a server out: write the user name, or remove the key to log in with the "
    "address"
)
#: a username JXON reads as no value (clientconfig.no_value) or as a number or boolean: Outlook takes the text, but
#: Thunderbird's readAutoDiscoverXML leaves the server out, or logs in as String(what JXON made of it)
#: (clientconfig.js_text; tests/targets/test_autodiscover.py reads each case back with Thunderbird 153)
NOT_TEXT_LOGIN_GAP = (
    "the LoginName is written as declared, but Thunderbird 153, which reads Autodiscover too, reads {login} as "
    "{read_as}: {then}"
)


def not_text_login_gap(username: str, login: str | None) -> str:
    """NOT_TEXT_LOGIN_GAP for a username Thunderbird reads as ``login`` (None: as no value) instead."""
    if login is None:
        read_as, then = no_value(username), "it leaves such a server out (Outlook takes it)"
    else:
        read_as, then = (
            f"a {'number' if login != 'true' else 'boolean'} and logs in as {double_quoted(login)}",
            ("a Thunderbird user must correct the username by hand"),
        )
    return NOT_TEXT_LOGIN_GAP.format(login=double_quoted(username), read_as=read_as, then=then)


#: what readAutoDiscoverXML does with a Protocol whose Server it reads as no value (_provider.NOT_TEXT_HOST_GAP)
NOT_TEXT_HOST_LEFT_OUT = "it leaves the server out (Outlook takes it)"
#: an account without an incoming server: Thunderbird's readAutoDiscoverResponse keeps only a complete
#: configuration (AccountConfig.isComplete), else throws "Only an incomplete config found". Without an outgoing
#: server a response is complete: readAutoDiscoverXML starts from the user's default SMTP server.
NO_INCOMING_GAP = (
    "the response has no incoming server, and Thunderbird 153, which reads Autodiscover too, uses no response "
    "without one (it says: Only an incomplete config found): add the account's incoming server"
)
#: an incoming host Thunderbird cannot build its server URL from (autoconfig's and thunderbird's gap too)
URL_HOST_GAP = (
    "Outlook takes it, but Thunderbird 153, which reads Autodiscover too, cannot create an IMAP/POP3 account whose "
    "host is an IPv6 address or ends in a number without being an IPv4 address (its server URL does not parse): "
    "use a host name"
)
#: The fix for two addresses that only case or Unicode normalization tell apart (two files that are one file on
#: some file systems: FileNames); the same address twice is SAME_ADDRESS.
ANOTHER_ADDRESS = "give one of the two accounts another address, or render one of them with --account"
SAME_ADDRESS = (
    "Autodiscover answers one response per address (the domain's case aside): give each account its own address, "
    "or render one of them with --account"
)

#: security -> (SSL, Encryption): Encryption overrides SSL, so the two always agree.
ENCRYPTION: Mapping[Security, tuple[str, str]] = {
    Security.TLS: ("on", "SSL"),
    Security.STARTTLS: ("on", "TLS"),
    Security.NONE: ("off", "None"),
}
TYPE: Mapping[Protocol, str] = {Protocol.IMAP: "IMAP", Protocol.POP3: "POP3", Protocol.SMTP: "SMTP"}
_SPA = frozenset({Auth.NTLM, Auth.GSSAPI})


class PoxProtocol(NamedTuple):
    """One Protocol element, every value decided. The template escapes."""

    type: str
    server: str
    port: int
    login_name: str
    spa: str  # on | off
    ssl: str  # on | off
    encryption: str  # SSL | TLS | None
    auth_required: str  # on | off


class PoxResponse(NamedTuple):
    display_name: str | None
    protocols: tuple[PoxProtocol, ...]


def render(model: Model, env: jinja2.Environment, options: Mapping[str, str]) -> Rendered:
    """One response per account, laid out by the template's macro ``response``, fetched once and called here
    per account (one template module for the whole run: no Jinja context per file)."""
    layout = _layout(env)
    gaps = Gaps()
    files = []
    owners: dict[str, str] = {}  # address, domain in lower case -> the account that has it
    names = FileNames(ANOTHER_ADDRESS)
    for account in model.accounts:
        local, _, domain = account.address.rpartition("@")
        first = owners.setdefault(f"{local}@{domain.lower()}", account.name)
        if first != account.name:  # one response per address: the second would replace the first's file
            raise UnsafeValue(f"account {account.name}: address: account {first} has the same address; {SAME_ADDRESS}")
        account_gaps(gaps, account)
        name = names.claim(f"autodiscover/{address_file_name(account, '.xml')}", account, "address")
        files.append(RenderedFile(name, _respond(account, layout), 0o644))
    return Rendered(tuple(files), tuple(gaps.found))


def account_gaps(gaps: Gaps, account: Account) -> None:
    """What the account's response cannot say, added to ``gaps``: ``render`` and ``mailconf serve`` both report it."""
    if account.incoming is None:
        gaps.add(account, "incoming", NO_INCOMING_GAP)
    for server in account.servers:
        gaps.unsupported(account, server, GAP_RULES)
        tls_gaps(gaps, account, server, hostname=HOSTNAME_GAP, client_cert=CLIENT_CERT_GAP)
        if has_placeholder(server.username):
            gaps.server(account, server, "username", PLACEHOLDER_GAP)
        elif server.username is not None and not server.username.strip(JS_SPACE):
            gaps.server(account, server, "username", BLANK_LOGIN_GAP)
        elif server.username is not None and (login := js_text(server.username)) != server.username:
            gaps.server(account, server, "username", not_text_login_gap(server.username, login))
        not_text = not_text_host_gap(server.host, ", which reads Autodiscover too,", NOT_TEXT_HOST_LEFT_OUT)
        if not_text is not None:
            gaps.server(account, server, "host", not_text)
        elif server.side == "incoming" and not url_host_ok(server.host):
            gaps.server(account, server, "host", URL_HOST_GAP)


def decide(account: Account) -> PoxResponse:
    """Every value of the account's response. The template's xml filter refuses a text XML cannot carry
    (:func:`account_response` then names the account and the setting)."""
    protocols = []
    for server in account.servers:
        ssl, encryption = ENCRYPTION[server.security]
        auth = server.auth
        protocols.append(
            built(
                PoxProtocol,
                (
                    TYPE[server.protocol],  # type
                    server.host,  # server
                    server.port,
                    server.username,  # login_name
                    "on" if auth in _SPA else "off",  # spa
                    ssl,
                    encryption,
                    "off" if auth is Auth.NONE else "on",  # auth_required
                ),
            )
        )
    return PoxResponse(account.display_name, tuple(protocols))


def account_response(account: Account, env: jinja2.Environment | None = None) -> bytes:
    """The Autodiscover POX response for one account. Pure: no file is read or written. UnsafeValue (naming
    the account and the setting) for a value XML cannot carry."""
    if env is None:
        from ..render import environment  # here: mailconf.render imports this package

        env = environment()
    return _respond(account, _layout(env))


def _layout(env: jinja2.Environment) -> jinja2.runtime.Macro:
    """The template's macro ``response(r, ns_root, ns_response)`` (the module is built once per template)."""
    return env.get_template(TEMPLATE).module.response  # type: ignore[attr-defined, no-any-return]


def _respond(account: Account, layout: jinja2.runtime.Macro) -> bytes:
    try:
        text: str = layout(decide(account), NS_ROOT, NS_RESPONSE)
    except UnsafeValue as exc:  # the xml filter refused a text: name the first the account holds
        raise _refused(account, exc) from None
    return text.encode("utf-8")


def _refused(account: Account, refused: UnsafeValue) -> UnsafeValue:
    """The error naming the account and the first setting (each server's host and username, then the display
    name) whose value XML cannot carry. Looked up only after a refusal: a response that renders pays nothing."""
    settings = [(f"{s.side}.{n}", v) for s in account.servers for n, v in (("host", s.host), ("username", s.username))]
    for setting, value in [*settings, ("display_name", account.display_name)]:
        if value is not None:
            try:
                xml_check(value)
            except UnsafeValue as exc:
                return unsafe_in(account.name, setting, exc)
    return refused
