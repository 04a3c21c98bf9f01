"""A clone with nothing beside it is the whole project: no file reads or cites a path outside
the repository, and every link in its docs leads to a file and a heading that exist."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
THIS = Path(__file__).resolve().relative_to(ROOT).as_posix()

# Places only the machine the project was first written on had: a folder beside the clone,
# the authors' workspace, and the documents kept there. The payloads in tests/fixtures/ say
# where they were taken from, which is history, not a path the suite reads.
OUTSIDE = re.compile(r"\.\./shared|/work/|SRE_GUIDE|SLACK_PROTOCOL|\bSPEC §|\bguide §")
SKIPPED_DIRS = ("tests/fixtures/",)

# [text](target) in Markdown; ``docs/<name>.md#<anchor>`` anywhere (code comments, YAML).
MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)\)")
DOC_ANCHOR = re.compile(r"\bdocs/[\w.-]+\.md#[\w-]+")
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")


def _tracked_text_files() -> Iterator[tuple[str, list[str]]]:
    """Each tracked file's path and lines, tests/fixtures/ and binary files left out."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True
    ).stdout.decode()
    for name in sorted(filter(None, listed.split("\0"))):
        if name.startswith(SKIPPED_DIRS) or not (ROOT / name).is_file():
            continue
        try:
            text = (ROOT / name).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        yield name, text.splitlines()


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    plain = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    return re.sub(r"[^\w\- ]", "", plain.lower()).replace(" ", "-")


def _anchors(markdown: Path) -> set[str]:
    """Every heading anchor of a Markdown file (a repeated heading gets -1, -2, as on GitHub)."""
    seen: dict[str, int] = {}
    anchors = set()
    fenced = False
    for line in markdown.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        match = None if fenced else HEADING.match(line)
        if match:
            slug = _slug(match.group(1))
            count = seen.get(slug, 0)
            seen[slug] = count + 1
            anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def _broken(target: str, source: Path) -> str | None:
    """Why a link from ``source`` to ``target`` leads nowhere, or None when it leads somewhere."""
    path_part, _, anchor = target.partition("#")
    destination = (source.parent / path_part).resolve() if path_part else source
    if not destination.is_relative_to(ROOT):
        return "leads outside the repository"
    if not destination.exists():
        return "no such file in the repository"
    if anchor and destination.suffix == ".md" and anchor not in _anchors(destination):
        return f"{destination.relative_to(ROOT)} has no heading #{anchor}"
    return None


def test_nothing_reads_or_cites_a_path_outside_the_repository() -> None:
    found = [
        f"{name}:{number}: {line.strip()}"
        for name, lines in _tracked_text_files()
        if name != THIS
        for number, line in enumerate(lines, start=1)
        if OUTSIDE.search(line)
    ]
    assert not found, "a fresh clone has none of these:\n" + "\n".join(found)


def test_every_link_in_the_docs_leads_to_a_file_and_heading_of_the_repository() -> None:
    problems = []
    for name, lines in _tracked_text_files():
        if name == THIS:  # its own examples of broken links
            continue
        source = ROOT / name
        for number, line in enumerate(lines, start=1):
            targets = MARKDOWN_LINK.findall(line) if name.endswith(".md") else []
            for target in targets:
                if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
                    continue
                reason = _broken(target, source)
                if reason:
                    problems.append(f"{name}:{number}: ({target}) {reason}")
            for mention in DOC_ANCHOR.findall(line):
                reason = _broken(mention, ROOT / "README.md")
                if reason:
                    problems.append(f"{name}:{number}: {mention} {reason}")
    assert not problems, "links that lead nowhere:\n" + "\n".join(problems)


def test_the_link_check_finds_a_missing_heading_and_a_path_outside() -> None:
    """The checks above can fail: a heading that is not there and a path out of the clone."""
    guide = ROOT / "docs" / "guide.md"
    assert _broken("docs/guide.md#severities", ROOT / "README.md") is None
    assert _broken("docs/guide.md#no-such-heading", ROOT / "README.md") == (
        "docs/guide.md has no heading #no-such-heading"
    )
    assert _broken("../../elsewhere/notes.md", guide) == "leads outside the repository"
    assert OUTSIDE.search("payloads = ROOT.parent / 'shared/fixtures'  # ../shared/fixtures")
    assert _slug("`slo report`") == "slo-report"
    assert _slug("Where the bot differs from the guide") == "where-the-bot-differs-from-the-guide"
