"""The UI command: the Dagster webserver and daemon on the same setup as `make sync`.

    make ui              (or: ./scripts/uv run --frozen python -m pipelines.ui [dagster dev flags])

With no Thinkific credentials set, the demo simulator serves alongside for as long as the UI runs.
`DAGSTER_HOME` defaults to the project's `.dagster_home`, so runs, schedules and asset history
persist between sessions.
"""

import os
import subprocess
import sys

from pipelines.local_home import PROJECT_ROOT, ensure_dagster_home
from pipelines.site import thinkific_site


def main(extra_args: list[str]) -> int:
    ensure_dagster_home()
    with thinkific_site() as site:
        print(f"Dagster UI on {site.description}", flush=True)
        workspace = str(PROJECT_ROOT / "workspace.yaml")
        command = [sys.executable, "-m", "dagster", "dev", "-w", workspace, *extra_args]
        try:
            return subprocess.call(command, cwd=PROJECT_ROOT, env=os.environ.copy())
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
