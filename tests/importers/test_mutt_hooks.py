"""``import --from mutt``/``neomutt`` of a muttrc that defines its accounts in folder-hook and account-hook
commands: one account per mailbox URL a hook names, read as the client has it when that mailbox is opened.

What the clients do with the hooks was checked by hand with mutt 2.2.12 and neomutt 20220429 opening an IMAP
URL in a terminal (a hook sourcing a script that wrote the variables): folder-hooks that match the mailbox, then
account-hooks that match the account, in the order of the file. Most tests below check the client's refusals that
``-Q`` shows (mutt reads no hook before a mailbox is opened), and the import's exact result; those of a ``$NAME``
in a hook's command open a local mailbox with the client in a pseudo-terminal (``_hooks_run``), a hook of the file
writing what the variables hold when it runs."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
from pathlib import Path

import pytest

from mailconf.cli import main
from mailconf.importers import ReadOptions
from mailconf.importers._core import import_paths
from tests.conftest import need
from tests.targets._mutt_client import Client, client_env

MUTTRC = """\
set realname = 'Alice Example' ssl_force_tls = yes
account-hook imaps://alice@imap.example.com/ 'set imap_user=alice@example.com imap_pass = "`pass show work`"'
folder-hook  imaps://alice@imap.example.com/ 'set from=alice@example.com smtp_url=smtps://alice@smtp.example.com'
account-hook imaps://bob@imap\\.other\\.example/ set imap_user=bob realname=Bob
folder-hook  imaps://bob@imap.other.example/ "set from=bob@other.example smtp_url='smtps://bob@smtp.other.example'"
folder-hook . 'set ssl_force_tls = yes; bind index g noop'
folder-hook =work 'set from=w@example.com'
"""


@pytest.mark.parametrize("fmt", ["mutt", "neomutt"])
def test_each_mailbox_url_a_hook_names_is_an_account(tmp_path: Path, fmt: str) -> None:
    # such a file imported nothing: "no folder = imap(s)://..., pop_host or smtp_url: no server to import"
    rc = tmp_path / "muttrc"
    rc.write_text(MUTTRC)
    result = import_paths(fmt, [str(rc)], ReadOptions())
    assert result.accounts == {
        "alice": {
            "address": "alice@example.com",
            "display_name": "Alice Example",
            # the URL's user, not imap_user: the client logs in with the user the mailbox URL names
            # (mutt_account_getuser: imap_user only where the URL has none)
            "incoming": {"protocol": "imap", "host": "imap.example.com", "port": 993, "security": "tls",
                         "username": "alice", "password_command": "pass show work", "auth": "password"},
            "outgoing": {"host": "smtp.example.com", "port": 465, "security": "tls", "username": "alice",
                         "auth": "password"},
        },
        "bob": {
            "address": "bob@other.example",
            "display_name": "Bob",
            "incoming": {"protocol": "imap", "host": "imap.other.example", "port": 993, "security": "tls",
                         "username": "bob", "auth": "password"},
            "outgoing": {"host": "smtp.other.example", "port": 465, "security": "tls", "username": "bob",
                         "auth": "password"},
        },
    }  # fmt: skip
    assert result.warnings == (
        f"{rc}:7:1: 1 hook that matches no mailbox URL of an account (a hook's pattern names one: folder-hook "
        "imaps://USER@HOST/ 'set ...') is not imported",
    )


def test_a_mailbox_the_settings_name_is_an_account_with_the_hooks_that_match_it(tmp_path: Path) -> None:
    rc = tmp_path / "work.muttrc"
    rc.write_text(
        "set folder = imaps://carol@imap.example.com/ from = carol@example.com\n"
        "folder-hook . 'set ssl_force_tls = no; set smtp_url = smtp://carol@smtp.example.com:587/'\n"
        "folder-hook imaps://dan@imap.example.com/ 'set from = dan@example.com'\n"
    )
    result = import_paths("mutt", [str(rc)], ReadOptions())
    assert {name: account["address"] for name, account in result.accounts.items()} == {
        "carol": "carol@example.com",
        "dan": "dan@example.com",
    }
    assert result.accounts["carol"]["outgoing"]["host"] == "smtp.example.com"  # folder-hook . runs for each
    assert result.accounts["dan"]["incoming"]["username"] == "dan"


def test_a_file_of_one_account_is_read_as_before(tmp_path: Path) -> None:
    # no hook names a mailbox: the account is the file's, named after it; the hooks are said not imported
    rc = tmp_path / "work.muttrc"
    rc.write_text("set folder = imaps://a@imap.example.com/ from = a@example.com\nfolder-hook . 'set sort = date'\n")
    result = import_paths("mutt", [str(rc)], ReadOptions())
    assert list(result.accounts) == ["work"]
    assert result.warnings == (
        f"{rc}:2:1: 1 hook that matches no mailbox URL of an account (a hook's pattern names one: folder-hook "
        "imaps://USER@HOST/ 'set ...') is not imported",
    )


@pytest.mark.parametrize("fmt", ["mutt", "neomutt"])
def test_a_hook_the_client_refuses_is_said_as_the_client_says_it(tmp_path: Path, fmt: str) -> None:
    need(fmt)
    rc = tmp_path / "work.muttrc"
    rc.write_text(
        "set folder = imaps://a@imap.example.com/ from = a@example.com\n"
        "folder-hook ^imaps://a@imap.example.com/ 'set from = b@example.com'\n"
        "folder-hook imaps://a@imap.example.com/\n"
    )
    done = Client(fmt, tmp_path).run(rc, "-Q", "from")
    assert b"line 2: current mailbox shortcut '^' is unset" in done.stderr
    assert b"line 3: " in done.stderr and b"too few arguments" in done.stderr
    result = import_paths(fmt, [str(rc)], ReadOptions())
    assert result.accounts["work"]["address"] == "a@example.com"
    reads_on = f"({fmt} reports the error and reads on from the next line)"
    assert result.warnings == (
        f"{rc}:2:13: folder-hook ^imaps://a@imap.example.com/: current mailbox shortcut '^' is unset: {fmt} refuses "
        f"it when it reads the file {reads_on}; leave the ^ out (a URL pattern matches where it is found)",
        f"{rc}:3:1: folder-hook: too few arguments: {fmt} refuses it {reads_on}; write folder-hook PATTERN COMMAND",
    )


#: Several accounts in every shape the targets write: IMAP and POP3, implicit TLS and STARTTLS, a password command, an
#: OAuth2 token command, two accounts on one IMAP server (told apart by the user in their hooks' URLs).
ROUND_TRIP_ACCOUNTS = {
    "work": {
        "address": "alice@example.com", "display_name": "Alice Example", "organization": "Example Ltd",
        "incoming": {"protocol": "imap", "host": "imap.example.com", "port": 993, "security": "tls",
                     "username": "alice", "password_command": "pass show work", "timeout": 30},
        "outgoing": {"protocol": "smtp", "host": "smtp.example.com", "port": 465, "security": "tls",
                     "username": "alice", "password_command": "pass show work", "timeout": 30},
    },
    "office": {
        "address": "bob@example.com",
        "incoming": {"protocol": "imap", "host": "imap.example.com", "port": 993, "security": "tls",
                     "username": "bob", "password_command": "pass show office"},
        "outgoing": {"protocol": "smtp", "host": "smtp.example.com", "port": 587, "security": "starttls",
                     "username": "bob", "password_command": "pass show office"},
    },
    "home": {
        "address": "dan@home.example", "display_name": "Dan",
        "incoming": {"protocol": "pop3", "host": "pop.home.example", "port": 110, "security": "starttls",
                     "username": "dan", "password_command": "pass show home", "leave_on_server": True},
        "outgoing": {"protocol": "smtp", "host": "smtp.home.example", "port": 587, "security": "starttls",
                     "username": "dan", "password_command": "pass show home"},
    },
    "gmail": {
        "address": "carol@gmail.com", "display_name": "Carol",
        "incoming": {"protocol": "imap", "host": "imap.gmail.com", "port": 993, "security": "tls",
                     "username": "carol@gmail.com", "auth": "oauth2", "token_command": "oama access carol@gmail.com"},
        "outgoing": {"protocol": "smtp", "host": "smtp.gmail.com", "port": 465, "security": "tls",
                     "username": "carol@gmail.com", "auth": "oauth2", "token_command": "oama access carol@gmail.com"},
    },
}  # fmt: skip

#: The main muttrc of docs/targets/mutt.md: a folder-hook per account sources the file render wrote for it when its
#: mailbox is opened (the URL with the user, as two accounts on one server need; an address user percent-encoded).
ROUND_TRIP_MUTTRC = """\
folder-hook 'imaps://alice@imap\\.example\\.com:993/' 'source ~/.config/mutt/work.muttrc'
folder-hook 'imaps://bob@imap\\.example\\.com:993/' 'source ~/.config/mutt/office.muttrc'
folder-hook 'pop://dan@pop\\.home\\.example:110/' 'source ~/.config/mutt/home.muttrc'
folder-hook 'imaps://carol%40gmail.com@imap\\.gmail\\.com:993/' 'source ~/.config/mutt/gmail.muttrc'
"""


@pytest.mark.parametrize("fmt", ["mutt", "neomutt"])
def test_the_accounts_render_wrote_come_back_from_the_main_muttrc_that_sources_them(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fmt: str
) -> None:
    # each account's folder is written without the user (imaps://imap.example.com:993/, the user in imap_user): read
    # after the hook's mailbox imaps://alice@imap.example.com:993/ it was "folder: a second incoming server"
    need(fmt)
    declared = tmp_path / "accounts.yaml"
    declared.write_text(json.dumps({"version": 1, "accounts": ROUND_TRIP_ACCOUNTS}))
    folder = tmp_path / ".config" / "mutt"
    assert main(["render", "-t", fmt, str(declared), "-o", str(folder)]) == 0
    assert capsys.readouterr() == ("", "")
    rc = folder / "muttrc"
    rc.write_text(ROUND_TRIP_MUTTRC)
    monkeypatch.setenv("HOME", str(tmp_path))
    done = Client(fmt, tmp_path).run(rc, "-Q", "folder")  # the client reads the main file without an error
    assert (done.returncode, done.stderr) == (0, b"")
    code = main(["import", "--from", fmt, "--follow-source", str(rc), "--compare", str(declared)])
    assert (code, *capsys.readouterr()) == (0, "", "")
    result = import_paths(fmt, [str(rc)], ReadOptions(follow_source=True))
    assert list(result.accounts) == ["alice", "bob", "dan", "carol"]  # one per hook, named after its address
    assert result.warnings == ()


@pytest.mark.parametrize("fmt", ["mutt", "neomutt"])
def test_the_file_s_mailbox_with_its_user_in_imap_user_is_the_hook_s_mailbox_of_that_user(
    tmp_path: Path, fmt: str
) -> None:
    # keyed on the URL as written, imaps://imap.example.com/ (user alice in imap_user) and the hook's
    # imaps://alice@imap.example.com:993/ were two accounts, alice and alice-2; the client logs in to the same server
    # as the same user on one connection (mutt_account_match: host in any case, port, user, imap_user for none)
    rc = tmp_path / "muttrc"
    rc.write_text(
        "set folder = imaps://IMAP.example.com/ imap_user = alice from = alice@example.com\n"
        "folder-hook imaps://alice@imap\\.example\\.com:993/ 'set realname = Alice'\n"
        "folder-hook pop://dan@pop.example.com/ 'set from = dan@example.com'\n"
    )
    result = import_paths(fmt, [str(rc)], ReadOptions())
    assert result.accounts == {
        "alice": {
            "address": "alice@example.com",
            "display_name": "Alice",
            "incoming": {"protocol": "imap", "host": "imap.example.com", "port": 993, "security": "tls",
                         "username": "alice", "auth": "password"},
        },
        "dan": {
            "address": "dan@example.com",
            "incoming": {"protocol": "pop3", "host": "pop.example.com", "port": 110, "security": "starttls",
                         "username": "dan", "auth": "password"},
        },
    }  # fmt: skip


@pytest.mark.parametrize("fmt", ["mutt", "neomutt"])
def test_the_file_s_mailbox_is_the_hook_s_mailbox_of_the_same_url_without_a_user(tmp_path: Path, fmt: str) -> None:
    # the muttrc of the tutorials: the first account's settings at the top, then a folder-hook per account naming its
    # server without a user (the user in imap_user). Keyed with imap_user, the file's imaps://imap.example.com/ was
    # another mailbox than the hook's imaps://imap.example.com (keyed without one): the first account came twice,
    # alice and alice-2 (lint: MC702). The client opens that one URL for both, and runs the same hooks for it.
    rc = tmp_path / "muttrc"
    rc.write_text(
        "set folder = imaps://imap.example.com/ imap_user = alice@example.com from = alice@example.com\n"
        "folder-hook 'imaps://imap.example.com' 'set folder = imaps://imap.example.com/ imap_user = alice@example.com'"
        "\n"
        "folder-hook 'imaps://imap.example.org' 'set folder = imaps://imap.example.org/ imap_user = bob@example.org "
        "from = bob@example.org'\n"
    )
    result = import_paths(fmt, [str(rc)], ReadOptions())
    assert result.accounts == {
        "alice": {
            "address": "alice@example.com",
            "incoming": {"protocol": "imap", "host": "imap.example.com", "port": 993, "security": "tls",
                         "username": "alice@example.com", "auth": "password"},
        },
        "bob": {
            "address": "bob@example.org",
            "incoming": {"protocol": "imap", "host": "imap.example.org", "port": 993, "security": "tls",
                         "username": "bob@example.org", "auth": "password"},
        },
    }  # fmt: skip
    assert result.warnings == ()


def _closed_port() -> int:
    """A local TCP port nothing listens on: the client's SMTP connection is refused, after its account-hooks ran."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("fmt", ["mutt", "neomutt"])
def test_an_account_hook_for_the_smtp_server_is_matched_as_the_client_matches_it_when_it_sends(
    tmp_path: Path, fmt: str
) -> None:
    # the client, sending in batch mode, runs the account-hooks that match scheme://[user@]host[:port]/ of smtp_url
    # (mutt_conn_find) before it connects: each hook here touches a file when it runs (a harmless command)
    need(fmt)
    port = _closed_port()
    patterns = {
        "lower-case scheme, user decoded but for / and :, no path nor password": f"^smtps://a@b%2Fc@127\\.0\\.0\\.1:{port}/$",
        "the URL as written": f"^SMTPS://a%40b%2fc:secret@127\\.0\\.0\\.1:{port}/path$",
        "the user percent-encoded as written": f"^smtps://a%40b%2[Ff]c@127\\.0\\.0\\.1:{port}/$",
    }
    rc = tmp_path / "work.muttrc"
    rc.write_text(
        f"set from = a@example.com smtp_url = 'SMTPS://a%40b%2fc:secret@127.0.0.1:{port}/path'\n"
        + "".join(
            f"account-hook '{pattern}' 'source \"touch {tmp_path}/ran-{number}|\"'\n"
            for number, pattern in enumerate(patterns.values())
        )
    )
    done = Client(fmt, tmp_path).run(rc, "-s", "subject", "b@example.com", stdin=b"hi\n")
    assert done.returncode == 1 and b"Could not connect to 127.0.0.1" in done.stderr, done.stderr
    ran = {name for number, name in enumerate(patterns) if (tmp_path / f"ran-{number}").exists()}
    assert ran == {"lower-case scheme, user decoded but for / and :, no path nor password"}
    result = import_paths(fmt, [str(rc)], ReadOptions())
    assert result.warnings == (  # the hook the client ran is the one the import runs (its source is not run)
        f"{rc}:2:54: source of a command's output: not run, not imported",
        f"{rc}:3:1: 2 account-hooks for an SMTP server that match no account's smtp_url (the client runs one when it "
        "sends through the server it names) are not imported",
        f"{rc}:1:26: the file holds a literal password (not imported): store it in a password manager and set "
        "password_command to the command that prints it",
    )


SENDING = """\
set realname = Alice smtp_url = smtps://alice@smtp.example.com/
folder-hook imaps://alice@imap.example.com/ 'set from = alice@example.com'
folder-hook imaps://bob@imap.example.com/ 'set from = bob@example.com smtp_url = smtp://bob@smtp.example.com:587/'
account-hook smtps://alice@smtp\\.example\\.com/ 'set smtp_pass = "`pass show alice`" realname = "Alice Sending"'
account-hook smtp://bob@smtp\\.example\\.com:587/ 'set smtp_pass = "`pass show bob`"; set ssl_force_tls'
account-hook imaps://bob@imap\\.example\\.com/ 'set smtp_pass = "`pass show bob-imap`" realname = Bob'
account-hook smtps://carol@smtp\\.example\\.com/ 'set smtp_pass = "`pass show carol`"'
"""


@pytest.mark.parametrize("fmt", ["mutt", "neomutt"])
def test_an_account_hook_for_an_smtp_server_applies_to_each_account_that_sends_through_it(
    tmp_path: Path, fmt: str
) -> None:
    # it was "hook that matches no mailbox URL (... folder-hook imaps://USER@HOST/ ...)": a wrong hint for a hook the
    # client runs when it sends; now it runs for the account whose smtp_url it matches, after the mailbox's hooks
    rc = tmp_path / "muttrc"
    rc.write_text(SENDING)
    result = import_paths(fmt, [str(rc)], ReadOptions())
    assert {name: (account["display_name"], account["outgoing"]) for name, account in result.accounts.items()} == {
        "alice": ("Alice Sending", {"host": "smtp.example.com", "port": 465, "security": "tls", "username": "alice",
                                    "password_command": "pass show alice", "auth": "password"}),
        "bob": ("Bob", {"host": "smtp.example.com", "port": 587, "security": "starttls", "username": "bob",
                        "password_command": "pass show bob", "auth": "password"}),
    }  # fmt: skip
    assert result.warnings == (
        f"{rc}:7:1: 1 account-hook for an SMTP server that matches no account's smtp_url (the client runs one when it "
        "sends through the server it names) is not imported",
    )


def test_the_smtp_server_s_account_hook_applies_to_a_file_of_one_account(tmp_path: Path) -> None:
    rc = tmp_path / "work.muttrc"
    rc.write_text(
        "set folder = imaps://a@imap.example.com/ from = a@example.com smtp_url = smtps://a@smtp.example.com/\n"
        "account-hook smtps://a@smtp\\.example\\.com/ 'set smtp_pass = \"`pass show a`\"'\n"
    )
    result = import_paths("mutt", [str(rc)], ReadOptions())
    assert result.accounts["work"]["outgoing"]["password_command"] == "pass show a"
    assert result.warnings == ()


def _hooks_run(binary: str, rc: Path, home: Path) -> None:
    """Open a local mailbox with the client in a pseudo-terminal and quit at once: its folder-hooks run."""
    (home / "Mail").mkdir(parents=True, exist_ok=True)
    mailbox = home / "mbox"
    mailbox.write_text("From a@example.com Mon Jan  1 00:00:00 2024\nSubject: x\n\nx\n")
    master, slave = os.openpty()
    env = client_env(home) | {"TERM": "xterm"}
    client = subprocess.Popen(
        [binary, "-n", "-F", str(rc), "-f", str(mailbox), "-e", "push q"],
        stdin=slave, stdout=slave, stderr=slave, env=env, cwd=home,
    )  # fmt: skip
    os.close(slave)
    with contextlib.suppress(OSError):  # EIO once the client has quit
        while os.read(master, 4096):
            pass
    os.close(master)
    assert client.wait(timeout=60) == 0


#: a hook's command with one $my_u in double quotes (expanded as the client reads the hook's line) and one in
#: single quotes (expanded when the hook runs, after the whole file)
HOOK_COMMAND = """"set realname = $my_u"' ; set imap_user = $my_u'"""


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
def test_a_variable_in_double_and_in_single_quotes_of_a_hook_is_expanded_at_the_line_and_when_it_runs(
    tmp_path: Path, binary: str
) -> None:
    # the import took both at the hook's line (imap_user "early"), as the hook's my_ variables were looked up by name
    need(binary)
    home = tmp_path / "home"
    seen = tmp_path / "seen"
    rc = tmp_path / "opened.muttrc"
    rc.write_text(
        f"set my_u = early\nfolder-hook . {HOOK_COMMAND}\nset my_u = late\n"
        f"folder-hook . 'source \"echo set my_seen = $realname:$imap_user > {seen}; echo |\"'\n"
    )
    _hooks_run(binary, rc, home)
    assert seen.read_text() == "set my_seen = early:late\n"
    rc = tmp_path / "work.muttrc"
    rc.write_text(
        "set from = alice@example.com\nset my_u = early\n"
        f"folder-hook imaps://imap.example.com/ {HOOK_COMMAND}\nset my_u = late\n"
    )
    result = import_paths(binary, [str(rc)], ReadOptions())
    assert (result.accounts, result.warnings) == (
        {
            "work": {
                "address": "alice@example.com",
                "display_name": "early",
                "incoming": {"protocol": "imap", "host": "imap.example.com", "port": 993, "security": "tls",
                             "username": "late", "auth": "password"},
            }
        },
        (),
    )  # fmt: skip


@pytest.mark.parametrize(("binary", "seen"), [("mutt", ":late"), ("neomutt", "late:late")])
def test_a_variable_not_set_at_the_hook_line_is_nothing_to_mutt_and_expanded_when_the_hook_runs_by_neomutt(
    tmp_path: Path, binary: str, seen: str
) -> None:
    # neomutt keeps a $NAME it finds nowhere as it is written, and expands it when the hook runs; the import said
    # "not expanded" in both (then in mutt, which expands it to nothing there)
    need(binary)
    home = tmp_path / "home"
    out = tmp_path / "seen"
    rc = tmp_path / "opened.muttrc"
    rc.write_text(
        f"folder-hook . {HOOK_COMMAND}\nset my_u = late\n"
        f"folder-hook . 'source \"echo set my_seen = $realname:$imap_user > {out}; echo |\"'\n"
    )
    _hooks_run(binary, rc, home)
    assert out.read_text() == f"set my_seen = {seen}\n"
    rc = tmp_path / "work.muttrc"
    rc.write_text(
        f"set from = alice@example.com\nfolder-hook imaps://imap.example.com/ {HOOK_COMMAND}\nset my_u = late\n"
    )
    result = import_paths(binary, [str(rc)], ReadOptions())
    account = result.accounts["work"]
    warnings = tuple(str(note).removeprefix(f"{rc}:") for note in result.warnings)
    if binary == "neomutt":
        assert (account["display_name"], account["incoming"]["username"], warnings) == ("late", "late", ())
    else:
        assert ("display_name" in account, account["incoming"]["username"], warnings) == (
            False,
            "late",
            ("2:39: realname: $my_u is not set where mutt reads this line (not by the file before it, nor in the "
             "environment the import ran in): imported as mutt reads it, as nothing",),
        )  # fmt: skip


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
def test_a_command_s_output_expanded_at_the_hook_line_in_single_quotes_is_not_known(
    tmp_path: Path, binary: str
) -> None:
    # the client expands $my_u (in double quotes) at the hook's line to the command's output, and the single quotes
    # around it in the command keep that text as it is when the hook runs: not known here, said, never the name the
    # import wrote it as
    need(binary)
    home = tmp_path / "home"
    out = tmp_path / "seen"
    rc = tmp_path / "opened.muttrc"
    lines = (
        "set my_u = \"`echo cmd`\" my_v = 'a b'\nfolder-hook PATTERN \"set imap_user = '$my_u' realname = '$my_v'\"\n"
    )
    rc.write_text(
        lines.replace("PATTERN", ".")
        + f"folder-hook . 'source \"echo set my_seen = $imap_user:$realname > {out}; echo |\"'\n"
    )
    _hooks_run(binary, rc, home)
    assert out.read_text() == "set my_seen = cmd:a b\n"
    rc = tmp_path / "work.muttrc"
    rc.write_text("set from = alice@example.com\n" + lines.replace("PATTERN", "imaps://imap.example.com/"))
    result = import_paths(binary, [str(rc)], ReadOptions())
    account = result.accounts["work"]
    warnings = tuple(str(note).removeprefix(f"{rc}:") for note in result.warnings)
    assert (account["display_name"], "username" in account["incoming"], warnings) == (
        "a b",
        False,
        ("3:39: imap_user runs a command (backticks): not run, not imported",),  # as set imap_user = $my_u says
    )


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
def test_a_hook_s_pattern_is_expanded_at_the_hook_s_line(tmp_path: Path, binary: str) -> None:
    # the pattern was read as written: imaps://$my_user@imap.example.com/ named no account, and the hook was counted
    # as one that matches none; then one of a $NAME set nowhere was "not expanded": mutt reads it as nothing (a
    # mailbox of an empty user: test_mutt_logins.py), neomutt as written (a $ in a pattern matches no mailbox URL)
    need(binary)
    home = tmp_path / "home"
    out = tmp_path / "seen"
    rc = tmp_path / "opened.muttrc"
    rc.write_text(
        f"set my_box = mbox\nfolder-hook $my_box 'source \"echo set my_seen = yes > {out}; echo |\"'\n"
        "set my_box = nothing-it-names\n"
    )
    _hooks_run(binary, rc, home)  # the mailbox is home/mbox: the pattern is mbox, what my_box held at the line
    assert out.read_text() == "set my_seen = yes\n"
    rc = tmp_path / "work.muttrc"
    rc.write_text(
        "set my_user = alice my_host = imap.example.com\n"
        "folder-hook imaps://$my_user@${my_host}/ 'set from = alice@example.com'\n"
        "folder-hook imaps://$my_other@imap.example.com/ 'set from = bob@example.com'\n"
    )
    result = import_paths(binary, [str(rc)], ReadOptions())
    incoming = {"protocol": "imap", "host": "imap.example.com", "port": 993, "security": "tls", "auth": "password"}
    alice = {"address": "alice@example.com", "incoming": incoming | {"username": "alice"}}
    reads = "as nothing" if binary == "mutt" else "as it is written"
    nowhere = (
        f"3:13: folder-hook: its pattern: $my_other is not set where {binary} reads this line (not by the file before "
        f"it, nor in the environment the import ran in): imported as {binary} reads it, {reads}"
    )
    if binary == "mutt":
        assert result.accounts == {"alice": alice, "bob": {"address": "bob@example.com", "incoming": incoming}}
        said = (
            "3:1: mailbox: mutt logs in with the empty user name the URL holds (nothing before its @), not imap_user, "
            "which an account cannot say: no username imported; write the user in the URL, or leave out its @"
        )
    else:
        assert result.accounts == {"work": alice}
        said = (
            "3:1: 1 hook that matches no mailbox URL of an account (a hook's pattern names one: folder-hook "
            "imaps://USER@HOST/ 'set ...') is not imported"
        )
    assert tuple(str(note).removeprefix(f"{rc}:") for note in result.warnings) == (nowhere, said)


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
def test_a_source_path_of_a_command_s_output_in_a_hook_s_single_quotes_is_said_as_written(
    tmp_path: Path, binary: str
) -> None:
    # the client expands $my_dir (in the hook's double quotes) at the hook's line to the command's output, which the
    # single quotes keep when the hook runs; the warning showed the import's own name for it, "${\x00mailconf:0}", and
    # said "$\x00mailconf: is not known here"
    rc = tmp_path / "work.muttrc"
    rc.write_text(
        'set from = alice@example.com my_dir = "`echo /tmp`"\n'
        "folder-hook imaps://imap.example.com/ \"source '$my_dir/x.rc'; source '$hostname/y.rc'\"\n"
    )
    result = import_paths(binary, [str(rc)], ReadOptions(follow_source=True))
    assert result.warnings == (
        f"{rc}:2:39: source $my_dir/x.rc: a variable in it holds a command's output: not run, not followed",
        f"{rc}:2:39: source $hostname/y.rc: $hostname is not known here (set nowhere before this line, or a "
        f"variable of {binary}'s that the import does not hold): not followed",
    )
    assert all("\0" not in str(warning) for warning in result.warnings)


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
def test_a_variable_s_name_and_a_header_s_field_expanded_at_the_hook_s_line_are_said_as_written(
    tmp_path: Path, binary: str
) -> None:
    # "set ${\x00mailconf:0}: unknown variable", and the same name in a my_hdr field: the import's own name for what
    # the client expanded at the hook's line (here a command's output, and $hostname) reached the user
    rc = tmp_path / "work.muttrc"
    rc.write_text(
        'set from = alice@example.com my_n = "`echo imap_user`"\n'
        "folder-hook imaps://imap.example.com/ \"set $my_n = x; my_hdr X-$hostname: 1; source 'a${hostname}b'\"\n"
    )
    result = import_paths(binary, [str(rc)], ReadOptions())
    assert result.warnings == (
        f"{rc}:2:39: set $my_n: the variable's name is what the client expanded there at the hook's line, which is "
        "not known here: not imported, nor the rest of this set",
        f"{rc}:2:39: source a${{hostname}}b: not followed (use --follow-source to read it)",
        f"{rc}:2:39: my_hdr X-$hostname: a header of every message, which an account file does not hold",
    )
