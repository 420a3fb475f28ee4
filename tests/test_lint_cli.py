"""The lint command line that ruff and yamllint users expect: paths, standard input, report options, settings.

Each test runs the real ``python -m mailconf`` (tests.test_cli.run_mailconf) in a
directory it builds, and compares the exact output and exit code.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from mailconf import __version__
from tests.test_cli import CLEAN, INSECURE, Outcome, run_mailconf

#: INSECURE's one finding, at the file named by {path}
MC101 = (
    "{path}:8:17: {level} MC101 cleartext-credentials: password login to imap.example.com without TLS "
    "sends the credentials in cleartext; set security: tls (port 993)\n"
)


def finding(path: str, level: str = "error") -> str:
    return MC101.format(path=path, level=level)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository (a `.git` folder is all mailconf looks for) with account files at several depths."""
    root = tmp_path / "repo"
    for name, text in {
        "accounts.yaml": INSECURE,
        "team/b.yml": INSECURE,
        "team/a.yaml": CLEAN,
        "team/notes.txt": INSECURE,
        ".github/workflows/ci.yml": "on: push\n",
        ".hidden.yaml": INSECURE,
        "build/generated.yaml": INSECURE,
    }.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    (root / ".git").mkdir()
    (root / ".gitignore").write_text("build/\n", encoding="utf-8")
    return root


def test_a_directory_yields_its_account_files_recursively(repo: Path) -> None:
    """*.yaml and *.yml, sorted; hidden files and folders and what .gitignore ignores are passed over."""
    expected = finding("accounts.yaml") + finding("team/b.yml") + "2 errors in 2 files (3 files checked)\n"
    assert run_mailconf("lint", ".", cwd=repo) == Outcome(1, expected, "")
    assert run_mailconf("lint", "team", cwd=repo) == Outcome(
        1, finding("team/b.yml") + "1 error in 1 file (2 files checked)\n", ""
    )


def test_a_link_loop_in_a_walked_directory_is_one_line_and_the_rest_is_linted(repo: Path) -> None:
    (repo / "loop.yaml").symlink_to("loop.yaml")
    expected = finding("accounts.yaml") + finding("team/b.yml") + "2 errors in 2 files (3 files checked)\n"
    assert run_mailconf("lint", ".", cwd=repo) == Outcome(
        2, expected, "mailconf: loop.yaml: cannot be read (Too many levels of symbolic links)\n"
    )


def test_a_link_in_a_walked_directory_is_selected_by_its_own_name(repo: Path) -> None:
    """As git matches it: by the link's name, not the name of the file it points to."""
    (repo / "team" / "notes.txt").rename(repo / "team" / "insecure.txt")
    (repo / "linked.yaml").symlink_to("team/insecure.txt")
    (repo / "notes.txt").symlink_to("team/b.yml")
    expected = finding("accounts.yaml") + finding("linked.yaml") + finding("team/b.yml")
    assert run_mailconf("lint", ".", cwd=repo) == Outcome(1, expected + "3 errors in 3 files (4 files checked)\n", "")


def test_a_gitignore_pattern_that_is_not_valid_is_passed_over_as_git_does(repo: Path) -> None:
    """A trailing backslash, a lone ``!``, a reversed range match nothing; the valid patterns still apply."""
    (repo / ".gitignore").write_text("\\\n!\n[z-a]\n[[:alpha:]]\nbuild/\n", encoding="utf-8")
    expected = finding("accounts.yaml") + finding("team/b.yml") + "2 errors in 2 files (3 files checked)\n"
    assert run_mailconf("lint", ".", cwd=repo) == Outcome(1, expected, "")


def test_a_deeper_gitignores_negation_re_includes_what_one_above_ignores(repo: Path) -> None:
    """As `git status --ignored` sees it: team/.gitignore's `!b.yml` wins over the root's `*.yml`, in team/ and
    below it; a file that no negation names stays ignored. Any match above used to ignore it."""
    (repo / ".gitignore").write_text("build/\n*.yml\n", encoding="utf-8")
    (repo / "team/.gitignore").write_text("!b.yml\n", encoding="utf-8")
    (repo / "team/deep").mkdir()
    (repo / "team/deep/b.yml").write_text(INSECURE, encoding="utf-8")
    (repo / "team/deep/c.yml").write_text(INSECURE, encoding="utf-8")
    expected = finding("accounts.yaml") + finding("team/b.yml") + finding("team/deep/b.yml")
    assert run_mailconf("lint", ".", cwd=repo) == Outcome(1, expected + "3 errors in 3 files (4 files checked)\n", "")


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_gitignore_that_is_not_a_regular_file_holds_no_pattern(repo: Path, kind: str) -> None:
    """As git reads it (a FIFO's size is 0): a FIFO was read until a writer came, forever, and a link to /dev/zero
    until the memory ran out."""
    import os

    gitignore = repo / "team" / ".gitignore"
    if kind == "fifo":
        os.mkfifo(gitignore)
    else:
        gitignore.symlink_to("/dev/zero")
    expected = finding("accounts.yaml") + finding("team/b.yml") + "2 errors in 2 files (3 files checked)\n"
    assert run_mailconf("lint", ".", cwd=repo) == Outcome(1, expected, "")


def test_a_file_named_twice_however_spelt_is_linted_once(repo: Path) -> None:
    out = run_mailconf("lint", "team", "./team/b.yml", "accounts.yaml", str(repo / "accounts.yaml"), "team/", cwd=repo)
    assert out == Outcome(
        1, finding("team/b.yml") + finding("accounts.yaml") + "2 errors in 2 files (3 files checked)\n", ""
    )


def test_a_file_named_directly_and_through_a_link_is_linted_once_under_the_first_name(repo: Path) -> None:
    """One file is one file (its device and inode): a symbolic link, a hard link or a link to a folder above it
    named beside it was linted twice, each finding said twice. The findings name the path as it was given first."""
    (repo / "link.yaml").symlink_to("accounts.yaml")
    os.link(repo / "team" / "b.yml", repo / "hard.yml")
    (repo / "here").symlink_to(".")
    out = run_mailconf("lint", "link.yaml", "accounts.yaml", "here/accounts.yaml", "hard.yml", "team/b.yml", cwd=repo)
    assert out == Outcome(1, finding("link.yaml") + finding("hard.yml") + "2 errors in 2 files\n", "")


def test_a_link_in_a_walked_directory_to_a_file_found_there_is_linted_once(repo: Path) -> None:
    """Found twice in one walk (a file and a link to it): linted once, by the name the walk gives it first."""
    (repo / "team" / "z.yaml").symlink_to("b.yml")
    expected = finding("accounts.yaml") + finding("team/b.yml") + "2 errors in 2 files (3 files checked)\n"
    assert run_mailconf("lint", ".", cwd=repo) == Outcome(1, expected, "")


def test_a_tree_deeper_than_the_recursion_limit_is_walked_and_its_settings_found(repo: Path) -> None:
    """The walk and the settings search are loops. The limit is lowered to 200 (from 1,000) in the
    subprocess, so that a tree 300 folders deep stands for one of 1,100 at a small cost."""
    import subprocess
    import sys

    deep = Path("deep", *["a"] * 300)
    (repo / deep).mkdir(parents=True)
    (repo / deep / "x.yaml").write_text(INSECURE, encoding="utf-8")
    code = "import sys; sys.setrecursionlimit(200); from mailconf.cli import main; sys.exit(main(sys.argv[1:]))"
    for path in ("deep", f"{deep}/x.yaml"):
        done = subprocess.run(
            [sys.executable, "-c", code, "lint", "-q", path], cwd=repo, capture_output=True, text=True,
            timeout=120, check=False,
        )  # fmt: skip
        assert Outcome(done.returncode, done.stdout, done.stderr) == Outcome(1, finding(f"{deep}/x.yaml"), "")


def test_a_named_file_is_always_read(repo: Path) -> None:
    out = run_mailconf("lint", "build/generated.yaml", "team/notes.txt", cwd=repo)
    assert out == Outcome(1, finding("build/generated.yaml") + finding("team/notes.txt") + "2 errors in 2 files\n", "")


def test_include_and_exclude_in_the_settings(repo: Path) -> None:
    (repo / ".mailconf.yaml").write_text('include: ["*.txt", "accounts.yaml"]\nexclude: ["team/b.yml"]\n')
    out = run_mailconf("lint", ".", cwd=repo)
    assert out == Outcome(1, finding("accounts.yaml") + finding("team/notes.txt") + "2 errors in 2 files\n", "")


def test_bad_include_is_one_line(repo: Path) -> None:
    (repo / ".mailconf.yaml").write_text("include: '*.yaml'\n")
    assert run_mailconf("lint", "accounts.yaml", cwd=repo) == Outcome(
        2, "", f'mailconf: {repo / ".mailconf.yaml"}:1:10: `include` must be a list of .gitignore-style patterns, '
        'like "*.yaml"\n',
    )  # fmt: skip


def test_an_include_or_exclude_pattern_that_is_not_valid_is_one_line_with_its_place(repo: Path) -> None:
    """pathspec cannot compile a reversed range or a trailing backslash: exit 2 naming it, when a folder is walked."""
    (repo / ".mailconf.yaml").write_text("exclude:\n  - build/\n  - 'team/\\'\n")
    assert run_mailconf("lint", ".", cwd=repo) == Outcome(
        2, "", f"mailconf: {repo / '.mailconf.yaml'}:3:5: exclude: `team/\\` is not a valid .gitignore-style pattern; "
        "fix it (a literal [ or a trailing \\ is written \\[ or \\\\) or remove it\n",
    )  # fmt: skip
    (repo / ".mailconf.yaml").write_text('include: ["*.yaml", "[z-a]"]\n')
    out = run_mailconf("lint", ".", cwd=repo)
    assert out.code == 2
    assert out.stderr.startswith(f"mailconf: {repo / '.mailconf.yaml'}:1:21: include: `[z-a]` is not a valid")


def test_standard_input_with_a_name_and_its_settings(repo: Path) -> None:
    (repo / "team" / ".mailconf.yaml").write_text("severity: {MC101: warning}\n")
    text = INSECURE
    assert run_mailconf("lint", "-", cwd=repo, stdin=text) == Outcome(1, finding("-") + "1 error in 1 file\n", "")
    out = run_mailconf("lint", "-", "--stdin-filename", "team/new.yaml", cwd=repo, stdin=text)
    assert out == Outcome(0, finding("team/new.yaml", "warning") + "1 warning in 1 file\n", "")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("accounts.yaml", "--stdin-filename", "team/new.yaml"),
            "--stdin-filename team/new.yaml: names standard input, and no PATH is -; add - to read it (mailconf "
            "lint - --stdin-filename team/new.yaml)",
        ),
        (
            ("-", "--stdin-filename", ""),
            "--stdin-filename '': an empty path names no file (an unset variable?); name the file standard input "
            "stands for",
        ),
    ],
    ids=["without -", "empty"],
)
def test_a_stdin_filename_that_names_nothing_exits_2_with_one_line(
    repo: Path, args: tuple[str, ...], message: str
) -> None:
    """Without `-` the name was ignored without a word (the file linted with its own settings, exit 0 or 1, as if
    the name had been read); an empty one began every finding with `:8:17:`."""
    (repo / "team" / ".mailconf.yaml").write_text("disable: [MC101]\n")
    assert run_mailconf("lint", *args, cwd=repo, stdin=INSECURE) == Outcome(2, "", f"mailconf: {message}\n")


def test_unsafe_fixes_without_fix_or_diff_exits_2_with_one_line(repo: Path) -> None:
    """It only adds fixes to --fix and --diff: alone the report was the same as without it, and the --fix left
    out went unnoticed (exit 1, the file unchanged)."""
    before = (repo / "accounts.yaml").read_text()
    assert run_mailconf("lint", "--unsafe-fixes", "accounts.yaml", cwd=repo) == Outcome(
        2, "", "mailconf: --unsafe-fixes adds fixes to --fix or --diff: use it with one of them\n"
    )
    assert (repo / "accounts.yaml").read_text() == before


def test_standard_input_that_is_closed_is_one_line_and_the_rest_is_linted(repo: Path) -> None:
    """``mailconf lint - accounts.yaml <&-``: sys.stdin is None, which was an internal error (exit 3)."""
    import subprocess
    import sys

    done = subprocess.run(
        ["sh", "-c", 'exec "$@" <&-', "sh", sys.executable, "-m", "mailconf", "lint", "-", "accounts.yaml"],
        cwd=repo, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert Outcome(done.returncode, done.stdout, done.stderr) == Outcome(
        2,
        finding("accounts.yaml") + "1 error in 1 file\n",
        "mailconf: -: standard input cannot be read (it is closed); name a YAML file\n",
    )


def test_standard_input_that_is_a_folder_stops_python_before_mailconf_runs(repo: Path) -> None:
    """``mailconf lint - < /``: CPython refuses to start (``init_sys_streams``, before ``site`` and any code of
    mailconf's), exit 1 with nothing on standard output: no message of ours can be given, and docs/lint.md and
    docs/exit-codes.md say so. If a Python lets the program start, this fails: then give it our own line."""
    import subprocess
    import sys

    folder = os.open(repo, os.O_RDONLY)
    try:
        done = subprocess.run([sys.executable, "-m", "mailconf", "lint", "-"], cwd=repo, stdin=folder,
                              capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    finally:
        os.close(folder)
    first = done.stderr.splitlines()[0]
    assert (done.returncode, done.stdout, first) == (
        1,
        "",
        "Fatal Python error: init_sys_streams: <stdin> is a directory, cannot continue",
    )


def test_settings_are_found_from_each_file_upward(repo: Path) -> None:
    (repo / "team" / ".mailconf.yaml").write_text("severity: {MC101: warning}\n")
    out = run_mailconf("lint", "accounts.yaml", "team/b.yml", cwd=repo)
    assert out == Outcome(
        1,
        finding("accounts.yaml") + finding("team/b.yml", "warning") + "1 error, 1 warning in 2 files\n",
        "",
    )


def test_settings_above_the_repository_root_do_not_apply(repo: Path) -> None:
    (repo.parent / ".mailconf.yaml").write_text("disable: [MC101]\n")
    assert run_mailconf("lint", "accounts.yaml", cwd=repo).code == 1
    (repo / ".git").rmdir()  # no repository: the walk goes on up
    assert run_mailconf("lint", "accounts.yaml", cwd=repo) == Outcome(0, "", "")


def test_the_users_own_settings_apply_where_a_project_has_none(repo: Path, tmp_path: Path) -> None:
    user = tmp_path / "xdg"
    (user / "mailconf").mkdir(parents=True)
    (user / "mailconf" / "config.yaml").write_text("severity: {MC101: info}\n")
    env = {"XDG_CONFIG_HOME": str(user)}
    assert run_mailconf("lint", "accounts.yaml", cwd=repo, env=env) == Outcome(
        0, finding("accounts.yaml", "info") + "1 info in 1 file\n", ""
    )
    (repo / "pyproject.toml").write_text("[tool.mailconf]\nfail-level = 'error'\n")
    assert run_mailconf("lint", "accounts.yaml", cwd=repo, env=env).code == 1  # the project's settings win


def test_a_relative_xdg_config_home_is_passed_over_for_the_default(repo: Path, tmp_path: Path) -> None:
    """XDG Base Directory: a relative path is invalid and ignored. It was read relative to the current folder, so
    the user's settings changed with the folder mailconf was started from (here: the repository's team/)."""
    (repo / "team" / "mailconf").mkdir()
    (repo / "team" / "mailconf" / "config.yaml").write_text("disable: [MC101]\n")
    home = tmp_path / "home"
    (home / ".config" / "mailconf").mkdir(parents=True)
    (home / ".config" / "mailconf" / "config.yaml").write_text("severity: {MC101: info}\n")
    for xdg in ("team", "./team", ""):
        env = {"XDG_CONFIG_HOME": xdg, "HOME": str(home)}
        assert run_mailconf("lint", "accounts.yaml", cwd=repo, env=env) == Outcome(
            0, finding("accounts.yaml", "info") + "1 info in 1 file\n", ""
        )


def test_an_xdg_config_home_the_system_refuses_is_passed_over(repo: Path, tmp_path: Path) -> None:
    """A folder name over 255 bytes: Path.is_file() raised ENAMETOOLONG, an internal error (exit 3)."""
    env = {"XDG_CONFIG_HOME": str(tmp_path / ("x" * 300))}
    assert run_mailconf("lint", "accounts.yaml", cwd=repo, env=env) == Outcome(
        1, finding("accounts.yaml") + "1 error in 1 file\n", ""
    )


def test_output_file_exit_zero_and_quiet(repo: Path) -> None:
    assert run_mailconf("lint", "-q", "accounts.yaml", cwd=repo) == Outcome(1, finding("accounts.yaml"), "")
    assert run_mailconf("lint", "--exit-zero", "--output-file", "report.txt", "accounts.yaml", cwd=repo) == Outcome(
        0, "", ""
    )
    assert (repo / "report.txt").read_text() == finding("accounts.yaml") + "1 error in 1 file\n"


def test_output_file_and_write_baseline_make_the_missing_folders_or_leave_none(repo: Path) -> None:
    """`-O reports/lint.txt` in a fresh checkout (ruff check -o makes the folders too): exit 2 before, `cannot write
    the report (No such file or directory)`. Made 0700, as render -o makes them; removed again when the file cannot
    be written (a name over 255 bytes)."""
    assert run_mailconf("lint", "--exit-zero", "-O", "missing/dir/r.txt", "accounts.yaml", cwd=repo) == Outcome(
        0, "", ""
    )
    assert (repo / "missing" / "dir" / "r.txt").read_text() == finding("accounts.yaml") + "1 error in 1 file\n"
    assert [stat.S_IMODE((repo / p).stat().st_mode) for p in ("missing", "missing/dir")] == [0o700, 0o700]
    assert run_mailconf("lint", "--write-baseline", "base/line/b.json", "accounts.yaml", cwd=repo).code == 0
    assert (repo / "base" / "line" / "b.json").is_file()
    long = f"new/{'a' * 300}"
    assert run_mailconf("lint", "-O", long, "accounts.yaml", cwd=repo) == Outcome(
        2, "", f"mailconf: {long}: cannot write the report (File name too long)\n"
    )
    assert not (repo / "new").exists()


def test_output_file_writes_through_links_and_into_streams(repo: Path) -> None:
    """A link's file is replaced (its mode kept), the link kept; a stream (here a link to /proc/self/fd/1,
    as /dev/stdout is) is written to, never replaced by a regular file."""
    report = finding("accounts.yaml") + "1 error in 1 file\n"
    (repo / "kept.txt").write_text("old\n")
    (repo / "kept.txt").chmod(0o640)
    (repo / "link.txt").symlink_to("kept.txt")
    assert run_mailconf("lint", "-O", "link.txt", "accounts.yaml", cwd=repo) == Outcome(1, "", "")
    assert (repo / "link.txt").is_symlink()
    assert (repo / "kept.txt").read_text() == report
    assert (repo / "kept.txt").stat().st_mode & 0o777 == 0o640
    (repo / "stdout").symlink_to("/proc/self/fd/1")
    assert run_mailconf("lint", "-O", "stdout", "accounts.yaml", cwd=repo) == Outcome(1, report, "")
    assert (repo / "stdout").is_symlink()


@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_output_file_dev_stdout_into_a_log_lands_between_the_lines_around_it(repo: Path, stream: str) -> None:
    """`{ echo before; mailconf lint -O /dev/stdout FILE; echo after; } > log`: the report lands where `before`
    ends and `after` follows it, as without -O. /dev/stdout was opened anew, for appending: the report went to the
    end of the log, but the shell's own offset stayed where `before` ended, so `after` overwrote the report's first
    six bytes (`ml:8:17: error MC101 ...`, after `before`/`after`)."""
    log = repo / "log"
    command = [sys.executable, "-m", "mailconf", "lint", "-O", f"/dev/{stream}", "accounts.yaml"]
    with log.open("wb", buffering=0) as shared:  # `> log`: no O_APPEND, one offset for every writer
        shared.write(b"before\n")
        out, err = (shared, None) if stream == "stdout" else (None, shared)
        done = subprocess.run(command, cwd=repo, check=False, timeout=120, stdout=out, stderr=err)
        shared.write(b"after\n")
    assert done.returncode == 1
    assert log.read_text() == "before\n" + finding("accounts.yaml") + "1 error in 1 file\n" + "after\n"


@pytest.mark.parametrize("name", ["/dev/fd/{fd}", "/proc/self/fd/{fd}"])
def test_output_file_dev_fd_into_a_log_lands_between_the_lines_around_it(repo: Path, name: str) -> None:
    """`{ echo before >&3; mailconf lint -O /dev/fd/3 FILE; echo after >&3; } 3> log`: the report is written
    through descriptor 3, at the offset the shell shares, as /dev/stdout is through 1. Only 1 and 2 were: /dev/fd/3
    was opened anew, for appending, and `after` overwrote the report's first six bytes."""
    log = repo / "log"
    with log.open("wb", buffering=0) as shared:  # `3> log`: no O_APPEND, one offset for every writer
        shared.write(b"before\n")
        fd = shared.fileno()
        command = [sys.executable, "-m", "mailconf", "lint", "-O", name.format(fd=fd), "accounts.yaml"]
        done = subprocess.run(command, cwd=repo, check=False, timeout=120, pass_fds=(fd,), capture_output=True)
        shared.write(b"after\n")
    assert (done.returncode, done.stdout, done.stderr) == (1, b"", b"")
    assert log.read_text() == "before\n" + finding("accounts.yaml") + "1 error in 1 file\n" + "after\n"


# --output-file replaces its file as --fix and --write-baseline do (mailconf.replace): it used to write a temporary
# and rename it with nothing more, so a report took root's ownership in a user's folder, lost its ACL, replaced a
# file its owner made read-only, and could be renamed into place before its bytes were on disk.


def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_output_file_does_not_replace_a_read_only_file(repo: Path) -> None:
    from tests.test_cli import _without_file_override

    (repo / "report.txt").write_text("old\n")
    (repo / "report.txt").chmod(0o444)
    before = _listing(repo)
    preexec = _without_file_override if os.geteuid() == 0 else None
    assert run_mailconf("lint", "-O", "report.txt", "accounts.yaml", cwd=repo, preexec=preexec) == Outcome(
        2, "", "mailconf: report.txt: is read-only; nothing written, make it writable\n"
    )
    assert ((repo / "report.txt").read_text(), (repo / "report.txt").stat().st_mode & 0o777) == ("old\n", 0o444)
    assert _listing(repo) == before


def test_a_read_only_report_fixed_file_and_baseline_are_refused_as_root_too(repo: Path) -> None:
    """lint.md: "a read-only file (chmod a-w) is not replaced". Root may write any file, and was let through: the
    sysadmin who made a file read-only had it replaced. Run as whoever runs the suite (CI: root)."""
    (repo / "report.txt").write_text("old\n")
    (repo / "base.json").write_text("{}\n")
    for name in ("report.txt", "base.json", "accounts.yaml"):
        (repo / name).chmod(0o444)
    before = {p.name: p.read_bytes() for p in repo.iterdir() if p.is_file()}
    refused = "is read-only; nothing written, make it writable"
    assert run_mailconf("lint", "-O", "report.txt", "accounts.yaml", cwd=repo) == Outcome(
        2, "", f"mailconf: report.txt: {refused}\n"
    )
    assert run_mailconf("lint", "--write-baseline", "base.json", "accounts.yaml", cwd=repo) == Outcome(
        2, "", f"mailconf: base.json: {refused}\n"
    )
    # its findings reported as it has them (none fixed), as ruff does
    assert run_mailconf("lint", "--fix", "--unsafe-fixes", "accounts.yaml", cwd=repo) == Outcome(
        2,
        finding("accounts.yaml") + "1 error in 1 file\n",
        f"mailconf: fixed 0 findings in 0 files\nmailconf: accounts.yaml: {refused} to fix it\n",
    )
    assert {p.name: p.read_bytes() for p in repo.iterdir() if p.is_file()} == before


def test_output_file_keeps_the_files_extended_attributes(repo: Path) -> None:
    path = repo / "report.txt"
    path.write_text("old\n")
    try:
        os.setxattr(path, "user.mailconf-test", b"shared with ops")
    except OSError as exc:
        pytest.skip(f"no user extended attributes on this file system ({exc.strerror})")
    assert run_mailconf("lint", "-O", "report.txt", "accounts.yaml", cwd=repo) == Outcome(1, "", "")
    assert path.read_text() == finding("accounts.yaml") + "1 error in 1 file\n"
    assert os.getxattr(path, "user.mailconf-test") == b"shared with ops"


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can make a file another user's (CI runs as root)")
def test_output_file_keeps_the_files_owner_and_group_or_writes_nothing(repo: Path) -> None:
    from tests.test_fix import _without_chown

    path = repo / "report.txt"
    path.write_text("old\n")
    os.chown(path, 65534, 65534)
    os.chmod(path, 0o640)
    before = _listing(repo)
    assert run_mailconf("lint", "-O", "report.txt", "accounts.yaml", cwd=repo, preexec=_without_chown) == Outcome(
        2,
        "",
        "mailconf: report.txt: cannot keep its owner and group (65534:65534); nothing written, "
        "write the report as its owner\n",
    )
    assert path.read_text() == "old\n"
    assert _listing(repo) == before
    assert run_mailconf("lint", "-O", "report.txt", "accounts.yaml", cwd=repo) == Outcome(1, "", "")
    info = path.stat()
    assert (info.st_uid, info.st_gid, info.st_mode & 0o777) == (65534, 65534, 0o640)
    assert path.read_text() == finding("accounts.yaml") + "1 error in 1 file\n"


def test_output_file_is_on_disk_before_it_replaces_the_old_one(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The one fake: a disk that fills up when the report is flushed to it (fsync), as a full or failing disk does
    for data the page cache accepted. Renamed without that flush, a crash could leave an empty report."""
    from mailconf import cli

    (repo / "report.txt").write_text("old\n")
    before = _listing(repo)

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    monkeypatch.chdir(repo)
    assert cli.main(["lint", "-O", "report.txt", "accounts.yaml"]) == 2
    assert capsys.readouterr() == ("", "mailconf: report.txt: cannot write the report (No space left on device)\n")
    assert (repo / "report.txt").read_text() == "old\n"
    assert _listing(repo) == before


@pytest.mark.parametrize("option", ["--output-file", "--write-baseline"])
def test_an_output_that_is_a_file_being_linted_is_refused(repo: Path, option: str) -> None:
    """Neither the report nor a baseline ever replaces an account file, named or found in a folder, or linked."""
    (repo / "link.txt").symlink_to("team/b.yml")
    for output, paths, named in (
        ("accounts.yaml", ("accounts.yaml",), "accounts.yaml"),
        ("link.txt", ("team",), "team/b.yml"),
    ):
        out = run_mailconf("lint", option, output, *paths, cwd=repo)
        assert out == Outcome(
            2, "", f"mailconf: {output}: {option} names {named}, a file being checked; choose another file\n"
        )
    assert (repo / "accounts.yaml").read_text() == INSECURE
    assert (repo / "team/b.yml").read_text() == INSECURE


@pytest.mark.parametrize(
    ("option", "fix"),
    [("--output-file", ()), ("--output-file", ("--fix",)), ("--write-baseline", ())],
    ids=["report", "report-of-fix", "baseline"],
)
def test_an_output_that_is_the_file_stdin_filename_names_is_refused(
    repo: Path, option: str, fix: tuple[str, ...]
) -> None:
    """Standard input is that file's text (an editor's buffer, `< accounts.yaml`): `lint - --stdin-filename
    accounts.yaml -O accounts.yaml` replaced the account file with the report, `--write-baseline` with a baseline."""
    out = run_mailconf(
        "lint", *fix, "-", "--stdin-filename", "accounts.yaml", option, "./accounts.yaml", cwd=repo, stdin=INSECURE
    )
    assert out == Outcome(
        2,
        "",
        f"mailconf: ./accounts.yaml: {option} names accounts.yaml, the file standard input stands for "
        "(--stdin-filename); choose another file\n",
    )
    assert (repo / "accounts.yaml").read_text() == INSECURE


def test_an_output_that_is_the_settings_file_in_use_is_refused(repo: Path) -> None:
    """`--write-baseline .mailconf.yaml` (completed one key too soon) replaced the settings it had just read: the
    next run stopped at "unknown settings files, generator, version"."""
    settings = "disable: [MC706]  # the relay is slow\n"
    (repo / ".mailconf.yaml").write_text(settings)
    (repo / "pyproject.toml").write_text("[tool.mailconf]\n")
    found = os.path.realpath(repo / ".mailconf.yaml")
    for command, option, output, config, named in (
        ("lint", "--write-baseline", ".mailconf.yaml", (), found),
        ("lint", "--output-file", ".mailconf.yaml", (), found),
        ("lint", "--write-baseline", "pyproject.toml", ("--config", "pyproject.toml"), "pyproject.toml"),
        ("probe", "--output-file", ".mailconf.yaml", (), found),
    ):
        out = run_mailconf(command, *config, option, output, "accounts.yaml", cwd=repo)
        assert out == Outcome(
            2, "", f"mailconf: {output}: {option} names {named}, the settings file in use; choose another file\n"
        )
    assert (repo / ".mailconf.yaml").read_text() == settings
    assert (repo / "pyproject.toml").read_text() == "[tool.mailconf]\n"


def test_the_report_never_replaces_the_baseline_in_use(repo: Path) -> None:
    """`-O` naming the baseline read (given, or the settings') replaced it with the report, which the baseline
    had emptied: every finding came back at the next run, as "not a baseline file"."""
    assert run_mailconf("lint", "--write-baseline", "base.json", "accounts.yaml", cwd=repo).code == 0
    baseline = (repo / "base.json").read_text()
    out = run_mailconf("lint", "--baseline", "base.json", "-O", "base.json", "accounts.yaml", cwd=repo)
    assert out == Outcome(
        2, "", "mailconf: base.json: --output-file names base.json, the baseline in use; choose another file\n"
    )
    (repo / ".mailconf.yaml").write_text("baseline: base.json\n")
    out = run_mailconf("lint", "-O", "base.json", "accounts.yaml", cwd=repo)
    assert out == Outcome(
        2, "", "mailconf: base.json: --output-file names base.json, the baseline in use; choose another file\n"
    )
    assert (repo / "base.json").read_text() == baseline
    # writing the baseline again is what --write-baseline is for
    assert run_mailconf("lint", "--write-baseline", "base.json", "accounts.yaml", cwd=repo) == Outcome(
        0, "", "mailconf: wrote 1 baseline entry to base.json\n"
    )
    assert (repo / "base.json").read_text() == baseline


#: one outgoing server, anchored in account a, used by b through an alias and by c through a merge key
SHARED = (
    "version: 1\naccounts:\n"
    "  a:\n    address: a@example.com\n"
    "    outgoing: &out {host: smtp.example.com, timeout: 2, password_command: pass show t}\n"
    "  b:\n    address: b@example.com\n    outgoing: *out\n"
    "  c:\n    address: c@example.com\n    outgoing:\n      <<: *out\n      port: 465\n"
)
MC706 = "shared.yaml:5:54: warning MC706 timeout-too-short: a timeout of 2 s fails on slow networks and busy servers; "


def test_a_value_shared_through_an_alias_is_one_finding_at_its_place(tmp_path: Path) -> None:
    """Checked for each of the three servers, it was reported three times on the same line and column."""
    (tmp_path / "shared.yaml").write_text(SHARED)
    assert run_mailconf("lint", "shared.yaml", cwd=tmp_path) == Outcome(
        0, MC706 + "set timeout: 30\n1 warning in 1 file\n", ""
    )
    out = run_mailconf("lint", "--format", "json", "--fix", "shared.yaml", cwd=tmp_path)
    assert (out.code, out.stderr) == (0, "mailconf: fixed 0 findings in 0 files\n")  # shared: fixed by hand
    assert [(f["rule"], f["line"], f["column"], f["fix"]) for f in json.loads(out.stdout)] == [("MC706", 5, 54, None)]
    assert (tmp_path / "shared.yaml").read_text() == SHARED
    assert run_mailconf("lint", "--write-baseline", "base.json", "shared.yaml", cwd=tmp_path) == Outcome(
        0, "", "mailconf: wrote 1 baseline entry to base.json\n"
    )
    assert '"account": "a", "path": "outgoing.timeout"' in (tmp_path / "base.json").read_text()
    assert run_mailconf("lint", "--baseline", "base.json", "shared.yaml", cwd=tmp_path) == Outcome(0, "", "")


SHARED_SCALAR = (
    "version: 1\naccounts:\n"
    "  a:\n    address: a@example.com\n"
    "    outgoing: {host: smtp.example.com, timeout: &short 2, password_command: pass show t}\n"
    "  b:\n    address: b@example.com\n"
    "    outgoing: {host: smtp.example.com, timeout: *short, password_command: pass}\n"
    "  c:\n    address: c@example.com\n    outgoing:\n      host: smtp.example.com\n      timeout: *short\n"
    "      password_command: pass show t\n"
)


def test_a_scalar_shared_through_an_alias_is_one_finding_where_its_anchor_is_written(tmp_path: Path) -> None:
    """An anchored mapping's values were one finding at the anchor, an anchored scalar one finding at each alias
    (5:49, 9:49, 14:16): three lines to read for one value to change, and three baseline entries."""
    (tmp_path / "shared.yaml").write_text(SHARED_SCALAR)
    assert run_mailconf("lint", "shared.yaml", cwd=tmp_path) == Outcome(
        0, MC706.replace("5:54", "5:49") + "set timeout: 30\n1 warning in 1 file\n", ""
    )
    out = run_mailconf("lint", "--format", "json", "--fix", "shared.yaml", cwd=tmp_path)
    assert (out.code, out.stderr) == (0, "mailconf: fixed 0 findings in 0 files\n")  # shared: fixed by hand
    assert [(f["rule"], f["line"], f["column"], f["fix"]) for f in json.loads(out.stdout)] == [("MC706", 5, 49, None)]
    assert (tmp_path / "shared.yaml").read_text() == SHARED_SCALAR
    assert run_mailconf("lint", "--write-baseline", "base.json", "shared.yaml", cwd=tmp_path) == Outcome(
        0, "", "mailconf: wrote 1 baseline entry to base.json\n"
    )


def test_a_shared_value_that_breaks_the_schema_is_one_error_for_lint_and_render(tmp_path: Path) -> None:
    (tmp_path / "shared.yaml").write_text(SHARED.replace("timeout: 2", "timeout: -2"))
    mc002 = "shared.yaml:5:54: error MC002 schema-violation: `timeout` must be between 0 and 86400 (got -2)\n"
    notes = "".join(
        f"mailconf: note: shared.yaml:{line}:5: not checked: `outgoing` of account `{name}`: it does not match the "
        "schema; fix its MC002 findings and lint again\n"
        for line, name in ((5, "a"), (8, "b"), (11, "c"))
    )
    assert run_mailconf("lint", "shared.yaml", cwd=tmp_path) == Outcome(1, mc002 + "1 error in 1 file\n", notes)
    assert run_mailconf("render", "-t", "msmtp", "shared.yaml", cwd=tmp_path) == Outcome(
        1, "", mc002 + "mailconf: shared.yaml: not rendered: fix the errors above first (`mailconf lint shared.yaml`)\n"
    )


def test_exit_zero_still_reports_an_unreadable_file(repo: Path) -> None:
    out = run_mailconf("lint", "--exit-zero", "none.yaml", cwd=repo)
    assert out == Outcome(2, "", "mailconf: none.yaml: no such file; check the path\n")


RED = "\033[31merror\033[0m"


@pytest.mark.parametrize(
    ("options", "env", "coloured"),
    [
        ((), {}, False),  # not a terminal
        ((), {"FORCE_COLOR": "1"}, True),
        ((), {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),  # NO_COLOR wins, as in CPython
        (("--color", "always"), {"NO_COLOR": "1"}, True),  # the option wins over both
        (("--color", "never"), {"FORCE_COLOR": "1"}, False),
        (("--color", "auto"), {"FORCE_COLOR": ""}, False),  # empty means unset
    ],
)
def test_color(repo: Path, options: tuple[str, ...], env: dict[str, str], coloured: bool) -> None:
    out = run_mailconf("lint", *options, "accounts.yaml", cwd=repo, env=env)
    expected = finding("accounts.yaml")
    assert out.stdout.splitlines()[0] + "\n" == (expected.replace("error", RED, 1) if coloured else expected)


def test_bad_color_is_a_usage_error(repo: Path) -> None:
    out = run_mailconf("lint", "--color", "sometimes", "accounts.yaml", cwd=repo)
    assert out.code == 2
    assert out.stderr.splitlines()[-1] == (
        "Error: Invalid value for '--color': sometimes is not one of 'auto', 'always', 'never'."
    )


@pytest.mark.parametrize("flag", ["-V", "--version"])
def test_version(tmp_path: Path, flag: str) -> None:
    assert run_mailconf(flag, cwd=tmp_path) == Outcome(0, f"mailconf, version {__version__}\n", "")


def test_a_directory_whose_account_files_a_gitignore_passes_over_says_so(repo: Path) -> None:
    """It said `(include: *.yaml, *.yml); name a file, or set include in the settings`: the files matched include,
    and no include would have brought them back."""
    (repo / ".gitignore").write_text("generated.yaml\n", encoding="utf-8")
    assert run_mailconf("lint", "build", cwd=repo) == Outcome(
        2, "", "mailconf: build: no account files here: 1 file that include (*.yaml, *.yml) selects is passed over "
        "by a .gitignore; name a file (a named file is always read), or change the .gitignore\n",
    )  # fmt: skip
    assert run_mailconf("lint", "build/generated.yaml", cwd=repo).code == 1


def test_a_directory_whose_account_files_exclude_passes_over_says_so(repo: Path) -> None:
    (repo / ".mailconf.yaml").write_text('exclude: ["team/*"]\n', encoding="utf-8")
    (repo / "team" / "c.yaml").write_text(INSECURE, encoding="utf-8")
    (repo / ".gitignore").write_text("c.yaml\n", encoding="utf-8")
    assert run_mailconf("lint", "team", cwd=repo) == Outcome(
        2, "", "mailconf: team: no account files here: 3 files that include (*.yaml, *.yml) selects are passed over "
        "by exclude and a .gitignore; name a file (a named file is always read), or change them\n",
    )  # fmt: skip


def test_a_directory_whose_account_files_are_in_folders_a_gitignore_passes_over_says_so(repo: Path) -> None:
    """`build/` in .gitignore and the account files in build/: lint never looks in the folder, and the message said
    only `set include in the settings`, which would not have helped."""
    for name in ("ops/build/a.yaml", "ops/eu/build/b.yaml", "ops/.cache/c.yaml", "ops/notes.txt"):
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(INSECURE, encoding="utf-8")
    assert run_mailconf("lint", "ops", cwd=repo) == Outcome(
        2, "", "mailconf: ops: no account files here (include: *.yaml, *.yml), and a .gitignore passes over 2 folders "
        "here, not looked in (build, eu/build); name a file, or set include in the settings\n",
    )  # fmt: skip
    (repo / "ops" / "build" / "a.yaml").unlink()  # an ignored folder holding no account file is named all the same
    (repo / "ops" / "eu" / "build" / "b.yaml").unlink()
    assert run_mailconf("lint", "ops", cwd=repo).stderr.endswith(
        "(build, eu/build); name a file, or set include in the settings\n"
    )
    (repo / ".gitignore").write_text("", encoding="utf-8")
    assert run_mailconf("lint", "ops", cwd=repo) == Outcome(
        2, "", "mailconf: ops: no account files here (include: *.yaml, *.yml); name a file, or set include in the "
        "settings\n",
    )  # fmt: skip
