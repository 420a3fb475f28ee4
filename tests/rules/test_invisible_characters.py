"""MC713: bidirectional controls and invisible format characters, where they are written (Trojan Source)."""

from __future__ import annotations

import json
import sys
import time
import unicodedata
from pathlib import Path

import pytest

from mailconf import loader
from mailconf.document import Document, load_document
from mailconf.lint import refusal
from mailconf.model import Finding
from mailconf.rules import mc713_bidi_or_invisible_character as MC713
from tests.rules.helpers import account, findings_of
from tests.test_cli import run_mailconf

#: what every message says after the character's name
REORDERS = (
    "a bidirectional control: it reorders the text shown after it, so what a review or a mail client shows is not "
    "what is written (Trojan Source); remove it"
)
HIDES = "an invisible character: the text reads as it would without it, and is not the same; remove it"
JOINER = (
    "an invisible character (allowed only in display_name and organization, between two letters or emoji that are "
    "not ASCII); remove it"
)

EVERYWHERE = (
    "version: 1\n"
    "defaults:\n"
    '  outgoing: {password_command: "pass show mail\u2067 \u2069"}\n'  # 3: U+2067, U+2069 in a flow value
    "accounts:\n"
    "  wo\u202erk:\n"  # 5: in an account's name (a key)
    "    address: evil\u202emoc.elgoog@example.com  # n\u200bo\n"  # 6: raw in a plain value, and in a comment
    '    display_name: "Ali\\u200Bce"\n'  # 7: written as an escape, in a double-quoted value
    "    organization: &org !!str 'Ex\u00adample'\n"  # 8: after an anchor and a tag, single-quoted
    "    incoming:\n"
    "      protocol: imap\n"
    "      host: imap.example.com\n"
    "      username: |\n"
    "        al\ufeffice\n"  # 13: in a block scalar
    '      mechanisms: [plain, "x\\U0000200E"]\n'  # 14: a list item, an 8-digit escape
)


def test_mc713_finds_each_character_where_it_is_written_and_names_it() -> None:
    assert findings_of("MC713", EVERYWHERE) == [
        (3, 47, "error", f"defaults.outgoing.password_command holds U+2067 RIGHT-TO-LEFT ISOLATE, {REORDERS}"),
        (3, 49, "error", f"defaults.outgoing.password_command holds U+2069 POP DIRECTIONAL ISOLATE, {REORDERS}"),
        (5, 5, "error", f"the key `wo\\u202erk` in accounts holds U+202E RIGHT-TO-LEFT OVERRIDE, {REORDERS}"),
        (6, 18, "error", f"account `wo\\u202erk`: address holds U+202E RIGHT-TO-LEFT OVERRIDE, {REORDERS}"),
        (6, 46, "warning", f"a comment holds U+200B ZERO WIDTH SPACE, {HIDES}"),
        (7, 23, "warning", "account `wo\\u202erk`: display_name holds U+200B ZERO WIDTH SPACE (written as an escape), "
         f"{HIDES}"),
        (8, 33, "warning", f"account `wo\\u202erk`: organization holds U+00AD SOFT HYPHEN, {HIDES}"),
        (13, 11, "warning", "account `wo\\u202erk`: incoming.username holds U+FEFF ZERO WIDTH NO-BREAK SPACE, "
         f"{HIDES}"),
        (14, 29, "warning", "account `wo\\u202erk`: incoming.mechanisms[1] holds U+200E LEFT-TO-RIGHT MARK (written "
         f"as an escape), {HIDES}"),
    ]  # fmt: skip


def test_mc713_fails_the_rules_own_failing_example_at_the_escape() -> None:
    text = account("""\
        display_name: Alice
        password_command: "pass show\\u202E mail"
    """)
    assert findings_of("MC713", text) == [
        (6, 33, "error", f"account `work`: password_command holds U+202E RIGHT-TO-LEFT OVERRIDE (written as an "
         f"escape), {REORDERS}"),
    ]  # fmt: skip


def test_mc713_a_value_shared_through_an_alias_is_one_finding_where_written() -> None:
    text = (
        "version: 1\naccounts:\n"
        '  a:\n    address: a@example.com\n    display_name: &name "Al\u202eice"\n'
        "  b:\n    address: b@example.com\n    display_name: *name\n"
    )
    assert findings_of("MC713", text) == [
        (5, 28, "error", f"account `a`: display_name holds U+202E RIGHT-TO-LEFT OVERRIDE, {REORDERS}"),
    ]


@pytest.mark.parametrize(
    "name",
    [
        "Alice \U0001f469\u200d\U0001f4bb",  # woman technologist: an emoji ZWJ sequence
        "\U0001f469\U0001f3fd\u200d\U0001f4bb Alice",  # with a skin tone modifier before the joiner
        "\u2764\ufe0f\u200d\U0001f525",  # heart on fire: a variation selector before the joiner
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # Persian "I want": ZWNJ after the prefix mi-
        "\u0915\u094d\u200d\u0937",  # Devanagari: ZWJ after a virama
        "Alice \U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",  # flag of England: tags
    ],
)
@pytest.mark.parametrize("key", ["display_name", "organization"])
def test_mc713_passes_joiners_and_flag_tags_that_are_part_of_a_name(key: str, name: str) -> None:
    assert findings_of("MC713", account(f"{key}: {json.dumps(name)}\n")) == []


@pytest.mark.parametrize(
    ("key", "value", "column", "name"),
    [
        ("display_name", "Pay\u200dPal", 23, "U+200D ZERO WIDTH JOINER"),  # between ASCII letters: it only hides
        ("display_name", "\u200c\u0645\u06cc", 20, "U+200C ZERO WIDTH NON-JOINER"),  # at the start
        ("organization", "\u0645\u06cc\u200c", 22, "U+200C ZERO WIDTH NON-JOINER"),  # at the end
        ("display_name", "\U0001f469 \u200d\U0001f4bb", 22, "U+200D ZERO WIDTH JOINER"),  # next to a space
        ("address", "al\u0645\u200d\u0645ice@example.com", 18, "U+200D ZERO WIDTH JOINER"),  # in any other setting
    ],
)
def test_mc713_flags_joiners_anywhere_else(key: str, value: str, column: int, name: str) -> None:
    head = "version: 1\naccounts:\n  work:\n"
    address = "" if key == "address" else "    address: alice@example.com\n"
    text = f"{head}{address}    {key}: {json.dumps(value, ensure_ascii=False)}\n"
    line = 4 if key == "address" else 5
    assert findings_of("MC713", text) == [(line, column, "warning", f"account `work`: {key} holds {name}, {JOINER}")]


def test_mc713_leaves_a_literal_password_to_mc401() -> None:
    """Where a password's characters are, and which they are, is part of the secret."""
    text = account('incoming: {protocol: imap, host: imap.example.com, password: "hun\u202eter2"}\n')
    assert findings_of("MC713", text) == []
    assert [rule for rule, *_ in _rules(text)] == ["MC401"]


def _rules(text: str) -> list[tuple[str, int, int]]:
    from tests.conftest import lint_text

    return [(f.rule, f.location.line, f.location.column) for f in lint_text(text)]


def test_mc713_passes_a_file_without_one() -> None:
    text = account("display_name: \"Al\\\\u202Eice \\\\x41\"\npassword_command: printf '\\x41\\u00e9'\n")
    assert findings_of("MC713", text) == []


def test_mc713_is_suppressed_on_its_line_and_refuses_no_render() -> None:
    name = 'display_name: "Al\u202eice"'
    server = "incoming: {protocol: imap, host: imap.example.com}\n"
    text = account(f"{name}  # mailconf: disable=MC713 written so on purpose\n{server}")
    assert findings_of("MC713", text) == []
    doc = load_document("a.yaml", account(f"{name}\n{server}").encode())
    assert [(f.rule, f.severity.label) for f in _document_findings(doc)] == [("MC713", "error")]
    assert refusal(doc) == ()


def _document_findings(doc: Document) -> list[Finding]:
    from mailconf.lint import document_findings

    return document_findings(doc)


def test_mc713_knows_every_format_character_of_this_python() -> None:
    """The character class is written out (Unicode 15.1); it must hold every Cf character unicodedata knows, and
    nothing that is not one (or is unassigned in this Python's Unicode)."""
    every = [chr(c) for c in range(sys.maxunicode + 1)]
    assert [c for c in every if unicodedata.category(c) == "Cf" and not MC713.FORMAT.match(c)] == []
    assert [c for c in every if MC713.FORMAT.match(c) and unicodedata.category(c) not in ("Cf", "Cn")] == []


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_mc713_no_format_carries_the_character(tmp_path: Path, fmt: str) -> None:
    (tmp_path / "a.yaml").write_text(EVERYWHERE, encoding="utf-8")
    outcome = run_mailconf("lint", "--format", fmt, "a.yaml", cwd=tmp_path)
    assert outcome.code == 1
    assert MC713.FORMAT.search(outcome.stdout) is None
    assert outcome.stderr == (
        "mailconf: note: a.yaml:9:5: not checked: `incoming` of account `wo\\u202erk`: it does not match the schema; "
        "fix its MC002 findings and lint again\n"
    )
    said = f"account `wo\\u202erk`: address holds U+202E RIGHT-TO-LEFT OVERRIDE, {REORDERS}"
    if fmt == "json":
        assert {"line": 6, "column": 18, "rule": "MC713", "severity": "error", "message": said}.items() <= next(
            f for f in json.loads(outcome.stdout) if f["line"] == 6 and f["rule"] == "MC713"
        ).items()
    elif fmt == "sarif":
        results = json.loads(outcome.stdout)["runs"][0]["results"]
        assert {"text": said} in [r["message"] for r in results if r["ruleId"] == "MC713"]
    elif fmt == "github":
        assert f"::error file=a.yaml,line=6,col=18,title=MC713 bidi-or-invisible-character::{said}" in outcome.stdout
    else:
        assert f"a.yaml:6:18: error MC713 bidi-or-invisible-character: {said}\n" in outcome.stdout


def test_mc713_finds_tag_characters_outside_a_flag_beyond_the_basic_plane() -> None:
    """Tag characters spell text that nothing shows ("ASCII smuggling"); only a flag's tag sequence is a name's."""
    text = account(
        'display_name: "Alice\U000e0068"\nincoming: {protocol: imap, host: imap.example.com}  # \U000e0069\n'
    )
    assert findings_of("MC713", text) == [
        (5, 25, "warning", f"account `work`: display_name holds U+E0068 TAG LATIN SMALL LETTER H, {HIDES}"),
        (6, 59, "warning", f"a comment holds U+E0069 TAG LATIN SMALL LETTER I, {HIDES}"),
    ]


@pytest.mark.parametrize(
    "value",
    [
        "|  # a comment\u202e\n      Al\u202eice\n",  # a block scalar's header line
        ">-  # a comment\u202e\n      Al\u202eice\n",
        '&name  # a comment\u202e\n      "Al\u202eice"\n',  # between an anchor and the value on the next line
        '!!str # a comment\u202e\n      "Al\u202eice"\n',
    ],
)
def test_mc713_a_comment_before_a_value_is_the_comments(value: str) -> None:
    """A comment on a block scalar's header line, or after the anchor or tag of a value written on the next line,
    is not the value: each character is named where it is written, as what holds it."""
    text = account(f"display_name: {value}incoming: {{protocol: imap, host: imap.example.com}}\n")
    column = value.index("\u202e") + 19
    assert findings_of("MC713", text) == [
        (5, column, "error", f"a comment holds U+202E RIGHT-TO-LEFT OVERRIDE, {REORDERS}"),
        (6, 13 + value.split("\n")[1].startswith('      "'), "error",
         f"account `work`: display_name holds U+202E RIGHT-TO-LEFT OVERRIDE, {REORDERS}"),
    ]  # fmt: skip


def test_mc713_many_characters_are_each_found_once_in_linear_time() -> None:
    """Each kept value searched every character of the file, and each finding counted the lines before it: 8,000
    values holding a zero-width space (text pasted from a web page) took 3 s of CPU to load, 20,000 took 60 s."""
    count = 20_000
    text = "version: 1\naccounts:\n" + "".join(
        f"  a{n}:\n    address: a{n}@example.com\n    display_name: A\u200b{n}  # \u200b\n" for n in range(count)
    )
    began = time.process_time()
    problems = loader.load(text.encode()).problems
    spent = time.process_time() - began
    assert len(problems) == 2 * count
    assert [(p.rule, p.line, p.column, p.message) for p in problems[-2:]] == [
        ("MC713", 3 * count + 2, 20, f"account `a{count - 1}`: display_name holds U+200B ZERO WIDTH SPACE, {HIDES}"),
        ("MC713", 3 * count + 2, 30, f"a comment holds U+200B ZERO WIDTH SPACE, {HIDES}"),
    ]
    assert spent < 6, f"{spent:.1f} s of CPU"  # under 1 s; 60 s when it was quadratic
