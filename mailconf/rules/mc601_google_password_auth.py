"""Password login to Google (Gmail, Google Workspace).

Condition: ``auth: password`` (or ``ntlm``) to imap.gmail.com, pop.gmail.com or
smtp.gmail.com (and the googlemail.com names). The hosts, the date and the source
are data: ``mailconf/data/providers.json``.

Why: Google turned off password access for third-party apps ("less secure apps")
for all Google accounts on 2024-09-30; IMAP, POP and SMTP no longer accept the
account password. Only an app password still works, and only with 2-Step
Verification and where a Workspace admin allows it: hence a warning, not an
error. An app password is a second long-lived password that bypasses 2-Step
Verification.

Fix: ``auth: oauth2`` with a ``token_command`` (e.g. ``oama access
alice@gmail.com``).

Failing::

    incoming: {protocol: imap, host: imap.gmail.com, auth: password,
               password_command: pass show mail/gmail}
Passing::

    incoming: {protocol: imap, host: imap.gmail.com, auth: oauth2,
               token_command: oama access alice@gmail.com}

Reference: Google Workspace Admin Help, "Transition from less secure apps to
OAuth" (https://support.google.com/a/answer/14114704).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Model, Severity
from . import Problem, providers

ID = "MC601"
SLUG = "google-password-auth"
SEVERITY = Severity.WARNING
TITLE = "Password login to Google (app passwords only, since 2024-09-30)"


def check(model: Model) -> Iterator[Problem]:
    return providers.problems(model, ID)
