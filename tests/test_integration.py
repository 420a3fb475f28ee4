"""Behaviour that crosses stages: lint findings, explain/rules over both catalogues, the model's numbers."""

from __future__ import annotations

import json

import pytest

from mailconf.cli import main
from mailconf.document import load_document
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


def test_explain_falls_back_to_probe_checks(capsys: pytest.CaptureFixture[str]) -> None:
    from mailconf.probe.checks import CHECKS

    assert main(["explain", "MC810"]) == 0
    out = capsys.readouterr().out
    check = CHECKS["MC810"]
    assert out.startswith(f"MC810 {check.SLUG} (default severity: {check.SEVERITY.label})\n{check.TITLE}\n\n")


def test_rules_probe_lists_the_probe_checks(capsys: pytest.CaptureFixture[str]) -> None:
    from mailconf.probe.checks import CHECKS

    assert main(["rules", "--probe", "--format", "json"]) == 0
    listed = [entry["id"] for entry in json.loads(capsys.readouterr().out)]
    assert listed == sorted(CHECKS)
    assert all(rule_id.startswith("MC8") for rule_id in listed)


def test_whole_floats_become_ints_in_the_model() -> None:
    """JSON Schema's `integer` admits 993.0; no client may ever read "993.0"."""
    doc = load_document(
        "a.yaml",
        b"version: 1\naccounts:\n  a:\n    address: a@example.com\n"
        b"    incoming: {protocol: pop3, host: pop.example.com, port: 995.0, timeout: 30.0, leave_days: 7.0}\n",
    )
    assert doc.issues == []
    server = doc.model.accounts[0].incoming
    assert server is not None
    assert (server.port, server.timeout, server.leave_days) == (995, 30, 7)
    assert all(type(v) is int for v in (server.port, server.timeout, server.leave_days))
