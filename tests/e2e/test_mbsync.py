"""mbsync (isync 1.4.4) syncs the Dovecot INBOX into a Maildir with the rendered ~/.mbsyncrc.

The rendered file is used unchanged, with mbsync's defaults (``~/Mail/<account>/``
under a throwaway HOME); the password comes from the rendered ``PassCmd`` (the
account's password_command), and the test CA is the rendered ``CertificateFile``.
"""

from __future__ import annotations

import imaplib
import ssl
import subprocess
from pathlib import Path

import pytest

from tests.conftest import need
from tests.e2e.conftest import (
    ABSOLUTE_LOCALHOST,
    absolute_names,
    client_env,
    deliver,
    imap_messages,
    logins,
    maildir_subjects,
    new_message,
    render,
    run_client,
    server,
)
from tests.servers import ALICE, CAROL, HOST, Certificates, Dovecot, User


def _sync(rc: Path, home: Path, channel: str, *, absolute: bool = False) -> subprocess.CompletedProcess[str]:
    """mbsync on the rc file; ``absolute``: where ``localhost.`` resolves too (:func:`absolute_names`)."""
    binary = need("mbsync")["mbsync"]
    argv = [binary, "-c", str(rc), channel]
    return run_client(absolute_names(argv, home.parent) if absolute else argv, client_env(home))


@pytest.mark.parametrize(("security", "user"), [("tls", ALICE), ("starttls", CAROL)])
def test_mbsync_syncs_the_inbox_into_the_maildir(  # noqa: PLR0917 (pytest fixtures)
    tmp_path: Path, home: Path, certs: Certificates, dovecot: Dovecot, security: str, user: User
) -> None:
    port = dovecot.ports.imaps if security == "tls" else dovecot.ports.imap
    incoming = server("imap", port, security, user, certs=certs, directory=tmp_path)
    rc = render("mbsync", {"work": {"address": user.name, "incoming": incoming}}, tmp_path)[".mbsyncrc"]
    text = rc.read_text()
    assert f"\nSSLType {'IMAPS' if security == 'tls' else 'STARTTLS'}\n" in text
    assert f'\nCertificateFile "{certs.ca}"\n' in text
    assert f'\nPassCmd "{incoming["password_command"]}"\n' in text  # a plain cat of a temporary path
    (home / "Mail" / "work").mkdir(parents=True)  # mbsync 1.4.4 needs the account's folder (documented)
    subject, message = new_message("bob@example.net", user.name)
    deliver(dovecot, user, message)

    done = _sync(rc, home, "work")

    assert done.returncode == 0, done.stderr
    assert maildir_subjects(home / "Mail" / "work" / "INBOX") == [subject]
    found = logins(dovecot, "imap-login", user)
    assert len(found) == 1 and ", TLS" in found[0], found  # one login, over TLS (STARTTLS shows as TLS too)
    assert imap_messages(dovecot, user, certs) == 1  # Sync All: nothing was deleted on the server


def test_mbsync_creates_and_syncs_every_folder(
    tmp_path: Path, home: Path, certs: Certificates, dovecot: Dovecot
) -> None:
    # Patterns * and Create Near: a folder that exists only on the server appears in the Maildir
    subject, message = new_message("bob@example.net", ALICE.name)
    client = imaplib.IMAP4_SSL(HOST, dovecot.ports.imaps, ssl_context=ssl.create_default_context(cafile=str(certs.ca)))
    try:
        client.login(ALICE.name, ALICE.password)
        assert client.create("Archive.2026")[0] == "OK"  # Dovecot separates folders with .
        assert client.append("Archive.2026", None, None, message)[0] == "OK"
    finally:
        client.logout()
    incoming = server("imap", dovecot.ports.imaps, "tls", ALICE, certs=certs, directory=tmp_path)
    rc = render("mbsync", {"work": {"address": ALICE.name, "incoming": incoming}}, tmp_path)[".mbsyncrc"]
    (home / "Mail" / "work").mkdir(parents=True)

    done = _sync(rc, home, "work")

    assert done.returncode == 0, done.stderr
    assert maildir_subjects(home / "Mail" / "work" / "Archive" / "2026") == [subject]  # SubFolders Verbatim
    assert maildir_subjects(home / "Mail" / "work" / "INBOX") == []


def test_a_ca_file_that_did_not_sign_the_server_stops_the_sync(
    tmp_path: Path, home: Path, certs: Certificates, dovecot: Dovecot
) -> None:
    # CertificateFile comes with SystemCertificates no: only tls.ca_file is trusted
    incoming = server("imap", dovecot.ports.imaps, "tls", ALICE, certs=certs, directory=tmp_path)
    incoming["tls"] = {"ca_file": str(certs.self_signed.cert)}
    rc = render("mbsync", {"work": {"address": ALICE.name, "incoming": incoming}}, tmp_path)[".mbsyncrc"]
    (home / "Mail" / "work").mkdir(parents=True)
    deliver(dovecot, ALICE, new_message("bob@example.net", ALICE.name)[1])

    done = _sync(rc, home, "work")

    assert done.returncode == 1
    port = dovecot.ports.imaps
    assert done.stderr == f"SSL error connecting localhost (127.0.0.1:{port}): unable to get local issuer certificate\n"
    assert logins(dovecot, "imap-login", ALICE, at_least=0) == []
    assert not (home / "Mail" / "work" / "INBOX").exists()


def test_the_server_certificate_as_ca_file_is_a_pin(tmp_path: Path, home: Path, certs: Certificates) -> None:
    # What the tls.fingerprint and tls.verify gaps advise: the server's own certificate in tls.ca_file.
    # mbsync trusts it whatever it says (this one names wrong.example only, and the host is localhost).
    need("dovecot")
    with Dovecot(tls=certs.wrong_name) as dovecot:
        incoming = server("imap", dovecot.ports.imaps, "tls", ALICE, certs=certs, directory=tmp_path)
        incoming["tls"] = {"ca_file": str(certs.wrong_name.cert)}
        rc = render("mbsync", {"work": {"address": ALICE.name, "incoming": incoming}}, tmp_path)[".mbsyncrc"]
        (home / "Mail" / "work").mkdir(parents=True)
        subject, message = new_message("bob@example.net", ALICE.name)
        deliver(dovecot, ALICE, message)

        done = _sync(rc, home, "work")

        assert done.returncode == 0, done.stderr
        assert maildir_subjects(home / "Mail" / "work" / "INBOX") == [subject]


@pytest.mark.parametrize("pinned", [False, True], ids=["ca", "server-certificate"])
@pytest.mark.parametrize("host", [ABSOLUTE_LOCALHOST, "127.0.0.1"], ids=["trailing-dot", "ip-address"])
def test_a_host_with_a_trailing_dot_or_an_ip_address_fails_the_name_check_as_the_gap_says(  # noqa: PLR0917
    tmp_path: Path,
    home: Path,
    certs: Certificates,
    dovecot: Dovecot,
    capsys: pytest.CaptureFixture[str],
    host: str,
    pinned: bool,
) -> None:
    # the test certificate names localhost and, among its IP addresses, 127.0.0.1; mbsync 1.4.4 matches the host as
    # written against its names only. The server's own certificate in CertificateFile is trusted whatever its names.
    ca_file = certs.good.cert if pinned else certs.ca
    incoming = server(
        "imap", dovecot.ports.imaps, "tls", ALICE, certs=certs, directory=tmp_path, host=host,
        tls={"ca_file": str(ca_file)},
    )  # fmt: skip
    capsys.readouterr()
    rc = render("mbsync", {"work": {"address": ALICE.name, "incoming": incoming}}, tmp_path)[".mbsyncrc"]
    if host == ABSOLUTE_LOCALHOST:
        reason = (
            "mbsync 1.4.4 checks the certificate's names against the host with its trailing dot, which no certificate "
            "holds: the connection fails (Error, certificate owner does not match hostname); write the host without "
            "the dot"
        )
    else:
        reason = (
            "mbsync 1.4.4 matches the host against the certificate's names only, never its IP addresses: the "
            "connection fails (Error, certificate owner does not match hostname); connect by name"
        )
    assert capsys.readouterr().err == (
        f"mailconf: warning: mbsync: account work: incoming.host cannot be expressed; {reason}, or put the server's "
        "certificate in tls.ca_file (mbsync trusts a server certificate named in CertificateFile whatever its name)\n"
    )  # render cannot tell a CA from the server's own certificate: the gap is given either way
    assert f'\nHost "{host}"\n' in rc.read_text()
    (home / "Mail" / "work").mkdir(parents=True)
    subject, message = new_message("bob@example.net", ALICE.name)
    deliver(dovecot, ALICE, message)

    done = _sync(rc, home, "work", absolute=True)

    if pinned:
        assert done.returncode == 0, done.stderr
        assert maildir_subjects(home / "Mail" / "work" / "INBOX") == [subject]
    else:
        assert done.returncode == 1
        assert done.stderr == f"Error, certificate owner does not match hostname {host}\n"
        assert logins(dovecot, "imap-login", ALICE, at_least=0) == []
