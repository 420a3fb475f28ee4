"""A baseline entry matches no finding any more.

Raised by ``mailconf lint --baseline FILE`` (or the ``baseline:`` setting), at the
entry's line in the baseline file, for each entry of a linted file that hid no
finding: the finding was fixed, or the value it was about changed (a changed
value is a new finding, shown as one). Only the files linted in that run are
compared. An entry of a rule the settings (or ``--disable``) turn off is not
stale: its finding was not looked for, and it matches again once the rule is on.

Why: a stale entry would hide the next finding with the same key; removing it
keeps the baseline shrinking towards empty.

Fix: remove the entry, or write the baseline again
(``mailconf lint --write-baseline FILE accounts.yaml``).

Failing::

    {"rule": "MC706", "account": "work", "path": "incoming.timeout", "hash": "..."}
    # (in the baseline, while incoming.timeout of account work is now 30)
Passing::

    # the entry removed, or the baseline written again

Reference: none (hygiene, like MC708 for inline suppressions).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Model, Severity
from . import Problem

ID = "MC709"
SLUG = "stale-baseline-entry"
SEVERITY = Severity.INFO
TITLE = "Baseline entry that matches no finding any more"


def check(model: Model) -> Iterator[Problem]:
    return iter(())  # raised by mailconf/baseline.py
