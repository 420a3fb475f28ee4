"""What mailconf agrees to read: regular files only, up to a documented size.

A FIFO given to lint used to block forever (and the files after it were never
linted); /dev/zero or a huge file named by mistake would fill memory. Each case
runs the real command in a subprocess; the subprocess timeout of run_mailconf
guards against a hang and asserts no duration.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from mailconf.document import MAX_FILE_BYTES, read_bytes
from tests.test_cli import INSECURE, Outcome, run_mailconf

MC101 = (
    "accounts.yaml:8:17: error MC101 cleartext-credentials: password login to imap.example.com without TLS "
    "sends the credentials in cleartext; set security: tls (port 993)\n"
)


def test_a_fifo_is_refused_without_opening_it_for_a_writer_and_the_next_file_is_linted(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")
    (tmp_path / "accounts.yaml").write_text(INSECURE, encoding="utf-8")
    outcome = run_mailconf("lint", "pipe.yaml", "accounts.yaml", cwd=tmp_path)
    assert outcome == Outcome(
        2,
        MC101 + "1 error in 1 file\n",
        "mailconf: pipe.yaml: not a regular file; it is a named pipe, name a YAML file\n",
    )


@pytest.mark.parametrize("command", [("render", "-t", "msmtp"), ("probe",)])
def test_render_and_probe_refuse_a_fifo(tmp_path: Path, command: tuple[str, ...]) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")
    outcome = run_mailconf(*command, "pipe.yaml", cwd=tmp_path)
    assert outcome == Outcome(2, "", "mailconf: pipe.yaml: not a regular file; it is a named pipe, name a YAML file\n")


def test_a_character_device_is_refused(tmp_path: Path) -> None:
    outcome = run_mailconf("lint", "/dev/zero", cwd=tmp_path)
    assert outcome == Outcome(
        2, "", "mailconf: /dev/zero: not a regular file; it is a character device, name a YAML file\n"
    )


def test_a_socket_is_refused(tmp_path: Path) -> None:
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(str(tmp_path / "s.yaml"))
        outcome = run_mailconf("lint", "s.yaml", cwd=tmp_path)
    assert outcome == Outcome(2, "", "mailconf: s.yaml: not a regular file; it is a socket, name a YAML file\n")


def test_a_file_over_the_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    """A sparse file one byte over 64 MiB: refused from its size, and the next file is linted."""
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    (tmp_path / "accounts.yaml").write_text(INSECURE, encoding="utf-8")
    outcome = run_mailconf("lint", "big.yaml", "accounts.yaml", cwd=tmp_path)
    assert outcome == Outcome(
        2,
        MC101 + "1 error in 1 file\n",
        "mailconf: big.yaml: larger than 64 MiB, too large for an account file; check the path\n",
    )


def test_a_file_at_the_limit_is_still_read(tmp_path: Path) -> None:
    """64 MiB exactly (the documented limit) is read whole: here as a sparse file of zero bytes."""
    assert MAX_FILE_BYTES == 64 * 1024 * 1024
    at_limit = tmp_path / "at-limit.yaml"
    with at_limit.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES)
    assert read_bytes(str(at_limit)) == bytes(MAX_FILE_BYTES)


def test_a_directory_is_walked_and_one_without_account_files_refused(tmp_path: Path) -> None:
    (tmp_path / "dir.yaml").mkdir()
    outcome = run_mailconf("lint", "dir.yaml", cwd=tmp_path)
    assert outcome == Outcome(
        2, "", "mailconf: dir.yaml: no account files here (include: *.yaml, *.yml); name a file, or set include in "
        "the settings\n",
    )  # fmt: skip
    outcome = run_mailconf("render", "-t", "msmtp", "dir.yaml", cwd=tmp_path)  # render takes one file
    assert outcome == Outcome(2, "", "mailconf: dir.yaml: is a directory; name a YAML file\n")
