"""A SASL mechanism in ``mechanisms`` that logs in with another credential than ``auth`` gives.

Condition: an item of ``mechanisms`` that contradicts ``auth``. Each mechanism logs in
with one credential: a password (``plain``, ``login``, ``scram-sha-1``,
``scram-sha-256``, ``cram-md5``, ``digest-md5``, ``ntlm``), an OAuth2 access token
(``xoauth2``, ``oauthbearer``), a Kerberos ticket (``gssapi``) or the TLS client
certificate (``external``); ``auth`` gives one (``password`` and ``ntlm`` a password,
``oauth2`` a token, ``gssapi`` a ticket, ``client-cert`` the certificate, ``none``
nothing). An item contradicts ``auth`` when:

- it sends a password or a token that ``auth`` does not give: ``auth: oauth2`` with
  ``[plain]`` (the token would be sent as a password), ``auth: password`` with
  ``[xoauth2]`` (the password as a token), ``auth: gssapi``, ``client-cert`` or
  ``none`` with ``[plain]`` (there is no password: the client asks for one or fails);
- ``auth: none`` (no login) and any mechanism;
- it logs in with a ticket or the certificate while ``auth`` gives something else,
  and no item of the list uses what ``auth`` gives: ``auth: oauth2`` with
  ``[external]``, ``auth: password`` with ``[gssapi]``. Listed next to a mechanism
  that agrees with ``auth`` it is a fallback that sends no secret of the file
  (``auth: password`` with ``[gssapi, plain]``: Kerberos first, else the password),
  and it is not reported.

Each such item is a finding, at the item.

Why: ``auth`` says which credential the client holds and ``mechanisms`` how it logs
in. The clients that honour ``mechanisms`` take the mechanism: msmtp writes ``auth
plain`` and mbsync ``AuthMechs PLAIN`` with the token command as the password
command, so the OAuth2 access token is sent as a password over PLAIN (or the
password as a bearer token). A server that logs failed logins then holds a live
token (or the password) in its logs, and the login fails anyway. Without the
credential the mechanism needs, msmtp writes ``auth plain`` with no password, so it
asks for one on a terminal and fails in a cron job; and the targets that ignore
``mechanisms`` (Thunderbird, Outlook, the published documents) log in as ``auth``
says while msmtp and mbsync log in otherwise. It is an error, and ``mailconf render``
refuses such an account for every target (exit 1, nothing written): the targets
that honour ``mechanisms`` would write the contradiction, and the others cannot know
which of the two settings is meant.

Fix: make the two agree: ``mechanisms: [xoauth2]`` or ``[oauthbearer]`` (or no
``mechanisms``) for ``auth: oauth2``; a password mechanism (``scram-sha-256``,
``plain``...) for ``auth: password``; ``[gssapi]`` for ``auth: gssapi``,
``[external]`` for ``auth: client-cert``, no ``mechanisms`` for ``auth: none``; or
change ``auth`` to what the mechanism uses. ``lint --fix`` does not fix it: which
side is wrong is yours to say.

This rule has the next free authentication id: MC301-MC303 say whether a login is
weak, incomplete or refused by the provider; this one says whether the two settings
of one login agree.

Failing::

    incoming: {protocol: imap, host: imap.example.com, auth: oauth2,
               token_command: oama access alice@example.com, mechanisms: [plain]}
Passing::

    incoming: {protocol: imap, host: imap.example.com, auth: oauth2,
               token_command: oama access alice@example.com, mechanisms: [xoauth2]}

Reference: RFC 4616 (PLAIN carries a password); RFC 7628 (OAUTHBEARER carries
an OAuth 2.0 bearer token); RFC 6750 section 5.3 (a bearer token must not leak to
unintended parties); RFC 4422 appendix A (EXTERNAL: the credential comes from
outside SASL, here TLS).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from ..model import Auth, Model, Server, Severity
from . import Problem

ID = "MC304"
SLUG = "mechanism-contradicts-auth"
SEVERITY = Severity.ERROR
TITLE = "A SASL mechanism that logs in with another credential than auth gives"

_PASSWORD = "a password"
_TOKEN = "an OAuth2 access token"
_TICKET = "a Kerberos ticket"
_CERTIFICATE = "a TLS client certificate"
#: The credentials the file's commands give, which a mechanism sends to the server: by their short names.
_SECRETS: Mapping[str, str] = {_PASSWORD: "password", _TOKEN: "token"}

#: What each mechanism logs in with.
_USES: Mapping[str, str] = {
    **dict.fromkeys(("plain", "login", "scram-sha-1", "scram-sha-256", "cram-md5", "digest-md5", "ntlm"), _PASSWORD),
    **dict.fromkeys(("xoauth2", "oauthbearer"), _TOKEN),
    "gssapi": _TICKET,
    "external": _CERTIFICATE,
}
#: What each auth gives the client to log in with, and the mechanisms that use it (for the fix); none: nothing.
_GIVES: Mapping[Auth, tuple[str, str]] = {
    Auth.PASSWORD: (_PASSWORD, "name a password mechanism (scram-sha-256, plain, login...)"),
    Auth.NTLM: (_PASSWORD, "name ntlm"),
    Auth.OAUTH2: (_TOKEN, "name xoauth2 or oauthbearer"),
    Auth.GSSAPI: (_TICKET, "name gssapi"),
    Auth.CLIENT_CERT: (_CERTIFICATE, "name external"),
    Auth.NONE: ("", "remove mechanisms"),
}
#: The auth that gives what a mechanism uses (the other way to agree).
_AUTH_FOR: Mapping[str, str] = {_PASSWORD: "password", _TOKEN: "oauth2", _TICKET: "gssapi", _CERTIFICATE: "client-cert"}


def agrees(auth: Auth, mechanism: str) -> bool:
    """Does ``mechanism`` log in with the credential ``auth`` gives? (``auth: none`` gives none: never.)"""
    given = _GIVES[auth][0]
    return bool(given) and _USES.get(mechanism) == given


def contradictions(server: Server) -> Iterator[tuple[int, str]]:
    """(index in ``mechanisms``, why) of every mechanism that contradicts the server's auth (the module's doc).

    Render refuses what this finds (``mailconf.render.common_gaps``): one decision for lint and render.
    """
    if not server.mechanisms:
        return  # nearly every server: nothing to contradict, and no words made for it (lint of 10,000 accounts)
    given, agree = _GIVES[server.auth]
    auth = f"auth: {server.auth.value}" + ("" if server.declared("auth") else " (the default)")
    gives = f"{auth} gives {given}" if given else f"{auth} does not log in"
    # a mechanism that sends no secret of the file is a harmless fallback when another one uses what auth gives
    used = any(_USES.get(m) == given for m in server.mechanisms)
    for index, mechanism in enumerate(server.mechanisms):
        uses = _USES.get(mechanism)
        if uses is None or uses == given or (uses not in _SECRETS and used):
            continue
        name = mechanism.upper()
        if uses in _SECRETS and given in _SECRETS:
            what = f"{name} sends {uses} but {gives}: the {_SECRETS[given]} would be sent as {uses}"
        elif uses in _SECRETS:
            what = f"{name} sends {uses} but {gives}: the client would ask for {uses} or fail"
        elif given:
            what = (
                f"{name} logs in with {uses} but {gives}, which no mechanism listed uses: the clients that honour "
                f"mechanisms would log in with {uses}, the others as auth says"
            )
        else:
            what = f"{name} logs in with {uses} but {gives}"
        yield index, f"{what}; {agree}, or set auth: {_AUTH_FOR[uses]}"


def check(model: Model) -> Iterator[Problem]:
    for _account, server in model.servers():
        for index, message in contradictions(server):
            yield Problem((*server.where("mechanisms"), index), message)
