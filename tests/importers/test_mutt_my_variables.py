"""``import --from mutt``/``neomutt``: a ``*_pass`` that is one ``$my_NAME`` alone is what ``my_NAME`` holds.

Public dotfiles often set ``my_pass`` from a backtick command and the passwords from it::

    set my_pass = "`pass show mail/work`"
    set imap_pass = $my_pass

The client runs the command as it reads the ``set my_pass`` line, and ``$my_pass`` expands to its output: the
password is the command's output, as with ``set imap_pass = "`pass show mail/work`"``, which the import reads as
``password_command``. Each file here is read by the real client first (``-Q``; the commands are harmless
``echo``s, run in a throwaway HOME), then imported; the imported account is rendered again and the client reads
the same password from the rendered file.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailconf.cli import main
from mailconf.importers import ReadOptions
from mailconf.importers._core import import_paths
from tests.conftest import need
from tests.targets._mutt_client import Client

ACCOUNT = (
    "set from = alice@example.com folder = imaps://alice@imap.example.com/ smtp_url = smtps://alice@smtp.example.com/\n"
)
LITERAL = (
    "the file holds a literal password (not imported): store it in a password manager and set password_command "
    "to the command that prints it"
)
NOT_EXPANDED = "names a variable ($...) that is not expanded"
#: the account the file imports, but the passwords
INCOMING = {"protocol": "imap", "host": "imap.example.com", "port": 993, "security": "tls", "username": "alice",
            "auth": "password"}  # fmt: skip
OUTGOING = {"host": "smtp.example.com", "port": 465, "security": "tls", "username": "alice", "auth": "password"}


def _query(binary: str, rc: Path, home: Path) -> dict[str, str]:
    home.mkdir(exist_ok=True)
    return Client(binary, home).query(rc, ["imap_pass", "smtp_pass"])


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
@pytest.mark.parametrize("reference", ["$my_pass", '"$my_pass"', "${my_pass}", '"${my_pass}"'])
def test_a_password_that_is_a_variable_holding_a_command_is_that_password_command(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, binary: str, reference: str
) -> None:
    # it was "imap_pass names a variable ($...) that is not expanded", and the account had no password_command
    need(binary)
    rc = tmp_path / "work.muttrc"
    rc.write_text(f'{ACCOUNT}set my_pass = "`echo s3cret`"\nset imap_pass = {reference}\nset smtp_pass={reference}\n')
    assert _query(binary, rc, tmp_path / "home") == {"imap_pass": "s3cret", "smtp_pass": "s3cret"}
    declared = tmp_path / "accounts.yaml"
    assert main(["import", "--from", binary, str(rc), "-o", str(declared)]) == 0
    assert capsys.readouterr() == ("", f"mailconf: wrote 1 account to {declared}; check it with `mailconf lint`\n")
    assert declared.read_text() == (
        f"# imported by `mailconf import --from {binary}` from {rc}\n"
        "version: 1\n"
        "accounts:\n"
        "  work:\n"
        "    address: alice@example.com\n"
        "    incoming:\n"
        "      protocol: imap\n"
        "      host: imap.example.com\n"
        "      port: 993\n"
        "      security: tls\n"
        "      username: alice\n"
        "      password_command: echo s3cret\n"
        "      auth: password\n"
        "    outgoing:\n"
        "      host: smtp.example.com\n"
        "      port: 465\n"
        "      security: tls\n"
        "      username: alice\n"
        "      password_command: echo s3cret\n"
        "      auth: password\n"
    )
    # the round trip: the client reads the same passwords from the file render writes for the imported account
    out = tmp_path / "rendered"
    assert main(["render", "-t", binary, str(declared), "-o", str(out)]) == 0
    capsys.readouterr()
    assert _query(binary, out / "work.muttrc", tmp_path / "home") == {"imap_pass": "s3cret", "smtp_pass": "s3cret"}


def _imported(binary: str, rc: Path, *, follow: bool = False) -> tuple[dict[str, object], tuple[str, ...]]:
    result = import_paths(binary, [str(rc)], ReadOptions(follow_source=follow))
    account = result.accounts["work"]
    passwords = {side: account[side].get("password_command") for side in ("incoming", "outgoing")}
    return passwords, tuple(str(note) for note in result.warnings)


#: (the lines after ACCOUNT, what mutt's and neomutt's imap_pass and smtp_pass are, the password commands imported,
#: the warnings: "{N}:{C}: message" for line N (ACCOUNT is line 1), column C)
CASES = {
    "the last set before the line": (
        'set my_pass = "`echo one`"\nset imap_pass = $my_pass\nset my_pass = `echo two`\nset smtp_pass = $my_pass\n',
        {"mutt": ("one", "two"), "neomutt": ("one", "two")},
        ("echo one", "echo two"),
        (),
    ),
    "a variable set from another": (
        'set my_a = "`echo s3cret`"\nset my_b = $my_a\nset imap_pass = "$my_b"\n',
        {"mutt": ("s3cret", ""), "neomutt": ("s3cret", "")},
        ("echo s3cret", None),
        (),
    ),
    "a variable of any name: its command is the password's, not reported": (
        'set my_password = "`echo s3cret`"\nset imap_pass = $my_password\n',
        {"mutt": ("s3cret", ""), "neomutt": ("s3cret", "")},
        ("echo s3cret", None),
        (),
    ),
    "set after the line": (
        'set imap_pass = $my_pass\nset my_pass = "`echo s3cret`"\n',
        {"mutt": ("", ""), "neomutt": ("$my_pass", "")},
        (None, None),
        (f"2:5: imap_pass {NOT_EXPANDED}",),
    ),
    "unset in between": (
        'set my_pass = "`echo s3cret`"\nunset my_pass\nset imap_pass = $my_pass\n',
        {"mutt": ("", ""), "neomutt": ("$my_pass", "")},
        (None, None),
        (f"4:5: imap_pass {NOT_EXPANDED}",),
    ),
    "reset in between": (
        'set my_pass = "`echo s3cret`"\nreset my_pass\nset imap_pass = "${my_pass}"\n',
        {"mutt": ("", ""), "neomutt": ("$my_pass", "")},  # neomutt keeps an unknown $name, braces dropped
        (None, None),
        (f"4:5: imap_pass {NOT_EXPANDED}",),
    ),
    "never set": (
        "set imap_pass = $my_pass\n",
        {"mutt": ("", ""), "neomutt": ("$my_pass", "")},
        (None, None),
        (f"2:5: imap_pass {NOT_EXPANDED}",),
    ),
    # the command's output is part of the password: said as a password of text and a command
    "text and the variable": (
        'set my_pass = "`echo s3cret`"\nset imap_pass = "x$my_pass"\n',
        {"mutt": ("xs3cret", ""), "neomutt": ("xs3cret", "")},
        (None, None),
        ("3:5: imap_pass mixes text and a command: not run, not imported",),
    ),
    "in single quotes: not expanded, a literal password": (
        "set my_pass = \"`echo s3cret`\"\nset imap_pass = '$my_pass'\n",
        {"mutt": ("$my_pass", ""), "neomutt": ("$my_pass", "")},
        (None, None),
        (f"3:5: {LITERAL}",),
    ),
    # the password is written at the my_pass line: said there, once for both passwords
    "a variable of text: a literal password": (
        "set my_pass = hunter2\nset imap_pass = $my_pass\nset smtp_pass = $my_pass\n",
        {"mutt": ("hunter2", "hunter2"), "neomutt": ("hunter2", "hunter2")},
        (None, None),
        (f"2:5: {LITERAL}",),
    ),
    "a command in single quotes is not run: a literal password": (
        "set my_pass = '`echo s3cret`'\nset imap_pass = $my_pass\n",
        {"mutt": ("`echo s3cret`", ""), "neomutt": ("`echo s3cret`", "")},
        (None, None),
        (f"2:5: {LITERAL}",),
    ),
    "a variable of text and a command": (
        'set my_x = "a`echo s3cret`"\nset imap_pass = $my_x\n',
        {"mutt": ("as3cret", ""), "neomutt": ("as3cret", "")},
        (None, None),
        ("2:5: imap_pass mixes text and a command: not run, not imported",),
    ),
}


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_password_from_a_variable_is_read_as_the_client_expands_it(tmp_path: Path, binary: str, case: str) -> None:
    need(binary)
    lines, real, commands, warnings = CASES[case]
    rc = tmp_path / "work.muttrc"
    rc.write_text(ACCOUNT + lines)
    assert tuple(_query(binary, rc, tmp_path / "home").values()) == real[binary]
    assert _imported(binary, rc) == (
        dict(zip(("incoming", "outgoing"), commands, strict=True)),
        tuple(f"{rc}:{warning}" for warning in warnings),
    )


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
def test_a_variable_set_in_a_sourced_file_is_read_with_follow_source(tmp_path: Path, binary: str) -> None:
    need(binary)
    secrets = tmp_path / "secrets.rc"
    secrets.write_text('set my_pass = "`echo s3cret`"\n')
    rc = tmp_path / "work.muttrc"
    rc.write_text(f"{ACCOUNT}source {secrets}\nset imap_pass = $my_pass\n")
    assert _query(binary, rc, tmp_path / "home") == {"imap_pass": "s3cret", "smtp_pass": ""}
    assert _imported(binary, rc, follow=True) == ({"incoming": "echo s3cret", "outgoing": None}, ())
    assert _imported(binary, rc) == (
        {"incoming": None, "outgoing": None},
        (
            f"{rc}:2:1: source {secrets}: not followed (use --follow-source to read it)",
            f"{rc}:3:5: imap_pass {NOT_EXPANDED}",
        ),
    )


def test_a_variable_set_by_a_sourced_command_is_not_expanded(tmp_path: Path) -> None:
    rc = tmp_path / "work.muttrc"
    rc.write_text(f'{ACCOUNT}source "echo set my_pass = s3cret |"\nset imap_pass = $my_pass\n')
    assert _imported("mutt", rc, follow=True) == (
        {"incoming": None, "outgoing": None},
        (f"{rc}:2:1: source of a command's output: not run, not imported", f"{rc}:3:5: imap_pass {NOT_EXPANDED}"),
    )


@pytest.mark.parametrize(("binary", "expanded"), [("mutt", False), ("neomutt", True)])
def test_mutt_takes_an_environment_variable_of_that_name_first(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, binary: str, expanded: bool
) -> None:
    # mutt looks a $name up in the environment before its my_ variables (parse.c: getenv, then myvar_get); neomutt
    # looks up its own variables first
    need(binary)
    monkeypatch.setenv("my_pass", "from-the-environment")
    rc = tmp_path / "work.muttrc"
    rc.write_text(f'{ACCOUNT}set my_pass = "`echo s3cret`"\nset imap_pass = $my_pass\n')
    home = tmp_path / "home"
    home.mkdir()
    done = Client(binary, home).run(rc, "-Q", "imap_pass")  # the client's environment is the test's
    real = 'set imap_pass = "s3cret"' if expanded else 'imap_pass="from-the-environment"'
    assert (done.returncode, done.stdout.decode()) == (0, real + "\n")
    assert _imported(binary, rc) == (
        {"incoming": "echo s3cret" if expanded else None, "outgoing": None},
        () if expanded else (f"{rc}:3:5: imap_pass {NOT_EXPANDED}",),
    )


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
def test_a_hook_s_password_from_a_variable_is_the_variable_s_command(tmp_path: Path, binary: str) -> None:
    # the hook runs when its mailbox is opened, after the whole file is read: my_pass is the file's last
    rc = tmp_path / "work.muttrc"
    rc.write_text(
        "set from = alice@example.com smtp_url = smtps://alice@smtp.example.com/\n"
        "folder-hook imaps://alice@imap.example.com/ 'set imap_pass = $my_pass'\n"
        'set my_pass = "`echo s3cret`"\n'
    )
    result = import_paths(binary, [str(rc)], ReadOptions())
    assert result.warnings == ()
    assert result.accounts["work"]["incoming"] == INCOMING | {"password_command": "echo s3cret"}
    assert result.accounts["work"]["outgoing"] == OUTGOING


@pytest.mark.parametrize(
    ("binary", "before", "command"),
    [
        # my_pass not set when the hook line is read: the hook's command is `set imap_pass = ` (mutt), or keeps the
        # text $my_pass (neomutt), which it expands when the hook runs, to the command set after it (checked with
        # the client opening a mailbox: test_mutt_hooks.py)
        ("mutt", "", None),
        ("neomutt", "", "echo s3cret"),
        # set before the hook line: that command's output, not the one set after it
        ("mutt", 'set my_pass = "`echo early`"\n', "echo early"),
        ("neomutt", 'set my_pass = "`echo early`"\n', "echo early"),
    ],
)
def test_a_variable_in_a_double_quoted_hook_command_is_what_it_holds_at_the_hook_line(
    tmp_path: Path, binary: str, before: str, command: str | None
) -> None:
    """mutt and neomutt expand a ``$my_NAME`` in double quotes as they read the hook line (mutt_extract_token), not
    when the hook runs: ``folder-hook . "source 'echo $my_pass > out |'"`` between ``set my_pass = "`echo early`"``
    and ``set my_pass = late`` writes ``early`` when a mailbox is opened (both clients, in a terminal). The import
    took the file's last my_pass, set after the hook line: ``password_command: echo s3cret``."""
    rc = tmp_path / "work.muttrc"
    rc.write_text(
        f"set from = alice@example.com smtp_url = smtps://alice@smtp.example.com/\n{before}"
        'folder-hook imaps://alice@imap.example.com/ "set imap_pass = $my_pass"\n'
        'set my_pass = "`echo s3cret`"\n'
    )
    result = import_paths(binary, [str(rc)], ReadOptions())
    hook_line = 3 if before else 2
    warnings = () if command else (f"{rc}:{hook_line}:45: imap_pass {NOT_EXPANDED}",)
    assert tuple(str(note) for note in result.warnings) == warnings
    assert result.accounts["work"]["incoming"] == INCOMING | ({"password_command": command} if command else {})


#: what a generated file's lines are made of: my_ variables set from a command, from text (``l1``: a literal
#: password, never a command's output) or from another, unset or reset, and the passwords set from them
_NAMES = st.sampled_from(["my_pass", "my_a"])
_COMMANDS = st.sampled_from(["c1", "c2"])
_PASSWORDS = st.sampled_from(["imap_pass", "smtp_pass"])
_REFERENCES = _NAMES.flatmap(lambda name: st.sampled_from([f"${name}", f'"${name}"', f"${{{name}}}", f'"${{{name}}}"']))
_LINES = st.one_of(
    st.builds('set {} = "`echo {}`"\n'.format, _NAMES, _COMMANDS),
    st.builds('set {}="`echo {}`"; set {} = {}\n'.format, _NAMES, _COMMANDS, _PASSWORDS, _REFERENCES),
    st.builds('set {} = "a`echo {}`"\n'.format, _NAMES, _COMMANDS),
    st.builds('set {} = "`echo {}`" {} = {}\n'.format, _NAMES, _COMMANDS, _PASSWORDS, _REFERENCES),
    st.builds("set {} = x{}\n".format, _PASSWORDS, _REFERENCES),
    st.builds("set {} = `echo {}`\n".format, _NAMES, _COMMANDS),
    st.builds("set {} = '`echo {}`'\n".format, _NAMES, _COMMANDS),
    st.builds("set {} = {}\n".format, _NAMES, st.sampled_from(["l1", "l2"])),
    st.builds("{} {}\n".format, st.sampled_from(["unset", "reset"]), _NAMES),
    st.builds("set {} = {}\n".format, _NAMES, _REFERENCES),
    st.builds("set {} = {}\n".format, _PASSWORDS, _REFERENCES),
)


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(_LINES, min_size=1, max_size=6).map("".join))
def test_a_password_imported_from_a_variable_is_what_the_client_reads(
    tmp_path_factory: pytest.TempPathFactory, binary: str, lines: str
) -> None:
    """For generated files of my_ variables and passwords set from them: a password imported as a command is one
    whose output is the password the real client reads (``-Q``), and one not imported is no command's output."""
    need(binary)
    tmp_path = tmp_path_factory.mktemp(binary)
    rc = tmp_path / "work.muttrc"
    rc.write_text(ACCOUNT + lines)
    real = _query(binary, rc, tmp_path / "home")
    imported, _ = _imported(binary, rc)
    for side, name in (("incoming", "imap_pass"), ("outgoing", "smtp_pass")):
        command = imported[side]
        if command is None:
            assert real[name] not in {"c1", "c2"}, (side, real)
        else:
            assert command == f"echo {real[name]}", (side, real)
