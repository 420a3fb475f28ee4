"""``mailconf render`` as a user meets it: the exact lines on both streams and the exit code (real subprocess)."""

from __future__ import annotations

from pathlib import Path

from tests.test_cli import CLEAN, Outcome, run_mailconf

STALE = "mailconf: rendered files are stale: run the same command with --update instead of --check to rewrite them\n"


def test_check_of_a_file_not_written_yet_is_one_missing_line_and_no_diff(tmp_path: Path) -> None:
    # it printed a diff from nothing (the whole rendered file, as + lines) besides the missing line
    (tmp_path / "accounts.yaml").write_text(CLEAN, encoding="utf-8")
    assert run_mailconf("render", "-t", "msmtp", "accounts.yaml", "-o", "out", "--check", cwd=tmp_path) == Outcome(
        1, "", "mailconf: out/.msmtprc: missing\n" + STALE
    )
    assert not (tmp_path / "out").exists()  # --check writes nothing
