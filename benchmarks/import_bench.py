"""Issue 10's import benchmark: importing a 10,000-account msmtprc takes at most 2x a lint of the equivalent YAML.

Writes the 10,000-account file of the other benchmarks (benchmarks/out/, git-ignored),
renders it for msmtp (the msmtprc), imports that back (the equivalent YAML: the same
accounts as the msmtprc holds them), then times whole processes, interleaved round by
round: ``mailconf import --from msmtp MSMTPRC`` and ``mailconf lint EQUIVALENT.yaml``.
Prints medians, peak memory, and the ratio against the target.

It runs this checkout (``python -m mailconf`` with PYTHONPATH set to it), not the
benchmark venv: both commands pay the same start-up.

    python3 benchmarks/import_bench.py [--repeat 5] [--count 10000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Sequence

from _common import OUT, ROOT, interleaved, machine, show, write_accounts_file

TARGET = 2.0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="rounds (median of these) [5]")
    parser.add_argument("--count", type=int, default=10_000, help="accounts [10000]")
    args = parser.parse_args(argv)

    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "0"}
    mailconf = [sys.executable, "-m", "mailconf"]
    source = write_accounts_file(args.count)
    msmtprc = OUT / f"msmtprc-{args.count}"
    equivalent = OUT / f"imported-{args.count}.yaml"
    for step, output in (
        ([*mailconf, "render", "-t", "msmtp", str(source)], msmtprc),
        ([*mailconf, "import", "--from", "msmtp", str(msmtprc)], equivalent),
    ):
        done = subprocess.run(step, env=env, capture_output=True, check=False)
        if done.returncode != 0:
            sys.stderr.write(done.stderr.decode(errors="replace"))
            return done.returncode
        output.write_bytes(done.stdout)
    print(machine())
    print(f"\n{args.count} accounts: {msmtprc} -> {equivalent}; {args.repeat} rounds, interleaved")
    tools = {
        "mailconf import --from msmtp": [*mailconf, "import", "--from", "msmtp", str(msmtprc)],
        "mailconf lint (equivalent)": [*mailconf, "lint", str(equivalent)],
    }
    results = interleaved(tools, args.repeat, env)
    for summary in results.values():
        print(show(summary))
    importing, linting = (results[name].median for name in tools)
    ratio = importing / linting
    verdict = "met" if ratio <= TARGET else "NOT met"
    print(f"\nimport / lint = {ratio:.2f} (target <= {TARGET}: {verdict})")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
