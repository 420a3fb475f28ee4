"""Password login to Microsoft 365 (Exchange Online) over IMAP or POP3.

Condition: ``auth: password`` (or ``ntlm``) to outlook.office365.com (or
outlook.office.com) with IMAP or POP3, for an address that is not an Outlook.com
consumer address (those are MC604). Hosts, date and source are data:
``mailconf/data/providers.json``.

Why: Exchange Online turned off basic authentication for IMAP and POP3 (and
every protocol but SMTP AUTH) from 2022-10-01; the login is refused whatever
the password.

Fix: ``auth: oauth2`` with a ``token_command``; the tenant's admin may have to
allow the client's app registration.

Failing::

    incoming: {protocol: imap, host: outlook.office365.com, auth: password,
               password_command: pass show mail/work}
Passing::

    incoming: {protocol: imap, host: outlook.office365.com, auth: oauth2,
               token_command: oama access alice@example.com}

Reference: Microsoft, "Deprecation of Basic authentication in Exchange Online"
(learn.microsoft.com); message center MC424238.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Model, Severity
from . import Problem, providers

ID = "MC602"
SLUG = "m365-basic-auth-imap-pop"
SEVERITY = Severity.ERROR
TITLE = "Password login to Exchange Online IMAP/POP3 (off since 2022-10-01)"


def check(model: Model) -> Iterator[Problem]:
    return providers.problems(model, ID)
