"""The discover rig: a real DNS server (dnsmasq), real HTTPS servers, and the Dovecot and SMTP servers.

- :class:`Dnsmasq` runs Debian's dnsmasq on 127.0.0.1 (an unprivileged port,
  no upstream, no /etc/hosts, only the records given: ``--srv-host``,
  ``--mx-host``, ``--host-record``); ``.test`` is its own, so other names
  there are NXDOMAIN.
- :class:`WebServer` is Python's http.server with TLS in a thread, serving
  autoconfig files and an ISPDB. Autoconfig URLs have no port
  (``https://autoconfig.DOMAIN/...``), so each web server listens on port 443
  of an address of its own in 127.0.0.0/8, which the DNS server names: that
  needs root (CI runs as root; elsewhere these tests skip).
- :data:`NAMES`: one leaf certificate from a CA of the rig's own for every
  test name (``*.example.test``, ``*.hoster.test``...), for the web servers and
  for Dovecot and the SMTP server, so the probe step checks real names.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import random
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple, Self

import pytest

from mailconf.cli import main
from tests.conftest import need
from tests.servers import START_TIMEOUT, Daemon, Dovecot, KeyPair, SmtpServer, free_port

from .rig import ADDRESS, LOCAL, Run

DNSMASQ = "/usr/sbin/dnsmasq"
NAMES = (
    "example.test",
    "*.example.test",
    "hoster.test",
    "*.hoster.test",
    "*.eu.hoster.test",
    "ispdb.test",
    "*.other.test",
)


class RigCerts(NamedTuple):
    ca: Path
    leaf: KeyPair  # every name in NAMES
    wrong: KeyPair  # wrong.invalid only


@pytest.fixture(scope="session")
def rig_certs(tmp_path_factory: pytest.TempPathFactory) -> RigCerts:
    import trustme

    directory = tmp_path_factory.mktemp("rig-certs")
    ca = trustme.CA(organization_name="mailconf discover test CA")
    ca.cert_pem.write_to_path(str(directory / "ca.pem"))

    def leaf(name: str, *identities: str) -> KeyPair:
        issued = ca.issue_cert(*identities)
        cert, key = directory / f"{name}.pem", directory / f"{name}.key"
        issued.private_key_pem.write_to_path(str(key))
        cert.write_bytes(b"".join(blob.bytes() for blob in issued.cert_chain_pems))
        return KeyPair(cert, key, b"")

    return RigCerts(directory / "ca.pem", leaf("leaf", *NAMES), leaf("wrong", "wrong.invalid"))


# --- DNS ------------------------------------------------------------------------------------


class Dnsmasq(Daemon):
    """dnsmasq on 127.0.0.1:``port`` answering only ``records`` (dnsmasq options without the dashes)."""

    def __init__(self, records: Sequence[str]) -> None:
        self.records = tuple(records)
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="mailconf-dnsmasq-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def server(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> Self:
        need(DNSMASQ)
        argv = [
            DNSMASQ, "--keep-in-foreground", "--no-resolv", "--no-hosts", "--conf-file=/dev/null",
            f"--port={self.port}", "--listen-address=127.0.0.1", "--bind-interfaces",
            f"--pid-file={self.root / 'pid'}", "--local=/test/", "--log-facility=-", "--user=root",
            *(f"--{record}" for record in self.records),
        ]  # fmt: skip
        log = (self.root / "log").open("wb")
        self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        deadline = time.monotonic() + START_TIMEOUT
        while b"cleared cache" not in (self.root / "log").read_bytes():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"dnsmasq did not start: {(self.root / 'log').read_text(errors='replace')}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(START_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)


class Relay:
    """A DNS server on 127.0.0.1 in front of ``upstream`` (dnsmasq), for what dnsmasq will not do: each query
    whose name and type (``"_imap._tcp.example.test."``, ``"SRV"``) ``hold`` gives None for is dropped (never
    answered), the others are passed on after ``hold(name, type)`` seconds, and the answer sent back. It stands where
    the discover fixture takes a :class:`Dnsmasq`."""

    def __init__(self, upstream: Dnsmasq, hold: Callable[[str, str], float | None]) -> None:
        self.upstream = upstream
        self.hold = hold
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.stopping = threading.Event()
        self.asked: list[str] = []  # the names asked, as they came
        self.thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def server(self) -> str:
        return f"127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self) -> None:
        import dns.message
        import dns.rdatatype

        while not self.stopping.is_set():
            try:
                data, peer = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            question = dns.message.from_wire(data).question[0]
            name = question.name.to_text()
            self.asked.append(name)
            delay = self.hold(name, dns.rdatatype.to_text(question.rdtype))
            if delay is not None:
                threading.Thread(target=self._pass_on, args=(data, peer, delay), daemon=True).start()

    def _pass_on(self, data: bytes, peer: tuple[str, int], delay: float) -> None:
        if self.stopping.wait(delay):
            return
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as upstream, contextlib.suppress(OSError):
            upstream.settimeout(START_TIMEOUT)
            upstream.sendto(data, ("127.0.0.1", self.upstream.port))
            self.sock.sendto(upstream.recv(65536), peer)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.thread.join(START_TIMEOUT)
        self.sock.close()


# --- web servers ----------------------------------------------------------------------------

#: A route's answer: (status, headers, body); or a callable that writes the answer itself
Answer = tuple[int, dict[str, str], bytes]
Handler = Callable[[http.server.BaseHTTPRequestHandler], None]


def endless(handler: http.server.BaseHTTPRequestHandler) -> None:
    """200 and a body that never ends (until the client hangs up)."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/xml")
    handler.end_headers()
    chunk = b"<!-- " + b"x" * 65536 + b" -->"
    with contextlib.suppress(OSError):
        while True:
            handler.wfile.write(chunk)


def hang(handler: http.server.BaseHTTPRequestHandler) -> None:
    """Accept the request and never answer (until the server stops)."""
    handler.server.stopping.wait()  # type: ignore[attr-defined]


def redirect(location: str) -> Answer:
    return 302, {"Location": location}, b""


def xml(text: str) -> Answer:
    return 200, {"Content-Type": "text/xml"}, text.encode("utf-8")


_used: set[str] = set()


def loopback_address(port: int) -> str:
    """An address in 127.0.0.0/8 where ``port`` is free (each web server gets its own)."""
    for _ in range(200):
        address = f"127.{random.randint(100, 254)}.{random.randint(0, 254)}.{random.randint(1, 254)}"
        if address in _used:
            continue
        with socket.socket() as probe:
            try:
                probe.bind((address, port))
            except OSError:
                continue
        _used.add(address)
        return address
    raise RuntimeError("no free loopback address")


class _HttpServer(http.server.ThreadingHTTPServer):
    """http.server's, quiet when the client hangs up (ConnectionError); any other error it prints, as it does.

    discover abandons an answer it refuses (a compressed one, one too long) without reading the rest, so its kernel
    resets the connection, which the handler meets reading the next request. Python 3.13 reports that reset under
    TLS too (gh-115627; 3.11 and 3.12.1 take it for a ragged EOF, an empty read), and socketserver printed its
    traceback into the standard error the ``discover`` fixture returns."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class WebServer:
    """HTTPS (or, with ``tls=None``, HTTP) on port 443 (80) of a loopback address of its own."""

    def __init__(self, routes: Mapping[str, Answer | Handler], tls: KeyPair | None) -> None:
        if os.geteuid() != 0:
            pytest.skip("the autoconfig URLs name no port: a web server on port 443 needs root (CI runs as root)")
        self.routes = routes
        self.tls = tls
        self.port = 443 if tls is not None else 80
        self.address = loopback_address(self.port)
        self.requests: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                outer.requests.append(f"{self.headers.get('Host')}{self.path}")
                route = outer.routes.get(self.path) or outer.routes.get(self.path.partition("?")[0])
                if route is None:
                    self.send_error(404)
                    return
                if callable(route):
                    route(self)
                    return
                status, headers, body = route
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = _HttpServer((self.address, self.port), Handler)
        self.stopping = threading.Event()
        self.httpd.stopping = self.stopping  # type: ignore[attr-defined]
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(tls.cert), str(tls.key))
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> WebServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(START_TIMEOUT)


@contextlib.contextmanager
def web_and_dns(
    routes: Mapping[str, Answer | Handler], tls: KeyPair | None, web_names: Sequence[str], records: Sequence[str] = ()
) -> Iterator[tuple[WebServer, Dnsmasq]]:
    """A web server for ``routes``, and dnsmasq answering each of ``web_names`` with its address, then ``records``
    and LOCAL (the rig's mail servers)."""
    with (
        WebServer(routes, tls) as web,
        Dnsmasq([*(f"host-record={name},{web.address}" for name in web_names), *records, *LOCAL]) as dns,
    ):
        yield web, dns


# --- mail servers ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def rig_dovecot(rig_certs: RigCerts) -> Iterator[Dovecot]:
    """Dovecot with the rig's certificate (imap.example.test and the rest of NAMES)."""
    need("dovecot")
    with Dovecot(tls=rig_certs.leaf) as server:
        yield server


@pytest.fixture(scope="session")
def rig_smtp(rig_certs: RigCerts) -> Iterator[SmtpServer]:
    """Submission over implicit TLS with the rig's certificate."""
    with SmtpServer(rig_certs.leaf, implicit=True) as server:
        yield server


@pytest.fixture(scope="session")
def rig_smtp_starttls(rig_certs: RigCerts) -> Iterator[SmtpServer]:
    with SmtpServer(rig_certs.leaf) as server:
        yield server


#: The deadline the discover fixture gives a run (a test may give a shorter one).
RUN_TIMEOUT = 10


@pytest.fixture
def discover(capfd: pytest.CaptureFixture[str], rig_certs: RigCerts) -> Any:
    """discover(dns, *args) -> Run: `mailconf discover ADDRESS --dns-server DNS --ca-file CA ...`, in process.

    It returns once the lookups the run no longer waited for have ended too: the command leaves them to end with
    its process, which here goes on. Each ends by the run's deadline, and sooner while the test's DNS and web
    servers still answer it."""

    def run(dns: Dnsmasq, *args: str, address: str = ADDRESS) -> Run:
        capfd.readouterr()
        argv = ["discover", address, "--dns-server", dns.server, "--ca-file", str(rig_certs.ca),
                "--timeout", str(RUN_TIMEOUT), "--ispdb-url", "https://ispdb.test/v1.1/", *args]  # fmt: skip
        before = set(threading.enumerate())
        code = main(argv)
        for thread in set(threading.enumerate()) - before:
            if thread.name.startswith("mailconf"):  # mailconf's lookups; the others are the test's web servers'
                thread.join(RUN_TIMEOUT + START_TIMEOUT)
        out, err = capfd.readouterr()
        return Run(code, out, err)

    return run


@pytest.fixture(scope="session")
def rig_dovecot_wrong_name(rig_certs: RigCerts) -> Iterator[Dovecot]:
    """Dovecot whose certificate is for wrong.invalid only."""
    need("dovecot")
    with Dovecot(tls=rig_certs.wrong) as server:
        yield server
