"""Issue 9's benchmark: `mailconf lint --fix` against a plain lint, and lint's start-up time.

Two targets, both whole processes:

- 10,000 accounts with one fixable finding each (every account's SMTP port written as
  587 with ``security: tls``: MC202, whose safe fix writes 465): ``mailconf lint --fix``
  takes at most 3x ``mailconf lint`` of the same file. Before each --fix round the
  unfixed file is copied back (not timed). ``--diff`` is timed too, for reference;
- the 2-account file: ``mailconf lint`` of this checkout starts within 10% of the
  reference checkout's (default: the merge base with ``main``, exported with
  ``git archive`` into the temporary folder), so that a lint without --fix pays nothing
  for the fix machinery;
- a folder of ``--folder`` one-account files (default 20,000; 0 skips it), one MC202 each:
  the peak RSS of ``lint --write-baseline``, ``lint --baseline`` and ``lint --fix`` of the
  folder is at most 1.5x a plain lint's (each file's document was kept to the end: 4x at
  20,000 files). One round each, in that order (the baseline written is the one read).

Both run ``python -m mailconf`` from source (PYTHONPATH set to the checkout, .pyc files
written), not from the wheel venv of the other benchmarks: the reference is a source tree.

    python3 benchmarks/fix_bench.py [--repeat 5] [--repeat-small 20] [--reference REF] [--folder 20000]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from _common import OUT, ROOT, Run, bench_env, machine, run_once, show, summarize, write_accounts_file

FIX_TARGET = 3.0
START_TARGET = 1.10
FOLDER_TARGET = 1.5


def fixable_file(count: int) -> tuple[Path, Path]:
    """The benchmark file with every outgoing port 587 (MC202 once per account), and a work copy."""
    clean = write_accounts_file(count)
    text = clean.read_text(encoding="utf-8").replace("      port: 465\n", "      port: 587\n")
    source = OUT / f"accounts-{count}-fixable.yaml"
    source.write_text(text, encoding="utf-8")
    return source, OUT / f"accounts-{count}-fixing.yaml"


def reference_tree(ref: str) -> Path:
    """The reference checkout's package, exported once (git archive) into the temporary folder.

    Not under benchmarks/out/: mypy checks benchmarks/ and would find a second `mailconf`.
    """
    sha = subprocess.run(["git", "rev-parse", ref], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    target = Path(tempfile.gettempdir()) / f"mailconf-bench-reference-{sha[:12]}"
    if not (target / "mailconf").is_dir():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "archive", sha, "mailconf", "schemas"], cwd=ROOT, capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target


def fixable_folder(count: int) -> Path:
    """``count`` one-account files, each with one MC202 (port 587 with implicit TLS), written afresh in the temporary
    folder (benchmarks/out/ is in .gitignore: lint of a folder there finds no file)."""
    folder = Path(tempfile.gettempdir()) / f"mailconf-bench-folder-{count}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    body = (
        "version: 1\naccounts:\n  a{n}:\n    address: a{n}@example.com\n"
        "    incoming: {{protocol: imap, host: imap.example.com, port: 993, security: tls, password_command: pass a}}\n"
        "    outgoing: {{host: smtp.example.com, port: 587, security: tls, password_command: pass a}}\n"
    )
    for n in range(count):
        (folder / f"a{n:05}.yaml").write_text(body.format(n=n), encoding="utf-8")
    return folder


def folder_memory(count: int, env: dict[str, str]) -> bool:
    """The folder target: each run's peak RSS against a plain lint's."""
    folder = fixable_folder(count)
    baseline = str(folder.with_name(folder.name + "-baseline.json"))
    print(f"\n{count:,} one-account files, one MC202 each: peak RSS, one round each")
    lint = run_once(command("lint", str(folder)), env)  # exit 1: a finding in each file
    print(f"  {'mailconf lint':<32} {lint.max_rss_kib / 1024:6.1f} MiB, {lint.seconds:.1f} s, exit {lint.returncode}")
    met = True
    for args in (("--write-baseline", baseline), ("--baseline", baseline), ("--fix",)):
        run = run_once(command("lint", *args, str(folder)), env)
        ratio = run.max_rss_kib / lint.max_rss_kib
        ok = ratio <= FOLDER_TARGET
        met &= ok
        label = "mailconf lint " + args[0]
        print(
            f"  {label:<32} {run.max_rss_kib / 1024:6.1f} MiB, {run.seconds:.1f} s, exit {run.returncode}: "
            f"{ratio:.2f}x lint's (target <= {FOLDER_TARGET}: {'met' if ok else 'NOT met'})"
        )
    return met


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "mailconf", *args]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="rounds on 10,000 accounts (median of these) [5]")
    parser.add_argument("--repeat-small", type=int, default=20, help="rounds on 2 accounts [20]")
    parser.add_argument("--reference", default=None, help="git ref to compare start-up with [merge base with main]")
    parser.add_argument("--folder", type=int, default=20_000, help="one-account files for the memory target [20000]")
    args = parser.parse_args(argv)
    print(machine())
    ours = bench_env({"PYTHONPATH": str(ROOT)})
    met = True

    source, work = fixable_file(10_000)
    lines = source.read_text(encoding="utf-8").count("\n")
    print(f"\n10,000 accounts, one MC202 each ({lines} lines); {args.repeat} rounds, interleaved")
    runs: dict[str, list[Run]] = {"mailconf lint": [], "mailconf lint --fix": [], "mailconf lint --diff": []}
    for round_ in range(args.repeat + 1):  # the first round warms the caches and is not counted
        shutil.copyfile(source, work)
        timed = {
            "mailconf lint": run_once(command("lint", str(work)), ours),
            "mailconf lint --diff": run_once(command("lint", "--diff", str(work)), ours),
            "mailconf lint --fix": run_once(command("lint", "--fix", str(work)), ours),
        }
        if round_:
            for name, run in timed.items():
                runs[name].append(run)
    fixed = work.read_text(encoding="utf-8")
    if fixed.count("      port: 465\n") != 10_000 or "port: 587" in fixed:
        print("  ! --fix did not fix every account")
        met = False
    summaries = {name: summarize(name, found) for name, found in runs.items()}
    for summary in summaries.values():
        print(show(summary))
    lint, fix = summaries["mailconf lint"], summaries["mailconf lint --fix"]
    wall, cpu = fix.median / lint.median, fix.cpu / lint.cpu
    ok = wall <= FIX_TARGET
    met &= ok
    print(
        f"  ratio --fix / lint: {wall:.2f} wall, {cpu:.2f} CPU (target <= {FIX_TARGET}: {'met' if ok else 'NOT met'})"
    )

    small = write_accounts_file(2)
    ref = (
        args.reference
        or subprocess.run(
            ["git", "merge-base", "HEAD", "main"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    )
    theirs = bench_env({"PYTHONPATH": str(reference_tree(ref))})
    print(f"\n2 accounts, start-up: this checkout vs {ref[:12]}; {args.repeat_small} rounds, interleaved")
    small_runs: dict[str, list[Run]] = {"this checkout": [], "reference": []}
    for round_ in range(args.repeat_small + 1):
        now = run_once(command("lint", str(small)), ours)
        before = run_once(command("lint", str(small)), theirs)
        if round_:
            small_runs["this checkout"].append(now)
            small_runs["reference"].append(before)
    small_summaries = {name: summarize(name, found) for name, found in small_runs.items()}
    for summary in small_summaries.values():
        print(show(summary))
    now_s, ref_s = small_summaries["this checkout"], small_summaries["reference"]
    wall = now_s.median / ref_s.median
    cpu = now_s.cpu / ref_s.cpu
    ok = wall <= START_TARGET
    met &= ok
    verdict = "met" if ok else "NOT met"
    print(f"  ratio this / reference: {wall:.3f} wall, {cpu:.3f} CPU (target <= {START_TARGET}: {verdict})")
    if args.folder:
        met &= folder_memory(args.folder, ours)
    print("\nall fix targets met" if met else "\nsome fix target NOT met")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
