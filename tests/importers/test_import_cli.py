"""``mailconf import`` and ``--compare`` end to end: exact output, exact exit codes, nothing run, no secret shown."""

from __future__ import annotations

import codecs
import getpass
import json
import os
import re
import socket
import stat
from pathlib import Path

import pytest

from mailconf.cli import main
from mailconf.commands.import_ import _write
from mailconf.errors import OutputError, double_quoted
from mailconf.importers import ReadOptions, Unreadable
from mailconf.importers._base import shown
from mailconf.importers._core import import_paths
from mailconf.targets import mutt, neomutt
from tests.conftest import EXAMPLES, need, utf_32_forms
from tests.targets._fetchmail_client import FetchmailError
from tests.targets._fetchmail_client import entries as fetchmail_entries
from tests.targets._fetchmail_client import setting as fetchmail_setting
from tests.targets._fetchmail_client import verbose as fetchmail_verbose
from tests.targets._msmtp_client import pretend
from tests.targets._mutt_client import Client, parse
from tests.test_cli import run_mailconf

#: -o FILE exists, without --force (tests/test_cli.py: discover and import say it alike)
EXISTS = "refusing to replace {}: it exists; use --force to replace it (a .bak copy is kept)"
#: -o "$OUT" with OUT unset (tests/test_cli.py: every command says it alike)
EMPTY_OUTPUT = "-o '': an empty path names no file (an unset variable?); name the account file to write"
SECRET = "s3cret-Do-Not-Print-42"
DIALECTS = {"mutt": mutt.DIALECT, "neomutt": neomutt.DIALECT}
#: the warning at a muttrc's first relative source (FILE, LINE, the path, the current folder): mutt reads it from there
#: what mutt does at a source of a file it cannot open
READS_ON = "(mutt reports the error and reads on from the next line)"
RELATIVE = (
    "mailconf: warning: {}:{}:1: source {}: mutt reads a relative path from the folder it is started in, not beside "
    "the file that names it: this and every relative source are read from the current folder, {}\n"
)

MSMTPRC = f"""\
# a hand-written msmtprc
defaults
tls on
timeout 30

account work
host smtp.example.com
port 587
user alice@example.com
passwordeval "pass show mail/work"
from alice@example.com

account home : work
host mail.example.net
port 465
tls_starttls off
password {SECRET}
logfile ~/.msmtp.log
eval "touch {{pwn}}"

account default : work
"""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def msmtprc(tmp_path: Path) -> Path:
    path = tmp_path / "msmtprc"
    path.write_text(MSMTPRC.replace("{pwn}", str(tmp_path / "PWN")))
    return path


@pytest.mark.parametrize("force", [(), ("--force",)], ids=["without --force", "with --force"])
def test_an_output_that_is_a_fifo_is_refused_with_or_without_force(
    capsys: pytest.CaptureFixture[str], msmtprc: Path, tmp_path: Path, force: tuple[str, ...]
) -> None:
    """Without --force the advice was `use --force to replace it`, and with --force the writer refused the FIFO:
    advice that could not work. Now the same line both times, before the files are read."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    code, out, err = run(capsys, "import", "--from", "msmtp", str(msmtprc), "-o", str(fifo), *force)
    assert (code, out, err) == (
        2,
        "",
        f"mailconf: {fifo}: is a FIFO (named pipe), not a regular file; remove it or choose another -o\n",
    )
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_msmtp_import_writes_every_account_and_comments_what_it_cannot_hold(
    capsys: pytest.CaptureFixture[str], msmtprc: Path, tmp_path: Path
) -> None:
    code, out, err = run(capsys, "import", "--from", "msmtp", str(msmtprc))
    assert code == 1  # imported, with warnings
    assert out == (
        f"# imported by `mailconf import --from msmtp` from {msmtprc}\n"
        "# the comments below say what the files hold that this file does not\n"
        "version: 1\n"
        "accounts:\n"
        "  work:\n"
        "    address: alice@example.com\n"
        "    outgoing:\n"
        "      host: smtp.example.com\n"
        "      port: 587\n"
        "      security: starttls\n"
        "      auth: none\n"
        "      username: alice@example.com\n"
        "      password_command: pass show mail/work\n"
        "      timeout: 30\n"
        "  home:\n"
        "    address: alice@example.com\n"
        f"    outgoing:  # {msmtprc}:17: the file holds a literal password (not imported): store it in a password "
        f"manager and set password_command to the command that prints it; {msmtprc}:18: msmtp's logfile has no "
        f"place in an account file; {msmtprc}:19: eval runs a command to produce settings: not run, not imported\n"
        "      host: mail.example.net\n"
        "      port: 465\n"
        "      security: tls\n"
        "      auth: none\n"
        "      username: alice@example.com\n"
        "      password_command: pass show mail/work\n"
        "      timeout: 30\n"
    )
    assert err.splitlines() == [
        f"mailconf: warning: {msmtprc}:17:1: the file holds a literal password (not imported): store it in a "
        "password manager and set password_command to the command that prints it",
        f"mailconf: warning: {msmtprc}:18:1: msmtp's logfile has no place in an account file",
        f"mailconf: warning: {msmtprc}:19:1: eval runs a command to produce settings: not run, not imported",
    ]
    assert SECRET not in out + err
    assert not (tmp_path / "PWN").exists()


def test_output_file_is_written_once_and_never_replaced_without_force(
    capsys: pytest.CaptureFixture[str], msmtprc: Path, tmp_path: Path
) -> None:
    target = tmp_path / "accounts.yaml"
    code, out, err = run(capsys, "import", "--from", "msmtp", str(msmtprc), "-o", str(target))
    assert (code, out) == (1, "")
    assert err.splitlines()[-1] == f"mailconf: wrote 2 accounts to {target}; check it with `mailconf lint`"
    assert os.stat(target).st_mode & 0o777 == 0o600
    written = target.read_text()
    assert SECRET not in written
    target.write_text("mine\n")
    code, out, err = run(capsys, "import", "--from", "msmtp", str(msmtprc), "-o", str(target))
    assert (code, out, err) == (
        2,
        "",
        f"mailconf: {EXISTS.format(target)}\n",
    )
    assert target.read_text() == "mine\n"
    code, _, err = run(capsys, "import", "--from", "msmtp", str(msmtprc), "-o", str(target), "--force")
    assert code == 1
    assert err.endswith(
        f"mailconf: wrote 2 accounts to {target}; check it with `mailconf lint`\n"
        f"mailconf: replaced {target}; its old content is kept in {target}.bak\n"
    )
    assert target.read_text() == written
    assert (tmp_path / "accounts.yaml.bak").read_text() == "mine\n"


def test_replacing_a_hard_linked_output_file_warns_that_its_other_name_keeps_the_old_content(
    capsys: pytest.CaptureFixture[str], msmtprc: Path, tmp_path: Path
) -> None:
    # render warned of it, import replaced the file silently: a dotfiles checkout's hard link kept the old accounts
    target = tmp_path / "accounts.yaml"
    target.write_text("mine\n")
    os.link(target, tmp_path / "dotfiles.yaml")
    code, _, err = run(capsys, "import", "--from", "msmtp", str(msmtprc), "-o", str(target), "--force")
    assert code == 1
    assert err.endswith(
        f"mailconf: wrote 2 accounts to {target}; check it with `mailconf lint`\n"
        f"mailconf: replaced {target}; its old content is kept in {target}.bak\n"
        f"mailconf: warning: {target}: replaced by a new file; its other hard link still holds the old content\n"
    )  # dotfiles.yaml (its own .bak, a hard link too, is not counted)
    assert (tmp_path / "dotfiles.yaml").read_text() == "mine\n"
    assert target.read_text() != "mine\n"


def test_an_output_file_written_meanwhile_is_not_replaced_without_force(tmp_path: Path) -> None:
    # -o was checked before the files were read, then written with force: a file that another program (or a
    # second import) wrote meanwhile was replaced, though --force was not given
    target = tmp_path / "accounts.yaml"
    target.write_text("mine\n")
    with pytest.raises(OutputError) as raised:
        _write(str(target), "version: 1\n", force=False)
    assert str(raised.value) == EXISTS.format(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["accounts.yaml"]
    assert target.read_text() == "mine\n"
    _write(str(target), "version: 1\n", force=True)
    assert (target.read_text(), (tmp_path / "accounts.yaml.bak").read_text()) == ("version: 1\n", "mine\n")


CLEAN_MSMTPRC = (
    "account work\nhost smtp.example.com\nport 465\ntls on\ntls_starttls off\nauth on\nuser alice@example.com\n"
    "passwordeval pass work\nfrom alice@example.com\n"
)


def _limit_file_size() -> None:
    """In the child: no file over 64 bytes (RLIMIT_FSIZE; Python ignores SIGXFSZ, so a write fails with EFBIG)."""
    import resource

    resource.setrlimit(resource.RLIMIT_FSIZE, (64, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))


@pytest.mark.parametrize("failing", ["the write", "the name", "a folder's name"])
def test_output_that_cannot_be_written_removes_the_folders_this_run_created_and_only_those(
    tmp_path: Path, failing: str
) -> None:
    """-o into folders that do not exist yet: a write that fails (a file too large, here over RLIMIT_FSIZE; or a
    name the file system refuses) exits 2 with one line and leaves none of the folders it made; a folder that
    was there before (empty, so that it could be removed) stays."""
    import subprocess
    import sys

    (tmp_path / "msmtprc").write_text(CLEAN_MSMTPRC)
    (tmp_path / "kept").mkdir()
    name = "accounts.yaml" if failing == "the write" else "a" * 300 + ".yaml"
    target = tmp_path / "kept" / "new" / "deeper" / name
    refused = target  # the path the message names
    if failing == "a folder's name":  # Path.exists() raised ENAMETOOLONG for it: exit 3
        target = tmp_path / "kept" / ("d" * 300) / "new" / "accounts.yaml"
        refused = target.parent  # the folder the file goes into, as for a write that fails
    done = subprocess.run(
        [sys.executable, "-m", "mailconf", "import", "--from", "msmtp", "msmtprc", "-o", str(target)],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
        preexec_fn=_limit_file_size if failing == "the write" else None,  # no thread here: preexec_fn is safe
    )  # fmt: skip
    reason = "File too large" if failing == "the write" else "File name too long"
    assert (done.returncode, done.stdout, done.stderr) == (2, "", f"mailconf: cannot write {refused}: {reason}\n")
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == ["kept", "msmtprc"]


def test_output_never_replaces_a_file_being_imported(capsys: pytest.CaptureFixture[str], msmtprc: Path,
                                                      tmp_path: Path) -> None:  # fmt: skip
    # with --force, `import --from msmtp ~/.msmtprc -o ~/.msmtprc` replaced the client's own file with YAML
    link = tmp_path / "link"
    link.symlink_to(msmtprc)
    before = msmtprc.read_text()
    for given, output in ((msmtprc, msmtprc), (link, msmtprc), (msmtprc, link)):
        code, out, err = run(capsys, "import", "--from", "msmtp", str(given), "-o", str(output), "--force")
        assert (code, out, err) == (
            2, "", f"mailconf: {output}: -o names {given}, a file being imported; choose another file\n"
        )  # fmt: skip
    profile = tmp_path / "profile"
    profile.mkdir()
    prefs = profile / "prefs.js"
    prefs.write_text(_render(capsys, "thunderbird", "alice"))
    code, out, err = run(capsys, "import", "--from", "thunderbird", str(profile), "-o", str(prefs), "--force")
    assert (code, out, err) == (
        2, "", f"mailconf: {prefs}: -o names a file in {profile}, a directory being imported; choose a file outside "
        "it\n"
    )  # fmt: skip
    assert msmtprc.read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "msmtprc", "profile"]  # no .bak either
    assert [p.name for p in profile.iterdir()] == ["prefs.js"]
    assert prefs.read_text() == _render(capsys, "thunderbird", "alice")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--compare", str(EXAMPLES / "company.yaml"), "-o", "OUT"],
         "--compare writes nothing: use it without -o and --force"),
        (["--compare", str(EXAMPLES / "company.yaml"), "--force"],
         "--compare writes nothing: use it without -o and --force"),
        (["--format", "json"], "--format is the output of --compare: use it with --compare ACCOUNTS.yaml"),
        (["-o", ""], EMPTY_OUTPUT),  # was: refusing to write '' outside .
        # ignored: only a muttrc has `source`
        (["--follow-source"], "--follow-source reads the files a muttrc's `source` names: use it with --from mutt or "
                              "neomutt, not msmtp"),
        (["--encoding", "cp1252"], "--encoding is the code page of a REGEDIT4 .reg file: use it with --from outlook, "
                                   "not msmtp"),
    ],
)  # fmt: skip
def test_an_option_that_would_do_nothing_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], msmtprc: Path, tmp_path: Path, options: list[str], message: str
) -> None:
    # -o with --compare wrote no file, and --format json without --compare printed YAML: both silently
    options = [str(tmp_path / "out.yaml") if o == "OUT" else o for o in options]
    code, out, err = run(capsys, "import", "--from", "msmtp", str(msmtprc), *options)
    assert (code, out, err) == (2, "", f"mailconf: {message}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["msmtprc"]


@pytest.mark.parametrize(
    "encoding",
    ["nope", "utf-16", "rot13", "utf-7", "unicode_escape", "shift_jis_2004", "hz", "cp864", "iso2022_jp", "idna",
     "raw_unicode_escape"],
)  # fmt: skip
def test_encoding_names_a_windows_code_page(tmp_path: Path, encoding: str) -> None:
    """--encoding of a REGEDIT4 file: a code page that writes ASCII as ASCII (rot13 was an internal error). Each ASCII
    byte, not only those of "REGEDIT4": utf-7 read "+" as a shift (an address with a + in it stopped the import, "a
    byte (0x2b) that is not utf_7 text"), unicode_escape read "\\00" of a key name as a NUL, shift_jis_2004 read
    each \\ of a key name as a yen sign, hz "~", cp864 "%" and iso2022_jp ESC as something else. Each byte alone and
    the bytes together: idna reads each byte alone as itself, but a line of more than 63 characters between dots is
    an error (and a byte it had no character for, an internal error: it has no "replace"); raw_unicode_escape reads
    a key name's \\u0041 as "A"."""
    from tests.importers.test_formats import REGEDIT4

    (tmp_path / "w.reg").write_bytes(REGEDIT4.replace("{name}", "Мюллер").encode("cp1251"))
    assert run_mailconf("import", "--from", "outlook", "--encoding", encoding, "w.reg", cwd=tmp_path) == (
        2, "", f"mailconf: --encoding {encoding}: not a Windows code page; name one such as cp1252, cp1250, cp1251 or "
        "cp932\n"
    )  # fmt: skip
    out = run_mailconf("import", "--from", "outlook", "--encoding", "cp1251", "w.reg", cwd=tmp_path)
    assert (out.code, out.stderr) == (0, "")
    assert '    display_name: "Мюллер"\n' in out.stdout


@pytest.mark.parametrize("fmt", ["msmtp", "thunderbird"])
def test_an_empty_path_is_said_as_every_command_says_it(tmp_path: Path, fmt: str) -> None:
    """`mailconf import --from msmtp "$RC"` with RC unset said `mailconf: :1:1: no such file; check the path`: the
    place of nothing. lint, render and serve say `''` is an empty path (tests/test_cli.py)."""
    assert run_mailconf("import", "--from", fmt, "", "-o", "out.yaml", cwd=tmp_path) == (
        2,
        "",
        f"mailconf: '': an empty path names no file (an unset variable?); name the file to import (--from {fmt})\n",
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("fmt", "name", "said"),
    [
        ("msmtp", "missing.rc", "missing.rc: no such file; check the path"),
        ("msmtp", "folder", "folder: is a directory; name an msmtp configuration file (~/.msmtprc)"),
        ("outlook", "missing.reg", "missing.reg: no such file; check the path"),
        ("thunderbird", "folder", "folder: a directory without prefs.js or user.js; name a Thunderbird profile "
                                  "directory (Help > Troubleshooting Information)"),
    ],
)  # fmt: skip
def test_a_file_level_error_names_the_file_without_a_made_up_line(
    tmp_path: Path, fmt: str, name: str, said: str
) -> None:
    """A file that is missing or a directory has no line 1, column 1: it said `missing.rc:1:1: no such file`, where
    lint and every other command say `mailconf: missing.rc: no such file; check the path` (the same words)."""
    (tmp_path / "folder").mkdir()
    assert run_mailconf("import", "--from", fmt, name, cwd=tmp_path) == (2, "", f"mailconf: {said}\n")
    lint = run_mailconf("lint", "missing.yaml", cwd=tmp_path)
    assert lint[2] == "mailconf: missing.yaml: no such file; check the path\n"


def test_the_written_file_lints_clean_of_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rendered = tmp_path / "muttrc"
    assert run(capsys, "render", "-t", "mutt", "-a", "alice", str(EXAMPLES / "company.yaml"))[0] == 0
    rendered.write_text(capsys.readouterr().out or _render(capsys, "mutt", "alice"))
    target = tmp_path / "out.yaml"
    assert run(capsys, "import", "--from", "mutt", str(rendered), "-o", str(target))[0] == 0
    assert run(capsys, "lint", str(target))[0] == 0


def _render(capsys: pytest.CaptureFixture[str], target: str, account: str) -> str:
    main(["render", "-t", target, "-a", account, str(EXAMPLES / "company.yaml")])
    return capsys.readouterr().out


def test_compare_reports_each_difference_and_exits_1(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rc = tmp_path / "msmtprc"
    rc.write_text(
        _render(capsys, "msmtp", "alice").replace("port 465", "port 587").replace("tls_starttls off", "tls_starttls on")
    )
    code, out, err = run(capsys, "import", "--from", "msmtp", str(rc), "--compare", str(EXAMPLES / "company.yaml"))
    assert (code, err) == (1, "")
    assert out == (
        "account alice: outgoing.port: file says 587, YAML declares 465\n"
        "account alice: outgoing.security: file says starttls, YAML declares tls\n"
        "account bob: in the YAML, not in the file\n"
    )
    code, out, _ = run(
        capsys, "import", "--from", "msmtp", str(rc), "--compare", str(EXAMPLES / "company.yaml"), "--format", "json"
    )
    assert code == 1
    assert json.loads(out) == {
        "drift": True,
        "differences": [
            {
                "account": "alice",
                "setting": "outgoing.port",
                "file": 587,
                "yaml": 465,
                "invalid": None,
                "cannot_hold": None,
                "file_account": None,
            },
            {
                "account": "alice",
                "setting": "outgoing.security",
                "file": "starttls",
                "yaml": "tls",
                "invalid": None,
                "cannot_hold": None,
                "file_account": None,
            },
            {
                "account": "bob",
                "setting": None,
                "file": None,
                "yaml": "bob",
                "invalid": None,
                "cannot_hold": None,
                "file_account": None,
            },
        ],
        "warnings": [],
    }


def test_compare_of_a_rendered_file_is_clean(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for target, name in (("msmtp", ".msmtprc"), ("fetchmail", ".fetchmailrc"), ("thunderbird", "user.js")):
        main(["render", "-t", target, str(EXAMPLES / "company.yaml"), "-o", str(tmp_path / target)])
        capsys.readouterr()
        path = tmp_path / target if target == "thunderbird" else tmp_path / target / name
        code, out, _ = run(capsys, "import", "--from", target, str(path), "--compare", str(EXAMPLES / "company.yaml"))
        assert (target, code, out) == (target, 0, "")


def test_compare_pairs_many_accounts_by_address_in_any_order(capsys: pytest.CaptureFixture[str],
                                                             tmp_path: Path) -> None:  # fmt: skip
    # each declared account searched the file's accounts from the start, once by name and once by address:
    # quadratic, 5,000 accounts named otherwise and in reverse order took 5 s (no time asserted)
    declared = tmp_path / "accounts.yaml"
    declared.write_text("version: 1\naccounts:\n" + "".join(
        f"  a{n}:\n    address: a{n}@example.org\n    outgoing: {{host: smtp{n}.example.org, security: tls, "
        f"password_command: pass a{n}}}\n"
        for n in range(3000)
    ))  # fmt: skip
    main(["render", "-t", "msmtp", str(declared)])
    blocks = capsys.readouterr().out.split("\n\naccount ")[1:-1]  # without the header and `account default`
    rc = tmp_path / "msmtprc"
    rc.write_text("".join(f"account x{block}\n\n" for block in reversed(blocks)).replace("smtp0.", "smtp.", 1)
                  .replace("from \"a1@", "from \"b1@"))  # fmt: skip
    code, out, err = run(capsys, "import", "--from", "msmtp", str(rc), "--compare", str(declared))
    assert (code, err) == (1, "")
    # each names the account of the file it is paired with: the lines said "account a1", which the file has not
    assert out == (
        "account a0 (as xa0 in the file): outgoing.host: file says smtp.example.org, YAML declares smtp0.example.org\n"
        "account a1 (as xa1 in the file): address: file says b1@example.org, YAML declares a1@example.org\n"  # the one
    )  # left on each side
    code, out, _ = run(capsys, "import", "--from", "msmtp", str(rc), "--compare", str(declared), "--format", "json")
    assert [(d["account"], d["file_account"]) for d in json.loads(out)["differences"]] == [("a0", "xa0"), ("a1", "xa1")]


def test_compare_says_when_the_file_makes_another_account_msmtp_s_default(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """``account default : bob`` where render writes ``account default : alice`` (the first account): msmtp without
    ``-a`` sends through another account than the rendered file would, and --compare said the files agree (exit 0)."""
    rendered = _render(capsys, "msmtp", "alice") + _render(capsys, "msmtp", "bob")
    rc = tmp_path / "msmtprc"
    rc.write_text(rendered.replace("account default : alice\n", ""))
    harmless = tmp_path / "harmless"  # msmtp --pretend runs passwordeval
    harmless.write_text(re.sub(r"passwordeval .*", 'passwordeval "printf x"', rc.read_text()))
    harmless.chmod(0o600)
    assert pretend(harmless, None, tmp_path)["user"] == "bob"  # msmtp's default is bob
    company = str(EXAMPLES / "company.yaml")
    code, out, err = run(capsys, "import", "--from", "msmtp", str(rc), "--compare", company)
    assert (code, out, err) == (1, "default account: file says bob, YAML declares alice (the first account render "
                                   "writes)\n", "")  # fmt: skip
    code, out, _ = run(capsys, "import", "--from", "msmtp", str(rc), "--compare", company, "--format", "json")
    assert (code, json.loads(out)["differences"]) == (1, [{
        "account": None, "setting": "default account", "file": "bob", "yaml": "alice", "invalid": None,
        "cannot_hold": None, "file_account": None,
    }])  # fmt: skip
    # a file that names no default (msmtp then needs -a): nothing the account file could say, so no drift
    rc.write_text(rendered.replace("account default : alice\n", "").replace("account default : bob\n", ""))
    assert run(capsys, "import", "--from", "msmtp", str(rc), "--compare", company) == (0, "", "")


#: why an msmtp account with ``timeout 99999`` cannot be valid (msmtp takes it; a port msmtp refuses stops the import)
TIMEOUT_99999 = "outgoing.timeout: `timeout` must be between 0 and 86400 (got 99999)"


def test_compare_says_once_why_an_account_of_the_file_is_not_compared(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # it was listed as "in the YAML, not in the file", with a warning beside it saying it is in the file, invalid
    declared = tmp_path / "accounts.yaml"
    declared.write_text("version: 1\naccounts:\n" + "".join(
        f"  {name}:\n    address: {name}@example.org\n    outgoing: {{host: smtp.example.org, security: tls, "
        f"password_command: pass {name}}}\n"
        for name in ("a", "b", "c")
    ))  # fmt: skip
    block = (
        "account {}\nhost smtp.example.org\n{}\ntls on\ntls_starttls off\nauth on\nuser {}@example.org\n"
        'passwordeval "pass {}"\nfrom {}@example.org\n\n'
    )
    rc = tmp_path / "msmtprc"
    rc.write_text(
        block.format("a", "timeout 99999", "a", "a", "a")  # the same name (msmtp takes the timeout, the schema not)
        + block.format("old-b", "timeout 100000", "b", "b", "b")  # the same address
        + block.format("c", "port 465", "c", "c", "c")  # as declared
        + block.format("x", "timeout 99999", "x", "x", "x")  # named and addressed as no declared account: drift
    )
    code, out, err = run(capsys, "import", "--from", "msmtp", str(rc), "--compare", str(declared))
    lines = rc.read_text().splitlines()
    a, b, x = (f"{rc}:{lines.index(f'account {name}') + 1}:1" for name in ("a", "old-b", "x"))
    assert (code, out, err) == (
        1,
        f"account a: in the file but invalid there: {a}: {TIMEOUT_99999}\n"
        f"account b: in the file (as old-b) but invalid there: {b}: outgoing.timeout: `timeout` must be between 0 "
        "and 86400 (got 100000)\n"
        f"account x: in the file, not in the YAML, and invalid there: {x}: {TIMEOUT_99999}\n",
        "",
    )
    code, out, err = run(capsys, "import", "--from", "msmtp", str(rc), "--compare", str(declared), "--format", "json")
    assert (code, json.loads(out), err) == (1, {
        "drift": True,
        "differences": [
            {"account": "a", "setting": None, "file": "a", "yaml": "a",
             "invalid": f"{a}: {TIMEOUT_99999}", "cannot_hold": None, "file_account": None},
            {"account": "b", "setting": None, "file": "old-b", "yaml": "b",
             "invalid": f"{b}: outgoing.timeout: `timeout` must be between 0 and 86400 (got 100000)",
             "cannot_hold": None, "file_account": None},
            {"account": "x", "setting": None, "file": "x", "yaml": None,
             "invalid": f"{x}: {TIMEOUT_99999}", "cannot_hold": None, "file_account": None},
        ],
        "warnings": [],
    }, "")  # fmt: skip


def test_compare_an_invalid_account_of_the_file_alone_is_drift(capsys: pytest.CaptureFixture[str],
                                                               tmp_path: Path) -> None:  # fmt: skip
    # it was a warning only: exit 0, "no drift", for an account someone added to the machine's file by hand
    declared = tmp_path / "accounts.yaml"
    declared.write_text("version: 1\naccounts:\n  c:\n    address: c@example.org\n    outgoing: {host: "
                        "smtp.example.org, security: tls, password_command: pass c}\n")  # fmt: skip
    rc = tmp_path / "msmtprc"
    rc.write_text(
        "account c\nhost smtp.example.org\nport 465\ntls on\ntls_starttls off\nauth on\nuser c@example.org\n"
        'passwordeval "pass c"\nfrom c@example.org\n\n'
        "account x\nhost smtp.example.org\ntimeout 99999\nfrom x@example.org\n"
    )
    code, out, err = run(capsys, "import", "--from", "msmtp", str(rc), "--compare", str(declared))
    assert (code, out, err) == (
        1,
        f"account x: in the file, not in the YAML, and invalid there: {rc}:11:1: {TIMEOUT_99999}\n",
        "",
    )


def test_compare_with_an_invalid_account_file_exits_2(capsys: pytest.CaptureFixture[str], msmtprc: Path,
                                                      tmp_path: Path) -> None:  # fmt: skip
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\naccounts: {}\n")
    code, out, err = run(capsys, "import", "--from", "msmtp", str(msmtprc), "--compare", str(bad))
    assert (code, out) == (2, "")
    assert err.splitlines()[-1] == (
        f"mailconf: {bad}: has errors, so drift cannot be computed; fix them (`mailconf lint`)"
    )


def test_compare_with_an_account_mbsync_leaves_out_for_a_long_line_is_drift_naming_the_setting(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # a PassCmd line over mbsync's 1021 bytes leaves that account out of the render (a gap), so it is drift
    rc = tmp_path / "mbsyncrc"
    rc.write_text("IMAPAccount a\nHost imap.example.org\nSSLType IMAPS\nUser a@example.org\n")
    declared = tmp_path / "accounts.yaml"
    declared.write_text(
        "version: 1\naccounts:\n  a:\n    address: a@example.org\n    incoming: {protocol: imap, host: "
        f"imap.example.org, security: tls, password_command: echo {'x' * 1100}}}\n"
    )
    code, out, err = run(capsys, "import", "--from", "mbsync", str(rc), "--compare", str(declared))
    assert (code, out, err) == (
        1, "account a: in the file, but mbsync cannot hold the YAML's: incoming.password_command cannot be "
        "expressed; the PassCmd line would exceed mbsync 1.4.4's limit of 1021 bytes: the account is left out; "
        "wrap the command in a script\n", ""
    )  # fmt: skip


def test_compare_with_an_account_file_the_format_cannot_render_exits_2(capsys: pytest.CaptureFixture[str],
                                                                       tmp_path: Path) -> None:  # fmt: skip
    # render refused the file (two accounts whose Maildirs differ only in case) with exit 1: --compare said "drift"
    # (exit 1) without computing any, and the message did not name the account file
    rc = tmp_path / "mbsyncrc"
    rc.write_text("IMAPAccount a\nHost imap.example.org\nSSLType IMAPS\nUser a@example.org\n")
    declared = tmp_path / "accounts.yaml"
    imap = "{protocol: imap, host: imap.example.org, security: tls}"
    declared.write_text(
        f"version: 1\naccounts:\n  a:\n    address: a@example.org\n    incoming: {imap}\n"
        f"  A:\n    address: b@example.org\n    incoming: {imap}\n"
    )
    code, out, err = run(capsys, "import", "--from", "mbsync", str(rc), "--compare", str(declared))
    assert (code, out, err) == (
        2, "", f"mailconf: {declared}: target mbsync: not rendered: account A: name: its folder ~/Mail/A/ and "
        "account a's folder ~/Mail/a/ differ only in case: one folder on macOS, Windows or a FAT drive, where mbsync "
        "would keep both accounts' mail and sync state in it; rename one of the two accounts; drift is computed "
        "from what render writes\n"
    )  # fmt: skip
    insecure = EXAMPLES / "insecure.yaml"
    code, out, err = run(capsys, "import", "--from", "mbsync", str(rc), "--compare", str(insecure))
    assert (code, out, err) == (
        2, "", f"mailconf: {insecure}: account office: outgoing.security starttls-optional is never rendered (a "
        "client that may skip STARTTLS can be downgraded); use starttls or tls; drift is computed from what render "
        "writes\n"
    )  # fmt: skip


#: a file that starts with a byte-order mark, per format: each client reads the mark as part of the first line and
#: refuses the file ("msmtp: line 1: unknown command \ufeffaccount", "fetchmail: syntax error at \ufeffpoll",
#: "mbsync: '\ufeffIMAPAccount' is not a recognized section-starting or global keyword", offlineimap and getmail:
#: ConfigParser's "File contains no section headers"); its settings were imported as if the client used them
BOM_FILES = {
    "msmtp": "account a\nhost smtp.example.com\nfrom a@example.com\n",
    "fetchmail": "poll imap.example.com proto imap user a@example.com there ssl\n",
    "mbsync": "IMAPAccount a\nHost imap.example.com\nUser a@example.com\nSSLType IMAPS\n",
    "offlineimap": "[general]\naccounts = a\n\n[Account a]\nremoterepository = r\n\n[Repository r]\ntype = IMAP\n"
    "remotehost = imap.example.com\nremoteuser = a@example.com\n",
    "getmail": "[retriever]\ntype = SimpleIMAPSSLRetriever\nserver = imap.example.com\nusername = a@example.com\n",
}


@pytest.mark.parametrize("fmt", sorted(BOM_FILES))
def test_a_byte_order_mark_the_client_refuses_stops_the_import(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str
) -> None:
    path = tmp_path / "rc"
    path.write_bytes(BOM_FILES[fmt].encode())
    code, out, _ = run(capsys, "import", "--from", fmt, str(path))  # without the mark: imported
    assert (code, f"host: {'smtp' if fmt == 'msmtp' else 'imap'}.example.com\n" in out) in ((0, True), (1, True))
    path.write_bytes(b"\xef\xbb\xbf" + BOM_FILES[fmt].encode())
    assert run(capsys, "import", "--from", fmt, str(path)) == (
        2,
        "",
        f"mailconf: {path}:1:1: a byte-order mark (U+FEFF) starts the file: {fmt} reads it as part of the first "
        "line and refuses the file; save the file as UTF-8 without a byte-order mark\n",
    )


def test_a_byte_order_mark_makes_mutt_skip_the_first_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # mutt and neomutt read the mark as part of the first command ("\ufeffset: unknown command") and skip the line,
    # the commands after a ; on it included; the importer dropped the mark and imported the line
    need("mutt", "neomutt")
    rc = tmp_path / "work.muttrc"
    rc.write_bytes(
        b"\xef\xbb\xbfset imap_user = bom ; set realname = Semi\n"
        b"set from = a@example.com folder = imaps://imap.example.com/ realname = Kept\n"
    )
    for binary in ("mutt", "neomutt"):
        name = DIALECTS[binary].real_name_variable
        proc = Client(binary, tmp_path).run(rc, "-Q", "imap_user", "-Q", name)
        assert parse(binary, proc.stdout.decode()) == {"imap_user": "", name: "Kept"}
        code, out, err = run(capsys, "import", "--from", binary, str(rc))
        assert (code, err) == (
            1,
            f"mailconf: warning: {rc}:1:1: a byte-order mark (U+FEFF) starts the file: {binary} reads the first "
            "command with it as an unknown command and skips line 1, which is not imported either; save the file "
            "as UTF-8 without it\n",
        )
        assert "username" not in out
        assert "    display_name: Kept\n" in out


@pytest.mark.parametrize(
    ("fmt", "name", "content", "message"),
    [
        (
            "mutt",
            "muttrc",
            "set from = 'a@example.com'\nset imap_user = 'x\n",
            "muttrc:2:17: unbalanced single quote; close it with ' on the same line",
        ),
        (
            "mutt",
            "muttrc",
            'set realname = "Alice\n',
            'muttrc:1:16: unbalanced double quote; close it with " on the same line',
        ),
        (
            "mutt",
            "muttrc",
            'set imap_pass = "`pass show x\n',
            "muttrc:1:18: unbalanced backtick; close the command with ` on the same line",
        ),
        (
            "mutt",
            "muttrc",
            f"set folder = 'imaps://alice:{SECRET}@imap.example.com:99x/'\n",
            "muttrc:1:5: folder: the port is not a number; write HOST:PORT",  # never the URL: it holds a password
        ),
        (
            "neomutt",
            "muttrc",
            "set smtp_url = 'smtps://alice@[::1/'\n",
            "muttrc:1:5: smtp_url: not a URL; write SCHEME://USER@HOST:PORT/",
        ),
        (
            "fetchmail",
            "fetchmailrc",
            'poll "imap.example.com" proto IMAP\n  user "a" there frobnicate yes\n',
            'fetchmailrc:2:18: unknown keyword "frobnicate"; fetchmail itself refuses this file (syntax error): '
            "fix or remove it",
        ),
        (  # a password holding a space, unquoted: its second word was shown as an unknown keyword
            "fetchmail",
            "fetchmailrc",
            f"poll imap.example.com proto IMAP user a password {SECRET} {SECRET}\n",
            f"fetchmailrc:1:{51 + len(SECRET)}: a word after the password that is no keyword (not shown: it may be "
            "part of the password); fetchmail itself refuses this file (syntax error): quote a password that holds a "
            'space, "like this"',
        ),
        (
            "fetchmail",
            "fetchmailrc",
            f"poll smtp.example.com proto IMAP esmtppassword x {SECRET} user a\n",
            "fetchmailrc:1:50: a word after the password that is no keyword (not shown: it may be part of the "
            "password); fetchmail itself refuses this file (syntax error): quote a password that holds a space, "
            '"like this"',
        ),
        (  # a quote left open ran on over `password "`: the password was shown as an unknown keyword
            "fetchmail",
            "fetchmailrc",
            f'poll imap.example.com proto IMAP user alice sslcertfile "/a.pem\n  password "{SECRET}\n',
            "fetchmailrc:2:13: a word after a quoted string that runs over several lines (not shown: the string may "
            "have taken in a password keyword, and this word be the password); fetchmail itself refuses this file "
            "(syntax error): close each quote on the line it opens",
        ),
        (
            "autoconfig",
            "bomb.xml",
            '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>\n'
            "<clientConfig>&b;</clientConfig>\n",
            "bomb.xml:2:1: XML with a DTD or entities (DTDForbidden) is refused; remove the <!DOCTYPE> and entity "
            "declarations",
        ),
        (
            "autoconfig",
            "cut.xml",
            '<?xml version="1.0"?>\n<clientConfig>\n  <emailProvider id="x">\n',
            "cut.xml:4:1: not well-formed XML; fix the XML (xmllint shows where)",
        ),
        (
            "autoconfig",
            "enc.xml",
            '<?xml version="1.0" encoding="no-such-codec"?>\n<clientConfig/>\n',
            "enc.xml:1:31: the XML declaration names an encoding that cannot be read; save the file as UTF-8 and "
            'declare encoding="UTF-8"',
        ),
        (
            "autodiscover",
            "wide.xml",
            '<?xml version="1.0" encoding="UTF-32"?>\n<Autodiscover/>\n',
            "wide.xml:1:31: the XML declaration names an encoding that cannot be read; save the file as UTF-8 and "
            'declare encoding="UTF-8"',
        ),
        (
            "outlook",
            "x.reg",
            "REGEDIT?\r\n[HKEY_CURRENT_USER\\x]\r\n",
            "x.reg:1:1: not a registry export (the first line is not 'Windows Registry Editor Version 5.00'); "
            "export the key with regedit (File > Export)",
        ),
        (
            "outlook",
            "latin1.reg",
            'Windows Registry Editor Version 5.00\r\n"a"="\xe9"\r\n',
            "latin1.reg:1:1: neither UTF-16LE (with a byte-order mark) nor UTF-8; export the key with regedit "
            "(File > Export)",
        ),
        (  # UTF-16LE without its byte-order mark: it was "the first line is not 'Windows Registry Editor ...'"
            "outlook",
            "nobom.reg",
            'Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CURRENT_USER\\x]\r\n"a"="b"\r\n',
            "nobom.reg:1:1: UTF-16LE text without a byte-order mark; export the key again with regedit, or save the "
            "file as UTF-16LE with a byte-order mark or as UTF-8",
        ),
        (  # a byte-order mark, then an odd number of bytes (the file is written with one byte more)
            "outlook",
            "oddbom.reg",
            "\ufeffWindows Registry Editor Version 5.00\r\n",
            "oddbom.reg:1:1: not UTF-16LE text after its byte-order mark; export the key again with regedit",
        ),
        (  # hivexregedit refuses it too: there is no key to put the value in
            "outlook",
            "deleted.reg",
            'Windows Registry Editor Version 5.00\r\n\r\n[-HKEY_CURRENT_USER\\x]\r\n"a"="b"\r\n',
            "deleted.reg:4:1: a value after a deleted [-key]; give the key as [key] before its values",
        ),
        (  # regedit ends a string at its first unescaped quote and skips the line: `ann"x` was imported
            "outlook",
            "quote.reg",
            'Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CURRENT_USER\\x]\r\n"Display Name"="ann"x"\r\n',
            'quote.reg:4:1: a string without its closing quote, or with text after it; escape a quote inside it as \\"',
        ),
        (  # regedit's line ends at a NUL
            "outlook",
            "nul.reg",
            'Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CURRENT_USER\\x]\r\n"Email"="a\x00"\r\n',
            "nul.reg:4:11: a NUL character (regedit ends the line there); remove it, or export the key again",
        ),
        (  # a byte item above ff
            "outlook",
            "item.reg",
            'Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CURRENT_USER\\x]\r\n"Email"=hex:61,100\r\n',
            "item.reg:4:1: hex data that is not comma-separated bytes (00 to ff); export again",
        ),
        (  # a final backslash, then a line that is not hex data: it was joined onto the value
            "outlook",
            "wrap.reg",
            'Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CURRENT_USER\\x]\r\n"Email"=hex:61,\\\r\n\r\n'
            '"x"="y"\r\n',
            "wrap.reg:6:1: the line after a hex value's final \\ does not go on with its hex data; remove the \\ or "
            "export again",
        ),
        (  # half a surrogate pair: the host was read as absent, and the account refused for an empty host
            "outlook",
            "half.reg",
            "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CURRENT_USER\\x]\r\n"
            '"clsid"="{ED475412-B0D6-11D2-8C3B-00104B2A6676}"\r\n"Email"="a@example.org"\r\n'
            '"IMAP Server"=hex(1):69,00,00,d8,00,00\r\n',
            "half.reg:6:1: text that is not UTF-16LE (an odd number of bytes, or half a surrogate pair); retype the "
            "value in Outlook and export the key again",
        ),
        (  # an encryption value Outlook does not write: it was read as security: none without a word
            "outlook",
            "secure.reg",
            "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CURRENT_USER\\x]\r\n"
            '"clsid"="{ED475412-B0D6-11D2-8C3B-00104B2A6676}"\r\n"Email"="a@example.org"\r\n'
            '"IMAP Server"="imap.example.org"\r\n"SMTP Server"="smtp.example.org"\r\n'
            '"SMTP Secure Connection"=dword:00000004\r\n',
            "secure.reg:8:1: SMTP Secure Connection is dword 4, not a value Outlook writes (a dword: 0 none, 1 "
            "SSL/TLS, 2 STARTTLS, 3 Auto); set it in Outlook's account settings and export the key again",
        ),
        (
            "outlook",
            "ssl.reg",
            "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CURRENT_USER\\x]\r\n"
            '"clsid"="{ED475412-B0D6-11D2-8C3B-00104B2A6676}"\r\n"Email"="a@example.org"\r\n'
            '"IMAP Server"="imap.example.org"\r\n"IMAP Use SSL"="1"\r\n',
            "ssl.reg:7:1: IMAP Use SSL is text, not a value Outlook writes (a dword: 0 no encryption, 1 SSL/TLS); set "
            "it in Outlook's account settings and export the key again",
        ),
        (
            "outlook",
            "auth.reg",
            "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CURRENT_USER\\x]\r\n"
            '"clsid"="{ED475412-B0D6-11D2-8C3B-00104B2A6676}"\r\n"Email"="a@example.org"\r\n'
            '"IMAP Server"="imap.example.org"\r\n"SMTP Server"="smtp.example.org"\r\n'
            '"SMTP Use Auth"=hex:01,00,00,00\r\n',
            "auth.reg:8:1: SMTP Use Auth is binary data, not a value Outlook writes (a dword: 0 no authentication, 1 "
            "authentication); set it in Outlook's account settings and export the key again",
        ),
        (  # a port that is not a dword: read as absent, "1993" gave port 993 without a word
            "outlook",
            "port.reg",
            "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CURRENT_USER\\x]\r\n"
            '"clsid"="{ED475412-B0D6-11D2-8C3B-00104B2A6676}"\r\n"Email"="a@example.org"\r\n'
            '"IMAP Server"="imap.example.org"\r\n"IMAP Port"="1993"\r\n',
            "port.reg:7:1: IMAP Port is text, not a value Outlook writes (a dword: the port); set it in Outlook's "
            "account settings and export the key again",
        ),
        (  # Leave on Server as binary data: read as absent, nothing left on the server
            "outlook",
            "leave.reg",
            "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CURRENT_USER\\x]\r\n"
            '"clsid"="{ED475411-B0D6-11D2-8C3B-00104B2A6676}"\r\n"Email"="a@example.org"\r\n'
            '"POP3 Server"="pop.example.org"\r\n"Leave on Server"=hex:03,00,0e,00\r\n',
            "leave.reg:7:1: Leave on Server is binary data, not a value Outlook writes (a dword: 0x1 leave a copy, 0x2 "
            "remove after days, days << 16); set it in Outlook's account settings and export the key again",
        ),
        (
            "msmtp",
            "msmtprc",
            "",
            "msmtprc:1:1: no msmtp account found; check that the file is msmtp configuration, or choose another --from",
        ),
        (  # msmtp refuses an account name given twice; the second account replaced the first, with exit 0
            "msmtp",
            "twice.msmtprc",
            "account a\nhost smtp.example.com\nfrom a@example.com\n\n account a\nhost smtp.example.net\n",
            "twice.msmtprc:5:2: account a was already defined (line 1): msmtp refuses the file; give each account its "
            "own name",
        ),
        (  # carriage-return line ends: msmtp would read the password into the account's name; never shown
            "msmtp",
            "cr.msmtprc",
            "# mine\n  account a\rhost smtp.example.org\rpassword Hunter2-secret\r\n",
            "cr.msmtprc:2:12: a carriage return inside a line: msmtp reads it as part of the value, not as a line "
            "end; save the file with Unix (LF) line ends",
        ),
    ],
)
def test_bad_input_is_one_located_line_and_exit_2(  # noqa: PLR0917
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str, name: str, content: str, message: str
) -> None:
    path = tmp_path / name
    encoding = {"latin1.reg": "latin-1", "nobom.reg": "utf-16-le", "oddbom.reg": "utf-16-le"}.get(name, "utf-8")
    path.write_bytes(content.encode(encoding) + (b"\x00" if name == "oddbom.reg" else b""))
    code, out, err = run(capsys, "import", "--from", fmt, str(path))
    assert (code, out, err) == (2, "", f"mailconf: {tmp_path}/{message}\n")


#: the smallest file each importer takes: one IMAP server
PROVIDER_XML = {
    "autoconfig": '<?xml version="1.0" encoding="utf-8"?>\n<clientConfig version="1.1"><emailProvider id="example.org">'
    '<domain>example.org</domain><incomingServer type="imap"><hostname>imap.example.org</hostname><port>993</port>'
    "<socketType>SSL</socketType><username>%EMAILADDRESS%</username>"
    "<authentication>password-cleartext</authentication></incomingServer></emailProvider></clientConfig>\n",
    "autodiscover": '<?xml version="1.0" encoding="utf-8"?>\n<Autodiscover xmlns="http://schemas.microsoft.com/exchange/'
    'autodiscover/responseschema/2006"><Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/'
    'responseschema/2006a"><Account><AccountType>email</AccountType><Action>settings</Action><Protocol><Type>IMAP'
    "</Type><Server>imap.example.org</Server><Port>993</Port><SSL>on</SSL></Protocol></Account></Response>"
    "</Autodiscover>\n",
}
UTF_32_HOW = {"bom-le": "it starts with a UTF-32 byte-order mark", "bom-be": "it starts with a UTF-32 byte-order mark",
              "no-bom-le": "its first character is padded with zero bytes",
              "no-bom-be": "its first character is padded with zero bytes",
              "bom-le-undeclared": "it starts with a UTF-32 byte-order mark"}  # fmt: skip


@pytest.mark.parametrize("form", sorted(UTF_32_HOW))
@pytest.mark.parametrize("fmt", sorted(PROVIDER_XML))
def test_xml_in_utf_32_is_refused_as_an_encoding_that_cannot_be_read(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str, form: str
) -> None:
    """expat reads no UTF-32, and took its first bytes for UTF-16 before it read the declaration: the file was
    `FILE:1:2: not well-formed XML; fix the XML (xmllint shows where)`, sending its user looking for a broken file."""
    path = tmp_path / "example.org.xml"
    path.write_bytes(utf_32_forms(PROVIDER_XML[fmt].replace("utf-8", "utf-32"))[form])
    code, out, err = run(capsys, "import", "--from", fmt, str(path))
    assert (code, out, err) == (
        2,
        "",
        f"mailconf: {path}:1:1: the XML is in UTF-32 ({UTF_32_HOW[form]}), which cannot be read; "
        'save the file as UTF-8 and declare encoding="UTF-8"\n',
    )


@pytest.mark.parametrize("bom", [b"", codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE], ids=["no-bom", "bom-le", "bom-be"])
@pytest.mark.parametrize("fmt", sorted(PROVIDER_XML))
def test_xml_in_utf_16_is_imported_as_in_utf_8(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str, bom: bytes
) -> None:
    (tmp_path / "8").mkdir()
    (tmp_path / "16").mkdir()
    (tmp_path / "8" / "alice@example.org.xml").write_text(PROVIDER_XML[fmt], encoding="utf-8")
    text = PROVIDER_XML[fmt].replace("utf-8", "utf-16")
    encoded = text.encode("utf-16-be") if bom == codecs.BOM_UTF16_BE else text.encode("utf-16-le")
    (tmp_path / "16" / "alice@example.org.xml").write_bytes(bom + encoded)
    utf_8 = run(capsys, "import", "--from", fmt, str(tmp_path / "8" / "alice@example.org.xml"))
    utf_16 = run(capsys, "import", "--from", fmt, str(tmp_path / "16" / "alice@example.org.xml"))
    code, out, err = utf_8
    assert "host: imap.example.org" in out
    assert utf_16 == (
        code,
        out.replace(f"{tmp_path}/8/", f"{tmp_path}/16/"),
        err.replace(f"{tmp_path}/8/", f"{tmp_path}/16/"),
    )


def test_a_truncated_prefs_js_imports_what_parses_and_locates_the_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    main(["render", "-t", "thunderbird", "-a", "alice", str(EXAMPLES / "company.yaml")])
    text = capsys.readouterr().out
    cut = text.index('user_pref("mail.identity.id1.valid"') + 20
    prefs = tmp_path / "prefs.js"
    prefs.write_text(text[:cut])
    code, out, err = run(capsys, "import", "--from", "thunderbird", str(prefs))
    assert code == 1
    line = text[:cut].count("\n") + 1
    column = cut - text[:cut].rfind("\n") - 1 - 9
    assert err == (
        f"mailconf: warning: {prefs}:{line}:{column}: prefs syntax error: unterminated string literal; "
        "Thunderbird skips to the next ';' (so does this import)\n"
    )
    assert "address: alice@example.com" in out


def test_a_huge_file_is_refused_before_it_is_read(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    huge = tmp_path / "huge"
    with huge.open("wb") as f:
        f.truncate(65 * 1024 * 1024)
    code, out, err = run(capsys, "import", "--from", "msmtp", str(huge))
    assert (code, out, err) == (
        2,
        "",
        f"mailconf: {huge}: larger than 64 MiB; check the path: name an msmtp configuration file (~/.msmtprc)\n",
    )


@pytest.mark.parametrize(
    ("commands", "warning"),
    [
        ("bind index g noop\n", "1 command that is not an account setting (bind) is not imported"),
        ("color normal white black\nmacro index x y\n",
         "2 commands that are not account settings (color, macro) are not imported"),
        # named once each, in file order, the first four; said "(bind, macro, hooks ...)" whatever the file held
        ("bind index g noop\ncolor normal white black\nbind pager j next-line\nsend-hook . 'my_hdr X-A: b'\n"
         "alias bob bob@example.com\nignore *\nmacro index x y\n",
         "7 commands that are not account settings (bind, color, send-hook, alias and 2 more) are not imported"),
    ],
    ids=["one", "two", "many"],
)  # fmt: skip
def test_mutt_counts_what_it_does_not_import_in_words(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, commands: str, warning: str
) -> None:
    rc = tmp_path / "muttrc"
    rc.write_text("set from = 'alice@example.com'\nset folder = 'imaps://imap.example.com:993/'\n" + commands)
    code, out, err = run(capsys, "import", "--from", "mutt", str(rc), "-o", str(tmp_path / "a.yaml"))
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"mailconf: warning: {rc}:3:1: {warning}",
        f"mailconf: wrote 1 account to {tmp_path / 'a.yaml'}; check it with `mailconf lint`",
    ]


@pytest.mark.parametrize(
    ("lines", "warning", "options"),
    [
        ("set daemon 300\n", "1:5: 1 delivery or daemon setting (set daemon) is not an account setting: not "
         "imported", ""),
        ("set daemon 300\nset logfile /tmp/x\n", "1:5: 2 delivery or daemon settings (set daemon, set logfile) are "
         "not account settings: not imported", ""),
        # a published file's: the warning named fixed examples (is ... here, smtphost, set daemon ...), not these
        ("set no bouncemail\n", "1:8: 3 delivery or daemon settings (set no bouncemail, fetchall, idle) are not "
         "account settings: not imported", " fetchall idle"),
        ("set daemon 60\ndefaults fetchall\n", "1:5: 6 delivery or daemon settings (set daemon, fetchall, "
         "no fetchall, no rewrite and 2 more) are not account settings: not imported",
         " nofetchall norewrite smtp localhost is alice here"),
    ],
    ids=["one", "two", "in the entry", "more"],
)  # fmt: skip
def test_fetchmail_counts_what_it_does_not_import_in_words(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, lines: str, warning: str, options: str
) -> None:
    rc = tmp_path / "fetchmailrc"
    rc.write_text(lines + f"poll imap.example.com protocol imap user alice@example.com ssl{options}\n")
    code, out, err = run(capsys, "import", "--from", "fetchmail", str(rc))
    assert (code, err) == (1, f"mailconf: warning: {rc}:{warning}\n")
    assert "host: imap.example.com\n" in out


@pytest.mark.parametrize(
    ("flag", "warning"),
    [
        ("keep", "1:64: keep on IMAP: fetchmail leaves the mail it fetches on the server; leave_on_server is for POP3 "
         "only"),
        # said "keep on IMAP", the opposite of what was written
        ("no keep", "1:64: no keep on IMAP: fetchmail deletes the mail it fetches from the server (its default); "
         "leave_on_server is for POP3 only"),
        ("nokeep", "1:64: no keep on IMAP: fetchmail deletes the mail it fetches from the server (its default); "
         "leave_on_server is for POP3 only"),
    ],
)  # fmt: skip
def test_fetchmail_keep_on_imap_is_reported_as_written(tmp_path: Path, flag: str, warning: str) -> None:
    rc = tmp_path / "fetchmailrc"
    rc.write_text(f"poll imap.example.com protocol imap user alice@example.com ssl {flag}\n")
    result = import_paths("fetchmail", [str(rc)], ReadOptions())
    assert (list(result.accounts), result.warnings) == (["imap.example.com"], (f"{rc}:{warning}",))


def test_a_fetchmail_password_whose_quote_is_never_closed_is_a_literal_password(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # fetchmail reads `password "SECRET` as the password "SECRET, quote and all (--configdump); the import stopped
    # at "unbalanced quote" and imported nothing
    need("fetchmail")
    rc = tmp_path / "fetchmailrc"
    rc.write_text(f'poll imap.example.com proto IMAP user a@example.com there password "{SECRET}\n  sslproto TLS1.2+\n')
    rc.chmod(0o600)
    assert fetchmail_entries(rc, tmp_path)["imap.example.com"]["password"] == f'"{SECRET}'
    code, out, err = run(capsys, "import", "--from", "fetchmail", str(rc))
    assert (code, err) == (
        1,
        f"mailconf: warning: {rc}:1:59: the file holds a literal password (not imported): store it in a password "
        "manager and set password_command to the command that prints it\n",
    )
    assert out == (
        f"# imported by `mailconf import --from fetchmail` from {rc}\n"
        "# the comments below say what the files hold that this file does not\n"
        "version: 1\n"
        "accounts:\n"
        "  imap.example.com:\n"
        "    address: a@example.com\n"
        f"    incoming:  # {rc}:1: the file holds a literal password (not imported): store it in a password manager "
        "and set password_command to the command that prints it\n"
        "      protocol: imap\n"
        "      host: imap.example.com\n"
        "      port: 143\n"
        "      security: starttls\n"
        "      auth: password\n"
        "      username: a@example.com\n"
        "      tls:\n"
        '        min_version: "1.2"\n'
    )


#: what the import says of an = that fetchmail's grammar takes nowhere there
MAP_REFUSED = (
    "an = where fetchmail takes none; fetchmail itself refuses this file (syntax error at =): remove it, or quote a "
    'value that holds one ("a=b")'
)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("poll imap.example.com user=alice\n", f"1:27: {MAP_REFUSED}"),
        (f"poll imap.example.com user alice password={SECRET}\n", f"1:42: {MAP_REFUSED}"),
        (f"poll imap.example.com user alice password {SECRET[:4]}={SECRET[4:]}\n", f"1:47: {MAP_REFUSED}"),
        ("poll imap.example.com=x user alice\n", f"1:22: {MAP_REFUSED}"),
        ("poll imap.example.com user alice is x = y = z here\n", f"1:43: {MAP_REFUSED}"),
        ("poll imap.example.com user alice smtphost a=b\n", f"1:44: {MAP_REFUSED}"),
        ("poll imap.example.com user alice sslcertfile /etc/a=b.pem\n", f"1:52: {MAP_REFUSED}"),
        (
            "poll imap.example.com user al=ice\n",
            "1:23: user names local users (REMOTE = LOCAL, or more than one name) without here after them; fetchmail "
            "itself refuses this file (syntax error): write user REMOTE there is LOCAL here",
        ),
        (
            "set daemon = 300\npoll imap.example.com user alice\n",
            "1:12: set daemon = N: fetchmail reads what follows = as a word, not the number it takes; fetchmail "
            "itself refuses this file (syntax error): write set daemon N",
        ),
    ],
)
def test_an_equals_sign_fetchmail_refuses_stops_the_import(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, message: str
) -> None:
    # = was read as part of a word: `password ab=c`, `sslcertfile /etc/a=b.pem`, `user al=ice` were imported and
    # `user=alice` refused as the unknown keyword 'user=alice'; fetchmail's lexer makes = a token of its own, which
    # its grammar takes only in REMOTE = LOCAL and set logfile = FILE, and refuses these files (exit 5)
    rc = tmp_path / "fetchmailrc"
    rc.write_text(text)
    rc.chmod(0o600)
    with pytest.raises(FetchmailError, match=r"(?s)^fetchmail exit 5: .*fetchmailrc:[12]: syntax error at "):
        fetchmail_entries(rc, tmp_path)
    assert run(capsys, "import", "--from", "fetchmail", str(rc)) == (2, "", f"mailconf: {rc}:{message}\n")


#: a fetchmailrc line, where the word of each case goes
KEYWORD_LINE = "poll imap.example.com proto imap {} user alice@example.com there {} \n"


@pytest.mark.parametrize(
    ("server", "user", "message", "quoted_code"),
    [
        ("", "sslproto auto", '1:73: sslproto "auto": fetchmail reads this word as a keyword, not a value; fetchmail '
         'itself refuses this file (syntax error at auto): quote it, sslproto "auto"', 0),
        ("", "sslproto with AUTO", '1:78: sslproto "AUTO": fetchmail reads this word as a keyword, not a value; '
         'fetchmail itself refuses this file (syntax error at AUTO): quote it, sslproto "AUTO"', 1),
        ("", "sslcertfile imap", '1:76: sslcertfile "imap": fetchmail reads this word as a keyword, not a value; '
         'fetchmail itself refuses this file (syntax error at imap): quote it, sslcertfile "imap"', 1),
        ("esmtppassword 1234", "", "1:48: esmtppassword is followed by a word fetchmail reads as a keyword (not "
         'shown: it may be the password); fetchmail itself refuses this file (syntax error): quote the password, '
         '"like this"', 1),
    ],
)  # fmt: skip
def test_a_keyword_where_fetchmail_takes_a_string_stops_the_import(  # noqa: PLR0917
    capsys: pytest.CaptureFixture[str], tmp_path: Path, server: str, user: str, message: str, quoted_code: int
) -> None:
    # `sslproto auto` was imported as a mandatory STARTTLS; fetchmail's lexer reads the unquoted auto as the protocol
    # auto (as it reads AUTO, imap, 1234 ...: rcfile_l.l), and its grammar takes only a STRING after sslproto
    need("fetchmail")
    rc = tmp_path / "fetchmailrc"
    rc.write_text(KEYWORD_LINE.format(server, user))
    rc.chmod(0o600)
    keyword, _, word = (server or user).partition(" ")
    word = word.removeprefix("with ")
    with pytest.raises(FetchmailError, match=rf"(?s)^fetchmail exit 5: .*fetchmailrc:1: syntax error at {word}\n"):
        fetchmail_entries(rc, tmp_path)
    code, out, err = run(capsys, "import", "--from", "fetchmail", str(rc))
    assert (code, out, err) == (2, "", f"mailconf: {rc}:{message}\n")
    assert "1234" not in err
    head, _, tail = rc.read_text().rpartition(f" {word} ")
    rc.write_text(f'{head} "{word}" {tail}')  # quoted, it is the string fetchmail reads
    assert fetchmail_entries(rc, tmp_path)["imap.example.com"][keyword].rpartition("/")[2] == word  # a file: beside rc
    code, out, err = run(capsys, "import", "--from", "fetchmail", str(rc))
    assert code == quoted_code  # 1: a warning (an sslproto mailconf does not know, no sslproto, a delivery setting)
    assert ("      security: starttls\n" in out) == (keyword == "sslproto")


@pytest.mark.parametrize("user", ["user a = b here", "user alice here", 'user "alice" bob here'])
def test_a_fetchmail_user_of_local_names_only_names_no_login(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, user: str
) -> None:
    # `user a = b here` (and `user alice here`) is rcfile_y.y's USERNAME mapping_list HERE: local names only, and
    # fetchmail logs in as the user it runs as (--configdump: remote "root" here); alice was imported as the login
    rc = tmp_path / "fetchmailrc"
    rc.write_text(f"poll imap.example.com proto IMAP\n  {user} sslproto TLS1.2+\n")
    rc.chmod(0o600)
    assert fetchmail_entries(rc, tmp_path)["imap.example.com"]["remote"] == getpass.getuser()
    code, out, err = run(capsys, "import", "--from", "fetchmail", str(rc))
    assert (code, err) == (
        1,
        f"mailconf: warning: {rc}:1:1: fetchmail names no address: this one is a guess, check it\n"
        f"mailconf: warning: {rc}:2:3: user ... here names local users, not the login: fetchmail logs in as the "
        "user it runs as; set username (user REMOTE there is LOCAL here)\n",
    )
    assert "    username:" not in out


@pytest.mark.parametrize(
    "user", ["is bob@example.com there", "user alice here is bob@example.com there",
             "user alice@example.org there is bob@example.com with there"]
)  # fmt: skip
def test_fetchmail_is_name_there_names_the_login(capsys: pytest.CaptureFixture[str], tmp_path: Path, user: str) -> None:
    # rcfile_y.y's IS STRING THERE sets the remote user, as user NAME there does; the import counted it as a delivery
    # setting and imported no username (or alice's, or a warning that fetchmail logs in as the user it runs as)
    need("fetchmail")
    rc = tmp_path / "fetchmailrc"
    rc.write_text(f'poll imap.example.com proto IMAP\n  {user} sslproto "TLS1.2+"\n')
    rc.chmod(0o600)
    assert fetchmail_entries(rc, tmp_path)["imap.example.com"]["remote"] == "bob@example.com"
    code, out, err = run(capsys, "import", "--from", "fetchmail", str(rc))
    assert (code, err) == (0, "")
    assert "    address: bob@example.com\n" in out
    assert "      username: bob@example.com\n" in out


#: every character Python's \s (in a str pattern) takes as a blank and fetchmail's lexer does not: rcfile_l.l's
#: blanks are [ \t\r] and the line end, and any other character is a character of a word
NOT_FETCHMAIL_BLANKS = [c for c in map(chr, range(0x110000)) if re.fullmatch(r"\s", c) and c not in " \t\r\n"]


@pytest.mark.parametrize("blank", NOT_FETCHMAIL_BLANKS, ids=lambda c: f"U+{ord(c):04X}")
def test_fetchmail_reads_only_its_own_blanks_between_words(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, blank: str
) -> None:
    # the lexer split words at Python's \s, so `timeout<FF>30` (or a no-break space...) was the timeout 30; fetchmail
    # reads one word, no keyword, and refuses the file
    need("fetchmail")
    assert len(NOT_FETCHMAIL_BLANKS) == 25  # \v \f, U+001C-U+001F, U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028 ...
    rc = tmp_path / "fetchmailrc"
    rc.write_text(f"poll imap.example.com proto imap timeout{blank}30 user alice@example.com there ssl\n")
    rc.chmod(0o600)
    with pytest.raises(FetchmailError, match=r"(?s)^fetchmail exit 5: .*fetchmailrc:1: syntax error at timeout"):
        fetchmail_verbose(rc, tmp_path)
    assert run(capsys, "import", "--from", "fetchmail", str(rc)) == (
        2,
        "",
        f"mailconf: {rc}:1:34: unknown keyword {double_quoted(f'timeout{blank}30')}; fetchmail itself refuses this "
        "file (syntax error): fix or remove it\n",
    )


def test_fetchmail_joins_the_lines_around_a_backslash_at_a_line_end(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # rcfile_l.l drops a backslash before a line end (\\?\n) with the line end; the import read a backslash alone as
    # the empty string: sslproto "" (no TLS at all), then refused TLS1.2+ as an unknown keyword
    need("fetchmail")
    rc = tmp_path / "fetchmailrc"
    rc.write_text("poll imap.example.com proto imap user alice@example.com there sslproto \\\n  TLS1.2+ ssl\n")
    rc.chmod(0o600)
    block = fetchmail_verbose(rc, tmp_path)["imap.example.com"][1]
    assert fetchmail_setting(block, "SSL protocol") == "TLS1.2+."
    code, out, err = run(capsys, "import", "--from", "fetchmail", str(rc))
    assert (code, err) == (0, "")
    assert '      username: alice@example.com\n      tls:\n        min_version: "1.2"\n' in out
    assert "      security: tls\n" in out


@pytest.mark.parametrize(
    ("service", "port"),
    [("imaps", 993), ("imap", 143), ("imap2", 143), ("pop3s", 995), ("pop3", 110), ("pop-3", 110), ('"993"', 993)],
)
def test_a_fetchmail_service_name_is_its_port(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, service: str, port: int
) -> None:
    """fetchmail is not run here (the brief keeps its global lock for its own tests): ``service`` is handed to
    getaddrinfo, which looks a name up in /etc/services, and the system's services database is the oracle."""
    # published files write `service imaps` (fetchmail's own default services are such names): the account was
    # left out, "`port` must be a whole number (got "imaps")"
    if not service.startswith('"'):
        assert socket.getservbyname(service, "tcp") == port
    rc = tmp_path / "fetchmailrc"
    rc.write_text(f"poll imap.example.com protocol imap service {service} user alice@example.com there ssl\n")
    rc.chmod(0o600)
    code, out, err = run(capsys, "import", "--from", "fetchmail", str(rc))
    assert (code, err) == (0, "")
    assert f"      host: imap.example.com\n      port: {port}\n      security: tls\n" in out


def test_a_fetchmail_service_name_not_in_the_services_database_is_reported(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # the lookup is exact, as getaddrinfo's: IMAPS names no service, and fetchmail cannot connect
    with pytest.raises(OSError, match="not found"):
        socket.getservbyname("IMAPS", "tcp")
    rc = tmp_path / "fetchmailrc"
    rc.write_text("poll imap.example.com protocol imap service IMAPS user alice@example.com there ssl\n")
    rc.chmod(0o600)
    assert run(capsys, "import", "--from", "fetchmail", str(rc))[2] == (
        f'mailconf: warning: {rc}:1:37: poll imap.example.com: service "IMAPS" is neither a port number nor a mail '
        "service name (imap, imaps, pop3, pop3s); not imported: write imaps, in lower case (the name is looked up "
        "exactly)\n"
        f"mailconf: {rc}:1:1: no fetchmail account found (the warnings above say what was left out); check that the "
        "file is fetchmail configuration, or choose another --from\n"
    )


@pytest.mark.parametrize(
    ("options", "fix"),
    [
        ("ssl", "service 993 (fetchmail's for IMAP with ssl)"),
        ("", "service 143 (fetchmail's for IMAP)"),
    ],
)
def test_an_unknown_fetchmail_service_name_is_reported_with_its_keyword_and_a_port(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, options: str, fix: str
) -> None:
    # a published file's `service foo` was reported as "incoming.port: `port` must be a whole number (got "foo")",
    # at the entry: neither the word in the file nor a fix
    rc = tmp_path / "fetchmailrc"
    rc.write_text(
        f"poll imap.example.com protocol imap service foo user alice@example.com there {options}\n"
        "poll imap.example.org protocol imap user alice@example.org there ssl\n"
    )
    code, out, err = run(capsys, "import", "--from", "fetchmail", str(rc))
    assert (code, err) == (
        1,
        f'mailconf: warning: {rc}:1:37: poll imap.example.com: service "foo" is neither a port number nor a mail '
        f"service name (imap, imaps, pop3, pop3s); not imported: write the port number instead, such as {fix}\n",
    )
    assert "imap.example.com" not in out
    assert "host: imap.example.org\n" in out


@pytest.mark.parametrize(
    ("setting", "column"),
    [('service "99999"', 37), ("service 0", 37), ("service 70000", 37), ('service "-5"', 37), ("port -1", 37)],
)
def test_a_fetchmail_service_that_is_no_port_is_reported_with_its_keyword_and_what_fetchmail_does(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, setting: str, column: int
) -> None:
    """fetchmail is not run here (the brief keeps its global lock for its own tests): the oracle is its source,
    servport.c (strtoul; 0 or past 65535 is no port, and a negative number wraps past it), and fetchmail.c's check of
    each entry at start, which exits with PS_SYNTAX before any poll; the installed binary (read, not run) holds its
    message."""
    # service "99999" got the schema's "incoming.port: `port` must be between 1 and 65535 (got 99999)" at the entry,
    # which names neither the keyword nor fetchmail's refusal; port -1 was an internal error (KeyError)
    refusal = "configuration invalid, specify positive port number for service or port"
    assert refusal.encode() in Path(need("fetchmail")["fetchmail"]).read_bytes()
    rc = tmp_path / "fetchmailrc"
    rc.write_text(
        f"poll imap.example.com protocol imap {setting} user alice@example.com there ssl\n"
        "poll imap.example.org protocol imap user alice@example.org there ssl\n"
    )
    code, out, err = run(capsys, "import", "--from", "fetchmail", str(rc))
    keyword, number = setting.replace('"', "").split()
    assert (code, err) == (
        1,
        f'mailconf: warning: {rc}:1:{column}: poll imap.example.com: {keyword} "{number}" is no port '
        f"number (fetchmail takes 1 to 65535): fetchmail stops at start ('{refusal}') and polls nothing; not "
        f"imported: write the port number, such as {keyword} 993 (fetchmail's for IMAP with ssl)\n",
    )
    assert "imap.example.com" not in out
    assert "host: imap.example.org\n" in out


def test_a_fetchmail_port_past_a_32_bit_int_is_read_as_fetchmail_reads_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """fetchmail is not run here (see above): rcfile_y.y keeps ``service NUMBER`` as the ``"%d"`` of the lexer's
    ``atoi()``, a 32-bit int, as fetchmail --configdump shows for ``timeout`` (test_real_readers)."""
    rc = tmp_path / "fetchmailrc"
    rc.write_text("poll imap.example.com protocol imap service 4294967439 user alice@example.com there ssl\n")
    code, out, err = run(capsys, "import", "--from", "fetchmail", str(rc))
    assert (code, err) == (
        1,
        f"mailconf: warning: {rc}:1:37: service 4294967439: fetchmail reads this number as 143 (a 32-bit int)\n",
    )
    assert "      host: imap.example.com\n      port: 143\n      security: tls\n" in out


@pytest.mark.parametrize(
    ("settings", "port"),
    [
        ("poll imap.example.com service imaps port 110", 110),  # was 993: service was taken whatever came after it
        ("poll imap.example.com port 110 service imaps", 993),
        ("poll imap.example.com port 110 service 995", 995),
        ("poll imap.example.com service pop3s port 143", 143),
        ("defaults service imaps\npoll imap.example.com port 110", 110),  # an entry's own wins over the defaults'
        ("defaults port 110\npoll imap.example.com service imaps", 993),
    ],
)
def test_a_fetchmail_port_and_service_the_later_wins(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, settings: str, port: int
) -> None:
    """fetchmail is not run here (see above): the oracle is its source, rcfile_y.y, where ``SERVICE STRING``,
    ``SERVICE NUMBER`` and ``PORT NUMBER`` all set ``current.server.service``, so the later one wins; and
    fetchmail.c's FLAG_MERGE(server.service), by which an entry's own wins over the defaults'."""
    rc = tmp_path / "fetchmailrc"
    rc.write_text(f"{settings} protocol imap user alice@example.com there ssl\n")
    code, out, err = run(capsys, "import", "--from", "fetchmail", str(rc))
    assert (code, err) == (0, "")
    assert f"      host: imap.example.com\n      port: {port}\n      security: tls\n" in out


#: an IMAP account with ssl, as the import writes it
IMAPS = "      protocol: imap\n      host: imap.example.com\n      port: 993\n      security: tls\n"


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        # was POP3 / port 110: the first spelling was read whatever came after it
        ("poll imap.example.com proto pop3 protocol imap user alice@example.com", IMAPS),
        ("poll imap.example.com protocol pop3 proto imap user alice@example.com", IMAPS),
        ("poll imap.example.com proto imap auth gssapi authenticate password user alice@example.com",
         "auth: password\n"),
        ("poll imap.example.com proto imap authenticate gssapi auth ntlm user alice@example.com", "auth: ntlm\n"),
        # an entry's own wins over the defaults' (was POP3: the defaults' proto was read before the entry's protocol);
        # in one entry, a second user or username is another mailbox (test_each_user_of_a_fetchmail_poll_entry...)
        ("defaults proto pop3\npoll imap.example.com protocol imap user alice@example.com", IMAPS),
        ("defaults auth gssapi\npoll imap.example.com proto imap authenticate ntlm user alice@example.com",
         "auth: ntlm\n"),
        ("defaults user bob@example.com\npoll imap.example.com proto imap username alice@example.com",
         "username: alice@example.com\n"),
    ],
)  # fmt: skip
def test_two_spellings_of_a_fetchmail_keyword_set_the_same_and_the_later_wins(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, settings: str, expected: str
) -> None:
    """fetchmail is not run here (see above): the oracle is its source. rcfile_l.l reads ``proto(col)?``,
    ``auth(enticate)?``, ``user(name)?`` and ``pass(word)?`` each as one token (PROTOCOL, AUTHENTICATE, USERNAME,
    PASSWORD), and rcfile_y.y sets one field with it (current.server.protocol, .authenticate, current.remotename,
    .password), so the later wins; fetchmail.c's FLAG_MERGE makes an entry's own win over the defaults'."""
    rc = tmp_path / "fetchmailrc"
    rc.write_text(f"{settings} ssl\n")
    code, out, err = run(capsys, "import", "--from", "fetchmail", str(rc))
    assert (code, err) == (0, "")
    assert "    address: alice@example.com\n" in out
    assert expected in out


def test_two_spellings_of_a_fetchmail_password_are_one_literal_password(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """fetchmail is not run here (see above): the oracle is its source, rcfile_l.l's ``pass(word)?`` (one token,
    PASSWORD) and rcfile_y.y's ``PASSWORD STRING {current.password = $2;}``: one password, the later."""
    # reported twice, once for each spelling, at the first of each
    rc = tmp_path / "fetchmailrc"
    line = f'poll imap.example.com proto imap user alice@example.com pass "a{SECRET}" password "{SECRET}" ssl\n'
    rc.write_text(line)
    code, out, err = run(capsys, "import", "--from", "fetchmail", str(rc))
    assert (code, err) == (
        1,
        f"mailconf: warning: {rc}:1:{line.index(' password ') + 2}: the file holds a literal password (not "
        "imported): store it in a password manager and set password_command to the command that prints it\n",
    )
    assert SECRET not in out


#: what the import says of a command fetchmail would run (never run)
RUNS = "runs a command: not run, not imported"
#: what the import says of bsmtp
BSMTP = (
    "bsmtp: fetchmail appends the mail it fetches to this file as batch SMTP (- for its standard output) instead of "
    "delivering it; a delivery setting, not imported"
)


@pytest.mark.parametrize(
    ("setting", "warning"),
    [('mda "procmail -d %T"', f"mda {RUNS}"), ("bsmtp out.bsmtp", BSMTP), ('pre "fetch-vpn up"', f"preconnect {RUNS}"),
     ('postconnect "fetch-vpn down"', f"postconnect {RUNS}"), ('plugin "ssh %h imapd"', f"plugin {RUNS}"),
     ('plugout "nc %h 25"', f"plugout {RUNS}")],
)  # fmt: skip
def test_a_command_in_fetchmail_defaults_is_reported_for_the_entries_that_inherit_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, setting: str, warning: str
) -> None:
    """fetchmail is not run here (see above): the oracle is its source, fetchmail.c's optmerge(), which gives each
    entry the defaults' mda, bsmtp, preconnect, postconnect, plugin and plugout where it sets none (FLAG_MERGE)."""
    # the import wrote the account with no word of the command and exited 0
    rc = tmp_path / "fetchmailrc"
    rc.write_text(f"defaults {setting}\npoll imap.example.com proto imap user alice@example.com there ssl\n")
    code, out, err = run(capsys, "import", "--from", "fetchmail", str(rc))
    assert (code, err) == (1, f"mailconf: warning: {rc}:1:10: {warning}\n")
    assert f"    incoming:  # {rc}:1: {warning}\n      protocol: imap\n" in out


def test_a_command_in_fetchmail_defaults_is_said_once_and_not_for_an_entry_with_its_own(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """fetchmail is not run here (see above): the oracle is its source. fetchmail.c's optmerge() gives an entry the
    defaults' mda where it sets none; rcfile_y.y's user_reset() resets the user options (mda, bsmtp) for each user
    of a poll entry, who inherits the defaults' again, and keeps the server options (plugin)."""
    # the defaults' plugin, mda and bsmtp were never reported (exit 1 for the entry's own mda only)
    rc = tmp_path / "fetchmailrc"
    rc.write_text(
        'defaults plugin "ssh -C %h /usr/sbin/imapd"\n'
        '  mda "procmail -d %T" bsmtp out.bsmtp\n'
        "poll imap.example.com proto imap user alice@example.com there ssl\n"
        'poll imap.example.org proto imap user bob@example.org there ssl mda "/usr/bin/deliver"\n'
        "  user carol@example.org there ssl\n"
    )
    code, out, err = run(capsys, "import", "--from", "fetchmail", str(rc))
    assert (code, err) == (
        1,
        f"mailconf: warning: {rc}:1:10: plugin {RUNS}\n"
        f"mailconf: warning: {rc}:2:3: mda {RUNS}\n"
        f"mailconf: warning: {rc}:2:24: {BSMTP}\n"
        f"mailconf: warning: {rc}:4:65: mda {RUNS}\n"
        f'mailconf: warning: {rc}:5:3: account "imap.example.org" is imported as "imap.example.org-2" (another '
        "account has that name)\n",
    )
    inherited = f"{rc}:1: plugin {RUNS}; {rc}:2: mda {RUNS}; {rc}:2: {BSMTP}"
    assert re.findall(r"incoming:  # (.*)", out) == [
        inherited,
        f"{rc}:1: plugin {RUNS}; {rc}:2: {BSMTP}; {rc}:4: mda {RUNS}",
        inherited,
    ]


@pytest.mark.parametrize(
    ("setting", "port"),
    [('service "+5"', 5), ('service " 993"', 993), ("service +995", 995), ('service "\t0143"', 143)],
)
def test_a_fetchmail_service_string_is_read_as_servport_reads_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, setting: str, port: int
) -> None:
    """fetchmail is not run here (see above): the oracle is its source. A quoted service, or a word that is no NUMBER
    (rcfile_l.l: -?[0-9]+), is rcfile_y.y's SERVICE STRING, kept as written; servport.c reads it with strtoul(s, 10)
    (white space and a sign before the digits) and fetchmail connects with getaddrinfo(host, s), which glibc reads
    so too (Python's socket.getaddrinfo, the same call: "+5" is 5, " 993" is 993)."""
    # the entry was left out: "service '+5' is neither a port number nor a mail service name"
    rc = tmp_path / "fetchmailrc"
    rc.write_text(f"poll imap.example.com protocol imap {setting} user alice@example.com there ssl\n")
    code, out, err = run(capsys, "import", "--from", "fetchmail", str(rc))
    assert (code, err) == (0, "")
    assert f"      host: imap.example.com\n      port: {port}\n      security: tls\n" in out
    assert (
        socket.getaddrinfo("127.0.0.1", setting.split(" ", 1)[1].strip('"'), type=socket.SOCK_STREAM)[0][4][1] == port
    )


@pytest.mark.parametrize("service", ['"4294967439"', '"2147483791"', '"18446744073709551759"'])
def test_a_quoted_fetchmail_service_past_65535_is_no_port_though_a_number_is_cut(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, service: str
) -> None:
    """fetchmail is not run here (see above): the oracle is its source. Quoted, the number is rcfile_y.y's SERVICE
    STRING, kept as written, not the NUMBER the lexer cuts with atoi(); servport.c's strtoul reads 4294967439 whole,
    past 65535, and fetchmail stops at start (one past an unsigned long, ERANGE, it looks up as a name: none)."""
    # the import read '"4294967439"' as the unquoted NUMBER, cut to 143, and imported port 143
    rc = tmp_path / "fetchmailrc"
    rc.write_text(
        f"poll imap.example.com protocol imap service {service} user alice@example.com there ssl\n"
        "poll imap.example.org protocol imap user alice@example.org there ssl\n"
    )
    code, out, err = run(capsys, "import", "--from", "fetchmail", str(rc))
    assert (code, err) == (
        1,
        f'mailconf: warning: {rc}:1:37: poll imap.example.com: service "{service.strip(chr(34))}" is no port number '
        "(fetchmail takes 1 to 65535): fetchmail stops at start ('configuration invalid, specify positive port number "
        "for service or port') and polls nothing; not imported: write the port number, such as service 993 "
        "(fetchmail's for IMAP with ssl)\n",
    )
    assert "imap.example.com" not in out
    assert "host: imap.example.org\n" in out


def test_a_fetchmail_service_with_a_blank_after_its_number_is_left_out(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """fetchmail is not run here (see above): servport.c takes white space after the number (POSIX_space), so
    fetchmail starts; but it connects with getaddrinfo(host, "993 "), which glibc reads as a service name, none:
    socket.getaddrinfo, the same call, says so here, and each poll fails."""
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo("127.0.0.1", "993 ", socket.AF_UNSPEC, socket.SOCK_STREAM)
    rc = tmp_path / "fetchmailrc"
    rc.write_text(
        'poll imap.example.com protocol imap service "993 " user alice@example.com there ssl\n'
        "poll imap.example.org protocol imap user alice@example.org there ssl\n"
    )
    code, out, err = run(capsys, "import", "--from", "fetchmail", str(rc))
    assert (code, err) == (
        1,
        f'mailconf: warning: {rc}:1:37: poll imap.example.com: service "993 ": fetchmail starts with it (servport() '
        "reads the number), but each poll fails: it connects with getaddrinfo, which takes no blank after the number; "
        "not imported: write service 993\n",
    )
    assert "imap.example.com" not in out
    assert "host: imap.example.org\n" in out


def test_each_user_of_a_fetchmail_poll_entry_is_an_account(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # a poll entry fetches each user's mailbox: the server options are shared and each user has its own user options
    # (ssl, sslproto, keep ...: rcfile_y.y resets them for each user). The importer merged the users into one
    # account, the last user's name with the options of all: alice's mailbox was lost with no warning of its own
    import re
    import subprocess

    need("fetchmail")
    rc = tmp_path / "fetchmailrc"
    rc.write_text(
        "poll pop.example.com proto pop3 timeout 30 auth password\n"
        '  user "alice@example.com" there ssl keep\n'
        '  user "bob@example.com" there sslproto "TLS1.2+"\n'
    )
    rc.chmod(0o600)
    dump = subprocess.run(["fetchmail", "-f", str(rc), "--configdump"], capture_output=True, text=True, timeout=60,
                          env=os.environ | {"HOME": str(tmp_path)}, check=False).stdout  # fmt: skip
    users = re.findall(r'"remote":"([^"]*)".*?\'keep\':(\w+).*?\'ssl\':(\w+).*?"sslproto":("[^"]*"|None)', dump, re.S)
    assert users == [("alice@example.com", "TRUE", "TRUE", "None"), ("bob@example.com", "FALSE", "FALSE", '"TLS1.2+"')]
    assert "'timeout':30" in dump
    code, out, err = run(capsys, "import", "--from", "fetchmail", str(rc))
    assert (code, err) == (
        1,
        f'mailconf: warning: {rc}:3:3: account "pop.example.com" is imported as "pop.example.com-2" (another '
        "account has that name)\n",
    )
    assert out == (
        f"# imported by `mailconf import --from fetchmail` from {rc}\n"
        "# the comments below say what the files hold that this file does not\n"
        "version: 1\n"
        "accounts:\n"
        "  pop.example.com:\n"
        "    address: alice@example.com\n"
        "    incoming:\n"
        "      protocol: pop3\n"
        "      host: pop.example.com\n"
        "      port: 995\n"
        "      security: tls\n"
        "      auth: password\n"
        "      username: alice@example.com\n"
        "      timeout: 30\n"
        "      leave_on_server: true\n"
        "  pop.example.com-2:\n"
        "    address: bob@example.com\n"
        "    incoming:\n"
        "      protocol: pop3\n"
        "      host: pop.example.com\n"
        "      port: 110\n"
        "      security: starttls\n"
        "      auth: password\n"
        "      username: bob@example.com\n"
        "      tls:\n"
        '        min_version: "1.2"\n'
        "      timeout: 30\n"
    )


@pytest.mark.parametrize("fmt", ["mutt", "neomutt"])
def test_an_imap_spool_file_is_the_incoming_server(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str
) -> None:
    # the spool file is the mailbox the client reads mail from: with a local folder and spoolfile = imaps://...,
    # the incoming server was dropped without a word (exit 0)
    rc = tmp_path / "work.muttrc"
    head = "set from = a@example.com ssl_force_tls smtp_url = smtps://a@smtp.example.com/\n"
    rc.write_text(head + "set folder = ~/Mail spoolfile = imaps://a@imap.example.com/INBOX\n")
    code, out, err = run(capsys, "import", "--from", fmt, str(rc))
    assert (code, err) == (0, "")
    assert out == (
        f"# imported by `mailconf import --from {fmt}` from {rc}\n"
        "version: 1\n"
        "accounts:\n"
        "  work:\n"
        "    address: a@example.com\n"
        "    incoming:\n"
        "      protocol: imap\n"
        "      host: imap.example.com\n"
        "      port: 993\n"
        "      security: tls\n"
        "      username: a\n"
        "      auth: password\n"
        "    outgoing:\n"
        "      host: smtp.example.com\n"
        "      port: 465\n"
        "      security: tls\n"
        "      username: a\n"
        "      auth: password\n"
    )
    rc.write_text(head + "set folder = imaps://a@IMAP.example.com/ spoolfile = imaps://a@imap.example.com:993/INBOX\n")
    same, _, err = run(capsys, "import", "--from", fmt, str(rc))
    assert (same, err) == (0, "")  # the folder's server: one server, nothing to say
    rc.write_text(head + "set folder = imaps://a@imap.example.com/ spoolfile = imaps://a@other.example.com/INBOX\n")
    code, out, err = run(capsys, "import", "--from", fmt, str(rc))
    assert (code, err) == (
        1,
        f"mailconf: warning: {rc}:2:42: spoolfile: a second incoming server; only the first is imported\n",
    )


def test_mutt_runs_no_backtick_and_follows_source_only_when_asked(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # where mutt, started here, finds creds.muttrc
    pwn = tmp_path / "PWN"
    (tmp_path / "creds.muttrc").write_text(f'set imap_user = "`touch {pwn}`"\nset imap_pass = "`pass show x`"\n')
    main_rc = tmp_path / "work.muttrc"
    main_rc.write_text(
        "set from = 'alice@example.com'\n"
        "set folder = 'imaps://imap.example.com:993/'\n"
        f'source "touch {pwn}|"\n'
        "source creds.muttrc\n"
        "set ssl_force_tls = yes\n"
        "bind index g noop\n"
    )
    code, out, err = run(capsys, "import", "--from", "mutt", str(main_rc))
    assert code == 1
    assert err.splitlines() == [
        f"mailconf: warning: {main_rc}:3:1: source of a command's output: not run, not imported",
        f"mailconf: warning: {main_rc}:4:1: source creds.muttrc: not followed (use --follow-source to read it)",
        f"mailconf: warning: {main_rc}:6:1: 1 command that is not an account setting (bind) is not imported",
    ]
    code, out, err = run(capsys, "import", "--from", "mutt", "--follow-source", str(main_rc))
    assert "password_command: pass show x\n" in out
    assert f"{tmp_path}/creds.muttrc:1: imap_user runs a command (backticks): not run, not imported" in out
    assert not pwn.exists()


@pytest.mark.parametrize("fmt", ["mutt", "neomutt"])
def test_mutt_a_value_from_a_command_or_a_variable_is_not_imported_as_its_text(tmp_path: Path, fmt: str) -> None:
    # the client takes these values from a command's output or a variable: the import said "not imported" and
    # imported the text (`id -un` as the user name, $my_name as the display name), and read ssl_starttls `echo yes`
    # as no: an account with ssl_force_tls = yes became security: none
    rc = tmp_path / "work.muttrc"
    rc.write_text(
        "set my_name = 'Alice'\n"
        "set from = alice@example.com\n"
        "set realname = $my_name\n"
        "set folder = 'imap://imap.example.com/'\n"
        'set imap_user = "`id -un`"\n'
        "set ssl_starttls = `echo yes`\n"
        "set ssl_force_tls = yes\n"
        "set smtp_url = smtps://${hostname}@smtp.example.com/\n"  # the client's own, which the import does not hold
        "set realname = 'Cost $5'\n"  # $5 is no variable: the client keeps it as it is
    )
    result = import_paths(fmt, [str(rc)], ReadOptions())
    assert result.accounts == {
        "work": {
            "address": "alice@example.com",
            "display_name": "Cost $5",
            "incoming": {"protocol": "imap", "host": "imap.example.com", "port": 143, "security": "starttls",
                         "auth": "password"},
        }
    }  # fmt: skip
    assert result.warnings == (
        f"{rc}:5:5: imap_user runs a command (backticks): not run, not imported",
        f"{rc}:6:5: ssl_starttls runs a command (backticks): not run, not imported",
        f"{rc}:8:5: smtp_url names a variable ($...), which the client expands: not expanded, not imported",
    )


@pytest.mark.parametrize("fmt", ["mutt", "neomutt"])
def test_mutt_a_token_command_in_backticks_is_its_output_and_not_imported(tmp_path: Path, fmt: str) -> None:
    # imported as written, token_command: "`echo oama access a`"; the client runs the backticks as it reads the file
    # and keeps their output as the command it runs for a token
    need(fmt)
    rc = tmp_path / "work.muttrc"
    rc.write_text(
        "set from = a@example.com folder = imaps://a@imap.example.com/ imap_authenticators = oauthbearer\n"
        'set imap_oauth_refresh_command = "`echo oama access a`"\n'
        "set smtp_url = smtps://a@smtp.example.com/ smtp_oauth_refresh_command = 'oama access a'\n"
    )
    real = Client(fmt, tmp_path).query(rc, ["imap_oauth_refresh_command", "smtp_oauth_refresh_command"])
    assert real == {"imap_oauth_refresh_command": "oama access a", "smtp_oauth_refresh_command": "oama access a"}
    result = import_paths(fmt, [str(rc)], ReadOptions())
    assert result.accounts["work"]["incoming"] == {
        "protocol": "imap", "host": "imap.example.com", "port": 993, "security": "tls", "username": "a",
        "auth": "oauth2", "mechanisms": ["oauthbearer"],
    }  # fmt: skip
    assert result.accounts["work"]["outgoing"]["token_command"] == "oama access a"
    assert result.warnings == (
        f"{rc}:2:5: imap_oauth_refresh_command runs a command (backticks): not run, not imported",
    )


def test_mutt_a_server_only_a_command_names_stops_the_import(tmp_path: Path) -> None:
    # it imported the host with the user name "`whoami`"; without it, "no mutt account found; check that the file
    # is mutt configuration" would mislead
    rc = tmp_path / "work.muttrc"
    rc.write_text('set from = alice@example.com\nset folder = "imaps://`whoami`@imap.example.com/"\n')
    with pytest.raises(Unreadable) as refused:
        import_paths("mutt", [str(rc)], ReadOptions())
    assert str(refused.value) == (
        f"{rc}:2:5: folder runs a command (backticks): not run, so the server it names is not known here, and the "
        "file names no other; write the URL itself, as imaps://USER@HOST/ (a password command goes in imap_pass)"
    )


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
def test_a_source_path_ends_at_a_nul_as_the_client_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, binary: str
) -> None:
    # "a\000b" (an octal escape) is a NUL in the path: os.path.realpath raised ValueError, exit 3. The client's
    # path is a C string, which ends there: it sources the file a
    need(binary)
    monkeypatch.chdir(tmp_path)  # where mutt, started here, finds a
    (tmp_path / "a").write_text("set realname = 'From A'\n")
    rc = tmp_path / "work.muttrc"
    rc.write_text("set from = 'a@example.com'\nset folder = 'imaps://imap.example.com/'\nsource \"a\\000b\"\n")
    name = DIALECTS[binary].real_name_variable
    assert Client(binary, tmp_path).query(rc, [name]) == {name: "From A"}
    result = import_paths(binary, [str(rc)], ReadOptions(follow_source=True))
    assert result.accounts["work"]["display_name"] == "From A"


def test_a_source_line_naming_several_files_is_read_as_each_client_reads_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # neomutt sources every file a source command names (parse_source loops while MoreArgs): only the first was
    # read, and the outgoing server of the second was lost with exit 0, as if nothing had been left out. mutt
    # refuses the line ("source: too many arguments") and reads none of them: it is reported, and nothing read
    need("mutt", "neomutt")
    (tmp_path / "name.rc").write_text("set realname = 'First'\nset realname = 'Named'\n")
    (tmp_path / "out.rc").write_text("set smtp_url = 'smtps://a@smtp.example.com/'\n")
    rc = tmp_path / "work.muttrc"
    rc.write_text(
        "set from = 'a@example.com' realname = Main\nset folder = 'imaps://imap.example.com/'\nsource name.rc out.rc\n"
    )
    (tmp_path / "home").mkdir()
    real = {}
    for binary in ("mutt", "neomutt"):  # what each client reads from this file
        proc = Client(binary, tmp_path / "home").run(rc, "-Q", "smtp_url", "-Q", DIALECTS[binary].real_name_variable)
        real[binary] = parse(binary, proc.stdout.decode())
    assert real == {
        "mutt": {"smtp_url": "", "realname": "Main"},
        "neomutt": {"smtp_url": "smtps://a@smtp.example.com/", "real_name": "Named"},
    }
    head = "version: 1\naccounts:\n  work:\n    address: a@example.com\n"
    incoming = (
        "    incoming:\n      protocol: imap\n      host: imap.example.com\n      port: 993\n      security: tls\n"
        "      auth: password\n"
    )
    code, out, err = run(capsys, "import", "--from", "neomutt", "--follow-source", str(rc))
    assert (code, err) == (0, "")
    assert out == (
        f"# imported by `mailconf import --from neomutt` from {rc}\n{head}    display_name: Named\n{incoming}"
        "    outgoing:\n      host: smtp.example.com\n      port: 465\n      security: tls\n      username: a\n"
        "      auth: password\n"
    )
    code, out, err = run(capsys, "import", "--from", "neomutt", str(rc))  # not followed: each file is said
    assert (code, err) == (
        1,
        f"mailconf: warning: {rc}:3:1: source name.rc: not followed (use --follow-source to read it)\n"
        f"mailconf: warning: {rc}:3:1: source out.rc: not followed (use --follow-source to read it)\n",
    )
    for follow in (["--follow-source"], []):
        code, out, err = run(capsys, "import", "--from", "mutt", *follow, str(rc))
        assert (code, err) == (
            1,
            f"mailconf: warning: {rc}:3:1: source names 2 files: mutt reads none of them (source: too many "
            f"arguments: {READS_ON[1:-1]}); write one source line per file\n",
        )
        assert out == (
            f"# imported by `mailconf import --from mutt` from {rc}\n"
            f"# the comments below say what the files hold that this file does not\n{head}    display_name: Main\n"
            f"{incoming}"
        )


def test_a_file_sourced_twice_is_read_twice_as_the_clients_read_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the clients refuse a file only while it is being read (a loop: their MuttrcStack); a file sourced again
    # from the same file, or from two files, is read again. The importer refused every file it had read once,
    # called it "a loop", and imported a value the client had replaced (realname Main where they read FromD)
    need("mutt", "neomutt")
    monkeypatch.chdir(tmp_path)  # where mutt, started here, finds d.rc
    (tmp_path / "d.rc").write_text("set realname = 'FromD'\n")
    rc = tmp_path / "work.muttrc"
    rc.write_text(
        "set from = 'a@example.com'\nset folder = 'imaps://imap.example.com/'\n"
        "source d.rc\nset realname = 'Main'\nsource d.rc\n"
    )
    for binary in ("mutt", "neomutt"):
        name = DIALECTS[binary].real_name_variable
        assert Client(binary, tmp_path).query(rc, [name]) == {name: "FromD"}  # run in tmp_path, as mutt needs
        code, out, err = run(capsys, "import", "--from", binary, "--follow-source", str(rc))
        assert (code, err) == ((1, RELATIVE.format(rc, 3, "d.rc", tmp_path)) if binary == "mutt" else (0, ""))
        assert "    display_name: FromD\n" in out
    (tmp_path / "a.rc").write_text("source b.rc\n")  # a loop: a.rc is being read when b.rc sources it
    (tmp_path / "b.rc").write_text("set realname = 'FromB'\nsource a.rc\n")
    rc.write_text("set from = 'a@example.com'\nset folder = 'imaps://imap.example.com/'\nsource a.rc\n")
    code, out, err = run(capsys, "import", "--from", "mutt", "--follow-source", str(rc))
    assert (code, err) == (
        1,
        RELATIVE.format(rc, 3, "a.rc", tmp_path) + f"mailconf: warning: {tmp_path}/b.rc:2:1: source a.rc: a loop (it "
        f"is being read, and sources this file): not read again {READS_ON}; remove one of the two source commands\n",
    )
    assert "    display_name: FromB\n" in out


def test_a_relative_source_is_read_from_where_each_client_reads_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # mutt opens a relative source path as it is, from the folder it is started in (source_rc), at every depth;
    # neomutt reads it beside the file that names it. Both were read beside the file: a mutt import took a value
    # from a file mutt never reads (sub/b.rc) and missed the one it does (./b.rc), without a word
    need("mutt", "neomutt")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.rc").write_text("source b.rc\n")
    (tmp_path / "sub" / "b.rc").write_text("set realname = 'Beside'\n")
    (tmp_path / "b.rc").write_text("set realname = 'Started'\n")
    rc = tmp_path / "work.muttrc"
    rc.write_text("set from = 'a@example.com'\nset folder = 'imaps://imap.example.com/'\nsource sub/a.rc\n")
    monkeypatch.chdir(tmp_path)  # mutt and the import both started here, as Client runs the client
    real = {binary: Client(binary, tmp_path).query(rc, [DIALECTS[binary].real_name_variable]) for binary in DIALECTS}
    assert real == {"mutt": {"realname": "Started"}, "neomutt": {"real_name": "Beside"}}
    code, out, err = run(capsys, "import", "--from", "mutt", "--follow-source", str(rc))
    assert (code, err) == (1, RELATIVE.format(rc, 3, "sub/a.rc", tmp_path))
    assert "    display_name: Started\n" in out
    code, out, err = run(capsys, "import", "--from", "neomutt", "--follow-source", str(rc))
    assert (code, err) == (0, "")
    assert "    display_name: Beside\n" in out
    elsewhere = tmp_path / "sub"  # started elsewhere, mutt finds no sub/a.rc: neither does the import, and says where
    monkeypatch.chdir(elsewhere)
    code, out, err = run(capsys, "import", "--from", "mutt", "--follow-source", str(rc))
    assert (code, err) == (
        1,
        RELATIVE.format(rc, 3, "sub/a.rc", elsewhere) + f"mailconf: warning: {rc}:3:1: source sub/a.rc "
        f"({elsewhere}/sub/a.rc): no such file: not read (mutt reports the error and reads on from the next line); "
        "check the path\n",
    )
    assert "display_name" not in out


def test_unset_and_reset_text_variables_are_empty_as_the_clients_read_them(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # unset of a text variable empties it, set &name resets it, set ?name only asks; set noNAME empties it in mutt
    # and changes nothing in neomutt (a warning). The importer read `unset from` as the address "no" (the account
    # was left out as invalid), `set noimap_user` as the user "no", and kept the user `set &imap_user` had reset
    need("mutt", "neomutt")
    rc = tmp_path / "work.muttrc"
    names = ("from", "imap_user", "smtp_url", "pop_delete")
    for binary in ("mutt", "neomutt"):
        rc.write_text(
            "set from = a@example.com folder = imaps://imap.example.com/ ssl_force_tls smtp_url = smtps://b@h/\n"
            "set imap_user = alice pop_delete = yes\nunset from\nset noimap_user\nset ?smtp_url\n"
            f"set {DIALECTS[binary].real_name_variable} = Named\nunset pop_delete\n"
        )
        user = "" if binary == "mutt" else "alice"
        assert Client(binary, tmp_path, tolerated=".*").query(rc, names) == {
            "from": "", "imap_user": user, "smtp_url": "smtps://b@h/", "pop_delete": "no",
        }  # fmt: skip
        code, out, err = run(capsys, "import", "--from", binary, str(rc))
        guess = f"mailconf: warning: {rc}:1:26: the file sets no from address: this address is a guess, check it\n"
        refused = (
            f"mailconf: warning: {rc}:4:5: set noimap_user: neomutt takes no 'no' before a text variable and changes "
            "nothing (a warning of its own); to empty it, write unset imap_user\n"
        )
        assert (code, err) == (1, guess if binary == "mutt" else refused + guess)
        address = "alice@imap.example.com" if binary == "neomutt" else "user@imap.example.com"
        assert out == (
            f"# imported by `mailconf import --from {binary}` from {rc}\n"
            "# the comments below say what the files hold that this file does not\n"
            "version: 1\n"
            "accounts:\n"
            "  work:\n"
            f"    address: {address}  # {rc}:1: the file sets no from address: this address is a guess, check it\n"
            "    display_name: Named\n"
            "    incoming:\n"
            "      protocol: imap\n"
            "      host: imap.example.com\n"
            "      port: 993\n"
            "      security: tls\n"
            + ("      username: alice\n" if binary == "neomutt" else "")
            + "      auth: password\n"
            "    outgoing:\n"
            "      host: h\n"
            "      port: 465\n"
            "      security: tls\n"
            "      username: b\n"
            "      auth: password\n"
        )
        rc.write_text(
            "set from = a@example.com folder = imaps://imap.example.com/\nset imap_user = alice\nset &imap_user\n"
        )
        assert Client(binary, tmp_path).query(rc, ["imap_user"]) == {"imap_user": ""}
        code, out, err = run(capsys, "import", "--from", binary, str(rc))
        assert "username" not in out


def test_my_hdr_from_is_the_address_the_clients_send_and_other_headers_are_said(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # my_hdr From: replaces $from and $realname in every message the clients send; the importer kept from's
    # address and name (exit 0), and dropped every header but Organization (Reply-To here) without a word
    need("mutt", "neomutt")
    rc = tmp_path / "work.muttrc"
    for binary in ("mutt", "neomutt"):
        rc.write_text(
            f"set from = a@example.com {DIALECTS[binary].real_name_variable} = A\n"
            "set folder = imaps://imap.example.com/ ssl_force_tls\n"
            "my_hdr From: Bob <bob@example.com>\nmy_hdr Reply-To: r@example.com\nmy_hdr X-Gone: 1\n"
            "my_hdr Organization: Org\nunmy_hdr x-gone\n"
        )
        sent = Client(binary, tmp_path).sent_headers(rc, tmp_path / "sent.eml")
        assert (sent["From"], sent["Reply-To"], sent["Organization"], sent["X-Gone"]) == (
            "Bob <bob@example.com>", "r@example.com", "Org", None,
        )  # fmt: skip
        code, out, err = run(capsys, "import", "--from", binary, str(rc))
        said = "my_hdr Reply-To: a header of every message, which an account file does not hold"
        assert (code, err) == (1, f"mailconf: warning: {rc}:4:1: {said}\n")
        assert out == (
            f"# imported by `mailconf import --from {binary}` from {rc}\n"
            "# the comments below say what the files hold that this file does not\n"
            "version: 1\n"
            "accounts:\n"
            f"  work:  # {rc}:4: {said}\n"
            "    address: bob@example.com\n"
            "    display_name: Bob\n"
            "    organization: Org\n"
            "    incoming:\n"
            "      protocol: imap\n"
            "      host: imap.example.com\n"
            "      port: 993\n"
            "      security: tls\n"
            "      auth: password\n"
        )


def test_files_sourced_many_times_are_read_at_most_1000_times_in_all(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    # read again wherever sourced, as the clients do: 12 files that each source the next twice are 8,190 reads, and
    # 64 such files would be 2**65 (never finished); the reads stop at 1,000, said once, and the rest is imported
    for n in range(12):
        (tmp_path / f"f{n}").write_text(f"source f{n + 1}\nsource f{n + 1}\n")
    (tmp_path / "f12").write_text("")
    rc = tmp_path / "work.muttrc"
    rc.write_text(
        "set from = 'a@example.com'\nset folder = 'imaps://imap.example.com/'\nsource f0\nset realname = Last\n"
    )
    code, out, err = run(capsys, "import", "--from", "mutt", "--follow-source", str(rc))
    assert (code, err) == (
        1,
        RELATIVE.format(rc, 3, "f0", tmp_path)
        + f"mailconf: warning: {tmp_path}/f11:2:1: source f12: not read, nor any source after it: the source "
        "commands have read 1000 files (10934 characters), the most that is read (1000 files or 64 MiB)\n",
    )
    assert "    display_name: Last\n" in out


def test_a_source_chain_deeper_than_64_files_is_cut_with_a_warning(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for n in range(1000):  # each file sources the next: followed without a limit, the stack overflowed (exit 3)
        (tmp_path / f"f{n}").write_text(f"source f{n + 1}\n")
    (tmp_path / "f0").write_text("source f1\nset from = 'a@example.com'\nset folder = 'imaps://imap.example.com/'\n")
    code, out, err = run(capsys, "import", "--from", "mutt", "--follow-source", str(tmp_path / "f0"))
    assert (code, err) == (
        1,
        RELATIVE.format(tmp_path / "f0", 1, "f1", tmp_path)
        + f"mailconf: warning: {tmp_path}/f64:1:1: source f65: more than 64 files sourced in a chain; not read\n",
    )
    assert "host: imap.example.com\n" in out


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("absent.rc", "source absent.rc ({}/absent.rc): no such file: not read (mutt reports the error and reads on "
         "from the next line); check the path"),
        ("sub", "source sub ({}/sub): is a directory: not read (mutt reports the error and reads on from the next "
         "line); name a mutt configuration file"),
    ],
)  # fmt: skip
def test_a_sourced_file_that_cannot_be_opened_is_named_at_its_source_command(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, target: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # mutt reads a relative path from the folder it is started in: said with the path
    # the error named only the sourced file ("mailconf: /home/a/absent.rc:1:1: no such file"), not the file and
    # line that source it: the user looked for a file they never named
    (tmp_path / "sub").mkdir()
    rc = tmp_path / "work.muttrc"
    rc.write_text(f"set from = 'a@example.com'\n  source {target}\nset folder = 'imaps://imap.example.com/'\n")
    code, out, err = run(capsys, "import", "--from", "mutt", "--follow-source", str(rc))
    relative = RELATIVE.format(rc, 2, target, tmp_path).replace(":2:1:", ":2:3:")
    assert (code, err) == (1, f"{relative}mailconf: warning: {rc}:2:3: {message.format(tmp_path)}\n")
    assert "    host: imap.example.com\n" in out


def _query_despite_errors(client: Client, rc: Path, names: list[str]) -> dict[str, str]:
    """The variables as the client reads them from a file it reports errors in (Client.query refuses those)."""
    done = client.run(rc, *[a for n in names for a in ("-Q", n)])
    assert done.returncode == 0 and b"Error in" in done.stderr, done.stderr
    return parse(client.binary, done.stdout.decode("utf-8"))


@pytest.mark.parametrize("fmt", ["mutt", "neomutt"])
def test_a_source_of_a_missing_file_is_reported_and_the_rest_read_as_the_client_reads_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str
) -> None:
    # a source of a file that does not exist stopped the whole import (exit 2); mutt and neomutt report it and go
    # on with the next line: the rest of that line is skipped, and so is the rest of the line that sources a file
    # in which a source failed (source: errors in FILE). Each client reads the same files first
    need(fmt)
    absent = tmp_path / "absent.rc"
    inner = tmp_path / "inner.rc"
    inner.write_text(f"source {absent}\nset imap_user = inner\n")
    rc = tmp_path / "work.muttrc"
    rc.write_text(
        "set from = 'a@example.com' folder = 'imaps://imap.example.com/'\n"
        f"set imap_user = before\nsource {absent}; set imap_user = same-line\nset realname = 'After'\n"
        f"source {inner}; set realname = 'Same Line'\n"
    )
    real = _query_despite_errors(Client(fmt, tmp_path), rc, ["imap_user", DIALECTS[fmt].real_name_variable])
    assert real == {"imap_user": "inner", DIALECTS[fmt].real_name_variable: "After"}
    code, out, err = run(capsys, "import", "--from", fmt, "--follow-source", str(rc))
    reads_on = READS_ON.replace("mutt", fmt)
    assert (code, err) == (
        1,
        f"mailconf: warning: {rc}:3:1: source {absent}: no such file: not read {reads_on}; check the path\n"
        f"mailconf: warning: {inner}:1:1: source {absent}: no such file: not read {reads_on}; check the path\n",
    )
    assert "    username: inner\n" in out
    assert "  display_name: After\n" in out
    assert "absent" not in out


def test_neomutt_reads_no_file_of_a_source_line_after_one_it_cannot_open(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    need("neomutt")
    absent, named = tmp_path / "absent.rc", tmp_path / "named.rc"
    named.write_text("set realname = 'Named'\n")
    rc = tmp_path / "work.neomuttrc"
    rc.write_text("set from = 'a@example.com' folder = 'imaps://imap.example.com/'\n")
    unset = Client("neomutt", tmp_path).query(rc, ["real_name"])  # its default (the user's name in /etc/passwd)
    rc.write_text(f"set from = 'a@example.com' folder = 'imaps://imap.example.com/'\nsource {absent} {named}\n")
    assert _query_despite_errors(Client("neomutt", tmp_path), rc, ["real_name"]) == unset != {"real_name": "Named"}
    code, out, err = run(capsys, "import", "--from", "neomutt", "--follow-source", str(rc))
    assert (code, err) == (
        1,
        f"mailconf: warning: {rc}:2:1: source {absent}: no such file: not read "
        f"{READS_ON.replace('mutt', 'neomutt')}; check the path\n",
    )
    assert "display_name" not in out


#: the start of a muttrc whose account the tests below read: the rest is theirs
ACCOUNT = "set from = 'a@example.com' folder = 'imaps://imap.example.com/'\nset imap_user = before\n"


def _fails_the_line_as_the_client(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    fmt: str,
    sourced: Path,
    *,
    read: tuple[str, str],
    warning: str,
    after: str = "",
) -> None:
    """``ACCOUNT`` then ``source SOURCED; set imap_user = parent-sameline`` (then ``after``): the client reads
    (imap_user, real name) as ``read``, and the import reads the same, with the one ``warning`` line, exit 1."""
    rc = tmp_path / "work.muttrc"
    rc.write_text(f"{ACCOUNT}source {sourced}; set imap_user = parent-sameline\n{after}")
    name = DIALECTS[fmt].real_name_variable
    user, real_name = read
    assert _query_despite_errors(Client(fmt, tmp_path), rc, ["imap_user", name]) == {"imap_user": user, name: real_name}
    code, out, err = run(capsys, "import", "--from", fmt, "--follow-source", str(rc))
    assert (code, err) == (1, f"mailconf: warning: {warning}\n")
    assert f"  display_name: {real_name}\n" in out
    assert f"      username: {user}\n" in out


@pytest.mark.parametrize("fmt", ["mutt", "neomutt"])
def test_a_sourced_loop_fails_that_source_as_the_client_fails_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str
) -> None:
    # neomutt refuses a cyclic source, and mutt sources the file again until it runs out of open files: either way the
    # source fails, the rest of its line is skipped, and so is the rest of the line that sources the file. The import
    # said "a loop" and read on along both lines: realname SameLine, imap_user parent-sameline
    need(fmt)
    loop = tmp_path / "loop.rc"
    loop.write_text(f"set realname = 'Loop'\nsource {loop}; set realname = 'SameLine'\n")
    warning = (
        f"{loop}:2:1: source {loop}: a loop (it is being read, and sources this file): not read again "
        f"{READS_ON.replace('mutt', fmt)}; remove one of the two source commands"
    )
    _fails_the_line_as_the_client(capsys, tmp_path, fmt, loop, read=("before", "Loop"), warning=warning)


def test_a_mutt_source_naming_several_files_fails_as_mutt_fails_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # mutt refuses `source a b` (too many arguments): the rest of the line is skipped, and so is the rest of the line
    # that sources the file. The import said it and read on along both lines
    need("mutt")
    (tmp_path / "a.rc").write_text("set realname = 'A'\n")
    inner = tmp_path / "inner.rc"
    inner.write_text(f"set realname = 'Inner'\nsource {tmp_path}/a.rc {tmp_path}/a.rc; set realname = 'SameLine'\n")
    warning = (
        f"{inner}:2:1: source names 2 files: mutt reads none of them (source: too many arguments: "
        f"{READS_ON[1:-1]}); write one source line per file"
    )
    _fails_the_line_as_the_client(capsys, tmp_path, "mutt", inner, read=("before", "Inner"), warning=warning)


@pytest.mark.parametrize("fmt", ["mutt", "neomutt"])
def test_an_unknown_variable_skips_the_rest_of_the_line_as_the_client_does(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str
) -> None:
    # the clients stop a set command at a variable they do not know: what follows on the line is not set, and the
    # source of the file fails (the rest of that line is skipped too). The import set every name it was given. `set
    # noNAME` names NAME (mutt takes the prefix off first): "suchvar: unknown variable"
    need(fmt)
    inner = tmp_path / "inner.rc"
    inner.write_text(
        "set realname = 'Inner'\nset imap_user = inner nosuchvar realname = 'SameSet'; set realname = 'SameLine'\n"
    )
    warning = (
        f"{inner}:2:23: set suchvar: unknown variable: not imported, nor the rest of this line "
        f"{READS_ON.replace('mutt', fmt)}; check the name"
    )
    # a my_ variable is the user's own: unsetting one is no unknown variable
    _fails_the_line_as_the_client(
        capsys, tmp_path, fmt, inner, read=("inner", "Inner"), warning=warning, after="unset my_own\n"
    )


def test_a_sourced_fifo_stops_the_import_at_its_source_command(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    os.mkfifo(tmp_path / "fifo")  # mutt would wait for a writer: no file to read, nor to go on without
    rc = tmp_path / "work.muttrc"
    rc.write_text("set from = 'a@example.com'\n  source fifo\n")
    code, out, err = run(capsys, "import", "--from", "mutt", "--follow-source", str(rc))
    assert (code, out, err) == (
        2,
        "",
        f"mailconf: {rc}:2:3: source fifo ({tmp_path}/fifo): not a regular file; name a mutt configuration file\n",
    )
    (tmp_path / "latin1.rc").write_bytes(b"set realname = '\xe9'\n")  # inside the file: located there, as before
    rc.write_text("source latin1.rc\n")
    code, out, err = run(capsys, "import", "--from", "mutt", "--follow-source", str(rc))
    assert (code, out, err) == (2, "", f"mailconf: {tmp_path}/latin1.rc:1:17: not UTF-8 text; save the file as UTF-8\n")


def test_no_account_found_comes_after_the_warnings_that_say_why(capsys: pytest.CaptureFixture[str],
                                                               tmp_path: Path) -> None:  # fmt: skip
    # "no msmtp account found; check that the file is msmtp configuration" alone, for a file of msmtp accounts
    rc = tmp_path / "msmtprc"
    rc.write_text("account a\nfrom a@example.org\n")
    yaml = tmp_path / "accounts.yaml"
    yaml.write_text("version: 1\naccounts:\n  a:\n    address: a@example.org\n    outgoing: {host: smtp.example.org, "
                    "security: tls, password_command: pass a}\n")  # fmt: skip
    for compare in ((), ("--compare", str(yaml))):
        code, out, err = run(capsys, "import", "--from", "msmtp", str(rc), *compare)
        assert (code, out, err) == (2, "", (
            f"mailconf: warning: {rc}:1:1: account a: names no host; not imported\n"
            f"mailconf: {rc}:1:1: no msmtp account found (the warnings above say what was left out); check that the "
            "file is msmtp configuration, or choose another --from\n"
        ))  # fmt: skip
    rc.write_text("# nothing\n")
    code, out, err = run(capsys, "import", "--from", "msmtp", str(rc))
    assert (code, out, err) == (2, "", (
        f"mailconf: {rc}:1:1: no msmtp account found; check that the file is msmtp configuration, or choose another "
        "--from\n"
    ))  # fmt: skip


def test_an_account_that_cannot_be_valid_is_left_out_with_its_reason(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rc = tmp_path / "msmtprc"
    rc.write_text("account a\nhost smtp.example.com\ntimeout 99999\nfrom a@example.com\n\n"
                  "account b\nhost smtp.example.com\nport 587\ntls on\nfrom b@example.com\n")  # fmt: skip
    code, out, err = run(capsys, "import", "--from", "msmtp", str(rc))
    assert code == 1
    assert "\n  b:\n" in out and "\n  a:\n" not in out
    assert err == f"mailconf: warning: {rc}:1:1: account a: not imported, it cannot be valid: {TIMEOUT_99999}\n"
    rc.write_text("account a\nhost smtp.example.com\ntimeout 99999\nfrom a@example.com\n")
    target = tmp_path / "out.yaml"
    code, out, err = run(capsys, "import", "--from", "msmtp", str(rc), "-o", str(target))
    assert (code, out) == (1, "")
    assert (
        err.splitlines()[-1] == f"mailconf: {rc}: no account could be imported (the reasons are above); nothing written"
    )
    assert not target.exists()


@pytest.mark.parametrize(("fmt", "line"), [("mutt", "set realname = ''"), ("neomutt", "set real_name = ' '")])
def test_a_blank_real_name_is_no_display_name(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str, line: str
) -> None:
    """What `mailconf render` writes for an account without display_name (so that the client does not take the
    name from /etc/passwd) comes back as no display_name, not `display_name: " "`."""
    rc = tmp_path / "work.muttrc"
    rc.write_text(f"set from = 'alice@example.com'\n{line}\nset folder = 'imaps://imap.example.com:993/'\n")
    code, out, err = run(capsys, "import", "--from", fmt, str(rc))
    assert (code, err) == (0, "")
    assert out.splitlines()[1:6] == [
        "version: 1",
        "accounts:",
        "  work:",
        "    address: alice@example.com",
        "    incoming:",
    ]


def _import_stdin(cwd: Path, data: bytes, *args: str) -> tuple[int, str, str]:
    import subprocess
    import sys

    from tests.conftest import ROOT

    done = subprocess.run([sys.executable, "-m", "mailconf", "import", *args], input=data, capture_output=True,
                          cwd=cwd, env=os.environ | {"PYTHONPATH": str(ROOT)}, timeout=60, check=False)  # fmt: skip
    return done.returncode, done.stdout.decode(), done.stderr.decode()


def test_dash_reads_standard_input_like_a_file(
    capsys: pytest.CaptureFixture[str], msmtprc: Path, tmp_path: Path
) -> None:
    code, out, err = run(capsys, "import", "--from", "msmtp", str(msmtprc))
    piped = _import_stdin(tmp_path, msmtprc.read_bytes(), "--from", "msmtp", "-")
    assert piped == (
        code,
        out.replace(f"from {msmtprc}\n", "from standard input\n").replace(f"{msmtprc}:", "-:"),
        err.replace(f"{msmtprc}:", "-:"),
    )
    assert "from standard input\n" in piped[1]
    assert SECRET not in piped[1] + piped[2]


def test_dash_twice_is_a_usage_error(tmp_path: Path) -> None:
    assert _import_stdin(tmp_path, b"", "--from", "msmtp", "-", "-") == (
        2,
        "",
        "mailconf: - (standard input) is named more than once: it can be read only once\n",
    )


def test_compare_dash_reads_the_account_file_from_standard_input(
    capsys: pytest.CaptureFixture[str], msmtprc: Path, tmp_path: Path
) -> None:
    # `--compare -` was "mailconf: -: no such file; check the path", where every other `-` is standard input
    declared = str(EXAMPLES / "company.yaml")
    code, out, err = run(capsys, "import", "--from", "msmtp", str(msmtprc), "--compare", declared)
    assert code == 1 and out
    piped = _import_stdin(tmp_path, Path(declared).read_bytes(), "--from", "msmtp", str(msmtprc), "--compare", "-")
    assert piped == (code, out, err)
    assert _import_stdin(tmp_path, b"version: 1\naccounts: [\n", "--from", "msmtp", str(msmtprc), "--compare", "-") == (
        2,
        "",
        "-:3:1: error MC001 yaml-syntax: YAML syntax error: did not find expected node content (while parsing a flow "
        "node)\nmailconf: -: has errors, so drift cannot be computed; fix them (`mailconf lint`)\n",
    )
    assert _import_stdin(tmp_path, b"", "--from", "msmtp", "-", "--compare", "-") == (
        2,
        "",
        "mailconf: - (standard input) is named more than once: it can be read only once\n",
    )


def test_empty_standard_input_holds_no_account(tmp_path: Path) -> None:
    assert _import_stdin(tmp_path, b"", "--from", "msmtp", "-") == (
        2,
        "",
        "mailconf: -:1:1: no msmtp account found; check that the file is msmtp configuration, or choose another "
        "--from\n",
    )


def test_thunderbird_prefs_on_standard_input_take_no_pin_from_the_current_folder(tmp_path: Path) -> None:
    prefs = (
        b'user_pref("mail.accountmanager.accounts", "account1");\n'
        b'user_pref("mail.account.account1.server", "server1");\n'
        b'user_pref("mail.account.account1.identities", "id1");\n'
        b'user_pref("mail.server.server1.type", "imap");\n'
        b'user_pref("mail.server.server1.hostname", "imap.example.org");\n'
        b'user_pref("mail.server.server1.port", 993);\n'
        b'user_pref("mail.server.server1.socketType", 3);\n'
        b'user_pref("mail.server.server1.userName", "alice");\n'
        b'user_pref("mail.identity.id1.useremail", "alice@example.org");\n'
    )
    (tmp_path / "cert_override.txt").write_text(
        "imap.example.org:993:\tOID.2.16.840.1.101.3.4.2.1\t" + ":".join(["AB"] * 32) + "\t\n"
    )
    code, out, err = _import_stdin(tmp_path, prefs, "--from", "thunderbird", "-")
    assert (code, err) == (0, "")
    assert "fingerprint" not in out
    assert "host: imap.example.org\n" in out


@pytest.fixture
def tb_profile(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Path:
    """A Thunderbird profile directory whose prefs.js holds alice's account (rendered)."""
    main(["render", "-t", "thunderbird", "-a", "alice", str(EXAMPLES / "company.yaml")])
    profile = tmp_path / "profile"
    profile.mkdir()
    (profile / "prefs.js").write_text(capsys.readouterr().out)
    return profile


def _make(path: Path, kind: str) -> None:
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    else:  # a link to a device
        path.symlink_to(kind)


@pytest.mark.parametrize(
    ("kind", "code", "said"),
    [
        ("/dev/null", 0, ""),  # a real setup: Thunderbird reads an empty user.js, and so does import
        ("fifo", 1, "user.js is a FIFO (named pipe), not a file: not read"),
        ("directory", 1, "user.js is a directory, not a file: not read"),
        ("/dev/zero", 1, "user.js is a character device, not a file: not read"),
    ],
)
def test_a_profile_user_js_that_is_not_a_file_is_said_unless_it_is_dev_null(
    capsys: pytest.CaptureFixture[str], tb_profile: Path, kind: str, code: int, said: str
) -> None:
    _make(tb_profile / "user.js", kind)
    got, out, err = run(capsys, "import", "--from", "thunderbird", str(tb_profile))
    assert (got, err) == (code, f"mailconf: warning: {tb_profile}/user.js:1:1: {said}\n" if said else "")
    assert "  alice:\n" in out  # prefs.js is imported all the same


def test_a_profile_cert_override_that_is_a_fifo_is_said(capsys: pytest.CaptureFixture[str], tb_profile: Path) -> None:
    os.mkfifo(tb_profile / "cert_override.txt")
    code, out, err = run(capsys, "import", "--from", "thunderbird", str(tb_profile))
    assert (code, err) == (
        1,
        f"mailconf: warning: {tb_profile}/cert_override.txt:1:1: cert_override.txt is a FIFO (named pipe), not a "
        "file: not read (no tls.fingerprint)\n",
    )
    assert "  alice:\n" in out


def test_a_profile_whose_only_prefs_js_is_a_fifo_is_refused(
    capsys: pytest.CaptureFixture[str], tb_profile: Path
) -> None:
    (tb_profile / "prefs.js").unlink()
    os.mkfifo(tb_profile / "prefs.js")
    assert run(capsys, "import", "--from", "thunderbird", str(tb_profile)) == (
        2,
        "",
        f"mailconf: {tb_profile}/prefs.js: prefs.js is a FIFO (named pipe), not a file; replace it with the file "
        "Thunderbird writes\n",
    )


@pytest.mark.parametrize("fmt", ["mutt", "neomutt"])
def test_source_expands_environment_variables_as_mutt_does(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    # mutt (parse.c mutt_extract_token) expands $NAME and ${NAME} from the environment in unquoted and
    # double-quoted words: `source $HOME/x` was "no such file" where mutt reads the file
    home = tmp_path / "home"
    (home / "mail").mkdir(parents=True)
    (home / "creds.rc").write_text("set imap_user = alice\n")
    (home / "mail" / "name.rc").write_text("set realname = 'Alice Example'\n")
    (home / "mail" / "tls.rc").write_text("set ssl_force_tls = yes\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("MAILCONF_TEST_MAIL", str(home / "mail"))
    monkeypatch.delenv("MAILCONF_TEST_UNSET", raising=False)
    rc = tmp_path / "work.muttrc"
    rc.write_text(
        "set from = 'alice@example.com'\nset folder = 'imaps://imap.example.com:993/'\n"
        "source $HOME/creds.rc\n"
        "source ${MAILCONF_TEST_MAIL}/name.rc\n"
        'source "$MAILCONF_TEST_MAIL/tls.rc"\n'
        "source $MAILCONF_TEST_UNSET/x.rc\n"
    )
    code, out, err = run(capsys, "import", "--from", fmt, "--follow-source", str(rc))
    # one set nowhere is followed as the client reads it: mutt's /x.rc, neomutt's $MAILCONF_TEST_UNSET/x.rc beside
    # the file (test_mutt_expansion.py: test_a_source_path_takes_my_variables_and_the_client_s_own)
    reads = "as nothing" if fmt == "mutt" else "as it is written"
    path = "/x.rc" if fmt == "mutt" else f"{tmp_path}/$MAILCONF_TEST_UNSET/x.rc"
    assert (code, err) == (
        1,
        f"mailconf: warning: {rc}:6:1: source $MAILCONF_TEST_UNSET/x.rc: $MAILCONF_TEST_UNSET is not set where {fmt} "
        f"reads this line (not by the file before it, nor in the environment the import ran in): followed as {fmt} "
        f"reads it, {reads}\n"
        f"mailconf: warning: {rc}:6:1: source $MAILCONF_TEST_UNSET/x.rc ({shown(path)}): no such file: not read "
        f"({fmt} reports the error and reads on from the next line); check the path\n",
    )
    assert "    username: alice\n" in out
    assert "  display_name: Alice Example\n" in out
    assert "    security: tls\n" in out


@pytest.mark.parametrize("fmt", ["mutt", "neomutt"])
def test_source_of_tilde_without_a_home_is_not_followed(tmp_path: Path, fmt: str) -> None:
    """HOME unset and no passwd entry (a container's random uid): expanduser() left ~/creds.rc as it was, and the
    file of a folder named ~ beside the muttrc was read as the user's. ~name of no user is said alike."""
    (tmp_path / "~").mkdir()
    (tmp_path / "~" / "creds.rc").write_text("set imap_user = mallory\n")
    rc = tmp_path / "work.muttrc"
    rc.write_text("set from = 'alice@example.com'\nset folder = 'imaps://imap.example.com:993/'\n"
                  "source ~/creds.rc\nsource ~nobody-here/creds.rc\n")  # fmt: skip
    outcome = run_mailconf("import", "--from", fmt, "--follow-source", str(rc), cwd=tmp_path, homeless=True)
    assert (outcome.code, outcome.stderr) == (
        1,
        f"mailconf: warning: {rc}:3:1: source ~/creds.rc: ~ names no home directory here (HOME is not set and the "
        "user has no passwd entry): not followed\n"
        f"mailconf: warning: {rc}:4:1: source ~nobody-here/creds.rc: ~nobody-here names no home directory here (no "
        "such user): not followed\n",
    )
    assert "mallory" not in outcome.stdout


def test_source_in_single_quotes_expands_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "creds.rc").write_text("set imap_user = alice\n")
    rc = tmp_path / "work.muttrc"
    folder = "set folder = 'imaps://imap.example.com/'\n"
    rc.write_text(f"set from = 'alice@example.com'\nsource '$HOME/creds.rc'\n{folder}")  # a file named $HOME
    code, out, err = run(capsys, "import", "--from", "mutt", "--follow-source", str(rc))
    assert (code, err) == (
        1,
        RELATIVE.format(rc, 2, "$HOME/creds.rc", tmp_path) + f"mailconf: warning: {rc}:2:1: source $HOME/creds.rc "
        f"({tmp_path}/$HOME/creds.rc): no such file: not read {READS_ON}; check the path\n",
    )
    assert "alice\n" not in out.replace("alice@", "")
    rc.write_text(f"set from = 'alice@example.com'\nsource $HOME/absent.rc\n{folder}")  # the path it became is said
    assert run(capsys, "import", "--from", "mutt", "--follow-source", str(rc))[::2] == (
        1,
        f"mailconf: warning: {rc}:2:1: source $HOME/absent.rc ({tmp_path}/absent.rc): no such file: not read "
        f"{READS_ON}; check the path\n",
    )


def test_source_of_a_variable_that_holds_a_command_runs_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pwn = tmp_path / "PWN"
    monkeypatch.setenv("MAILCONF_TEST_CMD", f"touch {pwn}|")
    rc = tmp_path / "work.muttrc"
    rc.write_text(
        "set from = 'alice@example.com'\nset folder = 'imaps://imap.example.com/'\nsource $MAILCONF_TEST_CMD\n"
    )
    code, out, err = run(capsys, "import", "--from", "mutt", "--follow-source", str(rc))
    assert (code, err) == (1, f"mailconf: warning: {rc}:3:1: source of a command's output: not run, not imported\n")
    assert "host: imap.example.com\n" in out
    assert not pwn.exists()


#: a fetchmailrc fetchmail 6.4 refuses (what its error names), and the import's exit-2 line (LINE:COL: ...)
FETCHMAIL_REFUSES = {
    "upper-case keyword": (
        "poll imap.example.com proto IMAP user alice there KEEP\n", "syntax error at KEEP",
        '1:51: unknown keyword "KEEP"; fetchmail itself refuses this file (syntax error): fetchmail reads keywords in '
        "lower case only: write keep",
    ),
    "mixed-case protocol": (
        "poll imap.example.com proto Imap user alice there\n", "syntax error at Imap",
        '1:29: proto "Imap": not a protocol fetchmail knows (IMAP or imap, not Imap); fetchmail itself refuses this '
        "file (syntax error at Imap): write proto IMAP, without quotes",
    ),
    "quoted protocol": (
        'poll imap.example.com proto "imap" user alice there\n', 'syntax error at "imap"',
        '1:29: proto "imap": not a protocol fetchmail knows (IMAP or imap, not Imap); fetchmail itself refuses this '
        "file (syntax error at imap): write proto IMAP, without quotes",
    ),
    "unknown protocol": (
        "poll imap.example.com proto imap4 user alice there\n", "syntax error at imap4",
        '1:29: proto "imap4": not a protocol fetchmail knows (IMAP or imap, not Imap); fetchmail itself refuses this '
        "file (syntax error at imap4): write proto IMAP, without quotes",
    ),
    "upper-case authentication": (
        "poll imap.example.com proto IMAP auth PASSWORD user alice there\n", "syntax error at PASSWORD",
        '1:39: auth "PASSWORD": not an authentication type fetchmail knows (in lower case); fetchmail itself refuses '
        "this file (syntax error at PASSWORD): write auth password, without quotes",
    ),
    "badheader": (
        "poll imap.example.com proto IMAP badheader accept user alice there\n", "syntax error at badheader",
        '1:34: unknown keyword "badheader"; fetchmail itself refuses this file (syntax error): fix or remove it',
    ),
    "bad-header quoted": (
        'poll imap.example.com proto IMAP bad-header "accept" user alice there\n', 'syntax error at "accept"',
        '1:45: bad-header "accept": not accept or reject, unquoted; fetchmail itself refuses this file (syntax error '
        "at accept): write bad-header accept, without quotes",
    ),
    "user after user options": (  # rcfile_y.y: user options without a user, or users each with theirs
        "poll imap.example.com proto IMAP is alice there user bob there\n", "syntax error at user",
        "1:49: user after user options that came without one (keep, is ... here, password ...); fetchmail itself "
        "refuses this file (syntax error at user): write user NAME there first, then its options",
    ),
    "server option after user options": (
        "poll imap.example.com user alice there proto IMAP\n", "server option after user options at",
        "1:40: server option proto after user options; fetchmail itself refuses this file: move it before the "
        "entry's first user option",
    ),
    "protocol in a list": (
        "poll imap.example.com proto IMAP user alice there smtphost localhost imap\n", "syntax error at imap",
        '1:70: "imap": fetchmail reads this word as a keyword or a number, not a value, and takes none here; '
        'fetchmail itself refuses this file (syntax error at imap): quote it if it is a value, "imap"',
    ),
    "number in a list": (
        "poll imap.example.com proto IMAP user alice there fetchdomains example.com 25\n", "syntax error at 25",
        '1:76: "25": fetchmail reads this word as a keyword or a number, not a value, and takes none here; '
        'fetchmail itself refuses this file (syntax error at 25): quote it if it is a value, "25"',
    ),
    "empty list": (
        "poll imap.example.com proto IMAP user alice there smtphost keep\n", "syntax error at keep",
        "1:60: smtphost without a value after it; fetchmail itself refuses this file (syntax error): write smtphost "
        'and its value (quote a value fetchmail reads as a keyword, "keep")',
    ),
    "retrieveerror": (  # fetchmail 6.5's, not 6.4's
        "poll imap.example.com proto IMAP user alice there retrieveerror abort\n", "syntax error at retrieveerror",
        '1:51: unknown keyword "retrieveerror"; fetchmail itself refuses this file (syntax error): fix or remove it',
    ),
    "defaults after a poll entry": (  # fetchmail.c's load_params, after the parse: exit 5 too
        "poll imap.example.com proto IMAP user alice there\ndefaults user bob there\n",
        'Error: multiple "defaults" records in config file, or "defaults" is not the first record.',
        '2:1: defaults after a poll entry, or after a defaults record that is not the first; fetchmail itself refuses '
        'this file (multiple "defaults" records, or "defaults" is not the first record): write one defaults entry, '
        "first",
    ),
    "server option after a user in defaults": (
        "defaults proto POP3 user alice there user bob there proto IMAP\npoll imap.example.com\n",
        "server option after user options at",
        "1:53: server option proto after user options; fetchmail itself refuses this file: move it before the "
        "entry's first user option",
    ),
    "stray here": (  # only user NAME there, is NAME there and is/to/user NAMES here take one
        "poll imap.example.com proto IMAP user alice there here\n", "syntax error at here",
        "1:51: here that follows no name of user, is or to; fetchmail itself refuses this file (syntax error at here): "
        "remove it, or write user NAME there, is LOCAL here",
    ),
    "quoted string before the first entry": (
        '"x"\npoll imap.example.com proto IMAP user alice there\n', 'syntax error at "x"',
        '1:1: "x" before any poll entry; fetchmail itself refuses this file (syntax error): start entries with poll '
        "NAME",
    ),
    "stray quoted string": (
        'poll imap.example.com proto IMAP user alice there keep "x"\n', 'syntax error at "x"',
        '1:56: "x": a quoted string where fetchmail takes none; fetchmail itself refuses this file (syntax error): '
        "remove it, or write the keyword it is the value of",
    ),
    "set with a user option": (  # rcfile_y.y: SET takes its own statements only
        "set warnings 3\npoll imap.example.com proto IMAP user alice there\n", "syntax error at warnings",
        "1:5: set \"warnings\": no setting fetchmail's set takes (set takes daemon, idfile, logfile, pidfile, "
        "postmaster, properties, [no] bouncemail, [no] invisible, [no] showdots, [no] softbounce, [no] spambounce, "
        "[no] syslog); fetchmail itself refuses this file (syntax error at warnings): write warnings in a poll entry, "
        "not after set",
    ),
    "set no with a value": (
        'set no logfile "/tmp/log"\npoll imap.example.com proto IMAP user alice there\n', "syntax error at logfile",
        "1:8: set no \"logfile\": no setting fetchmail's set takes (set takes daemon, idfile, logfile, pidfile, "
        "postmaster, properties, [no] bouncemail, [no] invisible, [no] showdots, [no] softbounce, [no] spambounce, "
        "[no] syslog); fetchmail itself refuses this file (syntax error at logfile): fix or remove it",
    ),
    "port not a number": (  # it was imported, then left out by the account file's check ("must be a whole number")
        "poll imap.example.com proto IMAP port abc user alice there\n", "syntax error at abc",
        '1:39: port "abc": not an unquoted number; fetchmail itself refuses this file (syntax error at abc): write '
        "port 993, without quotes",
    ),
    "timeout quoted": (
        'poll imap.example.com proto IMAP timeout "30" user alice there\n', 'syntax error at "30"',
        '1:42: timeout "30": not an unquoted number; fetchmail itself refuses this file (syntax error at 30): write '
        "timeout 60, without quotes",
    ),
    "daemon in an entry": (
        "poll imap.example.com proto IMAP user alice there daemon 300\n", "syntax error at daemon",
        "1:51: daemon without set: a setting of the run as a whole, which fetchmail takes after set only; fetchmail "
        "itself refuses this file (syntax error at daemon): write set daemon VALUE (set starts a statement of its own)",
    ),
    "no syslog in an entry": (
        "poll imap.example.com proto IMAP user alice there no syslog\n", "syntax error at syslog",
        "1:54: syslog without set: a setting of the run as a whole, which fetchmail takes after set only; fetchmail "
        "itself refuses this file (syntax error at syslog): write set no syslog (set starts a statement of its own)",
    ),
    "to NAME there": (
        "poll imap.example.com proto IMAP\n  to bob there ssl\n", "syntax error at there",
        "2:10: to ... there: only is NAME there names the login (one name); fetchmail itself refuses this file "
        "(syntax error at there): write is REMOTE there, or LOCAL here",
    ),
    "is with two names before there": (
        "poll imap.example.com proto IMAP\n  is bob carl there ssl\n", "syntax error at there",
        "2:15: is ... there: only is NAME there names the login (one name); fetchmail itself refuses this file "
        "(syntax error at there): write is REMOTE there, or LOCAL here",
    ),
}  # fmt: skip


@pytest.mark.parametrize(("text", "fetchmail_says", "message"), FETCHMAIL_REFUSES.values(), ids=FETCHMAIL_REFUSES)
def test_a_file_fetchmail_refuses_stops_the_import(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, fetchmail_says: str, message: str
) -> None:
    need("fetchmail")
    rc = tmp_path / "fetchmailrc"
    rc.write_text(text)
    rc.chmod(0o600)
    with pytest.raises(
        FetchmailError, match=rf"(?s)^fetchmail exit 5: .*(?:fetchmailrc:\d+|fetchmail): {re.escape(fetchmail_says)}"
    ):
        fetchmail_entries(rc, tmp_path)
    assert run(capsys, "import", "--from", "fetchmail", str(rc)) == (2, "", f"mailconf: {rc}:{message}\n")


@pytest.mark.parametrize("fmt", ["mutt", "neomutt"])
@pytest.mark.parametrize(
    ("lines", "username"),
    [
        (["set folder = imaps://alice@imap.example.com/", "set imap_user = bob"], "alice"),
        (["set imap_user = bob", "set folder = imaps://imap.example.com/"], "bob"),
        (["set folder = imaps://alice@imap.example.com/", "set imap_user = bob", "set imap_login = carol"],
         {"mutt": "carol", "neomutt": "alice"}),
        (["set folder = imaps://imap.example.com/", "set imap_login = carol", "unset imap_login"], None),
    ],
    ids=["the URL's user over imap_user", "imap_user", "imap_login: SASL or PLAIN", "imap_login unset"],
)  # fmt: skip
def test_mutt_the_login_name_is_what_the_client_logs_in_with(
    tmp_path: Path, fmt: str, lines: list[str], username: str | dict[str, str] | None
) -> None:
    """As the clients' source has it (mutt_account_getuser, mutt_account_getlogin in mutt 2.2 and neomutt): the user
    a mailbox URL names, else imap_user. Both were read the other way round: imap_user replaced the URL's user.
    imap_login is what mutt authenticates as with SASL, which it picks when no imap_authenticators are set; neomutt
    picks its own PLAIN, which sends the user (imap_login "won" for both: checked with the clients logging in, in
    tests/importers/test_mutt_logins.py)."""
    rc = tmp_path / "work.muttrc"
    rc.write_text("\n".join([*lines, "set from = alice@example.com"]) + "\n")
    result = import_paths(fmt, [str(rc)], ReadOptions())
    expected = username[fmt] if isinstance(username, dict) else username
    assert result.accounts["work"]["incoming"].get("username") == expected


def test_mutt_an_account_named_after_its_file_has_no_final_dot(tmp_path: Path) -> None:
    """ml.rc was the account `ml.`: lint warned about its own import (MC711, a name Windows cannot use)."""
    rc = tmp_path / "ml.rc"
    rc.write_text("set folder = imaps://alice@imap.example.com/\nset from = alice@example.com\n")
    assert list(import_paths("mutt", [str(rc)], ReadOptions()).accounts) == ["ml"]


def test_a_from_of_two_addresses_is_no_address_on_every_python(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Python 3.13 (and 3.12.6, 3.11.10) made email.utils.parseaddr strict: `Alice <a>, Bob <b>` is no address; 3.11.7
    and 3.12.1 took Alice's, and the same file imported differently by Python version. aerc takes a single address."""
    conf = tmp_path / "accounts.conf"
    conf.write_text(
        "[work]\nsource = imaps://alice@imap.example.com\nfrom = Alice <alice@example.com>, Bob <bob@example.com>\n"
    )
    code, out, err = run(capsys, "import", "--from", "aerc", str(conf))
    said = (
        f"{conf}:3: no address aerc can use in from (aerc 0.14 cannot send from it, aerc 0.20 refuses the account): "
        "this one is a guess, check it"
    )
    assert (code, err) == (1, f"mailconf: warning: {said.replace(':3:', ':3:1:', 1)}\n")
    assert out.splitlines()[3:6] == ["accounts:", "  work:", f"    address: alice@imap.example.com  # {said}"]


@pytest.mark.parametrize(
    ("text", "pair"),
    [
        ("Alice <a@example.com>", ("Alice", "a@example.com")),
        ('"Alice, Smith" <a@example.com>', ("Alice, Smith", "a@example.com")),
        ("a@example.com (Alice)", ("Alice", "a@example.com")),
        ("Alice <a@example.com>, Bob <b@example.com>", ("", "")),
        ("Alice <a@example.com> trailing", ("", "")),
        ("Alice (unbalanced <a@example.com>", ("", "")),
        ("a@[127.0.0.1]", ("", "")),
    ],
)
def test_parse_sender_reads_as_python_3_13_does(text: str, pair: tuple[str, str]) -> None:
    from mailconf.importers._base import parse_sender

    assert parse_sender(text) == pair


@pytest.mark.parametrize("fmt", ["mutt", "neomutt"])
def test_mutt_an_account_named_with_a_final_dot_comes_back_from_its_rendered_file(tmp_path: Path, fmt: str) -> None:
    """render writes account `0.` to `0..muttrc`: NAME.muttrc is the account's own name, kept as it is (found by the
    round-trip property test on Python 3.12; only a name made up from another file's name loses its final dot)."""
    rc = tmp_path / "0..muttrc"
    rc.write_text("set folder = imaps://alice@imap.example.com/\nset from = alice@example.com\n")
    assert list(import_paths(fmt, [str(rc)], ReadOptions()).accounts) == ["0."]


def test_a_file_named_twice_however_spelt_is_imported_once(tmp_path: Path) -> None:
    """`import --from msmtp rc ./rc` imported every account twice (`work-2`, `home-2`, exit 1), where lint reads a
    file named twice once, under the name it was first given."""
    (tmp_path / "rc").write_text(MSMTPRC, encoding="utf-8")
    once = run_mailconf("import", "--from", "msmtp", "rc", cwd=tmp_path)
    twice = run_mailconf("import", "--from", "msmtp", "rc", "./rc", str(tmp_path / "rc"), cwd=tmp_path)
    assert twice == once
    assert "work-2" not in twice.stdout and "from rc\n" in twice.stdout


@pytest.mark.parametrize("link", ["symbolic", "hard"])
def test_a_file_and_a_link_to_it_are_imported_once_under_the_first_name(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, link: str
) -> None:
    """files.once(): one device and inode is one file, however it is named; mutt names the account after the file
    named first (work, or home for the link named first), and imports it once, not work and home."""
    rc = tmp_path / "work.muttrc"
    rc.write_text("set from = alice@example.com folder = imaps://alice@imap.example.com/\n")
    other = tmp_path / "home.muttrc"
    if link == "symbolic":
        other.symlink_to(rc.name)
    else:
        other.hardlink_to(rc)

    def imported(name: str, path: Path) -> tuple[int, str, str]:
        return (
            0,
            (
                f"# imported by `mailconf import --from mutt` from {path}\nversion: 1\naccounts:\n  {name}:\n"
                "    address: alice@example.com\n    incoming:\n      protocol: imap\n      host: imap.example.com\n"
                "      port: 993\n      security: tls\n      username: alice\n      auth: password\n"
            ),
            "",
        )

    assert run(capsys, "import", "--from", "mutt", str(rc), str(other)) == imported("work", rc)
    assert run(capsys, "import", "--from", "mutt", str(other), str(rc), f"{tmp_path}/./work.muttrc") == imported(
        "home", other
    )
