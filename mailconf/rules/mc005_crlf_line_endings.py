"""The file has CRLF (Windows) line ends.

Raised by the loader at the end of the first line that has one. The file is
still read, and positions stay right.

Why: mixed line ends make diffs noisy, and a stray CR is easy to copy into a
value by hand-editing.

Fix: convert to LF (``dos2unix``, or ``* text=auto`` in .gitattributes).

Failing::

    version: 1\\r\\n
Passing::

    version: 1\\n

Reference: YAML 1.2.2 section 5.4 (line break characters).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from ..model import Finding, Model, Severity
from . import Edit, Fixable, Problem

ID = "MC005"
SLUG = "crlf-line-endings"
SEVERITY = Severity.INFO
TITLE = "The file has CRLF line ends"
FIX = Fixable("safe", "converts every CRLF line end to LF")


def check(model: Model) -> Iterator[Problem]:
    return iter(())


def fix_text(text: str, findings: Sequence[Finding]) -> dict[Finding, tuple[Edit, ...]]:
    edits = tuple(Edit(m.start(), m.start() + 1, "") for m in re.finditer("\r\n", text))
    return dict.fromkeys(findings, edits)
