"""A setting written with a blank value: empty, or only spaces.

Condition: ``display_name``, ``organization``, a server's ``username``,
``password_command`` or ``token_command`` (in an account or in ``defaults:``)
that is empty or holds only white space (``""``, ``" "``). An error for the three
server settings, which break the login; a warning for the two names.

Why: the schema takes any text there but control characters (a name may be
anything, a command is any shell line), and most targets write the value as
given. A blank ``username`` logs in as nobody: the login fails, with a message
that does not say why. A blank command runs nothing: the password or token is
empty (mutt and neomutt refuse to render it). A blank display name or
organization is written as a blank one (aerc's ``from = " " <alice@example.com>``,
Outlook's ``Display Name``, the profile's ``EmailAccountName``): it says less than
leaving the key out, and hides that something was meant to be filled in.

Fix: write the value, or remove the key. ``lint --fix`` removes a blank
``display_name`` or ``organization`` (every target then writes what it writes
for an account without one). It leaves the three server settings to you: without
``username`` the client logs in with the address, without ``password_command`` it
asks for the password, and without ``token_command`` OAuth2 has no token (MC302):
which one was meant is yours to say.

Failing::

    accounts:
      work:
        address: alice@example.com
        display_name: " "
        incoming: {protocol: imap, host: imap.example.com, username: " "}
Passing::

    accounts:
      work:
        address: alice@example.com
        display_name: Alice Example
        incoming: {protocol: imap, host: imap.example.com}

Reference: RFC 5322 section 3.4 (a display name is a phrase: one word at least);
RFC 4616 section 2 (PLAIN's authentication identity is one or more characters).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Model, Severity
from . import DELETE, Fixable, Problem

ID = "MC712"
SLUG = "blank-value"
SEVERITY = Severity.WARNING
TITLE = "A name, user name or command that is empty or only spaces (error for logins)"
FIX = Fixable("safe", "removes a blank display_name or organization")

#: What each blank server setting does, and what to write instead.
_SERVER = {
    "username": "the login would fail; write the user name, or remove the key to log in with the address",
    "password_command": "it runs nothing and the password would be empty; write the command that prints it, or "
    "remove the key to be asked",
    "token_command": "it runs nothing and the token would be empty; write the command that prints it",
}


def check(model: Model) -> Iterator[Problem]:
    for account in model.accounts:
        for name in ("display_name", "organization"):
            value = getattr(account, name)
            if value is not None and not value.strip():
                path = (*account.path, name)
                yield Problem(path, f"account `{account.name}`: {name} is blank: write it, or remove the key", fix=(
                    (path, DELETE),
                ))  # fmt: skip
        for server in account.servers:
            for name, why in _SERVER.items():
                value = getattr(server, name)
                if value is not None and not value.strip() and server.declared(name):  # declared(): the rare case
                    yield Problem.at(
                        server, name, f"account `{account.name}`: {server.side}.{name} is blank: {why}", Severity.ERROR
                    )
