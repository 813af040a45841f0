"""`dashboard/teams`: the teams as the admin edits them, reported by the runs that edit them.

Team actions, the Import Users cards and imported uploads write teams, memberships, group
mappings, seats and seat assignments themselves; this external asset stands for those writes so
that the dashboard's derived assets, downstream of it, follow them by declarative automation
(`assets.dashboard.automation`). A run reports a materialization only when it changed something:
a refused action, a repeat, a validation or an import of nothing new reports none, so it sets
nothing in motion.
"""

from collections.abc import Iterable, Mapping

from dagster import AssetMaterialization, AssetSpec

from assets.conventions import DASHBOARD_GROUP, OWNER, SITE_PARTITIONS
from assets.dashboard.common import KINDS, dashboard_key, definition_metadata

TEAMS_KEY = dashboard_key("teams")

teams = AssetSpec(
    TEAMS_KEY,
    group_name=DASHBOARD_GROUP,
    description="The dashboard's teams, memberships, group mappings, seats and seat assignments "
    "as team actions, the Import Users cards and uploads edit them (tables dashboard_teams, "
    "dashboard_team_members, dashboard_group_mappings, dashboard_seat_allocations, "
    "dashboard_seat_assignments). Not materialized here: each run that changed something "
    "reports a materialization with what it changed, and team members, seat usage and the "
    "Teams tab follow.",
    owners=[OWNER],
    kinds=KINDS,
    partitions_def=SITE_PARTITIONS,
    metadata=definition_metadata("teams"),
)


def teams_changed(
    changed_by: str,
    changes: Mapping[str, int],
    teams: Iterable[str | None] | None = None,
    partition: str | None = None,
) -> AssetMaterialization | None:
    """What a run reports after editing teams: `changes` counts what it wrote, `teams` names the
    teams it touched when it knows them. None when every count is 0: nothing changed."""
    if not any(changes.values()):
        return None
    metadata: dict[str, str | int] = {"changed_by": changed_by, **changes}
    if teams is not None:
        names = sorted({team for team in teams if team})
        metadata |= {"teams_changed": len(names), "teams": ", ".join(names)}
    return AssetMaterialization(
        TEAMS_KEY, description=f"Changed by {changed_by}", metadata=metadata, partition=partition
    )
