"""The code location: every asset, check, job, schedule and resource, assembled once."""

from dagster import Definitions

from assets.thinkific import thinkific_assets
from assets.thinkific_checks import thinkific_checks
from pipelines.resources import all_resources
from pipelines.schedules import (
    nightly_thinkific_sync,
    thinkific_sync_job,
    weekly_thinkific_reconciliation,
)

defs = Definitions(
    assets=thinkific_assets,
    asset_checks=thinkific_checks,
    jobs=[thinkific_sync_job],
    schedules=[nightly_thinkific_sync, weekly_thinkific_reconciliation],
    resources=all_resources(),
)
