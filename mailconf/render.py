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
from collections.abc import Mapping, Sequence
from functools import cache
from typing import NamedTuple

import jinja2
import jinja2.compiler
import jinja2.nodes

from .errors import FindingsError, UsageError
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
    env.code_generator_class = _FieldReads
    env.filters.update(escape.FILTERS)
    return env


class _FieldReads(jinja2.compiler.CodeGenerator):
    """Compiles ``{{ p.host }}`` to the Python attribute read ``(p).host``.

    Templates read NamedTuple fields by name (tests/targets/test_templates.py checks that every field a template
    reads exists). Jinja compiles each read to ``environment.getattr(p, "host")``: a Python function whose fallback
    (item access, then Undefined) no template needs, called 401,286 times to render mutt for 10,000 accounts. The
    plain attribute read costs what unpacking the tuple by position cost before the design pass (benchmarks/README.md,
    issue 14). A field that does not exist raises AttributeError in the template's frame, which render_model reports
    as a template error in one line; an undefined variable stays StrictUndefined's UndefinedError.
    """

    def visit_Getattr(self, node: jinja2.nodes.Getattr, frame: jinja2.compiler.Frame) -> None:
        if self.environment.is_async or not node.attr.isidentifier() or keyword.iskeyword(node.attr):
            super().visit_Getattr(node, frame)  # not a name Python can read as .attr: Jinja's own lookup
            return
        self.write("(")
        self.visit(node.node, frame)
        self.write(f").{node.attr}")


def choose_targets(names: Sequence[str]) -> tuple[Target, ...]:
    """The targets named (in the order given, each once); ``all`` is every target."""
    chosen: dict[str, Target] = {}
    for name in names:
        if name == ALL:
            chosen.update((n, TARGETS[n]) for n in sorted(TARGETS))
            continue
        target = TARGETS.get(name)
        if target is None:
            raise UsageError(f"unknown target {name!r}; choose one of: {', '.join(sorted(TARGETS))}, or {ALL}")
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
            raise UsageError(f"--option {pair}: write KEY=VALUE")
        takers = [t for t in targets if key in t.OPTIONS]
        if not takers:
            known = ", ".join(sorted({k for t in targets for k in t.OPTIONS})) or "none"
            names = ", ".join(t.NAME for t in targets)
            where = f"target {names}" if len(targets) == 1 else f"targets {names}"
            raise UsageError(f"--option {key}: unknown for {where} (known: {known})")
        for target in takers:
            options[target.NAME][key] = value
    return options


def select_accounts(model: Model, names: Sequence[str]) -> Model:
    """The named accounts of ``model`` (all when none is named); UsageError for an unknown name."""
    if not names:
        return model
    known = {a.name for a in model.accounts}
    missing = [n for n in names if n not in known]
    if missing:
        listed = ", ".join(sorted(known)) or "none"
        raise UsageError(f"no account named {', '.join(missing)} (accounts: {listed})")
    return Model(tuple(a for a in model.accounts if a.name in names))


def common_gaps(model: Model) -> tuple[list[Gap], list[str]]:
    """Gaps every target shares, and the settings that are never rendered (errors)."""
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


class RenderResult(NamedTuple):
    """What render produced: the files, and every gap with the scope it is reported under."""

    files: tuple[RenderedFile, ...]
    #: (scope, gap): scope is the target's name, or ``all targets`` for a gap every target shares
    gaps: tuple[tuple[str, Gap], ...]
    #: the accounts rendered, in file order
    accounts: tuple[str, ...] = ()


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
) -> RenderResult:
    """Load ``path`` once and render every target from it. Prints nothing.

    InvalidFile when the file cannot be modelled; RenderError when a setting is never
    rendered or a value cannot be written safely; UsageError for an unknown account.
    """
    from .document import gc_paused

    with gc_paused():  # the targets make many objects and no cycles that matter (see gc_paused): 15-20% faster
        model, shared = renderable_model(path, accounts)
        result = render_targets(targets, model, shared, options)
        # Freed while the collector is still paused: re-enabled with the document or the model alive,
        # its first collection walks every container of them (0.1 s of CPU on 10,000 accounts).
        del model, shared
    return result


def renderable_model(path: str, accounts: Sequence[str]) -> tuple[Model, list[Gap]]:
    """Load and validate like lint: the model and the gaps every target shares."""
    from .document import load_document
    from .lint import refusal

    doc = load_document(path)
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
) -> RenderResult:
    """Every target's files (under ``<target>/`` when there are several) and every gap, in order."""
    several = len(targets) > 1
    scope = ALL_SCOPE if several else targets[0].NAME
    gaps: list[tuple[str, Gap]] = [(scope, gap) for gap in shared]  # the same for every target: said once
    files: list[RenderedFile] = []
    for target in targets:
        rendered = render_model(target, model, options[target.NAME])
        gaps.extend((target.NAME, gap) for gap in rendered.gaps)
        files.extend(f._replace(name=f"{target.NAME}/{f.name}") if several else f for f in rendered.files)
    return RenderResult(tuple(files), tuple(gaps), tuple(a.name for a in model.accounts))


#: The scope of a gap every chosen target shares, when several are rendered.
ALL_SCOPE = "all targets"


def capability_matrix() -> str:
    """The capability matrix of docs/render.md (made by mailconf.docgen, which writes the manual's generated pages)."""
    from .docgen import capability_matrix

    return capability_matrix()
