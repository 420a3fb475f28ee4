"""``import --compare`` and the declared accounts a format holds nothing of, for every format with a render target.

The declared accounts go through the target (render, then import back) before they are compared, and a target
writes nothing for some: an account without an incoming server in an msmtprc is the format's nature (render says
nothing of it), one without an outgoing server in a mobileconfig profile is a gap (render warns). Such an account
vanished from the comparison: nothing said it was not compared, and an account of the files with its name was
"in the file, not in the YAML". Here, for every format from one table (a contract: a format with a render target
missing from it fails), each is said as docs/import.md says:

- a gap: ``account A: not compared: FMT cannot hold it: GAP`` on standard error (and in the JSON ``warnings``),
  no drift; and when the files hold an account of its name, one line of drift quoting the gap instead;
- by nature: nothing (there is nothing of it the format could hold), and an account of the files with its name
  is drift server by server (``outgoing: file says ..., YAML declares nothing``).

Real files: each client file is what ``mailconf render`` writes, read by the importer the command runs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mailconf.cli import main
from mailconf.importers import IMPORTERS, ReadOptions
from mailconf.importers._core import read
from mailconf.targets import TARGETS, aerc, autoconfig, getmail, mbsync, mobileconfig, offlineimap, outlook
from mailconf.targets.thunderbird import INSTEAD as THUNDERBIRD_INSTEAD

SERVER = "{{protocol: {p}, host: {h}.{n}.example, security: {s}, username: {n}, password_command: pass {n}}}"


def _account(name: str, incoming: str | None, outgoing: bool, security: str = "tls") -> str:
    """One account of an account file: ``incoming`` imap, pop3 or None; its own mail domain (autoconfig: one
    document per domain)."""
    text = f"  {name}:\n    address: {name}@{name}.example\n"
    if incoming is not None:
        text += f"    incoming: {SERVER.format(p=incoming, h=incoming, n=name, s=security)}\n"
    if outgoing:
        text += f"    outgoing: {SERVER.format(p='smtp', h='smtp', n=name, s='tls')}\n"
    return text


#: name -> the account as declared
DECLARED = {
    "both": _account("both", "imap", outgoing=True),
    "inonly": _account("inonly", "imap", outgoing=False),
    "outonly": _account("outonly", None, outgoing=True),
    "pop": _account("pop", "pop3", outgoing=True),
    "stls": _account("stls", "imap", outgoing=True, security="starttls"),
}

#: A gap ``(setting, advice)``, or None: the format holds none of the account's servers by nature.
Reason = tuple[str, str] | None

#: Every format with a render target -> the declared accounts its target writes nothing for, and why.
UNHELD: dict[str, dict[str, Reason]] = {
    "aerc": {
        "outonly": ("incoming", aerc.NO_SOURCE_GAP.format(aerc="aerc 0.14")),
        "pop": ("incoming.protocol", aerc.POP3_GAP),
    },
    "autoconfig": {"outonly": ("incoming", autoconfig.NO_INCOMING)},
    "autodiscover": {},
    "fetchmail": {"outonly": None},  # fetchmail only fetches
    "getmail": {"outonly": None, "stls": ("incoming.security", getmail.STARTTLS_GAP)},
    "mbsync": {"outonly": None, "pop": ("incoming.protocol", mbsync.POP3_GAP)},
    "mobileconfig": {
        "inonly": ("outgoing", mobileconfig.BOTH_SERVERS),
        "outonly": ("incoming", mobileconfig.BOTH_SERVERS),
    },
    "msmtp": {"inonly": None},  # msmtp only sends
    "mutt": {},
    "neomutt": {},
    "offlineimap": {
        "outonly": None,
        "pop": ("incoming.protocol", offlineimap.POP3_GAP),
        "stls": ("incoming.security", offlineimap.STARTTLS_GAP),
    },
    "outlook": {"outonly": ("outgoing", outlook.SEND_ONLY_GAP)},
    "outlook-prf": {"outonly": ("outgoing", outlook.SEND_ONLY_GAP)},
    # render -t thunderbird numbers the SMTP servers in file order: outonly's is the third
    "thunderbird": {"outonly": ("address", THUNDERBIRD_INSTEAD["address"].format(smtp="smtp3"))},
}


def test_the_table_names_every_format_with_a_render_target() -> None:
    assert sorted(UNHELD) == sorted(set(IMPORTERS) & set(TARGETS))


def _write(path: Path, accounts: list[str]) -> Path:
    path.write_text("version: 1\naccounts:\n" + "".join(accounts))
    return path


def _render(capsys: pytest.CaptureFixture[str], fmt: str, declared: Path, out: Path) -> list[str]:
    """The client files render -t FMT writes, as the import names them."""
    assert main(["render", "-t", fmt, str(declared), "-o", str(out)]) in (0, 1)  # 1: the gaps
    capsys.readouterr()
    if fmt == "thunderbird":
        return [str(out)]
    return sorted(str(p) for p in out.rglob("*") if p.is_file() and p.suffix != ".sh")


def _compare(capsys: pytest.CaptureFixture[str], fmt: str, files: list[str], declared: Path,
             *json_format: str) -> tuple[int, str, str]:  # fmt: skip
    code = main(["import", "--from", fmt, *files, "--compare", str(declared), *json_format])
    out, err = capsys.readouterr()
    return code, out, err


def _importer_warnings(fmt: str, files: list[str]) -> list[str]:
    """What the importer itself says of the files (fetchmail's guessed addresses ...), before the lines tested."""
    return [str(note) for note in read(fmt, files, ReadOptions()).warnings]


def _file_name(fmt: str, account: str) -> str:
    """The account's name in the format's files: an autoconfig document is named after its mail domain."""
    return f"{account}.example" if fmt == "autoconfig" else account


@pytest.mark.parametrize("fmt", sorted(UNHELD))
def test_a_declared_account_the_format_cannot_hold_is_said_once(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str
) -> None:
    declared = _write(tmp_path / "accounts.yaml", list(DECLARED.values()))
    gaps = {name: reason for name, reason in UNHELD[fmt].items() if reason is not None}
    said = [f"account {name}: not compared: {fmt} cannot hold it: {s} cannot be expressed; {a}"
            for name, (s, a) in gaps.items()]  # fmt: skip

    # the files are what render writes: no drift; each account of a gap is a warning, one by nature is not
    files = _render(capsys, fmt, declared, tmp_path / "as-declared")
    warnings = _importer_warnings(fmt, files) + said
    stderr = "".join(f"mailconf: warning: {w}\n" for w in warnings)
    assert _compare(capsys, fmt, files, declared) == (0, "", stderr)
    code, out, err = _compare(capsys, fmt, files, declared, "--format", "json")
    assert (code, json.loads(out), err) == (0, {"drift": False, "differences": [], "warnings": warnings}, stderr)

    # the files hold each of those accounts, with both servers: drift, said once per account, and no warning
    held = [text for name, text in DECLARED.items() if name not in UNHELD[fmt]]
    full = [_account(name, "imap", outgoing=True) for name in UNHELD[fmt]]
    files = _render(capsys, fmt, _write(tmp_path / "full.yaml", held + full), tmp_path / "full")
    lines, differences = [], []
    for name, reason in UNHELD[fmt].items():
        named = _file_name(fmt, name)
        if reason is None:  # by nature: each server of the files is one the YAML does not declare
            side, url = ("outgoing", f"smtp://smtp.{name}.example:465") if fmt == "msmtp" else (
                "incoming", f"imap://imap.{name}.example:993")  # fmt: skip
            lines.append(f"account {named}: {side}: file says {url}, YAML declares nothing")
            differences.append({"account": named, "setting": side, "file": url, "yaml": None, "invalid": None,
                                "cannot_hold": None, "file_account": None})  # fmt: skip
        else:
            why = f"{fmt} cannot hold the YAML's: {reason[0]} cannot be expressed; {reason[1]}"
            lines.append(f"account {named}: in the file, but {why}")
            differences.append({"account": named, "setting": None, "file": named, "yaml": named, "invalid": None,
                                "cannot_hold": why, "file_account": None})  # fmt: skip
    warnings = _importer_warnings(fmt, files)  # and no warning for the accounts said as drift
    stderr = "".join(f"mailconf: warning: {w}\n" for w in warnings)
    assert _compare(capsys, fmt, files, declared) == (1 if lines else 0, "".join(f"{line}\n" for line in lines), stderr)
    code, out, err = _compare(capsys, fmt, files, declared, "--format", "json")
    assert (code, json.loads(out), err) == (
        1 if lines else 0,
        {"drift": bool(lines), "differences": differences, "warnings": warnings},
        stderr,
    )


def test_accounts_that_share_a_gap_share_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # 8 POP3 accounts compared with an mbsyncrc: one line, naming three and counting the rest, as render says it
    pops = [_account(f"p{n}", "pop3", outgoing=False) for n in range(8)]
    declared = _write(tmp_path / "accounts.yaml", [DECLARED["both"], *pops])
    files = _render(capsys, "mbsync", declared, tmp_path / "out")
    assert _compare(capsys, "mbsync", files, declared)[::2] == (
        0,
        f"mailconf: warning: {files[0]}:5:1: mbsync names no address: this one is a guess, check it\n"
        "mailconf: warning: accounts p0, p1, p2 and 5 more (8): not compared: mbsync cannot hold them: "
        f"incoming.protocol cannot be expressed; {mbsync.POP3_GAP}\n",
    )


def test_accounts_a_format_holds_nothing_of_by_nature_are_never_a_warning(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # an account file of 1,000 incoming-only accounts and one that sends, compared with its msmtprc: a line for each
    # (or one for all, on every cron run) would be noise about what the msmtp format can never hold
    inonly = [_account(f"i{n}", "imap", outgoing=False) for n in range(1000)]
    declared = _write(tmp_path / "accounts.yaml", [*inonly, DECLARED["both"]])
    files = _render(capsys, "msmtp", declared, tmp_path / "out")
    assert _compare(capsys, "msmtp", files, declared) == (0, "", "")
