"""The change log's triggers, declared: which tables' changes concern which recalculations.

Each `Watch` is a table whose every insert, update and delete logs, through a database trigger,
the subjects of the change (per kind, a column's value in the old and the new row) for each of
its consumers in `dashboard_pending_changes`. `resources.warehouse.migrate` creates the
triggers; `resources.dashboard.change_log` says why triggers, and takes what they log.
"""

from dataclasses import dataclass

LOG = "dashboard_pending_changes"
SEATS, OVERVIEW = "seat_usage", "teams_overview"
EVERYTHING, TEAM, EMAIL, USER, PRODUCT, BUNDLE = (
    "everything",
    "team",
    "email",
    "user",
    "product",
    "bundle",
)
EVENTS = ("insert", "update", "delete")
STATEMENT_SUBJECTS = 10_000
"""On PostgreSQL, a statement changing more subjects than this logs `everything` instead: a bulk
load then costs its consumers one full recalculation (which that many changes would cost them
anyway, beyond `recalculation.MAX_INCREMENTAL_TEAMS` teams), not a log entry per subject."""


@dataclass(frozen=True)
class Watch:
    """A table whose changes concern `consumers`: each change logs, per (kind, column), the
    column's value in the old and the new row."""

    table: str
    subjects: tuple[tuple[str, str], ...]
    consumers: tuple[str, ...]
    optional: bool = False
    """Created by an extraction that may not have run (the Teams tab reads it if it exists)."""


BOTH = (SEATS, OVERVIEW)
WATCHES = (
    Watch("thinkific_enrollments", ((USER, "user_id"),), BOTH),
    Watch("thinkific_users", ((USER, "id"), (EMAIL, "email")), BOTH),
    Watch("dashboard_users", ((EMAIL, "email"),), BOTH),
    Watch("dashboard_team_members", ((TEAM, "team"),), BOTH),
    Watch("dashboard_teams", ((TEAM, "team"),), BOTH),
    Watch("thinkific_products", ((PRODUCT, "id"),), (SEATS,)),
    Watch("thinkific_bundle_courses", ((BUNDLE, "bundle_id"),), (SEATS,)),
    Watch("dashboard_seat_allocations", ((TEAM, "team"),), (SEATS,)),
    Watch("dashboard_seat_releases", ((TEAM, "team"),), (SEATS,)),
    Watch("dashboard_seat_usage", ((TEAM, "team"),), (OVERVIEW,)),
    Watch("thinkific_certificates", ((USER, "user_id"),), (OVERVIEW,), optional=True),
    Watch("thinkific_quiz_results", ((USER, "user_id"),), (OVERVIEW,), optional=True),
)


def trigger_name(table: str, event: str) -> str:
    """The name of the trigger logging one kind of change (`EVENTS`) to `table`."""
    return f"{LOG}__{table}__{event}"


TRIGGER_FUNCTION_PREFIX = f"{LOG}__"
"""PostgreSQL: each watched table's trigger function is named `<LOG>__<table>`."""
