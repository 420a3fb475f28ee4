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
STILL_READ = True


def check(model: Model) -> Iterator[Problem]:
    return iter(())


def fix_text(text: str, findings: Sequence[Finding]) -> dict[Finding, tuple[Edit, ...]]:
    """Each CR of a run before an LF becomes an LF: a lone CR is a line break of its own (old Mac line ends), so
    ``\r\r\n`` is two of them, and taking out the one CR would join them into one CRLF (one line fewer: a block
    scalar's value changes, another pass would take out the next CR)."""
    edits = tuple(Edit(m.start(), m.end() - 1, "\n" * (m.end() - m.start() - 2)) for m in _CRS_LF.finditer(text))
    return dict.fromkeys(findings, edits)


#: a CRLF and the lone CRs right before it
_CRS_LF = re.compile("\r+\n")
