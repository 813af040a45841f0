"""The Import Users cards as ops: their typed run config, and the import each runs.

Imports are actions with an admin's parameters rather than assets: a nightly refresh must not
re-run them (a welcome message goes to the users an import creates). They read the warehouse's
copy of Thinkific, like every dashboard step. Settings that contradict each other are refused
when the run is launched (config validation); a team or group that does not exist is refused
before anything is written. An import that created, linked or added anyone reports
`dashboard/teams`, which seat usage and the Teams tab follow.
"""

from typing import Literal

from dagster import Config, Failure, OpExecutionContext, op
from pydantic import Field, field_validator, model_validator

from assets.conventions import site_partition
from assets.dashboard.teams import teams_changed
from resources.dashboard.imports import (
    ConfigProblem,
    ImportRequest,
    import_users,
    resolve_groups,
    resolve_team,
)
from resources.dashboard.notifications import NotificationResource
from resources.dashboard.store import DashboardStore, utc_now
from resources.warehouse import WarehouseResource

EmailSetting = Literal["default", "allowed", "prohibited"]


class EmailSettings(Config):
    allow_emails: bool = Field(
        default=False,
        description="Queue a welcome message for every user this import creates.",
    )
    prohibit_emails: bool = Field(
        default=False,
        description="Send nothing at all: no welcome messages, not even the completion notice "
        "to the admin.",
    )

    @model_validator(mode="after")
    def _not_both(self) -> "EmailSettings":
        if self.allow_emails and self.prohibit_emails:
            raise ValueError(
                "allow_emails and prohibit_emails contradict each other: set at most one"
            )
        return self

    @property
    def emails(self) -> EmailSetting:
        if self.allow_emails:
            return "allowed"
        return "prohibited" if self.prohibit_emails else "default"


class ImportFromThinkificConfig(EmailSettings):
    team: str | None = Field(
        default=None,
        description="A dashboard team every imported user joins as a member (optional).",
    )


class ImportFromGroupsConfig(EmailSettings):
    groups: list[str] = Field(
        description="Thinkific groups whose members to import, by name (any case) or id."
    )
    team: str = Field(description="The dashboard team they join.")
    role: Literal["member", "manager"] = Field(
        default="member", description="Their role in the team (replaces an existing one)."
    )

    @field_validator("groups")
    @classmethod
    def _some_groups(cls, groups: list[str]) -> list[str]:
        named = [group for group in groups if group.strip()]
        if not named:
            raise ValueError("groups is empty: name at least one Thinkific group")
        return named


def _run_import(context: OpExecutionContext, store: DashboardStore, request: ImportRequest) -> None:
    result = import_users(store, request, context.run.run_id, utc_now())
    context.log.info(f"{request.job}: {result}")
    context.add_output_metadata(vars(result))
    changes = {
        "users_created": result.users_created,
        "users_linked": result.users_linked,
        "memberships_added": result.memberships_added,
    }
    changed = teams_changed(
        request.job, changes, (request.team,), partition=site_partition(context.run.tags)
    )
    if changed is not None:
        context.log_event(changed)


def _refused(problem: ConfigProblem) -> Failure:
    return Failure(description=f"config error: {problem}", allow_retries=False)


@op(
    name="import_thinkific_users",
    description="Creates a dashboard user for every Thinkific user (by email) and links the "
    "existing ones; optionally adds them all to a team; queues welcome messages when allowed.",
)
def import_from_thinkific(
    context: OpExecutionContext,
    config: ImportFromThinkificConfig,
    warehouse: WarehouseResource,
    notifications: NotificationResource,
) -> None:
    store = DashboardStore(warehouse)
    try:
        team = resolve_team(store, config.team) if config.team else None
    except ConfigProblem as problem:
        raise _refused(problem) from problem
    request = ImportRequest(
        job="import_users_from_thinkific",
        team=team,
        role="member",
        source="thinkific_import",
        emails=config.emails,
        welcome=notifications.welcome() if config.allow_emails else None,
    )
    _run_import(context, store, request)


@op(
    name="import_group_members",
    description="Adds the members of the chosen Thinkific groups to a dashboard team with a "
    "role, creating dashboard users as needed; queues welcome messages when allowed.",
)
def import_from_groups(
    context: OpExecutionContext,
    config: ImportFromGroupsConfig,
    warehouse: WarehouseResource,
    notifications: NotificationResource,
) -> None:
    store = DashboardStore(warehouse)
    try:
        team = resolve_team(store, config.team)
        group_ids = resolve_groups(store, config.groups)
    except ConfigProblem as problem:
        raise _refused(problem) from problem
    request = ImportRequest(
        job="import_users_from_groups",
        team=team,
        role=config.role,
        source="group_import",
        group_ids=tuple(group_ids),
        emails=config.emails,
        welcome=notifications.welcome() if config.allow_emails else None,
        role_wins=True,
    )
    _run_import(context, store, request)
