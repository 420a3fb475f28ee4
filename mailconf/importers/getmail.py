r"""``mailconf import --from getmail ~/.config/getmail/*.getmailrc`` reads getmail6 rc files: one account per file
(getmail reads one account's retriever from each), named after the file (``work.getmailrc`` and ``getmailrc-work``
give ``work``).

Each file is read by Python's ``RawConfigParser``, as getmail6 reads it. Where getmail runs
``eval()`` on a value (``password_command``, ``ssl_fingerprints``, numbers), the importer reads it
with ``ast.literal_eval``: a Python literal and nothing else, never evaluated as code. The literal
is then taken as getmail takes it: a number is its ``int()`` (``timeout = 30.9`` is 30, ``port =
'0993'`` is 993), each item of a tuple its ``str()`` (``('pass', 5)`` runs ``pass 5``). getmail
applies ``[DEFAULT]`` to ``[options]`` only (it clears it before reading ``[retriever]``): a
``[DEFAULT]`` server, port or command is reported, not imported. Without an ``[options]`` section
getmail takes nothing from ``[DEFAULT]`` (it asks ``has_option('options', ...)``, False for a
section that is not there): a ``[DEFAULT] delete = true`` there keeps the mail on the server, as
getmail keeps it, and is reported.

| getmailrc | account file |
|---|---|
| ``[retriever] type`` ``Simple``/``BrokenUIDL``/``Multidrop`` ``POP3``/``IMAP`` ``Retriever`` / ``SSLRetriever`` | the
  ``incoming.protocol`` pop3 / imap, ``security: none`` / ``tls`` |
| ``server``, ``port`` (absent: 110, 995, 143, 993), ``username``, ``timeout`` | ``host``, ``port``, ``username``,
  ``timeout`` |
| ``password_command = ('/bin/sh', '-c', 'COMMAND')`` (or the getmail target's first-line script around it) /
  ``('pass', 'show', 'x')`` | ``password_command: COMMAND`` /
  ``pass show x`` (the words quoted for the shell); ``token_command`` with ``use_xoauth2`` |
| ``use_xoauth2`` / ``use_kerberos`` / ``use_cram_md5`` | ``auth: oauth2`` / ``gssapi`` / ``password`` +
  ``mechanisms: [cram-md5]`` |
| ``ca_certs`` (the system bundle ``/etc/ssl/certs/ca-certificates.crt``: no ``ca_file``) / none | ``tls.ca_file``
  / ``tls.verify: false`` (getmail then accepts any certificate) |
| ``ssl_fingerprints`` (the first), ``certfile``, ``keyfile`` | ``tls.fingerprint`` (``sha256:``),
  ``tls.client_cert``, ``tls.client_key`` |
| ``[options] delete`` false (the default) / true, ``delete_after`` | POP3: ``leave_on_server`` true / false,
  ``leave_days`` |

Nothing is run or evaluated. A literal ``password`` is not copied (a comment and a warning
tell you to use a password command). ``use_starttls`` is ignored by getmail 6.18.11 (the
connection stays in clear text) and reported. The ``[destination]`` (the local Maildir or
command) is not an account setting and is not imported; ``[filter-*]`` sections run commands and
are reported; ``[options]`` other than ``delete``/``delete_after`` are getmail's own (one warning
names them). getmail names no address: the ``username`` is the address when it is one, otherwise a
guess that the output comments. A file getmail refuses (no ``[retriever]``, an unknown ``type``, a
value that is not the literal getmail expects) stops the import with its line (exit 2).
"""

from __future__ import annotations

import ast
import posixpath
import shlex
from collections.abc import Sequence
from typing import Any

from ..model import Location
from ..targets.getmail import DEFAULT_SYSTEM_CA_FILE, FIRST_LINE, FIRST_LINE_NAME
from . import Imported, ReadOptions, Unreadable
from ._base import Collector, guess_address, is_address, python_source, shown
from ._ini import Ini, read_ini

NAME = "getmail"
TITLE = "getmail: getmail6 rc files, one account each (~/.config/getmail/*.getmailrc)"

_WHAT = "a getmail rc file (~/.config/getmail/NAME.getmailrc)"
#: retriever type -> (protocol, TLS, default port); getmailcore/retrievers.py
_RETRIEVERS = {
    f"{kind}{protocol}{ssl}Retriever": (protocol.lower(), bool(ssl), port)
    for kind in ("Simple", "BrokenUIDL", "Multidrop")
    for protocol, ssl, port in (("POP3", "", 110), ("POP3", "SSL", 995), ("IMAP", "", 143), ("IMAP", "SSL", 993))
    if not (kind == "BrokenUIDL" and protocol == "IMAP")
}
_READ = frozenset(("type", "server", "port", "username", "password", "password_command", "use_xoauth2",
                   "use_kerberos", "use_cram_md5", "ca_certs", "ssl_fingerprints", "certfile", "keyfile",
                   "timeout"))  # fmt: skip
_OPTIONS_READ = frozenset(("delete", "delete_after", "read_all"))


def read(paths: Sequence[str], options: ReadOptions) -> Imported:
    found = Collector()
    for path in paths:
        _read_file(path, found)
    return found.result()


def _name(path: str) -> str:
    """NAME.getmailrc (what the target writes), else getmailrc-NAME, else the file name."""
    base = posixpath.basename(path)
    if base.endswith(".getmailrc") and len(base) > len(".getmailrc"):
        return base[: -len(".getmailrc")]
    for prefix in ("getmailrc-", "getmailrc_", "getmailrc."):
        if base.startswith(prefix) and len(base) > len(prefix):
            return base[len(prefix) :]
    return base.lstrip(".") or "getmail"


def _literal(ini: Ini, section: str, key: str) -> Any:
    """What getmail's eval() would give for a literal, read with ast.literal_eval (None when absent)."""
    text = ini.get(section, key)
    if text is None:
        return None
    try:
        with python_source():
            return ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        raise Unreadable(
            ini.at(section, key),
            f"{shown(key)} is not a Python literal (getmail would eval() it: not read)",
            "write a literal, like ('/bin/sh', '-c', 'pass show mail') or 993",
        ) from None


def _integer(ini: Ini, section: str, key: str) -> int | None:
    """getmail's ``int(eval(value))`` (ConfInt): the int() of the literal, so ``30.9`` is 30, ``'993'`` 993 and
    ``True`` 1, as getmail reads them; what int() refuses, getmail refuses."""
    value = _literal(ini, section, key)
    if value is None:
        return None
    try:
        return int(value)
    except (ValueError, TypeError, OverflowError):  # OverflowError: 1e999, where getmail stops with a traceback
        raise Unreadable(
            ini.at(section, key), f"{shown(key)} is not a whole number (getmail refuses the file)", "write digits only"
        ) from None


def _strings(ini: Ini, section: str, key: str) -> tuple[str, ...] | None:
    """getmail's ConfTupleOfStrings: a tuple literal, each item made a string by str() (``('pass', 5)`` runs
    ``pass 5``)."""
    if not (ini.get(section, key) or "").strip():
        return None  # getmail: an empty value is ()
    value = _literal(ini, section, key)
    if not isinstance(value, tuple):
        raise Unreadable(ini.at(section, key), f"{shown(key)} is not a tuple (getmail refuses the file)",
                         "write ('word', 'word', ...)")  # fmt: skip
    try:
        return tuple(str(v) for v in value)
    except ValueError:  # str() of an int of over 4,300 digits (0xfff...): getmail stops with a traceback
        raise Unreadable(
            ini.at(section, key),
            f"{shown(key)} holds a number too long to be a word (getmail stops there)",
            "write ('word', 'word', ...)",
        ) from None


def _read_file(path: str, found: Collector) -> None:  # noqa: PLR0912, PLR0915
    whole = read_ini(path, _WHAT, interpolation=False, client="getmail")
    ini = whole.without_defaults()  # getmail reads [DEFAULT] into [options] only
    if not ini.parser.has_section("retriever"):
        raise Unreadable(Location(path, 1, 1), "no [retriever] section (getmail refuses the file)",
                         f"check that the file is {_WHAT}")  # fmt: skip
    kind = ini.get("retriever", "type")
    if kind is None or kind not in _RETRIEVERS:
        at = ini.at("retriever", "type") if kind is not None else ini.section_at("retriever")
        raise Unreadable(at, f"retriever type {shown(kind, quotes=True)} is not one getmail has (or not an account's)",
                         "use SimpleIMAPSSLRetriever, SimplePOP3SSLRetriever ...")  # fmt: skip
    protocol, ssl, default_port = _RETRIEVERS[kind]
    lost: list[tuple[Location, str]] = []
    host = ini.get("retriever", "server")
    if not host:
        raise Unreadable(ini.section_at("retriever"), "no server (getmail refuses the file)", "add server = HOST")
    server: dict[str, Any] = {"protocol": protocol, "host": host}
    port = _integer(ini, "retriever", "port")
    server["port"] = port if port is not None else default_port
    server["security"] = "tls" if ssl else "none"
    user = ini.get("retriever", "username")
    if user:
        server["username"] = user
    flags = {f: ini.boolean("retriever", f, False) for f in ("use_xoauth2", "use_kerberos", "use_cram_md5")}
    if flags["use_xoauth2"]:
        server["auth"] = "oauth2"
    elif flags["use_kerberos"]:
        server["auth"] = "gssapi"
    else:
        server["auth"] = "password"
        if flags["use_cram_md5"]:
            server["mechanisms"] = ["cram-md5"]
    argv = _strings(ini, "retriever", "password_command")
    if argv:
        command = _command(argv)
        if server["auth"] == "gssapi":
            lost.append((ini.at("retriever", "password_command"), "password_command with use_kerberos: not used"))
        else:
            server["token_command" if server["auth"] == "oauth2" else "password_command"] = command
    tls: dict[str, Any] = {}
    if ssl:
        ca = ini.get("retriever", "ca_certs")
        pins = _strings(ini, "retriever", "ssl_fingerprints") or ()
        if ca is not None and ca != DEFAULT_SYSTEM_CA_FILE:
            tls["ca_file"] = ca
        if pins:
            pin = pins[0].lower().replace(":", "")
            if len(pin) != 64 or any(c not in "0123456789abcdef" for c in pin):
                raise Unreadable(ini.at("retriever", "ssl_fingerprints"), "ssl_fingerprints must each be a SHA-256 "
                                 "hash in hex (getmail refuses the file)", "write 64 hex digits")  # fmt: skip
            tls["fingerprint"] = "sha256:" + ":".join(pin[i : i + 2].upper() for i in range(0, 64, 2))
            if len(pins) > 1:
                lost.append((ini.at("retriever", "ssl_fingerprints"), f"ssl_fingerprints: getmail accepts any of "
                             f"{len(pins)} certificates; the first is imported"))  # fmt: skip
        elif ca is None:
            tls["verify"] = False  # getmail checks no certificate without ca_certs
        certfile, keyfile = ini.get("retriever", "certfile"), ini.get("retriever", "keyfile")
        if certfile:
            tls["client_cert"] = certfile
        if keyfile and keyfile != certfile:
            tls["client_key"] = keyfile
    else:
        for key in ("ca_certs", "ssl_fingerprints", "certfile", "keyfile"):
            if ini.has("retriever", key):
                lost.append((ini.at("retriever", key), f"{key} applies to the SSL retrievers only: not imported"))
    if tls:
        server["tls"] = tls
    timeout = _integer(ini, "retriever", "timeout")
    if timeout is not None:
        server["timeout"] = timeout
    if whole.parser.has_section("options"):
        delete = whole.boolean("options", "delete", False)
        after = _option_integer(whole, "delete_after")
        if protocol == "pop3":
            server["leave_on_server"] = not delete
            if after and not delete:
                server["leave_days"] = after
        elif delete or after:
            key = "delete" if delete else "delete_after"
            lost.append((whole.at("options", key), f"{key}: getmail deletes the messages from the IMAP server: "
                         "not imported (an account file keeps IMAP mail on the server)"))  # fmt: skip
        if whole.boolean("options", "read_all", False) and "read_all" in whole.own("options"):
            lost.append((whole.at("options", "read_all"), "read_all = true: getmail fetches every message on each "
                         "run: not imported"))  # fmt: skip
        program = [k for k in whole.own("options") if k not in _OPTIONS_READ]
        if program:
            found.warn(whole.at("options", program[0]), f"getmail's options ({shown(', '.join(program))}) are not "
                       "account settings: not imported")  # fmt: skip
    elif protocol == "pop3":
        server["leave_on_server"] = True  # getmail's default: delete = false
    wanted = _name(path)
    address = guess_address(user, wanted, host)
    name = found.add(wanted, {"address": address, "incoming": server}, ini.section_at("retriever"))
    side = ("accounts", name, "incoming")
    if not is_address(user):
        found.lost(ini.section_at("retriever"), ("accounts", name, "address"),
                   "getmail names no address: this one is a guess, check it")  # fmt: skip
    if ini.has("retriever", "password"):
        found.literal_password(ini.at("retriever", "password"), side)
    for key in ini.own("retriever"):
        if key in _READ:
            continue
        if key == "use_starttls":
            message = "use_starttls: getmail 6.18.11 ignores it, the connection stays in clear text: not imported"
        else:
            message = f"getmail's {shown(key)} has no place in an account file"
        found.lost(ini.at("retriever", key), side, message)
    if whole.parser.has_section("options"):
        ignored, why = [k for k in whole.defaults() if k not in _OPTIONS_READ], "not to [retriever]: not imported"
    else:  # getmail asks has_option("options", KEY), False without the section: [DEFAULT] reaches nothing
        ignored, why = whole.defaults(), "and the file has no [options] section: getmail ignores it, not imported"
    if ignored:
        found.lost(whole.at("DEFAULT", ignored[0]), side, f"[DEFAULT] ({shown(', '.join(ignored))}): getmail "
                   f"applies it to [options] only, {why}")  # fmt: skip
    for section in ini.sections():
        if section.lower().startswith("filter"):
            found.lost(ini.section_at(section), side, f"[{shown(section)}] filters the mail (a filter may run a "
                       "command): not run, not imported")  # fmt: skip
    for at, message in lost:
        found.lost(at, side, message)


def _command(argv: tuple[str, ...]) -> str:
    """The shell command line an argv runs: the COMMAND of ``('/bin/sh', '-c', COMMAND)`` and of the first-line
    script the getmail target writes around it; any other argv quoted for the shell."""
    if len(argv) == 3 and argv[:2] == ("/bin/sh", "-c"):
        return argv[2]
    if len(argv) == 5 and argv[:4] == ("/bin/sh", "-c", FIRST_LINE, FIRST_LINE_NAME):
        return argv[4]
    return shlex.join(argv)


def _option_integer(ini: Ini, key: str) -> int | None:
    """[options] integers: getmail reads them with getint (int(), no eval)."""
    return ini.integer("options", key)
