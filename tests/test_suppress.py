"""Inline suppressions: same line, the line above, the whole file; by id or slug; unused ones are MC708."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mailconf.model import Severity
from mailconf.settings import Policy
from tests.conftest import lint_text
from tests.test_cli import INSECURE, Outcome, run_mailconf

SECURITY_LINE = "      security: none\n"  # line 8 of INSECURE; MC101 is reported at 8:17
assert INSECURE.splitlines()[7] == SECURITY_LINE.rstrip("\n")

MC101_MESSAGE = (
    "password login to imap.example.com without TLS sends the credentials in cleartext; set security: tls (port 993)"
)


def found(text: str, policy: Policy | None = None) -> list[tuple[str, int, int, Severity, str]]:
    return [(f.rule, f.location.line, f.location.column, f.severity, f.message) for f in lint_text(text, policy=policy)]


def on_security_line(comment: str) -> str:
    return INSECURE.replace(SECURITY_LINE, f"      security: none  {comment}\n")


def above_security_line(comment: str, gap: int = 0) -> str:
    return INSECURE.replace(SECURITY_LINE, f"      {comment}\n" + "      # a note\n" * gap + SECURITY_LINE)


def unused(line: int, column: int, written: str, reason: str = "it matched no finding") -> tuple[Any, ...]:
    return ("MC708", line, column, Severity.INFO, f"suppression of {written} is unused ({reason}); remove it")


def test_unsuppressed_baseline() -> None:
    assert found(INSECURE) == [("MC101", 8, 17, Severity.ERROR, MC101_MESSAGE)]


def test_same_line() -> None:
    assert found(on_security_line("# mailconf: disable=MC101 lab network, no TLS listener")) == []


def test_comment_line_above() -> None:
    assert found(above_security_line("# mailconf: disable=MC101 lab network")) == []


def test_comment_two_lines_above_does_not_reach() -> None:
    assert found(above_security_line("# mailconf: disable=MC101 lab network", gap=1)) == [
        unused(8, 7, "MC101"),
        ("MC101", 10, 17, Severity.ERROR, MC101_MESSAGE),
    ]


def test_disable_file_from_anywhere() -> None:
    assert found(INSECURE + "# mailconf: disable-file=MC101 the whole lab file\n") == []
    assert found("# mailconf: disable-file=cleartext-credentials\n" + INSECURE) == []


def test_by_slug_and_lower_case_id() -> None:
    assert found(on_security_line("# mailconf: disable=cleartext-credentials")) == []
    assert found(on_security_line("# mailconf: disable=mc101")) == []
    assert found(on_security_line("#mailconf:disable=MC101")) == []


def test_unused_suppression_is_reported_at_the_comment() -> None:
    assert found(on_security_line("# mailconf: disable=MC104 no IMAPS here")) == [
        ("MC101", 8, 17, Severity.ERROR, MC101_MESSAGE),
        unused(8, 23, "MC104"),
    ]


BOM_MESSAGE = "file starts with a UTF-8 byte-order mark; save it as UTF-8 without a BOM"
BOM_FOUND = ("MC004", 1, 1, Severity.WARNING, BOM_MESSAGE)


def test_a_directive_right_after_a_byte_order_mark_is_a_comment() -> None:
    """Notepad's first line: the "#" of ``# mailconf: disable-file=`` right after a BOM has no white space before
    it, and the directive was ignored (MC101 reported); a directive's column counted the BOM, which no other
    finding's does (``version: 1 # ...``: MC708 at 1:13, its "#" at column 12)."""
    assert found("\ufeff# mailconf: disable-file=MC101 lab\n" + INSECURE) == [BOM_FOUND]
    assert found("\ufeff# mailconf: disable-file=MC101,MC104 lab\n" + INSECURE) == [BOM_FOUND, unused(1, 1, "MC104")]
    on_line_1 = "\ufeff" + INSECURE.replace("version: 1\n", "version: 1 # mailconf: disable=MC104\n", 1)
    assert found(on_line_1)[:2] == [BOM_FOUND, unused(1, 12, "MC104")]


def test_fix_removes_an_unused_directive_after_a_byte_order_mark_and_keeps_the_mark(tmp_path: Path) -> None:
    rest = INSECURE
    (tmp_path / "accounts.yaml").write_text("\ufeff# mailconf: disable-file=MC104 lab\n" + rest, encoding="utf-8")
    assert run_mailconf("lint", "--fix", "--disable", "MC004", "--exit-zero", "accounts.yaml", cwd=tmp_path) == Outcome(
        0,
        f"accounts.yaml:8:17: error MC101 cleartext-credentials: {MC101_MESSAGE}\n1 error in 1 file\n",
        "mailconf: fixed 1 finding in 1 file; 1 more with --unsafe-fixes\n",
    )
    assert (tmp_path / "accounts.yaml").read_text(encoding="utf-8") == "\ufeff" + rest


def test_unknown_rule() -> None:
    assert found(on_security_line("# mailconf: disable=MC999")) == [
        ("MC101", 8, 17, Severity.ERROR, MC101_MESSAGE),
        unused(8, 23, "MC999", "no such rule"),
    ]


def test_a_slug_with_a_typo_is_offered_the_rule_it_is_close_to() -> None:
    """`disable=cleartext-credential` suppressed nothing and said only "no such rule; remove it": the reason a
    newcomer wrote beside it went with it, and the finding stayed."""
    assert found(on_security_line("# mailconf: disable=cleartext-credential the lab box")) == [
        ("MC101", 8, 17, Severity.ERROR, MC101_MESSAGE),
        (
            "MC708", 8, 23, Severity.INFO,
            "suppression of cleartext-credential is unused (no such rule; did you mean cleartext-credentials?); "
            "correct it or remove it",
        ),
    ]  # fmt: skip


def test_one_of_two_rules_used() -> None:
    assert found(on_security_line("# mailconf: disable=MC101,prefer-implicit-tls reason")) == [
        unused(8, 23, "prefer-implicit-tls"),
    ]


def test_a_typo_in_the_directive_is_reported() -> None:
    assert found(on_security_line("# mailconf: disabel=MC101")) == [
        ("MC101", 8, 17, Severity.ERROR, MC101_MESSAGE),
        (
            "MC708",
            8,
            23,
            Severity.INFO,
            "`# mailconf:` comment is not a directive; write `# mailconf: disable=RULE reason` "
            "or `# mailconf: disable-file=RULE reason`",
        ),
    ]


def test_a_typo_before_a_directive_in_the_same_comment_is_reported() -> None:
    # unreported, it was a new finding once lint --fix removed the unused directive after it
    assert found(on_security_line("#mailconf:disabel=MC101 #mailconf:disable=MC101")) == [
        (
            "MC708",
            8,
            23,
            Severity.INFO,
            "`# mailconf:` comment is not a directive; write `# mailconf: disable=RULE reason` "
            "or `# mailconf: disable-file=RULE reason`",
        ),
    ]


def test_hash_inside_a_word_is_not_a_comment() -> None:
    """`#` starts a comment only at a line start or after white space; were this one a comment, its
    disable-file would suppress MC101."""
    text = INSECURE.replace("pass show work", "pass show work#mailconf:disable-file=MC101")
    assert "work#mailconf" in text
    assert found(text) == [("MC101", 8, 17, Severity.ERROR, MC101_MESSAGE)]


def test_suppressing_a_rule_the_settings_disable_is_not_unused() -> None:
    policy = Policy(disabled=frozenset({"MC104"}))
    assert found(on_security_line("# mailconf: disable=MC101,MC104"), policy) == []


def test_unused_suppressions_follow_the_severity_policy() -> None:
    policy = Policy(severity={"MC708": Severity.ERROR})
    assert found(on_security_line("# mailconf: disable=MC101,MC104"), policy) == [
        ("MC708", 8, 23, Severity.ERROR, "suppression of MC104 is unused (it matched no finding); remove it"),
    ]


def test_cli_unused_suppression_is_info_and_exits_0(tmp_path: Path) -> None:
    (tmp_path / "accounts.yaml").write_text(on_security_line("# mailconf: disable=MC101,MC104 lab"), encoding="utf-8")
    assert run_mailconf("lint", "accounts.yaml", cwd=tmp_path) == Outcome(
        0,
        "accounts.yaml:8:23: info MC708 unused-suppression: suppression of MC104 is unused (it matched no finding); "
        "remove it\n1 info in 1 file\n",
        "",
    )
    assert run_mailconf("lint", "--disable", "MC708", "accounts.yaml", cwd=tmp_path) == Outcome(0, "", "")
    assert run_mailconf("lint", "--fail-level", "info", "accounts.yaml", cwd=tmp_path).code == 1


def test_a_directive_inside_a_quoted_value_is_not_a_comment() -> None:
    """Were it read as a comment, this disable-file would hide MC101."""
    for quoted in ('"pass show # mailconf: disable-file=MC101"', "'pass show # mailconf: disable-file=MC101'"):
        text = INSECURE.replace("pass show work", quoted)
        assert found(text) == [("MC101", 8, 17, Severity.ERROR, MC101_MESSAGE)], quoted


def test_a_directive_after_a_quoted_value_with_a_hash() -> None:
    text = INSECURE.replace("      security: none\n", '      security: "none"  # mailconf: disable=MC101 "#" is fine\n')
    assert found(text) == []
    text = INSECURE.replace("      security: none\n", "      security: 'none'  # mailconf: disable=MC101 it''s fine\n")
    assert found(text) == []


def test_a_suppression_per_account_is_matched_without_trying_each_one() -> None:
    # every finding was tried against every directive: 6,000 accounts with a suppression each took 5 s to lint
    from tests.conftest import lint_text

    text = "version: 1\naccounts:\n" + "".join(
        f"  a{n}:\n    address: a@example.com\n    incoming: {{protocol: imap, host: imap{n}.example.com, port: 993, "
        "security: starttls, password_command: pass x}  # mailconf: disable=MC201 lab\n"
        for n in range(6000)
    )
    text += "# mailconf: disable-file=MC999 an unknown rule\n"
    findings = lint_text(text)
    # no time asserted (tests assert behaviour): tried one by one, this took 5 s instead of 0.2 s
    assert [(f.rule, f.location.line, f.message) for f in findings] == [
        ("MC708", 18003, "suppression of MC999 is unused (no such rule); remove it")
    ]


def with_a_multiline_command(lines: str) -> str:
    """INSECURE with a `password_command` of ``lines`` just above `security: none` (MC101 moves down)."""
    return INSECURE.replace(SECURITY_LINE, f"      password_command: {lines}\n{SECURITY_LINE}")


def test_a_directive_inside_a_multiline_quoted_or_block_scalar_is_text() -> None:
    """The loader knows where a scalar written over several lines ends: a `# mailconf:` line inside it is
    part of the value. Read as a comment, each of these hid MC101 on the next line (or in the whole file)."""
    for scalar, line in (
        ('"pass show work\n        # mailconf: disable=MC101 x"', 10),
        ("'pass show work\n        # mailconf: disable=MC101 x'", 10),
        (">-\n        pass show work\n        # mailconf: disable=MC101 x", 11),
        ("|-\n        # mailconf: disable-file=MC101 x", 10),
        ('"pass show work\n        # mailconf: disabel=MC101 x"', 10),
    ):
        text = with_a_multiline_command(scalar)
        assert found(text) == [("MC101", line, 17, Severity.ERROR, MC101_MESSAGE)], scalar


def test_a_directive_after_the_end_of_a_multiline_scalar_is_a_comment() -> None:
    text = with_a_multiline_command('"pass show\n        work"  # mailconf: disable-file=MC101 x')
    assert found(text) == []
    text = with_a_multiline_command('"pass show\n        work"  # mailconf: disable-file=MC101,MC104 x')
    assert found(text) == [unused(9, 16, "MC104")]
    text = with_a_multiline_command(">-\n        pass show work\n      # mailconf: disable=MC101 x")
    assert found(text) == []  # less indented than the block: the block ended, this is a comment


def test_fix_leaves_a_directive_inside_a_block_scalar_alone(tmp_path: Path) -> None:
    """Read as a directive, its unused MC104 was "fixed" inside the value: --fix refused the whole file as a bug."""
    text = (
        "version: 1\naccounts:\n  work:\n    address: alice@example.com\n    incoming:\n"
        "      protocol: imap\n      host: imap.example.com\n"
        "      password_command: >-\n        pass show work\n        # mailconf: disable=MC706,MC104 x\n"
        "      timeout: 2\n"
        "    outgoing:\n      host: smtp.example.com\n      password_command: pass show work\n"
    )
    (tmp_path / "accounts.yaml").write_text(text, encoding="utf-8")
    assert run_mailconf("lint", "--fix", "accounts.yaml", cwd=tmp_path) == Outcome(
        0, "", "mailconf: fixed 1 finding in 1 file\n"
    )
    assert (tmp_path / "accounts.yaml").read_text(encoding="utf-8") == text.replace("timeout: 2", "timeout: 30")


def test_fix_removes_an_unused_rule_after_the_end_of_a_multiline_scalar(tmp_path: Path) -> None:
    """The fix edits the directive the scan found, at its column: guessed again from the line's start, the
    `'` of this last line of a double-quoted value opened a quote that hid the comment, and nothing was fixed."""
    for scalar in ('"pass show\n        work"', '"pass show\n        \' work"'):
        text = with_a_multiline_command(f"{scalar}  # mailconf: disable-file=MC101,MC104 x")
        (tmp_path / "accounts.yaml").write_text(text, encoding="utf-8")
        assert run_mailconf("lint", "--fix", "accounts.yaml", cwd=tmp_path) == Outcome(
            0, "", "mailconf: fixed 1 finding in 1 file\n"
        ), scalar
        assert (tmp_path / "accounts.yaml").read_text(encoding="utf-8") == text.replace("MC101,MC104", "MC101")


def test_a_rule_repeated_in_a_directive_is_one_finding_per_spelling_and_fix_drops_every_repeat(tmp_path: Path) -> None:
    """Each repeat was its own finding, all on the same line and column with the same words: a directive naming
    MC101 3,000 times printed 2,999 identical lines."""
    names = ",".join(["MC101"] * 3000 + ["cleartext-credentials", "MC101"])
    (tmp_path / "a.yaml").write_text(on_security_line(f"# mailconf: disable={names} the box in the cupboard"))
    repeats = "a.yaml:8:23: info MC708 unused-suppression: suppression of {} repeats MC101; remove it\n"
    assert run_mailconf("lint", "a.yaml", cwd=tmp_path) == Outcome(
        0, repeats.format("MC101") + repeats.format("cleartext-credentials") + "2 info in 1 file\n", ""
    )
    assert run_mailconf("lint", "--fix", "a.yaml", cwd=tmp_path) == Outcome(
        0, "", "mailconf: fixed 2 findings in 1 file\n"
    )
    assert (tmp_path / "a.yaml").read_text() == on_security_line("# mailconf: disable=MC101 the box in the cupboard")


LONG_NUMBER = "9" * 101
NO_SUCH_RULE = "a.yaml:8:23: info MC708 unused-suppression: suppression of MC999 is unused (no such rule); remove it\n"


@pytest.mark.parametrize(
    ("breakage", "finding"),
    [
        (  # the loader stops at the number: nothing after it, nor the accounts, is read
            ("    outgoing:\n", f"    outgoing:\n      port: {LONG_NUMBER}\n"),
            "a.yaml:11:13: error MC002 schema-violation: `port` is a number of 101 digits, far too large for any "
            "setting (mailconf reads numbers of at most 100 digits); write the intended value\n",
        ),
        (  # the server the suppression is in breaks the schema: the rules do not check it
            ("      auth: password\n", "      auth: password\n      port: imap\n"),
            'a.yaml:10:13: error MC002 schema-violation: `port` must be a whole number (got "imap")\n',
        ),
    ],
    ids=["loader-stopped", "server-not-checked"],
)
def test_a_suppression_where_the_rules_could_not_look_is_not_unused_and_fix_keeps_it(
    tmp_path: Path, breakage: tuple[str, str], finding: str
) -> None:
    """Reported as matching no finding, the MC101 suppression was removed by --fix, which the file needed again
    once the number or the port was mended. A rule that does not exist is still reported: a fact of the comment."""
    text = on_security_line("# mailconf: disable=MC101,MC999 lab network").replace(*breakage)
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    linted = run_mailconf("lint", "a.yaml", cwd=tmp_path)
    assert (linted.code, linted.stdout) == (1, NO_SUCH_RULE + finding + "1 error, 1 info in 1 file\n")
    assert run_mailconf("lint", "--fix", "a.yaml", cwd=tmp_path).code == 1
    assert (tmp_path / "a.yaml").read_text(encoding="utf-8") == text
    mended = text.replace(f"port: {LONG_NUMBER}", "port: 465").replace("port: imap", "port: 143")
    (tmp_path / "a.yaml").write_text(mended, encoding="utf-8")  # the comment does its work again
    assert run_mailconf("lint", "a.yaml", cwd=tmp_path) == Outcome(0, NO_SUCH_RULE + "1 info in 1 file\n", "")
