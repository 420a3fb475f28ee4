"""render: a valid account file -> client configuration, for one target.

Decisions that are the same for every target live here: which accounts, what
can never be rendered (``starttls-optional``, a literal ``password``), where the
output goes and how it is written:

- standard output by default (a target that produces several files needs
  ``-o DIR`` or ``--account``);
- ``-o DIR`` writes each file atomically (a temporary file in the same
  directory, then a rename) with mode 0600 (directories 0700); an existing file
  whose content differs is never replaced without ``--force``, and then a copy is
  kept as ``NAME.bak`` (``NAME.bak.1``... if that exists). All files are checked
  before any is written, so a refusal leaves nothing half-done;
- ``--check`` renders in memory and compares with ``-o DIR``: exit 1 and a
  unified diff when anything is missing or stale.
"""

from __future__ import annotations

import difflib
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import jinja2

from .errors import ExitCode, FindingsError, OutputError, UsageError
from .model import Model, Security
from .targets import TARGETS, Gap, Rendered, RenderedFile, Target


class RenderRequest(NamedTuple):
    file: str
    target: str
    accounts: tuple[str, ...] = ()
    output: str | None = None
    force: bool = False
    check: bool = False
    strict: bool = False
    options: tuple[str, ...] = ()


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


def parse_options(target: Target, pairs: Sequence[str]) -> dict[str, str]:
    options: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise UsageError(f"--option {pair}: write KEY=VALUE")
        if key not in target.OPTIONS:
            known = ", ".join(sorted(target.OPTIONS)) or "none"
            raise UsageError(f"--option {key}: unknown for target {target.NAME} (known: {known})")
        options[key] = value
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
    from .document import load_document
    from .rules import RULES

    target = TARGETS.get(request.target)
    if target is None:
        raise UsageError(f"unknown target {request.target!r}; choose one of: {', '.join(sorted(TARGETS))}")
    options = parse_options(target, request.options)
    if request.check and not request.output:
        raise UsageError("--check compares with files on disk: name the directory with -o DIR")
    doc = load_document(request.file)
    blocking = [i for i in doc.issues if RULES[i.rule].SEVERITY.name == "ERROR"]
    if blocking:
        for issue in blocking:
            rule = RULES[issue.rule]
            where = f"{doc.path}:{issue.line}:{issue.column}"
            print(f"{where}: error {rule.ID} {rule.SLUG}: {issue.message}", file=sys.stderr)
        raise RenderError(f"{doc.path}: not rendered: fix the errors above first (`mailconf lint {doc.path}`)")
    model = select(doc.model, request.accounts)
    gaps, refusals = common_gaps(model)
    if refusals:
        for line in refusals:
            print(f"mailconf: error: {line}", file=sys.stderr)
        raise RenderError(f"{doc.path}: not rendered")
    rendered = render_model(target, model, options)
    gaps.extend(rendered.gaps)
    for gap in gaps:
        print(f"mailconf: {'error' if request.strict else 'warning'}: {target.NAME}: {gap}", file=sys.stderr)
    if gaps and request.strict:
        raise RenderError(f"{len(gaps)} setting(s) cannot be expressed by {target.NAME} (--strict); nothing written")
    if request.check:
        return check(rendered.files, Path(request.output or "."))
    if request.output:
        write_all(rendered.files, Path(request.output), force=request.force)
        return int(ExitCode.OK)
    if len(rendered.files) != 1:
        names = ", ".join(f.name for f in rendered.files)
        raise UsageError(
            f"target {target.NAME} renders {len(rendered.files)} files here ({names}); "
            "write them with -o DIR, or pick one account with --account"
        )
    sys.stdout.buffer.write(rendered.files[0].content)
    sys.stdout.flush()
    return int(ExitCode.OK)


def _destination(root: Path, name: str, base: Path | None = None) -> Path:
    """``root/name``, refused when it would land outside ``root`` (``base``: root, already resolved)."""
    base = base or root.resolve()
    dest = (base / name).resolve()
    if base != dest and base not in dest.parents:
        raise OutputError(f"refusing to write {name!r} outside {root}")
    return dest


def _text(data: bytes) -> str:
    """File content for a diff: UTF-16 when it starts with its byte-order mark (a PRF), else UTF-8."""
    if data.startswith(b"\xff\xfe"):
        return data[2:].decode("utf-16-le", "replace")
    return data.decode("utf-8", "replace")


def _read(dest: Path) -> bytes | None:
    """The bytes of an existing output file, None when there is none; OutputError when it cannot be read."""
    try:
        return dest.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except IsADirectoryError:
        raise OutputError(f"{dest} is a directory; remove it or choose another -o") from None
    except OSError as exc:
        raise OutputError(f"{dest}: cannot be read ({exc.strerror or type(exc).__name__})") from None


def check(files: Sequence[RenderedFile], root: Path) -> int:
    stale = False
    base = root.resolve()
    for file in files:
        dest = _destination(root, file.name, base)
        current = _read(dest)
        if current == file.content:
            continue
        stale = True
        old = [] if current is None else _text(current).splitlines(keepends=True)
        new = _text(file.content).splitlines(keepends=True)
        label = str(root / file.name)
        sys.stdout.writelines(difflib.unified_diff(old, new, f"{label} (on disk)", f"{label} (rendered)"))
        if current is None:
            print(f"mailconf: {label}: missing", file=sys.stderr)
    if stale:
        print("mailconf: rendered files are stale: run the same command without --check", file=sys.stderr)
        return int(ExitCode.FINDINGS)
    return int(ExitCode.OK)


def write_all(files: Sequence[RenderedFile], root: Path, *, force: bool) -> None:
    plan: list[tuple[Path, RenderedFile, bool]] = []  # (dest, file, needs a backup)
    refused: list[str] = []
    base = root.resolve()
    for file in files:
        dest = _destination(root, file.name, base)
        current = _read(dest)
        if current is None:
            _check_parents(dest.parent)
            plan.append((dest, file, False))
        elif current == file.content:
            continue  # identical: left alone (not even its time stamp changes)
        elif force:
            plan.append((dest, file, True))
        else:
            refused.append(str(dest))
    if refused:
        raise OutputError(
            f"refusing to replace {len(refused)} file(s) whose content differs: {', '.join(refused)}; "
            "use --check to see the difference, --force to replace them (a .bak copy is kept)"
        )
    for directory in dict.fromkeys(dest.parent for dest, _file, _backup in plan):
        _guarded(dest, _make_dirs, directory)
    for dest, _file, backup in plan:
        if backup:
            _guarded(dest, _backup, dest)
    # Each file is written and fsync'd on its own (atomic, durable); the waits for the disk
    # overlap in threads, which makes thousands of per-account files several times faster.
    with ThreadPoolExecutor(max_workers=8) as pool:
        jobs = [pool.submit(_guarded, dest, atomic_write, dest, file.content, file.mode) for dest, file, _b in plan]
        for job in jobs:
            job.result()


def _guarded(dest: Path, action: Callable[..., object], *args: Any) -> None:
    """Run one write step; an OSError becomes one line naming the file."""
    try:
        action(*args)
    except OSError as exc:
        where = exc.filename or dest
        raise OutputError(f"cannot write {where}: {exc.strerror or type(exc).__name__}") from None


def _check_parents(directory: Path) -> None:
    """Before writing anything: the nearest existing ancestor of an output file must be a directory."""
    while not directory.exists():
        directory = directory.parent
    if not directory.is_dir():
        raise OutputError(f"{directory} is not a directory; -o names the directory to write into")


def _make_dirs(directory: Path) -> None:
    """Create the missing directories, each with mode 0700 (mkdir(parents=True) would use the umask for parents)."""
    missing: list[Path] = []
    while not directory.exists():
        missing.append(directory)
        directory = directory.parent
    for path in reversed(missing):
        path.mkdir(mode=0o700, exist_ok=True)


def _backup(dest: Path) -> Path:
    candidate = dest.with_name(dest.name + ".bak")
    n = 0
    while candidate.exists():
        n += 1
        candidate = dest.with_name(f"{dest.name}.bak.{n}")
    shutil.copy2(dest, candidate)
    return candidate


def atomic_write(dest: Path, content: bytes, mode: int) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
