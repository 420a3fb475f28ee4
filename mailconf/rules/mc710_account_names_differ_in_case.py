"""Two account names that differ only in case.

Condition: two accounts whose names are the same once upper and lower case are
taken as one (``Work`` and ``work``). The finding points at the second one and
names the first.

Why: several targets write one file per account, named after it (mutt's and
neomutt's ``NAME.muttrc``, getmail's ``NAME.getmailrc``, ``NAME.mobileconfig``).
On a file system that ignores case (macOS and Windows by default) the two names
are one file; a repository holding both cannot be checked out there whole, and a
render there finds the second file already present. On Linux nothing goes wrong,
which is why it is easy to miss until a colleague on a Mac clones the repository.

Fix: rename one of the accounts so that the names differ in more than case.

Failing::

    accounts:
      Work: {address: alice@example.com, incoming: {protocol: imap, host: imap.example.com}}
      work: {address: bob@example.com, incoming: {protocol: imap, host: imap.example.com}}
Passing::

    accounts:
      work: {address: alice@example.com, incoming: {protocol: imap, host: imap.example.com}}
      work-bob: {address: bob@example.com, incoming: {protocol: imap, host: imap.example.com}}

Reference: Apple, "File System Basics" (APFS is case-insensitive by default on
macOS); Microsoft, "Case sensitivity" (NTFS directories are case-insensitive by
default); git-config ``core.ignoreCase``.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Model, Severity
from . import Problem

ID = "MC710"
SLUG = "account-names-differ-in-case"
SEVERITY = Severity.WARNING
TITLE = "Account names that differ only in case (one file on macOS and Windows)"


def check(model: Model) -> Iterator[Problem]:
    seen: dict[str, str] = {}
    for account in model.accounts:
        # account names are ASCII (the schema's pattern): lower() is the whole of case-folding here
        first = seen.setdefault(account.name.lower(), account.name)
        if first != account.name:
            yield Problem(
                account.path,
                f"account `{account.name}` differs from account `{first}` only in case: the files rendered for "
                "them are one file on macOS and Windows; rename one",
                on_key=True,
            )
