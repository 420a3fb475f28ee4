"""The published pre-commit hooks, run by the real pre-commit (`pre-commit try-repo`) in a scratch git repository.

try-repo installs mailconf from the hook repository into a fresh virtualenv (its
dependencies come from PyPI), exactly as a user's pre-commit would. It reads the
hook repository through git, and takes only tracked files, so the test first
snapshots the current checkout (working tree as it is, caches left out) into a
temporary git repository and points try-repo at that. PRE_COMMIT_HOME is a
temporary folder, so nothing outside the test's own directory is touched.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, need
from tests.test_cli import CLEAN, INSECURE

pytestmark = pytest.mark.slow

MC101 = (
    "accounts.yaml:8:17: error MC101 cleartext-credentials: password login to imap.example.com without TLS "
    "sends the credentials in cleartext; set security: tls (port 993)"
)
_LEFT_OUT = shutil.ignore_patterns(
    ".git", ".venv", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis", "build", "dist",
    "*.egg-info", ".benchmarks", "out",
)  # fmt: skip


def git(*args: str, cwd: Path) -> None:
    subprocess.run(
        ["git", "-c", "user.email=test@example.com", "-c", "user.name=test", "-c", "commit.gpgsign=false", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The checkout as it is now, committed into a scratch repository."""
    need("git")
    snapshot = tmp_path_factory.mktemp("hook-repo") / "mailconf"
    shutil.copytree(ROOT, snapshot, ignore=_LEFT_OUT)
    git("init", "-q", cwd=snapshot)
    git("add", "-A", cwd=snapshot)
    git("commit", "-q", "-m", "snapshot", cwd=snapshot)
    return snapshot


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def try_repo(hook_repo: Path, pre_commit_home: Path, project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT")) and k != "NO_COLOR"}
    env["PRE_COMMIT_HOME"] = str(pre_commit_home)
    env["NO_COLOR"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), "mailconf-lint", "--color", "never", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,  # a hang guard: the first run builds a virtualenv from PyPI
        check=False,
    )


def make_project(root: Path, files: dict[str, str]) -> Path:
    root.mkdir()
    git("init", "-q", cwd=root)
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    git("add", "-A", cwd=root)
    return root


def test_hook_fails_on_an_insecure_file_and_passes_once_fixed(
    hook_repo: Path, pre_commit_home: Path, tmp_path: Path
) -> None:
    project = make_project(tmp_path / "project", {"accounts.yaml": INSECURE})

    failed = try_repo(hook_repo, pre_commit_home, project, "--files", "accounts.yaml")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "mailconf lint" in failed.stdout
    assert "- hook id: mailconf-lint\n- exit code: 1\n" in failed.stdout
    assert f"\n{MC101}\n1 error in 1 file\n" in failed.stdout

    (project / "accounts.yaml").write_text(CLEAN, encoding="utf-8")
    git("add", "-A", cwd=project)
    passed = try_repo(hook_repo, pre_commit_home, project, "--files", "accounts.yaml")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "mailconf lint" in passed.stdout
    assert "Passed" in passed.stdout
    assert "MC101" not in passed.stdout


def test_default_files_pattern(hook_repo: Path, pre_commit_home: Path, tmp_path: Path) -> None:
    """accounts*.yaml, mailconf*.yaml and *.mailconf.yaml (and .yml) are linted; other YAML and
    the `.mailconf.yaml` settings file are not (as account files they would fail with MC002)."""
    not_an_account = "services:\n  web: {image: nginx}\n"
    project = make_project(
        tmp_path / "project",
        {
            "accounts.yaml": INSECURE,
            "mail/accounts-work.yml": INSECURE,
            "mailconf.yaml": INSECURE,
            "team.mailconf.yaml": INSECURE,
            ".mailconf.yaml": "severity: {MC104: info}\n",
            "docker-compose.yaml": not_an_account,
            "config/mailer.yaml": not_an_account,
            "my-accounts.yaml": not_an_account,
            "accounts.txt": not_an_account,
        },
    )
    outcome = try_repo(hook_repo, pre_commit_home, project, "--all-files")
    assert outcome.returncode == 1, outcome.stdout + outcome.stderr
    linted = sorted(
        line.split(":", 1)[0] for line in outcome.stdout.splitlines() if ": error MC101 cleartext-credentials:" in line
    )
    assert linted == ["accounts.yaml", "mail/accounts-work.yml", "mailconf.yaml", "team.mailconf.yaml"]
    assert "MC002" not in outcome.stdout
    assert "4 errors in 4 files" in outcome.stdout


def test_render_check_hook_fails_when_rendered_files_are_stale(
    hook_repo: Path, pre_commit_home: Path, tmp_path: Path
) -> None:
    """mailconf-render-check with the user's args (given through a real .pre-commit-config.yaml)."""
    sha = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=hook_repo, capture_output=True, text=True, check=True
    ).stdout.strip()
    config = (
        "repos:\n"
        f"-   repo: {hook_repo}\n"
        f"    rev: {sha}\n"
        "    hooks:\n"
        "    -   id: mailconf-render-check\n"
        "        args: [accounts.yaml, --target, msmtp, --output, out]\n"
    )
    project = make_project(tmp_path / "project", {"accounts.yaml": CLEAN, ".pre-commit-config.yaml": config})
    subprocess.run(
        [sys.executable, "-m", "mailconf", "render", "accounts.yaml", "--target", "msmtp", "--output", "out"],
        cwd=project,
        check=True,
        capture_output=True,
    )
    git("add", "-A", cwd=project)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env["PRE_COMMIT_HOME"] = str(pre_commit_home)

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )

    fresh = run()
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    assert "mailconf render --check" in fresh.stdout
    assert "Passed" in fresh.stdout

    (project / "accounts.yaml").write_text(CLEAN.replace("smtp.example.com", "smtp2.example.com"), encoding="utf-8")
    git("add", "-A", cwd=project)
    stale = run()
    assert stale.returncode == 1, stale.stdout + stale.stderr
    assert "- hook id: mailconf-render-check\n- exit code: 1\n" in stale.stdout
    assert '-host "smtp.example.com"\n+host "smtp2.example.com"\n' in stale.stdout
    advice = "mailconf: rendered files are stale: run the same command with --update instead of --check to rewrite them"
    assert advice in stale.stdout

    # the advice, followed to the letter: it rewrites the file (exit 1: it changed something), then the hook passes
    followed = subprocess.run(
        [
            sys.executable,
            "-m",
            "mailconf",
            "render",
            "accounts.yaml",
            "--target",
            "msmtp",
            "--output",
            "out",
            "--update",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (followed.returncode, followed.stderr) == (1, f"mailconf: updated {project / 'out' / '.msmtprc'}\n")
    git("add", "-A", cwd=project)
    assert run().returncode == 0
    assert sorted(p.name for p in (project / "out").iterdir()) == [".msmtprc"]


# --- the snippet users paste, and the mailconf-render hook in a real commit ------------------------------------

#: The README's pre-commit snippet, exactly as users paste it (docs/_incoming/h-output.md holds it for the README).
SNIPPET = """\
# .pre-commit-config.yaml
repos:
-   repo: https://github.com/OWNER/mailconf   # where you get mailconf from
    rev: v0.1.0
    hooks:
    -   id: mailconf-lint
"""
#: The lines users add under `hooks:` for rendered files they commit.
RENDER_SNIPPET = """\
    -   id: mailconf-render
        args: [accounts.yaml, --target, msmtp, --output, dotfiles/msmtp]
"""


def pasted(hook_repo: Path, *extra: str) -> str:
    """The snippet as a user pastes it, with only the repository URL changed (to the local clone)."""
    return SNIPPET.replace("https://github.com/OWNER/mailconf", str(hook_repo)) + "".join(extra)


def pre_commit_env(pre_commit_home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT")) and k != "NO_COLOR"}
    env["PRE_COMMIT_HOME"] = str(pre_commit_home)
    env["NO_COLOR"] = "1"
    env["PRE_COMMIT_COLOR"] = "never"
    for key, value in {"AUTHOR_NAME": "test", "AUTHOR_EMAIL": "t@example.com"}.items():
        env[f"GIT_{key}"] = value
        env[f"GIT_{key.replace('AUTHOR', 'COMMITTER')}"] = value
    return env


def in_project(project: Path, pre_commit_home: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """Run a command in the project; stdout holds both streams (a git hook writes to stderr)."""
    return subprocess.run(
        list(argv),
        cwd=project,
        env=pre_commit_env(pre_commit_home),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=900,  # a hang guard: the first run of a rev builds a virtualenv
        check=False,
    )


def commit(project: Path, pre_commit_home: Path, message: str) -> subprocess.CompletedProcess[str]:
    """A real `git commit`, through the hook `pre-commit install` put in .git/hooks."""
    return in_project(project, pre_commit_home, "git", "-c", "commit.gpgsign=false", "commit", "-q", "-m", message)


def test_the_snippet_is_in_the_documentation_and_names_this_version() -> None:
    from mailconf import __version__

    assert f"    rev: v{__version__}\n" in SNIPPET
    documents = [p.read_text(encoding="utf-8") for p in [ROOT / "README.md", *(ROOT / "docs").rglob("*.md")]]
    assert any(SNIPPET in text for text in documents)
    assert any(RENDER_SNIPPET in text for text in documents)


def test_pasted_snippet_with_autoupdate_works_in_a_repository_without_tags(
    hook_repo: Path, pre_commit_home: Path, tmp_path: Path
) -> None:
    """A clone carries no tags: `pre-commit autoupdate` pins rev to the newest commit, then a bad commit is blocked."""
    assert subprocess.run(["git", "tag"], cwd=hook_repo, capture_output=True, text=True, check=True).stdout == ""
    project = make_project(tmp_path / "project", {".pre-commit-config.yaml": pasted(hook_repo)})
    updated = in_project(project, pre_commit_home, sys.executable, "-m", "pre_commit", "autoupdate")
    assert updated.returncode == 0, updated.stdout
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=hook_repo, capture_output=True, text=True, check=True)
    config = (project / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    assert config == pasted(hook_repo).replace("rev: v0.1.0", f"rev: {head.stdout.strip()}")

    assert in_project(project, pre_commit_home, sys.executable, "-m", "pre_commit", "install").returncode == 0
    (project / "accounts.yaml").write_text(INSECURE, encoding="utf-8")
    git("add", "-A", cwd=project)
    blocked = commit(project, pre_commit_home, "insecure")
    assert blocked.returncode == 1, blocked.stdout
    assert "- hook id: mailconf-lint\n- exit code: 1\n" in blocked.stdout
    assert f"\n{MC101}\n1 error in 1 file\n" in blocked.stdout
    (project / "accounts.yaml").write_text(CLEAN, encoding="utf-8")
    git("add", "-A", cwd=project)
    passed = commit(project, pre_commit_home, "clean")
    assert passed.returncode == 0, passed.stdout


def test_pasted_snippet_works_as_is_once_the_version_tag_exists(
    hook_repo: Path, pre_commit_home: Path, tmp_path: Path
) -> None:
    """Where the release tag v<version> exists (the tag a release pushes), the snippet needs no autoupdate."""
    from mailconf import __version__

    tagged = tmp_path / "mailconf"
    subprocess.run(["git", "clone", "-q", str(hook_repo), str(tagged)], check=True, capture_output=True)
    git("tag", f"v{__version__}", cwd=tagged)
    project = make_project(tmp_path / "project", {".pre-commit-config.yaml": pasted(tagged), "accounts.yaml": INSECURE})
    blocked = in_project(project, pre_commit_home, sys.executable, "-m", "pre_commit", "run", "--all-files")
    assert blocked.returncode == 1, blocked.stdout
    assert f"\n{MC101}\n1 error in 1 file\n" in blocked.stdout


def test_render_hook_fixes_a_stale_file_blocks_the_commit_once_then_passes(
    hook_repo: Path, pre_commit_home: Path, tmp_path: Path
) -> None:
    sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=hook_repo, capture_output=True, text=True, check=True)
    config = pasted(hook_repo, RENDER_SNIPPET).replace("rev: v0.1.0", f"rev: {sha.stdout.strip()}")
    project = make_project(tmp_path / "project", {".pre-commit-config.yaml": config, "accounts.yaml": CLEAN})
    rendered = project / "dotfiles" / "msmtp" / ".msmtprc"
    render = [sys.executable, "-m", "mailconf", "render", "accounts.yaml", "-t", "msmtp", "-o", "dotfiles/msmtp"]
    subprocess.run(render, cwd=project, check=True, capture_output=True)
    rendered.chmod(0o640)
    git("add", "-A", cwd=project)
    assert in_project(project, pre_commit_home, sys.executable, "-m", "pre_commit", "install").returncode == 0
    first = commit(project, pre_commit_home, "accounts and their msmtp config")
    assert first.returncode == 0, first.stdout

    (project / "accounts.yaml").write_text(CLEAN.replace("smtp.example.com", "smtp2.example.com"), encoding="utf-8")
    git("add", "accounts.yaml", cwd=project)
    blocked = commit(project, pre_commit_home, "new SMTP host")
    assert blocked.returncode == 1, blocked.stdout
    assert "- hook id: mailconf-render\n- exit code: 1\n- files were modified by this hook\n" in blocked.stdout
    assert f"mailconf: updated {rendered}\n" in blocked.stdout
    assert 'host "smtp2.example.com"\n' in rendered.read_text(encoding="utf-8")
    assert stat.S_IMODE(rendered.stat().st_mode) == 0o640  # the mode kept
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=project,
                            capture_output=True, text=True, check=True)  # fmt: skip
    assert status.stdout == "M  accounts.yaml\n M dotfiles/msmtp/.msmtprc\n"  # in place: no .bak, no temporary

    git("add", "-A", cwd=project)
    passed = commit(project, pre_commit_home, "new SMTP host")
    assert passed.returncode == 0, passed.stdout
    log = subprocess.run(["git", "log", "--format=%s"], cwd=project, capture_output=True, text=True, check=True)
    assert log.stdout == "new SMTP host\naccounts and their msmtp config\n"
    assert not list(project.rglob("*.bak*"))
