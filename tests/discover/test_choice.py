"""Ranking, falling back after a failed probe, flags, --no-probe and writing -o FILE, against the real rig."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from mailconf.discover import domains
from tests.servers import Dovecot, ScriptedServer, SmtpServer, free_port, never_greet

from .conftest import Dnsmasq, RigCerts, hang, web_and_dns, xml
from .rig import ADDRESS, AUTOCONFIG, IMAPS_OK, SMTPS_OK, Run, account, config, imaps, server, smtps

#: -o FILE exists, without --force (tests/test_cli.py: discover and import say it alike)
EXISTS = "refusing to replace {}: it exists; use --force to replace it (a .bak copy is kept)"


def test_every_source_answers_autoconfig_wins(
    discover: Any, rig_certs: RigCerts, rig_dovecot: Dovecot, rig_smtp: SmtpServer
) -> None:
    """Thunderbird's order: the provider's autoconfig before the ISPDB, the MX's domain, then SRV."""
    ours = config(
        server("imap", "imap.example.test", rig_dovecot.ports.imaps), server("smtp", "smtp.example.test", rig_smtp.port)
    )
    theirs = config(
        server("imap", "mail.example.test", rig_dovecot.ports.imaps), server("smtp", "mail.example.test", rig_smtp.port)
    )
    routes = {"/mail/config-v1.1.xml": xml(ours), "/v1.1/example.test": xml(theirs), "/v1.1/hoster.test": xml(theirs)}
    with web_and_dns(
        routes,
        rig_certs.leaf,
        ["autoconfig.example.test", "ispdb.test"],
        [
            "mx-host=example.test,mx.hoster.test,10",
            f"srv-host=_imaps._tcp.example.test,mail.example.test,{rig_dovecot.ports.imaps},0,0",
            "host-record=mail.example.test,127.0.0.1",
        ],
    ) as (_, dns):
        run = discover(dns)
    assert run == Run(0, account(
        incoming=(f"from autoconfig {AUTOCONFIG}; probe: {IMAPS_OK}", imaps(rig_dovecot)),
        outgoing=(f"from autoconfig {AUTOCONFIG}; probe: {SMTPS_OK}", smtps(rig_smtp)),
    ), "")  # fmt: skip


def test_failed_probe_takes_the_next_candidate(
    discover: Any, rig_certs: RigCerts, rig_dovecot: Dovecot, rig_smtp: SmtpServer
) -> None:
    closed = free_port()
    body = config(server("imap", "imap.example.test", closed), server("smtp", "smtp.example.test", rig_smtp.port))
    with web_and_dns(
        {"/mail/config-v1.1.xml": xml(body)},
        rig_certs.leaf,
        ["autoconfig.example.test"],
        [f"srv-host=_imaps._tcp.example.test,imap.example.test,{rig_dovecot.ports.imaps},0,0"],
    ) as (_, dns):
        run = discover(dns)
    assert run == Run(0, account(
        incoming=(f"from srv example.test; probe: {IMAPS_OK}", imaps(rig_dovecot)),
        outgoing=(f"from autoconfig {AUTOCONFIG}; probe: {SMTPS_OK}", smtps(rig_smtp)),
    ), (
        f"mailconf: imap://imap.example.test:{closed} from autoconfig {AUTOCONFIG} failed the probe: MC802 cannot "
        f"connect to imap.example.test port {closed} (127.0.0.1: connection refused); check host and port; "
        "taking the next candidate\n"
    ))  # fmt: skip


@pytest.mark.parametrize(
    ("mx", "domains"),
    [("mx.hoster.test", "example.test and hoster.test"), ("test", "example.test")],
    ids=["mx-base-domain", "mx-a-public-suffix"],
)
def test_server_outside_the_domains_is_flagged(  # noqa: PLR0917
    discover: Any, rig_certs: RigCerts, rig_dovecot: Dovecot, rig_smtp: SmtpServer, mx: str, domains: str
) -> None:
    """Outside the address's domain and its MX host's base domain: flagged. An MX host that is itself a public
    suffix ("test" here, like "com.") is passed over, as Thunderbird does: *.test is not taken as related."""
    body = config(
        server("imap", "imap.other.test", rig_dovecot.ports.imaps), server("smtp", "smtp.example.test", rig_smtp.port)
    )
    with web_and_dns(
        {"/mail/config-v1.1.xml": xml(body)},
        rig_certs.leaf,
        ["autoconfig.example.test"],
        ["host-record=imap.other.test,127.0.0.1", f"mx-host=example.test,{mx},10"],
    ) as (_, dns):
        run = discover(dns)
    flag = f"CHECK: imap.other.test is outside {domains}"
    assert run == Run(0, account(
        incoming=(f"{flag}; from autoconfig {AUTOCONFIG}; probe: {IMAPS_OK}",
                  imaps(rig_dovecot, host="imap.other.test")),
        outgoing=(f"from autoconfig {AUTOCONFIG}; probe: {SMTPS_OK}", smtps(rig_smtp)),
    ), f"mailconf: warning: incoming imap.other.test: {flag}\n")  # fmt: skip


def test_without_a_public_suffix_list_the_mx_gives_no_base_domain(
    discover: Any, rig_certs: RigCerts, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the Public Suffix List (no publicsuffix package: macOS, a slim container) the base domain of MX
    mx.hoster.co.test was its last two labels, co.test, as co.uk would be of mx.hoster.co.uk: every host under
    co.test then passed as the MX's and was not flagged. Now no base domain is known, and the MX step says why.
    The list's path is pointed at a missing file (the DNS and web servers are the real rig's)."""
    monkeypatch.setattr(domains, "PSL_FILES", (tmp_path / "public_suffix_list.dat",))
    domains._rules.cache_clear()  # the list is read once per process
    body = config(server("imap", "imap.other.co.test", 993), server("smtp", "smtp.example.test", 465))
    try:
        with web_and_dns(
            {"/mail/config-v1.1.xml": xml(body)},
            rig_certs.leaf,
            ["autoconfig.example.test"],
            ["mx-host=example.test,mx.hoster.co.test,10"],
        ) as (_, dns):
            run = discover(dns, "--no-probe")
    finally:
        monkeypatch.undo()
        domains._rules.cache_clear()
    flag = "CHECK: imap.other.co.test is outside example.test"
    assert run == Run(0, account(
        incoming=(f"{flag}; from autoconfig {AUTOCONFIG}; not probed (--no-probe)",
                  "protocol: imap\nhost: imap.other.co.test\nport: 993\nsecurity: tls\nauth: password"),
        outgoing=(f"from autoconfig {AUTOCONFIG}; not probed (--no-probe)",
                  "protocol: smtp\nhost: smtp.example.test\nport: 465\nsecurity: tls\nauth: password"),
    ), f"mailconf: warning: incoming imap.other.co.test: {flag}\n")  # fmt: skip


def test_output_file_never_replaced_without_force(
    discover: Any, tmp_path: Path, rig_certs: RigCerts, rig_dovecot: Dovecot, rig_smtp: SmtpServer
) -> None:
    body = config(
        server("imap", "imap.example.test", rig_dovecot.ports.imaps), server("smtp", "smtp.example.test", rig_smtp.port)
    )
    target = tmp_path / "work.yaml"
    target.write_text("mine\n")
    with web_and_dns({"/mail/config-v1.1.xml": xml(body)}, rig_certs.leaf, ["autoconfig.example.test"]) as (web, dns):
        refused = discover(dns, "-o", str(target), "--name", "work", "--no-probe")
        assert web.requests == []  # refused before looking anything up
        assert target.read_text() == "mine\n"
        forced = discover(dns, "-o", str(target), "--name", "work", "--no-probe", "--force")
    assert refused == Run(2, "", f"mailconf: {EXISTS.format(target)}\n")
    assert forced == Run(
        0, "", f"mailconf: wrote {target}\nmailconf: replaced {target}; its old content is kept in {target}.bak\n"
    )
    origin = f"from autoconfig {AUTOCONFIG}; not probed (--no-probe)"
    assert target.read_text() == account(
        "work", incoming=(origin, imaps(rig_dovecot)), outgoing=(origin, smtps(rig_smtp))
    )
    assert (tmp_path / "work.yaml.bak").read_text() == "mine\n"
    assert target.stat().st_mode & 0o777 == 0o600


def test_an_output_folder_whose_name_is_too_long_is_one_line(discover: Any, tmp_path: Path) -> None:
    """-o with a folder name over 255 bytes: Path.is_dir() raised ENAMETOOLONG once the account was found, exit 3."""
    ispdb = tmp_path / "ispdb"
    ispdb.mkdir()
    (ispdb / "example.test.xml").write_text(config(server("imap", "imap.example.test", 993)))
    folder = tmp_path / ("o" * 300)
    with Dnsmasq([]) as dns:
        run = discover(dns, "--ispdb", str(ispdb), "--no-probe", "-o", str(folder / "work.yaml"))
    assert run == Run(2, "", f"mailconf: warning: no outgoing server found; add it by hand\n"
                             f"mailconf: cannot write {folder}: File name too long\n")  # fmt: skip
    assert [p.name for p in tmp_path.iterdir()] == ["ispdb"]


def test_replacing_a_hard_linked_output_file_warns_that_its_other_name_keeps_the_old_content(
    discover: Any, tmp_path: Path
) -> None:
    # render warned of it, discover replaced the file silently: a dotfiles checkout's hard link kept the old account
    ispdb = tmp_path / "ispdb"
    ispdb.mkdir()
    (ispdb / "example.test.xml").write_text(config(server("imap", "imap.example.test", 993)))
    target = tmp_path / "work.yaml"
    target.write_text("mine\n")
    os.link(target, tmp_path / "dotfiles.yaml")
    with Dnsmasq([]) as dns:
        run = discover(dns, "--ispdb", str(ispdb), "--no-probe", "-o", str(target), "--force")
    assert run == Run(0, "", "mailconf: warning: no outgoing server found; add it by hand\n"
                             f"mailconf: wrote {target}\n"
                             f"mailconf: replaced {target}; its old content is kept in {target}.bak\n"
                             f"mailconf: warning: {target}: replaced by a new file; its other hard link still holds "
                             "the old content\n")  # fmt: skip
    assert (tmp_path / "dotfiles.yaml").read_text() == "mine\n"
    assert target.read_text().startswith("# ")


def test_a_hanging_lookup_leaves_time_to_probe(discover: Any, rig_certs: RigCerts, rig_dovecot: Dovecot,
                                               rig_smtp: SmtpServer) -> None:  # fmt: skip
    """The best-ranked lookup never answers: after half the deadline the SRV servers are taken, and probed."""
    with web_and_dns(
        {"/mail/config-v1.1.xml": hang},
        rig_certs.leaf,
        ["autoconfig.example.test"],
        [
            f"srv-host=_imaps._tcp.example.test,imap.example.test,{rig_dovecot.ports.imaps},0,0",
            f"srv-host=_submissions._tcp.example.test,smtp.example.test,{rig_smtp.port},0,0",
        ],
    ) as (_, dns):
        started = time.monotonic()
        run = discover(dns, "--timeout", "4")
        took = time.monotonic() - started
    assert run == Run(0, account(
        incoming=(f"from srv example.test; probe: {IMAPS_OK}", imaps(rig_dovecot)),
        outgoing=(f"from srv example.test; probe: {SMTPS_OK}", smtps(rig_smtp)),
    ), "")  # fmt: skip
    assert took < 4 + 15  # the deadline and a generous margin: a bound, not a benchmark


def test_servers_in_the_address_domain_do_not_wait_for_the_mx_lookup(
    rig_certs: RigCerts, rig_dovecot: Dovecot, rig_smtp: SmtpServer, capfd: pytest.CaptureFixture[str]
) -> None:
    """Once both servers were chosen, the run still waited for the MX lookup (the MX's base domain decides which
    servers are flagged CHECK), and that lookup goes on to fetch autoconfig.<the MX's domain>: one that hangs kept
    the account from the user until the deadline, 20 s here, though both servers were in example.test itself."""
    from mailconf.cli import main

    body = config(
        server("imap", "imap.example.test", rig_dovecot.ports.imaps), server("smtp", "smtp.example.test", rig_smtp.port)
    )

    def by_host(handler: Any) -> None:  # the provider's file; autoconfig.hoster.test answers only when it stops
        if handler.headers.get("Host") != "autoconfig.example.test":
            hang(handler)
            handler.close_connection = True  # then the lookup ends, when the test is done
            return
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body.encode())

    with web_and_dns(
        {"/mail/config-v1.1.xml": by_host},
        rig_certs.leaf,
        ["autoconfig.example.test", "autoconfig.hoster.test"],
        ["mx-host=example.test,mx.hoster.test,10"],
    ) as (web, dns):
        capfd.readouterr()
        before = set(threading.enumerate())
        started = time.monotonic()
        code = main(["discover", ADDRESS, "--dns-server", dns.server, "--ca-file", str(rig_certs.ca),
                     "--ispdb-url", "https://ispdb.test/v1.1/", "--timeout", "20"])  # fmt: skip
        took = time.monotonic() - started
        asked = list(web.requests)
    for thread in set(threading.enumerate()) - before:  # the MX lookup, which the run left to end on its own
        thread.join(10)
    assert Run(code, *capfd.readouterr()) == Run(0, account(
        incoming=(f"from autoconfig {AUTOCONFIG}; probe: {IMAPS_OK}", imaps(rig_dovecot)),
        outgoing=(f"from autoconfig {AUTOCONFIG}; probe: {SMTPS_OK}", smtps(rig_smtp)),
    ), "")  # fmt: skip
    assert "autoconfig.hoster.test/mail/config-v1.1.xml?emailaddress=alice%40example.test" in asked  # it hung
    assert took < 10  # a bound, not a benchmark: the deadline is 20 s


def test_every_candidate_fails_the_probe(discover: Any, rig_certs: RigCerts) -> None:
    imap_port, smtp_port = free_port(), free_port()
    body = config(server("imap", "imap.example.test", imap_port), server("smtp", "smtp.example.test", smtp_port))
    with web_and_dns({"/mail/config-v1.1.xml": xml(body)}, rig_certs.leaf, ["autoconfig.example.test"]) as (_, dns):
        run = discover(dns)
    refused = "(127.0.0.1: connection refused); check host and port; taking the next candidate"
    lines = [
        f"imap://imap.example.test:{imap_port} from autoconfig {AUTOCONFIG} failed the probe: MC802 cannot connect "
        f"to imap.example.test port {imap_port} {refused}",
        f"smtp://smtp.example.test:{smtp_port} from autoconfig {AUTOCONFIG} failed the probe: MC802 cannot connect "
        f"to smtp.example.test port {smtp_port} {refused}",
        "no usable server found for alice@example.test:",
        f"  autoconfig {AUTOCONFIG}: only servers that failed the probe",
        "  autoconfig https://example.test/.well-known/autoconfig/mail/config-v1.1.xml: "
        f"example.test has no address (the DNS server {dns.server})",
        f"  ispdb https://ispdb.test/v1.1/example.test: ispdb.test has no address (the DNS server {dns.server})",
        "  mx example.test: no MX record for example.test",
        "  srv _*._tcp.example.test: no SRV record for example.test",
    ]
    assert run == Run(1, "", "".join(f"mailconf: {line}\n" for line in lines))


def test_a_certificate_for_another_name_is_rejected(
    discover: Any, rig_certs: RigCerts, rig_dovecot: Dovecot, rig_dovecot_wrong_name: Dovecot, rig_smtp: SmtpServer
) -> None:
    wrong = rig_dovecot_wrong_name.ports.imaps
    body = config(server("imap", "imap.example.test", wrong), server("smtp", "smtp.example.test", rig_smtp.port))
    with web_and_dns(
        {"/mail/config-v1.1.xml": xml(body)},
        rig_certs.leaf,
        ["autoconfig.example.test"],
        [f"srv-host=_imaps._tcp.example.test,imap.example.test,{rig_dovecot.ports.imaps},0,0"],
    ) as (_, dns):
        run = discover(dns)
    assert run.out == account(
        incoming=(f"from srv example.test; probe: {IMAPS_OK}", imaps(rig_dovecot)),
        outgoing=(f"from autoconfig {AUTOCONFIG}; probe: {SMTPS_OK}", smtps(rig_smtp)),
    )
    assert run.err == (
        f"mailconf: imap://imap.example.test:{wrong} from autoconfig {AUTOCONFIG} failed the probe: MC808 the "
        "certificate is for wrong.invalid, not imap.example.test; use a name it lists as host, or ask for a "
        "certificate that names this host; taking the next candidate\n"
    )
    assert run.code == 0


def test_many_candidates_that_fail_the_probe_are_a_few_lines(discover: Any, rig_certs: RigCerts) -> None:
    """A configuration listing thousands of servers that fail the probe made as many lines on standard error
    (1460 in a 5 s run): the first 5 are shown, then how many more."""
    ports = list(dict.fromkeys(free_port() for _ in range(8)))
    body = config(*(server("imap", "imap.example.test", port) for port in ports))
    with web_and_dns({"/mail/config-v1.1.xml": xml(body)}, rig_certs.leaf, ["autoconfig.example.test"]) as (_, dns):
        run = discover(dns)
    refused = "(127.0.0.1: connection refused); check host and port; taking the next candidate"
    lines = [
        *(f"imap://imap.example.test:{port} from autoconfig {AUTOCONFIG} failed the probe: MC802 cannot connect "
          f"to imap.example.test port {port} {refused}" for port in ports[:5]),
        f"and {len(ports) - 5} more candidates failed the probe",
        "no usable server found for alice@example.test:",
        f"  autoconfig {AUTOCONFIG}: only servers that failed the probe",
        "  autoconfig https://example.test/.well-known/autoconfig/mail/config-v1.1.xml: "
        f"example.test has no address (the DNS server {dns.server})",
        f"  ispdb https://ispdb.test/v1.1/example.test: ispdb.test has no address (the DNS server {dns.server})",
        "  mx example.test: no MX record for example.test",
        "  srv _*._tcp.example.test: no SRV record for example.test",
    ]  # fmt: skip
    assert run == Run(1, "", "".join(f"mailconf: {line}\n" for line in lines))


def test_a_candidate_the_deadline_left_unprobed_is_not_written(
    discover: Any, tmp_path: Path, rig_certs: RigCerts, rig_dovecot: Dovecot, rig_smtp: SmtpServer
) -> None:
    """The first incoming server never greets and uses up the deadline: the next one (from SRV) cannot be probed.
    It was written unprobed, exit 0, as if it had been checked; now nothing is written, the candidate is named,
    and the rerun is said. (1 s: less than a probe's least share of the time left, engine.MIN_SHARE, so the
    silent server gets all of it; the probe's own timeout for it, whole seconds above what is left, ends after the
    run's deadline, which is what the first line names.)"""
    target = tmp_path / "work.yaml"
    with ScriptedServer(never_greet) as silent:
        body = config(
            server("imap", "imap.example.test", silent.port), server("smtp", "smtp.example.test", rig_smtp.port)
        )
        with web_and_dns(
            {"/mail/config-v1.1.xml": xml(body)},
            rig_certs.leaf,
            ["autoconfig.example.test"],
            [f"srv-host=_imaps._tcp.example.test,imap.example.test,{rig_dovecot.ports.imaps},0,0"],
        ) as (_, dns):
            run = discover(dns, "--timeout", "1", "-o", str(target))
    assert run == Run(1, "", (
        f"mailconf: imap://imap.example.test:{silent.port} from autoconfig {AUTOCONFIG} failed the probe: no verdict "
        "within the 1 s deadline; taking the next candidate\n"
        f"mailconf: incoming imap://imap.example.test:{rig_dovecot.ports.imaps} from srv example.test was not probed: "
        "the 1 s deadline had passed\n"
        "mailconf: no account written: rerun with a longer --timeout (--timeout 2), or with --no-probe to take "
        "servers unprobed\n"
    ))  # fmt: skip
    assert not target.exists()


def test_a_server_that_never_answers_leaves_time_for_the_next_candidate(
    discover: Any, rig_certs: RigCerts, rig_dovecot: Dovecot, rig_smtp: SmtpServer
) -> None:
    """A server that never answers (a port a firewall drops, a server that never greets) had the whole deadline for
    its probe, whatever --timeout was: the next candidate was never probed, and `rerun with a longer --timeout`,
    said for it, changed nothing. A probe with candidates behind it now gets half the time left (at least 1 s)."""
    with ScriptedServer(never_greet) as silent:
        body = config(
            server("imap", "imap.example.test", silent.port), server("smtp", "smtp.example.test", rig_smtp.port)
        )
        with web_and_dns(
            {"/mail/config-v1.1.xml": xml(body)},
            rig_certs.leaf,
            ["autoconfig.example.test"],
            [f"srv-host=_imaps._tcp.example.test,imap.example.test,{rig_dovecot.ports.imaps},0,0"],
        ) as (_, dns):
            run = discover(dns, "--timeout", "3")  # a longer --timeout than above: it gave the silent server more
    assert run == Run(0, account(
        incoming=(f"from srv example.test; probe: {IMAPS_OK}", imaps(rig_dovecot)),
        outgoing=(f"from autoconfig {AUTOCONFIG}; probe: {SMTPS_OK}", smtps(rig_smtp)),
    ), (
        f"mailconf: imap://imap.example.test:{silent.port} from autoconfig {AUTOCONFIG} failed the probe: no verdict "
        "within its share of the 3 s deadline (the rest is kept for the next candidates); taking the next candidate\n"
    ))  # fmt: skip


def test_a_server_without_tls_is_flagged(discover: Any, rig_certs: RigCerts) -> None:
    """socketType plain: the password and the mail would cross the network readable. Thunderbird asks the user
    first (as for the other flags); discover wrote it as any other server, unflagged, exit 0."""
    body = config(server("imap", "imap.example.test", 143, socket="plain"))
    with web_and_dns({"/mail/config-v1.1.xml": xml(body)}, rig_certs.leaf, ["autoconfig.example.test"]) as (_, dns):
        run = discover(dns, "--no-probe")
    flag = "CLEARTEXT: security none, anyone on the path can read the password and the mail"
    assert run == Run(0, account(incoming=(
        f"{flag}; from autoconfig {AUTOCONFIG}; not probed (--no-probe)",
        "protocol: imap\nhost: imap.example.test\nport: 143\nsecurity: none\nauth: password",
    )), (
        "mailconf: warning: no outgoing server found; add it by hand\n"
        f"mailconf: warning: incoming imap.example.test: {flag}\n"
    ))  # fmt: skip
