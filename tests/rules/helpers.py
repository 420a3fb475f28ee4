"""Test helpers for the rule catalogue: the exact findings of one rule."""

from __future__ import annotations

import textwrap

from tests.conftest import lint_text

HEAD = "version: 1\naccounts:\n  work:\n    address: alice@example.com\n"


def findings_of(rule: str, text: str) -> list[tuple[int, int, str, str]]:
    """(line, column, severity, message) of every finding of `rule` in the YAML text."""
    return [
        (f.location.line, f.location.column, f.severity.label, f.message)
        for f in lint_text(textwrap.dedent(text))
        if f.rule == rule
    ]


def account(body: str) -> str:
    """HEAD (4 lines: version, accounts, work, address) followed by the dedented body at 4 spaces."""
    return HEAD + textwrap.indent(textwrap.dedent(body), "    ")
