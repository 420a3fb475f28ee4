"""Issue 12's benchmark: ``mailconf serve`` under load, and a reload under load.

With 10,000 accounts (997 mail domains; benchmarks/out/, git-ignored) loaded, it runs:

1. ``wrk -t2 -c32 -d10s --latency`` against ``mailconf serve`` (waitress, access log on),
   each request an autoconfig fetch for another address (``?emailaddress=userNNNNN@mailDDD...``,
   a Lua script walks all 10,000), so every domain's document is asked for;
2. the same run with a SIGHUP sent a third of the way in: the 10,000 accounts are loaded and
   every response rebuilt while wrk goes on; the reload time (SIGHUP to the ``reloaded`` log
   line) and wrk's latency percentiles and maximum show whether requests stall;
3. automx2 (the Flask autoconfig/Autodiscover server, PyPI ``automx2``) serving the same
   997 domains and servers from its SQLite database under the same waitress, same wrk run,
   when ``--automx2-venv`` holds it (``python3 -m venv V && V/bin/pip install automx2 waitress``).

Target (issue 12): at least 2,000 autoconfig requests per second on this machine's 2 cores,
and no stall during a reload. wrk and the server share the 2 cores.

    python3 benchmarks/serve_bench.py [--duration 10] [--automx2-venv /tmp/automx2-venv]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from _common import OUT, ROOT, machine, write_accounts_file

ACCOUNTS = 10_000
DOMAINS = 997  # as benchmarks/_common.py spreads them

LUA = """
local i = 0
request = function()
  i = i + 1
  local n = (i % ACCOUNTS) + 1
  return wrk.format("GET", string.format("/mail/config-v1.1.xml?emailaddress=user%05d%%40mail%03d.example.net",
                                          n, n % DOMAINS))
end
"""


class Load(NamedTuple):
    requests_per_second: float
    requests: int
    non_2xx: int
    socket_errors: str
    p50: str
    p99: str
    maximum: str


def wrk(url: str, duration: int, script: Path) -> subprocess.Popen[str]:
    command = ["wrk", "-t2", "-c32", f"-d{duration}s", "--latency", "-s", str(script), url]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def parse_wrk(output: str) -> Load:
    def find(pattern: str, default: str = "") -> str:
        found = re.search(pattern, output, re.MULTILINE)
        return found.group(1) if found else default

    return Load(
        float(find(r"^Requests/sec:\s+([\d.]+)", "0")),
        int(find(r"^\s+(\d+) requests in", "0")),
        int(find(r"Non-2xx or 3xx responses: (\d+)", "0")),
        find(r"Socket errors: (.*)$", "none"),
        find(r"^\s+50%\s+(\S+)"),
        find(r"^\s+99%\s+(\S+)"),
        find(r"^\s+Latency\s+\S+\s+\S+\s+(\S+)"),
    )


@contextmanager
def mailconf_serve(path: Path, log: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mailconf", "serve", "--bind", "127.0.0.1:0", "--poll-interval", "0", str(path)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=sink, env=env,
        )  # fmt: skip
    try:
        found = wait_for_line(log, rb"listening on (http://127\.0\.0\.1:\d+)/", proc)
        yield found.decode(), proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_for_line(
    log: Path, pattern: bytes, proc: subprocess.Popen[bytes], after: int = 0, limit: float = 300
) -> bytes:
    deadline = time.monotonic() + limit
    compiled = re.compile(pattern)
    while time.monotonic() < deadline:
        found = compiled.search(log.read_bytes()[after:])
        if found:
            return found.group(1) if compiled.groups else found.group(0)
        if proc.poll() is not None:
            raise SystemExit(f"the server ended ({proc.returncode}); see {log}")
        time.sleep(0.05)
    raise SystemExit(f"no {pattern!r} in {log} within {limit} s")


class Reload(NamedTuple):
    load: Load
    #: seconds from SIGHUP to the ``reloaded`` log line
    took: float
    #: True when the swap happened while wrk was still running
    inside: bool
    #: the probe's requests during the reload (SIGHUP to the log line), and the slowest of them (seconds)
    probes_during: int
    slowest_during: float
    slowest_before: float


def reload_under_load(url: str, proc: subprocess.Popen[bytes], log: Path, duration: int, script: Path) -> Reload:
    """wrk for ``3 * duration`` s with a SIGHUP at ``duration / 5`` s, and a probe asking one request at a time.

    The probe (http.client, one connection, one request after the other) times every request, so the
    slowest one between SIGHUP and the ``reloaded`` line shows a stall if there is one.
    """
    import http.client
    import threading
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    samples: list[tuple[float, float]] = []  # (when it started, how long it took)
    done = threading.Event()

    def probe() -> None:
        connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
        while not done.is_set():
            started = time.monotonic()
            connection.request("GET", "/mail/config-v1.1.xml?emailaddress=user00001%40mail001.example.net")
            connection.getresponse().read()
            samples.append((started, time.monotonic() - started))
        connection.close()

    total = 3 * duration
    load = wrk(url, total, script)
    prober = threading.Thread(target=probe)
    prober.start()
    time.sleep(duration / 5)
    before = log.stat().st_size
    hup = time.monotonic()
    proc.send_signal(signal.SIGHUP)
    wait_for_line(log, rb"mailconf: serve: [^\n]*: reloaded: ", proc, after=before)
    swapped = time.monotonic()
    output, _ = load.communicate()
    ended = time.monotonic()
    done.set()
    prober.join()
    during = [took for when, took in samples if hup <= when <= swapped]
    earlier = [took for when, took in samples if when < hup]
    return Reload(parse_wrk(output), swapped - hup, swapped < ended, len(during), max(during, default=0.0),
                  max(earlier, default=0.0))  # fmt: skip


AUTOMX2_FILL = """
import json, os, sys
from automx2.server import app
from automx2.model import Base, Domain, Provider, Server, db
with app.app_context():
    Base.metadata.create_all(db.engine)
    for name, servers in json.load(open(sys.argv[1])).items():
        provider = Provider(name=name, short_name=name[:32])
        domain = Domain(name=name, provider=provider)
        db.session.add_all([provider, domain])
        for s in servers:
            db.session.add(Server(name=s["host"], port=s["port"], type=s["type"], socket_type=s["socket"],
                                  user_name="%EMAILADDRESS%", authentication="plain", domains=[domain]))
    db.session.commit()
"""

SOCKET = {"tls": "SSL", "starttls": "STARTTLS", "none": "plain"}
AUTOMX2_TYPE = {"imap": "imap", "pop3": "pop", "smtp": "smtp"}  # automx2's Server.type values


def automx2_servers(path: Path) -> dict[str, list[dict[str, object]]]:
    """Each mail domain's servers, from the same account file mailconf serves."""
    sys.path.insert(0, str(ROOT))
    from mailconf.document import load_document

    domains: dict[str, dict[tuple[str, str, int], dict[str, object]]] = {}
    for account in load_document(str(path)).model.accounts:
        found = domains.setdefault(account.address.rpartition("@")[2].lower(), {})
        for server in account.servers:
            key = (server.protocol.value, server.host, server.port)
            found.setdefault(key, {"type": server.protocol.value, "host": server.host, "port": server.port,
                                   "socket": SOCKET[server.security.value]})  # fmt: skip
            found[key]["type"] = AUTOMX2_TYPE[server.protocol.value]
    return {domain: list(servers.values()) for domain, servers in domains.items()}


@contextmanager
def automx2_serve(venv: Path, path: Path, work: Path) -> Iterator[str]:
    database = work / "automx2.db"
    database.unlink(missing_ok=True)
    conf = work / "automx2.conf"
    conf.write_text(f"[automx2]\nloglevel = WARNING\ndb_uri = sqlite:///{database}\nproxy_count = 0\n")
    servers = work / "servers.json"
    servers.write_text(json.dumps(automx2_servers(path)))
    env = {**os.environ, "AUTOMX2_CONF": str(conf)}
    env.pop("PYTHONPATH", None)
    python = str(venv / "bin" / "python")
    subprocess.run([python, "-c", AUTOMX2_FILL, str(servers)], env=env, check=True)
    port = free_port()
    serve = (
        "import logging, waitress; logging.getLogger('waitress.queue').setLevel(logging.ERROR); "
        f"from automx2.server import app; waitress.serve(app, host='127.0.0.1', port={port}, threads=8)"
    )
    log = work / "automx2.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen([python, "-c", serve], env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def wait_for_port(port: int, proc: subprocess.Popen[bytes], limit: float = 120) -> None:
    import socket

    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"automx2 ended ({proc.returncode})")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"automx2 is not listening on {port} after {limit} s")


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def show(label: str, load: Load) -> str:
    return (
        f"| {label} | {load.requests_per_second:,.0f} | {load.requests:,} | {load.non_2xx} | {load.socket_errors} "
        f"| {load.p50} | {load.p99} | {load.maximum} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--duration", type=int, default=10, help="seconds of each wrk run")
    parser.add_argument("--automx2-venv", type=Path, default=None, help="a venv with automx2 and waitress")
    args = parser.parse_args()
    path = write_accounts_file(ACCOUNTS)
    work = Path(tempfile.mkdtemp(prefix="serve-bench-", dir=OUT))
    script = work / "walk.lua"
    script.write_text(LUA.replace("ACCOUNTS", str(ACCOUNTS)).replace("DOMAINS", str(DOMAINS)))
    print(machine())
    print(
        f"{ACCOUNTS:,} accounts, {DOMAINS} domains ({path}); wrk -t2 -c32 -d{args.duration}s;"
        " server and wrk share the cores\n"
    )
    rows = [
        "| server | requests/s | requests | non-2xx | socket errors | p50 | p99 | max |",
        "|---|---|---|---|---|---|---|---|",
    ]
    log = work / "serve.log"
    started = time.monotonic()
    with mailconf_serve(path, log) as (url, proc):
        loaded = time.monotonic() - started
        load = wrk(url, args.duration, script)
        rows.append(show("mailconf serve (waitress, 8 threads, access log on)", parse_wrk(load.communicate()[0])))
        print(rows[-1], flush=True)
        reload = reload_under_load(url, proc, log, args.duration, script)
        rows.append(
            show(f"mailconf serve, {3 * args.duration} s run with a SIGHUP reload of all 10,000 accounts", reload.load)
        )
        print(rows[-1], flush=True)
    note = ""
    if args.automx2_venv is None:
        note = "automx2: not run (give --automx2-venv V, a venv with `pip install automx2 waitress`)"
    else:
        with automx2_serve(args.automx2_venv, path, work) as url:
            load = wrk(url, args.duration, script)
            rows.append(show("automx2 2026.2 (Flask + SQLite, waitress, 8 threads)", parse_wrk(load.communicate()[0])))
    print("\n" + "\n".join(rows))
    print(f"\nstart-up (load, lint, build every response, listen): {loaded:.1f} s")
    print(
        f"reload under load: {reload.took:.1f} s from SIGHUP to the swap"
        f" ({'inside' if reload.inside else 'AFTER the end of'} the wrk run); a probe asking one request at a time"
        f" got {reload.probes_during} answers during the reload, the slowest in {reload.slowest_during * 1000:.0f} ms"
        f" (before the SIGHUP: {reload.slowest_before * 1000:.0f} ms)"
    )
    if note:
        print(note)


if __name__ == "__main__":
    main()
