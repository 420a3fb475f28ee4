"""MC201-MC205: ports and protocol."""

from __future__ import annotations

from tests.rules.helpers import account, findings_of

STARTTLS_ON_993 = account(
    """\
    incoming:
      protocol: imap
      host: imap.example.com
      port: 993
      security: starttls
    """
)


def test_mc201_implicit_port_with_starttls_fails() -> None:
    assert findings_of("MC201", STARTTLS_ON_993) == [
        (8, 13, "error", "port 993 expects implicit TLS, not starttls; set security: tls, or port: 143 for STARTTLS"),
    ]


def test_mc201_passes_with_tls() -> None:
    assert findings_of("MC201", STARTTLS_ON_993.replace("security: starttls", "security: tls")) == []


TLS_ON_587 = account(
    """\
    outgoing:
      host: smtp.example.com
      port: 587
      security: tls
    """
)


def test_mc202_cleartext_port_with_implicit_tls_fails() -> None:
    assert findings_of("MC202", TLS_ON_587) == [
        (7, 13, "error", "port 587 starts in cleartext and expects STARTTLS, not implicit TLS; "
         "set port: 465, or security: starttls"),
    ]  # fmt: skip


def test_mc202_passes_on_465() -> None:
    assert findings_of("MC202", TLS_ON_587.replace("587", "465")) == []


POP3_ON_993 = account(
    """\
    incoming:
      protocol: pop3
      host: mail.example.com
      port: 993
      leave_on_server: true
    """
)


def test_mc203_port_protocol_mismatch_fails() -> None:
    assert findings_of("MC203", POP3_ON_993) == [
        (8, 13, "error", "port 993 is the IMAP port, but the protocol is POP3; set port: 995"),
    ]


def test_mc203_smtp_on_an_imap_port_fails() -> None:
    text = account("outgoing:\n  host: smtp.example.com\n  port: 143\n  security: starttls\n")
    assert findings_of("MC203", text) == [
        (7, 13, "error", "port 143 is the IMAP port, but the protocol is SMTP; set port: 587"),
    ]


def test_mc203_passes_on_the_protocols_port() -> None:
    assert findings_of("MC203", POP3_ON_993.replace("993", "995")) == []


def test_mc203_ignores_unregistered_ports() -> None:
    assert findings_of("MC203", POP3_ON_993.replace("993", "10995")) == []


def port_rules(text: str) -> list[tuple[str, int, int, str, str]]:
    return [(rule, *finding) for rule in ("MC201", "MC202", "MC203") for finding in findings_of(rule, text)]


def test_another_protocols_implicit_tls_port_with_starttls_is_mc203_alone() -> None:
    # MC201 said "set security: tls, or port: 110": POP3 with TLS on 993 is still the IMAP port
    text = POP3_ON_993.replace("leave_on_server: true", "security: starttls\n      leave_on_server: true")
    assert port_rules(text) == [
        ("MC203", 8, 13, "error", "port 993 is the IMAP port, but the protocol is POP3; set port: 110"),
    ]


def test_another_protocols_cleartext_port_with_tls_is_mc203_alone() -> None:
    # MC202 said "set port: 465, or security: starttls": SMTP with STARTTLS on 143 is still the IMAP port
    text = account("outgoing:\n  host: smtp.example.com\n  port: 143\n  security: tls\n")
    assert port_rules(text) == [
        ("MC203", 7, 13, "error", "port 143 is the IMAP port, but the protocol is SMTP; set port: 465"),
    ]


def test_pop3_on_an_smtp_port_is_mc203() -> None:
    text = POP3_ON_993.replace("993", "465")
    assert port_rules(text) == [
        ("MC203", 8, 13, "error", "port 465 is the SMTP port, but the protocol is POP3; set port: 995"),
    ]


PORT_25 = account(
    """\
    outgoing:
      host: smtp.example.com
      port: 25
      security: starttls
    """
)


def test_mc204_smtp_port_25_submission_fails() -> None:
    assert findings_of("MC204", PORT_25) == [
        (7, 13, "warning", "port 25 is for relay between servers and often blocked; submit on port: 465 with "
         "security: tls"),
    ]  # fmt: skip


def test_mc204_passes_on_465() -> None:
    text = PORT_25.replace("port: 25", "port: 465").replace("security: starttls", "security: tls")
    assert findings_of("MC204", text) == []


def test_mc204_accepts_a_local_mta() -> None:
    assert findings_of("MC204", PORT_25.replace("smtp.example.com", "localhost")) == []


NO_AUTH = account(
    """\
    outgoing:
      host: smtp.example.com
      auth: none
    """
)


def test_mc205_submission_without_auth_fails() -> None:
    assert findings_of("MC205", NO_AUTH) == [
        (7, 13, "error", "submission to smtp.example.com without authentication; set auth: password with a "
         "password_command (or oauth2 with a token_command)"),
    ]  # fmt: skip


def test_mc205_is_a_warning_on_loopback() -> None:
    assert [(line, sev) for line, _, sev, _ in findings_of("MC205", NO_AUTH.replace("smtp.example.com", "::1"))] == [
        (7, "warning")
    ]


def test_mc205_passes_with_a_login() -> None:
    text = NO_AUTH.replace("auth: none", "auth: password\n      password_command: pass show mail/work")
    assert findings_of("MC205", text) == []
