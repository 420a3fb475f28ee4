"""``import --from mutt``/``neomutt``: every setting the import reads takes ``$NAME`` as the client expands it.

Public dotfiles write the user once and use it everywhere::

    set my_user = "me@example.com"
    set imap_user = $my_user
    set smtp_url = "smtps://$my_user@smtp.example.com:465/"

The import said "names a variable ($...) ... not expanded" for each of them. Each file here is read by the real
client first (``-Q``, in a throwaway HOME; the only commands are harmless ``echo``s), then imported, in the
client's environment: the account holds what the client holds, or says why not.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailconf.importers import ReadOptions, Unreadable
from mailconf.importers._base import shown
from mailconf.importers._core import import_paths
from tests.conftest import need
from tests.targets._mutt_client import Client, client_env, parse

#: what the client reads, as -Q names it: mutt's and neomutt's (realname is neomutt's real_name)
QUERIED = ("imap_user", "smtp_url", "from", "realname")
NOT_EXPANDED = "names a variable ($...), which the client expands: not expanded, not imported"


def nowhere(variable: str, binary: str, name: str) -> str:
    """The warning of a $NAME set nowhere the client looks, which it reads as nothing (mutt) or as written."""
    return (
        f"{variable}: ${name} is not set where {binary} reads this line (not by the file before it, nor in the "
        f"environment the import ran in): imported as {binary} reads it, "
        + ("as nothing" if binary == "mutt" else "as it is written")
    )


def empty_user(variable: str, binary: str, user: str) -> str:
    """The warning of a URL of an empty user (``imaps://@host/``), which the client logs in with."""
    return (
        f"{variable}: {binary} logs in with the empty user name the URL holds (nothing before its @), not {user}, "
        "which an account cannot say: no username imported; write the user in the URL, or leave out its @"
    )


COMMAND = "runs a command (backticks): not run, not imported"
#: the account's server, and a real name (mutt's default, and the one it takes for an empty one, is the user's name in
#: /etc/passwd)
FOLDER = "set folder = imaps://imap.example.com/ realname = R\n"
INCOMING = {"protocol": "imap", "host": "imap.example.com", "port": 993, "security": "tls", "auth": "password"}
OUTGOING = {"host": "smtp.example.com", "port": 465, "security": "tls", "auth": "password"}


def same_environment(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """The import's environment made the client's (client_env: HOME, USER ...), as when a user runs both."""
    environment = client_env(home)
    for name in os.environ:
        if name not in environment:
            monkeypatch.delenv(name)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)


def client_reads(binary: str, rc: Path, home: Path) -> tuple[str, ...]:
    home.mkdir(exist_ok=True)
    values = Client(binary, home).query(rc, QUERIED)
    return tuple(values["real_name" if name == "realname" and binary == "neomutt" else name] for name in QUERIED)


def imported(binary: str, rc: Path) -> tuple[Mapping[str, Any], tuple[str, ...]]:
    result = import_paths(binary, [str(rc)], ReadOptions())
    return result.accounts["work"], tuple(str(note).removeprefix(f"{rc}:") for note in result.warnings)


#: the file; what mutt and neomutt read (imap_user, smtp_url, from, realname); the account imported (its address
#: first, then its other fields (display_name R but when one says otherwise, None: none), what differs from INCOMING
#: and OUTGOING (None: no outgoing server)); the warnings ("LINE:COL: ...", in the order the variables were first set)
#: each case: the file, what each client reads (-Q), the account imported and the warnings (the same for both
#: clients, or by client)
CASES: dict[
    str,
    tuple[
        str,
        dict[str, tuple[str, ...]],
        tuple[Any, ...] | dict[str, tuple[Any, ...]],
        tuple[str, ...] | dict[str, tuple[str, ...]],
    ],
] = {
    "the user written once": (
        'set my_user = "me@example.com"\nset my_name = "Me Name"\nset imap_user = $my_user\n'
        'set smtp_url = "smtps://$my_user@smtp.example.com:465/"\nset from = "$my_user"\n'
        'set folder = "imaps://$my_user@imap.example.com/"\nset realname = "$my_name"\n',
        dict.fromkeys(
            ("mutt", "neomutt"),
            ("me@example.com", "smtps://me@example.com@smtp.example.com:465/", "me@example.com", "Me Name"),
        ),
        ("me@example.com", {"display_name": "Me Name"}, {"username": "me@example.com"}, {"username": "me@example.com"}),
        (),
    ),
    "braces, and text around": (
        f"{FOLDER}set my_u = al\nset imap_user = ${{my_u}}ice smtp_url=smtps://x${{my_u}}@smtp.example.com/\n",
        dict.fromkeys(("mutt", "neomutt"), ("alice", "smtps://xal@smtp.example.com/", "", "R")),
        ("alice@imap.example.com", {}, {"username": "alice"}, {"username": "xal"}),
        ("1:5: the file sets no from address: this address is a guess, check it",),
    ),
    "single quotes: not expanded": (
        f"{FOLDER}set my_u = alice\nset from = '$my_u@example.com' imap_user = '$my_u'\n",
        dict.fromkeys(("mutt", "neomutt"), ("$my_u", "", "$my_u@example.com", "R")),
        ("$my_u@example.com", {}, {"username": "$my_u"}, None),
        (),
    ),
    "a variable set from another, and set again after": (
        f'{FOLDER}set my_host = example.com\nset my_from = "alice@$my_host"\nset from = $my_from\n'
        "set my_host = example.org\nset imap_user = $my_from\n",
        dict.fromkeys(("mutt", "neomutt"), ("alice@example.com", "", "alice@example.com", "R")),
        ("alice@example.com", {}, {"username": "alice@example.com"}, None),
        (),
    ),
    "set after its use": (
        f"{FOLDER}set from = alice@example.com\nset imap_user = $my_u\nset my_u = alice\n",
        {"mutt": ("", "", "alice@example.com", "R"), "neomutt": ("$my_u", "", "alice@example.com", "R")},
        # (it was not imported, "not expanded", for both: mutt reads it as nothing, neomutt as it is written)
        {
            "mutt": ("alice@example.com", {}, {}, None),
            "neomutt": ("alice@example.com", {}, {"username": "$my_u"}, None),
        },
        {binary: (f"3:5: {nowhere('imap_user', binary, 'my_u')}",) for binary in ("mutt", "neomutt")},
    ),
    "unset and reset before its use": (
        f"{FOLDER}set from = a@example.com my_u = alice my_n = Alice\nunset my_u\nreset my_n\n"
        'set imap_user = "$my_u" realname = "x${my_n}"\n',
        {"mutt": ("", "", "a@example.com", "x"), "neomutt": ("$my_u", "", "a@example.com", "x$my_n")},
        {
            "mutt": ("a@example.com", {"display_name": "x"}, {}, None),
            "neomutt": ("a@example.com", {"display_name": "x$my_n"}, {"username": "$my_u"}, None),
        },
        {
            binary: (f"5:25: {nowhere('realname', binary, 'my_n')}", f"5:5: {nowhere('imap_user', binary, 'my_u')}")
            for binary in ("mutt", "neomutt")
        },
    ),
    "the environment": (
        f'{FOLDER}set imap_user = $USER from = "${{USER}}@example.com" realname = "$TERM"\n',
        dict.fromkeys(("mutt", "neomutt"), ("mailconf", "", "mailconf@example.com", "dumb")),
        ("mailconf@example.com", {"display_name": "dumb"}, {"username": "mailconf"}, None),
        (),
    ),
    "the client's own variables": (
        f"{FOLDER}set imap_user = alice from = bob@example.com\nset imap_login = $imap_user\n"
        'set smtp_url = "smtps://$imap_login@smtp.example.com/"\nset realname = "$imap_user as ${imap_login}"\n',
        dict.fromkeys(
            ("mutt", "neomutt"), ("alice", "smtps://alice@smtp.example.com/", "bob@example.com", "alice as alice")
        ),
        ("bob@example.com", {"display_name": "alice as alice"}, {"username": "alice"}, {"username": "alice"}),
        (),
    ),
    # an empty imap_user is none (the client holds an empty text as not set): it was username "", and the account,
    # which cannot be valid so, was not imported; an empty user in the URL is one the client authenticates as (it was
    # auth: none: test_an_empty_user_in_a_url_is_the_one_the_client_logs_in_with)
    "a variable of the client's that is not set": (
        f'{FOLDER}set from = a@example.com imap_user = "$imap_login" smtp_url = smtps://$pop_user@smtp.example.com/\n',
        dict.fromkeys(("mutt", "neomutt"), ("", "smtps://@smtp.example.com/", "a@example.com", "R")),
        ("a@example.com", {}, {}, {}),
        {binary: (f"2:52: {empty_user('smtp_url', binary, 'smtp_user')}",) for binary in ("mutt", "neomutt")},
    ),
    # a my_ variable of one set nowhere was "not expanded" wherever it was used: it holds what the client read (a
    # password still is not taken: the file does not hold it)
    "a my_ variable of one set nowhere": (
        f'{FOLDER}set from = a@example.com my_u = "x$my_none" my_p = $my_none\n'
        'set imap_user = $my_u smtp_url = "smtps://${my_u}y@smtp.example.com/" smtp_pass = $my_p\n',
        {
            "mutt": ("x", "smtps://xy@smtp.example.com/", "a@example.com", "R"),
            "neomutt": ("x$my_none", "smtps://x$my_noney@smtp.example.com/", "a@example.com", "R"),
        },
        {
            "mutt": ("a@example.com", {}, {"username": "x"}, {"username": "xy"}),
            "neomutt": ("a@example.com", {}, {"username": "x$my_none"}, {"username": "x$my_noney"}),
        },
        {
            binary: (
                # where $my_none is written (my_u's set, 2:26), where the client reads it: said at the use (3:5,
                # 3:23), "not set where mutt reads this line" named a line without it
                f"2:26: {nowhere('imap_user', binary, 'my_none')}",
                f"2:26: {nowhere('smtp_url', binary, 'my_none')}",
                "3:71: smtp_pass names a variable ($...) that is not expanded",
            )
            for binary in ("mutt", "neomutt")
        },
    ),
    "a variable the import does not hold": (
        f'{FOLDER}set from = a@example.com\nset imap_user = "$hostname" realname = $from\n',
        {"mutt": ("", "", "a@example.com", "a@example.com"), "neomutt": ("", "", "a@example.com", "a@example.com")},
        ("a@example.com", {"display_name": None}, {}, None),
        (f"3:29: realname {NOT_EXPANDED}", f"3:5: imap_user {NOT_EXPANDED}"),
    ),
    # $realname set in the file is the text set, as both clients hold it (not set, it is mutt's name from /etc/passwd)
    "the file's realname": (
        f'{FOLDER}set from = "$realname <a@example.com>" imap_user = "${{realname}}x"\n',
        dict.fromkeys(("mutt", "neomutt"), ("Rx", "", "R <a@example.com>", "R")),
        ("a@example.com", {}, {"username": "Rx"}, None),
        (),
    ),
    "a variable holding a command's output": (
        f'{FOLDER}set from = a@example.com my_u = "`echo alice`"\nset imap_user = $my_u smtp_url = '
        '"smtps://$my_u@smtp.example.com/"\n',
        dict.fromkeys(("mutt", "neomutt"), ("alice", "smtps://alice@smtp.example.com/", "a@example.com", "R")),
        ("a@example.com", {}, {}, None),
        (f"3:5: imap_user {COMMAND}", f"3:23: smtp_url {COMMAND}"),
    ),
}


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_setting_is_imported_as_the_client_expands_its_variables(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, binary: str, case: str
) -> None:
    need(binary)
    lines, real, expected, warnings = CASES[case]
    (address, extra, incoming, outgoing) = expected[binary] if isinstance(expected, dict) else expected
    warnings = warnings[binary] if isinstance(warnings, dict) else warnings
    rc = tmp_path / "work.muttrc"
    rc.write_text(lines)
    home = tmp_path / "home"
    assert client_reads(binary, rc, home) == real[binary]
    same_environment(monkeypatch, home)
    account: dict[str, Any] = {"address": address, "display_name": "R", **extra, "incoming": INCOMING | incoming}
    account = {key: value for key, value in account.items() if value is not None}  # display_name None: none
    if outgoing is not None:
        account["outgoing"] = OUTGOING | outgoing
    assert imported(binary, rc) == (account, warnings)


@pytest.mark.parametrize(("binary", "user"), [("mutt", "from-the-environment"), ("neomutt", "alice")])
def test_mutt_takes_the_environment_first_and_neomutt_its_own_variables(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, binary: str, user: str
) -> None:
    # mutt looks $NAME up in the environment, then in its my_ variables, then its own (parse.c mutt_extract_token);
    # neomutt in its own, then the my_ ones, then the environment
    need(binary)
    rc = tmp_path / "work.muttrc"
    rc.write_text(f"{FOLDER}set from = a@example.com imap_user = alice my_u = alice\nset imap_login = $imap_user\n"
                  "set smtp_url = smtps://$my_u@smtp.example.com/\n")  # fmt: skip
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("imap_user", "from-the-environment")
    monkeypatch.setenv("my_u", "from-the-environment")
    assert Client(binary, home).query(rc, ["imap_login", "smtp_url"]) == {
        "imap_login": user,
        "smtp_url": f"smtps://{user}@smtp.example.com/",
    }
    same_environment(monkeypatch, home)
    account, warnings = imported(binary, rc)
    # mutt's imap_login (the environment's) is not its imap_user: said, as any such pair is (test_mutt_logins.py)
    said = (
        "3:5: imap_login: mutt authenticates as imap_login with SASL (from-the-environment), the username imported, "
        "asking for imap_user's mail (alice: its SASL authorization identity), which an account cannot say; with a "
        "server that offers no SASL mechanism it sends imap_user in its LOGIN command (alice)",
    )
    assert (account["incoming"]["username"], account["outgoing"]["username"], warnings) == (
        user,
        user,
        said if binary == "mutt" else (),
    )


@pytest.mark.parametrize(("binary", "user"), [("mutt", "x"), ("neomutt", "x$MAILCONF_EMPTY")])
def test_an_empty_environment_variable_is_nothing_to_mutt_and_not_set_to_neomutt(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, binary: str, user: str
) -> None:
    # neomutt's mutt_str_getenv takes a variable set to nothing as not set: $NAME stays as it is written
    need(binary)
    rc = tmp_path / "work.muttrc"
    rc.write_text(f'{FOLDER}set from = a@example.com imap_user = "x$MAILCONF_EMPTY"\n')
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("MAILCONF_EMPTY", "")
    assert Client(binary, home).query(rc, ["imap_user"]) == {"imap_user": user}
    same_environment(monkeypatch, home)
    account, warnings = imported(binary, rc)
    if binary == "mutt":
        assert (account["incoming"]["username"], warnings) == ("x", ())
    else:  # (it was not imported, "not expanded")
        said = f"2:26: {nowhere('imap_user', binary, 'MAILCONF_EMPTY')}"
        assert (account["incoming"]["username"], warnings) == ("x$MAILCONF_EMPTY", (said,))


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
def test_a_password_from_the_environment_is_no_password_of_the_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, binary: str
) -> None:
    # the client's password is the environment's, directly or through a my_ variable: the file does not hold it, so
    # it is no literal password either; a user name from there is the account's
    need(binary)
    rc = tmp_path / "work.muttrc"
    rc.write_text(
        f'{FOLDER}set from = a@example.com my_pass = "$MAILCONF_SECRET" imap_user = "$MAILCONF_SECRET"\n'
        "set imap_pass = $my_pass smtp_url = smtps://smtp.example.com/ smtp_pass = ${MAILCONF_SECRET}\n"
    )
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("MAILCONF_SECRET", "s3cret")
    real = Client(binary, home).query(rc, ["imap_user", "imap_pass", "smtp_pass"])
    assert real == {"imap_user": "s3cret", "imap_pass": "s3cret", "smtp_pass": "s3cret"}
    same_environment(monkeypatch, home)
    monkeypatch.setenv("MAILCONF_SECRET", "s3cret")
    account, warnings = imported(binary, rc)
    assert (account["incoming"], account["outgoing"]) == (INCOMING | {"username": "s3cret"}, OUTGOING)
    assert warnings == (
        "3:5: imap_pass names a variable ($...) that is not expanded",
        "3:63: smtp_pass names a variable ($...) that is not expanded",
    )


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
def test_a_password_in_a_url_from_the_environment_is_said_so_and_never_shown(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, binary: str
) -> None:
    # smtps://$USER:$MAILCONF_SECRET@... was said as "the file holds a literal password": the file holds no password,
    # the client takes the environment's when it reads the file; one written in the URL is still a literal password
    need(binary)
    rc = tmp_path / "work.muttrc"
    rc.write_text(
        f'{FOLDER}set from = a@example.com smtp_url = "smtps://$USER:${{MAILCONF_SECRET}}@smtp.example.com/"\n'
        'folder-hook imaps://b@imap.example.com/ "set from = b@example.com smtp_url = smtps://b:x$MAILCONF_SECRET@h/"\n'
        "folder-hook imaps://c@imap.example.com/ 'set from = c@example.com smtp_url = smtps://$USER:literal@h/'\n"
    )
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("MAILCONF_SECRET", "s3cret")
    real = Client(binary, home).query(rc, ["smtp_url"])
    assert real == {"smtp_url": "smtps://mailconf:s3cret@smtp.example.com/"}
    same_environment(monkeypatch, home)
    monkeypatch.setenv("MAILCONF_SECRET", "s3cret")
    result = import_paths(binary, [str(rc)], ReadOptions())
    assert {name: account["outgoing"].get("username") for name, account in result.accounts.items()} == {
        "a": "mailconf", "b": "b", "c": "mailconf"
    }  # fmt: skip
    from_environment = (
        "smtp_url: the password in it is the environment's (MAILCONF_SECRET) when the client reads the file, which "
        "the file does not hold: not imported; set password_command to a command that prints it"
    )
    assert tuple(str(note).removeprefix(f"{rc}:") for note in result.warnings) == (
        f"2:26: {from_environment}",
        f"3:41: {from_environment}",
        "4:41: the file holds a literal password (not imported): store it in a password manager and set "
        "password_command to the command that prints it",
    )
    assert all("s3cret" not in str(note) for note in result.warnings)


#: what a generated file's lines are made of: my_ variables of text (one with a blank, one of a ``$`` in single
#: quotes), of a command's output (``c1``) or of another, unset or reset; and the settings the import reads set from
#: them (imap_user, imap_login, realname, the user of smtp_url and of folder), from the environment and from the
#: client's own imap_user, in every kind of quoting
_MINE = st.sampled_from(["my_a", "my_b"])
_REFERENCE = st.one_of(
    _MINE.flatmap(lambda n: st.sampled_from([f"${n}", f"${{{n}}}", f'"${n}"', f"'${n}'", f'"x${{{n}}}"', f"x${n}"])),
    st.sampled_from(["$USER", '"${USER}"', "$imap_user", "'$imap_user'", "$my_b$my_a"]),
)
_VALUE = st.sampled_from(["alice", '"x y"', "'$my_b'", '"`echo c1`"', '"$my_b@h"', "$USER"])
_SETTING_LINES = st.one_of(
    st.builds("set {} = {}\n".format, _MINE, _VALUE),
    st.builds("{} {}\n".format, st.sampled_from(["unset", "reset"]), _MINE),
    st.builds("set {} = {}\n".format, st.sampled_from(["imap_user", "imap_login"]), _REFERENCE),
    st.builds('set realname = "N "{}\n'.format, _REFERENCE),
    st.builds("set smtp_url = smtps://{}@smtp.example.com/\n".format, _REFERENCE),
    st.builds("set folder = imaps://{}@imap.example.com/\n".format, _REFERENCE),
)


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(_SETTING_LINES, min_size=1, max_size=6).map("".join))
def test_a_setting_imported_from_variables_is_what_the_client_reads(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory, binary: str, lines: str
) -> None:
    """For generated files of my_ variables and the settings set from them: each value is the one the real client
    reads (``-Q``), or a warning names the variable (an imap_login not imported leaves the user imap_user's); one
    not imported is, in neomutt, which keeps a ``$NAME`` it does not know as it is written, a ``$`` or a command's
    output."""
    need(binary)
    tmp_path = tmp_path_factory.mktemp(binary)
    rc = tmp_path / "work.muttrc"
    rc.write_text(f"{FOLDER}set from = a@example.com smtp_url = smtps://smtp.example.com/\n{lines}")
    home = tmp_path / "home"
    home.mkdir()
    real = Client(binary, home).query(rc, ["imap_user", "imap_login", "realname", "smtp_url", "folder"])
    same_environment(monkeypatch, home)
    try:
        account, warnings = imported(binary, rc)
    except Unreadable as exc:  # no server URL left that the import knows
        assert re.match("(folder|smtp_url) (names a variable|runs a command)", exc.what), exc
        return
    said = " ".join(warnings)
    # what the client logs in as (no imap_authenticators: the common case, a server offering AUTH=PLAIN): mutt with
    # SASL as imap_login, else the user (mutt_account_getlogin): the folder URL's, else imap_user; neomutt with its own
    # PLAIN as the user; no user, it asks for one (test_mutt_logins.py): no username, and no login unattended
    user_name = real["folder"].removeprefix("imaps://").rpartition("@")[0] or real["imap_user"]
    login = (real["imap_login"] or user_name) if binary == "mutt" and user_name else user_name
    user = real["smtp_url"].removeprefix("smtps://").rpartition("@")[0]
    read = {
        "imap_user": (
            account.get("incoming", {}).get("username"),
            login or None,
            ("imap_user", "imap_login", "folder"),
        ),
        "realname": (account.get("display_name"), real["real_name" if binary == "neomutt" else "realname"], ()),
        "smtp_url": (account.get("outgoing", {}).get("username"), user or None, ("smtp_url",)),
    }
    if not real["folder"].startswith("imaps://"):
        # a user with a blank is no URL to neomutt (it reads imaps:/x y@host/ as a local path), nor to the import
        # (test_mutt_logins.py): no login to compare here
        del read["imap_user"]
    for name, (value, expected, others) in read.items():  # each imported as read, or not imported and said
        named = [n for n in (name, *others) if f"{n} " in said or f"{n}: " in said]
        if not named or value == expected:
            assert value == expected, (name, real, account, warnings)
        elif f"{name}: {binary} does not read it as a URL" in said:  # (a blank in the user: test_mutt_logins.py)
            assert (value, binary, " " in (expected or "")) == (None, "neomutt", True), (name, real, warnings)
        elif value is None and binary == "neomutt":
            reads = " ".join(real["real_name" if n == "realname" else n] for n in named)
            assert "$" in reads or "c1" in reads, (name, real, warnings)


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
@pytest.mark.parametrize(
    ("organization", "sent", "warnings"),
    [
        ("$my_org", "ACME", False),
        ("${my_org}/$USER", "ACME/mailconf", False),
        # a variable set nowhere: the header is nothing, which mutt does not send, or $my_none (neomutt): it was not
        # imported, "not expanded"
        ("$my_none", {"mutt": None, "neomutt": "$my_none"}, True),
    ],
)  # fmt: skip
def test_a_my_hdr_header_takes_its_variables_as_the_client_sends_it(  # noqa: PLR0917
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    binary: str,
    organization: str,
    sent: str | dict[str, str | None],
    warnings: bool,
) -> None:
    # the import took "$my_name <$my_user>" as the From (no address: not imported) and "$my_org" as the organization
    header = sent[binary] if isinstance(sent, dict) else sent
    need(binary)
    rc = tmp_path / "work.muttrc"
    rc.write_text(
        f'{FOLDER}set my_name = "Alice Example" my_user = alice@example.com my_org = ACME\n'
        f"my_hdr From: $my_name <$my_user>\nmy_hdr Organization: {organization}\n"
    )
    home = tmp_path / "home"
    home.mkdir()
    headers = Client(binary, home).sent_headers(rc, home / "sent")
    assert headers["From"] == "Alice Example <alice@example.com>"
    assert headers["Organization"] == header
    same_environment(monkeypatch, home)
    account, said = imported(binary, rc)
    assert (account["address"], account["display_name"], account.get("organization"), said) == (
        "alice@example.com",
        "Alice Example",
        header,
        (f"4:1: {nowhere('my_hdr Organization', binary, 'my_none')}",) if warnings else (),
    )


def sent_and_imported(
    binary: str, tmp_path: Path, lines: str
) -> tuple[EmailMessage, Mapping[str, Any], tuple[str, ...]]:
    """The headers of a message the client sends with FOLDER and ``lines``, and the account and warnings imported."""
    need(binary)
    rc = tmp_path / "work.muttrc"
    rc.write_text(FOLDER + lines)
    home = tmp_path / "home"
    home.mkdir()
    sent = Client(binary, home).sent_headers(rc, home / "sent")
    return (sent, *imported(binary, rc))


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
def test_a_my_hdr_from_of_a_variable_set_nowhere_is_the_from_the_client_sends(tmp_path: Path, binary: str) -> None:
    # it was "not expanded": mutt's is blank, and a blank From the client does not send, nor from's in its place (no
    # From at all); neomutt's is $my_none, no address, which it sends with realname
    sent, account, warnings = sent_and_imported(
        binary, tmp_path, 'set from = "F <a@example.com>"\nmy_hdr From: $my_none\n'
    )
    assert sent["From"] == {"mutt": None, "neomutt": "R <$my_none>"}[binary]
    said = {
        "mutt": "my_hdr From: is blank: the client sends no From header at all, which an account cannot say; this "
        "file has from's",
        "neomutt": "my_hdr From: $my_none is no address; the client sends it, this file has from's",
    }
    assert (account["address"], account["display_name"], warnings) == (
        "a@example.com",
        "F",
        (f"3:1: {nowhere('my_hdr From', binary, 'my_none')}", f"3:1: {said[binary]}"),
    )


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
def test_a_source_path_takes_my_variables_and_the_client_s_own(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, binary: str
) -> None:
    # the import looked $NAME up in the environment alone: "$my_dir is not set in the environment": not followed;
    # then one set nowhere was "not known here": not followed; mutt reads it as nothing, neomutt as it is written
    need(binary)
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "creds.rc").write_text("set imap_user = alice\n")
    (tmp_path / "conf" / "alice.rc").write_text("set realname = Alice\n")
    (tmp_path / "conf" / "last.rc").write_text("set from = m@example.com\n")
    (tmp_path / "conf$my_other").mkdir()
    (tmp_path / "conf$my_other" / "last.rc").write_text("set from = n@example.com\n")
    rc = tmp_path / "work.muttrc"
    rc.write_text(
        f"{FOLDER}set from = a@example.com my_dir = {tmp_path}/conf\nsource $my_dir/creds.rc\n"
        f'source "${{my_dir}}/${{imap_user}}.rc"\nsource {tmp_path}/conf$my_other/last.rc\n'
    )
    home = tmp_path / "home"
    home.mkdir()
    done = Client(binary, home).run(rc, "-Q", "imap_user", "-Q", "realname", "-Q", "from")
    real = {
        "mutt": 'imap_user="alice"\nrealname="Alice"\nfrom="m@example.com"\n',
        "neomutt": 'set imap_user = "alice"\nset real_name = "Alice"\nset from = "n@example.com"\n',
    }
    assert done.stdout.decode() == real[binary]
    same_environment(monkeypatch, home)
    result = import_paths(binary, [str(rc)], ReadOptions(follow_source=True))
    account = result.accounts["work"]
    assert (account["display_name"], account["incoming"]["username"], account["address"]) == (
        "Alice",
        "alice",
        {"mutt": "m@example.com", "neomutt": "n@example.com"}[binary],
    )
    assert tuple(str(note).removeprefix(f"{rc}:") for note in result.warnings) == (
        f"5:1: source {shown(f'{tmp_path}/conf$my_other/last.rc')}: $my_other is not set where {binary} reads this "
        f"line (not by the file before it, nor in the environment the import ran in): followed as {binary} reads it, "
        + ("as nothing" if binary == "mutt" else "as it is written"),
    )


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
@pytest.mark.parametrize(
    ("headers", "sender", "organization"),
    [
        # a quote quotes nothing in a my_hdr (parse_my_hdr: MUTT_TOKEN_QUOTE): $my_name in single quotes is expanded
        ("my_hdr From: '$my_name' <$my_user>\n",
         ("'Alice Example' <alice@example.com>", "'Alice Example'", "alice@example.com"), None),
        # (the email package reads the quoted phrase without its quotes)
        ('my_hdr From: "$my_name" <$my_user>\nmy_hdr Organization: "ACME Inc"\n',
         ("Alice Example <alice@example.com>", "Alice Example", "alice@example.com"), '"ACME Inc"'),
        ("my_hdr Organization: ACME  Inc. (Paris)\n", ("R <a@example.com>", "R", "a@example.com"),
         "ACME  Inc. (Paris)"),
    ],
)  # fmt: skip
def test_a_my_hdr_header_keeps_its_quotes_and_blanks_as_the_client_sends_it(
    tmp_path: Path, binary: str, headers: str, sender: tuple[str, str, str], organization: str | None
) -> None:
    # the import read a my_hdr as a set's words: quotes taken off, $my_name in single quotes kept as text (the
    # display name "$my_name"), blanks between words made one
    lines = f'set from = a@example.com my_name = "Alice Example" my_user = alice@example.com\n{headers}'
    sent, account, warnings = sent_and_imported(binary, tmp_path, lines)
    assert (sent["From"], sent["Organization"]) == (sender[0], organization)
    assert (account["display_name"], account["address"], account.get("organization"), warnings) == (
        *sender[1:],
        organization,
        (),
    )


def test_an_empty_smtp_user_is_no_user_to_log_in_as(tmp_path: Path) -> None:
    # neomutt's smtp_user = "" (or one a variable not set empties) is as if not set: no user, so no login; the
    # import said auth: password, for the setting's being there
    rc = tmp_path / "work.muttrc"
    rc.write_text(f'{FOLDER}set from = a@example.com smtp_url = smtps://smtp.example.com/ smtp_user = "$imap_user"\n')
    account, warnings = imported("neomutt", rc)
    assert (account["outgoing"], warnings) == (OUTGOING | {"auth": "none"}, ())


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
def test_a_folder_url_is_what_its_variable_expands_to_when_the_client_holds_it_as_written(
    tmp_path: Path, binary: str
) -> None:
    # the client writes a URL in folder or spoolfile back with its scheme in lower case, a path and no %-escape
    # (url_tostring): $folder of one written so is that text; of another (imaps://HOST, without the path), not
    # expanded
    need(binary)
    rc = tmp_path / "work.muttrc"
    rc.write_text(
        "set folder = imaps://alice@imap.example.com/ realname = R from = a@example.com\n"
        'set spoolfile = "${folder}INBOX"\nset folder = imaps://imap.example.com\nset imap_user = "$folder"\n'
    )
    home = tmp_path / "home"
    home.mkdir()
    spoolfile = "spool_file" if binary == "neomutt" else "spoolfile"
    assert Client(binary, home).query(rc, ["imap_user", "spoolfile"]) == {
        "imap_user": "imaps://imap.example.com/",
        spoolfile: "imaps://alice@imap.example.com/INBOX",
    }
    account, warnings = imported(binary, rc)
    assert (account["incoming"], warnings) == (INCOMING, (f"4:5: imap_user {NOT_EXPANDED}",))


@pytest.mark.parametrize(("binary", "folder"), [("mutt", ""), ("neomutt", "$MAILCONF_NOWHERE")])
def test_a_file_whose_only_url_is_a_variable_set_nowhere_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, binary: str, folder: str
) -> None:
    # the client reads no URL there (mutt: nothing; neomutt: a local folder's name); the import said "no folder =
    # imap(s)://..., pop_host or smtp_url: no server to import" and "no account found", naming neither the line nor
    # the variable (it said "not expanded" before the variable was read as the client reads it)
    need(binary)
    monkeypatch.delenv("MAILCONF_NOWHERE", raising=False)
    rc = tmp_path / "work.muttrc"
    rc.write_text("set from = a@example.com\nset folder = $MAILCONF_NOWHERE\n")
    home = tmp_path / "home"
    home.mkdir()
    assert Client(binary, home).query(rc, ["folder"]) == {"folder": folder}
    with pytest.raises(Unreadable) as raised:
        import_paths(binary, [str(rc)], ReadOptions())
    reads = "as nothing" if binary == "mutt" else "as it is written"
    assert (str(raised.value.location), raised.value.what, raised.value.fix) == (
        f"{rc}:2:5",
        f"folder: $MAILCONF_NOWHERE is not set where {binary} reads this line (not by the file before it, nor in the "
        f"environment the import ran in): read as {binary} reads it, {reads}: no server URL, and the file names no "
        "other",
        "write the URL itself, as imaps://USER@HOST/, or set the variable in the file before this line",
    )


#: values of yes/no variables and quadoptions: what each client's -Q reads after them, or None where it refuses the
#: value (an error, the value before kept, the rest of the line skipped)
_YES_NO_VALUES: dict[tuple[str, str], dict[str, str | None]] = {
    ("ssl_force_tls", "maybe"): {"mutt": None, "neomutt": None},
    ("ssl_force_tls", "ON"): {"mutt": None, "neomutt": "yes"},
    ("ssl_force_tls", "0"): {"mutt": None, "neomutt": "no"},
    ("ssl_force_tls", "No"): {"mutt": "no", "neomutt": "no"},
    ("ssl_starttls", "maybe"): {"mutt": None, "neomutt": None},
    ("ssl_starttls", "true"): {"mutt": None, "neomutt": None},
}


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
@pytest.mark.parametrize(("variable", "value"), _YES_NO_VALUES)
def test_a_yes_no_variable_takes_the_values_the_client_takes(
    tmp_path: Path, binary: str, variable: str, value: str
) -> None:
    # `set ssl_force_tls = maybe` was read as no, and imported as security starttls-optional: both clients refuse it
    # and keep the value before (yes, their default: mutt 2.2 and NeoMutt force TLS unless told not to), and skip the
    # rest of the line (ssl_verify_host = no after it); NeoMutt takes on/true/1 and off/false/0 for a yes/no
    # variable, mutt only yes and no, and neither more than yes, no, ask-yes and ask-no for a quadoption
    need(binary)
    home = tmp_path / "home"
    home.mkdir()
    rc = tmp_path / "work.muttrc"
    rc.write_text(
        f"set folder = imap://imap.example.com/ from = a@example.com\nset {variable} = {value} ssl_verify_host = no\n"
    )
    done = Client(binary, home).run(rc, "-Q", variable, "-Q", "ssl_verify_host")
    real = parse(binary, done.stdout.decode())
    expected = _YES_NO_VALUES[variable, value][binary]
    assert real == {variable: expected or "yes", "ssl_verify_host": "yes" if expected is None else "no"}
    account, warnings = imported(binary, rc)
    force = real["ssl_force_tls"] if variable == "ssl_force_tls" else "yes"
    security = "starttls" if force == "yes" else "starttls-optional"
    incoming = INCOMING | {"port": 143, "security": security}
    if expected is not None:
        incoming["tls"] = {"verify_hostname": False}
    assert account == {"address": "a@example.com", "incoming": incoming}
    taken = (
        "yes, no, ask-yes or ask-no"
        if variable == "ssl_starttls"
        else ("yes or no" if binary == "mutt" else "yes, no, on, off, true, false, 1 or 0")
    )
    refused = (
        f"2:5: set {variable} = {value}: {binary} refuses it (it takes {taken}) and keeps the value before, nor sets "
        f"the rest of this line ({binary} reports the error and reads on from the next line)"
    )
    not_set = (
        "2:5: ssl_force_tls is not set: STARTTLS is used only when offered (starttls-optional, which render refuses); "
        "set ssl_force_tls = yes, or declare security starttls"
    )
    assert warnings == ((refused,) if expected is None else (not_set,) if security != "starttls" else ())


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
def test_a_set_with_nothing_after_its_equals_sign_is_empty_text(tmp_path: Path, binary: str) -> None:
    # `set imap_user =` at the end of a line stopped the import (exit 2: "has no value"): both clients set a text
    # variable, or a my_ one, to nothing; a yes/no one they refuse, keeping the value before, and skip the line's rest
    need(binary)
    home = tmp_path / "home"
    home.mkdir()
    rc = tmp_path / "work.muttrc"
    rc.write_text(
        "set folder = imap://imap.example.com/ from = a@example.com imap_user = alice my_x = a ssl_force_tls = yes\n"
        'set imap_user =\nset my_x =\nset realname = "[$my_x]"\nset ssl_force_tls = ; set ssl_starttls = no\n'
    )
    done = Client(binary, home).run(
        rc, "-Q", "imap_user", "-Q", "realname", "-Q", "ssl_force_tls", "-Q", "ssl_starttls"
    )
    assert f"Error in {rc}, line 5: " in done.stderr.decode()
    real = parse(binary, done.stdout.decode())
    assert {name.replace("real_name", "realname"): value for name, value in real.items()} == {
        "imap_user": "", "realname": "[]", "ssl_force_tls": "yes", "ssl_starttls": "yes"
    }  # fmt: skip
    account, warnings = imported(binary, rc)
    incoming = INCOMING | {"port": 143, "security": "starttls"}
    assert (account, warnings) == (
        {"address": "a@example.com", "display_name": "[]", "incoming": incoming},
        (
            f"5:5: set ssl_force_tls = has no value: {binary} refuses it (a yes or no, or a number) and keeps the "
            f"value before, nor sets the rest of this line ({binary} reports the error and reads on from the next "
            "line)",
        ),
    )
