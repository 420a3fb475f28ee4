"""Hostile and broken input: each gives one located finding, its exact CLI line and exit code, never a traceback.

Every case runs the real command in a subprocess (``run_mailconf`` also asserts
that stderr holds no traceback) with its address space capped at 1 GiB, so an
input that made the loader build a huge structure would crash the run instead
of passing. The 120 s subprocess timeout only guards against a hang; nothing
here asserts a duration.
"""

from __future__ import annotations

import resource
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailconf import loader
from mailconf.errors import double_quoted
from mailconf.rules import REPR_SPELT
from mailconf.rules import mc001_yaml_syntax as SYNTAX
from tests.conftest import brief, lint_text
from tests.test_cli import CLEAN, INSECURE, Outcome, run_mailconf

MEMORY_CAP = 1 << 30


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def lint_bytes(tmp_path: Path, data: bytes, name: str = "accounts.yaml") -> Outcome:
    (tmp_path / name).write_bytes(data)
    return run_mailconf("lint", name, cwd=tmp_path, preexec=_cap_memory)


def _bomb() -> bytes:
    """Nine aliases of nine aliases ... eight levels: 9**9 (387 million) strings once expanded."""
    lines = ["version: 1", "a: &a [x, x, x, x, x, x, x, x, x]"]
    previous = "a"
    for name in "bcdefghi":
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
        previous = name
    return ("\n".join(lines) + "\n").encode()


EMPTY = "error MC002 schema-violation: file is empty; write a mapping with `version: 1` and `accounts:`"
NOT_A_MAPPING = "error MC002 schema-violation: the file must be a mapping with `version: 1` and `accounts:`"
DEEP = "error MC001 yaml-syntax: nesting deeper than 64 levels; a mailconf file needs about 5"
HUGE = (
    "error MC002 schema-violation: {name} is a number of {digits} digits, far too large for any setting "
    "(mailconf reads numbers of at most 100 digits); write the intended value"
)
MC101_AT_8_17 = (
    "8:17: error MC101 cleartext-credentials: password login to imap.example.com without TLS "
    "sends the credentials in cleartext; set security: tls (port 993)"
)


def _tag(name: str) -> str:
    return (
        f'error MC001 yaml-syntax: tag "{name}" is not allowed '
        "(mailconf reads only standard YAML types and never constructs objects); remove it"
    )


# (case, file bytes, [finding lines without the "accounts.yaml:" prefix], exit code)
CASES: list[tuple[str, bytes, list[str], int]] = [
    (
        "utf8-bom",
        b"\xef\xbb\xbf" + CLEAN.encode(),
        [
            "1:1: warning MC004 byte-order-mark: file starts with a UTF-8 byte-order mark; "
            "save it as UTF-8 without a BOM"
        ],
        0,
    ),
    (
        "crlf-keeps-positions",
        INSECURE.replace("\n", "\r\n").encode(),
        ["1:11: info MC005 crlf-line-endings: CRLF line ends; convert the file to LF line ends", MC101_AT_8_17],
        1,
    ),
    ("empty", b"", [f"1:1: {EMPTY}"], 1),
    ("comment-only", b"# mail accounts go here\n", [f"1:1: {EMPTY}"], 1),
    ("blank-lines", b"\n  \n\n", [f"1:1: {EMPTY}"], 1),
    ("null-document", b"---\n...\n", [f"1:1: {EMPTY}"], 1),
    (
        "latin-1",
        CLEAN.replace("    incoming:\n", "    display_name: Ren\xe9\n    incoming:\n", 1).encode("latin-1"),
        ["5:22: error MC003 file-encoding: file is not valid UTF-8 (byte 0xE9); save it as UTF-8"],
        1,
    ),
    (
        "utf-16-with-bom",
        CLEAN.encode("utf-16"),
        ["1:1: error MC003 file-encoding: file is UTF-16 (it starts with a UTF-16 byte-order mark); save it as UTF-8"],
        1,
    ),
    (
        "utf-16-be-without-bom",
        CLEAN.encode("utf-16-be"),
        [
            "1:1: error MC003 file-encoding: file is UTF-16 (its first character is padded with a zero byte); "
            "save it as UTF-8"
        ],
        1,
    ),
    (
        "utf-32",
        CLEAN.encode("utf-32"),
        ["1:1: error MC003 file-encoding: file is UTF-32 (it starts with a UTF-32 byte-order mark); save it as UTF-8"],
        1,
    ),
    (
        "billion-laughs",
        _bomb(),
        [
            '8:8: error MC001 yaml-syntax: aliases expand to more than 1,000,000 nodes (a "billion laughs" file?); '
            "use fewer nested aliases"
        ],
        1,
    ),
    (
        "nesting-100000-flow-sequences",
        b"version: 1\naccounts: " + b"[" * 100_000 + b"]" * 100_000 + b"\n",
        [f"2:74: {DEEP}"],
        1,
    ),
    ("nesting-100000-unclosed", b"[" * 100_000, [f"1:65: {DEEP}"], 1),
    ("nesting-100000-block-sequences", b"version: 1\naccounts:\n  " + b"- " * 100_000 + b"x\n", [f"3:129: {DEEP}"], 1),
    (
        "nesting-100000-flow-mappings",
        b"version: 1\naccounts: " + b"{a: " * 100_000 + b"x" + b"}" * 100_000 + b"\n",
        [f"2:263: {DEEP}"],
        1,
    ),
    (
        "tag-python-object-new",
        b"accounts: !!python/object/new:collections.OrderedDict [[[a, b]]]\n",
        [f"1:11: {_tag('!!python/object/new:collections.OrderedDict')}"],
        1,
    ),
    ("tag-python-name", b"version: !!python/name:os.system\n", [f"1:10: {_tag('!!python/name:os.system')}"], 1),
    ("tag-on-a-key", b"!!python/name:os.system : 1\n", [f"1:1: {_tag('!!python/name:os.system')}"], 1),
    ("tag-local", b"version: 1\naccounts: !mailconf {}\n", [f"2:11: {_tag('!mailconf')}"], 1),
    ("tag-binary", b"version: !!binary aGVsbG8=\n", [f"1:10: {_tag('!!binary')}"], 1),
    ("tag-set", b"version: 1\naccounts: !!set {a, b}\n", [f"2:11: {_tag('!!set')}"], 1),
    ("tag-timestamp", b"version: !!timestamp 2001-12-14\n", [f"1:10: {_tag('!!timestamp')}"], 1),
    (
        "tag-int-mismatch",
        b"version: !!int one\n",
        ['1:10: error MC001 yaml-syntax: "one" is not a valid !!int; remove the tag or fix the value'],
        1,
    ),
    (  # the value in double quotes (errors.double_quoted), as every message shows text it did not write
        "tag-int-mismatch-escaped",
        b'version: !!int "a\\u202eb\\\\"\n',
        ['1:10: error MC001 yaml-syntax: "a\\u202eb\\\\" is not a valid !!int; remove the tag or fix the value'],
        1,
    ),
    (
        "duplicate-top-level-key",
        (CLEAN + "version: 1\n").encode(),
        [
            '12:1: error MC701 duplicate-account: duplicate key "version" (first defined at line 1); '
            "YAML keeps only one: remove or rename one"
        ],
        1,
    ),
    (
        "duplicate-account",
        (CLEAN + CLEAN.split("accounts:\n", 1)[1]).encode(),
        [
            '12:3: error MC701 duplicate-account: duplicate key "work" (first defined at line 3); '
            "YAML keeps only one: remove or rename one"
        ],
        1,
    ),
    (
        "two-documents",
        (CLEAN + "---\n" + CLEAN).encode(),
        ["12:1: error MC001 yaml-syntax: more than one YAML document (---); keep one document per file"],
        1,
    ),
    (  # a --- left at the end: it said "keep one document per file", and there is no second one to move
        "empty-second-document",
        (CLEAN + "---\n# the end\n\n").encode(),
        ["12:1: error MC001 yaml-syntax: a --- with nothing after it starts an empty second YAML document; remove it"],
        1,
    ),
    (  # reported at the end of the file (3:1), where the parser noticed it, not at the { left open
        "syntax-unclosed-flow-mapping",
        b"version: 1\naccounts: {work: {address: alice@example.com}\n",
        [
            "2:11: error MC001 yaml-syntax: YAML syntax error: did not find expected ',' or '}' "
            "(while parsing a flow mapping); the { that starts here is never closed: close it, or quote the value "
            "({ starts a mapping)"
        ],
        1,
    ),
    (  # a display name starting with [: the next line was blamed
        "syntax-value-starting-with-a-bracket",
        b"version: 1\naccounts:\n  work:\n    address: a@example.com\n    display_name: [Alice\n    outgoing: {}\n",
        [
            "5:19: error MC001 yaml-syntax: YAML syntax error: did not find expected ',' or ']' "
            "(while parsing a flow sequence); the [ that starts here is never closed: close it, or quote the value "
            "([ starts a list)"
        ],
        1,
    ),
    (  # an apostrophe inside single quotes ends them
        "syntax-text-after-a-closing-quote",
        b"version: 1\naccounts:\n  work:\n    address: a@example.com\n    display_name: 'O'Brien'\n",
        [
            "5:22: error MC001 yaml-syntax: YAML syntax error: did not find expected key "
            "(while parsing a block mapping); text follows the closing quote: "
            "inside '...' write a ' as '', inside \"...\" a \" as \\\""
        ],
        1,
    ),
    (
        "syntax-value-starting-with-an-at-sign",
        b"version: 1\naccounts:\n  work:\n    address: a@example.com\n    display_name: @alice\n",
        [
            "5:19: error MC001 yaml-syntax: YAML syntax error: found character that cannot start any token "
            "(while scanning for the next token); put the value in quotes: a value cannot start with @ or ` in YAML"
        ],
        1,
    ),
    (
        "syntax-value-starting-with-a-dash",
        b"version: 1\naccounts:\n  work:\n    address: a@example.com\n    display_name: - Alice\n",
        [
            "5:19: error MC001 yaml-syntax: YAML syntax error: block sequence entries are not allowed in this context; "
            "put the value in quotes: a - and a space start a list item"
        ],
        1,
    ),
    (
        "syntax-tab-indent",
        b"version: 1\naccounts:\n\twork: {}\n",
        [
            "3:1: error MC001 yaml-syntax: YAML syntax error: found character that cannot start any token "
            "(while scanning for the next token); indent with spaces, YAML does not allow a tab there"
        ],
        1,
    ),
    (  # a blank line an editor left a tab on: there is nothing to indent (it said "indent with spaces")
        "syntax-tab-on-a-blank-line",
        b"version: 1\naccounts:\n  work:\n    address: a@example.com\n\t\n",
        [
            "5:1: error MC001 yaml-syntax: YAML syntax error: found a tab character that violates indentation "
            "(while scanning a plain scalar); the line holds only blanks, among them a tab: empty it"
        ],
        1,
    ),
    (
        "syntax-bad-indent",
        b"version: 1\naccounts:\n  work:\n    address: a@example.com\n   incoming: {}\n",
        [
            "5:4: error MC001 yaml-syntax: YAML syntax error: did not find expected key "
            "(while parsing a block mapping); check the indentation: this line is indented 3 spaces, the line above 4"
        ],
        1,
    ),
    (  # a line indented further than the one above, whose key has a value: it was only "not allowed in this context"
        "syntax-indented-too-far",
        b"version: 1\naccounts:\n  work:\n    address: a@example.com\n      display_name: A\n",
        [
            "5:19: error MC001 yaml-syntax: YAML syntax error: mapping values are not allowed in this context; "
            "check the indentation: this line is indented 6 spaces, the line above 4 "
            "(the key above has a value already)"
        ],
        1,
    ),
    (  # the same error for a colon inside a plain value: quote it (the value itself is not shown: it may be a secret)
        "syntax-colon-in-a-plain-value",
        b"version: 1\naccounts:\n  work:\n    address: a@example.com\n    display_name: Alice: work\n",
        [
            "5:24: error MC001 yaml-syntax: YAML syntax error: mapping values are not allowed in this context; "
            "put the value in quotes: in a plain value, a colon and a space start a key"
        ],
        1,
    ),
    (  # a key without its colon was reported on the next line, where the parser noticed it
        "syntax-key-without-colon",
        b"version: 1\naccounts:\n  work:\n    address: a@example.com\n    display_name A\n    incoming: {}\n",
        [
            "5:5: error MC001 yaml-syntax: YAML syntax error: could not find expected ':' "
            "(while scanning a simple key); write a colon and a space after the key (key: value)"
        ],
        1,
    ),
    (  # the first key of a mapping without its colon: the parser reads on into the next line
        "syntax-first-key-without-colon",
        b"version: 1\naccounts:\n  work:\n    address a@example.com\n    display_name: A\n",
        [
            "5:17: error MC001 yaml-syntax: YAML syntax error: mapping values are not allowed in this context; "
            "the line above has no colon: write a colon and a space after its key (key: value)"
        ],
        1,
    ),
    (  # reported at the end of the file (3:1), where the parser noticed it, not at the quote left open
        "syntax-unterminated-quote",
        b'version: 1\naccounts: "unterminated\n',
        [
            "2:11: error MC001 yaml-syntax: YAML syntax error: found unexpected end of stream "
            "(while scanning a quoted scalar); the quote that starts here is never closed: close it"
        ],
        1,
    ),
    (  # an alias before its anchor (it said only "unknown alias *v")
        "unknown-alias",
        b"version: *v\n",
        ["1:10: error MC001 yaml-syntax: unknown alias *v; define the anchor (&v) above its first alias"],
        1,
    ),
    (  # a misspelt alias: the anchor defined above that it means
        "misspelt-alias",
        b"version: 1\nx-out: &outgoing {host: smtp.example.com}\naccounts:\n"
        b"  work: {address: a@example.com, outgoing: *outgoin}\n",
        ["4:44: error MC001 yaml-syntax: unknown alias *outgoin; did you mean *outgoing?"],
        1,
    ),
    ("top-level-list", b"- version: 1\n- accounts: {}\n", [f"1:1: {NOT_A_MAPPING}"], 1),
    ("top-level-scalar", b"hello\n", [f"1:1: {NOT_A_MAPPING}"], 1),
    (
        "nul-byte",
        CLEAN.replace("pass show work", "pass show\x00work", 1).encode(),
        [
            "8:34: error MC001 yaml-syntax: YAML syntax error: control character U+0000 is not allowed in YAML; "
            "remove it"
        ],
        1,
    ),
    (
        "integer-of-5000-digits",
        CLEAN.replace(
            "host: imap.example.com\n", "host: imap.example.com\n      port: " + "9" * 5000 + "\n", 1
        ).encode(),
        [f"8:13: {HUGE.format(name='`port`', digits='5,000')}"],
        1,
    ),
    (
        "hex-integer-of-101-digits",
        CLEAN.replace(
            "host: imap.example.com\n", "host: imap.example.com\n      port: 0x" + "f" * 101 + "\n", 1
        ).encode(),
        [f"8:13: {HUGE.format(name='`port`', digits='101')}"],
        1,
    ),
    (
        "tagged-integer-of-5000-digits-in-a-list",
        b"version: 1\naccounts: [!!int " + b"1" * 5000 + b"]\n",
        [f"2:12: {HUGE.format(name='this value', digits='5,000')}"],
        1,
    ),
    (
        "line-separator-in-a-comment",
        ("# kept for Bob\u2028(and Carol)\n" + INSECURE).encode(),
        [MC101_AT_8_17.replace("8:17:", "9:17:", 1)],
        1,
    ),
    (
        "paragraph-separator-and-next-line-in-comments",
        INSECURE.replace("version: 1\n", "version: 1 # \u2029\n# \x85 \x85\n", 1).encode(),
        [MC101_AT_8_17.replace("8:17:", "9:17:", 1)],
        1,
    ),
    (
        "line-separator-in-a-plain-scalar",
        INSECURE.replace("host: imap.example.com", "host: imap\u2028example.com", 1).encode(),
        ["7:13: error MC703 invalid-hostname: host contains white space; remove it"],
        1,
    ),
    (
        "line-separator-then-a-syntax-error",
        b"version: 1 # \xe2\x80\xa8\naccounts: [\n",
        [
            "3:1: error MC001 yaml-syntax: YAML syntax error: did not find expected node content "
            "(while parsing a flow node)"
        ],
        1,
    ),
    (
        "bell-character",
        b"version: 1\naccounts: \x07\n",
        [
            "2:11: error MC001 yaml-syntax: YAML syntax error: control character U+0007 is not allowed in YAML; "
            "remove it"
        ],
        1,
    ),
]


@pytest.mark.parametrize(("data", "lines", "code"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_gives_one_located_line(tmp_path: Path, data: bytes, lines: list[str], code: int) -> None:
    outcome = lint_bytes(tmp_path, data)
    errors = sum(" error " in line for line in lines)
    others = {" warning ": "warning", " info ": "info"}
    parts = [f"{errors} error{'s' if errors != 1 else ''}"] if errors else []
    parts += [f"1 {label}" for marker, label in others.items() if any(marker in line for line in lines)]
    summary = f"{', '.join(parts)} in 1 file"
    expected = "".join(f"accounts.yaml:{line}\n" for line in lines) + summary + "\n"
    assert (outcome.code, outcome.stdout) == (code, expected)
    # a server the rules could not check is said beside the report, never a traceback
    assert all(line.startswith("mailconf: note: accounts.yaml:") for line in outcome.stderr.splitlines())


_SECRET_VALUE = {
    "*Hunter2": "`{key}` is an alias (a value starting with *), and no anchor of its name is defined before it; "
    "quote the value",
    "!Hunter2": "`{key}` has a tag (a value starting with !), which is not allowed (mailconf reads only standard "
    "YAML types and never constructs objects); quote the value",
    "!!int Hunter2": "`{key}` is not a valid !!int; remove the tag or fix the value",
}


@pytest.mark.parametrize("value", list(_SECRET_VALUE))
@pytest.mark.parametrize("key", ["password", "password_command", "token_command"])
def test_a_secret_read_as_an_alias_or_a_tag_is_never_shown(tmp_path: Path, key: str, value: str) -> None:
    """An unquoted password starting with * or ! is YAML syntax: before, the error quoted it ("unknown alias
    *Hunter2", "tag !Hunter2 is not allowed", "'Hunter2' is not a valid !!int") in lint and render output."""
    data = f"version: 1\naccounts:\n  work:\n    address: a@example.com\n    incoming:\n      {key}: {value}\n"
    outcome = lint_bytes(tmp_path, data.encode())
    message = _SECRET_VALUE[value].format(key=key)
    assert (outcome.code, outcome.stdout) == (1, f"accounts.yaml:6:{9 + len(key)}: error MC001 yaml-syntax: "
                                                 f"{message}\n1 error in 1 file\n")  # fmt: skip
    rendered = run_mailconf("render", "-t", "msmtp", "accounts.yaml", cwd=tmp_path)
    assert rendered.code == 1
    assert "Hunter2" not in outcome.stderr + rendered.stdout + rendered.stderr


def test_python_tag_constructs_nothing(tmp_path: Path) -> None:
    """A tag that would run `touch` if constructed: the finding, and the file is never created."""
    victim = tmp_path / "PWNED"
    text = CLEAN.replace("pass show work\n", f'!!python/object/apply:os.system ["touch {victim}"]\n', 1)
    outcome = lint_bytes(tmp_path, text.encode())
    assert outcome == Outcome(
        1, f"accounts.yaml:8:25: {_tag('!!python/object/apply:os.system')}\n1 error in 1 file\n", ""
    )
    assert not victim.exists()


def test_python_tag_in_process_constructs_nothing(tmp_path: Path) -> None:
    """The same through the loader API: no object, no side effect, data is None."""
    victim = tmp_path / "PWNED2"
    loaded = loader.load(f'x: !!python/object/apply:os.system ["touch {victim}"]\n'.encode())
    assert loaded.data is None
    assert [(p.rule, p.line, p.column) for p in loaded.problems] == [("MC001", 1, 4)]
    assert not victim.exists()


def test_alias_bomb_below_the_limit_is_read() -> None:
    """Aliases are fine in moderation: the limit counts expanded nodes, it does not ban aliases."""
    loaded = loader.load(b"a: &a [x, y]\nb: [*a, *a, *a]\n")
    assert loaded.problems == []
    assert loaded.data == {"a": ["x", "y"], "b": [["x", "y"]] * 3}


def test_nesting_at_the_limit_is_read_and_one_more_is_not() -> None:
    inside = loader.MAX_DEPTH - 1  # the top-level mapping is one level
    ok = loader.load(b"a: " + b"[" * inside + b"]" * inside + b"\n")
    assert ok.problems == []
    too_deep = loader.load(b"a: " + b"[" * (inside + 1) + b"]" * (inside + 1) + b"\n")
    assert [(p.rule, p.line, p.column) for p in too_deep.problems] == [("MC001", 1, 4 + inside)]


def test_crlf_and_bom_together_keep_positions() -> None:
    findings = lint_text("\ufeff" + INSECURE.replace("\n", "\r\n"))
    assert brief(findings) == [("MC004", 1, 1), ("MC005", 1, 11), ("MC101", 8, 17)]


def test_yes_and_no_stay_text_and_keys_stay_as_written() -> None:
    """YAML 1.2 core schema: `yes` is a string, `0x1F` an int, `1` as a key stays the text "1"."""
    loaded = loader.load(b"a: yes\nb: 0x1F\n1: one\nc: 1.5\nd: ~\ne: 'true'\n")
    assert loaded.data == {"a": "yes", "b": 31, "1": "one", "c": 1.5, "d": None, "e": "true"}


def test_merge_keys_and_positions() -> None:
    text = b"x-common: &c {security: tls, timeout: 30}\nserver:\n  <<: *c\n  timeout: 10\n"
    loaded = loader.load(text)
    assert loaded.problems == []
    assert loaded.data["server"] == {"security": "tls", "timeout": 10}
    assert loaded.positions.locate(loaded.data, ("server", "timeout")) == (4, 12)
    assert loaded.positions.locate(loaded.data, ("server", "timeout"), on_key=True) == (4, 3)
    # a merged key points at its source
    assert loaded.positions.locate(loaded.data, ("server", "security")) == (1, 25)


@pytest.mark.parametrize("command", [("render", "-t", "msmtp"), ("probe",)])
def test_integer_of_5000_digits_is_refused_by_render_and_probe(tmp_path: Path, command: tuple[str, ...]) -> None:
    """The same finding as lint, then the command's one-line refusal naming the file: exit 1, never 3."""
    text = CLEAN.replace("host: imap.example.com\n", "host: imap.example.com\n      port: " + "9" * 5000 + "\n", 1)
    (tmp_path / "accounts.yaml").write_text(text, encoding="utf-8")
    outcome = run_mailconf(*command, "accounts.yaml", cwd=tmp_path)
    finding = f"accounts.yaml:8:13: {HUGE.format(name='`port`', digits='5,000')}\n"
    if command[0] == "render":  # render reports on stderr: its stdout is the rendered file
        expected = Outcome(
            1,
            "",
            finding + "mailconf: accounts.yaml: not rendered: fix the errors above first "
            "(`mailconf lint accounts.yaml`)\n",
        )
    else:
        expected = Outcome(
            1,
            finding + "1 error in 1 file\n",
            "mailconf: accounts.yaml: not probed: fix the errors first (`mailconf lint accounts.yaml`)\n",
        )
    assert outcome == expected


def test_a_number_of_100_digits_is_still_read() -> None:
    loaded = loader.load(b"x-big: -" + b"9" * 100 + b"\nx-hex: 0x" + b"f" * 100 + b"\n")
    assert loaded.problems == []
    assert loaded.data == {"x-big": -int("9" * 100), "x-hex": int("f" * 100, 16)}


def test_yaml_1_2_line_breaks_are_characters_of_comments_and_scalars() -> None:
    """NEL, LS and PS are content in YAML 1.2 (libyaml, a YAML 1.1 parser, would break lines there);
    positions count lines by \\n only, as an editor does."""
    text = "a: 1 # \u2028 \x85\nb: x\u2029y\nc: 'p\u2028q'\nd: [\"\\L\\ue000\", \ue001\x85]\n"
    loaded = loader.load(text.encode())
    assert loaded.problems == []
    assert loaded.data == {"a": 1, "b": "x\u2029y", "c": "p\u2028q", "d": ["\u2028\ue000", "\ue001\x85"]}
    assert [loaded.positions.locate(loaded.data, (key,)) for key in "abcd"] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert loaded.positions.locate(loaded.data, ("d", 1)) == (4, 17)


def test_a_suppression_below_a_line_separator_in_a_comment_still_applies(tmp_path: Path) -> None:
    """The suppression scanner counts lines as the loader does (by \\n), not as str.splitlines."""
    text = INSECURE.replace("version: 1\n", "version: 1\n# kept for Bob\u2028(and Carol)\n", 1).replace(
        "security: none\n", "security: none  # mailconf: disable=MC101 a test box on the LAN\n", 1
    )
    assert lint_bytes(tmp_path, text.encode()) == Outcome(0, "", "")


def test_only_a_plain_double_angle_is_the_merge_key() -> None:
    """YAML's merge key is the plain scalar <<; a quoted "<<" is an ordinary key (hypothesis found emit's
    quoted "<<" read back as a merge)."""
    assert loader.load(b'"<<": {}\n').data == {"<<": {}}
    assert loader.load(b"'<<': 1\nx: 2\n").data == {"<<": 1, "x": 2}
    assert loader.load(b"a: &a {x: 1}\nb:\n  <<: *a\n  y: 2\n").data == {"a": {"x": 1}, "b": {"y": 2, "x": 1}}


#: a file that starts with two UTF-8 byte-order marks: the first is the encoding's (MC004), the second is text, a
#: U+FEFF at line 1 column 1 (MC713); the C parser took that one for the stream's mark and counted from after it
TWO_BOMS = "\ufeff\ufeff"


def test_a_second_bom_keeps_line_1_columns_of_values_and_syntax_errors() -> None:
    # schema finding on `version`'s value: 1:11 was given for the 7 at 1:12
    account = "{address: a@example.com, incoming: {protocol: imap, host: imap.example.com}}"
    findings = lint_text(TWO_BOMS + "{version: 7, accounts: {w: " + account + "}}\n")
    assert [f for f in brief(findings) if f[0] != "MC004"] == [("MC713", 1, 1), ("MC002", 1, 12)]
    loaded = loader.load((TWO_BOMS + "a: b\nc: d\n").encode())
    assert (loaded.positions.locate(loaded.data, ("a",)), loaded.positions.locate(loaded.data, ("c",))) == (
        (1, 5), (2, 4),
    )  # fmt: skip
    broken = loader.load((TWO_BOMS + "{version: 1, accounts: ]\n").encode())
    assert [(p.rule, p.line, p.column) for p in broken.problems] == [("MC004", 1, 1), ("MC001", 1, 25)]


def test_a_second_bom_keeps_mc713_in_the_value_that_holds_the_character() -> None:
    # a U+200B ending display_name (line 2, column 63) was said twice: in the value at 2:60, and around the values
    line2 = "accounts: {work: {address: alice@example.com, display_name: Al\u200b, incoming: {protocol: imap, host: "
    text = "version: 1\n" + line2 + "imap.example.com}}}\n"
    for boms, line1 in (("\ufeff", []), (TWO_BOMS, [("MC713", 1, 1)])):
        findings = [f for f in lint_text(boms + text) if f.rule == "MC713"]
        assert brief(findings) == [*line1, ("MC713", 2, 63)]
        assert "display_name holds U+200B" in findings[-1].message


def _older_not_valid(text: str, kind: str) -> str:
    """MC001's message of a value its tag does not fit as mailconf wrote it before it quoted the value in double
    quotes: with Python's repr()."""
    return f"{text!r} is not a valid !!{kind}; remove the tag or fix the value"


@pytest.mark.parametrize("text", ["one", 'a"b', "it's", "a\\b", "a\u202eb\x1b\n", "\ud800", "line 3", ""])
def test_mc001_not_valid_quotes_the_value_and_gives_back_the_older_spelling(text: str) -> None:
    """The value as errors.double_quoted shows it; repr_spelt gives the message a baseline written before hashed."""
    message = SYNTAX.not_valid(text, "int")
    assert message == f"{double_quoted(text)} is not a valid !!int; remove the tag or fix the value"
    assert SYNTAX.repr_spelt(message) == _older_not_valid(text, "int")
    assert REPR_SPELT["MC001"] is SYNTAX.repr_spelt


@given(st.text(), st.sampled_from(["int", "float", "bool", "null"]))
def test_mc001_older_spelling_of_any_value(text: str, kind: str) -> None:
    assert SYNTAX.repr_spelt(SYNTAX.not_valid(text, kind)) == _older_not_valid(text, kind)


def test_mc001_older_spelling_of_another_message_is_none() -> None:
    assert SYNTAX.repr_spelt("'one' is not a valid !!int; remove the tag or fix the value") is None
    assert SYNTAX.repr_spelt("`password` is not a valid !!int; remove the tag or fix the value") is None
    assert SYNTAX.repr_spelt('tag "!x" is not allowed') is None


def test_a_tag_is_shown_in_double_quotes_and_a_backslash_in_it_is_told_from_an_escape(tmp_path: Path) -> None:
    """YAML decodes %XX in a tag: ``!a%5Cu202eb`` is the tag ``!a\\u202eb`` (a backslash), which was shown as the tag
    holding U+202E is (``tag !a\\u202eb``, the report escaping the real character): the same line for two tags."""
    escaped = lint_bytes(tmp_path, b"version: 1\naccounts: !a%5Cu202eb x\n")
    real = lint_bytes(tmp_path, b"version: 1\naccounts: !a%E2%80%AEb x\n")
    assert escaped.stdout.splitlines()[0].endswith(f"2:11: {_tag('!a' + chr(92) * 2 + 'u202eb')}")
    assert real.stdout.splitlines()[0].endswith(f"2:11: {_tag('!a' + chr(92) + 'u202eb')}")


@given(st.text())
def test_mc001_older_spelling_of_any_tag(tag: str) -> None:
    """A baseline entry written when the tag was shown as it is still matches (rules.REPR_SPELT)."""
    said = SYNTAX.tag_refused(tag)
    assert said == f"tag {double_quoted(tag)} is not allowed (mailconf reads only standard YAML types and never " + (
        "constructs objects); remove it"
    )
    assert SYNTAX.repr_spelt(said) == said.replace(double_quoted(tag), tag, 1)
