"""The rule catalogue's less obvious cases, one table per concern: each row is a server and the exact findings
(rule, line, column, severity, message) of the rules the row is about, silence included.

Rows follow the team catalogue (RULES.md): what each rule must catch, and where it must stay quiet."""

from __future__ import annotations

import textwrap

import pytest

from tests.conftest import lint_text
from tests.rules.helpers import HEAD

Row = tuple[str, int, int, str, str]


def findings_in(rules: frozenset[str], body: str, address: str = "alice@example.com") -> list[Row]:
    """The findings of ``rules`` for an account ``work`` (HEAD's 4 lines, then ``body`` at 4 spaces)."""
    text = HEAD.replace("alice@example.com", address) + textwrap.indent(textwrap.dedent(body), "    ")
    return [
        (f.rule, f.location.line, f.location.column, f.severity.label, f.message)
        for f in lint_text(text)
        if f.rule in rules
    ]


def loopback_relay(host: str) -> str:
    return f"outgoing:\n  host: '{host}'\n  port: 25\n  security: none\n  auth: none\n"


LOOPBACK_RULES = frozenset(("MC102", "MC204", "MC205", "MC704"))


@pytest.mark.parametrize(
    "host", ["localhost", "LOCALHOST", "localhost.", "LocalHost.", "localhost.localdomain.", "127.0.0.1", "::1",
             "::ffff:127.0.0.1"]
)  # fmt: skip
def test_a_local_relay_on_port_25_without_tls_or_login_is_info_and_a_warning_however_loopback_is_written(
    host: str,
) -> None:
    # MC102 is info and MC205 a warning on loopback; MC204 and MC704 are silent for it. A trailing dot is the same
    # name (the root), and ::ffff:127.0.0.1 is 127.0.0.1 reached over IPv6.
    assert findings_in(LOOPBACK_RULES, loopback_relay(host)) == [
        ("MC102", 8, 17, "info", f"SMTP to loopback host {host} without TLS: the traffic stays on this machine; "
         "set security: tls (port 465) if it ever points elsewhere"),
        ("MC205", 9, 13, "warning", f"submission to {host} without authentication; "
         "set auth: password with a password_command (or oauth2 with a token_command)"),
    ]  # fmt: skip


@pytest.mark.parametrize("host", ["localhost.example.com", "127.0.0.1.example.com"])
def test_a_name_that_only_looks_like_loopback_is_remote(host: str) -> None:
    assert [(r, line, severity) for r, line, _, severity, _ in findings_in(LOOPBACK_RULES, loopback_relay(host))] == [
        ("MC204", 7, "warning"),
        ("MC102", 8, "warning"),
        ("MC205", 9, "error"),
    ]
