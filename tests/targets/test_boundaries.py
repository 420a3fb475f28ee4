"""The schema's boundary values, read back by the real clients of mbsync, getmail and offlineimap.

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
  port and the ``socktimeout`` it sets.

aerc is not here: it has no dump mode, and its read-back (aerc in tmux, logging in to a stub) takes seconds
per file; its URLs are built from the same values (IPv6 bracketed: test_aerc.test_ipv6_hosts_are_bracketed,
the timeout: test_aerc.test_connection_timeout_takes_effect). An IDN host (``müller``) never reaches a
target: the schema refuses it, and lint says to write its ASCII form (test_idn_host_is_refused_with_its_ascii_form).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mailconf.document import load_document
from mailconf.render import render_model
from mailconf.targets import TARGETS, Rendered
from tests.targets import test_getmail, test_mbsync, test_offlineimap
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
