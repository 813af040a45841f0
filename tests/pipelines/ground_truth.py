"""Compare the warehouse with the simulator's ground truth, table by table, row by row."""

import pandas as pd

from resources.warehouse import WarehouseResource
from schemas.thinkific import TABLES, to_frame

STREAMS = [
    "users",
    "groups",
    "group_memberships",
    "group_analysts",
    "products",
    "courses",
    "bundles",
    "enrollments",
]


def expected_records(truth: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """Ground truth per warehouse table, including the link table unpacked from bundles."""
    expected = {f"thinkific_{stream}": truth[stream] for stream in STREAMS}
    expected["thinkific_bundle_courses"] = [
        {"bundle_id": bundle["id"], "course_id": course_id}
        for bundle in truth["bundles"]
        for course_id in bundle["course_ids"]
    ]
    return expected


def _sorted(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    key = list(TABLES[table].primary_key)
    columns = [column for column in TABLES[table].model.to_schema().columns]
    return frame[columns].sort_values(key).reset_index(drop=True)


def assert_warehouse_equals_ground_truth(
    warehouse: WarehouseResource, truth: dict[str, list[dict]]
) -> None:
    for table, records in expected_records(truth).items():
        expected = _sorted(to_frame(table, records), table)
        actual = _sorted(warehouse.read_frame(table), table)
        assert len(actual) == len(expected), (
            f"{table}: {len(actual)} rows, expected {len(expected)}"
        )
        pd.testing.assert_frame_equal(actual, expected, check_dtype=False, obj=table)
