"""Dashboard assets derived from the warehouse: team memberships, seat usage, the Teams tab.

Each is refreshed by the nightly sync (they are downstream of the `thinkific` group), by the
Tools jobs in `pipelines.jobs.tools`, and by itself whenever anything upstream changed (webhook
events, uploads, team actions: `assets.dashboard.automation`). Assets orchestrate only: the SQL
is in `resources.dashboard`.
"""

import time
from typing import Any

import pandas as pd
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    MaterializeResult,
    asset_check,
)

from assets.dashboard.automation import FOLLOWS_UPSTREAM, follows_upstream
from assets.dashboard.common import (
    dashboard_asset,
    dashboard_key,
    metadata_table,
    table_metadata,
    thinkific_key,
)
from assets.dashboard.enrollments import seat_assignments
from assets.dashboard.recalculation_mode import full_recalculation
from assets.dashboard.teams import TEAMS_KEY
from assets.failures import with_known_failures
from resources.dashboard.change_log import OVERVIEW, SEATS
from resources.dashboard.overview_diff import teams_changed
from resources.dashboard.recalculation import Recalculated, recalculate
from resources.dashboard.seats import seat_rows
from resources.dashboard.store import DashboardStore, utc_now
from resources.dashboard.team_mapping import map_teams
from resources.warehouse import WarehouseResource

SEAT_COLUMNS = {
    "team": "string",
    "product": "string",
    "purchased": "int",
    "used": "int",
    "available": "int",
}
LEARNING_RECORDS = (thinkific_key("certificates"), thinkific_key("quiz_results"))
"""What the Teams tab reads beside its dependencies, when the GraphQL extraction made them."""
OVERVIEW_COLUMNS = {
    "team": "string",
    "members": "int",
    "managers": "int",
    "seats bought": "int",
    "seats used": "int",
    "seats available": "int",
    "active enrollments": "int",
    "completed enrollments": "int",
    "completion rate": "string",
    "certificates": "string",
    "average quiz grade": "string",
}


@dashboard_asset(
    "team_members",
    "Who is in which dashboard team, with role and source. Team mapping: the members of every "
    "Thinkific group mapped to a team (group matching) join it with the mapping's role, the "
    "group's analysts as managers; memberships from imports are kept as they are. Also links "
    "each dashboard user to the Thinkific user with the same email.",
    deps=[
        TEAMS_KEY,
        *(thinkific_key(s) for s in ("users", "groups", "group_memberships", "group_analysts")),
    ],
    automation_condition=FOLLOWS_UPSTREAM,
)
def team_members(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    started = time.monotonic()
    store = DashboardStore(warehouse)
    result = map_teams(store, utc_now(), context.run.run_id)
    rows = len(store.read("dashboard_team_members"))
    return MaterializeResult(
        metadata={
            **table_metadata("dashboard_team_members", rows, started),
            "users_created": result.users_created,
            "users_linked": result.users_linked,
            "members_added": result.members_added,
            "roles_changed": result.roles_changed,
            "members_removed": result.members_removed,
        }
    )


@dashboard_asset(
    "seat_usage",
    "Seats per team and product: purchased, used, available. Used = distinct team members "
    "holding an active enrollment (not expired, not a free trial) in the product; for a bundle "
    "in any of its courses, once. Enrollments older than the purchase count; a user in two "
    "teams uses a seat in each. Negative availability is an over-allocation (see the check).",
    deps=[
        dashboard_key("team_members"),
        dashboard_key("seat_assignments"),
        *(thinkific_key(s) for s in ("enrollments", "products", "bundle_courses")),
    ],
    automation_condition=FOLLOWS_UPSTREAM,
)
def seat_usage(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    started = time.monotonic()
    store = DashboardStore(warehouse)
    done = recalculate(store, SEATS, utc_now(), full=full_recalculation(context))
    usage = store.read("dashboard_seat_usage")
    return MaterializeResult(
        metadata={
            **table_metadata("dashboard_seat_usage", len(usage), started),
            **_recalculation_metadata(done),
            "seats_purchased": int(usage["purchased"].sum()),
            "seats_used": int(usage["used"].sum()),
            "over_allocated_pairs": int((usage["available"] < 0).sum()),
        }
    )


def _recalculation_metadata(done: Recalculated) -> dict[str, Any]:
    return {"mode": done.mode, "teams_recalculated": done.teams, "rows_recalculated": done.rows}


@asset_check(
    asset=seat_usage,
    name="seats_not_over_allocated",
    description="No team uses more seats of a product than it bought. Lists the teams and "
    "products affected: buy seats, or end enrollments.",
    automation_condition=FOLLOWS_UPSTREAM,
)
@with_known_failures
def seats_not_over_allocated(warehouse: WarehouseResource) -> AssetCheckResult:
    found = seat_rows(DashboardStore(warehouse), over_allocated_only=True)
    return AssetCheckResult(
        passed=not found,
        severity=AssetCheckSeverity.ERROR,
        metadata={
            "over_allocations": len(found),
            "teams": ", ".join(sorted({row.team for row in found})) or "none",
            "products": ", ".join(sorted({row.product for row in found})) or "none",
            "details": metadata_table([vars(row) for row in found], SEAT_COLUMNS),
        },
    )


def _missing(value: Any) -> bool:
    return bool(pd.isna(value))


def _percent(value: float | None) -> str:
    return "n/a" if _missing(value) else f"{value:.0%}"


def _overview_records(overview: pd.DataFrame) -> list[dict[str, Any]]:
    frame = overview.sort_values("name")
    return [
        dict(
            zip(
                OVERVIEW_COLUMNS,
                (
                    row.name,
                    int(row.members),
                    int(row.managers),
                    int(row.seats_purchased),
                    int(row.seats_used),
                    int(row.seats_available),
                    int(row.active_enrollments),
                    int(row.completed_enrollments),
                    _percent(row.completion_rate),
                    "n/a" if _missing(row.certificates) else str(int(row.certificates)),
                    _percent(row.average_quiz_grade),
                ),
                strict=True,
            )
        )
        for row in frame.itertuples()
    ]


@dashboard_asset(
    "teams_overview",
    "The Teams tab: per team its members and managers, seats bought / used / available, active "
    "and completed enrollments, completion rate, certificates earned and average quiz grade "
    "(n/a until certificates and quiz results are extracted). The table is in this asset's "
    "metadata; dashboard_teams_overview holds every row, and teams_changed names the teams "
    "whose row this run changed.",
    deps=[dashboard_key("team_members"), dashboard_key("seat_usage"), thinkific_key("enrollments")],
    automation_condition=follows_upstream(*LEARNING_RECORDS),
)
def teams_overview(
    context: AssetExecutionContext, warehouse: WarehouseResource
) -> MaterializeResult:
    started = time.monotonic()
    store = DashboardStore(warehouse)
    before = store.read("dashboard_teams_overview")
    done = recalculate(store, OVERVIEW, utc_now(), full=full_recalculation(context))
    after = store.read("dashboard_teams_overview")
    changed = teams_changed(before, after)
    return MaterializeResult(
        metadata={
            **table_metadata("dashboard_teams_overview", len(after), started),
            **_recalculation_metadata(done),
            "teams_changed": len(changed),
            "teams_changed_names": ", ".join(changed) or "none",
            "teams": metadata_table(_overview_records(after), OVERVIEW_COLUMNS),
            "seats": metadata_table([vars(row) for row in seat_rows(store)], SEAT_COLUMNS),
        }
    )


dashboard_assets = [team_members, seat_assignments, seat_usage, teams_overview]
dashboard_checks = [seats_not_over_allocated]
