"""The command line: options -> a request value -> one function. Nothing else lives here.

Heavy modules are imported inside the commands, so ``--help``, ``rules`` and
``explain`` start fast. Exit codes are mapped in one place: :func:`main`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

import click

from . import __version__
from .errors import BROKEN_PIPE, ExitCode, MailconfError, StdoutClosed, ctrl_c_ignored, shown, sigterm_exits

LEVELS = ("info", "warning", "error")


class Choice(click.Choice):  # type: ignore[type-arg]
    """A ``click.Choice`` whose refusal quotes the value as every usage error does (:func:`~mailconf.errors.shown`):
    click's repr() echoed a 100 kB ``-t "$TARGET"`` whole, and chose its quotes by the value (``"it's"``)."""

    def get_invalid_choice_message(self, value: Any, ctx: click.Context | None) -> str:
        return f"{shown(str(value))} is not one of {', '.join(map(repr, self.choices))}."


class RegistryChoice(Choice):
    """A ``click.Choice`` whose choices are a registry's keys, read when an option is parsed or help is shown.

    The registries (reporters, targets) import modules that most commands never need;
    reading them lazily keeps ``mailconf --help`` and ``mailconf lint`` fast.
    """

    def __init__(self, load: Callable[[], Sequence[str]]) -> None:
        self._load = load
        super().__init__(())

    @property  # type: ignore[override]
    def choices(self) -> Sequence[str]:
        return tuple(self._load())

    @choices.setter
    def choices(self, _value: Sequence[str]) -> None:  # click.Choice.__init__ assigns it
        pass


def _formats() -> Sequence[str]:
    from .report import REPORTERS

    return tuple(REPORTERS)


def _targets() -> Sequence[str]:
    from .render import ALL
    from .targets import TARGETS

    return (*sorted(TARGETS), ALL)


class Jobs(click.ParamType):  # type: ignore[type-arg]
    """``--jobs``: a number of processes (1: this one alone), or ``auto`` (None: render decides)."""

    name = "jobs"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int | None:
        if value is None or isinstance(value, int):
            return value
        if str(value).strip().lower() == "auto":
            return None
        try:
            number = int(str(value), 10)
        except ValueError:
            number = 0
        if number < 1:
            self.fail(f"{shown(str(value))} is not a number of processes: use 1 or more (1: none), or auto", param, ctx)
        return number


class Seconds(click.FloatRange):
    """A number of seconds in a range, never NaN: ``--poll-interval nan`` passed FloatRange's comparisons (NaN is
    neither below nor above anything) and the watcher thread died of it, a traceback while serve went on. Any value
    refused is quoted as typed (:func:`~mailconf.errors.shown`)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        import math

        try:  # click said what it read, not what was typed: `inf is not in the range` of 1e400, `3601.0` of 3601
            seconds = super().convert(value, param, ctx)
        except click.BadParameter:
            seconds = math.nan
        if math.isnan(seconds):
            self.fail(f"{shown(str(value))} is not a number of seconds: give {self.min:g} to {self.max:g}", param, ctx)
        return seconds


class Count(click.IntRange):
    """A whole number in a range (``--concurrency``, ``--threads``, ``--client-timeout``, ``--max-connections``),
    refused as :class:`Seconds` refuses: quoted as typed, in mailconf's words (click said ``'1e3' is not a valid
    integer range`` and ``0 is not in the range 1<=x<=256``)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter:
            self.fail(f"{shown(str(value))} is not a whole number from {self.min} to {self.max}", param, ctx)


class FilePath(click.Path):
    """A file to read or write (``--config``, ``--baseline``, ``-o FILE``...): given a directory, mailconf's one line
    (``--baseline DIR: is a directory; name a file``, exit 2) rather than click's three-line usage error.

    ``name`` is what to give the option instead. The option is named as it is first declared (``-o`` first for
    discover's and import's, as their other refusals of ``-o`` name it). No ``access()`` check (``readable=False``):
    click's was three lines too, and refused a write-only output file; the command that reads the file says why it
    cannot, in one line.
    """

    def __init__(self, name: str = "a file") -> None:
        super().__init__(dir_okay=False, readable=False)
        self._name = name

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        import os

        if isinstance(value, str) and os.path.isdir(value):
            from .commands.outputs import refuse_directory

            raise refuse_directory(param.opts[0] if param else "", value, self._name)
        return super().convert(value, param, ctx)


FORMATS = RegistryChoice(_formats)
COLOR_MODES = ("auto", "always", "never")


class Command(click.Command):
    """Every command that reads or writes files: once its options are parsed (``--help`` still prints), it refuses
    to start in a current folder that was removed (a shell left in a folder another one deleted), where a relative
    path names nothing: ``lint -`` and ``lint A B`` were internal errors (os.getcwd() raised FileNotFoundError),
    ``render -o out`` another. Absolute paths too, as git refuses: files named twice are told apart by the current
    folder (lint, import), and one refusal is simpler to trust than a list of the places that need it."""

    #: False for a command that reads no file and writes only standard output (:class:`Printout`)
    uses_files = True

    def invoke(self, ctx: click.Context) -> Any:
        import os

        from .errors import UsageError

        try:
            os.getcwd()
        except FileNotFoundError:
            if self.uses_files:
                gone = "the current folder no longer exists (it was removed); cd to a folder that exists"
                raise UsageError(gone) from None
        return super().invoke(ctx)


class Printout(Command):
    """``rules``, ``explain``, ``schema``, ``targets``: no path, no file read, standard output only; they run in a
    current folder that was removed too (``mailconf schema > /abs/schema.json`` there printed, then was refused)."""

    uses_files = False


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "-V", "--version", prog_name="mailconf")
def cli() -> None:
    """Mail accounts as code: lint, render and probe a YAML file of IMAP/POP3/SMTP accounts.

    Exit codes: 0 clean; 1 findings at or above the fail level (lint --diff: something to
    fix; render: stale, rewritten by --update, a gap under --strict, or nothing to render;
    import: warnings, or drift with --compare; discover: nothing found, or a server the
    deadline left unprobed; serve: a file it will not serve); 2 usage error or unreadable
    file; 3 internal error; 141 standard output closed (| head); 130/143 interrupted. The
    manual: docs/ (docs/exit-codes.md).
    """


cli.command_class = Command


def report_options(command: Callable[..., None]) -> Callable[..., None]:
    """The reporting options lint and probe share, handed to the command as one ``report`` value."""
    import functools

    @functools.wraps(command)
    def wrapper(fmt: str | None, output_file: str | None, exit_zero: bool, quiet: bool, color: str,
                **kwargs: Any) -> None:  # fmt: skip
        from .commands.lint import ReportOptions

        command(report=ReportOptions(fmt, output_file, exit_zero, quiet, color), **kwargs)

    options = (
        click.option(
            "--format", "fmt", type=FORMATS, default=None,
            help="Output format [default: github when GITHUB_ACTIONS=true, else text].",
        ),
        click.option("--output-file", "-O", type=FilePath(), default=None,
                     help="Write the report to this file instead of standard output."),
        click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings reach the fail level."),
        click.option("--quiet", "-q", is_flag=True, help="Print the findings only: no summary, no progress."),
        click.option("--color", type=Choice(COLOR_MODES), default="auto", show_default=True,
                     help="Colour the text format: auto honours NO_COLOR, FORCE_COLOR and the terminal."),
    )  # fmt: skip
    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper


def policy_options(command: Callable[..., None]) -> Callable[..., None]:
    """The severity policy options lint and probe share (the settings file's keys, for one run)."""
    options = (
        click.option(
            "--fail-level", type=Choice(LEVELS), default=None,
            help="Exit 1 when a finding is at least this severe [default: error, or the settings'].",
        ),
        click.option(
            "--config", type=FilePath("a .mailconf.yaml or a pyproject.toml"), default=None,
            help="A .mailconf.yaml or pyproject.toml for every file, instead of the one found from each file upward.",
        ),
        click.option("--disable", multiple=True, metavar="RULE",
                     help="Turn a rule or check off (id or slug), even one that --severity names; repeatable."),
        click.option("--severity", multiple=True, metavar="RULE=LEVEL",
                     help="Override a rule's or check's severity, and turn it on if the settings disable it; "
                          "repeatable."),
    )  # fmt: skip
    for option in reversed(options):
        command = option(command)
    return command


@cli.command()
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@report_options
@policy_options
@click.option("--stdin-filename", metavar="NAME", default=None,
              help="The name of standard input (PATH -) in messages, and where its settings are found.")  # fmt: skip
@click.option(
    "--fix",
    is_flag=True,
    help="Apply the safe fixes in place, then report what is left; PATH - (standard input): print the fixed text.",
)
@click.option(
    "--diff", is_flag=True, help="Print the fixes as a unified diff; write nothing; exit 1 if any, or a file not fixed."
)
@click.option(
    "--unsafe-fixes", is_flag=True, help="With --fix/--diff: also the fixes that change what the server must support."
)
@click.option(
    "--baseline", type=FilePath("a baseline file"), default=None,
    help="Hide the findings recorded in this baseline file [default: the settings' baseline].",
)  # fmt: skip
@click.option(
    "--write-baseline", type=FilePath("the baseline file to write"), default=None,
    help="Record today's findings in this file (its entries of other files are kept); exit 0.",
)  # fmt: skip
def lint(paths: tuple[str, ...], report: Any, fail_level: str | None, config: str | None,  # noqa: PLR0917
         disable: tuple[str, ...], severity: tuple[str, ...], stdin_filename: str | None, fix: bool, diff: bool,
         unsafe_fixes: bool, baseline: str | None, write_baseline: str | None) -> None:  # fmt: skip
    """Check account files against the schema and the rule catalogue.

    PATH is a file, a directory (its account files, recursively: docs/lint.md says
    which), or - for standard input.
    """
    from .commands.lint import LintRequest, run

    sys.exit(run(LintRequest(paths, None, fail_level, config, disable, severity, stdin_filename, report,
                             fix, diff, unsafe_fixes, baseline, write_baseline)))  # fmt: skip


@cli.command(cls=Printout)
@click.option(
    "--format",
    "fmt",
    type=Choice(("text", "json", "markdown")),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option("--probe", is_flag=True, help="List the checks of `mailconf probe` (MC8xx) instead.")
def rules(fmt: str, probe: bool) -> None:
    """List the lint rules: id, slug, default severity, what lint --fix does (safe or unsafe), title."""
    from .commands.catalogue import RulesRequest, run_rules

    sys.exit(run_rules(RulesRequest(fmt, probe)))


@cli.command(cls=Printout)
@click.argument("rule", metavar="RULE")
def explain(rule: str) -> None:
    """Show one rule's documentation (by id, like MC101, or slug)."""
    from .commands.catalogue import run_explain

    sys.exit(run_explain(rule))


@cli.command(cls=Printout)
def schema() -> None:
    """Print the JSON Schema of the account file."""
    from .commands.catalogue import run_schema

    sys.exit(run_schema())


@cli.command()
@click.argument("file", metavar="FILE")
@click.option(
    "--target",
    "-t",
    "targets",
    type=RegistryChoice(_targets),
    required=True,
    multiple=True,
    metavar="TARGET",
    help="Client to render for (`mailconf targets` lists them); repeatable, or `all` (-o DIR: a folder per target).",
)
@click.option(
    "--account",
    "-a",
    "accounts",
    multiple=True,
    metavar="NAME",
    help="Render only this account; repeatable [default: all].",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(readable=False),  # render's own line for a folder it cannot read or write, not click's three
    default=None,
    metavar="DIR",
    help="Write files into this directory instead of standard output.",
)
@click.option(
    "--force",
    is_flag=True,
    help="With -o: replace existing files that differ (a .bak copy of each is kept, and named on stderr).",
)
@click.option("--check", is_flag=True, help="Compare with the files in --output; exit 1 if stale (a diff) or missing.")
@click.option("--strict", is_flag=True, help="Treat a setting the target cannot express as an error.")
@click.option(
    "--update",
    is_flag=True,
    help="Rewrite missing or stale files in --output in place (mode, owner and group kept; no .bak); exit 1 when any"
    " changed.",
)
@click.option(
    "--option",
    "options",
    multiple=True,
    metavar="KEY=VALUE",
    help=(
        "Target option; repeatable. Keys: account-id, first, maildir-root, patterns, profile, source, system-ca-file, "
        "version (each target's page, or `mailconf targets --format json`, says which target takes which)."
    ),
)
@click.option(
    "--jobs",
    "-j",
    type=Jobs(),
    default="auto",
    show_default=True,
    metavar="N|auto",
    help=(
        "Several targets: N processes render them at once (1: one after the other); auto: one per CPU (a container's "
        "CPU limit counts) for a large file, else one."
    ),
)
@click.option(
    "--quiet", "-q", is_flag=True, help="Print the findings only (warnings, errors, --check's diffs): no closing line."
)
def render(file: str, targets: tuple[str, ...], accounts: tuple[str, ...], output: str | None, force: bool,  # noqa: PLR0917
           check: bool, strict: bool, update: bool, options: tuple[str, ...], jobs: int | None,
           quiet: bool) -> None:  # fmt: skip
    """Render client configuration for one target, or several from one load of the file."""
    from .commands.render import RenderRequest, run

    sys.exit(run(RenderRequest(file, targets, accounts, output, force, check, strict, options, update, jobs, quiet)))


@cli.command(cls=Printout)
@click.option(
    "--format",
    "fmt",
    type=Choice(("text", "json", "markdown")),
    default="text",
    show_default=True,
    help="Output format: json adds each target's options; markdown is the capability matrix of docs/render.md.",
)
def targets(fmt: str) -> None:
    """List render targets and what each can express."""
    from .commands.render import TargetsRequest, run_targets

    sys.exit(run_targets(TargetsRequest(fmt)))


@cli.command()
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@click.option(
    "--account",
    "-a",
    "accounts",
    multiple=True,
    metavar="NAME",
    help="Probe only this account; repeatable [default: all].",
)
@click.option("--login", is_flag=True, help="Also log in: runs the password/token command.")
@click.option("--allow-cleartext", is_flag=True, help="Allow --login to send credentials without TLS.")
@click.option(
    "--show-cert", is_flag=True, help="Print each certificate the server sends: SHA-256 pin, subject, issuer, expiry."
)
@click.option(
    "--concurrency",
    type=Count(1, 256),
    default=32,
    show_default=True,
    metavar="N",
    help="Servers probed at once.",
)
@click.option(
    "--deadline",
    type=Count(1, 86400),
    default=None,
    metavar="SECONDS",
    help="One deadline for the whole run: a server it cuts short or leaves unprobed is MC823 (exit 1) "
    "[default: none; each server has its own timeout].",
)
@report_options
@policy_options
def probe(files: tuple[str, ...], accounts: tuple[str, ...], login: bool, allow_cleartext: bool,  # noqa: PLR0917
          show_cert: bool, concurrency: int, deadline: int | None, report: Any, fail_level: str | None,
          config: str | None, disable: tuple[str, ...], severity: tuple[str, ...]) -> None:  # fmt: skip
    """Test the declared servers live: connection, TLS, certificate, authentication.

    FILE is an account file or a directory (its account files, recursively, as lint finds
    them: docs/lint.md says which).
    """
    from .commands.probe import ProbeRequest, run

    sys.exit(run(ProbeRequest(files, accounts, login, allow_cleartext, show_cert, concurrency, report,
                              fail_level, config, disable, severity, deadline)))  # fmt: skip


@cli.command()
@click.argument("address", metavar="ADDRESS")
@click.option(
    "-o",
    "--output",
    type=FilePath("the account file to write"),
    default=None,
    help="Write the account file here (never replaced without --force) instead of standard output.",
)
@click.option("--name", metavar="NAME", default=None, help="The account's name [default: the address's domain].")
@click.option(
    "--timeout",
    default="10",
    show_default=True,
    metavar="SECONDS",
    help="One deadline for everything: every lookup and every probe (a server it leaves unprobed: nothing "
    "written, exit 1).",
)
@click.option("--allow-http", is_flag=True, help="Also fetch autoconfig over http (the result is marked untrusted).")
@click.option(
    "--ispdb-url",
    metavar="URL",
    default=None,
    help="The ISPDB to ask (the domain is appended) [default: Thunderbird's].",
)
@click.option(
    "--ispdb",
    "ispdb_dir",
    metavar="DIR",
    default=None,
    help="An offline copy of the ispdb/ folder of thunderbird/autoconfig, instead of --ispdb-url.",
)
@click.option("--guess", is_flag=True, help="Also guess hosts and ports as Thunderbird does, each checked by a probe.")
@click.option("--no-probe", is_flag=True, help="Do not probe the chosen servers.")
@click.option("--dns-server", metavar="IP[:PORT]", default=None, help="Send every DNS lookup to this server.")
@click.option(
    "--ca-file",
    type=FilePath("a PEM file of CA certificates"),
    default=None,
    metavar="PEM",
    help="A PEM file of CA certificates to trust too (https and the probe).",
)
@click.option("--force", is_flag=True, help="Replace -o FILE if it exists (a .bak copy is kept, and named on stderr).")
def discover(address: str, output: str | None, name: str | None, timeout: str, allow_http: bool,  # noqa: PLR0917
             ispdb_url: str | None, ispdb_dir: str | None, guess: bool, no_probe: bool, dns_server: str | None,
             ca_file: str | None, force: bool) -> None:  # fmt: skip
    """Find an address's servers (autoconfig, ISPDB, MX, SRV) and print its account."""
    from .commands.discover import DiscoverRequest, run

    sys.exit(run(DiscoverRequest(address, output, name, timeout, allow_http, ispdb_url, ispdb_dir, guess,
                                 no_probe, dns_server, ca_file, force)))  # fmt: skip


@cli.command()
@click.argument("file", metavar="FILE")
@click.option(
    "--bind",
    default="127.0.0.1:8080",
    show_default=True,
    metavar="HOST:PORT",
    help="Address to listen on ([::1]:PORT for IPv6; port 0: any free port, printed).",
)
@click.option(
    "--poll-interval",
    type=Seconds(0, 3600),
    default=2.0,
    show_default=True,
    metavar="SECONDS",
    help="How often to look for a change of FILE (0: reload on SIGHUP only).",
)
@click.option(
    "--threads",
    type=Count(1, 256),
    default=8,
    show_default=True,
    metavar="N",
    help="Worker threads answering requests.",
)
@click.option(
    "--client-timeout",
    type=Count(1, 3600),
    default=10,
    show_default=True,
    metavar="SECONDS",
    help="Close a connection silent this long; answer 408 to a request not whole this long after its first byte.",
)
@click.option(
    "--max-connections",
    type=Count(1, 1_000_000),
    default=1000,
    show_default=True,
    metavar="N",
    help="Client connections at once (more wait); the open-file limit is raised for them.",
)
def serve(file: str, bind: str, poll_interval: float, threads: int, client_timeout: int,  # noqa: PLR0917
          max_connections: int) -> None:  # fmt: skip
    """Publish autoconfig, Autodiscover and Apple profiles of FILE over HTTP (put TLS in front: docs/serve.md).

    Reloads on SIGHUP or when FILE changes; a new file with errors is refused and the old one
    keeps being served. Access log (Combined Log Format) on standard error.
    """
    from .commands.serve import ServeRequest, run

    sys.exit(run(ServeRequest(file, bind, poll_interval, threads, client_timeout, max_connections)))  # fmt: skip


def _importers() -> Sequence[str]:
    from .importers import IMPORTERS

    return tuple(sorted(IMPORTERS))


@cli.command("import")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option(
    "--from",
    "fmt",
    type=RegistryChoice(_importers),
    required=True,
    metavar="FORMAT",
    help="The client format: msmtp, mutt, neomutt, fetchmail, thunderbird, mbsync, offlineimap, getmail, "
    "aerc, outlook, outlook-prf, autoconfig, autodiscover, mobileconfig.",
)
@click.option(
    "-o",
    "--output",
    type=FilePath("the account file to write"),
    default=None,
    help="Write the account file here (atomically, 0600) instead of standard output.",
)
@click.option(
    "--force", is_flag=True, help="Replace an existing --output file (a .bak copy is kept, and named on stderr)."
)
@click.option("--follow-source", is_flag=True, help="mutt/neomutt: also read the files `source` names.")
@click.option(
    "--encoding",
    metavar="CODEPAGE",
    default=None,
    help="outlook: the code page of a REGEDIT4 .reg file (default cp1252, or UTF-8 when the file is UTF-8).",
)
@click.option(
    "--compare",
    metavar="ACCOUNTS.yaml",
    default=None,
    help="Compare with this account file (- for standard input) instead: print each difference, exit 1 when there "
    "is one.",
)
@click.option(
    "--format", "report", type=Choice(("text", "json")), default="text", show_default=True, help="Output of --compare."
)
def import_(paths: tuple[str, ...], fmt: str, output: str | None, force: bool, follow_source: bool,  # noqa: PLR0917
            encoding: str | None, compare: str | None, report: str) -> None:  # fmt: skip
    """Read existing client configuration and write it as an account file (or compare it with one).

    PATH is a client file (or a Thunderbird profile folder); - reads standard input.
    Nothing in the files is run: password commands become password_command, a literal
    password becomes a comment telling you to use a command. What the files say that an
    account file cannot hold is a comment in the output and a warning naming FILE:LINE:COL.
    Exit 0 imported; 1 imported with warnings, or no account could be imported (nothing
    written); with --compare, 1 is drift; 2 unreadable input or usage.
    """
    from .commands.import_ import ImportRequest, run

    sys.exit(run(ImportRequest(fmt, paths, output, force, follow_source, compare, report, encoding)))


def main(argv: list[str] | None = None) -> Any:
    """The one place that turns outcomes into exit codes.

    Without ``argv`` (the console script, ``python3 -m mailconf``), mailconf is the program: once the outcome is
    known, Ctrl-C is ignored until the process has exited (:func:`~mailconf.errors.ctrl_c_ignored`). A caller
    that passes ``argv`` keeps its own Ctrl-C.
    """
    outcome: BaseException | None = None
    try:
        with sigterm_exits():  # SIGTERM unwinds like Ctrl-C (no file half-written) and exits 143
            cli.main(args=argv, prog_name="mailconf", standalone_mode=False)
    except BaseException as exc:  # noqa: BLE001 - each one's exit code is decided below
        # Kept until Ctrl-C is ignored: its traceback holds what the command built (a render's accounts and files),
        # freed only then, in C, where a Ctrl-C is not acted on until Python code runs next (threading's shutdown)
        outcome = exc
    while argv is None:  # no call before the try: a KeyboardInterrupt is raised where a function starts
        try:
            ctrl_c_ignored()
            break
        except KeyboardInterrupt:  # a Ctrl-C that came a moment before: the outcome was known, nothing to stop
            pass
    return _exit_code(outcome, argv)


def _exit_code(outcome: BaseException | None, argv: list[str] | None) -> Any:  # noqa: PLR0911
    """The exit code of how the command ended (None: it returned), and its one line, if any."""
    from .commands.console import say

    if outcome is None:
        return int(ExitCode.OK)
    if isinstance(outcome, StdoutClosed):  # `mailconf lint | head -1`: the reader has gone, nothing to say
        return BROKEN_PIPE
    if isinstance(outcome, MailconfError):
        say(str(outcome))
        return int(outcome.exit_code)
    if isinstance(outcome, click.exceptions.Abort):
        if isinstance(outcome.__context__, KeyboardInterrupt):  # click turns Ctrl-C into Abort
            say("interrupted")
            return 130
        say("aborted")
        return int(ExitCode.USAGE)
    if isinstance(outcome, click.ClickException):
        outcome.show()
        return int(ExitCode.USAGE)
    if isinstance(outcome, SystemExit):
        return outcome.code
    if isinstance(outcome, KeyboardInterrupt):
        return 130
    if not isinstance(outcome, Exception):  # GeneratorExit and the like: not an outcome, raised on as before
        raise outcome
    from .errors import InternalError  # one line, never a traceback

    words = argv if argv is not None else sys.argv[1:]
    command = f"`mailconf {words[0]}`" if words else "mailconf"
    say(str(InternalError.wrap(None, f"running {command}", outcome)))
    return int(ExitCode.INTERNAL)
