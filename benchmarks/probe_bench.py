"""Issue 4's benchmark: `mailconf probe` over 50 loopback TLS servers, some slow to greet.

The script starts, in a background thread of its own, 50 small servers on
127.0.0.1 (25 IMAP and 25 SMTP, implicit TLS, a certificate for 127.0.0.1 from
a throw-away CA made with trustme, declared through ``tls.ca_file``). Ten of them
wait before their greeting (0.2 s to ``--slowest`` seconds). It writes the account
file (benchmarks/out/, git-ignored) and times, in one run:

- ``mailconf probe`` on all 50 servers (whole processes, median of ``--repeat``),
- ``mailconf probe`` on the slowest server alone (interleaved with the above),
- a sequential loop of ``openssl s_client`` over the same 50 servers.

Target (issue 4): the 50-server wall time is at most the slowest server's + 10%.

Traffic goes only to 127.0.0.1. Every server stops when the script ends, and
by itself after ``--deadline`` seconds; each connection is closed after 30 s.

Needs: trustme (``pip install trustme``, a test dependency) and the openssl
command line tool (Debian: ``apt-get install openssl``). mailconf runs from the
benchmark venv (see _common.py; ``--rebuild`` after a code change).

    python3 benchmarks/probe_bench.py [--repeat 5] [--slowest 2.0] [--rebuild]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from _common import OUT, bench_env, ensure_venv, interleaved, machine, show, venv_bin

HOST = "127.0.0.1"
SERVERS = 50
SLOW = 10  # servers that wait before greeting
CONNECTION_LIMIT = 30.0  # seconds a connection may live
TIMEOUT = 15  # the declared `timeout:` of every server


class Spec(NamedTuple):
    protocol: str  # imap | smtp
    delay: float  # seconds between the TLS handshake and the greeting
    port: int = 0


def specs(slowest: float) -> list[Spec]:
    """25 IMAP + 25 SMTP; ten slow ones spread from 0.2 s to ``slowest``, the slowest one last."""
    delays = [0.0] * SERVERS
    for k in range(SLOW):
        delays[SERVERS - SLOW * 5 + k * 5 + 4] = round(0.2 + (slowest - 0.2) * k / (SLOW - 1), 3)
    return [Spec("imap" if i % 2 == 0 else "smtp", delays[i]) for i in range(SERVERS)]


# --- the servers ------------------------------------------------------------


def answer(protocol: str, line: bytes) -> tuple[bytes, bool]:
    """The reply to one command line, and whether to close the connection after it."""
    words = line.decode("ascii", "replace").split()
    if protocol == "imap":
        tag = words[0] if words else "*"
        command = words[1].upper() if len(words) > 1 else ""
        if command == "CAPABILITY":
            return f"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n{tag} OK done\r\n".encode(), False
        if command == "LOGOUT":
            return f"* BYE bench\r\n{tag} OK bye\r\n".encode(), True
        return f"{tag} BAD not in this benchmark\r\n".encode(), False
    verb = words[0].upper() if words else ""
    if verb == "EHLO":
        return b"250-bench.invalid\r\n250-AUTH PLAIN LOGIN\r\n250 SIZE 1000000\r\n", False
    if verb == "QUIT":
        return b"221 bye\r\n", True
    return b"502 not in this benchmark\r\n", False


async def _serve_one(spec: Spec, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        async with asyncio.timeout(CONNECTION_LIMIT):
            await asyncio.sleep(spec.delay)
            greeting = b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] bench ready\r\n" if spec.protocol == "imap" else None
            writer.write(greeting or b"220 bench.invalid ESMTP ready\r\n")
            await writer.drain()
            while line := await reader.readline():
                reply, done = answer(spec.protocol, line)
                writer.write(reply)
                await writer.drain()
                if done:
                    break
    except (TimeoutError, OSError, ssl.SSLError):
        pass
    finally:
        writer.close()


class Servers:
    """The 50 servers, on an event loop in a daemon thread; stopped by ``stop`` or the deadline."""

    def __init__(self, plan: Sequence[Spec], context: ssl.SSLContext, deadline: float) -> None:
        self.plan = list(plan)
        self.context = context
        self.deadline = deadline
        self.ready = threading.Event()
        self.loop = asyncio.new_event_loop()
        self.stopped: asyncio.Event | None = None
        self.thread = threading.Thread(target=self._run, name="bench-servers", daemon=True)
        self.error: BaseException | None = None

    def __enter__(self) -> list[Spec]:
        self.thread.start()
        if not self.ready.wait(30) or self.error is not None:
            raise RuntimeError(f"the benchmark servers did not start: {self.error!r}")
        return self.plan

    def __exit__(self, *exc: object) -> None:
        if self.stopped is not None:
            self.loop.call_soon_threadsafe(self.stopped.set)
        self.thread.join(10)

    def _run(self) -> None:
        try:
            self.loop.run_until_complete(self._main())
        except BaseException as exc:  # noqa: BLE001 - reported by __enter__
            self.error = exc
            self.ready.set()
        finally:
            self.loop.close()

    async def _main(self) -> None:
        self.stopped = asyncio.Event()
        servers = []
        for index, spec in enumerate(self.plan):

            async def handle(r: asyncio.StreamReader, w: asyncio.StreamWriter, spec: Spec = spec) -> None:
                await _serve_one(spec, r, w)

            server = await asyncio.start_server(handle, HOST, 0, ssl=self.context, ssl_handshake_timeout=10)
            self.plan[index] = spec._replace(port=server.sockets[0].getsockname()[1])
            servers.append(server)
        self.ready.set()
        try:
            await asyncio.wait_for(self.stopped.wait(), self.deadline)
        except TimeoutError:
            print(f"benchmark servers: deadline of {self.deadline} s reached, stopping", file=sys.stderr)
        for server in servers:
            server.close()
        for server in servers:
            await server.wait_closed()


# --- the account files ---------------------------------------------------------


def account_file(plan: Sequence[Spec], ca_file: Path) -> str:
    lines = ["version: 1", "defaults:", f"  timeout: {TIMEOUT}", "  tls:", f"    ca_file: {ca_file}", "accounts:"]
    for i in range(0, len(plan), 2):
        imap, smtp = plan[i], plan[i + 1]
        lines += [
            f"  bench{i // 2:02d}:",
            f"    address: bench{i // 2:02d}@example.net",
            "    incoming:",
            "      protocol: imap",
            f"      host: {HOST}",
            f"      port: {imap.port}",
            "      security: tls",
            "      auth: password",
            f"      password_command: pass show bench{i // 2:02d}",
            "    outgoing:",
            f"      host: {HOST}",
            f"      port: {smtp.port}",
            "      security: tls",
            "      auth: password",
            f"      password_command: pass show bench{i // 2:02d}",
        ]
    return "\n".join(lines) + "\n"


def single_file(spec: Spec, ca_file: Path) -> str:
    side = "incoming" if spec.protocol == "imap" else "outgoing"
    protocol = "      protocol: imap\n" if spec.protocol == "imap" else ""
    return (
        f"version: 1\ndefaults:\n  timeout: {TIMEOUT}\n  tls:\n    ca_file: {ca_file}\naccounts:\n"
        f"  slowest:\n    address: slowest@example.net\n    {side}:\n{protocol}"
        f"      host: {HOST}\n      port: {spec.port}\n      security: tls\n      auth: password\n"
        "      password_command: pass show slowest\n"
    )


def openssl_loop(plan: Sequence[Spec], ca_file: Path) -> float:
    """One sequential pass of `openssl s_client` over every server: handshake, greeting, logout."""
    start = time.perf_counter()
    for spec in plan:
        goodbye = b"m1 LOGOUT\r\n" if spec.protocol == "imap" else b"QUIT\r\n"
        subprocess.run(
            ["openssl", "s_client", "-connect", f"{HOST}:{spec.port}", "-CAfile", str(ca_file),
             "-verify_return_error", "-quiet"],
            input=goodbye, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=CONNECTION_LIMIT, check=False,
        )  # fmt: skip
    return time.perf_counter() - start


def findings_of(argv: list[str], env: dict[str, str]) -> dict[str, int] | None:
    """One probe run's findings counted by rule (None, after saying why, when it printed no JSON)."""
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    try:
        findings = json.loads(done.stdout or "[]")
    except json.JSONDecodeError:
        print(f"mailconf probe did not print JSON (exit {done.returncode}): {done.stderr.strip()[:500]}")
        return None
    by_rule: dict[str, int] = {}
    for finding in findings:
        name = f"{finding['rule']} {finding['slug']}"
        by_rule[name] = by_rule.get(name, 0) + 1
    return by_rule


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="rounds of probe processes (median) [5]")
    parser.add_argument("--slowest", type=float, default=2.0, help="greeting delay of the slowest server [2.0]")
    parser.add_argument("--deadline", type=float, default=600, help="the servers stop after this many seconds [600]")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the wheel and reinstall it into the venv")
    parser.add_argument("--concurrency", type=int, default=None, help="pass --concurrency N to mailconf probe")
    args = parser.parse_args(argv)
    try:
        import trustme
    except ImportError:
        print("probe_bench needs trustme: pip install trustme", file=sys.stderr)
        return 2
    if shutil.which("openssl") is None:
        print("probe_bench needs the openssl command: apt-get install openssl", file=sys.stderr)
        return 2

    ensure_venv(rebuild=args.rebuild)
    env = bench_env()
    print(machine())
    work = OUT / "probe"
    work.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA()
    ca_file = work / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(HOST).configure_cert(context)

    with Servers(specs(args.slowest), context, args.deadline) as plan:
        all_file = work / "probe-50.yaml"
        all_file.write_text(account_file(plan, ca_file), encoding="utf-8")
        slowest = max(plan, key=lambda s: s.delay)
        one_file = work / "probe-slowest.yaml"
        one_file.write_text(single_file(slowest, ca_file), encoding="utf-8")
        mailconf = str(venv_bin("mailconf"))
        probe = [mailconf, "probe"] + ([f"--concurrency={args.concurrency}"] if args.concurrency else [])

        by_rule = findings_of([*probe, "--format", "json", str(all_file)], env)
        if by_rule is None:
            return 1
        print(f"\n{' '.join(probe[1:])} of {len(plan)} servers on {HOST}; findings: {by_rule}")
        delays = sorted({s.delay for s in plan if s.delay})
        print(f"greeting delays of the {SLOW} slow servers: {', '.join(f'{d:g}' for d in delays)} s")

        results = interleaved(
            {
                "probe, 50 servers": [*probe, str(all_file)],
                "probe, slowest server alone": [*probe, str(one_file)],
            },
            args.repeat,
            env,
        )
        for summary in results.values():
            print(show(summary))
        loops = [openssl_loop(plan, ca_file) for _ in range(2)]
        print(f"  sequential openssl s_client loop   {min(loops):7.3f} s (best of {len(loops)})")
    wall = results["probe, 50 servers"].median
    alone = results["probe, slowest server alone"].median
    ratio = wall / alone
    ok = ratio <= 1.10
    print(
        f"\n50 servers / slowest alone: {ratio:.3f} (target <= 1.10: {'met' if ok else 'NOT met'}); "
        f"openssl loop / probe: {min(loops) / wall:.1f}x"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
