"""Servers that send what no server should: every case ends in one finding, never a traceback or a hang."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import json
import os
import random
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest

from mailconf.cli import main
from mailconf.probe.sasl import MECHANISMS, Credentials, SaslError, _Scram
from mailconf.probe.x509 import summarise, try_summarise, validity_from_der
from tests.probe.conftest import Found, secret_file, write_accounts
from tests.servers import Certificates, ScriptedServer, SmtpServer, self_signed, server_context


def sends(data: bytes) -> Callable[[socket.socket, threading.Event], None]:
    def script(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(data)
        stop.wait()

    return script


def closes(conn: socket.socket, stop: threading.Event) -> None:
    conn.close()


def endless_capabilities(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(b"* OK ready\r\n")
    conn.makefile("rb").readline()
    with __import__("contextlib").suppress(OSError):
        while not stop.is_set():
            conn.sendall(b"* CAPABILITY IMAP4rev1\r\n" * 100)


CASES: list[tuple[str, Any, str]] = [
    ("closes", closes, "the server closed the connection while waiting for the IMAP greeting"),
    (
        "overlong",
        sends(b"* OK " + b"A" * 20000),
        "the server sent a line longer than 16384 bytes while waiting for the IMAP greeting",
    ),
    ("bye", sends(b"* BYE go away\r\n"), 'the server refused the connection: "* BYE go away"'),
    ("okay", sends(b"* OKAY ready\r\n"), 'expected an IMAP greeting (* OK), got "* OKAY ready"'),  # a status is a word
    (
        "control characters",
        sends(b"HELLO\x1b[31m\x00\r\n"),
        'expected an IMAP greeting (* OK), got "HELLO\\x1b[31m\\x00"',
    ),
    ("half a line", sends(b"* OK"), "no answer within 2 s while waiting for the IMAP greeting"),
    (
        "endless lines",
        endless_capabilities,
        "the server sent more than 1000 lines while waiting for the CAPABILITY response",
    ),
]


@pytest.mark.parametrize(("name", "script", "message"), CASES, ids=[c[0] for c in CASES])
def test_hostile_imap_server(probe: Any, name: str, script: Any, message: str) -> None:
    with ScriptedServer(script) as server:
        run = probe(
            incoming={
                "protocol": "imap",
                "host": "127.0.0.1",
                "port": server.port,
                "security": "none",
                "auth": "none",
                "timeout": 2,
            }
        )
    rule = "MC803" if name == "half a line" else "MC818"
    severity = "error"
    assert run.findings == [Found(5, rule, severity, message)]
    assert run.code == 1


@pytest.mark.parametrize(
    "greeting", ["\u00b2\u00b2\u00b2 hi", "22\u00b2 hi"], ids=["superscript-codes", "one-superscript"]
)
def test_smtp_reply_code_of_non_ascii_digits(probe: Any, greeting: str) -> None:
    """str.isdigit() holds for "²", and int() refuses it: not a reply code, as "2x0" is not."""
    with ScriptedServer(sends(greeting.encode() + b"\r\n")) as server:
        run = probe(
            outgoing={"protocol": "smtp", "host": "127.0.0.1", "port": server.port, "security": "none", "auth": "none",
                      "timeout": 2}
        )  # fmt: skip
    assert run.findings == [Found(5, "MC818", "error", f'expected an SMTP reply, got "{greeting}"')]
    assert run.code == 1


def _probe_imap_offering(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], capabilities: bytes
) -> tuple[Path, int, str, str]:
    """``probe --format text`` of an IMAP server (no TLS) whose CAPABILITY answer lists ``capabilities``: the
    account file, the exit code, standard output and standard error."""

    def script(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(b"* OK ready\r\n")
        tag = conn.makefile("rb").readline().split()[0]
        conn.sendall(b"* CAPABILITY IMAP4rev1 " + capabilities + b"\r\n" + tag + b" OK done\r\n")
        stop.wait()

    with ScriptedServer(script) as server:
        path = write_accounts(
            tmp_path / "a.yaml",
            {"protocol": "imap", "host": "127.0.0.1", "port": server.port, "security": "none", "auth": "password",
             "timeout": 2},
        )  # fmt: skip
        capfd.readouterr()
        code = main(["probe", "--format", "text", str(path)])
    out, err = capfd.readouterr()
    return path, code, out, err


def test_summary_table_escapes_the_mechanisms_a_server_names(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """The authentication column is the server's text: an ANSI escape in it must not reach the terminal."""

    code, out, err = _probe_imap_offering(tmp_path, capfd, b"AUTH=\x1b[2J\x1b]0;OWNED\x07 AUTH=PLAIN")[1:]
    assert "\x1b" not in out and "\x07" not in out
    row = out.splitlines()[-1]
    assert row.endswith("  \\x1b[2J\\x1b]0;OWNED\\x07, PLAIN, LOGIN command")
    assert (code, err) == (0, "")


#: Characters a terminal or a viewer acts on that are not controls: a bidi override and isolate, zero-width characters
#: (in a mechanism name, which ends at white space), then a line separator and a no-break space; as messages show them
INVISIBLE = "\u202eA\u2066B\u200bC\ufeff"
SPACES = "\u2028D\u00a0E"
SHOWN = "\\u202eA\\u2066B\\u200bC\\ufeff"
SPACES_SHOWN = "\\u2028D\\u00a0E"


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_bidi_and_other_invisible_characters_of_a_server_are_escaped_in_every_format(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], fmt: str
) -> None:
    """A mechanism name and a certificate's subject are shown as the server wrote them, not quoted with repr: the
    controls were escaped, a bidi override (U+202E) went into the JSON and SARIF reports as it was, and reordered the
    line where they were shown (``jq -r``, a code-scanning page)."""
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"mail{INVISIBLE}{SPACES}.test")])
    pair = self_signed(tmp_path, "invisible", "127.0.0.1", now - dt.timedelta(days=1), now + dt.timedelta(days=99),
                       subject=subject)  # fmt: skip
    context = server_context(pair)

    def script(conn: socket.socket, stop: threading.Event) -> None:
        tls = context.wrap_socket(conn, server_side=True)
        tls.sendall(b"* OK ready\r\n")
        tag = tls.makefile("rb").readline().split()[0]
        tls.sendall(f"* CAPABILITY IMAP4rev1 AUTH={INVISIBLE}\r\n".encode() + tag + b" OK done\r\n")
        stop.wait()

    with ScriptedServer(script) as server:
        path = write_accounts(
            tmp_path / "a.yaml",
            {"protocol": "imap", "host": "127.0.0.1", "port": server.port, "security": "tls", "auth": "password",
             "timeout": 2, "tls": {"verify": False}},
        )  # fmt: skip
        capfd.readouterr()
        code = main(["probe", "--format", fmt, "--show-cert", str(path)])
    out, err = capfd.readouterr()
    report = json.loads(out)
    items = report if fmt == "json" else report["runs"][0]["results"]
    messages = [item["message"] if fmt == "json" else item["message"]["text"] for item in items]
    pin = ":".join(f"{b:02X}" for b in hashlib.sha256(pair.der).digest())
    expires = (now + dt.timedelta(days=99)).strftime("%Y-%m-%d %H:%M UTC")
    from tests.probe.test_certificates import OWN_ONLY

    assert messages == [
        f"certificate 1 of 1: tls.fingerprint: sha256:{pin}; subject CN=mail{SHOWN}{SPACES_SHOWN}.test; "
        f"issuer CN=mail{SHOWN}{SPACES_SHOWN}.test; "
        f"not after {expires}{OWN_ONLY}",
        f"IMAP over implicit TLS (TLSv1.3); login offered: {SHOWN}, LOGIN command",
    ]
    assert all(ch.isprintable() for ch in out.replace("\n", ""))
    assert (code, err) == (0, "")


def _probe_capabilities(probe: Any, capabilities: bytes) -> Any:
    """The probe of a cleartext IMAP server that greets, answers CAPABILITY with ``capabilities``, then waits."""

    def script(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(b"* OK ready\r\n")
        tag = conn.makefile("rb").readline().split()[0]
        conn.sendall(b"* CAPABILITY " + capabilities + b"\r\n" + tag + b" OK done\r\n")
        stop.wait()

    with ScriptedServer(script) as server:
        return probe(
            incoming={"protocol": "imap", "host": "127.0.0.1", "port": server.port, "security": "none",
                      "auth": "password", "timeout": 2}
        )  # fmt: skip


def test_a_thousand_mechanisms_are_named_twenty_and_counted(probe: Any) -> None:
    """A CAPABILITY list of a thousand mechanisms (one 100 characters long) is one short finding, not 8 KB."""
    offered = b" ".join([b"AUTH=" + b"A" * 100, *(b"AUTH=M%03d" % i for i in range(1000))])

    run = _probe_capabilities(probe, b"IMAP4rev1 " + offered)
    names = ["A" * 37 + "...", *(f"M{i:03}" for i in range(19)), "and 982 more"]
    assert run.findings == [Found(5, "MC820", "info", f"IMAP over no TLS; login offered: {', '.join(names)}")]
    assert run.code == 0


def test_a_mechanism_name_that_spells_an_escape_does_not_look_like_the_character(probe: Any) -> None:
    """A server names one mechanism with the characters ``\\U00100000`` and one with U+100000 (private use): both
    were shown ``\\U00100000`` (the last guard escapes the character, and left the backslash as it was), so a server
    could claim in plain text a character it never sent (a name is upper-cased: this escape has no letter).
    Each name is now quoted (errors.printable): the backslash is doubled."""

    run = _probe_capabilities(probe, "IMAP4rev1 AUTH=A\\U00100000 AUTH=B\U00100000".encode())
    message = "IMAP over no TLS; login offered: A\\\\U00100000, B\\U00100000, LOGIN command"
    assert run.findings == [Found(5, "MC820", "info", message)]
    assert run.code == 0


#: per protocol: the greeting, one line of mechanisms (%s: the names), the end of the answer
LISTS = {
    "imap": (b"* OK ready\r\n", b"* CAPABILITY IMAP4rev1 %s\r\n", b"m1 OK done\r\n"),
    "pop3": (b"+OK ready\r\n", b"SASL %s\r\n", b".\r\n"),
    "smtp": (b"220 ready\r\n", b"250-AUTH %s\r\n", b"250 OK\r\n"),
}


@pytest.mark.parametrize("protocol", list(LISTS))
def test_an_answer_of_many_long_lines_is_refused(probe: Any, protocol: str) -> None:
    """Six lines of 15 KB, each short of the line limit, in one answer: 90 KB of short mechanism names.

    Each line was accepted (up to 1000 of them, 16 MB), and each name became a string in a set: one server
    held 420 MB of memory for the 16 MB it sent. One answer is now at most 64 KiB, whatever its lines.
    """
    greeting, line, end = LISTS[protocol]
    prefix = b"AUTH=" if protocol == "imap" else b""
    per_line = 15000 // len(prefix + b"M00000 ")
    lines = [line % b" ".join(prefix + b"M%05d" % (n * per_line + i) for i in range(per_line)) for n in range(6)]
    assert all(len(one) < 16384 for one in lines) and len(b"".join(lines)) > 65536

    def script(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(greeting)
        conn.makefile("rb").readline()  # CAPABILITY, CAPA or EHLO
        head = {"imap": b"", "pop3": b"+OK\r\n", "smtp": b"250-hello\r\n"}[protocol]
        conn.sendall(head + b"".join(lines) + end)
        stop.wait()

    server = {"protocol": protocol, "host": "127.0.0.1", "security": "none", "auth": "password", "timeout": 2}
    with ScriptedServer(script) as scripted:
        side = "outgoing" if protocol == "smtp" else "incoming"
        run = probe(**{side: {**server, "port": scripted.port}})
    step = {"imap": "the CAPABILITY response", "pop3": "the CAPA response", "smtp": "the answer to EHLO"}[protocol]
    message = f"the server sent more than 65536 bytes in one answer while waiting for {step}"
    assert run.findings == [Found(5, "MC818", "error", message)]
    assert run.code == 1


@pytest.mark.parametrize(("count", "finding"), [
    (1000, Found(5, "MC820", "info", "POP3 over no TLS; login offered: PLAIN, USER/PASS")),
    (1001, Found(5, "MC818", "error", "the CAPA list has more than 1000 lines")),
], ids=["1000-lines", "1001-lines"])  # fmt: skip
def test_a_pop3_capa_list_may_have_1000_lines_and_its_end(probe: Any, count: int, finding: Found) -> None:
    """The "." that ends the list is no line of it: a list of exactly 1,000 lines was refused as more than 1,000."""
    capabilities = b"SASL PLAIN\r\nUSER\r\n" + b"X-FILLER\r\n" * (count - 2)

    def script(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(b"+OK ready\r\n")
        conn.makefile("rb").readline()  # CAPA
        conn.sendall(b"+OK\r\n" + capabilities + b".\r\n")
        stop.wait()

    with ScriptedServer(script) as scripted:
        run = probe(incoming={"protocol": "pop3", "host": "127.0.0.1", "port": scripted.port, "security": "none",
                              "auth": "password", "timeout": 2})  # fmt: skip
    assert run.findings == [finding]


#: per protocol: the greeting, and the answer to CAPABILITY / CAPA / EHLO naming STARTTLS with a long s (U+017F)
LOOK_ALIKES = {
    "imap": (b"* OK ready\r\n", "* CAPABILITY IMAP4rev1 \u017fTARTTLS\r\nm1 OK done\r\n", "STARTTLS"),
    "pop3": (b"+OK ready\r\n", "+OK\r\n\u017fTLS\r\nUSER\r\n.\r\n", "STLS"),
    "smtp": (b"220 ready\r\n", "250-hello\r\n250 \u017fTARTTLS\r\n", "STARTTLS"),
}


#: the same, STARTTLS joined to another word by a character str.split() splits at and a mail client does not: a
#: no-break space, the unit separator \x1f, a line separator (POP3 and SMTP read the first word of a line)
JOINED = {
    "imap": (b"* OK ready\r\n", "* CAPABILITY IMAP4rev1 X\u00a0STARTTLS\r\nm1 OK done\r\n", "STARTTLS"),
    "pop3": (b"+OK ready\r\n", "+OK\r\nSTLS\x1fX\r\nUSER\r\n.\r\n", "STLS"),
    "smtp": (b"220 ready\r\n", "250-hello\r\n250 STARTTLS\u2028X\r\n", "STARTTLS"),
}


@pytest.mark.parametrize(
    ("protocol", "case"),
    [(protocol, case) for case in (LOOK_ALIKES, JOINED) for protocol in case],
    ids=[f"{name}-{protocol}" for name, case in (("look-alike", LOOK_ALIKES), ("joined", JOINED)) for protocol in case],
)
def test_a_keyword_with_a_look_alike_letter_is_not_the_keyword(
    probe: Any, protocol: str, case: dict[str, tuple[bytes, str, str]]
) -> None:
    """Keywords compare in ASCII: str.upper() made the long s an S, so STARTTLS was taken as offered and sent. Words
    are split at ASCII white space: str.split() made "X<U+00A0>STARTTLS" two words, one of them STARTTLS, where a
    mail client (splitting at SP, or at C's isspace()) finds none and refuses a server that security: starttls
    needs; probe went on, and with a server that took the command said "server-ok"."""
    greeting, answer, keyword = case[protocol]
    received: list[bytes] = []

    def script(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(greeting)
        reader = conn.makefile("rb")
        reader.readline()  # CAPABILITY, CAPA or EHLO
        conn.sendall(answer.encode())
        received.append(reader.readline())  # what probe says next: the end of the session, never STARTTLS
        stop.wait()

    side = "outgoing" if protocol == "smtp" else "incoming"
    with ScriptedServer(script) as scripted:
        run = probe(**{side: {"protocol": protocol, "host": "127.0.0.1", "port": scripted.port,
                              "security": "starttls", "auth": "password", "timeout": 2}})  # fmt: skip
    message = (
        f"the server does not offer {keyword} (security: starttls); use security: tls on its implicit-TLS port, "
        "or have STARTTLS enabled"
    )
    assert run.findings == [Found(5, "MC805", "error", message)]
    assert not any(keyword.encode() in line.upper() for line in received)


def test_a_stray_empty_line_taken_for_the_answer_to_stls_is_named(probe: Any) -> None:
    """A POP3 server that ends its CAPA list with CRLF CRLF: the empty line is read as the answer to STLS, as mail
    clients read it (POP3 has no line that answers nothing), and the server did not agree: MC805. Its message quoted
    the line, 'the server refused STLS: ""'; it now says what came."""
    received: list[bytes] = []

    def script(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(b"+OK ready\r\n")
        reader = conn.makefile("rb")
        reader.readline()  # CAPA
        conn.sendall(b"+OK\r\nSTLS\r\nSASL PLAIN\r\n.\r\n\r\n")
        received.append(reader.readline())
        stop.wait()

    with ScriptedServer(script) as scripted:
        run = probe(incoming={"protocol": "pop3", "host": "127.0.0.1", "port": scripted.port,
                              "security": "starttls", "auth": "password", "timeout": 2})  # fmt: skip
    assert run.findings == [
        Found(5, "MC814", "warning", "before STLS the server accepts AUTH PLAIN: a client that skips STLS would send "
              "the password in cleartext; prefer security: tls"),
        Found(5, "MC805", "error", "the server refused STLS: it answered with an empty line, not +OK"),
    ]  # fmt: skip
    assert received == [b"STLS\r\n"]
    assert run.code == 1


def test_tls_garbage_after_starttls(probe: Any) -> None:
    """The server agreed to STARTTLS, then answered the handshake in cleartext. The advice was "check security and
    port", which fits a port that does not speak TLS: this one said it would, and its port and security are right."""

    def script(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(b"220 hi\r\n")
        reader = conn.makefile("rb")
        reader.readline()
        conn.sendall(b"250-hi\r\n250 STARTTLS\r\n")
        reader.readline()
        conn.sendall(b"220 go\r\n")
        conn.recv(65536)  # the ClientHello
        conn.sendall(b"not TLS at all\r\n")
        stop.wait()

    with ScriptedServer(script) as server:
        run = probe(
            outgoing={
                "protocol": "smtp",
                "host": "127.0.0.1",
                "port": server.port,
                "security": "starttls",
                "timeout": 2,
            }
        )
    assert run.findings == [
        Found(
            5,
            "MC804",
            "error",
            "the TLS handshake after STARTTLS failed: WRONG_VERSION_NUMBER; the server agreed to STARTTLS, then did "
            "not answer in TLS: its STARTTLS is broken, or something on the path (a firewall, a proxy) keeps TLS off; "
            "use security: tls on its implicit-TLS port if it has one",
        )
    ]


def test_a_tls_alert_after_the_handshake_is_a_tls_failure(probe: Any, certs: Certificates) -> None:
    """In TLS 1.3 a server that wants a client certificate says so after the client's side of the handshake:
    the alert arrives at the first read. It was MC818 ("does not speak the declared protocol; check protocol
    and port") with OpenSSL's lower-cased text and the place in CPython's source, "(_ssl.c:2580)"; it is a
    TLS failure, named by its reason as a failed handshake is."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(certs.good.cert), str(certs.good.key))
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(str(certs.ca))

    def script(conn: socket.socket, stop: threading.Event) -> None:
        with context.wrap_socket(conn, server_side=True) as tls:  # raises: the client sends no certificate
            tls.sendall(b"* OK ready\r\n")

    with ScriptedServer(script) as server:
        run = probe(
            incoming={"protocol": "imap", "host": "127.0.0.1", "port": server.port, "security": "tls",
                      "auth": "client-cert", "timeout": 2, "tls": {"ca_file": str(certs.ca)}}
        )  # fmt: skip
    assert run.findings == [
        Found(
            5,
            "MC804",
            "error",
            "the TLS session failed while waiting for the IMAP greeting: TLSV13_ALERT_CERTIFICATE_REQUIRED; "
            "the server requires a client certificate, which probe does not send",
        )
    ]
    assert run.code == 1


def huge_certificate(directory: Path) -> ssl.SSLContext:
    """A server whose certificate is 300 KB (8000 names), over OpenSSL's 100 KB limit for it."""
    from cryptography import x509

    now = dt.datetime.now(dt.UTC)
    names = [x509.DNSName(f"name{i:05}.mail.example.test") for i in range(8000)]
    pair = self_signed(
        directory, "huge", None, now - dt.timedelta(days=1), now + dt.timedelta(days=30), alt_names=names
    )
    return server_context(pair)


def tls_1_1_only(directory: Path) -> ssl.SSLContext:
    """A server of the past: TLS 1.1 at most (Python deprecates naming it, which is the point)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with pytest.warns(DeprecationWarning):
        context.maximum_version = ssl.TLSVersion.TLSv1_1
    return context


#: RFC 2409's 1024-bit MODP group (Oakley group 2, generator 2): the DH group of many servers before Logjam
OAKLEY_GROUP_2 = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF",
    16,
)


def small_dh_key(directory: Path) -> ssl.SSLContext:
    """A server of the Logjam era: TLS 1.2 at most, DHE key exchange only, with a 1024-bit group.

    Python's client cipher string starts with @SECLEVEL=2, under which OpenSSL wants 2048 bits at least; the
    server context is put at level 0 so that OpenSSL lets it load the small group at all. DHE-RSA needs an RSA key.
    """
    import trustme
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import dh

    group = directory / "dh1024.pem"
    numbers = dh.DHParameterNumbers(OAKLEY_GROUP_2, 2)
    group.write_bytes(
        numbers.parameters().parameter_bytes(serialization.Encoding.PEM, serialization.ParameterFormat.PKCS3)
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers("DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:@SECLEVEL=0")
    trustme.CA().issue_cert("127.0.0.1", key_type=trustme.KeyType.RSA).configure_cert(context)
    context.load_dh_params(str(group))
    return context


def no_common_cipher(directory: Path) -> ssl.SSLContext:
    """A server that takes only a pre-shared-key suite, TLS 1.2 at most: a client without a PSK never offers one, so
    none is in common, and the server's OpenSSL (NO_SHARED_CIPHER on its side) answers handshake_failure. Not RSA key
    exchange: Debian builds its python3 with OpenSSL's default suites (--with-ssl-default-suites=openssl), which
    offer it, and the handshake succeeded there (CI) while it failed with a python.org build's own list."""
    import trustme

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers("PSK-AES128-GCM-SHA256")
    trustme.CA().issue_cert("127.0.0.1", key_type=trustme.KeyType.RSA).configure_cert(context)
    return context


def client_certificate_required_tls_1_2(directory: Path) -> ssl.SSLContext:
    """A server that requires a client certificate, TLS 1.2 at most: probe sends none, and the server's OpenSSL
    (PEER_DID_NOT_RETURN_A_CERTIFICATE on its side) answers handshake_failure within the handshake. TLS 1.3 says
    certificate_required after it (test_a_tls_alert_after_the_handshake_is_a_tls_failure)."""
    import trustme

    ca = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    ca.issue_cert("127.0.0.1").configure_cert(context)
    ca.configure_trust(context)
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def assert_handshake_fails(probe: Any, script: Callable[[socket.socket, threading.Event], None], message: str) -> None:
    """probe of an implicit-TLS IMAP server that ``script`` plays (no certificate check) finds MC804 ``message``."""
    with ScriptedServer(script) as server:
        run = probe(
            incoming={"protocol": "imap", "host": "127.0.0.1", "port": server.port, "security": "tls",
                      "timeout": 2, "tls": {"verify": False}}
        )  # fmt: skip
    assert run.findings == [Found(5, "MC804", "error", message)]
    assert run.code == 1


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (small_dh_key, "the TLS handshake failed: DH_KEY_TOO_SMALL; the server's Diffie-Hellman key is too small "
         "for OpenSSL: the server must use a larger one"),
        (huge_certificate, "the TLS handshake failed: EXCESSIVE_MESSAGE_SIZE; the server's certificate chain (or its "
         "list of client certificate CAs) is over OpenSSL's 100 KB limit: the server must send a smaller one"),
        (tls_1_1_only, "the TLS handshake failed: TLSV1_ALERT_PROTOCOL_VERSION; the server and probe share no TLS "
         "version (probe speaks TLS 1.2 and 1.3; RFC 8996)"),
        (no_common_cipher, "the TLS handshake failed: SSLV3_ALERT_HANDSHAKE_FAILURE; the server refused the "
         "handshake: no cipher suite or key exchange in common, or it requires a client certificate, which probe "
         "does not send"),
        (client_certificate_required_tls_1_2, "the TLS handshake failed: SSLV3_ALERT_HANDSHAKE_FAILURE; the server "
         "refused the handshake: no cipher suite or key exchange in common, or it requires a client certificate, "
         "which probe does not send"),
    ],
    ids=["dh-1024-bits", "certificate-over-100-KB", "tls-1.1-only", "no-common-cipher", "client-certificate-tls-1.2"],
)  # fmt: skip
def test_a_failed_handshake_gets_advice_that_fits_its_reason(
    probe: Any, tmp_path: Path, make: Callable[[Path], ssl.SSLContext], message: str
) -> None:
    """MC804 said "check security and port" whatever the reason: right for a port that does not speak TLS
    (WRONG_VERSION_NUMBER, above), wrong for a server whose TLS is broken or out of date."""
    context = make(tmp_path)

    def script(conn: socket.socket, stop: threading.Event) -> None:
        with context.wrap_socket(conn, server_side=True) as tls:  # raises: the client gives up
            tls.sendall(b"* OK ready\r\n")

    assert_handshake_fails(probe, script, message)


@pytest.mark.parametrize(
    ("alert", "message"),
    [
        (ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME, "the TLS handshake failed: TLSV1_UNRECOGNIZED_NAME; the server "
         "does not serve the host name probe asked for (SNI): check host"),
        (ssl.ALERT_DESCRIPTION_INTERNAL_ERROR, "the TLS handshake failed: TLSV1_ALERT_INTERNAL_ERROR; the server "
         "failed on its own side"),
        (ssl.ALERT_DESCRIPTION_INSUFFICIENT_SECURITY, "the TLS handshake failed: TLSV1_ALERT_INSUFFICIENT_SECURITY; "
         "the server accepts no cipher suite or key exchange that probe offers"),
    ],
    ids=["unrecognized-name", "internal-error", "insufficient-security"],
)  # fmt: skip
def test_a_server_that_ends_the_handshake_at_the_host_name(
    probe: Any, certs: Certificates, alert: ssl.AlertDescription, message: str
) -> None:
    """The server's OpenSSL sends a fatal alert from its SNI callback, as a server does for a name it does not
    serve (unrecognized_name), or when it fails to choose the certificate for the name (internal_error). probe
    sends the host as SNI: ``localhost`` here, which the server was asked for and refused.

    insufficient_security (RFC 5246 7.2.2: the server requires suites more secure than the client offers) is what
    some TLS stacks send where OpenSSL sends handshake_failure; OpenSSL 3.0's own server never sends it (in libssl
    only an SRP client does), so this real OpenSSL server sends it from the same callback, the one place a Python
    server can choose an alert."""
    context = server_context(certs.good)
    asked: list[str | None] = []

    def refuse(tls: ssl.SSLObject, name: str | None, context: ssl.SSLContext) -> int:
        asked.append(name)
        return alert

    context.sni_callback = refuse

    def script(conn: socket.socket, stop: threading.Event) -> None:
        with context.wrap_socket(conn, server_side=True) as tls:  # raises: the callback ends the handshake
            tls.sendall(b"* OK ready\r\n")

    with ScriptedServer(script) as server:
        run = probe(
            incoming={"protocol": "imap", "host": "localhost", "port": server.port, "security": "tls",
                      "timeout": 2, "tls": {"ca_file": str(certs.ca)}}
        )  # fmt: skip
    assert run.findings == [Found(5, "MC804", "error", message)]
    assert run.code == 1
    assert asked == ["localhost"]


#: renegotiation_info (RFC 5746) as a server that has it answers: empty, for a first handshake
RENEGOTIATION_INFO = bytes.fromhex("ff01000100")


def server_hello(version: int, cipher: int, extensions: bytes) -> bytes:
    """A ServerHello record as a server of the past sends it: ``version``, a fixed random, no session id, ``cipher``,
    no compression, ``extensions``."""
    body = version.to_bytes(2, "big") + bytes(range(32)) + b"\0" + cipher.to_bytes(2, "big") + b"\0"
    body += len(extensions).to_bytes(2, "big") + extensions
    message = b"\x02" + len(body).to_bytes(3, "big") + body
    return b"\x16" + version.to_bytes(2, "big") + len(message).to_bytes(2, "big") + message


@pytest.mark.parametrize(
    ("hello", "message"),
    [
        # TLS 1.1, ECDHE-RSA-AES128-SHA: the answer of a server that speaks nothing newer
        (server_hello(0x0302, 0xC013, RENEGOTIATION_INFO), "the TLS handshake failed: UNSUPPORTED_PROTOCOL; the "
         "server and probe share no TLS version (probe speaks TLS 1.2 and 1.3; RFC 8996)"),
        # TLS 1.2, ECDHE-RSA-AES128-GCM-SHA256, no extension: a TLS library from before RFC 5746 (2010)
        (server_hello(0x0303, 0xC02F, b""), "the TLS handshake failed: UNSAFE_LEGACY_RENEGOTIATION_DISABLED; the "
         "server lacks secure renegotiation (RFC 5746), which OpenSSL 3 requires: its TLS library must be upgraded"),
    ],
    ids=["tls-1.1-server-hello", "no-renegotiation-info"],
)  # fmt: skip
def test_a_server_hello_that_openssl_3_refuses(probe: Any, hello: bytes, message: str) -> None:
    """The server's answer to probe's hello is scripted, because nothing real here can send it: an OpenSSL 3
    server that speaks TLS 1.1 at most refuses a TLS 1.2 hello with protocol_version (tls-1.1-only above), where a
    server of the past answered in TLS 1.1 (probe's OpenSSL: UNSUPPORTED_PROTOCOL); and an OpenSSL server always
    sends renegotiation_info. What reacts to the bytes, and names the reason, is probe's own OpenSSL."""

    def script(conn: socket.socket, stop: threading.Event) -> None:
        conn.recv(65536)  # the ClientHello
        conn.sendall(hello)
        conn.recv(65536)  # probe's alert, then its close

    assert_handshake_fails(probe, script, message)


def openssl_conf(directory: Path, setting: str) -> Path:
    """An openssl.cnf whose system default TLS section holds ``setting``, for OPENSSL_CONF to name to a new process:
    OpenSSL reads it once, when it starts, and puts it into every context made after."""
    config = directory / "openssl.cnf"
    config.write_text(
        "openssl_conf = default_conf\n[default_conf]\nssl_conf = ssl_sect\n[ssl_sect]\n"
        f"system_default = system_default_sect\n[system_default_sect]\n{setting}\n"
    )
    return config


def probe_in_a_process(
    directory: Path, config: Path, **servers: dict[str, Any]
) -> tuple[int, list[tuple[Any, ...]], str]:
    """``python3 -m mailconf probe --format json`` on an account with these servers (``incoming=``, ``outgoing=``),
    run with OPENSSL_CONF naming ``config``: exit code, findings, stderr."""
    path = write_accounts(directory / "accounts.yaml", **servers)
    done = subprocess.run(
        [sys.executable, "-m", "mailconf", "probe", "--format", "json", str(path)],
        env={**os.environ, "OPENSSL_CONF": str(config)}, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    findings = [(f["line"], f["rule"], f["severity"], f["message"]) for f in json.loads(done.stdout)]
    return done.returncode, findings, done.stderr


def tls_server(context: ssl.SSLContext) -> ScriptedServer:
    """An IMAP server over implicit TLS (OpenSSL's server side, with ``context``) that greets and waits for the
    client to end."""

    def script(conn: socket.socket, stop: threading.Event) -> None:
        with context.wrap_socket(conn, server_side=True) as tls:  # raises when the handshake fails
            tls.sendall(b"* OK ready\r\n")
            tls.recv(1024)

    return ScriptedServer(script)


def implicit_tls(protocol: str, port: int, certs: Certificates) -> dict[str, Any]:
    return {"protocol": protocol, "host": "127.0.0.1", "port": port, "security": "tls", "timeout": 2, "auth": "none",
            "tls": {"ca_file": str(certs.ca)}}  # fmt: skip


def test_no_tls_version_enabled_on_this_machine(tmp_path: Path, certs: Certificates) -> None:
    """NO_PROTOCOLS_AVAILABLE is probe's own OpenSSL refusing to start: its configuration enables no version
    probe speaks, so no hello is sent and the server is not to blame (the advice said it shared no version with
    probe). Real: an openssl.cnf that caps TLS at 1.1, as OPENSSL_CONF names it to a new mailconf process."""
    config = openssl_conf(tmp_path, "MaxProtocol = TLSv1.1")
    with tls_server(server_context(certs.good)) as server:
        code, findings, err = probe_in_a_process(tmp_path, config, incoming=implicit_tls("imap", server.port, certs))
    assert findings == [
        (5, "MC804", "error", "the TLS handshake failed: NO_PROTOCOLS_AVAILABLE; this machine's OpenSSL "
         "configuration enables no TLS version probe speaks (1.2 and 1.3), so nothing was sent: check Protocol "
         "and MaxProtocol in openssl.cnf, or in the file OPENSSL_CONF names")
    ]  # fmt: skip
    assert (code, err) == (1, "")


REFUSED_HERE = ("the TLS handshake failed: TLSV1_ALERT_PROTOCOL_VERSION; the server and probe share no TLS version: "
                "this machine's OpenSSL configuration refuses TLS {refused}, so probe speaks only TLS {spoken}; check "
                "Protocol and MaxProtocol in openssl.cnf, or in the file OPENSSL_CONF names")  # fmt: skip


@pytest.mark.parametrize(
    ("setting", "refused", "spoken"),
    [("Protocol = ALL, -TLSv1.2", "1.2", "1.3"), ("MaxProtocol = TLSv1.2", "1.3", "1.2")],
    ids=["tls-1.2-only-server", "tls-1.3-only-server"],
)  # fmt: skip
def test_no_version_in_common_because_this_machine_refuses_one(
    tmp_path: Path, certs: Certificates, setting: str, refused: str, spoken: str
) -> None:
    """The advice for no version in common said "probe speaks TLS 1.2 and 1.3"; with an openssl.cnf that takes one
    away it speaks only the other, and the server that speaks only the one taken away is not the one to blame. A
    real OpenSSL server of one version, probe a new process with OPENSSL_CONF naming the file."""
    context = server_context(certs.good)  # the server speaks only the version refused here
    context.minimum_version = context.maximum_version = ssl.TLSVersion[f"TLSv1_{refused[-1]}"]
    config = openssl_conf(tmp_path, setting)
    with tls_server(context) as server:
        code, findings, err = probe_in_a_process(tmp_path, config, incoming=implicit_tls("imap", server.port, certs))
    assert findings == [(5, "MC804", "error", REFUSED_HERE.format(refused=refused, spoken=spoken))]
    assert (code, err) == (1, "")


def test_min_protocol_does_not_take_tls_1_2_away(tmp_path: Path, certs: Certificates) -> None:
    """probe sets its minimum, TLS 1.2, itself, and that overrides the configuration's MinProtocol: with
    MinProtocol = TLSv1.3 it still speaks TLS 1.2 to a server that speaks nothing newer (so the advice that it speaks
    1.2 stays true; ``Protocol = -TLSv1.2`` is what takes it away, above)."""
    config = openssl_conf(tmp_path, "MinProtocol = TLSv1.3")
    with SmtpServer(certs.good, implicit=True, maximum_tls=ssl.TLSVersion.TLSv1_2) as server:
        code, findings, err = probe_in_a_process(tmp_path, config, outgoing=implicit_tls("smtp", server.port, certs))
    assert findings == [(5, "MC820", "info", "SMTP over implicit TLS (TLSv1.2); login offered: LOGIN, PLAIN")]
    assert (code, err) == (0, "")


def test_starttls_injection_is_refused(probe: Any) -> None:
    """Cleartext sent along with the STARTTLS go-ahead must never be read as if it came over TLS."""

    def script(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(b"* OK ready\r\n")
        reader = conn.makefile("rb")
        tag = reader.readline().split()[0]
        conn.sendall(b"* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\n" + tag + b" OK done\r\n")
        tag = reader.readline().split()[0]
        conn.sendall(tag + b" OK go ahead\r\n* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n")
        stop.wait()

    with ScriptedServer(script) as server:
        run = probe(
            incoming={
                "protocol": "imap",
                "host": "127.0.0.1",
                "port": server.port,
                "security": "starttls",
                "timeout": 2,
            }
        )
    assert run.findings == [
        Found(
            5,
            "MC818",
            "error",
            "the server sent 35 bytes in cleartext before the TLS handshake after STARTTLS; they would be read as if "
            "encrypted (STARTTLS injection), so the session was ended",
        )
    ]


def test_certificate_summary_matches_cryptography(certs: Certificates) -> None:
    from cryptography import x509

    for pair in (certs.good, certs.self_signed, certs.wrong_name):
        ours = summarise(pair.der)
        theirs = x509.load_der_x509_certificate(pair.der)
        assert ours.not_after == theirs.not_valid_after_utc
        assert ours.not_before == theirs.not_valid_before_utc
        names = theirs.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert list(ours.names) == [str(n.value) for n in names]
        assert sorted(ours.subject.split(", ")) == sorted(theirs.subject.rfc4514_string().split(","))


@pytest.mark.parametrize(
    ("not_before", "not_after"),
    [("1955-01-01", "2049-12-31T23:59:59"), ("1999-12-31", "2050-01-01"), ("2000-02-29T12:34:56", "9999-12-31")],
)
def test_the_validity_read_from_the_der_is_what_cryptography_reads(
    certs: Certificates, tmp_path: Path, not_before: str, not_after: str
) -> None:
    """The fallback for a certificate the library refuses whole: UTCTime 50-99 is 1950-1999, 2050 on is
    GeneralizedTime, each to the second."""
    from cryptography import x509

    moments = [dt.datetime.fromisoformat(m).replace(tzinfo=dt.UTC) for m in (not_before, not_after)]
    pair = self_signed(tmp_path, "dates", "127.0.0.1", *moments)
    for der in (pair.der, certs.good.der, certs.expired.der):
        theirs = x509.load_der_x509_certificate(der)
        assert validity_from_der(der) == (theirs.not_valid_before_utc, theirs.not_valid_after_utc)
    assert validity_from_der(pair.der) == tuple(moments)


def test_truncated_certificates_never_raise(certs: Certificates) -> None:
    der = certs.good.der
    assert all(try_summarise(der[:n]) is None for n in range(len(der)))


def test_random_and_mutated_certificates_never_raise(certs: Certificates) -> None:
    """A server chooses the certificate bytes: random blobs and one-byte mutations of a real one."""
    rng = random.Random(8)
    der = bytearray(certs.good.der)
    for _ in range(2000):
        mutated = bytearray(der)
        mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        try_summarise(bytes(mutated))
        try_summarise(b"\x30\x82" + rng.randbytes(rng.randrange(600)))


def test_scram_sha_256_matches_rfc_7677_example() -> None:
    exchange = _Scram(Credentials("user", "pencil", "h", 1), "SCRAM-SHA-256", nonce="rOprNGfwEbeRWgbNEkqO")
    assert exchange.initial() == b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
    server_first = b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
    assert exchange.respond(server_first) == (
        b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
    )
    assert exchange.respond(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=") == b""


@pytest.mark.parametrize(
    "challenge",
    [
        "garbage",
        "r=someone-elses-nonce,s=c2FsdA==,i=4096",
        "r={nonce}x,s=c2FsdA==,i=99999999",
        "r={nonce}x,s=c2FsdA==,i=0",
        "r={nonce}x,s=!!,i=4096",
    ],
)
def test_scram_refuses_hostile_challenges(challenge: str) -> None:
    exchange = MECHANISMS["SCRAM-SHA-256"](Credentials("user", "pencil", "h", 1))
    nonce = (exchange.initial() or b"").decode().split("r=", 1)[1]
    with pytest.raises(SaslError):
        exchange.respond(challenge.format(nonce=nonce).encode())


OVER = "more than the 1,000,000 probe computes: refused before hashing, no proof sent"


@pytest.mark.parametrize(
    ("count", "message"),
    [
        ("\u00b2", "the server's SCRAM challenge is invalid (nonce or iteration count)"),
        ("0000", "the server's SCRAM challenge is invalid (nonce or iteration count)"),
        ("9" * 5000, f"the server asks for a 5000-digit number of iterations, {OVER}"),
        ("0" * 4999 + "1", "the server's SCRAM challenge is invalid (nonce or iteration count)"),
        ("1000001", f"the server asks for 1000001 iterations, {OVER}"),
        ("04096", "the server's SCRAM challenge is invalid (nonce or iteration count)"),
    ],
    ids=["superscript-2", "zero", "5000-digits", "leading-zeros-of-one", "one-over", "leading-zero"],
)
def test_scram_refuses_an_iteration_count_it_cannot_read_or_will_not_compute(count: str, message: str) -> None:
    """str.isdigit() holds for "²", and int() refuses it, as it refuses more than 4300 digits; RFC 5802 allows
    no leading zero."""
    exchange = MECHANISMS["SCRAM-SHA-256"](Credentials("user", "pencil", "h", 1))
    nonce = (exchange.initial() or b"").decode().split("r=", 1)[1]
    with pytest.raises(SaslError) as caught:
        exchange.respond(f"r={nonce}x,s=c2FsdHNhbHRzYWx0c2FsdA==,i={count}".encode())
    assert str(caught.value) == message


def test_scram_computes_the_bound_itself() -> None:
    exchange = MECHANISMS["SCRAM-SHA-256"](Credentials("user", "pencil", "h", 1))
    nonce = (exchange.initial() or b"").decode().split("r=", 1)[1]
    assert exchange.respond(f"r={nonce}x,s=c2FsdHNhbHRzYWx0c2FsdA==,i=1000000".encode()).startswith(b"c=biws,")


def test_scram_refuses_a_malformed_server_signature() -> None:
    exchange = MECHANISMS["SCRAM-SHA-256"](Credentials("user", "pencil", "h", 1))
    nonce = (exchange.initial() or b"").decode().split("r=", 1)[1]
    exchange.respond(f"r={nonce}x,s=c2FsdHNhbHRzYWx0c2FsdA==,i=4096".encode())
    with pytest.raises(SaslError):
        exchange.respond(b"v=not base64!")


def test_a_crash_while_probing_is_an_internal_error_not_a_finding(
    probe: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A bug inside probing (here: reading SMTP capabilities raises) exits 3 with one line naming the file,
    the server and the exception type, never its text (it may hold a secret), and no MC818 finding
    that would blame the server; the other server's findings are still reported."""
    from mailconf.probe.smtp import Smtp

    async def explode(self: Smtp, conn: object) -> object:
        raise RuntimeError("password hunter2 leaked")

    monkeypatch.setattr(Smtp, "capabilities", explode)
    monkeypatch.delenv("MAILCONF_DEBUG", raising=False)
    with ScriptedServer(sends(b"* BYE go away\r\n")) as imap, ScriptedServer(sends(b"220 ready\r\n")) as smtp:
        server = {"host": "127.0.0.1", "security": "none", "auth": "none", "timeout": 2}
        run = probe(
            incoming={"protocol": "imap", "port": imap.port, **server},
            outgoing={"protocol": "smtp", "port": smtp.port, **server},
        )
    assert run.findings == [Found(5, "MC818", "error", 'the server refused the connection: "* BYE go away"')]
    assert run.err == (
        f"mailconf: {tmp_path / 'accounts.yaml'}: internal error (RuntimeError) while probing "
        f"test outgoing smtp://127.0.0.1:{smtp.port}; please report it (MAILCONF_DEBUG=1 shows the traceback)\n"
    )
    assert run.code == 3


#: per protocol: the greeting, the answer to CAPABILITY/CAPA/EHLO (PLAIN offered), a SASL continuation
ENDLESS_SASL = {
    "imap": (
        b"* OK ready\r\n",
        b"* CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN LOGINDISABLED\r\n{tag} OK done\r\n",
        b"+ \r\n",
    ),
    "pop3": (b"+OK ready\r\n", b"+OK\r\nSASL PLAIN\r\n.\r\n", b"+ \r\n"),
    "smtp": (b"220 ready\r\n", b"250-hello\r\n250 AUTH PLAIN\r\n", b"334 \r\n"),
}


@pytest.mark.parametrize("protocol", list(ENDLESS_SASL))
def test_sasl_continuations_that_never_end(probe: Any, protocol: str, tmp_path: Path) -> None:
    """A server that answers every SASL response with one more continuation: four are answered, then the
    session ends with one finding; the PLAIN response it received five times is nowhere in the output."""
    greeting, listing, more = ENDLESS_SASL[protocol]
    received: list[bytes] = []

    def script(conn: socket.socket, stop: threading.Event) -> None:
        reader = conn.makefile("rb")
        conn.sendall(greeting)
        tag = reader.readline().split(b" ")[0]
        conn.sendall(listing.replace(b"{tag}", tag))
        while raw := reader.readline(65536):
            received.append(raw)
            conn.sendall(more)

    with ScriptedServer(script) as server:
        declared = {"protocol": protocol, "host": "127.0.0.1", "port": server.port, "security": "none",
                    "timeout": 2, "password_command": secret_file(tmp_path, "s3cret-pw")}  # fmt: skip
        run = probe(
            **{"outgoing" if protocol == "smtp" else "incoming": declared}, args=("--login", "--allow-cleartext")
        )
    name = protocol.upper()
    assert run.findings == [
        Found(5, "MC820", "info", f"{name} over no TLS; login offered: PLAIN"),
        Found(5, "MC818", "error", "the server sent more than 4 PLAIN challenges"),
    ]
    assert run.code == 1
    response = base64.b64encode(b"\0alice@example.org\0s3cret-pw")
    assert [line.strip() for line in received[1:]] == [response] * 4  # the first line: the command itself
    assert b"s3cret-pw" not in run.out.encode() and response not in run.out.encode() and run.err == ""


MIXED = (
    "one SMTP reply changed its code from {} to {} while waiting for {} (RFC 5321 section 4.2.1: every line of a "
    'reply has the same code): "{}"'
)


def cleartext_login(
    probe: Any, tmp_path: Path, script: Callable[[socket.socket, threading.Event], None], protocol: str
) -> tuple[list[Found], int, str]:
    """``probe --login --allow-cleartext`` of one server (``imap`` incoming or ``smtp`` outgoing, no TLS, a 2 s
    timeout) played by ``script``: its findings, exit code and standard error."""
    side = "outgoing" if protocol == "smtp" else "incoming"
    with ScriptedServer(script) as server:
        server_settings = {"protocol": protocol, "host": "127.0.0.1", "port": server.port, "security": "none",
                           "timeout": 2, "password_command": secret_file(tmp_path, "s3cret-pw")}  # fmt: skip
        run = probe(**{side: server_settings}, args=("--login", "--allow-cleartext"))
    return run.findings, run.code, run.err


@pytest.mark.parametrize(
    ("answers", "findings"),
    [
        ((b"554-go away\r\n220 welcome\r\n",),
         [Found(5, "MC818", "error", MIXED.format(554, 220, "the SMTP greeting", "220 welcome"))]),
        ((b"220 hi\r\n", b"250-hi\r\n550 no\r\n"),
         [Found(5, "MC818", "error", MIXED.format(250, 550, "the answer to EHLO", "550 no"))]),
        ((b"220 hi\r\n", b"250-hi\r\n250 AUTH PLAIN\r\n", b"535-5.7.8 refused\r\n235 2.7.0 accepted\r\n"),
         [Found(5, "MC820", "info", "SMTP over no TLS; login offered: PLAIN"),
          Found(5, "MC818", "error", MIXED.format(535, 235, "the answer to AUTH PLAIN", "235 2.7.0 accepted"))]),
        ((b"220 hi\r\n", b"250-hi\r\n250 AUTH PLAIN\r\n", b"235-2.7.0 accepted\r\n535 5.7.8 refused\r\n"),
         [Found(5, "MC820", "info", "SMTP over no TLS; login offered: PLAIN"),
          Found(5, "MC818", "error", MIXED.format(235, 535, "the answer to AUTH PLAIN", "535 5.7.8 refused"))]),
    ],
    ids=["greeting-554-then-220", "ehlo-250-then-550", "auth-535-then-235", "auth-235-then-535"],
)  # fmt: skip
def test_an_smtp_reply_whose_lines_have_different_codes(
    probe: Any, tmp_path: Path, answers: tuple[bytes, ...], findings: list[Found]
) -> None:
    """Every line of one SMTP reply has the same code (RFC 5321 s4.2.1). The reply was read by its last line, so
    "535-refused" then "235 accepted" was MC819, a login the server also refused; the other way round an MC815 that
    quoted "235-2.7.0 accepted" as the refusal; and "554-" then "220" a greeting. A reply saying both is MC818."""

    def script(conn: socket.socket, stop: threading.Event) -> None:
        reader = conn.makefile("rb")
        conn.sendall(answers[0])  # the greeting, then the answers to EHLO and AUTH PLAIN
        for answer in answers[1:]:
            reader.readline()
            conn.sendall(answer)
        stop.wait()

    assert cleartext_login(probe, tmp_path, script, "smtp") == (findings, 1, "")


#: what the IMAP server lists before the untagged BYE: a password login by AUTHENTICATE PLAIN, or by LOGIN only
BYE_CAPABILITIES = {
    "capability": b"",
    "authenticate": b"* CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN LOGINDISABLED\r\n",
    "login": b"* CAPABILITY IMAP4rev1\r\n",
}


@pytest.mark.parametrize(
    ("answered", "then_close", "findings"),
    [
        ("capability", False, [Found(5, "MC818", "error", "the server ended the session while waiting for the "
                                     "CAPABILITY response: \"* BYE autologout; idle for too long\"")]),
        ("authenticate", False, [Found(5, "MC820", "info", "IMAP over no TLS; login offered: PLAIN"),
                                 Found(5, "MC818", "error", "the server ended the session while waiting for the answer "
                                       "to AUTHENTICATE PLAIN: \"* BYE autologout; idle for too long\"")]),
        ("login", False, [Found(5, "MC820", "info", "IMAP over no TLS; login offered: LOGIN command"),
                          Found(5, "MC818", "error", "the server ended the session while waiting for the answer to "
                                'LOGIN: "* BYE autologout; idle for too long"')]),
        ("login", True, [Found(5, "MC820", "info", "IMAP over no TLS; login offered: LOGIN command"),
                         Found(5, "MC818", "error", "the server ended the session while waiting for the answer to "
                               'LOGIN: "* BYE autologout; idle for too long"')]),
    ],
    ids=["capability", "authenticate", "login", "login-then-close"],
)  # fmt: skip
def test_an_untagged_bye_ends_the_session_with_its_reason(
    probe: Any, tmp_path: Path, answered: str, then_close: bool, findings: list[Found]
) -> None:
    """BYE means the server is about to close the connection (RFC 9051 s7.1.5), whatever probe asked. It was read
    as one more untagged line: kept open, the session waited for a tagged answer until the deadline (MC803, "no
    answer within 2 s", from a server that had answered), and closed, the finding lost the server's reason."""

    def script(conn: socket.socket, stop: threading.Event) -> None:
        reader = conn.makefile("rb")
        conn.sendall(b"* OK ready\r\n")
        tag = reader.readline().split()[0]
        if answered != "capability":
            conn.sendall(BYE_CAPABILITIES[answered] + tag + b" OK done\r\n")
            reader.readline()  # AUTHENTICATE PLAIN or LOGIN
        conn.sendall(b"* BYE autologout; idle for too long\r\n")
        if then_close:
            conn.close()
            return
        stop.wait()

    assert cleartext_login(probe, tmp_path, script, "imap") == (findings, 1, "")


@pytest.mark.parametrize("step", ["capability", "login"])
def test_a_continuation_to_a_command_that_sends_no_more_is_a_protocol_error(
    probe: Any, tmp_path: Path, step: str
) -> None:
    """probe sends no literal: a ``+`` to CAPABILITY or LOGIN asks for data that never comes. probe waited for the
    tagged answer until the deadline and said the server did not answer (MC803, "no answer within 2 s")."""

    def script(conn: socket.socket, stop: threading.Event) -> None:
        reader = conn.makefile("rb")
        conn.sendall(b"* OK ready\r\n")
        tag = reader.readline().split()[0]
        if step == "login":
            conn.sendall(b"* CAPABILITY IMAP4rev1\r\n" + tag + b" OK done\r\n")
            reader.readline()  # LOGIN
        conn.sendall(b"+ go on\r\n")
        stop.wait()

    waiting = "the CAPABILITY response" if step == "capability" else "the answer to LOGIN"
    findings = [Found(5, "MC820", "info", "IMAP over no TLS; login offered: LOGIN command")] if step == "login" else []
    findings.append(Found(5, "MC818", "error", f"the server asked for more (a continuation) while waiting for "
                          f'{waiting}: "+ go on"'))  # fmt: skip
    assert cleartext_login(probe, tmp_path, script, "imap") == (findings, 1, "")


def test_a_pop3_capability_is_the_first_word_of_its_line(probe: Any) -> None:
    """CAPA lines were compared whole: "STLS " (a trailing space) was no STLS, so a server offering it was told it
    does not (MC805), and "USER\\t" was no USER; "SASLX" was read as SASL. A capability is the line's first word
    (RFC 2449 s6), in any letter case, as IMAP's and SMTP's are read."""

    def script(conn: socket.socket, stop: threading.Event) -> None:
        reader = conn.makefile("rb")
        conn.sendall(b"+OK ready\r\n")
        reader.readline()  # CAPA
        conn.sendall(b"+OK\r\nstls \r\nSasl  plain \r\nSASLX CRAM-MD5\r\nUser\t\r\n.\r\n")
        stop.wait()

    with ScriptedServer(script) as server:
        run = probe(incoming={"protocol": "pop3", "host": "127.0.0.1", "port": server.port, "security": "none",
                              "timeout": 2})  # fmt: skip
    assert run.findings == [
        Found(5, "MC806", "info", "the server offers STLS; use security: starttls, or security: tls on its "
              "implicit-TLS port"),
        Found(5, "MC820", "info", "POP3 over no TLS; login offered: PLAIN, USER/PASS"),
    ]  # fmt: skip
    assert run.code == 0


@pytest.mark.parametrize(
    ("protocol", "before", "go_ahead", "injected", "command"),
    [("pop3", b"+OK ready\r\n", b"+OK begin TLS\r\n", b"+OK\r\nUSER\r\nSASL PLAIN\r\n.\r\n", "STLS"),
     ("smtp", b"220 ready\r\n", b"220 2.0.0 go ahead\r\n", b"250-hi\r\n250 AUTH PLAIN\r\n", "STARTTLS")],
)  # fmt: skip
def test_starttls_injection_is_refused_in_pop3_and_smtp(  # noqa: PLR0917
    probe: Any, protocol: str, before: bytes, go_ahead: bytes, injected: bytes, command: str
) -> None:
    """The answer to the capabilities probe asks again after TLS, sent in cleartext along with the go-ahead
    (RFC 2595 and RFC 3207 section 4.2: the client discards what came before TLS), is refused, not read."""
    listed = {"pop3": b"+OK\r\nSTLS\r\n.\r\n", "smtp": b"250-hi\r\n250 STARTTLS\r\n"}[protocol]

    def script(conn: socket.socket, stop: threading.Event) -> None:
        reader = conn.makefile("rb")
        conn.sendall(before)
        reader.readline()
        conn.sendall(listed)
        reader.readline()
        conn.sendall(go_ahead + injected)
        stop.wait()

    with ScriptedServer(script) as server:
        declared = {"protocol": protocol, "host": "127.0.0.1", "port": server.port, "security": "starttls",
                    "timeout": 2}  # fmt: skip
        run = probe(**{"outgoing" if protocol == "smtp" else "incoming": declared})
    assert run.findings == [
        Found(
            5,
            "MC818",
            "error",
            f"the server sent {len(injected)} bytes in cleartext before the TLS handshake after {command}; they would "
            "be read as if encrypted (STARTTLS injection), so the session was ended",
        )
    ]


#: A server's line with bytes that are not UTF-8 (\xff, and \xc3 cut from its second byte) next to a U+FFFD it really
#: sent (\xef\xbf\xbd) and a backslash: as messages show it, in every format
NOT_UTF8 = b"\xff go \xc3 away \xef\xbf\xbd \\xff"
NOT_UTF8_SHOWN = "\\xff go \\xc3 away \ufffd \\\\xff"
#: what a server sent after "* BYE ", and how messages show it: the byte 0x80, which is no UTF-8, and the character
#: U+0080 in UTF-8 (C2 80), a C1 control; and a no-break space (U+00A0, C2 A0) next to the byte A0
SENT_SHOWN = {
    "not-utf8": (NOT_UTF8, NOT_UTF8_SHOWN),
    "byte-0x80": (b"\x80", "\\x80"),
    "u+0080": (b"\xc2\x80", "\\u0080"),
    "u+00a0-byte-0xa0": (b"\xc2\xa0\xa0", "\\u00a0\\xa0"),
}


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
@pytest.mark.parametrize("sent", SENT_SHOWN)
def test_bytes_that_are_not_utf8_are_shown_as_bytes_in_every_format(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], fmt: str, sent: str
) -> None:
    """Each undecodable byte was shown as U+FFFD, as a server that really sent U+FFFD is: now as ``\\xNN``, the
    way reports show a byte of a file name that is not UTF-8 (errors.readable), and a backslash the server sent
    doubled, so that it cannot spell such a byte in plain text. A character from U+0080 on is ``\\u0080``: the byte
    0x80 and the C1 control U+0080 (C2 80) were both ``\\x80``, as were the byte A0 and a no-break space."""
    line, shown = SENT_SHOWN[sent]
    with ScriptedServer(sends(b"* BYE " + line + b"\r\n")) as server:
        path = write_accounts(
            tmp_path / "a.yaml",
            {"protocol": "imap", "host": "127.0.0.1", "port": server.port, "security": "none", "auth": "none",
             "timeout": 2},
        )  # fmt: skip
        capfd.readouterr()
        code = main(["probe", "--format", fmt, str(path)])
    out, err = capfd.readouterr()
    message = f'the server refused the connection: "* BYE {shown}"'
    if fmt == "text":
        assert out.splitlines()[0] == f"{path}:5:5: error MC818 protocol-error: {message}"
    elif fmt == "github":
        assert out.splitlines()[0].endswith(f"::{message}")
    else:
        report = json.loads(out)
        items = report if fmt == "json" else report["runs"][0]["results"]
        assert [item["message"] if fmt == "json" else item["message"]["text"] for item in items] == [message]
    assert (code, err) == (1, "")


def test_a_mechanism_name_that_is_not_utf8_is_shown_as_bytes_in_the_finding_and_the_table(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    path, code, out, err = _probe_imap_offering(tmp_path, capfd, b"AUTH=A\xff AUTH=B\xef\xbf\xbd")
    lines = out.splitlines()
    offered = "A\\xff, B\ufffd, LOGIN command"
    assert lines[0] == f"{path}:5:5: info MC820 server-ok: IMAP over no TLS; login offered: {offered}"
    assert lines[-1].endswith(f"  {offered}")
    assert (code, err) == (0, "")


def test_every_part_of_a_message_shows_a_byte_that_is_not_utf8_alike() -> None:
    """A reply, a certificate's text, a name and mailconf's own text: a byte that was not UTF-8 (a lone surrogate,
    as readline decodes it) is ``\\xff`` wherever it is, never ``\\udcff`` (the last guard's spelling)."""
    from mailconf.probe.conn import Names, Quoted, render

    byte = b"\xff".decode("utf-8", "surrogateescape")
    message = ("own ", Quoted(f"r{byte}"), " ", Quoted(f"c{byte}", in_quotes=False), " ", Names((f"n{byte}",)))
    assert render(message, str) == 'own "r\\xff" c\\xff n\\xff'
    assert render(f"own {byte}", str) == "own \\xff"


def test_a_secret_is_masked_on_a_line_with_bytes_that_are_not_utf8(probe: Any, tmp_path: Path) -> None:
    def script(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(b"* OK ready\r\n")
        lines = conn.makefile("rb")
        tag = lines.readline().split()[0]
        conn.sendall(b"* CAPABILITY IMAP4rev1\r\n" + tag + b" OK done\r\n")
        login = lines.readline()
        tag, sent = login.split(b" ", 1)
        conn.sendall(tag + b" NO \xff you sent\xfe" + sent.strip() + b"\xc3\r\n")
        stop.wait()

    findings, code, err = cleartext_login(probe, tmp_path, script, "imap")
    assert findings == [
        Found(5, "MC820", "info", "IMAP over no TLS; login offered: LOGIN command"),
        Found(5, "MC815", "error", 'the server refused the credentials of alice@example.org (LOGIN command): '
              '"NO \\xff you sent\\xfeLOGIN \\"alice@example.org\\" \\"***\\"\\xc3"'),
    ]  # fmt: skip
    assert (code, err) == (1, "")


#: what a server may send before probe's TLS hello under implicit TLS, and the finding: as the handshake would have
#: ended, had the bytes come after the hello (a TLS server with no version to speak sends its alert at once; a
#: cleartext port greets)
BEFORE_THE_HELLO = [
    (b"\x15\x03\x03\x00\x02\x02\x46", "the TLS handshake failed: TLSV1_ALERT_PROTOCOL_VERSION; the server and probe "
     "share no TLS version (probe speaks TLS 1.2 and 1.3; RFC 8996)"),
    (b"* OK ready\r\n", "the TLS handshake failed: WRONG_VERSION_NUMBER; check security and port"),
    (b"\x16\x03", "the server sent 2 bytes before probe's TLS hello, and a TLS server sends nothing before it: "
     "check security and port"),
]  # fmt: skip


@pytest.mark.parametrize(("sent", "message"), BEFORE_THE_HELLO, ids=["alert", "cleartext-greeting", "half-a-record"])
def test_bytes_before_the_hello_under_implicit_tls_are_read_as_tls(sent: bytes, message: str) -> None:
    """Under implicit TLS the bytes that came before the handshake began were called a STARTTLS injection. They are no
    attack there: a cleartext port greeting (Dovecot's 143 with security: tls), a TLS server that has no version in
    common with any client alerting at once. Which finding came depended on whether the bytes were read before the
    handshake began (MC818 "STARTTLS injection") or during it (MC804): now OpenSSL reads them as the handshake would."""
    from mailconf.probe.conn import Connection, ProbeError, Progress, render

    async def handshake() -> ProbeError:
        reader = asyncio.StreamReader()
        reader.feed_data(sent)
        conn = Connection(reader, cast(asyncio.StreamWriter, None), Progress())
        context = ssl.create_default_context()
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        with pytest.raises(ProbeError) as failure:
            await conn.start_tls(context, "mail.example.org")
        return failure.value

    failure = asyncio.run(handshake())
    assert (failure.check.ID, render(failure.message, str)) == ("MC804", message)


#: a server that sends an empty line where an answer is due, and what probe says of it (it quoted the line: got "")
_EMPTY_LINES = {
    "imap greeting": ("imap", [b"\r\n"], "expected an IMAP greeting (* OK), got an empty line"),
    "pop3 greeting": ("pop3", [b"\r\n"], "expected a POP3 greeting (+OK), got an empty line"),
    "smtp greeting": ("smtp", [b"\r\n"], "expected an SMTP reply, got an empty line"),
    "smtp EHLO": ("smtp", [b"220 ready\r\n", b"250-hi\r\n\r\n"], "expected an SMTP reply, got an empty line"),
}


@pytest.mark.parametrize("case", _EMPTY_LINES)
def test_an_empty_line_where_an_answer_is_due_is_named(probe: Any, case: str) -> None:
    """Said as POP3's empty answer to STLS is (test_a_stray_empty_line_taken_for_the_answer_to_stls_is_named)."""
    protocol, answers, said = _EMPTY_LINES[case]

    def script(conn: socket.socket, stop: threading.Event) -> None:
        reader = conn.makefile("rb")
        conn.sendall(answers[0])
        for answer in answers[1:]:
            reader.readline()
            conn.sendall(answer)
        stop.wait()

    side = "outgoing" if protocol == "smtp" else "incoming"
    with ScriptedServer(script) as scripted:
        run = probe(**{side: {"protocol": protocol, "host": "127.0.0.1", "port": scripted.port,
                              "security": "none", "auth": "none", "timeout": 2}})  # fmt: skip
    assert run.findings == [Found(5, "MC818", "error", said)]
