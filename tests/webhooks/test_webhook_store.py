"""The events table on SQLite and PostgreSQL: one row per event id, numbered in stored order."""

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

from resources.warehouse import WarehouseResource
from resources.webhooks.store import WebhookStore

RECEIVED = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)


def _event(event_id: str, topic: str = "quiz.attempted", user_id: int | None = 7) -> dict:
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
    added = [store.add(_event(event_id)) for event_id in ("30", "10", "30", "20", "10")]
    assert added == [True, True, False, True, False]
    assert [(e.sequence_number, e.id) for e in store.after(0, 100)] == [
        (1, "30"),
        (2, "10"),
        (3, "20"),
    ]


def test_reading_after_a_cursor_returns_only_later_events_in_order(warehouse):
    store = WebhookStore(warehouse)
    for number in range(1, 8):
        store.add(_event(str(number), "user.updated" if number % 2 else "quiz.attempted"))
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
    with ThreadPoolExecutor(max_workers=8) as pool:
        added = list(pool.map(lambda n: stores[n % 4].add(_event(ids[n % 40])), range(60)))
    assert added.count(True) == 40
    stored = stores[0].after(0, 100)
    assert sorted(e.id for e in stored) == sorted(ids[:40])
    assert [e.sequence_number for e in stored] == list(range(1, 41))


def test_the_table_lives_in_the_warehouse_schema(postgresql_url):
    warehouse = WarehouseResource(url=postgresql_url, schema_name="thinkific_raw")
    store = WebhookStore(warehouse)
    store.add(_event("1"))
    with warehouse.engine.connect() as connection:
        tables = connection.exec_driver_sql(
            "SELECT table_schema FROM information_schema.tables "
            "WHERE table_name = 'thinkific_webhook_events'"
        ).scalars()
        assert list(tables) == ["thinkific_raw"]
    warehouse.dispose()
