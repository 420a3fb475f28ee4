"""MC401-MC403: secrets. No message ever contains the secret."""

from __future__ import annotations

import pytest

from mailconf.rules.mc402_literal_password_command import prints_literal
from tests.conftest import lint_text
from tests.rules.helpers import account, findings_of

LITERAL = account(
    """\
    incoming:
      protocol: imap
      host: imap.example.com
      password: hunter2-secret
    """
)


def test_mc401_plaintext_password_fails_without_echoing_it() -> None:
    assert findings_of("MC401", LITERAL) == [
        (8, 17, "error", "a literal password is in the file (not shown here); remove it, set password_command "
         "(e.g. pass show mail/work), and change the password if the file was ever shared"),
    ]  # fmt: skip
    assert all("hunter2" not in str(f) for f in lint_text(LITERAL))


def test_mc401_passes_with_a_password_command() -> None:
    assert findings_of("MC401", LITERAL.replace("password: hunter2-secret", "password_command: pass show w")) == []


ECHO = account(
    """\
    incoming:
      protocol: imap
      host: imap.example.com
      password_command: echo hunter2-secret
    outgoing:
      host: smtp.example.com
      auth: oauth2
      token_command: cat <<< 'ya29.token'
    """
)


def test_mc402_literal_password_command_fails_without_echoing_it() -> None:
    assert findings_of("MC402", ECHO) == [
        (8, 25, "error", "password_command only prints a literal, so the secret is in the file (not shown here); "
         "read it from a secret store instead (e.g. pass show mail/work)"),
        (12, 22, "error", "token_command only prints a literal, so the secret is in the file (not shown here); "
         "read it from a secret store instead (e.g. pass show mail/work)"),
    ]  # fmt: skip
    assert all("hunter2" not in str(f) and "ya29" not in str(f) for f in lint_text(ECHO))


def test_mc402_passes_with_a_secret_store() -> None:
    text = ECHO.replace("echo hunter2-secret", "pass show mail/work").replace(
        "cat <<< 'ya29.token'", "oama access alice@example.com"
    )
    assert findings_of("MC402", text) == []


@pytest.mark.parametrize(
    ("command", "literal"),
    [
        ("echo secret", True),
        ("echo -n 'two words'", True),
        ("/bin/echo secret", True),
        ('printf "%s\\n" secret', True),
        ("cat <<< secret", True),
        ("cat<<<'secret'", True),
        ("echo", False),
        ("echo -n", False),
        ("echo $MAIL_PASSWORD", False),
        ("echo `pass show x`", False),
        ('printf %s "$(pass show x)"', False),
        ("pass show mail/work | head -1", False),
        ("echo 'unbalanced", False),
        ("cat ~/.secret", False),
        ("echo secret; pass show x", False),
    ],
)
def test_mc402_recognises_only_literal_printers(command: str, literal: bool) -> None:
    assert prints_literal(command) is literal


def host(value: str) -> str:
    return account(f"incoming:\n  protocol: imap\n  host: {value}\n")


@pytest.mark.parametrize(
    ("value", "what"),
    [
        ('"alice:hunter2@imap.example.com"', "a user name and password"),
        ('"imaps://alice:hunter2@imap.example.com:993"', "a user name and password"),
        ("alice@imap.example.com", "a user name"),
    ],
)
def test_mc403_credentials_in_host_fails_without_echoing_them(value: str, what: str) -> None:
    findings = lint_text(host(value))
    assert [(f.rule, f.location.line, f.location.column, f.message) for f in findings] == [
        ("MC403", 7, 13, f"host contains {what} before '@' (not shown here); write only the host name, "
         "put the login in username: and the password behind password_command"),
    ]  # fmt: skip
    assert all("hunter2" not in str(f) and "alice" not in str(f) for f in findings)


def test_mc403_passes_with_a_bare_host() -> None:
    assert findings_of("MC403", host("imap.example.com")) == []


def test_mc403_also_covers_defaults() -> None:
    text = (
        "version: 1\ndefaults:\n  outgoing:\n    host: u:pw@smtp.example.com\naccounts:\n"
        "  work: {address: a@example.com, outgoing: {host: smtp.example.com}}\n"
    )
    assert [(f.rule, f.location.line, f.location.column) for f in lint_text(text)] == [("MC403", 4, 11)]
