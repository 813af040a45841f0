"""The deployment command: the code location served as Dagster runs it in production.

    ./scripts/uv run --frozen python -m pipelines.deploy [--host H] [--port P] [--home DIR]

Starts three processes on a PostgreSQL Dagster instance (`deploy/dagster.yaml`): the gRPC code
server (`dagster api grpc -m pipelines.definitions`), then the daemon (schedules, the run queue,
run monitoring and retries) and the webserver, both loading the code location from that server
(`deploy/workspace.yaml`). It supervises them until Ctrl-C (or SIGTERM), then stops them all.
With no Thinkific credentials set, the demo simulator serves alongside, as for `make sync`.
deploy/README.md lists every setting.
"""

import argparse
import os
import sys
from pathlib import Path
from typing import NoReturn

import sqlalchemy as sa
from dagster import DagsterInstance

from pipelines.commands.demo_site import runs_the_demo, thinkific_site
from pipelines.commands.deploy_databases import ensure_database
from pipelines.commands.deploy_probes import (
    code_server_is_serving,
    port_is_free,
    webserver_is_answering,
)
from pipelines.commands.deploy_settings import (
    DEFAULT_HOME,
    WORKSPACE,
    Addresses,
    deployment_environment,
    instance_database_url,
    prepare_home,
)
from pipelines.commands.local_home import PROJECT_ROOT
from pipelines.commands.site_entry import prepare_sites_warehouse_from_env
from pipelines.commands.supervisor import ChildExited, Supervisor
from pipelines.resources import SettingError, validate_settings
from resources.sites import SitesFileError
from resources.warehouse.engine import WAREHOUSE_URL_ENV, WarehouseError

CODE_LOCATION_MODULE = "pipelines.definitions"
STARTUP_TIMEOUT_SECONDS = 120.0


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.deploy",
        description="Run the webserver, the daemon and the code server on PostgreSQL.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address the servers listen on")
    parser.add_argument("--port", type=int, default=3000, help="port of the Dagster UI")
    parser.add_argument("--code-server-port", type=int, default=4266, help="gRPC code server")
    parser.add_argument(
        "--home", type=Path, default=DEFAULT_HOME, help="DAGSTER_HOME of the deployment"
    )
    return parser.parse_args(argv)


def dagster_command(name: str, *arguments: str) -> list[str]:
    """A console script of this environment (next to its Python), so every process runs the
    same installation whatever PATH says."""
    return [str(Path(sys.executable).with_name(name)), *arguments]


def _prepare_databases() -> None:
    """Creates the instance's and the warehouse's databases where missing, then the instance's
    tables, once, before several processes would race to create them."""
    ensure_database(instance_database_url(os.environ))
    warehouse = sa.make_url(os.environ[WAREHOUSE_URL_ENV])
    if warehouse.get_backend_name() == "postgresql":
        ensure_database(warehouse.set(drivername="postgresql+psycopg"))
    with DagsterInstance.get():
        pass


def _serve(addresses: Addresses) -> NoReturn:
    with Supervisor(cwd=PROJECT_ROOT) as supervisor:
        supervisor.start(
            "code server",
            dagster_command(
                "dagster", "api", "grpc", "--module-name", CODE_LOCATION_MODULE,
                "--host", addresses.host, "--port", str(addresses.code_server_port),
                "--working-directory", str(PROJECT_ROOT), "--use-python-environment-entry-point",
            ),
        )  # fmt: skip
        supervisor.wait_until_ready(
            "code server",
            lambda: code_server_is_serving(addresses.host, addresses.code_server_port),
            STARTUP_TIMEOUT_SECONDS,
        )
        supervisor.start("daemon", dagster_command("dagster-daemon", "run", "-w", str(WORKSPACE)))
        supervisor.start(
            "webserver",
            dagster_command(
                "dagster-webserver", "-w", str(WORKSPACE),
                "--host", addresses.host, "--port", str(addresses.webserver_port),
            ),
        )  # fmt: skip
        supervisor.wait_until_ready(
            "webserver",
            lambda: webserver_is_answering(addresses.webserver_url),
            STARTUP_TIMEOUT_SECONDS,
        )
        print(f"Deployment ready: Dagster UI at {addresses.webserver_url}", flush=True)
        supervisor.wait()


def _require_free_ports(addresses: Addresses) -> None:
    ports = {"webserver": addresses.webserver_port, "code server": addresses.code_server_port}
    for name, port in ports.items():
        if not port_is_free(addresses.host, port):
            raise SystemExit(
                f"port {port} of the {name} is taken (another deployment still running?); "
                "stop it or pick other ports (--port, --code-server-port)"
            )


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    try:
        validate_settings()
    except SettingError as error:
        print(f"Not started: {error}.", file=sys.stderr)
        return 2
    addresses = Addresses(args.host, args.port, args.code_server_port)
    _require_free_ports(addresses)
    home = prepare_home(args.home.resolve())
    # Before the demo site starts: it would otherwise give the deployment its SQLite file.
    demo = runs_the_demo(os.environ)
    os.environ.update(deployment_environment(os.environ, home, addresses, demo))
    with thinkific_site() as site:
        for notice in site.notices:
            print(notice, file=sys.stderr, flush=True)
        print(f"Deploying on {site.description}", flush=True)
        try:
            _prepare_databases()
            moved = prepare_sites_warehouse_from_env()
            if moved:
                print(moved, flush=True)
            _serve(addresses)
        except KeyboardInterrupt:
            print("Deployment stopped", flush=True)
            return 0
        except ChildExited as exited:
            print(f"Deployment stopped: {exited}", file=sys.stderr, flush=True)
            return exited.returncode or 1
        except (SitesFileError, WarehouseError) as error:
            print(f"Not started: {error}", file=sys.stderr, flush=True)
            return 2
