"""Password login to a provider that only accepts OAuth2.

Condition: ``auth: password`` (or ``ntlm``) to a host listed in the provider data
file, ``mailconf/data/providers.json``, under an entry whose rule is MC303.

How it relates to MC601-MC604: the data file holds every known provider policy,
each with the host names, the date it took effect, its source and a severity.
Google and Microsoft have their own rules (MC601-MC604) because their policies
differ by product and date and need their own documentation; MC303 is the
generic rule for every other entry, so a new provider is one entry in the data
file. Each server is reported by one rule only. The shipped data has no MC303
entry yet: no other large provider was confirmed to refuse app passwords.

Why: the login fails at the provider however correct the password is, or works
only until the provider's announced date.

Fix: ``auth: oauth2`` with a ``token_command`` that prints an access token.

The examples assume an entry for ``imap.oauth-only.example``.

Failing::

    incoming: {protocol: imap, host: imap.oauth-only.example, auth: password,
               password_command: pass show mail/x}
Passing::

    incoming: {protocol: imap, host: imap.oauth-only.example, auth: oauth2,
               token_command: oama access alice@oauth-only.example}

Reference: the source named by each entry in mailconf/data/providers.json.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Model, Severity
from . import Problem, providers

ID = "MC303"
SLUG = "password-for-oauth-only-provider"
SEVERITY = Severity.WARNING
TITLE = "Password login to a provider that only accepts OAuth2"


def check(model: Model) -> Iterator[Problem]:
    return providers.problems(model, ID)
