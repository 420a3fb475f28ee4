"""Real mail servers on 127.0.0.1 for the probe and end-to-end tests.

Everything here starts real software on loopback with certificates made on the
spot, on ports chosen free at start, and stops it again:

- :func:`make_certificates`: a trustme CA and leaves (good for ``localhost`` and
  ``127.0.0.1``; expired; for the wrong name; expiring in 5 days) plus a
  self-signed certificate, all as PEM files;
- :class:`Dovecot`: IMAP (plain/STARTTLS) + IMAPS, POP3 (plain/STLS) + POP3S,
  optionally its submission service (STARTTLS + implicit TLS, relaying to a port
  of your choice), users in a passwd-file (:data:`ALICE`, and :data:`CAROL` whose
  password holds every quoting character), ``deliver()``/``inbox()`` to put mail
  in and count it, started from its own config and stopped by ``master.pid``
  (waiting for the master to exit); no authentication penalty, so a wrong password
  in one test never slows the next test's login from 127.0.0.1;
- :class:`SmtpServer`: aiosmtpd, STARTTLS with AUTH only after TLS, or implicit
  TLS with AUTH; received messages kept in ``messages`` (with the login);
- :class:`ScriptedServer`: a TCP server that misbehaves on purpose (accepts and
  never greets; greets, offers STARTTLS, says OK and then stalls; refuses every
  login quoting back what it received, :func:`refuse_and_echo`), or does one
  thing Dovecot cannot show here (SCRAM by the scramp library, :func:`scram_imap`).

Each is a context manager; the pytest fixtures in ``tests/probe/conftest.py``
show how to use them.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hmac
import os
import random
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, NamedTuple, Self

if TYPE_CHECKING:
    from cryptography import x509

HOST = "127.0.0.1"
#: Every wait for a server to come up or go down is bounded by this.
START_TIMEOUT = 10.0


_HANDED_OUT: set[int] = set()
_HANDED_OUT_LOCK = threading.Lock()
_PICK = random.Random()
#: Ports are picked below the kernel's ephemeral range (:func:`_ephemeral_floor`), from here on.
_LOWEST = 10_000


def _ephemeral_floor() -> int:
    """The lowest port the kernel gives an outgoing connection or a bind to port 0 (``ip_local_port_range``)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def free_port() -> int:
    """A port nothing listens on right now, on TCP and UDP, never one handed out before in this process.

    Picked at random *below* the kernel's ephemeral range, not by binding port 0: a port the kernel picks is
    one it may give next to an outgoing connection (any test's client, another process) in the moment between
    this check and the server's bind, and a test that connects to a port nothing listens on could then connect
    to itself (TCP simultaneous open: source port == destination port). Below the range neither can happen.
    UDP is checked too: dnsmasq binds the port on both.
    """
    top = _ephemeral_floor() - 1
    with _HANDED_OUT_LOCK:
        for _ in range(1000):
            port = _PICK.randint(_LOWEST, top)
            if port in _HANDED_OUT or not _bindable(port):
                continue
            _HANDED_OUT.add(port)
            return port
    raise RuntimeError(f"no fresh free port on {HOST} between {_LOWEST} and {top}")


def _bindable(port: int) -> bool:
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        with socket.socket(socket.AF_INET, kind) as sock:
            try:
                sock.bind((HOST, port))
            except OSError:
                return False
    return True


def wait_for_port(port: int, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing listens on {HOST}:{port} after {timeout} s") from None
            time.sleep(0.02)


# --- certificates -------------------------------------------------------------------------


class KeyPair(NamedTuple):
    cert: Path  # PEM: the certificate then its chain
    key: Path  # PEM private key
    der: bytes  # the server certificate itself, DER (for fingerprints)


@dataclass(frozen=True)
class Certificates:
    ca: Path  # the CA that signed good/expired/wrong_name/expiring
    good: KeyPair  # localhost, 127.0.0.1
    expired: KeyPair  # 127.0.0.1, expired 30 days ago
    wrong_name: KeyPair  # wrong.example only
    expiring: KeyPair  # 127.0.0.1, expires in 5 days
    self_signed: KeyPair  # 127.0.0.1, its own issuer

    def fingerprint(self, pair: KeyPair, algorithm: str = "sha256") -> str:
        import hashlib

        digest = hashlib.new(algorithm, pair.der).digest()
        return f"{algorithm}:" + ":".join(f"{b:02X}" for b in digest)


def _der(pem: bytes) -> bytes:
    return ssl.PEM_cert_to_DER_cert(pem.decode("ascii"))


def make_certificates(directory: Path) -> Certificates:
    import trustme

    directory.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="mailconf test CA")
    ca_path = directory / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_path))
    now = dt.datetime.now(dt.UTC)

    def leaf(name: str, *identities: str, **dates: dt.datetime) -> KeyPair:
        issued = ca.issue_cert(*identities, common_name=identities[0], **dates)
        cert, key = directory / f"{name}.pem", directory / f"{name}.key"
        issued.private_key_pem.write_to_path(str(key))
        cert.write_bytes(b"".join(blob.bytes() for blob in issued.cert_chain_pems))
        return KeyPair(cert, key, _der(issued.cert_chain_pems[0].bytes()))

    return Certificates(
        ca=ca_path,
        good=leaf("good", "localhost", HOST),
        expired=leaf("expired", HOST, not_before=now - dt.timedelta(days=400), not_after=now - dt.timedelta(days=30)),
        wrong_name=leaf("wrong-name", "wrong.example"),
        expiring=leaf("expiring", HOST, not_before=now - dt.timedelta(days=10), not_after=now + dt.timedelta(days=5)),
        self_signed=_self_signed(directory, HOST),
    )


def _self_signed(directory: Path, host: str) -> KeyPair:
    now = dt.datetime.now(dt.UTC)
    return self_signed(directory, "self-signed", host, now - dt.timedelta(days=1), now + dt.timedelta(days=365))


def self_signed(
    directory: Path,
    name: str,
    host: str | None,
    not_before: dt.datetime,
    not_after: dt.datetime,
    *,
    subject: x509.Name | None = None,
    alt_names: Sequence[x509.GeneralName] = (),
    ca: bool = False,
    serial: int | None = None,
) -> KeyPair:
    """A self-signed certificate (EC P-256, SHA-256) valid between the two moments, written to ``NAME.pem``
    and ``NAME.key`` in ``directory``.

    By default its subject is ``CN=NAME.test`` and its one subjectAltName ``host`` (an IP address);
    ``subject``, ``alt_names`` (instead of ``host``: pass None), ``ca`` (basicConstraints CA:TRUE,
    critical) and ``serial`` (default: random) make the certificates a test needs.
    cryptography writes a year before 2050 as UTCTime (two digits, RFC 5280 section 4.1.2.5.1)
    and 2050 on as GeneralizedTime, as RFC 5280 requires.
    """
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = subject or x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name}.test")])
    names = [*alt_names, *([x509.IPAddress(ipaddress.ip_address(host))] if host is not None else [])]
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number() if serial is None else serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    if ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    cert = builder.sign(key, hashes.SHA256())
    cert_path, key_path = directory / f"{name}.pem", directory / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return KeyPair(cert_path, key_path, cert.public_bytes(serialization.Encoding.DER))


def server_context(pair: KeyPair, maximum: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(pair.cert), str(pair.key))
    if maximum is not None:
        context.maximum_version = maximum
    return context


# --- Dovecot --------------------------------------------------------------------------------


class User(NamedTuple):
    name: str
    password: str


#: The nasty user of FORMATS.md: every quoting character a config or a protocol can trip on.
CAROL = User("carol@example.org", "P'q\"r;s\\t`u$v #w%x")
ALICE = User("alice@example.org", "alice-secret-1")


class Daemon:
    """A context manager over ``start()`` and ``stop()``: a start that fails half-way is stopped too, so no
    daemon, pid file or folder is left behind."""

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class DovecotPorts:
    imap: int = field(default_factory=free_port)  # cleartext, STARTTLS when ssl is on
    imaps: int = field(default_factory=free_port)
    pop3: int = field(default_factory=free_port)
    pop3s: int = field(default_factory=free_port)
    submission: int = field(default_factory=free_port)  # STARTTLS (587-style); only with submission=True
    submissions: int = field(default_factory=free_port)  # implicit TLS (465-style)


_DOVECOT_CONF = """\
protocols = {protocols}
listen = {host}
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
ssl = {ssl}
{ssl_files}
disable_plaintext_auth = {disable_plaintext_auth}
auth_mechanisms = {mechanisms}
{username_chars}auth_verbose = yes
# answer a wrong password at once (the default waits 2 s)
auth_failure_delay = 0
# No authentication penalty: after a wrong password anvil delays every later login from that IP (127.0.0.1: every
# test) by 2, 4, 8 up to 15 s, so a test logging in after another's wrong password missed its deadline. Mode 0 is
# Dovecot's documented switch (doc.dovecot.org 2.3, "Authentication penalty support"); login_trusted_networks, which
# that page also names, did not lift it here (Dovecot 2.3.19) and made submission offer XCLIENT.
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
# no stats service: its missing socket made every process wait 5 s at shutdown
stats_writer_socket_path =
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/users
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    port = {ports.imap}
  }}
  inet_listener imaps {{
    port = {imaps_port}
    ssl = yes
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = {ports.pop3}
  }}
  inet_listener pop3s {{
    port = {pop3s_port}
    ssl = yes
  }}
}}
{submission}"""

_SUBMISSION_CONF = """\
hostname = localhost
submission_relay_host = {host}
submission_relay_port = {relay_port}
submission_relay_trusted = yes
service submission-login {{
  inet_listener submission {{
    port = {ports.submission}
  }}
  inet_listener submissions {{
    port = {submissions_port}
    ssl = yes
  }}
}}
"""


class Dovecot(Daemon):
    """A private Dovecot on 127.0.0.1 (never the system one, never a standard port).

    ``tls=None`` runs it without TLS (no STARTTLS offered, no implicit-TLS
    listeners: their ports then have nothing listening). ``submission=True`` adds
    Dovecot's submission service (``ports.submission`` with STARTTLS,
    ``ports.submissions`` with implicit TLS), relaying accepted mail to
    127.0.0.1:``relay_port`` (for example an :class:`SmtpServer` without TLS).
    """

    def __init__(
        self,
        tls: KeyPair | None,
        users: Sequence[User] = (ALICE, CAROL),
        *,
        disable_plaintext_auth: bool = True,
        mechanisms: Sequence[str] = ("plain", "login"),
        submission: bool = False,
        relay_port: int | None = None,
        any_username: bool = False,
    ) -> None:
        self.tls = tls
        # Dovecot's auth_username_chars refuses % * \\ blanks and non-ASCII in a user name whatever the client sent;
        # any_username lifts it, for tests of what a client sends
        self.any_username = any_username
        self.submission = submission
        self.relay_port = relay_port if relay_port is not None else free_port()
        self.users = tuple(users)
        self.disable_plaintext_auth = disable_plaintext_auth
        self.mechanisms = tuple(mechanisms)
        self.ports = DovecotPorts()
        self.root = Path(tempfile.mkdtemp(prefix="mailconf-dovecot-"))
        self.pid: int | None = None

    @property
    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self) -> Self:
        binary = shutil.which("dovecot")
        if binary is None:
            raise RuntimeError("dovecot is not installed")
        self.root.chmod(0o755)
        home = self.root / "home"
        home.mkdir()
        lines = []
        for user in self.users:
            user_home = home / user.name
            user_home.mkdir()
            os.chown(user_home, 65534, 65534)  # nobody: Dovecot refuses mail uid 0
            lines.append(f"{user.name}:{{PLAIN}}{user.password}:65534:65534::{user_home}::")
        users = self.root / "users"
        users.write_text("\n".join(lines) + "\n")
        users.chmod(0o644)
        if self.tls is not None:
            ssl_files = f"ssl_cert = <{self.tls.cert}\nssl_key = <{self.tls.key}\n"
            imaps, pop3s = self.ports.imaps, self.ports.pop3s
        else:
            ssl_files, imaps, pop3s = "", 0, 0  # port 0: the listener is disabled
        submission = ""
        if self.submission:
            submission = _SUBMISSION_CONF.format(
                host=HOST,
                relay_port=self.relay_port,
                ports=self.ports,
                submissions_port=self.ports.submissions if self.tls is not None else 0,
            )
        conf = self.root / "dovecot.conf"
        conf.write_text(
            _DOVECOT_CONF.format(
                protocols="imap pop3 submission" if self.submission else "imap pop3",
                submission=submission,
                host=HOST,
                root=self.root,
                ssl="yes" if self.tls is not None else "no",
                ssl_files=ssl_files,
                disable_plaintext_auth="yes" if self.disable_plaintext_auth else "no",
                mechanisms=" ".join(self.mechanisms),
                username_chars="auth_username_chars =\n" if self.any_username else "",
                ports=self.ports,
                imaps_port=imaps,
                pop3s_port=pop3s,
            )
        )
        errors = self.root / "start.err"
        with errors.open("wb") as sink:  # the daemon keeps its stdio open: a file, never a pipe
            done = subprocess.run(
                [binary, "-c", str(conf)],
                check=False,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=sink,
                timeout=START_TIMEOUT,
            )
        if done.returncode != 0:
            raise RuntimeError(f"dovecot did not start: {errors.read_text(errors='replace')}\n{self.log}")
        self.pid = _read_pid(self.root / "run" / "master.pid")
        ports = [self.ports.imap, self.ports.pop3]
        if self.tls is not None:
            ports += [imaps, pop3s]
        if self.submission:
            ports += [self.ports.submission, *([self.ports.submissions] if self.tls is not None else [])]
        for port in ports:
            wait_for_port(port)
        return self

    def maildir(self, user: User) -> Path:
        return self.root / "home" / user.name / "Maildir"

    def deliver(self, user: User, message: bytes) -> Path:
        """Put a message straight into the user's INBOX (Maildir/new), owned by the mail uid."""
        maildir = self.maildir(user)
        for sub in ("", "cur", "new", "tmp"):
            (maildir / sub).mkdir(exist_ok=True)
            os.chown(maildir / sub, 65534, 65534)
        path = maildir / "new" / f"{time.time_ns()}.{os.getpid()}.mailconf"
        path.write_bytes(message)
        os.chown(path, 65534, 65534)
        return path

    def inbox(self, user: User) -> list[Path]:
        """The messages in the user's INBOX (new and cur), e.g. to check leave-on-server."""
        maildir = self.maildir(user)
        return sorted(p for sub in ("new", "cur") if (maildir / sub).is_dir() for p in (maildir / sub).iterdir())

    def stop(self) -> None:
        pid_file = self.root / "run" / "master.pid"
        if self.pid is None and pid_file.exists():  # started, but start() gave up before reading it
            with contextlib.suppress(ValueError, OSError):
                self.pid = int(pid_file.read_text().strip())
        if self.pid is not None:
            _stop_process(self.pid)
            self.pid = None
        shutil.rmtree(self.root, ignore_errors=True)


def _read_pid(path: Path) -> int:
    """The daemon writes its pid file after the starting process returns: wait for it (bounded)."""
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        with contextlib.suppress(FileNotFoundError, ValueError):
            return int(path.read_text().strip())
        if time.monotonic() > deadline:
            raise RuntimeError(f"{path} did not appear within {START_TIMEOUT} s")
        time.sleep(0.01)


def _alive(pid: int) -> bool:
    """Running, and not a zombie (a daemon's parent here may be a PID 1 that never reaps)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _stop_process(pid: int) -> None:
    """SIGTERM, wait (bounded) for the process to end, SIGKILL if it did not."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if not _alive(pid):
            return
        time.sleep(0.02)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


# --- SMTP submission (aiosmtpd) -------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    login: str | None  # the authenticated user
    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        login = session.auth_data.decode() if isinstance(session.auth_data, bytes) else None
        self.server.messages.append(
            Received(login, envelope.mail_from, tuple(envelope.rcpt_tos), bytes(envelope.original_content or b""))
        )
        return "250 2.0.0 OK"

    async def auth_CRAM__MD5(self, server: Any, args: list[str]) -> Any:  # aiosmtpd's naming: __ is -
        from aiosmtpd.smtp import AuthResult

        challenge = f"<{os.getpid()}.{time.monotonic_ns()}@mailconf.test>".encode()
        answer = await server.challenge_auth(challenge)
        if not isinstance(answer, bytes) or b" " not in answer:
            return AuthResult(success=False, handled=False)
        user, digest = answer.decode().rsplit(" ", 1)
        password = self.server.passwords.get(user)
        if password is None:
            return AuthResult(success=False, handled=False)
        expected = hmac.new(password.encode(), challenge, "md5").hexdigest()
        return AuthResult(success=hmac.compare_digest(expected, digest), auth_data=user.encode())

    async def auth_XOAUTH2(self, server: Any, args: list[str]) -> Any:  # aiosmtpd's naming: __ is -
        from aiosmtpd.smtp import AuthResult

        blob = base64.b64decode(args[1]) if len(args) > 1 else await server.challenge_auth("")
        if not isinstance(blob, bytes):
            return AuthResult(success=False, handled=False)
        fields = dict(part.split("=", 1) for part in blob.decode().split("\x01") if "=" in part)
        user, token = fields.get("user", ""), fields.get("auth", "").removeprefix("Bearer ")
        if self.server.tokens.get(user) == token:
            return AuthResult(success=True, auth_data=user.encode())
        await server.challenge_auth(b'{"status":"401"}')
        return AuthResult(success=False, handled=False)

    async def auth_OAUTHBEARER(self, server: Any, args: list[str]) -> Any:  # RFC 7628
        from aiosmtpd.smtp import AuthResult

        blob = base64.b64decode(args[1]) if len(args) > 1 else await server.challenge_auth("")
        if not isinstance(blob, bytes):
            return AuthResult(success=False, handled=False)
        header, _, rest = blob.decode().partition("\x01")
        user = (
            next((p[2:] for p in header.split(",") if p.startswith("a=")), "").replace("=2C", ",").replace("=3D", "=")
        )
        fields = dict(part.split("=", 1) for part in rest.split("\x01") if "=" in part)
        if self.server.tokens.get(user) == fields.get("auth", "").removeprefix("Bearer "):
            return AuthResult(success=True, auth_data=user.encode())
        await server.challenge_auth(b'{"status":"invalid_token"}')
        return AuthResult(success=False, handled=False)


class SmtpServer:
    """aiosmtpd on 127.0.0.1: ``implicit=True`` is TLS from the first byte (465-style);
    otherwise STARTTLS (587-style), AUTH only after TLS when ``tls`` is given.

    ``mechanisms`` restricts AUTH (aiosmtpd offers PLAIN, LOGIN, and here CRAM-MD5, XOAUTH2 and
    OAUTHBEARER; ``tokens`` maps a user to the access token the OAuth2 mechanisms accept).
    """

    ALL_MECHANISMS = ("PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2", "OAUTHBEARER")

    def __init__(
        self,
        tls: KeyPair | None,
        *,
        implicit: bool = False,
        users: Sequence[User] = (ALICE, CAROL),
        tokens: dict[str, str] | None = None,
        mechanisms: Sequence[str] = ("PLAIN", "LOGIN"),
        maximum_tls: ssl.TLSVersion | None = None,
    ) -> None:
        self.tls = tls
        self.implicit = implicit
        self.passwords = {u.name: u.password for u in users}
        self.tokens = dict(tokens or {})
        self.mechanisms = tuple(mechanisms)
        self.maximum_tls = maximum_tls
        self.port = free_port()
        self.messages: list[Received] = []
        self._controller: Any = None

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        from aiosmtpd.smtp import AuthResult, LoginPassword

        if isinstance(data, LoginPassword):
            ok = self.passwords.get(data.login.decode()) == data.password.decode()
            return AuthResult(success=ok, auth_data=data.login if ok else None, handled=False)
        return AuthResult(success=False, handled=False)

    def start(self) -> SmtpServer:
        from aiosmtpd.controller import Controller

        context = server_context(self.tls, self.maximum_tls) if self.tls is not None else None
        excluded = [m for m in self.ALL_MECHANISMS if m not in self.mechanisms]
        kwargs: dict[str, Any] = {
            "authenticator": self._authenticate,
            "auth_exclude_mechanism": excluded,
            # with implicit TLS aiosmtpd does not know the session is encrypted: AUTH is always inside TLS
            "auth_require_tls": context is not None and not self.implicit,
        }
        if self.implicit:
            kwargs["ssl_context"] = context
        elif context is not None:
            kwargs.update(tls_context=context, require_starttls=True)
        self._controller = Controller(_Handler(self), hostname=HOST, port=self.port, **kwargs)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- misbehaving servers --------------------------------------------------------------------

Script = Callable[[socket.socket, threading.Event], None]


def never_greet(conn: socket.socket, stop: threading.Event) -> None:
    """Accept, say nothing, hold the connection until the test ends."""
    stop.wait()


def stall_after_starttls(conn: socket.socket, stop: threading.Event) -> None:
    """An IMAP server that agrees to STARTTLS and then never starts the handshake."""
    conn.sendall(b"* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready\r\n")
    reader = conn.makefile("rb")
    for raw in reader:
        tag, _, command = raw.decode(errors="replace").strip().partition(" ")
        if command.upper() == "CAPABILITY":
            conn.sendall(b"* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\n" + f"{tag} OK done\r\n".encode())
        elif command.upper() == "STARTTLS":
            conn.sendall(f"{tag} OK Begin TLS negotiation now\r\n".encode())
            stop.wait()
            return
        else:
            conn.sendall(f"{tag} BAD unexpected\r\n".encode())


def imap_logindisabled(context: ssl.SSLContext) -> Script:
    """An IMAP server that refuses login before TLS (LOGINDISABLED), then does a real STARTTLS.

    Dovecot cannot show this on loopback: it treats a client on its own IP as secured.
    """

    def script(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(b"* OK ready\r\n")
        stream: socket.socket = conn
        reader = stream.makefile("rb")
        while raw := reader.readline(8192):
            tag, _, command = raw.decode(errors="replace").strip().partition(" ")
            verb = command.upper()
            if verb == "CAPABILITY":
                words = "IMAP4rev1 AUTH=PLAIN" if stream is not conn else "IMAP4rev1 STARTTLS LOGINDISABLED"
                stream.sendall(f"* CAPABILITY {words}\r\n{tag} OK done\r\n".encode())
            elif verb == "STARTTLS":
                stream.sendall(f"{tag} OK Begin TLS negotiation now\r\n".encode())
                stream = context.wrap_socket(conn, server_side=True)
                reader = stream.makefile("rb")
            elif verb == "LOGOUT":
                stream.sendall(f"* BYE\r\n{tag} OK bye\r\n".encode())
                return
            else:
                stream.sendall(f"{tag} BAD unexpected\r\n".encode())

    return script


#: The challenge the refusing servers send for CRAM-MD5 (fixed, so that a test can compute the digest).
CRAM_CHALLENGE = b"<1896.697170952@mailconf.test>"


def _b64(data: bytes) -> bytes:
    return base64.b64encode(data)


def _unb64(line: bytes) -> bytes:
    try:
        return base64.b64decode(line.strip(), validate=False)
    except ValueError:
        return b"?"


def _sasl_lines(mechanism: str, initial: bytes | None, ask: Callable[[bytes], bytes]) -> list[bytes]:
    """What a client sent in one SASL exchange (base64 lines), the server asking ``ask(challenge)``."""
    sent = [initial] if initial is not None else []
    if mechanism == "LOGIN":
        sent += [ask(b"Username:"), ask(b"Password:")]
    elif mechanism == "CRAM-MD5":
        sent.append(ask(CRAM_CHALLENGE))
    elif initial is None:
        sent.append(ask(b""))
    return sent


def _echo(sent: Sequence[bytes]) -> bytes:
    """Everything the client sent, decoded (control bytes and all) and as it came: what a careless server logs."""
    return b" / ".join(_unb64(line) + b" = " + line.strip() for line in sent)


def _asker(conn: socket.socket, reader: Any, prefix: bytes) -> Callable[[bytes], bytes]:
    """Send a SASL challenge (``+ `` or ``334 ``), return the client's answer line."""

    def ask(challenge: bytes) -> bytes:
        conn.sendall(prefix + _b64(challenge) + b"\r\n")
        return bytes(reader.readline(65536))

    return ask


def _echoed_sasl(conn: socket.socket, reader: Any, args: bytes, prefix: bytes) -> bytes:
    """Run the SASL exchange of ``AUTH[ENTICATE] MECHANISM [INITIAL]`` (``args``); what the client sent, echoed."""
    mechanism, _, initial = args.partition(b" ")
    return _echo(_sasl_lines(mechanism.decode().upper(), initial or None, _asker(conn, reader, prefix)))


def _refuse_imap(conn: socket.socket, reader: Any) -> None:
    conn.sendall(b"* OK ready\r\n")
    while raw := reader.readline(65536):
        tag, _, rest = raw.rstrip(b"\r\n").partition(b" ")
        verb, _, args = rest.partition(b" ")
        if verb.upper() == b"CAPABILITY":
            conn.sendall(b"* CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN AUTH=CRAM-MD5\r\n" + tag + b" OK done\r\n")
        elif verb.upper() == b"LOGIN":
            conn.sendall(tag + b" NO [AUTHENTICATIONFAILED] you sent LOGIN " + args + b"\r\n")
        elif verb.upper() == b"AUTHENTICATE":
            conn.sendall(tag + b" BAD you sent " + _echoed_sasl(conn, reader, args, b"+ ") + b"\r\n")
        elif verb.upper() == b"LOGOUT":
            conn.sendall(b"* BYE\r\n" + tag + b" OK bye\r\n")
            return
        else:
            conn.sendall(tag + b" BAD unexpected\r\n")


def _refuse_pop3(conn: socket.socket, reader: Any) -> None:
    conn.sendall(b"+OK ready\r\n")
    while raw := reader.readline(65536):
        verb, _, args = raw.rstrip(b"\r\n").partition(b" ")
        if verb.upper() == b"CAPA":
            conn.sendall(b"+OK\r\nUSER\r\nSASL PLAIN CRAM-MD5\r\n.\r\n")
        elif verb.upper() == b"USER":
            conn.sendall(b"+OK send PASS\r\n")
        elif verb.upper() == b"PASS":
            conn.sendall(b"-ERR [AUTH] you sent PASS " + args + b"\r\n")
        elif verb.upper() == b"AUTH":
            conn.sendall(b"-ERR [AUTH] you sent " + _echoed_sasl(conn, reader, args, b"+ ") + b"\r\n")
        elif verb.upper() == b"QUIT":
            conn.sendall(b"+OK bye\r\n")
            return
        else:
            conn.sendall(b"-ERR unexpected\r\n")


def _refuse_smtp(conn: socket.socket, reader: Any) -> None:
    conn.sendall(b"220 ready\r\n")
    while raw := reader.readline(65536):
        verb, _, args = raw.rstrip(b"\r\n").partition(b" ")
        if verb.upper() == b"EHLO":
            conn.sendall(b"250-hello\r\n250 AUTH PLAIN LOGIN CRAM-MD5 XOAUTH2 OAUTHBEARER\r\n")
        elif verb.upper() == b"AUTH":
            conn.sendall(b"535 5.7.8 you sent " + _echoed_sasl(conn, reader, args, b"334 ") + b"\r\n")
        elif verb.upper() == b"QUIT":
            conn.sendall(b"221 bye\r\n")
            return
        else:
            conn.sendall(b"502 unexpected\r\n")


def refuse_and_echo(protocol: str) -> Script:
    """A server that refuses every login, quoting back what it received (the secret in every form sent).

    IMAP offers AUTH=PLAIN and AUTH=CRAM-MD5 (so a declared ``login`` uses the LOGIN command) and
    answers NO to LOGIN, BAD to AUTHENTICATE; POP3 offers USER and SASL PLAIN CRAM-MD5 (so a
    declared ``login`` uses USER/PASS) and answers -ERR; SMTP offers AUTH PLAIN LOGIN CRAM-MD5
    XOAUTH2 OAUTHBEARER and answers 535. No TLS: probe it with ``--allow-cleartext``.
    """
    dialogue = {"imap": _refuse_imap, "pop3": _refuse_pop3, "smtp": _refuse_smtp}[protocol]

    def script(conn: socket.socket, stop: threading.Event) -> None:
        dialogue(conn, conn.makefile("rb"))

    return script


def scram_imap(
    users: Sequence[User],
    mechanism: str = "SCRAM-SHA-256",
    offered: Sequence[str] | None = None,
    first: list[str] | None = None,
) -> Script:
    """An IMAP server whose only login is SCRAM, done by the scramp library's server side; ``first`` gets each
    client-first message (its authorization identity ``a=``, its user ``n=``).

    scramp prepares passwords with SASLprep (RFC 4013) as Dovecot and Cyrus do; a client that
    skips SASLprep fails with invalid-proof on a password SASLprep changes. ``offered`` replaces
    the mechanisms CAPABILITY lists (to offer a -PLUS one too, or only). No TLS: probe it with
    ``--allow-cleartext``.
    """
    import scramp

    scram = scramp.ScramMechanism(mechanism)
    auth = {user.name: scram.make_auth_info(user.password, iteration_count=4096) for user in users}

    def script(conn: socket.socket, stop: threading.Event) -> None:
        reader = conn.makefile("rb")
        conn.sendall(b"* OK ready\r\n")
        while raw := reader.readline(65536):
            tag, _, rest = raw.rstrip(b"\r\n").partition(b" ")
            verb, _, args = rest.partition(b" ")
            if verb.upper() == b"CAPABILITY":
                listed = " ".join(f"AUTH={name}" for name in (offered if offered is not None else [mechanism]))
                words = f"IMAP4rev1 SASL-IR {listed} LOGINDISABLED".encode()
                conn.sendall(b"* CAPABILITY " + words + b"\r\n" + tag + b" OK done\r\n")
            elif verb.upper() == b"AUTHENTICATE" and args.split(b" ")[0].upper() == mechanism.encode():
                initial = args[len(mechanism) + 1 :]
                if not initial:
                    conn.sendall(b"+ \r\n")
                    initial = reader.readline(65536)
                server = scram.make_server(lambda name: auth[name])
                if first is not None:
                    first.append(_unb64(initial).decode())
                try:
                    server.set_client_first(_unb64(initial).decode())
                    conn.sendall(b"+ " + _b64(server.get_server_first().encode()) + b"\r\n")
                    server.set_client_final(_unb64(reader.readline(65536)).decode())
                    conn.sendall(b"+ " + _b64(server.get_server_final().encode()) + b"\r\n")
                    reader.readline(65536)  # the empty answer to the server's signature
                    conn.sendall(tag + b" OK logged in\r\n")
                except (scramp.ScramException, KeyError) as exc:
                    conn.sendall(tag + b" NO [AUTHENTICATIONFAILED] " + str(exc).encode() + b"\r\n")
            elif verb.upper() == b"LOGOUT":
                conn.sendall(b"* BYE\r\n" + tag + b" OK bye\r\n")
                return
            else:
                conn.sendall(tag + b" BAD unexpected\r\n")

    return script


class ScriptedServer:
    """A TCP server on 127.0.0.1 (or ``host``, ``::1`` for IPv6) that runs ``script`` for each connection."""

    def __init__(self, script: Script, host: str = HOST) -> None:
        self.script = script
        self._stop = threading.Event()
        self._listener = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((host, 0))
        self.port = int(self._listener.getsockname()[1])
        self._threads: list[threading.Thread] = []
        self._connections: list[socket.socket] = []

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self._connections.append(conn)
            thread = threading.Thread(target=self._run, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _run(self, conn: socket.socket) -> None:
        try:
            with contextlib.suppress(OSError), conn:
                self.script(conn, self._stop)
        finally:
            # A script's makefile() readers keep the descriptor open after close(): shut the connection down so
            # the client sees the end at once instead of waiting for its own timeout.
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def start(self) -> ScriptedServer:
        self._listener.listen(16)
        thread = threading.Thread(target=self._serve, daemon=True)
        self._threads.append(thread)
        thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        for conn in self._connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(timeout=START_TIMEOUT)

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


@contextlib.contextmanager
def running(*servers: Dovecot | SmtpServer | ScriptedServer) -> Iterator[None]:
    """Start several servers; stop every one that started, whatever happens."""
    with contextlib.ExitStack() as stack:
        for server in servers:
            stack.enter_context(server)
        yield
