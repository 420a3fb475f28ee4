"""Two accounts with one name, or any key written twice.

Raised by the loader: a YAML mapping with the same key twice, anywhere in the
file. Under ``accounts:`` that is two accounts with one name. The finding points
at the second key and names the line of the first.

Why: YAML keeps only one of the two values (mailconf keeps the first; other tools
keep the last), so one account or setting is silently lost, and different tools
disagree on which.

Fix: rename one of the accounts, or remove the duplicate key.

Failing::

    accounts:
      work: {address: alice@example.com, incoming: {protocol: imap, host: imap.example.com}}
      work: {address: bob@example.com, incoming: {protocol: imap, host: imap.example.com}}
Passing::

    accounts:
      alice: {address: alice@example.com, incoming: {protocol: imap, host: imap.example.com}}
      bob: {address: bob@example.com, incoming: {protocol: imap, host: imap.example.com}}

Reference: YAML 1.2.2 section 3.2.1.1 (mapping keys are unique).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Model, Severity
from . import Problem

ID = "MC701"
SLUG = "duplicate-account"
SEVERITY = Severity.ERROR
TITLE = "Duplicate account name or YAML key"


def check(model: Model) -> Iterator[Problem]:
    return iter(())  # raised by the loader
