"""``import --from mutt``/``neomutt``: the server and the name an account logs in with are the ones the client uses.

Each file is opened by the real client first: it opens an IMAP mailbox on a local stub server (``tests.targets.
_imap_stub``) in a pseudo-terminal, and the stub records the login it made, if any; then the file is imported.
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pytest

from mailconf.importers import ReadOptions
from mailconf.importers._core import import_paths
from tests.conftest import need
from tests.servers import (
    Certificates,
    Dovecot,
    ScriptedServer,
    SmtpServer,
    User,
    make_certificates,
    scram_imap,
    server_context,
)
from tests.targets._aerc_client import ImapStub, Login
from tests.targets._mutt_client import client_env

#: how long the client is given to log in: it does in well under a second, or never (it reads no server)
LOGIN_WAIT = 6.0
#: what every file here ends with: a clear-text connection to the stub (no STARTTLS to offer), a password
PLAIN = 'set ssl_starttls = no ssl_force_tls = no imap_pass = "`echo pw`"\n'


class RefusesSaslLogin(ImapStub):
    """Offers AUTH=PLAIN (and SASL-IR) only, as most servers do (or ``offered``): an AUTHENTICATE of a mechanism
    not offered (LOGIN, which neomutt tries for imap_authenticators = login before its LOGIN command) is refused;
    SASL LOGIN, offered, is answered (Username:, Password:). Records the authorization identity of each PLAIN
    (``authorized``)."""

    authorized: ClassVar[list[str]] = []

    def answer(self, connection: Any, tag: str, verb: str, args: list[str]) -> str | None:
        mechanism = args[0].upper() if verb == "AUTHENTICATE" else ""
        if mechanism == "LOGIN" and "AUTH=LOGIN" in self.CAPABILITIES:
            said = []
            for prompt in ("Username:", "Password:"):
                connection.send(f"+ {base64.b64encode(prompt.encode()).decode()}\r\n")
                said.append(base64.b64decode(connection.reader.readline().strip()).decode())
            self.logins.append(Login(connection.secure, "AUTHENTICATE LOGIN", said[0], said[1]))
            return f"{tag} OK done\r\n"
        if mechanism == "CRAM-MD5" and "AUTH=CRAM-MD5" in self.CAPABILITIES:  # user, then the digest
            connection.send(f"+ {base64.b64encode(b'<1.1@stub>').decode()}\r\n")
            user, _, digest = base64.b64decode(connection.reader.readline().strip()).decode().rpartition(" ")
            self.logins.append(Login(connection.secure, "AUTHENTICATE CRAM-MD5", user, digest))
            return f"{tag} OK done\r\n"
        if mechanism and f"AUTH={mechanism}" not in self.CAPABILITIES:
            return f"{tag} NO not offered\r\n"
        if verb == "AUTHENTICATE" and len(args) > 1:
            RefusesSaslLogin.authorized.append(base64.b64decode(args[1]).decode().split("\0")[0])
        return super().answer(connection, tag, verb, args)


def client_logins(
    binary: str, text: str, home: Path, offered: str = "", certificates: Certificates | None = None
) -> list[tuple[str, str]]:
    """The logins (mechanism, user) ``binary`` makes when it starts on the muttrc ``text`` (PORT: the stub's), which
    opens its spoolfile at start; ``offered``: the capabilities the stub offers, when not its own; ``certificates``:
    the stub is implicit TLS (imaps://) with their good certificate, their CA the client's."""
    need(binary)
    (home / "Mail").mkdir(parents=True, exist_ok=True)
    context = server_context(certificates.good) if certificates is not None else None
    with RefusesSaslLogin(context, implicit=context is not None, offer_starttls=False) as server:
        if offered:
            server.CAPABILITIES = offered
        trust = f"set ssl_ca_certificates_file = '{certificates.ca}'\n" if certificates is not None else ""
        started(binary, text.replace("PORT", str(server.port)) + PLAIN + trust, home, lambda: bool(server.logins))
        logins: list[Login] = list(server.logins)
    return [(login.command, login.user) for login in logins]


def started(binary: str, text: str, home: Path, done: Callable[[], bool]) -> None:
    """Start ``binary`` on the muttrc ``text`` in a pseudo-terminal (it opens its spoolfile), and stop it once
    ``done()`` (a server saw what it waited for), it quit, or LOGIN_WAIT has passed."""
    rc = home / "rc"
    rc.write_text(text)
    master, slave = os.openpty()
    client = subprocess.Popen(
        [binary, "-n", "-F", str(rc), "-e", "push q"],
        stdin=slave, stdout=slave, stderr=slave, env=client_env(home) | {"TERM": "xterm"}, cwd=home,
    )  # fmt: skip
    os.close(slave)
    os.set_blocking(master, False)
    deadline = time.monotonic() + LOGIN_WAIT
    try:
        while not done() and client.poll() is None and time.monotonic() < deadline:
            with contextlib.suppress(BlockingIOError, OSError):
                os.read(master, 65536)  # (a full terminal would stop the client)
            time.sleep(0.05)
    finally:
        client.kill()
        client.wait(timeout=30)
        os.close(master)


def imported(binary: str, rc: Path) -> tuple[dict[str, Any], tuple[str, ...]]:
    result = import_paths(binary, [str(rc)], ReadOptions())
    return dict(result.accounts), tuple(str(note).removeprefix(f"{rc}:") for note in result.warnings)


INCOMING = {"protocol": "imap", "host": "127.0.0.1", "port": 143, "security": "none", "password_command": "echo pw",
            "auth": "password"}  # fmt: skip
#: a server to send through, that the import has an account of the file without its mailbox
SENDING = "set smtp_url = smtps://a@smtp.example.com/\n"
OUTGOING = {"host": "smtp.example.com", "port": 465, "security": "tls", "username": "a", "auth": "password"}


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
@pytest.mark.parametrize(
    ("user", "logins"),
    [
        ("x%20y", {"mutt": "x y", "neomutt": "x y"}),
        ("x y", {"mutt": "x y", "neomutt": None}),
        ("x<y", {"mutt": "x<y", "neomutt": None}),
        ("x%zz", {"mutt": None, "neomutt": None}),
    ],
)
def test_a_mailbox_url_is_a_server_when_the_client_reads_it_as_one(
    tmp_path: Path, binary: str, user: str, logins: dict[str, str | None]
) -> None:
    # "imap://x y@host/" was imported as an IMAP server of user "x y" for both clients: neomutt reads it as a local
    # folder (its URLs take no blank, nor <, in the user), and neither client reads a % not followed by two hex digits
    line = f'set from = a@example.com spoolfile = "imap://{user}@127.0.0.1:PORT/INBOX"\n'
    login = logins[binary]
    assert client_logins(binary, line, tmp_path / "home") == ([] if login is None else [("AUTHENTICATE PLAIN", login)])
    rc = tmp_path / "work.muttrc"
    rc.write_text(line.replace("PORT", "143") + PLAIN + SENDING)
    if login is not None:
        account = {"address": "a@example.com", "incoming": INCOMING | {"username": login}, "outgoing": OUTGOING}
        assert imported(binary, rc) == ({"work": account}, ())
        return
    why = (
        "a % in its user or password is not followed by two hexadecimal digits (write a % itself as %25)"
        if "%" in user
        else f"its user holds {'a blank' if ' ' in user else repr(user[1])}, which neomutt's URLs do not take there "
        "(neomutt reads the value as a local folder's path, or as no mailbox); write it %-escaped, as %20 for a blank"
    )
    assert imported(binary, rc) == (
        {"work": {"address": "a@example.com", "outgoing": OUTGOING}},
        (f"1:26: spoolfile: {binary} does not read it as a URL: {why}",),
    )


#: the warning of an imap_user alice and an imap_login bob, by client and first imap_authenticators method
TWO_NAMES = {
    ("mutt", ""): "mutt authenticates as imap_login with SASL (bob), the username imported, asking for imap_user's "
    "mail (alice: its SASL authorization identity), which an account cannot say; with a server that offers no SASL "
    "mechanism it sends imap_user in its LOGIN command (alice)",
    ("mutt", "plain"): "mutt authenticates as imap_login with SASL (bob), the username imported, asking for "
    "imap_user's mail (alice: its SASL authorization identity), which an account cannot say",
    ("mutt", "plain:login"): "mutt authenticates as imap_login with SASL (bob), the username imported, asking for "
    "imap_user's mail (alice: its SASL authorization identity), which an account cannot say; with a server that "
    "offers none of PLAIN it sends imap_user in its LOGIN command (alice)",
    ("neomutt", ""): "neomutt authenticates as imap_user with its own PLAIN (alice), the username imported; with a "
    "server that offers no AUTH=PLAIN it authenticates with SASL (SCRAM, CRAM-MD5 ...) as imap_login (bob), which an "
    "account cannot say",
    **{(binary, "login"): f"{binary} sends imap_user in its LOGIN command (alice), the username imported; with a "
       "server that offers AUTH=LOGIN it authenticates with SASL LOGIN as imap_login (bob), which an account cannot "
       "say" for binary in ("mutt", "neomutt")},
}  # fmt: skip


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
@pytest.mark.parametrize("methods", ["", "plain", "login", "login:plain", "plain:login"])
def test_the_username_is_the_name_the_client_logs_in_with(tmp_path: Path, binary: str, methods: str) -> None:
    # imap_login was the username whenever it was set ("a known imap_login wins"); neomutt's own PLAIN, which it
    # picks first, sends imap_user, and so does the LOGIN command of both clients: a client rendered from the
    # import logged in as bob where the original logged in as alice
    listed = f" imap_authenticators = {methods}" if methods else ""
    line = f"set spoolfile = imap://127.0.0.1:PORT/INBOX imap_user = alice imap_login = bob{listed}\n"
    RefusesSaslLogin.authorized.clear()
    [(command, sent)] = client_logins(binary, line, tmp_path / "home")
    first = methods.split(":", maxsplit=1)[0]
    assert command == ("LOGIN" if first == "login" else "AUTHENTICATE PLAIN")
    # PLAIN asks for alice's mail (its authorization identity): mutt's authenticating as bob, neomutt's as alice
    assert RefusesSaslLogin.authorized == ([] if command == "LOGIN" else ["alice"])
    rc = tmp_path / "work.muttrc"
    rc.write_text("set from = a@example.com\n" + line.replace("PORT", "143") + PLAIN)
    incoming = INCOMING | {"username": sent} | ({"mechanisms": methods.split(":")} if methods else {})
    said = TWO_NAMES.get((binary, methods), TWO_NAMES.get((binary, first)))
    assert imported(binary, rc) == (
        {"work": {"address": "a@example.com", "incoming": incoming}},
        (f"2:62: imap_login: {said}",) if said else (),
    )


NO_SASL = "with a server that offers no SASL mechanism it sends imap_user in its LOGIN command (alice)"
NO_PLAIN = (
    "with a server that offers no AUTH=PLAIN it authenticates with SASL (SCRAM, CRAM-MD5 ...) as imap_login (bob)"
)
SASL_LOGIN = "with a server that offers AUTH=LOGIN it authenticates with SASL LOGIN as imap_login (bob)"


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
@pytest.mark.parametrize(
    ("methods", "offered", "logins"),
    [
        ("", "IMAP4rev1", {"mutt": ("LOGIN", "alice", NO_SASL), "neomutt": ("LOGIN", "alice", None)}),
        ("", "IMAP4rev1 AUTH=CRAM-MD5", {"mutt": ("AUTHENTICATE CRAM-MD5", "bob", None),
                                         "neomutt": ("AUTHENTICATE CRAM-MD5", "bob", NO_PLAIN)}),
        ("login", "IMAP4rev1 AUTH=PLAIN AUTH=LOGIN",
         dict.fromkeys(("mutt", "neomutt"), ("AUTHENTICATE LOGIN", "bob", SASL_LOGIN))),
        ("plain:login", "IMAP4rev1", {"mutt": ("LOGIN", "alice", "offers none of PLAIN it sends imap_user in its "
                                               "LOGIN command (alice)"),
                                      "neomutt": ("LOGIN", "alice", None)}),
        ("cram-md5:plain", "IMAP4rev1 AUTH=PLAIN SASL-IR", {
            "mutt": ("AUTHENTICATE PLAIN", "bob", None),
            "neomutt": ("AUTHENTICATE PLAIN", "alice", "offers none of CRAM-MD5 it authenticates as imap_user with "
                                                       "its own PLAIN (alice)")}),
    ],
    ids=["no SASL offered", "SASL but PLAIN offered", "AUTH=LOGIN offered", "the first not offered",
         "the first not offered, a SASL method first"],
)  # fmt: skip
def test_the_login_the_warning_says_the_server_decides_is_the_client_s(
    tmp_path: Path, binary: str, methods: str, offered: str, logins: dict[str, tuple[str, str, str | None]]
) -> None:
    # what the warnings of test_the_username_is_the_name_the_client_logs_in_with say a client sends where the server
    # offers less or more than AUTH=PLAIN: mutt's LOGIN command (no SASL offered) sends alice, neomutt's SASL (no
    # AUTH=PLAIN) bob, SASL LOGIN (AUTH=LOGIN offered) bob; None: the name imported, the common case's
    listed = f" imap_authenticators = {methods}" if methods else ""
    line = f"set spoolfile = imap://127.0.0.1:PORT/INBOX imap_user = alice imap_login = bob{listed}\n"
    command, sent, said = logins[binary]
    assert client_logins(binary, line, tmp_path / "home", offered) == [(command, sent)]
    rc = tmp_path / "work.muttrc"
    rc.write_text("set from = a@example.com\n" + line.replace("PORT", "143") + PLAIN)
    account, warnings = imported(binary, rc)
    if said is None:
        assert account["work"]["incoming"]["username"] == sent
    else:
        assert account["work"]["incoming"]["username"] != sent
        assert said in warnings[0], warnings


#: what each client sends with an imap_login not known here (SCRAM sends a=USER,n=LOGIN from both:
#: test_scram_asks_for_imap_user_s_mail_as_imap_login)
LEFT_OUT = {
    "mutt": "nor is the IMAP username: mutt authenticates as its value with SASL, asking for imap_user's mail (alice: "
    "its SASL authorization identity), which an account cannot say; with a server that offers no SASL mechanism it "
    "sends imap_user in its LOGIN command",
    "neomutt": "the IMAP username is imap_user's: neomutt authenticates as imap_user with its own PLAIN; with a "
    "server that offers no AUTH=PLAIN it authenticates with SASL (SCRAM, CRAM-MD5 ...) as its value",
}


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
@pytest.mark.parametrize(("login", "why"), [('"`echo bob`"', "runs a command (backticks): not run"),
                                            ("$hostname", "names a variable ($...), which the client expands: not "
                                                          "expanded")])  # fmt: skip
def test_an_imap_login_not_known_here_leaves_out_the_username_the_client_sends_it_as(
    tmp_path: Path, binary: str, login: str, why: str
) -> None:
    # mutt authenticates as imap_login's value (here the command's output, bob), which the import does not know: the
    # username is left out; neomutt (its own PLAIN, which it picks first) as imap_user's, alice, which was left out too.
    # mutt's asks for alice's mail, as its authorization identity, which the warning did not say (the warning of a
    # known imap_login did: test_the_username_is_the_name_the_client_logs_in_with)
    line = f"set spoolfile = imap://127.0.0.1:PORT/INBOX imap_user = alice imap_login = {login}\n"
    plain = {"mutt": "bob", "neomutt": "alice"}[binary]
    if "`" in login:
        RefusesSaslLogin.authorized.clear()
        assert client_logins(binary, line, tmp_path / "home") == [("AUTHENTICATE PLAIN", plain)]
        assert RefusesSaslLogin.authorized == ["alice"]
    rc = tmp_path / "work.muttrc"
    rc.write_text("set from = a@example.com\n" + line.replace("PORT", "143") + PLAIN)
    incoming = INCOMING | ({"username": "alice"} if binary == "neomutt" else {})
    assert imported(binary, rc) == (
        {"work": {"address": "a@example.com", "incoming": incoming}},
        (f"2:62: imap_login {why}, not imported; {LEFT_OUT[binary]}",),
    )


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
@pytest.mark.parametrize(
    ("names", "logins"),
    [
        ('imap_user = "x${MAILCONF_NOWHERE}y"', {"mutt": "xy", "neomutt": "x$MAILCONF_NOWHEREy"}),
        ('imap_user = alice imap_login = "$MAILCONF_NOWHERE"', {"mutt": "alice", "neomutt": "alice"}),
    ],
)
def test_a_variable_set_nowhere_is_what_the_client_reads(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, binary: str, names: str, logins: dict[str, str]
) -> None:
    # it was "not expanded" and not imported: mutt reads it as nothing, neomutt keeps it as it is written (without
    # its braces); the name the client logs in with is imported, and said to depend on the environment
    monkeypatch.delenv("MAILCONF_NOWHERE", raising=False)
    line = f"set spoolfile = imap://127.0.0.1:PORT/INBOX {names}\n"
    assert client_logins(binary, line, tmp_path / "home") == [("AUTHENTICATE PLAIN", logins[binary])]
    rc = tmp_path / "work.muttrc"
    written = line.replace("PORT", "143")
    rc.write_text("set from = a@example.com\n" + written + PLAIN)
    variable = "imap_login" if "imap_login" in names else "imap_user"
    reads = "as nothing" if binary == "mutt" else "as it is written"
    said = [
        f"2:{written.index(variable) + 1}: {variable}: $MAILCONF_NOWHERE is not set where {binary} reads this line "
        f"(not by the file before it, nor in the environment the import ran in): imported as {binary} reads it, {reads}"
    ]
    if variable == "imap_login" and binary == "neomutt":  # (imap_login "$MAILCONF_NOWHERE", not alice)
        said.insert(0, f"2:62: imap_login: {TWO_NAMES['neomutt', ''].replace('(bob)', '($MAILCONF_NOWHERE)')}")
    assert imported(binary, rc) == (
        {"work": {"address": "a@example.com", "incoming": INCOMING | {"username": logins[binary]}}},
        tuple(said),
    )


def test_a_folder_neomutt_reads_as_a_local_path_is_no_mailbox_of_the_hooks_either(tmp_path: Path) -> None:
    # the file's folder was taken as a mailbox of its own besides the hook's, said twice ("mailbox: ..." and
    # "folder: ..."), and the file gave no account
    rc = tmp_path / "work.muttrc"
    rc.write_text(
        'set from = a@example.com folder = "imaps://x y@imap.example.com/" smtp_url = smtps://a@smtp.example.com/\n'
        'folder-hook imaps://b@imap.example.com/ "set from = b@example.com"\n'
    )
    incoming = {"protocol": "imap", "host": "imap.example.com", "port": 993, "security": "tls", "username": "b",
                "auth": "password"}  # fmt: skip
    outgoing = {"host": "smtp.example.com", "port": 465, "security": "tls", "username": "a", "auth": "password"}
    assert imported("neomutt", rc) == (
        {"work": {"address": "b@example.com", "incoming": incoming, "outgoing": outgoing}},
        (
            "1:26: folder: neomutt does not read it as a URL: its user holds a blank, which neomutt's URLs do not take "
            "there (neomutt reads the value as a local folder's path, or as no mailbox); write it %-escaped, as %20 "
            "for a blank",
        ),
    )


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
def test_a_hook_s_mailbox_the_client_does_not_read_as_a_url_is_no_account(tmp_path: Path, binary: str) -> None:
    # it was an account without a server: "no folder = imap(s)://..., pop_host or smtp_url: no server to import"
    rc = tmp_path / "work.muttrc"
    rc.write_text(
        "set from = a@example.com\n"
        'folder-hook imaps://x%zz@imap.example.com/ "set from = b@example.com"\n'
        'folder-hook imaps://y@imap.example.com/ "set from = c@example.com"\n'
    )
    incoming = {"protocol": "imap", "host": "imap.example.com", "port": 993, "security": "tls", "username": "y",
                "auth": "password"}  # fmt: skip
    assert imported(binary, rc) == (
        {"work": {"address": "c@example.com", "incoming": incoming}},
        (
            f"2:1: folder-hook: {binary} does not read its mailbox as a URL: a % in its user or password is not "
            "followed by two hexadecimal digits (write a % itself as %25)",
            "2:1: 1 hook that matches no mailbox URL of an account (a hook's pattern names one: folder-hook "
            "imaps://USER@HOST/ 'set ...') is not imported",
        ),
    )


def nowhere_said(variable: str, binary: str, name: str = "MAILCONF_NOWHERE") -> str:
    """The warning of a value holding ``$name`` set nowhere, which the client reads as nothing (mutt) or as written."""
    reads = "as nothing" if binary == "mutt" else "as it is written"
    return (
        f"{variable}: ${name} is not set where {binary} reads this line (not by the file before it, nor in the "
        f"environment the import ran in): imported as {binary} reads it, {reads}"
    )


def empty_user_said(variable: str, binary: str, user: str) -> str:
    return (
        f"{variable}: {binary} logs in with the empty user name the URL holds (nothing before its @), not {user}, "
        "which an account cannot say: no username imported; write the user in the URL, or leave out its @"
    )


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
def test_a_url_s_variable_set_nowhere_is_what_the_client_logs_in_with(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, binary: str
) -> None:
    # it was "not expanded", and the file's only server not imported (exit 2): mutt reads it as nothing and logs in
    # with the URL's empty user (not imap_user), neomutt keeps it as it is written and logs in as that text
    monkeypatch.delenv("MAILCONF_NOWHERE", raising=False)
    line = 'set spoolfile = "imap://$MAILCONF_NOWHERE@127.0.0.1:PORT/INBOX" imap_user = alice\n'
    sent = {"mutt": "", "neomutt": "$MAILCONF_NOWHERE"}[binary]
    assert client_logins(binary, line, tmp_path / "home") == [("AUTHENTICATE PLAIN", sent)]
    rc = tmp_path / "work.muttrc"
    rc.write_text("set from = a@example.com\n" + line.replace("PORT", "143") + PLAIN)
    said = [nowhere_said("spoolfile", binary)]
    if binary == "mutt":
        said.insert(0, empty_user_said("spoolfile", binary, "imap_user"))
    assert imported(binary, rc) == (
        {"work": {"address": "a@example.com", "incoming": INCOMING | ({"username": sent} if sent else {})}},
        tuple(f"2:5: {message}" for message in said),
    )


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
def test_a_hook_pattern_s_variable_set_nowhere_is_what_the_client_matches(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, binary: str
) -> None:
    # the hook was "not expanded" and not read: mutt matches its pattern with the variable as nothing (the hook runs:
    # imap_authenticators = login, the LOGIN command), neomutt with $MAILCONF_NOWHERE as written, whose $ matches no
    # mailbox URL (the hook does not run: its own PLAIN)
    monkeypatch.delenv("MAILCONF_NOWHERE", raising=False)
    line = (
        "set spoolfile = imap://bob@127.0.0.1:PORT/INBOX\n"
        'folder-hook "imap://b${MAILCONF_NOWHERE}ob@127\\.0\\.0\\.1:PORT/" "set imap_authenticators = login"\n'
    )
    runs = binary == "mutt"
    command = "LOGIN" if runs else "AUTHENTICATE PLAIN"
    assert client_logins(binary, line, tmp_path / "home") == [(command, "bob")]
    rc = tmp_path / "work.muttrc"
    rc.write_text("set from = a@example.com\n" + line.replace("PORT", "143") + PLAIN)
    said = [f"3:13: {nowhere_said('folder-hook: its pattern', binary)}"]
    if not runs:
        said.append(
            "3:1: 1 hook that matches no mailbox URL of an account (a hook's pattern names one: folder-hook "
            "imaps://USER@HOST/ 'set ...') is not imported"
        )
    incoming = INCOMING | {"username": "bob"} | ({"mechanisms": ["login"]} if runs else {})
    assert imported(binary, rc) == ({"work": {"address": "a@example.com", "incoming": incoming}}, tuple(said))


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
def test_an_empty_user_in_a_url_is_the_one_the_client_logs_in_with(tmp_path: Path, binary: str) -> None:
    # smtp://@host/ was no user, auth: none: both clients authenticate to SMTP with the URL's empty name (mutt sends
    # unauthenticated without the @; neomutt authenticates as smtp_user where it is set, and mutt has none), as mutt
    # logs in to IMAP with it (test_a_url_s_variable_set_nowhere_is_what_the_client_logs_in_with)
    need(binary)
    home = tmp_path / "home"
    home.mkdir()
    other = "smtp://@127.0.0.1:PORT/ smtp_user = alice" if binary == "neomutt" else "smtp://127.0.0.1:PORT/"
    with SmtpServer(None, users=[User("", "pw"), User("alice", "pw")]) as server:
        for url in ("smtp://@127.0.0.1:PORT/", other):
            rc = home / "send.rc"
            rc.write_text(f"set from = a@example.com smtp_url = {url.replace('PORT', str(server.port))}\n"
                          f"{PLAIN}set smtp_pass = pw copy = no record = ''\n")  # fmt: skip
            done = subprocess.run(
                [binary, "-n", "-F", str(rc), "-s", "S", "b@example.net"], input=b"hi\n", capture_output=True,
                env=client_env(home), cwd=home, timeout=60, check=False,
            )  # fmt: skip
            assert (done.returncode, done.stderr) == (0, b"")
        assert [message.login for message in server.messages] == ["", "alice" if binary == "neomutt" else None]
    rc = tmp_path / "work.muttrc"
    rc.write_text(f"set from = a@example.com smtp_url = smtp://@smtp.example.com/\n{PLAIN}")
    outgoing = {"host": "smtp.example.com", "port": 25, "security": "none", "auth": "password"}
    assert imported(binary, rc) == (
        {"work": {"address": "a@example.com", "outgoing": outgoing}},
        (f"1:26: {empty_user_said('smtp_url', binary, 'smtp_user')}",),
    )


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
@pytest.mark.parametrize("login", ["bob", ""])
def test_without_a_user_the_client_asks_for_one_and_the_account_has_no_username(
    tmp_path: Path, binary: str, login: str
) -> None:
    # imap_login was the username: with no imap_user and no user in the URL both clients ask for the user each time
    # they connect (no login unattended), as a client rendered from an account without a username does
    listed = f" imap_login = {login}" if login else ""
    line = f"set spoolfile = imap://127.0.0.1:PORT/INBOX{listed}\n"
    assert client_logins(binary, line, tmp_path / "home") == []
    rc = tmp_path / "work.muttrc"
    rc.write_text("set from = a@example.com\n" + line.replace("PORT", "143") + PLAIN)
    said = (
        f"2:44: imap_login (bob) is not imported: with no user (no imap_user, and none in the URL) {binary} asks for "
        f"one each time it connects, and never logs in unattended; the account has no username, as {binary} "
        "asks for it: set imap_user (or the URL's user) to the name of the mailbox"
    )
    assert imported(binary, rc) == (
        {"work": {"address": "a@example.com", "incoming": INCOMING}},
        (said,) if login else (),
    )


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
@pytest.mark.parametrize("method", ["oauthbearer", "xoauth2"])
@pytest.mark.parametrize("login", ["bob", ""])
def test_oauth2_logs_in_as_imap_login_alone(tmp_path: Path, binary: str, method: str, login: str) -> None:
    # what the import said from the clients' source: OAUTHBEARER (a=) and XOAUTH2 (user=) send imap_login, else
    # imap_user; and nothing of imap_user beside imap_login, where the warning said they ask for its mail (as SASL's
    # authorization identity): the account's username is the name, with nothing else to say. The clients try OAuth2
    # over TLS only ("No authenticators available" in clear text)
    listed = f" imap_login = {login}" if login else ""
    line = (
        f"set spoolfile = imaps://127.0.0.1:PORT/INBOX imap_user = alice{listed} imap_authenticators = {method}\n"
        'set imap_oauth_refresh_command = "echo token"\n'
    )
    certificates = make_certificates(tmp_path / "certificates")
    offered = "IMAP4rev1 AUTH=PLAIN AUTH=OAUTHBEARER AUTH=XOAUTH2 SASL-IR"
    sent = login or "alice"
    RefusesSaslLogin.authorized.clear()
    logins = client_logins(binary, line, tmp_path / "home", offered, certificates)
    assert logins == [(f"AUTHENTICATE {method.upper()}", sent)]
    said = {
        "oauthbearer": f"n,a={sent},\x01host=127.0.0.1\x01port=PORT\x01auth=Bearer token\x01\x01",
        "xoauth2": f"user={sent}\x01auth=Bearer token\x01\x01",
    }
    # the whole initial response (the stub's port written PORT): no other name in it
    assert [re.sub("port=[0-9]+", "port=PORT", sent) for sent in RefusesSaslLogin.authorized] == [said[method]]
    rc = tmp_path / "work.muttrc"
    rc.write_text("set from = a@example.com\n" + line.replace("PORT", "993") + PLAIN)
    incoming = INCOMING | {"port": 993, "security": "tls", "username": sent, "auth": "oauth2", "mechanisms": [method],
                           "token_command": "echo token"}  # fmt: skip
    del incoming["password_command"]
    assert imported(binary, rc) == ({"work": {"address": "a@example.com", "incoming": incoming}}, ())


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-1", "SCRAM-SHA-256"])
def test_scram_asks_for_imap_user_s_mail_as_imap_login(tmp_path: Path, binary: str, mechanism: str) -> None:
    # the warning says SCRAM asks for imap_user's mail (its authorization identity) as imap_login: that was checked by
    # hand; each client's client-first message (Cyrus SASL's SCRAM) against scramp's server side
    need(binary)
    home = tmp_path / "home"
    (home / "Mail").mkdir(parents=True)
    line = "set spoolfile = imap://127.0.0.1:PORT/INBOX imap_user = alice imap_login = bob imap_authenticators = "
    line += f"{mechanism.lower()}\n"
    first: list[str] = []
    with ScriptedServer(scram_imap([User("bob", "pw")], mechanism, first=first)) as server:
        started(binary, line.replace("PORT", str(server.port)) + PLAIN, home, lambda: bool(first))
    assert [re.sub(",r=[^,]+$", ",r=NONCE", message) for message in first] == ["n,a=alice,n=bob,r=NONCE"]
    rc = tmp_path / "work.muttrc"
    rc.write_text("set from = a@example.com\n" + line.replace("PORT", "143") + PLAIN)
    said = (
        f"2:62: imap_login: {binary} authenticates as imap_login with {mechanism} (bob), the username imported, asking "
        "for imap_user's mail (alice: its SASL authorization identity), which an account cannot say"
    )
    incoming = INCOMING | {"username": "bob", "mechanisms": [mechanism.lower()]}
    assert imported(binary, rc) == ({"work": {"address": "a@example.com", "incoming": incoming}}, (said,))


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
def test_an_imap_url_of_an_empty_user_is_the_login_the_client_sends_to_dovecot(tmp_path: Path, binary: str) -> None:
    # neomutt's imap://@host/ was read as imap_user's login, unsaid: it sends an empty command (Dovecot: BAD), then
    # logs in with the empty name, as mutt does (Dovecot's auth log: "Empty username"), never as imap_user
    need(binary, "dovecot")
    home = tmp_path / "home"
    (home / "Mail").mkdir(parents=True)
    line = "set spoolfile = imap://@127.0.0.1:PORT/INBOX imap_user = alice@example.org\n"
    with Dovecot(None, disable_plaintext_auth=False) as dovecot:
        before = len(dovecot.log)
        text = line.replace("PORT", str(dovecot.ports.imap)) + PLAIN.replace("echo pw", "echo alice-secret-1")
        started(binary, text, home, lambda: "Empty username" in dovecot.log[before:])
        log = dovecot.log[before:]
    assert ("Empty username" in log, "Login: user=<alice@example.org>" in log) == (True, False)
    rc = tmp_path / "work.muttrc"
    rc.write_text("set from = a@example.com\n" + line.replace("PORT", "143") + PLAIN)
    said = empty_user_said("spoolfile", binary, "imap_user")
    if binary == "neomutt":
        said = said.replace("not imap_user,", "not imap_user (it first sends an empty command, a0000, which the server "
                            "refuses),")  # fmt: skip
    assert imported(binary, rc) == ({"work": {"address": "a@example.com", "incoming": INCOMING}}, (f"2:5: {said}",))
