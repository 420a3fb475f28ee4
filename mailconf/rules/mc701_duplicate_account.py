"""Two accounts with one name, or any key written twice.

Raised by the loader: a YAML mapping with the same key twice, anywhere in the
file. Under ``accounts:`` that is two accounts with one name. The finding points
at the second key and names the line of the first. The key is shown in double quotes,
as text (``duplicate key "3"``): mailconf reads every key as the text written, so
``3:`` and ``"3":`` are one key.

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

import re
from collections.abc import Iterator

from ..errors import DOUBLE_QUOTED, double_quoted, read_double_quoted
from ..model import Model, Severity
from . import Problem

ID = "MC701"
SLUG = "duplicate-account"
SEVERITY = Severity.ERROR
TITLE = "Duplicate account name or YAML key"


def check(model: Model) -> Iterator[Problem]:
    return iter(())  # raised by the loader


def message(key: str, first_line: int) -> str:
    """The finding's message: ``key`` (the second one, as written) in double quotes (:func:`errors.double_quoted`),
    and the line of the first."""
    return (
        f"duplicate key {double_quoted(key)} (first defined at line {first_line}); "
        "YAML keeps only one: remove or rename one"
    )


#: a :func:`message`, also without its line number (``first defined at line);``): the quoted key, and the rest.
_MESSAGE = re.compile(rf"duplicate key ({DOUBLE_QUOTED})( \(first defined at line\b.*)", re.DOTALL)


def repr_spelt(said: str) -> str | None:
    """``said`` (a :func:`message`, or one with its line numbers left out) with the key spelt as mailconf spelt it
    before: by Python's ``repr()`` (``duplicate key 'work'``); None for another message.

    A baseline entry and a SARIF fingerprint hash the message: an entry written then still matches, and an alert
    keeps its fingerprint. The key reads back from its quotes: :func:`errors.double_quoted` writes a Python string
    literal of exactly the key.
    """
    parts = _MESSAGE.fullmatch(said)
    if parts is None or (key := read_double_quoted(parts[1])) is None:
        return None
    return f"duplicate key {key!r}{parts[2]}"


def key_of(said: str) -> str | None:
    """The key a :func:`message` names (None for another message)."""
    parts = _MESSAGE.fullmatch(said)
    return None if parts is None else read_double_quoted(parts[1])
