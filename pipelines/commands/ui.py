"""The UI command: the Dagster webserver and daemon on the same setup as `make sync`.

    make ui [ARGS="dagster dev flags"]
    ./scripts/uv run --frozen python -m pipelines.ui [dagster dev flags]

With no Thinkific credentials set, the demo simulator serves alongside for as long as the UI runs.
`DAGSTER_HOME` defaults to the project's `.dagster_home`, so runs, schedules and asset history
persist between sessions.

`dagster dev` runs under the supervisor the deployment uses too, in a session of its own: a Ctrl-C
or a SIGTERM to this command (or to `make ui`: GNU make passes SIGTERM on to its child, and
`uv run` to its own) stops it with its webserver, daemon, code servers and runs, within the
supervisor's bound. Without it, a SIGTERM ended this process alone and left all of those running;
and `dagster dev` itself, signalled alone, stops its webserver and daemon but leaves its code
servers and runs to the terminal's Ctrl-C, which reaches every process of the foreground group.
"""

import sys

from pipelines.commands.demo_site import thinkific_site
from pipelines.commands.local_home import PROJECT_ROOT, ensure_dagster_home
from pipelines.commands.site_entry import prepare_sites_warehouse_from_env
from pipelines.commands.supervisor import ChildExited, Supervisor
from pipelines.resources import SettingError, validate_settings
from resources.sites import SitesFileError
from resources.warehouse.engine import WarehouseError


def main(extra_args: list[str]) -> int:
    ensure_dagster_home()
    try:
        validate_settings()
    except SettingError as error:
        print(f"Not started: {error}.", file=sys.stderr)
        return 2
    try:
        moved = prepare_sites_warehouse_from_env()
    except (SitesFileError, WarehouseError) as error:
        print(f"Not started: {error}", file=sys.stderr)
        return 2
    if moved:
        print(moved, flush=True)
    with thinkific_site() as site:
        for notice in site.notices:
            print(notice, file=sys.stderr, flush=True)
        print(f"Dagster UI on {site.description}", flush=True)
        workspace = str(PROJECT_ROOT / "workspace.yaml")
        command = [sys.executable, "-m", "dagster", "dev", "-w", workspace, *extra_args]
        try:
            with Supervisor(cwd=PROJECT_ROOT) as supervisor:
                supervisor.start("dagster dev", command)
                supervisor.wait()
        except KeyboardInterrupt:
            return 0
        except ChildExited as exited:
            return exited.returncode or 1
