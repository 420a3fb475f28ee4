"""render: a valid account file -> client configuration, for one target or several.

Decisions that are the same for every target live here: which targets and
accounts, what can never be rendered (``starttls-optional``, a literal
``password``), and where the output goes:

- standard output by default (a target that produces several files needs
  ``-o DIR`` or ``--account``);
- ``-o DIR`` writes the files (mailconf.output: atomic, 0600, an existing file
  whose content differs is never replaced without ``--force``, nothing written
  unless everything can be);
- several targets (``-t mutt -t msmtp``, or ``-t all``) are rendered from one
  load of the file, each into its own folder ``DIR/<target>/``; they need
  ``-o DIR``. A gap or a refusal in any target stops all of them (``--strict``);
- ``--check`` renders in memory and compares with ``-o DIR``: exit 1 and a
  unified diff when anything is missing or stale.
"""

from __future__ import annotations

import keyword
import sys
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import NamedTuple, Protocol

import jinja2
import jinja2.compiler
import jinja2.nodes
import jinja2.tests

from .errors import FindingsError, UsageError, no_such_account, shown
from .model import Finding, Model, Security
from .targets import TARGETS, Gap, Rendered, RenderedFile, Target

#: ``--target all`` renders every target.
ALL = "all"


class RenderError(FindingsError):
    """The input cannot be rendered (invalid file, a setting that is never rendered, --strict gaps)."""


@cache
def environment() -> jinja2.Environment:
    """One Jinja environment: StrictUndefined, no autoescape (each target escapes by its own rules)."""
    from . import escape, resources

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resources.templates_dir())),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # templates do not change during a run: no stat() per include
    )
    env.code_generator_class = _PlainPython
    env.filters.update(escape.FILTERS)
    return env


class _PlainPython(jinja2.compiler.CodeGenerator):
    """Compiles field reads and ``is none`` tests to the plain Python they mean; the rest as Jinja does.

    ``{{ p.host }}`` becomes the attribute read ``(p).host``. Templates read NamedTuple fields by name
    (tests/targets/test_templates.py checks that every field a template reads exists). Jinja compiles each read to
    ``environment.getattr(p, "host")``: a Python function whose fallback (item access, then Undefined) no template
    needs, called 401,286 times to render mutt for 10,000 accounts. The plain attribute read costs what unpacking the
    tuple by position cost before the design pass (benchmarks/README.md, issue 14). A field that does not exist raises
    AttributeError in the template's frame, which render_model reports as a template error in one line; an undefined
    variable stays StrictUndefined's UndefinedError.

    ``x is none`` becomes ``(x is None)`` and ``x is not none`` ``(not (x is None))`` (one ``IS_OP`` in the
    bytecode), instead of a call of Jinja's ``tests.test_none``, whose whole body is ``return value is None``: the
    same answer for every value, an Undefined included (it is not None, and nothing of it is read). Templates make
    such a test for each optional setting of each account. Only for Jinja's own ``none`` test without arguments:
    another test of that name, or arguments, keep Jinja's call.
    """

    def visit_Getattr(self, node: jinja2.nodes.Getattr, frame: jinja2.compiler.Frame) -> None:
        if self.environment.is_async or not node.attr.isidentifier() or keyword.iskeyword(node.attr):
            super().visit_Getattr(node, frame)  # not a name Python can read as .attr: Jinja's own lookup
            return
        self.write("(")
        self.visit(node.node, frame)
        self.write(f").{node.attr}")

    @jinja2.compiler.optimizeconst  # as Jinja's own visit_Test: ``none is none`` is still folded to True
    def visit_Test(self, node: jinja2.nodes.Test, frame: jinja2.compiler.Frame) -> None:
        if (
            node.name != "none"
            or node.args
            or node.kwargs
            or node.dyn_args is not None
            or node.dyn_kwargs is not None
            or self.environment.is_async
            or self.environment.tests.get("none") is not jinja2.tests.test_none
        ):
            super().visit_Test(node, frame)
            return
        self.write("(")
        self.visit(node.node, frame)
        self.write(" is None)")


def choose_targets(names: Sequence[str]) -> tuple[Target, ...]:
    """The targets named (in the order given, each once); ``all`` is every target."""
    chosen: dict[str, Target] = {}
    for name in names:
        if name == ALL:
            chosen.update((n, TARGETS[n]) for n in sorted(TARGETS))
            continue
        target = TARGETS.get(name)
        if target is None:
            raise UsageError(f"unknown target {shown(name)}; choose one of: {', '.join(sorted(TARGETS))}, or {ALL}")
        chosen.setdefault(name, target)
    if not chosen:
        raise UsageError(f"name a target with --target (one of: {', '.join(sorted(TARGETS))}, or {ALL})")
    return tuple(chosen.values())


def parse_options(targets: Sequence[Target], pairs: Sequence[str]) -> dict[str, dict[str, str]]:
    """``KEY=VALUE`` pairs -> target name -> options. A key goes to every chosen target that takes it."""
    options: dict[str, dict[str, str]] = {t.NAME: {} for t in targets}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise UsageError(f"--option {shown(pair)}: write KEY=VALUE")
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:  # a byte of another encoding: Python hands it over as a lone surrogate
                raise UsageError(f"--option {shown(key)}: the value is not UTF-8 text; write it in UTF-8") from None
        takers = [t for t in targets if key in t.OPTIONS]
        if not takers:
            known = ", ".join(sorted({k for t in targets for k in t.OPTIONS})) or "none"
            names = ", ".join(t.NAME for t in targets)
            where = f"target {names}" if len(targets) == 1 else f"targets {names}"
            raise UsageError(f"--option {shown(key)}: unknown for {where} (known: {known})")
        for target in takers:
            given = options[target.NAME].setdefault(key, value)
            if given != value:  # the last one won without a word, as a YAML key written twice would
                twice = f"given twice ({shown(given)}, then {shown(value)})"
                raise UsageError(f"--option {shown(key)}: {twice}; give it once")
    return options


def select_accounts(model: Model, names: Sequence[str]) -> Model:
    """The named accounts of ``model`` (all when none is named); UsageError for an unknown name."""
    if not names:
        return model
    known = {a.name for a in model.accounts}
    missing = [n for n in names if n not in known]
    if missing:
        raise no_such_account(missing, known)
    return Model(tuple(a for a in model.accounts if a.name in names))


def common_gaps(model: Model) -> tuple[list[Gap], list[str]]:
    """Gaps every target shares, and the settings that are never rendered (errors)."""
    # lint's own decisions (MC304, MC703), so that lint and render never disagree on what contradicts
    from .rules.mc304_mechanism_contradicts_auth import contradictions
    from .rules.mc703_invalid_hostname import diagnose

    gaps: list[Gap] = []
    refusals: list[str] = []
    for account in model.accounts:
        for server in account.servers:
            if server.has_literal_password:
                instead = "a literal password is never rendered: use password_command (lint: MC401)"
                gaps.append(Gap(account.name, f"{server.side}.password", instead))
            if server.security is Security.STARTTLS_OPTIONAL:
                refusals.append(
                    f"account {account.name}: {server.side}.security starttls-optional is never rendered "
                    "(a client that may skip STARTTLS can be downgraded); use starttls or tls"
                )
            # The schema lets any text of hex digits, dots and colons through as an IPv6 address, for MC703 to say
            # what it is (``192.0.2.1:993``: a port); every other host the schema has checked whole.
            if ":" in server.host and (wrong := diagnose(server.host)):
                refusals.append(f"account {account.name}: {server.side}.host is never rendered (lint: MC703): {wrong}")
            # Not a gap: the targets that honour mechanisms would write the contradiction (msmtp's auth plain with
            # the token command as passwordeval), and the others cannot know which of the two settings is meant.
            if server.mechanisms:  # nearly every server has none: no call for them (the load of 10,000 accounts)
                refusals.extend(
                    f"account {account.name}: {server.side}.mechanisms and {server.side}.auth disagree, which is never "
                    f"rendered (lint: MC304): {why}"
                    for _index, why in contradictions(server)
                )
    return gaps, refusals


def render_model(target: Target, model: Model, options: Mapping[str, str]) -> Rendered:
    from .escape import UnsafeValue

    try:
        return target.render(model, environment(), options)
    except UnsafeValue as exc:
        # the message names the rule (and the account and setting when the target knows them), never the value
        raise RenderError(f"target {target.NAME}: not rendered: {exc}") from None
    except jinja2.UndefinedError as exc:
        # the message names the variable only: the context (which may hold commands) is never printed
        raise RenderError(f"target {target.NAME}: template error: {exc.message}") from None
    except jinja2.TemplateError as exc:
        raise RenderError(f"target {target.NAME}: template error: {type(exc).__name__}") from None
    except AttributeError as exc:
        if not _raised_in_template(exc):
            raise
        # "'PoxProtocol' object has no attribute 'hots'": the type and the name, never a value
        raise RenderError(f"target {target.NAME}: template error: {exc}") from None


def _raised_in_template(exc: BaseException) -> bool:
    """Whether the innermost frame of ``exc`` is a template's code (Jinja names it after the template file)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and tb.tb_frame.f_code.co_filename.endswith(".j2")


class GapGroup(NamedTuple):
    """The accounts that share one gap (the same setting and advice) under one scope, in the order found.

    ``gap`` is the first account's. Grouped where the gaps are found, not where they are printed: ``-t all``
    of 10,000 accounts finds 338,000 gaps, and a worker process sends back a few dozen groups of account
    names instead (pickling the gaps one by one cost 0.3 s of CPU, unpickling and grouping them 0.25 s
    more, in the parent, after the workers are done).
    """

    scope: str  # the target's name, or ``all targets`` (ALL_SCOPE) for a gap every target shares
    gap: Gap
    accounts: tuple[str, ...]


def group_gaps(gaps: Iterable[tuple[str, Gap]]) -> tuple[GapGroup, ...]:
    """(scope, gap) pairs grouped by scope, setting and advice, in the order each group was first found."""
    groups: dict[tuple[str, str, str], tuple[Gap, list[str]]] = {}
    for scope, gap in gaps:
        key = (scope, gap.setting, gap.instead)
        group = groups.get(key)
        if group is None:
            groups[key] = (gap, [gap.account])
        else:
            group[1].append(gap.account)
    return tuple(GapGroup(scope, gap, tuple(accounts)) for (scope, _, _), (gap, accounts) in groups.items())


class RenderResult(NamedTuple):
    """What render produced: the files, and every gap grouped with the scope it is reported under."""

    files: tuple[RenderedFile, ...]
    gaps: tuple[GapGroup, ...]
    #: the accounts rendered, in file order
    accounts: tuple[str, ...] = ()
    #: files already written by the process that rendered them, through the Sink (``TARGET/NAME``): not in files
    written: tuple[str, ...] = ()

    @property
    def gap_count(self) -> int:
        """The gaps, one per account and setting."""
        return sum(len(group.accounts) for group in self.gaps)


class _Done(NamedTuple):
    """One target's share of a RenderResult, as a worker process sends it back."""

    files: tuple[RenderedFile, ...]  # empty when the sink wrote them
    gaps: tuple[GapGroup, ...]
    written: tuple[str, ...]  # the names of the files the sink wrote


class Sink(Protocol):
    """Where worker processes write the targets they render (mailconf.output.NewFolders), one folder per target.

    ``prepare`` runs in this process before the workers are forked, with every target's folder name;
    ``write`` runs in whichever process rendered a target, with its files (named relative to its
    folder), and says whether it wrote them: written files come back as names only
    (``RenderResult.written``), never as bytes. Used only when several targets render in several
    processes (:func:`render_targets`).
    """

    def prepare(self, folders: Sequence[str]) -> None: ...

    def write(self, folder: str, files: Sequence[RenderedFile]) -> bool: ...

    def done(self) -> None:
        """Every target is rendered and written, the workers have ended (NewFolders starts the disk on them)."""


class InvalidFile(RenderError):
    """The file has errors that stop it being modelled: its findings are reported, nothing is rendered."""

    def __init__(self, path: str, findings: Sequence[Finding]) -> None:
        super().__init__(f"{path}: not rendered: fix the errors above first (`mailconf lint {path}`)")
        self.findings = tuple(findings)


class NeverRendered(RenderError):
    """A setting that no target ever renders (``starttls-optional``): each reason is reported."""

    def __init__(self, path: str, reasons: Sequence[str]) -> None:
        super().__init__(f"{path}: not rendered")
        self.reasons = tuple(reasons)


def render_file(
    path: str,
    targets: Sequence[Target],
    accounts: Sequence[str],
    options: Mapping[str, Mapping[str, str]],
    jobs: int | None = None,
    *,
    sink: Sink | None = None,
) -> RenderResult:
    """Load ``path`` once and render every target from it (``jobs``, ``sink``: see render_targets). Prints nothing.

    InvalidFile when the file cannot be modelled; RenderError when a setting is never
    rendered or a value cannot be written safely; UsageError for an unknown account.
    """
    from .document import gc_paused

    with gc_paused():  # the targets make many objects and no cycles that matter (see gc_paused): 15-20% faster
        model, shared = renderable_model(path, accounts)
        result = render_targets(targets, model, shared, options, jobs, sink=sink)
        # Freed while the collector is still paused: re-enabled with the document or the model alive,
        # its first collection walks every container of them (0.1 s of CPU on 10,000 accounts).
        del model, shared
    return result


def renderable_model(path: str, accounts: Sequence[str], raw: bytes | None = None) -> tuple[Model, list[Gap]]:
    """Load and validate like lint: the model and the gaps every target shares (``raw``: the file's bytes, when
    already read)."""
    from .document import load_document
    from .lint import refusal

    doc = load_document(path, raw)
    blocking = refusal(doc)
    if blocking:
        raise InvalidFile(doc.path, blocking)
    model = select_accounts(doc.model, accounts)
    shared, refusals = common_gaps(model)
    if refusals:
        raise NeverRendered(doc.path, refusals)
    return model, shared


def render_targets(
    targets: Sequence[Target],
    model: Model,
    shared: Sequence[Gap],
    options: Mapping[str, Mapping[str, str]],
    jobs: int | None = None,
    *,
    sink: Sink | None = None,
) -> RenderResult:
    """Every target's files (under ``<target>/`` when there are several) and every gap, in order.

    ``jobs``: processes rendering targets at once (1: this one only; None: decided by :func:`workers`).
    The result, the gaps' order and the error raised (the first failing target's) are the same either way.
    ``sink``: with several targets rendered in several processes, each process hands the targets it
    renders to ``sink`` (their files are then in ``written``, by name, not in ``files``); else unused.
    """
    several = len(targets) > 1
    scope = ALL_SCOPE if several else targets[0].NAME
    gaps = list(group_gaps((scope, gap) for gap in shared))  # the same for every target: said once
    files: list[RenderedFile] = []
    written: list[str] = []
    each = _render_each(targets, model, options, jobs, sink if several else None)
    for target, done in zip(targets, each, strict=True):
        gaps += done.gaps
        files.extend(f._replace(name=f"{target.NAME}/{f.name}") if several else f for f in done.files)
        written.extend(f"{target.NAME}/{name}" for name in done.written)
    return RenderResult(tuple(files), tuple(gaps), tuple(a.name for a in model.accounts), tuple(written))


#: ``--jobs auto`` forks only from this many accounts x targets on (``-t all``: from 715 accounts). A worker
#: costs CPU that one process does not spend: each page of the model it touches is copied (copy-on-write;
#: CPython's reference counts write to every object read: 70,000 page faults at 10,000 accounts) and its
#: files are pickled back; the whole command spent up to 12% more CPU. Measured with two idle CPUs, whole
#: ``render -t all -o /dev/shm/X`` processes, --jobs 1 -> 2: 200 accounts 0.39 -> 0.36 s, 400 0.46 -> 0.43 s,
#: 700 0.57 -> 0.51 s, 1,000 0.67-0.77 -> 0.56-0.62 s, 10,000 4.1-5.0 -> 3.3-4.1 s. Below ~700 accounts the
#: gain is a few hundredths of a second, and on a machine whose other CPU is busy it turns into a loss (the
#: extra CPU, nothing in parallel): there one process is kept.
PARALLEL_FROM = 10_000

#: Seconds of CPU per target for 10,000 accounts (measured; only their order matters): the workers take the
#: costliest targets first, so no worker is left alone with the slowest one at the end. Every registered target
#: has one (tests/test_render_parallel.py): ``benchmarks/render_bench.py --accounts 10000`` prints them ("in one
#: process (CPU time)": ``render NAME``).
_COST = {
    "thunderbird": 0.37, "outlook": 0.30, "neomutt": 0.25, "mutt": 0.24, "outlook-prf": 0.23, "mobileconfig": 0.21,
    "autodiscover": 0.20, "aerc": 0.16, "autoconfig": 0.13, "getmail": 0.13, "offlineimap": 0.12, "mbsync": 0.12,
    "msmtp": 0.10, "fetchmail": 0.09,
}  # fmt: skip


def workers(targets: int, accounts: int, jobs: int | None = None) -> int:
    """How many processes render ``targets`` targets of ``accounts`` accounts: this one and N - 1 forked workers.

    ``jobs`` (``--jobs N``) is used as given (never more than the targets). None (``--jobs auto``)
    forks only where it pays: two targets or more, two usable CPUs or more, and at least
    PARALLEL_FROM accounts x targets; then one process per usable CPU (at most one per target).
    Only where fork is safe (:func:`_can_fork`); elsewhere 1, this process alone.
    """
    if jobs is None:
        if targets * accounts < PARALLEL_FROM:
            return 1
        jobs = _usable_cpus()
    return min(jobs, targets) if _can_fork() else 1


def _usable_cpus() -> int:
    """The CPUs this process may use: its affinity mask (``taskset``, a container's CPU set), capped by its cgroups'
    CPU quota (``docker run --cpus``, a Kubernetes CPU limit), mailconf.cpus."""
    from . import cpus

    return cpus.usable()


def _can_fork() -> bool:
    """Whether forking workers is safe here: Linux, the main thread, and no other thread alive.

    A child of a process with other threads inherits their locks held and never released
    (macOS even refuses some system calls after fork: Python defaults to spawn there).
    Nothing in render starts a thread before the targets are rendered (mailconf.output's
    fsync pool comes after, when the files are written), so from the command line this
    holds; a program calling render_targets while it runs threads renders in one process.
    The SIGTERM handler the workers need can be installed from the main thread only.
    """
    import threading

    return (
        sys.platform == "linux"
        and threading.current_thread() is threading.main_thread()
        and threading.active_count() == 1
    )


def _render_each(
    targets: Sequence[Target],
    model: Model,
    options: Mapping[str, Mapping[str, str]],
    jobs: int | None,
    sink: Sink | None,
) -> list[_Done]:
    """Each target's files and gaps, in order: rendered in this process (the sink unused), or in forked workers
    (mailconf._workers), each handing its targets to the sink (their files are then named in ``written``)."""
    count = workers(len(targets), len(model.accounts), jobs)
    if count <= 1:
        return [_done(target, render_model(target, model, options[target.NAME])) for target in targets]
    from . import _workers

    median = sorted(_COST.values())[len(_COST) // 2]
    order = sorted(range(len(targets)), key=lambda i: -_COST.get(targets[i].NAME, median))
    environment()  # made once, before the fork: the workers share it instead of each loading the templates
    if sink is not None:
        sink.prepare([target.NAME for target in targets])

    def task(i: int) -> _Done:
        target = targets[i]
        rendered = render_model(target, model, options[target.NAME])
        if sink is None or not sink.write(target.NAME, rendered.files):
            return _done(target, rendered)
        return _done(target, rendered, written=tuple(f.name for f in rendered.files))

    done = _workers.run(task, len(targets), count, order, lambda i: f"target {targets[i].NAME}")
    if sink is not None:
        sink.done()
    return done


def _done(target: Target, rendered: Rendered, written: tuple[str, ...] = ()) -> _Done:
    scope = target.NAME
    return _Done(() if written else rendered.files, group_gaps((scope, gap) for gap in rendered.gaps), written)


#: The scope of a gap every chosen target shares, when several are rendered.
ALL_SCOPE = "all targets"


def capability_matrix() -> str:
    """The capability matrix of docs/render.md (made by mailconf.docgen, which writes the manual's generated pages)."""
    from .docgen import capability_matrix

    return capability_matrix()
