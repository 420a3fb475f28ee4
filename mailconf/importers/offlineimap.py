r"""``mailconf import --from offlineimap ~/.offlineimaprc ~/.offlineimap-mailconf.py`` reads an offlineimap3
configuration (and the ``pythonfile`` mailconf writes beside it): one account per ``[Account NAME]`` section whose
``remoterepository`` is an ``IMAP`` (or ``Gmail``) repository.

The file is read by Python's ``ConfigParser``, as offlineimap3 reads it: ``%%`` is a percent sign,
``%(name)s`` takes another setting of the section or of ``[DEFAULT]``, an indented line continues
the value above. Give the pythonfile on the command line too (a path ending in ``.py``); without
one, the file that ``pythonfile`` in ``[general]`` names is read (not one whose leading ``~`` names
no home directory, HOME being unset and the user without a passwd entry: that is reported). A pythonfile
not found or not read is warned about at the first account that needs it, and the other accounts in one more
warning that counts them (each account's comment in the output names its line).

| .offlineimaprc | account file |
|---|---|
| ``[Account NAME]``, its ``remoterepository`` | the account ``NAME``, ``incoming.protocol: imap`` |
| ``remotehost``, ``remoteport`` (absent: 993 with ``ssl``, else 143), ``remoteuser`` | ``host``, ``port``,
  ``username`` |
| ``ssl = yes`` (the default) / ``ssl = no`` + ``starttls = no`` / ``ssl = no`` + ``starttls = yes`` (the
  default) | ``security: tls`` / ``none`` / ``starttls-optional`` (offlineimap starts TLS only when offered:
  reported, render refuses it) |
| ``sslcacertfile`` (a path; ``OS-DEFAULT`` is the system CAs) | ``tls.ca_file`` |
| ``cert_fingerprint`` (sha1 or sha256 hex; without ``sslcacertfile`` only the pin is checked) | ``tls.fingerprint``
  (and ``tls.verify: false`` when no CAs are checked) |
| ``sslclientcert``, ``sslclientkey``, ``ssl_version`` | ``tls.client_cert``, ``tls.client_key``,
  ``tls.min_version`` |
| ``auth_mechanisms`` ``GSSAPI`` / ``XOAUTH2`` / others | ``auth: gssapi`` / ``oauth2`` / ``password`` +
  ``mechanisms`` |
| ``remotepasseval = mailconf_password('NAME')``, ``oauth2_access_token_eval = mailconf_token('NAME')`` | the
  ``password_command``, ``token_command`` that the pythonfile holds for ``NAME`` |
| ``socktimeout`` in ``[general]`` | ``timeout`` on every account (offlineimap has one for all) |

Nothing is run or evaluated. The pythonfile is read as Python source (never loaded): its
commands are taken only if the file is the one mailconf writes (its code is the template's, the
commands string literals). Any other ``remotepasseval``, ``*_eval``, ``nametrans`` or
``folderfilter`` is Python offlineimap evaluates, and ``presynchook``, ``postsynchook``,
``preauthtunnel`` ... are commands: each is reported (a comment and a warning with its line),
never imported. offlineimap uses the value of ``remotehosteval``, ``remoteporteval`` or
``remoteusereval`` in place of ``remotehost``, ``remoteport`` or ``remoteuser``: one that is a
literal (``remoteusereval = "alice@example.com"``, ``remoteporteval = 993``) is read as the value
offlineimap evaluates it to, without running it; an account with any other is not imported (its
server is in code). ``auth_mechanisms`` is split as offlineimap
splits it (at ``,`` and the blanks after it): ``GSSAPI ,PLAIN`` names ``GSSAPI `` (a blank
kept), which offlineimap refuses, and that is reported. A literal ``remotepass``,
``oauth2_refresh_token`` or ``oauth2_client_secret`` is not copied: set a ``password_command``
or ``token_command``. A literal ``oauth2_access_token`` is what offlineimap uses even beside an
``oauth2_access_token_eval`` (which it then never evaluates): neither is imported, and both are reported.
offlineimap names no address: the ``remoteuser`` is the address when it is one, otherwise a guess
that the output comments. The local repository (the Maildir) is not an account setting and is
not imported; nor are ``[general]``'s program settings (one warning names them).
A file ConfigParser refuses (a line that is no setting, a section or key given twice, a bad
``%``) stops the import with its line (exit 2), as offlineimap stops.
"""

from __future__ import annotations

import ast
import os
import posixpath
import re
from collections.abc import Sequence
from typing import Any, NamedTuple

from ..errors import counted
from ..model import Location
from . import Imported, ReadOptions, Unreadable
from ._base import Collector, expand_home, guess_address, is_address, no_home, python_source, read_text, shown
from ._ini import Ini, read_ini

NAME = "offlineimap"
TITLE = "offlineimap: ~/.offlineimaprc and mailconf's pythonfile (IMAP accounts)"

_WHAT = "an offlineimap configuration file (~/.offlineimaprc)"
_KNOWN_MECHANISMS = ("GSSAPI", "XOAUTH2", "CRAM-MD5", "PLAIN", "LOGIN")
#: what mailconf's target writes for an auth without mechanisms: read back as no mechanisms
_DEFAULT_MECHANISMS = {"password": ["cram-md5", "plain", "login"], "oauth2": ["xoauth2"], "gssapi": ["gssapi"]}
_SSL_VERSIONS = {"tls1": "1.0", "tls1_1": "1.1", "tls1_2": "1.2"}
_PINS = {40: "sha1", 64: "sha256"}
#: remote repository keys read into the account (the others are reported)
_READ = frozenset(
    [
        "type",
        "remotehost",
        "remoteport",
        "remoteuser",
        "ssl",
        "starttls",
        "sslcacertfile",
        "cert_fingerprint",
        "sslclientcert",
        "sslclientkey",
        "ssl_version",
        "auth_mechanisms",
        "remotepasseval",
        "oauth2_access_token_eval",
        "remotepass",
        "remotepassfile",
        "oauth2_access_token",
        "oauth2_refresh_token",
        "oauth2_client_secret",
    ]
)
_SECRETS = ("oauth2_access_token", "oauth2_refresh_token", "oauth2_client_secret")
_COMMANDS = frozenset(("presynchook", "postsynchook", "newmail_hook", "preauthtunnel", "transporttunnel"))
_PYTHON = frozenset(("nametrans", "folderfilter", "foldersort", "folderincludes", "idlefolders"))
_GENERAL = frozenset(("accounts", "pythonfile", "socktimeout"))
_TLS_KEYS = ("sslcacertfile", "cert_fingerprint", "sslclientcert", "sslclientkey", "ssl_version")


def read(paths: Sequence[str], options: ReadOptions) -> Imported:
    found = Collector()
    pythonfiles = [p for p in paths if p.endswith(".py")]
    for path in paths:
        if not path.endswith(".py"):
            _read_file(path, pythonfiles, found)
    return found.result()


class _Commands(NamedTuple):
    """What mailconf's pythonfile holds: account name -> command (None: no usable pythonfile, and why)."""

    passwords: dict[str, str] | None
    tokens: dict[str, str] | None
    problem: tuple[Location, str] | None


def _read_file(path: str, pythonfiles: list[str], found: Collector) -> None:
    ini = read_ini(path, _WHAT, interpolation=True, client="offlineimap")
    listed: list[str] | None = None
    if ini.has("general", "accounts"):
        listed = [n.lstrip() for n in (ini.get("general", "accounts") or "").split(",")]  # as offlineimap splits
    # looked up, not searched for: a list of 20,000 accounts searched for each account took 8 s of 14.5
    in_general = None if listed is None else frozenset(listed)
    timeout = ini.integer("general", "socktimeout") if ini.parser.has_section("general") else None
    if ini.parser.has_section("general"):
        program = [k for k in ini.own("general") if k not in _GENERAL]
        if program:
            found.warn(
                ini.at("general", program[0]),
                f"offlineimap's program settings ({', '.join(program)}) are not account settings: not imported",
            )
    commands: _Commands | None = None
    # a pythonfile not found or not read is one cause for every account: warned once, then counted (key, message) ->
    # the places after the first (10,000 accounts printed 9,000 warnings of it); each account keeps its comment
    once: dict[tuple[str, str], list[Location]] = {}
    uses_pythonfile = _uses_pythonfile(ini)  # once: it looks at every section (per account, it was quadratic)
    names = {s[len("Account ") :].lstrip() for s in ini.sections() if s.startswith("Account ")}
    for name in listed or []:
        if name and name not in names:
            found.warn(ini.at("general", "accounts"), f"[general] accounts names {shown(name, quotes=True)}, which "
                       f"has no [Account {shown(name)}] section (offlineimap stops there): not imported")  # fmt: skip
    for section in ini.sections():
        if not section.startswith("Account "):
            continue
        name = section[len("Account ") :].lstrip()
        if commands is None and uses_pythonfile:
            commands = _pythonfile(ini, path, pythonfiles)
        _account(ini, section, name, listed=in_general, timeout=timeout, commands=commands, found=found, once=once)
    for (key, _), more in once.items():
        if more:
            found.warn(more[0], f"{key} of {counted(len(more), 'more account')} (this line and on): the same; each is "
                       "a comment in the output")  # fmt: skip


def _uses_pythonfile(ini: Ini) -> bool:
    return any(ini.has(s, k) for s in ini.sections() for k in ("remotepasseval", "oauth2_access_token_eval"))


def _account(  # noqa: PLR0912, PLR0915
    ini: Ini, section: str, wanted: str, *, listed: frozenset[str] | None, timeout: int | None,
    commands: _Commands | None, found: Collector, once: dict[tuple[str, str], list[Location]],
) -> None:  # fmt: skip
    where = ini.section_at(section)
    remote = ini.get(section, "remoterepository")
    repository = f"Repository {remote}"
    if remote is None or not ini.parser.has_section(repository):
        missing = "no remoterepository" if remote is None else f"no [Repository {shown(remote)}] section"
        found.warn(where, f"account {shown(wanted, quotes=True)}: {missing} (offlineimap stops there): not imported")
        return
    kind = (ini.get(repository, "type") or "").strip()
    if kind not in ("IMAP", "Gmail"):
        found.warn(ini.at(repository, "type"), f"account {shown(wanted, quotes=True)}: remote repository type "
                   f"{shown(kind, quotes=True)} is not IMAP or Gmail (offlineimap refuses it): "
                   "not imported")  # fmt: skip
        return
    evaluated: dict[str, str | int] = {}  # offlineimap evaluates each and uses its value over the plain setting's
    for key, plain in (("remotehosteval", "remotehost"), ("remoteporteval", "remoteport"),
                       ("remoteusereval", "remoteuser")):  # fmt: skip
        text = ini.get(repository, key)
        if text is None:
            continue
        literal = _literal(text, int if key == "remoteporteval" else str)
        if literal is None:
            found.warn(ini.at(repository, key), f"account {shown(wanted, quotes=True)}: {key} is Python that "
                       f"offlineimap evaluates in place of {plain} (not run): not imported")  # fmt: skip
            return
        evaluated[plain] = literal
    lost: list[tuple[Location, str]] = []
    quiet: list[tuple[Location, str]] = []  # what the account's comment says, not a warning of its own

    def value(key: str) -> str | None:
        literal = evaluated.get(key)
        return literal if isinstance(literal, str) else ini.get(repository, key)

    host = value("remotehost") or ("imap.gmail.com" if kind == "Gmail" else None)
    if host is None:
        found.warn(
            where, f"account {shown(wanted, quotes=True)}: no remotehost (offlineimap stops there): not imported"
        )
        return
    ssl = ini.boolean(repository, "ssl", True)
    starttls = ini.boolean(repository, "starttls", True)
    server: dict[str, Any] = {"protocol": "imap", "host": host}
    port = evaluated.get("remoteport", ini.integer(repository, "remoteport"))
    server["port"] = port if port is not None else (993 if ssl or kind == "Gmail" else 143)
    if ssl:
        server["security"] = "tls"
    elif starttls:
        server["security"] = "starttls-optional"
        lost.append((ini.at(repository, "ssl"), "ssl = no with starttls: offlineimap starts TLS only when the "
                     "server offers it and then checks no certificate (starttls-optional, which render refuses); "
                     "use ssl = yes on port 993"))  # fmt: skip
    else:
        server["security"] = "none"
    user = value("remoteuser")
    if user:
        server["username"] = user
    # auth: what the secrets say, else what the mechanisms say
    mechs_text = value("auth_mechanisms")
    # split as offlineimap's getconflist splits: "GSSAPI ,PLAIN" gives "GSSAPI ", and "PLAIN," an empty name
    mechs = re.split(r",\s*", mechs_text.strip()) if mechs_text is not None else []
    token = any(ini.has(repository, k) for k in ("oauth2_access_token_eval", "oauth2_access_token",
                                                  "oauth2_refresh_token", "oauth2_refresh_token_eval"))  # fmt: skip
    password = any(ini.has(repository, k) for k in ("remotepasseval", "remotepass", "remotepassfile"))
    if token:
        auth = "oauth2"
    elif password:
        auth = "password"
    elif mechs == ["GSSAPI"]:
        auth = "gssapi"
    elif mechs == ["XOAUTH2"]:
        auth = "oauth2"
    else:
        auth = "password"
    server["auth"] = auth
    unknown = [m for m in mechs if m not in _KNOWN_MECHANISMS]
    if unknown:
        names = ", ".join(shown(m, quotes=True) for m in unknown)
        lost.append((ini.at(repository, "auth_mechanisms"), f"offlineimap knows no {names} (it stops there): left "
                     "out of mechanisms"))  # fmt: skip
    named = [m.lower() for m in mechs if m in _KNOWN_MECHANISMS]
    if named and named != _DEFAULT_MECHANISMS[auth]:
        server["mechanisms"] = named
    # the commands, from mailconf's pythonfile
    for key, field, table in (("remotepasseval", "password_command", 0), ("oauth2_access_token_eval",
                                                                         "token_command", 1)):  # fmt: skip
        text = value(key)
        if text is None:
            continue
        if key == "oauth2_access_token_eval" and ini.has(repository, "oauth2_access_token"):
            lost.append((ini.at(repository, key), f"{key}: offlineimap uses the oauth2_access_token beside it and "
                         "never evaluates this one: not imported"))  # fmt: skip
            continue
        command = _command(text, key, commands, table)
        if isinstance(command, str):
            if field == "password_command" and auth != "password":
                lost.append(
                    (ini.at(repository, key), f"{key}: a password command with auth {shown(auth)}: not imported")
                )
            else:
                server[field] = command
        elif commands is not None and commands.problem is not None and (key, command[0]) in once:
            quiet.append((ini.at(repository, key), command[0]))  # a comment; the warning counts it
            once[key, command[0]].append(quiet[-1][0])
        else:
            if commands is not None and commands.problem is not None:
                once[key, command[0]] = []
            lost.append((ini.at(repository, key), command[0]))
    if ini.has(repository, "remotepassfile"):
        lost.append((ini.at(repository, "remotepassfile"), "remotepassfile: offlineimap reads the password from a "
                     "file: not imported; set password_command to a command that prints it"))  # fmt: skip
    # TLS
    tls: dict[str, Any] = {}
    if ssl:
        ca = value("sslcacertfile")
        if ca is not None and ca != "OS-DEFAULT":
            tls["ca_file"] = ca
        pins = [f.strip().lower().replace(":", "") for f in (value("cert_fingerprint") or "").split(",") if f]
        pin = None
        if pins:
            pin = _pin(pins[0])
            at = ini.at(repository, "cert_fingerprint")
            if pin is None:
                lost.append((at, "cert_fingerprint: only a sha1 or sha256 fingerprint can be imported (the pin "
                             "is left out)"))  # fmt: skip
            if len(pins) > 1:
                lost.append((at, f"cert_fingerprint: offlineimap accepts any of {len(pins)} certificates; the first "
                             "is imported"))  # fmt: skip
        if pin is not None:
            tls["fingerprint"] = pin
            if ca is None:
                tls["verify"] = False  # no CAs: offlineimap checks the pin alone
        elif ca is None and not pins:
            lost.append((ini.at(repository, "ssl"), "ssl without sslcacertfile or cert_fingerprint: offlineimap3 "
                         "refuses to connect; imported as checking the system CAs"))  # fmt: skip
        for key, field in (("sslclientcert", "client_cert"), ("sslclientkey", "client_key")):
            if value(key):
                tls[field] = value(key)
        version = value("ssl_version")
        if version is not None:
            if version in _SSL_VERSIONS:
                tls["min_version"] = _SSL_VERSIONS[version]
                lost.append((ini.at(repository, "ssl_version"), f"ssl_version {shown(version)} allows that TLS version "
                             "alone; imported as the lowest accepted (tls.min_version)"))  # fmt: skip
            else:
                lost.append((ini.at(repository, "ssl_version"), f"ssl_version {shown(version)}: not imported"))
    else:
        for key in _TLS_KEYS:
            if ini.has(repository, key):
                lost.append((ini.at(repository, key), f"{key} applies with ssl = yes only: not imported"))
    if tls:
        server["tls"] = tls
    if timeout is not None:
        server["timeout"] = max(timeout, 0)  # offlineimap: 0 or less is no timeout
    address = guess_address(user, wanted, host)
    name = found.add(wanted, {"address": address, "incoming": server}, where)
    side = ("accounts", name, "incoming")
    if not is_address(user):
        found.lost(where, ("accounts", name, "address"), "offlineimap names no address: this one is a guess, check it")
    if listed is not None and wanted not in listed:
        found.lost(where, ("accounts", name), "not in [general] accounts: offlineimap syncs it only with -a")
    if ini.has(repository, "remotepass"):
        found.literal_password(ini.at(repository, "remotepass"), side)
    for key in _SECRETS:
        if ini.has(repository, key):
            found.lost(
                ini.at(repository, key),
                side,
                f"the file holds a literal {key} (not imported): store it in "
                "a password manager and set token_command to a command that prints an access token",
            )
    for key in ini.own(section):
        if key not in ("localrepository", "remoterepository"):
            found.lost(ini.at(section, key), side, _unread(key))
    for key in ini.own(repository):
        if key in _READ or key in _SECRETS or key.removesuffix("eval") in evaluated:
            continue
        if key == "expunge" and not ini.boolean(repository, key, True):
            continue  # what mailconf writes: deletions are not expunged on the server; a sync setting
        found.lost(ini.at(repository, key), side, _unread(key))
    for at, message in lost:
        found.lost(at, side, message)
    for at, message in quiet:
        found.comment(side, f"{at.path}:{at.line}: {message}")


def _unread(key: str) -> str:
    if key in _COMMANDS:
        return f"{key} runs a command: not run, not imported"
    if key.endswith("eval") or key in _PYTHON:
        return f"{key} is Python that offlineimap evaluates: not run, not imported"
    return f"offlineimap's {shown(key)} has no place in an account file"


def _literal(text: str, kind: type[str] | type[int]) -> str | int | None:
    """What offlineimap's eval() gives for ``text`` when it is a literal of ``kind`` (a string, also as UTF-8
    bytes, which offlineimap decodes; a whole number for a port), read without running it; None for anything else."""
    try:
        with python_source():
            node = ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError, MemoryError, RecursionError):  # not Python, a NUL, or nested thousands deep
        return None
    literal = node.value if isinstance(node, ast.Constant) else None
    if kind is str and isinstance(literal, bytes):
        try:
            return literal.decode()
        except UnicodeDecodeError:
            return None
    if kind is int:
        return literal if isinstance(literal, int) and not isinstance(literal, bool) else None
    return literal if isinstance(literal, str) else None


def _pin(hexes: str) -> str | None:
    algorithm = _PINS.get(len(hexes))
    if algorithm is None or any(c not in "0123456789abcdef" for c in hexes):
        return None
    return algorithm + ":" + ":".join(hexes[i : i + 2].upper() for i in range(0, len(hexes), 2))


def _command(text: str, key: str, commands: _Commands | None, table: int) -> str | tuple[str]:
    """The command behind ``mailconf_password('NAME')`` / ``mailconf_token('NAME')``, or why there is none."""
    function = ("mailconf_password", "mailconf_token")[table]
    advice = "set password_command" if table == 0 else "set token_command"
    try:
        with python_source():
            call = ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, MemoryError, RecursionError):  # not Python, or nested thousands deep
        call = None
    if not (
        isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == function
        and len(call.args) == 1 and not call.keywords
        and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)
    ):  # fmt: skip
        return (f"{key} is Python that offlineimap evaluates: not run, not imported; {advice} to a command that "
                f"prints the {'password' if table == 0 else 'access token'}",)  # fmt: skip
    account = call.args[0].value
    if commands is None or commands.problem is not None:
        why = commands.problem[1] if commands is not None and commands.problem else "no pythonfile"
        return (f"{key}: the command is in the pythonfile ({why}): not imported; {advice}",)
    table_ = commands.passwords if table == 0 else commands.tokens
    if table_ is None or account not in table_:
        return (f"{key}: the pythonfile holds no command for {shown(account, quotes=True)}: not imported; {advice}",)
    return table_[account]


def _pythonfile(ini: Ini, rc: str, given: list[str]) -> _Commands:
    """The commands of the pythonfile: one named on the command line, else the one ``pythonfile`` names."""
    named = ini.get("general", "pythonfile")
    home = expand_home(named) if named else None
    expanded = os.path.expandvars(home) if home else None
    chosen = None
    if given:
        same = [p for p in given if expanded and posixpath.basename(p) == posixpath.basename(expanded)]
        chosen = same[0] if same else given[0] if len(given) == 1 else None
    if chosen is None and expanded is not None and os.path.isfile(expanded):
        chosen = expanded
    if chosen is None:
        at = ini.at("general", "pythonfile") if named else Location(rc, 1, 1)
        why = no_home(named) if named and home is None else "not found"
        return _Commands(None, None, (at, f"{why}: give it after the .offlineimaprc"))
    return _parse_pythonfile(chosen)


_TABLES = ("_PASSWORD_COMMANDS", "_TOKEN_COMMANDS")


def _parse_pythonfile(path: str) -> _Commands:
    """Read as source, never loaded: the commands when the code is mailconf's template's, the dicts literals."""
    text = read_text(path, "the pythonfile mailconf writes (~/.offlineimap-mailconf.py)")
    try:
        with python_source():
            tree = ast.parse(text, filename=path)
        shape = _shape(tree)  # ast.dump recurses too
    except SyntaxError as exc:
        raise Unreadable(
            Location(path, exc.lineno or 1, exc.offset or 1),
            f"not Python ({exc.msg})",
            "render it again with mailconf render --target offlineimap",
        ) from None
    except (MemoryError, RecursionError):  # an expression nested thousands deep ("-----1", "a.a.a...")
        raise Unreadable(
            Location(path, 1, 1),
            "Python nested too deeply to be read",
            "render it again with mailconf render --target offlineimap",
        ) from None
    tables: dict[str, ast.Dict] = {}
    for statement in tree.body:
        if (
            isinstance(statement, ast.Assign) and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name) and statement.targets[0].id in _TABLES
            and isinstance(statement.value, ast.Dict)
        ):  # fmt: skip
            tables[statement.targets[0].id] = statement.value
    if shape != _shape(ast.parse(_template())):
        return _Commands(None, None, (Location(path, 1, 1), "its code is not the code mailconf writes"))
    found: list[dict[str, str]] = []
    for table in _TABLES:
        node = tables[table]
        commands: dict[str, str] = {}
        for key, value in zip(node.keys, node.values, strict=True):
            for part in (key, value):
                if not (isinstance(part, ast.Constant) and isinstance(part.value, str)):
                    at = part if part is not None else node
                    raise Unreadable(
                        Location(path, at.lineno, at.col_offset + 1),
                        f"{table} holds something that is not a string literal",
                        "render it again with mailconf render --target offlineimap",
                    )
            assert isinstance(key, ast.Constant)
            commands[ast.literal_eval(key)] = ast.literal_eval(value)
        found.append(commands)
    return _Commands(found[0], found[1], None)


def _shape(tree: ast.Module) -> list[str]:
    """The module's statements, the two command tables emptied: equal for every file mailconf writes."""
    shape = []
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Dict):
            shape.append(ast.dump(ast.Assign(targets=statement.targets, value=ast.Dict(keys=[], values=[]))))
        else:
            shape.append(ast.dump(statement))
    return shape


def _template() -> str:
    from ..render import environment

    text: str = environment().get_template("offlineimap/pythonfile.py.j2").render(passwords=[], tokens=[])
    return text
