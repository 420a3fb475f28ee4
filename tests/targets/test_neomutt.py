"""Target neomutt: the real neomutt reads every rendered file back (`neomutt -n -F RC -Q var`, `-D`).

The checks are the mutt tests' (test_mutt.py), run through neomutt with its own variable names, the
combinations it expresses and its own gaps.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from tests.conftest import EXAMPLES, need
from tests.targets import _mutt_client as mc
from tests.targets.test_mutt import (
    _ENCODED_ORGANIZATION_CASES,
    _ENCODED_WORD_CASES,
    GAPS,
    NEOMUTT_GAPS,
    USER_127,
    check_combinations,
    check_examples,
    check_gap,
    check_hostile,
    combinations,
    hostile_accounts,
)
from tests.targets.test_mutt import test_a_blank_organization_is_a_gap_and_no_header_as_the_client_sends_none as _blank
from tests.targets.test_mutt import (
    test_an_encoded_word_in_display_name_is_sent_as_text_unless_inside_a_word as _encoded_word,
)
from tests.targets.test_mutt import (
    test_an_encoded_word_in_organization_is_sent_as_text_unless_inside_a_word as _encoded_organization,
)
from tests.targets.test_mutt import test_auth_none_sends_without_logging_in as _auth_none
from tests.targets.test_mutt import test_imap_smtp_account_file as _account_file
from tests.targets.test_mutt import test_reads_mail_from_dovecot as _reads
from tests.targets.test_mutt import test_sends_through_a_real_smtp_server as _sends
from tests.targets.test_mutt import test_server_without_starttls as _without_starttls
from tests.targets.test_mutt import test_the_client_cuts_a_user_name_after_127_bytes as _cuts
from tests.targets.test_mutt import test_the_client_cuts_the_from_header_after_1023_bytes as _cuts_from
from tests.targets.test_mutt import (
    test_without_a_display_name_no_name_comes_from_the_password_file as _no_display_name,
)

BINARY = "neomutt"


@pytest.fixture
def client(tmp_path: Path) -> mc.Client:
    need(BINARY)
    home = tmp_path / "home"
    home.mkdir()
    return mc.Client(BINARY, home)


def test_every_combination_is_read_back(client: mc.Client, tmp_path: Path) -> None:
    """IMAP: password, oauth2, gssapi; POP3: password, oauth2 (OAUTHBEARER); SMTP: password, oauth2, none."""
    combos = [
        c
        for c in combinations(("password", "oauth2", "gssapi"), ("password", "oauth2", "none"))
        if not (c[0] == "pop3" and c[2] == "gssapi")
    ]
    assert len(combos) == 24
    check_combinations(client, tmp_path, combos)


def test_imap_smtp_account_file(client: mc.Client, tmp_path: Path) -> None:
    _account_file(client, tmp_path)


def test_without_a_display_name_no_name_comes_from_the_password_file(client: mc.Client, tmp_path: Path) -> None:
    _no_display_name(client, tmp_path)


@pytest.mark.parametrize(("security", "sent"), [("starttls", False), ("none", True)])
def test_server_without_starttls(client: mc.Client, tmp_path: Path, security: str, sent: bool) -> None:
    _without_starttls(client, tmp_path, security, sent)


def test_auth_none_sends_without_logging_in(client: mc.Client, tmp_path: Path) -> None:
    _auth_none(client, tmp_path)


@pytest.mark.parametrize(
    ("protocol", "security", "leave"),
    [("imap", "tls", None), ("imap", "starttls", None), ("pop3", "tls", True), ("pop3", "starttls", False)],
)
def test_reads_mail_from_dovecot(
    client: mc.Client, tmp_path: Path, protocol: str, security: str, leave: bool | None
) -> None:
    _reads(client, tmp_path, protocol, security, leave)


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_sends_through_a_real_smtp_server(client: mc.Client, tmp_path: Path, security: str) -> None:
    _sends(client, tmp_path, security)


@pytest.mark.parametrize("declared", [USER_127, USER_127 + "x"])
def test_the_client_cuts_a_user_name_after_127_bytes(client: mc.Client, tmp_path: Path, declared: str) -> None:
    _cuts(client, tmp_path, declared)


@pytest.mark.parametrize(("count", "whole"), [(144, True), (148, True), (149, False)])
def test_the_client_cuts_the_from_header_after_1023_bytes(
    client: mc.Client, tmp_path: Path, count: int, whole: bool
) -> None:
    _cuts_from(client, tmp_path, count, whole)


@pytest.mark.parametrize(("name", "account", "lines"), GAPS + NEOMUTT_GAPS, ids=[g[0] for g in GAPS + NEOMUTT_GAPS])
def test_gap(
    name: str, account: dict[str, Any], lines: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    need(BINARY)
    check_gap(BINARY, tmp_path, capsys, account, lines)


# No shrinking: each example runs the client several times, and a failure prints the whole account anyway.
@settings(
    max_examples=25,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(case=hostile_accounts())
def test_hostile_values_read_back_exactly(
    case: tuple[dict[str, Any], dict[str, str]], client: mc.Client, tmp_path: Path
) -> None:
    check_hostile(client, tmp_path, *case)


def test_examples_are_read_by_neomutt(client: mc.Client, tmp_path: Path) -> None:
    check_examples(client, tmp_path)


def test_the_title_names_the_files_render_writes(tmp_path: Path) -> None:
    # `mailconf targets` said "one neomuttrc per account" while render writes <account>.muttrc
    from mailconf.cli import main
    from mailconf.targets import TARGETS

    assert main(["render", "-t", BINARY, "-q", str(EXAMPLES / "company.yaml"), "-o", str(tmp_path)]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names and all(n.endswith(".muttrc") for n in names)
    assert "one muttrc per account, <account>.muttrc" in TARGETS[BINARY].TITLE


@pytest.mark.parametrize(("name", "from_line"), _ENCODED_WORD_CASES, ids=[c[0] for c in _ENCODED_WORD_CASES])
def test_an_encoded_word_in_display_name_is_sent_as_text_unless_inside_a_word(
    client: mc.Client, tmp_path: Path, name: str, from_line: str | None
) -> None:
    _encoded_word(client, tmp_path, name, from_line)


@pytest.mark.parametrize(("organization", "gapped"), _ENCODED_ORGANIZATION_CASES)
def test_an_encoded_word_in_organization_is_sent_as_text_unless_inside_a_word(
    client: mc.Client, tmp_path: Path, organization: str, gapped: bool
) -> None:
    _encoded_organization(client, tmp_path, organization, gapped)


@pytest.mark.parametrize("organization", [" ", "   "])
def test_a_blank_organization_is_a_gap_and_no_header_as_the_client_sends_none(
    client: mc.Client, tmp_path: Path, organization: str
) -> None:
    _blank(client, tmp_path, organization)
