"""``mailconf render`` as a user meets it: the exact lines on both streams and the exit code (real subprocess)."""

from __future__ import annotations

from pathlib import Path

from tests.test_cli import CLEAN, Outcome, run_mailconf

STALE = "mailconf: rendered files are stale: run the same command with --update instead of --check to rewrite them\n"
#: the closing line of --check when the only fault is a file no account renders any more, which --update never removes
LEFT = (
    "mailconf: rendered files are stale: remove the files no account renders any more (--update never removes a file)\n"
)
#: both: a file to rewrite and one to remove
BOTH = STALE.replace("to rewrite them\n", "to rewrite them, and remove the files no account renders any more\n")


def test_check_of_a_file_not_written_yet_is_one_missing_line_and_no_diff(tmp_path: Path) -> None:
    # it printed a diff from nothing (the whole rendered file, as + lines) besides the missing line
    (tmp_path / "accounts.yaml").write_text(CLEAN, encoding="utf-8")
    assert run_mailconf("render", "-t", "msmtp", "accounts.yaml", "-o", "out", "--check", cwd=tmp_path) == Outcome(
        1, "", "mailconf: out/.msmtprc: missing\n" + STALE
    )
    assert not (tmp_path / "out").exists()  # --check writes nothing


def test_quiet_check_prints_the_diff_and_missing_lines_without_the_closing_line(tmp_path: Path) -> None:
    (tmp_path / "accounts.yaml").write_text(CLEAN, encoding="utf-8")
    args = ("render", "-t", "msmtp", "-t", "mbsync", "accounts.yaml", "-o", "out")
    assert run_mailconf(*args, cwd=tmp_path) == Outcome(0, "", "")
    msmtprc = tmp_path / "out" / "msmtp" / ".msmtprc"
    msmtprc.write_text(msmtprc.read_text(encoding="utf-8").replace("port 465", "port 25"), encoding="utf-8")
    (tmp_path / "out" / "mbsync" / ".mbsyncrc").unlink()
    diff = (
        "--- out/msmtp/.msmtprc (on disk)\n+++ out/msmtp/.msmtprc (rendered)\n@@ -3,7 +3,7 @@\n \n"
        ' account work\n host "smtp.example.com"\n-port 25\n+port 465\n tls on\n tls_starttls off\n auth on\n'
    )
    missing = "mailconf: out/mbsync/.mbsyncrc: missing\n"
    assert run_mailconf(*args, "--check", cwd=tmp_path) == Outcome(1, diff, missing + STALE)
    assert run_mailconf(*args, "--check", "-q", cwd=tmp_path) == Outcome(1, diff, missing)
    assert run_mailconf(*args, "--check", "--quiet", cwd=tmp_path) == Outcome(1, diff, missing)
    assert run_mailconf(*args, "--update", "-q", cwd=tmp_path) == Outcome(
        1, "", f"mailconf: created {tmp_path}/out/mbsync/.mbsyncrc\nmailconf: updated {tmp_path}/out/msmtp/.msmtprc\n"
    )  # the files it changed are what --update reports, as lint --fix's count
    assert run_mailconf(*args, "--check", "-q", cwd=tmp_path) == Outcome(0, "", "")


def test_quiet_keeps_the_warnings_of_what_a_target_cannot_express(tmp_path: Path) -> None:
    (tmp_path / "accounts.yaml").write_text(
        CLEAN.replace("host: smtp.example.com\n", "host: smtp.example.com\n      tls:\n        verify: false\n"),
        encoding="utf-8",
    )
    args = ("render", "-t", "mutt", "accounts.yaml", "-o", "out", "--check")
    loud = run_mailconf(*args, cwd=tmp_path)
    warning, rest = loud.stderr.split("\n", 1)
    assert warning.startswith("mailconf: warning: mutt: account work: outgoing.tls.verify cannot be expressed; ")
    assert (loud.code, loud.stdout, rest) == (1, "", "mailconf: out/work.muttrc: missing\n" + STALE)
    assert run_mailconf(*args, "-q", cwd=tmp_path) == Outcome(1, "", f"{warning}\nmailconf: out/work.muttrc: missing\n")


def test_an_output_folder_whose_name_is_too_long_is_one_line(tmp_path: Path) -> None:
    """-o with a folder name over 255 bytes: Path.exists() raised ENAMETOOLONG, exit 3; nothing is created."""
    (tmp_path / "accounts.yaml").write_text(CLEAN, encoding="utf-8")
    folder = tmp_path / ("o" * 300)
    outcome = run_mailconf("render", "-t", "msmtp", "accounts.yaml", "-o", str(folder / "out"), cwd=tmp_path)
    assert outcome == Outcome(2, "", f"mailconf: cannot write {folder / 'out'}: File name too long\n")
    assert [p.name for p in tmp_path.iterdir()] == ["accounts.yaml"]


#: Two accounts that differ only in the case of their names: Alice.muttrc and alice.muttrc are one file on macOS,
#: Windows and FAT, where a folder of rendered files may be checked out.
CASES = CLEAN.replace("  work:\n", "  Alice:\n") + CLEAN.split("accounts:\n")[1].replace(
    "  work:\n", "  alice:\n"
).replace("alice@", "other@")
FOLDED = "one file on macOS, Windows or a FAT drive, where a copy of the rendered folder keeps only one of them"


def test_accounts_whose_file_names_differ_only_in_case_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    # rendered on Linux the two files coexisted; a checkout on macOS kept one, and on a FAT drive the rename of the
    # second replaced the first
    (tmp_path / "accounts.yaml").write_text(CASES, encoding="utf-8")
    refusal = (
        "mailconf: target mutt: not rendered: account alice: its file alice.muttrc and account Alice's file "
        f"Alice.muttrc differ only in case: {FOLDED}; rename one of the two accounts\n"
    )
    assert run_mailconf("render", "-t", "mutt", "accounts.yaml", "-o", "out", cwd=tmp_path) == Outcome(1, "", refusal)
    # with another target that would write: nothing written either, and --check refuses alike
    assert run_mailconf("render", "-t", "msmtp", "-t", "mutt", "accounts.yaml", "-o", "out", cwd=tmp_path) == Outcome(
        1, "", refusal
    )
    assert run_mailconf("render", "-t", "mutt", "accounts.yaml", "-o", "out", "--check", cwd=tmp_path) == Outcome(
        1, "", refusal
    )
    assert [p.name for p in tmp_path.iterdir()] == ["accounts.yaml"]
    # each account alone is one file
    assert run_mailconf("render", "-t", "mutt", "accounts.yaml", "-a", "alice", "-o", "out", cwd=tmp_path).code == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["alice.muttrc"]


def test_addresses_in_two_unicode_normalizations_are_refused_for_the_files_named_after_them(tmp_path: Path) -> None:
    # é composed (NFC) and e + combining acute (NFD): one name on macOS, two files on Linux
    nfc, nfd = "\u00e9@example.com", "e\u0301@example.com"
    text = CASES.replace("  Alice:\n", "  first:\n").replace("  alice:\n", "  second:\n")
    text = text.replace("alice@example.com", nfc).replace("other@example.com", nfd)
    (tmp_path / "accounts.yaml").write_text(text, encoding="utf-8")
    assert run_mailconf("render", "-t", "autodiscover", "accounts.yaml", "-o", "out", cwd=tmp_path) == Outcome(
        1,
        "",
        f"mailconf: target autodiscover: not rendered: account second: address: its file autodiscover/{nfd}.xml and "
        f"account first's file autodiscover/{nfc}.xml are one name in two Unicode normalizations (NFC, NFD): "
        f"{FOLDED}; give one of the two accounts another address, or render one of them with --account\n",
    )
    assert [p.name for p in tmp_path.iterdir()] == ["accounts.yaml"]


def test_autoconfig_domains_whose_accounts_disagree_share_one_line_and_one_domain_has_its_detail(
    tmp_path: Path,
) -> None:
    """A domain whose accounts declare different servers: one gap per account not first. Its advice named the domain
    and both servers, so a file of 997 such domains printed 997 lines (benchmarks' 10,000 accounts); now the
    domains share one line, and an account alone on its line still gets the domain and servers."""

    def accounts(domains: range) -> str:
        lines = ["version: 1", "accounts:"]
        for n in domains:
            for name, protocol, port in (("i", "imap", 993), ("p", "pop3", 995)):
                lines += [
                    f"  {name}{n}:",
                    f"    address: {name}{n}@d{n}.example.org",
                    f"    incoming: {{protocol: {protocol}, host: {protocol}.d{n}.example.org, port: {port},"
                    f" username: {name}{n}@d{n}.example.org, password_command: pass x}}",
                    f"    outgoing: {{host: smtp.d{n}.example.org, username: {name}{n}@d{n}.example.org,"
                    " password_command: pass x}",
                ]
        return "\n".join(lines) + "\n"

    advice = (
        "incoming.protocol cannot be expressed; its domain's document lists its server as an alternative after "
        "another account's, which clients take first for every user: make the domain's accounts agree, or configure "
        "the account directly"
    )
    (tmp_path / "many.yaml").write_text(accounts(range(1, 8)), encoding="utf-8")
    outcome = run_mailconf("render", "-t", "autoconfig", "many.yaml", "-o", "many", cwd=tmp_path)
    assert (outcome.code, outcome.stdout) == (0, "")
    assert [line for line in outcome.stderr.splitlines() if "incoming.protocol" in line] == [
        f"mailconf: warning: autoconfig: accounts p1, p2, p3 and 4 more (7): {advice}"
    ]
    (tmp_path / "one.yaml").write_text(accounts(range(1, 2)), encoding="utf-8")
    outcome = run_mailconf("render", "-t", "autoconfig", "one.yaml", "-o", "one", cwd=tmp_path)
    assert [line for line in outcome.stderr.splitlines() if "incoming.protocol" in line] == [
        f"mailconf: warning: autoconfig: account p1: {advice} (d1.example.org: pop3 pop3.d1.example.org:995 SSL is "
        "listed after account i1's imap imap.d1.example.org:993 SSL)"
    ]


def test_autoconfig_names_the_accounts_of_a_shared_warning_in_file_order(tmp_path: Path) -> None:
    """autoconfig finds its gaps domain by domain: a warning shared by accounts of several domains named each
    domain's accounts in turn (a1, a2, b1), where every other target names them in file order (a1, b1, a2)."""
    lines = ["version: 1", "accounts:"]
    for name, domain in (("a1", "a"), ("b1", "b"), ("a2", "a")):
        lines += [
            f"  {name}:",
            f"    address: {name}@{domain}.example.org",
            f"    incoming: {{protocol: imap, host: imap.{domain}.example.org, username: {name}@{domain}.example.org,"
            " timeout: 30}",
            f"    outgoing: {{host: smtp.{domain}.example.org, username: {name}@{domain}.example.org}}",
        ]
    (tmp_path / "accounts.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    outcome = run_mailconf(
        "render", "-t", "autoconfig", "-t", "autodiscover", "accounts.yaml", "-o", "out", cwd=tmp_path
    )
    assert outcome == Outcome(
        0,
        "",
        "mailconf: warning: autoconfig: accounts a1, b1, a2: incoming.timeout cannot be expressed; autoconfig has no "
        "timeout\n"
        "mailconf: warning: autodiscover: accounts a1, b1, a2: incoming.timeout cannot be expressed; POX has no "
        "timeout\n",
    )


#: An unknown key above a quoted number: the schema explains the number first (its `type` keyword comes before
#: `additionalProperties`), the file says the key first.
OUT_OF_ORDER = CLEAN + '      prt: 465\n      timeout: "30"\n'
OUT_OF_ORDER_ERRORS = (
    "accounts.yaml:12:7: error MC002 schema-violation: unknown key `prt`; did you mean `port`?\n"
    "accounts.yaml:13:16: error MC002 schema-violation: "
    '`timeout` must be a whole number (got "30") (remove the quotes)\n'
)


def test_render_and_probe_list_the_errors_that_refuse_a_file_in_the_order_lint_does(tmp_path: Path) -> None:
    # render and probe listed them in the order the schema found them, the timeout above the key written before it
    (tmp_path / "accounts.yaml").write_text(OUT_OF_ORDER, encoding="utf-8")
    assert run_mailconf("lint", "accounts.yaml", cwd=tmp_path) == Outcome(
        1,
        OUT_OF_ORDER_ERRORS + "2 errors in 1 file\n",
        "mailconf: note: accounts.yaml:9:5: not checked: `outgoing` of account `work`: it does not match the schema; "
        "fix its MC002 findings and lint again\n",
    )
    assert run_mailconf("render", "-t", "mutt", "accounts.yaml", cwd=tmp_path) == Outcome(
        1,
        "",
        OUT_OF_ORDER_ERRORS
        + "mailconf: accounts.yaml: not rendered: fix the errors above first (`mailconf lint accounts.yaml`)\n",
    )
    # probe connects to nothing: the file is refused before any server is chosen
    assert run_mailconf("probe", "accounts.yaml", cwd=tmp_path) == Outcome(
        1,
        OUT_OF_ORDER_ERRORS + "2 errors in 1 file\n",
        "mailconf: accounts.yaml: not probed: fix the errors first (`mailconf lint accounts.yaml`)\n",
    )


#: CLEAN and a second account, carol, of another mail domain: removed again, her files are left in -o DIR.
WITH_CAROL = CLEAN + (
    "  carol:\n"
    "    address: carol@example.org\n"
    "    incoming:\n"
    "      protocol: imap\n"
    "      host: imap.example.org\n"
    "      password_command: pass show carol\n"
    "    outgoing:\n"
    "      host: smtp.example.org\n"
    "      password_command: pass show carol\n"
)


def _carol_removed(tmp_path: Path, *args: str) -> tuple[str, ...]:
    """Render ``args`` with carol, then take her out of the file: the render args to run again."""
    (tmp_path / "accounts.yaml").write_text(WITH_CAROL, encoding="utf-8")
    args = ("render", *args, "accounts.yaml", "-o", "out")
    assert run_mailconf(*args, cwd=tmp_path).code == 0
    (tmp_path / "accounts.yaml").write_text(CLEAN, encoding="utf-8")
    return args


def _without_gaps(outcome: Outcome) -> Outcome:
    """The outcome without the warnings of what the targets cannot express (the provider targets cannot express a
    password_command): the rest is compared exactly."""
    lines = outcome.stderr.splitlines(keepends=True)
    return outcome._replace(stderr="".join(line for line in lines if " cannot be expressed; " not in line))


def _gone(path: str) -> str:
    return f"mailconf: {path}: no account renders it any more; remove it (git rm)\n"


def test_check_and_update_name_the_muttrc_of_a_removed_account_and_never_remove_it(tmp_path: Path) -> None:
    # --check exited 0 with carol.muttrc still there (the mailconf-render-check hook said all was up to date)
    args = _carol_removed(tmp_path, "-t", "mutt")
    assert run_mailconf(*args, "--check", cwd=tmp_path) == Outcome(1, "", _gone("out/carol.muttrc") + LEFT)
    assert run_mailconf(*args, "--check", "-q", cwd=tmp_path) == Outcome(1, "", _gone("out/carol.muttrc"))
    assert run_mailconf(*args, "--update", cwd=tmp_path) == Outcome(1, "", _gone("out/carol.muttrc"))
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["carol.muttrc", "work.muttrc"]  # nothing removed
    (tmp_path / "out" / "carol.muttrc").unlink()  # what the user does
    assert run_mailconf(*args, "--check", cwd=tmp_path) == Outcome(0, "", "")
    assert run_mailconf(*args, "--update", cwd=tmp_path) == Outcome(0, "", "")


def test_a_plain_render_warns_of_the_file_no_account_renders_and_exits_as_before(tmp_path: Path) -> None:
    args = _carol_removed(tmp_path, "-t", "mutt")
    warning = "mailconf: warning: out/carol.muttrc: no account renders it any more; remove it\n"
    assert run_mailconf(*args, cwd=tmp_path) == Outcome(0, "", warning)
    assert (tmp_path / "out" / "carol.muttrc").is_file()


def test_a_hand_written_muttrc_beside_the_rendered_ones_is_never_named(tmp_path: Path) -> None:
    args = _carol_removed(tmp_path, "-t", "mutt")
    (tmp_path / "out" / "personal.muttrc").write_text("# mine\nset from = 'me@example.net'\n", encoding="utf-8")
    # a file with the header, but through a link: nothing inside -o is followed
    (tmp_path / "elsewhere.muttrc").write_bytes((tmp_path / "out" / "carol.muttrc").read_bytes())
    (tmp_path / "out" / "linked.muttrc").symlink_to(tmp_path / "elsewhere.muttrc")
    assert run_mailconf(*args, "--check", cwd=tmp_path) == Outcome(1, "", _gone("out/carol.muttrc") + LEFT)
    (tmp_path / "out" / "carol.muttrc").unlink()
    assert run_mailconf(*args, "--check", cwd=tmp_path) == Outcome(0, "", "")
    assert run_mailconf(*args, "--update", cwd=tmp_path) == Outcome(0, "", "")


def test_check_names_the_autoconfig_document_of_a_domain_no_account_has_any_more(tmp_path: Path) -> None:
    # carol was example.org's last account: a web server kept publishing its document
    args = _carol_removed(tmp_path, "-t", "autoconfig")
    gone = _gone("out/autoconfig/example.org/config-v1.1.xml")
    assert _without_gaps(run_mailconf(*args, "--check", cwd=tmp_path)) == Outcome(1, "", gone + LEFT)
    assert _without_gaps(run_mailconf(*args, "--update", cwd=tmp_path)) == Outcome(1, "", gone)
    assert (tmp_path / "out" / "autoconfig" / "example.org" / "config-v1.1.xml").is_file()


def test_with_account_a_file_of_an_account_not_selected_is_not_named(tmp_path: Path) -> None:
    args = _carol_removed(tmp_path, "-t", "mutt", "-t", "autoconfig")
    for mode in ("--check", "--update", "--force"):
        assert _without_gaps(run_mailconf(*args, "--account", "work", mode, cwd=tmp_path)) == Outcome(0, "", "")
    gone = _gone("out/mutt/carol.muttrc") + _gone("out/autoconfig/autoconfig/example.org/config-v1.1.xml")
    assert _without_gaps(run_mailconf(*args, "--check", cwd=tmp_path)) == Outcome(1, "", gone + LEFT)


def test_every_target_names_its_files_of_a_removed_account(tmp_path: Path) -> None:
    args = _carol_removed(tmp_path, "-t", "all")
    gone = "".join(
        _gone(f"out/{name}")
        for name in (
            "autoconfig/autoconfig/example.org/config-v1.1.xml",
            "autodiscover/autodiscover/carol@example.org.xml",
            "getmail/getmail/carol.getmailrc",
            "mobileconfig/mobileconfig/carol.mobileconfig",
            "mutt/carol.muttrc",
            "neomutt/carol.muttrc",
        )
    )
    checked = _without_gaps(run_mailconf(*args, "--check", cwd=tmp_path))
    assert (checked.code, checked.stderr) == (1, gone + BOTH)  # the one-file targets' diffs on standard output
    files = "aerc/accounts.conf fetchmail/.fetchmailrc mbsync/.mbsyncrc msmtp/.msmtprc offlineimap/.offlineimaprc "
    files += "offlineimap/.offlineimap-mailconf.py outlook/outlook.reg outlook-prf/outlook.prf thunderbird/user.js"
    updated = "".join(f"mailconf: updated {tmp_path}/out/{name}\n" for name in files.split())
    assert _without_gaps(run_mailconf(*args, "--update", cwd=tmp_path)) == Outcome(1, "", updated + gone)
    assert _without_gaps(run_mailconf(*args, "--check", cwd=tmp_path)) == Outcome(1, "", gone + LEFT)


def test_more_than_five_files_of_one_target_are_one_line_that_counts_them(tmp_path: Path) -> None:
    carol = WITH_CAROL[len(CLEAN) :]
    many = CLEAN + "".join(carol.replace("  carol:", f"  c{i}:") for i in range(7))
    (tmp_path / "accounts.yaml").write_text(many, encoding="utf-8")
    args = ("render", "-t", "mutt", "accounts.yaml", "-o", "out")
    assert run_mailconf(*args, cwd=tmp_path).code == 0
    (tmp_path / "accounts.yaml").write_text(CLEAN, encoding="utf-8")
    line = (
        "mailconf: out/c0.muttrc, out/c1.muttrc, out/c2.muttrc and 4 more (7): no account renders them any more; "
        "remove them (git rm)\n"
    )
    assert run_mailconf(*args, "--check", cwd=tmp_path) == Outcome(1, "", line + LEFT)


def test_check_names_the_ca_import_script_once_no_account_names_a_ca_file(tmp_path: Path) -> None:
    # import-ca.sh is written only while an account names a tls.ca_file: without one it stayed, run by whoever
    # followed the page, importing a CA no account trusts any more
    with_ca = CLEAN.replace(
        "      host: imap.example.com\n", "      host: imap.example.com\n      tls:\n        ca_file: /etc/ca.pem\n"
    )
    (tmp_path / "accounts.yaml").write_text(with_ca, encoding="utf-8")
    args = ("render", "-t", "thunderbird", "accounts.yaml", "-o", "out")
    assert run_mailconf(*args, cwd=tmp_path).code == 0
    (tmp_path / "out" / "user.js").unlink()  # as rendered without the CA file: only the script is left over
    (tmp_path / "accounts.yaml").write_text(CLEAN, encoding="utf-8")
    assert run_mailconf(*args, cwd=tmp_path).code == 0
    (tmp_path / "out" / "cert_override.txt").write_text("# PSM Certificate Override Settings file\n", encoding="utf-8")
    gone = _gone("out/import-ca.sh")
    assert _without_gaps(run_mailconf(*args, "--check", cwd=tmp_path)) == Outcome(1, "", gone + LEFT)


def test_check_names_the_file_of_a_target_left_with_no_account_to_write(tmp_path: Path) -> None:
    # mbsync leaves out a POP3 account, and with several targets one with nothing to write is left out: its old
    # .mbsyncrc stayed, and --check of the other target's up-to-date file exited 0
    (tmp_path / "accounts.yaml").write_text(CLEAN, encoding="utf-8")
    args = ("render", "-t", "mbsync", "-t", "msmtp", "accounts.yaml", "-o", "out")
    assert run_mailconf(*args, cwd=tmp_path) == Outcome(0, "", "")
    (tmp_path / "accounts.yaml").write_text(CLEAN.replace("protocol: imap", "protocol: pop3"), encoding="utf-8")
    gone = _gone("out/mbsync/.mbsyncrc")
    assert _without_gaps(run_mailconf(*args, "--check", cwd=tmp_path)) == Outcome(1, "", gone + LEFT)
    assert _without_gaps(run_mailconf(*args, "--update", cwd=tmp_path)) == Outcome(1, "", gone)
    assert (tmp_path / "out" / "mbsync" / ".mbsyncrc").is_file()


def test_the_file_rendered_now_under_a_name_of_another_case_is_not_named(tmp_path: Path) -> None:
    # Where names ignore case (macOS, Windows, a FAT drive), account Carol's Carol.muttrc is the file that account
    # carol wrote: the folder lists it as carol.muttrc, which was named as left over (and removing it removed
    # Carol's file). None of those file systems can be mounted here: a hard link gives one file both names, as
    # they do.
    (tmp_path / "accounts.yaml").write_text(WITH_CAROL.replace("  carol:", "  Carol:"), encoding="utf-8")
    args = ("render", "-t", "mutt", "accounts.yaml", "-o", "out")
    assert run_mailconf(*args, cwd=tmp_path) == Outcome(0, "", "")
    (tmp_path / "out" / "carol.muttrc").hardlink_to(tmp_path / "out" / "Carol.muttrc")
    assert run_mailconf(*args, "--check", cwd=tmp_path) == Outcome(0, "", "")
    # another file under that name (a file system that tells case apart): left over
    (tmp_path / "out" / "carol.muttrc").unlink()
    (tmp_path / "out" / "carol.muttrc").write_bytes((tmp_path / "out" / "Carol.muttrc").read_bytes())
    assert run_mailconf(*args, "--check", cwd=tmp_path) == Outcome(1, "", _gone("out/carol.muttrc") + LEFT)


def test_a_profile_signed_beside_the_rendered_ones_is_not_named(tmp_path: Path) -> None:
    # docs/publish.md signs a profile with openssl cms into work-signed.mobileconfig: DER that holds the rendered
    # plist whole, header included, so it was named as left over (and removing it unpublished the signed profile)
    import datetime as dt
    import subprocess

    from tests.conftest import need
    from tests.servers import self_signed

    openssl = need("openssl")["openssl"]
    args = _carol_removed(tmp_path, "-t", "mobileconfig")
    now = dt.datetime.now(dt.UTC)
    signer = self_signed(tmp_path, "signer", None, now - dt.timedelta(days=1), now + dt.timedelta(days=1))
    folder = tmp_path / "out" / "mobileconfig"
    sign = ["cms", "-sign", "-binary", "-nodetach", "-outform", "der", "-signer", str(signer.cert), "-inkey"]
    sign += [
        str(signer.key),
        "-in",
        str(folder / "work.mobileconfig"),
        "-out",
        str(folder / "work-signed.mobileconfig"),
    ]
    subprocess.run([openssl, *sign], check=True, capture_output=True)
    assert b", written by mailconf</string>" in (folder / "work-signed.mobileconfig").read_bytes()
    gone = _gone("out/mobileconfig/carol.mobileconfig")
    assert _without_gaps(run_mailconf(*args, "--check", cwd=tmp_path)) == Outcome(1, "", gone + LEFT)
