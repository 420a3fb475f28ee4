# mypy: disable-error-code="untyped-decorator"
# (pyproject skips following hypothesis, so its decorators look untyped)
"""The target contract: every registered target is held to its own capability table.

For every target in ``TARGETS`` (nothing here names one, except the trigger table of
its ``partial`` rows):

- its capability table has one row per feature, each ``yes``, ``no: ...`` or ``partial: ...``;
- a feature marked ``no``: an account declaring it yields the gap (a Gap naming the
  account and the setting), on every side of the account the target renders;
- a feature marked ``partial``: the case :data:`PARTIAL` gives for it yields its gap
  (a partial row without a case is a failure: say when the gap comes; so is a case for a
  row that is not partial);
- a feature marked ``yes``: declaring it yields no gap on that setting, and changing it
  changes the rendered files (a target that drops it, or writes a constant, fails);
- a protocol marked ``no`` (msmtp only sends) is out of scope: changing that server
  changes nothing;
- every value of the Security and Auth enums, handed to the target directly, renders or is
  refused in one line (``starttls-optional`` never written without a gap);
- the longest account name and addresses the schema takes name no file over ``NAME_MAX`` (255)
  bytes, or are refused in one line naming the account and setting;
- an account the target leaves out reports, with why, every other gap it would have once written but those
  that follow from why; one out of the target's reach (a protocol it does not speak, no incoming server it
  needs) only why (docs/render.md, "Left-out accounts");
- every example renders; every module in ``mailconf/targets/`` (not starting with ``_``)
  is registered;
- half a client certificate pair (``tls.client_key`` without ``tls.client_cert``, or the reverse): the
  real client reads the file where tests/targets/_readback.py has a read-back, and the declared path
  unless a gap says it is left out;
- hostile values (quotes, backslashes, ``%``, ``$()``, backticks, line breaks, non-BMP
  characters) either render, and the real client reads each one back exactly where
  tests/targets/_readback.py has a read-back, or are refused with one line naming the
  account and setting, never the value; any text in any field through the loader
  renders or is refused cleanly.

The checks are functions that return failures (strings), so that
:func:`test_the_contract_bites` can show them failing on deliberately naive targets.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib
import json
import pkgutil
import shlex
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import jinja2
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

import mailconf.targets
from mailconf.document import load_document
from mailconf.errors import MailconfError
from mailconf.model import Auth, Model, Security, Server
from mailconf.render import RenderError, common_gaps, render_model
from mailconf.targets import (
    FEATURES,
    NAME_MAX,
    PROTOCOL_FEATURES,
    TARGETS,
    Rendered,
    RenderedFile,
    Target,
    msmtp,
)
from tests.conftest import EXAMPLES, need
from tests.targets._common import example_model
from tests.targets._readback import BINARIES, READ_BACK

NAMES = sorted(TARGETS)

SHA256_A = "sha256:" + ":".join(["AB"] * 32)
SHA256_B = "sha256:" + ":".join(["CD"] * 32)
SHA1 = "sha1:" + ":".join(["EF"] * 20)
MD5 = "md5:" + ":".join(["12"] * 16)

#: The account every check starts from: IMAP and SMTP over TLS, password login through a command.
BASE: dict[str, Any] = {
    "address": "alice@example.org",
    "display_name": "Alice",
    "incoming": {"protocol": "imap", "host": "imap.example.org", "username": "alice",
                 "password_command": "pass show mail/in"},
    "outgoing": {"host": "smtp.example.org", "username": "alice", "password_command": "pass show mail/out"},
}  # fmt: skip
_OAUTH2 = {"auth": "oauth2", "token_command": "oauth2-token alice", "password_command": None}
_CERT = {"client_cert": "/home/alice/c.pem", "client_key": "/home/alice/k.pem"}

#: feature -> (a server declaring it, the same server declaring it differently, or a list of such: the output must
#: differ for at least one); None deletes a key.
VARIANTS: dict[str, tuple[dict[str, Any], dict[str, Any] | list[dict[str, Any]]]] = {
    "security: tls": ({"security": "tls"}, {"security": "starttls"}),
    "security: starttls": ({"security": "starttls"}, {"security": "tls"}),
    "security: none": ({"security": "none"}, {"security": "tls"}),
    "auth: password": ({"auth": "password"}, [{"auth": "ntlm"}, {"auth": "none", "password_command": None}]),
    "auth: oauth2": (_OAUTH2, {"auth": "password"}),
    "auth: gssapi": ({"auth": "gssapi", "password_command": None}, {"auth": "password"}),
    "auth: ntlm": ({"auth": "ntlm"}, {"auth": "password"}),
    "auth: client-cert": ({"auth": "client-cert", "password_command": None, "tls": _CERT}, {"auth": "password"}),
    "password_command": ({"password_command": "pass show a"}, {"password_command": "pass show b"}),
    "token_command": (_OAUTH2, {**_OAUTH2, "token_command": "oauth2-token bob"}),
    "mechanisms": ({"mechanisms": ["plain"]}, {"mechanisms": ["login"]}),
    "tls.ca_file": ({"tls": {"ca_file": "/etc/ssl/a.pem"}}, {"tls": {"ca_file": "/etc/ssl/b.pem"}}),
    "tls.fingerprint": ({"tls": {"fingerprint": SHA256_A}}, {"tls": {"fingerprint": SHA256_B}}),
    "tls.verify: false": ({"tls": {"verify": False}}, {"tls": {"verify": True}}),
    "tls.min_version": ({"tls": {"min_version": "1.3"}}, {"tls": {"min_version": "1.2"}}),
    "timeout": ({"timeout": 30}, {"timeout": 60}),
    "leave_on_server": ({"protocol": "pop3", "leave_on_server": True}, {"protocol": "pop3", "leave_on_server": False}),
    "leave_days": ({"protocol": "pop3", "leave_on_server": True, "leave_days": 7},
                   {"protocol": "pop3", "leave_on_server": True, "leave_days": 14}),
    "imap": ({"protocol": "imap", "host": "a.example.org"}, {"protocol": "imap", "host": "b.example.org"}),
    "pop3": ({"protocol": "pop3", "host": "a.example.org"}, {"protocol": "pop3", "host": "b.example.org"}),
    "smtp": ({"host": "a.example.org"}, {"host": "b.example.org"}),
}  # fmt: skip
#: The setting a feature's gap names, after "incoming." / "outgoing.".
SETTING = {f: f.split(":")[0] for f in FEATURES} | {"tls.verify: false": "tls.verify"}

#: A partial feature's case: an account patch on which the target cannot express it, the gap's setting, and (when
#: the gap comes from what another account declares) the accounts rendered before it, as patches of BASE.
Case = tuple[dict[str, Any], str] | tuple[dict[str, Any], str, dict[str, dict[str, Any]]]
#: target -> partial feature -> its case.
PARTIAL: dict[str, dict[str, Case]] = {
    "msmtp": {"mechanisms": ({"outgoing": {"mechanisms": ["plain", "login"]}}, "outgoing.mechanisms")},
    "fetchmail": {
        "mechanisms": ({"incoming": {"mechanisms": ["scram-sha-256"]}}, "incoming.mechanisms"),
        "tls.fingerprint": ({"incoming": {"tls": {"fingerprint": SHA256_A}}}, "incoming.tls.fingerprint"),
        "timeout": ({"incoming": {"timeout": 0}}, "incoming.timeout"),
    },
    "mutt": {
        "security: none": ({"incoming": {"security": "starttls"}, "outgoing": {"security": "none"}},
                           "outgoing.security"),
        "tls.ca_file": ({"incoming": {"tls": {"ca_file": "/a.pem"}}, "outgoing": {"tls": {"ca_file": "/b.pem"}}},
                        "outgoing.tls.ca_file"),
        "tls.min_version": ({"incoming": {"tls": {"min_version": "1.2"}}, "outgoing": {"tls": {"min_version": "1.3"}}},
                            "incoming.tls.min_version"),
        "timeout": ({"incoming": {"timeout": 10}, "outgoing": {"timeout": 20}}, "outgoing.timeout"),
        "auth: client-cert": ({"incoming": {"auth": "client-cert", "tls": _CERT}}, "incoming.tls.client_key"),
    },
    "neomutt": {
        "auth: oauth2": ({"incoming": {"protocol": "pop3", **_OAUTH2, "mechanisms": ["xoauth2"]}},
                         "incoming.mechanisms"),
        "auth: gssapi": ({"outgoing": {"auth": "gssapi", "password_command": None}}, "outgoing.auth"),
        "auth: client-cert": ({"incoming": {"auth": "client-cert", "password_command": None,
                                            "tls": {"client_cert": "/c.pem"}}}, "incoming.auth"),
        "mechanisms": ({"incoming": {"mechanisms": ["cram-md5"]}}, "incoming.mechanisms"),
    },
    "thunderbird": {
        "imap": ({"incoming": {"host": "::1"}}, "incoming.host"),
        "pop3": ({"incoming": {"protocol": "pop3", "host": "::1"}}, "incoming.host"),
        "auth: oauth2": ({"incoming": _OAUTH2}, "incoming.auth"),
        "auth: client-cert": ({"incoming": {"auth": "client-cert", "tls": _CERT}}, "incoming.tls.client_cert"),
        "mechanisms": ({"incoming": {"mechanisms": ["scram-sha-256"]}}, "incoming.mechanisms"),
        "tls.fingerprint": ({"incoming": {"tls": {"fingerprint": SHA1}}}, "incoming.tls.fingerprint"),
        "tls.min_version": ({"incoming": {"tls": {"min_version": "1.2"}}, "outgoing": {"tls": {"min_version": "1.3"}}},
                            "incoming.tls.min_version"),
        "timeout": ({"incoming": {"timeout": 10}, "outgoing": {"timeout": 20}}, "incoming.timeout"),
    },
    "outlook": {
        "smtp": ({"incoming": None}, "outgoing"),  # Outlook has no send-only account: left out
        "security: starttls": ({"incoming": {"security": "starttls"}}, "incoming.security"),
        "auth: ntlm": ({"outgoing": {"auth": "ntlm"}}, "outgoing.auth"),
    },
    "outlook-prf": {
        "smtp": ({"incoming": None}, "outgoing"),
        "security: starttls": ({"incoming": {"security": "starttls"}}, "incoming.security"),
        "timeout": ({"incoming": {"timeout": 0}}, "incoming.timeout"),
    },
    "offlineimap": {
        "mechanisms": ({"incoming": {"mechanisms": ["scram-sha-256"]}}, "incoming.mechanisms"),
        "tls.fingerprint": ({"incoming": {"tls": {"fingerprint": MD5}}}, "incoming.tls.fingerprint"),
        "tls.verify: false": ({"incoming": {"tls": {"verify": False}}}, "incoming.tls.verify"),
        "tls.min_version": ({"incoming": {"tls": {"min_version": "1.3"}}}, "incoming.tls.min_version"),
        # one socktimeout for every account: the first account's
        "timeout": ({"incoming": {"timeout": 20}}, "incoming.timeout", {"first": {"incoming": {"timeout": 10}}}),
    },
    "aerc": {
        "smtp": ({"incoming": None}, "incoming"),  # aerc needs a source: a send-only account is left out
        "mechanisms": ({"incoming": {"mechanisms": ["scram-sha-256"]}}, "incoming.mechanisms"),
        "tls.min_version": ({"outgoing": {"tls": {"min_version": "1.3"}}}, "outgoing.tls.min_version"),
        "timeout": ({"outgoing": {"timeout": 30}}, "outgoing.timeout"),
        # aerc 0.14 (the default version) verifies every server; 0.18 and later skip the checks for imaps only
        "tls.verify: false": ({"outgoing": {"tls": {"verify": False}}}, "outgoing.tls.verify"),
    },
    "getmail": {
        "auth: oauth2": ({"incoming": {"protocol": "pop3", **_OAUTH2}}, "incoming.auth"),
        "auth: gssapi": ({"incoming": {"protocol": "pop3", "auth": "gssapi", "password_command": None}},
                         "incoming.auth"),
        "token_command": ({"incoming": {"protocol": "pop3", **_OAUTH2}}, "incoming.token_command"),
        "mechanisms": ({"incoming": {"mechanisms": ["scram-sha-256"]}}, "incoming.mechanisms"),
        "tls.fingerprint": ({"incoming": {"tls": {"fingerprint": SHA1}}}, "incoming.tls.fingerprint"),
        "tls.min_version": ({"incoming": {"tls": {"min_version": "1.3"}}}, "incoming.tls.min_version"),
        "timeout": ({"incoming": {"timeout": 0}}, "incoming.timeout"),
    },
}  # fmt: skip
PARTIAL["neomutt"] = {**{k: v for k, v in PARTIAL["mutt"].items() if k != "auth: client-cert"}, **PARTIAL["neomutt"]}


# --- building and rendering accounts ---------------------------------------------------------------------------


def merged(base: dict[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``patch`` applied: mappings merge, None deletes a key."""
    result = copy.deepcopy(base)
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(result.get(key), dict):
            result[key] = merged(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def model_of(account: dict[str, Any], name: str = "acct", before: Mapping[str, dict[str, Any]] | None = None) -> Model:
    """The model of ``account`` (named ``name``), after the ``before`` accounts."""
    accounts = {**(before or {}), name: account}
    doc = load_document("contract.yaml", json.dumps({"version": 1, "accounts": accounts}).encode())
    schema = [i for i in doc.issues if i.rule in ("MC001", "MC002")]
    assert schema == [], f"the contract's own account is invalid: {schema}"
    return doc.model


def render(
    target: Target, account: dict[str, Any], before: Mapping[str, dict[str, Any]] | None = None, name: str = "acct"
) -> Rendered | str:
    """The rendered files and gaps, or the refusal's message."""
    try:
        return render_model(target, model_of(account, name, before), {})
    except RenderError as exc:
        return str(exc)


def files_of(rendered: Rendered) -> tuple[tuple[str, bytes], ...]:
    return tuple((f.name, f.content) for f in rendered.files)


def sides(target: Target) -> dict[str, str]:
    """The sides of an account the target renders: side -> protocol (a protocol marked no is out of scope)."""
    caps = target.CAPABILITIES
    found = {}
    incoming = [p for p in ("imap", "pop3") if not caps[p].startswith("no")]
    if incoming:
        found["incoming"] = incoming[0]
    if not caps["smtp"].startswith("no"):
        found["outgoing"] = "smtp"
    return found


def placed(target: Target, feature: str) -> Iterator[tuple[str, dict[str, Any], list[dict[str, Any]]]]:
    """(side, account declaring the feature, accounts declaring it differently) for each side it applies to."""
    a, b = VARIANTS[feature]
    others = b if isinstance(b, list) else [b]
    for side, protocol in sides(target).items():
        wanted = a.get("protocol", "smtp" if side == "outgoing" else protocol)
        if feature in PROTOCOL_FEATURES and feature != (wanted if side == "incoming" else "smtp"):
            continue
        if side == "outgoing" and "protocol" in a:
            continue  # a POP3-only setting
        if side == "incoming" and target.CAPABILITIES[wanted].startswith("no"):
            continue
        yield side, merged(BASE, {side: a}), [merged(BASE, {side: other}) for other in others]


def cell(target: Target, feature: str) -> str:
    return target.CAPABILITIES[feature].split(":", 1)[0]


# --- the checks -------------------------------------------------------------------------------------------------


def check_capability_table(target: Target) -> list[str]:
    caps = target.CAPABILITIES
    failures = [f"{f}: no row" for f in FEATURES if f not in caps]
    failures += [f"{f}: not a feature" for f in caps if f not in FEATURES]
    failures += [f"{f}: {v!r} is not yes, no: ... or partial: ..." for f, v in caps.items()
                 if not (v == "yes" or v.startswith(("yes: ", "no: ", "partial: ")))]  # fmt: skip
    return failures


def check_declared_gaps(target: Target) -> list[str]:
    """Every feature marked no yields its gap wherever it is declared; every partial one on its case."""
    failures = []
    for feature in FEATURES:
        kind = cell(target, feature)
        if kind == "no" and feature not in PROTOCOL_FEATURES:
            for side, account, _others in placed(target, feature):
                failures += _gap_missing(target, feature, account, f"{side}.{SETTING[feature]}")
        elif kind == "partial":
            case = PARTIAL.get(target.NAME, {}).get(feature)
            if case is None:
                failures.append(f"{feature}: partial, but the contract has no case for its gap (add one to PARTIAL)")
                continue
            patch, setting = case[0], case[1]
            before = {name: merged(BASE, other) for name, other in (case[2] if len(case) > 2 else {}).items()}
            failures += _gap_missing(target, feature, merged(BASE, patch), setting, before)
    failures += [f"{feature}: the contract has a case for its gap, but the row is marked {cell(target, feature)} "
                 "(mark it partial, or drop the case)"
                 for feature in PARTIAL.get(target.NAME, {}) if cell(target, feature) != "partial"]  # fmt: skip
    return failures


def _gap_missing(
    target: Target,
    feature: str,
    account: dict[str, Any],
    setting: str,
    before: Mapping[str, dict[str, Any]] | None = None,
) -> list[str]:
    rendered = render(target, account, before)
    if isinstance(rendered, str):
        return [f"{feature}: refused ({rendered})"]
    if not any(g.account == "acct" and g.setting == setting for g in rendered.gaps):
        return [f"{feature}: marked {cell(target, feature)}, but declaring it gives no gap on {setting} "
                f"(gaps: {', '.join(g.setting for g in rendered.gaps) or 'none'})"]  # fmt: skip
    return []


def check_supported_changes(target: Target) -> list[str]:
    """Every feature marked yes is expressed: no gap on it, and changing it changes the files; a protocol
    marked no changes nothing."""
    failures = []
    for feature in FEATURES:
        kind = cell(target, feature)
        if kind == "no" and feature in PROTOCOL_FEATURES:
            a, b = VARIANTS[feature]
            assert isinstance(b, dict)
            side = "outgoing" if feature == "smtp" else "incoming"
            first, second = render(target, merged(BASE, {side: a})), render(target, merged(BASE, {side: b}))
            if isinstance(first, str) or isinstance(second, str) or files_of(first) != files_of(second):
                failures.append(f"{feature}: marked no (out of scope), but changing that server changes the output")
            continue
        if kind != "yes":
            continue
        for side, account, others in placed(target, feature):
            first = render(target, account)
            if isinstance(first, str):
                failures.append(f"{feature} ({side}): refused ({first})")
                continue
            setting = f"{side}.{SETTING[feature]}"
            gaps = [str(g) for g in first.gaps if g.setting == setting]
            if gaps:
                failures.append(f"{feature} ({side}): marked yes, but declaring it is a gap: {gaps[0]}")
            changed = [render(target, other) for other in others]
            if not any(not isinstance(c, str) and files_of(c) != files_of(first) for c in changed):
                failures.append(f"{feature} ({side}): marked yes, but changing it does not change the output")
    return failures


#: Settings the capability table has no row for: each is written, or a gap on exactly that setting. Not here:
#: display_name and organization, which only programs that write messages can use (docs/render.md).
UNLISTED: dict[str, dict[str, Any]] = {
    "tls.verify_hostname": {"tls": {"verify_hostname": False}},
    "tls.client_cert": {"tls": _CERT},
}


def check_unlisted_settings(target: Target) -> list[str]:
    """A declared setting with no row in FEATURES is never dropped in silence: on every side the target renders,
    declaring it changes the files, or the render reports a gap on that setting."""
    failures = []
    for side, protocol in sides(target).items():
        server = {"protocol": protocol} if side == "incoming" else {}
        base = render(target, merged(BASE, {side: server}))
        for setting, declared in UNLISTED.items():
            rendered = render(target, merged(BASE, {side: {**server, **declared}}))
            if isinstance(base, str) or isinstance(rendered, str):
                continue  # a refusal says so in one line: not silent
            expressed = files_of(rendered) != files_of(base)
            reported = any(g.setting == f"{side}.{setting}" for g in rendered.gaps)
            if not expressed and not reported:
                failures.append(f"{side}.{setting}: declared, but neither written nor reported as a gap")
    return failures


def check_every_value(target: Target) -> list[str]:
    """Every value of the Security and Auth enums, on every server the target renders, put into the model directly
    (the schema and render's refusals bypassed, as a caller of the target's ``render`` may): the target renders
    it or refuses it with one line, never crashes (a KeyError from a table that misses a value); and
    ``starttls-optional``, which render never lets through (an upgrade an attacker can skip), is refused or a gap
    on that server's security, never written as if it were another value."""
    failures = []
    caps = target.CAPABILITIES
    servers = [(p, "incoming") for p in ("imap", "pop3") if not caps[p].startswith("no")]
    servers += [("smtp", "outgoing")] if not caps["smtp"].startswith("no") else []
    for protocol, side in servers:
        account = model_of(merged(BASE, {"incoming": {"protocol": "pop3" if protocol == "pop3" else "imap"}}))
        for field, values in (("security", tuple(Security)), ("auth", tuple(Auth))):
            for value in values:
                acct = account.accounts[0]
                server = dataclasses.replace(getattr(acct, side), **{field: value})
                model = Model((dataclasses.replace(acct, **{side: server}),))
                where = f"{protocol} {field} {value.value}"
                try:
                    rendered = render_model(target, model, {})
                except RenderError as exc:
                    if "\n" in str(exc):
                        failures.append(f"{where}: refused with more than one line")
                    continue
                except Exception as exc:  # noqa: BLE001 - any other exception is the failure reported
                    failures.append(f"{where}: {type(exc).__name__}: {exc}")
                    continue
                security_gaps = [g for g in rendered.gaps if g.setting == f"{side}.security"]
                if value is Security.STARTTLS_OPTIONAL and not security_gaps:
                    failures.append(f"{where}: rendered without a gap on {side}.security")
    return failures


def check_examples(target: Target) -> list[str]:
    """Every example renders (its accounts that render refuses for every target left out)."""
    failures = []
    for path in sorted(EXAMPLES.glob("*.yaml")):
        model = example_model(path)
        try:
            rendered = render_model(target, model, {})
        except MailconfError as exc:
            failures.append(f"{path.name}: {exc}")
            continue
        failures += [f"{path.name}: {f.name} is empty" for f in rendered.files if not f.content]
    return failures


#: The longest values that name files: a 64-character account name (the schema's most) and 254-character
#: addresses (the schema's most) whose file names grow: ``%`` is written ``%25``, ``€`` is 3 bytes in
#: UTF-8, a long domain names autoconfig's folder.
_LONG_NAME = "n" * 64
_LONG_ADDRESSES = (
    "%" * (254 - len("@example.org")) + "@example.org",
    "€" * (254 - len("@example.org")) + "@example.org",
    "a@" + ".".join(["d" * 63] * 3) + "." + "d" * (254 - 2 - 3 * 64),
)


def check_file_names(target: Target) -> list[str]:
    """The longest account name and addresses the schema takes: every rendered path's parts fit ``NAME_MAX`` bytes
    (a file system takes no longer name), or the account is refused in one line naming it, never the value."""
    failures = []
    for address in _LONG_ADDRESSES:
        rendered = render(target, {**BASE, "address": address}, before={_LONG_NAME: BASE})
        where = f"address {address[:12]}...({len(address)} characters)"
        if isinstance(rendered, str):
            if "\n" in rendered or address in rendered or "account acct: address: " not in rendered:
                failures.append(f"{where}: refused, but not in one line naming the account and setting: {rendered}")
            continue
        for file in rendered.files:
            sizes = [len(part.encode("utf-8")) for part in file.name.split("/")]
            if max(sizes) > NAME_MAX:
                failures.append(f"{where}: writes a file name of {max(sizes)} bytes, over {NAME_MAX}")
    return failures


#: Two accounts whose file names (after their names, or their addresses) are one file where case and Unicode
#: normalization are ignored: (the account before "acct", "acct" itself).
_FOLDED = (
    ({"ACCT": BASE}, BASE),
    ({"first": {**BASE, "address": "Alice@example.org"}}, {**BASE, "address": "alice@example.org"}),
    ({"first": {**BASE, "address": "\u00e9@example.org"}}, {**BASE, "address": "e\u0301@example.org"}),  # NFC, NFD
)


def _folded(name: str) -> str:
    """Unicode's canonical caseless match: how APFS, NTFS and FAT compare names (written here, not imported)."""
    return unicodedata.normalize("NFD", unicodedata.normalize("NFD", name).casefold())


def check_folded_names(target: Target) -> list[str]:
    """No two rendered files are one file on a file system that ignores case and Unicode normalization (a folder
    of rendered files checked out on macOS or Windows), or the second account is refused in one line naming it."""
    failures = []
    for before, account in _FOLDED:
        rendered = render(target, account, before=before)
        where = f"{next(iter(before))} then acct"
        if isinstance(rendered, str):
            if "\n" in rendered or not rendered.startswith(f"target {target.NAME}: not rendered: account acct: "):
                failures.append(f"{where}: refused, but not in one line naming the account: {rendered}")
            continue
        seen: dict[str, str] = {}
        for file in rendered.files:
            first = seen.setdefault(_folded(file.name), file.name)
            if first != file.name:
                failures.append(f"{where}: writes {first} and {file.name}, one file where case is ignored")
    return failures


def check_registered(package: ModuleType, targets: Mapping[str, Target]) -> list[str]:
    """Every module of the package not starting with _ is a registered target, under its own NAME."""
    registered = {id(t): name for name, t in targets.items()}
    failures = []
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        if id(module) not in registered:
            failures.append(f"{info.name}: not registered in TARGETS")
    failures += [f"{name}: registered under the wrong name ({t.NAME})" for name, t in targets.items() if name != t.NAME]
    return failures


#: Gaps on settings the targets that leave accounts out may report: (what the setting is about, a patch of the
#: account's incoming server, or of its outgoing one where it has none). "tls" and "auth" gaps follow from the
#: security and the auth, "other" ones from neither.
OTHER_GAPS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("tls", {"tls": {"fingerprint": MD5}}),
    ("tls", {"tls": {"verify_hostname": False}}),
    ("auth", {"mechanisms": ["scram-sha-256"]}),
    ("other", {"timeout": 0}),
)
_PASSWORD = {"auth": "password", "password_command": "pass show mail/in"}
#: What leaves an account out of some target: (its name, a patch of BASE, the patch that puts it back as "acct", what
#: the gaps that follow from the reason are about); no patch: out of the target's reach, only the reason is said.
LEFT_OUT: tuple[tuple[str, dict[str, Any], dict[str, Any] | None, str], ...] = (
    ("acct", {"incoming": {"security": "starttls"}}, {"incoming": {"security": "tls"}}, "tls"),  # getmail, offlineimap
    ("acct", {"incoming": {"auth": "none", "password_command": None}}, {"incoming": _PASSWORD}, "auth"),
    ("acct", {"incoming": {"auth": "ntlm"}}, {"incoming": _PASSWORD}, "auth"),
    ("acct", {"incoming": {"auth": "client-cert", "password_command": None, "tls": _CERT}}, {"incoming": _PASSWORD},
     "auth"),
    # mbsync: a line over its 1021 bytes
    ("acct", {"incoming": {"password_command": "pass show " + "x" * 1100}}, {"incoming": _PASSWORD}, "none"),
    ("DEFAULT", {}, {}, "none"),  # aerc
    ("acct", {"incoming": {"protocol": "pop3"}}, None, ""),  # mbsync, offlineimap, aerc
    ("acct", {"incoming": None}, None, ""),  # aerc, Outlook: no send-only account
)  # fmt: skip


def _gaps_of(rendered: Rendered | str, name: str) -> Counter[tuple[str, str]]:
    """The account's gaps as (setting, message): what another name for the same account shares."""
    assert not isinstance(rendered, str), rendered
    return Counter((g.setting, g.instead) for g in rendered.gaps if g.account == name)


def check_left_out_accounts(target: Target) -> list[str]:
    """An account the target leaves out (the files are those of the accounts before it) reports, with the gaps that
    leave it out, every gap it would have once written that does not follow from them, so one run shows all there
    is to change (docs/render.md, "Left-out accounts"); one out of the target's reach (a protocol it does not
    speak, no incoming server it needs) reports only why."""
    failures = []
    kept = render(target, BASE, name="kept")
    assert not isinstance(kept, str), kept
    for name, patch, fix, follows in LEFT_OUT:
        leaving = merged(BASE, {"address": "bob@example.net", **patch})  # a domain of its own: files of its own
        alone = render(target, leaving, {"kept": BASE}, name)
        if isinstance(alone, str) or files_of(alone) != files_of(kept):
            continue  # written, or refused: not left out by this target
        reason = _gaps_of(alone, name)
        if not reason:
            continue  # out of scope, not a gap (mbsync writes no send-only account, nor says so)
        told = 0
        for about, server in OTHER_GAPS:
            extra = {"incoming" if "incoming" in leaving else "outgoing": server}
            got = _gaps_of(render(target, merged(leaving, extra), {"kept": BASE}, name), name)
            if fix is None:
                expected = reason
            elif about == follows:
                continue
            else:
                fixed = merged(leaving, fix)
                added = _gaps_of(render(target, merged(fixed, extra)), "acct") - _gaps_of(render(target, fixed), "acct")
                expected = reason + added
                told += bool(added)
            if got != expected:
                where = f"{name} {json.dumps(patch)[:60]} with {json.dumps(extra)}"
                failures.append(f"{where}: left out with gaps {sorted(got)}, not {sorted(expected)}")
        if fix is not None and not told:
            failures.append(f"{name} {json.dumps(patch)[:60]}: no other gap tried applies here (add one to OTHER_GAPS)")
    return failures


# --- the contract, on every registered target ---------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_capability_table(name: str) -> None:
    assert check_capability_table(TARGETS[name]) == []


@pytest.mark.parametrize("name", NAMES)
def test_no_and_partial_features_yield_their_gap(name: str) -> None:
    assert check_declared_gaps(TARGETS[name]) == []


@pytest.mark.parametrize("name", NAMES)
def test_supported_features_change_the_output(name: str) -> None:
    assert check_supported_changes(TARGETS[name]) == []


@pytest.mark.parametrize("name", NAMES)
def test_every_example_renders(name: str) -> None:
    assert check_examples(TARGETS[name]) == []


def test_every_target_module_is_registered() -> None:
    assert check_registered(mailconf.targets, TARGETS) == []


@pytest.mark.parametrize("name", NAMES)
def test_every_enum_value_renders_or_is_refused(name: str) -> None:
    assert check_every_value(TARGETS[name]) == []


@pytest.mark.parametrize("name", NAMES)
def test_a_setting_without_a_feature_row_is_written_or_reported(name: str) -> None:
    assert check_unlisted_settings(TARGETS[name]) == []


@pytest.mark.parametrize("name", NAMES)
def test_a_left_out_account_reports_every_gap_but_those_that_follow_from_why(name: str) -> None:
    assert check_left_out_accounts(TARGETS[name]) == []


#: Targets whose files say nothing of leaving mail on a POP3 server: no incoming server (msmtp), POP3 accounts left
#: out (aerc, mbsync, offlineimap), no such setting in the format (autodiscover, mobileconfig).
_SAME_ANYWAY = frozenset({"aerc", "autodiscover", "mbsync", "mobileconfig", "msmtp", "offlineimap"})


@pytest.mark.parametrize("name", NAMES)
def test_leave_days_alone_renders_as_leave_on_server_true_with_those_days(name: str) -> None:
    # days to keep the copies say to keep them: Outlook and getmail kept the mail, Thunderbird and fetchmail
    # deleted it at download (their own default), for the same file (mailconf/document.py _leaves)
    from tests.targets._common import render_with

    def pop3(**leave: Any) -> dict[str, Any]:
        incoming = {"protocol": "pop3", "host": "pop.example.com", "password_command": "pass mail", **leave}
        outgoing = {"host": "smtp.example.com", "password_command": "pass mail"}
        return {"home": {"address": "carol@example.com", "incoming": incoming, "outgoing": outgoing}}

    alone = render_with(TARGETS[name], pop3(leave_days=30))
    assert alone == render_with(TARGETS[name], pop3(leave_on_server=True, leave_days=30))
    assert alone != render_with(TARGETS[name], pop3(leave_on_server=False, leave_days=30)) or name in _SAME_ANYWAY


@pytest.mark.parametrize("name", NAMES)
def test_every_file_name_fits_a_file_system(name: str) -> None:
    assert check_file_names(TARGETS[name]) == []


@pytest.mark.parametrize("name", NAMES)
def test_no_two_file_names_are_one_file_where_case_is_ignored(name: str) -> None:
    assert check_folded_names(TARGETS[name]) == []


def test_the_contract_tables_name_registered_targets_and_features() -> None:
    assert set(PARTIAL) <= set(TARGETS)
    assert all(set(cases) <= set(FEATURES) for cases in PARTIAL.values())
    assert set(VARIANTS) == set(FEATURES)


# --- it bites -----------------------------------------------------------------------------------------------


def naive(base: Any, change: Callable[[Server], Server] | None = None, **capabilities: str) -> Target:
    """A target that renders like ``base`` after ``change`` to every server, with some capability rows changed."""

    def render_naive(model: Model, env: jinja2.Environment, options: Mapping[str, str]) -> Rendered:
        if change is not None:
            model = Model(tuple(
                dataclasses.replace(
                    a,
                    incoming=None if a.incoming is None else change(a.incoming),
                    outgoing=None if a.outgoing is None else change(a.outgoing),
                )
                for a in model.accounts
            ))  # fmt: skip
        rendered: Rendered = base.render(model, env, options)
        return rendered

    caps = {**base.CAPABILITIES, **capabilities}
    target: Target = SimpleNamespace(
        NAME="naive",
        TITLE="a naive target",
        CAPABILITIES=caps,
        OPTIONS={},
        OWN_FILES=(),
        __doc__="",
        render=render_naive,
    )
    return target


def test_the_contract_bites(monkeypatch: pytest.MonkeyPatch) -> None:
    """Deliberately naive targets fail the checks the registered ones pass."""
    fetchmail = TARGETS["fetchmail"]
    # tls.verify: false silently dropped (every server verified), while the table says yes: registered, it is
    # the one target of the registry that fails (and only there)
    drops_verify = naive(fetchmail, lambda s: dataclasses.replace(s, tls=dataclasses.replace(s.tls, verify=True)))
    monkeypatch.setitem(TARGETS, "naive", drops_verify)
    failing = {name: check_supported_changes(target) for name, target in TARGETS.items()}
    assert {name: f for name, f in failing.items() if f} == {
        "naive": ["tls.verify: false (incoming): marked yes, but changing it does not change the output"]
    }
    # leave_on_server written as delete, whatever the account says
    deletes = naive(fetchmail, lambda s: dataclasses.replace(s, leave_on_server=False))
    assert "leave_on_server (incoming): marked yes, but changing it does not change the output" in (
        check_supported_changes(deletes)
    )
    # a row that says "no" while the target writes the setting without a gap
    silent = naive(msmtp, timeout="no: msmtp has no timeout")
    assert check_declared_gaps(silent) == [
        "mechanisms: partial, but the contract has no case for its gap (add one to PARTIAL)",
        "timeout: marked no, but declaring it gives no gap on outgoing.timeout (gaps: none)",
    ]
    # a row that says "yes" for what the target reports as a gap
    overclaims = naive(msmtp, mechanisms="yes")
    assert check_supported_changes(overclaims) == []  # one mechanism: expressed...
    assert check_capability_table(naive(msmtp, timeout="maybe")) == [
        "timeout: 'maybe' is not yes, no: ... or partial: ..."
    ]
    # a partial row whose case is gone stale: the row now says yes
    monkeypatch.setitem(PARTIAL, "naive", {"mechanisms": PARTIAL["msmtp"]["mechanisms"]})
    assert check_declared_gaps(naive(msmtp, mechanisms="yes")) == [
        "mechanisms: the contract has a case for its gap, but the row is marked yes (mark it partial, or drop the case)"
    ]
    # a table of security values that misses one (the KeyError mbsync had), and starttls-optional written as starttls
    misses = naive(msmtp, lambda s: {Security.TLS: s, Security.STARTTLS: s, Security.NONE: s}[s.security])
    assert check_every_value(misses) == [
        "smtp security starttls-optional: KeyError: <Security.STARTTLS_OPTIONAL: 'starttls-optional'>"
    ]
    upgrades = naive(
        msmtp, lambda s: dataclasses.replace(s, security=Security.STARTTLS)
        if s.security is Security.STARTTLS_OPTIONAL else s
    )  # fmt: skip
    assert check_every_value(upgrades) == [
        "smtp security starttls-optional: rendered without a gap on outgoing.security"
    ]
    # a file named after the address, whatever its length (autodiscover before it refused one over 255 bytes)
    after_address = SimpleNamespace(**{**vars(naive(msmtp)), "render": lambda model, env, options: Rendered(
        tuple(RenderedFile(f"by-address/{a.address}", b"x") for a in model.accounts)
    )})  # fmt: skip
    assert check_file_names(after_address) == [
        "address €€€€€€€€€€€€...(254 characters): writes a file name of 738 bytes, over 255",
    ]
    # a left-out account that says only why (mbsync before: the pin of an account left out for a long line unsaid)
    mbsync = TARGETS["mbsync"]

    def only_why(model: Model, env: jinja2.Environment, options: Mapping[str, str]) -> Rendered:
        rendered: Rendered = mbsync.render(model, env, options)
        out = {g.account for g in rendered.gaps if "the account is left out" in g.instead}
        kept = tuple(g for g in rendered.gaps if g.account not in out or "the account is left out" in g.instead)
        return Rendered(rendered.files, kept)

    says_only_why = SimpleNamespace(**{**vars(naive(mbsync)), "render": only_why})
    long_line = 'acct {"incoming": {"password_command": "pass show xxxxxxxxxxxxxxx with {"incoming": '
    assert [f.split(": left out with gaps ")[0] for f in check_left_out_accounts(says_only_why)] == [
        long_line + '{"tls": {"fingerprint": "md5:12:12:12:12:12:12:12:12:12:12:12:12:12:12:12:12"}}}',
        long_line + '{"tls": {"verify_hostname": false}}}',
    ]
    # a module nobody registered
    package = SimpleNamespace(__name__="mailconf.targets", __path__=mailconf.targets.__path__)
    unregistered = {n: t for n, t in TARGETS.items() if n != "fetchmail"}
    assert check_registered(package, unregistered) == ["fetchmail: not registered in TARGETS"]  # type: ignore[arg-type]


# --- hostile values, for every target from one place ---------------------------------------------------------

#: CANARY: what a value that ran as a command would create (in the client's working directory).
CANARY = "mailconf-canary"
_PRINTABLE = [*"'\"\\`$();#%&|<>*?!~{}[]=,: aZ09", f"$(touch {CANARY})", f"`touch {CANARY}`", "%U", "%%", "é", "€",
              "😀", "𝄞", "\u00a0", "\u200b"]  # fmt: skip
#: Line breaks and control characters, as YAML escapes would carry them (the schema refuses them in most fields).
_CONTROL = ["\n", "\r", "\t", "\x00", "\x85", "\u2028"]


def _text(alphabet: list[str]) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(alphabet), min_size=1, max_size=12).map("".join)


def _values(alphabet: list[str]) -> st.SearchStrategy[dict[str, str]]:
    text = _text(alphabet)
    paths = st.lists(text.filter(lambda s: "/" not in s and s not in (".", "..")), min_size=1, max_size=2).map(
        lambda parts: "/" + "/".join(parts)
    )  # clients fold "//", "/./" and a trailing "/", which name the same file: none here
    return st.fixed_dictionaries({"name": text, "org": text, "user": text, "word": text, "path": paths})


#: Half the cases printable (rendered and read back), half with control characters too (refused, or read back).
HOSTILE_VALUES = st.one_of(_values(_PRINTABLE), _values(_PRINTABLE + _CONTROL))


def hostile_model(values: Mapping[str, str], root: Path) -> tuple[Model, dict[str, str]]:
    """An account holding the hostile values, put into the model directly (as a loader bug or a future field
    might hand them to a target: the schema would refuse the control characters first), and what each setting
    must read back as. Its file paths lie under ``root`` (a read-back may create them: mbsync and getmail check
    that they exist while they read), one per setting."""
    model = model_of(merged(BASE, {"organization": "Org"}), name="hostile")
    account = model.accounts[0]
    command = f"printf %s {shlex.quote(values['word'])}"  # harmless: the read-backs run it
    path = f"{root}{values['path']}"
    paths = {"ca_file": path, "client_cert": f"{path}.crt", "client_key": f"{path}.key"}

    def server(s: Server | None) -> Server | None:
        if s is None:
            return None
        tls = dataclasses.replace(
            s.tls, ca_file=paths["ca_file"], client_cert=paths["client_cert"], client_key=paths["client_key"]
        )
        return dataclasses.replace(s, username=values["user"], password_command=command, tls=tls)

    hostile = dataclasses.replace(
        account, display_name=values["name"], organization=values["org"],
        incoming=server(account.incoming), outgoing=server(account.outgoing),
    )  # fmt: skip
    declared = {"display_name": values["name"], "organization": values["org"], "address": account.address}
    for side in ("incoming", "outgoing"):
        declared |= {f"{side}.username": values["user"], f"{side}.password_command": command,
                     f"{side}.host": getattr(account, side).host}  # fmt: skip
        declared |= {f"{side}.tls.{key}": value for key, value in paths.items()}
    return Model((hostile,)), declared


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=20, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(values=HOSTILE_VALUES)
@example(values={"name": f"Eve \"$(touch {CANARY})\" `x` 😀", "org": "a;b#c%%U", "user": f"u'\\x`touch {CANARY}`",
                 "word": "$HOME `id`", "path": f"/é €/a b'c$(touch {CANARY})"})  # fmt: skip
@example(values={"name": "'>%", "org": "x", "user": "&`x`|[😀0", "word": "x",
                 "path": f"/$(touch {CANARY})Z$(touch {CANARY}){{$`touch {CANARY}`~{{`" * 2})  # fmt: skip
def test_hostile_values_read_back_exactly_or_are_refused(name: str, values: dict[str, str], tmp_path: Path) -> None:
    directory = Path(tempfile.mkdtemp(dir=tmp_path))  # one per example: hypothesis shares tmp_path
    model, declared = hostile_model(values, directory / "files")
    target = TARGETS[name]
    try:
        rendered = render_model(target, model, {})
    except RenderError as exc:
        message = str(exc)
        prefix = f"target {name}: not rendered: account hostile: "
        assert message.startswith(prefix)
        named = [s for s in declared if message.startswith(f"{prefix}{s}: ")]
        assert named, f"the refusal names no setting of the account file: {message}"
        assert "\n" not in message
        for value in values.values():
            assert len(value) < 4 or value not in message  # never the value
        return
    read_back = READ_BACK.get(name)
    if read_back is None:
        return
    if name in BINARIES:
        need(BINARIES[name])
    gapped = {g.setting for g in rendered.gaps}
    read = read_back(rendered, directory, "hostile")
    assert read, "the read-back reports nothing"
    ran = [p for p in (Path.cwd(), directory, directory / "home") if (p / CANARY).exists()]
    assert ran == [], "a value ran as a command while the client read the file"
    for setting, value in read.items():
        if setting not in gapped:  # a gap says the value is not written as declared
            assert value == declared[setting], setting


#: One file of a client certificate's pair declared without the other (a PEM file may hold both, so either alone
#: is a valid account file).
_HALF_PAIR = ["client_cert", "client_key"]


@pytest.mark.parametrize("name", sorted(READ_BACK))
@pytest.mark.parametrize("half", _HALF_PAIR)
def test_half_a_client_certificate_pair_is_read_by_the_client_or_is_a_gap(name: str, half: str, tmp_path: Path) -> None:
    """``tls.client_key`` without ``tls.client_cert`` (or the reverse), on both sides: the real client reads the
    file (msmtp wrote ``tls_key_file`` alone, and msmtp rejects such an account whole: ``tls_key_file requires
    tls_cert_file``, exit 78 at every send), and reads the declared path unless a gap says it is left out."""
    path = f"{tmp_path}/files/{half}.pem"
    server = {"password_command": "printf %s secret", "tls": {half: path}}  # harmless: the read-backs run it
    account = merged(BASE, {"organization": "Org", "incoming": server, "outgoing": server})
    rendered = render_model(TARGETS[name], model_of(account, name="half"), {})
    if name in BINARIES:
        need(BINARIES[name])
    read = READ_BACK[name](rendered, tmp_path, "half")
    gapped = {g.setting for g in rendered.gaps}
    for side in ("incoming", "outgoing"):
        setting = f"{side}.tls.{half}"
        if setting in read and setting not in gapped:
            assert read[setting] == path, setting


_VALUE = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)
_FIELDS = st.fixed_dictionaries(
    {
        "host": _VALUE,
        "user": _VALUE,
        "command": _VALUE,
        "name": _VALUE,
        "path": _VALUE,
        "protocol": st.sampled_from(["imap", "pop3"]),
        "security": st.sampled_from(["tls", "starttls", "none"]),
        "auth": st.sampled_from(["password", "oauth2", "gssapi", "ntlm", "client-cert", "none"]),
    }
)


#: Hosts the schema takes that random text never makes (with user names holding @ and %, a BOM, markup, quotes).
_HOSTS = [
    {"host": "2001:db8::25", "user": "a@b%40c@d", "command": "pass show 'a b'", "name": "\ufeffé</x>",
     "path": "/a b/'c\"", "protocol": "imap", "security": "tls", "auth": "password"},
    {"host": "::ffff:192.0.2.1", "user": "%U %%", "command": "`id`", "name": "]]>", "path": "/p",
     "protocol": "pop3", "security": "starttls", "auth": "password"},
    {"host": "imap.xn--bcher-kva.example.", "user": "u", "command": "c", "name": "n", "path": "/p",
     "protocol": "imap", "security": "none", "auth": "password"},
]  # fmt: skip


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fields=_FIELDS)
@example(fields=_HOSTS[0])
@example(fields=_HOSTS[1])
@example(fields=_HOSTS[2])
def test_any_text_through_the_loader_renders_or_is_refused_cleanly(name: str, fields: dict[str, str]) -> None:
    """Any string in any field (moved here from tests/test_fuzz.py): the target renders it, or refuses it with a
    MailconfError (one line, a documented exit code), or the schema refuses it first. The examples hold hosts the
    schema takes (an IPv6 address, which render refused for every target as MC703, a trailing dot, IDN)."""
    server = {
        "protocol": fields["protocol"], "host": fields["host"], "security": fields["security"],
        "auth": fields["auth"], "username": fields["user"], "password_command": fields["command"],
        "token_command": fields["command"], "tls": {"ca_file": fields["path"]},
    }  # fmt: skip
    account = {"address": "a@example.com", "display_name": fields["name"], "incoming": server,
               "outgoing": {**server, "protocol": "smtp"}}  # fmt: skip
    doc = load_document("fuzz.yaml", json.dumps({"version": 1, "accounts": {"fuzz": account}}).encode())
    if not doc.model.accounts:
        assert doc.issues  # rejected by the schema: located findings, nothing to render
        return
    assert not common_gaps(doc.model)[1]
    try:
        render_model(TARGETS[name], doc.model, {})
    except MailconfError as exc:
        assert "\n" not in str(exc)


@pytest.mark.parametrize("name", NAMES)
def test_a_command_the_auth_does_not_run_is_one_gap_worded_alike_everywhere(name: str) -> None:
    # mutt and neomutt said "not used with auth none: remove it, or use auth password", getmail "auth none over IMAP
    # does not use it with getmail", where the others said targets.unused_command's text (msmtp and aerc held copies
    # of it): one gap, one message, on every target. getmail keeps its own for an auth it cannot use over a protocol.
    from mailconf.model import Auth
    from mailconf.targets import unused_command

    target = TARGETS[name]
    both = sides(target)
    checked = 0
    for side in both:
        for field, auth in (("password_command", "none"), ("token_command", "password")):
            if target.CAPABILITIES[field].startswith("no") or (auth == "none" and side == "incoming"):
                continue  # no such command at all (its own gap says so); auth none on IMAP/POP3 is another gap
            account: dict[str, Any] = {"address": "carol@example.com"}
            for each, kind in both.items():
                host = "smtp.example.com" if each == "outgoing" else f"{kind}.example.com"
                server: dict[str, Any] = {"host": host, "username": "u", "password_command": "pass mail"}
                if each == "incoming":
                    server["protocol"] = kind
                if each == side:
                    server |= {"auth": auth, field: "pass mail"}
                account[each] = server
            rendered = render(target, account)
            assert not isinstance(rendered, str), rendered
            said = [gap.instead for gap in rendered.gaps if gap.setting == f"{side}.{field}"]
            assert said == [unused_command(Auth(auth))], (side, field, said)
            checked += 1
    assert checked or all(target.CAPABILITIES[f].startswith("no") for f in ("password_command", "token_command"))
