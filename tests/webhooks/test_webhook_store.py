"""The events table on SQLite and PostgreSQL: one row per event id, numbered in stored order."""

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

from resources.warehouse import WarehouseResource
from resources.webhooks.store import Refused, WebhookStore

RECEIVED = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)


def _event(event_id: str, topic: str = "quiz.attempted", user_id: object = 7) -> dict:
    resource, action = topic.split(".")
    return {
        "id": event_id,
        "topic": topic,
        "resource": resource,
        "action": action,
        "tenant_id": "12345",
        "created_at": "2026-05-01T11:59:58.123Z",
        "received_at": RECEIVED,
        "user_id": user_id,
        "user_email": "a@b.example",
        "course_id": None,
        "payload": "{}",
    }


def test_each_event_id_is_stored_once_and_numbered_in_stored_order(warehouse):
    store = WebhookStore(warehouse)
    first = store.add_many([_event("30"), _event("10"), _event("30")])
    second = store.add_many([_event("20"), _event("10")])
    assert (first, second) == (["stored", "stored", "duplicate"], ["stored", "duplicate"])
    assert [(e.sequence_number, e.id) for e in store.after(0, 100)] == [
        (1, "30"),
        (2, "10"),
        (3, "20"),
    ]


def test_an_event_that_does_not_fit_is_refused_and_the_rest_of_its_batch_stored(warehouse):
    store = WebhookStore(warehouse)
    outcomes = store.add_many(
        [_event("1"), _event("2", user_id="seven"), _event("3") | {"created_at": "soon"}]
    )
    assert outcomes[0] == "stored"
    assert outcomes[1] == Refused("column user_id: not an integer")
    assert outcomes[2] == Refused("column created_at: not a timestamp")
    assert [(e.sequence_number, e.id) for e in store.after(0, 100)] == [(1, "1")]


def test_an_id_too_large_for_the_table_is_refused_not_failed(warehouse):
    store = WebhookStore(warehouse)
    (outcome,) = store.add_many([_event("1", user_id=10**20)])
    assert isinstance(outcome, Refused)
    assert store.after(0, 100) == []


def test_reading_after_a_cursor_returns_only_later_events_in_order(warehouse):
    store = WebhookStore(warehouse)
    store.add_many(
        [_event(str(n), "user.updated" if n % 2 else "quiz.attempted") for n in range(1, 8)]
    )
    later = store.after(3, limit=2)
    assert [(e.sequence_number, e.topic) for e in later] == [
        (4, "quiz.attempted"),
        (5, "user.updated"),
    ]
    assert store.after(7, limit=10) == []


def test_concurrent_writers_number_every_event_exactly_once(warehouse):
    stores = [WebhookStore(warehouse) for _ in range(4)]
    stores[0].create_table()
    ids = [str(n) for n in range(60)]
    batches = [[_event(ids[(n + k) % 40]) for k in range(3)] for n in range(0, 60, 3)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = pool.map(lambda n: stores[n % 4].add_many(batches[n]), range(len(batches)))
        added = [outcome for batch in outcomes for outcome in batch]
    assert added.count("stored") == 40
    stored = stores[0].after(0, 100)
    assert sorted(e.id for e in stored) == sorted(ids[:40])
    assert [e.sequence_number for e in stored] == list(range(1, 41))


def test_the_table_lives_in_the_warehouse_schema(postgresql_url):
    warehouse = WarehouseResource(url=postgresql_url, schema_name="thinkific_raw")
    store = WebhookStore(warehouse)
    store.add_many([_event("1")])
    with warehouse.engine.connect() as connection:
        tables = connection.exec_driver_sql(
            "SELECT table_schema FROM information_schema.tables "
            "WHERE table_name = 'thinkific_webhook_events'"
        ).scalars()
        assert list(tables) == ["thinkific_raw"]
    warehouse.dispose()
