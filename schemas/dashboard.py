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


def one_of(values: tuple[str, ...] | Any, description: str) -> Any:
    """A text column holding one of the values (or of a Literal's values)."""
    allowed = values if isinstance(values, tuple) else get_args(values)
    return pa.Field(nullable=False, isin=list(allowed), description=description)


def counter(description: str) -> Any:
    """A count: never null, never negative."""
    return pa.Field(nullable=False, ge=0, description=description)


class DashboardModel(ThinkificModel):
    """Typed and strict like the Thinkific models: columns cast to their type, no others."""


TEAM = "The team (dashboard_teams.team): its name trimmed and lower-cased."
EMAIL = "The user's email address, trimmed and lower-cased (dashboard_users.email)."
ROLE = "member or manager."
THINKIFIC_PRODUCT = "The Thinkific product (thinkific_products.id)."


class DashboardUser(DashboardModel):
    email: Text = key("The user's email address, trimmed and lower-cased: one user per email.")
    first_name: Text = optional("First name, as imported.")
    last_name: Text = optional("Last name, as imported.")
    thinkific_user_id: Integer = optional(
        "The Thinkific user with the same email (thinkific_users.id), linked by imports and team "
        "mapping; null until one is found."
    )
    created_at: Timestamp = required("When the dashboard created the user (UTC).")
    created_by_run: Text = optional(
        "The Dagster run that created the user: who an import's welcome messages go to."
    )


class UserField(DashboardModel):
    """An additional field of a user: a column of a user upload the dashboard does not
    interpret (department, employee id, ...), named as `schemas.uploads.header_key` writes the
    header. An import sets the value its file gives and removes the field its file leaves
    blank; fields its file has no column for are kept."""

    email: Text = key(EMAIL)
    field: Text = key(
        "The field's name: the upload's header, lower case, its words separated by one space."
    )
    value: Text = required("The field's value, as the latest upload that gave it wrote it.")
    updated_at: Timestamp = required("When an upload last set the value (UTC).")
    updated_by_run: Text = optional("The Dagster run of the upload that last set the value.")


class Team(DashboardModel):
    team: Text = key("The team's key: its name trimmed and lower-cased.")
    name: Text = required("The team's name, as the admin wrote it.")
    created_at: Timestamp = required("When the team was created (UTC).")
    archived_at: Timestamp = optional(
        "When the team was archived (UTC); null while active. Archived teams keep their history "
        "but leave the Teams tab and seat counting."
    )
    merged_into: Text = optional(
        "The team this one was merged into (dashboard_teams.team), archived at the same time; "
        "null when not merged."
    )


class TeamMember(DashboardModel):
    team: Text = key(TEAM)
    email: Text = key(EMAIL)
    role: Text = one_of(Role, ROLE)
    source: Text = one_of(
        MembershipSource,
        "How the membership was made: thinkific_import or group_import (the Import Users "
        "cards), group_matching (derived from a mapped Thinkific group, kept in step with it), "
        "csv_import (a user upload).",
    )
    joined_at: Timestamp = required("When the user joined the team (UTC).")


class GroupMapping(DashboardModel):
    """Group matching: members of the Thinkific group belong to the team with this role."""

    group_id: Integer = key("The Thinkific group (thinkific_groups.id).")
    team: Text = key(TEAM)
    role: Text = one_of(
        Role, "The role the group's members get in the team (its analysts are managers)."
    )


class SeatAllocation(DashboardModel):
    team: Text = key(TEAM)
    product_id: Integer = key(THINKIFIC_PRODUCT)
    purchased_at: Timestamp = key(
        "When the seats were bought (UTC): one row per purchase of the product by the team."
    )
    seats: Integer = counter("How many seats of the product this purchase bought.")
    expires_at: Timestamp = optional(
        "When the purchase's seats stop counting as purchased (UTC); null: never."
    )


class SeatAssignment(DashboardModel):
    """Who should hold a seat: `dashboard` rows are the admin's, `thinkific` rows were adopted
    from an enrollment the user already had (sync direction pull)."""

    team: Text = key(TEAM)
    email: Text = key(EMAIL)
    product_id: Integer = key(THINKIFIC_PRODUCT)
    source: Text = one_of(
        AssignmentSource,
        "dashboard (assigned by the admin) or thinkific (adopted from an enrollment the user "
        "already had).",
    )
    assigned_at: Timestamp = required("When the seat was assigned (UTC).")


class SeatUsage(DashboardModel):
    team: Text = key(TEAM)
    product_id: Integer = key(THINKIFIC_PRODUCT)
    purchased: Integer = counter("Seats bought whose purchase has not expired.")
    used: Integer = counter(
        "Distinct members of the team holding an active enrollment (live, not expired, not a "
        "free trial) in the product, or in any course of a bundle, counted once; seats the "
        "admin released are not used."
    )
    available: Integer = required("purchased - used; below zero is an over-allocation.")
    calculated_at: Timestamp = required("When the row was last recalculated (UTC).")


class PendingChange(DashboardModel):
    """A change a recalculation has not taken yet. Written by database triggers
    (`resources.dashboard.change_log`); one row per subject however often it changes."""

    consumer: Text = key("The recalculation still to take it: seat_usage or teams_overview.")
    kind: Text = key("What changed: team, email, user, product, bundle or everything.")
    subject: Text = key(
        "Which one: the team, the email as written, the Thinkific user, product or bundle id; "
        "empty for everything."
    )


class EnrollmentClaim(DashboardModel):
    """One push of one user into one product: taken before the POST, so no two runs send it."""

    thinkific_user_id: Integer = key("The Thinkific user enrolled (thinkific_users.id).")
    product_id: Integer = key(THINKIFIC_PRODUCT)
    team: Text = required("The team whose seat assignment the enrollment is for.")
    email: Text = required(EMAIL)
    status: Text = one_of(
        ClaimStatus,
        "claimed (the push is in flight), enrolled (Thinkific has the enrollment) or failed "
        "(retaken by the next push).",
    )
    run_id: Text = required("The Dagster run that took the claim.")
    claimed_at: Timestamp = required("When the claim was taken (UTC).")
    detail: Text = optional("Why the push failed, as Thinkific answered; null otherwise.")


class Notification(DashboardModel):
    """The outbox: a message is queued once (by its id) and stamped when delivered."""

    message_id: Text = key("The message's id: queuing the same id again does nothing.")
    kind: Text = one_of(
        MessageKind,
        "welcome (to a user an import created), import_complete or import_failed (to the admin).",
    )
    recipient: Text = required("The email address the message goes to.")
    subject: Text = required("The message's subject line.")
    body: Text = required("The message's text.")
    run_id: Text = optional("The Dagster run the message is about; null when none.")
    queued_at: Timestamp = required("When the message was queued (UTC).")
    sent_at: Timestamp = optional("When the message was delivered (UTC); null until then.")
    error: Text = optional("Why the latest delivery failed; null when none did.")


class ImportLog(DashboardModel):
    run_id: Text = key("The Dagster run of the import.")
    job: Text = required("The job that imported: which Import Users card.")
    team: Text = optional("The team the users were added to (dashboard_teams.team).")
    role: Text = optional("The role they were given in it: member or manager.")
    group_ids: Text = json_array(
        "JSON array of the Thinkific groups imported from (thinkific_groups.id); [] when the "
        "import was not by group."
    )
    emails: Text = one_of(
        ("default", "allowed", "prohibited"),
        "The import's email setting: allowed (welcome messages to the users it created), "
        "prohibited (no message at all, not even to the admin) or default.",
    )
    users_created: Integer = counter("Dashboard users the import created.")
    users_linked: Integer = counter("Dashboard users it linked to their Thinkific user.")
    memberships_added: Integer = counter("Team memberships it added.")
    welcome_messages: Integer = counter("Welcome messages it queued.")
    imported_at: Timestamp = required("When the import ran (UTC).")


class TeamOverview(DashboardModel):
    """One row per team; certificates and quiz grades stay null (n/a) without their tables."""

    team: Text = key(TEAM)
    name: Text = required("The team's name, as the admin wrote it.")
    members: Integer = counter("The team's members, managers included.")
    managers: Integer = counter("The team's managers.")
    seats_purchased: Integer = counter("Seats bought, over every product (dashboard_seat_usage).")
    seats_used: Integer = counter("Seats used, over every product (dashboard_seat_usage).")
    seats_available: Integer = required(
        "seats_purchased - seats_used, summed per product; below zero is an over-allocation."
    )
    active_enrollments: Integer = counter(
        "The members' enrollments that are live, not expired and not free trials."
    )
    completed_enrollments: Integer = counter(
        "The members' completed live enrollments (free trials left out)."
    )
    completion_rate: Number = optional(
        "completed_enrollments over the members' live enrollments, expired included (free "
        "trials left out), as a fraction from 0 to 1; null when they have none."
    )
    certificates: Integer = optional(
        "Certificates the members hold (thinkific_certificates); null until certificates are "
        "extracted."
    )
    average_quiz_grade: Number = optional(
        "The mean, over the members' quiz submissions, of correct answers over answered "
        "questions, as a fraction from 0 to 1; null until quiz results are extracted, or when "
        "there are none."
    )
    calculated_at: Timestamp = required("When the row was last recalculated (UTC).")


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
