"""Password login to an Outlook.com consumer account (Outlook, Hotmail, Live, MSN).

Condition: ``auth: password`` (or ``ntlm``) to imap-mail.outlook.com,
pop-mail.outlook.com, smtp-mail.outlook.com (and the older live.com names), or to
a Microsoft 365 host (outlook.office365.com, outlook.office.com, smtp.office365.com,
smtp-legacy.office365.com) for an address at an Outlook.com domain: outlook.com,
msn.com, passport.com and the hotmail and live domains the data file lists. MC602
and MC603 leave exactly these addresses to this rule. Hosts, domains, date and
source are data: ``mailconf/data/providers.json``.

Why: Outlook.com stopped accepting basic authentication from third-party mail
apps on 2024-09-16; consumer accounts have no app-password escape.

Fix: ``auth: oauth2`` with a ``token_command``.

Failing::

    incoming: {protocol: imap, host: outlook.office365.com, auth: password,
               password_command: pass show mail/hotmail}     # address: bob@hotmail.com
Passing::

    incoming: {protocol: imap, host: outlook.office365.com, auth: oauth2,
               token_command: oama access bob@hotmail.com}

Reference: Microsoft Support, "Modern Authentication Methods now needed to
continue syncing Outlook Email in non-Microsoft email apps". The date was
confirmed through secondary sources quoting that page, not the page itself: see
the entry's notes in the data file.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Model, Severity
from . import Problem, providers

ID = "MC604"
SLUG = "outlook-consumer-basic-auth"
SEVERITY = Severity.ERROR
TITLE = "Password login to Outlook.com consumer mail (off since 2024-09-16)"


def check(model: Model) -> Iterator[Problem]:
    return providers.problems(model, ID)
