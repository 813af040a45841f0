"""Where the deployment's processes find PostgreSQL, the warehouse and each other.

Everything comes from the environment, read by `deploy/dagster.yaml` and `deploy/workspace.yaml`.
What is unset gets a local default: the PostgreSQL server on 127.0.0.1:5432 as user `postgres`
(the server the tests use), database `dagster` for the instance and `thinkific_warehouse` for the
warehouse. So the one command runs on a development machine, and the same variables configure a
real host.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from pipelines.commands.local_home import PROJECT_ROOT
from resources.warehouse.engine import WAREHOUSE_URL_ENV

DEPLOY_DIR = PROJECT_ROOT / "deploy"
INSTANCE_CONFIG = DEPLOY_DIR / "dagster.yaml"
WORKSPACE = DEPLOY_DIR / "workspace.yaml"
DEFAULT_HOME = PROJECT_ROOT / ".data" / "dagster_deploy_home"

INSTANCE_DATABASE_DEFAULTS = {
    "DAGSTER_PG_HOST": "127.0.0.1",
    "DAGSTER_PG_PORT": "5432",
    "DAGSTER_PG_USER": "postgres",
    "DAGSTER_PG_PASSWORD": "",
    "DAGSTER_PG_DB": "dagster",
}
"""The variables `deploy/dagster.yaml` reads, and their values when unset."""

WAREHOUSE_DATABASE = "thinkific_warehouse"
"""The warehouse database on the instance's server when WAREHOUSE_URL is unset."""
DEMO_WAREHOUSE_DATABASE = "thinkific_demo"
"""The same for the demo site: its own, so the first real site deployed starts from empty
tables (as `.data/demo.db` is the demo's own for `make sync`)."""

CODE_SERVER_HOST_ENV = "DAGSTER_CODE_SERVER_HOST"
CODE_SERVER_PORT_ENV = "DAGSTER_CODE_SERVER_PORT"


@dataclass(frozen=True)
class Addresses:
    """Where the webserver and the code server listen."""

    host: str
    webserver_port: int
    code_server_port: int

    @property
    def webserver_url(self) -> str:
        return f"http://{self.host}:{self.webserver_port}"


def deployment_environment(
    environ: Mapping[str, str], home: Path, addresses: Addresses, demo: bool = False
) -> dict[str, str]:
    """The variables every process of the deployment needs, on top of `environ`: the instance's
    database (defaults where unset), DAGSTER_HOME, the code server's address and WAREHOUSE_URL
    (for the `demo` site a database of its own)."""
    settings = {
        name: environ.get(name, default) for name, default in INSTANCE_DATABASE_DEFAULTS.items()
    }
    settings |= {
        "DAGSTER_HOME": str(home),
        CODE_SERVER_HOST_ENV: addresses.host,
        CODE_SERVER_PORT_ENV: str(addresses.code_server_port),
    }
    settings[WAREHOUSE_URL_ENV] = environ.get(WAREHOUSE_URL_ENV) or (
        instance_database_url(settings)
        .set(database=DEMO_WAREHOUSE_DATABASE if demo else WAREHOUSE_DATABASE)
        .render_as_string(hide_password=False)
    )
    return settings


def instance_database_url(environ: Mapping[str, str]) -> sa.URL:
    """The SQLAlchemy URL of the instance's database, as `deploy/dagster.yaml` reads it."""
    return sa.URL.create(
        "postgresql+psycopg",
        username=environ["DAGSTER_PG_USER"],
        password=environ["DAGSTER_PG_PASSWORD"] or None,
        host=environ["DAGSTER_PG_HOST"],
        port=int(environ["DAGSTER_PG_PORT"]),
        database=environ["DAGSTER_PG_DB"],
    )


def prepare_home(home: Path) -> Path:
    """Creates the deployment's DAGSTER_HOME holding `deploy/dagster.yaml` (a symbolic link, so
    the file in deploy/ stays the only copy). A home with a dagster.yaml of its own is refused
    rather than overwritten."""
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if config.exists() and not config.is_symlink():
        raise SystemExit(
            f"{config} is not the deployment's instance config; pass another --home or remove it"
        )
    config.unlink(missing_ok=True)
    config.symlink_to(INSTANCE_CONFIG)
    return home
