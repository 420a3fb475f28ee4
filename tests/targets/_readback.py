"""What each target's real client (or its real file reader) says it read, by mailconf setting name.

One function per target that has a real read-back here: it writes the rendered files,
runs the client's own "show what you parsed" mode (the helpers the target's own tests
use), checks that nothing was added (no extra directive, entry, key or section) and
returns ``{setting: value}`` for the one account of the file, for the settings that
client reports. tests/targets/test_contract.py compares each value with the one
declared. The read-backs run the password commands (msmtp --pretend, mutt reading the
file): the accounts given to them hold harmless ``printf`` commands only.

Thunderbird has none here: its read-back starts Thunderbird (Marionette, tens of
seconds) and stays in test_thunderbird.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mailconf.targets import Rendered
from tests.targets import _mutt_client as mc
from tests.targets._fetchmail_client import COMMAND_LINES, setting, verbose
from tests.targets._msmtp_client import pretend
from tests.targets.test_outlook import account_key, hive_of, parent_keys
from tests.targets.test_outlook_prf import MAPPINGS, read_prf

ReadBack = Callable[[Rendered, Path, str], dict[str, str]]

#: The commands of an msmtprc as the target writes them, in order (an account block, then the default).
MSMTP_COMMANDS = ("account", "host", "port", "timeout", "tls", "tls_starttls", "tls_trust_file", "tls_fingerprint",
                  "tls_certcheck", "tls_priorities", "tls_cert_file", "tls_key_file", "auth", "user", "passwordeval",
                  "from")  # fmt: skip


def _write(rendered: Rendered, directory: Path) -> list[Path]:
    paths = []
    for file in rendered.files:
        path = directory / file.name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(file.content)
        path.chmod(0o600)
        paths.append(path)
    return paths


def msmtp(rendered: Rendered, directory: Path, account: str) -> dict[str, str]:
    [rc] = _write(rendered, directory)
    read = pretend(rc, account, directory)
    # msmtp has no escapes: a value that broke its line would add a command (eval, passwordeval ...)
    commands = [line.split(" ", 1)[0] for line in rc.read_text("utf-8").split("\n") if line and line[0] != "#"]
    block = commands[:-1]  # the last line is "account default : NAME"
    assert commands[-1] == "account" and block == [c for c in MSMTP_COMMANDS if c in block], commands
    return {
        "outgoing.host": read["host"],
        "outgoing.username": read["user"],
        "outgoing.password_command": read["passwordeval"],
        "outgoing.tls.ca_file": read["tls_trust_file"],
        "outgoing.tls.client_cert": read["tls_cert_file"],
        "outgoing.tls.client_key": read["tls_key_file"],
        "address": read["from"],
    }


def fetchmail(rendered: Rendered, directory: Path, account: str) -> dict[str, str]:
    [rc] = _write(rendered, directory)
    blocks = verbose(rc, directory)
    assert list(blocks) == [account]  # one entry: nothing added
    user, lines = blocks[account]
    assert [line for line in lines if line.startswith(COMMAND_LINES)] == []  # no mda, preconnect, plugin
    read = {"incoming.username": user}
    ca_file = setting(lines, "SSL trusted certificate file")  # -V shows no sslcert/sslkey
    if ca_file is not None:
        read["incoming.tls.ca_file"] = ca_file
    return read


def _mutt(binary: str) -> ReadBack:
    def read_back(rendered: Rendered, directory: Path, account: str) -> dict[str, str]:
        [rc] = _write(rendered, directory)
        mc.check_lines(rc.read_bytes())  # every line one set or my_hdr: nothing added
        home = directory / "home"
        home.mkdir(exist_ok=True)
        q = mc.Client(binary, home).query(rc, mc.names(binary))
        read = {
            "address": q["from"],
            "display_name": q["realname" if binary == "mutt" else "real_name"],
            "incoming.username": q["imap_user"],
            "incoming.tls.ca_file": q["ssl_ca_certificates_file"],
            "incoming.tls.client_cert": q["ssl_client_cert"],
        }
        if binary == "neomutt":
            read["outgoing.username"] = q["smtp_user"]
        return read

    return read_back


def outlook(rendered: Rendered, directory: Path, account: str) -> dict[str, str]:
    [file] = rendered.files
    keys = hive_of(directory, file.content)
    assert set(keys) == parent_keys("Outlook") | {account_key("Outlook", 1)}  # no key added
    values = keys[account_key("Outlook", 1)]
    return {"display_name": str(values["Display Name"]), "organization": str(values["Organization"]),
            "incoming.username": str(values["IMAP User"]), "address": str(values["Email"])}  # fmt: skip


def outlook_prf(rendered: Rendered, directory: Path, account: str) -> dict[str, str]:
    [file] = rendered.files
    sections = read_prf(file.content)
    assert set(sections) == {"General", "Internet Account List", "Account1", *MAPPINGS}  # no section added
    values = sections["Account1"]
    return {"display_name": values["DisplayName"], "organization": values["Organization"],
            "incoming.username": values["IMAPUserName"], "address": values["EmailAddress"]}  # fmt: skip


#: target name -> its read-back. A target missing here gets the render-or-refuse check only.
READ_BACK: dict[str, ReadBack] = {
    "msmtp": msmtp,
    "fetchmail": fetchmail,
    "mutt": _mutt("mutt"),
    "neomutt": _mutt("neomutt"),
    "outlook": outlook,
    "outlook-prf": outlook_prf,
}
#: What each client needs installed (tests.conftest.need).
BINARIES: dict[str, str] = {"msmtp": "msmtp", "fetchmail": "fetchmail", "mutt": "mutt", "neomutt": "neomutt",
                            "outlook": "hivexregedit"}  # fmt: skip
