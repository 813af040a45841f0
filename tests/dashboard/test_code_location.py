"""The Tools code location loads, follows the asset conventions, and runs nightly unattended."""

import pytest
from dagster import Definitions

from assets.conventions import OWNER
from assets.dashboard.derived import dashboard_assets
from pipelines.jobs.schedules import thinkific_sync_job
from tests.dashboard.conftest import tools_definitions
from tests.dashboard.site_helpers import materialized
from tests.pipelines.sync_harness import failure_messages


def test_the_tools_code_location_loads(site, sqlite_warehouse):
    Definitions.validate_loadable(tools_definitions(site, sqlite_warehouse))


@pytest.mark.parametrize("definition", dashboard_assets, ids=lambda a: a.key.to_user_string())
def test_every_dashboard_asset_has_description_group_kinds_and_owner(definition):
    spec = next(iter(definition.specs))

    assert spec.description
    assert spec.group_name == "dashboard"
    assert spec.kinds
    assert list(spec.owners) == [OWNER]


def test_the_nightly_sync_refreshes_the_dashboard_with_default_config(site, sqlite_warehouse):
    defs = Definitions.merge(
        tools_definitions(site, sqlite_warehouse), Definitions(jobs=[thinkific_sync_job])
    )

    result = defs.resolve_job_def(thinkific_sync_job.name).execute_in_process(raise_on_error=False)

    assert result.success, failure_messages(result)
    assert {
        f"dashboard/{name}"
        for name in ("team_members", "seat_assignments", "seat_usage", "teams_overview")
    } <= materialized(result)
