"""MC303, MC601-MC604: provider policy, read from mailconf/data/providers.json."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailconf.rules import providers
from tests.rules.helpers import findings_of


def one(address: str, side: str, host: str, protocol: str = "imap", auth: str = "password") -> str:
    proto = f"      protocol: {protocol}\n" if side == "incoming" else ""
    login = "password_command: pass show mail/x" if auth == "password" else "token_command: oama access x"
    return (
        "version: 1\naccounts:\n  me:\n"
        f"    address: {address}\n"
        f"    {side}:\n{proto}"
        f"      host: {host}\n"
        f"      auth: {auth}\n"
        f"      {login}\n"
    )


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


def test_mc601_google_password_auth_fails() -> None:
    assert findings_of("MC601", one("alice@gmail.com", "incoming", "imap.gmail.com")) == [(8, 13, "warning", GOOGLE)]


def test_mc601_matches_host_case_and_trailing_dot() -> None:
    assert findings_of("MC601", one("alice@gmail.com", "outgoing", "SMTP.Gmail.com.")) == [(7, 13, "warning", GOOGLE)]


def test_mc601_passes_with_oauth2() -> None:
    assert findings_of("MC601", one("alice@gmail.com", "incoming", "imap.gmail.com", auth="oauth2")) == []


def test_mc602_m365_basic_auth_imap_pop_fails() -> None:
    assert findings_of("MC602", one("alice@example.com", "incoming", "outlook.office365.com", "pop3")) == [
        (8, 13, "error", M365)
    ]


def test_mc602_passes_with_oauth2() -> None:
    text = one("alice@example.com", "incoming", "outlook.office365.com", auth="oauth2")
    assert findings_of("MC602", text) == []


def test_mc603_m365_smtp_basic_auth_fails() -> None:
    assert findings_of("MC603", one("alice@example.com", "outgoing", "smtp.office365.com")) == [
        (7, 13, "warning", M365_SMTP)
    ]


def test_mc603_passes_with_oauth2() -> None:
    text = one("alice@example.com", "outgoing", "smtp.office365.com", auth="oauth2")
    assert findings_of("MC603", text) == []


def test_mc604_outlook_consumer_basic_auth_fails_on_consumer_hosts() -> None:
    assert findings_of("MC604", one("bob@outlook.com", "outgoing", "smtp-mail.outlook.com")) == [
        (7, 13, "error", OUTLOOK)
    ]


def test_mc604_owns_consumer_addresses_on_office365_hosts() -> None:
    text = one("bob@hotmail.com", "incoming", "outlook.office365.com")
    assert findings_of("MC604", text) == [(8, 13, "error", OUTLOOK)]
    assert findings_of("MC602", text) == []


def test_mc604_passes_with_oauth2() -> None:
    text = one("bob@hotmail.com", "incoming", "outlook.office365.com", auth="oauth2")
    assert findings_of("MC604", text) == []


def test_mc604_leaves_business_addresses_to_mc602() -> None:
    assert findings_of("MC604", one("alice@example.com", "incoming", "outlook.office365.com")) == []


def test_every_entry_names_a_registered_rule_a_date_and_a_source() -> None:
    from mailconf.rules import RULES

    data = json.loads(providers.DATA_FILE.read_text(encoding="utf-8"))
    assert data["checked"] == "2026-11-28"
    for entry in data["providers"]:
        assert entry["rule"] in RULES
        assert len(entry["since"]) == 10 and entry["since"][4] == "-"
        assert entry["source"]
    assert {p.rule for p in providers.policies()} == {"MC601", "MC602", "MC603", "MC604"}


@pytest.fixture
def oauth_only_provider(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A data file with one generic (MC303) entry, as a new provider would be added."""
    data = json.loads(providers.DATA_FILE.read_text(encoding="utf-8"))
    data["providers"].append(
        {
            "rule": "MC303",
            "provider": "Example Mail",
            "hosts": ["imap.oauth-only.example"],
            "protocols": ["imap"],
            "since": "2025-01-01",
            "severity": "error",
            "summary": "Example Mail accepts only OAuth2 since 2025-01-01",
            "source": "https://oauth-only.example/policy",
        }
    )
    path = tmp_path / "providers.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setattr(providers, "DATA_FILE", path)
    yield


def test_mc303_generic_provider_entry_fails(oauth_only_provider: None) -> None:
    assert findings_of("MC303", one("a@oauth-only.example", "incoming", "imap.oauth-only.example")) == [
        (8, 13, "error", "Example Mail accepts only OAuth2 since 2025-01-01; set auth: oauth2 with a token_command")
    ]


def test_mc303_passes_with_oauth2(oauth_only_provider: None) -> None:
    text = one("a@oauth-only.example", "incoming", "imap.oauth-only.example", auth="oauth2")
    assert findings_of("MC303", text) == []


def test_mc303_has_no_shipped_entries() -> None:
    assert findings_of("MC303", one("alice@gmail.com", "incoming", "imap.gmail.com")) == []
