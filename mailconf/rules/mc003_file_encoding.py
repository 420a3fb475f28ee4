"""The file is not UTF-8.

Raised by the loader at the first byte that is not UTF-8 (or at 1:1 for a
UTF-16 file), with its line and column.

Why: YAML tools disagree on other encodings, and client configuration rendered
from mis-decoded text would carry the wrong names.

Fix: save the file as UTF-8 (``iconv -f latin1 -t utf-8``).

Failing::

    display_name: Ren\\xe9      # the byte E9 (Latin-1), not UTF-8
Passing::

    display_name: René         # saved as UTF-8 (C3 A9)

Reference: YAML 1.2.2 section 5.2 (character encodings).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Model, Severity
from . import Problem

ID = "MC003"
SLUG = "file-encoding"
SEVERITY = Severity.ERROR
TITLE = "The file is not valid UTF-8"


def check(model: Model) -> Iterator[Problem]:
    return iter(())
