"""The file is not YAML that mailconf can read.

Raised by the loader, before any other rule, for: a YAML syntax error; a tag
other than the standard ones (``!!python/object`` and friends are never
constructed); aliases that expand past a million nodes ("billion laughs");
nesting deeper than 64 levels; more than one document in the file.

Why: nothing else can be checked in a file that does not parse, and a loader
that builds objects from tags or expands aliases without bound is an attack
surface.

Fix: correct the YAML at the position shown.

Failing::

    accounts:
      work: {address: alice@example.com
Passing::

    accounts:
      work: {address: alice@example.com}

Reference: YAML 1.2.2 (https://yaml.org/spec/1.2.2/).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Model, Severity
from . import Problem

ID = "MC001"
SLUG = "yaml-syntax"
SEVERITY = Severity.ERROR
TITLE = "The file is not valid YAML, or uses unsafe YAML features"


def check(model: Model) -> Iterator[Problem]:
    return iter(())
