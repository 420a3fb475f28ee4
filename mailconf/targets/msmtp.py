"""msmtp: an ``msmtprc`` with one ``account`` block per account that has an outgoing server.

Where it goes: ``~/.msmtprc`` or ``~/.config/msmtp/config``, mode 0600 (it names your
password commands). ``mailconf render --target msmtp accounts.yaml > ~/.msmtprc``, or
``-o ~`` to write ``~/.msmtprc`` directly (an existing file that differs is kept unless
``--force``, which saves a ``.bak``). Check it with ``msmtp -a NAME --pretend`` (this
runs the password command) and send with ``msmtp -a NAME recipient``. The first account
is also msmtp's ``default`` account (unless an account is itself named ``default``).
Accounts without an ``outgoing`` server are left out.

What is written, per account: ``host``, ``port``; ``tls on`` with ``tls_starttls off``
(security ``tls``) or ``on`` (``starttls``), or ``tls off`` (``none``);
``tls_trust_file`` (``tls.ca_file``), ``tls_fingerprint`` (``tls.fingerprint``: SHA-256,
SHA-1 or MD5; a pin replaces CA trust), ``tls_certcheck off`` (``tls.verify: false``),
``tls_cert_file``/``tls_key_file`` (client certificate); ``tls_priorities`` with a
GnuTLS priority string for ``tls.min_version`` (msmtp built with GnuTLS, as in Debian,
Ubuntu and Fedora; other TLS libraries read this string differently);
``auth`` and ``user``; ``passwordeval`` runs ``password_command`` (or, for OAuth2,
``token_command``) through ``/bin/sh``; ``from`` (the address); ``timeout`` (0 is
``timeout off``).

Authentication: msmtp takes one method. ``auth: password`` without ``mechanisms`` is
``auth on`` (msmtp picks the best method the server offers, and only ones that do not
send the password in clear text when TLS is off); with ``mechanisms`` the first one is
used and the others are never tried (a gap when there are several). ``oauth2`` is
``auth xoauth2`` (``mechanisms: [oauthbearer]`` picks OAUTHBEARER); ``gssapi``, ``ntlm``,
``client-cert`` (``auth external``) and ``none`` (``auth off``) map directly.

What it cannot express (each is a warning, an error with ``--strict``):
``tls.verify_hostname: false`` (msmtp always checks the name unless a fingerprint is
pinned or checks are off), an address containing ``%U``, ``%H``, ``%C`` or ``%M`` (msmtp
substitutes these in ``from``; the ``from`` line is left out), more than one SASL
mechanism, a password or token command that the chosen ``auth`` does not use,
``auth: client-cert`` without TLS, and any line longer than msmtp's 499-byte limit
(wrap a long command in a script). The display name and organization belong to the mail
program that writes the message, not to msmtp.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

import jinja2

from ..escape import UnsafeValue
from ..escape.msmtp import msmtp_line, msmtp_quote
from ..model import Account, Auth, Model, Security, Server
from . import Gaps, Rendered, RenderedFile, gap_rules, locate_unsafe

NAME = "msmtp"
TITLE = "msmtp: ~/.msmtprc, one account block per outgoing server"
FILE_NAME = ".msmtprc"
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

#: Which command each auth runs through passwordeval.
_COMMAND_FIELD: Mapping[Auth, str] = {
    Auth.PASSWORD: "password_command",
    Auth.NTLM: "password_command",
    Auth.OAUTH2: "token_command",
}

_FROM_PATTERN = re.compile(r"%[UHCM]")


class MsmtpAccount(NamedTuple):
    """One ``account`` block, every value decided; ``None`` leaves the line out. The template quotes.

    The template unpacks it in this field order (``{% for name, host, ... in accounts %}``): keep them in step.
    """

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

CLIENT_KEY_GAP = (
    "msmtp reads a client certificate only with its private key (tls_cert_file requires tls_key_file): add "
    "tls.client_key (the certificate's own file when it holds the key too); tls_cert_file is left out"
)


def _fits(gaps: Gaps, account: Account, command: str, value: str | None, setting: str) -> str | None:
    """The value if msmtp can hold it on a ``command "value"`` line; otherwise a gap and None."""
    if value is None:
        return None
    try:
        msmtp_line(command, value)
    except UnsafeValue as exc:
        gaps.add(account, setting, f"{exc}; it is left out (wrap a long command in a script, or use a shorter path)")
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
    if server.auth is Auth.CLIENT_CERT and not encrypted:
        gaps.add(account, "outgoing.auth", "a client certificate needs TLS: set security to tls or starttls")
    client_cert = tls.client_cert if encrypted else None
    if client_cert is not None and tls.client_key is None:
        gaps.add(account, "outgoing.tls.client_cert", CLIENT_KEY_GAP)
        client_cert = None
    auth, user, passwordeval = _auth(account, server, gaps)
    from_address: str | None = account.address
    if "%" in account.address and _FROM_PATTERN.search(account.address):
        gaps.add(
            account,
            "address",
            "msmtp replaces %U, %H, %C and %M in its from command, so from is left out; send with msmtp --from=ADDRESS",
        )
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
        tls_key_file=_fits(gaps, account, "tls_key_file", tls.client_key, "outgoing.tls.client_key")
        if encrypted
        else None,
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
    used = _COMMAND_FIELD.get(auth)
    passwordeval: str | None = None
    for field, command in (("password_command", server.password_command), ("token_command", server.token_command)):
        if command is None:
            continue
        if field == used:
            passwordeval = _fits(gaps, account, "passwordeval", command, f"outgoing.{field}")
        else:
            gaps.add(
                account,
                f"outgoing.{field}",
                f"auth {auth.value} does not use it, so it is left out; "
                + ("use token_command for oauth2" if auth is Auth.OAUTH2 else "remove it or change auth"),
            )
    return method, user, passwordeval
