"""The wheel: built from the checkout, carrying the schema and the templates, working outside the checkout.

The wheel is built with ``python -m build --wheel`` (hatchling, in an isolated
build environment from PyPI), installed with ``--no-deps`` into a fresh venv that
sees the system's site-packages (for click, jsonschema ... only), and run from a
temporary directory. The test proves that the venv imports mailconf from the
wheel, not from the editable checkout that the system site-packages points at.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.test_cli import INSECURE

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=900,  # a hang guard: the build environment comes from PyPI
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (built,) = out.glob("mailconf-*-py3-none-any.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel installed; returns its bin/ folder."""
    home = tmp_path_factory.mktemp("venv") / "env"
    venv.EnvBuilder(system_site_packages=True, with_pip=False, symlinks=True).create(home)
    python = home / "bin" / "python"
    done = subprocess.run(
        [python, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", str(wheel)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return home / "bin"


def test_wheel_carries_the_schema_templates_and_the_generated_validator(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "mailconf/schemas/mailconf.schema.json" in names
    assert "mailconf/_schema_generated.py" in names
    assert "mailconf/cli.py" in names
    templates = {n for n in names if n.startswith("mailconf/templates/")}
    expected = {f"mailconf/{p.relative_to(ROOT).as_posix()}" for p in (ROOT / "templates").rglob("*") if p.is_file()}
    assert expected, "the checkout has templates"
    assert templates == expected
    packaged = json.loads(zipfile.ZipFile(wheel).read("mailconf/schemas/mailconf.schema.json"))
    assert packaged == json.loads((ROOT / "schemas" / "mailconf.schema.json").read_text(encoding="utf-8"))
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    assert "mailconf = mailconf.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def _outside(tmp_path: Path) -> Path:
    where = tmp_path / "elsewhere"
    where.mkdir()
    assert ROOT not in where.parents
    return where


def _env() -> dict[str, str]:
    return {
        k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "NO_COLOR", "GITHUB_ACTIONS", "MAILCONF_DEBUG")
    }


def test_the_venv_imports_the_wheel_not_the_checkout(installed: Path, tmp_path: Path) -> None:
    probe = (
        "import mailconf, mailconf.resources as r; "
        "print(mailconf.__file__); print(r.schema_path()); print(r.templates_dir())"
    )
    done = subprocess.run(
        [installed / "python", "-c", probe],
        cwd=_outside(tmp_path),
        env=_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    package_file, schema_file, templates = (Path(line) for line in done.stdout.splitlines())
    venv_root = installed.parent.resolve()
    for path in (package_file, schema_file, templates):
        assert venv_root in path.resolve().parents, path
        assert ROOT not in path.resolve().parents, path
    assert schema_file.name == "mailconf.schema.json"
    assert schema_file.parent.parent == package_file.parent


def test_installed_mailconf_lints_outside_the_checkout(installed: Path, tmp_path: Path) -> None:
    where = _outside(tmp_path)
    (where / "accounts.yaml").write_text(INSECURE, encoding="utf-8")
    done = subprocess.run(
        [installed / "mailconf", "lint", "accounts.yaml"],
        cwd=where,
        env=_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (
        1,
        "accounts.yaml:8:17: error MC101 cleartext-credentials: password login to imap.example.com without TLS "
        "sends the credentials in cleartext; set security: tls (port 993)\n1 error in 1 file\n",
        "",
    )


def test_installed_mailconf_prints_the_schema(installed: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [installed / "mailconf", "schema"],
        cwd=_outside(tmp_path),
        env=_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == (ROOT / "schemas" / "mailconf.schema.json").read_text(encoding="utf-8")


def test_installed_schema_errors_are_located(installed: Path, tmp_path: Path) -> None:
    """A schema error needs the packaged schema (jsonschema explains it): the path to it must resolve."""
    where = _outside(tmp_path)
    (where / "accounts.yaml").write_text(INSECURE.replace("security: none", "securty: none"), encoding="utf-8")
    done = subprocess.run(
        [installed / "python", "-m", "mailconf", "lint", "accounts.yaml"],
        cwd=where,
        env=_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stderr) == (1, "")
    assert done.stdout.splitlines()[0] == (
        "accounts.yaml:8:7: error MC002 schema-violation: unknown key `securty`; did you mean `security`?"
    )
