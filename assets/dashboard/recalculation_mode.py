"""Which runs recalculate seat usage and the Teams tab in full rather than for the teams that
changed (`resources.dashboard.recalculation`): the Recalculate Seats tool (its job carries
`FULL_RECALCULATION_TAG`) and scheduled runs (the nightly sync, the weekly reconciliation).
Every other run, declarative automation's included, needs no config: it recalculates what
changed."""

from dagster import AssetExecutionContext

FULL_RECALCULATION_TAG = "dashboard/recalculation"
FULL = "full"
SCHEDULE_TAG = "dagster/schedule_name"
"""The tag Dagster puts on every run a schedule launches."""


def full_recalculation(context: AssetExecutionContext) -> bool:
    tags = context.run.tags
    return tags.get(FULL_RECALCULATION_TAG) == FULL or SCHEDULE_TAG in tags
