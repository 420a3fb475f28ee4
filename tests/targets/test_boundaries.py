"""The schema's boundary values, read back by the real mbsync, getmail, offlineimap and aerc.

One table of boundary values (ports 1 and 65535, timeouts 0, 1 and the schema's 86400, the longest host,
a 63-character label, an IDN host's punycode, IPv4 and IPv6 literals, a host with a trailing dot), one
account per value, security ``none`` (the TLS gaps on IP addresses and trailing dots are tested by each
target's own tests). Each value is read back by the client itself:

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
from mailconf.render import render_model
from mailconf.targets import TARGETS, Rendered
from tests.servers import ScriptedServer, never_greet
from tests.targets import test_aerc, test_getmail, test_mbsync, test_offlineimap
from tests.targets._aerc_client import AERC_TIMEOUT, VERSIONS, aerc
from tests.targets._common import render_with
from tests.targets._readback import _GETMAIL_SPLIT

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


def rendered(target: str, change: dict[str, Any], root: Path) -> Rendered:
    incoming = {"protocol": "imap", "security": "none", "username": "alice", "password_command": "echo pw", **change}
    text = json.dumps({"version": 1, "accounts": {"work": {"address": "a@example.org", "incoming": incoming}}})
    doc = load_document("boundaries.yaml", text.encode())
    assert [i for i in doc.issues if i.rule in ("MC001", "MC002", "MC703")] == [], doc.issues  # the schema takes it
    assert [a.name for a in doc.model.accounts] == ["work"]
    return render_model(TARGETS[target], doc.model, {"maildir-root": str(root / "Mail")})


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
