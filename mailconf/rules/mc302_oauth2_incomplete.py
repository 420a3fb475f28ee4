"""OAuth2 is chosen but nothing provides the token.

Condition: ``auth: oauth2`` without a ``token_command``.

Why: every client mailconf renders for needs a command (or helper) that prints a
current access token; without one the rendered configuration cannot log in, or
falls back to asking for a password the provider refuses.

Fix: add ``token_command``, a command that prints a fresh access token, such as
``oama access alice@gmail.com`` or ``mutt_oauth2.py ~/.tokens/alice``.

Failing::

    incoming: {protocol: imap, host: imap.gmail.com, auth: oauth2}
Passing::

    incoming: {protocol: imap, host: imap.gmail.com, auth: oauth2,
               token_command: oama access alice@gmail.com}

Reference: RFC 7628 (SASL OAUTHBEARER); RFC 6749 (OAuth 2.0).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Auth, Model, Severity
from . import Problem

ID = "MC302"
SLUG = "oauth2-incomplete"
SEVERITY = Severity.ERROR
TITLE = "OAuth2 without a token_command"


def check(model: Model) -> Iterator[Problem]:
    for _account, server in model.servers():
        if server.auth is Auth.OAUTH2 and server.token_command is None:
            yield Problem.at(
                server,
                "auth",
                f"auth: oauth2 for {server.host} has no token_command; add one that prints an access token "
                "(e.g. oama access <address>)",
            )
