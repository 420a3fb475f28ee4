"""An inline suppression that matched nothing.

Raised by the suppression scanner (``mailconf/suppress.py``) after all rules ran:
for each rule named in a ``# mailconf: disable=...`` or ``disable-file=...``
comment that suppressed no finding, or that names no rule at all.

Why: a stale suppression hides the next real finding on that line, and a typo
in a rule id suppresses nothing while looking as if it did.

Fix: remove the suppression, or correct the rule id.

Failing::

    incoming:
      protocol: imap
      host: imap.example.com  # mailconf: disable=MC104 no IMAPS here
Passing::

    incoming:
      protocol: imap
      host: imap.example.com
      security: starttls  # mailconf: disable=MC104 no IMAPS at this provider

Reference: none (hygiene).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Model, Severity
from . import Problem

ID = "MC708"
SLUG = "unused-suppression"
SEVERITY = Severity.INFO
TITLE = "Inline suppression that matched nothing"


def check(model: Model) -> Iterator[Problem]:
    return iter(())  # raised by mailconf/suppress.py
