"""Standard output in an encoding that lacks a character (an ISO-8859-1 or ASCII locale, ``PYTHONIOENCODING``, a
Windows console's code page when redirected): text for a person is written in that encoding, a character it has no
byte for as Python escapes it (as standard error does); a document (an account file, JSON, SARIF, a diff, the
schema) is UTF-8 whatever the locale. Before, the first such character stopped the command: internal error, exit 3.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.probe.conftest import write_accounts
from tests.servers import ScriptedServer

#: an account file with findings, whose accounts hold names neither ASCII nor ISO-8859-1 can write
ACCOUNTS = """\
version: 1
accounts:
  work:
    address: jörg@example.com
    display_name: "Jörg “Ü” 😀"
    incoming: {protocol: imap, host: imap.example.com, port: 143, security: none, auth: password, username: jörg😀}
"""

MSMTPRC = b"""\
account work
host smtp.example.com
port 465
tls on
tls_starttls off
auth on
user j\xc3\xb6rg\xf0\x9f\x98\x80
from j\xc3\xb6rg@example.com
passwordeval pass show mail
"""


def run(encoding: str, *args: str, cwd: Path) -> tuple[int, bytes, bytes]:
    environ = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "GITHUB_ACTIONS", "MAILCONF_DEBUG")}
    done = subprocess.run(
        [sys.executable, "-m", "mailconf", *args],
        cwd=cwd,
        env={**environ, "PYTHONIOENCODING": encoding},
        capture_output=True,
        timeout=120,  # a hang guard
        check=False,
    )
    assert b"internal error" not in done.stderr and b"Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stdout, done.stderr


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "café.yaml").write_text(ACCOUNTS, encoding="utf-8")
    (tmp_path / "msmtprc").write_bytes(MSMTPRC)
    return tmp_path


@pytest.mark.parametrize(
    ("encoding", "name"), [("ascii", b"caf\\u00e9.yaml"), ("latin-1", b"caf\xe9.yaml"), ("utf-8", "café.yaml".encode())]
)
def test_a_text_report_is_written_in_the_locales_encoding(folder: Path, encoding: str, name: bytes) -> None:
    code, out, _ = run(encoding, "lint", "café.yaml", cwd=folder)
    assert code == 1
    assert out.splitlines()[0] == name + (
        b":6:77: error MC101 cleartext-credentials: password login to imap.example.com without TLS sends the "
        b"credentials in cleartext; set security: tls (port 993)"
    )
    assert out.splitlines()[-1] == b"1 error in 1 file"


@pytest.mark.parametrize(
    ("encoding", "name", "shown"),
    [
        ("ascii", "nofileé.yaml", b"nofile\\u00e9.yaml"),
        ("latin-1", "nofileé.yaml", b"nofile\xe9.yaml"),
        ("utf-8", "nofileé.yaml", "nofileé.yaml".encode()),
        *[(encoding, "nofile\udce9.yaml", b"nofile\\xe9.yaml") for encoding in ("ascii", "latin-1", "utf-8")],
    ],
    ids=["ascii", "latin-1", "utf-8", "byte-ascii", "byte-latin-1", "byte-utf-8"],
)
def test_standard_error_tells_a_character_from_a_byte(tmp_path: Path, encoding: str, name: str, shown: bytes) -> None:
    """A file name's é is \\u00e9 where the encoding lacks it, and its byte E9 that is not UTF-8 \\xe9, as the
    reports write them: Python's backslashreplace wrote é as \\xe9, and the byte was \\udce9."""
    code, out, err = run(encoding, "lint", name, cwd=tmp_path)
    assert (code, out) == (2, b"")
    assert err == b"mailconf: " + shown + b": no such file; check the path\n"


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_json_and_sarif_are_utf_8_whatever_the_locale(folder: Path, encoding: str, fmt: str) -> None:
    code, out, _ = run(encoding, "lint", "--format", fmt, "café.yaml", cwd=folder)
    assert code == 1
    report = json.loads(out.decode("utf-8"))
    if fmt == "json":
        assert [f["path"] for f in report] == ["café.yaml"]
    else:  # the rules' help holds "café" whatever the file: every SARIF report stopped in an ASCII locale
        [result] = report["runs"][0]["results"]
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "caf%C3%A9.yaml"
        assert "a café network".encode() in out


@pytest.mark.parametrize(("encoding", "shown"), [("ascii", b"caf\\u00e9 network"), ("latin-1", b"caf\xe9 network")])
def test_explain_is_text_for_a_person(folder: Path, encoding: str, shown: bytes) -> None:
    code, out, err = run(encoding, "explain", "MC101", cwd=folder)
    assert (code, err) == (0, b"")
    assert shown in out


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_an_imported_account_file_is_utf_8_whatever_the_locale(folder: Path, encoding: str) -> None:
    code, out, _ = run(encoding, "import", "--from", "msmtp", "msmtprc", cwd=folder)
    assert code == 0
    assert '      username: "jörg😀"\n'.encode() in out
    assert '    address: "jörg@example.com"\n'.encode() in out


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_a_diff_for_patch_is_utf_8_whatever_the_locale(folder: Path, encoding: str) -> None:
    """lint --diff of a file whose fixed line holds a name in another script: patch applies it to the UTF-8 file."""
    (folder / "café.yaml").write_text(ACCOUNTS.replace("port: 143, security: none", "port: 143, security: tls"))
    code, out, _ = run(encoding, "lint", "--diff", "café.yaml", cwd=folder)
    assert code == 1
    assert out.splitlines()[:2] == ["--- café.yaml".encode(), "+++ café.yaml".encode()]
    assert (
        "+    incoming: {protocol: imap, host: imap.example.com, port: 993, security: tls, auth: password, "
        "username: jörg😀}".encode()
    ) in out.splitlines()


@pytest.mark.parametrize(
    ("encoding", "got"), [("ascii", b'got "\\u00b2\\u00b2\\xb2 hi"'), ("latin-1", b'got "\xb2\xb2\\xb2 hi"')]
)
def test_what_a_server_sent_is_shown_in_the_locales_encoding(tmp_path: Path, encoding: str, got: bytes) -> None:
    """probe's text report quotes the server's greeting ("²² hi", and the byte B2, which is no UTF-8); its JSON
    report holds it as UTF-8. In ASCII, Python's backslashreplace wrote the character ² as \\xb2, the spelling of
    the byte: it is \\u00b2, as a message escapes a character."""

    def script(conn: object, stop: threading.Event) -> None:
        conn.sendall("²²".encode() + b"\xb2 hi\r\n")  # type: ignore[attr-defined]
        stop.wait()

    with ScriptedServer(script) as server:
        smtp = {"protocol": "smtp", "host": "127.0.0.1", "port": server.port, "security": "none", "auth": "none",
                "timeout": 2}  # fmt: skip
        write_accounts(tmp_path / "a.yaml", outgoing=smtp)
        code, out, _ = run(encoding, "probe", "--format", "text", "a.yaml", cwd=tmp_path)
        assert code == 1
        assert b"expected an SMTP reply, " + got in out
        code, out, _ = run(encoding, "probe", "--format", "json", "a.yaml", cwd=tmp_path)
        assert code == 1
        assert [f["message"] for f in json.loads(out.decode())] == ['expected an SMTP reply, got "²²\\xb2 hi"']
