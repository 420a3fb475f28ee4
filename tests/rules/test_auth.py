"""MC301-MC302: authentication."""

from __future__ import annotations

from tests.rules.helpers import account, findings_of

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
