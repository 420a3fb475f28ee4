"""The manual in docs/: generated pages are current, and every relative link and anchor resolves."""

from __future__ import annotations

import json
import re
import shutil
import socket
from pathlib import Path

import click
import pytest

from mailconf import docgen
from mailconf.cli import cli, main
from mailconf.targets import FEATURES, TARGETS

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted([ROOT / "README.md", *DOCS.rglob("*.md")])
GENERATED = docgen.pages(ROOT)


@pytest.mark.parametrize("path", sorted(GENERATED), ids=lambda p: str(p.relative_to(ROOT)))
def test_generated_page_is_current(path: Path) -> None:
    assert path.is_file(), f"{path} is missing: run python3 -m mailconf.docgen"
    assert path.read_text(encoding="utf-8") == GENERATED[path], f"{path} is stale: run python3 -m mailconf.docgen"


def test_generated_pages_say_so_and_how_to_regenerate() -> None:
    for path, text in GENERATED.items():
        first = text.splitlines()[0]
        assert first.startswith("<!-- ") and "python3 -m mailconf.docgen" in first, path


def test_every_target_and_every_rule_has_its_generated_page_or_section() -> None:
    from mailconf.probe.checks import CHECKS
    from mailconf.rules import RULES

    for name, target in TARGETS.items():
        assert DOCS / "targets" / f"{name}.md" in GENERATED
        assert set(target.CAPABILITIES) == set(FEATURES), name
    rules_md = GENERATED[DOCS / "rules.md"]
    catalogue: list[docgen.Documented] = [*RULES.values(), *CHECKS.values()]
    for rule in catalogue:
        assert f"\n### {rule.ID} {rule.SLUG}\n" in rules_md
        assert docgen.anchor(rule) in anchors(rules_md)


def test_no_hand_written_target_page_is_left_over() -> None:
    assert {p.stem for p in (DOCS / "targets").glob("*.md")} == set(TARGETS)


def test_render_page_holds_the_matrix_that_mailconf_targets_prints(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["targets", "--format", "markdown"]) == 0
    matrix = capsys.readouterr().out
    from mailconf.targets import TARGETS

    assert matrix.startswith("| setting | " + " | ".join(sorted(TARGETS)) + " |\n")
    assert matrix in (DOCS / "render.md").read_text(encoding="utf-8")


def test_check_mode_names_a_stale_page_and_writing_fixes_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "docs").mkdir()
    shutil.copy(DOCS / "render.md", tmp_path / "docs" / "render.md")
    assert docgen.main(["--check", "--root", str(tmp_path)]) == 1
    stale = capsys.readouterr().err.splitlines()
    assert f"{tmp_path / 'docs' / 'rules.md'}: stale; run python3 -m mailconf.docgen" in stale
    assert len(stale) == 1 + len(TARGETS)  # render.md itself is current
    assert docgen.main(["--root", str(tmp_path)]) == 0
    assert docgen.main(["--check", "--root", str(tmp_path)]) == 0


def test_render_page_names_every_option_of_every_target() -> None:
    text = (DOCS / "render.md").read_text(encoding="utf-8")
    section = text[text.index("## Target options") : text.index("## Output is deterministic")]
    listed = re.findall(r"`([a-z0-9-]+)`: ((?:`[a-z0-9-]+`(?:, )?)+)", " ".join(section.split()))
    assert {target: re.findall(r"`([a-z0-9-]+)`", names) for target, names in listed} == {
        name: list(target.OPTIONS) for name, target in TARGETS.items() if target.OPTIONS
    }


def test_render_page_without_its_markers_is_an_error() -> None:
    with pytest.raises(ValueError, match="lost its markers"):
        docgen.render_page("# Render\n")


def test_the_suppression_example_of_lint_md_uses_every_directive(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every directive of the example matches a finding: pasted, it lints clean, and without them it does not."""
    text = (DOCS / "lint.md").read_text(encoding="utf-8")
    section = text[text.index("## Suppressing a finding") :]
    example = section[section.index("```yaml\n") + 8 : section.index("```\n", section.index("```yaml\n") + 8)]
    (tmp_path / "suppressed.yaml").write_text(example, encoding="utf-8")
    (tmp_path / "bare.yaml").write_text(re.sub(r" *# mailconf: .*", "", example), encoding="utf-8")
    assert main(["lint", str(tmp_path / "suppressed.yaml")]) == 0
    assert capsys.readouterr() == ("", "")
    assert main(["lint", "--format", "json", str(tmp_path / "bare.yaml")]) == 0
    found = [(f["rule"], f["line"]) for f in json.loads(capsys.readouterr().out)]
    assert found == [("MC704", 8), ("MC104", 10), ("MC704", 14), ("MC104", 16)]  # the comments' lines kept, blank


def test_the_example_of_account_file_md_lints_clean(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (DOCS / "account-file.md").read_text(encoding="utf-8")
    start = text.index("```yaml\n") + len("```yaml\n")
    (tmp_path / "accounts.yaml").write_text(text[start : text.index("```\n", start)], encoding="utf-8")
    assert main(["lint", str(tmp_path / "accounts.yaml")]) == 0
    assert capsys.readouterr() == ("", "")


def readme_tour() -> str:
    """The account file of the README's "A short tour"."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("```yaml\n", readme.index("## A short tour")) + len("```yaml\n")
    return readme[start : readme.index("```\n", start)]


def test_the_lint_output_the_readme_shows_is_what_lint_prints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's lint block, of its tour file: the finding and the summary, up to the next command (exit 0: a
    warning is below the fail level)."""
    command, *rest = text_block("../README.md", "### lint")
    shown = rest[: next(n for n, line in enumerate(rest) if line.startswith("$ "))]
    assert command == "$ mailconf lint accounts.yaml"
    (tmp_path / "accounts.yaml").write_text(readme_tour(), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["lint", "accounts.yaml"]) == 0
    assert capsys.readouterr() == ("".join(line + "\n" for line in shown), "")


def test_the_diff_example_of_lint_md_is_what_lint_prints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """lint.md's --diff example is of the README's tour file."""
    (tmp_path / "accounts.yaml").write_text(readme_tour(), encoding="utf-8")
    text = (DOCS / "lint.md").read_text(encoding="utf-8")
    start = text.index("```text\n", text.index("## Fixing")) + len("```text\n")
    command, *diff, summary = text[start : text.index("```\n", start)].splitlines()
    assert command == "$ mailconf lint --diff --unsafe-fixes accounts.yaml"
    monkeypatch.chdir(tmp_path)
    assert main(["lint", "--diff", "--unsafe-fixes", "accounts.yaml"]) == 1
    assert capsys.readouterr() == ("".join(line + "\n" for line in diff), summary + "\n")


def test_the_paths_of_publish_md_are_where_its_render_command_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """publish.md's command, run on examples/company.yaml (domain example.com, accounts alice and bob), writes
    every file the page names under /srv/mail-publish (the nginx aliases included)."""
    text = (DOCS / "publish.md").read_text(encoding="utf-8")
    command = "mailconf render -t autoconfig -t autodiscover -t mobileconfig accounts.yaml -o /srv/mail-publish"
    assert f"    {command}\n" in text
    args = command.split()[1:]
    args[args.index("accounts.yaml")] = str(ROOT / "examples" / "company.yaml")
    args[-1] = str(tmp_path)
    assert main(args) == 0
    capsys.readouterr()
    named = set(re.findall(r"/srv/mail-publish/([^\s`;]+)", text))
    examples = {"example.org": "example.com", "ADDRESS": "alice@example.com", "ACCOUNT": "alice"}
    files = {re.sub("|".join(examples), lambda m: examples[m[0]], path) for path in named}
    assert len(files) == 3
    assert [f for f in sorted(files) if not (tmp_path / f).is_file()] == []


def test_the_modes_render_md_and_publish_md_state_are_those_render_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """render.md: files 0600 but the published documents' (0644) and import-ca.sh (0700); every folder 0700, which
    publish.md tells a web server's admin to open."""
    (tmp_path / "accounts.yaml").write_text(
        "version: 1\naccounts:\n  work:\n    address: alice@example.com\n"
        "    incoming: {protocol: imap, host: imap.example.com, password_command: pass mail,\n"
        "               tls: {ca_file: /etc/ca.pem}}\n"
        "    outgoing: {protocol: smtp, host: smtp.example.com, password_command: pass mail}\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert main(["render", "-t", "all", str(tmp_path / "accounts.yaml"), "-o", str(out)]) == 0
    capsys.readouterr()
    modes = {p.relative_to(tmp_path).as_posix(): oct(p.stat().st_mode & 0o777) for p in [out, *out.rglob("*")]}
    assert {name for name, mode in modes.items() if (tmp_path / name).is_dir() and mode != "0o700"} == set()
    assert {name: mode for name, mode in modes.items() if (tmp_path / name).is_file() and mode != "0o600"} == {
        "out/autoconfig/autoconfig/example.com/config-v1.1.xml": "0o644",
        "out/autodiscover/autodiscover/alice@example.com.xml": "0o644",
        "out/mobileconfig/mobileconfig/work.mobileconfig": "0o644",
        "out/thunderbird/import-ca.sh": "0o700",
    }
    render_md = " ".join((DOCS / "render.md").read_text(encoding="utf-8").split())
    assert (
        "published (`autoconfig`, `autodiscover`, `mobileconfig`: 0644) and Thunderbird's `import-ca.sh` (0700"
        in render_md
    )
    assert "Directories that `-o` creates get 0700, every level of them, for every target" in render_md
    publish_md = (DOCS / "publish.md").read_text(encoding="utf-8")
    assert "The folders render creates are 0700" in publish_md
    assert "\n    chmod -R a+rX /srv/mail-publish\n" in publish_md


def test_the_fix_table_of_lint_md_lists_every_fixing_rule_and_its_safety() -> None:
    from mailconf.rules import FIXES, RULES

    text = (DOCS / "lint.md").read_text(encoding="utf-8")
    table = text[text.index("| rule | fix | safety |") : text.index("### Fixes in json and SARIF")]
    rows = re.findall(r"^\| (MC\d+) ([a-z0-9-]+) \| .* \| (safe|unsafe) \|$", table, flags=re.MULTILINE)
    assert rows == [(rule_id, RULES[rule_id].SLUG, fix.safety) for rule_id, fix in sorted(FIXES.items())]


def text_block(page: str, after: str) -> list[str]:
    """The lines of the first fenced block after the text ``after`` of docs/``page``, less the indent of its fence
    (a block inside a list item is indented)."""
    text = (DOCS / page).read_text(encoding="utf-8")
    lines = text[text.index(after) :].splitlines()
    first = next(n for n, line in enumerate(lines) if line.lstrip().startswith("```"))
    indent = len(lines[first]) - len(lines[first].lstrip())
    end = next(n for n in range(first + 1, len(lines)) if lines[n].strip() == "```")
    return [line[indent:] for line in lines[first + 1 : end]]


#: An account file whose lint and render give the outputs lint.md and render.md show.
STARTTLS_IMAP = """version: 1
accounts:
  work:
    address: alice@example.com
    incoming:
      protocol: imap
      host: imap.example.com
      security: {security}
      {extra}
      password_command: pass show mail/work
    outgoing: {{protocol: smtp, host: smtp.example.com, password_command: pass show mail/work}}
"""

#: What the pages show as a command's output: (page, the text the block follows, the account file, the command, the
#: exit code). The block's ``$`` line, when it has one, is the command; a ``mailconf:`` line is on standard error.
SHOWN_OUTPUTS = [
    (
        "lint.md", "Every finding names the file, line and column",
        STARTTLS_IMAP.format(security="none", extra="securty: tls"), ["lint", "accounts.yaml"], 1,
    ),
    (
        "lint.md", "What was left out is named on standard error",
        "version: 1\naccounts:\n  work:\n    address: alice@example.com\n    incoming:\n      protocol: imap\n"
        "      host: imap.example.com\n      port: \"abc\"\n      password_command: pass show mail/work\n"
        "    outgoing:\n      protocol: smtp\n      host: smtp.example.com\n      port: 587\n      securty: tls\n"
        "      password_command: pass show mail/work\n",
        ["lint", "accounts.yaml"], 1,
    ),
    (
        "render.md", "A target left\nwith no account to write says so",
        STARTTLS_IMAP.format(security="starttls", extra="port: 143"),
        ["render", "-t", "offlineimap", "accounts.yaml"], 1,
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("page", "after", "accounts", "args", "code"), SHOWN_OUTPUTS, ids=[f"{p}: {a[:30]}" for p, a, *_ in SHOWN_OUTPUTS]
)
def test_the_outputs_the_pages_show_are_what_mailconf_prints(  # noqa: PLR0917
    page: str, after: str, accounts: str, args: list[str], code: int, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    shown = text_block(page, after)
    if shown[0].startswith("$ "):
        assert shown.pop(0) == "$ mailconf " + " ".join(args)
    (tmp_path / "accounts.yaml").write_text(accounts, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(args) == code
    out, err = capsys.readouterr()
    assert (out.splitlines(), err.splitlines()) == (
        [line for line in shown if not line.startswith("mailconf: ")],
        [line for line in shown if line.startswith("mailconf: ")],
    )


def test_the_findings_account_file_md_shows_are_what_lint_prints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Its two examples, a shorthand IPv4 address and an unquoted min_version, in one file at their places."""
    shown = text_block("account-file.md", "`010.0.0.1` are refused") + text_block("account-file.md", "Unquoted, YAML")
    (tmp_path / "accounts.yaml").write_text(
        "version: 1\naccounts:\n  work:\n    address: alice@example.com\n    incoming:\n      protocol: imap\n"
        '      host: "127.1"\n      password_command: pass show mail/work\n      tls: {min_version: 1.2}\n',
        encoding="utf-8",
    )
    assert main(["lint", str(tmp_path / "accounts.yaml")]) == 1
    assert capsys.readouterr().out.replace(f"{tmp_path}/", "").splitlines() == [*shown, "2 errors in 1 file"]


def test_the_gap_render_md_shows_is_what_render_prints(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    [shown] = [
        line
        for line in (DOCS / "render.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("mailconf: warning: outlook-prf: ")
    ]
    (tmp_path / "accounts.yaml").write_text(STARTTLS_IMAP.format(security="tls", extra=""), encoding="utf-8")
    assert main(["render", "-t", "outlook-prf", str(tmp_path / "accounts.yaml"), "-o", str(tmp_path / "out")]) == 0
    assert shown in capsys.readouterr().err.splitlines()


def test_the_drift_import_md_shows_is_what_compare_prints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    command, *shown, echo, code = text_block("import.md", "## Drift")
    assert (command, echo) == ("$ mailconf import --from msmtp ~/.msmtprc --compare accounts.yaml", "$ echo $?")
    (tmp_path / ".msmtprc").write_text(
        "account alice\nhost smtp.example.com\nport 587\ntls on\ntls_starttls on\nauth on\nuser alice@example.com\n"
        "from alice@example.com\npasswordeval pass show mail/alice\n",
        encoding="utf-8",
    )
    (tmp_path / "accounts.yaml").write_text(
        "version: 1\naccounts:\n"
        "  alice:\n    address: alice@example.com\n"
        "    outgoing: {protocol: smtp, host: smtp.example.com, port: 465, password_command: pass show mail/alice}\n"
        "  bob:\n    address: bob@example.com\n"
        "    outgoing: {protocol: smtp, host: smtp.example.com, port: 465, password_command: pass show mail/bob}\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    assert main(["import", "--from", "msmtp", ".msmtprc", "--compare", "accounts.yaml"]) == int(code)
    assert capsys.readouterr() == ("".join(line + "\n" for line in shown), "")


#: An account file of two accounts, for the lines the pages quote.
HOME_AND_WORK = (
    "version: 1\naccounts:\n"
    "  home:\n    address: alice@example.org\n"
    "    outgoing: {protocol: smtp, host: smtp.example.org, password_command: pass show home}\n"
    "  work:\n    address: alice@example.com\n"
    "    outgoing: {protocol: smtp, host: smtp.example.com, password_command: pass show work}\n"
)

#: Lines the pages quote as mailconf's, each with its page, the command that prints it (its last line on standard
#: error), the files it needs and its exit code.
QUOTED_LINES = [
    ("exit-codes.md", "mailconf: accounts.yaml: no such file; check the path", ["lint", "accounts.yaml"], {}, 2),
    (
        "exit-codes.md",
        "mailconf: accounts.yaml: --output-file names accounts.yaml, a file being checked; choose another file",
        ["lint", "accounts.yaml", "--output-file", "accounts.yaml"], {"accounts.yaml": "version: 1\n"}, 2,
    ),
    (
        "exit-codes.md", "mailconf: FILE: not served: fix the errors above first (`mailconf lint FILE`)",
        ["serve", "FILE"], {"FILE": "version: 1\naccounts: [\n"}, 1,
    ),
    (
        "exit-codes.md", "mailconf: .msmtprc: -o names .msmtprc, a file being imported; choose another file",
        ["import", "--from", "msmtp", ".msmtprc", "-o", ".msmtprc", "--force"],
        {".msmtprc": "account work\nhost smtp.example.com\nfrom work@example.com\n"}, 2,
    ),
    (
        "exit-codes.md", "mailconf: --config '': an empty path names no file (an unset variable?); name a file",
        ["lint", "--config", "", "accounts.yaml"], {"accounts.yaml": "version: 1\n"}, 2,
    ),
    (
        "render.md",
        "Error: Invalid value for '--jobs' / '-j': 0 is not a number of processes: use 1 or more (1: none), or auto",
        ["render", "-t", "all", "-j", "0", "accounts.yaml", "-o", "out"], {"accounts.yaml": HOME_AND_WORK}, 2,
    ),
    (
        "render.md", "mailconf: no account named wrok (did you mean work? accounts: home, work)",
        ["render", "-t", "msmtp", "accounts.yaml", "-a", "wrok"], {"accounts.yaml": HOME_AND_WORK}, 2,
    ),
    (
        "render.md", "mailconf: --force replaces files on disk: name the directory with -o DIR",
        ["render", "-t", "msmtp", "accounts.yaml", "--force"], {"accounts.yaml": HOME_AND_WORK}, 2,
    ),
    (
        "render.md", "mailconf: --option version: given twice (0.14, then 0.20); give it once",
        ["render", "-t", "aerc", "accounts.yaml", "--option", "version=0.14", "--option", "version=0.20"],
        {"accounts.yaml": HOME_AND_WORK}, 2,
    ),
    (  # discover and import refuse an existing -o FILE whatever it holds, not only one "with other content"
        "render.md",
        "mailconf: refusing to replace accounts.yaml: it exists; use --force to replace it (a .bak copy is kept)",
        ["import", "--from", "msmtp", ".msmtprc", "-o", "accounts.yaml"],
        {".msmtprc": "account work\nhost smtp.example.com\nfrom work@example.com\n", "accounts.yaml": ""}, 2,
    ),
    (
        "lint.md", "mailconf: -: no such file; only lint reads standard input as -, name the account file",
        ["render", "-t", "msmtp", "-"], {}, 2,
    ),
    (
        "lint.md", "mailconf: --diff writes nothing: use it without --output-file and --write-baseline",
        ["lint", "--diff", "--output-file", "report.txt", "accounts.yaml"], {"accounts.yaml": HOME_AND_WORK}, 2,
    ),
    (
        "discover.md",
        "mailconf: --ca-file '': an empty path names no file (an unset variable?); name a PEM file of CA certificates",
        ["discover", "alice@example.com", "--ca-file", ""], {}, 2,
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("page", "line", "args", "files", "code"), QUOTED_LINES, ids=[f"{p}: {line[:60]}" for p, line, *_ in QUOTED_LINES]
)
def test_the_lines_the_pages_quote_are_what_mailconf_prints(  # noqa: PLR0917
    page: str, line: str, args: list[str], files: dict[str, str], code: int, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    text = " ".join((DOCS / page).read_text(encoding="utf-8").split())
    assert f"`{line}`" in text or f"`` {line} ``" in text  # a line holding backticks is quoted in double ones
    for name, content in files.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(args) == code
    assert capsys.readouterr().err.splitlines()[-1] == line


#: A clientConfig file of ``other.example`` whose one IMAP server's user name has spaces around it.
OTHER_PROVIDERS_FILE = (
    '<clientConfig version="1.1"><emailProvider id="other.example"><domain>other.example</domain>'
    '<incomingServer type="imap"><hostname>imap.other.example</hostname><port>993</port><socketType>SSL</socketType>'
    "<username> alice </username><authentication>password-cleartext</authentication></incomingServer>"
    "</emailProvider></clientConfig>\n"
)

#: Parts of lines the pages quote as mailconf's (in backticks, the rest of the line left out), each with its page, the
#: command that prints it on standard error (``{closed}``: a loopback UDP port where nothing listens, for a DNS server
#: that refuses at once), the files it needs and its exit code.
QUOTED_PARTS = [
    (
        "discover.md", 'the file is for "other.example" (its <domain> elements), not example.com',
        ["discover", "alice@example.com", "--ispdb", "ispdb", "--no-probe", "--dns-server", "{closed}",
         "--timeout", "5"],
        {"ispdb/example.com.xml": OTHER_PROVIDERS_FILE}, 1,
    ),
    (
        "discover.md",
        'username " alice " has white space around it: trimmed, where Thunderbird logs in with it as written; check it',
        ["import", "--from", "autoconfig", "config-v1.1.xml"], {"config-v1.1.xml": OTHER_PROVIDERS_FILE}, 1,
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("page", "part", "args", "files", "code"), QUOTED_PARTS, ids=[f"{p}: {part[:60]}" for p, part, *_ in QUOTED_PARTS]
)
def test_the_parts_of_lines_the_pages_quote_are_what_mailconf_prints(  # noqa: PLR0917
    page: str, part: str, args: list[str], files: dict[str, str], code: int, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    """A message's quoting (double quotes, as YAML writes a value) is what the page shows too."""
    text = " ".join((DOCS / page).read_text(encoding="utf-8").split())
    assert f"`{part}" in text or f"{part}`" in text
    for name, content in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(content, encoding="utf-8")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"127.0.0.1:{sock.getsockname()[1]}"
    monkeypatch.chdir(tmp_path)
    assert main([arg.format(closed=closed) for arg in args]) == code
    assert part in capsys.readouterr().err


def test_architecture_md_names_every_module_contract_check_and_importer() -> None:
    """The layout block lists every module and package of mailconf/, the contract's table every check of
    tests/targets/test_contract.py, and the Importers section every registered importer."""
    from mailconf.importers import IMPORTERS

    text = (DOCS / "architecture.md").read_text(encoding="utf-8")
    start = text.index("```\nmailconf/\n")
    layout = text[start : text.index("```\n", start + 4)]
    package = ROOT / "mailconf"
    modules = [p.stem for p in package.glob("*.py") if not p.stem.startswith("__")]
    modules += [f"{p.name}/" for p in package.iterdir() if (p / "__init__.py").is_file()]
    assert [m for m in sorted(modules) if m not in layout] == []
    contract = (ROOT / "tests" / "targets" / "test_contract.py").read_text(encoding="utf-8")
    checks = re.findall(r"^def (check_\w+)\(", contract, flags=re.MULTILINE)
    assert [c for c in checks if f"| `{c}` |" not in text] == []
    importers = text[text.index("## Importers") : text.index("registered explicitly in")]
    assert [name for name in sorted(IMPORTERS) if f"`{name}`" not in importers] == []


# --- every command's --help and the page that documents it ----------------------------------

#: The page of the manual that documents each command's options.
COMMAND_PAGES = {
    "lint": "lint.md", "rules": "lint.md", "explain": "lint.md", "schema": "account-file.md", "render": "render.md",
    "targets": "render.md", "probe": "probe.md", "discover": "discover.md", "import": "import.md", "serve": "serve.md",
}  # fmt: skip


def options(command: click.Command) -> list[click.Option]:
    return [p for p in command.params if isinstance(p, click.Option) and p.name != "help"]


def test_every_command_has_its_page() -> None:
    assert set(COMMAND_PAGES) == set(cli.commands)


def test_every_option_has_plain_help_and_a_repeatable_one_says_so() -> None:
    """--help is read on a terminal: no reST markup; an option that may be given several times says so."""
    problems = []
    for name, command in cli.commands.items():
        for option in options(command):
            text = option.help or ""
            if not text:
                problems.append(f"{name} {option.opts[0]}: no help")
            if re.search(r"``|:[a-z]+:`", text):
                problems.append(f"{name} {option.opts[0]}: reST markup")
            if option.multiple and "repeatable" not in text:
                problems.append(f"{name} {option.opts[0]}: does not say it is repeatable")
    assert problems == []


def test_every_option_with_a_default_value_shows_it_in_help() -> None:
    """`targets --format` said [default: text] and `rules --format`, `import --format` did not: a newcomer comparing
    the two could not tell what `rules` prints without the option."""
    silent = []
    for name, command in cli.commands.items():
        context = click.Context(command, info_name=name)
        for option in options(command):
            record = option.get_help_record(context)
            assert record is not None
            takes_a_value = not (option.is_flag or option.multiple or option.required)
            if takes_a_value and option.default not in {None, (), False} and "default" not in record[1]:
                silent.append(f"{name} {option.opts[0]}")
    assert silent == []


def test_help_words_a_newcomer_stumbled_on_are_spelt_out() -> None:
    """`--fix` said "(-: print the fixed text)" and `--jobs` "auto: one per CPU (...), large files": read cold, neither
    said when (PATH - ; a file large enough, else one process)."""
    helps = {
        (name, o.opts[0]): " ".join((o.help or "").split()) for name, c in cli.commands.items() for o in options(c)
    }
    assert "PATH - (standard input): print the fixed text" in helps["lint", "--fix"]
    assert "auto: one per CPU (a container's CPU limit counts) for a large file, else one" in helps["render", "--jobs"]


def test_renders_option_help_names_every_key_a_target_takes() -> None:
    text = next(o for o in options(cli.commands["render"]) if o.name == "options").help or ""
    keys = text[text.index("Keys: ") + len("Keys: ") : text.index(" (")].split(", ")
    assert keys == sorted({key for target in TARGETS.values() for key in target.OPTIONS})


def test_every_option_is_on_its_commands_page() -> None:
    missing = []
    for name, command in cli.commands.items():
        page = (DOCS / COMMAND_PAGES[name]).read_text(encoding="utf-8")
        for option in options(command):
            if not any(re.search(rf"(?<![\w-]){re.escape(form)}(?![\w-])", page) for form in option.opts):
                missing.append(f"{name} {option.opts[0]}: not on {COMMAND_PAGES[name]}")
    assert missing == []


@pytest.mark.parametrize("name", ["render", "probe", "discover"])
def test_the_synopsis_of_a_page_names_every_option_as_help_does(name: str) -> None:
    """The usage block at the top of render.md, probe.md and discover.md: every option, with --help's metavar (a
    choice may be written out, ``--format text|json``, or named, ``--color WHEN``)."""
    text = (DOCS / COMMAND_PAGES[name]).read_text(encoding="utf-8")
    start = text.index(f"```\nmailconf {name} ") + 4
    synopsis = " ".join(text[start : text.index("```", start)].split())
    command = cli.commands[name]
    context = click.Context(command, info_name=name)
    wrong = []
    for option in options(command):
        record = option.get_help_record(context)
        assert record is not None
        metavar = "" if option.is_flag else " " + record[0].rsplit(" ", 1)[1]
        spelt = [re.escape(metavar)]
        if isinstance(option.type, click.Choice):
            spelt = [re.escape(" " + "|".join(map(str, option.type.choices))), " [A-Z]+"]
        pattern = rf"(?<![\w-])(?:{'|'.join(map(re.escape, option.opts))})(?:{'|'.join(spelt)})(?![\w-])"
        if not re.search(pattern, synopsis):
            wrong.append(f"{option.opts[0]}{metavar}")
    assert wrong == []


def test_probes_help_says_a_directory_is_read_as_lint_reads_it(capsys: pytest.CaptureFixture[str]) -> None:
    """probe.md says a directory names its account files as for lint; `probe --help` said only FILE..."""
    assert main(["probe", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "FILE is an account file or a directory (its account files, recursively, as lint finds them" in text
    assert "SHA-256 pin and chain" not in text  # Python before 3.13 shows the server's own certificate only


def test_the_exit_codes_in_mailconfs_help_name_each_command_whose_1_is_not_findings() -> None:
    """docs/exit-codes.md's row for 1 says what it means per command; ``mailconf --help`` names each command whose 1
    is not a finding at the fail level."""
    row = next(
        line for line in (DOCS / "exit-codes.md").read_text(encoding="utf-8").splitlines() if line.startswith("| 1 |")
    )
    commands = re.findall(r"(?:[.;)] |\| )`([a-z]+(?: --[a-z-]+)?)`(?:, `[a-z]+`)*:", row)
    summary = " ".join((cli.help or "").split())
    clause = summary[summary.index("; 1 findings at or above the fail level (") : summary.index("; 2 usage")]
    assert [c for c in dict.fromkeys(commands) if c not in {"lint", "probe"} and f"{c}: " not in clause] == []
    assert len(commands) > 4  # the pattern still finds the row's commands


def test_imports_help_names_the_place_its_warnings_give(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".msmtprc").write_text("account work\nhost smtp.example.com\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["import", "--from", "msmtp", ".msmtprc"]) == 1
    assert re.match(r"mailconf: warning: \.msmtprc:\d+:\d+: ", capsys.readouterr().err)
    assert "a warning naming FILE:LINE:COL." in " ".join((cli.commands["import"].help or "").split())


def test_imports_help_gives_exit_1_for_a_file_of_which_no_account_could_be_imported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """import.md's exit 1 is also "no account could be imported (nothing written)"; --help named warnings only."""
    (tmp_path / ".msmtprc").write_text("account work\nhost smtp.example.com\ntimeout 99999\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["import", "--from", "msmtp", ".msmtprc"]) == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        "mailconf: .msmtprc: no account could be imported (the reasons are above); nothing written"
    )
    help_text = " ".join((cli.commands["import"].help or "").split())
    assert "1 imported with warnings, or no account could be imported (nothing written)" in help_text


def test_the_version_option_lint_md_lists_is_mailconfs_own(capsys: pytest.CaptureFixture[str]) -> None:
    import mailconf

    assert main(["-V"]) == 0
    assert capsys.readouterr().out == f"mailconf, version {mailconf.__version__}\n"
    assert main(["lint", "-V"]) == 2
    assert capsys.readouterr().err.splitlines()[-1] == "Error: No such option '-V'."
    row = next(line for line in (DOCS / "lint.md").read_text(encoding="utf-8").splitlines() if "`--version`" in line)
    assert (
        "an option of `mailconf` itself, before the command (`mailconf -V`; "
        "after the command, as in `lint -V`, it is a usage error" in row
    )


#: ``mailconf COMMAND ...`` up to where a shell would end it (a pipe, ``;``, ``&&``, a redirection, a comment).
COMMAND_LINE = re.compile(rf"mailconf ({'|'.join(map(re.escape, cli.commands))})\b([^`\n|;&>#]*)")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_command_line_of_the_manual_names_options_its_command_has(page: Path) -> None:
    unknown = []
    for match in COMMAND_LINE.finditer(page.read_text(encoding="utf-8")):
        name, rest = match.groups()
        known = {"-h", "--help", *(form for option in cli.commands[name].params for form in option.opts)}
        unknown += [
            f"mailconf {name} {t}" for t in re.findall(r"(?<![\w-])(--?[a-zA-Z][\w-]*)", rest) if t not in known
        ]
    assert unknown == []


#: a fenced code block, and an inline code span (one or more backticks, which may wrap over a line)
FENCED = re.compile(r"^[ \t]*(`{3,}|~{3,})[^\n]*\n(.*?)^[ \t]*\1[ \t]*$", re.MULTILINE | re.DOTALL)
INLINE = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.DOTALL)
#: ``python`` run as a command: Debian 12 has no ``python`` outside a venv (python3, /usr/bin/python3 are fine)
BARE_PYTHON = re.compile(r"(?<![\w./-])python(?=[ \t]|$)", re.MULTILINE)


def bare_python(text: str) -> list[str]:
    """``LINE: CODE`` for each code block or inline code span of a Markdown page that runs a bare ``python``."""
    found: list[str] = []

    def check(code: str, start: int) -> None:
        for match in BARE_PYTHON.finditer(code):
            line = text.count("\n", 0, start + match.start()) + 1
            end = code.find("\n", match.start())
            found.append(f"{line}: {code[match.start() : end if end >= 0 else None]}")

    prose: list[str] = []
    last = 0
    for block in FENCED.finditer(text):
        check(block.group(2), block.start(2))
        prose.append(text[last : block.start()])
        prose.append(re.sub(r"[^\n]", " ", block.group()))  # keeps every offset of the page
        last = block.end()
    prose.append(text[last:])
    for span in INLINE.finditer("".join(prose)):
        check(span.group(2), span.start(2))
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_page_runs_a_bare_python(page: Path) -> None:
    """``python3 -m ...``, never ``python -m ...``: a reader on Debian 12 has no ``python`` outside a venv."""
    assert bare_python(page.read_text(encoding="utf-8")) == []


def test_bare_python_finds_the_command_in_blocks_and_inline_code_only() -> None:
    page = (
        "Run `python -m mailconf.docgen`, or ``python x.py``; in prose python is a word.\n"
        "```sh\n"
        "python3 -m pytest   # fine\n"
        "/usr/bin/python3 -m venv .venv && .venv/bin/python -m pip install .\n"
        "python -m mailconf.docgen --check\n"
        "```\n"
        "`python3-venv`, `python3 -m x`, a `python\n-m y` wrapped, `mypython z`.\n"
    )
    assert bare_python(page) == [
        "5: python -m mailconf.docgen --check",
        "1: python -m mailconf.docgen",
        "1: python x.py",
        "7: python",
    ]


# --- the docstring dialect -------------------------------------------------------------------


def test_markdown_of_a_rule_docstring() -> None:
    doc = """Summary line.

    Fix: ``security: tls`` and a ``<port>``.

    Failing::

        incoming: {port: 143}
    Passing::

        incoming: {port: 993}
    """
    assert docgen.markdown(doc, code="yaml") == (
        "Summary line.\n\nFix: `security: tls` and a `<port>`.\n\nFailing:\n\n```yaml\nincoming: {port: 143}\n```\n\n"
        "Passing:\n\n```yaml\nincoming: {port: 993}\n```\n"
    )


def test_markdown_titles_wrapped_table_rows_and_literals_holding_backticks() -> None:
    doc = """Lead, 1 << 2, *emphasis*, **bold.** hotmail.* and live.*.

    What it writes
    --------------

    | YAML | rc |
    |---|---|
    | ``a`` | ``x = "`cmd`"``, then
      more |

    ::

        mailconf render
    """
    assert docgen.markdown(doc, code="sh") == (
        "Lead, 1 &lt;&lt; 2, *emphasis*, **bold.** hotmail.\\* and live.\\*.\n\n"
        "## What it writes\n\n| YAML | rc |\n|---|---|\n"
        '| `a` | `` x = "`cmd`" ``, then more |\n\n```sh\nmailconf render\n```\n'
    )


# --- links ----------------------------------------------------------------------------------

FENCE = re.compile(r"^(```|~~~).*?^\1\s*$", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.DOTALL)
LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def slug(heading: str) -> str:
    """The anchor GitHub makes from a heading: its text, lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link counts by its text
    text = text.replace("`", "").replace("*", "")
    return re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    seen: dict[str, int] = {}
    out = set()
    for heading in HEADING.findall(FENCE.sub("", markdown)):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        out.add(base if count == 0 else f"{base}-{count}")
    return out


def links(markdown: str) -> list[str]:
    return LINK.findall(CODE_SPAN.sub("", FENCE.sub("", markdown)))


def test_slugs_are_githubs() -> None:
    assert slug("`--check`: are the committed files up to date?") == "--check-are-the-committed-files-up-to-date"
    assert slug("Several targets at once: `-t T -t T…` or `-t all`") == "several-targets-at-once--t-t--t-t-or--t-all"
    assert slug("MC101 cleartext-credentials") == "mc101-cleartext-credentials"
    assert anchors("# A\n## A\n```\n# not a heading\n```\n## A\n") == {"a", "a-1", "a-2"}


def test_links_are_found_outside_code_only() -> None:
    text = "[a](x.md) `[b](y.md)` [c `d`](z.md#e) ![i](p.png)\n```\n[f](g.md)\n```\n[h](https://example.org)"
    assert links(text) == ["x.md", "z.md#e", "p.png", "https://example.org"]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_and_anchor_resolves(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    broken = []
    for link in links(text):
        if re.match(r"[a-z][a-z0-9+.-]*:", link):  # https:, mailto:: not ours to check offline
            continue
        target, _, fragment = link.partition("#")
        path = (page.parent / target).resolve() if target else page
        if not path.exists():
            broken.append(f"{link}: no such file")
        elif fragment and path.suffix == ".md" and fragment not in anchors(path.read_text(encoding="utf-8")):
            broken.append(f"{link}: no such anchor")
    assert broken == []


def test_every_page_of_the_manual_is_reachable_from_the_readme() -> None:
    reached = {ROOT / "README.md"}
    todo = [ROOT / "README.md"]
    while todo:
        page = todo.pop()
        for link in links(page.read_text(encoding="utf-8")):
            target = link.partition("#")[0]
            if not target or ":" in target:
                continue
            path = (page.parent / target).resolve()
            found = [path] if path.suffix == ".md" else sorted(path.glob("*.md")) if path.is_dir() else []
            for md in found:
                if md not in reached and md.is_file():
                    reached.add(md)
                    todo.append(md)
    assert sorted(set(PAGES) - reached) == []
