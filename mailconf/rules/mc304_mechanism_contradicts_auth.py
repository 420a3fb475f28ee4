"""A SASL mechanism in ``mechanisms`` that sends another credential than ``auth`` gives.

Condition: ``auth: oauth2`` with a password mechanism in ``mechanisms`` (``plain``,
``login``, ``scram-sha-1``, ``scram-sha-256``, ``cram-md5``, ``digest-md5``,
``ntlm``), or ``auth: password`` (or ``ntlm``, which also logs in with the password)
with an OAuth2 mechanism (``xoauth2``, ``oauthbearer``). Each such item is a finding,
at the item.

Why: ``auth`` says which secret the client holds and ``mechanisms`` how it sends it.
The clients take the mechanism: msmtp writes ``auth plain`` and mbsync ``AuthMechs
PLAIN`` with the token command as the password command, so the OAuth2 access token
is sent as a password over PLAIN (or the password as a bearer token). A server that
logs failed logins then holds a live token (or the password) in its logs, and the
login fails anyway. It is an error, and ``mailconf render`` refuses such an
account for every target (exit 1, nothing written): the targets that honour
``mechanisms`` would write the contradiction, and the others cannot know which of
the two settings is meant.

Fix: make the two agree: ``mechanisms: [xoauth2]`` or ``[oauthbearer]`` (or no
``mechanisms``) for ``auth: oauth2``; a password mechanism (``scram-sha-256``,
``plain``...) for ``auth: password``; or change ``auth`` to what the mechanism
sends. ``lint --fix`` does not fix it: which side is wrong is yours to say.

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
unintended parties).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from ..model import Auth, Model, Server, Severity
from . import Problem

ID = "MC304"
SLUG = "mechanism-contradicts-auth"
SEVERITY = Severity.ERROR
TITLE = "A SASL mechanism that sends another credential than auth gives"

_PASSWORD = "a password"
_TOKEN = "an OAuth2 access token"

#: What each mechanism sends.
_SENDS: Mapping[str, str] = {
    **dict.fromkeys(("plain", "login", "scram-sha-1", "scram-sha-256", "cram-md5", "digest-md5", "ntlm"), _PASSWORD),
    **dict.fromkeys(("xoauth2", "oauthbearer"), _TOKEN),
}
#: What each auth gives the client to send, and the mechanisms that send it (for the fix).
_GIVES: Mapping[Auth, tuple[str, str]] = {
    Auth.PASSWORD: (_PASSWORD, "a password mechanism (scram-sha-256, plain, login...)"),
    Auth.NTLM: (_PASSWORD, "ntlm"),
    Auth.OAUTH2: (_TOKEN, "xoauth2 or oauthbearer"),
}
#: The auth that gives what a mechanism sends (the other way to agree).
_AUTH_FOR = {_PASSWORD: "password", _TOKEN: "oauth2"}


def contradictions(server: Server) -> Iterator[tuple[int, str]]:
    """(index in ``mechanisms``, why) of every mechanism that sends another credential than the server's auth.

    Render refuses what this finds (``mailconf.render.common_gaps``): one decision for lint and render.
    """
    gives = _GIVES.get(server.auth)
    if gives is None:
        return
    given, mechanisms = gives
    auth = f"auth: {server.auth.value}" + ("" if server.declared("auth") else " (the default)")
    for index, mechanism in enumerate(server.mechanisms):
        sends = _SENDS.get(mechanism)
        if sends is None or sends == given:
            continue
        as_what = "the token" if given is _TOKEN else "the password"
        yield (
            index,
            f"{mechanism.upper()} sends {sends} but {auth} gives {given}: {as_what} would be sent as "
            f"{sends}; name {mechanisms}, or set auth: {_AUTH_FOR[sends]}",
        )


def check(model: Model) -> Iterator[Problem]:
    for _account, server in model.servers():
        for index, message in contradictions(server):
            yield Problem((*server.where("mechanisms"), index), message)
