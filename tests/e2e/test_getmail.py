"""getmail (getmail6 6.18.11) fetches from the test Dovecot with the rendered rc files, into a Maildir.

The rendered file is used unchanged with getmail's defaults for everything it does not set
(``~/Mail/<account>/`` under a throwaway HOME); the password comes from the rendered
``password_command`` (the account's password_command run by ``/bin/sh -c``, its first output line
passed on), and the test CA is
the rendered ``ca_certs``. getmail refuses to deliver mail as root: when the tests run as root,
getmail runs as nobody (``setpriv``) in a folder that nobody owns.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import need
from tests.e2e.conftest import (
    ABSOLUTE_LOCALHOST,
    absolute_names,
    deliver,
    imap_messages,
    logins,
    maildir_subjects,
    new_message,
    pop3_messages,
    render,
    run_client,
    server,
)
from tests.servers import ALICE, CAROL, Certificates, Dovecot, User

NOBODY = 65534


@pytest.fixture
def base() -> Iterator[Path]:
    """A folder getmail can use whoever runs it (pytest's own folders are private to root)."""
    path = Path(tempfile.mkdtemp(prefix="mailconf-getmail-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _prepare(base: Path, certs: Certificates, protocol: str, port: int, user: User, **more: Any) -> Path:
    """Render one account ``work`` into base; its rc file. The CA is copied where getmail can read it."""
    ca = base / "ca.pem"
    shutil.copyfile(certs.ca, ca)
    incoming = server(protocol, port, "tls", user, certs=certs, directory=base, tls={"ca_file": str(ca)}) | more
    address = user.name if "@" in user.name else "a@example.org"  # the tests' odd user names are no addresses
    rc = render("getmail", {"work": {"address": address, "incoming": incoming}}, base)["getmail"] / "work.getmailrc"
    for part in ("cur", "new", "tmp"):
        (base / "home" / "Mail" / "work" / part).mkdir(parents=True)  # getmail does not create the Maildir
    return rc


def _getmail(rc: Path, base: Path, *, absolute: bool = False) -> subprocess.CompletedProcess[str]:
    """getmail on the rc file; ``absolute``: where ``localhost.`` resolves too (:func:`absolute_names`)."""
    binary = need("getmail")["getmail"]
    prefix: list[str] = []
    if os.geteuid() == 0:  # getmail refuses to deliver as root: run it as nobody, owner of everything it uses
        prefix = [need("setpriv")["setpriv"], f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
        for path in [base, *base.rglob("*")]:
            os.chown(path, NOBODY, NOBODY)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(base / "home"), "LC_ALL": "C.UTF-8"}
    argv = [*prefix, binary, "--getmaildir", str(rc.parent), "--rcfile", rc.name]
    return run_client(absolute_names(argv, base) if absolute else argv, env, cwd=base)


def test_pop3_over_tls_keeps_the_mail_on_the_server(base: Path, certs: Certificates, dovecot: Dovecot) -> None:
    # CAROL's password holds quotes, a backslash, a backtick, $ and %: it reaches Dovecot through the rendered tuple
    rc = _prepare(base, certs, "pop3", dovecot.ports.pop3s, CAROL, leave_on_server=True)
    text = rc.read_text()
    assert "\ntype = SimplePOP3SSLRetriever\n" in text
    assert f"\nca_certs = {base / 'ca.pem'}\n" in text
    assert "\nread_all = false\ndelete = false\n" in text
    subject, message = new_message("bob@example.net", CAROL.name)
    deliver(dovecot, CAROL, message)

    done = _getmail(rc, base)

    assert done.returncode == 0, done.stderr
    assert maildir_subjects(base / "home" / "Mail" / "work") == [subject]
    found = logins(dovecot, "pop3-login", CAROL)
    assert len(found) == 1 and ", TLS" in found[0], found
    assert pop3_messages(dovecot, CAROL, certs) == 1  # delete = false: still on the server

    again = _getmail(rc, base)  # read_all = false: a message fetched before is not fetched again

    assert again.returncode == 0, again.stderr
    assert maildir_subjects(base / "home" / "Mail" / "work") == [subject]
    assert pop3_messages(dovecot, CAROL, certs) == 1


def test_pop3_leave_on_server_false_deletes(base: Path, certs: Certificates, dovecot: Dovecot) -> None:
    rc = _prepare(base, certs, "pop3", dovecot.ports.pop3s, ALICE, leave_on_server=False)
    assert "\nread_all = false\ndelete = true\n" in rc.read_text()
    subject, message = new_message("bob@example.net", ALICE.name)
    deliver(dovecot, ALICE, message)

    done = _getmail(rc, base)

    assert done.returncode == 0, done.stderr
    assert maildir_subjects(base / "home" / "Mail" / "work") == [subject]
    assert pop3_messages(dovecot, ALICE, certs) == 0


def test_imap_over_tls_fetches_the_inbox(base: Path, certs: Certificates, dovecot: Dovecot) -> None:
    rc = _prepare(base, certs, "imap", dovecot.ports.imaps, ALICE)
    assert "\ntype = SimpleIMAPSSLRetriever\n" in rc.read_text()
    subject, message = new_message("bob@example.net", ALICE.name)
    deliver(dovecot, ALICE, message)

    done = _getmail(rc, base)

    assert done.returncode == 0, done.stderr
    assert maildir_subjects(base / "home" / "Mail" / "work") == [subject]
    found = logins(dovecot, "imap-login", ALICE)
    assert len(found) == 1 and ", TLS" in found[0], found
    assert imap_messages(dovecot, ALICE, certs) == 1  # delete = false


def test_without_a_ca_file_the_system_bundle_is_checked(base: Path, certs: Certificates, dovecot: Dovecot) -> None:
    # getmail checks no certificate without ca_certs; the rendered system bundle does not hold the test CA,
    # so the connection fails before the login
    rc = _prepare(base, certs, "imap", dovecot.ports.imaps, ALICE, tls={})
    assert "\nca_certs = /etc/ssl/certs/ca-certificates.crt\n" in rc.read_text()
    deliver(dovecot, ALICE, new_message("bob@example.net", ALICE.name)[1])

    done = _getmail(rc, base)

    assert done.returncode == 127
    assert done.stderr == (
        "work.getmailrc: operation error (SSLError during connect ([SSL: CERTIFICATE_VERIFY_FAILED] certificate "
        "verify failed: unable to get local issuer certificate (_ssl.c:992)))\n"
    )
    assert logins(dovecot, "imap-login", ALICE, at_least=0) == []
    assert maildir_subjects(base / "home" / "Mail" / "work") == []


def test_verify_false_accepts_any_certificate(base: Path, certs: Certificates, dovecot: Dovecot) -> None:
    # what getmail does without ca_certs (and why every checked account gets one): the test CA is trusted nowhere
    rc = _prepare(base, certs, "imap", dovecot.ports.imaps, ALICE, tls={"verify": False})
    assert "\nca_certs" not in rc.read_text()
    subject, message = new_message("bob@example.net", ALICE.name)
    deliver(dovecot, ALICE, message)

    done = _getmail(rc, base)

    assert done.returncode == 0, done.stderr
    assert maildir_subjects(base / "home" / "Mail" / "work") == [subject]


@pytest.mark.parametrize("matches", [True, False])
def test_a_sha256_pin_replaces_the_ca(base: Path, certs: Certificates, dovecot: Dovecot, matches: bool) -> None:
    pin = certs.fingerprint(certs.good if matches else certs.self_signed)
    rc = _prepare(base, certs, "imap", dovecot.ports.imaps, ALICE, tls={"fingerprint": pin})
    text = rc.read_text()
    assert "\nca_certs" not in text
    assert f"\nssl_fingerprints = ('{pin.removeprefix('sha256:').replace(':', '').lower()}',)\n" in text
    subject, message = new_message("bob@example.net", ALICE.name)
    deliver(dovecot, ALICE, message)

    done = _getmail(rc, base)

    if matches:
        assert done.returncode == 0, done.stderr
        assert maildir_subjects(base / "home" / "Mail" / "work") == [subject]
    else:
        good = certs.fingerprint(certs.good).removeprefix("sha256:").replace(":", "").lower()
        assert done.returncode == 127
        assert done.stderr == f"work.getmailrc: operation error (socket ssl_fingerprints mismatch (got {good}))\n"
        assert logins(dovecot, "imap-login", ALICE, at_least=0) == []


@pytest.mark.parametrize("protocol", ["pop3", "imap"])
@pytest.mark.parametrize("more", ["printf 'login: %s\\nurl: x\\n' alice", "printf 'second line'"])
def test_the_first_line_of_the_password_command_is_the_password(
    base: Path, certs: Certificates, dovecot: Dovecot, protocol: str, more: str
) -> None:
    # `pass show` prints the password, then more lines: the account file means the first. getmail itself sends all
    # of its output (a second line reached the POP3 server as a command; IMAP LOGIN was refused)
    password_file = shlex.quote(str(base / f"{ALICE.name}.password"))  # written by the e2e server(), then chowned
    port = dovecot.ports.pop3s if protocol == "pop3" else dovecot.ports.imaps
    rc = _prepare(base, certs, protocol, port, ALICE, password_command=f"cat {password_file}; {more}")
    subject, message = new_message("bob@example.net", ALICE.name)
    deliver(dovecot, ALICE, message)

    done = _getmail(rc, base)

    assert done.returncode == 0, done.stderr
    assert maildir_subjects(base / "home" / "Mail" / "work") == [subject]
    assert len(logins(dovecot, f"{protocol}-login", ALICE)) == 1


def test_a_failing_password_command_stops_getmail_with_its_status(
    base: Path, certs: Certificates, dovecot: Dovecot
) -> None:
    # the first-line script passes the command's exit status on: getmail stops, it never logs in with what it printed
    password_file = shlex.quote(str(base / f"{ALICE.name}.password"))
    rc = _prepare(base, certs, "imap", dovecot.ports.imaps, ALICE, password_command=f"cat {password_file}; exit 3")
    deliver(dovecot, ALICE, new_message("bob@example.net", ALICE.name)[1])

    done = _getmail(rc, base)

    assert done.returncode == 127
    assert done.stderr == "work.getmailrc: operation error (External program error (/bin/sh exited with 3))\n"
    assert logins(dovecot, "imap-login", ALICE, at_least=0) == []
    assert maildir_subjects(base / "home" / "Mail" / "work") == []


# --- the user name on the wire: what Dovecot reads of getmail's unquoted IMAP LOGIN ----------------------------------

#: Users whose names Dovecot's default auth_username_chars would refuse (the server lifts it: any_username).
PERCENT, BLANK, ACCENT = User("user%domain*x", "pw-1"), User("al ice", "pw-2"), User("éa", "pw-3")
#: A password imaplib's LOGIN cannot send (it encodes the command as ASCII).
UMLAUT = User("umlaut@example.org", "pässwörd")
#: What getmail says when Dovecot refuses its LOGIN (BAD: a blank ends the name, and LOGIN takes two arguments).
REFUSED = (
    "work.getmailrc: credential/login error (LOGIN command error: BAD [b'Error in IMAP command received by server.'])\n"
)
#: The gap for a name an unquoted LOGIN cannot carry.
LOGIN_NAME_GAP = (
    "mailconf: warning: getmail: account work: incoming.username cannot be expressed; getmail sends the user name "
    'of an IMAP LOGIN unquoted, and this one holds a blank, a non-ASCII character or one of ( ) { ": Dovecot refuses '
    "such a LOGIN (BAD), a laxer server reads another name, and a non-ASCII name stops getmail before it logs in; "
    "its only other login for an IMAP password is CRAM-MD5 (mechanisms: [cram-md5]), and POP3 sends the name as "
    "written\n"
)


@pytest.fixture
def dovecot_any(certs: Certificates) -> Iterator[Dovecot]:
    need("dovecot")
    users = (PERCENT, BLANK, ACCENT, UMLAUT)
    with Dovecot(certs.good, users, mechanisms=("plain", "login", "cram-md5"), any_username=True) as server:
        yield server


@pytest.mark.parametrize(
    ("user", "protocol", "mechanisms", "code", "stderr", "gap"),
    [
        (PERCENT, "imap", [], 0, "", ""),  # % and * are no atom characters (RFC 9051), but Dovecot reads them
        (BLANK, "imap", [], 127, REFUSED, LOGIN_NAME_GAP),
        (ACCENT, "imap", [], 4, "UnicodeEncodeError: 'ascii' codec can't encode character", LOGIN_NAME_GAP),
        (BLANK, "imap", ["cram-md5"], 0, "", ""),  # CRAM-MD5 sends the name as written
        (ACCENT, "imap", ["cram-md5"], 0, "", ""),
        (BLANK, "pop3", [], 0, "", ""),  # USER sends it as written
        (ACCENT, "pop3", [], 0, "", ""),
    ],
    ids=["percent", "blank", "non-ascii", "blank-cram-md5", "non-ascii-cram-md5", "blank-pop3", "non-ascii-pop3"],
)
def test_what_dovecot_reads_of_the_user_name_is_what_the_gap_says(  # noqa: PLR0917 (pytest fixtures)
    base: Path,
    certs: Certificates,
    dovecot_any: Dovecot,
    capsys: pytest.CaptureFixture[str],
    user: User,
    protocol: str,
    mechanisms: list[str],
    code: int,
    stderr: str,
    gap: str,
) -> None:
    port = dovecot_any.ports.pop3s if protocol == "pop3" else dovecot_any.ports.imaps
    capsys.readouterr()
    rc = _prepare(base, certs, protocol, port, user, **({"mechanisms": mechanisms} if mechanisms else {}))
    assert capsys.readouterr().err == gap
    subject, message = new_message("bob@example.net", user.name)
    deliver(dovecot_any, user, message)

    done = _getmail(rc, base)

    assert done.returncode == code, done.stderr
    assert (done.stderr == stderr) if code != 4 else (stderr in done.stderr), done.stderr  # 4: a traceback
    if code == 0:
        assert maildir_subjects(base / "home" / "Mail" / "work") == [subject]
        assert len(logins(dovecot_any, f"{protocol}-login", user)) == 1  # logged in as the name declared
    else:
        assert logins(dovecot_any, f"{protocol}-login", user, at_least=0) == []


@pytest.mark.parametrize(
    ("protocol", "mechanisms", "code"),
    [("imap", [], 4), ("imap", ["cram-md5"], 0), ("pop3", [], 0)],
    ids=["imap-login", "imap-cram-md5", "pop3"],
)
def test_a_non_ascii_password_stops_getmail_only_over_imap_login(  # noqa: PLR0917 (pytest fixtures)
    base: Path, certs: Certificates, dovecot_any: Dovecot, protocol: str, mechanisms: list[str], code: int
) -> None:
    # render cannot see the password (its command runs at login): the getmail page says this instead of a gap
    port = dovecot_any.ports.pop3s if protocol == "pop3" else dovecot_any.ports.imaps
    rc = _prepare(base, certs, protocol, port, UMLAUT, **({"mechanisms": mechanisms} if mechanisms else {}))
    subject, message = new_message("bob@example.net", UMLAUT.name)
    deliver(dovecot_any, UMLAUT, message)

    done = _getmail(rc, base)

    assert done.returncode == code, done.stderr
    if code:  # getmail's traceback: imaplib encodes LOGIN as ASCII before anything is sent
        assert "UnicodeEncodeError: 'ascii' codec can't encode character '\\xe4' in position 2" in done.stderr
        assert logins(dovecot_any, "imap-login", UMLAUT, at_least=0) == []
    else:  # CRAM-MD5 and POP3's PASS send it in UTF-8
        assert maildir_subjects(base / "home" / "Mail" / "work") == [subject]
        assert len(logins(dovecot_any, f"{protocol}-login", UMLAUT)) == 1


@pytest.mark.parametrize("pinned", [False, True], ids=["ca", "sha256-pin"])
def test_a_host_with_a_trailing_dot_fails_the_name_check_as_the_gap_says(
    base: Path, certs: Certificates, dovecot: Dovecot, capsys: pytest.CaptureFixture[str], pinned: bool
) -> None:
    # the dot makes the name absolute; getmail resolves it, then matches it against the certificate's names as written
    tls = {"fingerprint": certs.fingerprint(certs.good)} if pinned else {"ca_file": str(base / "ca.pem")}
    capsys.readouterr()
    rc = _prepare(base, certs, "imap", dovecot.ports.imaps, ALICE, host=ABSOLUTE_LOCALHOST, tls=tls)
    gap = (
        "mailconf: warning: getmail: account work: incoming.host cannot be expressed; getmail checks the certificate's "
        "names against the host with its trailing dot, which no certificate holds: the connection fails; write the "
        "host without the dot\n"
    )
    assert capsys.readouterr().err == ("" if pinned else gap)
    assert f"\nserver = {ABSOLUTE_LOCALHOST}\n" in rc.read_text()
    subject, message = new_message("bob@example.net", ALICE.name)
    deliver(dovecot, ALICE, message)

    done = _getmail(rc, base, absolute=True)

    if pinned:  # a pin replaces the CAs and the name check: the dot does not matter
        assert done.returncode == 0, done.stderr
        assert maildir_subjects(base / "home" / "Mail" / "work") == [subject]
    else:
        assert done.returncode == 127
        assert done.stderr == (
            "work.getmailrc: operation error ((\"hostname 'localhost.' doesn't match either of 'localhost', "
            "'127.0.0.1'\",))\n"
        )
        assert logins(dovecot, "imap-login", ALICE, at_least=0) == []


@pytest.mark.parametrize("protocol", ["pop3", "imap"])
def test_an_ip_address_as_the_host_matches_the_certificates_ip_address(
    base: Path, certs: Certificates, dovecot: Dovecot, capsys: pytest.CaptureFixture[str], protocol: str
) -> None:
    # the test certificate names 127.0.0.1 among its IP addresses; Python's ssl matches an address there (no gap),
    # where offlineimap3 (its own check) does not
    port = dovecot.ports.pop3s if protocol == "pop3" else dovecot.ports.imaps
    capsys.readouterr()
    rc = _prepare(base, certs, protocol, port, ALICE, host="127.0.0.1")
    assert capsys.readouterr().err == ""
    assert "\nserver = 127.0.0.1\n" in rc.read_text()
    subject, message = new_message("bob@example.net", ALICE.name)
    deliver(dovecot, ALICE, message)

    done = _getmail(rc, base)

    assert done.returncode == 0, done.stderr
    assert maildir_subjects(base / "home" / "Mail" / "work") == [subject]
    assert len(logins(dovecot, f"{protocol}-login", ALICE)) == 1
