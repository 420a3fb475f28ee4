"""mailconf's own settings: severity policy, disabled rules, the fail level.

Where they come from, first found wins:

1. ``--config PATH`` (a ``.mailconf.yaml`` or a ``pyproject.toml``);
2. walking up from the current directory: in each directory a ``.mailconf.yaml``,
   then a ``pyproject.toml`` that has a ``[tool.mailconf]`` table;
3. built-in defaults (every rule on at its default severity, fail level ``error``).

Keys (the same in both files)::

    fail-level: warning          # info | warning | error
    disable: [MC704, prefer-implicit-tls]      # ids or slugs
    severity: {MC104: error, MC705: info}      # ids or slugs -> info|warning|error
    baseline: .mailconf-baseline.json          # relative to the settings file

Command-line options (``--fail-level``, ``--disable``, ``--severity``, ``--baseline``) win
over the file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .model import Severity

CONFIG_NAMES = (".mailconf.yaml", "pyproject.toml")


@dataclass(frozen=True)
class Policy:
    fail_level: Severity = Severity.ERROR
    disabled: frozenset[str] = frozenset()
    severity: Mapping[str, Severity] = field(default_factory=dict)
    source: str | None = None  # the file the settings came from
    #: a baseline file (``mailconf/baseline.py``), resolved against the settings file's folder
    baseline: str | None = None

    def enabled(self, rule: str) -> bool:
        return rule not in self.disabled

    def severity_of(self, rule: str, proposed: Severity) -> Severity:
        return self.severity.get(rule, proposed)

    def merged(
        self,
        fail_level: str | None = None,
        disable: Iterable[str] = (),
        severity: Iterable[str] = (),
    ) -> Policy:
        """Command-line options on top of the file's settings."""
        overrides = dict(self.severity)
        for item in severity:
            rule, _, level = item.partition("=")
            if not level:
                raise ConfigError(f"--severity {item}: write RULE=LEVEL, like MC104=error")
            overrides[_rule_id(rule, "--severity")] = _severity(level, "--severity")
        return Policy(
            fail_level=_severity(fail_level, "--fail-level") if fail_level else self.fail_level,
            disabled=self.disabled | {_rule_id(r, "--disable") for r in disable},
            severity=overrides,
            source=self.source,
            baseline=self.baseline,
        )


def _rule_id(name: str, where: str) -> str:
    from .rules import lookup

    rule = lookup(name.strip())
    if rule is None:
        raise ConfigError(f"{where}: unknown rule {name.strip()!r}; `mailconf rules` lists them")
    return rule.ID


def _severity(text: Any, where: str) -> Severity:
    try:
        return Severity.parse(str(text))
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def discover(start: Path | None = None) -> Path | None:
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        candidate = directory / ".mailconf.yaml"
        if candidate.is_file():
            return candidate
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file() and _pyproject_table(pyproject) is not None:
            return pyproject
    return None


def _pyproject_table(path: Path) -> dict[str, Any] | None:
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: is not UTF-8; save it as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML ({exc}); fix the file") from None
    table = data.get("tool", {}).get("mailconf")
    return table if isinstance(table, dict) else None


def load_policy(config: str | None = None) -> Policy:
    path = Path(config) if config else discover()
    if path is None:
        return Policy()
    if not path.is_file():
        raise ConfigError(f"{path}: no such configuration file; check --config")
    if path.name == "pyproject.toml" or path.suffix == ".toml":
        table = _pyproject_table(path)
        if table is None:
            raise ConfigError(f"{path}: has no [tool.mailconf] table; add one or name another file")
        return _policy(table, str(path))
    from .loader import load

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    loaded = load(raw)
    if loaded.data is None and all(p.rule == "MC002" for p in loaded.problems):
        return Policy(source=str(path))  # empty, or only comments: the defaults
    if loaded.problems and loaded.data is None:
        problem = loaded.problems[0]
        raise ConfigError(f"{path}:{problem.line}:{problem.column}: {problem.message}")
    if loaded.data is None:
        return Policy(source=str(path))
    if not isinstance(loaded.data, dict):
        raise ConfigError(f"{path}:1:1: settings must be a mapping (fail-level, disable, severity)")
    data, positions = loaded.data, loaded.positions

    def where(key_path: tuple[str | int, ...], on_key: bool) -> str:
        line, column = positions.locate(data, key_path, on_key=on_key)
        return f"{path}:{line}:{column}"

    return _policy(data, str(path), where)


#: (path into the settings, at the key?) -> "file" or "file:line:col", for error messages
Where = Callable[[tuple[str | int, ...], bool], str]


def _policy(table: Mapping[str, Any], source: str, where: Where | None = None) -> Policy:
    at: Where = where or (lambda _path, _on_key: source)
    unknown = sorted(set(table) - {"fail-level", "disable", "severity", "baseline"}, key=str)
    if unknown:
        raise ConfigError(
            f"{at((unknown[0],), True)}: unknown setting(s) {', '.join(map(str, unknown))}; "
            "allowed: fail-level, disable, severity, baseline"
        )
    baseline = table.get("baseline")
    if baseline is not None and (not isinstance(baseline, str) or not baseline):
        raise ConfigError(f"{at(('baseline',), False)}: `baseline` must be the path of a baseline file")
    disable = table.get("disable", [])
    if not isinstance(disable, list) or not all(isinstance(d, str) for d in disable):
        raise ConfigError(f"{at(('disable',), False)}: `disable` must be a list of rule ids or slugs")
    severity = table.get("severity", {})
    if not isinstance(severity, dict):
        raise ConfigError(
            f"{at(('severity',), False)}: `severity` must map rule ids or slugs to info, warning or error"
        )
    fail_level = table.get("fail-level")
    return Policy(
        fail_level=_severity(fail_level, f"{at(('fail-level',), False)}: fail-level")
        if fail_level is not None
        else Severity.ERROR,
        disabled=frozenset(_rule_id(d, f"{at(('disable', i), False)}: disable") for i, d in enumerate(disable)),
        severity={
            _rule_id(str(k), f"{at(('severity', k), True)}: severity"): _severity(
                v, f"{at(('severity', k), False)}: severity {k}"
            )
            for k, v in severity.items()
        },
        source=source,
        baseline=str(Path(source).parent / baseline) if baseline else None,
    )
