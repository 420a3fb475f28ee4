"""Each source against the real rig (dnsmasq, HTTPS, Dovecot, SMTP), with the exact YAML printed."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from mailconf.discover import guess
from mailconf.discover.clientconfig import parse
from mailconf.model import Protocol, Security
from tests.conftest import ROOT
from tests.servers import START_TIMEOUT, Dovecot, ScriptedServer, SmtpServer, never_greet

from .conftest import Dnsmasq, Relay, RigCerts, WebServer, hang, web_and_dns, xml
from .rig import (
    ADDRESS,
    AUTOCONFIG,
    IMAPS_OK,
    LOCAL,
    POP3S_OK,
    SMTPS_OK,
    SUBMISSION_OK,
    Run,
    account,
    config,
    imaps,
    server,
    smtps,
)


def test_autoconfig_first_url(discover: Any, rig_certs: RigCerts, rig_dovecot: Dovecot, rig_smtp: SmtpServer) -> None:
    body = config(
        server("imap", "imap.example.test", rig_dovecot.ports.imaps, username="%EMAILLOCALPART%"),
        server("smtp", "smtp.example.test", rig_smtp.port),
    )
    with web_and_dns({"/mail/config-v1.1.xml": xml(body)}, rig_certs.leaf, ["autoconfig.example.test"]) as (web, dns):
        run = discover(dns)
    assert run == Run(0, account(
        incoming=(f"from autoconfig {AUTOCONFIG}; probe: {IMAPS_OK}", imaps(rig_dovecot, username="username: alice")),
        outgoing=(f"from autoconfig {AUTOCONFIG}; probe: {SMTPS_OK}", smtps(rig_smtp)),
    ), "")  # fmt: skip
    assert web.requests == ["autoconfig.example.test/mail/config-v1.1.xml?emailaddress=alice%40example.test"]
    # docs/discover.md shows this run, for example.com with its servers on the standard ports
    page = (Path(__file__).resolve().parents[2] / "docs" / "discover.md").read_text(encoding="utf-8")
    start = page.index("```text\n$ mailconf discover alice@example.com\n") + len("```text\n")
    command, _, shown = page[start : page.index("```\n", start)].partition("\n")
    assert command == "$ mailconf discover alice@example.com"
    ports = {f"port: {rig_dovecot.ports.imaps}\n": "port: 993\n", f"port: {rig_smtp.port}\n": "port: 465\n"}
    for ours, theirs in ports.items():
        shown = shown.replace(theirs, ours)
    assert run.out.replace("example.test", "example.com") == shown


def test_well_known_when_autoconfig_host_is_missing(
    discover: Any, rig_certs: RigCerts, rig_dovecot: Dovecot, rig_smtp: SmtpServer
) -> None:
    body = config(
        server("imap", "imap.example.test", rig_dovecot.ports.imaps), server("smtp", "smtp.example.test", rig_smtp.port)
    )
    with web_and_dns({"/.well-known/autoconfig/mail/config-v1.1.xml": xml(body)}, rig_certs.leaf, ["example.test"]) as (
        _,
        dns,
    ):
        run = discover(dns)
    origin = "from autoconfig https://example.test/.well-known/autoconfig/mail/config-v1.1.xml"
    assert run == Run(0, account(
        incoming=(f"{origin}; probe: {IMAPS_OK}", imaps(rig_dovecot)),
        outgoing=(f"{origin}; probe: {SMTPS_OK}", smtps(rig_smtp)),
    ), "")  # fmt: skip


def test_http_only_with_allow_http_and_flagged(
    discover: Any, rig_certs: RigCerts, rig_dovecot: Dovecot, rig_smtp: SmtpServer
) -> None:
    body = config(
        server("imap", "imap.example.test", rig_dovecot.ports.imaps), server("smtp", "smtp.example.test", rig_smtp.port)
    )
    with web_and_dns({"/mail/config-v1.1.xml": xml(body)}, None, ["autoconfig.example.test"]) as (web, dns):
        refused = discover(dns, "--no-probe")
        run = discover(dns, "--no-probe", "--allow-http")
    assert refused.code == 1
    assert web.requests == ["autoconfig.example.test/mail/config-v1.1.xml?emailaddress=alice%40example.test"]
    flag = "UNTRUSTED: fetched over http, anyone on the path could have written it"
    origin = "from autoconfig http://autoconfig.example.test/mail/config-v1.1.xml; not probed (--no-probe)"
    assert run == Run(0, account(
        incoming=(f"{flag}; {origin}", imaps(rig_dovecot)),
        outgoing=(f"{flag}; {origin}", smtps(rig_smtp)),
    ), f"mailconf: warning: incoming imap.example.test: {flag}\n"
       f"mailconf: warning: outgoing smtp.example.test: {flag}\n")  # fmt: skip


def test_ispdb_online(discover: Any, rig_certs: RigCerts, rig_dovecot: Dovecot, rig_smtp: SmtpServer) -> None:
    body = config(
        server("imap", "imap.example.test", rig_dovecot.ports.imaps), server("smtp", "smtp.example.test", rig_smtp.port)
    )
    with web_and_dns({"/v1.1/example.test": xml(body)}, rig_certs.leaf, ["ispdb.test"]) as (_, dns):
        run = discover(dns)
    origin = "from ispdb https://ispdb.test/v1.1/example.test"
    assert run == Run(0, account(
        incoming=(f"{origin}; probe: {IMAPS_OK}", imaps(rig_dovecot)),
        outgoing=(f"{origin}; probe: {SMTPS_OK}", smtps(rig_smtp)),
    ), "")  # fmt: skip


def test_ispdb_offline_directory_by_alias(
    discover: Any, tmp_path: Path, rig_dovecot: Dovecot, rig_smtp: SmtpServer
) -> None:
    """--ispdb DIR: no file is named after the domain; the file whose <domain> lists it is used."""
    body = config(
        server("imap", "imap.example.test", rig_dovecot.ports.imaps, username="%EMAILLOCALPART%"),
        server("smtp", "smtp.example.test", rig_smtp.port),
        domain="provider.test",
    ).replace("<domain>provider.test</domain>", "<domain>provider.test</domain><domain>example.test</domain>")
    (tmp_path / "aaa.test.xml").write_text(config(server("imap", "wrong.test", 993), domain="aaa.test"))
    (tmp_path / "provider.test.xml").write_text(body)
    with Dnsmasq(list(LOCAL)) as dns:
        run = discover(dns, "--ispdb", str(tmp_path))
    origin = f"from ispdb {tmp_path / 'provider.test.xml'}"
    assert run == Run(0, account(
        incoming=(f"{origin}; probe: {IMAPS_OK}", imaps(rig_dovecot, username="username: alice")),
        outgoing=(f"{origin}; probe: {SMTPS_OK}", smtps(rig_smtp)),
    ), "")  # fmt: skip


def test_mx_base_domain(discover: Any, rig_certs: RigCerts, rig_dovecot: Dovecot, rig_smtp: SmtpServer) -> None:
    """MX mx1.eu.hoster.test -> autoconfig.hoster.test (eu.hoster.test has none); servers there are not flagged (the
    MX's base domain). The address goes along, as Thunderbird sends it."""
    body = config(
        server("imap", "imap.hoster.test", rig_dovecot.ports.imaps),
        server("smtp", "smtp.hoster.test", rig_smtp.port),
        domain="hoster.test",
    )
    with (
        WebServer({"/mail/config-v1.1.xml": xml(body)}, rig_certs.leaf) as web,
        Dnsmasq(
            [
                "mx-host=example.test,mx1.eu.hoster.test,10",
                "mx-host=example.test,mx9.elsewhere.test,20",
                f"host-record=autoconfig.hoster.test,{web.address}",
                "host-record=imap.hoster.test,127.0.0.1",
                "host-record=smtp.hoster.test,127.0.0.1",
            ]
        ) as dns,
    ):
        run = discover(dns)
    origin = "from mx mx1.eu.hoster.test -> autoconfig https://autoconfig.hoster.test/mail/config-v1.1.xml"
    assert run == Run(0, account(
        incoming=(f"{origin}; probe: {IMAPS_OK}", imaps(rig_dovecot, host="imap.hoster.test")),
        outgoing=(f"{origin}; probe: {SMTPS_OK}", smtps(rig_smtp, host="smtp.hoster.test")),
    ), "")  # fmt: skip
    assert web.requests == ["autoconfig.hoster.test/mail/config-v1.1.xml?emailaddress=alice%40example.test"]


def test_mx_next_subdomain_first(
    discover: Any, rig_certs: RigCerts, rig_dovecot: Dovecot, rig_smtp: SmtpServer
) -> None:
    """Thunderbird 153's forMX asks the MX host's base domain and one label more (getNextSubDomain), the longer
    first: MX mx1.eu.hoster.test -> autoconfig.eu.hoster.test before autoconfig.hoster.test. Only the base domain
    was asked, so another service of the hoster's (hoster.test's file) was taken."""
    body = config(
        server("imap", "imap.hoster.test", rig_dovecot.ports.imaps),
        server("smtp", "smtp.hoster.test", rig_smtp.port),
        domain="eu.hoster.test",
    )
    other = config(server("imap", "imap.us.hoster.test", 993), server("smtp", "smtp.us.hoster.test", 465))
    with (
        WebServer({"/mail/config-v1.1.xml": xml(body)}, rig_certs.leaf) as eu,
        WebServer({"/mail/config-v1.1.xml": xml(other)}, rig_certs.leaf) as base,
        Dnsmasq(
            [
                "mx-host=example.test,mx1.eu.hoster.test,10",
                f"host-record=autoconfig.eu.hoster.test,{eu.address}",
                f"host-record=autoconfig.hoster.test,{base.address}",
                "host-record=imap.hoster.test,127.0.0.1",
                "host-record=smtp.hoster.test,127.0.0.1",
            ]
        ) as dns,
    ):
        run = discover(dns)
    origin = "from mx mx1.eu.hoster.test -> autoconfig https://autoconfig.eu.hoster.test/mail/config-v1.1.xml"
    assert run == Run(0, account(
        incoming=(f"{origin}; probe: {IMAPS_OK}", imaps(rig_dovecot, host="imap.hoster.test")),
        outgoing=(f"{origin}; probe: {SMTPS_OK}", smtps(rig_smtp, host="smtp.hoster.test")),
    ), "")  # fmt: skip
    assert eu.requests == ["autoconfig.eu.hoster.test/mail/config-v1.1.xml?emailaddress=alice%40example.test"]


def test_mx_next_subdomain_is_the_host_without_its_first_label(discover: Any, rig_certs: RigCerts) -> None:
    """Mozilla's getNextSubDomain strips the MX host's first label: Office 365's MX contoso-com.mail.protection.
    outlook.com gives mail.protection.outlook.com, which the ISPDB's Office 365 file lists. It was taken as the base
    domain and one more label (protection.outlook.com, unknown to the ISPDB), so Office 365 domains got the base
    domain's file, Outlook.com's. The same shape here: MX example-test.mail.eu.hoster.test."""
    business = config(
        server("imap", "outlook.hoster.test", 993), server("smtp", "smtp.business.hoster.test", 587, "STARTTLS"),
        domain="mail.eu.hoster.test",
    )  # fmt: skip
    consumer = config(server("imap", "imap-mail.hoster.test", 993), domain="hoster.test")
    with web_and_dns(
        {"/v1.1/mail.eu.hoster.test": xml(business), "/v1.1/hoster.test": xml(consumer)},
        rig_certs.leaf,
        ["ispdb.test"],
        ["mx-host=example.test,example-test.mail.eu.hoster.test,10"],
    ) as (web, dns):
        run = discover(dns, "--no-probe")
    origin = "from mx example-test.mail.eu.hoster.test -> ispdb https://ispdb.test/v1.1/mail.eu.hoster.test"
    assert run == Run(0, account(
        incoming=(f"{origin}; not probed (--no-probe)",
                  "protocol: imap\nhost: outlook.hoster.test\nport: 993\nsecurity: tls\nauth: password"),
        outgoing=(f"{origin}; not probed (--no-probe)",
                  "protocol: smtp\nhost: smtp.business.hoster.test\nport: 587\nsecurity: starttls\nauth: password"),
    ), "")  # fmt: skip
    assert "ispdb.test/v1.1/mail.eu.hoster.test" in web.requests


def _answer(handler: Any, answer: tuple[int, dict[str, str], bytes]) -> None:
    status, headers, body = answer
    handler.send_response(status)
    for key, value in headers.items():
        handler.send_header(key, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def _mx_rig(
    rig_certs: RigCerts,
    answers: dict[str, Callable[[Any], None] | tuple[int, dict[str, str], bytes]],
    records: Sequence[str] = (),
) -> contextlib.AbstractContextManager[tuple[WebServer, Any]]:
    """MX mx1.eu.hoster.test; one web server for autoconfig.eu.hoster.test, autoconfig.hoster.test and the ISPDB,
    answering each URL (Host + path, without the query) as ``answers`` says (a handler, or an answer), else 404;
    ``records``: more for dnsmasq."""

    def route(handler: Any) -> None:
        answer = answers.get(f"{handler.headers.get('Host')}{handler.path.partition('?')[0]}", (404, {}, b""))
        if callable(answer):
            answer(handler)
            handler.close_connection = True
        else:
            _answer(handler, answer)

    paths = ["/mail/config-v1.1.xml", "/v1.1/example.test", "/v1.1/eu.hoster.test", "/v1.1/hoster.test"]
    return web_and_dns(
        dict.fromkeys(paths, route),
        rig_certs.leaf,
        ["autoconfig.eu.hoster.test", "autoconfig.hoster.test", "ispdb.test"],
        ["mx-host=example.test,mx1.eu.hoster.test,10", "host-record=imap.hoster.test,127.0.0.1",
         "host-record=smtp.hoster.test,127.0.0.1", *records],
    )  # fmt: skip


@pytest.mark.parametrize(
    "hanging", ["autoconfig.eu.hoster.test/mail/config-v1.1.xml", "ispdb.test/v1.1/eu.hoster.test"]
)
def test_an_mx_url_that_hangs_does_not_hold_up_the_next(
    discover: Any, rig_certs: RigCerts, rig_dovecot: Dovecot, rig_smtp: SmtpServer, hanging: str
) -> None:
    """The MX step fetched its URLs one after another: autoconfig.eu.hoster.test, the ISPDB's eu.hoster.test, then
    autoconfig.hoster.test. One that accepts and never answers (a wildcard name on a web server that hangs) took the
    whole deadline, and the provider's file at autoconfig.hoster.test was never asked for: `mx example.test: no
    answer within the 4 s deadline`, exit 1. They are asked at once now, as Thunderbird's forMX asks them: the
    account is the one found when nothing hangs."""
    body = config(
        server("imap", "imap.hoster.test", rig_dovecot.ports.imaps),
        server("smtp", "smtp.hoster.test", rig_smtp.port),
        domain="hoster.test",
    )
    answers: dict[str, Any] = {"autoconfig.hoster.test/mail/config-v1.1.xml": xml(body)}
    # servers from SRV, ranked after the MX step's: the MX step's answer is in before the run stops waiting for it
    srv = [f"srv-host=_imaps._tcp.example.test,imap.example.test,{rig_dovecot.ports.imaps},0,0",
           f"srv-host=_submissions._tcp.example.test,smtp.example.test,{rig_smtp.port},0,0", *LOCAL]  # fmt: skip
    with _mx_rig(rig_certs, answers, srv) as (_, dns):
        answered = discover(dns, "--timeout", "4")
    with _mx_rig(rig_certs, {**answers, hanging: hang}, srv) as (_, dns):
        started = time.monotonic()
        run = discover(dns, "--timeout", "4")
        took = time.monotonic() - started
    origin = "from mx mx1.eu.hoster.test -> autoconfig https://autoconfig.hoster.test/mail/config-v1.1.xml"
    assert run == answered == Run(0, account(
        incoming=(f"{origin}; probe: {IMAPS_OK}", imaps(rig_dovecot, host="imap.hoster.test")),
        outgoing=(f"{origin}; probe: {SMTPS_OK}", smtps(rig_smtp, host="smtp.hoster.test")),
    ), "")  # fmt: skip
    assert took < 4 + 15  # the deadline (the fixture waits for the hanging fetch) and a margin: a bound


def test_the_better_ranked_mx_url_wins_though_it_answers_last(discover: Any, rig_certs: RigCerts) -> None:
    """Every MX URL is asked at once; the order they answer in decides nothing: autoconfig.eu.hoster.test, asked
    first, answers a second after autoconfig.hoster.test, and its file is taken (Thunderbird's priority order)."""
    eu = config(server("imap", "imap.eu.hoster.test", 993), server("smtp", "smtp.eu.hoster.test", 465),
                domain="eu.hoster.test")  # fmt: skip
    base = config(server("imap", "imap.hoster.test", 993), server("smtp", "smtp.hoster.test", 465),
                  domain="hoster.test")  # fmt: skip

    def late(handler: Any) -> None:
        time.sleep(1)
        _answer(handler, xml(eu))

    answers: dict[str, Any] = {
        "autoconfig.eu.hoster.test/mail/config-v1.1.xml": late,
        "autoconfig.hoster.test/mail/config-v1.1.xml": xml(base),
    }
    with _mx_rig(rig_certs, answers) as (web, dns):
        run = discover(dns, "--no-probe")
    origin = "from mx mx1.eu.hoster.test -> autoconfig https://autoconfig.eu.hoster.test/mail/config-v1.1.xml"
    assert run == Run(0, account(
        incoming=(f"{origin}; not probed (--no-probe)",
                  "protocol: imap\nhost: imap.eu.hoster.test\nport: 993\nsecurity: tls\nauth: password"),
        outgoing=(f"{origin}; not probed (--no-probe)",
                  "protocol: smtp\nhost: smtp.eu.hoster.test\nport: 465\nsecurity: tls\nauth: password"),
    ), "")  # fmt: skip
    # asked at once: one after another, autoconfig.hoster.test was not asked once eu.hoster.test had answered
    assert "autoconfig.hoster.test/mail/config-v1.1.xml?emailaddress=alice%40example.test" in web.requests


def test_ctrl_c_while_the_mx_urls_are_asked_exits_130(rig_certs: RigCerts) -> None:
    """The MX step's fetches run in threads of their own, which a Ctrl-C does not wait for: the run ends at once
    with exit 130, as before, not at the 30 s deadline."""
    urls = ("autoconfig.eu.hoster.test/mail/config-v1.1.xml", "ispdb.test/v1.1/eu.hoster.test",
            "autoconfig.hoster.test/mail/config-v1.1.xml", "ispdb.test/v1.1/hoster.test")  # fmt: skip
    hanging: dict[str, Any] = dict.fromkeys(urls, hang)
    with _mx_rig(rig_certs, hanging) as (web, dns):
        process = subprocess.Popen(
            [sys.executable, "-m", "mailconf", "discover", ADDRESS, "--dns-server", dns.server, "--ca-file",
             str(rig_certs.ca), "--ispdb-url", "https://ispdb.test/v1.1/", "--timeout", "30"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
        )  # fmt: skip
        try:
            waited = time.monotonic() + 20
            while len([r for r in web.requests if "hoster.test" in r]) < len(hanging) and time.monotonic() < waited:
                time.sleep(0.05)
            assert len([r for r in web.requests if "hoster.test" in r]) == len(hanging)  # all asked at once
            started = time.monotonic()
            process.send_signal(signal.SIGINT)
            out, err = process.communicate(timeout=20)
            took = time.monotonic() - started
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert (process.returncode, out, err) == (130, "", "\nmailconf: interrupted\n")  # click ends the ^C line
    assert took < 10  # not the 30 s deadline: a bound, not a benchmark


def test_a_server_outside_the_domain_waits_for_the_mx_answer_not_the_mx_fetches(
    rig_certs: RigCerts,
    rig_dovecot: Dovecot,
    rig_smtp: SmtpServer,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The ISPDB's servers are outside example.test, so the run waited for the whole MX lookup to learn the MX host's
    base domain (it decides which servers are flagged CHECK), and that lookup goes on to fetch
    autoconfig.<the MX's domain>: one that hangs kept the account, found in a fraction of a second, from the user
    until the deadline; and the base domain, lost with the unanswered lookup, flagged servers in it: `CHECK:
    imap.hoster.test is outside example.test`. The domain check now waits for the MX's DNS answer alone (held back
    a second here, after the servers were chosen); the hanging fetch is left, and reported as not waited for."""
    import mailconf.discover
    from mailconf.cli import main

    body = config(
        server("imap", "imap.hoster.test", rig_dovecot.ports.imaps), server("smtp", "smtp.hoster.test", rig_smtp.port)
    )
    answers: dict[str, Any] = {
        "ispdb.test/v1.1/example.test": xml(body),
        "autoconfig.eu.hoster.test/mail/config-v1.1.xml": hang,
    }
    found: list[mailconf.discover.Discovery] = []
    run = mailconf.discover.run

    def kept(query: mailconf.discover.Query) -> mailconf.discover.Discovery:  # the report, which exit 0 does not print
        found.append(run(query))
        return found[-1]

    monkeypatch.setattr(mailconf.discover, "run", kept)
    with (
        _mx_rig(rig_certs, answers) as (web, upstream),
        Relay(upstream, lambda name, rdtype: 1.0 if rdtype == "MX" else 0) as dns,
    ):
        capfd.readouterr()
        before = set(threading.enumerate())
        code = main(["discover", ADDRESS, "--dns-server", dns.server, "--ca-file", str(rig_certs.ca),
                     "--ispdb-url", "https://ispdb.test/v1.1/", "--timeout", "10"])  # fmt: skip
        hanging = "autoconfig.eu.hoster.test/mail/config-v1.1.xml?emailaddress=alice%40example.test"
        waited = time.monotonic() + START_TIMEOUT
        while hanging not in web.requests and time.monotonic() < waited:  # asked once the MX answered, maybe after
            time.sleep(0.05)
        asked, where = list(web.requests), dns.server
    for thread in set(threading.enumerate()) - before:  # the MX lookup, left to end when its fetch does
        if thread.name.startswith("mailconf"):
            thread.join(START_TIMEOUT)
    origin = "from ispdb https://ispdb.test/v1.1/example.test"
    assert Run(code, *capfd.readouterr()) == Run(0, account(
        incoming=(f"{origin}; probe: {IMAPS_OK}", imaps(rig_dovecot, host="imap.hoster.test")),
        outgoing=(f"{origin}; probe: {SMTPS_OK}", smtps(rig_smtp, host="smtp.hoster.test")),
    ), "")  # fmt: skip
    assert hanging in asked  # and it hung
    assert found[0].domains == ("example.test", "hoster.test")
    assert [(lookup.name, lookup.reason) for lookup in found[0].lookups] == [
        (f"autoconfig {AUTOCONFIG}", f"autoconfig.example.test has no address (the DNS server {where})"),
        ("autoconfig https://example.test/.well-known/autoconfig/mail/config-v1.1.xml",
         f"example.test has no address (the DNS server {where})"),
        ("ispdb https://ispdb.test/v1.1/example.test", None),
        ("mx example.test", "not waited for: a better-ranked answer was taken"),  # not the deadline's words
        ("srv _*._tcp.example.test", "no SRV record for example.test"),
    ]  # fmt: skip


def test_pop3_leave_on_server_is_kept(
    discover: Any, rig_certs: RigCerts, rig_dovecot: Dovecot, rig_smtp: SmtpServer
) -> None:
    """A POP3 server's <pop3><leaveMessagesOnServer> (what mailconf's own autoconfig target writes from
    leave_on_server) was dropped: the account was written without it, and POP3 clients delete what they download
    (MC705), the provider's file said otherwise, and Thunderbird keeps it."""
    pop3 = server("pop3", "pop.example.test", rig_dovecot.ports.pop3s).replace(
        "</incomingServer>",
        "<pop3><leaveMessagesOnServer>true</leaveMessagesOnServer>"
        "<daysToLeaveMessagesOnServer>14</daysToLeaveMessagesOnServer></pop3></incomingServer>",
    )
    body = config(pop3, server("smtp", "smtp.example.test", rig_smtp.port))
    with web_and_dns(
        {"/mail/config-v1.1.xml": xml(body)},
        rig_certs.leaf,
        ["autoconfig.example.test"],
        ["host-record=pop.example.test,127.0.0.1"],
    ) as (_, dns):
        run = discover(dns)
    incoming = (
        f"protocol: pop3\nhost: pop.example.test\nport: {rig_dovecot.ports.pop3s}\nsecurity: tls\nauth: password\n"
        "leave_on_server: true\nleave_days: 14"
    )
    assert run == Run(0, account(
        incoming=(f"from autoconfig {AUTOCONFIG}; probe: {POP3S_OK}", incoming),
        outgoing=(f"from autoconfig {AUTOCONFIG}; probe: {SMTPS_OK}", smtps(rig_smtp)),
    ), "")  # fmt: skip


@pytest.mark.parametrize(
    "servers",
    [
        {"incoming": {"protocol": "pop3", "host": "pop.example.test", "port": 995, "security": "tls",
                      "auth": "password", "username": "alice", "leave_on_server": True, "leave_days": 14},
         "outgoing": {"protocol": "smtp", "host": "smtp.example.test", "port": 587, "security": "starttls",
                      "auth": "password"}},
        {"incoming": {"protocol": "pop3", "host": "pop.example.test", "port": 110, "security": "starttls",
                      "auth": "gssapi", "leave_on_server": False},
         "outgoing": {"protocol": "smtp", "host": "smtp.example.test", "port": 465, "security": "tls", "auth": "none"}},
        {"incoming": {"protocol": "imap", "host": "imap.example.test", "port": 993, "security": "tls",
                      "auth": "oauth2"},
         "outgoing": {"protocol": "smtp", "host": "smtp.example.test", "port": 465, "security": "tls",
                      "auth": "oauth2"}},
    ],
    ids=["pop3-leave", "pop3-delete-gssapi-relay", "oauth2"],
)  # fmt: skip
def test_what_the_autoconfig_target_publishes_is_discovered_as_it_was(
    servers: dict[str, Any], discover: Any, rig_certs: RigCerts, tmp_path: Path
) -> None:
    """render --target autoconfig, served where discover looks: the account discovered is the account rendered,
    for everything a clientConfig file carries (the POP3 leave_on_server was lost on the way)."""
    from mailconf.cli import main
    from mailconf.document import load_document
    from mailconf.emit import account_file

    written = {"address": "alice@example.test", **servers}
    source = tmp_path / "accounts.yaml"
    source.write_text(account_file({"example.test": written}))
    assert main(["render", "--target", "autoconfig", str(source), "-o", str(tmp_path / "out")]) == 0
    body = (tmp_path / "out" / "autoconfig" / "example.test" / "config-v1.1.xml").read_bytes()
    routes = {"/mail/config-v1.1.xml": (200, {"Content-Type": "text/xml"}, body)}
    with web_and_dns(routes, rig_certs.leaf, ["autoconfig.example.test"]) as (_, dns):
        run = discover(dns, "--no-probe")
    discovered = load_document("discovered.yaml", run.out.encode())
    assert (run.code, discovered.data, discovered.issues) == (
        0,
        {"version": 1, "accounts": {"example.test": written}},
        [],
    )


def test_smtp_after_pop_is_no_login(discover: Any, rig_certs: RigCerts) -> None:
    """The clientConfig format names `smtp-after-pop` for an SMTP server that lets in whoever has just fetched mail,
    and Thunderbird reads it as no login; the server was left out (`unknown authentication 'smtp-after-pop'`) and
    the account written without an outgoing server. On an incoming server it means nothing, and still leaves it
    out."""
    body = config(
        server("imap", "imap.example.test", 993),
        server("pop3", "pop.example.test", 995, auth="smtp-after-pop"),
        server("smtp", "smtp.example.test", 25, socket="STARTTLS", auth="smtp-after-pop"),
    )
    with web_and_dns({"/mail/config-v1.1.xml": xml(body)}, rig_certs.leaf, ["autoconfig.example.test"]) as (_, dns):
        run = discover(dns, "--no-probe")
    origin = f"from autoconfig {AUTOCONFIG}; not probed (--no-probe)"
    assert run == Run(0, account(
        incoming=(origin, "protocol: imap\nhost: imap.example.test\nport: 993\nsecurity: tls\nauth: password"),
        outgoing=(origin, "protocol: smtp\nhost: smtp.example.test\nport: 25\nsecurity: starttls\nauth: none"),
    ), "")  # fmt: skip
    notes = parse(body.encode(), ADDRESS).notes
    assert notes == (
        '<incomingServer type="pop3"> pop.example.test left out: authentication "smtp-after-pop" is none mailconf '
        "knows",
    )


def test_srv_implicit_tls_first(discover: Any, rig_dovecot: Dovecot, rig_smtp: SmtpServer) -> None:
    """RFC 6186 + 8314: _imaps before _imap whatever the priority; the lowest priority first; '.' is not offered."""
    ports = rig_dovecot.ports
    with Dnsmasq(
        [
            f"srv-host=_imap._tcp.example.test,imap.example.test,{ports.imap},0,0",
            f"srv-host=_imaps._tcp.example.test,mail.example.test,{ports.imaps},20,0",
            f"srv-host=_imaps._tcp.example.test,imap.example.test,{ports.imaps},10,0",
            "srv-host=_pop3._tcp.example.test",
            f"srv-host=_submissions._tcp.example.test,smtp.example.test,{rig_smtp.port},0,0",
            *LOCAL,
        ]
    ) as dns:
        run = discover(dns)
    assert run == Run(0, account(
        incoming=(f"from srv example.test; probe: {IMAPS_OK}", imaps(rig_dovecot)),
        outgoing=(f"from srv example.test; probe: {SMTPS_OK}", smtps(rig_smtp)),
    ), "")  # fmt: skip


def test_guess_checked_by_the_probe(
    discover: Any, monkeypatch: pytest.MonkeyPatch, rig_dovecot: Dovecot, rig_smtp: SmtpServer,
    rig_smtp_starttls: SmtpServer,
) -> None:  # fmt: skip
    """--guess: the standard ports cannot be bound here, so the test points the guessed ports at its servers."""
    ports = rig_dovecot.ports
    monkeypatch.setattr(guess, "PORTS", {
        (Protocol.IMAP, Security.TLS): (ports.imaps,),
        (Protocol.IMAP, Security.STARTTLS): (ports.imap,),
        (Protocol.POP3, Security.TLS): (ports.pop3s,),
        (Protocol.POP3, Security.STARTTLS): (ports.pop3,),
        (Protocol.SMTP, Security.TLS): (rig_smtp.port,),
        (Protocol.SMTP, Security.STARTTLS): (rig_smtp_starttls.port,),
    })  # fmt: skip
    with Dnsmasq(["host-record=mail.example.test,127.0.0.1", *LOCAL]) as dns:
        without = discover(dns)
        run = discover(dns, "--guess")
    assert without.code == 1
    assert run == Run(0, account(
        incoming=(f"from guess example.test; probe: {IMAPS_OK}", imaps(rig_dovecot)),
        outgoing=(f"from guess example.test; probe: {SMTPS_OK}", smtps(rig_smtp)),
    ), "")  # fmt: skip


def test_a_guess_that_never_answers_does_not_hold_up_the_others(
    discover: Any, monkeypatch: pytest.MonkeyPatch, rig_dovecot: Dovecot, rig_smtp: SmtpServer
) -> None:
    """Every guess is probed at once, and the lookup answered when the last probe had: one guessed port that never
    answers (587 or 25 dropped by a firewall, as many networks do) held it until the deadline, and the guesses that
    had passed were never used (`guess example.test: no answer within the 4 s deadline`, exit 1). A guess now has
    half the time left."""
    ports = rig_dovecot.ports
    with ScriptedServer(never_greet) as silent:
        monkeypatch.setattr(guess, "PORTS", {
            (Protocol.IMAP, Security.TLS): (ports.imaps,),
            (Protocol.IMAP, Security.STARTTLS): (ports.imap,),
            (Protocol.POP3, Security.TLS): (ports.pop3s,),
            (Protocol.POP3, Security.STARTTLS): (ports.pop3,),
            (Protocol.SMTP, Security.TLS): (rig_smtp.port,),
            (Protocol.SMTP, Security.STARTTLS): (silent.port,),
        })  # fmt: skip
        with Dnsmasq(["host-record=mail.example.test,127.0.0.1", *LOCAL]) as dns:
            run = discover(dns, "--guess", "--timeout", "4")
    assert run == Run(0, account(
        incoming=(f"from guess example.test; probe: {IMAPS_OK}", imaps(rig_dovecot)),
        outgoing=(f"from guess example.test; probe: {SMTPS_OK}", smtps(rig_smtp)),
    ), "")  # fmt: skip


def test_srv_priority_across_imap_and_pop3(discover: Any, rig_dovecot: Dovecot, rig_smtp_starttls: SmtpServer) -> None:
    """RFC 6186 section 3.4: among implicit-TLS services, the lower priority wins even when it is POP3."""
    ports = rig_dovecot.ports
    with Dnsmasq(
        [
            f"srv-host=_imaps._tcp.example.test,imap.example.test,{ports.imaps},10,0",
            f"srv-host=_pop3s._tcp.example.test,pop.example.test,{ports.pop3s},5,0",
            f"srv-host=_submission._tcp.example.test,smtp.example.test,{rig_smtp_starttls.port},0,0",
            "host-record=pop.example.test,127.0.0.1",
            *LOCAL,
        ]
    ) as dns:
        run = discover(dns)
    pop3 = f"protocol: pop3\nhost: pop.example.test\nport: {ports.pop3s}\nsecurity: tls\nauth: password"
    submission = (
        f"protocol: smtp\nhost: smtp.example.test\nport: {rig_smtp_starttls.port}\nsecurity: starttls\nauth: password"
    )
    assert run == Run(0, account(
        incoming=(f"from srv example.test; probe: {POP3S_OK}", pop3),
        outgoing=(f"from srv example.test; probe: {SUBMISSION_OK}", submission),
    ), "")  # fmt: skip


@pytest.mark.parametrize(
    ("held", "delay"),
    [("_imap", None), ("_pop3", None), ("_submission", None), ("_imaps", None), ("_imaps", 0.5)],
)
def test_an_srv_query_the_dns_server_drops_does_not_hold_up_the_others(
    discover: Any, rig_dovecot: Dovecot, rig_smtp: SmtpServer, held: str, delay: float | None
) -> None:
    """The six SRV queries went one after another: a DNS server that drops one (_imap._tcp here, asked second)
    left the services after it no time, and the lookup answered after the deadline: `srv _*._tcp.example.test: no
    answer within the 4 s deadline`, exit 1. They are asked at once now, and combined in the documented order
    whatever order they answer in (an _imaps answer half a second late, within the 1.6 s the lookup waits for it,
    still ranks first): the account is the one found when nothing is dropped. (A dropped _imaps query loses only
    its own record: _pop3s's server is taken.)"""
    ports = rig_dovecot.ports
    records = [
        f"srv-host=_imap._tcp.example.test,imap.example.test,{ports.imap},0,0",
        f"srv-host=_imaps._tcp.example.test,imap.example.test,{ports.imaps},10,0",
        f"srv-host=_pop3s._tcp.example.test,imap.example.test,{ports.pop3s},20,0",
        f"srv-host=_submissions._tcp.example.test,smtp.example.test,{rig_smtp.port},0,0",
        *LOCAL,
    ]
    with Dnsmasq(records) as upstream:
        with Relay(upstream, lambda name, _: 0) as relay:
            answered = discover(relay, "--timeout", "4")
        with Relay(upstream, lambda name, _: delay if name == f"{held}._tcp.example.test." else 0) as relay:
            run = discover(relay, "--timeout", "4")
    assert f"{held}._tcp.example.test." in relay.asked
    outgoing = (f"from srv example.test; probe: {SMTPS_OK}", smtps(rig_smtp))
    assert answered == Run(0, account(incoming=(f"from srv example.test; probe: {IMAPS_OK}", imaps(rig_dovecot)),
                                      outgoing=outgoing), "")  # fmt: skip
    if (held, delay) != ("_imaps", None):
        assert run == answered
    else:  # the next server in the documented order: implicit TLS first (RFC 8314), POP3 before IMAP with STARTTLS
        pop3 = f"protocol: pop3\nhost: imap.example.test\nport: {ports.pop3s}\nsecurity: tls\nauth: password"
        assert run == Run(0, account(incoming=(f"from srv example.test; probe: {POP3S_OK}", pop3), outgoing=outgoing),
                          "")  # fmt: skip
