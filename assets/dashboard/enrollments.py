"""`dashboard/seat_assignments`: the Sync Enrollments card, pull and/or push.

Pull adopts every seat already held through a Thinkific enrollment as an assignment; push
creates Thinkific enrollments for assignments that lack one, while the teams have seats (see
`resources.dashboard.enrollment_push`). Both run on the warehouse's copy of enrollments, which the
`sync_enrollments` job refreshes first. A dry run shows what would happen, as tables in an
observation of the asset, and materialises nothing, so nothing downstream runs either.
"""

from collections.abc import Iterator
from typing import Any, Literal

from dagster import AssetExecutionContext, AssetObservation, Config, MaterializeResult
from pydantic import Field

from assets.conventions import THINKIFIC_STEP_POOL
from assets.dashboard.common import dashboard_asset, dashboard_key, metadata_table, thinkific_key
from resources.dashboard.enrollment_push import PlannedPush, PushResult, plan, push
from resources.dashboard.seats import adopt_enrollments, count_adoptable
from resources.dashboard.store import DashboardStore, utc_now
from resources.extraction.metadata import request_metadata
from resources.thinkific.resource import ThinkificResource
from resources.thinkific.sent import logging_sent_on_failure
from resources.warehouse import WarehouseResource

PLAN_COLUMNS = {"team": "string", "email": "string", "product": "string", "action": "string"}


class SyncEnrollmentsConfig(Config):
    direction: Literal["pull", "push", "both"] = Field(
        default="pull",
        description="pull: enrollments made in Thinkific become seat assignments. push: seat "
        "assignments without an enrollment become Thinkific enrollments, while the team has seats. "
        "both: pull, then push.",
    )
    dry_run: bool = Field(
        default=False,
        description="Only show what would be done (as tables in the asset's observation): no "
        "enrollment is created and no dashboard table changes.",
    )


def _plan_rows(planned: list[PlannedPush]) -> list[dict[str, str]]:
    return [
        {
            "team": p.candidate.team,
            "email": p.candidate.email,
            "product": p.candidate.product_name,
            "action": "enrol" if p.action == "enrol" else f"skip: {p.reason}",
        }
        for p in planned
    ]


def _result_rows(results: list[PushResult]) -> list[dict[str, str]]:
    return [
        {
            "team": r.candidate.team,
            "email": r.candidate.email,
            "product": r.candidate.product_name,
            "action": f"{r.outcome}: {r.detail}" if r.detail else r.outcome,
        }
        for r in results
    ]


@dashboard_asset(
    "seat_assignments",
    "Who holds, or should hold, a seat of which product in which team. Sync Enrollments: pull "
    "adopts seats held through Thinkific enrollments; push enrols assigned users in Thinkific "
    "(course or bundle) while their teams have seats, each (user, product) once even when runs "
    "race; dry_run only shows the plan.",
    deps=[
        dashboard_key("team_members"),
        *(thinkific_key(s) for s in ("enrollments", "products", "bundle_courses")),
    ],
    kinds={"thinkific", "python", "sql"},
    output_required=False,
    pool=THINKIFIC_STEP_POOL,
)
def seat_assignments(
    context: AssetExecutionContext,
    config: SyncEnrollmentsConfig,
    thinkific: ThinkificResource,
    warehouse: WarehouseResource,
) -> Iterator[MaterializeResult]:
    store = DashboardStore(warehouse)
    at = utc_now()
    pulls, pushes = config.direction in ("pull", "both"), config.direction in ("push", "both")
    if config.dry_run:
        metadata = {"direction": config.direction, "dry_run": True}
        if pulls:
            metadata["assignments_to_adopt"] = count_adoptable(store, at)
        if pushes:
            planned = plan(store, at)
            metadata["enrollments_to_create"] = sum(p.action == "enrol" for p in planned)
            metadata["plan"] = metadata_table(_plan_rows(planned), PLAN_COLUMNS)
        context.log_event(AssetObservation(asset_key=context.asset_key, metadata=metadata))
        return
    adopted = adopt_enrollments(store, at) if pulls else 0
    results: list[PushResult] = []
    sent: dict[str, Any] = {}
    if pushes:
        asset = context.asset_key.to_user_string()
        client = thinkific.get_client(context.log, asset=asset)
        with logging_sent_on_failure(context.log, asset, lambda: client.stats):
            results = push(
                store,
                warehouse,
                client,
                context.run.run_id,
                at,
                on_result=lambda r: context.log.info(
                    f"push {r.candidate.email} -> {r.candidate.product_name}: {r.outcome}"
                ),
            )
        sent = request_metadata(client.stats)
    yield MaterializeResult(
        metadata={
            "direction": config.direction,
            "dagster/table_name": "dashboard_seat_assignments",
            "dagster/row_count": len(store.read("dashboard_seat_assignments")),
            "assignments_adopted": adopted,
            "enrollments_created": sum(r.outcome == "enrolled" for r in results),
            "already_enrolled": sum(r.outcome == "already enrolled" for r in results),
            "not_pushed": sum(r.outcome not in ("enrolled", "already enrolled") for r in results),
            "pushes": metadata_table(_result_rows(results), PLAN_COLUMNS),
            **sent,
        }
    )
