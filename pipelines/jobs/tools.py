"""The dashboard's Tools cards as Dagster jobs, each launched from the Launchpad.

A job with parameters takes them as one typed `Config` at the top of its run config (a config
mapping passes them on to its op or asset), so the Launchpad shows a form of exactly those
fields and `execute_in_process(run_config={"direction": "push"})` launches it as the UI would.
The sync cards select their Thinkific asset by key, and everything downstream of it;
certificates and quiz results come from the GraphQL extraction, and until those assets exist
their jobs have nothing to run.
"""

from dagster import (
    AssetSelection,
    RunConfig,
    config_mapping,
    define_asset_job,
    job,
)

from assets.conventions import SITE_PARTITIONS
from assets.dashboard.enrollments import SyncEnrollmentsConfig
from assets.dashboard.imports import (
    ImportFromGroupsConfig,
    ImportFromThinkificConfig,
    import_from_groups,
    import_from_thinkific,
)
from assets.dashboard.recalculation_mode import FULL, FULL_RECALCULATION_TAG

SEAT_ASSIGNMENTS_STEP = "dashboard__seat_assignments"


@config_mapping
def _thinkific_import_config(config: ImportFromThinkificConfig) -> RunConfig:
    return RunConfig(ops={import_from_thinkific.name: config})


@config_mapping
def _groups_import_config(config: ImportFromGroupsConfig) -> RunConfig:
    return RunConfig(ops={import_from_groups.name: config})


@config_mapping
def _sync_enrollments_config(config: SyncEnrollmentsConfig) -> RunConfig:
    return RunConfig(ops={SEAT_ASSIGNMENTS_STEP: config})


@job(
    name="import_users_from_thinkific",
    config=_thinkific_import_config,
    description="Tools → Import Users from Thinkific: every Thinkific user becomes a dashboard "
    "user (optionally in a team). The admin is notified when it ends unless emails are prohibited.",
)
def import_users_from_thinkific() -> None:
    import_from_thinkific()


@job(
    name="import_users_from_groups",
    config=_groups_import_config,
    description="Tools → Import Users from Groups: the members of the chosen Thinkific groups "
    "join a dashboard team with a role. The admin is notified when it ends unless emails are "
    "prohibited.",
)
def import_users_from_groups() -> None:
    import_from_groups()


def _by_key(key: str) -> AssetSelection:
    """The asset with this key and everything downstream of it; nothing while no asset has the
    key (the string form resolves leniently, `AssetSelection.assets` would refuse)."""
    return AssetSelection.from_string(f'key:"{key}"').downstream()


sync_enrollments = define_asset_job(
    "sync_enrollments",
    selection=_by_key("thinkific/enrollments"),
    # Dagster takes no config mapping on a partitioned job: with a sites file the form's fields
    # go under ops → dashboard__seat_assignments → config.
    config=None if SITE_PARTITIONS else _sync_enrollments_config,
    description="Tools → Sync Enrollments: refresh enrollments from Thinkific, then pull "
    "(adopt them as seat assignments), push (enrol assigned users while seats last) or both; "
    "then seat usage and the Teams tab.",
)

recalculate_seats = define_asset_job(
    "recalculate_seats",
    selection=_by_key("dashboard/seat_usage"),
    tags={FULL_RECALCULATION_TAG: FULL},
    description="Tools → Recalculate Seats: seat usage (with its over-allocation check) and "
    "the Teams tab, from the warehouse as it is, every team.",
)


sync_cards = [
    define_asset_job(
        f"sync_{stream}",
        selection=_by_key(f"thinkific/{stream}"),
        description=f"Tools → Sync {stream.replace('_', ' ').title()}: thinkific/{stream} and "
        "everything derived from it.",
    )
    for stream in ("groups", "products", "certificates", "quiz_results")
]

tools_jobs = [
    import_users_from_thinkific,
    import_users_from_groups,
    sync_enrollments,
    recalculate_seats,
    *sync_cards,
]

import_jobs = [import_users_from_thinkific, import_users_from_groups]
"""The jobs whose end the admin is told about (see `pipelines.sensors.notifications`)."""
