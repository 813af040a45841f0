"""The one-off job of a deployment with a sites file: `prepare_site_warehouses`.

Launched once after a deployment is installed or upgraded, and after the sites file changes
(the UI and deployment commands do the same at start): a warehouse synced before the sites file
is moved to the site that owns it, every site's tables are created, and on PostgreSQL the
cross-site views are made over them (`pipelines.commands.site_entry.prepare_sites_warehouse`).
No resource does it on the side: a run's resources only build the site's warehouse.
"""

from dagster import OpExecutionContext, job, op

from pipelines.commands.site_entry import prepare_sites_warehouse_from_env
from resources.sites import SitesFileError, sites_from_env

PREPARE_SITE_WAREHOUSES_JOB = "prepare_site_warehouses"


@op(name="move_in_and_create_site_tables")
def _prepare_site_warehouses(context: OpExecutionContext) -> None:
    sites = sites_from_env()
    if not sites:
        raise SitesFileError("this job prepares the warehouse of a sites file: none is set")
    moved = prepare_sites_warehouse_from_env()
    if moved:
        context.log.info(moved)
    context.log.info(f"The warehouse is ready for {len(sites)} sites.")


@job(
    name=PREPARE_SITE_WAREHOUSES_JOB,
    description="Deployment, once after an install, an upgrade or a change of the sites file: "
    "moves a single-site warehouse to its site, creates every site's tables, and (PostgreSQL) "
    "the cross-site views over them.",
)
def prepare_site_warehouses() -> None:
    _prepare_site_warehouses()
