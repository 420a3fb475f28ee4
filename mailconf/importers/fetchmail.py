r"""``mailconf import --from fetchmail ~/.fetchmailrc`` reads a fetchmail 6.4 run control file: one
account per ``poll`` (or ``skip``) entry and user (a second ``user`` of an entry is another mailbox of that
server: its server options, ``proto``, ``port``, ``timeout``, ``auth``, are shared, and ``ssl``, ``keep`` ...
are each user's own, as fetchmail reads them), with a ``defaults`` entry applied to the entries after it. As in
fetchmail, only the first defaults record counts: a second user in it (``defaults user a there user b there``), or a
second ``defaults`` right after it, is reported and not imported (fetchmail polls a server named ``defaults`` with
it; the entries log in as ``a``), and a ``defaults`` after a poll entry, or after two defaults records, stops the
import, as fetchmail refuses such a file.

| .fetchmailrc | account file |
|---|---|
| ``poll NAME via HOST`` | the account ``NAME``, ``incoming.host`` (``HOST``, or ``NAME`` without ``via``) |
| ``proto IMAP`` / ``POP3`` (``APOP``... are POP3), ``service``/``port``, ``timeout`` | ``protocol``, ``port``,
  ``timeout`` (``service`` and ``port`` set the same, and the later wins, as in fetchmail: ``service imaps port 110``
  is 110; ``service imaps``: a name of /etc/services, ``imap``, ``imaps``, ``pop3``, ``pop3s``, is its port;
  another name, ``service foo``, leaves the entry out, with a warning that names it and a port to write; so does
  a number that is no port, 0, past 65535 or negative, for which fetchmail stops at start and polls nothing; a
  quoted service (``service "4294967439"``: past 65535, where unquoted it is cut to 32 bits, 143), or a word that
  is no number, is read as fetchmail's servport() reads it, C's ``strtoul``:
  ``service "+5"`` is 5, ``service " 993"`` is 993, and ``service "993 "`` is left out: fetchmail starts with it,
  but its connection reads no blank after the number and each poll fails) |
| ``ssl`` / ``sslproto`` without ``ssl`` / ``sslproto ""`` / neither | ``security: tls`` / ``starttls`` / ``none`` /
  ``starttls-optional`` (fetchmail upgrades only when offered: reported) |
| ``sslproto "TLS1.2+"`` ... | ``tls.min_version`` |
| ``sslcertck`` (the default) / ``no sslcertck`` | ``tls.verify`` true / false (not with a pin) |
| ``sslcertfile``, ``sslfingerprint``, ``sslcert``, ``sslkey`` | ``tls.ca_file``, ``tls.fingerprint`` (``md5:``),
  ``tls.client_cert``, ``tls.client_key``; a relative path is taken from the rc file's folder, as fetchmail takes it
  (``-f ../rc`` and ``ca.pem``: ``$PWD/../ca.pem``; from standard input, from the current folder) |
| ``auth password`` / ``any`` / ``cram-md5`` / ``gssapi`` / ``ntlm`` / ``external`` | ``auth: password`` /
  ``password`` / ``password`` + ``mechanisms: [cram-md5]`` / ``gssapi`` / ``ntlm`` / ``client-cert`` |
| ``user "…" there``, ``is "…" there`` (the later wins) | ``username``; the address too when it is one (else a guess
  the output comments) |
| ``user NAME here``, ``user REMOTE = LOCAL here`` (local names only), without ``is NAME there`` | no ``username``:
  fetchmail logs in as the user it runs as (reported) |
| ``keep`` / ``no keep`` (POP3) | ``leave_on_server`` true / false (on IMAP: reported as written, ``no keep on IMAP:
  fetchmail deletes the mail it fetches``; leave_on_server is POP3's) |
| ``timeout 0`` or ``-1`` / another negative number | no ``timeout`` (fetchmail's "not set": its default, 300 s) /
  ``timeout: 0`` (no time limit, as fetchmail waits; lint says MC707); a number past 32 bits is cut as fetchmail's
  ``atoi`` cuts it (``4294967326`` is 30), and said |

``sslcertpath`` (the folder of CA certificates fetchmail checks the server against) and ``sslcommonname`` (the name
it checks the certificate for, in place of the host name) have no place in an account file: each is reported at the
account, with its line (they were counted with the delivery and daemon settings, unnamed past the first four).

Never run: ``mda``, ``preconnect``, ``postconnect``, ``plugin`` and ``plugout`` are commands; each is reported and
not imported, and so is a literal ``password``. ``bsmtp FILE`` runs nothing: fetchmail appends the mail to that file
as batch SMTP instead of delivering it; it is reported and not imported. In a ``defaults`` entry, each of them is
reported as in a poll entry, once, at its line, and in the comment of each account that inherits it: as in
fetchmail, an entry (each user of it, for ``mda``, ``bsmtp``, ``preconnect``, ``postconnect``) inherits the
defaults' where it names none of its own; of one keyword twice in an entry, fetchmail keeps the later, the one
reported. Delivery and daemon settings (``is LOCAL here``, ``smtphost``, ``set daemon`` ...) are not account
settings: one warning, at the first, counts them and names the first four kinds the file holds, as written (``set no
bouncemail``, ``fetchall``, ``idle``, ``no rewrite`` and 2 more).
A keyword fetchmail does not know stops the import with its line and column (exit 2): fetchmail
itself refuses such a file. Keywords are fetchmail's, in lower case only (``KEEP`` is a word: the import stops at it,
and in a list of names it is a name, not keep), with the other spellings its lexer takes (``local``, ``folders``,
``smtp``, ``preauth``, ``pass8``, ``mimedec``; ``nokeep`` is ``no keep``); two spellings of one keyword set the
same, and the later wins, as in fetchmail (``protocol``, ``authenticate``, ``username``, ``pass`` are ``proto``,
``auth``, ``user``, ``password``: ``proto pop3 protocol imap`` is IMAP, and so is ``defaults proto pop3`` with
``protocol imap`` in the entry); so does a flag and its negation (``defaults ssl``, then ``no ssl`` in the entry: no
ssl). An entry's server options (``via``, ``proto``, ``port``,
``auth``, ``timeout`` ...) come before its user options: a server option after one stops the import, as does a
``user`` after user options that came before any (``keep user bob there``, ``is alice there user bob there``), as
fetchmail refuses such a file. A list (``smtphost``, ``localdomains``, ``aka``, ``folder``, ``fetchdomains``: words;
``antispam``: numbers) holds at least one item and ends at the first word of another kind (``smtphost a imap``:
``imap`` is a protocol, and the import stops there, as fetchmail refuses it).
``set`` takes fetchmail's own statements only (``logfile``, ``idfile``, ``pidfile``, ``daemon``, ``postmaster``,
``properties``, and ``[no] bouncemail``, ``spambounce``, ``softbounce``, ``syslog``, ``invisible``, ``showdots``),
and those settings of the whole run are taken after ``set`` only (``daemon 300`` in an entry, ``set warnings 3``:
the import stops there). ``port``, ``timeout``, ``interval``, ``limit``, ``warnings``, ``fetchlimit`` ... and ``set
daemon`` take a number, unquoted (``port abc``, ``timeout "30"`` stop it). ``here`` and ``there`` come only after
the names of ``user``, ``is`` or ``to`` (``user alice there here`` stops it), and a quoted string only where a
keyword takes one (not before the first entry, nor after ``keep``).
``proto`` takes a protocol fetchmail knows (``IMAP`` or
``imap``, not ``Imap`` nor ``"imap"``), ``auth`` an authentication type in lower case and ``bad-header`` (so
spelled: ``badheader`` is no keyword there) ``accept`` or ``reject``: anything else stops the import too.
So does a value fetchmail's lexer reads as a keyword, a protocol or authentication name
or a number where its grammar takes a string (``sslproto auto``, ``sslcertfile imap``: quote it, ``sslproto
"auto"``; the case counts, as in fetchmail: ``Auto`` is a string). The word is named in the message, except where
it may be a secret: a value where a password goes, a word after a password's value (``password my secret``: quote
it), and a word after a quoted string that runs over several lines (``user "alice`` left open takes in the next
line's ``password "``, and the password is the next word).

Words are read as fetchmail's lexer reads them: only a space, a tab, a carriage return and a line end separate them
(a form feed, a no-break space or another Unicode space is a character of the word, as in fetchmail: ``timeout``,
a no-break space and ``30`` is one word, no keyword), and a backslash at the end of a line joins it to the next; a
quoted string (``"..."`` or ``'...'``) ends at the next quote
of its kind, on the same line or a later one (a backslash does not escape it: ``"a\"`` is ``a``), and where a
word without spaces is longer, that word is read, quotes and all (``"a\"b"`` is ``"a"b"``), as is a word whose
quote is never closed (``password "secret`` is the password ``"secret``); C escapes (``\\``, ``\n``, ``\x41``,
octal ``\041``, decimal ``\65``...) are replaced in both. An ``=`` outside quotes is a word of its own, as in
fetchmail's lexer, which fetchmail takes only in ``REMOTE = LOCAL`` (after ``is``, ``to``, ``user``) and in
``set logfile = FILE`` (``idfile``, ``pidfile``, ``postmaster``, ``properties`` too): anywhere else
(``user=alice``, ``password=…``, ``sslcertfile /a=b``) fetchmail refuses the file, and the import stops at it
(exit 2; the value around it never shown): quote a value that holds one. Before ``there``, fetchmail takes one name
after ``is`` only (``to bob there``, ``is bob carl there``: the import stops there too). The word after ``user``,
``password``, ``is``, ``to`` and ``=`` is a name even when it is a keyword (``is keep here`` names the local user
``keep``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import Any, NamedTuple

from ..errors import counted, plural
from ..model import Location
from ..targets.fetchmail import _SSLPROTO
from . import Imported, ReadOptions, Unreadable
from ._base import (
    STDIN,
    Collector,
    guess_address,
    int32,
    is_address,
    named_kinds,
    read_text,
    shown,
    strtol,
)

NAME = "fetchmail"
TITLE = "fetchmail: ~/.fetchmailrc (incoming servers)"

_MIN_VERSION = {proto: version for version, proto in _SSLPROTO.items() if version is not None}
#: words fetchmail's lexer drops (outside the NAME state, after user, password, is, to and =)
_DROPPED = frozenset(["and", "with", "has", "wants", "options"])
_NOISE = _DROPPED | {"here", "there"}
#: keywords that run a command
_COMMANDS = frozenset(["mda", "preconnect", "postconnect", "plugin", "plugout"])
#: what bsmtp does, which names a file (rcfile_y.y: BSMTP STRING, taken from the rc file's folder), no command
_BSMTP = (
    "bsmtp: fetchmail appends the mail it fetches to this file as batch SMTP (- for its standard output) instead "
    "of delivering it; a delivery setting, not imported"
)
#: keywords mailconf reads, and how many arguments each takes
_READ = {
    "via": 1, "proto": 1, "protocol": 1, "service": 1, "port": 1, "timeout": 1, "auth": 1, "authenticate": 1,
    "user": 1, "username": 1, "password": 1, "pass": 1, "ssl": 0, "sslproto": 1, "sslcertck": 0,
    "sslcertfile": 1, "sslfingerprint": 1, "sslcert": 1, "sslkey": 1, "keep": 0, "folder": 1, "sslcertpath": 1,
    "sslcommonname": 1,
}  # fmt: skip
#: how fetchmail checks a certificate where an account file has no setting for it: said at the account
_UNHELD_TLS = {
    "sslcertpath": "fetchmail checks the server certificate against the CA certificates of this folder, and an account "
    "file names a CA file (tls.ca_file), not a folder",
    "sslcommonname": "fetchmail checks the server certificate for this name in place of the host name, which an "
    "account file cannot say",
}
#: fetchmail's own set statements (rcfile_y.y: SET ...): those that take a value, after an optional ``=`` (optmap),
#: and the flags, which alone take a ``no`` before them. No other keyword follows set
_SET_VALUE = frozenset(["logfile", "idfile", "pidfile", "daemon", "postmaster", "properties"])
_SET_FLAGS = frozenset(["bouncemail", "spambounce", "softbounce", "syslog", "invisible", "showdots"])
#: the settings of the run as a whole, which fetchmail takes after set only (properties is a user option too)
_GLOBAL = (_SET_VALUE | _SET_FLAGS) - {"properties"}
#: fetchmail keywords that are no account setting (delivery, daemon, retrieval policy), with their arguments
_OTHER = {
    "properties": 1, "interval": 1, "aka": -1, "localdomains": -1, "envelope": -1, "qvirtual": 1, "principal": 1,
    "esmtpname": 1, "esmtppassword": 1,
    "tracepolls": 0, "dns": 0, "checkalias": 0, "uidl": 0, "is": -1, "to": -1, "smtphost": -1,
    "fetchdomains": -1, "smtpaddress": 1, "smtpname": 1, "antispam": -1, "flush": 0, "limitflush": 0,
    "fetchall": 0, "rewrite": 0, "forcecr": 0, "stripcr": 0, "pass8bits": 0, "dropstatus": 0,
    "dropdelivered": 0, "mimedecode": 0, "idle": 0, "fetchlimit": 1,
    "fetchsizelimit": 1, "fastuidl": 1, "batchlimit": 1, "expunge": 1, "limit": 1, "warnings": 1,
    "interface": 1, "monitor": 1, "bad-header": 1,
    "lmtp": 0,  # a delivery mode, no argument: rcfile_y.y's LMTP alone (lmtp ssl is lmtp and ssl)
}  # fmt: skip
#: the keywords mailconf reads or reports that are server options (fetchmail(1), "Server Options"), shared by every
#: user of a poll entry; the rest are user options, each user's own
_SERVER_OPTIONS = frozenset(
    ["via", "proto", "protocol", "service", "port", "timeout", "auth", "authenticate", "plugin", "plugout"]
)
#: the spellings fetchmail's lexer (rcfile_l.l) reads as one token, kept under one key: each sets the same field, and
#: the later wins (``proto pop3 protocol imap`` is IMAP), as rcfile_y.y's grammar sets it
_SAME_FIELD = {"protocol": "proto", "authenticate": "auth", "username": "user", "pass": "password"}
#: a flag and its negation, and service and port (rcfile_y.y: both set server.service), kept under two keys: the
#: later of the two (an entry's after the defaults') wins
_OPPOSITE = {"keep": "nokeep", "nokeep": "keep", "ssl": "no ssl", "no ssl": "ssl", "sslcertck": "no sslcertck",
             "no sslcertck": "sslcertck", "service": "port", "port": "service"}  # fmt: skip
#: every server option (rcfile_y.y's serv_option): the rest in an entry are user options
_SERVER_KEYWORDS = _SERVER_OPTIONS | {
    "aka", "localdomains", "principal", "esmtpname", "esmtppassword", "uidl", "checkalias", "interval", "envelope",
    "qvirtual", "interface", "monitor", "plugin", "plugout", "dns", "tracepolls", "bad-header",
}  # fmt: skip
#: keywords whose value is a password: it is never shown, nor a word that follows it
_SECRETS = frozenset(["password", "pass", "esmtppassword"])
#: the keywords whose one argument fetchmail's grammar (rcfile_y.y) takes as a STRING (folder: the first of a list)
_STRING_ARGUMENT = frozenset(
    [
        "via", "sslproto", "sslcertfile", "sslfingerprint", "sslcert", "sslkey", "folder", "principal", "esmtpname",
        "esmtppassword", "qvirtual", "interface", "monitor", "smtpaddress", "smtpname", "sslcertpath",
        "sslcommonname", "properties", "mda", "bsmtp", "preconnect", "postconnect", "plugin", "plugout",
    ]
)  # fmt: skip
#: the keywords after which fetchmail's lexer reads any word as a name (its NAME state): nothing is dropped there
_NAME_STATE = frozenset(["user", "username", "password", "pass"])
#: a word fetchmail 6.4's lexer (rcfile_l.l) reads as a token that is no STRING: a keyword, a protocol or an
#: authentication name, a number. Flex matches its rules case-sensitively and takes a rule only where it matches the
#: whole word (else the longer STRING wins): ``auto`` and ``AUTO`` are the protocol, ``Auto`` a string
_NOT_A_STRING = re.compile(
    r"set|logfile|idfile|pidfile|daemon|syslog|invisible|showdots|postmaster|bouncemail|spambounce|softbounce"
    r"|warnings|tracepolls|defaults|server|poll|skip|via|aka|local(?:domains)?|proto(?:col)?|service|port|interval"
    r"|(?:pre)?auth(?:enticate)?|any|gssapi|kerberos(?:(?:_v)?[45])?|ssh|external|otp|opie|cram(?:-md5)?|msn|ntlm"
    r"|timeout|envelope|qvirtual|principal|esmtpname|esmtppassword|bad-header|accept|reject|user(?:name)?"
    r"|pass(?:word)?|folders?|smtp(?:host)?|fetchdomains|smtpaddress|smtpname|antispam|mda|bsmtp|lmtp"
    r"|pre(?:connect)?|post(?:connect)?|interface|monitor|plugin|plugout|batchlimit|fetchlimit|fetchsizelimit"
    r"|fastuidl|expunge|properties|is|here|there|to|no|no(?:bouncemail|uidl|checkalias|dns|envelope|spambounce)"
    r"|(?:no)?(?:keep|flush|limitflush|fetchall|rewrite|forcecr|stripcr|pass8(?:bits)?|dropstatus|dropdelivered"
    r"|mimedec(?:ode)?|idle)|dns|uidl|ssl|sslkey|sslcert|sslproto|sslcertck|sslcertfile|sslcertpath|sslcommonname"
    r"|sslfingerprint|checkalias|limit|auto|AUTO|pop2|POP2|sdps|SDPS|pop3|POP3|imap|IMAP|apop|APOP|rpop|RPOP"
    r"|etrn|ETRN|odmr|ODMR|kpop|KPOP|-?[0-9]+"
)
#: the other spellings fetchmail's lexer reads as a keyword (rcfile_l.l: local(domains)?, folder(s)?, smtp(host)? ...),
#: and the keyword mailconf's tables name it by
_ALIASES = {
    "local": "localdomains", "folders": "folder", "smtp": "smtphost", "pre": "preconnect", "post": "postconnect",
    "preauth": "auth", "preauthenticate": "auth", "pass8": "pass8bits", "mimedec": "mimedecode",
}  # fmt: skip
#: the words fetchmail's lexer reads as ``no`` and the keyword after it (rcfile_l.l: yyless(2)): ``nokeep``, ``no keep``
_NO_WORD = re.compile(
    r"no(?=(?:bouncemail|uidl|checkalias|dns|envelope|spambounce|keep|flush|limitflush|fetchall|rewrite|forcecr"
    r"|stripcr|pass8(?:bits)?|dropstatus|dropdelivered|mimedec(?:ode)?|idle)$)"
)
#: the words fetchmail's lexer reads as a protocol (PROTO, KPOP, SDPS): in lower or upper case, no other
_PROTOCOL_WORD = re.compile(
    r"auto|AUTO|pop2|POP2|sdps|SDPS|pop3|POP3|imap|IMAP|apop|APOP|rpop|RPOP|etrn|ETRN|odmr|ODMR|kpop|KPOP"
)
#: the words it reads as an authentication type (AUTHTYPE; password only right after auth), in lower case only
_AUTH_WORD = re.compile(r"any|password|gssapi|kerberos(?:(?:_v)?[45])?|ssh|external|otp|opie|cram(?:-md5)?|msn|ntlm")
_PROTOCOLS = {"imap": "imap", "pop3": "pop3", "apop": "pop3", "rpop": "pop3", "kpop": "pop3", "sdps": "pop3"}
#: the service names ``service`` takes for a mail port: fetchmail passes the name to getaddrinfo, which looks it up
#: in /etc/services (fetchmail's own defaults are the names "imap", "imaps", "pop3" and "pop3s"); with the aliases
#: Debian's netbase gives them ("imap2", "pop-3"). The lookup is exact: "IMAPS" is no service
_SERVICES = {"imap": 143, "imap2": 143, "imaps": 993, "pop3": 110, "pop-3": 110, "pop3s": 995}
#: the service names the messages offer (the aliases are Debian's, not fetchmail's)
_SERVICE_NAMES = ("imap", "imaps", "pop3", "pop3s")
_MAX_PORT = 65535
#: a NUMBER of fetchmail's lexer (rcfile_l.l), unquoted: quoted, these digits are a STRING, read by servport()
_NUMBER = re.compile("-?[0-9]+")
#: a service string servport.c reads as a number (strtoul, base 10: C white space and a sign before the digits, and
#: it takes white space after them); anything else is a name it looks up
_SERVPORT = re.compile(r"[\t\n\v\f\r ]*([+-]?)([0-9]+)[\t\n\v\f\r ]*")
#: white space after the number, which servport takes and getaddrinfo, connecting, does not (glibc: a service name)
_BLANK_AFTER = re.compile(r"[0-9][\t\n\v\f\r ]+\Z")
_ULONG = 2**64


def _servport(text: str) -> int | None:
    """The port fetchmail's servport() (servport.c) reads from a ``service`` string (SERVICE STRING: quoted, or a word
    that is no NUMBER, ``+5``): ``strtoul(text, 10)``, so `` 993`` is 993 and ``+5`` is 5, a negative number wraps
    past 65535 and one past an unsigned long (ERANGE) is looked up as a name, which none is (0: no port); a name, the
    port of the mail service it names, else None."""
    match = _SERVPORT.fullmatch(text)
    if match is None:
        return _SERVICES.get(text)
    sign, digits = match.groups()
    value = int(digits)
    if value >= _ULONG:
        return 0
    return (-value) % _ULONG if sign == "-" else value


#: fetchmail's port when the entry names none: by protocol, and with ssl or not
_DEFAULT_PORTS = {("imap", True): 993, ("imap", False): 143, ("pop3", True): 995, ("pop3", False): 110}
_AUTH = {"password": "password", "any": "password", "gssapi": "gssapi", "ntlm": "ntlm", "external": "client-cert"}


class Token(NamedTuple):
    text: str
    quoted: bool
    location: Location

    @property
    def is_map(self) -> bool:
        """The ``=`` token (rcfile_l.l's MAP): in a mapping ``REMOTE = LOCAL`` or ``set logfile = FILE`` only."""
        return self.text == "=" and not self.quoted

    @property
    def is_name(self) -> bool:
        """What the grammar takes as a name here: a word fetchmail's lexer reads as a STRING, no keyword (nor
        ``here``, ``there``), protocol or authentication name, number or ``=``. The case counts: ``KEEP`` is a name."""
        return self.quoted or (_NOT_A_STRING.fullmatch(self.text) is None and not self.is_map)


#: a word that does not start with a quote or a comment; inside it, a quote or # is a character of the word. ``=``
#: is a token of its own (rcfile_l.l: MAP), which no word holds unquoted. The blanks are rcfile_l.l's, ``[ \t\r]``,
#: and the line end: any other character (a form feed, a no-break space, U+3000 ...) is a character of a word, as in
#: fetchmail, not the blank Python's \s would make it. A backslash before a line end joins the lines (``\\?\n``)
_TOKEN = re.compile(r'#[^\n]*|\\\n|[;,:=]|["\']|[^ \t\r\n"\'#;,:=][^ \t\r\n;,:=]*')
#: what fetchmail's lexer (rcfile_l.l) reads as a word, ``[^=;:, \t\r\n]+``: from a quote too, where flex takes the
#: longer of it and the quoted string
_WORD = re.compile(r"[^ \t\r\n;,:=]+")
#: what fetchmail says of an ``=`` its grammar takes nowhere there (never the value around it: it may be a password)
_MAP_REFUSED = (
    "an = where fetchmail takes none",
    'fetchmail itself refuses this file (syntax error at =): remove it, or quote a value that holds one ("a=b")',
)
#: fetchmail's escapes(): \x or \X and at most 2 hex digits, \0 and at most 2 more octal digits, at most 3 decimal
#: digits, a backslash before a line end (the two dropped), one at the end (dropped), else the character after it
_ESCAPE = re.compile(r"\\(?:[xX]([0-9A-Fa-f]{0,2})|(0[0-7]{0,2})|([1-9][0-9]{0,2})|(\n)|(.)|$)", re.DOTALL)
_SIMPLE = {"n": "\n", "t": "\t", "r": "\r", "b": "\b"}


def _unescape(match: re.Match[str]) -> str:
    hexa, octal, decimal, line_end, other = match.groups()
    if hexa is not None:
        return chr(int(hexa or "0", 16))  # \x without a digit is NUL: the string ends there
    if octal is not None:
        return chr(int(octal, 8))
    if decimal is not None:
        return chr(int(decimal) % 256)  # a C char: \999 is one byte
    if line_end is not None or other is None:
        return ""
    return _SIMPLE.get(other, other)


def _escapes(text: str) -> str:
    """``text`` as fetchmail's escapes() makes it: the escapes replaced, and cut at a NUL (a C string ends there)."""
    return _ESCAPE.sub(_unescape, text).split("\x00", 1)[0]


def _lex(path: str, text: str) -> list[Token]:
    """The words of the file, as fetchmail's flex lexer reads them: a quoted string is ``"[^"]*"`` (a backslash
    does not escape a quote: ``"a\\"`` is the string ``a``), and where a longer word starts at its quote, the word
    wins (``"a\\"b"`` is the word ``"a"b"``, quotes and all), as it does where no quote closes it; both are unescaped,
    and are strings, never keywords."""
    found: list[Token] = []
    line, line_start = 1, 0
    position = 0
    while True:
        match = _TOKEN.search(text, position)
        if match is None:
            break
        start = match.start()
        newlines = text.count("\n", position, start)
        if newlines:
            line += newlines
            line_start = text.rfind("\n", position, start) + 1
        raw = match.group()
        where = Location(path, line, start - line_start + 1)
        end = match.end()
        if raw in ('"', "'"):
            close = text.find(raw, start + 1)
            word = _WORD.match(text, start)
            assert word is not None  # a quote is a word's character
            if close < 0 or word.end() > close + 1:  # never closed: the word alone is read, quote and all
                end = word.end()
                found.append(Token(_escapes(text[start:end]), True, where))
            else:  # a line end is a character of it, in either quotes ([^"]*, [^']*)
                end = close + 1
                found.append(Token(_escapes(text[start + 1 : close]), True, where))
        elif raw.startswith("#") or raw in (";", ",", ":", "\\\n"):
            pass
        elif "\\" in raw:  # escapes() makes it a string, which no keyword is
            found.append(Token(_escapes(raw), True, where))
        elif _NO_WORD.match(raw):
            found.append(Token("no", False, where))
            found.append(Token(raw[2:], False, where._replace(column=where.column + 2)))
        else:
            found.append(Token(raw, False, where))
        inside = text.count("\n", start, end)
        if inside:
            line += inside
            line_start = text.rfind("\n", start, end) + 1
        position = end
    return found


class _Setting(NamedTuple):
    """A keyword's value as the entry holds it: the text, where the keyword stands, and whether the lexer read it as a
    STRING only (quoted, or with an escape: ``service "4294967439"`` is no NUMBER)."""

    text: str
    where: Location
    quoted: bool = False


class _Entry:
    def __init__(self, keyword: str, name: str, where: Location) -> None:
        self.keyword = keyword
        self.name = name
        self.where = where
        #: what the entry sets, and the commands and bsmtp it names (reported, their value not kept): an entry's own
        #: after the defaults' (fetchmail.c's optmerge, FLAG_MERGE: the defaults' where the entry sets none)
        self.settings: dict[str, _Setting] = {}
        #: the delivery and daemon settings (fetchall, is ... here): where, and the keyword as written
        self.other: list[tuple[Location, str]] = []
        #: a user line read in this entry: the next one starts another mailbox (user_reset in rcfile_y.y)
        self.user = False
        #: a user option read before any user line: then fetchmail takes none (rcfile_y.y: user1opts, or explicits)
        self.user_options = False

    def next_user(self, where: Location, defaults: _Entry) -> _Entry:
        """The entry of the next ``user`` of this poll: the same server options, the user options of the
        defaults (fetchmail resets them for each user)."""
        entry = _Entry(self.keyword, self.name, where)
        entry.settings.update(defaults.settings)
        entry.settings.update((k, v) for k, v in self.settings.items() if k in _SERVER_OPTIONS)
        return entry


def read(paths: Sequence[str], options: ReadOptions) -> Imported:
    found = Collector()
    for path in paths:
        _read_file(path, found)
    return found.result()


def _read_file(path: str, found: Collector) -> None:  # noqa: PLR0912, PLR0915
    toks = _lex(path, read_text(path, "a fetchmail run control file (~/.fetchmailrc)", refused_by="fetchmail"))
    defaults = _Entry("defaults", "", Location(path, 1, 1))
    #: the records of the defaults entries (one per user): fetchmail applies the first only
    defaults_records: list[_Entry] = []
    entries: list[_Entry] = []
    current: _Entry | None = None
    other: list[tuple[Location, str]] = []
    i = 0
    negated = False
    #: where the ``no`` of a negated flag stands: a message about ``no keep`` points at it, not at ``keep``
    no_at = Location(path, 1, 1)
    #: the index after a password's value: a word there may be the rest of a password holding a space
    after_secret = -1
    while i < len(toks):
        token = toks[i]
        word = _ALIASES.get(token.text, token.text) if not token.quoted else ""
        i += 1
        if word in ("poll", "skip", "server"):
            if i >= len(toks):
                raise Unreadable(token.location, f"{word} names no server", f"write {word} NAME")
            if toks[i].is_map:
                raise Unreadable(toks[i].location, *_MAP_REFUSED)
            current = _Entry(word, toks[i].text, token.location)
            current.settings.update(defaults.settings)
            entries.append(current)
            i += 1
            continue
        if word == "defaults":
            current = _defaults_record(token, entries, defaults_records, defaults, found)
            continue
        if word == "set":
            i = _skip_set(toks, i, token, other)
            continue
        if word == "no":
            negated, no_at = True, token.location
            continue
        if word in _GLOBAL:
            raise Unreadable(
                token.location,
                f"{word} without set: a setting of the run as a whole, which fetchmail takes after set only",
                f"fetchmail itself refuses this file (syntax error at {word}): write set {'no ' if negated else ''}"
                f"{word}{'' if word in _SET_FLAGS else ' VALUE'} (set starts a statement of its own)",
            )
        if word in _DROPPED:
            continue
        if current is None:
            raise Unreadable(
                token.location,
                f"{shown(token.text, quotes=True)} before any poll entry",
                "fetchmail itself refuses this file (syntax error): start entries with poll NAME",
            )
        if token.is_map:
            raise Unreadable(token.location, *_MAP_REFUSED)
        if word in ("user", "username") and current.user_options and not current.user:
            raise Unreadable(
                token.location,
                f"{word} after user options that came without one (keep, is ... here, password ...)",
                f"fetchmail itself refuses this file (syntax error at {word}): write {word} NAME there first, then "
                "its options",
            )
        if word in _SERVER_KEYWORDS and (current.user_options or current.user):
            raise Unreadable(
                token.location,
                f"server option {word} after user options",
                "fetchmail itself refuses this file: move it before the entry's first user option",
            )
        if word not in _SERVER_KEYWORDS and word not in ("user", "username"):
            current.user_options = True
        if word in ("user", "username"):
            if current.user and current.keyword == "defaults":
                current = current.next_user(token.location, defaults)
                _another_defaults(current, defaults_records, found)
            elif current.user:  # a second user of this server: another account
                current = current.next_user(token.location, defaults)
                entries.append(current)
            current.user = True
            after = _significant(toks, i + 1)
            if after < len(toks) and (toks[after].is_map or toks[after].is_name or _is(toks[after], "here")):
                i = _local_users(toks, i, token, current)
                continue
        if word in _READ:
            argument = ""
            quoted = False
            if _READ[word]:
                i = i if word in _NAME_STATE else _significant(toks, i)
                if i >= len(toks):
                    raise Unreadable(token.location, f"{word} has no value", f"write {word} VALUE")
                if toks[i].is_map:
                    raise Unreadable(toks[i].location, *_MAP_REFUSED)
                if word in _STRING_ARGUMENT:
                    _string_argument(toks[i], word)
                _typed_argument(toks[i], word)
                argument, quoted = toks[i].text, toks[i].quoted
                i += 1
                if word == "folder":  # a list: mailconf reads the first folder
                    i = _list(toks, i, token, 0)
                elif word in ("user", "username"):  # user NAME there: the there is optional
                    there = _significant(toks, i)
                    i = there + 1 if there < len(toks) and _is(toks[there], "there") else i
            after_secret = i if word in _SECRETS else after_secret
            key = "nokeep" if word == "keep" and negated else _SAME_FIELD.get(word, word)
            key = "no sslcertck" if word == "sslcertck" and negated else key
            key = "no ssl" if word == "ssl" and negated else key
            current.settings.pop(_OPPOSITE.get(key, ""), None)  # the later wins: defaults ssl, then no ssl
            current.settings[key] = _Setting(argument, no_at if negated else token.location, quoted)
        elif word in _COMMANDS or word == "bsmtp":
            i = _significant(toks, i)
            _no_map(toks[i : i + 1])
            if word in _STRING_ARGUMENT and i < len(toks):
                _string_argument(toks[i], word)
            i += 1
            current.settings[word] = _Setting("", token.location)  # mda "a" mda "b": fetchmail keeps b
        elif word in _OTHER:
            arity = _OTHER[word]
            if word in _STRING_ARGUMENT:
                i = _significant(toks, i)
                _no_map(toks[i : i + 1])
                if i < len(toks):
                    _string_argument(toks[i], word)
            _no_map(toks[i : i + max(arity, 0)])
            if word in _TYPED and i < len(toks):
                _typed_argument(toks[i], word)
            i += max(arity, 0)
            if word in ("is", "to"):  # local names, each maybe REMOTE = LOCAL; or is REMOTE there
                start, i = i, _names(toks, i)
                there = _significant(toks, i)
                if there < len(toks) and _is(toks[there], "there"):
                    current.settings["user"] = _Setting(_remote_name(toks, start, there, token), token.location)
                    i, negated = there + 1, False
                    continue
                i = there + 1 if there < len(toks) and _is(toks[there], "here") else i  # is LOCAL here
            elif word == "envelope" and not negated:  # rcfile_y.y: ENVELOPE NUMBER STRING, or ENVELOPE STRING
                i = _significant(toks, i)
                i = i + 1 if i < len(toks) and _is_number(toks[i]) else i
                i = _list(toks, i, token, 1, 1)
            elif arity < 0 and word != "envelope":
                i = _list(toks, i, token)
            current.other.append((no_at, f"no {token.text}") if negated else (token.location, token.text))
            after_secret = i if word in _SECRETS else after_secret
        elif i > 1 and toks[i - 2].quoted and "\n" in toks[i - 2].text:
            # `user "alice` left open ran on over the next line's `password "`: this word is the secret, never shown
            raise Unreadable(
                token.location,
                "a word after a quoted string that runs over several lines (not shown: the string may have taken in "
                "a password keyword, and this word be the password)",
                "fetchmail itself refuses this file (syntax error): close each quote on the line it opens",
            )
        elif i - 1 == after_secret:  # "password my secret": never shown, not even in part
            raise Unreadable(
                token.location,
                "a word after the password that is no keyword (not shown: it may be part of the password)",
                'fetchmail itself refuses this file (syntax error): quote a password that holds a space, "like this"',
            )
        elif token.quoted:  # a further quoted string no keyword takes (a stray "x")
            raise Unreadable(
                token.location,
                f"{shown(token.text, quotes=True)}: a quoted string where fetchmail takes none",
                "fetchmail itself refuses this file (syntax error): remove it, or write the keyword it is the value of",
            )
        elif word in ("here", "there"):  # only user NAME there, is NAME there, is/to/user NAMES here take them
            raise Unreadable(
                token.location,
                f"{word} that follows no name of user, is or to",
                f"fetchmail itself refuses this file (syntax error at {word}): remove it, or write user NAME there, "
                "is LOCAL here",
            )
        elif _NOT_A_STRING.fullmatch(token.text):  # a protocol or authentication name, a number (smtphost a imap)
            raise Unreadable(
                token.location,
                f"{shown(token.text, quotes=True)}: fetchmail reads this word as a keyword or a number, not a value, "
                "and takes none here",
                f"fetchmail itself refuses this file (syntax error at {shown(token.text)}): quote it if it is a value, "
                f'"{shown(token.text)}"',
            )
        else:
            lower = _ALIASES.get(token.text.lower(), token.text.lower())
            raise Unreadable(
                token.location,
                f"unknown keyword {shown(token.text, quotes=True)}",
                "fetchmail itself refuses this file (syntax error): "
                + (
                    f"fetchmail reads keywords in lower case only: write {shown(token.text.lower())}"
                    if lower in _KEYWORDS | _NOISE
                    else "fix or remove it"
                ),
            )
        negated = False
    for entry in entries:
        _account(entry, found)
    for entry in defaults_records + entries:
        other.extend(entry.other)
    other.sort(key=lambda located: (located[0].line, located[0].column))
    if other:
        found.warn(
            other[0][0],
            f"{counted(len(other), 'delivery or daemon setting')} ({named_kinds([name for _, name in other])}) "
            f"{plural(len(other), 'is not an account setting', 'are not account settings')}: not imported",
        )


#: what keep and no keep say on IMAP, where mailconf's leave_on_server (POP3 only) has no place
_KEPT_ON_IMAP = "keep on IMAP: fetchmail leaves the mail it fetches on the server; leave_on_server is for POP3 only"
_DELETED_ON_IMAP = (
    "no keep on IMAP: fetchmail deletes the mail it fetches from the server (its default); leave_on_server is for "
    "POP3 only"
)


def _defaults_record(
    token: Token, entries: list[_Entry], records: list[_Entry], defaults: _Entry, found: Collector
) -> _Entry:
    """The entry a ``defaults`` keyword starts. fetchmail (load_params) applies the file's first record, when it is
    a defaults one, to the records after it, and drops it; it refuses another defaults record after that, unless it
    is the next one, which it polls as a server named defaults."""
    if entries or len(records) > 1:
        raise Unreadable(
            token.location,
            "defaults after a poll entry, or after a defaults record that is not the first",
            'fetchmail itself refuses this file (multiple "defaults" records, or "defaults" is not the first record): '
            "write one defaults entry, first",
        )
    if not records:
        records.append(defaults)
        return defaults
    entry = _Entry("defaults", "defaults", token.location)
    _another_defaults(entry, records, found)
    return entry


def _another_defaults(entry: _Entry, records: list[_Entry], found: Collector) -> None:
    """``entry``, a second defaults record (``defaults user a there user b there``, or ``defaults`` twice): fetchmail
    applies only the first to the entries after it (they log in as ``a``), and polls this one as a server named
    defaults, which no account is."""
    records.append(entry)
    found.warn(
        entry.where,
        "a second defaults record (a second user, or defaults again): fetchmail gives the entries after it the "
        "first one's settings only, and polls a server named defaults with this one; not imported",
    )


_KEYWORDS = (
    frozenset(_READ)
    | frozenset(_OTHER)
    | _COMMANDS
    | _GLOBAL
    | {"bsmtp", "poll", "skip", "defaults", "set", "no", "server"}
)


def _is(token: Token, word: str) -> bool:
    return not token.quoted and token.text == word


def _significant(toks: Sequence[Token], i: int) -> int:
    """The index of the first token from ``i`` that the lexer does not drop (``with``, ``and`` ...)."""
    while i < len(toks) and not toks[i].quoted and toks[i].text in _DROPPED:
        i += 1
    return i


def _string_argument(token: Token, keyword: str) -> None:
    """Refuse ``token``, the value of a ``keyword`` whose grammar takes a STRING, where fetchmail's lexer reads it as
    another token (``sslproto auto``: the protocol auto; fetchmail says "syntax error at auto")."""
    if token.quoted or _NOT_A_STRING.fullmatch(token.text) is None:
        return
    if keyword in _SECRETS:
        raise Unreadable(
            token.location,
            f"{keyword} is followed by a word fetchmail reads as a keyword (not shown: it may be the password)",
            'fetchmail itself refuses this file (syntax error): quote the password, "like this"',
        )
    raise Unreadable(
        token.location,
        f"{keyword} {shown(token.text, quotes=True)}: fetchmail reads this word as a keyword, not a value",
        f"fetchmail itself refuses this file (syntax error at {shown(token.text)}): quote it, "
        f'{keyword} "{shown(token.text)}"',
    )


#: the keywords whose argument fetchmail's grammar takes as one kind of word only, what that is and an example
_TYPED = {
    "proto": (_PROTOCOL_WORD, "a protocol fetchmail knows (IMAP or imap, not Imap)", "proto IMAP"),
    "auth": (_AUTH_WORD, "an authentication type fetchmail knows (in lower case)", "auth password"),
    "bad-header": (re.compile("accept|reject"), "accept or reject, unquoted", "bad-header accept"),
}
_TYPED["protocol"], _TYPED["authenticate"] = _TYPED["proto"], _TYPED["auth"]
#: the keywords whose argument fetchmail's grammar takes as a NUMBER only (``port "993"``, ``timeout abc``: a STRING)
for _keyword in ("port", "timeout", "interval", "limit", "warnings", "fetchlimit", "fetchsizelimit", "fastuidl",
                 "batchlimit", "expunge", "daemon"):  # fmt: skip
    _TYPED[_keyword] = (re.compile("-?[0-9]+"), "an unquoted number", f"{_keyword} {993 if _keyword == 'port' else 60}")


def _typed_argument(token: Token, keyword: str) -> None:
    """Refuse the argument of ``proto`` or ``auth`` that fetchmail's lexer does not read as a protocol or an
    authentication type (``proto Imap``, ``auth PASSWORD``, ``proto "imap"``: a STRING, its grammar a syntax error)."""
    if keyword not in _TYPED:
        return
    pattern, what, example = _TYPED[keyword]
    if not token.quoted and pattern.fullmatch(token.text):
        return
    raise Unreadable(
        token.location,
        f"{keyword} {shown(token.text, quotes=True)}: not {what}",
        f"fetchmail itself refuses this file (syntax error at {shown(token.text)}): write {example}, without quotes",
    )


def _is_number(token: Token) -> bool:
    return not token.quoted and re.fullmatch("-?[0-9]+", token.text) is not None


def _list(toks: Sequence[Token], i: int, keyword: Token, least: int = 1, most: int | None = None) -> int:
    """Past the list from ``i`` of ``keyword`` (aka, localdomains, folder, smtphost, fetchdomains: rcfile_y.y's
    lists of STRINGs; antispam: of NUMBERs), at least ``least`` items, at most ``most``; fetchmail refuses an empty
    one (``smtphost keep``)."""
    item = _is_number if keyword.text == "antispam" else (lambda token: token.is_name)
    count = 0
    i = _significant(toks, i)
    while i < len(toks) and item(toks[i]) and (most is None or count < most):
        i, count = _significant(toks, i + 1), count + 1
    if count < least:
        what = "a number" if keyword.text == "antispam" else "a value"
        where = toks[i].location if i < len(toks) else keyword.location
        raise Unreadable(
            where,
            f"{keyword.text} without {what} after it",
            f"fetchmail itself refuses this file (syntax error): write {keyword.text} and its value (quote a value "
            'fetchmail reads as a keyword, "keep")',
        )
    return i


def _no_map(toks: Sequence[Token]) -> None:
    """Refuse an ``=`` among ``toks``, the values of a keyword (fetchmail: syntax error at =)."""
    for token in toks:
        if token.is_map:
            raise Unreadable(token.location, *_MAP_REFUSED)


def _names(toks: Sequence[Token], i: int) -> int:
    """Past the names from ``i`` (rcfile_y.y's mapping_list, after ``is``, ``to`` or ``user``): the first is a name
    whatever it says (the lexer's NAME state), as is the one after each ``=`` (``REMOTE = LOCAL``); the list ends
    at a keyword, ``here`` or ``there``. An ``=`` that does not follow a name alone is refused, as fetchmail does."""
    paired = True  # no name yet to pair
    first = True
    while i < len(toks):
        if not first:
            i = _significant(toks, i)
            if i >= len(toks):
                break
        token = toks[i]
        if token.is_map:
            if paired or i + 1 >= len(toks) or toks[i + 1].is_map:
                raise Unreadable(token.location, *_MAP_REFUSED)
            i, paired = i + 2, True  # the local name after it, whatever it says
            continue
        if not first and not token.is_name:
            break
        i, first, paired = i + 1, False, False
    return i


def _local_users(toks: Sequence[Token], i: int, user: Token, entry: _Entry) -> int:
    """``user NAME ... here`` (rcfile_y.y: USERNAME mapping_list HERE): the names are local users, and no remote one
    is named: fetchmail logs in as the user it runs as. Past the ``here``; without one, fetchmail refuses the file."""
    i = _names(toks, i)
    if i >= len(toks) or not _is(toks[i], "here"):
        where = toks[i].location if i < len(toks) else user.location
        raise Unreadable(
            where,
            "user names local users (REMOTE = LOCAL, or more than one name) without here after them",
            "fetchmail itself refuses this file (syntax error): write user REMOTE there is LOCAL here",
        )
    # no login: said when the entry is read, unless is REMOTE there
    entry.settings["user"] = _Setting("", user.location)
    return i + 1


def _remote_name(toks: Sequence[Token], start: int, there: int, keyword: Token) -> str:
    """The name of ``is NAME there`` (rcfile_y.y: IS STRING THERE, the remote user, as ``user NAME there`` names it),
    its tokens from ``start`` to ``there``; any other list before ``there`` fetchmail refuses."""
    if keyword.text != "is" or _significant(toks, start + 1) != there or toks[start].is_map:
        raise Unreadable(
            toks[there].location,
            f"{keyword.text} ... there: only is NAME there names the login (one name)",
            "fetchmail itself refuses this file (syntax error at there): write is REMOTE there, or LOCAL here",
        )
    return toks[start].text


def _skip_set(toks: Sequence[Token], i: int, keyword: Token, other: list[tuple[Location, str]]) -> int:
    """Past the statement ``keyword`` (set) starts at ``i``: one of fetchmail's own set statements, else the import
    stops at the word, as fetchmail refuses the file (``set warnings 3``: warnings is a user option)."""
    negated = i < len(toks) and _is(toks[i], "no")
    i += negated
    if i >= len(toks):
        raise Unreadable(keyword.location, "set without a setting", "fetchmail itself refuses this file: remove it")
    token = toks[i]
    word = "" if token.quoted else token.text
    if word not in (_SET_FLAGS if negated else _SET_VALUE | _SET_FLAGS):
        takes = ", ".join(sorted(_SET_VALUE)) + ", [no] " + ", [no] ".join(sorted(_SET_FLAGS))
        known = _ALIASES.get(word, word) in _KEYWORDS - {"set", "poll", "skip", "server", "defaults", "no"}
        fix = (
            "write it without quotes"
            if token.quoted and token.text in _SET_VALUE | _SET_FLAGS
            else f"write {shown(token.text)} in a poll entry, not after set"
            if known and not negated
            else "fix or remove it"
        )
        raise Unreadable(
            token.location,
            f"set {'no ' if negated else ''}{shown(token.text, quotes=True)}: no setting fetchmail's set takes "
            f"(set takes {takes})",
            f"fetchmail itself refuses this file (syntax error at {shown(token.text)}): {fix}",
        )
    other.append((token.location, f"set {'no ' if negated else ''}{word}"))
    i += 1
    if word in _SET_FLAGS:
        return i
    mapped = i < len(toks) and toks[i].is_map
    if mapped:  # rcfile_y.y's optmap
        if word == "daemon":  # after =, the lexer reads a word (NAME state), never the NUMBER daemon takes
            raise Unreadable(
                toks[i].location,
                "set daemon = N: fetchmail reads what follows = as a word, not the number it takes",
                "fetchmail itself refuses this file (syntax error): write set daemon N",
            )
        i += 1
    if i >= len(toks):
        raise Unreadable(token.location, f"set {word} has no value", f"write set {word} VALUE")
    _no_map(toks[i : i + 1])
    if word == "daemon":
        _typed_argument(toks[i], word)
    elif not mapped:  # after =, a word is a name (NAME state), whatever it says
        _string_argument(toks[i], word)
    return i + 1


def _beside(rc: str, file: str) -> str:
    """``file`` as fetchmail reads it (rcfile_y.y's prependdir): a relative path is taken from the folder of the run
    control file, made absolute from the current folder as fetchmail does (``-f ../rc``: ``$PWD/../FILE``); from
    standard input fetchmail keeps it as written, to open from the folder it runs in: here, the current one."""
    if not file or file.startswith("/") or file == "-":
        return file
    return os.path.join(os.getcwd(), "" if rc == STDIN else os.path.dirname(rc), file)


def _number(text: str) -> int:
    """A NUMBER of fetchmail's grammar (``-?[0-9]+``, _TYPED) as its lexer reads it, ``atoi()``: strtol's value, held
    to a 64-bit long, then cut to a 32-bit int (checked with fetchmail --configdump, 6.4.37: ``timeout 4294967326`` is
    30, ``timeout 2147483648`` is -2147483648)."""
    number = strtol(text)
    assert number is not None, text  # the lexer's NUMBER is -?[0-9]+
    return int32(number)


def _timeout(text: str, where: Location, found: Collector) -> int | None:
    """``timeout N`` as fetchmail uses it: 0 and -1 are its "not set", so its default of 300 s, as if no timeout
    was written (None: left out, as then); any other negative number is no time limit at all (configdump's 0,
    mailconf's ``timeout: 0``, which lint flags as MC707). A number fetchmail reads as another is said."""
    number = _number(text)
    if len(text) > 30 or int(text) != number:  # -0 and 007 are read as written
        found.warn(where, f"timeout {shown(text)}: fetchmail reads this number as {number} (a 32-bit int)")
    if number in (0, -1):
        return None
    return max(number, 0)


def _account(entry: _Entry, found: Collector) -> None:  # noqa: PLR0912, PLR0915
    settings = entry.settings

    def value(key: str) -> str | None:
        return settings[key][0] if key in settings else None

    #: the commands and bsmtp, the entry's own or the defaults' it inherits (at the defaults' line), in file order
    lost = [
        (setting.where, _BSMTP if key == "bsmtp" else f"{key} runs a command: not run, not imported")
        for key, setting in sorted(settings.items(), key=lambda item: (item[1].where.line, item[1].where.column))
        if key in _COMMANDS or key == "bsmtp"
    ]
    proto = (value("proto") or "auto").lower()
    protocol = _PROTOCOLS.get(proto)
    if protocol is None:
        where = settings["proto"].where if "proto" in settings else entry.where
        if proto in ("etrn", "odmr", "pop2"):
            found.warn(where, f"poll {shown(entry.name)}: proto {proto.upper()} is not IMAP or POP3; not imported")
            return
        protocol = "imap"
        lost.append(
            (where, f"proto {shown(proto.upper())}: fetchmail tries IMAP, then POP3; imported as IMAP, check it")
        )
    elif proto != protocol:
        lost.append(
            (
                settings["proto"].where,
                f"proto {proto.upper()} is imported as POP3 (its login variant is not kept)",
            )
        )
    server: dict[str, Any] = {"protocol": protocol, "host": value("via") or entry.name}
    keyword = "service" if "service" in settings else "port"
    port = value(keyword)
    ssl = "ssl" in settings
    number = None
    if port is not None and _NUMBER.fullmatch(port) and not settings[keyword].quoted:
        # rcfile_y.y keeps SERVICE NUMBER and PORT NUMBER as the "%d" of the lexer's atoi(); a quoted one is a STRING
        number = _number(port)
        if len(port) > 30 or int(port) != number:
            lost.append((settings[keyword][1], f"{keyword} {port}: fetchmail reads this number as {number} (a 32-bit "
                                               "int)"))  # fmt: skip
    elif port is not None:
        number = _servport(port)
        if number is not None and 0 < number <= _MAX_PORT and _BLANK_AFTER.search(port):
            found.warn(
                settings[keyword][1],
                f"poll {shown(entry.name)}: {keyword} {shown(port, quotes=True)}: fetchmail starts with it (servport() "
                "reads the number), but each poll fails: it connects with getaddrinfo, which takes no blank after the "
                f"number; not imported: write {keyword} {number}",
            )
            return
    if number is not None and not 0 < number <= _MAX_PORT:
        found.warn(  # fetchmail's servport(): strtoul, 0 or past 65535 (a negative number wraps past it) is no port
            settings[keyword][1],
            f"poll {shown(entry.name)}: {keyword} {shown(port, quotes=True)} is no port number (fetchmail takes 1 to "
            f"{_MAX_PORT}): fetchmail stops at start ('configuration invalid, specify positive port number for "
            f"service or port') and polls nothing; not imported: write the port number, such as {keyword} "
            f"{_DEFAULT_PORTS[protocol, ssl]} (fetchmail's for {protocol.upper()}{' with ssl' if ssl else ''})",
        )
        return
    if port is not None and number is None:  # a name fetchmail looks up, not a mail service's
        fix = (
            f"write {port.lower()}, in lower case (the name is looked up exactly)"
            if port.lower() in _SERVICES
            else f"write the port number instead, such as service {_DEFAULT_PORTS[protocol, ssl]} (fetchmail's for "
            f"{protocol.upper()}{' with ssl' if ssl else ''})"
        )
        found.warn(
            settings[keyword][1],
            f"poll {shown(entry.name)}: service {shown(port, quotes=True)} is neither a port number nor a mail "
            f"service name ({', '.join(_SERVICE_NAMES)}); not imported: {fix}",
        )
        return
    sslproto = value("sslproto")
    security = "tls" if ssl else "none" if sslproto == "" else "starttls" if sslproto is not None else None
    if security is None:
        security = "starttls-optional"
        lost.append(
            (
                entry.where,
                "neither ssl nor sslproto: fetchmail upgrades with STARTTLS only when offered "
                '(starttls-optional, which render refuses); add sslproto "auto" to make it mandatory',
            )
        )
    server["port"] = _DEFAULT_PORTS[protocol, ssl] if number is None else number
    server["security"] = security
    auth = (value("auth") or "any").lower()
    if auth in ("cram", "cram-md5"):
        server["auth"] = "password"
        server["mechanisms"] = ["cram-md5"]
    elif auth in _AUTH:
        server["auth"] = _AUTH[auth]
    else:
        server["auth"] = "password"
        lost.append(
            (
                settings["auth"].where if "auth" in settings else entry.where,
                f"auth {shown(auth)} has no place in an account file; imported as auth password",
            )
        )
    user = value("user")
    if user:
        server["username"] = user
    elif "user" in settings:  # user LOCAL ... here, and no is REMOTE there
        lost.append(
            (
                settings["user"][1],
                "user ... here names local users, not the login: fetchmail logs in as the user it runs as; "
                "set username (user REMOTE there is LOCAL here)",
            )
        )
    tls: dict[str, Any] = {}
    if security != "none":
        if sslproto is not None and sslproto in _MIN_VERSION:
            tls["min_version"] = _MIN_VERSION[sslproto]
        elif sslproto not in (None, "auto"):
            lost.append(
                (
                    settings["sslproto"][1],
                    f"sslproto {shown(sslproto, quotes=True)} is not a TLS version mailconf knows",
                )
            )
        for key, field in (("sslcertfile", "ca_file"), ("sslcert", "client_cert"), ("sslkey", "client_key")):
            if value(key):
                tls[field] = _beside(settings[key][1].path, settings[key][0])
        pin = value("sslfingerprint")
        if pin:
            tls["fingerprint"] = f"md5:{pin.upper()}"
        elif "no sslcertck" in settings:
            tls["verify"] = False
    for key, how in _UNHELD_TLS.items():
        if key in settings:
            lost.append((settings[key][1], f"{key} {shown(settings[key][0], quotes=True)}: {how}: not imported"))
    if tls:
        server["tls"] = tls
    if "timeout" in settings:
        timeout = _timeout(settings["timeout"].text, settings["timeout"].where, found)
        if timeout is not None:
            server["timeout"] = timeout
    keep = True if "keep" in settings else False if "nokeep" in settings else None
    if keep is not None and protocol == "pop3":
        server["leave_on_server"] = keep
    elif keep is not None:
        lost.append((settings["keep" if keep else "nokeep"][1], _KEPT_ON_IMAP if keep else _DELETED_ON_IMAP))
    folder = value("folder")
    if folder is not None and folder.upper() != "INBOX":
        lost.append((settings["folder"][1], f"folder {shown(folder, quotes=True)}: mailconf reads INBOX"))
    address = guess_address(user, entry.name, server["host"])
    name = found.add(entry.name, {"address": address, "incoming": server}, entry.where)
    side = ("accounts", name, "incoming")
    if not is_address(user):
        found.lost(
            entry.where, ("accounts", name, "address"), "fetchmail names no address: this one is a guess, check it"
        )
    if entry.keyword == "skip":
        found.comment(side, "skip in the file: fetchmail polls it only when named")
    if "password" in settings:
        found.literal_password(settings["password"].where, side)
    for where, message in lost:
        found.lost(where, side, message)
