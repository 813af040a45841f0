"""The Dockerfile builds the image deploy/helm-values.yaml runs: the locked dependencies in a
layer of their own, then the code location, serving what the chart's user deployment asks for.

No image builder runs here (no Docker daemon, no registry for the base image), so these tests
read the Dockerfile, check it against the lock, the project file and the Helm values, and load
the code location from exactly the files the image copies."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def copied_sources() -> list[str]:
    return [
        source
        for name, arguments in instructions()
        if name == "COPY"
        for source in arguments.split()[:-1]
    ]


def dependency_install() -> int:
    return next(
        index
        for index, (name, arguments) in enumerate(instructions())
        if name == "RUN" and arguments.startswith("uv sync")
    )


def test_dependencies_are_installed_from_the_lock_as_it_is_without_the_dev_group():
    arguments = instructions()[dependency_install()][1].split()
    assert {"--frozen", "--no-dev"} <= set(arguments)


def test_the_dependency_layer_is_rebuilt_only_when_the_lock_or_the_project_file_changes():
    before = instructions()[: dependency_install()]
    copies = [arguments.split() for name, arguments in before if name == "COPY"]
    assert copies == [["pyproject.toml", "uv.lock", "./"]]


def test_the_image_serves_the_module_and_port_the_helm_values_run():
    values = yaml.safe_load((ROOT / "deploy" / "helm-values.yaml").read_text())
    deployment = values["dagster-user-deployments"]["deployments"][0]
    command = json.loads(dict(instructions())["CMD"])
    assert command[:3] == ["dagster", "api", "grpc"]
    assert " ".join(deployment["dagsterApiGrpcArgs"]) in " ".join(command)
    assert command[command.index("--port") + 1] == str(deployment["port"])


def test_the_base_image_python_is_one_the_project_supports():
    base = dict(instructions())["FROM"]
    version = re.search(r"python:(\d+)\.(\d+)", base)
    assert version, base
    requires = (ROOT / "pyproject.toml").read_text()
    lowest, below = re.search(r'requires-python = ">=3\.(\d+),<3\.(\d+)"', requires).groups()
    assert version.group(1) == "3" and int(lowest) <= int(version.group(2)) < int(below)


def test_no_secret_or_local_data_enters_the_build_context():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".env", ".env.*", ".venv/", ".data/", ".dagster_home/"} <= ignored
    assert not any(source.startswith(".env") for source in copied_sources())


def test_the_code_location_loads_from_exactly_the_files_the_image_copies(tmp_path):
    for source in copied_sources():
        if source in ("pyproject.toml", "uv.lock"):
            continue
        origin = ROOT / source
        if origin.is_dir():
            shutil.copytree(origin, tmp_path / source, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(origin, tmp_path / source)
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import pipelines.definitions as d; d.defs.resolve_all_job_defs(); print(d.__file__)",
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    assert Path(loaded.stdout.split()[-1]).is_relative_to(tmp_path)
