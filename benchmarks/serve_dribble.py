"""What a request head sent a byte at a time costs ``mailconf serve``: CPU time in the loop thread that reads every
connection (docs/serve.md, "Limits").

waitress joins what has come of a request's head with each read and searches the whole of it for CRLF CRLF again, so
a head sent a byte at a time costs CPU time that grows with the square of its size, and the head size limit bounds
it. Two measurements, for heads of the largest size a limit takes (``--limit``: bytes; several to compare; by
default 65,535, waitress's limit before, and ``mailconf.serve.loop.MAX_HEAD``):

1. **parser**: ``mailconf.serve.loop.Parser`` (the parser ``mailconf serve`` gives waitress) fed the head one byte
   per call, as waitress's loop feeds it one byte per read; the process's CPU time. Exact and repeatable: this is
   the work the loop thread does for that connection, nothing else.
2. **server**: a real ``mailconf serve --bind 127.0.0.1:0``; one connection sends the head one byte per ``send()``
   (``TCP_NODELAY``); the server process's CPU time (user + system, ``/proc/PID/stat``) from the first byte to the
   answer. The kernel may join bytes that come faster than the server reads them, so this is at most the parser's
   figure plus the cost of each read (poll, recv, the channel).

Nothing here asserts a time; ``tests/serve/test_loop.py`` counts the bytes searched instead.

    PYTHONPATH=$PWD python3 benchmarks/serve_dribble.py [--limit 65535 --limit 16384] [--repeat 3] [--no-server]
    PYTHONPATH=$PWD python3 benchmarks/serve_dribble.py --chunked 65536   # a chunked body's line instead
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT = """version: 1
accounts:
  alice:
    address: alice@example.com
    incoming: {protocol: imap, host: imap.example.com, port: 993, security: tls, auth: password}
"""


def head(size: int) -> bytes:
    """A GET /healthz head of exactly ``size`` bytes (CRLF CRLF included), padded with one header."""
    start, end = b"GET /healthz HTTP/1.1\r\nHost: example.com\r\nX-Pad: ", b"\r\n\r\n"
    return start + b"a" * (size - len(start) - len(end)) + end


def parser_cpu(size: int) -> float:
    """CPU seconds to feed ``mailconf.serve.loop.Parser`` a head of ``size`` bytes, one byte per call, under a limit
    that takes it."""
    from waitress.adjustments import Adjustments

    from mailconf.serve.loop import Parser

    sent = head(size)
    parser = Parser(Adjustments(max_request_header_size=size + 1))  # refused from that on
    began = time.process_time()
    for i in range(len(sent)):
        parser.received(sent[i : i + 1])
    spent = time.process_time() - began
    assert parser.completed and parser.error is None, parser.error
    return spent


def chunked_cpu(size: int) -> float:
    """CPU seconds to feed ``mailconf.serve.loop.Parser`` a chunked body whose chunk size line (``1;aaaa...``) is
    ``size`` bytes, one byte per call: only the body's limit holds such a line (docs/serve.md, "Limits")."""
    from waitress.adjustments import Adjustments

    from mailconf.serve.loop import Parser

    parser = Parser(Adjustments(max_request_body_size=size + 64))
    parser.received(b"POST /autodiscover/autodiscover.xml HTTP/1.1\r\nHost: example.com\r\n"
                    b"Transfer-Encoding: chunked\r\n\r\n")  # fmt: skip
    sent = b"1;" + b"a" * (size - 4) + b"\r\nx\r\n0\r\n\r\n"
    began = time.process_time()
    for i in range(len(sent)):
        parser.received(sent[i : i + 1])
    spent = time.process_time() - began
    assert parser.completed and parser.error is None, parser.error
    return spent


def _cpu(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_cpu(size: int, repeat: int, gap: float) -> list[tuple[float, bytes]]:
    """The server's CPU seconds for each of ``repeat`` heads of ``size`` bytes sent a byte at a time, and its
    status line."""
    with tempfile.TemporaryDirectory() as folder:
        accounts = Path(folder) / "accounts.yaml"
        accounts.write_text(ACCOUNT)
        env = {"PYTHONPATH": str(ROOT), **os.environ}  # a PYTHONPATH given wins (to measure another checkout)
        command = [sys.executable, "-m", "mailconf", "serve", str(accounts), "--bind", "127.0.0.1:0",
                   "--client-timeout", "120"]  # fmt: skip
        proc = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
        try:
            assert proc.stderr is not None
            port = 0
            for line in proc.stderr:
                found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
                if found:
                    port = int(found[1])
                    break
            if not port:
                raise SystemExit(f"mailconf serve did not start (exit {proc.wait()})")
            results = []
            for _ in range(repeat):
                sent = head(size)
                with socket.create_connection(("127.0.0.1", port)) as connection:
                    connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    began, i = _cpu(proc.pid), 0
                    try:
                        for i in range(len(sent)):
                            connection.send(sent[i : i + 1])
                            time.sleep(gap)  # so that the server reads each byte alone (bytes sent faster are joined)
                        answer = connection.recv(4096)
                    except OSError as exc:  # refused past its limit, and closed while more came: reset
                        answer = f"({exc.strerror} after {i} bytes)".encode()
                    results.append((_cpu(proc.pid) - began, answer.split(b"\r\n", 1)[0]))
            return results
        finally:
            proc.terminate()
            proc.wait(30)


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--limit", type=int, action="append", help="the largest head taken, in bytes")
    options.add_argument("--repeat", type=int, default=3)
    options.add_argument("--gap", type=float, default=0.0001, help="seconds between two bytes (default 0.0001)")
    options.add_argument("--no-server", action="store_true", help="the parser measurement only")
    options.add_argument("--chunked", type=int, metavar="BYTES",
                         help="instead: a chunked body's chunk size line of BYTES, to the parser")  # fmt: skip
    args = options.parse_args()
    if args.chunked:
        spent = [chunked_cpu(args.chunked) for _ in range(args.repeat)]
        print(f"chunk size line of {args.chunked} bytes, a byte at a time: parser {statistics.median(spent):.3f} s CPU "
              f"(median of {args.repeat}: {', '.join(f'{s:.3f}' for s in spent)})")  # fmt: skip
        return
    if not args.limit:
        from mailconf.serve.loop import MAX_HEAD

        args.limit = [64 * 1024 - 1, MAX_HEAD]
    for size in args.limit:
        parser = [parser_cpu(size) for _ in range(args.repeat)]
        print(f"head of {size} bytes, a byte at a time: parser {statistics.median(parser):.3f} s CPU "
              f"(median of {args.repeat}: {', '.join(f'{s:.3f}' for s in parser)})")  # fmt: skip
        if not args.no_server:
            served = server_cpu(size, args.repeat, args.gap)
            print(f"  server (under its own limit): "
                  f"{', '.join(f'{s:.2f} s {status.decode()!r}' for s, status in served)}")  # fmt: skip


if __name__ == "__main__":
    main()
