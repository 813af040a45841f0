# The code location's image: `dagster api grpc -m pipelines.definitions` on port 3030, as
# deploy/helm-values.yaml runs it (its user deployment, and every run's Kubernetes Job).
#
#   docker build -t registry.example.com/thinkific-dagster:$(git rev-parse --short HEAD) .
#
# Dependencies come from uv.lock alone (`--frozen`: the lock is used as it is, never re-resolved),
# in a layer of their own that only a change of pyproject.toml or uv.lock rebuilds; the code is
# copied after it. No secret is baked in: the Thinkific key, token and WAREHOUSE_URL come from the
# chart's Secret at run time (.dockerignore keeps .env and local data out of the build context).
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_LINK_MODE=copy \
    VIRTUAL_ENV=/app/.venv \
    PATH=/app/.venv/bin:$PATH

WORKDIR /app

# uv from the Python package index, the version scripts/uv accepts.
RUN pip install --no-cache-dir "uv>=0.5,<1"

# The dependency layer: the locked runtime dependencies, no dev group, compiled to bytecode
# (pyproject's [tool.uv] compile-bytecode).
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-cache

# The code location itself.
COPY assets/ assets/
COPY pipelines/ pipelines/
COPY resources/ resources/
COPY schemas/ schemas/
COPY simulator/ simulator/
COPY receiver/ receiver/
COPY templates/ templates/
COPY workspace.yaml ./

RUN useradd --create-home --uid 10001 dagster
USER dagster

EXPOSE 3030
CMD ["dagster", "api", "grpc", "--module-name", "pipelines.definitions", "--host", "0.0.0.0", "--port", "3030"]
