"""The code location loads, and its asset graph is what the UI should show."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.definitions import defs

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = Path(__file__).parent / "snapshots" / "asset_graph.json"
NODES = {node.key.to_user_string(): node for node in defs.resolve_asset_graph().asset_nodes}


def _asset_graph() -> dict[str, dict]:
    return {
        key: {
            "group": node.group_name,
            "deps": sorted(dep.to_user_string() for dep in node.parent_keys),
            "kinds": sorted(node.kinds),
            "owners": list(node.owners),
            "checks": sorted(check.name for check in node.check_keys),
            "automation": node.automation_condition and node.automation_condition.get_label(),
        }
        for key, node in sorted(NODES.items())
    }


def test_dagster_definitions_validate_passes(tmp_path):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-w", "workspace.yaml"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_asset_graph_matches_the_checked_in_snapshot():
    """Regenerate with UPDATE_SNAPSHOTS=1 after an intended change to the graph."""
    graph = _asset_graph()
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(json.dumps(graph, indent=2) + "\n")
    assert graph == json.loads(SNAPSHOT.read_text())


@pytest.mark.parametrize("key", sorted(NODES))
def test_every_asset_has_description_group_kinds_and_owner(key):
    node = NODES[key]
    assert node.description, f"{key} has no description"
    assert node.group_name and node.group_name != "default", f"{key} has no group"
    assert node.kinds, f"{key} has no kinds"
    assert node.owners, f"{key} has no owner"
