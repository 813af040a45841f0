"""The nightly sync and the weekly reconciliation stay the truth after events were applied:
they overwrite and soft-delete as before, and event rows never move their watermark (SQLite
and PostgreSQL, against a simulated site)."""

import datetime as dt

import pandas as pd
import pytest

import resources.extraction.engine as engine
from assets.thinkific.run_reads import FULL_REFRESH_TAG
from simulator.webhook_events import WebhookEvents
from tests.contract_examples import load_example
from tests.pipelines.ground_truth import assert_warehouse_equals_ground_truth
from tests.webhooks.applying import apply, sync, thinkific

ENROLLMENTS = "thinkific_enrollments"


def _deleted(warehouse, table: str, record_id: int) -> bool:
    frame = warehouse.read_frame(table, include_deleted=True).set_index("id")
    return pd.notna(frame.loc[record_id, "deleted_at"])


def test_a_nightly_sync_after_events_equals_ground_truth(synced_site, warehouse):
    site, enrollments = synced_site.site, synced_site.ground_truth()["enrollments"]
    site.update("enrollments", enrollments[1]["id"], {"percentage_completed": 0.35})
    site.update("enrollments", enrollments[2]["id"], {"percentage_completed": 0.45})  # no event
    told = WebhookEvents(synced_site).event("enrollment.progress", enrollments[1]["id"])
    phantom = load_example("webhook_user_signup")  # a user the site does not have
    phantom["created_at"] = synced_site.clock.now().isoformat()
    reports = apply(warehouse, thinkific(synced_site), told, phantom)
    assert reports["users"].events == reports["enrollments"].events == {"applied": 1}

    sync(synced_site, warehouse)

    assert_warehouse_equals_ground_truth(warehouse, synced_site.ground_truth())
    assert _deleted(warehouse, "thinkific_users", phantom["payload"]["id"])


def test_an_enrollment_only_an_event_told_of_is_soft_deleted_by_the_weekly_reconciliation(
    synced_site, warehouse
):
    phantom = load_example("webhook_enrollment_created")  # one the site does not have
    phantom["payload"]["updated_at"] = synced_site.clock.now().isoformat()
    reports = apply(warehouse, thinkific(synced_site), phantom)
    assert reports["enrollments"].events == {"applied": 1}
    sync(synced_site, warehouse)
    assert not _deleted(warehouse, ENROLLMENTS, phantom["payload"]["id"])  # incremental

    sync(synced_site, warehouse, tags={FULL_REFRESH_TAG: "true"})

    assert _deleted(warehouse, ENROLLMENTS, phantom["payload"]["id"])
    assert_warehouse_equals_ground_truth(warehouse, synced_site.ground_truth())


def _seconds_to_next_day(moment: dt.datetime) -> float:
    midnight = dt.datetime.combine(moment.date() + dt.timedelta(days=1), dt.time(), dt.UTC)
    return (midnight - moment).total_seconds()


def test_an_event_applied_while_a_sync_reads_does_not_move_the_watermark_past_what_it_missed(
    synced_site, warehouse, monkeypatch: pytest.MonkeyPatch
):
    """While a sync reads enrollments, enrollment A changes unseen (no event: a missed one) and,
    the next day, B changes and its event is applied. Had the sync's watermark counted B's
    event row, the next incremental read would start on B's day and never see A."""
    watermark_day = warehouse.watermark(ENROLLMENTS).date().isoformat()
    a, b = [
        e
        for e in synced_site.ground_truth()["enrollments"]
        if not e["updated_at"].startswith(watermark_day)
    ][:2]
    site = synced_site.site

    def meanwhile(point: str, table: str) -> None:
        if (point, table) != ("before_merge", ENROLLMENTS):
            return
        monkeypatch.undo()
        site.update("enrollments", a["id"], {"percentage_completed": 0.42})
        synced_site.clock.advance(_seconds_to_next_day(synced_site.clock.now()) + 60)
        site.update("enrollments", b["id"], {"percentage_completed": 0.84})
        told = WebhookEvents(synced_site).event("enrollment.progress", b["id"])
        assert apply(warehouse, thinkific(synced_site), told)["enrollments"].events == {
            "applied": 1
        }

    monkeypatch.setattr(engine, "crash_point", meanwhile)
    sync(synced_site, warehouse)
    assert warehouse.watermark(ENROLLMENTS).date().isoformat() == watermark_day

    sync(synced_site, warehouse)

    assert_warehouse_equals_ground_truth(warehouse, synced_site.ground_truth())
