"""`.env.example` loads as the README says, `set -a; . ./.env; set +a`: every value as written."""

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENV_EXAMPLE = ROOT / ".env.example"
ASSIGNMENT = re.compile(r"(?P<name>[A-Z][A-Z0-9_]*)=(?P<value>.*)")


def _written() -> dict[str, str]:
    """Each variable the file assigns, with its value as it reads (quotes taken off)."""
    written = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            assignment = ASSIGNMENT.fullmatch(line)
            assert assignment, f"not an assignment: {line!r}"
            value = assignment["value"]
            quoted = len(value) >= 2 and value[0] == value[-1] == "'"
            written[assignment["name"]] = value[1:-1] if quoted else value
    return written


@pytest.fixture(scope="module")
def sourced() -> subprocess.CompletedProcess[str]:
    """bash with nothing in its environment sourcing the file as the README's recipe does, then
    printing its environment NUL-separated."""
    return subprocess.run(
        ["bash", "-c", "set -a; . ./.env.example; set +a; env -0"],
        cwd=ROOT,
        env={},
        capture_output=True,
        text=True,
        check=True,
    )


def test_sourcing_the_example_prints_nothing(sourced):
    assert sourced.stderr == ""


def test_sourcing_the_example_sets_every_variable_to_the_value_written(sourced):
    environment = dict(entry.split("=", 1) for entry in sourced.stdout.split("\0") if entry)
    written = _written()
    assert {name: environment.get(name) for name in written} == written
