"""mutt and neomutt with the rendered muttrc: batch send through smtp_url, the IMAP inbox, POP3 fetch-mail.

The rendered file is loaded as the only configuration (``-n -F RC``); nothing is added to it.
Reading runs the client on a terminal: a tmux server on a private socket (``-L``), whose
screen is captured until the index shows the delivered message (bounded), then killed.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import need
from tests.e2e.conftest import (
    ABSOLUTE_LOCALHOST,
    CLIENT_TIMEOUT,
    absolute_names,
    client_env,
    deliver,
    imap_messages,
    log_lines,
    logins,
    new_message,
    pop3_messages,
    render,
    server,
)
from tests.servers import ALICE, CAROL, Certificates, Dovecot, SmtpServer, User

CLIENTS = ["mutt", "neomutt"]
#: (security of both servers, the user: carol's password holds every quoting character)
CASES = [("starttls", ALICE), ("tls", CAROL)]


def _rendered(
    client: str,
    security: str,
    user: User,
    *,
    certs: Certificates,
    directory: Path,
    incoming: tuple[str, int],
    smtp_port: int,
    leave_on_server: bool = True,
    host: str = "localhost",
    verify_hostname: bool = True,
) -> Path:
    protocol, port = incoming
    extra = {"leave_on_server": leave_on_server} if protocol == "pop3" else {}
    both: dict[str, Any] = {"host": host}
    if not verify_hostname:
        both["tls"] = {"ca_file": str(certs.ca), "verify_hostname": False}
    account = {
        "address": user.name,
        "display_name": "E2E Test",
        "incoming": server(protocol, port, security, user, certs=certs, directory=directory, **both, **extra),
        "outgoing": server("smtp", smtp_port, security, user, certs=certs, directory=directory, **both),
    }
    files = render(client, {"work": account}, directory)
    assert list(files) == ["work.muttrc"]
    return files["work.muttrc"]


@pytest.mark.parametrize(("security", "user"), CASES)
@pytest.mark.parametrize("client", CLIENTS)
def test_batch_send_through_the_rendered_smtp_url(  # noqa: PLR0917 (pytest fixtures)
    request: pytest.FixtureRequest,
    tmp_path: Path,
    home: Path,
    certs: Certificates,
    client: str,
    security: str,
    user: User,
) -> None:
    binary = need(client)[client]
    smtp: SmtpServer = request.getfixturevalue("smtp_starttls" if security == "starttls" else "smtp_tls")
    # the IMAP port is never contacted when sending: a closed one proves it
    rc = _rendered(client, security, user, certs=certs, directory=tmp_path, incoming=("imap", 1), smtp_port=smtp.port)
    subject = f"e2e-{uuid.uuid4().hex[:12]}"

    done = _batch_send(binary, rc, home, subject)

    stderr = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 0 and "Error in" not in stderr, (done.returncode, stderr)
    assert len(smtp.messages) == 1, stderr
    received = smtp.messages[0]
    assert received.login == user.name  # from the user in smtp_url, with the password smtp_pass ran
    assert received.mail_from == user.name
    assert received.rcpt_tos == ("bob@example.net",)
    assert f"Subject: {subject}".encode() in received.content
    assert f"From: E2E Test <{user.name}>".encode() in received.content


def _batch_send(
    binary: str, rc: Path, home: Path, subject: str, *, absolute: bool = False
) -> subprocess.CompletedProcess[bytes]:
    """The client sends a message in batch mode (no terminal); ``absolute``: where ``localhost.`` resolves too."""
    argv = [binary, "-n", "-F", str(rc), "-s", subject, "bob@example.net"]
    return subprocess.run(
        absolute_names(argv, home.parent) if absolute else argv,
        input=b"hi\n",
        capture_output=True,
        env=client_env(home, TERM="dumb"),
        cwd=home,
        timeout=CLIENT_TIMEOUT,
        check=False,
    )


# --- reading on a terminal -------------------------------------------------------------------


class Terminal:
    """A client running in a detached tmux session on a private tmux server."""

    def __init__(self, socket_name: str, env: dict[str, str]) -> None:
        self.tmux = need("tmux")["tmux"]
        self.socket_name = socket_name
        self.env = env

    def _tmux(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [self.tmux, "-L", self.socket_name, "-f", "/dev/null", *args],
            capture_output=True,
            env=self.env,
            stdin=subprocess.DEVNULL,
            timeout=CLIENT_TIMEOUT,
            check=False,
        )

    def start(self, command: list[str], cwd: Path) -> None:
        done = self._tmux("new-session", "-d", "-x", "150", "-y", "20", "-c", str(cwd), *command)
        assert done.returncode == 0, done.stderr

    def screen(self) -> str:
        done = self._tmux("capture-pane", "-p", "-t", "0")
        return done.stdout.decode("utf-8", "replace")

    def wait_for(self, text: str, timeout: float = CLIENT_TIMEOUT) -> str:
        """The screen once it shows ``text``, or the last screen when ``timeout`` seconds ran out."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if text in screen or time.monotonic() > deadline:
                return screen
            time.sleep(0.1)

    def keys(self, *keys: str) -> None:
        done = self._tmux("send-keys", "-t", "0", *keys)
        assert done.returncode == 0, done.stderr

    def kill(self) -> None:
        self._tmux("kill-server")


@contextlib.contextmanager
def terminal(home: Path, **env: str) -> Iterator[Terminal]:
    socket_name = f"mailconf-e2e-{uuid.uuid4().hex[:12]}"
    # the socket lives in a short private directory: a Unix socket path holds at most 107 bytes
    sockets = Path(tempfile.mkdtemp(prefix="mailconf-tmux-"))
    # TERM for the tmux client; tmux sets its own TERM inside the session
    term = Terminal(socket_name, client_env(home, TERM="xterm-256color", TMUX_TMPDIR=str(sockets), **env))
    try:
        yield term
    finally:
        term.kill()
        shutil.rmtree(sockets, ignore_errors=True)


@pytest.mark.parametrize(("security", "user"), CASES)
@pytest.mark.parametrize("client", CLIENTS)
def test_the_imap_inbox_opens_on_a_terminal(  # noqa: PLR0917 (pytest fixtures)
    tmp_path: Path, home: Path, certs: Certificates, dovecot: Dovecot, client: str, security: str, user: User
) -> None:
    """The spool file is the IMAP INBOX (folder + '+INBOX'): the index lists what is in it."""
    binary = need(client)[client]
    port = dovecot.ports.imaps if security == "tls" else dovecot.ports.imap
    # the SMTP port is never contacted when reading: a closed one proves it
    rc = _rendered(client, security, user, certs=certs, directory=tmp_path, incoming=("imap", port), smtp_port=1)
    subject, message = new_message("bob@example.net", user.name)
    deliver(dovecot, user, message)

    with terminal(home) as term:
        term.start([shutil.which(binary) or binary, "-n", "-F", str(rc)], home)
        screen = term.wait_for(subject)

    assert subject in screen, screen  # the index lists the delivered message
    assert "bob@example.net" in screen, screen
    found = logins(dovecot, "imap-login", user)
    assert len(found) == 1 and ", TLS" in found[0], found  # one login, as the declared user, over TLS
    assert imap_messages(dovecot, user, certs) == 1


def _wait_for_file(path: Path, text: bytes, timeout: float = CLIENT_TIMEOUT) -> bytes:
    deadline = time.monotonic() + timeout
    while True:
        content = path.read_bytes()
        if text in content or time.monotonic() > deadline:
            return content
        time.sleep(0.1)


@pytest.mark.parametrize("leave_on_server", [True, False])
@pytest.mark.parametrize(("security", "user"), CASES)
@pytest.mark.parametrize("client", CLIENTS)
def test_pop3_fetch_mail_honours_leave_on_server(  # noqa: PLR0917 (pytest fixtures)
    tmp_path: Path,
    home: Path,
    certs: Certificates,
    dovecot: Dovecot,
    client: str,
    security: str,
    user: User,
    leave_on_server: bool,
) -> None:
    """POP3 is pop_host for fetch-mail (G): it moves the messages into the local spool file ($MAIL
    here, an mbox) and keeps (pop_delete = no) or deletes (yes) them on the server."""
    binary = need(client)[client]
    port = dovecot.ports.pop3s if security == "tls" else dovecot.ports.pop3
    rc = _rendered(
        client, security, user, certs=certs, directory=tmp_path, incoming=("pop3", port), smtp_port=1,
        leave_on_server=leave_on_server,
    )  # fmt: skip
    assert f"set pop_delete = {'no' if leave_on_server else 'yes'}\n" in rc.read_text()
    subject, message = new_message("bob@example.net", user.name)
    deliver(dovecot, user, message)
    spool = home / "inbox"
    spool.write_bytes(b"")  # an empty mbox
    # a mail user's home has the default folder: without ~/Mail, mutt asks at the first start to create it
    (home / "Mail").mkdir()

    with terminal(home, MAIL=str(spool)) as term:
        term.start([shutil.which(binary) or binary, "-n", "-F", str(rc)], home)
        ready = term.wait_for("Msgs:0")
        assert "Msgs:0" in ready, ready  # the local spool file is open and empty
        term.keys("G")  # fetch-mail
        content = _wait_for_file(spool, f"Subject: {subject}".encode())
        screen = term.wait_for(subject)
        # the session ends (QUIT: deletions happen now) before the server is asked what it holds
        done = log_lines(dovecot, f"pop3({user.name})<", at_least=1)

    assert content.count(f"Subject: {subject}".encode()) == 1, content
    assert subject in screen, screen  # and the index shows it
    found = logins(dovecot, "pop3-login", user)
    assert len(found) == 1 and ", TLS" in found[0], found
    assert len(done) == 1 and f", del={0 if leave_on_server else 1}/1," in done[0], done  # Dovecot's own count
    assert pop3_messages(dovecot, user, certs) == (1 if leave_on_server else 0)


# --- host names as GnuTLS checks them ---------------------------------------------------------


@pytest.mark.parametrize("checked", [True, False], ids=["verify-host", "no-verify-host"])
@pytest.mark.parametrize("client", CLIENTS)
def test_a_host_with_a_trailing_dot_fails_the_name_check_as_the_gap_says(  # noqa: PLR0917 (pytest fixtures)
    tmp_path: Path,
    home: Path,
    certs: Certificates,
    dovecot: Dovecot,
    smtp_tls: SmtpServer,
    capsys: pytest.CaptureFixture[str],
    client: str,
    checked: bool,
) -> None:
    # the dot makes the name absolute; the client resolves it, then GnuTLS matches it against the certificate's names
    # as written (dot included). tls.verify_hostname false writes ssl_verify_host = no: no name check, no gap.
    binary = need(client)[client]
    capsys.readouterr()
    rc = _rendered(
        client, "tls", ALICE, certs=certs, directory=tmp_path, incoming=("imap", dovecot.ports.imaps),
        smtp_port=smtp_tls.port, host=ABSOLUTE_LOCALHOST, verify_hostname=checked,
    )  # fmt: skip
    reason = (
        f"{client} checks the certificate's names against the host with its trailing dot, which no certificate "
        "holds: it asks whether to accept the certificate ((r)eject, accept (o)nce, (a)ccept always) before it logs "
        "in, and sending without a terminal (batch mode) fails; write the host without the dot"
    )
    assert capsys.readouterr().err == "".join(
        f"mailconf: warning: {client}: account work: {side}.host cannot be expressed; {reason}\n"
        for side in (("incoming", "outgoing") if checked else ())
    )
    assert f"@{ABSOLUTE_LOCALHOST}:{smtp_tls.port}/'\n" in rc.read_text()
    assert f"\nset ssl_verify_host = {'yes' if checked else 'no'}\n" in rc.read_text()
    subject, message = new_message("bob@example.net", ALICE.name)
    deliver(dovecot, ALICE, message)
    question = "(r)eject, accept (o)nce, (a)ccept always"

    sent = _batch_send(binary, rc, home, "trailing dot", absolute=True)
    with terminal(home) as term:
        term.start(absolute_names([shutil.which(binary) or binary, "-n", "-F", str(rc)], tmp_path), home)
        screen = term.wait_for(question if checked else subject)

    if checked:
        assert sent.returncode == 1
        if client == "mutt":
            assert (sent.stdout, sent.stderr) == (b"Could not send the message.\n", b"Untrusted server certificate\n")
        else:  # neomutt says nothing
            assert (sent.stdout, sent.stderr) == (b"", b"")
        assert smtp_tls.messages == []
        assert question in screen, screen  # asked, where localhost is accepted at once
        assert logins(dovecot, "imap-login", ALICE, at_least=0) == []
    else:
        assert sent.returncode == 0, sent.stderr.decode("utf-8", "replace")
        assert [m.login for m in smtp_tls.messages] == [ALICE.name]
        assert subject in screen, screen
        assert len(logins(dovecot, "imap-login", ALICE)) == 1


@pytest.mark.parametrize("client", CLIENTS)
def test_an_ip_address_as_the_host_matches_the_certificates_ip_address(  # noqa: PLR0917 (pytest fixtures)
    tmp_path: Path,
    home: Path,
    certs: Certificates,
    dovecot: Dovecot,
    smtp_tls: SmtpServer,
    capsys: pytest.CaptureFixture[str],
    client: str,
) -> None:
    # the test certificate names 127.0.0.1 among its IP addresses; GnuTLS matches an address there (no gap)
    binary = need(client)[client]
    capsys.readouterr()
    rc = _rendered(
        client, "tls", ALICE, certs=certs, directory=tmp_path, incoming=("imap", dovecot.ports.imaps),
        smtp_port=smtp_tls.port, host="127.0.0.1",
    )  # fmt: skip
    assert capsys.readouterr().err == ""
    assert f"imaps://127.0.0.1:{dovecot.ports.imaps}/'\n" in rc.read_text()
    subject, message = new_message("bob@example.net", ALICE.name)
    deliver(dovecot, ALICE, message)

    sent = _batch_send(binary, rc, home, "by address")
    with terminal(home) as term:
        term.start([shutil.which(binary) or binary, "-n", "-F", str(rc)], home)
        screen = term.wait_for(subject)

    assert sent.returncode == 0, sent.stderr.decode("utf-8", "replace")
    assert [m.login for m in smtp_tls.messages] == [ALICE.name]
    assert subject in screen, screen  # the index lists the message: no question was asked
    assert len(logins(dovecot, "imap-login", ALICE)) == 1
