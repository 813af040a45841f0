"""The README stays a user's page: short, its links alive, its lists of jobs and tables those the
code defines. The design material lives in docs/, one file a subject."""

import re
from pathlib import Path

import pytest

from pipelines.jobs.schedules import SYNC_JOB_NAME
from pipelines.jobs.teams import team_jobs
from pipelines.jobs.tools import tools_jobs
from pipelines.jobs.webhook_events import apply_webhook_events
from schemas.dashboard import DASHBOARD_TABLES
from schemas.thinkific import STREAMS

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
MAX_LINES = 250
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _anchors(path: Path) -> set[str]:
    """GitHub's anchors of a Markdown file's headings."""
    headings = re.findall(r"^#+ (.+)$", _text(path), flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def _section(title: str) -> str:
    """The text of the README's `## title` section."""
    text = _text(README)
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def test_the_readme_is_at_most_250_lines():
    lines = len(_text(README).splitlines())
    assert lines <= MAX_LINES, f"README.md has {lines} lines: move design material to docs/"


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_every_relative_link_leads_to_a_file_and_heading_that_exist(page: Path):
    broken = []
    for target in LINK.findall(_text(page)):
        if re.match(r"^[a-z]+:", target):  # https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        if not resolved.exists():
            broken.append(f"{target}: no such file")
        elif anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
            broken.append(f"{target}: no such heading")
    assert not broken, broken


def test_the_readme_names_every_job_under_what_it_is():
    jobs = _section("The two commands")  # with its "Your first hour"
    tools = re.search(r"the \*\*Tools cards\*\*.*?;\n", jobs, flags=re.DOTALL).group(0)
    actions = re.search(r"the \*\*Teams tab's actions\*\*.*?;\n", jobs, flags=re.DOTALL).group(0)
    assert set(re.findall(r"`(\w+)`", tools)) - {"groups", "team", "role"} == {
        job.name for job in tools_jobs
    }
    assert set(re.findall(r"`(\w+)`", actions)) - {"dashboard_audit_log"} == {
        job.name for job in team_jobs
    }
    everything = {job.name for job in (*tools_jobs, *team_jobs, apply_webhook_events)}
    everything.add(SYNC_JOB_NAME)
    assert f"lists {len(everything)} jobs" in jobs
    assert all(f"`{name}`" in jobs for name in everything)


def test_the_readme_lists_the_tables_a_bi_tool_reads():
    section = _section("Looking at the data")
    for stream in STREAMS:
        assert f"`{stream.table}`" in section, stream.table
    for table in ("dashboard_teams_overview", "dashboard_seat_usage", "dashboard_team_members"):
        assert table in DASHBOARD_TABLES and f"`{table}`" in section, table
