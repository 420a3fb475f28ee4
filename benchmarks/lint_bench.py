"""Issue 2's benchmark: `mailconf lint` against check-jsonschema and yamllint, whole processes.

Generates a 2-account and a 10,000-account file (benchmarks/out/, git-ignored),
then times each tool on each file, interleaved round by round so that a busy
machine slows all of them alike, and prints medians, peak memory, CPU time and
the ratios against the targets:

- 2 accounts: mailconf lint <= 0.5 x check-jsonschema;
- 10,000 accounts: mailconf lint <= 0.35 x check-jsonschema and <= 0.35 x yamllint.

All three tools run from one venv (benchmarks/out/venv, made on first use from
the wheel that ``python -m build`` makes of this checkout, with .pyc files
written), as pre-commit runs them. ``--rebuild`` remakes it after a code change.

    python3 benchmarks/lint_bench.py [--repeat 5] [--rebuild] [--skip-yamllint]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from _common import SCHEMA, bench_env, ensure_venv, interleaved, machine, show, venv_bin, write_accounts_file

TARGETS = {2: 0.5, 10_000: 0.35}


def commands(path: str) -> dict[str, list[str]]:
    return {
        "mailconf lint": [str(venv_bin("mailconf")), "lint", path],
        "check-jsonschema": [str(venv_bin("check-jsonschema")), "--schemafile", str(SCHEMA), path],
        "yamllint": [str(venv_bin("yamllint")), path],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="rounds per file (median of these) [5]")
    parser.add_argument("--repeat-large", type=int, default=None, help="rounds for the 10,000-account file [--repeat]")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the wheel and reinstall it into the venv")
    parser.add_argument("--skip-yamllint", action="store_true", help="yamllint takes ~40 s a run on 10,000 accounts")
    args = parser.parse_args(argv)

    ensure_venv(rebuild=args.rebuild)
    env = bench_env()
    print(machine())
    met = True
    for count, target in TARGETS.items():
        file = write_accounts_file(count)
        path = str(file)
        tools = commands(path)
        if args.skip_yamllint:
            del tools["yamllint"]
        repeat = args.repeat_large if count > 2 and args.repeat_large else args.repeat
        lines = file.read_text(encoding="utf-8").count("\n")
        print(f"\n{count} accounts ({lines} lines, {path}); {repeat} rounds, interleaved")
        results = interleaved(tools, repeat, env, warm_up=count == 2)  # the large runs take minutes
        for summary in results.values():
            print(show(summary))
        ours = results["mailconf lint"]
        if ours.returncodes != (0,):
            print(f"  ! mailconf lint exited {ours.returncodes}: the file is meant to be clean")
            met = False
        others = ["check-jsonschema"] if count == 2 else [n for n in ("check-jsonschema", "yamllint") if n in results]
        for other in others:
            wall = ours.median / results[other].median
            cpu = ours.cpu / results[other].cpu
            ok = wall <= target
            met &= ok
            print(
                f"  ratio mailconf lint / {other}: {wall:.3f} wall, {cpu:.3f} CPU "
                f"(target <= {target}: {'met' if ok else 'NOT met'})"
            )
    print("\nall lint targets met" if met else "\nsome lint target NOT met")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
