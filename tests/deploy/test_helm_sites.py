"""deploy/helm-values-sites.yaml, laid over deploy/helm-values.yaml: the same code location with
a sites file mounted from a ConfigMap, and the run queue limits of deploy/dagster.yaml.

No cluster runs here: these tests read the values and check them against the base values, the
instance file and the code location's own names."""

from pathlib import Path

import yaml

from resources.sites import SITES_FILE_ENV

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _values(name: str) -> dict:
    return yaml.safe_load((DEPLOY / name).read_text(encoding="utf-8"))


def _deployment(values: dict) -> dict:
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    return deployment


def test_the_overlay_serves_the_same_code_location_from_the_same_image():
    base, sites = (
        _deployment(_values("helm-values.yaml")),
        _deployment(_values("helm-values-sites.yaml")),
    )
    for field in ("name", "image", "dagsterApiGrpcArgs", "port", "envSecrets"):
        assert sites[field] == base[field], field


def test_the_sites_file_variable_names_the_mounted_configmap_file():
    deployment = _deployment(_values("helm-values-sites.yaml"))
    env = {item["name"]: item["value"] for item in deployment["env"]}
    (mount,) = deployment["volumeMounts"]
    (volume,) = deployment["volumes"]
    assert Path(env[SITES_FILE_ENV]).parent == Path(mount["mountPath"])
    assert mount["name"] == volume["name"] and "configMap" in volume
    assert deployment["includeConfigInLaunchedRuns"]["enabled"]  # each run's Job mounts it too


def test_the_run_queue_admits_one_run_per_site_as_the_instance_file_does():
    chart = _values("helm-values-sites.yaml")["dagsterDaemon"]["runCoordinator"]
    instance = _values("dagster.yaml")["concurrency"]["runs"]["tag_concurrency_limits"]
    assert chart["type"] == "QueuedRunCoordinator"
    assert chart["config"]["queuedRunCoordinator"]["tagConcurrencyLimits"] == instance


def test_no_secret_value_is_written_in_the_values():
    deployment = _deployment(_values("helm-values-sites.yaml"))
    names = {item["name"] for item in deployment["env"]}
    assert not names & {"THINKIFIC_API_KEY", "THINKIFIC_ACCESS_TOKEN", "WAREHOUSE_URL"}
