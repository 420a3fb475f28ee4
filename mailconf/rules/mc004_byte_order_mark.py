"""The file starts with a UTF-8 byte-order mark.

Raised by the loader at 1:1. The file is still read.

Why: a BOM is invisible, some tools treat it as content (a first key named
``\\ufeffversion``), and it makes diffs noisy.

Fix: save the file as UTF-8 without a BOM.

Failing::

    \\xEF\\xBB\\xBFversion: 1     # the file's first bytes are EF BB BF
Passing::

    version: 1                # the same file without those three bytes

Reference: YAML 1.2.2 section 5.2; Unicode FAQ on the BOM.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ..model import Finding, Model, Severity
from . import Edit, Fixable, Problem

ID = "MC004"
SLUG = "byte-order-mark"
SEVERITY = Severity.WARNING
TITLE = "The file starts with a byte-order mark"
FIX = Fixable("safe", "removes the byte-order mark")
STILL_READ = True


def check(model: Model) -> Iterator[Problem]:
    return iter(())


def fix_text(text: str, findings: Sequence[Finding]) -> dict[Finding, tuple[Edit, ...]]:
    edits = (Edit(0, 1, ""),) if text.startswith("\ufeff") else ()
    return dict.fromkeys(findings, edits)
