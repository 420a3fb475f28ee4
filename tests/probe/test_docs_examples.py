"""The probe reports README.md and docs/probe.md show, from real servers: one whose certificate is trusted, one
whose certificate names another host (wrong.example).

The pages show the ports of one run; the servers here get others from the kernel (five digits, as on the pages, so
the summary table's columns are as wide), which the comparison puts back."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailconf.cli import main
from tests.servers import Certificates, SmtpServer

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture(scope="module")
def smtp_good(certs: Certificates) -> Iterator[SmtpServer]:
    with SmtpServer(certs.good, implicit=True) as server:
        yield server


@pytest.fixture(scope="module")
def smtp_wrong_name(certs: Certificates) -> Iterator[SmtpServer]:
    with SmtpServer(certs.wrong_name, implicit=True) as server:
        yield server


def shown(page: str, command: str) -> list[str]:
    """The output lines of the ```text block of ``page`` that starts with ``$ command``."""
    text = (ROOT / page).read_text(encoding="utf-8")
    start = text.index(f"```text\n$ {command}")
    return text[start : text.index("```\n", start + 8)].splitlines()[2:]


def accounts(path: Path, certs: Certificates, work: int, other: int) -> None:
    """`work` outgoing on line 5, `other` outgoing on line 13, as the pages' findings place them."""
    server = "      port: {port}\n      password_command: pass show mail\n      tls: {{ca_file: {ca}}}\n"
    path.write_text(
        "version: 1\naccounts:\n  work:\n    address: alice@example.org\n    outgoing:\n      host: 127.0.0.1\n"
        + server.format(port=work, ca=certs.ca)
        + "  other:\n    address: bob@example.org\n    display_name: Bob\n    outgoing:\n      host: localhost\n"
        + server.format(port=other, ca=certs.ca),
        encoding="utf-8",
    )


@pytest.mark.parametrize(
    ("page", "command"),
    [("docs/probe.md", "mailconf probe accounts.yaml"), ("README.md", "mailconf probe -a other accounts.yaml")],
)
def test_the_report_the_page_shows_is_what_probe_prints(  # noqa: PLR0917
    page: str, command: str, smtp_good: SmtpServer, smtp_wrong_name: SmtpServer, certs: Certificates,
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    lines = shown(page, command)
    accounts(tmp_path / "accounts.yaml", certs, smtp_good.port, smtp_wrong_name.port)
    monkeypatch.chdir(tmp_path)
    assert main(command.split()[1:]) == 1
    out = capsys.readouterr().out
    for host, port in (("127.0.0.1", smtp_good.port), ("localhost", smtp_wrong_name.port)):
        assert len(str(port)) == 5, "a port of another width changes the table's columns"
        for theirs in re.findall(rf"smtp://{re.escape(host)}:(\d+)", "\n".join(lines))[:1]:  # README: `other` only
            out = out.replace(f"smtp://{host}:{port}", f"smtp://{host}:{theirs}")
    assert out.splitlines() == lines
