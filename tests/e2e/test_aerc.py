"""aerc 0.14 and 0.20 with the rendered accounts.conf: the Dovecot inbox on a terminal, and sending through SMTP.

Each runs on the file rendered for it (``--option version``); aerc 0.20 is found through
``MAILCONF_AERC_0_20`` (tests/targets/_aerc_client.py), and its tests skip without it.

The rendered file is aerc's only accounts.conf (its own config folder through
``XDG_CONFIG_HOME``; tests/targets/_aerc_client.py), unchanged. The passwords come from the
rendered ``source-cred-cmd`` and ``outgoing-cred-cmd`` (the account's password_command). aerc
0.14 has no CA setting: the test CA is trusted through ``SSL_CERT_FILE``, which Go reads, so
the account file declares no ``tls.ca_file`` (that would be a gap).
"""

from __future__ import annotations

import email
import email.utils
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import (
    ABSOLUTE_LOCALHOST,
    deliver,
    imap_messages,
    logins,
    new_message,
    render,
    server,
)
from tests.servers import ALICE, CAROL, Certificates, Dovecot, SmtpServer, User
from tests.targets._aerc_client import VERSIONS, aerc, aerc_with_absolute_names

#: (security of both servers, the user: carol's password holds every quoting character)
CASES = [("tls", ALICE), ("starttls", CAROL)]


def _server(
    protocol: str, port: int, security: str, user: User, *, certs: Certificates, directory: Path
) -> dict[str, Any]:
    declared = server(protocol, port, security, user, certs=certs, directory=directory)
    del declared["tls"]  # aerc trusts the test CA through SSL_CERT_FILE
    return declared


def _rendered(account: dict[str, Any], directory: Path, version: str) -> bytes:
    files = render("aerc", {"work": account}, directory, "--option", f"version={version}")
    assert list(files) == ["accounts.conf"]
    assert files["accounts.conf"].stat().st_mode & 0o777 == 0o600
    return files["accounts.conf"].read_bytes()


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("security", "user"), CASES)
def test_aerc_shows_the_imap_inbox(  # noqa: PLR0917 (pytest fixtures)
    tmp_path: Path, home: Path, certs: Certificates, dovecot: Dovecot, security: str, user: User, version: str
) -> None:
    port = dovecot.ports.imaps if security == "tls" else dovecot.ports.imap
    incoming = _server("imap", port, security, user, certs=certs, directory=tmp_path)
    conf = _rendered({"address": user.name, "incoming": incoming}, tmp_path, version)
    subject, message = new_message("bob@example.net", user.name)
    deliver(dovecot, user, message)

    with aerc(conf, home, version, SSL_CERT_FILE=str(certs.ca)) as client:
        screen = client.wait_for(subject)

    assert subject in screen, screen  # the INBOX lists the delivered message
    found = logins(dovecot, "imap-login", user)
    assert found and all(", TLS" in line for line in found), found  # as the declared user, over TLS
    assert imap_messages(dovecot, user, certs) == 1


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("security", "user"), CASES)
def test_aerc_sends_through_the_rendered_outgoing_url(  # noqa: PLR0917 (pytest fixtures)
    request: pytest.FixtureRequest,
    tmp_path: Path,
    home: Path,
    certs: Certificates,
    dovecot: Dovecot,
    security: str,
    user: User,
    version: str,
) -> None:
    smtp: SmtpServer = request.getfixturevalue("smtp_starttls" if security == "starttls" else "smtp_tls")
    port = dovecot.ports.imaps if security == "tls" else dovecot.ports.imap
    outgoing = _server("smtp", smtp.port, security, user, certs=certs, directory=tmp_path)
    del outgoing["timeout"]  # aerc has no SMTP timeout setting (a gap)
    account = {
        "address": user.name,
        "display_name": "E2E Test",
        "incoming": _server("imap", port, security, user, certs=certs, directory=tmp_path),
        "outgoing": outgoing,
    }
    conf = _rendered(account, tmp_path, version)
    assert (b"\nsmtp-starttls = yes\n" in conf) is (security == "starttls" and version == "0.14")

    with aerc(conf, home, version, SSL_CERT_FILE=str(certs.ca), EDITOR="true") as client:
        started = client.wait_for("[work] Connected")
        client.term.keys(":compose -H To:bob@example.net -H Subject:e2e-aerc hello", "Enter")
        review = client.wait_for("Send this email?")
        client.term.keys("y")
        screen = client.wait_for("Message sent.")

    assert "Message sent." in screen, (review, screen)
    assert "smtp-starttls is deprecated" not in started, started
    [received] = smtp.messages
    assert received.login == user.name  # the user in the URL, with the password outgoing-cred-cmd printed
    assert (received.mail_from, received.rcpt_tos) == (user.name, ("bob@example.net",))
    message = email.message_from_bytes(received.content)
    assert message["Subject"] == "e2e-aerc"
    assert email.utils.parseaddr(str(message["From"])) == ("E2E Test", user.name)


#: IMAP names and passwords that getmail's and offlineimap3's LOGIN cannot send as written; aerc sends them exactly
ODD_USERS = [User("al ice%x*y", 'pä "\\x'), User("ümlaut", "pässwörd")]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("user", ODD_USERS, ids=["blank-quote-backslash", "non-ascii"])
def test_aerc_logs_in_with_the_user_name_and_password_as_written(
    tmp_path: Path, home: Path, certs: Certificates, user: User, version: str
) -> None:
    with Dovecot(certs.good, ODD_USERS, any_username=True) as dovecot:  # Dovecot's default refuses these names
        incoming = _server("imap", dovecot.ports.imaps, "tls", user, certs=certs, directory=tmp_path)
        conf = _rendered({"address": "a@example.org", "incoming": incoming}, tmp_path, version)
        subject, message = new_message("bob@example.net", "a@example.org")
        deliver(dovecot, user, message)

        with aerc(conf, home, version, SSL_CERT_FILE=str(certs.ca)) as client:
            screen = client.wait_for(subject)

        assert subject in screen, screen
        assert len(logins(dovecot, "imap-login", user)) == 1  # as the name declared, with the password declared


@pytest.mark.parametrize("host", [ABSOLUTE_LOCALHOST, "127.0.0.1"])
@pytest.mark.parametrize("version", VERSIONS)
def test_aerc_reads_and_sends_with_a_trailing_dot_or_an_ip_address_as_the_host(  # noqa: PLR0917 (pytest fixtures)
    tmp_path: Path,
    home: Path,
    certs: Certificates,
    dovecot: Dovecot,
    smtp_tls: SmtpServer,
    capsys: pytest.CaptureFixture[str],
    version: str,
    host: str,
) -> None:
    # getmail and offlineimap3 match localhost. against the certificate's names as written, and offlineimap3 and
    # fetchmail do not match an address against the certificate's IP addresses (gaps there); Go's certificate check
    # ignores the dot (crypto/x509 matchHostnames) and matches 127.0.0.1, which the test certificate lists, so aerc
    # needs no gap for either
    incoming = _server("imap", dovecot.ports.imaps, "tls", ALICE, certs=certs, directory=tmp_path)
    outgoing = _server("smtp", smtp_tls.port, "tls", ALICE, certs=certs, directory=tmp_path)
    del outgoing["timeout"]  # aerc has no SMTP timeout setting (a gap)
    account = {"address": ALICE.name, "incoming": incoming | {"host": host}, "outgoing": outgoing | {"host": host}}
    capsys.readouterr()
    conf = _rendered(account, tmp_path, version)
    assert capsys.readouterr().err == ""  # no gap
    assert f"@{host}:{dovecot.ports.imaps}`".encode() in conf
    subject, message = new_message("bob@example.net", ALICE.name)
    deliver(dovecot, ALICE, message)

    client_in = aerc_with_absolute_names if host == ABSOLUTE_LOCALHOST else aerc  # localhost. resolves there only
    with client_in(conf, home, version, SSL_CERT_FILE=str(certs.ca), EDITOR="true") as client:
        listed = client.wait_for(subject)
        client.term.keys(":compose -H To:bob@example.net -H Subject:e2e-aerc hello", "Enter")
        review = client.wait_for("Send this email?")
        client.term.keys("y")
        screen = client.wait_for("Message sent.")

    assert subject in listed, listed
    assert "Message sent." in screen, (review, screen)
    assert len(logins(dovecot, "imap-login", ALICE)) == 1
    [received] = smtp_tls.messages
    assert (received.login, received.mail_from) == (ALICE.name, ALICE.name)
