"""Every line any command prints escapes what a file, a name or a server wrote (issue 13, class 5).

A file name or a key holding ESC, BEL or a newline must not recolour the terminal or forge
another line: each command is run for real and its whole output is checked.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_cli import CLEAN, run_mailconf

#: a name that would recolour the terminal, ring the bell and start a forged finding line
EVIL = "evil\x1b[31m\x07\nforged.yaml:1:1: error MC101 fake: gotcha.yaml"
SHOWN = "evil\\x1b[31m\\x07\\nforged.yaml:1:1: error MC101 fake: gotcha.yaml"


def no_raw_controls(text: str) -> None:
    assert "\x1b" not in text and "\x07" not in text
    assert "forged.yaml" not in text or "\\nforged.yaml" in text


@pytest.mark.parametrize(
    ("command", "stdout_lines", "stderr_lines"),
    [
        (("lint",), 2, 1),  # the finding lines (the summary is checked apart); the account not checked
        (("render", "-t", "msmtp"), 0, 3),  # the two findings, then "not rendered"
        (("probe",), 2, 1),  # the findings; "not probed"
    ],
)
def test_a_hostile_file_name_is_escaped_in_every_command(
    tmp_path: Path, command: tuple[str, ...], stdout_lines: int, stderr_lines: int
) -> None:
    (tmp_path / EVIL).write_text("version: 1\naccounts:\n  work:\n    address: [1]\n", encoding="utf-8")
    out = run_mailconf(*command, EVIL, cwd=tmp_path)
    assert out.code == 1
    for stream in (out.stdout, out.stderr):
        no_raw_controls(stream)
    findings = [line for line in out.stdout.splitlines() if line != "2 errors in 1 file"]
    assert len([line for line in findings if line.startswith(SHOWN + ":")]) == stdout_lines == len(findings)
    errors = out.stderr.splitlines()
    assert len(errors) == stderr_lines
    assert all(
        line.startswith((SHOWN + ":", "mailconf: " + SHOWN + ":", "mailconf: note: " + SHOWN + ":")) for line in errors
    )


@pytest.mark.parametrize("command", [("lint",), ("render", "-t", "msmtp"), ("probe",)])
def test_a_missing_hostile_file_name_is_one_escaped_line(tmp_path: Path, command: tuple[str, ...]) -> None:
    out = run_mailconf(*command, EVIL, cwd=tmp_path)
    assert (out.code, out.stdout) == (2, "")
    assert out.stderr == f"mailconf: {SHOWN}: no such file; check the path\n"


def test_a_hostile_key_is_escaped_in_render(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(CLEAN.replace("  work:\n", '  "w\\e[2J\\nork":\n'), encoding="utf-8")
    out = run_mailconf("render", "-t", "msmtp", "a.yaml", cwd=tmp_path)
    assert out.code == 1
    no_raw_controls(out.stderr)
    assert "\\x1b[2J\\nork" in out.stderr


def test_check_escapes_what_a_file_on_disk_holds(tmp_path: Path) -> None:
    """render --check prints a diff of the file on disk: its control characters are escaped, line ends kept."""
    (tmp_path / "a.yaml").write_text(CLEAN, encoding="utf-8")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / ".msmtprc").write_bytes(b"account work\n\x1b]2;owned\x07 host evil\n")
    out = run_mailconf("render", "-t", "msmtp", "--check", "-o", "out", "a.yaml", cwd=tmp_path)
    assert out.code == 1
    no_raw_controls(out.stdout + out.stderr)
    assert "-\\x1b]2;owned\\x07 host evil\n" in out.stdout
