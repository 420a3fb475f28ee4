"""offlineimap (offlineimap3 8.0.0) syncs the Dovecot INBOX into a Maildir with the rendered ~/.offlineimaprc.

Both rendered files are used unchanged, rendered into a throwaway HOME (the rc names its
pythonfile as ``~/.offlineimap-mailconf.py``), with the default ``~/Mail/<account>``; the
password comes from the account's password_command through ``remotepasseval`` and the
pythonfile, and the test CA is the rendered ``sslcacertfile``. Implicit TLS only: the
target leaves STARTTLS accounts out (offlineimap3's STARTTLS is opportunistic).
"""

from __future__ import annotations

import hashlib
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

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
from tests.servers import ALICE, CAROL, Certificates, Dovecot, KeyPair, User


def _sync(rc: Path, home: Path, account: str, *, absolute: bool = False) -> subprocess.CompletedProcess[str]:
    """offlineimap on the rc file; ``absolute``: where ``localhost.`` resolves too (:func:`absolute_names`)."""
    binary = need("offlineimap")["offlineimap"]
    argv = [binary, "-c", str(rc), "-o", "-u", "basic", "-a", account]  # -o: one sync, then exit
    return run_client(absolute_names(argv, home.parent) if absolute else argv, client_env(home), cwd=home)


def _rendered(tmp_path: Path, home: Path, certs: Certificates, dovecot: Dovecot, user: User, **more: Any) -> Path:
    incoming = server("imap", dovecot.ports.imaps, "tls", user, certs=certs, directory=tmp_path, **more)
    address = user.name if "@" in user.name else "a@example.org"  # the tests' odd user names are no addresses
    files = render("offlineimap", {"work": {"address": address, "incoming": incoming}}, tmp_path)
    assert sorted(files) == [".offlineimap-mailconf.py", ".offlineimaprc"]
    for name, path in files.items():  # the rc finds its pythonfile in HOME, where `render -o ~` puts both
        (home / name).write_bytes(path.read_bytes())
    return home / ".offlineimaprc"


def test_offlineimap_syncs_the_inbox_into_the_maildir(
    tmp_path: Path, home: Path, certs: Certificates, dovecot: Dovecot
) -> None:
    rc = _rendered(tmp_path, home, certs, dovecot, ALICE)
    text = rc.read_text()
    assert "\nssl = yes\n" in text
    assert f"\nsslcacertfile = {certs.ca}\n" in text
    assert "\nremotepasseval = mailconf_password('work')\n" in text
    subject, message = new_message("bob@example.net", ALICE.name)
    deliver(dovecot, ALICE, message)

    done = _sync(rc, home, "work")

    assert done.returncode == 0, done.stderr
    assert maildir_subjects(home / "Mail" / "work" / "INBOX") == [subject]
    found = logins(dovecot, "imap-login", ALICE)
    assert len(found) == 1 and ", TLS" in found[0], found  # one login, over TLS
    assert imap_messages(dovecot, ALICE, certs) == 1  # nothing was deleted on the server


def test_a_password_with_every_quoting_character_reaches_dovecot(
    tmp_path: Path, home: Path, certs: Certificates, dovecot: Dovecot
) -> None:
    # CAROL's password holds every quoting character: the pythonfile returns it exactly
    rc = _rendered(tmp_path, home, certs, dovecot, CAROL)
    subject, message = new_message("bob@example.net", CAROL.name)
    deliver(dovecot, CAROL, message)

    done = _sync(rc, home, "work")

    assert done.returncode == 0, done.stderr
    assert maildir_subjects(home / "Mail" / "work" / "INBOX") == [subject]
    assert len(logins(dovecot, "imap-login", CAROL)) == 1


def test_a_ca_file_that_did_not_sign_the_server_stops_the_sync(
    tmp_path: Path, home: Path, certs: Certificates, dovecot: Dovecot
) -> None:
    incoming = server("imap", dovecot.ports.imaps, "tls", ALICE, certs=certs, directory=tmp_path)
    incoming["tls"] = {"ca_file": str(certs.self_signed.cert)}
    files = render("offlineimap", {"work": {"address": ALICE.name, "incoming": incoming}}, tmp_path)
    for name, path in files.items():
        (home / name).write_bytes(path.read_bytes())
    deliver(dovecot, ALICE, new_message("bob@example.net", ALICE.name)[1])

    done = _sync(home / ".offlineimaprc", home, "work")

    assert done.returncode == 1
    assert (
        f"ERROR: Could not connect via SSL to host 'localhost' and non-standard ssl port {dovecot.ports.imaps} "
        "configured. Make sure you connect to the correct port. Got: [SSL: CERTIFICATE_VERIFY_FAILED] certificate "
        "verify failed: unable to get local issuer certificate (_ssl.c:992)\n"
    ) in done.stdout
    assert logins(dovecot, "imap-login", ALICE, at_least=0) == []
    assert not (home / "Mail" / "work" / "INBOX").exists()


# --- the user name on the wire: what Dovecot reads of offlineimap3's unquoted IMAP LOGIN -----------------------------

#: Users whose names Dovecot's default auth_username_chars would refuse (the server lifts it: any_username).
PERCENT, BLANK = User("user%domain*x", "pw-1"), User("al ice", "pw-2")
#: A password imaplib2's LOGIN cannot send (it encodes the command as ASCII), with an ASCII name and without.
UMLAUT, NON_ASCII = User("umlaut@example.org", "pässwörd"), User("ümlaut@example.org", "pässwörd")


@pytest.fixture
def dovecot_any(certs: Certificates) -> Iterator[Dovecot]:
    need("dovecot")
    with Dovecot(certs.good, (PERCENT, BLANK, UMLAUT, NON_ASCII), any_username=True) as server:
        yield server


@pytest.mark.parametrize(
    ("user", "mechanisms", "gap"),
    [
        (PERCENT, "LOGIN", ""),  # % and * are no atom characters (RFC 9051), but Dovecot reads them: LOGIN kept
        (BLANK, "CRAM-MD5, PLAIN",
         "mailconf: warning: offlineimap: account work: incoming.username cannot be expressed; offlineimap3 sends the "
         "user name of an IMAP LOGIN unquoted, and this one holds a blank, a non-ASCII character or one of ( ) { \": "
         "Dovecot refuses such a LOGIN (BAD), a laxer server reads another name, and a non-ASCII name stops "
         "offlineimap3 before it logs in, so LOGIN is left out (auth_mechanisms is CRAM-MD5, PLAIN: offlineimap3 "
         "logs in only where the server offers AUTH=CRAM-MD5 or AUTH=PLAIN)\n"),
    ],
    ids=["percent", "blank"],
)  # fmt: skip
def test_login_is_kept_for_a_user_name_dovecot_reads_as_written(  # noqa: PLR0917 (pytest fixtures)
    tmp_path: Path,
    home: Path,
    certs: Certificates,
    dovecot_any: Dovecot,
    capsys: pytest.CaptureFixture[str],
    user: User,
    mechanisms: str,
    gap: str,
) -> None:
    # mechanisms: [login] asks for the IMAP LOGIN command alone; where the name cannot go unquoted, PLAIN sends it
    capsys.readouterr()
    rc = _rendered(tmp_path, home, certs, dovecot_any, user, mechanisms=["login"])
    assert capsys.readouterr().err == gap
    assert f"\nauth_mechanisms = {mechanisms}\n" in rc.read_text()
    subject, message = new_message("bob@example.net", "a@example.org")
    deliver(dovecot_any, user, message)

    done = _sync(rc, home, "work")

    assert done.returncode == 0, done.stdout
    assert maildir_subjects(home / "Mail" / "work" / "INBOX") == [subject]
    assert len(logins(dovecot_any, "imap-login", user)) == 1  # logged in as the name declared


@pytest.mark.parametrize(
    ("user", "mechanisms", "code"),
    [(UMLAUT, [], 0), (UMLAUT, ["login"], 1), (NON_ASCII, ["login"], 0)],
    ids=["default", "login", "non-ascii-name"],
)
def test_a_non_ascii_password_stops_offlineimap_only_over_login(  # noqa: PLR0917 (pytest fixtures)
    tmp_path: Path,
    home: Path,
    certs: Certificates,
    dovecot_any: Dovecot,
    user: User,
    mechanisms: list[str],
    code: int,
) -> None:
    # render cannot see the password (its command runs at login): the offlineimap page says this instead of a gap.
    # A non-ASCII name leaves LOGIN out (a gap): [login] then writes CRAM-MD5, PLAIN
    rc = _rendered(tmp_path, home, certs, dovecot_any, user, **({"mechanisms": mechanisms} if mechanisms else {}))
    subject, message = new_message("bob@example.net", "a@example.org")
    deliver(dovecot_any, user, message)

    done = _sync(rc, home, "work")

    assert done.returncode == code, done.stdout
    if code:  # imaplib2 encodes LOGIN as ASCII before anything is sent: the account stops
        assert "'ascii' codec can't encode character '\\xe4' in position 2" in done.stdout
        assert logins(dovecot_any, "imap-login", user, at_least=0) == []
    else:  # PLAIN (and CRAM-MD5) send name and password in UTF-8, and come before LOGIN
        assert maildir_subjects(home / "Mail" / "work" / "INBOX") == [subject]
        assert len(logins(dovecot_any, "imap-login", user)) == 1


#: What offlineimap3 does with a host its certificate check cannot match, and render's gap for it (after "incoming.host
#: cannot be expressed; ").
_UNMATCHED_HOSTS = {
    ABSOLUTE_LOCALHOST: (
        # the dot makes the name absolute; offlineimap3 resolves it, then matches it against the names as written
        "offlineimap3 checks the certificate's names against the host with its trailing dot, which no certificate "
        "holds: the connection fails; write the host without the dot"
    ),
    "127.0.0.1": (
        # the test certificate names 127.0.0.1 among its IP addresses (Python's own check would take it);
        # offlineimap3 reads only its common name and DNS names (localhost)
        "offlineimap3 matches the host against the certificate's common name and DNS names only, never its IP "
        "addresses: the connection fails unless the common name or a DNS name is this address; connect by name, or "
        "pin the certificate (tls.verify false with tls.fingerprint)"
    ),
}


@pytest.mark.parametrize("host", list(_UNMATCHED_HOSTS))
@pytest.mark.parametrize("pinned", [False, True], ids=["ca", "pin-alone"])
def test_a_host_the_certificate_check_cannot_match_fails_as_the_gap_says(  # noqa: PLR0917 (pytest fixtures)
    tmp_path: Path,
    home: Path,
    certs: Certificates,
    dovecot: Dovecot,
    capsys: pytest.CaptureFixture[str],
    pinned: bool,
    host: str,
) -> None:
    # verify false with a pin: the pin alone is checked, and the name is not (no gap)
    tls = {"verify": False, "fingerprint": certs.fingerprint(certs.good)} if pinned else {"ca_file": str(certs.ca)}
    capsys.readouterr()
    rc = _rendered(tmp_path, home, certs, dovecot, ALICE, host=host, tls=tls)
    gap = f"mailconf: warning: offlineimap: account work: incoming.host cannot be expressed; {_UNMATCHED_HOSTS[host]}\n"
    assert capsys.readouterr().err == ("" if pinned else gap)
    assert f"\nremotehost = {host}\n" in rc.read_text()
    subject, message = new_message("bob@example.net", ALICE.name)
    deliver(dovecot, ALICE, message)

    done = _sync(rc, home, "work", absolute=host == ABSOLUTE_LOCALHOST)  # localhost. resolves there only

    if pinned:
        assert done.returncode == 0, done.stdout
        assert maildir_subjects(home / "Mail" / "work" / "INBOX") == [subject]
    else:
        assert done.returncode == 1, done.stdout
        assert "\n  ('CA Cert verifying failed:  no matching domain name found in certificate',)\n" in done.stdout
        assert logins(dovecot, "imap-login", ALICE, at_least=0) == []


@pytest.mark.parametrize("pinned", [False, True], ids=["ca", "pin-alone"])
def test_a_certificate_without_a_common_name_is_refused_unless_pinned(
    tmp_path: Path, home: Path, certs: Certificates, pinned: bool
) -> None:
    # imapserver.py's __verifycert reads the commonName first and gives up without one, whatever DNS names the
    # certificate holds: render cannot know the server's certificate, so the offlineimap page says it
    need("dovecot")
    ca = trustme.CA()
    issued = ca.issue_cert("localhost", "127.0.0.1")  # DNS and IP names, no commonName
    ca_file, cert, key = tmp_path / "ca.pem", tmp_path / "cert.pem", tmp_path / "key.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    cert.write_bytes(b"".join(blob.bytes() for blob in issued.cert_chain_pems))
    issued.private_key_pem.write_to_path(str(key))
    der = ssl.PEM_cert_to_DER_cert(issued.cert_chain_pems[0].bytes().decode())
    pin = "sha256:" + ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())
    tls = {"verify": False, "fingerprint": pin} if pinned else {"ca_file": str(ca_file)}
    with Dovecot(KeyPair(cert, key, der)) as dovecot:
        incoming = server("imap", dovecot.ports.imaps, "tls", ALICE, certs=certs, directory=tmp_path, tls=tls)
        files = render("offlineimap", {"work": {"address": ALICE.name, "incoming": incoming}}, tmp_path)
        for name, path in files.items():
            (home / name).write_bytes(path.read_bytes())
        subject, message = new_message("bob@example.net", ALICE.name)
        deliver(dovecot, ALICE, message)

        done = _sync(home / ".offlineimaprc", home, "work")

        if pinned:
            assert done.returncode == 0, done.stdout
            assert maildir_subjects(home / "Mail" / "work" / "INBOX") == [subject]
        else:
            assert done.returncode == 1, done.stdout
            assert "\n  ('CA Cert verifying failed:  no commonName found in certificate',)\n" in done.stdout
            assert logins(dovecot, "imap-login", ALICE, at_least=0) == []
