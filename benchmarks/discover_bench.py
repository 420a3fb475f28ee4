"""Issue 10's benchmark: `mailconf discover` with every source answering on loopback.

Target: discover with every source takes at most 1.5x the slowest single source.

The rig is the test suite's (tests/discover/conftest.py): dnsmasq on 127.0.0.1
with SRV, MX and address records, and HTTPS servers on port 443 of loopback
addresses of their own (so this needs root, like the tests) serving the
provider's autoconfig, the ISPDB, and the MX domain's autoconfig. Each web
answer is delayed so that the sources take different times, and the
best-ranked one (the provider's autoconfig) is the slowest: the parallel run
must wait for it, and must not add up the others. Timing is of the discovery
itself, in this process (no probing: ``--no-probe``; the probe step has its own
benchmark), median of ``--repeat`` runs:

- every source at once (what ``mailconf discover`` runs),
- each source alone (its lookups only), interleaved with the above.

Traffic goes only to loopback. Needs: dnsmasq (Debian: dnsmasq-base), trustme.

    sudo python3 benchmarks/discover_bench.py [--repeat 7] [--delay 0.4]
"""

from __future__ import annotations

import argparse
import http.server
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mailconf.discover import autoconfig, ispdb, mx, srv  # noqa: E402
from mailconf.discover.dns import Dns  # noqa: E402
from mailconf.discover.engine import discover, jobs  # noqa: E402
from mailconf.discover.env import Env  # noqa: E402
from mailconf.discover.http import context  # noqa: E402
from mailconf.discover.values import Job, Query  # noqa: E402
from tests.discover.conftest import Answer, Dnsmasq, WebServer, xml  # noqa: E402
from tests.discover.rig import config, server  # noqa: E402

ADDRESS = "alice@example.test"


def delayed(answer: Answer, seconds: float) -> Callable[[http.server.BaseHTTPRequestHandler], None]:
    def handle(handler: http.server.BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)
        status, headers, body = answer
        handler.send_response(status)
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return handle


def one_run(env_for: Callable[[], Env], pick: Callable[[Env], Sequence[Job]]) -> float:
    env = env_for()
    started = time.monotonic()
    found = discover(env, pick(env))
    took = time.monotonic() - started
    if not found.chosen:
        raise SystemExit(f"nothing found: {[lookup.reason for lookup in found.lookups]}")
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--delay", type=float, default=0.4, help="the slowest web answer, seconds")
    args = parser.parse_args()
    import trustme

    work = ROOT / "benchmarks" / "out" / "discover"
    work.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(work / "ca.pem"))
    issued = ca.issue_cert("example.test", "*.example.test", "*.hoster.test", "ispdb.test")
    issued.private_key_pem.write_to_path(str(work / "leaf.key"))
    (work / "leaf.pem").write_bytes(b"".join(blob.bytes() for blob in issued.cert_chain_pems))
    from tests.servers import KeyPair

    leaf = KeyPair(work / "leaf.pem", work / "leaf.key", b"")
    body = config(server("imap", "imap.example.test", 993), server("smtp", "smtp.example.test", 465))
    hoster = config(
        server("imap", "imap.hoster.test", 993), server("smtp", "smtp.hoster.test", 465), domain="hoster.test"
    )
    slowest = args.delay
    routes = {
        "/mail/config-v1.1.xml": delayed(xml(body), slowest),  # the provider's autoconfig: best-ranked, slowest
        "/v1.1/example.test": delayed(xml(body), slowest * 0.75),
        "/v1.1/hoster.test": delayed(xml(hoster), slowest * 0.5),
    }
    with WebServer(routes, leaf) as web, WebServer(
        {"/mail/config-v1.1.xml": delayed(xml(hoster), slowest * 0.5)}, leaf
    ) as mx_web, Dnsmasq([
        f"host-record=autoconfig.example.test,{web.address}",
        f"host-record=ispdb.test,{web.address}",
        f"host-record=autoconfig.hoster.test,{mx_web.address}",
        "mx-host=example.test,mx1.hoster.test,10",
        "srv-host=_imaps._tcp.example.test,imap.example.test,993,0,0",
        "srv-host=_submissions._tcp.example.test,smtp.example.test,465,0,0",
    ]) as dns:  # fmt: skip
        query = Query(ADDRESS, 10.0, ispdb_url="https://ispdb.test/v1.1/", probe=False,
                      dns_server=("127.0.0.1", dns.port), ca_file=str(work / "ca.pem"))  # fmt: skip

        def env_for() -> Env:
            return Env(query, time.monotonic() + query.timeout, Dns(query.dns_server), context(query.ca_file))

        alone: dict[str, Callable[[Env], Sequence[Job]]] = {
            "autoconfig": autoconfig.jobs, "ispdb": ispdb.jobs, "mx": mx.jobs, "srv": srv.jobs,
        }  # fmt: skip
        times: dict[str, list[float]] = {name: [] for name in ["every source", *alone]}
        for _ in range(args.repeat):
            times["every source"].append(one_run(env_for, jobs))
            for name, pick in alone.items():
                times[name].append(one_run(env_for, pick))
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"{'lookups':<14} {'median':>8} {'min':>8}  (of {args.repeat} runs, --delay {slowest})")
    for name, values in times.items():
        print(f"{name:<14} {medians[name]:>7.3f}s {min(values):>7.3f}s")
    slowest_alone = max(v for k, v in medians.items() if k != "every source")
    ratio = medians["every source"] / slowest_alone
    verdict = "met" if ratio <= 1.5 else "NOT met"
    print(f"ratio: every source / slowest single source = {ratio:.2f} (target <= 1.5: {verdict})")
    return 0 if ratio <= 1.5 else 1


if __name__ == "__main__":
    sys.exit(main())
