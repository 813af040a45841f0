"""The Dagster UI path, in a real browser: what an admin does on a fresh `make ui`.

Headless Chromium drives the UI command (on the demo simulator, with its own DAGSTER_HOME and
warehouse): the asset graph shows both groups; the `thinkific` group is materialised with
"Materialize all"; `import_users_from_groups` is launched from its Launchpad with a demo group
and a new team; `dashboard/teams_overview` is materialised and its table read in the UI.
Screenshots of each step land in tests/artifacts/browser/.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from resources.dashboard.store import DashboardStore
from resources.warehouse import WarehouseResource
from schemas.dashboard import normalised
from schemas.thinkific import STREAMS
from tests.browser.conftest import DagsterUI

pytestmark = pytest.mark.slow

try:
    from playwright.sync_api import Page, expect
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # the `page` fixture then skips, or fails under CI=true, saying why
    Page = PlaywrightTimeout = expect = None

LOCATION = "pipelines.definitions"
TEAM = "Browser Test Team"
UI_TIMEOUT_MS = 30_000
RUN_TIMEOUT_MS = 180_000
# Each step of the default executor starts a Python process that imports the code location
# (seconds each on a small machine); the sync's assets and checks run in one process.
MATERIALIZE = re.compile(r"Materialize$")
FINAL_RUN_STATUS = re.compile(r"^(Success|Failure|Canceled)$")


class Screenshots:
    def __init__(self, page: Page, folder: Path) -> None:
        self.page, self.folder, self.taken = page, folder, 0

    def __call__(self, name: str) -> Path:
        self.taken += 1
        path = self.folder / f"{self.taken:02d}-{name}.png"
        self.page.screenshot(path=str(path))
        return path


def _replace_config(page: Page, text: str) -> None:
    """Replaces the run config in the Launchpad's editor (CodeMirror) with `text`, inserted as
    one input so that the editor's auto-indent leaves it as is."""
    page.locator(".CodeMirror").first.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(text)


def _wait_for_run(page: Page, shot: Screenshots, name: str) -> None:
    """On a run's page: waits for its final status, screenshots it, asserts success."""
    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f-]{36}"), timeout=UI_TIMEOUT_MS)
    status = page.get_by_text(FINAL_RUN_STATUS).first
    status.wait_for(timeout=RUN_TIMEOUT_MS)
    shot(name)
    assert status.inner_text() == "Success", f"run ended {status.inner_text()}: {page.url}"


def _dismiss_welcome_dialog(page: Page) -> None:
    """A new Dagster instance greets its first visitor with "Join the Dagster community"."""
    skip = page.get_by_role("button", name="Skip", exact=True)
    try:
        skip.click(timeout=15_000)
    except PlaywrightTimeout:
        return
    expect(page.get_by_text("Join the Dagster community")).to_be_hidden()


def _open_launched_run(page: Page) -> None:
    """After a launch that shows a "Launched run" toast: opens the run with its View link."""
    page.get_by_text("Launched run").wait_for(timeout=UI_TIMEOUT_MS)
    page.get_by_role("link", name="View", exact=True).click()


def _teams_table_row(page: Page, team: str) -> dict[str, str]:
    """The team's row of the `teams` table in the asset's materialisation metadata, by column."""
    table = page.get_by_role("table").filter(has_text="seats bought").last  # the innermost
    row = table.get_by_role("row").filter(has_text=team).last
    row.scroll_into_view_if_needed()
    expect(row).to_be_visible()
    header = table.get_by_role("row").first.locator("th, td").all_inner_texts()
    cells = row.locator("th, td").all_inner_texts()
    return dict(zip((h.strip() for h in header), (c.strip() for c in cells), strict=True))


def _largest_demo_group(warehouse_url: str) -> tuple[str, int]:
    """The synced group with the most members (the demo site is deterministic)."""
    engine = sa.create_engine(warehouse_url)
    try:
        with engine.connect() as connection:
            name, members = connection.exec_driver_sql(
                "SELECT g.name, COUNT(*) FROM thinkific_groups g "
                "JOIN thinkific_group_memberships m ON m.group_id = g.id "
                "WHERE g.deleted_at IS NULL AND m.deleted_at IS NULL "
                "GROUP BY g.name ORDER BY COUNT(*) DESC, g.name LIMIT 1"
            ).one()
    finally:
        engine.dispose()
    return name, members


@pytest.mark.timeout(900)  # with Chromium to install first; the walk-through takes 2-3 minutes
def test_admin_syncs_imports_a_group_and_reads_the_teams_overview(
    page: Page, dagster_ui: DagsterUI, artifacts: Path
):
    shot = Screenshots(page, artifacts)
    page.set_default_timeout(UI_TIMEOUT_MS)
    expect.set_options(timeout=UI_TIMEOUT_MS)
    try:
        _walk_through(page, dagster_ui, shot)
    except BaseException:
        shot("failure")
        raise


def _walk_through(page: Page, dagster_ui: DagsterUI, shot: Screenshots) -> None:
    # 1. The asset graph, with both groups (after the new instance's welcome dialog).
    page.goto(f"{dagster_ui.url}/asset-groups")
    _dismiss_welcome_dialog(page)
    graph = page.get_by_role("img").filter(has_text="thinkific").filter(has_text="dashboard")
    expect(graph).to_be_visible()
    expect(page.get_by_text("fetching statuses")).to_have_count(0)
    for group in ("thinkific", "dashboard"):
        expect(page.get_by_role("button", name=f"asset_group {group}")).to_be_visible()
    shot("asset-graph")

    # 2. Materialise the thinkific group with "Materialize all", as a newcomer would.
    page.goto(f"{dagster_ui.url}/locations/{LOCATION}/asset-groups/thinkific")
    materialize_all = page.get_by_role("button", name="Materialize all")
    expect(materialize_all).to_be_enabled()
    shot("thinkific-group")
    materialize_all.click()
    _open_launched_run(page)
    _wait_for_run(page, shot, "thinkific-run")

    page.goto(f"{dagster_ui.url}/locations/{LOCATION}/asset-groups/thinkific")
    expect(page.get_by_text("Materialized").first).to_be_visible()
    expect(page.get_by_text("Never materialized")).to_have_count(0)
    for _ in range(8):  # the whole group in view
        page.get_by_role("button", name="zoom_out").click()
        page.wait_for_timeout(200)  # the zoom animates
    shot("thinkific-materialised")
    page.get_by_role("tab", name="List").click()
    expect(page.get_by_role("link", name=re.compile(r"^thinkific \/ "))).to_have_count(len(STREAMS))
    expect(page.get_by_text(re.compile(r"^Materialized"))).to_have_count(len(STREAMS))
    shot("thinkific-list")

    # 3. Import the members of a demo group into a new team, from the job's Launchpad. The team
    # is created first, as the admin does in the dashboard (the import refuses unknown teams).
    group, group_members = _largest_demo_group(dagster_ui.warehouse_url)
    warehouse = WarehouseResource(url=dagster_ui.warehouse_url)
    store = DashboardStore(warehouse)
    store.create_teams(TEAM)
    page.goto(f"{dagster_ui.url}/locations/{LOCATION}/jobs/import_users_from_groups/playground")
    config = f"groups: [{json.dumps(group)}]\nteam: {json.dumps(TEAM)}\nrole: member\n"
    _replace_config(page, config)
    expect(page.get_by_text("No errors")).to_be_visible()
    launch = page.get_by_role("button", name="Launch Run")
    expect(launch).to_be_enabled()
    shot("import-launchpad")
    launch.click()  # opens the run's page
    _wait_for_run(page, shot, "import-run")
    members = store.read("dashboard_team_members")
    warehouse.engine.dispose()
    assert int((members["team"] == normalised(TEAM)).sum()) == group_members > 0

    # 4. Materialise dashboard/teams_overview and read the team's row in its table.
    page.goto(f"{dagster_ui.url}/assets/dashboard/teams_overview")
    page.get_by_role("button", name=MATERIALIZE).click()
    # Unless the dashboard's automation has refreshed them since the sync (it follows every
    # upstream change, evaluated every 15 s), its upstream dashboard assets were never
    # materialised and the UI asks first. The overview reads the memberships the import wrote,
    # so it is right to go ahead.
    confirm = page.get_by_role("dialog").filter(has_text="Are you sure?")
    launched = page.get_by_text("Launched run")
    expect(confirm.or_(launched).first).to_be_visible(timeout=UI_TIMEOUT_MS)
    if confirm.is_visible():
        expect(confirm).to_contain_text("have not been materialized yet")
        shot("teams-overview-confirm")
        confirm.get_by_role("button", name="Confirm").click()
    _open_launched_run(page)
    _wait_for_run(page, shot, "teams-overview-run")
    page.goto(f"{dagster_ui.url}/assets/dashboard/teams_overview")
    overview = _teams_table_row(page, TEAM)
    shot("teams-overview")
    assert overview["team"] == TEAM, overview
    assert int(overview["members"]) == group_members, overview
    assert overview["managers"] == "0", overview
