"""The tables of the Teams tab's actions: the audit log, and seats released by unassigning; and
how an expiry date is read (the allocate_seats form and seat allocation uploads alike).

Registered with the other dashboard tables in `schemas.dashboard.DASHBOARD_TABLES`. The models
derive from `ThinkificModel` directly (as `DashboardModel` does) because `schemas.dashboard`
imports this module.
"""

import datetime as dt
from typing import Literal, get_args

import pandera.pandas as pa

from schemas.tables import TableSpec, key, optional, required
from schemas.thinkific.models import Integer, Text, ThinkificModel, Timestamp

TeamAction = Literal[
    "allocate_seats",
    "assign_seats",
    "unassign_seats",
    "rename_team",
    "merge_teams",
    "archive_team",
    "move_members",
    "remove_members",
    "upload_seat_allocations",
]
ActionStatus = Literal["applied", "refused"]


def moment(text: str) -> dt.datetime:
    """An expiry as written (ISO 8601: 2026-12-31 or 2026-12-31T18:00:00+01:00) as an instant:
    UTC unless it names an offset. Raises ValueError for anything else."""
    found = dt.datetime.fromisoformat(text.strip())
    return found.astimezone(dt.UTC) if found.tzinfo else found.replace(tzinfo=dt.UTC)


class AuditEntry(ThinkificModel):
    """One run of a team action: what was asked, whether it was applied or refused, and how
    many rows it changed."""

    run_id: Text = key("The Dagster run of the action.")
    root_run_id: Text = required(
        "The first run of its re-execution chain: an action applies once per chain."
    )
    action: Text = pa.Field(
        nullable=False,
        isin=list(get_args(TeamAction)),
        description="The action: allocate_seats, assign_seats, unassign_seats, rename_team, "
        "merge_teams, archive_team, move_members, remove_members, or upload_seat_allocations "
        "(a seat allocation upload's import).",
    )
    team: Text = optional("The team acted on, as named in the config, trimmed and lower-cased.")
    target_team: Text = optional(
        "The other team, for a rename (the new name), a merge or a move, trimmed and "
        "lower-cased; null for other actions."
    )
    config: Text = required("What was asked: the run's config, as JSON text.")
    status: Text = pa.Field(
        nullable=False,
        isin=list(get_args(ActionStatus)),
        description="applied or refused.",
    )
    rows_affected: Integer = pa.Field(
        nullable=False,
        ge=0,
        description="Rows of the dashboard tables the action changed; 0 for a refusal or a repeat.",
    )
    detail: Text = optional(
        "Why the action was refused, or which earlier run applied it already (a repeat); null "
        "otherwise."
    )
    recorded_at: Timestamp = required("When the action was recorded (UTC).")


class SeatRelease(ThinkificModel):
    """A seat given back by unassigning: the member no longer uses a seat of the product in the
    team, even while their Thinkific enrollment (never deleted) stays active. Assigning the
    seat again removes the release."""

    team: Text = key("The team (dashboard_teams.team): its name trimmed and lower-cased.")
    email: Text = key("The member's email address, trimmed and lower-cased.")
    product_id: Integer = key("The Thinkific product (thinkific_products.id).")
    released_at: Timestamp = required("When the seat was released (UTC).")
    run_id: Text = required("The Dagster run of the unassign_seats action that released it.")


TEAM_ACTION_TABLES = (
    TableSpec("dashboard_audit_log", AuditEntry, ("run_id",), soft_delete=False),
    TableSpec(
        "dashboard_seat_releases", SeatRelease, ("team", "email", "product_id"), soft_delete=False
    ),
)
