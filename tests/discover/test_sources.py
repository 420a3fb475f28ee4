"""Each source against the real rig (dnsmasq, HTTPS, Dovecot, SMTP), with the exact YAML printed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mailconf.cli import main
from mailconf.discover import guess
from mailconf.model import Protocol, Security
from tests.servers import Dovecot, SmtpServer, free_port

from .conftest import Dnsmasq, RigCerts, WebServer, xml
from .rig import ADDRESS, IMAPS_OK, SMTPS_OK, Run, account, config, server

AUTOCONFIG = "https://autoconfig.example.test/mail/config-v1.1.xml"


@pytest.fixture
def discover(capfd: pytest.CaptureFixture[str], rig_certs: RigCerts) -> Any:
    """discover(dns, *args) -> Run: `mailconf discover ADDRESS --dns-server DNS --ca-file CA ...`, in process."""

    def run(dns: Dnsmasq, *args: str, address: str = ADDRESS) -> Run:
        capfd.readouterr()
        argv = ["discover", address, "--dns-server", dns.server, "--ca-file", str(rig_certs.ca), "--timeout", "10",
                "--ispdb-url", "https://ispdb.test/v1.1/", *args]  # fmt: skip
        code = main(argv)
        out, err = capfd.readouterr()
        return Run(code, out, err)

    return run


def imaps(dovecot: Dovecot, host: str = "imap.example.test", username: str = "") -> str:
    return f"protocol: imap\nhost: {host}\nport: {dovecot.ports.imaps}\nsecurity: tls\nauth: password\n{username}"


def smtps(smtp: SmtpServer, host: str = "smtp.example.test") -> str:
    return f"protocol: smtp\nhost: {host}\nport: {smtp.port}\nsecurity: tls\nauth: password"


LOCAL = ("host-record=imap.example.test,127.0.0.1", "host-record=smtp.example.test,127.0.0.1")


def test_autoconfig_first_url(discover: Any, rig_certs: RigCerts, rig_dovecot: Dovecot, rig_smtp: SmtpServer) -> None:
    body = config(
        server("imap", "imap.example.test", rig_dovecot.ports.imaps, username="%EMAILLOCALPART%"),
        server("smtp", "smtp.example.test", rig_smtp.port),
    )
    with WebServer({"/mail/config-v1.1.xml": xml(body)}, rig_certs.leaf) as web, Dnsmasq(
        [f"host-record=autoconfig.example.test,{web.address}", *LOCAL]
    ) as dns:
        run = discover(dns)
    assert run == Run(0, account(
        incoming=(f"from autoconfig {AUTOCONFIG}; probe: {IMAPS_OK}", imaps(rig_dovecot, username="username: alice")),
        outgoing=(f"from autoconfig {AUTOCONFIG}; probe: {SMTPS_OK}", smtps(rig_smtp)),
    ), "")  # fmt: skip
    assert web.requests == ["autoconfig.example.test/mail/config-v1.1.xml?emailaddress=alice%40example.test"]
