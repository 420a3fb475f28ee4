"""Spike (issue 8 item 7): how much would "shape specialisation" save? A measurement, not product code.

The design measured: accounts whose every rendering DECISION is the same (protocol, security, auth, which
optional settings are present, the value-dependent predicates a target tests) share one pre-rendered template,
in which each per-account VALUE, escaped by the target's own escape function, is put by ``%`` formatting. Jinja
and the target's decision code run once per shape; per account there remain the key, the values, their escaping
and the formatting.

Prototyped for mutt and thunderbird, OUTSIDE the product code. Each shape's template is DERIVED from the real
code, never written by hand: the real decisions run on the shape's first account (its gaps become the shape's),
and the real template lays out a probe of it whose values are sentinels (mutt: marker filters in place of
mutt_quote/mutt_command/mutt_word; thunderbird: sentinel values through the real ``account_prefs`` and
``user.js.j2``). Anything unusual (an escape function that refuses, a length check, starttls-optional) falls back
to the real code, which then refuses exactly as it does today; when the real code renders what the fast path refused
(a wrong shape), the check counts a difference instead of hiding it.

Usage (from the checkout; the benchmark file is made if absent)::

    PYTHONPATH=$PWD python3 benchmarks/spike_shapes.py [--repeat 5] [--examples 300] [--no-hypothesis]

It prints: the number of shapes of benchmarks/out/accounts-10000.yaml per target; the differential check
(byte-identical files, same modes, same gaps, same refusals) on that file and on hypothesis-drawn hostile models
(tests/test_fuzz_render.py's strategy, one model per example, plus all drawn accounts merged into one model so that
shapes are reused across different values); CPU time (time.process_time, best of N, one process, collector
paused as render does) of the real render vs the prototype, the split of the real renders, and both on the merged
hypothesis model, where shapes are many (what building them costs).

Measured 2026-12-06 06:54-06:56 UTC (this VM, load ~3.8 on 2 CPUs; ``--examples 1000 --repeat 5``, then twice
``--no-hypothesis --repeat 7``): 10,000 accounts are 3 mutt shapes and 2 thunderbird shapes; no difference on
the benchmark file, on 570 hostile models (973 accounts; mutt refused 136 of them alike) or on the merged model
(3,262 accounts, 643 / 686 shapes). CPU: mutt 0.188-0.206 s real, 0.086-0.099 s shapes (0.46-0.53x); thunderbird
0.233-0.260 s real, 0.112-0.122 s shapes (0.46-0.51x). Real mutt: decide 0.115-0.122 s, Jinja + encode 0.052 s;
real thunderbird: account_prefs 0.117-0.128 s, escaping 0.051-0.060 s, user.js.j2 + encode 0.039-0.043 s. Merged
model: mutt 0.079 s real, 0.134 s shapes; thunderbird 0.064 s real, 0.156 s shapes (about 0.16 ms per shape
built: a shape pays for itself from some 15 accounts on).
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
import time
from collections.abc import Callable, Iterable
from operator import attrgetter
from pathlib import Path
from typing import Any

import jinja2

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _common

from mailconf import document, render
from mailconf.escape import FILTERS, UnsafeValue
from mailconf.escape.mutt import refuse_control
from mailconf.escape.prefs import prefs_string, prefs_value
from mailconf.model import Account, Auth, Model, Protocol, Server
from mailconf.render import RenderError
from mailconf.targets import (
    TARGETS,
    Gap,
    GapRules,
    Gaps,
    Rendered,
    RenderedFile,
    _muttlike,
    locate_unsafe,
    mutt,
)
from mailconf.targets import thunderbird as tb
from mailconf.targets._urlhost import url_host_ok

#: A value's Python expression over ``a`` (the account), ``i``/``o`` (its incoming/outgoing server), ``n`` (its key
#: number, thunderbird) and the names of _NAMES; a slot wraps it in its escape function's name (or none: raw).
Getter = str
#: a shape: one function of the account (and its key number) that returns its output (a %-format of escaped
#: values, compiled for the shape), and the shape's gaps (setting, instead)
Shape = tuple[Callable[[Account, int], str], tuple[tuple[str, str], ...]]
_NAMES: dict[str, object] = {
    "url": _muttlike.url,
    "prefs_string": prefs_string,
    "prefs_value": prefs_value,
    **FILTERS,
}


def _compile(fmt: str, slots: list[str]) -> Callable[[Account, int], str]:
    """The shape's function: ``fmt % (slot values)``, one expression per slot, compiled once per shape."""
    values = "".join(x + ", " for x in slots)
    code = f"def one(a, n):\n    i = a.incoming\n    o = a.outgoing\n    return FMT % ({values})\n"
    namespace: dict[str, Any] = {**_NAMES, "FMT": fmt}
    exec(code, namespace)  # the spike's own expressions (from its getters), never data
    one: Callable[[Account, int], str] = namespace["one"]
    return one


def _rules_diff(rules: GapRules, server: Server) -> tuple[bool, ...]:
    """Which "no" features of the target's capability table the server declares (the gaps of Gaps.unsupported)."""
    if rules.values is None:
        return ()
    values = rules.values(server)
    if values == rules.defaults:  # nearly every server: one C-level comparison
        return ()
    return tuple(v != d for v, d in zip(values, rules.defaults, strict=False))


# --- mutt ------------------------------------------------------------------------------------------------------

DIALECT = mutt.DIALECT
_SENTINEL = re.compile("\ue000(\\d+)(?::(\\w+))?\ue001")


def _mutt_rules() -> GapRules:
    _muttlike.render(Model(()), render.environment(), DIALECT, mutt.CAPABILITIES)  # builds the cached rules
    return _muttlike._GAP_RULES[DIALECT.name]


def _mutt_server_key(s: Server, rules: GapRules) -> tuple[object, ...]:
    tls = s.tls
    return (
        s.protocol,
        s.security,
        s.auth,
        s.mechanisms,
        s.password_command is None,
        not s.token_command,
        tls.verify,
        tls.verify_hostname,
        s.declared("tls.verify_hostname"),
        tls.ca_file is None,
        tls.client_cert is None,
        tls.client_key is None,
        tls.client_key == tls.client_cert,
        tls.fingerprint is None,
        tls.min_version,
        s.timeout is None,
        s.timeout == 0,
        s.leave_on_server,
        s.leave_days is None,
        s.host.endswith("."),  # value-dependent: the trailing-dot gap
        _rules_diff(rules, s),
    )


def mutt_key(account: Account, rules: GapRules) -> tuple[object, ...]:
    """Every input of _muttlike.decide and of the template's {% if %}s, but the values themselves."""
    inc, out = account.incoming, account.outgoing
    cross: tuple[object, ...] = ()
    if inc is not None and out is not None:
        cross = (
            inc.tls.ca_file == out.tls.ca_file,
            inc.tls.client_cert == out.tls.client_cert,
            inc.timeout == out.timeout,
        )
    return (
        not account.display_name,
        account.organization is None,
        None if inc is None else _mutt_server_key(inc, rules),
        None if out is None else _mutt_server_key(out, rules),
        cross,
    )


def _mutt_getters(account: Account) -> list[tuple[str, Getter]]:
    """(AccountRc field path, the expression decide() computes it by) for every value field of this shape."""
    servers = ["i" if s is account.incoming else "o" for s in account.servers]

    def first(attribute: str) -> str:  # the first server that declares it: the shape's (the key holds which)
        read = attrgetter(attribute)
        return next((f"{x}.{attribute}" for x, s in zip(servers, account.servers, strict=True)
                     if read(s) is not None), "None")  # fmt: skip

    getters: list[tuple[str, Getter]] = [
        ("name", "a.name"),
        ("address", "a.address"),
        ("real_name", f"(a.display_name or {DIALECT.no_real_name!r})"),
        ("organization", "'Organization: ' + a.organization"),
        ("ca_file", first("tls.ca_file")),
        ("client_cert", first("tls.client_cert")),
        ("connect_timeout", f"str({first('timeout')} or -1)"),
    ]
    for k, (x, server) in enumerate(zip(servers, account.servers, strict=True)):
        with_user = server.protocol is Protocol.SMTP and server.auth is not Auth.NONE
        getters += [
            (f"servers.{k}.url", f"url({x}, with_user={with_user})"),
            (f"servers.{k}.user", f"{x}.username"),
            (f"servers.{k}.password_command", f"{x}.password_command"),
            (f"servers.{k}.oauth_command", f"{x}.token_command"),
        ]
    return getters


@dataclasses.dataclass
class _Marked:
    env: jinja2.Environment
    layout: Any


def _marker_env() -> _Marked:
    """The real template in an environment of its own whose escape filters mark a sentinel with their name."""
    real = render.environment()
    env = jinja2.Environment(
        loader=real.loader,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.code_generator_class = real.code_generator_class
    env.filters.update(FILTERS)
    for name in ("mutt_quote", "mutt_command", "mutt_word"):

        def marked(value: str, name: str = name) -> str:
            m = _SENTINEL.fullmatch(value)
            return f"\ue000{m.group(1)}:{name}\ue001" if m else str(FILTERS[name](value))

        env.filters[name] = marked
    return _Marked(env, env.get_template(_muttlike.TEMPLATE).module.account)  # type: ignore[attr-defined]


def _mutt_shape(account: Account, rules: GapRules, marked: _Marked) -> Shape:
    found = Gaps()
    rc = _muttlike.decide(account, DIALECT, rules, found)  # the real decisions: may raise UnsafeValue
    assert all(g.account == account.name for g in found.found)
    getters = _mutt_getters(account)
    index = {path: k for k, (path, _) in enumerate(getters)}

    def sentinel(path: str, value: object) -> Any:
        return None if value is None else f"\ue000{index[path]}\ue001"

    servers = tuple(
        s._replace(
            **{f: sentinel(f"servers.{i}.{f}", getattr(s, f)) for f in ("url", "user", "password_command")},
            oauth_command=sentinel(f"servers.{i}.oauth_command", s.oauth_command),
        )
        for i, s in enumerate(rc.servers)
    )
    probe = rc._replace(
        **{
            f: sentinel(f, getattr(rc, f))
            for f in ("name", "address", "real_name", "organization", "ca_file", "client_cert", "connect_timeout")
        },
        servers=servers,
    )
    text = str(marked.layout(probe, DIALECT))  # Jinja: once per shape
    slots: list[str] = []
    pieces: list[str] = []
    last = 0
    for m in _SENTINEL.finditer(text):
        pieces.append(text[last : m.start()].replace("%", "%%") + "%s")
        last = m.end()
        field, expression = getters[int(m.group(1))]
        # a value the template writes without an escape filter must be one the real template writes so too: a
        # sentinel inside a longer filtered text (a concatenation in the template) would come out unescaped here
        assert m.group(2) or field in ("name", "connect_timeout"), field
        slots.append(f"{m.group(2)}({expression})" if m.group(2) else expression)
    pieces.append(text[last:].replace("%", "%%"))
    return _compile("".join(pieces), slots), tuple((g.setting, g.instead) for g in found.found)


def shape_mutt(model: Model, rules: GapRules, marked: _Marked, shapes: dict[tuple[object, ...], Shape]) -> Rendered:
    """The prototype: mutt's files and gaps for ``model``, one shape at a time."""
    layout = render.environment().get_template(_muttlike.TEMPLATE).module.account  # type: ignore[attr-defined]
    files: list[RenderedFile] = []
    gaps: list[Gap] = []
    check_lengths, check_from, unsafe = _muttlike._check_lengths, _muttlike._check_from, UnsafeValue
    for account in model.accounts:
        try:
            for server in account.servers:
                check_lengths(account, server, DIALECT)
            check_from(account, DIALECT)
            key = mutt_key(account, rules)
            shape = shapes.get(key)
            if shape is None:
                shape = shapes[key] = _mutt_shape(account, rules, marked)
            one, gap_pairs = shape
            text = one(account, 0)
        except unsafe:  # the real code, which refuses as it does today
            found = Gaps()
            rc = _muttlike.decide(account, DIALECT, rules, found)
            try:
                text = layout(rc, DIALECT)
            except unsafe as exc:
                raise locate_unsafe([account], refuse_control, exc) from None
            raise AssertionError("the fast path refused what the real code renders") from None
        name = account.name
        gaps += [Gap(name, setting, instead) for setting, instead in gap_pairs]
        files.append(RenderedFile(f"{name}.muttrc", text.encode("utf-8")))
    return Rendered(tuple(files), tuple(gaps))


# --- thunderbird -----------------------------------------------------------------------------------------------

_TB_N = 987654321  # the key number of the probe: "mail.server.server987654321.hostname"
_TB_INT = 1_000_000_000  # integer sentinels from here (ports, leave_days): above every real one
_TB_NUMBER = str(_TB_N)
_TB_MARK = re.compile("\x00(\\d+)\x00|" + str(_TB_N))


def _tb_server_key(s: Server) -> tuple[object, ...]:
    tls = s.tls
    incoming = s.protocol is not Protocol.SMTP
    return (
        s.protocol,
        s.security,
        s.auth,
        s.mechanisms,
        incoming and url_host_ok(s.host),  # value-dependent: the host gap
        s.auth is Auth.OAUTH2 and tb.oauth2_provider_known(s.host, s.protocol),  # value-dependent: the auth gap
        tls.fingerprint_algorithm,
        tls.verify,
        tls.verify_hostname,
        tls.client_cert is None,
        tls.client_key is None,
        s.leave_on_server,
        s.leave_days is None,
        s.username.isascii(),  # value-dependent: the SMTP and POP3 user name gaps
        s.port == 1,  # value-dependent: the POP3 port 1 gap
        _rules_diff(tb.GAP_RULES, s),
    )


def tb_key(account: Account) -> tuple[object, ...]:
    inc, out = account.incoming, account.outgoing
    return (
        account.display_name is None,
        account.organization is None,
        account.address.isascii(),  # value-dependent: the address gap
        None if inc is None else _tb_server_key(inc),
        None if out is None else _tb_server_key(out),
    )


def _tb_keys(n: int) -> tb.Keys:
    return tb.Keys(f"account{n}", f"server{n}", f"id{n}", f"smtp{n}")


def _tb_shape(account: Account, n: int, env: jinja2.Environment, default_smtp: tuple[str, str] | None) -> Shape:
    found = Gaps()
    # the real decisions under the probe's key number: a gap that names the account's key ("only the SMTP server
    # (smtp12) is written") shows where it goes (per account: _shape_thunderbird puts the number back)
    real = tb.account_prefs(account, _tb_keys(_TB_N), tb.Collected({}, {}), found, default_smtp)
    assert all(g.account == account.name for g in found.found)
    getters: list[Getter] = ["a.name", "a.address"]
    strings: dict[str, int] = {"~S0~": 0, "~S1~": 1}

    def text(expression: Getter) -> str:
        getters.append(expression)
        token = f"~S{len(getters) - 1}~"
        strings[token] = len(getters) - 1
        return token

    def number(expression: Getter) -> int:
        getters.append(expression)
        return _TB_INT + len(getters) - 1

    def server(x: str, s: Server | None) -> Server | None:
        if s is None:
            return None
        return dataclasses.replace(
            s,
            host=text(f"{x}.host"),
            port=number(f"{x}.port"),
            username=text(f"{x}.username"),
            leave_days=None if s.leave_days is None else number(f"{x}.leave_days"),
        )

    probe = dataclasses.replace(
        account,
        name="~S0~",
        address="~S1~",
        display_name=None if account.display_name is None else text("a.display_name"),
        organization=None if account.organization is None else text("a.organization"),
        incoming=server("i", account.incoming),
        outgoing=server("o", account.outgoing),
    )
    prefs = tb.account_prefs(probe, _tb_keys(_TB_N), tb.Collected({}, {}), Gaps(), default_smtp)
    assert len(prefs) == len(real)
    escapes: dict[int, str] = {0: "prefs_string"}
    lines: list[tuple[str, str]] = []
    for (name, value), _real in zip(prefs, real, strict=True):
        k = strings.get(value) if isinstance(value, str) else None
        if k is None and type(value) is int and value >= _TB_INT:
            k = value - _TB_INT
            escapes[k] = "prefs_value"  # an int (PrefEscaper: prefs_value)
        if k is None:  # a decision: escaped as PrefEscaper does
            lines.append((name, prefs_string(value) if type(value) is str else prefs_value(value)))
            continue
        escapes.setdefault(k, "prefs_string")
        lines.append((name, f"\x00{k}\x00"))
    template = env.get_template("thunderbird/user.js.j2")
    head = template.render(globals=(), blocks=())
    whole = template.render(globals=(), blocks=[tb.Block("\x000\x00", tuple(lines))])  # Jinja: once per shape
    assert whole.startswith(head)
    block = whole[len(head) :]
    slots: list[str] = []
    pieces: list[str] = []
    last = 0
    for m in _TB_MARK.finditer(block):
        pieces.append(block[last : m.start()].replace("%", "%%") + "%s")
        last = m.end()
        if m.group(1) is None:
            slots.append("n")  # the key number: digits, which prefs strings write as they are
        else:
            k = int(m.group(1))
            slots.append(f"{escapes[k]}({getters[k]})")
    pieces.append(block[last:].replace("%", "%%"))
    return _compile("".join(pieces), slots), tuple((g.setting, g.instead) for g in found.found)


def shape_thunderbird(model: Model, env: jinja2.Environment, shapes: dict[tuple[object, ...], Shape]) -> Rendered:
    """The prototype: thunderbird's files and gaps for ``model`` (every account's block from its shape)."""
    try:
        return _shape_thunderbird(model, env, shapes)
    except UnsafeValue:  # a value the escaping refuses: the real code names it, as it does today
        tb.render(model, env, {})
    # the real code rendered what the fast path refused: a wrong shape (a slot escaped otherwise than the
    # real code escapes it), which falling back would hide from the differential check
    raise AssertionError("the fast path refused what the real code renders")


def _collect(account: Account, collected: tb.Collected) -> None:
    """What account_prefs collects for the other two files (cert_override.txt, import-ca.sh)."""
    for server in (account.incoming, account.outgoing):
        if server is None:
            continue
        tls = server.tls
        if tls.fingerprint is not None and tls.fingerprint_algorithm == "sha256" and tls.fingerprint_hex:
            where = tb.host_port(server)
            collected.overrides.setdefault(where, tb.Override(where, tb.SHA256_OID, tls.fingerprint_hex.upper()))
        if tls.ca_file is not None:
            ca = tb.CaImport(f"mailconf {account.name}.{server.side}", tls.ca_file)
            collected.imports.setdefault(ca.path, ca)


def _shape_thunderbird(model: Model, env: jinja2.Environment, shapes: dict[tuple[object, ...], Shape]) -> Rendered:
    start = tb.first_key({})
    gaps = Gaps()
    found = gaps.found
    collected = tb.Collected({}, {})
    default_smtp = next(
        ((f"smtp{n}", a.name) for n, a in enumerate(model.accounts, start) if a.outgoing is not None), None
    )
    blocks: list[str] = []
    accounts: list[str] = []
    smtps: list[str] = []
    for n, account in enumerate(model.accounts, start):
        key = tb_key(account)
        shape = shapes.get(key)
        if shape is None:
            shape = shapes[key] = _tb_shape(account, n, env, default_smtp)
        one, gap_pairs = shape
        blocks.append(one(account, n))
        name = account.name
        found += [Gap(name, setting, instead.replace(_TB_NUMBER, str(n)) if _TB_NUMBER in instead else instead)
                  for setting, instead in gap_pairs]  # fmt: skip
        _collect(account, collected)
        if account.incoming is not None:
            accounts.append(f"account{n}")
        if account.outgoing is not None:
            smtps.append(f"smtp{n}")
    globals_: list[tb.Pref] = []  # as tb.render: few lines, once per model
    if accounts:
        globals_ += [(prefs_string("mail.accountmanager.accounts"), ",".join(accounts))]
        globals_ += [(prefs_string("mail.accountmanager.defaultaccount"), accounts[0])]
    if smtps:
        globals_ += [(prefs_string("mail.smtpservers"), ",".join(smtps))]
        globals_ += [(prefs_string("mail.smtp.defaultserver"), smtps[0])]
    for field, value_of, pref in (
        ("timeout", None, "mailnews.tcptimeout"),
        ("tls.min_version", tb.TLS_VERSION, "security.tls.version.min"),
    ):
        pref_list, pref_gaps = tb.global_setting(model, field, value_of, pref)
        globals_ += pref_list
        found += pref_gaps
    head = env.get_template("thunderbird/user.js.j2").render(globals=tb.PrefEscaper().lines(globals_), blocks=())
    files = [RenderedFile("user.js", (head + "".join(blocks)).encode("utf-8"))]
    if collected.overrides:  # one render per file, not per account: as tb.render
        overrides = list(collected.overrides.values())
        files.append(RenderedFile("cert_override.txt", tb._render(env, "cert_override.txt.j2", overrides=overrides)))
    if collected.imports:
        imports = list(collected.imports.values())
        files.append(RenderedFile("import-ca.sh", tb._render(env, "import-ca.sh.j2", imports=imports), 0o700))
    return Rendered(tuple(files), tuple(found))


# --- the checks and the clock ----------------------------------------------------------------------------------


def _outcome(run: Callable[[], Rendered]) -> Rendered | str:
    try:
        return run()
    except (RenderError, UnsafeValue) as exc:
        return f"refused: {exc}"
    except AssertionError as exc:  # the prototype's own check: a difference
        return f"prototype: {exc}"


def _prototypes(env: jinja2.Environment) -> dict[str, Callable[[Model], Rendered]]:
    rules, marked = _mutt_rules(), _marker_env()

    def proto_mutt(model: Model) -> Rendered:
        try:
            return shape_mutt(model, rules, marked, {})
        except UnsafeValue as exc:
            raise RenderError(f"target mutt: not rendered: {exc}") from None

    def proto_tb(model: Model) -> Rendered:
        try:
            return shape_thunderbird(model, env, {})
        except UnsafeValue as exc:
            raise RenderError(f"target thunderbird: not rendered: {exc}") from None

    return {"mutt": proto_mutt, "thunderbird": proto_tb}


def differ(models: Iterable[Model], env: jinja2.Environment) -> dict[str, tuple[int, int, int]]:
    """Per target: (models compared, of which refused alike, differences). A difference stops with its account."""
    counts: dict[str, list[int]] = {}
    protos = _prototypes(env)
    for model in models:
        for name, proto in protos.items():
            real = _outcome(lambda name=name, model=model: render.render_model(TARGETS[name], model, {}))  # type: ignore[misc]
            mine = _outcome(lambda proto=proto, model=model: proto(model))  # type: ignore[misc]
            c = counts.setdefault(name, [0, 0, 0])
            c[0] += 1
            c[1] += isinstance(real, str)
            if real != mine:
                c[2] += 1
                _explain(name, model, real, mine)
    return {k: (v[0], v[1], v[2]) for k, v in counts.items()}


def _explain(name: str, model: Model, real: Rendered | str, mine: Rendered | str) -> None:
    print(f"DIFFERENCE {name}: {len(model.accounts)} accounts", file=sys.stderr)
    if isinstance(real, str) or isinstance(mine, str):
        print(f"  real: {real if isinstance(real, str) else 'rendered'}", file=sys.stderr)
        print(f"  mine: {mine if isinstance(mine, str) else 'rendered'}", file=sys.stderr)
        return
    for a, b in zip(real.files, mine.files, strict=False):
        if a != b:
            print(f"  file {a.name} / {b.name} mode {a.mode:o}/{b.mode:o}", file=sys.stderr)
            for la, lb in zip(a.content.splitlines(), b.content.splitlines(), strict=False):
                if la != lb:
                    print(f"    real {la!r}\n    mine {lb!r}", file=sys.stderr)
                    break
            break
    if len(real.files) != len(mine.files):
        print(f"  files: {len(real.files)} vs {len(mine.files)}", file=sys.stderr)
    if real.gaps != mine.gaps:
        print(f"  gaps: {len(real.gaps)} vs {len(mine.gaps)}", file=sys.stderr)
        for ga, gb in zip(real.gaps, mine.gaps, strict=False):
            if ga != gb:
                print(f"    real {ga}\n    mine {gb}", file=sys.stderr)
                break


_TEXT_FIELDS = ("address", "display_name", "organization")
_SERVER_FIELDS = ("host", "port", "username", "password_command", "token_command", "timeout", "leave_days")
_TLS_FIELDS = ("ca_file", "client_cert", "client_key", "fingerprint")


def _transplant(into: Account, donor: Account, name: str) -> Account:
    """``into`` with every value that both accounts declare taken from ``donor``: the same declared settings (so,
    but for the value-dependent decisions, the same shape) with other values, some of them hostile."""

    def values(target: Any, source: Any, fields: tuple[str, ...]) -> dict[str, Any]:
        return {
            f: getattr(source, f) for f in fields if getattr(target, f) is not None and getattr(source, f) is not None
        }

    def server(s: Server | None, d: Server | None) -> Server | None:
        if s is None or d is None:
            return s
        return dataclasses.replace(
            s, **values(s, d, _SERVER_FIELDS), tls=dataclasses.replace(s.tls, **values(s.tls, d.tls, _TLS_FIELDS))
        )

    return dataclasses.replace(
        into,
        name=name,
        **values(into, donor, _TEXT_FIELDS),
        incoming=server(into.incoming, donor.incoming),
        outgoing=server(into.outgoing, donor.outgoing),
    )


def hypothesis_models(examples: int) -> list[Model]:
    """Hostile models from tests/test_fuzz_render.py's strategy; then, so that shapes are reused with other values,
    one model of every drawn account that both real targets render alone, each followed by copies of it with the
    values of three other such accounts (_transplant) that both render alone too."""
    from hypothesis import HealthCheck, given, settings

    from tests.test_fuzz_render import account_files

    models: list[Model] = []

    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(raw=account_files())
    def draw(raw: bytes) -> None:
        model = document.load_document("fuzz.yaml", raw).model
        if model.accounts:
            models.append(model)

    draw()

    def renders(account: Account) -> bool:
        alone = Model((account,))
        return all(not isinstance(_outcome(lambda t=t: render.render_model(TARGETS[t], alone, {})), str)  # type: ignore[misc]
                   for t in ("mutt", "thunderbird"))  # fmt: skip

    good = [a for m in models for a in m.accounts if renders(a)]
    merged: list[Account] = []
    for i, account in enumerate(good):
        merged.append(dataclasses.replace(account, name=f"m{i}"))
        copies = [_transplant(account, good[(i * 7 + j) % len(good)], f"m{i}t{j}") for j in (1, 2, 3)]
        merged += filter(renders, copies)  # a refusal would stop the merged model's render at that account
    return [*models, Model(tuple(merged))]


def best(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        run()
        times.append(time.process_time() - start)
    return min(times)


def mutt_split(model: Model, repeat: int) -> tuple[float, float]:
    """The real mutt render in two parts: decide() for every account, then the Jinja macro for every account."""
    rules = _mutt_rules()
    layout = render.environment().get_template(_muttlike.TEMPLATE).module.account  # type: ignore[attr-defined]
    rcs: list[_muttlike.AccountRc] = []

    def decide() -> None:
        found = Gaps()
        rcs[:] = [_muttlike.decide(a, DIALECT, rules, found) for a in model.accounts]

    decide_s = best(decide, repeat)
    layout_s = best(lambda: [layout(rc, DIALECT).encode("utf-8") for rc in rcs], repeat)
    return decide_s, layout_s


def thunderbird_split(model: Model, env: jinja2.Environment, repeat: int) -> tuple[float, float, float]:
    """The real thunderbird render in three parts: account_prefs (the decisions), their escaping, user.js.j2."""
    decided: list[tb.Decided] = []
    blocks: list[tb.Block] = []

    def decide() -> None:
        collected, gaps = tb.Collected({}, {}), Gaps()
        default = next(((f"smtp{n}", a.name) for n, a in enumerate(model.accounts, 1) if a.outgoing), None)
        decided[:] = [
            tb.Decided(a.name, tb.account_prefs(a, _tb_keys(n), collected, gaps, default))
            for n, a in enumerate(model.accounts, 1)
        ]

    def escape() -> None:
        escaper = tb.PrefEscaper()
        blocks[:] = [tb.Block(escaper.text(d.account), escaper.lines(d.prefs)) for d in decided]

    template = env.get_template("thunderbird/user.js.j2")
    return (
        best(decide, repeat),
        best(escape, repeat),
        best(lambda: template.render(globals=(), blocks=blocks).encode("utf-8"), repeat),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--examples", type=int, default=300)
    parser.add_argument("--no-hypothesis", action="store_true")
    args = parser.parse_args(argv)
    path = _common.write_accounts_file(10_000)
    env = render.environment()
    with document.gc_paused():
        model = document.load_document(str(path)).model
        rules = _mutt_rules()
        print(f"{len(model.accounts)} accounts ({path.name})")
        print(f"shapes: mutt {len({mutt_key(a, rules) for a in model.accounts})}, "
              f"thunderbird {len({tb_key(a) for a in model.accounts})}")  # fmt: skip
        checked = differ([model], env)
        print(f"differential, benchmark file: {checked}  (models, refused alike, DIFFERENCES)")
    if not args.no_hypothesis:
        models = hypothesis_models(args.examples)
        checked = differ(models, env)
        n = sum(len(m.accounts) for m in models[:-1])
        merged = models[-1]
        print(f"differential, hypothesis: {len(models) - 1} models ({n} accounts) + 1 merged of "
              f"{len(merged.accounts)} accounts (shapes: mutt {len({mutt_key(a, rules) for a in merged.accounts})}, "
              f"thunderbird {len({tb_key(a) for a in merged.accounts})}): {checked}")  # fmt: skip
    protos = _prototypes(env)
    with document.gc_paused():
        for name in ("mutt", "thunderbird"):
            real_s = best(lambda name=name: render.render_model(TARGETS[name], model, {}), args.repeat)  # type: ignore[misc]
            proto_s = best(lambda name=name: protos[name](model), args.repeat)  # type: ignore[misc]
            print(f"CPU, best of {args.repeat}: {name} real {real_s:.4f} s, shapes {proto_s:.4f} s "
                  f"({proto_s / real_s:.2f}x, saves {real_s - proto_s:.4f} s)")  # fmt: skip
        decide_s, layout_s = mutt_split(model, args.repeat)
        print(f"real mutt split: decide {decide_s:.4f} s, Jinja macro + encode {layout_s:.4f} s")
        decide_s, escape_s, layout_s = thunderbird_split(model, env, args.repeat)
        print(f"real thunderbird split: account_prefs {decide_s:.4f} s, escaping {escape_s:.4f} s, "
              f"user.js.j2 + encode {layout_s:.4f} s")  # fmt: skip
        if not args.no_hypothesis:  # many shapes: what building them costs (each call starts with no shape)
            for name in ("mutt", "thunderbird"):
                real_s = best(lambda name=name: _outcome(lambda: render.render_model(TARGETS[name], merged, {})), 3)  # type: ignore[misc]
                proto_s = best(lambda name=name: _outcome(lambda: protos[name](merged)), 3)  # type: ignore[misc]
                print(f"CPU, merged hypothesis model ({len(merged.accounts)} accounts): {name} real {real_s:.4f} s, "
                      f"shapes {proto_s:.4f} s")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
