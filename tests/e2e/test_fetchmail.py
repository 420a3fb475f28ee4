"""fetchmail fetches with the rendered ~/.fetchmailrc over POP3 and IMAP and forwards into an SMTP sink.

The rendered file is used unchanged: the sink is given on the command line
(``--smtphost 127.0.0.1/PORT``), and the password comes from ``~/.netrc`` with
``machine <account>``, as the rendered password_command gap advises (fetchmail 6.4 runs no
password command).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import need
from tests.e2e.conftest import (
    ABSOLUTE_LOCALHOST,
    CLIENT_TIMEOUT,
    absolute_names,
    client_env,
    deliver,
    imap_messages,
    logins,
    new_message,
    pop3_messages,
    render,
    server,
)
from tests.servers import ALICE, Certificates, Dovecot, SmtpServer, User


def _netrc(home: Path, account: str, user: User) -> None:
    netrc = home / ".netrc"
    # .netrc has no quoting: carol's password (spaces, quotes) cannot be written there, so alice logs in
    assert not any(c in user.password for c in " \t\"'\\#")
    netrc.write_text(f"machine {account} login {user.name} password {user.password}\n")
    netrc.chmod(0o600)


def _fetch(rc: Path, home: Path, sink: SmtpServer, *, absolute: bool = False) -> subprocess.CompletedProcess[bytes]:
    """fetchmail on the rc file; ``absolute``: where ``localhost.`` resolves too (:func:`absolute_names`)."""
    binary = need("fetchmail")["fetchmail"]
    argv = [binary, "-f", str(rc), "--nosyslog", "--smtphost", f"127.0.0.1/{sink.port}"]
    return subprocess.run(
        absolute_names(argv, home.parent) if absolute else argv,
        capture_output=True,
        env=client_env(home, FETCHMAILHOME=str(home)),
        stdin=subprocess.DEVNULL,
        timeout=CLIENT_TIMEOUT,
        check=False,
    )


def _subjects(sink: SmtpServer) -> list[str]:
    found = []
    for received in sink.messages:
        for line in received.content.decode("utf-8", "replace").splitlines():
            if line.startswith("Subject: "):
                found.append(line.removeprefix("Subject: "))
    return found


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_fetchmail_pop3_leaves_mail_on_the_server(  # noqa: PLR0917 (pytest fixtures)
    tmp_path: Path, home: Path, certs: Certificates, dovecot: Dovecot, sink: SmtpServer, security: str
) -> None:
    port = dovecot.ports.pop3s if security == "tls" else dovecot.ports.pop3
    incoming = server("pop3", port, security, ALICE, certs=certs, directory=tmp_path, leave_on_server=True)
    files = render("fetchmail", {"work": {"address": ALICE.name, "incoming": incoming}}, tmp_path)
    rc = files[".fetchmailrc"]
    assert "\n    keep\n" in rc.read_text()
    _netrc(home, "work", ALICE)
    subject, message = new_message("bob@example.net", ALICE.name)
    deliver(dovecot, ALICE, message)

    first = _fetch(rc, home, sink)

    assert first.returncode == 0, first.stderr.decode("utf-8", "replace")  # 0: mail was fetched
    assert _subjects(sink) == [subject]
    tls_logins = logins(dovecot, "pop3-login", ALICE)
    assert len(tls_logins) == 1 and ", TLS" in tls_logins[0], tls_logins  # the login went over TLS
    assert pop3_messages(dovecot, ALICE, certs) == 1  # keep: the message is still on the server

    second = _fetch(rc, home, sink)

    assert second.returncode == 1, second.stderr.decode("utf-8", "replace")  # 1: no new mail (UIDs remembered)
    assert _subjects(sink) == [subject]
    assert pop3_messages(dovecot, ALICE, certs) == 1


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_fetchmail_imap_fetches_the_inbox(  # noqa: PLR0917 (pytest fixtures)
    tmp_path: Path, home: Path, certs: Certificates, dovecot: Dovecot, sink: SmtpServer, security: str
) -> None:
    port = dovecot.ports.imaps if security == "tls" else dovecot.ports.imap
    incoming = server("imap", port, security, ALICE, certs=certs, directory=tmp_path)
    rc = render("fetchmail", {"work": {"address": ALICE.name, "incoming": incoming}}, tmp_path)[".fetchmailrc"]
    _netrc(home, "work", ALICE)
    subjects = []
    for _ in range(2):
        subject, message = new_message("bob@example.net", ALICE.name)
        deliver(dovecot, ALICE, message)
        subjects.append(subject)

    first = _fetch(rc, home, sink)

    assert first.returncode == 0, first.stderr.decode("utf-8", "replace")
    assert sorted(_subjects(sink)) == sorted(subjects)
    tls_logins = logins(dovecot, "imap-login", ALICE)
    assert len(tls_logins) == 1 and ", TLS" in tls_logins[0], tls_logins
    # no leave_on_server declared, no keep rendered: fetchmail deletes what it fetched (its default)
    assert imap_messages(dovecot, ALICE, certs) == 0

    second = _fetch(rc, home, sink)

    assert second.returncode == 1, second.stderr.decode("utf-8", "replace")
    assert len(sink.messages) == 2


def test_fetchmail_pop3_without_leave_on_server_deletes(
    tmp_path: Path, home: Path, certs: Certificates, dovecot: Dovecot, sink: SmtpServer
) -> None:
    """leave_on_server: false is "no keep": fetched messages are deleted on the server."""
    incoming = server("pop3", dovecot.ports.pop3s, "tls", ALICE, certs=certs, directory=tmp_path, leave_on_server=False)
    rc = render("fetchmail", {"work": {"address": ALICE.name, "incoming": incoming}}, tmp_path)[".fetchmailrc"]
    assert "\n    no keep\n" in rc.read_text()
    _netrc(home, "work", ALICE)
    subject, message = new_message("bob@example.net", ALICE.name)
    deliver(dovecot, ALICE, message)

    done = _fetch(rc, home, sink)

    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    assert _subjects(sink) == [subject]
    assert pop3_messages(dovecot, ALICE, certs) == 0


def test_fetchmail_refuses_a_server_the_ca_did_not_sign(
    tmp_path: Path, home: Path, certs: Certificates, dovecot: Dovecot, sink: SmtpServer
) -> None:
    """sslcertck with sslcertfile really checks: with another CA file the login never happens."""
    other = tmp_path / "other-ca.pem"
    other.write_bytes(certs.self_signed.cert.read_bytes())
    incoming = server(
        "pop3",
        dovecot.ports.pop3s,
        "tls",
        ALICE,
        certs=certs,
        directory=tmp_path,
        leave_on_server=True,
        tls={"ca_file": str(other)},
    )
    rc = render("fetchmail", {"work": {"address": ALICE.name, "incoming": incoming}}, tmp_path)[".fetchmailrc"]
    _netrc(home, "work", ALICE)
    deliver(dovecot, ALICE, new_message("bob@example.net", ALICE.name)[1])

    done = _fetch(rc, home, sink)

    assert done.returncode == 2, done.stderr.decode("utf-8", "replace")  # 2: socket error (TLS refused)
    assert sink.messages == []
    assert logins(dovecot, "pop3-login", ALICE, at_least=0) == []


@pytest.mark.parametrize("pinned", [False, True], ids=["ca", "md5-pin"])
@pytest.mark.parametrize("host", [ABSOLUTE_LOCALHOST, "127.0.0.1"], ids=["trailing-dot", "ip-address"])
@pytest.mark.parametrize("protocol", ["pop3", "imap"])
def test_a_host_with_a_trailing_dot_or_an_ip_address_fails_the_name_check_as_the_gap_says(  # noqa: PLR0917
    tmp_path: Path,
    home: Path,
    certs: Certificates,
    dovecot: Dovecot,
    sink: SmtpServer,
    capsys: pytest.CaptureFixture[str],
    protocol: str,
    host: str,
    pinned: bool,
) -> None:
    # the test certificate names localhost (CN and DNS name) and, among its IP addresses, 127.0.0.1; fetchmail matches
    # the host as written against the names only
    port = dovecot.ports.pop3s if protocol == "pop3" else dovecot.ports.imaps
    tls = {"fingerprint": certs.fingerprint(certs.good, "md5")} if pinned else {"ca_file": str(certs.ca)}
    incoming = server(protocol, port, "tls", ALICE, certs=certs, directory=tmp_path, host=host, tls=tls)
    capsys.readouterr()
    rc = render("fetchmail", {"work": {"address": ALICE.name, "incoming": incoming}}, tmp_path)[".fetchmailrc"]
    if host == ABSOLUTE_LOCALHOST:
        reason = (
            "fetchmail checks the certificate's names against the host with its trailing dot, which no certificate "
            "holds: the connection fails (Server CommonName mismatch); write the host without the dot"
        )
    else:
        reason = (
            "fetchmail matches the host against the certificate's names only, never its IP addresses: the "
            "connection fails (Server CommonName mismatch); connect by name"
        )
    gap = (
        f"mailconf: warning: fetchmail: account work: incoming.host cannot be expressed; {reason}, or pin an md5: "
        "fingerprint (a pin replaces the name check)"
    )
    host_gaps = [line for line in capsys.readouterr().err.splitlines() if "incoming.host" in line]
    assert host_gaps == ([] if pinned else [gap])  # (the password_command gap is there too: see _netrc)
    assert f'poll "work" via "{host}"\n' in rc.read_text()
    _netrc(home, "work", ALICE)
    subject, message = new_message("bob@example.net", ALICE.name)
    deliver(dovecot, ALICE, message)

    done = _fetch(rc, home, sink, absolute=True)

    stderr = done.stderr.decode("utf-8", "replace")
    if pinned:  # no sslcertck: the pin is checked, the name mismatch only reported
        assert done.returncode == 0, stderr
        assert _subjects(sink) == [subject]
    else:
        assert done.returncode == 2, stderr  # 2: socket error (TLS refused)
        assert (
            f"fetchmail: Server CommonName mismatch: localhost != {host}\n"
            "fetchmail: Server certificate verification error: hostname mismatch\n"
        ) in stderr
        assert sink.messages == []
        assert logins(dovecot, f"{protocol}-login", ALICE, at_least=0) == []
