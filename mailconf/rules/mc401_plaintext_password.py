"""A literal password is written in the file.

Condition: a ``password:`` key on a server (or in ``defaults:``). The schema
accepts it only so that this rule can point at it; mailconf never renders it and
never prints it.

Why: account files live in repositories, backups and dotfile syncs; everyone who
can read the file or its history has the password. A password that was
committed must be treated as leaked.

Fix: remove ``password:`` and set ``password_command`` to a command that prints
the password from a secret store (``pass show mail/work``, ``secret-tool lookup
...``, ``op read ...``). Change the password if the file was ever shared.

Failing::

    incoming: {protocol: imap, host: imap.example.com, password: hunter2}
Passing::

    incoming: {protocol: imap, host: imap.example.com, password_command: pass show mail/work}

Reference: CWE-798 (use of hard-coded credentials); CWE-256 (plaintext storage
of a password).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Model, Severity
from . import Problem

ID = "MC401"
SLUG = "plaintext-password"
SEVERITY = Severity.ERROR
TITLE = "Literal password in the file"


def check(model: Model) -> Iterator[Problem]:
    for _account, server in model.servers():
        if server.has_literal_password:
            yield Problem.at(
                server,
                "password",
                "a literal password is in the file (not shown here); remove it, set password_command "
                "(e.g. pass show mail/work), and change the password if the file was ever shared",
            )
