from __future__ import annotations

from tests.conftest import brief, lint_text


def test_cleartext_credentials_found_at_security_value() -> None:
    findings = lint_text(
        "version: 1\n"
        "accounts:\n"
        "  work:\n"
        "    address: alice@example.com\n"
        "    incoming:\n"
        "      protocol: imap\n"
        "      host: imap.example.com\n"
        "      security: none\n"
        "      auth: password\n"
        "      password_command: pass show work\n"
    )
    assert ("MC101", 8, 17) in brief(findings)
