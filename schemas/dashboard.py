"""The dashboard's tables (`dashboard_<entity>`): one pandera model each, and the registry.

Unlike the `thinkific_*` tables these are owned by the dashboard: their keys are natural ones
(a user is its normalised email, a team its normalised name), rows are really deleted when they
go, and no `deleted_at` column is added. Normalised means trimmed and lower-cased
(`normalised`); the SQL side applies the same rule (`resources.dashboard.sql.normalised`).
"""

from typing import Any, Literal, get_args

import pandera.pandas as pa

from schemas.tables import TableSpec, json_array, key, optional, required
from schemas.team_actions import TEAM_ACTION_TABLES
from schemas.thinkific.models import Integer, Number, Text, ThinkificModel, Timestamp

Role = Literal["member", "manager"]
MembershipSource = Literal["thinkific_import", "group_import", "group_matching", "csv_import"]
AssignmentSource = Literal["dashboard", "thinkific"]
ClaimStatus = Literal["claimed", "enrolled", "failed"]
MessageKind = Literal["welcome", "import_complete", "import_failed"]

WHITESPACE = " \t\r\n"
"""What `normalised` trims, here and in SQL."""


def normalised(text: str) -> str:
    """An email or team name as the dashboard compares it: trimmed, lower case."""
    return text.strip(WHITESPACE).lower()


def one_of(values: tuple[str, ...] | Any) -> Any:
    """A text column holding one of the values (or of a Literal's values)."""
    allowed = values if isinstance(values, tuple) else get_args(values)
    return pa.Field(nullable=False, isin=list(allowed))


def counter() -> Any:
    """A count: never null, never negative."""
    return pa.Field(nullable=False, ge=0)


class DashboardModel(ThinkificModel):
    """Typed and strict like the Thinkific models: columns cast to their type, no others."""


class DashboardUser(DashboardModel):
    email: Text = key()
    first_name: Text = optional()
    last_name: Text = optional()
    thinkific_user_id: Integer = optional()
    created_at: Timestamp = required()
    created_by_run: Text = optional()
    """The run that created the user: who an import's welcome messages go to."""


class UserField(DashboardModel):
    """An additional field of a user: a column of a user upload the dashboard does not
    interpret (department, employee id, ...), named as `schemas.uploads.header_key` writes the
    header. An import sets the value its file gives and removes the field its file leaves
    blank; fields its file has no column for are kept."""

    email: Text = key()
    field: Text = key()
    value: Text = required()
    updated_at: Timestamp = required()
    updated_by_run: Text = optional()


class Team(DashboardModel):
    team: Text = key()
    name: Text = required()
    created_at: Timestamp = required()
    archived_at: Timestamp = optional()
    """Archived teams keep their history but leave the overview and seat counting."""
    merged_into: Text = optional()
    """The team this one was merged into (archived at the same time)."""


class TeamMember(DashboardModel):
    team: Text = key()
    email: Text = key()
    role: Text = one_of(Role)
    source: Text = one_of(MembershipSource)
    joined_at: Timestamp = required()


class GroupMapping(DashboardModel):
    """Group matching: members of the Thinkific group belong to the team with this role."""

    group_id: Integer = key()
    team: Text = key()
    role: Text = one_of(Role)


class SeatAllocation(DashboardModel):
    team: Text = key()
    product_id: Integer = key()
    purchased_at: Timestamp = key()
    seats: Integer = counter()
    expires_at: Timestamp = optional()
    """From then on the seats no longer count as purchased."""


class SeatAssignment(DashboardModel):
    """Who should hold a seat: `dashboard` rows are the admin's, `thinkific` rows were adopted
    from an enrollment the user already had (sync direction pull)."""

    team: Text = key()
    email: Text = key()
    product_id: Integer = key()
    source: Text = one_of(AssignmentSource)
    assigned_at: Timestamp = required()


class SeatUsage(DashboardModel):
    team: Text = key()
    product_id: Integer = key()
    purchased: Integer = counter()
    used: Integer = counter()
    available: Integer = required()
    """purchased - used; below zero is an over-allocation."""
    calculated_at: Timestamp = required()


class PendingChange(DashboardModel):
    """A change a recalculation (`consumer`: `seat_usage`, `teams_overview`) has not taken yet:
    its `kind` (`team`, `email`, `user`, `product`, `bundle`, or `everything`) and `subject`
    (the team, the email as written, the Thinkific user, product or bundle id; empty for
    everything). Written by database triggers (`resources.dashboard.change_log`); one row per
    subject however often it changes."""

    consumer: Text = key()
    kind: Text = key()
    subject: Text = key()


class EnrollmentClaim(DashboardModel):
    """One push of one user into one product: taken before the POST, so no two runs send it."""

    thinkific_user_id: Integer = key()
    product_id: Integer = key()
    team: Text = required()
    email: Text = required()
    status: Text = one_of(ClaimStatus)
    run_id: Text = required()
    claimed_at: Timestamp = required()
    detail: Text = optional()


class Notification(DashboardModel):
    """The outbox: a message is queued once (by its id) and stamped when delivered."""

    message_id: Text = key()
    kind: Text = one_of(MessageKind)
    recipient: Text = required()
    subject: Text = required()
    body: Text = required()
    run_id: Text = optional()
    queued_at: Timestamp = required()
    sent_at: Timestamp = optional()
    error: Text = optional()


class ImportLog(DashboardModel):
    run_id: Text = key()
    job: Text = required()
    team: Text = optional()
    role: Text = optional()
    group_ids: Text = json_array()
    emails: Text = one_of(("default", "allowed", "prohibited"))
    users_created: Integer = counter()
    users_linked: Integer = counter()
    memberships_added: Integer = counter()
    welcome_messages: Integer = counter()
    imported_at: Timestamp = required()


class TeamOverview(DashboardModel):
    """One row per team; certificates and quiz grades stay null (n/a) without their tables."""

    team: Text = key()
    name: Text = required()
    members: Integer = counter()
    managers: Integer = counter()
    seats_purchased: Integer = counter()
    seats_used: Integer = counter()
    seats_available: Integer = required()
    active_enrollments: Integer = counter()
    completed_enrollments: Integer = counter()
    completion_rate: Number = optional()
    certificates: Integer = optional()
    average_quiz_grade: Number = optional()
    calculated_at: Timestamp = required()


DASHBOARD_TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(
            "dashboard_users",
            DashboardUser,
            ("email",),
            soft_delete=False,
            indexes=(("thinkific_user_id",),),
        ),
        TableSpec("dashboard_user_fields", UserField, ("email", "field"), soft_delete=False),
        TableSpec("dashboard_teams", Team, ("team",), soft_delete=False),
        TableSpec(
            "dashboard_team_members",
            TeamMember,
            ("team", "email"),
            soft_delete=False,
            indexes=(("email",),),
        ),
        TableSpec(
            "dashboard_group_mappings", GroupMapping, ("group_id", "team"), soft_delete=False
        ),
        TableSpec(
            "dashboard_seat_allocations",
            SeatAllocation,
            ("team", "product_id", "purchased_at"),
            soft_delete=False,
            indexes=(("product_id",),),
        ),
        TableSpec(
            "dashboard_seat_assignments",
            SeatAssignment,
            ("team", "email", "product_id"),
            soft_delete=False,
        ),
        TableSpec("dashboard_seat_usage", SeatUsage, ("team", "product_id"), soft_delete=False),
        TableSpec(
            "dashboard_pending_changes",
            PendingChange,
            ("consumer", "kind", "subject"),
            soft_delete=False,
        ),
        TableSpec(
            "dashboard_enrollment_claims",
            EnrollmentClaim,
            ("thinkific_user_id", "product_id"),
            soft_delete=False,
        ),
        TableSpec(
            "dashboard_notification_outbox", Notification, ("message_id",), soft_delete=False
        ),
        TableSpec("dashboard_import_log", ImportLog, ("run_id",), soft_delete=False),
        TableSpec("dashboard_teams_overview", TeamOverview, ("team",), soft_delete=False),
        *TEAM_ACTION_TABLES,
    )
}
