r"""``mailconf render --target msmtp accounts.yaml`` writes an msmtp configuration: one
``account`` block per account that has an ``outgoing:`` server (accounts with only an
incoming server are left out), then ``account default : FIRST``.

Where the file goes, how to apply it
------------------------------------

- ``~/.msmtprc`` (or ``~/.config/msmtp/config``), mode 0600.
- ``mailconf render -t msmtp accounts.yaml > ~/.msmtprc && chmod 600 ~/.msmtprc``, or
  ``mailconf render -t msmtp accounts.yaml -o ~`` to write ``~/.msmtprc`` directly (0600,
  atomically; an existing file that differs is kept unless ``--force``, which saves ``.msmtprc.bak``).
- Check: ``msmtp -a NAME --pretend`` prints what msmtp read. It **runs** ``passwordeval``.
- Send: ``msmtp -a NAME recipient@example.org < message``, or set ``sendmail = msmtp -a NAME``
  in your mail program. Without ``-a``, msmtp uses the first account. An account that is
  itself named ``default`` is msmtp's default instead.

What it writes
--------------

| YAML | msmtprc |
|---|---|
| ``host``, ``port`` | ``host "…"``, ``port N`` |
| ``security: tls`` / ``starttls`` / ``none`` | ``tls on`` + ``tls_starttls off`` / ``tls on`` + ``tls_starttls
  on`` / ``tls off`` |
| ``tls.ca_file`` | ``tls_trust_file "…"`` |
| ``tls.fingerprint`` (sha256, sha1, md5) | ``tls_fingerprint AB:…`` (a pin replaces CA trust) |
| ``tls.verify: false`` | ``tls_certcheck off`` |
| ``tls.min_version`` | ``tls_priorities "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"`` (GnuTLS syntax) |
| ``tls.client_cert`` / ``client_key`` | ``tls_cert_file`` / ``tls_key_file`` |
| ``auth: password`` | ``auth on`` (msmtp chooses; never a clear-text method without TLS), or the first of
  ``mechanisms`` |
| ``auth: oauth2`` | ``auth xoauth2`` (or ``oauthbearer`` if ``mechanisms`` names it first), ``passwordeval``
  runs ``token_command`` |
| ``auth: gssapi`` / ``ntlm`` / ``client-cert`` / ``none`` | ``auth gssapi`` / ``auth ntlm`` / ``auth external``
  / ``auth off`` |
| ``username`` | ``user "…"`` (not written for ``none``, nor for ``client-cert`` unless declared) |
| ``password_command`` | ``passwordeval "…"`` (run by ``/bin/sh``, as the schema says) |
| ``address`` | ``from "…"`` |
| ``timeout`` | ``timeout N``; ``0`` is ``timeout off`` |

msmtp has no escapes: the argument is the rest of the line with one outer pair of quotes
removed. Every value is written in quotes; control characters (line breaks, NUL) are
refused (the schema already forbids them), so no value can start a new command such as
``eval``. msmtp reads lines of at most 499 bytes.

What it cannot express (a warning each; ``--strict`` makes them errors)
-----------------------------------------------------------------------

- ``mechanisms`` with more than one entry: msmtp takes one method; the first is written.
- ``tls.verify_hostname: false`` without a pin or ``verify: false``: msmtp always checks the name.
- A ``host`` with a trailing dot (``smtp.example.org.``) without a pin or ``verify: false``:
  msmtp (GnuTLS) compares the certificate's names with the host as written, dot included,
  so sending fails (``The name in the certificate does not match the expected``). An IP
  address as the ``host`` is no gap: msmtp matches it against the certificate's IP addresses.
- An ``address`` containing ``%U``, ``%H``, ``%C`` or ``%M``: msmtp substitutes these in ``from``,
  with no escape; ``from`` is left out (send with ``--from``).
- An ``address`` containing ``?``, ``*`` or ``[`` (valid in an address): msmtp reads such a ``from`` as a
  wildcard pattern that picks the account for every address it matches (``?@example.org`` for
  ``a@example.org`` with ``--from`` or ``--read-envelope-from``), with no escape; ``from`` is left out.
- A ``password_command``/``token_command`` that the chosen ``auth`` does not use (lint: MC305).
  A ``token_command`` alone under ``auth: password`` leaves ``auth on`` with no ``passwordeval``: msmtp asks for
  the password.
- ``auth: client-cert`` with ``security: none`` (a client certificate needs TLS).
- ``tls.client_cert`` without ``tls.client_key``: msmtp reads a client certificate only with its key and
  rejects the whole file otherwise (``tls_cert_file requires tls_key_file``), so the certificate is left
  out. When one PEM file holds both, name it in both settings.
- ``tls.client_key`` without ``tls.client_cert``: likewise, msmtp rejects the whole file (``tls_key_file requires
  tls_cert_file``), so the key is left out.
- ``auth: oauth2`` without ``token_command``: msmtp would have no token to send (lint: MC302).
- A value whose line would exceed 499 bytes: left out (put a long command in a script; give a long
  ``username`` or ``address`` on the command line, ``msmtp --user=NAME --from=ADDRESS``).
- Not msmtp's business, so not gaps: incoming servers, ``display_name``, ``organization``
  (the mail program writes the From header).
- ``tls.min_version`` is written for GnuTLS builds (Debian, Ubuntu, Fedora, Arch). msmtp
  built with libtls or OpenSSL reads ``tls_priorities`` differently.

How it is tested
----------------

``tests/targets/test_msmtp.py`` reads every rendered file back with msmtp 1.8.23
(``msmtp --pretend``, which runs ``passwordeval``: every command in the tests is a harmless
``printf``): every security x auth combination, the TLS settings, one mechanism, several
accounts and the default, every gap's exact text, and a hypothesis test with hostile values
that reads back exactly the declared values and no extra command. Against an SMTP server the
test starts, the TLS settings take effect (a CA file, a pin, a wrong pin, ``verify: false``,
a minimum TLS version) and a message goes through authenticated as the declared user.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

import jinja2

from ..escape import UnsafeValue
from ..escape.msmtp import msmtp_line, msmtp_quote
from ..model import CREDENTIAL_COMMAND, Account, Auth, Model, Security, Server
from . import Gaps, OwnFile, Rendered, RenderedFile, gap_rules, locate_unsafe, unused_command

NAME = "msmtp"
TITLE = "msmtp: ~/.msmtprc, one account block per outgoing server"
FILE_NAME = ".msmtprc"
#: Its one file, written whenever the target writes anything: left over when it has no account to write.
OWN_FILES: tuple[OwnFile, ...] = (OwnFile(FILE_NAME, b"configuration written by mailconf (target msmtp)."),)
OPTIONS: Mapping[str, str] = {}

CAPABILITIES: Mapping[str, str] = {
    "imap": "no: msmtp only sends (use the fetchmail, mutt or neomutt target to read mail)",
    "pop3": "no: msmtp only sends",
    "smtp": "yes",
    "security: tls": "yes: tls on, tls_starttls off",
    "security: starttls": "yes: tls on, tls_starttls on",
    "security: none": "yes: tls off",
    "auth: password": "yes: auth on (or the first of mechanisms)",
    "auth: oauth2": "yes: auth xoauth2 (oauthbearer when mechanisms names it) with passwordeval running token_command",
    "auth: gssapi": "yes: auth gssapi",
    "auth: ntlm": "yes: auth ntlm",
    "auth: client-cert": "yes: auth external with tls_cert_file and tls_key_file",
    "password_command": "yes: passwordeval",
    "token_command": "yes: passwordeval (with auth oauth2)",
    "mechanisms": "partial: msmtp takes one method; the first is used, the others are a gap",
    "tls.ca_file": "yes: tls_trust_file",
    "tls.fingerprint": "yes: tls_fingerprint (SHA-256, SHA-1 or MD5)",
    "tls.verify: false": "yes: tls_certcheck off",
    "tls.min_version": "yes: tls_priorities as a GnuTLS priority string (msmtp built with GnuTLS)",
    "timeout": "yes: timeout (0 is timeout off)",
    "leave_on_server": "no: not an SMTP setting",
    "leave_days": "no: not an SMTP setting",
}

#: tls.min_version -> GnuTLS priority string: that version and every newer one.
_PRIORITIES: Mapping[str, str] = {
    "1.3": "NORMAL:-VERS-ALL:+VERS-TLS1.3",
    "1.2": "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
    "1.1": "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:+VERS-TLS1.1",
    "1.0": "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:+VERS-TLS1.1:+VERS-TLS1.0",
}

#: auth -> msmtp's method when no mechanism is named.
_METHODS: Mapping[Auth, str] = {
    Auth.PASSWORD: "on",
    Auth.OAUTH2: "xoauth2",
    Auth.GSSAPI: "gssapi",
    Auth.NTLM: "ntlm",
    Auth.CLIENT_CERT: "external",
    Auth.NONE: "off",
}


_FROM_PATTERN = re.compile(r"%[UHCM]")
#: msmtp reads a from holding one of these as a shell wildcard pattern (fnmatch) that picks the account for every
#: address it matches (--from, --read-envelope-from, -t): ?@example.org takes a@example.org's mail, and the import
#: reads such a from as a pattern, not as the address. There is no escape: a backslash would be sent too.
_WILDCARD = re.compile(r"[?*\[]")
WILDCARD_GAP = (
    "msmtp reads ?, * and [ in its from command as a wildcard pattern, which picks this account for every address it "
    "matches (another account's mail too), so from is left out; send with msmtp --from=ADDRESS"
)


class MsmtpAccount(NamedTuple):
    """One ``account`` block, every value decided; ``None`` leaves the line out. The template quotes."""

    name: str
    host: str
    port: int
    timeout: str | None
    tls: str
    tls_starttls: str | None
    tls_trust_file: str | None
    tls_fingerprint: str | None
    tls_certcheck: str | None
    tls_priorities: str | None
    tls_cert_file: str | None
    tls_key_file: str | None
    auth: str
    user: str | None
    passwordeval: str | None
    from_address: str | None


#: What msmtp cannot express, from CAPABILITIES (oauth2 without a token_command included).
GAP_RULES = gap_rules(CAPABILITIES)

#: GnuTLS's name check gets the host as written: a trailing dot matches no name a certificate holds.
TRAILING_DOT_GAP = (
    "msmtp checks the certificate's names against the host with its trailing dot, which no certificate holds: "
    "sending fails (The name in the certificate does not match the expected); write the host without the dot, or "
    "pin the certificate with tls.fingerprint (a pin replaces the name check)"
)
CLIENT_KEY_GAP = (
    "msmtp reads a client certificate only with its private key (tls_cert_file requires tls_key_file): add "
    "tls.client_key (the certificate's own file when it holds the key too); tls_cert_file is left out"
)

KEY_ONLY_GAP = (
    "msmtp reads a private key only with its client certificate (tls_key_file requires tls_cert_file): add "
    "tls.client_cert (the key's own file when it holds the certificate too); tls_key_file is left out"
)


#: What to do instead when a value does not fit msmtp's line, by msmtp command.
_TOO_LONG: Mapping[str, str] = {
    "passwordeval": "wrap the command in a script",
    "user": "give it on the command line: msmtp --user=NAME",
    "from": "give it on the command line: msmtp --from=ADDRESS",
}


def _fits(gaps: Gaps, account: Account, command: str, value: str | None, setting: str) -> str | None:
    """The value if msmtp can hold it on a ``command "value"`` line; otherwise a gap and None."""
    if value is None:
        return None
    try:
        msmtp_line(command, value)
    except UnsafeValue as exc:
        gaps.add(account, setting, f"{exc}; it is left out ({_TOO_LONG.get(command, 'use a shorter path')})")
        return None
    return value


def render(model: Model, env: jinja2.Environment, options: Mapping[str, str]) -> Rendered:
    gaps = Gaps()
    accounts = [_account(a, a.outgoing, gaps) for a in model.accounts if a.outgoing is not None]
    if not accounts:
        return Rendered(())
    names = [a.name for a in accounts]
    context = {"accounts": accounts, "default": None if "default" in names else names[0]}
    try:
        text = env.get_template("msmtp/msmtprc.j2").render(context)
    except UnsafeValue as exc:
        raise locate_unsafe(model.accounts, msmtp_quote, exc, ("address", "outgoing.")) from None
    return Rendered((RenderedFile(FILE_NAME, text.encode("utf-8")),), tuple(gaps.found))


def _account(account: Account, server: Server, gaps: Gaps) -> MsmtpAccount:
    gaps.unsupported(account, server, GAP_RULES)
    tls = server.tls
    security = server.security
    encrypted = security is not Security.NONE
    if encrypted and not tls.verify_hostname and tls.verify and tls.fingerprint is None:
        gaps.add(
            account,
            "outgoing.tls.verify_hostname",
            "msmtp always checks the host name against the certificate; pin the certificate with "
            "tls.fingerprint (a pin replaces the name check) or connect by the name the certificate holds",
        )
    if encrypted and tls.verify and tls.fingerprint is None and server.host.endswith("."):
        gaps.add(account, "outgoing.host", TRAILING_DOT_GAP)
    if server.auth is Auth.CLIENT_CERT and not encrypted:
        gaps.add(account, "outgoing.auth", "a client certificate needs TLS: set security to tls or starttls")
    client_cert = tls.client_cert if encrypted else None
    if client_cert is not None and tls.client_key is None:
        gaps.add(account, "outgoing.tls.client_cert", CLIENT_KEY_GAP)
        client_cert = None
    client_key = tls.client_key if encrypted else None
    if client_key is not None and tls.client_cert is None:
        gaps.add(account, "outgoing.tls.client_key", KEY_ONLY_GAP)
        client_key = None
    auth, user, passwordeval = _auth(account, server, gaps)
    from_address: str | None = account.address
    if "%" in account.address and _FROM_PATTERN.search(account.address):
        gaps.add(
            account,
            "address",
            "msmtp replaces %U, %H, %C and %M in its from command, so from is left out; send with msmtp --from=ADDRESS",
        )
        from_address = None
    elif _WILDCARD.search(account.address):
        gaps.add(account, "address", WILDCARD_GAP)
        from_address = None
    fingerprint = tls.fingerprint_hex if encrypted else None
    timeout = server.timeout
    return MsmtpAccount(
        name=account.name,
        host=server.host,
        port=server.port,
        timeout=None if timeout is None else str(timeout or "off"),
        tls="on" if encrypted else "off",
        tls_starttls=None if not encrypted else "on" if security is Security.STARTTLS else "off",
        tls_trust_file=_fits(gaps, account, "tls_trust_file", tls.ca_file, "outgoing.tls.ca_file")
        if encrypted
        else None,
        tls_fingerprint=fingerprint.upper() if fingerprint else None,
        tls_certcheck="off" if encrypted and not tls.verify else None,
        tls_priorities=_PRIORITIES[tls.min_version] if encrypted and tls.min_version else None,
        tls_cert_file=_fits(gaps, account, "tls_cert_file", client_cert, "outgoing.tls.client_cert"),
        tls_key_file=_fits(gaps, account, "tls_key_file", client_key, "outgoing.tls.client_key"),
        auth=auth,
        user=user,
        passwordeval=passwordeval,
        from_address=_fits(gaps, account, "from", from_address, "address"),
    )


def _auth(account: Account, server: Server, gaps: Gaps) -> tuple[str, str | None, str | None]:
    """(auth method, user, passwordeval command)."""
    auth = server.auth
    method = _METHODS[auth]
    if server.mechanisms:
        method = server.mechanisms[0]
        if len(server.mechanisms) > 1:
            gaps.add(
                account,
                "outgoing.mechanisms",
                f"msmtp takes one authentication method: auth {method} is written and "
                f"{', '.join(server.mechanisms[1:])} will not be tried",
            )
    user: str | None = None
    if auth is not Auth.NONE and (auth is not Auth.CLIENT_CERT or server.declared("username")):
        user = _fits(gaps, account, "user", server.username, "outgoing.username")
    used = CREDENTIAL_COMMAND.get(auth)  # run through passwordeval
    passwordeval: str | None = None
    for field, command in (("password_command", server.password_command), ("token_command", server.token_command)):
        if command is None:
            continue
        if field == used:
            passwordeval = _fits(gaps, account, "passwordeval", command, f"outgoing.{field}")
        else:
            gaps.server(account, server, field, unused_command(auth))
    return method, user, passwordeval
