"""Authentication: what is offered before and after TLS, and --login (secrets never shown)."""

from __future__ import annotations

import asyncio
import base64
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import scramp.core

from mailconf.model import Auth, Protocol, Security
from mailconf.model import Server as ModelServer
from mailconf.probe.conn import Connection, Progress
from mailconf.probe.dialogue import Capabilities, Dialogue, LoginReply
from mailconf.probe.imap import Imap
from mailconf.probe.pop3 import Pop3
from mailconf.probe.runner import choose_method
from mailconf.probe.sasl import MECHANISMS, Credentials
from mailconf.rules.mc304_mechanism_contradicts_auth import agrees
from tests.conftest import need
from tests.probe.conftest import Found, secret_file
from tests.servers import (
    ALICE,
    CAROL,
    Certificates,
    Dovecot,
    ScriptedServer,
    SmtpServer,
    User,
    imap_logindisabled,
    scram_imap,
    server_context,
)


def server(protocol: str, port: int, security: str, certs: Certificates | None, **extra: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"protocol": protocol, "host": "127.0.0.1", "port": port, "security": security}
    if certs is not None:
        entry["tls"] = {"ca_file": str(certs.ca)}
    return {**entry, "timeout": 2, **extra}


@pytest.fixture(scope="module")
def dovecot_cram(certs: Certificates) -> Iterator[Dovecot]:
    """SASL offers only CRAM-MD5: the IMAP LOGIN and POP3 USER/PASS commands remain."""
    need("dovecot")
    with Dovecot(certs.good, mechanisms=("cram-md5",)) as dovecot:
        yield dovecot


@pytest.fixture(scope="module")
def dovecot_scram(certs: Certificates) -> Iterator[Dovecot]:
    need("dovecot")
    with Dovecot(certs.good, mechanisms=("plain", "login", "scram-sha-1", "scram-sha-256")) as dovecot:
        yield dovecot


@pytest.fixture(scope="module")
def dovecot_submission(certs: Certificates) -> Iterator[Dovecot]:
    """Dovecot's submission service (STARTTLS and implicit TLS), relaying to a cleartext aiosmtpd."""
    need("dovecot")
    with SmtpServer(None) as relay, Dovecot(certs.good, submission=True, relay_port=relay.port) as dovecot:
        yield dovecot


@pytest.fixture(scope="module")
def smtp_cram_only(certs: Certificates) -> Iterator[SmtpServer]:
    with SmtpServer(certs.good, implicit=True, mechanisms=("CRAM-MD5",)) as smtp:
        yield smtp


def test_imap_without_logindisabled_takes_a_password_before_tls(
    probe: Any, dovecot: Dovecot, certs: Certificates
) -> None:
    run = probe(incoming=server("imap", dovecot.ports.imap, "starttls", certs))
    assert run.findings == [
        Found(
            5,
            "MC814",
            "warning",
            "before STARTTLS the server accepts LOGIN command, AUTH PLAIN, AUTH LOGIN (no LOGINDISABLED): a client "
            "that skips STARTTLS would send the password in cleartext; prefer security: tls",
        ),
        Found(5, "MC820", "info", "IMAP over STARTTLS (TLSv1.3); login offered: LOGIN, PLAIN, LOGIN command"),
    ]
    assert run.code == 0


def test_imap_with_logindisabled_before_tls(probe: Any, certs: Certificates) -> None:
    with ScriptedServer(imap_logindisabled(server_context(certs.good))) as imap:
        run = probe(incoming=server("imap", imap.port, "starttls", certs))
    assert run.findings == [
        Found(5, "MC820", "info", "IMAP over STARTTLS (TLSv1.3); login offered: PLAIN, LOGIN command")
    ]


def test_pop3_offering_user_before_stls(probe: Any, dovecot: Dovecot, certs: Certificates) -> None:
    run = probe(incoming=server("pop3", dovecot.ports.pop3, "starttls", certs))
    assert run.findings[0] == Found(
        5,
        "MC814",
        "warning",
        "before STLS the server accepts USER/PASS, AUTH PLAIN, AUTH LOGIN: a client that skips STLS would send the "
        "password in cleartext; prefer security: tls",
    )


def test_only_weak_authentication_offered(probe: Any, smtp_cram_only: SmtpServer, certs: Certificates) -> None:
    run = probe(outgoing=server("smtp", smtp_cram_only.port, "tls", certs))
    assert run.findings == [
        Found(
            5,
            "MC821",
            "warning",
            "for password login the server offers only CRAM-MD5; ask for PLAIN over TLS or SCRAM-SHA-256, "
            "or declare mechanisms: to accept it",
        ),
        Found(5, "MC820", "info", "SMTP over implicit TLS (TLSv1.3); login offered: CRAM-MD5"),
    ]


def test_declared_mechanism_not_offered(probe: Any, smtp_starttls: SmtpServer, certs: Certificates) -> None:
    run = probe(outgoing=server("smtp", smtp_starttls.port, "starttls", certs, mechanisms=["scram-sha-256"]))
    assert run.findings[0] == Found(
        5,
        "MC813",
        "error",
        "none of the declared mechanisms (SCRAM-SHA-256) is offered; the server offers LOGIN, PLAIN",
    )
    assert run.code == 1


def test_oauth2_not_offered(probe: Any, smtp_starttls: SmtpServer, certs: Certificates) -> None:
    run = probe(outgoing=server("smtp", smtp_starttls.port, "starttls", certs, auth="oauth2", token_command="echo tok"))
    assert run.findings[0] == Found(
        5, "MC813", "error", "auth oauth2 needs OAUTHBEARER or XOAUTH2; the server offers LOGIN, PLAIN"
    )


# --- --login ---------------------------------------------------------------------------------


def assert_secret_hidden(run: Any, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in run.out
        assert secret not in run.err


@pytest.mark.parametrize(
    "case",
    [("imap", "imap", "starttls"), ("imap", "imaps", "tls"), ("pop3", "pop3", "starttls"), ("pop3", "pop3s", "tls")],
)
def test_login_to_dovecot(
    probe: Any, dovecot: Dovecot, certs: Certificates, tmp_path: Path, case: tuple[str, str, str]
) -> None:
    protocol, port_name, security = case
    command = secret_file(tmp_path, CAROL.password)
    port = getattr(dovecot.ports, port_name)
    run = probe(
        incoming=server(protocol, port, security, certs, username=CAROL.name, password_command=command),
        args=("--login",),
    )
    assert run.findings[-1] == Found(5, "MC819", "info", "carol@example.org logged in with PLAIN")
    assert run.code == 0
    assert_secret_hidden(run, CAROL.password)


def test_imap_cram_md5_only(probe: Any, dovecot_cram: Dovecot, certs: Certificates, tmp_path: Path) -> None:
    """Dovecot without PLAIN also disables the LOGIN command (LOGINDISABLED), so CRAM-MD5 is all there is."""
    command = secret_file(tmp_path, CAROL.password)
    run = probe(
        incoming=server("imap", dovecot_cram.ports.imaps, "tls", certs, username=CAROL.name, password_command=command),
        args=("--login",),
    )
    assert run.findings == [
        Found(
            5,
            "MC821",
            "warning",
            "for password login the server offers only CRAM-MD5; ask for PLAIN over TLS or SCRAM-SHA-256, "
            "or declare mechanisms: to accept it",
        ),
        Found(5, "MC820", "info", "IMAP over implicit TLS (TLSv1.3); login offered: CRAM-MD5"),
        Found(5, "MC819", "info", "carol@example.org logged in with CRAM-MD5"),
    ]
    assert_secret_hidden(run, CAROL.password)


async def _command_login(dialogue: Dialogue, port: int, certs: Certificates, password: str) -> LoginReply:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    conn = Connection(reader, writer, Progress())
    try:
        await conn.start_tls(ssl.create_default_context(cafile=str(certs.ca)), "127.0.0.1")
        await dialogue.greet(conn)
        await dialogue.capabilities(conn)
        return await dialogue.login_command(conn, Credentials(CAROL.name, password, "127.0.0.1", port))
    finally:
        conn.abort()


@pytest.mark.parametrize(("dialogue", "port_name"), [(Imap, "imaps"), (Pop3, "pop3s")])
def test_protocol_login_commands_quote_a_nasty_password(
    dovecot: Dovecot, certs: Certificates, dialogue: type[Dialogue], port_name: str
) -> None:
    """IMAP LOGIN (quoted strings) and POP3 USER/PASS, with quotes, backslash, $ and # in the password."""
    port = getattr(dovecot.ports, port_name)
    assert asyncio.run(_command_login(dialogue(), port, certs, CAROL.password)).accepted
    refused = asyncio.run(_command_login(dialogue(), port, certs, CAROL.password + "x"))
    assert not refused.accepted
    assert CAROL.password not in refused.text.text


def test_pop3_login_sees_a_delivered_message(dovecot: Dovecot, certs: Certificates) -> None:
    """The fixture's delivery helper (for end-to-end tests) puts mail where Dovecot serves it."""
    dovecot.deliver(ALICE, b"Subject: hello\r\n\r\nhi\r\n")

    async def stat() -> str:
        reader, writer = await asyncio.open_connection("127.0.0.1", dovecot.ports.pop3s)
        conn = Connection(reader, writer, Progress())
        try:
            await conn.start_tls(ssl.create_default_context(cafile=str(certs.ca)), "127.0.0.1")
            await Pop3().greet(conn)
            caps = await Pop3().capabilities(conn)
            creds = Credentials(ALICE.name, ALICE.password, "127.0.0.1", 0)
            assert (await Pop3().authenticate(conn, "PLAIN", creds, caps)).accepted
            await conn.send("STAT")
            return await conn.readline()
        finally:
            conn.abort()

    count = len(dovecot.inbox(ALICE))
    assert asyncio.run(stat()).startswith(f"+OK {count} ")


@pytest.mark.parametrize("case", [([], "SCRAM-SHA-256"), (["scram-sha-1"], "SCRAM-SHA-1")])
def test_login_with_scram(
    probe: Any, dovecot_scram: Dovecot, certs: Certificates, tmp_path: Path, case: tuple[list[str], str]
) -> None:
    declared, used = case
    command = secret_file(tmp_path, CAROL.password)
    incoming = server("imap", dovecot_scram.ports.imaps, "tls", certs, username=CAROL.name, password_command=command)
    run = probe(incoming={**incoming, "mechanisms": declared} if declared else incoming, args=("--login",))
    assert run.findings[-1] == Found(5, "MC819", "info", f"carol@example.org logged in with {used}")
    assert_secret_hidden(run, CAROL.password)


def test_wrong_password_with_scram(probe: Any, dovecot_scram: Dovecot, certs: Certificates, tmp_path: Path) -> None:
    command = secret_file(tmp_path, "not-the-password")
    run = probe(
        incoming=server("pop3", dovecot_scram.ports.pop3s, "tls", certs, password_command=command), args=("--login",)
    )
    assert run.findings[-1] == Found(
        5,
        "MC815",
        "error",
        'the server refused the credentials of alice@example.org (SCRAM-SHA-256): "-ERR [AUTH] Authentication failed."',
    )


def scram_server(count: int, received: list[bytes]) -> Any:
    """An IMAP server offering SCRAM-SHA-256 that asks for ``count`` PBKDF2 iterations, then keeps in
    ``received`` what the client sent after the challenge (the proof, if it was sent), until the end."""

    def script(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(b"* OK ready\r\n")
        reader = conn.makefile("rb")
        tag = reader.readline().split()[0]
        conn.sendall(b"* CAPABILITY IMAP4rev1 SASL-IR AUTH=SCRAM-SHA-256\r\n" + tag + b" OK done\r\n")
        nonce = base64.b64decode(reader.readline().split()[3]).decode().split("r=", 1)[1]
        challenge = f"r={nonce}server,s={base64.b64encode(b'salt' * 4).decode()},i={count}"
        conn.sendall(b"+ " + base64.b64encode(challenge.encode()) + b"\r\n")
        while line := reader.readline():
            received.append(line)

    return script


def test_scram_server_asking_too_many_iterations_is_sent_no_proof(probe: Any, tmp_path: Path) -> None:
    """RFC 5802 section 9: a hostile server can ask for a count that makes the client hash for minutes. Over
    the bound it is refused before any hashing: the server gets no proof, the finding names its count."""
    received: list[bytes] = []
    command = secret_file(tmp_path, ALICE.password)
    with ScriptedServer(scram_server(100_000_000, received)) as imap:
        run = probe(
            incoming=server("imap", imap.port, "none", None, password_command=command),
            args=("--login", "--allow-cleartext"),
        )
    assert run.findings[-1] == Found(
        5,
        "MC815",
        "error",
        "SCRAM-SHA-256: the server asks for 100000000 iterations, more than the 1,000,000 probe computes: "
        "refused before hashing, no proof sent",
    )
    assert received == []


def test_scram_hashing_runs_off_the_event_loop_and_within_the_deadline(
    probe: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The PBKDF2 hashing of a SCRAM login is the client's own work, but the server chooses how much: it runs
    in a thread, so the event loop serves the other servers meanwhile and the session's deadline ends the wait.
    Here the hashing is held until the probe has returned: in the event loop it would hold the probe itself
    (until the hold's own safety limit, 30 s), and the run could not end first."""
    release = threading.Event()
    finished_first = threading.Event()  # the hashing ended before the probe did: it held the run
    real_hi = scramp.core.hi

    def held_hi(*args: Any) -> Any:
        if not release.wait(30):  # only so that a broken build does not hang forever
            finished_first.set()
        return real_hi(*args)

    monkeypatch.setattr(scramp.core, "hi", held_hi)
    received: list[bytes] = []
    command = secret_file(tmp_path, ALICE.password)
    try:
        with ScriptedServer(scram_server(4096, received)) as imap:
            run = probe(
                incoming=server("imap", imap.port, "none", None, password_command=command, timeout=1),
                args=("--login", "--allow-cleartext"),
            )
        assert not finished_first.is_set()
    finally:
        release.set()
    assert run.findings[-1] == Found(
        5, "MC815", "error", "computing the SCRAM-SHA-256 answer did not finish within 1 s"
    )
    assert received == []


WRONG_SIGNATURE = "SCRAM-SHA-256: the server's SCRAM signature is wrong: it does not know the password"
NO_SIGNATURE = ("SCRAM-SHA-256: the server accepted the login without its SCRAM signature: it did not prove that it "
                "knows the password")  # fmt: skip


@pytest.mark.parametrize(
    ("ending", "message"),
    [("wrong-signature", WRONG_SIGNATURE), ("ok-before-the-challenge", NO_SIGNATURE),
     ("ok-after-the-proof", NO_SIGNATURE)],
)  # fmt: skip
def test_scram_server_that_does_not_prove_it_knows_the_password(
    probe: Any, tmp_path: Path, ending: str, message: str
) -> None:
    """A server that accepts any proof is caught by its own signature (RFC 5802 section 9): a wrong one, or none
    at all before it says OK."""

    def impostor(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(b"* OK ready\r\n")
        reader = conn.makefile("rb")
        tag = reader.readline().split()[0]
        conn.sendall(b"* CAPABILITY IMAP4rev1 SASL-IR AUTH=SCRAM-SHA-256\r\n" + tag + b" OK done\r\n")
        words = reader.readline().split()
        if ending != "ok-before-the-challenge":
            nonce = base64.b64decode(words[3]).decode().split("r=", 1)[1]
            challenge = f"r={nonce}server,s={base64.b64encode(b'salt' * 4).decode()},i=4096"
            conn.sendall(b"+ " + base64.b64encode(challenge.encode()) + b"\r\n")
            reader.readline()
        if ending == "wrong-signature":
            conn.sendall(b"+ " + base64.b64encode(b"v=" + base64.b64encode(b"x" * 32)) + b"\r\n")
        else:
            conn.sendall(words[0] + b" OK welcome\r\n")
        stop.wait()

    command = secret_file(tmp_path, ALICE.password)
    with ScriptedServer(impostor) as imap:
        run = probe(
            incoming=server("imap", imap.port, "none", None, password_command=command),
            args=("--login", "--allow-cleartext"),
        )
    assert run.findings[-1] == Found(5, "MC815", "error", message)
    assert run.code == 1


def test_login_with_sasl_login(probe: Any, dovecot: Dovecot, certs: Certificates, tmp_path: Path) -> None:
    command = secret_file(tmp_path, ALICE.password)
    run = probe(
        incoming=server("imap", dovecot.ports.imaps, "tls", certs, password_command=command, mechanisms=["login"]),
        args=("--login",),
    )
    assert run.findings[-1] == Found(5, "MC819", "info", "alice@example.org logged in with LOGIN")


@pytest.mark.parametrize("fixture", ["smtp_starttls", "smtp_tls"])
def test_login_to_smtp(
    probe: Any, request: pytest.FixtureRequest, certs: Certificates, tmp_path: Path, fixture: str
) -> None:
    smtp: SmtpServer = request.getfixturevalue(fixture)
    command = secret_file(tmp_path, CAROL.password)
    security = "starttls" if fixture == "smtp_starttls" else "tls"
    run = probe(
        outgoing=server("smtp", smtp.port, security, certs, username=CAROL.name, password_command=command),
        args=("--login",),
    )
    assert run.findings[-1] == Found(5, "MC819", "info", "carol@example.org logged in with PLAIN")
    assert_secret_hidden(run, CAROL.password)


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_login_to_dovecot_submission(
    probe: Any, dovecot_submission: Dovecot, certs: Certificates, tmp_path: Path, security: str
) -> None:
    command = secret_file(tmp_path, CAROL.password)
    ports = dovecot_submission.ports
    port = ports.submission if security == "starttls" else ports.submissions
    run = probe(
        outgoing=server("smtp", port, security, certs, username=CAROL.name, password_command=command),
        args=("--login",),
    )
    before = ["MC814"] if security == "starttls" else []  # on loopback Dovecot counts as secured
    assert [f.rule for f in run.findings] == [*before, "MC820", "MC819"]
    assert run.findings[-1] == Found(5, "MC819", "info", "carol@example.org logged in with PLAIN")
    assert_secret_hidden(run, CAROL.password)


def test_login_with_cram_md5(probe: Any, smtp_cram_only: SmtpServer, certs: Certificates, tmp_path: Path) -> None:
    command = secret_file(tmp_path, ALICE.password)
    run = probe(
        outgoing=server("smtp", smtp_cram_only.port, "tls", certs, password_command=command, mechanisms=["cram-md5"]),
        args=("--login",),
    )
    assert run.findings == [
        Found(5, "MC820", "info", "SMTP over implicit TLS (TLSv1.3); login offered: CRAM-MD5"),
        Found(5, "MC819", "info", "alice@example.org logged in with CRAM-MD5"),
    ]


@pytest.mark.parametrize("mechanism", ["XOAUTH2", "OAUTHBEARER"])
def test_login_with_an_oauth2_token(
    probe: Any, smtp_tls: SmtpServer, certs: Certificates, tmp_path: Path, mechanism: str
) -> None:
    command = secret_file(tmp_path, "tok-alice", "token")
    run = probe(
        outgoing=server(
            "smtp", smtp_tls.port, "tls", certs, auth="oauth2", token_command=command, mechanisms=[mechanism.lower()]
        ),
        args=("--login",),
    )
    assert run.findings[-1] == Found(5, "MC819", "info", f"alice@example.org logged in with {mechanism}")
    assert_secret_hidden(run, "tok-alice")


def test_oauth2_prefers_oauthbearer(probe: Any, smtp_tls: SmtpServer, certs: Certificates, tmp_path: Path) -> None:
    command = secret_file(tmp_path, "tok-alice", "token")
    run = probe(
        outgoing=server("smtp", smtp_tls.port, "tls", certs, auth="oauth2", token_command=command),
        args=("--login",),
    )
    assert run.findings[-1] == Found(5, "MC819", "info", "alice@example.org logged in with OAUTHBEARER")


def test_wrong_token(probe: Any, smtp_tls: SmtpServer, certs: Certificates, tmp_path: Path) -> None:
    command = secret_file(tmp_path, "tok-wrong", "token")
    run = probe(
        outgoing=server(
            "smtp", smtp_tls.port, "tls", certs, auth="oauth2", token_command=command, mechanisms=["xoauth2"]
        ),
        args=("--login",),
    )
    assert run.findings[-1] == Found(
        5,
        "MC815",
        "error",
        "the server refused the credentials of alice@example.org (XOAUTH2): "
        '"535 5.7.8 Authentication credentials invalid"',
    )
    assert_secret_hidden(run, "tok-wrong")


def test_wrong_password(probe: Any, dovecot: Dovecot, certs: Certificates, tmp_path: Path) -> None:
    command = secret_file(tmp_path, "not-the-password")
    run = probe(incoming=server("imap", dovecot.ports.imaps, "tls", certs, password_command=command), args=("--login",))
    assert run.findings[-1] == Found(
        5,
        "MC815",
        "error",
        "the server refused the credentials of alice@example.org (PLAIN): "
        '"NO [AUTHENTICATIONFAILED] Authentication failed."',
    )
    assert run.code == 1
    assert_secret_hidden(run, "not-the-password")


def test_a_wrong_password_does_not_slow_the_next_login(
    probe: Any, dovecot: Dovecot, certs: Certificates, tmp_path: Path
) -> None:
    """Dovecot's anvil delays every login from an IP after a wrong password from it (4 s here, more after more
    failures): the next test to log in to the shared server from 127.0.0.1 missed its 2 s deadline, or not, by
    the test order. The suite's Dovecots run without that penalty (tests/servers.py); their failure delay is 0."""
    wrong = server("imap", dovecot.ports.imaps, "tls", certs, password_command=secret_file(tmp_path, "wrong", "a"))
    right = server("imap", dovecot.ports.imaps, "tls", certs, password_command=secret_file(tmp_path, ALICE.password))
    assert probe(incoming=wrong, args=("--login",)).findings[-1].rule == "MC815"
    run = probe(incoming=right, args=("--login",))
    assert run.findings[-1] == Found(5, "MC819", "info", "alice@example.org logged in with PLAIN")
    assert run.code == 0


def test_wrong_password_smtp(probe: Any, smtp_starttls: SmtpServer, certs: Certificates, tmp_path: Path) -> None:
    command = secret_file(tmp_path, "not-the-password")
    run = probe(
        outgoing=server("smtp", smtp_starttls.port, "starttls", certs, password_command=command), args=("--login",)
    )
    assert run.findings[-1] == Found(
        5,
        "MC815",
        "error",
        "the server refused the credentials of alice@example.org (PLAIN): "
        '"535 5.7.8 Authentication credentials invalid"',
    )


def test_credentials_refused_over_cleartext(probe: Any, dovecot_no_tls: Dovecot, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    command = f"touch {marker}; cat {secret_file(tmp_path, ALICE.password).split()[1]}"
    run = probe(
        incoming=server("imap", dovecot_no_tls.ports.imap, "none", None, password_command=command), args=("--login",)
    )
    assert run.findings == [
        Found(5, "MC820", "info", "IMAP over no TLS; login offered: LOGIN, PLAIN, LOGIN command"),
        Found(
            5,
            "MC816",
            "error",
            "--login would send the password of alice@example.org without TLS; nothing was sent "
            "(--allow-cleartext allows it, for a test server only)",
        ),
    ]
    assert run.code == 1
    assert not marker.exists()  # the password command did not even run


def test_cleartext_login_when_allowed(probe: Any, dovecot_no_tls: Dovecot, tmp_path: Path) -> None:
    command = secret_file(tmp_path, ALICE.password)
    run = probe(
        incoming=server("pop3", dovecot_no_tls.ports.pop3, "none", None, password_command=command),
        args=("--login", "--allow-cleartext"),
    )
    assert run.findings[-1] == Found(5, "MC819", "info", "alice@example.org logged in with PLAIN")
    assert_secret_hidden(run, ALICE.password)


def test_no_login_to_an_untrusted_server(probe: Any, dovecot_self_signed: Dovecot, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    run = probe(
        incoming=server("imap", dovecot_self_signed.ports.imaps, "tls", None, password_command=f"touch {marker}"),
        args=("--login",),
    )
    assert [f.rule for f in run.findings] == ["MC807", "MC820", "MC816"]
    assert run.findings[-1].message == (
        "the password of alice@example.org was not sent: the connection failed the TLS checks above"
    )
    assert not marker.exists()


def test_failing_password_command_never_shows_its_output(probe: Any, dovecot: Dovecot, certs: Certificates) -> None:
    command = "echo alice-secret-1; echo alice-secret-1 >&2; exit 3"
    run = probe(incoming=server("imap", dovecot.ports.imaps, "tls", certs, password_command=command), args=("--login",))
    assert run.findings[-1] == Found(
        5, "MC817", "error", "password_command exited with status 3 (its output is not shown)"
    )
    assert_secret_hidden(run, "alice-secret-1")


def test_password_command_printing_nothing(probe: Any, dovecot: Dovecot, certs: Certificates) -> None:
    run = probe(incoming=server("imap", dovecot.ports.imaps, "tls", certs, password_command="true"), args=("--login",))
    assert run.findings[-1] == Found(5, "MC817", "error", "password_command printed nothing on its first line")


def test_password_command_that_hangs_costs_the_timeout(probe: Any, dovecot: Dovecot, certs: Certificates) -> None:
    run = probe(
        incoming=server("imap", dovecot.ports.imaps, "tls", certs, password_command="sleep 30"), args=("--login",)
    )
    assert run.findings[-1] == Found(5, "MC817", "error", "running password_command did not finish within 2 s")


def test_login_needs_a_command(probe: Any, dovecot: Dovecot, certs: Certificates) -> None:
    run = probe(incoming=server("imap", dovecot.ports.imaps, "tls", certs), args=("--login",))
    assert run.findings[-1] == Found(5, "MC816", "error", "--login needs password_command to read the password")


#: --login and an auth it cannot log in with: what MC816 (info) says
CANNOT_LOG_IN = {
    # ntlm reads password_command (model.CREDENTIAL_COMMAND, as lint and the targets), but probe speaks no NTLM
    "ntlm": "--login cannot log in with auth ntlm: probe does not speak NTLM, so it does not run password_command",
    "gssapi": "--login cannot log in with auth gssapi",  # a Kerberos ticket: the map names no command
}


@pytest.mark.parametrize("auth", sorted(CANNOT_LOG_IN))
def test_login_with_an_auth_probe_does_not_speak(
    probe: Any, dovecot: Dovecot, certs: Certificates, tmp_path: Path, auth: str
) -> None:
    marker = tmp_path / "ran"
    run = probe(
        incoming=server("imap", dovecot.ports.imaps, "tls", certs, auth=auth, password_command=f"touch {marker}"),
        args=("--login",),
    )
    assert run.findings[-1] == Found(5, "MC816", "info", CANNOT_LOG_IN[auth])
    assert not marker.exists()


def test_ntlm_with_declared_plain_logs_in_with_plain(
    probe: Any, dovecot: Dovecot, certs: Certificates, tmp_path: Path
) -> None:
    """PLAIN carries the password auth ntlm gives (MC304 agrees, lint is clean), and msmtp, mbsync and fetchmail log
    in with a declared mechanism: probe tries what they do. Without mechanisms it tries NTLM alone (above)."""
    command = secret_file(tmp_path, ALICE.password)
    run = probe(
        incoming=server(
            "imap", dovecot.ports.imaps, "tls", certs, auth="ntlm", password_command=command, mechanisms=["plain"]
        ),
        args=("--login",),
    )
    assert run.findings[-1] == Found(5, "MC819", "info", "alice@example.org logged in with PLAIN")
    assert run.code == 0


#: What each auth logs in with when the file declares no mechanisms (the command: IMAP LOGIN, POP3 USER/PASS)
OWN = {
    Auth.PASSWORD: {"SCRAM-SHA-256", "PLAIN", "LOGIN", "SCRAM-SHA-1", "CRAM-MD5", "command"},
    Auth.OAUTH2: {"OAUTHBEARER", "XOAUTH2"},
    Auth.NTLM: {"NTLM"},
}


@pytest.mark.parametrize("auth", list(Auth), ids=lambda auth: auth.value)
def test_login_never_uses_a_mechanism_of_another_auth(monkeypatch: pytest.MonkeyPatch, auth: Auth) -> None:
    """The choice once branched on oauth2 or not: any other auth reached the password mechanisms, so NTLM, had
    probe come to speak it, would have logged in with PLAIN, and gssapi, client-cert or none with a password.
    Every auth x every mechanism probe speaks (NTLM added as if it did), offered alone, with and without the
    protocol's login command, declared or not: the choice is one that carries the credential the auth gives,
    by MC304's own notion (the login command sends a password, as LOGIN); a declared one is honoured when it
    agrees; undeclared, only the auth's own."""
    monkeypatch.setitem(MECHANISMS, "NTLM", MECHANISMS["PLAIN"])
    for mechanism in sorted(MECHANISMS):
        for login_command in (False, True):
            caps = Capabilities(starttls=False, mechanisms=frozenset({mechanism}), login_command=login_command)
            for declared in ((), (mechanism.lower(),)):
                chosen = choose_method(
                    ModelServer(Protocol.IMAP, "127.0.0.1", 993, Security.TLS, auth, "a", mechanisms=declared), caps
                )
                where = (mechanism, login_command, declared, chosen)
                assert chosen is None or agrees(auth, "login" if chosen == "command" else chosen.lower()), where
                if declared:
                    assert chosen == (mechanism if agrees(auth, mechanism.lower()) else None), where
                else:
                    assert chosen is None or chosen in OWN.get(auth, set()), where
                    assert (chosen is not None) == bool(
                        {mechanism, *(["command"] * login_command)} & OWN.get(auth, set())
                    )


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-256", "SCRAM-SHA-1"])
def test_scram_prepares_the_password_with_saslprep(probe: Any, tmp_path: Path, mechanism: str) -> None:
    """U+00AD (soft hyphen) SASLprep maps to nothing, U+2168 (Roman numeral nine) to "IX" (RFC 4013).

    The server is the scramp library's SCRAM server, which prepares the password as Dovecot and
    Cyrus do; a client without SASLprep got invalid-proof here.
    """
    password = "pass\u00adword\u2168"
    user = User("dana@example.org", password)
    command = secret_file(tmp_path, password)
    with ScriptedServer(scram_imap([user], mechanism)) as imap:
        run = probe(
            incoming=server("imap", imap.port, "none", None, username=user.name, password_command=command),
            args=("--login", "--allow-cleartext"),
        )
    assert run.findings[-1] == Found(5, "MC819", "info", f"dana@example.org logged in with {mechanism}")
    assert run.code == 0
    assert_secret_hidden(run, password)


def test_scram_refused_by_the_scramp_server(probe: Any, tmp_path: Path) -> None:
    command = secret_file(tmp_path, "pass\u00adword")
    with ScriptedServer(scram_imap([User("dana@example.org", "password\u2168")])) as imap:
        run = probe(
            incoming=server("imap", imap.port, "none", None, username="dana@example.org", password_command=command),
            args=("--login", "--allow-cleartext"),
        )
    assert run.findings[-1] == Found(
        5,
        "MC815",
        "error",
        "the server refused the credentials of dana@example.org (SCRAM-SHA-256): "
        '"NO [AUTHENTICATIONFAILED] The client keys don\'t match.: invalid-proof"',
    )


def test_scram_plus_is_never_chosen(probe: Any, tmp_path: Path) -> None:
    """Channel binding is not supported: with -PLUS offered too, plain SCRAM-SHA-256 is used."""
    offered = ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"]
    command = secret_file(tmp_path, ALICE.password)
    with ScriptedServer(scram_imap([ALICE], offered=offered)) as imap:
        run = probe(
            incoming=server("imap", imap.port, "none", None, password_command=command),
            args=("--login", "--allow-cleartext"),
        )
    assert run.findings[-1] == Found(5, "MC819", "info", "alice@example.org logged in with SCRAM-SHA-256")


def test_scram_plus_alone_is_no_mechanism_probe_can_use(probe: Any, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    with ScriptedServer(scram_imap([ALICE], offered=["SCRAM-SHA-256-PLUS"])) as imap:
        run = probe(
            incoming=server("imap", imap.port, "none", None, password_command=f"touch {marker}"),
            args=("--login", "--allow-cleartext"),
        )
    assert run.findings[-1] == Found(
        5,
        "MC816",
        "error",
        "no mechanism probe can log in with is offered for auth password (the server offers SCRAM-SHA-256-PLUS)",
    )
    assert not marker.exists()


def _offers_empty_mechanisms(protocol: str) -> Any:
    """A scripted server whose capabilities name an empty mechanism: IMAP ``AUTH=``, SMTP ``AUTH=`` and an
    ``AUTH`` line with trailing spaces (Dovecot and aiosmtpd never send these, so a script does)."""

    def imap(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(b"* OK ready\r\n")
        for raw in conn.makefile("rb"):
            tag, _, command = raw.decode().strip().partition(" ")
            if command.upper() == "CAPABILITY":
                conn.sendall(f"* CAPABILITY IMAP4rev1 AUTH= AUTH=PLAIN\r\n{tag} OK done\r\n".encode())
            else:
                conn.sendall(f"* BYE\r\n{tag} OK bye\r\n".encode())
                return

    def smtp(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(b"220 ready\r\n")
        for raw in conn.makefile("rb"):
            if raw.upper().startswith(b"EHLO"):
                conn.sendall(b"250-localhost\r\n250-AUTH=\r\n250-AUTH   \r\n250 AUTH LOGIN  \r\n")
            else:
                conn.sendall(b"221 bye\r\n")
                return

    return imap if protocol == "imap" else smtp


@pytest.mark.parametrize(
    ("protocol", "summary"),
    [
        ("imap", "IMAP over no TLS; login offered: PLAIN, LOGIN command"),
        ("smtp", "SMTP over no TLS; login offered: LOGIN"),
    ],
)
def test_an_empty_mechanism_name_is_not_offered(probe: Any, protocol: str, summary: str) -> None:
    with ScriptedServer(_offers_empty_mechanisms(protocol)) as server:
        declared = {"protocol": protocol, "host": "127.0.0.1", "port": server.port, "security": "none", "auth": "none"}
        run = probe(**{"incoming" if protocol == "imap" else "outgoing": {**declared, "timeout": 2}})
    assert run.findings == [Found(5, "MC820", "info", summary)]
    assert run.code == 0


def _pop3_without_capa(context: ssl.SSLContext, received: list[bytes]) -> Any:
    """An RFC 1939 POP3 server over implicit TLS: -ERR to CAPA (RFC 2449), USER and PASS accepted."""

    def script(conn: socket.socket, stop: threading.Event) -> None:
        with context.wrap_socket(conn, server_side=True) as tls:
            tls.sendall(b"+OK POP3 server ready\r\n")
            reader = tls.makefile("rb")
            while raw := reader.readline(8192):
                received.append(raw)
                verb = raw.split(b" ", 1)[0].strip().upper()
                tls.sendall(b"-ERR unknown command\r\n" if verb == b"CAPA" else b"+OK\r\n")
                if verb == b"QUIT":
                    return

    return script


def test_a_pop3_server_without_capa_is_taken_to_accept_user_and_pass(
    probe: Any, certs: Certificates, tmp_path: Path
) -> None:
    """CAPA is an extension: a server that refuses it was reported as offering no password login (MC813, an
    error) and --login refused it (MC816). It is an RFC 1939 server; USER/PASS is its login, as clients know."""
    received: list[bytes] = []
    with ScriptedServer(_pop3_without_capa(server_context(certs.good), received)) as pop3:
        run = probe(
            incoming=server("pop3", pop3.port, "tls", certs, password_command=secret_file(tmp_path, "s3cret!")),
            args=("--login",),
        )
    assert run.findings == [
        Found(
            5,
            "MC820",
            "info",
            "POP3 over implicit TLS (TLSv1.3); login offered: USER/PASS (assumed: the server does not answer CAPA)",
        ),
        Found(5, "MC819", "info", "alice@example.org logged in with USER/PASS"),
    ]
    assert run.code == 0
    assert received[:3] == [b"CAPA\r\n", b"USER alice@example.org\r\n", b"PASS s3cret!\r\n"]


def _says_almost_ok(protocol: str, context: ssl.SSLContext) -> Any:
    """A server over implicit TLS that answers the login with a status that only starts like success: IMAP
    ``OKAY``, POP3 ``+OKAY``, SMTP ``2350`` (the greeting and capabilities are well-formed)."""

    def script(conn: socket.socket, stop: threading.Event) -> None:
        with context.wrap_socket(conn, server_side=True) as tls:
            reader = tls.makefile("rb")
            tls.sendall({"imap": b"* OK ready\r\n", "pop3": b"+OK ready\r\n", "smtp": b"220 ready\r\n"}[protocol])
            while raw := reader.readline(8192):
                tag, _, rest = raw.decode().strip().partition(" ")
                verb = (rest if protocol == "imap" else raw.decode()).split(" ")[0].strip().upper()
                if verb in ("LOGOUT", "QUIT"):
                    return
                answers = {
                    ("imap", "CAPABILITY"): f"* CAPABILITY IMAP4rev1\r\n{tag} OK done\r\n",
                    ("imap", "LOGIN"): f"{tag} OKAY logged in\r\n",
                    ("pop3", "CAPA"): "+OK\r\nUSER\r\n.\r\n",
                    ("pop3", "USER"): "+OK\r\n",
                    ("pop3", "PASS"): "+OKAY logged in\r\n",
                    ("smtp", "EHLO"): "250-hi\r\n250 AUTH PLAIN\r\n",
                    ("smtp", "AUTH"): "2350 logged in\r\n" if len(raw.split()) > 2 else "334 \r\n",
                }
                tls.sendall(answers.get((protocol, verb), "2350 logged in\r\n").encode())

    return script


@pytest.mark.parametrize(
    ("protocol", "finding"),
    [
        ("imap", Found(5, "MC815", "error", "the server refused the credentials of alice@example.org (LOGIN command): "
                                            '"OKAY logged in"')),
        ("pop3", Found(5, "MC815", "error", "the server refused the credentials of alice@example.org (USER/PASS): "
                                            '"+OKAY logged in"')),
        ("smtp", Found(5, "MC818", "error", 'expected an SMTP reply, got "2350 logged in"')),
    ],
)  # fmt: skip
def test_a_status_that_only_starts_like_success_is_no_login(
    probe: Any, certs: Certificates, tmp_path: Path, protocol: str, finding: Found
) -> None:
    """A status is a word (RFC 9051 resp-cond-state, RFC 1939, RFC 5321 s4.2): ``OKAY``, ``+OKAY`` and ``2350``
    were read as OK, +OK and 235, and probe reported MC819 "logged in" for a login the server never accepted."""
    with ScriptedServer(_says_almost_ok(protocol, server_context(certs.good))) as scripted:
        declared = server(protocol, scripted.port, "tls", certs, password_command=secret_file(tmp_path, "s3cret!"))
        run = probe(**{"outgoing" if protocol == "smtp" else "incoming": declared}, args=("--login",))
    assert run.findings[-1] == finding
    assert not any(f.rule == "MC819" for f in run.findings)
    assert run.code == 1


def _accepts_before_the_secret(protocol: str, mechanism: str, prompts: int) -> Any:
    """A server that offers ``mechanism`` and says the login succeeded after ``prompts`` challenges (the LOGIN
    mechanism's "Username:" is one), before the response that carries the password; it records every line."""
    capabilities = {
        "imap": b"* CAPABILITY IMAP4rev1 AUTH=" + mechanism.encode() + b"\r\n{tag} OK done\r\n",
        "pop3": b"+OK\r\nSASL " + mechanism.encode() + b"\r\n.\r\n",
        "smtp": b"250-hi\r\n250 AUTH " + mechanism.encode() + b"\r\n",
    }[protocol]
    greeting = {"imap": b"* OK ready\r\n", "pop3": b"+OK ready\r\n", "smtp": b"220 ready\r\n"}[protocol]
    success = {"imap": b"{tag} OK logged in\r\n", "pop3": b"+OK logged in\r\n", "smtp": b"235 2.7.0 accepted\r\n"}
    challenge = {"imap": b"+ ", "pop3": b"+ ", "smtp": b"334 "}[protocol] + base64.b64encode(b"Username:") + b"\r\n"
    received: list[bytes] = []

    def script(conn: socket.socket, stop: threading.Event) -> None:
        reader = conn.makefile("rb")

        def line() -> bytes:
            received.append(reader.readline())
            return received[-1].split(b" ")[0]

        conn.sendall(greeting)
        conn.sendall(capabilities.replace(b"{tag}", line()))
        tag = line()
        for _ in range(prompts):
            conn.sendall(challenge)
            line()
        conn.sendall(success[protocol].replace(b"{tag}", tag))
        stop.wait()

    script.received = received  # type: ignore[attr-defined]
    return script


@pytest.mark.parametrize(
    ("protocol", "mechanism", "prompts"),
    [("imap", "PLAIN", 0), ("imap", "LOGIN", 1), ("pop3", "LOGIN", 0), ("pop3", "CRAM-MD5", 0), ("smtp", "LOGIN", 1),
     ("smtp", "CRAM-MD5", 0)],
)  # fmt: skip
def test_a_login_accepted_before_the_password_was_sent_is_no_login(
    probe: Any, tmp_path: Path, protocol: str, mechanism: str, prompts: int
) -> None:
    """A server that says OK to AUTHENTICATE PLAIN (no SASL-IR: the response waits for its "+"), to AUTH CRAM-MD5,
    or to AUTH LOGIN before it asked for the password, checked no password: probe reported MC819 "logged in" for
    credentials the server never saw. As a SCRAM server must prove it knows the password, a server must see it."""
    script = _accepts_before_the_secret(protocol, mechanism, prompts)
    password = "s3cret-never-sent"
    with ScriptedServer(script) as scripted:
        declared = server(
            protocol, scripted.port, "none", None, password_command=secret_file(tmp_path, password),
            mechanisms=[mechanism.lower()],
        )  # fmt: skip
        run = probe(
            **{"outgoing" if protocol == "smtp" else "incoming": declared}, args=("--login", "--allow-cleartext")
        )
    assert run.findings[-1] == Found(
        5,
        "MC815",
        "error",
        f"{mechanism}: the server accepted the login before probe sent the credentials: it did not check them, so "
        "whether they work is unknown",
    )
    assert not any(f.rule == "MC819" for f in run.findings)
    assert run.code == 1
    sent = b"".join(script.received)
    assert password.encode() not in sent
    assert base64.b64encode(password.encode()) not in sent


@pytest.mark.parametrize(
    ("protocol", "ahead"),
    [("smtp", b"235 2.7.0 accepted\r\n"), ("pop3", b"+OK logged in\r\n"), ("imap", b"m2 OK logged in\r\n")],
)
def test_an_answer_sent_before_the_login_is_not_read_as_its_answer(
    probe: Any, certs: Certificates, tmp_path: Path, protocol: str, ahead: bytes
) -> None:
    """A server that sends its "accepted" along with its capabilities, before it has seen any login: read as the
    answer to the login probe sends next, it was MC819 "logged in" for credentials the server never read."""
    capabilities = {
        "imap": b"* CAPABILITY IMAP4rev1\r\n{tag} OK done\r\n",
        "pop3": b"+OK\r\nUSER\r\n.\r\n",
        "smtp": b"250-hi\r\n250 AUTH PLAIN\r\n",
    }[protocol]
    greeting = {"imap": b"* OK ready\r\n", "pop3": b"+OK ready\r\n", "smtp": b"220 ready\r\n"}[protocol]

    def script(conn: socket.socket, stop: threading.Event) -> None:
        tls = server_context(certs.good).wrap_socket(conn, server_side=True)
        tls.sendall(greeting)
        tag = tls.makefile("rb").readline().split(b" ")[0]
        tls.sendall(capabilities.replace(b"{tag}", tag) + ahead)
        stop.wait()

    label = {"smtp": "PLAIN", "pop3": "USER/PASS", "imap": "LOGIN command"}[protocol]
    with ScriptedServer(script) as scripted:
        declared = server(protocol, scripted.port, "tls", certs, password_command=secret_file(tmp_path, "s3cret"))
        run = probe(**{"outgoing" if protocol == "smtp" else "incoming": declared}, args=("--login",))
    assert run.findings[-1] == Found(
        5,
        "MC818",
        "error",
        f"the server sent {len(ahead)} bytes before probe sent the login ({label}); they would be taken for the "
        f"answer to the login ({label}), which the server had not yet seen, so it was not sent",
    )
    assert not any(f.rule == "MC819" for f in run.findings)
    assert run.code == 1


#: per protocol: the mechanism declared, what the server sends at once after the login command, what probe was
#: about to send when it found the rest of that already there
_BURSTS = {
    "smtp": ("login", b"334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n235 2.7.0 accepted\r\n", "the LOGIN response"),
    "imap": ("plain", b"+ \r\n{tag} OK logged in\r\n", "the PLAIN response"),
    "pop3": ("login", b"+OK\r\n+OK logged in\r\n", "the password (PASS)"),
}


@pytest.mark.parametrize("protocol", _BURSTS)
def test_an_answer_sent_before_the_credentials_is_not_read_as_their_answer(
    probe: Any, tmp_path: Path, protocol: str
) -> None:
    """The same within a login: a server that sends its challenges and its success at once, before it has read
    a response (or, to POP3 USER, its "+OK" for PASS too), would have its success read as the verdict on
    credentials it had not yet seen. The credentials are not sent."""
    mechanism, burst, sending = _BURSTS[protocol]
    capabilities = {
        "imap": b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n{tag} OK done\r\n",  # no SASL-IR: PLAIN waits for "+"
        "pop3": b"+OK\r\nUSER\r\n.\r\n",
        "smtp": b"250-hi\r\n250 AUTH LOGIN\r\n",
    }[protocol]
    greeting = {"imap": b"* OK ready\r\n", "pop3": b"+OK ready\r\n", "smtp": b"220 ready\r\n"}[protocol]
    received: list[bytes] = []

    def script(conn: socket.socket, stop: threading.Event) -> None:
        reader = conn.makefile("rb")
        conn.sendall(greeting)
        tag = reader.readline().split(b" ")[0]
        conn.sendall(capabilities.replace(b"{tag}", tag))
        tag = reader.readline().split(b" ")[0]
        conn.sendall(burst.replace(b"{tag}", tag))
        received.extend(reader)

    password = "s3cret-not-yet"
    with ScriptedServer(script) as scripted:
        declared = server(
            protocol, scripted.port, "none", None, password_command=secret_file(tmp_path, password),
            mechanisms=[mechanism],
        )  # fmt: skip
        run = probe(
            **{"outgoing" if protocol == "smtp" else "incoming": declared}, args=("--login", "--allow-cleartext")
        )
    ahead = len(burst.splitlines(keepends=True)[-1].replace(b"{tag}", b"m2"))  # the verdict, there before it
    assert run.findings[-1] == Found(
        5,
        "MC818",
        "error",
        f"the server sent {ahead} bytes before probe sent "
        f"{sending}; they would be taken for the answer to {sending}, which the server had not yet seen, so it was "
        "not sent",
    )
    assert not any(f.rule == "MC819" for f in run.findings)
    assert password.encode() not in b"".join(received)
    assert base64.b64encode(password.encode()) not in b"".join(received)


#: per protocol: the longest command line (CRLF included), and the server's lines: capabilities, "too long", the
#: empty challenge, success
_LIMITS = {
    "pop3": (255, b"+OK\r\nSASL XOAUTH2\r\n.\r\n", b"-ERR line too long\r\n", b"+ \r\n", b"+OK logged in\r\n"),
    "smtp": (512, b"250-hi\r\n250 AUTH XOAUTH2\r\n", b"500 5.5.2 line too long\r\n", b"334 \r\n", b"235 2.7.0 ok\r\n"),
}


@pytest.mark.parametrize("protocol", _LIMITS)
def test_an_initial_response_that_would_make_the_command_too_long_waits_for_the_challenge(
    probe: Any, tmp_path: Path, protocol: str
) -> None:
    """RFC 2449 caps a POP3 command at 255 octets, RFC 5321 an SMTP one at 512, and RFC 5034 and RFC 4954 (section
    4) say a client MUST NOT send an initial response that would make AUTH longer: an OAuth2 token is a thousand
    characters. The command went out whole, and a server that holds to the limit refused it (MC815, for a token
    that works). It is now sent after the empty challenge, as Dovecot's own SMTP client sends it."""
    limit, capabilities, too_long, challenge, success = _LIMITS[protocol]
    token = "ya29." + "t" * 1200
    lines: list[bytes] = []

    def script(conn: socket.socket, stop: threading.Event) -> None:
        reader = conn.makefile("rb")
        conn.sendall(b"+OK ready\r\n" if protocol == "pop3" else b"220 ready\r\n")
        reader.readline()
        conn.sendall(capabilities)
        for line in reader:
            lines.append(line)
            command = line.startswith(b"AUTH ")  # the limit is a command's: a SASL response may be longer
            conn.sendall((too_long if len(line) > limit else challenge) if command else success)

    with ScriptedServer(script) as scripted:
        declared = server(protocol, scripted.port, "none", None, auth="oauth2",
                          token_command=secret_file(tmp_path, token))  # fmt: skip
        run = probe(
            **{"outgoing" if protocol == "smtp" else "incoming": declared}, args=("--login", "--allow-cleartext")
        )
    assert run.findings[-1] == Found(5, "MC819", "info", "alice@example.org logged in with XOAUTH2")
    assert lines[0] == b"AUTH XOAUTH2\r\n"


def test_a_refusal_sent_with_the_oauth2_error_challenge_is_a_refusal(probe: Any, tmp_path: Path) -> None:
    """After a token it refuses, the server sends an error challenge for the client to acknowledge (RFC 7628), then
    its refusal. One that sends both at once has read the token already: the acknowledgement carries nothing, and
    the refusal is the answer to the token (MC815), not an answer sent too early (MC818)."""
    error = base64.b64encode(b'{"status":"401","schemes":"bearer"}')

    def script(conn: socket.socket, stop: threading.Event) -> None:
        reader = conn.makefile("rb")
        conn.sendall(b"220 ready\r\n")
        reader.readline()
        conn.sendall(b"250-hi\r\n250 AUTH XOAUTH2\r\n")
        reader.readline()
        conn.sendall(b"334 " + error + b"\r\n535 5.7.8 token refused\r\n")
        stop.wait()

    with ScriptedServer(script) as scripted:
        declared = server("smtp", scripted.port, "none", None, auth="oauth2",
                          token_command=secret_file(tmp_path, "expired-token"))  # fmt: skip
        run = probe(outgoing=declared, args=("--login", "--allow-cleartext"))
    assert run.findings[-1] == Found(
        5,
        "MC815",
        "error",
        'the server refused the credentials of alice@example.org (XOAUTH2): "535 5.7.8 token refused"',
    )


def test_an_imap_untagged_line_sent_before_the_login_answers_nothing(
    probe: Any, certs: Certificates, tmp_path: Path
) -> None:
    """IMAP lets a server send untagged data at any time (RFC 9051 section 7): an ``* OK [ALERT]`` that came with
    the capabilities or while the password command ran is no answer to the login, which the server then accepts.
    Counted with the bytes ahead, it was MC818 "the server sent 35 bytes before probe sent the login"."""
    received: list[bytes] = []

    def script(conn: socket.socket, stop: threading.Event) -> None:
        tls = server_context(certs.good).wrap_socket(conn, server_side=True)
        tls.sendall(b"* OK ready\r\n")
        lines = tls.makefile("rb")
        tag = lines.readline().split(b" ")[0]
        tls.sendall(b"* CAPABILITY IMAP4rev1\r\n" + tag + b" OK done\r\n* OK [ALERT] maintenance tonight\r\n")
        login = lines.readline()
        received.append(login)
        tls.sendall(login.split(b" ")[0] + b" OK logged in\r\n")
        stop.wait()

    with ScriptedServer(script) as scripted:
        declared = server("imap", scripted.port, "tls", certs, password_command=secret_file(tmp_path, "s3cret"))
        run = probe(incoming=declared, args=("--login",))
    assert run.findings == [
        Found(5, "MC820", "info", "IMAP over implicit TLS (TLSv1.3); login offered: LOGIN command"),
        Found(5, "MC819", "info", "alice@example.org logged in with LOGIN command"),
    ]
    assert received == [b'm2 LOGIN "alice@example.org" "s3cret"\r\n']


#: per protocol: the greeting, the capabilities (then a stray empty line), the answer to the login; what probe finds
_STRAY = {
    "imap": (b"* OK ready\r\n", b"* CAPABILITY IMAP4rev1\r\n{tag} OK done\r\n", b"{tag} OK logged in\r\n",
             Found(5, "MC819", "info", "alice@example.org logged in with LOGIN command")),
    "pop3": (b"+OK ready\r\n", b"+OK\r\nUSER\r\n.\r\n", b"+OK\r\n",
             Found(5, "MC818", "error", "the server sent 2 bytes before probe sent the login (USER/PASS); they would "
                   "be taken for the answer to the login (USER/PASS), which the server had not yet seen, so it was "
                   "not sent")),
    "smtp": (b"220 ready\r\n", b"250-hi\r\n250 AUTH PLAIN\r\n", b"235 2.7.0 ok\r\n",
             Found(5, "MC818", "error", "the server sent 2 bytes before probe sent the login (PLAIN); they would be "
                   "taken for the answer to the login (PLAIN), which the server had not yet seen, so it was not "
                   "sent")),
}  # fmt: skip


@pytest.mark.parametrize("protocol", _STRAY)
def test_a_stray_empty_line_after_the_capabilities(probe: Any, tmp_path: Path, protocol: str) -> None:
    """Some servers end their capabilities with CRLF CRLF. An IMAP client reads the empty line as no response and
    goes on (mutt 2.2.12 and curl log in past it), so probe does too: it was MC818 "the server sent 2 bytes before
    probe sent the login". POP3 and SMTP have no line that answers nothing: mutt 2.2.12 takes the empty line for
    the answer to POP3 USER ("Login failed") and msmtp 1.8.23 for the answer to MAIL ("the server sent an invalid
    reply"), so it stays MC818 there (docs/probe.md)."""
    greeting, capabilities, accepted, finding = _STRAY[protocol]

    def script(conn: socket.socket, stop: threading.Event) -> None:
        lines = conn.makefile("rb")
        conn.sendall(greeting)
        tag = lines.readline().split(b" ")[0]
        conn.sendall(capabilities.replace(b"{tag}", tag) + b"\r\n")
        tag = lines.readline().split(b" ")[0]
        conn.sendall(accepted.replace(b"{tag}", tag))
        stop.wait()

    with ScriptedServer(script) as scripted:
        declared = server(protocol, scripted.port, "none", None, password_command=secret_file(tmp_path, "s3cret"))
        run = probe(
            **{"outgoing" if protocol == "smtp" else "incoming": declared}, args=("--login", "--allow-cleartext")
        )
    assert run.findings[-1] == finding
    assert run.code == (0 if protocol == "imap" else 1)
