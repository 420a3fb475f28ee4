"""The command line as a user meets it: exit codes, stdout lines, one-line errors on stderr.

Most tests run the real ``python -m mailconf`` in a subprocess, so "no traceback"
is shown on the real streams; the internal-error test runs in-process, because it
needs to make a rule fail (monkeypatch).
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import NamedTuple

import pytest

from mailconf import cli
from mailconf.targets import TARGETS

#: A file with no findings at all.
CLEAN = (
    "version: 1\n"
    "accounts:\n"
    "  work:\n"
    "    address: alice@example.com\n"
    "    incoming:\n"
    "      protocol: imap\n"
    "      host: imap.example.com\n"
    "      password_command: pass show work\n"
    "    outgoing:\n"
    "      host: smtp.example.com\n"
    "      password_command: pass show work\n"
)

#: One MC101 finding, at 8:17 (the value of `security`).
INSECURE = CLEAN.replace("      password_command: pass show work\n", "      security: none\n      auth: password\n", 1)


class Outcome(NamedTuple):
    code: int
    stdout: str
    stderr: str


#: ``python -c`` running mailconf as a user the passwd database does not know (a container's random uid): with HOME
#: unset too, Path.home() raises and expanduser() leaves ``~`` as it is. The lookup is taken away rather than the
#: process given another uid, because the interpreter may live where no other uid may run it (/root/.pyenv).
NO_PASSWD_ENTRY = """
import pwd, sys

def getpwuid(uid):
    raise KeyError(f"getpwuid(): uid not found: {uid}")

pwd.getpwuid = getpwuid
from mailconf.cli import main

sys.exit(main())
"""


def run_mailconf(
    *args: str,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    preexec: Callable[[], None] | None = None,
    stdin: str = "",
    homeless: bool = False,
) -> Outcome:
    """``python -m mailconf ARGS`` in ``cwd``, with NO_COLOR/GITHUB_ACTIONS cleared unless ``env`` sets them.
    ``homeless``: with HOME and XDG_CONFIG_HOME unset (unless ``env`` sets them), as a user without a passwd entry."""
    cleared = ("NO_COLOR", "GITHUB_ACTIONS", "MAILCONF_DEBUG", *(("HOME", "XDG_CONFIG_HOME") if homeless else ()))
    environ = {k: v for k, v in os.environ.items() if k not in cleared}
    environ.update(env or {})
    done = subprocess.run(
        [sys.executable, *(("-c", NO_PASSWD_ENTRY) if homeless else ("-m", "mailconf")), *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,  # a hang guard, not a timing assertion
        preexec_fn=preexec,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return Outcome(done.returncode, done.stdout, done.stderr)


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def test_clean_file_exits_0_and_prints_nothing(tmp_path: Path) -> None:
    write(tmp_path, "accounts.yaml", CLEAN)
    assert run_mailconf("lint", "accounts.yaml", cwd=tmp_path) == Outcome(0, "", "")


def test_finding_exits_1_with_the_line_and_the_summary(tmp_path: Path) -> None:
    write(tmp_path, "accounts.yaml", INSECURE)
    assert run_mailconf("lint", "accounts.yaml", cwd=tmp_path) == Outcome(
        1,
        "accounts.yaml:8:17: error MC101 cleartext-credentials: password login to imap.example.com without TLS "
        "sends the credentials in cleartext; set security: tls (port 993)\n"
        "1 error in 1 file\n",
        "",
    )


def test_missing_file_exits_2_with_one_line(tmp_path: Path) -> None:
    assert run_mailconf("lint", "nope.yaml", cwd=tmp_path) == Outcome(
        2, "", "mailconf: nope.yaml: no such file; check the path\n"
    )


@pytest.mark.parametrize(
    "command",
    [("lint", "-"), ("lint", "A", "B"), ("render", "-t", "msmtp", "-o", "out", "A"), ("lint", "A"), ("probe", "A")],
)
def test_a_current_folder_that_was_removed_exits_2_with_one_line(tmp_path: Path, command: tuple[str, ...]) -> None:
    """A shell left in a folder another one removed: `lint -` and `lint A B` were internal errors (FileNotFoundError
    from os.getcwd()), `render -o out` an UnboundLocalError; a relative path names nothing there. Every command
    refuses to start, as git does; its --help still prints."""
    gone = tmp_path / "gone"
    gone.mkdir()
    a, b = write(tmp_path, "a.yaml", CLEAN), write(tmp_path, "b.yaml", CLEAN)
    args = [str(a) if word == "A" else str(b) if word == "B" else word for word in command]
    assert run_mailconf(*args, cwd=gone, stdin=CLEAN, preexec=lambda: os.rmdir(gone)) == Outcome(
        2, "", "mailconf: the current folder no longer exists (it was removed); cd to a folder that exists\n"
    )
    gone.mkdir()
    helped = run_mailconf(command[0], "--help", cwd=gone, preexec=lambda: os.rmdir(gone))
    assert (helped.code, helped.stdout.startswith("Usage: mailconf "), helped.stderr) == (0, True, "")


@pytest.mark.parametrize("command", [("schema",), ("rules", "--format", "json"), ("targets",), ("explain", "MC002")])
def test_a_command_that_reads_no_file_runs_in_a_current_folder_that_was_removed(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    """`mailconf schema > /abs/schema.json` from a folder another shell removed printed the schema, and so did
    rules, targets and explain: they name no path and read no file. The refusal of a removed current folder made
    each exit 2; they print as in any folder."""
    gone = tmp_path / "gone"
    gone.mkdir()
    printed = run_mailconf(*command, cwd=tmp_path)
    assert (printed.code, printed.stderr, bool(printed.stdout)) == (0, "", True)
    assert run_mailconf(*command, cwd=gone, preexec=lambda: os.rmdir(gone)) == printed


@pytest.mark.parametrize("command", [("lint",), ("probe",), ("render", "-t", "msmtp")])
def test_an_empty_path_exits_2_with_one_line(tmp_path: Path, command: tuple[str, ...]) -> None:
    # `mailconf lint "$FILE"` with FILE unset: not ": no such file"
    assert run_mailconf(*command, "", cwd=tmp_path) == Outcome(
        2, "", "mailconf: '': an empty path names no file (an unset variable?); name a YAML file\n"
    )


@pytest.mark.parametrize(
    "args",
    [("lint", "--config"), ("lint", "--baseline"), ("lint", "--write-baseline"), ("lint", "--output-file"),
     ("probe", "--config"), ("probe", "--output-file")],
)  # fmt: skip
def test_an_empty_path_option_exits_2_before_any_file_is_read(tmp_path: Path, args: tuple[str, str]) -> None:
    # `--config "$CFG"` with CFG unset names no file: not "no option given" (the settings found, no baseline,
    # a plain lint instead of writing the baseline), nor an error only after every file was linted or probed
    write(tmp_path, "a.yaml", INSECURE)
    assert run_mailconf(*args, "", "a.yaml", cwd=tmp_path) == Outcome(
        2, "", f"mailconf: {args[1]} '': an empty path names no file (an unset variable?); name a file\n"
    )


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (("lint", "a.yaml", "--config"), "a .mailconf.yaml or a pyproject.toml"),
        (("lint", "a.yaml", "--baseline"), "a baseline file"),
        (("lint", "a.yaml", "--write-baseline"), "the baseline file to write"),
        (("lint", "a.yaml", "--output-file"), "a file"),
        (("probe", "a.yaml", "--config"), "a .mailconf.yaml or a pyproject.toml"),
        (("probe", "a.yaml", "--output-file"), "a file"),
        (("discover", "alice@example.com", "-o"), "the account file to write"),
        (("discover", "alice@example.com", "--ca-file"), "a PEM file of CA certificates"),
        (("import", "--from", "msmtp", "msmtprc", "-o"), "the account file to write"),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, tuple) else None,
)
@pytest.mark.parametrize("folder", ["DIR", "LINK"])
def test_a_directory_where_a_file_is_named_exits_2_with_one_line(
    tmp_path: Path, args: tuple[str, ...], name: str, folder: str
) -> None:
    """click's three-line usage error (`Error: Invalid value for '--baseline': File 'DIR' is a directory.`) was the
    only one of mailconf's refusals not in its own words; a link to a directory is one too."""
    write(tmp_path, "a.yaml", INSECURE)
    write(tmp_path, "msmtprc", "account a\nhost smtp.example.com\nfrom a@example.com\n")
    (tmp_path / "DIR").mkdir()
    (tmp_path / "LINK").symlink_to("DIR")
    assert run_mailconf(*args, folder, cwd=tmp_path) == Outcome(
        2, "", f"mailconf: {args[-1]} {folder}: is a directory; name {name}\n"
    )
    assert sorted(p.name for p in (tmp_path / "DIR").iterdir()) == []


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (("render", "-t", "msmtp", "a.yaml", "-o", ""), "no directory (an unset variable?); name the directory to "
                                                         "write into"),
        (("discover", "alice@example.com", "-o", ""), "no file (an unset variable?); name the account file to write"),
        (("import", "--from", "msmtp", "msmtprc", "-o", ""), "no file (an unset variable?); name the account file "
                                                              "to write"),
    ],
    ids=["render", "discover", "import"],
)  # fmt: skip
def test_an_empty_output_is_said_alike_by_every_command(tmp_path: Path, args: tuple[str, ...], names: str) -> None:
    """``-o "$OUT"`` with OUT unset: the wording of --config '' (one helper), before anything is read or looked up."""
    write(tmp_path, "a.yaml", CLEAN)
    write(tmp_path, "msmtprc", "account a\nhost smtp.example.com\nfrom a@example.com\n")
    assert run_mailconf(*args, cwd=tmp_path) == Outcome(2, "", f"mailconf: -o '': an empty path names {names}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yaml", "msmtprc"]


@pytest.mark.parametrize(
    "args", [("discover", "alice@example.com"), ("import", "--from", "msmtp", "msmtprc")], ids=["discover", "import"]
)
def test_an_output_under_a_file_exits_2_with_one_line(tmp_path: Path, args: tuple[str, ...]) -> None:
    """`-o notes.txt/work.yaml`: render's directory writer said `notes.txt is not a directory; -o names the
    directory to write into`, wrong for an option that names a file, and discover said it only after every
    lookup. One line now, before anything is read or looked up."""
    write(tmp_path, "notes.txt", "mine\n")
    write(tmp_path, "msmtprc", "account a\nhost smtp.example.com\nfrom a@example.com\n")
    assert run_mailconf(*args, "-o", "notes.txt/new/work.yaml", cwd=tmp_path) == Outcome(
        2,
        "",
        f"mailconf: -o notes.txt/new/work.yaml: {tmp_path.resolve()}/notes.txt is not a directory; name the account "
        "file to write in a directory\n",
    )
    assert (tmp_path / "notes.txt").read_text() == "mine\n"


@pytest.mark.parametrize(
    ("command", "tail"), [(("render", "-t", "msmtp"), ""), (("probe",), " in a.yaml")],
    ids=["render", "probe"],
)  # fmt: skip
def test_an_account_name_that_is_not_one_is_quoted(tmp_path: Path, command: tuple[str, ...], tail: str) -> None:
    """`-a "$NAME"` with NAME unset said `no account named  (accounts: work)`: the name it did not find was
    invisible. A name that cannot be an account's is quoted; a plain one is not."""
    write(tmp_path, "a.yaml", CLEAN)
    outcome = run_mailconf(*command, "a.yaml", "-a", "", "-a", "my work", "-a", "home", cwd=tmp_path)
    assert outcome == Outcome(
        2, "", f"mailconf: no account named '', 'my work', home{tail} (did you mean work? accounts: work)\n"
    )


@pytest.mark.parametrize(("command", "where"), [(("render", "-t", "msmtp"), ""), (("probe",), " in many.yaml")])
def test_an_unknown_account_lists_ten_accounts_and_counts_the_rest(
    tmp_path: Path, command: tuple[str, ...], where: str
) -> None:
    """Render listed every account of the file on one line (10,000 of them); probe listed none. Both list the first
    ten by name, count the rest, and offer the name closest to a typo first."""
    accounts = "".join(
        f"  user{n:02}:\n    address: u{n}@example.com\n"
        f"    outgoing: {{host: smtp.example.com, password_command: pass show u{n}}}\n"
        for n in range(25)
    )
    write(tmp_path, "many.yaml", f"version: 1\naccounts:\n{accounts}")
    outcome = run_mailconf(*command, "many.yaml", "-a", "usr07", cwd=tmp_path)
    listed = ", ".join(f"user{n:02}" for n in range(10))
    assert outcome == Outcome(
        2, "", f"mailconf: no account named usr07{where} (did you mean user07? accounts: {listed} and 15 more)\n"
    )


@pytest.mark.parametrize("command", [("render", "-t", "msmtp"), ("probe",), ("serve",)], ids=lambda c: c[0])
def test_standard_input_is_read_by_lint_alone_and_says_so(tmp_path: Path, command: tuple[str, ...]) -> None:
    """`mailconf render - < accounts.yaml` said `-: no such file; check the path`; a file named `-` is still read."""
    assert run_mailconf(*command, "-", cwd=tmp_path, stdin=CLEAN) == Outcome(
        2, "", "mailconf: -: no such file; only lint reads standard input as -, name the account file\n"
    )
    write(tmp_path, "-", CLEAN)
    assert run_mailconf("render", "-t", "msmtp", "-q", "-", cwd=tmp_path).code == 0


@pytest.mark.parametrize(
    ("args", "what"),
    [
        (("render", "-t", "msmtp", "a.yaml"), "the directory with -o DIR"),
        (("discover", "alice@example.com", "--no-probe"), "the file with -o FILE"),
        (("import", "--from", "msmtp", "msmtprc"), "the file with -o FILE"),
    ],
    ids=["render", "discover", "import"],
)
def test_force_without_an_output_exits_2_with_one_line(tmp_path: Path, args: tuple[str, ...], what: str) -> None:
    """--force without -o replaced nothing and printed to standard output (exit 0), while --update without -o was
    refused: an -o left out of a command meant to replace a file went unnoticed."""
    write(tmp_path, "a.yaml", CLEAN)
    write(tmp_path, "msmtprc", "account a\nhost smtp.example.com\nfrom a@example.com\n")
    assert run_mailconf(*args, "--force", cwd=tmp_path) == Outcome(
        2, "", f"mailconf: --force replaces files on disk: name {what}\n"
    )


@pytest.mark.parametrize(
    "mode", [(), ("--force",), ("--update",), ("--check",)], ids=["plain", "force", "update", "check"]
)
def test_render_never_writes_over_the_account_file_it_renders(tmp_path: Path, mode: tuple[str, ...]) -> None:
    """An account file named as a file the target writes, in -o: `render -t msmtp -o . --update .msmtprc` replaced
    the account file with msmtp's configuration, without a .bak (--force kept one; without either, mailconf said to
    use --force). Refused in every mode, as import refuses -o naming a file being imported, also through a link."""
    write(tmp_path, ".msmtprc", CLEAN)
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / ".msmtprc").symlink_to("../.msmtprc")
    for file, output in ((".msmtprc", "."), ("conf/.msmtprc", "."), (".msmtprc", "conf")):
        assert run_mailconf("render", "-t", "msmtp", "-o", output, *mode, file, cwd=tmp_path) == Outcome(
            2, "", f"mailconf: {file}: -o {output} would write .msmtprc over it, the account file being rendered; "
            "choose another -o\n"
        )  # fmt: skip
    assert (tmp_path / ".msmtprc").read_text(encoding="utf-8") == CLEAN
    assert sorted(p.name for p in tmp_path.iterdir()) == [".msmtprc", "conf"]


@pytest.mark.parametrize("mode", [(), ("--force",), ("--update",)], ids=["plain", "force", "update"])
def test_render_all_never_writes_over_the_account_file_in_a_target_folder_or_a_hard_link(
    tmp_path: Path, mode: tuple[str, ...]
) -> None:
    """-t all (the workers' path, one folder per target) and a hard link to the account file under the rendered name."""
    (tmp_path / "out" / "msmtp").mkdir(parents=True)
    write(tmp_path / "out" / "msmtp", ".msmtprc", CLEAN)
    (tmp_path / "linked").mkdir()
    os.link(tmp_path / "out" / "msmtp" / ".msmtprc", tmp_path / "linked" / ".msmtprc")
    for target, output in (("all", "out"), ("msmtp", "linked")):
        name = "msmtp/.msmtprc" if target == "all" else ".msmtprc"
        outcome = run_mailconf("render", "-t", target, "-o", output, *mode, "out/msmtp/.msmtprc", cwd=tmp_path)
        # -t all says each target's gaps first: the refusal is the last line
        assert (outcome.code, outcome.stdout, outcome.stderr.splitlines()[-1]) == (
            2, "", f"mailconf: out/msmtp/.msmtprc: -o {output} would write {name} over it, the account file being "
            "rendered; choose another -o"
        )  # fmt: skip
    assert (tmp_path / "out" / "msmtp" / ".msmtprc").read_text(encoding="utf-8") == CLEAN
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["msmtp"]


#: -o la/work.yaml where la is a loop of links ({here}: the test's folder)
LOOPED_OUTPUT = (
    "-o la/work.yaml: {here}/la: Too many levels of symbolic links; name the account file to write in a directory"
)


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (("render", "-t", "msmtp", "a.yaml", "-o", "la"), "cannot write la: Too many levels of symbolic links"),
        (("render", "-t", "msmtp", "a.yaml", "-o", "la/out"), "cannot write la/out: Too many levels of symbolic links"),
        (("discover", "alice@example.com", "-o", "la/work.yaml"), LOOPED_OUTPUT),
        (("import", "--from", "msmtp", "msmtprc", "-o", "la/work.yaml"), LOOPED_OUTPUT),
    ],
    ids=["render", "render below", "discover", "import"],
)  # fmt: skip
def test_an_output_through_a_loop_of_links_exits_2_with_one_line(
    tmp_path: Path, args: tuple[str, ...], line: str
) -> None:
    """Path.resolve() raised RuntimeError ("Symlink loop") in the writer: an internal error (exit 3), for discover
    after every lookup."""
    write(tmp_path, "a.yaml", CLEAN)
    write(tmp_path, "msmtprc", "account a\nhost smtp.example.com\nfrom a@example.com\n")
    (tmp_path / "la").symlink_to("lb")
    (tmp_path / "lb").symlink_to("la")
    outcome = run_mailconf(*args, cwd=tmp_path)
    assert outcome == Outcome(2, "", f"mailconf: {line.format(here=tmp_path.resolve())}\n")


def test_an_existing_output_is_said_alike_by_every_command(tmp_path: Path) -> None:
    """-o names what exists, without --force: one wording (commands/outputs.py), render's also saying that it
    compared the files (--check shows the difference), in the singular or the plural; nothing is replaced."""
    write(tmp_path, "company.yaml", (Path(__file__).parent.parent / "examples" / "company.yaml").read_text())
    write(tmp_path, "msmtprc", "account a\nhost smtp.example.com\nfrom a@example.com\n")
    write(tmp_path, "mine.yaml", "mine\n")
    out = tmp_path.resolve() / "out"
    out.mkdir()
    for name in ("alice.muttrc", "bob.muttrc"):
        write(out, name, "mine\n")
    tail = "use --force to replace it (a .bak copy is kept)\n"
    assert run_mailconf("discover", "alice@example.com", "-o", "mine.yaml", cwd=tmp_path) == Outcome(
        2, "", f"mailconf: refusing to replace mine.yaml: it exists; {tail}"
    )
    assert run_mailconf("import", "--from", "msmtp", "msmtprc", "-o", "mine.yaml", cwd=tmp_path) == Outcome(
        2, "", f"mailconf: refusing to replace mine.yaml: it exists; {tail}"
    )
    assert run_mailconf("render", "-t", "mutt", "company.yaml", "-o", "out", cwd=tmp_path) == Outcome(
        2,
        "",
        f"mailconf: refusing to replace {out}/alice.muttrc, {out}/bob.muttrc: they exist with other content; "
        "use --check to see the difference, --force to replace them (a .bak copy is kept)\n",
    )
    (out / "alice.muttrc").unlink()
    assert run_mailconf("render", "-t", "mutt", "company.yaml", "-o", "out", cwd=tmp_path) == Outcome(
        2,
        "",
        f"mailconf: refusing to replace {out}/bob.muttrc: it exists with other content; "
        "use --check to see the difference, --force to replace it (a .bak copy is kept)\n",
    )
    assert [p.read_text() for p in (tmp_path / "mine.yaml", out / "bob.muttrc")] == ["mine\n", "mine\n"]
    assert sorted(p.name for p in out.iterdir()) == ["bob.muttrc"]


def test_a_render_refusing_to_replace_many_files_names_three_and_counts_the_rest(tmp_path: Path) -> None:
    """A web root rendered again after a change to every account (another IMAP host): the refusal named each of the
    files in one line, 1.4 MB of it for 10,000 accounts. It names them as render names the accounts of a gap."""
    accounts = "".join(
        f"  u{i}:\n    address: u{i}@example.org\n"
        f"    incoming: {{protocol: imap, host: imap.example.org, username: u{i}@example.org}}\n"
        f"    outgoing: {{host: smtp.example.org, username: u{i}@example.org}}\n"
        for i in range(1, 7)
    )
    write(tmp_path, "accounts.yaml", f"version: 1\naccounts:\n{accounts}")
    publish = ("render", "-t", "autoconfig", "-t", "autodiscover", "-t", "mobileconfig", "accounts.yaml", "-o", "web")
    assert run_mailconf(*publish, cwd=tmp_path).code == 0
    moved = accounts.replace("imap.example.org", "mail.example.org")
    write(tmp_path, "accounts.yaml", f"version: 1\naccounts:\n{moved}")
    web = tmp_path.resolve() / "web"
    assert run_mailconf(*publish, cwd=tmp_path) == Outcome(
        2,
        "",
        f"mailconf: refusing to replace {web}/autoconfig/autoconfig/example.org/config-v1.1.xml, "
        f"{web}/autodiscover/autodiscover/u1@example.org.xml, {web}/autodiscover/autodiscover/u2@example.org.xml "
        "and 10 more (13): they exist with other content; use --check to see the difference, --force to replace them "
        "(a .bak copy is kept)\n",
    )


def test_render_of_many_files_to_standard_output_names_three_and_counts_the_rest(tmp_path: Path) -> None:
    """`render -t autodiscover` without -o, as an admin tries it first: the refusal named each file in one line,
    480 KB of it for 10,000 accounts."""
    accounts = "".join(
        f"  u{i}:\n    address: u{i}@example.org\n"
        f"    incoming: {{protocol: imap, host: imap.example.org, username: u{i}@example.org}}\n"
        for i in range(1, 7)
    )
    write(tmp_path, "accounts.yaml", f"version: 1\naccounts:\n{accounts}")
    assert run_mailconf("render", "-t", "autodiscover", "accounts.yaml", cwd=tmp_path) == Outcome(
        2,
        "",
        "mailconf: target autodiscover renders 6 files here (autodiscover/u1@example.org.xml, "
        "autodiscover/u2@example.org.xml, autodiscover/u3@example.org.xml and 3 more); write them with -o DIR, or pick "
        "one account with --account\n",
    )


def test_a_directory_that_cannot_be_listed_exits_2_with_one_line(tmp_path: Path) -> None:
    """Looking for its repository's .git raised PermissionError in a folder without search permission: an
    internal error (exit 3). Then it said `no account files here`, where the files were not looked at."""
    (tmp_path / "locked").mkdir(mode=0)
    assert run_mailconf("lint", "locked", cwd=tmp_path, preexec=_as_a_user()) == Outcome(
        2, "", "mailconf: locked: permission denied; make the folder readable (its files were not checked)\n"
    )


@pytest.mark.parametrize("command", ["lint", "probe"])
def test_a_folder_that_cannot_be_listed_in_a_walk_is_said_and_the_rest_checked(tmp_path: Path, command: str) -> None:
    """os.walk passes over a folder it cannot list: the account files in it went unchecked without a word (a walk
    that found others exited 0 or 1). As a file that cannot be read: one line, exit 2, the others still checked
    (here a.yaml, whose schema error probe refuses to probe, so that no server is connected to)."""
    (tmp_path / "conf").mkdir()
    write(tmp_path / "conf", "a.yaml", "version: 1\n")
    (tmp_path / "conf" / "team").mkdir()
    write(tmp_path / "conf" / "team", "b.yaml", INSECURE)
    (tmp_path / "conf" / "team").chmod(0)
    outcome = run_mailconf(command, "-q", "conf", cwd=tmp_path, preexec=_as_a_user())
    (tmp_path / "conf" / "team").chmod(0o755)
    not_probed = "mailconf: conf/a.yaml: not probed: fix the errors first (`mailconf lint conf/a.yaml`)\n"
    assert outcome == Outcome(
        2,
        "conf/a.yaml:1:1: error MC002 schema-violation: missing required key `accounts`; add it\n",
        "mailconf: conf/team: permission denied; make the folder readable (its files were not checked)\n"
        + (not_probed if command == "probe" else ""),
    )


def test_a_directory_without_account_files_exits_2_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / "notes.txt").write_text(INSECURE)
    assert run_mailconf("lint", "conf.d", cwd=tmp_path) == Outcome(
        2, "", "mailconf: conf.d: no account files here (include: *.yaml, *.yml); name a file, or set include in "
        "the settings\n"
    )  # fmt: skip


def _without_file_override() -> None:
    """Drop CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from the bounding set: root then obeys file modes."""
    libc = ctypes.CDLL(None, use_errno=True)
    pr_capbset_drop, cap_dac_override, cap_dac_read_search = 24, 1, 2
    for capability in (cap_dac_override, cap_dac_read_search):
        if libc.prctl(pr_capbset_drop, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def test_permission_denied_exits_2_with_one_line(tmp_path: Path) -> None:
    """A mode-000 file. Root reads any file, so as root the command runs without the two
    capabilities that let root ignore file modes (the user's python lives in root's
    home, so switching to `nobody` instead would not even start it)."""
    write(tmp_path, "accounts.yaml", CLEAN).chmod(0)
    outcome = run_mailconf(
        "lint", "accounts.yaml", cwd=tmp_path, preexec=_without_file_override if os.geteuid() == 0 else None
    )
    assert outcome == Outcome(2, "", "mailconf: accounts.yaml: permission denied; make the file readable\n")


def _as_a_user() -> Callable[[], None] | None:
    """What makes file modes count: nothing for a user, :func:`_without_file_override` for root."""
    return _without_file_override if os.geteuid() == 0 else None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("lint", "a.yaml", "--config", "secret"), "secret: permission denied; make the file readable"),
        (("lint", "a.yaml", "--baseline", "secret"), "secret: permission denied; make the file readable"),
        (("probe", "a.yaml", "--config", "secret"), "secret: permission denied; make the file readable"),
        (
            ("discover", "alice@example.com", "--no-probe", "--ca-file", "secret"),
            "--ca-file secret: cannot be read (Permission denied); give a PEM file of CA certificates",
        ),
    ],
    ids=["lint --config", "lint --baseline", "probe --config", "discover --ca-file"],
)
def test_an_unreadable_file_named_by_an_option_exits_2_with_one_line(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    """click's `access()` check printed its three-line usage error (`Error: Invalid value for '--config': File
    'secret' is not readable.`) for a mode-000 file: the command's own reading says it in one line."""
    write(tmp_path, "a.yaml", CLEAN)
    write(tmp_path, "secret", "disable: []\n").chmod(0)
    assert run_mailconf(*args, cwd=tmp_path, preexec=_as_a_user()) == Outcome(2, "", f"mailconf: {message}\n")


def test_a_write_only_output_is_written(tmp_path: Path) -> None:
    """A file only written to need not be readable (mode 0200): click refused `-O` and `-o` of import as "not
    readable", in three lines, before anything was written."""
    write(tmp_path, "a.yaml", INSECURE)
    write(tmp_path, "report.txt", "old\n").chmod(0o200)
    write(tmp_path, "mine.yaml", "old\n").chmod(0o200)
    write(tmp_path, "msmtprc", "account a\nhost smtp.example.com\nfrom a@example.com\n")
    assert run_mailconf("lint", "-q", "-O", "report.txt", "a.yaml", cwd=tmp_path, preexec=_as_a_user()) == Outcome(
        1, "", ""
    )
    assert (tmp_path / "report.txt").read_text().startswith("a.yaml:8:17: error MC101 ")
    outcome = run_mailconf(
        "import", "--from", "msmtp", "msmtprc", "-o", "mine.yaml", "--force", cwd=tmp_path, preexec=_as_a_user()
    )
    assert outcome == Outcome(
        0,
        "",
        "mailconf: wrote 1 account to mine.yaml; check it with `mailconf lint`\n"
        "mailconf: replaced mine.yaml; its old content is kept in mine.yaml.bak\n",
    )
    assert (tmp_path / "mine.yaml.bak").read_text() == "old\n"


def test_an_unreadable_output_directory_exits_2_with_one_line(tmp_path: Path) -> None:
    """render reads -o DIR (what is there already): mode 000 was click's three lines (`Path 'out' is not
    readable.`), now render's own line."""
    write(tmp_path, "c.yaml", CLEAN)
    (tmp_path / "out").mkdir(mode=0)
    outcome = run_mailconf("render", "-t", "msmtp", "c.yaml", "-o", "out", cwd=tmp_path, preexec=_as_a_user())
    assert outcome == Outcome(2, "", f"mailconf: cannot write {tmp_path.resolve()}/out: Permission denied\n")


def test_a_write_only_baseline_is_not_written_over(tmp_path: Path) -> None:
    """--write-baseline keeps the entries FILE holds for the files not linted now: one it cannot read is refused,
    not replaced whole without them."""
    write(tmp_path, "a.yaml", INSECURE)
    write(tmp_path, "b.yaml", INSECURE)
    assert run_mailconf("lint", "--write-baseline", "base.json", "a.yaml", "b.yaml", cwd=tmp_path).code == 0
    recorded = (tmp_path / "base.json").read_text()
    (tmp_path / "base.json").chmod(0o200)
    outcome = run_mailconf("lint", "--write-baseline", "base.json", "a.yaml", cwd=tmp_path, preexec=_as_a_user())
    assert outcome == Outcome(2, "", "mailconf: base.json: permission denied; make the file readable\n")
    assert (tmp_path / "base.json").read_text() == recorded


def test_unreadable_file_does_not_stop_the_others(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", INSECURE)
    write(tmp_path, "c.yaml", INSECURE)
    assert run_mailconf("lint", "a.yaml", "missing.yaml", "c.yaml", cwd=tmp_path) == Outcome(
        2,
        "a.yaml:8:17: error MC101 cleartext-credentials: password login to imap.example.com without TLS "
        "sends the credentials in cleartext; set security: tls (port 993)\n"
        "c.yaml:8:17: error MC101 cleartext-credentials: password login to imap.example.com without TLS "
        "sends the credentials in cleartext; set security: tls (port 993)\n"
        "2 errors in 2 files\n",
        "mailconf: missing.yaml: no such file; check the path\n",
    )


def test_internal_error_exits_3_naming_the_file_without_the_exception_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A rule that crashes: exit 3, one line naming the file and the exception type.

    The exception's text may hold a secret (here it does), so it is never printed;
    the other file is still linted and reported.
    """
    from mailconf.rules import RULES

    def explode(model: object) -> object:
        raise RuntimeError("password hunter2 leaked")

    monkeypatch.setattr(RULES["MC101"], "check", explode)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MAILCONF_DEBUG", raising=False)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    write(tmp_path, "bad.yaml", CLEAN)
    write(tmp_path, "broken.yaml", "version: 1\naccounts: [\n")
    code = cli.main(["lint", "bad.yaml", "broken.yaml"])
    out, err = capsys.readouterr()
    assert code == 3
    assert err == (
        "mailconf: bad.yaml: internal error (RuntimeError) while linting; "
        "please report it (MAILCONF_DEBUG=1 shows the traceback)\n"
    )
    assert out == (
        "broken.yaml:3:1: error MC001 yaml-syntax: YAML syntax error: did not find expected node content "
        "(while parsing a flow node)\n"
        "1 error in 1 file\n"
    )
    assert "hunter2" not in out + err


def test_internal_error_outside_a_file_exits_3_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from mailconf.commands import lint

    def explode(request: object) -> int:
        raise KeyError("token abc123")

    monkeypatch.setattr(lint, "run", explode)
    monkeypatch.delenv("MAILCONF_DEBUG", raising=False)
    assert cli.main(["lint", "x.yaml"]) == 3
    out, err = capsys.readouterr()
    assert (out, err) == (
        "",
        "mailconf: internal error (KeyError) while running `mailconf lint`; please report it "
        "(MAILCONF_DEBUG=1 shows the traceback)\n",
    )


def test_usage_error_exits_2(tmp_path: Path) -> None:
    outcome = run_mailconf("lint", cwd=tmp_path)
    assert outcome.code == 2
    assert outcome.stdout == ""
    assert outcome.stderr.splitlines()[-1] == "Error: Missing argument 'PATH...'."


def test_unknown_format_exits_2(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", CLEAN)
    outcome = run_mailconf("lint", "--format", "xml", "a.yaml", cwd=tmp_path)
    assert outcome.code == 2
    assert outcome.stderr.splitlines()[-1] == (
        "Error: Invalid value for '--format': xml is not one of 'text', 'json', 'sarif', 'github'."
    )


def test_explain_unknown_rule_exits_2(tmp_path: Path) -> None:
    assert run_mailconf("explain", "MC999", cwd=tmp_path) == Outcome(
        2,
        "",
        "mailconf: unknown rule MC999; `mailconf rules` lists them (and `mailconf rules --probe` the probe checks)\n",
    )


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize("args", [("rules",), ("schema",), ("explain", "MC101"), ("lint", "accounts.yaml")])
def test_standard_output_that_cannot_be_written_exits_2_with_one_line(tmp_path: Path, args: tuple[str, ...]) -> None:
    write(tmp_path, "accounts.yaml", INSECURE)
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "mailconf", *args], cwd=tmp_path, stdout=full, stderr=subprocess.PIPE,
            text=True, timeout=120, check=False,
        )  # fmt: skip
    assert (done.returncode, done.stderr) == (
        2,
        "mailconf: standard output: cannot be written (No space left on device)\n",
    )


@pytest.mark.parametrize(
    "args", [("rules",), ("lint", "accounts.yaml"), ("render", "-t", "msmtp", "clean.yaml")], ids=" ".join
)
def test_standard_output_that_is_closed_exits_2_with_one_line(tmp_path: Path, args: tuple[str, ...]) -> None:
    """``mailconf lint a.yaml >&-``: Python starts with sys.stdout None; writing to it was an internal error."""
    write(tmp_path, "accounts.yaml", INSECURE)
    write(tmp_path, "clean.yaml", CLEAN)
    done = subprocess.run(
        ["sh", "-c", 'exec "$@" >&-', "sh", sys.executable, "-m", "mailconf", *args], cwd=tmp_path,
        stderr=subprocess.PIPE, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert (done.returncode, done.stderr) == (2, "mailconf: standard output: cannot be written (it is closed)\n")


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("render", "-t", "fetchmail", "clean.yaml"), 0),
        (("lint", "missing.yaml"), 2),
        (("explain", "MC999"), 2),
        (("probe", "missing.yaml"), 2),  # probe asked whether standard error (None) is a terminal: exit 3
    ],
    ids=lambda value: " ".join(value) if isinstance(value, tuple) else str(value),
)
def test_standard_error_that_is_closed_keeps_the_exit_code(tmp_path: Path, args: tuple[str, ...], code: int) -> None:
    """``mailconf render ... 2>&-`` in a cron job: the first line for standard error (a gap warning, an error) raised
    again while main() reported it, and every run ended with Python's exit 1, success and usage errors alike."""
    write(tmp_path, "clean.yaml", CLEAN)
    done = subprocess.run(
        ["sh", "-c", 'exec "$@" 2>&-', "sh", sys.executable, "-m", "mailconf", *args], cwd=tmp_path,
        stdout=subprocess.DEVNULL, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == code


def _accounts(count: int, security: str) -> str:
    """``count`` accounts with one outgoing server each: ``security: none`` gives one MC101 finding per account."""
    account = (
        "  a{i}:\n    address: a{i}@example.com\n    outgoing:\n      host: smtp.example.com\n"
        f"      security: {security}\n      auth: password\n      password_command: pass show work\n"
    )
    return "version: 1\naccounts:\n" + "".join(account.format(i=i) for i in range(count))


MC101_LINE = (
    b"insecure.yaml:7:17: error MC101 cleartext-credentials: password login to smtp.example.com without TLS "
    b"sends the credentials in cleartext; set security: tls (port 465)\n"
)


@pytest.mark.parametrize("unbuffered", ["", "1"], ids=["buffered", "PYTHONUNBUFFERED"])
@pytest.mark.parametrize(
    ("args", "first_line"),
    [
        (("lint", "--exit-zero", "insecure.yaml"), MC101_LINE),  # would exit 0
        (("lint", "insecure.yaml"), MC101_LINE),  # would exit 1: the reader saw no verdict, so 141 all the same
        (("render", "-t", "msmtp", "secure.yaml"), b"# msmtp configuration written by mailconf (target msmtp).\n"),
    ],
)
def test_a_reader_that_stops_early_ends_the_command_quietly_with_141(
    tmp_path: Path, args: tuple[str, ...], first_line: bytes, unbuffered: str
) -> None:
    """``mailconf lint big.yaml | head -1``: exit 141 (128 + SIGPIPE, as ``cat`` would), never 1, and nothing on
    standard error: no traceback, no "Exception ignored" when Python flushes standard output at exit.

    The output (over 300 kB) is far more than a pipe holds, so mailconf is still writing when the
    reader closes its end. With PYTHONUNBUFFERED (many container images set it) standard output is a
    raw file whose one write takes part of the report and returns: CPython's text layer dropped the
    rest without an error, and mailconf exited 0 or 1 as if the reader had seen it all.
    """
    write(tmp_path, "insecure.yaml", _accounts(2000, "none"))
    write(tmp_path, "secure.yaml", _accounts(2000, "tls"))
    environ = {k: v for k, v in os.environ.items() if k not in ("PYTHONUNBUFFERED", "MAILCONF_DEBUG")}
    if unbuffered:
        environ["PYTHONUNBUFFERED"] = unbuffered
    with subprocess.Popen(
        [sys.executable, "-m", "mailconf", *args], cwd=tmp_path, env=environ, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:  # fmt: skip
        assert process.stdout is not None and process.stderr is not None
        first = process.stdout.readline()
        process.stdout.close()  # `head -1` exits
        stderr = process.stderr.read()
        code = process.wait(timeout=120)
    assert (first, code, stderr) == (first_line, 141, b"")


def test_explain_prints_the_rule_docstring(tmp_path: Path) -> None:
    outcome = run_mailconf("explain", "cleartext-credentials", cwd=tmp_path)
    assert outcome.code == 0
    lines = outcome.stdout.splitlines()
    assert lines[:2] == [
        "MC101 cleartext-credentials (default severity: error)",
        "Credentials sent over a connection without TLS",
    ]
    assert "Reference: RFC 8314" in outcome.stdout


#: What only some commands need (docs/architecture.md, "Layout of the code"): the schema's explainer, the
#: templates, and the probe engine (its connections, TLS and SASL; the check catalogue alone is light).
HEAVY = ("jsonschema", "jinja2", "mailconf.probe.runner", "asyncio", "ssl")


@pytest.mark.parametrize(
    "args",
    [("--help",), ("rules",), ("rules", "--probe"), ("explain", "MC104"), ("explain", "MC805"), ("lint", "a.yaml")],
)
def test_commands_that_need_no_heavy_stage_do_not_import_it(tmp_path: Path, args: tuple[str, ...]) -> None:
    """`rules` and `explain` read the probe checks' catalogue, not the probe engine; a clean lint needs no
    explainer and no template."""
    write(tmp_path, "a.yaml", CLEAN)
    probe = (
        "import sys; from mailconf.cli import main\n"
        "try: code = main(sys.argv[1:])\n"
        "except SystemExit as exc: code = exc.code\n"
        f"print(code, sorted(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, *args], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.stderr == "0 []\n"


def test_python_dash_m_and_the_console_script_agree(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", INSECURE)
    script = Path(sys.executable).with_name("mailconf")
    exe = str(script) if script.exists() else "mailconf"
    done = subprocess.run([exe, "lint", "a.yaml"], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout) == run_mailconf("lint", "a.yaml", cwd=tmp_path)[:2]


def test_endless_input_exits_2_with_bounded_memory(tmp_path: Path) -> None:
    """/dev/zero never ends: it is not a regular file, so it is refused before a byte is read
    (a regular file over 64 MiB is refused from its size: tests/test_input_files.py)."""
    assert run_mailconf("lint", "/dev/zero", cwd=tmp_path) == Outcome(
        2, "", "mailconf: /dev/zero: not a regular file; it is a character device, name a YAML file\n"
    )


def test_mailconf_with_no_command_prints_its_help_on_standard_error_and_exits_2(tmp_path: Path) -> None:
    """As ruff and git do: no command is a usage error (docs/exit-codes.md), and standard output stays empty for a
    script that captured it. click 8.1 printed the help on standard output with exit 0 (pyproject: click>=8.2)."""
    outcome = run_mailconf(cwd=tmp_path)
    assert (outcome.code, outcome.stdout) == (2, "")
    assert outcome.stderr.startswith("Usage: mailconf [OPTIONS] COMMAND [ARGS]...\n")
    assert "\nCommands:\n" in outcome.stderr


#: A value of 100 kB (a variable holding a whole file) and one with an ESC: every usage error quotes what the user
#: typed alike (mailconf.errors.shown): as typed when it is a plain word, else in single quotes with control
#: characters escaped as Python writes them (\x1b, errors.printable), and cut after 240 characters with how long it
#: was. They were echoed whole (a 100 kB line), and escaped two ways ('\x1b' and \u001b).
LONG = "x" * 100_000
LONG_SHOWN = "x" * 240 + "... (100000 characters)"
ESC = "a\x1bb"
ESC_SHOWN = "'a\\x1bb'"
RULES_HINT = "`mailconf rules [--probe]` lists them"


@pytest.mark.parametrize(("value", "quoted"), [(LONG, LONG_SHOWN), (ESC, ESC_SHOWN)], ids=["100kB", "escape"])
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["explain", "{}"],
         "unknown rule {}; `mailconf rules` lists them (and `mailconf rules --probe` the probe checks)"),
        (["lint", "--disable", "{}", "a.yaml"], "--disable: unknown rule {}; " + RULES_HINT),
        (["lint", "--severity", "{}", "a.yaml"], "--severity {}: write RULE=LEVEL, like MC104=error"),
        (["lint", "--severity", "{}=error", "a.yaml"], "--severity: unknown rule {}; " + RULES_HINT),
        (["lint", "--severity", "MC101={}", "a.yaml"], "--severity: unknown severity {}: use info, warning or error"),
        (["render", "-t", "msmtp", "-a", "{}", "a.yaml"], "no account named {} (accounts: work)"),
        (["render", "-t", "msmtp", "--option", "{}", "a.yaml"], "--option {}: write KEY=VALUE"),
        (["render", "-t", "msmtp", "--option", "{}=1", "a.yaml"],
         "--option {}: unknown for target msmtp (known: none)"),
        (["render", "-t", "aerc", "--option", "version={}", "a.yaml"],
         "--option version: write aerc's version as MAJOR.MINOR[.PATCH] (like 0.20), not {}"),
        (["discover", "{}"], "{} is not an e-mail address (name@domain.example)"),
        (["discover", "--name", "{}", "a@example.test"],
         "--name {}: an account name is 1-64 letters, digits, '.', '_' or '-'"),
        (["discover", "--timeout", "{}", "a@example.test"], "--timeout {}: give seconds above 0, at most 3600"),
        (["discover", "--ispdb-url", "{}", "a@example.test"],
         "--ispdb-url {}: give an https:// or http:// URL (the domain is appended)"),
        (["discover", "--dns-server", "{}", "a@example.test"],
         "--dns-server {0}: {0} is not an IP address (a DNS server is given by address)"),
        (["serve", "--bind", "{}", "a.yaml"], "--bind {}: give HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080"),
    ],
)  # fmt: skip
def test_a_usage_error_quotes_what_was_typed_one_way(  # noqa: PLR0917 - two parametrize axes and three fixtures
    args: list[str], message: str, value: str, quoted: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    (tmp_path / "a.yaml").write_text(CLEAN)
    monkeypatch.chdir(tmp_path)
    capfd.readouterr()
    code = cli.main([arg.format(value) for arg in args])
    assert (code, *capfd.readouterr()) == (2, "", f"mailconf: {message.format(quoted)}\n")


@pytest.mark.parametrize(("value", "quoted"), [(LONG, LONG_SHOWN), (ESC, ESC_SHOWN)], ids=["100kB", "escape"])
def test_a_choice_click_refuses_quotes_what_was_typed_one_way(
    value: str, quoted: str, capfd: pytest.CaptureFixture[str]
) -> None:
    """Click's own refusal of a choice (its three lines) quotes the value alike: it was repr() of all of it."""
    capfd.readouterr()
    code = cli.main(["render", "-t", value, "a.yaml"])
    choices = ", ".join(repr(name) for name in (*sorted(TARGETS), "all"))
    assert (code, *capfd.readouterr()) == (
        2,
        "",
        "Usage: mailconf render [OPTIONS] FILE\nTry 'mailconf render --help' for help.\n\n"
        f"Error: Invalid value for '--target' / '-t': {quoted} is not one of {choices}.\n",
    )
