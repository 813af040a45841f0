# The two set-up commands of the README are `make sync` and `make test`; both install from uv.lock first.
UV := ./scripts/uv
RUN := $(UV) run --frozen

.PHONY: sync test ui deploy simulator bench lint format

# The sync runs as make's own child (no `uv run` in between): a Ctrl-C then reaches it once, from
# the terminal, where `uv run` off a terminal forwards SIGINT a second time, mid-cleanup.
# make exits 2 whatever the sync's status: cron and services run scripts/sync, which keeps it.
sync:  ## run the whole Thinkific sync once (the local simulator when no credentials are set; ARGS="--full-refresh")
	./scripts/sync $(ARGS)

# `dg check defs` first: Dagster's own check that the code location loads and its definitions are
# valid (a job selecting no asset, a missing resource). It runs in a throwaway Dagster home with
# telemetry off, as in every Dagster home the project writes (pipelines/commands/local_home.py);
# without a home it would write usage statistics under ~/.dagster.
test:  ## the whole test suite: `dg check defs`, then pytest (ruff and import-linter included)
	@home=$$(mktemp -d) && printf 'telemetry:\n  enabled: false\n' >"$$home/dagster.yaml" && \
	  DAGSTER_HOME="$$home" $(RUN) dg check defs; status=$$?; rm -rf "$$home"; exit $$status
	$(RUN) pytest

ui:  ## the Dagster UI on the same setup, with a persistent local DAGSTER_HOME (ARGS: dagster dev flags)
	$(RUN) python -m pipelines.ui $(ARGS)

deploy:  ## webserver, daemon and code server as separate processes on PostgreSQL (ARGS="--help")
	$(RUN) python -m pipelines.deploy $(ARGS)

simulator:  ## the local Thinkific on its own (pass ARGS="--port 8765 --users 5000")
	$(RUN) python -m simulator $(ARGS)

bench:  ## every benchmark in benchmarks/, rewriting benchmarks/RESULTS.md
	$(RUN) python -m benchmarks

lint:
	$(RUN) ruff check . && $(RUN) ruff format --check .

format:
	$(RUN) ruff check --fix . && $(RUN) ruff format .
