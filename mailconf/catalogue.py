"""One catalogue of findings: the lint rules and the probe checks, by id and by slug.

Every finding mailconf reports comes from an entry here: the lint rules
(:data:`mailconf.rules.RULES`, MC0xx-MC7xx, including the loader's and the schema's
findings) and the checks of ``mailconf probe`` (:data:`mailconf.probe.checks.CHECKS`,
MC8xx). Settings (``disable``, ``severity``), ``mailconf rules``, ``mailconf explain``
and the reporters all read this one catalogue, so ``--severity MC805=info`` works
for probe exactly as ``--severity MC104=error`` does for lint.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import NamedTuple, Protocol

from .model import Severity


class Entry(Protocol):
    """What the catalogue knows of a rule or a check; its docstring is its documentation."""

    @property
    def ID(self) -> str: ...
    @property
    def SLUG(self) -> str: ...
    @property
    def SEVERITY(self) -> Severity: ...
    @property
    def TITLE(self) -> str: ...
    @property
    def __doc__(self) -> str | None: ...  # type: ignore[override]


@cache
def entries() -> Mapping[str, Entry]:
    """Every rule and check by id, in id order."""
    from .probe.checks import CHECKS
    from .rules import RULES

    merged: dict[str, Entry] = {**RULES, **CHECKS}
    return dict(sorted(merged.items()))


@cache
def _by_slug() -> Mapping[str, Entry]:
    return {entry.SLUG: entry for entry in entries().values()}


def lookup(name: str) -> Entry | None:
    """A rule or check by id (any case) or slug."""
    return entries().get(name.strip().upper()) or _by_slug().get(name.strip().lower())


def closest_slug(name: str) -> str | None:
    """The slug an unknown rule name is a typo of (``prefer-implicit``: ``prefer-implicit-tls``), or None. An id
    is never guessed at: ``MC10`` is as close to MC101 as to MC109."""
    import difflib
    import re

    written = name.strip().lower()
    if re.fullmatch(r"mc\d*", written):
        return None
    close = difflib.get_close_matches(written, _by_slug(), n=1)
    return close[0] if close else None


def did_you_mean(name: str) -> str:
    """`` (did you mean prefer-implicit-tls?)`` after an unknown rule name, or nothing: explain and the settings say
    it alike."""
    slug = closest_slug(name)
    return f" (did you mean {slug}?)" if slug else ""


def is_probe_check(entry: Entry) -> bool:
    return entry.ID.startswith("MC8")


class Row(NamedTuple):
    """One rule or check as ``mailconf rules`` lists it. The fields are the columns of every format,
    in order (text, the Markdown table of rules.md, and json, whose keys are the field names), so
    a column added here reaches all three."""

    id: str
    slug: str
    severity: str
    fix: str | None  # "safe" | "unsafe" (lint --fix), None for a rule that fixes nothing
    title: str


#: the Markdown table's heading of each column of :class:`Row`
HEADINGS: Mapping[str, str] = {
    "id": "id",
    "slug": "slug",
    "severity": "default severity",
    "fix": "fix",
    "title": "title",
}


def row(entry: Entry) -> Row:
    fix = getattr(entry, "FIX", None)  # a rule module's Fixable, when it fixes what it finds
    return Row(entry.ID, entry.SLUG, entry.SEVERITY.label, None if fix is None else fix.safety, entry.TITLE)
