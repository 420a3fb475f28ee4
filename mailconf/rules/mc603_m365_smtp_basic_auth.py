"""Password login to Microsoft 365 (Exchange Online) SMTP AUTH.

Condition: ``auth: password`` (or ``ntlm``) to smtp.office365.com, for an address
that is not an Outlook.com consumer address (those are MC604). Hosts, date and
source are data: ``mailconf/data/providers.json``.

Why: Microsoft is retiring basic authentication for client submission. The date
has slipped several times (September 2025, then March-April 2026); the current
plan (message center MC786329, update of 2026-01-27) turns it off by default for
existing tenants at the end of December 2026, with the final removal to be
announced in 2027. A warning: it works today where the tenant allows it.

Fix: ``auth: oauth2`` with a ``token_command``.

Failing::

    outgoing: {host: smtp.office365.com, port: 587, security: starttls, auth: password,
               password_command: pass show mail/work}
Passing::

    outgoing: {host: smtp.office365.com, port: 587, security: starttls, auth: oauth2,
               token_command: oama access alice@example.com}

Reference: Microsoft 365 message center MC786329, "Exchange Online to retire
Basic auth for Client Submission (SMTP AUTH)".
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Model, Severity
from . import Problem, providers

ID = "MC603"
SLUG = "m365-smtp-basic-auth"
SEVERITY = Severity.WARNING
TITLE = "Password login to Exchange Online SMTP AUTH (being retired)"


def check(model: Model) -> Iterator[Problem]:
    return providers.problems(model, ID)
