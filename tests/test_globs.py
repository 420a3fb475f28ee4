"""include, exclude and .gitignore patterns matched without exponential backtracking (mailconf/_globs.py), as
pathspec matches them."""

from __future__ import annotations

import random
import re
import subprocess
import warnings
from pathlib import Path

import pathspec
import pytest

from mailconf._globs import linear, linear_spec
from tests.conftest import need
from tests.test_cli import CLEAN, INSECURE, Outcome, run_mailconf
from tests.test_lint_cli import finding

#: pieces of patterns and names; a bracket expression that excludes (`[!a]`) is left out: pathspec lets it match
#: `/`, git does not, and mailconf follows git (test_a_bracket_expression_never_matches_a_slash_as_in_git)
PIECES = ["a", "b", ".", "*", "**", "?", "[ab]", "[a-b]", "\\*", "/", "/"]


def test_the_rewritten_patterns_decide_as_pathspecs_own() -> None:
    """Same verdict (ignored, re-included or not matched) and same deciding pattern, for 40,000 paths; pathspec's
    priority of a file over its folder reads the folder mark, which the rewriting keeps."""
    draw = random.Random(8)  # fixed: the same cases every run
    compared = rewritten = 0
    for _ in range(2000):
        lines = []
        for _ in range(draw.randint(1, 3)):
            line = "".join(draw.choice(PIECES) for _ in range(draw.randint(1, 7)))
            lines.append(draw.choice(["", "", "!", "/"]) + line + draw.choice(["", "", "", "/"]))
        try:
            with warnings.catch_warnings():  # re's FutureWarning on some bracket expressions
                warnings.simplefilter("ignore")
                theirs = pathspec.GitIgnoreSpec.from_lines(lines)
                ours = linear_spec(pathspec.GitIgnoreSpec.from_lines(lines))
        except (ValueError, re.error):
            continue
        rewritten += sum(a.regex is not b.regex for a, b in zip(theirs.patterns, ours.patterns, strict=True))
        for _ in range(20):
            names = ("".join(draw.choice("ab.*") for _ in range(draw.randint(1, 4))) for _ in range(draw.randint(1, 5)))
            path = "/".join(names)
            expected, got = theirs.check_file(path), ours.check_file(path)
            assert (got.include, got.index) == (expected.include, expected.index), (lines, path)
            compared += 1
    assert compared > 30_000
    assert rewritten > 1_000  # the comparison is of rewritten patterns, not of pathspec with itself


@pytest.mark.parametrize(
    ("glob", "expected"),
    [
        ("*.yaml", "^(?:.+/)?[^/]*\\.yaml(?:(?P<ps_d>/)|$)"),  # one `*`: as pathspec made it
        ("*a*a*b", "^(?:.+/)?(?>[^/]*?a)(?>[^/]*?a)[^/]*b(?:(?P<ps_d>/)|$)"),
        ("a/**/b/**/c", "^a(?>(?:/.+?)??/b(?=/))(?:/.+)?/c(?:(?P<ps_d>/)|$)"),
        ("**/ci/**/x", "^(?>(?:.+?/)??ci(?=/))(?:/.+)?/x(?:(?P<ps_d>/)|$)"),
        ("a[!b]c", "^(?:.+/)?a(?:(?!/)[^b])c(?:(?P<ps_d>/)|$)"),
    ],
)
def test_what_a_pattern_becomes(glob: str, expected: str) -> None:
    regex = pathspec.GitIgnoreSpec.from_lines([glob]).patterns[0].regex
    assert regex is not None
    assert linear(regex.pattern) == expected


def test_a_folder_between_two_double_stars_is_matched_whole_in_every_path() -> None:
    """Every pattern X/**/Y/**/Z (and **/Y/**/Z) with Y a glob of one or two names, against every path of up to five
    names over a, b and x: the same verdict as pathspec's own expression. Y stopping inside a name (`*x` taking
    the `x` of `xb`) made the rewritten one miss a/xb/zx/c."""
    from itertools import product

    names = ["a", "x", "xb", "bx", "ax"]
    paths = ["/".join(p) for n in range(1, 6) for p in product(names, repeat=n)]
    middles = ["*x", "x*", "x?", "?x", "*x*", "[ab]x", "x/*", "*/x", "*x/b*"]
    compared = rewritten = 0
    for middle in middles:
        for pattern in (f"a/**/{middle}/**/x", f"**/{middle}/**/x", f"a/**/{middle}/**/x*"):
            theirs = pathspec.GitIgnoreSpec.from_lines([pattern])
            ours = linear_spec(pathspec.GitIgnoreSpec.from_lines([pattern]))
            rewritten += ours.patterns[0].regex is not theirs.patterns[0].regex
            for path in paths:
                assert ours.match_file(path) == theirs.match_file(path), (pattern, path)
                compared += 1
    assert compared == len(paths) * len(middles) * 3
    assert rewritten >= 20  # of 27: the comparison is of rewritten patterns, not of pathspec with itself


def test_a_shape_not_known_is_left_as_pathspec_made_it() -> None:
    assert linear(".") is None  # pathspec's `**`, whole
    assert linear("^a(?:x|y)") is None


HOSTILE = "*a*a*a*a*a*a*a*a*a*a*a*a*b"  # twelve `*`: re tried about 10^15 ways against a name of 100 `a`


@pytest.mark.parametrize(
    ("where", "text"),
    [
        (".mailconf.yaml", f'include: ["*.yaml", "{HOSTILE}"]\n'),
        (".mailconf.yaml", f'exclude: ["{HOSTILE}"]\n'),
        (".gitignore", HOSTILE + "\n"),
    ],
)
def test_a_hostile_pattern_does_not_hang_the_walk(tmp_path: Path, where: str, text: str) -> None:
    """`mailconf lint .` ran until killed (here: until run_mailconf's two minutes are up, which fails the test)."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "accounts.yaml").write_text(INSECURE, encoding="utf-8")
    (repo / ("a" * 100 + ".yaml")).write_text(CLEAN, encoding="utf-8")  # almost matched: no `b`
    (repo / where).write_text(text, encoding="utf-8")
    assert run_mailconf("lint", ".", cwd=repo) == Outcome(
        1, finding("accounts.yaml") + "1 error in 1 file (2 files checked)\n", ""
    )


def test_a_bracket_expression_never_matches_a_slash_as_in_git(tmp_path: Path) -> None:
    """`team[!x]b.yml` does not ignore team/b.yml in git (`git check-ignore`); pathspec's expression matched it."""
    git = need("git")["git"]
    repo = tmp_path / "repo"
    (repo / "team").mkdir(parents=True)
    subprocess.run([git, "init", "-q", str(repo)], check=True)
    (repo / ".gitignore").write_text("team[!x]b.yml\n", encoding="utf-8")
    (repo / "team" / "b.yml").write_text(INSECURE, encoding="utf-8")
    asked = subprocess.run([git, "check-ignore", "team/b.yml"], cwd=repo, capture_output=True, check=False)
    assert asked.returncode == 1  # not ignored
    assert run_mailconf("lint", ".", cwd=repo) == Outcome(1, finding("team/b.yml") + "1 error in 1 file\n", "")
