"""The getmail importer on hand-written rc files: exact accounts, warnings and errors; nothing evaluated.

``getmail --dump`` (getmail6 itself, through the helpers of tests/targets/test_getmail.py) reads the
same hand-written file and must show what the importer read.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pytest

from mailconf.cli import main
from mailconf.importers import ReadOptions
from mailconf.importers._core import import_paths
from tests.targets.test_getmail import destination_line, dump, maildir, options_of, retriever_line

SECRET = "s3cret-Do-Not-Print-42"
PIN = "ab" * 32


def imported(*paths: Path) -> tuple[dict[str, Any], tuple[str, ...]]:
    result = import_paths("getmail", [str(p) for p in paths], ReadOptions())
    return {k: dict(v) for k, v in result.accounts.items()}, result.warnings


HOME = f"""\
# hand-written
[retriever]
type = SimplePOP3SSLRetriever
server = pop.example.com
Port = 0x3e3
username = carol@example.com
password_command = ('pass', 'show', "mail/it's home")
ca_certs = CAFILE
ssl_fingerprints = ('{PIN}',)
timeout = 30

[destination]
type = Maildir
path = MAILDIR

[options]
delete = false
delete_after = 7
verbose = 0
"""


@pytest.fixture
def home_rc(tmp_path: Path) -> Path:
    ca = tmp_path / "ca.pem"
    ca.write_text("")  # getmail checks that it exists
    folder = tmp_path / "getmail"
    folder.mkdir()
    rc = folder / "getmailrc-home"
    rc.write_text(HOME.replace("CAFILE", str(ca)).replace("MAILDIR", f"{maildir(tmp_path / 'Mail')}/"))
    return rc


def test_a_hand_written_file_gives_its_account(home_rc: Path, tmp_path: Path) -> None:
    accounts, warnings = imported(home_rc)
    assert accounts == {
        "home": {"address": "carol@example.com", "incoming": {
            "protocol": "pop3", "host": "pop.example.com", "port": 995, "security": "tls",
            "username": "carol@example.com", "auth": "password",
            "password_command": "pass show 'mail/it'\"'\"'s home'",
            "tls": {"ca_file": str(tmp_path / "ca.pem"), "fingerprint": "sha256:" + ":".join(["AB"] * 32)},
            "timeout": 30, "leave_on_server": True, "leave_days": 7}},
    }  # fmt: skip
    assert shlex.split(accounts["home"]["incoming"]["password_command"]) == ["pass", "show", "mail/it's home"]
    assert warnings == (f"{home_rc}:19:1: getmail's options (verbose) are not account settings: not imported",)


def test_getmail_itself_reads_what_the_importer_reads(home_rc: Path, tmp_path: Path) -> None:
    got = dump(home_rc, tmp_path)
    assert got.retriever == retriever_line(
        "SimplePOP3SSLRetriever", ca_certs=tmp_path / "ca.pem", getmaildir=home_rc.parent, port=995,
        server="pop.example.com", username="carol@example.com", password_command=("pass", "show", "mail/it's home"),
        ssl_fingerprints=(PIN,), timeout=30,
    )  # fmt: skip
    assert got.destination == destination_line(f"{tmp_path / 'Mail'}/")
    assert got.options == options_of(delete_after=7) | {"verbose": "0", "read_all": "True"}  # its default


IMAP = f"""\
[retriever]
type = SimpleIMAPRetriever
server = imap.example.com
username = alice
password = {SECRET}
use_starttls = true
use_cram_md5 = yes
mailboxes = ('INBOX', 'Lists')

[destination]
type = MDA_external
path = /usr/bin/procmail

[filter-1]
type = Filter_external
path = /usr/bin/spamc

[options]
delete = true
read_all = true
"""


def test_what_an_account_file_cannot_hold_is_reported_never_copied(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = tmp_path / "work.getmailrc"
    rc.write_text(IMAP)
    accounts, warnings = imported(rc)
    assert accounts == {
        "work": {"address": "alice@imap.example.com", "incoming": {
            "protocol": "imap", "host": "imap.example.com", "port": 143, "security": "none", "username": "alice",
            "auth": "password", "mechanisms": ["cram-md5"]}},
    }  # fmt: skip
    assert warnings == (
        f"{rc}:1:1: getmail names no address: this one is a guess, check it",
        f"{rc}:5:1: the file holds a literal password (not imported): store it in a password manager and set "
        "password_command to the command that prints it",
        f"{rc}:6:1: use_starttls: getmail 6.18.11 ignores it, the connection stays in clear text: not imported",
        f"{rc}:8:1: getmail's mailboxes has no place in an account file",
        f"{rc}:14:1: [filter-1] filters the mail (a filter may run a command): not run, not imported",
        f"{rc}:19:1: delete: getmail deletes the messages from the IMAP server: not imported (an account file keeps "
        "IMAP mail on the server)",
        f"{rc}:20:1: read_all = true: getmail fetches every message on each run: not imported",
    )
    code = main(["import", "--from", "getmail", str(rc)])
    out, err = capsys.readouterr()
    assert code == 1
    assert SECRET not in out + err


def test_mailconfs_own_command_tuple_and_oauth2(tmp_path: Path) -> None:
    rc = tmp_path / "oauth.getmailrc"
    rc.write_text(
        "[retriever]\ntype = SimpleIMAPSSLRetriever\nserver = imap.example.com\nusername = a@example.com\n"
        "password_command = ('/bin/sh', '-c', 'oauth2 \\'tok\\' $(x) `y` \\U0001f600')\nuse_xoauth2 = true\n"
        "ca_certs = /etc/ssl/certs/ca-certificates.crt\n"
    )
    accounts, warnings = imported(rc)
    assert accounts["oauth"]["incoming"] == {
        "protocol": "imap", "host": "imap.example.com", "port": 993, "security": "tls", "username": "a@example.com",
        "auth": "oauth2", "token_command": "oauth2 'tok' $(x) `y` 😀",
    }  # fmt: skip
    assert warnings == ()


_SCRIPT = 'out=$(/bin/sh -c "$1") || exit; printf %s "$out" | head -n 1'


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (("/bin/sh", "-c", _SCRIPT, "mailconf", "pass show 'x'"), "pass show 'x'"),  # the getmail target's
        (("/bin/sh", "-c", "cat /p", "name", "arg"), "/bin/sh -c 'cat /p' name arg"),  # another script: as written
        (("/bin/sh", "-c", _SCRIPT, "mailconf"), f"/bin/sh -c '{_SCRIPT}' mailconf"),
    ],
)
def test_the_first_line_script_the_target_writes_gives_back_its_command(
    tmp_path: Path, argv: tuple[str, ...], command: str
) -> None:
    rc = tmp_path / "work.getmailrc"
    literal = "(" + ", ".join(repr(a) for a in argv) + ")"
    rc.write_text(f"[retriever]\ntype = SimplePOP3SSLRetriever\nserver = h.example\nusername = u\n"
                  f"password_command = {literal}\n")  # fmt: skip
    accounts, _ = imported(rc)
    assert accounts["work"]["incoming"]["password_command"] == command


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[retriever]\ntype = SimpleIMAPSSLRetriever\nserver = h\nusername = u\n"
         "password_command = __import__('os').system('touch PWN')\n",
         "5:1: password_command is not a Python literal (getmail would eval() it: not read); write a literal, like "
         "('/bin/sh', '-c', 'pass show mail') or 993"),
        ("[retriever]\ntype = SimpleIMAPSSLRetriever\nserver = h\nusername = u\npassword_command = 'pass show'\n",
         "5:1: password_command is not a tuple (getmail refuses the file); write ('word', 'word', ...)"),
        ("[retriever]\ntype = SimpleIMAPSSLRetriever\nserver = h\nport = open('PWN', 'w')\n",
         "4:1: port is not a Python literal (getmail would eval() it: not read); write a literal, like "
         "('/bin/sh', '-c', 'pass show mail') or 993"),
        ("[retriever]\ntype = SimpleIMAPSSLRetriever\nserver = h\nssl_fingerprints = ('abc',)\n",
         "4:1: ssl_fingerprints must each be a SHA-256 hash in hex (getmail refuses the file); write 64 hex digits"),
        ("[retriever]\ntype = SimpleIMAPSSLRetrieverX\nserver = h\n",
         "2:1: retriever type \"SimpleIMAPSSLRetrieverX\" is not one getmail has (or not an account's); "
         "use SimpleIMAPSSLRetriever, SimplePOP3SSLRetriever ..."),
        ("[options]\ndelete = true\n", "1:1: no [retriever] section (getmail refuses the file); check that the file "
         "is a getmail rc file (~/.config/getmail/NAME.getmailrc)"),
        ("[retriever]\ntype = SimplePOP3Retriever\nserver = h\n[options]\ndelete = maybe\n",
         "5:1: delete is not a boolean; write yes or no"),
        ("[retriever]\ntype = SimplePOP3Retriever\nserver = h\nserver = i\n",
         "4:1: server is set twice in [retriever] (the client refuses the file); keep one of them"),
    ],
)  # fmt: skip
def test_bad_input_is_one_located_line_and_exit_2(
    text: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = tmp_path / "getmailrc"
    rc.write_text(text.replace("PWN", str(tmp_path / "PWN")))
    code = main(["import", "--from", "getmail", str(rc)])
    out, err = capsys.readouterr()
    assert (code, out, err) == (2, "", f"mailconf: {rc}:{message}\n")
    assert not (tmp_path / "PWN").exists()


@pytest.mark.parametrize("number", ["0x" + "f" * 5000, "0o" + "7" * 6000, "-0b" + "1" * 20000, "1" + "0" * 100])
def test_a_number_too_large_for_any_setting_leaves_the_account_out(
    number: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # getmail eval()s the port; a hex literal has no digit limit, and the schema's message about it called
    # repr() of an int of over 4,300 digits, which raises: an internal error (exit 3)
    rc = tmp_path / "home.getmailrc"
    rc.write_text(
        f"[retriever]\ntype = SimpleIMAPSSLRetriever\nserver = h.example.org\nusername = u\nport = {number}\n"
    )
    code = main(["import", "--from", "getmail", str(rc)])
    out, err = capsys.readouterr()
    assert (code, out, err) == (1, "", (
        f"mailconf: warning: {rc}:1:1: getmail names no address: this one is a guess, check it\n"
        f"mailconf: warning: {rc}:1:1: account home: not imported, it cannot be valid: incoming.port: a number "
        "of more than 100 digits, far too large for any setting\n"
        f"mailconf: {rc}: no account could be imported (the reasons are above); nothing written\n"
    ))  # fmt: skip


ACCOUNTS = """\
version: 1
accounts:
  home:
    address: carol@example.com
    incoming: {protocol: pop3, host: pop.example.com, security: tls, password_command: pass show home,
               leave_on_server: true, leave_days: 7}
"""


def test_compare_renders_the_yaml_as_getmail_files_and_reports_drift(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    declared = tmp_path / "accounts.yaml"
    declared.write_text(ACCOUNTS)
    assert main(["render", "--target", "getmail", str(declared), "-o", str(tmp_path)]) == 0
    rc = tmp_path / "getmail" / "home.getmailrc"
    capsys.readouterr()
    assert main(["import", "--from", "getmail", str(rc), "--compare", str(declared)]) == 0
    assert capsys.readouterr().out == ""
    rc.write_text(rc.read_text().replace("port = 995", "port = 1995"))
    assert main(["import", "--from", "getmail", str(rc), "--compare", str(declared)]) == 1
    assert capsys.readouterr().out == "account home: incoming.port: file says 1995, YAML declares 995\n"


@pytest.mark.parametrize("options", ["", "[options]\n"])
def test_default_delete_applies_only_through_an_options_section(tmp_path: Path, options: str) -> None:
    # getmail reads delete with has_option('options', ...), which is False without an [options] section whatever
    # [DEFAULT] says: getmail keeps the mail. The import kept it too (leave_on_server true) but said nothing of the
    # [DEFAULT] delete the file holds, which getmail ignores
    rc = tmp_path / "work.getmailrc"
    rc.write_text(
        "[DEFAULT]\ndelete = true\ndelete_after = 3\n\n[retriever]\ntype = SimplePOP3SSLRetriever\n"
        "server = pop.example.com\nusername = alice@example.com\nca_certs = /etc/ssl/certs/ca-certificates.crt\n\n"
        f"[destination]\ntype = Maildir\npath = {maildir(tmp_path / 'Mail')}/\n\n{options}"
    )
    deletes = bool(options)
    assert dump(rc, tmp_path).options == options_of(deletes, 3 if deletes else 0) | {"read_all": "True"}
    accounts, warnings = imported(rc)
    assert accounts["work"]["incoming"]["leave_on_server"] is not deletes
    assert "leave_days" not in accounts["work"]["incoming"]
    assert warnings == (
        ()
        if deletes
        else (
            f"{rc}:2:1: [DEFAULT] (delete, delete_after): getmail applies it to [options] only, and the file has no "
            "[options] section: getmail ignores it, not imported",
        )
    )
