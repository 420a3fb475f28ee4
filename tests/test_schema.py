"""The published JSON Schema, its generated validator, and located schema findings.

Two validators read one schema (see mailconf/schema.py): the generated
fastjsonschema module decides, jsonschema explains. A property test holds them
to agreement, and documents the one intended difference from a stock Draft
2020-12 validator: a string ending in a newline (ECMA-262 ``$`` versus Python's).
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from mailconf import schema, schema_codegen
from mailconf.rules import RULES
from tests.conftest import ROOT, all_strings, lint_text
from tests.test_cli import Outcome, run_mailconf

SCHEMA_FILE = ROOT / "schemas" / "mailconf.schema.json"


def published() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return loaded


# --- the schema as a document ------------------------------------------------


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    document = published()
    Draft202012Validator.check_schema(document)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["$id"] == "https://mailconf.dev/schemas/v1/mailconf.schema.json"
    assert document["title"] == "mailconf account file"
    assert document["description"].startswith("Mail accounts as code")


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = document["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


@pytest.mark.parametrize("definition", ["account", "incoming", "outgoing", "tls", "defaults"])
def test_every_field_has_a_title_or_description_for_editors(definition: str) -> None:
    """yaml-language-server shows these on hover: a field without one is a field without docs."""
    document = published()
    fields = document["$defs"][definition]["properties"]
    undocumented = [
        name for name, node in fields.items() if not {"title", "description"} & set(_resolve(document, node))
    ]
    assert undocumented == []


def _properties(document: dict[str, Any]) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """Every property of the schema, wherever it is declared: (where, as written, resolved)."""
    found: list[tuple[str, dict[str, Any], dict[str, Any]]] = []

    def walk(node: dict[str, Any], where: str) -> None:
        named = [(f"{where}/{k}", v) for k, v in node.get("properties", {}).items()]
        named += [(f"{where}/{k}", v) for k, v in node.get("patternProperties", {}).items()]
        for key in ("additionalProperties", "propertyNames"):
            if isinstance(node.get(key), dict):
                named.append((f"{where}/<{key}>", node[key]))
        for name, value in named:
            found.append((name, value, _resolve(document, value)))
        for name, value in named:
            walk(_resolve(document, value), name)

    walk(document, "")
    for name, definition in document["$defs"].items():
        walk(definition, f"$defs/{name}")
    return found


def test_every_property_has_a_description_and_an_example() -> None:
    """Editors show these on hover (yaml-language-server): a property without them is a property without docs."""
    lacking = [
        where
        for where, written, resolved in _properties(published())
        if not (written.get("description") or resolved.get("description"))
        or not (written.get("examples") or resolved.get("examples"))
    ]
    assert lacking == []


def test_the_property_walk_sees_every_kind_of_property() -> None:
    """Not vacuous: the walk reaches nested, referenced, pattern and additional properties."""
    seen = {where for where, _, _ in _properties(published())}
    assert {
        "/accounts/<additionalProperties>/incoming/tls/min_version",
        "/defaults/outgoing/port",
        "/^x-",
        "/accounts/<propertyNames>",
    } <= seen
    assert len(seen) > 200


def test_every_property_example_is_valid() -> None:
    """An example that the schema itself rejects would teach the wrong thing in an editor."""
    document = published()
    for where, written, resolved in _properties(document):
        for example in written.get("examples", []) + resolved.get("examples", []):
            assert Draft202012Validator({**resolved, "$defs": document["$defs"]}).is_valid(example), (where, example)


def test_value_definitions_carry_examples() -> None:
    defs = published()["$defs"]
    assert {name for name, node in defs.items() if "examples" in node} >= {
        "accountName",
        "address",
        "host",
        "port",
        "path",
        "timeout",
    }
    assert defs["host"]["examples"] == ["imap.example.com", "127.0.0.1", "::1"]


def test_examples_in_the_schema_are_valid_values() -> None:
    """An example that the schema itself rejects would teach the wrong thing in an editor."""
    document = published()
    for name, node in document["$defs"].items():
        for example in node.get("examples", []):
            validator = Draft202012Validator({**node, "$defs": document["$defs"]})
            assert validator.is_valid(example), (name, example)


def test_mailconf_schema_prints_the_published_file(tmp_path: Path) -> None:
    outcome = run_mailconf("schema", cwd=tmp_path)
    assert outcome == Outcome(0, SCHEMA_FILE.read_text(encoding="utf-8"), "")
    assert json.loads(outcome.stdout)["$id"] == published()["$id"]


def test_generated_validator_is_in_sync_with_the_schema() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mailconf.schema_codegen", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_codegen_check_fails_on_a_stale_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = tmp_path / "_schema_generated.py"
    stale.write_text(schema_codegen.generate().replace("65535", "65536"), encoding="utf-8")
    monkeypatch.setattr(schema_codegen, "TARGET", stale)
    monkeypatch.setattr(sys, "argv", ["schema_codegen", "--check"])
    with pytest.raises(SystemExit) as exited:
        schema_codegen.main()
    assert exited.value.code == 1
    assert capsys.readouterr() == (
        "",
        "_schema_generated.py is out of date: run `python3 -m mailconf.schema_codegen`\n",
    )


# --- located findings ----------------------------------------------------------

BASE = (
    "version: 1\n"  # 1
    "accounts:\n"  # 2
    "  work:\n"  # 3
    "    address: alice@example.com\n"  # 4
    "    incoming:\n"  # 5
    "      protocol: imap\n"  # 6
    "      host: imap.example.com\n"  # 7
    "      password_command: pass show work\n"  # 8
)


def findings(text: str) -> list[tuple[str, int, int, str]]:
    return [(f.rule, f.location.line, f.location.column, f.message) for f in lint_text(text)]


def test_an_unknown_key_that_spells_an_escape_does_not_look_like_the_character() -> None:
    """A key written with the characters \\x1b (single quotes) and one holding an ESC (double quotes, "\\e") were
    both shown `a\\x1bb`: the message only passed the last guard, which keeps backslashes. The key is quoted."""
    text = BASE + "      'a\\x1bb': 1\n" + '      "c\\ed": 2\n'
    allowed = (
        "auth, host, leave_days, leave_on_server, mechanisms, password, password_command, port, protocol, security, "
        "timeout, tls, token_command, username"
    )
    assert findings(text) == [
        ("MC002", 9, 7, "unknown key `a\\\\x1bb`; allowed here: " + allowed),
        ("MC002", 10, 7, "unknown key `c\\x1bd`; allowed here: " + allowed),
    ]


def test_unknown_key_suggests_the_nearest() -> None:
    assert findings(BASE + "      securty: tls\n") == [
        ("MC002", 9, 7, "unknown key `securty`; did you mean `security`?"),
    ]


def test_unknown_key_without_a_near_one_lists_the_allowed() -> None:
    assert findings(BASE.replace("version: 1\n", "version: 1\nzzz: 1\n")) == [
        ("MC002", 2, 1, "unknown key `zzz`; allowed here: accounts, defaults, version"),
    ]


def test_missing_required_key_points_at_the_mapping_key() -> None:
    assert findings(BASE.replace("      host: imap.example.com\n", "")) == [
        ("MC002", 5, 5, "missing required key `host` in `incoming`; add it"),
    ]


def test_missing_top_level_key() -> None:
    assert findings("version: 1\n") == [("MC002", 1, 1, "missing required key `accounts`; add it")]


def _required_lists(node: Any, where: str = "#") -> list[tuple[str, dict[str, Any]]]:
    """Every object schema in the published schema that has ``required``, with where it is."""
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        if "required" in node and node.get("examples"):  # the others: `if` and `anyOf` parts, the root
            found.append((where, node))
        for key, value in node.items():
            found += _required_lists(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _required_lists(value, f"{where}/{index}")
    return found


def test_every_required_key_left_out_is_named_by_the_finding() -> None:
    """The missing key comes from the validator, not from jsonschema's message (a repr() that can change)."""
    document = published()
    checked = []
    root_example = {"version": 1, "accounts": {"work": document["$defs"]["account"]["examples"][0]}}
    for where, node in [("#", document), *_required_lists(document)]:
        validator = schema.explaining_validator_class()({**node, "$defs": document["$defs"]})
        example = root_example if node is document else node["examples"][0]
        for key in node["required"]:
            instance = {k: v for k, v in example.items() if k != key}
            messages = [p.message for p in schema._explain(validator, instance, ())]
            said = f"missing required key `{key}`; add it"
            assert said in messages or f"{said}: version: 1" in messages, (where, key, messages)
            checked.append(key)
    assert sorted(set(checked)) == ["accounts", "address", "host", "protocol", "version"]


def test_a_required_key_is_read_from_the_error_not_its_message(monkeypatch: pytest.MonkeyPatch) -> None:
    """jsonschema writes ``'host' is a required property``; a version that words or quotes it otherwise changes
    nothing in the finding."""
    from jsonschema import ValidationError

    def reworded(_validator: Any, keys: list[str], instance: Any, _schema: Any) -> Any:
        for key in keys:
            if key not in instance:
                yield ValidationError(f"the property \u201c{key}\u201d is required")

    monkeypatch.setitem(Draft202012Validator.VALIDATORS, "required", reworded)
    document = published()
    fresh = schema.explaining_validator_class.__wrapped__()  # the cached class was made before the patch
    validator = fresh({"$ref": "#/$defs/incoming", "$defs": document["$defs"]})
    problems = list(schema._explain(validator, {"protocol": "imap"}, ("accounts", "work", "incoming")))
    assert [p.message for p in problems] == ["missing required key `host` in `incoming`; add it"]


def test_wrong_type_yes_no_hint() -> None:
    assert findings(BASE + "      tls: {verify: no}\n") == [
        (
            "MC002",
            9,
            21,
            '`verify` must be true or false (got "no") (YAML 1.2 reads yes/no/on/off as text: write true or false)',
        ),
    ]


def test_quoted_number_hint() -> None:
    assert findings(BASE + '      port: "993"\n') == [
        ("MC002", 9, 13, '`port` must be a whole number (got "993") (remove the quotes)'),
    ]


SECURITY = "`security` must be one of tls, starttls, starttls-optional, none"
AUTH = "`auth` must be one of password, oauth2, gssapi, ntlm, client-cert, none"
IMPLICIT = "implicit TLS, which clients call SSL or SSL/TLS"


def test_enum() -> None:
    assert findings(BASE + "      security: sometimes\n") == [("MC002", 9, 17, f'{SECURITY} (got "sometimes")')]


@pytest.mark.parametrize(
    ("line", "column", "message"),
    [
        # what other clients call the value (it said only "must be one of ...": which one?)
        ("security: ssl", 17, f'{SECURITY} (got "ssl"); did you mean `tls`? ({IMPLICIT})'),
        ("security: SSL/TLS", 17, f'{SECURITY} (got "SSL/TLS"); did you mean `tls`? ({IMPLICIT})'),
        ("security: STARTTLS", 17, f'{SECURITY} (got "STARTTLS"); did you mean `starttls`?'),
        ("security: starttl", 17, f'{SECURITY} (got "starttl"); did you mean `starttls`?'),
        ("security: plain", 17, f'{SECURITY} (got "plain"); did you mean `none`?'),
        (
            "auth: plain",
            13,
            f'{AUTH} (got "plain"); did you mean `password`? '
            "(PLAIN is a SASL mechanism: to pin it, add mechanisms: [plain])",
        ),
        ("auth: oauth", 13, f'{AUTH} (got "oauth"); did you mean `oauth2`?'),
        ("auth: XOAUTH2", 13, f'{AUTH} (got "XOAUTH2"); did you mean `oauth2`?'),
        ("auth: kerberos", 13, f'{AUTH} (got "kerberos"); did you mean `gssapi`?'),
        (
            "protocol: imaps",
            17,
            '`protocol` must be one of imap, pop3 (got "imaps"); did you mean `imap`? '
            "(implicit TLS is security: tls, the default)",
        ),
        ("protocol: IMAP", 17, '`protocol` must be one of imap, pop3 (got "IMAP"); did you mean `imap`?'),
        (
            "mechanisms: [PLAIN]",
            20,
            "this value must be one of plain, login, scram-sha-1, scram-sha-256, cram-md5, digest-md5, ntlm, gssapi, "
            'xoauth2, oauthbearer, external (got "PLAIN"); did you mean `plain`?',
        ),
        (
            "tls: {min_version: TLSv1.2}",
            26,
            '`min_version` must be one of 1.0, 1.1, 1.2, 1.3 (got "TLSv1.2"); did you mean `1.2`?',
        ),
    ],
)
def test_a_wrong_value_says_which_one_was_meant(line: str, column: int, message: str) -> None:
    text = BASE.replace("      protocol: imap\n", "") if line.startswith("protocol") else BASE
    row = 8 if line.startswith("protocol") else 9
    assert findings(text + f"      {line}\n") == [("MC002", row, column, message)]


def test_an_outgoing_protocol_named_as_other_clients_do_says_smtp() -> None:
    text = BASE + "    outgoing:\n      protocol: smtps\n      host: smtp.example.com\n"
    assert findings(text) == [
        (
            "MC002",
            10,
            17,
            '`protocol` must be "smtp" (got "smtps"); did you mean `smtp`? '
            "(implicit TLS is security: tls, the default)",
        )
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        # other clients' words: similarity found nothing, or the wrong key
        ("ssl: true", "unknown key `ssl`; write security: tls instead"),
        ("starttls: yes", "unknown key `starttls`; write security: starttls instead"),
        ("ssl: false", "unknown key `ssl`; write security: tls, starttls or none instead"),
        ("server: imap.example.org", "unknown key `server`; did you mean `host`?"),
        ("imap_server: imap.example.org", "unknown key `imap_server`; did you mean `host`?"),
        ("login: alice", "unknown key `login`; did you mean `username`?"),
        # never a literal password (MC401): the command that prints it
        ("pass: pass show work", "unknown key `pass`; did you mean `password_command`?"),
        ("passwordeval: pass show work", "unknown key `passwordeval`; did you mean `password_command`?"),
        # a key of another level
        ("ca_file: /etc/ssl/ca.pem", "unknown key `ca_file`; `ca_file` belongs under `tls:` (tls: {ca_file: ...})"),
        (
            "display_name: Alice",
            "unknown key `display_name`; `display_name` belongs to the account, one level up, beside `incoming:` "
            "and `outgoing:`",
        ),
    ],
)
def test_an_unknown_server_key_says_what_to_write(line: str, message: str) -> None:
    assert findings(BASE + f"      {line}\n") == [("MC002", 9, 7, message)]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("email: alice@example.com", "unknown key `email`; did you mean `address`?"),
        ("realname: Alice", "unknown key `realname`; did you mean `display_name`?"),
        ("smtp: {}", "unknown key `smtp`; did you mean `outgoing`?"),
        ("host: imap.example.com", "unknown key `host`; `host` belongs under `incoming:` or `outgoing:`"),
    ],
)
def test_an_unknown_account_key_says_what_to_write(line: str, message: str) -> None:
    assert findings(BASE + f"    {line}\n") == [("MC002", 9, 5, message)]


def test_a_pop3_key_under_outgoing_says_where_it_goes() -> None:
    text = BASE + "    outgoing:\n      host: smtp.example.com\n      leave_on_server: true\n"
    assert findings(text) == [
        (
            "MC002",
            11,
            7,
            "unknown key `leave_on_server`; `leave_on_server` is for a POP3 server only: move it under `incoming:`",
        )
    ]


@pytest.mark.parametrize(("written", "shown"), [("1.2", "1.2"), ("1.0", "1.0"), ("1.3", "1.3")])
def test_min_version_written_as_a_number_says_to_quote_it(written: str, shown: str) -> None:
    assert findings(BASE + f"      tls: {{min_version: {written}}}\n") == [
        (
            "MC002",
            9,
            26,
            f"`min_version` must be one of 1.0, 1.1, 1.2, 1.3 (got {shown}); "
            f'write it as a string: min_version: "{shown}"',
        ),
    ]


def test_a_number_that_is_no_choice_gets_no_quote_hint() -> None:
    assert findings(BASE + "      tls: {min_version: 1.5}\n") == [
        ("MC002", 9, 26, "`min_version` must be one of 1.0, 1.1, 1.2, 1.3 (got 1.5)"),
    ]


#: What the text patterns refuse, as MC002's hints name it (C0, DEL, C1, U+2028, U+2029).
REFUSED = "control characters (C0, DEL, C1) or line and paragraph separators (U+2028, U+2029)"
TEXT_HELP = "remove control characters (C0, DEL, C1) and line and paragraph separators (U+2028, U+2029)"
PATH_HELP = f"write an absolute path without {REFUSED}"
COMMAND_HELP = f"write the command on one line without {REFUSED}"


@pytest.mark.parametrize(
    ("written", "message"),
    [
        # it said "write an absolute path without control characters (C0, DEL, C1) or ...": there is none
        (
            "~/certs/ca.pem",
            '`ca_file` is not valid (got "~/certs/ca.pem"): write the path in full, starting with / '
            "(clients disagree on what ~ is, and some do not expand it)",
        ),
        (
            "certs/ca.pem",
            '`ca_file` is not valid (got "certs/ca.pem"): write an absolute path, starting with / '
            "(clients read a relative one from different folders)",
        ),
        # a control character still gets the general help
        ('"~/ca\\tx.pem"', f'`ca_file` is not valid (got "~/ca\\tx.pem"): {PATH_HELP}'),
    ],
)
def test_a_path_that_is_not_absolute_says_so(written: str, message: str) -> None:
    assert findings(BASE + f"      tls: {{ca_file: {written}}}\n") == [("MC002", 9, 22, message)]


@pytest.mark.parametrize(
    ("written", "message"),
    [
        (
            "Alice Smith <alice@example.com>",
            '`address` is not valid (got "Alice Smith <alice@example.com>"): write the address alone '
            "(alice@example.com) and the name in display_name",
        ),
        (
            "<alice@example.com>",
            '`address` is not valid (got "<alice@example.com>"): write the address alone (alice@example.com), '
            "without < >",
        ),
        (
            "alice smith@example.com",
            '`address` is not valid (got "alice smith@example.com"): an address holds no spaces; '
            "write one like alice@example.com",
        ),
        (
            "alice@@example.com",
            '`address` is not valid (got "alice@@example.com"): write an address like alice@example.com',
        ),
    ],
)
def test_an_address_written_as_a_mail_header_says_what_to_write(written: str, message: str) -> None:
    assert findings(BASE.replace("address: alice@example.com", f"address: {written}")) == [("MC002", 4, 14, message)]


#: neither an IPv4 address nor an RFC 1123 name (the last label is all digits)
NUMERIC_HOSTS = ["999.999.999.999", "1.2.3.4.5", "127.1", "0x7f.1", "010.0.0.1", "1.2.3.4.", "12345", "256.1.1.1"]


@pytest.mark.parametrize("host", NUMERIC_HOSTS)
def test_a_host_ending_in_a_numeric_label_that_is_no_ipv4_address_is_mc703(host: str) -> None:
    last = host.rstrip(".").rsplit(".", 1)[-1]
    assert findings(BASE.replace("host: imap.example.com", f'host: "{host}"')) == [
        (
            "MC703",
            7,
            13,
            f'host "{host}" is neither an IPv4 address (four numbers 0-255 without leading zeros, like 192.0.2.1) '
            f'nor a host name (its last label "{last}" is all digits; RFC 1123 section 2.1); '
            "write the server's name or its full address",
        )
    ]


@pytest.mark.parametrize(
    "host", ["192.0.2.1", "0.0.0.0", "255.255.255.255", "3com.example", "a1", "localhost", "xn--p1ai", "h.1a", "x.1-2"]
)
def test_names_with_digits_and_ipv4_addresses_stay_valid(host: str) -> None:
    data = {"version": 1, "accounts": {"w": {"address": "a@example.com", "outgoing": {"host": host}}}}
    assert schema.document_is_valid(data) is True
    assert Draft202012Validator(published()).is_valid(data) is True


def test_version_const() -> None:
    assert findings(BASE.replace("version: 1", "version: 2")) == [
        ("MC002", 1, 10, "`version` must be 1 (got 2)"),
    ]


def test_pop3_only_keys_on_imap() -> None:
    assert findings(BASE + "      leave_on_server: true\n      leave_days: 7\n") == [
        ("MC002", 9, 7, "`leave_on_server` is only valid for protocol pop3; remove it"),
        ("MC002", 10, 7, "`leave_days` is only valid for protocol pop3; remove it"),
    ]


def test_pop3_keys_on_pop3_are_fine() -> None:
    pop3 = BASE.replace("protocol: imap", "protocol: pop3") + "      leave_on_server: true\n      leave_days: 7\n"
    assert [f for f in findings(pop3) if f[0] == "MC002"] == []


def test_bad_account_name_points_at_the_name() -> None:
    assert findings(BASE.replace("  work:\n", '  "bad name!":\n')) == [
        (
            "MC002",
            3,
            3,
            "account name \"bad name!\" is not valid: use 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
        ),
    ]


def test_port_range() -> None:
    assert findings(BASE + "      port: 99999\n") == [
        ("MC002", 9, 13, "`port` must be between 1 and 65535 (got 99999)"),
    ]
    assert findings(BASE + "      port: 0\n") == [("MC002", 9, 13, "`port` must be between 1 and 65535 (got 0)")]


def test_control_character_in_display_name() -> None:
    text = BASE.replace("    incoming:\n", '    display_name: "Alice\\x1b[31m"\n    incoming:\n')
    assert findings(text) == [
        (
            "MC002",
            5,
            19,
            f'`display_name` is not valid (got "Alice\\x1b[31m"): {TEXT_HELP}',
        ),
    ]


def test_next_line_character_in_organization() -> None:
    """U+0085 (NEL) and U+2028 end a line in some clients' files: rejected like a newline."""
    text = BASE.replace("    incoming:\n", '    organization: "ACME\\u2028x"\n    incoming:\n')
    assert findings(text) == [
        ("MC002", 5, 19, f'`organization` is not valid (got "ACME\\u2028x"): {TEXT_HELP}'),
    ]


@pytest.mark.parametrize(
    ("escape", "shown"), [("\\N", "\\u0085"), ("\\x9b", "\\u009b"), ("\\L", "\\u2028"), ("\\P", "\\u2029")]
)
@pytest.mark.parametrize(
    ("line", "column", "message"),
    [
        ('password_command: "pass show work{}set x"', 25, f"`password_command` is not valid: {COMMAND_HELP}"),
        ('token_command: "oama access a{}b"', 22, f"`token_command` is not valid: {COMMAND_HELP}"),
        ('username: "alice{}Pass x"', 17, '`username` is not valid (got "alice{}Pass x"): ' + TEXT_HELP),
        ('tls: {{ca_file: "/etc/ca{}x.pem"}}', 22,
         '`ca_file` is not valid (got "/etc/ca{}x.pem"): ' + PATH_HELP),
    ],
)  # fmt: skip
def test_c1_controls_and_line_separators_in_a_user_command_or_path_are_refused(
    escape: str, shown: str, line: str, column: int, message: str
) -> None:
    """Like ESC and the C0 controls, and as in a name (NEL, U+2028 and U+2029 end a line for YAML 1.1, JavaScript
    and str.splitlines; CSI is ESC [ to some terminals): they were accepted in these fields. A command is never shown.
    """
    text = BASE.replace("      password_command: pass show work\n", "") + f"      {line.format(escape)}\n"
    assert findings(text) == [("MC002", 8, column, message.format(shown))]


def test_a_next_line_in_a_command_is_not_rendered(tmp_path: Path) -> None:
    """msmtp's passwordeval was written with the NEL in it (msmtp reads lines at \\n only: no injection there, but
    a reader that splits as str.splitlines does reads a second directive)."""
    (tmp_path / "a.yaml").write_text(
        "version: 1\naccounts:\n  work:\n    address: alice@example.com\n"
        '    outgoing: {host: smtp.example.com, password_command: "pass show x\\Npasswordeval evil"}\n',
        encoding="utf-8",
    )
    assert run_mailconf("render", "-t", "all", "a.yaml", "-o", "out", cwd=tmp_path) == (
        1,
        "",
        f"a.yaml:5:58: error MC002 schema-violation: `password_command` is not valid: {COMMAND_HELP}\n"
        "mailconf: a.yaml: not rendered: fix the errors above first (`mailconf lint a.yaml`)\n",
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yaml"]


@pytest.mark.parametrize("character", ["\\x80", "\\N", "\\x9b", "\\x9f", "\\L", "\\P"])
def test_c1_controls_and_line_separators_in_an_address_are_refused(character: str) -> None:
    text = BASE.replace("address: alice@example.com", f'address: "al{character}ice@example.com"')
    (finding,) = findings(text)
    assert finding[:3] == ("MC002", 4, 14)
    assert finding[3].endswith("): write an address like alice@example.com")


def test_newline_in_username() -> None:
    text = BASE + '      username: "alice\\nset folder=/tmp"\n'
    assert findings(text) == [
        ("MC002", 9, 17, f'`username` is not valid (got "alice\\nset folder=/tmp"): {TEXT_HELP}'),
    ]


def test_trailing_newline_in_host_is_rejected() -> None:
    """Python's `$` matches before a final newline; the schema's ECMA-262 `$` does not. The host is rejected."""
    text = BASE.replace("host: imap.example.com", 'host: "imap.example.com\\n"')
    assert findings(text) == [("MC703", 7, 13, "host contains white space; remove it")]


def test_trailing_newline_in_host_decided_by_the_generated_validator() -> None:
    data = {
        "version": 1,
        "accounts": {"w": {"address": "a@example.com", "incoming": {"protocol": "imap", "host": "imap.example.com\n"}}},
    }
    assert schema.document_is_valid(data) is False
    assert schema.explaining_validator_class()(published()).is_valid(data) is False
    # the documented difference: a stock Python validator accepts it
    assert Draft202012Validator(published()).is_valid(data) is True


SECRET = "hunter2-secret"


@pytest.mark.parametrize(
    "line",
    [
        f"      password: [{SECRET}]\n",
        f'      password_command: "{SECRET}\\u0007"\n',
        f'      token_command: "{SECRET}\\n"\n',
        f"      password_command: {{x: {SECRET}}}\n",
        "      password_command: ''\n",
    ],
)
def test_secret_values_are_never_echoed(line: str) -> None:
    text = BASE.replace("      password_command: pass show work\n", line)
    messages = findings(text)
    assert messages, "the bad value must be reported"
    assert all(SECRET not in message for *_, message in messages)


def test_secret_messages_exactly() -> None:
    text = BASE.replace("      password_command: pass show work\n", f'      password_command: "{SECRET}\\u0007"\n')
    assert findings(text) == [
        ("MC002", 8, 25, f"`password_command` is not valid: {COMMAND_HELP}"),
    ]
    text = BASE.replace("      password_command: pass show work\n", f"      password: [{SECRET}]\n")
    assert [f for f in findings(text) if f[0] == "MC002"] == [("MC002", 8, 17, "`password` must be text")]


def test_cli_prints_schema_errors_with_file_line_col(tmp_path: Path) -> None:
    (tmp_path / "accounts.yaml").write_text(BASE + "      securty: tls\n", encoding="utf-8")
    assert run_mailconf("lint", "accounts.yaml", cwd=tmp_path) == Outcome(
        1,
        "accounts.yaml:9:7: error MC002 schema-violation: unknown key `securty`; did you mean `security`?\n"
        "1 error in 1 file\n",
        "",
    )


def test_other_accounts_are_still_checked_when_one_breaks_the_schema() -> None:
    text = (
        BASE
        + "  old:\n"
        + "    address: bob@example.com\n"
        + "    incoming: {protocol: imap, host: mail.example.com, security: none, password_command: x y}\n"
        + "  broken:\n"
        + "    address: carol@example.com\n"
    )
    assert [(rule, line, column) for rule, line, column, _ in findings(text)] == [("MC101", 11, 66), ("MC002", 12, 3)]
    assert findings(text)[1][3] == "account `broken` needs `incoming:` or `outgoing:`"


# --- the two validators agree: a property test --------------------------------

VALID: dict[str, Any] = {
    "version": 1,
    "defaults": {"timeout": 30, "incoming": {"leave_on_server": True}, "tls": {"min_version": "1.2"}},
    "accounts": {
        "work": {
            "address": "alice@example.com",
            "display_name": "Alice Example",
            "incoming": {
                "protocol": "imap",
                "host": "imap.example.com",
                "port": 993,
                "security": "tls",
                "auth": "password",
                "username": "alice",
                "password_command": "pass show work",
                "mechanisms": ["scram-sha-256", "plain"],
                "tls": {"verify": True, "ca_file": "/etc/ssl/ca.pem"},
                "timeout": 20,
            },
            "outgoing": {"protocol": "smtp", "host": "smtp.example.com", "port": 465, "auth": "oauth2"},
        },
        "home": {
            "address": "bob@example.org",
            "incoming": {"protocol": "pop3", "host": "::1", "leave_on_server": True, "leave_days": 7},
        },
    },
}

KNOWN_KEYS = sorted(
    {key for node in [published(), *published()["$defs"].values()] for key in node.get("properties", {})}
)
INTERESTING_TEXT = [
    "imap.example.com\n",
    "imap.example.com",
    "alice@example.com",
    "a@b\n",
    "tls",
    "starttls",
    "none",
    "imap",
    "pop3",
    "smtp",
    "password",
    "oauth2",
    "plain",
    "1.2",
    "/etc/ssl/ca.pem",
    "/etc/ssl/ca.pem\n",
    "sha256:" + ":".join(["AB"] * 32),
    "sha1:" + ":".join(["ab"] * 20),
    "work",
    "x-anchor",
    'a"b',
    "a'b",
    "",
    " ",
    "\u2028",
    "\u0085",
    "\x7f",
    "é.example.com",
    "host:993",
    "user@host",
    "1.2.3.4",
]
texts = st.one_of(
    st.sampled_from(INTERESTING_TEXT),
    st.text(max_size=12),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=6).map(lambda s: "mail" + s),
    st.sampled_from(INTERESTING_TEXT).map(lambda s: s + "\n"),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 70000),
    st.sampled_from([0, 1, 993, 65535, 65536, 86400, 86401, 3650, 3651]),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    texts,
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KNOWN_KEYS) | texts, inner, max_size=3),
    max_leaves=6,
)


def _containers(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, (dict, list)):
                found += _containers(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            if isinstance(value, (dict, list)):
                found += _containers(value, (*path, index))
    return found


def _string_leaves(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, str):
        return [path]
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    return [leaf for key, value in items for leaf in _string_leaves(value, (*path, key))]


TWEAKS = [
    lambda s: s + "\n",
    lambda s: s + "\r\n",
    lambda s: " " + s,
    lambda s: s[:-1],
    lambda s: s.upper(),
    lambda s: s + "\u2028",
    lambda s: s.replace(".", "\x00", 1),
    lambda s: s + '"; x',
]


@st.composite
def mutated_documents(draw: st.DrawFn) -> Any:
    """The valid document after one to four mutations anywhere: set, delete or add a key, replace an
    item, or tweak a string a little (a trailing newline, a control character, a quote)."""
    document: Any = copy.deepcopy(VALID)
    for _ in range(draw(st.integers(1, 4))):
        action = draw(st.sampled_from(["set", "delete", "add", "tweak", "tweak"]))
        if action == "tweak" and (leaves := _string_leaves(document)):
            *parent_path, last = draw(st.sampled_from(leaves))
            parent = document
            for step in parent_path:
                parent = parent[step]
            parent[last] = draw(st.sampled_from(TWEAKS))(parent[last])
            continue
        path = draw(st.sampled_from(_containers(document)))
        node = document
        for step in path:
            node = node[step]
        if isinstance(node, dict):
            if action == "delete" and node:
                del node[draw(st.sampled_from(sorted(node, key=str)))]
            elif action == "set" and node:
                node[draw(st.sampled_from(sorted(node, key=str)))] = draw(values)
            else:
                node[draw(st.sampled_from(KNOWN_KEYS) | texts)] = draw(values)
        elif isinstance(node, list):
            if node and action != "add":
                node[draw(st.integers(0, len(node) - 1))] = draw(values)
            else:
                node.append(draw(values))
    return document


def _generated_valid(document: Any) -> bool:
    return schema.document_is_valid(document)


STOCK = Draft202012Validator(published())
EXPLAINING = schema.explaining_validator_class()(published())


@settings(max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_documents())
def test_generated_validator_agrees_with_jsonschema(document: Any) -> None:
    """The deciding validator, the explaining one, and stock jsonschema Draft 2020-12, on mutated documents.

    - generated and explaining validators always agree (both read patterns as ECMA-262);
    - stock jsonschema agrees too, except where a string ends in a newline: there
      only the stock validator may accept (Python's ``$``), never the other way round;
    - an invalid document always gets at least one explained problem (never the
      "validators disagree" fallback).
    """
    generated = _generated_valid(document)
    assert generated == EXPLAINING.is_valid(document)
    stock = STOCK.is_valid(document)
    if generated != stock:
        assert stock and not generated
        assert any(s.endswith("\n") for s in all_strings(document))
    if not generated:
        problems, _invalid = schema.validate(document)
        assert problems
        assert not any(p.message.startswith("the file does not match the schema") for p in problems)


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_documents(), st.booleans())
def test_lint_never_crashes_on_mutated_documents(document: Any, block_style: bool) -> None:
    """The whole pipeline (loader, schema, model, every rule) on the same documents, written as YAML:
    findings only, each located inside the file; never an exception."""
    text = json.dumps(document, indent=2 if block_style else None, ensure_ascii=False)
    lines = text.count("\n") + 1  # YAML 1.2 line breaks, as an editor counts them (json.dumps writes no \r)
    for finding in lint_text(text):
        assert 1 <= finding.location.line <= lines, finding
        assert finding.location.column >= 1, finding
        assert finding.rule in RULES, finding


def test_containers_are_never_echoed_they_may_hold_secrets() -> None:
    text = (
        "version: 1\n"
        "accounts:\n"
        f"  work: [{{password: {SECRET}}}]\n"
        "  home:\n"
        "    address: a@example.com\n"
        f"    incoming: [password_command, {SECRET}]\n"
        "  third:\n"
        "    address: a@example.com\n"
        f'    incoming: {{protocol: imap, host: "alice:{SECRET}@imap.example.com"}}\n'
    )
    assert findings(text) == [
        ("MC002", 3, 9, "`work` must be a mapping (got a list)"),
        ("MC002", 6, 15, "`incoming` must be a mapping (got a list)"),
        (
            "MC403",
            9,
            38,
            "host contains a user name and password before '@' (not shown here); write only the host name, "
            "put the login in username: and the password behind password_command",
        ),
    ]


@pytest.mark.parametrize(("low", "size"), [(1, "1 character"), (2, "2 characters")])
def test_a_minimum_length_without_a_maximum_is_said_in_words(low: int, size: str) -> None:
    """No string of the shipped schema has a minLength without a maxLength; a future one is explained in words,
    never as ``character(s)``."""
    instance = {"accounts": {"work": {"name": ""}}}
    account = {"type": "object", "properties": {"name": {"type": "string", "minLength": low}}}
    validator = Draft202012Validator({"properties": {"accounts": {"additionalProperties": account}}})
    problems = [p for e in validator.iter_errors(instance) for p in schema._describe(e, (), instance)]
    assert [(p.path, p.message) for p in problems] == [
        (("accounts", "work", "name"), f"`name` must be at least {size} long")
    ]


def test_the_explaining_validators_pattern_error_quotes_the_value_in_double_quotes() -> None:
    """The pattern keyword's own error (which lint does not show: MC002 says what the value should be) spells the
    value as every message does (errors.double_quoted), not with Python's repr() as jsonschema's does."""
    (error,) = schema.explaining_validator_class()({"type": "string", "pattern": "^[a-z]+$"}).iter_errors("a\u202e'b")
    assert error.message == '"a\\u202e\'b" does not match the pattern `^[a-z]+$`'


def test_an_account_whose_settings_are_not_indented_under_its_name_is_said_to_be_so() -> None:
    # it was six errors: `work` null, `address` not a mapping, account `incoming` needing incoming: or outgoing:,
    # missing `address` in `incoming`, and `protocol` and `host` unknown there
    text = (
        "version: 1\n"
        "accounts:\n"
        "  work:\n"
        "  address: alice@example.com\n"
        "  incoming:\n"
        "    protocol: imap\n"
        "    host: imap.example.com\n"
    )
    setting = "is a setting of an account, written as an account: indent it under the account's name"
    assert findings(text) == [
        (
            "MC002",
            3,
            8,
            "`work` must be a mapping (got null); write its settings under it, indented further than its name",
        ),
        ("MC002", 4, 3, f"`address` {setting}"),
        ("MC002", 5, 3, f"`incoming` {setting}"),
    ]


def test_accounts_named_like_settings_are_still_accounts() -> None:
    # a mapping under `address`, and a server holding an address under `incoming`, are accounts of those names
    text = (
        "version: 1\n"
        "accounts:\n"
        "  address:\n"
        "    address: alice@example.com\n"
        "    outgoing: {host: smtp.example.com, prot: 465}\n"
        "  incoming:\n"
        "    address: bob@example.com\n"
        "    outgoing: {host: smtp.example.com, timeout: x}\n"
    )
    assert findings(text) == [
        ("MC002", 5, 40, "unknown key `prot`; did you mean `port`?"),
        ("MC002", 8, 49, '`timeout` must be a whole number (got "x")'),
    ]


@pytest.mark.parametrize(
    ("accounts", "hint"),
    [
        (
            "  - name: work\n    address: alice@example.com\n",
            "write each account as its name and a colon, not as a list item: `work:`, not `- name: work`",
        ),
        (
            "  - work:\n      address: alice@example.com\n",
            "write each account as its name and a colon (work:), not as a list item (- )",
        ),
    ],
)
def test_accounts_written_as_a_list_say_how_to_write_them(accounts: str, hint: str) -> None:
    assert findings("version: 1\naccounts:\n" + accounts) == [
        ("MC002", 3, 3, f"`accounts` must be a mapping (got a list); {hint}")
    ]


def test_mechanisms_written_as_one_word_say_to_write_a_list() -> None:
    assert findings(BASE + "      mechanisms: plain\n") == [
        ("MC002", 9, 19, '`mechanisms` must be a list (got "plain"); write it as a list: mechanisms: [plain]')
    ]


def test_tls_set_to_true_says_that_tls_is_security() -> None:
    assert findings(BASE + "      tls: true\n") == [
        (
            "MC002",
            9,
            12,
            "`tls` must be a mapping (got true); it holds certificate settings (ca_file, fingerprint, ...): "
            "for TLS write security: tls",
        )
    ]


def test_a_file_without_version_says_what_to_add() -> None:
    assert findings(BASE.replace("version: 1\n", "")) == [
        ("MC002", 1, 1, "missing required key `version`; add it: version: 1")
    ]


@pytest.mark.parametrize(
    ("line", "column", "message"),
    [
        # it said only "(got null)": the value left out after the colon
        ("port:", 12, "`port` must be a whole number (got null); write a value after the colon, or remove the key"),
        (
            "security:",
            16,
            "`security` must be one of tls, starttls, starttls-optional, none (got null); "
            "write a value after the colon, or remove the key",
        ),
        (
            "tls: {verify: }",
            21,
            "`verify` must be true or false (got null); write a value after the colon, or remove the key",
        ),
    ],
)
def test_a_key_without_a_value_says_to_write_one(line: str, column: int, message: str) -> None:
    assert findings(BASE + f"      {line}\n") == [("MC002", 9, column, message)]


def test_a_required_key_without_a_value_says_to_write_one() -> None:
    assert findings(BASE.replace("host: imap.example.com", "host:")) == [
        ("MC002", 7, 12, "`host` must be text (got null); write a value after the colon")
    ]


def test_accounts_without_any_says_to_write_them() -> None:
    assert findings("version: 1\naccounts:\n") == [
        (
            "MC002",
            2,
            10,
            "`accounts` must be a mapping (got null); "
            "write the accounts under it, each as its name and a colon (work:)",
        )
    ]


@pytest.mark.parametrize(
    ("text", "finding"),
    [
        # it was two lines for one mistake: "missing required key `host` in `incoming`; add it" at 5:5 as well
        (
            BASE.replace("      host: imap.example.com", "      hostname: imap.example.com"),
            ("MC002", 7, 7, "unknown key `hostname`; did you mean `host`? (it is required)"),
        ),
        (
            BASE.replace("    address: alice@example.com", "    email: alice@example.com"),
            ("MC002", 4, 5, "unknown key `email`; did you mean `address`? (it is required)"),
        ),
        (
            BASE.replace("version: 1", "verison: 1"),
            ("MC002", 1, 1, "unknown key `verison`; did you mean `version`? (it is required)"),
        ),
    ],
)
def test_a_misspelt_required_key_is_one_finding(text: str, finding: tuple[str, int, int, str]) -> None:
    assert findings(text) == [finding]


def test_a_required_key_left_out_beside_an_unknown_key_that_is_not_it_is_still_said() -> None:
    text = BASE.replace("      host: imap.example.com", "      prot: 993")
    assert findings(text) == [
        ("MC002", 5, 5, "missing required key `host` in `incoming`; add it"),
        ("MC002", 7, 7, "unknown key `prot`; did you mean `port`?"),
    ]


@pytest.mark.parametrize(
    ("side", "protocol", "host", "message"),
    [
        # a server written under the other side's key: it said only which protocols are allowed there
        ("incoming", "smtp", "smtp.example.com", '`protocol` must be one of imap, pop3 (got "smtp"); '
         "smtp is the protocol of `outgoing:`"),
        ("outgoing", "imap", "imap.example.com", '`protocol` must be "smtp" (got "imap"); '
         "imap is the protocol of `incoming:`"),
    ],
)  # fmt: skip
def test_a_protocol_under_the_other_side_says_where_it_goes(side: str, protocol: str, host: str, message: str) -> None:
    text = f"version: 1\naccounts:\n  work:\n    address: a@example.com\n    {side}:\n      protocol: {protocol}\n"
    assert findings(text + f"      host: {host}\n") == [("MC002", 6, 17, message)]


def test_an_empty_tls_and_an_empty_mechanism_say_to_write_a_value() -> None:
    # tls: with nothing after it was told that TLS is security: tls; an empty item of a list has no colon
    assert findings(BASE + "      tls:\n      mechanisms: [plain, ~]\n") == [
        ("MC002", 9, 11, "`tls` must be a mapping (got null); write a value after the colon, or remove the key"),
        (
            "MC002",
            10,
            27,
            "this value must be one of plain, login, scram-sha-1, scram-sha-256, cram-md5, digest-md5, ntlm, gssapi, "
            "xoauth2, oauthbearer, external (got null); write a value in its place, or remove the item",
        ),
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        # similarity said `client_cert` for a CA's file, and nothing for most of these
        ("ca_cert: /etc/ssl/ca.pem", "unknown key `ca_cert`; did you mean `ca_file`?"),
        ("tls_trust_file: /etc/ssl/ca.pem", "unknown key `tls_trust_file`; did you mean `ca_file`?"),
        ("sslcertck: true", "unknown key `sslcertck`; did you mean `verify`?"),
        ('tls_version: "1.2"', "unknown key `tls_version`; did you mean `min_version`?"),
        ("pin: sha256:AB", "unknown key `pin`; did you mean `fingerprint`?"),
    ],
)
def test_an_unknown_tls_key_says_what_other_clients_call_it(line: str, message: str) -> None:
    assert findings(BASE + f"      tls:\n        {line}\n") == [("MC002", 10, 9, message)]


def test_another_clients_tls_key_beside_host_says_to_write_it_under_tls() -> None:
    assert findings(BASE + "      tls_trust_file: /etc/ssl/ca.pem\n") == [
        ("MC002", 9, 7, "unknown key `tls_trust_file`; write it under `tls:`, as `ca_file` (tls: {ca_file: ...})")
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        # beside address, another client's word for a server setting listed the account's keys
        ("user: alice", "unknown key `user`; write it under `incoming:` or `outgoing:`, as `username`"),
        ("server: mail.example.com", "unknown key `server`; write it under `incoming:` or `outgoing:`, as `host`"),
        ("ssl: true", "unknown key `ssl`; write security: tls under `incoming:` or `outgoing:`"),
    ],
)
def test_another_clients_server_key_beside_address_says_where_it_goes(line: str, message: str) -> None:
    assert findings(BASE + f"    {line}\n") == [("MC002", 9, 5, message)]
