"""The layering of docs/architecture.md holds: import-linter checks the contracts in pyproject.toml
(`[tool.importlinter]`) on every run of the suite."""

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept():
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"][
        "contracts"
    ]
    # --no-cache: nothing written into the checkout; the whole graph takes well under a second.
    result = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache", "--no-logo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # Every contract was checked (none silently dropped from the configuration).
    assert f"Contracts: {len(contracts)} kept, 0 broken." in output, output
