"""Every finding on the first run: the rules check what can be modelled of an invalid file,
and lint names what it could not check. Also MC709, the baseline's own rule."""

from __future__ import annotations

import textwrap
from pathlib import Path

from mailconf.baseline import apply_baseline, record, write
from mailconf.document import load_document
from mailconf.lint import lint_paths
from mailconf.settings import PolicyFinder
from tests.conftest import brief, lint_text
from tests.test_cli import run_mailconf

TYPO = textwrap.dedent("""\
    version: 1
    accounts:
      work:
        address: alice@example.com
        incoming:
          protocol: imap
          host: imap.example.com
          securty: tls
          security: none
          password_command: pass show work
        outgoing:
          host: smtp.example.com
          port: 587
          security: tls
          password_command: pass show work
    """)


def test_a_typo_does_not_hide_the_other_findings_of_its_server_or_account() -> None:
    assert brief(lint_text(TYPO)) == [("MC002", 8, 7), ("MC101", 9, 17), ("MC202", 13, 13)]


def test_a_wrong_value_leaves_out_its_server_only_and_says_so(tmp_path: Path) -> None:
    text = TYPO.replace("securty: tls", "port: [993]")
    assert brief(lint_text(text)) == [("MC002", 8, 13), ("MC202", 13, 13)]
    doc = load_document("accounts.yaml", text.encode("utf-8"))
    assert [str(n) for n in doc.not_checked] == [
        "accounts.yaml:5:5: not checked: `incoming` of account `work`: it does not match the schema; "
        "fix its MC002 findings and lint again"
    ]
    assert doc.model.accounts == ()  # render and probe still refuse the account
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    outcome = run_mailconf("lint", "a.yaml", cwd=tmp_path)
    assert outcome.stderr == (
        "mailconf: note: a.yaml:5:5: not checked: `incoming` of account `work`: it does not match the schema; "
        "fix its MC002 findings and lint again\n"
    )


def test_the_note_names_the_rules_that_reported_the_server_not_always_mc002() -> None:
    """A bad host is MC703 and credentials in it MC403 (rules that explain a schema error better):
    the note must send the reader to those findings, not to MC002 findings that are not there."""
    text = TYPO.replace("host: imap.example.com", 'host: "127.1"\n      port: "x"')
    text = text.replace("host: smtp.example.com", 'host: "alice:pw@smtp.example.com"')
    assert brief(lint_text(text)) == [("MC703", 7, 13), ("MC002", 8, 13), ("MC002", 9, 7), ("MC403", 13, 13)]
    doc = load_document("accounts.yaml", text.encode("utf-8"))
    assert [str(n) for n in doc.not_checked] == [
        "accounts.yaml:5:5: not checked: `incoming` of account `work`: it does not match the schema; "
        "fix its MC002 and MC703 findings and lint again",
        "accounts.yaml:12:5: not checked: `outgoing` of account `work`: it does not match the schema; "
        "fix its MC403 findings and lint again",
    ]
    only_host = TYPO.replace("host: imap.example.com", 'host: "127.1"').replace("      securty: tls\n", "")
    assert [n.message for n in load_document("a.yaml", only_host.encode("utf-8")).not_checked] == [
        "`incoming` of account `work`: it does not match the schema; fix its MC703 findings and lint again"
    ]


def test_an_account_none_of_whose_servers_is_valid_is_still_checked_as_an_account() -> None:
    """Its name is wrong whatever its servers say: MC710 and MC711 come on the first run, in file order (`work`
    differs from `Work`, which comes first), not only once its port is fixed."""
    text = textwrap.dedent("""\
        version: 1
        accounts:
          Work:
            address: a@example.com
            incoming: {protocol: imap, host: imap.example.com, port: "abc", password_command: pass show a}
          work:
            address: b@example.com
            incoming: {protocol: imap, host: imap.example.com, password_command: pass show b}
          con:
            address: c@example.com
        """)
    findings = lint_text(text)
    assert brief(findings) == [("MC002", 5, 62), ("MC710", 6, 3), ("MC002", 9, 3), ("MC711", 9, 3)]
    assert "account `work` differs from account `Work` only in case" in findings[1].message


def test_a_wrong_version_or_an_unknown_top_level_key_changes_no_server() -> None:
    text = TYPO.replace("version: 1", "version: 2\nextra: 1")
    assert brief(lint_text(text)) == [("MC002", 1, 10), ("MC002", 2, 1), ("MC002", 9, 7), ("MC101", 10, 17),
                                      ("MC202", 14, 13)]  # fmt: skip


def test_invalid_defaults_leave_every_account_unchecked() -> None:
    text = TYPO.replace("accounts:\n", "defaults:\n  timeout: soon\naccounts:\n", 1)
    doc = load_document("accounts.yaml", text.encode("utf-8"))
    assert brief(lint_text(text)) == [("MC002", 3, 12), ("MC002", 10, 7)]  # the typo is still named
    assert [n.message for n in doc.not_checked] == [
        "every account: `defaults:` does not match the schema and would change every server; "
        "fix its MC002 findings and lint again"
    ]


def test_an_account_without_an_address_is_not_checked() -> None:
    text = TYPO.replace("    address: alice@example.com\n", "")
    doc = load_document("accounts.yaml", text.encode("utf-8"))
    assert brief(lint_text(text)) == [("MC002", 3, 3), ("MC002", 7, 7)]
    assert [str(n) for n in doc.not_checked] == [
        "accounts.yaml:3:3: not checked: account `work`: it has no `address` as text; "
        "fix the MC002 findings and lint again"
    ]


def test_mc709_stale_baseline_entry_is_reported_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(TYPO, encoding="utf-8")
    baseline = str(tmp_path / "baseline.json")
    write(baseline, record(baseline, lint_paths([str(path)], PolicyFinder(), keep=True)))
    path.write_text(TYPO.replace("security: none", "security: tls"), encoding="utf-8")
    results = apply_baseline(baseline, lint_paths([str(path)], PolicyFinder(), keep=True))
    assert [(r.path, brief(list(r.findings))) for r in results] == [
        (str(path), []),
        (baseline, [("MC709", 6, 1)]),
    ]
    assert results[1].findings[0].message == (
        "MC101 at work:incoming.security in a.yaml is no longer found; "
        f"remove the entry (or run --write-baseline {baseline} again)"
    )
