"""A batch of webhook events that changed a table sets the dashboard's refresh in motion, through
the code location's own automation: no job is named anywhere; a batch that changed nothing
(stale or repeated events, only observed) requests nothing."""

import datetime as dt

import dagster as dg

from assets.dashboard.derived import seat_usage, teams_overview
from pipelines.definitions import defs
from pipelines.jobs.webhook_events import apply_webhook_events
from resources.dashboard.store import DashboardStore
from simulator.webhook_events import WebhookEvents
from tests.dashboard.automation import Automation
from tests.webhooks.applying import land, thinkific

SEATS_AND_TEAMS_TAB = {
    seat_usage.key,
    dg.AssetCheckKey(seat_usage.key, "seats_not_over_allocated"),
    teams_overview.key,
}


def _apply(site, warehouse, instance, events) -> None:
    after, through = land(warehouse, events)
    result = apply_webhook_events.execute_in_process(
        run_config={"after": after, "through": through},
        resources={"thinkific": thinkific(site), "warehouse": warehouse},
        instance=instance,
    )
    assert result.success


def test_a_batch_that_changed_enrollments_requests_seat_usage_and_the_teams_tab(
    synced_site, warehouse
):
    enrollment = synced_site.ground_truth()["enrollments"][0]
    synced_site.site.update("enrollments", enrollment["id"], {"percentage_completed": 0.55})
    with dg.DagsterInstance.ephemeral() as instance:
        automation = Automation(defs, instance, dt.datetime.now(dt.UTC))
        event = WebhookEvents(synced_site).event("enrollment.progress", enrollment["id"])

        _apply(synced_site, warehouse, instance, [event])

        assert automation.settle() == SEATS_AND_TEAMS_TAB


def test_a_batch_of_only_stale_events_requests_no_refresh(synced_site, warehouse):
    stale_user = WebhookEvents(synced_site).event("user.updated")
    stale_user["created_at"] = "2000-01-01T00:00:00.000Z"
    with dg.DagsterInstance.ephemeral() as instance:
        automation = Automation(defs, instance, dt.datetime.now(dt.UTC))

        _apply(synced_site, warehouse, instance, [stale_user])

        assert automation.settle() == set()


def test_a_batch_names_the_teams_whose_members_rows_it_changed(synced_site, warehouse):
    enrollment = synced_site.ground_truth()["enrollments"][0]
    user = next(u for u in synced_site.ground_truth()["users"] if u["id"] == enrollment["user_id"])
    store = DashboardStore(warehouse)
    store.create_teams("Red", "Blue")
    store.add_members("Red", [user["email"].upper()], "member", "csv_import")  # by email only
    synced_site.site.update("enrollments", enrollment["id"], {"percentage_completed": 0.55})
    event = WebhookEvents(synced_site).event("enrollment.progress", enrollment["id"])
    after, through = land(warehouse, [event])

    result = apply_webhook_events.execute_in_process(
        run_config={"after": after, "through": through},
        resources={"thinkific": thinkific(synced_site), "warehouse": warehouse},
    )

    (materialization,) = result.asset_materializations_for_node("apply_events_as_changes")
    assert materialization.metadata["teams_affected"].value == 1
    assert materialization.metadata["teams_affected_names"].value == "Red"
