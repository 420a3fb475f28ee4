"""Headless Thunderbird logs in to IMAP with the rendered profile files.

The profile gets the rendered ``user.js`` (plus the harness prefs that make Thunderbird
start quietly and listen for Marionette) and, as the target's docs say, either runs the
rendered ``import-ca.sh`` (``sh import-ca.sh PROFILE``) or receives the rendered
``cert_override.txt``. Thunderbird has no password command: a chrome-context script sets
the password in memory and calls ``verifyLogon``; Dovecot's log shows the login.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import need
from tests.e2e.conftest import CLIENT_TIMEOUT, client_env, logins, render, server
from tests.servers import ALICE, CAROL, Certificates, Dovecot, User
from tests.targets._marionette import thunderbird, write_user_js

LOGON_SCRIPT = r"""
const [name, password] = arguments;
const done = arguments[arguments.length - 1];
const { MailServices } = ChromeUtils.importESModule("resource:///modules/MailServices.sys.mjs");
const accounts = MailServices.accounts.accounts.filter(a => a.incomingServer.prettyName == name);
if (accounts.length != 1) {
  done({error: `${accounts.length} accounts named ${name}`});
  return;
}
const server = accounts[0].incomingServer;
const read = {type: server.type, hostname: server.hostname, port: server.port, username: server.username,
              socketType: server.socketType};
server.password = password;
const listener = {
  QueryInterface: ChromeUtils.generateQI(["nsIUrlListener"]),
  OnStartRunningUrl() {},
  OnStopRunningUrl(url, status) { done({read, status}); },
};
try {
  server.verifyLogon(listener, null);
} catch (e) {
  done({read, error: String(e)});
}
"""


def _logon(files: dict[str, Path], account: str, password: str) -> Any:
    """A new profile from the rendered files; Thunderbird verifies the logon; the profile is removed."""
    need("thunderbird")
    profile = Path(tempfile.mkdtemp(prefix="mailconf-e2e-tb-"))
    try:
        if "cert_override.txt" in files:  # a new profile has none: copy it in (the target's docs)
            shutil.copyfile(files["cert_override.txt"], profile / "cert_override.txt")
        write_user_js(profile, files["user.js"].read_text(encoding="utf-8"))
        if "import-ca.sh" in files:
            need("certutil")
            done = subprocess.run(
                ["sh", str(files["import-ca.sh"]), str(profile)],
                capture_output=True,
                env=client_env(profile),
                stdin=subprocess.DEVNULL,
                timeout=CLIENT_TIMEOUT,
                check=False,
            )
            assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
        with thunderbird(profile) as client:
            return client.execute_async(LOGON_SCRIPT, [account, password], timeout_ms=int(CLIENT_TIMEOUT * 1000))
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@pytest.mark.parametrize(
    ("security", "user", "socket_type"),
    [("starttls", ALICE, 2), ("tls", CAROL, 3)],  # carol's password holds every quoting character
)
def test_thunderbird_logs_in_with_the_imported_ca(  # noqa: PLR0917 (pytest fixtures)
    tmp_path: Path, certs: Certificates, dovecot: Dovecot, security: str, user: User, socket_type: int
) -> None:
    port = dovecot.ports.imaps if security == "tls" else dovecot.ports.imap
    incoming = server("imap", port, security, user, certs=certs, directory=tmp_path)
    files = render("thunderbird", {"work": {"address": user.name, "incoming": incoming}}, tmp_path)
    assert list(files) == ["import-ca.sh", "user.js"]

    result = _logon(files, "work", user.password)

    read = {"type": "imap", "hostname": "localhost", "port": port, "username": user.name, "socketType": socket_type}
    assert result == {"read": read, "status": 0}
    found = logins(dovecot, "imap-login", user)
    assert len(found) == 1 and ", TLS" in found[0], found


def test_thunderbird_refuses_the_server_without_the_ca(tmp_path: Path, certs: Certificates, dovecot: Dovecot) -> None:
    """The control: the same user.js without running import-ca.sh never gets to log in."""
    incoming = server("imap", dovecot.ports.imaps, "tls", ALICE, certs=certs, directory=tmp_path)
    files = render("thunderbird", {"work": {"address": ALICE.name, "incoming": incoming}}, tmp_path)
    del files["import-ca.sh"]

    result = _logon(files, "work", ALICE.password)

    assert result["status"] != 0, result
    assert logins(dovecot, "imap-login", ALICE, at_least=0) == []


def test_thunderbird_refuses_a_wrong_password(tmp_path: Path, certs: Certificates, dovecot: Dovecot) -> None:
    """verifyLogon really logs in: a wrong password is a failure, and Dovecot logs no login."""
    incoming = server("imap", dovecot.ports.imaps, "tls", ALICE, certs=certs, directory=tmp_path)
    files = render("thunderbird", {"work": {"address": ALICE.name, "incoming": incoming}}, tmp_path)

    result = _logon(files, "work", "not-" + ALICE.password)

    assert result["status"] != 0, result
    assert logins(dovecot, "imap-login", ALICE, at_least=0) == []


def test_thunderbird_logs_in_to_a_pinned_server(tmp_path: Path, certs: Certificates) -> None:
    """A self-signed certificate pinned by tls.fingerprint: the rendered cert_override.txt, no CA at all."""
    need("dovecot")
    with Dovecot(tls=certs.self_signed) as dovecot:
        incoming = server(
            "imap", dovecot.ports.imaps, "tls", CAROL, certs=certs, directory=tmp_path,
            tls={"fingerprint": certs.fingerprint(certs.self_signed)},
        )  # fmt: skip
        files = render("thunderbird", {"work": {"address": CAROL.name, "incoming": incoming}}, tmp_path)
        assert list(files) == ["cert_override.txt", "user.js"]

        result = _logon(files, "work", CAROL.password)

        assert result["status"] == 0, result
        found = logins(dovecot, "imap-login", CAROL)
        assert len(found) == 1 and ", TLS" in found[0], found
