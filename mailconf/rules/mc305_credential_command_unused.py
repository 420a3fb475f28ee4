"""A ``password_command`` or ``token_command`` that the server's ``auth`` does not run.

Condition: each ``auth`` runs one command, or none: ``password`` and ``ntlm`` run
``password_command``, ``oauth2`` runs ``token_command``, and ``gssapi``,
``client-cert`` and ``none`` run neither (they log in with a Kerberos ticket, the
TLS client certificate, or not at all). A command that the server's ``auth`` does
not run is a finding, at the command (in the account or in ``defaults:``). An error
when ``auth`` is ``password`` (the default) or ``ntlm`` and the server has a
``token_command`` but no ``password_command``; a warning otherwise: next to the
command that ``auth`` runs, and with an ``auth`` that runs none.

Why: every target reads ``auth`` first and runs only its command, so the other one
is left out of every rendered file (render says so, once per target). Alone, a
``token_command`` under the default ``auth: password`` most likely means that
``auth: oauth2`` was forgotten: msmtp writes ``auth on`` with no ``passwordeval``,
mbsync and aerc have no password command, so each client asks for a password on a
terminal (a cron job fails) and never runs the token command; a provider that takes
OAuth2 only refuses the password anyway. It is the mirror of MC302 (``auth:
oauth2`` without a ``token_command``), hence an error like it. Next to the command
``auth`` runs, the other one is only dead: the login works, but the file says two
things, and whoever reads it may believe the wrong one.

Fix: set ``auth: oauth2`` to log in with the token; or, for a password login, give
a ``password_command`` and remove the ``token_command``; remove the command an
``auth`` runs no command for. ``lint --fix`` does not fix it: whether ``auth`` or
the command is wrong is yours to say.

This rule has the next free authentication id: MC302 says that the command ``auth``
needs is missing, MC304 that ``mechanisms`` and ``auth`` disagree; this one says
that a command and ``auth`` disagree, which MC302's condition (``auth: oauth2``)
and slug do not cover.

Failing::

    incoming: {protocol: imap, host: imap.example.com,
               token_command: oama access alice@example.com}
Passing::

    incoming: {protocol: imap, host: imap.example.com, auth: oauth2,
               token_command: oama access alice@example.com}

Reference: RFC 4616 (PLAIN carries a password); RFC 7628 (OAUTHBEARER carries an
OAuth 2.0 bearer token).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from ..model import CREDENTIAL_COMMAND, Auth, Model, Server, Severity
from . import Problem

ID = "MC305"
SLUG = "credential-command-unused"
SEVERITY = Severity.WARNING
TITLE = "A password_command or token_command that auth does not run (error if alone)"

_COMMANDS = ("password_command", "token_command")
#: What an auth that runs no command logs in with.
_RUNS_NONE: Mapping[Auth, str] = {
    Auth.GSSAPI: "logs in with a Kerberos ticket",
    Auth.CLIENT_CERT: "logs in with the TLS client certificate",
    Auth.NONE: "does not log in",
}


def _unused(server: Server, name: str, auth: str) -> tuple[str, Severity | None]:
    """The message for an unused command ``name``, and the severity when it is not the rule's default."""
    runs = CREDENTIAL_COMMAND.get(server.auth)
    if runs is None:
        return f"{auth} {_RUNS_NONE[server.auth]} and runs no command: no target runs {name}; remove it", None
    if server.credential_command is not None:
        what = "password" if runs == "password_command" else "token"
        return f"{auth} runs {runs} (the {what}), not {name}: no target runs it; remove it", None
    if server.auth is Auth.OAUTH2:  # MC302 reports the missing token_command
        return (
            f"{auth} runs token_command, not {name}: no target runs it; set auth: password to log in with it, "
            "or remove it",
            None,
        )
    return (
        f"{auth} runs password_command, not {name}, and there is no password_command: the client would ask "
        "for a password and never run this command; set auth: oauth2 to log in with the token, or replace "
        "it with a password_command",
        Severity.ERROR,
    )


def check(model: Model) -> Iterator[Problem]:
    for _account, server in model.servers():
        for name in _COMMANDS:
            command = getattr(server, name)
            # a blank command runs nothing either way: MC712 reports it
            if command is None or name == CREDENTIAL_COMMAND.get(server.auth) or not command.strip():
                continue  # nearly every server: the auth's words are made only for a finding (lint of 10,000 accounts)
            auth = f"auth: {server.auth.value}" + ("" if server.declared("auth") else " (the default)")
            message, severity = _unused(server, name, auth)
            yield Problem.at(server, name, message, severity)
