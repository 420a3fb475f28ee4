"""The mbsync importer on hand-written files: each line split into arguments as mbsync 1.4.4's get_arg splits it."""

from __future__ import annotations

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
