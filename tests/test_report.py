"""Output formats: text (with its summary), json, github workflow commands, SARIF 2.1.0, and colour.

SARIF is checked against the official SARIF 2.1.0 JSON schema (sarif-2.1.0-rtm.5,
the OASIS schema as published by Microsoft's SARIF SDK team), taken from the npm
package ``@microsoft/jest-sarif``, which ships it. ``.ci/run`` installs that package into a
folder of its venv and names it in ``MAILCONF_NPM_ROOT``; elsewhere it is looked for under
``npm root -g``. Without it the test skips, which CI turns into a failure.
"""

from __future__ import annotations

import hashlib
import json
import os
import pty
import re
import select
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator

from mailconf import DOCS_URL, errors, report
from mailconf.document import load_document
from mailconf.lint import lint_document
from mailconf.model import Finding, Location, Severity, Subject
from mailconf.rules import RULES
from mailconf.settings import Policy
from tests.conftest import need
from tests.test_cli import CLEAN, INSECURE, Outcome, run_mailconf

MC101_TEXT = (
    "password login to imap.example.com without TLS sends the credentials in cleartext; set security: tls (port 993)"
)
SARIF_PACKAGE = "@microsoft/jest-sarif"
SARIF_SCHEMA_IN_PACKAGE = "lib/schemas/sarif-2.1.0-rtm.5.json"


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "a.yaml").write_text(INSECURE, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(CLEAN, encoding="utf-8")
    return tmp_path


# --- text ------------------------------------------------------------------------


def test_text_lines_and_summary(files: Path) -> None:
    (files / "c.yaml").write_text("\ufeff" + INSECURE.replace("\n", "\r\n"), encoding="utf-8")
    assert run_mailconf("lint", "a.yaml", "b.yaml", "c.yaml", cwd=files) == Outcome(
        1,
        f"a.yaml:8:17: error MC101 cleartext-credentials: {MC101_TEXT}\n"
        "c.yaml:1:1: warning MC004 byte-order-mark: file starts with a UTF-8 byte-order mark; "
        "save it as UTF-8 without a BOM\n"
        "c.yaml:1:11: info MC005 crlf-line-endings: CRLF line ends; convert the file to LF line ends\n"
        f"c.yaml:8:17: error MC101 cleartext-credentials: {MC101_TEXT}\n"
        "2 errors, 1 warning, 1 info in 2 files (3 files checked)\n",
        "",
    )


def test_text_is_empty_when_clean(files: Path) -> None:
    assert run_mailconf("lint", "b.yaml", cwd=files) == Outcome(0, "", "")


# --- json ------------------------------------------------------------------------


def mc101_json(path: str) -> dict[str, object]:
    """The one finding of INSECURE, in the file ``path``, as --format json writes it."""
    return {
        "path": path,
        "line": 8,
        "column": 17,
        "severity": "error",
        "rule": "MC101",
        "slug": "cleartext-credentials",
        "message": MC101_TEXT,
        "fix": {
            "safety": "unsafe",
            "message": "security: tls (and the implicit-TLS port when the port written is 143/110/587)",
            "edits": [{"start": {"line": 8, "column": 17}, "end": {"line": 8, "column": 21}, "replacement": "tls"}],
        },
    }


def test_json(files: Path) -> None:
    outcome = run_mailconf("lint", "--format", "json", "a.yaml", "b.yaml", cwd=files)
    assert (outcome.code, outcome.stderr) == (1, "")
    assert json.loads(outcome.stdout) == [mc101_json("a.yaml")]


def test_json_when_clean_is_an_empty_list(files: Path) -> None:
    assert run_mailconf("lint", "--format", "json", "b.yaml", cwd=files) == Outcome(0, "[]\n", "")


# --- github ------------------------------------------------------------------------


def test_github_workflow_commands(files: Path) -> None:
    assert run_mailconf("lint", "--format", "github", "a.yaml", cwd=files) == Outcome(
        1, f"::error file=a.yaml,line=8,col=17,title=MC101 cleartext-credentials::{MC101_TEXT}\n", ""
    )


def test_github_is_chosen_when_github_actions_is_true(files: Path) -> None:
    expected = f"::error file=a.yaml,line=8,col=17,title=MC101 cleartext-credentials::{MC101_TEXT}\n"
    assert run_mailconf("lint", "a.yaml", cwd=files, env={"GITHUB_ACTIONS": "true"}) == Outcome(1, expected, "")
    text = run_mailconf("lint", "--format", "text", "a.yaml", cwd=files, env={"GITHUB_ACTIONS": "true"})
    assert text.stdout.startswith("a.yaml:8:17: error MC101")
    other = run_mailconf("lint", "a.yaml", cwd=files, env={"GITHUB_ACTIONS": "false"})
    assert other.stdout.startswith("a.yaml:8:17: error MC101")


def test_github_escapes_properties_and_data() -> None:
    """A file name with `,` or `:` and a message with a newline or `%` cannot end or forge a command
    (a newline is shown as the two characters `\\n`, like every control character in output)."""
    finding = Finding(
        "MC101", "cleartext-credentials", Severity.WARNING, Location("dir,x:y/a%.yaml", 3, 4), "50%\nnext::error"
    )
    result = _Result("dir,x:y/a%.yaml", (finding,))
    assert report.github([result], report.Tool("mailconf lint", RULES)) == (
        "::warning file=dir%2Cx%3Ay/a%25.yaml,line=3,col=4,title=MC101 cleartext-credentials::50%25\\nnext::error\n"
    )


def test_github_levels() -> None:
    levels = [Severity.ERROR, Severity.WARNING, Severity.INFO]
    result = _Result("a.yaml", tuple(Finding("MC101", "s", level, Location("a.yaml", 1, 1), "m") for level in levels))
    lines = report.github([result], report.Tool("mailconf lint", RULES)).splitlines()
    assert [line.split(" ", 1)[0] for line in lines] == ["::error", "::warning", "::notice"]


class _Result:
    def __init__(self, path: str, findings: tuple[Finding, ...]) -> None:
        self.path = path
        self.findings = findings


# --- SARIF ---------------------------------------------------------------------------


@cache
def _sarif_schema_path() -> str:
    """Where the npm package is: .ci/run's own folder (MAILCONF_NPM_ROOT), else npm's global one."""
    if os.environ.get("MAILCONF_NPM_ROOT"):
        return os.environ["MAILCONF_NPM_ROOT"]
    return str(Path(subprocess.run(["npm", "root", "-g"], capture_output=True, text=True, check=True).stdout.strip()))


def sarif_validator() -> Draft4Validator:
    need("npm")
    path = Path(_sarif_schema_path()) / SARIF_PACKAGE / SARIF_SCHEMA_IN_PACKAGE
    if not path.is_file():
        pytest.skip(f"needs the npm package {SARIF_PACKAGE} (not installed; .ci/run installs it)")
    schema = json.loads(path.read_text(encoding="utf-8"))
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0-rtm.5 JSON Schema"
    return Draft4Validator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)


def _sarif(files: Path, *names: str) -> dict[str, Any]:
    outcome = run_mailconf("lint", "--format", "sarif", *names, cwd=files)
    assert outcome.stderr == ""
    loaded: dict[str, Any] = json.loads(outcome.stdout)
    return loaded


def test_sarif_is_valid_against_the_official_schema(files: Path) -> None:
    validator = sarif_validator()
    (files / "c.yaml").write_text("version: 1\naccounts: [\n", encoding="utf-8")
    log = _sarif(files, "a.yaml", "b.yaml", "c.yaml")
    assert [e.message for e in validator.iter_errors(log)] == []
    assert log["version"] == "2.1.0"
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"


def test_sarif_validator_is_not_vacuous() -> None:
    validator = sarif_validator()
    broken = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"level": "fatal"}]}]}
    assert sorted(e.message for e in validator.iter_errors(broken)) == [
        "'fatal' is not one of ['none', 'note', 'warning', 'error']",
        "'message' is a required property",
    ]


def test_sarif_results_carry_rule_level_and_location(files: Path) -> None:
    run = _sarif(files, "a.yaml", "b.yaml")["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["results"] == [
        {
            "ruleId": "MC101",
            "ruleIndex": [r["id"] for r in rules].index("MC101"),
            "level": "error",
            "message": {"text": MC101_TEXT},
            "partialFingerprints": {"mailconf/v1": _expected_fingerprint("MC101", MC101_SUBJECT)},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": "a.yaml"},
                        "region": {"startLine": 8, "startColumn": 17},
                    }
                }
            ],
            "fixes": [
                {
                    "description": {
                        "text": "security: tls (and the implicit-TLS port when the port written is 143/110/587) "
                        "(unsafe: applied only with --unsafe-fixes)"
                    },
                    "artifactChanges": [
                        {
                            "artifactLocation": {"uri": "a.yaml"},
                            "replacements": [
                                {
                                    "deletedRegion": {"startLine": 8, "startColumn": 17, "endLine": 8, "endColumn": 21},
                                    "insertedContent": {"text": "tls"},
                                }
                            ],
                        }
                    ],
                    "properties": {"safety": "unsafe"},
                }
            ],
        }
    ]


def test_sarif_describes_every_rule_with_help(files: Path) -> None:
    rules = _sarif(files, "b.yaml")["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(RULES)
    levels = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
    for entry in rules:
        rule = RULES[entry["id"]]
        assert entry["shortDescription"] == {"text": rule.TITLE}
        assert entry["help"]["text"], entry["id"]
        # a viewer shows `text` as it is: none of the docstring's reST may reach it
        assert "``" not in entry["help"]["text"] + entry["fullDescription"]["text"], entry["id"]
        assert not re.search(r"::$", entry["help"]["text"], re.MULTILINE), entry["id"]
        assert "\n" not in entry["fullDescription"]["text"], entry["id"]
        assert entry["defaultConfiguration"] == {"level": levels[rule.SEVERITY]}
        assert entry["helpUri"] == f"{DOCS_URL}rules.md#{entry['id'].lower()}-{entry['properties']['slug']}"
        assert entry["properties"] == {"slug": rule.SLUG}


def test_sarif_help_is_what_explain_prints_and_what_rules_md_shows(files: Path) -> None:
    """GitHub code scanning shows help.text raw and renders help.markdown: the text is `mailconf explain`'s,
    the Markdown that of the rule's section of docs/rules.md (below its heading and severity line)."""
    rules = _sarif(files, "b.yaml")["runs"][0]["tool"]["driver"]["rules"]
    mc104 = next(r for r in rules if r["id"] == "MC104")
    explained = run_mailconf("explain", "MC104", cwd=files)
    assert explained.code == 0
    assert mc104["help"]["text"] + "\n" == explained.stdout.split("\n\n", 1)[1]
    assert mc104["fullDescription"] == {"text": "STARTTLS is chosen where implicit TLS exists."}
    assert (
        "\nFailing:\n\n    incoming: {protocol: imap, host: imap.example.com, port: 143, security: starttls}\n"
        in mc104["help"]["text"]
    )
    page = (Path(__file__).parent.parent / "docs" / "rules.md").read_text(encoding="utf-8")
    section = page.split("\n### MC104 prefer-implicit-tls\n\n", 1)[1].split("\n### ", 1)[0]
    assert section.split("\n\n", 1)[1] == mc104["help"]["markdown"]
    assert "**Failing:**\n\n```yaml\nincoming: {protocol: imap" in mc104["help"]["markdown"]
    mc103 = next(r for r in rules if r["id"] == "MC103")
    assert mc103["fullDescription"] == {"text": "STARTTLS that the client may skip: `security: starttls-optional`."}


#: MC101 of INSECURE is about the `security` of work's incoming server, whose value is "none".
MC101_SUBJECT = '[["accounts", "work", "incoming", "security"], "none"]'


def _expected_fingerprint(rule: str, subject: str, occurrence: int = 1) -> str:
    return hashlib.sha256(f"{rule}\0{subject}".encode()).hexdigest()[:32] + f":{occurrence}"


def test_doc_url_is_one_constant_and_absolute() -> None:
    """SARIF 2.1.0 section 3.49.12: helpUri is an absolute URI. DOCS_URL is the one place to change it."""
    assert DOCS_URL.startswith("https://") and DOCS_URL.endswith("/")
    assert report.help_uri(RULES["MC101"]) == DOCS_URL + "rules.md#mc101-cleartext-credentials"
    # the anchor is the heading of the rule's section on the generated page
    assert "\n### MC101 cleartext-credentials\n" in (Path(__file__).parent.parent / "docs" / "rules.md").read_text()


def _fingerprints(files: Path, text: str) -> list[tuple[str, int, str]]:
    (files / "f.yaml").write_text(text, encoding="utf-8")
    results = _sarif(files, "f.yaml")["runs"][0]["results"]
    return [
        (
            r["ruleId"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["partialFingerprints"]["mailconf/v1"],
        )
        for r in results
    ]


TWO_ACCOUNTS = INSECURE + INSECURE.split("accounts:\n", 1)[1].replace("  work:", "  home:", 1).replace(
    ".example.com", ".example.org"
)


def test_sarif_fingerprints_stay_when_lines_move_and_change_with_the_subject(files: Path) -> None:
    before = _fingerprints(files, TWO_ACCOUNTS)
    assert [(rule, line) for rule, line, _ in before] == [("MC101", 8), ("MC101", 18)]
    work, home = (fingerprint for _, _, fingerprint in before)
    assert work == _expected_fingerprint("MC101", MC101_SUBJECT)
    assert home != work  # the same finding in two accounts: two subjects
    # lines inserted above and the two accounts swapped: the same fingerprints, at other lines
    head, accounts = TWO_ACCOUNTS.split("accounts:\n", 1)
    work_text, home_text = accounts.split("  home:\n", 1)
    moved = "# moved\n# around\n" + head + "accounts:\n  home:\n" + home_text + work_text
    after = _fingerprints(files, moved)
    assert sorted(fingerprint for _, _, fingerprint in after) == sorted([work, home])
    assert [line for _, line, _ in after] != [line for _, line, _ in before]
    # another value is another finding
    changed = _fingerprints(files, TWO_ACCOUNTS.replace("security: none", "security: starttls-optional", 1))
    assert work not in [fingerprint for _, _, fingerprint in changed]


def test_sarif_fingerprints_of_file_level_findings_count_occurrences(files: Path) -> None:
    """A syntax error has no subject: its rule and message, and the occurrence in the file."""
    found = _fingerprints(files, "version: 1\naccounts: [\n")
    message = "YAML syntax error: did not find expected node content (while parsing a flow node)"
    assert found == [("MC001", 3, _expected_fingerprint("MC001", "message:" + message))]


def test_a_secret_is_never_part_of_a_subject() -> None:
    """A secret's value is never hashed (a hash of a password can be brute-forced); other values are."""
    text = INSECURE.replace("auth: password\n", "auth: password\n      password: hunter2\n")
    doc = load_document("a.yaml", text.encode())
    assert doc.subject(("accounts", "work", "incoming", "password")) == Subject(
        ("accounts", "work", "incoming", "password"), None
    )
    assert doc.subject(("accounts", "work", "incoming", "host")) == Subject(
        ("accounts", "work", "incoming", "host"), "imap.example.com"
    )
    assert doc.subject(("accounts", "work")) == Subject(("accounts", "work"), None)  # a mapping: no value
    mc401 = [f for f in lint_document(doc, Policy()) if f.rule == "MC401"]
    assert [f.subject for f in mc401] == [Subject(("accounts", "work", "incoming", "password"), None)]


def test_sarif_levels_follow_the_policy(files: Path) -> None:
    outcome = run_mailconf("lint", "--format", "sarif", "--severity", "MC101=info", "a.yaml", cwd=files)
    assert outcome.code == 0
    assert [r["level"] for r in json.loads(outcome.stdout)["runs"][0]["results"]] == ["note"]


def test_sarif_uri_is_percent_encoded(tmp_path: Path) -> None:
    validator = sarif_validator()
    directory = tmp_path / "my accounts#1"
    directory.mkdir()
    (directory / "a b.yaml").write_text(INSECURE, encoding="utf-8")
    log = _sarif(tmp_path, "my accounts#1/a b.yaml")
    location = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "my%20accounts%231/a%20b.yaml"}
    assert [e.message for e in validator.iter_errors(log)] == []


# --- colour ----------------------------------------------------------------------------


def _on_a_terminal(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    """Run with stdout on a pseudo-terminal; return what the terminal received."""
    main, replica = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "mailconf", *args], cwd=cwd, env=env, stdout=replica, stderr=subprocess.PIPE
        )
        os.close(replica)
        chunks = []
        while True:
            ready, _, _ = select.select([main], [], [], 60)
            if not ready:  # a hang guard, not a timing assertion
                break
            try:
                chunk = os.read(main, 4096)
            except OSError:  # EIO: the replica side is closed
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=60)
    finally:
        os.close(main)
    return b"".join(chunks).decode().replace("\r\n", "\n")


def _environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "GITHUB_ACTIONS")}
    env.update(extra)
    return env


def test_colour_on_a_terminal(files: Path) -> None:
    assert _on_a_terminal(["lint", "a.yaml"], files, _environment()) == (
        f"a.yaml:8:17: \x1b[31merror\x1b[0m MC101 cleartext-credentials: {MC101_TEXT}\n1 error in 1 file\n"
    )


def test_no_colour_with_no_color_set(files: Path) -> None:
    assert _on_a_terminal(["lint", "a.yaml"], files, _environment(NO_COLOR="1")) == (
        f"a.yaml:8:17: error MC101 cleartext-credentials: {MC101_TEXT}\n1 error in 1 file\n"
    )


def test_no_colour_in_a_pipe(files: Path) -> None:
    assert "\x1b" not in run_mailconf("lint", "a.yaml", cwd=files).stdout


def test_machine_formats_are_never_coloured(files: Path) -> None:
    for fmt in ("json", "sarif", "github"):
        assert "\x1b" not in _on_a_terminal(["lint", "--format", fmt, "a.yaml"], files, _environment()), fmt


def test_use_color_rules() -> None:
    class Terminal:
        def isatty(self) -> bool:
            return True

    assert report.use_color(Terminal(), {}) is True
    assert report.use_color(Terminal(), {"NO_COLOR": "1"}) is False
    assert report.use_color(Terminal(), {"NO_COLOR": ""}) is True  # no-color.org: set and not empty
    assert report.use_color(object(), {}) is False


# --- nothing a file holds can forge output --------------------------------------------

FORGING_KEY = '"x\\naccounts.yaml:1:1: error MC000 fake: \\e[31mred": 1\n'


def test_a_key_with_a_newline_cannot_forge_a_finding_line(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("version: 1\n" + FORGING_KEY + "accounts: {}\n", encoding="utf-8")
    shown = "`x\\naccounts.yaml:1:1: error MC000 fake: \\x1b[31mred`"
    assert run_mailconf("lint", "a.yaml", cwd=tmp_path) == Outcome(
        1,
        f"a.yaml:2:1: error MC002 schema-violation: unknown key {shown}; allowed here: accounts, defaults, version\n"
        "a.yaml:3:1: error MC002 schema-violation: `accounts` is empty; declare at least one account\n"
        "2 errors in 1 file\n",
        "",
    )
    github = run_mailconf("lint", "--format", "github", "a.yaml", cwd=tmp_path)
    assert github.stdout.splitlines()[0] == (
        f"::error file=a.yaml,line=2,col=1,title=MC002 schema-violation::unknown key {shown}; "
        "allowed here: accounts, defaults, version"
    )


def test_a_file_name_with_a_newline_stays_on_one_line(tmp_path: Path) -> None:
    (tmp_path / "a\nb.yaml").write_text(INSECURE, encoding="utf-8")
    outcome = run_mailconf("lint", "a\nb.yaml", "a\nmissing.yaml", cwd=tmp_path)
    assert outcome == Outcome(
        2,
        f"a\\nb.yaml:8:17: error MC101 cleartext-credentials: {MC101_TEXT}\n1 error in 1 file\n",
        "mailconf: a\\nmissing.yaml: no such file; check the path\n",
    )


def test_text_summary_counts_and_plurals() -> None:
    levels = [Severity.INFO, Severity.ERROR, Severity.WARNING, Severity.ERROR, Severity.WARNING, Severity.INFO]
    findings = tuple(
        Finding("MC101", "cleartext-credentials", level, Location("a.yaml", n, 1), "m")
        for n, level in enumerate(levels)
    )
    out = report.text([_Result("a.yaml", findings), _Result("b.yaml", ())], report.Tool("mailconf lint", RULES))
    assert out.splitlines()[-1] == "2 errors, 2 warnings, 2 info in 1 file (2 files checked)"
    assert out.splitlines()[0] == "a.yaml:0:1: info MC101 cleartext-credentials: m"
    assert report.text([_Result("a.yaml", ())], report.Tool("mailconf lint", RULES)) == ""


# --- file names that are not UTF-8 ------------------------------------------------------

BAD_NAME = b"caf\xe9.yaml"  # Latin-1: not UTF-8


def _lint_bytes_out(cwd: Path, *args: bytes) -> tuple[int, bytes, bytes]:
    """The real command with byte arguments; its output as bytes, so invalid UTF-8 cannot hide."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "GITHUB_ACTIONS", "MAILCONF_DEBUG")}
    done = subprocess.run(
        [sys.executable.encode(), b"-m", b"mailconf", b"lint", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        timeout=120,  # a hang guard, not a timing assertion
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        (
            "text",
            f"caf\\xe9.yaml:8:17: error MC101 cleartext-credentials: {MC101_TEXT}\n1 error in 1 file\n",
        ),
        ("github", f"::error file=caf\\xe9.yaml,line=8,col=17,title=MC101 cleartext-credentials::{MC101_TEXT}\n"),
    ],
)
def test_a_file_name_that_is_not_utf8_is_named_readably(tmp_path: Path, fmt: str, expected: str) -> None:
    (tmp_path / os.fsdecode(BAD_NAME)).write_text(INSECURE, encoding="utf-8")
    code, out, err = _lint_bytes_out(tmp_path, b"--format", fmt.encode(), BAD_NAME)
    assert (code, out.decode("utf-8"), err) == (1, expected, b"")


def test_json_names_a_file_that_is_not_utf8_in_valid_utf8(tmp_path: Path) -> None:
    (tmp_path / os.fsdecode(BAD_NAME)).write_text(INSECURE, encoding="utf-8")
    code, out, err = _lint_bytes_out(tmp_path, b"--format", b"json", BAD_NAME)
    assert (code, err) == (1, b"")
    assert json.loads(out.decode("utf-8")) == [mc101_json("caf\\xe9.yaml")]


def test_sarif_names_a_file_that_is_not_utf8_by_its_bytes(tmp_path: Path) -> None:
    """The uri percent-encodes the name's own bytes (RFC 3986), so a consumer finds the file."""
    validator = sarif_validator()
    (tmp_path / os.fsdecode(BAD_NAME)).write_text(INSECURE, encoding="utf-8")
    code, out, err = _lint_bytes_out(tmp_path, b"--format", b"sarif", BAD_NAME)
    assert (code, err) == (1, b"")
    log = json.loads(out.decode("utf-8"))
    assert [e.message for e in validator.iter_errors(log)] == []
    [result] = log["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": "caf%E9.yaml"}
    assert result["message"] == {"text": MC101_TEXT}


def test_readable_escapes_only_lone_surrogates() -> None:
    assert errors.readable("caf\udce9/\ud800x\u2028é.yaml") == "caf\\xe9/\\ud800x\u2028é.yaml"
    assert errors.readable("plain.yaml") == "plain.yaml"


def test_sarif_fingerprint_of_a_duplicate_key_stays_when_lines_are_inserted_above(files: Path) -> None:
    """MC701's message names the line of the first key; hashed with it, the alert was new whenever a line was
    inserted above. The fingerprint is of the message without the line number, the key spelt as Python's repr()
    spells it, as it was before messages quoted it in double quotes: an alert of code scanning (a dismissed one too)
    stays the same alert."""
    from tests.test_baseline import TWICE, TWICE_MESSAGE, TWICE_MOVED

    placeless = TWICE_MESSAGE.format(3).replace("line 3", "line").replace('"work"', "'work'")
    expected = _expected_fingerprint("MC701", "message:" + placeless)
    assert expected == "032385ec718d1451c7a79e6dcc56d537:1"  # as mailconf wrote it before it quoted the key in "..."
    assert [(rule, fp) for rule, _, fp in _fingerprints(files, TWICE) if rule == "MC701"] == [("MC701", expected)]
    moved = _fingerprints(files, TWICE_MOVED)
    assert [(rule, line, fp) for rule, line, fp in moved if rule == "MC701"] == [("MC701", 10, expected)]


def test_sarif_fingerprint_of_a_value_its_tag_does_not_fit_is_the_one_of_its_older_spelling(files: Path) -> None:
    """MC001's message quotes the value in double quotes now, Python's repr() before: the fingerprint still hashes
    the repr() spelling, so the alert stays the same alert."""
    expected = _expected_fingerprint("MC001", "message:'one' is not a valid !!int; remove the tag or fix the value")
    assert expected == "f49bc6d4170bff63386efc6285a64198:1"  # as mailconf wrote it before it quoted the value in "..."
    assert _fingerprints(files, "version: !!int one\n") == [("MC001", 1, expected)]


def test_sarif_fingerprint_of_a_message_is_the_one_of_its_spelling_with_x_escapes() -> None:
    """A finding without a subject hashes its message, which spelt a no-break space or a C1 control ``\\xa0`` until
    such a character became ``\\u00a0`` (a byte that was not UTF-8 is ``\\xa0``): the fingerprint still hashes the
    older spelling (errors.escaped_before), so an alert stays the same alert. (No such finding of lint is known
    today: MC701 and MC001, which quote what a file holds, hash Python's repr(), which is unchanged.)"""
    from mailconf.model import Finding, Location, Severity

    found = Finding("MC001", "yaml-syntax", Severity.ERROR, Location("f.yaml", 2, 1), 'got "a\\u00a0\\u0085b" here')
    expected = _expected_fingerprint("MC001", 'message:got "a\\xa0\\x85b" here').removesuffix(":1")
    assert report._fingerprint(found) == expected


#: a value written once at the top (x-sec) and shared by two accounts through an alias: one finding
SHARED_ON_TOP = (
    "version: 1\nx-sec: &sec none\naccounts:\n"
    "  a:\n    address: a@example.com\n"
    "    incoming: {protocol: imap, host: imap.example.com, port: 143, security: *sec}\n"
    "  b:\n    address: b@example.com\n"
    "    incoming: {protocol: imap, host: imap.example.com, port: 143, security: *sec}\n"
)


def test_sarif_fingerprint_of_a_shared_value_stays_when_the_accounts_sharing_it_are_reordered(files: Path) -> None:
    """The first account in the file stood for the value shared by both: b moved above a made it another alert,
    though nothing about it changed. The account whose name sorts first stands for it, wherever it is."""
    head, accounts = SHARED_ON_TOP.split("accounts:\n")
    a_text, b_text = accounts.split("  b:\n")
    swapped = head + "accounts:\n  b:\n" + b_text + a_text
    subject = '[["accounts", "a", "incoming", "security"], "none"]'
    expected = [("MC101", 2, _expected_fingerprint("MC101", subject))]
    assert _fingerprints(files, SHARED_ON_TOP) == expected
    assert _fingerprints(files, swapped) == expected


# --- nothing a file holds reaches a viewer raw ---------------------------------------------

#: an account name holding U+202E RIGHT-TO-LEFT OVERRIDE: invalid (MC002), still linted, and named by MC712
REVERSING_NAME = 'version: 1\naccounts:\n  "wo\\u202erk":\n    address: alice@example.com\n    display_name: " "\n'


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_a_message_never_carries_a_format_character_in_any_format(tmp_path: Path, fmt: str) -> None:
    """MC712 names the account: its U+202E went into the JSON and SARIF messages as it was (text and github escaped
    it), and reversed the rest of the line wherever they were shown: a code scanning alert, an editor's problems."""
    (tmp_path / "a.yaml").write_text(REVERSING_NAME, encoding="utf-8")
    outcome = run_mailconf("lint", "--format", fmt, "a.yaml", cwd=tmp_path)
    assert (outcome.code, outcome.stderr) == (1, "")
    assert "\u202e" not in outcome.stdout
    blank = "account `wo\\u202erk`: display_name is blank: write it, or remove the key"
    if fmt in ("json", "sarif"):
        log = json.loads(outcome.stdout)
        results = log if fmt == "json" else log["runs"][0]["results"]
        messages = [r["message"] if fmt == "json" else r["message"]["text"] for r in results]
        assert blank in messages
    else:
        assert blank in outcome.stdout


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_many_findings_are_reported_in_memory_near_the_reports_size(fmt: str) -> None:
    """Python's JSON encoder with an indent (the one written in Python) held a string per token of the whole document,
    and every finding's dict, at once: 95,000 findings took 2.1 GB in SARIF (1.3 GB now), 1.3 GB in JSON (0.86 GB
    now), of which 0.63 GB is the lint itself. Counted by tracemalloc, no clock: at most 2.5 times the report's size."""
    import tracemalloc

    message = (
        "port 587 starts in cleartext and expects STARTTLS, not implicit TLS; set port: 465, or security: starttls"
    )
    findings = tuple(
        Finding("MC202", "cleartext-port-with-implicit-tls", Severity.ERROR, Location("a.yaml", n, 13), message)
        for n in range(1, 5001)
    )
    tool = report.Tool("mailconf lint", RULES)
    tracemalloc.start()
    try:
        written = report.REPORTERS[fmt]([_Result("a.yaml", findings)], tool)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    entries = json.loads(written) if fmt == "json" else json.loads(written)["runs"][0]["results"]
    last = entries[-1]["message"] if fmt == "json" else entries[-1]["message"]["text"]
    assert (len(entries), last) == (5000, message)
    assert peak < 2.5 * sys.getsizeof(written)  # a string of 2 or 4 bytes a character when one needs it
