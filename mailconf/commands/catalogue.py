"""``mailconf rules``, ``mailconf explain`` and ``mailconf schema``: what mailconf checks, and its contract."""

from __future__ import annotations

import json
from typing import NamedTuple

from ..catalogue import Entry
from ..errors import ExitCode, UsageError, shown
from . import console


class RulesRequest(NamedTuple):
    fmt: str = "text"
    probe: bool = False


def run_rules(request: RulesRequest) -> int:
    """The lint rules, or with ``probe`` the checks of ``mailconf probe`` (MC8xx); the same columns
    (:class:`~mailconf.catalogue.Row`) in every format."""
    from ..catalogue import entries, is_probe_check, row

    chosen = [e for e in entries().values() if is_probe_check(e) == request.probe]
    if request.fmt == "json":
        console.out_document(json.dumps([row(e)._asdict() for e in chosen], indent=2) + "\n")
    elif request.fmt == "markdown":
        from ..docgen import rules_table

        console.out_document(rules_table(chosen))
    else:
        rows = [row(e) for e in chosen]
        width = max(len(r.slug) for r in rows)
        lines = []
        for r in rows:
            fix = f"fix:{r.fix}" if r.fix else ""
            lines.append(f"{r.id}  {r.slug:<{width}}  {r.severity:<7}  {fix:<10}  {r.title}\n")
        console.out("".join(lines))
    return int(ExitCode.OK)


def run_explain(name: str) -> int:
    """A lint rule (MC0xx-MC7xx) or a probe check (MC8xx), by id or slug, as plain terminal text."""
    from ..catalogue import did_you_mean, lookup

    entry = lookup(name)
    if entry is None:
        raise UsageError(
            f"unknown rule {shown(name)}{did_you_mean(name)}; `mailconf rules` lists them (and `mailconf rules "
            "--probe` the probe checks)"
        )
    console.out(explanation(entry))
    return int(ExitCode.OK)


def explanation(entry: Entry) -> str:
    from ..docgen import plain_text

    head = f"{entry.ID} {entry.SLUG} (default severity: {entry.SEVERITY.label})\n{entry.TITLE}\n"
    fix = getattr(entry, "FIX", None)
    if fix is not None:
        how = "mailconf lint --fix" if fix.safety == "safe" else "mailconf lint --fix --unsafe-fixes"
        head += f"Automatic fix ({fix.safety}, {how}): {fix.summary}\n"
    return head + "\n" + plain_text(entry.__doc__ or "") + "\n"


def run_schema() -> int:
    from .. import resources

    console.out_document(resources.schema_path().read_text(encoding="utf-8"))
    return int(ExitCode.OK)
