"""The mbsync importer on hand-written files: each line split into arguments as mbsync 1.4.4's get_arg splits it."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import pytest

from mailconf.cli import main
from mailconf.importers import ReadOptions
from mailconf.importers._core import import_paths


def imported(path: Path) -> tuple[dict[str, Any], tuple[str, ...]]:
    result = import_paths("mbsync", [str(path)], ReadOptions())
    return {k: dict(v) for k, v in result.accounts.items()}, result.warnings


def test_a_comment_after_a_value_is_not_part_of_it(tmp_path: Path) -> None:
    # mbsync reads `Host imap.example.org # work` as the host imap.example.org (a '#' where an argument
    # would start ends the line); the importer read the host "imap.example.org # work", which the schema
    # refused, so the account was left out
    rc = tmp_path / "mbsyncrc"
    rc.write_text(
        "IMAPAccount work # the office\nHost imap.example.org # work\nUser alice@example.org #me\nPort 993 #x\n"
        "CertificateFile /etc/ssl/ca#2.pem\n"  # a '#' inside an argument is part of it
    )
    accounts, warnings = imported(rc)
    assert accounts == {
        "work": {
            "address": "alice@example.org",
            "incoming": {"protocol": "imap", "host": "imap.example.org", "port": 993, "security": "starttls",
                         "auth": "password", "username": "alice@example.org",
                         "tls": {"ca_file": "/etc/ssl/ca#2.pem"}},
        }
    }  # fmt: skip
    assert warnings == ()


SECRET = "s3cret-Do-Not-Print-42"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (  # a file saved with CR line ends (classic Mac): mbsync reads one line, and refuses it
            f"IMAPAccount work\rHost imap.example.org\rUser alice\rPass {SECRET}\r",
            "mbsyncrc:1:18: a carriage return is no line end for mbsync: what follows it is a second value after "
            "IMAPAccount, and mbsync refuses the file (excess token); save the file with Unix (LF) line ends, or "
            "remove the carriage return",
        ),
        (
            f"IMAPAccount work\nHost imap.example.org\rPass {SECRET}\n",
            "mbsyncrc:2:23: a carriage return is no line end for mbsync: what follows it is a second value after "
            "Host, and mbsync refuses the file (excess token); save the file with Unix (LF) line ends, or remove "
            "the carriage return",
        ),
        (  # mbsync: `excess token 'Do'`; never the password's words here
            "IMAPAccount work\nHost imap.example.org\nPass s3cret Do-Not-Print-42\n",
            "mbsyncrc:3:13: a second value after Pass: mbsync refuses the file (excess token); put each setting on "
            'a line of its own, and a value holding blanks in double quotes ("...")',
        ),
        (  # mbsync: unterminated escape sequence
            "IMAPAccount work\nHost imap.example.org\nUser alice\\\n",
            "mbsyncrc:3:11: a backslash escapes nothing; remove it, or write \\\\",
        ),
    ],
)
def test_what_mbsync_refuses_is_one_located_line_without_the_password(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str, message: str
) -> None:
    # a CR-only file was one account named "work\rHost imap.example.org\rUser alice\rPass <the password>":
    # the password was in three warnings (the name changed, the address guessed from it)
    rc = tmp_path / "mbsyncrc"
    rc.write_bytes(content.encode())
    code = main(["import", "--from", "mbsync", str(rc)])
    out, err = capsys.readouterr()
    assert (code, out, err) == (2, "", f"mailconf: {tmp_path}/{message}\n")


def test_crlf_line_ends_and_several_mechanisms_are_read_as_mbsync_reads_them(tmp_path: Path) -> None:
    rc = tmp_path / "mbsyncrc"
    rc.write_bytes(
        b"IMAPAccount work\r\nHost imap.example.org\r\nUser alice@example.org\r\nAuthMechs LOGIN\rPLAIN\r\n"
        b"SSLVersions TLSv1.3 TLSv1.2\r\n\r\nIMAPStore x\r\nAccount work\r\n"
    )
    accounts, warnings = imported(rc)
    assert accounts == {
        "work": {
            "address": "alice@example.org",
            "incoming": {"protocol": "imap", "host": "imap.example.org", "port": 143, "security": "starttls",
                         "auth": "password", "username": "alice@example.org", "mechanisms": ["login", "plain"],
                         "tls": {"min_version": "1.2"}},
        }
    }  # fmt: skip
    assert warnings == ()


def test_an_imap_store_that_gives_the_account_options_itself_is_an_account(tmp_path: Path) -> None:
    # "it is also possible to specify all the Account options directly in the Store's section" (mbsync(1)): the
    # importer read IMAPAccount sections only, and such a file was "no mbsync account found" (exit 2)
    import subprocess

    from tests.conftest import need

    need("mbsync")
    (tmp_path / "mail").mkdir()
    rc = tmp_path / "mbsyncrc"
    rc.write_text(
        'IMAPStore work-remote\nHost 127.0.0.1\nPort 9\nUser alice@example.org\nPassCmd "true"\nSSLType IMAPS\n'
        f"Trash Trash\n\nMaildirStore work-local\nPath {tmp_path}/mail/\n\n"
        "Channel work\nFar :work-remote:\nNear :work-local:\n\n"
        "IMAPAccount other\nHost imap.example.net\n\nIMAPStore other-remote\nAccount other\n"
    )
    # mbsync takes the store's Host and Port (port 9, discard: nothing listens, so it goes no further)
    done = subprocess.run(["mbsync", "-c", str(rc), "-l", "work"], capture_output=True, text=True, timeout=60,
                          check=False)  # fmt: skip
    assert "Cannot connect to 127.0.0.1 (127.0.0.1:9)" in done.stderr, done.stderr
    accounts, warnings = imported(rc)
    assert accounts == {
        "work-remote": {
            "address": "alice@example.org",
            "incoming": {"protocol": "imap", "host": "127.0.0.1", "port": 9, "security": "tls", "auth": "password",
                         "username": "alice@example.org", "password_command": "true"},
        },
        "other": {
            "address": "other@imap.example.net",
            "incoming": {"protocol": "imap", "host": "imap.example.net", "port": 143, "security": "starttls",
                         "auth": "password"},
        },
    }  # fmt: skip
    assert [w.split(": ", 1)[1] for w in warnings] == ["mbsync names no address: this one is a guess, check it"]


def mbsync_reads(tmp_path: Path, account: str) -> str:
    """What mbsync 1.4.4 makes of an IMAPAccount section: the address it connects to (nothing listens there), or its
    first complaint about the file."""
    import os
    import subprocess

    from tests.conftest import need

    binary = need("mbsync")["mbsync"]
    (tmp_path / "mail").mkdir()
    rc = tmp_path / "mbsyncrc"
    rc.write_text(
        f"{account}\n\nIMAPStore s\nAccount a\n\nMaildirStore l\nPath {tmp_path}/mail/\n\n"
        "Channel c\nFar :s:\nNear :l:\n"
    )
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "LC_ALL": "C.UTF-8"}
    done = subprocess.run([binary, "-c", str(rc), "-l", "c"], capture_output=True, text=True, env=env, timeout=60,
                          stdin=subprocess.DEVNULL, check=False)  # fmt: skip
    lines = [line for line in done.stderr.splitlines() if "Notice" not in line]
    connect = [line.split("(")[1].split(")")[0] for line in lines if line.startswith("Cannot connect to ")]
    return connect[0] if connect else lines[0].replace(f"{rc}:", "rc:")


#: an IMAPAccount section -> the address mbsync 1.4.4 connects to, and the server the import gives (the default
#: port tells IMAPS from STARTTLS), and the note the import adds
MBSYNC_READINGS = {
    "Port 0": ("127.0.0.1:143", 143, "starttls", None),  # 0: the default port (it was left out: port 0)
    'Port ""': ("127.0.0.1:143", 143, "starttls", None),
    "Port +9": ("127.0.0.1:9", 9, "starttls", None),  # strtol: a sign (it was left out: not a whole number)
    'Port " 9"': ("127.0.0.1:9", 9, "starttls", None),
    "Port 4294967305": (
        "127.0.0.1:9",
        9,
        "starttls",
        "3:1: Port 4294967305: mbsync reads this number as 9 (a 32-bit int)",
    ),
    "SSLType imaps": ("127.0.0.1:993", 993, "tls", None),
    "UseIMAPS yes": (
        "127.0.0.1:993",
        993,
        "tls",
        "1:1: mbsync 1.4.4 offers only TLS 1.0 here (UseTLSv1.x): imported "
        "as min_version 1.0, and the account file has no highest version",
    ),
    "RequireSSL no\nUseTLSv1 no": ("127.0.0.1:143", 143, "none", None),
}


@pytest.mark.parametrize("lines", list(MBSYNC_READINGS))
def test_mbsync_settings_are_read_as_mbsync_reads_them(tmp_path: Path, lines: str) -> None:
    # Port 0 (the default port), Port +9 and Port " 9" left the account out (not a port), UseIMAPS yes was imported
    # as STARTTLS on 143 where mbsync connects to 993 with TLS
    connects, port, security, note = MBSYNC_READINGS[lines]
    assert mbsync_reads(tmp_path, f"IMAPAccount a\nHost 127.0.0.1\n{lines}") == connects
    rc = tmp_path / "rc"
    rc.write_text(f"IMAPAccount a\nHost 127.0.0.1\n{lines}\n")
    accounts, warnings = imported(rc)
    assert (accounts["a"]["incoming"]["port"], accounts["a"]["incoming"]["security"]) == (port, security)
    assert [w for w in warnings if "guess" not in w] == ([] if note is None else [f"{rc}:{note}"])


@pytest.mark.parametrize("host", ["imaps:127.0.0.1", "imaps://127.0.0.1", "imap://127.0.0.1"])
def test_mbsync_reads_the_legacy_url_notation_of_host(tmp_path: Path, host: str) -> None:
    # the host was imported as written, which the schema refused: the account was left out
    secure = host.startswith("imaps:")
    assert mbsync_reads(tmp_path, f"IMAPAccount a\nHost {host}") == f"127.0.0.1:{993 if secure else 143}"
    rc = tmp_path / "rc"
    rc.write_text(f"IMAPAccount a\nHost {host}\n")
    incoming = imported(rc)[0]["a"]["incoming"]
    assert (incoming["host"], incoming["port"], incoming["security"]) == (
        "127.0.0.1", 993 if secure else 143, "tls" if secure else "starttls"
    )  # fmt: skip


#: an IMAPAccount section mbsync refuses (and with it the file) -> its complaint, and the import's (both were
#: imported: a keyword after a blank line was dropped, SSLType TLS read as STARTTLS, Path warned of, Pass kept)
MBSYNC_REFUSED = {
    "\nPort 9": ("rc:4: 'Port' is not a recognized section-starting or global keyword",
                 "4:1: Port is not a recognized section-starting or global keyword: mbsync refuses the file; a blank "
                 "line ends a section: remove the blank line above, or the line"),
    "SSLType TLS": ("rc:3: Invalid SSL type",
                    "3:9: SSLType TLS: Invalid SSL type: mbsync refuses the file; write IMAPS, STARTTLS or None"),
    "SSLVersions TLSv1.2 TLSv2": ("rc:3: Unrecognized SSL version",
                                  "3:21: SSLVersions TLSv2: Unrecognized SSL version: mbsync refuses the file; write "
                                  "one or more of TLSv1, TLSv1.1, TLSv1.2, TLSv1.3"),
    "Port -1": ("rc:3: Invalid port number",
                "3:6: Port -1: Invalid port number: mbsync refuses the file; write a port number from 1 to 65535"),
    "Port 0x9": ("rc:3: invalid integer value '0x9'",
                 '3:6: invalid integer value "0x9": mbsync refuses the file; write a number in decimal digits'),
    "Timeout": ("rc:3: parameter missing",
                "3:1: Timeout needs a value (parameter missing): mbsync refuses the file; write its value after it, "
                "or remove the line"),
    "Path x": ("rc:3: keyword 'Path' is not recognized in IMAPAccount sections",
               "3:1: keyword Path is not recognized in IMAPAccount sections: mbsync refuses the file; remove the line "
               "(a blank line ends a section, and a new one starts after it)"),
    "IMAPAccount b": ("rc:3: keyword 'IMAPAccount' is not recognized in IMAPAccount sections",
                      "3:1: keyword IMAPAccount is not recognized in IMAPAccount sections: mbsync refuses the file; "
                      "remove the line (a blank line ends a section, and a new one starts after it)"),
    f"Pass {SECRET}\nPassCmd true": ("IMAP account 'a' has both Pass and PassCmd",
                                     "1:1: account a has both Pass and PassCmd: mbsync refuses the file; remove one "
                                     "of them"),
    "RequireSSL no\nSSLType IMAPS": ("IMAP account 'a': The deprecated UseSSL*, UseTLS*, UseIMAPS, and RequireSSL "
                                     "options are mutually exclusive with SSLType and SSLVersions.",
                                     "1:1: account a: the deprecated UseSSL*, UseTLS*, UseIMAPS and RequireSSL options "
                                     "are mutually exclusive with SSLType and SSLVersions: mbsync refuses the file; "
                                     "remove the deprecated ones"),
}  # fmt: skip


@pytest.mark.parametrize("lines", list(MBSYNC_REFUSED))
def test_a_file_mbsync_refuses_stops_the_import(capsys: pytest.CaptureFixture[str], tmp_path: Path, lines: str) -> None:
    complaint, message = MBSYNC_REFUSED[lines]
    assert mbsync_reads(tmp_path, f"IMAPAccount a\nHost 127.0.0.1\n{lines}") == complaint
    rc = tmp_path / "rc"
    rc.write_text(f"IMAPAccount a\nHost 127.0.0.1\n{lines}\n")
    code = main(["import", "--from", "mbsync", str(rc)])
    out, err = capsys.readouterr()
    assert (code, out, err) == (2, "", f"mailconf: {rc}:{message}\n")


def mbsync_connects(tmp_path: Path, versions: str, version: ssl.TLSVersion) -> bool:
    """Whether mbsync 1.4.4 with ``SSLVersions VERSIONS`` completes a TLS handshake with a server that speaks only
    ``version`` (the server then says BYE)."""
    import os
    import socket
    import subprocess
    import threading

    import trustme

    from tests.conftest import need

    binary = need("mbsync")["mbsync"]
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    context.minimum_version = context.maximum_version = version
    (tmp_path / "ca.pem").write_bytes(ca.cert_pem.bytes())
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(30)

    def serve() -> None:
        try:
            connection, _ = listener.accept()
            with context.wrap_socket(connection, server_side=True) as tls:
                tls.sendall(b"* BYE\r\n")
        except OSError:  # the handshake refused (ssl.SSLError is one), or no client came
            pass

    thread = threading.Thread(target=serve)
    thread.start()
    (tmp_path / "mail").mkdir(exist_ok=True)
    rc = tmp_path / "mbsyncrc"
    rc.write_text(
        f"IMAPAccount a\nHost 127.0.0.1\nPort {listener.getsockname()[1]}\nSSLType IMAPS\nUser u\nPassCmd true\n"
        f"CertificateFile {tmp_path}/ca.pem\nSSLVersions {versions}\n\nIMAPStore s\nAccount a\n\n"
        f"MaildirStore l\nPath {tmp_path}/mail/\n\nChannel c\nFar :s:\nNear :l:\n"
    )
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "LC_ALL": "C.UTF-8"}
    try:
        done = subprocess.run([binary, "-c", str(rc), "-l", "c"], capture_output=True, text=True, env=env,
                              timeout=60, stdin=subprocess.DEVNULL, check=False)  # fmt: skip
    finally:
        thread.join()
        listener.close()
    return "secure connect" not in done.stderr


#: SSLVersions -> the versions of 1.2 and 1.3 mbsync 1.4.4 connects with (OpenSSL offers the lowest run of listed
#: versions without a gap), the min_version imported, and the note (1.0 and 1.1 are not tried: OpenSSL 3 refuses
#: them at its default security level, on either side)
SSL_VERSIONS = {
    "TLSv1.2": ({"1.2"}, "1.2", "3:1: mbsync 1.4.4 offers only TLS 1.2 here (SSLVersions): imported as min_version "
                                "1.2, and the account file has no highest version"),
    "TLSv1.3": ({"1.3"}, "1.3", None),
    "TLSv1.3 TLSv1.2": ({"1.2", "1.3"}, "1.2", None),
    "SSLv3 TLSv1.2 TLSv1.3": ({"1.2", "1.3"}, "1.2", None),  # mbsync: "SSLv3 is no longer supported"
    "TLSv1 TLSv1.2 TLSv1.3": (set(), "1.0", "3:1: mbsync 1.4.4 offers only TLS 1.0 here (SSLVersions; OpenSSL takes "
                                            "the lowest versions without a gap): imported as min_version 1.0, and "
                                            "the account file has no highest version"),
    "TLSv1.1 TLSv1.3": (set(), "1.1", "3:1: mbsync 1.4.4 offers only TLS 1.1 here (SSLVersions; OpenSSL takes the "
                                      "lowest versions without a gap): imported as min_version 1.1, and the account "
                                      "file has no highest version"),
    "SSLv3": (set(), None, "3:1: SSLVersions names no TLS version (mbsync 1.4.4 no longer supports SSLv2 and SSLv3): "
                           "mbsync cannot connect; imported without min_version"),
}  # fmt: skip


@pytest.mark.parametrize("versions", list(SSL_VERSIONS))
def test_ssl_versions_mbsync_does_not_offer_are_said(tmp_path: Path, versions: str) -> None:
    # `SSLVersions TLSv1.2` was imported as min_version 1.2 without a word: mbsync then refuses TLS 1.3, and the
    # account file (which has no highest version) allows it; `TLSv1 TLSv1.2 TLSv1.3` offers TLS 1.0 only
    connects, lowest, note = SSL_VERSIONS[versions]
    tried = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}
    assert {name for name, version in tried.items() if mbsync_connects(tmp_path, versions, version)} == connects
    rc = tmp_path / "rc"
    rc.write_text(f"IMAPAccount a\nHost 127.0.0.1\nSSLVersions {versions}\n")
    accounts, warnings = imported(rc)
    assert accounts["a"]["incoming"].get("tls", {}).get("min_version") == lowest
    assert [w for w in warnings if "guess" not in w] == ([] if note is None else [f"{rc}:{note}"])


def test_an_account_that_connects_through_a_tunnel_and_names_no_host_is_left_out_in_one_line(tmp_path: Path) -> None:
    # a published file's dovecot-over-ssh account was left out as 'incoming.host: `host` is not valid (got "")',
    # after a second line that its tunnel runs a command
    rc = tmp_path / "mbsyncrc"
    rc.write_text(
        'IMAPAccount local\nTunnel "ssh mail.example.com /usr/lib/dovecot/imap"\nUser alice@example.com\n\n'
        "IMAPAccount work\nHost imap.example.com\nUser bob@example.com\n"
    )
    accounts, warnings = imported(rc)
    assert list(accounts) == ["work"]
    assert warnings == (
        f"{rc}:2:1: account local: connects through its Tunnel command, which mailconf never runs, and names no "
        "Host: no server to import; not imported",
    )


def test_an_account_with_a_host_and_a_tunnel_is_left_out_as_mbsync_connects_through_the_tunnel(
    tmp_path: Path,
) -> None:
    # it was imported with the Host (and no TLS: mbsync's default with a Tunnel), the Tunnel only reported; mbsync
    # 1.4.4 runs the Tunnel and never connects to the Host (socket_connect tries the tunnel first)
    ran = tmp_path / "ran"
    assert mbsync_reads(tmp_path, f'IMAPAccount a\nHost 127.0.0.1\nTunnel "touch {ran}; exit 1"').startswith(
        f"IMAP error: unexpected EOF from tunnel 'touch {ran}; exit 1'"
    )
    assert ran.exists()
    rc = tmp_path / "rc"
    rc.write_text(
        'IMAPAccount local\nHost imap.example.com\nTunnel "ssh imap.example.com /usr/lib/dovecot/imap"\n'
        "User alice@example.com\n\nIMAPAccount work\nHost imap.example.com\nUser bob@example.com\n"
    )
    accounts, warnings = imported(rc)
    assert list(accounts) == ["work"]
    assert warnings == (
        f"{rc}:3:1: account local: connects through its Tunnel command, which mailconf never runs, not to its Host "
        "(mbsync's socket_connect): no server to import; not imported",
    )
