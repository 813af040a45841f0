"""Shared fixtures live in tests/fixtures/, one module per real part the tests talk to."""

pytest_plugins = [
    "tests.fixtures.simulator",
    "tests.fixtures.databases",
]
