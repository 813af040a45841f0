"""snapshot: a complete snapshot staged page by page, applied in one transaction on commit."""

import gc

import pytest

from resources.warehouse.engine import WarehouseError
from resources.warehouse.merge import LoadResult
from schemas.thinkific import to_frame
from tests.warehouse.frames import emails, table_names, users


class PageFetchFailed(Exception):
    pass


def load_snapshot(warehouse, *pages):
    with warehouse.snapshot("thinkific_users") as loader:
        for page in pages:
            loader.append(page)
        return loader.commit()


def test_commit_soft_deletes_absent_rows_and_restores_returning_ones(warehouse):
    load_snapshot(warehouse, users({1: "a@x.io", 2: "b@x.io"}), users({3: "c@x.io"}))

    without_3 = load_snapshot(warehouse, users({1: "a@x.io"}), users({2: "b@x.io"}))
    deleted = warehouse.read_frame("thinkific_users", include_deleted=True).set_index("id")
    back_and_changed = load_snapshot(warehouse, users({1: "a@x.io", 2: "new@x.io", 3: "c@x.io"}))

    assert without_3 == LoadResult(unchanged=2, deleted=1)
    assert deleted["deleted_at"].notna().tolist() == [False, False, True]
    assert back_and_changed == LoadResult(updated=1, unchanged=1, restored=1)
    assert emails(warehouse) == {1: "a@x.io", 2: "new@x.io", 3: "c@x.io"}
    assert warehouse.read_frame("thinkific_users", include_deleted=True)["deleted_at"].isna().all()


def test_first_snapshot_inserts_every_row(warehouse):
    result = load_snapshot(warehouse, users({1: "a@x.io"}), users({2: "b@x.io"}))

    assert result == LoadResult(inserted=2)
    assert result.total == 2


def test_a_row_staged_on_two_pages_counts_once_and_the_later_page_wins(warehouse):
    result = load_snapshot(warehouse, users({1: "a@x.io", 2: "b@x.io"}), users({2: "b2@x.io"}))

    assert result == LoadResult(inserted=2)
    assert emails(warehouse) == {1: "a@x.io", 2: "b2@x.io"}


def test_a_deleted_row_is_not_deleted_again(warehouse):
    load_snapshot(warehouse, users({1: "a@x.io", 2: "b@x.io"}))
    load_snapshot(warehouse, users({1: "a@x.io"}))

    again = load_snapshot(warehouse, users({1: "a@x.io"}))

    assert again == LoadResult(unchanged=1)
    assert warehouse.count("thinkific_users", include_deleted=True) == 2


def test_an_empty_complete_snapshot_marks_every_row_deleted(warehouse):
    load_snapshot(warehouse, users({1: "a@x.io", 2: "b@x.io"}))

    result = load_snapshot(warehouse, to_frame("thinkific_users", []))

    assert result == LoadResult(deleted=2)
    assert warehouse.count("thinkific_users") == 0


def test_link_table_snapshot_soft_deletes_pairs_that_are_gone(warehouse):
    def memberships(*pairs):
        records = [{"group_id": group, "user_id": user} for group, user in pairs]
        return to_frame("thinkific_group_memberships", records)

    with warehouse.snapshot("thinkific_group_memberships") as loader:
        loader.append(memberships((1, 10), (1, 11), (2, 10)))
        loader.commit()
    with warehouse.snapshot("thinkific_group_memberships") as loader:
        loader.append(memberships((1, 10), (2, 10), (2, 11)))
        result = loader.commit()

    assert result == LoadResult(inserted=1, unchanged=2, deleted=1)
    live = warehouse.read_frame("thinkific_group_memberships")
    assert list(zip(live["group_id"], live["user_id"], strict=True)) == [(1, 10), (2, 10), (2, 11)]


def test_staged_pages_do_not_reach_the_table_before_commit(warehouse):
    load_snapshot(warehouse, users({1: "a@x.io"}))

    with warehouse.snapshot("thinkific_users") as loader:
        loader.append(users({2: "b@x.io"}))
        before_commit = emails(warehouse)
        loader.commit()

    assert before_commit == {1: "a@x.io"}
    assert emails(warehouse) == {2: "b@x.io"}


def test_a_snapshot_abandoned_by_an_exception_changes_nothing_and_leaves_no_staging_table(
    warehouse,
):
    load_snapshot(warehouse, users({1: "a@x.io", 2: "b@x.io"}))

    with pytest.raises(PageFetchFailed), warehouse.snapshot("thinkific_users") as loader:
        loader.append(users({1: "changed@x.io"}))
        raise PageFetchFailed

    assert emails(warehouse, include_deleted=True) == {1: "a@x.io", 2: "b@x.io"}
    assert warehouse.count("thinkific_users") == 2
    assert table_names(warehouse) == {"thinkific_users"}


def test_a_snapshot_left_without_commit_changes_nothing_and_leaves_no_staging_table(warehouse):
    load_snapshot(warehouse, users({1: "a@x.io", 2: "b@x.io"}))

    with warehouse.snapshot("thinkific_users") as loader:
        loader.append(users({1: "changed@x.io"}))

    assert emails(warehouse) == {1: "a@x.io", 2: "b@x.io"}
    assert table_names(warehouse) == {"thinkific_users"}


def test_a_forgotten_loader_drops_its_staging_table_when_collected(warehouse):
    load_snapshot(warehouse, users({1: "a@x.io"}))
    loader = warehouse.snapshot("thinkific_users")
    loader.append(users({2: "b@x.io"}))
    staging = loader.staging_table_name
    assert staging in table_names(warehouse)

    del loader
    gc.collect()

    assert table_names(warehouse) == {"thinkific_users"}
    assert emails(warehouse) == {1: "a@x.io"}


def test_abort_drops_the_staging_table_and_closes_the_loader(warehouse):
    loader = warehouse.snapshot("thinkific_users")
    loader.append(users({1: "a@x.io"}))

    loader.abort()

    assert not loader.is_open
    assert table_names(warehouse) == {"thinkific_users"}
    assert warehouse.count("thinkific_users") == 0


def test_a_committed_snapshot_refuses_more_pages(warehouse):
    with warehouse.snapshot("thinkific_users") as loader:
        loader.commit()
        with pytest.raises(WarehouseError, match="already closed"):
            loader.append(users({1: "a@x.io"}))
