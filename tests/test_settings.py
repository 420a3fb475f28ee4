"""mailconf's own settings: where they are found, what wins, and one line (exit 2) when they are wrong."""

from __future__ import annotations

import collections
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mailconf import emit
from mailconf.errors import ConfigError
from mailconf.model import Severity
from mailconf.settings import KEYS, Policy, PolicyFinder, discover, load_policy
from tests.test_cli import INSECURE, Outcome, run_mailconf

MC101 = (
    "accounts.yaml:8:17: {level} MC101 cleartext-credentials: password login to imap.example.com without TLS "
    "sends the credentials in cleartext; set security: tls (port 993)\n"
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """tmp/repo/configs/accounts.yaml (one MC101 finding); tests add settings files around it."""
    configs = tmp_path / "repo" / "configs"
    configs.mkdir(parents=True)
    (configs / "accounts.yaml").write_text(INSECURE, encoding="utf-8")
    return configs


def lint(cwd: Path, *options: str) -> Outcome:
    return run_mailconf("lint", *options, "accounts.yaml", cwd=cwd)


def test_defaults_without_any_settings_file(project: Path) -> None:
    assert discover(project) is None
    assert lint(project) == Outcome(1, MC101.format(level="error") + "1 error in 1 file\n", "")


def test_without_a_home_there_is_no_user_settings_file(project: Path, tmp_path: Path) -> None:
    """HOME unset and no passwd entry (a container's random uid): Path.home() raised, and lint was an internal
    error (exit 3). There is no ~/.config then, as there is no user file when nothing names one."""
    assert lint_homeless(project) == Outcome(1, MC101.format(level="error") + "1 error in 1 file\n", "")
    config = tmp_path / "xdg" / "mailconf"
    config.mkdir(parents=True)
    (config / "config.yaml").write_text("disable: [MC101]\n", encoding="utf-8")
    assert lint_homeless(project, XDG_CONFIG_HOME=str(tmp_path / "xdg")) == Outcome(0, "", "")


#: ``python -c`` running mailconf as a user whose passwd entry names the home folder argv[1]
PASSWD_HOME = """
import os, pwd, sys

home = sys.argv.pop(1)
pwd.getpwuid = lambda uid: pwd.struct_passwd(("user", "x", uid, uid, "", home, "/bin/sh"))
from mailconf.cli import main

sys.exit(main())
"""


def test_an_empty_home_counts_as_unset(project: Path, tmp_path: Path) -> None:
    """HOME="" was the folder `/` (Path.home()): the user file read was /.config/mailconf/config.yaml, which no
    user owns. As Rust's home_dir (ruff's) has it, an empty HOME is no HOME: the passwd entry's home is used."""
    home = tmp_path / "home"
    (home / ".config" / "mailconf").mkdir(parents=True)
    (home / ".config" / "mailconf" / "config.yaml").write_text("severity: {MC101: info}\n", encoding="utf-8")
    environ = {k: v for k, v in os.environ.items() if k not in ("XDG_CONFIG_HOME", "NO_COLOR", "GITHUB_ACTIONS")}
    done = subprocess.run(
        [sys.executable, "-c", PASSWD_HOME, str(home), "lint", "accounts.yaml"],
        cwd=project,
        env={**environ, "HOME": ""},
        capture_output=True,
        text=True,
        timeout=120,  # a hang guard, not a timing assertion
        check=False,
    )
    assert Outcome(done.returncode, done.stdout, done.stderr) == Outcome(
        0, MC101.format(level="info") + "1 info in 1 file\n", ""
    )
    # without a passwd entry either: no user file (the defaults), as with HOME unset
    assert lint_homeless(project, HOME="") == Outcome(1, MC101.format(level="error") + "1 error in 1 file\n", "")


def lint_homeless(cwd: Path, **env: str) -> Outcome:
    return run_mailconf("lint", "accounts.yaml", cwd=cwd, env=env, homeless=True)


def test_pyproject_table_found_upward(project: Path) -> None:
    (project.parent / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.mailconf]\nseverity = {cleartext-credentials = "warning"}\n',
        encoding="utf-8",
    )
    assert discover(project) == project.parent / "pyproject.toml"
    assert lint(project) == Outcome(0, MC101.format(level="warning") + "1 warning in 1 file\n", "")


def test_fail_level_from_settings(project: Path) -> None:
    (project.parent / ".mailconf.yaml").write_text(
        "fail-level: warning\nseverity:\n  MC101: warning\n", encoding="utf-8"
    )
    assert lint(project) == Outcome(1, MC101.format(level="warning") + "1 warning in 1 file\n", "")


@pytest.mark.parametrize("text", ['[project]\nname = "x"\n', "tool = 5\n"])
def test_pyproject_without_the_table_is_passed_over(project: Path, text: str) -> None:
    (project / "pyproject.toml").write_text(text, encoding="utf-8")
    (project.parent / ".mailconf.yaml").write_text("disable: [MC101]\n", encoding="utf-8")
    assert discover(project) == project.parent / ".mailconf.yaml"
    assert lint(project) == Outcome(0, "", "")


def test_mailconf_yaml_wins_over_pyproject_in_the_same_directory(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.mailconf]\ndisable = ["MC101"]\n', encoding="utf-8")
    (project / ".mailconf.yaml").write_text("severity: {MC101: info}\n", encoding="utf-8")
    assert discover(project) == project / ".mailconf.yaml"
    assert lint(project) == Outcome(0, MC101.format(level="info") + "1 info in 1 file\n", "")


def test_the_nearest_directory_wins(project: Path) -> None:
    (project.parent / ".mailconf.yaml").write_text("disable: [MC101]\n", encoding="utf-8")
    (project / ".mailconf.yaml").write_text("severity: {MC101: warning}\n", encoding="utf-8")
    assert lint(project) == Outcome(0, MC101.format(level="warning") + "1 warning in 1 file\n", "")


def test_config_option_wins_over_the_discovered_file(project: Path) -> None:
    (project / ".mailconf.yaml").write_text("disable: [MC101]\n", encoding="utf-8")
    (project / "strict.toml").write_text('[tool.mailconf]\nfail-level = "info"\n', encoding="utf-8")
    (project / "lenient.yaml").write_text("severity: {MC101: info}\n", encoding="utf-8")
    assert lint(project, "--config", "strict.toml") == Outcome(
        1, MC101.format(level="error") + "1 error in 1 file\n", ""
    )
    assert lint(project, "--config", "lenient.yaml") == Outcome(
        0, MC101.format(level="info") + "1 info in 1 file\n", ""
    )


def test_command_line_wins_over_the_file(project: Path) -> None:
    (project / ".mailconf.yaml").write_text("fail-level: info\nseverity: {MC101: warning}\n", encoding="utf-8")
    assert lint(project, "--fail-level", "error") == Outcome(
        0, MC101.format(level="warning") + "1 warning in 1 file\n", ""
    )
    assert lint(project, "--severity", "cleartext-credentials=error") == Outcome(
        1, MC101.format(level="error") + "1 error in 1 file\n", ""
    )
    assert lint(project, "--disable", "cleartext-credentials") == Outcome(0, "", "")
    assert lint(project, "--disable", "mc101") == Outcome(0, "", "")


@pytest.mark.parametrize("name", ["MC101", "cleartext-credentials"])
def test_command_line_severity_turns_on_a_rule_the_file_disables(project: Path, name: str) -> None:
    """As ruff's --extend-select over its settings' ignore: the command line wins over the file."""
    (project / ".mailconf.yaml").write_text(f"disable: [{name}]\n", encoding="utf-8")
    assert lint(project) == Outcome(0, "", "")
    assert lint(project, "--severity", "MC101=warning") == Outcome(
        0, MC101.format(level="warning") + "1 warning in 1 file\n", ""
    )
    assert lint(project, "--severity", "cleartext-credentials=error") == Outcome(
        1, MC101.format(level="error") + "1 error in 1 file\n", ""
    )


def test_command_line_disable_turns_off_a_rule_the_file_gives_a_severity(project: Path) -> None:
    (project / ".mailconf.yaml").write_text("severity: {MC101: info}\n", encoding="utf-8")
    assert lint(project) == Outcome(0, MC101.format(level="info") + "1 info in 1 file\n", "")
    assert lint(project, "--disable", "MC101") == Outcome(0, "", "")


def test_on_the_command_line_disable_wins_over_severity(project: Path) -> None:
    (project / ".mailconf.yaml").write_text("disable: [MC101]\n", encoding="utf-8")
    assert lint(project, "--severity", "MC101=error", "--disable", "MC101") == Outcome(0, "", "")
    assert lint(project, "--disable", "MC101", "--severity", "MC101=error") == Outcome(0, "", "")


def test_in_one_file_disable_wins_over_severity(project: Path) -> None:
    (project / ".mailconf.yaml").write_text("disable: [MC101]\nseverity: {MC101: error}\n", encoding="utf-8")
    assert lint(project) == Outcome(0, "", "")


@pytest.mark.parametrize("text", [b"# nothing yet\n", b"\xef\xbb\xbf# nothing yet\r\n"], ids=["LF", "BOM and CRLF"])
def test_empty_settings_file_means_defaults(project: Path, text: bytes) -> None:
    """A byte-order mark or CRLF line ends change nothing in settings: in an empty file neither (it was refused,
    `file starts with a UTF-8 byte-order mark`, though the same file with a setting in it was read)."""
    (project / ".mailconf.yaml").write_bytes(text)
    assert load_policy(str(project / ".mailconf.yaml")) == Policy(source=str(project / ".mailconf.yaml"))


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("fail-level: " + "9" * 101, ":1:13: `fail-level` is a number of 101 digits"),
        ("disable: [" + "9" * 101 + "]", ":1:11: this value is a number of 101 digits"),
    ],
    ids=["fail-level", "disable"],
)
def test_a_number_too_large_in_settings_is_refused_at_its_place(project: Path, text: str, error: str) -> None:
    """The loader's MC002 left no data, which was taken for an empty file: the whole file was passed over for the
    defaults without a word (here disable: [MC101] was not applied either, and lint exited 1)."""
    (project / ".mailconf.yaml").write_text(f"{text}\ndisable: [MC101]\n", encoding="utf-8")
    tail = ", far too large for any setting (mailconf reads numbers of at most 100 digits); write the intended value"
    assert lint(project) == Outcome(2, "", f"mailconf: {project / '.mailconf.yaml'}{error}{tail}\n")


def test_policy_values(project: Path) -> None:
    path = project / ".mailconf.yaml"
    path.write_text("fail-level: warning\ndisable: [prefer-implicit-tls]\nseverity: {MC101: info}\n", encoding="utf-8")
    assert load_policy(str(path)) == Policy(
        fail_level=Severity.WARNING,
        disabled=frozenset({"MC104"}),
        severity={"MC101": Severity.INFO},
        source=str(path),
    )


# (settings file name, its text, the error after "mailconf: <path>")
BAD_FILES = [
    (".mailconf.yaml", "fail-level: loud\n", ":1:13: fail-level: unknown severity loud: use info, warning or error"),
    # a value that is not text in YAML's and TOML's words: it was str() of it, unknown severity 'True', "['x']"
    (".mailconf.yaml", "fail-level: true\n", ":1:13: fail-level: give info, warning or error, not true"),
    (".mailconf.yaml", "fail-level: [error]\n", ":1:13: fail-level: give info, warning or error, not a list"),
    (".mailconf.yaml", "fail-level: 2\n", ":1:13: fail-level: give info, warning or error, not the number 2"),
    (
        ".mailconf.yaml",
        "severity: {MC101: null}\n",
        ":1:19: severity MC101: give info, warning or error, not an empty value",
    ),
    (
        "pyproject.toml",
        "[tool.mailconf]\nfail-level = 1979-05-27\n",
        ":2:14: fail-level: give info, warning or error, not a date or time",
    ),
    # a key without a value: the default (fail-level) or no baseline without a word, as if it were not written
    (".mailconf.yaml", "fail-level:\n", ":1:12: fail-level: give info, warning or error, not an empty value"),
    (".mailconf.yaml", "baseline:\n", ":1:10: `baseline` must be the path of a baseline file"),
    (".mailconf.yaml", "disable: MC101\n", ":1:10: `disable` must be a list of rule ids or slugs"),
    # an item that is not text was placed at the list's first line, with no word of which item or what it is
    (".mailconf.yaml", "disable:\n  - MC101\n  - 104\n", ":3:5: disable: give a rule id or slug, not the number 104"),
    (".mailconf.yaml", "disable:\n  - MC101\n  -\n", ":3:4: disable: give a rule id or slug, not an empty value"),
    (".mailconf.yaml", 'disable: [MC101, ""]\n', ":1:18: disable: give a rule id or slug, not a blank one"),
    (
        ".mailconf.yaml",
        "exclude:\n  - old/\n  - [a, b]\n",
        ':3:5: exclude: give a .gitignore-style pattern, like "*.yaml", not a list',
    ),
    (
        ".mailconf.yaml",
        'include: ["*.yaml", " "]\n',
        ':1:21: include: give a .gitignore-style pattern, like "*.yaml", not a blank one',
    ),
    (
        ".mailconf.yaml",
        "disable: [MC101, MC999]\n",
        ":1:18: disable: unknown rule MC999; `mailconf rules [--probe]` lists them",
    ),
    (
        ".mailconf.yaml",
        "severity: {nope: info}\n",
        ":1:12: severity: unknown rule nope; `mailconf rules [--probe]` lists them",
    ),
    (
        ".mailconf.yaml",
        "severity: {MC101: loud}\n",
        ":1:19: severity MC101: unknown severity loud: use info, warning or error",
    ),
    (".mailconf.yaml", "severity: [MC101]\n", ":1:11: `severity` must map rule ids or slugs to info, warning or error"),
    (  # os.open() raised ValueError when a file was linted: an internal error
        ".mailconf.yaml",
        'baseline: "known\\0.json"\n',
        ":1:11: `baseline` holds a NUL character, which no path can hold",
    ),
    (
        "pyproject.toml",
        '[tool.mailconf]\nbaseline = "a\\u0000"\n',
        ":2:12: `baseline` holds a NUL character, which no path can hold",
    ),
    (
        ".mailconf.yaml",
        "disable: [MC101]\nfail-level: warning\ndisable: [MC104]\n",
        ':3:1: duplicate key "disable" (first defined at line 1); YAML keeps only one: remove or rename one',
    ),
    (
        ".mailconf.yaml",
        "severity:\n  MC101: info\n  MC101: error\n",
        ':3:3: duplicate key "MC101" (first defined at line 2); YAML keeps only one: remove or rename one',
    ),
    (  # the same rule by its id and its slug: one of the two levels was dropped without a word
        ".mailconf.yaml",
        "severity:\n  MC101: info\n  cleartext-credentials: error\n",
        ":3:3: severity: cleartext-credentials names MC101 again (as MC101 above); give each rule one severity",
    ),
    (
        "pyproject.toml",
        '[tool.mailconf]\nseverity = {cleartext-credentials = "info", mc101 = "error"}\n',
        ":2:45: severity: mc101 names MC101 again (as cleartext-credentials above); give each rule one severity",
    ),
    (  # never matched anything (the paths matched are below the folder): files were silently left out
        ".mailconf.yaml",
        'include: ["*.yaml", "../shared/*.yaml"]\n',
        ":1:21: include: `../shared/*.yaml` matches nothing: patterns are matched against the paths below the "
        "settings file's folder, which hold no `..`; write it without `..`",
    ),
    (
        "pyproject.toml",
        '[tool.mailconf]\nexclude = ["!ci/../old.yaml"]\n',
        ":2:11: exclude: `!ci/../old.yaml` matches nothing: patterns are matched against the paths below the "
        "settings file's folder, which hold no `..`; write it without `..`",
    ),
    (
        ".mailconf.yaml",
        "fail-level: error\ncolour: always\n",
        ":2:1: unknown setting colour; allowed: fail-level, disable, severity, include, exclude, baseline",
    ),
    (
        ".mailconf.yaml",
        "colour: always\nfail-level: error\nverbose: true\n",
        ":1:1: unknown settings colour, verbose; allowed: fail-level, disable, severity, include, exclude, baseline",
    ),
    (  # in the file's order, located at the first: by name it was "colour, verbose" at 3:1
        ".mailconf.yaml",
        "verbose: true\nfail-level: error\ncolour: always\n",
        ":1:1: unknown settings verbose, colour; allowed: fail-level, disable, severity, include, exclude, baseline",
    ),
    (
        ".mailconf.yaml",
        "disable: [\n",
        ":2:1: YAML syntax error: did not find expected node content (while parsing a flow node)",
    ),
    (
        ".mailconf.yaml",
        "- MC101\n",
        ":1:1: settings must be a mapping (fail-level, disable, severity, include, exclude, baseline)",
    ),
    (
        "pyproject.toml",
        "[tool.mailconf\n",
        ":1:15: invalid TOML (Expected ']' at the end of a table declaration); fix the file",
    ),
    (
        "pyproject.toml",
        '[tool.mailconf]\nfail-level = "warning',  # "at end of document": after its last character
        ":2:22: invalid TOML (Unterminated string); fix the file",
    ),
    (
        "pyproject.toml",
        '[tool.mailconf]\nfail-level = "warning"\nfail-level = "error"\n',
        ":3:21: invalid TOML (Cannot overwrite a value); fix the file",
    ),
    (
        "pyproject.toml",
        "a = " + "[" * 5000 + "]" * 5000 + "\n",  # tomllib has no depth limit of its own
        ": invalid TOML (nested too deeply); fix the file",
    ),
    (
        "pyproject.toml",
        "a = " + "9" * 5000 + "\n",  # int() refuses it in tomllib: an internal error (ValueError), in any pyproject
        ": invalid TOML (an integer of more than 4300 digits); fix the file",
    ),
    (  # it was passed over as "no [tool.mailconf] table": the walk went on up and other settings applied
        "pyproject.toml",
        '[tool]\nmailconf = "fail-level = warning"\n',
        ": `tool.mailconf` must be a table of settings ([tool.mailconf]); fix the file",
    ),
    (
        "pyproject.toml",
        '[tool.mailconf]\nfail-level = "loud"\n',
        ":2:14: fail-level: unknown severity loud: use info, warning or error",
    ),
    # a pyproject.toml's settings by their place too (tomllib gives none: it named the file alone)
    ("pyproject.toml", '[tool.mailconf]\ndisable = "MC101"\n', ":2:11: `disable` must be a list of rule ids or slugs"),
    (
        "pyproject.toml",
        '[project]\nname = "x"\n\n[tool.mailconf]\nfail-level = "info"\nseverity = 3\n',
        ":6:12: `severity` must map rule ids or slugs to info, warning or error",
    ),
    (
        "pyproject.toml",
        "[tool.mailconf]\ninclude = 1\n",
        ':2:11: `include` must be a list of .gitignore-style patterns, like "*.yaml"',
    ),
    (
        "pyproject.toml",
        '[tool.mailconf]\nfail-level = "info"\ncolour = "always"\n',
        ":3:1: unknown setting colour; allowed: fail-level, disable, severity, include, exclude, baseline",
    ),
    (  # a subtable, dotted and quoted keys: the key's own place
        "pyproject.toml",
        '[tool.mailconf.severity]\n"MC101" = "loud"\n',
        ":2:11: severity MC101: unknown severity loud: use info, warning or error",
    ),
    (
        "pyproject.toml",
        '[tool]\nmailconf.disable = ["MC101", "MC999"]\n',
        ":2:20: disable: unknown rule MC999; `mailconf rules [--probe]` lists them",
    ),
    (
        "pyproject.toml",
        "[tool.mailconf]\nseverity = { 'MC101' = 'info', nope = 'info' }\n",
        ":2:32: severity: unknown rule nope; `mailconf rules [--probe]` lists them",
    ),
    (  # a key-like line inside a multi-line string is text, not a key
        "pyproject.toml",
        '[project]\ndescription = """\n[tool.mailconf]\ndisable = 1\n"""\n[tool.mailconf]\ndisable = 1\n',
        ":7:11: `disable` must be a list of rule ids or slugs",
    ),
    (  # written inside another inline table: no place of its own, the nearest one that is found
        "pyproject.toml",
        "tool = { mailconf = { disable = 1 } }\n",
        ": `disable` must be a list of rule ids or slugs",
    ),
]


def test_an_empty_include_says_so_when_a_folder_yields_nothing(project: Path) -> None:
    """The patterns were joined into `(include: )`."""
    (project / ".mailconf.yaml").write_text("include: []\n", encoding="utf-8")
    assert run_mailconf("lint", ".", cwd=project) == Outcome(
        2,
        "",
        "mailconf: .: no account files here (include: [], which selects none); name a file, or set include "
        "in the settings\n",
    )
    assert lint(project).code == 1  # a file named is read whatever include says


def test_include_named_when_a_folder_yields_nothing_is_cut(project: Path) -> None:
    """The patterns were joined whole: a pattern of 15,000 characters (`**/` 5,000 times) made a line of 15 kB, and
    20,000 patterns one of 200 kB. As for unknown settings, the first few, each cut as a value typed is, then how many
    more."""
    patterns = ["*.conf", "**/" * 5000 + "x", *(f"p{i}" for i in range(20))]
    (project / ".mailconf.yaml").write_text(f"include: {patterns}\n", encoding="utf-8")
    assert run_mailconf("lint", ".", cwd=project) == Outcome(
        2,
        "",
        f"mailconf: .: no account files here (include: *.conf, {'**/' * 80}... (15001 characters), p0, p1, p2, p3, "
        "p4, p5, p6, p7 and 12 more); name a file, or set include in the settings\n",
    )


@pytest.mark.parametrize("kind", ["dangling", "loop", "fifo", "folder"])
def test_a_mailconf_yaml_found_that_cannot_be_read_is_refused(project: Path, kind: str) -> None:
    """It was passed over as if absent, and the settings further up (or the defaults) applied without a word: a
    link to a shared settings file missing in CI linted with the wrong fail level."""
    import os

    (project.parent / ".mailconf.yaml").write_text("disable: [MC101]\n", encoding="utf-8")
    settings = project / ".mailconf.yaml"
    if kind == "dangling":
        settings.symlink_to("../shared/mailconf.yaml")
    elif kind == "loop":
        settings.symlink_to(".mailconf.yaml")
    elif kind == "fifo":
        os.mkfifo(settings)
    else:
        settings.mkdir()
    why = {
        "dangling": "a link to a missing file",
        "loop": "cannot be read (Too many levels of symbolic links)",
        "fifo": "not a regular file",
        "folder": "not a regular file",
    }[kind]
    assert lint(project) == Outcome(2, "", f"mailconf: {settings}: {why}; fix or remove it\n")


def test_a_pyproject_that_is_not_utf8_is_refused_at_the_byte(project: Path) -> None:
    """As a .mailconf.yaml is: it said `is not UTF-8`, with no place."""
    (project / "pyproject.toml").write_bytes(b'[tool.mailconf]\n# caf\xe9\nfail-level = "info"\n')
    assert lint(project) == Outcome(
        2, "", f"mailconf: {project / 'pyproject.toml'}:2:6: file is not valid UTF-8 (byte 0xE9); save it as UTF-8\n"
    )


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("[project]\nname = 'x'\n[" + ".".join(["a"] * 20_000) + "]\n", ":3:2"),  # no [tool.mailconf]: any pyproject
        ("[tool.mailconf]\nx." + ".".join(['"a.b"'] * 20_000) + " = 1\n", ":2:1"),  # quoted parts, dots in them
        ("x = { a = 1, " + " . ".join(["b"] * 20_000) + " = 2 }\n", ":1:14"),  # in an inline table
    ],
    ids=["table", "quoted", "inline"],
)
def test_a_toml_key_of_thousands_of_dotted_parts_is_refused_at_once(
    project: Path, text: str, error: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """tomllib takes time quadratic in a key's parts: a pyproject.toml of 100 kB on the way up (a cloned
    repository's, with a [tool.mailconf] table or not) held lint for minutes; this one (40 kB) for seconds. It is
    refused before tomllib reads it (no time is measured: tomllib is not called)."""
    import tomllib

    from mailconf import settings

    (project / "pyproject.toml").write_text(text, encoding="utf-8")
    message = (
        f"{project / 'pyproject.toml'}{error}: invalid TOML (a key of more than 64 dotted parts, nested deeper than 64 "
        "levels); fix the file"
    )
    assert lint(project) == Outcome(2, "", f"mailconf: {message}\n")

    def parsed(text: str) -> None:
        raise AssertionError("tomllib read the file: the refusal must come first")

    monkeypatch.setattr(tomllib, "loads", parsed)
    with pytest.raises(ConfigError) as refused:
        settings._read_pyproject(project / "pyproject.toml", found=True)
    assert str(refused.value) == message


def test_dots_in_strings_comments_and_numbers_are_no_key(project: Path) -> None:
    """The scan for long keys passes over text that is no key: strings (one-line, multi-line, unterminated),
    comments, floats and dates; a key of 64 parts is read."""
    dots = ".".join(["a"] * 200)
    (project / "pyproject.toml").write_text(
        f'[project]\ndescription = """\n{dots} = 1\n"""\nurl = \'{dots}\'\n# {dots}\n'
        f"[tool.x]\n{'.'.join(['k'] * 64)} = 1.5\nwhen = 1979-05-27T07:32:00Z\n"
        '[tool.mailconf]\nfail-level = "info"\n',
        encoding="utf-8",
    )
    assert lint(project).code == 1
    (project / "pyproject.toml").write_text(f'[tool.mailconf]\nx = "{dots}\n', encoding="utf-8")
    assert lint(project) == Outcome(
        2, "", f"mailconf: {project / 'pyproject.toml'}:2:405: invalid TOML (Illegal character '\\n'); fix the file\n"
    )


def test_unknown_settings_are_named_ten_at_most(project: Path) -> None:
    """A [tool.mailconf] table of 20,000 other keys made a line of 150 kB."""
    keys = "\n".join(f"k{i:05} = 1" for i in range(20_000))
    (project / "pyproject.toml").write_text(f"[tool.mailconf]\n{keys}\n", encoding="utf-8")
    listed = ", ".join(f"k{i:05}" for i in range(10))
    assert lint(project) == Outcome(
        2,
        "",
        f"mailconf: {project / 'pyproject.toml'}:2:1: unknown settings {listed} and 19,990 more; allowed: "
        "fail-level, disable, severity, include, exclude, baseline\n",
    )


@pytest.mark.parametrize(("name", "text", "error"), BAD_FILES, ids=[f"{n}:{t.strip()[:40]}" for n, t, _ in BAD_FILES])
def test_bad_settings_file_exits_2_with_one_line(project: Path, name: str, text: str, error: str) -> None:
    (project / name).write_text(text, encoding="utf-8")
    assert lint(project) == Outcome(2, "", f"mailconf: {project / name}{error}\n")


@pytest.mark.parametrize(
    ("options", "error"),
    [
        (("--config", "nope.yaml"), "mailconf: nope.yaml: no such configuration file; check --config\n"),
        (  # Path.is_file() raised ENAMETOOLONG: exit 3
            ("--config", "x" * 300 + "/c.yaml"),
            f"mailconf: {'x' * 300}/c.yaml: cannot be read (File name too long); check --config\n",
        ),
        (
            ("--config", "/dev/null"),
            "mailconf: /dev/null: not a regular file; --config names a .mailconf.yaml or a pyproject.toml\n",
        ),
        (  # it said "no such configuration file" of a link that is there
            ("--config", "loop.yaml"),
            "mailconf: loop.yaml: cannot be read (Too many levels of symbolic links); check --config\n",
        ),
        (
            ("--config", "accounts.yaml/c.yaml"),
            "mailconf: accounts.yaml/c.yaml: no such configuration file; check --config\n",
        ),
        (("--severity", "MC101"), "mailconf: --severity MC101: write RULE=LEVEL, like MC104=error\n"),
        (("--severity", ""), "mailconf: --severity '': write RULE=LEVEL, like MC104=error\n"),  # was `--severity :`
        (  # the last one won without a word (the same level twice is no conflict)
            ("--severity", "MC101=info", "--severity", "MC101=info", "--severity", "cleartext-credentials=error"),
            "mailconf: --severity cleartext-credentials=error: MC101 is given info already (--severity MC101=info); "
            "give each rule one severity\n",
        ),
        (("--severity", "MC101=loud"), "mailconf: --severity: unknown severity loud: use info, warning or error\n"),
        (
            ("--severity", "MC999=info"),
            "mailconf: --severity: unknown rule MC999; `mailconf rules [--probe]` lists them\n",
        ),
        (
            ("--disable", "nope"),
            "mailconf: --disable: unknown rule nope; `mailconf rules [--probe]` lists them\n",
        ),
        (  # a slug with a typo is offered the rule it is close to; an id never is (MC10 is not MC101's typo)
            ("--disable", "prefer-implicit"),
            "mailconf: --disable: unknown rule prefer-implicit (did you mean prefer-implicit-tls?); "
            "`mailconf rules [--probe]` lists them\n",
        ),
        (("--disable", "MC10"), "mailconf: --disable: unknown rule MC10; `mailconf rules [--probe]` lists them\n"),
    ],
)
def test_bad_options_exit_2_with_one_line(project: Path, options: tuple[str, ...], error: str) -> None:
    (project / "loop.yaml").symlink_to("loop.yaml")
    assert lint(project, *options) == Outcome(2, "", error)


def test_a_stdin_filename_too_long_for_the_system_is_a_name(project: Path) -> None:
    """--stdin-filename names no real file: a folder name over 255 bytes made the settings search raise
    ENAMETOOLONG (exit 3); the search passes over what cannot exist."""
    name = "x" * 300 + "/accounts.yaml"
    outcome = run_mailconf("lint", "-", "--stdin-filename", name, cwd=project, stdin=INSECURE)
    assert outcome == Outcome(
        1, MC101.format(level="error").replace("accounts.yaml", name, 1) + "1 error in 1 file\n", ""
    )


def test_a_path_through_a_loop_of_links_is_the_files_error_not_an_internal_one(project: Path) -> None:
    """Finding the settings resolved the file's folder with Path.resolve(), which raises RuntimeError on a loop of
    links: `lint LOOP/a.yaml` and `--stdin-filename LOOP/a.yaml` were internal errors (exit 3)."""
    (project / "la").symlink_to("lb")
    (project / "lb").symlink_to("la")
    assert run_mailconf("lint", "la/a.yaml", "accounts.yaml", cwd=project) == Outcome(
        2,
        MC101.format(level="error") + "1 error in 1 file\n",
        "mailconf: la/a.yaml: cannot be read (Too many levels of symbolic links)\n",
    )
    outcome = run_mailconf("lint", "-", "--stdin-filename", "la/a.yaml", cwd=project, stdin=INSECURE)
    assert outcome == Outcome(
        1, MC101.format(level="error").replace("accounts.yaml", "la/a.yaml", 1) + "1 error in 1 file\n", ""
    )


def test_pyproject_named_by_config_needs_the_table(project: Path) -> None:
    (project / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    assert lint(project, "--config", "pyproject.toml") == Outcome(
        2, "", "mailconf: pyproject.toml: has no [tool.mailconf] table; add one or name another file\n"
    )


def test_bad_fail_level_option_is_a_usage_error(project: Path) -> None:
    outcome = lint(project, "--fail-level", "loud")
    assert (outcome.code, outcome.stdout) == (2, "")
    assert outcome.stderr.splitlines()[-1] == (
        "Error: Invalid value for '--fail-level': loud is not one of 'info', 'warning', 'error'."
    )


def test_load_policy_raises_config_error(project: Path) -> None:
    (project / ".mailconf.yaml").write_text("fail-level: 3\n", encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_policy(str(project / ".mailconf.yaml"))
    assert str(raised.value) == (
        f"{project / '.mailconf.yaml'}:1:13: fail-level: give info, warning or error, not the number 3"
    )


def test_a_deep_tree_looks_at_each_folder_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nested folders walked top-down, as lint walks a directory: each folder's settings are looked for once,
    not again for every folder below it (quadratic in the depth: 1,100 levels took about 50 s), and only the
    top is resolved from the root. The nearest settings file still wins: level 150's below it, the top's
    above. 300 levels stand for 1,100 (deeper, pytest's clean-up of old temporary folders overflows the
    stack), and what is counted is looks, not seconds."""
    top = tmp_path / "repo"
    folders = [top]
    for _ in range(300):
        folders.append(folders[-1] / "d")
    for folder in folders:
        folder.mkdir()
    (top / ".mailconf.yaml").write_text("disable: [MC101]\n", encoding="utf-8")
    (folders[150] / ".mailconf.yaml").write_text("severity: {MC101: warning}\n", encoding="utf-8")
    looked_in: collections.Counter[Path] = collections.Counter()
    resolved: list[Path] = []
    is_file, resolve = Path.is_file, Path.resolve

    def counting_is_file(self: Path) -> bool:
        if self.name == ".mailconf.yaml":
            looked_in[self.parent] += 1
        return is_file(self)

    def counting_resolve(self: Path, strict: bool = False) -> Path:
        resolved.append(self)
        return resolve(self, strict)

    monkeypatch.setattr(Path, "is_file", counting_is_file)
    monkeypatch.setattr(Path, "resolve", counting_resolve)
    finder = PolicyFinder()
    policies = [finder.for_directory(folder) for folder in folders]
    monkeypatch.undo()
    assert looked_in == collections.Counter(folders)  # load_policy stat()s the files it reads: not a look
    assert resolved == [top]
    assert {p.source for p in policies[:150]} == {str(top / ".mailconf.yaml")}
    assert {p.source for p in policies[150:]} == {str(folders[150] / ".mailconf.yaml")}
    assert (policies[0].disabled, policies[-1].severity) == (frozenset({"MC101"}), {"MC101": Severity.WARNING})


def test_a_pyproject_found_is_read_and_parsed_once(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Files in three folders below one pyproject.toml with a [tool.mailconf] table, and one without a table on the
    way up: each is read once and parsed once in the run. The one found was parsed twice, once to see that it has
    the table and once to load it. Counting the calls of the reading function and of tomllib.loads is the only
    stand-in here (the policies made are real, and checked)."""
    import tomllib

    from mailconf import settings

    repo = project.parent
    (repo / "pyproject.toml").write_text('[project]\nname = "x"\n[tool.mailconf]\ndisable = ["MC101"]\n', "utf-8")
    (project / "pyproject.toml").write_text('[project]\nname = "configs"\n', encoding="utf-8")
    for folder in ("a", "b"):
        (project / folder).mkdir()
    reads: collections.Counter[Path] = collections.Counter()
    parsed: collections.Counter[str] = collections.Counter()
    read_settings, loads = settings._read_settings, tomllib.loads

    def counting_read(path: Path, *, found: bool) -> bytes:
        reads[path] += 1
        return read_settings(path, found=found)

    def counting_loads(text: str, **options: Any) -> dict[str, Any]:
        parsed[text] += 1
        return loads(text, **options)

    monkeypatch.setattr(settings, "_read_settings", counting_read)
    monkeypatch.setattr(tomllib, "loads", counting_loads)
    finder = PolicyFinder()
    policies = [finder.for_file(str(project / name)) for name in ("a/x.yaml", "b/y.yaml", "z.yaml", "a/w.yaml")]
    monkeypatch.undo()
    assert reads == {repo / "pyproject.toml": 1, project / "pyproject.toml": 1}
    assert parsed == {
        (repo / "pyproject.toml").read_text("utf-8"): 1,
        (project / "pyproject.toml").read_text("utf-8"): 1,
    }
    assert [(p.source, p.disabled) for p in policies] == [(str(repo / "pyproject.toml"), frozenset({"MC101"}))] * 4


LARGE = 64 * 1024 * 1024 + 1  # document.MAX_FILE_BYTES + 1


@pytest.mark.parametrize("kind", ["large", "fifo", "device"])
@pytest.mark.parametrize("name", ["pyproject.toml", ".mailconf.yaml", "user"])
def test_a_settings_file_too_large_or_not_regular_is_refused_unread(
    project: Path, tmp_path: Path, name: str, kind: str
) -> None:
    """As an account file or a baseline is, through one reading function for the three kinds of settings file: over
    64 MiB (sparse: refused by its size, before a byte is read), a FIFO (never waited on), a device. A pyproject.toml
    was read whole whatever its size, and one that was a FIFO or a device was passed over, as the user's own file
    was; a .mailconf.yaml over 64 MiB was read whole."""
    user = tmp_path / "xdg" / "mailconf" / "config.yaml"
    settings = user if name == "user" else project / name
    settings.parent.mkdir(parents=True, exist_ok=True)
    if kind == "large":
        with settings.open("wb") as sparse:
            sparse.truncate(LARGE)
    elif kind == "fifo":
        os.mkfifo(settings)
    else:
        settings.symlink_to("/dev/zero")
    why = "larger than 64 MiB, too large for a settings file" if kind == "large" else "not a regular file"
    outcome = run_mailconf("lint", "accounts.yaml", cwd=project, env={"XDG_CONFIG_HOME": str(tmp_path / "xdg")})
    assert outcome == Outcome(2, "", f"mailconf: {settings}: {why}; fix or remove it\n")


def test_a_settings_file_too_large_named_by_config_is_refused_unread(project: Path) -> None:
    for name in ("big.toml", "big.yaml"):
        with (project / name).open("wb") as sparse:
            sparse.truncate(LARGE)
        assert lint(project, "--config", name) == Outcome(
            2, "", f"mailconf: {name}: larger than 64 MiB, too large for a settings file; check --config\n"
        )


@pytest.mark.parametrize(
    ("name", "text", "error"),
    [
        (
            ".mailconf.yaml",
            'disable: ["MC101\\n"]\n',
            ":1:11: disable: 'MC101\\n' has white space around the rule name",
        ),
        (
            ".mailconf.yaml",
            "disable:\n  - |\n    MC101\n",
            ":2:5: disable: 'MC101\\n' has white space around the rule name",
        ),
        (
            ".mailconf.yaml",
            'severity: {" cleartext-credentials": info}\n',
            ":1:12: severity: ' cleartext-credentials' has white space around the rule name",
        ),
        (
            "pyproject.toml",
            '[tool.mailconf]\ndisable = ["MC101 "]\n',
            ":2:11: disable: 'MC101 ' has white space around the rule name",
        ),
        (
            "pyproject.toml",
            '[tool.mailconf]\nseverity = {"MC101\\t" = "info"}\n',
            ":2:12: severity: 'MC101\\t' has white space around the rule name",
        ),
    ],
)
def test_a_rule_with_white_space_around_it_is_refused(project: Path, name: str, text: str, error: str) -> None:
    """A rule's name is looked up stripped (for suppression comments): "MC101\\n" (a block scalar, a quoted value
    written over two lines) was MC101 without a word. A settings file is written by hand, and white space there is
    a slip of YAML or TOML: it is refused at its place, as --disable and --severity refuse it."""
    (project / name).write_text(text, encoding="utf-8")
    stripped = "cleartext-credentials" if "credentials" in text else "MC101"
    assert lint(project) == Outcome(2, "", f"mailconf: {project / name}{error}; write {stripped}\n")


@pytest.mark.parametrize(
    ("options", "error"),
    [
        (("--disable", " MC101"), "--disable: ' MC101' has white space around the rule name; write MC101"),
        (("--severity", "MC101 =info"), "--severity: 'MC101 ' has white space around the rule name; write MC101"),
    ],
)
def test_a_rule_with_white_space_around_it_is_refused_on_the_command_line(
    project: Path, options: tuple[str, ...], error: str
) -> None:
    """As in a settings file: `--disable " MC101"` was MC101."""
    assert lint(project, *options) == Outcome(2, "", f"mailconf: {error}\n")


def test_the_command_line_on_top_of_the_settings_keeps_the_policy_immutable() -> None:
    """Policy is a frozen value: ``merged`` gave ``disabled`` as a set (frozenset minus dict keys), which could be
    changed in place and is not hashable."""
    policy = Policy(disabled=frozenset({"MC104", "MC101"})).merged(disable=["MC705"], severity=["MC101=info"])
    assert type(policy.disabled) is frozenset
    assert policy.disabled == {"MC104", "MC705"}


@pytest.mark.parametrize("text", ["loud", "it's\x1b", ""])
def test_severity_parse_names_no_text_the_settings_quote_it(text: str) -> None:
    """Severity.parse's own message held the text in Python's repr() (`unknown severity 'loud'`); it names none now:
    the settings' and --severity's messages quote it (errors.shown) where they say where it was written."""
    with pytest.raises(ValueError) as raised:
        Severity.parse(text)
    assert str(raised.value) == "unknown severity: use info, warning or error"


def _toml_key(text: str) -> str:
    """``text`` as a TOML basic string: a control character, ``"`` and ``\\`` escaped."""
    return '"' + "".join(f"\\u{ord(c):04x}" if ord(c) < 0x20 or c in '\x7f"\\' else c for c in text) + '"'


#: setting names, written and unknown: near misses, YAML's booleans and numbers, names that sort otherwise (k10, k2)
_SETTING_NAMES = st.one_of(
    st.sampled_from([*KEYS, "verbose", "colour", "k1", "k10", "k2", "yes", "1", "Fail-Level", "include ", "a b"]),
    st.text(min_size=1, max_size=6),
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(_SETTING_NAMES, min_size=1, max_size=14, unique=True), toml=st.booleans())
def test_unknown_settings_are_listed_in_the_file_s_order_at_the_first(
    tmp_path_factory: pytest.TempPathFactory, names: list[str], toml: bool
) -> None:
    """For generated .mailconf.yaml and pyproject.toml files: the unknown settings are named in the order written
    (the first ten), and the message is located at the line of the first one."""
    unknown = [name for name in names if name not in KEYS]
    assume(unknown)
    directory = tmp_path_factory.mktemp("settings")
    if toml:
        path = directory / "pyproject.toml"
        path.write_text("[tool.mailconf]\n" + "".join(f"{_toml_key(name)} = 1\n" for name in names), "utf-8")
    else:
        path = directory / ".mailconf.yaml"
        path.write_text("".join(f"{emit.scalar(name)}: 1\n" for name in names), "utf-8")
    with pytest.raises(ConfigError) as info:
        load_policy(str(path))
    line = names.index(unknown[0]) + 1 + toml
    more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
    noun = "settings" if len(unknown) > 1 else "setting"
    assert str(info.value).startswith(f"{path}:{line}:1: unknown {noun} {', '.join(unknown[:10])}{more};")
