"""The code location of the daemon test: the upload assets and a sensor that ticks every second,
on the uploads folder and warehouse the environment names (UPLOADS_DIR, WAREHOUSE_URL). Steps
run in the run's own process, which saves the test a Python start-up per run."""

from dagster import Definitions, in_process_executor

from assets.uploads.files import upload_assets
from pipelines.sensors.uploads import build_upload_sensor
from resources.dashboard.notifications import NotificationResource
from resources.thinkific.resource import ThinkificResource
from resources.uploads.resource import uploads_resource
from resources.warehouse import WarehouseResource
from resources.warehouse.engine import warehouse_url_from_env

defs = Definitions(
    assets=upload_assets,
    sensors=[build_upload_sensor(minimum_interval_seconds=1)],
    executor=in_process_executor,
    resources={
        "uploads": uploads_resource(),
        "warehouse": WarehouseResource(url=warehouse_url_from_env()),
        "thinkific": ThinkificResource(
            api_key="unused", subdomain="unused", base_url="http://127.0.0.1:9"
        ),
        "notifications": NotificationResource(),
    },
)
