"""A contract over every importer: what a message quotes from a file is bounded, escaped, and never a password.

Each importer gets a file with a token of megabytes where one of its messages quotes what it read; the message
stays one short line (QUOTE_LIMIT characters of the token, then "…"), through the one function that quotes
(``mailconf.importers._base.shown``)."""

from __future__ import annotations

import plistlib
from pathlib import Path

import pytest

from mailconf.cli import main
from mailconf.importers import IMPORTERS
from mailconf.importers._base import QUOTE_LIMIT, shown
from mailconf.importers._core import Difference

#: megabytes of one token: a file that is not what it was said to be, or a hostile one
BIG = "a" * (2 << 20)
#: the provider XML formats read at most 1 MiB (_xml.MAX_XML_BYTES): a token of nearly that
XML_BIG = "a" * ((1 << 20) - 200)
#: how the messages quote it
CUT = "a" * QUOTE_LIMIT + "…"

_REG = (
    "Windows Registry Editor Version 5.00\r\n\r\n"
    "[HKEY_CURRENT_USER\\Software\\Microsoft\\Office\\16.0\\Outlook\\Profiles\\Outlook\\"
    "9375CFF0413111d3B88A00104B2A6676\\00000002]\r\n"
    '"clsid"="{ED475411-B0D6-11D2-8C3B-00104B2A6676}"\r\n'
    f'"Account Name"="{BIG} x"\r\n"Email"="carol@example.org"\r\n'
    '"IMAP Server"="imap.example.org"\r\n"IMAP User"="carol"\r\n'
)
_PLIST = plistlib.dumps(
    {
        "PayloadType": "com.apple.mail.managed",
        "EmailAccountType": "EmailTypeIMAP",
        "EmailAddress": "a@example.org",
        "IncomingMailServerHostName": "h.example.org",
        "OutgoingMailServerHostName": "h.example.org",
        BIG: True,
    }
).decode()

#: format -> (file name, its text, the exit code, what standard error says: {path} is the file's path)
CASES: dict[str, tuple[str, str, int, str]] = {
    "msmtp": ("msmtprc", f"account a\nhost h.example.org\nfrom a@example.org\n{BIG} on\n", 1,
              f"mailconf: warning: {{path}}:4:1: msmtp's {CUT} has no place in an account file\n"),
    "mutt": ("muttrc", f"set from = a@example.org\nset folder = imaps://h.example.org/\nsource {BIG}\n", 1,
             f"mailconf: warning: {{path}}:3:1: source {CUT}: not followed (use --follow-source to read it)\n"),
    "neomutt": ("neomuttrc", f"set from = a@example.org\nset folder = imaps://h.example.org/\nsource {BIG}\n", 1,
                f"mailconf: warning: {{path}}:3:1: source {CUT}: not followed (use --follow-source to read it)\n"),
    "fetchmail": ("fetchmailrc", f"poll h.example.org proto imap user a there {BIG}\n", 2,
                  f'mailconf: {{path}}:1:44: unknown keyword "{CUT}"; fetchmail itself refuses this file '
                  "(syntax error): fix or remove it\n"),
    "thunderbird": ("user.js", 'user_pref("mail.accountmanager.accounts", "account1,account2");\n'
                    'user_pref("mail.account.account2.server", "server2");\n'
                    'user_pref("mail.server.server2.type", "imap");\n'
                    'user_pref("mail.server.server2.hostname", "h.example.org");\n'
                    'user_pref("mail.account.account1.server", "server1");\n'
                    f'user_pref("mail.server.server1.type", "{BIG}");\n', 1,
                    f'mailconf: warning: {{path}}:6:1: account account1: server type "{CUT}" is not IMAP or POP3; '
                    "skipped\nmailconf: warning: {path}:2:1: account account2: its identity has no address\n"
                    "mailconf: warning: {path}:3:1: account account2: not imported, it cannot be valid: address: "
                    '`address` is not valid (got ""): write an address like alice@example.com\n'
                    "mailconf: {path}: no account could be imported (the reasons are above); nothing written\n"),
    "mbsync": ("mbsyncrc", f"IMAPAccount a\nHost h.example.org\nUser a@example.org\n{BIG} yes\n", 2,
               # mbsync reads the line in pieces of 1022 bytes: the first is a keyword without a value
               f"mailconf: {{path}}:4:1: {CUT} needs a value (parameter missing): mbsync refuses the file; write its "
               "value after it, or remove the line\n"),
    "offlineimap": ("offlineimaprc", f"[general]\naccounts = a, {BIG}\n[Account a]\nremoterepository = r\n"
                    "[Repository r]\ntype = IMAP\nremotehost = h.example.org\nremoteuser = a@example.org\n", 1,
                    f'mailconf: warning: {{path}}:2:1: [general] accounts names "{CUT}", which has no [Account {CUT}] '
                    "section (offlineimap stops there): not imported\nmailconf: warning: {path}:5:1: ssl without "
                    "sslcacertfile or cert_fingerprint: offlineimap3 refuses to connect; imported as checking the "
                    "system CAs\n"),
    "getmail": ("getmailrc", f"[retriever]\ntype = {BIG}\n", 2,
                f"mailconf: {{path}}:2:1: retriever type \"{CUT}\" is not one getmail has (or not an account's); use "
                "SimpleIMAPSSLRetriever, SimplePOP3SSLRetriever ...\n"),
    "aerc": ("accounts.conf", f"[a]\nsource = imaps://a@h.example.org\nfrom = a@example.org\n{BIG} = 1\n", 1,
             f"mailconf: warning: {{path}}:4:1: aerc's {CUT} has no place in an account file\n"),
    "outlook": ("outlook.reg", _REG, 1,
                f'mailconf: warning: {{path}}:3:1: account "{CUT}" is imported as "{"a" * 64}" (names hold letters, '
                "digits, '.', '_', '-')\n"
                f"mailconf: warning: {{path}}:3:1: account {'a' * 64}: not imported, it cannot be valid: "
                'incoming.host: `host` is not valid (got ""): write a host name (RFC 1123) or an IP address, without '
                "scheme, port, user or spaces\nmailconf: {path}: no account could be imported (the reasons are "
                "above); nothing written\n"),
    "autoconfig": ("config-v1.1.xml", f"<{XML_BIG}/>\n", 2,
                   f"mailconf: {{path}}:1:1: the root element is <{CUT}>, not <clientConfig>; name a Thunderbird "
                   "autoconfig file (config-v1.1.xml)\n"),
    "autodiscover": ("a@example.org.xml", f'<Autodiscover xmlns="{XML_BIG}"/>\n', 2,
                     f"mailconf: {{path}}:1:1: the root element is <Autodiscover> in {CUT}, not an Autodiscover "
                     'response (<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/'
                     '2006">); name an Outlook Autodiscover (POX) response file\n'),
    "mobileconfig": ("a.mobileconfig", _PLIST, 1,
                     f"mailconf: warning: {{path}}:15:2: the mail payload's {CUT} has no place in an account file\n"),
    "outlook-prf": ("outlook.prf", "[Internet Account List]\r\nAccount1=I_Mail\r\n[Account1]\r\n"
                    f"EmailAddress=a@example.org\r\nPOP3Server=h.example.org\r\n{BIG}=1\r\n[I_Mail]\r\n"
                    "AccountType=POP3\r\nEmailAddress=PT_UNICODE,0x000C\r\nPOP3Server=PT_UNICODE,0x0100\r\n", 1,
                    f"mailconf: warning: {{path}}:6:1: {CUT} is not in the [I_Mail] mapping: Outlook does not read "
                    "it\n"),
}  # fmt: skip


def test_every_importer_is_walked() -> None:
    assert sorted(CASES) == sorted(IMPORTERS)


@pytest.mark.parametrize("fmt", sorted(CASES))
def test_a_token_of_megabytes_is_quoted_in_one_short_line(
    fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name, text, code, said = CASES[fmt]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    assert main(["import", "--from", fmt, str(path)]) == code
    err = capsys.readouterr().err
    assert err == said.format(path=path)


@pytest.mark.parametrize(
    ("text", "quotes", "said"),
    [
        ("imap.example.org", False, "imap.example.org"),
        ("it's", True, '"it\'s"'),
        ("a\nforged: line\x1b[31m", False, "a\\nforged: line\\x1b[31m"),
        ("a\nb", True, '"a\\nb"'),
        # errors.double_quoted: a quote and a backslash escaped (repr() put this one in single quotes)
        ('a "b" \\c', True, '"a \\"b\\" \\\\c"'),
        ("imaps://bob:hunter2@imap.example.org/", False, "imaps://bob:***@imap.example.org/"),
        ("imaps://bob:" + "h" * 200, False, "imaps://bob:***…"),  # cut before the @: masked all the same
        ("b" * QUOTE_LIMIT, False, "b" * QUOTE_LIMIT),
        ("b" * (QUOTE_LIMIT + 1), True, '"' + "b" * QUOTE_LIMIT + '…"'),
    ],
)
def test_shown_bounds_escapes_and_masks(text: str, quotes: bool, said: str) -> None:
    assert shown(text, quotes=quotes) == said


def test_a_drift_line_quotes_the_account_and_the_values() -> None:
    """import --check's lines named the account and the values as the files hold them; only the last guard escaped
    an ESC, and kept backslashes: an account spelt \\x1b looked like one holding an ESC."""
    lines = [
        str(Difference("a\\x1bb", "incoming.host", "imap.example.org\\", "imap.example.org")),
        str(Difference("a\x1bb", "incoming.host", "C:\\mail", None)),
        str(Difference("w", "outgoing.mechanisms", ["x\\y", "plain"], ["plain"])),
    ]
    assert lines == [
        "account a\\\\x1bb: incoming.host: file says imap.example.org\\\\, YAML declares imap.example.org",
        "account a\\x1bb: incoming.host: file says C:\\\\mail, YAML declares nothing",
        "account w: outgoing.mechanisms: file says [x\\\\y, plain], YAML declares [plain]",
    ]
