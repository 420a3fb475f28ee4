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

from collections.abc import Iterator

from ..model import Model, Severity
from . import Problem

ID = "MC005"
SLUG = "crlf-line-endings"
SEVERITY = Severity.INFO
TITLE = "The file has CRLF line ends"


def check(model: Model) -> Iterator[Problem]:
    return iter(())
