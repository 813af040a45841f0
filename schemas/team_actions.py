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
    """One run of a team action: what was asked (`config`, JSON), whether it was applied or
    refused (`detail` says why), and how many rows it changed (0 for a refusal or a repeat)."""

    run_id: Text = key()
    root_run_id: Text = required()
    """The first run of a re-execution chain: an action applies once per chain."""
    action: Text = pa.Field(nullable=False, isin=list(get_args(TeamAction)))
    team: Text = optional()
    """The team acted on (normalised), as named in the config."""
    target_team: Text = optional()
    """The other team, for a rename (the new name), a merge or a move (normalised)."""
    config: Text = required()
    status: Text = pa.Field(nullable=False, isin=list(get_args(ActionStatus)))
    rows_affected: Integer = pa.Field(nullable=False, ge=0)
    detail: Text = optional()
    recorded_at: Timestamp = required()


class SeatRelease(ThinkificModel):
    """A seat given back by unassigning: the member no longer uses a seat of the product in the
    team, even while their Thinkific enrollment (never deleted) stays active. Assigning the
    seat again removes the release."""

    team: Text = key()
    email: Text = key()
    product_id: Integer = key()
    released_at: Timestamp = required()
    run_id: Text = required()


TEAM_ACTION_TABLES = (
    TableSpec("dashboard_audit_log", AuditEntry, ("run_id",), soft_delete=False),
    TableSpec(
        "dashboard_seat_releases", SeatRelease, ("team", "email", "product_id"), soft_delete=False
    ),
)
