"""``mailconf serve``'s memory: resident at start, after each SIGHUP reload, and the peak (``/proc/PID/status``).

The server runs in a subprocess on a file of ``--accounts`` accounts (benchmarks/out/, git-ignored); after it says
it listens, and after each reload's ``reloaded`` line, its VmRSS is read, and VmHWM (the peak) at the end.

    python3 benchmarks/serve_memory.py [--accounts 50000] [--reloads 6]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time

from _common import ROOT, write_accounts_file


def status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of ``pid``, in MB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as file:
        fields = dict(line.split(":", 1) for line in file)
    return {key: int(fields[key].split()[0]) // 1024 for key in ("VmRSS", "VmHWM")}


def wait_for(proc: subprocess.Popen[str], text: str) -> None:
    assert proc.stderr is not None
    for line in proc.stderr:
        if text in line:
            return
    raise SystemExit(f"serve ended before {text!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=50_000)
    parser.add_argument("--reloads", type=int, default=6)
    args = parser.parse_args()
    path = write_accounts_file(args.accounts)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "mailconf", "serve", "--bind", "127.0.0.1:0", "--poll-interval", "0", str(path)]
    began = time.monotonic()
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    try:
        wait_for(proc, "listening on")
        print(f"start ({time.monotonic() - began:.1f} s): {status(proc.pid)['VmRSS']} MB", flush=True)
        for reload in range(1, args.reloads + 1):
            began = time.monotonic()
            proc.send_signal(signal.SIGHUP)
            wait_for(proc, "reloaded")
            time.sleep(1)  # the reload thread's last frees
            print(f"reload {reload} ({time.monotonic() - began:.1f} s): {status(proc.pid)['VmRSS']} MB", flush=True)
        print(f"peak: {status(proc.pid)['VmHWM']} MB")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)


if __name__ == "__main__":
    main()
