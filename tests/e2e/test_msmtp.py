"""msmtp sends through the rendered ~/.msmtprc: STARTTLS and implicit TLS, password from passwordeval."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import need
from tests.e2e.conftest import ABSOLUTE_LOCALHOST, CLIENT_TIMEOUT, absolute_names, client_env, render, server
from tests.servers import ALICE, CAROL, Certificates, SmtpServer, User


def _send(
    rc: Path, account: str, home: Path, recipient: str, subject: str, *, absolute: bool = False
) -> subprocess.CompletedProcess[bytes]:
    """msmtp sends a message; ``absolute``: where ``localhost.`` resolves too (:func:`absolute_names`)."""
    binary = need("msmtp")["msmtp"]
    argv = [binary, "-C", str(rc), "-a", account, recipient]
    return subprocess.run(
        absolute_names(argv, home.parent) if absolute else argv,
        input=f"Subject: {subject}\r\n\r\nhello from msmtp\r\n".encode(),
        capture_output=True,
        env=client_env(home),
        timeout=CLIENT_TIMEOUT,
        check=False,
    )


@pytest.mark.parametrize(
    ("security", "user"),
    [("starttls", ALICE), ("tls", CAROL)],  # carol's password holds every quoting character
)
def test_msmtp_sends_with_the_rendered_file(  # noqa: PLR0917 (pytest fixtures)
    request: pytest.FixtureRequest, tmp_path: Path, home: Path, certs: Certificates, security: str, user: User
) -> None:
    smtp: SmtpServer = request.getfixturevalue("smtp_starttls" if security == "starttls" else "smtp_tls")
    outgoing = server("smtp", smtp.port, security, user, certs=certs, directory=tmp_path)
    files = render("msmtp", {"work": {"address": user.name, "outgoing": outgoing}}, tmp_path)
    assert list(files) == [".msmtprc"]
    rc = files[".msmtprc"]
    text = rc.read_text()
    assert f'passwordeval "{outgoing["password_command"]}"' in text
    assert ("tls_starttls on" if security == "starttls" else "tls_starttls off") in text

    done = _send(rc, "work", home, "bob@example.net", f"via {security}")

    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    assert len(smtp.messages) == 1
    received = smtp.messages[0]
    assert received.login == user.name  # authenticated as the declared user, with the password the command printed
    assert received.mail_from == user.name  # msmtp's from: the account's address
    assert received.rcpt_tos == ("bob@example.net",)
    assert f"Subject: via {security}".encode() in received.content
    assert b"hello from msmtp" in received.content


def test_msmtp_refuses_the_wrong_password(
    tmp_path: Path, home: Path, certs: Certificates, smtp_tls: SmtpServer
) -> None:
    """The password really comes from the command: a command that prints a wrong one fails to send."""
    outgoing = server(
        "smtp", smtp_tls.port, "tls", ALICE, certs=certs, directory=tmp_path, password_command="printf %s wrong"
    )
    rc = render("msmtp", {"work": {"address": ALICE.name, "outgoing": outgoing}}, tmp_path)[".msmtprc"]

    done = _send(rc, "work", home, "bob@example.net", "wrong password")

    assert done.returncode == 77, done.stderr.decode("utf-8", "replace")  # EX_NOPERM: authentication failed
    assert smtp_tls.messages == []


def test_msmtp_reaches_a_pinned_self_signed_server(tmp_path: Path, home: Path, certs: Certificates) -> None:
    """tls.fingerprint (SHA-256) becomes tls_fingerprint: no CA file, a self-signed certificate, sent."""
    with SmtpServer(certs.self_signed, implicit=True) as smtp:
        pin = {"fingerprint": certs.fingerprint(certs.self_signed)}
        outgoing = server("smtp", smtp.port, "tls", ALICE, certs=certs, directory=tmp_path, tls=pin)
        rc = render("msmtp", {"work": {"address": ALICE.name, "outgoing": outgoing}}, tmp_path)[".msmtprc"]
        assert "tls_trust_file" not in rc.read_text()

        done = _send(rc, "work", home, "bob@example.net", "pinned")

        assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
        assert [m.login for m in smtp.messages] == [ALICE.name]


def test_msmtp_refuses_a_server_whose_certificate_is_not_the_pinned_one(
    tmp_path: Path, home: Path, certs: Certificates, smtp_tls: SmtpServer
) -> None:
    """The control: a pin of another certificate (the self-signed one) refuses the CA-signed server."""
    pin = {"fingerprint": certs.fingerprint(certs.self_signed)}
    outgoing = server("smtp", smtp_tls.port, "tls", ALICE, certs=certs, directory=tmp_path, tls=pin)
    rc = render("msmtp", {"work": {"address": ALICE.name, "outgoing": outgoing}}, tmp_path)[".msmtprc"]

    done = _send(rc, "work", home, "bob@example.net", "wrong pin")

    assert done.returncode == 69, done.stderr.decode("utf-8", "replace")  # EX_UNAVAILABLE: TLS refused
    assert smtp_tls.messages == []


@pytest.mark.parametrize("pinned", [False, True], ids=["ca", "sha256-pin"])
def test_a_host_with_a_trailing_dot_fails_the_name_check_as_the_gap_says(  # noqa: PLR0917 (pytest fixtures)
    tmp_path: Path,
    home: Path,
    certs: Certificates,
    smtp_tls: SmtpServer,
    capsys: pytest.CaptureFixture[str],
    pinned: bool,
) -> None:
    # the dot makes the name absolute; msmtp resolves it, then GnuTLS matches it against the certificate's names as
    # written (dot included)
    tls = {"fingerprint": certs.fingerprint(certs.good)} if pinned else {"ca_file": str(certs.ca)}
    outgoing = server(
        "smtp", smtp_tls.port, "tls", ALICE, certs=certs, directory=tmp_path, host=ABSOLUTE_LOCALHOST, tls=tls
    )
    capsys.readouterr()
    rc = render("msmtp", {"work": {"address": ALICE.name, "outgoing": outgoing}}, tmp_path)[".msmtprc"]
    gap = (
        "mailconf: warning: msmtp: account work: outgoing.host cannot be expressed; msmtp checks the certificate's "
        "names against the host with its trailing dot, which no certificate holds: sending fails (The name in the "
        "certificate does not match the expected); write the host without the dot, or pin the certificate with "
        "tls.fingerprint (a pin replaces the name check)\n"
    )
    assert capsys.readouterr().err == ("" if pinned else gap)
    assert f'\nhost "{ABSOLUTE_LOCALHOST}"\n' in rc.read_text()

    done = _send(rc, "work", home, "bob@example.net", "trailing dot", absolute=True)

    if pinned:  # a pin replaces the CAs and the name check: the dot does not matter
        assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
        assert [m.login for m in smtp_tls.messages] == [ALICE.name]
    else:
        assert done.returncode == 69  # EX_UNAVAILABLE: TLS refused
        assert done.stderr.decode() == (
            "msmtp: TLS certificate verification failed: The certificate is NOT trusted. The name in the certificate "
            f"does not match the expected. \nmsmtp: could not send mail (account work from {rc})\n"
        )
        assert smtp_tls.messages == []


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_an_ip_address_as_the_host_matches_the_certificates_ip_address(  # noqa: PLR0917 (pytest fixtures)
    request: pytest.FixtureRequest,
    tmp_path: Path,
    home: Path,
    certs: Certificates,
    capsys: pytest.CaptureFixture[str],
    security: str,
) -> None:
    # the test certificate names 127.0.0.1 among its IP addresses; GnuTLS matches an address there (no gap)
    smtp: SmtpServer = request.getfixturevalue("smtp_starttls" if security == "starttls" else "smtp_tls")
    outgoing = server("smtp", smtp.port, security, ALICE, certs=certs, directory=tmp_path, host="127.0.0.1")
    capsys.readouterr()
    rc = render("msmtp", {"work": {"address": ALICE.name, "outgoing": outgoing}}, tmp_path)[".msmtprc"]
    assert capsys.readouterr().err == ""
    assert '\nhost "127.0.0.1"\n' in rc.read_text()
    assert f'\ntls_trust_file "{certs.ca}"\n' in rc.read_text()

    done = _send(rc, "work", home, "bob@example.net", "by address")

    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    assert [m.login for m in smtp.messages] == [ALICE.name]
