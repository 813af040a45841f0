"""Compare the warehouse with the simulator's ground truth, table by table, row by row."""

import pandas as pd

from resources.warehouse import WarehouseResource
from schemas.thinkific import STREAMS, TABLES, to_frame
from schemas.thinkific.streams import Unpacked


def expected_records(truth: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """Ground truth per warehouse table of every stream the REST sync loads: what the simulator
    serves of each stream, and the rows of an unpacked stream unpacked from its source's."""
    expected = {}
    for stream in STREAMS:
        read = stream.read
        if isinstance(read, Unpacked):
            expected[stream.table] = [
                {read.source_column: record["id"], read.item_column: item}
                for record in truth[read.source]
                for item in record[read.array]
            ]
        elif not stream.graphql:
            expected[stream.table] = truth[stream.name]
    return expected


def _sorted(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    key = list(TABLES[table].primary_key)
    columns = [column for column in TABLES[table].model.to_schema().columns]
    return frame[columns].sort_values(key).reset_index(drop=True)


def assert_warehouse_equals_ground_truth(
    warehouse: WarehouseResource, truth: dict[str, list[dict]]
) -> None:
    assert_tables_equal(warehouse, expected_records(truth))


def learning_records(truth: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """Ground truth per warehouse table of the streams read over GraphQL."""
    return {stream.table: truth[stream.name] for stream in STREAMS if stream.graphql}


def assert_tables_equal(warehouse: WarehouseResource, expected: dict[str, list[dict]]) -> None:
    """Each table's live rows are exactly its `expected` records."""
    for table, records in expected.items():
        expected = _sorted(to_frame(table, records), table)
        actual = _sorted(warehouse.read_frame(table), table)
        assert len(actual) == len(expected), (
            f"{table}: {len(actual)} rows, expected {len(expected)}"
        )
        pd.testing.assert_frame_equal(actual, expected, check_dtype=False, obj=table)
