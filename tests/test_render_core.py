"""The render command's core, through ``mailconf.cli.main``: where output goes, what is refused, exit codes.

Most tests use a small fake target (injected into the registry) so that the core
is tested on its own: one file per account, named ``<account>.conf``, and a gap
for every account whose name starts with ``gap``. The outlook-prf target (one
file) stands in for a real target where that matters.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any, NamedTuple

import jinja2
import jinja2.compiler
import pytest

import mailconf.render
from mailconf.cli import main
from mailconf.model import Auth, Model, Protocol, Security
from mailconf.targets import TARGETS, Gap, Rendered, RenderedFile
from tests.conftest import EXAMPLES

ACCOUNT: dict[str, Any] = {"address": "a@example.org", "incoming": {"protocol": "imap", "host": "imap.example.org"},
           "outgoing": {"host": "smtp.example.org"}}  # fmt: skip


def fake_render(model: Model, env: jinja2.Environment, options: Mapping[str, str]) -> Rendered:
    files = tuple(
        RenderedFile(f"{options.get('dir', '')}{a.name}.conf", f"account {a.name}\nhost {a.incoming.host}\n".encode())
        for a in model.accounts
        if a.incoming is not None
    )
    gaps = tuple(Gap(a.name, "incoming.timeout", "set it by hand") for a in model.accounts if a.name.startswith("gap"))
    return Rendered(files, gaps)


FAKE = SimpleNamespace(
    NAME="fake", TITLE="a test target", CAPABILITIES={}, OPTIONS={"dir": "a prefix for file names"},
    OWN_FILES=(), __doc__="Test only.", render=fake_render,
)  # fmt: skip


@pytest.fixture(autouse=True)
def fake_target(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(TARGETS, "fake", FAKE)
    yield


def accounts_file(tmp: Path, *names: str, extra: dict[str, Any] | None = None) -> str:
    accounts = {name: ACCOUNT | (extra or {}) for name in names}
    path = tmp / "accounts.yaml"
    path.write_text(json.dumps({"version": 1, "accounts": accounts}))
    return str(path)


def run(*args: str) -> int:
    code = main(["render", *args])
    assert isinstance(code, int)
    return code


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- standard output --------------------------------------------------------------------------------------


def test_one_file_goes_to_stdout(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    assert run("-t", "fake", accounts_file(tmp_path, "work")) == 0
    out, err = capsysbinary.readouterr()
    assert (out, err) == (b"account work\nhost imap.example.org\n", b"")


def test_several_files_on_stdout_exit_2(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    file = accounts_file(tmp_path, "work", "home")
    assert run("-t", "fake", file) == 2
    out, err = capsysbinary.readouterr()
    assert out == b""
    assert err == (
        b"mailconf: target fake renders 2 files here (work.conf, home.conf); write them with -o DIR, "
        b"or pick one account with --account\n"
    )
    assert run("-t", "fake", "--account", "home", file) == 0
    assert capsysbinary.readouterr().out == b"account home\nhost imap.example.org\n"


# --- writing files ----------------------------------------------------------------------------------------


def test_o_writes_files_0600_in_new_directories_0700(tmp_path: Path) -> None:
    out = tmp_path / "new" / "deeper"
    assert run("-t", "fake", "-o", str(out), "--option", "dir=sub/", accounts_file(tmp_path, "work", "home")) == 0
    assert sorted(p.relative_to(tmp_path).as_posix() for p in (tmp_path / "new").rglob("*")) == [
        "new/deeper",
        "new/deeper/sub",
        "new/deeper/sub/home.conf",
        "new/deeper/sub/work.conf",
    ]  # fmt: skip  (no temporary file is left behind)
    assert (out / "sub" / "work.conf").read_bytes() == b"account work\nhost imap.example.org\n"
    assert [mode(p) for p in (tmp_path / "new", out, out / "sub")] == [0o700, 0o700, 0o700]
    assert [mode(out / "sub" / n) for n in ("work.conf", "home.conf")] == [0o600, 0o600]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "work.conf").write_bytes(b"old\n")

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    assert run("-t", "fake", "-o", str(out), "--force", accounts_file(tmp_path, "work")) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"mailconf: cannot write {out.resolve() / 'work.conf'}: No space left on device")
    # the old file is whole, so the .bak copy made of it is removed with the rest (docs/render.md)
    assert sorted(p.name for p in out.iterdir()) == ["work.conf"]
    assert (out / "work.conf").read_bytes() == b"old\n"


def test_an_existing_differing_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "work.conf").write_bytes(b"my own edits\n")
    assert run("-t", "fake", "-o", str(out), accounts_file(tmp_path, "home", "work")) == 2
    _, err = capsys.readouterr()
    assert err == (
        f"mailconf: refusing to replace {out.resolve() / 'work.conf'}: it exists with other content; "
        "use --check to see the difference, --force to replace it (a .bak copy is kept)\n"
    )
    assert (out / "work.conf").read_bytes() == b"my own edits\n"
    assert sorted(p.name for p in out.iterdir()) == ["work.conf"]  # home.conf was not written either


def test_force_replaces_and_keeps_numbered_backups(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    target = out / "work.conf"
    target.write_bytes(b"first\n")
    target.chmod(0o600)
    file = accounts_file(tmp_path, "work", "home")
    assert run("-t", "fake", "-o", str(out), "--force", file) == 0
    assert target.read_bytes() == b"account work\nhost imap.example.org\n"
    assert (out / "work.conf.bak").read_bytes() == b"first\n"
    assert mode(out / "work.conf.bak") == 0o600
    # each copy is named: a user would not know it exists, nor which of .bak, .bak.1... this run made
    shown = out.resolve()
    assert capsys.readouterr() == (
        "",
        f"mailconf: replaced {shown}/work.conf; its old content is kept in {shown}/work.conf.bak\n",
    )
    target.write_bytes(b"second\n")
    assert run("-t", "fake", "-o", str(out), "--force", file) == 0
    assert capsys.readouterr() == (
        "",
        f"mailconf: replaced {shown}/work.conf; its old content is kept in {shown}/work.conf.bak.1\n",
    )
    assert (out / "work.conf.bak").read_bytes() == b"first\n"
    assert (out / "work.conf.bak.1").read_bytes() == b"second\n"
    assert sorted(p.name for p in out.iterdir()) == ["home.conf", "work.conf", "work.conf.bak", "work.conf.bak.1"]


def test_identical_files_are_left_alone(tmp_path: Path) -> None:
    out = tmp_path / "out"
    file = accounts_file(tmp_path, "work")
    assert run("-t", "fake", "-o", str(out), file) == 0
    os.utime(out / "work.conf", ns=(1_000_000_000, 1_000_000_000))
    before = (out / "work.conf").stat()
    assert run("-t", "fake", "-o", str(out), "--force", file) == 0
    after = (out / "work.conf").stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, 1_000_000_000)
    assert sorted(p.name for p in out.iterdir()) == ["work.conf"]


def test_a_file_name_outside_the_directory_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert run("-t", "fake", "-o", str(out), "--option", "dir=../", accounts_file(tmp_path, "work")) == 2
    assert capsys.readouterr().err == f"mailconf: refusing to write ../work.conf outside {out}\n"
    assert not out.exists() and not (tmp_path / "work.conf").exists()


def test_o_naming_a_file_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_bytes(b"x")
    assert run("-t", "fake", "-o", str(blocker), accounts_file(tmp_path, "work")) == 2
    assert capsys.readouterr().err == (
        f"mailconf: {blocker.resolve()} is not a directory; -o names the directory to write into\n"
    )
    assert blocker.read_bytes() == b"x"


@pytest.mark.parametrize("under", ["", "sub/"])
def test_o_naming_a_file_is_refused_before_the_file_is_loaded_or_rendered(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], under: str
) -> None:
    """`render -t all -o somefile` rendered every target (seconds for a large file) and printed each one's gaps, then
    refused -o: now the one line, before the account file is read (a missing one is not even looked at)."""
    blocker = tmp_path / "blocker"
    blocker.write_bytes(b"x")
    assert run("-t", "all", "-o", f"{blocker}/{under}", str(tmp_path / "missing.yaml")) == 2
    assert capsys.readouterr().err == (
        f"mailconf: {blocker.resolve()} is not a directory; -o names the directory to write into\n"
    )


def test_a_symbolic_link_leading_outside_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    elsewhere = tmp_path / "elsewhere.conf"
    elsewhere.write_bytes(b"not yours\n")
    (out / "work.conf").symlink_to(elsewhere)
    assert run("-t", "fake", "-o", str(out), "--force", accounts_file(tmp_path, "work")) == 2
    assert capsys.readouterr().err == f"mailconf: refusing to write work.conf outside {out}\n"
    assert elsewhere.read_bytes() == b"not yours\n"
    assert (out / "work.conf").is_symlink()


def test_many_files_are_all_written_with_no_temporary_left(tmp_path: Path) -> None:
    names = [f"a{i:03}" for i in range(150)]  # more than one batch of overlapped fsyncs
    out = tmp_path / "out"
    assert run("-t", "fake", "-o", str(out), accounts_file(tmp_path, *names)) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{n}.conf" for n in names)
    assert all((out / f"{n}.conf").read_bytes() == f"account {n}\nhost imap.example.org\n".encode() for n in names)
    assert {mode(p) for p in out.iterdir()} == {0o600}


def test_a_failure_while_writing_changes_no_file_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every file is on disk as a temporary before any is renamed: a full disk on the 100th leaves all as they were."""
    names = [f"a{i:03}" for i in range(150)]
    out = tmp_path / "out"
    out.mkdir()
    (out / "a000.conf").write_bytes(b"old\n")
    real_fsync, calls = os.fsync, []

    def fsync_until_full(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 100:
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync_until_full)
    assert run("-t", "fake", "-o", str(out), "--force", accounts_file(tmp_path, *names)) == 2
    assert capsys.readouterr().err.startswith("mailconf: cannot write ")
    assert sorted(p.name for p in out.iterdir()) == ["a000.conf"]  # and no .bak: nothing was replaced
    assert (out / "a000.conf").read_bytes() == b"old\n"


# --- several targets from one load --------------------------------------------------------------------------


def test_several_targets_write_one_folder_each(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    file = accounts_file(tmp_path, "work", "home")
    out = tmp_path / "out"
    assert run("-t", "fake", "-t", "outlook-prf", "-t", "fake", "-o", str(out), file) == 0
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == [
        "fake", "fake/home.conf", "fake/work.conf", "outlook-prf", "outlook-prf/outlook.prf",
    ]  # fmt: skip
    assert run("-t", "outlook-prf", file) == 0  # the same bytes as the target alone
    assert (out / "outlook-prf" / "outlook.prf").read_bytes() == capsysbinary.readouterr().out
    assert (out / "fake" / "work.conf").read_bytes() == b"account work\nhost imap.example.org\n"
    assert run("-t", "fake", "-t", "outlook-prf", "-o", str(out), "--check", file) == 0


def test_all_targets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = accounts_file(tmp_path, "work")
    out = tmp_path / "out"
    assert run("-t", "all", "-o", str(out), file) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(TARGETS)
    assert run("-t", "all", "-o", str(out), "--check", file) == 0
    (out / "msmtp" / ".msmtprc").write_bytes(b"# edited\n")
    capsys.readouterr()
    assert run("-t", "all", "-o", str(out), "--check", file) == 1
    assert capsys.readouterr().out.startswith(f"--- {out / 'msmtp' / '.msmtprc'} (on disk)\n")


def test_several_targets_need_o(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("-t", "fake", "-t", "msmtp", accounts_file(tmp_path, "work")) == 2
    assert capsys.readouterr().err == "mailconf: 2 targets write one folder each: name the directory with -o DIR\n"


def test_several_targets_strict_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert run("-t", "fake", "-t", "msmtp", "-o", str(out), "--strict", accounts_file(tmp_path, "gappy")) == 1
    assert capsys.readouterr().err == (
        "mailconf: error: fake: account gappy: incoming.timeout cannot be expressed; set it by hand\n"
        "mailconf: 1 setting cannot be expressed by fake, msmtp (--strict); nothing written\n"
    )
    assert not out.exists()


def test_an_option_goes_to_every_target_that_takes_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = accounts_file(tmp_path, "work")
    out = tmp_path / "out"
    assert (
        run("-t", "outlook", "-t", "outlook-prf", "-t", "fake", "-o", str(out), "--option", "profile=Team", file) == 0
    )
    assert b"\r\nProfileName=Team\r\n" in (out / "outlook-prf" / "outlook.prf").read_bytes()
    assert "\\Profiles\\Team\\" in (out / "outlook" / "outlook.reg").read_bytes().decode("ascii")
    assert run("-t", "msmtp", "-t", "fake", "-o", str(out), "--option", "profile=Team", file) == 2
    assert capsys.readouterr().err == "mailconf: --option profile: unknown for targets msmtp, fake (known: dir)\n"


def test_a_shared_gap_is_said_once_for_several_targets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    incoming = ACCOUNT["incoming"] | {"password": "S3cr3t-pa55-XYZZY"}
    file = accounts_file(tmp_path, "work", extra={"incoming": incoming})
    assert run("-t", "fake", "-t", "msmtp", "-o", str(tmp_path / "out"), file) == 0
    assert capsys.readouterr().err == (
        "mailconf: warning: all targets: account work: incoming.password cannot be expressed; a literal password "
        "is never rendered: use password_command (lint: MC401)\n"
    )


# --- --check ----------------------------------------------------------------------------------------------


def test_check_fresh_stale_and_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    file = accounts_file(tmp_path, "work", "home")
    assert run("-t", "fake", "-o", str(out), file) == 0
    capsys.readouterr()
    assert run("-t", "fake", "-o", str(out), "--check", file) == 0
    assert capsys.readouterr() == ("", "")

    (out / "work.conf").write_bytes(b"account work\nhost old.example.org\n")
    (out / "home.conf").unlink()
    assert run("-t", "fake", "-o", str(out), "--check", file) == 1
    stdout, stderr = capsys.readouterr()
    work, home = out / "work.conf", out / "home.conf"
    assert stdout == (
        f"--- {work} (on disk)\n+++ {work} (rendered)\n@@ -1,2 +1,2 @@\n account work\n"
        "-host old.example.org\n+host imap.example.org\n"
    )  # a missing file: no diff from nothing, the missing line alone
    assert stderr == (
        f"mailconf: {home}: missing\nmailconf: rendered files are stale: run the same command with --update "
        "instead of --check to rewrite them\n"
    )
    assert (out / "work.conf").read_bytes() == b"account work\nhost old.example.org\n"  # --check writes nothing
    assert not home.exists()


def test_check_needs_o(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("-t", "fake", "--check", accounts_file(tmp_path, "work")) == 2
    assert capsys.readouterr().err == (
        "mailconf: --check compares with files on disk: name the directory with -o DIR\n"
    )


def test_check_shows_a_utf16_prf_as_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    file = accounts_file(tmp_path, "work", extra={"display_name": "Zoë"})
    assert run("-t", "outlook-prf", "-o", str(out), file) == 0
    prf = out / "outlook.prf"
    prf.write_bytes(prf.read_bytes().replace("Zoë".encode("utf-16-le"), "Zoe".encode("utf-16-le")))
    capsys.readouterr()
    assert run("-t", "outlook-prf", "-o", str(out), "--check", file) == 1
    diff = capsys.readouterr().out
    assert "-DisplayName=Zoe\r\n+DisplayName=Zoë\r\n" in diff


# --- refusals and errors ----------------------------------------------------------------------------------


def test_strict_with_a_gap_exits_1_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert run("-t", "fake", "-o", str(out), "--strict", accounts_file(tmp_path, "gappy", "work")) == 1
    assert capsys.readouterr().err == (
        "mailconf: error: fake: account gappy: incoming.timeout cannot be expressed; set it by hand\n"
        "mailconf: 1 setting cannot be expressed by fake (--strict); nothing written\n"
    )
    assert not out.exists()


def test_accounts_with_the_same_gap_share_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert run("-t", "fake", "-o", str(out), accounts_file(tmp_path, "gap1", "work", "gap2")) == 0
    assert capsys.readouterr().err == (
        "mailconf: warning: fake: accounts gap1, gap2: incoming.timeout cannot be expressed; set it by hand\n"
    )
    many = [f"gap{i}" for i in range(1, 8)]
    assert run("-t", "fake", "-o", str(out), "--strict", accounts_file(tmp_path, *many)) == 1
    assert capsys.readouterr().err == (
        "mailconf: error: fake: accounts gap1, gap2, gap3 and 4 more (7): incoming.timeout cannot be expressed; "
        "set it by hand\n"
        "mailconf: 7 settings cannot be expressed by fake (--strict); nothing written\n"
    )


def test_a_gap_without_strict_warns_and_writes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert run("-t", "fake", "-o", str(out), accounts_file(tmp_path, "gappy")) == 0
    assert capsys.readouterr().err == (
        "mailconf: warning: fake: account gappy: incoming.timeout cannot be expressed; set it by hand\n"
    )
    assert (out / "gappy.conf").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-t", "nope"], "Error: Invalid value for '--target' / '-t': nope is not one of "),
        (["-t", "fake", "--account", "missing"], "mailconf: no account named missing (accounts: work)\n"),
        (["-t", "fake", "--option", "dir"], "mailconf: --option dir: write KEY=VALUE\n"),
        (["-t", "fake", "--option", "x=1"], "mailconf: --option x: unknown for target fake (known: dir)\n"),
        # an empty key or pair is shown as '' (it was `--option : write KEY=VALUE`)
        (["-t", "fake", "--option", ""], "mailconf: --option '': write KEY=VALUE\n"),
        (["-t", "fake", "--option", "=1"], "mailconf: --option '': unknown for target fake (known: dir)\n"),
        # the last one won without a word; the same value twice is no conflict
        (
            ["-t", "fake", "--option", "dir=a", "--option", "dir=a", "--option", "dir=b"],
            "mailconf: --option dir: given twice (a, then b); give it once\n",
        ),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str, tmp_path: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    assert run(*args, accounts_file(tmp_path, "work")) == 2
    out, err = capsys.readouterr()
    assert out == ""
    if message.endswith("\n"):
        assert err == message
    else:  # click's usage error, its choices read from the registry
        names = ", ".join(f"'{n}'" for n in [*sorted(TARGETS), "all"])
        assert err.splitlines()[-1] == f"{message}{names}."


@pytest.mark.parametrize("option", ["patterns", "maildir-root"])
def test_an_option_value_that_is_not_utf8_exits_2(option: str, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    """A byte of another encoding on the command line (``--option patterns=$'\\xe4'``) reaches Python as a lone
    surrogate: before, writing it out was an internal error (exit 3, UnicodeEncodeError)."""
    path = tmp_path / "accounts.yaml"
    path.write_text((EXAMPLES / "company.yaml").read_text())
    assert run("-t", "mbsync", "--option", f"{option}=/M\udce4il", "-o", str(tmp_path / "out"), str(path)) == 2
    assert capsys.readouterr() == ("", f"mailconf: --option {option}: the value is not UTF-8 text; write it in UTF-8\n")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("extra", [[], ["--force"], ["--update"], ["--check"]])
def test_an_empty_output_directory_exits_2(extra: list[str], tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    """``-o "$DIR"`` with DIR unset: before, the file went to standard output (exit 0), or --check and --update
    asked for the -o that was given."""
    assert run("-t", "fake", "-o", "", *extra, accounts_file(tmp_path, "work")) == 2
    message = (
        "mailconf: -o '': an empty path names no directory (an unset variable?); name the directory to write into\n"
    )
    assert capsys.readouterr() == ("", message)


def test_a_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("-t", "fake", str(tmp_path / "none.yaml")) == 2
    assert capsys.readouterr().err == f"mailconf: {tmp_path / 'none.yaml'}: no such file; check the path\n"


def test_an_invalid_file_exits_1_with_the_lint_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "version: 1\naccounts:\n  work:\n    address: a@example.org\n    incoming: {protocol: smtp, host: h}\n"
    )
    assert run("-t", "fake", str(path)) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f'{path}:5:26: error MC002 schema-violation: `protocol` must be one of imap, pop3 (got "smtp"); '
        "smtp is the protocol of `outgoing:`\n"
        f"mailconf: {path}: not rendered: fix the errors above first (`mailconf lint {path}`)\n"
    )


def test_starttls_optional_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = accounts_file(tmp_path, "work", extra={"outgoing": {"host": "smtp.example.org",
                                                              "security": "starttls-optional"}})  # fmt: skip
    out = tmp_path / "out"
    assert run("-t", "fake", "-o", str(out), file) == 1
    assert capsys.readouterr().err == (
        "mailconf: error: account work: outgoing.security starttls-optional is never rendered (a client that may "
        f"skip STARTTLS can be downgraded); use starttls or tls\nmailconf: {file}: not rendered\n"
    )
    assert not out.exists()


@pytest.mark.parametrize("target", ["msmtp", "mbsync"])
def test_a_mechanism_that_contradicts_auth_is_refused(
    target: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """msmtp wrote auth plain, mbsync AuthMechs PLAIN, with the token command as the password's: never again."""
    server = {"auth": "oauth2", "token_command": "oama access a@example.org", "mechanisms": ["xoauth2", "plain"]}
    file = accounts_file(tmp_path, "work", extra={"incoming": ACCOUNT["incoming"] | server,
                                                  "outgoing": ACCOUNT["outgoing"] | server})  # fmt: skip
    out = tmp_path / "out"
    why = (
        "disagree, which is never rendered (lint: MC304): PLAIN sends a password but auth: oauth2 gives an OAuth2 "
        "access token: the token would be sent as a password; name xoauth2 or oauthbearer, or set auth: password"
    )
    refused = (
        f"mailconf: error: account work: incoming.mechanisms and incoming.auth {why}\n"
        f"mailconf: error: account work: outgoing.mechanisms and outgoing.auth {why}\n"
        f"mailconf: {file}: not rendered\n"
    )
    assert run("-t", target, file) == 1
    assert capsys.readouterr() == ("", refused)
    assert run("-t", target, "-o", str(out), file) == 1
    assert capsys.readouterr() == ("", refused)
    assert not out.exists()


@pytest.mark.parametrize("target", ["msmtp", "mbsync"])
@pytest.mark.parametrize(
    ("server", "why"),
    [
        ({"auth": "oauth2", "token_command": "oama access a@example.org", "mechanisms": ["external"]},
         "EXTERNAL logs in with a TLS client certificate but auth: oauth2 gives an OAuth2 access token, which no "
         "mechanism listed uses: the clients that honour mechanisms would log in with a TLS client certificate, the "
         "others as auth says; name xoauth2 or oauthbearer, or set auth: client-cert"),
        ({"auth": "none", "mechanisms": ["plain"]},
         "PLAIN sends a password but auth: none does not log in: the client would ask for a password or fail; remove "
         "mechanisms, or set auth: password"),
    ],
    ids=["oauth2-external", "none-plain"],
)  # fmt: skip
def test_a_mechanism_without_the_credential_auth_gives_is_refused(
    target: str, server: dict[str, Any], why: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """msmtp wrote auth external with the token command, or auth plain with no user, against the auth declared."""
    file = accounts_file(tmp_path, "work", extra={"incoming": ACCOUNT["incoming"] | server})
    out = tmp_path / "out"
    assert run("-t", target, "-o", str(out), file) == 1
    assert capsys.readouterr() == (
        "",
        "mailconf: error: account work: incoming.mechanisms and incoming.auth disagree, which is never rendered "
        f"(lint: MC304): {why}\nmailconf: {file}: not rendered\n",
    )
    assert not out.exists()


@pytest.mark.parametrize(
    ("host", "why"),
    [
        ("192.0.2.1:993", 'host includes a port; write host: "192.0.2.1" and port: 993'),
        (":", 'host ":" has \':\' but is no IPv6 address; write the server\'s name or its full IPv6 address'),
    ],
    ids=["port", "colon"],
)  # fmt: skip
def test_a_host_the_schema_lets_through_as_ipv6_but_is_none_is_refused(
    host: str, why: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The schema's IPv6 form takes any text of hex digits, dots and colons (for MC703 to explain); render wrote
    ``[:]:993`` and ``192.0.2.1:993`` as hosts, exit 0, where lint said MC703 error."""
    file = accounts_file(tmp_path, "work", extra={"incoming": ACCOUNT["incoming"] | {"host": host}})
    out = tmp_path / "out"
    assert run("-t", "thunderbird", "-o", str(out), file) == 1
    assert capsys.readouterr() == (
        "",
        f"mailconf: error: account work: incoming.host is never rendered (lint: MC703): {why}\n"
        f"mailconf: {file}: not rendered\n",
    )
    assert not out.exists()


@pytest.mark.parametrize("host", ["::1", "2001:db8::25", "::ffff:192.0.2.1"])
def test_an_ipv6_host_is_rendered_by_every_target(
    host: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Render asks MC703's diagnosis about every host holding ':', and the diagnosis called every IPv6 address
    "no IPv6 address": a file with an IPv6 host, which lint passes, was refused by every target (exit 1)."""
    server = {"host": host, "password_command": "pass show mail"}
    file = accounts_file(tmp_path, "work", extra={"incoming": ACCOUNT["incoming"] | server, "outgoing": server})
    out = tmp_path / "out"
    assert run("-t", "all", "-o", str(out), file) == 0
    assert "MC703" not in capsys.readouterr().err
    assert f'host "{host}"' in (out / "msmtp" / ".msmtprc").read_text()
    assert main(["lint", "--format", "json", file]) == 0
    assert "MC703" not in capsys.readouterr().out


def test_a_literal_password_is_a_gap_and_never_written(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    secret = "S3cr3t-pa55-XYZZY"
    incoming = ACCOUNT["incoming"] | {"password": secret}
    file = accounts_file(tmp_path, "work", extra={"incoming": incoming})
    out = tmp_path / "out"
    assert run("-t", "outlook-prf", "-o", str(out), file) == 0
    assert run("-t", "outlook-prf", file) == 0
    assert main(["lint", file]) in (0, 1)
    stdout, stderr = capfd.readouterr()
    gap = (
        "mailconf: warning: outlook-prf: account work: incoming.password cannot be expressed; a literal password "
        "is never rendered: use password_command (lint: MC401)"
    )
    assert stderr.splitlines().count(gap) == 2
    rendered = (out / "outlook.prf").read_bytes()
    for blob in (stdout.encode(), stderr.encode(), rendered):
        assert secret.encode() not in blob and secret.encode("utf-16-le") not in blob


def test_output_is_deterministic(tmp_path: Path) -> None:
    file = accounts_file(tmp_path, "work", "home", "gappy")
    for name in ("one", "two"):
        assert run("-t", "fake", "-o", str(tmp_path / name), file) == 0
        assert run("-t", "outlook-prf", "-o", str(tmp_path / name), file) == 0
    for name in ("work.conf", "home.conf", "gappy.conf", "outlook.prf"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


# --- templates: an undefined variable is one line, without the context ------------------------------------


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("host {{ host }} {{ missing }}\n", "'missing' is undefined"),
        ("host {{ account.host }} {{ account.nope }}\n", "'dict object' has no attribute 'nope'"),
    ],
)
def test_an_undefined_template_variable_is_one_line(template: str, message: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    (tmp_path / "templates" / "fake").mkdir(parents=True)
    (tmp_path / "templates" / "fake" / "broken.j2").write_text(template)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(tmp_path / "templates")), undefined=jinja2.StrictUndefined
    )
    monkeypatch.setattr(mailconf.render, "environment", lambda: env)

    def broken_render(model: Model, env: jinja2.Environment, options: Mapping[str, str]) -> Rendered:
        secret = {"host": "imap.example.org", "command": "pass show SECRET-TOKEN"}
        text = env.get_template("fake/broken.j2").render(host="h", account=secret, command=secret["command"])
        return Rendered((RenderedFile("x", text.encode()),))

    monkeypatch.setattr(FAKE, "render", broken_render)
    assert run("-t", "fake", accounts_file(tmp_path, "work")) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"mailconf: target fake: template error: {message}\n"


class Poll(NamedTuple):
    host: str
    command: str


def test_mailconfs_environment_compiles_field_reads_to_attribute_reads_and_a_missing_one_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # render's environment compiles {{ p.host }} to the Python read (p).host, not environment.getattr(p, 'host')
    # (a Python function per read); a field the NamedTuple does not have is the same one-line template error as an
    # undefined variable, naming the type and the field only
    env = mailconf.render.environment.__wrapped__()  # a new one: the shared environment keeps its loader
    source = env.compile("{{ p.host }} {{ p['port'] }} {{ p.class }}", raw=True)
    p = "(undefined(name='p') if l_0_p is missing else l_0_p)"
    assert f"str(({p}).host)" in source
    assert f"environment.getitem({p}, 'port')" in source  # only attribute reads change
    assert f"environment.getattr({p}, 'class')" in source  # a Python keyword cannot be read as .class
    assert mailconf.render.environment().code_generator_class is env.code_generator_class
    (tmp_path / "fake").mkdir()
    (tmp_path / "fake" / "broken.j2").write_text("host {{ p.host }}\n{{ p.hots }}\n")
    env.loader = jinja2.FileSystemLoader(str(tmp_path))
    monkeypatch.setattr(mailconf.render, "environment", lambda: env)

    def broken_render(model: Model, env: jinja2.Environment, options: Mapping[str, str]) -> Rendered:
        text = env.get_template("fake/broken.j2").render(p=Poll("imap.example.org", "pass show SECRET-TOKEN"))
        return Rendered((RenderedFile("x", text.encode()),))

    monkeypatch.setattr(FAKE, "render", broken_render)
    assert run("-t", "fake", accounts_file(tmp_path, "work")) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "mailconf: target fake: template error: 'Poll' object has no attribute 'hots'\n"


NONE_TESTS = (
    "{% if v is none %}none{% endif %}|{% if v is not none %}set{% endif %}|{{ 'n' if v is none else 'v' }}"
    "|{{ v is none and w is not none }}|{{ none is none }}|{{ [v, w] | select('none') | list | length }}\n"
)


@pytest.mark.parametrize("value", [None, 0, "", False, (), "imap.example.org", jinja2.StrictUndefined(name="v")],
                         ids=repr)  # fmt: skip
def test_none_tests_compile_to_is_none_and_answer_as_jinjas_test(value: object) -> None:
    # render's environment compiles `v is none` to the Python `(v is None)`, not a call of Jinja's none test; each
    # template makes such a test per optional setting per account. The answer is Jinja's for every value, Undefined
    # included (StrictUndefined is not None and raises nothing when only compared).
    env = mailconf.render.environment.__wrapped__()
    jinjas = mailconf.render.environment.__wrapped__()
    jinjas.code_generator_class = jinja2.compiler.CodeGenerator  # the same environment, compiled as Jinja does
    source = env.compile(NONE_TESTS, raw=True)
    v = "(undefined(name='v') if l_0_v is missing else l_0_v)"
    assert f"if ({v} is None):" in source
    assert f"if (not ({v} is None)):" in source
    assert not _calls_none_test(source)  # no call of Jinja's test left (select('none') passes it by name)
    assert "True" in source  # `none is none` still folded at compile time
    for w in (None, "x"):
        expected = jinjas.from_string(NONE_TESTS).render(v=value, w=w)
        assert env.from_string(NONE_TESTS).render(v=value, w=w) == expected
    assert jinjas.from_string(NONE_TESTS).render(v=None, w="x") == "none||n|True|True|1\n"


def test_every_template_compiles_without_a_call_of_the_none_test() -> None:
    env = mailconf.render.environment.__wrapped__()
    templates = env.list_templates(extensions=["j2"])
    assert len(templates) >= 14
    tested = 0
    for name in templates:
        source = env.compile(env.loader.get_source(env, name)[0], name, raw=True)  # type: ignore[union-attr]
        if NONE_TEST in source:
            tested += 1
            assert not _calls_none_test(source), name
    assert tested >= 8  # the templates do test for none: this checks something


def test_a_none_test_with_arguments_or_of_another_environment_stays_jinjas_call() -> None:
    env = mailconf.render.environment.__wrapped__()
    source = env.compile("{{ v is none(1) }}", raw=True)
    assert _calls_none_test(source)  # Jinja's call, and its TypeError
    env.tests["none"] = lambda value: value == ""  # a none test of one's own is called, never compiled away
    assert env.from_string("{{ v is none }} {{ w is not none }}").render(v="", w=None) == "True True"


NONE_TEST = "environment.tests['none']"


def _calls_none_test(source: str) -> bool:
    """Whether a compiled template calls the name it binds Jinja's none test to (``t_4 = environment.tests['none']``).

    Not its fallback ``def t_4(*unused)`` for an environment without the test, nor ``t_14(``.
    """
    (name,) = {line.split(" = ")[0].strip() for line in source.splitlines() if line.endswith(f" = {NONE_TEST}")}
    return re.search(rf"(?<![\w.])(?<!def ){name}\(", source) is not None


def test_an_attribute_error_outside_a_template_is_not_called_a_template_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def buggy_render(model: Model, env: jinja2.Environment, options: Mapping[str, str]) -> Rendered:
        return Poll("h", "c").hots  # type: ignore[attr-defined, no-any-return]

    monkeypatch.setattr(FAKE, "render", buggy_render)
    with pytest.raises(AttributeError):
        mailconf.render.render_model(FAKE, Model(()), {})


def test_targets_json_lists_titles_capabilities_and_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["targets", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["fake"] == {
        "title": "a test target",
        "capabilities": {},
        "options": {"dir": "a prefix for file names"},
    }
    assert listed["outlook"]["options"] == {
        "profile": "Outlook profile name [default: Outlook]; printable ASCII without \\ [ ]",
        "account-id": "registry key of the first account, 1 to 8 hex digits [default: 00000001]",
    }


# --- first contact (issue 8): the messages a new user met -----------------------------------------------------


def test_several_files_of_one_account_do_not_suggest_account(capsys: pytest.CaptureFixture[str]) -> None:
    """Thunderbird writes user.js and cert_override.txt for one account: --account cannot split them."""
    example = str(Path(__file__).parent.parent / "examples" / "pop3-pinned.yaml")
    for extra in ([], ["--account", "home"]):
        assert run("-t", "thunderbird", *extra, example) == 2
        err = capsys.readouterr().err.splitlines()
        assert err[-1] == (
            "mailconf: target thunderbird renders 2 files here (user.js, cert_override.txt); write them with -o DIR"
        )


def test_a_target_with_nothing_to_render_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """msmtp only sends: a file with no outgoing server renders nothing (exit 1), and says why."""
    path = tmp_path / "in.yaml"
    path.write_text(
        json.dumps({"version": 1, "accounts": {"home": {k: v for k, v in ACCOUNT.items() if k != "outgoing"}}})
    )
    assert run("-t", "msmtp", str(path)) == 1
    assert capsys.readouterr() == (
        "",
        f"mailconf: {path}: target msmtp renders no file: no selected account has a server it can express\n",
    )


def test_several_targets_with_nothing_to_render_say_so_in_the_plural(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """fetchmail and mbsync only fetch: a file with an outgoing server alone gives neither a file (exit 1)."""
    path = tmp_path / "in.yaml"
    path.write_text(
        json.dumps({"version": 1, "accounts": {"home": {k: v for k, v in ACCOUNT.items() if k != "incoming"}}})
    )
    assert run("-t", "fetchmail", "-t", "mbsync", str(path), "-o", str(tmp_path / "out")) == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"mailconf: {path}: targets fetchmail, mbsync render no file: no selected account has a server it can express"
    )
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_oauth2_without_token_command_is_one_gap_everywhere_it_runs_a_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], target: str
) -> None:
    """One gap, one message, on every target that runs a token command; the others say why not."""
    if target == "fake":
        return
    path = accounts_file(tmp_path, "work", extra={"outgoing": {"host": "smtp.example.org", "auth": "oauth2"}})
    run("-t", target, "-o", str(tmp_path / "out"), path)
    err = capsys.readouterr().err
    token_cell = TARGETS[target].CAPABILITIES.get("token_command", "no")
    smtp_cell = TARGETS[target].CAPABILITIES.get("smtp", "no")
    if token_cell.startswith("no") or smtp_cell.startswith("no"):
        assert "outgoing.token_command cannot be expressed; auth oauth2 needs a token_command" not in err
    else:
        assert (
            f"mailconf: warning: {target}: account work: outgoing.token_command cannot be expressed; auth oauth2 "
            "needs a token_command that prints an access token (lint: MC302); without one the client cannot log "
            "in: add it\n"
        ) in err


# --- what a render imports ------------------------------------------------------------------------------------

IMPORTED = """
import runpy, sys
sys.argv = ["mailconf", "render", "-t", sys.argv[1], sys.argv[2], "-o", sys.argv[3]]
try:
    runpy.run_module("mailconf", run_name="__main__")
except SystemExit as exit:
    code = exit.code
print(code, sorted(m.rsplit(".", 1)[1] for m in sys.modules if m.startswith("mailconf.targets.")))
"""

#: The modules a target's module shares with others (outlook-prf reuses outlook's decisions); no other is imported.
SHARED = {"mutt": {"_muttlike"}, "neomutt": {"_muttlike"}, "autoconfig": {"_provider", "_urlhost"},
          "autodiscover": {"_provider", "_urlhost"}, "mobileconfig": {"_provider", "_plist"},
          "outlook-prf": {"outlook"}, "thunderbird": {"_urlhost"}}  # fmt: skip


@pytest.mark.parametrize("name", sorted(set(TARGETS) - {"fake"}))
def test_rendering_one_target_imports_only_its_module(name: str, tmp_path: Path) -> None:
    # TARGETS imports a target's module when it is looked up: a render pays for its own target only
    module = name.replace("-", "_")
    done = subprocess.run([sys.executable, "-c", IMPORTED, name, str(EXAMPLES / "company.yaml"), str(tmp_path / "out")],
                          capture_output=True, text=True, check=True, timeout=60)  # fmt: skip
    code, modules = done.stdout.rstrip("\n").split(" ", 1)
    assert code == "0", done.stderr
    assert modules == str(sorted({module} | SHARED.get(name, set())))


@pytest.mark.parametrize("enum", [Protocol, Security, Auth], ids=lambda e: e.__name__)
def test_the_model_enums_hash_by_identity(enum: type[Protocol | Security | Auth]) -> None:
    # every target looks these up in mappings, ~12 times per account: Enum's own __hash__ is Python code
    hashing: object = enum.__hash__
    assert hashing is object.__hash__
    table = {member: member.value for member in enum}
    assert [table[enum(member.value)] for member in enum] == [member.value for member in enum]
    assert all(member.value not in table for member in enum)  # a member is not its value
