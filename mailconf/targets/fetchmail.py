r"""``mailconf render --target fetchmail accounts.yaml`` writes a fetchmail 6.4 run control
file: one entry per account that has an ``incoming:`` server, named after the account
(``poll "NAME" via "HOST"``). Accounts with only an outgoing server are left out.

Where the file goes, how to apply it
------------------------------------

- ``~/.fetchmailrc``, mode 0600 and owned by you: fetchmail refuses anything looser
  (exit 6).
- ``mailconf render -t fetchmail accounts.yaml -o ~`` writes ``~/.fetchmailrc`` directly
  (0600, atomically; an existing file that differs is kept unless ``--force``, which saves
  ``.fetchmailrc.bak``).
- Check: ``fetchmail --configdump`` or ``fetchmail -V``. Fetch: ``fetchmail`` (every entry) or
  ``fetchmail NAME`` (one account).
- Delivery (``smtphost``, ``mda``, ``is LOCALUSER here``) is not written: fetchmail's default is
  SMTP to localhost for the user running it. Add delivery options yourself if you need them.

What it writes
--------------

| YAML | .fetchmailrc |
|---|---|
| ``protocol``, ``port`` | ``proto IMAP`` / ``proto POP3``, ``service N``; IMAP also ``folder "INBOX"`` |
| ``security: tls`` | ``ssl`` + ``sslproto "auto"`` (or from ``tls.min_version``) |
| ``security: starttls`` | ``sslproto "auto"`` (or from ``min_version``) without ``ssl``: STARTTLS is mandatory
  |
| ``security: none`` | ``sslproto ""`` + ``no sslcertck`` (no TLS, no certificate to check) |
| ``tls.min_version`` 1.0 / 1.1 / 1.2 / 1.3 | ``sslproto "TLS1+"`` / ``"TLS1.1+"`` / ``"TLS1.2+"`` /
  ``"TLS1.3+"`` |
| ``tls.verify`` | ``sslcertck`` / ``no sslcertck`` |
| ``tls.ca_file`` | ``sslcertfile "…"`` |
| ``tls.fingerprint: md5:…`` | ``no sslcertck`` + ``sslfingerprint "AB:…"`` (upper case) |
| ``tls.client_cert`` / ``client_key`` | ``sslcert`` / ``sslkey`` |
| ``auth`` password / gssapi / ntlm / client-cert | ``auth password`` / ``gssapi`` / ``ntlm`` / ``external`` |
| ``mechanisms`` | one of: plain, login → ``password``; ``cram-md5``; ``ntlm``; ``gssapi``; ``external`` |
| ``username`` | ``user "…" there`` |
| ``timeout`` | ``timeout N`` |
| ``leave_on_server`` | ``keep`` / ``no keep`` (absent: fetchmail deletes after fetching) |

Quoting: values are written in ``"…"`` with ``\`` as ``\\`` and ``"`` as ``\x22``; control
characters are refused, so no value can add ``mda``, ``preconnect`` or ``plugin`` commands.

What it cannot express (a warning each; ``--strict`` makes them errors)
-----------------------------------------------------------------------

- ``password_command``: fetchmail 6.4 runs no password command. It prompts for the password,
  or reads it from ``~/.netrc`` (``machine NAME`` or ``machine HOST``). fetchmail 6.5 adds
  ``passwordfile``.
- ``auth: oauth2``, ``token_command``: no OAuth2 in 6.4. The entry is written as ``skip`` (kept,
  not polled unless named).
- ``tls.fingerprint`` sha256/sha1: 6.4 pins MD5 only. The entry keeps ``sslcertck``, also with
  ``tls.verify: false`` (the pin meant "this certificate only", never "any certificate"), so the
  connection fails closed on a self-signed certificate: pin ``md5:`` or put the server
  certificate in ``tls.ca_file``.
- ``tls.verify_hostname: false`` while certificates are checked.
- A ``host`` with a trailing dot (``imap.example.org.``), or an IP address, while
  certificates are checked: fetchmail compares the certificate's names with the host as
  written, dot included, and never with the certificate's IP addresses, so the connection
  fails (``Server CommonName mismatch``); connect by name, or pin an ``md5:`` fingerprint.
- ``leave_days``: fetchmail cannot delete after N days.
- ``timeout: 0``: fetchmail reads 0 as its default (300 s).
- ``auth: none``: fetchmail logs in (except when an IMAP server greets with PREAUTH).
- ``auth: client-cert`` with ``security: none`` (a client certificate needs TLS).
- ``mechanisms`` fetchmail lacks (SCRAM, DIGEST-MD5, XOAUTH2, OAUTHBEARER), or several methods.

Notes
-----

- fetchmail 6.4 wants the server name in the certificate's subject CN as well as in its
  subjectAltName: a certificate with SANs only fails with "Server name not specified in
  certificate!" (seen with trustme certificates; the tests issue theirs with a CN).
- fetchmail checks the name it connects to (``via``): poll ``localhost``, not ``127.0.0.1``
  (an IP SAN is not accepted), nor ``localhost.``.
- With STARTTLS (``sslproto`` without ``ssl``), fetchmail sends STLS even when the server does
  not announce it, and gives up without logging in when the server refuses (tested).

How it is tested
----------------

``fetchmail --configdump`` prints the parsed file as a Python literal. fetchmail 6.4.37
prints non-ASCII bytes there as ``\0x`` plus an uninitialised byte (different each run),
and it prints no ``auth`` for ``auth external``. The tests therefore read ASCII files with
``--configdump`` and non-ASCII values with ``fetchmail -V``, which prints them byte for byte.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import jinja2

from ..escape import UnsafeValue
from ..escape.fetchmail import fetchmail_quote
from ..model import Account, Auth, Model, Protocol, Security, Server
from . import Gaps, OwnFile, Rendered, RenderedFile, gap_rules, locate_unsafe

NAME = "fetchmail"
TITLE = "fetchmail 6.4: ~/.fetchmailrc, one poll entry per incoming server"
FILE_NAME = ".fetchmailrc"
#: Its one file, written whenever the target writes anything: left over when it has no account to write.
OWN_FILES: tuple[OwnFile, ...] = (OwnFile(FILE_NAME, b"run control file written by mailconf (target fetchmail)."),)
OPTIONS: Mapping[str, str] = {}

CAPABILITIES: Mapping[str, str] = {
    "imap": 'yes: proto IMAP, folder "INBOX"',
    "pop3": "yes: proto POP3",
    "smtp": "no: fetchmail only fetches (use the msmtp target to send)",
    "security: tls": "yes: ssl",
    "security: starttls": "yes: sslproto without ssl (the upgrade is mandatory)",
    "security: none": 'yes: sslproto ""',
    "auth: password": "yes: auth password (or from mechanisms)",
    "auth: oauth2": "no: fetchmail 6.4 has no OAuth2 (6.5 adds it); the entry is written as skip",
    "auth: gssapi": "yes: auth gssapi",
    "auth: ntlm": "yes: auth ntlm",
    "auth: client-cert": "yes: auth external with sslcert and sslkey",
    "password_command": "no: fetchmail 6.4 prompts or reads ~/.netrc (6.5 adds passwordfile)",
    "token_command": "no: no OAuth2 in fetchmail 6.4",
    "mechanisms": "partial: one of password (plain, login), cram-md5, ntlm, gssapi, external",
    "tls.ca_file": "yes: sslcertfile",
    "tls.fingerprint": "partial: md5 only (sslfingerprint); sha256 and sha1 pins are a gap",
    "tls.verify: false": "yes: no sslcertck",
    "tls.min_version": "yes: sslproto TLS1+, TLS1.1+, TLS1.2+, TLS1.3+",
    "timeout": "partial: timeout N; 0 (none) is a gap (fetchmail reads 0 as its default)",
    "leave_on_server": "yes: keep / no keep",
    "leave_days": "no: fetchmail cannot delete after N days",
}

#: What fetchmail 6.4 cannot express at all: CAPABILITIES' "no" rows, with these messages.
GAP_RULES = gap_rules(
    CAPABILITIES,
    {
        "auth: oauth2": "fetchmail 6.4 has no OAuth2: the entry is written as skip (not polled unless named); "
        "use fetchmail 6.5 or another client",
        "password_command": "fetchmail 6.4 runs no password command: it prompts for the password, or reads it "
        "from ~/.netrc (a machine line named after the account or its host); fetchmail 6.5 adds passwordfile",
        "token_command": "fetchmail 6.4 has no OAuth2; fetchmail 6.5 adds auth oauthbearer",
        "leave_days": "fetchmail cannot delete messages after some days; expire them on the server",
    },
)

#: fetchmail's own name check gets the host as written, the dot included, and reads no IP address of a certificate.
TRAILING_DOT_GAP = (
    "fetchmail checks the certificate's names against the host with its trailing dot, which no certificate holds: "
    "the connection fails (Server CommonName mismatch); write the host without the dot, or pin an md5: fingerprint "
    "(a pin replaces the name check)"
)
IP_HOST_GAP = (
    "fetchmail matches the host against the certificate's names only, never its IP addresses: the connection fails "
    "(Server CommonName mismatch); connect by name, or pin an md5: fingerprint (a pin replaces the name check)"
)

_PROTOCOLS: Mapping[Protocol, str] = {Protocol.IMAP: "IMAP", Protocol.POP3: "POP3"}

#: tls.min_version -> sslproto: that version or newer.
_SSLPROTO: Mapping[str | None, str] = {
    None: "auto",
    "1.0": "TLS1+",
    "1.1": "TLS1.1+",
    "1.2": "TLS1.2+",
    "1.3": "TLS1.3+",
}

#: auth -> fetchmail's auth keyword when no mechanism is named (None: no auth line).
_AUTH: Mapping[Auth, str | None] = {
    Auth.PASSWORD: "password",
    Auth.OAUTH2: None,
    Auth.GSSAPI: "gssapi",
    Auth.NTLM: "ntlm",
    Auth.CLIENT_CERT: "external",
    Auth.NONE: None,
}

#: SASL mechanism -> fetchmail's auth keyword; the others have none.
_MECHANISMS: Mapping[str, str] = {
    "plain": "password",
    "login": "password",
    "cram-md5": "cram-md5",
    "ntlm": "ntlm",
    "gssapi": "gssapi",
    "external": "external",
}


class FetchmailPoll(NamedTuple):
    """One entry, every value decided; ``None`` leaves it out. The template quotes."""

    keyword: str  # poll | skip
    name: str
    host: str
    proto: str
    port: int
    timeout: int | None
    auth: str | None
    user: str
    ssl: bool
    sslproto: str
    sslcertck: bool
    sslcertfile: str | None
    sslfingerprint: str | None
    sslcert: str | None
    sslkey: str | None
    keep: bool | None
    folder: str | None


def render(model: Model, env: jinja2.Environment, options: Mapping[str, str]) -> Rendered:
    gaps = Gaps()
    polls = [_poll(a, a.incoming, gaps) for a in model.accounts if a.incoming is not None]
    if not polls:
        return Rendered(())
    try:
        text = env.get_template("fetchmail/fetchmailrc.j2").render(polls=polls)
    except UnsafeValue as exc:
        raise locate_unsafe(model.accounts, fetchmail_quote, exc, ("incoming.",)) from None
    return Rendered((RenderedFile(FILE_NAME, text.encode("utf-8"), 0o600),), tuple(gaps.found))


def _poll(account: Account, server: Server, gaps: Gaps) -> FetchmailPoll:
    gaps.unsupported(account, server, GAP_RULES)
    encrypted = server.security is not Security.NONE
    tls = server.tls
    fingerprint = None
    if encrypted and tls.fingerprint_hex is not None:
        if tls.fingerprint_algorithm == "md5":
            fingerprint = tls.fingerprint_hex.upper()
        else:
            gaps.server(
                account,
                server,
                "tls.fingerprint",
                "fetchmail 6.4 pins MD5 fingerprints only; pin md5:... instead, or put the server's "
                "certificate in tls.ca_file (the certificate is checked against the CAs meanwhile)",
            )
    # A pin fetchmail cannot write (sha256, sha1) never becomes no check at all: with verify false the account
    # meant "this certificate only", so the CAs are checked instead, and a self-signed certificate fails closed.
    certck = encrypted and fingerprint is None and (tls.verify or tls.fingerprint_hex is not None)
    if certck and not tls.verify_hostname:
        gaps.server(
            account,
            server,
            "tls.verify_hostname",
            "fetchmail checks the host name whenever it checks the certificate; pin an md5: fingerprint "
            "or connect by the name the certificate holds",
        )
    if certck and server.host.endswith("."):
        gaps.server(account, server, "host", TRAILING_DOT_GAP)
    elif certck and server.is_ip_literal:
        gaps.server(account, server, "host", IP_HOST_GAP)
    if server.auth is Auth.CLIENT_CERT and not encrypted:
        gaps.server(account, server, "auth", "a client certificate needs TLS: set security to tls or starttls")
    elif server.auth is Auth.NONE:
        gaps.server(
            account, server, "auth", "fetchmail logs in to POP3 and IMAP (unless an IMAP server greets with PREAUTH)"
        )
    timeout = server.timeout
    if timeout == 0:
        gaps.server(
            account,
            server,
            "timeout",
            "fetchmail reads timeout 0 as its default (300 seconds); give a number of seconds",
        )
        timeout = None
    return FetchmailPoll(
        keyword="skip" if server.auth is Auth.OAUTH2 else "poll",
        name=account.name,
        host=server.host,
        proto=_PROTOCOLS[server.protocol],
        port=server.port,
        timeout=timeout,
        auth=_auth(account, server, gaps),
        user=server.username,
        ssl=server.security is Security.TLS,
        sslproto=_SSLPROTO[tls.min_version] if encrypted else "",
        sslcertck=certck,
        sslcertfile=tls.ca_file if encrypted else None,
        sslfingerprint=fingerprint,
        sslcert=tls.client_cert if encrypted else None,
        sslkey=tls.client_key if encrypted else None,
        keep=server.leave_on_server,
        folder="INBOX" if server.protocol is Protocol.IMAP else None,
    )


def _auth(account: Account, server: Server, gaps: Gaps) -> str | None:
    default = _AUTH[server.auth]
    if not server.mechanisms or default is None:
        return default
    methods = list(dict.fromkeys(_MECHANISMS[m] for m in server.mechanisms if m in _MECHANISMS))
    missing = [m for m in server.mechanisms if m not in _MECHANISMS]
    chosen = methods[0] if methods else default
    if missing:
        gaps.server(
            account, server, "mechanisms", f"fetchmail has no method for {', '.join(missing)}: auth {chosen} is written"
        )
    elif len(methods) > 1:
        gaps.server(
            account,
            server,
            "mechanisms",
            f"fetchmail takes one auth method: auth {chosen} is written and {', '.join(methods[1:])} will not be tried",
        )
    return chosen
