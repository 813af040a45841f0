"""The Teams tab's actions as ops: one typed config each (the Launchpad form), one op factory.

Like the imports, these are actions with an admin's parameters, not assets. A config that is
malformed (no emails, negative seats, an unreadable date) is refused at launch; names that do
not resolve, archived teams, too few seats and the like are refused by the action itself,
which writes only its audit row (status `refused`) and fails the run with what to do. Every
run, applied or refused, reports the `dashboard/audit_log` asset's new state (a refused run
reports it to the instance directly, since a failing step's events are dropped); a run that
changed rows also reports `dashboard/teams`, which seat usage and the Teams tab follow.
"""

import time
from typing import Any, ClassVar, Literal

import sqlalchemy as sa
from dagster import AssetMaterialization, Config, Failure, OpDefinition, OpExecutionContext, op
from pydantic import Field, field_validator

from assets.conventions import site_partition
from assets.dashboard.audit import AUDIT_LOG_KEY, audit_metadata
from assets.dashboard.teams import teams_changed
from resources.dashboard.seat_allocations import allocate
from resources.dashboard.seat_assignment_changes import assign, unassign
from resources.dashboard.store import DashboardStore, utc_now
from resources.dashboard.team_actions import ActionRequest, ActionRun, perform
from resources.dashboard.team_changes import archive, merge, move_members, remove_members, rename
from resources.warehouse import WarehouseResource
from schemas.dashboard import normalised
from schemas.team_actions import TeamAction, moment

ROOT_RUN_TAG = "dagster/root_run_id"
"""Set by Dagster on a re-execution: the first run of the chain."""


class TeamActionConfig(Config):
    """A team action's form; `apply` performs it on the action's transaction."""

    action: ClassVar[TeamAction]
    team: str = Field(description="The team, by name (any case).")

    def target(self) -> str | None:
        """The other team of the action, normalised, for the audit log."""
        return None

    def request(self) -> ActionRequest:
        return ActionRequest(self.action, self.model_dump(), normalised(self.team), self.target())

    def apply(self, connection: sa.Connection, store: DashboardStore, run: ActionRun) -> int:
        raise NotImplementedError


class WithEmails(TeamActionConfig):
    emails: list[str] = Field(description="Dashboard users by email (any case).")

    @field_validator("emails")
    @classmethod
    def _some_emails(cls, emails: list[str]) -> list[str]:
        unique = list(dict.fromkeys(normalised(email) for email in emails if email.strip()))
        if not unique:
            raise ValueError("emails is empty: give at least one email")
        return unique


class AllocateSeatsConfig(TeamActionConfig):
    action = "allocate_seats"
    product: str = Field(description="The Thinkific product, by name (any case) or id.")
    seats: int = Field(description="How many seats: the new total (set) or how many more (add).")
    mode: Literal["set", "add"] = Field(
        default="set",
        description="set: the team has exactly `seats` of the product from now on (its earlier "
        "purchases are replaced). add: the team bought `seats` more.",
    )
    expires_at: str | None = Field(
        default=None,
        description="When these seats stop counting (ISO 8601, e.g. 2026-12-31 or "
        "2026-12-31T18:00:00+01:00; UTC unless an offset is given). Empty: never.",
    )

    @field_validator("seats")
    @classmethod
    def _not_negative(cls, seats: int) -> int:
        if seats < 0:
            raise ValueError(f"seats is {seats}: give 0 or more")
        return seats

    @field_validator("expires_at")
    @classmethod
    def _amoment(cls, expires_at: str | None) -> str | None:
        if expires_at is not None and expires_at.strip():
            try:
                moment(expires_at)
            except ValueError:
                raise ValueError(f"expires_at {expires_at!r} is not an ISO 8601 date") from None
            return expires_at.strip()
        return None

    def apply(self, connection: sa.Connection, store: DashboardStore, run: ActionRun) -> int:
        expiry = moment(self.expires_at) if self.expires_at else None
        return allocate(
            connection, store, self.team, self.product, self.seats, self.mode, expiry, run.at
        )


class AssignSeatsConfig(WithEmails):
    action = "assign_seats"
    product: str = Field(description="The Thinkific product, by name (any case) or id.")

    def apply(self, connection: sa.Connection, store: DashboardStore, run: ActionRun) -> int:
        return assign(connection, store, self.team, self.product, self.emails, run.at)


class UnassignSeatsConfig(AssignSeatsConfig):
    action = "unassign_seats"

    def apply(self, connection: sa.Connection, store: DashboardStore, run: ActionRun) -> int:
        return unassign(connection, store, self.team, self.product, self.emails, run.run_id, run.at)


class RenameTeamConfig(TeamActionConfig):
    action = "rename_team"
    new_name: str = Field(description="The team's new name.")

    @field_validator("new_name")
    @classmethod
    def _named(cls, new_name: str) -> str:
        if not new_name.strip():
            raise ValueError("new_name is empty: give the team's new name")
        return new_name

    def target(self) -> str:
        return normalised(self.new_name)

    def apply(self, connection: sa.Connection, store: DashboardStore, run: ActionRun) -> int:
        return rename(connection, store, self.team, self.new_name)


class MergeTeamsConfig(TeamActionConfig):
    action = "merge_teams"
    team: str = Field(description="The team merged away (archived afterwards), by name.")
    into: str = Field(description="The team that receives its members, seats and assignments.")

    def target(self) -> str:
        return normalised(self.into)

    def apply(self, connection: sa.Connection, store: DashboardStore, run: ActionRun) -> int:
        return merge(connection, store, self.team, self.into, run.at)


class ArchiveTeamConfig(TeamActionConfig):
    action = "archive_team"

    def apply(self, connection: sa.Connection, store: DashboardStore, run: ActionRun) -> int:
        return archive(connection, store, self.team, run.at)


class MoveMembersConfig(WithEmails):
    action = "move_members"
    team: str = Field(description="The team the members leave, by name.")
    to: str = Field(description="The team they join, by name.")

    def target(self) -> str:
        return normalised(self.to)

    def apply(self, connection: sa.Connection, store: DashboardStore, run: ActionRun) -> int:
        return move_members(connection, store, self.team, self.to, self.emails)


class RemoveMembersConfig(WithEmails):
    action = "remove_members"

    def apply(self, connection: sa.Connection, store: DashboardStore, run: ActionRun) -> int:
        return remove_members(connection, store, self.team, self.emails)


def _run_of(context: OpExecutionContext) -> ActionRun:
    run = context.run
    return ActionRun(run.run_id, run.tags.get(ROOT_RUN_TAG, run.run_id), utc_now())


def team_action_op(config_type: type[TeamActionConfig], description: str) -> OpDefinition:
    """The op that performs the config's action, audits it, and fails when it is refused."""

    @op(name=f"perform_{config_type.action}", description=description)
    def act(context: OpExecutionContext, config: config_type, warehouse: WarehouseResource) -> None:
        started, store, run = time.monotonic(), DashboardStore(warehouse), _run_of(context)
        entry = perform(
            store, run, config.request(), lambda connection: config.apply(connection, store, run)
        )
        report = AssetMaterialization(
            asset_key=AUDIT_LOG_KEY,
            metadata=audit_metadata(store, started),
            partition=site_partition(context.run.tags),
        )
        if entry.status == "refused":
            # A failing step's logged events are dropped: the log's new state is reported to
            # the instance directly, so the refusal shows on the asset at once.
            context.instance.report_runless_asset_event(report)
            raise Failure(
                description=f"{config_type.action} refused: {entry.detail}", allow_retries=False
            )
        context.log_event(report)
        changed = teams_changed(
            config_type.action,
            {"rows_affected": entry.rows_affected},
            (entry.team, entry.target_team),
            partition=site_partition(context.run.tags),
        )
        if changed is not None:
            context.log_event(changed)
        summary: dict[str, Any] = {"rows_affected": entry.rows_affected}
        if entry.detail:
            summary["detail"] = entry.detail
        context.log.info(f"{config_type.action}: {summary}")
        context.add_output_metadata(summary)

    return act
