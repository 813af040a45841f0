"""The queries behind the asset checks: duplicate keys and references to unknown rows."""

from schemas.thinkific import to_frame
from tests.warehouse.frames import users


def test_orphan_values_are_references_to_missing_or_deleted_rows(warehouse):
    warehouse.upsert("thinkific_users", users({1: "a@x.io", 2: "b@x.io"}))
    with warehouse.snapshot("thinkific_users") as loader:  # user 2 leaves
        loader.append(users({1: "a@x.io"}))
        loader.commit()
    enrollments = [
        {"id": n, "user_id": user, "course_id": 1} for n, user in enumerate([1, 2, 3, 3], start=1)
    ]
    warehouse.upsert("thinkific_enrollments", to_frame("thinkific_enrollments", enrollments))

    orphans = warehouse.orphan_values("thinkific_enrollments", "user_id", "thinkific_users", "id")

    assert orphans == [2, 3]


def test_duplicate_keys_are_found_in_a_table_created_without_its_key(warehouse):
    with warehouse.engine.begin() as connection:  # as if created by hand, before the resource
        connection.exec_driver_sql(
            "CREATE TABLE thinkific_groups "
            "(id BIGINT NOT NULL, name TEXT NOT NULL, token TEXT, "
            "created_at TIMESTAMP, deleted_at TIMESTAMP)"
        )
        connection.exec_driver_sql(
            "INSERT INTO thinkific_groups (id, name) VALUES (1, 'a'), (1, 'b'), (2, 'c')"
        )

    assert warehouse.duplicate_keys("thinkific_groups") == [(1,)]
    assert warehouse.duplicate_keys("thinkific_users") == []
