"""Hand-written client files: what the importer reads is what the real client reads.

msmtp 1.8.23 (``msmtp --pretend``; every ``passwordeval`` here is a harmless ``printf``),
fetchmail 6.4.37 (``--configdump``), getmail 6.18.11 (``--dump``) and offlineimap3 (its own
reader and objects, through tests/targets/test_offlineimap.py) read the same files, with
``defaults``, inheritance and the values each client supplies when the file says nothing.
"""

from __future__ import annotations

import os
import pwd
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mailconf.cli import main
from mailconf.document import build_model
from mailconf.errors import double_quoted
from mailconf.importers import ReadOptions, Unreadable
from mailconf.importers._core import import_paths
from mailconf.model import Auth, Security, Server
from mailconf.render import render_model
from mailconf.targets import TARGETS
from tests.conftest import need
from tests.targets._fetchmail_client import entries, verbose
from tests.targets._msmtp_client import MsmtpError, pretend
from tests.targets.test_getmail import dump, getmail, maildir, retriever_line
from tests.targets.test_offlineimap import offlineimap_reads

MSMTPRC = """\
defaults
tls on
timeout 30
tls_trust_file /etc/ssl/certs/ca-certificates.crt

account work
host smtp.example.com
user alice@example.com
auth on
passwordeval "printf x"
from alice@example.com

account fast : work
host smtps.example.com
tls_starttls off
auth plain

account token : work
host smtp.gmail.com
port 587
auth xoauth2
tls_fingerprint 3A:91:6C:0E:5B:77:21:9B:4D:AA:10:2F:5C:61:88:E0:93:12:7D:C4:05:BE:39:F2:6A:71:0D:C8:E2:54:9A:17

account plain
host relay.example.net
tls off
timeout off
auth off

account default : work
"""

_AUTH = {Auth.PASSWORD: "choose", Auth.NONE: "none", Auth.OAUTH2: "XOAUTH2", Auth.GSSAPI: "GSSAPI"}


def msmtp_view(server: Server, address: str | None) -> dict[str, str]:
    """What ``msmtp --pretend`` prints for an imported outgoing server."""
    encrypted = server.security is not Security.NONE
    command = server.token_command or server.password_command
    return {
        "host": server.host,
        "port": str(server.port),
        "tls": "on" if encrypted else "off",
        "tls_starttls": "off" if server.security is Security.TLS else "on",
        "auth": server.mechanisms[0].upper() if server.mechanisms else _AUTH[server.auth],
        "user": server.username if server.auth is not Auth.NONE else "(not set)",
        "passwordeval": command or "(not set)",
        "from": address or "(not set)",
        "timeout": "off" if not server.timeout else f"{server.timeout} seconds",
        "tls_fingerprint": (server.tls.fingerprint_hex or "(not set)") if encrypted else "(not set)",
    }


def test_msmtp_reads_what_the_importer_reads(tmp_path: Path) -> None:
    rc = tmp_path / "msmtprc"
    rc.write_text(MSMTPRC)
    rc.chmod(0o600)
    result = import_paths("msmtp", [str(rc)], ReadOptions())
    model = build_model({"version": 1, "accounts": dict(result.accounts)})
    assert [a.name for a in model.accounts] == ["work", "fast", "token", "plain"]
    for account in model.accounts:
        assert account.outgoing is not None
        real = pretend(rc, account.name, tmp_path)
        from_file = None if account.name == "plain" else account.address
        expected = msmtp_view(account.outgoing, from_file)
        assert {k: real[k] for k in expected} == expected, account.name
        if account.outgoing.security is not Security.NONE:  # msmtp keeps the defaults' trust file, unused
            assert real["tls_trust_file"] == account.outgoing.tls.ca_file, account.name
    assert result.warnings == (f"{rc}:24:1: msmtp names no from address here: this address is a guess, check it",)


#: an `account default : ...` line after MSMTPRC's accounts (instead of its `account default : work`) -> the account
#: msmtp's default account is, as it is (then not imported), or None where it is none of them (then imported)
MSMTP_DEFAULTS = {
    "account default : work\n": "work",
    "account default : work, fast\n": "fast",  # fast's settings cover all of work's: it is fast
    # work's host and from, fast's tls_starttls off (so port 465): it was left out as if it were work
    "account default : fast, work\n": None,
    # defaults changed after work: msmtp's default has port 2525, work has 25; it was left out
    "defaults\nport 2525\n\naccount default : work\n": None,
}


@pytest.mark.parametrize("lines", list(MSMTP_DEFAULTS))
def test_msmtp_default_account_is_left_out_only_where_it_is_another_account(tmp_path: Path, lines: str) -> None:
    rc = tmp_path / "msmtprc"
    rc.write_text(MSMTPRC.removesuffix("account default : work\n") + lines)
    rc.chmod(0o600)
    result = import_paths("msmtp", [str(rc)], ReadOptions())
    real = pretend(rc, "default", tmp_path)
    same = MSMTP_DEFAULTS[lines]
    if same is not None:
        assert "default" not in result.accounts
        assert real == pretend(rc, same, tmp_path)
        return
    model = build_model({"version": 1, "accounts": dict(result.accounts)})
    (default,) = (a for a in model.accounts if a.name == "default")
    assert default.outgoing is not None
    expected = msmtp_view(default.outgoing, default.address)
    assert {k: real[k] for k in expected} == expected
    assert all(real != pretend(rc, name, tmp_path) for name in ("work", "fast"))


def test_msmtp_default_account_stays_msmtps_default_once_rendered(tmp_path: Path) -> None:
    """``account default : fast`` makes fast what ``msmtp`` sends through without ``-a``. The import kept the file's
    order, work first, and render makes the first account msmtp's default (``account default : work``): the file
    rendered from the import sent through smtp.example.com, without a word from import, render or --compare."""
    rc = tmp_path / "msmtprc"
    rc.write_text(MSMTPRC.removesuffix("account default : work\n") + "account default : fast\n")
    rc.chmod(0o600)
    result = import_paths("msmtp", [str(rc)], ReadOptions())
    assert list(result.accounts) == ["fast", "work", "token", "plain"]
    model = build_model({"version": 1, "accounts": dict(result.accounts)})
    (file,) = render_model(TARGETS["msmtp"], model, {}).files
    rendered = tmp_path / "rendered"
    rendered.write_bytes(file.content)
    rendered.chmod(0o600)
    keys = ("host", "port", "tls", "tls_starttls", "auth", "user", "passwordeval", "from")
    real = pretend(rc, None, tmp_path)
    assert {k: real[k] for k in keys} == {
        "host": "smtps.example.com", "port": "465", "tls": "on", "tls_starttls": "off", "auth": "PLAIN",
        "user": "alice@example.com", "passwordeval": "printf x", "from": "alice@example.com",
    }  # fmt: skip
    assert {k: v for k, v in pretend(rendered, None, tmp_path).items() if k in keys} == {k: real[k] for k in keys}


@pytest.mark.parametrize(
    ("sender", "why"),
    [
        ("*@a.example", "from *@a.example is a wildcard pattern msmtp matches the envelope-from address against "
                        "(--from, --read-envelope-from), not the account's address"),
        ("%U@a.example", "from %U@a.example: msmtp replaces %U, %H, %C and %M in it when it sends, as the account file "
                         "cannot"),
    ],
)  # fmt: skip
def test_msmtp_from_that_is_a_pattern_is_not_the_account_s_address(tmp_path: Path, sender: str, why: str) -> None:
    """msmtp's ``from`` may be a wildcard pattern (``*@a.example``: ``--from bob@a.example`` picks the account and
    sends from bob) or hold substitutions (``%U``, the user name). Both were the account's address, exit 0, and a
    mutt or aerc file rendered from it sent ``From: *@a.example``."""
    rc = tmp_path / "msmtprc"
    rc.write_text(f"account a\nhost smtp.a.example\nuser me\nfrom {sender}\n\naccount default : a\n")
    rc.chmod(0o600)
    user = pwd.getpwuid(os.getuid()).pw_name  # --pretend's environment has no USER nor LOGNAME
    assert pretend(rc, None, tmp_path)["from"] == sender.replace("%U", user)  # msmtp's, not one address to write
    if "*" in sender:
        binary = need("msmtp")["msmtp"]
        done = subprocess.run(
            [binary, "-C", str(rc), "--pretend", "--from=bob@a.example"], capture_output=True, check=True, timeout=60,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)}, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        assert "from = bob@a.example\n" in done.stdout.decode()  # the account, sending from the address given
    result = import_paths("msmtp", [str(rc)], ReadOptions())
    assert result.accounts["a"]["address"] == "me@smtp.a.example"  # a guess, as for an account without from
    assert result.warnings == (f"{rc}:4:1: {why}: this address is a guess, check it",)


#: lines of an msmtprc's accounts, its defaults, and what may follow ``account default : ...``: what the import reads
#: (host, port, tls, user, from...) and what it has no place for (logfile, syslog)
_MSMTP_LINES = st.sampled_from([
    "host smtp.example.com", "host smtp.example.net", "port 587", "port 2525", "tls on", "tls off",
    "tls_starttls off", "tls_starttls on", "auth on", "auth off", "auth plain", "user alice", "user bob",
    "from alice@example.com", "from bob@example.com", "timeout 30", "logfile ~/.msmtp.log", "syslog LOG_MAIL",
])  # fmt: skip
_MSMTP_BLOCK = st.lists(_MSMTP_LINES, max_size=4).map(lambda lines: "".join(f"{line}\n" for line in lines))


def _msmtp_reads(rc: Path, account: str, view: dict[str, str], home: Path) -> dict[str, str]:
    """What ``msmtp --pretend`` prints for ``account``, on the keys of ``view``; tls_starttls only with TLS on (with
    tls off, msmtp prints what it holds, which makes no difference)."""
    real = pretend(rc, account, home)
    return {k: view[k] if k == "tls_starttls" and real["tls"] == "off" else real[k] for k in view}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    blocks=st.tuples(_MSMTP_BLOCK, _MSMTP_BLOCK, _MSMTP_BLOCK, _MSMTP_BLOCK),
    names=st.sampled_from(["work", "other", "work, other", "other, work"]),
)
@example(blocks=("", "", "", "tls off\n"), names="work")  # tls restated as it is: default was a second work
@example(blocks=("", "", "", "tls_starttls off\n"), names="work")  # with tls off, starttls is no difference
@example(blocks=("port 587\n", "port 2525\n", "", ""), names="work, other")  # work's port, not the defaults'
def test_msmtp_default_account_is_imported_as_msmtp_reads_it(
    tmp_path_factory: pytest.TempPathFactory, blocks: tuple[str, str, str, str], names: str
) -> None:
    """For generated msmtprc files ending ``account default : NAMES`` and lines of its own: each account imported is
    what msmtp reads for it; ``default`` is imported only where it differs from every account it names in what the
    import reads, and left out only where it is one of them."""
    defaults, work, other, own = blocks
    tmp_path = tmp_path_factory.mktemp("msmtp")
    rc = tmp_path / "msmtprc"
    rc.write_text(
        f"defaults\n{defaults}\naccount work\nhost smtp.example.org\nfrom alice@example.org\n{work}\n"
        f"account other\nhost smtp.example.org\nfrom alice@example.org\n{other}\naccount default : {names}\n{own}"
    )
    rc.chmod(0o600)
    try:
        result = import_paths("msmtp", [str(rc)], ReadOptions())
    except Unreadable:
        return  # nothing imported
    model = build_model({"version": 1, "accounts": dict(result.accounts)})
    views = {}
    for account in model.accounts:
        assert account.outgoing is not None
        views[account.name] = msmtp_view(account.outgoing, account.address)
        # msmtp prints the user the file names, with auth off too; the model's default (the address) is not in it
        views[account.name]["user"] = result.accounts[account.name]["outgoing"].get("username", "(not set)")
        assert _msmtp_reads(rc, account.name, views[account.name], tmp_path) == views[account.name], account.name
    if "default" in views:
        # one it does not name may be the same (``account default : work`` then other's host): it is not compared
        assert all(views["default"] != views[name] for name in names.split(", ") if name in views)
    else:
        assert any(_msmtp_reads(rc, "default", view, tmp_path) == view for view in views.values())


FETCHMAILRC = """\
# a hand-written fetchmailrc
set daemon 300
set no syslog

defaults proto IMAP timeout 40 sslcertck

poll "mail.example.com" with proto POP3 port 995
    user "carol@example.com" there is "carol" here
    options ssl keep sslcertfile "/etc/ssl/ca.pem" sslproto "TLS1.2+"

poll work via "imap.example.org"
    auth password
    user "bob" there is bob here
    sslproto "auto" no sslcertck

poll legacy via pop.example.net proto pop3
    user "dave@example.net" there
    sslproto '' no keep
"""


def fetchmail_view(server: Server) -> dict[str, Any]:
    """What ``fetchmail --configdump`` holds for an imported incoming server."""
    return {
        "protocol": server.protocol.value.upper(),
        "timeout": server.timeout,
        "remote": server.username,
        "ssl": server.security is Security.TLS,
        "sslproto": ""
        if server.security is Security.NONE
        else {"1.2": "TLS1.2+", None: "auto"}[server.tls.min_version],
        "sslcertck": server.tls.verify,  # kept from defaults even without TLS, where it means nothing
        "sslcertfile": server.tls.ca_file,
        "keep": bool(server.leave_on_server),
    }


def test_fetchmail_reads_what_the_importer_reads(tmp_path: Path) -> None:
    rc = tmp_path / "fetchmailrc"
    rc.write_text(FETCHMAILRC)
    rc.chmod(0o600)
    result = import_paths("fetchmail", [str(rc)], ReadOptions())
    model = build_model({"version": 1, "accounts": dict(result.accounts)})
    real = entries(rc, tmp_path)
    assert [a.name for a in model.accounts] == list(real) == ["mail.example.com", "work", "legacy"]
    for account in model.accounts:
        server = account.incoming
        assert server is not None
        entry = real[account.name]
        assert {k: entry[k] for k in fetchmail_view(server)} == fetchmail_view(server), account.name
        assert (entry["via"] or account.name) == server.host
        assert server.port == (
            int(entry["service"]) if entry["service"] else {"IMAP": 143, "POP3": 110}[entry["protocol"]]
        )


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ('"a\\"b"', '"a"b"'),  # a backslash does not escape the quote: the longer word wins, quotes and all
        ('"\\"ab\\""', '""ab""'),
        ('"a\\" is y', "a"),  # the string is "a\", its backslash at the end dropped
        ('"ab"c', '"ab"c'),
        ('"dom\\\\user"', "dom\\user"),
        ('"a\\x41b\\X42"', "aAbB"),
        ('"a\\0411"', "a!1"),  # \0 and two more octal digits at most
        ('"a\\66b\\qc"', "aBbqc"),  # decimal; an unknown escape is the character
        ("'it\\'s'", "'it's'"),
        ("dom\\\\user", "dom\\user"),  # a word unquoted is unescaped too
    ],
)
def test_fetchmail_backslashes_are_read_as_fetchmail_reads_them(tmp_path: Path, user: str, expected: str) -> None:
    # `user "a\"b"` stopped the import with "unbalanced quote", and fetchmail reads the file: its lexer takes a
    # quoted string as "[^"]*" and, where a longer word starts at the quote, that word (rcfile_l.l, flex)
    rc = tmp_path / "fetchmailrc"
    rc.write_text(f"poll mail.example.com proto IMAP user {user} is x here\n")
    rc.chmod(0o600)
    assert entries(rc, tmp_path)["mail.example.com"]["remote"] == expected
    result = import_paths("fetchmail", [str(rc)], ReadOptions())
    assert [a["incoming"]["username"] for a in result.accounts.values()] == [expected]


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ('"alice', '"alice'),
        ("'alice", "'alice"),
        ('"al\\x41ice', '"alAice'),  # unescaped, as any word
        ('"', '"'),
    ],
)
def test_fetchmail_reads_a_quote_never_closed_as_part_of_the_word(tmp_path: Path, user: str, expected: str) -> None:
    # the import stopped at "unbalanced quote" (exit 2); fetchmail's lexer reads the word that starts at the quote
    # ([^=;:, \t\r\n]+, where no quoted string matches), quote and all, and goes on
    rc = tmp_path / "fetchmailrc"
    rc.write_text(f"poll mail.example.com proto IMAP user {user} is x here\npoll other.example.com user bob\n")
    rc.chmod(0o600)
    real = entries(rc, tmp_path)
    assert [real[name]["remote"] for name in real] == [expected, "bob"]
    result = import_paths("fetchmail", [str(rc)], ReadOptions())
    assert [a["incoming"]["username"] for a in result.accounts.values()] == [expected, "bob"]


@pytest.mark.parametrize("quote", ['"', "'"])
def test_fetchmail_reads_a_quoted_string_across_lines(tmp_path: Path, quote: str) -> None:
    # '...' spanning lines stopped the import ("a quoted string spans lines", exit 2), where fetchmail reads it
    # as it reads "...": [^']* holds line ends (--configdump shows the password with its line end)
    rc = tmp_path / "fetchmailrc"
    rc.write_text(f"poll mail.example.com proto POP3\n  user alice password {quote}se\ncret{quote}\n  keep ssl\n")
    rc.chmod(0o600)
    real = entries(rc, tmp_path)["mail.example.com"]
    assert (real["password"], real["keep"], real["ssl"]) == ("se\ncret", True, True)
    result = import_paths("fetchmail", [str(rc)], ReadOptions())
    assert result.accounts == {
        "mail.example.com": {
            "address": "alice@mail.example.com",
            "incoming": {"protocol": "pop3", "host": "mail.example.com", "port": 995, "security": "tls",
                         "auth": "password", "username": "alice", "leave_on_server": True},
        }
    }  # fmt: skip
    assert [str(note) for note in result.warnings] == [
        f"{rc}:1:1: fetchmail names no address: this one is a guess, check it",
        f"{rc}:2:14: the file holds a literal password (not imported): store it in a password manager and set "
        "password_command to the command that prints it",
    ]


@pytest.mark.parametrize(
    ("entry", "remote", "keep"),
    [
        ("user alice is x = keep here", "alice", False),  # after = (and after is) a name, whatever it says
        ("user alice is keep here", "alice", False),
        ("user alice to x =y keep", "alice", True),
        ('user "a=b" there is "c=d" here keep', "a=b", True),  # in quotes, = is a character
        ("user alice keep", "alice", True),
    ],
)
def test_fetchmail_reads_an_equals_sign_as_a_token_of_its_own(
    tmp_path: Path, entry: str, remote: str, keep: bool
) -> None:
    # fetchmail's lexer makes = a token (MAP), taken only in REMOTE = LOCAL and set logfile = FILE; the importer
    # read it as part of a word, and "is x = keep here" as the keyword keep (leave_on_server: true)
    rc = tmp_path / "fetchmailrc"
    rc.write_text(f"set postmaster = root\npoll mail.example.com proto POP3\n  {entry}\n")
    rc.chmod(0o600)
    real = entries(rc, tmp_path)["mail.example.com"]
    assert (real["remote"], real["keep"]) == (remote, keep)
    result = import_paths("fetchmail", [str(rc)], ReadOptions())
    server = result.accounts["mail.example.com"]["incoming"]
    assert (server["username"], server.get("leave_on_server", False)) == (remote, keep)


def test_fetchmail_lmtp_takes_no_argument(tmp_path: Path) -> None:
    # lmtp took the word after it as its argument, so `lmtp ssl keep` lost the ssl (imported as starttls-optional);
    # fetchmail's grammar has LMTP alone, and reads ssl and keep as this user's options
    rc = tmp_path / "fetchmailrc"
    rc.write_text("poll mail.example.com proto POP3 user alice there smtphost localhost/2003 lmtp ssl keep\n")
    rc.chmod(0o600)
    real = entries(rc, tmp_path)["mail.example.com"]
    assert (real["lmtp"], real["ssl"], real["keep"]) == (True, True, True)
    result = import_paths("fetchmail", [str(rc)], ReadOptions())
    assert result.accounts["mail.example.com"]["incoming"] == {
        "protocol": "pop3", "host": "mail.example.com", "port": 995, "security": "tls", "auth": "password",
        "username": "alice", "leave_on_server": True,
    }  # fmt: skip


def test_fetchmail_a_flag_negated_after_the_defaults_is_off(tmp_path: Path) -> None:
    # `defaults ssl keep no sslcertck` then `no ssl no keep sslcertck` in the entry was imported as TLS without
    # verification, mail left on the server: each flag and its negation were kept side by side, and the positive
    # one won. fetchmail takes the later (--configdump: ssl, keep FALSE, sslcertck TRUE), as in `keep no keep`
    rc = tmp_path / "fetchmailrc"
    rc.write_text(
        "defaults ssl keep no sslcertck\npoll mail.example.com proto POP3 user alice there no ssl no keep sslcertck\n"
        "poll other.example.com proto POP3 user bob there keep no keep ssl no ssl\n"
    )
    rc.chmod(0o600)
    real = entries(rc, tmp_path)
    assert [(e["ssl"], e["keep"], e["sslcertck"]) for e in real.values()] == [(False, False, True), (False,) * 3]
    result = import_paths("fetchmail", [str(rc)], ReadOptions())
    pop3 = {"protocol": "pop3", "port": 110, "security": "starttls-optional", "auth": "password"}
    assert [a["incoming"] for a in result.accounts.values()] == [
        {**pop3, "host": "mail.example.com", "username": "alice", "leave_on_server": False},
        {**pop3, "host": "other.example.com", "username": "bob", "tls": {"verify": False}, "leave_on_server": False},
    ]


@pytest.mark.parametrize(
    "entry",
    [
        "user alice there is bob KEEP here",  # in fetchmail's lexer KEEP is a word, a local name: no keep
        "localdomains example.com Keep user alice there",
        "local example.com preauth password user alice there folders INBOX smtp localhost pass8 mimedec keep",
        "user alice there keep nokeep",  # nokeep is no keep
        "user alice there noflush nopass8 nomimedec keep",
        "bad-header accept user alice there keep",  # bad-header (no badheader), a server option
        "localdomains a.example and b.example aka c d user alice there antispam 571 550 folder INBOX b keep",
        'envelope 2 "X-To" user alice there smtphost a/2003 "b" fetchdomains x.example keep',
    ],
)
def test_fetchmail_keywords_are_read_as_its_lexer_reads_them(tmp_path: Path, entry: str) -> None:
    # the import read keywords in any case (`is bob KEEP here` kept the mail: leave_on_server true), and refused the
    # other spellings fetchmail's lexer takes (local, folders, smtp, preauth, pass8, mimedec, nokeep, noflush ...)
    rc = tmp_path / "fetchmailrc"
    rc.write_text(f"poll mail.example.com proto POP3 {entry}\n")
    rc.chmod(0o600)
    real = entries(rc, tmp_path)["mail.example.com"]
    result = import_paths("fetchmail", [str(rc)], ReadOptions())
    server = result.accounts["mail.example.com"]["incoming"]
    assert (server["username"], server["auth"], server.get("leave_on_server", False)) == (
        real["remote"], "password", real["keep"]
    )  # fmt: skip
    assert real["keep"] == entry.endswith(" keep")


def test_fetchmail_relative_certificate_files_are_beside_the_rc_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a relative sslcertfile was imported as written, which the account file refuses (an absolute path): the account
    # was left out; fetchmail takes it from the rc file's folder (prependdir), made absolute from the current one
    (tmp_path / "conf").mkdir()
    (tmp_path / "elsewhere").mkdir()
    rc = tmp_path / "conf" / "fetchmailrc"
    rc.write_text(
        'poll mail.example.com proto IMAP user alice there ssl sslcertfile "ca.pem" sslcert certs/me.pem\n'
        "  sslkey /etc/ssl/me.key\n"
    )
    rc.chmod(0o600)
    monkeypatch.chdir(tmp_path / "elsewhere")
    real = entries(Path("../conf/fetchmailrc"), tmp_path)["mail.example.com"]
    beside = f"{tmp_path}/elsewhere/../conf"
    assert (real["sslcertfile"], real["sslcert"], real["sslkey"]) == (
        f"{beside}/ca.pem", f"{beside}/certs/me.pem", "/etc/ssl/me.key"
    )  # fmt: skip
    result = import_paths("fetchmail", ["../conf/fetchmailrc"], ReadOptions())
    assert result.accounts["mail.example.com"]["incoming"]["tls"] == {
        "ca_file": real["sslcertfile"], "client_cert": real["sslcert"], "client_key": real["sslkey"]
    }  # fmt: skip


@pytest.mark.parametrize(
    ("defaults", "second"),
    [
        ("defaults proto POP3 user alice there keep user bob there no keep", "1:43"),
        ("defaults proto POP3 user alice there keep\ndefaults proto IMAP user bob there no keep", "2:1"),
    ],
)
def test_fetchmail_applies_the_first_defaults_record_only(tmp_path: Path, defaults: str, second: str) -> None:
    # a second user in defaults (or defaults twice) replaced the first: the entries after it were imported logging in
    # as bob, where fetchmail (load_params) gives them the first record's settings only, alice's, and polls a server
    # named defaults with the second
    rc = tmp_path / "fetchmailrc"
    rc.write_text(f"{defaults}\npoll mail.example.com\n")
    rc.chmod(0o600)
    user, lines = verbose(rc, tmp_path)["mail.example.com"]  # --configdump garbles the first file's dump
    assert (
        user,
        "  Protocol is POP3." in lines,
        "  Fetched messages will be kept on the server (--keep on)." in lines,
    ) == ("alice", True, True)
    result = import_paths("fetchmail", [str(rc)], ReadOptions())
    incoming = result.accounts["mail.example.com"]["incoming"]
    assert (incoming["protocol"], incoming["username"], incoming["leave_on_server"]) == ("pop3", "alice", True)
    assert (
        f"{rc}:{second}: a second defaults record (a second user, or defaults again): fetchmail gives the "
        "entries after it the first one's settings only, and polls a server named defaults with this one; "
        "not imported" in [str(note) for note in result.warnings]
    )


def test_fetchmail_bsmtp_is_reported_as_the_file_it_names(tmp_path: Path) -> None:
    # bsmtp was reported as "bsmtp runs a command", where it names a file (rcfile_y.y: BSMTP STRING, taken from the rc
    # file's folder) that fetchmail appends the mail to as batch SMTP: nothing is run, and the account is imported
    rc = tmp_path / "fetchmailrc"
    rc.write_text("poll mail.example.com proto POP3 user alice there bsmtp out.bsmtp ssl\n")
    rc.chmod(0o600)
    real = entries(rc, tmp_path)["mail.example.com"]
    assert (real["bsmtp"], real["mda"], real["ssl"]) == (f"{tmp_path}/out.bsmtp", None, True)
    result = import_paths("fetchmail", [str(rc)], ReadOptions())
    assert result.accounts["mail.example.com"]["incoming"]["security"] == "tls"
    assert (
        f"{rc}:1:51: bsmtp: fetchmail appends the mail it fetches to this file as batch SMTP (- for its standard "
        "output) instead of delivering it; a delivery setting, not imported" in [str(n) for n in result.warnings]
    )


#: fetchmail's ``timeout`` -> what the importer writes (None: left out, fetchmail's default 300 s), and the number
#: fetchmail reads when it is not the one written (atoi: a 64-bit long cut to a 32-bit int), which the importer says
TIMEOUTS = {
    "30": (30, None), "0": (None, None), "00": (None, None), "-0": (None, None), "-1": (None, None),
    "-01": (None, None), "-2": (0, None), "-300": (0, None), "4294967326": (30, 30),
    "2147483648": (0, -(2**31)), "-" + "9" * 30: (None, 0), "9" * 4400: (None, -1),
}  # fmt: skip


@pytest.mark.parametrize("timeout", list(TIMEOUTS), ids=[t if len(t) < 12 else f"{len(t)}-chars" for t in TIMEOUTS])
def test_fetchmail_reads_a_timeout_as_the_importer_reads_it(tmp_path: Path, timeout: str) -> None:
    """fetchmail takes 0 and -1 for "not set" (its default, 300 s), any other negative number for no time limit
    (configdump's 0), and a number past 32 bits cut to them. 0 was imported as mailconf's ``timeout: 0`` (none), and
    a negative number was a string the schema refused, so the account was left out."""
    rc = tmp_path / "fetchmailrc"
    rc.write_text(f'poll mail.example.org proto IMAP timeout {timeout}\n    user "bob@example.org" there ssl\n')
    rc.chmod(0o600)
    result = import_paths("fetchmail", [str(rc)], ReadOptions())
    model = build_model({"version": 1, "accounts": dict(result.accounts)})
    (account,) = model.accounts
    assert account.incoming is not None
    imported = account.incoming.timeout
    real = entries(rc, tmp_path)["mail.example.org"]["timeout"]
    assert (300 if imported is None else imported) == real
    expected, read_as = TIMEOUTS[timeout]
    assert imported == expected
    shown = timeout if len(timeout) <= 80 else f"{timeout[:80]}…"
    note = f"{rc}:1:34: timeout {shown}: fetchmail reads this number as {read_as} (a 32-bit int)"
    assert [w for w in result.warnings if ": timeout " in w] == ([] if read_as is None else [note])


#: a line msmtp reads otherwise than it looks: what msmtp prints for it, and what the import gives
MSMTP_READINGS = {
    "port 010": ("port", "8", ("port", 8)),  # strtol base 0: octal
    "port 0x24B": ("port", "587", ("port", 587)),
    "port +587": ("port", "587", ("port", 587)),
    "timeout 010": ("timeout", "8 seconds", ("timeout", 8)),
    "connect_timeout 30": ("timeout", "30 seconds", ("timeout", 30)),  # msmtp's older name of timeout
    "auth": ("auth", "choose", ("auth", "password")),  # a bare auth is auth on
    'port " 25"': ("port", "25", ("port", 25)),  # strtol skips leading white space
    "timeout 86400": ("timeout", "86400 seconds", ("timeout", 86400)),  # the schema's most (msmtp's: INT_MAX)
    "timeout off": ("timeout", "off", ("timeout", 0)),
    'auth ""': ("auth", "choose", ("auth", "password")),
}


@pytest.mark.parametrize("line", sorted(MSMTP_READINGS))
def test_msmtp_arguments_are_read_as_msmtp_reads_them(tmp_path: Path, line: str) -> None:
    rc = tmp_path / "msmtprc"
    rc.write_text(f"account a\nhost smtp.example.com\nfrom a@example.com\n{line}\n")
    rc.chmod(0o600)
    printed, msmtp_says, (key, imported) = MSMTP_READINGS[line]
    result = import_paths("msmtp", [str(rc)], ReadOptions())
    assert (pretend(rc, "a", tmp_path)[printed], result.accounts["a"]["outgoing"][key]) == (msmtp_says, imported)


PORT_FIX = "write a port number from 1 to 65535"
TIMEOUT_FIX = "write a number of seconds from 1 up, or off (in lower case) for no time limit"
PIN_FIX = "write the certificate's SHA-256 fingerprint as 32 pairs of hexadecimal digits separated by colons"
#: an argument msmtp refuses, which refuses the whole file: what the import said of it (tls ON was read as off, auth
#: PLAIN as plain, port 0587 as 587), and the column msmtp's message has no place for
MSMTP_REFUSED = {
    "tls ON": '4:5: invalid argument "ON" for command tls: msmtp refuses the file; write one of on, off (in lower '
    "case) or nothing",
    "  tls_starttls   Off": '4:18: invalid argument "Off" for command tls_starttls: msmtp refuses the file; write one '
    "of on, off (in lower case) or nothing",
    "tls_certcheck no": '4:15: invalid argument "no" for command tls_certcheck: msmtp refuses the file; write one of '
    "on, off (in lower case) or nothing",
    "auth PLAIN": '4:6: invalid argument "PLAIN" for command auth: msmtp refuses the file; write one of on, off, '
    "plain, login, scram-sha-1, scram-sha-256, cram-md5, digest-md5, xoauth2, oauthbearer, gssapi, ntlm, external "
    "(in lower case) or nothing",
    "port 0587": "4:6: port 0587: msmtp reads a number that starts with 0 as octal, which has no 8 or 9, and refuses "
    "the file; write 587, without the leading 0",
    # the account was left out with the schema's words: msmtp refuses the whole file
    "port abc": f'4:6: invalid argument "abc" for command port: msmtp refuses the file; {PORT_FIX}',
    "port 0": f'4:6: invalid argument "0" for command port: msmtp refuses the file; {PORT_FIX}',
    "port -1": f'4:6: invalid argument "-1" for command port: msmtp refuses the file; {PORT_FIX}',
    "port 70000": f'4:6: invalid argument "70000" for command port: msmtp refuses the file; {PORT_FIX}',
    'port "25 "': f'4:6: invalid argument "25 " for command port: msmtp refuses the file; {PORT_FIX}',
    "port 0x": f'4:6: invalid argument "0x" for command port: msmtp refuses the file; {PORT_FIX}',
    "timeout 0": f'4:9: invalid argument "0" for command timeout: msmtp refuses the file; {TIMEOUT_FIX}',
    "timeout -5": f'4:9: invalid argument "-5" for command timeout: msmtp refuses the file; {TIMEOUT_FIX}',
    "timeout OFF": f'4:9: invalid argument "OFF" for command timeout: msmtp refuses the file; {TIMEOUT_FIX}',
    "timeout 2147483648": f'4:9: invalid argument "2147483648" for command timeout: msmtp refuses the file; '
    f"{TIMEOUT_FIX}",
    "connect_timeout 0": f'4:17: invalid argument "0" for command connect_timeout: msmtp refuses the file; '
    f"{TIMEOUT_FIX}",
    "tls_fingerprint zz": f'4:17: invalid argument "zz" for command tls_fingerprint: msmtp refuses the file; {PIN_FIX}',
    "tls_fingerprint AB:CD": f'4:17: invalid argument "AB:CD" for command tls_fingerprint: msmtp refuses the file; '
    f"{PIN_FIX}",
    "protocol SMTP": '4:10: invalid argument "SMTP" for command protocol: msmtp refuses the file; write one of '
    "smtp, lmtp (in lower case)",
    "protocol": "4:9: command protocol needs an argument: msmtp refuses the file; write a value after protocol, or "
    "remove the line",
    "port": "4:5: command port needs an argument: msmtp refuses the file; write a value after port, or remove the line",
    "timeout": "4:8: command timeout needs an argument: msmtp refuses the file; write a value after timeout, or "
    "remove the line",
}


@pytest.mark.parametrize("line", sorted(MSMTP_REFUSED))
def test_msmtp_arguments_msmtp_refuses_stop_the_import(tmp_path: Path, line: str) -> None:
    rc = tmp_path / "msmtprc"
    rc.write_text(f"account a\nhost smtp.example.com\nfrom a@example.com\n{line}\n")
    rc.chmod(0o600)
    with pytest.raises(MsmtpError, match=r"msmtprc: line 4: (invalid argument .+ for command|command \S+ needs an)"):
        pretend(rc, "a", tmp_path)
    with pytest.raises(Unreadable) as refused:
        import_paths("msmtp", [str(rc)], ReadOptions())
    assert str(refused.value) == f"{rc}:{MSMTP_REFUSED[line]}"


def msmtp_undefined(parent: str) -> tuple[str, str]:
    """What msmtp and the import say of an account line that inherits from ``parent``, not defined before it."""
    return (
        f"account {parent} not \\(yet\\) defined",
        f'4:9: account "{parent}" not (yet) defined: this account inherits from it, and msmtp refuses the file; define '
        f"account {parent} before this one, or remove it from the list",
    )


MSMTP_NO_NAME_FIX = ": msmtp refuses the file; write the account's name after account"
#: an account line msmtp refuses (after `account a`, defined at line 1): msmtp's words, and the import's stop (exit 2)
MSMTP_ACCOUNTS_REFUSED = {
    # these were imported: `account default :` as an account of its own, `account b : a,` as b inheriting from a
    "account default :": ("missing account name", '4:9: account "default :": missing account name after the colon'),
    "account b : a,": ("missing account name", '4:9: account "b : a,": missing account name after the colon'),
    "account b : a, , a": ("missing account name", '4:9: account "b : a, , a": missing account name after the colon'),
    "account : a": ("missing account name", f"4:9: missing account name{MSMTP_NO_NAME_FIX}"),
    "account": ("missing account name", f"4:8: missing account name{MSMTP_NO_NAME_FIX}"),
    # these were imported with a warning, without what they inherit: msmtp sends no mail with any account of the file
    "account default : x": msmtp_undefined("x"),
    "account b : a, b": msmtp_undefined("b"),
    "account a : x": msmtp_undefined("x"),
    "account b,c": (
        "an account name must not contain colons or commas",
        '4:9: account name "b,c": an account name must not contain colons or commas: msmtp refuses the file; rename '
        "the account",
    ),
}
MSMTP_MISSING_FIX = (
    ": msmtp refuses the file; name each account it inherits from after the colon, separated by commas (account NAME "
    ": OTHER), or remove the colon"
)


@pytest.mark.parametrize("line", sorted(MSMTP_ACCOUNTS_REFUSED))
def test_msmtp_account_lines_msmtp_refuses_stop_the_import(tmp_path: Path, line: str) -> None:
    rc = tmp_path / "msmtprc"
    rc.write_text(f"account a\nhost smtp.example.com\nfrom a@example.com\n{line}\nhost smtp.example.org\n")
    rc.chmod(0o600)
    msmtp_says, stop = MSMTP_ACCOUNTS_REFUSED[line]
    with pytest.raises(MsmtpError, match=f"msmtprc: line 4: {msmtp_says}\n"):
        pretend(rc, "a", tmp_path)
    with pytest.raises(Unreadable) as refused:
        import_paths("msmtp", [str(rc)], ReadOptions())
    assert str(refused.value) == f"{rc}:{stop}{MSMTP_MISSING_FIX if stop.endswith('colon') else ''}"


# --- getmail 6.18.11 (getmail --dump) ---------------------------------------------------------------------------


def _getmail_rc(tmp_path: Path, text: str) -> Path:
    """``text`` as an rc file getmail --dump reads (a Maildir destination appended)."""
    rc = tmp_path / "home.getmailrc"
    rc.write_text(f"{text}[destination]\ntype = Maildir\npath = {maildir(tmp_path / 'Mail')}/\n")
    return rc


def test_getmail_applies_default_to_options_only_as_the_importer_reads_it(tmp_path: Path) -> None:
    # [DEFAULT]'s port, username and password_command were imported as the retriever's: getmail reads [options]
    # with them, then clears the parser's defaults (configparser._defaults = {}) and reads [retriever] without them
    rc = _getmail_rc(tmp_path, (
        "[DEFAULT]\nport = 2000\nusername = bob\npassword_command = ('pass', 'bob')\ndelete = true\n"
        "[retriever]\ntype = SimplePOP3SSLRetriever\nserver = pop.example.com\nusername = alice@example.com\n"
        "[options]\n"
    ))  # fmt: skip
    got = dump(rc, tmp_path)
    assert got.retriever == retriever_line(
        "SimplePOP3SSLRetriever", getmaildir=tmp_path, server="pop.example.com", username="alice@example.com"
    )
    assert got.options["delete"] == "True"
    result = import_paths("getmail", [str(rc)], ReadOptions())
    assert result.accounts["home"]["incoming"] == {
        "protocol": "pop3", "host": "pop.example.com", "port": 995, "security": "tls", "username": "alice@example.com",
        "auth": "password", "tls": {"verify": False}, "leave_on_server": False,
    }  # fmt: skip
    assert result.warnings == (
        f"{rc}:2:1: [DEFAULT] (port, username, password_command): getmail applies it to [options] only, not to "
        "[retriever]: not imported",
    )


def test_getmail_takes_no_server_from_default(tmp_path: Path) -> None:
    rc = _getmail_rc(tmp_path, "[DEFAULT]\nserver = pop.example.com\n[retriever]\ntype = SimplePOP3Retriever\n")
    done = getmail(rc, tmp_path, "--dump")
    assert (done.returncode, done.stderr) == (2, f"Configuration error: configuration file {rc} incorrect (server: "
                                              "missing required configuration parameter)\n")  # fmt: skip
    with pytest.raises(Unreadable) as refused:
        import_paths("getmail", [str(rc)], ReadOptions())
    assert str(refused.value) == f"{rc}:3:1: no server (getmail refuses the file); add server = HOST"


GETMAIL_IMAP = "[retriever]\ntype = SimpleIMAPSSLRetriever\nserver = h.example\nusername = u\n"

#: a [retriever] line getmail reads with int(eval(VALUE)) or a tuple's str() of each item: what getmail --dump
#: shows, and what the import gives
GETMAIL_READINGS = {
    "timeout = 30.9": ("timeout", "30", ("timeout", 30)),
    "port = '0993'": ("port", "993", ("port", 993)),
    "port = ' 1993 '": ("port", "1993", ("port", 1993)),
    "port = True": ("port", "1", ("port", 1)),
    "password_command = ('pass', 5, 1.5)": ("password_command", "('pass', '5', '1.5')", ("password_command",
                                                                                        "pass 5 1.5")),
}  # fmt: skip


@pytest.mark.parametrize("line", sorted(GETMAIL_READINGS))
def test_getmail_literals_are_read_as_getmail_reads_them(tmp_path: Path, line: str) -> None:
    # each was refused ("is not a whole number", "is not a tuple of strings", exit 2) where getmail reads the file
    rc = _getmail_rc(tmp_path, f"{GETMAIL_IMAP}{line}\n")
    shown, getmail_says, (key, imported) = GETMAIL_READINGS[line]
    assert f'{shown}="{getmail_says}"' in dump(rc, tmp_path).retriever
    result = import_paths("getmail", [str(rc)], ReadOptions())
    assert result.accounts["home"]["incoming"][key] == imported


GETMAIL_REFUSED = {
    "port = 'abc'": (2, "5:1: port is not a whole number (getmail refuses the file); write digits only"),
    "timeout = 1e999": (4, "5:1: timeout is not a whole number (getmail refuses the file); write digits only"),
    "timeout = ()": (2, "5:1: timeout is not a whole number (getmail refuses the file); write digits only"),
    "password_command = 'pass'": (2, "5:1: password_command is not a tuple (getmail refuses the file); write "
                                  "('word', 'word', ...)"),
    "password_command = (0x" + "f" * 4000 + ",)": (4, "5:1: password_command holds a number too long to be a word "
                                                   "(getmail stops there); write ('word', 'word', ...)"),
}  # fmt: skip


@pytest.mark.parametrize("line", sorted(GETMAIL_REFUSED), ids=lambda line: line[:30])
def test_getmail_literals_getmail_refuses_stop_the_import(tmp_path: Path, line: str) -> None:
    rc = _getmail_rc(tmp_path, f"{GETMAIL_IMAP}{line}\n")
    code, message = GETMAIL_REFUSED[line]
    assert getmail(rc, tmp_path, "--dump").returncode == code  # 4: a traceback
    with pytest.raises(Unreadable) as refused:
        import_paths("getmail", [str(rc)], ReadOptions())
    assert str(refused.value) == f"{rc}:{message}"


# --- offlineimap3 (its own reader and objects) ----------------------------------------------------------------------


def _offlineimap_rc(tmp_path: Path, remote: str) -> Path:
    """An .offlineimaprc with one account, ``work``, whose remote repository holds ``remote``."""
    rc = tmp_path / ".offlineimaprc"
    rc.write_text(
        "[general]\naccounts = work\n[Account work]\nlocalrepository = local\nremoterepository = remote\n"
        f"[Repository local]\ntype = Maildir\nlocalfolders = {tmp_path}/Mail\n"
        "[Repository remote]\ntype = IMAP\nremotehost = imap.example.org\nremoteuser = alice@example.org\n"
        f"remoteport = 993\nsslcacertfile = OS-DEFAULT\n{remote}"
    )
    return rc


@pytest.mark.parametrize(
    ("line", "field", "evaluated", "setting"),
    [
        ("remotehosteval = 'other.example.org'", "host", "other.example.org", "host"),
        ("remoteporteval = 1993", "port", 1993, "port"),
        ("remoteusereval = 'bob@example.org'", "user", "bob@example.org", "username"),
        ('remoteusereval = "bob@example.org"', "user", "bob@example.org", "username"),
        ("remoteusereval = b'b\\xc3\\xb6b@example.org'", "user", "b\u00f6b@example.org", "username"),
    ],
)
def test_offlineimap_uses_an_eval_over_the_plain_setting_and_the_import_reads_a_literal_as_it_does(
    tmp_path: Path, line: str, field: str, evaluated: object, setting: str
) -> None:
    # remotehost, remoteport and remoteuser were imported beside a remotehosteval, remoteporteval or remoteusereval
    # (reported as "not run, not imported"): offlineimap evaluates the Python and uses its value, never the plain
    # setting's. Then the account was left out; published files write a literal there (remoteusereval =
    # "alice@example.com"), whose value is known without running anything: it is imported as offlineimap reads it
    rc = _offlineimap_rc(tmp_path, f"{line}\n")
    assert offlineimap_reads(rc, tmp_path, "use")["repos"]["work"][field] == evaluated
    result = import_paths("offlineimap", [str(rc)], ReadOptions())
    assert result.accounts["work"]["incoming"][setting] == evaluated
    assert result.warnings == ()


@pytest.mark.parametrize(
    "line",
    ["remoteusereval = get_user('work')", "remoteporteval = '993'", "remoteporteval = True", "remotehosteval = 1"],
)
def test_offlineimap_an_eval_that_is_not_a_literal_of_its_kind_leaves_the_account_out(
    tmp_path: Path, line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # code (its value known only by running it), or a literal offlineimap would not use as such (a port of text or
    # True, a host that is a number): not run, and no host, port or user is made up for it
    rc = _offlineimap_rc(tmp_path, f"{line}\n")
    key, plain = line.split(" ", 1)[0], line.split("eval", 1)[0]
    assert main(["import", "--from", "offlineimap", str(rc)]) == 2
    assert capsys.readouterr() == ("", (
        f'mailconf: warning: {rc}:15:1: account "work": {key} is Python that offlineimap evaluates in place of '
        f"{plain} (not run): not imported\n"
        f"mailconf: {rc}:1:1: no offlineimap account found (the warnings above say what was left out); check that "
        "the file is offlineimap configuration, or choose another --from\n"
    ))  # fmt: skip


@pytest.mark.parametrize(
    ("mechanisms", "unknown"),
    [("GSSAPI ,PLAIN", "GSSAPI "), ("PLAIN,", ""), ("", ""), ("PLAIN,,LOGIN", "")],
)
def test_offlineimap_auth_mechanisms_are_split_as_offlineimap_splits_them(
    tmp_path: Path, mechanisms: str, unknown: str
) -> None:
    # the import stripped each name and dropped empty ones ("GSSAPI ,PLAIN" was auth: gssapi); offlineimap splits
    # at ",\s*" only, and refuses a name it does not know: "GSSAPI " and "" stop it
    rc = _offlineimap_rc(tmp_path, f"auth_mechanisms = {mechanisms}\n")
    with pytest.raises(AssertionError, match=f"unknown authentication mechanism {unknown!r}"):
        offlineimap_reads(rc, tmp_path, "use")
    result = import_paths("offlineimap", [str(rc)], ReadOptions())
    assert result.accounts["work"]["incoming"]["auth"] == "password"
    said = f"{rc}:15:1: offlineimap knows no {double_quoted(unknown)} (it stops there): left out of mechanisms"
    assert said in result.warnings
