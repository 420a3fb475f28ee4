"""Fixtures: real servers on 127.0.0.1 (tests/servers.py) and a helper that runs `mailconf probe`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from mailconf.cli import main
from tests.conftest import need
from tests.servers import (
    Certificates,
    Dovecot,
    ScriptedServer,
    SmtpServer,
    make_certificates,
    never_greet,
    stall_after_starttls,
)


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("certs"))


def _dovecot(certs: Certificates, **kwargs: Any) -> Iterator[Dovecot]:
    need("dovecot")
    with Dovecot(**kwargs) as server:
        yield server


@pytest.fixture(scope="session")
def dovecot(certs: Certificates) -> Iterator[Dovecot]:
    """IMAP/POP3 with STARTTLS and implicit TLS, the good certificate (localhost, 127.0.0.1)."""
    yield from _dovecot(certs, tls=certs.good)


@pytest.fixture(scope="session")
def dovecot_no_tls(certs: Certificates) -> Iterator[Dovecot]:
    """IMAP/POP3 without TLS at all (no STARTTLS), cleartext login allowed."""
    yield from _dovecot(certs, tls=None, disable_plaintext_auth=False)


@pytest.fixture(scope="session")
def dovecot_expired(certs: Certificates) -> Iterator[Dovecot]:
    yield from _dovecot(certs, tls=certs.expired)


@pytest.fixture(scope="session")
def dovecot_wrong_name(certs: Certificates) -> Iterator[Dovecot]:
    yield from _dovecot(certs, tls=certs.wrong_name)


@pytest.fixture(scope="session")
def dovecot_self_signed(certs: Certificates) -> Iterator[Dovecot]:
    yield from _dovecot(certs, tls=certs.self_signed)


@pytest.fixture(scope="session")
def smtp_starttls(certs: Certificates) -> Iterator[SmtpServer]:
    """Submission: STARTTLS required, AUTH PLAIN/LOGIN only after TLS."""
    with SmtpServer(certs.good) as server:
        yield server


@pytest.fixture(scope="session")
def smtp_tls(certs: Certificates) -> Iterator[SmtpServer]:
    """Submission over implicit TLS, AUTH PLAIN/LOGIN/XOAUTH2/OAUTHBEARER (token for alice: tok-alice)."""
    with SmtpServer(
        certs.good,
        implicit=True,
        mechanisms=("PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER"),
        tokens={"alice@example.org": "tok-alice"},
    ) as server:
        yield server


@pytest.fixture
def silent() -> Iterator[ScriptedServer]:
    with ScriptedServer(never_greet) as server:
        yield server


@pytest.fixture
def stalls_after_starttls() -> Iterator[ScriptedServer]:
    with ScriptedServer(stall_after_starttls) as server:
        yield server


class Found(NamedTuple):
    line: int
    rule: str
    severity: str
    message: str


class Run(NamedTuple):
    code: int
    findings: list[Found]
    out: str
    err: str


def write_accounts(path: Path, incoming: dict[str, Any] | None = None, outgoing: dict[str, Any] | None = None) -> Path:
    """An account file: `incoming:` on line 5, `outgoing:` on the line after it (flow mappings)."""
    lines = ["version: 1", "accounts:", "  test:", "    address: alice@example.org"]
    if incoming is not None:
        lines.append(f"    incoming: {json.dumps(incoming)}")
    if outgoing is not None:
        lines.append(f"    outgoing: {json.dumps(outgoing)}")
    path.write_text("\n".join(lines) + "\n")
    return path


def secret_file(directory: Path, secret: str, name: str = "secret") -> str:
    """A password_command that prints `secret` (the file is 0600)."""
    path = directory / name
    path.write_text(secret + "\n")
    path.chmod(0o600)
    return f"cat {path}"


@pytest.fixture
def probe(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> Any:
    """probe(incoming=..., outgoing=..., args=[...]) -> Run: json output parsed, the location column checked.

    Output is captured at the file-descriptor level, so what a password command might print to
    the terminal would show up in ``out``/``err`` too.
    """

    def run(
        incoming: dict[str, Any] | None = None, outgoing: dict[str, Any] | None = None, args: tuple[str, ...] = ()
    ) -> Run:
        path = write_accounts(tmp_path / "accounts.yaml", incoming, outgoing)
        capfd.readouterr()
        code = main(["probe", "--format", "json", *args, str(path)])
        out, err = capfd.readouterr()
        found = []
        for item in json.loads(out):
            assert item["path"] == str(path)
            assert item["column"] == 5
            found.append(Found(item["line"], item["rule"], item["severity"], item["message"]))
        return Run(code, found, out, err)

    return run
