"""Baselines: a legacy file recorded, then edited, reordered and grown; stale entries (MC709)."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from tests.test_cli import Outcome, run_mailconf

LEGACY = """\
version: 1
accounts:
  old:
    address: old@example.com
    incoming:
      protocol: imap
      host: imap.example.com
      port: 143
      security: none             # the server is in the cupboard
      password: hunter2
  pop:
    address: pop@example.com
    incoming: {protocol: pop3, host: pop.example.com, timeout: 2, password_command: pass show pop}
"""

BASELINE = """\
{
  "version": 1,
  "generator": "mailconf lint --write-baseline",
  "files": {
    "accounts.yaml": [
      {"rule": "MC401", "account": "old", "path": "incoming.password", "hash": "e3b0c44298fc1c14"},
      {"rule": "MC101", "account": "old", "path": "incoming.security", "hash": "30a0924a3360be68"},
      {"rule": "MC705", "account": "pop", "path": "incoming", "hash": "e3b0c44298fc1c14"},
      {"rule": "MC706", "account": "pop", "path": "incoming.timeout", "hash": "d4735e3a265e16ee"}
    ]
  }
}
"""

#: the legacy file edited (a comment, a display name), reordered (pop first) and grown (a new
#: account with a new finding, and a second finding in `old`)
GROWN = """\
version: 1
# reordered, edited and grown
accounts:
  pop:
    display_name: The POP box
    address: pop@example.com
    incoming: {protocol: pop3, host: pop.example.com, timeout: 2, password_command: pass show pop}
  new:
    address: new@example.com
    outgoing: {host: smtp.example.com, timeout: 0, password_command: pass show new}
  old:
    address: old@example.com

    incoming:
      protocol: imap
      host: imap.example.com
      port: 143
      security: none             # the server is in the cupboard
      password: hunter2
      mechanisms: [cram-md5, plain]
"""


def write(tmp_path: Path, text: str, name: str = "accounts.yaml") -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")


def lint(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    return tuple(run_mailconf("lint", *args, "accounts.yaml", cwd=tmp_path))  # type: ignore[return-value]


def test_write_baseline_writes_the_documented_format_byte_for_byte(tmp_path: Path) -> None:
    write(tmp_path, LEGACY)
    assert lint(tmp_path, "--write-baseline", "baseline.json") == (
        0,
        "",
        "mailconf: wrote 4 baseline entries to baseline.json\n",
    )
    assert (tmp_path / "baseline.json").read_text(encoding="utf-8") == BASELINE
    assert "hunter2" not in BASELINE  # the secret's entry has the hash of nothing (sha256 of "")


def test_the_baseline_hides_exactly_what_it_records(tmp_path: Path) -> None:
    write(tmp_path, LEGACY)
    write(tmp_path, BASELINE, "baseline.json")
    assert lint(tmp_path, "--baseline", "baseline.json") == (0, "", "")
    assert lint(tmp_path)[0] == 1  # without it, the findings are back


def test_after_edits_reordering_and_growth_only_the_new_findings_show(tmp_path: Path) -> None:
    write(tmp_path, GROWN)
    write(tmp_path, BASELINE, "baseline.json")
    assert lint(tmp_path, "--baseline", "baseline.json") == (
        0,
        "accounts.yaml:10:49: warning MC707 timeout-unbounded: timeout: 0 means no timeout: a stalled server hangs "
        "the client; set timeout: 30\n"
        "accounts.yaml:20:20: warning MC301 weak-sasl-mechanism: CRAM-MD5 no longer protects the password and needs "
        "it stored reversibly; use scram-sha-256 where offered, else plain inside TLS\n"
        "2 warnings in 1 file\n",
        "",
    )


def test_a_finding_gone_or_its_value_changed_leaves_a_stale_entry_reported_as_mc709(tmp_path: Path) -> None:
    write(tmp_path, LEGACY.replace("timeout: 2", "timeout: 3").replace("security: none ", "security: tls  "))
    write(tmp_path, BASELINE, "baseline.json")
    stale = "is no longer found; remove the entry (or run --write-baseline baseline.json again)\n"
    assert lint(tmp_path, "--baseline", "baseline.json") == (
        1,
        "accounts.yaml:8:13: error MC202 cleartext-port-with-implicit-tls: port 143 starts in cleartext and expects "
        "STARTTLS, not implicit TLS; set port: 993, or security: starttls\n"
        "accounts.yaml:13:64: warning MC706 timeout-too-short: a timeout of 3 s fails on slow networks and busy "
        "servers; set timeout: 30\n"
        f"baseline.json:7:1: info MC709 stale-baseline-entry: MC101 at old:incoming.security in accounts.yaml {stale}"
        f"baseline.json:9:1: info MC709 stale-baseline-entry: MC706 at pop:incoming.timeout in accounts.yaml {stale}"
        "1 error, 1 warning, 2 info in 2 files (1 file checked)\n",
        "",
    )


def test_an_entry_of_a_rule_the_settings_disable_is_not_stale(tmp_path: Path) -> None:
    """`--disable MC706` (or `disable:` in the settings) reported the MC706 entry as stale MC709, "no longer found;
    remove the entry", though the finding is there: removed, it is back the day the rule is on again. A suppression
    of a disabled rule is not reported either."""
    write(tmp_path, LEGACY)
    write(tmp_path, BASELINE, "baseline.json")
    assert lint(tmp_path, "--baseline", "baseline.json", "--disable", "MC706") == (0, "", "")
    write(tmp_path, "disable: [timeout-too-short]\nbaseline: baseline.json\n", ".mailconf.yaml")
    assert lint(tmp_path) == (0, "", "")
    write(tmp_path, LEGACY.replace("timeout: 2", "timeout: 3"))  # its value changed: stale once the rule is on
    assert lint(tmp_path)[1:] == ("", "")
    assert lint(tmp_path, "--baseline", "baseline.json", "--severity", "MC706=warning")[1].splitlines()[-2:] == [
        "baseline.json:9:1: info MC709 stale-baseline-entry: MC706 at pop:incoming.timeout in accounts.yaml is no "
        "longer found; remove the entry (or run --write-baseline baseline.json again)",
        "1 warning, 1 info in 2 files (1 file checked)",
    ]


def test_writing_the_baseline_with_a_rule_turned_off_keeps_that_rules_entries(tmp_path: Path) -> None:
    """`--write-baseline` with `--disable MC706` (or `disable:` in the settings) wrote the file's entries without the
    MC706 one: the finding was only not looked for, and came back the day the rule was on again."""
    write(tmp_path, LEGACY)
    write(tmp_path, BASELINE, "baseline.json")
    assert lint(tmp_path, "--write-baseline", "baseline.json", "--disable", "MC706") == (
        0,
        "",
        "mailconf: wrote 3 baseline entries to baseline.json; kept 1 of rules turned off\n",
    )
    assert (tmp_path / "baseline.json").read_text(encoding="utf-8") == BASELINE
    write(tmp_path, "disable: [timeout-too-short]\n", ".mailconf.yaml")
    assert lint(tmp_path, "--write-baseline", "baseline.json")[0] == 0
    assert (tmp_path / "baseline.json").read_text(encoding="utf-8") == BASELINE
    (tmp_path / ".mailconf.yaml").unlink()
    assert lint(tmp_path, "--baseline", "baseline.json") == (0, "", "")


def test_the_closing_line_counts_the_account_files_checked_not_the_baseline(tmp_path: Path) -> None:
    """docs/lint.md: the closing line counts the files with findings and the files checked. The baseline, where a
    stale entry (MC709) is reported, is a file with findings but was read, not checked: it was counted as one
    ("(3 files checked)" for two account files, and "in 2 files" with no count for one)."""
    write(tmp_path, LEGACY)
    write(tmp_path, "version: 1\naccounts:\n  a: {address: a@example.com, outgoing: {host: smtp.example.com}}\n",
          "clean.yaml")  # fmt: skip
    both = ("accounts.yaml", "clean.yaml")
    assert run_mailconf("lint", *both, cwd=tmp_path).stdout.splitlines()[-1] == (
        "2 errors, 2 warnings in 1 file (2 files checked)"
    )
    assert run_mailconf("lint", "--write-baseline", "baseline.json", *both, cwd=tmp_path).code == 0
    assert run_mailconf("lint", "--baseline", "baseline.json", *both, cwd=tmp_path) == Outcome(0, "", "")
    write(tmp_path, LEGACY.replace("timeout: 2", "timeout: 30"))  # MC706 fixed: its entry is stale
    stale = (
        "baseline.json:9:1: info MC709 stale-baseline-entry: MC706 at pop:incoming.timeout in accounts.yaml is no "
        "longer found; remove the entry (or run --write-baseline baseline.json again)\n"
    )
    assert run_mailconf("lint", "--baseline", "baseline.json", *both, cwd=tmp_path) == Outcome(
        0, f"{stale}1 info in 1 file (2 files checked)\n", ""
    )
    assert lint(tmp_path, "--baseline", "baseline.json") == (0, f"{stale}1 info in 1 file (1 file checked)\n", "")
    # without the baseline, the file checked is the file with findings: one count says both
    assert lint(tmp_path)[1].splitlines()[-1] == "2 errors, 1 warning in 1 file"


def test_a_stale_entry_laid_out_by_a_json_formatter_is_reported_at_its_line(tmp_path: Path) -> None:
    """One key a line (`python -m json.tool`, an editor's formatter): it was reported at 1:1, wherever it was."""
    import json

    write(tmp_path, LEGACY.replace("timeout: 2", "timeout: 3"))
    write(tmp_path, json.dumps(json.loads(BASELINE), indent=2) + "\n", "baseline.json")
    assert lint(tmp_path, "--baseline", "baseline.json")[1].splitlines()[1:] == [
        "baseline.json:24:7: info MC709 stale-baseline-entry: MC706 at pop:incoming.timeout in accounts.yaml is no "
        "longer found; remove the entry (or run --write-baseline baseline.json again)",
        "1 warning, 1 info in 2 files (1 file checked)",
    ]


def test_write_baseline_for_some_files_keeps_the_entries_of_the_others_that_still_exist(tmp_path: Path) -> None:
    """Written again for one file (the one just edited), the baseline lost every other file's entries and their
    findings all came back at the next full lint."""
    write(tmp_path, LEGACY)
    write(tmp_path, LEGACY, "other.yaml")
    both = ("accounts.yaml", "other.yaml")
    assert run_mailconf("lint", "--write-baseline", "base.json", *both, cwd=tmp_path) == Outcome(
        0, "", "mailconf: wrote 8 baseline entries to base.json\n"
    )
    write(tmp_path, LEGACY.replace("timeout: 2", "timeout: 3"))
    assert lint(tmp_path, "--write-baseline", "base.json") == (
        0,
        "",
        "mailconf: wrote 4 baseline entries to base.json; kept 4 of files not linted now\n",
    )
    assert run_mailconf("lint", "--baseline", "base.json", *both, cwd=tmp_path) == Outcome(0, "", "")
    # the same file as written for both at once
    assert run_mailconf("lint", "--write-baseline", "fresh.json", *both, cwd=tmp_path).code == 0
    assert (tmp_path / "base.json").read_text(encoding="utf-8") == (tmp_path / "fresh.json").read_text(encoding="utf-8")
    (tmp_path / "other.yaml").unlink()  # gone: its entries go too
    assert lint(tmp_path, "--write-baseline", "base.json") == (
        0,
        "",
        "mailconf: wrote 4 baseline entries to base.json\n",
    )
    assert "other.yaml" not in (tmp_path / "base.json").read_text(encoding="utf-8")


def test_write_baseline_with_output_file_is_a_usage_error(tmp_path: Path) -> None:
    # it returns once the baseline is written: the report asked for was silently not written, exit 0
    write(tmp_path, LEGACY)
    assert lint(tmp_path, "--write-baseline", "base.json", "-O", "report.txt") == (
        2,
        "",
        "mailconf: --write-baseline writes no report: use it without --output-file\n",
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["accounts.yaml"]


def test_only_the_files_linted_are_compared(tmp_path: Path) -> None:
    write(tmp_path, BASELINE.replace('"accounts.yaml"', '"other.yaml"'), "baseline.json")
    write(tmp_path, "version: 1\naccounts:\n  a: {address: a@example.com, outgoing: {host: smtp.example.com}}\n")
    assert lint(tmp_path, "--baseline", "baseline.json") == (0, "", "")


def test_the_baseline_setting_is_relative_to_the_settings_file(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    write(tmp_path, "baseline: baseline.json\n", "conf/.mailconf.yaml")
    write(tmp_path, BASELINE.replace('"accounts.yaml"', '"../accounts.yaml"'), "conf/baseline.json")
    write(tmp_path, LEGACY)
    assert lint(tmp_path, "--config", "conf/.mailconf.yaml") == (0, "", "")
    assert lint(tmp_path, "--config", "conf/.mailconf.yaml", "--baseline", "none.json") == (
        2,
        "",
        "mailconf: none.json: no such baseline file; create it with --write-baseline none.json\n",
    )


def _stale(baseline: str) -> str:
    return (
        f"{baseline}:9:1: info MC709 stale-baseline-entry: MC706 at pop:incoming.timeout in accounts.yaml is no longer "
        f"found; remove the entry (or run --write-baseline {baseline} again)\n1 info in 1 file (1 file checked)\n"
    )


@pytest.mark.parametrize("settings", [".mailconf.yaml", "pyproject.toml"])
def test_a_stale_entry_names_the_settings_baseline_from_the_current_directory(tmp_path: Path, settings: str) -> None:
    """MC709 named a baseline the settings found on the way up name by its absolute path
    (`/repo/sub/base.json:9:1: ... run --write-baseline /repo/sub/base.json again`), one given with --baseline as
    written: one file, two names. It is now named from the current directory when it is inside it, as --baseline
    names it; from outside, by its absolute path (docs/lint.md#baselines)."""
    sub = tmp_path / "sub"
    sub.mkdir()
    text = "baseline: base.json\n" if settings == ".mailconf.yaml" else '[tool.mailconf]\nbaseline = "base.json"\n'
    write(sub, text, settings)
    write(sub, BASELINE, "base.json")
    write(sub, LEGACY.replace("timeout: 2", "timeout: 30"))  # MC706 fixed: its entry is stale
    assert run_mailconf("lint", "accounts.yaml", cwd=sub) == Outcome(0, _stale("base.json"), "")
    assert run_mailconf("lint", "--baseline", "base.json", "accounts.yaml", cwd=sub) == Outcome(
        0, _stale("base.json"), ""
    )
    assert run_mailconf("lint", "sub/accounts.yaml", cwd=tmp_path) == Outcome(0, _stale("sub/base.json"), "")
    (sub / "deeper").mkdir()  # the baseline is not inside the current directory
    absolute = os.path.join(os.path.realpath(sub), "base.json")
    assert run_mailconf("lint", "../accounts.yaml", cwd=sub / "deeper") == Outcome(0, _stale(absolute), "")
    # --config names the settings file as written, and the baseline from it
    assert run_mailconf("lint", "--config", f"sub/{settings}", "sub/accounts.yaml", cwd=tmp_path) == Outcome(
        0, _stale("sub/base.json"), ""
    )


@pytest.mark.parametrize(
    ("settings", "at"),
    [(".mailconf.yaml", "1:11"), ("pyproject.toml", "3:12")],
)
def test_a_baseline_the_settings_name_that_cannot_be_read_is_named_from_the_setting(
    tmp_path: Path, settings: str, at: str
) -> None:
    """`mailconf: /repo/conf/old.json: no such baseline file` said nothing of which settings file, of those on the
    way up, named it."""
    text = 'baseline: "old.json"\n' if settings == ".mailconf.yaml" else '[tool.mailconf]\n\nbaseline = "old.json"\n'
    (tmp_path / "conf").mkdir()
    write(tmp_path, text, f"conf/{settings}")
    write(tmp_path, LEGACY, "conf/accounts.yaml")
    conf = tmp_path / "conf"
    assert run_mailconf("lint", "conf/accounts.yaml", cwd=tmp_path) == Outcome(
        2,
        "",
        f"mailconf: {conf / settings}:{at}: baseline: conf/old.json: no such baseline file; create it with "
        "--write-baseline conf/old.json\n",
    )
    (conf / "old.json").write_text("{\n")
    assert run_mailconf("lint", "conf/accounts.yaml", cwd=tmp_path) == Outcome(
        2,
        "",
        f"mailconf: {conf / settings}:{at}: baseline: conf/old.json:2:1: not a baseline file (Expecting property "
        "name enclosed in double quotes); write it again with --write-baseline\n",
    )


def test_a_baseline_that_is_not_one_is_refused_with_exit_2(tmp_path: Path) -> None:
    write(tmp_path, LEGACY)
    write(tmp_path, BASELINE.replace('"version": 1', '"version": 2'), "v2.json")
    write(tmp_path, '{\n  "version": 1,\n', "cut.json")
    assert lint(tmp_path, "--baseline", "v2.json") == (
        2,
        "",
        "mailconf: v2.json:1:1: not a version 1 mailconf baseline; write it again with --write-baseline\n",
    )
    for version in ("true", "1.0"):  # JSON true == 1 and 1.0 == 1 in Python: neither is version 1
        write(tmp_path, BASELINE.replace('"version": 1', f'"version": {version}'), "odd.json")
        assert lint(tmp_path, "--baseline", "odd.json") == (
            2,
            "",
            "mailconf: odd.json:1:1: not a version 1 mailconf baseline; write it again with --write-baseline\n",
        )
    assert lint(tmp_path, "--baseline", "cut.json") == (
        2,
        "",
        "mailconf: cut.json:3:1: not a baseline file (Expecting property name enclosed in double quotes); "
        "write it again with --write-baseline\n",
    )


ENTRY = '{"rule": "MC706", "account": "pop", "path": "incoming.timeout", "hash": "d4735e3a265e16ee"}'
# (what the baseline holds, the error after "mailconf: base.json")
MALFORMED = [
    (  # str(None) and str(1) made an entry that matched nothing: reported as a stale entry of "None" (MC709)
        '{\n  "version": 1,\n  "files": {\n    "accounts.yaml": [\n      ' + ENTRY + ",\n"
        '      {"rule": 1, "account": null, "path": [], "hash": {}}\n    ]\n  }\n}\n',
        ':6:7: an entry of "accounts.yaml" is not rule, account, path and hash, each a string',
    ),
    (
        '{"version": 1, "files": {"accounts.yaml": ["MC706"]}}',
        ':1:44: an entry of "accounts.yaml" is not rule, account, path and hash, each a string',
    ),
    ('{"version": 1, "files": {"accounts.yaml": {}}}', ':1:43: the entries of "accounts.yaml" are not a list'),
    (  # json keeps the last of a key written twice: the entries of the first were dropped without a word
        '{\n  "version": 1,\n  "files": {\n    "accounts.yaml": [\n      ' + ENTRY + "\n    ],\n"
        '    "accounts.yaml": []\n  }\n}\n',
        ':7:5: not a baseline file (the key "accounts.yaml" is written twice)',
    ),
    (
        '{"version": 1, "files": {"accounts.yaml": [' + ENTRY[:-1] + ', "hash": "0"}]}}',
        ':1:136: not a baseline file (the key "hash" is written twice)',
    ),
    (  # a name from the file in double quotes (errors.double_quoted), escaped, as every message shows such a text
        '{"version": 1, "files": {"it\'s\\u001b\\u202e.yaml": {}}}',
        ':1:51: the entries of "it\'s\\x1b\\u202e.yaml" are not a list',
    ),
    (
        '{"version": 1, "files": {"a\\u202e": [], "a\\u202e": []}}',
        ':1:41: not a baseline file (the key "a\\u202e" is written twice)',
    ),
]


@pytest.mark.parametrize(
    ("text", "where", "problem"),
    [
        ('{\n  "version": 1,\n  "files": {},\n}\n', "3:14", "Illegal trailing comma before end of object"),
        (f'{{"version": 1, "files": {{"accounts.yaml": [{ENTRY} ,\n  ]}}}}', "1:136",
         "Illegal trailing comma before end of array"),
        ('{"version": 1, "files": {"accounts.yaml": [ ,]}}', "1:45", "Expecting value"),  # no entry before it
        ('{"version": 1, "files": {"accounts.yaml": [1,}}', "1:46", "Expecting value"),  # } does not end a list
    ],
    ids=["object", "array", "comma-alone", "wrong-bracket"],
)  # fmt: skip
def test_a_trailing_comma_is_named_at_its_place(tmp_path: Path, text: str, where: str, problem: str) -> None:
    """A comma left where the last entry was removed is named, at the comma, as Python 3.13's json names it, on every
    Python: 3.11 and 3.12 said `Expecting value` at the bracket after it, and the message depended on the Python."""
    write(tmp_path, LEGACY)
    write(tmp_path, text, "comma.json")
    assert lint(tmp_path, "--baseline", "comma.json") == (
        2,
        "",
        f"mailconf: comma.json:{where}: not a baseline file ({problem}); write it again with --write-baseline\n",
    )


def test_a_baseline_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    """RFC 8259 lets a parser ignore it; it was refused (exit 2) with Python's advice to decode with utf-8-sig."""
    write(tmp_path, LEGACY)
    (tmp_path / "base.json").write_bytes(b"\xef\xbb\xbf" + BASELINE.encode())
    assert lint(tmp_path, "--baseline", "base.json") == (0, "", "")
    stale = BASELINE.replace('"MC401"', '"MC402"')
    (tmp_path / "base.json").write_bytes(b"\xef\xbb\xbf" + stale.encode())
    assert lint(tmp_path, "--baseline", "base.json", "--fail-level", "info")[1].splitlines()[-2:] == [
        "base.json:6:1: info MC709 stale-baseline-entry: MC402 at old:incoming.password in accounts.yaml is no "
        "longer found; remove the entry (or run --write-baseline base.json again)",
        "1 error, 1 info in 2 files (1 file checked)",
    ]


def test_a_baseline_that_is_not_utf8_is_refused_at_the_byte(tmp_path: Path) -> None:
    """It said `cannot be read (UnicodeDecodeError)`: a Python exception's name and no place."""
    write(tmp_path, LEGACY)
    # the account "éld", its é written in UTF-8 (one column), then a Latin-1 é: the byte at line 6, column 39
    latin1 = BASELINE.encode().replace(b'"account": "old"', b'"account": "\xc3\xa9l\xe9"', 1)
    (tmp_path / "base.json").write_bytes(latin1)
    assert lint(tmp_path, "--baseline", "base.json") == (
        2,
        "",
        "mailconf: base.json:6:39: file is not valid UTF-8 (byte 0xE9); save it as UTF-8\n",
    )
    (tmp_path / "base.json").write_bytes(BASELINE.encode("utf-16"))  # as PowerShell's `>` writes it
    assert lint(tmp_path, "--baseline", "base.json") == (
        2,
        "",
        "mailconf: base.json:1:1: file is UTF-16 (it starts with a UTF-16 byte-order mark); save it as UTF-8\n",
    )


@pytest.mark.parametrize(("text", "error"), MALFORMED)
def test_a_malformed_baseline_is_one_line_at_its_place_exit_2(tmp_path: Path, text: str, error: str) -> None:
    write(tmp_path, LEGACY)
    write(tmp_path, text, "base.json")
    assert lint(tmp_path, "--baseline", "base.json") == (
        2,
        "",
        f"mailconf: base.json{error}; write it again with --write-baseline\n",
    )


def test_a_baseline_nested_too_deeply_is_exit_2_not_an_internal_error(tmp_path: Path) -> None:
    write(tmp_path, LEGACY)
    write(tmp_path, "[" * 100_000, "deep.json")
    assert lint(tmp_path, "--baseline", "deep.json") == (
        2,
        "",
        "mailconf: deep.json:1:1: not a baseline file (nested too deeply); write it again with --write-baseline\n",
    )


def test_a_baseline_with_a_number_of_thousands_of_digits_is_exit_2_not_an_internal_error(tmp_path: Path) -> None:
    # json.loads lets int()'s ValueError out (more than 4300 digits): it was exit 3
    write(tmp_path, LEGACY)
    write(tmp_path, '{"version": 1, "files": {}, "n": ' + "9" * 5000 + "}", "long.json")
    assert lint(tmp_path, "--baseline", "long.json") == (
        2,
        "",
        "mailconf: long.json:1:1: not a baseline file (a number of more than 4300 digits); "
        "write it again with --write-baseline\n",
    )


def test_write_baseline_never_replaces_what_is_not_a_regular_file(tmp_path: Path) -> None:
    """A FIFO (as /dev/null, a device) stays what it is: exit 2, nothing written."""
    import os

    write(tmp_path, LEGACY)
    os.mkfifo(tmp_path / "pipe")
    assert lint(tmp_path, "--write-baseline", "pipe") == (
        2,
        "",
        "mailconf: pipe: not a regular file (it is a named pipe); name a file for the baseline\n",
    )
    assert (tmp_path / "pipe").is_fifo()


def test_write_baseline_never_replaces_a_file_that_is_not_a_baseline(tmp_path: Path) -> None:
    """`--write-baseline README.md` (a name completed one file too far) replaced the README with a baseline, and
    so a package.json: a file that holds text without the baseline's `generator` line is left as it is, exit 2."""
    write(tmp_path, LEGACY)
    for name, text in (("README.md", "# our mail set-up\n"), ("package.json", '{"name": "x", "version": "1.0"}\n')):
        (tmp_path / name).write_text(text)
        assert lint(tmp_path, "--write-baseline", name) == (
            2,
            "",
            f"mailconf: {name}: is not a mailconf baseline; nothing written, name another file (or remove this one "
            "first)\n",
        )
        assert (tmp_path / name).read_text() == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        " \n",
        "{}\n",
        BASELINE.replace('  "files": {\n', '<<<<<<< HEAD\n  "files": {\n'),
        BASELINE.replace(": 1,", ": 2,"),
    ],
    ids=["empty", "blank", "{}", "merge-conflict", "other-version"],
)
def test_write_baseline_replaces_an_empty_file_and_a_broken_baseline(tmp_path: Path, text: str) -> None:
    """What --baseline refuses with "write it again with --write-baseline" is written again: a baseline that a merge
    conflict broke, or of another version; and an empty file (`touch`), or `{}`, holds nothing to lose."""
    write(tmp_path, LEGACY)
    (tmp_path / "baseline.json").write_text(text)
    assert lint(tmp_path, "--write-baseline", "baseline.json") == (
        0,
        "",
        "mailconf: wrote 4 baseline entries to baseline.json\n",
    )
    assert (tmp_path / "baseline.json").read_text() == BASELINE


@pytest.mark.parametrize(
    ("broken", "where", "problem"),
    [
        # the last entry of a list removed by hand (as MC709 says to), the comma before it left
        (lambda text: text.replace('"d4735e3a265e16ee"}\n    ],', '"d4735e3a265e16ee"},\n    ],', 1), "9:98",
         "not a baseline file (Illegal trailing comma before end of array)"),
        (lambda text: text.replace('  "files": {\n', '<<<<<<< HEAD\n  "files": {\n'), "4:1",
         "not a baseline file (Expecting property name enclosed in double quotes)"),
        (lambda text: text.replace(": 1,", ": 2,"), "1:1", "not a version 1 mailconf baseline"),
    ],
    ids=["comma-left", "merge-conflict", "other-version"],
)  # fmt: skip
def test_write_baseline_for_some_files_does_not_replace_a_broken_baseline_that_holds_the_others(
    tmp_path: Path, broken: Any, where: str, problem: str
) -> None:
    """A broken baseline was written whole: `--write-baseline base.json accounts.yaml` wrote accounts.yaml's entries
    alone and said so, exit 0, and other.yaml's findings were all back at the next lint."""
    write(tmp_path, LEGACY)
    write(tmp_path, LEGACY, "other.yaml")
    both = ("accounts.yaml", "other.yaml")
    assert run_mailconf("lint", "--write-baseline", "base.json", *both, cwd=tmp_path).code == 0
    text = broken((tmp_path / "base.json").read_text(encoding="utf-8"))
    (tmp_path / "base.json").write_text(text, encoding="utf-8")
    assert lint(tmp_path, "--write-baseline", "base.json") == (
        2,
        "",
        f"mailconf: base.json:{where}: {problem}; nothing written: its entries of other.yaml, not linted now, would "
        "be lost; fix it by hand, or name other.yaml too\n",
    )
    assert (tmp_path / "base.json").read_text(encoding="utf-8") == text
    write(tmp_path, LEGACY, "third.yaml")
    (tmp_path / "base.json").write_text(text.replace('"other.yaml"', '"third.yaml": [],\n    "other.yaml"'))
    assert lint(tmp_path, "--write-baseline", "base.json")[2].endswith(
        "nothing written: its entries of third.yaml and 1 other file, not linted now, would be lost; fix it by "
        "hand, or name them too\n"
    )
    # every file it names linted (or gone): nothing to lose, it is written again whole
    (tmp_path / "third.yaml").unlink()
    assert run_mailconf("lint", "--write-baseline", "base.json", *both, cwd=tmp_path) == Outcome(
        0, "", "mailconf: wrote 8 baseline entries to base.json\n"
    )
    assert run_mailconf("lint", "--baseline", "base.json", *both, cwd=tmp_path) == Outcome(0, "", "")


def test_fix_leaves_the_findings_the_baseline_hides(tmp_path: Path) -> None:
    """A baseline records findings accepted, as a suppression comment does: `--fix --unsafe-fixes --baseline` moved
    the legacy server it hid to port 993 and implicit TLS (which the server in the cupboard does not offer), said
    "fixed 4 findings" under a report of one, and left the baseline's entries stale."""
    legacy = LEGACY.replace("      password: hunter2\n", "      password_command: pass show old\n")
    write(tmp_path, legacy)
    assert lint(tmp_path, "--write-baseline", "baseline.json")[0] == 0
    new = (
        "  new:\n    address: new@example.com\n"
        "    outgoing: {host: smtp.example.com, timeout: 0, password_command: pass show new}\n"
    )
    write(tmp_path, legacy + new)
    assert lint(tmp_path, "--fix", "--unsafe-fixes", "--baseline", "baseline.json") == (
        0,
        "",
        "mailconf: fixed 1 finding in 1 file\n",
    )
    assert (tmp_path / "accounts.yaml").read_text(encoding="utf-8") == legacy + new.replace("timeout: 0", "timeout: 30")
    assert lint(tmp_path, "--diff", "--unsafe-fixes", "--baseline", "baseline.json") == (
        0,
        "",
        "mailconf: would fix 0 findings in 0 files\n",
    )
    # a baseline that cannot be read stops the run before any file is written
    write(tmp_path, legacy + new)
    (tmp_path / ".mailconf.yaml").write_text("baseline: gone.json\n")
    assert lint(tmp_path, "--fix") == (
        2,
        "",
        f"mailconf: {tmp_path / '.mailconf.yaml'}:1:11: baseline: gone.json: no such baseline file; "
        "create it with --write-baseline gone.json\n",
    )
    assert (tmp_path / "accounts.yaml").read_text(encoding="utf-8") == legacy + new


def test_the_settings_baseline_applies_to_standard_input_under_its_stdin_filename(tmp_path: Path) -> None:
    """--stdin-filename decides which settings apply to standard input, but their `baseline:` was never read: an
    editor linting its buffer showed every finding the baseline had accepted, and --fix - fixed them."""
    write(tmp_path, LEGACY)
    (tmp_path / ".mailconf.yaml").write_text("baseline: baseline.json\n")
    assert lint(tmp_path, "--write-baseline", "baseline.json")[0] == 0
    grown = LEGACY + (
        "  new:\n    address: new@example.com\n"
        "    outgoing: {host: smtp.example.com, timeout: 0, password_command: x}\n"
    )
    args = ("lint", "-", "--stdin-filename", "accounts.yaml")
    assert run_mailconf(*args, cwd=tmp_path, stdin=grown) == Outcome(
        0,
        "accounts.yaml:16:49: warning MC707 timeout-unbounded: timeout: 0 means no timeout: a stalled server hangs the "
        "client; set timeout: 30\n1 warning in 1 file\n",
        "",
    )
    assert run_mailconf(*args, "--fix", "--unsafe-fixes", cwd=tmp_path, stdin=grown) == Outcome(
        0, grown.replace("timeout: 0", "timeout: 30"), "mailconf: fixed 1 finding in 1 file\n"
    )
    # the baseline it reads is not the report's to replace
    assert run_mailconf(*args, "-O", "baseline.json", cwd=tmp_path, stdin=grown) == Outcome(
        2,
        "",
        "mailconf: baseline.json: --output-file names baseline.json, the baseline in use; choose another file\n",
    )


def test_many_stale_entries_laid_out_by_a_formatter_are_placed_at_once(tmp_path: Path) -> None:
    """Each stale entry not laid out as the writer does was looked for with list.index(): 40,000 of them (a JSON
    formatter's layout, or one line) took about 50 s to report."""
    import time

    write(tmp_path, LEGACY)
    # MC707, not a rule turned off below: an entry of a disabled rule is not stale
    entries = [{"rule": "MC707", "account": f"a{i}", "path": "incoming.timeout", "hash": "0"} for i in range(40_000)]
    text = json.dumps({"version": 1, "files": {"accounts.yaml": entries}}, indent=2) + "\n"
    (tmp_path / "baseline.json").write_text(text, encoding="utf-8")
    started = time.monotonic()
    off = ("--disable", "MC101", "--disable", "MC401", "--disable", "MC705", "--disable", "MC706")
    code, out, err = lint(tmp_path, "--baseline", "baseline.json", *off)
    assert time.monotonic() - started < 10
    lines = out.splitlines()
    stale = (
        "info MC709 stale-baseline-entry: MC707 at {} in accounts.yaml is no longer found; remove the entry (or run "
    )
    assert (code, err, len(lines)) == (0, "", 40_001)
    assert lines[0].startswith("baseline.json:5:7: " + stale.format("a0:incoming.timeout"))
    assert lines[-2].startswith(f"baseline.json:{5 + 6 * 39_999}:7: " + stale.format("a39999:incoming.timeout"))
    assert lines[-1] == "40000 info in 1 file (1 file checked)"


def test_write_baseline_through_a_link_loop_writes_nothing(tmp_path: Path) -> None:
    """Path.exists() said False for the loop, so the link was replaced by a file and the run said it wrote it."""
    write(tmp_path, LEGACY)
    (tmp_path / "a.json").symlink_to("b.json")
    (tmp_path / "b.json").symlink_to("a.json")
    assert lint(tmp_path, "--write-baseline", "a.json") == (
        2,
        "",
        "mailconf: a.json: cannot be written (Too many levels of symbolic links)\n",
    )
    assert [os.readlink(tmp_path / name) for name in ("a.json", "b.json")] == ["b.json", "a.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "accounts.yaml", "b.json"]


def test_a_baseline_that_is_a_fifo_is_exit_2_not_waited_on(tmp_path: Path) -> None:
    """Opened without blocking, as account files are: a FIFO with no writer (or /dev/zero) is one line."""
    import os

    write(tmp_path, LEGACY)
    os.mkfifo(tmp_path / "pipe.json")
    assert lint(tmp_path, "--baseline", "pipe.json") == (
        2,
        "",
        "mailconf: pipe.json: not a regular file (it is a named pipe); name the baseline file\n",
    )


def test_a_file_name_that_is_not_utf8_is_recorded_readably_and_matched(tmp_path: Path) -> None:
    """The name's undecodable byte is written as \\xff (the baseline is UTF-8 JSON) and matches again."""
    import os

    name = os.fsdecode(b"\xffaccounts.yaml")
    write(tmp_path, LEGACY, name)
    written = run_mailconf("lint", "--write-baseline", "base.json", name, cwd=tmp_path)
    assert tuple(written) == (0, "", "mailconf: wrote 4 baseline entries to base.json\n")
    assert '    "\\\\xffaccounts.yaml": [\n' in (tmp_path / "base.json").read_text(encoding="utf-8")
    assert tuple(run_mailconf("lint", "--baseline", "base.json", name, cwd=tmp_path)) == (0, "", "")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base.json", name]
    # written again for another file, its entries are kept: the file is still there (it was looked for under
    # its name as the baseline writes it, \xff, never found, and its entries were dropped)
    write(tmp_path, LEGACY)
    assert lint(tmp_path, "--write-baseline", "base.json") == (
        0,
        "",
        "mailconf: wrote 4 baseline entries to base.json; kept 4 of files not linted now\n",
    )
    assert tuple(run_mailconf("lint", "--baseline", "base.json", name, cwd=tmp_path)) == (0, "", "")


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can make a file another user's (CI runs as root)")
def test_write_baseline_keeps_the_baselines_owner_group_and_mode_or_writes_nothing(tmp_path: Path) -> None:
    """Written as a temporary and renamed, the baseline became root's when root (CI) wrote it again."""
    from tests.test_fix import _without_chown

    write(tmp_path, LEGACY)
    write(tmp_path, "{}\n", "base.json")
    os.chown(tmp_path / "base.json", 65534, 65534)
    os.chmod(tmp_path / "base.json", 0o640)
    written = run_mailconf(
        "lint", "--write-baseline", "base.json", "accounts.yaml", cwd=tmp_path, preexec=_without_chown
    )
    assert tuple(written) == (
        2,
        "",
        "mailconf: base.json: cannot keep its owner and group (65534:65534); nothing written, "
        "run --write-baseline as its owner\n",
    )
    assert (tmp_path / "base.json").read_text(encoding="utf-8") == "{}\n"
    wrote = "mailconf: wrote 4 baseline entries to base.json\n"
    assert lint(tmp_path, "--write-baseline", "base.json") == (0, "", wrote)
    info = (tmp_path / "base.json").stat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (65534, 65534, 0o640)
    assert (tmp_path / "base.json").read_text(encoding="utf-8") == BASELINE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["accounts.yaml", "base.json"]


def test_write_baseline_does_not_replace_a_read_only_baseline(tmp_path: Path) -> None:
    from tests.test_cli import _without_file_override

    write(tmp_path, LEGACY)
    write(tmp_path, "{}\n", "base.json")
    os.chmod(tmp_path / "base.json", 0o444)
    preexec = _without_file_override if os.geteuid() == 0 else None
    written = run_mailconf("lint", "--write-baseline", "base.json", "accounts.yaml", cwd=tmp_path, preexec=preexec)
    assert tuple(written) == (
        2,
        "",
        "mailconf: base.json: is read-only; nothing written, make it writable\n",
    )
    assert (tmp_path / "base.json").read_text(encoding="utf-8") == "{}\n"


#: what mailconf wrote for tests.test_lint_cli.SHARED before a value shared through an alias or a merge key was
#: one finding (commit 7300e5f): an entry for each of the three servers using it
OLD_SHARED_BASELINE = """\
{
  "version": 1,
  "generator": "mailconf lint --write-baseline",
  "files": {
    "shared.yaml": [
      {"rule": "MC706", "account": "a", "path": "outgoing.timeout", "hash": "d4735e3a265e16ee"},
      {"rule": "MC706", "account": "b", "path": "outgoing.timeout", "hash": "d4735e3a265e16ee"},
      {"rule": "MC706", "account": "c", "path": "outgoing.timeout", "hash": "d4735e3a265e16ee"}
    ]
  }
}
"""


def test_an_older_baseline_with_an_entry_per_server_sharing_a_value_still_matches(tmp_path: Path) -> None:
    """Its entries for b and c (alias, merge key) were reported as stale MC709 though the finding is still there."""
    from tests.test_lint_cli import SHARED

    write(tmp_path, SHARED, "shared.yaml")
    write(tmp_path, OLD_SHARED_BASELINE, "base.json")
    assert tuple(run_mailconf("lint", "--baseline", "base.json", "shared.yaml", cwd=tmp_path)) == (0, "", "")
    # an entry of a server that uses the value (a's own removed) hides the one finding too
    write(tmp_path, OLD_SHARED_BASELINE.replace(OLD_SHARED_BASELINE.splitlines()[5] + "\n", ""), "base.json")
    assert tuple(run_mailconf("lint", "--baseline", "base.json", "shared.yaml", cwd=tmp_path)) == (0, "", "")
    # --write-baseline rewrites it in today's form: the one finding's entry, the first server's
    write(tmp_path, OLD_SHARED_BASELINE, "base.json")
    assert tuple(run_mailconf("lint", "--write-baseline", "base.json", "shared.yaml", cwd=tmp_path)) == (
        0,
        "",
        "mailconf: wrote 1 baseline entry to base.json\n",
    )
    head, a_only = OLD_SHARED_BASELINE.splitlines(keepends=True)[:5], OLD_SHARED_BASELINE.splitlines()[5]
    assert (tmp_path / "base.json").read_text(encoding="utf-8") == "".join(head) + a_only.rstrip(",") + (
        "\n    ]\n  }\n}\n"
    )


def test_an_older_baselines_entries_for_a_shared_value_that_changed_are_all_stale(tmp_path: Path) -> None:
    from tests.test_lint_cli import SHARED

    write(tmp_path, SHARED.replace("timeout: 2", "timeout: 3"), "shared.yaml")
    write(tmp_path, OLD_SHARED_BASELINE, "base.json")
    stale = "is no longer found; remove the entry (or run --write-baseline base.json again)\n"
    assert tuple(run_mailconf("lint", "--baseline", "base.json", "shared.yaml", cwd=tmp_path)) == (
        0,
        "shared.yaml:5:54: warning MC706 timeout-too-short: a timeout of 3 s fails on slow networks and busy servers; "
        "set timeout: 30\n"
        + "".join(
            f"base.json:{line}:1: info MC709 stale-baseline-entry: MC706 at {name}:outgoing.timeout in shared.yaml "
            + stale
            for line, name in ((6, "a"), (7, "b"), (8, "c"))
        )
        + "1 warning, 3 info in 2 files (1 file checked)\n",
        "",
    )


#: the same key twice (MC701, a finding about the text: its message names the line of the first)
TWICE = """\
version: 1
accounts:
  work:
    address: work@example.com
    incoming: {protocol: imap, host: imap.example.com, port: 143, security: none}
  work:
    address: w2@example.com
    incoming: {protocol: imap, host: imap.example.com, port: 993}
"""

#: TWICE with a comment and a new account inserted above the duplicate key and the line it names
TWICE_MOVED = TWICE.replace(
    "accounts:\n",
    "# a comment\naccounts:\n  first:\n    address: f@example.com\n"
    "    incoming: {protocol: imap, host: imap.example.com}\n",
)

TWICE_MESSAGE = 'duplicate key "work" (first defined at line {}); YAML keeps only one: remove or rename one'


def _baseline_of(*entries: str) -> str:
    head = '{\n  "version": 1,\n  "generator": "mailconf lint --write-baseline",\n  "files": {\n'
    return head + '    "accounts.yaml": [\n' + ",\n".join(f"      {e}" for e in entries) + "\n    ]\n  }\n}\n"


def test_lines_inserted_above_a_duplicate_key_leave_its_entry_matching(tmp_path: Path) -> None:
    """MC701's message names the line of the first key: hashed with it, the entry went stale (MC709) and the
    duplicate showed as new whenever a line was inserted above it."""
    write(tmp_path, TWICE)
    assert lint(tmp_path, "--write-baseline", "baseline.json") == (
        0,
        "",
        "mailconf: wrote 2 baseline entries to baseline.json\n",
    )
    digest = hashlib.sha256(f"{TWICE_MESSAGE.format(3).replace('line 3', 'line')}\nwork:".encode()).hexdigest()[:16]
    assert (tmp_path / "baseline.json").read_text(encoding="utf-8") == _baseline_of(
        f'{{"rule": "MC701", "account": "", "path": "", "hash": "{digest}"}}',
        '{"rule": "MC101", "account": "work", "path": "incoming.security", "hash": "30a0924a3360be68"}',
    )
    write(tmp_path, TWICE_MOVED)
    assert f"accounts.yaml:10:3: error MC701 duplicate-account: {TWICE_MESSAGE.format(7)}\n" in lint(tmp_path)[1]
    assert lint(tmp_path, "--baseline", "baseline.json") == (0, "", "")


#: TWICE's baseline as mailconf writes it: MC701's hash is of its message, the key in double quotes, without the
#: line number (``duplicate key "work" (first defined at line); ...``) and of the source line ``work:``
TWICE_BASELINE = """\
{
  "version": 1,
  "generator": "mailconf lint --write-baseline",
  "files": {
    "accounts.yaml": [
      {"rule": "MC701", "account": "", "path": "", "hash": "b45850d7814d39e7"},
      {"rule": "MC101", "account": "work", "path": "incoming.security", "hash": "30a0924a3360be68"}
    ]
  }
}
"""


@pytest.mark.parametrize(
    ("old", "text"),
    [
        # the key in Python's repr(), the line number left out (mailconf before MC701 quoted keys in double
        # quotes): it matches wherever the lines move
        ("d15c1741a55de83a", TWICE_MOVED),
        # the key in repr(), hashed with "first defined at line 3" (before that): it matches while the lines stay
        ("0716b5d8f26e1d3b", TWICE),
    ],
    ids=["repr-key", "repr-key-and-line"],
)
def test_an_older_baselines_duplicate_key_entry_still_matches(tmp_path: Path, old: str, text: str) -> None:
    """MC701's entry hashes its message, which spelt the key with Python's repr() (`duplicate key 'work'`), and
    earlier with the line number it names. An entry of those forms still hides the finding (and is not stale,
    MC709), and --write-baseline writes it in today's form."""
    write(tmp_path, text)
    write(tmp_path, TWICE_BASELINE.replace("b45850d7814d39e7", old), "baseline.json")
    assert lint(tmp_path, "--baseline", "baseline.json") == (0, "", "")
    write(tmp_path, TWICE)
    assert lint(tmp_path, "--write-baseline", "baseline.json") == (
        0,
        "",
        "mailconf: wrote 2 baseline entries to baseline.json\n",
    )
    assert (tmp_path / "baseline.json").read_text(encoding="utf-8") == TWICE_BASELINE
    assert lint(tmp_path, "--baseline", "baseline.json") == (0, "", "")


def test_an_older_baselines_entry_of_a_value_its_tag_does_not_fit_still_matches(tmp_path: Path) -> None:
    """MC001's message quoted the value with Python's repr() (`'one' is not a valid !!int`) and its entry hashes the
    message: an entry written then still hides the finding (no MC709), and --write-baseline writes today's form
    (`"one" is not a valid !!int`)."""
    write(tmp_path, "version: !!int one\n")
    older = '{"rule": "MC001", "account": "", "path": "", "hash": "1989b4fb1fedda71"}'  # written by mailconf before
    write(tmp_path, _baseline_of(older), "baseline.json")
    assert lint(tmp_path, "--baseline", "baseline.json") == (0, "", "")
    assert lint(tmp_path, "--write-baseline", "baseline.json") == (
        0,
        "",
        "mailconf: wrote 1 baseline entry to baseline.json\n",
    )
    # today's: the message, and the line from the finding's column on (the value the tag does not fit)
    today = hashlib.sha256(b'"one" is not a valid !!int; remove the tag or fix the value\n!!int one')
    assert (tmp_path / "baseline.json").read_text(encoding="utf-8") == _baseline_of(
        f'{{"rule": "MC001", "account": "", "path": "", "hash": "{today.hexdigest()[:16]}"}}'
    )
    assert lint(tmp_path, "--baseline", "baseline.json") == (0, "", "")


def test_an_older_baselines_entry_of_a_message_with_a_no_break_space_still_matches(tmp_path: Path) -> None:
    """A message spelt a no-break space (a C1 control, a soft hyphen) ``\\xa0`` until a byte that was not UTF-8 and a
    character were told apart (``\\u00a0`` now, errors.escaped_before): MC701's entry, which hashes its message, went
    stale (MC709) and the duplicate key it hid came back. It still matches, and --write-baseline writes today's."""
    line = '  "w\\xa0k": {address: a@example.com}\n'
    write(tmp_path, "version: 1\naccounts:\n" + line + line)
    older = '{"rule": "MC701", "account": "", "path": "", "hash": "297e6f0fca778032"}'  # written by mailconf before
    mc002 = '{"rule": "MC002", "account": "w\u00a0k", "path": "", "hash": "e3b0c44298fc1c14"}'  # needs a server
    write(tmp_path, _baseline_of(older, mc002, mc002), "baseline.json")
    assert lint(tmp_path, "--baseline", "baseline.json") == (0, "", "")
    assert lint(tmp_path, "--write-baseline", "baseline.json") == (
        0,
        "",
        "mailconf: wrote 3 baseline entries to baseline.json\n",
    )
    today = hashlib.sha256(
        b'duplicate key "w\\u00a0k" (first defined at line); YAML keeps only one: remove or rename one\n'
        b'"w\\xa0k": {address: a@example.com}'
    ).hexdigest()[:16]
    assert (tmp_path / "baseline.json").read_text(encoding="utf-8") == _baseline_of(
        older.replace("297e6f0fca778032", today), mc002, mc002
    )
    assert lint(tmp_path, "--baseline", "baseline.json") == (0, "", "")


def test_an_older_entry_of_another_key_does_not_match(tmp_path: Path) -> None:
    """The older spelling is of the key of the finding, not of any key: the repr() entry of 'work' does not hide
    the same duplicate under another name, and is reported stale."""
    write(tmp_path, TWICE.replace("work", "home"))
    write(
        tmp_path,
        TWICE_BASELINE.replace("b45850d7814d39e7", "d15c1741a55de83a").replace('"work"', '"home"'),
        "baseline.json",
    )
    assert lint(tmp_path, "--baseline", "baseline.json") == (
        1,
        'accounts.yaml:6:3: error MC701 duplicate-account: duplicate key "home" (first defined at line 3); '
        "YAML keeps only one: remove or rename one\n"
        "baseline.json:6:1: info MC709 stale-baseline-entry: MC701 at (the text) in accounts.yaml is no longer "
        "found; remove the entry (or run --write-baseline baseline.json again)\n"
        "1 error, 1 info in 2 files (1 file checked)\n",
        "",
    )


def test_a_file_moved_loses_its_entries_until_the_baseline_is_written_again(tmp_path: Path) -> None:
    """Entries are under the file's name: the moved file's findings are new, and the old name's entries are not
    stale (that file is not linted); --write-baseline drops the entries of a file that no longer exists."""
    write(tmp_path, LEGACY, "team.yaml")
    write(tmp_path, BASELINE, "baseline.json")
    plain = run_mailconf("lint", "team.yaml", cwd=tmp_path)
    assert plain.code == 1 and "MC401" in plain.stdout
    assert run_mailconf("lint", "--baseline", "baseline.json", "team.yaml", cwd=tmp_path) == plain
    assert run_mailconf("lint", "--write-baseline", "baseline.json", "team.yaml", cwd=tmp_path).code == 0
    files = json.loads((tmp_path / "baseline.json").read_text(encoding="utf-8"))["files"]
    assert list(files) == ["team.yaml"]
    assert run_mailconf("lint", "--baseline", "baseline.json", "team.yaml", cwd=tmp_path) == (0, "", "")


def test_an_account_renamed_leaves_its_entry_stale_and_its_finding_new(tmp_path: Path) -> None:
    """The account's name is part of the entry: another name is another account (as a changed value is)."""
    write(tmp_path, LEGACY)
    write(tmp_path, BASELINE, "baseline.json")
    write(tmp_path, LEGACY.replace("  pop:\n", "  pop3:\n"))
    stale = "is no longer found; remove the entry (or run --write-baseline baseline.json again)\n"
    assert lint(tmp_path, "--baseline", "baseline.json") == (
        0,
        "accounts.yaml:13:5: warning MC705 pop3-deletes-from-server: POP3 by default deletes mail from the server "
        "after download, so other devices never see it; set leave_on_server: true (and leave_days to bound it)\n"
        "accounts.yaml:13:64: warning MC706 timeout-too-short: a timeout of 2 s fails on slow networks and busy "
        "servers; set timeout: 30\n"
        f"baseline.json:8:1: info MC709 stale-baseline-entry: MC705 at pop:incoming in accounts.yaml {stale}"
        f"baseline.json:9:1: info MC709 stale-baseline-entry: MC706 at pop:incoming.timeout in accounts.yaml {stale}"
        "2 warnings, 2 info in 2 files (1 file checked)\n",
        "",
    )


def _waiting_on(path: Path) -> int:
    """How many flock waiters /proc/locks shows on ``path``'s inode."""
    inode = f":{path.stat().st_ino} "
    return sum("->" in line and inode in line for line in Path("/proc/locks").read_text().splitlines())


def test_two_write_baselines_at_once_keep_both_runs_entries(tmp_path: Path) -> None:
    # pre-commit runs a hook on chunks of files in parallel: each --write-baseline read the baseline, merged its
    # own files and wrote it whole, and the one that wrote last dropped the other's entries. The test holds the
    # baseline's lock: both runs wait for it (seen in /proc/locks), then take turns, the second reading the first's
    import fcntl
    import subprocess
    import sys
    import time

    write(tmp_path, LEGACY, "a.yaml")
    write(tmp_path, GROWN, "b.yaml")
    baseline = tmp_path / "baseline.json"
    baseline.write_text("", encoding="utf-8")  # an empty file is one to write whole
    runs: list[subprocess.Popen[bytes]] = []
    with open(baseline, "rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        for name in ("a.yaml", "b.yaml"):
            command = [sys.executable, "-m", "mailconf", "lint", "--write-baseline", "baseline.json", name]
            runs.append(subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE))
        deadline = time.monotonic() + 60  # a hang guard only
        while _waiting_on(baseline) < 2:
            assert [run.poll() for run in runs] == [None, None], "a run did not wait for the lock"
            assert time.monotonic() < deadline, "the runs never waited for the lock"
            time.sleep(0.02)
        assert baseline.read_text(encoding="utf-8") == ""
    outcomes = [(run.wait(60), *run.communicate()) for run in runs]
    said = [(code, out, err.decode()) for code, out, err in outcomes]
    # whichever the kernel woke first wrote its own entries; the other kept them
    first_a = [
        (0, b"", "mailconf: wrote 4 baseline entries to baseline.json\n"),
        (0, b"", "mailconf: wrote 6 baseline entries to baseline.json; kept 4 of files not linted now\n"),
    ]
    first_b = [
        (0, b"", "mailconf: wrote 4 baseline entries to baseline.json; kept 6 of files not linted now\n"),
        (0, b"", "mailconf: wrote 6 baseline entries to baseline.json\n"),
    ]
    assert said in (first_a, first_b)
    files = json.loads(baseline.read_text(encoding="utf-8"))["files"]
    assert {name: len(entries) for name, entries in files.items()} == {"a.yaml": 4, "b.yaml": 6}


def test_write_baseline_waits_for_the_lock_until_its_deadline_then_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import fcntl

    import mailconf.baseline
    from mailconf import cli

    write(tmp_path, LEGACY)
    (tmp_path / "baseline.json").write_text(BASELINE, encoding="utf-8")
    monkeypatch.setattr(mailconf.baseline, "LOCK_WAIT", 0.3)  # 30 s as shipped
    monkeypatch.chdir(tmp_path)
    with open(tmp_path / "baseline.json", "rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        assert cli.main(["lint", "--write-baseline", "baseline.json", "accounts.yaml"]) == 2
    assert capsys.readouterr() == (
        "",
        "mailconf: baseline.json: another program holds its lock (waited 0.3 s); nothing written, run "
        "--write-baseline again\n",
    )
    assert (tmp_path / "baseline.json").read_text(encoding="utf-8") == BASELINE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["accounts.yaml", "baseline.json"]


def test_a_new_baseline_is_made_with_mode_0644_whatever_the_umask_and_nothing_beside_it(tmp_path: Path) -> None:
    # --write-baseline makes a baseline that is not there empty, to hold its lock: the file written is still 0644
    write(tmp_path, LEGACY)

    def strict_umask() -> None:
        os.umask(0o077)

    outcome = run_mailconf("lint", "--write-baseline", "new.json", "accounts.yaml", cwd=tmp_path, preexec=strict_umask)
    assert outcome == Outcome(0, "", "mailconf: wrote 4 baseline entries to new.json\n")
    assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["accounts.yaml", "new.json"]


#: ``mailconf`` with the empty baseline it makes held back until the test says so (a line on standard input): a
#: program that takes the new file's lock in the few microseconds between its making and its locking (another
#: --write-baseline's holder, ``flock new.json cmd``) is otherwise hit only by chance. The one thing faked.
PAUSED_AFTER_MAKING = """
import sys
import mailconf.baseline

made_empty = mailconf.baseline._made_empty

def paused(target):
    made = made_empty(target)
    if made is not None:
        print("made", flush=True)
        sys.stdin.readline()
    return made

mailconf.baseline._made_empty = paused
from mailconf.cli import main

sys.exit(main())
"""


INTERRUPTED = "\nmailconf: interrupted\n"  # click closes the terminal's ^C echo with a blank line


@pytest.mark.parametrize(
    ("name", "status", "said"), [("SIGINT", 130, INTERRUPTED), ("SIGTERM", 143, "")], ids=["INT", "TERM"]
)
@pytest.mark.parametrize("made_by_the_run", [True, False], ids=["made-by-the-run", "there-before"])
def test_a_signal_while_write_baseline_waits_for_the_lock_leaves_no_file_it_made(
    tmp_path: Path, name: str, status: int, said: str, made_by_the_run: bool
) -> None:
    # A Ctrl-C while --write-baseline waited for the lock of the empty baseline it had just made left that file:
    # the next `lint --baseline new.json` stopped with "new.json:1:1: not a baseline file (Expecting value)", exit
    # 2. Now the run removes what it made; an empty file that was there before is another's, and stays.
    import fcntl
    import signal
    import subprocess
    import sys
    import time

    write(tmp_path, LEGACY)
    baseline = tmp_path / "new.json"
    if not made_by_the_run:
        baseline.write_bytes(b"")
    command = [sys.executable, "-c", PAUSED_AFTER_MAKING, "lint", "--write-baseline", "new.json", "accounts.yaml"]
    run = subprocess.Popen(command, cwd=tmp_path, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        if made_by_the_run:
            assert run.stdout is not None and run.stdout.readline() == "made\n"
        with open(baseline, "rb") as held:
            fcntl.flock(held, fcntl.LOCK_EX)
            if made_by_the_run:
                assert run.stdin is not None
                run.stdin.write("go\n")
                run.stdin.flush()
            deadline = time.monotonic() + 60  # a hang guard only
            while _waiting_on(baseline) < 1:
                assert run.poll() is None, "the run did not wait for the lock"
                assert time.monotonic() < deadline, "the run never waited for the lock"
                time.sleep(0.02)
            run.send_signal(getattr(signal, name))
            out, err = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    assert (run.returncode, out, err) == (status, "", said)
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == (["accounts.yaml"] if made_by_the_run else ["accounts.yaml", "new.json"])
    assert run_mailconf("lint", "--write-baseline", "new.json", "accounts.yaml", cwd=tmp_path) == Outcome(
        0, "", "mailconf: wrote 4 baseline entries to new.json\n"
    )


#: ``mailconf`` that says "locked" once --write-baseline holds the baseline (before reading it), then goes on
#: when the test says so (a line on standard input). The one thing faked: a pause.
PAUSED_WHEN_LOCKED = """
import sys
import mailconf.baseline

merged = mailconf.baseline.with_other_files

def paused(*args, **kwargs):
    print("locked", flush=True)
    sys.stdin.readline()
    return merged(*args, **kwargs)

mailconf.baseline.with_other_files = paused
from mailconf.cli import main

sys.exit(main())
"""


def _held_on(path: Path) -> int:
    """How many granted flocks /proc/locks shows on ``path``'s inode."""
    inode = f":{path.stat().st_ino} "
    return sum(
        "->" not in line and "FLOCK" in line and inode in line for line in Path("/proc/locks").read_text().splitlines()
    )


def test_a_baseline_removed_while_write_baseline_waits_is_made_again_and_locked(tmp_path: Path) -> None:
    # The run holding the lock had made the baseline empty and wrote nothing, so it took the file back: the waiting
    # run then found no file at the path and went on without any lock, and with a third run waiting, both wrote it
    # whole at once (one run's entries lost). Now the waiting run makes it again and locks that.
    import fcntl
    import subprocess
    import sys
    import time

    write(tmp_path, LEGACY)
    baseline = tmp_path / "new.json"
    baseline.write_bytes(b"")  # as another --write-baseline made it
    command = [sys.executable, "-c", PAUSED_WHEN_LOCKED, "lint", "--write-baseline", "new.json", "accounts.yaml"]
    run = subprocess.Popen(command, cwd=tmp_path, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        with open(baseline, "rb") as held:
            fcntl.flock(held, fcntl.LOCK_EX)
            deadline = time.monotonic() + 60  # a hang guard only
            while _waiting_on(baseline) < 1:
                assert run.poll() is None, "the run did not wait for the lock"
                assert time.monotonic() < deadline, "the run never waited for the lock"
                time.sleep(0.02)
            baseline.unlink()  # the holder takes back the empty file it made, then lets go
        assert run.stdout is not None and run.stdout.readline() == "locked\n"
        assert baseline.exists() and _held_on(baseline) == 1  # made again, and held by the run
        assert run.stdin is not None
        run.stdin.write("go\n")
        run.stdin.flush()
        out, err = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    assert (run.returncode, out, err) == (0, "", "mailconf: wrote 4 baseline entries to new.json\n")


def test_a_run_whose_new_baseline_was_removed_never_removes_the_one_another_run_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The run made new.json; while it waited for the lock, something removed that file and another --write-baseline
    # made its own empty new.json. The run kept the status of the file it had made, and when it then gave up (lock
    # not had in time) it removed the empty file at the path of that status: on ext4 the new file takes the freed
    # inode, so the other run's file went (and with it the lock a third run would wait on). Now it removes only a
    # file it made since.
    import mailconf.replace
    from mailconf.baseline import locked
    from mailconf.errors import InputError

    baseline = tmp_path / "new.json"
    calls: list[str] = []

    def removed_then_busy(
        target: Path, wait: float, attempts: int, who: str, **kwargs: float
    ) -> tuple[int, os.stat_result]:
        calls.append(os.path.basename(target))
        if len(calls) == 1:
            assert baseline.exists()  # made by the run
            baseline.unlink()
            baseline.write_bytes(b"")  # another run's
            raise FileNotFoundError(2, "No such file or directory")
        raise mailconf.replace.NotLocked("another program holds its lock (waited 30 s)")

    monkeypatch.setattr(mailconf.replace, "locked_file", removed_then_busy)
    with pytest.raises(InputError) as refused, locked(str(baseline)):
        pass
    assert str(refused.value) == (
        f"{baseline}: another program holds its lock (waited 30 s); nothing written, run --write-baseline again"
    )
    assert (calls, baseline.exists()) == (["new.json", "new.json"], True)


def test_a_lock_wait_that_ran_out_after_a_retry_names_the_whole_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A baseline removed while --write-baseline waited is made again and its lock waited for until the same
    # deadline; when that ran out, the message named only the time left after the retry ("waited 0.2 s" of a 0.5 s
    # wait, "waited 12.3 s" of 30 s as shipped). It names the whole wait now.
    import fcntl
    import time

    import mailconf.baseline
    import mailconf.replace
    from mailconf.baseline import locked
    from mailconf.errors import InputError

    baseline = tmp_path / "new.json"
    real = mailconf.replace.locked_file
    calls: list[str] = []
    held: list[object] = []

    def removed_once(target: Path, wait: float, attempts: int, who: str, **kwargs: float) -> tuple[int, os.stat_result]:
        calls.append(os.path.basename(target))
        if len(calls) == 1:
            time.sleep(0.2)  # waited part of the time
            baseline.unlink()
            raise FileNotFoundError(2, "No such file or directory")
        holder = open(baseline, "rb")  # noqa: SIM115 - held until the test ends
        held.append(holder)
        fcntl.flock(holder, fcntl.LOCK_EX)
        return real(target, wait, attempts, who, **kwargs)

    monkeypatch.setattr(mailconf.baseline, "LOCK_WAIT", 0.5)
    monkeypatch.setattr(mailconf.replace, "locked_file", removed_once)
    try:
        with pytest.raises(InputError) as refused, locked(str(baseline)):
            pass
    finally:
        for holder in held:
            holder.close()  # type: ignore[attr-defined]
    assert str(refused.value) == (
        f"{baseline}: another program holds its lock (waited 0.5 s); nothing written, run --write-baseline again"
    )
    assert (calls, baseline.exists()) == (["new.json", "new.json"], False)


def test_a_lock_wait_whose_deadline_has_passed_still_takes_a_free_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A retry (a baseline removed, or replaced, while --write-baseline waited) may begin after the deadline of the
    # whole wait. Its flock was then given a 1 ms timer: a run descheduled for longer between arming the timer and
    # calling flock (a busy CI machine; here a flock that starts 50 ms late), or whose timer fired after flock had
    # returned, gave up a lock nobody held: "another program holds its lock (waited 30 s); nothing written".
    import fcntl
    import time

    from mailconf.replace import locked_file

    target = tmp_path / "baseline.json"
    target.write_bytes(b"")
    real = fcntl.flock

    def late(fd: int, operation: int) -> None:
        time.sleep(0.05)
        real(fd, operation)

    monkeypatch.setattr(fcntl, "flock", late)
    fd, info = locked_file(target, 30.0, 8, "--write-baseline", deadline=time.monotonic() - 1)
    try:
        assert os.path.samestat(info, target.stat())
        with open(target, "rb") as other, pytest.raises(BlockingIOError):
            real(other.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # this run holds it
    finally:
        os.close(fd)


def test_a_lock_wait_whose_deadline_has_passed_gives_up_a_held_lock_at_once(tmp_path: Path) -> None:
    # ... and a lock another program holds is given up at once, the message naming the whole wait
    import fcntl
    import time

    from mailconf.replace import NotLocked, locked_file

    target = tmp_path / "baseline.json"
    target.write_bytes(b"")
    with open(target, "rb") as holder:
        fcntl.flock(holder.fileno(), fcntl.LOCK_EX)
        began = time.monotonic()
        with pytest.raises(NotLocked) as busy:
            locked_file(target, 30.0, 8, "--write-baseline", deadline=began - 1)
    assert (str(busy.value), time.monotonic() - began < 5) == ("another program holds its lock (waited 30 s)", True)


@pytest.mark.parametrize("logical", ["baseline", "file"])
def test_a_baseline_and_files_named_through_a_folders_symbolic_link_still_match(tmp_path: Path, logical: str) -> None:
    """A checkout reached through a symbolic link (``/tmp`` is ``/private/tmp`` on macOS, a CI workspace linked into
    place): ``--baseline $PWD/baseline.json accounts.yaml`` named the baseline by the link and the file by the real
    folder (the current folder, as the system gives it), so the file was ``../../real/repo/accounts.yaml`` to the
    baseline: its entries hid nothing, and ``--fix --unsafe-fixes`` fixed the findings the baseline had accepted."""
    real = tmp_path / "real" / "repo"
    real.mkdir(parents=True)
    (tmp_path / "link").symlink_to("real")
    link = tmp_path / "link" / "repo"
    legacy = LEGACY.replace("      password: hunter2\n", "      password_command: pass show old\n")
    write(real, legacy)
    assert run_mailconf("lint", "--write-baseline", "baseline.json", "accounts.yaml", cwd=link)[0] == 0
    baseline, account_file = ("baseline.json", str(real / "accounts.yaml"))
    if logical == "baseline":
        baseline, account_file = str(link / "baseline.json"), "accounts.yaml"
    else:
        account_file = str(link / "accounts.yaml")
    assert run_mailconf("lint", "--baseline", baseline, account_file, cwd=real) == Outcome(0, "", "")
    assert run_mailconf("lint", "--fix", "--unsafe-fixes", "--baseline", baseline, account_file, cwd=real) == Outcome(
        0, "", "mailconf: fixed 0 findings in 0 files\n"
    )
    assert (real / "accounts.yaml").read_text(encoding="utf-8") == legacy
    # written again so, it keeps one entry per finding under the one name, the file's inside the baseline's folder
    assert run_mailconf("lint", "--write-baseline", baseline, account_file, cwd=real) == Outcome(
        0, "", f"mailconf: wrote 3 baseline entries to {baseline}\n"
    )
    assert list(json.loads((real / "baseline.json").read_text(encoding="utf-8"))["files"]) == ["accounts.yaml"]


def test_fix_keeps_a_suppression_the_baseline_accepted_on_a_line_another_fix_edits(tmp_path: Path) -> None:
    """A finding about the text (an unused suppression, MC708) is matched by its line: a fix of a new finding on
    that line (port 993 with starttls: 143) changed the line, the suppression was no longer the baseline's in the
    next pass, and --fix removed the comment, the user's directive and its reason, that the baseline had
    accepted."""
    before = (
        "version: 1\naccounts:\n  work:\n    address: me@example.com\n    incoming:\n      protocol: imap\n"
        "      host: imap.example.com\n      port: 993  # mailconf: disable=MC705 old\n"
        "      password_command: pass show work\n"
    )
    write(tmp_path, before)
    assert lint(tmp_path, "--write-baseline", "baseline.json")[0] == 0
    grown = before.replace("      password_command", "      security: starttls\n      password_command")
    write(tmp_path, grown)
    assert lint(tmp_path, "--fix", "--baseline", "baseline.json")[2] == (
        "mailconf: fixed 1 finding in 1 file; 1 more with --unsafe-fixes\n"
    )
    assert (tmp_path / "accounts.yaml").read_text(encoding="utf-8") == grown.replace("993  #", "143  #")


#: a file with CR line ends (classic Mac OS), which YAML reads as line breaks, and a byte-order mark
CR_ONLY = (
    "\ufeffversion: 1\raccounts:\r  w:\r    address: w@example.com\r"
    "    incoming: {protocol: imap, host: imap.example.com, password_command: pass show w}\r"
)
BOM_MESSAGE = "file starts with a UTF-8 byte-order mark; save it as UTF-8 without a BOM"


def test_a_finding_about_the_text_is_matched_by_its_line_where_lines_end_with_cr(tmp_path: Path) -> None:
    """Lines counted at CR as YAML counts them: the baseline read its lines at LF only, so in a file with CR line
    ends the byte-order mark's entry (MC004, line 1) hashed the whole file; an edit anywhere made it new, and
    ``--fix --baseline`` removed the byte-order mark the baseline had accepted."""
    (tmp_path / "accounts.yaml").write_bytes(CR_ONLY.encode("utf-8"))
    assert lint(tmp_path, "--write-baseline", "baseline.json") == (
        0,
        "",
        "mailconf: wrote 1 baseline entry to baseline.json\n",
    )
    alone = hashlib.sha256(f"{BOM_MESSAGE}\n".encode()).hexdigest()[:16]  # a file has one byte-order mark
    assert json.loads((tmp_path / "baseline.json").read_text(encoding="utf-8"))["files"]["accounts.yaml"] == [
        {"rule": "MC004", "account": "", "path": "", "hash": alone}
    ]
    grown = CR_ONLY.replace("    incoming", "    display_name: W\r    incoming")
    (tmp_path / "accounts.yaml").write_bytes(grown.encode("utf-8"))
    assert lint(tmp_path, "--baseline", "baseline.json") == (0, "", "")
    assert lint(tmp_path, "--fix", "--baseline", "baseline.json") == (0, "", "mailconf: fixed 0 findings in 0 files\n")
    assert (tmp_path / "accounts.yaml").read_bytes() == grown.encode("utf-8")


#: a one-line flow document with a byte-order mark, its SMTP port the one given
FLOW_BOM = (
    "\ufeff{{version: 1, accounts: {{a: {{address: a@example.com, incoming: {{protocol: imap, host: imap.example.com, "
    "port: 993, security: tls, password_command: pass a}}, outgoing: {{host: smtp.example.com, port: {port}, "
    "security: tls, password_command: pass a}}}}}}}}\n"
)


def test_an_accepted_byte_order_mark_stays_accepted_and_kept_when_a_fix_edits_line_1(tmp_path: Path) -> None:
    """The byte-order mark's entry (MC004, at 1:1) hashed line 1 from column 1, the whole line: in a one-line flow
    document any edit made it new (reported, its entry stale), and ``--fix --baseline`` fixed a value on that line,
    then, the BOM no longer accepted, removed it too. A file has one byte-order mark: its entry hashes the message
    alone."""
    write(tmp_path, FLOW_BOM.format(port=465))
    assert lint(tmp_path, "--write-baseline", "baseline.json") == (
        0,
        "",
        "mailconf: wrote 1 baseline entry to baseline.json\n",
    )
    alone = hashlib.sha256(f"{BOM_MESSAGE}\n".encode()).hexdigest()[:16]
    assert json.loads((tmp_path / "baseline.json").read_text(encoding="utf-8"))["files"]["accounts.yaml"] == [
        {"rule": "MC004", "account": "", "path": "", "hash": alone}
    ]
    write(tmp_path, FLOW_BOM.format(port=587))
    assert lint(tmp_path, "--baseline", "baseline.json") == (
        1,
        "accounts.yaml:1:198: error MC202 cleartext-port-with-implicit-tls: port 587 starts in cleartext and expects "
        "STARTTLS, not implicit TLS; set port: 465, or security: starttls\n1 error in 1 file\n",
        "",
    )
    assert lint(tmp_path, "--fix", "--baseline", "baseline.json") == (0, "", "mailconf: fixed 1 finding in 1 file\n")
    assert (tmp_path / "accounts.yaml").read_text(encoding="utf-8") == FLOW_BOM.format(port=465)
    # an entry written before, of the message and line 1, still matches while line 1 is as it was
    line = hashlib.sha256(f"{BOM_MESSAGE}\n{FLOW_BOM.format(port=465).strip()}".encode()).hexdigest()[:16]
    entry = {"rule": "MC004", "account": "", "path": "", "hash": line}
    older = {"version": 1, "generator": "mailconf lint --write-baseline", "files": {"accounts.yaml": [entry]}}
    write(tmp_path, json.dumps(older), "baseline.json")
    assert lint(tmp_path, "--baseline", "baseline.json") == (0, "", "")


def test_fix_keeps_a_byte_order_mark_an_older_entry_accepted_when_it_edits_line_1(tmp_path: Path) -> None:
    """An entry written before the byte-order mark's hashed the message alone hashes line 1: ``--fix --baseline``
    that fixes a value there found the mark no longer accepted in its next pass, and removed it. What a baseline
    accepted of the text when --fix read the file stays accepted in its later passes."""
    write(tmp_path, FLOW_BOM.format(port=587))
    line = hashlib.sha256(f"{BOM_MESSAGE}\n{FLOW_BOM.format(port=587).strip()}".encode()).hexdigest()[:16]
    entry = {"rule": "MC004", "account": "", "path": "", "hash": line}
    older = {"version": 1, "generator": "mailconf lint --write-baseline", "files": {"accounts.yaml": [entry]}}
    write(tmp_path, json.dumps(older), "baseline.json")
    code, _out, err = lint(tmp_path, "--fix", "--baseline", "baseline.json")
    assert (code, err) == (0, "mailconf: fixed 1 finding in 1 file\n")
    assert (tmp_path / "accounts.yaml").read_text(encoding="utf-8") == FLOW_BOM.format(port=465)


def test_an_older_entry_hashed_with_the_lines_read_at_lf_only_still_matches(tmp_path: Path) -> None:
    """A baseline written before lines were read at CR too (its entry of the byte-order mark hashed the whole file,
    the file being one line read at LF only) still hides the finding, while the file is as it was."""
    (tmp_path / "accounts.yaml").write_bytes(CR_ONLY.encode("utf-8"))
    older = hashlib.sha256(f"{BOM_MESSAGE}\n{CR_ONLY.strip()}".encode()).hexdigest()[:16]
    entry = {"rule": "MC004", "account": "", "path": "", "hash": older}
    baseline = {"version": 1, "generator": "mailconf lint --write-baseline", "files": {"accounts.yaml": [entry]}}
    write(tmp_path, json.dumps(baseline), "baseline.json")
    assert lint(tmp_path, "--baseline", "baseline.json") == (0, "", "")


def test_a_suppression_the_baseline_accepted_stays_accepted_once_a_fix_edited_its_line(tmp_path: Path) -> None:
    """A finding about the text is matched by its line from the finding's column on: the whole line was hashed, so
    once --fix had fixed a value before an accepted unused suppression on its line, the suppression was new to the
    baseline (its entry stale), and the next `lint --fix --baseline` (a pre-commit hook's, at the next commit)
    removed the directive and its reason: a second --fix changed the file."""
    before = (
        "version: 1\naccounts:\n  work:\n    address: me@example.com\n    incoming:\n      protocol: imap\n"
        "      host: imap.example.com\n      port: 993  # mailconf: disable=MC705 old\n"
        "      password_command: pass show work\n"
    )
    write(tmp_path, before)
    assert lint(tmp_path, "--write-baseline", "baseline.json")[0] == 0
    grown = before.replace("      password_command", "      security: starttls\n      password_command")
    write(tmp_path, grown)
    fixed = grown.replace("993  #", "143  #")
    for _run in range(2):
        assert lint(tmp_path, "--fix", "--baseline", "baseline.json")[0] == 0
        assert (tmp_path / "accounts.yaml").read_text(encoding="utf-8") == fixed
    assert lint(tmp_path, "--baseline", "baseline.json") == (
        0,
        "accounts.yaml:9:17: warning MC104 prefer-implicit-tls: IMAP to imap.example.com uses STARTTLS; implicit TLS "
        "avoids the cleartext phase and its injection bugs: set security: tls and port: 993\n1 warning in 1 file\n",
        "",
    )


def test_entries_under_another_name_of_the_same_file_are_its_entries(tmp_path: Path) -> None:
    """A baseline's name for a file written by hand (``./accounts.yaml``), or before a file was named from inside the
    baseline's folder (``../../real/repo/accounts.yaml``, through a folder's symbolic link): its entries hid nothing,
    were never reported stale (no file of that name is linted), and --write-baseline kept them for good beside the
    file's own, as a file not linted now. Now they are the file's entries, and --write-baseline writes them once,
    under the file's name."""
    legacy = LEGACY.replace("      password: hunter2\n", "      password_command: pass show old\n")
    write(tmp_path, legacy)
    assert lint(tmp_path, "--write-baseline", "baseline.json")[0] == 0
    today = (tmp_path / "baseline.json").read_text(encoding="utf-8")
    write(tmp_path, today.replace('"accounts.yaml"', '"./accounts.yaml"'), "baseline.json")
    assert lint(tmp_path, "--baseline", "baseline.json") == (0, "", "")
    assert lint(tmp_path, "--write-baseline", "baseline.json") == (
        0,
        "",
        "mailconf: wrote 3 baseline entries to baseline.json\n",
    )
    assert (tmp_path / "baseline.json").read_text(encoding="utf-8") == today


def _lint_through(tmp_path: Path, stream: str, path: Path, *args: str) -> Outcome:
    """``mailconf lint ARGS accounts.yaml`` with standard input (``stream`` "in") or output ("out") a regular file."""
    import subprocess
    import sys

    with path.open("rb" if stream == "in" else "wb") as file:
        done = subprocess.run(
            [sys.executable, "-m", "mailconf", "lint", *args, "accounts.yaml"], cwd=tmp_path, timeout=120, check=False,
            stdin=file if stream == "in" else subprocess.DEVNULL, stdout=file if stream == "out" else subprocess.PIPE,
            stderr=subprocess.PIPE,
        )  # fmt: skip
    out = done.stdout.decode() if done.stdout is not None else ""
    return Outcome(done.returncode, out, done.stderr.decode())


@pytest.mark.parametrize("folder", [".", "base"])
def test_a_baseline_read_through_dev_stdin_names_files_as_the_file_it_is(tmp_path: Path, folder: str) -> None:
    """`--baseline /dev/stdin < baseline.json` named the files relative to /dev (`../work/repo/accounts.yaml`): it hid
    nothing and called every entry stale. /dev/stdin (/dev/fd/N, /proc/self/fd/N) that is a file is that file, its
    names relative to its own folder, as `--baseline baseline.json` reads them."""
    write(tmp_path, LEGACY)
    (tmp_path / folder).mkdir(exist_ok=True)
    key = "accounts.yaml" if folder == "." else "../accounts.yaml"
    write(tmp_path, BASELINE.replace('"accounts.yaml"', json.dumps(key)), f"{folder}/baseline.json")
    assert _lint_through(tmp_path, "in", tmp_path / folder / "baseline.json", "--baseline", "/dev/stdin") == Outcome(
        0, "", ""
    )
    write(tmp_path, LEGACY.replace("timeout: 2", "timeout: 3"))
    assert _lint_through(tmp_path, "in", tmp_path / folder / "baseline.json", "--baseline", "/dev/stdin") == Outcome(
        0,
        "accounts.yaml:13:64: warning MC706 timeout-too-short: a timeout of 3 s fails on slow networks and busy "
        "servers; set timeout: 30\n"
        f"/dev/stdin:9:1: info MC709 stale-baseline-entry: MC706 at pop:incoming.timeout in {key} is no longer found; "
        "remove the entry (or run --write-baseline /dev/stdin again)\n"
        "1 warning, 1 info in 2 files (1 file checked)\n",
        "",
    )


def test_a_baseline_written_through_dev_stdout_names_files_as_the_file_it_is(tmp_path: Path) -> None:
    """`--write-baseline /dev/stdout > baseline.json` wrote `../tmp/.../accounts.yaml`, relative to /dev, into
    baseline.json, which then hid nothing. Now the baseline --write-baseline baseline.json writes."""
    write(tmp_path, LEGACY)
    assert _lint_through(tmp_path, "out", tmp_path / "baseline.json", "--write-baseline", "/dev/stdout") == Outcome(
        0, "", "mailconf: wrote 4 baseline entries to /dev/stdout\n"
    )
    assert (tmp_path / "baseline.json").read_text(encoding="utf-8") == BASELINE


def test_a_baseline_written_through_dev_stdout_that_is_a_pipe_is_refused_as_a_fifo_is(tmp_path: Path) -> None:
    """`--write-baseline /dev/stdout | cat`: /dev/stdout names a pipe, whose resolved name (`/proc/PID/fd/pipe:[N]`)
    is no file; the lock was looked for there eight times, and the run said `removed 8 times while --write-baseline
    waited for its lock`. Now it is what `--write-baseline FIFO` says."""
    import subprocess
    import sys

    write(tmp_path, LEGACY)
    reader = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert reader.stdin is not None
    try:
        done = subprocess.run(
            [sys.executable, "-m", "mailconf", "lint", "--write-baseline", "/dev/stdout", "accounts.yaml"],
            cwd=tmp_path, stdout=reader.stdin, stderr=subprocess.PIPE, text=True, timeout=120, check=False,
        )  # fmt: skip
    finally:
        reader.stdin.close()
        passed = reader.stdout.read() if reader.stdout is not None else b""
        reader.wait(timeout=60)
    assert (done.returncode, done.stderr, passed) == (
        2,
        "mailconf: /dev/stdout: not a regular file (it is a named pipe); name a file for the baseline\n",
        b"",
    )
