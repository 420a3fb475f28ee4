"""A user name or password is written into the host (``user:pw@host``, a URL).

Condition: ``host`` contains ``@``: userinfo as in ``alice:secret@imap.example.com``
or ``imaps://alice@imap.example.com``. The schema rejects such a host; this rule
explains the schema error, without repeating the user name or password.

Why: the host is printed in logs, error messages and rendered files; a password
there leaks everywhere the host goes. Clients do not parse userinfo from a host
field, so the login fails as well.

Fix: write only the host name in ``host``; the login name goes in
``username``, the password behind ``password_command``. Change the password if
the file was ever shared.

Failing::

    incoming: {protocol: imap, host: "alice:hunter2@imap.example.com"}
Passing::

    incoming: {protocol: imap, host: imap.example.com, username: alice,
               password_command: pass show mail/work}

Reference: RFC 3986 section 3.2.1 (userinfo is deprecated for passwords).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Model, Severity
from ..schema import SchemaProblem
from . import Problem

ID = "MC403"
SLUG = "credentials-in-host"
SEVERITY = Severity.ERROR
TITLE = "User name or password inside the host"


def check(model: Model) -> Iterator[Problem]:
    return iter(())  # the schema rejects the host: see refine()


def refine(problem: SchemaProblem) -> SchemaProblem | None:
    value = problem.value
    if not problem.path or problem.path[-1] != "host" or not isinstance(value, str) or "@" not in value:
        return None
    userinfo = value.rpartition("@")[0].partition("://")[2] or value.rpartition("@")[0]
    what = "a user name and password" if ":" in userinfo else "a user name"
    return problem._replace(
        rule=ID,
        message=f"host contains {what} before '@' (not shown here); write only the host name, "
        "put the login in username: and the password behind password_command",
    )
