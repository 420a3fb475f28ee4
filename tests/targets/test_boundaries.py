"""The schema's boundary values, read back by every client that can read them here.

One table of boundary values (ports 1 and 65535, timeouts 0, 1 and the schema's 86400, the longest host,
a 63-character label, an IDN host's punycode, IPv4 and IPv6 literals, a host with a trailing dot), one
account per value, security ``none`` (the TLS gaps on IP addresses and trailing dots are tested by each
target's own tests). Each test asserts the exact host, port and timeout the client read, or the exact gap
(or refusal) mailconf reports instead. Each value is read back by the client itself:

- msmtp 1.8.23 (send only: the value goes to an SMTP server without TLS, default port 587): ``msmtp --pretend``
  prints host, port and timeout (``off`` for none and for 0); sending then names the address and port it connects
  to (``cannot connect to ::1, port 65535``) or the host it looks up (``cannot locate host HOST``);
- fetchmail 6.4 (tests/targets/_fetchmail_client.py): ``fetchmail --configdump`` prints ``via``, ``service`` and
  ``timeout`` (0 is a gap: fetchmail reads it as its 300 s). It runs nothing and polls nothing, but fetchmail
  takes a global lock: never run these tests beside other fetchmail tests;
- mutt and neomutt (tests/targets/_mutt_client.py): the value goes to both servers; ``-Q`` prints ``folder``,
  ``smtp_url`` and ``connect_timeout`` (0 is -1, wait forever), and a batch-mode send through ``smtp_url`` shows
  the client's own URL parser: it names the host it connects to (without the brackets) or looks up. Both keep 127
  bytes of a host: the 253-character host is refused at render;
- Outlook: no Outlook here. The .reg goes through a real registry hive (hivexregedit merges and exports it,
  tests/targets/_hive.py; every timeout is a gap, its registry name being unknown); the PRF through the suite's
  INI reader (0 is a gap; 1 and 86400 are written as declared, outside the 30 s to 10 min the UI offers, which the
  target's docs list as unverified);
- Thunderbird 153: one headless run per value (a few seconds, Marionette, tests/targets/test_thunderbird.py) gives
  the server's hostname and port from its account manager and the global ``mailnews.tcptimeout`` (0 is a gap; an
  IPv6 host is a gap, and Thunderbird renames that server ``server1.invalid``);

- mbsync 1.4.4 (no dump mode): ``mbsync -l`` tries to connect and names the host it resolves (``Cannot
  resolve server 'HOST'``) or the address and port it connects to (``Cannot connect to HOST ([::1]:PORT)``);
  nothing listens on ``127.0.0.1``/``::1`` at ports 1 and 65535 here. Its ``Timeout`` cannot be read back:
  the file parses (``mbsync -c RC NO_SUCH_CHANNEL``) and the line is checked as written;
- getmail 6.18.11: ``getmail --dump`` prints ``server``, ``port`` and ``timeout`` as it read them;
- offlineimap3: its own ``IMAPServer`` object (tests/targets/test_offlineimap.py, phase ``use``) gives host,
  port and the ``socktimeout`` it sets;
- aerc 0.14 and 0.20 (tests/targets/_aerc_client.py; 0.20 where ``MAILCONF_AERC_0_20`` names it): no dump mode,
  and a run takes seconds, so one aerc run per version reads the whole table (one account per value in one
  accounts.conf). aerc connects every account at start and its debug log names the address it dials
  (``dial tcp [::1]:65535: connect: connection refused``) or the host it looks up. The timeouts run on accounts of
  their own at a server that never greets (test_aerc_reads_back_host_port_and_timeout says what that shows).

An IDN host (``müller``) never reaches a target: the schema refuses it, and lint says to write its ASCII form
(test_idn_host_is_refused_with_its_ascii_form).
"""

from __future__ import annotations

import ipaddress
import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from mailconf.document import load_document
from mailconf.model import Model
from mailconf.render import RenderError, render_model
from mailconf.targets import TARGETS, Rendered
from tests.servers import ScriptedServer, never_greet
from tests.targets import _mutt_client as mc
from tests.targets import test_aerc, test_getmail, test_mbsync, test_offlineimap, test_thunderbird
from tests.targets._aerc_client import AERC_TIMEOUT, VERSIONS, aerc
from tests.targets._common import render_with
from tests.targets._fetchmail_client import entries
from tests.targets._msmtp_client import pretend, send
from tests.targets._readback import _GETMAIL_SPLIT
from tests.targets.test_outlook import account_key, hive_of
from tests.targets.test_outlook_prf import read_prf

LONG_HOST = ".".join(["a" * 63] * 3) + "." + "b" * 61  # 253 characters, the schema's longest
LABEL_63 = "c" * 63 + ".example.org"

#: (what changes in the account, what the client must read back: host, port, timeout (None: the client's default))
VALUES: list[tuple[dict[str, Any], tuple[str, int, int | None]]] = [
    ({"host": "127.0.0.1", "port": 1}, ("127.0.0.1", 1, None)),
    ({"host": "127.0.0.1", "port": 65535}, ("127.0.0.1", 65535, None)),
    ({"host": "::1", "port": 1}, ("::1", 1, None)),
    ({"host": "::1", "port": 65535, "timeout": 1}, ("::1", 65535, 1)),
    ({"host": "::ffff:127.0.0.1", "port": 143}, ("::ffff:127.0.0.1", 143, None)),
    ({"host": LONG_HOST, "timeout": 86400}, (LONG_HOST, 143, 86400)),
    ({"host": LABEL_63, "timeout": 0}, (LABEL_63, 143, 0)),
    ({"host": "imap.xn--mller-kva.invalid"}, ("imap.xn--mller-kva.invalid", 143, None)),
    ({"host": "imap.example.invalid."}, ("imap.example.invalid.", 143, None)),
]
IDS = ["port-1", "port-65535", "ipv6-port-1", "ipv6-port-65535", "ipv4-mapped", "host-253", "label-63",
       "punycode", "trailing-dot"]  # fmt: skip


#: The incoming server every value is put into (the table's default port, 143, is IMAP's without TLS).
IMAP = {"protocol": "imap", "security": "none", "username": "alice", "password_command": "echo pw"}
#: The same without a password command, for the targets that run none (fetchmail 6.4, Outlook, Thunderbird).
IMAP_NO_COMMAND = {k: v for k, v in IMAP.items() if k != "password_command"}
#: The outgoing server of the send-only targets: SMTP without TLS, whose default port is 587, not the table's 143.
SMTP = {"security": "none", "auth": "none"}
SMTP_PORT = 587


def model_of(
    change: dict[str, Any], incoming: dict[str, Any] | None = IMAP, outgoing: dict[str, Any] | None = None
) -> Model:
    account: dict[str, Any] = {"address": "a@example.org"}
    for side, server in (("incoming", incoming), ("outgoing", outgoing)):
        if server is not None:
            account[side] = {**server, **change}
    text = json.dumps({"version": 1, "accounts": {"work": account}})
    doc = load_document("boundaries.yaml", text.encode())
    assert [i for i in doc.issues if i.rule in ("MC001", "MC002", "MC703")] == [], doc.issues  # the schema takes it
    assert [a.name for a in doc.model.accounts] == ["work"]
    return doc.model


def rendered(
    target: str,
    change: dict[str, Any],
    root: Path,
    incoming: dict[str, Any] | None = IMAP,
    outgoing: dict[str, Any] | None = None,
) -> Rendered:
    """The account ``work`` with the change on each server given, rendered by ``target``."""
    return render_model(TARGETS[target], model_of(change, incoming, outgoing), {"maildir-root": str(root / "Mail")})


@pytest.mark.parametrize(("change", "read"), VALUES, ids=IDS)
def test_mbsync_reads_back_host_and_port(tmp_path: Path, change: dict[str, Any], read: tuple[str, int, int]) -> None:
    host, port, timeout = read
    done = rendered("mbsync", change, tmp_path)
    assert done.gaps == ()
    rc = test_mbsync.write(tmp_path, done)
    (tmp_path / "Mail" / "work").mkdir(parents=True)
    test_mbsync.parses(rc, tmp_path)
    text = rc.read_text()
    assert ("Timeout" not in text) if timeout is None else (f"\nTimeout {timeout}\n" in text)
    got = test_mbsync.mbsync(rc, tmp_path, "-l", "work")
    first = got.stdout.split("\n")[0] or got.stderr.split("\n")[0]
    if host in ("127.0.0.1", "::1", "::ffff:127.0.0.1"):
        shown = f"[{host}]" if ":" in host else host
        assert first == f"Cannot connect to {host} ({shown}:{port}): Connection refused", got
    else:
        assert first == f"Error: Cannot resolve server '{host}': Name or service not known", got


@pytest.mark.parametrize(("change", "read"), VALUES, ids=IDS)
def test_getmail_reads_back_host_port_and_timeout(
    tmp_path: Path, change: dict[str, Any], read: tuple[str, int, int | None]
) -> None:
    host, port, timeout = read
    done = rendered("getmail", change, tmp_path)
    gaps = [g.setting for g in done.gaps]
    expected = (["incoming.timeout"] if timeout == 0 else []) + (["incoming.host"] if host == LONG_HOST else [])
    assert sorted(gaps) == sorted(expected)
    rc = test_getmail.write(tmp_path, done)["work"]
    test_getmail.maildir(tmp_path / "Mail" / "work")
    retriever = test_getmail.dump(rc, tmp_path).retriever
    kind, _, rest = retriever.partition("(")
    shown = dict(part.split('="', 1) for part in _GETMAIL_SPLIT.split(rest[:-2]))
    assert (kind, shown["server"], shown["port"]) == ("SimpleIMAPRetriever", host, str(port))
    assert shown["timeout"] == str(timeout or 180)  # 0 is the gap: left out, getmail's 180 s


@pytest.mark.parametrize(("change", "read"), VALUES, ids=IDS)
def test_offlineimap_reads_back_host_port_and_timeout(
    tmp_path: Path, change: dict[str, Any], read: tuple[str, int, int | None]
) -> None:
    host, port, timeout = read
    done = rendered("offlineimap", change, tmp_path)
    assert done.gaps == ()
    rc = test_offlineimap.write(tmp_path, done)
    used = test_offlineimap.offlineimap_reads(rc, tmp_path, "use")
    assert (used["repos"]["work"]["host"], used["repos"]["work"]["port"]) == (host, port)
    # offlineimap3 sets a socket timeout only when socktimeout > 0: 0 (written, or left out) is none
    assert used["socktimeout"] == (timeout or 0)


# --- msmtp, fetchmail, mutt and neomutt: each value read back by the client, one file per value ----------------

#: What msmtp --pretend prints for each timeout: none declared, and 0 (none: written ``timeout off``), are "off".
MSMTP_TIMEOUT = {None: "off", 0: "off", 1: "1 second", 86400: "86400 seconds"}


@pytest.mark.parametrize(("change", "read"), VALUES, ids=IDS)
def test_msmtp_reads_back_host_port_and_timeout(
    tmp_path: Path, change: dict[str, Any], read: tuple[str, int, int | None]
) -> None:
    """msmtp only sends: each value goes to the outgoing server (SMTP without TLS, whose default port is 587).
    ``msmtp --pretend`` prints host, port and timeout as msmtp read them; sending then names the address and port
    it connects to (nothing listens at them here) or the host it looks up."""
    host, _, timeout = read
    port = change.get("port", SMTP_PORT)
    done = rendered("msmtp", change, tmp_path, incoming=None, outgoing=SMTP)
    assert done.gaps == ()
    [file] = done.files
    rc = tmp_path / file.name
    rc.write_bytes(file.content)
    rc.chmod(0o600)
    shown = pretend(rc, "work", tmp_path)
    assert (shown["host"], shown["port"], shown["timeout"]) == (host, str(port), MSMTP_TIMEOUT[timeout])
    code, stderr = send(rc, "work", tmp_path, "rcpt@example.net")
    if _is_address(host):  # EX_TEMPFAIL
        said = (75, f"msmtp: cannot connect to {host}, port {port}: Connection refused")
    else:  # EX_NOHOST
        said = (68, f"msmtp: cannot locate host {host}: Name or service not known")
    assert (code, stderr.split("\n")[0]) == said, stderr


FETCHMAIL_TIMEOUT_0 = "fetchmail reads timeout 0 as its default (300 seconds); give a number of seconds"


@pytest.mark.parametrize(("change", "read"), VALUES, ids=IDS)
def test_fetchmail_reads_back_host_port_and_timeout(
    tmp_path: Path, change: dict[str, Any], read: tuple[str, int, int | None]
) -> None:
    """``fetchmail --configdump`` prints the entry as fetchmail parsed it: ``via``, ``service`` and ``timeout``
    (its default, 300 s, where none is written; 0 is the gap). No password command: fetchmail 6.4 runs none."""
    host, port, timeout = read
    done = rendered("fetchmail", change, tmp_path, incoming=IMAP_NO_COMMAND)
    gaps = [(g.account, g.setting, g.instead) for g in done.gaps]
    assert gaps == ([("work", "incoming.timeout", FETCHMAIL_TIMEOUT_0)] if timeout == 0 else [])
    [file] = done.files
    rc = tmp_path / file.name
    rc.write_bytes(file.content)
    rc.chmod(0o600)
    parsed = entries(rc, tmp_path)
    assert list(parsed) == ["work"]
    entry = parsed["work"]
    assert (entry["via"], entry["service"], entry["protocol"]) == (host, str(port), "IMAP")
    assert entry["timeout"] == (timeout or 300)


#: What mutt and neomutt print for connect_timeout: their default (30) where none is written; 0 (none) is -1.
MUTT_TIMEOUT = {None: "30", 0: "-1"}


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
@pytest.mark.parametrize(("change", "read"), VALUES, ids=IDS)
def test_mutt_reads_back_host_port_and_timeout(
    tmp_path: Path, binary: str, change: dict[str, Any], read: tuple[str, int, int | None]
) -> None:
    """The value goes to both servers (IMAP, and SMTP without TLS). The client prints ``folder``, ``smtp_url``
    and ``connect_timeout`` as it read them (``-Q``); its own URL parser shows in a batch-mode send through
    ``smtp_url``, which names the host it connects to (bracket-less) or looks up. Both clients keep 127 bytes of a
    host: the 253-character one is refused."""
    host, port, timeout = read
    if host == LONG_HOST:
        with pytest.raises(RenderError) as refused:
            rendered(binary, change, tmp_path, outgoing=SMTP)
        assert str(refused.value) == (
            f"target {binary}: not rendered: account work: incoming.host: {binary} keeps only the first 127 bytes "
            "of a host name and would connect to the name cut short: use a shorter name"
        )
        return
    done = rendered(binary, change, tmp_path, outgoing=SMTP)
    assert done.gaps == ()
    [file] = done.files
    mc.check_lines(file.content)
    rc = tmp_path / file.name
    rc.write_bytes(file.content)
    home = tmp_path / "home"
    home.mkdir()
    client = mc.Client(binary, home)
    q = client.query(rc, ["folder", "smtp_url", "connect_timeout"])
    in_url = f"[{host}]" if ":" in host else host
    smtp_port = change.get("port", SMTP_PORT)
    assert (q["folder"], q["smtp_url"]) == (f"imap://{in_url}:{port}/", f"smtp://{in_url}:{smtp_port}/")
    assert q["connect_timeout"] == MUTT_TIMEOUT.get(timeout, str(timeout))
    sent = client.run(rc, "-s", "subject", "rcpt@example.net", stdin=b"hi\n")
    said = sent.stderr.decode("utf-8")
    if _is_address(host):
        assert re.fullmatch(rf"Could not connect to {re.escape(host)} \(Connection refused\)\.?\n", said), said
    else:
        assert re.fullmatch(rf'Could not find the host "{re.escape(host)}"\.?\n', said), said
    assert sent.returncode == 1 and re.fullmatch(rb"Could not send the message\.?\n", sent.stdout), sent


# --- Outlook: the .reg through a real registry hive (hivex), the PRF through an INI reader -----------------------

REG_TIMEOUT = (
    "the registry name of Outlook's server timeout is unknown: use the outlook-prf target (ServerTimeOut), or set it "
    "in Account Settings > More Settings > Advanced > Server Timeouts"
)
PRF_TIMEOUT_0 = "Outlook always has a server timeout (30 seconds to 10 minutes): ServerTimeOut is left out"


@pytest.mark.parametrize(("change", "read"), VALUES, ids=IDS)
def test_outlook_reg_reads_back_host_and_port(
    tmp_path: Path, change: dict[str, Any], read: tuple[str, int, int | None]
) -> None:
    """No Outlook here: the .reg is merged into a registry hive by hivexregedit and exported back
    (tests/targets/_hive.py). Every timeout is a gap: its registry name is unknown."""
    host, port, timeout = read
    done = rendered("outlook", change, tmp_path, incoming=IMAP_NO_COMMAND)
    gaps = [(g.account, g.setting, g.instead) for g in done.gaps]
    assert gaps == ([] if timeout is None else [("work", "incoming.timeout", REG_TIMEOUT)])
    [file] = done.files
    values = hive_of(tmp_path, file.content)[account_key("Outlook", 1)]
    assert (values["IMAP Server"], values["IMAP Port"]) == (host, port)
    assert [name for name in values if "time" in name.lower()] == []


@pytest.mark.parametrize(("change", "read"), VALUES, ids=IDS)
def test_outlook_prf_reads_back_host_port_and_timeout(
    tmp_path: Path, change: dict[str, Any], read: tuple[str, int, int | None]
) -> None:
    """No Outlook here: the PRF is read by the suite's INI reader (tests/targets/test_outlook_prf.py), as strictly
    as Outlook's is documented. 0 is a gap (ServerTimeOut left out); 1 and 86400 are written as declared, outside
    the 30 s to 10 min the UI offers (the target's docs list that as unverified)."""
    host, port, timeout = read
    done = rendered("outlook-prf", change, tmp_path, incoming=IMAP_NO_COMMAND)
    gaps = [(g.account, g.setting, g.instead) for g in done.gaps]
    assert gaps == ([("work", "incoming.timeout", PRF_TIMEOUT_0)] if timeout == 0 else [])
    [file] = done.files
    values = read_prf(file.content)["Account1"]
    assert (values["IMAPServer"], values["IMAPPort"], values.get("ServerTimeOut")) == (
        host, str(port), str(timeout) if timeout else None)  # fmt: skip


# --- Thunderbird 153: its account manager, one headless run (seconds) per value -----------------------------------

TB_IPV6 = (
    "Thunderbird 153 drops an IMAP/POP3 account whose host is an IPv6 address or ends in a number without being "
    "an IPv4 address (its server URL does not parse): use a host name"
)
TB_TIMEOUT_0 = (
    "Thunderbird has one timeout for all accounts (mailnews.tcptimeout, seconds, never 0) and the servers here ask "
    "for 0: set the one you want in Settings > Config Editor"
)
#: Thunderbird's own mailnews.tcptimeout where the file sets none.
TB_DEFAULT_TIMEOUT = 100


@pytest.mark.real
@pytest.mark.parametrize(("change", "read"), VALUES, ids=IDS)
def test_thunderbird_reads_back_host_port_and_timeout(
    tmp_path: Path, change: dict[str, Any], read: tuple[str, int, int | None]
) -> None:
    """A headless Thunderbird on a profile holding the user.js (tests/targets/test_thunderbird.py, ask_thunderbird)
    gives the server's hostname and port from its account manager and the global ``mailnews.tcptimeout``. An IPv6
    host is a gap: Thunderbird renames the server ``server1.invalid``."""
    host, port, timeout = read
    done = rendered("thunderbird", change, tmp_path, incoming=IMAP_NO_COMMAND)
    expected = [("work", "incoming.host", TB_IPV6)] if ":" in host else []
    expected += [("work", "incoming.timeout", TB_TIMEOUT_0)] if timeout == 0 else []
    assert [(g.account, g.setting, g.instead) for g in done.gaps] == expected
    result = test_thunderbird.ask_thunderbird(done)
    assert result["errors"] == []
    [account] = result["accounts"]
    server = account["server"]
    assert (server["hostname"], server["port"]) == ("server1.invalid" if ":" in host else host, port)
    assert result["tcptimeout"] == (timeout or TB_DEFAULT_TIMEOUT)


def test_idn_host_is_refused_with_its_ascii_form(tmp_path: Path) -> None:
    account = tmp_path / "a.yaml"
    account.write_text(
        "version: 1\naccounts:\n  work:\n    address: a@example.org\n"
        "    incoming: {protocol: imap, host: imap.m\u00fcller.de}\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-m", "mailconf", "render", "--target", "mbsync", str(account), "-o", str(tmp_path / "out")],
        capture_output=True, text=True, check=False, timeout=60, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert done.returncode == 1
    assert re.search(
        r"a\.yaml:5:\d+: error MC703 invalid-hostname: host \"imap\.m\\u00fcller\.de\" is not ASCII; DNS and mail "
        r"clients take a host name in ASCII: write its ASCII form: host: \"imap\.xn--mller-kva\.de\"",
        done.stderr,
    ), done.stderr
    assert not (tmp_path / "out").exists()


# --- aerc: one aerc run per version reads the whole table -------------------------------------------------------

#: The table's timeouts, each on an account of its own at a server that accepts and never greets (the table's hosts
#: are never reached, so their timeouts never run out): 1 runs out, 86400 and 0 (a gap: aerc's 30 s) do not.
AERC_TIMEOUTS = sorted({timeout for _, (_, _, timeout) in VALUES if timeout is not None})
#: aerc's log line for an account that could not connect (0.20 adds ": reconnect in Ns").
AERC_FAILED = re.compile(
    r"\S+ \S+ (\d\d:\d\d:\d\d\.\d+) account\.go:\d+: \[([^]]+)\] unexpected error: (.*?)(?:: reconnect in \d+s)?"
)
#: aerc's first log line at start (before any account connects): the time each timeout is counted from.
AERC_STARTED = re.compile(r"INFO  \S+ (\d\d:\d\d:\d\d\.\d+) \S+: Starting up version ")


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _seconds(clock: str) -> float:
    hours, minutes, seconds = clock.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def _aerc_failures(log: Path) -> tuple[float, dict[str, tuple[float, str]]]:
    """When aerc started, and each account's first connection error: (when, what) by account name."""
    lines = log.read_text("utf-8").split("\n") if log.exists() else []
    started = next((_seconds(m[1]) for line in lines if (m := AERC_STARTED.match(line))), 0.0)
    failures: dict[str, tuple[float, str]] = {}
    for line in lines:
        if (m := AERC_FAILED.fullmatch(line)) is not None:
            failures.setdefault(m[2], (_seconds(m[1]), m[3]))
    return started, failures


@pytest.mark.parametrize("version", VERSIONS)
def test_aerc_reads_back_host_port_and_timeout(tmp_path: Path, version: str) -> None:
    """aerc has no dump mode: it connects every account at start and logs where each failed (its debug log,
    tests/targets/_aerc_client.py), naming the address it dialled or the host it looked up. The timeouts cannot
    show on hosts that are never reached: each runs on an account at a server that never greets. 1 s runs out
    (``i/o timeout``, 1 s after aerc started); 86400 s and the gap of 0 (left out: aerc's 30 s) are still waiting a
    second later, which is all a bounded run can show of them (aerc logs no setting it read; an unreadable
    connection-timeout is an error in aerc 0.14's log and a panic in 0.20's, both seen here by hand)."""
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    with ScriptedServer(never_greet) as silent:
        changes = dict(zip(IDS, (change for change, _ in VALUES), strict=True))
        changes |= {f"timeout-{t}": {"host": "127.0.0.1", "port": silent.port, "timeout": t} for t in AERC_TIMEOUTS}
        accounts = {
            name: {"address": "a@example.org", "incoming": {"protocol": "imap", "security": "none",
                                                            "username": "alice", "password_command": "echo pw",
                                                            **change}}
            for name, change in changes.items()
        }  # fmt: skip
        done = render_with(TARGETS["aerc"], accounts, {"version": version})
        timeout_0 = f"aerc {version} reads connection-timeout 0 as 'give up at once': left out, so aerc's default of "
        timeout_0 += "30 seconds applies; give a number of seconds"
        assert [(g.account, g.setting, g.instead) for g in done.gaps] == [
            (name, "incoming.timeout", timeout_0) for name, change in changes.items() if change.get("timeout") == 0
        ]
        [file] = done.files
        sections = dict(test_aerc.go_ini_sections(file.content.decode("utf-8")))
        for name, change in changes.items():
            timeout = change.get("timeout")
            assert dict(sections[name]).get("connection-timeout") == (f"{timeout}s" if timeout else None), name
        waited_for = [*IDS, "timeout-1"]
        with aerc(file.content, home, version) as client:
            deadline = time.monotonic() + AERC_TIMEOUT
            while not set(waited_for) <= _aerc_failures(client.log)[1].keys() and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(1)  # the longer timeouts' chance to show, had they been read shorter
            started, failures = _aerc_failures(client.log)
    for name, (change, (host, port, _)) in zip(IDS, VALUES, strict=True):
        assert name in failures, (name, failures)
        message = failures[name][1]
        if _is_address(host):  # Go dials an IPv4-mapped address as the IPv4 one it is
            ip = ipaddress.ip_address(host)
            ip = getattr(ip, "ipv4_mapped", None) or ip
            address = f"[{ip}]" if ip.version == 6 else str(ip)
            assert message == f"dial tcp {address}:{port}: connect: connection refused", (name, message)
        else:  # aerc 0.14 names the lookup alone, 0.20 the dial around it; "on SERVER" depends on the resolver
            assert re.fullmatch(rf"(dial tcp: )?lookup {re.escape(host)}( on \S+)?: .+", message), (name, message)
            assert change.get("port") is None  # the port is never reached: every named host's is the default, 143
    when, message = failures["timeout-1"]
    assert re.fullmatch(rf"read tcp 127\.0\.0\.1:\d+->127\.0\.0\.1:{silent.port}: i/o timeout", message), message
    assert 1.0 <= when - started < 10, (started, when)  # 1 s after the connection, long before aerc's 30 s
    assert [name for name in failures if name.startswith("timeout-") and name != "timeout-1"] == [], failures
