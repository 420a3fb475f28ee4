"""MC301, MC302, MC304, MC305: authentication (MC303: tests/rules/test_providers.py)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from mailconf.model import CREDENTIAL_COMMAND, Auth, Protocol, Security, Server
from mailconf.rules import FIXES
from tests.rules.helpers import account, findings_of
from tests.test_cli import run_mailconf

WEAK = account(
    """\
    incoming:
      protocol: imap
      host: imap.example.com
      password_command: pass show mail/work
      mechanisms: [plain, cram-md5]
    outgoing:
      host: smtp.example.com
      auth: ntlm
      password_command: pass show mail/work
    """
)
FIX = "use scram-sha-256 where offered, else plain inside TLS"


def test_mc301_weak_sasl_mechanism_fails() -> None:
    assert findings_of("MC301", WEAK) == [
        (9, 27, "warning", f"CRAM-MD5 no longer protects the password and needs it stored reversibly; {FIX}"),
        (12, 13, "warning", f"auth: ntlm rests on MD4 and is cracked offline; {FIX} (auth: password)"),
    ]


def test_mc301_points_into_defaults() -> None:
    text = (
        "version: 1\ndefaults:\n  mechanisms:\n    - digest-md5\naccounts:\n  work:\n    address: a@example.com\n"
        "    incoming: {protocol: imap, host: imap.example.com, password_command: pass show x}\n"
    )
    assert findings_of("MC301", text) == [
        (4, 7, "warning", f"DIGEST-MD5 no longer protects the password and needs it stored reversibly; {FIX}"),
    ]


def test_mc301_passes_with_scram() -> None:
    text = WEAK.replace("cram-md5", "scram-sha-256").replace("auth: ntlm", "auth: password")
    assert findings_of("MC301", text) == []


NO_TOKEN = account(
    """\
    incoming:
      protocol: imap
      host: imap.gmail.com
      auth: oauth2
    """
)


def test_mc302_oauth2_incomplete_fails() -> None:
    assert findings_of("MC302", NO_TOKEN) == [
        (8, 13, "error", "auth: oauth2 for imap.gmail.com has no token_command; add one that prints an access "
         "token (e.g. oama access <address>)"),
    ]  # fmt: skip


def test_mc302_passes_with_a_token_command() -> None:
    text = NO_TOKEN + "      token_command: oama access alice@example.com\n"
    assert findings_of("MC302", text) == []


TOKEN_AS_PASSWORD = account(
    """\
    incoming:
      protocol: imap
      host: imap.example.com
      auth: oauth2
      token_command: oama access alice@example.com
      mechanisms: [xoauth2, plain]
    outgoing:
      host: smtp.example.com
      auth: oauth2
      token_command: oama access alice@example.com
      mechanisms:
        - login
        - oauthbearer
    """
)
AS_PASSWORD = "but auth: oauth2 gives an OAuth2 access token: the token would be sent as a password; name xoauth2 " \
    "or oauthbearer, or set auth: password"  # fmt: skip


def test_mc304_a_token_sent_as_a_password_fails_at_the_item() -> None:
    assert findings_of("MC304", TOKEN_AS_PASSWORD) == [
        (10, 29, "error", f"PLAIN sends a password {AS_PASSWORD}"),
        (16, 11, "error", f"LOGIN sends a password {AS_PASSWORD}"),
    ]


def test_mc304_a_password_sent_as_a_token_fails() -> None:
    text = account(
        """\
        incoming:
          protocol: imap
          host: imap.example.com
          password_command: pass show mail/work
          mechanisms: [xoauth2]
        outgoing:
          host: smtp.example.com
          auth: ntlm
          password_command: pass show mail/work
          mechanisms: [oauthbearer]
        """
    )
    fix = "name {}, or set auth: oauth2"
    assert findings_of("MC304", text) == [
        (9, 20, "error", "XOAUTH2 sends an OAuth2 access token but auth: password (the default) gives a password: "
         "the password would be sent as an OAuth2 access token; "
         + fix.format("a password mechanism (scram-sha-256, plain, login...)")),
        (14, 20, "error", "OAUTHBEARER sends an OAuth2 access token but auth: ntlm gives a password: the password "
         "would be sent as an OAuth2 access token; " + fix.format("ntlm")),
    ]  # fmt: skip


def test_mc304_points_into_defaults_once() -> None:
    text = (
        "version: 1\ndefaults:\n  auth: oauth2\n  mechanisms: [scram-sha-256]\naccounts:\n  work:\n"
        "    address: a@example.com\n"
        "    incoming: {protocol: imap, host: imap.example.com, token_command: oama access a@example.com}\n"
        "    outgoing: {host: smtp.example.com, token_command: oama access a@example.com}\n"
    )
    assert findings_of("MC304", text) == [(4, 16, "error", f"SCRAM-SHA-256 sends a password {AS_PASSWORD}")]


def test_mc304_passes_when_auth_and_mechanisms_agree() -> None:
    agree = TOKEN_AS_PASSWORD.replace("xoauth2, plain", "xoauth2").replace("- login", "- xoauth2")
    password = account(
        """\
        incoming: {protocol: imap, host: imap.example.com, password_command: pass show x,
                   mechanisms: [scram-sha-256, plain, ntlm]}
        outgoing: {host: smtp.example.com, auth: ntlm, password_command: pass show x, mechanisms: [ntlm, login]}
        """
    )
    assert findings_of("MC304", agree) == []
    assert findings_of("MC304", password) == []


def test_mc304_has_no_fix(tmp_path: Path) -> None:
    """Which of the two settings is wrong is the user's call: --fix leaves the file as it was."""
    path = tmp_path / "accounts.yaml"
    path.write_text(TOKEN_AS_PASSWORD, encoding="utf-8")
    outcome = run_mailconf("lint", "--fix", "--unsafe-fixes", "accounts.yaml", cwd=tmp_path)
    assert (outcome.code, outcome.stderr) == (1, "mailconf: fixed 0 findings in 0 files\n")
    assert outcome.stdout.splitlines() == [
        f"accounts.yaml:10:29: error MC304 mechanism-contradicts-auth: PLAIN sends a password {AS_PASSWORD}",
        f"accounts.yaml:16:11: error MC304 mechanism-contradicts-auth: LOGIN sends a password {AS_PASSWORD}",
        "2 errors in 1 file",
    ]
    assert path.read_text(encoding="utf-8") == TOKEN_AS_PASSWORD
    assert "MC304" not in FIXES


NO_SECRET = "the client would ask for a password or fail"
OTHERS = "which no mechanism listed uses: the clients that honour mechanisms would log in with"


@pytest.mark.parametrize(
    ("auth", "mechanisms", "column", "message"),
    [
        ("none", "[plain]", 20, f"PLAIN sends a password but auth: none does not log in: {NO_SECRET}; remove "
         "mechanisms, or set auth: password"),
        ("none", "[gssapi]", 20, "GSSAPI logs in with a Kerberos ticket but auth: none does not log in; remove "
         "mechanisms, or set auth: gssapi"),
        ("client-cert", "[external, plain]", 30, "PLAIN sends a password but auth: client-cert gives a TLS client "
         f"certificate: {NO_SECRET}; name external, or set auth: password"),
        ("gssapi", "[gssapi, login]", 28, "LOGIN sends a password but auth: gssapi gives a Kerberos ticket: "
         f"{NO_SECRET}; name gssapi, or set auth: password"),
        ("password", "[gssapi]", 20, "GSSAPI logs in with a Kerberos ticket but auth: password gives a password, "
         f"{OTHERS} a Kerberos ticket, the others as auth says; name a password mechanism (scram-sha-256, plain, "
         "login...), or set auth: gssapi"),
        ("oauth2", "[external]", 20, "EXTERNAL logs in with a TLS client certificate but auth: oauth2 gives an OAuth2 "
         f"access token, {OTHERS} a TLS client certificate, the others as auth says; name xoauth2 or oauthbearer, or "
         "set auth: client-cert"),
        ("client-cert", "[gssapi]", 20, "GSSAPI logs in with a Kerberos ticket but auth: client-cert gives a TLS "
         f"client certificate, {OTHERS} a Kerberos ticket, the others as auth says; name external, or set auth: "
         "gssapi"),
    ],
    ids=lambda value: str(value).split()[0].strip("[],"),
)  # fmt: skip
def test_mc304_a_mechanism_without_the_credential_auth_gives_fails(
    auth: str, mechanisms: str, column: int, message: str
) -> None:
    """No secret leaks, but the login is not the one auth declares: msmtp writes auth plain with no password."""
    text = account(
        f"""\
        incoming:
          protocol: imap
          host: imap.example.com
          auth: {auth}
          mechanisms: {mechanisms}
        """
    )
    assert findings_of("MC304", text) == [(9, column, "error", message)]


@pytest.mark.parametrize(
    ("auth", "mechanisms"),
    [
        ("password", "[gssapi, plain]"),  # Kerberos first, else the password: no secret goes astray
        ("oauth2", "[xoauth2, external]"),
        ("client-cert", "[external]"),
        ("gssapi", "[gssapi]"),
        ("ntlm", "[ntlm, plain]"),  # the same password either way (MC301 has its say on NTLM)
    ],
)
def test_mc304_passes_a_fallback_that_sends_no_secret(auth: str, mechanisms: str) -> None:
    text = account(
        f"""\
        incoming:
          protocol: imap
          host: imap.example.com
          auth: {auth}
          mechanisms: {mechanisms}
        """
    )
    assert findings_of("MC304", text) == []


TOKEN_UNDER_PASSWORD = account(
    """\
    outgoing:
      host: smtp.example.com
      token_command: oama access alice@example.com
    """
)
ALONE = (
    "runs password_command, not token_command, and there is no password_command: the client would ask for a "
    "password and never run this command; set auth: oauth2 to log in with the token, or replace it with a "
    "password_command"
)


def test_mc305_a_token_command_alone_under_auth_password_fails_at_the_command(tmp_path: Path) -> None:
    """The mirror of MC302: msmtp would write auth on with no passwordeval, and ask for a password."""
    path = tmp_path / "accounts.yaml"
    path.write_text(TOKEN_UNDER_PASSWORD, encoding="utf-8")
    outcome = run_mailconf("lint", "accounts.yaml", cwd=tmp_path)
    assert (outcome.code, outcome.stderr) == (1, "")
    assert outcome.stdout.splitlines() == [
        f"accounts.yaml:7:22: error MC305 credential-command-unused: auth: password (the default) {ALONE}",
        "1 error in 1 file",
    ]
    ntlm = TOKEN_UNDER_PASSWORD.replace("      token_command", "      auth: ntlm\n      token_command")
    assert findings_of("MC305", ntlm) == [(8, 22, "error", f"auth: ntlm {ALONE}")]


def test_mc305_the_command_auth_does_not_run_next_to_the_one_it_runs_is_a_warning() -> None:
    text = account(
        """\
        incoming:
          protocol: imap
          host: imap.example.com
          password_command: pass show mail/work
          token_command: oama access alice@example.com
        outgoing:
          host: smtp.example.com
          auth: oauth2
          password_command: pass show mail/work
          token_command: oama access alice@example.com
        """
    )
    assert findings_of("MC305", text) == [
        (9, 22, "warning", "auth: password (the default) runs password_command (the password), not "
         "token_command: no target runs it; remove it"),
        (13, 25, "warning", "auth: oauth2 runs token_command (the token), not password_command: no target runs "
         "it; remove it"),
    ]  # fmt: skip


def test_mc305_a_password_command_under_oauth2_without_a_token_command_is_a_warning_next_to_mc302() -> None:
    text = NO_TOKEN + "      password_command: pass show mail/work\n"
    assert findings_of("MC305", text) == [
        (9, 25, "warning", "auth: oauth2 runs token_command, not password_command: no target runs it; set auth: "
         "password to log in with it, or remove it"),
    ]  # fmt: skip
    assert len(findings_of("MC302", text)) == 1


@pytest.mark.parametrize(
    ("auth", "what"),
    [
        ("gssapi", "logs in with a Kerberos ticket"),
        ("client-cert", "logs in with the TLS client certificate"),
        ("none", "does not log in"),
    ],
)
def test_mc305_a_command_under_an_auth_that_runs_none_is_a_warning(auth: str, what: str) -> None:
    text = account(
        f"""\
        incoming:
          protocol: imap
          host: imap.example.com
          auth: {auth}
          token_command: oama access alice@example.com
        """
    )
    assert findings_of("MC305", text) == [
        (9, 22, "warning", f"auth: {auth} {what} and runs no command: no target runs token_command; remove it"),
    ]


def test_mc305_points_into_defaults_once() -> None:
    text = (
        "version: 1\ndefaults:\n  outgoing:\n    token_command: oama access me\naccounts:\n"
        "  work:\n    address: a@example.com\n    outgoing: {host: smtp.example.com}\n"
        "  home:\n    address: b@example.com\n    outgoing: {host: smtp.example.org}\n"
    )
    assert findings_of("MC305", text) == [(4, 20, "error", f"auth: password (the default) {ALONE}")]


def test_mc305_passes_the_command_auth_runs() -> None:
    text = account(
        """\
        incoming: {protocol: imap, host: imap.example.com, password_command: pass show x}
        outgoing: {host: smtp.example.com, auth: oauth2, token_command: oama access a@example.com}
        """
    )
    blank = TOKEN_UNDER_PASSWORD.replace("oama access alice@example.com", '" "')  # MC712's
    assert findings_of("MC305", text) == []
    assert findings_of("MC305", blank) == []


@pytest.mark.parametrize(
    ("auth", "runs"),
    [
        (Auth.PASSWORD, "password_command"),
        (Auth.NTLM, "password_command"),
        (Auth.OAUTH2, "token_command"),
        (Auth.GSSAPI, None),
        (Auth.CLIENT_CERT, None),
        (Auth.NONE, None),
    ],
)
def test_each_auth_runs_the_command_the_model_defines(auth: Auth, runs: str | None) -> None:
    """The one definition MC305 and the targets read: which command each auth runs, and the server's command."""
    server = Server(
        Protocol.IMAP, "imap.example.com", 993, Security.TLS, auth, "alice",
        password_command="pass show mail/work", token_command="oama access alice@example.com",
    )  # fmt: skip
    commands = {"password_command": "pass show mail/work", "token_command": "oama access alice@example.com"}
    assert CREDENTIAL_COMMAND.get(auth) == runs
    assert server.credential_command == (None if runs is None else commands[runs])
    assert replace(server, password_command=None, token_command=None).credential_command is None
