"""The documentation cannot drift from the code: its ``medu1`` command lines parse, its links resolve.

Every ``medu1 ...`` line in a code block of README.md, docs/*.md and benchmarks/README.md is
parsed by the real parser (``[--flag VALUE]`` read as given, ``a|b`` as ``a``); a line that
elides arguments with ``...``, a command in running text and a ``medu1`` line of
scripts/*/*.sh (shell variables in it) are checked flag by flag. Either way each flag must be
written in its documented spelling (docs/cli.md). Every relative link and image must name a
file of the repository, and a ``#fragment`` a heading of that file; the README's Documentation
table lists every page of docs/.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest

from med_u1.cli import build_parser
from med_u1.flags import FlagParser

REPO = Path(__file__).resolve().parents[1]
PAGES = sorted([REPO / "README.md", REPO / "benchmarks" / "README.md", *(REPO / "docs").glob("*.md")])
SCRIPTS = sorted((REPO / "scripts").glob("*/*.sh"))
FENCE = re.compile(r"^```.*?$(.*?)^```", re.M | re.S)
INLINE_COMMAND = re.compile(r"`(medu1 [^`]*)`")
SEPARATORS = {"&&", "||", ";", "|"}
#: What may stand before ``medu1`` in a shell command: ``exec``, ``VAR=value``, ``"${RUN[@]}"``.
PREFIX = re.compile(r"exec|\w+=\S*|\$\{\w+\[@\]\}")


@dataclass(frozen=True)
class CommandLine:
    """A ``medu1`` command line found in a file: where, its arguments, and whether it is complete."""

    where: str
    argv: tuple[str, ...]
    complete: bool

    def __str__(self) -> str:
        return f"{self.where}: medu1 {' '.join(self.argv)}"


def logical_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) with backslash continuations joined."""
    lines, buffer, start = [], "", 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not buffer:
            start = number
        if line.rstrip().endswith("\\"):
            buffer += line.rstrip()[:-1] + " "
            continue
        lines.append((start, buffer + line))
        buffer = ""
    return lines


def medu1_arguments(line: str) -> list[list[str]]:
    """The arguments after ``medu1`` of each command of a shell line (comments dropped)."""
    try:
        tokens = shlex.split(line, comments=True)
    except ValueError:  # prose with an unbalanced quote: not a shell line
        return []
    commands, current = [], []
    for token in [*tokens, ";"]:
        if token in SEPARATORS:
            start = current.index("medu1") if "medu1" in current else -1
            if start >= 0 and all(PREFIX.fullmatch(word) for word in current[:start]):
                commands.append(current[start + 1:])
            current = []
        else:
            current.append(token)
    return commands


def as_given(argv: list[str]) -> list[str]:
    """``[--format md|csv|json]`` as ``--format md``: optional parts taken, the first of alternatives."""
    given, optional = [], False
    for token in argv:
        optional = optional or token.startswith("[")
        if optional:
            closes = token.endswith("]")
            token = token.removeprefix("[").removesuffix("]").split("|")[0]
            optional = not closes
        if token:
            given.append(token)
    return given


def command_lines() -> list[CommandLine]:
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        name = page.relative_to(REPO)
        for block in FENCE.finditer(text):
            first_line = text.count("\n", 0, block.start(1)) + 1
            for offset, line in logical_lines(block.group(1)):
                for argv in medu1_arguments(line):
                    found.append(CommandLine(f"{name}:{first_line + offset - 1}", tuple(as_given(argv)), "..." not in argv))
        prose = FENCE.sub(lambda block: "\n" * block.group(0).count("\n"), text)
        for match in INLINE_COMMAND.finditer(prose):
            for argv in medu1_arguments(match.group(1)):
                found.append(CommandLine(f"{name}:{prose.count(chr(10), 0, match.start()) + 1}", tuple(as_given(argv)), False))
    for script in SCRIPTS:
        for number, line in logical_lines(script.read_text(encoding="utf-8")):
            if not line.lstrip().startswith("#"):
                for argv in medu1_arguments(line):
                    found.append(CommandLine(f"{script.relative_to(REPO)}:{number}", tuple(argv), False))
    return found


COMMAND_LINES = command_lines()


def command_parser(argv: tuple[str, ...]) -> tuple[FlagParser, list[str]]:
    """The parser of the command ``argv`` names, and the arguments after the command words."""
    parser, rest = build_parser(), list(argv)
    while rest and rest[0] in ("-v", "--verbose"):
        rest.pop(0)
    while parser._subparsers is not None and rest and not rest[0].startswith("-"):
        choices = next(action.choices for action in parser._actions if hasattr(action, "_name_parser_map"))
        assert rest and rest[0] in choices, f"no command {rest[:1]}; commands: {', '.join(choices)}"
        parser, rest = choices[rest.pop(0)], rest
    return parser, rest


def test_the_docs_have_command_lines_to_check() -> None:
    complete = [line for line in COMMAND_LINES if line.complete]
    assert len(complete) >= 30 and any(line.where.startswith("README.md") for line in complete)
    assert any(line.where.startswith("scripts/") for line in COMMAND_LINES)


@pytest.mark.parametrize("line", COMMAND_LINES, ids=str)
def test_documented_command_lines_follow_the_cli(line: CommandLine, capsys: pytest.CaptureFixture[str]) -> None:
    parser, rest = command_parser(line.argv)
    for token in rest[: rest.index("--") if "--" in rest else len(rest)]:
        if token.startswith("--"):
            flag = token.partition("=")[0]
            registered = parser.registered_spelling(flag)
            assert registered is not None, f"{line}: {parser.prog} has no flag {flag}"
            assert flag == parser.documented_spelling(registered), \
                f"{line}: write {parser.documented_spelling(registered)}, not {flag}"
    if line.complete:
        try:
            build_parser().parse_args(list(line.argv))
        except SystemExit as exit_info:
            if exit_info.code == 0:  # --help
                return
            pytest.fail(f"{line}: {capsys.readouterr().err.strip().splitlines()[-1]}")


# --- links ---------------------------------------------------------------------------------------

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
HTML_SOURCE = re.compile(r"<img[^>]*\bsrc=\"([^\"]+)\"")


def heading_anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces as dashes."""
    text = re.sub(r"[`*]|\[([^\]]*)\]\([^)]*\)", lambda m: m.group(1) or "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    return {heading_anchor(match.group(1)) for match in re.finditer(r"^#{1,6}\s+(.+?)\s*#*$", text, re.M)}


def relative_links(page: Path) -> list[str]:
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    text = re.sub(r"`[^`\n]*`", "", text)
    targets = [*LINK.findall(text), *HTML_SOURCE.findall(text)]
    return [target for target in targets if not re.match(r"[a-z][a-z0-9+.-]*:", target)]


def test_the_docs_have_links_to_check() -> None:
    assert sum(len(relative_links(page)) for page in PAGES) >= 20


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(REPO)))
def test_every_relative_link_and_image_resolves(page: Path) -> None:
    broken = []
    for target in relative_links(page):
        path, _, fragment = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(f"{target}: no such file")
        elif fragment and file.suffix == ".md" and fragment not in anchors(file):
            broken.append(f"{target}: no heading #{fragment} in {file.relative_to(REPO)}")
    assert not broken, f"{page.relative_to(REPO)}: " + "; ".join(broken)


def test_the_readme_documentation_table_lists_every_docs_page() -> None:
    """The README's Documentation table is the docs index: no page of docs/ is left out of it."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Documentation", 1)[1].split("\n## ", 1)[0]
    listed = {(REPO / target).resolve() for target in LINK.findall(table)}
    assert not [page.name for page in (REPO / "docs").glob("*.md") if page.resolve() not in listed]
