"""`mailconf probe` as a command: formats, refused files, exit codes, account selection, the catalogue."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mailconf.catalogue import lookup
from mailconf.cli import main
from mailconf.docgen import plain_text, rule_markdown
from mailconf.probe.checks import CHECKS
from tests.conftest import lint_text
from tests.probe.conftest import write_accounts
from tests.servers import Certificates, Dovecot, free_port
from tests.test_cli import run_mailconf

SUMMARY = "IMAP over implicit TLS (TLSv1.3); login offered: LOGIN, PLAIN, LOGIN command"


def imaps(dovecot: Dovecot, certs: Certificates) -> dict[str, Any]:
    return {
        "protocol": "imap",
        "host": "127.0.0.1",
        "port": dovecot.ports.imaps,
        "timeout": 2,
        "tls": {"ca_file": str(certs.ca)},
    }


def refused_port() -> dict[str, Any]:
    return {"protocol": "smtp", "host": "127.0.0.1", "port": free_port(), "timeout": 2}


def test_text_output_and_exit_code(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], dovecot: Dovecot, certs: Certificates
) -> None:
    path = write_accounts(tmp_path / "a.yaml", imaps(dovecot, certs))
    code = main(["probe", "--format", "text", str(path)])
    out, err = capfd.readouterr()
    server = f"test incoming imap://127.0.0.1:{dovecot.ports.imaps}"
    width = len(server)
    assert out == (
        f"{path}:5:5: info MC820 server-ok: {SUMMARY}\n1 info in 1 file\n"
        "\n"
        f"{'server':<{width}}  verdict  TLS      certificate expires  authentication\n"
        f"{server}  ok       TLSv1.3  3000-01-01           LOGIN, PLAIN, LOGIN command\n"
    )
    assert (code, err) == (0, "")
    assert main(["probe", "-q", str(path)]) == 0  # quiet: the findings only
    assert capfd.readouterr() == (f"{path}:5:5: info MC820 server-ok: {SUMMARY}\n", "")


def test_the_summary_ranks_the_worst_first_and_fits_one_screen(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "many.yaml"
    accounts = "".join(
        f"  a{i:02}:\n    address: a{i}@example.org\n    outgoing: {json.dumps(refused_port())}\n" for i in range(25)
    )
    path.write_text("version: 1\naccounts:\n" + accounts)
    assert main(["probe", "--format", "text", str(path)]) == 1
    lines = capfd.readouterr().out.splitlines()
    table = lines[lines.index("") + 1 :]
    assert table[0].split() == ["server", "verdict", "TLS", "certificate", "expires", "authentication"]
    assert len(table) == 1 + 20 + 1
    assert all(row.split()[3:] == ["error", "-", "-", "-"] for row in table[1:21])
    assert table[-1] == "... and 5 more servers (0 ok)"


def test_progress_on_a_terminal(tmp_path: Path, dovecot: Dovecot, certs: Certificates) -> None:
    """A real pseudo-terminal as standard error: the progress line is drawn, then cleared."""
    import os
    import pty
    import socket
    import subprocess
    import sys

    silent = socket.create_server(("127.0.0.1", 0))  # connects (the kernel's backlog), never greets
    path = write_accounts(tmp_path / "a.yaml", {**imaps(dovecot, certs), "port": silent.getsockname()[1]})
    primary, secondary = pty.openpty()
    done = subprocess.run(
        [sys.executable, "-m", "mailconf", "probe", str(path)],
        stdout=subprocess.PIPE, stderr=secondary, stdin=subprocess.DEVNULL, timeout=60, check=False,
    )  # fmt: skip
    os.close(secondary)
    seen = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # EIO: the terminal's other side is closed and drained
            break
        if not chunk:
            break
        seen += chunk
    os.close(primary)
    assert done.returncode == 1
    assert b"probing 0/1 done, 1 pending: test incoming imap://127.0.0.1:" in seen
    assert seen.endswith(b"\r\x1b[K")  # cleared at the end
    quiet = subprocess.run(
        [sys.executable, "-m", "mailconf", "probe", "-q", str(path)],
        capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    assert quiet.stderr == b""
    silent.close()


def test_fail_level_info(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], dovecot: Dovecot, certs: Certificates
) -> None:
    path = write_accounts(tmp_path / "a.yaml", imaps(dovecot, certs))
    assert main(["probe", "--fail-level", "info", "--format", "json", str(path)]) == 1


def test_github_annotations(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    outgoing = refused_port()
    path = write_accounts(tmp_path / "a.yaml", outgoing=outgoing)
    code = main(["probe", "--format", "github", str(path)])
    out, _ = capfd.readouterr()
    port = outgoing["port"]
    assert out == (
        f"::error file={path},line=5,col=5,title=MC802 connection-failed::cannot connect to 127.0.0.1 port {port} "
        "(127.0.0.1: connection refused); check host and port\n"
    )
    assert code == 1


def test_sarif_carries_the_check_catalogue(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    path = write_accounts(tmp_path / "a.yaml", outgoing=refused_port())
    main(["probe", "--format", "sarif", str(path)])
    log = json.loads(capfd.readouterr().out)
    run = log["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert set(CHECKS) <= set(rules)
    # the check's documentation as `mailconf explain` prints it, and as docs/rules.md shows it
    assert rules["MC802"]["help"] == {
        "text": plain_text(CHECKS["MC802"].__doc__ or ""),
        "markdown": rule_markdown(CHECKS["MC802"]),
    }
    assert "check `host` and `port`" in rules["MC802"]["help"]["text"]
    assert [(r["ruleId"], r["level"]) for r in run["results"]] == [("MC802", "error")]
    region = run["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 5, "startColumn": 5}


def test_file_with_schema_errors_is_refused(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    marker = tmp_path / "ran"
    incoming = {"protocol": "imap", "host": "127.0.0.1", "port": "x", "password_command": f"touch {marker}"}
    path = write_accounts(tmp_path / "accounts.yaml", incoming)
    expected = [f for f in lint_text(path.read_text(), str(path)) if f.rule == "MC002"]
    code = main(["probe", "--login", "--format", "json", str(path)])
    out, err = capfd.readouterr()
    assert [(f["rule"], f["line"], f["column"], f["message"]) for f in json.loads(out)] == [
        (f.rule, f.location.line, f.location.column, f.message) for f in expected
    ]
    assert expected
    assert code == 1
    assert err == f"mailconf: {path}: not probed: fix the errors first (`mailconf lint {path}`)\n"
    assert not marker.exists()


def test_unreadable_file_is_a_usage_error(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.yaml"
    code = main(["probe", str(missing)])
    out, err = capfd.readouterr()
    assert (code, out, err) == (2, "", f"mailconf: {missing}: no such file; check the path\n")


def test_every_file_is_probed_even_when_one_is_refused(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], dovecot: Dovecot, certs: Certificates
) -> None:
    bad = write_accounts(tmp_path / "bad.yaml", {"protocol": "imap", "host": "127.0.0.1", "port": "x"})
    good = write_accounts(tmp_path / "good.yaml", imaps(dovecot, certs))
    code = main(["probe", "--format", "json", str(bad), str(good)])
    findings = json.loads(capfd.readouterr().out)
    assert [(f["path"], f["rule"]) for f in findings] == [(str(bad), "MC002"), (str(good), "MC820")]
    assert code == 1


def test_account_selection(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], dovecot: Dovecot, certs: Certificates
) -> None:
    path = tmp_path / "two.yaml"
    path.write_text(
        "version: 1\n"
        "accounts:\n"
        "  good:\n"
        "    address: alice@example.org\n"
        f"    incoming: {json.dumps(imaps(dovecot, certs))}\n"
        "  broken:\n"
        "    address: bob@example.org\n"
        f"    outgoing: {json.dumps(refused_port())}\n"
    )
    code = main(["probe", "--account", "good", "--format", "json", str(path)])
    findings = json.loads(capfd.readouterr().out)
    assert [(f["line"], f["rule"]) for f in findings] == [(5, "MC820")]
    assert code == 0
    code = main(["probe", "--format", "json", str(path)])
    findings = json.loads(capfd.readouterr().out)
    assert [(f["line"], f["rule"]) for f in findings] == [(5, "MC820"), (8, "MC802")]
    assert code == 1


def test_unknown_account_is_a_usage_error(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    path = write_accounts(tmp_path / "a.yaml", outgoing=refused_port())
    code = main(["probe", "--account", "nobody", str(path)])
    out, err = capfd.readouterr()
    assert (code, out, err) == (2, "", f"mailconf: no account named nobody in {path} (accounts: test)\n")


def test_an_account_in_a_file_not_probed_is_not_unknown(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """`probe -a test FILE` of a FILE with schema errors said `no account named test in the valid files (accounts:
    none)`, exit 2, and not the errors (which `probe FILE` prints); of a missing FILE, the same, and not `no such
    file`: the account may well be in the file that could not be read. Each file now says why it was not probed, as
    without --account."""
    path = write_accounts(tmp_path / "a.yaml", outgoing={**refused_port(), "port": 99999})
    code = main(["probe", "--account", "test", str(path)])
    out, err = capfd.readouterr()
    assert (code, out, err) == (
        1,
        f"{path}:5:65: error MC002 schema-violation: `port` must be between 1 and 65535 (got 99999)\n"
        "1 error in 1 file\n",
        f"mailconf: {path}: not probed: fix the errors first (`mailconf lint {path}`)\n",
    )
    code = main(["probe", "--account", "test", str(tmp_path / "nope.yaml")])
    assert (code, *capfd.readouterr()) == (2, "", f"mailconf: {tmp_path / 'nope.yaml'}: no such file; check the path\n")


def test_allow_cleartext_without_login_is_a_usage_error(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """It was ignored (nothing logs in without --login): `probe --allow-cleartext` probed as if it were not there,
    hiding the --login left out. Refused before any server is connected to."""
    path = write_accounts(tmp_path / "a.yaml", outgoing=refused_port())
    code = main(["probe", "--allow-cleartext", str(path)])
    out, err = capfd.readouterr()
    assert (code, out, err) == (
        2,
        "",
        "mailconf: --allow-cleartext lets --login send credentials without TLS: use it with --login\n",
    )


def test_json_findings_have_lints_keys_but_no_fix(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """docs/probe.md: a probe finding has no fix, so its json has no "fix" key (lint's always has one)."""
    path = write_accounts(tmp_path / "a.yaml", outgoing=refused_port())
    assert main(["probe", "--format", "json", str(path)]) == 1
    [finding] = json.loads(capfd.readouterr().out)
    assert list(finding) == ["path", "line", "column", "severity", "rule", "slug", "message"]


def test_catalogue_is_complete() -> None:
    assert list(CHECKS) == [f"MC{n}" for n in range(801, 824)]
    assert len({c.SLUG for c in CHECKS.values()}) == len(CHECKS)
    for check in CHECKS.values():
        assert check.TITLE and check.__doc__ and check.__doc__.strip()
        assert lookup(check.SLUG) is check
        assert lookup(check.ID.lower()) is check


def test_probe_checks_follow_the_severity_policy(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """One catalogue: --severity, --disable and the settings file name probe checks as they name lint rules."""
    path = write_accounts(tmp_path / "a.yaml", outgoing=refused_port())
    assert main(["probe", "--format", "json", str(path)]) == 1
    assert [(f["rule"], f["severity"]) for f in json.loads(capfd.readouterr().out)] == [("MC802", "error")]
    assert main(["probe", "--format", "json", "--severity", "connection-failed=info", str(path)]) == 0
    assert [(f["rule"], f["severity"]) for f in json.loads(capfd.readouterr().out)] == [("MC802", "info")]
    assert main(["probe", "--format", "json", "--disable", "MC802", str(path)]) == 0
    assert json.loads(capfd.readouterr().out) == []
    settings = tmp_path / "settings.yaml"
    settings.write_text("severity: {MC802: warning}\nfail-level: warning\n")
    assert main(["probe", "--format", "json", "--config", str(settings), str(path)]) == 1
    assert [(f["rule"], f["severity"]) for f in json.loads(capfd.readouterr().out)] == [("MC802", "warning")]


@pytest.mark.parametrize(("value", "shown"), [("0", "0"), ("257", "257"), ("1e3", "1e3"), ("", "''")])
def test_a_concurrency_out_of_range_is_quoted_as_typed(tmp_path: Path, value: str, shown: str) -> None:
    """click said `0 is not in the range 1<=x<=256` and `'1e3' is not a valid integer range`; serve's and
    --poll-interval's numbers are refused in these words."""
    done = run_mailconf("probe", "--concurrency", value, "a.yaml", cwd=tmp_path)
    assert (done.code, done.stdout) == (2, "")
    assert done.stderr.splitlines()[-1] == (
        f"Error: Invalid value for '--concurrency': {shown} is not a whole number from 1 to 256"
    )
