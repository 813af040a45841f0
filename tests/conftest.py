"""Shared fixtures live in tests/fixtures/, one module per real part the tests talk to."""

import pytest

pytest_plugins = [
    "tests.fixtures.simulator",
    "tests.fixtures.databases",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `slow` (whole commands, deployments, a browser) start first, so no worker is
    left with a two-minute test while the others have finished; the order is otherwise kept."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
