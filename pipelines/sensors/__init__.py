"""Dagster sensors: uploads, webhook events, team actions and run-completion notices.
Each turns something that happened into run requests or messages."""
