"""MC001-MC005: the document itself (raised by the loader and the schema, before the rules run)."""

from __future__ import annotations

import pytest

from mailconf.document import load_document
from mailconf.lint import lint_document
from mailconf.settings import Policy

GOOD = (
    b"version: 1\naccounts:\n  work:\n    address: alice@example.com\n"
    b"    incoming: {protocol: imap, host: imap.example.com}\n"
)


def findings(raw: bytes) -> list[tuple[str, int, int, str, str]]:
    return [
        (f.rule, f.location.line, f.location.column, f.severity.label, f.message)
        for f in lint_document(load_document("a.yaml", raw), Policy())
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            b"version: 1\naccounts:\n  work: {address: alice@example.com\n",
            ("MC001", 3, 9, "error",
             "YAML syntax error: did not find expected ',' or '}' (while parsing a flow mapping); the { that starts "
             "here is never closed: close it, or quote the value ({ starts a mapping)"),
        ),
        (
            GOOD.replace(b"imap,", b"imap4,"),
            ("MC002", 5, 26, "error", '`protocol` must be one of imap, pop3 (got "imap4"); did you mean `imap`?'),
        ),
        (
            GOOD.replace(b"alice", b"al\xffice", 1),
            ("MC003", 4, 16, "error", "file is not valid UTF-8 (byte 0xFF); save it as UTF-8"),
        ),
        (
            b"\xef\xbb\xbf" + GOOD,
            ("MC004", 1, 1, "warning", "file starts with a UTF-8 byte-order mark; save it as UTF-8 without a BOM"),
        ),
        (
            GOOD.replace(b"\n", b"\r\n"),
            ("MC005", 1, 11, "info", "CRLF line ends; convert the file to LF line ends"),
        ),
    ],
    ids=["MC001", "MC002", "MC003", "MC004", "MC005"],
)  # fmt: skip
def test_document_rules_fail(raw: bytes, expected: tuple[str, int, int, str, str]) -> None:
    assert findings(raw) == [expected]


def test_document_rules_pass_on_a_clean_file() -> None:
    assert findings(GOOD) == []
