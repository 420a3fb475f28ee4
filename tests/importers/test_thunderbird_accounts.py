"""The account model of ``import --from thunderbird`` against Thunderbird 153 reading the same prefs.js.

One profile holds the cases where the import used to read another account than Thunderbird does: account keys
with spaces (not trimmed by nsMsgAccountManager::LoadAccounts), a repeated key, two accounts of one server, a
server without a hostname, socketType 1 (rewritten to 2 by MailMigrator when ``mail.ui-rdf.version`` is below 44),
an unknown socketType (Thunderbird encrypts only for 2 and 3: the import said ``none`` silently), the legacy
``isSecure``, a port of -1, POP3 ``delete_by_age_from_server`` (the "For at most N days" box; the import read
``delete_mail_left_on_server``), an identity without ``smtpServer`` and no ``mail.smtp.defaultserver`` (the first
of ``mail.smtpservers``) and an SMTP server not in ``mail.smtpservers`` (none). Thunderbird's reading comes from
MailServices through Marionette; the import's exact output and warnings are asserted too.
"""

from __future__ import annotations

import tempfile
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from mailconf.importers import ReadOptions
from mailconf.importers._core import import_paths
from tests.conftest import need
from tests.targets._marionette import thunderbird, write_user_js


def _account(n: int, kind: str, host: str, *extra: str) -> str:
    lines = [
        f'user_pref("mail.account.account{n}.server", "server{n}");',
        f'user_pref("mail.account.account{n}.identities", "id{n}");',
        f'user_pref("mail.server.server{n}.type", "{kind}");',
        f'user_pref("mail.server.server{n}.name", "a{n}");',
        *([f'user_pref("mail.server.server{n}.hostname", "{host}");'] if host else []),
        f'user_pref("mail.identity.id{n}.useremail", "u{n}@example.com");',
        *(f'user_pref("mail.server.server{n}.{e});' for e in extra),
    ]
    return "\n".join(lines) + "\n"


PREFS_JS = (
    'user_pref("mail.accountmanager.accounts", "account1, account2,account3,,account1,account4,account5,account6 ,'
    'account7,account8");\n'
    'user_pref("mail.ui-rdf.version", 40);\n'
    'user_pref("mail.smtpservers", "smtp1,smtp2");\n'
    'user_pref("mail.smtpserver.smtp1.hostname", "smtp1.example.com");\n'
    'user_pref("mail.smtpserver.smtp1.try_ssl", 3);\n'
    'user_pref("mail.smtpserver.smtp2.hostname", "smtp2.example.com");\n'
    'user_pref("mail.smtpserver.smtp2.try_ssl", 2);\n'
    'user_pref("mail.smtpserver.smtp9.hostname", "smtp9.example.com");\n'
    'user_pref("mail.identity.id3.smtpServer", "smtp2");\n'
    'user_pref("mail.identity.id5.smtpServer", "smtp9");\n'
    + _account(1, "imap", "h1.example.com", 'socketType", 1')
    + _account(2, "imap", "h2.example.com")
    + _account(3, "imap", "h3.example.com", 'socketType", 4', 'port", -1')
    + _account(4, "pop3", "h4.example.com", 'isSecure", true', 'leave_on_server", true',
               'delete_by_age_from_server", true', 'num_days_to_leave_on_server", 3')
    + _account(5, "pop3", "h5.example.com", 'socketType", 2', 'leave_on_server", true',
               'delete_mail_left_on_server", true', 'num_days_to_leave_on_server", 9')
    + _account(6, "imap", "h6.example.com")
    + _account(7, "imap", "")
    + 'user_pref("mail.account.account8.server", "server4");\n'
)  # fmt: skip

READ = """
const out = {};
for (const a of MailServices.accounts.accounts) {
  const s = a.incomingServer;
  if (s.type != "imap" && s.type != "pop3") continue;
  const o = {host: s.hostname, port: s.port, socketType: s.socketType};
  if (s.type == "pop3") {
    const p = s.QueryInterface(Ci.nsIPop3IncomingServer);
    o.leave = p.leaveMessagesOnServer;
    o.days = p.deleteByAgeFromServer ? p.numDaysToLeaveOnServer : null;
  }
  const smtp = MailServices.outgoingServer.getServerByIdentity(a.defaultIdentity);
  o.smtp = smtp ? smtp.QueryInterface(Ci.nsISmtpServer).hostname : null;
  out[s.prettyName] = o;
}
return out;
"""

SECURITY = {0: "none", 2: "starttls", 3: "tls"}


def _as_thunderbird(account: dict[str, Any]) -> dict[str, Any]:
    """The imported account in the shape READ gives."""
    incoming = account["incoming"]
    got: dict[str, Any] = {
        "host": incoming["host"],
        "port": incoming["port"],
        "socketType": {v: k for k, v in SECURITY.items()}[incoming["security"]],
    }
    if incoming["protocol"] == "pop3":
        got["leave"] = incoming.get("leave_on_server", False)
        got["days"] = incoming.get("leave_days")
    got["smtp"] = account["outgoing"]["host"] if "outgoing" in account else None
    return got


def _import(profile: Path) -> tuple[dict[str, Any], list[str]]:
    result = import_paths("thunderbird", [str(profile)], ReadOptions())
    return dict(result.accounts), [w.split("prefs.js:", 1)[1] for w in result.warnings]


def _imported_and_loaded(prefs_js: str) -> tuple[dict[str, Any], Any]:
    """The accounts the import reads from a profile whose prefs.js is ``prefs_js``, and the ones Thunderbird loads."""
    need("thunderbird")
    with tempfile.TemporaryDirectory(prefix="mailconf-tb-accounts-") as tmp:
        profile = Path(tmp)
        (profile / "prefs.js").write_text(prefs_js, encoding="utf-8")
        accounts, _ = _import(profile)
        write_user_js(profile)
        with thunderbird(profile) as client:
            return accounts, client.execute(READ)


@pytest.mark.real
def test_the_accounts_imported_are_the_ones_thunderbird_loads() -> None:
    accounts, real = _imported_and_loaded(PREFS_JS)

    # a3's socketType 4 stays 4 in Thunderbird, which encrypts nothing for it (only 2 and 3 use TLS): the import
    # says none, with a warning (the next test)
    assert real["a3"]["socketType"] == 4
    real["a3"]["socketType"] = 0
    assert {name: _as_thunderbird(a) for name, a in accounts.items()} == real
    assert list(accounts) == ["a1", "a3", "a4", "a5"]  # the list's order, as Thunderbird's


def test_what_thunderbird_does_not_load_or_encrypt_is_said(tmp_path: Path) -> None:
    (tmp_path / "prefs.js").write_text(PREFS_JS, encoding="utf-8")
    accounts, warnings = _import(tmp_path)
    assert accounts["a3"]["incoming"] == {
        "protocol": "imap", "host": "h3.example.com", "port": 143, "security": "none", "auth": "password",
    }  # fmt: skip
    assert accounts["a1"]["incoming"]["security"] == "starttls"  # MailMigrator rewrites 1 to 2 (ui version 40)
    assert accounts["a4"]["incoming"] == {
        "protocol": "pop3", "host": "h4.example.com", "port": 995, "security": "tls", "auth": "password",
        "leave_on_server": True, "leave_days": 3,
    }  # fmt: skip
    assert "leave_days" not in accounts["a5"]["incoming"]
    assert warnings == [
        '1:1: account " account2": spaces around an account key in mail.accountmanager.accounts: Thunderbird does '
        "not load the account (nor does this import); remove the spaces",
        '1:1: account "account6 ": spaces around an account key in mail.accountmanager.accounts: Thunderbird does '
        "not load the account (nor does this import); remove the spaces",
        "60:1: account account7: server server7 has no hostname: Thunderbird does not load the account (nor does "
        "this import); set mail.server.server7.hostname",
        "63:1: account account8: server server4 is account account4's: Thunderbird loads only the first account of "
        "a server (so does this import)",
        "30:1: mail.server.server3.socketType: 4 is none of Thunderbird's values (0 none, 2 STARTTLS, 3 SSL/TLS): "
        "Thunderbird connects without TLS, so the import says security: none; set 2 or 3",
        "10:1: SMTP server smtp9 is not in mail.smtpservers: Thunderbird has no outgoing server for account account5 "
        "(nor does this import); add it to mail.smtpservers",
    ]


def test_socket_type_1_without_the_migration_is_said_and_imported_as_none(tmp_path: Path) -> None:
    # Thunderbird 153 has no trySTARTTLS (nsMsgSocketType: 0, 2, 3); MailMigrator rewrites 1 to 2 only for a
    # profile whose mail.ui-rdf.version is 1-43 (a new profile, 0, skips it). Pop3Client and SmtpClient use TLS
    # only for 2 and 3 (read from Thunderbird 153's omni.ja), so 1 is a cleartext connection, not starttls-optional
    (tmp_path / "prefs.js").write_text(
        'user_pref("mail.accountmanager.accounts", "account1");\n'
        + _account(1, "pop3", "h.example.com", 'socketType", 1'),
        encoding="utf-8",
    )
    accounts, warnings = _import(tmp_path)
    assert accounts["a1"]["incoming"]["security"] == "none"
    assert warnings == [
        "8:1: mail.server.server1.socketType: 1 (trySTARTTLS, removed from Thunderbird) is none of Thunderbird's "
        "values (0 none, 2 STARTTLS, 3 SSL/TLS): Thunderbird connects without TLS, so the import says security: "
        "none; set 2 or 3",
    ]


def test_an_smtp_server_without_a_hostname_leaves_the_account_without_outgoing(tmp_path: Path) -> None:
    # an empty hostname made the whole account invalid (outgoing host ""), and a missing one left the account
    # without an outgoing server with exit 0; Thunderbird cannot send through either
    (tmp_path / "prefs.js").write_text(
        'user_pref("mail.accountmanager.accounts", "account1,account2");\n'
        + _account(1, "imap", "h1.example.com")
        + _account(2, "imap", "h2.example.com")
        + 'user_pref("mail.identity.id1.smtpServer", "smtp1");\n'
        'user_pref("mail.identity.id2.smtpServer", "smtp2");\n'
        'user_pref("mail.smtpservers", "smtp1,smtp2");\n'
        'user_pref("mail.smtpserver.smtp1.hostname", "");\n',
        encoding="utf-8",
    )
    accounts, warnings = _import(tmp_path)
    assert [("outgoing" in a, a["incoming"]["host"]) for a in accounts.values()] == [
        (False, "h1.example.com"), (False, "h2.example.com"),
    ]  # fmt: skip
    assert warnings == [
        "17:1: SMTP server smtp1 has no hostname: Thunderbird cannot send through it, so account account1 has no "
        "outgoing server (nor does this import); set mail.smtpserver.smtp1.hostname",
        "16:1: SMTP server smtp2 has no hostname: Thunderbird cannot send through it, so account account2 has no "
        "outgoing server (nor does this import); set mail.smtpserver.smtp2.hostname",
    ]


def test_a_pop3_account_deferred_to_another_accounts_inbox_is_said(tmp_path: Path) -> None:
    # deferred_to_account (the "Global Inbox") was imported without a word. Thunderbird 153
    # (Pop3IncomingServer.deferredToAccount, checked through Marionette) keeps a POP3 account's mail in the named
    # account's folders; a key of no account it loads (or of a hidden server) is rewritten to Local Folders';
    # IMAP ignores the pref. An account file cannot say where mail is kept: a warning and a comment say it
    (tmp_path / "prefs.js").write_text(
        'user_pref("mail.accountmanager.accounts", "account1,account2,account3,account4,account5,account6");\n'
        + _account(1, "none", "Local Folders")
        + _account(2, "pop3", "h2.example.com", 'deferred_to_account", "account1"')
        + _account(3, "pop3", "h3.example.com", 'deferred_to_account", "account9"')
        + _account(4, "pop3", "h4.example.com", 'deferred_to_account", "account5"')
        + _account(5, "imap", "h5.example.com")
        + _account(6, "imap", "h6.example.com", 'deferred_to_account", "account1"')
        + 'user_pref("mail.server.server2.leave_on_server", true);\n',
        encoding="utf-8",
    )
    result = import_paths("thunderbird", [str(tmp_path)], ReadOptions())
    assert list(result.accounts) == ["a2", "a3", "a4", "a5", "a6"]
    assert [w.split("prefs.js:", 1)[1] for w in result.warnings] == [
        '14:1: mail.server.server2.deferred_to_account: "account1": Thunderbird keeps this POP3 account\'s mail in '
        "Local Folders' Inbox (a Global Inbox), not in folders of its own; an account file cannot say where mail is "
        "kept, so a client set up from it keeps account a2's mail apart",
        '21:1: mail.server.server3.deferred_to_account: "account9": Thunderbird keeps this POP3 account\'s mail in '
        "Local Folders' Inbox (a Global Inbox; account9 is no account Thunderbird loads, so it uses Local Folders), "
        "not in folders of its own; an account file cannot say where mail is kept, so a client set up from it keeps "
        "account a3's mail apart",
        '28:1: mail.server.server4.deferred_to_account: "account5": Thunderbird keeps this POP3 account\'s mail in '
        "account a5's Inbox (a Global Inbox), not in folders of its own; an account file cannot say where mail is "
        "kept, so a client set up from it keeps account a4's mail apart",
    ]
    assert "prefs.js:14: mail.server.server2.deferred_to_account" in result.text.split("a2:", 1)[1].split("a3:")[0]


def test_a_pop3_account_deferred_to_a_hidden_server_is_said_to_use_local_folders(tmp_path: Path) -> None:
    # Pop3IncomingServer.deferredToAccount: a target whose server is hidden is replaced by Local Folders
    (tmp_path / "prefs.js").write_text(
        'user_pref("mail.accountmanager.accounts", "account1,account2");\n'
        + _account(1, "pop3", "h1.example.com", 'deferred_to_account", "account2"')
        + _account(2, "imap", "h2.example.com", 'hidden", true'),
        encoding="utf-8",
    )
    _, warnings = _import(tmp_path)
    assert warnings == [
        '8:1: mail.server.server1.deferred_to_account: "account2": Thunderbird keeps this POP3 account\'s mail in '
        "Local Folders' Inbox (a Global Inbox; account2 is an account with a hidden server, so it uses Local "
        "Folders), not in folders of its own; an account file cannot say where mail is kept, so a client set up "
        "from it keeps account a1's mail apart",
    ]


#: a POP3 account whose deferred_to_account names itself (Local Folders first, so a fallback would be seen)
SELF_DEFERRED = (
    'user_pref("mail.accountmanager.accounts", "account1,account2");\n'
    + _account(1, "none", "Local Folders")
    + _account(2, "pop3", "h2.example.com", 'deferred_to_account", "account2"')
)


def test_a_pop3_account_deferred_to_itself_is_said_to_get_no_mail(tmp_path: Path) -> None:
    # the warning said Thunderbird keeps the account's mail in "account a2's Inbox", its own; Thunderbird 153 keeps
    # the pref and Pop3IncomingServer.rootMsgFolder throws "a2 cannot be deferred to itself" whenever mail is
    # fetched (the next test)
    (tmp_path / "prefs.js").write_text(SELF_DEFERRED, encoding="utf-8")
    result = import_paths("thunderbird", [str(tmp_path)], ReadOptions())
    assert [w.split("prefs.js:", 1)[1] for w in result.warnings] == [
        '14:1: mail.server.server2.deferred_to_account: "account2" is this account\'s own key: Thunderbird fetches no '
        'mail for account a2 (Pop3IncomingServer: "cannot be deferred to itself"); the account is imported with '
        "folders of its own, so a client set up from it does fetch its mail; clear the pref in Thunderbird",
    ]


@pytest.mark.real
def test_thunderbird_fetches_no_mail_for_an_account_deferred_to_itself() -> None:
    need("thunderbird")
    from tests.targets._marionette import run_thunderbird

    script = """
    const s = MailServices.accounts.getAccount("account2").incomingServer.QueryInterface(Ci.nsIPop3IncomingServer);
    let fetched = "fetched";
    try { s.getNewMessages(s.rootFolder, null, null); } catch (e) { fetched = e.message; }
    return [s.deferredToAccount, fetched];
    """
    read = run_thunderbird({"prefs.js": SELF_DEFERRED.encode()}, script)
    assert read == ["account2", "a2 cannot be deferred to itself"]


#: Accounts 2 and 6 are ones Thunderbird 153 does not load: it makes one server per type, host name (ignoring ASCII
#: case), port (as it reads it: a default one too) and user name, where a new server without a user name matches any
#: (nsMsgAccountManager::createKeyedServer, findServerInternal: "don't allow duplicate servers").
SAME_SERVER_PREFS_JS = (
    'user_pref("mail.accountmanager.accounts", "account1,account2,account3,account4,account5,account6,account7");\n'
    + _account(1, "imap", "h1.example.com")
    + _account(2, "imap", "H1.Example.COM", 'port", 143')
    + _account(3, "imap", "h1.example.com", 'socketType", 3')
    + _account(4, "imap", "w.example.com", 'userName", "x"')
    + _account(5, "imap", "w.example.com", 'userName", "X"')
    + _account(6, "imap", "w.example.com")
    + _account(7, "pop3", "h1.example.com", 'port", 143')
)


@pytest.mark.real
def test_an_account_whose_server_an_earlier_account_has_by_type_host_port_and_user_is_not_loaded() -> None:
    """Found through the render side (fuzzing the thunderbird target): the import read both accounts of one
    server, login and port when their server keys differed; Thunderbird loads the first only."""
    accounts, real = _imported_and_loaded(SAME_SERVER_PREFS_JS)
    assert list(real) == ["a1", "a3", "a4", "a5", "a7"]
    assert {name: _as_thunderbird(a) for name, a in accounts.items()} == real


def test_an_account_whose_server_an_earlier_account_has_is_said(tmp_path: Path) -> None:
    (tmp_path / "prefs.js").write_text(SAME_SERVER_PREFS_JS, encoding="utf-8")
    accounts, warnings = _import(tmp_path)
    assert list(accounts) == ["a1", "a3", "a4", "a5", "a7"]
    assert warnings == [
        "8:1: account account2: server server2 has the type, host name, port and user name of account account1's "
        "server: Thunderbird loads only the first account of a server (so does this import)",
        "36:1: account account6: server server6 has the type, host name, port and user name of account account4's "
        "server (a server without a user name matches any): Thunderbird loads only the first account of a server "
        "(so does this import)",
    ]


#: POP3 accounts deferred to accounts Thunderbird drops as duplicates (account2: account1's login; account4: account1's
#: server key), and to no account at all (account9)
DEFERRED_TO_DROPPED = (
    'user_pref("mail.accountmanager.accounts", "account0,account1,account2,account3,account4,account5,account6");\n'
    + _account(0, "none", "Local Folders")
    + _account(1, "imap", "h1.example.com")
    + _account(2, "imap", "H1.Example.COM", 'port", 143')
    + _account(3, "pop3", "h3.example.com", 'deferred_to_account", "account2"')
    + 'user_pref("mail.account.account4.server", "server1");\n'
    + _account(5, "pop3", "h5.example.com", 'deferred_to_account", "account4"')
    + _account(6, "pop3", "h6.example.com", 'deferred_to_account", "account9"')
)


@pytest.mark.real
def test_a_pop3_account_deferred_to_a_dropped_duplicate_uses_local_folders() -> None:
    """Thunderbird 153 does not point such an account at the duplicate's kept account (as older nsMsgAccountManager
    code did): Pop3IncomingServer.deferredToAccount finds no account of that key and rewrites the pref to Local
    Folders', as for a key of no account. The import says the same."""
    need("thunderbird")
    from tests.targets._marionette import run_thunderbird

    script = """
    return ["account3", "account5", "account6"].map(k => {
      const s = MailServices.accounts.getAccount(k).incomingServer.QueryInterface(Ci.nsIPop3IncomingServer);
      return [s.deferredToAccount, s.rootMsgFolder.server.type];
    });
    """
    assert run_thunderbird({"prefs.js": DEFERRED_TO_DROPPED.encode()}, script) == [["account0", "none"]] * 3
    with tempfile.TemporaryDirectory(prefix="mailconf-tb-accounts-") as tmp:
        (Path(tmp) / "prefs.js").write_text(DEFERRED_TO_DROPPED, encoding="utf-8")
        accounts, warnings = _import(Path(tmp))
    assert list(accounts) == ["a1", "a3", "a5", "a6"]
    assert [w.split(": Thunderbird keeps")[1].split(" Inbox")[0] for w in warnings if "deferred" in w] == [
        " this POP3 account's mail in Local Folders'"
    ] * 3
    assert [w.split("; ")[1].split(")")[0] for w in warnings if "deferred" in w] == [
        f"{key} is no account Thunderbird loads, so it uses Local Folders"
        for key in ("account2", "account4", "account9")
    ]


def _one_server_prefs_js(count: int) -> str:
    """``count`` IMAP accounts of one host and port, each its own user name, as a company's profile holds them."""
    keys = ",".join(f"account{n}" for n in range(count))
    users = (_account(n, "imap", "imap.example.com", f'userName", "u{n}"') for n in range(count))
    return f'user_pref("mail.accountmanager.accounts", "{keys}");\n' + "".join(users)


def test_many_accounts_of_one_server_are_read_in_linear_work(tmp_path: Path) -> None:
    """Each account's server was compared with every earlier one's (type, host, port, user name): 20,000 accounts
    took 51 s of CPU, 10,000 took 12 s."""
    from mailconf.importers import thunderbird as module
    from tests._work import lines_run

    work: dict[int, int] = {}
    for count in (500, 1000):
        profile = tmp_path / str(count)
        profile.mkdir()
        (profile / "prefs.js").write_text(_one_server_prefs_js(count), encoding="utf-8")
        work[count] = lines_run(partial(_import, profile), module)
    accounts, warnings = _import(tmp_path / "1000")
    assert (len(accounts), warnings) == (1000, [])
    assert work[1000] < 2.2 * work[500]
