"""The catalogue as a whole: every rule documented, registered, listed and explained."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from mailconf.catalogue import entries, lookup
from mailconf.cli import main
from mailconf.docgen import plain_text
from mailconf.document import Document, load_document
from mailconf.lint import document_findings, refusal
from mailconf.model import Severity
from mailconf.rules import _MODULES, RULES, STILL_READ
from tests.conftest import lint_text

ROOT = Path(__file__).resolve().parents[2]
IDS = sorted(RULES)


def test_every_rule_module_is_registered() -> None:
    """A rule module that is not imported and listed in mailconf/rules/__init__.py would be silently dead."""
    on_disk = sorted(p.stem for p in (ROOT / "mailconf" / "rules").glob("mc[0-9]*.py"))
    registered = sorted(m.__name__.rsplit(".", 1)[-1] for m in _MODULES)
    assert on_disk == registered, "import the module in mailconf/rules/__init__.py and list it in _MODULES"
    assert sorted(m.ID for m in _MODULES) == IDS


def test_the_catalogue_holds_the_rules_and_the_probe_checks() -> None:
    from mailconf.probe.checks import CHECKS

    assert list(entries()) == sorted([*RULES, *CHECKS])
    assert set(RULES).isdisjoint(CHECKS)


@pytest.mark.parametrize("module", _MODULES, ids=lambda m: m.ID)
def test_rule_module_shape(module: object) -> None:
    rule = RULES[module.ID]  # type: ignore[attr-defined]
    assert re.fullmatch(r"MC\d{3}", rule.ID)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.SLUG)
    assert isinstance(rule.SEVERITY, Severity)
    assert rule.TITLE and "\n" not in rule.TITLE and len(rule.TITLE) <= 80
    name = module.__name__.rsplit(".", 1)[-1]  # type: ignore[attr-defined]
    assert name == f"{rule.ID.lower()}_{rule.SLUG.replace('-', '_')}"
    doc = rule.__doc__ or ""
    for part in ("Why:", "Fix:", "Failing::", "Passing::", "Reference:"):
        assert part in doc, f"{rule.ID} docstring lacks {part}"
    assert doc.index("Failing::") < doc.index("Passing::") < doc.index("Reference:")


def test_ids_and_slugs_are_unique() -> None:
    assert len({m.ID for m in _MODULES}) == len(_MODULES)
    assert len({m.SLUG for m in _MODULES}) == len(_MODULES)


def test_lookup_by_id_or_slug() -> None:
    from mailconf.probe.checks import CHECKS

    assert lookup("mc604") is RULES["MC604"]
    assert lookup("Outlook-Consumer-Basic-Auth") is RULES["MC604"]
    assert lookup("starttls-not-offered") is CHECKS["MC805"]
    assert lookup("MC999") is None


def test_every_rule_has_its_own_tests() -> None:
    tests = "".join(
        p.read_text(encoding="utf-8") for p in Path(__file__).parent.glob("test_*.py") if p.name != Path(__file__).name
    )
    assert [i for i in IDS if f'"{i}"' not in tests] == []


def test_rules_lists_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:3] for line in lines] == [[r.ID, r.SLUG, r.SEVERITY.label] for r in map(RULES.get, IDS) if r]
    assert lines[IDS.index("MC101")].endswith("  Credentials sent over a connection without TLS")


def test_explain_prints_the_docstring(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "prefer-implicit-tls"]) == 0
    out = capsys.readouterr().out
    rule = RULES["MC104"]
    fix = (
        "Automatic fix (unsafe, mailconf lint --fix --unsafe-fixes): "
        "security: tls, and the implicit-TLS port when the port written is 143/110/587"
    )
    head = f"MC104 prefer-implicit-tls (default severity: warning)\n{rule.TITLE}\n{fix}\n\n"
    assert out == head + f"{plain_text(rule.__doc__ or '')}\n"
    assert "``" not in out and "Failing::" not in out and "Failing:\n" in out


def test_plain_text_drops_the_rest_markup() -> None:
    assert plain_text("Set ``security: tls``.\n\nFailing::\n\n    port: 143\n") == (
        "Set `security: tls`.\n\nFailing:\n\n    port: 143"
    )


def test_plain_text_sets_the_passing_example_apart_from_the_failing_one() -> None:
    assert plain_text("Failing::\n\n    port: 143\nPassing::\n\n    port: 993\n") == (
        "Failing:\n\n    port: 143\n\nPassing:\n\n    port: 993"
    )


def test_explain_shows_a_blank_line_between_the_examples(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "MC104"]) == 0
    out = capsys.readouterr().out
    assert "security: starttls}\n\nPassing:\n\n    incoming:" in out


def test_plain_text_reads_a_literal_wrapped_over_two_lines() -> None:
    assert plain_text("a store (``pass show x``, ``secret-tool\nlookup ...``).") == (
        "a store (`pass show x`, `secret-tool\nlookup ...`)."
    )


@pytest.mark.parametrize("entry_id", sorted(entries()))
def test_explain_shows_no_rest_markup(entry_id: str, capsys: pytest.CaptureFixture[str]) -> None:
    """What a terminal shows for every rule and probe check: no ````literal```` (MC401 and MC601 wrap one over two
    lines of their docstring) and no ``::``."""
    assert main(["explain", entry_id]) == 0
    out = capsys.readouterr().out
    assert "``" not in out
    assert [line for line in out.splitlines() if line.endswith("::")] == []


def test_explain_unknown_rule_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "MC999"]) == 2
    assert capsys.readouterr().err == (
        "mailconf: unknown rule MC999; `mailconf rules` lists them (and `mailconf rules --probe` the probe checks)\n"
    )


def test_explain_offers_the_slug_a_typo_is_close_to(capsys: pytest.CaptureFixture[str]) -> None:
    """`mailconf explain prefer-implicit` said only "unknown rule", where `mailconf lnt` says "Did you mean 'lint'?"."""
    assert main(["explain", "prefer-implicit"]) == 2
    assert capsys.readouterr().err == (
        "mailconf: unknown rule prefer-implicit (did you mean prefer-implicit-tls?); `mailconf rules` lists them "
        "(and `mailconf rules --probe` the probe checks)\n"
    )


def markdown_table(capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["rules", "--format", "markdown"]) == 0
    return capsys.readouterr().out


def test_rules_markdown_is_a_table_of_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    lines = markdown_table(capsys).splitlines()
    assert lines[:2] == ["| id | slug | default severity | fix | title |", "|---|---|---|---|---|"]
    assert (
        lines[2 + IDS.index("MC703")]
        == "| MC703 | `invalid-hostname` | error |  | Host is not a valid host name (RFC 1123) |"
    )
    assert lines[2 + IDS.index("MC004")] == (
        "| MC004 | `byte-order-mark` | warning | safe | The file starts with a byte-order mark |"
    )
    assert len(lines) == 2 + len(IDS)


@pytest.mark.parametrize("probe", [[], ["--probe"]], ids=["rules", "probe"])
def test_rules_has_the_same_columns_in_every_format(probe: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """id, slug, default severity, fix, title: in text, json and markdown alike."""
    assert main(["rules", *probe, "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert main(["rules", *probe, "--format", "markdown"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert main(["rules", *probe]) == 0
    text = capsys.readouterr().out.splitlines()
    assert table[0] == "| id | slug | default severity | fix | title |"
    assert [list(entry) for entry in listed] == [["id", "slug", "severity", "fix", "title"]] * len(listed)
    for entry, md, line in zip(listed, table[2:], text, strict=True):
        fix = entry["fix"] or ""
        assert md == f"| {entry['id']} | `{entry['slug']}` | {entry['severity']} | {fix} | {entry['title']} |"
        words = line.split(maxsplit=4 if fix else 3)
        assert words[:3] == [entry["id"], entry["slug"], entry["severity"]]
        assert words[3:] == ([f"fix:{fix}", entry["title"]] if fix else [entry["title"]])


def test_rules_page_holds_exactly_the_generated_table(capsys: pytest.CaptureFixture[str]) -> None:
    table = markdown_table(capsys)
    docs = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    start = docs.index("| id | slug |")
    end = docs.index("\n\n", start) + 1
    assert docs[start:end] == table, "regenerate: python3 -m mailconf.docgen"


#: rules whose examples are not a server or an accounts block (the document rules), or need
#: data the shipped file does not have (MC303: tested with its own data in test_providers.py)
NOT_A_SERVER_SNIPPET = {"MC001", "MC002", "MC003", "MC004", "MC005", "MC303", "MC709"}


def example(doc: str, part: str) -> str:
    """The YAML block after `part::` in a rule's docstring, as a whole document."""
    lines = doc.split(part + "::", 1)[1].splitlines()[1:]
    block = []
    for line in lines:
        if line and not line.startswith(" "):
            break
        block.append(line)
    snippet = textwrap.dedent("\n".join(block).strip("\n") + "\n")
    if snippet.startswith("accounts:"):
        return "version: 1\n" + snippet
    address = re.search(r"# address: (\S+)", snippet)
    return (
        "version: 1\naccounts:\n  work:\n"
        f"    address: {address.group(1) if address else 'alice@example.com'}\n" + textwrap.indent(snippet, "    ")
    )


@pytest.mark.parametrize("rule_id", [i for i in IDS if i not in NOT_A_SERVER_SNIPPET])
def test_docstring_examples_fail_and_pass_as_documented(rule_id: str) -> None:
    doc = RULES[rule_id].__doc__ or ""
    assert rule_id in [f.rule for f in lint_text(example(doc, "Failing"))]
    assert rule_id not in [f.rule for f in lint_text(example(doc, "Passing"))]


#: a file that raises each document rule whose docstring example is not a whole file (the others' examples are)
ACCOUNT = b"version: 1\naccounts:\n  w: {address: a@b.example, incoming: {protocol: imap, host: imap.example.com}}\n"
BEFORE_THE_MODEL = {
    "MC001": b"version: 1\naccounts: {work: [\n",
    "MC002": b"version: 1\naccounts:\n  work: {address: a@example.com}\n",
    "MC003": ACCOUNT + b"# caf\xe9\n",
    "MC004": b"\xef\xbb\xbf" + ACCOUNT,
    "MC005": ACCOUNT.replace(b"\n", b"\r\n"),
}


def read_whole(doc: Document) -> bool:
    """Whether the model holds every account as written: the file read, its shell valid, no account invalid, no key
    written twice (YAML keeps one of the two: MC701)."""
    if not isinstance(doc.data, dict) or not isinstance(doc.data.get("accounts"), dict):
        return False
    written = list(doc.data["accounts"])
    return [a.name for a in doc.model.accounts] == written and not doc.invalid_accounts and not doc.positions.shadowing


def test_a_rule_is_still_read_exactly_when_the_file_is_read_whole_with_its_findings() -> None:
    """Over every rule, from its failing example: a finding raised before the model (a document issue) leaves the
    file read whole exactly when its rule says ``STILL_READ``, which lint.refusal and the target tests ask (not a
    rule id): then it refuses nothing, even at error (MC713); otherwise, at error, render and probe refuse the file."""
    samples = [*BEFORE_THE_MODEL.values()]
    samples += [example(RULES[i].__doc__ or "", "Failing").encode() for i in IDS if i not in NOT_A_SERVER_SNIPPET]
    whole: dict[str, bool] = {}
    for sample in samples:
        doc = load_document("a.yaml", sample)
        raised = {issue.rule for issue in doc.issues}
        assert len(raised) <= 1, (sample, raised)  # one rule each: what is read whole is that rule's doing
        for rule in raised:
            whole[rule] = read_whole(doc)
            errors = [f for f in document_findings(doc) if f.severity is Severity.ERROR]
            assert bool(refusal(doc)) == (bool(errors) and not whole[rule]), rule
    assert sorted(whole) == ["MC001", "MC002", "MC003", "MC004", "MC005", "MC403", "MC701", "MC703", "MC713"]
    assert {rule for rule, read in whole.items() if read} == STILL_READ == {"MC004", "MC005", "MC713"}


#: What each rule's Reference cites: the team catalogue's references (RULES.md), each section checked
#: against the RFC's own table of contents, and what the rule's page adds for what it does differently.
REFERENCES = {
    "MC101": ("RFC 8314 sections 4.1 and 5.2", "RFC 2595 section 2.3"),
    "MC102": ("RFC 8314 sections 1 and 4.1",),
    "MC103": ("RFC 3207 section 6", "RFC 8314 section 5.2"),
    "MC104": ("RFC 8314 section 3 and appendix A", "Poddebniak et al.", "USENIX Security 2021"),
    "MC105": ("RFC 8996", "RFC 8997", "RFC 9051 section 11.1"),
    "MC201": ("RFC 8314 section 3",),
    "MC202": ("RFC 8314 section 3", "RFC 6409"),
    "MC203": ("IANA Service Name and Transport Protocol Port Number Registry",),
    # RFC 8314 section 3.1 is implicit TLS for POP; 3.3 is for SMTP submission (port 465)
    "MC204": ("RFC 6409 section 3.1", "section 4.3", "RFC 8314 section 3.3 (port 465"),
    "MC205": ("RFC 6409 section 4.3", "RFC 4954"),
    "MC301": ("RFC 6331", "RFC 7677"),
    "MC302": ("RFC 7628",),
    "MC303": ("mailconf/data/providers.json",),
    "MC401": ("CWE-798", "CWE-256"),
    "MC402": ("CWE-798",),
    "MC403": ("RFC 3986 section 3.2.1",),
    # MC501 and MC502 leave a pinned certificate to MC504: the section on pinning says why
    "MC501": ("RFC 8314 section 5.3", "CWE-295", "RFC 8314 section 5.4"),
    "MC502": ("RFC 7817", "RFC 9051 section 11.1", "RFC 8314 section 5.4"),
    "MC503": ("RFC 6125",),
    "MC504": ("RFC 8314 section 5.4",),
    "MC601": ("https://support.google.com/a/answer/14114704",),
    "MC602": ("Deprecation of Basic authentication in Exchange Online",),
    "MC603": ("MC786329",),
    "MC604": ("Modern Authentication Methods now needed",),
    "MC703": ("RFC 1123 section 2.1", "RFC 1035 section 2.3.4"),
    "MC704": ("RFC 1123 section 2.1", "RFC 6762"),
    "MC705": ("RFC 1939 sections 5 and 6",),
    "MC713": ("Unicode Standard Annex #9 section 2", "CVE-2021-42574", "RFC 5892 appendix A"),
}


@pytest.mark.parametrize("rule_id", sorted(REFERENCES))
def test_every_rule_cites_its_references(rule_id: str) -> None:
    doc = RULES[rule_id].__doc__ or ""
    reference = " ".join(doc[doc.index("Reference:") :].split())
    for cited in REFERENCES[rule_id]:
        assert cited in reference, f"{rule_id} does not cite {cited!r}: {reference}"
