"""lint --fix, --diff, --unsafe-fixes: every fixable rule, byte for byte, in a file full of
comments, anchors, flow style and odd quoting; what is never touched; the CLI."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailconf.document import load_document
from mailconf.fix import Outcome, fix_text
from mailconf.lint import lint_document
from mailconf.model import Finding
from mailconf.rules import FIXES
from mailconf.settings import Policy
from tests.test_cli import run_mailconf
from tests.test_schema import TEXT_HELP

#: No fixable finding in it: comments everywhere, an anchor with its alias and a merge key,
#: flow mappings with odd spacing, every quoting style, a folded command, blank lines.
HEAD = """\
# yaml-language-server: $schema=../schemas/mailconf.schema.json
---
version: 1   # the only version

x-tls: &strict   # shared TLS settings
  min_version: "1.2"
x-imap: &imap {protocol: imap,  host: imap.example.com}

defaults:
  timeout: 30      # seconds
  incoming: { auth: password }

accounts:
  # the boss's account
  boss:
    address: 'boss@example.com'
    display_name: "The \\"Boss\\""     # escaped quotes
    incoming:
      <<: *imap
      port: 993
      tls: *strict

      password_command: >-
        pass show mail/boss
    outgoing: { host: smtp.example.com,   port: 465,  password_command: "pass show mail/boss" }
"""


def account(body: str) -> str:
    """An account `t` after the others, its body at the right indentation."""
    return "  t:  # under test\n    address: t@example.com\n" + "".join(
        f"    {line}\n" if line else "\n" for line in body.strip("\n").split("\n")
    )


#: rule -> (the account's body before, after --fix [--unsafe-fixes when the fix is unsafe])
CASES: dict[str, tuple[str, str]] = {
    "MC101": (
        "incoming:\n  protocol: imap\n  host: imap.example.com\n  port: 143   # old\n  security: none\n"
        "  password_command: pass show t",
        "incoming:\n  protocol: imap\n  host: imap.example.com\n  port: 993   # old\n  security: tls\n"
        "  password_command: pass show t",
    ),
    "MC102": (
        "outgoing: {host: relay.example.com, security: none, auth: none}",
        "outgoing: {host: relay.example.com, security: tls, auth: none}",
    ),
    "MC103": (
        'incoming: {protocol: imap, host: imap.example.com, port: 1143, security: "starttls-optional",\n'
        "           password_command: pass show t}",
        'incoming: {protocol: imap, host: imap.example.com, port: 1143, security: "starttls",\n'
        "           password_command: pass show t}",
    ),
    "MC104": (
        "outgoing:\n  host: smtp.example.com\n  port: 587\n  security: 'starttls'  # was\n"
        "  password_command: pass show t",
        "outgoing:\n  host: smtp.example.com\n  port: 465\n  security: 'tls'  # was\n  password_command: pass show t",
    ),
    "MC105": (
        "incoming:\n  protocol: imap\n  host: imap.example.com\n  tls: {min_version: '1.0'}\n"
        "  password_command: pass show t",
        "incoming:\n  protocol: imap\n  host: imap.example.com\n  tls: {min_version: '1.2'}\n"
        "  password_command: pass show t",
    ),
    "MC201": (
        "incoming:\n  protocol: imap\n  host: imap.example.com\n  port: 993  # implicit\n  security: starttls\n"
        "  password_command: pass show t",
        "incoming:\n  protocol: imap\n  host: imap.example.com\n  port: 143  # implicit\n  security: starttls\n"
        "  password_command: pass show t",
    ),
    "MC202": (
        "incoming: {protocol: pop3, host: pop.example.com, port: 110, security: tls, leave_on_server: true,\n"
        "           password_command: pass show t}",
        "incoming: {protocol: pop3, host: pop.example.com, port: 995, security: tls, leave_on_server: true,\n"
        "           password_command: pass show t}",
    ),
    "MC203": (
        "outgoing: {host: smtp.example.com, port: 995, password_command: pass show t}",
        "outgoing: {host: smtp.example.com, port: 465, password_command: pass show t}",
    ),
    "MC204": (
        "outgoing:\n  host: smtp.example.com\n  port: 25\n  security: starttls\n  password_command: pass show t",
        "outgoing:\n  host: smtp.example.com\n  port: 465\n  security: tls\n  password_command: pass show t",
    ),
    "MC301": (
        "incoming:\n  protocol: imap\n  host: imap.example.com\n  mechanisms:\n    - scram-sha-256\n"
        "    - cram-md5   # old server\n    - plain\n  password_command: pass show t\n"
        "outgoing: {host: smtp.example.com, mechanisms: [digest-md5,  plain], password_command: pass show t}",
        "incoming:\n  protocol: imap\n  host: imap.example.com\n  mechanisms:\n    - scram-sha-256\n"
        "    - plain\n  password_command: pass show t\n"
        "outgoing: {host: smtp.example.com, mechanisms: [plain], password_command: pass show t}",
    ),
    "MC501": (
        "incoming:\n  protocol: imap\n  host: imap.example.com\n  tls:\n    verify: false  # self-signed\n"
        "  password_command: pass show t",
        "incoming:\n  protocol: imap\n  host: imap.example.com\n  tls:\n    verify: true  # self-signed\n"
        "  password_command: pass show t",
    ),
    "MC502": (
        "incoming:\n  protocol: imap\n  host: imap.example.com\n  tls: {verify_hostname: False}\n"
        "  password_command: pass show t",
        "incoming:\n  protocol: imap\n  host: imap.example.com\n  tls: {verify_hostname: True}\n"
        "  password_command: pass show t",
    ),
    "MC712": (
        'display_name: ""   # to fill in\n'
        "incoming: {protocol: imap, host: imap.example.com, password_command: pass show t}",
        "incoming: {protocol: imap, host: imap.example.com, password_command: pass show t}",
    ),
    "MC705": (
        "incoming:\n  protocol: pop3\n  host: pop.example.com\n  leave_on_server: false\n  leave_days: 30\n"
        "  password_command: pass show t",
        "incoming:\n  protocol: pop3\n  host: pop.example.com\n  leave_on_server: true\n  leave_days: 30\n"
        "  password_command: pass show t",
    ),
    "MC706": (
        "outgoing: {host: smtp.example.com, timeout: 2, password_command: pass show t}",
        "outgoing: {host: smtp.example.com, timeout: 30, password_command: pass show t}",
    ),
    "MC707": (
        "outgoing:\n  host: smtp.example.com\n  timeout: 0\n\n  password_command: pass show t",
        "outgoing:\n  host: smtp.example.com\n  timeout: 30\n\n  password_command: pass show t",
    ),
    "MC708": (
        "outgoing:\n  host: smtp.example.com  # mailconf: disable=MC104 no longer needed\n"
        "  # mailconf: disable=MC706,mc706 repeated\n  timeout: 2\n  password_command: pass show t",
        "outgoing:\n  host: smtp.example.com\n  # mailconf: disable=MC706 repeated\n  timeout: 2\n"
        "  password_command: pass show t",
    ),
}


def fix(text: str, *, unsafe: bool = False, policy: Policy | None = None) -> Outcome:
    return fix_text("accounts.yaml", text.encode("utf-8"), policy or Policy(), unsafe=unsafe)


def rules_of(text: str) -> list[str]:
    from tests.conftest import lint_text

    return sorted({f.rule for f in lint_text(text)})


def test_the_surrounding_file_has_nothing_to_fix() -> None:
    assert rules_of(HEAD) == []
    outcome = fix(HEAD, unsafe=True)
    assert (outcome.after, outcome.fixed, outcome.refused) == (HEAD, (), None)


def test_every_fixable_rule_has_a_case() -> None:
    assert sorted(CASES) == sorted(set(FIXES) - {"MC004", "MC005"})


@pytest.mark.parametrize("rule", sorted(CASES))
def test_fix_changes_exactly_the_flagged_value_byte_for_byte(rule: str) -> None:
    before, after = (HEAD + account(body) for body in CASES[rule])
    assert rule in rules_of(before)
    unsafe = FIXES[rule].safety == "unsafe"
    outcome = fix(before, unsafe=unsafe)
    assert outcome.refused is None
    assert outcome.after == after
    assert rule in {f.rule for f in outcome.fixed}
    assert rule not in [f.rule for f in outcome.result.findings]


@pytest.mark.parametrize("rule", sorted(CASES))
def test_the_fixed_file_is_a_passing_counter_example_and_fixing_again_changes_nothing(rule: str) -> None:
    after = HEAD + account(CASES[rule][1])
    assert rule not in rules_of(after) or rule == "MC708"  # MC708: the directive left is used
    outcome = fix(after, unsafe=FIXES[rule].safety == "unsafe")
    assert (outcome.after, outcome.fixed) == (after, ())


@pytest.mark.parametrize("rule", sorted(r for r in CASES if FIXES[r].safety == "unsafe"))
def test_an_unsafe_fix_is_shown_but_not_applied_without_unsafe_fixes(rule: str) -> None:
    before = HEAD + account(CASES[rule][0])
    outcome = fix(before)
    assert rule not in {f.rule for f in outcome.fixed}
    assert rule in [f.rule for f in outcome.result.findings]
    assert outcome.unsafe_left >= 1


@pytest.mark.parametrize(
    "server",
    [
        "outgoing: {host: smtp.example.com, mechanisms: [cram-md5, gssapi], password_command: pass show t}",
        "outgoing: {host: smtp.example.com, auth: ntlm, mechanisms: [ntlm, external], password_command: pass show t}",
    ],
)
def test_a_weak_mechanism_is_not_dropped_when_no_mechanism_left_uses_what_auth_gives(server: str) -> None:
    # GSSAPI next to CRAM-MD5 is a Kerberos fallback (MC304 is quiet); alone, it contradicts auth: password, an
    # error render refuses. The fix would have turned a file that renders into one that does not.
    before = HEAD + account(server)
    outcome = fix(before, unsafe=True)
    assert "MC304" not in rules_of(before)
    assert (outcome.after, outcome.fixed) == (before, ())


def test_a_blank_key_goes_with_one_comma_of_a_flow_mapping() -> None:
    before = HEAD + (
        '  f: {display_name: " ", address: f@example.com, organization: "",\n'
        "      incoming: {protocol: imap, host: imap.example.com, password_command: pass show f}}\n"
    )
    outcome = fix(before)
    assert outcome.after == HEAD + (
        "  f: {address: f@example.com,\n"
        "      incoming: {protocol: imap, host: imap.example.com, password_command: pass show f}}\n"
    )
    assert [f.rule for f in outcome.fixed] == ["MC712", "MC712"]


DIRECTED = """\
version: 1
accounts:
  a:
    address: a@example.com
    # mailconf: disable=MC704
    organization: ""
    incoming: {protocol: imap, host: legacy, password_command: pass show t}
    outgoing:
      mechanisms:
        - plain
        # mailconf: disable=MC704
        - cram-md5
      host: mailer
      password_command: pass show t
"""


def test_a_line_a_directive_above_applies_to_is_not_removed_while_the_directive_stays(tmp_path: Path) -> None:
    """A directive alone on its line applies to the next line, whichever that is. With MC708 off, nothing removed
    the directives: --fix removed `organization: ""` (MC712) and `- cram-md5` (MC301), the directives above them
    applied to the lines after them, and the two MC704 findings reported before the fix were gone after it."""
    (tmp_path / "a.yaml").write_text(DIRECTED, encoding="utf-8")
    mc704 = (
        "info MC704 unqualified-hostname: a single-label name resolves through the local network's search domain, "
        "so {} differs per network; use the full name\n"
    )
    assert run_mailconf("lint", "--fix", "--unsafe-fixes", "--disable", "MC708", "a.yaml", cwd=tmp_path) == (
        0,
        "a.yaml:6:19: warning MC712 blank-value: account `a`: organization is blank: write it, or remove the key\n"
        "a.yaml:7:38: " + mc704.format("legacy") + "a.yaml:12:11: warning MC301 weak-sasl-mechanism: CRAM-MD5 no "
        "longer protects the password and needs it stored reversibly; use scram-sha-256 where offered, else plain "
        "inside TLS\n"
        "a.yaml:13:13: " + mc704.format("mailer") + "2 warnings, 2 info in 1 file\n",
        "mailconf: fixed 0 findings in 0 files\n",
    )
    assert (tmp_path / "a.yaml").read_text(encoding="utf-8") == DIRECTED
    # with MC708 on, the unused directives go first, then the lines
    assert run_mailconf("lint", "--fix", "--unsafe-fixes", "a.yaml", cwd=tmp_path)[2] == (
        "mailconf: fixed 4 findings in 1 file\n"
    )
    assert (tmp_path / "a.yaml").read_text(encoding="utf-8") == DIRECTED.replace(
        '    # mailconf: disable=MC704\n    organization: ""\n', ""
    ).replace("        # mailconf: disable=MC704\n        - cram-md5\n", "")
    # a disable-file directive applies to the whole file, wherever it is: the line after it goes
    text = DIRECTED.replace("    # mailconf: disable=MC704\n", "    # mailconf: disable-file=MC704 our own names\n", 1)
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    assert run_mailconf("lint", "--fix", "--disable", "MC708", "a.yaml", cwd=tmp_path)[2] == (
        "mailconf: fixed 1 finding in 1 file\n"
    )
    assert (tmp_path / "a.yaml").read_text(encoding="utf-8") == text.replace('    organization: ""\n', "")


#: port 993 with starttls under a directive for MC104: MC201's fix makes it 143, and then MC104 applies, which the
#: directive suppresses (unused until that fix)
MADE_USED = (
    "version: 1\n"
    "accounts:\n"
    "  a:\n"
    "    address: a@example.com\n"
    "    incoming:\n"
    "      protocol: imap\n"
    "      host: imap.example.com\n"
    "      port: 993\n"
    "      security: starttls  # mailconf: disable=MC104 the provider has no IMAPS (ticket 12)\n"
    "      password_command: pass show a\n"
)


@pytest.mark.parametrize("unsafe", [(), ("--unsafe-fixes",)])
def test_a_directive_unused_until_another_fix_makes_it_used_is_kept(unsafe: tuple[str, ...], tmp_path: Path) -> None:
    # MC201 moves port 993 to 143 for the starttls written; then MC104 applies, which the directive suppresses. Both
    # fixes went in one pass, judged on the text before it: the directive and its reason went, MC104 was reported,
    # and --unsafe-fixes then made it implicit TLS on 993, what the reason says the provider does not have
    text = MADE_USED
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    assert run_mailconf("lint", "--fix", *unsafe, "a.yaml", cwd=tmp_path) == (
        0,
        "",
        "mailconf: fixed 1 finding in 1 file\n",
    )
    assert (tmp_path / "a.yaml").read_text(encoding="utf-8") == text.replace("port: 993", "port: 143")


def test_an_unused_directive_goes_and_a_comment_written_after_it_stays(tmp_path: Path) -> None:
    # the whole comment went, the user's `# ask IT` after the directive with it: a comment is kept as ruff keeps
    # `# comment` after an unused noqa directive (RUF100); the directive's own reason (no `#`) goes with it, as before
    text = (
        "version: 1\n"
        "accounts:\n"
        "  a:\n"
        "    address: a@example.com\n"
        "    # mailconf: disable=MC104 no IMAPS\t# ask IT (ticket 12)\n"
        "    incoming:\n"
        "      protocol: imap  # mailconf: disable=MC104 # mailconf: disable=MC501  # imap only\n"
        "      host: imap.example.com  # mailconf: disable=MC104  # ask IT\n"
        "      password_command: pass show a # mailconf: disable=MC104,MC706 old # see below # and here\n"
        "      tls: {verify: true}  # mailconf: disable=MC104 # mailconf: disable=MC501\n"
    )
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    assert run_mailconf("lint", "--fix", "a.yaml", cwd=tmp_path) == (
        0,
        "",
        "mailconf: fixed 6 findings in 1 file\n",
    )
    assert (tmp_path / "a.yaml").read_text(encoding="utf-8") == (
        "version: 1\n"
        "accounts:\n"
        "  a:\n"
        "    address: a@example.com\n"
        "    # ask IT (ticket 12)\n"
        "    incoming:\n"
        "      protocol: imap  # imap only\n"
        "      host: imap.example.com  # ask IT\n"
        "      password_command: pass show a # see below # and here\n"
        # a directive after it was text; kept, it would become one: it goes too, as before
        "      tls: {verify: true}\n"
    )


def test_an_item_removed_before_a_comment_in_a_flow_list_keeps_the_space_before_the_comment() -> None:
    # `[cram-md5, # old` became `[# old`: libyaml reads that, but YAML wants white space before a comment
    # (other parsers refuse it, yamllint flags it), and the space was a byte the fix had no business removing
    before = HEAD + account(
        "incoming: {protocol: imap, host: imap.example.com, password_command: pass show t,\n"
        "           mechanisms: [cram-md5, # old\n"
        "           scram-sha-256]}"
    )
    outcome = fix(before, unsafe=True)
    assert outcome.after == before.replace("[cram-md5, # old", "[ # old")
    assert [f.rule for f in outcome.fixed] == ["MC301"]


def test_a_value_followed_by_a_long_run_of_spaces_is_fixed_at_once() -> None:
    """Where a plain value ends was searched with a pattern that ran over every space of the run from each space:
    100,000 spaces between a port and its comment held --fix for about 40 s (lint alone took 0.2 s); the 300,000
    here, some six minutes, and now a few hundredths of a second. SIGALRM after 60 s is a hang guard, not a measure."""
    import signal

    def hung(signum: int, frame: object) -> None:
        raise AssertionError("--fix of one long line still running after 60 s (it takes hundredths of a second)")

    before = HEAD + account(
        "incoming: {protocol: imap, host: imap.example.com, port: 143" + " " * 300_000 + "# old\n"
        "           , security: tls, password_command: pass show t}"
    )
    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(60)
    try:
        outcome = fix(before)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert outcome.after == before.replace("port: 143 ", "port: 993 ")
    assert [f.rule for f in outcome.fixed] == ["MC202"]


def test_a_blank_value_on_a_line_of_its_own_and_a_blank_login_are_left_as_they_are() -> None:
    """A layout the key's deletion does not recognise is left, not guessed at; without username the client would
    log in with the address, which is not the same login: the user says which one was meant."""
    before = HEAD + account(
        'display_name:\n  " "\nincoming: {protocol: imap, host: imap.example.com, username: " ",\n'
        "           password_command: pass show t}"
    )
    outcome = fix(before, unsafe=True)
    assert (outcome.after, outcome.fixed) == (before, ())
    assert [(f.rule, f.location.line) for f in outcome.result.findings] == [("MC712", 29), ("MC712", 30)]


def test_bom_is_removed_and_nothing_else() -> None:
    outcome = fix("\ufeff" + HEAD)
    assert (outcome.after, [f.rule for f in outcome.fixed]) == (HEAD, ["MC004"])


def test_crlf_becomes_lf_everywhere_and_nothing_else() -> None:
    outcome = fix(HEAD.replace("\n", "\r\n"))
    assert (outcome.after, [f.rule for f in outcome.fixed]) == (HEAD, ["MC005"])


def test_a_lone_cr_before_a_crlf_stays_a_line_end_of_its_own() -> None:
    # CR CR LF is two line ends (a lone CR, then CRLF); taking out one CR left CR LF, one line end: the folded value
    # lost its paragraph break, and --fix refused the whole file as "please report this as a bug"
    before = HEAD + account("display_name: >\n  The\r\n\n  Boss\nincoming: {protocol: imap, host: imap.example.com}")
    outcome = fix(before.replace("\n", "\r\n"))
    assert (outcome.after, [f.rule for f in outcome.fixed], outcome.refused) == (
        HEAD + account("display_name: >\n  The\n\n\n  Boss\nincoming: {protocol: imap, host: imap.example.com}"),
        ["MC005"],
        None,
    )
    name = load_document("a.yaml", before.replace("\n", "\r\n").encode()).data["accounts"]["t"]["display_name"]
    assert load_document("a.yaml", outcome.after.encode()).data["accounts"]["t"]["display_name"] == name
    assert name == "The\n\nBoss\n"


@pytest.mark.parametrize("layout", ["display_name: {}", "display_name:\n  {}"])
@pytest.mark.parametrize("space", ["\u00a0", "\u3000"])
def test_an_unused_directive_goes_and_the_unicode_space_before_it_stays_in_the_value(layout: str, space: str) -> None:
    # YAML's white space is space and tab: a no-break space (or any other) before the comment ends the value, which
    # the directive's removal took with it (all of the line, when the value was that space alone)
    body = layout + "  # mailconf: disable=MC101\nincoming: {{protocol: imap, host: imap.example.com}}"
    before = HEAD + account(body.format("Alice" + space))
    outcome = fix(before)
    assert (outcome.after, [f.rule for f in outcome.fixed], outcome.refused) == (
        before.replace("  # mailconf: disable=MC101", ""),
        ["MC708"],
        None,
    )
    alone = HEAD + account(body.format(space))
    assert fix(alone).after == alone.replace("  # mailconf: disable=MC101", "")


def test_lone_cr_line_ends_count_as_lines_where_a_value_is_fixed(tmp_path: Path) -> None:
    # the parser counts a lone CR (old Mac line ends) as a line break: the fix must find the value there too
    before = (HEAD + account(CASES["MC201"][0])).replace("\n", "\r")
    outcome = fix(before)
    assert (outcome.after, [f.rule for f in outcome.fixed]) == (
        (HEAD + account(CASES["MC201"][1])).replace("\n", "\r"),
        ["MC201"],
    )
    (tmp_path / "a.yaml").write_text(before, encoding="utf-8", newline="")
    assert run_mailconf("lint", "--fix", "a.yaml", cwd=tmp_path) == (
        0,
        "a.yaml:32:17: warning MC104 prefer-implicit-tls: IMAP to imap.example.com uses STARTTLS; implicit TLS avoids "
        "the cleartext phase and its injection bugs: set security: tls and port: 993\n"
        "1 warning in 1 file\n",
        "mailconf: fixed 1 finding in 1 file; 1 more with --unsafe-fixes\n",
    )
    assert (tmp_path / "a.yaml").read_bytes() == outcome.after.encode()


def test_bom_crlf_and_a_value_in_one_run() -> None:
    before = "\ufeff" + (HEAD + account(CASES["MC706"][0])).replace("\n", "\r\n")
    outcome = fix(before)
    assert outcome.after == HEAD + account(CASES["MC706"][1])
    assert sorted(f.rule for f in outcome.fixed) == ["MC004", "MC005", "MC706"]


# --- what a fix never touches ----------------------------------------------------------------


def test_a_value_shared_through_an_anchor_or_a_merge_key_is_not_fixed() -> None:
    shared = HEAD.replace("  timeout: 30      # seconds\n", "  timeout: 30\n") + (
        "  t:\n    address: t@example.com\n    incoming:\n      <<: *slow\n      password_command: pass show t\n"
    )
    before = shared.replace(
        "x-tls: &strict", "x-slow: &slow {protocol: imap, host: imap.example.com, timeout: 1}\nx-tls: &strict"
    )
    assert "MC706" in rules_of(before)
    outcome = fix(before, unsafe=True)
    assert outcome.after == before  # changing the anchor would change every alias


def test_a_value_in_defaults_that_other_servers_share_is_not_fixed_by_a_port_rule() -> None:
    before = HEAD.replace("  incoming: { auth: password }", "  incoming: { auth: password, security: starttls }") + (
        account("incoming: {protocol: imap, host: imap.example.com, port: 993, password_command: pass show t}")
    )
    assert "MC201" in rules_of(before)
    outcome = fix(before, unsafe=True)
    # each server's own port follows the declared mode; the shared default itself is left alone
    assert outcome.after == before.replace("port: 993", "port: 143")
    assert "security: starttls }" in outcome.after


def test_a_secret_is_never_written_or_shown() -> None:
    body = "incoming: {protocol: imap, host: imap.example.com, security: none, password: hunter2}"
    before = HEAD + account(body)
    outcome = fix(before, unsafe=True)
    assert outcome.after == HEAD + account(body.replace("security: none", "security: tls"))


def test_a_file_with_a_syntax_error_is_never_touched(tmp_path: Path) -> None:
    broken = (HEAD + account(CASES["MC706"][0])).replace("version: 1", "version: [1")
    path = tmp_path / "accounts.yaml"
    path.write_text(broken, encoding="utf-8")
    outcome = run_mailconf("lint", "--fix", "accounts.yaml", cwd=tmp_path)
    assert outcome.code == 1
    assert (
        "mailconf: accounts.yaml: not fixed: it has YAML syntax or encoding errors; fix those first\n" in outcome.stderr
    )
    assert path.read_text(encoding="utf-8") == broken


def test_suppressed_and_disabled_findings_are_not_fixed() -> None:
    body = "outgoing: {host: smtp.example.com, timeout: 2, password_command: pass show t}  # mailconf: disable=MC706"
    before = HEAD + account(body)
    assert fix(before).after == before
    other = HEAD + account(CASES["MC706"][0])
    assert fix(other, policy=Policy().merged(disable=["MC706"])).after == other


# --- the command line ----------------------------------------------------------------------


def test_fix_writes_in_place_keeps_the_mode_and_reports_what_is_left(tmp_path: Path) -> None:
    path = tmp_path / "accounts.yaml"
    path.write_text(HEAD + account(CASES["MC706"][0]), encoding="utf-8")
    os.chmod(path, 0o640)
    outcome = run_mailconf("lint", "--fix", "accounts.yaml", cwd=tmp_path)
    assert outcome == (0, "", "mailconf: fixed 1 finding in 1 file\n")
    assert path.read_text(encoding="utf-8") == HEAD + account(CASES["MC706"][1])
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["accounts.yaml"]  # no temporary file left
    again = run_mailconf("lint", "--fix", "accounts.yaml", cwd=tmp_path)
    assert again == (0, "", "mailconf: fixed 0 findings in 0 files\n")


@pytest.mark.parametrize("fail_level", ["--fail-level", "settings"])
def test_fix_exits_1_for_a_finding_left_at_the_fail_level_as_lint_does(fail_level: str, tmp_path: Path) -> None:
    # the results of --fix had the default fail level, error: with `--fail-level warning` (or `fail-level: warning`
    # in the settings) a warning left (an unsafe fix not made) exited 0, where lint of the same file exits 1
    text = (
        "version: 1\naccounts:\n  a:\n    address: a@example.com\n"
        "    incoming: {protocol: imap, host: imap.example.com, port: 143, security: starttls,"
        " password_command: pass a}\n"
    )
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    options = ("--fail-level", "warning") if fail_level == "--fail-level" else ()
    if fail_level == "settings":
        (tmp_path / ".mailconf.yaml").write_text("fail-level: warning\n", encoding="utf-8")
    left = (
        "a.yaml:5:77: warning MC104 prefer-implicit-tls: IMAP to imap.example.com uses STARTTLS; implicit TLS avoids "
        "the cleartext phase and its injection bugs: set security: tls and port: 993\n1 warning in 1 file\n"
    )
    assert run_mailconf("lint", *options, "a.yaml", cwd=tmp_path) == (1, left, "")
    assert run_mailconf("lint", "--fix", *options, "a.yaml", cwd=tmp_path) == (
        1,
        left,
        "mailconf: fixed 0 findings in 0 files; 1 more with --unsafe-fixes\n",
    )


def test_fix_leaves_unsafe_fixes_and_says_so(tmp_path: Path) -> None:
    text = HEAD + account(CASES["MC101"][0])
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    outcome = run_mailconf("lint", "--fix", "a.yaml", cwd=tmp_path)
    assert outcome.code == 1
    assert outcome.stdout.startswith("a.yaml:32:17: error MC101 cleartext-credentials: ")
    assert outcome.stderr == "mailconf: fixed 0 findings in 0 files; 1 more with --unsafe-fixes\n"
    assert (tmp_path / "a.yaml").read_text(encoding="utf-8") == text
    fixed = run_mailconf("lint", "--fix", "--unsafe-fixes", "a.yaml", cwd=tmp_path)
    assert fixed == (0, "", "mailconf: fixed 1 finding in 1 file\n")
    assert (tmp_path / "a.yaml").read_text(encoding="utf-8") == HEAD + account(CASES["MC101"][1])


def test_diff_prints_a_unified_diff_writes_nothing_and_exits_1(tmp_path: Path) -> None:
    text = HEAD + account(CASES["MC707"][0])
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    outcome = run_mailconf("lint", "--diff", "a.yaml", cwd=tmp_path)
    assert outcome == (
        1,
        "--- a.yaml\n+++ a.yaml\n@@ -27,6 +27,6 @@\n"
        "     address: t@example.com\n     outgoing:\n       host: smtp.example.com\n"
        "-      timeout: 0\n+      timeout: 30\n \n       password_command: pass show t\n",
        "mailconf: would fix 1 finding in 1 file\n",
    )
    assert (tmp_path / "a.yaml").read_text(encoding="utf-8") == text
    (tmp_path / "b.yaml").write_text(HEAD, encoding="utf-8")
    assert run_mailconf("lint", "--diff", "b.yaml", cwd=tmp_path) == (
        0,
        "",
        "mailconf: would fix 0 findings in 0 files\n",
    )


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_diff_in_json_or_sarif_prints_the_diff_and_lists_no_fixes_it_would_not_print(
    fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # --diff prints the diff whatever the format; it listed every finding's fix for a json/sarif report it never
    # printed (the whole work of the report's fixes, for nothing)
    import click.testing

    from mailconf import fix
    from mailconf.cli import cli

    def listed(_results: object) -> object:
        raise AssertionError("the fixes of a report --diff does not print were listed")

    text = HEAD + account(CASES["MC707"][0])
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(fix, "with_fixes", listed)
    done = click.testing.CliRunner().invoke(cli, ["lint", "--diff", "--format", fmt, "a.yaml"])
    assert not isinstance(done.exception, AssertionError), done.exception
    assert (done.exit_code, done.stdout) == (1, run_mailconf("lint", "--diff", "a.yaml", cwd=tmp_path).stdout)
    assert done.stdout.startswith("--- a.yaml\n+++ a.yaml\n@@ -27,6 +27,6 @@\n")
    assert (tmp_path / "a.yaml").read_text(encoding="utf-8") == text


@pytest.mark.parametrize("option", ["--write-baseline", "--output-file"])
def test_diff_with_an_option_that_writes_a_file_is_a_usage_error(option: str, tmp_path: Path) -> None:
    # --diff returned before the baseline or the report was written: neither was, without a word, and exit 1
    text = HEAD + account(CASES["MC706"][0])
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    assert run_mailconf("lint", "--diff", option, "out.json", "a.yaml", cwd=tmp_path) == (
        2,
        "",
        "mailconf: --diff writes nothing: use it without --output-file and --write-baseline\n",
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yaml"]
    assert (tmp_path / "a.yaml").read_text(encoding="utf-8") == text


@pytest.mark.parametrize(
    "broken", [b"version: [1\n", b"version: 1\naccounts: {}\n# caf\xe9\n"], ids=["syntax", "encoding"]
)
def test_diff_of_a_file_it_will_not_fix_exits_1(broken: bytes, tmp_path: Path) -> None:
    # it exited 0, "nothing to change", so a check on --diff passed a file whose errors --fix leaves undone
    (tmp_path / "a.yaml").write_bytes(broken)
    assert run_mailconf("lint", "--diff", "a.yaml", cwd=tmp_path) == (
        1,
        "",
        "mailconf: a.yaml: not fixed: it has YAML syntax or encoding errors; fix those first\n"
        "mailconf: would fix 0 findings in 0 files\n",
    )
    assert (tmp_path / "a.yaml").read_bytes() == broken


def test_fix_of_standard_input_prints_the_fixed_text_and_reports_on_standard_error(tmp_path: Path) -> None:
    # as ruff --fix - does, for editors and pipes: standard output is the file, nothing else; it was refused (exit 2)
    text = HEAD + account(CASES["MC706"][0])
    outcome = run_mailconf("lint", "--fix", "-", "--stdin-filename", "conf/a.yaml", cwd=tmp_path, stdin=text)
    assert outcome == (0, HEAD + account(CASES["MC706"][1]), "mailconf: fixed 1 finding in 1 file\n")
    assert list(tmp_path.iterdir()) == []  # nothing written: not conf/a.yaml, not a temporary


def test_fix_of_standard_input_reports_the_findings_left_under_its_name_on_standard_error(tmp_path: Path) -> None:
    text = HEAD + account(CASES["MC706"][0] + "\nincoming: {protocol: imap, host: i.example.com, security: none}")
    outcome = run_mailconf("lint", "--fix", "-", "--stdin-filename", "a.yaml", cwd=tmp_path, stdin=text)
    fixed = HEAD + account(CASES["MC706"][1] + "\nincoming: {protocol: imap, host: i.example.com, security: none}")
    line = fixed.count("\n")
    assert outcome.code == 1
    assert outcome.stdout == fixed
    assert outcome.stderr.startswith(
        "mailconf: fixed 1 finding in 1 file; 1 more with --unsafe-fixes\n"
        f"a.yaml:{line}:63: error MC101 cleartext-credentials: "
    )
    assert outcome.stderr.endswith("\n1 error in 1 file\n")


def test_fix_of_standard_input_it_will_not_fix_prints_it_as_read(tmp_path: Path) -> None:
    # a pipe (mailconf lint --fix - < a > b) or an editor's buffer is never emptied by a file it refuses
    text = "\ufeff" + HEAD + account(CASES["MC706"][0]) + "  broken: [\n"
    outcome = run_mailconf("lint", "--fix", "-", cwd=tmp_path, stdin=text)
    assert (outcome.code, outcome.stdout) == (1, text)
    assert outcome.stderr.startswith(
        "mailconf: -: not fixed: it has YAML syntax or encoding errors; fix those first\n"
        "mailconf: fixed 0 findings in 0 files\n-:"
    )


def test_diff_of_standard_input_is_the_diff_of_the_file_it_is_named_after(tmp_path: Path) -> None:
    text = HEAD + account(CASES["MC706"][0])
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    named = run_mailconf("lint", "--diff", "a.yaml", cwd=tmp_path)
    assert named.code == 1 and named.stdout.startswith("--- a.yaml\n+++ a.yaml\n@@ ")
    for options in (("--diff",), ("--fix", "--diff")):  # --diff wins, as for a file
        piped = run_mailconf("lint", *options, "-", "--stdin-filename", "a.yaml", cwd=tmp_path, stdin=text)
        assert piped == named
    unnamed = run_mailconf("lint", "--diff", "-", cwd=tmp_path, stdin=text)
    assert (unnamed.code, unnamed.stdout) == (1, named.stdout.replace("a.yaml", "-"))
    assert (tmp_path / "a.yaml").read_text(encoding="utf-8") == text


def test_diff_marks_a_missing_final_newline(tmp_path: Path) -> None:
    text = (HEAD + account(CASES["MC706"][0])).rstrip("\n")
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    outcome = run_mailconf("lint", "--diff", "a.yaml", cwd=tmp_path)
    assert outcome.stdout.endswith(
        "-    outgoing: {host: smtp.example.com, timeout: 2, password_command: pass show t}\n"
        "\\ No newline at end of file\n"
        "+    outgoing: {host: smtp.example.com, timeout: 30, password_command: pass show t}\n"
        "\\ No newline at end of file\n"
    )


def test_lint_without_fix_does_not_import_the_fix_machinery(tmp_path: Path) -> None:
    # nor hashlib, which only SARIF's fingerprints need (2.5 ms of start-up: benchmarks/README.md)
    (tmp_path / "a.yaml").write_text(HEAD, encoding="utf-8")
    probe = (
        "import sys; from mailconf.cli import main; code = main(['lint', 'a.yaml']); "
        "print(code, sorted(m for m in ('mailconf.fix', 'mailconf.baseline', 'hashlib') if m in sys.modules))"
    )
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.stdout == "0 []\n"


# --- properties ------------------------------------------------------------------------------

_SECURITY = st.sampled_from(["tls", "starttls", "starttls-optional", "none", "'tls'", '"starttls"'])
_PORT = st.sampled_from([None, 25, 110, 143, 465, 587, 993, 995, 1143])
_TIMEOUT = st.sampled_from([None, 0, 2, 30, 900])
_MECHANISMS = st.sampled_from([None, "[plain]", "[cram-md5, plain]", "[cram-md5]", "[digest-md5,scram-sha-256]"])
_COMMENT = st.sampled_from(["", "  # note", "   # mailconf: disable=MC104", "  # mailconf: disable=MC706,MC706"])


@st.composite
def server(draw: Any, protocol: str) -> str:
    lines = [f"protocol: {protocol}"] if protocol != "smtp" else []
    lines.append("host: mail.example.com" + draw(_COMMENT))
    for key, value in (("port", draw(_PORT)), ("security", draw(_SECURITY)), ("timeout", draw(_TIMEOUT))):
        if value is not None:
            lines.append(f"{key}: {value}" + draw(_COMMENT))
    mechanisms = draw(_MECHANISMS)
    if mechanisms:
        lines.append(f"mechanisms: {mechanisms}")
    if protocol == "pop3":
        lines.append(f"leave_on_server: {draw(st.sampled_from(['true', 'false']))}")
    if draw(st.booleans()):
        lines.append("tls: {verify: " + draw(st.sampled_from(["true", "false"])) + "}")
    lines.append("password_command: pass show x")
    if draw(st.booleans()):
        return "{" + ", ".join(line.split("  #")[0] for line in lines) + "}"
    return "\n" + "".join(f"      {line}\n" for line in lines).rstrip("\n")


@st.composite
def account_files(draw: Any) -> str:
    out = ["version: 1\n", "accounts:\n"]
    for i in range(draw(st.integers(1, 3))):
        out.append(f"  a{i}:\n    address: a{i}@example.com\n")
        protocol = draw(st.sampled_from(["imap", "pop3"]))
        out.append(f"    incoming: {draw(server(protocol))}\n")
        if draw(st.booleans()):
            out.append(f"    outgoing: {draw(server('smtp'))}\n")
    text = "".join(out)
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    return text


def _leaves(data: Any, path: tuple[Any, ...] = ()) -> dict[tuple[Any, ...], Any]:
    if isinstance(data, dict):
        return {k: v for key, item in data.items() for k, v in _leaves(item, (*path, key)).items()} or {path: {}}
    if isinstance(data, list):
        return {path: tuple(data)}
    return {path: data}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(account_files())
def test_fix_changes_only_flagged_values_and_never_breaks_a_valid_file(text: str) -> None:
    old = load_document("accounts.yaml", text.encode("utf-8"))
    outcome = fix(text, unsafe=True)
    assert outcome.refused is None
    new = load_document("accounts.yaml", outcome.after.encode("utf-8"))
    broken = {"MC001", "MC002", "MC003"}
    if not any(i.rule in broken for i in old.issues):
        assert [i for i in new.issues if i.rule in broken] == []
    before, after = _leaves(old.data), _leaves(new.data)
    changed = {path for path in before.keys() | after.keys() if before.get(path) != after.get(path)}
    declared = {tuple(path) if value is not None else () for path, value in outcome.changes}
    lists = {path[:-1] for path, _value in outcome.changes if isinstance(path[-1], int)}
    assert changed <= declared | lists
    # and the result is a fixed point: a second --fix changes nothing
    assert fix(outcome.after, unsafe=True).after == outcome.after


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["a\n", "b\n", "c\n", "  x: 1\n", "\n"]), max_size=40),
    st.lists(st.tuples(st.integers(0, 40), st.integers(0, 2), st.lists(st.sampled_from(["a\n", "z\n"]), max_size=2))),
)
def test_the_diff_alignment_is_always_a_correct_edit_script(lines: list[str], edits: Any) -> None:
    from mailconf.fix import _opcodes

    after = list(lines)
    for at, removed, inserted in edits:
        after[at : at + removed] = inserted
    i = j = 0
    rebuilt: list[str] = []
    for tag, i1, i2, j1, j2 in _opcodes(lines, after):
        assert (i1, j1) == (i, j)
        if tag == "equal":
            assert lines[i1:i2] == after[j1:j2]
        rebuilt.extend(after[j1:j2])
        i, j = i2, j2
    assert (i, j, rebuilt) == (len(lines), len(after), after)


def test_an_unchanged_line_between_two_fixes_at_the_end_is_shown_as_context(tmp_path: Path) -> None:
    # the two last lines differing, the end of both files was taken as the place where they agree again: the
    # password_command between the fixes, never written by a fix, was shown removed and added
    text = (
        "version: 1\naccounts:\n  work:\n    address: alice@example.com\n    incoming:\n      protocol: imap\n"
        "      host: imap.example.com\n      port: 143\n      security: starttls    # comment\n"
        "      password_command: pass show mail/work\n"
        "    outgoing: {protocol: smtp, host: smtp.example.com, port: 465, password_command: pass show mail/work, "
        "timeout: 0}\n"
    )
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    outgoing = "    outgoing: {protocol: smtp, host: smtp.example.com, port: 465, password_command: pass show mail/work"
    assert run_mailconf("lint", "--diff", "--unsafe-fixes", "a.yaml", cwd=tmp_path) == (
        1,
        "--- a.yaml\n+++ a.yaml\n@@ -5,7 +5,7 @@\n     incoming:\n       protocol: imap\n"
        "       host: imap.example.com\n"
        "-      port: 143\n-      security: starttls    # comment\n"
        "+      port: 993\n+      security: tls    # comment\n"
        "       password_command: pass show mail/work\n"
        f"-{outgoing}, timeout: 0}}\n"
        f"+{outgoing}, timeout: 30}}\n",
        "mailconf: would fix 2 findings in 1 file\n",
    )


def test_values_under_comments_between_their_keys_and_them_are_diffed_line_by_line(tmp_path: Path) -> None:
    # the two fixed values 3 lines apart leave no 3 lines alike between them: the first place 3 lines agree was taken,
    # after the second, and the four lines from the first value to the second were shown removed and added again
    text = (
        "version: 1\naccounts:\n  a:\n    address: a@example.com\n    incoming:\n      protocol: imap\n"
        "      host: imap.example.com\n      port:\n        # the old port\n        143\n      security:\n"
        "        # none yet\n        none\n      password_command: pass a\n"
        "    outgoing: {host: smtp.example.com, port: 465, security: tls, password_command: pass a}\n"
        "  b:\n    address: b@example.com\n"
    )
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    assert run_mailconf("lint", "--diff", "--unsafe-fixes", "a.yaml", cwd=tmp_path) == (
        1,
        "--- a.yaml\n+++ a.yaml\n@@ -7,10 +7,10 @@\n"
        "       host: imap.example.com\n"
        "       port:\n"
        "         # the old port\n"
        "-        143\n"
        "+        993\n"
        "       security:\n"
        "         # none yet\n"
        "-        none\n"
        "+        tls\n"
        "       password_command: pass a\n"
        "     outgoing: {host: smtp.example.com, port: 465, security: tls, password_command: pass a}\n"
        "   b:\n",
        "mailconf: would fix 1 finding in 1 file\n",
    )


def test_fixes_a_line_or_two_apart_are_aligned_in_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    # a fix on every third line never leaves 3 lines alike: the rest of the file went to difflib, quadratic on
    # lines that repeat (2,000 accounts with a flow-style server each: 200 s for --diff)
    import difflib

    from mailconf.fix import unified_diff

    text = "version: 1\naccounts:\n" + "".join(
        f"  a{n}:\n    address: a@example.com\n    incoming: {{protocol: imap, host: imap.example.com, port: 993, "
        "security: starttls, password_command: pass x}\n"
        for n in range(2000)
    )
    outcome = fix(text)
    monkeypatch.setattr(difflib, "SequenceMatcher", None)  # _KnownOpcodes only groups the hunks
    diff = unified_diff(outcome).splitlines()
    server = (
        "    incoming: {protocol: imap, host: imap.example.com, port: %d, security: starttls, password_command: pass x}"
    )
    assert diff[:9] == [
        "--- accounts.yaml",
        "+++ accounts.yaml",
        "@@ -2,6001 +2,6001 @@",
        " accounts:",
        "   a0:",
        "     address: a@example.com",
        "-" + server % 993,
        "+" + server % 143,
        "   a1:",
    ]
    # each server's line removed and added; the last account's name and address are context, as every other's
    assert (len(diff), diff.count("-" + server % 993), diff.count("+" + server % 143)) == (8004, 2000, 2000)
    assert diff[-4:-2] == ["   a1999:", "     address: a@example.com"]


def test_patch_applies_the_diff(tmp_path: Path) -> None:
    from tests.conftest import need

    need("patch")
    text = "\ufeff" + (HEAD + account(CASES["MC301"][0]) + account(CASES["MC706"][0]).replace("  t:", "  u:"))
    (tmp_path / "a.yaml").write_text(text.replace("\n", "\r\n"), encoding="utf-8")
    import subprocess
    import sys

    # bytes, not text: universal newlines would turn the diff's CRLF lines into LF ones
    command = [sys.executable, "-m", "mailconf", "lint", "--diff", "--unsafe-fixes", "a.yaml"]
    diff = subprocess.run(command, cwd=tmp_path, capture_output=True, check=False).stdout
    (tmp_path / "fixes.diff").write_bytes(diff)
    subprocess.run(["patch", "-s", "-p0", "-i", "fixes.diff"], cwd=tmp_path, check=True)
    expected = HEAD + account(CASES["MC301"][1]) + account(CASES["MC706"][1]).replace("  t:", "  u:")
    assert (tmp_path / "a.yaml").read_text(encoding="utf-8") == expected


@pytest.mark.parametrize(
    ("name", "header"),
    [
        ("my accounts.yaml", "my accounts.yaml\t"),  # patch ends a name at a space unless a tab follows it
        ("a\nb.yaml", '"a\\nb.yaml"'),  # a line break ended the header line: patch found no file
        ('q"x\\y.yaml', '"q\\"x\\\\y.yaml"'),
        ("caf\u00e9 \u00e0.yaml", "caf\u00e9 \u00e0.yaml\t"),
    ],
)
def test_patch_applies_the_diff_of_a_file_whose_name_has_a_space_a_line_break_or_a_quote(
    name: str, header: str, tmp_path: Path
) -> None:
    from tests.conftest import need

    need("patch")
    import subprocess

    (tmp_path / name).write_text(HEAD + account(CASES["MC706"][0]), encoding="utf-8")
    outcome = run_mailconf("lint", "--diff", name, cwd=tmp_path)
    assert (outcome.code, outcome.stdout.split("@@")[0]) == (1, f"--- {header}\n+++ {header}\n")
    (tmp_path / "fixes.diff").write_text(outcome.stdout, encoding="utf-8")
    subprocess.run(["patch", "-s", "-p0", "-i", "fixes.diff"], cwd=tmp_path, check=True)
    assert (tmp_path / name).read_text(encoding="utf-8") == HEAD + account(CASES["MC706"][1])


def test_the_diff_counts_lines_as_patch_does_past_a_line_separator_in_a_comment(tmp_path: Path) -> None:
    from tests.conftest import need

    need("patch")
    # YAML 1.2 keeps NEL and LS in a comment: one line for the parser, for patch and for git
    text = "version: 1  # \x85\naccounts:\n" + account(CASES["MC201"][0].replace("# implicit", "# implicit\u2028TLS"))
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    outcome = run_mailconf("lint", "--diff", "a.yaml", cwd=tmp_path)
    assert outcome == (
        1,
        "--- a.yaml\n+++ a.yaml\n@@ -5,6 +5,6 @@\n     incoming:\n       protocol: imap\n"
        "       host: imap.example.com\n-      port: 993  # implicit\u2028TLS\n+      port: 143  # implicit\u2028TLS\n"
        "       security: starttls\n       password_command: pass show t\n",
        "mailconf: would fix 1 finding in 1 file; 1 more with --unsafe-fixes\n",
    )
    import subprocess

    (tmp_path / "fixes.diff").write_text(outcome.stdout, encoding="utf-8")
    subprocess.run(["patch", "-s", "-p0", "-i", "fixes.diff"], cwd=tmp_path, check=True)
    assert (tmp_path / "a.yaml").read_text(encoding="utf-8") == text.replace("993", "143")


# --- fixes in the reports ----------------------------------------------------------------------

REPORTED = HEAD + account(CASES["MC301"][0]) + account(CASES["MC708"][0]).replace("  t:", "  u:")


def _apply_reported(text: str, edits: list[tuple[tuple[int, int], tuple[int, int], str]]) -> str:
    """Apply edits given by 1-based (line, column) ranges, from the end of the file backwards."""
    starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    offset = {
        edit: (starts[edit[0][0] - 1] + edit[0][1] - 1, starts[edit[1][0] - 1] + edit[1][1] - 1) for edit in edits
    }
    for edit in sorted(set(edits), key=lambda e: offset[e], reverse=True):
        start, end = offset[edit]
        text = text[:start] + edit[2] + text[end:]
    return text


def _reported_fixes(tmp_path: Path, text: str) -> tuple[dict[str, str], str]:
    """lint --format json of ``text``: each fixed rule's safety, and the text with every reported edit applied."""
    import json

    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    findings = json.loads(run_mailconf("lint", "--format", "json", "a.yaml", cwd=tmp_path).stdout)
    edits = [
        ((e["start"]["line"], e["start"]["column"]), (e["end"]["line"], e["end"]["column"]), e["replacement"])
        for f in findings
        if f["fix"]
        for e in f["fix"]["edits"]
    ]
    return {f["rule"]: f["fix"]["safety"] for f in findings if f["fix"]}, _apply_reported(text, edits)


def test_json_edits_applied_pass_by_pass_give_what_fix_writes(tmp_path: Path) -> None:
    # an unused suppression's edit is offered once nothing else is to fix, as --fix removes it (f007cd3): another
    # fix can make it used
    first, text = _reported_fixes(tmp_path, REPORTED)
    assert first == {"MC301": "unsafe"}
    second, text = _reported_fixes(tmp_path, text)
    assert second == {"MC708": "safe"}
    assert (_reported_fixes(tmp_path, text), text) == (({}, text), fix(REPORTED, unsafe=True).after)


def test_json_offers_no_edit_that_removes_a_directive_another_fix_makes_used(tmp_path: Path) -> None:
    # port 993 with starttls: MC201's edit makes it 143, and then MC104 applies, which the directive suppresses; an
    # editor applying every reported edit at once lost the directive and its reason, as --fix did before f007cd3
    text = MADE_USED
    safety, fixed = _reported_fixes(tmp_path, text)
    assert (safety, fixed) == ({"MC201": "safe"}, text.replace("port: 993", "port: 143"))
    assert _reported_fixes(tmp_path, fixed) == ({}, fixed)


def test_sarif_fixes_are_valid_against_the_official_schema(tmp_path: Path) -> None:
    import json

    from tests.test_report import sarif_validator

    validator = sarif_validator()
    (tmp_path / "a.yaml").write_text("\ufeff" + REPORTED.replace("\n", "\r\n"), encoding="utf-8")
    log = json.loads(run_mailconf("lint", "--format", "sarif", "a.yaml", cwd=tmp_path).stdout)
    assert [e.message for e in validator.iter_errors(log)] == []
    by_rule: dict[str, list[Any]] = {}
    for result in log["runs"][0]["results"]:
        by_rule.setdefault(result["ruleId"], []).append(result.get("fixes"))
    assert [fixes[0]["artifactChanges"][0]["replacements"] for fixes in by_rule["MC301"]] == [
        [{"deletedRegion": {"startLine": 33, "startColumn": 1, "endLine": 34, "endColumn": 1}}],  # the item's line
        [{"deletedRegion": {"startLine": 36, "startColumn": 53, "endLine": 36, "endColumn": 66}}],  # "digest-md5,  "
    ]
    (bom,) = by_rule["MC004"]
    assert bom[0]["artifactChanges"][0]["replacements"] == [
        {"deletedRegion": {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 2}}
    ]
    assert bom[0]["properties"] == {"safety": "safe"}


def test_fix_through_a_symbolic_link_rewrites_its_target_and_keeps_the_link(tmp_path: Path) -> None:
    (tmp_path / "real.yaml").write_text(HEAD + account(CASES["MC706"][0]), encoding="utf-8")
    (tmp_path / "link.yaml").symlink_to("real.yaml")
    assert run_mailconf("lint", "--fix", "link.yaml", cwd=tmp_path) == (0, "", "mailconf: fixed 1 finding in 1 file\n")
    assert (tmp_path / "link.yaml").is_symlink()
    assert (tmp_path / "real.yaml").read_text(encoding="utf-8") == HEAD + account(CASES["MC706"][1])


def test_the_diff_of_a_symbolic_link_names_its_target_and_patch_applies_it(tmp_path: Path) -> None:
    # it named the link: patch refused it ("not a regular file -- refusing to patch"), and git apply read the link
    from tests.conftest import need

    need("patch")
    import subprocess

    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "real.yaml").write_text(HEAD + account(CASES["MC706"][0]), encoding="utf-8")
    (tmp_path / "link.yaml").symlink_to("conf/real.yaml")
    outcome = run_mailconf("lint", "--diff", "link.yaml", cwd=tmp_path)
    assert (outcome.code, outcome.stdout.split("@@")[0]) == (1, "--- conf/real.yaml\n+++ conf/real.yaml\n")
    absolute = run_mailconf("lint", "--diff", str(tmp_path / "link.yaml"), cwd=tmp_path).stdout.split("\n")[0]
    assert absolute == "--- " + os.path.realpath(tmp_path / "conf" / "real.yaml")  # as the name given: absolute
    (tmp_path / "fixes.diff").write_text(outcome.stdout, encoding="utf-8")
    subprocess.run(["patch", "-s", "-p0", "-i", "fixes.diff"], cwd=tmp_path, check=True)
    assert (tmp_path / "conf" / "real.yaml").read_text(encoding="utf-8") == HEAD + account(CASES["MC706"][1])
    assert (tmp_path / "link.yaml").is_symlink()


def test_a_file_named_twice_through_a_link_is_fixed_and_counted_once(tmp_path: Path) -> None:
    # both names are read before either is written: the second found the first's fixes there and was counted again
    (tmp_path / "a.yaml").write_text(HEAD + account(CASES["MC706"][0]), encoding="utf-8")
    (tmp_path / "link.yaml").symlink_to("a.yaml")
    assert run_mailconf("lint", "--fix", "a.yaml", "link.yaml", cwd=tmp_path) == (
        0,
        "",
        "mailconf: fixed 1 finding in 1 file\n",
    )
    assert (tmp_path / "a.yaml").read_text(encoding="utf-8") == HEAD + account(CASES["MC706"][1])
    assert (tmp_path / "link.yaml").is_symlink()


def test_a_file_named_twice_through_a_link_is_diffed_once_and_its_unsafe_fixes_counted_once(tmp_path: Path) -> None:
    # --diff printed its diff twice (patch applied the first, then found the second applied already: exit 1), and
    # both --diff and --fix counted its unsafe fixes once per name
    from tests.conftest import need

    need("patch")
    import subprocess

    before = HEAD + account(CASES["MC706"][0]) + account(CASES["MC104"][0]).replace("  t:", "  u:")
    after = HEAD + account(CASES["MC706"][1]) + account(CASES["MC104"][0]).replace("  t:", "  u:")
    (tmp_path / "a.yaml").write_text(before, encoding="utf-8")
    (tmp_path / "link.yaml").symlink_to("a.yaml")
    outcome = run_mailconf("lint", "--diff", "a.yaml", "link.yaml", cwd=tmp_path)
    assert (outcome.code, outcome.stderr) == (
        1,
        "mailconf: would fix 1 finding in 1 file; 1 more with --unsafe-fixes\n",
    )
    assert outcome.stdout.count("--- ") == 1
    (tmp_path / "fixes.diff").write_text(outcome.stdout, encoding="utf-8")
    subprocess.run(["patch", "-s", "-p0", "-i", "fixes.diff"], cwd=tmp_path, check=True)
    assert (tmp_path / "a.yaml").read_text(encoding="utf-8") == after
    (tmp_path / "a.yaml").write_text(before, encoding="utf-8")
    assert run_mailconf("lint", "--fix", "-q", "a.yaml", "link.yaml", cwd=tmp_path)[::2] == (
        0,
        "mailconf: fixed 1 finding in 1 file; 1 more with --unsafe-fixes\n",
    )
    assert (tmp_path / "a.yaml").read_text(encoding="utf-8") == after
    assert (tmp_path / "link.yaml").is_symlink()


def test_fix_through_a_hard_link_replaces_that_name_only(tmp_path: Path) -> None:
    # as lint.md says: the rename gives the name a new file, the other name keeps the old text (never half of it)
    (tmp_path / "a.yaml").write_text(HEAD + account(CASES["MC706"][0]), encoding="utf-8")
    os.link(tmp_path / "a.yaml", tmp_path / "b.yaml")
    assert run_mailconf("lint", "--fix", "a.yaml", cwd=tmp_path) == (0, "", "mailconf: fixed 1 finding in 1 file\n")
    assert (tmp_path / "a.yaml").read_text(encoding="utf-8") == HEAD + account(CASES["MC706"][1])
    assert (tmp_path / "b.yaml").read_text(encoding="utf-8") == HEAD + account(CASES["MC706"][0])
    assert ((tmp_path / "a.yaml").stat().st_nlink, (tmp_path / "b.yaml").stat().st_nlink) == (1, 1)


def test_the_final_check_refuses_a_result_that_changed_anything_else() -> None:
    from mailconf.fix import _verify

    text = HEAD + account(CASES["MC706"][0])
    old = load_document("a.yaml", text.encode("utf-8"))
    path = ("accounts", "t", "outgoing", "timeout")
    good = load_document("a.yaml", text.replace("timeout: 2,", "timeout: 30,").encode("utf-8"))
    assert _verify(old, good, [(path, 30)]) is None
    old = load_document("a.yaml", text.encode("utf-8"))
    other = text.replace("timeout: 2,", "timeout: 30,").replace("port: 993\n", "port: 994\n")
    assert _verify(old, load_document("a.yaml", other.encode("utf-8")), [(path, 30)]) == (
        "the fixes would change other values; nothing written (please report this as a bug)"
    )
    old = load_document("a.yaml", text.encode("utf-8"))
    invalid = text.replace("timeout: 2,", "timeout: soon,")
    assert _verify(old, load_document("a.yaml", invalid.encode("utf-8")), [(path, "soon")]) == (
        "the fixes would make the file invalid; nothing written (please report this as a bug)"
    )


def test_diff_names_an_unreadable_file_and_exits_2(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(HEAD + account(CASES["MC706"][0]), encoding="utf-8")
    outcome = run_mailconf("lint", "--diff", "a.yaml", "missing.yaml", cwd=tmp_path)
    assert (outcome.code, outcome.stderr) == (
        2,
        "mailconf: would fix 1 finding in 1 file\nmailconf: missing.yaml: no such file; check the path\n",
    )
    assert outcome.stdout.startswith("--- a.yaml\n+++ a.yaml\n")


# --- what the user wrote is kept: line ends, the final newline, the BOM, comments ------------


def test_removing_the_last_item_keeps_a_missing_final_newline(tmp_path: Path) -> None:
    # the item's line was the last one and had no line end: deleting it with the line end before it keeps the
    # file without a final newline (deleting only the line left the line before it ending the file with one)
    text = (
        HEAD + "  t:\n    address: t@example.com\n    incoming:\n      protocol: imap\n      host: imap.example.com\n"
        "      password_command: pass show t\n      mechanisms:\n        - plain  # kept\n        - cram-md5  # old"
    )
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    diff = run_mailconf("lint", "--diff", "--unsafe-fixes", "a.yaml", cwd=tmp_path)
    assert diff == (
        1,
        "--- a.yaml\n+++ a.yaml\n@@ -30,5 +30,4 @@\n       host: imap.example.com\n"
        "       password_command: pass show t\n       mechanisms:\n"
        "-        - plain  # kept\n-        - cram-md5  # old\n\\ No newline at end of file\n"
        "+        - plain  # kept\n\\ No newline at end of file\n",
        "mailconf: would fix 1 finding in 1 file\n",
    )
    assert run_mailconf("lint", "--fix", "--unsafe-fixes", "a.yaml", cwd=tmp_path) == (
        0,
        "",
        "mailconf: fixed 1 finding in 1 file\n",
    )
    assert (tmp_path / "a.yaml").read_bytes() == text.removesuffix("\n        - cram-md5  # old").encode()
    for ending in ("\r\n", "\r"):
        kept = fix(text.replace("\n", ending), unsafe=True, policy=Policy().merged(disable=["MC005"]))
        assert kept.after == text.removesuffix("\n        - cram-md5  # old").replace("\n", ending)


def test_a_blank_key_written_twice_is_not_removed_and_the_other_fixes_are(tmp_path: Path) -> None:
    # removing the first (the one the loader keeps) put the second's value in its place: the final check refused
    # the whole file, the timeout's fix too, "as a bug"
    text = HEAD + account('display_name: ""\n' + CASES["MC706"][0] + '\ndisplay_name: ""')
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    outcome = run_mailconf("lint", "--fix", "a.yaml", cwd=tmp_path)
    assert (outcome.code, outcome.stderr) == (1, "mailconf: fixed 1 finding in 1 file\n")
    assert (tmp_path / "a.yaml").read_bytes() == text.replace("timeout: 2,", "timeout: 30,").encode()
    assert [line.split(": ")[1].split()[1] for line in outcome.stdout.splitlines()[:-1]] == ["MC712", "MC701"]


def test_a_blank_key_that_a_merge_key_also_gives_is_not_removed_and_the_other_fixes_are(tmp_path: Path) -> None:
    # written, it wins over the merged one; removed, the merged one took its place: the final check refused the
    # whole file, the timeout's fix too, "as a bug"
    text = HEAD.replace("x-tls:", "x-who: &who {display_name: The Boss, organization: ACME}\nx-tls:") + account(
        '<<: *who\ndisplay_name: ""\n' + CASES["MC706"][0]
    )
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    outcome = run_mailconf("lint", "--fix", "a.yaml", cwd=tmp_path)
    assert (outcome.code, outcome.stderr) == (0, "mailconf: fixed 1 finding in 1 file\n")
    assert (tmp_path / "a.yaml").read_bytes() == text.replace("timeout: 2,", "timeout: 30,").encode()
    assert " warning MC712 blank-value: account `t`: display_name is blank" in outcome.stdout


def test_removing_an_unused_directive_on_the_last_line_keeps_a_missing_final_newline(tmp_path: Path) -> None:
    # the directive's line went with its line end, and the line before it, now last, ended the file with one
    text = HEAD + account(CASES["MC706"][1]) + "# mailconf: disable=MC104 no longer needed"
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    assert run_mailconf("lint", "--fix", "a.yaml", cwd=tmp_path) == (0, "", "mailconf: fixed 1 finding in 1 file\n")
    assert (tmp_path / "a.yaml").read_bytes() == (HEAD + account(CASES["MC706"][1])).removesuffix("\n").encode()
    # after a block scalar that line end is the scalar's: it stays, and only the directive's line goes
    block = account(CASES["MC706"][1]) + "    organization: |+\n      ACME\n\n"
    (tmp_path / "a.yaml").write_text(HEAD + block + "# mailconf: disable=MC104", encoding="utf-8")
    assert run_mailconf("lint", "--fix", "-q", "a.yaml", cwd=tmp_path)[::2] == (
        1,
        "mailconf: fixed 1 finding in 1 file\n",
    )
    assert (tmp_path / "a.yaml").read_bytes() == (HEAD + block).encode()


@pytest.mark.parametrize(
    ("chomping", "blank", "value"),
    [
        ("|+", "\n", "ACME\\n\\n"),
        ("|+", "", "ACME\\n"),
        ("|", "", "ACME\\n"),
        (">", "\n", "ACME\\n"),
        ("|-", "", "ACME"),
    ],
)
def test_the_last_line_after_a_block_scalar_goes_without_the_scalars_line_end(
    chomping: str, blank: str, value: str, tmp_path: Path
) -> None:
    # the key's line was the last one and had no line end: the line end before it went with it, and that one is
    # the block scalar's: its value changed (all but `|` and `>` after a blank line), and the final check refused
    # the whole file, the timeout's fix too ("please report this as a bug"). Now only the key's line goes; the
    # file ends with the scalar's line end. Only a value that breaks the schema spans lines in an account.
    text = (
        HEAD + "  t:\n    address: t@example.com\n"
        "    outgoing: {host: smtp.example.com, timeout: 2, password_command: pass show t}\n"
        f"    organization: {chomping}\n      ACME\n{blank}    display_name: ''"
    )
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    error = f'a.yaml:29:19: error MC002 schema-violation: `organization` is not valid (got "{value}"): {TEXT_HELP}\n'
    code, out = (1, error) if "\\n" in value else (0, "")
    assert run_mailconf("lint", "--fix", "-q", "a.yaml", cwd=tmp_path) == (
        code,
        out,
        "mailconf: fixed 2 findings in 1 file\n",
    )
    after = text.replace("timeout: 2,", "timeout: 30,").removesuffix("    display_name: ''")
    if chomping == "|-":  # its value holds no line end: the one before the line goes, the file still ends without
        after = after.removesuffix("\n")
    assert (tmp_path / "a.yaml").read_bytes() == after.encode()


_GEN_SECURITY = st.sampled_from(["tls", "starttls", "'starttls'", '"none"', "starttls-optional"])
_GEN_PORT = st.sampled_from(["993", "143", "587", "465", "110", "25", "1143", "0x3e1"])
_GEN_TIMEOUT = st.sampled_from(["30", "0", "2", "900", "2.0"])
#: every mechanism: one that logs in with another credential than auth gives is a fallback or an MC304 error
_GEN_MECHANISMS = st.lists(
    st.sampled_from(["plain", "scram-sha-256", "cram-md5", "digest-md5", "ntlm", "gssapi", "xoauth2", "external"]),
    max_size=3,
    unique=True,
)
#: auth and the commands it runs or not (MC302, MC304, MC305): the default, or one of them written out
_GEN_AUTH = st.sampled_from([None, "password", "oauth2", "gssapi", "ntlm", "client-cert", "none"])
_GEN_COMMANDS = st.sampled_from([("password_command",), ("token_command",), ("password_command", "token_command")])
_GEN_GAP = st.sampled_from([" ", "\t", "  ", " \t "])  # between a value and its comment
_GEN_DIRECTIVE = st.sampled_from([
    "# mailconf: disable=MC104", "# mailconf: disable=MC706,mc706 why", "# mailconf: disable=MC999",
    "#mailconf:disabel=MC101 #mailconf:disable=MC104", "# mailconf: disable=MC304,MC305", "# mailconf: disabel=MC104",
])  # fmt: skip


@st.composite
def _hostile_files(draw: Any) -> tuple[str, frozenset[str]]:
    """An account file in the layouts users write, and the comments a fix must keep (each `# cN` once)."""
    comments = iter(range(10_000))

    def comment() -> str:
        kind = draw(st.integers(0, 5))
        if kind == 5:  # a directive, used or not, or a typo: MC708's fix edits or removes it (not one to keep)
            directive: str = draw(_GEN_GAP) + draw(_GEN_DIRECTIVE)
            return directive
        return draw(_GEN_GAP) + f"# c{next(comments)}" if kind % 2 else ""

    lines = ["version: 1" + comment(), "accounts:" + comment()]
    for i in range(draw(st.integers(1, 3))):
        lines += [f"  a{i}:" + comment(), f"    address: a{i}@example.com" + comment()]
        for side in ("incoming", "outgoing"):
            values = [("protocol", "imap")] if side == "incoming" else []
            values += [("host", "mail.example.com" + "x" * draw(st.sampled_from([0, 300])))]
            values += [("port", draw(_GEN_PORT)), ("security", draw(_GEN_SECURITY))]
            values += [("timeout", draw(_GEN_TIMEOUT))]
            auth = draw(_GEN_AUTH)
            values += [("auth", auth)] if auth else []
            values += [(command, "pass show x") for command in draw(_GEN_COMMANDS)]
            mechanisms = draw(_GEN_MECHANISMS)
            if draw(st.booleans()):  # a weak one last, after a strong one: the fix removes the last line
                mechanisms = ["plain", *mechanisms, "cram-md5"]
            if draw(st.booleans()):  # flow: comments only after the closing brace
                body = ", ".join(f"{k}: {v}" for k, v in values)
                if mechanisms:
                    body += ", mechanisms: [" + ", ".join(mechanisms) + "]"
                lines.append(f"    {side}: {{{body}}}" + comment())
                continue
            lines.append(f"    {side}:" + comment())
            lines += [f"      {k}: {v}" + comment() for k, v in values]
            if mechanisms:
                lines.append("      mechanisms:" + comment())
                # a comment on an item goes with the item if a fix removes it: not one of those to keep
                lines += [f"        - {m}" + draw(st.sampled_from(["", "  # on the item"])) for m in mechanisms]
    ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = ending.join(lines) + draw(st.sampled_from(["", ending]))
    if draw(st.booleans()):
        text = "\ufeff" + text
    return text, frozenset(re.findall(r"# c\d+", text))


def _plain(data: Any) -> Any:
    """ruamel.yaml's round-trip containers as plain dicts and lists."""
    if isinstance(data, dict):
        return {str(k): _plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_plain(v) for v in data]
    return data


def _rt_load(text: str) -> Any:
    from ruamel.yaml import YAML

    # tabs are only ever in the gaps before comments here; ruamel.yaml's scanner refuses some of those (after a
    # flow mapping, on a last line without a line end) that libyaml, mailconf's reader, and YAML 1.2 accept
    return _plain(YAML(typ="rt").load(text.removeprefix("\ufeff").replace("\t", " ")))


@settings(
    max_examples=120, deadline=None, database=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(_hostile_files(), st.booleans())
def test_fix_keeps_everything_but_the_fixed_values_and_makes_no_new_finding(
    generated: Any, text_rules_on: bool
) -> None:
    text, comments = generated
    # MC004/MC005 rewrite the BOM and the line ends by design: off, the fixes must keep both
    policy = Policy() if text_rules_on else Policy().merged(disable=["MC004", "MC005"])
    outcome = fix(text, unsafe=True, policy=policy)
    assert outcome.refused is None
    after = outcome.after
    before, now = _leaves(_rt_load(text)), _leaves(_rt_load(after))
    changed = {path for path in before.keys() | now.keys() if before.get(path) != now.get(path)}
    declared = {tuple(path) for path, _value in outcome.changes}
    lists = {path[:-1] for path, _value in outcome.changes if isinstance(path[-1], int)}
    assert changed <= declared | lists
    assert frozenset(re.findall(r"# c\d+", after)) == comments
    assert after.endswith(("\n", "\r")) == text.endswith(("\n", "\r"))
    if not text_rules_on:
        assert after.startswith("\ufeff") == text.startswith("\ufeff")
        assert line_starts_of(after) <= line_starts_of(text)  # no other kind of line end appears
    assert fix(after, unsafe=True, policy=policy).after == after  # a second --fix changes nothing
    # what is left is what was there, less what was fixed: a fix makes no new finding, an error least of all (it
    # would turn a file that renders into one render refuses), but where it hands the setting to the next rule,
    # whose own fix cannot apply (starttls-optional on port 1143 becomes starttls: MC103, then MC104's advice)
    before_findings = {about(f) for f in lint_document(load_document("accounts.yaml", text.encode()), policy)}
    new = {about(f) for f in outcome.result.findings} - (before_findings - {about(f) for f in outcome.fixed})
    handed = {
        (rule, (*where[:-1], setting))
        for fixed, where in map(about, outcome.fixed)
        for rule, setting in _HANDED_TO.get(fixed, ())
    }
    assert new <= handed, outcome.after


#: fixed rule -> (the rule that may find something after it, about this setting of the same server); MC201's
#: port 143 for starttls is handed to MC104 too, whose fix (--unsafe-fixes, as here) then makes it 993 and tls
_HANDED_TO = {"MC103": (("MC104", "security"),)}


def about(finding: Finding) -> tuple[str, Any]:
    """A finding by rule and what it is about, the same in the fixed file: an item of a list by its value (the
    items after a removed one move up), a finding about the file by its message."""
    if finding.subject is None:
        return finding.rule, finding.message
    path = finding.subject.path
    if path and isinstance(path[-1], int):
        return finding.rule, (*path[:-1], finding.subject.value)
    return finding.rule, path


def line_starts_of(text: str) -> set[str]:
    """The kinds of line end in ``text``."""
    return set(re.findall("\r\n|\r(?!\n)|(?<!\r)\n", text))


# --- writing -----------------------------------------------------------------------------------


#: what lint says of ``HEAD + account(CASES["MC706"][0])`` in a.yaml, the file as it is when it cannot be written
_MC706_LEFT = (
    "a.yaml:28:49: warning MC706 timeout-too-short: a timeout of 2 s fails on slow networks and busy servers; "
    "set timeout: 30\n1 warning in 1 file\n"
)


def test_a_read_only_folder_is_one_line_exit_2_and_the_file_is_left_as_it_was(tmp_path: Path) -> None:
    # a write that failed went to a name only imported for mypy: an internal error (exit 3) instead of this line.
    # As ruff does, the file's findings are still reported, as the file has them (nothing was fixed): they were
    # not listed
    from tests.test_cli import _without_file_override

    folder = tmp_path / "ro"
    folder.mkdir()
    text = HEAD + account(CASES["MC706"][0])
    (folder / "a.yaml").write_text(text, encoding="utf-8")
    folder.chmod(0o555)
    try:
        outcome = run_mailconf(
            "lint", "--fix", "a.yaml", cwd=folder, preexec=_without_file_override if os.geteuid() == 0 else None
        )
    finally:
        folder.chmod(0o755)
    assert outcome == (
        2,
        _MC706_LEFT,
        "mailconf: fixed 0 findings in 0 files\n"
        "mailconf: a.yaml: cannot be written (Permission denied); nothing written\n",
    )
    assert sorted(p.name for p in folder.iterdir()) == ["a.yaml"]
    assert (folder / "a.yaml").read_text(encoding="utf-8") == text


def test_a_full_disk_leaves_the_file_whole_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # the one fake: a disk that fills up for this file only. It is faked at fsync, where a file system that
    # allocates late (ext4, XFS, NFS) reports it; an early ENOSPC (at write) takes the same way out
    import errno

    from mailconf import cli

    text = HEAD + account(CASES["MC706"][0])
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(text, encoding="utf-8")
    fsync = os.fsync

    def full_for_a(fd: int) -> None:
        if os.path.basename(os.readlink(f"/proc/self/fd/{fd}")).startswith(".a.yaml."):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        fsync(fd)

    monkeypatch.setattr(os, "fsync", full_for_a)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["lint", "--fix", "a.yaml", "b.yaml"]) == 2
    assert capsys.readouterr() == (
        _MC706_LEFT.replace("in 1 file", "in 1 file (2 files checked)"),
        "mailconf: fixed 1 finding in 1 file\n"
        "mailconf: a.yaml: cannot be written (No space left on device); nothing written\n",
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yaml", "b.yaml"]
    assert (tmp_path / "a.yaml").read_text(encoding="utf-8") == text
    assert (tmp_path / "b.yaml").read_text(encoding="utf-8") == HEAD + account(CASES["MC706"][1])


@pytest.mark.parametrize("name", ["a" * 250 + ".yaml", "\u00e9" * 125 + ".yaml", os.fsdecode(b"\xe9" * 250 + b".yaml")])
def test_a_file_whose_name_is_as_long_as_the_file_system_takes_is_fixed(tmp_path: Path, name: str) -> None:
    # its temporary, `.NAME.XXXXXXXX.tmp`, was 15 bytes over the name: "cannot be written (File name too long)", exit 2
    text = HEAD + account(CASES["MC706"][0])
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    assert len(os.fsencode(name)) == 255
    assert run_mailconf("lint", "--fix", name, cwd=tmp_path) == (0, "", "mailconf: fixed 1 finding in 1 file\n")
    assert path.read_bytes() == (HEAD + account(CASES["MC706"][1])).encode()
    assert os.listdir(tmp_path) == [name]


def test_a_report_and_a_baseline_whose_names_are_as_long_as_the_file_system_takes_are_written(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(HEAD + account(CASES["MC706"][0]), encoding="utf-8")
    report, baseline = "r" * 251 + ".txt", "b" * 250 + ".json"
    assert run_mailconf("lint", "a.yaml", "-q", "-O", report, cwd=tmp_path) == (0, "", "")
    assert (tmp_path / report).read_text(encoding="utf-8") == (
        "a.yaml:28:49: warning MC706 timeout-too-short: a timeout of 2 s fails on slow networks and busy servers; "
        "set timeout: 30\n"
    )
    assert run_mailconf("lint", "a.yaml", "--write-baseline", baseline, cwd=tmp_path) == (
        0,
        "",
        f"mailconf: wrote 1 baseline entry to {baseline}\n",
    )
    assert sorted(os.listdir(tmp_path)) == sorted(["a.yaml", report, baseline])


def test_a_link_put_at_the_temporarys_name_does_not_get_the_files_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # the mode was set by the temporary's name after it was written: another user who may write the folder could
    # swap in a link meanwhile, and root's fix made the file it named (here `secret`, 0600) 0644, the account file's
    from mailconf import cli

    (tmp_path / "a.yaml").write_text(HEAD + account(CASES["MC706"][0]), encoding="utf-8")
    (tmp_path / "a.yaml").chmod(0o644)
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    secret.chmod(0o600)
    fsync = os.fsync

    def then_a_link(fd: int) -> None:
        fsync(fd)
        name = os.readlink(f"/proc/self/fd/{fd}")
        if os.path.basename(name).startswith(".a.yaml."):
            os.rename(name, tmp_path / "moved")
            os.symlink(secret, name)

    monkeypatch.setattr(os, "fsync", then_a_link)
    monkeypatch.chdir(tmp_path)
    cli.main(["lint", "--fix", "a.yaml"])
    capsys.readouterr()
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert secret.read_text() == "s3cret\n"
    assert stat.S_IMODE((tmp_path / "moved").stat().st_mode) == 0o644  # the fixed text, as the file had it


def _fixing_with(monkeypatch: pytest.MonkeyPatch, meanwhile: Any) -> None:
    """``meanwhile(path)`` runs after each file is read and fixed in memory, before it is written."""
    import mailconf.fix

    fix_paths = mailconf.fix.fix_paths

    def then_meanwhile(paths: Any, policies: Any, **options: Any) -> Any:
        for path, outcome in zip(paths, fix_paths(paths, policies, **options), strict=True):
            meanwhile(path)
            yield outcome

    monkeypatch.setattr(mailconf.fix, "fix_paths", then_meanwhile)


@pytest.mark.parametrize("how", ["in place", "renamed over"])
def test_a_file_saved_by_an_editor_while_it_is_fixed_is_not_overwritten(
    how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # the fixes were made to the text read; writing them over what the editor saved lost the editor's change
    from mailconf import cli

    path = tmp_path / "a.yaml"
    path.write_text(HEAD + account(CASES["MC706"][0]), encoding="utf-8")
    theirs = HEAD + account(CASES["MC706"][0].replace("smtp.example.com", "smtp2.example.com"))

    def editor_saves(name: str) -> None:
        if how == "in place":
            path.write_text(theirs, encoding="utf-8")
        else:
            (tmp_path / "a.yaml~").write_text(theirs, encoding="utf-8")
            os.replace(tmp_path / "a.yaml~", path)

    _fixing_with(monkeypatch, editor_saves)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["lint", "--fix", "a.yaml"]) == 2
    assert capsys.readouterr() == (
        "",
        "mailconf: fixed 0 findings in 0 files\n"
        "mailconf: a.yaml: changed on disk while it was being fixed; nothing written, run --fix again\n",
    )
    assert path.read_text(encoding="utf-8") == theirs
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yaml"]


def test_a_fix_run_meanwhile_is_not_undone_by_one_that_read_the_file_before_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # `--fix --unsafe-fixes` in another terminal while a plain `--fix` runs: the plain one wrote its result,
    # made from the text before the other's fixes, over them
    from mailconf import cli

    before = HEAD + account(CASES["MC101"][0]) + account(CASES["MC706"][0]).replace("  t:", "  u:")
    unsafe = HEAD + account(CASES["MC101"][1]) + account(CASES["MC706"][1]).replace("  t:", "  u:")
    path = tmp_path / "a.yaml"
    path.write_text(before, encoding="utf-8")

    def other_run(name: str) -> None:
        assert run_mailconf("lint", "--fix", "--unsafe-fixes", name, cwd=tmp_path) == (
            0,
            "",
            "mailconf: fixed 2 findings in 1 file\n",
        )

    _fixing_with(monkeypatch, other_run)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["lint", "--fix", "a.yaml"]) == 2
    assert capsys.readouterr().err == (
        "mailconf: fixed 0 findings in 0 files; 1 more with --unsafe-fixes\n"
        "mailconf: a.yaml: changed on disk while it was being fixed; nothing written, run --fix again\n"
    )
    assert path.read_text(encoding="utf-8") == unsafe


def test_the_same_fixes_written_meanwhile_by_another_run_are_not_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from mailconf import cli

    path = tmp_path / "a.yaml"
    path.write_text(HEAD + account(CASES["MC706"][0]), encoding="utf-8")
    _fixing_with(monkeypatch, lambda name: run_mailconf("lint", "--fix", name, cwd=tmp_path))
    monkeypatch.chdir(tmp_path)
    assert cli.main(["lint", "--fix", "a.yaml"]) == 0
    assert capsys.readouterr() == ("", "mailconf: fixed 0 findings in 0 files\n")  # the other run fixed them
    assert path.read_text(encoding="utf-8") == HEAD + account(CASES["MC706"][1])


def test_two_fix_runs_take_turns_on_the_file_lock(tmp_path: Path) -> None:
    """The test holds the file's lock as another `lint --fix` would while it writes; the real command waits for it
    (seen in /proc/locks), then finds the other's result and leaves it."""
    import fcntl
    import signal
    import subprocess
    import sys
    import time

    path = tmp_path / "a.yaml"
    path.write_text(HEAD + account(CASES["MC101"][0]), encoding="utf-8")
    other = os.open(path, os.O_RDONLY)
    fcntl.flock(other, fcntl.LOCK_EX)
    command = [sys.executable, "-m", "mailconf", "lint", "--fix", "--unsafe-fixes", "a.yaml"]
    process = subprocess.Popen(
        command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        inode = f":{os.fstat(other).st_ino} "
        deadline = time.monotonic() + 60  # a hang guard: the command waits on the lock long before
        while not any("->" in line and inode in line for line in Path("/proc/locks").read_text().splitlines()):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "mailconf never waited for the lock"
            time.sleep(0.02)
        theirs = HEAD + account(CASES["MC101"][0].replace("# old", "# theirs"))
        (tmp_path / "a.yaml.new").write_text(theirs, encoding="utf-8")
        os.replace(tmp_path / "a.yaml.new", path)
        os.close(other)  # the lock goes with it
        other = -1
        out, err = process.communicate(timeout=60)
    finally:
        if other != -1:
            os.close(other)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert (process.returncode, out, err) == (
        2,
        "",
        "mailconf: fixed 0 findings in 0 files\n"
        "mailconf: a.yaml: changed on disk while it was being fixed; nothing written, run --fix again\n",
    )
    assert path.read_text(encoding="utf-8") == theirs


@pytest.fixture
def flock_holder(tmp_path: Path) -> Any:
    """``hold(path)``: the real ``flock`` command holding ``path``'s lock (``flock FILE sleep 1000``, as a script
    would), seen held in /proc/locks before it returns; killed with its process group when the test ends."""
    import signal
    import subprocess
    import time

    from tests.conftest import need

    need("flock")
    started: list[subprocess.Popen[bytes]] = []

    def hold(path: Path) -> None:
        process = subprocess.Popen(["flock", str(path), "sleep", "1000"], start_new_session=True)
        started.append(process)
        inode = f":{path.stat().st_ino} "
        deadline = time.monotonic() + 60  # a hang guard only
        while not any(inode in line and "->" not in line for line in Path("/proc/locks").read_text().splitlines()):
            assert process.poll() is None, "flock ended"
            assert time.monotonic() < deadline, "flock never took the lock"
            time.sleep(0.02)

    try:
        yield hold
    finally:
        for process in started:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_fix_gives_up_on_a_lock_held_past_its_deadline(
    tmp_path: Path, flock_holder: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # the flock had no timeout: a script holding `flock accounts.yaml sleep 1000` made --fix hang with it
    import mailconf.fix
    from mailconf import cli

    path = tmp_path / "a.yaml"
    text = HEAD + account(CASES["MC706"][0])
    path.write_text(text, encoding="utf-8")
    flock_holder(path)
    monkeypatch.setattr(mailconf.fix, "LOCK_WAIT", 0.5)  # 30 s as shipped
    monkeypatch.chdir(tmp_path)
    assert cli.main(["lint", "--fix", "a.yaml"]) == 2
    assert capsys.readouterr() == (
        "",
        "mailconf: fixed 0 findings in 0 files\n"
        "mailconf: a.yaml: another program holds its lock (waited 0.5 s); nothing written, run --fix again\n",
    )
    assert path.read_text(encoding="utf-8") == text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yaml"]


def test_fix_waits_for_a_lock_outside_the_main_thread_with_the_same_deadline(
    tmp_path: Path, flock_holder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No signal handler can be set there (the main thread's timer ends the wait otherwise): it polls instead."""
    import threading

    import mailconf.fix
    from mailconf.errors import InputError

    path = tmp_path / "a.yaml"
    path.write_text("old\n", encoding="utf-8")
    flock_holder(path)
    monkeypatch.setattr(mailconf.fix, "LOCK_WAIT", 0.3)
    raised: list[BaseException] = []

    def fix() -> None:
        try:
            mailconf.fix.write_atomically(str(path), "new\n", b"old\n")
        except BaseException as exc:  # noqa: BLE001 - handed to the test's thread
            raised.append(exc)

    thread = threading.Thread(target=fix)
    thread.start()
    thread.join(60)  # a hang guard only
    assert not thread.is_alive()
    assert [(type(e), str(e)) for e in raised] == [
        (InputError, f"{path}: another program holds its lock (waited 0.3 s); nothing written, run --fix again")
    ]
    assert path.read_text(encoding="utf-8") == "old\n"


def test_fix_gives_up_on_a_file_that_keeps_being_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each time --fix has the lock, another program has put a new file there (simulated at that moment, at the
    real flock): --fix took the lock again on each new file, for ever. Here the other program stops after 50."""
    import fcntl

    from mailconf import cli

    path = tmp_path / "a.yaml"
    text = HEAD + account(CASES["MC706"][0])
    path.write_text(text, encoding="utf-8")
    real = fcntl.flock
    replaced: list[int] = []

    def then_replaced(fd: int, operation: int) -> None:
        real(fd, operation)
        if len(replaced) < 50:
            (tmp_path / "a.yaml.new").write_text(text, encoding="utf-8")
            os.replace(tmp_path / "a.yaml.new", path)
            replaced.append(1)

    monkeypatch.setattr(fcntl, "flock", then_replaced)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["lint", "--fix", "a.yaml"]) == 2
    assert capsys.readouterr() == (
        "",
        "mailconf: fixed 0 findings in 0 files\n"
        "mailconf: a.yaml: replaced 4 times while --fix waited for its lock; nothing written, run --fix again\n",
    )
    assert len(replaced) == 4
    assert path.read_text(encoding="utf-8") == text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yaml"]


def _without_chown() -> None:
    """Drop CAP_CHOWN from the bounding set: root then cannot give a file to another user, as any user cannot."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    pr_capbset_drop, cap_chown = 24, 0
    if libc.prctl(pr_capbset_drop, cap_chown, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can make a file another user's (CI runs as root)")
def test_the_fixed_file_keeps_its_owner_and_group_or_is_not_written(tmp_path: Path) -> None:
    # the temporary is the fixing user's: renamed over a user's file, root's fix made the file root's
    path = tmp_path / "a.yaml"
    text = HEAD + account(CASES["MC706"][0])
    path.write_text(text, encoding="utf-8")
    os.chown(path, 65534, 65534)
    os.chmod(path, 0o640)
    assert run_mailconf("lint", "--fix", "a.yaml", cwd=tmp_path, preexec=_without_chown) == (
        2,
        _MC706_LEFT,
        "mailconf: fixed 0 findings in 0 files\n"
        "mailconf: a.yaml: cannot keep its owner and group (65534:65534); nothing written, run --fix as its owner\n",
    )
    assert path.read_text(encoding="utf-8") == text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yaml"]
    assert run_mailconf("lint", "--fix", "a.yaml", cwd=tmp_path) == (0, "", "mailconf: fixed 1 finding in 1 file\n")
    info = path.stat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (65534, 65534, 0o640)
    assert path.read_text(encoding="utf-8") == HEAD + account(CASES["MC706"][1])


SHARED = {
    # a mapping anchored in one account and aliased in another: its timeout is both accounts' timeout
    "alias": "  a:\n    address: a@example.com\n"
    "    outgoing: &out {host: smtp.example.com, timeout: 2, password_command: pass show t}\n"
    "  b:\n    address: b@example.com\n    outgoing: *out\n",
    # merged into another server: fixing it changed that server too, and the final check refused the whole file
    "merge key": "  a:\n    address: a@example.com\n    outgoing: &out\n      host: smtp.example.com\n"
    "      timeout: 2\n      password_command: pass show t\n"
    "  b:\n    address: b@example.com\n    outgoing:\n      <<: *out\n      port: 465\n",
    "list": "  a:\n    address: a@example.com\n    outgoing:\n      host: smtp.example.com\n"
    "      mechanisms: &m [plain, cram-md5]\n      password_command: pass show t\n"
    "  b:\n    address: b@example.com\n"
    "    outgoing: {host: smtp.example.com, mechanisms: *m, password_command: pass x}\n",
}


@pytest.mark.parametrize("layout", sorted(SHARED))
def test_a_value_inside_an_anchored_mapping_or_list_is_not_fixed(layout: str, tmp_path: Path) -> None:
    other = "  u:\n    address: u@example.com\n    outgoing: {host: smtp.example.com, timeout: 1, password_command: x}"
    text = "version: 1\naccounts:\n" + SHARED[layout] + other + "\n"
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    outcome = run_mailconf("lint", "--fix", "--unsafe-fixes", "--format", "json", "a.yaml", cwd=tmp_path)
    assert (outcome.code, outcome.stderr) == (0, "mailconf: fixed 1 finding in 1 file\n")
    assert (tmp_path / "a.yaml").read_text(encoding="utf-8") == text.replace("timeout: 1,", "timeout: 30,")
    import json

    left = json.loads(outcome.stdout)
    # the shared value's finding stays, unfixable: one, at the place it is written (not one per server using it)
    assert [(f["rule"], f["fix"]) for f in left] == [(left[0]["rule"], None)]


def test_a_mapping_anchored_after_its_tag_is_not_fixed_and_the_other_fixes_are(tmp_path: Path) -> None:
    # a node's anchor and tag come in either order: `!!map &out` was taken for no anchor, the fix of a's port
    # changed b's merged one too, and the final check refused the whole file, u's fix too, as "a bug"
    text = (
        "version: 1\naccounts:\n  a:\n    address: a@example.com\n    outgoing: !!map &out\n"
        "      host: smtp.example.com\n      port: 465\n      security: starttls\n      password_command: pass t\n"
        "  b:\n    address: b@example.com\n    outgoing:\n      <<: *out\n      security: tls\n"
        "  u:\n    address: u@example.com\n    outgoing: {host: smtp.example.com, timeout: 1, password_command: x}\n"
    )
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    outcome = run_mailconf("lint", "--fix", "--unsafe-fixes", "a.yaml", cwd=tmp_path)
    assert (outcome.code, outcome.stderr) == (1, "mailconf: fixed 1 finding in 1 file\n")
    assert (tmp_path / "a.yaml").read_bytes() == text.replace("timeout: 1,", "timeout: 30,").encode()
    # the shared port's finding stays, to be fixed by hand
    assert outcome.stdout.startswith("a.yaml:7:13: error MC201 implicit-port-with-starttls: ")


def test_a_read_only_file_is_not_replaced(tmp_path: Path) -> None:
    # rename() asks only the folder: a file its owner made read-only (chmod a-w) was replaced by its fixed text.
    # Its findings are reported as it has them, as ruff does, and the write failure is an error (exit 2): they were
    # not listed at all, as if it had none
    from tests.test_cli import _without_file_override

    path = tmp_path / "a.yaml"
    text = HEAD + account(CASES["MC706"][0])
    path.write_text(text, encoding="utf-8")
    path.chmod(0o444)
    outcome = run_mailconf(
        "lint", "--fix", "a.yaml", cwd=tmp_path, preexec=_without_file_override if os.geteuid() == 0 else None
    )
    assert outcome == (
        2,
        _MC706_LEFT,
        "mailconf: fixed 0 findings in 0 files\nmailconf: a.yaml: is read-only; nothing written, make it writable "
        "to fix it\n",
    )
    assert (path.read_text(encoding="utf-8"), stat.S_IMODE(path.stat().st_mode)) == (text, 0o444)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yaml"]


@pytest.mark.parametrize(("interruption", "code"), [(KeyboardInterrupt, 130), (SystemExit(143), 143)])
def test_an_interrupted_write_leaves_the_file_whole_and_no_temporary(
    interruption: BaseException | type[BaseException],
    code: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Ctrl-C, or SIGTERM (which mailconf.errors.sigterm_exits turns into SystemExit(143)), while the temporary is
    # written: only an OSError removed it, so `.a.yaml.XXXX.tmp` stayed beside the file, half written
    from mailconf import cli

    text = HEAD + account(CASES["MC706"][0])
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")

    def interrupted(fd: int) -> None:
        raise interruption

    monkeypatch.setattr(os, "fsync", interrupted)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["lint", "--fix", "a.yaml"]) == code
    assert capsys.readouterr().out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yaml"]
    assert (tmp_path / "a.yaml").read_text(encoding="utf-8") == text


@pytest.mark.parametrize(("second", "code"), [(KeyboardInterrupt, 130), (SystemExit(143), 143)])
def test_a_second_interruption_as_the_temporary_is_removed_still_removes_it(
    second: BaseException | type[BaseException],
    code: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # a Ctrl-C while the temporary is written, then a second one (or SIGTERM) acted on as its removal began, before
    # it held signals off (Python acts on a signal where a function starts: signals_held's own, here): the removal
    # was skipped and `.a.yaml.XXXX.tmp` stayed. Raised where Python would act on it, the first time a hold begins
    import mailconf.errors
    from mailconf import cli, replace

    text = HEAD + account(CASES["MC706"][0])
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    held, holds = mailconf.errors.signals_held, [0]

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    def signalled() -> object:
        holds[0] += 1
        if holds[0] == 1:
            raise second
        return held()

    monkeypatch.setattr(os, "fsync", interrupted)
    monkeypatch.setattr(mailconf.errors, "signals_held", signalled)
    monkeypatch.setattr(replace, "signals_held", signalled, raising=False)  # where it held them off itself
    monkeypatch.chdir(tmp_path)
    assert cli.main(["lint", "--fix", "a.yaml"]) == code
    assert (capsys.readouterr().out, holds[0]) == ("", 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yaml"]
    assert (tmp_path / "a.yaml").read_text(encoding="utf-8") == text


@pytest.mark.parametrize(("interruption", "code"), [(KeyboardInterrupt, 130), (SystemExit(143), 143)])
def test_an_interruption_as_the_temporary_is_created_leaves_neither_it_nor_its_descriptor(
    interruption: BaseException | type[BaseException],
    code: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Python acts on a Ctrl-C (or SIGTERM) as a call returns: one that came as the temporary's os.open() returned
    # (inside tempfile.mkstemp) raised before its name and descriptor were known, so `.a.yaml.XXXX.tmp` stayed
    # beside the file, empty, and open. Raised where Python would act on it, as that open returns
    from mailconf import cli

    text = HEAD + account(CASES["MC706"][0])
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    opened = os.open

    def interrupted(path: str | Path, *args: Any, **kwargs: Any) -> int:
        fd = opened(path, *args, **kwargs)
        if str(path).endswith(".tmp"):
            raise interruption
        return fd

    monkeypatch.setattr(os, "open", interrupted)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["lint", "--fix", "a.yaml"]) == code
    assert capsys.readouterr().out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yaml"]
    assert (tmp_path / "a.yaml").read_text(encoding="utf-8") == text
    descriptors = Path("/proc/self/fd")
    if descriptors.is_dir():  # none of this process's descriptors is still open on the temporary
        left = [link for fd in descriptors.iterdir() if str(tmp_path) in (link := _link_or_empty(fd))]
        assert left == []


def _link_or_empty(fd: Path) -> str:
    try:
        return os.readlink(fd)
    except OSError:  # closed meanwhile (the listing's own descriptor)
        return ""


def test_the_fixed_file_keeps_its_extended_attributes(tmp_path: Path) -> None:
    # the renamed temporary had none: an access control list (system.posix_acl_access) that let a colleague edit
    # the file was gone after a fix, and so was any user.* attribute; a user.* one stands for both here
    path = tmp_path / "a.yaml"
    path.write_text(HEAD + account(CASES["MC706"][0]), encoding="utf-8")
    try:
        os.setxattr(path, "user.mailconf-test", b"reviewed by ops")
    except OSError as exc:
        pytest.skip(f"no user extended attributes on this file system ({exc.strerror})")
    assert run_mailconf("lint", "--fix", "a.yaml", cwd=tmp_path) == (0, "", "mailconf: fixed 1 finding in 1 file\n")
    assert path.read_text(encoding="utf-8") == HEAD + account(CASES["MC706"][1])
    assert os.getxattr(path, "user.mailconf-test") == b"reviewed by ops"
