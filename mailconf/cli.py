"""The command line: options -> a request value -> one function. Nothing else lives here.

Heavy modules are imported inside the commands, so ``--help``, ``rules`` and
``explain`` start fast. Exit codes are mapped in one place: :func:`main`.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from . import __version__
from .errors import ExitCode, MailconfError, printable

FORMATS = ("text", "json", "sarif", "github")
LEVELS = ("info", "warning", "error")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="mailconf")
def cli() -> None:
    """Mail accounts as code: lint, render and probe a YAML file of IMAP/POP3/SMTP accounts.

    Exit codes: 0 clean; 1 findings at or above the fail level (or stale or
    strict render); 2 usage error or unreadable file; 3 internal error.
    """


@cli.command()
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="Output format [default: github when GITHUB_ACTIONS=true, else text].",
)
@click.option(
    "--fail-level",
    type=click.Choice(LEVELS),
    default=None,
    help="Exit 1 when a finding is at least this severe [default: error, or the config's].",
)
@click.option(
    "--config",
    type=click.Path(dir_okay=False),
    default=None,
    help="A .mailconf.yaml or pyproject.toml to use instead of the one found upward.",
)
@click.option("--disable", multiple=True, metavar="RULE", help="Turn a rule off (id or slug); repeatable.")
@click.option("--severity", multiple=True, metavar="RULE=LEVEL", help="Override a rule's severity; repeatable.")
def lint(files: tuple[str, ...], fmt: str | None, fail_level: str | None, config: str | None,  # noqa: PLR0917
         disable: tuple[str, ...], severity: tuple[str, ...]) -> None:  # fmt: skip
    """Check account files against the schema and the rule catalogue."""
    from .commands import LintRequest, run_lint

    sys.exit(run_lint(LintRequest(files, fmt, fail_level, config, disable, severity)))


@cli.command()
@click.option("--format", "fmt", type=click.Choice(("text", "json", "markdown")), default="text", help="Output format.")
@click.option("--probe", is_flag=True, help="List the checks of `mailconf probe` (MC8xx) instead.")
def rules(fmt: str, probe: bool) -> None:
    """List the lint rules: id, slug, default severity, title."""
    from .commands import run_rules

    sys.exit(run_rules(fmt, probe))


@cli.command()
@click.argument("rule", metavar="RULE")
def explain(rule: str) -> None:
    """Show one rule's documentation (by id, like MC101, or slug)."""
    from .commands import run_explain

    sys.exit(run_explain(rule))


@cli.command()
def schema() -> None:
    """Print the JSON Schema of the account file."""
    from .commands import run_schema

    sys.exit(run_schema())


@cli.command()
@click.argument("file", metavar="FILE")
@click.option(
    "--target",
    "-t",
    "targets",
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
    type=click.Path(),
    default=None,
    help="Write files into this directory instead of standard output.",
)
@click.option("--force", is_flag=True, help="Replace existing files that differ (a .bak copy is kept).")
@click.option("--check", is_flag=True, help="Compare with the files in --output; exit 1 with a diff when stale.")
@click.option("--strict", is_flag=True, help="Treat a setting the target cannot express as an error.")
@click.option(
    "--update",
    is_flag=True,
    help="Rewrite missing or stale files in --output in place (mode kept, no .bak); exit 1 when any changed.",
)
@click.option(
    "--option",
    "options",
    multiple=True,
    metavar="KEY=VALUE",
    help="Target option (outlook: profile=NAME, account-id=N); repeatable.",
)
def render(file: str, targets: tuple[str, ...], accounts: tuple[str, ...], output: str | None, force: bool,  # noqa: PLR0917
           check: bool, strict: bool, update: bool, options: tuple[str, ...]) -> None:  # fmt: skip
    """Render client configuration for one target, or several from one load of the file."""
    from .render import RenderRequest, run_render

    sys.exit(run_render(RenderRequest(file, targets, accounts, output, force, check, strict, options, update)))


@cli.command()
@click.option("--format", "fmt", type=click.Choice(("text", "json", "markdown")), default="text")
def targets(fmt: str) -> None:
    """List render targets and what each can express."""
    from .render import run_targets

    sys.exit(run_targets(fmt))


@cli.command()
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@click.option("--account", "-a", "accounts", multiple=True, metavar="NAME", help="Probe only this account.")
@click.option("--login", is_flag=True, help="Also log in: runs the password/token command.")
@click.option("--allow-cleartext", is_flag=True, help="Allow --login to send credentials without TLS.")
@click.option("--show-cert", is_flag=True, help="Print each server certificate's SHA-256 pin and chain.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None)
@click.option("--fail-level", type=click.Choice(LEVELS), default=None)
@click.option(
    "--concurrency", type=click.IntRange(1, 256), default=32, show_default=True, help="Servers probed at once."
)
def probe(files: tuple[str, ...], accounts: tuple[str, ...], login: bool, allow_cleartext: bool,  # noqa: PLR0917
          show_cert: bool, fmt: str | None, fail_level: str | None, concurrency: int) -> None:  # fmt: skip
    """Test the declared servers live: connection, TLS, certificate, authentication."""
    from .probe import ProbeRequest, run_probe

    sys.exit(run_probe(ProbeRequest(files, accounts, login, allow_cleartext, show_cert, fmt, fail_level, concurrency)))


def main(argv: list[str] | None = None) -> Any:  # noqa: PLR0911
    """The one place that turns outcomes into exit codes."""
    try:
        cli.main(args=argv, prog_name="mailconf", standalone_mode=False)
    except MailconfError as exc:
        click.echo(f"mailconf: {printable(str(exc))}", err=True)
        return int(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("mailconf: aborted", err=True)
        return int(ExitCode.USAGE)
    except click.ClickException as exc:
        exc.show()
        return int(ExitCode.USAGE)
    except SystemExit as exc:
        return exc.code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback
        from .errors import InternalError

        click.echo(f"mailconf: {InternalError.wrap('-', 'running', exc)}", err=True)
        return int(ExitCode.INTERNAL)
    return int(ExitCode.OK)
