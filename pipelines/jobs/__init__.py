"""Dagster jobs and schedules: the nightly sync, the Tools cards and the Teams tab actions.
Each is an asset job or an op job over the assets of `assets/`."""
