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
  unified diff when anything is missing or stale;
- ``--update`` writes what is missing or stale in ``-o DIR`` in place (mode
  kept, no ``.bak``: for folders under version control) and exits 1 when it
  changed something, like a formatter's ``--fix`` in pre-commit.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import NamedTuple

import jinja2

from .errors import ExitCode, FindingsError, UsageError
from .model import Model, Security
from .targets import TARGETS, Gap, Rendered, RenderedFile, Target

#: ``--target all`` renders every target.
ALL = "all"


class RenderRequest(NamedTuple):
    file: str
    targets: tuple[str, ...]  # target names, or ("all",)
    accounts: tuple[str, ...] = ()
    output: str | None = None
    force: bool = False
    check: bool = False
    strict: bool = False
    options: tuple[str, ...] = ()
    update: bool = False  # --update: rewrite stale files in place (mode kept, no .bak), exit 1 when any changed


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
    env.filters.update(escape.FILTERS)
    return env


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


def select(model: Model, names: Sequence[str]) -> Model:
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


def run_render(request: RenderRequest) -> int:
    from .document import gc_paused
    from .output import check, update, write_all

    targets = choose_targets(request.targets)
    options = parse_options(targets, request.options)
    if request.check and not request.output:
        raise UsageError("--check compares with files on disk: name the directory with -o DIR")
    if request.update and (request.check or request.force):
        raise UsageError("--update replaces stale files itself: use it without --check and --force")
    if request.update and not request.output:
        raise UsageError("--update rewrites files on disk: name the directory with -o DIR")
    if len(targets) > 1 and not request.output:
        raise UsageError(f"{len(targets)} targets write one folder each: name the directory with -o DIR")
    model, shared = renderable_model(request.file, request.accounts)
    with gc_paused():  # the targets make many objects and no cycles that matter (see gc_paused): 15-20% faster
        files, gaps = render_targets(targets, model, shared, options, strict=request.strict)
    if gaps and request.strict:
        names = ", ".join(t.NAME for t in targets)
        raise RenderError(f"{gaps} setting(s) cannot be expressed by {names} (--strict); nothing written")
    if request.check:
        return check(files, Path(request.output or "."))
    if request.update:
        return update(files, Path(request.output or "."))
    if request.output:
        write_all(files, Path(request.output), force=request.force)
        return int(ExitCode.OK)
    if len(files) != 1:
        names = ", ".join(f.name for f in files)
        raise UsageError(
            f"target {targets[0].NAME} renders {len(files)} files here ({names}); "
            "write them with -o DIR, or pick one account with --account"
        )
    sys.stdout.buffer.write(files[0].content)
    sys.stdout.flush()
    return int(ExitCode.OK)


def renderable_model(path: str, accounts: Sequence[str]) -> tuple[Model, list[Gap]]:
    """Load and validate like lint: the model and the gaps every target shares.

    RenderError (the errors printed) when the file or an account cannot be rendered.
    """
    from .document import load_document
    from .rules import RULES

    doc = load_document(path)
    blocking = [i for i in doc.issues if RULES[i.rule].SEVERITY.name == "ERROR"]
    if blocking:
        for issue in blocking:
            rule = RULES[issue.rule]
            where = f"{doc.path}:{issue.line}:{issue.column}"
            print(f"{where}: error {rule.ID} {rule.SLUG}: {issue.message}", file=sys.stderr)
        raise RenderError(f"{doc.path}: not rendered: fix the errors above first (`mailconf lint {doc.path}`)")
    model = select(doc.model, accounts)
    shared, refusals = common_gaps(model)
    if refusals:
        for line in refusals:
            print(f"mailconf: error: {line}", file=sys.stderr)
        raise RenderError(f"{doc.path}: not rendered")
    return model, shared


def render_targets(
    targets: Sequence[Target],
    model: Model,
    shared: Sequence[Gap],
    options: Mapping[str, Mapping[str, str]],
    *,
    strict: bool,
) -> tuple[list[RenderedFile], int]:
    """Every target's files (under ``<target>/`` when there are several) and the number of gaps, each printed."""
    level = "error" if strict else "warning"
    several = len(targets) > 1
    for line in gap_lines(shared):  # the same for every target: said once
        print(f"mailconf: {level}: {'all targets' if several else targets[0].NAME}: {line}", file=sys.stderr)
    files: list[RenderedFile] = []
    gaps = len(shared)
    for target in targets:
        rendered = render_model(target, model, options[target.NAME])
        for line in gap_lines(rendered.gaps):
            print(f"mailconf: {level}: {target.NAME}: {line}", file=sys.stderr)
        gaps += len(rendered.gaps)
        files.extend(f._replace(name=f"{target.NAME}/{f.name}") if several else f for f in rendered.files)
    return files, gaps


#: A gap shared by more accounts than this names the first ones and counts the rest.
NAMED_ACCOUNTS = 5


def gap_lines(gaps: Sequence[Gap]) -> list[str]:
    """One line per gap; accounts with the very same gap (setting and advice) share one line, in first-seen order.

    With thousands of accounts, a target that cannot express a setting at all would
    otherwise repeat the same warning thousands of times:
    ``accounts a, b, c and 9997 more (10000): incoming.timeout cannot be expressed; ...``.
    """
    groups: dict[tuple[str, str], list[Gap]] = {}
    for gap in gaps:
        groups.setdefault((gap.setting, gap.instead), []).append(gap)
    lines = []
    for same in groups.values():
        if len(same) == 1:
            lines.append(str(same[0]))
        elif len(same) <= NAMED_ACCOUNTS:
            lines.append(same[0].describe(f"accounts {', '.join(g.account for g in same)}"))
        else:
            first = ", ".join(g.account for g in same[:3])
            lines.append(same[0].describe(f"accounts {first} and {len(same) - 3} more ({len(same)})"))
    return lines


def run_targets(fmt: str) -> int:
    from .targets import FEATURES

    names = sorted(TARGETS)
    if fmt == "json":
        import json

        payload = {
            n: {
                "title": TARGETS[n].TITLE,
                "capabilities": dict(TARGETS[n].CAPABILITIES),
                "options": dict(TARGETS[n].OPTIONS),
            }
            for n in names
        }
        print(json.dumps(payload, indent=2))
        return int(ExitCode.OK)
    if fmt == "markdown":
        print(capability_matrix())
        return int(ExitCode.OK)
    for name in names:
        print(f"{name:<12} {TARGETS[name].TITLE}")
    if names:
        print()
        for feature in FEATURES:
            cells = "  ".join(f"{n}={_short(TARGETS[n].CAPABILITIES.get(feature, 'no'))}" for n in names)
            print(f"{feature:<20} {cells}")
    return int(ExitCode.OK)


def _short(cell: str) -> str:
    return cell.split(":", 1)[0]


def capability_matrix() -> str:
    """The README's capability matrix (tests/test_readme.py checks the README holds this text)."""
    from .targets import FEATURES

    names = sorted(TARGETS)
    lines = ["| setting | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for feature in FEATURES:
        cells = [TARGETS[n].CAPABILITIES.get(feature, "no").replace("|", "\\|") for n in names]
        lines.append(f"| {feature} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
