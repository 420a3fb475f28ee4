"""What each target's real client (or its real file reader) says it read, by mailconf setting name.

One function per target that has a real read-back here: it writes the rendered files,
runs the client's own "show what you parsed" mode (the helpers the target's own tests
use), checks that nothing was added (no extra directive, entry, key or section) and
returns ``{setting: value}`` for the one account of the file, for the settings that
client reports. tests/targets/test_contract.py compares each value with the one
declared. The read-backs run the password commands (msmtp --pretend, mutt reading the
file): the accounts given to them hold harmless ``printf`` commands only.

Thunderbird has none here: its read-back starts Thunderbird (Marionette, tens of
seconds) and stays in test_thunderbird.py. Nor has aerc: aerc 0.14 has no mode that
prints what it parsed, and its read-back (aerc in tmux, logging in to a recording
server, tests/targets/test_aerc.py) takes seconds per file.

mbsync 1.4.4 has no mode that prints what it parsed either: its parse-only run (an
unknown channel) shows the file parses with nothing added, and the file paths are read
back from its own complaint about each missing file (``FILE:LINE: CertificateFile 'PATH':
No such file or directory``, the path as mbsync parsed it); then the files are created and
the file parses. The user and
the password command are read back by tests/targets/test_mbsync.py, logging in to a
recording server.

mobileconfig has no Apple program here: libplist's plistutil converts each profile to binary
and back (what Apple's readers share: a property list that parses), and the values are read
from what it wrote.

Files the clients need to exist while they read (getmail's certificates and Maildir,
mbsync's certificates) are created by the read-back under the directory it is given
(the contract puts every path there).
"""

from __future__ import annotations

import ast
import plistlib
import re
from collections.abc import Callable
from pathlib import Path

from mailconf.targets import Rendered
from tests.targets import _mutt_client as mc
from tests.targets._fetchmail_client import COMMAND_LINES, setting, verbose
from tests.targets._msmtp_client import pretend
from tests.targets.test_getmail import dump, maildir, runs
from tests.targets.test_mbsync import NO_CHANNEL, PARSED_OK
from tests.targets.test_mbsync import mbsync as run_mbsync
from tests.targets.test_mobileconfig import plistutil_round_trip
from tests.targets.test_offlineimap import offlineimap_reads
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


def in_order(found: list[str], allowed: tuple[str, ...]) -> bool:
    """Whether ``found`` is ``allowed`` with some left out: nothing added, nothing twice, nothing moved."""
    rest = iter(allowed)
    return all(item in rest for item in found)  # each `in` consumes the iterator up to the item


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


#: mbsync's complaint about a file it needs while it parses, and the setting each keyword holds.
_MBSYNC_MISSING = re.compile(r".*:\d+: (CertificateFile|ClientCertificate|ClientKey) '(.*)': No such file or directory")
_MBSYNC_PATHS = {"CertificateFile": "incoming.tls.ca_file", "ClientCertificate": "incoming.tls.client_cert",
                 "ClientKey": "incoming.tls.client_key"}  # fmt: skip
#: The keywords of an .mbsyncrc as the target writes them, in order (one account).
MBSYNC_KEYWORDS = ("IMAPAccount", "Host", "Port", "User", "PassCmd", "SSLType", "SSLVersions", "SystemCertificates",
                   "CertificateFile", "ClientCertificate", "ClientKey", "AuthMechs", "Timeout", "IMAPStore", "Account",
                   "MaildirStore", "Path", "Inbox", "SubFolders", "Channel", "Far", "Near", "Patterns", "Create",
                   "SyncState")  # fmt: skip


def mbsync(rendered: Rendered, directory: Path, account: str) -> dict[str, str]:
    [rc] = _write(rendered, directory)
    # split at \n only, as mbsync does: nothing added (an empty line would end a section early; one keyword each)
    lines = rc.read_text("utf-8").split("\n")
    keywords = [line.split(" ", 1)[0] for line in lines if line and line[0] != "#"]
    assert in_order(keywords, MBSYNC_KEYWORDS), keywords
    done = run_mbsync(rc, directory, NO_CHANNEL)  # mbsync names every file it misses, and stops
    read = {}
    missed = "" if done.stderr == PARSED_OK else done.stderr
    for line in missed.split("\n")[:-1]:  # a value holding a line break is refused before it gets here
        missing = _MBSYNC_MISSING.fullmatch(line)
        assert missing is not None, done.stderr
        keyword, path = missing.groups()
        read[_MBSYNC_PATHS[keyword]] = path
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).touch()
    done = run_mbsync(rc, directory, NO_CHANNEL)
    assert (done.returncode, done.stdout, done.stderr) == (1, "", PARSED_OK)
    return read


def offlineimap(rendered: Rendered, directory: Path, account: str) -> dict[str, str]:
    rc = _write(rendered, directory)[0]
    sections = offlineimap_reads(rc, directory, "read")  # ConfigParser, and the pythonfile loaded
    remote = f"Repository {account}-remote"
    assert list(sections) == ["general", f"Account {account}", f"Repository {account}-local", remote]  # none added
    assert list(sections["general"]) == ["accounts", "pythonfile"]
    assert list(sections[f"Account {account}"]) == ["localrepository", "remoterepository"]
    assert list(sections[f"Repository {account}-local"]) == ["type", "localfolders"]
    values = sections[remote]
    assert [k for k in values if k not in ("sslcacertfile", "sslclientcert", "sslclientkey")] == [
        "type", "remotehost", "remoteport", "remoteuser", "remotepasseval", "ssl", "auth_mechanisms", "expunge"
    ]  # fmt: skip
    commands = offlineimap_reads(rc, directory, "commands")
    read = {"incoming.host": values["remotehost"], "incoming.username": values["remoteuser"],
            "incoming.password_command": commands["passwords"][account]}  # fmt: skip
    for key, name in (
        ("sslcacertfile", "ca_file"),
        ("sslclientcert", "client_cert"),
        ("sslclientkey", "client_key"),
    ):
        if key in values:
            read[f"incoming.tls.{name}"] = values[key]
    return read


#: The keys of a mobileconfig's mail payload as the target writes them (EmailAccountName only with a display name).
MOBILECONFIG_KEYS = {"EmailAccountType", "EmailAccountDescription", "EmailAccountName", "EmailAddress",
                     "IncomingMailServerHostName", "IncomingMailServerPortNumber", "IncomingMailServerUseSSL",
                     "IncomingMailServerAuthentication", "IncomingMailServerUsername", "OutgoingMailServerHostName",
                     "OutgoingMailServerPortNumber", "OutgoingMailServerUseSSL", "OutgoingMailServerAuthentication",
                     "OutgoingMailServerUsername", "OutgoingPasswordSameAsIncomingPassword", "PayloadType",
                     "PayloadVersion", "PayloadIdentifier", "PayloadUUID", "PayloadDisplayName"}  # fmt: skip


def mobileconfig(rendered: Rendered, directory: Path, account: str) -> dict[str, str]:
    """libplist's plistutil converts the profile to binary and back (an XML file it cannot parse fails here); what
    it wrote is read with plistlib. No Apple program runs here."""
    [file] = rendered.files
    assert file.name == f"mobileconfig/{account}.mobileconfig"
    profile = plistlib.loads(plistutil_round_trip(file.content, directory))
    assert profile == plistlib.loads(file.content)
    assert set(profile) == {"PayloadContent", "PayloadDisplayName", "PayloadDescription", "PayloadIdentifier",
                            "PayloadType", "PayloadUUID", "PayloadVersion"}  # fmt: skip
    [mail] = profile["PayloadContent"]
    assert set(mail) <= MOBILECONFIG_KEYS, set(mail) - MOBILECONFIG_KEYS  # nothing added
    return {"display_name": mail["EmailAccountName"], "address": mail["EmailAddress"],
            "incoming.host": mail["IncomingMailServerHostName"], "outgoing.host": mail["OutgoingMailServerHostName"],
            "incoming.username": mail["IncomingMailServerUsername"],
            "outgoing.username": mail["OutgoingMailServerUsername"]}  # fmt: skip


#: The settings getmail --dump shows for a retriever, in its (sorted) order: a value ends where the next begins.
_GETMAIL_FIELDS = ("ca_certs", "certfile", "getmaildir", "imap_on_delete", "imap_search", "keyfile", "mailboxes",
                   "move_on_delete", "password", "password_command", "port", "record_mailbox", "server",
                   "ssl_cert_hostname", "ssl_ciphers", "ssl_fingerprints", "ssl_version", "timeout", "use_cram_md5",
                   "use_kerberos", "use_peek", "use_xoauth2", "username")  # fmt: skip
_GETMAIL_SPLIT = re.compile(r'", (?=(?:' + "|".join(_GETMAIL_FIELDS) + r')=")')
#: The lines of a getmail rc file as the target writes them, in order (one account).
GETMAIL_KEYS = ("[retriever]", "type", "server", "port", "username", "password_command", "use_xoauth2", "use_kerberos",
                "use_cram_md5", "ca_certs", "ssl_fingerprints", "certfile", "keyfile", "timeout", "[destination]",
                "type", "path", "[options]", "read_all", "delete", "delete_after")  # fmt: skip


def getmail(rendered: Rendered, directory: Path, account: str) -> dict[str, str]:
    [rc] = _write(rendered, directory)
    text = rc.read_text("utf-8")
    lines = text.split("\n")  # one setting per line: getmail's reader also splits at \r, which is never written
    assert "\r" not in text
    keys = [line.split(" = ", 1)[0] for line in lines if line and line[0] != "#"]
    assert in_order(keys, GETMAIL_KEYS), keys
    for line in lines:  # getmail --dump checks that the certificate files exist
        key, _, value = line.partition(" = ")
        if key in ("ca_certs", "certfile", "keyfile"):
            Path(value).parent.mkdir(parents=True, exist_ok=True)
            Path(value).touch()
    maildir(directory / "Mail" / account)  # the default maildir-root, ~/Mail
    got = dump(rc, directory, cwd=directory)
    kind, _, rest = got.retriever.partition("(")
    assert rest.startswith('ca_certs="') and rest.endswith('")'), got.retriever
    shown = dict(part.split('="', 1) for part in _GETMAIL_SPLIT.split(rest[:-2]))
    assert list(shown) == [f for f in _GETMAIL_FIELDS if f in shown]
    *script, command = ast.literal_eval(shown["password_command"])  # the command, in the first-line script
    assert (kind, *script) == ("SimpleIMAPSSLRetriever", *runs("")[:-1])
    return {"incoming.host": shown["server"], "incoming.username": shown["username"],
            "incoming.password_command": command, "incoming.tls.ca_file": shown["ca_certs"],
            "incoming.tls.client_cert": shown["certfile"], "incoming.tls.client_key": shown["keyfile"]}  # fmt: skip


#: target name -> its read-back. A target missing here gets the render-or-refuse check only.
READ_BACK: dict[str, ReadBack] = {
    "msmtp": msmtp,
    "fetchmail": fetchmail,
    "mutt": _mutt("mutt"),
    "neomutt": _mutt("neomutt"),
    "outlook": outlook,
    "outlook-prf": outlook_prf,
    "mbsync": mbsync,
    "offlineimap": offlineimap,
    "getmail": getmail,
    "mobileconfig": mobileconfig,
}
#: What each client needs installed (tests.conftest.need).
BINARIES: dict[str, str] = {"msmtp": "msmtp", "fetchmail": "fetchmail", "mutt": "mutt", "neomutt": "neomutt",
                            "outlook": "hivexregedit", "mbsync": "mbsync", "offlineimap": "offlineimap",
                            "getmail": "getmail", "mobileconfig": "plistutil"}  # fmt: skip
