"""What every command says about a path it is told to write (``-o``, ``--output-file``...): one wording
for one situation, whichever command meets it (render, discover, import, lint, probe)."""

from __future__ import annotations

from ..errors import UsageError


def refuse_empty(*options: tuple[str, str | None], names: str = "file", name: str = "a file") -> None:
    """An option given an empty path (``-o "$OUT"`` with OUT unset) is a usage error, before anything is read:
    taken as absent, it would silently mean another run (standard output, the settings found, no baseline).
    ``names`` is what the option names (``file``, ``directory``), ``name`` what to give it instead."""
    for option, path in options:
        if path == "":
            raise UsageError(f"{option} '': an empty path names no {names} (an unset variable?); name {name}")
