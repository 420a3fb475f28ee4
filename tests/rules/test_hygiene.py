"""MC701-MC710: hygiene and correctness."""

from __future__ import annotations

import warnings

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailconf.errors import double_quoted
from mailconf.rules import REPR_SPELT
from mailconf.rules import mc001_yaml_syntax as SYNTAX
from mailconf.rules import mc701_duplicate_account as DUPLICATE
from tests.conftest import lint_text
from tests.rules.helpers import account, findings_of

TWO_WORKS = """\
version: 1
accounts:
  work:
    address: alice@example.com
    incoming: {protocol: imap, host: imap.example.com}
  work:
    address: bob@example.com
    incoming: {protocol: imap, host: imap.example.com}
"""


def test_mc701_duplicate_account_fails() -> None:
    assert findings_of("MC701", TWO_WORKS) == [
        (6, 3, "error", 'duplicate key "work" (first defined at line 3); YAML keeps only one: remove or rename one'),
    ]


def test_mc701_passes_with_distinct_names() -> None:
    assert findings_of("MC701", TWO_WORKS.replace("  work:\n    address: bob", "  bob:\n    address: bob")) == []


def test_mc702_duplicate_endpoint_fails_at_the_second() -> None:
    text = TWO_WORKS.replace("  work:\n    address: bob@", "  work2:\n    address: alice@")
    assert findings_of("MC702", text) == [
        (8, 5, "warning", "imap://imap.example.com:993 as alice@example.com is already declared by account `work`; "
         "remove one, or correct its host, port or username"),
    ]  # fmt: skip


def test_mc702_passes_with_another_user() -> None:
    text = TWO_WORKS.replace("  work:\n    address: bob@", "  bob:\n    address: bob@")
    assert findings_of("MC702", text) == []


def host(value: str) -> str:
    return account(f"incoming:\n  protocol: imap\n  host: {value}\n")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('"imaps://imap.example.com:993/INBOX"', 'host is a URL (imaps://); write the host name only: '
         'host: "imap.example.com"'),
        ("imap.example.com:993", 'host includes a port; write host: "imap.example.com" and port: 993'),
        ('"imap example.com"', "host contains white space; remove it"),
        ("imap_1.example.com", "host contains \"_\"; a host name has only letters, digits, '-' and '.' (RFC 1123)"),
        ('""', "host is empty; write the server's name"),
        ("imap..example.com", "host has an empty label (a leading dot or two dots in a row); remove the extra dot"),
        ("-imap.example.com", "label \"-imap\" starts or ends with '-'; a label may not (RFC 1123)"),
        ("a" * 64 + ".example.com", 'label "aaaaaaaaaaaaaaaaaaaa..." is 64 characters long; a label has at most 63'),
        (".".join(["a" * 60] * 5), "host is 304 characters long; a host name has at most 253 (RFC 1123)"),
        ("Bücher.example", 'host "B\\u00fccher.example" is not ASCII; DNS and mail clients take a host name in '
         'ASCII: write its ASCII form: host: "xn--bcher-kva.example"'),
        # IDNA 2003 (Python's codec) makes fass.de of it, IDNA 2008 xn--fa-hia.de: no guess between two domains
        ("faß.de", 'host "fa\\u00df.de" is not ASCII; DNS and mail clients take a host name in ASCII: write the '
         "name in its ASCII form (xn--...), as the domain's registrar shows it"),
        ('"fe80::1%eth0"', 'host "fe80::1%eth0" is an IPv6 address with a zone (%eth0), which a host setting cannot '
         "carry; write a global address, or the server's name"),
        ('"2001:db8::zz"', 'host "2001:db8::zz" has \':\' but is no IPv6 address; write the server\'s name or its full '
         "IPv6 address"),
        # an address in brackets, as a URL writes it: given back without them (it was "has ':' but is no IPv6
        # address; write ... its full IPv6 address" for the one, "contains '['" for the other)
        ('"[2001:db8::1]"', "host is an address in brackets (a URL's form); write it without them: "
         'host: "2001:db8::1"'),
        ('"[2001:db8::1]:993"', "host is an address in brackets (a URL's form); write it without them: "
         'host: "2001:db8::1" and port: 993'),
        ('"[192.0.2.1]"', "host is an address in brackets (a URL's form); write it without them: host: \"192.0.2.1\""),
        ('"imaps://[2001:db8::1]:993/"', 'host is a URL (imaps://); write the host name only: host: "2001:db8::1"'),
        # brackets or not, an address with a zone is refused for its zone (it was "has ':' but is no IPv6 address")
        ('"[fe80::1%eth0]"', 'host "fe80::1%eth0" is an IPv6 address with a zone (%eth0), which a host setting '
         "cannot carry; write a global address, or the server's name"),
        ('"[imap.example.com]"', "host contains \"[\"; a host name has only letters, digits, '-' and '.' (RFC 1123)"),
    ],
)  # fmt: skip
def test_mc703_invalid_hostname_explains_the_schema_error(value: str, message: str) -> None:
    findings = lint_text(host(value))
    assert [(f.rule, f.location.line, f.location.column, f.message) for f in findings] == [("MC703", 7, 13, message)]


def test_mc703_catches_an_ipv4_with_port_that_looks_like_ipv6_to_the_schema() -> None:
    assert findings_of("MC703", host("192.0.2.1:993")) == [
        (7, 13, "error", 'host includes a port; write host: "192.0.2.1" and port: 993'),
    ]


@pytest.mark.parametrize("value", ["imap.example.com", "imap.example.com.", "192.0.2.1", "2001:db8::1", "::1"])
def test_mc703_passes_names_and_addresses(value: str) -> None:
    assert findings_of("MC703", host(value)) == []


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("mailserver", "a single-label name resolves through the local network's search domain"),
        ("nas.local", ".local names are answered by any device on the local network (mDNS)"),
    ],
)
def test_mc704_unqualified_hostname_informs(value: str, why: str) -> None:
    assert findings_of("MC704", host(value)) == [
        (7, 13, "info", f"{why}, so {value} differs per network; use the full name")
    ]


@pytest.mark.parametrize("value", ["mail.example.com", "localhost", "127.0.0.1", "::1"])
def test_mc704_passes_full_names_and_loopback(value: str) -> None:
    assert findings_of("MC704", host(value)) == []


def test_a_host_that_is_only_a_colon_is_one_mc703_error_not_also_an_unqualified_name() -> None:
    findings = lint_text(host('":"'))
    assert [(f.rule, f.location.line, f.location.column, f.message) for f in findings] == [
        ("MC703", 7, 13, "host \":\" has ':' but is no IPv6 address; write the server's name or its full IPv6 address"),
    ]


POP3 = account("incoming:\n  protocol: pop3\n  host: pop.example.com\n")
LEAVE = "set leave_on_server: true (and leave_days to bound it)"


def test_mc705_pop3_deletes_from_server_when_unset() -> None:
    assert findings_of("MC705", POP3) == [
        (5, 5, "warning", f"POP3 by default deletes mail from the server after download, so other devices never see "
         f"it; {LEAVE}"),
    ]  # fmt: skip


def test_mc705_pop3_deletes_from_server_when_false() -> None:
    assert findings_of("MC705", POP3 + "      leave_on_server: false\n") == [
        (8, 24, "warning", f"leave_on_server: false deletes mail from the server after download, so other devices "
         f"never see it; {LEAVE}"),
    ]  # fmt: skip


def test_mc705_passes_when_leaving_mail() -> None:
    assert findings_of("MC705", POP3 + "      leave_on_server: true\n      leave_days: 30\n") == []


def test_mc705_passes_leave_days_alone_which_says_to_leave_the_mail() -> None:
    # days to keep the copies say to keep them (mailconf/document.py _leaves); a false with days still deletes
    assert findings_of("MC705", POP3 + "      leave_days: 30\n") == []
    assert [f[:2] for f in findings_of("MC705", POP3 + "      leave_on_server: false\n      leave_days: 30\n")] == [
        (8, 24)
    ]


def timeout(value: int) -> str:
    return account(f"incoming:\n  protocol: imap\n  host: imap.example.com\n  timeout: {value}\n")


def test_mc706_timeout_too_short_fails() -> None:
    assert findings_of("MC706", timeout(4)) == [
        (8, 16, "warning", "a timeout of 4 s fails on slow networks and busy servers; set timeout: 30"),
    ]


@pytest.mark.parametrize("value", [0, 5, 30])
def test_mc706_passes_from_5_seconds_and_leaves_0_to_mc707(value: int) -> None:
    assert findings_of("MC706", timeout(value)) == []


@pytest.mark.parametrize(
    ("value", "said"),
    [(0, "timeout: 0 means no timeout"), (601, "a timeout of 601 s is effectively none")],
)
def test_mc707_timeout_unbounded_fails(value: int, said: str) -> None:
    assert findings_of("MC707", timeout(value)) == [
        (8, 16, "warning", f"{said}: a stalled server hangs the client; set timeout: 30"),
    ]


def test_mc707_passes_at_600_and_when_unset() -> None:
    assert findings_of("MC707", timeout(600)) == []
    assert findings_of("MC707", host("imap.example.com")) == []


def test_mc707_in_defaults_is_one_finding_for_all_servers() -> None:
    text = (
        "version: 1\ndefaults:\n  timeout: 0\naccounts:\n  work:\n    address: a@example.com\n"
        "    incoming: {protocol: imap, host: imap.example.com}\n    outgoing: {host: smtp.example.com}\n"
    )
    assert [(line, col) for line, col, _, _ in findings_of("MC707", text)] == [(3, 12)]


STALE = account("incoming:\n  protocol: imap\n  host: imap.example.com  # mailconf: disable=MC104 no IMAPS here\n")


def test_mc708_unused_suppression_informs() -> None:
    assert findings_of("MC708", STALE) == [
        (7, 31, "info", "suppression of MC104 is unused (it matched no finding); remove it"),
    ]


def test_mc708_passes_when_the_suppression_is_used() -> None:
    text = STALE.replace("imap.example.com  # mailconf", "imap.example.com\n      security: starttls  # mailconf")
    assert findings_of("MC708", text) == []
    assert findings_of("MC104", text) == []


def test_mc708_names_a_rule_that_does_not_exist() -> None:
    assert findings_of("MC708", STALE.replace("disable=MC104", "disable=MC999")) == [
        (7, 31, "info", "suppression of MC999 is unused (no such rule); remove it"),
    ]


def test_mc710_account_names_that_differ_only_in_case_warn_at_the_second() -> None:
    text = TWO_WORKS.replace("  work:\n    address: alice@", "  Work:\n    address: alice@")
    assert findings_of("MC710", text) == [
        (6, 3, "warning", "account `work` differs from account `Work` only in case: the files rendered for them "
         "are one file on macOS and Windows; rename one"),
    ]  # fmt: skip


def test_mc710_passes_names_that_differ_in_more_than_case() -> None:
    text = TWO_WORKS.replace("  work:\n    address: alice@", "  Work:\n    address: alice@")
    assert findings_of("MC710", text.replace("  work:\n    address: bob@", "  work-bob:\n    address: bob@")) == []


@pytest.mark.parametrize(
    ("name", "device"),
    [("CON", "CON"), ("prn", "prn"), ("AUX.1", "AUX"), ("nul", "nul"), ("Com9", "Com9"), ("lpt1.work", "lpt1")],
)
def test_mc711_a_name_windows_takes_for_a_device_warns_at_the_name(name: str, device: str) -> None:
    text = TWO_WORKS.replace("  work:\n    address: bob@", f"  {name}:\n    address: bob@")
    assert findings_of("MC711", text) == [
        (6, 3, "warning", f"account `{name}`: Windows takes `{device}` for a device, with any extension: the files "
         f"rendered for it (`{name}.muttrc`...) cannot be written or checked out there; rename it"),
    ]  # fmt: skip


def test_mc711_a_name_ending_in_a_dot_warns_at_the_name() -> None:
    text = TWO_WORKS.replace("  work:\n    address: bob@", "  bob..:\n    address: bob@")
    assert findings_of("MC711", text) == [
        (6, 3, "warning", "account `bob..` ends in a dot, which Windows drops from a folder's name: its mail "
         "folder there would be `bob`; remove the dot"),
    ]  # fmt: skip


@pytest.mark.parametrize("name", ["con-mail", "console", "COM10", "nul_", "lpt", "aux-1.work", "work.1"])
def test_mc711_passes_names_that_only_look_like_a_device(name: str) -> None:
    assert findings_of("MC711", TWO_WORKS.replace("  work:\n    address: bob@", f"  {name}:\n    address: bob@")) == []


def test_mc711_leaves_the_superscript_device_names_to_the_schema() -> None:
    """COM¹ and LPT³ are reserved too; account names are ASCII, so the schema refuses them first."""
    text = TWO_WORKS.replace("  work:\n    address: bob@", "  COM¹:\n    address: bob@")
    assert [rule for rule in (f.rule for f in lint_text(text)) if rule in ("MC002", "MC711")] == ["MC002"]


BLANKS = """\
version: 1
defaults:
  outgoing: {token_command: "  "}
accounts:
  work:
    address: alice@example.com
    display_name: ""
    organization: "\\u00a0"
    incoming: {protocol: imap, host: imap.example.com, username: " ", password_command: " "}
    outgoing: {host: smtp.example.com, auth: oauth2}
"""


def test_mc712_blank_names_warn_and_blank_logins_are_errors_where_written() -> None:
    assert findings_of("MC712", BLANKS) == [
        (3, 29, "error", "account `work`: outgoing.token_command is blank: it runs nothing and the token would be "
         "empty; write the command that prints it"),
        (7, 19, "warning", "account `work`: display_name is blank: write it, or remove the key"),
        (8, 19, "warning", "account `work`: organization is blank: write it, or remove the key"),
        (9, 66, "error", "account `work`: incoming.username is blank: the login would fail; write the user name, "
         "or remove the key to log in with the address"),
        (9, 89, "error", "account `work`: incoming.password_command is blank: it runs nothing and the password "
         "would be empty; write the command that prints it, or remove the key to be asked"),
    ]  # fmt: skip


def test_mc712_passes_values_with_a_letter_and_keys_left_out() -> None:
    text = (
        BLANKS.replace('"  "', '"oauth2-token alice"').replace('""', '" Alice "').replace('"\\u00a0"', "Example")
        .replace(' username: " ", password_command: " "', " password_command: pass show mail")
    )  # fmt: skip
    assert findings_of("MC712", text) == []


def _older(key: str, line: int) -> str:
    """MC701's message as mailconf wrote it before it quoted the key in double quotes: with Python's repr()."""
    return f"duplicate key {key!r} (first defined at line {line}); YAML keeps only one: remove or rename one"


@pytest.mark.parametrize("key", ["work", 'a"b', "it's", "both ' and \"", "a\\b", "a\u202eb\x1b\n", "\ud800", "3", ""])
def test_mc701_message_quotes_the_key_and_gives_back_the_older_spelling(key: str) -> None:
    """The key as errors.double_quoted shows it; repr_spelt gives the message a baseline written before hashed."""
    message = DUPLICATE.message(key, 3)
    assert message == (
        f"duplicate key {double_quoted(key)} (first defined at line 3); YAML keeps only one: remove or rename one"
    )
    assert DUPLICATE.key_of(message) == key
    assert DUPLICATE.repr_spelt(message) == _older(key, 3)
    assert DUPLICATE.repr_spelt(message.replace("line 3", "line")) == _older(key, 3).replace("line 3", "line")


@given(st.text(), st.integers(min_value=1, max_value=10**6))
def test_mc701_older_spelling_of_any_key(key: str, line: int) -> None:
    assert DUPLICATE.repr_spelt(DUPLICATE.message(key, line)) == _older(key, line)


def test_mc701_older_spelling_of_another_message_is_none() -> None:
    assert DUPLICATE.repr_spelt("duplicate key 'work' (first defined at line 3); YAML keeps only one") is None
    assert DUPLICATE.repr_spelt('unknown key "work"') is None


#: each rule of rules.REPR_SPELT: a message of its own, the text it quotes being "MARK"
QUOTING = {"MC001": SYNTAX.not_valid("MARK", "int"), "MC701": DUPLICATE.message("MARK", 3)}


def test_every_rule_with_an_older_spelling_is_tried_here() -> None:
    assert sorted(REPR_SPELT) == sorted(QUOTING)


@pytest.mark.parametrize("rule", sorted(QUOTING))
@pytest.mark.parametrize("escape", ["\\x", "\\x4", "\\q", "\\N{BULLET}", "\\U00110000", "\\ud80", "\\\n"])
def test_a_text_no_message_quotes_is_none_without_a_word(rule: str, escape: str) -> None:
    """A message the rule never writes, its text with an escape errors.double_quoted never writes: None, as for any
    other message. ast.literal_eval raised SyntaxError for a bad escape ("truncated \\xXX escape"), and read ``\\q``
    as two characters with a DeprecationWarning on standard error."""
    said = QUOTING[rule].replace('"MARK"', f'"a{escape}"')
    assert said != QUOTING[rule]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert REPR_SPELT[rule](said) is None
        if rule == "MC701":
            assert DUPLICATE.key_of(said) is None
