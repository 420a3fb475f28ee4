"""The offlineimap importer on hand-written files and on mailconf's own: exact accounts, warnings, errors.

offlineimap3's own objects (``Account``, ``Repository``, ``IMAPServer``, through the reader of
tests/targets/test_offlineimap.py) read the same hand-written file and must agree with the importer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mailconf.cli import main
from mailconf.importers import ReadOptions, Unreadable
from mailconf.importers._core import import_paths
from mailconf.render import environment
from tests.targets.test_offlineimap import offlineimap_reads
from tests.test_cli import run_mailconf

SECRET = "s3cret-Do-Not-Print-42"


def imported(*paths: Path) -> tuple[dict[str, Any], tuple[str, ...]]:
    result = import_paths("offlineimap", [str(p) for p in paths], ReadOptions())
    return {k: dict(v) for k, v in result.accounts.items()}, result.warnings


HAND_WRITTEN = f"""\
# hand-written
[general]
accounts = work, gmail
ui = quiet
socktimeout = 60

[DEFAULT]
domain = example.com

[Account work]
localrepository = work-local
remoteRepository = work-remote
autorefresh = 5

[Repository work-local]
type = Maildir
localfolders = ~/Mail/work

[Repository work-remote]
type = IMAP
remotehost = imap.%(domain)s
remoteuser: alice@%(domain)s
remotepass = {SECRET}
sslcacertfile = CAFILE
cert_fingerprint = 00112233445566778899aabbccddeeff00112233, ffeeddccbbaa99887766554433221100ffeeddcc
auth_mechanisms = PLAIN,
  LOGIN
folderfilter = lambda f: f in ['INBOX']
presynchook = touch PWN

[Account gmail]
localrepository = gmail-local
remoterepository = gmail-remote

[Repository gmail-local]
type = Maildir
localfolders = ~/Mail/gmail

[Repository gmail-remote]
type = Gmail
remoteuser = bob
remotepasseval = open("PWN", "w") and "x"
sslcacertfile = OS-DEFAULT

[Account old]
localrepository = old-local
remoterepository = old-remote

[Repository old-local]
type = Maildir
localfolders = ~/Mail/old

[Repository old-remote]
type = IMAP
remotehost = mail.example.net
remoteuser = carol@example.net
ssl = no
"""


@pytest.fixture
def hand_written(tmp_path: Path) -> Path:
    ca = tmp_path / "ca 100%.pem"
    ca.write_text("not read\n")
    rc = tmp_path / "offlineimaprc"
    rc.write_text(HAND_WRITTEN.replace("CAFILE", str(ca).replace("%", "%%")).replace("PWN", str(tmp_path / "PWN")))
    return rc


def test_a_hand_written_file_gives_each_account_and_reports_what_it_cannot_hold(
    hand_written: Path, tmp_path: Path
) -> None:
    accounts, warnings = imported(hand_written)
    assert accounts == {
        "work": {"address": "alice@example.com", "incoming": {
            "protocol": "imap", "host": "imap.example.com", "port": 993, "security": "tls",
            "username": "alice@example.com", "auth": "password", "mechanisms": ["plain", "login"],
            "tls": {"ca_file": str(tmp_path / "ca 100%.pem"),
                    "fingerprint": "sha1:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33"},
            "timeout": 60}},
        "gmail": {"address": "bob@imap.gmail.com", "incoming": {
            "protocol": "imap", "host": "imap.gmail.com", "port": 993, "security": "tls", "username": "bob",
            "auth": "password", "timeout": 60}},
        "old": {"address": "carol@example.net", "incoming": {
            "protocol": "imap", "host": "mail.example.net", "port": 143, "security": "starttls-optional",
            "username": "carol@example.net", "auth": "password", "timeout": 60}},
    }  # fmt: skip
    rc = str(hand_written)
    assert warnings == (
        f"{rc}:4:1: offlineimap's program settings (ui) are not account settings: not imported",
        f"{rc}:23:1: the file holds a literal password (not imported): store it in a password manager and set "
        "password_command to the command that prints it",
        f"{rc}:13:1: offlineimap's autorefresh has no place in an account file",
        f"{rc}:28:1: folderfilter is Python that offlineimap evaluates: not run, not imported",
        f"{rc}:29:1: presynchook runs a command: not run, not imported",
        f"{rc}:25:1: cert_fingerprint: offlineimap accepts any of 2 certificates; the first is imported",
        f"{rc}:31:1: offlineimap names no address: this one is a guess, check it",
        f"{rc}:42:1: remotepasseval is Python that offlineimap evaluates: not run, not imported; set "
        "password_command to a command that prints the password",
        f"{rc}:45:1: not in [general] accounts: offlineimap syncs it only with -a",
        f"{rc}:57:1: ssl = no with starttls: offlineimap starts TLS only when the server offers it and then checks "
        "no certificate (starttls-optional, which render refuses); use ssl = yes on port 993",
    )
    assert not (tmp_path / "PWN").exists()  # neither the hook nor the eval ran


def test_offlineimap_itself_reads_what_the_importer_reads(hand_written: Path, tmp_path: Path) -> None:
    """offlineimap3's Account/Repository/IMAPServer objects on the same file: the same host, port, user, TLS."""
    text = hand_written.read_text().replace('open("PWN", "w") and "x"'.replace("PWN", str(tmp_path / "PWN")), '"x"')
    # (the reader asks for the password, which evaluates remotepasseval: keep it inert)
    hand_written.write_text(text)
    seen = offlineimap_reads(hand_written, tmp_path, "use")
    accounts, _ = imported(hand_written)
    assert seen["socktimeout"] == 60
    for name in ("work", "gmail"):
        repo, server = seen["repos"][name], accounts[name]["incoming"]
        assert (repo["host"], repo["port"], repo["user"], repo["ssl"]) == (
            server["host"], server["port"], server["username"], server["security"] == "tls")  # fmt: skip
        assert [m.lower() for m in repo["mechanisms"]] == server.get("mechanisms", [m.lower() for m in
                                                                                    repo["mechanisms"]])  # fmt: skip
    work = seen["repos"]["work"]
    assert work["ca"] == accounts["work"]["incoming"]["tls"]["ca_file"]
    assert work["fingerprint"][0] == accounts["work"]["incoming"]["tls"]["fingerprint"][5:].replace(":", "").lower()
    assert work["password"] == SECRET  # offlineimap has it; the import does not (above)


# --- mailconf's pythonfile --------------------------------------------------------------------------

RC = """\
[general]
accounts = work
pythonfile = ~/.offlineimap-mailconf.py

[Account work]
localrepository = work-local
remoterepository = work-remote

[Repository work-local]
type = Maildir
localfolders = ~/Mail/work

[Repository work-remote]
type = IMAP
remotehost = imap.example.com
remoteuser = alice@example.com
remotepasseval = mailconf_password('work')
sslcacertfile = OS-DEFAULT
"""


def pythonfile(passwords: list[tuple[str, str]]) -> str:
    text: str = environment().get_template("offlineimap/pythonfile.py.j2").render(passwords=passwords, tokens=[])
    return text


def write(tmp_path: Path, helper: str, rc: str = RC) -> tuple[Path, Path]:
    (tmp_path / "offlineimaprc").write_text(rc)
    (tmp_path / "helper.py").write_text(helper)
    return tmp_path / "offlineimaprc", tmp_path / "helper.py"


def test_the_password_command_comes_from_the_pythonfile_without_loading_it(tmp_path: Path) -> None:
    command = f"touch {tmp_path}/PWN; pass show 'work' \"$(x)\" `y` 😀"
    rc, helper = write(tmp_path, pythonfile([("work", command)]))
    accounts, warnings = imported(rc, helper)
    assert accounts["work"]["incoming"]["password_command"] == command
    assert warnings == ()
    assert not (tmp_path / "PWN").exists()


def test_a_pythonfile_that_is_not_mailconfs_gives_no_command(tmp_path: Path) -> None:
    canary = tmp_path / "PWN"
    helper_text = pythonfile([("work", "pass show work")]) + f"\nopen({str(canary)!r}, 'w')\n"
    rc, helper = write(tmp_path, helper_text)
    accounts, warnings = imported(rc, helper)
    assert "password_command" not in accounts["work"]["incoming"]
    assert warnings == (
        f"{rc}:17:1: remotepasseval: the command is in the pythonfile (its code is not the code mailconf writes): "
        "not imported; set password_command",
    )
    assert not canary.exists()


def test_a_command_that_is_not_a_string_literal_is_a_located_error(tmp_path: Path) -> None:
    text = pythonfile([("work", "pass show work")]).replace("'pass show work'", "__import__('os').getcwd()")
    rc, helper = write(tmp_path, text)
    line = next(n for n, t in enumerate(text.split("\n"), 1) if "__import__" in t)
    with pytest.raises(Unreadable) as caught:
        imported(rc, helper)
    assert str(caught.value) == (
        f"{helper}:{line}:13: _PASSWORD_COMMANDS holds something that is not a string literal; "
        "render it again with mailconf render --target offlineimap"
    )


def test_a_pythonfile_that_is_not_python_is_a_located_error(tmp_path: Path) -> None:
    rc, helper = write(tmp_path, "x = {'work': 'a'\n")
    with pytest.raises(Unreadable) as caught:
        imported(rc, helper)
    assert str(caught.value) == (
        f"{helper}:1:5: not Python ('{{' was never closed); render it again with mailconf render --target offlineimap"
    )


@pytest.mark.parametrize("nested", ["-" * 100_000 + "1", "a." * 100_000 + "b", "not " * 100_000 + "x"])
def test_python_nested_thousands_deep_is_refused_or_reported_not_a_crash(nested: str, tmp_path: Path) -> None:
    # ast.parse raises MemoryError or RecursionError (not SyntaxError) on such expressions: an internal error
    rc, helper = write(tmp_path, pythonfile([("work", "pass show work")]) + f"x = {nested}\n")
    with pytest.raises(Unreadable) as caught:
        imported(rc, helper)
    assert str(caught.value) == (
        f"{helper}:1:1: Python nested too deeply to be read; render it again with mailconf render --target offlineimap"
    )
    rc, _ = write(tmp_path, "", RC.replace("mailconf_password('work')", nested))
    accounts, warnings = imported(rc)
    assert "password_command" not in accounts["work"]["incoming"]
    assert warnings == (
        f"{rc}:17:1: remotepasseval is Python that offlineimap evaluates: not run, not imported; set "
        "password_command to a command that prints the password",
    )


def test_no_command_for_the_account_and_no_pythonfile_are_reported(tmp_path: Path) -> None:
    rc, helper = write(tmp_path, pythonfile([("other", "pass show other")]))
    accounts, warnings = imported(rc, helper)
    assert "password_command" not in accounts["work"]["incoming"]
    assert warnings == (
        f'{rc}:17:1: remotepasseval: the pythonfile holds no command for "work": not imported; set password_command',
    )
    rc.write_text(RC.replace("~/.offlineimap-mailconf.py", str(tmp_path / "absent.py")))
    _, warnings = imported(rc)
    assert warnings == (
        f"{rc}:17:1: remotepasseval: the command is in the pythonfile (not found: give it after the "
        ".offlineimaprc): not imported; set password_command",
    )


def test_without_a_home_a_pythonfile_under_tilde_is_not_looked_for_in_a_folder_named_tilde(tmp_path: Path) -> None:
    """HOME unset and no passwd entry (a container's random uid): expanduser() left ~/.offlineimap-mailconf.py as
    it was, and the pythonfile of a folder named ~ in the current one was read as the user's."""
    rc, _ = write(tmp_path, "")
    (tmp_path / "~").mkdir()
    (tmp_path / "~" / ".offlineimap-mailconf.py").write_text(pythonfile([("work", "pass show mallory")]))
    outcome = run_mailconf("import", "--from", "offlineimap", str(rc), cwd=tmp_path, homeless=True)
    assert (outcome.code, outcome.stderr) == (
        1,
        f"mailconf: warning: {rc}:17:1: remotepasseval: the command is in the pythonfile (~ names no home directory "
        "here (HOME is not set and the user has no passwd entry): give it after the .offlineimaprc): not imported; "
        "set password_command\n",
    )
    assert "mallory" not in outcome.stdout


def test_many_accounts_are_each_imported(tmp_path: Path) -> None:
    # whether any section uses the pythonfile was asked again for every account, looking at every section:
    # quadratic, 2,000 accounts took 9 s and 20,000 did not end in a minute (no time asserted)
    rc = tmp_path / "offlineimaprc"
    rc.write_text("[general]\n" + "".join(
        f"[Account a{n}]\nremoterepository = r{n}\n[Repository r{n}]\ntype = IMAP\nremotehost = h.example.org\n"
        f"remoteuser = u{n}@example.org\nsslcacertfile = OS-DEFAULT\n"
        for n in range(3000)
    ))  # fmt: skip
    accounts, warnings = imported(rc)
    assert warnings == ()
    assert list(accounts) == [f"a{n}" for n in range(3000)]
    assert accounts["a2999"] == {"address": "u2999@example.org", "incoming": {
        "protocol": "imap", "host": "h.example.org", "port": 993, "security": "tls", "username": "u2999@example.org",
        "auth": "password"}}  # fmt: skip


# --- bad input --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[general]\naccounts = a\n[general]\n", "3:1: section [general] appears twice (the client refuses the "
         "file); merge the two sections"),
        ("[general]\naccounts = a\nAccounts = b\n", "3:1: accounts is set twice in [general] (the client refuses the "
         "file); keep one of them"),
        ("[general]\naccounts = a\njust words\n", "3:1: not a setting (NAME = VALUE), a [section] or a comment; "
         "fix or remove the line (a value that continues is indented)"),
        ("accounts = a\n", "1:1: a setting before the first [section]; check that the file is an offlineimap "
         "configuration file (~/.offlineimaprc)"),
        ("[general]\naccounts = a\n[Account a]\nremoterepository = r\n[Repository r]\ntype = IMAP\n"
         "remotehost = h\n  remoteuser = 100%\n",
         "7:1: remotehost: a % that is not %% or %(name)s (the client stops reading the file there); "
         "write %% for a percent sign"),
        ("[general]\naccounts = a\n[Account a]\nremoterepository = r\n[Repository r]\ntype = IMAP\n"
         "remotehost = %(host)s\n", "7:1: remotehost refers to %(host)s, which is not set; set it, or write %% for a "
         "percent sign"),
        # ConfigParser's InterpolationDepthError (as offlineimap's): it was said to be "a % that is not %(name)s"
        ("[general]\naccounts = a\n[Account a]\nremoterepository = r\n[Repository r]\ntype = IMAP\n"
         "remotehost = %(remotehost)s\n", "7:1: remotehost: its %(name)s refers back to itself, or through more than "
         "10 values (the client stops reading the file there); write the value itself in one of them"),
        ("[general]\naccounts = a\n[Account a]\nremoterepository = r\n[Repository r]\ntype = IMAP\n"
         "remotehost = h\nremoteport = 99x\n", "8:1: remoteport is not a whole number; write digits only"),
        ("[general]\naccounts = a\n[Account a]\nremoterepository = r\n[Repository r]\ntype = IMAP\n"
         "remotehost = h\nssl = maybe\n", "8:1: ssl is not a boolean; write yes or no"),
    ],
)  # fmt: skip
def test_bad_input_is_one_located_line_and_exit_2(
    text: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = tmp_path / "offlineimaprc"
    rc.write_text(text)
    code = main(["import", "--from", "offlineimap", str(rc)])
    out, err = capsys.readouterr()
    assert (code, out, err) == (2, "", f"mailconf: {rc}:{message}\n")


def test_a_literal_password_is_never_shown(hand_written: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["import", "--from", "offlineimap", str(hand_written)])
    out, err = capsys.readouterr()
    assert code == 1
    assert SECRET not in out + err
    assert "literal password" in out and "literal password" in err


ACCOUNTS = """\
version: 1
accounts:
  work:
    address: alice@example.com
    incoming: {protocol: imap, host: imap.example.com, security: tls, password_command: "pass show 'work'",
               timeout: 30}
"""


def test_compare_renders_the_yaml_as_offlineimap_files_and_reports_drift(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    declared = tmp_path / "accounts.yaml"
    declared.write_text(ACCOUNTS)
    assert main(["render", "--target", "offlineimap", str(declared), "-o", str(tmp_path)]) == 0
    rc, helper = tmp_path / ".offlineimaprc", tmp_path / ".offlineimap-mailconf.py"
    capsys.readouterr()
    assert main(["import", "--from", "offlineimap", str(rc), str(helper), "--compare", str(declared)]) == 0
    assert capsys.readouterr().out == ""
    helper.write_text(helper.read_text().replace("pass show", "pass  show"))
    rc.write_text(rc.read_text().replace("socktimeout = 30", "socktimeout = 60"))
    assert main(["import", "--from", "offlineimap", str(rc), str(helper), "--compare", str(declared)]) == 1
    assert capsys.readouterr().out == (
        "account work: incoming.password_command: file says pass  show 'work', YAML declares pass show 'work'\n"
        "account work: incoming.timeout: file says 60, YAML declares 30\n"
    )


@pytest.mark.parametrize(
    ("tls", "expected", "message"),
    [
        ("cert_fingerprint = " + "ab" * 64, {"verify": True},  # sha512: offlineimap checks it, an account file cannot
         "17:1: cert_fingerprint: only a sha1 or sha256 fingerprint can be imported (the pin is left out)"),
        ("", {"verify": True}, "13:1: ssl without sslcacertfile or cert_fingerprint: offlineimap3 refuses to "
         "connect; imported as checking the system CAs"),
        ("cert_fingerprint = " + "AB:" * 31 + "AB", {"verify": False, "fingerprint": "sha256:" + ":".join(["AB"] * 32)},
         None),
    ],
)  # fmt: skip
def test_pins_and_cas(tls: str, expected: dict[str, Any], message: str | None, tmp_path: Path) -> None:
    rc = tmp_path / "offlineimaprc"
    rc.write_text(RC.replace("remotepasseval = mailconf_password('work')\nsslcacertfile = OS-DEFAULT\n", f"{tls}\n"))
    accounts, warnings = imported(rc)
    assert accounts["work"]["incoming"].get("tls", {"verify": True}) == expected
    assert warnings == ((f"{rc}:{message}",) if message else ())


def test_a_literal_access_token_beside_its_eval_is_what_offlineimap_uses(tmp_path: Path) -> None:
    # offlineimap3's getoauth2_access_token takes oauth2_access_token, and evaluates oauth2_access_token_eval only
    # without it: the import took the eval's token_command, a command offlineimap never runs for the account
    rc = tmp_path / "offlineimaprc"
    rc.write_text(
        f"[general]\naccounts = work\npythonfile = {tmp_path}/helper.py\n\n[Account work]\nlocalrepository = l\n"
        "remoterepository = r\n\n[Repository l]\ntype = Maildir\nlocalfolders = ~/Mail\n\n[Repository r]\n"
        "type = IMAP\nremotehost = imap.example.com\nremoteuser = alice@example.com\nsslcacertfile = OS-DEFAULT\n"
        f"auth_mechanisms = XOAUTH2\noauth2_access_token = {SECRET}\n"
        "oauth2_access_token_eval = mailconf_token('work')\n"
    )
    helper = tmp_path / "helper.py"
    helper.write_text(
        environment()
        .get_template("offlineimap/pythonfile.py.j2")
        .render(passwords=[], tokens=[("work", f"touch {tmp_path}/PWN; echo token")])
    )
    seen = offlineimap_reads(rc, tmp_path, "use")
    assert seen["repos"]["work"]["token"] == SECRET
    assert not (tmp_path / "PWN").exists()  # offlineimap did not evaluate the eval
    accounts, warnings = imported(rc, helper)
    assert accounts["work"]["incoming"] == {
        "protocol": "imap", "host": "imap.example.com", "port": 993, "security": "tls", "auth": "oauth2",
        "username": "alice@example.com",
    }  # fmt: skip
    assert warnings == (
        f"{rc}:19:1: the file holds a literal oauth2_access_token (not imported): store it in a password manager and "
        "set token_command to a command that prints an access token",
        f"{rc}:20:1: oauth2_access_token_eval: offlineimap uses the oauth2_access_token beside it and never evaluates "
        "this one: not imported",
    )


def test_many_accounts_are_checked_against_general_accounts(tmp_path: Path) -> None:
    """[general] accounts was a list searched for each account and each [Account] name (20,000 accounts: 13.5 s of
    CPU, 8.6 s now; the search is Python's own, not a line of mailconf's, so no count of lines shows it). Which
    accounts are listed, and which listed one has no section, is still said as offlineimap reads it."""
    count = 3000
    listed = ", ".join([f"a{n}" for n in range(1, count)] + ["gone"])  # a0 is not listed
    sections = "".join(
        f"[Account a{n}]\nremoterepository = r{n}\n[Repository r{n}]\ntype = IMAP\nremotehost = imap.example.com\n"
        f"remoteuser = a{n}@example.com\nsslcacertfile = /etc/ssl/certs/ca-certificates.crt\n"
        for n in range(count)
    )
    rc = tmp_path / "offlineimaprc"
    rc.write_text(f"[general]\naccounts = {listed}\n{sections}", encoding="utf-8")
    accounts, warnings = imported(rc)
    assert (len(accounts), warnings) == (
        count,
        (
            f'{rc}:2:1: [general] accounts names "gone", which has no [Account gone] section (offlineimap stops '
            "there): not imported",
            f"{rc}:3:1: not in [general] accounts: offlineimap syncs it only with -a",
        ),
    )


def test_a_pythonfile_not_found_is_said_once_for_many_accounts(tmp_path: Path) -> None:
    """Without the pythonfile every account's remotepasseval was a warning of its own: 10,000 accounts printed 9,000
    lines of one cause and one remedy (give the pythonfile). The first account's warning stays; the others are one
    line, and each account still has its comment in the output."""
    sections = "".join(
        f"[Account a{n}]\nremoterepository = r{n}\n[Repository r{n}]\ntype = IMAP\nremotehost = imap.example.com\n"
        f"remoteuser = a{n}@example.com\nsslcacertfile = /etc/ssl/certs/ca-certificates.crt\n"
        f'remotepasseval = mailconf_password("a{n}")\n'
        for n in range(500)
    )
    rc = tmp_path / "offlineimaprc"
    rc.write_text(f"[general]\npythonfile = {tmp_path / 'absent.py'}\n{sections}", encoding="utf-8")
    result = import_paths("offlineimap", [str(rc)], ReadOptions())
    why = (
        "remotepasseval: the command is in the pythonfile (not found: give it after the .offlineimaprc): not "
        "imported; set password_command"
    )
    assert result.warnings == (
        f"{rc}:10:1: {why}",
        f"{rc}:18:1: remotepasseval of 499 more accounts (this line and on): the same; each is a comment in the output",
    )
    assert (len(result.accounts), result.text.count(why)) == (500, 500)
    assert f"{rc}:4002: {why}" in result.text
