"""The aerc importer: go-ini's reading of accounts.conf, aerc 0.14's and 0.15's URLs, nothing run, no secret shown.

The round trip over every example runs in test_round_trip.py. Its generated files almost never
suit aerc (POP3, send-only accounts, a password login without a command are all gaps), so the
hypothesis round trip runs here, over the same generated files made into what aerc expresses:
the hostile values stay as generated.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from mailconf.cli import main
from mailconf.importers import ReadOptions, aerc
from mailconf.importers._core import import_paths
from tests.conftest import EXAMPLES, need
from tests.importers.test_round_trip import account_files, comes_back_exactly
from tests.servers import make_certificates, server_context
from tests.targets._aerc_client import AERC_TIMEOUT, ImapStub, Login, aerc_binary, load_failure
from tests.targets._aerc_client import aerc as aerc_client
from tests.targets.test_boundaries import _aerc_failures

SECRET = "s3cret-Do-Not-Print-42"
#: the warning for an smtp:// URL in a file that does not say which aerc it is for (0.15 changed its meaning)
AMBIGUOUS = (
    "{scheme}:// without smtp-starttls = yes is read as aerc 0.14 reads it (security none); aerc 0.15 and "
    "later send STARTTLS there: if the file is for one of them, set security: starttls"
)


#: the warnings for what aerc 0.15 or 0.18 and later read otherwise, in a file that does not say its aerc version
DEFAULT_UNKNOWN = (
    "aerc 0.14 to 0.17 skip the DEFAULT section (keys before the first [account]), 0.18 and later copy its keys "
    "into every account: the file does not say which aerc it is for; not imported"
)
READ_OTHERWISE = (
    "[{section}] {key}: aerc 0.15 and later read another value than 0.14 here (a %(NAME)s replaced, or the key "
    "taken from the section named before the dot); the file does not say which aerc it is for: read as aerc 0.14 "
    "reads it"
)
IMAPS_INSECURE = (
    "imaps+insecure:// is read as aerc 0.14 to 0.17 read it (the certificate verified); aerc 0.18 and later skip "
    "every certificate check there: if the file is for one of them, set tls: {verify: false}"
)


def imported(path: Path) -> tuple[dict[str, Any], tuple[str, ...]]:
    result = import_paths("aerc", [str(path)], ReadOptions())
    return {k: dict(v) for k, v in result.accounts.items()}, result.warnings


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_values_are_read_as_go_ini_reads_them(tmp_path: Path) -> None:
    conf = tmp_path / "accounts.conf"
    conf.write_text(
        "# a comment\n"
        "[work]\n"
        "source = imaps://j%40doe%3Ax@imap.example.com  # cut here\n"  # no port: 993; # starts a comment
        "source-cred-cmd: pass show 'work'; echo no\n"  # ':' is a delimiter too; ';' starts a comment
        "from = '\"Doe, J\" <j.doe@example.com>'\n"  # one pair of surrounding quotes is removed
        "outgoing = smtp+login://j@smtp.example.com:587\n"
        'outgoing-cred-cmd = `pass show "#work"; true`\n'  # backquotes: raw
        "smtp-starttls = yes\n"
        "connection-timeout = 1m30s\n"
        "copy-to = Sent\n"
        "\n"
        "[home]\n"
        "source = imap+insecure://mail.example.org:1143\n"
        "from = carol@example.org\n"
        "outgoing = smtp+none://mail.example.org:25\n"
    )
    accounts, warnings = imported(conf)
    assert accounts == {
        "work": {
            "address": "j.doe@example.com",
            "display_name": "Doe, J",
            "incoming": {"protocol": "imap", "host": "imap.example.com", "port": 993, "security": "tls",
                         "auth": "password", "username": "j@doe:x", "password_command": "pass show 'work'",
                         "timeout": 90},
            "outgoing": {"host": "smtp.example.com", "port": 587, "security": "starttls", "auth": "password",
                         "username": "j", "password_command": 'pass show "#work"; true', "mechanisms": ["login"]},
        },
        "home": {
            "address": "carol@example.org",
            "incoming": {"protocol": "imap", "host": "mail.example.org", "port": 1143, "security": "none",
                         "auth": "none"},
            "outgoing": {"host": "mail.example.org", "port": 25, "security": "none", "auth": "none"},
        },
    }  # fmt: skip
    assert warnings == (
        f"{conf}:4:1: {aerc.COLON}",  # aerc 0.15 and later refuse the line
        f"{conf}:10:1: aerc's copy-to has no place in an account file",
        f"{conf}:15:1: {AMBIGUOUS.format(scheme='smtp+none')}",
    )


@pytest.mark.parametrize("version", ["0.14", "0.15", "0.20"])
def test_aerc_0_15_and_later_take_only_equals_between_key_and_value(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, version: str
) -> None:
    conf = tmp_path / "accounts.conf"
    body = "[a]\nsource = imaps://a@imap.example.org\nfrom = a@example.org\nsource-cred-cmd: pass a=b\n"
    conf.write_text(HEADER.format(version) + body)
    accounts, warnings = imported(conf)
    # go-ini with KeyValueDelimiters "=": the key is "source-cred-cmd: pass a", reported, and its value "b"
    assert (accounts["a"]["incoming"].get("password_command"), warnings) == (
        ("pass a=b", ()) if version == "0.14"
        else (None, (f"{conf}:5:1: aerc's source-cred-cmd: pass a has no place in an account file",))
    )  # fmt: skip
    conf.write_text(HEADER.format(version) + body.replace("a=b", "a"))  # no '=': refused, as aerc refuses the file
    code, out, err = run(capsys, "import", "--from", "aerc", str(conf))
    assert (code, out, err) == (
        (0 if version == "0.14" else 2, out, "" if version == "0.14" else f"mailconf: {conf}:5:1: a line without "
         "'=' (go-ini refuses the file, and aerc ignores it); write KEY = VALUE\n")
    )  # fmt: skip
    if version == "0.20":  # aerc 0.20 itself refuses it
        home = tmp_path / "home"
        home.mkdir(mode=0o700)
        done = load_failure(conf.read_bytes(), home, version="0.20")
        refused = f"{home}/config-load/aerc/accounts.conf: key-value delimiter not found: source-cred-cmd: pass a"
        assert (done.returncode, done.stderr.rstrip("\n").rpartition("error: ")[2]) == (1, refused), done.stderr


def test_a_value_ending_in_a_backslash_goes_on_and_triple_quotes_span_lines(tmp_path: Path) -> None:
    conf = tmp_path / "accounts.conf"
    conf.write_text(
        "[a]\nsource = imaps://u@h.example.org:9\\\n  93\n"
        'folders = """INBOX,\nSent"""\n'
        'source-cred-cmd = """pass "x" show"""\n'
        "from = a@example.org\n"
    )
    accounts, warnings = imported(conf)
    assert accounts["a"]["incoming"]["port"] == 993
    assert accounts["a"]["incoming"]["password_command"] == 'pass "x" show'
    assert warnings == (f"{conf}:4:1: aerc's folders has no place in an account file",)


def test_many_continuation_lines_are_joined_once(tmp_path: Path) -> None:
    # each continuation line took the backslash off the whole value so far: quadratic, 400,000 lines took 3.4 s
    # (no time asserted)
    conf = tmp_path / "accounts.conf"
    conf.write_text(
        "[a]\nsource = imaps://u@h.example.org\nfolders = INBOX,\\\n" + "  Sent,\\\n" * 100_000 + "  Archive\n"
        "source-cred-cmd = echo \\\n  x\\\n  y\nfrom = a@example.org\n"
    )
    accounts, warnings = imported(conf)
    assert accounts["a"]["address"] == "a@example.org"  # read after the 100,000 lines
    assert accounts["a"]["incoming"]["password_command"] == "echo xy"
    assert warnings == (f"{conf}:3:1: aerc's folders has no place in an account file",)


def test_oauth2_schemes_and_the_starttls_value_aerc_ignores(tmp_path: Path) -> None:
    conf = tmp_path / "accounts.conf"
    conf.write_text(
        "[o]\n"
        "source = imaps+oauthbearer://me%2B1@imap.example.org:993?token_endpoint=https://x&client_secret="
        + SECRET
        + "\nsource-cred-cmd = oauth2-token me\n"
        "outgoing = smtp+xoauth2://me@smtp.example.org\n"
        "outgoing-cred-cmd = oauth2-token me\n"
        "smtp-starttls = true\n"
        "from = Me <me@example.org>\n"
    )
    accounts, warnings = imported(conf)
    assert accounts["o"] == {
        "address": "me@example.org",
        "display_name": "Me",
        "incoming": {"protocol": "imap", "host": "imap.example.org", "port": 993, "security": "tls", "auth": "oauth2",
                     "username": "me+1", "token_command": "oauth2-token me", "mechanisms": ["oauthbearer"]},
        "outgoing": {"host": "smtp.example.org", "port": 587, "security": "none", "auth": "oauth2", "username": "me",
                     "token_command": "oauth2-token me"},
    }  # fmt: skip
    assert warnings == (
        f"{conf}:2:1: the source URL's query (OAuth2 token exchange) is not imported",
        f"{conf}:4:1: {AMBIGUOUS.format(scheme='smtp+xoauth2')}",
        f"{conf}:6:1: aerc 0.14 turns STARTTLS on only for smtp-starttls = yes: this value leaves it off "
        "(security none)",
    )


def _account_yaml(name: str, outgoing: str) -> str:
    """An account of the files below as import writes it: IMAP over TLS without a login, and its outgoing server."""
    return (
        f"  {name}:\n    address: {name}@example.org\n    incoming:\n      protocol: imap\n"
        "      host: imap.example.org\n      port: 993\n      security: tls\n      auth: none\n" + outgoing
    )


_IMPORTED = "# imported by `mailconf import --from aerc` from {conf}\n" \
    "# the comments below say what the files hold that this file does not\nversion: 1\naccounts:\n"  # fmt: skip


def test_a_file_that_does_not_say_its_aerc_version_is_read_as_0_14_with_a_warning_per_smtp_url(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """aerc 0.15 made smtp:// always send STARTTLS: in a file with neither mailconf's header nor an smtp+insecure
    URL, smtp:// is read as aerc 0.14 reads it, and each account 0.15 reads otherwise says so, once."""
    conf = tmp_path / "accounts.conf"
    conf.write_text(
        "[a]\nsource = imaps://imap.example.org\noutgoing = smtp+plain://me@smtp.example.org\n"
        "outgoing-cred-cmd = pass show a\nfrom = a@example.org\n"
        "[b]\nsource = imaps://imap.example.org\noutgoing = smtp://me@smtp.example.org\n"  # STARTTLS in both
        "outgoing-cred-cmd = pass show b\nsmtp-starttls = yes\nfrom = b@example.org\n"
        "[c]\nsource = imaps://imap.example.org\noutgoing = smtp+none://smtp.example.org:25\nfrom = c@example.org\n"
        "[d]\nsource = imaps://imap.example.org\noutgoing = smtps+none://smtp.example.org\nfrom = d@example.org\n"
    )
    code, out, err = run(capsys, "import", "--from", "aerc", str(conf))
    assert (code, err) == (1, f"mailconf: warning: {conf}:3:1: {AMBIGUOUS.format(scheme='smtp+plain')}\n"
                              f"mailconf: warning: {conf}:14:1: {AMBIGUOUS.format(scheme='smtp+none')}\n")  # fmt: skip
    assert out == _IMPORTED.format(conf=conf) + (
        _account_yaml("a", f"    outgoing:  # {conf}:3: {AMBIGUOUS.format(scheme='smtp+plain')}\n"
                      "      host: smtp.example.org\n      port: 587\n      security: none\n      auth: password\n"
                      "      username: me\n      password_command: pass show a\n")
        + _account_yaml("b", "    outgoing:\n      host: smtp.example.org\n      port: 587\n      security: starttls\n"
                        "      auth: password\n      username: me\n      password_command: pass show b\n")
        + _account_yaml("c", f"    outgoing:  # {conf}:14: {AMBIGUOUS.format(scheme='smtp+none')}\n"
                        "      host: smtp.example.org\n      port: 25\n      security: none\n      auth: none\n")
        + _account_yaml("d", "    outgoing:\n      host: smtp.example.org\n      port: 465\n      security: tls\n"
                        "      auth: none\n")
    )  # fmt: skip


def test_a_hand_written_file_for_aerc_0_15_and_later(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """An smtp+insecure[+AUTH] URL, which aerc 0.14 refuses, says the file is for 0.15 or later: smtp:// is STARTTLS
    there, with no warning, smtp-starttls is reported as the setting 0.15 ignores, and smtps+insecure is a scheme
    no aerc sends with."""
    conf = tmp_path / "accounts.conf"
    conf.write_text(
        "[a]\nsource = imaps://imap.example.org\noutgoing = smtp://me@smtp.example.org\n"
        "outgoing-cred-cmd = pass show a\nfrom = a@example.org\n"
        "[b]\nsource = imaps://imap.example.org\noutgoing = smtp+insecure://me@localhost:2525\n"
        "outgoing-cred-cmd = pass show b\nfrom = b@example.org\n"
        "[c]\nsource = imaps://imap.example.org\noutgoing = smtp+insecure+none://smtp.example.org:25\n"
        "smtp-starttls = yes\nfrom = c@example.org\n"
        "[d]\nsource = imaps://imap.example.org\noutgoing = smtps+insecure://me@smtp.example.org\n"
        "from = d@example.org\n"
    )
    ignored = ("aerc 0.15 and later ignore smtp-starttls (a popup says so): smtp:// always sends STARTTLS, "
               "smtp+insecure:// never does")  # fmt: skip
    refused = 'aerc cannot send with the scheme "smtps+insecure": not imported'
    code, out, err = run(capsys, "import", "--from", "aerc", str(conf))
    assert (code, err) == (1, f"mailconf: warning: {conf}:14:1: {ignored}\nmailconf: warning: {conf}:18:1: {refused}\n")
    assert out == _IMPORTED.format(conf=conf) + (
        _account_yaml("a", "    outgoing:\n      host: smtp.example.org\n      port: 587\n      security: starttls\n"
                      "      auth: password\n      username: me\n      password_command: pass show a\n")
        + _account_yaml("b", "    outgoing:\n      host: localhost\n      port: 2525\n      security: none\n"
                        "      auth: password\n      username: me\n      password_command: pass show b\n")
        + _account_yaml("c", f"    outgoing:  # {conf}:14: {ignored}\n      host: smtp.example.org\n      port: 25\n"
                        "      security: none\n      auth: none\n")
        + _account_yaml("d", "").replace("  d:\n", f"  d:  # {conf}:18: {refused}\n")
    )  # fmt: skip


@pytest.mark.parametrize(
    ("first_lines", "security", "warned"),
    [
        ("# aerc (0.20) accounts written by mailconf (target aerc).\n", "starttls", False),
        ("# aerc (0.15) accounts written by mailconf (target aerc).\n", "starttls", False),
        ("# aerc (0.14) accounts written by mailconf (target aerc).\n", "none", False),
        ("# aerc (1.0) accounts written by mailconf (target aerc).\n", "starttls", False),
        ("\n# aerc (0.20) accounts written by mailconf (target aerc).\n", "none", True),  # not the first line
        ("# aerc (0.20) accounts written by hand.\n", "none", True),
        # no version mailconf writes (the target refuses it): not its header; 5,000 digits were an internal error
        ("# aerc (0.1000000000) accounts written by mailconf (target aerc).\n", "none", True),
        (f"# aerc (0.{'9' * 5000}) accounts written by mailconf (target aerc).\n", "none", True),
    ],
    ids=["0.20", "0.15", "0.14", "1.0", "second-line", "by-hand", "ten-digits", "5000-digits"],
)
def test_the_aerc_version_mailconf_wrote_the_file_for_decides_what_smtp_means(
    tmp_path: Path, first_lines: str, security: str, warned: bool
) -> None:
    conf = tmp_path / "accounts.conf"
    conf.write_text(first_lines + "[a]\nsource = imaps://imap.example.org\noutgoing = smtp+none://smtp.example.org\n"
                    "from = a@example.org\n")  # fmt: skip
    accounts, warnings = imported(conf)
    assert accounts["a"]["outgoing"]["security"] == security
    line = first_lines.count("\n") + 3
    assert warnings == ((f"{conf}:{line}:1: {AMBIGUOUS.format(scheme='smtp+none')}",) if warned else ())


def test_a_literal_password_is_never_shown_and_no_command_is_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    canary = tmp_path / "ran"
    conf = tmp_path / "accounts.conf"
    conf.write_text(
        f"[a]\nsource = imaps://alice:{SECRET}@imap.example.org:993\n"
        f"source-cred-cmd = touch {canary}\n"
        f"outgoing = smtps+plain://alice@smtp.example.org:465\n"
        f"outgoing-cred-cmd = `touch {canary}`\n"
        "from = alice@example.org\n"
    )
    code, out, err = run(capsys, "import", "--from", "aerc", str(conf))
    assert code == 1
    assert SECRET not in out + err
    assert not canary.exists()
    assert err.splitlines() == [
        f"mailconf: warning: {conf}:2:1: the file holds a literal password (not imported): store it in a password "
        "manager and set password_command to the command that prints it",
        f"mailconf: warning: {conf}:3:1: source-cred-cmd is ignored by aerc when the URL holds a password: not "
        "imported",
    ]
    assert f"password_command: touch {canary}\n" in out  # the outgoing one: copied as text, not run


def test_what_aerc_cannot_share_with_an_account_file_is_reported(tmp_path: Path) -> None:
    conf = tmp_path / "accounts.conf"
    conf.write_text(
        "default = INBOX\n"
        "[local]\nsource = maildir://~/mail\nfrom = a@example.org\n"
        "[w]\nsource = imaps://w@imap.example.org:993\nfrom = W <w@example.org>\noutgoing = /usr/bin/msmtp -a w\n"
        "[w.sub]\nsource = imaps://s@imap.example.org:993\n"  # go-ini's MapTo takes from from [w]
        "[nosource]\nfrom = x@example.org\n"
    )
    accounts, warnings = imported(conf)
    assert sorted(accounts) == ["w", "w.sub"]
    assert "outgoing" not in accounts["w"]
    assert (accounts["w.sub"]["address"], accounts["w.sub"]["display_name"]) == ("w@example.org", "W")
    assert warnings == (
        f"{conf}:1:1: {DEFAULT_UNKNOWN}",
        f"{conf}:3:1: [local]: source is not an IMAP server (maildir): an account file holds IMAP and POP3 servers; "
        "not imported",
        f"{conf}:8:1: outgoing is a sendmail command (aerc runs it to send): not run, not imported",
        f"{conf}:8:1: {READ_OTHERWISE.format(section='w.sub', key='outgoing')}",  # 0.15 and later send through [w]'s
        f"{conf}:11:1: [nosource] has no source: aerc 0.14 refuses it; not imported",
    )


HEADER = "# aerc ({}) accounts written by mailconf (target aerc).\n"
#: a file that uses what aerc 0.15 and later (go-ini v1.67.0 read with GetKey and Key.String) and 0.18 and later
#: (DEFAULT's keys copied into each account) read otherwise than aerc 0.14
LATER = (
    "source-cred-cmd = pass %(user)s\n"  # DEFAULT: aerc 0.18 and later copy it into [a], not [b] nor [b.c]
    "user = carol\n"
    "[a]\nsource = imaps+insecure://a@imap.example.org\nuser = alice\nfrom = A <a@example.org>\n"  # %(user)s: alice
    "[b]\nsource = imap://b@imap.example.org\nsource-cred-cmd = pass b\nfrom = b@example.org\n"
    "outgoing = smtps://b@smtp.example.org\noutgoing-cred-cmd = %(source-cred-cmd)s --smtp %(nothing)s\n"
    "[b.c]\nsource = imaps://c@imap.example.org\n"  # from, its command, outgoing and its command: [b]'s
)


def test_a_file_for_aerc_0_20_is_read_as_it_reads_it(tmp_path: Path) -> None:
    conf = tmp_path / "accounts.conf"
    conf.write_text(HEADER.format("0.20") + LATER)
    accounts, warnings = imported(conf)
    imap = {"protocol": "imap", "host": "imap.example.org", "port": 993, "security": "tls", "auth": "password"}
    b_outgoing = {
        "host": "smtp.example.org",
        "port": 465,
        "security": "tls",
        "auth": "password",
        "username": "b",
        "password_command": "pass b --smtp %(nothing)s",
    }  # the first %(NAME)s found nowhere stops go-ini
    assert accounts == {
        "a": {"address": "a@example.org", "display_name": "A",
              "incoming": imap | {"username": "a", "password_command": "pass alice", "tls": {"verify": False}}},
        "b": {"address": "b@example.org",
              "incoming": imap | {"port": 143, "security": "starttls", "username": "b", "password_command": "pass b"},
              "outgoing": b_outgoing},
        "b.c": {"address": "b@example.org", "incoming": imap | {"username": "c", "password_command": "pass b"},
                "outgoing": b_outgoing},
    }  # fmt: skip
    # [a]'s own user, and DEFAULT's copied into [b] only ([b.c] finds [b]'s)
    assert warnings == (f"{conf}:6:1: aerc's user has no place in an account file",
                        f"{conf}:3:1: aerc's user has no place in an account file")  # fmt: skip


@pytest.mark.parametrize("version", ["0.14", "0.17", ""])
def test_before_aerc_0_18_default_is_skipped_and_imaps_insecure_verified(tmp_path: Path, version: str) -> None:
    """aerc 0.15 to 0.17 read parents' keys and %(NAME)s (as 0.20 does); 0.14 reads the values as written, and so
    does a file that does not say its version, with a warning for each value aerc 0.15 and later read otherwise."""
    conf = tmp_path / "accounts.conf"
    conf.write_text((HEADER.format(version) if version else "\n") + LATER)
    accounts, warnings = imported(conf)
    imap = {"protocol": "imap", "host": "imap.example.org", "port": 993, "security": "tls", "auth": "password"}
    b_command = "pass b --smtp %(nothing)s" if version == "0.17" else "%(source-cred-cmd)s --smtp %(nothing)s"
    assert accounts["a"]["incoming"] == imap | {"username": "a"}
    assert accounts["b"]["outgoing"]["password_command"] == b_command
    assert (accounts["b.c"]["incoming"].get("password_command"), accounts["b.c"]["address"]) == (
        "pass b" if version == "0.17" else None, "b@example.org")  # fmt: skip
    if version:
        assert warnings == (
            f"{conf}:2:1: aerc skips the DEFAULT section (keys before the first [account]): not imported",
            f"{conf}:6:1: aerc's user has no place in an account file",
        )
        return
    assert warnings == (
        f"{conf}:2:1: {DEFAULT_UNKNOWN}",
        f"{conf}:5:1: {IMAPS_INSECURE}",
        f"{conf}:6:1: aerc's user has no place in an account file",
        f"{conf}:13:1: {READ_OTHERWISE.format(section='b', key='outgoing-cred-cmd')}",
        f"{conf}:10:1: {READ_OTHERWISE.format(section='b.c', key='source-cred-cmd')}",
        f"{conf}:12:1: {READ_OTHERWISE.format(section='b.c', key='outgoing')}",
        f"{conf}:13:1: {READ_OTHERWISE.format(section='b.c', key='outgoing-cred-cmd')}",
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[a\nsource = imaps://h\n", "accounts.conf:1:1: unclosed section header; end it with ] on the same line"),
        ("[]\n", "accounts.conf:1:1: empty section name; name the account between [ and ]"),
        (
            "[a]\n  just words\n",
            "accounts.conf:2:3: a line without '=' (go-ini refuses the file, and aerc ignores it); write KEY = VALUE",
        ),
        (
            "[a]\nsource = `imaps://h\nfrom = x\n",
            "accounts.conf:2:1: a value opened with ` is never closed; close it with `",
        ),
        (
            "[a]\nsource = imaps://a b@h:993\n",
            "accounts.conf:2:1: source: the user name holds a character that is not "
            "percent-encoded, aerc cannot use it; write SCHEME://USER@HOST:PORT",
        ),
        (  # "%FF" is a byte, not a character: an internal error (UnicodeDecodeError) before
            "[a]\nsource = imaps://al%FFice@h:993\n",
            "accounts.conf:2:1: source: the user name's percent escapes are not UTF-8 text, aerc cannot use it; "
            "write SCHEME://USER@HOST:PORT",
        ),
        (
            "[a]\nsource = imaps://h:99x\n",
            "accounts.conf:2:1: source: the port is not a number, aerc cannot use it; write SCHEME://USER@HOST:PORT",
        ),
        (
            "",
            "accounts.conf:1:1: no aerc account found; check that the file is aerc configuration, or choose another "
            "--from",
        ),
    ],
)
def test_bad_input_is_one_located_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "accounts.conf"
    path.write_text(content)
    assert run(capsys, "import", "--from", "aerc", str(path)) == (2, "", f"mailconf: {tmp_path}/{message}\n")


def test_a_port_with_leading_zeros_is_the_port_go_reads(tmp_path: Path) -> None:
    # Go's Dial reads "0000000000993" as 993; its first nine digits were read, 0, and the account left out
    path = tmp_path / "accounts.conf"
    path.write_text("[a]\nsource = imaps://a@example.org@h.example.org:0000000000993\nfrom = a@example.org\n")
    accounts, _ = imported(path)
    assert accounts["a"]["incoming"]["port"] == 993


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("45s", 45), ("1m30s", 90), ("1.5h", 5400), ("0", 0), ("-2s", -2), ("500ms", 0.5), ("2", None), ("s", None),
     ("", None), ("1x", None), (".s", None),
     # a Duration is int64 nanoseconds: Go refuses more ("invalid duration"); 400 digits were inf, and the
     # timeout rounded up from it an internal error (OverflowError)
     ("2562047h", 9223369200), ("2562048h", None), ("9223372037s", None), ("9" * 400 + "s", None)],
)  # fmt: skip
def test_durations_read_as_go_reads_them(text: str, seconds: float | None) -> None:
    assert aerc.go_duration(text) == seconds


def test_a_timeout_of_hundreds_of_digits_is_not_a_duration(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "accounts.conf"
    path.write_text(
        f"[a]\nsource = imaps://u@imap.example.org\nfrom = a@example.org\nconnection-timeout = {'9' * 400}s\n"
    )
    code, out, err = run(capsys, "import", "--from", "aerc", str(path))
    assert (code, err) == (1, f"mailconf: warning: {path}:4:1: connection-timeout is not a duration aerc accepts: not "
                              "imported\n")  # fmt: skip
    assert "timeout:" not in out


# --- the round trip over generated files ---------------------------------------------------------------------


def aercable(data: dict[str, Any]) -> dict[str, Any]:
    """The generated file made into what aerc expresses: IMAP incoming servers, a command for every login,
    only the TLS settings Go can honour; every hostile value kept."""
    for account in data["accounts"].values():
        incoming = account.setdefault("incoming", {"host": "imap.example.org"})
        incoming["protocol"] = "imap"
        for key in ("leave_on_server", "leave_days"):
            incoming.pop(key, None)
        if incoming.get("timeout") == 0:
            incoming.pop("timeout")
        account.get("outgoing", {}).pop("timeout", None)
        if account.get("display_name"):
            account["display_name"] = account["display_name"].replace('"', "'").replace("\\", "/")
        for server in (s for s in (incoming, account.get("outgoing")) if s is not None):
            if server.get("auth", "password") not in ("password", "oauth2", "none"):
                server["auth"] = "password"
            field = "token_command" if server.get("auth") == "oauth2" else "password_command"
            other = "password_command" if field == "token_command" else "token_command"
            command = server.pop(other, None) or server.get(field) or "pass show mail"
            if server.get("auth", "password") != "none":
                server[field] = command
            server.pop("mechanisms", None)
            tls = server.pop("tls", {})
            if tls.get("min_version") == "1.2":
                server["tls"] = {"min_version": "1.2"}
    return data


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])  # fmt: skip
@given(data=account_files().map(aercable))
@pytest.mark.parametrize("version", ["0.14", "0.20"])  # 0.15 changed the outgoing URL
def test_generated_files_come_back_exactly(
    version: str, data: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    # not canonical, so skipped: tls.min_version 1.2, auth none's username
    comes_back_exactly("aerc", data, tmp_path_factory.mktemp("aerc"), adapted=True, non_canonical="skip",
                       options={"version": version})  # fmt: skip


def test_compare_of_a_rendered_file_is_clean(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for example in ("company.yaml", "personal-oauth2.yaml"):
        main(["render", "-t", "aerc", str(EXAMPLES / example), "-o", str(tmp_path / example)])
        capsys.readouterr()
        conf = str(tmp_path / example / "accounts.conf")
        assert run(capsys, "import", "--from", "aerc", conf, "--compare", str(EXAMPLES / example))[:2] == (0, "")


def test_aerc_reads_a_hand_written_file_as_the_importer_does(tmp_path: Path) -> None:
    """aerc 0.14 itself on a file that is not backquoted (go-ini's comments, ':' delimiter, surrounding
    quotes, a percent-encoded user): the user it logs in as, the command it ran and the from it read are
    what the importer reads. aerc prints nothing it parsed: the IMAP stub records its login, the command
    writes a file, and aerc's debug log names the from (tests/targets/_aerc_client.py)."""
    need("aerc", "tmux")
    certs = make_certificates(tmp_path / "certs")
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    with ImapStub(server_context(certs.good), implicit=True) as server:
        conf = (
            "# written by hand\n[work]\n"
            f"source: imaps://al%40ice%3A1@localhost:{server.port}   ; a comment\n"
            f"source-cred-cmd = cd {tmp_path} && printf s3cret | tee ran  # printed, not run by import\n"
            "from = 'Al \"the\" Ice <al.ice@example.org>'\n"
        )
        (tmp_path / "accounts.conf").write_text(conf)
        accounts, _ = imported(tmp_path / "accounts.conf")
        with aerc_client(conf.encode(), home, SSL_CERT_FILE=str(certs.ca)) as client:
            logins = server.wait_for_login()
            client.wait_for("[work] Connected")
            parsed_from = client.parsed_from("work")
    assert accounts["work"]["incoming"]["username"] == "al@ice:1"
    assert accounts["work"]["incoming"]["password_command"] == f"cd {tmp_path} && printf s3cret | tee ran"
    assert logins == [Login(True, "LOGIN", "al@ice:1", "s3cret")]
    assert (tmp_path / "ran").read_text() == "s3cret"
    assert parsed_from == ['Al "the" Ice <al.ice@example.org>']
    sections = aerc.parse_ini(conf, "accounts.conf")
    assert sections[1].keys["from"].text == parsed_from[0]
    assert (accounts["work"]["display_name"], accounts["work"]["address"]) == ("Al the Ice", "al.ice@example.org")


def test_aerc_0_20_reads_default_parents_and_interpolation_as_the_importer_does(tmp_path: Path) -> None:
    """aerc 0.20 itself: DEFAULT's command is copied into [a] and [b] (aerc 0.18), read with each one's %(user)s
    (go-ini's Key.String); [b.c] has none of its own, so aerc 0.15 and later run [b]'s, read in [b] (bob), not
    with [b.c]'s user; imaps+insecure:// logs in to a server whose certificate it cannot verify (aerc 0.18)."""
    aerc_binary("0.20")  # or skip, naming what is missing
    need("tmux")
    certs = make_certificates(tmp_path / "certs")
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    with ImapStub(server_context(certs.self_signed), implicit=True) as server:
        url = f"imaps+insecure://{{}}@localhost:{server.port}"
        conf = (
            HEADER.format("0.20") + "source-cred-cmd = printf %(user)s-pw\nuser = carol\n"
            f"[a]\nsource = {url.format('a')}\nuser = alice\nfrom = a@example.org\n"
            f"[b]\nsource = {url.format('b')}\nuser = bob\nfrom = b@example.org\n"
            f"[b.c]\nsource = {url.format('c')}\nuser = cy\n"
        )
        (tmp_path / "accounts.conf").write_text(conf)
        accounts, _ = imported(tmp_path / "accounts.conf")
        with aerc_client(conf.encode(), home, "0.20"):
            deadline = time.monotonic() + AERC_TIMEOUT
            while len(server.logins) < 3 and time.monotonic() < deadline:
                time.sleep(0.05)
    assert sorted(server.logins) == [Login(True, "AUTHENTICATE PLAIN", "a", "alice-pw"),
                                     Login(True, "AUTHENTICATE PLAIN", "b", "bob-pw"),
                                     Login(True, "AUTHENTICATE PLAIN", "c", "bob-pw")]  # fmt: skip
    assert {n: (a["incoming"]["password_command"], a["incoming"]["tls"]) for n, a in accounts.items()} == {
        "a": ("printf alice-pw", {"verify": False}),
        "b": ("printf bob-pw", {"verify": False}),
        "b.c": ("printf bob-pw", {"verify": False}),
    }


#: URLs Go parses (or refuses) and aerc cannot dial: aerc adds its default port only to a host without ':'
#: (worker/imap/configure.go, lib/send/smtp.go) and Go's url.Parse refuses a control character; PORT: the stub's.
UNDIALLED = {
    "ipv6-no-port": ("imap+insecure://v6@[::1]", "an IPv6 address without a port (aerc adds its default port only to "
                     "a host without ':')", "address [::1]: missing port in address"),
    "empty-port": ("imap+insecure://ep@127.0.0.1:", "a ':' without a port after it (aerc dials port 0)",
                   "dial tcp 127.0.0.1:0: connect: connection refused"),
    "two-colons": ("imap+insecure://tc@127.0.0.1:1:PORT", "a host with a ':' (an IPv6 address is written in [ ])",
                   "address 127.0.0.1:1:PORT: too many colons in address"),
    "line-break": ("`imap+insecure://lb@127.0.0.1:PORT\n`", "the URL holds a control character (a tab, a line break "
                   "...)", 'parse "imap+insecure://lb@127.0.0.1:PORT\\n": net/url: invalid control character in URL'),
}  # fmt: skip


@pytest.mark.parametrize("version", ["0.14", "0.20"])
def test_a_url_aerc_cannot_dial_is_refused_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, version: str
) -> None:
    """aerc itself on one file of such accounts, next to one it logs in with: each one fails (its debug log says
    why, tests/targets/test_boundaries.py) and the importer stops at it (exit 2). It took each as a server at the
    default port (the IPv6 address, the empty port) or at a port it made up (Python's urlsplit drops a line break;
    "127.0.0.1:1" was the host)."""
    aerc_binary(version)  # or skip, naming what is missing
    need("tmux")
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    with ImapStub(None, implicit=False, offer_starttls=False) as server:
        port = str(server.port)
        sections = {"ok": f"imap+insecure://ok@127.0.0.1:{port}"} | {n: u for n, (u, _, _) in UNDIALLED.items()}
        # no command for the line break: aerc 0.14 runs it at start and refuses the whole file when the URL is bad
        conf = HEADER.format(version) + "".join(
            f"[{name}]\nsource = {url.replace('PORT', port)}\nfrom = a@example.org\n"
            + ("source-cred-cmd = printf pw\n" if name != "line-break" else "")
            for name, url in sections.items()
        )
        with aerc_client(conf.encode(), home, version) as client:
            deadline = time.monotonic() + AERC_TIMEOUT
            while time.monotonic() < deadline:
                failures = {n: m for n, (_, m) in _aerc_failures(client.log)[1].items()}
                log = client.log.read_text("utf-8") if client.log.exists() else ""
                if server.logins and len(failures) == 3 and "net/url" in log:
                    break
                time.sleep(0.1)
    assert server.logins == [Login(False, "LOGIN" if version == "0.14" else "AUTHENTICATE PLAIN", "ok", "pw")]
    prefix = "" if version == "0.14" else "dial tcp: "  # aerc 0.20 names the dial around the address
    assert failures == {
        name: (message if message.startswith("dial") else prefix + message).replace("PORT", port)
        for name, (_, _, message) in UNDIALLED.items()
        if name != "line-break"
    }
    refused = UNDIALLED["line-break"][2].replace("PORT", port)
    assert [line for line in log.split("\n") if line.endswith(refused)] != [], log
    for name, (url, what, _) in UNDIALLED.items():
        path = tmp_path / f"{name}.conf"
        path.write_text(f"[{name}]\nsource = {url}\nfrom = a@example.org\n")
        message = f"mailconf: {path}:2:1: source: {what}, aerc cannot use it; write SCHEME://USER@HOST:PORT\n"
        assert run(capsys, "import", "--from", "aerc", str(path)) == (2, "", message)


#: a host aerc cannot look up -> what the import says of it. Go's url.Parse decodes %C3%A9 in a host (a byte of
#: 0x80 or more) and refuses %41; the import took the host as written, which the schema refused ("got
#: %C3%A9xample.com"), and left the account out
UNRESOLVED = {
    "encoded": ("imaps://u@%C3%A9xample.com", 'the host "éxample.com" is not ASCII (aerc looks it up as written, '
                "never as its IDNA form, and finds no such host), aerc cannot use it; write the host as its ASCII "
                "(IDNA) form, xn--xample-9ua.com"),
    "written": ("imaps://u@éxample.com:993", 'the host "éxample.com" is not ASCII (aerc looks it up as written, '
                "never as its IDNA form, and finds no such host), aerc cannot use it; write the host as its ASCII "
                "(IDNA) form, xn--xample-9ua.com"),
    "ascii-escape": ("imaps://u@%41xample.com", "the host holds \"%41\", which Go's url.Parse refuses (invalid URL "
                     "escape), aerc cannot use it; write the host without percent escapes"),
}  # fmt: skip


@pytest.mark.parametrize("version", ["0.14", "0.20"])
def test_a_host_that_is_not_ascii_is_refused_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, version: str
) -> None:
    """aerc itself: it looks up éxample.com (percent-encoded or not) as written, and Go's resolver finds no such host
    without asking the DNS server (a name it does ask about fails "on SERVER:53"); it never tries the IDNA form
    xn--xample-9ua.com. %41 in a host is a URL Go refuses. The import stops at each (exit 2)."""
    aerc_binary(version)  # or skip, naming what is missing
    need("tmux")
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    sections = {name: url for name, (url, _) in UNRESOLVED.items()} | {"idna": "imaps://u@xn--xample-9ua.com:1"}
    conf = HEADER.format(version) + "".join(
        f"[{name}]\nsource = {url}\nfrom = a@example.org\n" for name, url in sections.items()
    )
    with aerc_client(conf.encode(), home, version) as client:
        deadline = time.monotonic() + AERC_TIMEOUT
        while time.monotonic() < deadline:
            failures = {n: m for n, (_, m) in _aerc_failures(client.log)[1].items()}
            log = client.log.read_text("utf-8") if client.log.exists() else ""
            if len(failures) == 3 and "invalid URL escape" in log:
                break
            time.sleep(0.1)
    prefix = "" if version == "0.14" else "dial tcp: "
    assert failures["encoded"] == failures["written"] == f"{prefix}lookup éxample.com: no such host"
    assert failures["idna"].startswith(f"{prefix}lookup xn--xample-9ua.com on "), failures  # asked the DNS server
    assert 'ascii-escape: parse "imaps://u@%41xample.com": invalid URL escape "%41"' in log
    for name, (url, message) in UNRESOLVED.items():
        path = tmp_path / f"{name}.conf"
        path.write_text(f"[{name}]\nsource = {url}\nfrom = a@example.org\n")
        assert run(capsys, "import", "--from", "aerc", str(path)) == (
            2,
            "",
            f"mailconf: {path}:2:1: source: {message}\n",
        )


#: from values with a group (``g:``), and the address aerc 0.20 reads in each (Go's net/mail.ParseAddress), or the
#: error it refuses the account with; a value in backquotes keeps its ``;`` (go-ini cuts a plain value there)
GROUPS = {
    "`g: a@example.org;`": "<a@example.org>",
    "`g: a@example.org; (end)`": "<a@example.org>",
    "g:g:g:<a@example.org>": "[a].from: mail: missing '@' or angle-addr",
    "`g: h: <a@example.org>;;`": "[a].from: mail: missing '@' or angle-addr",
    "g:<a@example.org>": "[a].from: mail: expected comma",
    "g: a@example.org": "[a].from: mail: expected comma",
    "`g: a@example.org; b@example.org`": '[a].from: mail: expected single address, got "b@example.org"',
}


@pytest.mark.parametrize("sender", GROUPS)
def test_a_from_holding_a_group_is_read_as_aerc_reads_it(tmp_path: Path, sender: str) -> None:
    """Go's net/mail (aerc's go-message) takes one group closed by ';' and nothing after it, and no group nested in
    another; Python's parseaddr found a@example.org in every one of these. aerc 0.20 itself: the address it logs, or
    the error it refuses the account with (aerc 0.14 loads any from, and its send fails on the same ParseAddress:
    commands/compose/send.go)."""
    aerc_binary("0.20")  # or skip, naming what is missing
    need("tmux")
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    conf = HEADER.format("0.20") + f"[a]\nsource = imaps://a@127.0.0.1:1\nfrom = {sender}\n"
    (tmp_path / "accounts.conf").write_text(conf)
    accounts, warnings = imported(tmp_path / "accounts.conf")
    with aerc_client(conf.encode(), home, "0.20") as client:
        screen = client.wait_for("Failed to load account [a]" if GROUPS[sender].startswith("[a]") else "refused")
        read = client.parsed_from("a")
    if GROUPS[sender].startswith("[a]"):
        assert (read, GROUPS[sender] in screen) == ([], True)
        assert accounts["a"]["address"] == "a@127.0.0.1"  # the user name at the source's host: a guess
        assert warnings == (
            f"{tmp_path / 'accounts.conf'}:4:1: no address aerc can use in from (aerc 0.14 cannot send from it, "
            "aerc 0.20 refuses the account): this one is a guess, check it",
        )
    else:
        assert read == [GROUPS[sender]]
        assert (accounts["a"]["address"], warnings) == ("a@example.org", ())


@pytest.mark.parametrize("sender", ["", "from =\n"])
def test_an_account_without_from_is_said_to_be_refused(tmp_path: Path, sender: str) -> None:
    """aerc refuses an account without from, or with an empty one (aerc 0.14 before its UI starts, below)."""
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    conf = f"[a]\nsource = imaps://a@127.0.0.1:1\n{sender}"
    (tmp_path / "accounts.conf").write_text(conf)
    accounts, warnings = imported(tmp_path / "accounts.conf")
    done = load_failure(conf.encode(), home)
    assert (done.returncode, done.stderr) == (1, "Failed to load config: Expected from for account a\n")
    where = f"{tmp_path / 'accounts.conf'}:{3 if sender else 1}:1"
    assert accounts["a"]["address"] == "a@127.0.0.1"
    assert warnings == (
        f"{where}: no from, and aerc refuses an account without one: this address is a guess, check it",
    )
