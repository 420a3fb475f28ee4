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


GOOGLE = (
    "Google turned off password login for third-party apps on 2024-09-30; only an app password still works "
    "(with 2-Step Verification, and an admin may forbid it); set auth: oauth2 with a token_command"
)
M365 = (
    "Exchange Online turned off basic (password) authentication for IMAP and POP3 from 2022-10-01; "
    "set auth: oauth2 with a token_command"
)
M365_SMTP = (
    "Exchange Online is retiring basic (password) authentication for SMTP AUTH client submission: off by default "
    "for existing tenants at the end of December 2026, final removal to be announced in 2027; "
    "set auth: oauth2 with a token_command"
)
OUTLOOK = (
    "Outlook.com stopped accepting basic (password) authentication from third-party mail apps on 2024-09-16; "
    "set auth: oauth2 with a token_command"
)
PROVIDER_RULES = frozenset(("MC303", "MC601", "MC602", "MC603", "MC604"))


def provider_server(host: str, protocol: str, auth: str = "password") -> str:
    side = "outgoing:\n" if protocol == "smtp" else f"incoming:\n  protocol: {protocol}\n"
    login = "token_command: oama access x" if auth == "oauth2" else "password_command: pass show mail/x"
    return f"{side}  host: '{host}'\n  auth: {auth}\n  {login}\n"


@pytest.mark.parametrize(
    ("address", "host", "protocol", "expected"),
    [
        # Google: every host, any case, a final dot
        ("alice@gmail.com", "imap.gmail.com", "imap", ("MC601", "warning", GOOGLE)),
        ("alice@gmail.com", "POP.GMAIL.COM.", "pop3", ("MC601", "warning", GOOGLE)),
        ("alice@example.com", "Smtp.GoogleMail.com", "smtp", ("MC601", "warning", GOOGLE)),
        # Microsoft 365: both IMAP/POP3 names; SMTP AUTH on both of its names
        ("alice@example.com", "Outlook.Office365.com.", "imap", ("MC602", "error", M365)),
        ("alice@example.com", "outlook.office.com", "pop3", ("MC602", "error", M365)),
        ("alice@example.com", "SMTP.office365.com.", "smtp", ("MC603", "warning", M365_SMTP)),
        ("alice@example.com", "smtp-legacy.office365.com", "smtp", ("MC603", "warning", M365_SMTP)),
        # Outlook.com: its own hosts, and a consumer address on every Microsoft 365 host
        ("bob@outlook.com", "IMAP-MAIL.outlook.com.", "imap", ("MC604", "error", OUTLOOK)),
        ("bob@live.com", "smtp.live.com", "smtp", ("MC604", "error", OUTLOOK)),
        ("bob@hotmail.com", "outlook.office365.com", "imap", ("MC604", "error", OUTLOOK)),
        ("bob@Hotmail.com", "outlook.office.com", "imap", ("MC604", "error", OUTLOOK)),
        ("bob@msn.com", "outlook.office.com.", "pop3", ("MC604", "error", OUTLOOK)),
        ("bob@live.co.uk", "smtp.office365.com", "smtp", ("MC604", "error", OUTLOOK)),
        ("bob@outlook.com", "smtp-legacy.office365.com", "smtp", ("MC604", "error", OUTLOOK)),
    ],
)
def test_a_password_login_to_a_provider_host_is_one_finding_of_its_policy(
    address: str, host: str, protocol: str, expected: tuple[str, str, str]
) -> None:
    # auth is line 7 (smtp) or 8; its value starts at column 13
    line = 7 if protocol == "smtp" else 8
    rule, severity, message = expected
    assert findings_in(PROVIDER_RULES, provider_server(host, protocol), address) == [
        (rule, line, 13, severity, message)
    ]


@pytest.mark.parametrize(
    ("address", "host", "protocol"),
    [
        ("alice@gmail.com", "imap.gmail.com", "imap"),
        ("alice@example.com", "outlook.office.com", "pop3"),
        ("alice@example.com", "smtp.office365.com", "smtp"),
        ("bob@hotmail.com", "smtp-legacy.office365.com", "smtp"),
    ],
)
def test_oauth2_with_a_token_command_is_fine_at_every_provider(address: str, host: str, protocol: str) -> None:
    assert (
        findings_in(PROVIDER_RULES | {"MC302", "MC304", "MC305"}, provider_server(host, protocol, "oauth2"), address)
        == []
    )


@pytest.mark.parametrize("protocol", ["imap", "smtp"])
def test_a_look_alike_of_a_provider_host_is_no_provider(protocol: str) -> None:
    for host in ("imap.gmail.com.example.com", "outlook.office365.com.evil.example", "xsmtp.office365.com"):
        assert findings_in(PROVIDER_RULES, provider_server(host, protocol)) == []


def test_every_host_a_microsoft_365_policy_leaves_to_outlook_com_is_an_outlook_com_host() -> None:
    # MC602/MC603 leave consumer addresses to MC604: each host and address domain they exclude must be one MC604
    # matches, or a consumer account with a password on that host is reported by no rule at all.
    from mailconf.rules import providers

    outlook = next(p for p in providers.policies() if p.rule == "MC604")
    for policy in providers.policies():
        for host in policy.hosts if policy.exclude_domains else ():
            assert host in outlook.shared_hosts, (policy.rule, host)
            assert policy.exclude_domains == outlook.shared_domains, policy.rule
