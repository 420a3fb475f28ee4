"""MC101-MC105: transport security."""

from __future__ import annotations

from tests.conftest import brief, lint_text
from tests.rules.helpers import account, findings_of

CLEARTEXT_LOGIN = account(
    """\
    incoming:
      protocol: imap
      host: imap.example.com
      security: none
      password_command: pass show mail/work
    """
)


def test_mc101_cleartext_credentials_fails() -> None:
    assert findings_of("MC101", CLEARTEXT_LOGIN) == [
        (8, 17, "error", "password login to imap.example.com without TLS sends the credentials in cleartext; "
         "set security: tls (port 993)"),
    ]  # fmt: skip


def test_mc101_passes_with_tls() -> None:
    assert findings_of("MC101", CLEARTEXT_LOGIN.replace("security: none", "security: tls")) == []


NO_TLS_NO_LOGIN = account(
    """\
    outgoing:
      host: relay.example.com
      port: 587
      security: none
      auth: none
    """
)


def test_mc102_cleartext_connection_fails() -> None:
    assert findings_of("MC102", NO_TLS_NO_LOGIN) == [
        (8, 17, "warning", "SMTP to relay.example.com without TLS: mail can be read and changed on the way; "
         "set security: tls (port 465)"),
    ]  # fmt: skip


def test_mc102_is_info_on_loopback() -> None:
    assert findings_of("MC102", NO_TLS_NO_LOGIN.replace("relay.example.com", "127.0.0.1")) == [
        (8, 17, "info", "SMTP to loopback host 127.0.0.1 without TLS: the traffic stays on this machine; "
         "set security: tls (port 465) if it ever points elsewhere"),
    ]  # fmt: skip


def test_mc102_passes_with_tls() -> None:
    text = NO_TLS_NO_LOGIN.replace("security: none", "security: tls").replace("587", "465")
    assert findings_of("MC102", text) == []


def test_mc102_leaves_logins_to_mc101() -> None:
    assert [r for r, _, _ in brief(lint_text(CLEARTEXT_LOGIN)) if r in ("MC101", "MC102")] == ["MC101"]


OPTIONAL = account(
    """\
    incoming:
      protocol: imap
      host: imap.example.com
      port: 143
      security: starttls-optional
    """
)


def test_mc103_starttls_opportunistic_fails() -> None:
    assert findings_of("MC103", OPTIONAL) == [
        (9, 17, "error", "starttls-optional continues in cleartext when STARTTLS is missing or stripped by an "
         "attacker; set security: tls (implicit TLS) or security: starttls"),
    ]  # fmt: skip


def test_mc103_passes_with_required_starttls() -> None:
    assert findings_of("MC103", OPTIONAL.replace("starttls-optional", "starttls")) == []


def test_mc103_points_into_defaults() -> None:
    text = (
        "version: 1\ndefaults:\n  security: starttls-optional\naccounts:\n  work:\n    address: a@example.com\n"
        "    incoming: {protocol: imap, host: imap.example.com}\n"
        "    outgoing: {host: smtp.example.com}\n"
    )
    assert [(line, col) for line, col, _, _ in findings_of("MC103", text)] == [(3, 13)]


STARTTLS = account(
    """\
    incoming:
      protocol: imap
      host: imap.example.com
      security: starttls
    outgoing:
      host: smtp.example.com
      security: starttls
    """
)


def test_mc104_prefer_implicit_tls_warns_for_imap_and_informs_for_smtp() -> None:
    assert findings_of("MC104", STARTTLS) == [
        (8, 17, "warning", "IMAP to imap.example.com uses STARTTLS; implicit TLS avoids the cleartext phase "
         "and its injection bugs: set security: tls and port: 993"),
        (11, 17, "info", "SMTP to smtp.example.com uses STARTTLS; implicit TLS avoids the cleartext phase "
         "and its injection bugs: set security: tls and port: 465"),
    ]  # fmt: skip


def test_mc104_passes_with_implicit_tls() -> None:
    assert findings_of("MC104", STARTTLS.replace("security: starttls", "security: tls")) == []


OLD_TLS = account(
    """\
    incoming:
      protocol: imap
      host: imap.example.com
      tls:
        min_version: "1.1"
    """
)


def test_mc105_tls_version_too_low_fails() -> None:
    assert findings_of("MC105", OLD_TLS) == [
        (9, 22, "error", 'min_version 1.1 accepts TLS versions deprecated by RFC 8996; set min_version: "1.2" '
         "(without the key, msmtp and other GnuTLS clients still accept TLS 1.0)"),
    ]  # fmt: skip


def test_mc105_passes_with_tls_1_2() -> None:
    assert findings_of("MC105", OLD_TLS.replace('"1.1"', '"1.2"')) == []
