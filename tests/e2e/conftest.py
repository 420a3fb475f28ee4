"""End to end with rendered files: real clients, real servers on 127.0.0.1, the files `mailconf render` writes.

Every test writes an account file that declares the test servers (``tls.ca_file`` is the test
CA), renders it with the real CLI (``mailconf render --target T FILE -o DIR``), hands the
rendered file to the real client unchanged (only command-line flags are added) and checks
what the servers saw. Servers come from ``tests/servers.py``; each test gets fresh ones, so
mailboxes and received messages never leak between tests.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import imaplib
import json
import os
import poplib
import shlex
import ssl
import subprocess
import time
import uuid
from collections.abc import Iterator, Mapping
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from mailconf.cli import main
from tests.conftest import need
from tests.servers import HOST, Certificates, Dovecot, SmtpServer, User, make_certificates

#: Every wait for a client is bounded by this many seconds.
CLIENT_TIMEOUT = 60.0
#: How long to wait for a line in Dovecot's log.
LOG_TIMEOUT = 10.0


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """The test CA; its good leaf has CN=localhost and SANs localhost and 127.0.0.1 (fetchmail needs the CN)."""
    return make_certificates(tmp_path_factory.mktemp("certs"))


@pytest.fixture
def dovecot(certs: Certificates) -> Iterator[Dovecot]:
    """A fresh Dovecot (IMAP/POP3, STARTTLS and implicit TLS) with empty mailboxes for alice and carol."""
    need("dovecot")
    with Dovecot(tls=certs.good) as server:
        yield server


@pytest.fixture
def smtp_starttls(certs: Certificates) -> Iterator[SmtpServer]:
    """Submission with STARTTLS required and AUTH only after TLS."""
    with SmtpServer(certs.good) as server:
        yield server


@pytest.fixture
def smtp_tls(certs: Certificates) -> Iterator[SmtpServer]:
    """Submission over implicit TLS with AUTH."""
    with SmtpServer(certs.good, implicit=True) as server:
        yield server


@pytest.fixture
def sink() -> Iterator[SmtpServer]:
    """A plain SMTP server without TLS or AUTH: where fetchmail forwards what it fetched."""
    with SmtpServer(None) as server:
        yield server


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A throwaway HOME for the client (mode 0700: fetchmail and mutt read private files from it)."""
    path = tmp_path / "home"
    path.mkdir(mode=0o700)
    return path


def client_env(home: Path, **extra: str) -> dict[str, str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    env.update(extra)
    return env


def run_client(argv: list[str], env: Mapping[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run a client to its end (no terminal, text output), bounded by CLIENT_TIMEOUT."""
    return subprocess.run(
        argv,
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        timeout=CLIENT_TIMEOUT,
        check=False,
    )


#: A host name with a trailing dot (an absolute name) for the test servers: only :func:`absolute_names` resolves it.
ABSOLUTE_LOCALHOST = "localhost."


def absolute_names(argv: list[str], directory: Path) -> list[str]:
    """``argv`` run where ``localhost.`` resolves to 127.0.0.1: in a mount namespace of its own (``unshare -m``,
    private by default, so nothing outside sees it), whose /etc/hosts names both ``localhost`` and ``localhost.``
    (glibc's files backend keeps the dot, and no DNS answers here). Needs root, as CI runs; skips otherwise."""
    if os.geteuid() != 0:
        pytest.skip("needs root (unshare -m and a bind mount over /etc/hosts, in a namespace of its own)")
    unshare = need("unshare")["unshare"]
    hosts = directory / "hosts"
    hosts.write_text(f"{HOST} localhost {ABSOLUTE_LOCALHOST}\n")
    hosts.chmod(0o644)
    script = 'mount --bind "$0" /etc/hosts && exec "$@"'
    return [unshare, "--mount", "--propagation", "private", "/bin/sh", "-c", script, str(hosts), *argv]


def maildir_subjects(maildir: Path) -> list[str]:
    """The subjects of the messages in a Maildir (new/ and cur/)."""
    found = []
    for part in ("new", "cur"):
        for path in sorted((maildir / part).iterdir()):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            found.append(str(message["Subject"]))
    return found


def password_command(directory: Path, user: User) -> str:
    """A password_command that prints the user's password (kept in a 0600 file next to the account file)."""
    path = directory / f"{user.name}.password"
    path.write_text(user.password + "\n")
    path.chmod(0o600)
    return f"cat {shlex.quote(str(path))}"


def server(
    protocol: str, port: int, security: str, user: User, *, certs: Certificates, directory: Path, **more: Any
) -> dict[str, Any]:
    """One server of the account file: the test server on localhost, trusted through the test CA."""
    declared: dict[str, Any] = {
        "protocol": protocol,
        "host": "localhost",
        "port": port,
        "security": security,
        "username": user.name,
        "password_command": password_command(directory, user),
        "timeout": 30,
        "tls": {"ca_file": str(certs.ca)},
    }
    declared.update(more)
    return declared


def render(target: str, accounts: Mapping[str, Any], directory: Path, *options: str) -> dict[str, Path]:
    """Write the account file, run ``mailconf render OPTIONS --target TARGET FILE -o DIR``; the files it wrote."""
    source = directory / "accounts.yaml"
    text = json.dumps({"version": 1, "accounts": dict(accounts)}, indent=1, ensure_ascii=False)  # JSON is YAML
    source.write_text(text, encoding="utf-8")  # raw UTF-8: YAML has no surrogate-pair escapes (an emoji)
    out = directory / f"rendered-{target}"
    code = main(["render", *options, "--target", target, str(source), "-o", str(out)])
    assert code == 0, f"mailconf render --target {target} exited {code}"
    return {path.name: path for path in sorted(out.iterdir())}


def new_message(sender: str, recipient: str) -> tuple[str, bytes]:
    """(a unique subject, the message) to deliver into a mailbox."""
    subject = f"e2e-{uuid.uuid4().hex[:12]}"
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Message-ID"] = f"<{subject}@mailconf.test>"
    message["Date"] = "Sat, 28 Nov 2026 08:00:00 +0000"
    message.set_content(f"body of {subject}\n")
    return subject, bytes(message)


def deliver(dovecot: Dovecot, user: User, message: bytes) -> None:
    """Put a message into the user's INBOX the way an MDA does: a new file in Maildir/new (owned by nobody)."""
    maildir = dovecot.root / "home" / user.name / "Maildir"
    for part in (maildir, maildir / "tmp", maildir / "new", maildir / "cur"):
        part.mkdir(mode=0o700, exist_ok=True)
        os.chown(part, 65534, 65534)
    name = f"{time.time_ns()}.{uuid.uuid4().hex}.mailconf"
    temporary = maildir / "tmp" / name
    temporary.write_bytes(message.replace(b"\r\n", b"\n"))
    os.chown(temporary, 65534, 65534)
    temporary.rename(maildir / "new" / name)


def _client_context(certs: Certificates) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certs.ca))


def pop3_messages(dovecot: Dovecot, user: User, certs: Certificates) -> int:
    """How many messages the POP3 server holds for the user (over POP3S, read-only: QUIT after STAT)."""
    client = poplib.POP3_SSL(HOST, dovecot.ports.pop3s, context=_client_context(certs), timeout=CLIENT_TIMEOUT)
    try:
        client.user(user.name)
        client.pass_(user.password)
        count, _ = client.stat()
        return count
    finally:
        with contextlib.suppress(OSError, poplib.error_proto):
            client.quit()


def imap_messages(dovecot: Dovecot, user: User, certs: Certificates) -> int:
    """How many messages the user's INBOX holds (IMAPS, EXAMINE: read-only)."""
    client = imaplib.IMAP4_SSL(HOST, dovecot.ports.imaps, ssl_context=_client_context(certs), timeout=CLIENT_TIMEOUT)
    try:
        client.login(user.name, user.password)
        status, data = client.select("INBOX", readonly=True)
        assert status == "OK", data
        return int(data[0] or b"0")
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            client.logout()


def log_lines(dovecot: Dovecot, text: str, at_least: int = 1) -> list[str]:
    """Dovecot's log lines that contain ``text``.

    Dovecot's log process writes a line a moment after the event: wait (bounded) until there
    are ``at_least`` of them, then return all there are (fewer when the wait ran out).
    """
    deadline = time.monotonic() + LOG_TIMEOUT
    while True:
        found = [line for line in dovecot.log.splitlines() if text in line]
        if len(found) >= at_least or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def logins(dovecot: Dovecot, service: str, user: User, at_least: int = 1) -> list[str]:
    """Dovecot's log lines for the user's successful logins to ``service`` (imap-login, pop3-login)."""
    return log_lines(dovecot, f"{service}: Info: Login: user=<{user.name}>,", at_least)
